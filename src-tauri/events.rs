//! The engine's status as window events, pushed as it changes (the UI never polls):
//!
//! - `sync-status`: the whole [`SyncStatus`], on every change;
//! - `marks-changed` `{offering, date}`: the delivery state of marks of that offering and date
//!   changed (sent, confirmed, found unknown or refused), so an open grid refreshes its
//!   delivery column.

use std::collections::BTreeMap;

use rollbook_core::roll::UnsentDay;
use rollbook_core::sync::SyncStatus;
use rollbook_core::{Day, Id};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::watch;

pub const SYNC_STATUS: &str = "sync-status";
pub const MARKS_CHANGED: &str = "marks-changed";

#[derive(Debug, Clone, Serialize)]
pub struct MarksChanged {
    pub offering: Id,
    pub date: Day,
}

pub type Unsent = BTreeMap<(Id, Day), UnsentDay>;

/// Forwards one engine's status until that engine is dropped (its channel closes). `unsent`
/// reads the unsent items by roll ([`rollbook_core::roll::unsent_by_day`]) from the app's store.
pub async fn forward<R: Runtime>(
    app: AppHandle<R>,
    mut status: watch::Receiver<SyncStatus>,
    unsent: impl Fn() -> Unsent,
) {
    let mut shown: Option<SyncStatus> = None;
    let mut before = unsent();
    loop {
        let now = status.borrow_and_update().clone();
        if shown.as_ref() != Some(&now) {
            let _ = app.emit(SYNC_STATUS, &now);
            if shown.as_ref().is_none_or(|s| delivery(s) != delivery(&now)) {
                let latest = unsent();
                for (offering, date) in changed(&before, &latest) {
                    let _ = app.emit(MARKS_CHANGED, MarksChanged { offering, date });
                }
                before = latest;
            }
            shown = Some(now);
        }
        if status.changed().await.is_err() {
            break;
        }
    }
}

/// The counts that move when an item's delivery state changes.
fn delivery(s: &SyncStatus) -> [u64; 5] {
    [s.pending, s.sending, s.unknown, s.rejected, s.synced]
}

/// The rolls whose unsent items differ between two snapshots (an item that reached the server
/// leaves its roll's entry, or lowers its count).
fn changed(before: &Unsent, after: &Unsent) -> Vec<(Id, Day)> {
    let mut keys: Vec<(Id, Day)> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    keys.extend(after.keys().filter(|k| !before.contains_key(*k)).cloned());
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(o: &str, d: &str) -> (Id, Day) {
        (
            Id::parse(&format!("00000000-0000-4000-8000-00000000000{o}")).unwrap(),
            Day::parse(d).unwrap(),
        )
    }

    #[test]
    fn a_roll_changed_when_its_unsent_items_did() {
        let pending = |n| UnsentDay {
            pending: n,
            ..UnsentDay::default()
        };
        let before: Unsent = [
            (key("1", "2024-03-15"), pending(2)),
            (key("2", "2024-03-15"), pending(1)),
            (key("3", "2024-03-15"), pending(1)),
        ]
        .into();
        let after: Unsent = [
            (key("1", "2024-03-15"), pending(1)),
            (key("3", "2024-03-15"), pending(1)),
            (key("4", "2024-03-14"), pending(1)),
        ]
        .into();
        assert_eq!(
            changed(&before, &after),
            [
                key("1", "2024-03-15"),
                key("2", "2024-03-15"),
                key("4", "2024-03-14")
            ],
            "one item of roll 1 and all of roll 2 were delivered, roll 4 got a mark"
        );
        assert!(changed(&after, &after).is_empty());
    }
}
