//! What became of the vouchers we wrote to the Z files, judged the way JDE shows it
//! (interface 7, `docs/vouchers.md` "After posting"). `EDER` is never read: JDE ignores it,
//! and a row its batch processor failed simply stays at `EDSP = 0` while the reason goes to the
//! Work Center of the row's `EDUS` user.
//!
//! Per batch (`EDBT`) of ours with posted vouchers:
//! - a row at `EDSP = 1` is **processed**: its F0411 document goes to the audit trail;
//! - a row that is gone while F0411 holds the voucher (same supplier and `VINV`) was
//!   **processed and purged**: success, recorded as such; gone without a voucher in F0411 it
//!   was deleted before processing (quarantine);
//! - a row still at `0` is **rejected** when a processor run covered its batch: a job we
//!   launched that ended normally and started after the batch was committed, or other rows of
//!   the batch at `1` while no job of ours runs and the batch looked the same at two consecutive
//!   read-backs (a processor still at work shows partial progress);
//! - a batch with no processed row `voucher_processing_sla` after our commit is
//!   **not processed**.
//!
//! Rejected and not-processed vouchers go to quarantine with the batch, the Work Center user and
//! the job number when known; they count as quarantined in this sync's summary and the alert
//! monitor reports them. The batch observations are kept under [`OBSERVED`] in the tenant's
//! cursors, written in the same commit as the records.
use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use jiff::Timestamp;
use mlc_core::ids::AddressNumber;
use mlc_core::invoice_number::normalize;
use mlc_core::record::RecordKind;
use mlc_store::{Commit, LedgerEntry, LedgerStatus, actions};

use crate::mapping::MappingError;
use crate::ports::{ApVoucher, ZVoucher};
use crate::run::{Run, SyncError};

/// Cursor key of the batch observations (`EDBT` → state of its rows at the last read-back).
pub(crate) const OBSERVED: &str = "vouchers/batches";

/// What the ledger keeps about a posted voucher.
#[derive(Debug, Clone)]
pub(crate) struct PostedRef {
    pub(crate) edtn: String,
    pub(crate) edbt: String,
    pub(crate) an8: Option<AddressNumber>,
    pub(crate) vinv: Option<String>,
    pub(crate) committed: Timestamp,
}

impl PostedRef {
    /// From a ledger row: its `detail` (`edtn`, `edbt`, `an8`, `vinv`, `committed`), with the
    /// remote id `EDUS/EDBT/EDTN` and the row's last change for rows written before those
    /// were kept.
    pub(crate) fn of(l: &LedgerEntry) -> Option<PostedRef> {
        let text = |k: &str| {
            l.detail
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        let edtn = text("edtn")?;
        let edbt = text("edbt").or_else(|| {
            l.remote_id
                .as_deref()
                .and_then(|r| r.split('/').nth(1))
                .map(str::to_owned)
        })?;
        Some(PostedRef {
            edtn,
            edbt,
            an8: l
                .detail
                .get("an8")
                .and_then(|v| v.as_u64())
                .map(AddressNumber),
            vinv: text("vinv"),
            committed: text("committed")
                .and_then(|t| t.parse().ok())
                .unwrap_or(l.updated_at),
        })
    }
}

/// The ledger detail of a voucher just posted (or found already in the batch).
pub(crate) fn posted_detail(
    edtn: &str,
    edbt: &str,
    an8: AddressNumber,
    vinv: &str,
) -> serde_json::Value {
    serde_json::json!({
        "edtn": edtn,
        "edbt": edbt,
        "an8": an8.0,
        "vinv": vinv,
        "committed": Timestamp::now().to_string(),
    })
}

/// What a read-back concluded about the unprocessed rows of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// A processor run covered the batch: the rows still at 0 failed.
    Rejected(Option<i64>),
    /// Nothing of the batch processed within the SLA.
    NotProcessed,
    /// Too early to tell.
    Wait,
}

/// The inputs of the verdict on one batch.
#[derive(Debug, Clone, Copy)]
struct BatchView {
    /// When our last voucher of the batch was committed.
    committed: Timestamp,
    /// Some row of the batch is at `EDSP = 1`.
    any_processed: bool,
    /// The batch's rows looked the same at the previous read-back.
    unchanged_since_last: bool,
}

fn verdict(
    b: BatchView,
    job: &crate::processor::ProcessorState,
    sla: jiff::SignedDuration,
    now: Timestamp,
) -> Verdict {
    if let Some(done) = &job.last_done
        && done.started > b.committed
    {
        return Verdict::Rejected(Some(done.job));
    }
    if job.running.is_none() && b.any_processed && b.unchanged_since_last {
        return Verdict::Rejected(None);
    }
    if !b.any_processed && now.duration_since(b.committed) > sla {
        return Verdict::NotProcessed;
    }
    Verdict::Wait
}

/// The state of a batch's rows, compared between read-backs.
fn fingerprint(rows: &[&ZVoucher]) -> String {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| format!("{}:{}", r.edtn, u8::from(r.processed)))
        .collect();
    v.sort();
    v.join(",")
}

/// Reads back every posted voucher (see the module documentation).
pub(crate) async fn read_back(run: &Run<'_>) -> Result<(), SyncError> {
    let s = &run.engine.settings;
    let posted = run
        .engine
        .store
        .ledger_by_status(
            run.tenant(),
            RecordKind::Invoice,
            Some(LedgerStatus::Posted),
        )
        .await?;
    let previous: BTreeMap<String, String> = run
        .engine
        .store
        .cursor(run.tenant(), OBSERVED)
        .await?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut batches: BTreeMap<String, Vec<(&LedgerEntry, PostedRef)>> = BTreeMap::new();
    for l in &posted {
        if let Some(p) = PostedRef::of(l) {
            batches.entry(p.edbt.clone()).or_default().push((l, p));
        }
    }
    if batches.is_empty() {
        if !previous.is_empty() {
            run.engine
                .store
                .set_cursor(run.tenant(), OBSERVED, Some("{}"))
                .await?;
        }
        return Ok(());
    }

    // Our Z rows of these batches (50 batches a request, up to 4 at once).
    let names: Vec<String> = batches.keys().cloned().collect();
    let lookups: Vec<_> = names
        .chunks(50)
        .map(|c| {
            let jde = run.engine.jde.clone();
            let edus = s.batch_user.clone();
            let c = c.to_vec();
            async move { jde.z_batches(&edus, &c).await }
        })
        .collect();
    let mut rows: Vec<ZVoucher> = Vec::new();
    let mut found = futures::stream::iter(lookups).buffered(4);
    while let Some(r) = found.next().await {
        rows.extend(r?);
    }
    let mut by_batch: HashMap<&str, Vec<&ZVoucher>> = HashMap::new();
    for r in &rows {
        by_batch.entry(r.edbt.as_str()).or_default().push(r);
    }

    // Vouchers whose Z row is gone: does F0411 hold them (processed, then purged)?
    let mut gone_an8s: Vec<AddressNumber> = batches
        .values()
        .flatten()
        .filter(|(_, p)| {
            !by_batch
                .get(p.edbt.as_str())
                .is_some_and(|rs| rs.iter().any(|r| r.edtn == p.edtn))
        })
        .filter_map(|(_, p)| p.an8)
        .collect();
    gone_an8s.sort();
    gone_an8s.dedup();
    let mut in_f0411: HashMap<AddressNumber, Vec<ApVoucher>> = HashMap::new();
    for chunk in gone_an8s.chunks(100) {
        for v in run.engine.jde.vouchers_of(chunk).await? {
            if v.pending.is_none() {
                in_f0411.entry(v.an8).or_default().push(v);
            }
        }
    }

    use crate::processor::Processor;
    let jobs = [
        crate::processor::state(run, Processor::Voucher).await?,
        crate::processor::state(run, Processor::Match).await?,
    ];
    // Match vouchers processed or purged now: the receipt lines they cleared go to the audit.
    let mut cleared: Vec<(&LedgerEntry, crate::ports::VoucherDoc)> = Vec::new();
    let now = Timestamp::now();
    let edus = &s.batch_user;
    let mut observed = BTreeMap::new();
    let mut commit = Commit::default();
    for (edbt, entries) in &batches {
        let batch_rows = by_batch.get(edbt.as_str()).cloned().unwrap_or_default();
        let fp = fingerprint(&batch_rows);
        let view = BatchView {
            committed: entries
                .iter()
                .map(|(_, p)| p.committed)
                .max()
                .unwrap_or(now),
            any_processed: batch_rows.iter().any(|r| r.processed),
            unchanged_since_last: previous.get(edbt) == Some(&fp),
        };
        // A batch is judged by its own processor's jobs (match batches by R4304010's).
        let is_match = entries.iter().any(|(l, _)| is_match_voucher(l));
        let processor = Processor::of(is_match);
        let report = if is_match { "R4304010" } else { "R04110ZA" };
        let v = verdict(
            view,
            &jobs[processor.index()],
            s.payables.voucher_processing_sla,
            now,
        );
        let mut still_open = false;
        for (l, p) in entries {
            let row = batch_rows.iter().find(|r| r.edtn == p.edtn);
            match row {
                Some(z) if z.processed => {
                    processed(run, &mut commit, l, z);
                    if is_match_voucher(l)
                        && let Some(d) = &z.doc
                    {
                        cleared.push((l, d.clone()));
                    }
                }
                Some(_) => match v {
                    Verdict::Wait => still_open = true,
                    Verdict::Rejected(job) => {
                        let why = match job {
                            Some(j) => {
                                format!("after job {j} of JDE's batch voucher processor ended")
                            }
                            None => "while other vouchers of the batch were processed".to_owned(),
                        };
                        let err = MappingError::new(
                            "F0411Z1.EDSP",
                            format!(
                                "JDE rejected voucher {} of batch {edbt}: still unprocessed (EDSP = 0) {why}. \
                                 JDE's reason is in the Work Center of user {edus}{}. Fix the row in JDE \
                                 (Batch Voucher Revisions, P0411Z1) and run the processor again, or delete \
                                 the rows; then `quarantine retry`",
                                p.edtn,
                                job.map(|j| format!(" (job {j})")).unwrap_or_default()
                            ),
                        )
                        .kind("jde-processing");
                        quarantine(
                            run,
                            &mut commit,
                            l,
                            &err,
                            serde_json::json!({"edbt": edbt, "job": job, "edus": edus}),
                        )
                        .await?;
                    }
                    Verdict::NotProcessed => {
                        let err = MappingError::new(
                            "F0411Z1.EDSP",
                            format!(
                                "batch {edbt} of user {edus} (voucher {}) has not been processed by JDE \
                                 within {:#} of being written ({}): nothing of the batch is processed. \
                                 Run the {} ({report}) over it; its messages go to \
                                 the Work Center of {edus}",
                                p.edtn, s.payables.voucher_processing_sla, view.committed,
                                if is_match { "voucher match driver" } else { "batch voucher processor" }
                            ),
                        )
                        .kind("jde-not-processed");
                        quarantine(
                            run,
                            &mut commit,
                            l,
                            &err,
                            serde_json::json!({"edbt": edbt, "edus": edus}),
                        )
                        .await?;
                    }
                },
                None => {
                    let held = p.an8.and_then(|a| in_f0411.get(&a)).and_then(|vs| {
                        let vinv = p.vinv.as_deref()?;
                        vs.iter().find(|v| normalize(&v.vinv) == normalize(vinv))
                    });
                    match held {
                        Some(v) => {
                            purged(run, &mut commit, l, v);
                            if is_match_voucher(l) {
                                cleared.push((l, v.doc.clone()));
                            }
                        }
                        None => {
                            let err = MappingError::new(
                                "F0411Z1",
                                format!(
                                    "voucher {} was deleted from batch {edbt} before JDE processed it \
                                     (no F0411 voucher for supplier {} invoice {})",
                                    p.edtn,
                                    p.an8.map(|a| a.to_string()).unwrap_or_else(|| "?".into()),
                                    p.vinv.as_deref().unwrap_or("?")
                                ),
                            )
                            .kind("deleted-before-processing");
                            quarantine(run, &mut commit, l, &err, serde_json::Value::Null).await?;
                        }
                    }
                }
            }
        }
        if still_open {
            observed.insert(edbt.clone(), fp);
        }
    }
    if !cleared.is_empty() {
        receipts_cleared(run, &mut commit, &cleared).await?;
    }
    commit.cursors.push((
        run.tenant().clone(),
        OBSERVED.to_owned(),
        serde_json::to_string(&observed).unwrap_or_default(),
    ));
    run.commit(commit).await?;
    Ok(())
}

/// Whether a posted voucher is a match voucher (interface 8).
fn is_match_voucher(l: &LedgerEntry) -> bool {
    l.detail.get("match").and_then(serde_json::Value::as_bool) == Some(true)
}

/// The F43121 rows each processed match voucher now holds (match rows naming its document),
/// read in one bulk query, into the invoice's audit trail: which receipt lines it cleared.
async fn receipts_cleared(
    run: &Run<'_>,
    commit: &mut Commit,
    done: &[(&LedgerEntry, crate::ports::VoucherDoc)],
) -> Result<(), SyncError> {
    let mut keys: Vec<mlc_core::ids::OrderKey> = done
        .iter()
        .flat_map(|(l, _)| {
            l.detail
                .get("po_lines")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("po")?.as_str()?.parse().ok())
        })
        .collect();
    keys.sort_by(|a: &mlc_core::ids::OrderKey, b| {
        (&a.kcoo, &a.dcto, a.doco).cmp(&(&b.kcoo, &b.dcto, b.doco))
    });
    keys.dedup();
    let mut rows = Vec::new();
    for chunk in keys.chunks(run.engine.settings.lines_chunk.max(1)) {
        rows.extend(run.engine.jde.receipts(chunk).await?);
    }
    for (l, doc) in done {
        let mine: Vec<&crate::ports::Receipt> = rows
            .iter()
            .filter(|r| {
                r.kind == crate::ports::ReceiptKind::Match
                    && r.doc == doc.doc
                    && r.dct == doc.dct
                    && (r.kco.is_empty() || r.kco == doc.kco)
            })
            .collect();
        let text = if mine.is_empty() {
            format!(
                "voucher {} {} {}: no receipt line of F43121 names it yet",
                doc.doc, doc.dct, doc.kco
            )
        } else {
            format!(
                "voucher {} {} {} cleared {}",
                doc.doc,
                doc.dct,
                doc.kco,
                mine.iter()
                    .map(|r| format!(
                        "{} line {} ({} for {})",
                        r.key,
                        r.lnid.normalize(),
                        r.quantity.normalize(),
                        r.amount
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        commit.audit.push(run.audit(
            &l.record,
            actions::READ_BACK,
            text,
            serde_json::json!({"cleared": mine.iter().map(|r| serde_json::json!({
                "po": r.key.to_string(), "lnid": r.lnid.normalize().to_string(),
                "quantity": r.quantity.to_string(), "amount": r.amount.to_string()})).collect::<Vec<_>>()}),
        ));
    }
    Ok(())
}

fn processed(run: &Run<'_>, commit: &mut Commit, l: &LedgerEntry, z: &ZVoucher) {
    let doc = z.doc.clone();
    commit.audit.push(run.audit(
        &l.record,
        actions::READ_BACK,
        match &doc {
            Some(d) => format!("processed by JDE: voucher {} {} {} in batch {}", d.doc, d.dct, d.kco, d.icu),
            None => "processed by JDE".to_owned(),
        },
        serde_json::json!({"doc": doc.as_ref().map(|d| d.doc), "dct": doc.as_ref().map(|d| d.dct.clone()), "kco": doc.as_ref().map(|d| d.kco.clone()), "icu": doc.as_ref().map(|d| d.icu)}),
    ));
    let mut row = l.clone();
    row.status = LedgerStatus::Processed;
    if let (Some(d), Some(obj)) = (&doc, row.detail.as_object_mut()) {
        obj.insert(
            "doc".into(),
            serde_json::json!({"doc": d.doc, "dct": d.dct, "kco": d.kco, "icu": d.icu}),
        );
    }
    commit.ledger.push(row);
}

fn purged(run: &Run<'_>, commit: &mut Commit, l: &LedgerEntry, v: &ApVoucher) {
    let d = &v.doc;
    commit.audit.push(run.audit(
        &l.record,
        actions::READ_BACK,
        format!(
            "processed by JDE and purged from F0411Z1: voucher {} {} {} in batch {}",
            d.doc, d.dct, d.kco, d.icu
        ),
        serde_json::json!({"doc": d.doc, "dct": d.dct, "kco": d.kco, "icu": d.icu, "purged": true}),
    ));
    let mut row = l.clone();
    row.status = LedgerStatus::Processed;
    if let Some(obj) = row.detail.as_object_mut() {
        obj.insert(
            "doc".into(),
            serde_json::json!({"doc": d.doc, "dct": d.dct, "kco": d.kco, "icu": d.icu}),
        );
        obj.insert("purged".into(), serde_json::Value::Bool(true));
    }
    commit.ledger.push(row);
}

async fn quarantine(
    run: &Run<'_>,
    commit: &mut Commit,
    l: &LedgerEntry,
    err: &MappingError,
    about: serde_json::Value,
) -> Result<(), SyncError> {
    // The payload is the invoice as posted (what `quarantine retry` of a cXML invoice decodes
    // again), with what read-back saw of the voucher next to it.
    let mut doc = super::invoices::posted_document(run, l).await?;
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("voucher".into(), about);
    }
    run.quarantine(commit, &l.record, err, doc);
    let mut row = l.clone();
    row.status = LedgerStatus::Quarantined;
    if let Some(obj) = row.detail.as_object_mut() {
        obj.insert("outcome".into(), serde_json::Value::String(err.kind.into()));
    }
    commit.ledger.push(row);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processor::{Job, ProcessorState};
    use jiff::SignedDuration;

    fn job(n: i64, started: Timestamp) -> Job {
        Job {
            job: n,
            report: "R04110ZA".into(),
            version: "XJDE0002".into(),
            started,
            ended: Some(started),
        }
    }

    #[test]
    fn verdicts() {
        let t0: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let sla = SignedDuration::from_hours(24);
        let b = BatchView {
            committed: t0,
            any_processed: false,
            unchanged_since_last: false,
        };
        let none = ProcessorState::default();
        // Nothing known yet.
        assert_eq!(
            verdict(b, &none, sla, t0 + SignedDuration::from_mins(5)),
            Verdict::Wait
        );
        // Our job that started after the commit ended: the rows still at 0 failed.
        let after = ProcessorState {
            last_done: Some(job(77, t0 + SignedDuration::from_secs(1))),
            ..Default::default()
        };
        assert_eq!(verdict(b, &after, sla, t0), Verdict::Rejected(Some(77)));
        // A job that started before the commit says nothing about this batch.
        let before = ProcessorState {
            last_done: Some(job(76, t0 - SignedDuration::from_secs(1))),
            ..Default::default()
        };
        assert_eq!(verdict(b, &before, sla, t0), Verdict::Wait);
        // Others of the batch processed, same picture twice, no job of ours running.
        let partial = BatchView {
            any_processed: true,
            unchanged_since_last: true,
            ..b
        };
        assert_eq!(verdict(partial, &none, sla, t0), Verdict::Rejected(None));
        // ... but not while the picture still moves, or while our job runs.
        let moving = BatchView {
            unchanged_since_last: false,
            ..partial
        };
        assert_eq!(verdict(moving, &none, sla, t0), Verdict::Wait);
        let running = ProcessorState {
            running: Some(job(78, t0)),
            ..Default::default()
        };
        assert_eq!(verdict(partial, &running, sla, t0), Verdict::Wait);
        // Nothing processed past the SLA: not processed; with progress it is not that.
        let late = t0 + SignedDuration::from_hours(25);
        assert_eq!(verdict(b, &none, sla, late), Verdict::NotProcessed);
        assert_eq!(verdict(moving, &none, sla, late), Verdict::Wait);
    }

    #[test]
    fn posted_refs_fall_back_to_the_remote_id() {
        let l = LedgerEntry {
            record: mlc_core::record::RecordKey::new(
                RecordKind::Invoice,
                &"acme".parse().unwrap(),
                "1".to_owned(),
            ),
            content_hash: String::new(),
            source_version: String::new(),
            remote_id: Some("MLCONN/1004/JG1".into()),
            status: LedgerStatus::Posted,
            detail: serde_json::json!({"edtn": "JG1"}),
            updated_at: Timestamp::UNIX_EPOCH,
        };
        let p = PostedRef::of(&l).unwrap();
        assert_eq!(p.edbt, "1004");
        assert_eq!(p.committed, Timestamp::UNIX_EPOCH);
        assert!(p.an8.is_none());
    }
}
