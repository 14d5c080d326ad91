//! Upgrading a database an older Rollbook left: for every earlier schema version the file is
//! made by the migrations themselves (`Store::create_at_version`, so fixtures never go stale),
//! filled with what that version stores, then opened as the app opens it. Every row must be
//! intact, the schema must be exactly a fresh database's, and the app's reads and writes must
//! work on it. A database from a newer Rollbook is refused and left as it was.
//!
//! A new migration adds rows for its new tables to [`FIXTURE`], tagged with its version.

use std::collections::BTreeMap;
use std::path::Path;

use rollbook_core::marks::{self, Origin};
use rollbook_core::outbox::{self, outbox_counts, OutboxCounts};
use rollbook_core::store::{Store, SCHEMA_VERSION};
use rollbook_core::sync::effective;
use rollbook_core::{lookup, retention, roll, sync, Status};

use crate::common::*;

const SCHOOL: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const SRV_1: &str = "e5f6a7b8-c9d0-4e1f-b2c3-000000000001";
const SRV_2: &str = "e5f6a7b8-c9d0-4e1f-b2c3-000000000002";
const SRV_3: &str = "e5f6a7b8-c9d0-4e1f-b2c3-000000000003";

/// What a database holds, by the schema version whose migration made the table: plain SQL
/// valid at that version. `{NAME}` stands for the constant of that name in `common`.
const FIXTURE: &[(i64, &str)] = &[
    (
        1,
        "INSERT INTO offering (id, name, teacher_assignment_id) VALUES
             ('{MATH}', 'Matemáticas 7A', '{TEACHER}'),
             ('{SCIENCE}', 'Ciencias 7A', '{TEACHER2}');
         -- Carla came with a pulled record: her name is not known yet.
         INSERT INTO student (id, full_name) VALUES
             ('{JOSE}', 'Muñoz, José'), ('{ANA}', 'Ana Álvarez'), ('{BRUNO}', 'bruno Díaz'),
             ('{CARLA}', '');
         -- Bruno left MATH at the last roster import.
         INSERT INTO enrollment (id, offering_id, student_id, active) VALUES
             ('{E_JOSE_MATH}', '{MATH}', '{JOSE}', 1),
             ('{E_ANA_MATH}', '{MATH}', '{ANA}', 1),
             ('{E_BRUNO_MATH}', '{MATH}', '{BRUNO}', 0),
             ('{E_JOSE_SCIENCE}', '{SCIENCE}', '{JOSE}', 1);
         INSERT INTO mark (offering_id, student_id, date, status, changed_at) VALUES
             ('{MATH}', '{JOSE}', '2024-03-14', 'excused', '2024-03-14T08:39:00Z'),
             ('{MATH}', '{JOSE}', '2024-03-15', 'present', '2024-03-15T08:01:00Z'),
             ('{MATH}', '{ANA}', '2024-03-15', 'present', '2024-03-15T08:02:00Z'),
             ('{MATH}', '{BRUNO}', '2024-03-15', 'late', '2024-03-15T08:03:00Z'),
             ('{SCIENCE}', '{JOSE}', '2024-03-15', 'absent', '2024-03-15T08:04:00Z');
         -- An item in every state: delivered and corrected (two synced), sending, pending with
         -- a backoff, refused, unknown, and undone before sending (cancelled).
         INSERT INTO outbox (id, offering_id, student_id, date, teacher_assignment_id,
                 enrollment_id, status, state, created_at, updated_at, attempts,
                 next_attempt_at, last_error, sent_at, resend_requested, server_id,
                 server_recorded_at) VALUES
             (1, '{MATH}', '{JOSE}', '2024-03-14', '{TEACHER}', '{E_JOSE_MATH}', 'absent',
              'synced', '2024-03-14T08:30:00Z', '2024-03-14T08:31:00Z', 1, NULL, NULL,
              '2024-03-14T08:31:00Z', 0, '{SRV_1}', '2024-03-14T08:31:00Z'),
             (2, '{MATH}', '{JOSE}', '2024-03-14', '{TEACHER}', '{E_JOSE_MATH}', 'excused',
              'synced', '2024-03-14T08:39:00Z', '2024-03-14T08:40:00Z', 2, NULL, NULL,
              '2024-03-14T08:40:00Z', 1, '{SRV_2}', '2024-03-14T08:40:00Z'),
             (3, '{MATH}', '{JOSE}', '2024-03-15', '{TEACHER}', '{E_JOSE_MATH}', 'present',
              'sending', '2024-03-15T08:01:00Z', '2024-03-15T08:01:30Z', 1, NULL, NULL,
              '2024-03-15T08:01:30Z', 0, NULL, NULL),
             (4, '{MATH}', '{ANA}', '2024-03-15', '{TEACHER}', '{E_ANA_MATH}', 'present',
              'pending', '2024-03-15T08:02:00Z', '2024-03-15T08:02:10Z', 1,
              '2024-03-15T08:05:00Z', 'the server answered 503', '2024-03-15T08:02:05Z', 0,
              NULL, NULL),
             (5, '{MATH}', '{BRUNO}', '2024-03-15', '{TEACHER}', '{E_BRUNO_MATH}', 'late',
              'rejected', '2024-03-15T08:03:00Z', '2024-03-15T08:03:05Z', 1, NULL,
              'the enrollment is not active', '2024-03-15T08:03:04Z', 0, NULL, NULL),
             (6, '{SCIENCE}', '{JOSE}', '2024-03-15', '{TEACHER2}', '{E_JOSE_SCIENCE}', 'absent',
              'unknown', '2024-03-15T08:04:00Z', '2024-03-15T08:04:40Z', 1, NULL,
              'the connection dropped', '2024-03-15T08:04:10Z', 0, NULL, NULL),
             (7, '{SCIENCE}', '{JOSE}', '2024-03-14', '{TEACHER2}', '{E_JOSE_SCIENCE}', 'late',
              'cancelled', '2024-03-14T09:00:00Z', '2024-03-14T09:01:00Z', 0, NULL, NULL, NULL,
              0, NULL, NULL);
         INSERT INTO mark_change (id, offering_id, student_id, date, old_status, new_status,
                 actor, origin, changed_at, action, undone, outbox_id) VALUES
             (1, '{MATH}', '{JOSE}', '2024-03-14', NULL, 'absent', 'app:ana', 'grid',
              '2024-03-14T08:30:00Z', 1, 0, 1),
             (2, '{MATH}', '{JOSE}', '2024-03-14', 'absent', 'excused', 'cli:office', 'cli',
              '2024-03-14T08:39:00Z', 2, 0, 2),
             (3, '{SCIENCE}', '{JOSE}', '2024-03-14', NULL, 'late', 'app:ana', 'grid',
              '2024-03-14T09:00:00Z', 3, 1, 7),
             (4, '{SCIENCE}', '{JOSE}', '2024-03-14', 'late', NULL, 'app:ana', 'undo',
              '2024-03-14T09:01:00Z', 4, 0, NULL),
             (5, '{MATH}', '{JOSE}', '2024-03-15', NULL, 'present', 'app:ana', 'bulk',
              '2024-03-15T08:01:00Z', 5, 0, 3),
             (6, '{MATH}', '{ANA}', '2024-03-15', NULL, 'present', 'app:ana', 'bulk',
              '2024-03-15T08:01:00Z', 5, 0, 4),
             (7, '{MATH}', '{BRUNO}', '2024-03-15', NULL, 'late', 'checkin', 'import',
              '2024-03-15T08:03:00Z', 7, 0, 5),
             (8, '{SCIENCE}', '{JOSE}', '2024-03-15', NULL, 'absent', 'app:ana', 'grid',
              '2024-03-15T08:04:00Z', 8, 0, 6);
         -- The two records José's items became, and one from another device.
         INSERT INTO server_record (id, school_id, offering_id, teacher_assignment_id,
                 enrollment_id, student_id, date, status, recorded_at, recorded_at_us,
                 fetched_at) VALUES
             ('{SRV_1}', '{SCHOOL}', '{MATH}', '{TEACHER}', '{E_JOSE_MATH}', '{JOSE}',
              '2024-03-14', 'absent', '2024-03-14T08:31:00Z', 1710405060000000,
              '2024-03-14T08:31:00Z'),
             ('{SRV_2}', '{SCHOOL}', '{MATH}', '{TEACHER}', '{E_JOSE_MATH}', '{JOSE}',
              '2024-03-14', 'excused', '2024-03-14T08:40:00Z', 1710405600000000,
              '2024-03-14T08:40:00Z'),
             ('{SRV_3}', NULL, '{MATH}', '{TEACHER}', '{E_CARLA_MATH}', '{CARLA}',
              '2024-03-13', 'present', '2024-03-13T10:00:00.123456Z', 1710324000123456,
              '2024-03-14T07:00:00Z');
         INSERT INTO setting (key, value) VALUES
             ('api_url', 'http://127.0.0.1:8787'),
             ('school_id', '{SCHOOL}'),
             ('sync.last_success_at', '2024-03-15T08:00:00Z');",
    ),
    (
        2,
        "INSERT INTO purge_log (id, ran_at, cutoff, keep_days, marks, changes, outbox_items,
                 server_records, kept_unconfirmed) VALUES
             (1, '2024-03-01T07:00:00Z', '2023-09-03', 180, 0, 0, 0, 0, 0);
         INSERT INTO setting (key, value) VALUES ('retention_keep_days', '180');",
    ),
    (
        3,
        "INSERT INTO meeting_day (offering_id, weekday) VALUES
             ('{SCIENCE}', 2), ('{SCIENCE}', 4);
         INSERT INTO non_school_day (date) VALUES ('2024-03-29'), ('2024-04-01');
         INSERT INTO mark_seen (offering_id, date, student_id, seen_recorded_at_us) VALUES
             ('{MATH}', '2024-03-14', '{JOSE}', 1710405600000000);",
    ),
];

/// The fixture's SQL for a database at `version`, with the ids filled in.
fn fixture_sql(version: i64) -> String {
    let names = [
        ("MATH", MATH),
        ("SCIENCE", SCIENCE),
        ("TEACHER2", TEACHER2),
        ("TEACHER", TEACHER),
        ("JOSE", JOSE),
        ("ANA", ANA),
        ("BRUNO", BRUNO),
        ("CARLA", CARLA),
        ("E_JOSE_MATH", E_JOSE_MATH),
        ("E_ANA_MATH", E_ANA_MATH),
        ("E_BRUNO_MATH", E_BRUNO_MATH),
        ("E_JOSE_SCIENCE", E_JOSE_SCIENCE),
        ("E_CARLA_MATH", E_CARLA_MATH),
        ("SCHOOL", SCHOOL),
        ("SRV_1", SRV_1),
        ("SRV_2", SRV_2),
        ("SRV_3", SRV_3),
    ];
    let mut sql: String = FIXTURE
        .iter()
        .filter(|(since, _)| *since <= version)
        .map(|(_, sql)| format!("{sql}\n"))
        .collect();
    for (name, value) in names {
        sql = sql.replace(&format!("{{{name}}}"), value);
    }
    assert!(!sql.contains('{'), "every placeholder is filled: {sql}");
    sql
}

/// Every table's columns and rows (as text, in a stable order).
type Contents = BTreeMap<String, (Vec<String>, Vec<Vec<String>>)>;

fn contents(store: &Store) -> Contents {
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare(
            // The database file's tables and the records file's (from schema 7 the cached
            // records are there; a name is in one file or the other).
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             UNION
             SELECT name FROM records.sqlite_master WHERE type = 'table'
             ORDER BY name",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("list tables");
    tables
        .into_iter()
        .map(|table| {
            let columns: Vec<String> = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
                ))
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .expect("columns");
            let rows = rows_of(store, &table, &columns);
            (table, (columns, rows))
        })
        .collect()
}

/// The rows of `columns` of `table`, sorted.
fn rows_of(store: &Store, table: &str, columns: &[String]) -> Vec<Vec<String>> {
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = store
        .conn()
        .prepare(&format!("SELECT {list} FROM \"{table}\" ORDER BY {list}"))
        .expect("select");
    let rows = stmt
        .query_map([], |r| {
            (0..columns.len())
                .map(|i| r.get_ref(i).map(|v| format!("{v:?}")))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .expect("rows")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows");
    rows
}

/// The schema as SQLite keeps it: every table and index of each file with the SQL that made
/// it.
fn schema(store: &Store) -> Vec<(String, String, String, Option<String>)> {
    store
        .conn()
        .prepare(
            "SELECT 'main', type, name, sql FROM main.sqlite_master
             UNION ALL
             SELECT 'records', type, name, sql FROM records.sqlite_master
             ORDER BY 1, 2, 3",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect()
        })
        .expect("schema")
}

fn open_at(path: &Path, version: i64) -> Store {
    let store = Store::create_at_version(path, version).expect("an older database");
    assert_eq!(store.schema_version().unwrap(), version);
    store
        .conn()
        .execute_batch(&fixture_sql(version))
        .unwrap_or_else(|e| panic!("the fixture is valid SQL at version {version}: {e}"));
    store
}

#[test]
fn every_earlier_version_upgrades_with_every_row_intact() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = Store::open(&dir.path().join("fresh.db")).unwrap();
    // The current version too: reopening a current database must change nothing either, and
    // it checks the fixture of the newest tables.
    for version in 0..=SCHEMA_VERSION {
        let path = dir.path().join(format!("v{version}.db"));
        let before = contents(&open_at(&path, version));
        let store = Store::open(&path)
            .unwrap_or_else(|e| panic!("a version {version} database opens: {e}"));
        assert_eq!(
            store.schema_version().unwrap(),
            SCHEMA_VERSION,
            "from version {version}"
        );
        assert_eq!(
            schema(&store),
            schema(&fresh),
            "from version {version}: the upgraded schema is exactly a fresh database's"
        );
        for (table, (columns, rows)) in &before {
            assert_eq!(
                &rows_of(&store, table, columns),
                rows,
                "from version {version}: every row of {table} is kept as it was"
            );
        }
        let after = contents(&store);
        for (table, (_, rows)) in &after {
            if !before.contains_key(table) {
                assert!(
                    rows.is_empty(),
                    "from version {version}: {table} starts empty"
                );
            }
        }
        if version >= 1 {
            the_apps_reads_and_writes_work(store, version);
        } else {
            assert_eq!(outbox_counts(&store).unwrap(), OutboxCounts::default());
            assert!(roll::today(&store, today()).unwrap().is_empty());
        }
    }
}

/// What the windows and the CLI read from the fixture, and a mark and a purge on top.
fn the_apps_reads_and_writes_work(mut store: Store, version: i64) {
    let why = format!("after upgrading from version {version}");
    let history = marks::history(&store, &id(MATH), &id(JOSE), day("2024-03-14")).unwrap();
    let steps: Vec<_> = history
        .iter()
        .map(|c| {
            (
                c.new_status,
                c.outbox_state.as_deref(),
                c.server_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (Some(Status::Absent), Some("synced"), Some(SRV_1)),
            (Some(Status::Excused), Some("synced"), Some(SRV_2)),
        ],
        "{why}: a mark's history and how far it got"
    );
    let counts = marks::counts(&store, &id(MATH), today()).unwrap();
    assert_eq!(
        (counts.present, counts.late, counts.unmarked),
        (2, 0, 0),
        "{why}: Bruno left MATH, so his mark is not counted"
    );
    assert_eq!(
        outbox_counts(&store).unwrap(),
        OutboxCounts {
            pending: 1,
            sending: 1,
            synced: 2,
            unknown: 1,
            rejected: 1,
            cancelled: 1
        },
        "{why}"
    );
    let status = sync::load_status(&store, utc("2024-03-15T09:00:00Z")).unwrap();
    assert_eq!(
        status.last_success_at.as_deref(),
        Some("2024-03-15T08:00:00Z"),
        "{why}"
    );
    let rejected = outbox::rejected_items(&store).unwrap();
    assert_eq!(rejected.len(), 1, "{why}");
    assert_eq!(rejected[0].reason, "the enrollment is not active");
    let math = roll::today(&store, today()).unwrap();
    assert_eq!(
        math.iter().map(|o| o.unsent).sum::<u32>(),
        4,
        "{why}: José twice, Ana, Bruno"
    );
    let carla =
        effective::for_student(&store, &id(CARLA), day("2024-03-01"), day("2024-03-31")).unwrap();
    assert_eq!(
        carla.len(),
        1,
        "{why}: a pulled record is an effective mark"
    );
    assert_eq!(
        lookup::students(&store).unwrap().len(),
        3,
        "{why}: the students with a name (Carla's is not known yet)"
    );
    let kept = retention::retention(&store).unwrap();
    assert_eq!(
        kept.keep_days,
        (version >= 2).then_some(180),
        "{why}: the retention setting is read back"
    );

    // Writing on top: the next mark and history ids follow the old ones.
    let outcome = marks::record_mark(
        &mut store,
        &clock(),
        any_date(),
        "app:ana",
        Origin::Grid,
        &id(MATH),
        &id(ANA),
        day("2024-03-18"),
        Status::Late,
    )
    .unwrap_or_else(|e| panic!("{why}: a mark is recorded: {e}"));
    assert_eq!(outcome.outbox_id, Some(8), "{why}");
    // Keeping one day on 03-17: everything before 03-16 that the server confirmed goes.
    let purged = retention::purge(
        &mut store,
        1,
        day("2024-03-17"),
        utc("2024-03-17T07:00:00Z"),
    )
    .unwrap_or_else(|e| panic!("{why}: a purge runs: {e}"));
    assert_eq!(
        (
            purged.marks,
            purged.changes,
            purged.outbox_items,
            purged.server_records
        ),
        (1, 4, 3, 3),
        "{why}: José's delivered MATH mark of 03-14, the undone SCIENCE one and Carla's record"
    );
    assert_eq!(
        purged.kept_unconfirmed, 4,
        "{why}: the four unconfirmed marks of 03-15"
    );
    assert_eq!(
        outbox_counts(&store).unwrap(),
        OutboxCounts {
            pending: 2,
            sending: 1,
            unknown: 1,
            rejected: 1,
            ..OutboxCounts::default()
        },
        "{why}: nothing unconfirmed is removed"
    );
}

/// Every file in `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_newer_database_is_refused_and_left_as_it_was() {
    // Written by a newer Rollbook (write-ahead logging, as this one writes), and by another
    // program that uses a rollback journal: switching that one to WAL would rewrite its header.
    for wal in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollbook.db");
        {
            let conn = if wal {
                drop(open_at(&path, SCHEMA_VERSION));
                rusqlite::Connection::open(&path).unwrap()
            } else {
                let conn = rusqlite::Connection::open(&path).unwrap();
                conn.execute_batch(
                    "CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('y');",
                )
                .unwrap();
                conn
            };
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let before = files(dir.path());
        let err = Store::open(&path).expect_err("a newer database is refused");
        assert_eq!(err.code(), "database_too_new");
        let message = err.to_string();
        for part in [
            path.display().to_string(),
            format!("schema version {}", SCHEMA_VERSION + 1),
            format!("({SCHEMA_VERSION})"),
            "upgrade Rollbook".to_string(),
        ] {
            assert!(
                message.contains(&part),
                "the message says {part:?}: {message}"
            );
        }
        assert_eq!(
            files(dir.path()),
            before,
            "(wal: {wal}) the newer Rollbook's data is not touched, not even its header"
        );
    }
}
