//! Writes every chart (SVG and PNG, light and dark, English and Spanish), a CSV and the HTML
//! report for a made-up student and class, to look at them:
//! `cargo run -p rollbook-report --example sample_report -- /tmp/rollbook-sample`.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::Datelike;
use rollbook_core::calendar::Calendar;
use rollbook_core::{Day, Id, Status};
use rollbook_report::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "rollbook-sample".into()),
    );
    std::fs::create_dir_all(&out)?;
    let courses = [
        "Algebra I",
        "Biology",
        "English 9",
        "World History",
        "Physical Education",
    ];
    let offering = |c: usize| Id::parse(&format!("00000000-0000-4000-8000-{:012}", 1000 + c));
    let student = |s: u32| Id::parse(&format!("00000000-0000-4000-8000-{s:012}"));
    let mut records = Vec::new();
    let mut d = Day::parse("2024-09-02")?.date();
    let mut school_day = 0u32;
    while school_day < 180 {
        if d.weekday().num_days_from_monday() < 5 {
            for s in 1..=30u32 {
                for (c, name) in courses.iter().enumerate() {
                    let k = (school_day * 7 + s * 13 + c as u32 * 3 + school_day / 9 * s) % 53;
                    let sick = s == 1 && (40..46).contains(&school_day);
                    let status = match k {
                        _ if sick => Status::Excused,
                        0..=1 => Status::Absent,
                        2 => Status::Excused,
                        3..=4 => Status::Late,
                        k if s <= 3 && k < 5 + s * 2 => Status::Absent,
                        _ => Status::Present,
                    };
                    records.push(SessionRecord {
                        offering_id: offering(c)?,
                        offering_name: Some(name.to_string()),
                        student_id: student(s)?,
                        date: Day::from_date(d),
                        status,
                    });
                }
            }
            school_day += 1;
        }
        d = d.succ_opt().ok_or("calendar overflow")?;
    }
    let mut names: HashMap<Id, String> = HashMap::new();
    for s in 1..=30 {
        names.insert(student(s)?, format!("Student {s:02}"));
    }

    let report = student_report(&student(1)?, &records, None, None);
    std::fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    for (theme, tname) in [(Theme::Light, "light"), (Theme::Dark, "dark")] {
        for (lang, lname) in [(Lang::En, "en"), (Lang::Es, "es")] {
            let c = student_charts(&report, &records, &Calendar::default(), theme, lang)?;
            let algebra = offering(0)?;
            let class_records: Vec<_> = records
                .iter()
                .filter(|r| r.offering_id == algebra)
                .cloned()
                .collect();
            let overview = class_overview(&algebra, &class_records, &names);
            let k = class_charts(&overview, theme, lang, 10)?;
            let all = [
                ("breakdown", &c.breakdown),
                ("monthly", &c.monthly),
                ("heatmap", &c.heatmap),
                ("by_course", &c.by_course),
                ("last_days", &c.last_days),
                ("class_daily", &k.daily),
                ("at_risk", &k.at_risk),
            ];
            for (name, chart) in all {
                let stem = format!("{name}-{tname}-{lname}");
                std::fs::write(out.join(format!("{stem}.svg")), &chart.svg)?;
                std::fs::write(
                    out.join(format!("{stem}.png")),
                    svg_to_png(&chart.svg, 1.0)?,
                )?;
            }
            if theme == Theme::Light {
                let generated = Day::parse("2025-06-20")?;
                let html = student_report_html(&report, &c, "Student 01", lang, generated);
                std::fs::write(out.join(format!("report-{lname}.html")), html)?;
            }
        }
    }
    let first = student(1)?;
    let mine: Vec<_> = records
        .iter()
        .filter(|r| r.student_id == first)
        .cloned()
        .collect();
    std::fs::write(out.join("records.csv"), records_csv(&mine, &names)?)?;
    println!("wrote {}", out.display());
    Ok(())
}
