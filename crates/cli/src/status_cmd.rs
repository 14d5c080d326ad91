//! `status`: what the outbox holds.

use clap::Args;
use rollbook_core::clock::{Clock, SystemClock};
use rollbook_core::outbox::{outbox_counts, OutboxCounts};
use rollbook_core::sync::{self, SyncStatus};
use rollbook_core::Result;
use serde::Serialize;

use crate::output::outln;
use crate::{output, Ctx};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON: {"pending", "sending", "synced", "unknown", "rejected", "cancelled",
    /// "blocked", "read_denied", "last_success_at", "next_attempt_at", "paused_until"}
    #[arg(long)]
    pub json: bool,
}

/// The outbox counts and the sync engine's persisted state, as one object.
#[derive(Serialize)]
struct StatusJson<'a> {
    #[serde(flatten)]
    counts: &'a OutboxCounts,
    blocked: &'a Option<sync::Blocked>,
    read_denied: bool,
    last_success_at: &'a Option<String>,
    next_attempt_at: &'a Option<String>,
    paused_until: &'a Option<String>,
}

pub fn run(ctx: &Ctx, args: StatusArgs) -> Result<()> {
    let store = ctx.open()?;
    let counts = outbox_counts(&store)?;
    let sync: SyncStatus = sync::load_status(&store, SystemClock.now())?;
    if args.json {
        return output::json(&StatusJson {
            counts: &counts,
            blocked: &sync.blocked,
            read_denied: sync.read_denied,
            last_success_at: &sync.last_success_at,
            next_attempt_at: &sync.next_attempt_at,
            paused_until: &sync.paused_until,
        });
    }
    outln!("Data directory: {}", ctx.data_dir.display());
    outln!(
        "Outbox: {} waiting to be sent, {} sending, {} on the server, {} with unknown outcome, \
         {} refused by the server, {} cancelled",
        counts.pending,
        counts.sending,
        counts.synced,
        counts.unknown,
        counts.rejected,
        counts.cancelled
    );
    if let Some(b) = &sync.blocked {
        outln!("Sending is stopped: {} (`rollbook-cli login`)", b.message);
    }
    if sync.read_denied && counts.unknown > 0 {
        outln!(
            "The token cannot read attendance to check unknown outcomes:              `rollbook-cli sync --resend-unknown` sends them again"
        );
    }
    if let Some(at) = &sync.last_success_at {
        outln!("Last reached the server: {at}");
    }
    if let Some(at) = &sync.paused_until {
        outln!("The server asked to wait until {at}");
    } else if let Some(at) = &sync.next_attempt_at {
        outln!("Next attempt: {at}");
    }
    Ok(())
}
