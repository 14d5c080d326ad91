//! Pulling server records: the cache fills (upsert by server id), names are resolved when the
//! token may read them, and effective marks (and the roster) show what other devices recorded.

use std::collections::HashSet;

use crate::common::ymd;
use athena_sim::{ListFilter, Sim};
use rollbook_core::roll;
use rollbook_core::secret::Secret;
use rollbook_core::store::Store;
use rollbook_core::sync::effective::{self, Source};
use rollbook_core::sync::{self, TokenStore};
use rollbook_core::Status;

use crate::sync_support::*;

fn with_history() -> athena_sim::SimBuilder {
    Sim::builder()
        .sample_school(7)
        .history(ymd(2024, 3, 14), 5)
        .token(TOKEN, ALL_SCOPES)
}

async fn post_as_other_device(rig: &Rig, offering: usize, student: usize, status: Status) {
    let (o, s) = rig.pick(offering, student);
    let sample = rig.sim.sample().unwrap();
    let enrollment = sample
        .enrollment(
            uuid::Uuid::parse_str(o.as_str()).unwrap(),
            uuid::Uuid::parse_str(s.as_str()).unwrap(),
        )
        .unwrap();
    let body = sync::record::Attendance {
        offering_id: o,
        teacher_assignment_id: id(rig.sim.offerings()[offering].teacher_assignment_id),
        enrollment_id: id(enrollment.id),
        student_id: s,
        date: day(DATE),
        status,
    };
    let ex = rig.api().create(&Secret::new(TOKEN).unwrap(), &body).await;
    assert!(matches!(
        ex,
        sync::api::Exchange::Answered { status: 201, .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_fills_the_cache_and_effective_marks_show_other_devices() {
    let mut rig = Rig::start(with_history()).await;
    let (offering, _) = rig.pick(0, 0);
    let on_server = rig.sim.list(ListFilter {
        course_offering_id: Some(uuid::Uuid::parse_str(offering.as_str()).unwrap()),
        student_id: None,
    });
    assert!(!on_server.is_empty(), "the sample school has history");
    let api = rig.api();
    let tokens = rig.token_source();
    let report = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .unwrap();
    assert_eq!(report.records as usize, on_server.len());
    assert_eq!(report.new_records, report.records);
    let again = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .unwrap();
    assert_eq!(again.new_records, 0, "upsert by server id: nothing twice");

    let history_day = day(&athena_sim::format_date(on_server[0].attendance_date));
    let marks = effective::for_offering_date(&rig.store, &offering, history_day).unwrap();
    let students: HashSet<String> = on_server
        .iter()
        .filter(|r| r.attendance_date == on_server[0].attendance_date)
        .map(|r| r.student_id.to_string())
        .collect();
    assert_eq!(marks.len(), students.len());
    assert!(marks.values().all(|m| m.source == Source::Server));

    // Another device marks student 0 absent; this device marks student 1 present (not sent).
    post_as_other_device(&rig, 0, 0, Status::Absent).await;
    rig.mark(0, 1, Status::Present).unwrap();
    sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .unwrap();
    let (_, s0) = rig.pick(0, 0);
    let (_, s1) = rig.pick(0, 1);
    let marks = effective::for_offering_date(&rig.store, &offering, day(DATE)).unwrap();
    assert_eq!(
        (marks[&s0].status, marks[&s0].source),
        (Status::Absent, Source::Server)
    );
    assert_eq!(
        (marks[&s1].status, marks[&s1].source),
        (Status::Present, Source::Local)
    );

    // Once ours is confirmed, a later mark from another device is the effective one.
    rig.engine().pass().await.unwrap();
    post_as_other_device(&rig, 0, 1, Status::Late).await;
    let marks = effective::for_offering_date(&rig.store, &offering, day(DATE)).unwrap();
    assert_eq!(marks[&s1].status, Status::Present, "not pulled yet: ours");
    sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .unwrap();
    let marks = effective::for_offering_date(&rig.store, &offering, day(DATE)).unwrap();
    assert_eq!(
        (marks[&s1].status, marks[&s1].source),
        (Status::Late, Source::Server)
    );

    // And the roll shows it.
    let rows = roll::rows(&rig.store, &offering, day(DATE)).unwrap();
    let row0 = rows.iter().find(|r| r.student_id == s0).unwrap();
    assert_eq!(
        row0.status,
        Some(Status::Absent),
        "the roll shows other devices' marks"
    );
    let row1 = rows.iter().find(|r| r.student_id == s1).unwrap();
    assert_eq!(row1.status, Some(Status::Late));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_student_resolves_names_it_does_not_know() {
    let rig = Rig::start(with_history()).await;
    let (_, student) = rig.pick(1, 3);
    let mut bare = Store::open_in_memory().unwrap();
    let api = rig.api();
    let report = sync::pull_student(&mut bare, &api, &rig.token_source(), &*rig.clock, &student)
        .await
        .unwrap();
    assert!(report.records > 0);
    assert_eq!(report.names_resolved, 1);
    let name: String = bare
        .conn()
        .query_row(
            "SELECT full_name FROM student WHERE id = ?1",
            [&student],
            |r| r.get(0),
        )
        .unwrap();
    let want = &rig
        .sim
        .sample()
        .unwrap()
        .student(uuid::Uuid::parse_str(student.as_str()).unwrap())
        .unwrap()
        .full_name;
    assert_eq!(&name, want);
    let list =
        effective::for_student(&bare, &student, day("2024-01-01"), day("2024-12-31")).unwrap();
    let keys: HashSet<(String, String)> = rig
        .sim
        .list(ListFilter {
            student_id: Some(uuid::Uuid::parse_str(student.as_str()).unwrap()),
            course_offering_id: None,
        })
        .iter()
        .map(|r| {
            (
                r.course_offering_id.to_string(),
                athena_sim::format_date(r.attendance_date),
            )
        })
        .collect();
    assert_eq!(
        list.len(),
        keys.len(),
        "one effective mark per offering and date"
    );
    assert!(list.windows(2).all(|w| w[0].date <= w[1].date), "by date");

    // A token that may not read students: records still come, names are skipped quietly.
    rig.sim.add_token("tok-NO-NAMES", &["read:attendance"]);
    rig.tokens
        .set(&Secret::new("tok-NO-NAMES").unwrap())
        .unwrap();
    let mut bare = Store::open_in_memory().unwrap();
    let report = sync::pull_student(&mut bare, &api, &rig.token_source(), &*rig.clock, &student)
        .await
        .unwrap();
    assert!(report.records > 0);
    assert_eq!(report.names_resolved, 0);
    assert!(report.names_note.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_with_a_refused_token_says_sign_in_again() {
    let mut rig = Rig::start(with_history()).await;
    let (offering, _) = rig.pick(0, 0);
    rig.sim.revoke_token(TOKEN);
    let api = rig.api();
    let (tokens, clock) = (rig.token_source(), rig.clock.clone());
    let err = sync::pull_offering(&mut rig.store, &api, &tokens, &*clock, &offering)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth");
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert!(!err.to_string().contains(TOKEN));
}
