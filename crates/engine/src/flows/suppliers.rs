//! Suppliers: F0401 + F0101 (+ F0116, F01151) → JAGGAER supplier profiles, keyed by AN8.
//! Polled on both F0401 and F0101 (a name or tax id change touches only the address book); a
//! supplier put on payment hold is deactivated in JAGGAER, never deleted.
use std::collections::HashSet;

use futures::StreamExt;
use mlc_core::ids::AddressNumber;
use mlc_core::jdetime::JdeStamp;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_store::LedgerStatus;

use super::common::{Outgoing, Written, deliver, finish, jde_window};
use crate::mapping::supplier::map_supplier;
use crate::ports::SupplierTable;
use crate::run::{Run, SyncError};
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
