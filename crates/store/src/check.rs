//! A side-effect-free look at a store (for `ml-connector validate`): can it be reached, which
//! migrations are applied and which would run. Unlike [`crate::open`] it never creates a file,
//! a directory or a table, and never migrates: a SQLite file is opened read-only, and only if
//! it exists.
use std::str::FromStr;

use sqlx::Connection as _;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use crate::{Result, StoreError};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCheck {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// False for a SQLite file that does not exist yet (created by `migrate` or the first run).
    pub exists: bool,
    /// Versions of the migrations applied, ascending.
    pub applied: Vec<i64>,
    /// Versions this build would apply, ascending.
    pub pending: Vec<i64>,
    /// Applied versions this build does not know: the store was migrated by a newer build.
    pub unknown: Vec<i64>,
}

/// Looks at the store named by `url` without changing anything.
pub async fn check(url: &str) -> Result<StoreCheck> {
    let db = |context: &'static str| move |source| StoreError::Database { context, source };
    if url.starts_with("sqlite:") {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Ok(compare("sqlite", true, Vec::new(), &SQLITE));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db("parsing the sqlite url"))?
            .create_if_missing(false)
            .read_only(true);
        if !options.get_filename().exists() {
            return Ok(compare("sqlite", false, Vec::new(), &SQLITE));
        }
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .map_err(db("opening the sqlite database read-only"))?;
        let has_table: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(&mut conn)
        .await
        .map_err(db("reading the sqlite schema"))?;
        let applied = match has_table {
            Some(_) => sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(&mut conn)
            .await
            .map_err(db("reading the applied migrations"))?,
            None => Vec::new(),
        };
        let _ = conn.close().await;
        Ok(compare("sqlite", true, applied, &SQLITE))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options: PgConnectOptions = url.parse().map_err(db("parsing the postgres url"))?;
        let mut conn =
            PgConnection::connect_with(&options.application_name("ml-connector validate"))
                .await
                .map_err(db("connecting to postgres"))?;
        let has_table: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
                .fetch_one(&mut conn)
                .await
                .map_err(db("reading the postgres schema"))?;
        let applied = match has_table {
            Some(_) => sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(&mut conn)
            .await
            .map_err(db("reading the applied migrations"))?,
            None => Vec::new(),
        };
        let _ = conn.close().await;
        Ok(compare("postgres", true, applied, &POSTGRES))
    } else {
        Err(StoreError::UnsupportedUrl(crate::redact_url(url)))
    }
}

fn compare(backend: &'static str, exists: bool, applied: Vec<i64>, m: &Migrator) -> StoreCheck {
    let known: Vec<i64> = m.iter().map(|m| m.version).collect();
    StoreCheck {
        backend,
        exists,
        pending: known
            .iter()
            .copied()
            .filter(|v| !applied.contains(v))
            .collect(),
        unknown: applied
            .iter()
            .copied()
            .filter(|v| !known.contains(v))
            .collect(),
        applied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A missing file stays missing; after `open` (which migrates) nothing is pending; the
    /// check itself writes nothing (the file's bytes are unchanged).
    #[tokio::test]
    async fn sqlite_check_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("state.db");
        let url = format!("sqlite://{}", path.display());
        let c = check(&url).await.unwrap();
        assert!(!c.exists);
        assert!(c.applied.is_empty() && !c.pending.is_empty(), "{c:?}");
        assert!(!path.exists() && !path.parent().unwrap().exists());

        let store = crate::open(&url).await.unwrap();
        drop(store);
        // Let the dropped pools close their connections (SQLite checkpoints the WAL on the
        // last close), so the bytes compared below are the store's own, settled.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let before = std::fs::read(&path).unwrap();
        let c = check(&url).await.unwrap();
        assert!(c.exists);
        assert!(c.pending.is_empty() && c.unknown.is_empty(), "{c:?}");
        assert_eq!(c.applied.len(), SQLITE.iter().count());
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[tokio::test]
    async fn unsupported_urls_are_named() {
        assert!(matches!(
            check("mysql://x").await,
            Err(StoreError::UnsupportedUrl(_))
        ));
    }
}
