//! The service loop behind `ml-connector run`: schedules every tenant's cycle, and with a
//! PostgreSQL store shares tenants between any number of worker processes through leases.
//!
//! - A tenant runs only under its lease `tenant:<id>` (taken with the database's clock, renewed
//!   every third of its time to live while the cycle runs). A worker that dies stops renewing;
//!   another takes the tenant over once the lease expires. Overlapping cycles of one tenant are
//!   impossible, in one process or many.
//! - The next due time is kept in the store (`tenant_state.next_due`), so a restart or another
//!   worker continues the schedule; a failing tenant backs off without delaying the others
//!   (each tenant's cycle is its own task).
//! - A rejected login pauses the tenant (retrying would lock the JDE service account) and
//!   raises an alert; `tenant resume` clears it.
//! - A panic never loops: the engine catches one inside a cycle and records a failed run; one
//!   anywhere else in a tenant's task is caught at the task boundary. Either way the tenant backs
//!   off (exponential, capped at an hour), the `cycle_panicked` alert is raised and the lease is
//!   released.
//! - When the lease cannot be renewed (lost to another worker, or the store unreachable) the
//!   cycle stops at once: it may no longer be the only one running this tenant. Its run is
//!   recorded as failed ("lease lost, cycle stopped: …"), never left "running"; nothing is
//!   quarantined, and the tenant's schedule is left to the lease's new holder.
//! - On shutdown the loop stops taking work, gives running cycles a grace period to finish
//!   (every commit is atomic, so a cycle cut short loses nothing), then releases its leases.
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use jiff::Timestamp;
use mlc_core::record::Entity;
use tokio::task::JoinHandle;

use crate::engine::{Engine, panic_message};
use crate::schedule::{Schedule, backoff};
use crate::summary::{SummaryStatus, TenantSummary};
use mlc_store::Fence;

/// Something an operator should hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceEvent {
    /// A cycle ended.
    CycleFinished(TenantSummary),
    /// A tenant's login was rejected; the tenant is paused.
    LoginRejected {
        /// Tenant.
        tenant: String,
        /// The remote's words.
        error: String,
    },
    /// A cycle panicked (a bug); it was recorded as a failed run and backs off.
    CyclePanicked {
        /// Tenant.
        tenant: String,
        /// The panic's message.
        error: String,
    },
    /// A cycle failed.
    CycleFailed {
        /// Tenant.
        tenant: String,
        /// Why.
        error: String,
    },
}

/// Receives service events (alerts, metrics).
pub type EventFn = Arc<dyn Fn(ServiceEvent) + Send + Sync>;

/// One tenant under the scheduler.
#[derive(Clone)]
pub struct TenantJob {
    /// Its engine.
    pub engine: Engine,
    /// When it runs.
    pub schedule: Schedule,
    /// The interval the back-off grows from.
    pub base_interval: jiff::SignedDuration,
}

/// Worker settings.
#[derive(Clone)]
pub struct WorkerConfig {
    /// This worker's id (host + pid + random), stored as the lease owner.
    pub worker_id: String,
    /// Lease time to live.
    pub lease_ttl: Duration,
    /// How often due tenants are looked for.
    pub tick: Duration,
    /// How long running cycles get to finish on shutdown.
    pub grace: Duration,
    /// Event sink.
    pub events: Option<EventFn>,
}

fn lease_name(tenant: &str) -> String {
    format!("tenant:{tenant}")
}

/// Runs the scheduler until `shutdown` resolves.
pub async fn run(jobs: Vec<TenantJob>, cfg: WorkerConfig, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut running: HashMap<String, JoinHandle<()>> = HashMap::new();
    let mut tick = tokio::time::interval(cfg.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        running.retain(|_, h| !h.is_finished());
        for job in &jobs {
            let tenant = job.engine.settings.tenant.to_string();
            if running.contains_key(&tenant) {
                continue;
            }
            let store = &job.engine.store;
            let state = match store.tenant_state(&job.engine.settings.tenant).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(tenant = %tenant, error = %e, "Could not read tenant state.");
                    continue;
                }
            };
            if state.paused || state.next_due.is_some_and(|d| d > Timestamp::now()) {
                continue;
            }
            let epoch = match store
                .lease_acquire(&lease_name(&tenant), &cfg.worker_id, cfg.lease_ttl)
                .await
            {
                Ok(Some(epoch)) => epoch,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(tenant = %tenant, error = %e, "Could not take the tenant lease.");
                    continue;
                }
            };
            metrics::gauge!("mlc_lease_owned", "tenant" => tenant.clone()).set(1.0);
            let handle = tokio::spawn(guarded_job(job.clone(), cfg.clone(), epoch));
            running.insert(tenant, handle);
        }
    }
    tracing::info!(
        running = running.len(),
        "Shutting down: no new cycles; waiting for running ones."
    );
    let deadline = tokio::time::Instant::now() + cfg.grace;
    for (tenant, mut h) in running {
        if tokio::time::timeout_at(deadline, &mut h).await.is_err() {
            tracing::warn!(tenant = %tenant, "Cycle did not finish within the grace period; stopping it (committed work is kept).");
            h.abort();
            let _ = h.await;
        }
        if let Some(job) = jobs
            .iter()
            .find(|j| j.engine.settings.tenant.as_str() == tenant)
        {
            let _ = job
                .engine
                .store
                .lease_release(&lease_name(&tenant), &cfg.worker_id)
                .await;
            metrics::gauge!("mlc_lease_owned", "tenant" => tenant.clone()).set(0.0);
        }
    }
}

/// [`run_job`], with any panic caught at the task boundary: the tenant backs off, the panic is
/// alerted and the lease released, so a panicking tenant can never be retaken in a tight loop.
async fn guarded_job(job: TenantJob, cfg: WorkerConfig, epoch: u64) {
    let Err(panic) = AssertUnwindSafe(run_job(job.clone(), cfg.clone(), epoch))
        .catch_unwind()
        .await
    else {
        return;
    };
    let e = &job.engine;
    let tenant = e.settings.tenant.to_string();
    let error = panic_message(panic.as_ref());
    tracing::error!(tenant = %tenant, error = %error, "Tenant task panicked; backing off.");
    let mut state = e
        .store
        .tenant_state(&e.settings.tenant)
        .await
        .unwrap_or_default();
    state.consecutive_failures = state.consecutive_failures.saturating_add(1);
    state.next_due =
        Some(Timestamp::now() + backoff(state.consecutive_failures, job.base_interval));
    if let Err(err) = e.store.set_tenant_state(&e.settings.tenant, &state).await {
        tracing::warn!(tenant = %tenant, error = %err, "Could not save the tenant state.");
    }
    emit(
        &cfg,
        ServiceEvent::CyclePanicked {
            tenant: tenant.clone(),
            error,
        },
    );
    let _ = e
        .store
        .lease_release(&lease_name(&tenant), &cfg.worker_id)
        .await;
    metrics::gauge!("mlc_lease_owned", "tenant" => tenant).set(0.0);
}

/// One cycle under a lease (taken at `epoch`) that is renewed while it runs. The cycle's engine
/// is fenced with that epoch: its commits and remote writes stop once the lease changed hands.
async fn run_job(job: TenantJob, cfg: WorkerConfig, epoch: u64) {
    let tenant = job.engine.settings.tenant.to_string();
    let lease = lease_name(&tenant);
    let fence = Fence {
        lease: lease.clone(),
        epoch,
    };
    let fenced = job.engine.fenced(fence.clone());
    let e = &fenced;
    let store = e.store.clone();
    let (owner, ttl) = (cfg.worker_id.clone(), cfg.lease_ttl);
    // Renews the lease every third of its time to live; resolves only when a renewal fails,
    // which stops the cycle (recorded as a failed run).
    let lost = async {
        let mut renew = tokio::time::interval(ttl / 3);
        renew.tick().await;
        loop {
            renew.tick().await;
            let why = match store.lease_acquire(&lease, &owner, ttl).await {
                Ok(Some(now)) if now == epoch => continue,
                // Expired and retaken (by us at a new epoch or by another worker): someone may
                // have held it in between.
                Ok(Some(now)) => format!(
                    "lease {lease} expired and was retaken at epoch {now} (this cycle held epoch {epoch})"
                ),
                Ok(None) => {
                    format!(
                        "lease {lease} is held by another worker (this cycle held epoch {epoch})"
                    )
                }
                // Unrenewed, the lease may expire and another worker take the tenant: stop
                // rather than risk two cycles of one tenant.
                Err(err) => format!("lease {lease} could not be renewed ({err})"),
            };
            tracing::error!(tenant = %tenant, reason = %why, "Lease lost; stopping this cycle.");
            break crate::run::SyncError::LeaseLost(why);
        }
    };
    let result = e
        .run_cycle_until(Entity::ALL.to_vec(), "schedule".to_owned(), lost)
        .await;
    if crate::fence::check(store.as_ref(), &fence).await.is_err() {
        // Another worker holds the tenant now: its schedule and lease are not ours to touch.
        tracing::warn!(tenant = %tenant, "Lease no longer ours after the cycle; leaving the tenant to its holder.");
        metrics::gauge!("mlc_lease_owned", "tenant" => tenant).set(0.0);
        return;
    }
    let now = Timestamp::now();
    let mut state = store
        .tenant_state(&e.settings.tenant)
        .await
        .unwrap_or_default();
    match result {
        Ok(summary) => {
            metrics::histogram!("mlc_run_duration_seconds", "tenant" => tenant.clone())
                .record(summary.duration_ms as f64 / 1000.0);
            if summary.status == SummaryStatus::Failed {
                state.consecutive_failures = state.consecutive_failures.saturating_add(1);
                let err = summary.error.clone().unwrap_or_default();
                if summary.login_rejected {
                    // The engine paused the tenant already; keep its reason.
                    emit(
                        &cfg,
                        ServiceEvent::LoginRejected {
                            tenant: tenant.clone(),
                            error: err.clone(),
                        },
                    );
                } else if summary.panicked {
                    emit(
                        &cfg,
                        ServiceEvent::CyclePanicked {
                            tenant: tenant.clone(),
                            error: err,
                        },
                    );
                } else {
                    emit(
                        &cfg,
                        ServiceEvent::CycleFailed {
                            tenant: tenant.clone(),
                            error: err,
                        },
                    );
                }
                state.next_due = Some(now + backoff(state.consecutive_failures, job.base_interval));
            } else {
                state.consecutive_failures = 0;
                state.last_success = Some(now);
                // A cXML invoice that arrived during this cycle asked for an early cycle (the
                // endpoint set `next_due`, which this state read may have raced): honour it.
                let inbox_waiting = store
                    .inbox_pending(&e.settings.tenant, 1)
                    .await
                    .is_ok_and(|d| !d.is_empty());
                state.next_due = Some(if inbox_waiting {
                    now
                } else {
                    job.schedule.next_after(now)
                });
            }
            emit(&cfg, ServiceEvent::CycleFinished(summary));
        }
        Err(err) => {
            state.consecutive_failures = state.consecutive_failures.saturating_add(1);
            state.next_due = Some(now + backoff(state.consecutive_failures, job.base_interval));
            emit(
                &cfg,
                ServiceEvent::CycleFailed {
                    tenant: tenant.clone(),
                    error: err.to_string(),
                },
            );
        }
    }
    if let Err(err) = store.set_tenant_state(&e.settings.tenant, &state).await {
        tracing::warn!(tenant = %tenant, error = %err, "Could not save the tenant state.");
    }
    let _ = store.lease_release(&lease, &owner).await;
    metrics::gauge!("mlc_lease_owned", "tenant" => tenant).set(0.0);
}

fn emit(cfg: &WorkerConfig, ev: ServiceEvent) {
    if let Some(f) = &cfg.events {
        f(ev);
    }
}
