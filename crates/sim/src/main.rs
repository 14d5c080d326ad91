//! `athena-sim`: serve the Athena attendance API on loopback with a sample school.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use athena_sim::{parse_date, Faults, SampleSchool, Sim, ALL_SCOPES};
use chrono::NaiveDate;
use clap::Parser;

const DEMO_TOKEN: &str = "demo-token";

/// A local stand-in for the Athena attendance API: `POST`/`GET /academic/attendance` and
/// `GET /students/{id}`, with a deterministic sample school and optional fault injection.
/// Each request is logged to stderr (method, path, status, time; never the token).
#[derive(Debug, Parser)]
#[command(name = "athena-sim", version)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8787)]
    port: u16,

    /// Address to listen on. Keep it a loopback address.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,

    /// Fault spec: comma-separated key=value, e.g. `latency=20,500=0.1,drop_after=0.05`.
    /// Keys: latency (ms); 500, 502, 429, 503, drop_before, drop_after, garbage, html,
    /// wrong_types, huge_body, slow_drip, wrong_record (probabilities, summing to at most 1);
    /// retry_after (N | date:N | none);
    /// methods (post | get | all; default post); seed.
    #[arg(long, value_name = "SPEC", value_parser = Faults::parse)]
    faults: Option<Faults>,

    /// Seed of the sample school and its history (same seed, same school).
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// Start without the sample school (empty store, no students).
    #[arg(long)]
    no_sample: bool,

    /// Load the sample school but none of its past attendance.
    #[arg(long, conflicts_with = "no_sample")]
    no_history: bool,

    /// Last day (exclusive) of the preloaded history, YYYY-MM-DD [default: today, UTC].
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    end_date: Option<NaiveDate>,

    /// Register a bearer token with every scope (repeatable). Without any, the token
    /// `demo-token` is registered and printed.
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,

    /// Refuse (422) POSTs for students not enrolled in the offering in the sample school.
    #[arg(long)]
    strict_enrollment: bool,

    /// Write the sample school's roster CSV to FILE and exit without serving.
    #[arg(long, value_name = "FILE", conflicts_with = "no_sample")]
    write_roster: Option<PathBuf>,
}

fn parse_date_arg(s: &str) -> Result<NaiveDate, String> {
    parse_date(s).ok_or_else(|| format!("`{s}` is not a YYYY-MM-DD date"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    if let Some(path) = &args.write_roster {
        let roster = SampleSchool::generate(args.seed).roster_csv();
        return match std::fs::write(path, roster) {
            Ok(()) => {
                println!("wrote roster to {}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("athena-sim: cannot write {}: {e}", path.display());
                ExitCode::FAILURE
            }
        };
    }

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("athena-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> ExitCode {
    let mut builder = Sim::builder()
        .addr(SocketAddr::new(args.host, args.port))
        .strict_enrollment(args.strict_enrollment);
    if !args.no_sample {
        builder = builder.sample_school(args.seed);
        if args.no_history {
            builder = builder.empty_store();
        } else if let Some(end) = args.end_date {
            builder = builder.history(end, 60);
        }
    }
    if let Some(faults) = args.faults {
        builder = builder.faults(faults);
    }
    let print_demo_token = args.tokens.is_empty();
    let tokens = if print_demo_token {
        vec![DEMO_TOKEN.to_string()]
    } else {
        args.tokens
    };
    for token in &tokens {
        builder = builder.token(token, &ALL_SCOPES);
    }
    let sim = match builder.start().await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("athena-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("athena-sim listening on {}", sim.base_url());
    println!("school_id: {}", sim.school_id());
    if print_demo_token {
        println!("token: {DEMO_TOKEN}");
    }
    println!("records preloaded: {}", sim.record_count());
    println!("faults: {}", sim.faults());
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("athena-sim: cannot listen for Ctrl-C; stopping");
    }
    sim.shutdown().await;
    ExitCode::SUCCESS
}
