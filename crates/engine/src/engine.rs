//! The engine of one tenant: runs a cycle of flows (or one record again) and records the run.
//! The types it shares with the flows live in the private `run` module.
use std::time::Instant;

use mlc_core::record::{Entity, RecordKey};
use mlc_store::StoreError;
use tracing::Instrument;

use crate::run::Run;
pub use crate::run::{Engine, ProgressFn, SyncError};
use crate::summary::TenantSummary;

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
        let run = Run::new(self, run_id, started);
        flows(run, entities).instrument(span).await
    }

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
        let run = Run::new(self, run_id, started);
        let res = crate::flows::retry(&run, record, payload).await;
        match &res {
            Ok(()) => run.finish(None).await,
            Err(e) => run.finish(Some((e.to_string(), e))).await,
        }
    }
}

async fn flows(run: Run<'_>, entities: Vec<Entity>) -> Result<TenantSummary, StoreError> {
    for entity in Entity::ALL.into_iter().filter(|e| entities.contains(e)) {
        run.begin(entity);
        tracing::info!(entity = %entity, "Flow started.");
        let res = match entity {
            Entity::Suppliers => crate::flows::suppliers::run(&run).await,
            Entity::Accounts => crate::flows::accounts::run(&run).await,
            Entity::PurchaseOrders => crate::flows::purchase_orders::run(&run).await,
            Entity::Invoices => crate::flows::invoices::run(&run).await,
        };
        if let Err(e) = res {
            tracing::error!(entity = %entity, error = %e, "Flow failed.");
            // Dependency order: later flows rely on this one, so stop here.
            return run.finish(Some((format!("{entity}: {e}"), &e))).await;
        }
    }
    run.finish(None).await
}
