//! The delivery loop shared by the JDE → JAGGAER flows: compare with the ledger, write what
//! changed (concurrently, bounded), and collect ledger rows, cross references, audit events and
//! quarantine entries into one [`Commit`].
use std::future::Future;

use futures::StreamExt;
use jiff::Timestamp;
use mlc_core::fingerprint::fingerprint;
use mlc_core::jdetime::JdeStamp;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_store::{Commit, LedgerEntry, LedgerStatus, XRef, actions};
use serde::Serialize;

use crate::mapping::MappingError;
use crate::ports::RemoteError;
use crate::run::{Run, SyncError};
use crate::window::Window;

/// One record to deliver.
pub(crate) struct Outgoing<T> {
    pub(crate) record: RecordKey,
    /// Source version (`CYYDDD:HHMMSS`).
    pub(crate) version: String,
    /// The source rows, for quarantine payloads and the audit.
    pub(crate) raw: serde_json::Value,
    /// Mapped payload, or why it could not be mapped.
    pub(crate) out: Result<T, MappingError>,
    /// Held back on purpose (PO on hold), with the reason.
    pub(crate) waiting: Option<String>,
    /// Kept in the ledger row (e.g. what `reconcile` compares).
    pub(crate) detail: serde_json::Value,
}

/// A record that changed since the ledger's version, waiting for its write.
struct ToWrite<T> {
    record: RecordKey,
    version: String,
    raw: serde_json::Value,
    out: T,
    hash: String,
    prior: Option<LedgerEntry>,
    detail: serde_json::Value,
}

/// What a successful write returns.
pub(crate) struct Written {
    pub(crate) remote_id: String,
    pub(crate) status: LedgerStatus,
}

/// Delivers records: skips unchanged ones, writes the rest with up to `concurrency` in flight,
/// and returns the commit plus the first transient error (if any). Records that failed
/// transiently are neither committed nor quarantined, so the caller must not advance the cursor.
pub(crate) async fn deliver<T, F, Fut>(
    run: &Run<'_>,
    items: Vec<Outgoing<T>>,
    xref_kind: Option<RecordKind>,
    write: F,
) -> Result<(Commit, Option<RemoteError>), SyncError>
where
    T: Serialize + Clone + Send + Sync,
    F: Fn(T, Option<LedgerEntry>) -> Fut + Sync,
    Fut: Future<Output = Result<Written, RemoteError>> + Send + 'static,
{
    let concurrency = run.engine.settings.write_concurrency.max(1);
    deliver_batch(run, items, xref_kind, |batch| {
        // The futures own everything they use (no borrow of this frame crosses an await inside
        // the stream), which keeps the cycle future `Send` for the scheduler's tasks.
        let futs: Vec<_> = batch
            .into_iter()
            .enumerate()
            .map(|(i, (out, prior))| {
                let fut = write(out, prior);
                async move { (i, fut.await) }
            })
            .collect();
        let n = futs.len();
        async move {
            let mut results: Vec<Option<Result<Written, RemoteError>>> =
                (0..n).map(|_| None).collect();
            let mut stream = futures::stream::iter(futs).buffer_unordered(concurrency);
            while let Some((i, r)) = stream.next().await {
                results[i] = Some(r);
            }
            results
        }
    })
    .await
}

/// [`deliver`] with one call for all the changed records of the page (e.g. one XML message
/// per page of suppliers): `write_all` gets them in order (payload, prior ledger row, content
/// hash) and returns one result per record, in the same order (`None`: not attempted).
pub(crate) async fn deliver_batch<T, F, Fut>(
    run: &Run<'_>,
    items: Vec<Outgoing<T>>,
    xref_kind: Option<RecordKind>,
    write_all: F,
) -> Result<(Commit, Option<RemoteError>), SyncError>
where
    T: Serialize + Clone + Send + Sync,
    F: FnOnce(Vec<(T, Option<LedgerEntry>)>) -> Fut,
    Fut: Future<Output = Vec<Option<Result<Written, RemoteError>>>> + Send,
{
    let mut commit = Commit::default();
    if items.is_empty() {
        return Ok((commit, None));
    }
    let kind = items[0].record.kind;
    let entity = kind.entity();
    let keys: Vec<String> = items.iter().map(|i| i.record.key.clone()).collect();
    let ledger = run
        .engine
        .store
        .ledger_many(run.tenant(), kind, &keys)
        .await?;
    let mut to_write = Vec::new();
    for item in items {
        run.count(entity, |c| c.read += 1);
        let prior = ledger.get(&item.record.key);
        // A record waiting on another one (its supplier not in JAGGAER yet) may not map yet:
        // its version is then the fingerprint of its source rows.
        let (out, hash) = match item.out {
            Ok(out) => {
                let hash = fingerprint(&out);
                (Some(out), hash)
            }
            Err(_) if item.waiting.is_some() => (None, fingerprint(&item.raw)),
            Err(err) => {
                run.quarantine(&mut commit, &item.record, &err, item.raw);
                continue;
            }
        };
        if let Some(reason) = &item.waiting {
            if prior.is_none_or(|p| p.status != LedgerStatus::Waiting || p.content_hash != hash) {
                commit.audit.push(run.audit(
                    &item.record,
                    actions::WAITING,
                    reason.clone(),
                    serde_json::json!({"version": item.version}),
                ));
                let mut row = ledger_row(
                    &item.record,
                    &hash,
                    &item.version,
                    prior.and_then(|p| p.remote_id.clone()),
                    LedgerStatus::Waiting,
                );
                row.detail = serde_json::json!({"waiting": reason});
                commit.ledger.push(row);
            }
            run.count(entity, |c| c.waiting += 1);
            continue;
        }
        let Some(out) = out else { continue };
        if let Some(p) = prior
            && p.content_hash == hash
            && matches!(p.status, LedgerStatus::Synced | LedgerStatus::Inactive)
        {
            run.count(entity, |c| c.unchanged += 1);
            continue;
        }
        to_write.push(ToWrite {
            record: item.record,
            version: item.version,
            raw: item.raw,
            out,
            hash,
            prior: prior.cloned(),
            detail: item.detail,
        });
    }
    let batch = to_write
        .iter()
        .map(|w| (w.out.clone(), w.prior.clone()))
        .collect();
    let mut results = write_all(batch).await;
    results.resize_with(to_write.len(), || None);
    let mut first_transient = None;
    for (tw, result) in to_write.iter().zip(results) {
        let ToWrite {
            record,
            version,
            raw,
            hash,
            prior,
            detail,
            ..
        } = tw;
        match result.as_ref() {
            Some(Ok(w)) => {
                let created = prior.as_ref().is_none_or(|p| p.remote_id.is_none());
                let action = if w.status == LedgerStatus::Inactive {
                    actions::DEACTIVATED
                } else if created {
                    actions::CREATED
                } else {
                    actions::UPDATED
                };
                commit.audit.push(run.audit(
                    record,
                    action,
                    format!("{action} in JAGGAER as {}", w.remote_id),
                    serde_json::json!({"jaggaer_id": w.remote_id, "hash": hash, "version": version}),
                ));
                let mut row =
                    ledger_row(record, hash, version, Some(w.remote_id.clone()), w.status);
                row.detail = detail.clone();
                commit.ledger.push(row);
                if let Some(k) = xref_kind {
                    commit.xrefs.push(XRef {
                        tenant: run.tenant().clone(),
                        kind: k,
                        jde_key: record.key.clone(),
                        remote_id: w.remote_id.clone(),
                    });
                }
                commit.resolve.push(record.clone());
                run.count(record.kind.entity(), |c| {
                    if created {
                        c.created += 1
                    } else {
                        c.updated += 1
                    }
                });
            }
            Some(Err(e)) if e.is_record_refusal() => {
                let err = MappingError::new("JAGGAER", e.message.clone()).kind("rejected");
                run.quarantine(&mut commit, record, &err, raw.clone());
            }
            Some(Err(e)) => {
                commit.audit.push(run.audit(
                    record,
                    actions::ERROR,
                    e.to_string(),
                    serde_json::json!({"kind": e.kind.as_str()}),
                ));
                first_transient.get_or_insert_with(|| e.clone());
            }
            None => {}
        }
    }
    Ok((commit, first_transient))
}

pub(crate) fn ledger_row(
    record: &RecordKey,
    hash: &str,
    version: &str,
    remote_id: Option<String>,
    status: LedgerStatus,
) -> LedgerEntry {
    LedgerEntry {
        record: record.clone(),
        content_hash: hash.to_owned(),
        source_version: version.to_owned(),
        remote_id,
        status,
        detail: serde_json::Value::Null,
        updated_at: Timestamp::now(),
    }
}

/// The saved cursor `name`, parsed.
pub(crate) async fn jde_cursor(run: &Run<'_>, name: &str) -> Result<Option<JdeStamp>, SyncError> {
    let raw = run.engine.store.cursor(run.tenant(), name).await?;
    Ok(raw.and_then(|r| JdeStamp::from_cursor(&r).ok()))
}

/// The window for cursor `name` now.
pub(crate) async fn jde_window(
    run: &Run<'_>,
    name: &str,
) -> Result<(Option<JdeStamp>, Window), SyncError> {
    let cursor = jde_cursor(run, name).await?;
    let now = JdeStamp::now_in(&run.engine.settings.jde_timezone);
    Ok((
        cursor,
        Window::new(cursor, now, &run.engine.settings.windows),
    ))
}

/// Commits, adding the cursor advance only when nothing failed transiently, and reports
/// progress. Returns the transient error to stop the flow with.
pub(crate) async fn finish(
    run: &Run<'_>,
    mut commit: Commit,
    transient: Option<RemoteError>,
    cursor: Option<(String, String)>,
) -> Result<(), SyncError> {
    if transient.is_none()
        && let Some((name, value)) = cursor
    {
        commit.cursors.push((run.tenant().clone(), name, value));
    }
    if !commit.is_empty() {
        run.commit(commit).await?;
    }
    match transient {
        Some(e) => Err(SyncError::Remote(e)),
        None => Ok(()),
    }
}
