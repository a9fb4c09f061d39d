//! JAGGAER invoice (J1P JSON, cXML InvoiceDetailRequest, or XML Router
//! `BuyerInvoiceExportMessage`) → the domain invoice the voucher mapping works from.
//!
//! | Domain | J1P | cXML | XML export (under `Invoice/InvoiceHeader`) |
//! |---|---|---|---|
//! | id | `header.invoiceId` | `<sender identity>-<invoiceID>` | the element named by `export_invoice_id` (default `InvoiceId`, assumed: the J1P `invoiceId`), else `export-<SupplierNumber>-<SupplierInvoiceNo>` |
//! | number | `header.supplierInvoiceNumber` (else `invoiceNumber`) | `InvoiceDetailRequestHeader@invoiceID` | `SupplierInvoiceNo` (else `InvoiceNumber`) |
//! | kind | `header.invoiceType` = `Credit Memo` | `purpose` = `creditMemo` / `lineLevelCreditMemo` | `InvoiceType` containing `credit` |
//! | supplier | `header.supplier.id` (bravoId), `supplierNumber` (AN8) | Sender/From identity as supplier number | `Supplier/SupplierNumber` (or `ERPNumber`) |
//! | invoice date | `header.invoiceDate` | `invoiceDate` | `InvoiceDate` (noon UTC) |
//! | currency, gross | `header.total` | `GrossAmount` (else `NetAmount`), its currency | `Currency`; `Total` if sent, else Σ lines + tax + freight |
//! | tax | `taxCharge1 + taxCharge2` | `Tax` | `TaxAmount` if sent, else Σ line `TaxAmount` |
//! | freight, handling, misc, discount | `shippingCharge`, `handlingCharge`, Σ `miscFee`, `discountAmount` | `ShippingAmount`, `SpecialHandlingAmount`, –, `InvoiceDetailDiscount` | `ShippingCharge` if sent, else Σ line `ShippingCharge`; `HandlingCharge`, `MiscCharge`, `DiscountAmount` if sent (assumed names) |
//! | status | `paymentStatus` | `Payable` (a supplier's invoice is ready once received) | `InvoiceHeader@status` |
//! | PO | first line's `poNumber` | `OrderReference@orderID` | first line's `PONumber` |
//! | line's PO line (routes it to Voucher Match Automation) | `poNumber` + `poLineNumber` (LNID as text) | `OrderReference@orderID` + `InvoiceDetailItemReference@lineNumber` ÷ 1000 (`mlc_core::po_line`) | `PONumber` + `POLineNumber` (LNID as text) |
//! | line amount | `quantity × unitPrice` | `SubtotalAmount` (else quantity × unit price) | `Quantity × UnitPrice` |
//! | line coding | line custom fields `Account`/`CostCenter`, else the header's; splits | `Distribution/Accounting` segments named like the fields | line `CustomFieldValueSet`s, else the header's (names compared ignoring ASCII case); `SplittableFieldIndex` splits |
// Every number here comes from a remote document: no unchecked arithmetic, no indexing.
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use jiff::Timestamp;
use mlc_core::Decimal;
use mlc_core::ids::JaggaerId;
use mlc_core::model::{Charges, Invoice, InvoiceKind, InvoiceLine, InvoicePoLine, Split};
use mlc_jaggaer::cxml::{CxmlDistribution, CxmlInvoice};
use mlc_jaggaer::xml::invoice::{ExportCustomField, ExportInvoice};
use mlc_jaggaer::{InvoiceDetail, SplitKind};

use super::MappingError;
use crate::settings::MappingSettings;

/// The largest amount (in absolute value) taken from a remote document: JDE amount fields hold
/// 15 digits, so anything larger could never be posted, and bounding every input amount here
/// keeps all later sums and products (a voucher's lines, taxes, charges) far from `Decimal`'s
/// overflow.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2764472320, 232830, 0, false, 0); // 10^15

/// `value` if it is a plausible amount, else a mapping error naming `field` and the value.
pub(crate) fn bounded(field: &str, value: Decimal) -> Result<Decimal, MappingError> {
    if value.abs() > MAX_AMOUNT {
        return Err(MappingError::new(
            field,
            format!("{value} is out of range (at most {MAX_AMOUNT} in absolute value)"),
        )
        .kind("overflow"));
    }
    Ok(value)
}

/// `a × b` for `field`, or a mapping error when it overflows or is out of range.
fn product(field: &str, a: Decimal, b: Decimal) -> Result<Decimal, MappingError> {
    let p = a
        .checked_mul(b)
        .ok_or_else(|| MappingError::new(field, format!("{a} × {b} overflows")).kind("overflow"))?;
    bounded(field, p)
}

/// `Σ values` for `field`, or a mapping error when it overflows or is out of range.
fn sum(field: &str, values: impl IntoIterator<Item = Decimal>) -> Result<Decimal, MappingError> {
    let mut acc = Decimal::ZERO;
    for v in values {
        acc = acc.checked_add(bounded(field, v)?).ok_or_else(|| {
            MappingError::new(field, format!("sum overflows at {v}")).kind("overflow")
        })?;
    }
    bounded(field, acc)
}

fn ts(field: &str, s: Option<&str>) -> Result<Timestamp, MappingError> {
    let s = s.ok_or_else(|| MappingError::new(field, "missing"))?;
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    // A bare date is taken as noon UTC, so it lands on the same day in any JDE time zone.
    s.get(..10)
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .and_then(|d| d.at(12, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| MappingError::new(field, format!("{s:?} is not an ISO 8601 date")))
}

/// Maps a J1P invoice.
pub fn from_j1p(d: &InvoiceDetail, m: &MappingSettings) -> Result<Invoice, MappingError> {
    let h = &d.header;
    let total = h
        .total
        .as_ref()
        .ok_or_else(|| MappingError::new("header.total", "missing"))?;
    let currency = total
        .currency
        .clone()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| MappingError::new("header.total.currency", "missing"))?;
    let number = h
        .supplier_invoice_number
        .clone()
        .or_else(|| h.invoice_number.clone())
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| MappingError::new("header.supplierInvoiceNumber", "missing"))?;
    let header_acct = h.custom_field(&m.gl_account_field).map(str::to_owned);
    let header_cc = h.custom_field(&m.cost_center_field).map(str::to_owned);
    let mut lines = Vec::new();
    for (i, l) in d.lines().iter().enumerate() {
        let n = l
            .line_number
            .unwrap_or_else(|| u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1));
        let amount = product(
            &format!("line {n}.quantity × unitPrice"),
            l.quantity,
            l.unit_price,
        )?;
        let mut splits = Vec::new();
        for s in l.splits() {
            let field = format!("line {n}.split {}.value", s.index);
            let amt = match &s.kind {
                SplitKind::Amount => bounded(&field, s.value)?,
                SplitKind::Percentage => {
                    // Dividing a bounded amount by 100 cannot overflow.
                    product(&field, bounded(&field, s.value)?, amount)?
                        .checked_div(Decimal::ONE_HUNDRED)
                        .unwrap_or_default()
                }
                SplitKind::Unknown(t) => {
                    return Err(MappingError::new(
                        format!("line {n}.split {}.distributionType", s.index),
                        format!("unknown distribution type {t:?}"),
                    ));
                }
            };
            splits.push(Split {
                account: s
                    .fields
                    .get(&m.gl_account_field)
                    .cloned()
                    .or_else(|| header_acct.clone()),
                cost_center: s
                    .fields
                    .get(&m.cost_center_field)
                    .cloned()
                    .or_else(|| header_cc.clone()),
                amount: amt,
            });
        }
        lines.push(InvoiceLine {
            line_number: n,
            description: l.item.description.clone().unwrap_or_default(),
            amount,
            account: l
                .custom_field(&m.gl_account_field)
                .map(str::to_owned)
                .or_else(|| header_acct.clone()),
            cost_center: l
                .custom_field(&m.cost_center_field)
                .map(str::to_owned)
                .or_else(|| header_cc.clone()),
            splits,
            po_line: (l.po_number.is_some() || l.po_line_number.is_some()).then(|| InvoicePoLine {
                po_number: l.po_number.clone(),
                line: l.po_line_number.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                unit_of_measure: l
                    .item
                    .unit_of_measure
                    .as_ref()
                    .and_then(|u| u.dimension.clone()),
            }),
        });
    }
    Ok(Invoice {
        id: h.invoice_id.clone(),
        number,
        kind: if h.is_credit_memo() {
            InvoiceKind::CreditMemo
        } else {
            InvoiceKind::Invoice
        },
        supplier_id: h.supplier.as_ref().and_then(|s| s.id.clone()),
        supplier_number: h.supplier.as_ref().and_then(|s| s.supplier_number.clone()),
        invoice_date: ts("header.invoiceDate", h.invoice_date.as_deref())?,
        currency,
        gross: bounded("header.total.value", total.value)?,
        tax: sum(
            "header.taxCharge1 + taxCharge2",
            [h.tax_charge1, h.tax_charge2],
        )?,
        tax_area: None,
        charges: Charges {
            freight: bounded("header.shippingCharge", h.shipping_charge)?,
            handling: bounded("header.handlingCharge", h.handling_charge)?,
            misc: sum(
                "header.miscFeeList.miscFee",
                h.misc_fee_list.misc_fee.iter().map(|f| f.fee),
            )?,
            discount: bounded("header.discountAmount", h.discount_amount)?,
        },
        status: h.payment_status.clone().unwrap_or_default(),
        po_number: d.lines().iter().find_map(|l| l.po_number.clone()),
        lines,
        last_update: h.last_update.unwrap_or_else(Timestamp::now),
        payment: Some(mlc_core::model::PaymentTerms {
            due_date: h.due_date(),
            terms_code: h.terms_code().map(str::to_owned),
            discount: h.early_payment_discount(),
        })
        .filter(|p| *p != mlc_core::model::PaymentTerms::default()),
    })
}

/// Maps an inbound cXML invoice. Its id is `<sender identity>-<invoiceID>`, stable across resends.
pub fn from_cxml(c: &CxmlInvoice, m: &MappingSettings) -> Result<Invoice, MappingError> {
    let sender = c
        .sender
        .first()
        .or(c.from.first())
        .map(|s| s.identity.clone())
        .unwrap_or_default();
    let seg = |d: &CxmlDistribution, name: &str| d.segments.get(name).cloned();
    let mut lines = Vec::new();
    for l in &c.lines {
        let n = l.invoice_line_number;
        let amount = match l.subtotal {
            Some(v) => bounded(&format!("line {n}.SubtotalAmount"), v)?,
            None => product(
                &format!("line {n}.quantity × UnitPrice"),
                l.quantity,
                l.unit_price.unwrap_or_default(),
            )?,
        };
        let (account, cost_center, splits) = match l.distributions.as_slice() {
            [] => (None, None, vec![]),
            [d] => (
                seg(d, &m.gl_account_field),
                seg(d, &m.cost_center_field),
                vec![],
            ),
            many => (
                None,
                None,
                many.iter()
                    .map(|d| {
                        Ok(Split {
                            account: seg(d, &m.gl_account_field),
                            cost_center: seg(d, &m.cost_center_field),
                            amount: bounded(&format!("line {n}.Distribution.Charge"), d.charge)?,
                        })
                    })
                    .collect::<Result<_, MappingError>>()?,
            ),
        };
        lines.push(InvoiceLine {
            line_number: l.invoice_line_number,
            description: l.description.clone().unwrap_or_default(),
            amount,
            account,
            cost_center,
            splits,
            // cXML line numbers are integers: the PO line is LNID × 1000 (`mlc_core::po_line`).
            po_line: (l.order_id.is_some() || l.po_line_number.is_some()).then(|| InvoicePoLine {
                po_number: l.order_id.clone().or_else(|| c.order_ids.first().cloned()),
                line: l.po_line_number.map(|n| {
                    mlc_core::po_line::line_number_to_lnid(n)
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| format!("cXML line {n}"))
                }),
                quantity: l.quantity,
                unit_price: l.unit_price.unwrap_or_default(),
                unit_of_measure: l.unit_of_measure.clone(),
            }),
        });
    }
    let s = &c.summary;
    let charges = Charges {
        freight: bounded("ShippingAmount", s.shipping.unwrap_or_default())?,
        handling: bounded(
            "SpecialHandlingAmount",
            s.special_handling.unwrap_or_default(),
        )?,
        misc: Decimal::ZERO,
        discount: bounded("InvoiceDetailDiscount", s.discount.unwrap_or_default())?.abs(),
    };
    Ok(Invoice {
        id: JaggaerId(format!("{sender}-{}", c.invoice_id)),
        number: c.invoice_id.clone(),
        kind: if c.is_credit() {
            InvoiceKind::CreditMemo
        } else {
            InvoiceKind::Invoice
        },
        supplier_id: None,
        supplier_number: Some(sender),
        invoice_date: ts(
            "InvoiceDetailRequestHeader@invoiceDate",
            Some(&c.invoice_date),
        )?,
        currency: c.currency.clone(),
        gross: bounded("GrossAmount", s.gross.unwrap_or(s.net))?.abs(),
        tax: bounded("Tax", s.tax)?.abs(),
        tax_area: None,
        charges,
        status: "Payable".into(),
        po_number: c.order_ids.first().cloned(),
        lines,
        last_update: ts("cXML@timestamp", Some(&c.timestamp)).unwrap_or_else(|_| Timestamp::now()),
        payment: None,
    })
}

/// Inbox kind of a `BuyerInvoiceExportMessage` pushed to `POST /jaggaer/export/TENANT`
/// (stored under its `MessageId`; read by the invoice flow).
pub const EXPORT_INBOX_KIND: &str = "xml-export";

/// Default of `[tenants.jaggaer] export_invoice_id`: the `InvoiceHeader` child assumed to carry
/// JAGGAER's invoice id (the J1P `header.invoiceId`). Public consumers show "a voucher id"
/// whose element name is not visible, so this is a setting to confirm at onboarding.
pub const DEFAULT_EXPORT_INVOICE_ID: &str = "InvoiceId";

fn export_field<'a>(fields: &'a [ExportCustomField], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.value.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// The record id of an exported invoice: the text of `InvoiceHeader/<id_element>` (the same
/// key as the J1P poll's `invoiceId`, so both channels meet in one ledger row), else
/// `export-<supplier number>-<supplier invoice number>` (then only the pre-post F0411Z1/F0411
/// checks by supplier + `VINV` join the two channels).
pub fn export_invoice_id(e: &ExportInvoice, id_element: &str) -> Option<String> {
    if let Some(v) = e
        .header_element(id_element)
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        return Some(v.to_owned());
    }
    let number = e
        .supplier_invoice_no
        .as_deref()
        .or(e.invoice_number.as_deref())?;
    Some(format!(
        "export-{}-{number}",
        e.supplier_number.as_deref().unwrap_or_default()
    ))
}

fn header_amount(e: &ExportInvoice, element: &str) -> Result<Option<Decimal>, MappingError> {
    let field = format!("InvoiceHeader/{element}");
    match e.header_element(element).map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<Decimal>()
            .map_err(|_| MappingError::new(&field, format!("`{t}` is not a number")))
            .and_then(|v| bounded(&field, v))
            .map(Some),
    }
}

/// Maps a pushed `BuyerInvoiceExportMessage` (reference §4.6). `id_element` is the tenant's
/// `export_invoice_id`.
pub fn from_export(
    e: &ExportInvoice,
    m: &MappingSettings,
    id_element: &str,
) -> Result<Invoice, MappingError> {
    let id = export_invoice_id(e, id_element).ok_or_else(|| {
        MappingError::new(
            "InvoiceHeader/SupplierInvoiceNo",
            "missing (and no invoice id)",
        )
    })?;
    let number = e
        .supplier_invoice_no
        .clone()
        .or_else(|| e.invoice_number.clone())
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| MappingError::new("InvoiceHeader/SupplierInvoiceNo", "missing"))?;
    let currency = e
        .currency
        .clone()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| MappingError::new("InvoiceHeader/Currency", "missing"))?;
    let invoice_date = e
        .invoice_date
        .and_then(|d| d.at(12, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| MappingError::new("InvoiceHeader/InvoiceDate", "missing"))?;
    let header_acct = export_field(&e.custom_fields, &m.gl_account_field).map(str::to_owned);
    let header_cc = export_field(&e.custom_fields, &m.cost_center_field).map(str::to_owned);
    let mut lines = Vec::new();
    let mut line_tax = Vec::new();
    let mut line_freight = Vec::new();
    for l in &e.lines {
        let n = l.line_number;
        let qty = l
            .quantity
            .ok_or_else(|| MappingError::new(format!("InvoiceLine {n}/Quantity"), "missing"))?;
        let price = l
            .unit_price
            .ok_or_else(|| MappingError::new(format!("InvoiceLine {n}/UnitPrice"), "missing"))?;
        let amount = product(
            &format!("InvoiceLine {n}/Quantity × UnitPrice"),
            bounded(&format!("InvoiceLine {n}/Quantity"), qty)?,
            bounded(&format!("InvoiceLine {n}/UnitPrice"), price)?,
        )?;
        line_tax.extend(l.tax_amount);
        line_freight.extend(l.shipping_charge);
        let mut splits = Vec::new();
        for s in &l.splits {
            let field = format!("InvoiceLine {n}/SplittableFieldIndex {}", s.index);
            let amt = match (s.amount, s.percent) {
                (Some(a), _) => bounded(&field, a)?,
                (None, Some(p)) => product(&field, bounded(&field, p)?, amount)?
                    .checked_div(Decimal::ONE_HUNDRED)
                    .unwrap_or_default(),
                (None, None) => {
                    return Err(MappingError::new(field, "neither an amount nor a percent"));
                }
            };
            splits.push(Split {
                account: export_field(&s.fields, &m.gl_account_field)
                    .map(str::to_owned)
                    .or_else(|| header_acct.clone()),
                cost_center: export_field(&s.fields, &m.cost_center_field)
                    .map(str::to_owned)
                    .or_else(|| header_cc.clone()),
                amount: amt,
            });
        }
        lines.push(InvoiceLine {
            line_number: n,
            description: l.description.clone().unwrap_or_default(),
            amount,
            account: export_field(&l.custom_fields, &m.gl_account_field)
                .map(str::to_owned)
                .or_else(|| header_acct.clone()),
            cost_center: export_field(&l.custom_fields, &m.cost_center_field)
                .map(str::to_owned)
                .or_else(|| header_cc.clone()),
            splits,
            // The XML channel sends the JDE LNID as the PO line, as J1P does.
            po_line: (l.po_number.is_some() || l.po_line_number.is_some()).then(|| InvoicePoLine {
                po_number: l.po_number.clone(),
                line: l.po_line_number.clone(),
                quantity: l.quantity.unwrap_or_default(),
                unit_price: l.unit_price.unwrap_or_default(),
                unit_of_measure: l.unit_of_measure.clone(),
            }),
        });
    }
    let tax = match header_amount(e, "TaxAmount")? {
        Some(t) => t,
        None => sum("InvoiceLine/TaxAmount", line_tax)?,
    };
    let freight = match header_amount(e, "ShippingCharge")? {
        Some(f) => f,
        None => sum("InvoiceLine/ShippingCharge", line_freight)?,
    };
    let charges = Charges {
        freight,
        handling: header_amount(e, "HandlingCharge")?.unwrap_or_default(),
        misc: header_amount(e, "MiscCharge")?.unwrap_or_default(),
        discount: header_amount(e, "DiscountAmount")?.unwrap_or_default(),
    };
    let gross = match header_amount(e, "Total")? {
        Some(g) => g,
        None => sum(
            "InvoiceHeader (Σ lines + tax + charges)",
            lines.iter().map(|l| l.amount).chain([
                tax,
                charges.freight,
                charges.handling,
                charges.misc,
                charges.discount,
            ]),
        )?,
    };
    Ok(Invoice {
        id: JaggaerId(id),
        number,
        kind: if e.is_credit_memo() {
            InvoiceKind::CreditMemo
        } else {
            InvoiceKind::Invoice
        },
        supplier_id: None,
        supplier_number: e.supplier_number.clone().filter(|s| !s.trim().is_empty()),
        invoice_date,
        currency,
        gross,
        tax,
        tax_area: None,
        charges,
        status: e.status.clone().unwrap_or_default(),
        po_number: e.lines.iter().find_map(|l| l.po_number.clone()),
        lines,
        last_update: Timestamp::now(),
        payment: e.due_date.map(|d| mlc_core::model::PaymentTerms {
            due_date: Some(d),
            ..Default::default()
        }),
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use mlc_jaggaer::xml::invoice::parse_invoice_export;

    const EXPORT: &str = r#"<BuyerInvoiceExportMessage version="1.0">
  <Header><MessageId>m-1</MessageId><Authentication><Identity>o</Identity><SharedSecret>[redacted: verified]</SharedSecret></Authentication></Header>
  <Invoice>
    <InvoiceHeader status="Payable">
      <InvoiceId>90001</InvoiceId>
      <InvoiceNumber>I090001</InvoiceNumber>
      <SupplierInvoiceNo>S-1</SupplierInvoiceNo>
      <InvoiceDate>2026-11-30</InvoiceDate>
      <DueDate>2026-12-30</DueDate>
      <Currency>USD</Currency>
      <Supplier><Name>Smith & Sons</Name><SupplierNumber>4242</SupplierNumber></Supplier>
      <ShippingCharge>4</ShippingCharge>
      <TaxAmount>1.50</TaxAmount>
      <CustomFieldValueSet name="CostCenter"><CustomFieldValue><Value>M30</Value></CustomFieldValue></CustomFieldValueSet>
    </InvoiceHeader>
    <InvoiceLine linenumber="1">
      <PONumber>00100-OP-42</PONumber>
      <Quantity>8</Quantity><UnitPrice>12.5</UnitPrice>
      <Item><Description>Bolts</Description></Item>
      <SplittableFieldSetGroup><SplittableFieldIndexSet>
        <SplittableFieldIndex splitindex="0" percent="75"><CustomFieldValue name="account"><Value>100.6110</Value></CustomFieldValue></SplittableFieldIndex>
        <SplittableFieldIndex splitindex="1" distributionvalue="25"><CustomFieldValue name="Account"><Value>100.6120</Value></CustomFieldValue><CustomFieldValue name="CostCenter"><Value>M40</Value></CustomFieldValue></SplittableFieldIndex>
      </SplittableFieldIndexSet></SplittableFieldSetGroup>
    </InvoiceLine>
    <InvoiceLine linenumber="2">
      <Quantity>1</Quantity><UnitPrice>10</UnitPrice>
      <CustomFieldValueSet name="Account"><CustomFieldValue><Value>100.7000</Value></CustomFieldValue></CustomFieldValueSet>
    </InvoiceLine>
  </Invoice>
</BuyerInvoiceExportMessage>"#;

    fn mapping() -> MappingSettings {
        crate::testing::settings().mapping
    }

    #[test]
    fn an_export_maps_to_the_invoice_model() {
        let e = parse_invoice_export(EXPORT).unwrap();
        let inv = from_export(&e, &mapping(), DEFAULT_EXPORT_INVOICE_ID).unwrap();
        assert_eq!(inv.id.0, "90001", "the J1P invoiceId is the record key");
        assert_eq!(inv.number, "S-1");
        assert_eq!(inv.kind, InvoiceKind::Invoice);
        assert_eq!(inv.supplier_number.as_deref(), Some("4242"));
        assert_eq!(inv.status, "Payable");
        assert_eq!(inv.currency, "USD");
        assert_eq!(inv.po_number.as_deref(), Some("00100-OP-42"));
        assert_eq!(inv.tax, Decimal::new(150, 2));
        assert_eq!(inv.charges.freight, Decimal::new(4, 0));
        // No Total sent: Σ lines (100 + 10) + tax + freight.
        assert_eq!(inv.gross, Decimal::new(11550, 2));
        assert_eq!(
            inv.invoice_date.to_string(),
            "2026-11-30T12:00:00Z",
            "a bare date is noon UTC, as in the J1P mapping"
        );
        let l1 = &inv.lines[0];
        assert_eq!(l1.amount, Decimal::new(100, 0));
        assert_eq!(l1.splits.len(), 2);
        assert_eq!(l1.splits[0].amount, Decimal::new(75, 0));
        assert_eq!(l1.splits[0].account.as_deref(), Some("100.6110"));
        assert_eq!(l1.splits[0].cost_center.as_deref(), Some("M30"), "header's");
        assert_eq!(l1.splits[1].amount, Decimal::new(25, 0));
        assert_eq!(l1.splits[1].cost_center.as_deref(), Some("M40"));
        let l2 = &inv.lines[1];
        assert_eq!(l2.account.as_deref(), Some("100.7000"));
        assert_eq!(l2.cost_center.as_deref(), Some("M30"));
        assert_eq!(
            inv.payment.and_then(|p| p.due_date),
            Some(jiff::civil::date(2026, 12, 30))
        );
    }

    #[test]
    fn the_id_element_is_a_setting_with_a_fallback() {
        let e = parse_invoice_export(EXPORT).unwrap();
        assert_eq!(
            export_invoice_id(&e, "InvoiceNumber").as_deref(),
            Some("I090001")
        );
        assert_eq!(
            export_invoice_id(&e, "VoucherId").as_deref(),
            Some("export-4242-S-1")
        );
    }

    #[test]
    fn unusable_exports_name_the_field() {
        let no_currency = EXPORT.replace("<Currency>USD</Currency>", "");
        let e = parse_invoice_export(&no_currency).unwrap();
        let err = from_export(&e, &mapping(), DEFAULT_EXPORT_INVOICE_ID).unwrap_err();
        assert!(err.to_string().contains("Currency"), "{err}");
        let no_price = EXPORT.replace("<UnitPrice>10</UnitPrice>", "");
        let e = parse_invoice_export(&no_price).unwrap();
        let err = from_export(&e, &mapping(), DEFAULT_EXPORT_INVOICE_ID).unwrap_err();
        assert!(err.to_string().contains("InvoiceLine 2/UnitPrice"), "{err}");
        let huge = EXPORT.replace("<TaxAmount>1.50</TaxAmount>", "<TaxAmount>1e20</TaxAmount>");
        let e = parse_invoice_export(&huge).unwrap();
        assert!(from_export(&e, &mapping(), DEFAULT_EXPORT_INVOICE_ID).is_err());
    }
}
