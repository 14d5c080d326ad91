//! A data directory (or database file) that cannot be written: every command that would save
//! something fails with exit 1 and a message naming the directory or file, and once it can be
//! written again every mark saved before is still there and nothing was half-written.
//!
//! Permission bits do not bind root (CI runs as root), so as root the data directory is handed
//! to `nobody` and the commands run as `nobody` (`setpriv`); as any other user it is the
//! user's own directory with the write bits removed.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const OFFERING: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const TEACHER: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
const JOSE: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000001";
const ANA: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000002";
const DATE: &str = "2024-03-15";
/// `nobody` on Debian and Ubuntu.
const NOBODY: u32 = 65534;

/// True when the tests run as root (a new file belongs to whoever made it).
fn is_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).unwrap().uid() == 0
}

struct Sandbox {
    dir: tempfile::TempDir,
    /// A copy of the binary that `nobody` may run (the build directory may be private).
    cli: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let cli = dir.path().join("rollbook-cli");
        std::fs::copy(env!("CARGO_BIN_EXE_rollbook-cli"), &cli).unwrap();
        std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
        let roster = format!(
            "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,student_name\n\
             {OFFERING},Math,{TEACHER},e1e1e1e1-0000-4000-8000-000000000001,{JOSE},José Núñez\n\
             {OFFERING},Math,{TEACHER},e1e1e1e1-0000-4000-8000-000000000002,{ANA},Ana Lima\n"
        );
        std::fs::write(dir.path().join("roster.csv"), roster).unwrap();
        std::fs::write(
            dir.path().join("checkins.csv"),
            format!("course_offering_id,student_id,attendance_date,status\n{OFFERING},{ANA},{DATE},late\n"),
        )
        .unwrap();
        for file in ["roster.csv", "checkins.csv"] {
            std::fs::set_permissions(
                dir.path().join(file),
                std::fs::Permissions::from_mode(0o644),
            )
            .unwrap();
        }
        Sandbox { dir, cli }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    /// Runs the CLI as the owner of the data directory.
    fn run(&self, args: &[&str], as_nobody: bool) -> Output {
        let mut command = if as_nobody {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={NOBODY}"),
                &format!("--regid={NOBODY}"),
                "--clear-groups",
            ])
            .arg(&self.cli);
            c
        } else {
            Command::new(&self.cli)
        };
        command
            .args(args)
            .env("ROLLBOOK_DATA_DIR", self.data_dir())
            .env("ROLLBOOK_ACTOR", "test:secretary")
            .env_remove("ROLLBOOK_TOKEN")
            .env("ROLLBOOK_API_URL", "http://127.0.0.1:9")
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
    sandbox.ok(&[
        "mark",
        "--offering",
        OFFERING,
        "--student",
        JOSE,
        "--date",
        DATE,
        "--status",
        "absent",
    ]);
    let counts_before = sandbox.ok(&["counts", "--offering", OFFERING, "--date", DATE, "--json"]);
    let history_before = sandbox.ok(&[
        "history",
        "--offering",
        OFFERING,
        "--student",
        JOSE,
        "--date",
        DATE,
        "--json",
    ]);
    let data_dir = sandbox.data_dir();
    let as_nobody = is_root(sandbox.dir.path());
    let owner = as_nobody.then_some(NOBODY);

    // The directory cannot be written (the database file still could be).
    lock(&data_dir, owner, 0o500, 0o600);
    let attempts: [(&str, Vec<String>); 5] = [
        (
            "mark",
            [
                "mark",
                "--offering",
                OFFERING,
                "--student",
                ANA,
                "--date",
                DATE,
                "--status",
                "late",
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "mark-rest-present",
            ["mark-rest-present", "--offering", OFFERING, "--date", DATE]
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
            ["undo", "--offering", OFFERING, "--date", DATE]
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
        sandbox.ok(&["counts", "--offering", OFFERING, "--date", DATE, "--json"]),
        counts_before,
        "the marks are as they were before the directory became read-only"
    );
    assert_eq!(
        sandbox.ok(&[
            "history",
            "--offering",
            OFFERING,
            "--student",
            JOSE,
            "--date",
            DATE,
            "--json",
        ]),
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
    sandbox.ok(&[
        "mark",
        "--offering",
        OFFERING,
        "--student",
        ANA,
        "--date",
        DATE,
        "--status",
        "late",
    ]);
}
