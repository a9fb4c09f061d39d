//! The state store: everything the connector must remember between runs, behind one trait with
//! two real backends.
//!
//! # Layout
//! - [`StateStore`]: the trait the engine and the app use. Every method is one transaction.
//! - [`sqlite`]: the embedded default (WAL mode), one worker: how it connects, its file modes
//!   and durability settings.
//! - [`postgres`]: for several workers sharing one store: how it connects.
//! - [`check`]: a read-only look at a store (reachable, migrations applied and pending) that
//!   creates and migrates nothing, for `ml-connector validate`.
//! - `sql` (private): the one implementation of [`StateStore`] over SQL, generic over a
//!   dialect; both backends are that type.
//! - `dialect` (private): everything in which SQLite and PostgreSQL differ (placeholders,
//!   casts, timestamp and JSON columns, `BEGIN IMMEDIATE`, `FOR UPDATE`, array batches, the
//!   lease clock, parameter binding).
//! - `conformance` (feature `testing`): one test suite both backends must pass.
//! - `common` (private): the shared timestamp format and row decoders.
//! - `migrations/sqlite`, `migrations/postgres`: versioned schema, applied by [`StateStore::migrate`].
//!
//! # What it holds
//! Per tenant: cursors (watermarks) per named cursor; the cross reference of JDE keys to JAGGAER
//! ids; a ledger with one row per record (content hash of what we last sent, versions, status);
//! an append-only audit log; the quarantine with original payloads; sync runs; leases; tenant
//! scheduling state; named sequences (voucher batch numbers); and the inbox of inbound cXML
//! documents, stored before they are acknowledged.
//!
//! The central rule: a record's ledger row, its audit events and the cursor advance it allows are
//! written by one [`StateStore::commit`] call, in one transaction, after the destination
//! accepted the record.
//!
//! # Storage choices
//! Timestamps keep microseconds (PostgreSQL's precision; finer digits are truncated): SQLite
//! stores them as fixed-width RFC 3339 UTC text (`2024-05-01T10:00:00.000000Z`, so text order is
//! time order), PostgreSQL as `timestamptz`. JSON is stored as text (SQLite), `jsonb` (details,
//! run summaries) or `json` (quarantined payloads, kept as read) in PostgreSQL; numbers keep
//! their exact text either way. The audit table is append-only: triggers refuse UPDATE and
//! DELETE.
use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_core::record::{RecordKey, RecordKind};

mod common;
mod dialect;
mod sql;
mod types;
pub use types::*;

/// Errors of the state store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store URL is not understood.
    #[error("unsupported store url {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// The database could not be reached or answered with an error.
    #[error("state store error while {context}: {source}")]
    Database {
        /// What the store was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("state store migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A row in the store could not be decoded (a bug or manual edit).
    #[error("state store holds an unreadable {what}: {detail}")]
    Corrupt {
        /// Which kind of row.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The requested row does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// Which kind of row.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A commit made under a lease that has since changed hands (its epoch is no longer the
    /// lease's): another worker runs this tenant now, so nothing of the commit was written.
    #[error(
        "lease {lease} was taken over (epoch {epoch} is stale, now {current:?}); nothing was written"
    )]
    Fenced {
        /// The lease.
        lease: String,
        /// The epoch the commit was made under.
        epoch: u64,
        /// The lease's epoch now (`None`: no such lease).
        current: Option<u64>,
    },
}

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The state store. Both backends implement it; the conformance suite checks they agree.
#[async_trait]
pub trait StateStore: Send + Sync + std::fmt::Debug {
    /// Creates or upgrades the schema. Idempotent.
    async fn migrate(&self) -> Result<()>;
    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> Result<()>;
    /// Which backend this is (`sqlite` or `postgres`), for status output.
    fn backend(&self) -> &'static str;

    // ---- cursors -------------------------------------------------------------------------
    /// The saved value of a named cursor (e.g. `purchase-orders/F4301`), if any.
    async fn cursor(&self, tenant: &TenantId, name: &str) -> Result<Option<String>>;
    /// All cursors of a tenant with their last change.
    async fn cursors(&self, tenant: &TenantId) -> Result<Vec<CursorRow>>;
    /// Sets (or with `None` clears) a cursor outside of a record commit: `backfill` uses this
    /// to move a cursor back.
    async fn set_cursor(&self, tenant: &TenantId, name: &str, value: Option<&str>) -> Result<()>;

    // ---- the one write path for record outcomes -----------------------------------------------
    /// Writes ledger rows, cross references, audit events, new quarantine entries, quarantine
    /// resolutions and cursor advances in **one** transaction. Returns the ids of the
    /// quarantine entries created, in order.
    async fn commit(&self, commit: Commit) -> Result<Vec<i64>>;

    // ---- ledger and cross reference --------------------------------------------------------
    /// The ledger row of one record.
    async fn ledger(&self, record: &RecordKey) -> Result<Option<LedgerEntry>>;
    /// The ledger rows of many records of one kind (missing keys are absent from the map).
    async fn ledger_many(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        keys: &[String],
    ) -> Result<HashMap<String, LedgerEntry>>;
    /// Every ledger row of a kind, for `reconcile` and read-back.
    async fn ledger_by_status(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        status: Option<LedgerStatus>,
    ) -> Result<Vec<LedgerEntry>>;
    /// Every record of a tenant whose ledger status is `Waiting`, with when its current wait
    /// began (the store notes it when a row enters `Waiting` and keeps it while the row stays
    /// there, whatever kind of wait it is), oldest wait first.
    async fn waits(&self, tenant: &TenantId) -> Result<Vec<(RecordKey, Timestamp)>>;
    /// The JAGGAER id cross-referenced to a JDE key.
    async fn xref_remote(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        jde_key: &str,
    ) -> Result<Option<String>>;
    /// The JDE key cross-referenced to a JAGGAER id.
    async fn xref_local(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        remote_id: &str,
    ) -> Result<Option<String>>;
    /// All cross references of a kind as `(jde_key, remote_id)`.
    async fn xrefs(&self, tenant: &TenantId, kind: RecordKind) -> Result<Vec<(String, String)>>;

    // ---- audit ------------------------------------------------------------------------------
    /// Appends audit events that come with no ledger change (reads, retries, errors).
    async fn append_audit(&self, events: &[AuditEvent]) -> Result<()>;
    /// The trail of one record, oldest first.
    async fn audit_trail(
        &self,
        record: &RecordKey,
        since: Option<Timestamp>,
    ) -> Result<Vec<AuditEvent>>;

    // ---- quarantine -------------------------------------------------------------------------
    /// Quarantine entries, newest first; `open_only` hides retried/resolved/discarded ones.
    async fn quarantine_list(
        &self,
        tenant: Option<&TenantId>,
        open_only: bool,
    ) -> Result<Vec<QuarantineEntry>>;
    /// One entry.
    async fn quarantine_get(&self, id: i64) -> Result<QuarantineEntry>;
    /// Changes an entry's status (retry, discard) with a note, and audits it.
    async fn quarantine_set_status(
        &self,
        id: i64,
        status: QuarantineStatus,
        note: &str,
    ) -> Result<()>;
    /// Number of open entries of a tenant.
    async fn quarantine_open_count(&self, tenant: &TenantId) -> Result<u64>;

    // ---- runs -------------------------------------------------------------------------------
    /// Records the start of a sync run.
    async fn run_start(&self, tenant: &TenantId, trigger: &str) -> Result<RunId>;
    /// Records the end of a run with its summary (the JSON of `sync --json` for that tenant).
    async fn run_finish(
        &self,
        run: &RunId,
        status: RunStatus,
        summary: &serde_json::Value,
        error: Option<&str>,
    ) -> Result<()>;
    /// Latest runs, newest first.
    async fn runs(&self, tenant: Option<&TenantId>, limit: u32) -> Result<Vec<RunRow>>;

    // ---- leases and scheduling -------------------------------------------------------------------
    /// Takes or renews the lease `name` for `owner` for `ttl`. `Some(epoch)` when `owner` holds
    /// it afterwards: it was free, expired, or already held by `owner`. The epoch (fencing
    /// token) goes up whenever the lease changes hands and stays the same across renewals of an
    /// unexpired lease; give it to [`Commit::fence`]. Expiry uses the database's clock, so
    /// workers with skewed clocks agree.
    async fn lease_acquire(&self, name: &str, owner: &str, ttl: Duration) -> Result<Option<u64>>;
    /// Releases a lease held by `owner` (no-op otherwise). The lease's epoch is kept, so the
    /// next holder gets a higher one.
    async fn lease_release(&self, name: &str, owner: &str) -> Result<()>;
    /// Current holder of a lease, if unexpired.
    async fn lease_holder(&self, name: &str) -> Result<Option<LeaseRow>>;
    /// Scheduling state of a tenant (defaults when never set).
    async fn tenant_state(&self, tenant: &TenantId) -> Result<TenantState>;
    /// Saves scheduling state of a tenant.
    async fn set_tenant_state(&self, tenant: &TenantId, state: &TenantState) -> Result<()>;
    /// Next value of a named, per-tenant, strictly increasing sequence starting at `start`
    /// (voucher batch numbers).
    async fn next_sequence(&self, tenant: &TenantId, name: &str, start: i64) -> Result<i64>;
    /// The value [`StateStore::next_sequence`] would return now, without taking it (`sync
    /// --dry-run` predicts the voucher batch number a real run would use).
    async fn sequence_peek(&self, tenant: &TenantId, name: &str, start: i64) -> Result<i64>;

    // ---- inbound documents --------------------------------------------------------------------
    /// Stores an inbound document durably. Returns false when a document with the same
    /// `(tenant, doc_id)` is already stored (a resend), true when it is new.
    async fn inbox_put(
        &self,
        tenant: &TenantId,
        doc_id: &str,
        kind: &str,
        payload: &str,
    ) -> Result<bool>;
    /// Documents not yet processed, oldest first.
    async fn inbox_pending(&self, tenant: &TenantId, limit: u32) -> Result<Vec<InboxDoc>>;
    /// Marks a document processed.
    async fn inbox_done(&self, id: i64) -> Result<()>;

    // ---- console users and sessions -----------------------------------------------------------
    /// Adds a user with an argon2 PHC `password_hash`. False when the name is taken (nothing
    /// changes then).
    async fn user_add(&self, name: &str, role: Role, password_hash: &str) -> Result<bool>;
    /// One user.
    async fn user_get(&self, name: &str) -> Result<Option<User>>;
    /// Every user, by name.
    async fn users(&self) -> Result<Vec<User>>;
    /// Removes a user and ends their sessions. False when there is no such user.
    async fn user_remove(&self, name: &str) -> Result<bool>;
    /// Changes a user's role (open sessions get it at once). False when there is no such user.
    async fn user_set_role(&self, name: &str, role: Role) -> Result<bool>;
    /// Replaces a user's password hash and ends their sessions. False when there is no such
    /// user.
    async fn user_set_password(&self, name: &str, password_hash: &str) -> Result<bool>;
    /// Stores a session (by the hash of its token) for an existing user until `expires_at`,
    /// and forgets every expired session.
    async fn session_create(
        &self,
        token_hash: &str,
        user: &str,
        csrf_token: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// The unexpired session with this token hash, with its user's current role.
    async fn session_get(&self, token_hash: &str) -> Result<Option<Session>>;
    /// Ends a session (no-op when unknown).
    async fn session_delete(&self, token_hash: &str) -> Result<()>;
}

/// Opens the store named by `url` (`sqlite://PATH`, `sqlite::memory:`, `postgres://...`) and
/// applies migrations.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn StateStore>> {
    let store: std::sync::Arc<dyn StateStore> = if url.starts_with("sqlite:") {
        std::sync::Arc::new(sqlite::SqliteStore::connect(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        std::sync::Arc::new(postgres::PgStore::connect(url).await?)
    } else {
        return Err(StoreError::UnsupportedUrl(redact_url(url)));
    };
    store.migrate().await?;
    Ok(store)
}

/// The URL with any password replaced by `***`, for error messages: store URLs may carry a
/// database password, which must never reach logs.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        // `user:password@host` without a scheme parses as scheme `user` with an opaque path.
        Ok(parsed) if !parsed.has_host() && url.contains('@') => {
            "(url with credentials, not shown)".to_owned()
        }
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Cannot fail for a URL that already has a password (it has a host).
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        // Not a URL at all: show it only when it cannot hold `user:password@`.
        Err(_) if url.contains('@') => "(unparseable url with credentials, not shown)".to_owned(),
        Err(_) => url.to_owned(),
    }
}

pub mod check;
pub mod postgres;
pub mod sqlite;

#[cfg(any(test, feature = "testing"))]
pub mod conformance;

#[doc(hidden)]
pub fn _assert_object_safe(_: &dyn StateStore) {}
