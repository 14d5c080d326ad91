-- Rollbook schema version 5: a cached server record is found by (offering, id).
--
-- The server's record ids are random: as the table's primary key they put each record of a
-- listing on an index page of its own, so saving an offering's listing (5,400 records for a
-- class's year) rewrote about as many pages, most of a school pull's time, under the write lock
-- a mark being saved waits on. A record belongs to one offering (the API has no update of a
-- record: a correction is a new record), so (offering_id, id) names it as well, and keeps a
-- listing's records together. The table is rebuilt with the same columns in the same order.
CREATE TABLE server_record_v5 (
    id                    TEXT NOT NULL,             -- the server's record id
    school_id             TEXT,
    offering_id           TEXT NOT NULL,
    teacher_assignment_id TEXT NOT NULL,
    enrollment_id         TEXT NOT NULL,
    student_id            TEXT NOT NULL,
    date                  TEXT NOT NULL,
    -- Written out, not `IN (...)`: SQLite builds a table for an IN list at every insert.
    status                TEXT NOT NULL CHECK (status = 'present' OR status = 'absent'
                                               OR status = 'late' OR status = 'excused'),
    recorded_at           TEXT NOT NULL,             -- as the server wrote it
    recorded_at_us        INTEGER NOT NULL,          -- the same instant in µs since 1970, to order by
    fetched_at            TEXT NOT NULL
) STRICT;

INSERT INTO server_record_v5 (id, school_id, offering_id, teacher_assignment_id, enrollment_id,
                              student_id, date, status, recorded_at, recorded_at_us, fetched_at)
     SELECT id, school_id, offering_id, teacher_assignment_id, enrollment_id,
            student_id, date, status, recorded_at, recorded_at_us, fetched_at
       FROM server_record
      ORDER BY offering_id, student_id, date, recorded_at_us;

DROP TABLE server_record;
ALTER TABLE server_record_v5 RENAME TO server_record;

-- One row per record of an offering: a listing's save finds an existing record by it.
CREATE UNIQUE INDEX server_record_by_offering_id ON server_record (offering_id, id);
-- The effective mark of (offering, student, date): the newest recorded_at.
CREATE INDEX server_record_by_key
    ON server_record (offering_id, student_id, date, recorded_at_us);
-- Every student's effective marks over a date range (the school view), read without sorting
-- and without visiting the table's rows; its first two columns serve a student's history.
CREATE INDEX server_record_by_student_day
    ON server_record (student_id, date, offering_id, recorded_at_us, status);
