//! The school's other writers in the real window: a check-in kiosk posts to the server while a
//! roll is open; the row shows the kiosk's mark within one refresh, says who made it, keeps the
//! focus where it was, and "mark the rest present" (Shift+R) leaves it as it is.

use athena_sim::{NewAttendance, Sim, Status, ALL_SCOPES};

use super::driver::Driver;
use super::page::{find, press, pressed_statuses, text, wait_until, NULL, SHIFT};
use super::{
    attr, enabled, focused_row, import_roster, open_roll, records_of, sign_in, SEED, TOKEN,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_mark_appears_in_the_open_roll_and_rest_present_keeps_it() {
    if !enabled() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let sim = Sim::builder()
        .sample_school(SEED)
        .empty_store()
        .token(TOKEN, &ALL_SCOPES)
        .start()
        .await
        .expect("the sim starts");
    let school = sim.sample().expect("the sample school").clone();
    let class = school.offering_of_size(30).expect("a class of 30").clone();
    let kiosk = school
        .offerings
        .iter()
        .find(|o| o.id != class.id)
        .expect("another offering")
        .teacher_assignment_id;
    let roster_file = home.path().join("sis-export.csv");
    std::fs::write(&roster_file, school.roster_csv()).unwrap();
    // Refresh every 2 s instead of 10 minutes, so the test sees one soon.
    let driver = Driver::start_with(home.path(), &[("ROLLBOOK_REFRESH_SECONDS", "2")]);
    let window = driver.launch(&[]).await;
    sign_in(&window, &sim.base_url()).await;
    import_roster(&window, &roster_file).await;

    // The teacher starts the roll: the first student present (the focus moves to the second).
    let offering = class.id.to_string();
    let date = open_roll(&window, &offering).await;
    press(&window, "p").await;
    wait_until(&window, "the first mark reaches the server", || async {
        records_of(&sim, &offering, &date).len() == 1
    })
    .await;
    let focused = focused_row(&window).await;

    // The front desk's kiosk posts "late" for the third student.
    let third = *school.enrollments_of(class.id)[2];
    sim.add_record(&NewAttendance {
        course_offering_id: class.id,
        teacher_assignment_id: kiosk,
        course_enrollment_id: third.id,
        student_id: third.student_id,
        attendance_date: athena_sim::parse_date(&date).expect("the roll's date"),
        status: Status::Late,
    });
    let row = format!("[role=row][data-student-id='{}']", third.student_id);
    wait_until(
        &window,
        "the kiosk's mark shows in the open roll",
        || async { attr(&window, &row, "data-status").await == "late" },
    )
    .await;
    let badge = text(&window, &format!("{row} [data-testid=delivery]")).await;
    assert!(
        badge.contains("Another teacher or system"),
        "the row says who marked it: {badge}"
    );
    assert_eq!(
        focused_row(&window).await,
        focused,
        "the refresh did not move the focus"
    );

    // Shift+R: everyone else present, the kiosk's late kept, here and on the server.
    press(&window, &format!("{SHIFT}r{NULL}")).await;
    wait_until(&window, "the rest reach the server", || async {
        records_of(&sim, &offering, &date).len() == 30
    })
    .await;
    assert_eq!(
        attr(&window, &row, "data-status").await,
        "late",
        "Shift+R never overwrites the kiosk's mark"
    );
    let statuses = pressed_statuses(&window).await;
    assert_eq!(statuses.iter().filter(|s| *s == "present").count(), 29);
    let on_server = records_of(&sim, &offering, &date);
    assert_eq!(
        on_server[&third.student_id.to_string()],
        ["late"],
        "nothing of this device went over the front desk's record"
    );
    find(&window, "[data-testid=toast]").await;
    window.close().await.unwrap();
}
