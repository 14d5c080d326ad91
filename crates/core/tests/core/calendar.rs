//! Rolls still to take: past school days of the last two weeks whose roll is not taken or only
//! partly taken, with the offerings' meeting days and the school's non-school days.

use rollbook_core::calendar::{self, SCHOOL_WEEK};
use rollbook_core::roll::{self, MissingRoll, RollState};
use rollbook_core::Status::{Absent, Present};
use rstest::rstest;

use crate::common::*;

/// Friday 2024-03-15 is [`DATE`]; the days before it, by name.
const THU: &str = "2024-03-14";
const WED: &str = "2024-03-13";
const TUE: &str = "2024-03-12";
const MON: &str = "2024-03-11";
const FRI_BEFORE: &str = "2024-03-08";

fn missing(store: &rollbook_core::store::Store, days: u32) -> Vec<(String, String, RollState)> {
    roll::missing_rolls(store, today(), days)
        .expect("missing rolls")
        .into_iter()
        .map(|MissingRoll { date, offering }| (date.to_string(), offering.name, offering.state))
        .collect()
}

fn mark_all(store: &mut rollbook_core::store::Store, offering: &str, date: &str) {
    let clock = clock();
    let students: &[&str] = if offering == MATH {
        &[JOSE, ANA, BRUNO]
    } else {
        &[JOSE]
    };
    for s in students {
        try_mark_on(store, &clock, offering, s, date, Present).expect("mark");
    }
}

#[test]
fn past_school_days_without_a_full_roll_are_listed_newest_first() {
    let mut store = school();
    let clock = clock();
    // Thursday: MATH taken, SCIENCE not. Wednesday: MATH partly (one of three). Today (Friday)
    // is not a past day. Weekends are not school days.
    mark_all(&mut store, MATH, THU);
    try_mark_on(&mut store, &clock, MATH, ANA, WED, Absent).expect("mark");
    mark_all(&mut store, SCIENCE, WED);
    for d in [TUE, MON, FRI_BEFORE] {
        mark_all(&mut store, MATH, d);
        mark_all(&mut store, SCIENCE, d);
    }
    assert_eq!(
        missing(&store, 7),
        [
            (
                THU.to_string(),
                "Ciencias 7A".to_string(),
                RollState::NotTaken
            ),
            (
                WED.to_string(),
                "Matemáticas 7A".to_string(),
                RollState::Partly
            ),
        ],
        "Thursday's science roll and Wednesday's partly taken math roll, newest first; \
         Saturday and Sunday are not school days"
    );
    assert_eq!(
        missing(&store, 14).len(),
        2 + 2 * 5,
        "the week before that: nothing taken"
    );
}

#[test]
fn meeting_days_and_non_school_days_decide_which_days_were_due() {
    let mut store = school();
    mark_all(&mut store, MATH, THU);
    mark_all(&mut store, MATH, WED);
    mark_all(&mut store, MATH, TUE);
    mark_all(&mut store, MATH, MON);
    // Science meets on Tuesdays and Thursdays only; Monday was a holiday.
    let days = calendar::set_meeting_days(&mut store, &id(SCIENCE), &[4, 2]).expect("set");
    assert_eq!(days, [2, 4]);
    let file = "date,name\n2024-03-11,Holiday\n2024-03-12;x\n";
    let err = calendar::import_non_school_days_csv(&mut store, file.as_bytes(), "days.csv")
        .expect_err("a bad row refuses the file");
    assert!(err.to_string().contains("days.csv"), "{err}");
    assert!(
        calendar::non_school_days(&store).expect("days").is_empty(),
        "nothing half-written"
    );
    let file = "date,name\n2024-03-11,Holiday\n2024-03-12,Teacher training\n";
    let done = calendar::import_non_school_days_csv(&mut store, file.as_bytes(), "days.csv")
        .expect("import");
    assert_eq!((done.rows, done.days), (2, 2));
    assert_eq!(
        missing(&store, 4),
        [(
            THU.to_string(),
            "Ciencias 7A".to_string(),
            RollState::NotTaken
        )],
        "science did not meet Wednesday; Tuesday and Monday were non-school days"
    );
    // A corrected file replaces the list: Tuesday is a school day again.
    let file = "date\n2024-03-11\n";
    calendar::import_non_school_days_csv(&mut store, file.as_bytes(), "days.csv").expect("import");
    assert_eq!(
        missing(&store, 4).len(),
        2,
        "Tuesday's science roll is due again"
    );
    // Back to Monday to Friday.
    let days = calendar::set_meeting_days(&mut store, &id(SCIENCE), &[]).expect("reset");
    assert_eq!(days, SCHOOL_WEEK);
}

#[test]
fn server_records_count_toward_a_taken_roll() {
    let mut store = school();
    // Science's only student was marked on Thursday by another device (a pulled record).
    store
        .conn()
        .execute(
            "INSERT INTO server_record (id, school_id, offering_id, teacher_assignment_id,
                 enrollment_id, student_id, date, status, recorded_at, recorded_at_us, fetched_at)
             VALUES ('f0000000-0000-4000-8000-0000000000aa', NULL, ?1, ?2, ?3, ?4, ?5, 'late',
                     '2024-03-14T08:00:00Z', 1710403200000000, '2024-03-14T09:00:00Z')",
            (SCIENCE, TEACHER2, E_JOSE_SCIENCE, JOSE, THU),
        )
        .expect("cached record");
    mark_all(&mut store, MATH, THU);
    assert!(
        missing(&store, 1).is_empty(),
        "both of Thursday's rolls are taken"
    );
}

#[rstest]
#[case::weekday_zero(&[0])]
#[case::weekday_eight(&[1, 8])]
fn a_weekday_out_of_range_is_refused(#[case] days: &[u8]) {
    let mut store = school();
    let err = calendar::set_meeting_days(&mut store, &id(SCIENCE), days).expect_err("refused");
    assert_eq!(err.code(), "invalid");
    assert!(err.to_string().contains("not a weekday"), "{err}");
    assert_eq!(
        calendar::meeting_days(&store, &id(SCIENCE)).expect("days"),
        SCHOOL_WEEK
    );
}
