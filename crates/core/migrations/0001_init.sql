-- Rollbook schema version 1.
-- Ids are the Athena UUIDs as lowercase text; dates are YYYY-MM-DD text; times are RFC 3339 UTC.

CREATE TABLE offering (
    id                    TEXT PRIMARY KEY,          -- course_offering_id
    name                  TEXT NOT NULL,
    teacher_assignment_id TEXT NOT NULL
) STRICT;

CREATE TABLE student (
    id        TEXT PRIMARY KEY,                      -- student_id
    full_name TEXT NOT NULL
) STRICT;

CREATE TABLE enrollment (
    id          TEXT PRIMARY KEY,                    -- course_enrollment_id
    offering_id TEXT NOT NULL REFERENCES offering(id),
    student_id  TEXT NOT NULL REFERENCES student(id),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    -- Serves "is this student enrolled in this offering" (every mark) and "the roster of an
    -- offering" (the grid), both by offering_id first.
    UNIQUE (offering_id, student_id)
) STRICT;

-- The current local mark: one per (offering, student, date).
CREATE TABLE mark (
    offering_id TEXT NOT NULL REFERENCES offering(id),
    student_id  TEXT NOT NULL REFERENCES student(id),
    date        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('present', 'absent', 'late', 'excused')),
    changed_at  TEXT NOT NULL,
    PRIMARY KEY (offering_id, student_id, date)
) STRICT, WITHOUT ROWID;

-- Serves the roster grid: all marks of one offering on one date.
CREATE INDEX mark_by_offering_date ON mark (offering_id, date);

-- One item per mark change to deliver to the Athena API. A change to a mark whose item is still
-- pending rewrites that item; a change after the item left the device queues a new one.
CREATE TABLE outbox (
    id                    INTEGER PRIMARY KEY,
    offering_id           TEXT NOT NULL,
    student_id            TEXT NOT NULL,
    date                  TEXT NOT NULL,
    teacher_assignment_id TEXT NOT NULL,
    enrollment_id         TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('present', 'absent', 'late', 'excused')),
    -- pending: waiting to be sent; sending: a POST may be on the wire; synced: the server has it;
    -- unknown: a POST went out and its outcome is not known (reconcile before any re-send);
    -- rejected: the server refused it (reason in last_error); cancelled: undone before sending.
    state                 TEXT NOT NULL DEFAULT 'pending'
                          CHECK (state IN ('pending', 'sending', 'synced', 'unknown', 'rejected',
                                           'cancelled')),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    attempts              INTEGER NOT NULL DEFAULT 0,
    next_attempt_at       TEXT,                      -- NULL: due now
    last_error            TEXT,
    sent_at               TEXT,                      -- last time a POST left for this item
    resend_requested      INTEGER NOT NULL DEFAULT 0 CHECK (resend_requested IN (0, 1)),
    server_id             TEXT UNIQUE,               -- the server record this item became
    server_recorded_at    TEXT
) STRICT;

-- Serves the sync engine's "what is due" scan and the status counts (by state).
CREATE INDEX outbox_by_state ON outbox (state, next_attempt_at);
-- Serves per-mark ordering and "is there an unsent item for this mark" (every mark change).
CREATE INDEX outbox_by_key ON outbox (offering_id, student_id, date, id);

-- Every change to a mark: old -> new, who, when, from where; linked to the outbox item that
-- carries it to the server (so history can show when it was delivered and as which record).
CREATE TABLE mark_change (
    id          INTEGER PRIMARY KEY,
    offering_id TEXT NOT NULL,
    student_id  TEXT NOT NULL,
    date        TEXT NOT NULL,
    old_status  TEXT CHECK (old_status IN ('present', 'absent', 'late', 'excused')),
    new_status  TEXT CHECK (new_status IN ('present', 'absent', 'late', 'excused')),
    actor       TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('grid', 'bulk', 'import', 'cli', 'undo')),
    changed_at  TEXT NOT NULL,
    -- One user action (a click, "mark the rest present", an import) shares one action number;
    -- undo reverts a whole action.
    action      INTEGER NOT NULL,
    undone      INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
    outbox_id   INTEGER REFERENCES outbox(id)
) STRICT;

-- Serves a mark's history (offering, student, date in order of change).
CREATE INDEX mark_change_by_key ON mark_change (offering_id, student_id, date, id);
-- Serves undo: the latest not-undone action for an offering and date.
CREATE INDEX mark_change_by_offering_date ON mark_change (offering_id, date, action);

-- Records as the server holds them (pulled, or created by our own POSTs).
CREATE TABLE server_record (
    id                    TEXT PRIMARY KEY,          -- the server's record id
    school_id             TEXT,
    offering_id           TEXT NOT NULL,
    teacher_assignment_id TEXT NOT NULL,
    enrollment_id         TEXT NOT NULL,
    student_id            TEXT NOT NULL,
    date                  TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('present', 'absent', 'late', 'excused')),
    recorded_at           TEXT NOT NULL,             -- as the server wrote it
    recorded_at_us        INTEGER NOT NULL,          -- the same instant in µs since 1970, to order by
    fetched_at            TEXT NOT NULL
) STRICT;

-- Serves the effective mark of (offering, student, date): the newest recorded_at.
CREATE INDEX server_record_by_key
    ON server_record (offering_id, student_id, date, recorded_at_us);
-- Serves a student's history over a date range (counselor view, reports).
CREATE INDEX server_record_by_student ON server_record (student_id, date);

-- Plain settings (API base URL, school id, actor name). Never a secret.
CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
