//! Reading the CSV files schools export (rosters from the SIS, marks from a check-in system).
//!
//! The rules are the same for every import: a header row names the columns (any order, extra
//! columns ignored, names compared without case or surrounding spaces); UTF-8 with or without a
//! byte-order mark; comma or semicolon separated (spreadsheets in Spanish locales write `;`),
//! chosen from the header line; cells trimmed. Every problem is collected as a [`RowError`]
//! whose line is the physical line of the file (the header is line 1), so a whole file can be
//! rejected with every problem listed at once.

use crate::error::{Error, RowError};
use crate::ids::{Day, Id, Status};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const DELIMITERS: [u8; 2] = [b',', b';'];

/// One data row: the cells of the required columns, in the order they were asked for.
#[derive(Debug)]
pub(crate) struct Row {
    pub line: u64,
    names: &'static [&'static str],
    /// `None` when the cell could not be read; that problem is already reported.
    cells: Vec<Option<String>>,
}

/// How many problems a rejected file lists; the rest are counted (a file of 120,000 bad rows
/// must not print 120,000 lines, nor send them to the window).
pub const LISTED: usize = 50;

/// The problems found in a file, reported together.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<RowError>);

impl Problems {
    pub fn push(&mut self, line: u64, column: &str, reason: impl Into<String>) {
        self.0.push(RowError {
            line,
            column: column.to_string(),
            reason: reason.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing was found, else the file is rejected with every problem by line.
    pub fn finish(mut self, file_name: &str) -> Result<(), Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        self.0.sort_by_key(|r| r.line);
        let more_rows = self.0.len().saturating_sub(LISTED) as u64;
        self.0.truncate(LISTED);
        Err(Error::BadFile {
            file: file_name.to_string(),
            rows: self.0,
            more_rows,
        })
    }
}

impl Row {
    pub fn column(&self, col: usize) -> &'static str {
        self.names.get(col).copied().unwrap_or("?")
    }

    /// The trimmed cell, or `None` (with a problem reported) when it is empty or unreadable.
    pub fn text(&self, col: usize, problems: &mut Problems) -> Option<&str> {
        let cell = self.cells.get(col).and_then(|c| c.as_deref())?;
        if cell.is_empty() {
            problems.push(
                self.line,
                self.column(col),
                "is empty: this column needs a value",
            );
            return None;
        }
        Some(cell)
    }

    pub fn id(&self, col: usize, problems: &mut Problems) -> Option<Id> {
        let s = self.text(col, problems)?;
        Id::check(s)
            .map_err(|why| {
                problems.push(
                    self.line,
                    self.column(col),
                    format!("{} is not a UUID: {why}", crate::error::quoted(s)),
                )
            })
            .ok()
    }

    pub fn day(&self, col: usize, problems: &mut Problems) -> Option<Day> {
        let s = self.text(col, problems)?;
        Day::check(s)
            .map_err(|why| {
                problems.push(
                    self.line,
                    self.column(col),
                    format!("{} is not a date: {why}", crate::error::quoted(s)),
                )
            })
            .ok()
    }

    /// A status, in any case (exports often capitalize: `Present`), as everywhere.
    pub fn status(&self, col: usize, problems: &mut Problems) -> Option<Status> {
        let s = self.text(col, problems)?;
        Status::check(s)
            .map_err(|why| {
                problems.push(
                    self.line,
                    self.column(col),
                    format!("{} is not a status: {why}", crate::error::quoted(s)),
                )
            })
            .ok()
    }
}

/// Reads the rows of `bytes` for the `required` columns. Problems with cells go to `problems`
/// and the row is still returned (its unreadable cells are `None`). Returns no rows when the
/// header itself is unusable: empty file, unreadable header, or a required column missing.
pub(crate) fn read(
    bytes: &[u8],
    required: &'static [&'static str],
    problems: &mut Problems,
) -> Vec<Row> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let header_bytes = body.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if header_bytes.iter().all(|b| b.is_ascii_whitespace()) {
        problems.push(
            1,
            "header",
            format!(
                "the file is empty: expected a header row with {}",
                required.join(", ")
            ),
        );
        return Vec::new();
    }
    if let Err(e) = std::str::from_utf8(header_bytes) {
        problems.push(1, "header", not_utf8(e));
        return Vec::new();
    }
    let (delimiter, positions) = choose_delimiter(header_bytes, required);
    let mut header_ok = true;
    for (name, found) in required.iter().zip(&positions) {
        match found.as_slice() {
            [] => {
                header_ok = false;
                let seen = header_summary(&header_names(header_bytes, delimiter));
                problems.push(
                    1,
                    name,
                    format!(
                        "required column is missing (the header has: {seen}; columns must be \
                         separated by commas or semicolons)"
                    ),
                );
            }
            [_] => {}
            [a, b, ..] => {
                header_ok = false;
                problems.push(
                    1,
                    name,
                    format!(
                        "appears twice in the header (columns {} and {})",
                        a + 1,
                        b + 1
                    ),
                );
            }
        }
    }
    if !header_ok {
        return Vec::new();
    }
    let columns: Vec<usize> = positions
        .iter()
        .filter_map(|p| p.first().copied())
        .collect();
    read_rows(body, delimiter, required, &columns, problems)
}

fn read_rows(
    body: &[u8],
    delimiter: u8,
    required: &'static [&'static str],
    columns: &[usize],
    problems: &mut Problems,
) -> Vec<Row> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(body);
    let header_len = reader.byte_headers().map(|h| h.len()).unwrap_or(0);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter::new(body);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(line, "row", format!("cannot be read as CSV: {e}"));
                break;
            }
        }
        let line = record
            .position()
            .map(|p| lines.line_at(p.byte()))
            .unwrap_or(0);
        // Spreadsheets leave rows of bare separators at the end; they carry nothing.
        if record.iter().all(blank) {
            continue;
        }
        // A cell beyond the header's (an unquoted comma in a name, a shifted row) would be
        // silently dropped; empty padding after the last column carries nothing.
        if record.len() > header_len && !record.iter().skip(header_len).all(blank) {
            problems.push(
                line,
                "row",
                format!(
                    "has {} cells, the header has {header_len}: quote a value that contains                      the separator, or remove the extra cells",
                    record.len()
                ),
            );
        }
        let cells = columns
            .iter()
            .zip(required)
            .map(|(&at, name)| match record.get(at) {
                None => {
                    problems.push(
                        line,
                        name,
                        format!(
                            "is missing: this row has {} cells, the header has {header_len}",
                            record.len()
                        ),
                    );
                    None
                }
                Some(raw) => match std::str::from_utf8(raw) {
                    Ok(s) => Some(s.trim().to_string()),
                    Err(e) => {
                        problems.push(line, name, not_utf8(e));
                        None
                    }
                },
            })
            .collect();
        rows.push(Row {
            line,
            names: required,
            cells,
        });
    }
    rows
}

fn blank(cell: &[u8]) -> bool {
    cell.iter().all(|b| b.is_ascii_whitespace())
}

/// Physical line numbers from byte offsets. The CSV reader skips blank lines without counting
/// them, and a record's position is where the reader stood before skipping them, so the line
/// is found from the first byte of the record that is not a line break.
struct LineCounter<'a> {
    body: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(body: &'a [u8]) -> Self {
        LineCounter {
            body,
            at: 0,
            line: 1,
        }
    }

    /// The line of the record starting at or after `byte` (offsets only grow).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.body.len());
        while matches!(self.body.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.at {
            let newlines = self.body[self.at..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.line += newlines as u64;
            self.at = start;
        }
        self.line
    }
}

fn not_utf8(e: std::str::Utf8Error) -> String {
    format!(
        "is not valid UTF-8 text (bad byte at position {}); save the file as UTF-8 and try again",
        e.valid_up_to() + 1
    )
}

/// The header's names for an error message: the first few, each quoted (and cut when long).
fn header_summary(names: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut parts: Vec<String> = names
        .iter()
        .take(SHOWN)
        .map(|n| crate::error::quoted(n))
        .collect();
    if names.len() > SHOWN {
        parts.push(format!("and {} more", names.len() - SHOWN));
    }
    parts.join(", ")
}

/// The header's cells split by `delimiter`, trimmed.
fn header_names(header: &[u8], delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(header);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|s| s.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// For each delimiter, where each required column sits (0-based; several if repeated); the
/// delimiter that finds every required column wins, else the one that finds the most.
fn choose_delimiter(header: &[u8], required: &[&str]) -> (u8, Vec<Vec<usize>>) {
    let mut best: Option<(usize, u8, Vec<Vec<usize>>)> = None;
    for delimiter in DELIMITERS {
        let names: Vec<String> = header_names(header, delimiter)
            .into_iter()
            .map(|n| n.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let positions: Vec<Vec<usize>> = required
            .iter()
            .map(|r| {
                names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n == r)
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        let found = positions.iter().filter(|p| !p.is_empty()).count();
        if best.as_ref().is_none_or(|(f, _, _)| found > *f) {
            best = Some((found, delimiter, positions));
        }
    }
    match best {
        Some((_, d, p)) => (d, p),
        None => (b',', vec![Vec::new(); required.len()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[&str] = &["a", "b"];

    type Cells = Vec<(u64, Vec<Option<String>>)>;

    fn cells(bytes: &[u8]) -> (Cells, Vec<RowError>) {
        let mut p = Problems::default();
        let rows = read(bytes, COLS, &mut p);
        (rows.into_iter().map(|r| (r.line, r.cells)).collect(), p.0)
    }

    #[test]
    fn lines_are_physical_lines_even_after_quoted_newlines_and_blank_lines() {
        let (rows, errs) = cells(b"b,a\n\"x\ny\",1\n\n,\n2,3\r\n\r\n\n4,5\n");
        assert!(errs.is_empty(), "{errs:?}");
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(
            lines,
            vec![2, 6, 9],
            "users find a bad row by its line in their editor"
        );
        assert_eq!(rows[0].1, vec![Some("1".into()), Some("x\ny".into())]);
    }

    #[test]
    fn semicolons_are_detected_from_the_header() {
        let (rows, errs) = cells("\u{feff} A ; b ;c\n1;2,5;x\n".as_bytes());
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(rows[0].1, vec![Some("1".into()), Some("2,5".into())]);
    }

    #[test]
    fn short_rows_and_bad_bytes_name_the_column() {
        let (_, errs) = cells(b"a,b\n1\n\xff,2\n");
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!((errs[0].line, errs[0].column.as_str()), (2, "b"));
        assert_eq!((errs[1].line, errs[1].column.as_str()), (3, "a"));
        assert!(errs[1].reason.contains("UTF-8"));
    }

    #[test]
    fn long_rows_are_row_errors_but_empty_padding_is_not() {
        let (rows, errs) = cells(b"a,b\n1,2,3\n4,5,,\n6,7, x ,\n");
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!((errs[0].line, errs[0].column.as_str()), (2, "row"));
        assert!(
            errs[0].reason.contains("has 3 cells, the header has 2"),
            "{errs:?}"
        );
        assert_eq!(errs[1].line, 4);
        assert!(errs[1].reason.contains("has 4 cells"), "{errs:?}");
        assert_eq!(rows[1].1, vec![Some("4".into()), Some("5".into())]);
    }

    #[test]
    fn repeated_and_missing_columns_are_header_errors() {
        let (rows, errs) = cells(b"a,a\n1,2\n");
        assert!(rows.is_empty());
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs.iter().all(|e| e.line == 1));
    }
}
