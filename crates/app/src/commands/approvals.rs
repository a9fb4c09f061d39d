//! `approvals list|approve|reject`: vouchers held by `[tenants.mapping] voucher_approval`.
//!
//! A held voucher is the `waiting` ledger row of its invoice with the plan under
//! `detail.approval` (see `mlc_engine::flows::approvals`). Approving sets its state to
//! `approved` (who and when) in one store commit with the audit event; the next cycle posts it.
//! Rejecting puts the invoice in the quarantine with the reason at once, in the same commit.
//! Only the store is needed, not the vault or the remote systems.
use anyhow::anyhow;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use mlc_core::ids::TenantId;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_engine::approvals::{Decision, PENDING, decide, pending};
use mlc_store::{LedgerEntry, LedgerStatus, StateStore};

use crate::cli::{ApprovalsCommand, GlobalArgs};
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};

pub(crate) fn run(global: &GlobalArgs, cmd: &ApprovalsCommand) -> AppResult {
    let settings = load_settings(global)?;
    block_on(async {
        let store = open_store(&settings).await?;
        match cmd {
            ApprovalsCommand::List { tenant, json } => {
                let pending = pending(&*store, &tenants(&settings, tenant.as_deref())?).await?;
                print_list(&pending, *json)
            }
            ApprovalsCommand::Approve { ids, all, tenant } => {
                let ts = tenants(&settings, tenant.as_deref())?;
                let targets: Vec<LedgerEntry> = if *all {
                    pending(&*store, &ts).await?
                } else {
                    let mut v = Vec::new();
                    for id in ids {
                        v.push(find(&*store, &ts, id).await?);
                    }
                    v
                };
                if targets.is_empty() {
                    println!("No vouchers wait for approval.");
                }
                for row in targets {
                    println!("{}", decide(&*store, row, Decision::Approve, &who()).await?);
                }
                Ok(())
            }
            ApprovalsCommand::Reject { id, reason, tenant } => {
                if reason.trim().is_empty() {
                    return Err(AppError::usage(anyhow!("--reason must say why")));
                }
                let ts = tenants(&settings, tenant.as_deref())?;
                let row = find(&*store, &ts, id).await?;
                let d = Decision::Reject(reason.trim().to_owned());
                println!("{}", decide(&*store, row, d, &who()).await?);
                Ok(())
            }
        }
    })?
}

/// The OS user making the decision (for the audit trail).
pub(crate) fn who() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown OS user".to_owned())
}

fn tenants(settings: &Settings, only: Option<&str>) -> AppResult<Vec<TenantId>> {
    let all: Vec<TenantId> = settings.tenants.iter().map(|t| t.id.clone()).collect();
    match only {
        None => Ok(all),
        Some(t) => all
            .into_iter()
            .find(|id| id.as_str() == t)
            .map(|id| vec![id])
            .ok_or_else(|| AppError::usage(anyhow!("no tenant {t:?} in the config"))),
    }
}

/// The pending voucher of invoice `id` in one of `tenants`.
async fn find(store: &dyn StateStore, tenants: &[TenantId], id: &str) -> AppResult<LedgerEntry> {
    let mut found = Vec::new();
    for t in tenants {
        let key = RecordKey::new(RecordKind::Invoice, t, id.to_owned());
        if let Some(l) = store.ledger(&key).await? {
            found.push(l);
        }
    }
    let pending: Vec<_> = found
        .iter()
        .filter(|l| l.status == LedgerStatus::Waiting && l.detail["approval"]["state"] == PENDING)
        .cloned()
        .collect();
    match pending.len() {
        1 => Ok(pending.into_iter().next().expect("one")),
        0 => {
            let state = found
                .first()
                .map(|l| match l.detail["approval"]["state"].as_str() {
                    Some(s) => format!("its voucher is {s}"),
                    None => format!("it is {:?} in the ledger", l.status),
                })
                .unwrap_or_else(|| "the connector has not seen it".to_owned());
            Err(AppError::usage(anyhow!(
                "invoice {id} has no voucher waiting for approval ({state}); \
                 `ml-connector approvals list` shows those that do"
            )))
        }
        _ => Err(AppError::usage(anyhow!(
            "invoice {id} waits in several tenants; name one with --tenant"
        ))),
    }
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn print_list(rows: &[LedgerEntry], json: bool) -> AppResult {
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|l| {
                let mut a = l.detail["approval"].clone();
                a["id"] = l.record.key.clone().into();
                a["tenant"] = l.record.tenant.to_string().into();
                a
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).map_err(AppError::failure)?
        );
        return Ok(());
    }
    if rows.is_empty() {
        println!("No vouchers wait for approval.");
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "id (invoice)",
            "tenant",
            "voucher (EDTN)",
            "supplier",
            "VINV",
            "company",
            "gross",
            "lines",
            "waiting since",
        ]);
    for l in rows {
        let a = &l.detail["approval"];
        table.add_row(vec![
            l.record.key.clone(),
            l.record.tenant.to_string(),
            text(&a["edtn"]),
            text(&a["an8"]),
            text(&a["vinv"]),
            text(&a["company"]),
            format!("{} {}", text(&a["gross"]), text(&a["currency"])),
            text(&a["lines"]),
            text(&a["requested_at"]),
        ]);
    }
    println!("{table}");
    println!(
        "`ml-connector approvals list --json` shows every plan line; approve with \
         `ml-connector approvals approve ID...` (or --all), reject with `ml-connector approvals \
         reject ID --reason TEXT`."
    );
    Ok(())
}
