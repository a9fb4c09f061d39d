//! The conformance suite: one set of checks every [`StateStore`] backend must pass, so SQLite
//! and PostgreSQL behave the same for the engine.
//!
//! Run it with [`run_all`] on a fresh, migrated store. Each section uses its own tenant (with a
//! random suffix), so sections do not see each other's rows. Failures panic with a message
//! naming the section and what differed.
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_core::record::{RecordKey, RecordKind};
use serde_json::json;

use crate::{
    AuditEvent, Commit, Fence, LedgerEntry, LedgerStatus, NewQuarantine, QuarantineStatus, Role,
    RunId, RunStatus, StateStore, StoreError, TenantState, XRef, actions,
};

/// Runs every section against `store` (which must be migrated).
pub async fn run_all(store: Arc<dyn StateStore>) {
    basics(&store).await;
    cursors(&store).await;
    ledger_and_commit(&store).await;
    waits(&store).await;
    commit_is_atomic(&store).await;
    xrefs(&store).await;
    audit(&store).await;
    quarantine(&store).await;
    runs(&store).await;
    leases(&store).await;
    leases_concurrent(&store).await;
    fenced_commits(&store).await;
    tenant_state(&store).await;
    sequences(&store).await;
    sequences_concurrent(&store).await;
    inbox(&store).await;
    users_and_sessions(&store).await;
}

fn tenant(section: &str) -> TenantId {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    TenantId::parse(&format!("{section}-{}", &suffix[..8])).expect("valid tenant id")
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

/// Now, truncated to microseconds like the store keeps it, so `before <= stored` holds.
fn now_us() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_microsecond(now.as_microsecond()).expect("in range")
}

fn entry(record: &RecordKey, hash: &str, status: LedgerStatus) -> LedgerEntry {
    LedgerEntry {
        record: record.clone(),
        content_hash: hash.to_owned(),
        source_version: "124150:101500".to_owned(),
        remote_id: Some(format!("R-{}", record.key)),
        status,
        // Exact decimal text must survive (money in details is never routed through f64).
        detail: serde_json::from_str(r#"{"amount": 1234.50, "currency": "USD", "lines": [1, 2]}"#)
            .unwrap(),
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

fn event(record: &RecordKey, action: &str, at: Timestamp) -> AuditEvent {
    AuditEvent {
        record: record.clone(),
        run_id: Some(RunId("run-1".to_owned())),
        action: action.to_owned(),
        message: format!("{action} {}", record.key),
        detail: json!({"key": record.key, "n": 1}),
        at,
    }
}

fn quarantine_of(record: &RecordKey, reason: &str) -> NewQuarantine {
    NewQuarantine {
        record: record.clone(),
        run_id: None,
        reason_kind: "mapping".to_owned(),
        reason: reason.to_owned(),
        field: Some("ANPA".to_owned()),
        // The payload keeps its number text.
        payload: serde_json::from_str(r#"{"zeta": 1, "alpha": "x", "amount": 10.00}"#).unwrap(),
    }
}

async fn basics(store: &Arc<dyn StateStore>) {
    store.ping().await.expect("ping");
    assert!(
        ["sqlite", "postgres"].contains(&store.backend()),
        "backend name {}",
        store.backend()
    );
    store.migrate().await.expect("migrate is idempotent");
    assert!(
        store
            .commit(Commit::default())
            .await
            .expect("empty commit")
            .is_empty()
    );
}

async fn cursors(store: &Arc<dyn StateStore>) {
    let t = tenant("cursors");
    assert_eq!(
        store.cursor(&t, "purchase-orders/F4301").await.unwrap(),
        None
    );
    let before = now_us();
    store
        .set_cursor(&t, "purchase-orders/F4301", Some("124150:101500"))
        .await
        .unwrap();
    assert_eq!(
        store
            .cursor(&t, "purchase-orders/F4301")
            .await
            .unwrap()
            .as_deref(),
        Some("124150:101500")
    );
    store
        .set_cursor(&t, "purchase-orders/F4301", Some("124151:000000"))
        .await
        .unwrap();
    store
        .set_cursor(&t, "suppliers/F0101", Some("124001:000000"))
        .await
        .unwrap();
    let all = store.cursors(&t).await.unwrap();
    assert_eq!(all.len(), 2, "cursors: {all:?}");
    assert_eq!(
        (all[0].name.as_str(), all[0].value.as_str()),
        ("purchase-orders/F4301", "124151:000000")
    );
    assert!(
        all[0].updated_at >= before && all[0].updated_at <= Timestamp::now(),
        "cursor updated_at {}",
        all[0].updated_at
    );
    // Another tenant's cursor of the same name is separate.
    let other = tenant("cursors");
    assert_eq!(
        store.cursor(&other, "purchase-orders/F4301").await.unwrap(),
        None
    );
    // Clearing.
    store
        .set_cursor(&t, "purchase-orders/F4301", None)
        .await
        .unwrap();
    assert_eq!(
        store.cursor(&t, "purchase-orders/F4301").await.unwrap(),
        None
    );
    assert_eq!(store.cursors(&t).await.unwrap().len(), 1);
    // Clearing a missing cursor is fine.
    store.set_cursor(&t, "never-set", None).await.unwrap();
    // A commit advances cursors.
    store
        .commit(Commit {
            cursors: vec![(
                t.clone(),
                "suppliers/F0101".to_owned(),
                "124002:000000".to_owned(),
            )],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .cursor(&t, "suppliers/F0101")
            .await
            .unwrap()
            .as_deref(),
        Some("124002:000000")
    );
}

async fn ledger_and_commit(store: &Arc<dyn StateStore>) {
    let t = tenant("ledger");
    let keys: Vec<String> = (0..600).map(|i| format!("{:08}", 100_000 + i)).collect();
    let records: Vec<RecordKey> = keys
        .iter()
        .map(|k| RecordKey::new(RecordKind::Supplier, &t, k.clone()))
        .collect();
    let before = now_us();
    let ids = store
        .commit(Commit {
            ledger: records
                .iter()
                .map(|r| entry(r, "h1", LedgerStatus::Synced))
                .collect(),
            ..Commit::default()
        })
        .await
        .unwrap();
    assert!(ids.is_empty(), "no quarantine entries were asked for");

    let got = store
        .ledger(&records[0])
        .await
        .unwrap()
        .expect("ledger row written");
    let want = entry(&records[0], "h1", LedgerStatus::Synced);
    assert_eq!(got.record, want.record);
    assert_eq!(got.content_hash, "h1");
    assert_eq!(got.source_version, want.source_version);
    assert_eq!(got.remote_id, want.remote_id);
    assert_eq!(got.status, LedgerStatus::Synced);
    assert_eq!(got.detail, want.detail);
    assert_eq!(
        got.detail["amount"].to_string(),
        "1234.50",
        "money text kept exactly"
    );
    assert!(
        got.updated_at >= before && got.updated_at <= Timestamp::now(),
        "updated_at set by the store: {}",
        got.updated_at
    );

    // Missing record, and a record of another kind with the same key.
    assert!(
        store
            .ledger(&RecordKey::new(RecordKind::Supplier, &t, "nope"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .ledger(&RecordKey::new(RecordKind::Po, &t, keys[0].clone()))
            .await
            .unwrap()
            .is_none()
    );

    // Upsert: the row changes, no second row appears.
    let mut changed = entry(&records[1], "h2", LedgerStatus::Waiting);
    changed.remote_id = None;
    changed.detail = json!({"reason": "on hold"});
    store
        .commit(Commit {
            ledger: vec![changed.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    let got = store.ledger(&records[1]).await.unwrap().unwrap();
    assert_eq!(
        (got.content_hash.as_str(), got.status, got.remote_id.clone()),
        ("h2", LedgerStatus::Waiting, None)
    );
    assert_eq!(got.detail, json!({"reason": "on hold"}));

    // A record listed twice in one commit ends as its last entry.
    store
        .commit(Commit {
            ledger: vec![
                entry(&records[2], "first", LedgerStatus::Synced),
                entry(&records[2], "last", LedgerStatus::Posted),
            ],
            ..Commit::default()
        })
        .await
        .unwrap();
    let got = store.ledger(&records[2]).await.unwrap().unwrap();
    assert_eq!(
        (got.content_hash.as_str(), got.status),
        ("last", LedgerStatus::Posted)
    );

    // ledger_many: more keys than one IN list, some missing.
    let mut ask: Vec<String> = keys.clone();
    ask.push("missing-1".to_owned());
    ask.push("missing-2".to_owned());
    let many = store
        .ledger_many(&t, RecordKind::Supplier, &ask)
        .await
        .unwrap();
    assert_eq!(many.len(), 600);
    assert_eq!(many[&keys[1]].status, LedgerStatus::Waiting);
    assert_eq!(many[&keys[599]].content_hash, "h1");
    assert!(!many.contains_key("missing-1"));
    assert!(
        store
            .ledger_many(&t, RecordKind::Supplier, &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .ledger_many(&t, RecordKind::Po, &keys[..3])
            .await
            .unwrap()
            .is_empty(),
        "kind is part of the key"
    );

    // ledger_by_status.
    let waiting = store
        .ledger_by_status(&t, RecordKind::Supplier, Some(LedgerStatus::Waiting))
        .await
        .unwrap();
    assert_eq!(
        waiting
            .iter()
            .map(|e| e.record.key.as_str())
            .collect::<Vec<_>>(),
        vec![keys[1].as_str()]
    );
    let all = store
        .ledger_by_status(&t, RecordKind::Supplier, None)
        .await
        .unwrap();
    assert_eq!(all.len(), 600);
    assert!(
        store
            .ledger_by_status(&t, RecordKind::Invoice, None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A wait begins when a row enters `Waiting` (by insert or update), is kept while it stays
/// there whatever else changes, and ends when it leaves; every kind of record counts.
async fn waits(store: &Arc<dyn StateStore>) {
    let t = tenant("waits");
    let po = RecordKey::new(RecordKind::Po, &t, "00200-OP-1".to_owned());
    let inv = RecordKey::new(RecordKind::Invoice, &t, "77".to_owned());
    let write = |rows: Vec<LedgerEntry>| {
        let store = store.clone();
        async move {
            store
                .commit(Commit {
                    ledger: rows,
                    ..Commit::default()
                })
                .await
                .unwrap();
        }
    };
    // Enters by insert.
    let before = now_us();
    write(vec![entry(&po, "h1", LedgerStatus::Waiting)]).await;
    let w = store.waits(&t).await.unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].0, po);
    let began = w[0].1;
    assert!(began >= before && began <= Timestamp::now(), "{began}");
    // Stays waiting with another version: the wait still began then.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    write(vec![entry(&po, "h2", LedgerStatus::Waiting)]).await;
    // Enters by update (synced before).
    write(vec![entry(&inv, "i1", LedgerStatus::Synced)]).await;
    assert_eq!(store.waits(&t).await.unwrap().len(), 1, "synced is no wait");
    write(vec![entry(&inv, "i2", LedgerStatus::Waiting)]).await;
    let w = store.waits(&t).await.unwrap();
    assert_eq!(
        w.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>(),
        vec![po.clone(), inv.clone()],
        "oldest wait first"
    );
    assert_eq!(w[0].1, began, "a wait that goes on keeps its start");
    assert!(w[1].1 > began);
    // Leaves: no longer listed; waiting again later is a new wait.
    write(vec![entry(&po, "h3", LedgerStatus::Synced)]).await;
    assert_eq!(store.waits(&t).await.unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    write(vec![entry(&po, "h4", LedgerStatus::Waiting)]).await;
    let again = store.waits(&t).await.unwrap();
    let po_since = again.iter().find(|(r, _)| *r == po).unwrap().1;
    assert!(po_since > began, "a new wait starts anew");
}

async fn commit_is_atomic(store: &Arc<dyn StateStore>) {
    let t = tenant("atomic");
    let a = RecordKey::new(RecordKind::Supplier, &t, "100");
    let b = RecordKey::new(RecordKind::Supplier, &t, "200");
    store
        .commit(Commit {
            ledger: vec![entry(&a, "h1", LedgerStatus::Synced)],
            xrefs: vec![XRef {
                tenant: t.clone(),
                kind: RecordKind::Supplier,
                jde_key: "100".into(),
                remote_id: "S-1".into(),
            }],
            cursors: vec![(t.clone(), "suppliers/F0101".into(), "v1".into())],
            ..Commit::default()
        })
        .await
        .unwrap();

    // A commit whose last statement breaks a constraint: S-1 already belongs to JDE key 100.
    let failing = Commit {
        ledger: vec![
            entry(&b, "h2", LedgerStatus::Synced),
            entry(&a, "changed", LedgerStatus::Inactive),
        ],
        audit: vec![event(&b, actions::CREATED, now_us())],
        quarantine: vec![quarantine_of(
            &RecordKey::new(RecordKind::Supplier, &t, "300"),
            "bad",
        )],
        resolve: vec![],
        cursors: vec![(t.clone(), "suppliers/F0101".into(), "v2".into())],
        xrefs: vec![XRef {
            tenant: t.clone(),
            kind: RecordKind::Supplier,
            jde_key: "200".into(),
            remote_id: "S-1".into(),
        }],
        fence: None,
    };
    let err = store
        .commit(failing)
        .await
        .expect_err("a JAGGAER id cross-referenced to two JDE keys must fail");
    assert!(
        matches!(err, StoreError::Database { .. }),
        "unexpected error {err:?}"
    );

    // Nothing of it was written.
    assert!(
        store.ledger(&b).await.unwrap().is_none(),
        "ledger row of the failed commit"
    );
    assert_eq!(
        store.ledger(&a).await.unwrap().unwrap().content_hash,
        "h1",
        "ledger update of the failed commit"
    );
    assert!(
        store.audit_trail(&b, None).await.unwrap().is_empty(),
        "audit of the failed commit"
    );
    assert_eq!(
        store.quarantine_open_count(&t).await.unwrap(),
        0,
        "quarantine of the failed commit"
    );
    assert_eq!(
        store
            .cursor(&t, "suppliers/F0101")
            .await
            .unwrap()
            .as_deref(),
        Some("v1"),
        "cursor of the failed commit"
    );
    assert_eq!(
        store
            .xref_local(&t, RecordKind::Supplier, "S-1")
            .await
            .unwrap()
            .as_deref(),
        Some("100")
    );
    assert_eq!(
        store
            .xref_remote(&t, RecordKind::Supplier, "200")
            .await
            .unwrap(),
        None
    );

    // The store is usable afterwards.
    store
        .commit(Commit {
            ledger: vec![entry(&b, "h2", LedgerStatus::Synced)],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert!(store.ledger(&b).await.unwrap().is_some());
}

async fn xrefs(store: &Arc<dyn StateStore>) {
    let t = tenant("xref");
    let x = |k: &str, r: &str| XRef {
        tenant: t.clone(),
        kind: RecordKind::Po,
        jde_key: k.into(),
        remote_id: r.into(),
    };
    store
        .commit(Commit {
            xrefs: vec![x("00200-OP-1001", "PO-9"), x("00200-OP-1002", "PO-10")],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .xref_remote(&t, RecordKind::Po, "00200-OP-1001")
            .await
            .unwrap()
            .as_deref(),
        Some("PO-9")
    );
    assert_eq!(
        store
            .xref_local(&t, RecordKind::Po, "PO-10")
            .await
            .unwrap()
            .as_deref(),
        Some("00200-OP-1002")
    );
    assert_eq!(
        store
            .xref_remote(&t, RecordKind::Supplier, "00200-OP-1001")
            .await
            .unwrap(),
        None,
        "kind is part of the key"
    );
    assert_eq!(
        store
            .xref_local(&t, RecordKind::Po, "PO-404")
            .await
            .unwrap(),
        None
    );
    // Re-pointing a JDE key frees its old remote id.
    store
        .commit(Commit {
            xrefs: vec![x("00200-OP-1001", "PO-11")],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .xref_remote(&t, RecordKind::Po, "00200-OP-1001")
            .await
            .unwrap()
            .as_deref(),
        Some("PO-11")
    );
    assert_eq!(
        store.xref_local(&t, RecordKind::Po, "PO-9").await.unwrap(),
        None
    );
    // The same id in another tenant is independent.
    let other = tenant("xref");
    store
        .commit(Commit {
            xrefs: vec![XRef {
                tenant: other.clone(),
                kind: RecordKind::Po,
                jde_key: "X".into(),
                remote_id: "PO-11".into(),
            }],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.xrefs(&t, RecordKind::Po).await.unwrap(),
        vec![
            ("00200-OP-1001".to_owned(), "PO-11".to_owned()),
            ("00200-OP-1002".to_owned(), "PO-10".to_owned())
        ]
    );
}

async fn audit(store: &Arc<dyn StateStore>) {
    let t = tenant("audit");
    let r = RecordKey::new(RecordKind::Invoice, &t, "INV-1");
    let other = RecordKey::new(RecordKind::Invoice, &t, "INV-2");
    let t1 = ts("2024-05-01T10:00:00.000001Z");
    let t2 = ts("2024-05-01T10:00:00.5Z");
    let t3 = ts("2024-05-01T10:00:01Z");
    // Appended out of order: the trail is in time order.
    store
        .append_audit(&[
            event(&r, actions::READ, t2),
            event(&other, actions::READ, t1),
        ])
        .await
        .unwrap();
    store
        .append_audit(&[
            event(&r, actions::MAPPED, t3),
            event(&r, actions::RETRY, t1),
        ])
        .await
        .unwrap();
    store
        .commit(Commit {
            audit: vec![event(&r, actions::CREATED, t3)],
            ..Commit::default()
        })
        .await
        .unwrap();
    store.append_audit(&[]).await.unwrap();

    let trail = store.audit_trail(&r, None).await.unwrap();
    let got: Vec<(&str, Timestamp)> = trail.iter().map(|e| (e.action.as_str(), e.at)).collect();
    // Equal times keep insertion order.
    assert_eq!(
        got,
        vec![
            (actions::RETRY, t1),
            (actions::READ, t2),
            (actions::MAPPED, t3),
            (actions::CREATED, t3)
        ]
    );
    assert_eq!(
        trail[0],
        event(&r, actions::RETRY, t1),
        "every field round-trips"
    );
    let since = store.audit_trail(&r, Some(t2)).await.unwrap();
    assert_eq!(
        since.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        vec![actions::READ, actions::MAPPED, actions::CREATED]
    );
    assert!(
        store
            .audit_trail(&r, Some(ts("2024-05-01T10:00:01.000001Z")))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.audit_trail(&other, None).await.unwrap().len(), 1);

    // Within one batch, equal times keep the batch order.
    let t4 = ts("2024-05-02T00:00:00Z");
    let batch: Vec<AuditEvent> = ["a", "b", "c", "d"]
        .iter()
        .map(|a| event(&other, a, t4))
        .collect();
    store.append_audit(&batch).await.unwrap();
    let trail = store.audit_trail(&other, Some(t4)).await.unwrap();
    assert_eq!(
        trail.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        vec!["a", "b", "c", "d"]
    );
}

async fn quarantine(store: &Arc<dyn StateStore>) {
    let t = tenant("quarantine");
    let a = RecordKey::new(RecordKind::Supplier, &t, "4711");
    let b = RecordKey::new(RecordKind::Invoice, &t, "INV-9");
    let before = now_us();
    let ids = store
        .commit(Commit {
            quarantine: vec![quarantine_of(&a, "first"), quarantine_of(&b, "other")],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let (qa, qb) = (ids[0], ids[1]);
    assert_ne!(qa, qb);
    let e = store.quarantine_get(qa).await.unwrap();
    assert_eq!(e.entry, quarantine_of(&a, "first"));
    assert_eq!(
        e.entry.payload["amount"].to_string(),
        "10.00",
        "payload keeps the number text"
    );
    assert_eq!(
        (e.status, e.attempts, e.note.clone()),
        (QuarantineStatus::Open, 1, None)
    );
    assert!(e.created_at >= before && e.created_at == e.updated_at);
    assert_eq!(store.quarantine_open_count(&t).await.unwrap(), 2);

    // Re-quarantining an open record updates the entry and counts the attempt.
    let mut again = quarantine_of(&a, "second");
    again.run_id = Some(RunId("run-2".into()));
    let ids = store
        .commit(Commit {
            quarantine: vec![again.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(ids, vec![qa], "same entry, no new row");
    let e = store.quarantine_get(qa).await.unwrap();
    assert_eq!(
        (e.entry.reason.as_str(), e.attempts, e.entry.run_id.clone()),
        ("second", 2, Some(RunId("run-2".into())))
    );
    assert_eq!(store.quarantine_open_count(&t).await.unwrap(), 2);

    // Newest first; tenant filter.
    let list: Vec<i64> = store
        .quarantine_list(Some(&t), false)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(list, vec![qb, qa]);
    assert!(
        store
            .quarantine_list(Some(&tenant("quarantine")), false)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .quarantine_list(None, true)
            .await
            .unwrap()
            .iter()
            .any(|e| e.id == qa)
    );

    // Retry: no longer open; audited with the note.
    store
        .quarantine_set_status(qa, QuarantineStatus::Retrying, "fixed the supplier in JDE")
        .await
        .unwrap();
    let e = store.quarantine_get(qa).await.unwrap();
    assert_eq!(
        (e.status, e.note.as_deref()),
        (
            QuarantineStatus::Retrying,
            Some("fixed the supplier in JDE")
        )
    );
    assert_eq!(store.quarantine_open_count(&t).await.unwrap(), 1);
    assert!(
        !store
            .quarantine_list(Some(&t), true)
            .await
            .unwrap()
            .iter()
            .any(|e| e.id == qa),
        "open_only hides retrying"
    );
    let trail = store.audit_trail(&a, None).await.unwrap();
    let retry = trail
        .iter()
        .find(|e| e.action == actions::QUARANTINE_RETRY)
        .expect("status change audited");
    assert!(
        retry.message.contains("fixed the supplier in JDE"),
        "{}",
        retry.message
    );

    // Failing again while retrying reopens the same entry.
    let ids = store
        .commit(Commit {
            quarantine: vec![quarantine_of(&a, "third")],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(ids, vec![qa]);
    let e = store.quarantine_get(qa).await.unwrap();
    assert_eq!((e.status, e.attempts), (QuarantineStatus::Open, 3));

    // Going through resolves it (retrying or open).
    store
        .quarantine_set_status(qa, QuarantineStatus::Retrying, "again")
        .await
        .unwrap();
    store
        .commit(Commit {
            resolve: vec![a.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    let e = store.quarantine_get(qa).await.unwrap();
    assert_eq!(e.status, QuarantineStatus::Resolved);
    assert!(e.updated_at >= e.created_at);
    assert_eq!(store.quarantine_open_count(&t).await.unwrap(), 1);
    // Resolving a record with no live entry is a no-op.
    store
        .commit(Commit {
            resolve: vec![a.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.quarantine_get(qa).await.unwrap().status,
        QuarantineStatus::Resolved
    );

    // A new failure after resolution is a new entry.
    let ids = store
        .commit(Commit {
            quarantine: vec![quarantine_of(&a, "fourth")],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], qa);
    let qa2 = ids[0];
    assert_eq!(store.quarantine_get(qa2).await.unwrap().attempts, 1);

    // Discard with a note, audited.
    store
        .quarantine_set_status(
            qb,
            QuarantineStatus::Discarded,
            "duplicate invoice, credited by supplier",
        )
        .await
        .unwrap();
    let e = store.quarantine_get(qb).await.unwrap();
    assert_eq!(
        (e.status, e.note.as_deref()),
        (
            QuarantineStatus::Discarded,
            Some("duplicate invoice, credited by supplier")
        )
    );
    let trail = store.audit_trail(&b, None).await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == actions::QUARANTINE_DISCARD
                && e.detail["quarantine_id"] == json!(qb)),
        "{trail:?}"
    );
    assert_eq!(store.quarantine_open_count(&t).await.unwrap(), 1);
    let open: Vec<i64> = store
        .quarantine_list(Some(&t), true)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(open, vec![qa2]);

    // Unknown ids.
    assert!(matches!(
        store.quarantine_get(i64::MAX).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .quarantine_set_status(i64::MAX, QuarantineStatus::Discarded, "x")
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn runs(store: &Arc<dyn StateStore>) {
    let t = tenant("runs");
    let before = now_us();
    let r1 = store.run_start(&t, "sync").await.unwrap();
    let r2 = store.run_start(&t, "schedule").await.unwrap();
    assert_ne!(r1, r2);
    let summary: serde_json::Value =
        serde_json::from_str(r#"{"invoices": {"created": 3, "amount": "1200.10"}}"#).unwrap();
    store
        .run_finish(
            &r1,
            RunStatus::Partial,
            &summary,
            Some("2 records quarantined"),
        )
        .await
        .unwrap();

    let list = store.runs(Some(&t), 10).await.unwrap();
    assert_eq!(
        list.iter().map(|r| &r.id).collect::<Vec<_>>(),
        vec![&r2, &r1],
        "newest first"
    );
    let (run2, run1) = (&list[0], &list[1]);
    assert_eq!(
        (
            run2.status,
            run2.trigger.as_str(),
            run2.finished_at,
            run2.error.clone()
        ),
        (RunStatus::Running, "schedule", None, None)
    );
    assert_eq!(run1.status, RunStatus::Partial);
    assert_eq!(run1.summary, summary);
    assert_eq!(run1.error.as_deref(), Some("2 records quarantined"));
    assert_eq!(run1.tenant, t);
    assert!(run1.started_at >= before && run1.finished_at.expect("finished") >= run1.started_at);
    assert_eq!(store.runs(Some(&t), 1).await.unwrap().len(), 1);
    assert!(
        store
            .runs(None, 100)
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == r1)
    );
    assert!(
        store
            .runs(Some(&tenant("runs")), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .run_finish(
                &RunId("no-such-run".into()),
                RunStatus::Ok,
                &json!({}),
                None
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn leases(store: &Arc<dyn StateStore>) {
    let name = format!("tenant:{}", tenant("lease"));
    let ttl = Duration::from_secs(30);
    assert_eq!(store.lease_holder(&name).await.unwrap(), None);
    let e1 = store
        .lease_acquire(&name, "worker-1", ttl)
        .await
        .unwrap()
        .expect("free lease");
    let holder = store.lease_holder(&name).await.unwrap().expect("held");
    assert_eq!(
        (holder.name.as_str(), holder.owner.as_str(), holder.epoch),
        (name.as_str(), "worker-1", e1)
    );
    assert!(
        holder.expires_at > Timestamp::now(),
        "expiry in the future: {}",
        holder.expires_at
    );
    assert_eq!(
        store.lease_acquire(&name, "worker-2", ttl).await.unwrap(),
        None,
        "held by someone else"
    );
    assert_eq!(
        store.lease_acquire(&name, "worker-1", ttl).await.unwrap(),
        Some(e1),
        "renewal by the holder keeps the epoch"
    );
    // Releasing someone else's lease does nothing.
    store.lease_release(&name, "worker-2").await.unwrap();
    assert_eq!(
        store.lease_holder(&name).await.unwrap().unwrap().owner,
        "worker-1"
    );
    store.lease_release(&name, "worker-1").await.unwrap();
    assert_eq!(store.lease_holder(&name).await.unwrap(), None);
    let e2 = store
        .lease_acquire(&name, "worker-2", ttl)
        .await
        .unwrap()
        .expect("released lease is free");
    assert!(e2 > e1, "a new holder gets a higher epoch: {e1} then {e2}");
    store.lease_release(&name, "worker-2").await.unwrap();
    let e3 = store
        .lease_acquire(&name, "worker-2", ttl)
        .await
        .unwrap()
        .expect("free again");
    assert!(e3 > e2, "taken again after a release: {e2} then {e3}");

    // Expiry: a short lease is taken over once it ran out.
    let short = format!("tenant:{}", tenant("lease"));
    let s1 = store
        .lease_acquire(&short, "worker-1", Duration::from_secs(1))
        .await
        .unwrap()
        .expect("free");
    assert_eq!(
        store
            .lease_acquire(&short, "worker-2", Duration::from_secs(1))
            .await
            .unwrap(),
        None
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        store.lease_holder(&short).await.unwrap(),
        None,
        "expired lease has no holder"
    );
    let s2 = store
        .lease_acquire(&short, "worker-2", ttl)
        .await
        .unwrap()
        .expect("expired lease taken over");
    assert!(s2 > s1, "a takeover bumps the epoch: {s1} then {s2}");
    assert_eq!(
        store.lease_holder(&short).await.unwrap().unwrap().owner,
        "worker-2"
    );
    assert_eq!(
        store.lease_acquire(&short, "worker-1", ttl).await.unwrap(),
        None,
        "old holder lost it"
    );
}

async fn fenced_commits(store: &Arc<dyn StateStore>) {
    let t = tenant("fence");
    let name = format!("tenant:{t}");
    let short = Duration::from_secs(1);
    let old = store
        .lease_acquire(&name, "worker-1", short)
        .await
        .unwrap()
        .expect("free");
    let commit = |epoch: u64, cursor: &str| Commit {
        cursors: vec![(t.clone(), "c".to_owned(), cursor.to_owned())],
        fence: Some(Fence {
            lease: name.clone(),
            epoch,
        }),
        ..Commit::default()
    };
    store.commit(commit(old, "1")).await.expect("current epoch");
    assert_eq!(store.cursor(&t, "c").await.unwrap().as_deref(), Some("1"));

    // worker-1 freezes past its TTL; worker-2 takes over.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let new = store
        .lease_acquire(&name, "worker-2", Duration::from_secs(30))
        .await
        .unwrap()
        .expect("taken over");
    assert!(new > old);
    match store.commit(commit(old, "2")).await {
        Err(StoreError::Fenced {
            lease,
            epoch,
            current,
        }) => assert_eq!((lease, epoch, current), (name.clone(), old, Some(new))),
        other => panic!("a stale epoch must be refused: {other:?}"),
    }
    assert_eq!(
        store.cursor(&t, "c").await.unwrap().as_deref(),
        Some("1"),
        "nothing of a fenced commit is written"
    );
    store
        .commit(commit(new, "3"))
        .await
        .expect("the new holder");
    assert_eq!(store.cursor(&t, "c").await.unwrap().as_deref(), Some("3"));
    // A lease that never existed fences too.
    let ghost = Commit {
        fence: Some(Fence {
            lease: format!("tenant:{}", tenant("ghost")),
            epoch: 1,
        }),
        ..commit(new, "4")
    };
    assert!(matches!(
        store.commit(ghost).await,
        Err(StoreError::Fenced { current: None, .. })
    ));
}

async fn leases_concurrent(store: &Arc<dyn StateStore>) {
    let name = format!("tenant:{}", tenant("race"));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let store = store.clone();
        let name = name.clone();
        set.spawn(async move {
            (
                i,
                store
                    .lease_acquire(&name, &format!("worker-{i}"), Duration::from_secs(30))
                    .await
                    .unwrap(),
            )
        });
    }
    let mut winners = Vec::new();
    while let Some(res) = set.join_next().await {
        let (i, won) = res.expect("task");
        if won.is_some() {
            winners.push(i);
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one of 8 racing workers gets the lease: {winners:?}"
    );
    assert_eq!(
        store.lease_holder(&name).await.unwrap().unwrap().owner,
        format!("worker-{}", winners[0])
    );
}

async fn tenant_state(store: &Arc<dyn StateStore>) {
    let t = tenant("state");
    assert_eq!(
        store.tenant_state(&t).await.unwrap(),
        TenantState::default()
    );
    let s = TenantState {
        paused: true,
        pause_reason: Some("JAGGAER rejected the client credentials".into()),
        next_due: Some(ts("2024-06-01T02:00:00.123456Z")),
        consecutive_failures: 4,
        last_success: Some(ts("2024-05-31T23:59:59Z")),
    };
    store.set_tenant_state(&t, &s).await.unwrap();
    assert_eq!(store.tenant_state(&t).await.unwrap(), s);
    let s2 = TenantState {
        paused: false,
        pause_reason: None,
        next_due: None,
        consecutive_failures: 0,
        last_success: s.last_success,
    };
    store.set_tenant_state(&t, &s2).await.unwrap();
    assert_eq!(store.tenant_state(&t).await.unwrap(), s2);
    assert_eq!(
        store.tenant_state(&tenant("state")).await.unwrap(),
        TenantState::default()
    );
}

async fn sequences(store: &Arc<dyn StateStore>) {
    let peek = tenant("peek");
    assert_eq!(
        store.sequence_peek(&peek, "edbt", 1000).await.unwrap(),
        1000
    );
    assert_eq!(
        store.sequence_peek(&peek, "edbt", 1000).await.unwrap(),
        1000,
        "peeking takes nothing"
    );
    assert_eq!(
        store.next_sequence(&peek, "edbt", 1000).await.unwrap(),
        1000
    );
    assert_eq!(
        store.sequence_peek(&peek, "edbt", 1000).await.unwrap(),
        1001
    );
    assert_eq!(
        store.next_sequence(&peek, "edbt", 1000).await.unwrap(),
        1001
    );

    let t = tenant("seq");
    assert_eq!(
        store
            .next_sequence(&t, "voucher-batch", 1000)
            .await
            .unwrap(),
        1000
    );
    assert_eq!(
        store
            .next_sequence(&t, "voucher-batch", 1000)
            .await
            .unwrap(),
        1001
    );
    // `start` only matters the first time.
    assert_eq!(
        store.next_sequence(&t, "voucher-batch", 5).await.unwrap(),
        1002
    );
    assert_eq!(store.next_sequence(&t, "other", 1).await.unwrap(), 1);
    assert_eq!(
        store
            .next_sequence(&tenant("seq"), "voucher-batch", 1000)
            .await
            .unwrap(),
        1000
    );
}

async fn sequences_concurrent(store: &Arc<dyn StateStore>) {
    let t = tenant("seqrace");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = store.clone();
        let t = t.clone();
        set.spawn(async move {
            let mut mine = Vec::new();
            for _ in 0..10 {
                mine.push(store.next_sequence(&t, "voucher-batch", 1).await.unwrap());
            }
            mine
        });
    }
    let mut all = HashSet::new();
    while let Some(res) = set.join_next().await {
        let mine = res.expect("task");
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "each caller sees increasing values: {mine:?}"
        );
        for v in mine {
            assert!(all.insert(v), "value {v} handed out twice");
        }
    }
    assert_eq!(
        all,
        (1..=80).collect::<HashSet<i64>>(),
        "80 distinct values, no gaps"
    );
}

async fn inbox(store: &Arc<dyn StateStore>) {
    let t = tenant("inbox");
    let doc = "<cXML payloadID=\"1@x\">…</cXML>";
    let before = now_us();
    assert!(
        store
            .inbox_put(&t, "1@x", "cxml-invoice", doc)
            .await
            .unwrap(),
        "new document"
    );
    assert!(
        !store
            .inbox_put(&t, "1@x", "cxml-invoice", "resent")
            .await
            .unwrap(),
        "resend is recognised"
    );
    assert!(
        store
            .inbox_put(&t, "2@x", "cxml-invoice", "second")
            .await
            .unwrap()
    );
    assert!(
        store
            .inbox_put(&tenant("inbox"), "1@x", "cxml-invoice", doc)
            .await
            .unwrap(),
        "doc ids are per tenant"
    );

    let pending = store.inbox_pending(&t, 10).await.unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|d| d.doc_id.as_str())
            .collect::<Vec<_>>(),
        vec!["1@x", "2@x"],
        "oldest first"
    );
    assert_eq!(
        (
            pending[0].payload.as_str(),
            pending[0].kind.as_str(),
            &pending[0].tenant
        ),
        (doc, "cxml-invoice", &t),
        "first copy kept"
    );
    assert!(pending[0].received_at >= before);
    assert_eq!(store.inbox_pending(&t, 1).await.unwrap().len(), 1);

    store.inbox_done(pending[0].id).await.unwrap();
    store.inbox_done(pending[0].id).await.unwrap();
    let pending2 = store.inbox_pending(&t, 10).await.unwrap();
    assert_eq!(
        pending2
            .iter()
            .map(|d| d.doc_id.as_str())
            .collect::<Vec<_>>(),
        vec!["2@x"]
    );
    // A processed document is still a known document.
    assert!(
        !store
            .inbox_put(&t, "1@x", "cxml-invoice", doc)
            .await
            .unwrap()
    );
    assert!(matches!(
        store.inbox_done(i64::MAX).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn users_and_sessions(store: &Arc<dyn StateStore>) {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let ann = format!("ann-{suffix}");
    let bob = format!("bob-{suffix}");
    assert!(
        store
            .user_add(&ann, Role::Operator, "$argon2id$a")
            .await
            .unwrap()
    );
    assert!(
        !store
            .user_add(&ann, Role::Admin, "$argon2id$other")
            .await
            .unwrap(),
        "users: a taken name is refused"
    );
    let got = store
        .user_get(&ann)
        .await
        .unwrap()
        .expect("users: ann exists");
    assert_eq!(got.role, Role::Operator, "users: the first add wins");
    assert_eq!(got.password_hash, "$argon2id$a");
    assert!(store.user_get("nobody-here").await.unwrap().is_none());
    assert!(
        store
            .user_add(&bob, Role::Viewer, "$argon2id$b")
            .await
            .unwrap()
    );
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    let ann_at = names
        .iter()
        .position(|n| *n == ann)
        .expect("users: ann listed");
    let bob_at = names
        .iter()
        .position(|n| *n == bob)
        .expect("users: bob listed");
    assert!(ann_at < bob_at, "users: listed by name");

    // Sessions: found by token hash while unexpired, with the user's current role.
    let later = Timestamp::now() + jiff::SignedDuration::from_hours(1);
    store
        .session_create(&format!("tok-{suffix}"), &ann, "csrf-1", later)
        .await
        .unwrap();
    let s = store
        .session_get(&format!("tok-{suffix}"))
        .await
        .unwrap()
        .expect("sessions: live");
    assert_eq!(
        (s.user.as_str(), s.role, s.csrf_token.as_str()),
        (ann.as_str(), Role::Operator, "csrf-1")
    );
    assert!(store.user_set_role(&ann, Role::Admin).await.unwrap());
    let s = store
        .session_get(&format!("tok-{suffix}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.role,
        Role::Admin,
        "sessions: a role change applies at once"
    );
    assert!(
        !store
            .user_set_role("nobody-here", Role::Admin)
            .await
            .unwrap()
    );

    // An expired session is not found.
    let earlier = Timestamp::now() - jiff::SignedDuration::from_secs(1);
    store
        .session_create(&format!("old-{suffix}"), &bob, "csrf-2", earlier)
        .await
        .unwrap();
    assert!(
        store
            .session_get(&format!("old-{suffix}"))
            .await
            .unwrap()
            .is_none(),
        "sessions: expired"
    );

    // Logout ends one session.
    store
        .session_create(&format!("bob-{suffix}"), &bob, "csrf-3", later)
        .await
        .unwrap();
    store
        .session_delete(&format!("bob-{suffix}"))
        .await
        .unwrap();
    assert!(
        store
            .session_get(&format!("bob-{suffix}"))
            .await
            .unwrap()
            .is_none(),
        "sessions: logout"
    );

    // A new password ends the user's sessions and replaces the hash.
    assert!(
        store
            .user_set_password(&ann, "$argon2id$new")
            .await
            .unwrap()
    );
    assert!(
        store
            .session_get(&format!("tok-{suffix}"))
            .await
            .unwrap()
            .is_none(),
        "sessions: password change"
    );
    assert_eq!(
        store.user_get(&ann).await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    assert!(!store.user_set_password("nobody-here", "x").await.unwrap());

    // Removing a user ends their sessions.
    store
        .session_create(&format!("bob2-{suffix}"), &bob, "csrf-4", later)
        .await
        .unwrap();
    assert!(store.user_remove(&bob).await.unwrap());
    assert!(
        !store.user_remove(&bob).await.unwrap(),
        "users: removed twice"
    );
    assert!(store.user_get(&bob).await.unwrap().is_none());
    assert!(
        store
            .session_get(&format!("bob2-{suffix}"))
            .await
            .unwrap()
            .is_none(),
        "sessions: user removed"
    );
    // A session for a user that does not exist is refused.
    assert!(
        store
            .session_create(&format!("ghost-{suffix}"), "nobody-here", "c", later)
            .await
            .is_err(),
        "sessions: unknown user"
    );
    // Secrets never reach Debug.
    let u = store.user_get(&ann).await.unwrap().unwrap();
    assert!(!format!("{u:?}").contains("argon2id$new"));
}
