//! The school's other writers: a check-in kiosk at the front desk posts straight to the Athena
//! API (under a teacher assignment that is not the offering's). The teacher's roll must show
//! those records, say who made them, and "mark the rest present" must never overwrite them.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use athena_sim::{AttendanceRecord, NewAttendance, Status};
use serde_json::Value;

mod support {
    pub mod cli;
    pub mod sim;
}
use support::cli::recent_date;
use support::sim::Rig;

const TOKEN: &str = "tok-CLI-kiosk-4f2a9c";

fn date() -> chrono::NaiveDate {
    rollbook_core::Day::parse(recent_date())
        .expect("date")
        .date()
}

/// The kiosk posts `status` for the `student`th student of the first offering, under the second
/// offering's teacher assignment (another person or system than the offering's teacher).
fn kiosk_posts(rig: &Rig, student: usize, status: Status) -> AttendanceRecord {
    let offering = &rig.sim.offerings()[0];
    let kiosk = rig.sim.offerings()[1].teacher_assignment_id;
    let e = rig
        .sim
        .sample()
        .expect("sample")
        .enrollments_of(offering.id)[student];
    rig.sim.add_record(&NewAttendance {
        course_offering_id: offering.id,
        teacher_assignment_id: kiosk,
        course_enrollment_id: e.id,
        student_id: e.student_id,
        attendance_date: date(),
        status,
    })
}

/// The newest server record of each student of the first offering on [`recent_date`].
fn effective_on_server(rig: &Rig) -> Vec<(String, Status)> {
    let offering = rig.sim.offerings()[0].id;
    let mut newest: std::collections::BTreeMap<String, AttendanceRecord> = Default::default();
    for r in rig.sim.records() {
        if r.course_offering_id == offering && r.attendance_date == date() {
            let key = r.student_id.to_string();
            if newest
                .get(&key)
                .is_none_or(|n| r.recorded_at > n.recorded_at)
            {
                newest.insert(key, r);
            }
        }
    }
    newest.into_iter().map(|(s, r)| (s, r.status)).collect()
}

/// The status of the newest server record of the `student`th student of the first offering.
fn server_status(rig: &Rig, student: usize) -> Status {
    let (_, s) = rig.pick(0, student);
    effective_on_server(rig)
        .into_iter()
        .find(|(id, _)| *id == s)
        .expect("on server")
        .1
}

/// `mark-rest-present --json` on the first offering's roll.
fn rest_present(rig: &Rig) -> Value {
    let (offering, _) = rig.pick(0, 0);
    rig.cli.json(&[
        "mark-rest-present",
        "--offering",
        &offering,
        "--date",
        recent_date(),
        "--json",
    ])
}

fn roll(rig: &Rig) -> Vec<Value> {
    let (offering, _) = rig.pick(0, 0);
    let rows = rig.cli.json(&[
        "roster",
        "show",
        "--offering",
        &offering,
        "--date",
        recent_date(),
        "--json",
    ]);
    rows.as_array().expect("rows").clone()
}

#[test]
fn mark_the_rest_present_keeps_what_the_front_desk_posted() {
    let rig = Rig::small_school(TOKEN);
    let (offering, _) = rig.pick(0, 0);
    let students = rig
        .sim
        .sample()
        .expect("sample")
        .enrollments_of(rig.sim.offerings()[0].id)
        .len();
    kiosk_posts(&rig, 0, Status::Late);
    kiosk_posts(&rig, 1, Status::Absent);
    kiosk_posts(&rig, 2, Status::Excused);
    // The teacher marks one student by hand, then pulls what the server knows.
    rig.mark(0, 3, recent_date(), "absent");
    rig.cli.ok(&["pull", "--offering", &offering]);

    let rows = roll(&rig);
    let (_, late) = rig.pick(0, 0);
    let row = rows
        .iter()
        .find(|r| r["student_id"] == late.as_str())
        .expect("row");
    assert_eq!(row["status"], "late");
    assert_eq!(row["from_server"], true);
    assert_eq!(
        row["marked_by"], "other",
        "the kiosk is another teacher or system: {row}"
    );
    assert!(row["recorded_at"].is_string(), "{row}");

    let statuses =
        |rows: &[Value]| -> Vec<Value> { rows.iter().map(|r| r["status"].clone()).collect() };
    let before = statuses(&rows);
    let rest = rest_present(&rig);
    assert_eq!(rest["marked"], students as u64 - 4);
    assert_eq!(
        rest["kept"], 4,
        "three kiosk records and the teacher's own mark"
    );
    rig.cli
        .ok(&["undo", "--offering", &offering, "--date", recent_date()]);
    assert_eq!(
        statuses(&roll(&rig)),
        before,
        "undo restores exactly the previous roll"
    );
    rig.cli.ok(&[
        "mark-rest-present",
        "--offering",
        &offering,
        "--date",
        recent_date(),
    ]);
    rig.cli.ok(&["sync", "--wait"]);

    assert_eq!(effective_on_server(&rig).len(), students);
    assert_eq!(
        (
            server_status(&rig, 0),
            server_status(&rig, 1),
            server_status(&rig, 2),
            server_status(&rig, 3)
        ),
        (
            Status::Late,
            Status::Absent,
            Status::Excused,
            Status::Absent
        ),
        "the front desk's records are still the effective marks on the server"
    );
    for n in 4..students {
        assert_eq!(server_status(&rig, n), Status::Present);
    }
}

#[test]
fn a_newer_kiosk_record_after_the_teachers_delivered_mark_wins() {
    let rig = Rig::small_school(TOKEN);
    let (offering, student) = rig.pick(0, 0);
    rig.mark(0, 0, recent_date(), "absent");
    rig.cli.ok(&["sync", "--wait"]);
    kiosk_posts(&rig, 0, Status::Late);
    rig.cli.ok(&["pull", "--offering", &offering]);

    let rows = roll(&rig);
    let row = rows
        .iter()
        .find(|r| r["student_id"] == student.as_str())
        .expect("row");
    assert_eq!(
        row["status"], "late",
        "the newest record is the effective mark"
    );
    assert_eq!(row["marked_by"], "other");
    assert_eq!(
        row["changed_elsewhere"], true,
        "the kiosk changed the teacher's delivered mark: the roll says so: {row}"
    );

    let text = rig.cli.ok(&[
        "roster",
        "show",
        "--offering",
        &offering,
        "--date",
        recent_date(),
    ]);
    assert!(
        text.contains("changed by another teacher or system at"),
        "the table says it too: {text}"
    );

    let history = rig.cli.json(&[
        "history",
        "--offering",
        &offering,
        "--student",
        &student,
        "--date",
        recent_date(),
        "--json",
    ]);
    let kinds: Vec<(String, String)> = history
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let status = e["new_status"].as_str().or(e["status"].as_str());
            (
                e["kind"].as_str().unwrap_or("?").to_string(),
                status.unwrap_or("?").to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("local".to_string(), "absent".to_string()),
            ("server".to_string(), "late".to_string())
        ],
        "the teacher's change, then the kiosk's record (its own record not listed twice): {history}"
    );
    assert_eq!(history[1]["marked_by"], "other", "{history}");
    let text = rig.cli.ok(&[
        "history",
        "--offering",
        &offering,
        "--student",
        &student,
        "--date",
        recent_date(),
    ]);
    assert!(
        text.contains("late  by another teacher or system"),
        "{text}"
    );
    let rows = roll(&rig);
    let row = rows
        .iter()
        .find(|r| r["student_id"] == student.as_str())
        .expect("row");
    assert_eq!(
        row["changed_elsewhere"], false,
        "looking at the history acknowledges it: {row}"
    );

    let rest = rest_present(&rig);
    assert_eq!(rest["kept"], 1);
    rig.cli.ok(&["sync", "--wait"]);
    assert_eq!(
        server_status(&rig, 0),
        Status::Late,
        "never overwritten by the teacher's device"
    );
}

#[test]
fn sync_brings_in_what_the_front_desk_posted_and_rest_present_keeps_it() {
    let rig = Rig::small_school(TOKEN);
    // The teacher has started the roll on this device; the kiosk posts three arrivals.
    rig.mark(0, 3, recent_date(), "absent");
    kiosk_posts(&rig, 0, Status::Late);
    kiosk_posts(&rig, 1, Status::Absent);
    kiosk_posts(&rig, 2, Status::Excused);

    let report = rig.cli.json(&["sync", "--wait", "--json"]);
    assert_eq!(report["confirmed"], 1);
    assert_eq!(report["refreshed"]["offerings"], 1, "{report}");
    assert_eq!(report["refreshed"]["new_records"], 3, "{report}");
    let rows = roll(&rig);
    let shown: Vec<&Value> = (0..3)
        .map(|n| {
            let (_, s) = rig.pick(0, n);
            let row = rows
                .iter()
                .find(|r| r["student_id"] == s.as_str())
                .expect("row");
            assert_eq!(row["marked_by"], "other", "{row}");
            &row["status"]
        })
        .collect();
    assert_eq!(
        shown,
        ["late", "absent", "excused"],
        "the roll shows the kiosk's marks"
    );

    let rest = rest_present(&rig);
    assert_eq!(rest["kept"], 4);
    rig.cli.ok(&["sync", "--wait"]);
    assert_eq!(
        (
            server_status(&rig, 0),
            server_status(&rig, 1),
            server_status(&rig, 2)
        ),
        (Status::Late, Status::Absent, Status::Excused),
        "the front desk's truth is not rewritten"
    );
}

#[test]
fn a_refresh_that_cannot_list_says_so_and_the_delivery_still_counts() {
    let rig = Rig::small_school(TOKEN);
    rig.mark(0, 0, recent_date(), "present");
    let out = rig.cli.run(&["sync", "--no-refresh", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        report["refreshed"],
        Value::Null,
        "--no-refresh delivers only"
    );
    rig.mark(0, 1, recent_date(), "late");
    rig.sim
        .set_faults(athena_sim::Faults::parse("500=1,methods=get").expect("faults"));
    let out = rig.cli.run(&["sync", "--wait"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the marks were delivered: {stderr}"
    );
    assert!(
        stderr.contains("1 offering not refreshed") && stderr.contains("500"),
        "the refresh's failure is named: {stderr}"
    );
    assert_eq!(rig.sim.record_count(), 2);
}

#[test]
fn a_refresh_told_to_wait_pauses_the_queue_like_a_delivery() {
    let rig = Rig::small_school(TOKEN);
    rig.mark(0, 0, recent_date(), "present");
    rig.cli.ok(&["sync", "--wait", "--no-refresh"]);
    rig.sim.set_faults(
        athena_sim::Faults::parse("429=1,methods=get,retry_after=120").expect("faults"),
    );
    let out = rig.cli.run(&["sync"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not refreshed") && stderr.contains("wait"),
        "{stderr}"
    );
    let status = rig.cli.json(&["status", "--json"]);
    assert!(
        status["paused_until"].is_string(),
        "the server's Retry-After holds the queue too: {status}"
    );
    let lists = rig.sim.list_count();
    rig.cli.ok(&["sync"]);
    assert_eq!(
        rig.sim.list_count(),
        lists,
        "no listing while the server said to wait"
    );
}
