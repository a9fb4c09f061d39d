//! The sync engine: moves records between JD Edwards and JAGGAER.
//!
//! # Layout
//! - [`engine`]: one tenant's engine; [`Engine::run_cycle`] runs the flows in dependency order.
//! - `run`: what the engine and the flows share ([`Engine`], the state of a run, [`SyncError`]).
//! - `flows/`: suppliers, accounts, purchase orders, invoices (one file each) and the shared
//!   delivery loop (compare with the ledger, write, commit ledger + audit + cursor at once).
//! - [`ports`]: what the flows need from each system, in domain terms.
//! - [`connectors`]: the adapters implementing the ports over the AIS and J1P clients.
//! - [`mapping`]: field mapping between the systems, one file per document type.
//! - [`dryrun`]: `sync --dry-run`: recording ports and a store that keeps commits in memory.
//! - [`window`]: `(UPMJ, TDAY)` cursor windows (inclusive lookback, exclusive safety lag).
//! - [`refdata`]: JDE master data vouchers are checked against.
//! - [`settings`], [`summary`]: validated tenant settings and the `sync --json` summary.
pub mod backfill;
pub mod connectors;
pub mod dryrun;
pub mod engine;
mod fence;
mod flows;
pub mod mapping;
pub mod payee;
pub mod ports;
pub mod processor;
pub mod reconcile;
pub mod refdata;
mod run;
pub mod schedule;
pub mod settings;
pub mod summary;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod window;
pub mod worker;

pub use engine::{Engine, ProgressFn, SyncError};

/// The voucher approval gate's states (`detail.approval.state` of a waiting invoice's ledger
/// row) and what AP approves (issue 19).
pub mod approvals {
    pub use crate::flows::approvals::{
        APPROVED, Decision, PENDING, REJECTED, decide, pending, plan_document,
    };
}
