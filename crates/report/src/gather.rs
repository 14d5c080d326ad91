//! Gathering a report's input from the local store, and the counselor screen in one call.
//!
//! No SQL here: the records come from rollbook-core's effective-mark queries
//! ([`rollbook_core::sync::effective`]: cached server records + local marks the server has not
//! confirmed, one per (offering, student, date)), names from [`rollbook_core::lookup`]. The
//! window's commands and the CLI call these functions and render the results.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use rollbook_core::calendar::Calendar;
use rollbook_core::lookup::{self, StudentEntry};
use rollbook_core::store::Store;
use rollbook_core::sync::effective::{self, EffectiveRecord};
use rollbook_core::{Day, Error, Id};
use serde::Serialize;

use crate::charts::{
    class_charts, student_charts, tier_name, ClassCharts, Lang, StudentCharts, Theme,
};
use crate::class::{class_overview, ClassOverview};
use crate::measures::{student_report, StudentReport};
use crate::records::SessionRecord;
use crate::ReportError;

/// The students-at-risk chart of a class view shows at most this many students.
pub const AT_RISK_TOP: usize = 10;

/// Stand-ins for an open range: every date the API can express (`YYYY-MM-DD`) lies between.
fn earliest() -> Day {
    Day::from_date(NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN))
}

fn latest() -> Day {
    Day::from_date(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX))
}

/// The range a report covers when it is not given whole (CLI `--from`/`--to`, the counselor
/// screen's dates): up to `to`, else today (the user's local date); from `from`, else the 12
/// months up to that end (the day after the same date a year before). Records dated after
/// today or long ago (a typo like 2062, or 0001) stay out unless asked for.
pub fn report_range(
    from: Option<Day>,
    to: Option<Day>,
    today: Day,
) -> Result<(Day, Day), ReportError> {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| {
        let end = to.date();
        // 29 February has no date a year before: the day 366 days before stands in.
        let year_before = end
            .with_year(end.year() - 1)
            .map(Day::from_date)
            .unwrap_or_else(|| to.days_before(366));
        year_before.checked_add_days(1).unwrap_or(year_before)
    });
    bounds(Some(from), Some(to))?;
    Ok((from, to))
}

/// The range to query; `from` after `to` is the caller's mistake.
fn bounds(from: Option<Day>, to: Option<Day>) -> Result<(Day, Day), ReportError> {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(Error::Invalid(format!(
                "the date range starts on {f}, after it ends on {t}"
            ))
            .into());
        }
    }
    Ok((from.unwrap_or_else(earliest), to.unwrap_or_else(latest)))
}

/// A student's effective records from `from` to `to` (inclusive; `None` = unbounded), across
/// offerings, with each offering's name when this device's rosters have it. By date, offering.
pub fn student_records(
    store: &Store,
    student: &Id,
    from: Option<Day>,
    to: Option<Day>,
) -> Result<Vec<SessionRecord>, ReportError> {
    let (from, to) = bounds(from, to)?;
    let list = effective::for_student(store, student, from, to)?;
    session_records(store, list)
}

/// An offering's effective records from `from` to `to` (inclusive; `None` = unbounded), every
/// student. By date, then student.
pub fn offering_records(
    store: &Store,
    offering: &Id,
    from: Option<Day>,
    to: Option<Day>,
) -> Result<Vec<SessionRecord>, ReportError> {
    let (from, to) = bounds(from, to)?;
    let list = effective::for_offering(store, offering, from, to)?;
    session_records(store, list)
}

fn session_records(
    store: &Store,
    list: Vec<EffectiveRecord>,
) -> Result<Vec<SessionRecord>, ReportError> {
    let offerings: BTreeSet<&Id> = list.iter().map(|r| &r.offering_id).collect();
    let mut names: HashMap<Id, String> = HashMap::with_capacity(offerings.len());
    for id in offerings {
        if let Some(name) = lookup::offering_name(store, id)? {
            names.insert(id.clone(), name);
        }
    }
    Ok(list
        .into_iter()
        .map(|r| SessionRecord {
            offering_name: names.get(&r.offering_id).cloned(),
            offering_id: r.offering_id,
            student_id: r.student_id,
            date: r.date,
            status: r.status,
        })
        .collect())
}

/// Students whose name contains every word of `query`, ignoring case and accents ("jose
/// munoz" finds "Muñoz, José"), or whose id starts with `query`; at most `limit`. Names that
/// start with the first word come first, then names with a word starting with it, then the
/// rest, each group by name. An empty query lists the first `limit` students by name.
pub fn search_students(
    store: &Store,
    query: &str,
    limit: usize,
) -> Result<Vec<StudentEntry>, ReportError> {
    let search = NameSearch::new(query);
    let mut hits: Vec<(u8, StudentEntry)> = lookup::students(store)?
        .into_iter()
        .filter_map(|s| {
            let name = fold(&s.full_name);
            let words = &search.words;
            let rank = match words.first() {
                None => 0,
                Some(_) if !search.folded_match(&name) => {
                    return search.id_matches(&s.id).then_some((3, s));
                }
                Some(first) if name.starts_with(first.as_str()) => 0,
                Some(first)
                    if name
                        .split_whitespace()
                        .any(|w| w.starts_with(first.as_str())) =>
                {
                    1
                }
                Some(_) => 2,
            };
            Some((rank, s))
        })
        .collect();
    // Stable: within a rank the list stays in name order.
    hits.sort_by_key(|(rank, _)| *rank);
    Ok(hits.into_iter().take(limit).map(|(_, s)| s).collect())
}

/// What a name search looks for: every word of the query in the name (folded), or the query as
/// the start of the id. The student search and the school view's filter.
pub(crate) struct NameSearch {
    words: Vec<String>,
    id_prefix: String,
}

impl NameSearch {
    pub(crate) fn new(query: &str) -> NameSearch {
        NameSearch {
            words: fold(query).split_whitespace().map(str::to_owned).collect(),
            id_prefix: query.trim().to_ascii_lowercase(),
        }
    }

    /// Every word is in `name` once folded ([`fold`]).
    pub(crate) fn words_match(&self, name: &str) -> bool {
        self.folded_match(&fold(name))
    }

    fn folded_match(&self, folded: &str) -> bool {
        self.words.iter().all(|w| folded.contains(w.as_str()))
    }

    pub(crate) fn id_matches(&self, id: &Id) -> bool {
        !self.id_prefix.is_empty() && id.as_str().starts_with(&self.id_prefix)
    }
}

/// Lower case without diacritics, for matching what people type: "Núñez" → "nunez".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        out.push(match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ē' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'ī' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'ū' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'ý' | 'ÿ' => 'y',
            // "Muñoz, José" is found by "munoz jose".
            ',' | ';' | '.' | '-' | '\'' => ' ',
            c => c,
        });
    }
    out
}

/// Everything the counselor screen shows for one student.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudentView {
    pub student_id: Id,
    /// `None` when this device does not know the student's name.
    pub name: Option<String>,
    /// The tier in words in the view's language, e.g. "Moderate chronic absence".
    pub tier_label: String,
    pub report: StudentReport,
    pub charts: StudentCharts,
}

impl StudentView {
    /// The view of records already gathered (the CLI also exports them as CSV); `calendar`
    /// marks the days without class in the term calendar.
    #[allow(clippy::too_many_arguments)]
    pub fn of_records(
        student: &Id,
        name: Option<String>,
        records: &[SessionRecord],
        calendar: &Calendar,
        from: Option<Day>,
        to: Option<Day>,
        theme: Theme,
        lang: Lang,
    ) -> Result<StudentView, ReportError> {
        let report = student_report(student, records, from, to);
        let charts = student_charts(&report, records, calendar, theme, lang)?;
        Ok(StudentView {
            student_id: student.clone(),
            name,
            tier_label: tier_name(report.tier, lang).to_string(),
            report,
            charts,
        })
    }
}

/// One student's measures and charts over `from..=to` (`None` = every record held). A student
/// with no records gets a report of zeros with tier `insufficient-data`, not an error.
pub fn student_view(
    store: &Store,
    student: &Id,
    from: Option<Day>,
    to: Option<Day>,
    theme: Theme,
    lang: Lang,
) -> Result<StudentView, ReportError> {
    let records = student_records(store, student, from, to)?;
    let name = lookup::student_name(store, student)?;
    let calendar = Calendar::load(store)?;
    StudentView::of_records(student, name, &records, &calendar, from, to, theme, lang)
}

/// Everything the counselor screen shows for one offering.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassView {
    pub offering_id: Id,
    /// `None` when the offering is not in this device's rosters.
    pub name: Option<String>,
    pub from: Option<Day>,
    pub to: Option<Day>,
    pub overview: ClassOverview,
    pub charts: ClassCharts,
}

impl ClassView {
    /// The view of records already gathered; `names` are the students' names.
    pub fn of_records(
        offering: &Id,
        records: &[SessionRecord],
        names: &HashMap<Id, String>,
        from: Option<Day>,
        to: Option<Day>,
        theme: Theme,
        lang: Lang,
    ) -> Result<ClassView, ReportError> {
        let overview = class_overview(offering, records, names);
        let charts = class_charts(&overview, theme, lang, AT_RISK_TOP)?;
        Ok(ClassView {
            offering_id: offering.clone(),
            name: overview.offering_name.clone(),
            from,
            to,
            overview,
            charts,
        })
    }
}

/// The names of the students in `records`, for a class overview or a CSV.
pub fn student_names(
    store: &Store,
    records: &[SessionRecord],
) -> Result<HashMap<Id, String>, ReportError> {
    Ok(lookup::student_names(
        store,
        records.iter().map(|r| &r.student_id),
    )?)
}

/// An offering's daily rates and its students by absence rate, with charts, over `from..=to`.
pub fn class_view(
    store: &Store,
    offering: &Id,
    from: Option<Day>,
    to: Option<Day>,
    theme: Theme,
    lang: Lang,
) -> Result<ClassView, ReportError> {
    let records = offering_records(store, offering, from, to)?;
    let names = student_names(store, &records)?;
    let mut view = ClassView::of_records(offering, &records, &names, from, to, theme, lang)?;
    if view.name.is_none() {
        view.name = lookup::offering_name(store, offering)?;
        view.overview.offering_name.clone_from(&view.name);
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_punctuation() {
        assert_eq!(fold("Muñoz, José"), "munoz  jose");
        assert_eq!(fold("ÁLVAREZ"), "alvarez");
        assert_eq!(fold("Çelik Øre"), "celik ore");
    }

    #[test]
    fn an_open_range_spans_every_date_and_a_reversed_one_is_refused() {
        assert_eq!(bounds(None, None).ok(), Some((earliest(), latest())));
        assert_eq!(earliest().to_string(), "0001-01-01");
        assert_eq!(latest().to_string(), "9999-12-31");
        let (a, b) = (Day::parse("2024-03-02"), Day::parse("2024-03-01"));
        let err = bounds(a.ok(), b.ok()).err().map(|e| e.code());
        assert_eq!(err, Some("invalid"));
    }

    #[test]
    fn the_default_range_is_the_12_months_up_to_today() {
        let d = |s: &str| Day::parse(s).expect("date");
        let today = d("2026-12-02");
        let range = |from, to| report_range(from, to, today).ok();
        assert_eq!(range(None, None), Some((d("2025-12-03"), today)));
        assert_eq!(
            range(Some(d("2020-01-01")), None),
            Some((d("2020-01-01"), today))
        );
        let to = d("2028-02-29");
        assert_eq!(range(None, Some(to)), Some((d("2027-03-01"), to)));
        let to = d("2024-12-31");
        assert_eq!(range(None, Some(to)), Some((d("2024-01-01"), to)));
        let first = |to: &str| range(None, Some(d(to))).map(|(from, _)| from.to_string());
        assert_eq!(first("9999-12-31").as_deref(), Some("9999-01-01"));
        assert_eq!(first("0000-01-01").as_deref(), Some("-001-01-02"));
        let err = report_range(Some(d("2027-01-01")), None, today).err();
        assert_eq!(
            err.map(|e| e.code()),
            Some("invalid"),
            "a from after today is refused"
        );
    }
}
