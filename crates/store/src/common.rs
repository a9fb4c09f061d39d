//! What both backends share: the one timestamp text format, and decoding rows into the types
//! of [`crate::types`] with errors that name the table, the row and the field.
//!
//! Both backends return timestamps as text in [`ts_text`]'s shape (PostgreSQL formats its
//! `timestamptz` columns with `to_char` in the query, see `crate::dialect`) and JSON as text, so
//! a single decoder per row type serves both.
use std::str::FromStr;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use mlc_core::ids::TenantId;
use mlc_core::record::{RecordKey, RecordKind};
use sqlx::Row;

use crate::{
    AuditEvent, CursorRow, InboxDoc, LeaseRow, LedgerEntry, LedgerStatus, NewQuarantine,
    QuarantineEntry, QuarantineStatus, Result, Role, RunId, RunRow, RunStatus, Session, StoreError,
    TenantState, User,
};

/// Formats a timestamp as `YYYY-MM-DDTHH:MM:SS.ffffffZ`: UTC, always six fractional digits.
///
/// Why fixed width: SQLite compares text, so text order must be time order (audit `since`,
/// lease expiry). Why microseconds: that is PostgreSQL's `timestamptz` precision, and both
/// backends must round-trip the same values. Sub-microsecond digits are truncated.
pub(crate) fn ts_text(ts: Timestamp) -> String {
    let dt = ts.to_zoned(TimeZone::UTC).datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000
    )
}

/// The current time, truncated to what the store keeps.
pub(crate) fn now_text() -> String {
    ts_text(Timestamp::now())
}

/// Access to a row's columns with store errors (implemented for both backends' rows).
pub trait RowExt {
    /// A text column.
    fn text(&self, table: &'static str, col: &'static str) -> Result<String>;
    /// A text column that may be NULL.
    fn opt_text(&self, table: &'static str, col: &'static str) -> Result<Option<String>>;
    /// An integer column.
    fn int(&self, table: &'static str, col: &'static str) -> Result<i64>;
    /// A boolean column (SQLite: an integer 0 or 1).
    fn flag(&self, table: &'static str, col: &'static str) -> Result<bool>;
}

fn column_error(table: &'static str, col: &'static str, e: sqlx::Error) -> StoreError {
    StoreError::Corrupt {
        what: table,
        detail: format!("column {col}: {e}"),
    }
}

macro_rules! impl_row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn text(&self, table: &'static str, col: &'static str) -> Result<String> {
                self.try_get::<String, _>(col)
                    .map_err(|e| column_error(table, col, e))
            }
            fn opt_text(&self, table: &'static str, col: &'static str) -> Result<Option<String>> {
                self.try_get::<Option<String>, _>(col)
                    .map_err(|e| column_error(table, col, e))
            }
            fn int(&self, table: &'static str, col: &'static str) -> Result<i64> {
                self.try_get::<i64, _>(col)
                    .map_err(|e| column_error(table, col, e))
            }
            fn flag(&self, table: &'static str, col: &'static str) -> Result<bool> {
                self.try_get::<bool, _>(col)
                    .map_err(|e| column_error(table, col, e))
            }
        }
    };
}
impl_row_ext!(sqlx::sqlite::SqliteRow);
impl_row_ext!(sqlx::postgres::PgRow);

/// Builds the error for a field whose stored value makes no sense.
fn bad(table: &'static str, row: &str, field: &str, problem: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: table,
        detail: format!("row {row}, field {field}: {problem}"),
    }
}

fn parse_ts(table: &'static str, row: &str, field: &str, s: &str) -> Result<Timestamp> {
    Timestamp::from_str(s).map_err(|e| bad(table, row, field, format_args!("timestamp {s:?}: {e}")))
}

fn parse_opt_ts(
    table: &'static str,
    row: &str,
    field: &str,
    s: Option<String>,
) -> Result<Option<Timestamp>> {
    s.map(|s| parse_ts(table, row, field, &s)).transpose()
}

fn parse_json(table: &'static str, row: &str, field: &str, s: &str) -> Result<serde_json::Value> {
    serde_json::from_str(s).map_err(|e| bad(table, row, field, format_args!("JSON: {e}")))
}

fn parse_tenant(table: &'static str, row: &str, s: &str) -> Result<TenantId> {
    TenantId::parse(s).map_err(|e| bad(table, row, "tenant", e))
}

/// Reads `tenant`, `kind`, `key` into a record key; returns it with a row label for errors.
fn record_key<R: RowExt>(row: &R, table: &'static str) -> Result<RecordKey> {
    let tenant = row.text(table, "tenant")?;
    let kind = row.text(table, "kind")?;
    let key = row.text(table, "key")?;
    let label = format!("{kind}:{tenant}:{key}");
    Ok(RecordKey {
        kind: RecordKind::from_str(&kind).map_err(|e| bad(table, &label, "kind", e))?,
        tenant: parse_tenant(table, &label, &tenant)?,
        key,
    })
}

pub(crate) fn cursor_row<R: RowExt>(row: &R) -> Result<CursorRow> {
    const T: &str = "cursors";
    let name = row.text(T, "name")?;
    let updated_at = parse_ts(T, &name, "updated_at", &row.text(T, "updated_at")?)?;
    Ok(CursorRow {
        value: row.text(T, "value")?,
        name,
        updated_at,
    })
}

pub(crate) fn ledger_entry<R: RowExt>(row: &R) -> Result<LedgerEntry> {
    const T: &str = "ledger";
    let record = record_key(row, T)?;
    let label = record.to_string();
    let status = row.text(T, "status")?;
    Ok(LedgerEntry {
        content_hash: row.text(T, "content_hash")?,
        source_version: row.text(T, "source_version")?,
        remote_id: row.opt_text(T, "remote_id")?,
        status: LedgerStatus::parse(&status).ok_or_else(|| {
            bad(
                T,
                &label,
                "status",
                format_args!("unknown value {status:?}"),
            )
        })?,
        detail: parse_json(T, &label, "detail", &row.text(T, "detail")?)?,
        updated_at: parse_ts(T, &label, "updated_at", &row.text(T, "updated_at")?)?,
        record,
    })
}

/// A waiting record and when its wait began (`waits`).
pub(crate) fn wait_row<R: RowExt>(row: &R) -> Result<(RecordKey, Timestamp)> {
    const T: &str = "ledger";
    let record = record_key(row, T)?;
    let since = parse_ts(
        T,
        &record.to_string(),
        "waiting_since",
        &row.text(T, "waiting_since")?,
    )?;
    Ok((record, since))
}

pub(crate) fn audit_event<R: RowExt>(row: &R) -> Result<AuditEvent> {
    const T: &str = "audit";
    let record = record_key(row, T)?;
    let label = record.to_string();
    Ok(AuditEvent {
        run_id: row.opt_text(T, "run_id")?.map(RunId),
        action: row.text(T, "action")?,
        message: row.text(T, "message")?,
        detail: parse_json(T, &label, "detail", &row.text(T, "detail")?)?,
        at: parse_ts(T, &label, "at", &row.text(T, "at")?)?,
        record,
    })
}

pub(crate) fn quarantine_entry<R: RowExt>(row: &R) -> Result<QuarantineEntry> {
    const T: &str = "quarantine";
    let id = row.int(T, "id")?;
    let label = id.to_string();
    let record = record_key(row, T)?;
    let status = row.text(T, "status")?;
    Ok(QuarantineEntry {
        id,
        entry: NewQuarantine {
            record,
            run_id: row.opt_text(T, "run_id")?.map(RunId),
            reason_kind: row.text(T, "reason_kind")?,
            reason: row.text(T, "reason")?,
            field: row.opt_text(T, "field")?,
            payload: parse_json(T, &label, "payload", &row.text(T, "payload")?)?,
        },
        status: QuarantineStatus::parse(&status).ok_or_else(|| {
            bad(
                T,
                &label,
                "status",
                format_args!("unknown value {status:?}"),
            )
        })?,
        note: row.opt_text(T, "note")?,
        attempts: row.int(T, "attempts")?,
        created_at: parse_ts(T, &label, "created_at", &row.text(T, "created_at")?)?,
        updated_at: parse_ts(T, &label, "updated_at", &row.text(T, "updated_at")?)?,
    })
}

fn parse_role(table: &'static str, row: &str, s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| bad(table, row, "role", format_args!("unknown value {s:?}")))
}

pub(crate) fn user<R: RowExt>(row: &R) -> Result<User> {
    const T: &str = "users";
    let name = row.text(T, "name")?;
    Ok(User {
        role: parse_role(T, &name, &row.text(T, "role")?)?,
        password_hash: row.text(T, "password_hash")?,
        created_at: parse_ts(T, &name, "created_at", &row.text(T, "created_at")?)?,
        updated_at: parse_ts(T, &name, "updated_at", &row.text(T, "updated_at")?)?,
        name,
    })
}

pub(crate) fn session<R: RowExt>(row: &R) -> Result<Session> {
    const T: &str = "sessions";
    let user = row.text(T, "user_name")?;
    Ok(Session {
        role: parse_role(T, &user, &row.text(T, "role")?)?,
        csrf_token: row.text(T, "csrf_token")?,
        created_at: parse_ts(T, &user, "created_at", &row.text(T, "created_at")?)?,
        expires_at: parse_ts(T, &user, "expires_at", &row.text(T, "expires_at")?)?,
        user,
    })
}

pub(crate) fn run_row<R: RowExt>(row: &R) -> Result<RunRow> {
    const T: &str = "runs";
    let id = row.text(T, "id")?;
    let status = row.text(T, "status")?;
    Ok(RunRow {
        tenant: parse_tenant(T, &id, &row.text(T, "tenant")?)?,
        trigger: row.text(T, "trigger")?,
        status: RunStatus::parse(&status)
            .ok_or_else(|| bad(T, &id, "status", format_args!("unknown value {status:?}")))?,
        started_at: parse_ts(T, &id, "started_at", &row.text(T, "started_at")?)?,
        finished_at: parse_opt_ts(T, &id, "finished_at", row.opt_text(T, "finished_at")?)?,
        summary: parse_json(T, &id, "summary", &row.text(T, "summary")?)?,
        error: row.opt_text(T, "error")?,
        id: RunId(id),
    })
}

/// A lease epoch column (never negative).
pub(crate) fn epoch(v: &i64) -> Result<u64> {
    u64::try_from(*v).map_err(|_| StoreError::Corrupt {
        what: "leases",
        detail: format!("negative epoch {v}"),
    })
}

pub(crate) fn lease_row<R: RowExt>(row: &R) -> Result<LeaseRow> {
    const T: &str = "leases";
    let name = row.text(T, "name")?;
    Ok(LeaseRow {
        owner: row.text(T, "owner")?,
        expires_at: parse_ts(T, &name, "expires_at", &row.text(T, "expires_at")?)?,
        epoch: epoch(&row.int(T, "epoch")?)?,
        name,
    })
}

pub(crate) fn tenant_state<R: RowExt>(row: &R, tenant: &TenantId) -> Result<TenantState> {
    const T: &str = "tenant_state";
    let label = tenant.as_str();
    let failures = row.int(T, "consecutive_failures")?;
    Ok(TenantState {
        paused: row.flag(T, "paused")?,
        pause_reason: row.opt_text(T, "pause_reason")?,
        next_due: parse_opt_ts(T, label, "next_due", row.opt_text(T, "next_due")?)?,
        consecutive_failures: u32::try_from(failures).map_err(|_| {
            bad(
                T,
                label,
                "consecutive_failures",
                format_args!("{failures} out of range"),
            )
        })?,
        last_success: parse_opt_ts(T, label, "last_success", row.opt_text(T, "last_success")?)?,
    })
}

pub(crate) fn inbox_doc<R: RowExt>(row: &R) -> Result<InboxDoc> {
    const T: &str = "inbox";
    let id = row.int(T, "id")?;
    let label = id.to_string();
    Ok(InboxDoc {
        id,
        tenant: parse_tenant(T, &label, &row.text(T, "tenant")?)?,
        doc_id: row.text(T, "doc_id")?,
        kind: row.text(T, "kind")?,
        payload: row.text(T, "payload")?,
        received_at: parse_ts(T, &label, "received_at", &row.text(T, "received_at")?)?,
    })
}

/// The audit action and message for a quarantine status change made by an operator.
pub(crate) fn status_change_audit(
    id: i64,
    entry: &QuarantineEntry,
    to: QuarantineStatus,
    note: &str,
    now: Timestamp,
) -> AuditEvent {
    let action = match to {
        QuarantineStatus::Retrying => crate::actions::QUARANTINE_RETRY,
        QuarantineStatus::Discarded => crate::actions::QUARANTINE_DISCARD,
        QuarantineStatus::Resolved => crate::actions::QUARANTINE_RESOLVED,
        QuarantineStatus::Open => crate::actions::QUARANTINE_REOPENED,
    };
    AuditEvent {
        record: entry.entry.record.clone(),
        run_id: None,
        action: action.to_owned(),
        message: format!(
            "quarantine entry {id} {} -> {}: {note}",
            entry.status.as_str(),
            to.as_str()
        ),
        detail: serde_json::json!({
            "quarantine_id": id,
            "from": entry.status.as_str(),
            "to": to.as_str(),
            "note": note,
        }),
        at: now,
    }
}

/// A lease duration in whole milliseconds (at least 1), saturating.
pub(crate) fn ttl_millis(ttl: std::time::Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_text_is_fixed_width_sortable_and_round_trips_microseconds() {
        let a: Timestamp = "2024-03-05T07:08:09.1234567Z".parse().unwrap();
        assert_eq!(ts_text(a), "2024-03-05T07:08:09.123456Z");
        let back: Timestamp = ts_text(a).parse().unwrap();
        assert_eq!(
            back,
            "2024-03-05T07:08:09.123456Z".parse::<Timestamp>().unwrap()
        );
        let whole: Timestamp = "2024-03-05T07:08:10Z".parse().unwrap();
        assert_eq!(ts_text(whole), "2024-03-05T07:08:10.000000Z");
        // Text order is time order even when one value has no fraction.
        assert!(ts_text(a) < ts_text(whole));
    }
}
