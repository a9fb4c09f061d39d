//! Rows and values the store reads and writes.
use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_core::record::RecordKey;
use serde::{Deserialize, Serialize};

/// Id of a sync run (a UUIDv7 as text, so runs sort by start time).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub String);

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerStatus {
    /// The destination accepted the last version we sent.
    Synced,
    /// Held back on purpose (invoice not yet payable, PO on hold).
    Waiting,
    /// In quarantine.
    Quarantined,
    /// Voucher written to the JDE Z files, not yet processed by R04110ZA.
    Posted,
    /// Voucher processed by JDE into F0411 (read back).
    Processed,
    /// Deactivated / cancelled in the destination.
    Inactive,
}

impl LedgerStatus {
    /// Stable text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerStatus::Synced => "synced",
            LedgerStatus::Waiting => "waiting",
            LedgerStatus::Quarantined => "quarantined",
            LedgerStatus::Posted => "posted",
            LedgerStatus::Processed => "processed",
            LedgerStatus::Inactive => "inactive",
        }
    }
    /// Parses [`LedgerStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Synced,
            Self::Waiting,
            Self::Quarantined,
            Self::Posted,
            Self::Processed,
            Self::Inactive,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One ledger row: what we last sent for a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The record.
    pub record: RecordKey,
    /// Fingerprint of the last payload the destination accepted (or that is waiting).
    pub content_hash: String,
    /// Source version seen (JDE `CYYDDD:HHMMSS`, JAGGAER lastUpdate), for the audit and status.
    pub source_version: String,
    /// The id on the other side (JAGGAER id, or the JDE voucher key `EDUS/EDBT/EDTN`).
    pub remote_id: Option<String>,
    /// Where the record stands.
    pub status: LedgerStatus,
    /// Free-form details kept with the row (e.g. the posted invoice version for
    /// "changed after posting" checks, the voucher's DOC once read back).
    pub detail: serde_json::Value,
    /// Last change (set by the store on write).
    pub updated_at: Timestamp,
}

/// A cross reference between a JDE key and a JAGGAER id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XRef {
    /// Tenant.
    pub tenant: TenantId,
    /// Kind of record.
    pub kind: mlc_core::record::RecordKind,
    /// JDE side key (AN8, `KCOO-DCTO-DOCO`, voucher key).
    pub jde_key: String,
    /// JAGGAER side id.
    pub remote_id: String,
}

/// One audit event. The `action` is a stable word (see [`actions`]), never display text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The record.
    pub record: RecordKey,
    /// The run it happened in, if any.
    pub run_id: Option<RunId>,
    /// Stable action word.
    pub action: String,
    /// Human-readable summary (no secrets).
    pub message: String,
    /// Structured details: ids on both sides, hashes, versions, errors.
    pub detail: serde_json::Value,
    /// When (set by the caller; the store keeps it as given).
    pub at: Timestamp,
}

/// Stable audit action words.
pub mod actions {
    /// Read from the source system.
    pub const READ: &str = "read";
    /// Mapped into the destination's shape.
    pub const MAPPED: &str = "mapped";
    /// Created in the destination.
    pub const CREATED: &str = "created";
    /// Updated in the destination.
    pub const UPDATED: &str = "updated";
    /// Unchanged since the last sync; nothing written.
    pub const SKIPPED: &str = "skipped";
    /// Held back on purpose.
    pub const WAITING: &str = "waiting";
    /// Found already present in the destination (lookup before create).
    pub const FOUND_EXISTING: &str = "found-existing";
    /// A transient failure was retried.
    pub const RETRY: &str = "retry";
    /// An error.
    pub const ERROR: &str = "error";
    /// Put in quarantine.
    pub const QUARANTINED: &str = "quarantined";
    /// A quarantine entry was retried.
    pub const QUARANTINE_RETRY: &str = "quarantine-retry";
    /// A quarantine entry was discarded.
    pub const QUARANTINE_DISCARD: &str = "quarantine-discard";
    /// A quarantine entry was marked resolved by an operator.
    pub const QUARANTINE_RESOLVED: &str = "quarantine-resolved";
    /// A quarantine entry was reopened by an operator.
    pub const QUARANTINE_REOPENED: &str = "quarantine-reopened";
    /// Deactivated in the destination.
    pub const DEACTIVATED: &str = "deactivated";
    /// A voucher was read back after JDE processed it.
    pub const READ_BACK: &str = "read-back";
    /// A planned voucher was approved by AP (`approvals approve`; who is in the message).
    pub const APPROVED: &str = "approved";
    /// A planned voucher was rejected by AP (`approvals reject`, with the reason).
    pub const REJECTED: &str = "rejected";
}

/// Status of a quarantine entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineStatus {
    /// Waiting for someone.
    Open,
    /// `quarantine retry` asked for it to be sent again (the next attempt closes or reopens it).
    Retrying,
    /// It went through on a later attempt.
    Resolved,
    /// Someone discarded it with a reason.
    Discarded,
}

impl QuarantineStatus {
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineStatus::Open => "open",
            QuarantineStatus::Retrying => "retrying",
            QuarantineStatus::Resolved => "resolved",
            QuarantineStatus::Discarded => "discarded",
        }
    }
    /// Parses [`QuarantineStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Retrying, Self::Resolved, Self::Discarded]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A record to put in quarantine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewQuarantine {
    /// The record.
    pub record: RecordKey,
    /// The run that put it there.
    pub run_id: Option<RunId>,
    /// Stable reason word: `mapping`, `rejected`, `changed-after-posting`, `jde-processing`, ...
    pub reason_kind: String,
    /// The reason, naming the record and the field.
    pub reason: String,
    /// The field at fault, when known.
    pub field: Option<String>,
    /// The original payload as read from the source.
    pub payload: serde_json::Value,
}

/// A quarantine entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// Id shown by `quarantine list`.
    pub id: i64,
    /// The entry as created.
    #[serde(flatten)]
    pub entry: NewQuarantine,
    /// Current status.
    pub status: QuarantineStatus,
    /// Last note (retry/discard reason, resolution).
    pub note: Option<String>,
    /// Number of times the record was quarantined (re-quarantining an open record bumps this
    /// instead of adding a row).
    pub attempts: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Everything one record outcome (or a batch of them) changes, written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// Ledger rows to upsert.
    pub ledger: Vec<LedgerEntry>,
    /// Cross references to upsert.
    pub xrefs: Vec<XRef>,
    /// Audit events to append.
    pub audit: Vec<AuditEvent>,
    /// Records to quarantine (an open entry for the same record is updated instead).
    pub quarantine: Vec<NewQuarantine>,
    /// Records whose open/retrying quarantine entries are now resolved.
    pub resolve: Vec<RecordKey>,
    /// Cursor advances `(tenant, name, value)`.
    pub cursors: Vec<(TenantId, String, String)>,
    /// The lease this commit is made under: checked in the commit's transaction, and a stale
    /// epoch fails it with [`crate::StoreError::Fenced`] without writing anything.
    pub fence: Option<Fence>,
}

/// A lease and the epoch it was acquired with (a fencing token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The lease's name (`tenant:acme`).
    pub lease: String,
    /// The epoch returned by [`crate::StateStore::lease_acquire`].
    pub epoch: u64,
}

impl Commit {
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.ledger.is_empty()
            && self.xrefs.is_empty()
            && self.audit.is_empty()
            && self.quarantine.is_empty()
            && self.resolve.is_empty()
            && self.cursors.is_empty()
    }
}

/// A saved cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorRow {
    /// Cursor name.
    pub name: String,
    /// Value.
    pub value: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Outcome of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running (or the process died).
    Running,
    /// Every record went through.
    Ok,
    /// Some records were quarantined.
    Partial,
    /// The run could not complete.
    Failed,
}

impl RunStatus {
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Ok => "ok",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
        }
    }
    /// Parses [`RunStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Running, Self::Ok, Self::Partial, Self::Failed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A sync run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// Run id.
    pub id: RunId,
    /// Tenant.
    pub tenant: TenantId,
    /// What started it (`sync`, `schedule`, `demo`, `retry`).
    pub trigger: String,
    /// Status.
    pub status: RunStatus,
    /// Start.
    pub started_at: Timestamp,
    /// End.
    pub finished_at: Option<Timestamp>,
    /// Summary JSON.
    pub summary: serde_json::Value,
    /// Error text when failed.
    pub error: Option<String>,
}

/// A lease holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRow {
    /// Lease name (`tenant:acme`).
    pub name: String,
    /// Owner (worker id).
    pub owner: String,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Fencing token: goes up whenever the lease changes hands.
    pub epoch: u64,
}

/// Scheduling state of a tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantState {
    /// Paused by `tenant pause` or after a rejected login.
    pub paused: bool,
    /// Why it is paused.
    pub pause_reason: Option<String>,
    /// When the next cycle is due.
    pub next_due: Option<Timestamp>,
    /// Failures in a row (for back-off).
    pub consecutive_failures: u32,
    /// Last successful run end.
    pub last_success: Option<Timestamp>,
}

/// An inbound document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxDoc {
    /// Row id.
    pub id: i64,
    /// Tenant.
    pub tenant: TenantId,
    /// Document id (cXML payloadID).
    pub doc_id: String,
    /// Kind (`cxml-invoice`).
    pub kind: String,
    /// The document as received.
    pub payload: String,
    /// Received.
    pub received_at: Timestamp,
}

/// What a console user may do. Ordered: each role may do everything the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees every page, changes nothing.
    Viewer,
    /// Also retries and discards quarantined records, pauses and resumes tenants.
    Operator,
    /// Also manages users.
    Admin,
}

impl Role {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    /// Parses a stored or typed name (`viewer`, `operator`, `admin`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Self::Viewer),
            "operator" => Some(Self::Operator),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A console user.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Sign-in name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The argon2 PHC string of the password (never shown by `Debug`).
    pub password_hash: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last change of role or password.
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password_hash", &"[REDACTED]")
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A live console session, with its user's current role.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The user it belongs to.
    pub user: String,
    /// The user's role now (a role change applies to open sessions at once).
    pub role: Role,
    /// The session's CSRF token, required on every state-changing form (never shown by `Debug`).
    pub csrf_token: String,
    /// Created.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("role", &self.role)
            .field("csrf_token", &"[REDACTED]")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}
