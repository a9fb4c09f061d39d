//! Purchase orders: F4301 + F4311 → JAGGAER, polled on both tables by `(UPMJ, TDAY)`.
//!
//! Pass 1 reads changed headers page by page and, per page, all their lines in bulk (`DOCO`
//! LIST reads, `lines_chunk` POs per request). Pass 2 reads changed lines (receipts, closures
//! and price changes touch only lines) and, for POs pass 1 did not already handle, their headers
//! and lines in bulk. On the first sync pass 1 covers everything, so pass 2 only sets its cursor.
use std::collections::{BTreeMap, HashMap, HashSet};

use futures::StreamExt;
use mlc_core::fingerprint::fingerprint;
use mlc_core::ids::{AddressNumber, OrderKey};
use mlc_core::jdetime::JdeStamp;
use mlc_core::model::{PoLine, PoStatus};
use mlc_core::record::{RecordKey, RecordKind};
use mlc_store::LedgerStatus;

use super::common::{Outgoing, Written, deliver, finish, jde_window};
use crate::mapping::purchase_order::{PoOut, UNKNOWN_SUPPLIER, map_po};
use crate::ports::{CxmlOrderKind, PoHeader, PoLineRow, RemoteError};
use crate::run::{Run, SyncError};
use crate::settings::Transport;
use crate::window::advance;

const HEADERS: &str = "purchase-orders/F4301";
const LINES: &str = "purchase-orders/F4311";

pub(crate) async fn run(run: &Run<'_>) -> Result<(), SyncError> {
    let s = &run.engine.settings;
    let mut seen: HashSet<OrderKey> = HashSet::new();

    // Pass 1: headers.
    let (h_cursor, h_window) = jde_window(run, HEADERS).await?;
    let (l_cursor, l_window) = jde_window(run, LINES).await?;
    let first_sync = l_cursor.is_none();
    if first_sync {
        // Pass 1 of the first sync reads every line of every PO in scope as it is now, so line
        // changes only matter from here on: start the line cursor at this poll's upper bound.
        // Set before pass 1, so a crash in the middle of it cannot leave line changes unread.
        let start = advance(None, Some(l_window.hi), &l_window).expect("a stamp was given");
        run.engine
            .store
            .set_cursor(run.tenant(), LINES, Some(&start.to_cursor()))
            .await?;
    }
    let pages = run.engine.jde.po_headers_changed(
        &h_window,
        &s.po_order_types,
        if h_cursor.is_none() {
            s.start_date
        } else {
            None
        },
    );
    let mut max: Option<JdeStamp> = None;
    // Pipelined: the next page of headers and its lines are read from JDE while this page is
    // written to JAGGAER (joined, since a stream makes progress only while polled).
    // Each page is handled in batches of `lines_chunk` POs (one bulk line read each), so memory
    // holds two batches of POs with their lines, not two pages. Rows come in stamp order, so
    // the cursor after a batch never passes a row of a later batch.
    let batch = s.lines_chunk.max(1);
    let batches = pages.flat_map(move |page| {
        let items: Vec<Result<Vec<PoHeader>, RemoteError>> = match page {
            Ok(rows) if rows.is_empty() => vec![Ok(rows)],
            Ok(rows) => {
                let mut out = Vec::with_capacity(rows.len().div_ceil(batch));
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    out.push(Ok(rows.by_ref().take(batch).collect()));
                }
                out
            }
            Err(e) => vec![Err(e)],
        };
        futures::stream::iter(items)
    });
    let seen_ref = &mut seen;
    let mut prepared = batches
        .then(|page| {
            let picked = page.map(|rows| {
                let mut headers = Vec::new();
                let mut page_max: Option<JdeStamp> = None;
                for h in rows {
                    if !h_window.contains(h.stamp) {
                        continue;
                    }
                    page_max = page_max.max(Some(h.stamp));
                    if in_scope(run, &h) && seen_ref.insert(h.key.clone()) {
                        headers.push(h);
                    }
                }
                (headers, page_max)
            });
            async move {
                let (headers, page_max) = picked?;
                let lines = fetch_lines(run, &headers).await?;
                Ok::<_, SyncError>((headers, lines, page_max))
            }
        })
        .boxed();
    let mut current = prepared.next().await;
    while let Some(p) = current {
        let (headers, lines, page_max) = p?;
        max = max.max(page_max);
        let cursor = advance(h_cursor, max, &h_window).map(|c| (HEADERS.to_owned(), c.to_cursor()));
        let (delivered, next) =
            futures::join!(deliver_pos(run, headers, lines, cursor), prepared.next());
        delivered?;
        current = next;
    }
    drop(prepared);

    // Pass 2: lines.
    if !first_sync {
        changed_lines(run, l_cursor, &l_window, &mut seen).await?;
    }
    // Pass 3: POs that wait (on their supplier, or on hold), read again even though JDE did not
    // change them: the supplier may have synced since.
    retry_waiting(run, &seen).await
}

/// Reads again, from JDE, every PO whose ledger row is `Waiting` (and that this cycle did not
/// already handle), and delivers it: the one way every wait of a PO ends.
pub(crate) async fn retry_waiting(
    run: &Run<'_>,
    seen: &HashSet<OrderKey>,
) -> Result<(), SyncError> {
    let waiting = run
        .engine
        .store
        .ledger_by_status(run.tenant(), RecordKind::Po, Some(LedgerStatus::Waiting))
        .await?;
    let keys: Vec<OrderKey> = waiting
        .iter()
        .filter_map(|l| l.record.key.parse::<OrderKey>().ok())
        .filter(|k| !seen.contains(k))
        .collect();
    for chunk in keys.chunks(run.engine.settings.lines_chunk.max(1)) {
        let headers: Vec<PoHeader> = run
            .engine
            .jde
            .po_headers(chunk)
            .await?
            .into_iter()
            .filter(|h| in_scope(run, h))
            .collect();
        let lines = fetch_lines(run, &headers).await?;
        deliver_pos(run, headers, lines, None).await?;
    }
    Ok(())
}

async fn changed_lines(
    run: &Run<'_>,
    l_cursor: Option<JdeStamp>,
    l_window: &crate::window::Window,
    seen: &mut HashSet<OrderKey>,
) -> Result<(), SyncError> {
    let s = &run.engine.settings;
    let mut pages = run.engine.jde.po_lines_changed(l_window, &s.po_order_types);
    let mut max: Option<JdeStamp> = None;
    while let Some(page) = pages.next().await {
        let mut keys = Vec::new();
        for l in page? {
            if !l_window.contains(l.stamp) {
                continue;
            }
            max = max.max(Some(l.stamp));
            if seen.insert(l.key.clone()) {
                keys.push(l.key);
            }
        }
        let cursor = advance(l_cursor, max, l_window).map(|c| (LINES.to_owned(), c.to_cursor()));
        let mut headers = Vec::new();
        for chunk in keys.chunks(s.lines_chunk.max(1)) {
            headers.extend(
                run.engine
                    .jde
                    .po_headers(chunk)
                    .await?
                    .into_iter()
                    .filter(|h| in_scope(run, h)),
            );
        }
        let lines = fetch_lines(run, &headers).await?;
        deliver_pos(run, headers, lines, cursor).await?;
    }
    Ok(())
}

/// Order types and cut-over.
fn in_scope(run: &Run<'_>, h: &PoHeader) -> bool {
    let s = &run.engine.settings;
    s.po_order_types.iter().any(|t| t == &h.key.dcto)
        && s.start_date
            .is_none_or(|d| h.order_date.is_none_or(|o| o >= d))
}

/// All lines of these POs, in bulk reads of `lines_chunk` POs (run concurrently, bounded by the
/// client's `max_in_flight`).
pub(crate) async fn fetch_lines(
    run: &Run<'_>,
    headers: &[PoHeader],
) -> Result<Vec<PoLineRow>, RemoteError> {
    let keys: Vec<OrderKey> = headers.iter().map(|h| h.key.clone()).collect();
    let chunks: Vec<Vec<OrderKey>> = keys
        .chunks(run.engine.settings.lines_chunk.max(1))
        .map(<[OrderKey]>::to_vec)
        .collect();
    let jde = run.engine.jde.clone();
    let results: Vec<Result<Vec<PoLineRow>, RemoteError>> = futures::stream::iter(chunks)
        .map(|c| {
            let jde = jde.clone();
            async move { jde.po_lines(&c).await }
        })
        .buffered(4)
        .collect()
        .await;
    let mut out = Vec::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

pub(crate) async fn deliver_pos(
    run: &Run<'_>,
    headers: Vec<PoHeader>,
    lines: Vec<PoLineRow>,
    cursor: Option<(String, String)>,
) -> Result<(), SyncError> {
    if headers.is_empty() {
        return finish(run, Default::default(), None, cursor).await;
    }
    let mut by_po: HashMap<OrderKey, Vec<PoLineRow>> = HashMap::new();
    for l in lines {
        by_po.entry(l.key.clone()).or_default().push(l);
    }
    // Cross references of the suppliers of this page (suppliers sync first).
    let mut bravo: BTreeMap<String, Option<String>> = BTreeMap::new();
    for h in &headers {
        let an8 = h.supplier.to_string();
        if let std::collections::btree_map::Entry::Vacant(slot) = bravo.entry(an8) {
            let id = run
                .engine
                .store
                .xref_remote(run.tenant(), RecordKind::Supplier, slot.key())
                .await?;
            slot.insert(id);
        }
    }
    // The ship-to and buyer entries of this batch, in one read.
    let mut numbers: Vec<AddressNumber> = headers
        .iter()
        .flat_map(|h| [h.content.ship_to, h.content.buyer])
        .flatten()
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    let parties = run.engine.jde.parties(&numbers).await?;
    let items: Vec<Outgoing<PoOut>> = headers
        .into_iter()
        .map(|h| {
            let mut rows = by_po.remove(&h.key).unwrap_or_default();
            rows.sort_by_key(|r| r.line.line_number);
            let updated = rows.iter().map(|r| r.stamp).chain([h.stamp]).max().unwrap_or(h.stamp);
            let raw = serde_json::json!({"F4301": h.raw.clone(), "F4311": rows.iter().map(|r| r.raw.clone()).collect::<Vec<_>>()});
            let record = RecordKey::new(RecordKind::Po, run.tenant(), h.key.to_string());
            let waiting = (!h.hold_code.trim().is_empty()).then(|| format!("PO {} is on hold (HOLD {}); it is sent once released", h.key, h.hold_code.trim()));
            let lines: Vec<PoLine> = rows.iter().map(|r| r.line.clone()).collect();
            let bravo_id = bravo.get(&h.supplier.to_string()).cloned().flatten();
            let out = map_po(&h, &lines, bravo_id.as_deref(), &parties);
            // A PO whose supplier is not in JAGGAER yet waits for it (it goes out by itself in
            // the cycle after the supplier synced: waiting POs are read again every cycle).
            let waiting = match &out {
                Err(e) if e.kind == UNKNOWN_SUPPLIER => Some(e.reason.clone()),
                _ => waiting,
            };
            let detail = match &out {
                Ok(o) => serde_json::json!({"sent": {"total": o.total.to_string(), "lines": o.lines.iter().map(|l| l.line_number.to_string()).collect::<Vec<_>>()}}),
                Err(_) => serde_json::Value::Null,
            };
            Outgoing { record, version: updated.to_cursor(), raw, out, waiting, detail }
        })
        .collect();
    let jag = run.engine.jag.clone();
    let transport = run.engine.settings.transport;
    let tenant = run.tenant().to_string();
    let (commit, transient) = deliver(run, items, Some(RecordKind::Po), |po, prior| {
        let jag = jag.clone();
        let first = prior.is_none_or(|p| p.remote_id.is_none());
        let tenant = tenant.clone();
        async move {
            match transport {
                Transport::Rest => Ok(Written {
                    remote_id: jag.upsert_po(&po).await?,
                    status: LedgerStatus::Synced,
                }),
                Transport::Cxml => {
                    let kind = if po.status == PoStatus::Cancelled {
                        CxmlOrderKind::Delete
                    } else if first {
                        CxmlOrderKind::New
                    } else {
                        CxmlOrderKind::Update
                    };
                    jag.send_po_cxml(&po, kind, &payload_id(&tenant, &po))
                        .await?;
                    Ok(Written {
                        remote_id: po.po_number.clone(),
                        status: LedgerStatus::Synced,
                    })
                }
                Transport::Xml => {
                    send_po_xml(jag.as_ref(), &po, first).await?;
                    Ok(Written {
                        remote_id: po.po_number.clone(),
                        status: LedgerStatus::Synced,
                    })
                }
            }
        }
    })
    .await?;
    finish(run, commit, transient, cursor).await
}

/// Sends a PO over the XML Router: `cancel` when every line is cancelled, new the first time,
/// `update` after. A "new" PO JAGGAER says already exists (we crashed after it took the first
/// send, before the ledger row was written) is sent again as an update. The `MessageId` is
/// stable per PO version and message type (from the PO's fingerprint).
pub(crate) async fn send_po_xml(
    jag: &dyn crate::ports::JaggaerSide,
    po: &PoOut,
    first: bool,
) -> Result<(), RemoteError> {
    let kind = if po.status == PoStatus::Cancelled {
        CxmlOrderKind::Delete
    } else if first {
        CxmlOrderKind::New
    } else {
        CxmlOrderKind::Update
    };
    let version = fingerprint(po);
    let id = |k: CxmlOrderKind| {
        mlc_jaggaer::xml::message_id_for(&format!("po-{k:?}"), &po.po_number, &version)
    };
    match jag.send_po_xml(po, kind, &id(kind)).await {
        Err(e)
            if kind == CxmlOrderKind::New
                && e.is_record_refusal()
                && already_exists(&e.message) =>
        {
            tracing::info!(po = %po.po_number, "JAGGAER already holds this PO; sending it as an update");
            jag.send_po_xml(po, CxmlOrderKind::Update, &id(CxmlOrderKind::Update))
                .await
        }
        other => other,
    }
}

/// JAGGAER's words for a new PO whose number it already holds.
pub(crate) fn already_exists(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("already exists") || m.contains("already exist") || m.contains("duplicate po")
}

/// Deterministic per PO version: a resend of the same version reuses it, a change gets a new one.
pub(crate) fn payload_id(tenant: &str, po: &PoOut) -> String {
    format!(
        "{}.{}.{}@ml-connector",
        &fingerprint(po)[..20],
        po.po_number,
        tenant
    )
}
