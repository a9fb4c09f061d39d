//! The cXML `OrderRequest` writer (POs sent to JAGGAER with `transport = "cxml"`).
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::{CXML_DTD, CXML_VERSION};

/// A party credential (`From`, `To`, `Sender`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// `Credential@domain`, e.g. `NetworkID`, `DUNS`.
    pub domain: String,
    /// `Identity`.
    pub identity: String,
}

/// `new`, `update` or `delete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    /// First transmission of the PO.
    New,
    /// A change of a PO sent before.
    Update,
    /// Cancellation of a PO sent before.
    Delete,
}

impl OrderType {
    fn as_str(self) -> &'static str {
        match self {
            OrderType::New => "new",
            OrderType::Update => "update",
            OrderType::Delete => "delete",
        }
    }
}

/// A postal address (`ShipTo`/`BillTo`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// `Address@addressID` (e.g. the JDE AN8 of the ship-to).
    pub address_id: Option<String>,
    /// Name.
    pub name: String,
    /// Street lines (PostalAddress is written only when there is at least one).
    pub street: Vec<String>,
    /// City.
    pub city: String,
    /// State.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO country code.
    pub country_code: String,
    /// Country name.
    pub country_name: String,
}

/// One accounting segment: `Name` is the segment type (`GL`, `CostCenter`), `id` the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountingSegment {
    /// Segment type.
    pub name: String,
    /// Code, e.g. `200.6110`.
    pub id: String,
    /// Label.
    pub description: String,
}

/// One split of a line's amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// Coding.
    pub segments: Vec<AccountingSegment>,
    /// Amount charged to it.
    pub charge: Decimal,
}

/// One `ItemOut`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    /// `ItemOut@lineNumber`: an unsigned integer (the DTD says so). The connector sends JDE's
    /// LNID × 1000 (`mlc_core::po_line`): line `1.5` is `1500`.
    pub line_number: u32,
    /// Quantity.
    pub quantity: Decimal,
    /// Supplier part number (the JDE item number when the supplier's is unknown).
    pub supplier_part_id: String,
    /// Description.
    pub description: String,
    /// Unit price.
    pub unit_price: Decimal,
    /// Unit of measure (UN/CEFACT code).
    pub unit_of_measure: String,
    /// UNSPSC code (the DTD requires a Classification; empty text when unknown).
    pub classification: String,
    /// Requested delivery date.
    pub requested_delivery_date: Option<jiff::civil::Date>,
    /// Accounting splits.
    pub distribution: Vec<Distribution>,
    /// `ItemDetail/Extrinsic` name/value pairs (line type, promised date, quantities), in order;
    /// blank values are not written.
    pub extrinsics: Vec<(String, String)>,
}

/// A `Contact` of the order header (e.g. `role="buyer"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderContact {
    /// `Contact@role` (an NMTOKEN: `buyer`, `endUser`, ...).
    pub role: String,
    /// `Contact@addressID` (e.g. the JDE address number).
    pub address_id: Option<String>,
    /// `Name`.
    pub name: String,
}

/// A cXML OrderRequest document.
///
/// `Debug` does not show the shared secret.
#[derive(Debug, Clone)]
pub struct OrderRequestDoc {
    /// `cXML@payloadID` (see [`payload_id_for`]).
    pub payload_id: String,
    /// Document time.
    pub timestamp: jiff::Timestamp,
    /// Buyer.
    pub from: Credential,
    /// Receiver (JAGGAER).
    pub to: Credential,
    /// The party posting (us).
    pub sender: Credential,
    /// Sender's shared secret (written only in `Sender`).
    pub shared_secret: SecretString,
    /// `UserAgent`.
    pub user_agent: String,
    /// `Request@deploymentMode="test"` when true.
    pub test_mode: bool,
    /// PO number (`KCOO-DCTO-DOCO`).
    pub order_id: String,
    /// new/update/delete.
    pub order_type: OrderType,
    /// 1 for the first version, +1 per change.
    pub order_version: u32,
    /// payloadID of the previous OrderRequest for this order (for update/delete).
    pub previous_payload_id: Option<String>,
    /// Order date.
    pub order_date: jiff::Timestamp,
    /// Total.
    pub total: Decimal,
    /// ISO 4217 currency of every amount.
    pub currency: String,
    /// Supplier AN8 (written as `Extrinsic name="SupplierNumber"`).
    pub supplier_number: Option<String>,
    /// Supplier name (written as `Extrinsic name="SupplierName"`).
    pub supplier_name: Option<String>,
    /// Ship-to.
    pub ship_to: Option<Address>,
    /// Bill-to; the DTD requires one, so when `None` a bill-to named after the buyer identity is
    /// written.
    pub bill_to: Option<Address>,
    /// Header contacts (the buyer), written after `BillTo`.
    pub contacts: Vec<OrderContact>,
    /// More `OrderRequestHeader/Extrinsic` name/value pairs after `SupplierNumber` and
    /// `SupplierName` (ordered by, payment terms, dates); blank values are not written.
    pub extrinsics: Vec<(String, String)>,
    /// Lines.
    pub items: Vec<OrderItem>,
}

/// Deterministic payloadID for one PO version: the same (tenant, PO, content) always gives the
/// same id, so a resend is recognisable as a duplicate, and a changed PO gets a new one.
pub fn payload_id_for(tenant: &str, po_number: &str, content_hash: &str) -> String {
    let mut h = Sha256::new();
    for part in [tenant, po_number, content_hash] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let digest = hex::encode(h.finalize());
    format!("{}@ml-connector", &digest[..40])
}

/// A tiny XML writer: every text and attribute value goes through quick-xml's escaping.
pub(crate) struct W {
    out: String,
    depth: usize,
}

impl W {
    fn indent(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.out.push_str(&quick_xml::escape::escape(*v));
            self.out.push('"');
        }
    }
    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push('>');
        self.depth = self.depth.saturating_add(1);
    }
    pub(crate) fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }
    pub(crate) fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push('>');
        self.out.push_str(&quick_xml::escape::escape(text));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }
    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push_str("/>");
    }
    fn money(&mut self, wrapper: &str, amount: &Decimal, currency: &str) {
        self.open(wrapper, &[]);
        self.leaf("Money", &[("currency", currency)], &amount.to_string());
        self.close(wrapper);
    }
}

pub(crate) fn cxml_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

pub(crate) fn write_prolog(w: &mut W, payload_id: &str, timestamp: jiff::Timestamp) {
    w.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.out
        .push_str(&format!("<!DOCTYPE cXML SYSTEM \"{CXML_DTD}\">"));
    let ts = cxml_time(timestamp);
    w.open(
        "cXML",
        &[
            ("payloadID", payload_id),
            ("timestamp", &ts),
            ("version", CXML_VERSION),
            ("xml:lang", "en-US"),
        ],
    );
}

pub(crate) fn new_writer() -> W {
    W {
        out: String::new(),
        depth: 0,
    }
}

pub(crate) fn finish(mut w: W) -> String {
    w.close("cXML");
    w.out.push('\n');
    w.out
}

fn credential(w: &mut W, c: &Credential, secret: Option<&SecretString>) {
    w.open("Credential", &[("domain", &c.domain)]);
    w.leaf("Identity", &[], &c.identity);
    if let Some(s) = secret {
        w.leaf("SharedSecret", &[], s.expose_secret());
    }
    w.close("Credential");
}

fn address(w: &mut W, a: &Address) {
    let mut attrs: Vec<(&str, &str)> = Vec::new();
    if let Some(id) = &a.address_id {
        attrs.push(("addressID", id));
    }
    if !a.country_code.is_empty() {
        attrs.push(("isoCountryCode", &a.country_code));
    }
    w.open("Address", &attrs);
    w.leaf("Name", &[("xml:lang", "en")], &a.name);
    if !a.street.is_empty() {
        w.open("PostalAddress", &[]);
        for s in &a.street {
            w.leaf("Street", &[], s);
        }
        w.leaf("City", &[], &a.city);
        if let Some(s) = &a.state {
            w.leaf("State", &[], s);
        }
        if let Some(p) = &a.postal_code {
            w.leaf("PostalCode", &[], p);
        }
        w.leaf(
            "Country",
            &[("isoCountryCode", &a.country_code)],
            &a.country_name,
        );
        w.close("PostalAddress");
    }
    w.close("Address");
}

impl OrderRequestDoc {
    /// The document text, with the 1.2.069 `cXML.dtd` DOCTYPE.
    pub fn to_xml(&self) -> String {
        let cur = self.currency.as_str();
        let mut w = new_writer();
        write_prolog(&mut w, &self.payload_id, self.timestamp);
        w.open("Header", &[]);
        w.open("From", &[]);
        credential(&mut w, &self.from, None);
        w.close("From");
        w.open("To", &[]);
        credential(&mut w, &self.to, None);
        w.close("To");
        w.open("Sender", &[]);
        credential(&mut w, &self.sender, Some(&self.shared_secret));
        w.leaf("UserAgent", &[], &self.user_agent);
        w.close("Sender");
        w.close("Header");
        let mode = if self.test_mode { "test" } else { "production" };
        w.open("Request", &[("deploymentMode", mode)]);
        w.open("OrderRequest", &[]);
        let date = cxml_time(self.order_date);
        let version = self.order_version.to_string();
        w.open(
            "OrderRequestHeader",
            &[
                ("orderID", &self.order_id),
                ("orderDate", &date),
                ("type", self.order_type.as_str()),
                ("orderVersion", &version),
            ],
        );
        w.money("Total", &self.total, cur);
        if let Some(a) = &self.ship_to {
            w.open("ShipTo", &[]);
            address(&mut w, a);
            w.close("ShipTo");
        }
        w.open("BillTo", &[]);
        match &self.bill_to {
            Some(a) => address(&mut w, a),
            None => address(
                &mut w,
                &Address {
                    name: self.from.identity.clone(),
                    ..Address::default()
                },
            ),
        }
        w.close("BillTo");
        for c in &self.contacts {
            let mut attrs: Vec<(&str, &str)> = vec![("role", &c.role)];
            if let Some(id) = &c.address_id {
                attrs.push(("addressID", id));
            }
            w.open("Contact", &attrs);
            w.leaf("Name", &[("xml:lang", "en")], &c.name);
            w.close("Contact");
        }
        if let Some(prev) = &self.previous_payload_id
            && self.order_type != OrderType::New
        {
            w.empty("DocumentReference", &[("payloadID", prev)]);
        }
        if let Some(n) = &self.supplier_number {
            w.leaf("Extrinsic", &[("name", "SupplierNumber")], n);
        }
        if let Some(n) = &self.supplier_name {
            w.leaf("Extrinsic", &[("name", "SupplierName")], n);
        }
        for (k, v) in self.extrinsics.iter().filter(|(_, v)| !v.is_empty()) {
            w.leaf("Extrinsic", &[("name", k)], v);
        }
        w.close("OrderRequestHeader");
        for item in &self.items {
            let qty = item.quantity.to_string();
            let line = item.line_number.to_string();
            let rdd = item.requested_delivery_date.map(|d| d.to_string());
            let mut attrs = vec![("quantity", qty.as_str()), ("lineNumber", line.as_str())];
            if let Some(d) = &rdd {
                attrs.push(("requestedDeliveryDate", d));
            }
            w.open("ItemOut", &attrs);
            w.open("ItemID", &[]);
            w.leaf("SupplierPartID", &[], &item.supplier_part_id);
            w.close("ItemID");
            w.open("ItemDetail", &[]);
            w.money("UnitPrice", &item.unit_price, cur);
            w.leaf("Description", &[("xml:lang", "en")], &item.description);
            w.leaf("UnitOfMeasure", &[], &item.unit_of_measure);
            w.leaf(
                "Classification",
                &[("domain", "UNSPSC")],
                &item.classification,
            );
            for (k, v) in item.extrinsics.iter().filter(|(_, v)| !v.is_empty()) {
                w.leaf("Extrinsic", &[("name", k)], v);
            }
            w.close("ItemDetail");
            // The DTD needs at least one segment per Accounting; a split without coding carries
            // no information for the receiver, so it is not written.
            for d in item.distribution.iter().filter(|d| !d.segments.is_empty()) {
                w.open("Distribution", &[]);
                w.open("Accounting", &[("name", "DistributionCharge")]);
                for s in &d.segments {
                    w.open("AccountingSegment", &[("id", &s.id)]);
                    w.leaf("Name", &[("xml:lang", "en")], &s.name);
                    w.leaf("Description", &[("xml:lang", "en")], &s.description);
                    w.close("AccountingSegment");
                }
                w.close("Accounting");
                w.money("Charge", &d.charge, cur);
                w.close("Distribution");
            }
            w.close("ItemOut");
        }
        w.close("OrderRequest");
        w.close("Request");
        finish(w)
    }
}
