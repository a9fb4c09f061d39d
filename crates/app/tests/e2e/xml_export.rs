//! Issue 14 item 2: JAGGAER's `BuyerInvoiceExportMessage` pushed (by the simulator's export
//! pusher) to `POST /jaggaer/export/TENANT` on the running service.
//!
//! Setup: a first `sync` over `rest` puts suppliers, accounts and POs into JAGGAER (the
//! simulator invoices from its J1P supplier profiles), then the tenant is switched to
//! `transport = "xml"` (the ledger keys are per record, so nothing is re-sent) and `run`
//! serves the export endpoint.
use std::time::Duration;

use mlc_core::ids::TenantId;
use mlc_sim::jaggaer::JaggaerSimConfig;

use crate::harness::*;

async fn sims() -> Sims {
    let mut jag = JaggaerSimConfig::default();
    jag.knobs.invoice_on_po = 0.0;
    jag.knobs.pending_rate = 0.0;
    Sims::start(jde_config(8, 10), jag).await
}

/// First sync over rest, one payable invoice in JAGGAER, then the config switched to xml.
/// Returns the env and the invoice's id and supplier invoice number.
async fn setup(sims: &Sims, poll_invoices: bool) -> (Env, i64, String) {
    let env = Env::new(sims).await;
    env.sync().await;
    // A payable invoice (credit memos are fine too, but keep the assertion simple).
    let id = loop {
        let id = sims.jag.generate_invoices(1)[0];
        let doc = sims.jag.invoice_json(id).unwrap();
        if text(&doc["header"]["invoiceType"]) == "Invoice" {
            break id;
        }
        sims.jag.cancel_invoice(id);
    };
    let number = text(&sims.jag.invoice_json(id).unwrap()["header"]["supplierInvoiceNumber"]);
    let path = env.path("ml-connector.toml");
    let config = std::fs::read_to_string(&path).unwrap().replace(
        "transport = \"rest\"",
        &format!("transport = \"xml\"\npoll_invoices = {poll_invoices}"),
    );
    std::fs::write(&path, config).unwrap();
    (env, id, number)
}

fn acme() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

fn vouchers_for(sims: &Sims, vinv: &str) -> usize {
    sims.jde
        .state()
        .vouchers()
        .into_iter()
        .filter(|v| v.vinv == vinv)
        .count()
}

async fn drained(env: &Env) {
    let store = env.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !store.inbox_pending(&acme(), 10).await.unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "inbox not processed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until JDE holds a voucher for `vinv` (or the time is up).
async fn voucher_appears(sims: &Sims, vinv: &str, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while vouchers_for(sims, vinv) == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn quarantined(env: &Env) -> Vec<String> {
    env.store()
        .await
        .quarantine_list(Some(&acme()), false)
        .await
        .unwrap()
        .into_iter()
        .map(|q| format!("{}: {}", q.entry.record, q.entry.reason))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_invoice_is_one_voucher_and_resends_forgeries_and_junk_are_not() {
    let sims = sims().await;
    let (env, id, number) = setup(&sims, false).await;
    let svc = env.start("30s").await;
    let url = svc.url(&format!("/jaggaer/export/{TENANT}"));
    sims.jag.set_knobs(|k| {
        k.xml.export_attempts = 1;
        k.xml.export_bare_ampersand = true;
    });

    let push = sims.jag.push_invoice_export_to(id, &url).await.unwrap();
    assert!(push.accepted, "{push:#?}");
    let (_, reply) = &push.attempts[0];
    assert!(
        reply.contains(&format!("<MessageId>{}</MessageId>", push.message_id)),
        "{reply}"
    );
    voucher_appears(&sims, &number, Duration::from_secs(30)).await;
    drained(&env).await;
    assert_eq!(
        vouchers_for(&sims, &number),
        1,
        "{:#?}",
        quarantined(&env).await
    );

    // The same document again (a JAGGAER retry): 200, stored once.
    let (_, xml) = sims.jag.invoice_export_xml(id).unwrap();
    let xml = xml.replace(
        &xml.split("<MessageId>")
            .nth(1)
            .unwrap()
            .split("</MessageId>")
            .next()
            .unwrap()
            .to_owned(),
        &push.message_id,
    );
    let again = sims
        .jag
        .push_export_document(Some(id), &push.message_id, &url, xml.clone())
        .await;
    assert!(again.accepted, "{again:#?}");
    assert!(
        again.attempts[0].1.contains("already received"),
        "{again:#?}"
    );
    // A second export of the same invoice (new MessageId): stored, but no second voucher.
    let second = sims.jag.push_invoice_export_to(id, &url).await.unwrap();
    assert!(second.accepted, "{second:#?}");
    drained(&env).await;

    // A forged secret: refused, nothing stored.
    let forged = xml
        .replace(XML_SECRET, "not-the-secret")
        .replace(&push.message_id, "forged-1");
    let f = sims
        .jag
        .push_export_document(Some(id), "forged-1", &url, forged)
        .await;
    assert!(!f.accepted);
    assert_eq!(f.attempts[0].0, 400, "{f:#?}");
    assert!(
        f.attempts[0].1.contains("<StatusCode>400</StatusCode>"),
        "{f:#?}"
    );
    assert!(f.attempts[0].1.contains("Authentication failed"), "{f:#?}");
    assert!(
        env.store()
            .await
            .inbox_pending(&acme(), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Malformed XML: 400 naming the problem.
    let junk = xml
        .replace(&push.message_id, "junk-1")
        .replace("</Invoice>", "<Invoice>");
    let j = sims
        .jag
        .push_export_document(None, "junk-1", &url, junk)
        .await;
    assert_eq!(j.attempts[0].0, 400, "{j:#?}");
    assert!(
        j.attempts[0].1.contains("<StatusCode>400</StatusCode>"),
        "{j:#?}"
    );

    let metrics = svc
        .metrics_until(Duration::from_secs(10), |m| {
            counter_sum(m, "mlc_xml_exports_total", &[r#"result="unauthorized""#]) >= 1.0
        })
        .await;
    assert_eq!(
        counter_sum(&metrics, "mlc_xml_exports_total", &[r#"result="accepted""#]),
        2.0
    );
    assert_eq!(
        counter_sum(&metrics, "mlc_xml_exports_total", &[r#"result="resend""#]),
        1.0
    );
    assert_eq!(
        counter_sum(
            &metrics,
            "mlc_xml_exports_total",
            &[r#"result="malformed""#]
        ),
        1.0
    );
    assert_eq!(vouchers_for(&sims, &number), 1);
    // The stored documents never hold the secret.
    assert!(!svc.log_text().contains(XML_SECRET));
    let (status, log) = svc.terminate(Duration::from_secs(10)).await;
    assert!(status.success(), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_exported_and_polled_is_one_voucher() {
    let sims = sims().await;
    let (env, id, number) = setup(&sims, true).await;
    let svc = env.start("30s").await;
    let url = svc.url(&format!("/jaggaer/export/{TENANT}"));
    let push = sims.jag.push_invoice_export_to(id, &url).await.unwrap();
    assert!(push.accepted, "{push:#?}");
    voucher_appears(&sims, &number, Duration::from_secs(30)).await;
    drained(&env).await;
    svc.terminate(Duration::from_secs(10)).await;
    // One more cycle that polls J1P again: still one voucher.
    env.sync().await;
    assert_eq!(
        vouchers_for(&sims, &number),
        1,
        "{:#?}",
        quarantined(&env).await
    );
    // Same record key and the same posting: no "changed after posting" either.
    assert_eq!(quarantined(&env).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_right_after_the_200_still_ends_in_one_voucher() {
    let sims = sims().await;
    let (env, id, number) = setup(&sims, false).await;
    let first = env.start("5s").await;
    let url = first.url(&format!("/jaggaer/export/{TENANT}"));
    sims.jag.set_knobs(|k| k.xml.export_attempts = 1);
    let push = sims.jag.push_invoice_export_to(id, &url).await.unwrap();
    assert!(push.accepted, "{push:#?}");
    first.kill().await;
    assert!(vouchers_for(&sims, &number) <= 1);

    let second = env.start("5s").await;
    drained(&env).await;
    voucher_appears(&sims, &number, Duration::from_secs(30)).await;
    assert_eq!(
        vouchers_for(&sims, &number),
        1,
        "{:#?}",
        quarantined(&env).await
    );
    let (status, log) = second.terminate(Duration::from_secs(10)).await;
    assert!(status.success(), "{log}");
}
