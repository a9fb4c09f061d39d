//! The four flows of a cycle, in dependency order, and what they share.
pub(crate) mod accounts;
pub(crate) mod approvals;
pub(crate) mod common;
pub(crate) mod invoices;
pub(crate) mod purchase_orders;
pub(crate) mod suppliers;
pub(crate) mod voucher_status;

use mlc_core::record::{RecordKey, RecordKind};

use crate::run::{Run, SyncError};

/// Reads one record afresh from its source and delivers it (`quarantine retry`).
pub(crate) async fn retry(
    run: &Run<'_>,
    record: &RecordKey,
    payload: &serde_json::Value,
) -> Result<(), SyncError> {
    match record.kind {
        RecordKind::Supplier => {
            let an8 = record
                .key
                .parse()
                .map_err(|_| not_retryable(record, "bad supplier number"))?;
            let (commit, transient) = suppliers::deliver_suppliers(run, &[an8]).await?;
            common::finish(run, commit, transient, None).await
        }
        RecordKind::Po => {
            let key: mlc_core::ids::OrderKey = record
                .key
                .parse()
                .map_err(|_| not_retryable(record, "bad PO key"))?;
            let headers = run
                .engine
                .jde
                .po_headers(std::slice::from_ref(&key))
                .await?;
            let lines = purchase_orders::fetch_lines(run, &headers).await?;
            purchase_orders::deliver_pos(run, headers, lines, None).await
        }
        RecordKind::Invoice => {
            let decoded = match payload.get("cxml").and_then(|x| x.as_str()) {
                Some(xml) => (payload.clone(), run.engine.jag.decode_cxml_invoice(xml)),
                None => run.engine.jag.invoice(&record.key).await?,
            };
            let ledger = run
                .engine
                .store
                .ledger_many(
                    run.tenant(),
                    RecordKind::Invoice,
                    std::slice::from_ref(&record.key),
                )
                .await?;
            let commit = invoices::process(
                run,
                vec![(record.key.clone(), decoded.0, decoded.1)],
                &ledger,
            )
            .await?;
            run.commit(commit).await?;
            Ok(())
        }
        RecordKind::Account | RecordKind::CostCenter => Err(not_retryable(
            record,
            "value lists are re-sent by `backfill --entity accounts`",
        )),
    }
}

fn not_retryable(record: &RecordKey, why: &str) -> SyncError {
    SyncError::NotRetryable {
        record: record.clone(),
        why: why.to_owned(),
    }
}
