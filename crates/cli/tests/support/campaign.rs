//! What the crash campaign uses besides the binary and the sim: its seeded choices, and what it
//! reads back to check the invariants: a data directory's outbox and marks (read-only), and the
//! server's records by mark. Needs nothing else of `support`.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::Connection;

/// splitmix64: small, seeded, and the same on every platform.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

#[derive(Debug)]
pub struct Item {
    pub id: i64,
    pub offering: String,
    pub student: String,
    pub date: String,
    pub teacher_assignment: String,
    pub enrollment: String,
    pub status: String,
    pub state: String,
    pub last_error: Option<String>,
    pub server_id: Option<String>,
}

pub fn open_read_only(path: &Path) -> Connection {
    rollbook_core::store::Store::read_only(path)
        .expect("open db")
        .into_connection()
}

pub fn outbox(conn: &Connection) -> Vec<Item> {
    let mut stmt = conn
        .prepare(
            "SELECT id, offering_id, student_id, date, teacher_assignment_id, enrollment_id,
                    status, state, last_error, server_id FROM outbox ORDER BY id",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok(Item {
                id: r.get(0)?,
                offering: r.get(1)?,
                student: r.get(2)?,
                date: r.get(3)?,
                teacher_assignment: r.get(4)?,
                enrollment: r.get(5)?,
                status: r.get(6)?,
                state: r.get(7)?,
                last_error: r.get(8)?,
                server_id: r.get(9)?,
            })
        })
        .expect("query");
    rows.collect::<Result<_, _>>().expect("rows")
}

pub type Key = (String, String, String);

pub fn local_marks(conn: &Connection) -> BTreeMap<Key, String> {
    let mut stmt = conn
        .prepare("SELECT offering_id, student_id, date, status FROM mark")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
        .expect("query");
    rows.collect::<Result<_, _>>().expect("rows")
}

/// Two records in a row (by `recorded_at`) of one mark with the same status: the second
/// changed nothing, so Rollbook sent a change that was already there.
pub fn repeated_statuses(records: &[athena_sim::AttendanceRecord]) -> Vec<String> {
    let mut by_key: BTreeMap<Key, Vec<&athena_sim::AttendanceRecord>> = BTreeMap::new();
    for r in records {
        let key = (
            r.course_offering_id.to_string(),
            r.student_id.to_string(),
            r.attendance_date.to_string(),
        );
        by_key.entry(key).or_default().push(r);
    }
    let mut found = Vec::new();
    for (key, mut list) in by_key {
        list.sort_by_key(|r| r.recorded_at);
        for pair in list.windows(2) {
            if pair[0].status == pair[1].status {
                found.push(format!(
                    "{key:?}: {} then {} both {}",
                    pair[0].id,
                    pair[1].id,
                    pair[0].status.as_str()
                ));
            }
        }
    }
    found
}
