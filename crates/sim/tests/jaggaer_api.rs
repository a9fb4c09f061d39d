//! Raw-HTTP tests of the JAGGAER J1P simulator: token endpoint, envelope and paging, `flt`,
//! supplier profiles, purchase orders, value lists, rate limiting, faults and the request log.

use std::time::Duration;

use mlc_sim::jaggaer::{JaggaerSim, JaggaerSimConfig};
use reqwest::Client;
use serde_json::{Value, json};

const SUPPLIERS: &str = "/j1p/api/public/ja/v1/companyprofiles";
const POS: &str = "/j1p/api/public/jp/v1/purchaseorders";
const INVOICES: &str = "/j1p/api/public/ji/v1/invoices";

fn values_path(field: &str) -> String {
    format!("/j1p/api/public/jc/v1/customfields/{field}/values")
}

async fn start_with(f: impl FnOnce(&mut JaggaerSimConfig)) -> JaggaerSim {
    let mut cfg = JaggaerSimConfig::default();
    f(&mut cfg);
    JaggaerSim::start(cfg).await.expect("sim starts")
}

async fn token(c: &Client, sim: &JaggaerSim) -> String {
    let r = c
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "mlc-client"),
            ("client_secret", "mlc-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

async fn get(
    c: &Client,
    sim: &JaggaerSim,
    tok: &str,
    path: &str,
    q: &[(&str, &str)],
) -> (u16, Value) {
    let r = c
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(tok)
        .query(q)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (s, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn post(c: &Client, sim: &JaggaerSim, tok: &str, path: &str, body: Value) -> (u16, Value) {
    let r = c
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (s, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn supplier(ext: &str, name: &str) -> Value {
    json!({"operationCode": "CREATEUPDATE", "companyInfo": {
        "extCode": ext, "companyName": name, "fiscalCode": format!("FC{ext}"), "type": "SELLER",
        "isoCountry": "US", "address": "1 Main St", "city": "Springfield", "zip": "62701",
        "email": "ap@example.com", "status": "ACTIVE"}})
}

fn po(number: &str, bravo: i64, lines: Value) -> Value {
    json!({"operationCode": "CREATEUPDATE", "purchaseOrder": {
        "header": {"poNumber": number, "supplier": {"bravoId": bravo, "extCode": "4242"},
                   "orderDate": "2026-11-20", "currency": "USD",
                   "total": {"currency": "USD", "value": 250.00}, "status": "Open"},
        "lineList": {"poLine": lines}}})
}

fn po_line(n: u32, qty: &str, price: &str, account: &str) -> Value {
    serde_json::from_str(&format!(
        r#"{{"lineNumber": {n}, "description": "Widget {n}", "itemNumber": "W-{n}",
            "quantity": {qty}, "unitOfMeasure": "EA", "unitPrice": {price},
            "extendedPrice": 0, "status": "Open",
            "customFieldValueSetList": {{"customFieldValueSet": [
              {{"name": "Account", "customFieldValueList": {{"customFieldValue": [{{"value": "{account}"}}]}}}},
              {{"name": "CostCenter", "customFieldValueList": {{"customFieldValue": [{{"value": "200"}}]}}}}]}}}}"#
    ))
    .unwrap()
}

#[tokio::test]
async fn token_errors_and_revoke_all() {
    let sim = start_with(|_| {}).await;
    let c = Client::new();
    let bad = c
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "mlc-client"),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let v: Value = bad.json().await.unwrap();
    assert_eq!(v["error"], "invalid_client");

    let grant = c
        .post(sim.token_url())
        .form(&[("grant_type", "password"), ("client_id", "mlc-client")])
        .send()
        .await
        .unwrap();
    assert_eq!(grant.status(), 400);
    let v: Value = grant.json().await.unwrap();
    assert_eq!(v["error"], "unsupported_grant_type");

    let ok = c
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "mlc-client"),
            ("client_secret", "mlc-secret"),
        ])
        .send()
        .await
        .unwrap();
    let v: Value = ok.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 300);
    assert_eq!(v["not-before-policy"], 0);
    let tok = v["access_token"].as_str().unwrap().to_owned();

    assert_eq!(get(&c, &sim, &tok, INVOICES, &[]).await.0, 200);
    assert_eq!(get(&c, &sim, "nope", INVOICES, &[]).await.0, 401);
    sim.revoke_all_tokens();
    assert_eq!(get(&c, &sim, &tok, INVOICES, &[]).await.0, 401);
    let fresh = token(&c, &sim).await;
    assert_eq!(get(&c, &sim, &fresh, INVOICES, &[]).await.0, 200);
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let sim = start_with(|c| c.knobs.token_lifetime = Duration::from_millis(150)).await;
    let c = Client::new();
    let tok = token(&c, &sim).await;
    assert_eq!(get(&c, &sim, &tok, INVOICES, &[]).await.0, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(get(&c, &sim, &tok, INVOICES, &[]).await.0, 401);
}

#[tokio::test]
async fn supplier_upsert_lookup_deactivate_and_paging() {
    let sim = start_with(|c| c.knobs.page_size = 2).await;
    let c = Client::new();
    let tok = token(&c, &sim).await;
    let (s, v) = post(&c, &sim, &tok, SUPPLIERS, supplier("4242", "Acme")).await;
    assert_eq!(s, 200);
    assert_eq!(v["returnCode"], 0);
    let bravo = v["bravoId"].as_i64().unwrap();
    for (ext, name) in [
        ("4343", "Beta"),
        ("4444", "Gamma"),
        ("4545", "Delta"),
        ("4646", "Eps"),
    ] {
        post(&c, &sim, &tok, SUPPLIERS, supplier(ext, name)).await;
    }
    // Same extCode again: the same bravoId, fields updated.
    let (_, v) = post(&c, &sim, &tok, SUPPLIERS, supplier("4242", "Acme Corp")).await;
    assert_eq!(v["bravoId"].as_i64(), Some(bravo));

    let (_, v) = get(&c, &sim, &tok, SUPPLIERS, &[("flt", "extCode==4242")]).await;
    assert_eq!(v["totRecords"], 1);
    let info = &v["returnCompanyData"][0]["returnCompanyInfo"];
    assert_eq!(info["companyName"], "Acme Corp");
    assert_eq!(info["bravoId"].as_i64(), Some(bravo));
    assert_eq!(info["status"], "ACTIVE");

    // Deactivation is an upsert with INACTIVE.
    let mut off = supplier("4242", "Acme Corp");
    off["companyInfo"]["status"] = json!("INACTIVE");
    post(&c, &sim, &tok, SUPPLIERS, off).await;
    let (_, v) = get(&c, &sim, &tok, SUPPLIERS, &[("flt", "extCode==4242")]).await;
    assert_eq!(
        v["returnCompanyData"][0]["returnCompanyInfo"]["status"],
        "INACTIVE"
    );

    // Paging: 5 suppliers, page size 2 → 2 + 2 + 1, startAt is 1-based.
    let mut start = 1;
    let mut seen = Vec::new();
    loop {
        let s = start.to_string();
        let (_, v) = get(&c, &sim, &tok, SUPPLIERS, &[("start", s.as_str())]).await;
        assert_eq!(v["returnCode"], 0);
        assert_eq!(v["totRecords"], 5);
        assert_eq!(v["startAt"], start);
        let n = v["returnedRecords"].as_u64().unwrap() as usize;
        if n == 0 {
            break;
        }
        for r in v["returnCompanyData"].as_array().unwrap() {
            seen.push(
                r["returnCompanyInfo"]["extCode"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        start += n;
    }
    assert_eq!(seen, ["4242", "4343", "4444", "4545", "4646"]);

    // A bad operation code is an application error on HTTP 200.
    let mut wrong = supplier("1", "x");
    wrong["operationCode"] = json!("DELETE");
    let (s, v) = post(&c, &sim, &tok, SUPPLIERS, wrong).await;
    assert_eq!(s, 200);
    assert_ne!(v["returnCode"], 0);
}

#[tokio::test]
async fn po_upsert_keeps_po_id_and_unknown_supplier_is_an_application_error() {
    let sim = start_with(|c| c.knobs.invoice_on_po = 0.0).await;
    let c = Client::new();
    let tok = token(&c, &sim).await;
    let (_, v) = post(&c, &sim, &tok, SUPPLIERS, supplier("4242", "Acme")).await;
    let bravo = v["bravoId"].as_i64().unwrap();

    let lines = json!([
        po_line(1, "2", "50.00", "200.6110"),
        po_line(2, "1", "150.00", "200.6120")
    ]);
    let (s, v) = post(&c, &sim, &tok, POS, po("00200-OP-1001", bravo, lines)).await;
    assert_eq!((s, v["returnCode"].clone()), (200, json!(0)));
    let po_id = v["poId"].as_i64().unwrap();

    // Update: header and lines replaced (one line now), same poId.
    let lines = json!([po_line(1, "3", "50.00", "200.6110")]);
    let (_, v) = post(&c, &sim, &tok, POS, po("00200-OP-1001", bravo, lines)).await;
    assert_eq!(v["poId"].as_i64(), Some(po_id));
    let (_, v) = get(&c, &sim, &tok, POS, &[("flt", "poNumber==00200-OP-1001")]).await;
    assert_eq!(v["totRecords"], 1);
    let stored = &v["purchaseOrderList"]["purchaseOrder"][0];
    assert_eq!(stored["poId"].as_i64(), Some(po_id));
    assert_eq!(stored["lineList"]["poLine"].as_array().unwrap().len(), 1);
    // Exact decimal text survives the round trip.
    assert_eq!(
        stored["lineList"]["poLine"][0]["unitPrice"].to_string(),
        "50.00"
    );
    assert_eq!(sim.purchase_orders().len(), 1);

    let (s, v) = post(&c, &sim, &tok, POS, po("00200-OP-1002", 999_999, json!([]))).await;
    assert_eq!(s, 200);
    assert_ne!(v["returnCode"], 0);
    assert!(
        v["returnMessage"].as_str().unwrap().contains("999999"),
        "{v}"
    );
    assert!(sim.purchase_order("00200-OP-1002").is_none());
}

#[tokio::test]
async fn value_lists_upsert_by_value_and_page() {
    let sim = start_with(|c| c.knobs.page_size = 2).await;
    let c = Client::new();
    let tok = token(&c, &sim).await;
    let batch = json!({"customFieldValueList": {"customFieldValue": [
        {"value": "200.6110", "description": "Office supplies", "active": true},
        {"value": "200.6120", "description": "Travel", "active": true},
        {"value": "200.6130", "description": "Meals", "active": true}]}});
    let (s, v) = post(&c, &sim, &tok, &values_path("Account"), batch).await;
    assert_eq!((s, v["upserted"].clone()), (200, json!(3)));
    let again = json!({"customFieldValueList": {"customFieldValue": [
        {"value": "200.6120", "description": "Travel (domestic)", "active": false}]}});
    post(&c, &sim, &tok, &values_path("Account"), again).await;

    let (_, p1) = get(&c, &sim, &tok, &values_path("Account"), &[]).await;
    assert_eq!(p1["totRecords"], 3);
    assert_eq!(p1["returnedRecords"], 2);
    let (_, p2) = get(&c, &sim, &tok, &values_path("Account"), &[("start", "3")]).await;
    assert_eq!(p2["startAt"], 3);
    assert_eq!(
        p2["customFieldValueList"]["customFieldValue"][0]["value"],
        "200.6130"
    );
    let travel = &p1["customFieldValueList"]["customFieldValue"][1];
    assert_eq!(travel["description"], "Travel (domestic)");
    assert_eq!(travel["active"], false);
    assert!(sim.custom_field_values("CostCenter").is_empty());
    assert_eq!(sim.custom_field_values("Account").len(), 3);
}

#[tokio::test]
async fn invoice_list_filters_on_last_update() {
    let sim = start_with(|_| {}).await;
    let c = Client::new();
    let tok = token(&c, &sim).await;
    let old = sim
        .insert_invoice(json!({"header": {"lastUpdate": "2026-01-01T10:00:00.000Z",
            "invoiceType": "Invoice", "total": {"currency": "USD"}}, "lineList": {"invoiceLine": []}}))
        .unwrap();
    let newer = sim
        .insert_invoice(json!({"header": {"lastUpdate": "2026-01-02T10:00:00.000Z",
            "invoiceType": "Invoice", "total": {"currency": "USD"}}}))
        .unwrap();
    let same = sim
        .insert_invoice(json!({"header": {"lastUpdate": "2026-01-02T10:00:00.000Z",
            "invoiceType": "Credit Memo", "total": {"currency": "USD"}}}))
        .unwrap();
    let (_, v) = get(
        &c,
        &sim,
        &tok,
        INVOICES,
        &[("flt", "lastUpdate>=2026-01-02T10:00:00.000Z")],
    )
    .await;
    assert_eq!(v["totRecords"], 2);
    let ids: Vec<i64> = v["jiinvoiceList"]["jiinvoice"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["header"]["invoiceId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [newer, same]);
    // Headers only in the list.
    assert!(v["jiinvoiceList"]["jiinvoice"][0].get("lineList").is_none());
    let (_, v) = get(&c, &sim, &tok, INVOICES, &[]).await;
    assert_eq!(v["totRecords"], 3);
    assert_eq!(
        v["jiinvoiceList"]["jiinvoice"][0]["header"]["invoiceId"].as_i64(),
        Some(old)
    );
    let (_, v) = get(
        &c,
        &sim,
        &tok,
        INVOICES,
        &[(
            "flt",
            "lastUpdate>=2026-01-01T00:00:00.000Z;invoiceType==Credit Memo",
        )],
    )
    .await;
    assert_eq!(v["totRecords"], 1);
    // Cancelling bumps lastUpdate past the filter mark.
    assert!(sim.cancel_invoice(old));
    let (_, v) = get(
        &c,
        &sim,
        &tok,
        INVOICES,
        &[("flt", "lastUpdate>=2026-01-03T00:00:00.000Z")],
    )
    .await;
    assert_eq!(v["totRecords"], 1);
    assert_eq!(
        v["jiinvoiceList"]["jiinvoice"][0]["header"]["paymentStatus"],
        "Cancelled"
    );
    // Detail and 404.
    let (s, d) = get(&c, &sim, &tok, &format!("{INVOICES}/{newer}"), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(d["header"]["invoiceId"].as_i64(), Some(newer));
    assert_eq!(
        get(&c, &sim, &tok, &format!("{INVOICES}/1"), &[]).await.0,
        404
    );
    // A bad timestamp is an application error.
    let (s, v) = get(
        &c,
        &sim,
        &tok,
        INVOICES,
        &[("flt", "lastUpdate>=yesterday")],
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["returnCode"], 400);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let sim = start_with(|c| c.knobs.rate_limit = Some(3)).await;
    let c = Client::new();
    let tok = token(&c, &sim).await; // takes one token
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..6 {
        let r = c
            .get(format!("{}{INVOICES}", sim.base_url()))
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
        }
        statuses.push(r.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    let st = sim.stats();
    assert!(st.rate_limited >= 1);
    assert_eq!(st.rate_limited, st.endpoints["invoices.list"].rate_limited);

    // HTTP-date form.
    sim.set_knobs(|k| {
        k.rate_limit = Some(1);
        k.retry_after_http_date = true;
    });
    let _ = c
        .get(format!("{}{INVOICES}", sim.base_url()))
        .bearer_auth(&tok)
        .send()
        .await;
    let r = c
        .get(format!("{}{INVOICES}", sim.base_url()))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let h = r.headers()["retry-after"].to_str().unwrap().to_owned();
    assert!(h.ends_with(" GMT") && h.contains(','), "{h}");

    // The limit lifts after a second.
    sim.set_knobs(|k| k.rate_limit = Some(2));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = c
        .get(format!("{}{INVOICES}", sim.base_url()))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn faults_and_request_log() {
    let sim = start_with(|c| c.knobs.faults.app_error_rate = 1.0).await;
    let c = Client::new();
    let tok = token(&c, &sim).await;
    let (s, v) = post(&c, &sim, &tok, SUPPLIERS, supplier("4242", "Acme")).await;
    assert_eq!(s, 200);
    assert_eq!(v["returnCode"], "409");
    assert!(sim.suppliers().is_empty(), "nothing applied");
    let (_, v) = get(&c, &sim, &tok, SUPPLIERS, &[]).await;
    assert_eq!(v["returnCode"], 500);

    sim.set_knobs(|k| {
        k.faults.app_error_rate = 0.0;
        k.faults.error_rate = 1.0;
    });
    assert_eq!(get(&c, &sim, &tok, INVOICES, &[]).await.0, 503);

    sim.set_knobs(|k| {
        k.faults.error_rate = 0.0;
        k.faults.reset_rate = 1.0;
    });
    let r = c
        .get(format!("{}{INVOICES}", sim.base_url()))
        .bearer_auth(&tok)
        .send()
        .await;
    assert!(r.is_err(), "connection reset expected");

    let log = sim.requests();
    let last = log.last().unwrap();
    assert_eq!(last.status, 0);
    assert_eq!(last.endpoint, "invoices.list");
    assert!(log.iter().any(|r| r.endpoint == "token" && r.status == 200));
    assert!(
        log.iter()
            .any(|r| r.query.as_deref().is_some_and(|q| q.is_empty()) || r.query.is_none())
    );
    let st = sim.stats();
    assert_eq!(st.endpoints["suppliers.upsert"].requests, 1);
    assert_eq!(st.endpoints["invoices.list"].errors, 2);
    sim.clear_requests();
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn debug_output_hides_secrets() {
    let sim = start_with(|c| c.knobs.cxml_shared_secret = "cxml-topsecret".into()).await;
    let dbg = format!("{sim:?} {:?}", sim.knobs());
    assert!(!dbg.contains("mlc-secret"), "{dbg}");
    assert!(!dbg.contains("cxml-topsecret"), "{dbg}");
    assert!(dbg.contains("mlc-client"));
}
