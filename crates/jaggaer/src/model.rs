//! Serde models of the J1P JSON the connector reads and writes.
//!
//! Field names follow the wire (camelCase). Amounts are [`Decimal`] parsed from the JSON number's
//! own text (serde_json's `arbitrary_precision` keeps it), and a number sent as a string is
//! accepted too; nothing goes through `f64`. Ids are [`JaggaerId`] whether JAGGAER sends a number
//! or a string. Unknown fields are ignored: JAGGAER returns many more than we use.
use std::collections::BTreeMap;
use std::str::FromStr;

pub use mlc_core::ids::JaggaerId;
use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

// ---------------------------------------------------------------------------------------------
// serde helpers

/// Reads a decimal from a JSON number (exact text) or a string.
pub(crate) fn decimal_from_value<E: serde::de::Error>(v: serde_json::Value) -> Result<Decimal, E> {
    let text = match &v {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_owned(),
        other => return Err(E::custom(format!("expected a number, found {other}"))),
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|e| E::custom(format!("invalid amount {text:?}: {e}")))
}

pub(crate) mod de_decimal {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        decimal_from_value(serde_json::Value::deserialize(d)?)
    }
}

pub(crate) mod de_decimal_opt {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Decimal>, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
            v => decimal_from_value(v).map(Some),
        }
    }
}

/// Zero when absent or null (charges JAGGAER leaves out are nothing).
pub(crate) mod de_decimal_zero {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        Ok(super::de_decimal_opt::deserialize(d)?.unwrap_or(Decimal::ZERO))
    }
}

fn id_from_value<E: serde::de::Error>(v: serde_json::Value) -> Result<JaggaerId, E> {
    match v {
        serde_json::Value::Number(n) => Ok(JaggaerId(n.to_string())),
        serde_json::Value::String(s) if !s.trim().is_empty() => Ok(JaggaerId(s.trim().to_owned())),
        other => Err(E::custom(format!(
            "expected an id (number or string), found {other}"
        ))),
    }
}

pub(crate) mod de_id {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<JaggaerId, D::Error> {
        id_from_value(serde_json::Value::deserialize(d)?)
    }
}

pub(crate) mod de_id_opt {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<JaggaerId>, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
            v => id_from_value(v).map(Some),
        }
    }
}

/// Text from a string or a number (`poLineNumber`, `lineNumber` vary by tenant).
pub(crate) mod de_text_opt {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(s) => Ok(Some(s)),
            serde_json::Value::Number(n) => Ok(Some(n.to_string())),
            serde_json::Value::Bool(b) => Ok(Some(b.to_string())),
            other => Err(D::Error::custom(format!("expected text, found {other}"))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// custom fields and splits

/// One value of a custom field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldValue {
    /// Internal name (only inside split indexes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_name: Option<String>,
    /// The code, e.g. `200.6110`.
    #[serde(
        default,
        deserialize_with = "de_text_opt::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    /// Human label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `customFieldValueList`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldValueList {
    /// The values.
    #[serde(default)]
    pub custom_field_value: Vec<FieldValue>,
}

/// One custom field (`customFieldValueSet`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldSet {
    /// Internal name (`Account`, `CostCenter`, ...).
    #[serde(default)]
    pub name: String,
    /// Display label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Its values (usually one).
    #[serde(default)]
    pub custom_field_value_list: FieldValueList,
}

/// `customFieldValueSetList`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldSets {
    /// The fields.
    #[serde(default)]
    pub custom_field_value_set: Vec<CustomFieldSet>,
}

impl CustomFieldSets {
    /// The first non-empty value of the field named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.custom_field_value_set
            .iter()
            .filter(|s| s.name == name)
            .flat_map(|s| s.custom_field_value_list.custom_field_value.iter())
            .filter_map(|v| v.value.as_deref())
            .map(str::trim)
            .find(|v| !v.is_empty())
    }
}

/// One split index on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitIndex {
    /// 1-based split number.
    #[serde(default)]
    pub split_index: Option<u32>,
    /// `AmountOfPrice` or `Percentage`.
    #[serde(default)]
    pub distribution_type: Option<String>,
    /// Amount or percentage.
    #[serde(default, deserialize_with = "de_decimal_opt::deserialize")]
    pub distribution_value: Option<Decimal>,
    /// Coding of this split.
    #[serde(default)]
    pub custom_field_value_list: FieldValueList,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SplitIndexList {
    #[serde(default)]
    splittable_field_index: Vec<SplitIndex>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SplitIndexSet {
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    splittable_field_index_list: SplitIndexList,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SplitGroup {
    #[serde(default)]
    splittable_field_index_set: Vec<SplitIndexSet>,
}

/// `splittableFieldSetGroupList`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitGroups {
    #[serde(default)]
    splittable_field_set_group: Vec<SplitGroup>,
}

/// How a split's value is meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitKind {
    /// `AmountOfPrice`: an amount of the line.
    Amount,
    /// `Percentage`: a percentage (0..=100) of the line amount.
    Percentage,
    /// Anything else (kept so the engine can quarantine instead of guessing).
    Unknown(String),
}

/// One accounting split of an invoice line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceSplit {
    /// 1-based index.
    pub index: u32,
    /// Amount or percentage.
    pub kind: SplitKind,
    /// The amount or percentage.
    pub value: Decimal,
    /// Coding: `internalName` → `value` (`Account` → `200.6110`).
    pub fields: BTreeMap<String, String>,
}

impl SplitGroups {
    /// The splits (all groups, all index sets; an index set whose context is not `Line` is skipped
    /// when there is one that is).
    ///
    /// A lone split without type and value means "the whole line" (100 %), which is how the
    /// single-split sample reads; several splits without values are `Unknown`.
    pub fn splits(&self) -> Vec<InvoiceSplit> {
        let sets: Vec<&SplitIndexSet> = self
            .splittable_field_set_group
            .iter()
            .flat_map(|g| g.splittable_field_index_set.iter())
            .collect();
        let line_sets: Vec<&SplitIndexSet> = sets
            .iter()
            .copied()
            .filter(|s| {
                s.context
                    .as_deref()
                    .is_none_or(|c| c.eq_ignore_ascii_case("line"))
            })
            .collect();
        let chosen = if line_sets.is_empty() {
            sets
        } else {
            line_sets
        };
        let indexes: Vec<&SplitIndex> = chosen
            .iter()
            .flat_map(|s| s.splittable_field_index_list.splittable_field_index.iter())
            .collect();
        let lone = indexes.len() == 1;
        indexes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let fields = s
                    .custom_field_value_list
                    .custom_field_value
                    .iter()
                    .filter_map(|v| {
                        Some((
                            v.internal_name.clone()?,
                            v.value.clone().unwrap_or_default(),
                        ))
                    })
                    .collect();
                let (kind, value) = match (s.distribution_type.as_deref(), s.distribution_value) {
                    (Some("AmountOfPrice"), Some(v)) => (SplitKind::Amount, v),
                    (Some("Percentage"), Some(v)) => (SplitKind::Percentage, v),
                    (None, None) if lone => (SplitKind::Percentage, Decimal::ONE_HUNDRED),
                    (t, v) => (
                        SplitKind::Unknown(t.unwrap_or("(missing distributionType)").to_owned()),
                        v.unwrap_or_default(),
                    ),
                };
                InvoiceSplit {
                    index: s
                        .split_index
                        .unwrap_or_else(|| u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1)),
                    kind,
                    value,
                    fields,
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// invoices

/// An amount with its currency (`total`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MoneyValue {
    /// ISO 4217 code.
    #[serde(default)]
    pub currency: Option<String>,
    /// The amount.
    #[serde(deserialize_with = "de_decimal::deserialize")]
    pub value: Decimal,
}

/// `header.supplier`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceSupplier {
    /// The supplier profile's `bravoId`.
    #[serde(default, deserialize_with = "de_id_opt::deserialize")]
    pub id: Option<JaggaerId>,
    /// Supplier name.
    #[serde(default)]
    pub name: Option<String>,
    /// The profile's `extCode`: the JDE AN8.
    #[serde(default, deserialize_with = "de_text_opt::deserialize")]
    pub supplier_number: Option<String>,
}

/// A miscellaneous fee on the header.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MiscFee {
    /// Fee name.
    #[serde(default)]
    pub name: Option<String>,
    /// Amount.
    #[serde(deserialize_with = "de_decimal_zero::deserialize", default)]
    pub fee: Decimal,
}

/// `miscFeeList`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MiscFeeList {
    /// The fees.
    #[serde(default)]
    pub misc_fee: Vec<MiscFee>,
}

/// An invoice header (as listed, and inside [`InvoiceDetail`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceHeader {
    /// JAGGAER's numeric id (used in the detail path).
    #[serde(deserialize_with = "de_id::deserialize")]
    pub invoice_id: JaggaerId,
    /// JAGGAER's invoice number.
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// The supplier's own invoice number.
    #[serde(default)]
    pub supplier_invoice_number: Option<String>,
    /// `Invoice` or `Credit Memo`.
    #[serde(default)]
    pub invoice_type: Option<String>,
    /// `PO` or `Non-PO`.
    #[serde(default)]
    pub invoice_line_type: Option<String>,
    /// `Payable`, `Pending`, `Paid`, `Cancelled`...
    #[serde(default)]
    pub payment_status: Option<String>,
    /// Workflow status.
    #[serde(default)]
    pub workflow_status: Option<String>,
    /// Invoice date (ISO 8601 text as sent).
    #[serde(default)]
    pub invoice_date: Option<String>,
    /// Due date (ISO 8601 text as sent).
    #[serde(default)]
    pub due_date: Option<String>,
    /// Payment terms `{discount{}, days, type, daysAfter, standardPaymentTermsCode}`, kept as
    /// sent: only read when a tenant sends JAGGAER's terms to JDE (`due_date = "jaggaer"`).
    #[serde(default)]
    pub terms: Option<serde_json::Value>,
    /// Early payment discount available, as sent (number or text).
    #[serde(default)]
    pub early_payment_discount: Option<serde_json::Value>,
    /// Last change (UTC, milliseconds).
    #[serde(default)]
    pub last_update: Option<jiff::Timestamp>,
    /// Supplier reference.
    #[serde(default)]
    pub supplier: Option<InvoiceSupplier>,
    /// Tax 1.
    #[serde(default, deserialize_with = "de_decimal_zero::deserialize")]
    pub tax_charge1: Decimal,
    /// Tax 2.
    #[serde(default, deserialize_with = "de_decimal_zero::deserialize")]
    pub tax_charge2: Decimal,
    /// Freight.
    #[serde(default, deserialize_with = "de_decimal_zero::deserialize")]
    pub shipping_charge: Decimal,
    /// Handling.
    #[serde(default, deserialize_with = "de_decimal_zero::deserialize")]
    pub handling_charge: Decimal,
    /// Discount taken (positive).
    #[serde(default, deserialize_with = "de_decimal_zero::deserialize")]
    pub discount_amount: Decimal,
    /// Miscellaneous fees.
    #[serde(default)]
    pub misc_fee_list: MiscFeeList,
    /// Invoice total and currency.
    #[serde(default)]
    pub total: Option<MoneyValue>,
    /// Header coding.
    #[serde(default)]
    pub custom_field_value_set_list: CustomFieldSets,
}

impl InvoiceHeader {
    /// The header's value of custom field `name`.
    pub fn custom_field(&self, name: &str) -> Option<&str> {
        self.custom_field_value_set_list.get(name)
    }
    /// True for `invoiceType` "Credit Memo" (any case/spacing).
    pub fn is_credit_memo(&self) -> bool {
        self.invoice_type.as_deref().is_some_and(|t| {
            t.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .eq_ignore_ascii_case("creditmemo")
        })
    }
    /// The invoice date as a calendar date (the date part of the ISO text).
    pub fn invoice_date(&self) -> Option<jiff::civil::Date> {
        parse_date_prefix(self.invoice_date.as_deref()?)
    }
    /// The due date as a calendar date.
    pub fn due_date(&self) -> Option<jiff::civil::Date> {
        parse_date_prefix(self.due_date.as_deref()?)
    }
    /// `terms.standardPaymentTermsCode`, trimmed, when it is text.
    pub fn terms_code(&self) -> Option<&str> {
        self.terms
            .as_ref()?
            .get("standardPaymentTermsCode")?
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
    /// `earlyPaymentDiscount` as an exact decimal (`None` when absent, blank or not a number).
    pub fn early_payment_discount(&self) -> Option<Decimal> {
        let v = self.early_payment_discount.clone()?;
        match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) if s.trim().is_empty() => None,
            v => decimal_from_value::<serde_json::Error>(v).ok(),
        }
    }
    /// Currency of `total`.
    pub fn currency(&self) -> Option<&str> {
        self.total.as_ref()?.currency.as_deref()
    }
}

fn parse_date_prefix(s: &str) -> Option<jiff::civil::Date> {
    s.get(..10)?.parse().ok()
}

/// `item.unitOfMeasure`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct UnitOfMeasure {
    /// Unit code, e.g. `EA`.
    #[serde(default)]
    pub dimension: Option<String>,
}

/// `item` of an invoice line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceItem {
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Unit of measure.
    #[serde(default)]
    pub unit_of_measure: Option<UnitOfMeasure>,
}

/// One invoice line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    /// Line id.
    #[serde(default, deserialize_with = "de_id_opt::deserialize")]
    pub line_id: Option<JaggaerId>,
    /// Line number.
    #[serde(default)]
    pub line_number: Option<u32>,
    /// Item.
    #[serde(default)]
    pub item: InvoiceItem,
    /// Quantity.
    #[serde(default, deserialize_with = "de_decimal_zero::deserialize")]
    pub quantity: Decimal,
    /// Unit price.
    #[serde(default, deserialize_with = "de_decimal_zero::deserialize")]
    pub unit_price: Decimal,
    /// `KCOO-DCTO-DOCO` of the PO (absent for non-PO lines).
    #[serde(default, deserialize_with = "de_text_opt::deserialize")]
    pub po_number: Option<String>,
    /// PO line number.
    #[serde(default, deserialize_with = "de_text_opt::deserialize")]
    pub po_line_number: Option<String>,
    /// Line coding.
    #[serde(default)]
    pub custom_field_value_set_list: CustomFieldSets,
    /// Split coding.
    #[serde(default)]
    pub splittable_field_set_group_list: SplitGroups,
}

impl InvoiceLine {
    /// The line's own value of custom field `name` (callers fall back to the header's).
    pub fn custom_field(&self, name: &str) -> Option<&str> {
        self.custom_field_value_set_list.get(name)
    }
    /// The line's accounting splits (empty when it has none).
    pub fn splits(&self) -> Vec<InvoiceSplit> {
        self.splittable_field_set_group_list.splits()
    }
    /// `quantity × unitPrice`, exact; `None` when it overflows (both come from the remote).
    pub fn amount(&self) -> Option<Decimal> {
        self.quantity.checked_mul(self.unit_price)
    }
}

/// `lineList`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLineList {
    /// The lines.
    #[serde(default)]
    pub invoice_line: Vec<InvoiceLine>,
}

/// A full invoice: header and lines.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceDetail {
    /// Header.
    pub header: InvoiceHeader,
    /// Lines.
    #[serde(default)]
    pub line_list: InvoiceLineList,
}

impl InvoiceDetail {
    /// The lines.
    pub fn lines(&self) -> &[InvoiceLine] {
        &self.line_list.invoice_line
    }
}

// ---------------------------------------------------------------------------------------------
// suppliers

/// `ACTIVE` / `INACTIVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SupplierStatus {
    /// May be ordered from.
    Active,
    /// Deactivated (never deleted).
    Inactive,
}

/// A supplier (company) profile as JAGGAER returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplierProfile {
    /// JAGGAER id.
    #[serde(deserialize_with = "de_id::deserialize")]
    pub bravo_id: JaggaerId,
    /// External code: the JDE AN8.
    #[serde(default, deserialize_with = "de_text_opt::deserialize")]
    pub ext_code: Option<String>,
    /// Name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// Tax id.
    #[serde(default)]
    pub fiscal_code: Option<String>,
    /// `SELLER`...
    #[serde(default, rename = "type")]
    pub company_type: Option<String>,
    /// ISO country.
    #[serde(default)]
    pub iso_country: Option<String>,
    /// Street address.
    #[serde(default)]
    pub address: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// Postal code.
    #[serde(default, deserialize_with = "de_text_opt::deserialize")]
    pub zip: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Status.
    #[serde(default)]
    pub status: Option<SupplierStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CompanyDataItem {
    pub(crate) return_company_info: SupplierProfile,
}

/// A supplier profile to create or update (matched on `ext_code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplierUpsert {
    /// JDE AN8.
    pub ext_code: String,
    /// Name.
    pub company_name: String,
    /// Tax id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fiscal_code: Option<String>,
    /// Always `SELLER` for suppliers.
    #[serde(rename = "type")]
    pub company_type: String,
    /// ISO country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iso_country: Option<String>,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// E-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Active or deactivated.
    pub status: SupplierStatus,
}

// ---------------------------------------------------------------------------------------------
// purchase orders

/// PO header/line status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoStatus {
    /// Open.
    Open,
    /// Closed.
    Closed,
    /// Cancelled.
    Cancelled,
}

/// A PO header as JAGGAER returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoHeaderRecord {
    /// `KCOO-DCTO-DOCO`.
    #[serde(default)]
    pub po_number: Option<String>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Total.
    #[serde(default)]
    pub total: Option<MoneyValue>,
    /// Status.
    #[serde(default)]
    pub status: Option<String>,
    /// Order date text.
    #[serde(default)]
    pub order_date: Option<String>,
}

/// A PO line as JAGGAER returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoLineRecord {
    /// Line number.
    #[serde(default, deserialize_with = "de_text_opt::deserialize")]
    pub line_number: Option<String>,
    /// Quantity.
    #[serde(default, deserialize_with = "de_decimal_opt::deserialize")]
    pub quantity: Option<Decimal>,
    /// Unit price.
    #[serde(default, deserialize_with = "de_decimal_opt::deserialize")]
    pub unit_price: Option<Decimal>,
    /// Status.
    #[serde(default)]
    pub status: Option<String>,
    /// Coding.
    #[serde(default)]
    pub custom_field_value_set_list: CustomFieldSets,
}

/// `lineList` of a PO.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoLineList {
    /// Lines.
    #[serde(default)]
    pub po_line: Vec<PoLineRecord>,
}

/// A PO as JAGGAER returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseOrderRecord {
    /// JAGGAER id.
    #[serde(deserialize_with = "de_id::deserialize")]
    pub po_id: JaggaerId,
    /// Header.
    pub header: PoHeaderRecord,
    /// Lines.
    #[serde(default)]
    pub line_list: PoLineList,
}

/// A PO line to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoLineUpsert {
    /// Line number (JDE's LNID: `1`, `1.5`, ...).
    pub line_number: Decimal,
    /// Description.
    pub description: String,
    /// Item number.
    pub item_number: Option<String>,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit of measure.
    pub unit_of_measure: String,
    /// Unit price.
    pub unit_price: Decimal,
    /// Extended price.
    pub extended_price: Decimal,
    /// Line status.
    pub status: PoStatus,
    /// Custom fields (`Account` → `200.6110`, `CostCenter` → `200`); names from the mapping.
    pub custom_fields: BTreeMap<String, String>,
    /// Line type, dates and quantities received/open (field names assumed, see
    /// `docs/mapping.md`).
    pub content: PoLineContent,
}

/// What buyers read on a PO line besides price and coding. J1P field names are assumed (in
/// J1P's camelCase conventions): `lineType`, `requestedDeliveryDate`, `promisedDeliveryDate`,
/// `quantityReceived`, `quantityOpen`. Blank values are left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoLineContent {
    /// JDE line type code (LNTY).
    pub line_type: Option<String>,
    /// Requested date.
    pub requested_date: Option<jiff::civil::Date>,
    /// Promised date.
    pub promised_date: Option<jiff::civil::Date>,
    /// Quantity received.
    pub quantity_received: Decimal,
    /// Quantity open.
    pub quantity_open: Decimal,
}

/// A party a PO names (ship-to, buyer): its JDE address number and name, and for a ship-to
/// its postal address, in the supplier profile's field names (`address`, `city`, `zip`,
/// `isoCountry`) plus `state`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoParty {
    /// JDE address number (`extCode`).
    pub ext_code: String,
    /// Name.
    pub name: Option<String>,
    /// Street lines joined with `, `.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// ISO country.
    pub iso_country: Option<String>,
}

impl PoParty {
    fn to_json(&self) -> serde_json::Value {
        let mut o = serde_json::Map::new();
        o.insert("extCode".into(), self.ext_code.clone().into());
        for (k, v) in [
            ("name", &self.name),
            ("address", &self.address),
            ("city", &self.city),
            ("state", &self.state),
            ("zip", &self.zip),
            ("isoCountry", &self.iso_country),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), v.clone().into());
            }
        }
        serde_json::Value::Object(o)
    }
}

/// What buyers read on a PO header besides its key and total. J1P field names are assumed:
/// `shipTo`, `buyer`, `orderedBy`, `paymentTerms.standardPaymentTermsCode` (the invoice's
/// shape), `requestedDeliveryDate`, `promisedDeliveryDate`. Absent values are left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoHeaderContent {
    /// Ship-to.
    pub ship_to: Option<PoParty>,
    /// Buyer.
    pub buyer: Option<PoParty>,
    /// Ordered by (a JDE user id).
    pub ordered_by: Option<String>,
    /// Payment terms code.
    pub payment_terms: Option<String>,
    /// Requested date.
    pub requested_date: Option<jiff::civil::Date>,
    /// Promised date.
    pub promised_date: Option<jiff::civil::Date>,
}

/// A PO to create or update (matched on `po_number`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseOrderUpsert {
    /// `KCOO-DCTO-DOCO`.
    pub po_number: String,
    /// Supplier profile id.
    pub supplier_bravo_id: Option<JaggaerId>,
    /// Supplier AN8.
    pub supplier_ext_code: String,
    /// Order date.
    pub order_date: jiff::civil::Date,
    /// Currency.
    pub currency: String,
    /// Total.
    pub total: Decimal,
    /// Header status.
    pub status: PoStatus,
    /// Ship-to, buyer, terms and dates.
    pub content: PoHeaderContent,
    /// Lines.
    pub lines: Vec<PoLineUpsert>,
}

fn num(d: &Decimal) -> serde_json::Value {
    // Exact digits as a JSON number (arbitrary_precision keeps the text).
    serde_json::Number::from_str(&d.to_string())
        .map(serde_json::Value::Number)
        .unwrap_or_else(|_| serde_json::Value::String(d.to_string()))
}

fn id_json(id: &JaggaerId) -> serde_json::Value {
    match serde_json::Number::from_str(&id.0) {
        Ok(n) if id.0.bytes().all(|b| b.is_ascii_digit()) => serde_json::Value::Number(n),
        _ => serde_json::Value::String(id.0.clone()),
    }
}

/// Sets `key` on a JSON object (a no-op on anything else, which the bodies built here never
/// are): `value[key] = v` without the panic path of `IndexMut`.
fn set(value: &mut serde_json::Value, key: &str, v: serde_json::Value) {
    if let Some(o) = value.as_object_mut() {
        o.insert(key.to_owned(), v);
    }
}

fn status_text(s: PoStatus) -> &'static str {
    match s {
        PoStatus::Open => "Open",
        PoStatus::Closed => "Closed",
        PoStatus::Cancelled => "Cancelled",
    }
}

impl PurchaseOrderUpsert {
    /// The POST body (`operationCode: CREATEUPDATE`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let lines: Vec<serde_json::Value> = self
            .lines
            .iter()
            .map(|l| {
                let sets: Vec<serde_json::Value> = l
                    .custom_fields
                    .iter()
                    .map(|(k, v)| json!({"name": k, "customFieldValueList": {"customFieldValue": [{"value": v}]}}))
                    .collect();
                let mut line = json!({
                    "lineNumber": num(&l.line_number.normalize()),
                    "description": l.description,
                    "quantity": num(&l.quantity),
                    "unitOfMeasure": l.unit_of_measure,
                    "unitPrice": num(&l.unit_price),
                    "extendedPrice": num(&l.extended_price),
                    "status": status_text(l.status),
                    "customFieldValueSetList": {"customFieldValueSet": sets},
                });
                if let (Some(item), Some(o)) = (&l.item_number, line.as_object_mut()) {
                    o.insert("itemNumber".into(), json!(item));
                }
                let c = &l.content;
                if let Some(t) = &c.line_type {
                    set(&mut line, "lineType", json!(t));
                }
                if let Some(d) = c.requested_date {
                    set(&mut line, "requestedDeliveryDate", json!(d.to_string()));
                }
                if let Some(d) = c.promised_date {
                    set(&mut line, "promisedDeliveryDate", json!(d.to_string()));
                }
                set(&mut line, "quantityReceived", num(&c.quantity_received.normalize()));
                set(&mut line, "quantityOpen", num(&c.quantity_open.normalize()));
                line
            })
            .collect();
        let mut supplier = json!({"extCode": self.supplier_ext_code});
        if let (Some(b), Some(o)) = (&self.supplier_bravo_id, supplier.as_object_mut()) {
            o.insert("bravoId".into(), id_json(b));
        }
        let mut header = json!({
            "poNumber": self.po_number,
            "supplier": supplier,
            "orderDate": self.order_date.to_string(),
            "currency": self.currency,
            "total": {"currency": self.currency, "value": num(&self.total)},
            "status": status_text(self.status),
        });
        let c = &self.content;
        if let Some(p) = &c.ship_to {
            set(&mut header, "shipTo", p.to_json());
        }
        if let Some(p) = &c.buyer {
            set(&mut header, "buyer", p.to_json());
        }
        if let Some(o) = &c.ordered_by {
            set(&mut header, "orderedBy", json!(o));
        }
        if let Some(t) = &c.payment_terms {
            set(
                &mut header,
                "paymentTerms",
                json!({"standardPaymentTermsCode": t}),
            );
        }
        if let Some(d) = c.requested_date {
            set(&mut header, "requestedDeliveryDate", json!(d.to_string()));
        }
        if let Some(d) = c.promised_date {
            set(&mut header, "promisedDeliveryDate", json!(d.to_string()));
        }
        json!({
            "operationCode": "CREATEUPDATE",
            "purchaseOrder": {
                "header": header,
                "lineList": {"poLine": lines},
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// custom-field value lists

/// One allowed value of a custom field (GL account, cost center).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    /// The code.
    #[serde(deserialize_with = "de_text_req")]
    pub value: String,
    /// Label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Selectable or not.
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn de_text_req<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    de_text_opt::deserialize(d)?.ok_or_else(|| D::Error::custom("value is null"))
}

fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    // J1P sends some booleans as "true"/"false" strings.
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::Null => Ok(true),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(D::Error::custom(format!(
            "expected a boolean, found {other}"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_exact_from_numbers_and_strings() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"a": 0.1, "b": 0.2, "c": "0.30", "d": 12345678901234.5678}"#)
                .unwrap();
        let a: Decimal = decimal_from_value::<serde_json::Error>(v["a"].clone()).unwrap();
        let b: Decimal = decimal_from_value::<serde_json::Error>(v["b"].clone()).unwrap();
        let c: Decimal = decimal_from_value::<serde_json::Error>(v["c"].clone()).unwrap();
        assert_eq!(a + b, c);
        assert_eq!(
            decimal_from_value::<serde_json::Error>(v["d"].clone())
                .unwrap()
                .to_string(),
            "12345678901234.5678"
        );
    }

    #[test]
    fn decimal_serializes_as_exact_number() {
        let po = PurchaseOrderUpsert {
            po_number: "00200-OP-1".into(),
            supplier_bravo_id: Some(JaggaerId("77".into())),
            supplier_ext_code: "4001".into(),
            order_date: jiff::civil::date(2026, 11, 20),
            currency: "USD".into(),
            total: Decimal::from_str("10.50").unwrap(),
            status: PoStatus::Open,
            content: PoHeaderContent::default(),
            lines: vec![],
        };
        let text = serde_json::to_string(&po.to_json()).unwrap();
        assert!(text.contains(r#""value":10.50"#), "{text}");
        assert!(text.contains(r#""bravoId":77"#), "{text}");
    }

    #[test]
    fn po_content_goes_in_the_body_and_blanks_stay_out() {
        let d = |day| Some(jiff::civil::date(2026, 3, day));
        let line = |content| PoLineUpsert {
            line_number: Decimal::ONE,
            description: "Paper".into(),
            item_number: None,
            quantity: Decimal::from(10),
            unit_of_measure: "EA".into(),
            unit_price: Decimal::ONE,
            extended_price: Decimal::from(10),
            status: PoStatus::Open,
            custom_fields: BTreeMap::new(),
            content,
        };
        let po = PurchaseOrderUpsert {
            po_number: "00200-OP-1".into(),
            supplier_bravo_id: None,
            supplier_ext_code: "4001".into(),
            order_date: jiff::civil::date(2026, 3, 1),
            currency: "USD".into(),
            total: Decimal::from(20),
            status: PoStatus::Open,
            content: PoHeaderContent {
                ship_to: Some(PoParty {
                    ext_code: "7001".into(),
                    name: Some("Dock".into()),
                    city: Some("Chicago".into()),
                    iso_country: Some("US".into()),
                    ..PoParty::default()
                }),
                buyer: Some(PoParty {
                    ext_code: "8001".into(),
                    name: Some("Pat Buyer".into()),
                    ..PoParty::default()
                }),
                ordered_by: Some("JSMITH".into()),
                payment_terms: Some("N30".into()),
                requested_date: d(10),
                promised_date: None,
            },
            lines: vec![
                line(PoLineContent {
                    line_type: Some("S".into()),
                    requested_date: d(10),
                    promised_date: d(15),
                    quantity_received: Decimal::from(4),
                    quantity_open: Decimal::from(6),
                }),
                line(PoLineContent::default()),
            ],
        };
        let v = po.to_json();
        let h = &v["purchaseOrder"]["header"];
        assert_eq!(
            h["shipTo"],
            json!({"extCode": "7001", "name": "Dock", "city": "Chicago", "isoCountry": "US"})
        );
        assert_eq!(h["buyer"], json!({"extCode": "8001", "name": "Pat Buyer"}));
        assert_eq!(h["orderedBy"], "JSMITH");
        assert_eq!(h["paymentTerms"]["standardPaymentTermsCode"], "N30");
        assert_eq!(h["requestedDeliveryDate"], "2026-03-10");
        assert!(h.get("promisedDeliveryDate").is_none());
        let l = &v["purchaseOrder"]["lineList"]["poLine"];
        assert_eq!(l[0]["lineType"], "S");
        assert_eq!(l[0]["promisedDeliveryDate"], "2026-03-15");
        assert_eq!(l[0]["quantityReceived"].to_string(), "4");
        assert_eq!(l[0]["quantityOpen"].to_string(), "6");
        assert!(l[1].get("lineType").is_none() && l[1].get("requestedDeliveryDate").is_none());
        assert_eq!(l[1]["quantityReceived"].to_string(), "0");
    }

    #[test]
    fn splits_amount_percentage_and_lone() {
        let g: SplitGroups = serde_json::from_value(json!({"splittableFieldSetGroup": [{"splittableFieldIndexSet": [{"context": "Line",
            "splittableFieldIndexList": {"splittableFieldIndex": [
              {"splitIndex": 1, "distributionType": "AmountOfPrice", "distributionValue": 600.10,
               "customFieldValueList": {"customFieldValue": [{"internalName": "Account", "value": "200.6110"}]}},
              {"splitIndex": 2, "distributionType": "Percentage", "distributionValue": "40",
               "customFieldValueList": {"customFieldValue": [{"internalName": "Account", "value": "200.6120"}]}}]}}]}]}))
        .unwrap();
        let s = g.splits();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].kind, SplitKind::Amount);
        assert_eq!(s[0].value, Decimal::from_str("600.10").unwrap());
        assert_eq!(s[0].fields["Account"], "200.6110");
        assert_eq!(s[1].kind, SplitKind::Percentage);
        let lone: SplitGroups = serde_json::from_value(json!({"splittableFieldSetGroup": [{"splittableFieldIndexSet": [{"context": "Line",
            "splittableFieldIndexList": {"splittableFieldIndex": [{"customFieldValueList": {"customFieldValue": []}}]}}]}]}))
        .unwrap();
        assert_eq!(lone.splits()[0].kind, SplitKind::Percentage);
        assert_eq!(lone.splits()[0].value, Decimal::ONE_HUNDRED);
    }

    #[test]
    fn ids_from_numbers_or_strings() {
        let a: SupplierProfile = serde_json::from_value(json!({"bravoId": 123})).unwrap();
        let b: SupplierProfile = serde_json::from_value(json!({"bravoId": "123"})).unwrap();
        assert_eq!(a.bravo_id, b.bravo_id);
    }
}
