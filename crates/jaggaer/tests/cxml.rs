//! cXML writer validity (xmllint against the official 1.2.069 DTD), reader correctness and
//! hardening.
use std::path::Path;
use std::process::Command;
use std::str::FromStr;

use mlc_jaggaer::cxml::*;
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};

const DTD: &str = "/work/shared/reference/cxml-dtd/1.2.069/cXML.dtd";
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/invoice_standard.xml"
);

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Validates with xmllint; skips loudly when xmllint or the DTD is missing.
fn assert_valid(xml: &str) {
    let have_xmllint = Command::new("xmllint").arg("--version").output().is_ok();
    if !have_xmllint || !Path::new(DTD).exists() {
        eprintln!("!!!!! SKIPPED DTD VALIDATION: xmllint (libxml2-utils) or {DTD} missing !!!!!");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("doc.xml");
    std::fs::write(&f, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--dtdvalid", DTD])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmllint rejected the document:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn order(t: OrderType) -> OrderRequestDoc {
    OrderRequestDoc {
        payload_id: payload_id_for("acme", "00200-OP-1001", "hash-v1"),
        timestamp: "2026-11-20T10:00:00Z".parse().unwrap(),
        from: Credential {
            domain: "NetworkID".into(),
            identity: "ACME-BUYER".into(),
        },
        to: Credential {
            domain: "NetworkID".into(),
            identity: "JAGGAER".into(),
        },
        sender: Credential {
            domain: "NetworkID".into(),
            identity: "ACME-BUYER".into(),
        },
        shared_secret: SecretString::from("cxml-secret"),
        user_agent: "ml-connector".into(),
        test_mode: false,
        order_id: "00200-OP-1001".into(),
        order_type: t,
        order_version: if t == OrderType::New { 1 } else { 2 },
        previous_payload_id: (t != OrderType::New).then(|| "prev@ml-connector".into()),
        order_date: "2026-11-19T00:00:00Z".parse().unwrap(),
        total: d("130.00"),
        currency: "USD".into(),
        supplier_number: Some("4001".into()),
        supplier_name: Some("Acme <Supplies> & Co".into()),
        ship_to: Some(Address {
            address_id: Some("200".into()),
            name: "Plant 200".into(),
            street: vec!["1 Main St".into()],
            city: "Springfield".into(),
            state: Some("IL".into()),
            postal_code: Some("62701".into()),
            country_code: "US".into(),
            country_name: "United States".into(),
        }),
        bill_to: None,
        items: vec![OrderItem {
            line_number: 1000,
            quantity: d("2"),
            supplier_part_id: "ABC-100".into(),
            description: "Widget, blue".into(),
            unit_price: d("65.00"),
            unit_of_measure: "EA".into(),
            classification: "44121600".into(),
            requested_delivery_date: Some(jiff::civil::date(2026, 12, 1)),
            distribution: vec![Distribution {
                segments: vec![
                    AccountingSegment {
                        name: "GL".into(),
                        id: "200.6110".into(),
                        description: "Supplies".into(),
                    },
                    AccountingSegment {
                        name: "CostCenter".into(),
                        id: "200".into(),
                        description: "Plant".into(),
                    },
                ],
                charge: d("130.00"),
            }],
            extrinsics: vec![
                ("LineType".into(), "S".into()),
                ("PromisedDeliveryDate".into(), "2026-12-03".into()),
                ("QuantityReceived".into(), "0".into()),
                ("Blank".into(), String::new()),
            ],
        }],
        contacts: vec![OrderContact {
            role: "buyer".into(),
            address_id: Some("8001".into()),
            name: "Pat Buyer".into(),
        }],
        extrinsics: vec![
            ("OrderedBy".into(), "JSMITH".into()),
            ("PaymentTerms".into(), "N30".into()),
        ],
    }
}

#[test]
fn order_requests_validate_against_the_dtd() {
    for t in [OrderType::New, OrderType::Update, OrderType::Delete] {
        let xml = order(t).to_xml();
        assert!(xml.contains(
            "<!DOCTYPE cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.069/cXML.dtd\">"
        ));
        assert_valid(&xml);
        let kind = match t {
            OrderType::New => "new",
            OrderType::Update => "update",
            OrderType::Delete => "delete",
        };
        assert!(xml.contains(&format!("type=\"{kind}\"")), "{xml}");
        assert_eq!(
            xml.contains("<DocumentReference payloadID=\"prev@ml-connector\"/>"),
            t != OrderType::New
        );
        // The shared secret appears once, inside Sender only.
        assert_eq!(xml.matches("<SharedSecret>").count(), 1);
        let sender = &xml[xml.find("<Sender>").unwrap()..xml.find("</Sender>").unwrap()];
        assert!(sender.contains("<SharedSecret>cxml-secret</SharedSecret>"));
        assert!(xml.contains("<Money currency=\"USD\">130.00</Money>"));
        assert!(xml.contains("Acme &lt;Supplies&gt; &amp; Co"));
        assert!(xml.contains("<AccountingSegment id=\"200.6110\">"));
        // PO content: the buyer as a Contact, the rest as Extrinsics; blanks stay out.
        assert!(
            xml.contains("<Contact role=\"buyer\" addressID=\"8001\">"),
            "{xml}"
        );
        assert!(xml.contains("<Extrinsic name=\"PaymentTerms\">N30</Extrinsic>"));
        assert!(xml.contains("<Extrinsic name=\"LineType\">S</Extrinsic>"));
        assert!(xml.contains("requestedDeliveryDate=\"2026-12-01\""));
        assert!(!xml.contains("name=\"Blank\""));
    }
    let dbg = format!("{:?}", order(OrderType::New));
    assert!(!dbg.contains("cxml-secret"));
}

#[test]
fn payload_ids_are_deterministic_per_version() {
    let a = payload_id_for("acme", "00200-OP-1", "h1");
    assert_eq!(a, payload_id_for("acme", "00200-OP-1", "h1"));
    assert_ne!(a, payload_id_for("acme", "00200-OP-1", "h2"));
    assert_ne!(a, payload_id_for("other", "00200-OP-1", "h1"));
    assert!(a.ends_with("@ml-connector"));
}

#[test]
fn response_round_trip_and_validity() {
    let ts = "2026-11-20T10:00:00Z".parse().unwrap();
    let ok = write_response("r1@ml-connector", ts, &CxmlStatus::ok());
    assert_valid(&ok);
    let r = parse_response_doc(ok.as_bytes()).unwrap();
    assert_eq!(r.payload_id, "r1@ml-connector");
    assert!(r.status.is_success());
    let bad = CxmlStatus {
        code: 401,
        text: "Unauthorized".into(),
        detail: "Unknown sender <x>".into(),
    };
    let xml = write_response("r2@ml-connector", ts, &bad);
    assert_valid(&xml);
    assert_eq!(parse_response(xml.as_bytes()).unwrap(), bad);
}

#[test]
fn reads_a_standard_invoice() {
    let xml = std::fs::read(FIXTURE).unwrap();
    let inv = parse_invoice_detail_request(&xml).unwrap();
    assert_eq!(inv.invoice_id, "SUP-5521");
    assert_eq!(inv.purpose, InvoicePurpose::Standard);
    assert_eq!(inv.operation, InvoiceOperation::New);
    assert_eq!(inv.order_ids, ["00200-OP-1001"]);
    assert_eq!(inv.currency, "USD");
    assert_eq!(inv.invoice_date(), Some(jiff::civil::date(2026, 11, 19)));
    assert_eq!(
        inv.sender[0]
            .shared_secret
            .as_ref()
            .unwrap()
            .expose_secret(),
        "fixture-secret"
    );
    assert!(!format!("{inv:?}").contains("fixture-secret"));
    let l = &inv.lines[0];
    assert_eq!((l.invoice_line_number, l.po_line_number), (1, Some(1)));
    assert_eq!(l.quantity * l.unit_price.unwrap(), l.subtotal.unwrap());
    assert_eq!(l.description.as_deref(), Some("Pens & pencils"));
    assert_eq!(l.distributions[0].segments["GL"], "200.6110");
    assert_eq!(l.distributions[0].segments["CostCenter"], "200");
    let s = &inv.summary;
    assert_eq!(s.subtotal + s.tax + s.shipping.unwrap(), s.gross.unwrap());
    assert_eq!(s.net, d("1.32"));
    assert_eq!(s.due, Some(d("1.32")));
}

fn fixture_without(fragment: &str) -> String {
    let xml = std::fs::read_to_string(FIXTURE).unwrap();
    assert!(xml.contains(fragment), "fixture lacks {fragment}");
    xml.replacen(fragment, "", 1)
}

#[test]
fn each_required_element_missing_is_named() {
    let cases = [
        (
            r#"<NetAmount><Money currency="USD">1.32</Money></NetAmount>"#,
            "InvoiceDetailRequest/InvoiceDetailSummary/NetAmount",
        ),
        (
            r#"<Tax><Money currency="USD">0.02</Money><Description xml:lang="en">Sales tax</Description></Tax>"#,
            "InvoiceDetailRequest/InvoiceDetailSummary/Tax",
        ),
        (
            r#"<InvoiceDetailHeaderIndicator/>"#,
            "InvoiceDetailRequest/InvoiceDetailRequestHeader/InvoiceDetailHeaderIndicator",
        ),
        (
            r#"<InvoiceDetailLineIndicator isAccountingInLine="yes"/>"#,
            "InvoiceDetailRequest/InvoiceDetailRequestHeader/InvoiceDetailLineIndicator",
        ),
        (
            r#" invoiceID="SUP-5521""#,
            "InvoiceDetailRequest/InvoiceDetailRequestHeader@invoiceID",
        ),
        (
            r#" invoiceDate="2026-11-19T00:00:00+00:00""#,
            "InvoiceDetailRequest/InvoiceDetailRequestHeader@invoiceDate",
        ),
        (
            r#"<UnitPrice><Money currency="USD">0.10</Money></UnitPrice>"#,
            "InvoiceDetailRequest/InvoiceDetailOrder/InvoiceDetailItem/UnitPrice",
        ),
        (
            r#"<UnitOfMeasure>EA</UnitOfMeasure>"#,
            "InvoiceDetailRequest/InvoiceDetailOrder/InvoiceDetailItem/UnitOfMeasure",
        ),
        (
            r#" quantity="3""#,
            "InvoiceDetailRequest/InvoiceDetailOrder/InvoiceDetailItem@quantity",
        ),
        (
            r#" invoiceLineNumber="1""#,
            "InvoiceDetailRequest/InvoiceDetailOrder/InvoiceDetailItem@invoiceLineNumber",
        ),
        (
            r#"<Charge><Money currency="USD">0.30</Money></Charge>"#,
            "InvoiceDetailRequest/InvoiceDetailOrder/InvoiceDetailItem/Distribution/Charge",
        ),
    ];
    for (fragment, expected) in cases {
        let err = parse_invoice_detail_request(fixture_without(fragment).as_bytes()).unwrap_err();
        assert_eq!(
            err,
            CxmlError::Missing {
                element: expected.into()
            },
            "removing {fragment}"
        );
    }
}

#[test]
fn missing_summary_subtotal_is_named() {
    let xml = std::fs::read_to_string(FIXTURE).unwrap().replace(
        "<InvoiceDetailSummary>\n        <SubtotalAmount><Money currency=\"USD\">0.30</Money></SubtotalAmount>",
        "<InvoiceDetailSummary>",
    );
    assert_eq!(
        parse_invoice_detail_request(xml.as_bytes()).unwrap_err(),
        CxmlError::Missing {
            element: "InvoiceDetailRequest/InvoiceDetailSummary/SubtotalAmount".into()
        }
    );
}

#[test]
fn mixed_currencies_are_refused() {
    let xml = std::fs::read_to_string(FIXTURE).unwrap().replace(
        r#"<ShippingAmount><Money currency="USD">"#,
        r#"<ShippingAmount><Money currency="EUR">"#,
    );
    assert!(matches!(
        parse_invoice_detail_request(xml.as_bytes()),
        Err(CxmlError::Invalid { .. })
    ));
}

#[test]
fn external_entities_are_refused() {
    let xml = r#"<?xml version="1.0"?>
<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<cXML payloadID="x" timestamp="t"><Header>&xxe;</Header></cXML>"#;
    assert!(matches!(
        parse_invoice_detail_request(xml.as_bytes()),
        Err(CxmlError::EntityDeclaration { .. })
    ));
}

#[test]
fn billion_laughs_is_refused() {
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        xml.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    xml.push_str("]>\n<cXML>&lol9;</cXML>");
    assert!(matches!(
        parse_invoice_detail_request(xml.as_bytes()),
        Err(CxmlError::EntityDeclaration { .. })
    ));
}

#[test]
fn undeclared_entity_references_are_refused() {
    let xml = std::fs::read_to_string(FIXTURE)
        .unwrap()
        .replace("Pens &amp; pencils", "Pens &nbsp; pencils");
    assert_eq!(
        parse_invoice_detail_request(xml.as_bytes()).unwrap_err(),
        CxmlError::UnknownEntity {
            name: "nbsp".into()
        }
    );
}

#[test]
fn deep_nesting_and_oversize_are_refused() {
    let deep = format!("<cXML>{}{}</cXML>", "<a>".repeat(100), "</a>".repeat(100));
    assert!(matches!(
        parse_invoice_detail_request(deep.as_bytes()),
        Err(CxmlError::TooDeep { .. })
    ));
    let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
    assert!(matches!(
        parse_invoice_detail_request(&big),
        Err(CxmlError::TooLarge { .. })
    ));
}
