//! The token never crosses IPC. With a token signed in, every command is called (a command
//! added later fails this test until it is called here too), through successes and failures: a
//! refused token, a read-only token, refused marks, an unreachable server, a bad stored URL, bad
//! arguments. Every answer, every error and every event the page could receive is kept, with
//! the files the exports write, and none may hold any of the tokens used.
//!
//! A `Secret` in an answer would not compile (rollbook-core asserts it is not `Serialize`);
//! what could still slip through is the token as a plain `String`. So a source scan adds that no
//! type the app serializes (src-tauri, rollbook-core, rollbook-report) has a field named like a
//! credential.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use athena_sim::{Sim, ALL_SCOPES};
use serde_json::{json, Value};
use tauri::Listener;

use super::*;

const SIGNED_IN: &str = "t-secrecy-7c2e51b9a4d8";
const WRONG: &str = "t-secrecy-wrong-93ab06e1f7";
const READ_ONLY: &str = "t-secrecy-read-only-6d1f82c5b0";
const TOKENS: [&str; 3] = [SIGNED_IN, WRONG, READ_ONLY];

/// What the page received: each call's answer or error, and each event's payload.
struct Transcript {
    window: WebviewWindow<MockRuntime>,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    called: BTreeSet<String>,
}

impl Transcript {
    fn call(&mut self, cmd: &str, args: Value) -> Result<Value, Value> {
        let result = call(&self.window, cmd, args);
        let text = match &result {
            Ok(v) => format!("answer {v}"),
            Err(e) => format!("error {e}"),
        };
        self.seen
            .lock()
            .expect("transcript lock")
            .push((cmd.to_string(), text));
        self.called.insert(cmd.to_string());
        result
    }

    fn ok(&mut self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn err(&mut self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(v) => panic!("{cmd} should have failed, answered {v}"),
            Err(e) => e,
        }
    }

    /// Waits (up to 30 s) until `check` holds for `sync_status`.
    fn wait_for_status(&mut self, what: &str, check: impl Fn(&Value) -> bool) {
        let start = Instant::now();
        loop {
            let status = self.ok("sync_status", json!({}));
            if check(&status) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{what}: the status is still {status}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Every line of `seen` and every file in `files` that holds one of `tokens`.
fn leaks(seen: &[(String, String)], files: &[(PathBuf, Vec<u8>)], tokens: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (what, text) in seen {
        if tokens.iter().any(|t| text.contains(t)) {
            found.push(format!("{what}: {text}"));
        }
    }
    for (path, bytes) in files {
        let hit = tokens.iter().any(|t| {
            let t = t.as_bytes();
            bytes.windows(t.len()).any(|w| w == t)
        });
        if hit {
            found.push(format!("{} holds a token", path.display()));
        }
    }
    found
}

/// Every regular file under `dir` with its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
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

/// A loopback URL nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    format!("http://{addr}")
}

#[test]
fn the_leak_check_finds_a_planted_token() {
    let seen = [
        (
            "settings".to_string(),
            "answer {\"signed_in\":true}".to_string(),
        ),
        (
            "sign_in".to_string(),
            format!("error bearer {READ_ONLY} refused"),
        ),
    ];
    let files = [(
        PathBuf::from("export.csv"),
        format!("a,{SIGNED_IN}").into_bytes(),
    )];
    let found = leaks(&seen, &files, &TOKENS);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with("sign_in: error"), "{found:#?}");
}

#[test]
fn no_answer_error_or_event_carries_the_token() {
    let sim = Sim::builder()
        .token(SIGNED_IN, &ALL_SCOPES)
        .token(READ_ONLY, &["read:attendance"])
        .start_on(tauri::async_runtime::handle().inner())
        .expect("the sim starts");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let downloads = dir.path().join("Downloads");
    let state = memory_tokens(AppState::new(data.clone())).with_export_dir(downloads.clone());
    let (app, window) = app_with(state);
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    // The app's events (src-tauri/events.rs, src-tauri/school_pull.rs).
    for event in ["sync-status", "marks-changed", "school-pull"] {
        let seen = seen.clone();
        app.listen(event, move |e| {
            seen.lock()
                .expect("transcript lock")
                .push((format!("event {event}"), e.payload().to_string()));
        });
    }
    let mut t = Transcript {
        window,
        seen,
        called: BTreeSet::new(),
    };

    t.ok("save_settings", json!({"apiUrl": sim.base_url()}));
    t.ok("save_refresh_minutes", json!({"minutes": "5"}));
    let settings = t.ok("sign_in", json!({"token": format!("  {SIGNED_IN}\n")}));
    assert_eq!(settings["signed_in"], true);
    t.ok("settings", json!({}));
    t.ok("app_info", json!({}));
    t.ok("window_shown", json!({}));
    t.err("leave_demo", json!({}));
    t.ok(
        "roster_preview",
        json!({"csv": fixture(), "fileName": "roster.csv"}),
    );
    t.ok(
        "roster_import",
        json!({"csv": fixture(), "fileName": "roster.csv"}),
    );
    t.ok("today", json!({"date": date()}));
    let offering = t.ok("offerings", json!({}))[0]["id"].clone();
    let rows = t.ok("roster", json!({"offering": offering, "date": date()}));
    let students: Vec<Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["student_id"].clone())
        .collect();
    let mark = |t: &mut Transcript, student: &Value, status: &str| {
        t.ok(
            "set_mark",
            json!({"offering": offering, "student": student, "date": date(), "status": status}),
        )
    };

    // Two marks the server refuses (one tried again, one discarded), the rest delivered.
    for student in &students[..2] {
        sim.reject_student(athena_sim::parse_uuid(student.as_str().unwrap()).unwrap());
        mark(&mut t, student, "absent");
    }
    t.ok(
        "mark_rest_present",
        json!({"offering": offering, "date": date()}),
    );
    t.ok("refresh_roll", json!({"offering": offering}));
    t.ok("counts", json!({"offering": offering, "date": date()}));
    t.ok("sync_now", json!({}));
    t.wait_for_status("the refusals are in and the rest delivered", |s| {
        s["rejected"] == 2 && s["pending"] == 0 && s["unknown"] == 0
    });
    let problems = t.ok("sync_problems", json!({}));
    sim.accept_student(athena_sim::parse_uuid(students[0].as_str().unwrap()).unwrap());
    t.ok("retry", json!({"id": problems[0]["id"]}));
    t.ok("discard", json!({"id": problems[1]["id"]}));
    t.ok("resend_unknown", json!({}));
    t.ok(
        "history",
        json!({"offering": offering, "student": students[0], "date": date()}),
    );
    mark(&mut t, &students[2], "late");
    t.ok("undo", json!({"offering": offering, "date": date()}));

    // Rolls still to take and the school calendar; a refused calendar file quotes its rows.
    t.ok("missing_rolls", json!({}));
    t.ok(
        "save_meeting_days",
        json!({"offering": offering, "days": [1, 3, 5]}),
    );
    t.ok(
        "import_non_school_days",
        json!({"csv": "date\n2099-12-25\n", "fileName": "calendar.csv"}),
    );
    t.err(
        "import_non_school_days",
        json!({"csv": "date\nsoon\n", "fileName": "bad.csv"}),
    );
    t.ok("calendar", json!({}));

    // The counselor screen and its exports.
    t.ok("search_students", json!({"query": ""}));
    let look = json!({"from": null, "to": null, "theme": "light", "lang": "en"});
    let mut args = look.clone();
    args["student"] = students[0].clone();
    t.ok("student_view", args);
    let mut args = look.clone();
    args["offering"] = offering.clone();
    t.ok("class_view", args);
    for kind in ["csv", "html"] {
        t.ok(
            "export_student",
            json!({"student": students[0], "kind": kind}),
        );
    }
    t.ok("export_class", json!({"offering": offering, "kind": "csv"}));
    t.ok(
        "school_view",
        json!({"from": null, "to": null, "tiers": ["at-risk"]}),
    );
    t.ok(
        "export_school",
        json!({"kind": "csv", "offering": offering}),
    );
    // Refresh all classes, to the end.
    t.ok("pull_all_classes", json!({}));
    let start = Instant::now();
    while t.ok("school_pull_state", json!({}))["running"] == true {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the school pull ends"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    t.ok("cancel_pull_all_classes", json!({}));

    // How long records are kept (ten years: the marks above stay).
    t.ok("retention", json!({}));
    t.ok("save_retention", json!({"keepDays": "3650"}));
    t.ok("preview_purge", json!({"keepDays": null}));
    t.ok("purge_now", json!({"keepDays": "3650"}));
    t.err("save_retention", json!({"keepDays": "soon"}));

    // A token the server does not know (401), then one that may only read (403).
    t.ok("sign_in", json!({"token": WRONG}));
    mark(&mut t, &students[2], "absent");
    t.ok("sync_now", json!({}));
    t.wait_for_status("the server refuses the token", |s| {
        s["blocked"]["reason"] == "auth"
    });
    t.ok("settings", json!({}));
    t.ok("sync_problems", json!({}));
    t.ok("sign_in", json!({"token": READ_ONLY}));
    t.ok("sync_now", json!({}));
    t.wait_for_status("the server refuses to record with a read-only token", |s| {
        s["blocked"]["reason"] == "permission"
    });
    t.ok("settings", json!({}));
    t.ok("sign_in", json!({"token": SIGNED_IN}));
    t.ok("sync_now", json!({}));
    t.wait_for_status("the right token delivers the rest", |s| {
        s["pending"] == 0 && s["blocked"].is_null()
    });

    // No server at all, then a URL that is not allowed stored behind the app's back.
    t.ok("save_settings", json!({"apiUrl": closed_port_url()}));
    mark(&mut t, &students[2], "excused");
    t.ok("sync_now", json!({}));
    t.wait_for_status(
        "the server cannot be reached: a later attempt is planned",
        |s| s["online"] == false && s["pending"] == 1 && s["next_attempt_at"].is_string(),
    );
    let mut args = look.clone();
    args["student"] = students[2].clone();
    t.ok("student_view", args);
    t.err(
        "save_settings",
        json!({"apiUrl": "http://athena.example.edu"}),
    );
    // The token pasted into the URL field is refused without being quoted back.
    t.err("save_settings", json!({"apiUrl": SIGNED_IN}));
    t.err("sign_in", json!({"token": " \n"}));
    let db = rusqlite::Connection::open(data.join("rollbook.db")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    db.execute(
        "INSERT INTO setting (key, value) VALUES ('api_url', 'http://athena.example.edu')
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [],
    )
    .unwrap();
    drop(db);
    let refused = t.err("sign_in", json!({"token": SIGNED_IN}));
    assert_eq!(refused["code"], "invalid", "{refused}");
    // With that URL stored these may answer or fail: either way, what they say is kept.
    for cmd in ["settings", "sync_status", "sign_out"] {
        let _ = t.call(cmd, json!({}));
    }
    t.err(
        "set_mark",
        json!({"offering": offering, "student": "x", "date": date(), "status": "late"}),
    );

    let missed: Vec<&str> = rollbook_app::COMMANDS
        .iter()
        .copied()
        .filter(|c| !t.called.contains(*c))
        .collect();
    assert!(
        missed.is_empty(),
        "every command is called with a token signed in; not yet: {missed:?}"
    );
    let seen = t.seen.lock().expect("transcript lock").clone();
    assert!(
        seen.iter().any(|(what, _)| what == "event sync-status"),
        "the events are in the transcript"
    );
    let mut files = files_under(&downloads);
    assert!(
        files.len() >= 3,
        "the exports were written: {}",
        files.len()
    );
    files.extend(files_under(&data));
    let found = leaks(&seen, &files, &TOKENS);
    assert!(
        found.is_empty(),
        "{} of {} answers, errors and events, or files, hold a token:\n{}",
        found.len(),
        seen.len(),
        found.join("\n")
    );
}

/// A type that derives `Serialize`, as the source declares it.
#[derive(Debug)]
struct Serialized {
    file: PathBuf,
    name: String,
    /// Field names (of a struct, or of an enum's variants), with any `serde(rename)` names.
    fields: Vec<String>,
}

/// Every `#[derive(.. Serialize ..)]` struct or enum in `source`, with its field names. A text
/// scan: fields are the `name:` lines of the item's body (enum variants' fields included).
fn serialized_types(file: &Path, source: &str) -> Vec<Serialized> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        i += 1;
        if !derives_serialize(line) {
            continue;
        }
        // Skip further attributes and doc comments up to the item.
        while i < lines.len() && !is_item(lines[i]) {
            i += 1;
        }
        let Some(header) = lines.get(i) else { break };
        let name: String = header
            .split_whitespace()
            .skip_while(|w| *w != "struct" && *w != "enum")
            .nth(1)
            .unwrap_or("?")
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let mut fields = Vec::new();
        let mut depth: i32 = 0;
        while let Some(body) = lines.get(i) {
            let text = body.trim();
            if depth >= 1 {
                if let Some(rename) = text.split("rename = \"").nth(1) {
                    fields.push(rename.split('"').next().unwrap_or("").to_string());
                }
                if let Some((field, _)) = text.split_once(':') {
                    let field = field
                        .trim_start_matches("pub(crate)")
                        .trim_start_matches("pub")
                        .trim();
                    if !field.is_empty()
                        && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        fields.push(field.to_string());
                    }
                }
            }
            depth += body.matches('{').count() as i32 + body.matches('(').count() as i32;
            depth -= body.matches('}').count() as i32 + body.matches(')').count() as i32;
            i += 1;
            if depth <= 0 && (text.ends_with('}') || text.ends_with(';')) {
                break;
            }
        }
        found.push(Serialized {
            file: file.to_path_buf(),
            name,
            fields,
        });
    }
    found
}

/// `#[derive(...)]` with `Serialize` (or `serde::Serialize`) among the derived traits.
fn derives_serialize(line: &str) -> bool {
    line.strip_prefix("#[derive(").is_some_and(|list| {
        list.split([',', ')', ' '])
            .any(|t| t == "Serialize" || t == "serde::Serialize")
    })
}

/// The line that declares a struct or an enum (not an attribute or a comment).
fn is_item(line: &str) -> bool {
    let line = line.trim();
    let words: Vec<&str> = line.split_whitespace().collect();
    !line.starts_with("//")
        && !line.starts_with('#')
        && (words.contains(&"struct") || words.contains(&"enum"))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

#[test]
fn the_field_scan_sees_fields_and_a_planted_credential() {
    let planted = "#[derive(Debug, Clone, Serialize)]\n\
                   /// The settings.\n\
                   pub struct Leaky {\n    pub api_url: String,\n    \
                   #[serde(rename = \"auth\")]\n    pub bearer_token: String,\n}\n\
                   #[derive(Debug)]\nstruct NotSent { token: String }\n";
    let types = serialized_types(Path::new("planted.rs"), planted);
    assert_eq!(types.len(), 1, "{types:?}");
    assert_eq!(types[0].name, "Leaky");
    assert_eq!(types[0].fields, ["api_url", "auth", "bearer_token"]);
}

#[test]
fn no_type_sent_to_the_page_has_a_credential_field() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut types = Vec::new();
    for dir in ["src-tauri", "crates/core/src", "crates/report/src"] {
        for file in rust_files(&root.join(dir)) {
            let source = std::fs::read_to_string(&file).unwrap();
            types.extend(serialized_types(&file, &source));
        }
    }
    let settings = types
        .iter()
        .find(|t| t.name == "Settings")
        .expect("the scan finds the settings the page shows (src-tauri/engine.rs)");
    assert!(
        settings.fields.iter().any(|f| f == "signed_in"),
        "the scan reads fields: {settings:?}"
    );
    assert!(types.len() >= 20, "{} Serialize types found", types.len());
    // Not credentials: a 32-bit hash that tells two tokens apart (`Secret::tag`), kept in the
    // database with a stopped queue; the type is private to rollbook-core.
    let allowed = [("StoredBlock", "token_tag")];
    let credential = [
        "token",
        "secret",
        "password",
        "passwd",
        "credential",
        "bearer",
        "auth",
    ];
    let suspicious: Vec<String> = types
        .iter()
        .flat_map(|t| t.fields.iter().map(move |f| (t, f)))
        .filter(|(t, f)| !allowed.contains(&(t.name.as_str(), f.as_str())))
        .filter(|(_, f)| {
            let f = f.to_ascii_lowercase();
            credential.iter().any(|c| f.contains(c))
        })
        .map(|(t, f)| format!("{}: {}.{f}", t.file.display(), t.name))
        .collect();
    assert!(
        suspicious.is_empty(),
        "types serialized to the page with a credential-like field:\n{}",
        suspicious.join("\n")
    );
}
