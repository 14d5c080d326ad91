//! The one error type of the core. Every variant has a stable `code` the UI and the CLI can
//! branch on, and a message that names what is wrong and where.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::ids::Day;

/// A problem in one row of an imported file: 1-based line number, column name, reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that the user or a caller can fix: a bad id, date, status or argument.
    #[error("{0}")]
    Invalid(String),
    /// An imported file was rejected; nothing was written. The first problems are listed
    /// (in line order, at most 50) and the rest counted.
    #[error("{file} was rejected, nothing was written:\n{}", list_rows(.rows, *.more_rows))]
    BadFile {
        file: String,
        rows: Vec<RowError>,
        /// Problems found beyond those in `rows`.
        more_rows: u64,
    },
    /// A mark dated outside [`crate::marks::DateWindow`] (after today, or more than 400 days
    /// before it) without the user saying explicitly that the date is meant.
    #[error(
        "{date} is outside the dates a mark can have, {first} to {last} (today and the 400 days \
         before); a mark cannot be deleted once sent, so a date outside them must be allowed \
         explicitly (--allow-date-outside-window) if it is really meant"
    )]
    DateOutsideWindow { date: Day, first: Day, last: Day },
    /// The thing asked for does not exist locally.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what is stored (e.g. a student not enrolled).
    #[error("{0}")]
    Conflict(String),
    /// The database was written by a newer Rollbook.
    #[error(
        "the database at {path} has schema version {found}, newer than this Rollbook \
         understands ({supported}); upgrade Rollbook to open it"
    )]
    DatabaseTooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    /// The server or network failed in a way the user should know about.
    #[error("{0}")]
    Remote(String),
    /// Signing in is needed (no token, or the server refused it).
    #[error("{0}")]
    Auth(String),
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn list_rows(rows: &[RowError], more: u64) -> String {
    let mut lines: Vec<String> = rows.iter().map(|r| format!("  {r}")).collect();
    match more {
        0 => {}
        1 => lines.push("  and 1 more problem not listed".into()),
        n => lines.push(format!("  and {n} more problems not listed")),
    }
    lines.join("\n")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stable machine-readable code; the UI branches on these.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::BadFile { .. } => "bad_file",
            Error::DateOutsideWindow { .. } => "date_outside_window",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::DatabaseTooNew { .. } => "database_too_new",
            Error::Remote(_) => "remote",
            Error::Auth(_) => "auth",
            Error::Db(_) => "database",
            Error::Io { .. } => "io",
        }
    }

    /// True when the caller gave bad input (the CLI exits 2 for these).
    pub fn is_user_input(&self) -> bool {
        matches!(
            self,
            Error::Invalid(_)
                | Error::BadFile { .. }
                | Error::DateOutsideWindow { .. }
                | Error::Conflict(_)
                | Error::NotFound(_)
        )
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Serialized as `{code, message}` for the UI and `--json`, plus `rows` for a rejected file and
/// `date`, `first`, `last` for a date outside the window (the window's question names them).
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let extra = match self {
            Error::BadFile { .. } => 2,
            Error::DateOutsideWindow { .. } => 3,
            _ => 0,
        };
        let mut st = s.serialize_struct("Error", 2 + extra)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        match self {
            Error::BadFile {
                rows, more_rows, ..
            } => {
                st.serialize_field("rows", rows)?;
                st.serialize_field("more_rows", more_rows)?;
            }
            Error::DateOutsideWindow { date, first, last } => {
                st.serialize_field("date", date)?;
                st.serialize_field("first", first)?;
                st.serialize_field("last", last)?;
            }
            _ => {}
        }
        st.end()
    }
}

/// "1 record" / "3 records": a count with the noun in the singular for one, for messages.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_serializes_as_code_and_message() {
        let json = serde_json::to_value(Error::Invalid("bad date \"2024-02-30\"".into())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "invalid", "message": "bad date \"2024-02-30\""}),
            "the UI reads exactly {{code, message}}"
        );
    }

    #[test]
    fn bad_file_lists_every_row() {
        let e = Error::BadFile {
            file: "roster.csv".into(),
            rows: vec![RowError {
                line: 3,
                column: "student_id".into(),
                reason: "not a UUID".into(),
            }],
            more_rows: 0,
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "bad_file");
        assert_eq!(json["rows"][0]["line"], 3);
        assert!(e
            .to_string()
            .contains("line 3, column student_id: not a UUID"));
    }
}

/// How an error message quotes what the user gave: in quotes and escaped, and cut to its first
/// 40 characters (with the full length said) when longer, so a pasted file or a hostile
/// argument never floods a message, a log line or the screen.
pub fn quoted(input: &str) -> String {
    const SHOWN: usize = 40;
    let length = input.chars().count();
    if length <= SHOWN + 20 {
        format!("{input:?}")
    } else {
        let start: String = input.chars().take(SHOWN).collect();
        format!("{start:?}… ({length} characters)")
    }
}

#[cfg(test)]
mod quoting_tests {
    use super::quoted;

    #[test]
    fn short_input_is_quoted_whole() {
        assert_eq!(quoted("2024-02-30"), "\"2024-02-30\"");
        assert_eq!(quoted("a\"b\n"), "\"a\\\"b\\n\"");
    }

    #[test]
    fn long_input_is_cut_and_its_length_said() {
        let long = "é".repeat(100_000);
        let shown = quoted(&long);
        assert_eq!(shown, format!("{:?}… (100000 characters)", "é".repeat(40)));
    }
}
