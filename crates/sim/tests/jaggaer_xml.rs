//! Raw-HTTP tests of the simulator's XML Router surface: the supplier and PO import actions
//! (credentials, counts, refusals, "No custom field found", new/update/cancel) and the
//! invoice export pusher (retries on non-200, replies recorded).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use mlc_sim::jaggaer::{JaggaerSim, JaggaerSimConfig, PO_ACTION, SUPPLIER_ACTION, XmlKnobs};
use reqwest::Client;
use serde_json::json;

const ID: &str = "ORG-9";
const SECRET: &str = "xml-s3cret";

async fn sim() -> JaggaerSim {
    let mut cfg = JaggaerSimConfig::default();
    cfg.knobs.xml = XmlKnobs {
        identity: ID.into(),
        shared_secret: SECRET.into(),
        export_retry_delay: Duration::from_millis(10),
        ..XmlKnobs::default()
    };
    JaggaerSim::start(cfg).await.unwrap()
}

fn header(message_id: &str, secret: &str) -> String {
    format!(
        "<Header><MessageId>{message_id}</MessageId><Timestamp>2026-12-05T09:06:42.209-04:00</Timestamp>\
         <Authentication><Identity>{ID}</Identity><SharedSecret>{secret}</SharedSecret></Authentication></Header>"
    )
}

fn supplier(erp: &str, name: &str, country: &str) -> String {
    format!(
        "<Supplier><ERPNumber>{erp}</ERPNumber><Name>{name}</Name><Active>Yes</Active>\
         <TaxIdentificationNumber>TX-{erp}</TaxIdentificationNumber>\
         <AddressList><Address type=\"remittance\"><AddressLine1>1 Main St</AddressLine1><City>Ithaca</City>\
         <IsoCountryCode>{country}</IsoCountryCode></Address></AddressList>\
         <ContactList><Contact type=\"primary\"><Email>ap{erp}@example.com</Email></Contact></ContactList></Supplier>"
    )
}

fn supplier_page(message_id: &str, secret: &str, suppliers: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE SupplierSyncMessage SYSTEM \"https://x.example/TSMSupplier.dtd\">\n\
         <SupplierSyncMessage version=\"1.0\">{}<SupplierRequestMessage>{}</SupplierRequestMessage></SupplierSyncMessage>",
        header(message_id, secret),
        suppliers.concat()
    )
}

fn po(message_id: &str, number: &str, kind: &str, account_field: &str, qty: &str) -> String {
    let (ty, distribute) = match kind {
        "new" => (String::new(), ""),
        k => (
            format!(" type=\"{k}\""),
            "<DistributeRevision>false</DistributeRevision>",
        ),
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PurchaseOrderMessage version=\"3.0\">{}<PurchaseOrder>\
         <POHeader{ty}>{distribute}<PONumber>{number}</PONumber><RevisionNumber>1</RevisionNumber>\
         <Supplier><Name>A &amp; B</Name><SupplierNumber>4242</SupplierNumber></Supplier>\
         <CustomFieldValueSet name=\"BranchPlant\"><CustomFieldValue><Value>M30</Value></CustomFieldValue></CustomFieldValueSet>\
         </POHeader><POLine linenumber=\"1\"><Item><Description>Bolts &lt;M8&gt;</Description></Item>\
         <Quantity>{qty}</Quantity><LineCharges><UnitPrice><Money currency=\"USD\">1.25</Money></UnitPrice></LineCharges>\
         <CustomFieldValueSet name=\"{account_field}\"><CustomFieldValue><Value>1.6110</Value></CustomFieldValue></CustomFieldValueSet>\
         <CustomFieldValueSet name=\"CostCenter\"><CustomFieldValue><Value>M30</Value></CustomFieldValue></CustomFieldValueSet>\
         </POLine></PurchaseOrder></PurchaseOrderMessage>",
        header(message_id, SECRET)
    )
}

async fn post_xml(sim: &JaggaerSim, path: &str, body: String) -> (u16, String) {
    let r = Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .header("content-type", "application/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let a = s
        .find(open)
        .map(|i| i + open.len())
        .unwrap_or_else(|| panic!("{open} in {s}"));
    let b = s[a..].find(close).unwrap() + a;
    &s[a..b]
}

#[tokio::test]
async fn a_page_with_one_bad_supplier_completes_the_others() {
    let sim = sim().await;
    let page = supplier_page(
        "m-1",
        SECRET,
        &[
            supplier("4242", "Smith &amp; Sons", "US"),
            supplier("4243", "Bad Country", "Narnia"),
            supplier("4244", "Müller &lt;GmbH&gt;", "DE"),
        ],
    );
    let (status, body) = post_xml(&sim, SUPPLIER_ACTION, page).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(between(&body, "<StatusCode>", "</StatusCode>"), "200");
    let text = between(&body, "<StatusText>", "</StatusText>");
    assert!(
        text.contains("attempted=3") && text.contains("completed=2"),
        "{text}"
    );
    assert!(between(&body, "<ErrorMessage type=\"Error\">", "</ErrorMessage>").contains("4243"));
    let sups = sim.xml_suppliers();
    assert_eq!(
        sups.iter()
            .map(|s| (s.erp_number.as_str(), s.name.as_str()))
            .collect::<Vec<_>>(),
        vec![("4242", "Smith & Sons"), ("4244", "Müller <GmbH>")]
    );
    assert_eq!(sups[0].email.as_deref(), Some("ap4242@example.com"));
    assert_eq!(sups[0].tax_id.as_deref(), Some("TX-4242"));
    // XML suppliers are separate from J1P's company profiles.
    assert!(sim.suppliers().is_empty());
    // The same supplier again: updated, counted.
    let (status, _) = post_xml(
        &sim,
        SUPPLIER_ACTION,
        supplier_page("m-2", SECRET, &[supplier("4242", "Smith and Sons", "US")]),
    )
    .await;
    assert_eq!(status, 200);
    let s = &sim.xml_suppliers()[0];
    assert_eq!(
        (s.name.as_str(), s.received, s.message_id.as_str()),
        ("Smith and Sons", 2, "m-2")
    );
    // Every supplier bad: HTTP 500 "All documents failed" with a body.
    let (status, body) = post_xml(
        &sim,
        SUPPLIER_ACTION,
        supplier_page("m-3", SECRET, &[supplier("1", "", "US")]),
    )
    .await;
    assert_eq!(status, 500);
    assert!(body.contains("All documents failed"), "{body}");
    assert_eq!(sim.stats().endpoints["xml.suppliers"].requests, 3);
}

#[tokio::test]
async fn credentials_parse_failures_and_offsets() {
    let sim = sim().await;
    let (status, body) = post_xml(
        &sim,
        SUPPLIER_ACTION,
        supplier_page("m-1", "wrong", &[supplier("1", "A", "US")]),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Authentication failed"));
    let (status, _) = post_xml(
        &sim,
        PO_ACTION,
        po("m-1", "P1", "new", "Account", "2").replace(SECRET, "nope"),
    )
    .await;
    assert_eq!(status, 401);
    // Not well-formed: HTTP 500 with a parsable failure body.
    let (status, body) = post_xml(
        &sim,
        SUPPLIER_ACTION,
        "<SupplierSyncMessage><Header>".into(),
    )
    .await;
    assert_eq!(status, 500);
    assert!(
        body.contains("Error while parsing the input") && body.contains("unable to parse=1"),
        "{body}"
    );
    // A bare & is refused by the strict reader.
    let bare = supplier_page("m-2", SECRET, &[supplier("1", "A & B", "US")]);
    assert_eq!(post_xml(&sim, SUPPLIER_ACTION, bare).await.0, 500);
    // An undeclared entity (no DTD is ever fetched).
    let ent = supplier_page("m-3", SECRET, &[supplier("1", "A &nbsp; B", "US")]);
    assert_eq!(post_xml(&sim, SUPPLIER_ACTION, ent).await.0, 500);
    // The wrong document for the action.
    assert_eq!(
        post_xml(&sim, PO_ACTION, supplier_page("m-4", SECRET, &[]))
            .await
            .0,
        500
    );
    // No offset on the timestamp.
    let no_offset = supplier_page("m-5", SECRET, &[supplier("1", "A", "US")])
        .replace("2026-12-05T09:06:42.209-04:00", "2026-12-05T09:06:42");
    let (status, body) = post_xml(&sim, SUPPLIER_ACTION, no_offset).await;
    assert_eq!(status, 400);
    assert!(body.contains("no time zone offset"), "{body}");
    assert!(sim.xml_suppliers().is_empty());
    assert!(sim.xml_purchase_orders().is_empty());
    let docs = sim.xml_documents();
    assert_eq!(docs.len(), 7);
    assert!(docs.iter().all(|d| d.http_status >= 400));
}

#[tokio::test]
async fn purchase_orders_new_update_cancel() {
    let sim = sim().await;
    let (status, body) = post_xml(&sim, PO_ACTION, po("p-1", "OP-1", "new", "Account", "10")).await;
    assert_eq!(
        (status, between(&body, "<StatusText>", "</StatusText>")),
        (200, "success")
    );
    let p = sim.xml_purchase_order("OP-1").unwrap();
    assert_eq!(p.supplier_number, "4242");
    assert_eq!(
        p.header_fields,
        vec![("BranchPlant".to_owned(), "M30".to_owned())]
    );
    assert_eq!(p.lines[0].description, "Bolts <M8>");
    assert_eq!(p.lines[0].quantity.to_string(), "10");
    assert_eq!(
        p.lines[0].custom_fields,
        vec![
            ("Account".to_owned(), "1.6110".to_owned()),
            ("CostCenter".to_owned(), "M30".to_owned())
        ]
    );
    // A "new" for a PO that exists (a resend after a crash) is refused.
    let (status, body) = post_xml(&sim, PO_ACTION, po("p-2", "OP-1", "new", "Account", "10")).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("Purchase order OP-1 already exists"),
        "{body}"
    );
    // Update without distributing the revision.
    let (status, _) = post_xml(
        &sim,
        PO_ACTION,
        po("p-3", "OP-1", "update", "Account", "12"),
    )
    .await;
    assert_eq!(status, 200);
    let p = sim.xml_purchase_order("OP-1").unwrap();
    assert_eq!(
        (p.distribute_revision, p.lines[0].quantity.to_string()),
        (Some(false), "12".into())
    );
    // Unknown custom field name: "No custom field found", nothing applied.
    let (status, body) = post_xml(
        &sim,
        PO_ACTION,
        po("p-4", "OP-1", "update", "GLAccount", "99"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("No custom field found for name &apos;GLAccount&apos;")
            || body.contains("No custom field found for name 'GLAccount'"),
        "{body}"
    );
    assert_eq!(
        sim.xml_purchase_order("OP-1").unwrap().lines[0]
            .quantity
            .to_string(),
        "12"
    );
    // Update/cancel of an unknown PO.
    let (status, body) = post_xml(
        &sim,
        PO_ACTION,
        po("p-5", "OP-404", "cancel", "Account", "1"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("does not exist"));
    // Cancel.
    assert_eq!(
        post_xml(
            &sim,
            PO_ACTION,
            po("p-6", "OP-1", "cancel", "Account", "12")
        )
        .await
        .0,
        200
    );
    let p = sim.xml_purchase_order("OP-1").unwrap();
    assert_eq!(p.status, "Cancelled");
    assert_eq!(p.history, vec!["new", "update", "cancel"]);
    // Knob: a tenant whose configuration knows GLAccount.
    sim.set_knobs(|k| k.xml.custom_fields.push("GLAccount".into()));
    assert_eq!(
        post_xml(&sim, PO_ACTION, po("p-7", "OP-2", "new", "GLAccount", "1"))
            .await
            .0,
        200
    );
    // No J1P PO was written.
    assert!(sim.purchase_orders().is_empty());
}

#[derive(Clone, Default)]
struct Receiver {
    bodies: Arc<Mutex<Vec<String>>>,
    fail_first: Arc<Mutex<u32>>,
}

async fn receiver(rx: Receiver) -> String {
    let app = Router::new().route(
        "/jaggaer/export/t1",
        post(move |body: Bytes| {
            let rx = rx.clone();
            async move {
                let text = String::from_utf8_lossy(&body).into_owned();
                rx.bodies.lock().unwrap().push(text.clone());
                let mut fail = rx.fail_first.lock().unwrap();
                if *fail > 0 {
                    *fail -= 1;
                    return (axum::http::StatusCode::SERVICE_UNAVAILABLE, String::from("busy"));
                }
                let id = between(&text, "<MessageId>", "</MessageId>").to_owned();
                (
                    axum::http::StatusCode::OK,
                    format!(
                        "<DocumentExportResponse version=\"1.0\"><Header><MessageId>{id}</MessageId>\
                         <Timestamp>2026-12-05T10:00:00+00:00</Timestamp></Header><Response><Status>\
                         <StatusCode>200</StatusCode><StatusText>OK</StatusText></Status></Response></DocumentExportResponse>"
                    ),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/jaggaer/export/t1")
}

#[tokio::test]
async fn export_pusher_retries_on_non_200_and_records_replies() {
    let sim = sim().await;
    let id = sim
        .insert_invoice(json!({
            "header": {
                "invoiceNumber": "I000777", "supplierInvoiceNumber": "INV-9 & 10",
                "invoiceType": "Invoice", "paymentStatus": "Payable",
                "invoiceDate": "2026-11-30T12:00:00.000Z",
                "supplier": {"name": "Smith & Sons", "supplierNumber": "4242"},
                "total": {"currency": "USD", "value": 25.0}
            },
            "lineList": {"invoiceLine": [{
                "lineNumber": 1, "quantity": 2, "unitPrice": 12.5,
                "poNumber": "OP-1", "poLineNumber": 1,
                "item": {"description": "Bolts <M8>", "unitOfMeasure": {"dimension": "EA"}},
                "splittableFieldSetGroupList": {"splittableFieldSetGroup": [{"splittableFieldIndexSet": [{
                    "splittableFieldIndexList": {"splittableFieldIndex": [
                        {"splitIndex": 1, "distributionType": "AmountOfPrice", "distributionValue": 15,
                         "customFieldValueList": {"customFieldValue": [{"internalName": "Account", "value": "1.6110"}]}},
                        {"splitIndex": 2, "distributionType": "AmountOfPrice", "distributionValue": 10,
                         "customFieldValueList": {"customFieldValue": [{"internalName": "Account", "value": "1.6120"}]}}
                    ]}}]}]}
            }]}
        }))
        .unwrap();
    let rx = Receiver {
        fail_first: Arc::new(Mutex::new(2)),
        ..Receiver::default()
    };
    let url = receiver(rx.clone()).await;
    sim.set_knobs(|k| k.xml.export_url = Some(url.clone()));
    let push = sim.push_invoice_export(id).await.unwrap();
    assert!(push.accepted, "{push:?}");
    assert_eq!(
        push.attempts.iter().map(|a| a.0).collect::<Vec<_>>(),
        vec![503, 503, 200]
    );
    let bodies = rx.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 3);
    // Retries carry the same document and MessageId.
    assert!(bodies.iter().all(|b| *b == bodies[0]));
    let doc = &bodies[0];
    assert_eq!(between(doc, "<MessageId>", "</MessageId>"), push.message_id);
    assert!(doc.contains("<InvoiceHeader status=\"Payable\">"), "{doc}");
    assert!(doc.contains("<SupplierInvoiceNo>INV-9 &amp; 10</SupplierInvoiceNo>"));
    assert!(doc.contains("<Name>Smith &amp; Sons</Name>"));
    assert!(doc.contains(&format!("<SharedSecret>{SECRET}</SharedSecret>")));
    assert!(
        doc.contains("<SplittableFieldIndex splitindex=\"1\" distributionvalue=\"10\">"),
        "{doc}"
    );
    assert!(doc.contains("<CustomFieldValue name=\"Account\">"));
    assert_eq!(sim.export_pushes(), vec![push.clone()]);

    // The attempts knob caps retries; the bare-& knob writes what JAGGAER has been seen to send.
    *rx.fail_first.lock().unwrap() = 5;
    sim.set_knobs(|k| {
        k.xml.export_attempts = 2;
        k.xml.export_bare_ampersand = true;
    });
    let push2 = sim.push_invoice_export(id).await.unwrap();
    assert!(!push2.accepted);
    assert_eq!(push2.attempts.len(), 2);
    assert_ne!(push2.message_id, push.message_id);
    let last = rx.bodies.lock().unwrap().last().unwrap().clone();
    assert!(last.contains("<Name>Smith & Sons</Name>"), "{last}");
    // A receiver that is not there: recorded as status 0, not a panic.
    let push3 = sim
        .push_export_document(None, "x-1", "http://127.0.0.1:9/none", "<x/>".into())
        .await;
    assert_eq!(push3.attempts.len(), 2);
    assert!(push3.attempts.iter().all(|a| a.0 == 0));
    assert_eq!(sim.export_pushes().len(), 3);
}
