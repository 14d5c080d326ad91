//! The reconcile step of a pass: each offering with unknown items is listed (one GET each,
//! a few at a time) and its unknown items are settled from the listing, found (synced),
//! absent (sent again once their wait is over) or still unclear (looked for again later). The
//! matching itself is the pure [`super::reconcile`]; the POSTs are [`super::deliver`].

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use crate::error::Result;
use crate::ids::Id;
use crate::outbox::ItemState;
use crate::secret::Secret;
use crate::sync::api::{Exchange, FailStage, ListFilter};
use crate::sync::classify::{classify_read, ReadOutcome};
use crate::sync::engine::{scrub, Engine};
use crate::sync::plan::reconcile_time;
use crate::sync::queue::{self, QueueItem};
use crate::sync::reconcile::{match_unknown, Candidate, Resolution};
use crate::sync::record::{might_be, parse_listing, Attendance, ServerRecord};
use crate::sync::status::{Duplicate, PassReport, QueueState};

impl Engine {
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
        // As many listings at once as POSTs may be in flight now.
        let limit = self.adaptive.limit();
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
        now: DateTime<Utc>,
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
        now: DateTime<Utc>,
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
        next: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
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

    fn retry_unknown_later(&mut self, offering: &Id, note: &str, now: DateTime<Utc>) -> Result<()> {
        let items = queue::unknown_items_of(self.store.conn(), offering)?;
        self.look_again_later(offering, items, note, now)
    }
}
