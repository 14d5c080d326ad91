//! The desktop window's figures, measured in the real window (tauri-driver + WebKitWebDriver
//! under Xvfb), with a bare Tauri window (examples/bare_window.rs) measured in the same run:
//!
//! 1. launch → interactive: from asking tauri-driver for a session (it starts the program)
//!    until Today lists the offerings, and until the roll-call grid of the class clicked there
//!    (at once, by a script) has the keyboard focus; for the bare window, until its page is
//!    there. The moments are taken in the page (`Date.now()` from a MutationObserver / focus
//!    listener, the same clock as this process), not by WebDriver polling. Median of the launches.
//!    Where Rollbook's window paints without compositing (Linux without a GPU:
//!    src-tauri/rendering.rs), the bare window is also launched painting that way, like for like,
//!    beside its WebKit default; launches and memory are printed against both.
//! 2. idle memory: the proportional set size (PSS, /proc/<pid>/smaps_rollup) of the program and
//!    every process under it (WebKit's web and network processes), 3 s after it is interactive.
//! 3. click → "saved here": in the page, `performance.now()` when a status button is clicked,
//!    then when the row's delivery badge says saved here, or already sending (a MutationObserver;
//!    the mark is committed to SQLite before that), and at the next animation frame (painted); 200 clicks
//!    on unmarked students of a 30-student class over 7 days, while the sync engine delivers
//!    them to athena-sim in the background.
//! 4. the same 200 clicks while refreshing: athena-sim holds a term of the class's records
//!    (30 students x 120 school days, posted by another teacher) and the app refreshes the
//!    class every second (`ROLLBOOK_REFRESH_SECONDS=1`), so listings of 3,600 records are
//!    parsed and compared with the cache alongside the clicks.
//! 5. the same 200 clicks during "Refresh all classes" (the school pull, `pull --all`'s code)
//!    of a school of 200 offerings x 30 students x 180 school days (1,080,000 records) from a
//!    second athena-sim with 20 ms latency per listing, started in the window just before the
//!    first click; the clicks are on one of its classes, on days after its records end. Then,
//!    once that first pull has ended, 200 more clicks during the next "Refresh all classes",
//!    when the school is cached already and a listing writes only what changed.
//!    `BENCH_SCHOOL=0` leaves this phase out (building the school takes a while).
//!
//! 6. launch → interactive and idle memory again, Rollbook and the bare window in turns, with a
//!    year of data: the teacher's 6 classes (up to 30 students each) marked on 180 school days,
//!    each mark with its history row, its outbox item delivered and the server record it became,
//!    and a counselor's pull of 186 more offerings x 30 students x 180 days, about 1,040,000
//!    cached server records. Built once into `target/bench-year/` (about a minute) and copied
//!    for the run. `BENCH_YEAR=0` leaves this phase out.
//!
//! 7. Today → roll: in a running window, 50 times, from the click on a class of 40 in Today
//!    until its grid has the keyboard focus and its 40 rows (`performance.now()` in the page),
//!    then back to Today. The class is one of a sized school of 5 offerings x 40 students.
//!    `BENCH_NAV=0` leaves this phase out.
//!
//! Run with `benches/window.sh` (it builds both programs in the bench profile and provides the
//! display and D-Bus session); alone, this prints a note and does nothing.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../tests/e2e/driver.rs"]
mod driver;
#[allow(dead_code)]
#[path = "../tests/e2e/page.rs"]
mod page;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use athena_sim::{Sim, ALL_SCOPES};
use driver::{Driver, APP};
use fantoccini::{Client, Locator};
use rollbook_core::store::{self, Store};
use rollbook_core::{roster, sync};
use serde_json::json;

const TOKEN: &str = "bench-token";
/// The sample school whose "Ciencias Sociales 8A" has 30 students.
const SEED: u64 = 1;
/// Launches of each program (`BENCH_LAUNCHES` to change it, 0 for the clicks only).
const LAUNCHES: usize = 10;
const CLICKS: usize = 200;
/// The term of records the refreshes list (school days per student).
const TERM_DAYS: u32 = 120;
/// The clicks are on days this many days back and before (each phase on days of its own,
/// after the term's records end, so every clicked student is unmarked).
const QUIET_FROM: i64 = 11;
const REFRESHING_FROM: i64 = 21;
const TERM_ENDS: i64 = 40;
/// Phase 5's school: offerings x 30 students x school days, records ending this many days back.
const SCHOOL_OFFERINGS: usize = 200;
const SCHOOL_DAYS: u32 = 180;
const SCHOOL_FROM: i64 = 31;
const SCHOOL_ENDS: i64 = 60;

fn main() {
    if std::env::var("ROLLBOOK_BENCH_WINDOW").as_deref() != Ok("1") {
        eprintln!("window bench skipped: run benches/window.sh (display, D-Bus, both programs)");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(run());
}

async fn run() {
    let bare = bare_window_path();
    let home = tempfile::tempdir().expect("a temp dir");
    let sim = Sim::builder()
        .sample_school(SEED)
        .empty_store()
        .token(TOKEN, &ALL_SCOPES)
        .start()
        .await
        .expect("the sim starts");
    let school = sim.sample().expect("sample school").clone();
    let class = school.offering_of_size(30).expect("a class of 30");
    let data_dir = home.path().join("data/org.rollbook.app");
    {
        let mut store = Store::open_data_dir(&data_dir).expect("the data dir");
        roster::import_roster_csv(&mut store, school.roster_csv().as_bytes(), "roster.csv")
            .expect("the roster imports");
        sync::save_api_settings(&store, &sim.base_url(), None).expect("settings");
    }
    // The token comes from the environment, so no keyring is involved in the figures. With
    // BENCH_NO_SYNC=1 there is none: the engine stays idle, to tell its share in the clicks.
    let no_sync = std::env::var("BENCH_NO_SYNC").as_deref() == Ok("1");
    let token = if no_sync { "" } else { TOKEN };
    let driver = Driver::start_with(home.path(), &[("ROLLBOOK_TOKEN", token)]);
    let launches = std::env::var("BENCH_LAUNCHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(LAUNCHES);
    println!(
        "rollbook: {APP}\nbare window: {}\n{} CPUs",
        bare.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // Like for like: the bare window painting as Rollbook does on this computer (without
    // compositing when there is no GPU: src-tauri/rendering.rs), beside its WebKit default.
    let bare_driver = bare_painting_as_rollbook(home.path());
    let mut bare_ms = Vec::new();
    let mut bare_same_ms = Vec::new();
    let mut bare_same_pss = Vec::new();
    let mut today_ms = Vec::new();
    let mut grid_ms = Vec::new();
    let mut bare_pss = Vec::new();
    let mut app_pss = Vec::new();
    for round in 0..launches {
        let (ms, pss) = launch_bare(&driver, &bare).await;
        bare_ms.push(ms);
        bare_pss.push(pss);
        if let Some(d) = &bare_driver {
            let (ms, pss) = launch_bare(d, &bare).await;
            bare_same_ms.push(ms);
            bare_same_pss.push(pss);
        }
        let (today, grid, pss) = launch_app(&driver, &class.id.to_string()).await;
        today_ms.push(today);
        grid_ms.push(grid);
        app_pss.push(pss);
        println!(
            "launch {}: bare {ms:.0} ms, rollbook today {today:.0} ms / grid {grid:.0} ms; \
             PSS bare {} MiB, rollbook {} MiB",
            round + 1,
            pss_mib(bare_pss[round]),
            pss_mib(app_pss[round])
        );
    }

    eprintln!("phase 3: {CLICKS} clicks with the engine delivering");
    let clicks = click_to_saved(&driver, &class.id.to_string(), QUIET_FROM, false).await;
    let frame: Vec<f64> = clicks.iter().map(|c| c.1).collect();
    let delivered = sim.record_count();
    drop(driver);
    drop(bare_driver);

    // Phase 4: a term of another teacher's records on the server, refreshed every second.
    let refreshing = if no_sync {
        None
    } else {
        let end = athena_sim::today_utc() - chrono::TimeDelta::days(TERM_ENDS);
        let mut term = 0;
        for r in school.history(end, TERM_DAYS) {
            if r.course_offering_id != class.id {
                continue;
            }
            sim.add_record(&athena_sim::NewAttendance {
                course_offering_id: r.course_offering_id,
                teacher_assignment_id: athena_sim::FRONT_DESK,
                course_enrollment_id: r.course_enrollment_id,
                student_id: r.student_id,
                attendance_date: r.attendance_date,
                status: r.status,
            });
            term += 1;
        }
        let driver = Driver::start_with(
            home.path(),
            &[("ROLLBOOK_TOKEN", token), ("ROLLBOOK_REFRESH_SECONDS", "1")],
        );
        eprintln!("phase 4: {CLICKS} clicks while the class is refreshed every second");
        let lists = sim.list_count();
        let started = Instant::now();
        let clicks = click_to_saved(&driver, &class.id.to_string(), REFRESHING_FROM, false).await;
        let seconds = started.elapsed().as_secs_f64();
        Some((clicks, term, sim.list_count() - lists, seconds))
    };

    // Phase 6: launches with a year of data (before phase 5's pull loads the machine).
    let year = if std::env::var("BENCH_YEAR").as_deref() == Ok("0") || launches == 0 {
        None
    } else {
        Some(
            launches_with_a_year(
                &school,
                &sim.base_url(),
                &class.id.to_string(),
                &bare,
                launches,
            )
            .await,
        )
    };

    // Phase 7: Today → roll for a class of 40.
    let navigation = if std::env::var("BENCH_NAV").as_deref() == Ok("0") {
        None
    } else {
        Some(today_to_roll(&sim.base_url()).await)
    };

    // Phase 5: the clicks during the school pull of a school of a million records.
    let pulling = if no_sync || std::env::var("BENCH_SCHOOL").as_deref() == Ok("0") {
        None
    } else {
        Some(during_school_pull().await)
    };

    println!(
        "\n== Window figures ({launches} launches, {} clicks{})",
        clicks.len(),
        if no_sync { ", sync engine idle" } else { "" }
    );
    println!(
        "launch → interactive, median: bare window {:.0} ms; rollbook Today {:.0} ms, grid {:.0} ms \
         (p90 grid {:.0} ms)",
        median(&bare_ms),
        median(&today_ms),
        median(&grid_ms),
        percentile(&grid_ms, 90.0)
    );
    println!(
        "idle PSS (process + WebKit children), median: bare window {:.1} MiB; rollbook {:.1} MiB",
        mib(&bare_pss),
        mib(&app_pss)
    );
    print_like_for_like(&bare_same_ms, &bare_same_pss, &grid_ms, &app_pss);
    print_clicks(&clicks);
    if !no_sync {
        println!(
            "{delivered} of the {} marks were delivered to athena-sim during the run (the sync \
             engine worked alongside the clicks)",
            clicks.len()
        );
    }
    if let Some(p) = &pulling {
        println!(
            "\n== During \"Refresh all classes\" ({SCHOOL_OFFERINGS} offerings, {} records on the \
             server, 20 ms per listing; {} of the {SCHOOL_OFFERINGS} listings served in {:.0} s of \
             clicks, {})",
            p.records,
            p.listings,
            p.seconds,
            if p.running_after {
                "the pull still running when the clicks ended"
            } else {
                "the pull ended before the clicks did"
            }
        );
        print_against_quiet(&p.clicks, &frame);
        println!(
            "\n== During the next \"Refresh all classes\" (the school cached already: a listing \
             writes only what changed; {} of the {SCHOOL_OFFERINGS} listings served in {:.0} s of \
             clicks)",
            p.again_listings, p.again_seconds
        );
        print_against_quiet(&p.again, &frame);
    }
    if let Some(nav) = &navigation {
        println!(
            "\n== Today → roll, a class of 40 ({} times): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            nav.len(),
            percentile(nav, 50.0),
            percentile(nav, 95.0),
            nav.iter().copied().fold(0.0, f64::max)
        );
    }
    if let Some(y) = &year {
        println!(
            "\n== With a year of data ({} marks of this device, {} cached server records; {} \
             launches in turns with the bare window)",
            y.marks,
            y.records,
            y.bare_ms.len()
        );
        println!(
            "launch → interactive, median: bare window {:.0} ms; rollbook Today {:.0} ms, grid \
             {:.0} ms = {:.2}x the bare window (p90 grid {:.0} ms)",
            median(&y.bare_ms),
            median(&y.today_ms),
            median(&y.grid_ms),
            median(&y.grid_ms) / median(&y.bare_ms),
            percentile(&y.grid_ms, 90.0)
        );
        println!(
            "idle PSS, median: bare window {:.1} MiB; rollbook {:.1} MiB = {:.2}x",
            mib(&y.bare_pss),
            mib(&y.app_pss),
            mib(&y.app_pss) / mib(&y.bare_pss)
        );
        print_like_for_like(&y.bare_same_ms, &y.bare_same_pss, &y.grid_ms, &y.app_pss);
    }
    if let Some((clicks, term, lists, seconds)) = refreshing {
        println!(
            "\n== While refreshing ({term} records of the class on the server, {lists} listings \
             in {seconds:.0} s of clicks)"
        );
        print_against_quiet(&clicks, &frame);
    }
}

/// Rollbook's launches against the bare window painting as it does here, if it was measured
/// ([`bare_painting_as_rollbook`]).
fn print_like_for_like(bare_ms: &[f64], bare_pss: &[u64], grid_ms: &[f64], app_pss: &[u64]) {
    if bare_ms.is_empty() {
        return;
    }
    println!(
        "like for like, the bare window painting without compositing as Rollbook does here (no \
         GPU): launch median {:.0} ms (rollbook's grid {:.2}x it); idle PSS median {:.1} MiB \
         (rollbook {:.2}x it)",
        median(bare_ms),
        median(grid_ms) / median(bare_ms),
        mib(bare_pss),
        mib(app_pss) / mib(bare_pss)
    );
}

/// The median of PSS figures in KiB, in MiB.
fn mib(pss: &[u64]) -> f64 {
    median(&pss.iter().map(|k| *k as f64 / 1024.0).collect::<Vec<_>>())
}

/// A phase's clicks: the DOM and painted percentiles.
fn print_clicks(clicks: &[(f64, f64)]) {
    let dom: Vec<f64> = clicks.iter().map(|c| c.0).collect();
    let painted: Vec<f64> = clicks.iter().map(|c| c.1).collect();
    for (what, ms) in [("in the DOM", &dom), ("painted (next frame)", &painted)] {
        println!(
            "click → \"saved here\" {what}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            percentile(ms, 50.0),
            percentile(ms, 95.0),
            percentile(ms, 100.0)
        );
    }
}

/// [`print_clicks`], and the painted p95 against the quiet clicks' (`quiet_frame`) of the
/// same run.
fn print_against_quiet(clicks: &[(f64, f64)], quiet_frame: &[f64]) {
    print_clicks(clicks);
    let painted: Vec<f64> = clicks.iter().map(|c| c.1).collect();
    println!(
        "painted p95 {:.2}x the quiet clicks'",
        percentile(&painted, 95.0) / percentile(quiet_frame, 95.0)
    );
}

/// What phase 5 measured: the clicks, the school's records, and how far the pull got while
/// they went on.
struct DuringPull {
    clicks: Vec<(f64, f64)>,
    records: usize,
    listings: u64,
    seconds: f64,
    running_after: bool,
    /// The clicks during the next pull, of a school already cached, and its listings served
    /// in the seconds of those clicks.
    again: Vec<(f64, f64)>,
    again_listings: u64,
    again_seconds: f64,
}

async fn during_school_pull() -> DuringPull {
    let end = athena_sim::today_utc() - chrono::TimeDelta::days(SCHOOL_ENDS);
    let sim = Sim::builder()
        .sized_school(11, SCHOOL_OFFERINGS, 30)
        .history(end, SCHOOL_DAYS)
        .token(TOKEN, &ALL_SCOPES)
        .faults(
            athena_sim::Faults::none()
                .with_latency_ms(20)
                .on_methods(false, true),
        )
        .start()
        .await
        .expect("the school's sim starts");
    let school = sim.sample().expect("the school").clone();
    let class = school.offering_of_size(30).expect("a class of 30");
    let home = tempfile::tempdir().expect("a temp dir");
    {
        let mut store =
            Store::open_data_dir(&home.path().join("data/org.rollbook.app")).expect("the data dir");
        roster::import_roster_csv(&mut store, school.roster_csv().as_bytes(), "roster.csv")
            .expect("the school's roster imports");
        sync::save_api_settings(&store, &sim.base_url(), None).expect("settings");
    }
    let records = sim.record_count();
    eprintln!("phase 5: {CLICKS} clicks during the school pull of {records} records");
    let driver = Driver::start_with(home.path(), &[("ROLLBOOK_TOKEN", TOKEN)]);
    let lists = sim.list_count();
    let started = Instant::now();
    let clicks = click_to_saved(&driver, &class.id.to_string(), SCHOOL_FROM, true).await;
    let seconds = started.elapsed().as_secs_f64();
    let listings = sim.list_count() - lists;
    let running_after = listings < SCHOOL_OFFERINGS as u64;
    // The first pull ends (its last listing served, then written), then the counselor's next
    // "Refresh all classes": every record is cached already, so a listing writes only what
    // changed (the clicks' own records, delivered meanwhile).
    let waited = Instant::now();
    while sim.list_count() - lists < SCHOOL_OFFERINGS as u64
        && waited.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let lists = sim.list_count();
    let started = Instant::now();
    let again = click_to_saved(&driver, &class.id.to_string(), SCHOOL_FROM + 10, true).await;
    DuringPull {
        clicks,
        records,
        listings,
        seconds,
        running_after,
        again,
        again_listings: sim.list_count() - lists,
        again_seconds: started.elapsed().as_secs_f64(),
    }
}

/// Phase 7: milliseconds from the click on a class of 40 in Today to its grid, 50 times.
async fn today_to_roll(api_url: &str) -> Vec<f64> {
    let school = athena_sim::SampleSchool::generate_sized(41, 5, 40);
    let class = school.offerings[0].id.to_string();
    let home = tempfile::tempdir().expect("a temp dir");
    {
        let mut store =
            Store::open_data_dir(&home.path().join("data/org.rollbook.app")).expect("the data dir");
        roster::import_roster_csv(&mut store, school.roster_csv().as_bytes(), "roster.csv")
            .expect("the roster imports");
        sync::save_api_settings(&store, api_url, None).expect("settings");
    }
    let driver = Driver::start_with(home.path(), &[("ROLLBOOK_TOKEN", TOKEN)]);
    let window = driver.launch(&[]).await;
    let mut times = Vec::new();
    for _ in 0..50 {
        let ms = window
            .execute_async(TODAY_TO_ROLL_JS, vec![json!(class)])
            .await
            .expect("Today, then the roll");
        times.push(ms.as_f64().expect("a time"));
    }
    close(window, Path::new(APP)).await;
    times
}

/// Back to Today, then the click on the class until its grid of 40 rows has the focus.
const TODAY_TO_ROLL_JS: &str = r#"
const [offering, done] = arguments;
const link = () => document.querySelector(`[data-testid="offering-${offering}"]`);
const ready = () =>
  !!document.activeElement?.closest?.('[role=grid] [role=row]') &&
  document.querySelectorAll('[role=grid] [role=row][data-student-id]').length >= 40;
let clicked = null;
const stop = () => {
  obs.disconnect();
  clearInterval(timer);
  document.removeEventListener('focusin', tick, true);
};
const tick = () => {
  if (clicked === null && link() && !ready()) {
    clicked = performance.now();
    link().click();
  } else if (clicked !== null && ready()) {
    const ms = performance.now() - clicked;
    stop();
    done(ms);
  }
};
const obs = new MutationObserver(tick);
obs.observe(document.documentElement, { subtree: true, childList: true, attributes: true });
document.addEventListener('focusin', tick, true);
const timer = setInterval(tick, 2);
location.hash = '#/today';
tick();
"#;

/// Phase 6's figures.
struct YearLaunches {
    marks: usize,
    records: usize,
    /// The bare window painting as Rollbook does here ([`bare_painting_as_rollbook`]), if that
    /// differs.
    bare_same_ms: Vec<f64>,
    bare_same_pss: Vec<u64>,
    bare_ms: Vec<f64>,
    today_ms: Vec<f64>,
    grid_ms: Vec<f64>,
    bare_pss: Vec<u64>,
    app_pss: Vec<u64>,
}

/// Bumped when what [`build_year`] writes changes, so a stale build is not reused.
const YEAR_VERSION: &str = "2";

async fn launches_with_a_year(
    school: &athena_sim::SampleSchool,
    api_url: &str,
    offering: &str,
    bare: &Path,
    launches: usize,
) -> YearLaunches {
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-year");
    let built = cache.join(format!("rollbook-v{YEAR_VERSION}.db"));
    if !built.is_file() {
        std::fs::create_dir_all(&cache).expect("target/bench-year");
        let partial = cache.join("building.db");
        let _ = std::fs::remove_file(&partial);
        let started = Instant::now();
        let _ = std::fs::remove_file(store::records_path(&partial));
        build_year(school, offering, &partial);
        std::fs::rename(store::records_path(&partial), store::records_path(&built))
            .expect("the year's records file");
        std::fs::rename(&partial, &built).expect("the year's database");
        println!(
            "built {} in {:.0} s",
            built.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let home = tempfile::tempdir().expect("a temp dir");
    let data_dir = home.path().join("data/org.rollbook.app");
    std::fs::create_dir_all(&data_dir).expect("the data dir");
    let db = data_dir.join("rollbook.db");
    std::fs::copy(store::records_path(&built), store::records_path(&db))
        .expect("a copy of the year's records");
    std::fs::copy(&built, &db).expect("a copy of the year");
    let (marks, records) = {
        let store = Store::open_data_dir(&data_dir).expect("the year opens");
        sync::save_api_settings(&store, api_url, None).expect("settings");
        let count = |sql: &str| -> usize {
            store
                .conn()
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .expect("a count") as usize
        };
        (
            count("SELECT COUNT(*) FROM mark"),
            count("SELECT COUNT(*) FROM server_record"),
        )
    };
    // The same token as the other launches (no keyring). The start's refresh lists the six
    // classes from a server that holds none of their records: the cached records their outbox
    // created are kept, so every launch starts from the same data.
    let driver = Driver::start_with(home.path(), &[("ROLLBOOK_TOKEN", TOKEN)]);
    let bare_driver = bare_painting_as_rollbook(home.path());
    let mut y = YearLaunches {
        marks,
        records,
        bare_same_ms: Vec::new(),
        bare_same_pss: Vec::new(),
        bare_ms: Vec::new(),
        today_ms: Vec::new(),
        grid_ms: Vec::new(),
        bare_pss: Vec::new(),
        app_pss: Vec::new(),
    };
    for round in 0..launches {
        let (ms, pss) = launch_bare(&driver, bare).await;
        if let Some(d) = &bare_driver {
            let (ms, pss) = launch_bare(d, bare).await;
            y.bare_same_ms.push(ms);
            y.bare_same_pss.push(pss);
        }
        let (today, grid, app_pss) = launch_app(&driver, offering).await;
        println!(
            "year launch {}: bare {ms:.0} ms, rollbook today {today:.0} ms / grid {grid:.0} ms; \
             PSS bare {} MiB, rollbook {} MiB",
            round + 1,
            pss_mib(pss),
            pss_mib(app_pss)
        );
        y.bare_ms.push(ms);
        y.bare_pss.push(pss);
        y.today_ms.push(today);
        y.grid_ms.push(grid);
        y.app_pss.push(app_pss);
    }
    y
}

/// The year of data at `path`: the sample school's roster; its first six classes (the
/// measured class first) marked on 180 school days through `marks::record_mark` (the mark, its
/// history row and its outbox item), each item delivered (synced, with the server record it
/// became in the cache); and a counselor's cache of another 186 offerings x 30 x 180 days.
fn build_year(school: &athena_sim::SampleSchool, offering: &str, path: &Path) {
    use rollbook_core::clock::SystemClock;
    use rollbook_core::marks::{self, DateWindow, Origin};
    use rollbook_core::{Day, Id, Status};

    let mut store = Store::open(path).expect("the year's database");
    roster::import_roster_csv(&mut store, school.roster_csv().as_bytes(), "roster.csv")
        .expect("the roster imports");
    let yesterday = athena_sim::today_utc() - chrono::TimeDelta::days(1);
    let mut days: Vec<chrono::NaiveDate> = Vec::new();
    let mut d = yesterday;
    while days.len() < 180 {
        if chrono::Datelike::weekday(&d).number_from_monday() <= 5 {
            days.push(d);
        }
        d -= chrono::TimeDelta::days(1);
    }
    let mut classes: Vec<&athena_sim::Offering> = school.offerings.iter().collect();
    classes.sort_by_key(|o| o.id.to_string() != offering);
    for (n, class) in classes.iter().take(6).enumerate() {
        let offering_id = Id::parse(&class.id.to_string()).expect("an id");
        for (k, e) in school
            .enrollments_of(class.id)
            .into_iter()
            .take(30)
            .enumerate()
        {
            let student = Id::parse(&e.student_id.to_string()).expect("an id");
            for (i, day) in days.iter().enumerate() {
                let date = Day::parse(&athena_sim::format_date(*day)).expect("a day");
                // Mostly present, as a class is.
                let status = match (n + k * 7 + i) % 20 {
                    0 => Status::Absent,
                    1 => Status::Late,
                    2 => Status::Excused,
                    _ => Status::Present,
                };
                marks::record_mark(
                    &mut store,
                    &SystemClock,
                    DateWindow::new(date).allow_outside(true),
                    "teacher",
                    Origin::Grid,
                    &offering_id,
                    &student,
                    date,
                    status,
                )
                .expect("a mark");
            }
        }
    }
    let tx = store.conn_mut().transaction().expect("a transaction");
    // Every item delivered: the server record it became, cached as a refresh would.
    tx.execute_batch(
        "UPDATE outbox SET state = 'synced', attempts = 1, sent_at = updated_at,
                server_id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
                    substr(hex(randomblob(2)), 2) || '-8' || substr(hex(randomblob(2)), 2) || '-' ||
                    hex(randomblob(6))),
                server_recorded_at = updated_at;
         INSERT INTO server_record (id, school_id, offering_id, teacher_assignment_id,
                enrollment_id, student_id, date, status, recorded_at, recorded_at_us, fetched_at)
         SELECT server_id, NULL, offering_id, teacher_assignment_id, enrollment_id, student_id,
                date, status, updated_at, id, updated_at
           FROM outbox;",
    )
    .expect("the items delivered");
    let counselor = athena_sim::SampleSchool::generate_sized(23, 186, 30);
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO server_record (id, school_id, offering_id, teacher_assignment_id,
                     enrollment_id, student_id, date, status, recorded_at, recorded_at_us,
                     fetched_at)
                 VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7, '2026-01-01T00:00:00Z', ?8,
                         '2026-01-01T00:00:00Z')",
            )
            .expect("an insert");
        for (n, r) in counselor.history(yesterday, 180).iter().enumerate() {
            insert
                .execute(rusqlite::params![
                    r.id.to_string(),
                    r.course_offering_id.to_string(),
                    r.teacher_assignment_id.to_string(),
                    r.course_enrollment_id.to_string(),
                    r.student_id.to_string(),
                    athena_sim::format_date(r.attendance_date),
                    r.status.to_string(),
                    1_000_000 + n as i64
                ])
                .expect("a cached record");
        }
    }
    tx.commit().expect("the year commits");
    store
        .conn()
        .execute_batch(
            "PRAGMA main.wal_checkpoint(TRUNCATE); PRAGMA records.wal_checkpoint(TRUNCATE);",
        )
        .expect("a checkpoint");
}

/// `target/<profile>/examples/bare_window`, beside this bench's own directory, unless
/// `BARE_WINDOW` names it.
fn bare_window_path() -> PathBuf {
    if let Some(path) = std::env::var_os("BARE_WINDOW") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the bench's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let path = profile_dir.join("examples/bare_window");
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build --profile bench --example bare_window \
         --features tauri/custom-protocol` (benches/window.sh does)",
        path.display()
    );
    path
}

/// Milliseconds since the Unix epoch (the page's `Date.now()` uses the same clock).
fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

/// Waits in the page (no WebDriver polling) for the bare window's page; returns `Date.now()`.
const BARE_READY_JS: &str = r#"
const done = arguments[arguments.length - 1];
const ready = () => document.getElementById('ready');
if (ready()) { done(Date.now()); } else {
  const obs = new MutationObserver(() => { if (ready()) { obs.disconnect(); done(Date.now()); } });
  obs.observe(document.documentElement, { subtree: true, childList: true });
}
"#;

/// Waits in the page for Today's link to the class, clicks it at once, then waits until a row
/// of the grid has the focus. Returns `[today, grid, already]` (`Date.now()` values, and whether
/// Today was already there when the script started, i.e. its time is an upper bound).
const APP_READY_JS: &str = r#"
const [offering, done] = arguments;
const link = () => document.querySelector(`[data-testid="offering-${offering}"]`);
const inGrid = () => !!document.activeElement?.closest?.('[role=grid] [role=row]');
let today = null;
const already = !!link();
const stop = () => {
  obs.disconnect();
  clearInterval(timer);
  document.removeEventListener('focusin', tick, true);
};
const tick = () => {
  if (today === null && link()) {
    today = Date.now();
    link().click();
  }
  if (today !== null && inGrid()) {
    stop();
    done([today, Date.now(), already]);
  }
};
const obs = new MutationObserver(tick);
obs.observe(document.documentElement, { subtree: true, childList: true, attributes: true });
document.addEventListener('focusin', tick, true);
const timer = setInterval(tick, 4);
tick();
"#;

async fn launch_bare(driver: &Driver, bare: &Path) -> (f64, u64) {
    let start = epoch_ms();
    let window = driver
        .launch_program(bare.to_str().expect("a UTF-8 path"), &[])
        .await;
    let ready = window
        .execute_async(BARE_READY_JS, vec![])
        .await
        .expect("the page is there");
    let ms = ready.as_f64().expect("a time") - start;
    let pss = idle_pss(bare).await;
    close(window, bare).await;
    (ms, pss)
}

/// A driver whose programs paint as Rollbook's window does on this computer, when that is not
/// WebKit's default (src-tauri/rendering.rs: without compositing when there is no GPU), so the
/// bare window can be measured painting the same way; `None` when the bare window's launches
/// already are like for like.
fn bare_painting_as_rollbook(home: &Path) -> Option<Driver> {
    use rollbook_app::rendering;
    rendering::without_compositing_here()
        .then(|| Driver::start_with(home, &[(rendering::NO_COMPOSITING, "1")]))
}

/// (ms to Today, ms to the grid with the focus, idle PSS in KiB).
async fn launch_app(driver: &Driver, offering: &str) -> (f64, f64, u64) {
    let start = epoch_ms();
    let window = driver.launch(&[]).await;
    let times = window
        .execute_async(APP_READY_JS, vec![json!(offering)])
        .await
        .expect("Today, then the grid");
    let (today, grid, already): (f64, f64, bool) =
        serde_json::from_value(times).expect("[today, grid, already]");
    if already {
        println!("(Today was up before the measuring script ran: its time is an upper bound)");
    }
    let pss = idle_pss(Path::new(APP)).await;
    close(window, Path::new(APP)).await;
    (today - start, grid - start, pss)
}

async fn grid_focused(window: &Client) {
    page::wait_until(window, "the grid has the focus", || async {
        page::js(
            window,
            "return !!document.activeElement?.closest?.('[role=grid] [role=row]');",
        )
        .await
            == true
    })
    .await;
}

async fn close(window: Client, program: &Path) {
    window.close().await.expect("the session ends");
    // The next launch must not share the CPUs with this one's exit.
    let start = Instant::now();
    while !pids_of(program).is_empty() && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// 200 clicks, each on an unmarked student (30 per day, day after day, from `days_back` days
/// before today backwards): (DOM ms, frame ms). With `school_pull`, "Refresh all classes" is
/// started in the window (the command its button calls) just before the first click.
async fn click_to_saved(
    driver: &Driver,
    offering: &str,
    days_back: i64,
    school_pull: bool,
) -> Vec<(f64, f64)> {
    let window = driver.launch(&[]).await;
    page::find(&window, "[data-testid=today-list]").await;
    if school_pull {
        page::js(
            &window,
            "window.__TAURI_INTERNALS__.invoke('pull_all_classes'); return null;",
        )
        .await;
    }
    let statuses = ["present", "absent", "late", "excused"];
    let mut samples = Vec::with_capacity(CLICKS);
    let mut day = 0;
    while samples.len() < CLICKS {
        // Recent days: a mark is dated today or up to 400 days before it without a question.
        let date = chrono::Utc::now().date_naive() - chrono::TimeDelta::days(days_back + day);
        let date = rollbook_core::Day::from_date(date).to_string();
        day += 1;
        page::js(
            &window,
            &format!("location.hash = '#/roll/{offering}/{date}'; return null;"),
        )
        .await;
        grid_focused(&window).await;
        let rows = page::grid_rows(&window).await;
        for (i, (student, _)) in rows.iter().enumerate() {
            if samples.len() == CLICKS {
                break;
            }
            let status = statuses[(i + day as usize) % statuses.len()];
            samples.push(click_once(&window, student, status).await);
        }
    }
    window.close().await.expect("the session ends");
    samples
}

const CLICK_JS: &str = r#"
const [student, status, done] = arguments;
const row = document.querySelector(`[role=grid] [role=row][data-student-id="${student}"]`);
const button = row.querySelector(`button[data-status="${status}"]`);
// Saved here, or already further: the engine, delivering the clicks before, may claim the new
// item between the mark's commit and the read of its row, which then says "sending".
const saved = () =>
  row.dataset.status === status &&
  ['saved_here', 'sending', 'on_server'].includes(
    row.querySelector('[data-testid=delivery]')?.dataset.delivery,
  );
const observer = new MutationObserver(() => {
  if (!saved()) return;
  const dom = performance.now() - start;
  observer.disconnect();
  requestAnimationFrame(() => done([dom, performance.now() - start]));
});
observer.observe(row, { subtree: true, attributes: true, childList: true, characterData: true });
const start = performance.now();
button.click();
"#;

async fn click_once(window: &Client, student: &str, status: &str) -> (f64, f64) {
    let answer = window
        .execute_async(CLICK_JS, vec![json!(student), json!(status)])
        .await
        .expect("the click is measured");
    let pair: (f64, f64) = serde_json::from_value(answer).expect("[dom, frame]");
    // The row is on screen and settled before the next click (as a teacher's next click).
    let _ = window.find(Locator::Css("[role=grid]")).await;
    pair
}

/// PSS (KiB) of the program's process tree after 3 s of idling.
async fn idle_pss(program: &Path) -> u64 {
    tokio::time::sleep(Duration::from_secs(3)).await;
    let roots = pids_of(program);
    assert_eq!(roots.len(), 1, "one {} running", program.display());
    tree(roots[0]).iter().map(|pid| pss_kib(*pid)).sum()
}

/// Processes whose executable is `program`.
fn pids_of(program: &Path) -> Vec<u32> {
    let wanted = std::fs::canonicalize(program).unwrap_or_else(|_| program.to_path_buf());
    processes()
        .into_iter()
        .filter(|(pid, _)| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == wanted)
        })
        .map(|(pid, _)| pid)
        .collect()
}

/// (pid, parent pid) of every process.
fn processes() -> Vec<(u32, u32)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let after = stat.rsplit_once(')')?.1;
            let ppid = after.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect()
}

/// `root` and every process under it.
fn tree(root: u32) -> Vec<u32> {
    let all = processes();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (pid, ppid) in &all {
        children.entry(*ppid).or_default().push(*pid);
    }
    let mut seen = HashSet::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if seen.insert(pid) {
            stack.extend(children.get(&pid).into_iter().flatten());
        }
    }
    seen.into_iter().collect()
}

fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn pss_mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

/// Nearest-rank percentile.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
