//! The conformance suite on PostgreSQL, when `MLC_TEST_POSTGRES_URL` names a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`). Every test creates its own fresh
//! database `mlc_test_<random>` and drops it afterwards. Without the variable the tests print a
//! skip notice and pass.
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mlc_store::StateStore;
use mlc_store::postgres::PgStore;
use sqlx::Connection;

fn server_url() -> Option<String> {
    match std::env::var("MLC_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!(
                "skipped: set MLC_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB to run the PostgreSQL store tests"
            );
            None
        }
    }
}

/// Creates a fresh database on the server, runs `body` with its URL, and drops the database
/// afterwards, also when `body` panics.
async fn with_fresh_db<F, Fut>(server: &str, body: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let name = format!("mlc_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to MLC_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(server).expect("MLC_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);

    let outcome = tokio::spawn(body(url.to_string())).await;

    // FORCE: pools the body leaked (e.g. after a panic) must not keep the database alive.
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop test database");
    admin.close().await.ok();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_postgres() {
    let Some(server) = server_url() else { return };
    with_fresh_db(&server, |url| async move {
        let store = mlc_store::open(&url).await.expect("open postgres store");
        assert_eq!(store.backend(), "postgres");
        mlc_store::conformance::run_all(store).await;
    })
    .await;
}

/// Two workers (two separate pools, as two processes would have) compete for one lease:
/// at no moment do both believe they hold it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_never_both_hold_a_lease() {
    let Some(server) = server_url() else { return };
    with_fresh_db(&server, |url| async move {
        let first = PgStore::connect(&url).await.unwrap();
        first.migrate().await.unwrap();
        let workers: Vec<Arc<dyn StateStore>> = vec![
            Arc::new(first),
            Arc::new(PgStore::connect(&url).await.unwrap()),
        ];
        let holding = Arc::new(AtomicUsize::new(0));
        let wins = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let mut tasks = tokio::task::JoinSet::new();
        for (i, store) in workers.into_iter().enumerate() {
            let holding = holding.clone();
            let wins = wins.clone();
            tasks.spawn(async move {
                let me = format!("worker-{i}");
                for round in 0..60 {
                    if store
                        .lease_acquire("tenant:acme", &me, Duration::from_secs(5))
                        .await
                        .unwrap()
                        .is_some()
                    {
                        let inside = holding.fetch_add(1, Ordering::SeqCst) + 1;
                        assert_eq!(inside, 1, "both workers hold the lease (round {round})");
                        assert_eq!(
                            store
                                .lease_holder("tenant:acme")
                                .await
                                .unwrap()
                                .unwrap()
                                .owner,
                            me
                        );
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        holding.fetch_sub(1, Ordering::SeqCst);
                        wins[i].fetch_add(1, Ordering::SeqCst);
                        store.lease_release("tenant:acme", &me).await.unwrap();
                    }
                    tokio::task::yield_now().await;
                }
            });
        }
        while let Some(res) = tasks.join_next().await {
            if let Err(e) = res {
                std::panic::resume_unwind(e.into_panic());
            }
        }
        let (a, b) = (
            wins[0].load(Ordering::SeqCst),
            wins[1].load(Ordering::SeqCst),
        );
        eprintln!("lease wins: worker-0 {a}, worker-1 {b}");
        assert!(a + b > 0, "someone got the lease");
    })
    .await;
}

/// Several workers starting at once migrate safely (sqlx serializes with an advisory lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_are_safe() {
    let Some(server) = server_url() else { return };
    with_fresh_db(&server, |url| async move {
        let a = PgStore::connect(&url).await.unwrap();
        let b = PgStore::connect(&url).await.unwrap();
        let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
        ra.unwrap();
        rb.unwrap();
        a.ping().await.unwrap();
    })
    .await;
}

/// Batched commit throughput on PostgreSQL, for the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_commits_keep_every_row() {
    let Some(server) = server_url() else { return };
    with_fresh_db(&server, |url| async move {
        use mlc_core::ids::TenantId;
        use mlc_core::record::{RecordKey, RecordKind};
        use mlc_store::{Commit, LedgerEntry, LedgerStatus};
        let store = mlc_store::open(&url).await.unwrap();
        let t = TenantId::parse("bench").unwrap();
        let started = std::time::Instant::now();
        for batch in 0..20 {
            let ledger = (0..500)
                .map(|i| LedgerEntry {
                    record: RecordKey::new(
                        RecordKind::Po,
                        &t,
                        format!("00200-OP-{}", batch * 500 + i),
                    ),
                    content_hash: "0123456789abcdef0123456789abcdef".into(),
                    source_version: "124150:101500".into(),
                    remote_id: Some(format!("PO-{batch}-{i}")),
                    status: LedgerStatus::Synced,
                    detail: serde_json::json!({"lines": 3, "total": "1200.00"}),
                    updated_at: jiff::Timestamp::UNIX_EPOCH,
                })
                .collect();
            store
                .commit(Commit {
                    ledger,
                    ..Commit::default()
                })
                .await
                .unwrap();
        }
        let took = started.elapsed();
        eprintln!("postgres: 10,000 ledger rows in 20 commits of 500 took {took:?}");
        assert_eq!(
            store
                .ledger_by_status(&t, RecordKind::Po, None)
                .await
                .unwrap()
                .len(),
            10_000
        );
    })
    .await;
}

/// A password in the URL does not appear in the store's Debug output (the server here may use
/// trust auth and accept any password; the check is about what we print).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_output_does_not_contain_the_password() {
    let Some(server) = server_url() else { return };
    with_fresh_db(&server, |url| async move {
        let mut with_pw = url::Url::parse(&url).unwrap();
        if with_pw.password().is_some() {
            // The CI URL already carries a real password: check that one.
            let pw = with_pw.password().unwrap().to_owned();
            let store = PgStore::connect(&url).await.unwrap();
            assert!(!format!("{store:?}").contains(&pw));
            return;
        }
        with_pw.set_password(Some("s3cret-Pa55word")).unwrap();
        let store = match PgStore::connect(with_pw.as_str()).await {
            Ok(store) => store,
            Err(e) => {
                // The server checks passwords: then only the error text can be checked.
                assert!(!format!("{e} {e:?}").contains("s3cret-Pa55word"));
                return;
            }
        };
        let shown = format!("{store:?}");
        assert!(!shown.contains("s3cret-Pa55word"), "{shown}");
    })
    .await;
}
