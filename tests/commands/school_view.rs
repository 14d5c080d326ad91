//! The counselor screen's school view and its exports, through the commands.

use rollbook_app::AppState;
use serde_json::json;

use super::*;

#[test]
fn the_school_view_ranks_filters_and_exports_the_call_list() {
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("Downloads");
    let state =
        memory_tokens(AppState::new(dir.path().join("data"))).with_export_dir(downloads.clone());
    let (_app, window) = app_with(state);
    import(&window, fixture());
    let offering = invoke(&window, "offerings").unwrap()[0]["id"].clone();
    let rows = roll(&window, &offering);
    let absent = rows[1]["student_id"].clone();
    call(
        &window,
        "set_mark",
        json!({"offering": offering, "student": absent, "date": date(), "status": "absent"}),
    )
    .unwrap();
    call(
        &window,
        "mark_rest_present",
        json!({"offering": offering, "date": date()}),
    )
    .unwrap();

    let view = call(&window, "school_view", json!({})).unwrap();
    let students = view["students"].as_array().unwrap();
    assert_eq!(students.len(), rows.as_array().unwrap().len());
    assert_eq!(view["total"], students.len());
    assert_eq!(
        students[0]["student_id"], absent,
        "the one absent student comes first"
    );
    assert_eq!(students[0]["absence_rate"], 1.0);
    assert_eq!(view["to"], days_ago(0), "by default up to today");

    let few = call(
        &window,
        "school_view",
        json!({"tiers": ["insufficient-data"], "search": students[1]["full_name"]}),
    )
    .unwrap();
    assert_eq!(few["students"].as_array().unwrap().len(), 1);
    assert_eq!(few["students"][0]["student_id"], students[1]["student_id"]);

    let message = assert_error(
        call(&window, "school_view", json!({"tiers": ["chronic"]})),
        "invalid",
        "an unknown tier is the caller's mistake",
    );
    assert!(message.contains("\"chronic\" is not a tier"), "{message}");

    let csv = call(
        &window,
        "export_school",
        json!({"kind": "csv", "tiers": ["insufficient-data"], "offering": offering}),
    )
    .unwrap();
    let path = std::path::PathBuf::from(csv["path"].as_str().unwrap());
    assert!(path.starts_with(&downloads), "{}", path.display());
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.starts_with("student_id,student_name,offerings,tier,"));
    assert_eq!(written.lines().count(), 1 + students.len());
    let html = call(
        &window,
        "export_school",
        json!({"kind": "html", "lang": "es"}),
    )
    .unwrap();
    let page = std::fs::read_to_string(html["path"].as_str().unwrap()).unwrap();
    assert!(page.contains("lang=\"es\""));
    assert_error(
        call(&window, "export_school", json!({"kind": "png"})),
        "invalid",
        "the school view has no charts",
    );
}
