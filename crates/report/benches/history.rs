//! Issue 5's figure: one student's history from a cache of 1,000,000 server records ≤ 5 ms,
//! served by the index `server_record_by_student_day` (its first two columns; the query plan is asserted in
//! rollbook-core's `sync::effective` tests).
//!
//! The cache: 2,000 students in 80 groups, 5 offerings per group, 98 school days, each student
//! 490 records + 10 corrections = 500, inserted in the order a server records them (by date),
//! so one student's rows are spread over the whole table. One teacher's device also holds its
//! own marks (5 offerings × 25 students × 98 days). The file is built once (some seconds) and
//! kept in cargo's target tmp dir between runs.
//!
//! Run: `cargo bench -p rollbook-report --bench history`.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use rollbook_core::store::Store;
use rollbook_core::{Day, Id};
use rollbook_report::{student_records, student_view, Lang, Theme};

const STUDENTS: u32 = 2_000;
const GROUP: u32 = 25;
const SUBJECTS: u32 = 5;
const DAYS: usize = 98;
const CORRECTIONS: u32 = 10;
const TOTAL: i64 = (STUDENTS * (SUBJECTS * DAYS as u32 + CORRECTIONS)) as i64;
/// Bump when the generated data changes, so a stale cached file is not reused.
const VERSION: u32 = 1;

fn uuid(kind: u32, n: u64) -> String {
    format!("00000000-0000-4000-{kind:04x}-{n:012}")
}

fn student(n: u32) -> String {
    uuid(0x8001, u64::from(n))
}

fn offering(group: u32, subject: u32) -> String {
    uuid(0x8002, u64::from(group * SUBJECTS + subject))
}

fn school_days() -> Vec<String> {
    let mut out = Vec::with_capacity(DAYS);
    let mut d = NaiveDate::from_ymd_opt(2024, 9, 2).expect("a date");
    while out.len() < DAYS {
        if d.weekday().num_days_from_monday() < 5 {
            out.push(Day::from_date(d).to_string());
        }
        d = d.succ_opt().expect("calendar");
    }
    out
}

/// A deterministic mix: mostly present, some absent, late, excused.
fn status(x: u64) -> &'static str {
    match x % 50 {
        0..=2 => "absent",
        3 => "excused",
        4..=5 => "late",
        _ => "present",
    }
}

fn mix(a: u64, b: u64) -> u64 {
    (a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b).wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 7
}

fn build(path: &Path) -> rollbook_core::Result<()> {
    let store = Store::open(path)?;
    let conn = store.conn();
    conn.execute_batch("PRAGMA cache_size = -262144; BEGIN")?;
    let teacher = uuid(0x8003, 1);
    for g in 0..STUDENTS / GROUP {
        for s in 0..SUBJECTS {
            conn.execute(
                "INSERT INTO offering VALUES (?1, ?2, ?3)",
                (offering(g, s), format!("Subject {s} group {g}"), &teacher),
            )?;
        }
    }
    for n in 0..STUDENTS {
        conn.execute(
            "INSERT INTO student VALUES (?1, ?2)",
            (student(n), format!("Student {n}")),
        )?;
    }
    let days = school_days();
    let mut insert = conn.prepare(
        "INSERT INTO server_record VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut mark = conn.prepare("INSERT INTO mark VALUES (?1, ?2, ?3, ?4, ?5)")?;
    let mut row: u64 = 0;
    let base_us: i64 = 1_725_278_400_000_000; // 2024-09-02T12:00:00Z
    for (i, day) in days.iter().enumerate() {
        for n in 0..STUDENTS {
            for s in 0..SUBJECTS {
                row += 1;
                let o = offering(n / GROUP, s);
                let st = status(mix(u64::from(n), (i as u64) * 8 + u64::from(s)));
                let us = base_us + (i as i64) * 86_400_000_000 + i64::from(s) * 3_300_000_000;
                let at = rfc3339(us);
                insert.execute((
                    uuid(0x8004, row),
                    &o,
                    &teacher,
                    uuid(0x8005, u64::from(n * SUBJECTS + s)),
                    student(n),
                    day,
                    st,
                    &at,
                    us,
                    &at,
                ))?;
                // The first 10 school days, one subject a day: a correction an hour later.
                if i < CORRECTIONS as usize && s == (n + i as u32) % SUBJECTS {
                    row += 1;
                    let later = us + 3_600_000_000;
                    let at = rfc3339(later);
                    insert.execute((
                        uuid(0x8004, row),
                        &o,
                        &teacher,
                        uuid(0x8005, u64::from(n * SUBJECTS + s)),
                        student(n),
                        day,
                        "excused",
                        &at,
                        later,
                        &at,
                    ))?;
                }
                // This device teaches group 0.
                if n < GROUP {
                    mark.execute((&o, student(n), day, st, &at))?;
                }
            }
        }
    }
    drop(insert);
    drop(mark);
    conn.execute_batch("COMMIT")?;
    Ok(())
}

fn rfc3339(us: i64) -> String {
    let t = chrono::DateTime::from_timestamp_micros(us).expect("in range");
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The cached database, built if missing or incomplete.
fn cache() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("history-1m-v{VERSION}.db"));
    let complete = Store::open(&path)
        .and_then(|s| {
            Ok(s.conn()
                .query_row("SELECT count(*) FROM server_record", [], |r| {
                    r.get::<_, i64>(0)
                })?)
        })
        .is_ok_and(|n| n == TOTAL);
    if !complete {
        let tmp = dir.join(format!("history-1m-v{VERSION}.building.db"));
        for p in [&path, &tmp] {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
        }
        let started = std::time::Instant::now();
        build(&tmp).expect("builds the cache");
        std::fs::rename(&tmp, &path).expect("moves the cache in place");
        eprintln!(
            "built {} ({TOTAL} server records) in {:.1} s",
            path.display(),
            started.elapsed().as_secs_f64()
        );
    }
    path
}

fn benches(c: &mut Criterion) {
    let store = Store::open(&cache()).expect("opens the cache");
    let one = Id::parse(&student(7)).expect("id");
    let (from, to) = (Day::parse("2024-09-01").ok(), Day::parse("2025-06-30").ok());
    let records = student_records(&store, &one, from, to).expect("history");
    assert_eq!(
        records.len(),
        (SUBJECTS as usize) * DAYS,
        "one effective record per session: corrections count once"
    );
    c.bench_function("one student's year from 1,000,000 cached records", |b| {
        b.iter(|| student_records(&store, black_box(&one), from, to).expect("history"))
    });
    c.bench_function("one student's every record held (no range)", |b| {
        b.iter(|| student_records(&store, black_box(&one), None, None).expect("history"))
    });
    let far = Id::parse(&student(STUDENTS - 1)).expect("id");
    c.bench_function("another student's year (no local marks)", |b| {
        b.iter(|| student_records(&store, black_box(&far), from, to).expect("history"))
    });
    c.bench_function("the counselor screen: year + measures + 5 charts", |b| {
        b.iter(|| {
            student_view(&store, black_box(&one), from, to, Theme::Light, Lang::En).expect("view")
        })
    });
}

criterion_group!(history, benches);
criterion_main!(history);
