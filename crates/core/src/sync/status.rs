//! What the sync engine tells the world: the [`SyncStatus`] value (published on a `watch`
//! channel the desktop shell turns into events), the [`PassReport`] of one pass, and the queue
//! state that must survive a restart (blocked, paused, read denied, last success), kept in the
//! `setting` table. None of it holds the token: a blocked state remembers only a short tag of
//! the token it was about, so it clears itself when another token is in use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::{parse_rfc3339, rfc3339};
use crate::error::Result;
use crate::ids::Id;
use crate::outbox::outbox_counts;
use crate::secret::Secret;
use crate::store::Store;

const KEY_BLOCKED: &str = "sync.blocked";
const KEY_PAUSED_UNTIL: &str = "sync.paused_until";
const KEY_READ_DENIED: &str = "sync.read_denied";
const KEY_LAST_SUCCESS: &str = "sync.last_success_at";

/// Why the whole queue stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockReason {
    /// No token, or the server refused it (401): sign in again.
    Auth,
    /// The token may not record attendance (403): a read-only token.
    Permission,
    /// The account belongs to several schools and no school id is set (400 about
    /// `X-School-Id`): set the school id.
    School,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    pub reason: BlockReason,
    pub message: String,
}

/// The state of delivery, as counts and times (RFC 3339).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub pending: u64,
    pub sending: u64,
    pub unknown: u64,
    pub rejected: u64,
    pub synced: u64,
    /// Set while the whole queue waits for the user (sign in again, another token).
    pub blocked: Option<Blocked>,
    /// The token cannot read attendance, so unknown items wait for an explicit "send again".
    pub read_denied: bool,
    pub last_success_at: Option<String>,
    /// When the engine will next try something on its own (`None`: nothing scheduled).
    pub next_attempt_at: Option<String>,
    /// The server asked the queue to wait (429/503 `Retry-After`) until then.
    pub paused_until: Option<String>,
    /// The last pass of this process reached the server.
    pub online: bool,
    /// A pass is running now.
    pub running: bool,
    /// When this process last refreshed the records of the offerings it works with.
    pub last_refresh_at: Option<String>,
    /// Records that refresh brought which this device did not have (marks made elsewhere).
    pub last_refresh_new_records: u64,
    /// When a refresh of this process last added, changed or removed a cached server record
    /// (a refresh that finds nothing new leaves it as it was, so an open roll need not reload).
    pub records_changed_at: Option<String>,
}

impl SyncStatus {
    /// Items not yet settled (pending, sending or unknown).
    pub fn outstanding(&self) -> u64 {
        self.pending + self.sending + self.unknown
    }
}

/// What one pass (or a `--wait` run of passes) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassReport {
    /// POSTs that left this computer (a connection that never opened is not counted).
    pub sent: u64,
    /// Items confirmed by the server's answer to their POST.
    pub confirmed: u64,
    /// Unknown items found on the server and linked to their record.
    pub reconciled: u64,
    /// Items the server refused (kept with its reason).
    pub rejected: u64,
    /// Items still pending, sending or unknown after the pass.
    pub left: u64,
    /// Server records that look like duplicates of a reconciled item.
    pub duplicates: Vec<Duplicate>,
}

impl PassReport {
    pub fn absorb(&mut self, other: PassReport) {
        self.sent += other.sent;
        self.confirmed += other.confirmed;
        self.reconciled += other.reconciled;
        self.rejected += other.rejected;
        self.left = other.left;
        self.duplicates.extend(other.duplicates);
    }
}

/// An unknown item matched several unowned server records: the oldest was linked (`kept`), the
/// others (`extra`) are reported, never deleted (the API has no delete).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    pub outbox_id: i64,
    pub kept: Id,
    pub extra: Vec<Id>,
}

#[derive(Serialize, Deserialize)]
struct StoredBlock {
    reason: BlockReason,
    message: String,
    token_tag: String,
}

/// The queue state kept across restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueState {
    pub blocked: Option<(Blocked, String)>,
    pub paused_until: Option<DateTime<Utc>>,
    /// Tag of the token that could not read.
    pub read_denied: Option<String>,
    pub last_success_at: Option<DateTime<Utc>>,
}

impl QueueState {
    pub fn load(store: &Store) -> Result<QueueState> {
        let blocked = store
            .setting(KEY_BLOCKED)?
            .and_then(|raw| serde_json::from_str::<StoredBlock>(&raw).ok())
            .map(|b| {
                (
                    Blocked {
                        reason: b.reason,
                        message: b.message,
                    },
                    b.token_tag,
                )
            });
        let time = |key| -> Result<Option<DateTime<Utc>>> {
            Ok(store.setting(key)?.as_deref().and_then(parse_rfc3339))
        };
        Ok(QueueState {
            blocked,
            paused_until: time(KEY_PAUSED_UNTIL)?,
            read_denied: store.setting(KEY_READ_DENIED)?,
            last_success_at: time(KEY_LAST_SUCCESS)?,
        })
    }

    /// Writes the state in one transaction.
    pub fn save(&self, store: &Store) -> Result<()> {
        let blocked = self.blocked.as_ref().map(|(b, tag)| {
            serde_json::to_string(&StoredBlock {
                reason: b.reason,
                message: b.message.clone(),
                token_tag: tag.clone(),
            })
            .unwrap_or_default()
        });
        crate::sync::queue::atomically(store.conn(), crate::store::Writes::Local, |_| {
            store.set_setting(KEY_BLOCKED, blocked.as_deref())?;
            store.set_setting(KEY_PAUSED_UNTIL, self.paused_until.map(rfc3339).as_deref())?;
            store.set_setting(KEY_READ_DENIED, self.read_denied.as_deref())?;
            store.set_setting(
                KEY_LAST_SUCCESS,
                self.last_success_at.map(rfc3339).as_deref(),
            )?;
            Ok(())
        })
    }

    /// Forgets what was about another token. Returns whether anything changed.
    pub fn adopt_token(&mut self, token: &Secret) -> bool {
        let tag = token.tag();
        let mut changed = false;
        if self.blocked.as_ref().is_some_and(|(_, t)| *t != tag) {
            self.blocked = None;
            changed = true;
        }
        if self.read_denied.as_ref().is_some_and(|t| *t != tag) {
            self.read_denied = None;
            changed = true;
        }
        changed
    }

    /// Forgets a block for want of a school id once one is set. Returns whether it did.
    pub fn adopt_school_id(&mut self, school_id_set: bool) -> bool {
        let for_school = self
            .blocked
            .as_ref()
            .is_some_and(|(b, _)| b.reason == BlockReason::School);
        if school_id_set && for_school {
            self.blocked = None;
        }
        school_id_set && for_school
    }

    /// The connection settings changed: a block for want of a school id no longer holds (the
    /// next pass finds out again if it still does). Returns whether there was one.
    pub fn clear_school_block(store: &Store) -> Result<bool> {
        let mut state = QueueState::load(store)?;
        let was = state
            .blocked
            .as_ref()
            .is_some_and(|(b, _)| b.reason == BlockReason::School);
        if was {
            state.blocked = None;
            state.save(store)?;
        }
        Ok(was)
    }

    /// A new token was signed in: nothing that was about the old one holds.
    pub fn clear_for_new_token(store: &Store) -> Result<()> {
        store.set_setting(KEY_BLOCKED, None)?;
        store.set_setting(KEY_READ_DENIED, None)?;
        Ok(())
    }
}

/// The status as the database tells it (counts, persisted state). The engine adds what only it
/// knows (online, running, its exact next wake-up).
pub fn load_status(store: &Store, now: DateTime<Utc>) -> Result<SyncStatus> {
    let mut status = SyncStatus::default();
    let counts = outbox_counts(store)?;
    status.pending = counts.pending.into();
    status.sending = counts.sending.into();
    status.unknown = counts.unknown.into();
    status.rejected = counts.rejected.into();
    status.synced = counts.synced.into();
    let state = QueueState::load(store)?;
    status.blocked = state.blocked.map(|(b, _)| b);
    status.read_denied = state.read_denied.is_some();
    status.last_success_at = state.last_success_at.map(rfc3339);
    let paused = state.paused_until.filter(|t| *t > now);
    status.paused_until = paused.map(rfc3339);
    if status.outstanding() > 0 && status.blocked.is_none() {
        let mut stmt = store.conn().prepare_cached(
            "SELECT next_attempt_at FROM outbox
             WHERE state IN ('pending', 'unknown') AND next_attempt_at IS NOT NULL",
        )?;
        let earliest = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|r| r.ok().and_then(|s| parse_rfc3339(&s)))
            .min();
        let next = match (earliest, paused) {
            (Some(a), Some(p)) => Some(a.max(p)),
            (a, p) => a.or(p),
        };
        status.next_attempt_at = next.map(rfc3339);
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::utc;

    #[test]
    fn queue_state_round_trips_and_follows_the_token() {
        let store = Store::open_in_memory().unwrap();
        let old = Secret::new("old-token").unwrap();
        let state = QueueState {
            blocked: Some((
                Blocked {
                    reason: BlockReason::Auth,
                    message: "refused".into(),
                },
                old.tag(),
            )),
            paused_until: Some(utc("2024-03-15T08:31:00Z")),
            read_denied: Some(old.tag()),
            last_success_at: None,
        };
        state.save(&store).unwrap();
        let mut loaded = QueueState::load(&store).unwrap();
        assert_eq!(loaded, state);
        assert!(!loaded.adopt_token(&old), "same token: still blocked");
        assert!(loaded.adopt_token(&Secret::new("new-token").unwrap()));
        assert!(loaded.blocked.is_none() && loaded.read_denied.is_none());
        assert!(
            loaded.paused_until.is_some(),
            "a pause is about the server, not the token"
        );
        let raw: Vec<String> = store
            .conn()
            .prepare("SELECT value FROM setting")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert!(
            raw.iter().all(|v| !v.contains("old-token")),
            "the token is never stored"
        );
    }

    #[test]
    fn status_json_shape() {
        let store = Store::open_in_memory().unwrap();
        let s = load_status(&store, utc("2024-03-15T08:30:00Z")).unwrap();
        let v = serde_json::to_value(&s).unwrap();
        for key in [
            "pending",
            "sending",
            "unknown",
            "rejected",
            "synced",
            "blocked",
            "read_denied",
            "last_success_at",
            "next_attempt_at",
            "paused_until",
            "online",
            "running",
        ] {
            assert!(
                v.get(key).is_some(),
                "status JSON has {key}: the UI reads it"
            );
        }
    }
}
