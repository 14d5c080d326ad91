-- Rollbook schema version 6: a cached server record is written into three B-trees, not four.
--
-- server_record_by_key (offering_id, student_id, date, recorded_at_us) served look-ups that the
-- other indexes serve as well: an offering's records are a range of server_record_by_offering_id
-- (offering_id, id), and the newest record of (offering, student, date) is a seek in
-- server_record_by_student_day (student_id, date, offering_id, recorded_at_us, status). Every
-- listing saved by a school pull paid for it: a third of a record's B-tree inserts.
DROP INDEX server_record_by_key;
