//! The embedded SQLite backend: the default for one worker.
//!
//! The database runs in WAL mode (readers never block the writer), a busy timeout so concurrent
//! writers wait instead of failing, and foreign keys on. Write transactions start with
//! `BEGIN IMMEDIATE` so a transaction takes the write lock up front and can never fail half-way
//! with `SQLITE_BUSY` on lock upgrade.
//!
//! # Durability
//! Most writes run with `synchronous=NORMAL`: durable across process crashes; a power cut may
//! lose the last transactions but never corrupts the file. What a cut could lose there is
//! recovered by the next run (a record whose commit is lost is read again, and the dedup reads
//! find what was already written on the other side). Two writes cannot be recovered that way,
//! because someone outside was told they happened: an inbound document stored by
//! [`crate::StateStore::inbox_put`] (its sender got 200 and will not send it again) and a value
//! handed out by [`crate::StateStore::next_sequence`] (a voucher batch number written to JDE).
//! Those go through a second, one-connection pool opened with `synchronous=FULL`, where a
//! commit returns only after the WAL is on disk. The connection-wide setting (rather than
//! `PRAGMA synchronous` switched around each write) cannot leak: a write cancelled half-way
//! never leaves a `NORMAL` connection behind on the durable path, nor a `FULL` one on the fast
//! path.
//!
//! # Files
//! On unix the database file is created mode 0600 before SQLite opens it (SQLite gives its
//! `-wal` and `-shm` files the database file's mode), and a missing parent directory is created
//! 0700. An existing file keeps its mode.
//!
//! Timestamps are stored as fixed-width RFC 3339 text with microseconds (see
//! `common::ts_text`). Leases compare against this process's clock: every worker on a
//! SQLite store runs on the same machine, so that clock *is* the shared clock.
//!
//! [`SqliteStore`] is the store's one SQL implementation (`sql::SqlStore`), shared with
//! PostgreSQL; the SQL differences are in `crate::dialect`. This module only connects.
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use crate::dialect::SqliteDialect;
use crate::sql::SqlStore;
use crate::{Result, StoreError};

/// The SQLite state store.
pub type SqliteStore = SqlStore<SqliteDialect>;

/// How long a statement waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a caller waits for a free connection of a pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Database { context, source }
}

impl SqlStore<SqliteDialect> {
    /// Opens (creating if missing) the database at `sqlite://PATH`, or a private in-memory
    /// database for `sqlite::memory:`. Does not migrate; call [`crate::StateStore::migrate`]
    /// (or use [`crate::open`]).
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db("parsing the sqlite url"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if in_memory {
            // An in-memory database lives as long as its connection: keep exactly one, forever.
            // Nothing in memory survives a power cut, so there is no durable path to set up.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(db("opening the sqlite database"))?;
            return Ok(Self::new(pool.clone(), pool));
        }
        create_private(options.get_filename())
            .map_err(|e| db("creating the sqlite database file")(sqlx::Error::Io(e)))?;
        // A few connections so reads run beside the (single) writer.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(db("opening the sqlite database"))?;
        let durable = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.synchronous(SqliteSynchronous::Full))
            .await
            .map_err(db("opening the sqlite database"))?;
        Ok(Self::new(pool, durable))
    }
}

/// Creates the database file (0600) and its missing parent directories (0700) before SQLite
/// does (it would create them 0644 and not create directories at all). Leaves an existing file
/// alone.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut dirs = std::fs::DirBuilder::new();
    dirs.recursive(true);
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        dirs.mode(0o700);
        file.mode(0o600);
    }
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        dirs.create(dir)?;
    }
    match file.open(path) {
        // An empty file is an empty database to SQLite.
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StateStore;
    use mlc_core::ids::TenantId;

    async fn synchronous(pool: &sqlx::SqlitePool) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    /// The inbox and sequences path commits with `synchronous=FULL` (2); the rest stays at
    /// `NORMAL` (1).
    #[tokio::test]
    async fn acknowledged_writes_go_through_a_full_sync_connection() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("state.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let t = TenantId::parse("acme").unwrap();
        assert!(
            store
                .inbox_put(&t, "doc-1", "invoice", "<cXML/>")
                .await
                .unwrap()
        );
        assert_eq!(store.next_sequence(&t, "batch", 7).await.unwrap(), 7);
        assert_eq!(synchronous(store.durable_pool()).await, 2, "inbox path");
        assert_eq!(synchronous(store.pool()).await, 1, "everything else");
        // Both pools see one database.
        assert_eq!(store.inbox_pending(&t, 10).await.unwrap().len(), 1);

        // And those writes really take that path: without it they fail, the rest goes on.
        store.durable_pool().close().await;
        assert!(
            store
                .inbox_put(&t, "doc-2", "invoice", "<cXML/>")
                .await
                .is_err()
        );
        assert!(store.next_sequence(&t, "batch", 7).await.is_err());
        store.set_cursor(&t, "c", Some("v")).await.unwrap();
    }
}
