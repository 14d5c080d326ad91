-- Rollbook schema version 7: the cached server records live in a file of their own, beside the
-- database (`rollbook.records.db`, attached as `records`), so that saving a pull's listing
-- takes that file's write lock, not the one a mark being saved needs. Before this migration
-- runs, the records have been copied into that file (`store/records.rs`); statements that do
-- not name a file find `server_record` there once the database file has none.
DROP TABLE main.server_record;
