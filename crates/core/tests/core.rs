//! Integration tests of rollbook-core on real SQLite databases: one test binary, a module per
//! area (the files are in `tests/core/`).

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "core/common.rs"]
mod common;

#[path = "core/calendar.rs"]
mod calendar;
#[path = "core/checkin.rs"]
mod checkin;
#[path = "core/date_window.rs"]
mod date_window;
#[path = "core/disk_full.rs"]
mod disk_full;
#[path = "core/marks.rs"]
mod marks;
#[path = "core/props.rs"]
mod props;
#[path = "core/queries.rs"]
mod queries;
#[path = "core/retention.rs"]
mod retention;
#[path = "core/roll.rs"]
mod roll;
#[path = "core/roster_import.rs"]
mod roster_import;
#[path = "core/server_marks.rs"]
mod server_marks;
#[path = "core/start_up.rs"]
mod start_up;
#[path = "core/undo.rs"]
mod undo;
#[path = "core/upgrade.rs"]
mod upgrade;

// The sync engine (crates/core/src/sync).
#[path = "core/sync_adaptive.rs"]
mod sync_adaptive;
#[path = "core/sync_corrections.rs"]
mod sync_corrections;
#[path = "core/sync_garbage.rs"]
mod sync_garbage;
#[path = "core/sync_handle.rs"]
mod sync_handle;
#[path = "core/sync_http.rs"]
mod sync_http;
#[path = "core/sync_outcomes.rs"]
mod sync_outcomes;
#[path = "core/sync_pull.rs"]
mod sync_pull;
#[path = "core/sync_pull_all.rs"]
mod sync_pull_all;
#[path = "core/sync_random.rs"]
mod sync_random;
#[path = "core/sync_reconcile.rs"]
mod sync_reconcile;
#[path = "core/sync_refresh.rs"]
mod sync_refresh;
#[path = "core/sync_secrecy.rs"]
mod sync_secrecy;
#[path = "core/sync_stop.rs"]
mod sync_stop;
#[path = "core/sync_support.rs"]
mod sync_support;
