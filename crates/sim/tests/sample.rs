//! The sample school: roster CSV, history, determinism, empty starts.

use std::collections::HashMap;

use athena_sim::{SampleSchool, Sim, Status, ROSTER_HEADER};
use chrono::{Datelike, Weekday};

use crate::common::{builder, get_json, get_status, END_DATE, WRITE};

#[test]
fn roster_csv_has_the_exact_header_and_one_row_per_enrollment() {
    let school = SampleSchool::generate(7);
    let csv_text = school.roster_csv();
    assert!(csv_text.starts_with(
        "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,\
         student_name\n"
    ));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ROSTER_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), school.enrollments.len());
    for (row, e) in rows.iter().zip(&school.enrollments) {
        assert_eq!(row[3], e.id.to_string());
        let student = school.student(e.student_id).unwrap();
        assert_eq!(
            row[5], student.full_name,
            "names with accents survive the CSV"
        );
    }
    assert!(rows.iter().any(|r| r[1].contains('á') || !r[5].is_ascii()));
}

#[test]
fn the_same_seed_gives_the_same_school_and_history() {
    let a = SampleSchool::generate(7);
    assert_eq!(a, SampleSchool::generate(7));
    assert_ne!(a.students, SampleSchool::generate(8).students);
    assert_eq!(a.history(END_DATE, 60), a.history(END_DATE, 60));
    assert_eq!(a.roster_csv(), SampleSchool::generate(7).roster_csv());
}

#[test]
fn history_is_sixty_weekdays_mostly_present() {
    let school = SampleSchool::generate(7);
    let history = school.history(END_DATE, 60);
    let mut dates: Vec<_> = history.iter().map(|r| r.attendance_date).collect();
    dates.sort_unstable();
    dates.dedup();
    assert_eq!(dates.len(), 60);
    assert!(dates
        .iter()
        .all(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)));
    assert!(
        *dates.last().unwrap() < END_DATE,
        "history ends before the end date"
    );

    let present = history
        .iter()
        .filter(|r| r.status == Status::Present)
        .count();
    assert!(present * 100 / history.len() > 75, "mostly present");
    for status in Status::ALL {
        assert!(
            history.iter().any(|r| r.status == status),
            "{status} occurs"
        );
    }
    let absence_rate = |id| {
        let mine: Vec<_> = history.iter().filter(|r| r.student_id == id).collect();
        mine.iter().filter(|r| r.status == Status::Absent).count() as f64 / mine.len() as f64
    };
    for id in &school.chronically_absent {
        assert!(
            absence_rate(*id) > 0.2,
            "chronically absent students stand out"
        );
    }
    let mut per_key: HashMap<_, usize> = HashMap::new();
    for r in &history {
        *per_key
            .entry((r.course_offering_id, r.student_id, r.attendance_date))
            .or_default() += 1;
    }
    assert!(
        per_key.values().any(|n| *n > 1),
        "some marks were corrected by a newer record"
    );
}

#[tokio::test]
async fn two_sims_with_one_seed_serve_the_same_data() {
    let a = builder().start().await.unwrap();
    let b = builder().start().await.unwrap();
    assert_eq!(a.records(), b.records());
    assert_eq!(a.students(), b.students());
    assert!(
        a.record_count() > 10_000,
        "a term of roll: {}",
        a.record_count()
    );
    assert_eq!(a.post_count(), 0, "preloaded history is not POSTs");
}

#[tokio::test]
async fn empty_starts_with_and_without_the_sample_school() {
    let with_roster = builder().empty_store().start().await.unwrap();
    assert_eq!(with_roster.record_count(), 0);
    let id = with_roster.students()[0].id;
    assert_eq!(
        get_status(&with_roster, WRITE, &format!("/students/{id}")).await,
        200
    );

    let bare = Sim::builder()
        .token("t", &["read:all"])
        .start()
        .await
        .unwrap();
    assert!(bare.sample().is_none());
    assert_eq!(bare.record_count(), 0);
    let list: Vec<serde_json::Value> = get_json(&bare, "t", "/academic/attendance").await;
    assert!(list.is_empty());
    bare.shutdown().await;
}

#[test]
fn a_sim_runs_from_synchronous_code_on_its_own_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = Sim::builder()
        .token("t", &["read:all"])
        .start_on(rt.handle())
        .unwrap();
    let status = rt.block_on(get_status(&sim, "t", "/academic/attendance"));
    assert_eq!(status, 200);
    drop(sim);
}

#[test]
fn handles_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<athena_sim::Sim>();
    assert_send_sync::<athena_sim::SimHandle>();
}

#[tokio::test]
async fn untaken_rolls_have_no_record_and_the_kiosk_posts_late_arrivals() {
    use athena_sim::{school_days_before, today_utc, FRONT_DESK};
    let end = today_utc();
    let sim = Sim::builder()
        .sample_school(42)
        .history(end, 20)
        .untaken_rolls(3)
        .start()
        .await
        .expect("sim");
    let school = sim.sample().expect("sample").clone();
    let untaken = school.untaken_rolls(end, 3);
    assert_eq!(untaken.len(), 3);
    let recent: Vec<_> = school_days_before(end, 10);
    let records = sim.records();
    for (offering, date) in &untaken {
        assert!(recent.contains(date), "within the last ten school days");
        assert!(
            !records
                .iter()
                .any(|r| r.course_offering_id == *offering && r.attendance_date == *date),
            "an untaken roll has no record"
        );
    }
    let taken = records
        .iter()
        .filter(|r| {
            r.course_offering_id == school.offerings[0].id && r.attendance_date == recent[0]
        })
        .count();
    assert_eq!(
        taken,
        school.enrollments_of(school.offerings[0].id).len(),
        "other rolls are whole"
    );

    let arrivals = school.kiosk_arrivals(end, 2, 2);
    assert_eq!(arrivals.len(), 4);
    for a in &arrivals {
        assert_eq!(a.status, Status::Late);
        assert_eq!(a.teacher_assignment_id, FRONT_DESK);
        assert!(school
            .offerings
            .iter()
            .all(|o| o.teacher_assignment_id != FRONT_DESK));
        assert!(school
            .enrollments_of(a.course_offering_id)
            .iter()
            .any(|e| e.id == a.course_enrollment_id && e.student_id == a.student_id));
    }
}
