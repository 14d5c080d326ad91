//! The school view's exports: the call list as CSV and a printable page of the same rows.

use std::fmt::Write as _;

use rollbook_core::Day;

use super::SchoolView;
use crate::charts::Lang;
use crate::export::{defuse, esc, fmt_num, fmt_pct, tier_words};
use crate::ReportError;

/// The call list: the rows of `view` in its order, one line each. Rates and changes in
/// percentage points with one decimal, days with up to two. Names and offerings are defused
/// against formula injection like every export ([`crate::records_csv`]).
pub fn school_csv(view: &SchoolView) -> Result<String, ReportError> {
    let csv_err = |e: csv::Error| ReportError::Csv(e.to_string());
    let mut out = csv::Writer::from_writer(Vec::with_capacity(view.students.len() * 160));
    out.write_record([
        "student_id",
        "student_name",
        "offerings",
        "tier",
        "absence_rate_percent",
        "days_absent",
        "excused_days_absent",
        "unexcused_days_absent",
        "days_observed",
        "crdc_15_days",
        "current_absence_streak",
        "absence_rate_change_30d_points",
        "last_present",
    ])
    .map_err(csv_err)?;
    let num = |x: f64| fmt_num(x, Lang::En);
    for row in &view.students {
        let r = &row.report;
        out.write_record([
            r.student_id.to_string(),
            defuse(row.full_name.as_deref().unwrap_or("")),
            defuse(&row.offerings.join("; ")),
            r.tier.as_str().to_string(),
            r.absence_rate
                .map_or_else(String::new, |x| format!("{:.1}", x * 100.0)),
            num(r.days_absent),
            num(r.excused_days_absent),
            num(r.unexcused_days_absent),
            r.days_observed.to_string(),
            if r.crdc_15_days { "yes" } else { "no" }.to_string(),
            r.current_absence_streak.to_string(),
            row.absence_rate_change_30d
                .map_or_else(String::new, |x| format!("{x:+.1}")),
            row.last_present.map_or_else(String::new, |d| d.to_string()),
        ])
        .map_err(csv_err)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ReportError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ReportError::Csv(e.to_string()))
}

/// A self-contained printable page of the call list: the range, when the records were pulled,
/// and one table row per student (tier in words, not only colour).
pub fn school_html(view: &SchoolView, lang: Lang, generated: Day) -> String {
    let t = Words::of(lang);
    let num = |x: f64| fmt_num(x, lang);
    let mut h = String::with_capacity(2048 + view.students.len() * 400);
    let as_of = view.as_of.as_deref().map_or_else(
        || t.never_pulled.to_string(),
        |at| format!("{}: {}", t.as_of, esc(at)),
    );
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<header>\n\
         <h1>{title}</h1>\n<p class=\"meta\">{range}: {from} – {to} · {as_of} · {gen}: \
         {generated}</p>\n<p class=\"meta\">{shown}</p>\n</header>\n<table>\n<thead><tr>",
        code = t.code,
        title = t.title,
        range = t.range,
        from = view.from,
        to = view.to,
        gen = t.generated,
        shown = t
            .shown
            .replace("{n}", &view.students.len().to_string())
            .replace("{total}", &view.total.to_string()),
    );
    for col in t.columns {
        let _ = write!(h, "<th scope=\"col\">{col}</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in &view.students {
        let r = &row.report;
        let name = row
            .full_name
            .clone()
            .unwrap_or_else(|| r.student_id.to_string());
        let change = row.absence_rate_change_30d.map_or_else(
            || "—".to_string(),
            |x| {
                let arrow = if x > 0.0 {
                    "↑"
                } else if x < 0.0 {
                    "↓"
                } else {
                    "→"
                };
                format!("{arrow} {}", num(x.abs()))
            },
        );
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{name}</th><td class=\"left\">{offerings}</td>\
             <td class=\"left tier-{tier_key}\">{tier}</td><td>{rate}</td><td>{absent} \
             ({excused} / {unexcused})</td><td>{observed}</td><td>{crdc}</td><td>{streak}</td>\
             <td>{change}</td><td>{last}</td></tr>",
            name = esc(&name),
            offerings = esc(&row.offerings.join(" · ")),
            tier_key = r.tier.as_str(),
            tier = esc(tier_words(r.tier, lang)),
            rate = r
                .absence_rate
                .map_or_else(|| "—".to_string(), |x| fmt_pct(x, lang)),
            absent = num(r.days_absent),
            excused = num(r.excused_days_absent),
            unexcused = num(r.unexcused_days_absent),
            observed = r.days_observed,
            crdc = if r.crdc_15_days { t.yes } else { t.no },
            streak = r.current_absence_streak,
            last = row
                .last_present
                .map_or_else(|| "—".to_string(), |d| d.to_string()),
        );
    }
    let _ = write!(
        h,
        "</tbody>\n</table>\n<footer>{}</footer>\n</main>\n</body>\n</html>\n",
        t.footnote
    );
    h
}

struct Words {
    code: &'static str,
    title: &'static str,
    range: &'static str,
    as_of: &'static str,
    never_pulled: &'static str,
    generated: &'static str,
    shown: &'static str,
    columns: [&'static str; 10],
    yes: &'static str,
    no: &'static str,
    footnote: &'static str,
}

impl Words {
    fn of(lang: Lang) -> &'static Words {
        match lang {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }
}

static EN: Words = Words {
    code: "en",
    title: "School attendance: call list",
    range: "Dates",
    as_of: "Records as of",
    never_pulled: "Records: as held on this device",
    generated: "Generated",
    shown: "{n} of {total} students with records, highest absence rate first",
    columns: [
        "Student",
        "Classes",
        "Tier",
        "Absence rate",
        "Days absent (excused / unexcused)",
        "Days observed",
        "Absent 15+ days (CRDC)",
        "Current run absent",
        "30-day change (points)",
        "Last present",
    ],
    yes: "Yes",
    no: "No",
    footnote: "Absence rate = days absent ÷ days observed (a day's absence is the share of its \
        sessions missed, excused or not). Tiers: satisfactory &lt; 5 %, at risk 5–10 %, chronic \
        ≥ 10 %, severe ≥ 20 %; fewer than 10 observed days: insufficient data. 30-day change: \
        the absence rate of the last 30 days of the range minus that of the 30 days before.",
};

static ES: Words = Words {
    code: "es",
    title: "Asistencia del centro: lista de llamadas",
    range: "Fechas",
    as_of: "Registros a",
    never_pulled: "Registros: los guardados en este equipo",
    generated: "Generado",
    shown: "{n} de {total} estudiantes con registros, de mayor a menor tasa de ausencia",
    columns: [
        "Estudiante",
        "Clases",
        "Nivel",
        "Tasa de ausencia",
        "Días de ausencia (justificados / sin justificar)",
        "Días observados",
        "15 o más días de ausencia (CRDC)",
        "Racha actual de ausencia",
        "Cambio en 30 días (puntos)",
        "Última asistencia",
    ],
    yes: "Sí",
    no: "No",
    footnote: "Tasa de ausencia = días de ausencia ÷ días observados (la ausencia de un día es \
        la parte de sus sesiones perdidas, justificadas o no). Niveles: satisfactorio &lt; 5 %, \
        en riesgo 5–10 %, crónico ≥ 10 %, severo ≥ 20 %; con menos de 10 días observados: datos \
        insuficientes. Cambio en 30 días: la tasa de ausencia de los últimos 30 días del periodo \
        menos la de los 30 días anteriores.",
};

const CSS: &str = r#"
@page { margin: 12mm; size: landscape; }
* { box-sizing: border-box; }
html { color: #1a1a1a; background: #fff; font: 9pt/1.3 "DejaVu Sans", "Noto Sans", Arial, sans-serif; }
body { margin: 0; }
header { border-bottom: 2px solid #1a1a1a; margin-bottom: 3mm; }
h1 { font-size: 14pt; margin: 0; }
.meta { margin: 1mm 0; color: #444; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: 0.6mm 1.5mm; text-align: right; vertical-align: top; }
th[scope="row"], .left { text-align: left; }
thead th { border-bottom: 1.5px solid #1a1a1a; text-align: left; }
tr { break-inside: avoid; }
.tier-at-risk { color: #7a5000; }
.tier-moderate-chronic { color: #8f3900; font-weight: bold; }
.tier-severe-chronic { color: #a01e1e; font-weight: bold; text-decoration: underline; }
.tier-insufficient-data { color: #666; font-style: italic; }
footer { margin-top: 2mm; font-size: 7pt; color: #444; }
@media print { html { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"#;
