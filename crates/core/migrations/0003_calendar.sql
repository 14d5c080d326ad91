-- Rollbook schema version 3: the school calendar, for the rolls still to take (crate::calendar,
-- crate::roll::missing_rolls). Neither table ever invents an absence: they only say which past
-- days a roll was due.

-- The weekdays an offering meets, when the user chose them (Settings). An offering with no row
-- meets Monday to Friday. Read by offering (the primary key serves it).
CREATE TABLE meeting_day (
    offering_id TEXT NOT NULL REFERENCES offering (id) ON DELETE CASCADE,
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7), -- ISO 8601: 1 = Monday
    PRIMARY KEY (offering_id, weekday)
) STRICT, WITHOUT ROWID;

-- Days the school does not meet (holidays, breaks), imported from a CSV file with a `date`
-- column. Read by date range (the primary key serves it).
CREATE TABLE non_school_day (
    date TEXT PRIMARY KEY CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
) STRICT, WITHOUT ROWID;

-- What the teacher last saw of a mark's server records (crate::history): the newest record's
-- recorded_at_us when they opened its history or marked the row. A newer record of another
-- writer over a mark of this device shows "changed by another teacher or system" until then.
-- The primary key (offering first, then date) serves the roll's read of one offering on one
-- date and the upsert of one mark.
CREATE TABLE mark_seen (
    offering_id         TEXT NOT NULL,
    date                TEXT NOT NULL,
    student_id          TEXT NOT NULL,
    seen_recorded_at_us INTEGER NOT NULL,
    PRIMARY KEY (offering_id, date, student_id)
) STRICT, WITHOUT ROWID;
