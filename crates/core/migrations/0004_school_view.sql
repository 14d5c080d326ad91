-- Rollbook schema version 4: the school view (crate::sync::effective::for_range).

-- Serves every student's effective marks over a date range, read as one stream in the order
-- (student, date, offering, newest last) with the status in the index: a school's year of
-- cached records is read without sorting it and without visiting the table's rows.
CREATE INDEX server_record_by_student_day
    ON server_record (student_id, date, offering_id, recorded_at_us, status);
-- It also serves a student's history over a date range (its first two columns), which
-- server_record_by_student (student_id, date) served until now.
DROP INDEX server_record_by_student;
