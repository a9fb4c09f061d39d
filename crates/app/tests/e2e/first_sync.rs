//! Scenario 1 (first full sync), 2 (no-op rerun) and 9 (the same on PostgreSQL).
use crate::harness::*;

/// First sync: JAGGAER holds what JDE holds; then a rerun writes nothing.
pub(crate) async fn first_sync_then_rerun(opts: Options) {
    let sims = Sims::small().await;
    let env = Env::with(&sims, opts).await;
    let s = env.sync().await;

    // Suppliers: every JDE supplier, extCode = AN8, once.
    let jde_sup = jde_suppliers(&sims.jde);
    let bravo = bravo_by_ext(&sims.jag);
    assert_eq!(
        bravo
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        jde_sup,
        "JAGGAER suppliers (extCode) vs JDE F0401"
    );
    assert_eq!(
        s.n("suppliers", "read"),
        jde_sup.len() as u64,
        "{:#}",
        s.json
    );
    assert_eq!(
        s.n("suppliers", "created"),
        jde_sup.len() as u64,
        "{:#}",
        s.json
    );
    assert_eq!(s.n("suppliers", "quarantined"), 0, "{:#}", s.json);

    // Value lists.
    let accounts = jde_accounts(&sims.jde);
    let bus = jde_business_units(&sims.jde);
    assert_eq!(values(&sims.jag, "Account"), accounts, "Account values");
    assert_eq!(values(&sims.jag, "CostCenter"), bus, "CostCenter values");
    assert_eq!(
        s.n("accounts", "created"),
        (accounts.len() + bus.len()) as u64,
        "{:#}",
        s.json
    );

    // Purchase orders.
    assert_pos_match(&sims);
    let jde = jde_pos(&sims.jde);
    let held = jde.values().filter(|p| p.hold).count() as u64;
    let jag_pos = sims.jag.purchase_orders().len() as u64;
    assert_eq!(jag_pos, jde.len() as u64 - held, "POs in JAGGAER");
    assert_eq!(s.n("purchase-orders", "created"), jag_pos, "{:#}", s.json);
    assert_eq!(s.n("purchase-orders", "waiting"), held, "{:#}", s.json);
    assert_eq!(s.n("purchase-orders", "quarantined"), 0, "{:#}", s.json);
    assert_eq!(
        s.n("purchase-orders", "read"),
        jde.len() as u64,
        "{:#}",
        s.json
    );

    // Invoices: the simulator invoiced some of the new POs; each payable one became exactly
    // one voucher (nothing else was created), waits for its receipt, or is quarantined.
    let z = z_rows(&sims.jde);
    assert_eq!(s.n("invoices", "created"), z.len() as u64, "{:#}", s.json);
    assert_vouchers_unique(&sims.jde);
    let payable = sims
        .jag
        .invoices()
        .iter()
        .filter(|i| i["header"]["paymentStatus"] == "Payable")
        .count() as u64;
    // PO-backed invoices of lines not received yet wait for their receipt (interface §8).
    let waiting = invoices_waiting_for_po(&env).await as u64;
    assert_eq!(
        s.n("invoices", "created") + s.n("invoices", "quarantined") + waiting,
        payable,
        "{:#}",
        s.json
    );
    assert_eq!(
        s.n("invoices", "read"),
        sims.jag.invoices().len() as u64,
        "{:#}",
        s.json
    );
    let expected_status = if s.n("invoices", "quarantined") > 0 {
        "partial"
    } else {
        "ok"
    };
    assert_eq!(s.status, expected_status, "{:#}", s.json);

    // Rerun: nothing changed, so nothing is written anywhere.
    sims.clear_logs();
    let again = env.sync().await;
    assert_eq!(
        sims.jaggaer_writes(),
        Vec::<String>::new(),
        "JAGGAER writes on a rerun"
    );
    assert_eq!(sims.orchestration_calls(), 0, "voucher calls on a rerun");
    assert_eq!(again.writes(), 0, "rerun summary: {:#}", again.json);
    // Whatever the lookback re-read was recognised as unchanged (or still waiting).
    for e in ["suppliers", "accounts", "purchase-orders", "invoices"] {
        assert_eq!(
            again.n(e, "read"),
            again.n(e, "unchanged") + again.n(e, "waiting") + again.n(e, "quarantined"),
            "{e} on rerun: {:#}",
            again.json
        );
    }
    assert_eq!(again.n("invoices", "quarantined"), 0, "{:#}", again.json);
    assert_eq!(z_rows(&sims.jde).len(), z.len(), "no new voucher rows");
    assert_eq!(sims.jag.purchase_orders().len() as u64, jag_pos);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_mirrors_jde_and_rerun_is_a_no_op() {
    first_sync_then_rerun(Options::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_and_rerun_on_postgres() {
    let Ok(server) = std::env::var("MLC_TEST_POSTGRES_URL") else {
        eprintln!(
            "skipped: set MLC_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB to run the e2e sync on PostgreSQL"
        );
        return;
    };
    if server.trim().is_empty() {
        eprintln!("skipped: MLC_TEST_POSTGRES_URL is empty");
        return;
    }
    use sqlx::Connection as _;
    let name = format!("mlc_e2e_{}", uuid_like());
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("connect to MLC_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(&server).expect("MLC_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    let outcome = tokio::spawn(first_sync_then_rerun(Options {
        store_url: Some(url.to_string()),
        ..Options::default()
    }))
    .await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop test database");
    admin.close().await.ok();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// A random lower-case hex name part.
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", nanos, std::process::id())
}
