//! What the connector moves, independent of either system's wire format. The engine's mapping
//! turns client rows into these and these into the other system's requests.
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{AccountNumber, AddressNumber, BusinessUnitCode, JaggaerId, OrderKey};
use crate::jdetime::JdeStamp;

/// A JDE supplier: F0401 joined with F0101 (name, tax id), F0116 (address), F01151 (e-mail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplier {
    /// Address number (AN8), the key.
    pub an8: AddressNumber,
    /// Alpha name (ABALPH).
    pub name: String,
    /// Tax id (ABTAX), empty when none.
    pub tax_id: String,
    /// Street address (F0116 ADD1..ADD4 joined), empty when none.
    pub address: String,
    /// City (CTY1).
    pub city: String,
    /// Postal code (ADDZ).
    pub postal_code: String,
    /// ISO country (CTR).
    pub country: String,
    /// E-mail (F01151 EMAL), if any.
    pub email: Option<String>,
    /// Default A/P currency (A6CRRP).
    pub currency: String,
    /// False when the `inactive_suppliers` rule says the supplier is closed (a payment hold,
    /// A6HDPY, is not inactive).
    pub active: bool,
    /// Last update in JDE.
    pub updated: JdeStamp,
}

/// A GL account from F0901.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlAccount {
    /// `BU.OBJ.SUB`.
    pub account: AccountNumber,
    /// Short account id (GMAID).
    pub aid: String,
    /// Company (GMCO).
    pub company: String,
    /// Description (GMDL01).
    pub description: String,
    /// Posting edit code blank: postable.
    pub postable: bool,
}

/// A business unit / cost center from F0006.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessUnit {
    /// Trimmed MCU.
    pub code: BusinessUnitCode,
    /// Company (MCCO).
    pub company: String,
    /// Description (MCDL01).
    pub description: String,
    /// BU type (MCSTYL).
    pub kind: String,
    /// Open for posting: the posting edit (MCPECC) is blank. A closed business unit's cost
    /// center is inactive in JAGGAER.
    #[serde(default = "open_for_posting")]
    pub postable: bool,
}

fn open_for_posting() -> bool {
    true
}

/// Status of a PO or PO line as JAGGAER is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PoStatus {
    /// Open.
    Open,
    /// Closed (all received / status 999).
    Closed,
    /// Cancelled.
    Cancelled,
}

impl PoStatus {
    /// The JAGGAER wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            PoStatus::Open => "Open",
            PoStatus::Closed => "Closed",
            PoStatus::Cancelled => "Cancelled",
        }
    }
}

/// A purchase order: F4301 header plus its F4311 lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    /// `KCOO-DCTO-DOCO`.
    pub key: OrderKey,
    /// Supplier (PHAN8).
    pub supplier: AddressNumber,
    /// Business unit (PHMCU), trimmed.
    pub business_unit: BusinessUnitCode,
    /// Order date (PHTRDJ).
    pub order_date: Date,
    /// Currency (PHCRCD).
    pub currency: String,
    /// Hold code (PHHOLD), empty when not on hold.
    pub hold_code: String,
    /// Lines.
    pub lines: Vec<PoLine>,
    /// Latest of the header's and the lines' `(UPMJ, TDAY)`.
    pub updated: JdeStamp,
}

/// A PO line from F4311.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoLine {
    /// Line number (LNID / 1000), e.g. `1` or `1.5`.
    pub line_number: Decimal,
    /// Item number (LITM).
    pub item_number: String,
    /// Description (DSC1 + DSC2).
    pub description: String,
    /// Quantity ordered (UORG).
    pub quantity: Decimal,
    /// Unit of measure (UOM).
    pub unit_of_measure: String,
    /// Unit cost (PRRC).
    pub unit_price: Decimal,
    /// Extended price (AEXP).
    pub extended_price: Decimal,
    /// Foreign unit cost (FRRC), zero on a domestic order.
    #[serde(default)]
    pub foreign_unit_price: Decimal,
    /// Foreign extended price (FEA), zero on a domestic order.
    #[serde(default)]
    pub foreign_extended_price: Decimal,
    /// Account (ANI, or OMCU.OBJ.SUB).
    pub account: Option<AccountNumber>,
    /// Cost center (OMCU or MCU).
    pub cost_center: BusinessUnitCode,
    /// Line status.
    pub status: PoStatus,
    /// Line type (LNTY), trimmed; blank when JDE has none.
    #[serde(default)]
    pub line_type: String,
    /// Quantity received (UREC).
    #[serde(default)]
    pub quantity_received: Decimal,
    /// Quantity open (UOPN).
    #[serde(default)]
    pub quantity_open: Decimal,
    /// Requested date (DRQJ).
    #[serde(default)]
    pub requested_date: Option<Date>,
    /// Promised delivery date (PDDJ).
    #[serde(default)]
    pub promised_date: Option<Date>,
}

/// How an invoice line or charge is coded in JDE terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coding {
    /// GL account.
    pub account: AccountNumber,
    /// Business unit / cost center.
    pub business_unit: BusinessUnitCode,
}

/// Kind of JAGGAER invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvoiceKind {
    /// A normal invoice.
    Invoice,
    /// A credit memo (negative voucher).
    CreditMemo,
}

/// A JAGGAER invoice as the engine sees it after decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// JAGGAER invoice id.
    pub id: JaggaerId,
    /// Supplier's invoice number.
    pub number: String,
    /// Invoice or credit memo.
    pub kind: InvoiceKind,
    /// Supplier's JAGGAER id (`bravoId`), if given.
    pub supplier_id: Option<JaggaerId>,
    /// Supplier number (`extCode` = JDE AN8), if given.
    pub supplier_number: Option<String>,
    /// Invoice date-time.
    pub invoice_date: Timestamp,
    /// Currency.
    pub currency: String,
    /// Gross total, tax and charges included (negative for a credit memo).
    pub gross: Decimal,
    /// Tax amount 1 (and 2) summed.
    pub tax: Decimal,
    /// Tax area code when known.
    pub tax_area: Option<String>,
    /// Freight, handling, misc and discount (discount negative).
    pub charges: Charges,
    /// `paymentStatus`.
    pub status: String,
    /// Referenced PO (`KCOO-DCTO-DOCO`), if any.
    pub po_number: Option<String>,
    /// Lines.
    pub lines: Vec<InvoiceLine>,
    /// Last update in JAGGAER.
    pub last_update: Timestamp,
    /// Due date, payment terms and discount as JAGGAER has them (sent to JDE only with
    /// `due_date = "jaggaer"`). Not part of a posted invoice's fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentTerms>,
}

/// An invoice's due date, terms and early payment discount.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PaymentTerms {
    /// Due date.
    pub due_date: Option<jiff::civil::Date>,
    /// Terms code as JAGGAER names it (`Net 30`, or a JDE code when the customer maps them).
    pub terms_code: Option<String>,
    /// Early payment discount available.
    pub discount: Option<Decimal>,
}

/// Header-level charges of an invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charges {
    /// Freight.
    pub freight: Decimal,
    /// Handling.
    pub handling: Decimal,
    /// Miscellaneous fees.
    pub misc: Decimal,
    /// Discount, as a negative amount.
    pub discount: Decimal,
}

/// One invoice line with its coding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// Line number.
    pub line_number: u32,
    /// Description.
    pub description: String,
    /// Net amount of the line.
    pub amount: Decimal,
    /// Coding from the custom fields (raw text: validated in the mapping, so a bad value is
    /// quarantined with the field's name).
    pub account: Option<String>,
    /// Cost center custom field, raw.
    pub cost_center: Option<String>,
    /// Splits: (account, cost center, amount) when the line is split over codings.
    pub splits: Vec<Split>,
    /// The JDE PO line this line was ordered as, when the line names one (raw text: the
    /// mapping validates it and routes the line to Voucher Match Automation). Not part of a
    /// posted invoice's fingerprint (`amount` is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_line: Option<InvoicePoLine>,
}

/// What an invoice line says about the PO line it bills (J1P `poNumber` / `poLineNumber`,
/// cXML `OrderReference@orderID` / `InvoiceDetailItemReference@lineNumber`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePoLine {
    /// `KCOO-DCTO-DOCO`, raw.
    pub po_number: Option<String>,
    /// JDE `LNID` in AIS's decimal form (`1`, `1.5`), raw.
    pub line: Option<String>,
    /// Quantity invoiced.
    pub quantity: Decimal,
    /// Unit price invoiced.
    pub unit_price: Decimal,
    /// Unit of measure, when the document gives one.
    pub unit_of_measure: Option<String>,
}

/// An accounting split of an invoice line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Account custom field, raw.
    pub account: Option<String>,
    /// Cost center custom field, raw.
    pub cost_center: Option<String>,
    /// Amount of the split.
    pub amount: Decimal,
}
