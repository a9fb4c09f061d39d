//! The run summary printed by `sync --json` (interface section 5).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts for one entity in one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityCounts {
    /// Records read from the source.
    pub read: u64,
    /// Created in the destination.
    pub created: u64,
    /// Updated in the destination.
    pub updated: u64,
    /// Unchanged since the last sync (nothing written).
    pub unchanged: u64,
    /// Put in quarantine.
    pub quarantined: u64,
    /// Held back on purpose (invoice not payable yet, PO on hold).
    pub waiting: u64,
}

impl EntityCounts {
    /// Adds another count set.
    pub fn add(&mut self, o: &EntityCounts) {
        self.read += o.read;
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.quarantined += o.quarantined;
        self.waiting += o.waiting;
    }
    /// Records written in the destination.
    pub fn written(&self) -> u64 {
        self.created + self.updated
    }
}

/// Overall status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryStatus {
    /// Everything went through.
    Ok,
    /// Some records were quarantined.
    Partial,
    /// The run could not complete.
    Failed,
}

/// One tenant's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSummary {
    /// Tenant id.
    pub tenant: String,
    /// Status.
    pub status: SummaryStatus,
    /// Error when failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Per entity (`suppliers`, `accounts`, `purchase-orders`, `invoices`).
    pub entities: BTreeMap<String, EntityCounts>,
    /// Wall time.
    pub duration_ms: u64,
    /// The run id (for `audit` and `status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The run failed because a login was rejected (the tenant is now paused).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub login_rejected: bool,
    /// The run failed because the cycle panicked (a bug; caught, recorded, backed off, alerted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub panicked: bool,
}

/// The whole `sync --json` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Worst status over tenants.
    pub status: SummaryStatus,
    /// Tenants.
    pub tenants: Vec<TenantSummary>,
}

impl RunSummary {
    /// Builds the summary with the worst tenant status.
    pub fn new(tenants: Vec<TenantSummary>) -> Self {
        let status = if tenants.iter().any(|t| t.status == SummaryStatus::Failed) {
            SummaryStatus::Failed
        } else if tenants.iter().any(|t| t.status == SummaryStatus::Partial) {
            SummaryStatus::Partial
        } else {
            SummaryStatus::Ok
        };
        Self { status, tenants }
    }
}
