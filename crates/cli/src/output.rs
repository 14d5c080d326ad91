//! Printing results: `--json` for scripts (pretty-printed JSON on stdout), plain text otherwise.
//!
//! Every line goes through [`line`] (the [`outln!`] macro), never `println!`, which panics when
//! the reader has gone away (`rollbook-cli roster show ... | head -1`). A reader that goes away
//! stops the output quietly and the command finishes its work as usual; any other write error
//! is remembered and makes the command fail at the end ([`finish`]).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rollbook_core::roll::Delivery;
use rollbook_core::{Error, Result, Status};
use serde::Serialize;

/// Set once stdout cannot be written to any more: later lines are dropped.
static STOPPED: AtomicBool = AtomicBool::new(false);
/// The write error that stopped the output, unless it was the reader going away.
static FAILED: Mutex<Option<io::Error>> = Mutex::new(None);

/// `println!` that never panics: see the module docs.
macro_rules! outln {
    () => {
        $crate::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// Writes one line to stdout, unless the output has stopped.
pub fn line(args: std::fmt::Arguments<'_>) {
    if STOPPED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = writeln!(out, "{args}") {
        stop(e);
    }
}

/// Writes bytes as they are (a file asked for on stdout with `-`), unless the output stopped.
pub fn bytes(bytes: &[u8]) {
    if STOPPED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = io::stdout().lock().write_all(bytes) {
        stop(e);
    }
}

fn stop(e: io::Error) {
    STOPPED.store(true, Ordering::Relaxed);
    if e.kind() != io::ErrorKind::BrokenPipe {
        if let Ok(mut failed) = FAILED.lock() {
            failed.get_or_insert(e);
        }
    }
}

/// Flushes stdout; fails if a line could not be written for another reason than the reader
/// going away (a full disk behind `> file`, say), so a script does not take a cut-off output
/// for a whole one.
pub fn finish() -> Result<()> {
    if !STOPPED.load(Ordering::Relaxed) {
        if let Err(e) = io::stdout().lock().flush() {
            stop(e);
        }
    }
    let failed = FAILED.lock().ok().and_then(|mut f| f.take());
    match failed {
        Some(e) => Err(Error::io("cannot write to standard output", e)),
        None => Ok(()),
    }
}

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Invalid(format!("cannot write JSON: {e}")))?;
    outln!("{text}");
    Ok(())
}

/// With `--json`, a rejected file is also printed as JSON on stdout (`code`, `message`, the
/// first `rows` and the count of `more_rows`) for scripts; the error still goes to stderr and
/// sets the exit code.
pub fn refusal_as_json<T>(json: bool, result: Result<T>) -> Result<T> {
    if let Err(e @ Error::BadFile { .. }) = &result {
        if json {
            self::json(e)?;
        }
    }
    result
}

pub fn status(s: Option<Status>) -> &'static str {
    s.map(Status::as_str).unwrap_or("-")
}

pub fn delivery(d: Option<Delivery>) -> &'static str {
    match d {
        None => "",
        Some(Delivery::SavedHere) => "saved here",
        Some(Delivery::Sending) => "sending",
        Some(Delivery::OnServer) => "on server",
        Some(Delivery::NeedsAttention) => "needs attention",
    }
}

/// Rows as left-aligned columns separated by two spaces (widths in characters).
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect();
        outln!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

pub use rollbook_core::error::count;

/// `n` with its thousands grouped by commas: 64,800.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// [`count`] with the number [`grouped`]: "64,800 records".
pub fn count_grouped(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

/// "2 offerings added, 1 student renamed" from (count, singular, plural, verb) parts.
pub fn counted(parts: &[(u32, &str, &str, &str)]) -> String {
    let said: Vec<String> = parts
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, one, many, verb)| format!("{} {verb}", count(*n, one, many)))
        .collect();
    if said.is_empty() {
        "no changes".to_string()
    } else {
        said.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        for (n, want) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (64_800, "64,800"),
            (1_080_000, "1,080,000"),
        ] {
            assert_eq!(grouped(n), want);
        }
        assert_eq!(count_grouped(1, "record", "records"), "1 record");
    }
}
