//! Seeded data generator: companies, business units, chart of accounts, currencies, suppliers
//! and purchase orders that a JDE consultant would recognise, plus the building blocks the
//! change methods (`add_pos`, `add_suppliers`, ...) reuse.
//!
//! Everything is drawn from one `StdRng` seeded by the configuration, so a seed and a "now"
//! always give the same tables.

use jiff::ToSpan;
use jiff::civil::{Date, DateTime};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rust_decimal::{Decimal, RoundingStrategy};

use super::table::{Cell, Db};

/// A JDE update stamp: UPMJ as yyyyMMdd and TDAY/UPMT as HHMMSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp {
    pub(crate) date: i64,
    pub(crate) time: i64,
}

impl Stamp {
    pub(crate) fn of(dt: DateTime) -> Stamp {
        Stamp {
            date: ymd(dt.date()),
            time: i64::from(dt.hour()) * 10_000
                + i64::from(dt.minute()) * 100
                + i64::from(dt.second()),
        }
    }
}

/// yyyyMMdd as a number (the simulator's internal date form).
pub(crate) fn ymd(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// Back from yyyyMMdd.
pub(crate) fn date_of(v: i64) -> Option<Date> {
    if v <= 0 {
        return None;
    }
    Date::new(
        (v / 10_000) as i16,
        ((v / 100) % 100) as i8,
        (v % 100) as i8,
    )
    .ok()
}

/// A company of the demo enterprise.
pub(crate) struct Company {
    pub(crate) co: &'static str,
    pub(crate) name: &'static str,
    pub(crate) crcd: &'static str,
    /// (MCU, STYL, description); the first is the branch/plant POs are raised in.
    pub(crate) bus: &'static [(&'static str, &'static str, &'static str)],
}

pub(crate) static COMPANIES: [Company; 4] = [
    Company {
        co: "00100",
        name: "ML Industries Inc.",
        crcd: "USD",
        bus: &[
            ("100", "BP", "Chicago Distribution Center"),
            ("110", "IS", "Corporate Finance"),
            ("120", "IS", "Plant Operations"),
            ("130", "IS", "Information Technology"),
        ],
    },
    Company {
        co: "00200",
        name: "ML Distribution LLC",
        crcd: "USD",
        bus: &[
            ("200", "BP", "Dallas Warehouse"),
            ("210", "IS", "Sales & Marketing"),
            ("220", "IS", "Logistics"),
        ],
    },
    Company {
        co: "00300",
        name: "ML Europe GmbH",
        crcd: "EUR",
        bus: &[
            ("300", "BP", "Frankfurt Lager"),
            ("310", "IS", "Verwaltung"),
            ("320", "IS", "Produktion"),
        ],
    },
    Company {
        co: "00400",
        name: "ML Japan KK",
        crcd: "JPY",
        bus: &[
            ("400", "BP", "Osaka Warehouse"),
            ("410", "IS", "Administration"),
        ],
    },
];

/// (code, decimals, description).
static CURRENCIES: [(&str, i64, &str); 8] = [
    ("USD", 2, "US Dollar"),
    ("EUR", 2, "Euro"),
    ("GBP", 2, "British Pound"),
    ("CAD", 2, "Canadian Dollar"),
    ("MXN", 2, "Mexican Peso"),
    ("JPY", 0, "Japanese Yen"),
    ("KWD", 3, "Kuwaiti Dinar"),
    ("BHD", 3, "Bahraini Dinar"),
];

/// Decimals of a currency (F0013 CDEC); 2 for an unknown code.
pub(crate) fn currency_decimals(crcd: &str) -> u32 {
    CURRENCIES
        .iter()
        .find(|c| c.0 == crcd)
        .map_or(2, |c| c.1 as u32)
}

/// Chart of accounts laid over every business unit: (object, subsidiary, description, PEC).
static CHART: [(&str, &str, &str, &str); 17] = [
    ("1110", "", "Cash in Bank", ""),
    ("1410", "", "Inventory", ""),
    ("2010", "", "Accounts Payable - Trade", ""),
    ("2310", "", "Sales & Use Tax Payable", ""),
    ("6100", "", "OPERATING EXPENSES", "N"),
    ("6110", "", "Office Supplies", ""),
    ("6120", "", "Maintenance & Repairs", ""),
    ("6130", "", "Utilities", ""),
    ("6140", "", "Professional Services", ""),
    ("6150", "", "Software & Subscriptions", ""),
    ("6160", "", "Travel", ""),
    ("6170", "", "Contract Labor", ""),
    ("6190", "", "Other Operating (closed)", "N"),
    ("6210", "", "Freight In", ""),
    ("6290", "", "Miscellaneous Expense", ""),
    ("6295", "", "Purchase Discounts", ""),
    ("6140", "01", "Professional Services - Legal", ""),
];

/// Catalog: (short item, 2nd item number, description, description 2, UoM, unit cost in USD,
/// object account).
static ITEMS: [(i64, &str, &str, &str, &str, &str, &str); 24] = [
    (
        60010,
        "FAS-1001",
        "Hex Bolt 1/4-20 x 1\"",
        "Zinc plated, box of 100",
        "BX",
        "12.7500",
        "1410",
    ),
    (
        60011,
        "FAS-1002",
        "Hex Nut 1/4-20",
        "Zinc plated, box of 100",
        "BX",
        "6.4900",
        "1410",
    ),
    (
        60012,
        "FAS-2040",
        "Flat Washer 3/8\"",
        "Stainless 18-8, box of 250",
        "BX",
        "18.3125",
        "1410",
    ),
    (
        60020,
        "PKG-0100",
        "Corrugated Box 12x12x12",
        "32 ECT, bundle of 25",
        "CS",
        "21.8000",
        "1410",
    ),
    (
        60021,
        "PKG-0210",
        "Stretch Film 18\" x 1500'",
        "80 gauge",
        "CS",
        "74.9500",
        "1410",
    ),
    (
        60022,
        "PKG-0300",
        "Packing Tape 2\" Clear",
        "36 rolls per case",
        "CS",
        "52.1000",
        "1410",
    ),
    (
        60030,
        "RAW-4410",
        "Aluminum Sheet 6061-T6",
        "0.063\" x 48\" x 96\"",
        "EA",
        "189.4400",
        "1410",
    ),
    (
        60031,
        "RAW-4500",
        "Steel Rod 1018 CD 1\"",
        "12 ft length",
        "EA",
        "37.2575",
        "1410",
    ),
    (
        60032,
        "RAW-5100",
        "Polyethylene Pellets HDPE",
        "Natural, bulk",
        "LB",
        "0.8725",
        "1410",
    ),
    (
        60033,
        "RAW-5200",
        "Copper Wire 12 AWG",
        "THHN, by the pound",
        "LB",
        "5.6350",
        "1410",
    ),
    (
        60040,
        "OFF-1000",
        "Copy Paper Letter 20lb",
        "10 reams per case",
        "CS",
        "48.9900",
        "6110",
    ),
    (
        60041,
        "OFF-1100",
        "Toner Cartridge HP 58X",
        "High yield, black",
        "EA",
        "162.3300",
        "6110",
    ),
    (
        60042,
        "OFF-1200",
        "Ballpoint Pens Blue",
        "Dozen",
        "BX",
        "7.1900",
        "6110",
    ),
    (
        60050,
        "MRO-2000",
        "Hydraulic Oil ISO 46",
        "5 gallon pail",
        "EA",
        "88.5000",
        "6120",
    ),
    (
        60051,
        "MRO-2100",
        "V-Belt A48",
        "Classical",
        "EA",
        "14.2700",
        "6120",
    ),
    (
        60052,
        "MRO-2200",
        "Safety Gloves Nitrile L",
        "100 per box",
        "BX",
        "16.9900",
        "6120",
    ),
    (
        60053,
        "MRO-2300",
        "LED Tube T8 4ft",
        "Ballast bypass",
        "CS",
        "96.0000",
        "6120",
    ),
    (
        60060,
        "SVC-1000",
        "Consulting Services",
        "Senior consultant",
        "HR",
        "185.0000",
        "6140",
    ),
    (
        60061,
        "SVC-1100",
        "Equipment Maintenance Labor",
        "Field technician",
        "HR",
        "95.5000",
        "6120",
    ),
    (
        60062,
        "SVC-1200",
        "Temporary Warehouse Labor",
        "Agency staff",
        "HR",
        "28.7500",
        "6170",
    ),
    (
        60063,
        "SVC-1300",
        "Software Subscription",
        "Annual, per seat",
        "EA",
        "420.0000",
        "6150",
    ),
    (
        60064,
        "SVC-1400",
        "Freight LTL",
        "Inbound shipment",
        "EA",
        "312.4000",
        "6210",
    ),
    (
        60065,
        "SVC-1500",
        "Legal Review",
        "Contract review",
        "HR",
        "310.0000",
        "6140",
    ),
    (
        60066,
        "SVC-1600",
        "Janitorial Service",
        "Monthly service",
        "EA",
        "1250.0000",
        "6290",
    ),
];

static NAME_A: [&str; 24] = [
    "Great Lakes",
    "Midwest",
    "Prairie",
    "Summit",
    "Harbor",
    "Keystone",
    "Pioneer",
    "Redwood",
    "Atlas",
    "Beacon",
    "Cardinal",
    "Liberty",
    "Granite",
    "Silverline",
    "Bluewater",
    "Ironbridge",
    "Northstar",
    "Evergreen",
    "Crescent",
    "Heartland",
    "Lone Star",
    "Tri-County",
    "Allied",
    "Precision",
];
static NAME_B: [&str; 16] = [
    "Industrial Supply",
    "Office Products",
    "Logistics",
    "Packaging",
    "Fasteners",
    "Electric",
    "Chemical",
    "Tool & Die",
    "Janitorial",
    "IT Services",
    "Freight",
    "Paper",
    "Safety Products",
    "Metals",
    "Plastics",
    "Consulting Group",
];
static NAME_C: [&str; 6] = ["Inc.", "LLC", "Corp.", "Co.", "Ltd.", "Company"];
static NAME_DE: [&str; 8] = [
    "Müller",
    "Schneider",
    "Rheinland",
    "Bayern",
    "Nordsee",
    "Hanse",
    "Alpen",
    "Weber",
];
static NAME_DE_B: [&str; 6] = [
    "Industriebedarf",
    "Verpackung",
    "Logistik",
    "Metallbau",
    "Elektro",
    "Bürobedarf",
];
static NAME_JP: [&str; 5] = ["Kansai", "Sakura", "Fuji", "Nippon", "Hoshi"];
static NAME_JP_B: [&str; 4] = ["Trading", "Precision", "Electronics", "Logistics"];
static STREETS: [&str; 10] = [
    "Industrial Pkwy",
    "Commerce Dr",
    "Main St",
    "Lake Shore Dr",
    "Enterprise Blvd",
    "Market St",
    "Harbor Rd",
    "Oak Ave",
    "Technology Way",
    "Airport Rd",
];
static US_CITIES: [(&str, &str, &str); 8] = [
    ("Chicago", "IL", "60607"),
    ("Dallas", "TX", "75201"),
    ("Milwaukee", "WI", "53202"),
    ("Columbus", "OH", "43215"),
    ("Denver", "CO", "80202"),
    ("Atlanta", "GA", "30303"),
    ("Minneapolis", "MN", "55401"),
    ("Kansas City", "MO", "64105"),
];
static DE_CITIES: [(&str, &str); 4] = [
    ("Frankfurt am Main", "60311"),
    ("München", "80331"),
    ("Hamburg", "20095"),
    ("Köln", "50667"),
];
static BUYERS: [&str; 5] = ["JSMITH", "MGARCIA", "TNGUYEN", "KOBRIEN", "APATEL"];

/// Rounds half away from zero to `dp` decimals (JDE's currency rounding).
pub(crate) fn round_to(v: Decimal, dp: u32) -> Decimal {
    let mut r = v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

/// Reference data: currencies, companies (with fiscal calendar), business units, accounts.
pub(crate) fn gen_reference(db: &mut Db, now: DateTime, open_prior_periods: u32, stamp: Stamp) {
    for (code, dec, desc) in CURRENCIES {
        db.tm("F0013").insert(vec![
            ("CRCD", Cell::s(code)),
            ("CDEC", Cell::Int(dec)),
            ("DL01", Cell::s(desc)),
        ]);
    }
    let (dfyj, pnc) = fiscal(now.date(), open_prior_periods);
    let mut aid = 1000_i64;
    for c in &COMPANIES {
        db.tm("F0010").insert(vec![
            ("CO", Cell::s(c.co)),
            ("NAME", Cell::s(c.name)),
            ("CRCD", Cell::s(c.crcd)),
            ("DFYJ", Cell::Int(ymd(dfyj))),
            ("PNC", Cell::Int(pnc)),
            ("DTPN", Cell::s("R")),
            ("APFJ", Cell::Int(ymd(dfyj))),
            ("APPN", Cell::Int(pnc)),
            ("UPMJ", Cell::Int(stamp.date)),
        ]);
        for (bi, (mcu, styl, dl01)) in c.bus.iter().enumerate() {
            db.tm("F0006").insert(vec![
                ("MCU", Cell::s(mcu)),
                ("STYL", Cell::s(styl)),
                ("LDM", Cell::s("6")),
                ("CO", Cell::s(c.co)),
                ("DL01", Cell::s(dl01)),
                ("UPMJ", Cell::Int(stamp.date)),
            ]);
            for (obj, sub, dl, pec) in CHART {
                // 6190 is closed to posting only in the branch/plant; elsewhere it is open, so
                // "non-postable" depends on the business unit, as it does in real charts.
                let pec = if obj == "6190" && bi != 0 { "" } else { pec };
                aid += 1;
                db.tm("F0901").insert(vec![
                    ("AID", Cell::s(&format!("{aid:08}"))),
                    ("CO", Cell::s(c.co)),
                    ("MCU", Cell::s(mcu)),
                    ("OBJ", Cell::s(obj)),
                    ("SUB", Cell::s(sub)),
                    ("DL01", Cell::s(dl)),
                    (
                        "LDA",
                        Cell::s(if pec == "N" && obj == "6100" {
                            "3"
                        } else {
                            "7"
                        }),
                    ),
                    ("PEC", Cell::s(pec)),
                    ("CRCD", Cell::s(c.crcd)),
                    ("UPMJ", Cell::Int(stamp.date)),
                ]);
            }
        }
    }
    // A business unit JDE closed (posting edit `N`): no order or account uses it any more,
    // its cost center must be inactive in JAGGAER.
    db.tm("F0006").insert(vec![
        ("MCU", Cell::s("190")),
        ("STYL", Cell::s("IS")),
        ("LDM", Cell::s("6")),
        ("CO", Cell::s(COMPANIES[0].co)),
        ("DL01", Cell::s("Former Warehouse (closed)")),
        ("PECC", Cell::s("N")),
        ("UPMJ", Cell::Int(stamp.date)),
    ]);
}

/// Writes (or replaces) one F0008 date pattern year: period ends in order; periods past the
/// last given one repeat its end date (how JDE marks unused periods). Returns false when the
/// ends are not 1–14 dates strictly after `begin` and ascending.
pub(crate) fn put_date_pattern(
    db: &mut Db,
    dtpn: &str,
    begin: Date,
    ends: &[Date],
    stamp: Stamp,
) -> bool {
    if ends.is_empty() || ends.len() > 14 || ends[0] <= begin {
        return false;
    }
    if ends.windows(2).any(|w| w[1] <= w[0]) {
        return false;
    }
    let t = db.tm("F0008");
    let (p, d) = (t.def.c("DTPN"), t.def.c("DFYJ"));
    t.rows
        .retain(|r| !(r[p].as_str() == dtpn && r[d].as_int() == ymd(begin)));
    let year = i64::from(begin.year());
    let mut row = vec![
        ("DTPN", Cell::s(dtpn)),
        ("DFYJ", Cell::Int(ymd(begin))),
        ("CTRY", Cell::Int(year / 100)),
        ("FY", Cell::Int(year % 100)),
    ];
    const ENDS: [&str; 14] = [
        "D01J", "D02J", "D03J", "D04J", "D05J", "D06J", "D07J", "D08J", "D09J", "D10J", "D11J",
        "D12J", "D13J", "D14J",
    ];
    let last = ends[ends.len() - 1];
    for (i, alias) in ENDS.iter().enumerate() {
        row.push((alias, Cell::Int(ymd(*ends.get(i).unwrap_or(&last)))));
    }
    row.push(("UPMJ", Cell::Int(stamp.date)));
    t.insert(row);
    true
}

/// Period ends of a regular calendar year (pattern `R`) starting at `begin`: twelve months.
pub(crate) fn monthly_ends(begin: Date) -> Vec<Date> {
    (1..=12)
        .filter_map(|m| {
            begin
                .checked_add((m as i64).months())
                .ok()?
                .yesterday()
                .ok()
        })
        .collect()
}

/// The last day of the fiscal year that starts on `begin`.
fn year_end(begin: Date) -> Date {
    begin
        .checked_add(1.year())
        .and_then(|d| d.yesterday())
        .unwrap_or(begin)
}

/// Period ends of a 4-4-5 year (pattern `F`): periods of 4, 4 and 5 weeks each quarter; the
/// last period runs to the end of the year, so the years leave no gap.
pub(crate) fn ends_445(begin: Date) -> Vec<Date> {
    let mut out = Vec::with_capacity(12);
    let mut end = begin;
    for q in 0..11 {
        let weeks = if q % 3 == 2 { 5 } else { 4 };
        end = end.checked_add((weeks * 7_i64).days()).unwrap_or(end);
        out.push(end.yesterday().unwrap_or(end));
    }
    out.push(year_end(begin));
    out
}

/// Period ends of a 13-period year (pattern `T`): thirteen periods of four weeks, the last
/// running to the end of the year.
pub(crate) fn ends_13(begin: Date) -> Vec<Date> {
    let mut out: Vec<Date> = (1..=12_i64)
        .filter_map(|p| begin.checked_add((p * 28).days()).ok()?.yesterday().ok())
        .collect();
    out.push(year_end(begin));
    out
}

/// Rate of one unit of a currency in US dollars (a plausible mid-market rate).
fn usd_value(crcd: &str) -> Decimal {
    let (m, s) = match crcd {
        "USD" => (1, 0),
        "EUR" => (108, 2),
        "GBP" => (127, 2),
        "CAD" => (74, 2),
        "MXN" => (58, 3),
        "JPY" => (67, 4),
        "KWD" => (325, 2),
        "BHD" => (265, 2),
        _ => (1, 0),
    };
    Decimal::new(m, s)
}

/// Calendars and exchange rates: F0008 patterns `R` (calendar months), `F` (4-4-5) and `T`
/// (13 periods of four weeks) for the years around now, and F0015 month-start rates from
/// every generated currency to each company currency (no dice: the rest of the data set
/// does not move when rates change).
fn gen_calendars_and_rates(db: &mut Db, now: DateTime, stamp: Stamp) {
    let year = now.date().year();
    for y in (year - 3)..=(year + 1) {
        let Ok(begin) = Date::new(y, 1, 1) else {
            continue;
        };
        put_date_pattern(db, "R", begin, &monthly_ends(begin), stamp);
        put_date_pattern(db, "F", begin, &ends_445(begin), stamp);
        put_date_pattern(db, "T", begin, &ends_13(begin), stamp);
    }
    let targets: Vec<&str> = {
        let mut v: Vec<&str> = COMPANIES.iter().map(|c| c.crcd).collect();
        v.dedup();
        v.sort();
        v.dedup();
        v
    };
    let Ok(first) = Date::new(year - 3, 1, 1) else {
        return;
    };
    let mut month = first;
    let mut i = 0_i64;
    while month <= now.date() {
        // A small deterministic drift so rates differ from month to month.
        let drift = Decimal::ONE + Decimal::new((i % 7) - 3, 3);
        for (from, _, _) in CURRENCIES {
            for to in &targets {
                if from == *to {
                    continue;
                }
                let crr = (usd_value(from) / usd_value(to) * drift).round_dp(7);
                let crrd = (Decimal::ONE / crr).round_dp(7);
                db.tm("F0015").insert(vec![
                    ("CRCD", Cell::s(from)),
                    ("CRDC", Cell::s(to)),
                    ("AN8", Cell::Int(0)),
                    ("RTTYP", Cell::s("")),
                    ("EFT", Cell::Int(ymd(month))),
                    ("CRR", Cell::d(crr)),
                    ("CRRD", Cell::d(crrd)),
                    ("UPMJ", Cell::Int(stamp.date)),
                ]);
            }
        }
        i += 1;
        month = match month.checked_add(1.month()) {
            Ok(m) => m,
            Err(_) => break,
        };
    }
}

/// Fiscal year start and first open period: calendar fiscal years, monthly periods; the open
/// window starts `open_prior_periods` months before the current month.
pub(crate) fn fiscal(today: Date, open_prior_periods: u32) -> (Date, i64) {
    let first_open = today
        .first_of_month()
        .checked_sub(i64::from(open_prior_periods).months())
        .unwrap_or(today.first_of_month());
    let dfyj = Date::new(first_open.year(), 1, 1).unwrap_or(first_open);
    (dfyj, i64::from(first_open.month()))
}

/// Adds one supplier (F0101, F0401, F0116, F01151) and returns its address number.
pub(crate) fn add_supplier(db: &mut Db, rng: &mut StdRng, stamp: Stamp, today: Date) -> i64 {
    let an8 = db.next_an8;
    db.next_an8 += 1;
    let region = rng.random_range(0..10);
    let (name, tax, crrp, city, state, zip, ctr) = match region {
        0..=6 => {
            let (city, st, zip) = *US_CITIES.choose(rng).unwrap_or(&US_CITIES[0]);
            let name = format!(
                "{} {} {}",
                NAME_A.choose(rng).unwrap_or(&"Atlas"),
                NAME_B.choose(rng).unwrap_or(&"Supply"),
                NAME_C.choose(rng).unwrap_or(&"Inc.")
            );
            let tax = format!(
                "{:02}-{:07}",
                rng.random_range(10..99),
                rng.random_range(0..10_000_000)
            );
            (name, tax, "USD", city.to_owned(), st, zip.to_owned(), "US")
        }
        7..=8 => {
            let (city, zip) = *DE_CITIES.choose(rng).unwrap_or(&DE_CITIES[0]);
            let name = format!(
                "{} {} GmbH",
                NAME_DE.choose(rng).unwrap_or(&"Weber"),
                NAME_DE_B.choose(rng).unwrap_or(&"Logistik")
            );
            let tax = format!("DE{:09}", rng.random_range(100_000_000..999_999_999));
            (name, tax, "EUR", city.to_owned(), "", zip.to_owned(), "DE")
        }
        _ => {
            let name = format!(
                "{} {} K.K.",
                NAME_JP.choose(rng).unwrap_or(&"Fuji"),
                NAME_JP_B.choose(rng).unwrap_or(&"Trading")
            );
            let tax = format!(
                "T{:013}",
                rng.random_range(1_000_000_000_000_i64..9_999_999_999_999)
            );
            (
                name,
                tax,
                "JPY",
                "Osaka".to_owned(),
                "",
                "530-0001".to_owned(),
                "JP",
            )
        }
    };
    let name: String = name.chars().take(40).collect();
    let alky = format!("V{an8}");
    db.tm("F0101").insert(vec![
        ("AN8", Cell::Int(an8)),
        ("ALKY", Cell::s(&alky)),
        ("ALPH", Cell::s(&name)),
        (
            "DC",
            Cell::s(&name.to_uppercase().replace([' ', '.', ',', '&'], "")),
        ),
        ("TAX", Cell::s(&tax)),
        ("AT1", Cell::s("V")),
        ("MCU", Cell::s("100")),
        ("TAXC", Cell::s("C")),
        ("UPMJ", Cell::Int(stamp.date)),
        ("UPMT", Cell::Int(stamp.time)),
        ("USER", Cell::s("JDEUSER")),
    ]);
    // About one supplier in fifteen is on payment hold.
    let hold = if rng.random_bool(1.0 / 15.0) { "Y" } else { "" };
    db.tm("F0401").insert(vec![
        ("AN8", Cell::Int(an8)),
        ("APC", Cell::s("")),
        ("MCUP", Cell::s("")),
        ("OBAP", Cell::s("")),
        ("CRRP", Cell::s(crrp)),
        (
            "TRAP",
            Cell::s(["N30", "N45", "N60", "2NT"][rng.random_range(0..4)]),
        ),
        ("HDPY", Cell::s(hold)),
        ("UPMJ", Cell::Int(stamp.date)),
        ("UPMT", Cell::Int(stamp.time)),
    ]);
    let street = format!(
        "{} {}",
        rng.random_range(100..9999),
        STREETS.choose(rng).unwrap_or(&"Main St")
    );
    let first_eff = today
        .checked_sub(rng.random_range(400..3000_i64).days())
        .unwrap_or(today);
    let addr = |db: &mut Db, eftb: Date, line1: &str| {
        db.tm("F0116").insert(vec![
            ("AN8", Cell::Int(an8)),
            ("EFTB", Cell::Int(ymd(eftb))),
            ("ADD1", Cell::s(line1)),
            ("ADD2", Cell::s("")),
            ("ADDZ", Cell::s(&zip)),
            ("CTY1", Cell::s(&city)),
            ("ADDS", Cell::s(state)),
            ("CTR", Cell::s(ctr)),
            ("UPMJ", Cell::Int(stamp.date)),
            ("UPMT", Cell::Int(stamp.time)),
        ]);
    };
    addr(db, first_eff, &street);
    match rng.random_range(0..20) {
        // A move recorded with a past effective date: the newer address is current.
        0..=3 => {
            let eff = today
                .checked_sub(rng.random_range(5..300_i64).days())
                .unwrap_or(today);
            let moved = format!(
                "{} {}",
                rng.random_range(100..9999),
                STREETS.choose(rng).unwrap_or(&"Oak Ave")
            );
            addr(db, eff, &moved);
        }
        // A move that takes effect in the future: the old address is still current.
        4 => {
            let eff = today
                .checked_add(rng.random_range(10..90_i64).days())
                .unwrap_or(today);
            addr(db, eff, "1 Future Relocation Plaza");
        }
        _ => {}
    }
    let slug: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(18)
        .collect();
    let emails: &[&str] = if rng.random_bool(0.3) {
        &["ap", "orders"]
    } else {
        &["ar"]
    };
    for (i, local) in emails.iter().enumerate() {
        db.tm("F01151").insert(vec![
            ("AN8", Cell::Int(an8)),
            ("IDLN", Cell::Int(0)),
            ("RCK7", Cell::Int(i as i64 + 1)),
            ("ETP", Cell::s("E")),
            ("EMAL", Cell::s(&format!("{local}@{slug}.example.com"))),
            ("UPMJ", Cell::Int(stamp.date)),
            ("UPMT", Cell::Int(stamp.time)),
        ]);
    }
    an8
}

/// Address number of the receiving address (ship-to, F4301.SHAN) of company `i` of
/// [`COMPANIES`]: a fixed range apart from suppliers', so adding them shifts no other number.
pub(crate) fn ship_to_an8(i: usize) -> i64 {
    9_100 + i as i64
}

/// (street, city, state, postal code, country) of each company's receiving address.
static SHIP_TO: [(&str, &str, &str, &str, &str); 4] = [
    ("1200 W Receiving Dr", "Chicago", "IL", "60607", "US"),
    ("400 Dock St", "Dallas", "TX", "75201", "US"),
    ("Lagerstrasse 7", "Frankfurt", "", "60311", "DE"),
    ("3-1 Nanko", "Osaka", "", "559-0034", "JP"),
];

/// Buyers (F4301.ANBY): address book entries (search type `E`) at fixed numbers, with names.
static BUYER_NAMES: [(i64, &str); 3] = [
    (9_201, "Okafor, Grace"),
    (9_202, "Lindqvist, Erik"),
    (9_203, "Tanaka, Yui"),
];

/// A few non-supplier address book entries (employees, customers, buyers, the companies'
/// receiving addresses), so AT1 filters matter and POs name a ship-to and a buyer.
pub(crate) fn add_other_addresses(db: &mut Db, stamp: Stamp) {
    for (i, (c, (street, city, state, zip, ctr))) in COMPANIES.iter().zip(SHIP_TO).enumerate() {
        let an8 = ship_to_an8(i);
        db.tm("F0101").insert(vec![
            ("AN8", Cell::Int(an8)),
            ("ALPH", Cell::s(&format!("{} Receiving", c.bus[0].2))),
            ("AT1", Cell::s("F")),
            ("UPMJ", Cell::Int(stamp.date)),
            ("UPMT", Cell::Int(stamp.time)),
        ]);
        db.tm("F0116").insert(vec![
            ("AN8", Cell::Int(an8)),
            ("ADD1", Cell::s(street)),
            ("CTY1", Cell::s(city)),
            ("ADDS", Cell::s(state)),
            ("ADDZ", Cell::s(zip)),
            ("CTR", Cell::s(ctr)),
            ("UPMJ", Cell::Int(stamp.date)),
            ("UPMT", Cell::Int(stamp.time)),
        ]);
    }
    for (an8, name) in BUYER_NAMES {
        db.tm("F0101").insert(vec![
            ("AN8", Cell::Int(an8)),
            ("ALPH", Cell::s(name)),
            ("AT1", Cell::s("E")),
            ("UPMJ", Cell::Int(stamp.date)),
            ("UPMT", Cell::Int(stamp.time)),
        ]);
    }
    for (at1, name) in [
        ("E", "Smith, John"),
        ("E", "Garcia, Maria"),
        ("C", "Riverside Retail Inc."),
        ("C", "Metro Hardware LLC"),
    ] {
        let an8 = db.next_an8;
        db.next_an8 += 1;
        db.tm("F0101").insert(vec![
            ("AN8", Cell::Int(an8)),
            ("ALPH", Cell::s(name)),
            ("AT1", Cell::s(at1)),
            ("UPMJ", Cell::Int(stamp.date)),
            ("UPMT", Cell::Int(stamp.time)),
        ]);
    }
}

/// Supplier facts needed to raise a PO.
#[derive(Debug, Clone)]
pub(crate) struct SupplierRef {
    pub(crate) an8: i64,
    pub(crate) crrp: String,
}

pub(crate) fn suppliers(db: &Db) -> Vec<SupplierRef> {
    let t = db.t("F0401");
    let (an8, crrp) = (t.def.c("AN8"), t.def.c("CRRP"));
    t.rows
        .iter()
        .map(|r| SupplierRef {
            an8: r[an8].as_int(),
            crrp: r[crrp].as_str().to_owned(),
        })
        .collect()
}

/// Adds one purchase order (F4301 + 1–20 F4311 lines) and returns its key.
pub(crate) fn add_po(
    db: &mut Db,
    rng: &mut StdRng,
    sups: &[SupplierRef],
    stamp: Stamp,
    trdj: Date,
) -> (String, i64, String) {
    let sup = &sups[rng.random_range(0..sups.len())];
    let doco = db.next_doco;
    db.next_doco += 1;
    // Suppliers are bought from in the company of their currency; USD suppliers by either
    // US company. Every fourth order from a EUR supplier is placed by the first US company in
    // EUR (CRRM `F`): FRRC/FEA hold the EUR amounts, PRRC/AEXP the USD ones for the books.
    // (Decided by DOCO, not by a draw, so the rest of the generated data stays as it was.)
    let foreign = sup.crrp == "EUR" && doco % 4 == 0;
    let company_i = match sup.crrp.as_str() {
        "EUR" if foreign => 0,
        "EUR" => 2,
        "JPY" => 3,
        _ => rng.random_range(0..2),
    };
    let company = &COMPANIES[company_i];
    // Dates and the buyer follow from what is drawn anyway (no extra draw, so the rest of the
    // generated data stays as it was): requested 3-29 days after the order, promised 2 days
    // after that.
    let buyer = BUYER_NAMES[(doco as usize) % BUYER_NAMES.len()].0;
    let crcd = if foreign { "EUR" } else { company.crcd };
    let dec = currency_decimals(crcd);
    // Units of the order's currency per USD.
    let fx = match crcd {
        "JPY" => Decimal::from(150),
        "EUR" => Decimal::new(92, 2),
        _ => Decimal::ONE,
    };
    let services = rng.random_bool(0.2);
    let dcto = if services { "OS" } else { "OP" };
    let bp = company.bus[0].0;
    let n_lines = if rng.random_bool(0.15) {
        1
    } else {
        rng.random_range(1..=20)
    };
    let mut lnid = Decimal::ZERO;
    let mut total = Decimal::ZERO;
    let mut line_rows = Vec::with_capacity(n_lines);
    let mut received_qty: Vec<Option<Decimal>> = Vec::with_capacity(n_lines);
    for i in 0..n_lines {
        // Every so often a line was inserted between two others in P4310 (LNID 2.5).
        lnid = if i > 0 && rng.random_bool(0.03) {
            lnid + Decimal::new(5, 1)
        } else {
            lnid.floor() + Decimal::ONE
        };
        let pool: Vec<_> = ITEMS
            .iter()
            .filter(|it| (it.4 == "HR" || it.0 >= 60063) == services)
            .collect();
        let item = pool.choose(rng).copied().unwrap_or(&ITEMS[0]);
        let qty = match item.4 {
            "LB" => Decimal::new(rng.random_range(1_000..500_000), 2),
            "HR" => Decimal::new(rng.random_range(1..160) * 25, 2),
            _ => Decimal::from(rng.random_range(1..200)),
        };
        let base: Decimal = item.5.parse().unwrap_or(Decimal::ONE);
        let factor = Decimal::new(rng.random_range(9_000..11_000), 4);
        let mut prrc = (base * factor * fx).round_dp(4);
        prrc.rescale(4);
        let mut aexp = round_to(qty * prrc, dec);
        // A foreign order: the price above is the foreign one; the domestic (USD) one is
        // converted at the order's rate.
        let (frrc, fea) = if foreign {
            let f = (prrc, aexp);
            prrc = (prrc / fx).round_dp(4);
            prrc.rescale(4);
            aexp = round_to(qty * prrc, currency_decimals(company.crcd));
            f
        } else {
            (Decimal::ZERO, Decimal::ZERO)
        };
        let (cancelled, closed, received) = (
            rng.random_bool(0.04),
            rng.random_bool(0.08),
            rng.random_bool(0.25),
        );
        let (nxtr, lttr) = match (cancelled, closed) {
            (true, _) => ("999", "980"),
            (false, true) => ("999", "400"),
            _ => ("400", "220"),
        };
        if !cancelled {
            total += aexp;
        }
        let omcu = if item.6 == "1410" {
            bp
        } else {
            company.bus[rng.random_range(1..company.bus.len())].0
        };
        let sub = if item.6 == "6140" && item.1 == "SVC-1500" {
            "01"
        } else {
            ""
        };
        let ani = if sub.is_empty() {
            format!("{omcu}.{}", item.6)
        } else {
            format!("{omcu}.{}.{sub}", item.6)
        };
        // Open to receive: nothing of a cancelled line, everything of the others until the
        // receipt below (received and closed lines are received in full).
        let (uopn, aopn) = if cancelled {
            (Decimal::ZERO, Decimal::ZERO)
        } else {
            (qty, aexp)
        };
        line_rows.push(vec![
            ("KCOO", Cell::s(company.co)),
            ("DOCO", Cell::Int(doco)),
            ("DCTO", Cell::s(dcto)),
            ("SFXO", Cell::s("000")),
            ("LNID", Cell::d(lnid)),
            ("MCU", Cell::s(bp)),
            ("AN8", Cell::Int(sup.an8)),
            ("ITM", Cell::Int(item.0)),
            ("LITM", Cell::s(item.1)),
            ("DSC1", Cell::s(item.2)),
            ("DSC2", Cell::s(item.3)),
            ("LNTY", Cell::s(if services { "J" } else { "S" })),
            ("UORG", Cell::d(qty)),
            ("UOM", Cell::s(item.4)),
            ("PRRC", Cell::d(prrc)),
            ("AEXP", Cell::d(aexp)),
            ("UREC", Cell::d(Decimal::ZERO)),
            ("UOPN", Cell::d(uopn)),
            ("AOPN", Cell::d(aopn)),
            ("AREC", Cell::d(Decimal::ZERO)),
            ("FRRC", Cell::d(frrc)),
            ("FEA", Cell::d(fea)),
            ("CRCD", Cell::s(crcd)),
            ("ANI", Cell::s(&ani)),
            ("OMCU", Cell::s(omcu)),
            ("OBJ", Cell::s(item.6)),
            ("SUB", Cell::s(sub)),
            ("NXTR", Cell::s(nxtr)),
            ("LTTR", Cell::s(lttr)),
            ("TRDJ", Cell::Int(ymd(trdj))),
            ("UPMJ", Cell::Int(stamp.date)),
            ("TDAY", Cell::Int(stamp.time)),
        ]);
        // Received and closed lines are received in full: their receipt is written once the
        // line is in F4311 (below).
        received_qty.push((received || closed).then_some(qty));
    }
    let hold = if rng.random_bool(0.05) { "B1" } else { "" };
    let drqj = trdj
        .checked_add(rng.random_range(3..30_i64).days())
        .unwrap_or(trdj);
    let pddj = drqj.checked_add(2.days()).unwrap_or(drqj);
    for (mut row, received) in line_rows.into_iter().zip(received_qty) {
        row.push(("DRQJ", Cell::Int(ymd(drqj))));
        row.push(("PDDJ", Cell::Int(ymd(pddj))));
        db.tm("F4311").insert(row);
        if let Some(qty) = received {
            let li = db.t("F4311").rows.len() - 1;
            super::vma::insert_receipt(db, li, qty, 1, ymd(trdj), stamp);
        }
    }
    db.tm("F4301").insert(vec![
        ("KCOO", Cell::s(company.co)),
        ("DOCO", Cell::Int(doco)),
        ("DCTO", Cell::s(dcto)),
        ("SFXO", Cell::s("000")),
        ("MCU", Cell::s(bp)),
        ("AN8", Cell::Int(sup.an8)),
        ("SHAN", Cell::Int(ship_to_an8(company_i))),
        ("ANBY", Cell::Int(buyer)),
        ("TRDJ", Cell::Int(ymd(trdj))),
        ("DRQJ", Cell::Int(ymd(drqj))),
        ("PDDJ", Cell::Int(ymd(pddj))),
        ("PTC", Cell::s("N30")),
        ("HOLD", Cell::s(hold)),
        ("OTOT", Cell::d(round_to(total, dec))),
        ("CRRM", Cell::s(if foreign { "F" } else { "D" })),
        ("CRCD", Cell::s(crcd)),
        ("ORBY", Cell::s(BUYERS.choose(rng).unwrap_or(&"JSMITH"))),
        (
            "VR01",
            Cell::s(&format!("REQ-{}", rng.random_range(10_000..99_999))),
        ),
        ("USER", Cell::s("JDEUSER")),
        ("UPMJ", Cell::Int(stamp.date)),
        ("TDAY", Cell::Int(stamp.time)),
    ]);
    (company.co.to_owned(), doco, dcto.to_owned())
}

/// Generates the whole data set.
pub(crate) fn generate(
    db: &mut Db,
    rng: &mut StdRng,
    suppliers_n: usize,
    pos_n: usize,
    now: DateTime,
    open_prior: u32,
) {
    let today = now.date();
    let setup = Stamp::of(now.checked_sub(90.days()).unwrap_or(now));
    gen_reference(db, now, open_prior, setup);
    gen_calendars_and_rates(db, now, setup);
    for _ in 0..suppliers_n {
        let s = Stamp::of(
            now.checked_sub(rng.random_range(30..400_i64).days())
                .unwrap_or(now),
        );
        add_supplier(db, rng, s, today);
    }
    add_other_addresses(db, setup);
    let sups = suppliers(db);
    // A pool of update stamps over the last 30 days, far smaller than the number of POs, so
    // many rows share one UPMJ/TDAY (as a mass update or a busy buyer's session would).
    let pool_n = (pos_n / 8).max(1);
    let mut pool: Vec<Stamp> = (0..pool_n)
        .map(|_| {
            let back = rng.random_range(0..30 * 24 * 3600_i64);
            Stamp::of(now.checked_sub(back.seconds()).unwrap_or(now))
        })
        .collect();
    pool.sort();
    for _ in 0..pos_n {
        let stamp = pool[rng.random_range(0..pool.len())];
        let trdj = date_of(stamp.date)
            .and_then(|d| d.checked_sub(rng.random_range(0..30_i64).days()).ok())
            .unwrap_or(today);
        add_po(db, rng, &sups, stamp, trdj);
    }
}
