//! The plan of a pass, as a pure function of a snapshot of the outbox and the queue's gate
//! (now, blocked, paused, offline, read denied): which offerings to reconcile, which items to
//! send in which order, and when to look again.
//!
//! Rules:
//! - Blocked: nothing (the user must act). Paused (429/503) or offline: only a wake-up time.
//! - Per mark (offering, student, date) items go one at a time in id order: only the oldest
//!   unsettled item (the head) may move; a correction waits until its predecessor is synced,
//!   rejected or cancelled. A `Send` is a chain: the head and the pending items behind it, sent
//!   one after another as each is settled.
//! - An unknown head is reconciled (one GET per offering) before anything of that mark is sent
//!   again, once its retry time has come and `reconcile_after` has passed since it was sent (so a
//!   request the server is still working on has finished). If the token cannot read, unknown
//!   heads wait for the user's "send again".

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ids::Id;
use crate::mark_change::MarkKey;
use crate::outbox::ItemState;
use crate::sync::queue::QueueItem;

/// What holds the whole queue back, and the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub now: DateTime<Utc>,
    pub blocked: bool,
    pub paused_until: Option<DateTime<Utc>>,
    pub offline_until: Option<DateTime<Utc>>,
    pub read_denied: bool,
    pub reconcile_after: Duration,
}

impl Gate {
    /// Nothing holds the queue back (the table tests' starting point).
    #[cfg(test)]
    pub fn open(now: DateTime<Utc>) -> Gate {
        Gate {
            now,
            blocked: false,
            paused_until: None,
            offline_until: None,
            read_denied: false,
            reconcile_after: Duration::ZERO,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// List the offering's records and settle its unknown items.
    Reconcile(Id),
    /// POST these items one after another (one mark, id order).
    Send(Vec<i64>),
    /// Nothing more is due before this time.
    WaitUntil(DateTime<Utc>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// Unknown items that wait for the user's "send again" (the token cannot read).
    pub waiting_for_user: u64,
}

impl Plan {
    pub fn reconciles(&self) -> Vec<Id> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Reconcile(o) => Some(o.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn sends(&self) -> Vec<Vec<i64>> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Send(ids) => Some(ids.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn wake_at(&self) -> Option<DateTime<Utc>> {
        self.actions.iter().find_map(|a| match a {
            Action::WaitUntil(t) => Some(*t),
            _ => None,
        })
    }

    pub fn has_work_now(&self) -> bool {
        self.actions
            .iter()
            .any(|a| !matches!(a, Action::WaitUntil(_)))
    }
}

fn due(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    at.is_none_or(|t| t <= now)
}

/// When an unknown item may be reconciled.
pub fn reconcile_time(item: &QueueItem, reconcile_after: Duration) -> Option<DateTime<Utc>> {
    let grace = item.sent_at.map(|s| s + reconcile_after);
    match (item.next_attempt_at, grace) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The plan for `items` (the active outbox items, any order) under `gate`.
pub fn plan(items: &[QueueItem], gate: &Gate) -> Plan {
    let mut out = Plan::default();
    if gate.blocked || items.is_empty() {
        return out;
    }
    let held = [gate.paused_until, gate.offline_until]
        .into_iter()
        .flatten()
        .filter(|t| *t > gate.now)
        .max();
    if let Some(until) = held {
        out.actions.push(Action::WaitUntil(until));
        return out;
    }
    // By mark: "one item in flight at a time" is about one mark.
    let mut by_key: BTreeMap<MarkKey<'_>, Vec<&QueueItem>> = BTreeMap::new();
    let active = items.iter().filter(|i| {
        matches!(
            i.state,
            ItemState::Pending | ItemState::Sending | ItemState::Unknown
        )
    });
    for item in active {
        by_key.entry(item.body.mark_key()).or_default().push(item);
    }
    let mut reconcile: BTreeSet<Id> = BTreeSet::new();
    let mut chains: Vec<Vec<i64>> = Vec::new();
    let mut wake: Option<DateTime<Utc>> = None;
    let mut later = |t: DateTime<Utc>| wake = Some(wake.map_or(t, |w: DateTime<Utc>| w.min(t)));
    for (key, mut list) in by_key {
        list.sort_by_key(|i| i.id);
        let head = list[0];
        match head.state {
            ItemState::Pending if due(head.next_attempt_at, gate.now) => {
                let chain = list
                    .iter()
                    .take_while(|i| {
                        i.state == ItemState::Pending && due(i.next_attempt_at, gate.now)
                    })
                    .map(|i| i.id)
                    .collect();
                chains.push(chain);
            }
            ItemState::Pending => later(head.next_attempt_at.unwrap_or(gate.now)),
            ItemState::Unknown if gate.read_denied => out.waiting_for_user += 1,
            ItemState::Unknown => match reconcile_time(head, gate.reconcile_after) {
                Some(t) if t > gate.now => later(t),
                _ => {
                    reconcile.insert(key.offering.clone());
                }
            },
            // In flight (or about to be recovered): its outcome decides what comes next.
            _ => {}
        }
    }
    chains.sort_by_key(|c| c[0]);
    out.actions
        .extend(reconcile.into_iter().map(Action::Reconcile));
    out.actions.extend(chains.into_iter().map(Action::Send));
    if let Some(t) = wake {
        out.actions.push(Action::WaitUntil(t));
    }
    out
}

/// Full-jitter exponential backoff: a uniform draw in `0..=min(cap, base * 2^(attempt-1))`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, rng: &mut impl rand::Rng) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let ceiling = base.saturating_mul(1u32 << exp).min(cap);
    let ms = ceiling.as_millis().min(u64::MAX as u128) as u64;
    Duration::from_millis(rng.random_range(0..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Day, Status};
    use crate::sync::record::Attendance;
    use chrono::TimeDelta;
    use rand::SeedableRng;
    use rstest::rstest;

    /// 2024-03-15T08:30:00Z.
    const NOW: DateTime<Utc> = match DateTime::from_timestamp(1_710_491_400, 0) {
        Some(t) => t,
        None => DateTime::UNIX_EPOCH,
    };
    const O1: &str = "11111111-0000-0000-0000-000000000000";
    const O2: &str = "22222222-0000-0000-0000-000000000000";

    /// `(id, offering, student number, state, next attempt in s from now, sent s ago)`
    type Row = (i64, &'static str, u8, ItemState, Option<i64>, Option<i64>);

    fn item(r: Row) -> QueueItem {
        let (id, offering, student, state, next, sent) = r;
        let sid = format!("{student:08}-0000-0000-0000-000000000000");
        QueueItem {
            id,
            state,
            body: Attendance {
                offering_id: Id::parse(offering).unwrap(),
                teacher_assignment_id: Id::parse(O1).unwrap(),
                enrollment_id: Id::parse(O2).unwrap(),
                student_id: Id::parse(&sid).unwrap(),
                date: Day::parse("2024-03-15").unwrap(),
                status: Status::Present,
            },
            attempts: 0,
            next_attempt_at: next.map(|s| NOW + TimeDelta::seconds(s)),
            sent_at: sent.map(|s| NOW - TimeDelta::seconds(s)),
        }
    }

    fn at(s: i64) -> DateTime<Utc> {
        NOW + TimeDelta::seconds(s)
    }

    fn o(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    use ItemState::{Pending as P, Sending as S, Synced as Y, Unknown as U};

    #[rstest]
    #[case::empty(vec![], vec![])]
    #[case::one_pending(vec![(1, O1, 1, P, None, None)], vec![Action::Send(vec![1])])]
    #[case::fifo_across_keys(
        vec![(5, O1, 2, P, None, None), (3, O2, 1, P, None, None)],
        vec![Action::Send(vec![3]), Action::Send(vec![5])]
    )]
    #[case::correction_chained_behind_original(
        vec![(1, O1, 1, P, None, None), (2, O1, 1, P, None, None), (3, O1, 2, P, None, None)],
        vec![Action::Send(vec![1, 2]), Action::Send(vec![3])]
    )]
    #[case::backoff_not_due(
        vec![(1, O1, 1, P, Some(30), Some(5)), (2, O1, 2, P, Some(-1), Some(60))],
        vec![Action::Send(vec![2]), Action::WaitUntil(at(30))]
    )]
    #[case::correction_waits_for_unknown_original(
        vec![(1, O1, 1, U, None, Some(60)), (2, O1, 1, P, None, None)],
        vec![Action::Reconcile(o(O1))]
    )]
    #[case::reconcile_grouped_by_offering(
        vec![(1, O1, 1, U, None, Some(60)), (2, O1, 2, U, None, Some(60)),
             (3, O2, 1, U, None, Some(60)), (4, O2, 2, P, None, None)],
        vec![Action::Reconcile(o(O1)), Action::Reconcile(o(O2)), Action::Send(vec![4])]
    )]
    #[case::reconcile_waits_for_grace(
        vec![(1, O1, 1, U, None, Some(3))],
        vec![Action::WaitUntil(at(7))]
    )]
    #[case::reconcile_waits_for_backoff(
        vec![(1, O1, 1, U, Some(20), Some(60))],
        vec![Action::WaitUntil(at(20))]
    )]
    #[case::in_flight_blocks_its_key(
        vec![(1, O1, 1, S, None, Some(0)), (2, O1, 1, P, None, None), (3, O1, 2, P, None, None)],
        vec![Action::Send(vec![3])]
    )]
    #[case::settled_predecessor_does_not_hold(
        vec![(1, O1, 1, Y, None, Some(60)), (2, O1, 1, P, None, None)],
        vec![Action::Send(vec![2])]
    )]
    fn plans(#[case] rows: Vec<Row>, #[case] want: Vec<Action>) {
        let items: Vec<QueueItem> = rows.into_iter().map(item).collect();
        let gate = Gate {
            reconcile_after: Duration::from_secs(10),
            ..Gate::open(NOW)
        };
        assert_eq!(plan(&items, &gate).actions, want);
    }

    #[rstest]
    #[case::blocked(Gate { blocked: true, ..Gate::open(NOW) }, vec![])]
    #[case::paused(Gate { paused_until: Some(at(30)), ..Gate::open(NOW) },
        vec![Action::WaitUntil(at(30))])]
    #[case::pause_over(Gate { paused_until: Some(at(-1)), ..Gate::open(NOW) },
        vec![Action::Reconcile(o(O1)), Action::Send(vec![2])])]
    #[case::offline(Gate { offline_until: Some(at(4)), paused_until: Some(at(2)), ..Gate::open(NOW) },
        vec![Action::WaitUntil(at(4))])]
    #[case::read_denied(Gate { read_denied: true, ..Gate::open(NOW) }, vec![Action::Send(vec![2])])]
    fn gates(#[case] gate: Gate, #[case] want: Vec<Action>) {
        let items: Vec<QueueItem> = vec![
            item((1, O1, 1, U, None, Some(60))),
            item((2, O2, 1, P, None, None)),
        ];
        let p = plan(&items, &gate);
        assert_eq!(p.actions, want);
        if gate.read_denied {
            assert_eq!(
                p.waiting_for_user, 1,
                "unknown items wait for the user's send again"
            );
        }
    }

    #[test]
    fn backoff_is_full_jitter_within_the_cap() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let base = Duration::from_secs(2);
        let cap = Duration::from_secs(600);
        for attempt in 1..40 {
            let ceiling = base.saturating_mul(1 << (attempt - 1).min(30)).min(cap);
            for _ in 0..50 {
                let d = backoff(attempt, base, cap, &mut rng);
                assert!(d <= ceiling, "attempt {attempt}: {d:?} > {ceiling:?}");
            }
        }
        let mut a = rand::rngs::StdRng::seed_from_u64(1);
        let mut b = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(
            backoff(5, base, cap, &mut a),
            backoff(5, base, cap, &mut b),
            "seeded"
        );
        let spread: BTreeSet<Duration> = (0..20).map(|_| backoff(10, base, cap, &mut a)).collect();
        assert!(spread.len() > 10, "jitter spreads retries");
    }
}
