//! Suppliers: F0401 + F0101 (+ F0116, F01151) → JAGGAER supplier profiles, keyed by AN8.
//! Polled on both F0401 and F0101 (a name or tax id change touches only the address book); a
//! supplier put on payment hold is deactivated in JAGGAER, never deleted.
use std::collections::HashSet;

use futures::StreamExt;
use mlc_core::fingerprint::fingerprint;
use mlc_core::ids::AddressNumber;
use mlc_core::jdetime::JdeStamp;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_store::LedgerStatus;

use super::common::{Outgoing, Written, deliver, deliver_batch, finish, jde_window};
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
    Ok(())
}

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
