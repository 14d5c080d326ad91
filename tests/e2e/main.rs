//! End-to-end: the real Rollbook window (the binary cargo built for this run, serving the
//! embedded `ui/dist`) driven through tauri-driver + WebKitWebDriver, under Xvfb, against
//! athena-sim started in this test process on 127.0.0.1:0.
//!
//! Runs only with ROLLBOOK_E2E=1 (`make test` sets it, inside `xvfb-run` and a
//! `dbus-run-session` with an unlocked gnome-keyring); the binary must be built with
//! `--features tauri/custom-protocol` after `npm --prefix ui run build`, or it would load the
//! dev server's URL: a blank page.

mod driver;
mod page;
mod school;
mod writers;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use athena_sim::{Sim, ALL_SCOPES};
use driver::Driver;
use fantoccini::Client;
use page::{
    click, fill, find, grid_rows, js, open, press, pressed_statuses, text, wait_for_text,
    wait_until, ARROW_DOWN, ARROW_UP, CONTROL, NULL, SHIFT,
};
use rollbook_core::sync::{BaseUrl, KeyringTokens, TokenStore};

/// The sample school whose "Ciencias Sociales 8A" has exactly 30 students.
const SEED: u64 = 1;
const TOKEN: &str = "e2e-teacher-token";

fn enabled() -> bool {
    if std::env::var("ROLLBOOK_E2E").as_deref() == Ok("1") {
        assert!(
            !tauri::is_dev(),
            "the end-to-end tests need the release-like app: run them with \
             `--features tauri/custom-protocol` after `npm --prefix ui run build` (make test does)"
        );
        assert!(
            std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some(),
            "the end-to-end tests open a real window: run them under `xvfb-run -a` (make test does)"
        );
        return true;
    }
    // Straight to stderr: libtest captures `eprintln!` of passing tests, and a skip must show.
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: the end-to-end tests of the real window run only with ROLLBOOK_E2E=1 \
             (make test sets it, under xvfb-run) ***\n"
        );
    });
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_launch_is_empty_and_the_data_dir_is_the_shared_one() {
    if !enabled() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let driver = Driver::start(home.path());
    let window = driver.launch(&[]).await;
    let empty = find(&window, "[data-testid=no-roster]").await;
    assert!(!empty.text().await.unwrap().is_empty());
    assert!(
        text(&window, "[data-testid=demo-badge]").await.is_empty(),
        "a plain launch is not the demo"
    );
    open(&window, "#/settings").await;
    assert_eq!(
        wait_for_text(&window, "[data-testid=data-dir]", "org.rollbook.app").await,
        home.path()
            .join("data/org.rollbook.app")
            .display()
            .to_string(),
        "the app uses $XDG_DATA_HOME/org.rollbook.app, the directory the CLI shares"
    );
    window.close().await.unwrap();

    // --data-dir is honoured.
    let chosen = home.path().join("elsewhere");
    let window = driver
        .launch(&["--data-dir", chosen.to_str().unwrap()])
        .await;
    open(&window, "#/settings").await;
    wait_for_text(&window, "[data-testid=data-dir]", "elsewhere").await;
    window.close().await.unwrap();
    assert!(chosen.join("rollbook.db").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_opens_the_sample_school_with_a_badge() {
    if !enabled() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let driver = Driver::start(home.path());
    let window = driver.launch(&["--demo"]).await;
    find(&window, "[data-testid=demo-badge]").await;
    find(&window, "[data-testid=today-list]").await;
    let offerings = js(
        &window,
        "return document.querySelectorAll('[data-testid=today-list] a[data-testid^=offering-]').length;",
    )
    .await;
    assert!(
        offerings.as_u64().is_some_and(|n| n >= 10),
        "the sample roster is imported: {offerings}"
    );
    // The demo token is ready: nothing says "signed out".
    wait_until(&window, "the demo is signed in", || async {
        attr(&window, "[data-testid=sync-chip]", "data-state").await == "all_sent"
    })
    .await;
    // At start the demo lists the sample school's records: the chip says when, and Today lists
    // the three recent rolls its server has no record of.
    find(&window, "[data-testid=sync-chip-refreshed]").await;
    wait_until(
        &window,
        "the sample school's untaken rolls are listed",
        || async {
            js(
                &window,
                "return document.querySelectorAll('[data-testid=missing-rolls] a').length;",
            )
            .await
            .as_u64()
                == Some(3)
        },
    )
    .await;

    // A counselor opens a class: its term of records comes from the server into this computer.
    open(&window, "#/counselor").await;
    click(&window, "a[data-testid^=class-]").await;
    find(&window, "[data-testid=class-students]").await;

    // Keeping 30 days on this computer: the preview counts that term's older records, "Purge
    // now" asks first, then removes what the preview said and the screen says so.
    open(&window, "#/settings").await;
    fill(&window, "[data-testid=keep-days]", "30").await;
    click(&window, "[data-testid=save-retention]").await;
    wait_for_text(&window, "[data-testid=retention-state]", "30").await;
    click(&window, "[data-testid=preview-purge]").await;
    let counted = "[data-testid=purge-result] dd[data-count=server_records]";
    wait_until(&window, "the preview shows its counts", || async {
        !text(&window, counted).await.trim().is_empty()
    })
    .await;
    let previewed: i64 = text(&window, counted)
        .await
        .trim()
        .parse()
        .expect("a count of records");
    assert!(
        previewed > 0,
        "the sample term has records older than 30 days"
    );
    click(&window, "[data-testid=purge-now]").await;
    click(&window, "[data-testid=confirm-yes]").await;
    find(&window, "[data-testid=purge-result] .ok").await;
    wait_for_text(&window, "[data-testid=retention-state]", "30").await;
    window.close().await.unwrap();

    let db = home.path().join("data/org.rollbook.app/demo/rollbook.db");
    assert!(
        db.is_file(),
        "the demo keeps its data apart from the user's"
    );
    let conn = rollbook_core::store::Store::read_only(&db)
        .unwrap()
        .into_connection();
    let (cutoff, removed): (String, i64) = conn
        .query_row(
            "SELECT cutoff, server_records FROM purge_log ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the purge is logged");
    assert_eq!(
        removed, previewed,
        "the purge removed what the preview said"
    );
    let older: i64 = conn
        .query_row(
            "SELECT count(*) FROM server_record WHERE date < ?1",
            [&cutoff],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(older, 0, "no server record dated before {cutoff} is left");
}

/// The scenario, one teacher's day: sign in through the settings form, import the
/// roster through the file input, take the roll of a 30-student class by keyboard alone and see
/// it all sent; then with the server down mark another class (every keyboard shortcut), restart
/// the app, bring the server back and see everything delivered exactly once; finally a mark the
/// server refuses shows its reason in the problems panel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teachers_day_online_offline_and_refused() {
    if !enabled() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let mut sim = Sim::builder()
        .sample_school(SEED)
        .empty_store()
        .token(TOKEN, &ALL_SCOPES)
        .start()
        .await
        .expect("the sim starts");
    let school = sim.sample().expect("the sample school").clone();
    let class = school
        .offering_of_size(30)
        .expect("a class of 30 in the sample school");
    let other = school
        .offerings
        .iter()
        .find(|o| o.group != class.group)
        .expect("another class");
    let roster_file = home.path().join("sis-export.csv");
    std::fs::write(&roster_file, school.roster_csv()).unwrap();
    let data_dir = home.path().join("data/org.rollbook.app");
    let driver = Driver::start(home.path());
    let window = driver.launch(&[]).await;

    sign_in(&window, &sim.base_url()).await;
    assert_token_is_in_the_keyring_only(&data_dir, &sim.base_url());
    import_roster(&window, &roster_file).await;

    // --- A class of 30 by keyboard alone: a letter marks the focused student and moves down.
    let date = open_roll(&window, &class.id.to_string()).await;
    let rows = grid_rows(&window).await;
    assert_eq!(rows.len(), 30);
    let letters: String = (0..30)
        .map(|i| match i % 10 {
            3 => 'a',
            6 => 'l',
            9 => 'e',
            _ => 'p',
        })
        .collect();
    press(&window, &letters).await;
    let expected: Vec<String> = letters.chars().map(status_of).collect();
    wait_until(&window, "every student shows the key's status", || async {
        pressed_statuses(&window).await == expected
    })
    .await;
    wait_until(&window, "the 30 marks reach the server", || async {
        records_of(&sim, &class.id.to_string(), &date).len() == 30
    })
    .await;
    wait_for_text(&window, "[data-testid=sync-chip]", "All sent").await;
    let on_server = records_of(&sim, &class.id.to_string(), &date);
    assert_eq!(
        on_server.len(),
        30,
        "the 30 marks are on the server, once each"
    );
    for ((student, _), status) in rows.iter().zip(&expected) {
        assert_eq!(on_server[student], vec![status.clone()], "{student}");
    }

    // --- The server goes away: marks are still taken, and kept.
    sim.stop_listening().await;
    let other_date = open_roll(&window, &other.id.to_string()).await;
    let other_rows = grid_rows(&window).await;
    // P, A, L on the first three; back up (↑) and cycle with Space (late → absent), undo that
    // with Ctrl+Z; up again (k) and set E; Shift+R marks the rest present, never overwriting.
    press(&window, "pal").await;
    press(&window, &format!("{ARROW_UP} ")).await;
    wait_until(&window, "Space cycled the third student", || async {
        pressed_statuses(&window).await.get(2).map(String::as_str) == Some("absent")
    })
    .await;
    press(&window, &format!("{CONTROL}z{NULL}")).await;
    wait_until(&window, "Ctrl+Z undid the cycle", || async {
        pressed_statuses(&window).await.get(2).map(String::as_str) == Some("late")
    })
    .await;
    press(&window, "ke").await;
    press(&window, &format!("{ARROW_DOWN}j")).await;
    assert_eq!(
        focused_row(&window).await.as_deref(),
        other_rows.get(4).map(|r| r.0.as_str()),
        "↓ and j move down"
    );
    press(&window, &format!("{SHIFT}r{NULL}")).await;
    let mut other_expected = vec!["present".to_string(), "excused".into(), "late".into()];
    other_expected.resize(other_rows.len(), "present".into());
    wait_until(&window, "the rest were marked present", || async {
        pressed_statuses(&window).await == other_expected
    })
    .await;
    wait_for_text(&window, "[data-testid=sync-chip]", "Offline").await;
    window.close().await.unwrap();

    // --- Restart the app while the server is still down: the marks come back from disk.
    let window = driver.launch(&[]).await;
    open_roll_on(&window, &other.id.to_string(), &other_date).await;
    wait_until(&window, "the marks survived the restart", || async {
        pressed_statuses(&window).await == other_expected
    })
    .await;
    sim.listen_again(&tokio::runtime::Handle::current())
        .expect("the server comes back on its port");
    // The user asks for a pass rather than waiting out the offline backoff.
    click(&window, "[data-testid=sync-chip] button").await;
    click(
        &window,
        "[data-testid=problems-panel] [data-testid=sync-now]",
    )
    .await;
    wait_for_text(&window, "[data-testid=sync-chip]", "All sent").await;
    let delivered = records_of(&sim, &other.id.to_string(), &other_date);
    assert_eq!(delivered.len(), other_rows.len());
    for ((student, _), status) in other_rows.iter().zip(&other_expected) {
        assert_eq!(
            delivered[student],
            vec![status.clone()],
            "{student}: delivered exactly once, with its final status"
        );
    }
    assert_eq!(
        sim.record_count(),
        30 + other_rows.len(),
        "nothing was sent twice"
    );
    assert_eq!(sim.post_count() as usize, sim.record_count());

    // --- The server refuses one student's marks: the reason is shown.
    let refused = &rows[0].0;
    sim.reject_student(athena_sim::parse_uuid(refused).unwrap());
    click(&window, "[data-testid=problems-panel] button[aria-label]").await;
    open_roll_on(&window, &class.id.to_string(), &date).await;
    // Focus is on the first student (everyone is marked): E corrects the mark.
    press(&window, "e").await;
    wait_for_text(&window, "[data-testid=sync-chip]", "needs attention").await;
    click(&window, "[data-testid=sync-chip] button").await;
    let problem = wait_for_text(
        &window,
        "[data-testid=problems-panel] tr[data-state=rejected]",
        "does not accept attendance for this student",
    )
    .await;
    assert!(
        problem.contains(&school_name(&school, refused)),
        "{problem}"
    );
    assert_eq!(sim.record_count(), 30 + other_rows.len());

    // --- A date more than 400 days back, picked in Today's date picker: the first mark asks,
    // naming the date, and is saved (and sent) once the teacher confirms.
    let long_ago = chrono::Utc::now().date_naive() - chrono::TimeDelta::days(420);
    let long_ago = rollbook_core::Day::from_date(long_ago).to_string();
    open(&window, "#/today").await;
    js(
        &window,
        &format!(
            "const input = document.querySelector('[data-testid=today-date]'); \
             input.value = '{long_ago}'; \
             input.dispatchEvent(new Event('change', {{ bubbles: true }})); return null;"
        ),
    )
    .await;
    click(&window, &format!("[data-testid=offering-{}]", other.id)).await;
    wait_for_grid_focus(&window).await;
    press(&window, "a").await;
    let question = wait_for_text(&window, "[data-testid=confirm-dialog]", "400 days").await;
    assert!(
        question.contains(&long_ago[..4]),
        "the question names the date: {question}"
    );
    assert!(records_of(&sim, &other.id.to_string(), &long_ago).is_empty());
    click(&window, "[data-testid=confirm-yes]").await;
    wait_until(&window, "the mark is saved once confirmed", || async {
        pressed_statuses(&window).await.first().map(String::as_str) == Some("absent")
    })
    .await;
    wait_until(&window, "the confirmed mark reaches the server", || async {
        records_of(&sim, &other.id.to_string(), &long_ago).len() == 1
    })
    .await;
    window.close().await.unwrap();
}

/// Rolls still to take: a past school day's roll taken only in part is listed on Today, under
/// today's offerings, and one click opens that roll on that day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todays_rolls_still_to_take_open_the_right_roll() {
    if !enabled() {
        return;
    }
    const ALGEBRA: &str = "5f0c1a2e-3b4d-4c5e-8f60-718293a4b5c6";
    let home = tempfile::tempdir().unwrap();
    let roster_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roster.csv");
    // The most recent Monday-to-Friday day before today: a school day by default.
    let day = (1..=3)
        .map(|n| rollbook_core::Day::from_date(chrono::Utc::now().date_naive()).days_before(n))
        .find(|d| d.weekday() <= 5)
        .map(|d| d.to_string())
        .expect("a weekday among the three days before today");
    let driver = Driver::start(home.path());
    let window = driver.launch(&[]).await;
    import_roster(&window, &roster_file).await;

    // One of Algebra's three students marked on that day: partly taken.
    open_roll_on(&window, ALGEBRA, &day).await;
    press(&window, "l").await;
    wait_until(&window, "the mark is saved", || async {
        pressed_statuses(&window).await.first().map(String::as_str) == Some("late")
    })
    .await;

    open(&window, "#/today").await;
    find(&window, "[data-testid=today-list]").await;
    let entry = format!("[data-testid=missing-rolls] a[data-testid=missing-{ALGEBRA}-{day}]");
    let shown = wait_for_text(&window, &entry, "partly taken: 1 of 3 marked").await;
    assert!(shown.contains("Algebra I"), "{shown}");
    assert_eq!(
        attr(&window, "[data-testid=missing-rolls] a", "data-testid").await,
        format!("missing-{ALGEBRA}-{day}"),
        "newest first: the latest school day's Algebra roll heads the list"
    );
    let below = js(
        &window,
        "const list = document.querySelector('[data-testid=today-list]'); \
         const missing = document.querySelector('[data-testid=missing-rolls]'); \
         return !!(list.compareDocumentPosition(missing) & Node.DOCUMENT_POSITION_FOLLOWING);",
    )
    .await;
    assert_eq!(below, true, "listed under today's offerings");
    let day_shown = text(&window, &format!("{entry} .day")).await;
    assert!(!day_shown.is_empty());

    click(&window, &entry).await;
    wait_for_grid_focus(&window).await;
    assert_eq!(
        js(&window, "return location.hash;").await,
        format!("#/roll/{ALGEBRA}/{day}")
    );
    let title = wait_for_text(&window, "#roll-title", &day_shown).await;
    assert!(
        title.contains("Algebra I"),
        "the roll of Algebra I: {title}"
    );
    assert_eq!(
        pressed_statuses(&window).await.first().map(String::as_str),
        Some("late"),
        "that day's roll, with its mark"
    );
    window.close().await.unwrap();
}

async fn sign_in(window: &Client, api_url: &str) {
    open(window, "#/settings").await;
    fill(window, "[data-testid=api-url]", api_url).await;
    fill(window, "[data-testid=school-id]", "").await;
    click(window, "[data-testid=save-settings]").await;
    wait_for_text(window, ".settings form span[role=status]", "Saved").await;
    assert_eq!(
        js(
            window,
            "return document.querySelector('[data-testid=api-url]').value;"
        )
        .await,
        api_url,
        "the saved API URL is the one typed, even if the stored settings arrived after the typing"
    );
    fill(window, "[data-testid=token]", TOKEN).await;
    click(window, "[data-testid=sign-in]").await;
    find(window, "[data-testid=signed-in]").await;
    assert_eq!(
        js(
            window,
            "return document.querySelector('[data-testid=token]')?.value ?? '';"
        )
        .await,
        "",
        "the token is not kept in the page"
    );
}

/// The token went to the Secret Service, under the entry Rollbook reads it from, and never to
/// the database. Read back through Rollbook's own keyring code, on the same session bus as the
/// app (the test runs inside `make test`'s D-Bus session with an unlocked gnome-keyring).
fn assert_token_is_in_the_keyring_only(data_dir: &Path, api_url: &str) {
    for file in ["rollbook.db", "rollbook.db-wal"] {
        let bytes = std::fs::read(data_dir.join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "the token must never be written to {file}"
        );
    }
    let base_url = BaseUrl::parse(api_url).expect("the simulator's URL is a valid base URL");
    let stored = KeyringTokens::system(base_url.as_str()).get();
    match stored {
        Ok(Some(token)) => assert_eq!(
            token.expose(),
            TOKEN,
            "signing in stores the token in the keyring"
        ),
        other => panic!(
            "signing in stores the token in the keyring under {base_url}: read back {:?}",
            other.map(|t| t.map(|_| "another token"))
        ),
    }
}

async fn import_roster(window: &Client, file: &Path) {
    open(window, "#/settings").await;
    find(window, "[data-testid=import-file]")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .expect("a file path goes into the file input");
    find(window, "[data-testid=import-preview]").await;
    click(window, "[data-testid=import-confirm]").await;
    find(window, "[data-testid=import-done]").await;
}

/// Opens an offering's roll from Today (today's date) and waits until the grid has the focus.
/// Returns the date of the roll.
async fn open_roll(window: &Client, offering: &str) -> String {
    open(window, "#/today").await;
    click(window, &format!("[data-testid=offering-{offering}]")).await;
    wait_for_grid_focus(window).await;
    let hash = js(window, "return location.hash;").await;
    let hash = hash.as_str().unwrap_or_default();
    hash.rsplit('/').next().unwrap_or_default().to_string()
}

/// Opens an offering's roll on a date by its route (as a bookmark or the Back button does).
async fn open_roll_on(window: &Client, offering: &str, date: &str) {
    js(
        window,
        &format!("location.hash = '#/roll/{offering}/{date}'; return null;"),
    )
    .await;
    wait_for_grid_focus(window).await;
}

async fn wait_for_grid_focus(window: &Client) {
    find(window, "[role=grid] [role=row][data-student-id]").await;
    wait_until(window, "a student row has the focus", || async {
        js(
            window,
            "return !!document.activeElement?.closest?.('[role=grid] [role=row]');",
        )
        .await
            == true
    })
    .await;
}

/// The student whose row has the focus.
async fn focused_row(window: &Client) -> Option<String> {
    js(
        window,
        "return document.activeElement?.closest?.('[role=row]')?.dataset?.studentId ?? null;",
    )
    .await
    .as_str()
    .map(str::to_string)
}

async fn attr(window: &Client, css: &str, name: &str) -> String {
    match find(window, css).await.attr(name).await {
        Ok(Some(value)) => value,
        _ => String::new(),
    }
}

fn status_of(key: char) -> String {
    match key {
        'p' => "present",
        'a' => "absent",
        'l' => "late",
        'e' => "excused",
        other => panic!("no status key {other}"),
    }
    .to_string()
}

/// The sim's records of an offering on a date: each student's statuses, oldest first.
fn records_of(sim: &Sim, offering: &str, date: &str) -> HashMap<String, Vec<String>> {
    let mut records: Vec<_> = sim
        .records()
        .into_iter()
        .filter(|r| {
            r.course_offering_id.to_string() == offering
                && athena_sim::format_date(r.attendance_date) == date
        })
        .collect();
    records.sort_by_key(|r| r.recorded_at);
    let mut by_student: HashMap<String, Vec<String>> = HashMap::new();
    for r in records {
        by_student
            .entry(r.student_id.to_string())
            .or_default()
            .push(r.status.to_string());
    }
    by_student
}

fn school_name(school: &athena_sim::SampleSchool, student: &str) -> String {
    let id = athena_sim::parse_uuid(student).unwrap();
    school.student(id).unwrap().full_name.clone()
}
