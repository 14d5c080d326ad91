//! The database read beside the binary.

use std::collections::BTreeMap;
use std::path::Path;

/// Every row of every table, by table name.
pub type Snapshot = BTreeMap<String, Vec<Vec<String>>>;

/// Every row of every table, as text: what "the database is unchanged" compares.
pub fn snapshot(db: &Path) -> Snapshot {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the database opens read-only");
    // The cached server records are in the records file beside it.
    let records = rollbook_core::store::records_path(db);
    conn.execute("ATTACH DATABASE ?1 AS records", [records.to_string_lossy()])
        .unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT 'main.\"' || name || '\"' FROM main.sqlite_master WHERE type = 'table'
             UNION ALL
             SELECT 'records.\"' || name || '\"' FROM records.sqlite_master WHERE type = 'table'
             ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|table| {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
                .unwrap();
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |row| {
                    (0..columns)
                        .map(|i| row.get_ref(i).map(|v| format!("{v:?}")))
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (table, rows)
        })
        .collect()
}
