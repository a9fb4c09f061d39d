//! `sync`: one cycle now, for every tenant (or one), in dependency order, then exit.
//!
//! Exit status: 0 when every tenant's cycle completed (`ok`, or `partial` with records in
//! quarantine), 1 when one failed (unreachable system, rejected login, paused tenant, store
//! error), 2 for usage errors. With `--json` the §5 summary goes to stdout; logs stay on stderr.
use std::str::FromStr as _;

use anyhow::anyhow;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use mlc_core::record::Entity;
use mlc_engine::summary::{EntityCounts, RunSummary, SummaryStatus, TenantSummary};

use crate::cli::{GlobalArgs, SyncArgs};
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};
use crate::wiring::{self, TenantRuntime};

pub(crate) fn run(global: &GlobalArgs, args: &SyncArgs) -> AppResult {
    let entities = parse_entities(&args.entities)?;
    let settings = load_settings(global)?;
    let (summary, logs) = block_on(async {
        let store = open_store(&settings).await?;
        let tenants = wiring::build_tenants(&settings, store, args.tenant.as_deref()).await?;
        let mut out = Vec::new();
        let mut logs = Vec::new();
        for rt in &tenants {
            if args.dry_run {
                let (summary, log) =
                    crate::commands::dryrun::dry_run_tenant(rt, entities.clone()).await?;
                out.push(summary);
                logs.push(log);
            } else if args.writes {
                let (engine, log) = rt.engine.recording();
                out.push(sync_with(rt, &engine, entities.clone(), "manual").await?);
                logs.push(log);
            } else {
                out.push(sync_tenant(rt, entities.clone(), "manual").await?);
            }
        }
        wiring::logout_all(&tenants).await;
        AppResult::Ok((RunSummary::new(out), logs))
    })??;
    if args.json {
        let mut json = serde_json::to_value(&summary).map_err(AppError::failure)?;
        if args.dry_run || args.writes {
            crate::commands::dryrun::attach(&mut json, &logs, args.dry_run);
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&json).map_err(AppError::failure)?
        );
    } else {
        print!("{}", render(&summary));
        if args.dry_run {
            print!("{}", crate::commands::dryrun::render(&summary, &logs));
        }
    }
    exit_for(&summary)
}

/// `--entity` values, or every entity; unknown names are a usage error listing the valid ones.
pub(crate) fn parse_entities(raw: &[String]) -> AppResult<Vec<Entity>> {
    if raw.is_empty() {
        return Ok(Entity::ALL.to_vec());
    }
    raw.iter()
        .flat_map(|r| r.split(','))
        .map(|r| {
            Entity::from_str(r.trim()).map_err(|_| {
                AppError::usage(anyhow!(
                    "unknown entity {r:?}; expected one of: suppliers, accounts, \
                     purchase-orders, invoices"
                ))
            })
        })
        .collect()
}

/// Runs one tenant's cycle, unless the tenant is paused (then a failed summary says why and
/// how to resume: a paused tenant is never synced behind the operator's back).
pub(crate) async fn sync_tenant(
    rt: &TenantRuntime,
    entities: Vec<Entity>,
    trigger: &str,
) -> AppResult<TenantSummary> {
    sync_with(rt, &rt.engine, entities, trigger).await
}

/// [`sync_tenant`] with `engine` (the tenant's, or one that records its writes).
async fn sync_with(
    rt: &TenantRuntime,
    engine: &mlc_engine::Engine,
    entities: Vec<Entity>,
    trigger: &str,
) -> AppResult<TenantSummary> {
    let store = &rt.engine.store;
    let state = store.tenant_state(&rt.settings.id).await?;
    if state.paused {
        return Ok(TenantSummary {
            tenant: rt.settings.id.to_string(),
            status: SummaryStatus::Failed,
            error: Some(format!(
                "tenant is paused ({}); resume it with `ml-connector tenant resume {}`",
                state.pause_reason.as_deref().unwrap_or("no reason given"),
                rt.settings.id
            )),
            entities: Default::default(),
            duration_ms: 0,
            run_id: None,
            login_rejected: false,
            panicked: false,
        });
    }
    Ok(engine.run_cycle(entities, trigger.to_owned()).await?)
}

/// 0 unless a tenant failed.
pub(crate) fn exit_for(summary: &RunSummary) -> AppResult {
    match summary
        .tenants
        .iter()
        .find(|t| t.status == SummaryStatus::Failed)
    {
        None => Ok(()),
        Some(t) => Err(AppError::failure(anyhow!(
            "tenant {} failed: {}",
            t.tenant,
            t.error.as_deref().unwrap_or("unknown error")
        ))),
    }
}

/// The summary as a table per tenant.
pub(crate) fn render(summary: &RunSummary) -> String {
    let mut out = String::new();
    for t in &summary.tenants {
        let status = match t.status {
            SummaryStatus::Ok => "ok",
            SummaryStatus::Partial => {
                "partial (records in quarantine: `ml-connector quarantine list`)"
            }
            SummaryStatus::Failed => "FAILED",
        };
        out.push_str(&format!(
            "Tenant {}: {status} in {:.1} s{}\n",
            t.tenant,
            t.duration_ms as f64 / 1000.0,
            t.run_id
                .as_deref()
                .map(|r| format!(" (run {r})"))
                .unwrap_or_default()
        ));
        if let Some(e) = &t.error {
            out.push_str(&format!("  error: {e}\n"));
        }
        if t.entities.is_empty() {
            continue;
        }
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(std::iter::once("entity").chain(COUNT_HEADERS));
        for entity in Entity::ALL {
            if let Some(c) = t.entities.get(entity.as_str()) {
                table.add_row(std::iter::once(entity.as_str().to_owned()).chain(count_cells(c)));
            }
        }
        out.push_str(&format!("{table}\n"));
    }
    out
}

/// Column headers of an entity's counts, in [`count_cells`] order.
pub(crate) const COUNT_HEADERS: [&str; 6] = [
    "read",
    "created",
    "updated",
    "unchanged",
    "quarantined",
    "waiting",
];

/// An entity's counts as table cells, in [`COUNT_HEADERS`] order.
pub(crate) fn count_cells(c: &EntityCounts) -> [String; 6] {
    [
        c.read,
        c.created,
        c.updated,
        c.unchanged,
        c.quarantined,
        c.waiting,
    ]
    .map(|n| n.to_string())
}
