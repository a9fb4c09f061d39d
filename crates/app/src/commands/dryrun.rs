//! `sync --dry-run`: one cycle through [`mlc_engine::Engine::dry_run`] (reads as a real cycle,
//! writes nothing anywhere), and how its planned writes and quarantines are shown. Also used
//! by `golive-check`.
use std::collections::BTreeMap;
use std::sync::Arc;

use mlc_core::Decimal;
use mlc_core::record::Entity;
use mlc_engine::dryrun::{PlannedWrite, WriteLog};
use mlc_engine::summary::{RunSummary, TenantSummary};

use crate::error::AppResult;
use crate::wiring::TenantRuntime;

/// Runs a dry cycle for one tenant. A paused tenant is dry-run too (nothing is written, and
/// cut-over starts with the tenant paused).
pub(crate) async fn dry_run_tenant(
    rt: &TenantRuntime,
    entities: Vec<Entity>,
) -> AppResult<(TenantSummary, Arc<WriteLog>)> {
    let (engine, log) = rt.engine.dry_run();
    let mut summary = engine.run_cycle(entities, "dry-run".to_owned()).await?;
    // No run was recorded.
    summary.run_id = None;
    Ok((summary, log))
}

/// Adds `dry_run`, and per tenant its `writes` (and for a dry run the `quarantine` list), to
/// the §5 summary JSON.
pub(crate) fn attach(json: &mut serde_json::Value, logs: &[Arc<WriteLog>], dry_run: bool) {
    json["dry_run"] = serde_json::Value::Bool(dry_run);
    if let Some(tenants) = json["tenants"].as_array_mut() {
        for (t, log) in tenants.iter_mut().zip(logs) {
            t["writes"] = serde_json::to_value(log.writes()).unwrap_or_default();
            if dry_run {
                t["quarantine"] = serde_json::to_value(log.quarantined()).unwrap_or_default();
            }
        }
    }
}

/// What the dry run would have written, per tenant, after the counts table.
pub(crate) fn render(summary: &RunSummary, logs: &[Arc<WriteLog>]) -> String {
    let mut out = String::from("Dry run: nothing was written to JAGGAER, JDE or the store.\n");
    for (t, log) in summary.tenants.iter().zip(logs) {
        let writes = log.writes();
        out.push_str(&format!(
            "Tenant {}: the cycle would make {} write(s)",
            t.tenant,
            writes.len()
        ));
        let mut by_action: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for w in &writes {
            *by_action.entry((w.system, w.action)).or_default() += 1;
        }
        let parts: Vec<String> = by_action
            .iter()
            .map(|((s, a), n)| format!("{n} {s} {a}"))
            .collect();
        if parts.is_empty() {
            out.push_str(".\n");
        } else {
            out.push_str(&format!(": {}.\n", parts.join(", ")));
        }
        for (key, (n, total)) in voucher_totals(&writes) {
            out.push_str(&format!(
                "  vouchers for company {} in {}: {n}, total {total}\n",
                key.0, key.1
            ));
        }
        out.push_str(&render_quarantine(log));
        out.push_str("  `sync --dry-run --json` lists every payload.\n");
    }
    out
}

/// The records a dry run would quarantine, grouped by reason kind.
pub(crate) fn render_quarantine(log: &WriteLog) -> String {
    let q = log.quarantined();
    if q.is_empty() {
        return "  Nothing would be quarantined.\n".to_owned();
    }
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in &q {
        groups.entry(&e.reason_kind).or_default().push(&e.reason);
    }
    let mut out = format!("  {} record(s) would be quarantined:\n", q.len());
    for (kind, reasons) in groups {
        out.push_str(&format!("    {kind} ({}):\n", reasons.len()));
        for r in reasons {
            out.push_str(&format!("      {r}\n"));
        }
    }
    out
}

/// Planned vouchers per (company `KCO`, currency `CRCD`): how many and their gross total (in
/// the invoice currency: `ACR` for foreign vouchers, else `AG`).
pub(crate) fn voucher_totals(
    writes: &[PlannedWrite],
) -> BTreeMap<(String, String), (u64, Decimal)> {
    let mut out: BTreeMap<(String, String), (u64, Decimal)> = BTreeMap::new();
    for w in writes.iter().filter(|w| w.action == "voucher") {
        let inputs = w.payload["input"]["inputs"].as_array();
        let get = |name: &str| {
            inputs.and_then(|i| {
                i.iter()
                    .find(|x| x["name"] == name)
                    .and_then(|x| x["value"].as_str())
                    .map(str::to_owned)
            })
        };
        let foreign = get("CRRM").as_deref() == Some("F");
        let amount = if foreign { get("ACR") } else { get("AG") }
            .and_then(|a| a.parse::<Decimal>().ok())
            .unwrap_or_default();
        let e = out
            .entry((
                get("KCO").unwrap_or_default(),
                get("CRCD").unwrap_or_default(),
            ))
            .or_default();
        e.0 += 1;
        e.1 += amount;
    }
    out
}
