//! The cached server records live in a file of their own beside the database
//! (`rollbook.records.db` beside `rollbook.db`), attached to every connection as `records`.
//!
//! SQLite has one write lock per file. A school pull saves a class's listing (5,400 records
//! for a year) in one transaction; with the records in the database file, a mark being saved
//! waited for that transaction. A write transaction now names the files it writes
//! ([`Writes`]): a mark takes the database file's lock and a listing the records file's, so a
//! mark never waits for a pull.
//!
//! - The table keeps its name, columns and indexes (`server_record`, schema 6): a statement
//!   that does not name the file finds it in the records file, the database file having none.
//! - A transaction that writes both (the engine: an answer settles an outbox item and caches
//!   the record it became; the purge) takes the records file's lock first, then the
//!   database's. A mark's transaction never waits for the records file and a listing's never
//!   for the database file, so no two transactions wait for each other.
//! - In write-ahead-log mode a commit is atomic in each file, not across both; the database
//!   file's commit comes first. A crash between the two leaves an outbox item `synced` whose
//!   record is not cached yet: the effective mark is then the local mark (what was sent), and
//!   the offering's next refresh caches the record. A purge cut there leaves old records that
//!   the next purge removes.
//! - A records file that is gone (deleted by hand) is made again, empty: the next pulls fill
//!   it.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, TransactionBehavior};

use crate::error::Result;

/// The schema name of the attached records file.
pub(crate) const SCHEMA: &str = "records";

/// The records file beside the database file at `db`: `rollbook.records.db` for
/// `rollbook.db`.
pub fn records_path(db: &Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    db.with_file_name(format!("{stem}.records.db"))
}

/// The cached records' table and indexes, as schema 6 left them in the database file
/// (migrations 0005 and 0006); made when missing, so a lost records file starts again empty.
const TABLE: &str = "
CREATE TABLE IF NOT EXISTS records.server_record (
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
-- One row per record of an offering: a listing's save finds an existing record by it, and an
-- offering's records are a range of it.
CREATE UNIQUE INDEX IF NOT EXISTS records.server_record_by_offering_id
    ON server_record (offering_id, id);
-- Every student's effective marks over a date range (the school view), read without sorting
-- and without visiting the table's rows; the newest record of (offering, student, date) is a
-- seek in it; its first two columns serve a student's history.
CREATE INDEX IF NOT EXISTS records.server_record_by_student_day
    ON server_record (student_id, date, offering_id, recorded_at_us, status);
";

/// The files a write transaction writes, whose write locks it takes when it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    /// The database file: marks, their history, the outbox, the roster, the settings.
    Local,
    /// The records file: a listing saved by a pull.
    Records,
    /// Both, the records file's lock first: the engine settling items with their records, the
    /// purge.
    Both,
}

impl Writes {
    /// A write that changes nothing in each file, in lock order: SQLite takes a file's write
    /// lock at the first statement that writes it, waiting for it through the busy handler
    /// while the transaction has read nothing yet.
    fn locks(self) -> &'static str {
        match self {
            Writes::Local => "UPDATE main.setting SET key = key WHERE 0",
            Writes::Records => "UPDATE records.server_record SET id = id WHERE 0",
            Writes::Both => {
                "UPDATE records.server_record SET id = id WHERE 0;
                 UPDATE main.setting SET key = key WHERE 0"
            }
        }
    }
}

/// Begins a write transaction on `conn` holding the write locks of the files `writes` names
/// (and only those: `BEGIN IMMEDIATE` would take every attached file's).
pub(crate) fn begin(conn: &Connection, writes: Writes) -> Result<()> {
    conn.execute_batch("BEGIN")?;
    if let Err(e) = conn.execute_batch(writes.locks()) {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e.into());
    }
    Ok(())
}

/// [`begin`] as a rusqlite transaction (rolled back when dropped uncommitted).
pub fn transaction(conn: &mut Connection, writes: Writes) -> Result<rusqlite::Transaction<'_>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    tx.execute_batch(writes.locks())?;
    Ok(tx)
}

/// Attaches the records file at `path` to `conn` (read-only when `conn` is).
pub(crate) fn attach(conn: &Connection, path: &Path) -> Result<()> {
    conn.execute(
        &format!("ATTACH DATABASE ?1 AS {SCHEMA}"),
        [path.to_string_lossy()],
    )?;
    Ok(())
}

/// The records file's own schema version (`records.user_version`): 1, the table of schema 6.
const RECORDS_VERSION: i64 = 1;

/// Makes the records' table and indexes in the attached file when they are missing.
pub(crate) fn ensure_table(conn: &Connection) -> Result<()> {
    if has_records_table(conn, SCHEMA)? {
        return Ok(());
    }
    in_records_alone(conn, |conn| conn.execute_batch(TABLE))
}

/// Before migration 0007 drops the database file's `server_record`: copies its rows into the
/// records file, in a transaction of the records file alone, committed first. A crash after
/// it copies them again (`OR IGNORE`: each record once); a crash inside it copies nothing.
/// Whether the database file still has the table is read under the records file's lock, which
/// the migration dropping it needs as well.
pub(crate) fn move_from_database_file(conn: &Connection) -> Result<()> {
    in_records_alone(conn, |conn| {
        conn.execute_batch(TABLE)?;
        if has_records_table(conn, "main")? {
            conn.execute_batch(
                "INSERT OR IGNORE INTO records.server_record
                     SELECT id, school_id, offering_id, teacher_assignment_id, enrollment_id,
                            student_id, date, status, recorded_at, recorded_at_us, fetched_at
                       FROM main.server_record
                      ORDER BY offering_id, id;",
            )?;
        }
        Ok(())
    })
}

/// Whether the file of `schema` has the `server_record` table.
fn has_records_table(conn: &Connection, schema: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        &format!(
            "SELECT EXISTS (SELECT 1 FROM {schema}.sqlite_schema
                             WHERE type = 'table' AND name = 'server_record')"
        ),
        [],
        |r| r.get(0),
    )
}

/// Runs `f` in a transaction of the records file alone. Its lock is taken by writing the
/// file's schema version first ([`Writes::Records`]'s write needs the table, which may not
/// exist yet).
fn in_records_alone(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> Result<()> {
    conn.execute_batch("BEGIN")?;
    let result = conn
        .execute_batch(&format!("PRAGMA records.user_version = {RECORDS_VERSION};"))
        .and_then(|_| f(conn))
        .and_then(|_| conn.execute_batch("COMMIT"));
    if result.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    Ok(result?)
}
