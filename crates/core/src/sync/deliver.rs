//! Carrying out a plan: POST chains with bounded concurrency, and reconcile offerings. HTTP
//! runs in spawned tasks over the shared client; every database write happens here, in the
//! engine's own task, between awaits.

use std::collections::VecDeque;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::task::{JoinError, JoinSet};

use crate::error::Result;
use crate::ids::Id;
use crate::outbox::ItemState;
use crate::secret::Secret;
use crate::sync::api::{Exchange, FailStage, ListFilter};
use crate::sync::classify::{classify_post, classify_read, PostOutcome, ReadOutcome};
use crate::sync::engine::{scrub, Engine};
use crate::sync::plan::reconcile_time;
use crate::sync::queue::{self, QueueItem};
use crate::sync::reconcile::{match_unknown, Candidate, Resolution};
use crate::sync::record::{might_be, parse_listing, Attendance, ServerRecord};
use crate::sync::status::{Duplicate, PassReport, QueueState};

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

/// A POST's task ended: the item and what came back.
struct Sent {
    armed: Armed,
    ex: Exchange,
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

impl Settled {
    fn new(sent: Sent, now: OffsetDateTime, school_id_set: bool) -> Settled {
        let Sent { armed, ex } = sent;
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
    /// Sends chains `concurrency` at a time.
    ///
    /// An item is committed `sending` ("armed") before its POST may leave. Up to `concurrency`
    /// items are kept armed ahead, so when an answer comes back the next POST leaves at once,
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
        let limit = self.config.concurrency.max(1);
        let result = loop {
            // An answer that stops the queue is written down before anything else leaves.
            let halt = stop || self.cancelled() || done.iter().any(|s| s.outcome.stops_queue());
            while !halt && inflight.len() < limit {
                let Some(next) = armed.pop_front() else {
                    break;
                };
                let api = self.api.clone();
                let token = shared_token.clone();
                inflight.spawn(async move {
                    let ex = api.create(&token, &next.body).await;
                    Sent { armed: next, ex }
                });
            }
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
        while self.stop.join_next(&mut inflight).await.is_some() {}
        let now = self.clock.now();
        for a in armed {
            queue::unarm(self.store.conn(), a.id, now)?;
        }
        // Nothing is in flight now; an item still `sending` lost its task: its outcome is unknown.
        queue::recover_interrupted(self.store.conn(), now)?;
        result
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` ... `COMMIT` (rolled back on error).
    fn in_one_commit<T>(&mut self, f: impl FnOnce(&mut Engine) -> Result<T>) -> Result<T> {
        self.store.conn().execute_batch("BEGIN IMMEDIATE")?;
        let result = f(self).and_then(|v| {
            self.store.conn().execute_batch("COMMIT")?;
            Ok(v)
        });
        if result.is_err() {
            let _ = self.store.conn().execute_batch("ROLLBACK");
        }
        result
    }

    /// A POST's task ended: its answer is classified, to be written down, unless it has none.
    fn collect(
        &self,
        joined: Result<Sent, JoinError>,
        done: &mut Vec<Settled>,
        report: &mut PassReport,
    ) {
        match joined {
            Ok(sent) => done.push(Settled::new(sent, self.clock.now(), self.school_id_set())),
            // Cut at the stop, on the wire: its item stays `sending`, recovered below as unknown.
            Err(e) if e.is_cancelled() => report.sent += 1,
            // A task that died leaves its item `sending`; it is recovered below.
            Err(_) => {}
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
        now: OffsetDateTime,
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

    /// Lists each offering's records (one GET each) and settles its unknown items.
    pub(crate) async fn reconcile(
        &mut self,
        offerings: Vec<Id>,
        token: &Secret,
        report: &mut PassReport,
    ) -> Result<()> {
        let shared_token = Arc::new(token.clone());
        let mut todo: VecDeque<Id> = offerings.into();
        let mut inflight: JoinSet<(Id, Exchange)> = JoinSet::new();
        let mut stop = false;
        let limit = self.config.concurrency.max(1);
        loop {
            while !stop && !self.cancelled() && inflight.len() < limit {
                let Some(offering) = todo.pop_front() else {
                    break;
                };
                let api = self.api.clone();
                let token = shared_token.clone();
                inflight.spawn(async move {
                    let ex = api
                        .list(&token, &ListFilter::Offering(offering.clone()))
                        .await;
                    (offering, ex)
                });
            }
            let Some(joined) = self.stop.join_next(&mut inflight).await else {
                break;
            };
            let Ok((offering, ex)) = joined else { continue };
            let outcome = self.in_one_commit(|e| e.on_list(&offering, &ex, token, report))?;
            stop |= outcome;
            self.publish(false);
        }
        Ok(())
    }

    /// Handles one offering's list answer; true when the rest of the reconcile must stop.
    fn on_list(
        &mut self,
        offering: &Id,
        ex: &Exchange,
        token: &Secret,
        report: &mut PassReport,
    ) -> Result<bool> {
        let mut stop = false;
        let now = self.clock.now();
        match ex {
            Exchange::Answered { .. } => self.reached_server(),
            Exchange::Failed {
                stage: FailStage::Connect,
                ..
            } => {
                self.went_offline(now);
                stop = true;
            }
            Exchange::Failed { .. } => {}
        }
        match classify_read(ex, now, self.school_id_set(), parse_listing) {
            ReadOutcome::Ok(listing) => {
                let filter = ListFilter::Offering(offering.clone());
                // Records of other offerings: the server answered another question, so a
                // record missing from its answer proves nothing. They are not cached either.
                let (records, others): (Vec<ServerRecord>, Vec<ServerRecord>) = listing
                    .records
                    .into_iter()
                    .partition(|r| filter.matches(&r.fields));
                let unreadable = &listing.unreadable;
                if !others.is_empty() || !unreadable.is_empty() {
                    let (others, skipped) = (others.len(), unreadable.len());
                    tracing::warn!(%offering, others, skipped, "the server listed records of other offerings or that Rollbook cannot read");
                }
                let may_hide = |fields: &Attendance| {
                    !others.is_empty() || unreadable.iter().any(|v| might_be(v, fields))
                };
                let unsure = self.settle(offering, &records, may_hide, now, report)?;
                if unsure.is_empty() {
                    self.reconcile_failures.remove(offering);
                } else {
                    let why = if others.is_empty() {
                        format!(
                            "it listed {} Rollbook cannot read that may be this one",
                            crate::error::count(unreadable.len() as u64, "record", "records")
                        )
                    } else {
                        format!(
                            "its list of this offering's records held {} of other offerings",
                            others.len()
                        )
                    };
                    let note = format!(
                        "unclear whether the server stored it: {why}; checking again later"
                    );
                    self.look_again_later(offering, unsure, &note, now)?;
                }
                self.succeeded(now)?;
            }
            ReadOutcome::Forbidden(msg) => {
                let msg = scrub(&msg, token);
                tracing::warn!(%offering, %msg, "the token cannot read attendance");
                let mut state = QueueState::load(&self.store)?;
                state.read_denied = Some(token.tag());
                state.save(&self.store)?;
                let note = format!(
                    "unclear whether the server stored it, and the token cannot read \
                     attendance to check ({msg}): use \"send again\" to resend it"
                );
                self.note_unknown(offering, &note, None, now)?;
                stop = true;
            }
            ReadOutcome::Blocked(blocked) => {
                self.block(blocked, token)?;
                stop = true;
            }
            ReadOutcome::Throttled { wait, message } => {
                let until = self.pause(wait, now)?;
                let note = format!("checking the server must wait: {}", scrub(&message, token));
                self.note_unknown(offering, &note, Some(until), now)?;
                stop = true;
            }
            ReadOutcome::Unavailable(msg)
            | ReadOutcome::Failed(msg)
            | ReadOutcome::NotFound(msg) => {
                let note = format!("could not check the server yet: {}", scrub(&msg, token));
                self.retry_unknown_later(offering, &note, now)?;
            }
        }
        Ok(stop)
    }

    /// Links found items, sends the others again, except those whose record the answer `may_hide`
    /// (it had elements that may be it): those are returned, still unknown, since sending them
    /// again could store a second copy. The listing answers for every unknown item of the
    /// offering, whatever its retry time; only one sent too recently for the server to have
    /// finished with it (`reconcile_after`) stays unknown when not found, to be looked for again.
    fn settle(
        &mut self,
        offering: &Id,
        records: &[ServerRecord],
        may_hide: impl Fn(&Attendance) -> bool,
        now: OffsetDateTime,
        report: &mut PassReport,
    ) -> Result<Vec<QueueItem>> {
        let conn = self.store.conn();
        let owned = queue::owned_server_ids(conn, offering)?;
        let mut candidates = Vec::new();
        for item in queue::unknown_items_of(conn, offering)? {
            let floor_us = queue::floor_us(conn, &item)?;
            candidates.push(Candidate { item, floor_us });
        }
        queue::upsert_records(conn, records, now)?;
        let mut unsure = Vec::new();
        for resolution in match_unknown(&candidates, records, &owned) {
            match resolution {
                Resolution::Found {
                    item,
                    record,
                    extra,
                } => {
                    let note = (!extra.is_empty()).then(|| {
                        let ids: Vec<&str> = extra.iter().map(Id::as_str).collect();
                        format!(
                            "found on the server; likely duplicates with the same fields: {} ({})",
                            crate::error::count(extra.len() as u64, "record", "records"),
                            ids.join(", ")
                        )
                    });
                    if queue::mark_synced(
                        conn,
                        item,
                        ItemState::Unknown,
                        &record,
                        note.as_deref(),
                        now,
                    )? {
                        report.reconciled += 1;
                        if !extra.is_empty() {
                            tracing::warn!(item, kept = %record.id, extra = extra.len(), "duplicates on the server");
                            report.duplicates.push(Duplicate {
                                outbox_id: item,
                                kept: record.id,
                                extra,
                            });
                        }
                    }
                }
                Resolution::NotFound { item } => {
                    let Some(i) = candidates.iter().map(|c| &c.item).find(|i| i.id == item) else {
                        continue;
                    };
                    if may_hide(&i.body) {
                        unsure.push(i.clone());
                        continue;
                    }
                    let grace = i.sent_at.map(|t| t + self.config.reconcile_after);
                    if let Some(until) = grace.filter(|t| *t > now) {
                        let note = "not on the server yet; looking again once the server has \
                                    had time to finish the request";
                        queue::transition(
                            conn,
                            item,
                            ItemState::Unknown,
                            ItemState::Unknown,
                            Some(note),
                            Some(until),
                            now,
                        )?;
                        continue;
                    }
                    // Sent again once the wait of its unclear answer is over (at once if it is).
                    let note = "not found on the server after an unclear answer: sending again";
                    queue::transition(
                        conn,
                        item,
                        ItemState::Unknown,
                        ItemState::Pending,
                        Some(note),
                        reconcile_time(i, self.config.reconcile_after).filter(|t| *t > now),
                        now,
                    )?;
                }
            }
        }
        Ok(unsure)
    }

    /// Keeps `items` of `offering` unknown with `note`, to be looked for again after a backoff
    /// that grows with the offering's failed listings in a row: one failed request is one step,
    /// however many items waited on it, and they are all looked for again together.
    fn look_again_later(
        &mut self,
        offering: &Id,
        items: Vec<QueueItem>,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let failures = self.reconcile_failures.entry(offering.clone()).or_insert(0);
        *failures = failures.saturating_add(1);
        let failures = *failures;
        let wait = self.backoff(failures);
        for item in items {
            queue::transition(
                self.store.conn(),
                item.id,
                ItemState::Unknown,
                ItemState::Unknown,
                Some(note),
                Some(now + wait),
                now,
            )?;
        }
        Ok(())
    }

    fn note_unknown(
        &mut self,
        offering: &Id,
        note: &str,
        next: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let conn = self.store.conn();
        for item in queue::unknown_items_of(conn, offering)? {
            queue::transition(
                conn,
                item.id,
                ItemState::Unknown,
                ItemState::Unknown,
                Some(note),
                next,
                now,
            )?;
        }
        Ok(())
    }

    fn retry_unknown_later(
        &mut self,
        offering: &Id,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let items = queue::unknown_items_of(self.store.conn(), offering)?;
        self.look_again_later(offering, items, note, now)
    }
}
