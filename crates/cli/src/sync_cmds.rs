//! Talking to the Athena API: `login`, `logout`, `sync`, `rejected`, `discard` (`pull` is
//! [`crate::pull_cmds`]).
//!
//! The token comes from stdin (`login`) into the system keyring, or from `ROLLBOOK_TOKEN`, which
//! overrides the keyring; it is never printed, logged or stored in the database. `sync` exits 3
//! when `--wait` runs out of time, 130 when stopped by Ctrl-C (in both cases with everything
//! written down), and 1 with a clear message when the server refuses the token.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use rollbook_core::clock::{Clock, SystemClock};
use rollbook_core::outbox::{self, ItemState};
use rollbook_core::secret::Secret;
use rollbook_core::store::Store;
use rollbook_core::sync::api::{
    ApiClient, ApiConfig, Exchange, ListFilter, SETTING_API_URL, SETTING_SCHOOL_ID,
};
use rollbook_core::sync::classify::{classify_read, ReadOutcome};
use rollbook_core::sync::tokens::TOKEN_ENV;
use rollbook_core::sync::{
    self, BlockReason, Blocked, DrainEnd, Engine, EngineConfig, PassReport, RefreshReport,
    StopSignal, TokenSource,
};
use rollbook_core::{Error, Id, Result};

use serde::Serialize;

use crate::output::outln;
use crate::{output, Ctx};

/// The exit code of `sync --wait` when the timeout comes first.
pub const EXIT_TIMEOUT: u8 = 3;
/// The exit code of `sync` stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;
/// How long requests in flight may still take after Ctrl-C; a second Ctrl-C cuts them at once.
const CTRL_C_GRACE: Duration = Duration::from_secs(1);

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The API's base URL, saved for later commands [default: https://api.athena-erp.com]
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// The school to act for (sent as X-School-Id), saved for later commands; "" clears it
    #[arg(long, value_name = "ID")]
    pub school_id: Option<String>,
    /// Ask the server whether it accepts the token
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Keep going (honouring backoff and Retry-After) until nothing is pending or unknown
    #[arg(long)]
    pub wait: bool,
    /// With --wait: the bound of the whole run, in seconds. Then no new request starts, requests
    /// still in flight are cut (their changes are left unknown and looked for on the server by
    /// the next sync), everything is saved, and the command exits 3. Ctrl-C stops the same way
    /// (after 1 s more for requests in flight) and exits 130
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub timeout: u64,
    /// The most requests in flight at once; below it the engine finds what the server sustains
    /// (more while answers come faster, fewer when they slow down or the server asks to wait)
    #[arg(long, value_name = "N", default_value_t = 32,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Send again every change whose outcome is unknown, accepting a possible duplicate (for a
    /// token that cannot read attendance to check)
    #[arg(long)]
    pub resend_unknown: bool,
    /// Deliver only: skip the refresh that follows (listing the server's records of the
    /// offerings this device marked in the last 14 days, so other writers' marks show here)
    #[arg(long)]
    pub no_refresh: bool,
    /// Print {sent, confirmed, reconciled, rejected, left, duplicates, refreshed}
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RejectedArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DiscardArgs {
    /// The outbox item (see `rejected`, or `history`)
    #[arg(value_name = "ITEM")]
    pub item: i64,
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

pub fn run_login(ctx: &Ctx, a: LoginArgs) -> Result<()> {
    let store = ctx.open()?;
    if a.api_url.is_some() || a.school_id.is_some() {
        // What is not given stays as it is; the two are saved together, as the window saves
        // them (`--school-id ""` clears the school id).
        let url = match &a.api_url {
            Some(url) => url.clone(),
            None => store
                .setting(SETTING_API_URL)?
                .unwrap_or_else(|| sync::api::DEFAULT_API_URL.into()),
        };
        let school_id = match &a.school_id {
            Some(raw) => Some(raw.clone()),
            None => store.setting(SETTING_SCHOOL_ID)?,
        };
        sync::save_api_settings(&store, &url, school_id.as_deref())?;
    }
    let config = ApiConfig::resolve(&store)?;
    let mut raw = String::new();
    std::io::stdin()
        .read_to_string(&mut raw)
        .map_err(|e| Error::io("cannot read the token from standard input", e))?;
    let token = Secret::new(raw)
        .ok_or_else(|| Error::Invalid("no token on standard input: pipe the token in".into()))?;
    let mut store = store;
    let tokens = TokenSource::keyring_of(&config);
    runtime()?.block_on(async {
        sync::sign_in(&mut store, &tokens, token.clone()).await?;
        outln!(
            "Signed in to {} (token saved in the system keyring).",
            config.base_url
        );
        if std::env::var_os(TOKEN_ENV).is_some_and(|v| !v.is_empty()) {
            eprintln!("note: {TOKEN_ENV} is set and overrides the keyring for every command");
        }
        if a.check {
            check_token(&config, &token).await?;
        }
        Ok(())
    })
}

/// Lists the records of a student id no one has: 200 means the token is accepted and may read.
async fn check_token(config: &ApiConfig, token: &Secret) -> Result<()> {
    let api = ApiClient::new(config.clone())?;
    let nobody = Id::parse("00000000-0000-0000-0000-000000000000")?;
    let ex = api.list(token, &ListFilter::Student(nobody)).await;
    let now = SystemClock.now();
    match classify_read(&ex, now, config.school_id.is_some(), |_| Ok(())) {
        ReadOutcome::Ok(()) => {
            outln!("The server accepts the token.");
            Ok(())
        }
        ReadOutcome::Forbidden(why) => {
            outln!("The server accepts the token, but it may not read attendance ({why}).");
            Ok(())
        }
        ReadOutcome::Blocked(b) => Err(Error::Auth(blocked_message(&b))),
        other => {
            let why = match (other, &ex) {
                (_, Exchange::Failed { message, .. }) => message.clone(),
                (ReadOutcome::Unavailable(m) | ReadOutcome::Failed(m), _) => m,
                (ReadOutcome::NotFound(m), _) => m,
                _ => "the server asked to wait".into(),
            };
            Err(Error::Remote(format!("could not check the token: {why}")))
        }
    }
}

pub fn run_logout(ctx: &Ctx) -> Result<()> {
    let store = ctx.open()?;
    let config = ApiConfig::resolve(&store)?;
    let tokens = TokenSource::keyring_of(&config);
    let had = runtime()?.block_on(sync::sign_out(&tokens))?;
    if had {
        outln!(
            "Signed out of {}: the token was deleted from the keyring.",
            config.base_url
        );
    } else {
        outln!("No token was stored for {}.", config.base_url);
    }
    Ok(())
}

fn blocked_message(b: &Blocked) -> String {
    match b.reason {
        BlockReason::Auth if b.message.ends_with("sign in again") => {
            format!("{} with `rollbook-cli login`", b.message)
        }
        BlockReason::Auth => format!("{}: sign in with `rollbook-cli login`", b.message),
        BlockReason::Permission => format!("{} (`rollbook-cli login`)", b.message),
        BlockReason::School => b.message.clone(),
    }
}

pub fn run_sync(ctx: &Ctx, a: SyncArgs) -> Result<()> {
    let exit = sync_inner(ctx, a)?;
    if let Some(code) = exit {
        // Everything is closed and saved by now; only the exit code is left to give.
        output::finish()?;
        std::process::exit(code.into());
    }
    Ok(())
}

/// Returns the exit code when it is not 0 or an error's: `--wait` timed out, or Ctrl-C.
fn sync_inner(ctx: &Ctx, a: SyncArgs) -> Result<Option<u8>> {
    let started = std::time::Instant::now();
    let store = ctx.open()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if a.resend_unknown {
        let n = outbox::resend_unknown(&store, clock.now())?;
        if !a.json {
            let n = output::count(n as u64, "change", "changes");
            outln!("{n} with an unknown outcome will be sent again.");
        }
    }
    let config = ApiConfig::resolve(&store)?;
    let tokens = TokenSource::for_api(&config);
    let api = ApiClient::new(config)?;
    let engine_config = EngineConfig {
        concurrency: usize::from(a.concurrency),
        ..EngineConfig::default()
    };
    let engine_store = Store::open_data_dir(&ctx.data_dir)?;
    let rt = runtime()?;
    let ran = rt.block_on(async {
        let mut engine = Engine::new(engine_store, api, tokens, clock, engine_config)?;
        let stop = engine.stop_signal();
        let work = async {
            // Running `sync` is the user's "sync now": waiting items are due at once, however
            // long their backoff (a Retry-After pause and an unknown item's wait still hold).
            engine.retry_now()?;
            let (report, end) = if a.wait {
                // The timeout counts from the start of the command, not of the drain.
                let left = Duration::from_secs(a.timeout).saturating_sub(started.elapsed());
                let drained = engine.drain(left).await?;
                (drained.report, Some(drained.end))
            } else {
                let report = engine.pass().await?;
                let end = match engine.status().blocked {
                    Some(b) => Some(DrainEnd::Blocked(b)),
                    None => (stop.is_asked() && report.left > 0).then_some(DrainEnd::Stopped),
                };
                (report, end)
            };
            // Then, once, the records of the offerings this device works with: what a kiosk or
            // another teacher recorded shows in the roll (and "mark the rest present" keeps it).
            let refreshed = match &end {
                Some(DrainEnd::Done) | None if !a.no_refresh => {
                    let left = Duration::from_secs(a.timeout).saturating_sub(started.elapsed());
                    let refresh = engine.refresh(None);
                    match (a.wait, tokio::time::timeout(left, refresh).await) {
                        (_, Ok(done)) => Some(done?),
                        (false, Err(_)) => None,
                        (true, Err(_)) => Some(RefreshReport {
                            problem: Some(format!("the {} s timeout came first", a.timeout)),
                            ..RefreshReport::default()
                        }),
                    }
                }
                _ => None,
            };
            Ok::<_, Error>((report, end, refreshed))
        };
        // Listed first, so Ctrl-C is caught before the first request can leave.
        tokio::select! {
            biased;
            never = stop_on_ctrl_c(stop.clone()) => match never {},
            done = work => done,
        }
    });
    // Everything is written down by now; a keyring call that never answered is not waited for.
    rt.shutdown_background();
    let (report, end, refreshed) = ran?;
    let status = sync::load_status(&store, SystemClock.now())?;
    if a.json {
        output::json(&SyncJson {
            report: &report,
            refreshed: refreshed.as_ref(),
        })?;
    } else {
        print_report(&report, &status);
        if let Some(r) = &refreshed {
            print_refresh(r);
        }
    }
    match end {
        Some(DrainEnd::Blocked(b)) => Err(Error::Auth(blocked_message(&b))),
        Some(DrainEnd::NeedsResend(n)) => Err(Error::Remote(format!(
            "{} an unknown outcome and the token cannot read attendance to check: run \
             `rollbook-cli sync --resend-unknown` to send again (the server may then hold them \
             twice)",
            output::count(n, "change has", "changes have")
        ))),
        Some(DrainEnd::TimedOut) => {
            eprintln!(
                "rollbook-cli: timed out after {} s with {} not confirmed by the server",
                a.timeout,
                output::count(report.left, "change", "changes")
            );
            for reason in unknown_reasons(&store)? {
                eprintln!("  {reason}");
            }
            Ok(Some(EXIT_TIMEOUT))
        }
        Some(DrainEnd::Stopped) => {
            eprintln!(
                "rollbook-cli: stopped: {} sent, {} confirmed, {} left ({} unknown: looked for on \
                 the server by the next sync)",
                report.sent, report.confirmed, report.left, status.unknown
            );
            Ok(Some(EXIT_INTERRUPTED))
        }
        Some(DrainEnd::Done) | None => Ok(None),
    }
}

/// Ctrl-C stops the engine (requests in flight get [`CTRL_C_GRACE`]); a second one cuts them at
/// once. Never returns; without a way to catch Ctrl-C it stays the default (the process ends,
/// as in a crash, which the next run recovers from).
pub(crate) async fn stop_on_ctrl_c(stop: StopSignal) -> std::convert::Infallible {
    if tokio::signal::ctrl_c().await.is_ok() {
        stop.stop_within(CTRL_C_GRACE);
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.stop_within(Duration::ZERO);
        }
    }
    std::future::pending().await
}

/// The distinct reasons of items whose outcome is unknown (at most three: they repeat).
fn unknown_reasons(store: &Store) -> Result<Vec<String>> {
    let mut reasons: Vec<String> = Vec::new();
    for problem in outbox::problems(store)? {
        let Some(reason) = problem
            .reason
            .filter(|_| problem.state == ItemState::Unknown)
        else {
            continue;
        };
        if !reasons.contains(&reason) && reasons.len() < 3 {
            reasons.push(reason);
        }
    }
    Ok(reasons)
}

/// `sync --json`: the delivery report, and what the refresh after it did (`null`: none ran).
#[derive(Serialize)]
struct SyncJson<'a> {
    #[serde(flatten)]
    report: &'a PassReport,
    refreshed: Option<&'a RefreshReport>,
}

fn print_refresh(r: &RefreshReport) {
    if r.offerings > 0 {
        outln!(
            "Refreshed {} from the server: {} listed, {} new.",
            output::count(r.offerings, "offering", "offerings"),
            output::count(r.records, "record", "records"),
            r.new_records
        );
    }
    if let Some(why) = &r.problem {
        eprintln!(
            "rollbook-cli: {} not refreshed: {why}",
            output::count(r.not_refreshed, "offering", "offerings")
        );
    }
}

fn print_report(r: &PassReport, status: &sync::SyncStatus) {
    outln!(
        "Sent {}, confirmed {}, found on the server {}, refused {}; {} left.",
        r.sent,
        r.confirmed,
        r.reconciled,
        r.rejected,
        r.left
    );
    for d in &r.duplicates {
        let extra: Vec<&str> = d.extra.iter().map(Id::as_str).collect();
        outln!(
            "Item {} is record {}; the server also has {} (possible duplicates).",
            d.outbox_id,
            d.kept,
            extra.join(", ")
        );
    }
    if r.left > 0 && status.blocked.is_none() {
        if let Some(at) = &status.paused_until {
            outln!("The server asked to wait until {at}.");
        } else if let Some(at) = &status.next_attempt_at {
            outln!("Next attempt at {at} (or run `rollbook-cli sync --wait`).");
        }
    }
    if status.rejected > 0 {
        let refused = match status.rejected {
            1 => "1 change was".to_string(),
            n => format!("{n} changes were"),
        };
        outln!("{refused} refused by the server: see `rollbook-cli rejected`.");
    }
}

pub fn run_rejected(ctx: &Ctx, a: RejectedArgs) -> Result<()> {
    let store = ctx.open()?;
    let items = outbox::rejected_items(&store)?;
    if a.json {
        return output::json(&items);
    }
    if items.is_empty() {
        outln!("The server refused nothing.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            vec![
                i.id.to_string(),
                i.date.to_string(),
                i.student_name
                    .clone()
                    .unwrap_or_else(|| i.student_id.to_string()),
                i.status.to_string(),
                i.offering_id.to_string(),
                i.reason.clone(),
            ]
        })
        .collect();
    output::table(
        &["ITEM", "DATE", "STUDENT", "MARK", "OFFERING", "REASON"],
        &rows,
    );
    outln!("Fix the roster or the mark, then `rollbook-cli discard ITEM` to stop showing it.");
    Ok(())
}

pub fn run_discard(ctx: &Ctx, a: DiscardArgs) -> Result<()> {
    let store = ctx.open()?;
    outbox::discard(&store, a.item, SystemClock.now())?;
    outln!(
        "Item {} discarded: it will not be sent (its history is kept).",
        a.item
    );
    Ok(())
}
