-- When a record's current wait began (ledger status 'waiting'): set when a row enters 'waiting',
-- kept while it stays there, cleared when it leaves. `wait_alert_after` alerts on it, for every
-- kind of wait. Rows already waiting count from their last change.
ALTER TABLE ledger ADD COLUMN waiting_since TEXT;
UPDATE ledger SET waiting_since = updated_at WHERE status = 'waiting';
