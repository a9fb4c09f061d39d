//! The store's logic, written once for both SQL backends: [`SqlStore`] implements
//! [`StateStore`] over any [`Dialect`]. What differs between SQLite and PostgreSQL (placeholders,
//! casts, how timestamps and JSON are read, `BEGIN IMMEDIATE`, `FOR UPDATE`, array batches,
//! the lease clock) lives in [`crate::dialect`]; how a backend connects lives in
//! [`crate::sqlite`] and [`crate::postgres`].
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_core::record::{RecordKey, RecordKind};
use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool, Transaction};

use crate::common::{self, RowExt, now_text, ts_text};
use crate::dialect::{Arg, Args, Dialect, render, transpose};
use crate::{
    AuditEvent, Commit, CursorRow, InboxDoc, LeaseRow, LedgerEntry, LedgerStatus, QuarantineEntry,
    QuarantineStatus, Result, Role, RunId, RunRow, RunStatus, Session, StateStore, StoreError,
    TenantState, User,
};

type Row<D> = <<D as Dialect>::Db as Database>::Row;
type Conn<D> = <<D as Dialect>::Db as Database>::Connection;

/// Runs a statement that yields at most one row (a key lookup, a `RETURNING`) and returns it.
async fn first<'a, D: Dialect>(
    conn: &mut Conn<D>,
    sql: &'a str,
    args: Args<'a>,
) -> sqlx::Result<Option<Row<D>>> {
    Ok(D::fetch_all(conn, sql, args).await?.into_iter().next())
}

/// Keys per `IN (...)` list in [`StateStore::ledger_many`] where parameters cannot be arrays.
const IN_CHUNK: usize = 500;

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Database { context, source }
}

/// The state store over one SQL backend (see [`crate::sqlite::SqliteStore`] and
/// [`crate::postgres::PgStore`]).
pub struct SqlStore<D: Dialect> {
    pool: Pool<D::Db>,
    /// Where writes that were (or are about to be) acknowledged to someone outside go: the
    /// inbox and the sequences. On SQLite its connections run with `synchronous=FULL`; on
    /// PostgreSQL it is `pool` (every commit is flushed there).
    durable: Pool<D::Db>,
    sql: Arc<Statements>,
    dialect: PhantomData<D>,
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            durable: self.durable.clone(),
            sql: Arc::clone(&self.sql),
            dialect: PhantomData,
        }
    }
}

impl<D: Dialect> std::fmt::Debug for SqlStore<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &D::NAME)
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl<D: Dialect> SqlStore<D> {
    /// A store over `pool`, with `durable` for the writes that must survive a power cut.
    pub(crate) fn new(pool: Pool<D::Db>, durable: Pool<D::Db>) -> Self {
        Self {
            pool,
            durable,
            sql: Arc::new(Statements::new::<D>()),
            dialect: PhantomData,
        }
    }

    /// The pool of the durable writes (for tests of the durability settings).
    #[cfg(test)]
    pub(crate) fn durable_pool(&self) -> &Pool<D::Db> {
        &self.durable
    }

    /// The pool of every other statement (for tests of the durability settings).
    #[cfg(test)]
    pub(crate) fn pool(&self) -> &Pool<D::Db> {
        &self.pool
    }

    async fn conn(&self, context: &'static str) -> Result<PoolConnection<D::Db>> {
        self.pool.acquire().await.map_err(db(context))
    }

    async fn all<'a>(
        &self,
        context: &'static str,
        sql: &'a str,
        args: Args<'a>,
    ) -> Result<Vec<Row<D>>> {
        let mut conn = self.conn(context).await?;
        D::fetch_all(&mut *conn, sql, args)
            .await
            .map_err(db(context))
    }

    async fn one<'a>(
        &self,
        context: &'static str,
        sql: &'a str,
        args: Args<'a>,
    ) -> Result<Option<Row<D>>> {
        let mut conn = self.conn(context).await?;
        first::<D>(&mut conn, sql, args).await.map_err(db(context))
    }

    async fn exec<'a>(&self, context: &'static str, sql: &'a str, args: Args<'a>) -> Result<u64> {
        let mut conn = self.conn(context).await?;
        D::execute(&mut *conn, sql, args).await.map_err(db(context))
    }

    async fn write_tx(&self, context: &'static str) -> Result<Transaction<'static, D::Db>> {
        match D::BEGIN_WRITE {
            Some(begin) => self.pool.begin_with(begin).await,
            None => self.pool.begin().await,
        }
        .map_err(db(context))
    }

    /// Writes a batch of rows with `sql` (a batch `INSERT`, see [`Dialect::rows_source`]): one
    /// statement with array parameters where the dialect has them, else one per row.
    async fn write_batch(
        conn: &mut Conn<D>,
        context: &'static str,
        sql: &str,
        rows: Vec<Args<'_>>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        if D::ARRAYS {
            D::execute(conn, sql, transpose(rows))
                .await
                .map_err(db(context))?;
        } else {
            // sqlx prepares each distinct SQL text once per connection and reuses it, so N rows
            // cost N executions of one prepared statement, not N prepares.
            for row in rows {
                D::execute(&mut *conn, sql, row)
                    .await
                    .map_err(db(context))?;
            }
        }
        Ok(())
    }

    async fn insert_audit(&self, conn: &mut Conn<D>, events: &[AuditEvent]) -> Result<()> {
        let rows = events
            .iter()
            .map(|e| {
                vec![
                    Arg::Str(e.record.tenant.as_str()),
                    Arg::Str(e.record.kind.as_str()),
                    Arg::Str(&e.record.key),
                    Arg::OptStr(e.run_id.as_ref().map(|r| r.0.as_str())),
                    Arg::Str(&e.action),
                    Arg::Str(&e.message),
                    Arg::Text(e.detail.to_string()),
                    Arg::Text(ts_text(e.at)),
                ]
            })
            .collect();
        Self::write_batch(conn, "appending audit events", &self.sql.insert_audit, rows).await
    }

    async fn upsert_ledger(
        &self,
        conn: &mut Conn<D>,
        rows: &[LedgerEntry],
        now: &str,
    ) -> Result<()> {
        // One INSERT ... ON CONFLICT may not touch a row twice, so a record listed twice keeps
        // only its last entry, which is what writing them one after the other would leave.
        let mut last: HashMap<(&str, &str, &str), usize> = HashMap::with_capacity(rows.len());
        for (i, l) in rows.iter().enumerate() {
            last.insert(
                (
                    l.record.tenant.as_str(),
                    l.record.kind.as_str(),
                    l.record.key.as_str(),
                ),
                i,
            );
        }
        let mut picked: Vec<usize> = last.into_values().collect();
        picked.sort_unstable();
        let args = picked
            .into_iter()
            .map(|i| {
                let l = &rows[i];
                vec![
                    Arg::Str(l.record.tenant.as_str()),
                    Arg::Str(l.record.kind.as_str()),
                    Arg::Str(&l.record.key),
                    Arg::Str(&l.content_hash),
                    Arg::Str(&l.source_version),
                    Arg::OptStr(l.remote_id.as_deref()),
                    Arg::Str(l.status.as_str()),
                    Arg::Text(l.detail.to_string()),
                    Arg::Str(now),
                ]
            })
            .collect();
        Self::write_batch(conn, "writing ledger rows", &self.sql.upsert_ledger, args).await
    }

    async fn quarantine_row(
        &self,
        conn: &mut Conn<D>,
        sql: &str,
        id: i64,
    ) -> Result<QuarantineEntry> {
        let row = first::<D>(conn, sql, vec![Arg::Int(id)])
            .await
            .map_err(db("reading a quarantine entry"))?
            .ok_or_else(|| StoreError::NotFound {
                what: "quarantine entry",
                id: id.to_string(),
            })?;
        common::quarantine_entry(&row)
    }
}

#[async_trait]
impl<D: Dialect> StateStore for SqlStore<D> {
    async fn migrate(&self) -> Result<()> {
        D::migrate(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.exec("pinging the database", "SELECT 1", Vec::new())
            .await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        D::NAME
    }

    async fn cursor(&self, tenant: &TenantId, name: &str) -> Result<Option<String>> {
        let row = self
            .one(
                "reading a cursor",
                &self.sql.cursor,
                vec![Arg::Str(tenant.as_str()), Arg::Str(name)],
            )
            .await?;
        row.map(|r| r.text("cursors", "value")).transpose()
    }

    async fn cursors(&self, tenant: &TenantId) -> Result<Vec<CursorRow>> {
        let rows = self
            .all(
                "reading cursors",
                &self.sql.cursors,
                vec![Arg::Str(tenant.as_str())],
            )
            .await?;
        rows.iter().map(common::cursor_row).collect()
    }

    async fn set_cursor(&self, tenant: &TenantId, name: &str, value: Option<&str>) -> Result<()> {
        let t = Arg::Str(tenant.as_str());
        let (sql, args) = match value {
            Some(v) => (
                &self.sql.upsert_cursor,
                vec![t, Arg::Str(name), Arg::Str(v), Arg::Text(now_text())],
            ),
            None => (&self.sql.delete_cursor, vec![t, Arg::Str(name)]),
        };
        self.exec("setting a cursor", sql, args).await?;
        Ok(())
    }

    async fn commit(&self, c: Commit) -> Result<Vec<i64>> {
        if c.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_text();
        let mut tx = self.write_tx("starting a commit").await?;
        if let Some(f) = &c.fence {
            // Read (and on PostgreSQL lock) the lease row in this transaction: a takeover waits
            // for this commit, and a commit after a takeover sees the new epoch and writes nothing.
            let row = first::<D>(&mut tx, &self.sql.lease_epoch, vec![Arg::Str(&f.lease)])
                .await
                .map_err(db("checking the lease epoch"))?;
            let current = row
                .as_ref()
                .map(|r| r.int("leases", "epoch").and_then(|e| common::epoch(&e)))
                .transpose()?;
            if current != Some(f.epoch) {
                drop(tx);
                return Err(StoreError::Fenced {
                    lease: f.lease.clone(),
                    epoch: f.epoch,
                    current,
                });
            }
        }
        self.upsert_ledger(&mut tx, &c.ledger, &now).await?;
        let mut waiting: Vec<&str> = c
            .ledger
            .iter()
            .filter(|l| l.status == LedgerStatus::Waiting)
            .map(|l| l.record.tenant.as_str())
            .collect();
        waiting.sort_unstable();
        waiting.dedup();
        for tenant in waiting {
            D::execute(
                &mut tx,
                &self.sql.mark_waiting_since,
                vec![Arg::Str(tenant)],
            )
            .await
            .map_err(db("noting when waits began"))?;
        }
        for (tenant, name, value) in &c.cursors {
            let args = vec![
                Arg::Str(tenant.as_str()),
                Arg::Str(name),
                Arg::Str(value),
                Arg::Str(&now),
            ];
            D::execute(&mut tx, &self.sql.upsert_cursor, args)
                .await
                .map_err(db("advancing cursors"))?;
        }
        self.insert_audit(&mut tx, &c.audit).await?;
        // Resolutions before new entries: when one commit does both for a record, the newest
        // outcome (quarantined again) is what stays open.
        for r in &c.resolve {
            let args = vec![
                Arg::Str(r.tenant.as_str()),
                Arg::Str(r.kind.as_str()),
                Arg::Str(&r.key),
                Arg::Str(&now),
            ];
            D::execute(&mut tx, &self.sql.resolve_quarantine, args)
                .await
                .map_err(db("resolving quarantine entries"))?;
        }
        let mut ids = Vec::with_capacity(c.quarantine.len());
        for q in &c.quarantine {
            let args = vec![
                Arg::Str(q.record.tenant.as_str()),
                Arg::Str(q.record.kind.as_str()),
                Arg::Str(&q.record.key),
                Arg::OptStr(q.run_id.as_ref().map(|r| r.0.as_str())),
                Arg::Str(&q.reason_kind),
                Arg::Str(&q.reason),
                Arg::OptStr(q.field.as_deref()),
                Arg::Text(q.payload.to_string()),
                Arg::Str(&now),
            ];
            let row = first::<D>(&mut tx, &self.sql.upsert_quarantine, args)
                .await
                .map_err(db("writing quarantine entries"))?
                .ok_or_else(|| StoreError::Corrupt {
                    what: "quarantine",
                    detail: "an upsert returned no id".to_owned(),
                })?;
            ids.push(row.int("quarantine", "id")?);
        }
        for x in &c.xrefs {
            let args = vec![
                Arg::Str(x.tenant.as_str()),
                Arg::Str(x.kind.as_str()),
                Arg::Str(&x.jde_key),
                Arg::Str(&x.remote_id),
                Arg::Str(&now),
            ];
            D::execute(&mut tx, &self.sql.upsert_xref, args)
                .await
                .map_err(db("writing cross references"))?;
        }
        tx.commit().await.map_err(db("committing"))?;
        Ok(ids)
    }

    async fn ledger(&self, record: &RecordKey) -> Result<Option<LedgerEntry>> {
        let args = vec![
            Arg::Str(record.tenant.as_str()),
            Arg::Str(record.kind.as_str()),
            Arg::Str(&record.key),
        ];
        let row = self
            .one("reading a ledger row", &self.sql.ledger_one, args)
            .await?;
        row.as_ref().map(common::ledger_entry).transpose()
    }

    async fn ledger_many(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        keys: &[String],
    ) -> Result<HashMap<String, LedgerEntry>> {
        const CONTEXT: &str = "reading ledger rows";
        let mut out = HashMap::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(out);
        }
        let scope = || vec![Arg::Str(tenant.as_str()), Arg::Str(kind.as_str())];
        let mut rows = Vec::new();
        if D::ARRAYS {
            let mut args = scope();
            args.push(Arg::TextSlice(keys));
            rows = self.all(CONTEXT, &self.sql.ledger_any, args).await?;
        } else {
            for chunk in keys.chunks(IN_CHUNK) {
                let placeholders: Vec<String> =
                    (0..chunk.len()).map(|i| format!("?{}", i + 3)).collect();
                let sql = render::<D>(&format!(
                    "{} AND key IN ({})",
                    ledger_of_kind(),
                    placeholders.join(", ")
                ));
                let mut args = scope();
                args.extend(chunk.iter().map(|k| Arg::Str(k)));
                rows.extend(self.all(CONTEXT, &sql, args).await?);
            }
        }
        for row in &rows {
            let e = common::ledger_entry(row)?;
            out.insert(e.record.key.clone(), e);
        }
        Ok(out)
    }

    async fn ledger_by_status(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        status: Option<LedgerStatus>,
    ) -> Result<Vec<LedgerEntry>> {
        let args = vec![
            Arg::Str(tenant.as_str()),
            Arg::Str(kind.as_str()),
            Arg::OptStr(status.map(LedgerStatus::as_str)),
        ];
        let rows = self
            .all("reading ledger rows", &self.sql.ledger_by_status, args)
            .await?;
        rows.iter().map(common::ledger_entry).collect()
    }

    async fn xref_remote(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        jde_key: &str,
    ) -> Result<Option<String>> {
        let args = vec![
            Arg::Str(tenant.as_str()),
            Arg::Str(kind.as_str()),
            Arg::Str(jde_key),
        ];
        let row = self
            .one("reading a cross reference", &self.sql.xref_remote, args)
            .await?;
        row.map(|r| r.text("xref", "remote_id")).transpose()
    }

    async fn xref_local(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        remote_id: &str,
    ) -> Result<Option<String>> {
        let args = vec![
            Arg::Str(tenant.as_str()),
            Arg::Str(kind.as_str()),
            Arg::Str(remote_id),
        ];
        let row = self
            .one("reading a cross reference", &self.sql.xref_local, args)
            .await?;
        row.map(|r| r.text("xref", "jde_key")).transpose()
    }

    async fn waits(&self, tenant: &TenantId) -> Result<Vec<(RecordKey, Timestamp)>> {
        let rows = self
            .all(
                "reading waiting records",
                &self.sql.waits,
                vec![Arg::Str(tenant.as_str())],
            )
            .await?;
        rows.iter().map(common::wait_row).collect()
    }

    async fn xrefs(&self, tenant: &TenantId, kind: RecordKind) -> Result<Vec<(String, String)>> {
        let args = vec![Arg::Str(tenant.as_str()), Arg::Str(kind.as_str())];
        let rows = self
            .all("reading cross references", &self.sql.xrefs, args)
            .await?;
        rows.iter()
            .map(|r| Ok((r.text("xref", "jde_key")?, r.text("xref", "remote_id")?)))
            .collect()
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx("starting an audit append").await?;
        self.insert_audit(&mut tx, events).await?;
        tx.commit().await.map_err(db("committing audit events"))
    }

    async fn audit_trail(
        &self,
        record: &RecordKey,
        since: Option<Timestamp>,
    ) -> Result<Vec<AuditEvent>> {
        let args = vec![
            Arg::Str(record.tenant.as_str()),
            Arg::Str(record.kind.as_str()),
            Arg::Str(&record.key),
            Arg::OptText(since.map(ts_text)),
        ];
        let rows = self
            .all("reading the audit trail", &self.sql.audit_trail, args)
            .await?;
        rows.iter().map(common::audit_event).collect()
    }

    async fn quarantine_list(
        &self,
        tenant: Option<&TenantId>,
        open_only: bool,
    ) -> Result<Vec<QuarantineEntry>> {
        let args = vec![
            Arg::OptStr(tenant.map(TenantId::as_str)),
            Arg::Bool(open_only),
        ];
        let rows = self
            .all(
                "listing quarantine entries",
                &self.sql.quarantine_list,
                args,
            )
            .await?;
        rows.iter().map(common::quarantine_entry).collect()
    }

    async fn quarantine_get(&self, id: i64) -> Result<QuarantineEntry> {
        let mut conn = self.conn("reading a quarantine entry").await?;
        self.quarantine_row(&mut conn, &self.sql.quarantine_get, id)
            .await
    }

    async fn quarantine_set_status(
        &self,
        id: i64,
        status: QuarantineStatus,
        note: &str,
    ) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.write_tx("starting a quarantine status change").await?;
        // Read under the write lock (SQLite) or the row lock (PostgreSQL): two operators acting
        // on one entry at once are serialized, and each audit row names the status it really
        // changed from.
        let entry = self
            .quarantine_row(&mut tx, &self.sql.quarantine_lock, id)
            .await?;
        let args = vec![
            Arg::Int(id),
            Arg::Str(status.as_str()),
            Arg::Str(note),
            Arg::Text(ts_text(now)),
        ];
        D::execute(&mut tx, &self.sql.quarantine_set_status, args)
            .await
            .map_err(db("changing a quarantine entry's status"))?;
        self.insert_audit(
            &mut tx,
            &[common::status_change_audit(id, &entry, status, note, now)],
        )
        .await?;
        tx.commit()
            .await
            .map_err(db("committing a quarantine status change"))
    }

    async fn quarantine_open_count(&self, tenant: &TenantId) -> Result<u64> {
        let row = self
            .one(
                "counting open quarantine entries",
                &self.sql.quarantine_open_count,
                vec![Arg::Str(tenant.as_str())],
            )
            .await?;
        let n = match row {
            Some(row) => row.int("quarantine", "n")?,
            None => 0,
        };
        Ok(n.max(0) as u64)
    }

    async fn run_start(&self, tenant: &TenantId, trigger: &str) -> Result<RunId> {
        let id = RunId(uuid::Uuid::now_v7().to_string());
        let args = vec![
            Arg::Str(&id.0),
            Arg::Str(tenant.as_str()),
            Arg::Str(trigger),
            Arg::Text(now_text()),
        ];
        self.exec("recording a run start", &self.sql.run_start, args)
            .await?;
        Ok(id)
    }

    async fn run_finish(
        &self,
        run: &RunId,
        status: RunStatus,
        summary: &serde_json::Value,
        error: Option<&str>,
    ) -> Result<()> {
        let args = vec![
            Arg::Str(&run.0),
            Arg::Str(status.as_str()),
            Arg::Text(now_text()),
            Arg::Text(summary.to_string()),
            Arg::OptStr(error),
        ];
        let done = self
            .exec("recording a run end", &self.sql.run_finish, args)
            .await?;
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "run",
                id: run.0.clone(),
            });
        }
        Ok(())
    }

    async fn runs(&self, tenant: Option<&TenantId>, limit: u32) -> Result<Vec<RunRow>> {
        let args = vec![
            Arg::OptStr(tenant.map(TenantId::as_str)),
            Arg::Int(i64::from(limit)),
        ];
        let rows = self.all("listing runs", &self.sql.runs, args).await?;
        rows.iter().map(common::run_row).collect()
    }

    async fn lease_acquire(&self, name: &str, owner: &str, ttl: Duration) -> Result<Option<u64>> {
        let now = Timestamp::now();
        let mut args = vec![Arg::Str(name), Arg::Str(owner)];
        let (expires, more) = D::lease_expiry(args.len() + 1, now, ttl);
        args.extend(more);
        let (now, more) = D::lease_now(args.len() + 1, now);
        args.extend(more);
        // One statement: insert if free, take over if expired, renew if ours; otherwise the
        // conflict's WHERE fails, no row is returned, and the lease stays with its holder.
        // Concurrent callers on one name serialize on the primary key. The epoch stays on a
        // renewal of an unexpired lease and goes up on every other acquisition (a takeover, or
        // taking it again after a release or an expiry).
        let sql = format!(
            "INSERT INTO leases (name, owner, expires_at, epoch) VALUES ({}, {}, {expires}, 1) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, \
             epoch = CASE WHEN leases.owner = excluded.owner AND leases.expires_at > {now} \
             THEN leases.epoch ELSE leases.epoch + 1 END \
             WHERE leases.expires_at <= {now} OR leases.owner = excluded.owner \
             RETURNING epoch",
            D::param(1, ""),
            D::param(2, ""),
        );
        let got = self.one("acquiring a lease", &sql, args).await?;
        got.map(|r| r.int("leases", "epoch").and_then(|e| common::epoch(&e)))
            .transpose()
    }

    async fn lease_release(&self, name: &str, owner: &str) -> Result<()> {
        let args = vec![
            Arg::Str(name),
            Arg::Str(owner),
            Arg::Text(ts_text(Timestamp::UNIX_EPOCH)),
        ];
        self.exec("releasing a lease", &self.sql.lease_release, args)
            .await?;
        Ok(())
    }

    async fn lease_holder(&self, name: &str) -> Result<Option<LeaseRow>> {
        let mut args = vec![Arg::Str(name)];
        let (now, more) = D::lease_now(args.len() + 1, Timestamp::now());
        args.extend(more);
        let sql = format!("{} > {now}", self.sql.lease_holder);
        let row = self.one("reading a lease", &sql, args).await?;
        row.as_ref().map(common::lease_row).transpose()
    }

    async fn tenant_state(&self, tenant: &TenantId) -> Result<TenantState> {
        let row = self
            .one(
                "reading tenant state",
                &self.sql.tenant_state,
                vec![Arg::Str(tenant.as_str())],
            )
            .await?;
        match row {
            Some(row) => common::tenant_state(&row, tenant),
            None => Ok(TenantState::default()),
        }
    }

    async fn set_tenant_state(&self, tenant: &TenantId, state: &TenantState) -> Result<()> {
        let args = vec![
            Arg::Str(tenant.as_str()),
            Arg::Bool(state.paused),
            Arg::OptStr(state.pause_reason.as_deref()),
            Arg::OptText(state.next_due.map(ts_text)),
            Arg::Int(i64::from(state.consecutive_failures)),
            Arg::OptText(state.last_success.map(ts_text)),
            Arg::Text(now_text()),
        ];
        self.exec("saving tenant state", &self.sql.set_tenant_state, args)
            .await?;
        Ok(())
    }

    async fn next_sequence(&self, tenant: &TenantId, name: &str, start: i64) -> Result<i64> {
        // A single upsert is atomic: concurrent callers take turns on the row (PostgreSQL) or
        // the write lock (SQLite), and each gets its own value. The value leaves the process
        // (voucher batch numbers in JDE), so it is written durably: a number handed out must
        // never be handed out again after a power cut.
        const CONTEXT: &str = "advancing a sequence";
        let args = vec![Arg::Str(tenant.as_str()), Arg::Str(name), Arg::Int(start)];
        let mut conn = self.durable.acquire().await.map_err(db(CONTEXT))?;
        let row = first::<D>(&mut conn, &self.sql.next_sequence, args)
            .await
            .map_err(db(CONTEXT))?
            .ok_or_else(|| StoreError::Corrupt {
                what: "sequences",
                detail: "an upsert returned no value".to_owned(),
            })?;
        row.int("sequences", "value")
    }

    async fn sequence_peek(&self, tenant: &TenantId, name: &str, start: i64) -> Result<i64> {
        let row = self
            .one(
                "reading a sequence",
                &self.sql.sequence_peek,
                vec![Arg::Str(tenant.as_str()), Arg::Str(name)],
            )
            .await?;
        match row {
            Some(r) => Ok(r.int("sequences", "value")? + 1),
            None => Ok(start),
        }
    }

    async fn inbox_put(
        &self,
        tenant: &TenantId,
        doc_id: &str,
        kind: &str,
        payload: &str,
    ) -> Result<bool> {
        // Durable: the sender is told 200 once this returns, and will not send the document
        // again.
        const CONTEXT: &str = "storing an inbound document";
        let args = vec![
            Arg::Str(tenant.as_str()),
            Arg::Str(doc_id),
            Arg::Str(kind),
            Arg::Str(payload),
            Arg::Text(now_text()),
        ];
        let mut conn = self.durable.acquire().await.map_err(db(CONTEXT))?;
        let done = D::execute(&mut *conn, &self.sql.inbox_put, args)
            .await
            .map_err(db(CONTEXT))?;
        Ok(done == 1)
    }

    async fn inbox_pending(&self, tenant: &TenantId, limit: u32) -> Result<Vec<InboxDoc>> {
        let args = vec![Arg::Str(tenant.as_str()), Arg::Int(i64::from(limit))];
        let rows = self
            .all(
                "reading pending inbound documents",
                &self.sql.inbox_pending,
                args,
            )
            .await?;
        rows.iter().map(common::inbox_doc).collect()
    }

    async fn inbox_done(&self, id: i64) -> Result<()> {
        // COALESCE: marking twice keeps the first processing time; RETURNING tells a missing id.
        let found = self
            .one(
                "marking an inbound document processed",
                &self.sql.inbox_done,
                vec![Arg::Int(id), Arg::Text(now_text())],
            )
            .await?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound {
                what: "inbound document",
                id: id.to_string(),
            }),
        }
    }

    async fn user_add(&self, name: &str, role: Role, password_hash: &str) -> Result<bool> {
        let now = now_text();
        let args = vec![
            Arg::Str(name),
            Arg::Str(role.as_str()),
            Arg::Str(password_hash),
            Arg::Text(now),
        ];
        let done = self.exec("adding a user", &self.sql.user_add, args).await?;
        Ok(done == 1)
    }

    async fn user_get(&self, name: &str) -> Result<Option<User>> {
        let row = self
            .one("reading a user", &self.sql.user_get, vec![Arg::Str(name)])
            .await?;
        row.as_ref().map(common::user).transpose()
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows = self
            .all("listing users", &self.sql.users, Vec::new())
            .await?;
        rows.iter().map(common::user).collect()
    }

    async fn user_remove(&self, name: &str) -> Result<bool> {
        let mut tx = self.write_tx("starting a user removal").await?;
        D::execute(
            &mut tx,
            &self.sql.sessions_of_user_delete,
            vec![Arg::Str(name)],
        )
        .await
        .map_err(db("ending a removed user's sessions"))?;
        let done = D::execute(&mut tx, &self.sql.user_remove, vec![Arg::Str(name)])
            .await
            .map_err(db("removing a user"))?;
        tx.commit().await.map_err(db("committing a user removal"))?;
        Ok(done == 1)
    }

    async fn user_set_role(&self, name: &str, role: Role) -> Result<bool> {
        let args = vec![
            Arg::Str(name),
            Arg::Str(role.as_str()),
            Arg::Text(now_text()),
        ];
        let done = self
            .exec("changing a user's role", &self.sql.user_set_role, args)
            .await?;
        Ok(done == 1)
    }

    async fn user_set_password(&self, name: &str, password_hash: &str) -> Result<bool> {
        let mut tx = self.write_tx("starting a password change").await?;
        let args = vec![
            Arg::Str(name),
            Arg::Str(password_hash),
            Arg::Text(now_text()),
        ];
        let done = D::execute(&mut tx, &self.sql.user_set_password, args)
            .await
            .map_err(db("changing a user's password"))?;
        // A new password ends every session signed in with the old one.
        D::execute(
            &mut tx,
            &self.sql.sessions_of_user_delete,
            vec![Arg::Str(name)],
        )
        .await
        .map_err(db("ending a user's sessions"))?;
        tx.commit()
            .await
            .map_err(db("committing a password change"))?;
        Ok(done == 1)
    }

    async fn session_create(
        &self,
        token_hash: &str,
        user: &str,
        csrf_token: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        let now = now_text();
        let mut tx = self.write_tx("starting a session").await?;
        D::execute(
            &mut tx,
            &self.sql.sessions_expired_delete,
            vec![Arg::Text(now.clone())],
        )
        .await
        .map_err(db("forgetting expired sessions"))?;
        let args = vec![
            Arg::Str(token_hash),
            Arg::Str(user),
            Arg::Str(csrf_token),
            Arg::Text(now),
            Arg::Text(ts_text(expires_at)),
        ];
        D::execute(&mut tx, &self.sql.session_create, args)
            .await
            .map_err(db("storing a session"))?;
        tx.commit().await.map_err(db("committing a session"))
    }

    async fn session_get(&self, token_hash: &str) -> Result<Option<Session>> {
        let args = vec![Arg::Str(token_hash), Arg::Text(now_text())];
        let row = self
            .one("reading a session", &self.sql.session_get, args)
            .await?;
        row.as_ref().map(common::session).transpose()
    }

    async fn session_delete(&self, token_hash: &str) -> Result<()> {
        self.exec(
            "ending a session",
            &self.sql.session_delete,
            vec![Arg::Str(token_hash)],
        )
        .await?;
        Ok(())
    }
}

// ---- statements ---------------------------------------------------------------------------
// Templates in the notation of `crate::dialect` (`?n`, `?n:type`, `@ts(col)`, `@json(col)`).

const LEDGER_COLS: &str = "tenant, kind, key, content_hash, source_version, remote_id, status, @json(detail), @ts(updated_at)";
const AUDIT_COLS: &str = "tenant, kind, key, run_id, action, message, @json(detail), @ts(at)";
const QUARANTINE_COLS: &str = "id, tenant, kind, key, run_id, reason_kind, reason, field, @json(payload), status, note, attempts, @ts(created_at), @ts(updated_at)";
const USER_COLS: &str = "name, role, password_hash, @ts(created_at), @ts(updated_at)";
const RUN_COLS: &str =
    "id, tenant, trigger, status, @ts(started_at), @ts(finished_at), @json(summary), error";

/// The ledger rows of one tenant and kind (`?1`, `?2`), to be narrowed by key.
fn ledger_of_kind() -> String {
    format!("SELECT {LEDGER_COLS} FROM ledger WHERE tenant = ?1 AND kind = ?2")
}

/// Every statement of the store, rendered once for the store's dialect (sqlx then prepares
/// each once per connection).
#[derive(Debug)]
struct Statements {
    cursor: String,
    cursors: String,
    delete_cursor: String,
    upsert_cursor: String,
    upsert_ledger: String,
    mark_waiting_since: String,
    waits: String,
    insert_audit: String,
    resolve_quarantine: String,
    upsert_quarantine: String,
    upsert_xref: String,
    ledger_one: String,
    ledger_any: String,
    ledger_by_status: String,
    xref_remote: String,
    xref_local: String,
    xrefs: String,
    audit_trail: String,
    quarantine_list: String,
    quarantine_get: String,
    quarantine_lock: String,
    quarantine_set_status: String,
    quarantine_open_count: String,
    run_start: String,
    run_finish: String,
    runs: String,
    lease_release: String,
    /// The epoch of a lease, locked for the rest of the transaction where the backend can.
    lease_epoch: String,
    /// Ends with the expiry column: the caller appends `> now` in the dialect's clock.
    lease_holder: String,
    tenant_state: String,
    set_tenant_state: String,
    next_sequence: String,
    sequence_peek: String,
    inbox_put: String,
    inbox_pending: String,
    inbox_done: String,
    user_add: String,
    user_get: String,
    users: String,
    user_remove: String,
    user_set_role: String,
    user_set_password: String,
    sessions_of_user_delete: String,
    sessions_expired_delete: String,
    session_create: String,
    session_get: String,
    session_delete: String,
}

impl Statements {
    fn new<D: Dialect>() -> Self {
        let r = render::<D>;
        let ledger_rows = D::rows_source(&[
            ("tenant", ""),
            ("kind", ""),
            ("key", ""),
            ("content_hash", ""),
            ("source_version", ""),
            ("remote_id", ""),
            ("status", ""),
            ("detail", "jsonb"),
            ("updated_at", "ts"),
        ]);
        let audit_rows = D::rows_source(&[
            ("tenant", ""),
            ("kind", ""),
            ("key", ""),
            ("run_id", ""),
            ("action", ""),
            ("message", ""),
            ("detail", "jsonb"),
            ("at", "ts"),
        ]);
        let quarantine = format!("SELECT {QUARANTINE_COLS} FROM quarantine WHERE id = ?1");
        Self {
            cursor: r("SELECT value FROM cursors WHERE tenant = ?1 AND name = ?2"),
            cursors: r(
                "SELECT name, value, @ts(updated_at) FROM cursors WHERE tenant = ?1 ORDER BY name",
            ),
            delete_cursor: r("DELETE FROM cursors WHERE tenant = ?1 AND name = ?2"),
            upsert_cursor: r(
                "INSERT INTO cursors (tenant, name, value, updated_at) VALUES (?1, ?2, ?3, ?4:ts) \
                 ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            ),
            upsert_ledger: r(&format!(
                "INSERT INTO ledger (tenant, kind, key, content_hash, source_version, remote_id, status, detail, updated_at) \
                 {ledger_rows} \
                 ON CONFLICT (tenant, kind, key) DO UPDATE SET content_hash = excluded.content_hash, \
                 source_version = excluded.source_version, remote_id = excluded.remote_id, status = excluded.status, \
                 detail = excluded.detail, updated_at = excluded.updated_at, \
                 waiting_since = CASE WHEN excluded.status <> 'waiting' THEN NULL \
                 WHEN ledger.status = 'waiting' THEN ledger.waiting_since ELSE excluded.updated_at END"
            )),
            // Rows that entered 'waiting' by an insert (the upsert's conflict branch sets the
            // others).
            mark_waiting_since: r("UPDATE ledger SET waiting_since = updated_at \
                 WHERE tenant = ?1 AND status = 'waiting' AND waiting_since IS NULL"),
            waits: r("SELECT tenant, kind, key, @ts(waiting_since) FROM ledger \
                 WHERE tenant = ?1 AND status = 'waiting' AND waiting_since IS NOT NULL \
                 ORDER BY waiting_since, kind, key"),
            insert_audit: r(&format!(
                "INSERT INTO audit (tenant, kind, key, run_id, action, message, detail, at) {audit_rows}"
            )),
            resolve_quarantine: r(
                "UPDATE quarantine SET status = 'resolved', note = 'went through on a later attempt', updated_at = ?4:ts \
                 WHERE tenant = ?1 AND kind = ?2 AND key = ?3 AND status IN ('open', 'retrying')",
            ),
            // New entry, or — when the record already has a live (open/retrying) entry — that
            // entry gets the new reason and payload, goes back to open and counts one more
            // attempt.
            upsert_quarantine: r("INSERT INTO quarantine \
                 (tenant, kind, key, run_id, reason_kind, reason, field, payload, status, attempts, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8:json, 'open', 1, ?9:ts, ?9:ts) \
                 ON CONFLICT (tenant, kind, key) WHERE status IN ('open', 'retrying') DO UPDATE SET \
                 run_id = excluded.run_id, reason_kind = excluded.reason_kind, reason = excluded.reason, field = excluded.field, \
                 payload = excluded.payload, status = 'open', attempts = quarantine.attempts + 1, updated_at = excluded.updated_at \
                 RETURNING id"),
            upsert_xref: r(
                "INSERT INTO xref (tenant, kind, jde_key, remote_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5:ts) \
                 ON CONFLICT (tenant, kind, jde_key) DO UPDATE SET remote_id = excluded.remote_id, updated_at = excluded.updated_at",
            ),
            ledger_one: r(&format!("{} AND key = ?3", ledger_of_kind())),
            ledger_any: r(&format!("{} AND key = ANY(?3:texts)", ledger_of_kind())),
            ledger_by_status: r(&format!(
                "SELECT {LEDGER_COLS} FROM ledger WHERE tenant = ?1 AND kind = ?2 \
                 AND (?3:text IS NULL OR status = ?3) ORDER BY key"
            )),
            xref_remote: r(
                "SELECT remote_id FROM xref WHERE tenant = ?1 AND kind = ?2 AND jde_key = ?3",
            ),
            xref_local: r(
                "SELECT jde_key FROM xref WHERE tenant = ?1 AND kind = ?2 AND remote_id = ?3",
            ),
            xrefs: r(
                "SELECT jde_key, remote_id FROM xref WHERE tenant = ?1 AND kind = ?2 ORDER BY jde_key",
            ),
            // `audit.at`, not `at`: on PostgreSQL `at` in the select list is the text alias.
            audit_trail: r(&format!(
                "SELECT {AUDIT_COLS} FROM audit WHERE tenant = ?1 AND kind = ?2 AND key = ?3 \
                 AND (?4:ts IS NULL OR audit.at >= ?4:ts) ORDER BY audit.at, id"
            )),
            quarantine_list: r(&format!(
                "SELECT {QUARANTINE_COLS} FROM quarantine WHERE (?1:text IS NULL OR tenant = ?1) \
                 AND (NOT ?2 OR status = 'open') ORDER BY id DESC"
            )),
            quarantine_lock: r(&format!("{quarantine}{}", D::LOCK_ROW)),
            quarantine_get: r(&quarantine),
            quarantine_set_status: r(
                "UPDATE quarantine SET status = ?2, note = ?3, updated_at = ?4:ts WHERE id = ?1",
            ),
            quarantine_open_count: r(
                "SELECT COUNT(*) AS n FROM quarantine WHERE tenant = ?1 AND status = 'open'",
            ),
            run_start: r(
                "INSERT INTO runs (id, tenant, trigger, status, started_at, summary) \
                 VALUES (?1, ?2, ?3, 'running', ?4:ts, '{}')",
            ),
            run_finish: r(
                "UPDATE runs SET status = ?2, finished_at = ?3:ts, summary = ?4:jsonb, error = ?5 WHERE id = ?1",
            ),
            runs: r(&format!(
                "SELECT {RUN_COLS} FROM runs WHERE (?1:text IS NULL OR tenant = ?1) \
                 ORDER BY runs.started_at DESC, id DESC LIMIT ?2"
            )),
            // Released, not deleted: the row keeps the epoch, so the next holder's is higher.
            lease_release: r("UPDATE leases SET expires_at = ?3:ts WHERE name = ?1 AND owner = ?2"),
            lease_epoch: r(&format!(
                "SELECT epoch FROM leases WHERE name = ?1{}",
                D::SHARE_ROW
            )),
            lease_holder: r(
                "SELECT name, owner, @ts(expires_at), epoch FROM leases WHERE name = ?1 AND leases.expires_at",
            ),
            tenant_state: r(
                "SELECT paused, pause_reason, @ts(next_due), consecutive_failures, @ts(last_success) \
                 FROM tenant_state WHERE tenant = ?1",
            ),
            set_tenant_state: r(
                "INSERT INTO tenant_state (tenant, paused, pause_reason, next_due, consecutive_failures, last_success, updated_at) \
                 VALUES (?1, ?2, ?3, ?4:ts, ?5, ?6:ts, ?7:ts) \
                 ON CONFLICT (tenant) DO UPDATE SET paused = excluded.paused, pause_reason = excluded.pause_reason, \
                 next_due = excluded.next_due, consecutive_failures = excluded.consecutive_failures, \
                 last_success = excluded.last_success, updated_at = excluded.updated_at",
            ),
            next_sequence: r(
                "INSERT INTO sequences (tenant, name, value) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (tenant, name) DO UPDATE SET value = sequences.value + 1 RETURNING value",
            ),
            sequence_peek: r("SELECT value FROM sequences WHERE tenant = ?1 AND name = ?2"),
            inbox_put: r(
                "INSERT INTO inbox (tenant, doc_id, kind, payload, received_at) VALUES (?1, ?2, ?3, ?4, ?5:ts) \
                 ON CONFLICT (tenant, doc_id) DO NOTHING",
            ),
            inbox_pending: r(
                "SELECT id, tenant, doc_id, kind, payload, @ts(received_at) FROM inbox \
                 WHERE tenant = ?1 AND processed_at IS NULL ORDER BY id LIMIT ?2",
            ),
            inbox_done: r(
                "UPDATE inbox SET processed_at = COALESCE(processed_at, ?2:ts) WHERE id = ?1 RETURNING id",
            ),
            user_add: r(
                "INSERT INTO users (name, role, password_hash, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4:ts, ?4:ts) ON CONFLICT (name) DO NOTHING",
            ),
            user_get: r(&format!("SELECT {USER_COLS} FROM users WHERE name = ?1")),
            users: r(&format!("SELECT {USER_COLS} FROM users ORDER BY name")),
            user_remove: r("DELETE FROM users WHERE name = ?1"),
            user_set_role: r("UPDATE users SET role = ?2, updated_at = ?3:ts WHERE name = ?1"),
            user_set_password: r(
                "UPDATE users SET password_hash = ?2, updated_at = ?3:ts WHERE name = ?1",
            ),
            sessions_of_user_delete: r("DELETE FROM sessions WHERE user_name = ?1"),
            sessions_expired_delete: r("DELETE FROM sessions WHERE expires_at <= ?1:ts"),
            session_create: r(
                "INSERT INTO sessions (token_hash, user_name, csrf_token, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4:ts, ?5:ts)",
            ),
            // The role is read from the user at every request: a role change applies at once.
            session_get: r(
                "SELECT user_name, csrf_token, @ts(created_at), @ts(expires_at), \
                 (SELECT role FROM users WHERE users.name = sessions.user_name) AS role \
                 FROM sessions WHERE token_hash = ?1 AND sessions.expires_at > ?2:ts",
            ),
            session_delete: r("DELETE FROM sessions WHERE token_hash = ?1"),
        }
    }
}
