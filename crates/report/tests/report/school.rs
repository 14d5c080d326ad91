//! The school view on a hand-made school with known answers, from a real SQLite file: the
//! ranking, every column, the filters, the call list CSV and the printable page.

use chrono::{DateTime, Utc};
use rollbook_core::clock::FixedClock;
use rollbook_core::marks::{self, Origin};
use rollbook_core::roster;
use rollbook_core::store::Store;
use rollbook_core::sync::queue::upsert_records;
use rollbook_core::sync::record::{Attendance, ServerRecord};
use rollbook_core::{Day, Id, Status};
use rollbook_report::{school_csv, school_html, school_view, Lang, SchoolQuery, SchoolView, Tier};

use crate::util::{day, school_days};

const MATH: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c51";
const SCIENCE: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c52";
const ART: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c53";
const TEACHER: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
const SCHOOL: &str = "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9";
const JOSE: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000001";
const ANA: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000002";
const BRUNO: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000003";
const CARO: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000004";
const DANI: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000005";
const EVA: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000006";

/// A mark made on this device on 2024-03-30 and not sent yet: it counts over the server's.
fn mark_here(store: &mut Store, offering: &str, student: &str, date: Day, status: Status) {
    let clock = FixedClock::new(at("2024-03-30T10:00:00Z"));
    let window = marks::DateWindow::new(day("2024-03-30"));
    let (offering, student) = (id(offering), id(student));
    marks::record_mark(
        store,
        &clock,
        window,
        "test",
        Origin::Grid,
        &offering,
        &student,
        date,
        status,
    )
    .expect("a local mark");
}

fn id(s: &str) -> Id {
    Id::parse(s).expect("test id")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("test instant")
}

fn roster_csv() -> String {
    let rows = [
        (MATH, "Matemáticas 7A", JOSE, "\"Muñoz, José\""),
        (SCIENCE, "Ciencias 7A", JOSE, "\"Muñoz, José\""),
        (ART, "Arte 7A", JOSE, "\"Muñoz, José\""),
        (MATH, "Matemáticas 7A", ANA, "Ana Álvarez"),
        (MATH, "Matemáticas 7A", BRUNO, "bruno Díaz"),
        (SCIENCE, "Ciencias 7A", CARO, "=Caro Ruiz"),
        (ART, "Arte 7A", DANI, "Dani Ortega"),
        (MATH, "Matemáticas 7A", EVA, "Eva Soto"),
    ];
    let mut csv = String::from(
        "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,\
         student_name\n",
    );
    for (n, (o, name, s, student)) in rows.iter().enumerate() {
        csv.push_str(&format!(
            "{o},{name},{TEACHER},c3d4e5f6-a7b8-4c9d-0e1f-{n:012},{s},{student}\n"
        ));
    }
    csv
}

fn record(o: &str, s: &str, d: Day, status: Status, when: &str) -> ServerRecord {
    ServerRecord {
        id: Id::new_v4(),
        school_id: id(SCHOOL),
        fields: Attendance {
            offering_id: id(o),
            teacher_assignment_id: id(TEACHER),
            enrollment_id: Id::new_v4(),
            student_id: id(s),
            date: d,
            status,
        },
        recorded_at: at(when),
        recorded_at_raw: when.into(),
    }
}

const FROM: &str = "2024-02-01";
const TO: &str = "2024-03-29";

/// The school, over 2024-02-01 – 2024-03-29:
/// - José, in three classes every day of March (20 days): absent from Math on the first five
///   (the first corrected on the server to excused), excused from Science on day 11: 2 days
///   absent of 20 (2/3 excused), 10 %.
/// - Ana, Math from 5 February (40 days): absent the last 4 days: 10 %, a run of 4, and
///   +18.18 points over the last 30 days (4 of 22 days against 0 of 18).
/// - Bruno, Math, 9 days with 3 absences: 33 % but too few days for a tier.
/// - Caro (a name a spreadsheet would run), Science, 20 days present: the server says absent
///   on day 6, but this device's mark, not sent yet, says present.
/// - Dani, Art, 20 days, absent 1: 5 %.
/// - Eva, Math, 20 days, absent the first 16: 80 %, CRDC 15 days.
struct School {
    _dir: tempfile::TempDir,
    store: Store,
}

fn school() -> School {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open_data_dir(dir.path()).expect("store");
    roster::import_roster_csv(&mut store, roster_csv().as_bytes(), "roster.csv").expect("roster");
    let march = school_days("2024-03-01", 21);
    let mut server = Vec::new();
    let when = |d: Day, h: u32| format!("{d}T{h:02}:00:00Z");
    for (i, d) in march.iter().enumerate().skip(1) {
        let i = i - 1; // 20 days from 4 March
        let math = if i < 5 {
            Status::Absent
        } else {
            Status::Present
        };
        server.push(record(MATH, JOSE, *d, math, &when(*d, 9)));
        let science = if i == 10 {
            Status::Excused
        } else {
            Status::Present
        };
        server.push(record(SCIENCE, JOSE, *d, science, &when(*d, 10)));
        server.push(record(ART, JOSE, *d, Status::Present, &when(*d, 11)));
        let caro = if i == 5 {
            Status::Absent
        } else {
            Status::Present
        };
        server.push(record(SCIENCE, CARO, *d, caro, &when(*d, 10)));
        let dani = if i == 7 {
            Status::Absent
        } else {
            Status::Present
        };
        server.push(record(ART, DANI, *d, dani, &when(*d, 11)));
        let eva = if i < 16 {
            Status::Absent
        } else {
            Status::Present
        };
        server.push(record(MATH, EVA, *d, eva, &when(*d, 9)));
        if i < 9 {
            let bruno = if i % 3 == 0 {
                Status::Absent
            } else {
                Status::Late
            };
            server.push(record(MATH, BRUNO, *d, bruno, &when(*d, 9)));
        }
    }
    // The correction on the server: José's first absence excused an hour later.
    let first = march[1];
    server.push(record(MATH, JOSE, first, Status::Excused, &when(first, 10)));
    let ana_days = school_days("2024-02-05", 40);
    assert_eq!(ana_days[39], day(TO));
    for (i, d) in ana_days.iter().enumerate() {
        let status = if i >= 36 {
            Status::Absent
        } else {
            Status::Present
        };
        server.push(record(MATH, ANA, *d, status, &when(*d, 9)));
    }
    // Outside the range: counted nowhere.
    server.push(record(
        MATH,
        ANA,
        day("2024-04-01"),
        Status::Absent,
        "2024-04-01T09:00:00Z",
    ));
    upsert_records(store.conn(), &server, at("2024-03-30T00:00:00Z")).expect("cache");
    mark_here(&mut store, SCIENCE, CARO, march[6], Status::Present);
    School { _dir: dir, store }
}

fn query() -> SchoolQuery {
    query_between(day(FROM), day(TO))
}

fn query_between(from: Day, to: Day) -> SchoolQuery {
    SchoolQuery {
        from,
        to,
        tiers: Vec::new(),
        offering: None,
        search: None,
    }
}

fn view(school: &School, q: SchoolQuery) -> SchoolView {
    school_view(&school.store, &q).expect("the school view")
}

fn ids(v: &SchoolView) -> Vec<&str> {
    v.students
        .iter()
        .map(|r| r.report.student_id.as_str())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn every_student_is_ranked_by_absence_rate_then_name() {
    let s = school();
    let v = view(&s, query());
    assert_eq!(v.total, 6, "every student with records in the range");
    assert_eq!(
        ids(&v),
        vec![EVA, BRUNO, ANA, JOSE, DANI, CARO],
        "highest absence rate first; Ana and José both at 10 % by name"
    );
    assert_eq!((v.from, v.to, v.as_of.clone()), (day(FROM), day(TO), None));
}

#[test]
fn every_column_has_the_known_answer() {
    let s = school();
    let v = view(&s, query());
    let row = |who: &str| {
        v.students
            .iter()
            .find(|r| r.report.student_id.as_str() == who)
            .expect("a row")
    };
    let jose = row(JOSE);
    assert_eq!(jose.full_name.as_deref(), Some("Muñoz, José"));
    assert_eq!(
        jose.offerings,
        vec!["Arte 7A", "Ciencias 7A", "Matemáticas 7A"],
        "the three classes with records, by name"
    );
    let r = &jose.report;
    assert_eq!(r.tier, Tier::ModerateChronic);
    assert_eq!((r.days_observed, r.sessions.total), (20, 60));
    assert!(close(r.days_absent, 2.0), "{}", r.days_absent);
    assert!(
        close(r.excused_days_absent, 2.0 / 3.0),
        "the server's correction and the Science excuse: {}",
        r.excused_days_absent
    );
    assert!(close(r.unexcused_days_absent, 4.0 / 3.0));
    assert_eq!(r.absence_rate, Some(0.1));
    assert!(!r.crdc_15_days);
    assert_eq!((r.current_absence_streak, r.longest_absence_streak), (0, 0));
    assert_eq!(
        jose.absence_rate_change_30d, None,
        "no record in the 30 days before"
    );
    assert_eq!(jose.last_present, Some(day(TO)));

    let ana = row(ANA);
    assert_eq!(
        ana.report.days_observed, 40,
        "the record after the range is left out"
    );
    assert_eq!(ana.report.absence_rate, Some(0.1));
    assert_eq!(ana.report.current_absence_streak, 4);
    let change = ana
        .absence_rate_change_30d
        .expect("both windows have records");
    assert!(close(change, 400.0 / 22.0), "{change}");
    assert_eq!(ana.last_present, Some(day("2024-03-25")));

    let bruno = row(BRUNO);
    assert_eq!(bruno.report.days_observed, 9);
    assert_eq!(
        bruno.report.tier,
        Tier::InsufficientData,
        "9 observed days are too few for a tier, whatever the rate"
    );
    assert!(close(bruno.report.absence_rate.expect("a rate"), 1.0 / 3.0));
    assert_eq!(
        bruno.last_present,
        Some(day("2024-03-14")),
        "late counts as present"
    );

    let caro = row(CARO);
    assert_eq!(
        (caro.report.days_absent, caro.report.tier),
        (0.0, Tier::Satisfactory),
        "this device's unsent mark wins over the server's absence"
    );
    assert_eq!(row(DANI).report.tier, Tier::AtRisk);
    let eva = row(EVA);
    assert_eq!(eva.report.tier, Tier::SevereChronic);
    assert!(eva.report.crdc_15_days);
    assert_eq!(
        (
            eva.report.longest_absence_streak,
            eva.report.current_absence_streak
        ),
        (16, 0)
    );
}

#[test]
fn the_measures_are_the_student_reports() {
    let s = school();
    let v = view(&s, query());
    for row in &v.students {
        let records = rollbook_report::student_records(
            &s.store,
            &row.report.student_id,
            Some(day(FROM)),
            Some(day(TO)),
        )
        .expect("records");
        let report = rollbook_report::student_report(
            &row.report.student_id,
            &records,
            Some(day(FROM)),
            Some(day(TO)),
        );
        assert_eq!(
            row.report, report,
            "the school view and the student's report must never disagree"
        );
    }
}

#[test]
fn filters_by_tier_offering_and_name() {
    let s = school();
    let tiers = view(
        &s,
        SchoolQuery {
            tiers: vec![Tier::ModerateChronic, Tier::InsufficientData],
            ..query()
        },
    );
    assert_eq!(ids(&tiers), vec![BRUNO, ANA, JOSE]);
    assert_eq!(
        tiers.total, 6,
        "total counts the students before the filters"
    );
    let art = view(
        &s,
        SchoolQuery {
            offering: Some(id(ART)),
            ..query()
        },
    );
    assert_eq!(ids(&art), vec![JOSE, DANI]);
    let search = |q: &str| {
        let v = view(
            &s,
            SchoolQuery {
                search: Some(q.into()),
                ..query()
            },
        );
        ids(&v).into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(
        search("jose MUNOZ"),
        vec![JOSE],
        "case and accents are ignored"
    );
    assert_eq!(search("alvarez"), vec![ANA]);
    assert_eq!(
        search(DANI),
        vec![DANI.to_string()],
        "an id prefix finds the student"
    );
    assert_eq!(search("  ").len(), 6, "a blank search filters nothing");
    let both = view(
        &s,
        SchoolQuery {
            tiers: vec![Tier::ModerateChronic],
            offering: Some(id(SCIENCE)),
            ..query()
        },
    );
    assert_eq!(ids(&both), vec![JOSE], "filters combine");
}

#[test]
fn a_reversed_range_is_refused() {
    let s = school();
    let err = school_view(
        &s.store,
        &SchoolQuery {
            from: day(TO),
            to: day(FROM),
            ..query()
        },
    )
    .expect_err("refused");
    assert_eq!(err.code(), "invalid");
}

#[test]
fn the_call_list_is_the_rows_shown_defused() {
    let s = school();
    let v = view(&s, query());
    let csv = school_csv(&v).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "student_id,student_name,offerings,tier,absence_rate_percent,days_absent,\
         excused_days_absent,unexcused_days_absent,days_observed,crdc_15_days,\
         current_absence_streak,absence_rate_change_30d_points,last_present"
    );
    assert_eq!(lines.len(), 7);
    assert_eq!(
        lines[3],
        format!(
            "{ANA},Ana Álvarez,Matemáticas 7A,moderate-chronic,10.0,4,0,4,40,no,4,+18.2,2024-03-25"
        )
    );
    assert_eq!(
        lines[4],
        format!(
            "{JOSE},\"Muñoz, José\",Arte 7A; Ciencias 7A; Matemáticas 7A,moderate-chronic,10.0,\
             2,0.67,1.33,20,no,0,,2024-03-29"
        )
    );
    assert!(
        lines[6].starts_with(&format!("{CARO},'=Caro Ruiz,")),
        "a name a spreadsheet would run as a formula is defused: {}",
        lines[6]
    );
    let filtered = view(
        &s,
        SchoolQuery {
            offering: Some(id(ART)),
            ..query()
        },
    );
    assert_eq!(
        school_csv(&filtered).expect("csv").lines().count(),
        3,
        "the call list is what is shown"
    );
}

#[test]
fn the_printable_page_lists_the_rows_in_order() {
    let s = school();
    let v = view(&s, query());
    let html = school_html(&v, Lang::En, day("2024-03-30"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("6 of 6 students"));
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} in the page"))
    };
    assert!(at("Eva Soto") < at("bruno Díaz") && at("Ana Álvarez") < at("Muñoz, José"));
    assert!(at("Muñoz, José") < at("=Caro Ruiz"));
    assert!(
        html.contains("↑ 18.18"),
        "Ana's change as an arrow and points"
    );
    let es = school_html(&v, Lang::Es, day("2024-03-30"));
    assert!(es.contains("lang=\"es\"") && es.contains("lista de llamadas"));
}

/// A school big enough to be read in parts (one per core, when there are several): each
/// student is visited once, by the part their id falls in, with the same measures as their
/// own report; a student the roster does not know, and this device's unsent marks, included.
#[test]
fn a_school_read_in_parts_has_each_student_once_with_their_own_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open_data_dir(dir.path()).expect("store");
    let offerings = [MATH, SCIENCE, ART];
    let student = |n: usize| format!("d4e5f6a7-b8c9-4d0e-a1b2-{:012x}", n * 7919);
    let mut csv = String::from(
        "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,\
         student_name\n",
    );
    for n in 0..240 {
        let o = offerings[n % 3];
        let s = student(n);
        csv.push_str(&format!(
            "{o},Class {},{TEACHER},c3d4e5f6-a7b8-4c9d-0e1f-{n:012},{s},Student {n}\n",
            n % 3
        ));
    }
    roster::import_roster_csv(&mut store, csv.as_bytes(), "roster.csv").expect("roster");
    let days = school_days("2024-03-01", 10);
    let mut server = Vec::new();
    // 240 on the roster and one more the roster does not know (a co-teacher's new student).
    for n in 0..241 {
        for (i, d) in days.iter().enumerate() {
            let status = match (n + i) % 7 {
                0 => Status::Absent,
                1 if n % 2 == 0 => Status::Excused,
                2 => Status::Late,
                _ => Status::Present,
            };
            let when = format!("{d}T09:00:00Z");
            server.push(record(offerings[n % 3], &student(n), *d, status, &when));
        }
    }
    upsert_records(store.conn(), &server, at("2024-03-30T00:00:00Z")).expect("cache");
    for n in [0, 120, 239] {
        mark_here(
            &mut store,
            offerings[n % 3],
            &student(n),
            days[3],
            Status::Absent,
        );
    }
    let (from, to) = (days[0], days[9]);
    let v = school_view(&store, &query_between(from, to)).expect("the school view");
    assert_eq!(v.total, 241);
    let mut seen: Vec<&str> = ids(&v);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 241, "every student once");
    for row in &v.students {
        let records =
            rollbook_report::student_records(&store, &row.report.student_id, Some(from), Some(to))
                .expect("records");
        let report =
            rollbook_report::student_report(&row.report.student_id, &records, Some(from), Some(to));
        assert_eq!(row.report, report, "{}", row.report.student_id);
    }
    let unsent = v
        .students
        .iter()
        .find(|r| r.report.student_id.as_str() == student(120))
        .expect("student 120");
    assert_eq!(
        unsent.report.sessions.absent,
        days.iter()
            .enumerate()
            .filter(|(i, _)| (120 + i) % 7 == 0 || *i == 3)
            .count() as u32,
        "this device's unsent mark counts in the view"
    );
}
