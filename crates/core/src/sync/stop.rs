//! When the engine stops: a deadline (`sync --wait --timeout`), or someone asking (Ctrl-C in the
//! CLI, the desktop app closing or rebuilding its engine). One mechanism for all of them,
//! honoured by the send loop, the reconcile listing and the waits between passes:
//!
//! - once stopping, no new request starts (an item armed `sending` whose POST has not left goes
//!   back to `pending`);
//! - requests in flight get until the cut: the deadline, or the grace given with the ask,
//!   whichever comes first. A POST cut there leaves its item `unknown`, exactly as after a
//!   crash, so the next run looks for it on the server before sending anything of its mark again;
//! - every answer that came back before the cut is written down, then the engine returns.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

/// Why the engine stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Its deadline passed.
    Deadline,
    /// It was asked to stop ([`StopSignal`]).
    Asked,
}

/// Asks an engine to stop. Clones ask the same engine; asking twice keeps the earlier cut.
#[derive(Debug, Clone)]
pub struct StopSignal(Arc<watch::Sender<Option<Instant>>>);

impl StopSignal {
    /// No new request starts from now; requests in flight are cut `grace` from now (at once
    /// for zero; `Duration::MAX`: they end on their own, within the API client's timeouts).
    pub fn stop_within(&self, grace: Duration) {
        let now = Instant::now();
        // A grace too long to represent is "never cut"; a year stands for it.
        let cut = now
            .checked_add(grace)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600));
        self.0.send_if_modified(|at| match at {
            Some(earlier) if *earlier <= cut => false,
            _ => {
                *at = Some(cut);
                true
            }
        });
    }

    /// Whether the engine was asked to stop.
    pub fn is_asked(&self) -> bool {
        self.0.borrow().is_some()
    }

    /// What a run given this signal checks (no deadline of its own): the school pull's.
    pub(crate) fn stop(&self) -> Stop {
        Stop {
            asked: self.0.clone(),
            deadline: None,
        }
    }
}

/// What the engine checks: the shared ask ([`StopSignal`]) and a deadline of its own.
#[derive(Debug, Clone)]
pub struct Stop {
    /// `Some(cut)` once asked: when requests in flight are cut.
    asked: Arc<watch::Sender<Option<Instant>>>,
    deadline: Option<Instant>,
}

impl Default for Stop {
    fn default() -> Self {
        Stop::new()
    }
}

impl Stop {
    /// Not stopping until asked.
    pub fn new() -> Stop {
        Stop {
            asked: Arc::new(watch::Sender::new(None)),
            deadline: None,
        }
    }

    /// A signal that asks this stop (and every copy of it).
    pub fn signal(&self) -> StopSignal {
        StopSignal(self.asked.clone())
    }

    /// A copy that also stops at `deadline` (the earlier deadline wins).
    pub fn until(&self, deadline: Instant) -> Stop {
        Stop {
            asked: self.asked.clone(),
            deadline: Some(self.deadline.map_or(deadline, |d| d.min(deadline))),
        }
    }

    /// Why no new request may start, if none may.
    pub fn reason(&self) -> Option<StopReason> {
        if self.asked.borrow().is_some() {
            Some(StopReason::Asked)
        } else if self.deadline.is_some_and(|d| d <= Instant::now()) {
            Some(StopReason::Deadline)
        } else {
            None
        }
    }

    /// Whether no new request may start.
    pub fn is_stopping(&self) -> bool {
        self.reason().is_some()
    }

    /// When requests in flight are cut (`None`: not planned).
    pub fn cut_at(&self) -> Option<Instant> {
        earliest(*self.asked.borrow(), self.deadline)
    }

    /// Resolves once no new request may start (to end a wait between passes).
    pub async fn stopping(&self) {
        self.wait_for(|asked, deadline| match asked {
            Some(_) => Some(Instant::now()),
            None => deadline,
        })
        .await
    }

    /// Resolves once requests in flight must be cut.
    pub async fn cut(&self) {
        self.wait_for(earliest).await
    }

    /// The next request of `set` to end, as [`JoinSet::join_next`]; at the cut every request
    /// still running is aborted (its result is a cancelled [`JoinError`]). `None`: none left.
    pub async fn join_next<T: 'static>(
        &self,
        set: &mut JoinSet<T>,
    ) -> Option<Result<T, JoinError>> {
        tokio::select! {
            biased;
            joined = set.join_next() => joined,
            () = self.cut() => {
                set.abort_all();
                set.join_next().await
            }
        }
    }

    /// Sleeps until the moment `at(asked cut, deadline)` names, again whenever an ask comes.
    async fn wait_for(&self, at: impl Fn(Option<Instant>, Option<Instant>) -> Option<Instant>) {
        let mut asked = self.asked.subscribe();
        loop {
            let when = at(*asked.borrow_and_update(), self.deadline);
            let sleep = async {
                match when {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = sleep => return,
                // The sender lives in `self`: this never ends in an error.
                _ = asked.changed() => {}
            }
        }
    }
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
