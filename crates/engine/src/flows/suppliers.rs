//! Suppliers: F0401 + F0101 (+ F0116, F01151) → JAGGAER supplier profiles, keyed by AN8.
//! Polled on F0401, F0101, F0116 and F01151, each with its own cursor (a name or tax id change
//! touches only the address book, an address or e-mail change only F0116 or F01151). An address
//! dated in the future (EFTB after today) changes no row on the day it takes effect: the cursor
//! `suppliers/F0116-effective` holds the last day whose effective addresses were looked at, and
//! each cycle sends the suppliers with an address effective after it and on or before today (in
//! `jde_timezone`). A
//! supplier the `inactive_suppliers` rule calls closed is deactivated in JAGGAER, never deleted
//! (a payment hold does not deactivate: AP holds payment, buyers may still order).
use std::collections::HashSet;

use futures::StreamExt;
use mlc_core::fingerprint::fingerprint;
use mlc_core::ids::AddressNumber;
use mlc_core::jdetime::{JdeStamp, TimeOfDay};
use mlc_core::record::{RecordKey, RecordKind};
use mlc_store::LedgerStatus;

use super::common::{Outgoing, Written, deliver, deliver_batch, finish, jde_cursor, jde_window};
use crate::mapping::supplier::{SupplierOut, map_supplier};
use crate::ports::{JaggaerSide, RemoteError, SupplierPageOutcome, SupplierTable};
use crate::run::{Run, SyncError};
use crate::settings::Transport;
use crate::window::advance;

pub(crate) async fn run(run: &Run<'_>) -> Result<(), SyncError> {
    let mut seen: HashSet<AddressNumber> = HashSet::new();
    for (table, name) in [
        (SupplierTable::F0401, "suppliers/F0401"),
        (SupplierTable::F0101, "suppliers/F0101"),
        (SupplierTable::F0116, "suppliers/F0116"),
        (SupplierTable::F01151, "suppliers/F01151"),
    ] {
        let (cursor, window) = jde_window(run, name).await?;
        let mut pages = run.engine.jde.supplier_keys_changed(table, &window);
        let mut max: Option<JdeStamp> = None;
        while let Some(page) = pages.next().await {
            let page = page?;
            let mut an8s = Vec::new();
            for (an8, stamp) in page {
                if !window.contains(stamp) {
                    continue;
                }
                max = max.max(Some(stamp));
                if seen.insert(an8) {
                    an8s.push(an8);
                }
            }
            let cursor_value =
                advance(cursor, max, &window).map(|c| (name.to_owned(), c.to_cursor()));
            if an8s.is_empty() {
                finish(run, Default::default(), None, cursor_value).await?;
                continue;
            }
            let (commit, transient) = deliver_suppliers(run, &an8s).await?;
            finish(run, commit, transient, cursor_value).await?;
        }
    }
    effective_addresses(run, &mut seen).await
}

/// Cursor of the last day whose effective-dated addresses were sent.
pub(crate) const EFFECTIVE_CURSOR: &str = "suppliers/F0116-effective";

/// Sends the suppliers whose F0116 address took effect since the last day looked at (a
/// future-dated address becomes current without any row changing). The first sync reads every
/// supplier with its current address, so it only records today.
async fn effective_addresses(
    run: &Run<'_>,
    seen: &mut HashSet<AddressNumber>,
) -> Result<(), SyncError> {
    let today = JdeStamp::now_in(&run.engine.settings.jde_timezone).date;
    let cursor = Some((
        EFFECTIVE_CURSOR.to_owned(),
        JdeStamp::new(today, TimeOfDay::MIDNIGHT).to_cursor(),
    ));
    let last = match jde_cursor(run, EFFECTIVE_CURSOR).await? {
        Some(c) if c.date >= today => return Ok(()),
        Some(c) => c.date,
        None => return finish(run, Default::default(), None, cursor).await,
    };
    // Suppliers already sent in this cycle were read with today's address.
    let an8s: Vec<AddressNumber> = run
        .engine
        .jde
        .addresses_effective(last, today)
        .await?
        .into_iter()
        .filter(|a| seen.insert(*a))
        .collect();
    let mut chunks = an8s.chunks(EFFECTIVE_CHUNK).peekable();
    if chunks.peek().is_none() {
        return finish(run, Default::default(), None, cursor).await;
    }
    while let Some(chunk) = chunks.next() {
        let (commit, transient) = deliver_suppliers(run, chunk).await?;
        // The day is done only with its last chunk.
        let c = if chunks.peek().is_none() {
            cursor.clone()
        } else {
            None
        };
        finish(run, commit, transient, c).await?;
    }
    Ok(())
}

/// Suppliers read at once when sending effective-dated addresses.
const EFFECTIVE_CHUNK: usize = 200;

/// Reads these suppliers afresh and delivers them.
pub(crate) async fn deliver_suppliers(
    run: &Run<'_>,
    an8s: &[AddressNumber],
) -> Result<(mlc_store::Commit, Option<crate::ports::RemoteError>), SyncError> {
    let suppliers = run.engine.jde.suppliers(an8s).await?;
    let items = suppliers
        .into_iter()
        .map(|(s, raw)| Outgoing {
            record: RecordKey::new(RecordKind::Supplier, run.tenant(), s.an8.to_string()),
            version: s.updated.to_cursor(),
            raw,
            out: map_supplier(&s),
            waiting: None,
            detail: serde_json::Value::Null,
        })
        .collect();
    let jag = &run.engine.jag;
    if run.engine.settings.transport == Transport::Xml {
        let jag = jag.clone();
        return deliver_batch(run, items, Some(RecordKind::Supplier), |batch| async move {
            let page: Vec<SupplierOut> = batch.into_iter().map(|(s, _)| s).collect();
            send_page_xml(jag.as_ref(), &page)
                .await
                .into_iter()
                .zip(&page)
                .map(|(r, s)| Some(r.map(|()| written(s))))
                .collect()
        })
        .await;
    }
    deliver(run, items, Some(RecordKind::Supplier), |out, _| {
        let jag = jag.clone();
        let active = out.active;
        async move {
            let id = jag.upsert_supplier(&out).await?;
            Ok(Written {
                remote_id: id,
                status: if active {
                    LedgerStatus::Synced
                } else {
                    LedgerStatus::Inactive
                },
            })
        }
    })
    .await
}

/// The ledger row of a supplier delivered over the XML Router: JAGGAER's reply carries no id,
/// and the key JAGGAER matches on is the AN8 (`ERPNumber`), so that is the cross reference.
fn written(s: &SupplierOut) -> Written {
    Written {
        remote_id: s.ext_code.clone(),
        status: if s.active {
            LedgerStatus::Synced
        } else {
            LedgerStatus::Inactive
        },
    }
}

/// The `MessageId` of a message carrying these suppliers: stable for the same versions (a
/// resend after a crash is recognisable), new when any of them changed. Built from the records'
/// fingerprints, the same hashes the ledger keeps.
pub(crate) fn supplier_message_id(page: &[SupplierOut]) -> String {
    let keys: Vec<&str> = page.iter().map(|s| s.ext_code.as_str()).collect();
    let versions: Vec<String> = page.iter().map(fingerprint).collect();
    mlc_jaggaer::xml::message_id_for("supplier", &keys.join(","), &versions.join(","))
}

/// Sends a page of suppliers as one XML message; one result per supplier, in order. When
/// JAGGAER applied only part of the page (or refused the whole message) without saying which
/// supplier failed, the page is re-sent one supplier per message so only the failing one is
/// quarantined with JAGGAER's text. Any other failure applies to every supplier of the page.
pub(crate) async fn send_page_xml(
    jag: &dyn JaggaerSide,
    page: &[SupplierOut],
) -> Vec<Result<(), RemoteError>> {
    if page.is_empty() {
        return Vec::new();
    }
    let whole = jag
        .send_suppliers_xml(page, &supplier_message_id(page))
        .await;
    let split = match &whole {
        Ok(SupplierPageOutcome::Complete) => return page.iter().map(|_| Ok(())).collect(),
        Ok(SupplierPageOutcome::Partial {
            attempted,
            completed,
        }) => {
            tracing::info!(
                attempted,
                completed,
                suppliers = page.len(),
                "JAGGAER applied part of a supplier page; re-sending one supplier per message"
            );
            true
        }
        Err(e) => e.is_record_refusal() && page.len() > 1,
    };
    if !split {
        let e = whole.expect_err("only failures are not split");
        return page.iter().map(|_| Err(e.clone())).collect();
    }
    let mut out = Vec::with_capacity(page.len());
    for s in page {
        let one = std::slice::from_ref(s);
        out.push(
            match jag.send_suppliers_xml(one, &supplier_message_id(one)).await {
                Ok(SupplierPageOutcome::Complete) => Ok(()),
                Ok(SupplierPageOutcome::Partial { .. }) => Err(RemoteError::new(
                    "jaggaer",
                    crate::ports::RemoteErrorKind::RecordRefused,
                    format!(
                        "supplier {} was not applied by JAGGAER (completed 0 of 1)",
                        s.ext_code
                    ),
                )),
                Err(e) => Err(e),
            },
        );
    }
    out
}
