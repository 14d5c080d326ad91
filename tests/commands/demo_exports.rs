//! Demo mode and the counselor screen's exports, through the commands.

use rollbook_app::AppState;
use serde_json::json;

use super::*;

#[test]
fn demo_mode_serves_the_sample_school_from_its_own_server() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with(AppState::demo(dir.path().to_path_buf()));
    assert_eq!(invoke(&window, "app_info").unwrap()["demo"], true);
    let settings = invoke(&window, "settings").unwrap();
    assert_eq!(settings["demo"], true);
    assert_eq!(settings["signed_in"], true, "the demo token is ready");
    let url = settings["api_url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let today = call(&window, "today", json!({"date": date()})).unwrap();
    assert!(
        today.as_array().is_some_and(|o| o.len() >= 10),
        "the sample roster is imported: {today}"
    );
    assert_error(
        call(
            &window,
            "save_settings",
            json!({"apiUrl": "https://athena.example.edu"}),
        ),
        "conflict",
        "the demo talks to its own server",
    );

    // The counselor view pulls the sample school's history from the demo server.
    let student = call(&window, "search_students", json!({"query": ""})).unwrap()[0]["id"].clone();
    let view = call(
        &window,
        "student_view",
        json!({"student": student, "from": null, "to": null, "theme": "dark", "lang": "es"}),
    )
    .unwrap();
    assert!(
        view["report"]["sessions"]["total"].as_u64().unwrap() > 0,
        "the history came from the server"
    );
    assert!(view["charts"]["heatmap"]["svg"]
        .as_str()
        .unwrap()
        .starts_with("<svg"));
}

#[test]
fn exports_are_written_to_the_downloads_folder() {
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("Downloads");
    let state =
        memory_tokens(AppState::new(dir.path().join("data"))).with_export_dir(downloads.clone());
    let (_app, window) = app_with(state);
    import(&window, fixture());
    let offering = invoke(&window, "offerings").unwrap()[0]["id"].clone();
    let rows = roll(&window, &offering);
    call(
        &window,
        "mark_rest_present",
        json!({"offering": offering, "date": date()}),
    )
    .unwrap();
    let student = rows[0]["student_id"].clone();
    let csv = call(
        &window,
        "export_student",
        json!({"student": student, "kind": "csv"}),
    )
    .unwrap();
    let path = std::path::PathBuf::from(csv["path"].as_str().unwrap());
    assert!(path.starts_with(&downloads), "{}", path.display());
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.starts_with("date,course_offering_id"), "{written}");
    assert!(written.contains(date()));
    let html = call(
        &window,
        "export_student",
        json!({"student": student, "kind": "html", "lang": "es"}),
    )
    .unwrap();
    // No range given: the 12 months up to today, named in the file.
    let html_path = html["path"].as_str().unwrap();
    assert!(
        html_path.ends_with(&format!("_{}.html", days_ago(0))),
        "{html_path}"
    );
    let charts = call(
        &window,
        "export_class",
        json!({"offering": offering, "from": date(), "to": date(), "kind": "svg"}),
    )
    .unwrap();
    let folder = std::path::PathBuf::from(charts["path"].as_str().unwrap());
    assert!(folder.join("daily.svg").is_file() && folder.join("at_risk.svg").is_file());
}
