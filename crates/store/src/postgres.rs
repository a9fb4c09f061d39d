//! The PostgreSQL backend: for several worker processes sharing tenants.
//!
//! Leases are decided by the database (`now()`), inside one `INSERT ... ON CONFLICT DO UPDATE
//! ... WHERE` statement, so two workers can never both hold a lease, whatever their clocks say.
//! Sequences advance with one atomic upsert. Timestamps are `timestamptz` (microseconds); they
//! travel as fixed-width RFC 3339 text in both directions (`$n::timestamptz` in, `to_char` out),
//! so both backends share one row decoder and one timestamp format. Details and summaries are
//! `jsonb`; quarantined payloads are `json`, which keeps the text as read. Ledger rows and audit
//! events of a commit go as one array statement each (`UNNEST`).
//!
//! [`PgStore`] is the store's one SQL implementation (`sql::SqlStore`), shared with
//! SQLite; the SQL differences are in `crate::dialect`. This module only connects.
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};

pub use crate::dialect::PgDialect;
use crate::sql::SqlStore;
use crate::{Result, StoreError};

/// The PostgreSQL state store.
pub type PgStore = SqlStore<PgDialect>;

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Database { context, source }
}

impl SqlStore<PgDialect> {
    /// Connects to `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`. Does not migrate; call
    /// [`crate::StateStore::migrate`] (or use [`crate::open`]).
    pub async fn connect(url: &str) -> Result<Self> {
        let options: PgConnectOptions = url.parse().map_err(db("parsing the postgres url"))?;
        let options = options.application_name("ml-connector");
        // One direct connection first: a wrong host, port or password fails right away with the
        // server's own error, where a pool would keep retrying until its acquire timeout.
        let probe = PgConnection::connect_with(&options)
            .await
            .map_err(db("connecting to postgres"))?;
        probe.close().await.map_err(db("connecting to postgres"))?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with(options);
        // Every PostgreSQL commit is flushed before it returns (`synchronous_commit` on, the
        // server's default): the durable writes need no pool of their own.
        Ok(Self::new(pool.clone(), pool))
    }
}
