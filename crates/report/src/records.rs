//! The input of every report: one effective record per (course offering, student, date).

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rollbook_core::clock::parse_rfc3339;
use rollbook_core::{Day, Id, Status};
use serde::{Deserialize, Serialize};

/// One effective attendance mark: the one that counts for this offering, student and date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub offering_id: Id,
    pub offering_name: Option<String>,
    pub student_id: Id,
    pub date: Day,
    pub status: Status,
}

/// A mark as it was recorded: from the server cache (confirmed) or a local mark not yet
/// confirmed by the server. Several may exist for one (offering, student, date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRecord {
    pub offering_id: Id,
    pub offering_name: Option<String>,
    pub student_id: Id,
    pub date: Day,
    pub status: Status,
    /// RFC 3339 instant, e.g. `2024-03-15T09:30:00Z` or with an offset.
    pub recorded_at: String,
    /// A local mark the server has not confirmed yet.
    pub local_unconfirmed: bool,
}

/// Keeps one record per (offering, student, date), the project-wide rule (DESIGN.md,
/// "Decisions fixed"): an unconfirmed local mark wins over anything from the server; otherwise
/// the newest `recorded_at` wins, compared as instants (an offset makes string order wrong).
///
/// A correction therefore counts once. Ties and unparseable instants are resolved
/// deterministically: an unparseable `recorded_at` ranks below any parseable one, and among
/// equals the later record in the input wins. Among several unconfirmed local marks the same
/// order applies. The result is sorted by date, offering, student.
pub fn effective(records: Vec<RawRecord>) -> Vec<SessionRecord> {
    type Key = (Day, Id, Id);
    let mut best: HashMap<Key, (Rank, RawRecord)> = HashMap::with_capacity(records.len());
    for (index, record) in records.into_iter().enumerate() {
        let rank = Rank {
            local_unconfirmed: record.local_unconfirmed,
            at: parse_rfc3339(&record.recorded_at),
            index,
        };
        let key = (
            record.date,
            record.offering_id.clone(),
            record.student_id.clone(),
        );
        match best.get(&key) {
            Some((kept, _)) if kept.cmp(&rank) == Ordering::Greater => {}
            _ => {
                best.insert(key, (rank, record));
            }
        }
    }
    let mut out: Vec<SessionRecord> = best
        .into_values()
        .map(|(_, r)| SessionRecord {
            offering_id: r.offering_id,
            offering_name: r.offering_name,
            student_id: r.student_id,
            date: r.date,
            status: r.status,
        })
        .collect();
    out.sort_by(|a, b| {
        (a.date, &a.offering_id, &a.student_id).cmp(&(b.date, &b.offering_id, &b.student_id))
    });
    out
}

/// Which of two records for the same key wins: the greater one.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    local_unconfirmed: bool,
    /// `None` (unparseable) sorts below every instant.
    at: Option<DateTime<Utc>>,
    index: usize,
}
