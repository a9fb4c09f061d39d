//! Raw-HTTP tests of the simulator's cXML OrderRequest inbox: DTD validation, credentials,
//! resends by payloadID, update/delete, and orders becoming POs (and invoices).

use std::path::PathBuf;

use mlc_sim::jaggaer::{JaggaerSim, JaggaerSimConfig};
use reqwest::Client;
use serde_json::{Value, json};

const DTD: &str = "/work/shared/reference/cxml-dtd/1.2.069/cXML.dtd";

fn xmllint_available() -> bool {
    std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        && PathBuf::from(DTD).is_file()
}

fn order(payload: &str, order_id: &str, kind: &str, secret: &str, classification: bool) -> String {
    let class = if classification {
        r#"<Classification domain="UNSPSC">44121600</Classification>"#
    } else {
        ""
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.069/cXML.dtd">
<cXML payloadID="{payload}" timestamp="2026-11-20T10:00:00+00:00" xml:lang="en-US">
  <Header>
    <From><Credential domain="NetworkID"><Identity>BUYER-01</Identity></Credential></From>
    <To><Credential domain="SupplierNumber"><Identity>4242</Identity></Credential></To>
    <Sender><Credential domain="NetworkID"><Identity>BUYER-01</Identity>
      <SharedSecret>{secret}</SharedSecret></Credential>
      <UserAgent>ml-connector test</UserAgent></Sender>
  </Header>
  <Request deploymentMode="test">
    <OrderRequest>
      <OrderRequestHeader orderID="{order_id}" orderDate="2026-11-20T09:00:00+00:00" type="{kind}">
        <Total><Money currency="USD">130.00</Money></Total>
        <BillTo><Address addressID="AP" isoCountryCode="US"><Name xml:lang="en">AP &amp; Co</Name>
          <PostalAddress><Street>2 Main St</Street><City>Springfield</City>
          <Country isoCountryCode="US">United States</Country></PostalAddress></Address></BillTo>
      </OrderRequestHeader>
      <ItemOut quantity="2" lineNumber="1">
        <ItemID><SupplierPartID>ABC-100</SupplierPartID></ItemID>
        <ItemDetail>
          <UnitPrice><Money currency="USD">50.00</Money></UnitPrice>
          <Description xml:lang="en">Widget, blue</Description>
          <UnitOfMeasure>EA</UnitOfMeasure>
          {class}
        </ItemDetail>
        <Distribution>
          <Accounting name="Coding">
            <AccountingSegment id="200.6110"><Name xml:lang="en">Account</Name>
              <Description xml:lang="en">Office supplies</Description></AccountingSegment>
            <AccountingSegment id="200"><Name xml:lang="en">CostCenter</Name>
              <Description xml:lang="en">Facilities</Description></AccountingSegment>
          </Accounting>
          <Charge><Money currency="USD">100.00</Money></Charge>
        </Distribution>
      </ItemOut>
      <ItemOut quantity="1" lineNumber="2">
        <ItemID><SupplierPartID>SVC-9</SupplierPartID></ItemID>
        <ItemDetail>
          <UnitPrice><Money currency="USD">30.00</Money></UnitPrice>
          <Description xml:lang="en">Installation</Description>
          <UnitOfMeasure>EA</UnitOfMeasure>
          {class}
        </ItemDetail>
      </ItemOut>
    </OrderRequest>
  </Request>
</cXML>"#
    )
}

async fn send(c: &Client, sim: &JaggaerSim, body: String) -> (u16, String) {
    let r = c
        .post(sim.cxml_url())
        .header("content-type", "text/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.text().await.unwrap())
}

fn status_code(xml: &str) -> String {
    let i = xml.find("<Status code=\"").expect("a Status element") + 14;
    xml[i..i + 3].to_owned()
}

async fn start(invoice_on_po: f64) -> JaggaerSim {
    let mut cfg = JaggaerSimConfig::default();
    cfg.knobs.invoice_on_po = invoice_on_po;
    JaggaerSim::start(cfg).await.unwrap()
}

#[tokio::test]
async fn order_is_accepted_stored_as_po_and_resend_is_not_applied_twice() {
    let sim = start(1.0).await;
    let c = Client::new();
    let (s, body) = send(
        &c,
        &sim,
        order("p1@buyer", "00200-OP-7", "new", "mlc-cxml-secret", true),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(status_code(&body), "200");
    assert!(body.contains("<!DOCTYPE cXML"));

    let po = sim.purchase_order("00200-OP-7").expect("stored as a PO");
    let lines = po["lineList"]["poLine"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["unitPrice"].to_string(), "50.00");
    assert_eq!(lines[0]["itemNumber"], "ABC-100");
    let sets = &lines[0]["customFieldValueSetList"]["customFieldValueSet"];
    assert_eq!(sets[0]["name"], "Account");
    assert_eq!(
        sets[0]["customFieldValueList"]["customFieldValue"][0]["value"],
        "200.6110"
    );
    assert_eq!(po["header"]["status"], "Open");
    assert_eq!(po["header"]["total"]["value"].to_string(), "130.00");

    let received = sim.cxml_orders_received();
    assert_eq!(received.len(), 1);
    let expected = if xmllint_available() {
        "valid"
    } else {
        "skipped"
    };
    assert!(
        received[0]["dtdValidation"]
            .as_str()
            .unwrap()
            .starts_with(expected),
        "{received:?}"
    );

    // invoice_on_po = 1: the PO got an invoice whose lines point back at it.
    let inv = sim.invoices();
    assert_eq!(inv.len(), 1);
    assert_eq!(
        inv[0]["lineList"]["invoiceLine"][0]["poNumber"],
        "00200-OP-7"
    );

    // A resend of the same payloadID: 200, nothing applied again.
    let (s, body) = send(
        &c,
        &sim,
        order("p1@buyer", "00200-OP-7", "new", "mlc-cxml-secret", true),
    )
    .await;
    assert_eq!((s, status_code(&body).as_str()), (200, "200"));
    assert_eq!(sim.cxml_orders_received()[0]["resends"], 1);
    assert_eq!(sim.invoices().len(), 1);
    assert_eq!(sim.purchase_orders().len(), 1);

    // A new payloadID with type=new for the same order: conflict.
    let (s, body) = send(
        &c,
        &sim,
        order("p2@buyer", "00200-OP-7", "new", "mlc-cxml-secret", true),
    )
    .await;
    assert_eq!((s, status_code(&body).as_str()), (409, "409"));

    // update replaces the PO (same poId), delete cancels it.
    let po_id = po["poId"].clone();
    let (s, _) = send(
        &c,
        &sim,
        order("p3@buyer", "00200-OP-7", "update", "mlc-cxml-secret", true),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = send(
        &c,
        &sim,
        order("p4@buyer", "00200-OP-7", "delete", "mlc-cxml-secret", true),
    )
    .await;
    assert_eq!(s, 200);
    let po = sim.purchase_order("00200-OP-7").unwrap();
    assert_eq!(po["poId"], po_id);
    assert_eq!(po["header"]["status"], "Cancelled");
    assert_eq!(sim.purchase_orders().len(), 1);

    // update of an unknown order.
    let (s, body) = send(
        &c,
        &sim,
        order("p5@buyer", "00200-OP-8", "update", "mlc-cxml-secret", true),
    )
    .await;
    assert_eq!((s, status_code(&body).as_str()), (417, "417"));
}

#[tokio::test]
async fn malformed_invalid_and_unauthorised_orders_are_refused() {
    let sim = start(0.0).await;
    let c = Client::new();
    let (s, body) = send(&c, &sim, "<cXML><Header></cXML>".into()).await;
    assert_eq!(s, 400);
    assert_eq!(status_code(&body), "400");

    let (s, body) = send(&c, &sim, "not xml at all".into()).await;
    assert_eq!(s, 400, "{body}");

    let (s, body) = send(
        &c,
        &sim,
        order("q1@buyer", "00200-OP-9", "new", "wrong", true),
    )
    .await;
    assert_eq!((s, status_code(&body).as_str()), (401, "401"));

    // Missing Classification: DTD-invalid (only detectable with xmllint and the DTD).
    if xmllint_available() {
        let (s, body) = send(
            &c,
            &sim,
            order("q2@buyer", "00200-OP-9", "new", "mlc-cxml-secret", false),
        )
        .await;
        assert_eq!(s, 400, "{body}");
        assert!(body.contains("DTD validation failed"), "{body}");
        assert!(body.contains("ItemDetail"), "{body}");
    }
    assert!(sim.purchase_orders().is_empty());
    assert!(sim.cxml_orders_received().is_empty());

    // Without a DTD the same document passes the required-element check and is recorded as
    // not DTD-validated.
    sim.set_knobs(|k| k.cxml_dtd = None);
    let (s, _) = send(
        &c,
        &sim,
        order("q3@buyer", "00200-OP-9", "new", "mlc-cxml-secret", false),
    )
    .await;
    assert_eq!(s, 200);
    let rec: Value = sim.cxml_orders_received()[0].clone();
    assert_eq!(rec["dtdValidation"], json!("skipped: no DTD configured"));
}
