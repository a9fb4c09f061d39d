-- Fencing tokens: every time a lease changes hands (taken free, taken over after expiry, or
-- retaken after a release) its epoch goes up; renewals by the holder keep it. A commit made
-- under a lease carries the epoch it was made under and is refused when it is no longer current.
ALTER TABLE leases ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
