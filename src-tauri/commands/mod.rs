//! The app's commands, one module per area. Each is thin: take the state, call the core,
//! return its result; errors reach the window as `{code, message}`. Arguments arrive as text
//! and are parsed here, so a bad id or date is an `invalid` error the UI can show, not a
//! deserialization failure.
//!
//! A new command is also listed in src-tauri/command_list.rs (the handler and the ACL) and
//! granted in src-tauri/capabilities/main.json; tests/commands.rs checks it is reachable.

pub mod app;
pub mod calendar;
pub mod counselor;
pub mod grid;
pub mod import;
pub mod retention;
pub mod school;
pub mod settings;
pub mod sync;
pub mod today;

use rollbook_core::{Day, Result};

/// An optional date: absent, `null` or empty is none.
fn opt_day(raw: Option<String>) -> Result<Option<Day>> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Day::parse(s).map(Some),
    }
}
