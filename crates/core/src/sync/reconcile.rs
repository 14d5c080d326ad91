//! Settling unknown items: an item whose POST may or may not have been stored is looked for in
//! its offering's list before anything of that mark is sent again. The matching is a pure
//! function: a record with the same six fields that no local item owns, not older than the
//! mark's last confirmed record, oldest first; extra matches are reported as duplicates.

use std::collections::{HashMap, HashSet};

use crate::ids::Id;
use crate::sync::queue::QueueItem;
use crate::sync::record::{Attendance, ServerRecord};

/// An unknown item and the floor its record must reach: the `recorded_at` (µs) of the newest
/// confirmed record of an older item of the same mark (else the server's effective mark would be
/// the older one).
#[derive(Debug, Clone)]
pub struct Candidate {
    pub item: QueueItem,
    pub floor_us: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The item's record is on the server. `extra`: other unowned records with the same fields.
    Found {
        item: i64,
        record: Box<ServerRecord>,
        extra: Vec<Id>,
    },
    /// Not on the server: send it again.
    NotFound { item: i64 },
}

/// Matches unknown items (oldest first) to the offering's records.
pub fn match_unknown(
    unknown: &[Candidate],
    records: &[ServerRecord],
    owned: &HashSet<Id>,
) -> Vec<Resolution> {
    let mut groups: Vec<(&Attendance, Vec<&Candidate>)> = Vec::new();
    let mut index: HashMap<&Attendance, usize> = HashMap::new();
    let mut sorted: Vec<&Candidate> = unknown.iter().collect();
    sorted.sort_by_key(|c| c.item.id);
    for c in sorted {
        let i = *index.entry(&c.item.body).or_insert_with(|| {
            groups.push((&c.item.body, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(c);
    }
    let mut out = Vec::with_capacity(unknown.len());
    for (fields, items) in groups {
        let mut candidates: Vec<&ServerRecord> = records
            .iter()
            .filter(|r| r.fields == *fields && !owned.contains(&r.id))
            .collect();
        candidates.sort_by(|a, b| (a.recorded_at_us(), &a.id).cmp(&(b.recorded_at_us(), &b.id)));
        let mut claimed = vec![false; candidates.len()];
        let mut last_found: Option<usize> = None;
        let mut prev_us: Option<i64> = None;
        let first_floor = items.first().and_then(|c| c.floor_us);
        for c in &items {
            let floor = match (c.floor_us, prev_us) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            let pick = candidates
                .iter()
                .enumerate()
                .find(|(i, r)| !claimed[*i] && floor.is_none_or(|f| r.recorded_at_us() >= f));
            match pick {
                Some((i, r)) => {
                    claimed[i] = true;
                    prev_us = Some(r.recorded_at_us());
                    out.push(Resolution::Found {
                        item: c.item.id,
                        record: Box::new((*r).clone()),
                        extra: Vec::new(),
                    });
                    last_found = Some(out.len() - 1);
                }
                None => out.push(Resolution::NotFound { item: c.item.id }),
            }
        }
        let extra: Vec<Id> = candidates
            .iter()
            .enumerate()
            .filter(|(i, r)| !claimed[*i] && first_floor.is_none_or(|f| r.recorded_at_us() >= f))
            .map(|(_, r)| r.id.clone())
            .collect();
        if let (Some(at), false) = (last_found, extra.is_empty()) {
            if let Resolution::Found { extra: slot, .. } = &mut out[at] {
                *slot = extra;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::utc;
    use crate::ids::{Day, Status};
    use crate::outbox::ItemState;

    fn id(n: u32) -> Id {
        Id::parse(&format!("{n:08x}-0000-4000-8000-000000000000")).unwrap()
    }

    fn fields(student: u32, status: Status) -> Attendance {
        Attendance {
            offering_id: id(1),
            teacher_assignment_id: id(2),
            enrollment_id: id(3),
            student_id: id(100 + student),
            date: Day::parse("2024-03-15").unwrap(),
            status,
        }
    }

    fn unknown(item: i64, body: Attendance, floor_us: Option<i64>) -> Candidate {
        Candidate {
            item: QueueItem {
                id: item,
                state: ItemState::Unknown,
                body,
                attempts: 1,
                next_attempt_at: None,
                sent_at: None,
            },
            floor_us,
        }
    }

    fn record(n: u32, body: Attendance, second: i64) -> ServerRecord {
        let at = utc("2024-03-15T08:00:00Z") + chrono::TimeDelta::seconds(second);
        ServerRecord {
            id: id(1000 + n),
            school_id: id(9),
            fields: body,
            recorded_at: at,
            recorded_at_raw: crate::clock::rfc3339(at),
        }
    }

    fn us(second: i64) -> i64 {
        record(0, fields(0, Status::Present), second).recorded_at_us()
    }

    #[test]
    fn found_and_not_found() {
        let a = fields(1, Status::Present);
        let b = fields(2, Status::Absent);
        let got = match_unknown(
            &[unknown(1, a.clone(), None), unknown(2, b, None)],
            &[record(1, a, 5), record(2, fields(2, Status::Late), 6)],
            &HashSet::new(),
        );
        assert_eq!(
            got,
            vec![
                Resolution::Found {
                    item: 1,
                    record: Box::new(record(1, fields(1, Status::Present), 5)),
                    extra: vec![]
                },
                Resolution::NotFound { item: 2 },
            ],
            "only the same six fields count: a late record is not an absent one"
        );
    }

    #[test]
    fn owned_records_are_never_claimed_twice() {
        let a = fields(1, Status::Present);
        let got = match_unknown(
            &[unknown(7, a.clone(), None)],
            &[record(1, a, 5)],
            &HashSet::from([id(1001)]),
        );
        assert_eq!(got, vec![Resolution::NotFound { item: 7 }]);
    }

    #[test]
    fn several_matches_link_the_oldest_and_report_the_rest() {
        let a = fields(1, Status::Present);
        let got = match_unknown(
            &[unknown(3, a.clone(), None)],
            &[
                record(2, a.clone(), 9),
                record(1, a.clone(), 5),
                record(3, a.clone(), 7),
            ],
            &HashSet::new(),
        );
        assert_eq!(
            got,
            vec![Resolution::Found {
                item: 3,
                record: Box::new(record(1, a, 5)),
                extra: vec![id(1003), id(1002)]
            }]
        );
    }

    #[test]
    fn two_unknown_items_with_the_same_fields_each_get_one() {
        let a = fields(1, Status::Present);
        let got = match_unknown(
            &[unknown(4, a.clone(), None), unknown(2, a.clone(), None)],
            &[record(1, a.clone(), 5), record(2, a.clone(), 8)],
            &HashSet::new(),
        );
        assert_eq!(
            got,
            vec![
                Resolution::Found {
                    item: 2,
                    record: Box::new(record(1, a.clone(), 5)),
                    extra: vec![]
                },
                Resolution::Found {
                    item: 4,
                    record: Box::new(record(2, a, 8)),
                    extra: vec![]
                },
            ]
        );
    }

    #[test]
    fn a_record_older_than_the_marks_last_confirmed_one_is_not_ours() {
        // present (another device, t=5) ... our absent confirmed at t=10 ... our present unknown
        let a = fields(1, Status::Present);
        let got = match_unknown(
            &[unknown(9, a.clone(), Some(us(10)))],
            &[record(1, a.clone(), 5)],
            &HashSet::new(),
        );
        assert_eq!(
            got,
            vec![Resolution::NotFound { item: 9 }],
            "linking it would leave the server's effective mark absent"
        );
        let got = match_unknown(
            &[unknown(9, a.clone(), Some(us(10)))],
            &[record(1, a.clone(), 5), record(2, a.clone(), 12)],
            &HashSet::new(),
        );
        assert_eq!(
            got,
            vec![Resolution::Found {
                item: 9,
                record: Box::new(record(2, a, 12)),
                extra: vec![]
            }]
        );
    }
}
