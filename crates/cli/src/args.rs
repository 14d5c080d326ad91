//! Arguments shared by several commands, parsed by the core's own types so the messages are
//! the core's ("\"2024-02-30\" is not a date: no such day in the calendar").

use std::path::Path;

use rollbook_core::{Day, Error, Id, Result, Status};

pub fn id(s: &str) -> std::result::Result<Id, String> {
    Id::parse(s).map_err(|e| e.to_string())
}

pub fn day(s: &str) -> std::result::Result<Day, String> {
    Day::parse(s).map_err(|e| e.to_string())
}

pub fn status(s: &str) -> std::result::Result<Status, String> {
    Status::parse(s).map_err(|e| e.to_string())
}

/// A number of days to keep records (1 to 36500).
pub fn keep_days(s: &str) -> std::result::Result<u32, String> {
    match rollbook_core::retention::parse_keep_days(s) {
        Ok(Some(n)) => Ok(n),
        Ok(None) => Err("expected a number of days from 1 to 36500".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Today in the user's time zone (UTC when it cannot be determined).
pub fn today() -> Day {
    rollbook_core::clock::local_today(chrono::Utc::now())
}

/// The bytes of an input file; a file that cannot be read is the user's to fix.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Invalid(format!("cannot read {}: {e}", path.display())))
}
