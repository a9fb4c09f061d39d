//! Three workers on one PostgreSQL store (when `MLC_TEST_POSTGRES_URL` names a server): one is
//! SIGKILLed mid-cycle; every tenant keeps syncing (its lease expires and another worker takes
//! it over) and every record exists exactly once on both sides. Each test creates its own
//! fresh database and drops it afterwards; without the variable the test prints a skip notice
//! and passes.
use std::collections::HashSet;
use std::time::Duration;

use jiff::Timestamp;
use mlc_core::ids::TenantId;
use sqlx::Connection as _;

use crate::harness::{Env, Sims, Tenant};

fn server_url() -> Option<String> {
    match std::env::var("MLC_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!(
                "skipped: set MLC_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB to run the multi-worker tests"
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_is_replaced_and_nothing_is_duplicated() {
    let Some(server) = server_url() else { return };
    let name = format!("mlc_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);

    let outcome = tokio::spawn(scenario(url.to_string())).await;

    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn scenario(store_url: String) {
    // One simulator pair per tenant, so "exactly once" is checked per tenant. The config is
    // shared: the tenants differ only by id; each has its own credentials (base URLs).
    let ids = ["acme", "beta", "gamma"];
    let mut sims = Vec::new();
    for _ in ids {
        sims.push(Sims::standard().await);
    }
    let tenants: Vec<Tenant> = ids.iter().map(|id| Tenant { id, cxml: false }).collect();
    let env = Env::tenants(&sims[0], &tenants, Some(&store_url)).await;
    for (i, id) in ids.iter().enumerate().skip(1) {
        env.set_credentials(id, &sims[i]).await;
    }

    let w0 = env.start("5s").await;
    let w1 = env.start("5s").await;
    let w2 = env.start("5s").await;
    let store = mlc_store::open(&store_url).await.unwrap();

    // Kill the worker holding a lease while its cycle runs.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let victim_owner = loop {
        let mut held = None;
        for id in ids {
            if let Some(h) = store.lease_holder(&format!("tenant:{id}")).await.unwrap() {
                held = Some(h.owner);
                break;
            }
        }
        if let Some(o) = held {
            break o;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no worker took a tenant"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut workers = vec![w0, w1, w2];
    let pos = workers
        .iter()
        .position(|w| victim_owner.contains(&format!("-{}-", w.child.id().unwrap())))
        .expect("lease owner is one of the workers");
    let victim = workers.remove(pos);
    victim.kill().await;
    let killed_at = Timestamp::now();

    // Every tenant completes a successful cycle after the kill (the lease expires in 5 s).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
    loop {
        let mut all = true;
        for id in ids {
            let s = store
                .tenant_state(&TenantId::parse(id).unwrap())
                .await
                .unwrap();
            all &= s.last_success.is_some_and(|t| t > killed_at);
        }
        if all {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a tenant stopped syncing after the kill:\n{}",
            workers[0].log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    for w in workers {
        let (status, log) = w.terminate(Duration::from_secs(10)).await;
        assert!(status.success(), "{log}");
    }
    for id in ids {
        assert_eq!(
            store.lease_holder(&format!("tenant:{id}")).await.unwrap(),
            None
        );
    }
    // Exactly once on both sides.
    for (i, id) in ids.iter().enumerate() {
        let jag = sims[i].jag.state();
        let pos = jag.purchase_orders();
        let numbers: HashSet<String> = pos
            .iter()
            .map(|p| p["header"]["poNumber"].to_string())
            .collect();
        assert_eq!(numbers.len(), pos.len(), "{id}: duplicated POs in JAGGAER");
        assert!(!pos.is_empty(), "{id}: no POs synced");
        let suppliers = jag.suppliers();
        let codes: HashSet<String> = suppliers.iter().map(|s| s["extCode"].to_string()).collect();
        assert_eq!(
            codes.len(),
            suppliers.len(),
            "{id}: duplicated suppliers in JAGGAER"
        );
        let vouchers = sims[i].jde.state().vouchers();
        let keys: HashSet<(i64, String)> =
            vouchers.iter().map(|v| (v.an8, v.vinv.clone())).collect();
        assert_eq!(
            keys.len(),
            vouchers.len(),
            "{id}: duplicated vouchers in JDE"
        );
    }
}
