//! Issue 11's figure: the school view over 1,080,000 cached records, p50 ≤ 300 ms and
//! p95 ≤ 600 ms for a full-year range, ≤ 100 ms for the last 30 days.
//!
//! The cache: 200 offerings × 30 students × 180 school days; 1,000 students take 6 offerings
//! each (6,000 enrollments), every student with their own absence propensity so every tier
//! shows. The records are written through the pull's own path (`queue::upsert_records`) into a
//! real SQLite file, in the order a server records them (by date), and this device holds its
//! own marks of one offering (30 students × 180 days). Built once (a minute or so) and kept in
//! cargo's target tmp dir between runs.
//!
//! Run: `cargo bench -p rollbook-report --bench school` (`BENCH_RUNS=N` to change the 40 runs).

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use rollbook_core::store::Store;
use rollbook_core::sync::queue;
use rollbook_core::sync::record::{Attendance, ServerRecord};
use rollbook_core::{Day, Id, Status};
use rollbook_report::{school_view, SchoolQuery};

const OFFERINGS: u64 = 200;
const STUDENTS: u64 = 1_000;
const PER_STUDENT: u64 = 6;
const DAYS: usize = 180;
const TOTAL: i64 = (OFFERINGS * 30 * DAYS as u64) as i64;
/// Bump when the generated data changes, so a stale cached file is not reused.
const VERSION: u32 = 1;

fn uuid(kind: u32, n: u64) -> Id {
    Id::parse(&format!("00000000-0000-4000-{kind:04x}-{n:012}")).expect("an id")
}

fn school_days() -> Vec<Day> {
    let mut out = Vec::with_capacity(DAYS);
    let mut d = NaiveDate::from_ymd_opt(2024, 9, 2).expect("a date");
    while out.len() < DAYS {
        if d.weekday().num_days_from_monday() < 5 {
            out.push(Day::from_date(d));
        }
        d = d.succ_opt().expect("calendar");
    }
    out
}

fn mix(a: u64, b: u64) -> u64 {
    (a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b).wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 7
}

/// Student `n` misses about `n % 25` sessions in 100: from satisfactory to severe.
fn status(n: u64, x: u64) -> Status {
    let miss = n % 25;
    match x % 100 {
        v if v < miss => Status::Absent,
        v if v < miss + 2 => Status::Excused,
        v if v < miss + 6 => Status::Late,
        _ => Status::Present,
    }
}

fn build(path: &Path) -> rollbook_core::Result<()> {
    let store = Store::open(path)?;
    let conn = store.conn();
    conn.execute_batch("PRAGMA cache_size = -262144")?;
    let teacher = uuid(0x9003, 1);
    let school = uuid(0x9006, 1);
    conn.execute_batch("BEGIN")?;
    for k in 0..OFFERINGS {
        conn.execute(
            "INSERT INTO offering VALUES (?1, ?2, ?3)",
            (uuid(0x9002, k), format!("Course {k}"), &teacher),
        )?;
    }
    for n in 0..STUDENTS {
        conn.execute(
            "INSERT INTO student VALUES (?1, ?2)",
            (uuid(0x9001, n), format!("Student {n:04}")),
        )?;
        for s in 0..PER_STUDENT {
            let e = n * PER_STUDENT + s;
            conn.execute(
                "INSERT INTO enrollment VALUES (?1, ?2, ?3, 1)",
                (
                    uuid(0x9005, e),
                    uuid(0x9002, e % OFFERINGS),
                    uuid(0x9001, n),
                ),
            )?;
        }
    }
    conn.execute_batch("COMMIT")?;
    let now = chrono::Utc::now();
    let base = NaiveDate::from_ymd_opt(2024, 9, 2)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .expect("an instant")
        .and_utc();
    let mut batch: Vec<ServerRecord> = Vec::with_capacity(STUDENTS as usize * 6);
    let mut row = 0;
    for (i, day) in school_days().into_iter().enumerate() {
        for n in 0..STUDENTS {
            for s in 0..PER_STUDENT {
                row += 1;
                let e = n * PER_STUDENT + s;
                let at = base + Duration::from_secs(i as u64 * 86_400 + s * 3_300);
                let raw = rollbook_core::clock::rfc3339(at);
                let st = status(n, mix(n, i as u64 * 8 + s));
                batch.push(ServerRecord {
                    id: uuid(0x9004, row),
                    school_id: school.clone(),
                    fields: Attendance {
                        offering_id: uuid(0x9002, e % OFFERINGS),
                        teacher_assignment_id: teacher.clone(),
                        enrollment_id: uuid(0x9005, e),
                        student_id: uuid(0x9001, n),
                        date: day,
                        status: st,
                    },
                    recorded_at: at,
                    recorded_at_raw: raw,
                });
            }
        }
        queue::upsert_records(conn, &batch, now)?;
        // This device teaches offering 0: its own marks, as the server has them.
        conn.execute_batch("BEGIN")?;
        for r in batch
            .iter()
            .filter(|r| r.fields.offering_id == uuid(0x9002, 0))
        {
            conn.execute(
                "INSERT INTO mark VALUES (?1, ?2, ?3, ?4, ?5)",
                (
                    &r.fields.offering_id,
                    &r.fields.student_id,
                    r.fields.date,
                    r.fields.status,
                    &r.recorded_at_raw,
                ),
            )?;
        }
        conn.execute_batch("COMMIT")?;
        batch.clear();
    }
    Ok(())
}

/// The cached database, built if missing or incomplete.
fn cache() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("school-1m-v{VERSION}.db"));
    let complete = Store::open(&path)
        .and_then(|s| {
            Ok(s.conn()
                .query_row("SELECT count(*) FROM server_record", [], |r| {
                    r.get::<_, i64>(0)
                })?)
        })
        .is_ok_and(|n| n == TOTAL);
    if !complete {
        let tmp = dir.join(format!("school-1m-v{VERSION}.building.db"));
        for p in [&path, &tmp] {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
        }
        let started = Instant::now();
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn measure(label: &str, runs: usize, mut f: impl FnMut() -> usize) {
    let rows = f(); // warm the page cache and the statement cache
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: {rows} students, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({runs} runs)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(times[times.len() - 1]),
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("school view: bench");
        return;
    }
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let store = Store::open(&cache()).expect("opens the cache");
    let days = school_days();
    let (first, last) = (days[0], days[DAYS - 1]);
    let query = |from: Day, tiers| SchoolQuery {
        from,
        to: last,
        tiers,
        offering: None,
        search: None,
    };
    let year = query(first, Vec::new());
    let view = school_view(&store, &year).expect("the school view");
    assert_eq!(view.total, STUDENTS as usize, "every student with records");
    let sessions: u32 = view.students.iter().map(|r| r.report.sessions.total).sum();
    assert_eq!(i64::from(sessions), TOTAL, "every record counted once");
    measure(
        "full year (180 school days, 1,080,000 records)",
        runs,
        || school_view(&store, &year).expect("view").students.len(),
    );
    let month = query(
        Day::from_date(last.date() - chrono::TimeDelta::days(29)),
        Vec::new(),
    );
    measure("last 30 days", runs, || {
        school_view(&store, &month).expect("view").students.len()
    });
    let chronic = query(
        first,
        vec![
            rollbook_report::Tier::ModerateChronic,
            rollbook_report::Tier::SevereChronic,
        ],
    );
    measure("full year, chronic tiers only", runs, || {
        school_view(&store, &chronic).expect("view").students.len()
    });
}
