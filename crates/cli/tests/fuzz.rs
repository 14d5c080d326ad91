//! `rollbook-cli` with arguments a check-in script might get wrong: every subcommand with
//! near-miss ids and dates, bad numbers, hostile strings, files of garbage. Each run ends with a
//! documented exit code (0 done, 1 failed, 2 bad input, 3 `sync --wait` timed out), never a
//! panic or a signal; a non-zero exit says why on stderr and leaves every table of the database
//! as it was. Seeded by proptest (a failure is shrunk to the smallest command line).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const OFFERING: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const TEACHER: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
const STUDENT: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000001";
const OTHER: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000002";
const DATE: &str = "2024-03-15";

/// The subcommands and the options each takes (`--flag` takes a value, `?flag` is a switch,
/// `<` a positional argument). `login`, `logout` and `wipe` are left out: they act on the
/// system keyring and on the whole data directory, and have tests of their own.
const COMMANDS: &[(&str, &[&str])] = &[
    ("roster import", &["<", "?dry-run", "?json"]),
    ("roster show", &["--offering", "--date", "?json"]),
    ("offerings", &["?json"]),
    (
        "mark",
        &["--offering", "--student", "--date", "--status", "?json"],
    ),
    ("mark-rest-present", &["--offering", "--date", "?json"]),
    ("undo", &["--offering", "--date", "?json"]),
    ("marks import", &["<", "?json"]),
    ("history", &["--offering", "--student", "--date", "?json"]),
    ("counts", &["--offering", "--date", "?json"]),
    ("status", &["?json"]),
    (
        "sync",
        &["--timeout", "--concurrency", "?resend-unknown", "?json"],
    ),
    ("pull", &["--offering", "--student", "?json"]),
    ("rejected", &["?json"]),
    ("retention", &["?json"]),
    ("retention set", &["--keep-days"]),
    ("retention off", &[]),
    ("purge", &["?dry-run", "--keep-days", "?json"]),
    ("discard", &["<"]),
    (
        "report",
        &[
            "--student",
            "--from",
            "--to",
            "?json",
            "--svg",
            "--png",
            "--csv",
            "--html",
            "?no-pull",
            "--lang",
            "--theme",
        ],
    ),
    (
        "class-report",
        &[
            "--offering",
            "--from",
            "--to",
            "?json",
            "--svg",
            "--png",
            "--csv",
            "?no-pull",
            "--lang",
            "--theme",
        ],
    ),
];

/// A value for any option: right, almost right, or hostile. `@name` stands for a file in the
/// sandbox (see [`Sandbox::resolve`]).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(OFFERING.to_string()),
        Just(STUDENT.to_string()),
        Just(OTHER.to_uppercase()),
        Just(STUDENT[..30].to_string()),
        Just(format!("{OFFERING}-0")),
        Just(DATE.to_string()),
        Just("2024-02-30".to_string()),
        Just("15/03/2024".to_string()),
        Just("present".to_string()),
        Just("ABSENT".to_string()),
        Just("tardy".to_string()),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("1".to_string()),
        Just("99999999999999999999".to_string()),
        Just("1.5".to_string()),
        Just("es".to_string()),
        Just("dark".to_string()),
        Just("--json".to_string()),
        Just(String::new()),
        Just("ÿ\u{202e}名前🙂".to_string()),
        Just("x".repeat(10_000)),
        Just("@roster.csv".to_string()),
        Just("@checkins.csv".to_string()),
        Just("@garbage.csv".to_string()),
        Just("@missing.csv".to_string()),
        Just("@out/chart.svg".to_string()),
        Just("@no-such-dir/out.png".to_string()),
        Just("@".to_string()),
        "[ -~]{0,20}",
    ]
}

/// One command line: a subcommand, then each of its options present or not.
fn command_line() -> impl Strategy<Value = Vec<String>> {
    prop::sample::select(COMMANDS.to_vec()).prop_flat_map(|(command, options)| {
        let n = options.len();
        prop::collection::vec((any::<bool>(), value()), n).prop_map(move |choices| {
            let mut args: Vec<String> = command.split(' ').map(str::to_string).collect();
            for (option, (present, value)) in options.iter().zip(choices) {
                match option.split_at(1) {
                    ("<", _) => args.push(value),
                    _ if !present => {}
                    ("?", name) => args.push(format!("--{name}")),
                    _ => {
                        args.push(option.to_string());
                        args.push(value);
                    }
                }
            }
            args
        })
    })
}

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let sandbox = Sandbox {
            dir: tempfile::tempdir().unwrap(),
        };
        let roster = format!(
            "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,student_name\n\
             {OFFERING},Math,{TEACHER},e1e1e1e1-0000-4000-8000-000000000001,{STUDENT},José Núñez\n\
             {OFFERING},Math,{TEACHER},e1e1e1e1-0000-4000-8000-000000000002,{OTHER},Ana Lima\n"
        );
        sandbox.write("roster.csv", roster.as_bytes());
        sandbox.write(
            "checkins.csv",
            format!("course_offering_id,student_id,attendance_date,status\n{OFFERING},{STUDENT},{DATE},late\n")
                .as_bytes(),
        );
        sandbox.write("garbage.csv", b"\xff\xfe;;\"unterminated\n\0\0,,,\n");
        std::fs::create_dir_all(sandbox.dir.path().join("out")).unwrap();
        sandbox
    }

    fn write(&self, name: &str, content: &[u8]) {
        std::fs::write(self.dir.path().join(name), content).unwrap();
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn resolve(&self, arg: &str) -> String {
        match arg.strip_prefix('@') {
            Some(name) => self.dir.path().join(name).to_string_lossy().into_owned(),
            None => arg.to_string(),
        }
    }

    fn run(&self, args: &[String]) -> std::process::Output {
        let args: Vec<String> = args.iter().map(|a| self.resolve(a)).collect();
        Command::new(env!("CARGO_BIN_EXE_rollbook-cli"))
            .args(&args)
            .env("ROLLBOOK_DATA_DIR", self.data_dir())
            .env("ROLLBOOK_ACTOR", "test:fuzz")
            // Nothing here may reach a real server or the keyring of the machine running the
            // tests: no token, a server address nothing listens on, no session bus.
            .env_remove("ROLLBOOK_TOKEN")
            .env("ROLLBOOK_API_URL", "http://127.0.0.1:9")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
            .stdin(Stdio::null())
            .output()
            .expect("run rollbook-cli")
    }
}

type Snapshot = BTreeMap<String, Vec<Vec<String>>>;

/// Every row of every table, as text.
fn snapshot(db: &Path) -> Snapshot {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the database opens read-only");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|table| {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
                .unwrap();
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |row| {
                    (0..columns)
                        .map(|i| row.get_ref(i).map(|v| format!("{v:?}")))
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (table, rows)
        })
        .collect()
}

/// The names of the tables whose rows differ.
fn changed_tables(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    after
        .iter()
        .filter(|(table, rows)| before.get(*table) != Some(rows))
        .map(|(table, _)| table.clone())
        .collect()
}

#[test]
fn hostile_command_lines_exit_cleanly_and_refusals_change_nothing() {
    let sandbox = Sandbox::new();
    let setup = [
        vec!["roster", "import", "@roster.csv"],
        vec![
            "mark",
            "--offering",
            OFFERING,
            "--student",
            STUDENT,
            "--date",
            DATE,
            "--status",
            "absent",
        ],
    ];
    for args in setup {
        let args: Vec<String> = args.into_iter().map(str::to_string).collect();
        let out = sandbox.run(&args);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let db = sandbox.data_dir().join("rollbook.db");

    let mut runner = TestRunner::new(Config {
        cases: 150,
        failure_persistence: None,
        ..Config::default()
    });
    // How many command lines got past argument parsing into Rollbook itself: the test is only
    // worth something if many do.
    let reached = std::cell::Cell::new(0_u32);
    runner
        .run(&command_line(), |args| {
            let before = snapshot(&db);
            let out = sandbox.run(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let code = out.status.code();
            prop_assert!(
                matches!(code, Some(0..=3)),
                "{args:?} ended with {:?} (a panic exits 101, a signal has no code): {stderr}",
                out.status
            );
            prop_assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            // clap's own refusals print the usage; anything else ran the command.
            if !stderr.contains("Usage:") {
                reached.set(reached.get() + 1);
            }
            if code != Some(0) {
                prop_assert!(
                    !stderr.trim().is_empty(),
                    "{args:?} exited {code:?} without saying why"
                );
                let changed = changed_tables(&before, &snapshot(&db));
                prop_assert!(
                    changed.is_empty(),
                    "{args:?} exited {code:?} ({stderr}) but changed {changed:?}"
                );
            }
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    eprintln!(
        "{} of 150 command lines reached Rollbook's own checks",
        reached.get()
    );
    assert!(
        reached.get() >= 60,
        "only {} of 150 command lines got past argument parsing; the generator needs fixing",
        reached.get()
    );
}
