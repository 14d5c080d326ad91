use std::time::Duration;

use rollbook_core::lookup::StudentEntry;
use rollbook_core::sync::{self, ListFilter};
use rollbook_core::{Day, Error, Id};
use rollbook_report::gather::{self, ClassView, StudentView};
use rollbook_report::{Lang, ReportError, SchoolQuery, SchoolView, Theme, Tier};
use tauri::{AppHandle, Runtime, State};

use super::opt_day;
use crate::exports::{self, Exported, Kind};
use crate::state::AppState;

/// The most students a search lists.
const SEARCH_LIMIT: usize = 50;

/// How long a counselor view waits for the server's records before it shows the cache.
const PULL_TIMEOUT: Duration = Duration::from_secs(5);

/// Fetches the server's records (`filter`: a student's or an offering's) into the cache when
/// it can (a token, a reachable server, within [`PULL_TIMEOUT`]); otherwise the view is
/// computed from what this device holds, without an error: the network never fails a report.
async fn pull_first(state: &AppState, filter: ListFilter) {
    let Ok(mut parts) = state.api_parts() else {
        return;
    };
    let (api, tokens, clock) = (&parts.api, &parts.tokens, &*parts.clock);
    let _ = sync::pull_within(&mut parts.store, api, tokens, clock, filter, PULL_TIMEOUT).await;
}

type Result<T> = std::result::Result<T, ReportError>;

/// The range asked for, the rest from the default: the 12 months up to today.
fn range(
    state: &AppState,
    from: Option<String>,
    to: Option<String>,
) -> Result<(Option<Day>, Option<Day>)> {
    let (from, to) = gather::report_range(opt_day(from)?, opt_day(to)?, state.today())?;
    Ok((Some(from), Some(to)))
}

/// Students whose name has every word of `query` (case and accents ignored), or whose id
/// starts with it.
#[tauri::command(async)]
pub fn search_students(state: State<'_, AppState>, query: String) -> Result<Vec<StudentEntry>> {
    state.with_reader(|store| gather::search_students(store, &query, SEARCH_LIMIT))
}

/// A student's measures and charts over the range (by default the 12 months up to today), after
/// fetching the server's records when it can.
#[tauri::command(async)]
pub async fn student_view(
    state: State<'_, AppState>,
    student: String,
    from: Option<String>,
    to: Option<String>,
    theme: String,
    lang: String,
) -> Result<StudentView> {
    let (student, (from, to)) = (Id::parse(&student)?, range(&state, from, to)?);
    let (theme, lang) = (theme_of(&theme)?, lang_of(&lang)?);
    pull_first(&state, ListFilter::Student(student.clone())).await;
    state.with_reader(|store| gather::student_view(store, &student, from, to, theme, lang))
}

/// An offering's overview and charts, after fetching the server's records when it can.
#[tauri::command(async)]
pub async fn class_view(
    state: State<'_, AppState>,
    offering: String,
    from: Option<String>,
    to: Option<String>,
    theme: String,
    lang: String,
) -> Result<ClassView> {
    let (offering, (from, to)) = (Id::parse(&offering)?, range(&state, from, to)?);
    let (theme, lang) = (theme_of(&theme)?, lang_of(&lang)?);
    pull_first(&state, ListFilter::Offering(offering.clone())).await;
    state.with_reader(|store| gather::class_view(store, &offering, from, to, theme, lang))
}

/// Writes a student's csv, printable html, or charts (svg/png folder) to the downloads folder.
#[tauri::command(async)]
pub fn export_student<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    student: String,
    from: Option<String>,
    to: Option<String>,
    kind: String,
    lang: Option<String>,
) -> Result<Exported> {
    let (student, (from, to)) = (Id::parse(&student)?, range(&state, from, to)?);
    let (kind, lang) = (
        Kind::parse(&kind)?,
        lang_of(lang.as_deref().unwrap_or("en"))?,
    );
    let (dir, today) = (exports::export_dir(&app, &state), state.today());
    state.with_reader(|store| exports::student(store, &dir, &student, from, to, kind, lang, today))
}

/// Writes an offering's csv, or charts (svg/png folder), to the downloads folder.
#[tauri::command(async)]
pub fn export_class<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    offering: String,
    from: Option<String>,
    to: Option<String>,
    kind: String,
    lang: Option<String>,
) -> Result<Exported> {
    let (offering, (from, to)) = (Id::parse(&offering)?, range(&state, from, to)?);
    let (kind, lang) = (
        Kind::parse(&kind)?,
        lang_of(lang.as_deref().unwrap_or("en"))?,
    );
    let dir = exports::export_dir(&app, &state);
    state.with_reader(|store| exports::class(store, &dir, &offering, from, to, kind, lang))
}

/// The school view's filters as the window sends them.
fn school_query(
    state: &AppState,
    (from, to): (Option<String>, Option<String>),
    tiers: Option<Vec<String>>,
    offering: Option<String>,
    search: Option<String>,
) -> Result<SchoolQuery> {
    let (from, to) = gather::report_range(opt_day(from)?, opt_day(to)?, state.today())?;
    let tiers = tiers
        .unwrap_or_default()
        .iter()
        .map(|t| Tier::parse(t))
        .collect::<std::result::Result<Vec<Tier>, Error>>()?;
    let offering = offering.as_deref().map(Id::parse).transpose()?;
    Ok(SchoolQuery {
        from,
        to,
        tiers,
        offering,
        search,
    })
}

/// Every student with records in the range (by default the 12 months up to today), ranked by
/// absence rate, with the filters: tiers (any of), an offering, a name search. From the
/// records this device holds.
#[tauri::command(async)]
pub fn school_view(
    state: State<'_, AppState>,
    from: Option<String>,
    to: Option<String>,
    tiers: Option<Vec<String>>,
    offering: Option<String>,
    search: Option<String>,
) -> Result<SchoolView> {
    let query = school_query(&state, (from, to), tiers, offering, search)?;
    state.with_reader(|store| rollbook_report::school_view(store, &query))
}

/// Writes the school view's call list (csv) or its printable page (html) to the downloads
/// folder, with the same filters as [`school_view`].
#[allow(clippy::too_many_arguments)]
#[tauri::command(async)]
pub fn export_school<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    kind: String,
    from: Option<String>,
    to: Option<String>,
    tiers: Option<Vec<String>>,
    offering: Option<String>,
    search: Option<String>,
    lang: Option<String>,
) -> Result<Exported> {
    let query = school_query(&state, (from, to), tiers, offering, search)?;
    let (kind, lang) = (
        Kind::parse(&kind)?,
        lang_of(lang.as_deref().unwrap_or("en"))?,
    );
    let (dir, today) = (exports::export_dir(&app, &state), state.today());
    state.with_reader(|store| exports::school(store, &dir, &query, kind, lang, today))
}

fn theme_of(s: &str) -> std::result::Result<Theme, Error> {
    match s {
        "light" => Ok(Theme::Light),
        "dark" => Ok(Theme::Dark),
        other => Err(Error::Invalid(format!(
            "{} is not a theme: light or dark",
            rollbook_core::error::quoted(other)
        ))),
    }
}

fn lang_of(s: &str) -> std::result::Result<Lang, Error> {
    match s {
        "en" => Ok(Lang::En),
        "es" => Ok(Lang::Es),
        other => Err(Error::Invalid(format!(
            "{} is not a language: en or es",
            rollbook_core::error::quoted(other)
        ))),
    }
}
