//! The engine of one tenant: runs a cycle of flows and records the run.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use jiff::Timestamp;
use mlc_core::record::{Entity, RecordKey};
use mlc_store::{AuditEvent, Commit, NewQuarantine, RunId, RunStatus, StateStore, StoreError};
use tokio::sync::OnceCell;
use tracing::Instrument;

use crate::mapping::MappingError;
use crate::ports::{JaggaerSide, JdeSource, RemoteError};
use crate::refdata::RefData;
use crate::settings::TenantSettings;
use crate::summary::{EntityCounts, SummaryStatus, TenantSummary};

/// Why a flow stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// A remote system failed (after the client's own retries).
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tenant is paused.
    #[error("tenant {0} is paused: {1}")]
    Paused(String, String),
}

impl SyncError {
    /// A rejected login: the tenant must pause instead of retrying.
    pub fn is_login_rejected(&self) -> bool {
        matches!(self, SyncError::Remote(r) if r.login_rejected)
    }
}

/// Called after each commit with the entity and its counts so far (progress bars).
pub type ProgressFn = Arc<dyn Fn(Entity, &EntityCounts) + Send + Sync>;

/// One tenant's engine.
#[derive(Clone)]
pub struct Engine {
    /// The state store.
    pub store: Arc<dyn StateStore>,
    /// JDE side.
    pub jde: Arc<dyn JdeSource>,
    /// JAGGAER side.
    pub jag: Arc<dyn JaggaerSide>,
    /// Settings.
    pub settings: Arc<TenantSettings>,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("tenant", &self.settings.tenant)
            .finish_non_exhaustive()
    }
}

/// State of one run.
pub(crate) struct Run<'a> {
    pub(crate) e: &'a Engine,
    pub(crate) run_id: RunId,
    counts: Mutex<BTreeMap<Entity, EntityCounts>>,
    edbt: OnceCell<String>,
    refdata: OnceCell<RefData>,
}

impl Engine {
    /// Runs one cycle over `entities` (in dependency order), records the run and returns its summary.
    pub async fn run_cycle(
        &self,
        entities: Vec<Entity>,
        trigger: String,
    ) -> Result<TenantSummary, StoreError> {
        let started = Instant::now();
        let tenant = &self.settings.tenant;
        let run_id = self.store.run_start(tenant, &trigger).await?;
        let span = tracing::info_span!("cycle", tenant = %tenant, run = %run_id);
        self.flows(run_id, entities, started).instrument(span).await
    }

    async fn flows(
        &self,
        run_id: RunId,
        entities: Vec<Entity>,
        started: Instant,
    ) -> Result<TenantSummary, StoreError> {
        let tenant = &self.settings.tenant;
        let run = Run {
            e: self,
            run_id: run_id.clone(),
            counts: Mutex::new(BTreeMap::new()),
            edbt: OnceCell::new(),
            refdata: OnceCell::new(),
        };
        let mut error = None;
        let mut login_rejected = false;
        for entity in Entity::ALL.into_iter().filter(|e| entities.contains(e)) {
            run.counts
                .lock()
                .expect("counts lock")
                .entry(entity)
                .or_default();
            tracing::info!(entity = %entity, "Flow started.");
            let res = match entity {
                Entity::Suppliers => crate::flows::suppliers::run(&run).await,
                Entity::Accounts => crate::flows::accounts::run(&run).await,
                Entity::PurchaseOrders => crate::flows::purchase_orders::run(&run).await,
                Entity::Invoices => crate::flows::invoices::run(&run).await,
            };
            if let Err(e) = res {
                tracing::error!(entity = %entity, error = %e, "Flow failed.");
                login_rejected = e.is_login_rejected();
                error = Some(format!("{entity}: {e}"));
                // Dependency order: later flows rely on this one, so stop here.
                break;
            }
        }
        let counts = run.counts.into_inner().expect("counts lock");
        let quarantined: u64 = counts.values().map(|c| c.quarantined).sum();
        let status = match (&error, quarantined) {
            (Some(_), _) => SummaryStatus::Failed,
            (None, 0) => SummaryStatus::Ok,
            (None, _) => SummaryStatus::Partial,
        };
        let summary = TenantSummary {
            tenant: tenant.to_string(),
            status,
            error: error.clone(),
            entities: counts
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), v))
                .collect(),
            duration_ms: started.elapsed().as_millis() as u64,
            run_id: Some(run_id.0.clone()),
            login_rejected,
        };
        if login_rejected {
            // Never retry a rejected login in a loop: it locks the customer's service account.
            // The tenant stays paused until `tenant resume` (after the credentials are fixed).
            let mut state = self.store.tenant_state(tenant).await?;
            state.paused = true;
            state.pause_reason = Some(format!(
                "login rejected ({}); fix the credentials, then `ml-connector tenant resume {tenant}`",
                error.as_deref().unwrap_or("")
            ));
            self.store.set_tenant_state(tenant, &state).await?;
            tracing::error!(tenant = %tenant, "Login rejected: tenant paused.");
        }
        let run_status = match status {
            SummaryStatus::Ok => RunStatus::Ok,
            SummaryStatus::Partial => RunStatus::Partial,
            SummaryStatus::Failed => RunStatus::Failed,
        };
        let json = serde_json::to_value(&summary).unwrap_or_default();
        self.store
            .run_finish(&run_id, run_status, &json, error.as_deref())
            .await?;
        Ok(summary)
    }
}

impl Engine {
    /// Reads one record afresh from its source and sends it again (`quarantine retry`). The
    /// record's open quarantine entry is resolved when it goes through, or updated with the new
    /// reason when it fails again.
    pub async fn retry(
        &self,
        record: &RecordKey,
        payload: &serde_json::Value,
    ) -> Result<TenantSummary, StoreError> {
        let started = Instant::now();
        let run_id = self.store.run_start(&self.settings.tenant, "retry").await?;
        let run = Run {
            e: self,
            run_id: run_id.clone(),
            counts: Mutex::new(BTreeMap::new()),
            edbt: OnceCell::new(),
            refdata: OnceCell::new(),
        };
        let res = crate::flows::retry(&run, record, payload).await;
        let counts = run.counts.into_inner().expect("counts lock");
        let quarantined: u64 = counts.values().map(|c| c.quarantined).sum();
        let error = res.err().map(|e| e.to_string());
        let status = match (&error, quarantined) {
            (Some(_), _) => SummaryStatus::Failed,
            (None, 0) => SummaryStatus::Ok,
            (None, _) => SummaryStatus::Partial,
        };
        let summary = TenantSummary {
            tenant: self.settings.tenant.to_string(),
            status,
            error: error.clone(),
            entities: counts
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), v))
                .collect(),
            duration_ms: started.elapsed().as_millis() as u64,
            run_id: Some(run_id.0.clone()),
            login_rejected: false,
        };
        let run_status = match status {
            SummaryStatus::Ok => RunStatus::Ok,
            SummaryStatus::Partial => RunStatus::Partial,
            SummaryStatus::Failed => RunStatus::Failed,
        };
        self.store
            .run_finish(
                &run_id,
                run_status,
                &serde_json::to_value(&summary).unwrap_or_default(),
                error.as_deref(),
            )
            .await?;
        Ok(summary)
    }
}

impl Run<'_> {
    pub(crate) fn tenant(&self) -> &mlc_core::ids::TenantId {
        &self.e.settings.tenant
    }

    /// The counts of an entity so far in this run.
    pub(crate) fn counts_of(&self, entity: Entity) -> Option<EntityCounts> {
        self.counts
            .lock()
            .expect("counts lock")
            .get(&entity)
            .copied()
    }

    pub(crate) fn count(&self, entity: Entity, f: impl FnOnce(&mut EntityCounts)) {
        let mut g = self.counts.lock().expect("counts lock");
        let c = g.entry(entity).or_default();
        f(c);
        if let Some(p) = &self.e.progress {
            p(entity, c);
        }
    }

    pub(crate) fn audit(
        &self,
        record: &RecordKey,
        action: &str,
        message: impl Into<String>,
        detail: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            record: record.clone(),
            run_id: Some(self.run_id.clone()),
            action: action.to_owned(),
            message: message.into(),
            detail,
            at: Timestamp::now(),
        }
    }

    /// Adds a quarantine entry and its audit row to `commit`.
    pub(crate) fn quarantine(
        &self,
        commit: &mut Commit,
        record: &RecordKey,
        err: &MappingError,
        payload: serde_json::Value,
    ) {
        let reason = format!("{record}: {err}");
        tracing::warn!(record = %record, field = %err.field, reason = %err.reason, "Record quarantined.");
        commit.audit.push(self.audit(
            record,
            mlc_store::actions::QUARANTINED,
            reason.clone(),
            serde_json::json!({"field": err.field, "kind": err.kind}),
        ));
        commit.quarantine.push(NewQuarantine {
            record: record.clone(),
            run_id: Some(self.run_id.clone()),
            reason_kind: err.kind.to_owned(),
            reason,
            field: Some(err.field.clone()),
            payload,
        });
        self.count(record.kind.entity(), |c| c.quarantined += 1);
    }

    /// The batch number of this run (one `EDBT` per tenant and run), allocated on first use.
    pub(crate) async fn edbt(&self) -> Result<&str, StoreError> {
        self.edbt
            .get_or_try_init(|| async {
                self.e
                    .store
                    .next_sequence(self.tenant(), "edbt", 1000)
                    .await
                    .map(|n| n.to_string())
            })
            .await
            .map(String::as_str)
    }

    /// JDE reference data, loaded once per run.
    pub(crate) async fn refdata(&self) -> Result<&RefData, SyncError> {
        self.refdata
            .get_or_try_init(|| crate::flows::invoices::load_refdata(self))
            .await
    }
}
