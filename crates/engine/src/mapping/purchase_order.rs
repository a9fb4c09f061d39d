//! JDE purchase order (F4301 + F4311) → JAGGAER purchase order: every field rule of a PO, from
//! the F4311 columns to the JAGGAER-side model [`PoOut`] with every default applied. The
//! transports (J1P JSON, cXML) only serialise [`PoOut`].
//!
//! | JAGGAER | JDE source |
//! |---|---|
//! | `header.poNumber` | `KCOO-DCTO-DOCO` |
//! | `header.supplier.bravoId` | cross reference of F4301.AN8 (suppliers sync first); none → quarantine |
//! | `header.supplier.extCode` | F4301.AN8 |
//! | `header.orderDate` | F4301.TRDJ; blank → quarantine |
//! | `header.currency`, `total.currency` | F4301.CRCD (the order's currency, foreign when CRRM = `F`); blank → quarantine |
//! | `header.total.value` | Σ line extended prices of lines not cancelled |
//! | `header.status` | `Cancelled` when every line is cancelled, `Closed` when every line is closed or cancelled, else `Open` |
//! | `poLine.lineNumber` | F4311.LNID (1, 1.5, …) |
//! | `poLine.description` | F4311.DSC1 + ` ` + DSC2, else LITM |
//! | `poLine.itemNumber` | F4311.LITM (omitted when blank) |
//! | cXML `SupplierPartID` | F4311.LITM, else `NA` |
//! | `poLine.quantity` / `unitOfMeasure` | F4311.UORG / UOM, else `EA` |
//! | `poLine.unitPrice` / `extendedPrice` | F4301.CRRM = `F`: F4311.FRRC / FEA (in CRCD); else F4311.PRRC / AEXP |
//! | cXML `Classification` | `00000000` |
//! | `poLine.status` | `Cancelled` (LTTR = `po_cancelled_status`, 980), `Closed` (NXTR = `po_closed_status`, 999), else `Open` |
//! | `poLine` custom field `Account` | F4311.ANI, else OMCU.OBJ.SUB, as `BU.OBJ.SUB` |
//! | `poLine` custom field `CostCenter` | F4311.OMCU, else MCU (trimmed) |
//! | `header.shipTo` | F4301.SHAN: its F0101.ALPH and F0116 address in effect; none when SHAN is blank |
//! | `header.buyer` | F4301.ANBY with its F0101.ALPH; none when ANBY is blank |
//! | `header.orderedBy` | F4301.ORBY (a JDE user id); left out when blank |
//! | `header.paymentTerms` | F4301.PTC; left out when blank |
//! | `header.requestedDate` / `promisedDate` | F4301.DRQJ / PDDJ |
//! | `poLine.lineType` | F4311.LNTY (the code; its meaning is the customer's F40205) |
//! | `poLine.requestedDate` / `promisedDate` | F4311.DRQJ / PDDJ, else the header's |
//! | `poLine.quantityReceived` / `quantityOpen` | F4311.UREC / UOPN |
use jiff::civil::Date;
use mlc_core::Decimal;
use mlc_core::ids::{AccountNumber, AddressNumber, BusinessUnitCode, OrderKey};
use mlc_core::jdetime::JdeStamp;
use mlc_core::model::{PoLine, PoStatus};
use mlc_jde::{F0116Row, F4301Row, F4311Row};
use serde::Serialize;

use super::MappingError;

/// Unit of measure sent when F4311.UOM is blank (cXML requires one).
pub const DEFAULT_UNIT_OF_MEASURE: &str = "EA";
/// cXML `SupplierPartID` sent when F4311.LITM is blank (cXML requires one).
pub const DEFAULT_SUPPLIER_PART_ID: &str = "NA";
/// cXML `Classification` (UNSPSC) of every line: JDE holds none, cXML requires one.
pub const DEFAULT_CLASSIFICATION: &str = "00000000";

/// A PO header as read from F4301.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoHeader {
    /// Key.
    pub key: OrderKey,
    /// Supplier.
    pub supplier: AddressNumber,
    /// Business unit, trimmed.
    pub business_unit: String,
    /// Order date (TRDJ).
    pub order_date: Option<Date>,
    /// Currency mode (CRRM), trimmed: `F` = foreign, amounts from F4311 FRRC/FEA.
    pub currency_mode: String,
    /// Currency (CRCD): the foreign currency when `currency_mode` is `F`.
    pub currency: String,
    /// Hold code.
    pub hold_code: String,
    /// The header's content for buyers (ship-to, buyer, dates, terms).
    pub content: PoHeaderContent,
    /// `(UPMJ, TDAY)`.
    pub stamp: JdeStamp,
    /// The row as JDE returned it, for quarantine payloads.
    pub raw: serde_json::Value,
}

/// What buyers read on a PO header besides its key and amounts (F4301).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoHeaderContent {
    /// Ship-to address number (SHAN); `None` when blank.
    pub ship_to: Option<AddressNumber>,
    /// Buyer's address number (ANBY); `None` when blank.
    pub buyer: Option<AddressNumber>,
    /// Ordered by (ORBY), trimmed.
    pub originator: String,
    /// Payment terms code (PTC), trimmed.
    pub payment_terms: String,
    /// Requested date (DRQJ).
    pub requested_date: Option<Date>,
    /// Promised delivery date (PDDJ).
    pub promised_date: Option<Date>,
}

impl PoHeaderContent {
    /// The content of an F4301 row.
    pub fn from_f4301(r: &F4301Row) -> Self {
        let number = |n: i64| (n > 0).then_some(AddressNumber(n.max(0) as u64));
        Self {
            ship_to: number(r.shan),
            buyer: number(r.anby),
            originator: r.orby.trim().to_owned(),
            payment_terms: r.ptc.trim().to_owned(),
            requested_date: r.drqj,
            promised_date: r.pddj,
        }
    }
}

/// A postal address as sent (from F0116: the row in effect today).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PostalAddressOut {
    /// Non-blank lines of ADD1-ADD4.
    pub lines: Vec<String>,
    /// CTY1.
    pub city: String,
    /// ADDS.
    pub state: String,
    /// ADDZ.
    pub postal_code: String,
    /// CTR.
    pub country: String,
}

impl PostalAddressOut {
    /// The address of an F0116 row; `None` when it holds no line, city or country.
    pub fn from_f0116(r: &F0116Row) -> Option<Self> {
        let lines: Vec<String> = [&r.add1, &r.add2, &r.add3, &r.add4]
            .into_iter()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        let a = Self {
            lines,
            city: r.cty1.trim().to_owned(),
            state: r.adds.trim().to_owned(),
            postal_code: r.addz.trim().to_owned(),
            country: r.ctr.trim().to_owned(),
        };
        (!a.lines.is_empty() || !a.city.is_empty() || !a.country.is_empty()).then_some(a)
    }
}

/// An address book entry a PO names (its ship-to, its buyer): F0101.ALPH and the F0116
/// address in effect (EFTB <= today in `jde_timezone`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PartyOut {
    /// The address number (AN8).
    pub number: String,
    /// F0101.ALPH, trimmed (blank when the entry is unknown to JDE).
    pub name: String,
    /// F0116 address in effect, if any.
    pub address: Option<PostalAddressOut>,
}

/// The address book entries of a batch of POs, by number.
pub type Parties = std::collections::HashMap<AddressNumber, PartyOut>;

fn party(n: Option<AddressNumber>, parties: &Parties) -> Option<PartyOut> {
    n.map(|n| {
        parties.get(&n).cloned().unwrap_or_else(|| PartyOut {
            number: n.to_string(),
            ..PartyOut::default()
        })
    })
}

/// A PO line with its stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoLineRow {
    /// PO key.
    pub key: OrderKey,
    /// The line.
    pub line: PoLine,
    /// `(UPMJ, TDAY)`.
    pub stamp: JdeStamp,
    /// The row as JDE returned it.
    pub raw: serde_json::Value,
}

/// The F4311 status codes that mean a line is cancelled (`LTTR`) or closed (`NXTR`):
/// `[tenants.jde] po_cancelled_status` and `po_closed_status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoStatusCodes {
    /// Last status (LTTR) of a cancelled line.
    pub cancelled: String,
    /// Next status (NXTR) of a closed line.
    pub closed: String,
}

impl Default for PoStatusCodes {
    fn default() -> Self {
        Self {
            cancelled: "980".into(),
            closed: "999".into(),
        }
    }
}

/// A line's status: cancelled wins over closed.
pub fn line_status(lttr: &str, nxtr: &str, codes: &PoStatusCodes) -> PoStatus {
    if lttr.trim() == codes.cancelled.trim() {
        PoStatus::Cancelled
    } else if nxtr.trim() == codes.closed.trim() {
        PoStatus::Closed
    } else {
        PoStatus::Open
    }
}

/// A line's account: ANI when set (an unparseable ANI gives none), else `OMCU.OBJ.SUB` when
/// OMCU and OBJ are set.
pub fn line_account(ani: &str, omcu: &str, obj: &str, sub: &str) -> Option<AccountNumber> {
    let ani = ani.trim();
    if !ani.is_empty() {
        ani.parse::<AccountNumber>().ok()
    } else if !omcu.trim().is_empty() && !obj.trim().is_empty() {
        Some(AccountNumber::new(omcu, obj, sub))
    } else {
        None
    }
}

/// A line's cost center: OMCU, else MCU.
pub fn line_cost_center(omcu: &str, mcu: &str) -> BusinessUnitCode {
    BusinessUnitCode::new(if omcu.trim().is_empty() { mcu } else { omcu })
}

/// A line's description: the non-blank ones of DSC1 and DSC2, joined with a space.
pub fn line_description(dsc1: &str, dsc2: &str) -> String {
    [dsc1.trim(), dsc2.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A PO line from its F4311 row.
pub fn line_from_f4311(r: &F4311Row, codes: &PoStatusCodes) -> PoLine {
    PoLine {
        line_number: r.lnid,
        item_number: r.litm.trim().to_owned(),
        description: line_description(&r.dsc1, &r.dsc2),
        quantity: r.uorg,
        unit_of_measure: r.uom.trim().to_owned(),
        unit_price: r.prrc,
        extended_price: r.aexp,
        foreign_unit_price: r.frrc,
        foreign_extended_price: r.fea,
        account: line_account(&r.ani, &r.omcu, &r.obj, &r.sub),
        cost_center: line_cost_center(&r.omcu, &r.mcu),
        status: line_status(&r.lttr, &r.nxtr, codes),
        line_type: r.lnty.trim().to_owned(),
        quantity_received: r.urec,
        quantity_open: r.uopn,
        requested_date: r.drqj,
        promised_date: r.pddj,
    }
}

/// What we send for a PO line, every default applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoLineOut {
    /// Line number.
    pub line_number: Decimal,
    /// Description (the item number when JDE has none).
    pub description: String,
    /// Item, blank when JDE has none.
    pub item_number: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit of measure ([`DEFAULT_UNIT_OF_MEASURE`] when JDE has none).
    pub unit_of_measure: String,
    /// Unit price.
    pub unit_price: Decimal,
    /// Extended price.
    pub extended_price: Decimal,
    /// Status.
    pub status: PoStatus,
    /// Account custom field.
    pub account: Option<String>,
    /// CostCenter custom field.
    pub cost_center: String,
    /// Line type code (LNTY); blank when JDE has none.
    pub line_type: String,
    /// Requested date: the line's DRQJ, else the header's.
    pub requested_date: Option<Date>,
    /// Promised date: the line's PDDJ, else the header's.
    pub promised_date: Option<Date>,
    /// Quantity received (UREC).
    pub quantity_received: Decimal,
    /// Quantity open (UOPN).
    pub quantity_open: Decimal,
    /// cXML `SupplierPartID`: the item number, else [`DEFAULT_SUPPLIER_PART_ID`]. Derived
    /// from `item_number`, so not part of the fingerprint.
    #[serde(skip)]
    pub supplier_part_id: String,
    /// cXML `Classification`: [`DEFAULT_CLASSIFICATION`]. A constant, so not part of the
    /// fingerprint.
    #[serde(skip)]
    pub classification: &'static str,
}

/// What we send for a PO. Its fingerprint is what the ledger compares, so a receipt that
/// changes none of these fields causes no write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoOut {
    /// `KCOO-DCTO-DOCO`.
    pub po_number: String,
    /// Supplier's JAGGAER id.
    pub supplier_bravo_id: String,
    /// Supplier's JDE AN8.
    pub supplier_ext_code: String,
    /// Order date.
    pub order_date: Date,
    /// Currency.
    pub currency: String,
    /// Total of lines not cancelled.
    pub total: Decimal,
    /// Header status.
    pub status: PoStatus,
    /// Ship-to (SHAN) with its name and address.
    pub ship_to: Option<PartyOut>,
    /// Buyer (ANBY) with its name.
    pub buyer: Option<PartyOut>,
    /// Ordered by (ORBY); blank when JDE has none.
    pub originator: String,
    /// Payment terms code (PTC); blank when JDE has none.
    pub payment_terms: String,
    /// Requested date (F4301.DRQJ).
    pub requested_date: Option<Date>,
    /// Promised date (F4301.PDDJ).
    pub promised_date: Option<Date>,
    /// Lines, by line number.
    pub lines: Vec<PoLineOut>,
}

/// The status of a PO from its lines: `Cancelled` when every line is cancelled, `Closed` when
/// none is open, else `Open`.
pub fn header_status(lines: &[PoStatus]) -> PoStatus {
    if lines.iter().all(|s| *s == PoStatus::Cancelled) {
        PoStatus::Cancelled
    } else if lines.iter().all(|s| *s != PoStatus::Open) {
        PoStatus::Closed
    } else {
        PoStatus::Open
    }
}

/// The kind of the mapping error of a PO whose supplier is not in JAGGAER yet: the PO waits.
pub const UNKNOWN_SUPPLIER: &str = "unknown-supplier";

/// The F4301 `CRRM` of an order in a foreign currency.
pub const FOREIGN_CURRENCY_MODE: &str = "F";

/// Whether an order is in a foreign currency (F4301.CRRM = `F`): its amounts in the order's
/// currency are then F4311 FRRC/FEA; PRRC/AEXP are the domestic ones for JDE's books.
pub fn is_foreign(currency_mode: &str) -> bool {
    currency_mode.trim() == FOREIGN_CURRENCY_MODE
}

/// A line's unit price and extended price in the order's currency.
pub fn line_amounts(l: &PoLine, foreign: bool) -> (Decimal, Decimal) {
    if foreign {
        (l.foreign_unit_price, l.foreign_extended_price)
    } else {
        (l.unit_price, l.extended_price)
    }
}

fn line_out(l: &PoLine, foreign: bool, h: &PoHeaderContent) -> PoLineOut {
    let (unit_price, extended_price) = line_amounts(l, foreign);
    let item_number = l.item_number.trim().to_owned();
    let description = match l.description.trim() {
        "" => item_number.clone(),
        d => d.to_owned(),
    };
    let unit_of_measure = match l.unit_of_measure.trim() {
        "" => DEFAULT_UNIT_OF_MEASURE.to_owned(),
        u => u.to_owned(),
    };
    let supplier_part_id = if item_number.is_empty() {
        DEFAULT_SUPPLIER_PART_ID.to_owned()
    } else {
        item_number.clone()
    };
    PoLineOut {
        line_number: l.line_number.normalize(),
        description,
        item_number,
        quantity: l.quantity.normalize(),
        unit_of_measure,
        unit_price: unit_price.normalize(),
        extended_price: extended_price.normalize(),
        status: l.status,
        account: l.account.as_ref().map(ToString::to_string),
        cost_center: l.cost_center.to_string(),
        line_type: l.line_type.trim().to_owned(),
        requested_date: l.requested_date.or(h.requested_date),
        promised_date: l.promised_date.or(h.promised_date),
        quantity_received: l.quantity_received.normalize(),
        quantity_open: l.quantity_open.normalize(),
        supplier_part_id,
        classification: DEFAULT_CLASSIFICATION,
    }
}

/// Maps a PO header and its lines; `bravo_id` is the supplier's JAGGAER id from the cross
/// reference (`None` when the supplier is not in JAGGAER yet), `parties` the address book
/// entries of the batch (ship-to and buyer; one that is missing goes with its number only).
pub fn map_po(
    h: &PoHeader,
    lines: &[PoLine],
    bravo_id: Option<&str>,
    parties: &Parties,
) -> Result<PoOut, MappingError> {
    let Some(order_date) = h.order_date else {
        return Err(MappingError::new(
            "F4301.TRDJ",
            format!("PO {} has no order date", h.key),
        ));
    };
    let Some(bravo_id) = bravo_id else {
        return Err(MappingError::new(
            "F4301.AN8",
            format!(
                "supplier {} of PO {} is not in JAGGAER yet (not synced, or quarantined): retry once it is",
                h.supplier, h.key
            ),
        )
        .kind(UNKNOWN_SUPPLIER));
    };
    if lines.is_empty() {
        return Err(MappingError::new(
            "F4311",
            format!("PO {} has no lines", h.key),
        ));
    }
    if h.currency.trim().is_empty() {
        return Err(MappingError::new(
            "F4301.CRCD",
            format!("PO {} has no currency", h.key),
        ));
    }
    let foreign = is_foreign(&h.currency_mode);
    let c = &h.content;
    let mut out: Vec<PoLineOut> = lines.iter().map(|l| line_out(l, foreign, c)).collect();
    out.sort_by_key(|l| l.line_number);
    let statuses: Vec<PoStatus> = lines.iter().map(|l| l.status).collect();
    let total = out
        .iter()
        .filter(|l| l.status != PoStatus::Cancelled)
        .try_fold(Decimal::ZERO, |t, l| t.checked_add(l.extended_price))
        .ok_or_else(|| {
            MappingError::new(
                if foreign { "F4311.FEA" } else { "F4311.AEXP" },
                format!("PO {}: the total of its lines overflows", h.key),
            )
        })?
        .normalize();
    Ok(PoOut {
        po_number: h.key.to_string(),
        supplier_bravo_id: bravo_id.to_owned(),
        supplier_ext_code: h.supplier.to_string(),
        order_date,
        currency: h.currency.trim().to_owned(),
        total,
        status: header_status(&statuses),
        ship_to: party(c.ship_to, parties),
        buyer: party(c.buyer, parties).map(|b| PartyOut { address: None, ..b }),
        originator: c.originator.clone(),
        payment_terms: c.payment_terms.clone(),
        requested_date: c.requested_date,
        promised_date: c.promised_date,
        lines: out,
    })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use mlc_core::jdetime::TimeOfDay;
    use mlc_jde::JdeRow;

    fn codes() -> PoStatusCodes {
        PoStatusCodes::default()
    }

    #[test]
    fn line_status_table() {
        let custom = PoStatusCodes {
            cancelled: "985".into(),
            closed: "990".into(),
        };
        let cases = [
            ("980", "999", &codes(), PoStatus::Cancelled),
            ("980", "400", &codes(), PoStatus::Cancelled),
            (" 980", "", &codes(), PoStatus::Cancelled),
            ("400", "999", &codes(), PoStatus::Closed),
            ("400", "999 ", &codes(), PoStatus::Closed),
            ("400", "500", &codes(), PoStatus::Open),
            ("", "", &codes(), PoStatus::Open),
            ("980", "999", &custom, PoStatus::Open),
            ("985", "999", &custom, PoStatus::Cancelled),
            ("400", "990", &custom, PoStatus::Closed),
        ];
        for (lttr, nxtr, c, want) in cases {
            assert_eq!(
                line_status(lttr, nxtr, c),
                want,
                "LTTR {lttr:?} NXTR {nxtr:?}"
            );
        }
    }

    #[test]
    fn line_account_table() {
        let cases = [
            ("30.6110", "", "", "", Some("30.6110")),
            ("  30.6110.01 ", "40", "7000", "", Some("30.6110.01")),
            ("", "30", "6110", "", Some("30.6110")),
            ("", "30", "6110", "02", Some("30.6110.02")),
            ("", "", "6110", "", None),
            ("", "30", "", "", None),
            ("", "", "", "", None),
        ];
        for (ani, omcu, obj, sub, want) in cases {
            assert_eq!(
                line_account(ani, omcu, obj, sub).map(|a| a.to_string()),
                want.map(str::to_owned),
                "ANI {ani:?} OMCU {omcu:?} OBJ {obj:?} SUB {sub:?}"
            );
        }
    }

    #[test]
    fn cost_center_and_description_tables() {
        for (omcu, mcu, want) in [("30", "10", "30"), ("", "10", "10"), ("  ", " 10", "10")] {
            assert_eq!(line_cost_center(omcu, mcu).to_string(), want);
        }
        for (d1, d2, want) in [
            ("Paper", "A4", "Paper A4"),
            ("Paper ", "", "Paper"),
            ("", "A4", "A4"),
            ("", " ", ""),
        ] {
            assert_eq!(line_description(d1, d2), want);
        }
    }

    #[test]
    fn a_decoded_f4311_row_becomes_a_line() {
        let row = serde_json::json!({
            "F4311_KCOO": "00200", "F4311_DOCO": 4711, "F4311_DCTO": "OP", "F4311_LNID": 1.5,
            "F4311_MCU": "        10", "F4311_LITM": "PAPER-A4", "F4311_DSC1": "Paper",
            "F4311_DSC2": "A4", "F4311_UORG": 10, "F4311_UOM": "BX", "F4311_PRRC": 2.5,
            "F4311_AEXP": 25, "F4311_ANI": "", "F4311_OMCU": "30", "F4311_OBJ": "6110",
            "F4311_SUB": "", "F4311_LTTR": "400", "F4311_NXTR": "999"
        });
        let r = F4311Row::decode(row.as_object().expect("object"), 0).expect("decodes");
        let l = line_from_f4311(&r, &codes());
        assert_eq!(l.line_number, Decimal::new(15, 1));
        assert_eq!(l.description, "Paper A4");
        assert_eq!(l.account.map(|a| a.to_string()).as_deref(), Some("30.6110"));
        assert_eq!(l.cost_center.to_string(), "30");
        assert_eq!(l.status, PoStatus::Closed);
        assert_eq!(l.unit_of_measure, "BX");
    }

    fn header(order_date: Option<Date>, currency: &str) -> PoHeader {
        PoHeader {
            key: OrderKey::new("00200", "OP", 4711),
            supplier: AddressNumber(4343),
            business_unit: "10".into(),
            order_date,
            currency_mode: "D".into(),
            currency: currency.into(),
            hold_code: String::new(),
            content: PoHeaderContent::default(),
            stamp: JdeStamp::new(Date::constant(2026, 1, 1), TimeOfDay::MIDNIGHT),
            raw: serde_json::Value::Null,
        }
    }

    fn line(n: i64, price: i64, status: PoStatus) -> PoLine {
        PoLine {
            line_number: Decimal::from(n),
            item_number: String::new(),
            description: String::new(),
            quantity: Decimal::ONE,
            unit_of_measure: String::new(),
            unit_price: Decimal::from(price),
            extended_price: Decimal::from(price),
            foreign_unit_price: Decimal::ZERO,
            foreign_extended_price: Decimal::ZERO,
            account: None,
            cost_center: BusinessUnitCode::new("10"),
            status,
            line_type: String::new(),
            quantity_received: Decimal::ZERO,
            quantity_open: Decimal::ONE,
            requested_date: None,
            promised_date: None,
        }
    }

    #[test]
    fn header_checks_quarantine_with_the_field_named() {
        let d = Some(Date::constant(2026, 3, 1));
        let one = [line(1, 10, PoStatus::Open)];
        // (header, lines, supplier's bravoId, field named, reason word)
        type Case<'a> = (PoHeader, &'a [PoLine], Option<&'a str>, &'a str, &'a str);
        let cases: [Case; 4] = [
            (
                header(None, "USD"),
                &one,
                Some("B1"),
                "F4301.TRDJ",
                "mapping",
            ),
            (
                header(d, "USD"),
                &one,
                None,
                "F4301.AN8",
                "unknown-supplier",
            ),
            (header(d, "USD"), &[], Some("B1"), "F4311", "mapping"),
            (header(d, " "), &one, Some("B1"), "F4301.CRCD", "mapping"),
        ];
        for (h, lines, bravo, field, kind) in cases {
            let err = map_po(&h, lines, bravo, &Parties::new()).expect_err(field);
            assert_eq!((err.field.as_str(), err.kind), (field, kind));
        }
    }

    #[test]
    fn header_status_and_total_follow_the_lines() {
        use PoStatus::*;
        let cases: [(&[PoStatus], PoStatus, i64); 5] = [
            (&[Open, Open], Open, 30),
            (&[Open, Cancelled], Open, 10),
            (&[Closed, Cancelled], Closed, 10),
            (&[Closed, Closed], Closed, 30),
            (&[Cancelled, Cancelled], Cancelled, 0),
        ];
        for (statuses, want, total) in cases {
            let lines: Vec<PoLine> = statuses
                .iter()
                .enumerate()
                .map(|(i, s)| line(i as i64 + 1, 10 * (i as i64 + 1), *s))
                .collect();
            let po = map_po(
                &header(Some(Date::constant(2026, 3, 1)), "USD"),
                &lines,
                Some("B1"),
                &Parties::new(),
            )
            .expect("maps");
            assert_eq!(
                (po.status, po.total),
                (want, Decimal::from(total)),
                "{statuses:?}"
            );
        }
    }

    #[test]
    fn defaults_are_applied_once_in_the_model() {
        let mut with = line(2, 10, PoStatus::Open);
        with.item_number = " PAPER ".into();
        with.unit_of_measure = "BX".into();
        with.description = "Paper".into();
        let bare = line(1, 10, PoStatus::Open);
        let po = map_po(
            &header(Some(Date::constant(2026, 3, 1)), "USD"),
            &[with, bare],
            Some("B1"),
            &Parties::new(),
        )
        .expect("maps");
        let got: Vec<_> = po
            .lines
            .iter()
            .map(|l| {
                (
                    l.item_number.as_str(),
                    l.supplier_part_id.as_str(),
                    l.description.as_str(),
                    l.unit_of_measure.as_str(),
                    l.classification,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("", "NA", "", "EA", "00000000"),
                ("PAPER", "PAPER", "Paper", "BX", "00000000"),
            ]
        );
    }

    #[test]
    fn a_foreign_order_sends_the_foreign_amounts_in_its_currency() {
        // A EUR order of a USD company: PRRC/AEXP are the USD book amounts, FRRC/FEA the EUR
        // ones the supplier was promised.
        let row = serde_json::json!({
            "F4311_KCOO": "00200", "F4311_DOCO": 4711, "F4311_DCTO": "OP", "F4311_LNID": 1,
            "F4311_UORG": 4, "F4311_PRRC": 10.8696, "F4311_AEXP": 43.48,
            "F4311_FRRC": 10.0000, "F4311_FEA": 40.00, "F4311_CRCD": "EUR"
        });
        let r = F4311Row::decode(row.as_object().expect("object"), 0).expect("decodes");
        let l = line_from_f4311(&r, &codes());
        let mut cancelled = l.clone();
        cancelled.line_number = Decimal::from(2);
        cancelled.status = PoStatus::Cancelled;
        let d = Some(Date::constant(2026, 3, 1));
        // (CRRM, CRCD, unit price, extended price, total)
        let cases = [
            ("F", "EUR", "10", "40", "40"),
            (" F", "EUR", "10", "40", "40"),
            ("D", "USD", "10.8696", "43.48", "43.48"),
            ("", "USD", "10.8696", "43.48", "43.48"),
        ];
        for (crrm, crcd, unit, ext, total) in cases {
            let mut h = header(d, crcd);
            h.currency_mode = crrm.into();
            let po = map_po(
                &h,
                &[l.clone(), cancelled.clone()],
                Some("B1"),
                &Parties::new(),
            )
            .expect("maps");
            let dec = |s: &str| s.parse::<Decimal>().expect("decimal");
            assert_eq!(
                (
                    po.currency.as_str(),
                    po.lines[0].unit_price,
                    po.lines[0].extended_price,
                    po.total
                ),
                (crcd, dec(unit), dec(ext), dec(total)),
                "CRRM {crrm:?}"
            );
        }
    }

    #[test]
    fn a_total_that_overflows_is_quarantined_not_a_panic() {
        let mut big = line(1, 1, PoStatus::Open);
        big.extended_price = Decimal::MAX;
        let mut other = big.clone();
        other.line_number = Decimal::from(2);
        let err = map_po(
            &header(Some(Date::constant(2026, 3, 1)), "USD"),
            &[big, other],
            Some("B1"),
            &Parties::new(),
        )
        .expect_err("overflows");
        assert_eq!(err.field, "F4311.AEXP");
    }

    #[test]
    fn status_serialises_as_the_jaggaer_word() {
        // The fingerprint of earlier versions held the status as its word: keep it so.
        let po = map_po(
            &header(Some(Date::constant(2026, 3, 1)), "USD"),
            &[line(1, 10, PoStatus::Cancelled)],
            Some("B1"),
            &Parties::new(),
        )
        .expect("maps");
        let v = serde_json::to_value(&po).expect("serialises");
        assert_eq!(v["status"], "Cancelled");
        assert_eq!(v["lines"][0]["status"], "Cancelled");
        assert!(v["lines"][0].get("classification").is_none());
    }

    #[test]
    fn po_content_comes_from_its_jde_columns() {
        // Every content column as AIS returns it, and what reaches the JAGGAER-side model.
        let h = serde_json::json!({
            "F4301_KCOO": "00200", "F4301_DOCO": 4711, "F4301_DCTO": "OP", "F4301_AN8": 4343,
            "F4301_SHAN": 7001, "F4301_ANBY": 8001, "F4301_ORBY": "JSMITH    ",
            "F4301_PTC": "N30", "F4301_DRQJ": "20260310", "F4301_PDDJ": "20260315",
            "F4301_TRDJ": "20260301", "F4301_CRCD": "USD", "F4301_OTOT": 20
        });
        let h = F4301Row::decode(h.as_object().expect("object"), 0).expect("decodes");
        let content = PoHeaderContent::from_f4301(&h);
        let l = serde_json::json!({
            "F4311_KCOO": "00200", "F4311_DOCO": 4711, "F4311_DCTO": "OP", "F4311_LNID": 1,
            "F4311_UORG": 10, "F4311_PRRC": 2, "F4311_AEXP": 20, "F4311_LNTY": "S ",
            "F4311_UREC": 4, "F4311_UOPN": 6, "F4311_PDDJ": "20260320", "F4311_DRQJ": ""
        });
        let l = F4311Row::decode(l.as_object().expect("object"), 0).expect("decodes");
        let line = line_from_f4311(&l, &codes());
        let mut blank = line.clone();
        blank.line_number = Decimal::from(2);
        blank.line_type = String::new();
        blank.promised_date = None;
        let mut hd = header(Some(Date::constant(2026, 3, 1)), "USD");
        hd.content = content;
        let ship = PartyOut {
            number: "7001".into(),
            name: "Plant 10 dock".into(),
            address: Some(PostalAddressOut {
                lines: vec!["1 Dock Rd".into()],
                city: "Chicago".into(),
                country: "US".into(),
                ..PostalAddressOut::default()
            }),
        };
        let buyer = PartyOut {
            number: "8001".into(),
            name: "Pat Buyer".into(),
            address: ship.address.clone(),
        };
        let parties: Parties = [
            (AddressNumber(7001), ship.clone()),
            (AddressNumber(8001), buyer),
        ]
        .into_iter()
        .collect();
        let po = map_po(&hd, &[line, blank], Some("B1"), &parties).expect("maps");
        let d = |m, day| Some(Date::constant(2026, m, day));
        assert_eq!(po.ship_to.as_ref(), Some(&ship));
        // The buyer goes by name; their postal address is not the order's business.
        let b = po.buyer.as_ref().expect("buyer");
        assert_eq!(
            (b.number.as_str(), b.name.as_str(), &b.address),
            ("8001", "Pat Buyer", &None)
        );
        assert_eq!(
            (
                po.originator.as_str(),
                po.payment_terms.as_str(),
                po.requested_date,
                po.promised_date
            ),
            ("JSMITH", "N30", d(3, 10), d(3, 15))
        );
        // (line type, requested, promised, received, open): a blank line date falls back on
        // the header's.
        let got: Vec<_> = po
            .lines
            .iter()
            .map(|l| {
                (
                    l.line_type.as_str(),
                    l.requested_date,
                    l.promised_date,
                    l.quantity_received,
                    l.quantity_open,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("S", d(3, 10), d(3, 20), Decimal::from(4), Decimal::from(6)),
                ("", d(3, 10), d(3, 15), Decimal::from(4), Decimal::from(6)),
            ]
        );
        // Blank SHAN / ANBY: no ship-to, no buyer; an entry JDE lacks goes by number only.
        let mut bare = hd.clone();
        bare.content.ship_to = None;
        bare.content.buyer = Some(AddressNumber(9999));
        let po = map_po(
            &bare,
            &[line_from_f4311(&l, &codes())],
            Some("B1"),
            &parties,
        )
        .expect("maps");
        assert_eq!(po.ship_to, None);
        assert_eq!(
            po.buyer,
            Some(PartyOut {
                number: "9999".into(),
                ..PartyOut::default()
            })
        );
    }
}
