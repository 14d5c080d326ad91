-- Rollbook schema version 2: a record of every purge of old records (crate::retention).
-- How long records are kept is a plain setting (`retention_keep_days` in `setting`).

-- One row per purge, written in the purge's own transaction. The purge itself scans mark,
-- mark_change, outbox and server_record by date with no index of its own: it runs once per
-- start of the app or on request, and an index by date would cost every mark.
CREATE TABLE purge_log (
    id               INTEGER PRIMARY KEY,
    ran_at           TEXT NOT NULL,                 -- RFC 3339 UTC
    cutoff           TEXT NOT NULL,                 -- YYYY-MM-DD: records dated before it went
    keep_days        INTEGER NOT NULL CHECK (keep_days > 0),
    marks            INTEGER NOT NULL CHECK (marks >= 0),
    changes          INTEGER NOT NULL CHECK (changes >= 0),
    outbox_items     INTEGER NOT NULL CHECK (outbox_items >= 0),
    server_records   INTEGER NOT NULL CHECK (server_records >= 0),
    -- (offering, student, date) keys older than the cutoff kept whole because an outbox item
    -- of theirs was not yet confirmed by the server (pending, sending, unknown or rejected).
    kept_unconfirmed INTEGER NOT NULL CHECK (kept_unconfirmed >= 0)
) STRICT;
