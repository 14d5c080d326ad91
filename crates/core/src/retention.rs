//! Keeping records on this computer for a limited time: a setting (how many days to keep, none
//! by default: everything is kept) and a purge that removes what is older.
//!
//! A purge removes, for every (offering, student, date) dated before the cutoff (today minus
//! the days to keep), the local mark, its history, its outbox items and the cached server
//! records, but only when every outbox item of that key is `synced` or `cancelled`: a mark the
//! server has not confirmed yet (pending, sending, unknown or rejected) is kept whole, and
//! counted. Server records with no local item at all go too. All of it is one transaction,
//! which also writes a `purge_log` row. [`preview`] counts the same rows without deleting.
//!
//! A pull (or a listing the sync engine reconciles with) does not bring back what a purge
//! removed: [`pull_cutoff`] is the day before which server records are not cached.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::clock::rfc3339;
use crate::error::{quoted, Error, Result};
use crate::ids::Day;
use crate::store::{setting_in, Store, Writes};

/// The setting that holds the number of days to keep (absent: keep everything).
pub const SETTING_KEEP_DAYS: &str = "retention_keep_days";

/// The most days that can be kept (100 years); more is surely a typing mistake.
pub const MAX_KEEP_DAYS: u32 = 36_500;

/// True for a key none of whose outbox items still waits for the server. The key's columns are
/// `offering_id`, `student_id` and `date` of the row being looked at (served by
/// `outbox_by_key`).
const SETTLED: &str = "NOT EXISTS (SELECT 1 FROM outbox o
     WHERE o.offering_id = t.offering_id AND o.student_id = t.student_id AND o.date = t.date
       AND o.state NOT IN ('synced', 'cancelled'))";

/// The tables a purge removes rows from, in the order it deletes them: history first, since
/// `mark_change.outbox_id` refers to `outbox`.
const TABLES: [&str; 4] = ["mark_change", "outbox", "mark", "server_record"];

/// What a purge removed (or, from [`preview`], would remove).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub keep_days: u32,
    /// Records dated before this day are removed.
    pub cutoff: Day,
    pub marks: u64,
    /// History rows (`mark_change`).
    pub changes: u64,
    pub outbox_items: u64,
    pub server_records: u64,
    /// (offering, student, date) keys older than the cutoff kept because the server has not
    /// confirmed them yet.
    pub kept_unconfirmed: u64,
}

impl PurgeReport {
    /// Rows removed, all tables together.
    pub fn removed(&self) -> u64 {
        self.marks + self.changes + self.outbox_items + self.server_records
    }
}

/// One row of `purge_log`: a purge that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeRecord {
    pub id: i64,
    /// RFC 3339 UTC.
    pub ran_at: String,
    #[serde(flatten)]
    pub report: PurgeReport,
}

/// The setting and the latest purge, as the settings screen and `rollbook-cli retention` show
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retention {
    /// `None`: everything is kept.
    pub keep_days: Option<u32>,
    pub last_purge: Option<PurgeRecord>,
}

/// `n` if it is a number of days that can be kept (1 to [`MAX_KEEP_DAYS`]).
pub fn check_keep_days(n: u32) -> Result<u32> {
    if (1..=MAX_KEEP_DAYS).contains(&n) {
        Ok(n)
    } else {
        Err(Error::Invalid(format!(
            "{n} is not a number of days to keep: expected 1 to {MAX_KEEP_DAYS}"
        )))
    }
}

/// Parses a number of days as typed: blank is `None` (keep everything).
pub fn parse_keep_days(raw: &str) -> Result<Option<u32>> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<u32>() {
        Ok(n) => check_keep_days(n).map(Some),
        Err(_) => Err(Error::Invalid(format!(
            "{} is not a number of days to keep: expected a whole number from 1 to \
             {MAX_KEEP_DAYS}",
            quoted(s)
        ))),
    }
}

/// The saved number of days to keep; `None` when everything is kept.
pub fn keep_days(store: &Store) -> Result<Option<u32>> {
    match store.setting(SETTING_KEEP_DAYS)? {
        None => Ok(None),
        Some(raw) => parse_keep_days(&raw).map_err(|e| {
            Error::Invalid(format!(
                "the saved setting {SETTING_KEEP_DAYS} in {}: {e}; save it again",
                store.display_path()
            ))
        }),
    }
}

/// Saves the number of days to keep (`None`: keep everything). Nothing is purged here.
pub fn set_keep_days(store: &Store, keep_days: Option<u32>) -> Result<()> {
    let value = keep_days.map(check_keep_days).transpose()?;
    store.set_setting(SETTING_KEEP_DAYS, value.map(|n| n.to_string()).as_deref())
}

/// The setting and the latest purge.
pub fn retention(store: &Store) -> Result<Retention> {
    Ok(Retention {
        keep_days: keep_days(store)?,
        last_purge: last_purge(store)?,
    })
}

/// The first day that is kept: `today` minus `keep_days`.
pub fn cutoff(keep_days: u32, today: Day) -> Result<Day> {
    let keep_days = check_keep_days(keep_days)?;
    today
        .checked_add_days(-i64::from(keep_days))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{keep_days} days before {today} is not a date this calendar has"
            ))
        })
}

/// Counts what [`purge`] would remove with these arguments, changing nothing.
pub fn preview(store: &Store, keep_days: u32, today: Day) -> Result<PurgeReport> {
    let cutoff = cutoff(keep_days, today)?;
    let conn = store.conn();
    let mut counts = [0_u64; 4];
    for (count, table) in counts.iter_mut().zip(TABLES) {
        let n: i64 = conn
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM {table} t WHERE t.date < ?1 AND {SETTLED}"
            ))?
            .query_row([cutoff], |r| r.get(0))?;
        *count = n.max(0) as u64;
    }
    report(conn, keep_days, cutoff, counts)
}

/// Removes every settled record dated before `today` minus `keep_days` (see the module docs)
/// and logs the purge, in one transaction.
pub fn purge(
    store: &mut Store,
    keep_days: u32,
    today: Day,
    now: DateTime<Utc>,
) -> Result<PurgeReport> {
    let cutoff = cutoff(keep_days, today)?;
    let tx = store.transaction(Writes::Both)?;
    let mut counts = [0_u64; 4];
    for (count, table) in counts.iter_mut().zip(TABLES) {
        *count = tx.execute(
            &format!("DELETE FROM {table} AS t WHERE t.date < ?1 AND {SETTLED}"),
            [cutoff],
        )? as u64;
    }
    let report = report(&tx, keep_days, cutoff, counts)?;
    // What the teacher saw of records that are gone goes with them (crate::history).
    tx.execute(
        "DELETE FROM mark_seen AS s WHERE s.date < ?1 AND NOT EXISTS (SELECT 1 FROM server_record r
           WHERE r.offering_id = s.offering_id AND r.student_id = s.student_id AND r.date = s.date)",
        [cutoff],
    )?;
    tx.execute(
        "INSERT INTO purge_log (ran_at, cutoff, keep_days, marks, changes, outbox_items,
             server_records, kept_unconfirmed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            rfc3339(now),
            report.cutoff,
            report.keep_days,
            report.marks as i64,
            report.changes as i64,
            report.outbox_items as i64,
            report.server_records as i64,
            report.kept_unconfirmed as i64,
        ],
    )?;
    tx.commit()?;
    Ok(report)
}

/// Purges with the saved setting; `None` (and nothing written) when everything is kept.
pub fn purge_with_setting(
    store: &mut Store,
    today: Day,
    now: DateTime<Utc>,
) -> Result<Option<PurgeReport>> {
    match keep_days(store)? {
        Some(days) => purge(store, days, today, now).map(Some),
        None => Ok(None),
    }
}

/// The report from the table counts (in [`TABLES`] order) and the keys kept.
fn report(conn: &Connection, keep_days: u32, cutoff: Day, counts: [u64; 4]) -> Result<PurgeReport> {
    let kept: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT DISTINCT offering_id, student_id, date FROM outbox
             WHERE date < ?1 AND state NOT IN ('synced', 'cancelled'))",
        )?
        .query_row([cutoff], |r| r.get(0))?;
    let [changes, outbox_items, marks, server_records] = counts;
    Ok(PurgeReport {
        keep_days,
        cutoff,
        marks,
        changes,
        outbox_items,
        server_records,
        kept_unconfirmed: kept.max(0) as u64,
    })
}

/// The newest purge, if one ever ran.
pub fn last_purge(store: &Store) -> Result<Option<PurgeRecord>> {
    last_purge_in(store.conn())
}

fn last_purge_in(conn: &Connection) -> Result<Option<PurgeRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT id, ran_at, cutoff, keep_days, marks, changes, outbox_items, server_records,
                    kept_unconfirmed
             FROM purge_log ORDER BY id DESC LIMIT 1",
        )?
        .query_row([], |r| {
            let count =
                |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
            Ok(PurgeRecord {
                id: r.get(0)?,
                ran_at: r.get(1)?,
                report: PurgeReport {
                    cutoff: r.get(2)?,
                    keep_days: r.get(3)?,
                    marks: count(4)?,
                    changes: count(5)?,
                    outbox_items: count(6)?,
                    server_records: count(7)?,
                    kept_unconfirmed: count(8)?,
                },
            })
        })
        .optional()?;
    Ok(row)
}

/// The day before which server records are not cached (by a pull, or by the listings the sync
/// engine reconciles with), so they do not bring back what a purge removed: the day the last
/// purge ran (its cutoff plus its days kept) minus the days kept now. `None` when everything is
/// kept or no purge ran yet (the next purge removes what is too old).
///
/// It is computed from the last purge rather than from the clock so that it agrees with the
/// purge to the day whatever the time zone, and it never refuses a day the current setting
/// keeps: that purge ran today or earlier.
pub fn pull_cutoff(store: &Store) -> Result<Option<Day>> {
    cache_cutoff(store.conn())
}

/// [`pull_cutoff`] on the connection the caller writes the cache with. A saved setting that
/// cannot be read keeps everything (the purge itself reports it).
pub(crate) fn cache_cutoff(conn: &Connection) -> Result<Option<Day>> {
    let saved = setting_in(conn, SETTING_KEEP_DAYS)?;
    let days = saved.and_then(|raw| parse_keep_days(&raw).ok().flatten());
    let (Some(days), Some(last)) = (days, last_purge_in(conn)?) else {
        return Ok(None);
    };
    let ran_on = last
        .report
        .cutoff
        .checked_add_days(i64::from(last.report.keep_days));
    match ran_on {
        Some(day) => cutoff(days, day).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn the_cutoff_keeps_exactly_the_days_asked_for() {
        assert_eq!(
            cutoff(30, day("2024-03-15")).unwrap(),
            day("2024-02-14"),
            "a record 30 days old is kept, 31 days old is removed"
        );
        assert_eq!(cutoff(1, day("2024-03-01")).unwrap(), day("2024-02-29"));
    }

    #[test]
    fn days_to_keep_are_checked_naming_the_value() {
        assert_eq!(parse_keep_days("  ").unwrap(), None);
        assert_eq!(parse_keep_days(" 90 ").unwrap(), Some(90));
        assert_eq!(parse_keep_days("36500").unwrap(), Some(MAX_KEEP_DAYS));
        for (raw, named) in [
            ("0", "0 is not a number of days"),
            ("36501", "36501 is not a number of days"),
            ("-3", "\"-3\" is not a number of days"),
            ("30.5", "\"30.5\""),
            ("thirty", "\"thirty\""),
        ] {
            let err = parse_keep_days(raw).unwrap_err();
            assert_eq!(err.code(), "invalid");
            assert!(err.to_string().contains(named), "{raw}: {err}");
        }
        let long = "9".repeat(10_000);
        let err = parse_keep_days(&long).unwrap_err().to_string();
        assert!(
            err.len() < 200,
            "a message does not echo a huge input: {err}"
        );
    }

    #[test]
    fn the_setting_round_trips_and_absurd_values_are_not_saved() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(
            keep_days(&store).unwrap(),
            None,
            "everything is kept by default"
        );
        set_keep_days(&store, Some(400)).unwrap();
        assert_eq!(keep_days(&store).unwrap(), Some(400));
        assert!(set_keep_days(&store, Some(0)).is_err());
        assert!(set_keep_days(&store, Some(MAX_KEEP_DAYS + 1)).is_err());
        assert_eq!(
            keep_days(&store).unwrap(),
            Some(400),
            "a refused value changes nothing"
        );
        set_keep_days(&store, None).unwrap();
        assert_eq!(keep_days(&store).unwrap(), None);
        store.set_setting(SETTING_KEEP_DAYS, Some("soon")).unwrap();
        let err = keep_days(&store).unwrap_err().to_string();
        assert!(
            err.contains(SETTING_KEEP_DAYS) && err.contains("\"soon\""),
            "{err}"
        );
    }
}
