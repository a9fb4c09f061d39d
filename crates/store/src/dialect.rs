//! Everything in which the two SQL backends differ, in one place.
//!
//! The store's logic ([`crate::sql`]) is written once, generic over a [`Dialect`]. Its statements
//! are templates in a small neutral notation that [`render`] turns into each backend's SQL:
//!
//! | template | SQLite | PostgreSQL |
//! |---|---|---|
//! | `?3` (a parameter) | `?3` | `$3` |
//! | `?3:ts`, `?3:jsonb`, `?3:json`, `?3:text`, `?3:texts` (a typed parameter) | `?3` | `$3::timestamptz`, `$3::jsonb`, `$3::json`, `$3::text`, `$3::text[]` |
//! | `@ts(col)` (a timestamp column read as the store's timestamp text) | `col` | `to_char(col AT TIME ZONE 'UTC', …) AS col` |
//! | `@json(col)` (a JSON column read as text) | `col` | `col::text AS col` |
//!
//! The rest of the differences are the dialect's constants and functions: how a write
//! transaction starts (`BEGIN IMMEDIATE` on SQLite, so it takes the write lock up front), how a
//! row is locked for update, whether batches travel as arrays (`UNNEST` on PostgreSQL, one
//! prepared statement per row on SQLite), which clock decides lease expiry, and how parameters
//! are bound.
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::query::Query;
use sqlx::{Database, Pool, Postgres, Sqlite};

use crate::common::{RowExt, ts_text, ttl_millis};

/// A boxed, sendable future (what the dialect's execution functions return).
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One bound statement parameter, whatever the backend.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    /// Borrowed text.
    Str(&'a str),
    /// Borrowed text or NULL.
    OptStr(Option<&'a str>),
    /// Owned text.
    Text(String),
    /// Owned text or NULL.
    OptText(Option<String>),
    /// A 64-bit integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A text array (only where [`Dialect::ARRAYS`]).
    Texts(Vec<String>),
    /// A text array with NULLs (only where [`Dialect::ARRAYS`]).
    OptTexts(Vec<Option<String>>),
    /// A borrowed text array (only where [`Dialect::ARRAYS`]).
    TextSlice(&'a [String]),
}

/// The parameters of one statement.
pub(crate) type Args<'a> = Vec<Arg<'a>>;

/// The differences between the SQL backends. Implemented by [`SqliteDialect`] and
/// [`PgDialect`] only.
pub trait Dialect: Send + Sync + Debug + 'static {
    /// The sqlx driver.
    type Db: Database<Row: RowExt>;
    /// The backend's name, for status output.
    const NAME: &'static str;
    /// The statement that starts a write transaction (`None`: the driver's plain `BEGIN`).
    const BEGIN_WRITE: Option<&'static str>;
    /// Appended to a `SELECT` that reads a row the transaction is about to change.
    const LOCK_ROW: &'static str;
    /// Appended to a `SELECT` that reads a row the transaction relies on staying unchanged
    /// until it commits (others may read it, not change it).
    const SHARE_ROW: &'static str;
    /// Whether a parameter may be an array: batches then go as one `UNNEST` statement, and key
    /// lists as one `= ANY(...)` parameter.
    const ARRAYS: bool;

    /// The rows source of a batch `INSERT INTO t (cols) <source>` whose parameters are the
    /// columns `cols` (name and the template type of its value, `""` for text), in order. Where
    /// [`Dialect::ARRAYS`], one parameter per column holds the values of every row (see
    /// [`transpose`]); otherwise the statement runs once per row.
    fn rows_source(cols: &[(&str, &str)]) -> String;
    /// A parameter, with the type the template names (`""` when it names none).
    fn param(n: usize, cast: &str) -> String;
    /// A timestamp column, read as the store's timestamp text under its own name.
    fn ts_col(col: &str) -> String;
    /// A JSON column, read as text under its own name.
    fn json_col(col: &str) -> String;
    /// The SQL for "now" in lease comparisons, as a parameter numbered `n` or as a database
    /// expression, with the arguments it takes.
    fn lease_now(n: usize, now: Timestamp) -> (String, Args<'static>);
    /// The SQL for "now + ttl" for a lease's expiry, likewise.
    fn lease_expiry(n: usize, now: Timestamp, ttl: Duration) -> (String, Args<'static>);

    /// Applies the migrations of this backend.
    fn migrate(pool: &Pool<Self::Db>) -> BoxFuture<'_, Result<(), sqlx::migrate::MigrateError>>;
    /// Runs a statement and returns all its rows.
    fn fetch_all<'c, 'a: 'c>(
        conn: &'c mut <Self::Db as Database>::Connection,
        sql: &'a str,
        args: Args<'a>,
    ) -> BoxFuture<'c, sqlx::Result<Vec<<Self::Db as Database>::Row>>>;
    /// Runs a statement and returns the number of rows it changed.
    fn execute<'c, 'a: 'c>(
        conn: &'c mut <Self::Db as Database>::Connection,
        sql: &'a str,
        args: Args<'a>,
    ) -> BoxFuture<'c, sqlx::Result<u64>>;
}

/// Turns a statement template (see the module documentation) into the dialect's SQL.
///
/// Templates are constants of this crate, and every one of them is rendered and run by the
/// conformance suite on both backends; a malformed marker is copied as is (and the database
/// then refuses the statement), never a panic.
pub(crate) fn render<D: Dialect>(template: &str) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(at) = rest.find(['?', '@']) {
        out.push_str(&rest[..at]);
        let marker = &rest[at..];
        let tail = &marker[1..];
        if marker.starts_with('?') {
            let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
            let Ok(n) = tail[..digits].parse::<usize>() else {
                out.push('?');
                rest = tail;
                continue;
            };
            let after = &tail[digits..];
            let (cast, used) = match after.strip_prefix(':') {
                Some(c) => {
                    let len = c.bytes().take_while(u8::is_ascii_alphabetic).count();
                    (&c[..len], len + 1)
                }
                None => ("", 0),
            };
            out.push_str(&D::param(n, cast));
            rest = &after[used..];
        } else {
            let parsed = tail.split_once('(').and_then(|(func, args)| {
                let (col, after) = args.split_once(')')?;
                match func {
                    "ts" => Some((D::ts_col(col), after)),
                    "json" => Some((D::json_col(col), after)),
                    _ => None,
                }
            });
            match parsed {
                Some((sql, after)) => {
                    out.push_str(&sql);
                    rest = after;
                }
                None => {
                    out.push('@');
                    rest = tail;
                }
            }
        }
    }
    out.push_str(rest);
    out
}

/// Binds [`Arg`]s to a query: the scalar arms here, the array arms as the caller says.
macro_rules! bind_each {
    ($q:ident, $args:ident, $($arm:pat => $e:expr),+ $(,)?) => {{
        let mut $q = $q;
        for arg in $args {
            $q = match arg {
                Arg::Str(v) => $q.bind(v),
                Arg::OptStr(v) => $q.bind(v),
                Arg::Text(v) => $q.bind(v),
                Arg::OptText(v) => $q.bind(v),
                Arg::Int(v) => $q.bind(v),
                Arg::Bool(v) => $q.bind(v),
                $($arm => $e,)+
            };
        }
        Ok($q)
    }};
}

/// The two execution functions of a dialect, the same for every driver but its name and the
/// binding function `$bind`.
macro_rules! execution {
    ($db:ty, $bind:path) => {
        fn fetch_all<'c, 'a: 'c>(
            conn: &'c mut <$db as Database>::Connection,
            sql: &'a str,
            args: Args<'a>,
        ) -> BoxFuture<'c, sqlx::Result<Vec<<$db as Database>::Row>>> {
            Box::pin(async move { $bind(sqlx::query(sql), args)?.fetch_all(conn).await })
        }

        fn execute<'c, 'a: 'c>(
            conn: &'c mut <$db as Database>::Connection,
            sql: &'a str,
            args: Args<'a>,
        ) -> BoxFuture<'c, sqlx::Result<u64>> {
            Box::pin(async move {
                Ok($bind(sqlx::query(sql), args)?
                    .execute(conn)
                    .await?
                    .rows_affected())
            })
        }
    };
}

type SqliteQuery<'a> = Query<'a, Sqlite, <Sqlite as Database>::Arguments<'a>>;
type PgQuery<'a> = Query<'a, Postgres, <Postgres as Database>::Arguments<'a>>;

fn bind_sqlite<'a>(q: SqliteQuery<'a>, args: Args<'a>) -> sqlx::Result<SqliteQuery<'a>> {
    bind_each!(q, args,
        array @ (Arg::Texts(_) | Arg::OptTexts(_) | Arg::TextSlice(_)) => {
            return Err(sqlx::Error::Encode(
                format!("SQLite takes no array parameters ({array:?})").into(),
            ));
        }
    )
}

fn bind_pg<'a>(q: PgQuery<'a>, args: Args<'a>) -> sqlx::Result<PgQuery<'a>> {
    bind_each!(q, args,
        Arg::Texts(v) => q.bind(v),
        Arg::OptTexts(v) => q.bind(v),
        Arg::TextSlice(v) => q.bind(v),
    )
}

/// SQLite: text timestamps and JSON, `BEGIN IMMEDIATE`, one statement per batch row, and this
/// process's clock for leases (every worker on one SQLite file runs on one machine).
#[derive(Debug, Clone, Copy)]
pub struct SqliteDialect;

impl Dialect for SqliteDialect {
    type Db = Sqlite;
    const NAME: &'static str = "sqlite";
    const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");
    // `BEGIN IMMEDIATE` already holds the database's write lock.
    const LOCK_ROW: &'static str = "";
    // A write transaction (BEGIN IMMEDIATE) already excludes every other writer.
    const SHARE_ROW: &'static str = "";
    const ARRAYS: bool = false;

    fn rows_source(cols: &[(&str, &str)]) -> String {
        let params: Vec<String> = (1..=cols.len()).map(|n| format!("?{n}")).collect();
        format!("VALUES ({})", params.join(", "))
    }
    fn param(n: usize, _cast: &str) -> String {
        format!("?{n}")
    }
    fn ts_col(col: &str) -> String {
        col.to_owned()
    }
    fn json_col(col: &str) -> String {
        col.to_owned()
    }
    fn lease_now(n: usize, now: Timestamp) -> (String, Args<'static>) {
        (format!("?{n}"), vec![Arg::Text(ts_text(now))])
    }
    fn lease_expiry(n: usize, now: Timestamp, ttl: Duration) -> (String, Args<'static>) {
        let expires = now
            .checked_add(jiff::SignedDuration::from_millis(ttl_millis(ttl)))
            .unwrap_or(Timestamp::MAX);
        (format!("?{n}"), vec![Arg::Text(ts_text(expires))])
    }
    fn migrate(pool: &Pool<Sqlite>) -> BoxFuture<'_, Result<(), sqlx::migrate::MigrateError>> {
        Box::pin(sqlx::migrate!("./migrations/sqlite").run(pool))
    }
    execution!(Sqlite, bind_sqlite);
}

/// PostgreSQL: `timestamptz` and `jsonb` columns travelling as text, `SELECT ... FOR UPDATE`,
/// array parameters with `UNNEST` for batches, and the database's clock for leases (workers on
/// several machines must agree on expiry whatever their own clocks say).
#[derive(Debug, Clone, Copy)]
pub struct PgDialect;

impl Dialect for PgDialect {
    type Db = Postgres;
    const NAME: &'static str = "postgres";
    const BEGIN_WRITE: Option<&'static str> = None;
    const LOCK_ROW: &'static str = " FOR UPDATE";
    const SHARE_ROW: &'static str = " FOR SHARE";
    const ARRAYS: bool = true;

    fn rows_source(cols: &[(&str, &str)]) -> String {
        let names: Vec<&str> = cols.iter().map(|(name, _)| *name).collect();
        let values: Vec<String> = cols
            .iter()
            .map(|(name, cast)| match *cast {
                "" => (*name).to_owned(),
                "ts" => format!("{name}::timestamptz"),
                other => format!("{name}::{other}"),
            })
            .collect();
        let arrays: Vec<String> = (1..=cols.len()).map(|n| format!("${n}::text[]")).collect();
        // ORDER BY ord: rows are inserted in the caller's order (ids break ties of equal times).
        format!(
            "SELECT {} FROM UNNEST({}) WITH ORDINALITY AS u({}, ord) ORDER BY ord",
            values.join(", "),
            arrays.join(", "),
            names.join(", ")
        )
    }
    fn param(n: usize, cast: &str) -> String {
        match cast {
            "" => format!("${n}"),
            "ts" => format!("${n}::timestamptz"),
            "texts" => format!("${n}::text[]"),
            other => format!("${n}::{other}"),
        }
    }
    fn ts_col(col: &str) -> String {
        format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS {col}")
    }
    fn json_col(col: &str) -> String {
        format!("{col}::text AS {col}")
    }
    fn lease_now(_n: usize, _now: Timestamp) -> (String, Args<'static>) {
        ("now()".to_owned(), Vec::new())
    }
    fn lease_expiry(n: usize, _now: Timestamp, ttl: Duration) -> (String, Args<'static>) {
        (
            format!("now() + ${n} * interval '1 millisecond'"),
            vec![Arg::Int(ttl_millis(ttl))],
        )
    }
    fn migrate(pool: &Pool<Postgres>) -> BoxFuture<'_, Result<(), sqlx::migrate::MigrateError>> {
        // sqlx takes an advisory lock, so workers starting together migrate one at a time.
        Box::pin(sqlx::migrate!("./migrations/postgres").run(pool))
    }
    execution!(Postgres, bind_pg);
}

/// Turns the per-row parameters of a batch into one text-array parameter per column, for
/// dialects with [`Dialect::ARRAYS`]. Every batch column is text (or NULL); numbers and
/// booleans become their text, which the statement casts back.
pub(crate) fn transpose(rows: Vec<Args<'_>>) -> Args<'static> {
    let width = rows.first().map_or(0, Vec::len);
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(rows.len()); width];
    for row in rows {
        for (column, arg) in columns.iter_mut().zip(row) {
            column.push(match arg {
                Arg::Str(v) => Some(v.to_owned()),
                Arg::OptStr(v) => v.map(str::to_owned),
                Arg::Text(v) => Some(v),
                Arg::OptText(v) => v,
                Arg::Int(v) => Some(v.to_string()),
                Arg::Bool(v) => Some(v.to_string()),
                Arg::Texts(_) | Arg::OptTexts(_) | Arg::TextSlice(_) => None,
            });
        }
    }
    columns.into_iter().map(Arg::OptTexts).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "SELECT @ts(at), @json(detail) FROM audit WHERE a = ?1 AND (?2:text IS NULL OR b >= ?2:ts) AND c = ANY(?13:texts) AND d = '?' AND e = @x";

    #[test]
    fn templates_render_to_each_dialect() {
        assert_eq!(
            render::<SqliteDialect>(T),
            "SELECT at, detail FROM audit WHERE a = ?1 AND (?2 IS NULL OR b >= ?2) AND c = ANY(?13) AND d = '?' AND e = @x"
        );
        assert_eq!(
            render::<PgDialect>(T),
            "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at, detail::text AS detail \
             FROM audit WHERE a = $1 AND ($2::text IS NULL OR b >= $2::timestamptz) AND c = ANY($13::text[]) AND d = '?' AND e = @x"
        );
    }
}
