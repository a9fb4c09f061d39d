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
    // Vouchers AP approved since the last cycle (issue 19).
    super::approvals::decided(run).await?;
    // PO-backed invoices waiting for their PO line or receipt are planned again every cycle,
    // whether or not JAGGAER changed them; invoices waiting for their supplier are read again
    // from their source.
    let rechecked = match recheck_waiting(run).await {
        Ok(()) => retry_waiting(run).await,
        Err(e) => Err(e),
    };
    let posted = match rechecked {
        Err(e) => Err(e),
        Ok(()) => match run.engine.settings.transport {
            crate::settings::Transport::Cxml => inbox(run).await,
            crate::settings::Transport::Rest => poll(run).await,
            // Pushed `BuyerInvoiceExportMessage`s first (they are durable and acknowledged),
            // then the J1P poll unless turned off; both use the same record key
            // (`export_invoice_id`).
            crate::settings::Transport::Xml => match inbox(run).await {
                Ok(()) if run.engine.settings.poll_invoices => poll(run).await,
                other => other,
            },
        },
    };
    // One processor launch per run that wrote Z rows (per processor: expense and match
    // vouchers are separate batches); when the job ends within the bounded wait, its outcome is
    // read back in this cycle (and counts in this sync's summary).
    if let Err(e) = posted {
        // What was written before the failure still needs a processor run: the next one.
        for which in crate::processor::Processor::ALL {
            if run.wrote[which.index()].load(std::sync::atomic::Ordering::Relaxed) {
                crate::processor::mark_pending(run, which).await?;
            }
        }
        return Err(e);
    }
    if crate::processor::after_sync(run).await? {
        read_back(run).await?;
    }
    Ok(())
}

/// The mapping error kind of an invoice whose supplier is not known (yet): it waits.
const UNKNOWN_SUPPLIER: &str = "unknown-supplier";

/// Reads again every invoice that waits on its supplier and processes it: the supplier may have
/// synced since. A polled invoice is fetched from JAGGAER afresh; one that came as cXML is
/// decoded from the document kept with its ledger row.
pub(crate) async fn retry_waiting(run: &Run<'_>) -> Result<(), SyncError> {
    let waiting: Vec<LedgerEntry> = run
        .engine
        .store
        .ledger_by_status(
            run.tenant(),
            RecordKind::Invoice,
            Some(LedgerStatus::Waiting),
        )
        .await?
        .into_iter()
        .filter(|l| l.detail["waiting_on"] == "supplier")
        .collect();
    for l in waiting {
        let id = l.record.key.clone();
        let doc = match l.detail["cxml"].as_str() {
            Some(xml) => (
                serde_json::json!({"cxml": xml}),
                run.engine.jag.decode_cxml_invoice(xml),
            ),
            None => match run.engine.jag.invoice(&id).await {
                Ok(d) => d,
                // Gone or refused in JAGGAER: it stays waiting, and alerts when it waited too
                // long.
                Err(e) if e.is_record_refusal() => continue,
                Err(e) => return Err(e.into()),
            },
        };
        let ledger: HashMap<String, LedgerEntry> = [(id.clone(), l)].into_iter().collect();
        let commit = process(run, vec![(id, doc.0, doc.1)], &ledger).await?;
        run.commit(commit).await?;
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
    process_with(run, docs, ledger, false).await
}

/// [`process`]; `recheck` for waiting PO-backed invoices planned again from the ledger (not
/// read from JAGGAER, so no `read` audit event).
async fn process_with(
    run: &Run<'_>,
    docs: Vec<(String, serde_json::Value, Result<Invoice, MappingError>)>,
    ledger: &HashMap<String, LedgerEntry>,
    recheck: bool,
) -> Result<Commit, SyncError> {
    let s = &run.engine.settings;
    let mut commit = Commit::default();
    let mut plans: Vec<Planned> = Vec::new();
    for (id, raw, decoded) in docs {
        let record = RecordKey::new(RecordKind::Invoice, run.tenant(), id.clone());
        run.count(Entity::Invoices, |c| c.read += 1);
        if !recheck {
            commit.audit.push(run.audit(
                &record,
                actions::READ,
                format!("read invoice {id} from JAGGAER"),
                serde_json::Value::Null,
            ));
        }
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
            // Its supplier may come with the next supplier sync: the invoice waits, and every
            // cycle reads it again (`retry_waiting`) until it is known.
            Err(err) if err.kind == UNKNOWN_SUPPLIER => {
                if prior.is_none_or(|p| p.status != LedgerStatus::Waiting || p.content_hash != hash)
                {
                    commit.audit.push(run.audit(
                        &record,
                        actions::WAITING,
                        err.reason.clone(),
                        serde_json::json!({"field": err.field}),
                    ));
                }
                let mut row = ledger_row(&record, &hash, &ver, None, LedgerStatus::Waiting);
                row.detail = serde_json::json!({"waiting_on": "supplier", "reason": err.reason, "cxml": raw.get("cxml")});
                commit.ledger.push(row);
                run.count(Entity::Invoices, |c| c.waiting += 1);
                continue;
            }
            Err(err) => {
                run.quarantine(&mut commit, &record, &err, raw);
                held(&mut commit, &record, &hash, &ver);
                continue;
            }
        };
        let refdata = run.refdata().await?;
        match plan_voucher(&inv, an8, s, refdata) {
            Ok(plan) => {
                let prior_wait = prior
                    .filter(|p| p.status == LedgerStatus::Waiting)
                    .and_then(|p| p.detail.get("waiting_for"))
                    .and_then(|w| w.as_str())
                    .map(str::to_owned);
                if prior_wait.is_none() {
                    commit.audit.push(run.audit(
                        &record,
                        actions::MAPPED,
                        match &plan.matching {
                            Some(m) => format!("mapped to match voucher {} for supplier {an8}: {} {}, {} lines matched to PO lines, {} distribution lines", plan.edtn, plan.gross, plan.currency, m.lines.len(), plan.lines.len()),
                            None => format!("mapped to voucher {} for supplier {an8}: {} {} in {} lines", plan.edtn, plan.gross, plan.currency, plan.lines.len()),
                        },
                        serde_json::json!({"edtn": plan.edtn, "company": plan.company, "gl_date": plan.gl_date.to_string(), "gl_date_moved_from": plan.gl_date_moved_from.map(|d| d.to_string()), "match": plan.matching.is_some()}),
                    ));
                }
                let planned = Planned {
                    record,
                    plan,
                    hash,
                    raw,
                    version: ver,
                    invoice: inv,
                    prior_wait,
                };
                plans.push(planned);
            }
            Err(err) => {
                run.quarantine(&mut commit, &record, &err, raw);
                held(&mut commit, &record, &hash, &ver);
            }
        }
    }
    if !plans.is_empty() {
        flag_payee_changes(run, &plans, &mut commit).await?;
        post(run, plans, &mut commit).await?;
    }
    Ok(commit)
}

/// Waiting PO-backed invoices (ledger `Waiting` with the invoice kept in its detail), planned
/// again: a receipt or PO line that appeared in JDE since lets them through.
async fn recheck_waiting(run: &Run<'_>) -> Result<(), SyncError> {
    let rows = run
        .engine
        .store
        .ledger_by_status(
            run.tenant(),
            RecordKind::Invoice,
            Some(LedgerStatus::Waiting),
        )
        .await?;
    let mut docs = Vec::new();
    let mut ledger = HashMap::new();
    for l in rows {
        // Invoices waiting for their supplier are read again from their source
        // (`retry_waiting`); pending approvals are decided by AP (`approvals`).
        if l.detail["waiting_on"] == "supplier" || l.detail.get("approval").is_some() {
            continue;
        }
        let Some(inv) = l
            .detail
            .get("invoice")
            .and_then(|v| serde_json::from_value::<Invoice>(v.clone()).ok())
        else {
            continue;
        };
        let raw = l.detail.get("raw").cloned().unwrap_or_default();
        docs.push((l.record.key.clone(), raw, Ok(inv)));
        ledger.insert(l.record.key.clone(), l);
    }
    let mut docs = docs.into_iter().peekable();
    while docs.peek().is_some() {
        let page: Vec<_> = docs.by_ref().take(100).collect();
        let commit = process_with(run, page, &ledger, true).await?;
        run.commit(commit).await?;
    }
    Ok(())
}

/// Flags, on the audit of the invoices about to be vouchered, a payee (or payee address) that
/// changed in JDE after the invoice's approval (`crate::payee`), and keeps the newest flag for
/// the `payee_changed` alert. The vouchers still go: AP's payment run is the control point.
async fn flag_payee_changes(
    run: &Run<'_>,
    plans: &[Planned],
    commit: &mut Commit,
) -> Result<(), SyncError> {
    let mut an8s: Vec<AddressNumber> = plans.iter().map(|p| p.plan.an8).collect();
    an8s.sort_unstable();
    an8s.dedup();
    let states: HashMap<AddressNumber, crate::payee::PayeeState> = run
        .engine
        .jde
        .payees(&an8s)
        .await?
        .into_iter()
        .map(|s| (s.supplier, s))
        .collect();
    let tz = &run.engine.settings.jde_timezone;
    let mut newest = None;
    for p in plans {
        let Ok(approved) = p.version.parse::<Timestamp>() else {
            continue;
        };
        let Some(state) = states.get(&p.plan.an8) else {
            continue;
        };
        if !state.changed_after(approved, tz) {
            continue;
        }
        let message = format!(
            "supplier {}'s payee {} (or its address) changed in JDE at {} (JDE time), after the invoice was approved ({approved}): check the payee before paying voucher {}",
            p.plan.an8,
            state.payee,
            state
                .changed
                .map(|c| c.datetime().to_string())
                .unwrap_or_default(),
            p.plan.edtn
        );
        commit.audit.push(run.audit(
            &p.record,
            crate::payee::ACTION,
            message.clone(),
            serde_json::json!({"supplier": p.plan.an8.to_string(), "payee": state.payee.to_string(), "changed": state.changed.map(|c| c.to_cursor()), "approved": approved}),
        ));
        newest = Some(crate::payee::PayeeFlag {
            at: Timestamp::now(),
            record: p.record.to_string(),
            message,
        });
    }
    if let Some(f) = newest {
        commit.cursors.push((
            run.tenant().clone(),
            crate::payee::FLAG_CURSOR.to_owned(),
            serde_json::to_string(&f).unwrap_or_default(),
        ));
    }
    Ok(())
}

/// What the readiness pre-check of the match vouchers of one chunk knows.
struct MatchFacts {
    available: crate::mapping::matching::Available,
    rules: HashMap<AddressNumber, String>,
}

/// The JDE facts for the readiness pre-check of the match vouchers of a chunk, in bulk: one
/// F4301, one F4311 and one F43121 read per `lines_chunk` POs (and one F0401 read when
/// `match_rule` is blank), never one request per line. `None` when the chunk has no match
/// voucher.
async fn match_facts(run: &Run<'_>, chunk: &[Planned]) -> Result<Option<MatchFacts>, SyncError> {
    let s = &run.engine.settings;
    let jde = &run.engine.jde;
    let mut keys: Vec<mlc_core::ids::OrderKey> = chunk
        .iter()
        .filter_map(|p| p.plan.matching.as_ref())
        .flat_map(|m| m.lines.iter().map(|l| l.key.clone()))
        .collect();
    if keys.is_empty() {
        return Ok(None);
    }
    keys.sort_by(|a, b| (&a.kcoo, &a.dcto, a.doco).cmp(&(&b.kcoo, &b.dcto, b.doco)));
    keys.dedup();
    let (mut headers, mut lines, mut receipts) = (Vec::new(), Vec::new(), Vec::new());
    for part in keys.chunks(s.lines_chunk.max(1)) {
        let (h, l, r) =
            futures::try_join!(jde.po_headers(part), jde.po_lines(part), jde.receipts(part))?;
        headers.extend(h);
        lines.extend(l);
        receipts.extend(r);
    }
    let rules = if s.payables.matching.rule.trim().is_empty() {
        let mut an8s: Vec<AddressNumber> = chunk
            .iter()
            .filter(|p| p.plan.matching.is_some())
            .map(|p| p.plan.an8)
            .collect();
        an8s.sort();
        an8s.dedup();
        jde.supplier_match_rules(&an8s).await?
    } else {
        HashMap::new()
    };
    Ok(Some(MatchFacts {
        available: crate::mapping::matching::Available::new(&headers, &lines, &receipts),
        rules,
    }))
}

/// The readiness pre-check of one match voucher that passed the dedup checks
/// (`mapping::matching::readiness`): true to send it; otherwise it waits (ledger `Waiting`
/// with the invoice kept, re-checked every cycle) or goes to quarantine with the figures.
fn judge(run: &Run<'_>, commit: &mut Commit, p: &Planned, facts: &mut MatchFacts) -> bool {
    use crate::mapping::matching::{Readiness, needs_receipt, readiness};
    let Some(m) = p.plan.matching.as_ref() else {
        return true;
    };
    let verdict = readiness(
        m,
        p.plan.an8,
        &p.plan.currency,
        facts.rules.get(&p.plan.an8).map(String::as_str),
        &facts.available,
        run.engine.settings.payables.matching.tolerance,
    );
    match verdict {
        Readiness::Ready { rule, receipts } => {
            facts.available.claim(m, needs_receipt(&rule));
            let expected: Vec<String> = receipts
                .iter()
                .map(|(line, rs)| match rs.as_slice() {
                    [] => format!("{line} (to the PO line)"),
                    rs => format!(
                        "{line} against receipt {}",
                        rs.iter()
                            .map(|(doc, nlin)| format!("{doc} line {}", nlin.normalize()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
                .collect();
            let detail: Vec<serde_json::Value> = receipts
                .iter()
                .map(|(l, rs)| {
                    serde_json::json!({"po_line": l, "receipts": rs.iter().map(|(d, n)| serde_json::json!({"doc": d, "nlin": n.normalize().to_string()})).collect::<Vec<_>>()})
                })
                .collect();
            commit.audit.push(run.audit(
                &p.record,
                actions::MAPPED,
                format!("ready to match (rule {rule}): {}", expected.join("; ")),
                serde_json::json!({"rule": rule, "lines": detail}),
            ));
            true
        }
        Readiness::Wait(reason) => {
            if p.prior_wait.as_deref() != Some(reason.as_str()) {
                commit.audit.push(run.audit(
                    &p.record,
                    actions::WAITING,
                    reason.clone(),
                    serde_json::Value::Null,
                ));
            }
            let mut row = ledger_row(&p.record, &p.hash, &p.version, None, LedgerStatus::Waiting);
            row.detail = serde_json::json!({
                "waiting_for": reason,
                "invoice": p.invoice,
                "raw": p.raw,
            });
            commit.ledger.push(row);
            run.count(Entity::Invoices, |c| c.waiting += 1);
            false
        }
        Readiness::Refuse(err) => {
            run.quarantine(commit, &p.record, &err, p.raw.clone());
            held(commit, &p.record, &p.hash, &p.version);
            false
        }
    }
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
    .kind(UNKNOWN_SUPPLIER)))
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
    /// The invoice (kept in the ledger while a match voucher waits).
    invoice: Invoice,
    /// Why it waited at the last check, when it did.
    prior_wait: Option<String>,
}

/// A planned invoice that passed the dedup checks, with its batch and final `VINV`.
struct Posting<'a> {
    planned: &'a Planned,
    edbt: String,
    vinv: String,
}

/// Dedup checks and voucher calls for planned invoices.
async fn post(
    run: &Run<'_>,
    mut plans: Vec<Planned>,
    commit: &mut Commit,
) -> Result<(), SyncError> {
    let s = &run.engine.settings;
    let jde = &run.engine.jde;
    for chunk in plans.chunks_mut(100) {
        let mut facts = match_facts(run, chunk).await?;
        if let Some(f) = &facts {
            for p in chunk.iter_mut() {
                if let Some(m) = p.plan.matching.as_mut() {
                    crate::mapping::matching::fill_units(m, &f.available);
                }
            }
        }
        let chunk = &*chunk;
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
                ..
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
                row.detail = posted_detail_of(plan, &z.edbt, &z.vinv);
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
                row.detail = posted_detail_of(plan, &z.edbt, &z.vinv);
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
            let vinv = if plan.credit_memo {
                // Interface §7: a credit memo's VINV is always the supplier's number suffixed
                // `-CM` (`-CM2`, … when taken), whichever arrives first, so it never competes
                // with its invoice for the number and the outcome does not depend on order.
                credit_memo_vinv(&plan.vinv, taken)
            } else {
                match invoice_number_check(theirs, plan) {
                    NumberCheck::Free => plan.vinv.clone(),
                    NumberCheck::Refused(err) => {
                        run.quarantine(commit, record, &err, raw.clone());
                        held(commit, record, hash, ver);
                        continue;
                    }
                    NumberCheck::AlreadyVouchered(v) => {
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
            };
            // The voucher approval gate (issue 19): held vouchers wait for `approvals approve`.
            if super::approvals::hold(run, commit, record, plan, hash, ver, raw, &vinv).await? {
                continue;
            }
            // The readiness pre-check of a match voucher, after the dedup checks: an invoice
            // already in JDE is never judged again.
            if let Some(f) = facts.as_mut()
                && !judge(run, commit, planned, f)
            {
                continue;
            }
            // Match vouchers go in their own batch, never mixed with expense vouchers.
            let edbt = if plan.matching.is_some() {
                run.match_edbt().await?.to_owned()
            } else {
                run.edbt().await?.to_owned()
            };
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
                    let orchestration = if plan.matching.is_some() {
                        s.payables.matching.orchestration.clone()
                    } else {
                        s.voucher_orchestration.clone()
                    };
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
                        ..
                    },
                edbt,
                vinv,
            } = posting;
            match outcome {
                Ok(()) => {
                    let which = crate::processor::Processor::of(plan.matching.is_some());
                    run.wrote[which.index()].store(true, std::sync::atomic::Ordering::Relaxed);
                    commit.audit.push(run.audit(
                        record,
                        actions::CREATED,
                        format!(
                            "{} {} posted to JDE batch {edbt} (supplier {}, VINV {vinv}, {} {})",
                            if plan.matching.is_some() { "match voucher" } else { "voucher" },
                            plan.edtn, plan.an8, plan.gross, plan.currency
                        ),
                        serde_json::json!({"edus": s.batch_user, "edbt": edbt, "edtn": plan.edtn, "vinv": vinv, "kco": plan.company, "lines": plan.lines.len(), "match_lines": plan.matching.as_ref().map(|m| m.lines.len()), "invoice": raw}),
                    ));
                    let mut row = ledger_row(
                        record,
                        hash,
                        ver,
                        Some(format!("{}/{edbt}/{}", s.batch_user, plan.edtn)),
                        LedgerStatus::Posted,
                    );
                    row.detail = posted_detail_of(plan, &edbt, &vinv);

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

/// A credit memo's `VINV`: `BASE-CM`, then `BASE-CM2`, `BASE-CM3`, … up to the first one no
/// voucher of the supplier holds (F0411, F0411Z1 or one of ours posted earlier in the run).
fn credit_memo_vinv(base: &str, taken: impl Fn(&str) -> bool) -> String {
    let first = format!("{base}-CM");
    if !taken(&first) {
        return first;
    }
    // A supplier holds finitely many vouchers, so a free suffix exists; the bound only keeps
    // the loop total.
    (2..=u32::MAX)
        .map(|n| format!("{base}-CM{n}"))
        .find(|v| !taken(v))
        .unwrap_or(first)
}

/// What the vouchers already holding an invoice's number mean for it.
enum NumberCheck<'a> {
    /// Nobody holds it: post with it.
    Free,
    /// A processed voucher of the same sign, currency and amount: the same invoice.
    AlreadyVouchered(&'a ApVoucher),
    /// JDE would refuse it, or it may be a duplicate: quarantined, AP decides.
    Refused(MappingError),
}

/// Whether an invoice (not a credit memo) may take its number. The "same number, other amount"
/// duplicate rule applies only between documents of the same sign: a credit memo (negative
/// gross) holding the number is never what this invoice duplicates.
fn invoice_number_check<'a>(theirs: &'a [ApVoucher], plan: &VoucherPlan) -> NumberCheck<'a> {
    let holders: Vec<&ApVoucher> = theirs
        .iter()
        .filter(|t| normalize(&t.vinv) == normalize(&plan.vinv))
        .collect();
    if holders.is_empty() {
        return NumberCheck::Free;
    }
    let same_sign: Vec<&ApVoucher> = holders
        .iter()
        .copied()
        .filter(|t| !t.gross.is_sign_negative() || t.gross.is_zero())
        .collect();
    if let Some(v) = same_sign.iter().find(|t| t.pending.is_none()) {
        if v.currency.trim() == plan.currency && v.gross.abs() == plan.gross.abs() {
            return NumberCheck::AlreadyVouchered(v);
        }
        // Same supplier and number, another currency or amount: not the same invoice keyed
        // twice but possibly a different one reusing a number. JDE would refuse it; AP decides
        // (never silently "already vouchered").
        return NumberCheck::Refused(
            MappingError::new(
                "header.supplierInvoiceNumber",
                format!(
                    "supplier {} invoice {:?} is already vouchered in JDE as {} {} {} for {} {}, \
                     this invoice is {} {}: a different invoice reusing the number? AP decides",
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
            .kind("duplicate-invoice"),
        );
    }
    if let Some(other) = same_sign.iter().find_map(|t| t.pending.as_deref()) {
        // Another invoice with this supplier and number waits in the Z file: JDE would refuse
        // this one as a duplicate, and it may be the same invoice sent twice.
        return NumberCheck::Refused(
            MappingError::new(
                "header.supplierInvoiceNumber",
                format!(
                    "supplier {} invoice {:?} is already in the voucher batch as {other} (not yet \
                     processed by JDE): a duplicate invoice? AP decides",
                    plan.an8, plan.vinv
                ),
            )
            .kind("duplicate-invoice"),
        );
    }
    // Only credit memos hold the number (keyed by hand, or posted before credit memos always
    // got `-CM`): not a duplicate, but JDE refuses a second voucher with the same supplier and
    // VINV.
    let v = holders.first().copied();
    NumberCheck::Refused(
        MappingError::new(
            "header.supplierInvoiceNumber",
            format!(
                "supplier {} invoice {:?}: the number is held in JDE by a credit memo ({}, {} {}), \
                 and JDE refuses a second voucher with the same supplier and VINV; not a \
                 duplicate. AP decides (rename the credit memo's VINV, then retry)",
                plan.an8,
                plan.vinv,
                v.map(|v| v
                    .pending
                    .clone()
                    .unwrap_or_else(|| format!("{} {} {}", v.doc.doc, v.doc.dct, v.doc.kco)))
                    .unwrap_or_default(),
                v.map(|v| v.gross).unwrap_or_default(),
                v.map(|v| v.currency.trim().to_owned()).unwrap_or_default(),
            ),
        )
        .kind("number-taken"),
    )
}

/// The ledger detail of a posted voucher: what read-back needs, and for a match voucher the
/// PO lines it bills (to find the receipt lines it cleared).
fn posted_detail_of(plan: &VoucherPlan, edbt: &str, vinv: &str) -> serde_json::Value {
    let mut d = super::voucher_status::posted_detail(&plan.edtn, edbt, plan.an8, vinv);
    if let (Some(m), Some(obj)) = (&plan.matching, d.as_object_mut()) {
        obj.insert("match".into(), serde_json::Value::Bool(true));
        obj.insert(
            "po_lines".into(),
            serde_json::json!(m
                .lines
                .iter()
                .map(|l| serde_json::json!({"po": l.key.to_string(), "lnid": l.lnid.normalize().to_string()}))
                .collect::<Vec<_>>()),
        );
    }
    d
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
