//! Delivering the outbox to the Athena attendance API exactly once, and pulling server records.
//!
//! The API creates one record per POST and has no idempotency key, update or delete, so
//! "exactly once" is built here: an item is committed `sending` before its POST; an answer
//! that leaves it unclear whether the record was stored makes the item `unknown`, and unknown
//! items are looked for on the server (reconciled) before anything of their mark is sent again.
//!
//! - [`plan`]: the pure plan of a pass (what to reconcile, what to send in which order, when to
//!   look again); [`classify`]: the pure classification of every answer.
//! - [`engine`] + `deliver` (the POSTs) + `reconcile_pass` (the listings): carrying a plan out; [`handle`]: the engine as a background task;
//!   [`stop`]: when it stops (a deadline, Ctrl-C, the app closing) and what it does then.
//! - [`api`]: the HTTP client; [`record`]: the wire record; [`tokens`]: where the token lives.
//! - [`queue`]: the engine's outbox reads and writes; [`reconcile`]: matching unknown items.
//! - [`status`]: the published status and the state kept across restarts.
//! - [`pull`]: fetching server records (one offering, one student, or every offering of the
//!   roster at once: the school pull, [`pull_all`]); [`refresh`]: pulling the offerings this device works
//!   with, so the roll shows other writers' marks; [`effective`]: the mark shown when device and server
//!   disagree.

pub mod adaptive;
pub mod api;
pub mod classify;
mod deliver;
pub mod effective;
pub(crate) mod engine;
pub(crate) mod handle;
mod lock;
pub(crate) mod plan;
pub mod pull;
pub mod queue;
pub(crate) mod reconcile;
mod reconcile_pass;
pub mod record;
pub(crate) mod refresh;
pub(crate) mod settings;
pub mod status;
pub mod stop;
pub mod tokens;

pub use api::{ApiClient, ApiConfig, BaseUrl, ListFilter};
pub use engine::{DrainEnd, Drained, Engine, EngineConfig, DEFAULT_CONCURRENCY};
pub use handle::SyncHandle;
pub use pull::{
    last_school_pull, pull_all, pull_offering, pull_student, pull_within, FailedOffering,
    PullAllOptions, PullProgress, PullReport, SchoolPullReport, DEFAULT_PULL_CONCURRENCY,
    MAX_PULL_CONCURRENCY,
};
pub use refresh::{
    parse_refresh_minutes, refresh_every, refresh_targets, set_refresh_minutes, RefreshReport,
    REFRESH_DAYS,
};
pub use settings::{save_api_settings, ApiSettings};
pub use status::{load_status, BlockReason, Blocked, Duplicate, PassReport, SyncStatus};
pub use stop::{StopReason, StopSignal};
pub use tokens::{KeyringTokens, MemoryTokens, TokenSource, TokenStore};

use crate::error::Result;
use crate::secret::Secret;
use crate::store::Store;

/// Stores a new token and forgets every block that was about the old one.
pub async fn sign_in(store: &mut Store, tokens: &TokenSource, token: Secret) -> Result<()> {
    tokens.set(token).await?;
    status::QueueState::clear_for_new_token(store)
}

/// Deletes the stored token. Returns whether there was one.
pub async fn sign_out(tokens: &TokenSource) -> Result<bool> {
    tokens.delete().await
}
