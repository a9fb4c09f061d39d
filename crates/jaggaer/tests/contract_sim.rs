//! Contract tests against the JAGGAER simulator (mlc-sim): the same wire contract from the
//! other side (docs/jaggaer-resources.md).
use std::time::Duration;

use futures::TryStreamExt;
use mlc_jaggaer::{
    CustomFieldValue, J1pClient, J1pSettings, JaggaerError, RetryPolicy, SupplierStatus,
    SupplierUpsert,
};
use mlc_sim::jaggaer::{JaggaerSim, JaggaerSimConfig};
use secrecy::SecretString;

async fn setup() -> (JaggaerSim, J1pClient) {
    let sim = JaggaerSim::start(JaggaerSimConfig::default())
        .await
        .unwrap();
    let mut s = J1pSettings::new(
        sim.base_url().parse().unwrap(),
        "mlc-client",
        SecretString::from("mlc-secret"),
    );
    s.token_url = Some(sim.token_url().parse().unwrap());
    s.max_in_flight = 32;
    s.retry = RetryPolicy {
        max_retries: 3,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        max_rate_limit_wait: Duration::from_secs(60),
    };
    let c = J1pClient::new(s).unwrap();
    (sim, c)
}

#[tokio::test]
async fn invoices_page_through_the_simulator() {
    let (sim, c) = setup().await;
    // The simulator generates invoices from known suppliers and pushed Account/CostCenter values:
    // seed both through the client (exercising the upserts).
    c.upsert_supplier(&supplier("4001")).await.unwrap();
    let accounts: Vec<_> = ["200.6110", "200.6120"]
        .iter()
        .map(|v| CustomFieldValue {
            value: (*v).into(),
            description: None,
            active: true,
        })
        .collect();
    assert_eq!(
        c.upsert_custom_field_values("Account", &accounts)
            .await
            .unwrap(),
        2
    );
    let ccs = [CustomFieldValue {
        value: "200".into(),
        description: Some("Plant".into()),
        active: true,
    }];
    c.upsert_custom_field_values("CostCenter", &ccs)
        .await
        .unwrap();
    assert_eq!(
        c.list_custom_field_values("Account").await.unwrap().len(),
        2
    );
    let ids = sim.state().generate_invoices(250);
    assert_eq!(ids.len(), 250);
    let pages: Vec<_> = c.list_invoices(None).try_collect().await.unwrap();
    let seen: usize = pages.iter().map(Vec::len).sum();
    assert_eq!(seen, ids.len());
    let first = &pages[0][0];
    let detail = c.get_invoice(&first.invoice_id).await.unwrap();
    assert_eq!(detail.header.invoice_id, first.invoice_id);
    assert!(!detail.lines().is_empty());
}

#[tokio::test]
async fn supplier_upsert_then_find() {
    let (_sim, c) = setup().await;
    let up = supplier("4001");
    let id = c.upsert_supplier(&up).await.unwrap();
    let found = c.find_supplier("4001").await.unwrap().unwrap();
    assert_eq!(found.bravo_id, id);
    assert!(c.find_supplier("999999").await.unwrap().is_none());
}

fn supplier(an8: &str) -> SupplierUpsert {
    SupplierUpsert {
        ext_code: an8.into(),
        company_name: "Acme Supplies".into(),
        fiscal_code: None,
        company_type: "SELLER".into(),
        iso_country: Some("US".into()),
        address: Some("1 Main St".into()),
        city: Some("Springfield".into()),
        zip: Some("62701".into()),
        email: None,
        status: SupplierStatus::Active,
    }
}

#[tokio::test]
async fn revoked_tokens_recover_with_one_renewal_under_concurrency() {
    let (sim, c) = setup().await;
    c.authenticate().await.unwrap();
    sim.state().revoke_all_tokens();
    let before = c.stats().token_requests;
    let calls = (0..30).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.find_supplier("4001").await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(c.stats().token_requests - before, 1);
}

#[tokio::test]
async fn wrong_secret_is_rejected() {
    let sim = JaggaerSim::start(JaggaerSimConfig::default())
        .await
        .unwrap();
    let mut s = J1pSettings::new(
        sim.base_url().parse().unwrap(),
        "mlc-client",
        SecretString::from("wrong"),
    );
    s.token_url = Some(sim.token_url().parse().unwrap());
    let c = J1pClient::new(s).unwrap();
    assert!(matches!(
        c.authenticate().await,
        Err(JaggaerError::ClientRejected { .. })
    ));
}
