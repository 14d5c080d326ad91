//! Which offerings the engine refreshes: those this device marked in the last two weeks, the
//! ones marked today first; a device that marks nothing refreshes nothing.

use rollbook_core::sync::{refresh_targets, REFRESH_DAYS};
use rollbook_core::Status::Present;

use crate::common::*;

#[test]
fn a_device_that_marks_nothing_refreshes_nothing() {
    let store = school();
    assert!(
        refresh_targets(&store, today())
            .expect("targets")
            .is_empty(),
        "a counselor's device uses the school pull, not a background refresh"
    );
}

#[test]
fn offerings_marked_in_the_last_two_weeks_today_first() {
    let mut store = school();
    let clock = clock();
    // SCIENCE marked today; MATH three days ago.
    try_mark_on(&mut store, &clock, MATH, ANA, "2024-03-12", Present).expect("mark");
    try_mark_on(&mut store, &clock, SCIENCE, JOSE, DATE, Present).expect("mark");
    assert_eq!(
        refresh_targets(&store, today()).expect("targets"),
        [id(SCIENCE), id(MATH)],
        "today's offerings lead"
    );
    // Two weeks and a day later, neither mark is recent any more.
    let later = today().days_before(0);
    let later = rollbook_core::Day::from_date(
        later.date() + chrono::TimeDelta::days(i64::from(REFRESH_DAYS) + 4),
    );
    assert!(refresh_targets(&store, later).expect("targets").is_empty());
}
