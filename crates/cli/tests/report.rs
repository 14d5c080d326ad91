//! `rollbook-cli report` and `class-report`: the real binary against athena-sim with the sample
//! school's history. The numbers must be the ones rollbook-report computes from the server's
//! own records (plus a local correction not yet sent, which wins): the path pull → cache →
//! effective records → measures must not lose, double or reorder a record.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;

use athena_sim::{AttendanceRecord, Sim};
use chrono::Datelike;
use rollbook_core::{Day, Id, Status};
use rollbook_report::{class_overview, effective, student_report, RawRecord, SessionRecord};
use serde_json::Value;

mod support {
    pub mod cli;
    pub mod sim;
}
use support::cli::{days_ago, mark_args};
use support::sim::Rig;

const TOKEN: &str = "tok-REPORT-7c1e2d";

/// The keys issue 5 fixes for `report --json`.
const KEYS: [&str; 14] = [
    "student_id",
    "sessions",
    "attendance_rate",
    "days_observed",
    "days_absent",
    "excused_days_absent",
    "unexcused_days_absent",
    "absence_rate",
    "tier",
    "crdc_15_days",
    "longest_absence_streak",
    "current_absence_streak",
    "by_course",
    "by_month",
];

/// The last day (exclusive) of the sample history: two days ago, so every record lies in the
/// default range of a report (the 12 months up to the binary's local today, within a day of
/// UTC) and its days can still be marked.
fn history_end() -> chrono::NaiveDate {
    athena_sim::today_utc() - chrono::TimeDelta::days(2)
}

/// A month wholly inside the sample history (60 school days, about 12 weeks): the one 40 days
/// before its end, as (first day, last day).
fn a_month_of_history() -> (String, String) {
    let day = history_end() - chrono::TimeDelta::days(40);
    let first = day.with_day(1).expect("the first of a month");
    let next = first + chrono::TimeDelta::days(32);
    let last = next.with_day(1).expect("the first of a month") - chrono::TimeDelta::days(1);
    (
        Day::from_date(first).to_string(),
        Day::from_date(last).to_string(),
    )
}

/// athena-sim with the sample school's history of records (its marks on the server), and its
/// roster imported.
fn rig() -> Rig {
    Rig::new(
        Sim::builder()
            .sample_school(11)
            .history(history_end(), 60)
            .token(
                TOKEN,
                &["read:attendance", "read:students", "write:attendance"],
            ),
        TOKEN,
    )
}

/// Exit 0; (stdout, stderr).
fn ok(rig: &Rig, args: &[&str]) -> (String, String) {
    let out = rig.cli.run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    (String::from_utf8(out.stdout).expect("utf-8"), stderr)
}

fn json(rig: &Rig, args: &[&str]) -> (Value, String) {
    let (out, err) = ok(rig, args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"));
    (v, err)
}

/// A chronically absent student of the sample school (the interesting report).
fn student(rig: &Rig) -> Id {
    let sample = rig.sim.sample().expect("sample");
    id(&sample.chronically_absent[0].to_string())
}

fn offering_names(rig: &Rig) -> HashMap<String, String> {
    let sample = rig.sim.sample().expect("sample");
    sample
        .offerings
        .iter()
        .map(|o| (o.id.to_string(), o.name.clone()))
        .collect()
}

/// The server's records as rollbook-report's input.
fn server_records(rig: &Rig, keep: impl Fn(&AttendanceRecord) -> bool) -> Vec<RawRecord> {
    let names = offering_names(rig);
    rig.sim
        .records()
        .iter()
        .filter(|r| keep(r))
        .map(|r| RawRecord {
            offering_id: id(&r.course_offering_id.to_string()),
            offering_name: names.get(&r.course_offering_id.to_string()).cloned(),
            student_id: id(&r.student_id.to_string()),
            date: Day::from_date(r.attendance_date),
            status: Status::parse(r.status.as_str()).expect("status"),
            recorded_at: athena_sim::format_timestamp(r.recorded_at),
            local_unconfirmed: false,
        })
        .collect()
}

fn id(s: &str) -> Id {
    Id::parse(s).expect("id")
}

/// Equal JSON, numbers within 1e-9 (a float printed and parsed back may move one ulp).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn assert_report(got: &Value, want: &rollbook_report::StudentReport, why: &str) {
    let want = serde_json::to_value(want).expect("serializes");
    for key in KEYS {
        let (g, w) = (&got[key], &want[key]);
        assert!(g != &Value::Null || w == &Value::Null, "{key} is missing");
        if key == "by_course" {
            let by_id = |v: &Value| -> HashMap<String, (Value, Value)> {
                let list = v.as_array().cloned().unwrap_or_default();
                list.into_iter()
                    .map(|c| {
                        let k = c["course_offering_id"].as_str().unwrap_or("").to_string();
                        (k, (c["sessions"].clone(), c["attendance_rate"].clone()))
                    })
                    .collect()
            };
            let (g, w) = (by_id(g), by_id(w));
            assert_eq!(g.len(), w.len(), "{why}: by_course");
            for (k, (s, r)) in &w {
                let (gs, gr) = &g[k];
                assert!(same(gs, s) && same(gr, r), "{why}: by_course {k}");
            }
        } else {
            assert!(same(g, w), "{why}: {key}: got {g}, want {w}");
        }
    }
}

#[test]
fn the_report_equals_the_measures_of_the_servers_records_and_a_local_correction_wins() {
    let rig = rig();
    let student = student(&rig);
    let s = student.to_string();
    let (got, stderr) = json(&rig, &["report", "--student", &s, "--json"]);
    assert!(!stderr.contains("note"), "online: no note: {stderr}");
    let raw = server_records(&rig, |r| r.student_id.to_string() == s);
    assert!(raw.len() > 100, "the sample history has a term of records");
    let records: Vec<SessionRecord> = effective(raw.clone());
    let want = student_report(&student, &records, None, None);
    assert!(want.days_observed >= 10 && want.days_absent > 0.0);
    assert_report(&got, &want, "after a pull the report is the server's truth");
    assert!(got["student_name"].is_string());

    // A correction made here and not yet sent: the opposite of the effective mark of one session.
    let target = &records[records.len() / 2];
    let new_status = if target.status == Status::Present {
        Status::Absent
    } else {
        Status::Present
    };
    let (o, d) = (target.offering_id.to_string(), target.date.to_string());
    ok(&rig, &mark_args(&o, &s, &d, new_status.as_str()));
    let mut with_local = raw;
    with_local.push(RawRecord {
        offering_id: target.offering_id.clone(),
        offering_name: target.offering_name.clone(),
        student_id: student.clone(),
        date: target.date,
        status: new_status,
        recorded_at: "2000-01-01T00:00:00Z".into(),
        local_unconfirmed: true,
    });
    let want2 = student_report(&student, &effective(with_local), None, None);
    assert_ne!(
        want2.sessions, want.sessions,
        "the correction changes the counts"
    );
    let (got2, _) = json(&rig, &["report", "--student", &s, "--json"]);
    assert_report(
        &got2,
        &want2,
        "an unsent local correction wins over the server's record",
    );

    // A range: only its dates count.
    let (from, to) = a_month_of_history();
    let (from, to) = (from.as_str(), to.as_str());
    let (got3, _) = json(
        &rig,
        &[
            "report",
            "--student",
            &s,
            "--from",
            from,
            "--to",
            to,
            "--json",
            "--no-pull",
        ],
    );
    let in_range = server_records(&rig, |r| r.student_id.to_string() == s);
    let mut in_range = in_range;
    in_range.push(RawRecord {
        local_unconfirmed: true,
        status: new_status,
        recorded_at: "2000-01-01T00:00:00Z".into(),
        offering_id: target.offering_id.clone(),
        offering_name: None,
        student_id: student.clone(),
        date: target.date,
    });
    let range = (Day::parse(from).ok(), Day::parse(to).ok());
    let want3 = student_report(&student, &effective(in_range), range.0, range.1);
    assert_report(&got3, &want3, "--from/--to bound the report");
    assert_eq!(got3["by_month"].as_array().map(Vec::len), Some(1));

    let (text, _) = ok(&rig, &["report", "--student", &s, "--no-pull"]);
    for needle in ["Tier: ", "attendance rate", "COURSE", "MONTH", &from[..7]] {
        assert!(text.contains(needle), "human output has {needle}: {text}");
    }
}

#[test]
fn charts_and_exports_are_written_and_parse() {
    let rig = rig();
    let s = student(&rig).to_string();
    let (svg, png, csv, html) = (
        rig.cli.path("svg"),
        rig.cli.path("png"),
        rig.cli.path("records.csv"),
        rig.cli.path("report.html"),
    );
    let p = |x: &Path| x.to_string_lossy().into_owned();
    let (_, stderr) = json(
        &rig,
        &[
            "report",
            "--student",
            &s,
            "--json",
            "--svg",
            &p(&svg),
            "--png",
            &p(&png),
            "--csv",
            &p(&csv),
            "--html",
            &p(&html),
            "--lang",
            "es",
        ],
    );
    assert!(stderr.contains("Wrote 5 SVG charts"), "{stderr}");
    for chart in ["breakdown", "monthly", "heatmap", "by_course", "last_days"] {
        let text = std::fs::read_to_string(svg.join(format!("{chart}.svg"))).expect("svg file");
        assert!(text.starts_with("<svg"), "{chart}.svg is an SVG document");
        assert_png(&png.join(format!("{chart}.png")));
    }
    let csv = std::fs::read_to_string(&csv).expect("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("date,course_offering_id,course_name,student_id,student_name,status")
    );
    assert!(lines.all(|l| l.contains(&s)), "only the student's records");
    let html = std::fs::read_to_string(&html).expect("html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    assert!(html.contains("lang=\"es\""));

    let offering = rig.sim.sample().expect("sample").offerings[0]
        .id
        .to_string();
    let (csv, svg, png) = (
        rig.cli.path("class.csv"),
        rig.cli.path("class-svg"),
        rig.cli.path("class-png"),
    );
    let (overview, _) = json(
        &rig,
        &[
            "class-report",
            "--offering",
            &offering,
            "--json",
            "--svg",
            &p(&svg),
            "--png",
            &p(&png),
            "--csv",
            &p(&csv),
        ],
    );
    for chart in ["daily", "at_risk"] {
        let text = std::fs::read_to_string(svg.join(format!("{chart}.svg"))).expect("svg file");
        assert!(text.starts_with("<svg"));
        assert_png(&png.join(format!("{chart}.png")));
    }
    let lines = std::fs::read_to_string(&csv).expect("csv").lines().count();
    let raw = server_records(&rig, |r| r.course_offering_id.to_string() == offering);
    let records = effective(raw);
    assert_eq!(lines, records.len() + 1, "one line per effective record");
    let want = class_overview(&id(&offering), &records, &HashMap::new());
    assert_eq!(
        overview["daily"].as_array().map(Vec::len),
        Some(want.daily.len())
    );
    let got: Vec<&str> = overview["students"]
        .as_array()
        .expect("students")
        .iter()
        .filter_map(|s| s["student_id"].as_str())
        .collect();
    assert_eq!(got.len(), want.students.len());
    let first = want.students[0].student_id.to_string();
    assert_eq!(got[0], first, "the most absent student comes first");
    let (text, _) = ok(
        &rig,
        &["class-report", "--offering", &offering, "--no-pull"],
    );
    assert!(
        text.contains("ABSENCE RATE") && text.contains("attendance rate"),
        "{text}"
    );
}

fn assert_png(path: &Path) {
    let file = std::fs::File::open(path).expect("png file");
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("the PNG decodes");
    let info = reader.info();
    assert!(info.width > 100 && info.height > 50, "{}", path.display());
}

#[test]
fn offline_the_report_uses_the_cache_and_says_so() {
    let mut rig = rig();
    let s = student(&rig).to_string();
    let (online, _) = json(&rig, &["report", "--student", &s, "--json"]);
    // Nothing listens on this port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    rig.cli.api_url = format!("http://127.0.0.1:{port}");
    let (offline, stderr) = json(&rig, &["report", "--student", &s, "--json"]);
    assert!(
        stderr.contains("note: could not fetch the server's records"),
        "offline is said on stderr: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        same(&online, &offline),
        "the cache holds what the pull fetched"
    );
    let (_, quiet) = json(&rig, &["report", "--student", &s, "--json", "--no-pull"]);
    assert!(quiet.is_empty(), "--no-pull does not try: {quiet}");
}

#[test]
fn bad_input_exits_2_naming_it_and_an_unknown_student_is_an_empty_report() {
    let rig = rig();
    let s = student(&rig).to_string();
    let cases: [(&[&str], &str); 5] = [
        (&["report", "--student", "nope"], "--student"),
        (
            &["report", "--student", &s, "--from", "2024-02-30"],
            "--from",
        ),
        (&["report", "--student", &s, "--to", "24-03-01"], "--to"),
        (
            &[
                "report",
                "--student",
                &s,
                "--from",
                "2024-03-02",
                "--to",
                "2024-03-01",
            ],
            "--from",
        ),
        (
            &["class-report", "--offering", "x", "--no-pull"],
            "--offering",
        ),
    ];
    for (args, named) in cases {
        let out = rig.cli.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?} names {named}: {stderr}");
    }
    let stranger = "00000000-0000-4000-8000-00000000abcd";
    let (report, stderr) = json(&rig, &["report", "--student", stranger, "--json"]);
    assert_eq!(report["tier"], "insufficient-data");
    assert_eq!(report["sessions"]["total"], 0);
    assert!(
        stderr.contains("not known on this device"),
        "an unknown id is pointed out: {stderr}"
    );
}

#[test]
fn a_dash_writes_the_export_to_standard_output() {
    let rig = rig();
    let s = student(&rig).to_string();
    let (csv, stderr) = ok(&rig, &["report", "--student", &s, "--csv", "-"]);
    assert!(
        csv.starts_with("date,course_offering_id,course_name,student_id,student_name,status\n"),
        "stdout is the CSV alone: {}",
        &csv[..csv.len().min(300)]
    );
    assert!(
        csv.lines().skip(1).all(|l| l.contains(&s)),
        "one student's records"
    );
    assert!(!rig.cli.path("-").exists(), "no file named '-' is written");
    assert!(
        stderr.contains("Wrote") && stderr.contains("standard output"),
        "{stderr}"
    );
    let (html, _) = ok(
        &rig,
        &["report", "--student", &s, "--no-pull", "--html", "-"],
    );
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "{}",
        &html[..html.len().min(200)]
    );
    let offering = rig.sim.sample().expect("sample").offerings[0]
        .id
        .to_string();
    let (csv, _) = ok(
        &rig,
        &[
            "class-report",
            "--offering",
            &offering,
            "--no-pull",
            "--csv",
            "-",
        ],
    );
    assert!(
        csv.starts_with("date,course_offering_id"),
        "{}",
        &csv[..csv.len().min(200)]
    );
    assert!(!rig.cli.path("-").exists());
    let out = rig.cli.run(&[
        "report",
        "--student",
        &s,
        "--no-pull",
        "--json",
        "--csv",
        "-",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--json") && stderr.contains("--csv -"),
        "{stderr}"
    );
}

#[test]
fn an_export_path_of_the_wrong_kind_is_named_with_what_is_wrong() {
    let rig = rig();
    let s = student(&rig).to_string();
    let file = rig.cli.path("charts");
    std::fs::write(&file, "not a directory").expect("file");
    let dir = rig.cli.path("out.csv");
    std::fs::create_dir(&dir).expect("dir");
    let p = |x: &Path| x.to_string_lossy().into_owned();
    let cases: [(&str, &Path, &str); 4] = [
        ("--svg", &file, "is a file, not a directory"),
        ("--png", &file, "is a file, not a directory"),
        ("--csv", &dir, "is a directory, not a file"),
        ("--html", &dir, "is a directory, not a file"),
    ];
    for (flag, at, what) in cases {
        let out = rig
            .cli
            .run(&["report", "--student", &s, "--no-pull", flag, &p(at)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains(&p(at)) && stderr.contains(what),
            "{flag} names the path and what is wrong ({what}): {stderr}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&file).expect("file"),
        "not a directory"
    );
}

#[test]
fn by_default_a_report_covers_the_12_months_up_to_today() {
    let rig = Rig::small_school(TOKEN);
    let (o, s) = rig.pick(0, 0);
    // A record of 13 months ago and one dated next week (both allowed explicitly), one recent.
    let (old, ahead, recent) = (days_ago(400), days_ago(-7), days_ago(10));
    for date in [&old, &ahead, &recent] {
        let mark = mark_args(&o, &s, date, "absent");
        ok(
            &rig,
            &[&mark[..], &["--allow-date-outside-window"]].concat(),
        );
    }
    let sessions = |args: &[&str]| {
        let (report, _) = json(
            &rig,
            &[&["report", "--student", &s, "--json", "--no-pull"], args].concat(),
        );
        report["sessions"]["total"].as_u64()
    };
    let days = |args: &[&str]| {
        let class = [
            &["class-report", "--offering", &o, "--json", "--no-pull"],
            args,
        ]
        .concat();
        let (overview, _) = json(&rig, &class);
        overview["daily"].as_array().map(Vec::len)
    };
    assert_eq!(
        sessions(&[]),
        Some(1),
        "only the recent record is in the last 12 months"
    );
    assert_eq!(days(&[]), Some(1), "the class report too");

    let everything = ["--from", &old, "--to", &ahead];
    assert_eq!(
        sessions(&everything),
        Some(3),
        "an explicit range reaches them"
    );
    assert_eq!(days(&everything), Some(3));
    assert_eq!(
        sessions(&["--from", &old]),
        Some(2),
        "--from alone ends today"
    );

    // The range: to today (the binary's local date, within a day of UTC), from the day after
    // the same date a year before.
    let (report, _) = json(&rig, &["report", "--student", &s, "--json", "--no-pull"]);
    let day = |key: &str| {
        Day::parse(report[key].as_str().unwrap_or(""))
            .expect("a date")
            .date()
    };
    let (from, to) = (day("from"), day("to"));
    let utc = chrono::Utc::now().date_naive();
    assert!((to - utc).num_days().abs() <= 1, "{report}");
    let year_before = to
        .with_year(to.year() - 1)
        .unwrap_or_else(|| to - chrono::TimeDelta::days(366));
    assert_eq!(from, year_before + chrono::TimeDelta::days(1), "{report}");
    let (text, _) = ok(&rig, &["report", "--student", &s, "--no-pull"]);
    let said = format!("{} to {}", Day::from_date(from), Day::from_date(to));
    assert!(
        text.contains(&said),
        "the report says the range it covers: {text}"
    );
}
