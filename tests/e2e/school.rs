//! The counselor's school view in the real window: "Refresh all classes" pulls the sample
//! school's history from the server, the ranked list shows every student with records (highest
//! absence rate first), a tier filter narrows it, a row opens that student, and the call list
//! exports to the Downloads folder with one line per student shown.

use std::collections::HashSet;

use athena_sim::{Sim, ALL_SCOPES};
use fantoccini::Client;
use serde::Deserialize;

use super::driver::Driver;
use super::page::{click, find, js, open, text, wait_for_text, wait_until};
use super::{enabled, import_roster, sign_in, SEED, TOKEN};

/// A row of the school view as rendered (only the rows in view are in the page).
#[derive(Debug, Deserialize)]
struct Row {
    index: u64,
    id: String,
    rate: String,
    tier: String,
}

async fn rows(window: &Client) -> Vec<Row> {
    let rows = js(
        window,
        "return [...document.querySelectorAll('[data-testid=school-rows] [data-index]')]
            .map(r => ({
                index: Number(r.dataset.index),
                id: r.dataset.testid.slice('school-row-'.length),
                rate: r.querySelector('[data-col=absence_rate]')?.textContent.trim() ?? '',
                tier: r.querySelector('[data-tier]')?.dataset.tier ?? '',
            }))
            .sort((a, b) => a.index - b.index);",
    )
    .await;
    serde_json::from_value(rows).expect("the rows")
}

/// "12.5%" as 12.5; none when the rate is not shown (no days observed).
fn rate(shown: &str) -> Option<f64> {
    let digits: String = shown
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse().ok()
}

/// The `n` of "n of total students with records".
async fn shown_count(window: &Client) -> Option<usize> {
    text(window, "[data-testid=school-count]")
        .await
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
}

/// At the window's default size every column of the school view can be read: each tier badge
/// fits its cell, and a table wider than the window scrolls sideways to its last column
/// instead of cutting it off.
async fn assert_every_column_is_readable(window: &Client) {
    let layout = js(
        window,
        "const table = document.querySelector('[data-testid=school-view] [role=table]');
         const badges = [...table.querySelectorAll('[data-testid=tier-badge]')];
         const overflowing = badges.filter(b =>
             b.getBoundingClientRect().width > b.parentElement.getBoundingClientRect().width + 0.5)
           .map(b => b.textContent.trim());
         table.scrollLeft = table.scrollWidth;
         const last = [...table.querySelectorAll('[role=columnheader]')].pop().getBoundingClientRect();
         const box = table.getBoundingClientRect();
         const reachable = last.right <= box.right + 0.5 && last.left >= box.left;
         table.scrollLeft = 0;
         return { overflowing, reachable, badges: badges.length };",
    )
    .await;
    assert!(
        layout["badges"].as_u64().unwrap_or(0) > 0,
        "tier badges shown: {layout}"
    );
    assert_eq!(
        layout["overflowing"],
        serde_json::json!([]),
        "every tier badge fits its column"
    );
    assert_eq!(
        layout["reachable"], true,
        "the last column can be scrolled into view: {layout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counselor_refreshes_ranks_filters_opens_and_exports_the_school() {
    if !enabled() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let yesterday = chrono::Utc::now().date_naive() - chrono::TimeDelta::days(1);
    let sim = Sim::builder()
        .sample_school(SEED)
        .history(yesterday, 20)
        .token(TOKEN, &ALL_SCOPES)
        .start()
        .await
        .expect("the sim starts");
    let school = sim.sample().expect("the sample school").clone();
    let with_records: HashSet<String> = sim
        .records()
        .iter()
        .map(|r| r.student_id.to_string())
        .collect();
    assert!(!with_records.is_empty(), "the sim has a history");
    let roster_file = home.path().join("sis-export.csv");
    std::fs::write(&roster_file, school.roster_csv()).unwrap();
    // HOME too: the exports go to $HOME/Downloads (no user-dirs.dirs under this XDG config).
    let driver = Driver::start_with(home.path(), &[("HOME", home.path().to_str().unwrap())]);
    let window = driver.launch(&[]).await;
    sign_in(&window, &sim.base_url()).await;
    import_roster(&window, &roster_file).await;

    // Counselor: the school view, empty until the school's records are pulled.
    open(&window, "#/counselor").await;
    find(&window, "[data-testid=school-view]").await;
    wait_for_text(
        &window,
        "[data-testid=school-pull-as-of]",
        "Not pulled from the server yet",
    )
    .await;
    wait_for_text(
        &window,
        "[data-testid=school-count]",
        "students with records",
    )
    .await;
    assert_eq!(shown_count(&window).await, Some(0), "nothing pulled yet");

    click(&window, "[data-testid=school-pull-start]").await;
    wait_for_text(&window, "[data-testid=school-pull-as-of]", "Records as of").await;
    assert!(
        text(&window, "[data-testid=school-pull-failed]")
            .await
            .is_empty(),
        "every class was pulled"
    );

    // Every student with records, ranked by absence rate.
    wait_until(
        &window,
        "the school view lists every student with records",
        || async { shown_count(&window).await == Some(with_records.len()) },
    )
    .await;
    let ranked = rows(&window).await;
    assert!(!ranked.is_empty(), "rows are shown");
    assert_eq!(ranked[0].index, 0, "the list starts at its top");
    let rates: Vec<Option<f64>> = ranked.iter().map(|r| rate(&r.rate)).collect();
    for pair in rates.windows(2) {
        assert!(
            match (pair[0], pair[1]) {
                (Some(a), Some(b)) => a >= b,
                (None, Some(_)) => false,
                _ => true,
            },
            "highest absence rate first: {ranked:?}"
        );
    }
    assert!(
        rates[0].is_some_and(|r| r > 0.0),
        "the sample school's most absent student is absent sometimes: {ranked:?}"
    );
    assert_every_column_is_readable(&window).await;
    for row in &ranked {
        assert!(with_records.contains(&row.id), "{} has records", row.id);
    }

    // Filter by the most absent student's tier: every row shown has it.
    let tier = ranked[0].tier.clone();
    let top = ranked[0].id.clone();
    let checkbox = format!("[data-testid=filter-tier-{tier}]");
    click(&window, &checkbox).await;
    wait_until(&window, "only that tier's students are shown", || async {
        let shown = rows(&window).await;
        !shown.is_empty()
            && shown.iter().all(|r| r.tier == tier)
            && shown_count(&window).await.is_some_and(|n| n > 0)
    })
    .await;
    assert!(
        rows(&window).await.iter().any(|r| r.id == top),
        "the most absent student is still there"
    );

    // A row opens that student.
    let name = school
        .student(athena_sim::parse_uuid(&top).unwrap())
        .expect("a student of the sample school")
        .full_name
        .clone();
    click(&window, &format!("[data-testid=school-row-{top}] .who a")).await;
    find(&window, "[data-testid=student-report]").await;
    assert_eq!(
        wait_for_text(&window, "#student-name", &name).await.trim(),
        name
    );

    // Back to the school view; the call list of that tier goes to Downloads.
    js(&window, "history.back(); return null;").await;
    find(&window, "[data-testid=school-view]").await;
    let checked = js(
        &window,
        &format!("return document.querySelector('{checkbox}').checked;"),
    )
    .await;
    if checked != true {
        click(&window, &checkbox).await;
    }
    wait_until(&window, "the tier filter applies again", || async {
        let shown = rows(&window).await;
        !shown.is_empty() && shown.iter().all(|r| r.tier == tier)
    })
    .await;
    let listed = shown_count(&window).await.expect("a count of students");
    click(
        &window,
        "[data-testid=school-view] [data-testid=export-csv]",
    )
    .await;
    let saved = wait_for_text(&window, "[data-testid=export-path]", "Saved to").await;
    let downloads = home.path().join("Downloads");
    let files: Vec<_> = std::fs::read_dir(&downloads)
        .unwrap_or_else(|e| panic!("{} holds the export: {e}", downloads.display()))
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    assert_eq!(files.len(), 1, "one call list: {files:?}");
    let file_name = files[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(saved.contains(&file_name), "{saved} names {file_name}");
    let csv = std::fs::read_to_string(&files[0]).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("student_id,student_name,offerings,tier,absence_rate_percent"),
        "a header: {}",
        lines[0]
    );
    assert_eq!(lines.len(), 1 + listed, "one line per student shown");
    let tier_field = format!(",{tier},");
    for line in &lines[1..] {
        assert!(line.contains(&tier_field), "{tier}: {line}");
    }
    assert!(
        lines[1].starts_with(&top),
        "the most absent student first: {}",
        lines[1]
    );
    window.close().await.unwrap();
}
