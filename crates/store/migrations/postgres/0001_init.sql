-- ml-connector state store, PostgreSQL schema v1.
-- Timestamps are timestamptz (microsecond precision). Details and summaries are jsonb (queryable);
-- quarantined payloads are json, which keeps the document's text exactly as it was read.

CREATE TABLE cursors (
    tenant     text NOT NULL,
    name       text NOT NULL,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, name)
);

CREATE TABLE xref (
    tenant     text NOT NULL,
    kind       text NOT NULL,
    jde_key    text NOT NULL,
    remote_id  text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, kind, jde_key)
);
-- One JAGGAER id maps to one JDE key (see the SQLite schema).
CREATE UNIQUE INDEX xref_remote ON xref (tenant, kind, remote_id);

CREATE TABLE ledger (
    tenant         text NOT NULL,
    kind           text NOT NULL,
    key            text NOT NULL,
    content_hash   text NOT NULL,
    source_version text NOT NULL,
    remote_id      text,
    status         text NOT NULL CHECK (status IN ('synced', 'waiting', 'quarantined', 'posted', 'processed', 'inactive')),
    detail         jsonb NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, kind, key)
);
CREATE INDEX ledger_status ON ledger (tenant, kind, status);

CREATE TABLE audit (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant  text NOT NULL,
    kind    text NOT NULL,
    key     text NOT NULL,
    run_id  text,
    action  text NOT NULL,
    message text NOT NULL,
    detail  jsonb NOT NULL,
    at      timestamptz NOT NULL
);
CREATE INDEX audit_record ON audit (tenant, kind, key, at);
CREATE INDEX audit_at ON audit (at);
CREATE FUNCTION mlc_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit is append-only';
END;
$$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION mlc_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION mlc_audit_append_only();

CREATE TABLE quarantine (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant      text NOT NULL,
    kind        text NOT NULL,
    key         text NOT NULL,
    run_id      text,
    reason_kind text NOT NULL,
    reason      text NOT NULL,
    field       text,
    payload     json NOT NULL,
    status      text NOT NULL CHECK (status IN ('open', 'retrying', 'resolved', 'discarded')),
    note        text,
    attempts    bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX quarantine_live ON quarantine (tenant, kind, key) WHERE status IN ('open', 'retrying');
CREATE INDEX quarantine_tenant_status ON quarantine (tenant, status);

CREATE TABLE runs (
    id          text PRIMARY KEY,
    tenant      text NOT NULL,
    trigger     text NOT NULL,
    status      text NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    summary     jsonb NOT NULL,
    error       text
);
CREATE INDEX runs_tenant_started ON runs (tenant, started_at);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE leases (
    name       text PRIMARY KEY,
    owner      text NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE tenant_state (
    tenant               text PRIMARY KEY,
    paused               boolean NOT NULL,
    pause_reason         text,
    next_due             timestamptz,
    consecutive_failures bigint NOT NULL,
    last_success         timestamptz,
    updated_at           timestamptz NOT NULL
);

CREATE TABLE sequences (
    tenant text NOT NULL,
    name   text NOT NULL,
    value  bigint NOT NULL,
    PRIMARY KEY (tenant, name)
);

CREATE TABLE inbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant       text NOT NULL,
    doc_id       text NOT NULL,
    kind         text NOT NULL,
    payload      text NOT NULL,
    received_at  timestamptz NOT NULL,
    processed_at timestamptz,
    UNIQUE (tenant, doc_id)
);
CREATE INDEX inbox_pending ON inbox (tenant, id) WHERE processed_at IS NULL;
