//! The engine of one tenant: runs a cycle of flows (or one record again) and records the run.
//! The types it shares with the flows live in the private `run` module.
use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures::FutureExt;

use mlc_core::record::{Entity, RecordKey};
use mlc_store::StoreError;
use tracing::Instrument;

use crate::run::Run;
pub use crate::run::{Engine, ProgressFn, SyncError};
use crate::summary::TenantSummary;

impl Engine {
    /// Runs one cycle over `entities` (in dependency order), records the run and returns its summary.
    ///
    /// Never leaves the run "running": a panic anywhere in the flows is caught here and recorded
    /// as a failed run (`summary.panicked`), and reaching the tenant's `cycle_deadline` ends the
    /// cycle as a partial run (every commit is atomic and cursors only move with committed
    /// records, so the next cycle resumes where this one stopped).
    pub async fn run_cycle(
        &self,
        entities: Vec<Entity>,
        trigger: String,
    ) -> Result<TenantSummary, StoreError> {
        self.run_cycle_until(entities, trigger, std::future::pending())
            .await
    }

    /// [`Engine::run_cycle`], stopped as soon as `stop` resolves (the worker's lease could not be
    /// renewed): the flows are dropped at their next await point, so no further remote write or
    /// commit happens, and the run is recorded as failed with `stop`'s error, never left
    /// "running". What was committed before stays; the lease's next holder resumes from it.
    pub async fn run_cycle_until(
        &self,
        entities: Vec<Entity>,
        trigger: String,
        stop: impl std::future::Future<Output = SyncError>,
    ) -> Result<TenantSummary, StoreError> {
        let started = Instant::now();
        let tenant = &self.settings.tenant;
        let run_id = self.store.run_start(tenant, &trigger).await?;
        let span = tracing::info_span!("cycle", tenant = %tenant, run = %run_id);
        let run = Run::new(self, run_id, started);
        let outcome = {
            let body = AssertUnwindSafe(flows(&run, entities).instrument(span)).catch_unwind();
            let timed = async {
                match self.settings.cycle_deadline {
                    Some(d) => tokio::time::timeout(d, body).await.ok(),
                    None => Some(body.await),
                }
            };
            tokio::select! {
                o = timed => Ok(o),
                e = stop => Err(e),
            }
        };
        match outcome {
            Ok(Some(Ok(Ok(())))) => run.finish(None).await,
            Ok(Some(Ok(Err((text, e))))) => run.finish(Some((text, &e))).await,
            Ok(Some(Err(panic))) => {
                let e = SyncError::Panicked(panic_message(panic.as_ref()));
                tracing::error!(tenant = %tenant, error = %e, "Cycle panicked.");
                run.finish(Some((e.to_string(), &e))).await
            }
            Ok(None) => {
                let e =
                    SyncError::DeadlineReached(self.settings.cycle_deadline.unwrap_or_default());
                tracing::warn!(tenant = %tenant, error = %e, "Cycle deadline reached; the next cycle resumes.");
                run.finish(Some((e.to_string(), &e))).await
            }
            Err(e) => {
                tracing::error!(tenant = %tenant, error = %e, "Cycle stopped.");
                run.finish(Some((e.to_string(), &e))).await
            }
        }
    }

    /// Reads one record afresh from its source and sends it again (`quarantine retry`). The
    /// record's open quarantine entry is resolved when it goes through, or updated with the new
    /// reason when it fails again. A panic is recorded as a failed run, like in a cycle.
    pub async fn retry(
        &self,
        record: &RecordKey,
        payload: &serde_json::Value,
    ) -> Result<TenantSummary, StoreError> {
        let started = Instant::now();
        let run_id = self.store.run_start(&self.settings.tenant, "retry").await?;
        let run = Run::new(self, run_id, started);
        let res = AssertUnwindSafe(crate::flows::retry(&run, record, payload))
            .catch_unwind()
            .await
            .unwrap_or_else(|p| Err(SyncError::Panicked(panic_message(p.as_ref()))));
        match &res {
            Ok(()) => run.finish(None).await,
            Err(e) => run.finish(Some((e.to_string(), e))).await,
        }
    }
}

/// The message of a caught panic (`panic!("...")` payloads are `&str` or `String`).
pub(crate) fn panic_message(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

async fn flows(run: &Run<'_>, entities: Vec<Entity>) -> Result<(), (String, SyncError)> {
    for entity in Entity::ALL.into_iter().filter(|e| entities.contains(e)) {
        run.begin(entity);
        tracing::info!(entity = %entity, "Flow started.");
        let res = match entity {
            Entity::Suppliers => crate::flows::suppliers::run(run).await,
            Entity::Accounts => crate::flows::accounts::run(run).await,
            Entity::PurchaseOrders => crate::flows::purchase_orders::run(run).await,
            Entity::Invoices => crate::flows::invoices::run(run).await,
        };
        if let Err(e) = res {
            tracing::error!(entity = %entity, error = %e, "Flow failed.");
            // Dependency order: later flows rely on this one, so stop here.
            return Err((format!("{entity}: {e}"), e));
        }
    }
    Ok(())
}
