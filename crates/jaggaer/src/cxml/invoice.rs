//! The cXML `InvoiceDetailRequest` reader (invoices with `transport = "cxml"`).
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use secrecy::SecretString;

use super::CxmlError;
use super::dom::{self, Node};

/// A party credential read from the envelope.
#[derive(Clone)]
pub struct CxmlCredential {
    /// `Credential@domain`.
    pub domain: String,
    /// `Identity`.
    pub identity: String,
    /// `SharedSecret`, when sent.
    pub shared_secret: Option<SecretString>,
}

impl fmt::Debug for CxmlCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CxmlCredential")
            .field("domain", &self.domain)
            .field("identity", &self.identity)
            .field(
                "shared_secret",
                &self.shared_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

/// `InvoiceDetailRequestHeader@purpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoicePurpose {
    /// A normal invoice.
    Standard,
    /// Header-level credit memo (negative DueAmount).
    CreditMemo,
    /// Line-level credit memo (negative line amounts).
    LineLevelCreditMemo,
}

/// `InvoiceDetailRequestHeader@operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceOperation {
    /// A new invoice.
    New,
    /// Cancels an earlier invoice.
    Delete,
}

/// One accounting split of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CxmlDistribution {
    /// Segment name (`Name`, or `Segment@type`) → code (`@id`).
    pub segments: BTreeMap<String, String>,
    /// Amount.
    pub charge: Decimal,
}

/// One invoice line (`InvoiceDetailItem` or `InvoiceDetailServiceItem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CxmlInvoiceLine {
    /// The PO this line belongs to (`OrderReference@orderID` or `OrderIDInfo@orderID`).
    pub order_id: Option<String>,
    /// `invoiceLineNumber`.
    pub invoice_line_number: u32,
    /// The PO line (`InvoiceDetailItemReference@lineNumber`).
    pub po_line_number: Option<u32>,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit of measure.
    pub unit_of_measure: Option<String>,
    /// Unit price.
    pub unit_price: Option<Decimal>,
    /// `SubtotalAmount`.
    pub subtotal: Option<Decimal>,
    /// Description.
    pub description: Option<String>,
    /// Supplier part id.
    pub supplier_part_id: Option<String>,
    /// Accounting splits.
    pub distributions: Vec<CxmlDistribution>,
    /// `Extrinsic` name → text (custom accounting some suppliers send).
    pub extrinsics: BTreeMap<String, String>,
}

/// `InvoiceDetailSummary` amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CxmlInvoiceSummary {
    /// SubtotalAmount.
    pub subtotal: Decimal,
    /// Tax.
    pub tax: Decimal,
    /// ShippingAmount.
    pub shipping: Option<Decimal>,
    /// SpecialHandlingAmount.
    pub special_handling: Option<Decimal>,
    /// InvoiceDetailDiscount.
    pub discount: Option<Decimal>,
    /// GrossAmount.
    pub gross: Option<Decimal>,
    /// NetAmount.
    pub net: Decimal,
    /// DueAmount.
    pub due: Option<Decimal>,
}

/// An inbound cXML invoice.
#[derive(Debug, Clone)]
pub struct CxmlInvoice {
    /// `cXML@payloadID`.
    pub payload_id: String,
    /// `cXML@timestamp`.
    pub timestamp: String,
    /// `From` credentials.
    pub from: Vec<CxmlCredential>,
    /// `Sender` credentials (carry the SharedSecret).
    pub sender: Vec<CxmlCredential>,
    /// Supplier's invoice number.
    pub invoice_id: String,
    /// Purpose.
    pub purpose: InvoicePurpose,
    /// Operation.
    pub operation: InvoiceOperation,
    /// `invoiceDate` as sent.
    pub invoice_date: String,
    /// POs referenced, in document order.
    pub order_ids: Vec<String>,
    /// Lines.
    pub lines: Vec<CxmlInvoiceLine>,
    /// Summary.
    pub summary: CxmlInvoiceSummary,
    /// The one currency of the document.
    pub currency: String,
}

impl CxmlInvoice {
    /// The invoice date's calendar date (date part of the ISO text).
    pub fn invoice_date(&self) -> Option<jiff::civil::Date> {
        self.invoice_date.get(..10)?.parse().ok()
    }
    /// True for credit memos of either kind.
    pub fn is_credit(&self) -> bool {
        matches!(
            self.purpose,
            InvoicePurpose::CreditMemo | InvoicePurpose::LineLevelCreditMemo
        )
    }
}

struct Ctx {
    currency: Option<String>,
}

fn missing(path: &str) -> CxmlError {
    CxmlError::Missing {
        element: path.to_owned(),
    }
}

fn req<'a>(n: &'a Node, name: &str, path: &str) -> Result<&'a Node, CxmlError> {
    n.child(name)
        .ok_or_else(|| missing(&format!("{path}/{name}")))
}

fn req_attr<'a>(n: &'a Node, name: &str, path: &str) -> Result<&'a str, CxmlError> {
    n.attr(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| missing(&format!("{path}@{name}")))
}

fn dec(text: &str, path: &str) -> Result<Decimal, CxmlError> {
    let t = text.trim();
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| CxmlError::Invalid {
            element: path.to_owned(),
            message: format!("not a decimal number: {t:?}"),
        })
}

impl Ctx {
    /// `X/Money` → amount, checking the document uses one currency.
    fn money(&mut self, wrapper: &Node, path: &str) -> Result<Decimal, CxmlError> {
        let mpath = format!("{path}/Money");
        let m = wrapper.child("Money").ok_or_else(|| missing(&mpath))?;
        let cur = req_attr(m, "currency", &mpath)?.trim().to_owned();
        match &self.currency {
            None => self.currency = Some(cur),
            Some(c) if *c == cur => {}
            Some(c) => {
                return Err(CxmlError::Invalid {
                    element: format!("{mpath}@currency"),
                    message: format!("currency {cur} differs from the document's {c}"),
                });
            }
        }
        dec(&m.all_text(), &mpath)
    }
    fn opt_money(
        &mut self,
        parent: &Node,
        name: &str,
        path: &str,
    ) -> Result<Option<Decimal>, CxmlError> {
        match parent.child(name) {
            Some(n) => self.money(n, &format!("{path}/{name}")).map(Some),
            None => Ok(None),
        }
    }
}

fn credentials(header: &Node, party: &str) -> Result<Vec<CxmlCredential>, CxmlError> {
    let path = format!("cXML/Header/{party}");
    let p = header.child(party).ok_or_else(|| missing(&path))?;
    let mut out = Vec::new();
    for c in p.children("Credential") {
        let cpath = format!("{path}/Credential");
        out.push(CxmlCredential {
            domain: req_attr(c, "domain", &cpath)?.to_owned(),
            identity: req(c, "Identity", &cpath)?.all_text(),
            shared_secret: c
                .child("SharedSecret")
                .map(|s| SecretString::from(s.all_text())),
        });
    }
    if out.is_empty() {
        return Err(missing(&format!("{path}/Credential")));
    }
    Ok(out)
}

fn distributions(
    ctx: &mut Ctx,
    item: &Node,
    path: &str,
) -> Result<Vec<CxmlDistribution>, CxmlError> {
    let mut out = Vec::new();
    for d in item.children("Distribution") {
        let dpath = format!("{path}/Distribution");
        let acc = req(d, "Accounting", &dpath)?;
        let apath = format!("{dpath}/Accounting");
        let mut segments = BTreeMap::new();
        for s in acc.children("AccountingSegment") {
            let spath = format!("{apath}/AccountingSegment");
            let id = req_attr(s, "id", &spath)?;
            let name = req(s, "Name", &spath)?.all_text();
            segments.insert(name, id.to_owned());
        }
        // The deprecated form, still sent by older systems.
        for s in acc.children("Segment") {
            let spath = format!("{apath}/Segment");
            segments.insert(
                req_attr(s, "type", &spath)?.to_owned(),
                req_attr(s, "id", &spath)?.to_owned(),
            );
        }
        if segments.is_empty() {
            return Err(missing(&format!("{apath}/AccountingSegment")));
        }
        let charge = ctx.money(req(d, "Charge", &dpath)?, &format!("{dpath}/Charge"))?;
        out.push(CxmlDistribution { segments, charge });
    }
    Ok(out)
}

fn line(
    ctx: &mut Ctx,
    item: &Node,
    order_id: Option<&str>,
    path: &str,
) -> Result<CxmlInvoiceLine, CxmlError> {
    let service = item.name == "InvoiceDetailServiceItem";
    let num = req_attr(item, "invoiceLineNumber", path)?;
    let invoice_line_number = num.trim().parse().map_err(|_| CxmlError::Invalid {
        element: format!("{path}@invoiceLineNumber"),
        message: format!("not a line number: {num:?}"),
    })?;
    let quantity = match item.attr("quantity") {
        Some(q) => dec(q, &format!("{path}@quantity"))?,
        None if service => Decimal::ONE,
        None => return Err(missing(&format!("{path}@quantity"))),
    };
    let unit_price = if service {
        ctx.opt_money(item, "UnitPrice", path)?
    } else {
        Some(ctx.money(req(item, "UnitPrice", path)?, &format!("{path}/UnitPrice"))?)
    };
    let uom = if service {
        item.child("UnitOfMeasure").map(Node::all_text)
    } else {
        Some(req(item, "UnitOfMeasure", path)?.all_text())
    };
    let ref_name = if service {
        "InvoiceDetailServiceItemReference"
    } else {
        "InvoiceDetailItemReference"
    };
    let reference = if service {
        item.child(ref_name)
    } else {
        Some(req(item, ref_name, path)?)
    };
    let rpath = format!("{path}/{ref_name}");
    let po_line_number = match reference.and_then(|r| r.attr("lineNumber")) {
        Some(l) => Some(l.trim().parse().map_err(|_| CxmlError::Invalid {
            element: format!("{rpath}@lineNumber"),
            message: format!("not a line number: {l:?}"),
        })?),
        None if service => None,
        None => return Err(missing(&format!("{rpath}@lineNumber"))),
    };
    let subtotal = if service {
        Some(ctx.money(
            req(item, "SubtotalAmount", path)?,
            &format!("{path}/SubtotalAmount"),
        )?)
    } else {
        ctx.opt_money(item, "SubtotalAmount", path)?
    };
    let extrinsics = item
        .children("Extrinsic")
        .filter_map(|e| Some((e.attr("name")?.to_owned(), e.all_text())))
        .collect();
    Ok(CxmlInvoiceLine {
        order_id: order_id.map(str::to_owned),
        invoice_line_number,
        po_line_number,
        quantity,
        unit_of_measure: uom,
        unit_price,
        subtotal,
        description: reference
            .and_then(|r| r.child("Description"))
            .map(Node::all_text),
        supplier_part_id: reference
            .and_then(|r| r.child("ItemID"))
            .and_then(|i| i.child("SupplierPartID"))
            .map(Node::all_text),
        distributions: distributions(ctx, item, path)?,
        extrinsics,
    })
}

fn order_id(info: &Node) -> Option<String> {
    info.child("OrderReference")
        .and_then(|r| r.attr("orderID"))
        .or_else(|| info.child("OrderIDInfo").and_then(|r| r.attr("orderID")))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Reads an InvoiceDetailRequest document (UTF-8, ≤ 10 MiB, ≤ 64 levels, no entity declarations).
pub fn parse_invoice_detail_request(xml: &[u8]) -> Result<CxmlInvoice, CxmlError> {
    let root = dom::parse(xml)?;
    if root.name != "cXML" {
        return Err(CxmlError::Invalid {
            element: root.name.clone(),
            message: "root element is not cXML".into(),
        });
    }
    let payload_id = req_attr(&root, "payloadID", "cXML")?.to_owned();
    let timestamp = req_attr(&root, "timestamp", "cXML")?.to_owned();
    let header = req(&root, "Header", "cXML")?;
    let from = credentials(header, "From")?;
    let sender = credentials(header, "Sender")?;
    let request = req(&root, "Request", "cXML")?;
    const P: &str = "InvoiceDetailRequest";
    let idr = request.child(P).ok_or_else(|| missing(P))?;
    let hpath = format!("{P}/InvoiceDetailRequestHeader");
    let h = req(idr, "InvoiceDetailRequestHeader", P)?;
    let invoice_id = req_attr(h, "invoiceID", &hpath)?.trim().to_owned();
    let invoice_date = req_attr(h, "invoiceDate", &hpath)?.trim().to_owned();
    let purpose = match h.attr("purpose").map(str::trim).unwrap_or("standard") {
        "standard" => InvoicePurpose::Standard,
        "creditMemo" => InvoicePurpose::CreditMemo,
        "lineLevelCreditMemo" => InvoicePurpose::LineLevelCreditMemo,
        other => {
            return Err(CxmlError::Invalid {
                element: format!("{hpath}@purpose"),
                message: format!("unsupported purpose {other:?}"),
            });
        }
    };
    let operation = match h.attr("operation").map(str::trim).unwrap_or("new") {
        "new" => InvoiceOperation::New,
        "delete" => InvoiceOperation::Delete,
        other => {
            return Err(CxmlError::Invalid {
                element: format!("{hpath}@operation"),
                message: format!("unsupported operation {other:?}"),
            });
        }
    };
    req(h, "InvoiceDetailHeaderIndicator", &hpath)?;
    req(h, "InvoiceDetailLineIndicator", &hpath)?;

    let mut ctx = Ctx { currency: None };
    let mut order_ids = Vec::new();
    let mut lines = Vec::new();
    let orders: Vec<&Node> = idr.children("InvoiceDetailOrder").collect();
    let header_orders: Vec<&Node> = idr.children("InvoiceDetailHeaderOrder").collect();
    if orders.is_empty() && header_orders.is_empty() {
        return Err(missing(&format!("{P}/InvoiceDetailOrder")));
    }
    for o in &orders {
        let opath = format!("{P}/InvoiceDetailOrder");
        let info = req(o, "InvoiceDetailOrderInfo", &opath)?;
        let oid = order_id(info);
        if let Some(id) = &oid
            && !order_ids.contains(id)
        {
            order_ids.push(id.clone());
        }
        let items: Vec<&Node> = o
            .children
            .iter()
            .filter(|c| c.name == "InvoiceDetailItem" || c.name == "InvoiceDetailServiceItem")
            .collect();
        if items.is_empty() {
            return Err(missing(&format!("{opath}/InvoiceDetailItem")));
        }
        for it in items {
            let ipath = format!("{opath}/{}", it.name);
            lines.push(line(&mut ctx, it, oid.as_deref(), &ipath)?);
        }
    }
    for o in &header_orders {
        let opath = format!("{P}/InvoiceDetailHeaderOrder");
        let info = req(o, "InvoiceDetailOrderInfo", &opath)?;
        if let Some(id) = order_id(info)
            && !order_ids.contains(&id)
        {
            order_ids.push(id);
        }
    }

    let spath = format!("{P}/InvoiceDetailSummary");
    let s = req(idr, "InvoiceDetailSummary", P)?;
    let subtotal = ctx.money(
        req(s, "SubtotalAmount", &spath)?,
        &format!("{spath}/SubtotalAmount"),
    )?;
    let tax_node = req(s, "Tax", &spath)?;
    let tax = ctx.money(tax_node, &format!("{spath}/Tax"))?;
    let summary = CxmlInvoiceSummary {
        subtotal,
        tax,
        special_handling: ctx.opt_money(s, "SpecialHandlingAmount", &spath)?,
        shipping: ctx.opt_money(s, "ShippingAmount", &spath)?,
        gross: ctx.opt_money(s, "GrossAmount", &spath)?,
        discount: ctx.opt_money(s, "InvoiceDetailDiscount", &spath)?,
        net: ctx.money(req(s, "NetAmount", &spath)?, &format!("{spath}/NetAmount"))?,
        due: ctx.opt_money(s, "DueAmount", &spath)?,
    };
    let currency = ctx
        .currency
        .clone()
        .ok_or_else(|| missing(&format!("{spath}/SubtotalAmount/Money@currency")))?;
    Ok(CxmlInvoice {
        payload_id,
        timestamp,
        from,
        sender,
        invoice_id,
        purpose,
        operation,
        invoice_date,
        order_ids,
        lines,
        summary,
        currency,
    })
}
