//! The operator console: sign-in, roles, and the pages AP and IT work in.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /login`, `POST /login` | anyone | sign-in form; sets the session cookie |
//! | `POST /logout` | signed in | ends the session |
//! | `GET /` | viewer+ | overview per tenant ([`pages::overview`]) |
//! | `GET /runs` | viewer+ | run history, filters `tenant`, `status` |
//! | `GET /records` | viewer+ | a record's audit trail, ledger row and both sides' ids |
//! | `GET /quarantine` | viewer+ | open (or all) entries, filters, reasons grouped |
//! | `GET /quarantine/{id}` | viewer+ | one entry with its original payload |
//! | `POST /quarantine/{id}/retry` | operator+ | retries through the engine's retry path |
//! | `POST /quarantine/retry-group` | operator+ | retries every open entry of one reason |
//! | `POST /quarantine/{id}/discard` | operator+ | discards with a required reason |
//! | `POST /tenants/{id}/pause`, `/resume` | operator+ | pauses (reason required) or resumes a tenant |
//! | `GET /approvals` | viewer+ | vouchers waiting for approval (`voucher_approval`), each with its plan |
//! | `POST /approvals/{tenant}/{id}/approve`, `/reject` | operator+ | approves, or rejects with a required reason |
//!
//! Every page is server-rendered HTML ([`maud`], compiled into the binary), with no scripts and
//! no external assets. Every POST carries the session's CSRF token ([`auth`]); a POST without
//! it, or from a viewer, is refused with 403 before anything changes. Retry and discard are
//! audited with the user's name (the quarantine status change's note, which the store audits).
pub(crate) mod approvals;
pub(crate) mod auth;
pub(crate) mod pages;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::routing::{get, post};
use mlc_store::QuarantineEntry;

use super::ServerState;

pub(crate) use auth::{AuthSettings, LoginLimiter};

/// What a retry from the console came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RetryOutcome {
    /// The record went through; the entry is resolved.
    Resolved,
    /// It failed again; the entry is open with this reason.
    StillFailing(String),
    /// The retry could not run (a system unreachable); the entry is open as before.
    CouldNotRun(String),
}

/// Retries one quarantined record. In the service this is the same path as
/// `ml-connector quarantine retry` (the tenant's engine, [`crate::commands::quarantine`]).
#[async_trait]
pub(crate) trait Retrier: Send + Sync {
    /// Retries `entry` on behalf of the console user `by`.
    async fn retry(&self, entry: QuarantineEntry, by: &str) -> anyhow::Result<RetryOutcome>;
}

/// The console's share of the server state.
pub(crate) struct Console {
    /// How users sign in.
    pub(crate) auth: AuthSettings,
    /// Failed sign-ins per user and per peer.
    pub(crate) limiter: LoginLimiter,
    /// How records are retried; `None` shows retry as unavailable.
    pub(crate) retrier: Option<Arc<dyn Retrier>>,
}

impl Console {
    /// A console with these settings and retry path.
    pub(crate) fn new(auth: AuthSettings, retrier: Option<Arc<dyn Retrier>>) -> Self {
        Self {
            auth,
            limiter: LoginLimiter::default(),
            retrier,
        }
    }
}

impl Default for Console {
    fn default() -> Self {
        Self::new(AuthSettings::default(), None)
    }
}

impl fmt::Debug for Console {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Console")
            .field("auth", &self.auth)
            .field("retrier", &self.retrier.is_some())
            .finish_non_exhaustive()
    }
}

/// The console's routes.
pub(crate) fn routes() -> Router<Arc<ServerState>> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/runs", get(pages::runs))
        .route("/records", get(pages::records))
        .route("/quarantine", get(pages::quarantine_list))
        .route("/quarantine/retry-group", post(pages::retry_group))
        .route("/quarantine/{id}", get(pages::quarantine_detail))
        .route("/quarantine/{id}/retry", post(pages::retry))
        .route("/quarantine/{id}/discard", post(pages::discard))
        .route("/tenants/{id}/{action}", post(pages::pause_resume))
        .route("/approvals", get(approvals::list))
        .route("/approvals/{tenant}/{id}/{action}", post(approvals::decide))
}

#[cfg(test)]
mod tests;
