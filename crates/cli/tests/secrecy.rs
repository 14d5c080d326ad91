//! What a whole `rollbook-cli` session lets out: the real binary, run command after command
//! against athena-sim on 127.0.0.1:0 with failures on the way (a 500, a connection dropped after
//! the record was stored, a 422 refusal, a 401 for a wrong token, a 403 for a read-only token, an
//! unreachable server), with every byte of every invocation's stdout and stderr kept, and then
//! every file of the data directory and of the exports read back.
//!
//! The rules checked:
//!
//! - No token (the real one, the wrong one, the read-only one) appears anywhere: not in any
//!   output, not in any file.
//! - A student's full name is printed only on the standard output of the commands that exist to
//!   show people: `roster show`, `history`, `rejected`, `report` and `class-report` (and in the
//!   files the user asks those to write, and the database). It never appears on standard error
//!   (errors, notes, warnings), nor on the standard output of the other commands (`login`,
//!   `sync`, `pull`, `status`, `mark`, `offerings`, …): they name students by id, so a pasted
//!   error or a script's log does not carry who was absent. The one exception, not exercised
//!   here, is quoting back a bad line of a file the user is importing, which is the user's own
//!   text, needed to fix it.
//!
//! Every invocation runs with `RUST_LOG=trace`. The CLI installs no log subscriber today, so its
//! stderr is only its own messages; if one is added, its output is covered by the same checks.
//!
//! The token reaches the binary the way a deployment would give it: `login` on stdin into the
//! Secret Service keyring when one is there to use (`make test` provides a throwaway one and
//! sets `ROLLBOOK_E2E=1`), otherwise `ROLLBOOK_TOKEN`, after a `login` that must fail for want of
//! a keyring (its error is checked too). The user's own keyring is never touched.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use athena_sim::{FaultKind, Sim};
use serde_json::Value;

/// The day the session marks: ten days ago (a mark is dated within the last 400 days).
fn recent_date() -> &'static str {
    static DATE: OnceLock<String> = OnceLock::new();
    DATE.get_or_init(|| {
        let day = chrono::Utc::now().date_naive() - chrono::TimeDelta::days(10);
        rollbook_core::Day::from_date(day).to_string()
    })
}

const TOKEN: &str = "tok-SECRECY-8f3a61c0d2e4";
const WRONG_TOKEN: &str = "tok-WRONG-4b7e90a1f5c3";
const READ_ONLY_TOKEN: &str = "tok-READONLY-2c5d83e6b9a7";

/// The commands whose standard output is meant to show students' names.
const SHOWS_NAMES: [&[&str]; 5] = [
    &["roster", "show"],
    &["history"],
    &["rejected"],
    &["report"],
    &["class-report"],
];

/// One invocation of the binary and all it printed.
struct Run {
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn shows_names(&self) -> bool {
        SHOWS_NAMES
            .iter()
            .any(|cmd| self.args.len() >= cmd.len() && self.args[..cmd.len()] == **cmd)
    }
}

/// Which token an invocation gets.
#[derive(Clone, Copy)]
enum Token {
    /// The session's: from the keyring after `login`, or `ROLLBOOK_TOKEN` without a keyring.
    Session,
    /// `ROLLBOOK_TOKEN` set to this one (it overrides the keyring).
    Env(&'static str),
    /// No `ROLLBOOK_TOKEN` (`login` reads the token from stdin).
    Stdin,
}

struct Session {
    _rt: tokio::runtime::Runtime,
    sim: Sim,
    /// The API the binary is pointed at (`ROLLBOOK_API_URL`): the sim's, or one that is down.
    api_url: String,
    dir: tempfile::TempDir,
    /// `make test`'s throwaway Secret Service is there to use.
    keyring: bool,
    transcript: Vec<Run>,
}

impl Session {
    fn start() -> Session {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = rt
            .block_on(
                Sim::builder()
                    .sample_school(7)
                    .empty_store()
                    .token(
                        TOKEN,
                        &["write:attendance", "read:attendance", "read:students"],
                    )
                    .token(READ_ONLY_TOKEN, &["read:attendance"])
                    .start(),
            )
            .expect("sim starts");
        Session {
            _rt: rt,
            api_url: sim.base_url(),
            sim,
            dir: tempfile::tempdir().expect("tempdir"),
            keyring: std::env::var("ROLLBOOK_E2E").as_deref() == Ok("1"),
            transcript: Vec::new(),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn exports(&self) -> PathBuf {
        self.dir.path().join("exports")
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().expect("utf-8").into()
    }

    /// Runs the binary, keeps everything it printed, and returns its exit code and stdout.
    fn run_with(
        &mut self,
        args: &[&str],
        token: Token,
        stdin: Option<&str>,
    ) -> (Option<i32>, String) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rollbook-cli"));
        c.args(args)
            .env("ROLLBOOK_DATA_DIR", self.data_dir())
            .env("ROLLBOOK_API_URL", &self.api_url)
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "1")
            .env_remove("ROLLBOOK_TOKEN")
            .env_remove("ROLLBOOK_SCHOOL_ID")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !self.keyring {
            // No Secret Service on any machine: `login` and `logout` fail the same way everywhere.
            c.env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/rollbook-test-bus",
            )
            .env_remove("DISPLAY");
        }
        match token {
            Token::Session if self.keyring => {}
            Token::Stdin => {}
            Token::Session => {
                c.env("ROLLBOOK_TOKEN", TOKEN);
            }
            Token::Env(t) => {
                c.env("ROLLBOOK_TOKEN", t);
            }
        }
        let mut child = c.spawn().expect("run rollbook-cli");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
        let out = child.wait_with_output().expect("rollbook-cli ends");
        let run = Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let result = (run.code, run.stdout.clone());
        self.transcript.push(run);
        result
    }

    /// Runs with the session's token and asserts the exit code.
    fn expect(&mut self, code: i32, args: &[&str]) -> String {
        self.expect_with(code, args, Token::Session)
    }

    fn expect_with(&mut self, code: i32, args: &[&str], token: Token) -> String {
        let (got, stdout) = self.run_with(args, token, None);
        let stderr = &self.transcript.last().expect("just ran").stderr;
        assert_eq!(
            got,
            Some(code),
            "{args:?} exit code; stdout: {stdout}\nstderr: {stderr}"
        );
        stdout
    }

    /// Runs, asserts the exit code and parses stdout as JSON.
    fn json(&mut self, code: i32, args: &[&str], token: Token) -> Value {
        let out = self.expect_with(code, args, token);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }

    fn last_stderr(&self) -> &str {
        &self.transcript.last().expect("ran something").stderr
    }

    /// (offering id, its enrolled students' ids) of the sample school's `n`th offering.
    fn offering(&self, n: usize) -> (String, Vec<String>) {
        let o = &self.sim.offerings()[n];
        let students = self
            .sim
            .sample()
            .expect("sample")
            .enrollments_of(o.id)
            .iter()
            .map(|e| e.student_id.to_string())
            .collect();
        (o.id.to_string(), students)
    }

    fn full_names(&self) -> Vec<String> {
        self.sim
            .students()
            .iter()
            .map(|s| s.full_name.clone())
            .collect()
    }
}

/// Every regular file under `dir` with its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                found.push((path, bytes));
            }
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every breach of the rules above in `transcript` and `files`, one line each.
fn breaches(
    transcript: &[Run],
    files: &[(PathBuf, Vec<u8>)],
    tokens: &[&str],
    names: &[String],
) -> Vec<String> {
    let mut found = Vec::new();
    for run in transcript {
        let cmd = run.args.join(" ");
        for token in tokens {
            if run.stdout.contains(token) {
                found.push(format!("`{cmd}` printed a token on stdout"));
            }
            if run.stderr.contains(token) {
                found.push(format!("`{cmd}` printed a token on stderr"));
            }
        }
        for name in names {
            if let Some(line) = run.stderr.lines().find(|l| l.contains(name.as_str())) {
                found.push(format!("`{cmd}` named {name:?} on stderr: {line}"));
            }
            if !run.shows_names() {
                if let Some(line) = run.stdout.lines().find(|l| l.contains(name.as_str())) {
                    found.push(format!("`{cmd}` named {name:?} on stdout: {line}"));
                }
            }
        }
    }
    for (path, bytes) in files {
        for token in tokens {
            if contains(bytes, token) {
                found.push(format!("{} holds a token", path.display()));
            }
        }
    }
    found
}

#[test]
fn the_scanner_finds_what_it_looks_for() {
    let name = "Ana María Gómez Ruiz".to_string();
    let run = |args: &[&str], stdout: &str, stderr: &str| Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: Some(1),
        stdout: stdout.into(),
        stderr: stderr.into(),
    };
    let transcript = [
        run(
            &["sync"],
            "",
            &format!("rollbook-cli: Bearer {TOKEN} refused"),
        ),
        run(&["status"], &format!("waiting: {name}"), ""),
        run(&["roster", "show"], &format!("{name}  present"), ""),
        run(&["history"], "", &format!("note: {name} has no marks")),
    ];
    let files = [(
        PathBuf::from("rollbook.db-wal"),
        format!("x{TOKEN}y").into_bytes(),
    )];
    let found = breaches(&transcript, &files, &[TOKEN], std::slice::from_ref(&name));
    assert_eq!(
        found.len(),
        4,
        "token on stderr, a name on a non-showing stdout, a name on stderr, a token in a file; \
         roster show may name people: {found:#?}"
    );
    assert!(
        found[0].contains("`sync` printed a token on stderr"),
        "{found:#?}"
    );
    assert!(
        found[3].contains("rollbook.db-wal holds a token"),
        "{found:#?}"
    );
}

#[test]
fn a_whole_session_never_shows_a_token_and_names_students_only_where_asked() {
    let mut s = Session::start();
    let (offering, students) = s.offering(0);
    let refused = students[2].clone();
    s.sim
        .reject_student(athena_sim::parse_uuid(&refused).expect("uuid"));
    let outsider = s
        .sim
        .students()
        .iter()
        .map(|st| st.id.to_string())
        .find(|id| !students.contains(id))
        .expect("a student who is not in the first offering");

    let roster = s.path("roster.csv");
    std::fs::write(&roster, s.sim.sample().expect("sample").roster_csv()).expect("write roster");
    s.expect(0, &["roster", "import", &roster]);

    // Signing in: URLs that are refused before the token is read (plain http to another
    // computer; the token pasted as the URL, or inside it, is not quoted back); then the token
    // goes into the keyring (or fails to, without one).
    let in_url = format!("https://teacher:{TOKEN}@athena.example.edu");
    for url in ["http://athena.example.edu", TOKEN, &in_url] {
        let (code, _) = s.run_with(
            &["login", "--api-url", url],
            Token::Stdin,
            Some(&format!("{TOKEN}\n")),
        );
        assert_eq!(code, Some(2), "{url}: {}", s.last_stderr());
    }
    let base_url = s.sim.base_url();
    let (code, stdout) = s.run_with(
        &["login", "--api-url", &base_url, "--check"],
        Token::Stdin,
        Some(&format!("{TOKEN}\n")),
    );
    if s.keyring {
        assert_eq!(code, Some(0), "{}", s.last_stderr());
        assert!(stdout.contains("The server accepts the token"), "{stdout}");
    } else {
        assert_eq!(code, Some(1), "no keyring to save into");
        assert!(s.last_stderr().contains("keyring"), "{}", s.last_stderr());
    }

    s.expect(0, &["offerings"]);
    let shown = s.expect(
        0,
        &[
            "roster",
            "show",
            "--offering",
            &offering,
            "--date",
            recent_date(),
        ],
    );
    let names = s.full_names();
    assert!(
        names.iter().any(|n| shown.contains(n.as_str())),
        "roster show prints the names the checks look for: {shown}"
    );
    s.expect(
        0,
        &[
            "roster",
            "show",
            "--offering",
            &offering,
            "--date",
            recent_date(),
            "--json",
        ],
    );
    // `mark` of `student` in the first offering on the recent date, expecting exit `code`.
    let mark = |s: &mut Session, code: i32, student: &str, status: &str| {
        s.expect(
            code,
            &[
                "mark",
                "--offering",
                &offering,
                "--student",
                student,
                "--date",
                recent_date(),
                "--status",
                status,
            ],
        );
    };
    for (student, status) in students[..4]
        .iter()
        .zip(["present", "late", "absent", "excused"])
    {
        mark(&mut s, 0, student, status);
    }
    mark(&mut s, 2, &outsider, "present");
    let checkins = s.path("checkins.csv");
    std::fs::write(
        &checkins,
        format!(
            "course_offering_id,student_id,attendance_date,status\n\
             {offering},{},{date},present\n{offering},{},{date},asleep\n",
            students[4],
            students[5],
            date = recent_date()
        ),
    )
    .expect("write checkins");
    s.expect(2, &["marks", "import", &checkins]);
    s.expect(
        0,
        &[
            "mark-rest-present",
            "--offering",
            &offering,
            "--date",
            recent_date(),
        ],
    );
    s.expect(
        0,
        &["counts", "--offering", &offering, "--date", recent_date()],
    );
    s.expect(0, &["status", "--json"]);

    // One pass, one request at a time: a 500, a record stored but its answer lost, a refusal;
    // then waiting until the lost answer is looked up on the server and the 500 is sent again.
    s.sim.fail_next(FaultKind::ServerError, 1);
    s.sim.fail_next(FaultKind::DropAfter, 1);
    s.expect(0, &["sync", "--concurrency", "1"]);
    assert_eq!(s.sim.fault_count(FaultKind::ServerError), 1);
    assert_eq!(s.sim.fault_count(FaultKind::DropAfter), 1);
    s.expect(0, &["status"]);
    let report = s.json(
        0,
        &["sync", "--wait", "--timeout", "120", "--json"],
        Token::Session,
    );
    assert_eq!(report["left"], 0, "{report}");
    let rejected = s.json(0, &["rejected", "--json"], Token::Session);
    assert_eq!(rejected[0]["student_id"], refused.as_str(), "{rejected}");
    s.expect(0, &["rejected"]);

    // Corrections to send, then a wrong token: refused (401), the queue stops, and the report
    // comes from the records on this device.
    mark(&mut s, 0, &students[0], "absent");
    mark(&mut s, 0, &students[1], "present");
    s.expect_with(1, &["sync"], Token::Env(WRONG_TOKEN));
    assert!(
        s.last_stderr().contains("refused the token"),
        "{}",
        s.last_stderr()
    );
    s.expect_with(0, &["status"], Token::Env(WRONG_TOKEN));
    s.expect_with(0, &["status", "--json"], Token::Env(WRONG_TOKEN));
    let (code, _) = s.run_with(
        &["pull", "--offering", &offering],
        Token::Env(WRONG_TOKEN),
        None,
    );
    assert_ne!(code, Some(0), "a refused token fails a pull");
    s.expect_with(
        0,
        &["report", "--student", &students[0]],
        Token::Env(WRONG_TOKEN),
    );
    assert!(
        s.last_stderr().contains("could not fetch"),
        "{}",
        s.last_stderr()
    );
    // A token that may read but not record (403).
    s.expect_with(1, &["sync"], Token::Env(READ_ONLY_TOKEN));
    let status = s.json(0, &["status", "--json"], Token::Env(READ_ONLY_TOKEN));
    assert_eq!(status["blocked"]["reason"], "permission", "{status}");
    s.expect_with(0, &["status"], Token::Env(READ_ONLY_TOKEN));
    // No server at all: the changes stay here and wait.
    s.api_url = closed_port_url();
    let (_, stdout) = s.run_with(&["sync", "--json"], Token::Session, None);
    assert!(
        stdout.contains("\"left\""),
        "the report is printed: {}",
        s.last_stderr()
    );
    s.api_url = s.sim.base_url();

    // The right token again: everything but the refused mark reaches the server, the dropped
    // one found there instead of sent twice.
    let report = s.json(
        0,
        &["sync", "--wait", "--timeout", "120", "--json"],
        Token::Session,
    );
    assert_eq!(report["left"], 0, "{report}");
    let status = s.json(0, &["status", "--json"], Token::Session);
    assert_eq!(status["rejected"], 1, "{status}");
    assert_eq!(status["blocked"], Value::Null, "{status}");
    assert_eq!(
        s.sim.record_count() as u64,
        status["synced"].as_u64().expect("synced"),
        "each delivered mark is on the server once: {status}"
    );

    s.expect(0, &["pull", "--offering", &offering]);
    s.expect(0, &["pull", "--student", &students[1], "--json"]);
    let args = [
        "history",
        "--offering",
        &offering,
        "--student",
        &students[1],
        "--date",
        recent_date(),
    ];
    s.expect(0, &args);
    s.expect(0, &[&args[..], &["--json"]].concat());
    let exports = s.exports();
    let csv = exports.join("student.csv");
    let html = exports.join("student.html");
    let svg = exports.join("svg");
    let class_csv = exports.join("class.csv");
    s.expect(
        0,
        &[
            "report",
            "--student",
            &students[1],
            "--json",
            "--csv",
            csv.to_str().expect("utf-8"),
            "--html",
            html.to_str().expect("utf-8"),
            "--svg",
            svg.to_str().expect("utf-8"),
        ],
    );
    s.expect(0, &["report", "--student", &students[1]]);
    s.expect(
        0,
        &[
            "class-report",
            "--offering",
            &offering,
            "--csv",
            class_csv.to_str().expect("utf-8"),
        ],
    );
    let item = rejected[0]["id"].as_i64().expect("item id").to_string();
    s.expect(0, &["discard", &item]);
    s.expect(0, &["status"]);
    s.expect(0, &["status", "--json"]);
    if s.keyring {
        let out = s.expect(0, &["logout"]);
        assert!(out.contains("Signed out"), "{out}");
    } else {
        s.expect(1, &["logout"]);
        assert!(s.last_stderr().contains("keyring"), "{}", s.last_stderr());
    }

    let mut files = files_under(&s.data_dir());
    assert!(
        files
            .iter()
            .any(|(_, bytes)| names.iter().any(|n| contains(bytes, n))),
        "the files are read as written: the roster's names are found in them"
    );
    files.extend(files_under(&exports));
    assert!(files.len() >= 4, "database and exports: {}", files.len());
    let found = breaches(
        &s.transcript,
        &files,
        &[TOKEN, WRONG_TOKEN, READ_ONLY_TOKEN],
        &names,
    );
    assert!(
        found.is_empty(),
        "{} breach(es) in {} invocations:\n{}",
        found.len(),
        s.transcript.len(),
        found.join("\n")
    );
}

/// A loopback URL nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}
