//! The PostgreSQL backend: for several worker processes sharing tenants.
//!
//! Leases are decided by the database (`now()`), inside one `INSERT ... ON CONFLICT DO UPDATE
//! ... WHERE` statement, so two workers can never both hold a lease, whatever their clocks say.
//! Sequences advance with one atomic upsert. Timestamps are `timestamptz` (microseconds); they
//! travel as fixed-width RFC 3339 text in both directions (`$n::timestamptz` in, `to_char` out),
//! so both backends share one row decoder and one timestamp format. Details and summaries are
//! `jsonb`; quarantined payloads are `json`, which keeps the text as read.
use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_core::record::{RecordKey, RecordKind};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres, Transaction};

use crate::common::{self, now_text, ts_text};
use crate::{
    AuditEvent, Commit, CursorRow, InboxDoc, LeaseRow, LedgerEntry, LedgerStatus, QuarantineEntry,
    QuarantineStatus, Result, RunId, RunRow, RunStatus, StateStore, StoreError, TenantState,
};

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Database { context, source }
}

/// Selects a `timestamptz` column as the store's timestamp text, under the column's own name.
macro_rules! ts {
    ($col:literal) => {
        concat!(
            "to_char(",
            $col,
            " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS ",
            $col
        )
    };
}

const LEDGER_COLS: &str = concat!(
    "tenant, kind, key, content_hash, source_version, remote_id, status, detail::text AS detail, ",
    ts!("updated_at")
);
const AUDIT_COLS: &str = concat!(
    "tenant, kind, key, run_id, action, message, detail::text AS detail, ",
    ts!("at")
);
const QUARANTINE_COLS: &str = concat!(
    "id, tenant, kind, key, run_id, reason_kind, reason, field, payload::text AS payload, status, note, attempts, ",
    ts!("created_at"),
    ", ",
    ts!("updated_at")
);
const RUN_COLS: &str = concat!(
    "id, tenant, trigger, status, ",
    ts!("started_at"),
    ", ",
    ts!("finished_at"),
    ", summary::text AS summary, error"
);

/// The PostgreSQL state store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`. Does not migrate; call
    /// [`StateStore::migrate`] (or use [`crate::open`]).
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
        Ok(Self { pool })
    }

    async fn tx(&self, context: &'static str) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db(context))
    }
}

/// Appends audit rows with one statement per call: the rows travel as arrays and `UNNEST`
/// turns them back into rows (one round trip for a batch of hundreds, instead of one each).
/// `ORDER BY ord` keeps the ids in the caller's order, which breaks ties between equal times.
const INSERT_AUDIT: &str = "INSERT INTO audit (tenant, kind, key, run_id, action, message, detail, at) \
     SELECT tenant, kind, key, run_id, action, message, detail::jsonb, at::timestamptz \
     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) \
     WITH ORDINALITY AS u(tenant, kind, key, run_id, action, message, detail, at, ord) ORDER BY ord";

async fn insert_audit(
    tx: &mut Transaction<'static, Postgres>,
    events: &[AuditEvent],
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let col = |f: &dyn Fn(&AuditEvent) -> String| events.iter().map(f).collect::<Vec<String>>();
    sqlx::query(INSERT_AUDIT)
        .bind(col(&|e| e.record.tenant.as_str().to_owned()))
        .bind(col(&|e| e.record.kind.as_str().to_owned()))
        .bind(col(&|e| e.record.key.clone()))
        .bind(
            events
                .iter()
                .map(|e| e.run_id.as_ref().map(|r| r.0.clone()))
                .collect::<Vec<Option<String>>>(),
        )
        .bind(col(&|e| e.action.clone()))
        .bind(col(&|e| e.message.clone()))
        .bind(col(&|e| e.detail.to_string()))
        .bind(col(&|e| ts_text(e.at)))
        .execute(&mut **tx)
        .await
        .map_err(db("appending audit events"))?;
    Ok(())
}

/// Upserts ledger rows with one statement (arrays + `UNNEST`, as for audit rows).
async fn upsert_ledger(
    tx: &mut Transaction<'static, Postgres>,
    rows: &[LedgerEntry],
    now: &str,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    // One INSERT ... ON CONFLICT may not touch a row twice, so a record listed twice keeps only
    // its last entry, which is what writing them one after the other would leave.
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
    let rows: Vec<&LedgerEntry> = picked.into_iter().map(|i| &rows[i]).collect();
    let col =
        |f: &dyn Fn(&LedgerEntry) -> String| rows.iter().map(|l| f(l)).collect::<Vec<String>>();
    sqlx::query(UPSERT_LEDGER)
        .bind(col(&|l| l.record.tenant.as_str().to_owned()))
        .bind(col(&|l| l.record.kind.as_str().to_owned()))
        .bind(col(&|l| l.record.key.clone()))
        .bind(col(&|l| l.content_hash.clone()))
        .bind(col(&|l| l.source_version.clone()))
        .bind(
            rows.iter()
                .map(|l| l.remote_id.clone())
                .collect::<Vec<Option<String>>>(),
        )
        .bind(col(&|l| l.status.as_str().to_owned()))
        .bind(col(&|l| l.detail.to_string()))
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db("writing ledger rows"))?;
    Ok(())
}

#[async_trait]
impl StateStore for PgStore {
    async fn migrate(&self) -> Result<()> {
        // sqlx takes an advisory lock, so workers starting together migrate one at a time.
        sqlx::migrate!("./migrations/postgres")
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
        "postgres"
    }

    async fn cursor(&self, tenant: &TenantId, name: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM cursors WHERE tenant = $1 AND name = $2")
            .bind(tenant.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading a cursor"))
    }

    async fn cursors(&self, tenant: &TenantId) -> Result<Vec<CursorRow>> {
        let rows = sqlx::query(concat!(
            "SELECT name, value, ",
            ts!("updated_at"),
            " FROM cursors WHERE tenant = $1 ORDER BY name"
        ))
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
            None => sqlx::query("DELETE FROM cursors WHERE tenant = $1 AND name = $2")
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
        // Ledger rows and audit events go as one array statement each; the rest (few rows per
        // commit) one prepared statement execution per row (sqlx caches statements per connection).
        let mut tx = self.tx("starting a commit").await?;
        upsert_ledger(&mut tx, &c.ledger, &now).await?;
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
        // Resolutions before new entries (see the SQLite backend).
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
            "SELECT {LEDGER_COLS} FROM ledger WHERE tenant = $1 AND kind = $2 AND key = $3"
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
        if keys.is_empty() {
            return Ok(out);
        }
        let rows = sqlx::query(&format!(
            "SELECT {LEDGER_COLS} FROM ledger WHERE tenant = $1 AND kind = $2 AND key = ANY($3)"
        ))
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(keys)
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading ledger rows"))?;
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
        let rows = sqlx::query(&format!(
            "SELECT {LEDGER_COLS} FROM ledger WHERE tenant = $1 AND kind = $2 AND ($3::text IS NULL OR status = $3) ORDER BY key"
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
            "SELECT remote_id FROM xref WHERE tenant = $1 AND kind = $2 AND jde_key = $3",
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
            "SELECT jde_key FROM xref WHERE tenant = $1 AND kind = $2 AND remote_id = $3",
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
            "SELECT jde_key, remote_id FROM xref WHERE tenant = $1 AND kind = $2 ORDER BY jde_key",
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
        let mut tx = self.tx("starting an audit append").await?;
        insert_audit(&mut tx, events).await?;
        tx.commit().await.map_err(db("committing audit events"))
    }

    async fn audit_trail(
        &self,
        record: &RecordKey,
        since: Option<Timestamp>,
    ) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLS} FROM audit WHERE tenant = $1 AND kind = $2 AND key = $3 \
             AND ($4::timestamptz IS NULL OR audit.at >= $4::timestamptz) ORDER BY audit.at, id"
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
            "SELECT {QUARANTINE_COLS} FROM quarantine WHERE ($1::text IS NULL OR tenant = $1) AND (NOT $2 OR status = 'open') ORDER BY id DESC"
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
            "SELECT {QUARANTINE_COLS} FROM quarantine WHERE id = $1"
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
        let mut tx = self.tx("starting a quarantine status change").await?;
        // FOR UPDATE: two operators acting on one entry at once are serialized, and each audit
        // row names the status it really changed from.
        let row = sqlx::query(&format!(
            "SELECT {QUARANTINE_COLS} FROM quarantine WHERE id = $1 FOR UPDATE"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("reading a quarantine entry"))?
        .ok_or_else(|| StoreError::NotFound {
            what: "quarantine entry",
            id: id.to_string(),
        })?;
        let entry = common::quarantine_entry(&row)?;
        sqlx::query("UPDATE quarantine SET status = $2, note = $3, updated_at = $4::timestamptz WHERE id = $1")
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
            "SELECT COUNT(*) FROM quarantine WHERE tenant = $1 AND status = 'open'",
        )
        .bind(tenant.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(db("counting open quarantine entries"))?;
        Ok(n.max(0) as u64)
    }

    async fn run_start(&self, tenant: &TenantId, trigger: &str) -> Result<RunId> {
        let id = RunId(uuid::Uuid::now_v7().to_string());
        sqlx::query(
            "INSERT INTO runs (id, tenant, trigger, status, started_at, summary) VALUES ($1, $2, $3, 'running', $4::timestamptz, '{}')",
        )
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
            "UPDATE runs SET status = $2, finished_at = $3::timestamptz, summary = $4::jsonb, error = $5 WHERE id = $1",
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
            "SELECT {RUN_COLS} FROM runs WHERE ($1::text IS NULL OR tenant = $1) ORDER BY runs.started_at DESC, id DESC LIMIT $2"
        ))
        .bind(tenant.map(TenantId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db("listing runs"))?;
        rows.iter().map(common::run_row).collect()
    }

    async fn lease_acquire(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool> {
        // The database clock decides expiry. Concurrent callers on one name serialize on the
        // primary key; the loser's ON CONFLICT re-checks the WHERE against the winner's row.
        let got: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond') \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at \
             WHERE leases.expires_at <= now() OR leases.owner = excluded.owner \
             RETURNING owner",
        )
        .bind(name)
        .bind(owner)
        .bind(common::ttl_millis(ttl))
        .fetch_optional(&self.pool)
        .await
        .map_err(db("acquiring a lease"))?;
        Ok(got.is_some())
    }

    async fn lease_release(&self, name: &str, owner: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND owner = $2")
            .bind(name)
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(db("releasing a lease"))?;
        Ok(())
    }

    async fn lease_holder(&self, name: &str) -> Result<Option<LeaseRow>> {
        let row = sqlx::query(concat!(
            "SELECT name, owner, ",
            ts!("expires_at"),
            " FROM leases WHERE name = $1 AND leases.expires_at > now()"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading a lease"))?;
        row.as_ref().map(common::lease_row).transpose()
    }

    async fn tenant_state(&self, tenant: &TenantId) -> Result<TenantState> {
        let row = sqlx::query(concat!(
            "SELECT (CASE WHEN paused THEN 1 ELSE 0 END)::int8 AS paused, pause_reason, ",
            ts!("next_due"),
            ", consecutive_failures, ",
            ts!("last_success"),
            " FROM tenant_state WHERE tenant = $1"
        ))
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
             VALUES ($1, $2, $3, $4::timestamptz, $5, $6::timestamptz, $7::timestamptz) \
             ON CONFLICT (tenant) DO UPDATE SET paused = excluded.paused, pause_reason = excluded.pause_reason, \
             next_due = excluded.next_due, consecutive_failures = excluded.consecutive_failures, \
             last_success = excluded.last_success, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(state.paused)
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
        // One upsert: the row lock makes concurrent callers take turns; each gets its own value.
        sqlx::query_scalar(
            "INSERT INTO sequences (tenant, name, value) VALUES ($1, $2, $3) \
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
            "INSERT INTO inbox (tenant, doc_id, kind, payload, received_at) VALUES ($1, $2, $3, $4, $5::timestamptz) \
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
        let rows = sqlx::query(concat!(
            "SELECT id, tenant, doc_id, kind, payload, ",
            ts!("received_at"),
            " FROM inbox WHERE tenant = $1 AND processed_at IS NULL ORDER BY id LIMIT $2"
        ))
        .bind(tenant.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading pending inbound documents"))?;
        rows.iter().map(common::inbox_doc).collect()
    }

    async fn inbox_done(&self, id: i64) -> Result<()> {
        // COALESCE: marking twice keeps the first processing time; RETURNING tells a missing id.
        let found: Option<i64> = sqlx::query_scalar(
            "UPDATE inbox SET processed_at = COALESCE(processed_at, $2::timestamptz) WHERE id = $1 RETURNING id",
        )
        .bind(id)
        .bind(now_text())
        .fetch_optional(&self.pool)
        .await
        .map_err(db("marking an inbound document processed"))?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound {
                what: "inbound document",
                id: id.to_string(),
            }),
        }
    }
}

const UPSERT_CURSOR: &str = "INSERT INTO cursors (tenant, name, value, updated_at) VALUES ($1, $2, $3, $4::timestamptz) \
     ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

const UPSERT_LEDGER: &str = "INSERT INTO ledger (tenant, kind, key, content_hash, source_version, remote_id, status, detail, updated_at) \
     SELECT tenant, kind, key, content_hash, source_version, remote_id, status, detail::jsonb, $9::timestamptz \
     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) \
     AS u(tenant, kind, key, content_hash, source_version, remote_id, status, detail) \
     ON CONFLICT (tenant, kind, key) DO UPDATE SET content_hash = excluded.content_hash, \
     source_version = excluded.source_version, remote_id = excluded.remote_id, status = excluded.status, \
     detail = excluded.detail, updated_at = excluded.updated_at";

const UPSERT_XREF: &str = "INSERT INTO xref (tenant, kind, jde_key, remote_id, updated_at) VALUES ($1, $2, $3, $4, $5::timestamptz) \
     ON CONFLICT (tenant, kind, jde_key) DO UPDATE SET remote_id = excluded.remote_id, updated_at = excluded.updated_at";

const RESOLVE_QUARANTINE: &str = "UPDATE quarantine SET status = 'resolved', note = 'went through on a later attempt', \
     updated_at = $4::timestamptz WHERE tenant = $1 AND kind = $2 AND key = $3 AND status IN ('open', 'retrying')";

/// New entry, or the record's live (open/retrying) entry updated: new reason and payload, back
/// to open, one more attempt.
const UPSERT_QUARANTINE: &str = "INSERT INTO quarantine \
     (tenant, kind, key, run_id, reason_kind, reason, field, payload, status, attempts, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, 'open', 1, $9::timestamptz, $9::timestamptz) \
     ON CONFLICT (tenant, kind, key) WHERE status IN ('open', 'retrying') DO UPDATE SET \
     run_id = excluded.run_id, reason_kind = excluded.reason_kind, reason = excluded.reason, field = excluded.field, \
     payload = excluded.payload, status = 'open', attempts = quarantine.attempts + 1, updated_at = excluded.updated_at \
     RETURNING id";
