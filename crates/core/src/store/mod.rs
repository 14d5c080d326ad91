//! The local SQLite file: opened with durable settings (WAL, `synchronous=FULL`, foreign keys,
//! a busy timeout), created with mode 0600, and brought to the current schema by numbered
//! migrations embedded at compile time. The schema version lives in `PRAGMA user_version`.
//! The cached server records are in a second file beside it, attached as `records`
//! ([`records`]): a write transaction says which files it writes ([`Writes`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};
use crate::paths;

mod records;
pub(crate) use records::begin;
pub use records::{records_path, transaction, Writes};

/// The migrations, in order: `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
/// Shipped migrations are never edited; a change is a new file.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init.sql",
        include_str!("../../migrations/0001_init.sql"),
    ),
    (
        "0002_purge_log.sql",
        include_str!("../../migrations/0002_purge_log.sql"),
    ),
    (
        "0003_calendar.sql",
        include_str!("../../migrations/0003_calendar.sql"),
    ),
    (
        "0004_school_view.sql",
        include_str!("../../migrations/0004_school_view.sql"),
    ),
    (
        "0005_cache_by_offering.sql",
        include_str!("../../migrations/0005_cache_by_offering.sql"),
    ),
    (
        "0006_drop_server_record_by_key.sql",
        include_str!("../../migrations/0006_drop_server_record_by_key.sql"),
    ),
    (
        "0007_records_file.sql",
        include_str!("../../migrations/0007_records_file.sql"),
    ),
];

/// The schema version whose migration moves the cached records into the records file
/// ([`records::move_from_database_file`] runs before it).
const RECORDS_FILE_VERSION: i64 = 7;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a connection waits for another's write transaction before giving up.
const BUSY_WAIT: Duration = Duration::from_secs(5);

/// While another connection holds the write lock, try again every millisecond, up to
/// [`BUSY_WAIT`]: a mark being saved waits only as long as the other's transaction (a school
/// pull's listing), not SQLite's own back-off, which sleeps up to 100 ms between tries and so
/// may miss the moment the lock is free again and again.
fn wait_for_the_writer(tries: i32) -> bool {
    let step = Duration::from_millis(1);
    if step * tries.unsigned_abs() >= BUSY_WAIT {
        return false;
    }
    std::thread::sleep(step);
    true
}

/// A connection to the file at `path` (`access`: read-write and created if missing, or
/// read-only) that waits for another connection's write lock ([`wait_for_the_writer`]).
fn connect(path: &Path, access: OpenFlags) -> Result<Connection> {
    let flags = access | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_handler(Some(wait_for_the_writer))?;
    Ok(conn)
}

/// An open Rollbook database.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database in a data directory.
    pub fn open_data_dir(dir: &Path) -> Result<Store> {
        paths::ensure_data_dir(dir)?;
        Store::open(&dir.join(paths::DB_FILE))
    }

    /// Opens (creating if needed) the database file at `path`, and the records file beside it,
    /// and migrates them.
    pub fn open(path: &Path) -> Result<Store> {
        create_private_file(path)?;
        let conn = connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        // SQLite falls back to reading when the file cannot be written; Rollbook must write
        // every mark, so it says so now rather than at the first mark.
        if conn.is_readonly(rusqlite::MAIN_DB)? {
            return Err(Error::io(
                format!(
                    "the database {} cannot be written, so no mark can be saved until it can \
                     (what is already saved in it is untouched)",
                    path.display()
                ),
                std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            ));
        }
        let mut store = Store {
            conn,
            path: Some(path.to_path_buf()),
        };
        store.configure(true)?;
        store.migrate_to(SCHEMA_VERSION)?;
        Ok(store)
    }

    /// Creates a database at `path` with only the first `version` migrations applied: the file
    /// an older Rollbook left behind, for the upgrade tests. The app never calls it.
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, version: i64) -> Result<Store> {
        if !(0..=SCHEMA_VERSION).contains(&version) {
            return Err(Error::Invalid(format!(
                "schema version {version} does not exist (0 to {SCHEMA_VERSION})"
            )));
        }
        if path.exists() {
            return Err(Error::Conflict(format!(
                "{} already exists: an older database is only made in a new file",
                path.display()
            )));
        }
        create_private_file(path)?;
        let mut store = Store {
            conn: connect(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            )?,
            path: Some(path.to_path_buf()),
        };
        store.configure(true)?;
        store.migrate_to(version)?;
        Ok(store)
    }

    /// A second connection to the same file that only reads, for a read that runs beside this
    /// one (the school view reads its students in parts); `None` for an in-memory database.
    /// With write-ahead logging it reads the last committed state, whatever the first
    /// connection is writing.
    pub fn reader(&self) -> Result<Option<Store>> {
        match &self.path {
            Some(path) => Store::read_only(path).map(Some),
            None => Ok(None),
        }
    }

    /// A connection that only reads the database at `path` (at this build's schema) and its
    /// records file: [`Store::reader`], and what tests and tools read beside a running app.
    pub fn read_only(path: &Path) -> Result<Store> {
        let store = Store {
            conn: connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?,
            path: Some(path.to_path_buf()),
        };
        records::attach(store.conn(), &records_path(path))?;
        let found = store.schema_version()?;
        if found != SCHEMA_VERSION {
            return Err(Error::Invalid(format!(
                "the database at {} is at schema version {found}, not {SCHEMA_VERSION}",
                store.display_path()
            )));
        }
        Ok(store)
    }

    /// A read-write connection to the records file alone, for work beside this one on it (the
    /// school pull's checkpoints); `None` for an in-memory database.
    pub(crate) fn records_connection(&self) -> Result<Option<Connection>> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        Ok(Some(connect(
            &records_path(path),
            OpenFlags::SQLITE_OPEN_READ_WRITE,
        )?))
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store { conn, path: None };
        store.configure(false)?;
        store.migrate_to(SCHEMA_VERSION)?;
        Ok(store)
    }

    /// Sets the connection up. A database written by a newer Rollbook is refused before
    /// anything is changed (switching to write-ahead logging would rewrite its header).
    fn configure(&mut self, on_disk: bool) -> Result<()> {
        self.refuse_newer()?;
        match &self.path {
            Some(path) if on_disk => {
                // Made only now: a newer database, refused above, gets no file beside it.
                let records = records_path(path);
                create_private_file(&records)?;
                records::attach(&self.conn, &records)?;
                self.write_ahead_logging("main", &path.display().to_string())?;
                self.write_ahead_logging(records::SCHEMA, &records.display().to_string())?;
            }
            _ => records::attach(&self.conn, Path::new(":memory:"))?,
        }
        self.conn.execute_batch(
            "PRAGMA main.synchronous = FULL; PRAGMA records.synchronous = FULL;
             PRAGMA foreign_keys = ON;",
        )?;
        Ok(())
    }

    /// Switches the file of `schema` to write-ahead logging. journal_mode returns a row; it
    /// must be read, not executed. Switching a new file needs it to itself: SQLite answers busy
    /// at once, without the busy handler, while another connection is switching it too, so
    /// that is waited for here.
    fn write_ahead_logging(&self, schema: &str, shown: &str) -> Result<()> {
        let mut tries = 0;
        let mode: String = loop {
            match self
                .conn
                .query_row(&format!("PRAGMA {schema}.journal_mode = WAL"), [], |r| {
                    r.get(0)
                }) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && wait_for_the_writer(tries) =>
                {
                    tries += 1;
                }
                other => break other?,
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Invalid(format!(
                "the database at {shown} cannot use write-ahead logging (got {mode})"
            )));
        }
        Ok(())
    }

    /// `DatabaseTooNew` when the file was written by a newer Rollbook.
    fn refuse_newer(&self) -> Result<()> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(Error::DatabaseTooNew {
                path: self.display_path(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    /// Applies every migration newer than the file up to `target`, each in its own
    /// transaction (after [`Store::configure`], which refused a newer database). Each takes the
    /// write lock first and reads the version again under it: two connections opening a new
    /// file at once (the window's and the purge's at start-up) apply each migration once.
    /// A new database starts with an empty records file (one left beside it belonged to
    /// another); from schema 7 on, the records' table is made if the file was lost.
    fn migrate_to(&mut self, target: i64) -> Result<()> {
        let found = self.schema_version()?;
        let shown = self.display_path();
        for (i, (name, sql)) in MIGRATIONS
            .iter()
            .enumerate()
            .take(target.max(0) as usize)
            .skip(found.max(0) as usize)
        {
            let version = i as i64 + 1;
            if version == RECORDS_FILE_VERSION {
                records::move_from_database_file(&self.conn)?;
            }
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now >= version {
                continue;
            }
            if version == 1 {
                tx.execute_batch("DROP TABLE IF EXISTS records.server_record")?;
            }
            tx.execute_batch(sql)
                .map_err(|e| Error::Invalid(format!("migration {name} failed on {shown}: {e}")))?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()?;
        }
        if self.schema_version()? >= RECORDS_FILE_VERSION {
            records::ensure_table(&self.conn)?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// A write transaction of the files `writes` names ([`Writes`]; rolled back when dropped
    /// uncommitted).
    pub fn transaction(&mut self, writes: Writes) -> Result<rusqlite::Transaction<'_>> {
        transaction(&mut self.conn, writes)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The connection itself, the records file attached (`records`).
    pub fn into_connection(self) -> Connection {
        self.conn
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The database file as shown in messages (`:memory:` for an in-memory store).
    pub(crate) fn display_path(&self) -> String {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| ":memory:".into())
    }

    /// A plain setting (never a secret).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        setting_in(&self.conn, key)
    }

    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, v),
            )?,
            None => self
                .conn
                .execute("DELETE FROM setting WHERE key = ?1", [key])?,
        };
        Ok(())
    }
}

/// A plain setting, read on `conn` (for code that holds a transaction rather than the store).
pub(crate) fn setting_in(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT value FROM setting WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Creates the file with mode 0600 before SQLite touches it, so the database (and the WAL and
/// shared-memory files SQLite creates with the same mode) are private to the user. On Windows
/// the file inherits the data directory's access list, which is the user's own.
fn create_private_file(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create directory {}", parent.display()), e))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(
            format!("cannot create database file {}", path.display()),
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_database_is_at_the_current_version() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_write_waits_for_another_connections_transaction_then_goes_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let first = Store::open(&path).unwrap();
        let second = Store::open(&path).unwrap();
        first
            .conn()
            .execute_batch(
                "BEGIN IMMEDIATE; INSERT INTO setting (key, value) VALUES ('first', '1');",
            )
            .unwrap();
        let (held, release) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            held.send(()).unwrap();
            second.conn().execute(
                "INSERT INTO setting (key, value) VALUES ('second', '2')",
                [],
            )
        });
        release.recv().unwrap();
        // The other connection is now waiting on the write lock this one holds.
        std::thread::sleep(Duration::from_millis(300));
        first.conn().execute_batch("COMMIT").unwrap();
        assert_eq!(
            writer.join().unwrap().unwrap(),
            1,
            "the waiting write went through"
        );
        let n: i64 = first
            .conn()
            .query_row(
                "SELECT count(*) FROM setting WHERE key IN ('first', 'second')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
    }

    /// A cached record, written on `conn`.
    fn cache_a_record(conn: &Connection, id: &str) -> rusqlite::Result<usize> {
        conn.execute(
            "INSERT INTO server_record VALUES
                 (?1, NULL, 'o', 'ta', 'e', 's', '2024-03-14', 'present', 't', 1, 't')",
            [id],
        )
    }

    #[test]
    fn a_mark_and_a_listing_write_their_own_files_side_by_side() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollbook.db");
        let mut pull = Store::open(&path).unwrap();
        let mut window = Store::open(&path).unwrap();

        // A listing being saved holds the records file; a mark's transaction still commits.
        let listing = pull.transaction(Writes::Records).unwrap();
        cache_a_record(&listing, "r1").unwrap();
        let mark = window.transaction(Writes::Local).unwrap();
        window_write(&mark, "mark");
        mark.commit().unwrap();
        listing.commit().unwrap();

        // And the other way round.
        let mark = window.transaction(Writes::Local).unwrap();
        window_write(&mark, "second mark");
        let listing = pull.transaction(Writes::Records).unwrap();
        cache_a_record(&listing, "r2").unwrap();
        listing.commit().unwrap();
        mark.commit().unwrap();

        let records: i64 = window
            .conn()
            .query_row("SELECT count(*) FROM server_record", [], |r| r.get(0))
            .unwrap();
        assert_eq!(records, 2);
    }

    fn window_write(conn: &Connection, key: &str) {
        conn.execute(
            "INSERT INTO setting (key, value) VALUES (?1, 'saved')",
            [key],
        )
        .unwrap();
    }

    #[test]
    fn a_transaction_of_both_files_waits_for_a_listing_without_holding_up_a_mark() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollbook.db");
        let mut pull = Store::open(&path).unwrap();
        let mut window = Store::open(&path).unwrap();
        let mut engine = Store::open(&path).unwrap();

        let listing = pull.transaction(Writes::Records).unwrap();
        cache_a_record(&listing, "listed").unwrap();
        let (began, began_rx) = std::sync::mpsc::channel();
        let settle = std::thread::spawn(move || -> Result<()> {
            began.send(()).unwrap();
            // The engine settling an item with its record waits for the listing's lock.
            let tx = engine.transaction(Writes::Both)?;
            cache_a_record(&tx, "posted")?;
            window_write(&tx, "settled");
            tx.commit()?;
            Ok(())
        });
        began_rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        // Meanwhile the database file is free: a mark commits while the engine waits.
        let mark = window.transaction(Writes::Local).unwrap();
        window_write(&mark, "mark");
        mark.commit().unwrap();
        assert!(!settle.is_finished(), "the engine waits for the listing");
        listing.commit().unwrap();
        settle.join().unwrap().unwrap();

        let n: i64 = window
            .conn()
            .query_row(
                "SELECT (SELECT count(*) FROM server_record)
                      + (SELECT count(*) FROM setting WHERE key IN ('mark', 'settled'))",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 4);
    }

    #[test]
    fn the_records_file_is_beside_the_database_and_a_lost_one_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollbook.db");
        let records = dir.path().join("rollbook.records.db");
        assert_eq!(records_path(&path), records);
        {
            let store = Store::open(&path).unwrap();
            cache_a_record(store.conn(), "r1").unwrap();
        }
        assert!(records.is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&records).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "other users must not read the records");
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", records.display()));
        }
        let store = Store::open(&path).unwrap();
        let n: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM server_record", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "the cache starts again, empty");
        cache_a_record(store.conn(), "r1").unwrap();
    }

    #[test]
    fn a_new_database_does_not_take_over_records_left_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollbook.db");
        {
            let store = Store::open(&path).unwrap();
            cache_a_record(store.conn(), "of-another-database").unwrap();
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let store = Store::open(&path).unwrap();
        let n: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM server_record", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn reopening_applies_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        Store::open(&path).unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn newer_database_is_refused_with_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        {
            let store = Store::open(&path).unwrap();
            store
                .conn()
                .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        assert_eq!(err.code(), "database_too_new");
        assert!(err
            .to_string()
            .contains(&format!("schema version {}", SCHEMA_VERSION + 1)));
    }

    #[cfg(unix)]
    #[test]
    fn database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(&dir.path().join("data")).unwrap();
        let mode = std::fs::metadata(store.path().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "other users must not read attendance records"
        );
        let dmode = std::fs::metadata(dir.path().join("data"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dmode & 0o777, 0o700);
    }

    #[test]
    fn connections_opening_a_new_file_at_once_apply_each_migration_once() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("rollbook.db");
            let start = std::sync::Arc::new(std::sync::Barrier::new(4));
            let opened: Vec<_> = (0..4)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        Store::open(&path).map(|s| s.schema_version().unwrap())
                    })
                })
                .collect();
            for thread in opened {
                assert_eq!(thread.join().unwrap().unwrap(), SCHEMA_VERSION);
            }
        }
    }

    #[test]
    fn durable_pragmas_are_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.db")).unwrap();
        let sync: i64 = store
            .conn()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            sync, 2,
            "synchronous=FULL: a mark is on disk before the UI says saved"
        );
        let records: i64 = store
            .conn()
            .query_row("PRAGMA records.synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            records, 2,
            "a record this device's POST created is kept as surely"
        );
        let mode: String = store
            .conn()
            .query_row("PRAGMA records.journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = store
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }
}
