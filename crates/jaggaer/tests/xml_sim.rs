//! The XML Router codec and client against the JAGGAER simulator's own strict reader: every
//! document the connector writes parses there, replies classify as the simulator means them, and
//! the simulator's invoice export reads back through the connector's reader.
use std::sync::OnceLock;
use std::time::Duration;

use mlc_jaggaer::RetryPolicy;
use mlc_jaggaer::xml::{
    PoMessageType, PurchaseOrderMessage, RouterOutcome, SupplierSyncMessage, XmlAddress, XmlAuth,
    XmlCustomField, XmlHeader, XmlPoLine, XmlRouterClient, XmlRouterSettings, XmlSupplier,
    message_id_for, parse_invoice_export, read_export_envelope, write_export_response,
};
use mlc_sim::jaggaer::{JaggaerSim, JaggaerSimConfig, XmlKnobs};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

const ID: &str = "ORG-9";
const SECRET: &str = "xml-s3cret&<\"'";

async fn start() -> JaggaerSim {
    let mut cfg = JaggaerSimConfig::default();
    cfg.knobs.xml = XmlKnobs {
        identity: ID.into(),
        shared_secret: SECRET.into(),
        ..XmlKnobs::default()
    };
    JaggaerSim::start(cfg).await.unwrap()
}

fn client(sim: &JaggaerSim, secret: &str) -> XmlRouterClient {
    let mut s = XmlRouterSettings::new(
        sim.base_url().parse().unwrap(),
        XmlAuth::new(ID, SecretString::from(secret.to_owned())),
    );
    s.retry = RetryPolicy {
        max_retries: 1,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        max_retry_after: Duration::from_secs(1),
        max_rate_limit_wait: Duration::from_secs(5),
    };
    XmlRouterClient::new(s).unwrap()
}

fn header(kind: &str, key: &str) -> XmlHeader {
    XmlHeader {
        message_id: message_id_for(kind, key, "v1"),
        timestamp: jiff::Timestamp::now(),
    }
}

fn supplier(erp: &str, name: &str, country: &str) -> XmlSupplier {
    XmlSupplier {
        erp_number: erp.into(),
        name: name.into(),
        active: true,
        tax_id: Some(format!("TX-{erp}")),
        email: Some(format!("ap{erp}@example.com")),
        addresses: vec![XmlAddress {
            address_type: "remittance".into(),
            erp_number: Some(erp.into()),
            name: None,
            lines: vec!["1 Main St".into()],
            city: "Köln".into(),
            state: None,
            postal_code: Some("50667".into()),
            country_code: country.into(),
        }],
    }
}

fn po(kind: PoMessageType, number: &str, account_field: &str) -> PurchaseOrderMessage {
    PurchaseOrderMessage {
        header: header("po", number),
        kind,
        po_number: number.into(),
        revision: Some(1),
        accounting_date: None,
        requestor: None,
        supplier_number: "4242".into(),
        supplier_name: Some("Smith & Sons".into()),
        bill_to: None,
        ship_to: None,
        header_fields: vec![XmlCustomField::new("BranchPlant", "M30")],
        lines: vec![XmlPoLine {
            line_number: 1,
            catalog_number: None,
            description: "Bolts <M8> \"zinc\"".into(),
            unit_of_measure: "EA".into(),
            quantity: Decimal::new(10, 0),
            unit_price: Decimal::new(125, 2),
            currency: "USD".into(),
            requested_delivery: None,
            custom_fields: vec![
                XmlCustomField::new(account_field, "1.6110"),
                XmlCustomField::new("CostCenter", "M30"),
            ],
        }],
    }
}

#[tokio::test]
async fn supplier_pages_through_the_simulator() {
    let sim = start().await;
    let c = client(&sim, SECRET);
    let page = SupplierSyncMessage {
        header: header("suppliers", "page-1"),
        suppliers: vec![
            supplier("4242", "Smith & Sons <Ltd> \"A\" 'B'", "GB"),
            supplier("4243", "Bad", "Narnia"),
            supplier("4244", "Müller 漢字", "DE"),
        ],
    };
    match c.send_suppliers(&page).await {
        RouterOutcome::Partial {
            attempted: 3,
            completed: 2,
            reply,
        } => assert!(reply.errors[0].contains("4243"), "{reply:?}"),
        other => panic!("{other:?}"),
    }
    // Re-sent one supplier per message, the bad one is found and refused with JAGGAER's text.
    let mut refused = Vec::new();
    for s in &page.suppliers {
        let single = SupplierSyncMessage {
            header: header("suppliers", &s.erp_number),
            suppliers: vec![s.clone()],
        };
        match c.send_suppliers(&single).await {
            RouterOutcome::Success(_) => {}
            RouterOutcome::Refused {
                message,
                http_status,
                ..
            } => {
                assert_eq!(http_status, 500);
                refused.push((s.erp_number.clone(), message));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0, "4243");
    assert!(refused[0].1.contains("IsoCountryCode"), "{}", refused[0].1);
    let got = sim.xml_suppliers();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].name, "Smith & Sons <Ltd> \"A\" 'B'");
    assert_eq!(got[1].name, "Müller 漢字");
    // A wrong secret is a configuration problem, not a record failure.
    let bad = client(&sim, "wrong");
    assert!(matches!(
        bad.send_suppliers(&page).await,
        RouterOutcome::Configuration {
            http_status: 401,
            ..
        }
    ));
}

#[tokio::test]
async fn purchase_orders_through_the_simulator() {
    let sim = start().await;
    let c = client(&sim, SECRET);
    assert!(
        c.send_purchase_order(&po(PoMessageType::New, "OP-1", "Account"))
            .await
            .is_success()
    );
    // A resend of "new" after a crash: refused with JAGGAER's text (the engine re-sends as update).
    match c
        .send_purchase_order(&po(PoMessageType::New, "OP-1", "Account"))
        .await
    {
        RouterOutcome::Refused { message, .. } => assert!(message.contains("already exists")),
        other => panic!("{other:?}"),
    }
    assert!(
        c.send_purchase_order(&po(PoMessageType::Update, "OP-1", "Account"))
            .await
            .is_success()
    );
    match c
        .send_purchase_order(&po(PoMessageType::Update, "OP-1", "Acount"))
        .await
    {
        RouterOutcome::Configuration { message, .. } => {
            assert!(message.contains("No custom field found"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        c.send_purchase_order(&po(PoMessageType::Cancel, "OP-1", "Account"))
            .await
            .is_success()
    );
    let rec = sim.xml_purchase_order("OP-1").unwrap();
    assert_eq!(rec.history, vec!["new", "update", "cancel"]);
    assert_eq!(rec.distribute_revision, Some(false));
    assert_eq!(rec.lines[0].description, "Bolts <M8> \"zinc\"");
    assert!(sim.purchase_orders().is_empty());
}

#[tokio::test]
async fn simulator_exports_read_back_with_and_without_bare_ampersands() {
    let sim = start().await;
    let id = sim
        .insert_invoice(json!({
            "header": {
                "invoiceNumber": "I000777", "supplierInvoiceNumber": "INV-9",
                "invoiceType": "Credit Memo", "paymentStatus": "Payable",
                "invoiceDate": "2026-11-30T12:00:00.000Z",
                "supplier": {"name": "Smith & Sons", "supplierNumber": "4242"},
                "total": {"currency": "EUR", "value": -25.0}
            },
            "lineList": {"invoiceLine": [{
                "lineNumber": 1, "quantity": 2, "unitPrice": -12.5,
                "item": {"description": "Returned <M8>", "unitOfMeasure": {"dimension": "EA"}},
                "customFieldValueSetList": {"customFieldValueSet": [{"name": "Account",
                    "customFieldValueList": {"customFieldValue": [{"value": "1.6110"}]}}]}
            }]}
        }))
        .unwrap();
    for bare in [false, true] {
        sim.set_knobs(|k| k.xml.export_bare_ampersand = bare);
        let (mid, xml) = sim.invoice_export_xml(id).unwrap();
        assert_eq!(xml.contains("Smith & Sons"), bare);
        let env = read_export_envelope(&xml).unwrap();
        assert_eq!(env.message_id.as_deref(), Some(mid.as_str()));
        assert_eq!(env.shared_secret.unwrap().expose_secret(), SECRET);
        let inv = parse_invoice_export(&xml).unwrap();
        assert_eq!(inv.supplier_name.as_deref(), Some("Smith & Sons"));
        assert_eq!(inv.supplier_invoice_no.as_deref(), Some("INV-9"));
        assert_eq!(inv.status.as_deref(), Some("Payable"));
        assert!(inv.is_credit_memo());
        assert_eq!(inv.invoice_date, Some(jiff::civil::date(2026, 11, 30)));
        assert_eq!(inv.lines[0].unit_price, Some(Decimal::new(-125, 1)));
        assert_eq!(inv.lines[0].description.as_deref(), Some("Returned <M8>"));
        assert_eq!(inv.lines[0].custom_fields[0].value, "1.6110");
    }
}

fn runtime_and_sim() -> &'static (tokio::runtime::Runtime, JaggaerSim) {
    static CELL: OnceLock<(tokio::runtime::Runtime, JaggaerSim)> = OnceLock::new();
    CELL.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sim = rt.block_on(start());
        (rt, sim)
    })
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(48))]
    /// Names with markup characters, quotes and non-ASCII: written by the connector, read by the
    /// simulator's strict reader, equal (modulo surrounding whitespace).
    #[test]
    fn names_round_trip_into_the_simulator(
        name in "[A-Za-z0-9&<>\"' éüßøÆ漢字ñ€-]{0,10}[A-Za-z&<>\"'é漢]{1}[A-Za-z0-9&<>\"' é漢-]{0,10}",
        n in 0u32..1_000_000,
    ) {
        let (rt, sim) = runtime_and_sim();
        let c = client(sim, SECRET);
        let erp = format!("P{n}");
        let page = SupplierSyncMessage {
            header: header("suppliers", &erp),
            suppliers: vec![supplier(&erp, &name, "US")],
        };
        let out = rt.block_on(c.send_suppliers(&page));
        proptest::prop_assert!(out.is_success(), "{:?}", out);
        let got = sim.xml_suppliers().into_iter().find(|s| s.erp_number == erp).unwrap();
        proptest::prop_assert_eq!(got.name.as_str(), name.trim());
        let mut order = po(PoMessageType::New, &format!("PO-{n}-{}", name.len()), "Account");
        order.lines[0].description = name.clone();
        if sim.xml_purchase_order(&order.po_number).is_none() {
            let out = rt.block_on(c.send_purchase_order(&order));
            proptest::prop_assert!(out.is_success(), "{:?}", out);
            let rec = sim.xml_purchase_order(&order.po_number).unwrap();
            proptest::prop_assert_eq!(rec.lines[0].description.as_str(), name.trim());
        }
        // The reply to JAGGAER's invoice export, read by the simulator's pusher.
        let reply = write_export_response(
            &XmlHeader { message_id: format!("{name}-{n}"), timestamp: jiff::Timestamp::now() },
            400,
            &name,
        );
        let got = mlc_sim::jaggaer::read_export_response(&reply);
        proptest::prop_assert!(got.is_some(), "{}", reply);
        let got = got.unwrap();
        proptest::prop_assert_eq!(got.status_code, 400);
        let want_id = format!("{name}-{n}");
        proptest::prop_assert_eq!(got.message_id.as_deref(), Some(want_id.trim()));
        proptest::prop_assert_eq!(got.status_text.as_deref(), Some(name.trim()));
    }
}
