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
