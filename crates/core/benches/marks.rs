//! Roll-call latency on a real database file (WAL, `synchronous=FULL`): recording one mark
//! (validate + mark + history + outbox + commit) and "mark the rest present" for 40 students.
//! Targets: one mark p99 ≤ 1 ms; the 40-student bulk ≤ 5 ms.
//!
//! `cargo bench -p rollbook-core --bench marks` runs criterion (medians) and then records
//! every single call of a fixed run to print p50/p95/p99.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use rollbook_core::clock::SystemClock;
use rollbook_core::marks::{self, Origin};
use rollbook_core::roster::import_roster_csv;
use rollbook_core::store::Store;
use rollbook_core::{Day, Id, Status};

const OFFERING: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const TEACHER: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
const STUDENTS: usize = 40;

fn student(i: usize) -> String {
    format!("d4e5f6a7-b8c9-4d0e-a1b2-{i:012x}")
}

/// A fresh database file with one offering of 40 students.
fn class(dir: &std::path::Path) -> Store {
    let mut csv = String::from(
        "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,\
         student_name\n",
    );
    for i in 0..STUDENTS {
        csv.push_str(&format!(
            "{OFFERING},Matemáticas 7A,{TEACHER},c3d4e5f6-a7b8-4c9d-0e1f-{i:012x},{},Student {i}\n",
            student(i)
        ));
    }
    let mut store = Store::open(&dir.join("bench.db")).expect("open database file");
    import_roster_csv(&mut store, csv.as_bytes(), "bench.csv").expect("roster");
    store
}

fn ids() -> (Id, Id) {
    (
        Id::parse(OFFERING).expect("id"),
        Id::parse(&student(7)).expect("id"),
    )
}

/// Each call flips the status so every call writes (a no-op would measure nothing).
fn flip(i: u64) -> Status {
    if i.is_multiple_of(2) {
        Status::Absent
    } else {
        Status::Present
    }
}

/// The benches mark a run of dates whatever today is: every date is allowed.
fn any_date() -> marks::DateWindow {
    marks::DateWindow::new(Day::parse("2024-03-15").expect("date")).allow_outside(true)
}

fn day_after(start: Day, n: i64) -> Day {
    Day::from_date(start.date() + chrono::TimeDelta::days(n))
}

fn bench_one_mark(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = class(dir.path());
    let (offering, student) = ids();
    let date = Day::parse("2024-03-15").expect("date");
    let mut i = 0u64;
    c.bench_function("record_mark (file, synchronous=FULL)", |b| {
        b.iter(|| {
            i += 1;
            marks::record_mark(
                &mut store,
                &SystemClock,
                any_date(),
                "bench",
                Origin::Grid,
                &offering,
                &student,
                date,
                flip(i),
            )
            .expect("mark")
        })
    });
}

fn bench_rest_present(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = class(dir.path());
    let (offering, _) = ids();
    let start = Day::parse("2024-01-01").expect("date");
    let mut n = 0i64;
    c.bench_function(
        "mark_rest_present 40 students (file, synchronous=FULL)",
        |b| {
            b.iter_batched(
                || {
                    n += 1;
                    day_after(start, n)
                },
                |date| {
                    let marked = marks::mark_rest_present(
                        &mut store,
                        &SystemClock,
                        any_date(),
                        "bench",
                        &offering,
                        date,
                    )
                    .expect("bulk");
                    assert_eq!(marked.marked, STUDENTS as u32);
                },
                BatchSize::SmallInput,
            )
        },
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(at).copied().unwrap_or_default()
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{name}: n={} p50={:.0}µs p95={:.0}µs p99={:.0}µs max={:.0}µs",
        samples.len(),
        us(percentile(&samples, 0.50)),
        us(percentile(&samples, 0.95)),
        us(percentile(&samples, 0.99)),
        us(samples.last().copied().unwrap_or_default()),
    );
}

/// Every call of a fixed run timed on its own, for the percentiles criterion does not give.
/// `synchronous` is FULL as shipped; OFF shows the CPU part alone (no fsync).
fn percentiles(synchronous: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = class(dir.path());
    store
        .conn()
        .execute_batch(&format!("PRAGMA synchronous = {synchronous}"))
        .expect("pragma");
    let (offering, _) = ids();
    let date = Day::parse("2024-03-15").expect("date");
    let mut samples = Vec::with_capacity(2000);
    for i in 0..2000u64 {
        // Spread over the class so rewrites of pending items and fresh items both occur.
        let student = Id::parse(&student(i as usize % STUDENTS)).expect("id");
        let status = flip(i / STUDENTS as u64);
        let t = Instant::now();
        marks::record_mark(
            &mut store,
            &SystemClock,
            any_date(),
            "bench",
            Origin::Grid,
            &offering,
            &student,
            date,
            status,
        )
        .expect("mark");
        samples.push(t.elapsed());
    }
    report(
        &format!("record_mark, 2000 single calls, synchronous={synchronous}"),
        samples,
    );

    let start = Day::parse("2025-01-01").expect("date");
    let mut samples = Vec::with_capacity(300);
    for n in 0..300 {
        let date = day_after(start, n);
        let t = Instant::now();
        marks::mark_rest_present(
            &mut store,
            &SystemClock,
            any_date(),
            "bench",
            &offering,
            date,
        )
        .expect("bulk");
        samples.push(t.elapsed());
    }
    report(
        &format!("mark_rest_present 40 students, 300 calls, synchronous={synchronous}"),
        samples,
    );
}

fn main() {
    // ROLLBOOK_BENCH_PERCENTILES_ONLY=1 skips criterion (a quick look at the tail).
    let quick = std::env::var_os("ROLLBOOK_BENCH_PERCENTILES_ONLY").is_some();
    if !quick {
        let mut c = Criterion::default().configure_from_args();
        bench_one_mark(&mut c);
        bench_rest_present(&mut c);
        c.final_summary();
    }
    // Only when benchmarking: `cargo test --benches` runs this binary in test mode.
    if quick || std::env::args().any(|a| a == "--bench") {
        percentiles("FULL");
        percentiles("OFF");
    }
}
