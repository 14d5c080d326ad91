//! Crash campaign: the real `rollbook-cli` marks, imports and syncs against athena-sim with
//! faults (latency, 5xx, 429, drops before and after commit, malformed JSON, wrong types, the
//! wrong record, an HTML page) and is killed with SIGKILL at random moments; then the queue is
//! drained and the invariants are checked:
//! the database is intact, nothing is left in flight, every change is on the server exactly once
//! or refused with a reason, no record on the server is unaccounted for, Rollbook caused no
//! duplicate (none reported, no two records in a row of one mark with the same status), and the
//! server's effective marks equal the local ones. Among the commands are correction-and-revert
//! sequences while an outcome is unknown: a mark changes, the server stores it and the answer
//! is lost (drop-after-commit), then the mark flips to another status and back.
//!
//! Short form (default in `cargo test`): 50 kills. Long form:
//! `ROLLBOOK_CRASH_KILLS=1000 cargo test -p rollbook-cli --test crash -- --nocapture`.
//! The seed is `ROLLBOOK_CRASH_SEED` (default fixed); the choices (commands, kill delays,
//! faults) follow from it. Exact kill points still depend on timing, which is what the
//! campaign is for: the invariants must hold whatever the moment.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use athena_sim::{FaultKind, Faults, NewAttendance, Sim, SimBuilder, Status, FRONT_DESK};
use serde_json::Value;

mod support {
    pub mod campaign;
    pub mod cli;
    pub mod sim;
}
use support::campaign::{local_marks, open_read_only, outbox, repeated_statuses, Key, Rng};
use support::cli::{days_ago, mark_args};
use support::sim::Rig;

const TOKEN: &str = "tok-CRASH-7f3a1c9e55";
/// Three recent days (a mark is dated within the last 400 days), the same for the whole run.
fn dates() -> [&'static str; 3] {
    static DATES: std::sync::OnceLock<[String; 3]> = std::sync::OnceLock::new();
    let [a, b, c] = DATES.get_or_init(|| [days_ago(13), days_ago(12), days_ago(11)]);
    [a, b, c]
}
const STATUSES: [&str; 4] = ["present", "absent", "late", "excused"];
/// Latency of every POST (ms): a kill often lands while a request is on the wire.
const LATENCY_MS: u64 = 15;
/// Upper bound of the random delay before the SIGKILL (ms).
const MAX_KILL_DELAY_MS: u64 = 120;

/// athena-sim with the sample school of seven offerings, none of their marks on it yet.
fn school() -> SimBuilder {
    Sim::builder().sample_school(7).empty_store().token(
        TOKEN,
        &["write:attendance", "read:attendance", "read:students"],
    )
}

/// An offering's id and its enrolled students' ids.
type Offering = (String, Vec<String>);

/// A number from the environment (decimal, or hex with `0x`); one that does not parse is
/// refused rather than silently replaced by the default (a campaign on the wrong seed).
fn env_u64(name: &str, default: u64) -> u64 {
    let Ok(raw) = std::env::var(name) else {
        return default;
    };
    let v = raw.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => v.replace('_', "").parse(),
    };
    parsed.unwrap_or_else(|_| panic!("{name}={raw:?} is not a number"))
}

/// Waits until no request is in flight on the simulator (`wait_idle`: no connection open, no
/// handler running), so a request the killed process left on the wire lands (or not) before
/// the next run: the invariants, not the machine's speed, decide the outcome. If the sim does
/// not get idle in time, falls back to waiting until its counters stay still for longer than the
/// injected latency.
fn settle(rig: &Rig) {
    if rig
        .block_on(rig.sim.wait_idle(Duration::from_secs(20)))
        .is_ok()
    {
        return;
    }
    let quiet = Duration::from_millis(LATENCY_MS * 3 + 40);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = (rig.sim.post_count(), rig.sim.record_count());
    let mut since = Instant::now();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        let now = (rig.sim.post_count(), rig.sim.record_count());
        if now != seen {
            seen = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

/// One randomly chosen command, with a temp file for imports.
fn pick_command(
    rig: &Rig,
    offerings: &[Offering],
    rng: &mut Rng,
    n: usize,
) -> (&'static str, Vec<String>) {
    let (offering, students) = &offerings[rng.below(offerings.len())];
    let date = dates()[rng.below(dates().len())];
    match rng.below(10) {
        0..=3 => {
            let student = &students[rng.below(students.len())];
            let status = STATUSES[rng.below(STATUSES.len())];
            (
                "mark",
                mark_args(offering, student, date, status).map(s).to_vec(),
            )
        }
        4 => {
            let args = ["mark-rest-present", "--offering", offering, "--date", date];
            ("mark-rest-present", args.iter().map(|a| s(a)).collect())
        }
        5 => {
            let path = rig.cli.path(&format!("checkin-{n}.csv"));
            let mut csv = String::from("course_offering_id,student_id,attendance_date,status\n");
            let rows = 5 + rng.below(40);
            let mut seen = HashSet::new();
            for _ in 0..rows {
                let (o, st) = &offerings[rng.below(offerings.len())];
                let student = &st[rng.below(st.len())];
                let d = dates()[rng.below(dates().len())];
                // A file marks each (offering, student, date) once: a second line is refused.
                if !seen.insert((o, student, d)) {
                    continue;
                }
                let status = STATUSES[rng.below(STATUSES.len())];
                csv.push_str(&format!("{o},{student},{d},{status}\n"));
            }
            std::fs::write(&path, csv).expect("write check-in csv");
            let p = path.to_str().expect("utf-8 path");
            ("marks import", vec![s("marks"), s("import"), s(p)])
        }
        6 => {
            let p = rig.cli.path("roster.csv");
            let p = p.to_str().expect("utf-8 path");
            ("roster import", vec![s("roster"), s("import"), s(p)])
        }
        7 => (
            "sync --wait",
            vec![s("sync"), s("--wait"), s("--timeout"), s("5"), s("--json")],
        ),
        _ => ("sync", vec![s("sync"), s("--json")]),
    }
}

fn duplicates_of(report: &Value, into: &mut HashSet<String>) {
    for d in report["duplicates"].as_array().into_iter().flatten() {
        for e in d["extra"].as_array().into_iter().flatten() {
            if let Some(id) = e.as_str() {
                into.insert(id.to_string());
            }
        }
    }
}

/// its output.
fn run_or_kill(rig: &Rig, args: &[String], delay_ms: u64) -> (bool, std::process::Output) {
    let mut child = rig
        .cli
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rollbook-cli");
    std::thread::sleep(Duration::from_millis(delay_ms));
    let alive = matches!(child.try_wait(), Ok(None));
    if alive {
        // SIGKILL on Unix.
        child.kill().expect("kill rollbook-cli");
    }
    (alive, child.wait_with_output().expect("wait rollbook-cli"))
}

/// The local status of one mark, if any.
fn local_status(rig: &Rig, key: &Key) -> Option<String> {
    let conn = open_read_only(&rig.cli.data_dir().join("rollbook.db"));
    let found = conn.query_row(
        "SELECT status FROM mark WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3",
        [&key.0, &key.1, &key.2],
        |r| r.get::<_, String>(0),
    );
    found.ok()
}

/// A correction and a revert while the outcome is unknown: the mark changes to `t`, a sync
/// stores it but loses the answer (drop-after-commit; maybe killed), the mark flips to `u` and
/// back to `t` (what the server may hold) or to what it was before. Returns whether the sync
/// was killed.
fn flip_and_back(rig: &Rig, offerings: &[Offering], rng: &mut Rng) -> bool {
    let (offering, students) = &offerings[rng.below(offerings.len())];
    let key: Key = (
        offering.clone(),
        students[1 + rng.below(students.len() - 1)].clone(),
        s(dates()[rng.below(3)]),
    );
    let before = local_status(rig, &key);
    let other = |not: Option<&str>, rng: &mut Rng| loop {
        let st = STATUSES[rng.below(STATUSES.len())];
        if Some(st) != not {
            return st;
        }
    };
    let mark = |status: &str| {
        let args = mark_args(&key.0, &key.1, &key.2, status).map(s).to_vec();
        let out = rig.cli.run(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let t = other(before.as_deref(), rng);
    mark(t);
    rig.sim.fail_next(FaultKind::DropAfter, 1 + rng.below(3));
    let delay = rng.next() % (MAX_KILL_DELAY_MS * 3 + 1);
    let (killed, _) = run_or_kill(rig, &[s("sync"), s("--json")], delay);
    settle(rig);
    mark(other(Some(t), rng));
    match before.as_deref() {
        Some(b) if rng.below(2) == 0 => mark(b),
        _ => mark(t),
    }
    killed
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let seed = env_u64("ROLLBOOK_CRASH_SEED", 0x0c0f_fee5_2024);
    let target_kills = env_u64("ROLLBOOK_CRASH_KILLS", 50);
    let mut rng = Rng(seed);

    let faults = format!(
        "latency={LATENCY_MS},500=0.08,429=0.05,drop_before=0.05,drop_after=0.08,garbage=0.04,\
         wrong_types=0.03,wrong_record=0.03,html=0.02,retry_after=0,seed={seed}"
    );
    let rig = Rig::new(
        school().faults(Faults::parse(&faults).expect("fault spec")),
        TOKEN,
    );
    let sample = rig.sim.sample().expect("sample school");
    let offerings: Vec<Offering> = rig
        .sim
        .offerings()
        .iter()
        .take(3)
        .map(|o| {
            let students = sample
                .enrollments_of(o.id)
                .iter()
                .map(|e| e.student_id.to_string())
                .collect();
            (o.id.to_string(), students)
        })
        .collect();
    // One student the server refuses: the "rejected with a reason" path is exercised too.
    let refused = offerings[0].1[0].clone();
    rig.sim.reject_student(refused.parse().expect("uuid"));
    // The front desk's kiosk posts between runs, on a day the campaign never marks: every
    // `sync` refreshes these offerings afterwards, so kills land in refreshes too.
    let kiosk_day = athena_sim::parse_date(&days_ago(10)).expect("date");
    let mut kiosk_posted: Vec<String> = Vec::new();

    let started = Instant::now();
    let mut kills = 0u64;
    let mut runs = 0u64;
    let mut killed_by_kind: BTreeMap<&str, u64> = BTreeMap::new();
    let mut duplicates: HashSet<String> = HashSet::new();
    // About one run in seven is killed alive; how many finish first depends on the machine's
    // speed, so the campaign goes on until its kills are reached, within a bound that only a
    // command that never runs long enough to be killed would exhaust.
    let max_runs = target_kills * 12 + 20;
    let mut flips = 0u64;
    while kills < target_kills && runs < max_runs {
        if rng.below(10) == 0 {
            let offering = rig.sim.offerings()[rng.below(offerings.len())].id;
            let enrolled = sample.enrollments_of(offering);
            let e = enrolled[rng.below(enrolled.len())];
            let record = rig.sim.add_record(&NewAttendance {
                course_offering_id: offering,
                teacher_assignment_id: FRONT_DESK,
                course_enrollment_id: e.id,
                student_id: e.student_id,
                attendance_date: kiosk_day,
                status: Status::Late,
            });
            kiosk_posted.push(record.id.to_string());
        }
        if rng.below(8) == 0 {
            runs += 1;
            flips += 1;
            if flip_and_back(&rig, &offerings, &mut rng) {
                kills += 1;
                *killed_by_kind.entry("flip-and-back sync").or_default() += 1;
            }
            continue;
        }
        let (kind, args) = pick_command(
            &rig,
            &offerings,
            &mut rng,
            usize::try_from(runs).unwrap_or(0),
        );
        // Sync runs longer than a mark; give it a longer reach so kills land mid-request.
        let reach = if kind.starts_with("sync") {
            MAX_KILL_DELAY_MS * 3
        } else {
            MAX_KILL_DELAY_MS
        };
        let delay = rng.next() % (reach + 1);
        runs += 1;
        let (alive, out) = run_or_kill(&rig, &args, delay);
        if alive {
            kills += 1;
            *killed_by_kind.entry(kind).or_default() += 1;
        }
        if !alive && kind.starts_with("sync") {
            if let Ok(report) = serde_json::from_slice::<Value>(&out.stdout) {
                duplicates_of(&report, &mut duplicates);
            }
        }
        if !alive {
            // A finished command must not fail for a reason other than a server fault.
            let code = out.status.code();
            assert!(
                code == Some(0) || (kind.starts_with("sync") && code != Some(101)),
                "{kind} {args:?} ended {code:?} (no panic, no failure on local work): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        settle(&rig);
    }
    let campaign = started.elapsed();
    let faults_hit: BTreeMap<&str, u64> = [
        FaultKind::ServerError,
        FaultKind::TooManyRequests,
        FaultKind::DropBefore,
        FaultKind::DropAfter,
        FaultKind::Garbage,
        FaultKind::WrongTypes,
        FaultKind::WrongRecord,
        FaultKind::Html,
    ]
    .into_iter()
    .map(|k| (k.key(), rig.sim.fault_count(k)))
    .collect();

    rig.sim.clear_faults();
    let out = rig
        .cli
        .run(&["sync", "--wait", "--timeout", "120", "--json"]);
    assert!(
        out.status.success(),
        "the final drain ends cleanly: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("sync --json");
    duplicates_of(&report, &mut duplicates);

    // Invariants.
    let db = rig.cli.data_dir().join("rollbook.db");
    let conn = open_read_only(&db);
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok", "a SIGKILL never corrupts the database");

    // The kiosk's records are in this device's cache, once each, whatever the kills: a
    // refresh cut half-way leaves nothing half-written, and the next one finishes it.
    let cached: HashSet<String> = {
        let mut stmt = conn
            .prepare("SELECT id FROM server_record WHERE teacher_assignment_id = ?1")
            .expect("prepare");
        stmt.query_map([FRONT_DESK.to_string()], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    };
    let posted: HashSet<String> = kiosk_posted.iter().cloned().collect();
    assert_eq!(
        cached, posted,
        "every kiosk record is cached after the final sync"
    );

    let items = outbox(&conn);
    // Only this device's records: the kiosk's are another writer's.
    let records: Vec<athena_sim::AttendanceRecord> = rig
        .sim
        .records()
        .into_iter()
        .filter(|r| r.teacher_assignment_id != FRONT_DESK)
        .collect();
    let by_id: HashMap<String, &athena_sim::AttendanceRecord> =
        records.iter().map(|r| (r.id.to_string(), r)).collect();
    let mut owned: HashSet<String> = HashSet::new();
    let (mut synced, mut rejected, mut cancelled) = (0u64, 0u64, 0u64);
    for it in &items {
        match it.state.as_str() {
            "synced" => {
                synced += 1;
                let sid = it
                    .server_id
                    .as_deref()
                    .unwrap_or_else(|| panic!("item {} synced without a server id: {it:?}", it.id));
                let r = by_id.get(sid).unwrap_or_else(|| {
                    panic!("item {} claims record {sid}, which the server lacks", it.id)
                });
                assert!(
                    owned.insert(sid.to_string()),
                    "record {sid} is owned by two items: a change counted twice"
                );
                let fields = (
                    r.course_offering_id.to_string(),
                    r.student_id.to_string(),
                    r.attendance_date.to_string(),
                    r.teacher_assignment_id.to_string(),
                    r.course_enrollment_id.to_string(),
                    r.status.as_str().to_string(),
                );
                let want = (
                    it.offering.clone(),
                    it.student.clone(),
                    it.date.clone(),
                    it.teacher_assignment.clone(),
                    it.enrollment.clone(),
                    it.status.clone(),
                );
                assert_eq!(fields, want, "item {} and its server record agree", it.id);
            }
            "rejected" => {
                rejected += 1;
                assert!(
                    it.last_error
                        .as_deref()
                        .is_some_and(|e| !e.trim().is_empty()),
                    "item {} rejected without a reason",
                    it.id
                );
            }
            "cancelled" => cancelled += 1,
            other => panic!(
                "item {} left `{other}` after the drain: nothing stays in flight",
                it.id
            ),
        }
    }
    let unaccounted: Vec<&athena_sim::AttendanceRecord> = records
        .iter()
        .filter(|r| {
            let id = r.id.to_string();
            !owned.contains(&id) && !duplicates.contains(&id)
        })
        .collect();
    assert!(
        unaccounted.is_empty(),
        "every server record belongs to an outbox item or was reported as a duplicate; \
         unaccounted: {unaccounted:#?}"
    );

    assert!(
        duplicates.is_empty(),
        "Rollbook caused duplicate records (seed {seed:#x}): {duplicates:?}"
    );
    let repeated = repeated_statuses(&records);
    assert!(
        repeated.is_empty(),
        "no change is sent that the server already holds (seed {seed:#x}): {repeated:#?}"
    );

    // Effective marks: the newest recorded_at per key on the server equals the local mark,
    // except for the refused student, whose marks never reach the server.
    let mut server: BTreeMap<Key, (chrono::DateTime<chrono::Utc>, String)> = BTreeMap::new();
    for r in &records {
        let key = (
            r.course_offering_id.to_string(),
            r.student_id.to_string(),
            r.attendance_date.to_string(),
        );
        let entry = (r.recorded_at, r.status.as_str().to_string());
        match server.get(&key) {
            Some((at, _)) if *at >= r.recorded_at => {}
            _ => {
                server.insert(key, entry);
            }
        }
    }
    let server: BTreeMap<Key, String> = server.into_iter().map(|(k, (_, st))| (k, st)).collect();
    let local: BTreeMap<Key, String> = local_marks(&conn)
        .into_iter()
        .filter(|((_, student, _), _)| *student != refused)
        .collect();
    if server != local {
        let keys: Vec<&Key> = server
            .keys()
            .chain(local.keys())
            .filter(|k| server.get(*k) != local.get(*k))
            .collect();
        let mut detail = String::new();
        for (o, st, d) in keys {
            detail.push_str(&format!(
                "\n{o} {st} {d}: server {:?}, local {:?}\n",
                server.get(&(o.clone(), st.clone(), d.clone())),
                local.get(&(o.clone(), st.clone(), d.clone()))
            ));
            for it in items
                .iter()
                .filter(|it| it.offering == *o && it.student == *st && it.date == *d)
            {
                detail.push_str(&format!(
                    "  item {} {} {} server_id {:?}\n",
                    it.id, it.status, it.state, it.server_id
                ));
            }
            for r in records.iter().filter(|r| {
                r.course_offering_id.to_string() == *o
                    && r.student_id.to_string() == *st
                    && r.attendance_date.to_string() == *d
            }) {
                detail.push_str(&format!(
                    "  record {} {} at {}\n",
                    r.id,
                    r.status.as_str(),
                    r.recorded_at
                ));
            }
        }
        let kept = rig.cli.dir.keep();
        panic!(
            "the server's effective marks equal the local ones after the drain (seed {seed:#x}; \
             data kept in {}):{detail}",
            kept.display()
        );
    }

    let marks = local_marks(&conn).len();
    println!(
        "crash campaign seed={seed:#x}: {runs} runs ({flips} flip-and-back), {kills} kills \
         {killed_by_kind:?}, \
         {} outbox items ({synced} synced, {rejected} rejected, {cancelled} cancelled), \
         {marks} marks, {} server records, {} reported duplicates, {} POSTs, faults {faults_hit:?}, \
         campaign {:.1} s",
        items.len(),
        records.len(),
        duplicates.len(),
        rig.sim.post_count(),
        campaign.as_secs_f64()
    );
    assert!(
        kills >= target_kills,
        "only {kills} of {target_kills} kills hit a live process in {runs} runs"
    );
}

/// The failure the long campaign found (seed 0xc0ffee52024, 1,000 kills), made deterministic:
/// a correction that goes back to what the server holds cancels the newest pending item but
/// not an older one re-queued after a reconcile, which is then sent and becomes the server's
/// effective mark while the local mark says otherwise. The outbox rule
/// (crates/core/src/mark_change.rs, `held_by_server`) counts older pending items as "still to
/// reach the server", so the newest one is rewritten instead of cancelled.
#[test]
fn a_correction_back_to_the_synced_status_wins_over_a_requeued_item() {
    let rig = Rig::new(school(), TOKEN);
    let sample = rig.sim.sample().expect("sample");
    let o = rig.sim.offerings()[0].id.to_string();
    let st = sample.enrollments_of(rig.sim.offerings()[0].id)[1]
        .student_id
        .to_string();
    let ok = |args: Vec<String>| {
        let out = rig.cli.run(&args);
        assert!(
            out.status.success() || args[0] == "sync",
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mark = |status: &str| mark_args(&o, &st, dates()[0], status).map(s).to_vec();
    ok(mark("late"));
    ok(vec![s("sync")]);
    // The correction's POST is lost on the way: its outcome is unknown.
    rig.sim.fail_next(FaultKind::DropBefore, 1);
    ok(mark("excused"));
    ok(vec![s("sync")]);
    ok(mark("present"));
    // Re-queued (the user's "send again"; a reconcile that does not find it does the same),
    // then a 429 (nothing stored) leaves it pending.
    rig.sim.fail_next(FaultKind::TooManyRequests, 1);
    ok(vec![s("sync"), s("--resend-unknown")]);
    // Back to what the server holds.
    ok(mark("late"));
    ok(vec![s("sync"), s("--wait"), s("--timeout"), s("60")]);
    let newest = rig
        .sim
        .records()
        .into_iter()
        .filter(|r| r.course_offering_id.to_string() == o && r.student_id.to_string() == st)
        .max_by_key(|r| r.recorded_at)
        .map(|r| r.status.as_str().to_string());
    assert_eq!(
        newest.as_deref(),
        Some("late"),
        "the server's effective mark is the local one"
    );
}
