//! Printing results: `--json` for scripts (pretty-printed JSON on stdout), plain text otherwise.

use rollbook_core::roster::Delivery;
use rollbook_core::{Error, Result, Status};
use serde::Serialize;

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Invalid(format!("cannot write JSON: {e}")))?;
    println!("{text}");
    Ok(())
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
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// "2 offerings added, 1 student renamed" from (count, singular, plural, verb) parts.
pub fn counted(parts: &[(u32, &str, &str, &str)]) -> String {
    let said: Vec<String> = parts
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, one, many, verb)| format!("{n} {} {verb}", if *n == 1 { one } else { many }))
        .collect();
    if said.is_empty() {
        "no changes".to_string()
    } else {
        said.join(", ")
    }
}
