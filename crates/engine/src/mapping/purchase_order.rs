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
use jiff::civil::Date;
use mlc_core::Decimal;
use mlc_core::ids::{AccountNumber, AddressNumber, BusinessUnitCode, OrderKey};
use mlc_core::jdetime::JdeStamp;
use mlc_core::model::{PoLine, PoStatus};
use mlc_jde::F4311Row;
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
    /// `(UPMJ, TDAY)`.
    pub stamp: JdeStamp,
    /// The row as JDE returned it, for quarantine payloads.
    pub raw: serde_json::Value,
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

fn line_out(l: &PoLine, foreign: bool) -> PoLineOut {
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
        supplier_part_id,
        classification: DEFAULT_CLASSIFICATION,
    }
}

/// Maps a PO header and its lines; `bravo_id` is the supplier's JAGGAER id from the cross
/// reference (`None` when the supplier is not in JAGGAER yet).
pub fn map_po(
    h: &PoHeader,
    lines: &[PoLine],
    bravo_id: Option<&str>,
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
        .kind("unknown-supplier"));
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
    let mut out: Vec<PoLineOut> = lines.iter().map(|l| line_out(l, foreign)).collect();
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
            let err = map_po(&h, lines, bravo).expect_err(field);
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
            let po = map_po(&h, &[l.clone(), cancelled.clone()], Some("B1")).expect("maps");
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
        )
        .expect("maps");
        let v = serde_json::to_value(&po).expect("serialises");
        assert_eq!(v["status"], "Cancelled");
        assert_eq!(v["lines"][0]["status"], "Cancelled");
        assert!(v["lines"][0].get("classification").is_none());
    }
}
