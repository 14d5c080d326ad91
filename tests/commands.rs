//! Command wiring: every command is registered, permitted by the real capability (the ACL
//! built by build.rs from src-tauri/capabilities, not bypassed) and answers errors as
//! `{code, message}`; the sync engine runs behind them and reports through events. Runs on
//! tauri's mock runtime: no display needed. HTTP goes to athena-sim on 127.0.0.1:0.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rollbook_app::AppState;
use rollbook_core::sync::MemoryTokens;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

/// A day `n` days before today in UTC (the app's "today" is the user's local date, within a day
/// of it: the tests mark days well inside the window).
fn days_ago(n: i64) -> String {
    let day = chrono::Utc::now().date_naive() - chrono::TimeDelta::days(n);
    rollbook_core::Day::from_date(day).to_string()
}

/// The day these tests take the roll on: ten days ago (a mark is dated within the last 400
/// days unless the user allows another date).
fn date() -> &'static str {
    static DATE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DATE.get_or_init(|| days_ago(10))
}
const TOKEN: &str = "t-wiring";

/// The app exactly as `rollbook` builds it (same handler, same tauri.conf.json and ACL), on the
/// mock runtime.
fn app_with(state: AppState) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let (app, window) = app_unshown(state);
    // What the page does once it has painted its first screen: the start-up work begins.
    invoke(&window, "window_shown").expect("the page says it is shown");
    (app, window)
}

/// As [`app_with`], before the page has said its first screen is painted.
fn app_unshown(state: AppState) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = rollbook_app::builder(mock_builder(), state)
        .build(rollbook_app::context())
        .expect("the app builds with the real context");
    // What tauri's setup does when the real app runs (the mock runtime never runs it).
    rollbook_app::start(app.handle());
    // The window tauri.conf.json declares (the real app creates it at startup).
    let config = app
        .config()
        .app
        .windows
        .first()
        .expect("tauri.conf.json declares a window")
        .clone();
    assert_eq!(
        config.label, "main",
        "the capability grants the window labelled main"
    );
    let window = WebviewWindowBuilder::from_config(&app, &config)
        .and_then(|b| b.build())
        .expect("the main window builds");
    (app, window)
}

/// The user's own data in `data_dir`; the token lives in memory, not in the keyring of the
/// machine running the tests.
fn app(data_dir: &std::path::Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    app_with(memory_tokens(AppState::new(data_dir.to_path_buf())))
}

fn memory_tokens(state: AppState) -> AppState {
    state.with_token_store(Arc::new(MemoryTokens::default()))
}

/// Invokes `cmd` with `args` as the window's page would: from the app's own origin (on Linux,
/// `tauri://localhost`).
fn call(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("a valid URL"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request)
        .map(|body| body.deserialize::<Value>().expect("commands answer JSON"))
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str) -> Result<Value, Value> {
    call(window, cmd, json!({}))
}

/// Asserts an error is exactly `{code, message}` with this code, and returns the message.
fn assert_error(result: Result<Value, Value>, code: &str, why: &str) -> String {
    let error = result.expect_err(why);
    assert_eq!(
        error["code"], code,
        "{why}: the UI branches on the code: {error}"
    );
    assert_eq!(
        error.as_object().map(|o| o.len()),
        Some(2),
        "{why}: exactly {{code, message}}: {error}"
    );
    error["message"]
        .as_str()
        .expect("a message for people")
        .to_string()
}

fn import(window: &WebviewWindow<MockRuntime>, csv: &str) -> Value {
    call(
        window,
        "roster_import",
        json!({"csv": csv, "fileName": "roster.csv"}),
    )
    .expect("the roster imports")
}

fn fixture() -> &'static str {
    include_str!("fixtures/roster.csv")
}

/// The roll of `offering` on [`date()`]: one row per student.
fn roll(window: &WebviewWindow<MockRuntime>, offering: &Value) -> Value {
    call(
        window,
        "roster",
        json!({"offering": offering, "date": date()}),
    )
    .expect("the roll opens")
}

/// The counts of the roll of `offering` on [`date()`].
fn counts(window: &WebviewWindow<MockRuntime>, offering: &Value) -> Value {
    call(
        window,
        "counts",
        json!({"offering": offering, "date": date()}),
    )
    .expect("the counts are read")
}

/// Every row of every table, by table name.
type Snapshot = BTreeMap<String, Vec<Vec<String>>>;

/// Every row of every table, as text: what "the database is unchanged" compares.
fn snapshot(db: &Path) -> Snapshot {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the database opens read-only beside the app");
    // The cached server records are in the records file beside it.
    let records = rollbook_core::store::records_path(db);
    conn.execute("ATTACH DATABASE ?1 AS records", [records.to_string_lossy()])
        .unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT 'main.\"' || name || '\"' FROM main.sqlite_master WHERE type = 'table'
             UNION ALL
             SELECT 'records.\"' || name || '\"' FROM records.sqlite_master WHERE type = 'table'
             ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut all = BTreeMap::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
            .unwrap();
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |row| {
                (0..columns)
                    .map(|i| {
                        row.get_ref(i).map(|v| match v {
                            rusqlite::types::ValueRef::Text(t) => {
                                String::from_utf8_lossy(t).into_owned()
                            }
                            other => format!("{other:?}"),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        all.insert(table, rows);
    }
    all
}

/// Waits (up to 30 s) until `check` holds, polling every 20 ms.
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < Duration::from_secs(30), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_command_is_declared_granted_and_reachable() {
    // The capability grants exactly the commands of src-tauri/command_list.rs (plus listening
    // to the app's events): a stale or missing grant is caught here.
    let capability: Value =
        serde_json::from_str(include_str!("../src-tauri/capabilities/main.json")).unwrap();
    let granted: Vec<&str> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let mut expected: Vec<String> = rollbook_app::COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    expected.extend([
        "core:event:allow-listen".into(),
        "core:event:allow-unlisten".into(),
    ]);
    let mut sorted = granted.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(
        sorted, expected,
        "main.json grants every command, and nothing else"
    );

    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    for cmd in rollbook_app::COMMANDS {
        // No arguments: commands that need some answer tauri's "missing required key", which
        // only comes after the ACL let the call through to the registered handler.
        match invoke(&window, cmd) {
            Ok(_) => {}
            Err(Value::String(message)) => assert!(
                message.contains("missing required key"),
                "{cmd} must be registered and granted: {message}"
            ),
            Err(error) => assert!(
                error["code"].is_string() && error["message"].is_string(),
                "{cmd}: errors are {{code, message}}: {error}"
            ),
        }
    }
}

#[test]
fn app_info_tells_where_the_data_is() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let (_app, window) = app(&data_dir);
    let info = invoke(&window, "app_info").expect("app_info is registered and granted");
    assert_eq!(
        info["data_dir"],
        json!(data_dir),
        "the page shows the directory the app really uses"
    );
    assert_eq!(info["db_path"], json!(data_dir.join("rollbook.db")));
    assert_eq!(
        info["schema_version"],
        json!(rollbook_core::store::SCHEMA_VERSION)
    );
    assert_eq!(info["version"], json!(env!("CARGO_PKG_VERSION")));
    assert_eq!(info["demo"], false);
    assert!(
        data_dir.join("rollbook.db").exists(),
        "the first call creates the database"
    );
    assert_error(
        invoke(&window, "leave_demo"),
        "conflict",
        "only a demo window can leave demo mode",
    );
}

#[test]
fn taking_the_roll_through_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    assert_eq!(invoke(&window, "offerings"), Ok(json!([])));

    let bad = call(
        &window,
        "roster_preview",
        json!({"csv": "course_offering_id\nnope\n", "fileName": "bad.csv"}),
    )
    .expect_err("a bad file is refused");
    assert_eq!(bad["code"], "bad_file");
    assert!(
        bad["rows"].as_array().is_some_and(|r| !r.is_empty()),
        "the rows say what is wrong: {bad}"
    );
    let preview = call(
        &window,
        "roster_preview",
        json!({"csv": fixture(), "fileName": "roster.csv"}),
    )
    .unwrap();
    assert_eq!(preview["offerings_added"], 2);
    assert_eq!(
        invoke(&window, "offerings"),
        Ok(json!([])),
        "a preview writes nothing"
    );
    assert_eq!(import(&window, fixture())["students_added"], 5);

    let today = call(&window, "today", json!({"date": date()})).unwrap();
    assert_eq!(today[0]["name"], "Algebra I");
    assert_eq!(today[0]["state"], "not_taken");
    let algebra = today[0]["id"].as_str().unwrap().to_string();
    let grid = |w: &WebviewWindow<MockRuntime>| {
        call(w, "roster", json!({"offering": algebra, "date": date()})).unwrap()
    };
    let rows = grid(&window);
    assert_eq!(rows.as_array().unwrap().len(), 3);
    let first = rows[0]["student_id"].as_str().unwrap().to_string();

    let row = call(
        &window,
        "set_mark",
        json!({"offering": algebra, "student": first, "date": date(), "status": "late"}),
    )
    .expect("a mark is saved");
    assert_eq!(row["student_id"], first.as_str());
    assert_eq!(row["status"], "late");
    assert_eq!(row["delivery"], "saved_here", "saved here, not yet sent");

    let rest = call(
        &window,
        "mark_rest_present",
        json!({"offering": algebra, "date": date()}),
    )
    .unwrap();
    assert_eq!(rest, json!({"marked": 2, "kept": 1}));
    assert_eq!(
        counts(&window, &json!(algebra)),
        json!({"present": 2, "absent": 0, "late": 1, "excused": 0, "unmarked": 0})
    );
    let today = call(&window, "today", json!({"date": date()})).unwrap();
    assert_eq!(today[0]["state"], "taken");
    assert_eq!(today[0]["unsent"], 3);

    let undone = call(
        &window,
        "undo",
        json!({"offering": algebra, "date": date()}),
    )
    .unwrap();
    assert_eq!(undone, json!({"reverted": 2}));
    call(
        &window,
        "undo",
        json!({"offering": algebra, "date": date()}),
    )
    .unwrap();
    assert_error(
        call(
            &window,
            "undo",
            json!({"offering": algebra, "date": date()}),
        ),
        "conflict",
        "nothing left to undo",
    );
    let history = call(
        &window,
        "history",
        json!({"offering": algebra, "student": first, "date": date()}),
    )
    .unwrap();
    let steps: Vec<(Value, Value, Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["old_status"].clone(),
                c["new_status"].clone(),
                c["origin"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (Value::Null, json!("late"), json!("grid")),
            (json!("late"), Value::Null, json!("undo")),
        ]
    );
    assert_eq!(grid(&window)[0]["status"], Value::Null);
}

#[test]
fn a_status_from_the_window_is_read_in_any_case_as_in_files() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    import(&window, fixture());
    let today = call(&window, "today", json!({"date": date()})).unwrap();
    let offering = today[0]["id"].clone();
    let student = roll(&window, &offering)[0]["student_id"].clone();
    for (given, stored) in [("Absent", "absent"), ("LATE", "late")] {
        let row = call(
            &window,
            "set_mark",
            json!({"offering": offering, "student": student, "date": date(), "status": given}),
        )
        .unwrap_or_else(|e| panic!("{given:?} is a status: {e}"));
        assert_eq!(row["status"], stored);
    }
}

#[test]
fn bad_arguments_are_invalid_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    import(&window, fixture());
    let message = assert_error(
        call(
            &window,
            "set_mark",
            json!({"offering": "not-a-uuid", "student": "x", "date": date(), "status": "late"}),
        ),
        "invalid",
        "a bad id",
    );
    assert!(message.contains("not-a-uuid"), "{message}");
    let offering = invoke(&window, "offerings").unwrap()[0]["id"].clone();
    for (args, why) in [
        (
            json!({"offering": offering, "date": "2024-02-30"}),
            "no such date",
        ),
        (
            json!({"offering": offering, "date": "15/03/2024"}),
            "not YYYY-MM-DD",
        ),
    ] {
        assert_error(call(&window, "roster", args), "invalid", why);
    }
    assert_error(
        call(
            &window,
            "set_mark",
            json!({"offering": offering, "student": offering, "date": date(), "status": "asleep"}),
        ),
        "invalid",
        "not a status",
    );
    assert_error(
        call(
            &window,
            "roster",
            json!({"offering": "00000000-0000-4000-8000-000000000000", "date": date()}),
        ),
        "not_found",
        "an offering this device does not have",
    );
    assert_error(
        call(
            &window,
            "student_view",
            json!({"student": "x", "theme": "light", "lang": "en"}),
        ),
        "invalid",
        "the counselor commands answer {code, message} too",
    );
    assert_error(
        call(
            &window,
            "export_class",
            json!({"offering": offering, "kind": "pdf"}),
        ),
        "invalid",
        "an unknown export kind",
    );
    assert_error(
        call(&window, "discard", json!({"id": 42})),
        "not_found",
        "no such item",
    );
    assert_error(
        call(
            &window,
            "save_settings",
            json!({"apiUrl": "http://athena.example.edu"}),
        ),
        "invalid",
        "plain http only to this computer",
    );
    assert_error(
        call(&window, "sign_in", json!({"token": "  \n"})),
        "invalid",
        "no token",
    );
}

#[test]
fn errors_reach_the_page_as_code_and_message() {
    let dir = tempfile::tempdir().unwrap();
    // A database written by a future Rollbook must be refused, and the window must say why.
    let db = rusqlite::Connection::open(dir.path().join("rollbook.db")).unwrap();
    db.pragma_update(None, "user_version", 9999).unwrap();
    drop(db);
    let (_app, window) = app(dir.path());
    for cmd in ["app_info", "offerings", "sync_status", "sync_problems"] {
        let message = assert_error(invoke(&window, cmd), "database_too_new", cmd);
        assert!(
            message.contains("9999"),
            "{cmd}: the message names the version: {message}"
        );
    }
}

#[test]
fn the_acl_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    // No core plugin beyond events is granted to the page: a window command must be refused.
    // This proves the requests above went through the real capability rather than around it.
    let refused = invoke(&window, "plugin:window|close").expect_err("not granted");
    assert!(
        refused.as_str().is_some_and(|m| m.contains("not allowed")),
        "{refused}"
    );
    let unknown = invoke(&window, "drop_all_tables").expect_err("not a command");
    assert!(
        unknown.as_str().is_some_and(|m| m.contains("not")),
        "{unknown}"
    );
}

#[path = "commands/calendar.rs"]
mod calendar;
#[path = "commands/dates.rs"]
mod dates;
#[path = "commands/demo_exports.rs"]
mod demo_exports;
#[path = "commands/fuzz.rs"]
mod fuzz;
#[path = "commands/readers.rs"]
mod readers;
#[path = "commands/retention.rs"]
mod retention;
#[path = "commands/school_pull.rs"]
mod school_pull;
#[path = "commands/school_view.rs"]
mod school_view;
#[path = "commands/secrecy.rs"]
mod secrecy;
#[path = "commands/sync.rs"]
mod sync;
#[path = "commands/writers.rs"]
mod writers;
