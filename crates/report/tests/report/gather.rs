//! Gathering from a real SQLite file (rollbook-core's store in a temp dir): the records a report
//! is computed from, the student search and the counselor screen in one call.

use chrono::{DateTime, Utc};
use rollbook_core::clock::FixedClock;
use rollbook_core::marks::{self, Origin};
use rollbook_core::roster;
use rollbook_core::store::Store;
use rollbook_core::sync::queue::upsert_records;
use rollbook_core::sync::record::{Attendance, ServerRecord};
use rollbook_core::{Day, Id, Status};
use rollbook_report::gather::{self, AT_RISK_TOP};
use rollbook_report::{
    class_view, effective, offering_records, search_students, student_records, student_report,
    student_view, Lang, RawRecord, Theme, Tier,
};

use crate::util::day;

const MATH: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const SCIENCE: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5e";
/// An offering this device has no roster for (another teacher's, pulled for a student).
const ELSEWHERE: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5f";
const TEACHER: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
const SCHOOL: &str = "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9";
const JOSE: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000001";
const ANA: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000002";
const BRUNO: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000003";
const NOBODY: &str = "d4e5f6a7-b8c9-4d0e-a1b2-0000000000ff";

fn id(s: &str) -> Id {
    Id::parse(s).expect("test id")
}

fn roster_csv() -> String {
    let e = |n: u32| format!("c3d4e5f6-a7b8-4c9d-0e1f-{n:012}");
    format!(
        "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,\
         student_name\n\
         {MATH},Matemáticas 7A,{TEACHER},{},{JOSE},\"Muñoz, José\"\n\
         {MATH},Matemáticas 7A,{TEACHER},{},{ANA},Ana Álvarez\n\
         {MATH},Matemáticas 7A,{TEACHER},{},{BRUNO},bruno Díaz\n\
         {SCIENCE},Ciencias 7A,{TEACHER},{},{JOSE},\"Muñoz, José\"\n",
        e(1),
        e(2),
        e(3),
        e(4)
    )
}

/// A data directory on disk with the roster, 12 school days of server records for José and
/// Ana (José: a correction, a record in an offering not on this device) and one local mark not
/// yet sent that contradicts the server.
struct School {
    _dir: tempfile::TempDir,
    store: Store,
    raw: Vec<RawRecord>,
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("test instant")
}

impl School {
    fn new() -> School {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open_data_dir(dir.path()).expect("store");
        roster::import_roster_csv(&mut store, roster_csv().as_bytes(), "roster.csv")
            .expect("roster");
        let mut school = School {
            _dir: dir,
            store,
            raw: Vec::new(),
        };
        let days = crate::util::school_days("2024-03-04", 12);
        let mut server = Vec::new();
        for (i, d) in days.iter().enumerate() {
            let jose_math = if i % 4 == 0 {
                Status::Absent
            } else {
                Status::Present
            };
            server.push(school.server(MATH, JOSE, *d, jose_math, &format!("{d}T12:00:00Z")));
            server.push(school.server(SCIENCE, JOSE, *d, Status::Late, &format!("{d}T13:00:00Z")));
            server.push(school.server(MATH, ANA, *d, Status::Present, &format!("{d}T12:00:01Z")));
        }
        // A correction on the server: absent → excused two hours later (counts once).
        let d0 = days[0];
        server.push(school.server(MATH, JOSE, d0, Status::Excused, &format!("{d0}T14:00:00Z")));
        // Another teacher's offering, pulled for José.
        server.push(school.server(
            ELSEWHERE,
            JOSE,
            days[1],
            Status::Absent,
            "2024-03-05T15:00:00Z",
        ));
        upsert_records(school.store.conn(), &server, at("2024-03-20T00:00:00Z")).expect("cache");
        // A local correction not yet sent: José present in Science on day 3, not late.
        let clock = FixedClock::new(at("2024-03-20T10:00:00Z"));
        let (o, s, d) = (id(SCIENCE), id(JOSE), days[2]);
        marks::record_mark(
            &mut school.store,
            &clock,
            marks::DateWindow::new(Day::parse("2024-03-20").expect("date")),
            "test",
            Origin::Grid,
            &o,
            &s,
            d,
            Status::Present,
        )
        .expect("local mark");
        school.raw.push(RawRecord {
            offering_id: o,
            offering_name: Some("Ciencias 7A".into()),
            student_id: s,
            date: d,
            status: Status::Present,
            recorded_at: "2024-03-20T10:00:00Z".into(),
            local_unconfirmed: true,
        });
        school
    }

    fn server(&mut self, o: &str, s: &str, d: Day, status: Status, when: &str) -> ServerRecord {
        let name = match o {
            MATH => Some("Matemáticas 7A"),
            SCIENCE => Some("Ciencias 7A"),
            _ => None,
        };
        self.raw.push(RawRecord {
            offering_id: id(o),
            offering_name: name.map(str::to_owned),
            student_id: id(s),
            date: d,
            status,
            recorded_at: when.into(),
            local_unconfirmed: false,
        });
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
}

#[test]
fn a_students_records_are_the_effective_ones_the_pure_rule_picks() {
    let school = School::new();
    let jose = id(JOSE);
    let got = student_records(&school.store, &jose, None, None).expect("records");
    let mine: Vec<RawRecord> = school
        .raw
        .iter()
        .filter(|r| r.student_id == jose)
        .cloned()
        .collect();
    assert_eq!(
        got,
        effective(mine),
        "the store's effective marks (SQL) and the report crate's rule must agree, or the CLI \
         and the window would count a correction twice"
    );
    assert_eq!(got.len(), 12 * 2 + 1);
    let first = &got[0];
    assert_eq!(
        (first.status, first.offering_name.as_deref()),
        (Status::Excused, Some("Matemáticas 7A")),
        "the server's later correction wins and the offering is named from the roster"
    );
    let elsewhere: Vec<_> = got
        .iter()
        .filter(|r| r.offering_id == id(ELSEWHERE))
        .collect();
    assert_eq!(elsewhere.len(), 1);
    assert_eq!(
        elsewhere[0].offering_name, None,
        "an offering not on this device has no name"
    );
}

#[test]
fn a_range_is_inclusive_and_a_reversed_range_is_the_callers_mistake() {
    let school = School::new();
    let jose = id(JOSE);
    let week = student_records(
        &school.store,
        &jose,
        Some(day("2024-03-05")),
        Some(day("2024-03-06")),
    )
    .expect("records");
    assert_eq!(week.len(), 2 * 2 + 1);
    assert!(week
        .iter()
        .all(|r| r.date >= day("2024-03-05") && r.date <= day("2024-03-06")));
    let err = student_records(
        &school.store,
        &jose,
        Some(day("2024-03-06")),
        Some(day("2024-03-05")),
    )
    .expect_err("reversed");
    assert_eq!(err.code(), "invalid");
    assert!(err.is_user_input());
    let json = serde_json::to_value(&err).expect("serializes");
    assert_eq!(
        json["code"], "invalid",
        "the UI reads {{code, message}}: {json}"
    );
}

#[test]
fn an_offerings_records_cover_every_student_with_the_local_mark_winning() {
    let school = School::new();
    let science = offering_records(&school.store, &id(SCIENCE), None, None).expect("records");
    assert_eq!(science.len(), 12);
    let local = science
        .iter()
        .filter(|r| r.status == Status::Present)
        .count();
    assert_eq!(
        local, 1,
        "the unsent local correction replaces the server's late"
    );
    let math = offering_records(&school.store, &id(MATH), None, None).expect("records");
    assert_eq!(math.len(), 24, "José and Ana, one record per day each");
}

#[test]
fn students_are_found_ignoring_case_accents_and_word_order() {
    let school = School::new();
    let names = |q: &str, limit: usize| -> Vec<String> {
        search_students(&school.store, q, limit)
            .expect("search")
            .into_iter()
            .map(|s| s.full_name)
            .collect()
    };
    assert_eq!(names("jose munoz", 10), vec!["Muñoz, José"]);
    assert_eq!(names("ÁLVAREZ", 10), vec!["Ana Álvarez"]);
    assert_eq!(names("  diaz ", 10), vec!["bruno Díaz"]);
    assert_eq!(names("n", 10).len(), 3, "muñoz, ana, bruno: ñ matches n");
    assert_eq!(names("a", 10), vec!["Ana Álvarez", "bruno Díaz"]);
    assert_eq!(
        names("", 2),
        vec!["Ana Álvarez", "bruno Díaz"],
        "empty: by name, limited"
    );
    assert!(names("zz", 10).is_empty());
    assert_eq!(
        names("d4e5f6a7-b8c9-4d0e-a1b2-000000000003", 10),
        vec!["bruno Díaz"]
    );
    let jose = search_students(&school.store, "josé", 1).expect("search");
    let offerings: Vec<&str> = jose[0].offerings.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(offerings, vec!["Ciencias 7A", "Matemáticas 7A"]);
}

#[test]
fn the_student_view_has_the_name_measures_and_every_chart() {
    let school = School::new();
    let jose = id(JOSE);
    let view = student_view(&school.store, &jose, None, None, Theme::Dark, Lang::Es).expect("view");
    assert_eq!(view.name.as_deref(), Some("Muñoz, José"));
    let records = student_records(&school.store, &jose, None, None).expect("records");
    assert_eq!(view.report, student_report(&jose, &records, None, None));
    assert_eq!(view.report.days_observed, 12);
    assert_eq!(view.report.tier, Tier::ModerateChronic);
    assert!(!view.tier_label.is_empty());
    let json = serde_json::to_value(&view).expect("serializes");
    for chart in ["breakdown", "monthly", "heatmap", "by_course", "last_days"] {
        let c = &json["charts"][chart];
        assert!(
            c["svg"].as_str().is_some_and(|s| s.starts_with("<svg")),
            "{chart}"
        );
        assert!(
            c["alt"].as_str().is_some_and(|s| !s.is_empty()),
            "{chart} has a text alternative"
        );
        assert!(c["title"].is_string(), "{chart}");
    }
    assert_eq!(json["report"]["tier"], "moderate-chronic");
}

#[test]
fn a_student_with_no_records_gets_an_insufficient_data_view_not_an_error() {
    let school = School::new();
    let view = student_view(
        &school.store,
        &id(NOBODY),
        None,
        None,
        Theme::Light,
        Lang::En,
    )
    .expect("an empty report is still a report");
    assert_eq!(view.name, None);
    assert_eq!(view.report.sessions.total, 0);
    assert_eq!(view.report.tier, Tier::InsufficientData);
    let bruno = student_view(
        &school.store,
        &id(BRUNO),
        None,
        None,
        Theme::Light,
        Lang::En,
    )
    .expect("view");
    assert_eq!(
        bruno.name.as_deref(),
        Some("bruno Díaz"),
        "known, just no records"
    );
}

#[test]
fn the_class_view_names_its_students_and_sorts_the_most_absent_first() {
    let school = School::new();
    let view =
        class_view(&school.store, &id(MATH), None, None, Theme::Light, Lang::En).expect("view");
    assert_eq!(view.name.as_deref(), Some("Matemáticas 7A"));
    assert_eq!(view.overview.daily.len(), 12);
    let students: Vec<Option<&str>> = view
        .overview
        .students
        .iter()
        .map(|s| s.name.as_deref())
        .collect();
    assert_eq!(students, vec![Some("Muñoz, José"), Some("Ana Álvarez")]);
    assert!(view.charts.at_risk.svg.starts_with("<svg") && AT_RISK_TOP >= 2);

    let empty = class_view(
        &school.store,
        &id(SCIENCE),
        Some(day("2025-01-01")),
        None,
        Theme::Light,
        Lang::En,
    )
    .expect("no records in range is not an error");
    assert_eq!(
        empty.name.as_deref(),
        Some("Ciencias 7A"),
        "named from the roster"
    );
    assert!(empty.overview.students.is_empty());
    let names = gather::student_names(&school.store, &[]).expect("names");
    assert!(names.is_empty());
}

#[test]
fn the_term_calendar_tells_days_without_class_from_days_without_a_record() {
    let mut school = School::new();
    let ana = id(ANA);
    // Ana's Maths records: the 12 school days from Mon 4 to Tue 19 March; the range runs to
    // Fri 22 March, so Wed 20, Thu 21 and Fri 22 have no record.
    let (from, to) = (Some(day("2024-03-04")), Some(day("2024-03-22")));
    let heatmap = |store: &Store| {
        student_view(store, &ana, from, to, Theme::Light, Lang::En)
            .expect("view")
            .charts
            .heatmap
    };
    let before = heatmap(&school.store);
    assert!(
        before.alt.contains("3 weekdays without records"),
        "{}",
        before.alt
    );
    assert!(!before.alt.contains("without class"), "{}", before.alt);
    assert!(!before.svg.contains("No class"));

    // Thursday 21 is a holiday and Maths meets Monday to Thursday: Friday 22 has no class
    // either (the Fridays with records stay observed days).
    rollbook_core::calendar::import_non_school_days_csv(
        &mut school.store,
        b"date,name\n2024-03-21,Holiday\n",
        "holidays.csv",
    )
    .expect("calendar");
    rollbook_core::calendar::set_meeting_days(&mut school.store, &id(MATH), &[1, 2, 3, 4])
        .expect("meeting days");
    let after = heatmap(&school.store);
    assert!(after.alt.contains("(15 weekdays)"), "{}", after.alt);
    assert!(after.alt.contains("12 days observed"), "{}", after.alt);
    assert!(
        after.alt.contains("1 weekdays without records"),
        "{}",
        after.alt
    );
    assert!(
        after.alt.contains("2 weekdays without class"),
        "{}",
        after.alt
    );
    assert!(
        after.svg.contains("No class"),
        "the legend names the grey cells"
    );
    assert_eq!(
        after.svg.matches("<rect").count(),
        before.svg.matches("<rect").count(),
        "still one cell per weekday"
    );
}
