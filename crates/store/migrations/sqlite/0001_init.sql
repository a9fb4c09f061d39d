-- ml-connector state store, SQLite schema v1.
-- Timestamps are TEXT in one fixed RFC 3339 shape, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, always six
-- fractional digits), so that text order is time order and range queries use plain indexes.
-- JSON columns are TEXT holding the JSON exactly as the connector wrote it.

CREATE TABLE cursors (
    tenant     TEXT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, name)
) WITHOUT ROWID;

CREATE TABLE xref (
    tenant     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    jde_key    TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, kind, jde_key)
) WITHOUT ROWID;
-- One JAGGAER id maps to one JDE key: two JDE records pointing at one remote object is how
-- duplicates (and double payments) start, so the store refuses it.
CREATE UNIQUE INDEX xref_remote ON xref (tenant, kind, remote_id);

CREATE TABLE ledger (
    tenant         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    key            TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    source_version TEXT NOT NULL,
    remote_id      TEXT,
    status         TEXT NOT NULL CHECK (status IN ('synced', 'waiting', 'quarantined', 'posted', 'processed', 'inactive')),
    detail         TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant, kind, key)
) WITHOUT ROWID;
CREATE INDEX ledger_status ON ledger (tenant, kind, status);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    run_id  TEXT,
    action  TEXT NOT NULL,
    message TEXT NOT NULL,
    detail  TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX audit_record ON audit (tenant, kind, key, at);
CREATE INDEX audit_at ON audit (at);
-- The audit log is append-only: the store never changes or removes a row, and neither may anyone
-- else through SQL. (A retention purge will come with its own migration.)
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    run_id      TEXT,
    reason_kind TEXT NOT NULL,
    reason      TEXT NOT NULL,
    field       TEXT,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'retrying', 'resolved', 'discarded')),
    note        TEXT,
    attempts    INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
-- At most one live (open or retrying) entry per record; re-quarantining updates it.
CREATE UNIQUE INDEX quarantine_live ON quarantine (tenant, kind, key) WHERE status IN ('open', 'retrying');
CREATE INDEX quarantine_tenant_status ON quarantine (tenant, status);

CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    summary     TEXT NOT NULL,
    error       TEXT
);
CREATE INDEX runs_tenant_started ON runs (tenant, started_at);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE tenant_state (
    tenant               TEXT PRIMARY KEY,
    paused               INTEGER NOT NULL,
    pause_reason         TEXT,
    next_due             TEXT,
    consecutive_failures INTEGER NOT NULL,
    last_success         TEXT,
    updated_at           TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sequences (
    tenant TEXT NOT NULL,
    name   TEXT NOT NULL,
    value  INTEGER NOT NULL,
    PRIMARY KEY (tenant, name)
) WITHOUT ROWID;

CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant       TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    UNIQUE (tenant, doc_id)
);
CREATE INDEX inbox_pending ON inbox (tenant, id) WHERE processed_at IS NULL;
