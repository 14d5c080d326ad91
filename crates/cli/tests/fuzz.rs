//! `rollbook-cli` with arguments a check-in script might get wrong: every subcommand with
//! near-miss ids and dates, bad numbers, hostile strings, files of garbage. Each run ends with a
//! documented exit code (0 done, 1 failed, 2 bad input, 3 `sync --wait` timed out), never a
//! panic or a signal; a non-zero exit says why on stderr and leaves every table of the database
//! as it was. Seeded by proptest (a failure is shrunk to the smallest command line).

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Output;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

mod support {
    pub mod cli;
    pub mod db;
    pub mod fixtures;
}
use support::cli::{mark_args, Cli};
use support::db::{snapshot, Snapshot};
use support::fixtures::{checkins_csv, date, roster_csv, ANA, JOSE, MATH};

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
    ("missing", &["--days", "--date", "?json"]),
    ("calendar import", &["<", "?json"]),
    ("calendar show", &["?json"]),
    ("calendar meeting-days", &["--offering", "--days"]),
    ("status", &["?json"]),
    (
        "sync",
        &["--timeout", "--concurrency", "?resend-unknown", "?json"],
    ),
    (
        "pull",
        &["--offering", "--student", "?all", "--concurrency", "?json"],
    ),
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
/// sandbox (see [`run`]).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(MATH.to_string()),
        Just(JOSE.to_string()),
        Just(ANA.to_uppercase()),
        Just(JOSE[..30].to_string()),
        Just(format!("{MATH}-0")),
        Just(date().to_string()),
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

/// A sandbox with the files the command lines may name: a roster, a check-in file, a file of
/// garbage and a directory for charts.
fn with_inputs() -> Cli {
    let cli = Cli::new();
    cli.write("roster.csv", roster_csv());
    cli.write(
        "checkins.csv",
        checkins_csv(&[[MATH, JOSE, date(), "late"]]),
    );
    cli.write("garbage.csv", b"\xff\xfe;;\"unterminated\n\0\0,,,\n");
    std::fs::create_dir_all(cli.path("out")).unwrap();
    cli
}

/// Runs a command line, `@name` standing for that file of the sandbox.
fn run(cli: &Cli, args: &[String]) -> Output {
    let args: Vec<String> = args
        .iter()
        .map(|arg| match arg.strip_prefix('@') {
            Some(name) => cli.path(name).to_string_lossy().into_owned(),
            None => arg.clone(),
        })
        .collect();
    cli.run(&args)
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
    let sandbox = with_inputs();
    let setup = [
        vec!["roster", "import", "@roster.csv"],
        mark_args(MATH, JOSE, date(), "absent").to_vec(),
    ];
    for args in setup {
        let args: Vec<String> = args.into_iter().map(str::to_string).collect();
        let out = run(&sandbox, &args);
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
            let out = run(&sandbox, &args);
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
