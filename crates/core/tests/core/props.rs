//! Property tests of the edges where outside data enters: the roster and check-in CSV imports
//! and the id/date/status parsers. For any input: no panic; a rejected file leaves every table
//! as it was; an accepted roster makes each offering's roll exactly the file's students.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rollbook_core::checkin::import_marks_csv;
use rollbook_core::store::Store;
use rollbook_core::{roll, roster};
use rollbook_core::{Day, Id, Status};

use crate::common::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The pool the generated rosters draw from: 3 offerings x 6 students, with fixed names and
/// one enrollment id per (offering, student), so any subset is a valid roster.
fn offering_id(o: usize) -> String {
    format!("0ff00000-0000-4000-8000-00000000000{o}")
}

fn student_id(s: usize) -> String {
    format!("57d00000-0000-4000-8000-00000000000{s}")
}

fn enrollment_id(o: usize, s: usize) -> String {
    format!("e0000000-0000-4000-8000-0000000000{o}{s}")
}

fn roster_row(o: usize, s: usize) -> Vec<String> {
    vec![
        offering_id(o),
        format!("Curso {o}"),
        format!("7ea00000-0000-4000-8000-00000000000{o}"),
        enrollment_id(o, s),
        student_id(s),
        format!("Estudiante Núñez {s}"),
    ]
}

/// A store holding the whole pool (so "unchanged" compares real content).
fn pooled_store() -> Store {
    let mut store = Store::open_in_memory().expect("open store");
    let rows: Vec<Vec<String>> = (0..3)
        .flat_map(|o| (0..6).map(move |s| roster_row(o, s)))
        .collect();
    let csv = to_csv(&header_cells(HEADER), &rows, ",");
    roster::import_roster_csv(&mut store, csv.as_bytes(), "pool.csv").expect("pool imports");
    store
}

fn header_cells(h: &str) -> Vec<String> {
    h.split(',').map(str::to_string).collect()
}

fn to_csv(header: &[String], rows: &[Vec<String>], delimiter: &str) -> String {
    let mut out = header.join(delimiter);
    out.push('\n');
    for r in rows {
        out.push_str(&r.join(delimiter));
        out.push('\n');
    }
    out
}

/// How a well-formed file is damaged.
#[derive(Debug, Clone)]
enum Damage {
    /// A cell (row index, column index; row 0 is the header) replaced with any text.
    Cell(usize, usize, String),
    /// A column removed from the header and every row.
    DropColumn(usize),
    /// A byte sequence that is not UTF-8 inserted at a position.
    InvalidUtf8(usize),
    /// A UTF-8 byte order mark in front.
    Bom,
    /// `;` or tab as the delimiter.
    Delimiter(&'static str),
    /// The file cut short at a position.
    Truncate(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        4 => (0usize..20, 0usize..8, any::<String>()).prop_map(|(r, c, s)| Damage::Cell(r, c, s)),
        1 => (0usize..8).prop_map(Damage::DropColumn),
        1 => (0usize..2000).prop_map(Damage::InvalidUtf8),
        1 => Just(Damage::Bom),
        1 => prop_oneof![Just(";"), Just("\t"), Just("|")].prop_map(Damage::Delimiter),
        1 => (0usize..2000).prop_map(Damage::Truncate),
    ]
}

/// Builds a file from a header and rows with some damage; returns the bytes and whether any
/// damage touched the content (cells or columns), as opposed to the encoding only.
fn damaged(mut header: Vec<String>, mut rows: Vec<Vec<String>>, damages: &[Damage]) -> Vec<u8> {
    let mut delimiter = ",";
    let mut bom = false;
    let mut byte_damage = Vec::new();
    for d in damages {
        match d {
            Damage::Cell(r, c, text) => {
                let line = if *r == 0 {
                    Some(&mut header)
                } else {
                    rows.get_mut(r - 1)
                };
                if let Some(cell) = line.and_then(|l| l.get_mut(*c)) {
                    *cell = text.clone();
                }
            }
            Damage::DropColumn(c) => {
                if *c < header.len() {
                    header.remove(*c);
                    for r in &mut rows {
                        if *c < r.len() {
                            r.remove(*c);
                        }
                    }
                }
            }
            Damage::Bom => bom = true,
            Damage::Delimiter(d) => delimiter = d,
            other => byte_damage.push(other.clone()),
        }
    }
    let mut bytes = Vec::new();
    if bom {
        bytes.extend_from_slice("\u{feff}".as_bytes());
    }
    bytes.extend_from_slice(to_csv(&header, &rows, delimiter).as_bytes());
    for d in byte_damage {
        match d {
            Damage::InvalidUtf8(at) => {
                let at = at.min(bytes.len());
                bytes.splice(at..at, [0xff, 0xc3, 0x28]);
            }
            Damage::Truncate(at) => bytes.truncate(at.min(bytes.len())),
            _ => {}
        }
    }
    bytes
}

fn roster_file() -> impl Strategy<Value = (Vec<(usize, usize)>, Vec<Damage>)> {
    (
        proptest::collection::btree_set((0usize..3, 0usize..6), 1..12),
        proptest::collection::vec(damage(), 0..4),
    )
        .prop_map(|(pairs, damages)| (pairs.into_iter().collect(), damages))
}

/// Students of each offering in a roster file, read back with the csv crate (whatever the
/// damage, if the import accepted the file this is what it said).
fn roll_of_store(store: &Store, offering: &str) -> BTreeSet<String> {
    roll::rows(store, &id(offering), today())
        .expect("roster of an imported offering")
        .into_iter()
        .map(|r| r.student_id.to_string())
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_never_panic_nor_write(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut store = pooled_store();
        let before = dump(&store);
        let _ = roster::preview_roster_csv(&store, &bytes, "x.csv");
        prop_assert_eq!(&dump(&store), &before, "a preview writes nothing");
        if roster::import_roster_csv(&mut store, &bytes, "x.csv").is_err() {
            prop_assert_eq!(&dump(&store), &before, "a rejected roster writes nothing");
        }
        let mut school = school();
        let before = dump(&school);
        if import_marks_csv(&mut school, &clock(), window(), "prop", &bytes, "x.csv").is_err() {
            prop_assert_eq!(&dump(&school), &before, "a rejected check-in file writes nothing");
        }
    }

    #[test]
    fn damaged_rosters_are_rejected_whole_or_imported_exactly((pairs, damages) in roster_file()) {
        let rows: Vec<Vec<String>> = pairs.iter().map(|&(o, s)| roster_row(o, s)).collect();
        let bytes = damaged(header_cells(HEADER), rows, &damages);
        let mut store = pooled_store();
        let before = dump(&store);
        let preview = roster::preview_roster_csv(&store, &bytes, "roster.csv");
        prop_assert_eq!(&dump(&store), &before, "a preview writes nothing");
        match roster::import_roster_csv(&mut store, &bytes, "roster.csv") {
            Err(e) => {
                prop_assert!(preview.is_err(), "preview and import agree: {e}");
                prop_assert!(!e.to_string().is_empty(), "a rejection says why");
                prop_assert_eq!(&dump(&store), &before, "a rejected roster writes nothing");
            }
            Ok(_) => {
                prop_assert!(preview.is_ok(), "preview and import agree");
                // Read back what the accepted file said, and compare each offering's roll.
                let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes)).to_string();
                let delim = [b',', b';', b'\t', b'|']
                    .into_iter()
                    .max_by_key(|d| text.lines().next().unwrap_or("").bytes().filter(|b| b == d).count())
                    .unwrap_or(b',');
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(delim)
                    .flexible(true)
                    .from_reader(text.as_bytes());
                let headers: Vec<String> = reader
                    .headers()
                    .map(|h| h.iter().map(|c| c.trim().to_ascii_lowercase()).collect())
                    .unwrap_or_default();
                let col = |name: &str| headers.iter().position(|h| h == name);
                if let (Some(oc), Some(sc)) = (col("course_offering_id"), col("student_id")) {
                    for rec in reader.records().flatten() {
                        if let (Some(o), Some(s)) = (rec.get(oc), rec.get(sc)) {
                            if let (Ok(o), Ok(s)) = (Id::parse(o.trim()), Id::parse(s.trim())) {
                                want.entry(o.to_string()).or_default().insert(s.to_string());
                            }
                        }
                    }
                }
                prop_assert!(!want.is_empty(), "an accepted roster names some enrollments");
                for (offering, students) in &want {
                    prop_assert_eq!(&roll_of_store(&store, offering), students,
                        "the roll of {} is exactly the file's students", offering);
                }
            }
        }
    }

    #[test]
    fn damaged_checkin_files_are_rejected_whole_or_applied(
        lines in proptest::collection::btree_map((0usize..4, 0usize..3), 0usize..4, 1..10),
        damages in proptest::collection::vec(damage(), 0..4),
    ) {
        // The enrolled (offering, student) pairs of the sample school.
        let pairs = [(MATH, JOSE), (MATH, ANA), (MATH, BRUNO), (SCIENCE, JOSE)];
        let dates = ["2024-03-13", "2024-03-14", "2024-03-15"];
        let rows: Vec<Vec<String>> = lines
            .iter()
            .map(|(&(p, d), &st)| {
                vec![
                    pairs[p].0.to_string(),
                    pairs[p].1.to_string(),
                    dates[d].to_string(),
                    Status::ALL[st].as_str().to_string(),
                ]
            })
            .collect();
        let header = header_cells("course_offering_id,student_id,attendance_date,status");
        let bytes = damaged(header, rows, &damages);
        let mut store = school();
        let c = clock();
        mark(&mut store, &c, ANA, Status::Late);
        let before = dump(&store);
        match import_marks_csv(&mut store, &c, window(), "prop", &bytes, "checkin.csv") {
            Err(e) => {
                prop_assert!(!e.to_string().is_empty(), "a rejection says why");
                prop_assert_eq!(&dump(&store), &before, "a rejected file writes nothing");
            }
            Ok(_) => {
                if damages.iter().all(|d| matches!(d, Damage::Bom | Damage::Delimiter(_))) {
                    for (&(p, d), &st) in &lines {
                        let got = rollbook_core::marks::current_mark(
                            &store, &id(pairs[p].0), &id(pairs[p].1), day(dates[d]),
                        );
                        prop_assert_eq!(
                            got.ok().flatten(),
                            Some(Status::ALL[st]),
                            "an accepted line is the current mark"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn parsers_never_panic_and_name_the_input(s in any::<String>()) {
        let quoted = format!("{s:?}");
        if let Err(e) = Id::parse(&s) {
            prop_assert!(e.to_string().contains(&quoted), "{e}");
        }
        if let Err(e) = Day::parse(&s) {
            prop_assert!(e.to_string().contains(&quoted), "{e}");
        }
        if let Err(e) = Status::parse(&s) {
            prop_assert!(e.to_string().contains(&quoted), "{e}");
        }
    }

    #[test]
    fn near_miss_ids_and_dates_never_panic(
        s in "[0-9a-fA-F-]{30,40}|[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9٠-٩-]{8,12}"
    ) {
        let _ = Id::parse(&s);
        let _ = Day::parse(&s);
    }
}
