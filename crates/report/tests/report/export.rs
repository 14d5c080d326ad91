//! Exports: CSV of effective records and the printable HTML report.

use std::collections::HashMap;

use rollbook_core::calendar::Calendar;
use rollbook_report::{
    records_csv, student_charts, student_report, student_report_html, Lang, Theme,
};

use crate::util::*;

#[test]
fn csv_is_sorted_by_date_then_course_with_names() {
    let mut b = rec(2, 1, "2024-09-02", A);
    b.offering_name = Some("Biology, advanced".into());
    let mut a = rec(1, 2, "2024-09-02", P);
    a.offering_name = Some("Algebra".into());
    let records = vec![rec(1, 1, "2024-09-03", E), b, a];
    let names = HashMap::from([
        (id(1), "Ana \"Anita\" Ruiz".to_string()),
        (id(2), "=cmd()".into()),
    ]);
    let csv = records_csv(&records, &names).expect("writes");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "date,course_offering_id,course_name,student_id,student_name,status"
    );
    assert_eq!(
        lines[1],
        format!("2024-09-02,{},Algebra,{},'=cmd(),present", course(1), id(2)),
        "a name that a spreadsheet would evaluate is defused"
    );
    assert_eq!(
        lines[2],
        format!(
            "2024-09-02,{},\"Biology, advanced\",{},\"Ana \"\"Anita\"\" Ruiz\",absent",
            course(2),
            id(1)
        ),
        "commas and quotes are quoted"
    );
    assert!(lines[3].starts_with("2024-09-03,"));
    assert_eq!(lines.len(), 4);
    assert_eq!(
        records_csv(&[], &HashMap::new())
            .expect("writes")
            .lines()
            .count(),
        1
    );
}

#[test]
fn html_report_is_self_contained_and_printable() {
    let records = year(1, 60);
    let from = day("2024-09-02");
    let report = student_report(&id(1), &records, Some(from), None);
    let charts = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Light,
        Lang::En,
    )
    .expect("draws");
    let html = student_report_html(
        &report,
        &charts,
        "Ana <Ruiz> & co",
        Lang::En,
        day("2025-01-15"),
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("Ana &lt;Ruiz&gt; &amp; co"),
        "the name is escaped"
    );
    assert!(!html.contains("<Ruiz>"));
    assert_eq!(html.matches("<svg ").count(), 5, "all charts inline");
    assert!(html.contains("@media print") && html.contains("@page"));
    assert!(html.contains("Generated: 2025-01-15"));
    assert!(html.contains("Dates: 2024-09-02 – …"));
    let tier = rollbook_report::charts::tier_name(report.tier, Lang::En);
    assert!(html.contains(&format!("class=\"badge tier-{}\"", report.tier.as_str())));
    assert!(
        html.contains(tier),
        "the badge states the tier in words, not only colour"
    );
    assert!(html.contains("Attendance Works") && html.contains("CRDC"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external assets"
    );
    let doc_ok = html.matches("<table").count() == html.matches("</table>").count();
    assert!(doc_ok);

    let es = student_report_html(&report, &charts, "Ana", Lang::Es, day("2025-01-15"));
    assert!(es.contains("<html lang=\"es\">") && es.contains("Informe de asistencia"));
}
