//! How the school pull's connection writes the records file (`store/records.rs`): without
//! waiting for the disk at each listing's commit, and with the write-ahead log copied into the
//! file beside the pull instead of inside each commit.
//!
//! A listing's commit dirties thousands of pages (several MB). With SQLite's defaults the
//! committing connection then flushes the log (`synchronous=FULL`) and, the log being over
//! 1,000 pages, checkpoints it: copies those pages into the file and flushes that, before the
//! commit returns. Both are time the pull waits, one listing after another.
//!
//! - `synchronous=NORMAL` for the records file on the pull's connection alone: its commits are
//!   not flushed one by one. A cached server record can always be pulled again; the database
//!   file, with the marks, keeps `FULL` on every connection, and so does the records file on
//!   every other one (the sync engine's commit of a record its POST created flushes the
//!   records file's log, the pull's frames before it included). In write-ahead-log mode
//!   `NORMAL` never corrupts the file; the checkpoints still flush the log before copying and
//!   the file after.
//! - `wal_autocheckpoint=0` on the pull's connection, and after each listing a PASSIVE
//!   checkpoint of the records file on a thread with a connection of its own, while the pull
//!   writes the next listing (a checkpoint takes no write lock).
//! - The log restarts from its beginning only when a writer starts with every frame copied, so
//!   while the checkpoint runs behind the pull the log file would grow with each listing: once
//!   it is over [`RESTART_FRAMES`], the pull waits for the checkpoint to catch up before its
//!   next write.
//!
//! The settings are put back and a last checkpoint is waited for when the pull ends, however it
//! ends ([`Drop`]).

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::error::Result;
use crate::store::Store;

/// Log frames (pages, 4 KiB each) past which the pull lets the checkpoint catch up before its
/// next write, so the log restarts: about 64 MiB, a dozen listings of a school.
const RESTART_FRAMES: i64 = 16_384;

/// What the pull asked of the checkpoint thread and what it did.
#[derive(Default)]
struct State {
    /// Checkpoints asked for (one per saved listing).
    asked: u64,
    /// Of those, the ones a finished checkpoint covers.
    done: u64,
    /// Frames in the log at the last checkpoint.
    log_frames: i64,
    /// The pull is over: the thread ends once `done == asked`.
    ending: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The pull connection's settings while a school pull runs, and its checkpoint thread.
pub(super) struct PullWrites<'s> {
    conn: &'s Connection,
    synchronous: i64,
    autocheckpoint: Option<i64>,
    thread: Option<(Arc<Shared>, JoinHandle<()>)>,
}

impl<'s> PullWrites<'s> {
    /// Sets the pull's connection up; an on-disk store gets a checkpoint thread on a connection
    /// of its own (an in-memory one has no log).
    pub(super) fn start(store: &'s Store) -> Result<PullWrites<'s>> {
        let conn = store.conn();
        let synchronous: i64 = conn.query_row("PRAGMA records.synchronous", [], |r| r.get(0))?;
        let mut writes = PullWrites {
            conn,
            synchronous,
            autocheckpoint: None,
            thread: None,
        };
        conn.execute_batch("PRAGMA records.synchronous = NORMAL")?;
        if let Some(side) = store.records_connection()? {
            let autocheckpoint: i64 =
                conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))?;
            side.execute_batch("PRAGMA synchronous = FULL")?;
            conn.query_row("PRAGMA wal_autocheckpoint = 0", [], |_| Ok(()))?;
            writes.autocheckpoint = Some(autocheckpoint);
            let shared = Arc::new(Shared {
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
            });
            let theirs = shared.clone();
            let thread = std::thread::Builder::new()
                .name("rollbook-checkpoint".into())
                .spawn(move || checkpoint_loop(&side, &theirs))
                .map_err(|e| crate::error::Error::io("cannot start the checkpoint thread", e))?;
            writes.thread = Some((shared, thread));
        }
        Ok(writes)
    }

    /// Before a listing's write: when the log has grown past [`RESTART_FRAMES`], waits for the
    /// checkpoint to copy all of it, so this write starts the log again from its beginning.
    pub(super) fn before_write(&self) {
        if let Some((shared, _)) = &self.thread {
            let state = shared.lock();
            if state.log_frames > RESTART_FRAMES {
                wait_done(shared, state);
            }
        }
    }

    /// After a listing's commit: the checkpoint thread copies what it wrote.
    pub(super) fn after_commit(&self) {
        if let Some((shared, _)) = &self.thread {
            shared.lock().asked += 1;
            shared.changed.notify_all();
        }
    }
}

impl Drop for PullWrites<'_> {
    fn drop(&mut self) {
        if let Some((shared, thread)) = self.thread.take() {
            {
                let mut state = shared.lock();
                state.asked += 1;
                state.ending = true;
            }
            shared.changed.notify_all();
            let _ = thread.join();
        }
        if let Some(n) = self.autocheckpoint {
            let _ =
                self.conn
                    .query_row(&format!("PRAGMA wal_autocheckpoint = {n}"), [], |_| Ok(()));
        }
        let _ = self.conn.execute_batch(&format!(
            "PRAGMA records.synchronous = {}",
            self.synchronous
        ));
    }
}

/// Waits until every checkpoint asked for so far is done.
fn wait_done(shared: &Shared, mut state: std::sync::MutexGuard<'_, State>) {
    let target = state.asked;
    while state.done < target {
        state = shared
            .changed
            .wait(state)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// The checkpoint thread: one PASSIVE checkpoint whenever the pull has committed since the last
/// one (several commits meanwhile: one checkpoint for all), until the pull ends.
fn checkpoint_loop(side: &Connection, shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if state.done == state.asked {
            if state.ending {
                return;
            }
            state = shared
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        let target = state.asked;
        drop(state);
        // (busy, frames in the log, frames copied): a checkpoint that fails leaves the frames
        // in the log, where every reader finds them; the next one copies them.
        let log_frames = side
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the school pull's checkpoint failed");
                0
            });
        state = shared.lock();
        state.done = target;
        state.log_frames = log_frames;
        shared.changed.notify_all();
    }
}
