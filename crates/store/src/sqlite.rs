//! The embedded SQLite backend: the default for one worker.
//!
//! The database runs in WAL mode (readers never block the writer), with `synchronous=NORMAL`
//! (durable across process crashes; a power cut may lose the last transactions but never
//! corrupts the file), a busy timeout so concurrent writers wait instead of failing, and foreign
//! keys on. Write transactions start with `BEGIN IMMEDIATE` so a transaction takes the write lock
//! up front and can never fail half-way with `SQLITE_BUSY` on lock upgrade.
//!
//! Timestamps are stored as fixed-width RFC 3339 text with microseconds (see
//! `common::ts_text`). Leases compare against this process's clock: every worker on a
//! SQLite store runs on the same machine, so that clock *is* the shared clock.
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_core::record::{RecordKey, RecordKind};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::common::{self, now_text, ts_text};
use crate::{
    AuditEvent, Commit, CursorRow, InboxDoc, LeaseRow, LedgerEntry, LedgerStatus, QuarantineEntry,
    QuarantineStatus, Result, RunId, RunRow, RunStatus, StateStore, StoreError, TenantState,
};

/// How long a statement waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Keys per `IN (...)` list in [`StateStore::ledger_many`].
const IN_CHUNK: usize = 500;

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Database { context, source }
}

/// The SQLite state store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `sqlite://PATH`, or a private in-memory
    /// database for `sqlite::memory:`. Does not migrate; call [`StateStore::migrate`] (or use
    /// [`crate::open`]).
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db("parsing the sqlite url"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // An in-memory database lives as long as its connection: keep exactly one, forever.
        // A file database gets a few connections so reads run beside the (single) writer.
        let pool = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(4)
        }
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await
        .map_err(db("opening the sqlite database"))?;
        Ok(Self { pool })
    }

    async fn write_tx(&self, context: &'static str) -> Result<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db(context))
    }
}

const LEDGER_COLS: &str =
    "tenant, kind, key, content_hash, source_version, remote_id, status, detail, updated_at";
const AUDIT_COLS: &str = "tenant, kind, key, run_id, action, message, detail, at";
const QUARANTINE_COLS: &str = "id, tenant, kind, key, run_id, reason_kind, reason, field, payload, status, note, attempts, created_at, updated_at";
const RUN_COLS: &str = "id, tenant, trigger, status, started_at, finished_at, summary, error";

const INSERT_AUDIT: &str = "INSERT INTO audit (tenant, kind, key, run_id, action, message, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

async fn insert_audit(tx: &mut Transaction<'static, Sqlite>, events: &[AuditEvent]) -> Result<()> {
    for e in events {
        sqlx::query(INSERT_AUDIT)
            .bind(e.record.tenant.as_str())
            .bind(e.record.kind.as_str())
            .bind(&e.record.key)
            .bind(e.run_id.as_ref().map(|r| r.0.as_str()))
            .bind(&e.action)
            .bind(&e.message)
            .bind(e.detail.to_string())
            .bind(ts_text(e.at))
            .execute(&mut **tx)
            .await
            .map_err(db("appending audit events"))?;
    }
    Ok(())
}

async fn quarantine_by_id(
    tx: &mut Transaction<'static, Sqlite>,
    id: i64,
) -> Result<QuarantineEntry> {
    let row = sqlx::query(&format!(
        "SELECT {QUARANTINE_COLS} FROM quarantine WHERE id = ?1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db("reading a quarantine entry"))?
    .ok_or_else(|| StoreError::NotFound {
        what: "quarantine entry",
        id: id.to_string(),
    })?;
    common::quarantine_entry(&row)
}

#[async_trait]
impl StateStore for SqliteStore {
    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db("pinging the database"))?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn cursor(&self, tenant: &TenantId, name: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM cursors WHERE tenant = ?1 AND name = ?2")
            .bind(tenant.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading a cursor"))
    }

    async fn cursors(&self, tenant: &TenantId) -> Result<Vec<CursorRow>> {
        let rows = sqlx::query(
            "SELECT name, value, updated_at FROM cursors WHERE tenant = ?1 ORDER BY name",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading cursors"))?;
        rows.iter().map(common::cursor_row).collect()
    }

    async fn set_cursor(&self, tenant: &TenantId, name: &str, value: Option<&str>) -> Result<()> {
        let q = match value {
            Some(v) => sqlx::query(UPSERT_CURSOR)
                .bind(tenant.as_str())
                .bind(name)
                .bind(v)
                .bind(now_text()),
            None => sqlx::query("DELETE FROM cursors WHERE tenant = ?1 AND name = ?2")
                .bind(tenant.as_str())
                .bind(name),
        };
        q.execute(&self.pool)
            .await
            .map_err(db("setting a cursor"))?;
        Ok(())
    }

    async fn commit(&self, c: Commit) -> Result<Vec<i64>> {
        if c.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_text();
        // sqlx prepares each distinct SQL text once per connection and reuses the statement, so
        // a batch of N rows costs N executions of one prepared statement, not N prepares.
        let mut tx = self.write_tx("starting a commit").await?;
        for l in &c.ledger {
            sqlx::query(UPSERT_LEDGER)
                .bind(l.record.tenant.as_str())
                .bind(l.record.kind.as_str())
                .bind(&l.record.key)
                .bind(&l.content_hash)
                .bind(&l.source_version)
                .bind(l.remote_id.as_deref())
                .bind(l.status.as_str())
                .bind(l.detail.to_string())
                .bind(&now)
                .execute(&mut *tx)
                .await
                .map_err(db("writing ledger rows"))?;
        }
        for (tenant, name, value) in &c.cursors {
            sqlx::query(UPSERT_CURSOR)
                .bind(tenant.as_str())
                .bind(name)
                .bind(value)
                .bind(&now)
                .execute(&mut *tx)
                .await
                .map_err(db("advancing cursors"))?;
        }
        insert_audit(&mut tx, &c.audit).await?;
        // Resolutions before new entries: when one commit does both for a record, the newest
        // outcome (quarantined again) is what stays open.
        for r in &c.resolve {
            sqlx::query(RESOLVE_QUARANTINE)
                .bind(r.tenant.as_str())
                .bind(r.kind.as_str())
                .bind(&r.key)
                .bind(&now)
                .execute(&mut *tx)
                .await
                .map_err(db("resolving quarantine entries"))?;
        }
        let mut ids = Vec::with_capacity(c.quarantine.len());
        for q in &c.quarantine {
            let id: i64 = sqlx::query_scalar(UPSERT_QUARANTINE)
                .bind(q.record.tenant.as_str())
                .bind(q.record.kind.as_str())
                .bind(&q.record.key)
                .bind(q.run_id.as_ref().map(|r| r.0.as_str()))
                .bind(&q.reason_kind)
                .bind(&q.reason)
                .bind(q.field.as_deref())
                .bind(q.payload.to_string())
                .bind(&now)
                .fetch_one(&mut *tx)
                .await
                .map_err(db("writing quarantine entries"))?;
            ids.push(id);
        }
        for x in &c.xrefs {
            sqlx::query(UPSERT_XREF)
                .bind(x.tenant.as_str())
                .bind(x.kind.as_str())
                .bind(&x.jde_key)
                .bind(&x.remote_id)
                .bind(&now)
                .execute(&mut *tx)
                .await
                .map_err(db("writing cross references"))?;
        }
        tx.commit().await.map_err(db("committing"))?;
        Ok(ids)
    }

    async fn ledger(&self, record: &RecordKey) -> Result<Option<LedgerEntry>> {
        let row = sqlx::query(&format!(
            "SELECT {LEDGER_COLS} FROM ledger WHERE tenant = ?1 AND kind = ?2 AND key = ?3"
        ))
        .bind(record.tenant.as_str())
        .bind(record.kind.as_str())
        .bind(&record.key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading a ledger row"))?;
        row.as_ref().map(common::ledger_entry).transpose()
    }

    async fn ledger_many(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        keys: &[String],
    ) -> Result<HashMap<String, LedgerEntry>> {
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(IN_CHUNK) {
            let placeholders = (0..chunk.len())
                .map(|i| format!("?{}", i + 3))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT {LEDGER_COLS} FROM ledger WHERE tenant = ?1 AND kind = ?2 AND key IN ({placeholders})"
            );
            let mut q = sqlx::query(&sql).bind(tenant.as_str()).bind(kind.as_str());
            for k in chunk {
                q = q.bind(k);
            }
            let rows = q
                .fetch_all(&self.pool)
                .await
                .map_err(db("reading ledger rows"))?;
            for row in &rows {
                let e = common::ledger_entry(row)?;
                out.insert(e.record.key.clone(), e);
            }
        }
        Ok(out)
    }

    async fn ledger_by_status(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        status: Option<LedgerStatus>,
    ) -> Result<Vec<LedgerEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {LEDGER_COLS} FROM ledger WHERE tenant = ?1 AND kind = ?2 AND (?3 IS NULL OR status = ?3) ORDER BY key"
        ))
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(status.map(LedgerStatus::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading ledger rows"))?;
        rows.iter().map(common::ledger_entry).collect()
    }

    async fn xref_remote(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        jde_key: &str,
    ) -> Result<Option<String>> {
        sqlx::query_scalar(
            "SELECT remote_id FROM xref WHERE tenant = ?1 AND kind = ?2 AND jde_key = ?3",
        )
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(jde_key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading a cross reference"))
    }

    async fn xref_local(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        remote_id: &str,
    ) -> Result<Option<String>> {
        sqlx::query_scalar(
            "SELECT jde_key FROM xref WHERE tenant = ?1 AND kind = ?2 AND remote_id = ?3",
        )
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(remote_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading a cross reference"))
    }

    async fn xrefs(&self, tenant: &TenantId, kind: RecordKind) -> Result<Vec<(String, String)>> {
        sqlx::query_as(
            "SELECT jde_key, remote_id FROM xref WHERE tenant = ?1 AND kind = ?2 ORDER BY jde_key",
        )
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading cross references"))
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx("starting an audit append").await?;
        insert_audit(&mut tx, events).await?;
        tx.commit().await.map_err(db("committing audit events"))
    }

    async fn audit_trail(
        &self,
        record: &RecordKey,
        since: Option<Timestamp>,
    ) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLS} FROM audit WHERE tenant = ?1 AND kind = ?2 AND key = ?3 AND (?4 IS NULL OR at >= ?4) ORDER BY at, id"
        ))
        .bind(record.tenant.as_str())
        .bind(record.kind.as_str())
        .bind(&record.key)
        .bind(since.map(ts_text))
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading the audit trail"))?;
        rows.iter().map(common::audit_event).collect()
    }

    async fn quarantine_list(
        &self,
        tenant: Option<&TenantId>,
        open_only: bool,
    ) -> Result<Vec<QuarantineEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {QUARANTINE_COLS} FROM quarantine WHERE (?1 IS NULL OR tenant = ?1) AND (?2 = 0 OR status = 'open') ORDER BY id DESC"
        ))
        .bind(tenant.map(TenantId::as_str))
        .bind(open_only)
        .fetch_all(&self.pool)
        .await
        .map_err(db("listing quarantine entries"))?;
        rows.iter().map(common::quarantine_entry).collect()
    }

    async fn quarantine_get(&self, id: i64) -> Result<QuarantineEntry> {
        let row = sqlx::query(&format!(
            "SELECT {QUARANTINE_COLS} FROM quarantine WHERE id = ?1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading a quarantine entry"))?
        .ok_or_else(|| StoreError::NotFound {
            what: "quarantine entry",
            id: id.to_string(),
        })?;
        common::quarantine_entry(&row)
    }

    async fn quarantine_set_status(
        &self,
        id: i64,
        status: QuarantineStatus,
        note: &str,
    ) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.write_tx("starting a quarantine status change").await?;
        let entry = quarantine_by_id(&mut tx, id).await?;
        sqlx::query("UPDATE quarantine SET status = ?2, note = ?3, updated_at = ?4 WHERE id = ?1")
            .bind(id)
            .bind(status.as_str())
            .bind(note)
            .bind(ts_text(now))
            .execute(&mut *tx)
            .await
            .map_err(db("changing a quarantine entry's status"))?;
        insert_audit(
            &mut tx,
            &[common::status_change_audit(id, &entry, status, note, now)],
        )
        .await?;
        tx.commit()
            .await
            .map_err(db("committing a quarantine status change"))
    }

    async fn quarantine_open_count(&self, tenant: &TenantId) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM quarantine WHERE tenant = ?1 AND status = 'open'",
        )
        .bind(tenant.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(db("counting open quarantine entries"))?;
        Ok(n.max(0) as u64)
    }

    async fn run_start(&self, tenant: &TenantId, trigger: &str) -> Result<RunId> {
        let id = RunId(uuid::Uuid::now_v7().to_string());
        sqlx::query("INSERT INTO runs (id, tenant, trigger, status, started_at, summary) VALUES (?1, ?2, ?3, 'running', ?4, '{}')")
            .bind(&id.0)
            .bind(tenant.as_str())
            .bind(trigger)
            .bind(now_text())
            .execute(&self.pool)
            .await
            .map_err(db("recording a run start"))?;
        Ok(id)
    }

    async fn run_finish(
        &self,
        run: &RunId,
        status: RunStatus,
        summary: &serde_json::Value,
        error: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE runs SET status = ?2, finished_at = ?3, summary = ?4, error = ?5 WHERE id = ?1",
        )
        .bind(&run.0)
        .bind(status.as_str())
        .bind(now_text())
        .bind(summary.to_string())
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(db("recording a run end"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "run",
                id: run.0.clone(),
            });
        }
        Ok(())
    }

    async fn runs(&self, tenant: Option<&TenantId>, limit: u32) -> Result<Vec<RunRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLS} FROM runs WHERE (?1 IS NULL OR tenant = ?1) ORDER BY started_at DESC, id DESC LIMIT ?2"
        ))
        .bind(tenant.map(TenantId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db("listing runs"))?;
        rows.iter().map(common::run_row).collect()
    }

    async fn lease_acquire(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool> {
        let now = Timestamp::now();
        let expires = now
            .checked_add(jiff::SignedDuration::from_millis(common::ttl_millis(ttl)))
            .unwrap_or(Timestamp::MAX);
        // One statement: insert if free, take over if expired, renew if ours; otherwise the
        // conflict's WHERE fails, no row is returned, and the lease stays with its holder.
        let got: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, owner, expires_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at \
             WHERE leases.expires_at <= ?4 OR leases.owner = excluded.owner \
             RETURNING owner",
        )
        .bind(name)
        .bind(owner)
        .bind(ts_text(expires))
        .bind(ts_text(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(db("acquiring a lease"))?;
        Ok(got.is_some())
    }

    async fn lease_release(&self, name: &str, owner: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = ?1 AND owner = ?2")
            .bind(name)
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(db("releasing a lease"))?;
        Ok(())
    }

    async fn lease_holder(&self, name: &str) -> Result<Option<LeaseRow>> {
        let row = sqlx::query(
            "SELECT name, owner, expires_at FROM leases WHERE name = ?1 AND expires_at > ?2",
        )
        .bind(name)
        .bind(now_text())
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading a lease"))?;
        row.as_ref().map(common::lease_row).transpose()
    }

    async fn tenant_state(&self, tenant: &TenantId) -> Result<TenantState> {
        let row = sqlx::query(
            "SELECT paused, pause_reason, next_due, consecutive_failures, last_success FROM tenant_state WHERE tenant = ?1",
        )
        .bind(tenant.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading tenant state"))?;
        match row {
            Some(row) => common::tenant_state(&row, tenant),
            None => Ok(TenantState::default()),
        }
    }

    async fn set_tenant_state(&self, tenant: &TenantId, state: &TenantState) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenant_state (tenant, paused, pause_reason, next_due, consecutive_failures, last_success, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (tenant) DO UPDATE SET paused = excluded.paused, pause_reason = excluded.pause_reason, \
             next_due = excluded.next_due, consecutive_failures = excluded.consecutive_failures, \
             last_success = excluded.last_success, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(i64::from(state.paused))
        .bind(state.pause_reason.as_deref())
        .bind(state.next_due.map(ts_text))
        .bind(i64::from(state.consecutive_failures))
        .bind(state.last_success.map(ts_text))
        .bind(now_text())
        .execute(&self.pool)
        .await
        .map_err(db("saving tenant state"))?;
        Ok(())
    }

    async fn next_sequence(&self, tenant: &TenantId, name: &str, start: i64) -> Result<i64> {
        // A single upsert statement is atomic: concurrent callers serialize on the write lock.
        sqlx::query_scalar(
            "INSERT INTO sequences (tenant, name, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT (tenant, name) DO UPDATE SET value = sequences.value + 1 RETURNING value",
        )
        .bind(tenant.as_str())
        .bind(name)
        .bind(start)
        .fetch_one(&self.pool)
        .await
        .map_err(db("advancing a sequence"))
    }

    async fn inbox_put(
        &self,
        tenant: &TenantId,
        doc_id: &str,
        kind: &str,
        payload: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO inbox (tenant, doc_id, kind, payload, received_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (tenant, doc_id) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(doc_id)
        .bind(kind)
        .bind(payload)
        .bind(now_text())
        .execute(&self.pool)
        .await
        .map_err(db("storing an inbound document"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn inbox_pending(&self, tenant: &TenantId, limit: u32) -> Result<Vec<InboxDoc>> {
        let rows = sqlx::query(
            "SELECT id, tenant, doc_id, kind, payload, received_at FROM inbox \
             WHERE tenant = ?1 AND processed_at IS NULL ORDER BY id LIMIT ?2",
        )
        .bind(tenant.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading pending inbound documents"))?;
        rows.iter().map(common::inbox_doc).collect()
    }

    async fn inbox_done(&self, id: i64) -> Result<()> {
        let mut tx = self.write_tx("starting an inbox update").await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM inbox WHERE id = ?1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("reading an inbound document"))?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "inbound document",
                id: id.to_string(),
            });
        }
        // Marking twice keeps the first processing time.
        sqlx::query("UPDATE inbox SET processed_at = ?2 WHERE id = ?1 AND processed_at IS NULL")
            .bind(id)
            .bind(now_text())
            .execute(&mut *tx)
            .await
            .map_err(db("marking an inbound document processed"))?;
        tx.commit().await.map_err(db("committing an inbox update"))
    }
}

const UPSERT_CURSOR: &str = "INSERT INTO cursors (tenant, name, value, updated_at) VALUES (?1, ?2, ?3, ?4) \
     ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

const UPSERT_LEDGER: &str = "INSERT INTO ledger (tenant, kind, key, content_hash, source_version, remote_id, status, detail, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (tenant, kind, key) DO UPDATE SET content_hash = excluded.content_hash, \
     source_version = excluded.source_version, remote_id = excluded.remote_id, status = excluded.status, \
     detail = excluded.detail, updated_at = excluded.updated_at";

const UPSERT_XREF: &str = "INSERT INTO xref (tenant, kind, jde_key, remote_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
     ON CONFLICT (tenant, kind, jde_key) DO UPDATE SET remote_id = excluded.remote_id, updated_at = excluded.updated_at";

const RESOLVE_QUARANTINE: &str = "UPDATE quarantine SET status = 'resolved', note = 'went through on a later attempt', updated_at = ?4 \
     WHERE tenant = ?1 AND kind = ?2 AND key = ?3 AND status IN ('open', 'retrying')";

/// New entry, or — when the record already has a live (open/retrying) entry — that entry gets the
/// new reason and payload, goes back to open and counts one more attempt.
const UPSERT_QUARANTINE: &str = "INSERT INTO quarantine \
     (tenant, kind, key, run_id, reason_kind, reason, field, payload, status, attempts, created_at, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', 1, ?9, ?9) \
     ON CONFLICT (tenant, kind, key) WHERE status IN ('open', 'retrying') DO UPDATE SET \
     run_id = excluded.run_id, reason_kind = excluded.reason_kind, reason = excluded.reason, field = excluded.field, \
     payload = excluded.payload, status = 'open', attempts = quarantine.attempts + 1, updated_at = excluded.updated_at \
     RETURNING id";
