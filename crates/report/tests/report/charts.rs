//! Charts: the structure of the SVG (not its pixels), titles and text alternatives.

use std::collections::HashMap;

use rollbook_core::calendar::Calendar;
use rollbook_report::{
    class_charts, class_overview, student_charts, student_report, Chart, Lang, Theme,
};

use crate::util::*;

fn parse(chart: &Chart) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(&chart.svg).expect("every chart is well-formed XML")
}

fn count(chart: &Chart, tag: &str) -> usize {
    parse(chart)
        .descendants()
        .filter(|n| n.has_tag_name(tag))
        .count()
}

fn texts(chart: &Chart) -> Vec<String> {
    parse(chart)
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

fn all(c: &rollbook_report::StudentCharts) -> [&Chart; 5] {
    [
        &c.breakdown,
        &c.monthly,
        &c.heatmap,
        &c.by_course,
        &c.last_days,
    ]
}

#[test]
fn every_chart_is_titled_accessible_and_parses() {
    let records = year(1, 60);
    let report = student_report(&id(1), &records, None, None);
    let charts = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::En,
    )
    .expect("draws");
    for chart in all(&charts) {
        let doc = parse(chart);
        let root = doc.root_element();
        assert_eq!(root.attribute("role"), Some("img"), "{}", chart.title);
        let title = root
            .children()
            .find(|n| n.has_tag_name("title"))
            .and_then(|n| n.text());
        assert_eq!(
            title,
            Some(chart.title.as_str()),
            "a screen reader names the chart"
        );
        let desc = root
            .children()
            .find(|n| n.has_tag_name("desc"))
            .and_then(|n| n.text());
        assert_eq!(desc, Some(chart.alt.as_str()));
        assert!(
            texts(chart).contains(&chart.title),
            "the title is drawn: {}",
            chart.title
        );
    }
    assert_eq!(charts.breakdown.title, "Sessions by status");
}

#[test]
fn heatmap_has_one_rect_per_weekday_in_range() {
    // Sep 2 (Mon) – Oct 31 (Thu) 2024: 44 weekdays; records on 30 of them, one on a Saturday.
    let mut records: Vec<_> = school_days("2024-09-02", 30)
        .iter()
        .enumerate()
        .map(|(i, d)| rec(1, 1, &d.to_string(), if i % 7 == 0 { A } else { P }))
        .collect();
    records.push(rec(1, 1, "2024-09-07", P));
    let (from, to) = (day("2024-09-02"), day("2024-10-31"));
    let report = student_report(&id(1), &records, Some(from), Some(to));
    let charts = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::En,
    )
    .expect("draws");
    let weekdays = school_days("2024-09-02", 200)
        .into_iter()
        .filter(|d| *d <= to)
        .count();
    assert_eq!(weekdays, 44);
    assert_eq!(
        count(&charts.heatmap, "rect"),
        weekdays,
        "one cell per weekday, nothing else"
    );
    let alt = &charts.heatmap.alt;
    assert!(alt.contains("(44 weekdays)"), "{alt}");
    assert!(alt.contains("30 days observed"), "{alt}");
    assert!(alt.contains("5 absent all day"), "{alt}");
    assert!(alt.contains("14 weekdays without records"), "{alt}");
    assert!(
        alt.contains("1 weekend days with records are not shown"),
        "{alt}"
    );
    let labels = texts(&charts.heatmap);
    for expected in [
        "Mon",
        "Fri",
        "Sep 2024",
        "Oct",
        "No record",
        "Absent all day (×)",
    ] {
        assert!(
            labels.iter().any(|t| t == expected),
            "{expected} in {labels:?}"
        );
    }

    // Without a range: the observed extent, Sep 2 – Oct 11 = 30 weekdays.
    let report = student_report(&id(1), &records, None, None);
    let charts = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::En,
    )
    .expect("draws");
    assert_eq!(count(&charts.heatmap, "rect"), 30);
}

#[test]
fn heatmap_of_a_huge_range_keeps_its_last_year() {
    let records = whole_days(20, 2);
    let report = student_report(
        &id(1),
        &records,
        Some(day("2000-01-03")),
        Some(day("2024-12-31")),
    );
    let charts = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::En,
    )
    .expect("draws");
    let cells = count(&charts.heatmap, "rect");
    assert!(
        (260..=262).contains(&cells),
        "about a year of weekdays, not 25 years: {cells}"
    );
    assert!(charts.heatmap.alt.contains("Only the last 366 days"));
}

#[test]
fn alt_texts_state_the_numbers() {
    let records = vec![
        rec(1, 1, "2024-09-02", P),
        rec(2, 1, "2024-09-02", A),
        rec(1, 1, "2024-09-03", L),
        rec(2, 1, "2024-09-03", E),
        rec(1, 1, "2024-10-01", P),
        rec(2, 1, "2024-10-01", P),
    ];
    let report = student_report(&id(1), &records, None, None);
    let c = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::En,
    )
    .expect("draws");
    assert_eq!(
        c.breakdown.alt,
        "Sessions by status: Present 3, Late 1, Absent 1, Excused 1; 6 sessions in total. \
         Attendance rate 66.7%."
    );
    assert!(
        texts(&c.breakdown).iter().any(|t| t == "3"),
        "bars carry their counts"
    );
    assert!(
        c.monthly.alt.contains("Sep 2024 50%, Oct 2024 100%"),
        "{}",
        c.monthly.alt
    );
    assert!(c
        .monthly
        .alt
        .contains("1 of 2 months below the 90% goal (Sep 2024)"));
    assert!(texts(&c.monthly).iter().any(|t| t == "90% goal"));
    assert_eq!(
        c.by_course.alt,
        "Attendance rate by course: Course 1 100% (3 sessions), Course 2 33.3% (3 sessions)."
    );
    assert!(c
        .last_days
        .alt
        .contains("2024-09-03: Course 1 late, Course 2 excused"));
    let letters = texts(&c.last_days);
    for l in ["P", "A", "L", "E"] {
        assert!(
            letters.iter().any(|t| t == l),
            "status letter {l} drawn: {letters:?}"
        );
    }
}

#[test]
fn last_days_strip_shows_five_days_of_sessions() {
    let records = year(1, 12);
    let report = student_report(&id(1), &records, None, None);
    let c = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::En,
    )
    .expect("draws");
    assert_eq!(
        count(&c.last_days, "rect"),
        25,
        "5 days × 5 courses, one cell per session"
    );
    assert_eq!(
        c.last_days.alt.matches("; ").count(),
        4,
        "five days described"
    );
}

#[test]
fn spanish_labels_and_dark_theme() {
    let records = year(1, 30);
    let report = student_report(&id(1), &records, None, None);
    let c = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Dark,
        Lang::Es,
    )
    .expect("draws");
    assert_eq!(c.monthly.title, "Tasa de asistencia por mes");
    assert!(c.heatmap.alt.contains("días observados"));
    let labels = texts(&c.heatmap);
    assert!(labels.iter().any(|t| t == "Lun") && labels.iter().any(|t| t == "Sin registro"));
    assert!(texts(&c.monthly).iter().any(|t| t == "meta 90 %"));
    assert!(
        texts(&c.last_days).iter().any(|t| t == "T = Tarde"),
        "Spanish status letters"
    );
    let background = |chart: &Chart| {
        let doc = parse(chart);
        let fill = doc
            .descendants()
            .find(|n| n.has_tag_name("polygon"))
            .and_then(|n| n.attribute("fill"))
            .map(str::to_string);
        fill
    };
    let light = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::Es,
    )
    .expect("draws");
    assert_eq!(background(&light.breakdown).as_deref(), Some("#FFFFFF"));
    assert_eq!(
        background(&c.breakdown).as_deref(),
        Some("#1E1E24"),
        "dark background"
    );
    let dark_text = parse(&c.breakdown)
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .all(|n| n.attribute("fill") != Some("#1A1A1A"));
    assert!(dark_text, "no light-theme ink on the dark background");
}

#[test]
fn empty_report_draws_placeholders() {
    let report = student_report(&id(1), &[], None, None);
    let c =
        student_charts(&report, &[], &Calendar::default(), Theme::Light, Lang::En).expect("draws");
    for chart in all(&c) {
        assert!(
            texts(chart).iter().any(|t| t == "No records in this range"),
            "{}",
            chart.title
        );
        assert!(chart.alt.contains("No records"), "{}", chart.alt);
    }
    assert_eq!(count(&c.heatmap, "rect"), 0);
}

#[test]
fn class_charts_sort_students_by_absence_rate() {
    let mut records = Vec::new();
    for (i, d) in school_days("2024-09-02", 20).iter().enumerate() {
        let d = d.to_string();
        for s in 1..=6u32 {
            let absent = (i as u32) < s - 1; // student s is absent s-1 days of 20
            records.push(rec(1, s, &d, if absent { A } else { P }));
        }
    }
    let names: HashMap<_, _> = (1..=6).map(|s| (id(s), format!("Student {s}"))).collect();
    let overview = class_overview(&course(1), &records, &names);
    let c = class_charts(&overview, Theme::Light, Lang::En, 3).expect("draws");
    assert_eq!(c.daily.title, "Daily attendance rate — Course 1");
    assert!(
        c.daily.alt.contains("2024-09-02 to 2024-09-27, 20 days"),
        "{}",
        c.daily.alt
    );
    assert!(
        c.daily.alt.contains("lowest 16.7% on 2024-09-02"),
        "{}",
        c.daily.alt
    );
    assert!(
        c.daily.alt.contains("5 days below the 90% goal"),
        "{}",
        c.daily.alt
    );
    assert_eq!(
        c.at_risk.alt,
        "Students by absence rate, top 3 of 6 students: Student 6 25% (Severe chronic absence), \
         Student 5 20% (Severe chronic absence), Student 4 15% (Moderate chronic absence). \
         4 chronically absent (10% of days or more)."
    );
    assert_eq!(count(&c.at_risk, "rect"), 3, "top N bars");
    let labels = texts(&c.at_risk);
    assert!(
        labels.iter().any(|t| t == "25% · Severe chronic absence"),
        "{labels:?}"
    );
    assert!(labels.iter().any(|t| t == "chronic (10%)"));
    let empty = class_overview(&course(1), &[], &HashMap::new());
    let c = class_charts(&empty, Theme::Dark, Lang::Es, 10).expect("draws");
    assert!(c.daily.alt.contains("Sin registros"));
}

#[test]
fn a_single_session_draws_every_chart() {
    let records = vec![rec(1, 1, "2024-09-04", A)];
    let report = student_report(&id(1), &records, None, None);
    for lang in [Lang::En, Lang::Es] {
        let c = student_charts(&report, &records, &Calendar::default(), Theme::Light, lang)
            .expect("draws");
        assert_eq!(count(&c.heatmap, "rect"), 1, "one weekday, one cell");
        assert_eq!(count(&c.last_days, "rect"), 1);
        assert_eq!(count(&c.by_course, "rect"), 1, "one bar");
    }
}

#[test]
fn alt_texts_say_one_in_the_singular() {
    let records = vec![rec(1, 1, "2024-09-02", P)];
    let report = student_report(&id(1), &records, None, None);
    let en = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::En,
    )
    .expect("draws");
    assert!(
        en.breakdown.alt.contains("; 1 session in total."),
        "{}",
        en.breakdown.alt
    );
    assert!(
        en.by_course.alt.contains("(1 session)"),
        "{}",
        en.by_course.alt
    );
    let es = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::Es,
    )
    .expect("draws");
    assert!(
        es.breakdown.alt.contains("; 1 sesión en total."),
        "{}",
        es.breakdown.alt
    );
    assert!(
        es.by_course.alt.contains("(1 sesión)"),
        "{}",
        es.by_course.alt
    );
    let names = HashMap::from([(id(1), "Student 1".to_string())]);
    let overview = class_overview(&course(1), &records, &names);
    let c = class_charts(&overview, Theme::Light, Lang::En, 3).expect("draws");
    assert!(c.daily.alt.contains(", 1 day: "), "{}", c.daily.alt);
    assert!(c.daily.alt.contains("0 days below"), "{}", c.daily.alt);
    assert!(
        c.at_risk.alt.contains("top 1 of 1 student:"),
        "{}",
        c.at_risk.alt
    );
    let c = class_charts(&overview, Theme::Light, Lang::Es, 3).expect("draws");
    assert!(c.daily.alt.contains(", 1 día: "), "{}", c.daily.alt);
}
