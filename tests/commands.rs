//! Command wiring: every command is registered, permitted by the real capability (the ACL
//! built by build.rs from src-tauri/capabilities, not bypassed) and answers errors as
//! `{code, message}`. Runs on tauri's mock runtime: no display needed.

use rollbook_app::AppState;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

/// The app exactly as `rollbook` builds it (same handler, same tauri.conf.json and ACL), on the
/// mock runtime, with its data in `data_dir`.
fn app(
    data_dir: &std::path::Path,
) -> (
    App<tauri::test::MockRuntime>,
    WebviewWindow<tauri::test::MockRuntime>,
) {
    let app = rollbook_app::builder(mock_builder(), AppState::new(data_dir.to_path_buf()))
        .build(rollbook_app::context())
        .expect("the app builds with the real context");
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

/// Invokes `cmd` as the window's page would: from the app's own origin (on Linux,
/// `tauri://localhost`).
fn invoke(window: &WebviewWindow<tauri::test::MockRuntime>, cmd: &str) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("a valid URL"),
        body: InvokeBody::Json(json!({})),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request)
        .map(|body| body.deserialize::<Value>().expect("commands answer JSON"))
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
    assert!(
        data_dir.join("rollbook.db").exists(),
        "the first call creates the database"
    );
}

#[test]
fn offerings_lists_the_imported_roster() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    assert_eq!(
        invoke(&window, "offerings"),
        Ok(json!([])),
        "a new data dir has no roster"
    );

    let mut store = rollbook_core::store::Store::open_data_dir(dir.path()).unwrap();
    let csv = include_bytes!("fixtures/roster.csv");
    rollbook_core::roster::import_roster_csv(&mut store, csv, "roster.csv").unwrap();

    let list = invoke(&window, "offerings").expect("offerings is registered and granted");
    let summary: Vec<(String, u64)> = list
        .as_array()
        .expect("offerings answers a list")
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["active_students"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("Algebra I".to_owned(), 3), ("Biology".to_owned(), 3)]
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
    for cmd in ["app_info", "offerings"] {
        let error = invoke(&window, cmd).expect_err("a too-new database is an error");
        assert_eq!(
            error["code"], "database_too_new",
            "{cmd}: the UI branches on the code"
        );
        let message = error["message"].as_str().expect("a message for people");
        assert!(
            message.contains("9999"),
            "{cmd}: the message names the version: {message}"
        );
        assert_eq!(
            error.as_object().unwrap().len(),
            2,
            "{cmd}: exactly {{code, message}}"
        );
    }
}

#[test]
fn the_acl_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    // No core plugin is granted to the page: a window command must be refused. This proves the
    // requests above went through the real capability rather than around it.
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
