//! The eProcurement XML Router surface (reference §4): the `TSMSupplierXMLImport` and
//! `POXMLImport` actions, and the invoice export pusher (`BuyerInvoiceExportMessage` to a
//! customer URL, answered with `DocumentExportResponse`).
//!
//! Reading uses the simulator's own strict, DTD-less reader (`cxml::parse`: no DOCTYPE fetch, only
//! the predefined entities); nothing here is shared with the connector's codec. Behaviours beyond
//! the reference (status texts of refusals, the authentication reply, the response child element
//! of the PO action) are design choices of the simulator, switchable through [`XmlKnobs`].
//!
//! Replies follow §4.3: a parse failure is HTTP 500 with a body ("Error while parsing the input",
//! counts, `Errors/ErrorMessage`); a page of suppliers with a bad one is HTTP 200 with completed <
//! attempted and the bad one's error; every supplier bad is HTTP 500 "All documents failed";
//! an unknown custom field name is refused with "No custom field found"; a "new" PO whose number
//! already exists is refused.

use std::fmt;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use quick_xml::escape::escape;
use rust_decimal::Decimal;
use serde_json::Value;

use super::cxml::{Elem, parse};
use super::{JaggaerSimError, JaggaerSimState, lock, read};

/// Path of the supplier import action.
pub const SUPPLIER_ACTION: &str = "/apps/Router/TSMSupplierXMLImport";
/// Path of the PO import action.
pub const PO_ACTION: &str = "/apps/Router/POXMLImport";

/// Knobs of the XML surface (in [`super::JaggaerKnobs::xml`]).
#[derive(Clone, PartialEq)]
pub struct XmlKnobs {
    /// `Identity` expected in requests and sent in exports (default `mlc-org`).
    pub identity: String,
    /// `SharedSecret` expected in requests and sent in exports (never printed by `Debug`).
    pub shared_secret: String,
    /// Custom field names the tenant's document configuration knows (others: "No custom field
    /// found"). Default `Account`, `CostCenter`, `BranchPlant`, `OrderType`, `Company`.
    pub custom_fields: Vec<String>,
    /// Where [`JaggaerSimState::push_invoice_export`] posts, when set.
    pub export_url: Option<String>,
    /// Attempts per export push (a non-200 answer or a transport failure is retried).
    pub export_attempts: u32,
    /// Wait between export attempts.
    pub export_retry_delay: Duration,
    /// Write the supplier name's `&` unescaped in exports, as JAGGAER has been seen to do.
    pub export_bare_ampersand: bool,
}

impl Default for XmlKnobs {
    fn default() -> Self {
        Self {
            identity: "mlc-org".into(),
            shared_secret: "mlc-xml-secret".into(),
            custom_fields: [
                "Account",
                "CostCenter",
                "BranchPlant",
                "OrderType",
                "Company",
            ]
            .map(String::from)
            .to_vec(),
            export_url: None,
            export_attempts: 3,
            export_retry_delay: Duration::from_millis(200),
            export_bare_ampersand: false,
        }
    }
}

impl fmt::Debug for XmlKnobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XmlKnobs")
            .field("identity", &self.identity)
            .field("shared_secret", &"[redacted]")
            .field("custom_fields", &self.custom_fields)
            .field("export_url", &self.export_url)
            .field("export_attempts", &self.export_attempts)
            .field("export_retry_delay", &self.export_retry_delay)
            .field("export_bare_ampersand", &self.export_bare_ampersand)
            .finish()
    }
}

/// A supplier received through `TSMSupplierXMLImport` (by `ERPNumber`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlSupplierRecord {
    /// `ERPNumber` (the connector's AN8).
    pub erp_number: String,
    /// `Name`.
    pub name: String,
    /// `Active` read as a flag.
    pub active: bool,
    /// `TaxIdentificationNumber`.
    pub tax_id: Option<String>,
    /// First contact `Email`.
    pub email: Option<String>,
    /// `(type, City, IsoCountryCode)` per address.
    pub addresses: Vec<(String, String, String)>,
    /// Times it was received (first time = 1).
    pub received: u32,
    /// `MessageId` of the last message that carried it.
    pub message_id: String,
}

/// A PO line received through `POXMLImport`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlPoLineRecord {
    /// `POLine@linenumber`.
    pub line_number: u32,
    /// `Item/Description`.
    pub description: String,
    /// `Quantity`.
    pub quantity: Decimal,
    /// `LineCharges/UnitPrice/Money`.
    pub unit_price: Decimal,
    /// `Money@currency`.
    pub currency: String,
    /// Line custom fields `(name, value)`.
    pub custom_fields: Vec<(String, String)>,
    /// `DeliveryInfo/RequestedDeliveryDate` as sent.
    pub requested_delivery: Option<String>,
}

/// A PO received through `POXMLImport` (by `PONumber`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlPoRecord {
    /// `PONumber`.
    pub po_number: String,
    /// `Supplier/SupplierNumber`.
    pub supplier_number: String,
    /// `Open` or `Cancelled`.
    pub status: String,
    /// `RevisionNumber` of the last update.
    pub revision: Option<u32>,
    /// `DistributeRevision` of the last update or cancel.
    pub distribute_revision: Option<bool>,
    /// Header custom fields `(name, value)`.
    pub header_fields: Vec<(String, String)>,
    /// Lines of the last new/update.
    pub lines: Vec<XmlPoLineRecord>,
    /// `ShipTo/Address/AddressCode` of the last new/update.
    pub ship_to: Option<String>,
    /// `Requestor/UserProfile@username` of the last new/update.
    pub requestor: Option<String>,
    /// Messages applied: `new`, `update`, `cancel` in order.
    pub history: Vec<String>,
}

/// One document received by a Router action, as answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlDocRecord {
    /// `suppliers` or `purchase_orders`.
    pub action: &'static str,
    /// `Header/MessageId`, when readable.
    pub message_id: Option<String>,
    /// HTTP status answered.
    pub http_status: u16,
    /// `StatusText` answered.
    pub status_text: String,
    /// `ErrorMessage`s answered.
    pub errors: Vec<String>,
}

/// One export push and every attempt's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPush {
    /// The invoice pushed (`None` for a raw document).
    pub invoice_id: Option<i64>,
    /// `Header/MessageId` sent.
    pub message_id: String,
    /// `(HTTP status, body)` per attempt; status 0 = no answer (the text is the error).
    pub attempts: Vec<(u16, String)>,
    /// The last answer was HTTP 200 with `StatusCode` 200 echoing the `MessageId`.
    pub accepted: bool,
}

/// XML-surface data, separate from the J1P records.
#[derive(Debug, Default)]
pub(crate) struct XmlData {
    pub(crate) suppliers: std::collections::BTreeMap<String, XmlSupplierRecord>,
    pub(crate) pos: std::collections::BTreeMap<String, XmlPoRecord>,
    pub(crate) docs: Vec<XmlDocRecord>,
    pub(crate) pushes: Vec<ExportPush>,
    pub(crate) export_seq: u64,
}

// ---------------------------------------------------------------------------------------------
// Replies

fn now_text() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00")
        .to_string()
}

fn reply(root: &str, child: &str, http: u16, code: u16, text: &str, errors: &[String]) -> Response {
    let mut body = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    body.push_str(&format!(
        "<{root} version=\"1.0\">\n  <Header>\n    <MessageId>sim-{}</MessageId>\n    <Timestamp>{}</Timestamp>\n  </Header>\n",
        uuid::Uuid::new_v4(),
        now_text()
    ));
    body.push_str(&format!(
        "  <{child}>\n    <Status>\n      <StatusCode>{code}</StatusCode>\n      <StatusText>{}</StatusText>\n",
        escape(text)
    ));
    if !errors.is_empty() {
        body.push_str("      <Errors>\n");
        for e in errors {
            body.push_str(&format!(
                "        <ErrorMessage type=\"Error\">{}</ErrorMessage>\n",
                escape(e.as_str())
            ));
        }
        body.push_str("      </Errors>\n");
    }
    body.push_str(&format!("    </Status>\n  </{child}>\n</{root}>\n"));
    let mut r = Response::new(axum::body::Body::from(body));
    *r.status_mut() =
        http::StatusCode::from_u16(http).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml; charset=UTF-8"),
    );
    r
}

fn counts(attempted: usize, completed: usize, unparsable: usize) -> String {
    format!(
        "Counts: Total documents attempted={attempted}, Total documents completed={completed}. \
         Documents successful without warnings={completed}, unable to parse={unparsable}"
    )
}

struct Action {
    name: &'static str,
    root: &'static str,
    child: &'static str,
}

const SUPPLIERS: Action = Action {
    name: "suppliers",
    root: "SupplierSyncMessage",
    child: "SupplierResponseMessage",
};
const POS: Action = Action {
    name: "purchase_orders",
    root: "PurchaseOrderMessage",
    child: "PurchaseOrderResponseMessage",
};

fn answer(
    st: &JaggaerSimState,
    a: &Action,
    message_id: Option<String>,
    http: u16,
    text: String,
    errors: Vec<String>,
) -> Response {
    let code = if http == 200 { 200 } else { http };
    let resp = reply(a.root, a.child, http, code, &text, &errors);
    lock(&st.inner.xml).docs.push(XmlDocRecord {
        action: a.name,
        message_id,
        http_status: http,
        status_text: text,
        errors,
    });
    resp
}

fn parse_failure(st: &JaggaerSimState, a: &Action, why: String) -> Response {
    answer(
        st,
        a,
        None,
        500,
        format!(
            "Error while parsing the input. All documents failed ({})",
            counts(1, 0, 1)
        ),
        vec![format!("XML Error : {why}")],
    )
}

fn text(e: &Elem, path: &str) -> Option<String> {
    e.path(path)
        .map(|n| n.text.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn has_offset(ts: &str) -> bool {
    // `...T09:06:42.209-04:00` or `...Z`.
    if ts.ends_with('Z') {
        return ts.contains('T');
    }
    let b = ts.as_bytes();
    b.len() > 6
        && ts.contains('T')
        && matches!(b[b.len() - 6], b'+' | b'-')
        && b[b.len() - 3] == b':'
}

/// Root, header and credentials. `Err` is the finished reply.
fn envelope(
    st: &JaggaerSimState,
    a: &Action,
    body: &[u8],
) -> Result<(Elem, String), Box<Response>> {
    let Ok(doc) = std::str::from_utf8(body) else {
        return Err(Box::new(parse_failure(
            st,
            a,
            "the body is not UTF-8".into(),
        )));
    };
    let root = parse(doc).map_err(|e| Box::new(parse_failure(st, a, e)))?;
    if root.name != a.root {
        return Err(Box::new(parse_failure(
            st,
            a,
            format!(
                "Document root element \"{}\" must match DOCTYPE root \"{}\"",
                root.name, a.root
            ),
        )));
    }
    let mid = text(&root, "Header/MessageId");
    let Some(message_id) = mid.clone() else {
        return Err(Box::new(parse_failure(
            st,
            a,
            "Header/MessageId is required".into(),
        )));
    };
    match text(&root, "Header/Timestamp") {
        Some(ts) if has_offset(&ts) => {}
        Some(ts) => {
            return Err(Box::new(answer(
                st,
                a,
                mid,
                400,
                "Error processing XML".into(),
                vec![format!("Timestamp {ts} has no time zone offset")],
            )));
        }
        None => {
            return Err(Box::new(parse_failure(
                st,
                a,
                "Header/Timestamp is required".into(),
            )));
        }
    }
    let knobs = read(&st.inner.knobs).xml.clone();
    let identity = text(&root, "Header/Authentication/Identity");
    let secret = text(&root, "Header/Authentication/SharedSecret");
    if identity.as_deref() != Some(knobs.identity.as_str())
        || secret.as_deref() != Some(knobs.shared_secret.as_str())
    {
        return Err(Box::new(answer(
            st,
            a,
            mid,
            401,
            "Authentication failed".into(),
            vec!["Identity or SharedSecret not recognised".into()],
        )));
    }
    Ok((root, message_id))
}

// ---------------------------------------------------------------------------------------------
// Suppliers

fn flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" | "y" | "t" | "active" => Some(true),
        "no" | "false" | "n" | "f" | "inactive" => Some(false),
        _ => None,
    }
}

fn read_supplier(s: &Elem, message_id: &str) -> Result<XmlSupplierRecord, String> {
    let erp = text(s, "ERPNumber").ok_or("ERPNumber is required")?;
    let name = text(s, "Name").ok_or_else(|| format!("Supplier {erp}: Name is required"))?;
    let active = match text(s, "Active") {
        None => true,
        Some(v) => flag(&v).ok_or_else(|| format!("Supplier {erp}: Active `{v}` is not Yes/No"))?,
    };
    let mut addresses = Vec::new();
    if let Some(list) = s.child("AddressList") {
        for a in list.all("Address") {
            let ty = a.attr("type").unwrap_or_default().to_owned();
            let city = text(a, "City")
                .ok_or_else(|| format!("Supplier {erp}: Address City is required"))?;
            let country = text(a, "IsoCountryCode").unwrap_or_default();
            if !(2..=3).contains(&country.len()) || !country.chars().all(|c| c.is_ascii_uppercase())
            {
                return Err(format!(
                    "Supplier {erp}: IsoCountryCode `{country}` is not an ISO country code"
                ));
            }
            addresses.push((ty, city, country));
        }
    }
    let email = s
        .child("ContactList")
        .and_then(|l| l.all("Contact").find_map(|c| text(c, "Email")));
    if let Some(e) = &email
        && (!e.contains('@') || e.contains(char::is_whitespace))
    {
        return Err(format!("Supplier {erp}: Email `{e}` is not valid"));
    }
    Ok(XmlSupplierRecord {
        erp_number: erp,
        name,
        active,
        tax_id: text(s, "TaxIdentificationNumber"),
        email,
        addresses,
        received: 1,
        message_id: message_id.to_owned(),
    })
}

pub(crate) async fn supplier_import(State(st): State<JaggaerSimState>, body: Bytes) -> Response {
    let (root, message_id) = match envelope(&st, &SUPPLIERS, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Some(req) = root.child("SupplierRequestMessage") else {
        return parse_failure(&st, &SUPPLIERS, "SupplierRequestMessage is required".into());
    };
    let suppliers: Vec<&Elem> = req.all("Supplier").collect();
    let mut errors = Vec::new();
    let mut completed = 0usize;
    for s in &suppliers {
        match read_supplier(s, &message_id) {
            Ok(rec) => {
                completed += 1;
                let mut x = lock(&st.inner.xml);
                match x.suppliers.get_mut(&rec.erp_number) {
                    Some(old) => {
                        let received = old.received + 1;
                        *old = XmlSupplierRecord { received, ..rec };
                    }
                    None => {
                        x.suppliers.insert(rec.erp_number.clone(), rec);
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    let attempted = suppliers.len();
    let c = counts(attempted, completed, 0);
    if attempted > 0 && completed == 0 {
        return answer(
            &st,
            &SUPPLIERS,
            Some(message_id),
            500,
            format!("All documents failed ({c})"),
            errors,
        );
    }
    answer(
        &st,
        &SUPPLIERS,
        Some(message_id),
        200,
        format!("Success ({c})"),
        errors,
    )
}

// ---------------------------------------------------------------------------------------------
// Purchase orders

fn custom_fields(e: &Elem, known: &[String], unknown: &mut Vec<String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for set in e.all("CustomFieldValueSet") {
        let name = set.attr("name").unwrap_or_default().to_owned();
        if !known.contains(&name) {
            unknown.push(format!(
                "No custom field found for name '{name}' in the document configuration (PurchaseOrder)"
            ));
            continue;
        }
        for v in set.all("CustomFieldValue") {
            out.push((name.clone(), text(v, "Value").unwrap_or_default()));
        }
    }
    out
}

fn dec_at(e: &Elem, path: &str, what: &str) -> Result<Decimal, String> {
    let t = text(e, path).ok_or_else(|| format!("{what} is required"))?;
    t.parse::<Decimal>()
        .map_err(|_| format!("{what} `{t}` is not a number"))
}

pub(crate) async fn po_import(State(st): State<JaggaerSimState>, body: Bytes) -> Response {
    let (root, message_id) = match envelope(&st, &POS, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let refuse = |errors: Vec<String>| {
        answer(
            &st,
            &POS,
            Some(message_id.clone()),
            400,
            "Error processing XML".into(),
            errors,
        )
    };
    let Some(po) = root.child("PurchaseOrder") else {
        return parse_failure(&st, &POS, "PurchaseOrder is required".into());
    };
    let Some(h) = po.child("POHeader") else {
        return parse_failure(&st, &POS, "PurchaseOrder/POHeader is required".into());
    };
    let Some(po_number) = text(h, "PONumber") else {
        return refuse(vec!["PONumber is required".into()]);
    };
    let kind = match h.attr("type") {
        None => "new",
        Some("update") => "update",
        Some("cancel") => "cancel",
        Some(other) => return refuse(vec![format!("POHeader type `{other}` is not supported")]),
    };
    let distribute = match text(h, "DistributeRevision") {
        None if kind == "new" => None,
        None => return refuse(vec![format!("DistributeRevision is required for {kind}")]),
        Some(v) => match v.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => return refuse(vec![format!("DistributeRevision `{v}` is not true/false")]),
        },
    };
    let known = read(&st.inner.knobs).xml.custom_fields.clone();
    let mut unknown = Vec::new();
    let header_fields = custom_fields(h, &known, &mut unknown);
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for l in po.all("POLine") {
        let n = l.attr("linenumber").unwrap_or_default();
        let Ok(line_number) = n.parse::<u32>() else {
            errors.push(format!("POLine linenumber `{n}` is not a number"));
            continue;
        };
        let fields = custom_fields(l, &known, &mut unknown);
        let qty = dec_at(l, "Quantity", &format!("POLine {n} Quantity"));
        let price = dec_at(
            l,
            "LineCharges/UnitPrice/Money",
            &format!("POLine {n} UnitPrice"),
        );
        let currency = l
            .path("LineCharges/UnitPrice/Money")
            .and_then(|m| m.attr("currency"))
            .unwrap_or_default()
            .to_owned();
        match (qty, price) {
            (Ok(quantity), Ok(unit_price)) if !currency.is_empty() => lines.push(XmlPoLineRecord {
                line_number,
                description: text(l, "Item/Description").unwrap_or_default(),
                quantity,
                unit_price,
                currency,
                custom_fields: fields,
                requested_delivery: text(l, "DeliveryInfo/RequestedDeliveryDate"),
            }),
            (Ok(_), Ok(_)) => errors.push(format!("POLine {n}: Money currency is required")),
            (Err(e), _) | (_, Err(e)) => errors.push(e),
        }
    }
    if !unknown.is_empty() {
        return refuse(unknown);
    }
    if !errors.is_empty() {
        return refuse(errors);
    }
    let supplier_number = text(h, "Supplier/SupplierNumber").unwrap_or_default();
    let revision = text(h, "RevisionNumber").and_then(|r| r.parse().ok());
    let ship_to = text(h, "ShipTo/Address/AddressCode");
    let requestor = h
        .path("Requestor/UserProfile")
        .and_then(|u| u.attr("username"))
        .map(str::to_owned);
    let mut x = lock(&st.inner.xml);
    let existing = x.pos.get_mut(&po_number);
    match (kind, existing) {
        ("new", Some(old)) if old.status != "Cancelled" => {
            drop(x);
            return refuse(vec![format!("Purchase order {po_number} already exists")]);
        }
        ("update" | "cancel", None) => {
            drop(x);
            return refuse(vec![format!("Purchase order {po_number} does not exist")]);
        }
        ("cancel", Some(old)) => {
            old.status = "Cancelled".into();
            old.distribute_revision = distribute;
            old.history.push("cancel".into());
        }
        (_, Some(old)) => {
            old.status = "Open".into();
            old.supplier_number = supplier_number;
            old.revision = revision;
            old.distribute_revision = distribute;
            old.header_fields = header_fields;
            old.lines = lines;
            old.ship_to = ship_to;
            old.requestor = requestor;
            old.history.push(kind.into());
        }
        (_, None) => {
            x.pos.insert(
                po_number.clone(),
                XmlPoRecord {
                    po_number: po_number.clone(),
                    supplier_number,
                    status: "Open".into(),
                    revision,
                    distribute_revision: distribute,
                    header_fields,
                    lines,
                    ship_to,
                    requestor,
                    history: vec!["new".into()],
                },
            );
        }
    }
    drop(x);
    answer(
        &st,
        &POS,
        Some(message_id),
        200,
        "success".into(),
        Vec::new(),
    )
}

// ---------------------------------------------------------------------------------------------
// Invoice export

fn jtext(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

struct Out {
    s: String,
    bare_amp: bool,
}

impl Out {
    fn leaf(&mut self, indent: usize, name: &str, value: Option<String>) {
        if let Some(v) = value {
            self.s.push_str(&format!(
                "{:indent$}<{name}>{}</{name}>\n",
                "",
                escape(v.as_str())
            ));
        }
    }
    fn line(&mut self, indent: usize, text: &str) {
        self.s.push_str(&format!("{:indent$}{text}\n", ""));
    }
}

fn field_values(out: &mut Out, indent: usize, v: &Value, name_key: &str) {
    for f in v["customFieldValueList"]["customFieldValue"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = f[name_key].as_str().unwrap_or_default();
        out.line(
            indent,
            &format!("<CustomFieldValue name=\"{}\">", escape(name)),
        );
        out.leaf(indent + 2, "Value", jtext(&f["value"]));
        out.leaf(indent + 2, "Description", jtext(&f["description"]));
        out.line(indent, "</CustomFieldValue>");
    }
}

fn value_sets(out: &mut Out, indent: usize, v: &Value) {
    for set in v["customFieldValueSetList"]["customFieldValueSet"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = set["name"].as_str().unwrap_or_default();
        out.line(
            indent,
            &format!("<CustomFieldValueSet name=\"{}\">", escape(name)),
        );
        for f in set["customFieldValueList"]["customFieldValue"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.line(indent + 2, "<CustomFieldValue>");
            out.leaf(indent + 4, "Value", jtext(&f["value"]));
            out.leaf(indent + 4, "Description", jtext(&f["description"]));
            out.line(indent + 2, "</CustomFieldValue>");
        }
        out.line(indent, "</CustomFieldValueSet>");
    }
}

/// A `BuyerInvoiceExportMessage` for a J1P invoice document (`{"header", "lineList"}`).
pub(crate) fn export_document(doc: &Value, message_id: &str, knobs: &XmlKnobs) -> String {
    let h = &doc["header"];
    let mut out = Out {
        s: String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE BuyerInvoiceExportMessage SYSTEM \"https://integrations.sciquest.com/app_docs/dtd/documentExport/DocumentExport.dtd\">\n",
        ),
        bare_amp: knobs.export_bare_ampersand,
    };
    out.line(0, "<BuyerInvoiceExportMessage version=\"1.0\">");
    out.line(2, "<Header>");
    out.leaf(4, "MessageId", Some(message_id.to_owned()));
    out.leaf(4, "Timestamp", Some(now_text()));
    out.line(4, "<Authentication>");
    out.leaf(6, "Identity", Some(knobs.identity.clone()));
    out.leaf(6, "SharedSecret", Some(knobs.shared_secret.clone()));
    out.line(4, "</Authentication>");
    out.line(2, "</Header>");
    out.line(2, "<Invoice>");
    let status = h["paymentStatus"].as_str().unwrap_or("Payable");
    out.line(4, &format!("<InvoiceHeader status=\"{}\">", escape(status)));
    // JAGGAER's invoice id (the J1P `invoiceId`). The public consumers show "a voucher id"
    // whose element name is not visible: `InvoiceId` is this simulator's choice, and the
    // connector's `export_invoice_id` setting defaults to it.
    out.leaf(6, "InvoiceId", jtext(&h["invoiceId"]));
    out.leaf(6, "InvoiceNumber", jtext(&h["invoiceNumber"]));
    out.leaf(6, "SupplierInvoiceNo", jtext(&h["supplierInvoiceNumber"]));
    out.leaf(6, "InvoiceType", jtext(&h["invoiceType"]));
    let date = |v: &Value| jtext(v).map(|d| d.chars().take(10).collect::<String>());
    out.leaf(6, "InvoiceDate", date(&h["invoiceDate"]));
    out.leaf(6, "InvoiceCreateDate", date(&h["invoiceCreateDate"]));
    out.leaf(6, "Currency", jtext(&h["total"]["currency"]));
    out.line(6, "<Supplier>");
    let name = jtext(&h["supplier"]["name"]).unwrap_or_default();
    if out.bare_amp {
        // What JAGGAER has been seen sending: `&` not escaped (the rest still is).
        let escaped = escape(name.as_str()).replace("&amp;", "&");
        out.line(8, &format!("<Name>{escaped}</Name>"));
    } else {
        out.leaf(8, "Name", Some(name));
    }
    out.leaf(8, "SupplierNumber", jtext(&h["supplier"]["supplierNumber"]));
    out.line(6, "</Supplier>");
    // Header charges (element names are this simulator's choice; the reference names only the
    // line's ShippingCharge): tax = taxCharge1 + taxCharge2, misc = Σ miscFee.
    let amount = |v: &Value| jtext(v).and_then(|t| t.parse::<Decimal>().ok());
    let tax = [amount(&h["taxCharge1"]), amount(&h["taxCharge2"])]
        .into_iter()
        .flatten()
        .reduce(|a, b| a + b);
    let misc = h["miscFeeList"]["miscFee"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| amount(&f["fee"]))
        .reduce(|a, b| a + b);
    out.leaf(6, "ShippingCharge", jtext(&h["shippingCharge"]));
    out.leaf(6, "HandlingCharge", jtext(&h["handlingCharge"]));
    out.leaf(6, "MiscCharge", misc.map(|m| m.to_string()));
    out.leaf(6, "DiscountAmount", jtext(&h["discountAmount"]));
    out.leaf(6, "TaxAmount", tax.map(|t| t.to_string()));
    out.leaf(6, "Total", jtext(&h["total"]["value"]));
    value_sets(&mut out, 6, h);
    out.line(4, "</InvoiceHeader>");
    if status != "Cancelled" {
        for l in doc["lineList"]["invoiceLine"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let n = jtext(&l["lineNumber"]).unwrap_or_default();
            out.line(
                4,
                &format!("<InvoiceLine linenumber=\"{}\">", escape(n.as_str())),
            );
            out.leaf(6, "PONumber", jtext(&l["poNumber"]));
            out.leaf(6, "POLineNumber", jtext(&l["poLineNumber"]));
            out.leaf(6, "Quantity", jtext(&l["quantity"]));
            out.leaf(6, "UnitPrice", jtext(&l["unitPrice"]));
            out.line(6, "<Item>");
            out.leaf(8, "Description", jtext(&l["item"]["description"]));
            out.leaf(
                8,
                "UnitOfMeasureDimension",
                jtext(&l["item"]["unitOfMeasure"]["dimension"]),
            );
            out.leaf(8, "ProductType", jtext(&l["item"]["productType"]));
            out.line(6, "</Item>");
            value_sets(&mut out, 6, l);
            let idx = l.pointer(
                "/splittableFieldSetGroupList/splittableFieldSetGroup/0/splittableFieldIndexSet/0/splittableFieldIndexList/splittableFieldIndex",
            );
            if let Some(splits) = idx.and_then(Value::as_array) {
                out.line(6, "<SplittableFieldSetGroup>");
                out.line(8, "<SplittableFieldIndexSet>");
                for (i, sp) in splits.iter().enumerate() {
                    let value = jtext(&sp["distributionValue"]).unwrap_or_default();
                    let attr = if sp["distributionType"] == "AmountOfPrice" {
                        "distributionvalue"
                    } else {
                        "percent"
                    };
                    out.line(
                        10,
                        &format!(
                            "<SplittableFieldIndex splitindex=\"{i}\" {attr}=\"{}\">",
                            escape(value.as_str())
                        ),
                    );
                    field_values(&mut out, 12, sp, "internalName");
                    out.line(10, "</SplittableFieldIndex>");
                }
                out.line(8, "</SplittableFieldIndexSet>");
                out.line(6, "</SplittableFieldSetGroup>");
            }
            out.line(4, "</InvoiceLine>");
        }
    }
    out.line(2, "</Invoice>");
    out.line(0, "</BuyerInvoiceExportMessage>");
    out.s
}

/// Reads a `DocumentExportResponse`: `(StatusCode, MessageId)`.
fn export_reply(body: &str) -> Option<(u16, Option<String>)> {
    read_export_response(body).map(|r| (r.status_code, r.message_id))
}

/// A `DocumentExportResponse` as the simulator's strict reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportResponse {
    /// `Response/Status/StatusCode`.
    pub status_code: u16,
    /// `Response/Status/StatusText`.
    pub status_text: Option<String>,
    /// `Header/MessageId`.
    pub message_id: Option<String>,
}

/// Reads a `DocumentExportResponse` with the simulator's strict reader (what the pusher uses to
/// decide whether JAGGAER's export was accepted); `None` when it does not read or the root or
/// `StatusCode` is wrong.
pub fn read_export_response(body: &str) -> Option<ExportResponse> {
    let root = parse(body).ok()?;
    if root.name != "DocumentExportResponse" {
        return None;
    }
    let status_code = text(&root, "Response/Status/StatusCode")?.parse().ok()?;
    Some(ExportResponse {
        status_code,
        status_text: text(&root, "Response/Status/StatusText"),
        message_id: text(&root, "Header/MessageId"),
    })
}

impl JaggaerSimState {
    /// The `BuyerInvoiceExportMessage` JAGGAER would push for an invoice, with a new
    /// `MessageId` (`JGR-EXP-<invoice>-<n>`). `None` for an unknown invoice.
    pub fn invoice_export_xml(&self, invoice_id: i64) -> Option<(String, String)> {
        let doc = self.invoice_json(invoice_id)?;
        let seq = {
            let mut x = lock(&self.inner.xml);
            x.export_seq += 1;
            x.export_seq
        };
        let message_id = format!("JGR-EXP-{invoice_id}-{seq}");
        let knobs = read(&self.inner.knobs).xml.clone();
        let xml = export_document(&doc, &message_id, &knobs);
        Some((message_id, xml))
    }

    /// Pushes an invoice's export to `knobs.xml.export_url` (see [`Self::push_invoice_export_to`]).
    pub async fn push_invoice_export(
        &self,
        invoice_id: i64,
    ) -> Result<ExportPush, JaggaerSimError> {
        let url = read(&self.inner.knobs)
            .xml
            .export_url
            .clone()
            .ok_or_else(|| JaggaerSimError::InvalidPath {
                path: String::new(),
                reason: "no export_url configured".into(),
            })?;
        self.push_invoice_export_to(invoice_id, &url).await
    }

    /// Pushes an invoice's `BuyerInvoiceExportMessage` to `url`, retrying (same `MessageId`) on
    /// a non-200 answer or a transport failure up to `export_attempts` times; records the push.
    pub async fn push_invoice_export_to(
        &self,
        invoice_id: i64,
        url: &str,
    ) -> Result<ExportPush, JaggaerSimError> {
        let (message_id, xml) = self
            .invoice_export_xml(invoice_id)
            .ok_or_else(|| JaggaerSimError::InvalidInvoice(format!("no invoice {invoice_id}")))?;
        Ok(self
            .push_export_document(Some(invoice_id), &message_id, url, xml)
            .await)
    }

    /// Pushes any document (e.g. a hand-made malformed or forged one) with the same retry and
    /// recording as an invoice export.
    pub async fn push_export_document(
        &self,
        invoice_id: Option<i64>,
        message_id: &str,
        url: &str,
        xml: String,
    ) -> ExportPush {
        let knobs = read(&self.inner.knobs).xml.clone();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let mut push = ExportPush {
            invoice_id,
            message_id: message_id.to_owned(),
            attempts: Vec::new(),
            accepted: false,
        };
        for attempt in 0..knobs.export_attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(knobs.export_retry_delay).await;
            }
            let sent = client
                .post(url)
                .header("content-type", "application/xml; charset=UTF-8")
                .body(xml.clone())
                .send()
                .await;
            match sent {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap_or_default();
                    let ok = status == 200
                        && export_reply(&body)
                            .is_some_and(|(c, id)| c == 200 && id.as_deref() == Some(message_id));
                    push.attempts.push((status, body));
                    if ok {
                        push.accepted = true;
                        break;
                    }
                }
                Err(e) => push.attempts.push((0, e.to_string())),
            }
        }
        lock(&self.inner.xml).pushes.push(push.clone());
        push
    }

    /// Every export push so far, in order.
    pub fn export_pushes(&self) -> Vec<ExportPush> {
        lock(&self.inner.xml).pushes.clone()
    }

    /// Suppliers received through `TSMSupplierXMLImport`, by `ERPNumber`.
    pub fn xml_suppliers(&self) -> Vec<XmlSupplierRecord> {
        lock(&self.inner.xml).suppliers.values().cloned().collect()
    }

    /// POs received through `POXMLImport`, by `PONumber`.
    pub fn xml_purchase_orders(&self) -> Vec<XmlPoRecord> {
        lock(&self.inner.xml).pos.values().cloned().collect()
    }

    /// One PO received through `POXMLImport`.
    pub fn xml_purchase_order(&self, po_number: &str) -> Option<XmlPoRecord> {
        lock(&self.inner.xml).pos.get(po_number).cloned()
    }

    /// Every document the Router actions answered, in order.
    pub fn xml_documents(&self) -> Vec<XmlDocRecord> {
        lock(&self.inner.xml).docs.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_required() {
        assert!(has_offset("2026-12-05T09:06:42.209-04:00"));
        assert!(has_offset("2026-12-05T09:06:42+00:00"));
        assert!(has_offset("2026-12-05T09:06:42Z"));
        assert!(!has_offset("2026-12-05T09:06:42"));
        assert!(!has_offset("20210218"));
    }
}
