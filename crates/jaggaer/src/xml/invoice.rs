//! The inbound invoice export (reference §4.6): the `BuyerInvoiceExportMessage` reader and the
//! `DocumentExportResponse` writer.
//!
//! The reader repairs bare `&` first (JAGGAER has been seen sending them), then reads a capped
//! element tree (size, depth, attributes per element, elements per document; no entity
//! declarations). [`read_export_envelope`] reads only up to the end of `Header`, so a service can
//! check `Identity` + `SharedSecret` before it processes the rest of the body.
use std::str::FromStr;

use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::Decimal;
use secrecy::SecretString;

use super::dom::{self, Node, repair_bare_ampersands};
use super::write::XmlOut;
use super::{EXPORT_DTD, MAX_DOCUMENT_BYTES, XmlError, XmlHeader};

/// Root element of the export.
pub const EXPORT_ROOT: &str = "BuyerInvoiceExportMessage";

/// `Header` of an export: the id to echo and the credentials JAGGAER sent.
///
/// `Debug` redacts the secret.
#[derive(Debug, Clone)]
pub struct ExportEnvelope {
    /// `Header/MessageId` (echoed in the reply).
    pub message_id: Option<String>,
    /// `Header/Authentication/Identity`.
    pub identity: Option<String>,
    /// `Header/Authentication/SharedSecret`.
    pub shared_secret: Option<SecretString>,
}

/// A custom field value (`CustomFieldValue@name` / `CustomFieldValueSet@name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCustomField {
    /// Field name as the tenant configured it (`account`, `Account`, `CostCenter`, ...).
    pub name: String,
    /// `Value`.
    pub value: String,
    /// `Description`, if present.
    pub description: Option<String>,
}

/// One split of a line's coding (`SplittableFieldSetGroup/SplittableFieldIndexSet/
/// SplittableFieldIndex`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportSplit {
    /// `@splitindex` (or `@index`), else the position.
    pub index: u32,
    /// Amount of the split (`@distributionvalue`/`@amount` or an `Amount` child), if given.
    pub amount: Option<Decimal>,
    /// Percentage of the split (`@percent` or a `Percent` child), if given.
    pub percent: Option<Decimal>,
    /// The split's custom field values.
    pub fields: Vec<ExportCustomField>,
}

/// One `InvoiceLine`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportInvoiceLine {
    /// `@linenumber` or `LineNumber`, else the position (1-based).
    pub line_number: u32,
    /// `PONumber`.
    pub po_number: Option<String>,
    /// `POLineNumber`.
    pub po_line_number: Option<String>,
    /// `Item/Description`.
    pub description: Option<String>,
    /// `Item/UnitOfMeasureDimension` (or `UnitOfMeasure`).
    pub unit_of_measure: Option<String>,
    /// `Quantity` (plain number).
    pub quantity: Option<Decimal>,
    /// `UnitPrice` (plain number).
    pub unit_price: Option<Decimal>,
    /// `ShippingCharge` (plain number).
    pub shipping_charge: Option<Decimal>,
    /// `TaxAmount` (plain number), if sent.
    pub tax_amount: Option<Decimal>,
    /// Line-level `CustomFieldValueSet` values (the alternative to splits).
    pub custom_fields: Vec<ExportCustomField>,
    /// Splits from `SplittableFieldSetGroup`.
    pub splits: Vec<ExportSplit>,
}

/// A `BuyerInvoiceExportMessage` read into a typed model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportInvoice {
    /// `Header/MessageId`.
    pub message_id: String,
    /// `InvoiceHeader@status` (`Payable`, `Paid`, `In Process`, ...).
    pub status: Option<String>,
    /// `InvoiceHeader/InvoiceNumber`: JAGGAER's invoice number.
    pub invoice_number: Option<String>,
    /// `InvoiceHeader/SupplierInvoiceNo`: the supplier's invoice number (JDE `VINV`).
    pub supplier_invoice_no: Option<String>,
    /// `InvoiceHeader/InvoiceType` (`Credit memo` for credits).
    pub invoice_type: Option<String>,
    /// `InvoiceDate`.
    pub invoice_date: Option<jiff::civil::Date>,
    /// `DueDate`.
    pub due_date: Option<jiff::civil::Date>,
    /// `AccountingDate`.
    pub accounting_date: Option<jiff::civil::Date>,
    /// `Currency`.
    pub currency: Option<String>,
    /// `Supplier/Name`.
    pub supplier_name: Option<String>,
    /// `Supplier/SupplierNumber` or `Supplier/ERPNumber` (assumed names; the AN8 we sent).
    pub supplier_number: Option<String>,
    /// Header custom fields (`InvoiceHeader/CustomFieldValueSet`).
    pub custom_fields: Vec<ExportCustomField>,
    /// Every leaf element directly under `InvoiceHeader` (name, trimmed text), in order: lets
    /// the caller take JAGGAER's invoice id from a configured element when the tenant's export
    /// carries it elsewhere.
    pub header_elements: Vec<(String, String)>,
    /// Lines (none for a cancelled invoice).
    pub lines: Vec<ExportInvoiceLine>,
}

impl ExportInvoice {
    /// `InvoiceType` says credit memo.
    pub fn is_credit_memo(&self) -> bool {
        self.invoice_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("credit"))
    }

    /// The text of a leaf element directly under `InvoiceHeader`.
    pub fn header_element(&self, name: &str) -> Option<&str> {
        self.header_elements
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads `Header` only (the text up to the first `</Header>`): the id and the credentials.
/// Bare `&` tolerated. A document without `</Header>` is [`XmlError::Missing`].
pub fn read_export_envelope(body: &str) -> Result<ExportEnvelope, XmlError> {
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(XmlError::TooLarge {
            size: body.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    // Only the text up to `</Header>` is looked at: a hostile body behind it costs nothing here.
    let end = body
        .find("</Header>")
        .map(|i| i.saturating_add("</Header>".len()))
        .ok_or_else(|| XmlError::Missing {
            element: "BuyerInvoiceExportMessage/Header".into(),
        })?;
    let fixed = repair_bare_ampersands(&body[..end]);
    let mut reader = Reader::from_str(&fixed);
    reader.config_mut().check_end_names = true;
    let mut path: Vec<String> = Vec::new();
    let mut env = ExportEnvelope {
        message_id: None,
        identity: None,
        shared_secret: None,
    };
    let mut text = String::new();
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| XmlError::Malformed {
            position: pos,
            message: e.to_string(),
        })?;
        match ev {
            Event::Start(e) => {
                if path.len() >= super::MAX_DEPTH {
                    return Err(XmlError::TooDeep {
                        element: path.join("/"),
                        limit: super::MAX_DEPTH,
                    });
                }
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if path.is_empty() && name != EXPORT_ROOT {
                    return Err(XmlError::WrongRoot {
                        expected: EXPORT_ROOT,
                        found: name,
                    });
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => {
                let s = t.xml10_content().map_err(|e| XmlError::Malformed {
                    position: pos,
                    message: e.to_string(),
                })?;
                text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                if let Ok(name) = r.decode()
                    && let Some(s) = quick_xml::escape::resolve_predefined_entity(&name)
                {
                    text.push_str(s);
                } else if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                }
            }
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
            Event::End(_) => {
                let joined = path.join("/");
                let value = text.trim().to_owned();
                match joined.as_str() {
                    "BuyerInvoiceExportMessage/Header/MessageId" => env.message_id = Some(value),
                    "BuyerInvoiceExportMessage/Header/Authentication/Identity" => {
                        env.identity = Some(value);
                    }
                    "BuyerInvoiceExportMessage/Header/Authentication/SharedSecret" => {
                        env.shared_secret = Some(SecretString::from(value));
                    }
                    "BuyerInvoiceExportMessage/Header" => return Ok(env),
                    _ => {}
                }
                path.pop();
                text.clear();
            }
            Event::Empty(e) if path.is_empty() => {
                return Err(XmlError::WrongRoot {
                    expected: EXPORT_ROOT,
                    found: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                });
            }
            Event::Eof => return Ok(env),
            Event::DocType(d) => {
                let body = String::from_utf8_lossy(&d).into_owned();
                if body.to_ascii_uppercase().contains("ENTITY") || body.contains('[') {
                    return Err(XmlError::EntityDeclaration {
                        detail: body.chars().take(120).collect(),
                    });
                }
            }
            _ => {}
        }
    }
}

fn invalid(element: &str, message: impl Into<String>) -> XmlError {
    XmlError::Invalid {
        element: element.to_owned(),
        message: message.into(),
    }
}

fn decimal(n: &Node, path: &str, at: &str) -> Result<Option<Decimal>, XmlError> {
    match n.text_at(path) {
        None => Ok(None),
        Some(t) => Decimal::from_str(&t)
            .or_else(|_| Decimal::from_scientific(&t))
            .map(Some)
            .map_err(|_| invalid(&format!("{at}/{path}"), format!("`{t}` is not a number"))),
    }
}

fn attr_decimal(n: &Node, names: &[&str], at: &str) -> Result<Option<Decimal>, XmlError> {
    for name in names {
        if let Some(v) = n.attr(name).map(str::trim).filter(|v| !v.is_empty()) {
            return Decimal::from_str(v)
                .map(Some)
                .map_err(|_| invalid(&format!("{at}@{name}"), format!("`{v}` is not a number")));
        }
    }
    Ok(None)
}

fn date(n: &Node, path: &str, at: &str) -> Result<Option<jiff::civil::Date>, XmlError> {
    let Some(t) = n.text_at(path) else {
        return Ok(None);
    };
    // `2026-12-05`, `2026-12-05T00:00:00-05:00`, ...: the calendar date is the first 10 chars.
    t.get(..10)
        .and_then(|d| jiff::civil::Date::from_str(d).ok())
        .map(Some)
        .ok_or_else(|| invalid(&format!("{at}/{path}"), format!("`{t}` is not a date")))
}

/// `CustomFieldValue` elements: `@name` (or the set's name) and `Value` (or the element's text).
fn field_values(set_name: Option<&str>, values: &Node) -> Vec<ExportCustomField> {
    values
        .children("CustomFieldValue")
        .filter_map(|v| {
            let name = v.attr("name").or(set_name)?.trim().to_owned();
            let value = v
                .text_at("Value")
                .or_else(|| Some(v.text.trim().to_owned()).filter(|s| !s.is_empty()))?;
            Some(ExportCustomField {
                name,
                value,
                description: v.text_at("Description"),
            })
        })
        .collect()
}

fn value_sets(n: &Node) -> Vec<ExportCustomField> {
    n.children("CustomFieldValueSet")
        .flat_map(|s| field_values(s.attr("name"), s))
        .collect()
}

fn splits(line: &Node, at: &str) -> Result<Vec<ExportSplit>, XmlError> {
    let mut out = Vec::new();
    for group in line.children("SplittableFieldSetGroup") {
        for set in group.children("SplittableFieldIndexSet") {
            for idx in set.children("SplittableFieldIndex") {
                let here = format!(
                    "{at}/SplittableFieldSetGroup/SplittableFieldIndexSet/SplittableFieldIndex"
                );
                let index = match idx.attr("splitindex").or_else(|| idx.attr("index")) {
                    Some(v) => v
                        .trim()
                        .parse()
                        .map_err(|_| invalid(&format!("{here}@splitindex"), format!("`{v}`")))?,
                    None => u32::try_from(out.len()).unwrap_or(u32::MAX),
                };
                let mut fields = field_values(None, idx);
                fields.extend(value_sets(idx));
                out.push(ExportSplit {
                    index,
                    amount: match attr_decimal(idx, &["distributionvalue", "amount"], &here)? {
                        Some(a) => Some(a),
                        None => decimal(idx, "Amount", &here)?,
                    },
                    percent: match attr_decimal(idx, &["percent"], &here)? {
                        Some(p) => Some(p),
                        None => decimal(idx, "Percent", &here)?,
                    },
                    fields,
                });
            }
        }
    }
    Ok(out)
}

/// Reads a `BuyerInvoiceExportMessage`. Requires the root, `Header/MessageId` and
/// `Invoice/InvoiceHeader`; everything else is optional and left for the mapping to judge.
pub fn parse_invoice_export(body: &str) -> Result<ExportInvoice, XmlError> {
    let fixed = repair_bare_ampersands(body);
    let root = dom::parse(&fixed)?;
    if root.name != EXPORT_ROOT {
        return Err(XmlError::WrongRoot {
            expected: EXPORT_ROOT,
            found: root.name,
        });
    }
    let message_id = root.text_at("Header/MessageId").ok_or(XmlError::Missing {
        element: "BuyerInvoiceExportMessage/Header/MessageId".into(),
    })?;
    let invoice = root.child("Invoice").ok_or(XmlError::Missing {
        element: "BuyerInvoiceExportMessage/Invoice".into(),
    })?;
    let h = invoice.child("InvoiceHeader").ok_or(XmlError::Missing {
        element: "BuyerInvoiceExportMessage/Invoice/InvoiceHeader".into(),
    })?;
    let at = "Invoice/InvoiceHeader";
    let header_elements = h
        .children
        .iter()
        .filter(|c| c.children.is_empty())
        .map(|c| (c.name.clone(), c.text.trim().to_owned()))
        .collect();
    let mut lines = Vec::new();
    for (i, l) in invoice.children("InvoiceLine").enumerate() {
        let at = format!("Invoice/InvoiceLine[{}]", i.saturating_add(1));
        let line_number = match l
            .attr("linenumber")
            .map(str::to_owned)
            .or_else(|| l.text_at("LineNumber"))
        {
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| invalid(&format!("{at}/LineNumber"), format!("`{v}`")))?,
            None => u32::try_from(i.saturating_add(1)).unwrap_or(u32::MAX),
        };
        lines.push(ExportInvoiceLine {
            line_number,
            po_number: l.text_at("PONumber"),
            po_line_number: l.text_at("POLineNumber"),
            description: l.text_at("Item/Description"),
            unit_of_measure: l
                .text_at("Item/UnitOfMeasureDimension")
                .or_else(|| l.text_at("Item/UnitOfMeasure")),
            quantity: decimal(l, "Quantity", &at)?,
            unit_price: decimal(l, "UnitPrice", &at)?,
            shipping_charge: decimal(l, "ShippingCharge", &at)?,
            tax_amount: decimal(l, "TaxAmount", &at)?,
            custom_fields: value_sets(l),
            splits: splits(l, &at)?,
        });
    }
    Ok(ExportInvoice {
        message_id,
        status: h.attr("status").map(|s| s.trim().to_owned()),
        invoice_number: h.text_at("InvoiceNumber"),
        supplier_invoice_no: h.text_at("SupplierInvoiceNo"),
        invoice_type: h.text_at("InvoiceType"),
        invoice_date: date(h, "InvoiceDate", at)?,
        due_date: date(h, "DueDate", at)?,
        accounting_date: date(h, "AccountingDate", at)?,
        currency: h.text_at("Currency"),
        supplier_name: h.text_at("Supplier/Name"),
        supplier_number: h
            .text_at("Supplier/SupplierNumber")
            .or_else(|| h.text_at("Supplier/ERPNumber")),
        custom_fields: value_sets(h),
        header_elements,
        lines,
    })
}

/// The `DocumentExportResponse` reply: echoes `message_id`, `StatusCode` (200, or 400 with the
/// reason as `StatusText`).
pub fn write_export_response(header: &XmlHeader, status_code: u16, status_text: &str) -> String {
    let mut out = XmlOut::new(Some(("DocumentExportResponse", EXPORT_DTD)));
    out.open("DocumentExportResponse", &[("version", "1.0")]);
    super::write::header(&mut out, header, None);
    out.open("Response", &[]);
    out.open("Status", &[]);
    out.leaf("StatusCode", &[], &status_code.to_string());
    out.leaf("StatusText", &[], status_text);
    out.close("Status");
    out.close("Response");
    out.close("DocumentExportResponse");
    out.finish()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// Shaped after reference §4.6 (own values), with a bare `&` as JAGGAER sends it.
    pub(crate) const EXPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE BuyerInvoiceExportMessage SYSTEM "https://integrations.sciquest.com/app_docs/dtd/documentExport/DocumentExport.dtd">
<BuyerInvoiceExportMessage version="1.0">
  <Header>
    <MessageId>exp-20261205-0001</MessageId>
    <Timestamp>2026-12-05T08:15:00.000-05:00</Timestamp>
    <Authentication><Identity>ORG-77</Identity><SharedSecret>exp&secret</SharedSecret></Authentication>
  </Header>
  <Invoice>
    <InvoiceHeader status="Payable">
      <InvoiceNumber>JI-55012</InvoiceNumber>
      <SupplierInvoiceNo>INV/2026/0042</SupplierInvoiceNo>
      <InvoiceType>Invoice</InvoiceType>
      <InvoiceDate>2026-11-30</InvoiceDate>
      <DueDate>2026-12-30T00:00:00-05:00</DueDate>
      <Currency>USD</Currency>
      <Supplier><Name>Smith & Sons Ltd</Name><SupplierNumber>4242</SupplierNumber></Supplier>
      <CustomFieldValueSet name="Company"><CustomFieldValue><Value>00200</Value></CustomFieldValue></CustomFieldValueSet>
    </InvoiceHeader>
    <InvoiceLine linenumber="1">
      <PONumber>OP-10042</PONumber><POLineNumber>1</POLineNumber>
      <Quantity>8</Quantity><UnitPrice>12.505</UnitPrice><ShippingCharge>4.00</ShippingCharge>
      <Item><Description>Bolts &amp; nuts, 5&quot;</Description><UnitOfMeasureDimension>EA</UnitOfMeasureDimension></Item>
      <SplittableFieldSetGroup><SplittableFieldIndexSet>
        <SplittableFieldIndex splitindex="0" distributionvalue="60.02">
          <CustomFieldValue name="account"><Value>1.6110</Value></CustomFieldValue>
          <CustomFieldValue name="CostCenter"><Value>M30</Value></CustomFieldValue>
        </SplittableFieldIndex>
        <SplittableFieldIndex splitindex="1" distributionvalue="40.02">
          <CustomFieldValue name="account"><Value>1.6120</Value></CustomFieldValue>
        </SplittableFieldIndex>
      </SplittableFieldIndexSet></SplittableFieldSetGroup>
    </InvoiceLine>
    <InvoiceLine>
      <Quantity>1</Quantity><UnitPrice>-5</UnitPrice>
      <CustomFieldValueSet name="Account"><CustomFieldValue><Value>1.7000</Value><Description>Freight</Description></CustomFieldValue></CustomFieldValueSet>
    </InvoiceLine>
  </Invoice>
</BuyerInvoiceExportMessage>
"#;

    #[test]
    fn reads_the_export_with_a_bare_ampersand() {
        let inv = parse_invoice_export(EXPORT).unwrap();
        assert_eq!(inv.message_id, "exp-20261205-0001");
        assert_eq!(inv.status.as_deref(), Some("Payable"));
        assert_eq!(inv.invoice_number.as_deref(), Some("JI-55012"));
        assert_eq!(inv.supplier_invoice_no.as_deref(), Some("INV/2026/0042"));
        assert_eq!(inv.supplier_name.as_deref(), Some("Smith & Sons Ltd"));
        assert_eq!(inv.supplier_number.as_deref(), Some("4242"));
        assert_eq!(inv.invoice_date, Some(jiff::civil::date(2026, 11, 30)));
        assert_eq!(inv.due_date, Some(jiff::civil::date(2026, 12, 30)));
        assert!(!inv.is_credit_memo());
        assert_eq!(inv.header_element("InvoiceNumber"), Some("JI-55012"));
        assert_eq!(inv.custom_fields[0].name, "Company");
        assert_eq!(inv.lines.len(), 2);
        let l = &inv.lines[0];
        assert_eq!(l.po_number.as_deref(), Some("OP-10042"));
        assert_eq!(l.quantity, Some(Decimal::new(8, 0)));
        assert_eq!(l.unit_price, Some(Decimal::new(12505, 3)));
        assert_eq!(l.shipping_charge, Some(Decimal::new(400, 2)));
        assert_eq!(l.description.as_deref(), Some("Bolts & nuts, 5\""));
        assert_eq!(l.splits.len(), 2);
        assert_eq!(l.splits[0].amount, Some(Decimal::new(6002, 2)));
        assert_eq!(l.splits[1].index, 1);
        assert_eq!(
            l.splits[0]
                .fields
                .iter()
                .map(|f| (f.name.as_str(), f.value.as_str()))
                .collect::<Vec<_>>(),
            vec![("account", "1.6110"), ("CostCenter", "M30")]
        );
        let l2 = &inv.lines[1];
        assert_eq!(l2.line_number, 2);
        assert_eq!(l2.unit_price, Some(Decimal::new(-5, 0)));
        assert_eq!(l2.custom_fields[0].name, "Account");
        assert_eq!(l2.custom_fields[0].description.as_deref(), Some("Freight"));
    }

    #[test]
    fn envelope_is_read_before_the_body() {
        // The body after Header is broken: the envelope is still read.
        let cut = EXPORT.split("<Invoice>").next().unwrap().to_owned() + "<Invoice><oops";
        let env = read_export_envelope(&cut).unwrap();
        assert_eq!(env.message_id.as_deref(), Some("exp-20261205-0001"));
        assert_eq!(env.identity.as_deref(), Some("ORG-77"));
        assert_eq!(env.shared_secret.unwrap().expose_secret(), "exp&secret");
        assert!(matches!(
            read_export_envelope("<Other><Header></Header></Other>"),
            Err(XmlError::WrongRoot { .. })
        ));
        assert!(matches!(
            read_export_envelope(
                "<BuyerInvoiceExportMessage><Invoice/></BuyerInvoiceExportMessage>"
            ),
            Err(XmlError::Missing { .. })
        ));
        assert!(parse_invoice_export(&cut).is_err());
    }

    #[test]
    fn unreadable_documents_are_errors_naming_the_element() {
        let bad = EXPORT.replace("<Quantity>8</Quantity>", "<Quantity>eight</Quantity>");
        let err = parse_invoice_export(&bad).unwrap_err();
        assert!(err.to_string().contains("InvoiceLine[1]/Quantity"), "{err}");
        let no_id = EXPORT.replace("<MessageId>exp-20261205-0001</MessageId>", "");
        assert!(matches!(
            parse_invoice_export(&no_id),
            Err(XmlError::Missing { .. })
        ));
        assert!(matches!(
            parse_invoice_export("<PurchaseOrderMessage/>"),
            Err(XmlError::WrongRoot { .. })
        ));
    }

    #[test]
    fn hostile_documents_are_refused_at_the_caps() {
        let mut doc = String::from("<BuyerInvoiceExportMessage");
        for i in 0..100_000 {
            doc.push_str(&format!(" a{i}=\"v\""));
        }
        doc.push_str("/>");
        assert!(doc.len() > 900_000);
        assert!(matches!(
            parse_invoice_export(&doc),
            Err(XmlError::TooMany {
                what: "attributes",
                ..
            })
        ));
        let bomb = "<!DOCTYPE BuyerInvoiceExportMessage [<!ENTITY a \"aaaa\">]><BuyerInvoiceExportMessage><Header></Header>&a;</BuyerInvoiceExportMessage>";
        assert!(matches!(
            parse_invoice_export(bomb),
            Err(XmlError::EntityDeclaration { .. })
        ));
        assert!(matches!(
            read_export_envelope(bomb),
            Err(XmlError::EntityDeclaration { .. })
        ));
    }

    #[test]
    fn export_response_echoes_the_message_id() {
        let h = XmlHeader {
            message_id: "exp-<1>&".into(),
            timestamp: "2026-12-05T10:00:00Z".parse().unwrap(),
        };
        let xml = write_export_response(&h, 400, "unknown supplier 4242 & co");
        assert!(xml.contains("<!DOCTYPE DocumentExportResponse SYSTEM"));
        let root = dom::parse(&xml).unwrap();
        assert_eq!(root.name, "DocumentExportResponse");
        assert_eq!(
            root.text_at("Header/MessageId").as_deref(),
            Some("exp-<1>&")
        );
        assert_eq!(
            root.text_at("Response/Status/StatusCode").as_deref(),
            Some("400")
        );
        assert_eq!(
            root.text_at("Response/Status/StatusText").as_deref(),
            Some("unknown supplier 4242 & co")
        );
        assert!(root.path("Header/Authentication").is_none());
    }
}
