//! Exports: the effective records as CSV, and a printable one-page student report in HTML.

use std::collections::HashMap;
use std::fmt::Write as _;

use rollbook_core::{Day, Id};

use crate::charts::{Lang, StudentCharts};
use crate::measures::{by_name, StudentReport, Tier};
use crate::records::SessionRecord;
use crate::ReportError;

/// The effective records as CSV with the header
/// `date,course_offering_id,course_name,student_id,student_name,status`, sorted by date, then
/// course (name, then id), then student (name, then id). Names missing from `names` are empty.
///
/// Name cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab
/// or carriage return) are prefixed with `'` (OWASP CSV injection); ids, dates and statuses are
/// validated values and never need it.
pub fn records_csv(
    records: &[SessionRecord],
    names: &HashMap<Id, String>,
) -> Result<String, ReportError> {
    let name_of = |id: &Id| names.get(id).cloned();
    let mut rows: Vec<(&SessionRecord, Option<String>)> = records
        .iter()
        .map(|r| (r, name_of(&r.student_id)))
        .collect();
    rows.sort_by(|(a, an), (b, bn)| {
        a.date
            .cmp(&b.date)
            .then_with(|| by_name(&a.offering_name, &b.offering_name))
            .then_with(|| a.offering_id.cmp(&b.offering_id))
            .then_with(|| by_name(an, bn))
            .then_with(|| a.student_id.cmp(&b.student_id))
    });
    let mut out = csv::Writer::from_writer(Vec::with_capacity(records.len() * 120));
    let csv_err = |e: csv::Error| ReportError::Csv(e.to_string());
    out.write_record([
        "date",
        "course_offering_id",
        "course_name",
        "student_id",
        "student_name",
        "status",
    ])
    .map_err(csv_err)?;
    for (r, student_name) in rows {
        let date = r.date.to_string();
        let course = defuse(r.offering_name.as_deref().unwrap_or(""));
        let student = defuse(student_name.as_deref().unwrap_or(""));
        out.write_record([
            date.as_str(),
            r.offering_id.as_str(),
            course.as_str(),
            r.student_id.as_str(),
            student.as_str(),
            r.status.as_str(),
        ])
        .map_err(csv_err)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ReportError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ReportError::Csv(e.to_string()))
}

/// A free-text cell a spreadsheet will not evaluate.
pub(crate) fn defuse(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A self-contained, printable one-page report (A4 or Letter): header with the student's name,
/// date range and tier badge (text, not only colour), the measures, the per-course table and
/// the charts inlined as SVG (pass charts drawn with [`crate::Theme::Light`] for print).
/// `generated` is the date printed as the report's date.
pub fn student_report_html(
    report: &StudentReport,
    charts: &StudentCharts,
    student_name: &str,
    lang: Lang,
    generated: Day,
) -> String {
    let t = ReportWords::of(lang);
    let num = |x: f64| fmt_num(x, lang);
    let pct = |r: Option<f64>| r.map_or_else(|| "—".to_string(), |r| fmt_pct(r, lang));
    let range = match (report.from, report.to) {
        (None, None) => t.all_records.to_string(),
        (from, to) => format!(
            "{} – {}",
            from.map_or_else(|| "…".into(), |d| d.to_string()),
            to.map_or_else(|| "…".into(), |d| d.to_string())
        ),
    };
    let s = report.sessions;
    let name = esc(student_name);
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{lang_code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title} — {name}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
         <header>\n<div>\n<h1>{title}</h1>\n<p class=\"who\">{name}</p>\n\
         <p class=\"meta\">{range_label}: {range} · {generated_label}: {generated}</p>\n</div>\n\
         <p class=\"badge tier-{tier_key}\"><span class=\"badge-label\">{tier_label}</span> \
         {tier_text}</p>\n</header>\n",
        lang_code = t.code,
        title = t.title,
        range_label = t.range,
        generated_label = t.generated,
        tier_key = report.tier.as_str(),
        tier_label = t.tier,
        tier_text = esc(tier_words(report.tier, lang)),
    );

    h.push_str("<section class=\"tables\">\n<table class=\"measures\">\n");
    let rows: [(&str, String); 12] = [
        (t.sessions, s.total.to_string()),
        (t.present_late, format!("{} / {}", s.present, s.late)),
        (t.absent_excused, format!("{} / {}", s.absent, s.excused)),
        (t.attendance_rate, pct(report.attendance_rate)),
        (t.days_observed, report.days_observed.to_string()),
        (t.days_absent, num(report.days_absent)),
        (
            t.unexcused_excused,
            format!(
                "{} / {}",
                num(report.unexcused_days_absent),
                num(report.excused_days_absent)
            ),
        ),
        (t.absence_rate, pct(report.absence_rate)),
        (t.tier, esc(tier_words(report.tier, lang))),
        (
            t.crdc,
            if report.crdc_15_days { t.yes } else { t.no }.to_string(),
        ),
        (t.longest_streak, report.longest_absence_streak.to_string()),
        (t.current_streak, report.current_absence_streak.to_string()),
    ];
    for (label, value) in rows {
        let _ = writeln!(h, "<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>");
    }
    h.push_str("</table>\n<table class=\"courses\">\n");
    let _ = writeln!(
        h,
        "<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         </tr></thead>\n<tbody>",
        t.course, t.sessions, t.attendance_rate
    );
    for c in &report.by_course {
        let course = c.course_name.as_deref().unwrap_or(t.unnamed_course);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(course),
            c.sessions.total,
            pct(c.attendance_rate)
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");

    let figure = |h: &mut String, class: &str, chart: &crate::Chart| {
        let _ = write!(
            h,
            "<figure class=\"{class}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            chart.svg,
            esc(&chart.alt)
        );
    };
    h.push_str("<section class=\"charts\">\n");
    figure(&mut h, "wide", &charts.heatmap);
    figure(&mut h, "half", &charts.breakdown);
    figure(&mut h, "half", &charts.monthly);
    figure(&mut h, "half", &charts.by_course);
    figure(&mut h, "half", &charts.last_days);
    h.push_str("</section>\n");
    let _ = write!(
        h,
        "<footer>{}</footer>\n</main>\n</body>\n</html>\n",
        t.definitions
    );
    h
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    crate::charts::escape(s)
}

pub(crate) fn fmt_num(x: f64, lang: Lang) -> String {
    let s = format!("{:.2}", (x * 100.0).round() / 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    match lang {
        Lang::En => s,
        Lang::Es => s.replace('.', ","),
    }
}

pub(crate) fn fmt_pct(r: f64, lang: Lang) -> String {
    let n = fmt_num((r * 1000.0).round() / 10.0, lang);
    match lang {
        Lang::En => format!("{n}%"),
        Lang::Es => format!("{n} %"),
    }
}

pub(crate) fn tier_words(tier: Tier, lang: Lang) -> &'static str {
    crate::charts::tier_name(tier, lang)
}

struct ReportWords {
    code: &'static str,
    title: &'static str,
    range: &'static str,
    all_records: &'static str,
    generated: &'static str,
    tier: &'static str,
    sessions: &'static str,
    present_late: &'static str,
    absent_excused: &'static str,
    attendance_rate: &'static str,
    days_observed: &'static str,
    days_absent: &'static str,
    unexcused_excused: &'static str,
    absence_rate: &'static str,
    crdc: &'static str,
    longest_streak: &'static str,
    current_streak: &'static str,
    course: &'static str,
    unnamed_course: &'static str,
    yes: &'static str,
    no: &'static str,
    definitions: &'static str,
}

impl ReportWords {
    fn of(lang: Lang) -> &'static ReportWords {
        match lang {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }
}

static EN: ReportWords = ReportWords {
    code: "en",
    title: "Attendance report",
    range: "Dates",
    all_records: "all records held",
    generated: "Generated",
    tier: "Tier",
    sessions: "Sessions",
    present_late: "Present / late",
    absent_excused: "Absent / excused",
    attendance_rate: "Attendance rate",
    days_observed: "Days observed",
    days_absent: "Days absent",
    unexcused_excused: "Unexcused / excused days",
    absence_rate: "Absence rate",
    crdc: "Absent 15+ days (CRDC)",
    longest_streak: "Longest run of days absent",
    current_streak: "Current run of days absent",
    course: "Course",
    unnamed_course: "Unnamed course",
    yes: "Yes",
    no: "No",
    definitions: "Attendance rate = (present + late) ÷ sessions. A day's absence = the share of \
        that day's sessions missed (absent or excused); days absent = their sum over observed \
        days; absence rate = days absent ÷ days observed. Tiers: satisfactory &lt; 5 %, at risk \
        5–10 %, chronic absence ≥ 10 % of days for any reason (Attendance Works), severe ≥ 20 %; \
        fewer than 10 observed days: insufficient data. CRDC: absent 15 or more school days \
        (U.S. Civil Rights Data Collection).",
};

static ES: ReportWords = ReportWords {
    code: "es",
    title: "Informe de asistencia",
    range: "Fechas",
    all_records: "todos los registros",
    generated: "Generado",
    tier: "Nivel",
    sessions: "Sesiones",
    present_late: "Presente / tarde",
    absent_excused: "Ausente / justificada",
    attendance_rate: "Tasa de asistencia",
    days_observed: "Días observados",
    days_absent: "Días de ausencia",
    unexcused_excused: "Días sin justificar / justificados",
    absence_rate: "Tasa de ausencia",
    crdc: "15 o más días de ausencia (CRDC)",
    longest_streak: "Racha más larga de días ausente",
    current_streak: "Racha actual de días ausente",
    course: "Curso",
    unnamed_course: "Curso sin nombre",
    yes: "Sí",
    no: "No",
    definitions: "Tasa de asistencia = (presente + tarde) ÷ sesiones. Ausencia de un día = la \
        parte de las sesiones de ese día perdidas (ausente o justificada); días de ausencia = su \
        suma en los días observados; tasa de ausencia = días de ausencia ÷ días observados. \
        Niveles: satisfactorio &lt; 5 %, en riesgo 5–10 %, ausentismo crónico ≥ 10 % de los días \
        por cualquier motivo (Attendance Works), severo ≥ 20 %; con menos de 10 días observados: \
        datos insuficientes. CRDC: 15 o más días lectivos de ausencia (Civil Rights Data \
        Collection de EE. UU.).",
};

const CSS: &str = r#"
@page { margin: 12mm; }
* { box-sizing: border-box; }
html { color: #1a1a1a; background: #fff; font: 10pt/1.35 "DejaVu Sans", "Noto Sans", Arial, sans-serif; }
body { margin: 0; }
main { max-width: 186mm; margin: 0 auto; padding: 4mm 0; }
header { display: flex; justify-content: space-between; align-items: flex-start; gap: 4mm;
  border-bottom: 2px solid #1a1a1a; padding-bottom: 2mm; margin-bottom: 3mm; }
h1 { font-size: 15pt; margin: 0; }
.who { font-size: 13pt; font-weight: bold; margin: 1mm 0 0; }
.meta { margin: 1mm 0 0; color: #444; }
.badge { margin: 0; padding: 1.5mm 3mm; border: 2px solid; border-radius: 2mm; font-weight: bold;
  text-align: right; max-width: 70mm; }
.badge-label { display: block; font-weight: normal; font-size: 8pt; text-transform: uppercase; }
.tier-satisfactory { border-color: #00785a; background: #e3f4ee; }
.tier-at-risk { border-color: #a86f00; background: #fdf1d8; }
.tier-moderate-chronic { border-color: #b34700; background: #fbe3d3; }
.tier-severe-chronic { border-color: #a01e1e; background: #f6d5d5; border-style: double; border-width: 4px; }
.tier-insufficient-data { border-color: #777; background: #eee; border-style: dashed; }
.tables { display: flex; gap: 4mm; align-items: flex-start; margin-bottom: 2mm; }
table { border-collapse: collapse; font-size: 8pt; }
.measures { flex: 1.25; }
.measures th { white-space: nowrap; }
.courses { flex: 1; }
th, td { border-bottom: 1px solid #ccc; padding: 0.4mm 1.5mm; text-align: left; }
td { text-align: right; }
.courses td:first-child { text-align: left; }
thead th { border-bottom: 1.5px solid #1a1a1a; }
.charts { display: flex; flex-wrap: wrap; gap: 2mm 4mm; }
figure { margin: 0; break-inside: avoid; }
figure.wide { flex: 1 1 100%; }
figure.half { flex: 1 1 calc(50% - 2mm); max-width: calc(50% - 2mm); }
figure svg { display: block; width: 100%; height: auto; max-height: 50mm; }
figure.wide svg { max-height: 48mm; }
figcaption { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
footer { margin-top: 1mm; font-size: 6.5pt; line-height: 1.25; color: #444; }
@media print {
  main { padding: 0; }
  html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;
