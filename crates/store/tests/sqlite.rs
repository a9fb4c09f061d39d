//! The conformance suite on a fresh SQLite file, plus SQLite-specific checks.
use std::sync::Arc;
use std::time::Instant;

use mlc_core::ids::TenantId;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_store::sqlite::SqliteStore;
use mlc_store::{Commit, LedgerEntry, LedgerStatus, StateStore};

async fn fresh() -> (tempfile::TempDir, Arc<dyn StateStore>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("state.db").display());
    let store = mlc_store::open(&url).await.expect("open sqlite store");
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_a_sqlite_file() {
    let (_dir, store) = fresh().await;
    mlc_store::conformance::run_all(store).await;
}

#[tokio::test]
async fn conformance_in_memory() {
    let store = mlc_store::open("sqlite::memory:")
        .await
        .expect("open in-memory store");
    mlc_store::conformance::run_all(store).await;
}

#[tokio::test]
async fn the_file_is_created_in_wal_mode_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub.db");
    let url = format!("sqlite://{}", path.display());
    let t = TenantId::parse("acme").unwrap();
    {
        let store = mlc_store::open(&url).await.unwrap();
        store.set_cursor(&t, "c", Some("v")).await.unwrap();
    }
    assert!(path.exists());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.cursor(&t, "c").await.unwrap().as_deref(), Some("v"));
    // WAL mode leaves its side file next to the database while connections are open.
    assert!(dir.path().join("sub.db-wal").exists(), "WAL journal in use");
}

#[tokio::test]
async fn unknown_urls_are_refused() {
    let err = mlc_store::open("mysql://x").await.expect_err("unsupported");
    assert!(err.to_string().contains("mysql://x"), "{err}");
}

/// Rough throughput of batched commits: 10,000 ledger rows in batches of 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_commits_keep_every_row() {
    let (_dir, store) = fresh().await;
    let t = TenantId::parse("bench").unwrap();
    let started = Instant::now();
    for batch in 0..20 {
        let ledger = (0..500)
            .map(|i| LedgerEntry {
                record: RecordKey::new(RecordKind::Po, &t, format!("00200-OP-{}", batch * 500 + i)),
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
                cursors: vec![(t.clone(), "po".into(), batch.to_string())],
                ..Commit::default()
            })
            .await
            .unwrap();
    }
    let took = started.elapsed();
    eprintln!("sqlite: 10,000 ledger rows in 20 commits of 500 took {took:?}");
    assert_eq!(
        store
            .ledger_by_status(&t, RecordKind::Po, None)
            .await
            .unwrap()
            .len(),
        10_000
    );
}

/// The database file, its WAL and shared-memory side files, and the directories the store
/// creates for it are private to the service's user.
#[cfg(unix)]
#[tokio::test]
async fn the_database_its_side_files_and_new_directories_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let parent = dir.path().join("data");
    let path = parent.join("state").join("ml.db");
    let url = format!("sqlite://{}", path.display());
    let store = mlc_store::open(&url).await.expect("open sqlite store");
    let t = TenantId::parse("acme").unwrap();
    store.set_cursor(&t, "c", Some("v")).await.unwrap();
    assert!(
        store
            .inbox_put(&t, "d", "invoice", "<cXML/>")
            .await
            .unwrap()
    );
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    for side in ["", "-wal", "-shm"] {
        let file = path.with_file_name(format!("ml.db{side}"));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&parent), 0o700);
    assert_eq!(mode(&parent.join("state")), 0o700);
}

/// Rough cost of durable inbound documents: 200 stored one by one, each its own commit with
/// `synchronous=FULL` (one WAL flush each).
#[tokio::test]
async fn inbound_documents_stored_one_by_one_are_all_pending() {
    let (_dir, store) = fresh().await;
    let t = TenantId::parse("inbox").unwrap();
    let started = Instant::now();
    for i in 0..200 {
        let doc = format!("doc-{i}");
        assert!(
            store
                .inbox_put(&t, &doc, "invoice", "<cXML/>")
                .await
                .unwrap()
        );
    }
    let took = started.elapsed();
    eprintln!("sqlite: 200 inbound documents stored one by one took {took:?}");
    assert_eq!(store.inbox_pending(&t, 1000).await.unwrap().len(), 200);
}
