//! Invoices: JAGGAER → JDE vouchers through the voucher orchestration (interface section 7).
//!
//! Per page of changed invoice headers: headers whose `lastUpdate` the ledger already holds are
//! skipped without a detail read; the rest are read, checked (payable status, cut-over, supplier
//! cross reference, coding against JDE master data), planned as balanced vouchers, checked for
//! an existing voucher (F0411Z1 by `EDUS + EDTN`, F0411 by `AN8 + VINV` normalised) and posted,
//! one `EDBT` per run. An invoice that changes after it was posted is never posted again: it goes
//! to quarantine as "changed after posting" with both versions. Before polling, vouchers posted
//! earlier are read back from F0411Z1 once JDE's batch processor has run.
use std::collections::HashMap;

use futures::StreamExt;
use jiff::Timestamp;
use mlc_core::fingerprint::fingerprint;
use mlc_core::ids::AddressNumber;
use mlc_core::invoice_number::normalize;
use mlc_core::model::Invoice;
use mlc_core::record::{Entity, RecordKey, RecordKind};
use mlc_store::{Commit, LedgerEntry, LedgerStatus, actions};

use super::common::{finish, ledger_row};
use crate::mapping::MappingError;
use crate::mapping::voucher::{VoucherPlan, plan_voucher};
use crate::ports::{ApVoucher, RemoteErrorKind, VoucherRequest};
use crate::run::{Run, SyncError};

pub(crate) const CURSOR: &str = "invoices/lastUpdate";

pub(crate) async fn run(run: &Run<'_>) -> Result<(), SyncError> {
    crate::processor::check_running(run).await?;
    read_back(run).await?;
    let posted = match run.engine.settings.transport {
        crate::settings::Transport::Cxml => inbox(run).await,
        crate::settings::Transport::Rest => poll(run).await,
        // Pushed `BuyerInvoiceExportMessage`s first (they are durable and acknowledged), then
        // the J1P poll unless turned off; both use the same record key (`export_invoice_id`).
        crate::settings::Transport::Xml => match inbox(run).await {
            Ok(()) if run.engine.settings.poll_invoices => poll(run).await,
            other => other,
        },
    };
    // One processor launch per run that wrote Z rows; when the job ends within the bounded
    // wait, its outcome is read back in this cycle (and counts in this sync's summary).
    let wrote = run
        .counts_of(Entity::Invoices)
        .is_some_and(|c| c.created > 0);
    if let Err(e) = posted {
        // What was written before the failure still needs a processor run: the next one.
        if wrote {
            crate::processor::mark_pending(run).await?;
        }
        return Err(e);
    }
    if crate::processor::after_sync(run, wrote).await? {
        read_back(run).await?;
    }
    Ok(())
}

/// Polls JAGGAER for changed invoices and posts the payable ones.
async fn poll(run: &Run<'_>) -> Result<(), SyncError> {
    let cursor = run
        .engine
        .store
        .cursor(run.tenant(), CURSOR)
        .await?
        .and_then(|c| c.parse::<Timestamp>().ok());
    let since = cursor.map(|c| c - run.engine.settings.windows.invoice_lookback);
    let pages = run.engine.jag.invoices_changed(since);
    let mut max = cursor;
    let mut pending_commit = Commit::default();
    // Pipelined: the next page's details are fetched from JAGGAER while this page's vouchers
    // go to JDE, so the stage takes about as long as the slower system needs, not the sum.
    // (A stream only makes progress while polled, so the next fetch is joined with this
    // page's processing rather than merely buffered.)
    let mut prepared = pages.then(|page| fetch_page(run, page)).boxed();
    let mut current = prepared.next().await;
    while let Some(p) = current {
        let Fetched {
            max: page_max,
            ledger,
            docs,
        } = p?;
        max = max.max(page_max);
        let (commit, next) = futures::join!(process(run, docs, &ledger), prepared.next());
        run.commit(commit?).await?;
        current = next;
    }
    // The cursor moves once every page was handled (JAGGAER's list order is not guaranteed).
    if let Some(m) = max
        && Some(m) != cursor
    {
        pending_commit
            .cursors
            .push((run.tenant().clone(), CURSOR.to_owned(), m.to_string()));
    }
    finish(run, pending_commit, None, None).await
}

/// One page of changed invoice headers with the details of those the ledger does not hold at
/// that version.
struct Fetched {
    max: Option<Timestamp>,
    ledger: HashMap<String, LedgerEntry>,
    docs: Vec<(String, serde_json::Value, Result<Invoice, MappingError>)>,
}

async fn fetch_page(
    run: &Run<'_>,
    page: Result<Vec<crate::ports::InvoiceStub>, crate::ports::RemoteError>,
) -> Result<Fetched, SyncError> {
    let page = page?;
    let max = page.iter().map(|s| s.last_update).max();
    let ids: Vec<String> = page.iter().map(|s| s.id.clone()).collect();
    let ledger = run
        .engine
        .store
        .ledger_many(run.tenant(), RecordKind::Invoice, &ids)
        .await?;
    let to_read: Vec<_> = page
        .into_iter()
        .filter(|s| {
            ledger
                .get(&s.id)
                .is_none_or(|l| l.source_version != version(s.last_update))
        })
        .collect();
    let jag = run.engine.jag.clone();
    let fetched: Vec<_> = futures::stream::iter(to_read)
        .map(|s| {
            let jag = jag.clone();
            async move { (s.id.clone(), jag.invoice(&s.id).await) }
        })
        .buffered(run.engine.settings.write_concurrency.max(1))
        .collect()
        .await;
    let mut docs = Vec::new();
    for (id, r) in fetched {
        match r {
            Ok((raw, decoded)) => docs.push((id, raw, decoded)),
            Err(e) if e.is_record_refusal() => {
                let record = RecordKey::new(RecordKind::Invoice, run.tenant(), id);
                let mut c = Commit::default();
                run.quarantine(
                    &mut c,
                    &record,
                    &MappingError::new("invoice", e.message.clone()).kind("rejected"),
                    serde_json::Value::Null,
                );
                run.commit(c).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Fetched { max, ledger, docs })
}

/// Invoices that arrived as cXML at `POST /cxml/TENANT`: stored durably before they were
/// acknowledged; each is processed like a polled one and then marked done. A crash between the
/// voucher and `inbox_done` processes the document again, and the ledger (and F0411Z1) make
/// that a no-op.
async fn inbox(run: &Run<'_>) -> Result<(), SyncError> {
    loop {
        let docs = run.engine.store.inbox_pending(run.tenant(), 100).await?;
        if docs.is_empty() {
            return Ok(());
        }
        for doc in docs {
            let (id, raw, decoded) = if doc.kind == crate::mapping::invoice::EXPORT_INBOX_KIND {
                let (id, raw, mut decoded) = decode_export(run, &doc.doc_id, &doc.payload);
                // The export names the supplier by number only; the J1P document also carries
                // its JAGGAER id. Filling it from the cross reference makes the same invoice
                // the same posting whichever channel brought it first.
                if let Ok(inv) = &mut decoded
                    && inv.supplier_id.is_none()
                    && let Some(n) = inv.supplier_number.as_deref()
                    && let Ok(an8) = n.trim().parse::<AddressNumber>()
                {
                    inv.supplier_id = run
                        .engine
                        .store
                        .xref_remote(run.tenant(), RecordKind::Supplier, &an8.to_string())
                        .await?
                        .map(mlc_core::ids::JaggaerId);
                }
                (id, raw, decoded)
            } else {
                let decoded = run.engine.jag.decode_cxml_invoice(&doc.payload);
                let id = match &decoded {
                    Ok(inv) => inv.id.0.clone(),
                    Err(_) => format!("cxml-{}", doc.doc_id),
                };
                let raw = serde_json::json!({"cxml": doc.payload, "payloadID": doc.doc_id});
                (id, raw, decoded)
            };
            let ledger = run
                .engine
                .store
                .ledger_many(run.tenant(), RecordKind::Invoice, std::slice::from_ref(&id))
                .await?;
            let commit = process(run, vec![(id, raw, decoded)], &ledger).await?;
            run.commit(commit).await?;
            run.engine.store.inbox_done(doc.id).await?;
        }
    }
}

/// Reads a stored export: its record id (`export_invoice_id`, the J1P key), the raw document
/// for quarantine, and the mapped invoice. A document the endpoint accepted but that no longer
/// reads (it always should) is quarantined under `xml-<MessageId>`.
fn decode_export(
    run: &Run<'_>,
    message_id: &str,
    xml: &str,
) -> (String, serde_json::Value, Result<Invoice, MappingError>) {
    let raw = serde_json::json!({"xml_export": xml, "MessageId": message_id});
    let s = &run.engine.settings;
    match mlc_jaggaer::xml::invoice::parse_invoice_export(xml) {
        Ok(e) => {
            let id = crate::mapping::invoice::export_invoice_id(&e, &s.export_invoice_id)
                .unwrap_or_else(|| format!("xml-{message_id}"));
            let decoded =
                crate::mapping::invoice::from_export(&e, &s.mapping, &s.export_invoice_id);
            (id, raw, decoded)
        }
        Err(e) => (
            format!("xml-{message_id}"),
            raw,
            Err(MappingError::new(
                "BuyerInvoiceExportMessage",
                e.to_string(),
            )),
        ),
    }
}

fn version(t: Timestamp) -> String {
    t.to_string()
}

/// Handles decoded invoices (from J1P polling or the inbound cXML endpoint). Returns the commit
/// for everything decided; vouchers already posted are in it.
pub(crate) async fn process(
    run: &Run<'_>,
    docs: Vec<(String, serde_json::Value, Result<Invoice, MappingError>)>,
    ledger: &HashMap<String, LedgerEntry>,
) -> Result<Commit, SyncError> {
    let s = &run.engine.settings;
    let mut commit = Commit::default();
    let mut plans: Vec<Planned> = Vec::new();
    for (id, raw, decoded) in docs {
        let record = RecordKey::new(RecordKind::Invoice, run.tenant(), id.clone());
        run.count(Entity::Invoices, |c| c.read += 1);
        commit.audit.push(run.audit(
            &record,
            actions::READ,
            format!("read invoice {id} from JAGGAER"),
            serde_json::Value::Null,
        ));
        let inv = match decoded {
            Ok(inv) => inv,
            Err(err) => {
                run.quarantine(&mut commit, &record, &err, raw);
                continue;
            }
        };
        let hash = posting_fingerprint(&inv);
        let ver = version(inv.last_update);
        let prior = ledger.get(&id);
        if let Some(p) = prior
            && matches!(p.status, LedgerStatus::Posted | LedgerStatus::Processed)
        {
            if p.content_hash == hash {
                run.count(Entity::Invoices, |c| c.unchanged += 1);
                let mut row = p.clone();
                row.source_version = ver;
                commit.ledger.push(row);
            } else {
                let err = MappingError::new(
                    "invoice",
                    format!("changed after posting (now {} {} {}, status {}): not posted again; AP decides", inv.gross, inv.currency, inv.number, inv.status),
                )
                .kind("changed-after-posting");
                run.quarantine(
                    &mut commit,
                    &record,
                    &err,
                    serde_json::json!({"posted": posted_document(run, p).await?, "now": raw}),
                );
                let mut row = p.clone();
                row.source_version = ver;
                commit.ledger.push(row);
            }
            continue;
        }
        if s.start_date
            .is_some_and(|d| inv.invoice_date.to_zoned(s.jde_timezone.clone()).date() < d)
        {
            commit.audit.push(run.audit(
                &record,
                actions::SKIPPED,
                "dated before the cut-over start_date: never synced",
                serde_json::Value::Null,
            ));
            unsent(&mut commit, &record, &hash, &ver, LedgerStatus::Inactive);
            continue;
        }
        if !s
            .mapping
            .invoice_statuses
            .iter()
            .any(|st| st.eq_ignore_ascii_case(&inv.status))
        {
            if prior.is_none_or(|p| p.status != LedgerStatus::Waiting || p.content_hash != hash) {
                commit.audit.push(run.audit(
                    &record,
                    actions::WAITING,
                    format!("payment status {:?} is not ready for payables", inv.status),
                    serde_json::Value::Null,
                ));
            }
            unsent(&mut commit, &record, &hash, &ver, LedgerStatus::Waiting);
            run.count(Entity::Invoices, |c| c.waiting += 1);
            continue;
        }
        let an8 = match resolve_supplier(run, &inv).await? {
            Ok(a) => a,
            Err(err) => {
                run.quarantine(&mut commit, &record, &err, raw);
                held(&mut commit, &record, &hash, &ver);
                continue;
            }
        };
        let refdata = run.refdata().await?;
        match plan_voucher(&inv, an8, s, refdata) {
            Ok(plan) => {
                commit.audit.push(run.audit(
                    &record,
                    actions::MAPPED,
                    format!("mapped to voucher {} for supplier {an8}: {} {} in {} lines", plan.edtn, plan.gross, plan.currency, plan.lines.len()),
                    serde_json::json!({"edtn": plan.edtn, "company": plan.company, "gl_date": plan.gl_date.to_string(), "gl_date_moved_from": plan.gl_date_moved_from.map(|d| d.to_string())}),
                ));
                plans.push(Planned {
                    record,
                    plan,
                    hash,
                    raw,
                    version: ver,
                });
            }
            Err(err) => {
                run.quarantine(&mut commit, &record, &err, raw);
                held(&mut commit, &record, &hash, &ver);
            }
        }
    }
    if !plans.is_empty() {
        post(run, plans, &mut commit).await?;
    }
    Ok(commit)
}

/// Records in the ledger that this version of an invoice is in quarantine, so later polls
/// that see the same `lastUpdate` skip it (and do not count it again); a new version in
/// JAGGAER, or `quarantine retry`, reads it again.
fn held(commit: &mut Commit, record: &RecordKey, hash: &str, ver: &str) {
    unsent(commit, record, hash, ver, LedgerStatus::Quarantined);
}

/// Records in the ledger that this version of an invoice was decided without a voucher
/// (skipped, waiting or held), so later polls that see the same `lastUpdate` skip it.
fn unsent(commit: &mut Commit, record: &RecordKey, hash: &str, ver: &str, status: LedgerStatus) {
    commit
        .ledger
        .push(ledger_row(record, hash, ver, None, status));
}

/// The invoice document as it was when posted: from the audit trail's `created` event (or,
/// for rows written before that, the ledger detail).
pub(crate) async fn posted_document(
    run: &Run<'_>,
    l: &LedgerEntry,
) -> Result<serde_json::Value, SyncError> {
    if let Some(doc) = l.detail.get("invoice") {
        return Ok(doc.clone());
    }
    let trail = run.engine.store.audit_trail(&l.record, None).await?;
    Ok(trail
        .into_iter()
        .rev()
        .find_map(|e| {
            (e.action == actions::CREATED)
                .then(|| e.detail.get("invoice").cloned())
                .flatten()
        })
        .unwrap_or_default())
}

/// The JDE supplier of an invoice: the cross reference of its `bravoId`, else its supplier
/// number if that is a supplier we synced.
async fn resolve_supplier(
    run: &Run<'_>,
    inv: &Invoice,
) -> Result<Result<AddressNumber, MappingError>, SyncError> {
    if let Some(id) = &inv.supplier_id
        && let Some(an8) = run
            .engine
            .store
            .xref_local(run.tenant(), RecordKind::Supplier, &id.0)
            .await?
        && let Ok(a) = an8.parse()
    {
        return Ok(Ok(a));
    }
    if let Some(n) = &inv.supplier_number
        && let Ok(a) = n.parse::<AddressNumber>()
        && run
            .engine
            .store
            .xref_remote(run.tenant(), RecordKind::Supplier, &a.to_string())
            .await?
            .is_some()
    {
        return Ok(Ok(a));
    }
    Ok(Err(MappingError::new(
        "header.supplier",
        format!(
            "supplier {} (number {}) is not a JDE supplier known to the connector",
            inv.supplier_id
                .as_ref()
                .map(|i| i.0.as_str())
                .unwrap_or("?"),
            inv.supplier_number.as_deref().unwrap_or("?")
        ),
    )
    .kind("unknown-supplier")))
}

/// `paymentStatus` values that mean the invoice was withdrawn (compared case-insensitively).
const CANCELLED_STATUSES: [&str; 6] = [
    "cancelled",
    "canceled",
    "void",
    "voided",
    "rejected",
    "withdrawn",
];

/// Whether a `paymentStatus` means the invoice was withdrawn.
pub(crate) fn is_cancelled(status: &str) -> bool {
    CANCELLED_STATUSES
        .iter()
        .any(|c| status.trim().eq_ignore_ascii_case(c))
}

/// The fingerprint of what a voucher is made of: amounts, coding, supplier, number, dates, PO,
/// and whether the invoice still stands. A posted invoice whose fingerprint changes goes to
/// quarantine ("changed after posting"); JAGGAER's own progress on it (`lastUpdate`, a
/// `paymentStatus` moving from Payable to Paid, a reworded line description) does not.
pub(crate) fn posting_fingerprint(inv: &Invoice) -> String {
    let mut v = inv.clone();
    v.last_update = jiff::Timestamp::UNIX_EPOCH;
    // Terms and due date are JDE's by default; a change there is not a changed voucher.
    v.payment = None;
    v.status = if is_cancelled(&inv.status) {
        "cancelled".into()
    } else {
        String::new()
    };
    for l in &mut v.lines {
        l.description.clear();
    }
    fingerprint(&v)
}

/// An invoice planned as a voucher, before the dedup checks.
struct Planned {
    record: RecordKey,
    plan: VoucherPlan,
    /// Its posting fingerprint.
    hash: String,
    /// The invoice as JAGGAER sent it.
    raw: serde_json::Value,
    /// Its `lastUpdate`.
    version: String,
}

/// A planned invoice that passed the dedup checks, with its batch and final `VINV`.
struct Posting<'a> {
    planned: &'a Planned,
    edbt: String,
    vinv: String,
}

/// Dedup checks and voucher calls for planned invoices.
async fn post(run: &Run<'_>, plans: Vec<Planned>, commit: &mut Commit) -> Result<(), SyncError> {
    let s = &run.engine.settings;
    let jde = &run.engine.jde;
    for chunk in plans.chunks(100) {
        let edtns: Vec<String> = chunk.iter().map(|p| p.plan.edtn.clone()).collect();
        let ours: HashMap<String, crate::ports::ZVoucher> = jde
            .z_vouchers(&s.batch_user, &edtns)
            .await?
            .into_iter()
            .map(|z| (z.edtn.clone(), z))
            .collect();
        let mut an8s: Vec<AddressNumber> = chunk.iter().map(|p| p.plan.an8).collect();
        an8s.sort();
        an8s.dedup();
        let mut existing: HashMap<AddressNumber, Vec<ApVoucher>> = HashMap::new();
        for v in jde.vouchers_of(&an8s).await? {
            existing.entry(v.an8).or_default().push(v);
        }
        let mut to_post = Vec::new();
        for planned in chunk {
            let Planned {
                record,
                plan,
                hash,
                raw,
                version: ver,
            } = planned;
            // The ledger keeps what read-back needs; the posted document itself is in the
            // audit trail (the `created` event), so loading every posted row stays light.
            let detail = serde_json::json!({"edtn": plan.edtn});
            if let Some(z) = ours.get(&plan.edtn)
                && z.processed
            {
                // Processed by JDE (after AP fixed a rejected row and ran the processor again).
                let d = z.doc.clone();
                commit.audit.push(run.audit(
                    record,
                    actions::READ_BACK,
                    match &d {
                        Some(d) => format!("processed by JDE: voucher {} {} {} in batch {}", d.doc, d.dct, d.kco, d.icu),
                        None => format!("voucher {} processed by JDE", plan.edtn),
                    },
                    serde_json::json!({"doc": d.as_ref().map(|d| d.doc), "dct": d.as_ref().map(|d| d.dct.clone()), "kco": d.as_ref().map(|d| d.kco.clone())}),
                ));
                let mut row = ledger_row(
                    record,
                    hash,
                    ver,
                    Some(format!("{}/{}/{}", s.batch_user, z.edbt, plan.edtn)),
                    LedgerStatus::Processed,
                );
                row.detail =
                    super::voucher_status::posted_detail(&plan.edtn, &z.edbt, plan.an8, &z.vinv);
                if let (Some(d), Some(obj)) = (&d, row.detail.as_object_mut()) {
                    obj.insert(
                        "doc".into(),
                        serde_json::json!({"doc": d.doc, "dct": d.dct, "kco": d.kco, "icu": d.icu}),
                    );
                }
                commit.ledger.push(row);
                commit.resolve.push(record.clone());
                run.count(Entity::Invoices, |c| c.unchanged += 1);
                continue;
            }
            if let Some(z) = ours.get(&plan.edtn)
                && was_judged(run, record).await?
            {
                // JDE rejected it (or never processed it) and the rows are still there: never a
                // second voucher. AP fixes the row in JDE and runs the processor, or deletes it.
                let err = MappingError::new(
                    "F0411Z1.EDSP",
                    format!(
                        "voucher {} is still unprocessed in JDE batch {} (EDSP = 0): fix the row in JDE \
                         and run the batch voucher processor, or delete the rows, then retry; not posted again. \
                         JDE's reason is in the Work Center of user {}",
                        plan.edtn, z.edbt, s.batch_user
                    ),
                )
                .kind("jde-processing");
                run.quarantine(commit, record, &err, raw.clone());
                continue;
            }
            if let Some(z) = ours.get(&plan.edtn) {
                // Our own earlier call went through (the answer or our commit was lost).
                commit.audit.push(run.audit(
                    record,
                    actions::FOUND_EXISTING,
                    format!(
                        "voucher {} already in F0411Z1 batch {}: not posted again",
                        plan.edtn, z.edbt
                    ),
                    serde_json::Value::Null,
                ));
                let mut row = ledger_row(
                    record,
                    hash,
                    ver,
                    Some(format!("{}/{}/{}", s.batch_user, z.edbt, plan.edtn)),
                    LedgerStatus::Posted,
                );
                row.detail =
                    super::voucher_status::posted_detail(&plan.edtn, &z.edbt, plan.an8, &z.vinv);
                commit.ledger.push(row);
                commit.resolve.push(record.clone());
                run.count(Entity::Invoices, |c| c.unchanged += 1);
                continue;
            }
            let theirs = existing
                .get(&plan.an8)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let taken = |v: &str| theirs.iter().any(|t| normalize(&t.vinv) == normalize(v));
            let mut vinv = plan.vinv.clone();
            let held_by_pending = theirs
                .iter()
                .filter(|t| normalize(&t.vinv) == normalize(&plan.vinv))
                .all(|t| t.pending.is_some());
            if taken(&vinv) && !plan.credit_memo && held_by_pending {
                // Another voucher with this supplier and number waits in the Z file: JDE would
                // refuse this one as a duplicate, and it may be the same invoice sent twice.
                let other = theirs
                    .iter()
                    .find(|t| normalize(&t.vinv) == normalize(&plan.vinv))
                    .and_then(|t| t.pending.clone())
                    .unwrap_or_default();
                let err = MappingError::new(
                    "header.supplierInvoiceNumber",
                    format!(
                        "supplier {} invoice {:?} is already in the voucher batch as {other} (not yet \
                         processed by JDE): a duplicate invoice? AP decides",
                        plan.an8, plan.vinv
                    ),
                )
                .kind("duplicate-invoice");
                run.quarantine(commit, record, &err, raw.clone());
                held(commit, record, hash, ver);
                continue;
            }
            if taken(&vinv) {
                if plan.credit_memo {
                    vinv = (1..)
                        .map(|n| {
                            if n == 1 {
                                format!("{}-CM", plan.vinv)
                            } else {
                                format!("{}-CM{n}", plan.vinv)
                            }
                        })
                        .find(|v| !taken(v))
                        .expect("an unused suffix exists");
                } else {
                    let v = theirs
                        .iter()
                        .find(|t| {
                            t.pending.is_none() && normalize(&t.vinv) == normalize(&plan.vinv)
                        })
                        .expect(
                            "a processed voucher holds the number (pending ones handled above)",
                        );
                    let same_amount =
                        v.currency.trim() == plan.currency && v.gross.abs() == plan.gross.abs();
                    if !same_amount {
                        // Same supplier and number, another currency or amount: not the same
                        // invoice keyed twice but possibly a different one reusing a number.
                        // JDE would refuse it; AP decides (never silently "already vouchered").
                        let err = MappingError::new(
                            "header.supplierInvoiceNumber",
                            format!(
                                "supplier {} invoice {:?} is already vouchered in JDE as {} {} {} \
                                 for {} {}, this invoice is {} {}: a different invoice reusing \
                                 the number? AP decides",
                                plan.an8,
                                v.vinv,
                                v.doc.doc,
                                v.doc.dct,
                                v.doc.kco,
                                v.gross,
                                v.currency,
                                plan.gross,
                                plan.currency
                            ),
                        )
                        .kind("duplicate-invoice");
                        run.quarantine(commit, record, &err, raw.clone());
                        held(commit, record, hash, ver);
                        continue;
                    }
                    commit.audit.push(run.audit(
                        record,
                        actions::FOUND_EXISTING,
                        format!("supplier {} invoice {:?} is already vouchered in JDE as {} {} {}: not posted again", plan.an8, v.vinv, v.doc.doc, v.doc.dct, v.doc.kco),
                        serde_json::json!({"doc": v.doc.doc, "dct": v.doc.dct, "kco": v.doc.kco}),
                    ));
                    let mut row = ledger_row(
                        record,
                        hash,
                        ver,
                        Some(format!("{}/{}/{}", v.doc.doc, v.doc.dct, v.doc.kco)),
                        LedgerStatus::Processed,
                    );
                    row.detail = detail;
                    commit.ledger.push(row);
                    commit.resolve.push(record.clone());
                    run.count(Entity::Invoices, |c| c.unchanged += 1);
                    continue;
                }
            }
            let edbt = run.edbt().await?.to_owned();
            // Claimed now: later invoices of this chunk see this number as taken.
            existing.entry(plan.an8).or_default().push(ApVoucher {
                an8: plan.an8,
                vinv: vinv.clone(),
                doc: crate::ports::VoucherDoc {
                    doc: 0,
                    dct: String::new(),
                    kco: plan.company.clone(),
                    icu: 0,
                },
                gross: plan.gross,
                currency: plan.currency.clone(),
                pending: Some(format!("{}/{edbt}/{}", s.batch_user, plan.edtn)),
            });
            to_post.push(Posting {
                planned,
                edbt,
                vinv,
            });
        }

        // The orchestration calls run concurrently (the AIS client keeps at most the tenant's
        // `max_in_flight` in flight); outcomes are handled in order.
        let calls: Vec<_> = to_post
            .iter()
            .map(
                |Posting {
                     planned,
                     edbt,
                     vinv,
                     ..
                 }| {
                    let plan = &planned.plan;
                    let jde = jde.clone();
                    let orchestration = s.voucher_orchestration.clone();
                    let req = VoucherRequest {
                        plan: (*plan).clone(),
                        edus: s.batch_user.clone(),
                        edbt: edbt.clone(),
                        vinv: vinv.clone(),
                    };
                    async move {
                        match jde.post_voucher(&orchestration, &req).await {
                            Err(e) if e.kind == RemoteErrorKind::OutcomeUnknown => {
                                // The call may have gone through: look before deciding.
                                match jde
                                    .z_vouchers(&req.edus, std::slice::from_ref(&req.plan.edtn))
                                    .await
                                {
                                    Ok(z) if !z.is_empty() => Ok(()),
                                    _ => Err(e),
                                }
                            }
                            other => other,
                        }
                    }
                },
            )
            .collect();
        let outcomes: Vec<_> = futures::stream::iter(calls)
            .buffered(s.write_concurrency.max(1))
            .collect()
            .await;
        let mut failure = None;
        for (posting, outcome) in to_post.into_iter().zip(outcomes) {
            let Posting {
                planned:
                    Planned {
                        record,
                        plan,
                        hash,
                        raw,
                        version: ver,
                    },
                edbt,
                vinv,
            } = posting;
            match outcome {
                Ok(()) => {
                    commit.audit.push(run.audit(
                        record,
                        actions::CREATED,
                        format!("voucher {} posted to JDE batch {edbt} (supplier {}, VINV {vinv}, {} {})", plan.edtn, plan.an8, plan.gross, plan.currency),
                        serde_json::json!({"edus": s.batch_user, "edbt": edbt, "edtn": plan.edtn, "vinv": vinv, "kco": plan.company, "lines": plan.lines.len(), "invoice": raw}),
                    ));
                    let mut row = ledger_row(
                        record,
                        hash,
                        ver,
                        Some(format!("{}/{edbt}/{}", s.batch_user, plan.edtn)),
                        LedgerStatus::Posted,
                    );
                    row.detail =
                        super::voucher_status::posted_detail(&plan.edtn, &edbt, plan.an8, &vinv);

                    commit.ledger.push(row);
                    commit.resolve.push(record.clone());
                    run.count(Entity::Invoices, |c| c.created += 1);
                }
                Err(e) if e.is_record_refusal() => {
                    let err = MappingError::new(
                        "voucher",
                        format!("JDE rejected the voucher: {}", e.message),
                    )
                    .kind("jde-rejected");
                    run.quarantine(commit, record, &err, raw.clone());
                    held(commit, record, hash, ver);
                }
                Err(e) => {
                    // Not this record's fault (JDE unreachable, outcome unknown): it stays
                    // unposted and the cursor does not move past it.
                    failure.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failure {
            // Commit what went through, then stop.
            run.commit(std::mem::take(commit)).await?;
            return Err(e.into());
        }
    }
    Ok(())
}

/// Whether read-back already judged this voucher rejected or not processed (its ledger row is
/// quarantined with that outcome).
async fn was_judged(run: &Run<'_>, record: &RecordKey) -> Result<bool, SyncError> {
    Ok(run.engine.store.ledger(record).await?.is_some_and(|l| {
        l.status == LedgerStatus::Quarantined && l.detail.get("outcome").is_some()
    }))
}

/// Reads back vouchers posted earlier (`flows::voucher_status`): processed, purged, rejected,
/// not processed. `EDER` is never read.
pub(crate) async fn read_back(run: &Run<'_>) -> Result<(), SyncError> {
    super::voucher_status::read_back(run).await
}
