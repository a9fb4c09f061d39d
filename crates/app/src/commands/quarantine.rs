//! `quarantine list|show|retry|discard`: records that could not be synced, with the reason
//! (naming the record and field) and the original payload.
//!
//! `retry` reads the record afresh from its source (JAGGAER for an invoice, JDE for a PO or a
//! supplier) and sends it through the same pipeline and the same dedup checks as a cycle, so
//! retrying can never write a record twice. It goes through (the entry is resolved) or comes
//! back with the new reason.
use std::collections::BTreeMap;

use anyhow::anyhow;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use mlc_core::ids::TenantId;
use mlc_engine::summary::SummaryStatus;
use mlc_store::{QuarantineEntry, QuarantineStatus, StateStore};

use crate::cli::{GlobalArgs, QuarantineCommand};
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};
use crate::server::console::{Retrier, RetryOutcome};
use crate::wiring::{self, TenantRuntime};
use std::sync::Arc;

pub(crate) fn run(global: &GlobalArgs, cmd: &QuarantineCommand) -> AppResult {
    let settings = load_settings(global)?;
    block_on(async {
        let store = open_store(&settings).await?;
        match cmd {
            QuarantineCommand::List { all, tenant, json } => {
                list(&*store, *all, tenant.as_deref(), *json).await
            }
            QuarantineCommand::Show { id, json } => show(&*store, *id, *json).await,
            QuarantineCommand::Retry { id, all } => retry(&settings, store, *id, *all).await,
            QuarantineCommand::Discard { id, reason } => discard(&*store, *id, reason).await,
        }
    })?
}

async fn list(store: &dyn StateStore, all: bool, tenant: Option<&str>, json: bool) -> AppResult {
    let tenant = tenant
        .map(|t| TenantId::parse(t).map_err(|e| AppError::usage(anyhow!("--tenant {t:?}: {e}"))))
        .transpose()?;
    let entries = store.quarantine_list(tenant.as_ref(), !all).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&entries).map_err(AppError::failure)?
        );
        return Ok(());
    }
    if entries.is_empty() {
        println!(
            "{}",
            if all {
                "The quarantine is empty."
            } else {
                "No open quarantine entries."
            }
        );
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "id",
            "record",
            "status",
            "attempts",
            "since (UTC)",
            "reason",
        ]);
    for e in &entries {
        table.add_row(vec![
            e.id.to_string(),
            e.entry.record.to_string(),
            e.status.as_str().to_owned(),
            e.attempts.to_string(),
            e.created_at.strftime("%Y-%m-%d %H:%M").to_string(),
            e.entry.reason.clone(),
        ]);
    }
    println!("{table}");
    println!(
        "`ml-connector quarantine show ID` shows the original payload; fix the cause, then \
         `ml-connector quarantine retry ID` (or --all)."
    );
    Ok(())
}

async fn get(store: &dyn StateStore, id: i64) -> AppResult<QuarantineEntry> {
    store.quarantine_get(id).await.map_err(|e| match e {
        mlc_store::StoreError::NotFound { .. } => AppError::usage(anyhow!(
            "no quarantine entry {id}; `ml-connector quarantine list --all` lists them"
        )),
        other => other.into(),
    })
}

async fn show(store: &dyn StateStore, id: i64, json: bool) -> AppResult {
    let e = get(store, id).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&e).map_err(AppError::failure)?
        );
        return Ok(());
    }
    println!("Quarantine entry {}", e.id);
    println!("  record:   {}", e.entry.record);
    println!("  status:   {}", e.status.as_str());
    println!("  reason:   {} ({})", e.entry.reason, e.entry.reason_kind);
    if let Some(f) = &e.entry.field {
        println!("  field:    {f}");
    }
    println!("  attempts: {}", e.attempts);
    println!("  since:    {}", e.created_at);
    println!("  updated:  {}", e.updated_at);
    if let Some(run) = &e.entry.run_id {
        println!("  run:      {}", run.0);
    }
    if let Some(n) = &e.note {
        println!("  note:     {n}");
    }
    println!("  original payload:");
    let payload = serde_json::to_string_pretty(&e.entry.payload).map_err(AppError::failure)?;
    for line in payload.lines() {
        println!("    {line}");
    }
    println!("Trail: ml-connector audit {}", e.entry.record);
    Ok(())
}

async fn discard(store: &dyn StateStore, id: i64, reason: &str) -> AppResult {
    if reason.trim().is_empty() {
        return Err(AppError::usage(anyhow!(
            "--reason must say why the entry is discarded"
        )));
    }
    let e = get(store, id).await?;
    if matches!(
        e.status,
        QuarantineStatus::Resolved | QuarantineStatus::Discarded
    ) {
        return Err(AppError::usage(anyhow!(
            "entry {id} is already {}; nothing to discard",
            e.status.as_str()
        )));
    }
    store
        .quarantine_set_status(id, QuarantineStatus::Discarded, reason.trim())
        .await?;
    println!(
        "Discarded entry {id} ({}): {}",
        e.entry.record,
        reason.trim()
    );
    Ok(())
}

async fn retry(
    settings: &Settings,
    store: std::sync::Arc<dyn StateStore>,
    id: Option<i64>,
    all: bool,
) -> AppResult {
    let entries = match (id, all) {
        (Some(id), _) => {
            let e = get(&*store, id).await?;
            if matches!(
                e.status,
                QuarantineStatus::Resolved | QuarantineStatus::Discarded
            ) {
                return Err(AppError::usage(anyhow!(
                    "entry {id} is {}; only open entries can be retried",
                    e.status.as_str()
                )));
            }
            vec![e]
        }
        (None, _) => store.quarantine_list(None, true).await?,
    };
    if entries.is_empty() {
        println!("No open quarantine entries.");
        return Ok(());
    }
    let mut runtimes: BTreeMap<String, TenantRuntime> = BTreeMap::new();
    let (mut resolved, mut still) = (0, 0);
    for e in entries {
        let tenant = e.entry.record.tenant.to_string();
        if !runtimes.contains_key(&tenant) {
            let rt = wiring::build_tenants(settings, store.clone(), Some(&tenant))
                .await?
                .remove(0);
            runtimes.insert(tenant.clone(), rt);
        }
        let rt = &runtimes[&tenant];
        store
            .quarantine_set_status(e.id, QuarantineStatus::Retrying, "retry requested")
            .await?;
        let (id, record) = (e.id, e.entry.record.clone());
        match retry_entry(rt, &*store, e).await? {
            RetryOutcome::CouldNotRun(error) => {
                return Err(AppError::failure(anyhow!(
                    "retry of entry {id} ({record}) could not run: {error}"
                )));
            }
            RetryOutcome::Resolved => {
                resolved += 1;
                println!("Entry {id} ({record}): went through, resolved.");
            }
            RetryOutcome::StillFailing(reason) => {
                still += 1;
                println!("Entry {id} ({record}): still failing: {reason}");
            }
        }
    }
    println!("{resolved} resolved, {still} still in quarantine.");
    Ok(())
}

/// Retries one entry (already marked `retrying` by the caller, with a note saying who asked)
/// through the tenant's engine: the same pipeline and dedup checks as a cycle. Afterwards the
/// entry is resolved, open again with the new reason, or (when the retry could not run at all)
/// open as it was.
pub(crate) async fn retry_entry(
    rt: &TenantRuntime,
    store: &dyn StateStore,
    e: QuarantineEntry,
) -> AppResult<RetryOutcome> {
    let summary = rt.engine.retry(&e.entry.record, &e.entry.payload).await?;
    let after = store.quarantine_get(e.id).await?;
    Ok(match (summary.status, after.status) {
        (SummaryStatus::Failed, _) => {
            // Not the record's fault (a system was unreachable): leave it open as it was.
            store
                .quarantine_set_status(
                    e.id,
                    QuarantineStatus::Open,
                    "retry could not run; see the error",
                )
                .await?;
            RetryOutcome::CouldNotRun(summary.error.unwrap_or_default())
        }
        (_, QuarantineStatus::Resolved) => RetryOutcome::Resolved,
        (_, status) => {
            if status == QuarantineStatus::Retrying {
                store
                    .quarantine_set_status(e.id, QuarantineStatus::Open, "retried, still failing")
                    .await?;
            }
            RetryOutcome::StillFailing(after.entry.reason)
        }
    })
}

/// The console's retry path in the service: [`retry_entry`] on the tenant's engine, built on
/// first use like `quarantine retry` builds it, and kept.
pub(crate) struct EngineRetrier {
    settings: Settings,
    store: Arc<dyn StateStore>,
    runtimes: tokio::sync::Mutex<BTreeMap<String, Arc<TenantRuntime>>>,
}

impl EngineRetrier {
    pub(crate) fn new(settings: Settings, store: Arc<dyn StateStore>) -> Self {
        Self {
            settings,
            store,
            runtimes: tokio::sync::Mutex::new(BTreeMap::new()),
        }
    }
}

#[async_trait::async_trait]
impl Retrier for EngineRetrier {
    async fn retry(&self, entry: QuarantineEntry, _by: &str) -> anyhow::Result<RetryOutcome> {
        let tenant = entry.entry.record.tenant.to_string();
        let rt = {
            let mut map = self.runtimes.lock().await;
            match map.get(&tenant) {
                Some(rt) => rt.clone(),
                None => {
                    let mut built =
                        wiring::build_tenants(&self.settings, self.store.clone(), Some(&tenant))
                            .await
                            .map_err(|e| e.error)?;
                    if built.is_empty() {
                        anyhow::bail!("tenant {tenant} is not configured");
                    }
                    let rt = Arc::new(built.remove(0));
                    map.insert(tenant, rt.clone());
                    rt
                }
            }
        };
        retry_entry(&rt, &*self.store, entry)
            .await
            .map_err(|e| e.error)
    }
}
