//! A data directory (or database file) that cannot be written: every command that would save
//! something fails with exit 1 and a message naming the directory or file, and once it can be
//! written again every mark saved before is still there and nothing was half-written.
//!
//! Permission bits do not bind root (CI runs as root), so as root the data directory is handed
//! to `nobody` and the commands run as `nobody` (`setpriv`); as any other user it is the
//! user's own directory with the write bits removed.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support {
    pub mod cli;
    pub mod fixtures;
}
use support::cli::{mark_args, Cli};
use support::fixtures::{checkins_csv, date, roster_csv, ANA, JOSE, MATH};

/// `nobody` on Debian and Ubuntu.
const NOBODY: u32 = 65534;

/// True when the tests run as root (a new file belongs to whoever made it).
fn is_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).unwrap().uid() == 0
}

struct Sandbox {
    cli: Cli,
    /// A copy of the binary that `nobody` may run (the build directory may be private).
    bin: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let cli = Cli::new();
        let dir = cli.dir.path();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = dir.join("rollbook-cli");
        std::fs::copy(env!("CARGO_BIN_EXE_rollbook-cli"), &bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        cli.write("roster.csv", roster_csv());
        cli.write("checkins.csv", checkins_csv(&[[MATH, ANA, date(), "late"]]));
        for file in ["roster.csv", "checkins.csv"] {
            std::fs::set_permissions(cli.path(file), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        Sandbox { cli, bin }
    }

    fn path(&self, name: &str) -> String {
        self.cli.path(name).to_string_lossy().into_owned()
    }

    /// Runs the copy of the CLI, as `nobody` or as the owner of the data directory.
    fn run(&self, args: &[&str], as_nobody: bool) -> Output {
        let mut command = if as_nobody {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={NOBODY}"),
                &format!("--regid={NOBODY}"),
                "--clear-groups",
            ])
            .arg(&self.bin);
            c
        } else {
            Command::new(&self.bin)
        };
        self.cli
            .environment(&mut command)
            .args(args)
            .output()
            .expect("run rollbook-cli")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, false);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }
}

/// Sets the owner (as root) and the mode of the data directory and of every file in it.
fn lock(dir: &Path, owner: Option<u32>, dir_mode: u32, file_mode: u32) {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()));
    for path in paths {
        if let Some(uid) = owner {
            std::os::unix::fs::chown(&path, Some(uid), Some(uid)).unwrap();
        }
        let mode = if path == dir { dir_mode } else { file_mode };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

fn assert_refused(out: &Output, what: &str, names: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: a data directory that cannot be written is a failure (exit 1): {stderr}"
    );
    assert!(
        stderr.contains(names) && stderr.contains("cannot be written"),
        "{what}: the message names {names} and says what is wrong: {stderr}"
    );
}

#[test]
fn an_unwritable_data_dir_refuses_changes_clearly_and_keeps_what_was_saved() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["roster", "import", &sandbox.path("roster.csv")]);
    sandbox.ok(&mark_args(MATH, JOSE, date(), "absent"));
    let counts = ["counts", "--offering", MATH, "--date", date(), "--json"];
    let history = [
        "history",
        "--offering",
        MATH,
        "--student",
        JOSE,
        "--date",
        date(),
        "--json",
    ];
    let counts_before = sandbox.ok(&counts);
    let history_before = sandbox.ok(&history);
    let data_dir = sandbox.cli.data_dir();
    let as_nobody = is_root(sandbox.cli.dir.path());
    let owner = as_nobody.then_some(NOBODY);

    // The directory cannot be written (the database file still could be).
    lock(&data_dir, owner, 0o500, 0o600);
    let attempts: [(&str, Vec<String>); 5] = [
        (
            "mark",
            mark_args(MATH, ANA, date(), "late")
                .map(String::from)
                .to_vec(),
        ),
        (
            "mark-rest-present",
            ["mark-rest-present", "--offering", MATH, "--date", date()]
                .map(String::from)
                .to_vec(),
        ),
        (
            "marks import",
            vec![
                "marks".into(),
                "import".into(),
                sandbox.path("checkins.csv"),
            ],
        ),
        (
            "roster import",
            vec!["roster".into(), "import".into(), sandbox.path("roster.csv")],
        ),
        (
            "undo",
            ["undo", "--offering", MATH, "--date", date()]
                .map(String::from)
                .to_vec(),
        ),
    ];
    let dir_name = data_dir.to_string_lossy().into_owned();
    for (what, args) in &attempts {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_refused(&sandbox.run(&args, as_nobody), what, &dir_name);
    }

    // The directory can be written but the database file cannot.
    lock(&data_dir, owner, 0o700, 0o400);
    let db_name = data_dir.join("rollbook.db").to_string_lossy().into_owned();
    let args: Vec<&str> = attempts[0].1.iter().map(String::as_str).collect();
    assert_refused(&sandbox.run(&args, as_nobody), "mark", &db_name);

    // Writable again: everything saved before is there, nothing of the refused commands is.
    lock(&data_dir, as_nobody.then_some(0), 0o700, 0o600);
    assert_eq!(
        sandbox.ok(&counts),
        counts_before,
        "the marks are as they were before the directory became read-only"
    );
    assert_eq!(
        sandbox.ok(&history),
        history_before,
        "the saved mark's history is intact and undo did not run"
    );
    let conn = rusqlite::Connection::open(data_dir.join("rollbook.db")).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let (marks, items): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM mark), (SELECT count(*) FROM outbox)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((marks, items), (1, 1), "only the mark saved before");
    // And the next mark is saved as usual.
    sandbox.ok(&mark_args(MATH, ANA, date(), "late"));
}
