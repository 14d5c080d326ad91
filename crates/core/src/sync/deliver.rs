//! Carrying out a plan's POSTs: chains, as many in flight and as fast as the engine's
//! [`super::adaptive`] controller allows (the listings of the reconcile step are
//! [`super::reconcile_pass`]). HTTP
//! runs in spawned tasks over the shared client; every database write happens here, in the
//! engine's own task, between awaits.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use tokio::task::{JoinError, JoinSet};

use crate::error::Result;
use crate::outbox::ItemState;
use crate::secret::Secret;
use crate::store::Writes;
use crate::sync::adaptive::Answer;
use crate::sync::api::{Exchange, FailStage};
use crate::sync::classify::{classify_post, PostOutcome};
use crate::sync::engine::{scrub, Engine};
use crate::sync::queue;
use crate::sync::record::Attendance;
use crate::sync::status::PassReport;

/// The state of a `send_chains` loop that one turn works on.
struct Turn<'a> {
    done: &'a mut Vec<Settled>,
    ready: &'a mut VecDeque<VecDeque<i64>>,
    stop: &'a mut bool,
    /// How many more items may be armed.
    room: usize,
}

/// What a settled POST means for the rest of the pass.
enum Next {
    /// The mark's next item may go.
    Continue,
    /// This mark waits; others go on.
    StopChain,
    /// Launch nothing more this pass (offline, paused, blocked).
    StopAll,
}

/// An item committed `sending` whose POST may leave, with the rest of its mark's chain.
struct Armed {
    chain: VecDeque<i64>,
    id: i64,
    attempt: u32,
    body: Attendance,
}

/// A POST's task ended: the item, what came back, when it left and when it came back.
struct Sent {
    armed: Armed,
    ex: Exchange,
    left: Instant,
    back: Instant,
}

/// A POST's answer, classified once, to be written down.
struct Settled {
    chain: VecDeque<i64>,
    id: i64,
    attempt: u32,
    outcome: PostOutcome,
    /// The server answered (whatever it said): it is reachable.
    answered: bool,
    /// The request left this computer (its connection opened).
    left: bool,
}

/// What a POST's answer says about the server's load, for the adaptive concurrency.
fn load_signal(outcome: &PostOutcome) -> Answer {
    match outcome {
        PostOutcome::Throttled { .. } => Answer::Refused,
        PostOutcome::Transient(_) => Answer::Failed,
        // An answer about the record or the token, or one unclear for another reason (a garbled
        // body, a drop): a slow one shows in its round trip.
        PostOutcome::Created(_)
        | PostOutcome::Rejected(_)
        | PostOutcome::Ambiguous(_)
        | PostOutcome::Blocked(_) => Answer::Fine,
    }
}

impl Settled {
    fn new(sent: Sent, now: DateTime<Utc>, school_id_set: bool) -> Settled {
        let Sent { armed, ex, .. } = sent;
        Settled {
            outcome: classify_post(&ex, &armed.body, now, school_id_set),
            answered: matches!(ex, Exchange::Answered { .. }),
            left: !matches!(
                ex,
                Exchange::Failed {
                    stage: FailStage::Connect,
                    ..
                }
            ),
            chain: armed.chain,
            id: armed.id,
            attempt: armed.attempt,
        }
    }
}

impl Engine {
    /// Sends chains as many at a time and as fast as [`Engine::adaptive`] allows (at most
    /// `concurrency`).
    ///
    /// An item is committed `sending` ("armed") before its POST may leave. As many items as may
    /// be in flight are kept armed ahead, so when an answer comes back the next POST leaves at once,
    /// and the answer is written down afterwards, together with the arming of the next items,
    /// in one commit (with `synchronous=FULL` each commit is a disk flush: one per turn, not
    /// two per item). Armed items that never left go back to `pending`.
    pub(crate) async fn send_chains(
        &mut self,
        chains: Vec<Vec<i64>>,
        token: &Secret,
        report: &mut PassReport,
    ) -> Result<()> {
        let shared_token = Arc::new(token.clone());
        let mut ready: VecDeque<VecDeque<i64>> = chains.into_iter().map(VecDeque::from).collect();
        let mut armed: VecDeque<Armed> = VecDeque::new();
        let mut inflight: JoinSet<Sent> = JoinSet::new();
        let mut done: Vec<Settled> = Vec::new();
        let mut stop = false;
        let result = loop {
            // An answer that stops the queue is written down before anything else leaves.
            let halt = stop || self.cancelled() || done.iter().any(|s| s.outcome.stops_queue());
            while !halt && self.adaptive.may_start(Instant::now()) {
                let Some(next) = armed.pop_front() else {
                    break;
                };
                let api = self.api.clone();
                let token = shared_token.clone();
                let left = Instant::now();
                self.adaptive.started(left);
                inflight.spawn(async move {
                    let ex = api.create(&token, &next.body).await;
                    Sent {
                        armed: next,
                        ex,
                        left,
                        back: Instant::now(),
                    }
                });
            }
            let limit = self.adaptive.limit();
            let arm_more = !halt && armed.len() < limit && !ready.is_empty();
            if !done.is_empty() || arm_more {
                let turn = Turn {
                    done: &mut done,
                    ready: &mut ready,
                    stop: &mut stop,
                    room: limit.saturating_sub(armed.len()),
                };
                match self.in_one_commit(|engine| engine.turn(turn, token, report)) {
                    Ok(launches) => armed.extend(launches),
                    Err(e) => break Err(e),
                }
                self.publish(false);
                continue;
            }
            // The pace holds the next armed POST back: wait for it, or for an answer.
            let paced = (!halt && !armed.is_empty())
                .then(|| self.adaptive.next_start())
                .flatten();
            if let Some(at) = paced {
                let at = tokio::time::Instant::from_std(at);
                tokio::select! {
                    joined = self.stop.join_next(&mut inflight), if !inflight.is_empty() => {
                        if let Some(joined) = joined {
                            self.collect(joined, &mut done, report);
                        }
                    }
                    () = tokio::time::sleep_until(at) => {}
                    () = self.stop.stopping() => {}
                }
                continue;
            }
            // At the stop's cut, POSTs still in flight are aborted.
            match self.stop.join_next(&mut inflight).await {
                None => break Ok(()),
                Some(joined) => self.collect(joined, &mut done, report),
            }
            while let Some(joined) = inflight.try_join_next() {
                self.collect(joined, &mut done, report);
            }
        };
        // Wait out what is in flight (on error too, until the stop's cut) so nothing is left
        // behind unrecorded.
        while self.stop.join_next(&mut inflight).await.is_some() {
            self.adaptive.abandoned();
        }
        let now = self.clock.now();
        for a in armed {
            queue::unarm(self.store.conn(), a.id, now)?;
        }
        // Nothing is in flight now; an item still `sending` lost its task: its outcome is unknown.
        queue::recover_interrupted(self.store.conn(), now)?;
        result
    }

    /// Runs `f` inside one commit ([`queue::Atomic`]; rolled back on error).
    pub(super) fn in_one_commit<T>(
        &mut self,
        f: impl FnOnce(&mut Engine) -> Result<T>,
    ) -> Result<T> {
        let atomic = queue::Atomic::begin(self.store.conn(), Writes::Both)?;
        let result = f(self);
        atomic.end(self.store.conn(), result)
    }

    /// A POST's task ended: its answer is classified, to be written down, unless it has none.
    fn collect(
        &mut self,
        joined: Result<Sent, JoinError>,
        done: &mut Vec<Settled>,
        report: &mut PassReport,
    ) {
        match joined {
            Ok(sent) => {
                let (left, back) = (sent.left, sent.back);
                let settled = Settled::new(sent, self.clock.now(), self.school_id_set());
                self.adaptive
                    .finished(left, back, load_signal(&settled.outcome));
                done.push(settled);
            }
            // Cut at the stop, on the wire: its item stays `sending`, recovered below as unknown.
            Err(e) if e.is_cancelled() => {
                self.adaptive.abandoned();
                report.sent += 1;
            }
            // A task that died leaves its item `sending`; it is recovered below.
            Err(_) => self.adaptive.abandoned(),
        }
    }

    /// Writes down the answers that came back, then marks the next items `sending`.
    fn turn(&mut self, t: Turn<'_>, token: &Secret, report: &mut PassReport) -> Result<Vec<Armed>> {
        for Settled {
            chain,
            id,
            attempt,
            outcome,
            answered,
            left,
        } in t.done.drain(..)
        {
            let now = self.clock.now();
            if answered {
                self.reached_server();
            }
            // A POST whose connection never opened did not leave this computer.
            if left {
                report.sent += 1;
            }
            match self.apply_post(id, attempt, outcome, token, now, report)? {
                Next::Continue if !chain.is_empty() => t.ready.push_front(chain),
                Next::Continue | Next::StopChain => {}
                Next::StopAll => *t.stop = true,
            }
        }
        let mut launches = Vec::new();
        let now = self.clock.now();
        while !*t.stop && !self.cancelled() && launches.len() < t.room {
            let Some(mut chain) = t.ready.pop_front() else {
                break;
            };
            let Some(id) = chain.pop_front() else {
                continue;
            };
            // None: changed since the plan (discarded, no longer pending): next pass decides.
            if let Some((body, attempt)) = queue::mark_sending(self.store.conn(), id, now)? {
                launches.push(Armed {
                    chain,
                    id,
                    attempt,
                    body,
                });
            }
        }
        Ok(launches)
    }

    fn apply_post(
        &mut self,
        id: i64,
        attempt: u32,
        outcome: PostOutcome,
        token: &Secret,
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Result<Next> {
        Ok(match outcome {
            PostOutcome::Created(record) => {
                tracing::debug!(item = id, server_id = %record.id, "delivered");
                match queue::mark_synced(
                    self.store.conn(),
                    id,
                    ItemState::Sending,
                    &record,
                    None,
                    now,
                ) {
                    Ok(_) => {
                        report.confirmed += 1;
                        self.succeeded(now)?;
                        Next::Continue
                    }
                    Err(e) => {
                        // E.g. the server gave an id another item owns: do not trust it.
                        let msg = format!("the server's answer could not be recorded: {e}");
                        queue::transition(
                            self.store.conn(),
                            id,
                            ItemState::Sending,
                            ItemState::Unknown,
                            Some(&msg),
                            None,
                            now,
                        )?;
                        Next::StopChain
                    }
                }
            }
            PostOutcome::Rejected(reason) => {
                let reason = scrub(&reason, token);
                tracing::info!(item = id, %reason, "rejected by the server");
                queue::transition(
                    self.store.conn(),
                    id,
                    ItemState::Sending,
                    ItemState::Rejected,
                    Some(&reason),
                    None,
                    now,
                )?;
                report.rejected += 1;
                Next::Continue
            }
            PostOutcome::Ambiguous(msg) => {
                let msg = scrub(&msg, token);
                tracing::info!(item = id, %msg, "outcome unknown: will check the server");
                let wait = self.backoff(attempt).max(self.config.reconcile_after);
                let note = format!("unclear whether the server stored it ({msg}); checking");
                queue::transition(
                    self.store.conn(),
                    id,
                    ItemState::Sending,
                    ItemState::Unknown,
                    Some(&note),
                    Some(now + wait),
                    now,
                )?;
                Next::StopChain
            }
            PostOutcome::Transient(msg) => {
                let msg = scrub(&msg, token);
                tracing::info!(item = id, %msg, "not sent: server unreachable");
                let wait = self.backoff(attempt);
                queue::transition(
                    self.store.conn(),
                    id,
                    ItemState::Sending,
                    ItemState::Pending,
                    Some(&msg),
                    Some(now + wait),
                    now,
                )?;
                self.went_offline(now);
                Next::StopAll
            }
            PostOutcome::Throttled { wait, message } => {
                let until = self.pause(wait, now)?;
                let msg = format!("the server asked to wait: {}", scrub(&message, token));
                queue::transition(
                    self.store.conn(),
                    id,
                    ItemState::Sending,
                    ItemState::Pending,
                    Some(&msg),
                    Some(until),
                    now,
                )?;
                Next::StopAll
            }
            PostOutcome::Blocked(blocked) => {
                let msg = scrub(&blocked.message, token);
                queue::transition(
                    self.store.conn(),
                    id,
                    ItemState::Sending,
                    ItemState::Pending,
                    Some(&msg),
                    None,
                    now,
                )?;
                self.block(blocked, token)?;
                Next::StopAll
            }
        })
    }
}
