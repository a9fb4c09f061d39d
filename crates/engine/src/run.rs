//! What the engine and its flows share: the tenant's [`Engine`] (ports, store, settings), the
//! state of one [`Run`], and [`SyncError`]. `engine.rs` drives runs, `flows/*` do the work; both
//! use this module and neither imports the other's internals.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use jiff::Timestamp;
use mlc_core::record::{Entity, RecordKey};
use mlc_store::{AuditEvent, Commit, NewQuarantine, RunId, RunStatus, StateStore, StoreError};
use tokio::sync::OnceCell;

use crate::mapping::MappingError;
use crate::ports::{JaggaerSide, JdeSource, RemoteError, RemoteErrorKind};
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
    /// The cycle panicked (a bug): caught at the cycle's boundary, recorded as a failed run,
    /// backed off and alerted (`cycle_panicked`).
    #[error("cycle panicked: {0}")]
    Panicked(String),
    /// The cycle ran into the tenant's `cycle_deadline` (for example while honouring long
    /// rate-limit pauses): everything committed so far stays, the next cycle resumes.
    #[error("cycle deadline of {0:?} reached; the next cycle resumes")]
    DeadlineReached(std::time::Duration),
    /// The worker's lease on the tenant could not be renewed (taken over after the worker was
    /// frozen past its time to live, or the store unreachable): the cycle stopped at once, since
    /// another worker may be running the tenant. Recorded as a failed run; nothing is
    /// quarantined, and the lease's next holder resumes.
    #[error("lease lost, cycle stopped: {0}")]
    LeaseLost(String),
    /// `quarantine retry` cannot handle this record.
    #[error("{record} cannot be retried this way: {why}")]
    NotRetryable {
        /// The record.
        record: RecordKey,
        /// Why.
        why: String,
    },
}

impl SyncError {
    /// A rejected login: the tenant must pause instead of retrying.
    pub fn is_login_rejected(&self) -> bool {
        matches!(self, SyncError::Remote(r) if r.kind == RemoteErrorKind::AuthRejected)
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
    /// The lease this engine writes under (see [`Engine::fenced`]); `None` for one-off
    /// commands, which take no lease.
    pub fence: Option<mlc_store::Fence>,
}

impl Engine {
    /// This engine, writing only while `fence` is the current holding of its lease: every
    /// commit carries the epoch (a stale one is refused by the store, nothing written) and
    /// every remote write checks the lease first (see `fence.rs`).
    pub fn fenced(&self, fence: mlc_store::Fence) -> Engine {
        Engine {
            jde: Arc::new(crate::fence::FencedJde {
                inner: self.jde.clone(),
                store: self.store.clone(),
                fence: fence.clone(),
            }),
            jag: Arc::new(crate::fence::FencedJaggaer {
                inner: self.jag.clone(),
                store: self.store.clone(),
                fence: fence.clone(),
            }),
            fence: Some(fence),
            ..self.clone()
        }
    }
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
    /// The tenant's engine this run belongs to.
    pub(crate) engine: &'a Engine,
    pub(crate) run_id: RunId,
    started: Instant,
    counts: Mutex<BTreeMap<Entity, EntityCounts>>,
    edbt: OnceCell<String>,
    /// The batch of this run's match vouchers (interface 8: never mixed with expense ones).
    match_edbt: OnceCell<String>,
    refdata: OnceCell<RefData>,
    /// This run wrote expense vouchers (for R04110ZA) / match vouchers (for R4304010).
    pub(crate) wrote: [std::sync::atomic::AtomicBool; 2],
}

impl<'a> Run<'a> {
    /// A run recorded in the store as `run_id`, started at `started`.
    pub(crate) fn new(engine: &'a Engine, run_id: RunId, started: Instant) -> Self {
        Self {
            engine,
            run_id,
            started,
            counts: Mutex::new(BTreeMap::new()),
            edbt: OnceCell::new(),
            match_edbt: OnceCell::new(),
            refdata: OnceCell::new(),
            wrote: Default::default(),
        }
    }

    pub(crate) fn tenant(&self) -> &mlc_core::ids::TenantId {
        &self.engine.settings.tenant
    }

    /// The counts of an entity so far in this run.
    pub(crate) fn counts_of(&self, entity: Entity) -> Option<EntityCounts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&entity)
            .copied()
    }

    /// Starts counting `entity` (it shows in the summary even when it reads nothing).
    pub(crate) fn begin(&self, entity: Entity) {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(entity)
            .or_default();
    }

    pub(crate) fn count(&self, entity: Entity, f: impl FnOnce(&mut EntityCounts)) {
        let mut g = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let c = g.entry(entity).or_default();
        f(c);
        if let Some(p) = &self.engine.progress {
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

    /// Writes `commit` under this engine's fence (if any).
    pub(crate) async fn commit(&self, mut commit: Commit) -> Result<Vec<i64>, StoreError> {
        commit.fence = self.engine.fence.clone();
        self.engine.store.commit(commit).await
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
                self.engine
                    .store
                    .next_sequence(self.tenant(), "edbt", 1000)
                    .await
                    .map(|n| n.to_string())
            })
            .await
            .map(String::as_str)
    }

    /// The batch number of this run's match vouchers, from the same sequence as [`Run::edbt`]
    /// (so the two never share a number), allocated on first use.
    pub(crate) async fn match_edbt(&self) -> Result<&str, StoreError> {
        self.match_edbt
            .get_or_try_init(|| async {
                self.engine
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
            .get_or_try_init(|| load_refdata(self.engine.jde.as_ref()))
            .await
    }

    /// Ends the run: builds its summary from the counts and `error` (`None` when it completed),
    /// pauses the tenant when a login was rejected, and records the run as finished.
    pub(crate) async fn finish(
        self,
        error: Option<(String, &SyncError)>,
    ) -> Result<TenantSummary, StoreError> {
        let engine = self.engine;
        let tenant = &engine.settings.tenant;
        // A panic while the lock was held poisons it; the counts are still right.
        let counts = self
            .counts
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let quarantined: u64 = counts.values().map(|c| c.quarantined).sum();
        let login_rejected = error.as_ref().is_some_and(|(_, e)| e.is_login_rejected());
        let panicked = error
            .as_ref()
            .is_some_and(|(_, e)| matches!(e, SyncError::Panicked(_)));
        let deadline = error
            .as_ref()
            .is_some_and(|(_, e)| matches!(e, SyncError::DeadlineReached(_)));
        let error = error.map(|(text, _)| text);
        let status = match (&error, quarantined) {
            // Cut short on purpose: what was committed is good, the rest comes next cycle.
            (Some(_), _) if deadline => SummaryStatus::Partial,
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
            duration_ms: self.started.elapsed().as_millis() as u64,
            run_id: Some(self.run_id.0.clone()),
            login_rejected,
            panicked,
        };
        if login_rejected {
            // Never retry a rejected login in a loop: it locks the customer's service account.
            // The tenant stays paused until `tenant resume` (after the credentials are fixed).
            let mut state = engine.store.tenant_state(tenant).await?;
            state.paused = true;
            state.pause_reason = Some(format!(
                "login rejected ({}); fix the credentials, then `ml-connector tenant resume {tenant}`",
                error.as_deref().unwrap_or("")
            ));
            engine.store.set_tenant_state(tenant, &state).await?;
            tracing::error!(tenant = %tenant, "Login rejected: tenant paused.");
        }
        let run_status = match status {
            SummaryStatus::Ok => RunStatus::Ok,
            SummaryStatus::Partial => RunStatus::Partial,
            SummaryStatus::Failed => RunStatus::Failed,
        };
        let json = serde_json::to_value(&summary).unwrap_or_default();
        engine
            .store
            .run_finish(&self.run_id, run_status, &json, error.as_deref())
            .await?;
        Ok(summary)
    }
}

/// Loads the JDE reference data vouchers are checked against.
async fn load_refdata(jde: &dyn JdeSource) -> Result<RefData, SyncError> {
    let mut r = RefData::default();
    let bus = jde.business_units().await?;
    let codes: Vec<String> = bus.iter().map(|b| b.code.to_string()).collect();
    for b in bus {
        r.business_units.insert(b.code.to_string(), b);
    }
    for chunk in codes.chunks(100) {
        for a in jde.accounts_by_bu(chunk).await? {
            r.accounts.insert(a.account.to_string(), a);
        }
    }
    for c in jde.companies().await? {
        r.companies.insert(c.company.clone(), c);
    }
    r.currency_decimals = jde.currency_decimals().await?;
    Ok(r)
}
