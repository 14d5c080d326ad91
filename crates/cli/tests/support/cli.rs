//! The real `rollbook-cli` binary, run on a data directory of its own.
//!
//! Every file in `tests/` is a test binary of its own; it names the parts of `tests/support/` it
//! uses in a `mod support { pub mod cli; ... }` block, so each binary compiles only what it uses.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

/// `ROLLBOOK_API_URL` of a sandbox without a server: a loopback port nothing listens on.
const NO_SERVER: &str = "http://127.0.0.1:9";

/// The day `n` days before today (UTC) as `YYYY-MM-DD`. A mark may be dated today or up to 400
/// days before it (the binary's local date, within a day of UTC): tests mark 2 to 398 days ago.
pub fn days_ago(n: i64) -> String {
    let day = chrono::Utc::now().date_naive() - chrono::TimeDelta::days(n);
    rollbook_core::Day::from_date(day).to_string()
}

/// The school day the tests of one binary mark on: ten days ago.
#[allow(dead_code)] // report.rs and retention.rs choose their own days
pub fn recent_date() -> &'static str {
    static DATE: OnceLock<String> = OnceLock::new();
    DATE.get_or_init(|| days_ago(10))
}

/// The arguments of `rollbook-cli mark`: `student` marked `status` in `offering` on `date`.
#[allow(dead_code)] // school.rs imports its marks from a file
pub fn mark_args<'a>(
    offering: &'a str,
    student: &'a str,
    date: &'a str,
    status: &'a str,
) -> [&'a str; 9] {
    [
        "mark",
        "--offering",
        offering,
        "--student",
        student,
        "--date",
        date,
        "--status",
        status,
    ]
}

/// A temporary directory holding the data directory (`data/`) and the test's input files, and
/// the environment every run of the binary gets: nothing of the machine running the tests (its
/// keyring, its data directory, its token, its working directory) is used.
pub struct Cli {
    pub dir: tempfile::TempDir,
    /// `ROLLBOOK_API_URL`: the server the runs talk to.
    pub api_url: String,
    /// `ROLLBOOK_TOKEN`; `None`: not set.
    pub token: Option<&'static str>,
}

impl Cli {
    /// A fresh data directory, no token, and a server address nothing listens on.
    pub fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().expect("tempdir"),
            api_url: NO_SERVER.to_string(),
            token: None,
        }
    }

    /// `name` in the temporary directory (beside the data directory).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes an input file; returns its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write input file");
        path
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path("data")
    }

    /// Gives `command` the environment of this sandbox.
    pub fn environment<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command
            .env("ROLLBOOK_DATA_DIR", self.data_dir())
            .env("ROLLBOOK_ACTOR", "test:secretary")
            .env("ROLLBOOK_API_URL", &self.api_url)
            .env_remove("ROLLBOOK_SCHOOL_ID")
            .env_remove("XDG_DATA_HOME")
            // No keyring reachable: `login`, `logout` and `wipe` fail the same way everywhere,
            // and the keyring of the machine running the tests is never touched.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/rollbook-test-bus",
            )
            .env_remove("DISPLAY")
            // A relative path on the command line (an output file) lands in the sandbox.
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        match self.token {
            Some(token) => command.env("ROLLBOOK_TOKEN", token),
            None => command.env_remove("ROLLBOOK_TOKEN"),
        }
    }

    /// The binary with `args`, ready to run in this sandbox.
    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rollbook-cli"));
        self.environment(&mut command).args(args);
        command
    }

    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.command(args).output().expect("run rollbook-cli")
    }

    /// Runs and expects exit 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?} must succeed; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// Runs and expects exit 0; returns stdout parsed as JSON.
    #[allow(dead_code)] // fuzz.rs, readonly.rs, report.rs and crash.rs read no JSON through it
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} --json: {e}: {out}"))
    }

    /// Runs and expects exit 2; returns stderr.
    #[allow(dead_code)] // only cli.rs and retention.rs check refusals of bad input this way
    pub fn invalid(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: invalid input must exit 2 so scripts can tell it from a failure; \
             stderr: {stderr}"
        );
        stderr
    }
}
