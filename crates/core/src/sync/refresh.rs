//! Refreshing the server's records of the offerings this device works with, so its rolls show
//! what the school's other writers recorded (check-in kiosks, co-teachers, substitutes, the
//! teacher's other device) before anyone fills the gaps: the offerings with a mark of this
//! device dated in the last [`REFRESH_DAYS`] days, those marked today first. A device that marks
//! nothing (a counselor's) refreshes nothing; it uses the school pull instead. Each offering is
//! one listing ([`super::pull::pull_offering`], the one pull path), one at a time.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids::{Day, Id};
use crate::store::Store;
use crate::sync::engine::Engine;
use crate::sync::pull::pull_offering;
use crate::sync::status::QueueState;

/// Why a refresh ended early when the engine was asked to stop.
const STOPPED: &str = "stopped before every offering was refreshed";

/// How far back a mark of this device makes its offering one to refresh.
pub const REFRESH_DAYS: u32 = 14;

/// How often the desktop refreshes while it runs, at least.
pub const REFRESH_EVERY: Duration = Duration::from_secs(600);

/// The setting: minutes between the desktop's refreshes (absent: [`REFRESH_EVERY`]).
const SETTING_REFRESH_MINUTES: &str = "sync.refresh_minutes";
/// The longest interval a user may choose: four hours.
pub const MAX_REFRESH_MINUTES: u32 = 240;

/// Reads a number of minutes between refreshes as typed ("" or blank: the default).
pub fn parse_refresh_minutes(raw: &str) -> Result<Option<u32>> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<u32>() {
        Ok(n) if (1..=MAX_REFRESH_MINUTES).contains(&n) => Ok(Some(n)),
        _ => Err(Error::Invalid(format!(
            "{} is not a refresh interval: expected a whole number of minutes from 1 to \
             {MAX_REFRESH_MINUTES}",
            crate::error::quoted(s)
        ))),
    }
}

/// How often the desktop refreshes at least: the user's choice, else [`REFRESH_EVERY`].
pub fn refresh_every(store: &Store) -> Result<Duration> {
    let minutes = match store.setting(SETTING_REFRESH_MINUTES)? {
        Some(raw) => parse_refresh_minutes(&raw)?,
        None => None,
    };
    Ok(minutes.map_or(REFRESH_EVERY, |m| Duration::from_secs(u64::from(m) * 60)))
}

/// Saves the minutes between refreshes (`None`: back to the default).
pub fn set_refresh_minutes(store: &Store, minutes: Option<u32>) -> Result<Duration> {
    if let Some(m) = minutes {
        parse_refresh_minutes(&m.to_string())?;
    }
    let value = minutes.map(|m| m.to_string());
    store.set_setting(SETTING_REFRESH_MINUTES, value.as_deref())?;
    refresh_every(store)
}

/// What just happened in the engine's loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTrigger {
    /// The engine started (the app opened).
    Start,
    /// A pass reached the server after passes that did not.
    BackOnline,
    /// A pass sent something.
    Sent,
    /// Nothing in particular: time went by.
    Timer,
}

/// When the desktop's engine refreshes: at start, when the connection comes back, after a
/// delivery pass that sent something, and at least every `every` while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshSchedule {
    pub every: Duration,
    /// When the last refresh ran (`None`: not yet).
    pub last: Option<Instant>,
}

impl RefreshSchedule {
    pub fn new(every: Duration) -> RefreshSchedule {
        RefreshSchedule { every, last: None }
    }

    /// Whether to refresh now, after `trigger`.
    pub fn due(&self, trigger: RefreshTrigger, now: Instant) -> bool {
        match trigger {
            RefreshTrigger::Start | RefreshTrigger::BackOnline | RefreshTrigger::Sent => true,
            RefreshTrigger::Timer => self
                .last
                .is_none_or(|last| now.saturating_duration_since(last) >= self.every),
        }
    }

    /// How long until the timer makes a refresh due.
    pub fn wait(&self, now: Instant) -> Duration {
        self.last.map_or(Duration::ZERO, |last| {
            self.every
                .saturating_sub(now.saturating_duration_since(last))
        })
    }
}

// Served per offering by mark_by_offering_date (offering_id, date): no scan of all marks.
const TARGETS_SQL: &str = "SELECT id FROM (
         SELECT o.id, o.name,
                (SELECT MAX(m.date) FROM mark m
                  WHERE m.offering_id = o.id AND m.date >= ?1) AS newest
         FROM offering o)
     WHERE newest IS NOT NULL
     ORDER BY newest DESC, name, id";

/// The offerings to refresh on `today`: those with a mark of this device dated from
/// [`REFRESH_DAYS`] days before `today` on, the newest mark's date first (today's offerings
/// lead), then by name.
pub fn refresh_targets(store: &Store, today: Day) -> Result<Vec<Id>> {
    let mut stmt = store.conn().prepare_cached(TARGETS_SQL)?;
    let since = today.days_before(REFRESH_DAYS);
    let ids = stmt
        .query_map([since], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// What one refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// Offerings whose records were listed.
    pub offerings: u32,
    /// Records the server listed for them.
    pub records: u64,
    /// Of those, records this device did not have yet.
    pub new_records: u64,
    /// Records the refresh added, changed or removed in this device's cache.
    pub changed: u64,
    /// Offerings left for the next refresh (the refresh stopped early).
    pub not_refreshed: u32,
    /// Why it stopped early, if it did.
    pub problem: Option<String>,
}

impl Engine {
    /// Lists the records of every offering to refresh ([`refresh_targets`]; `open`, the roll on
    /// screen, first), one listing at a time. It stops at the first listing that fails (the
    /// server is down, asks to wait, or refuses the token: the rest waits for the next refresh)
    /// and when the engine is asked to stop; it never starts while deliveries are blocked
    /// (sign-in needed) or paused by the server.
    pub async fn refresh(&mut self, open: Option<&Id>) -> Result<RefreshReport> {
        let today = Day::from_date(self.clock.now().date_naive());
        let mut targets = refresh_targets(&self.store, today)?;
        if let Some(open) = open {
            targets.retain(|t| t != open);
            targets.insert(0, open.clone());
        }
        self.refresh_these(&targets).await
    }

    /// Lists the records of `targets`, in that order, as [`Engine::refresh`] does.
    pub async fn refresh_these(&mut self, targets: &[Id]) -> Result<RefreshReport> {
        let mut report = RefreshReport::default();
        let state = QueueState::load(&self.store)?;
        let held = if let Some((blocked, _)) = &state.blocked {
            Some(blocked.message.clone())
        } else {
            state
                .paused_until
                .filter(|until| *until > self.clock.now())
                .map(|until| {
                    format!(
                        "the server asked to wait until {}",
                        crate::clock::rfc3339(until)
                    )
                })
        };
        for (done, offering) in targets.iter().enumerate() {
            let why = held
                .clone()
                .or_else(|| self.stop.is_stopping().then(|| STOPPED.to_string()));
            if let Some(why) = why {
                report.not_refreshed = (targets.len() - done) as u32;
                report.problem = Some(why);
                break;
            }
            let pulled = tokio::select! {
                pulled = pull_offering(&mut self.store, &self.api, &self.tokens, &*self.clock, offering) => Some(pulled),
                () = self.stop.cut() => None,
            };
            match pulled {
                Some(Ok(pulled)) => {
                    report.offerings += 1;
                    report.records += pulled.records;
                    report.new_records += pulled.new_records;
                    report.changed += pulled.changed + pulled.removed;
                }
                Some(Err(e)) => {
                    report.not_refreshed = (targets.len() - done) as u32;
                    report.problem = Some(format!("offering {offering}: {e}"));
                    break;
                }
                None => {
                    report.not_refreshed = (targets.len() - done) as u32;
                    report.problem = Some(STOPPED.into());
                    break;
                }
            }
        }
        if report.offerings > 0 {
            let now = self.clock.now();
            self.last_refresh = Some((now, report.new_records));
            if report.changed > 0 {
                self.records_changed_at = Some(now);
            }
        }
        // A 401 found by a listing blocks deliveries too: the status says so.
        self.publish(true);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const MIN: Duration = Duration::from_secs(60);

    #[rstest]
    #[case::at_start(RefreshTrigger::Start, None, 0, true)]
    #[case::first_timer(RefreshTrigger::Timer, None, 0, true)]
    #[case::timer_too_soon(RefreshTrigger::Timer, Some(0), 9, false)]
    #[case::timer_after_ten_minutes(RefreshTrigger::Timer, Some(0), 10, true)]
    #[case::back_online_soon_after(RefreshTrigger::BackOnline, Some(0), 1, true)]
    #[case::sent_soon_after(RefreshTrigger::Sent, Some(0), 1, true)]
    fn when_the_desktop_refreshes(
        #[case] trigger: RefreshTrigger,
        #[case] last_minute: Option<u32>,
        #[case] now_minute: u32,
        #[case] due: bool,
    ) {
        let t0 = Instant::now();
        let schedule = RefreshSchedule {
            every: 10 * MIN,
            last: last_minute.map(|m| t0 + m * MIN),
        };
        assert_eq!(schedule.due(trigger, t0 + now_minute * MIN), due);
    }

    #[rstest]
    #[case::blank("  ", Ok(None))]
    #[case::one("1", Ok(Some(1)))]
    #[case::four_hours("240", Ok(Some(240)))]
    #[case::zero("0", Err(()))]
    #[case::too_long("241", Err(()))]
    #[case::not_a_number("ten", Err(()))]
    fn a_refresh_interval_is_read_as_typed(
        #[case] raw: &str,
        #[case] want: std::result::Result<Option<u32>, ()>,
    ) {
        let got = parse_refresh_minutes(raw);
        match want {
            Ok(v) => assert_eq!(got.unwrap(), v),
            Err(()) => {
                let e = got.unwrap_err();
                assert_eq!(e.code(), "invalid");
                assert!(e.to_string().contains("1 to 240"), "{e}");
            }
        }
    }

    #[test]
    fn the_interval_setting_is_saved_and_read_back() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(refresh_every(&store).unwrap(), REFRESH_EVERY);
        assert_eq!(
            set_refresh_minutes(&store, Some(3)).unwrap(),
            Duration::from_secs(180)
        );
        assert_eq!(refresh_every(&store).unwrap(), Duration::from_secs(180));
        assert!(set_refresh_minutes(&store, Some(0)).is_err());
        assert_eq!(
            refresh_every(&store).unwrap(),
            Duration::from_secs(180),
            "unchanged"
        );
        assert_eq!(set_refresh_minutes(&store, None).unwrap(), REFRESH_EVERY);
    }

    #[test]
    fn the_timer_waits_what_is_left_of_the_interval() {
        let t0 = Instant::now();
        let mut schedule = RefreshSchedule::new(10 * MIN);
        assert_eq!(schedule.wait(t0), Duration::ZERO, "never refreshed: now");
        schedule.last = Some(t0);
        assert_eq!(schedule.wait(t0 + 4 * MIN), 6 * MIN);
        assert_eq!(schedule.wait(t0 + 12 * MIN), Duration::ZERO);
    }

    #[test]
    fn the_targets_are_found_without_reading_every_mark() {
        let store = Store::open_in_memory().unwrap();
        let conn = store.conn();
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {TARGETS_SQL}"))
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map(["2024-03-01"], |r| r.get::<_, String>(3))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let plan = plan.join("\n");
        assert!(
            plan.contains("INDEX mark_by_offering_date (offering_id=? AND date>?)")
                && !plan.contains("SCAN m"),
            "one index range per offering, never every mark: {plan}"
        );
    }
}
