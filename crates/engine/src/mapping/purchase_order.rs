//! JDE purchase order (F4301 + F4311) → JAGGAER purchase order.
//!
//! | JAGGAER | JDE source |
//! |---|---|
//! | `header.poNumber` | `KCOO-DCTO-DOCO` |
//! | `header.supplier.bravoId` | cross reference of F4301.AN8 (suppliers sync first) |
//! | `header.supplier.extCode` | F4301.AN8 |
//! | `header.orderDate` | F4301.TRDJ |
//! | `header.currency`, `total.currency` | F4301.CRCD |
//! | `header.total.value` | Σ line extended prices of lines not cancelled |
//! | `header.status` | `Cancelled` when every line is cancelled, `Closed` when every line is closed or cancelled, else `Open` |
//! | `poLine.lineNumber` | F4311.LNID (1, 1.5, …) |
//! | `poLine.description` | F4311.DSC1 + ` ` + DSC2 |
//! | `poLine.itemNumber` | F4311.LITM |
//! | `poLine.quantity` / `unitOfMeasure` | F4311.UORG / UOM |
//! | `poLine.unitPrice` / `extendedPrice` | F4311.PRRC / AEXP |
//! | `poLine.status` | `Cancelled` (LTTR 980), `Closed` (NXTR 999), else `Open` |
//! | `poLine` custom field `Account` | F4311.ANI, else OMCU.OBJ.SUB, as `BU.OBJ.SUB` |
//! | `poLine` custom field `CostCenter` | F4311.OMCU, else MCU (trimmed) |
use jiff::civil::Date;
use mlc_core::Decimal;
use mlc_core::model::{PoStatus, PurchaseOrder};
use serde::Serialize;

use super::MappingError;

/// What we send for a PO line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoLineOut {
    /// Line number.
    pub line_number: Decimal,
    /// Description.
    pub description: String,
    /// Item.
    pub item_number: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit of measure.
    pub unit_of_measure: String,
    /// Unit price.
    pub unit_price: Decimal,
    /// Extended price.
    pub extended_price: Decimal,
    /// Status word.
    pub status: &'static str,
    /// Account custom field.
    pub account: Option<String>,
    /// CostCenter custom field.
    pub cost_center: String,
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
    pub status: &'static str,
    /// Lines.
    pub lines: Vec<PoLineOut>,
}

/// Maps a PO whose supplier is known in JAGGAER as `bravo_id`.
pub fn map_po(po: &PurchaseOrder, bravo_id: &str) -> Result<PoOut, MappingError> {
    if po.lines.is_empty() {
        return Err(MappingError::new(
            "F4311",
            format!("PO {} has no lines", po.key),
        ));
    }
    if po.currency.trim().is_empty() {
        return Err(MappingError::new(
            "F4301.CRCD",
            format!("PO {} has no currency", po.key),
        ));
    }
    let mut lines: Vec<PoLineOut> = po
        .lines
        .iter()
        .map(|l| PoLineOut {
            line_number: l.line_number.normalize(),
            description: l.description.trim().to_owned(),
            item_number: l.item_number.trim().to_owned(),
            quantity: l.quantity.normalize(),
            unit_of_measure: l.unit_of_measure.trim().to_owned(),
            unit_price: l.unit_price.normalize(),
            extended_price: l.extended_price.normalize(),
            status: l.status.as_str(),
            account: l.account.as_ref().map(ToString::to_string),
            cost_center: l.cost_center.to_string(),
        })
        .collect();
    lines.sort_by_key(|l| l.line_number);
    let all = |f: &dyn Fn(PoStatus) -> bool| po.lines.iter().all(|l| f(l.status));
    let status = if all(&|s| s == PoStatus::Cancelled) {
        PoStatus::Cancelled
    } else if all(&|s| s != PoStatus::Open) {
        PoStatus::Closed
    } else {
        PoStatus::Open
    };
    let total = po
        .lines
        .iter()
        .filter(|l| l.status != PoStatus::Cancelled)
        .map(|l| l.extended_price)
        .sum::<Decimal>()
        .normalize();
    Ok(PoOut {
        po_number: po.key.to_string(),
        supplier_bravo_id: bravo_id.to_owned(),
        supplier_ext_code: po.supplier.to_string(),
        order_date: po.order_date,
        currency: po.currency.trim().to_owned(),
        total,
        status: status.as_str(),
        lines,
    })
}
