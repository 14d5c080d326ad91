//! Issue 5's figures: one student's full-year report with all charts (≈1,000 records over 5
//! courses and 200 school days) ≤ 5 ms; a 40-student class overview (≈8,000 records) with its
//! charts ≤ 20 ms. Run: `cargo bench -p rollbook-report`.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;

use chrono::Datelike;
use criterion::{criterion_group, criterion_main, Criterion};
use rollbook_core::calendar::Calendar;
use rollbook_core::{Day, Id, Status};
use rollbook_report::{
    class_charts, class_overview, student_charts, student_report, Lang, SessionRecord, Theme,
};

fn id(n: u32) -> Id {
    Id::parse(&format!("00000000-0000-4000-8000-{n:012}")).expect("bench id")
}

/// `students` students × `courses` courses × 200 school days from 2024-09-02.
fn year(students: u32, courses: u32) -> Vec<SessionRecord> {
    let mut out = Vec::new();
    let mut d = Day::parse("2024-09-02").expect("date").date();
    let mut i = 0u32;
    while i < 200 {
        if d.weekday().num_days_from_monday() < 5 {
            for s in 1..=students {
                for c in 1..=courses {
                    let status = match (i * 7 + s * 13 + c * 3) % 41 {
                        0..=1 => Status::Absent,
                        2 => Status::Excused,
                        3..=4 => Status::Late,
                        _ => Status::Present,
                    };
                    out.push(SessionRecord {
                        offering_id: id(1000 + c),
                        offering_name: Some(format!("Course {c}")),
                        student_id: id(s),
                        date: Day::from_date(d),
                        status,
                    });
                }
            }
            i += 1;
        }
        d = d.succ_opt().expect("calendar");
    }
    out
}

fn benches(c: &mut Criterion) {
    let student = year(1, 5);
    assert_eq!(student.len(), 1000);
    c.bench_function("student year: report + 5 charts (1,000 records)", |b| {
        b.iter(|| {
            let report = student_report(&id(1), black_box(&student), None, None);
            student_charts(
                &report,
                &student,
                &Calendar::default(),
                Theme::Light,
                Lang::En,
            )
            .expect("draws")
        })
    });

    c.bench_function("student year: report only", |b| {
        b.iter(|| student_report(&id(1), black_box(&student), None, None))
    });

    let class = year(40, 1);
    assert_eq!(class.len(), 8000);
    let names: HashMap<Id, String> = (1..=40).map(|s| (id(s), format!("Student {s}"))).collect();
    c.bench_function(
        "class overview + 2 charts (40 students, 8,000 records)",
        |b| {
            b.iter(|| {
                let overview = class_overview(&id(1001), black_box(&class), &names);
                class_charts(&overview, Theme::Light, Lang::En, 10).expect("draws")
            })
        },
    );
    c.bench_function("class overview only (40 students)", |b| {
        b.iter(|| class_overview(&id(1001), black_box(&class), &names))
    });
}

criterion_group!(report, benches);
criterion_main!(report);
