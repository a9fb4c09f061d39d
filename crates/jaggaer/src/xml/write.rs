//! Outbound Router documents: `SupplierSyncMessage` and `PurchaseOrderMessage`.
//!
//! Written with quick-xml's [`Writer`]: element text goes through `BytesText::new` and attribute
//! values through `push_attribute`, both of which escape `&`, `<`, `>`, `'` and `"`. Characters
//! XML 1.0 cannot carry at all (C0 controls other than tab/newline/CR, U+FFFE, U+FFFF) are
//! dropped, so every document we send is well-formed whatever JDE holds.
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;

use super::{PO_DTD, SUPPLIER_DTD, XmlAuth, XmlHeader, router_time};

/// Keeps only characters XML 1.0 allows.
pub(crate) fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    fn ok(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
    }
    if s.chars().all(ok) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.chars().filter(|c| ok(*c)).collect())
    }
}

/// A pretty-printing writer over memory.
pub(crate) struct XmlOut {
    w: Writer<Vec<u8>>,
}

impl XmlOut {
    /// A document with the XML declaration and, when given, a DOCTYPE (`root`, system id).
    pub(crate) fn new(doctype: Option<(&str, &str)>) -> Self {
        let mut out = Self {
            w: Writer::new_with_indent(Vec::new(), b' ', 2),
        };
        out.ev(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        if let Some((root, system)) = doctype {
            // Both parts are our constants; no user text goes into the DOCTYPE.
            out.ev(Event::DocType(BytesText::from_escaped(format!(
                "{root} SYSTEM \"{system}\""
            ))));
        }
        out
    }

    fn ev(&mut self, e: Event<'_>) {
        // Writing into a Vec<u8> has no I/O error to report.
        if let Err(e) = self.w.write_event(e) {
            unreachable!("writing XML to memory failed: {e}");
        }
    }

    fn start<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
        let mut s = BytesStart::new(name);
        for (k, v) in attrs {
            s.push_attribute((*k, xml_chars(v).as_ref()));
        }
        s
    }

    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.ev(Event::Start(Self::start(name, attrs)));
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.ev(Event::End(BytesEnd::new(name)));
    }

    pub(crate) fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.ev(Event::Start(Self::start(name, attrs)));
        let text = xml_chars(text);
        if !text.is_empty() {
            self.ev(Event::Text(BytesText::new(&text)));
        }
        self.ev(Event::End(BytesEnd::new(name)));
    }

    pub(crate) fn opt_leaf(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.leaf(name, &[], t);
        }
    }

    /// The document text, ending with a newline.
    pub(crate) fn finish(self) -> String {
        let mut s = String::from_utf8(self.w.into_inner())
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        s.push('\n');
        s
    }
}

/// `Header` with `MessageId`, `Timestamp` and, for requests, `Authentication`.
pub(crate) fn header(out: &mut XmlOut, h: &XmlHeader, auth: Option<&XmlAuth>) {
    out.open("Header", &[]);
    out.leaf("MessageId", &[], &h.message_id);
    out.leaf("Timestamp", &[], &router_time(h.timestamp));
    if let Some(a) = auth {
        out.open("Authentication", &[]);
        out.leaf("Identity", &[], &a.identity);
        out.leaf("SharedSecret", &[], a.shared_secret.expose_secret());
        out.close("Authentication");
    }
    out.close("Header");
}

fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

// ---------------------------------------------------------------------------------------------
// Suppliers

/// A supplier address (from F0116), `AddressList/Address@type` in the supplier message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmlAddress {
    /// `Address@type` (e.g. `remittance`, `fulfillment`).
    pub address_type: String,
    /// `Address/ERPNumber`: our key of the address (e.g. `AN8-EFTB`), when we have one.
    pub erp_number: Option<String>,
    /// `Address/Name`.
    pub name: Option<String>,
    /// Street lines, written as `AddressLine1..3` (lines beyond the third are joined into the
    /// third with `, `).
    pub lines: Vec<String>,
    /// `City`.
    pub city: String,
    /// `State`.
    pub state: Option<String>,
    /// `PostalCode`.
    pub postal_code: Option<String>,
    /// `IsoCountryCode`.
    pub country_code: String,
}

/// One supplier (`SupplierRequestMessage/Supplier`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmlSupplier {
    /// `ERPNumber`: the JDE address number (AN8), the key JAGGAER matches on.
    pub erp_number: String,
    /// `Name`.
    pub name: String,
    /// `Active` (`Yes`/`No`).
    pub active: bool,
    /// `TaxIdentificationNumber`.
    pub tax_id: Option<String>,
    /// Primary contact e-mail (from F01151), `ContactList/Contact[@type=primary]/Email`.
    pub email: Option<String>,
    /// Addresses.
    pub addresses: Vec<XmlAddress>,
}

/// One `SupplierSyncMessage`: a page of suppliers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierSyncMessage {
    /// Envelope header.
    pub header: XmlHeader,
    /// The suppliers of the page (one per message when a page is re-sent to find a bad one).
    pub suppliers: Vec<XmlSupplier>,
}

impl SupplierSyncMessage {
    /// The document, with the `TSMSupplier.dtd` DOCTYPE.
    pub fn to_xml(&self, auth: &XmlAuth) -> String {
        let mut out = XmlOut::new(Some(("SupplierSyncMessage", SUPPLIER_DTD)));
        out.open("SupplierSyncMessage", &[("version", "1.0")]);
        header(&mut out, &self.header, Some(auth));
        out.open("SupplierRequestMessage", &[]);
        for s in &self.suppliers {
            supplier(&mut out, s);
        }
        out.close("SupplierRequestMessage");
        out.close("SupplierSyncMessage");
        out.finish()
    }
}

fn supplier(out: &mut XmlOut, s: &XmlSupplier) {
    out.open("Supplier", &[]);
    out.leaf("ERPNumber", &[], &s.erp_number);
    out.leaf("Name", &[], &s.name);
    out.leaf("Active", &[], yes_no(s.active));
    out.opt_leaf("TaxIdentificationNumber", s.tax_id.as_deref());
    if !s.addresses.is_empty() {
        out.open("AddressList", &[]);
        for a in &s.addresses {
            out.open("Address", &[("type", &a.address_type)]);
            out.opt_leaf("ERPNumber", a.erp_number.as_deref());
            out.opt_leaf("Name", a.name.as_deref());
            out.leaf("Active", &[], "Yes");
            let mut lines: Vec<String> = a.lines.iter().take(2).cloned().collect();
            if let Some(rest) = a.lines.get(2..).filter(|r| !r.is_empty()) {
                lines.push(rest.join(", "));
            }
            for (i, l) in lines.iter().enumerate() {
                out.leaf(&format!("AddressLine{}", i.saturating_add(1)), &[], l);
            }
            out.leaf("City", &[], &a.city);
            out.opt_leaf("State", a.state.as_deref());
            out.opt_leaf("PostalCode", a.postal_code.as_deref());
            out.leaf("IsoCountryCode", &[], &a.country_code);
            out.close("Address");
        }
        out.close("AddressList");
    }
    if let Some(email) = &s.email {
        out.open("ContactList", &[]);
        out.open("Contact", &[("type", "primary")]);
        out.leaf("Name", &[], &s.name);
        out.leaf("Active", &[], "Yes");
        out.leaf("Email", &[], email);
        out.close("Contact");
        out.close("ContactList");
    }
    out.close("Supplier");
}

// ---------------------------------------------------------------------------------------------
// Purchase orders

/// New, update or cancel (`POHeader@type` absent, `update`, `cancel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoMessageType {
    /// First transmission.
    New,
    /// A changed PO: `type="update"`, `DistributeRevision` false (JAGGAER does not re-send the
    /// order to the supplier).
    Update,
    /// A fully cancelled PO: `type="cancel"`.
    Cancel,
}

/// A header or line custom field with one value (`CustomFieldValueSet@name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlCustomField {
    /// Internal name JAGGAER knows the field by (unknown names are refused by JAGGAER with
    /// "No custom field found").
    pub name: String,
    /// Optional display label (`@label`).
    pub label: Option<String>,
    /// The value.
    pub value: String,
}

impl XmlCustomField {
    /// A field without a label.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            label: None,
            value: value.into(),
        }
    }
}

/// A PO address (`BillTo/Address`, `ShipTo/Address`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmlPoAddress {
    /// `AddressCode` (e.g. the JDE AN8 of the ship-to).
    pub address_code: Option<String>,
    /// `Contact`.
    pub contact: Option<String>,
    /// `AddressLine@linenumber`.
    pub lines: Vec<String>,
    /// `City`.
    pub city: String,
    /// `State`.
    pub state: Option<String>,
    /// `PostalCode`.
    pub postal_code: Option<String>,
    /// `Country@isocountrycode`.
    pub country_code: String,
}

/// One `POLine`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlPoLine {
    /// `POLine@linenumber`.
    pub line_number: u32,
    /// `Item/CatalogNumber`.
    pub catalog_number: Option<String>,
    /// `Item/Description`.
    pub description: String,
    /// Unit of measure code (`Item/ProductUnitOfMeasure/Measurement/UnitOfMeasure`).
    pub unit_of_measure: String,
    /// `Quantity`.
    pub quantity: Decimal,
    /// `LineCharges/UnitPrice/Money`.
    pub unit_price: Decimal,
    /// `Money@currency`.
    pub currency: String,
    /// `DeliveryInfo/RequestedDeliveryDate`.
    pub requested_delivery: Option<jiff::civil::Date>,
    /// Line custom fields: the `Account` and `CostCenter` values (and any other).
    pub custom_fields: Vec<XmlCustomField>,
}

/// One `PurchaseOrderMessage` (version 3.0, `POXMLImport`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseOrderMessage {
    /// Envelope header.
    pub header: XmlHeader,
    /// New / update / cancel.
    pub kind: PoMessageType,
    /// `PONumber`.
    pub po_number: String,
    /// `RevisionNumber` (updates).
    pub revision: Option<u32>,
    /// `AccountingDate`.
    pub accounting_date: Option<jiff::civil::Date>,
    /// `Requestor/UserProfile@username`: who ordered (JDE F4301.ORBY).
    pub requestor: Option<String>,
    /// `Supplier/SupplierNumber`: the AN8 sent as `ERPNumber` in the supplier message.
    pub supplier_number: String,
    /// `Supplier/Name`.
    pub supplier_name: Option<String>,
    /// `BillTo/Address`.
    pub bill_to: Option<XmlPoAddress>,
    /// `ShipTo/Address`.
    pub ship_to: Option<XmlPoAddress>,
    /// Header custom fields.
    pub header_fields: Vec<XmlCustomField>,
    /// Lines.
    pub lines: Vec<XmlPoLine>,
}

fn custom_field(out: &mut XmlOut, f: &XmlCustomField) {
    let mut attrs: Vec<(&str, &str)> = Vec::new();
    if let Some(l) = &f.label {
        attrs.push(("label", l));
    }
    attrs.push(("name", &f.name));
    out.open("CustomFieldValueSet", &attrs);
    out.open("CustomFieldValue", &[]);
    out.leaf("Value", &[], &f.value);
    out.close("CustomFieldValue");
    out.close("CustomFieldValueSet");
}

fn po_address(out: &mut XmlOut, wrapper: &str, a: &XmlPoAddress) {
    out.open(wrapper, &[]);
    out.open("Address", &[]);
    out.opt_leaf("AddressCode", a.address_code.as_deref());
    out.opt_leaf("Contact", a.contact.as_deref());
    for (i, l) in a.lines.iter().enumerate() {
        let n = i.saturating_add(1).to_string();
        out.leaf("AddressLine", &[("linenumber", &n)], l);
    }
    out.leaf("City", &[], &a.city);
    out.opt_leaf("State", a.state.as_deref());
    out.opt_leaf("PostalCode", a.postal_code.as_deref());
    out.leaf(
        "Country",
        &[("isocountrycode", &a.country_code)],
        &a.country_code,
    );
    out.close("Address");
    out.close(wrapper);
}

fn date_time(d: jiff::civil::Date) -> String {
    format!("{d}T00:00:00+00:00")
}

impl PurchaseOrderMessage {
    /// The document, with the `PO.dtd` DOCTYPE.
    pub fn to_xml(&self, auth: &XmlAuth) -> String {
        let mut out = XmlOut::new(Some(("PurchaseOrderMessage", PO_DTD)));
        out.open("PurchaseOrderMessage", &[("version", "3.0")]);
        header(&mut out, &self.header, Some(auth));
        out.open("PurchaseOrder", &[]);
        match self.kind {
            PoMessageType::New => out.open("POHeader", &[]),
            PoMessageType::Update => out.open("POHeader", &[("type", "update")]),
            PoMessageType::Cancel => out.open("POHeader", &[("type", "cancel")]),
        }
        if self.kind != PoMessageType::New {
            out.leaf("DistributeRevision", &[], "false");
        }
        out.leaf("PONumber", &[], &self.po_number);
        if let Some(r) = self.revision {
            out.leaf("RevisionNumber", &[], &r.to_string());
        }
        if let Some(d) = self.accounting_date {
            out.leaf("AccountingDate", &[], &date_time(d));
        }
        if let Some(r) = &self.requestor {
            out.open("Requestor", &[]);
            out.open("UserProfile", &[("username", r)]);
            out.close("UserProfile");
            out.close("Requestor");
        }
        out.open("Supplier", &[]);
        out.opt_leaf("Name", self.supplier_name.as_deref());
        out.leaf("SupplierNumber", &[], &self.supplier_number);
        out.close("Supplier");
        if let Some(a) = &self.bill_to {
            po_address(&mut out, "BillTo", a);
        }
        if let Some(a) = &self.ship_to {
            po_address(&mut out, "ShipTo", a);
        }
        for f in &self.header_fields {
            custom_field(&mut out, f);
        }
        out.close("POHeader");
        for l in &self.lines {
            let n = l.line_number.to_string();
            out.open("POLine", &[("linenumber", &n)]);
            out.open("Item", &[]);
            out.opt_leaf("CatalogNumber", l.catalog_number.as_deref());
            out.leaf("Description", &[], &l.description);
            out.open("ProductUnitOfMeasure", &[("type", "buyer")]);
            out.open("Measurement", &[]);
            out.leaf("MeasurementValue", &[], "1");
            out.leaf("UnitOfMeasure", &[], &l.unit_of_measure);
            out.close("Measurement");
            out.close("ProductUnitOfMeasure");
            out.close("Item");
            out.leaf("Quantity", &[], &l.quantity.normalize().to_string());
            out.open("LineCharges", &[]);
            out.open("UnitPrice", &[]);
            out.leaf(
                "Money",
                &[("currency", &l.currency)],
                &l.unit_price.normalize().to_string(),
            );
            out.close("UnitPrice");
            out.close("LineCharges");
            if let Some(d) = l.requested_delivery {
                out.open("DeliveryInfo", &[]);
                out.leaf("RequestedDeliveryDate", &[], &date_time(d));
                out.close("DeliveryInfo");
            }
            for f in &l.custom_fields {
                custom_field(&mut out, f);
            }
            out.close("POLine");
        }
        out.close("PurchaseOrder");
        out.close("PurchaseOrderMessage");
        out.finish()
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::super::dom;
    use super::*;
    use secrecy::SecretString;

    fn hdr() -> XmlHeader {
        XmlHeader {
            message_id: "mlc-supplier-0001".into(),
            timestamp: "2026-12-05T10:00:00Z".parse().unwrap(),
        }
    }

    fn auth() -> XmlAuth {
        XmlAuth::new("ORG-77", SecretString::from("s3cr&t<pw>"))
    }

    pub(crate) fn page() -> SupplierSyncMessage {
        SupplierSyncMessage {
            header: hdr(),
            suppliers: vec![
                XmlSupplier {
                    erp_number: "4242".into(),
                    name: "Müller & Söhne <Tools> \"GmbH\"".into(),
                    active: true,
                    tax_id: Some("DE123456789".into()),
                    email: Some("ap@mueller.example".into()),
                    addresses: vec![XmlAddress {
                        address_type: "remittance".into(),
                        erp_number: Some("4242".into()),
                        name: None,
                        lines: vec![
                            "Hauptstr. 1".into(),
                            "Hof 2".into(),
                            "c/o A".into(),
                            "B".into(),
                        ],
                        city: "Köln".into(),
                        state: None,
                        postal_code: Some("50667".into()),
                        country_code: "DE".into(),
                    }],
                },
                XmlSupplier {
                    erp_number: "4243".into(),
                    name: "Bell\u{7} Labs".into(),
                    active: false,
                    ..XmlSupplier::default()
                },
            ],
        }
    }

    #[test]
    fn supplier_page_is_escaped_and_reads_back() {
        let xml = page().to_xml(&auth());
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains("<!DOCTYPE SupplierSyncMessage SYSTEM"));
        assert!(xml.contains("Müller &amp; Söhne &lt;Tools&gt;"), "{xml}");
        assert!(xml.contains("<SharedSecret>s3cr&amp;t&lt;pw&gt;</SharedSecret>"));
        let root = dom::parse(&xml).unwrap();
        assert_eq!(root.name, "SupplierSyncMessage");
        assert_eq!(root.attr("version"), Some("1.0"));
        assert_eq!(
            root.text_at("Header/Timestamp").as_deref(),
            Some("2026-12-05T10:00:00.000+00:00")
        );
        assert_eq!(
            root.text_at("Header/Authentication/SharedSecret")
                .as_deref(),
            Some("s3cr&t<pw>")
        );
        let sups: Vec<_> = root
            .child("SupplierRequestMessage")
            .unwrap()
            .children("Supplier")
            .collect();
        assert_eq!(sups.len(), 2);
        assert_eq!(sups[0].text_at("ERPNumber").as_deref(), Some("4242"));
        assert_eq!(
            sups[0].text_at("Name").as_deref(),
            Some("Müller & Söhne <Tools> \"GmbH\"")
        );
        assert_eq!(sups[0].text_at("Active").as_deref(), Some("Yes"));
        assert_eq!(
            sups[0]
                .text_at("AddressList/Address/AddressLine3")
                .as_deref(),
            Some("c/o A, B")
        );
        assert_eq!(
            sups[0].text_at("ContactList/Contact/Email").as_deref(),
            Some("ap@mueller.example")
        );
        // A control character JDE might hold is dropped, not written.
        assert_eq!(sups[1].text_at("Name").as_deref(), Some("Bell Labs"));
        assert_eq!(sups[1].text_at("Active").as_deref(), Some("No"));
        assert!(sups[1].child("ContactList").is_none());
    }

    pub(crate) fn po(kind: PoMessageType) -> PurchaseOrderMessage {
        PurchaseOrderMessage {
            header: XmlHeader {
                message_id: "mlc-po-1".into(),
                timestamp: "2026-12-05T10:00:00Z".parse().unwrap(),
            },
            kind,
            po_number: "OP-10042".into(),
            revision: (kind != PoMessageType::New).then_some(2),
            accounting_date: Some(jiff::civil::date(2026, 12, 1)),
            requestor: Some("JSMITH".into()),
            supplier_number: "4242".into(),
            supplier_name: Some("A & B".into()),
            bill_to: None,
            ship_to: Some(XmlPoAddress {
                address_code: Some("3001".into()),
                contact: Some("Dock <2>".into()),
                lines: vec!["1 Quay St".into()],
                city: "Leeds".into(),
                state: None,
                postal_code: Some("LS1".into()),
                country_code: "GB".into(),
            }),
            header_fields: vec![XmlCustomField {
                name: "BranchPlant".into(),
                label: Some("Branch/Plant".into()),
                value: "M30".into(),
            }],
            lines: vec![XmlPoLine {
                line_number: 1,
                catalog_number: Some("CAT-9".into()),
                description: "Bolts 5\" & nuts".into(),
                unit_of_measure: "EA".into(),
                quantity: Decimal::new(1000, 2),
                unit_price: Decimal::new(125, 2),
                currency: "GBP".into(),
                requested_delivery: Some(jiff::civil::date(2026, 12, 20)),
                custom_fields: vec![
                    XmlCustomField::new("Account", "1.6110"),
                    XmlCustomField::new("CostCenter", "M30"),
                ],
            }],
        }
    }

    #[test]
    fn po_kinds_and_custom_fields() {
        let new = dom::parse(&po(PoMessageType::New).to_xml(&auth())).unwrap();
        let h = new.path("PurchaseOrder/POHeader").unwrap();
        assert_eq!(h.attr("type"), None);
        assert!(h.child("DistributeRevision").is_none());
        assert_eq!(
            h.text_at("Supplier/SupplierNumber").as_deref(),
            Some("4242")
        );
        assert_eq!(
            h.path("Requestor/UserProfile")
                .and_then(|u| u.attr("username")),
            Some("JSMITH")
        );
        assert_eq!(
            h.text_at("ShipTo/Address/AddressCode").as_deref(),
            Some("3001")
        );
        let cf = h.child("CustomFieldValueSet").unwrap();
        assert_eq!(cf.attr("name"), Some("BranchPlant"));
        assert_eq!(cf.text_at("CustomFieldValue/Value").as_deref(), Some("M30"));
        let line = new.path("PurchaseOrder/POLine").unwrap();
        assert_eq!(line.attr("linenumber"), Some("1"));
        assert_eq!(line.text_at("Quantity").as_deref(), Some("10"));
        assert_eq!(
            line.text_at("LineCharges/UnitPrice/Money").as_deref(),
            Some("1.25")
        );
        assert_eq!(
            line.text_at("Item/Description").as_deref(),
            Some("Bolts 5\" & nuts")
        );
        let sets: Vec<_> = line
            .children("CustomFieldValueSet")
            .map(|s| {
                (
                    s.attr("name").unwrap(),
                    s.text_at("CustomFieldValue/Value").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            sets,
            vec![
                ("Account", "1.6110".to_owned()),
                ("CostCenter", "M30".to_owned())
            ]
        );
        for (kind, ty) in [
            (PoMessageType::Update, "update"),
            (PoMessageType::Cancel, "cancel"),
        ] {
            let doc = dom::parse(&po(kind).to_xml(&auth())).unwrap();
            let h = doc.path("PurchaseOrder/POHeader").unwrap();
            assert_eq!(h.attr("type"), Some(ty));
            assert_eq!(h.text_at("DistributeRevision").as_deref(), Some("false"));
            assert_eq!(h.text_at("RevisionNumber").as_deref(), Some("2"));
        }
    }

    fn name() -> impl proptest::strategy::Strategy<Value = String> {
        // Letters, markup characters, quotes and non-ASCII; at least one non-space so the
        // trimmed text read back is the name itself.
        "[A-Za-z0-9&<>\"' éüßøÆ漢字ñ€\u{1F600}-]{0,12}[A-Za-z&<>\"'é漢]{1}[A-Za-z0-9&<>\"' é漢-]{0,12}"
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(128))]
        #[test]
        fn names_round_trip_through_writer_and_reader(a in name(), b in name()) {
            let mut msg = page();
            msg.suppliers[0].name = a.clone();
            msg.suppliers[0].addresses[0].city = b.clone();
            let root = dom::parse(&msg.to_xml(&auth())).unwrap();
            let s = root.path("SupplierRequestMessage/Supplier").unwrap();
            proptest::prop_assert_eq!(s.text_at("Name").unwrap(), a.trim());
            proptest::prop_assert_eq!(s.text_at("AddressList/Address/City").unwrap(), b.trim());
            let mut p = po(PoMessageType::Update);
            p.lines[0].description = a.clone();
            p.header_fields[0].label = Some(b.clone());
            p.lines[0].custom_fields[0].value = b.clone();
            let root = dom::parse(&p.to_xml(&auth())).unwrap();
            let line = root.path("PurchaseOrder/POLine").unwrap();
            proptest::prop_assert_eq!(line.text_at("Item/Description").unwrap(), a.trim());
            let set = root.path("PurchaseOrder/POHeader/CustomFieldValueSet").unwrap();
            proptest::prop_assert_eq!(set.attr("label").unwrap(), b.as_str());
            proptest::prop_assert_eq!(
                line.child("CustomFieldValueSet").unwrap().text_at("CustomFieldValue/Value").unwrap(),
                b.trim()
            );
        }
    }
}
