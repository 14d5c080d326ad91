//! How many requests to keep in flight, found by watching the server answer: the delivery of
//! the outbox ([`super::deliver`], [`super::reconcile_pass`]) and the school pull
//! ([`super::pull_all`]) ask an [`Adaptive`] before each request leaves and tell it each answer.
//!
//! - **Concurrency** starts at [`START`] (at most the ceiling) and doubles each round trip while
//!   the answers per second grow by a fifth and the round trip holds; then it grows by one a
//!   round trip while the rate holds, and shrinks by a fifth when the round trip grows past
//!   twice the fastest seen (the server is queueing: more in flight only waits longer). An
//!   error that is not an answer (a timeout, a refused connection) halves it. It never exceeds
//!   the ceiling (the setting, `--concurrency`).
//! - **Pacing**: a server that refuses instead of queueing (429/503, a rate limit) does not get
//!   slower, so concurrency alone cannot find it. A refusal gives an upper bound of the rate
//!   the server takes: the answers it accepted since sending last resumed, a second, and no
//!   more than the pace refused. Requests then leave at most at a pace: the highest pace that
//!   ran [`CLEAN`] without a refusal (kept under [`BELOW_REFUSED`] × the bound), or half the
//!   bound when none did yet. After each [`CLEAN`] without a refusal the pace moves halfway
//!   to the bound, until it is within [`CLOSE_ENOUGH`] of it; after [`PROBE_EVERY`] there the
//!   bound is raised by [`PROBE`], so a server that takes more again is found. Each refusal
//!   costs the whole queue the server's `Retry-After`, so the search converges in a few and
//!   then stays under the rate. Refusals of requests that left before the last one was taken
//!   into account are the same event, not new ones.
//!
//! The waits the server asks for (`Retry-After`) are the engine's, as before: this decides
//! only how fast requests leave once sending is allowed. It is a pure state machine over the
//! instants it is given, so its tests run a modelled server in simulated time.

use std::time::{Duration, Instant};

/// Requests in flight at first (the former fixed concurrency).
pub const START: usize = 8;
/// A pace that ran this long without a refusal is known to be taken.
pub const CLEAN: Duration = Duration::from_secs(2);
/// A bound measured at a pace over this long is close to the server's rate.
const SETTLED: Duration = Duration::from_millis(500);
/// A pace known to be taken stays under this share of a later refusal's bound.
pub const BELOW_REFUSED: f64 = 0.95;
/// The pace stops moving towards the bound when within this share of it.
pub const CLOSE_ENOUGH: f64 = 0.06;
/// How long the pace stays close under the bound before the bound is raised by [`PROBE`].
pub const PROBE_EVERY: Duration = Duration::from_secs(30);
pub const PROBE: f64 = 1.05;

/// What became of a request, for the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The server answered (created, listed, or refused the record itself: a 4xx about it).
    Fine,
    /// 429 / 503: the server takes no more now.
    Refused,
    /// No answer: a timeout, a dropped or refused connection, a 5xx.
    Failed,
}

/// The answers of one round trip at the current concurrency.
#[derive(Debug, Clone, Copy)]
struct Round {
    started: Instant,
    answers: u32,
    latency_sum: Duration,
}

impl Round {
    fn new(now: Instant) -> Round {
        Round {
            started: now,
            answers: 0,
            latency_sum: Duration::ZERO,
        }
    }
}

/// The controller: see the module documentation.
#[derive(Debug, Clone)]
pub struct Adaptive {
    /// Kept at the ceiling whatever the answers (measurements of a fixed concurrency).
    fixed: bool,
    ceiling: usize,
    limit: f64,
    growing_fast: bool,
    in_flight: usize,
    round: Round,
    /// Answers per second of the last finished round.
    last_rate: Option<f64>,
    /// The fastest mean round trip of a round so far.
    fastest: Option<Duration>,
    /// Requests a second, once the server refused some.
    pace: Option<f64>,
    /// The rate the server takes is below this (the last refusal's bound, or a probe above it).
    upper: Option<f64>,
    /// The highest pace that ran [`CLEAN`] without a refusal.
    lower: Option<f64>,
    /// When the pace was last set by a refusal; refusals of requests that left before it are
    /// the event already taken into account.
    refused_at: Option<Instant>,
    /// When the pace last changed or sending resumed (`None`: not yet since a refusal), and
    /// the answers accepted since: the pace is clean [`CLEAN`] after it.
    pace_since: Option<Instant>,
    accepted_at_pace: u32,
    /// Since when the pace has been close under the bound.
    close_since: Option<Instant>,
    /// The earliest instant the next request may leave, when paced.
    next_start: Option<Instant>,
}

impl Adaptive {
    /// A controller that keeps at most `ceiling` requests in flight (at least 1).
    pub fn new(ceiling: usize, now: Instant) -> Adaptive {
        let ceiling = ceiling.max(1);
        Adaptive {
            fixed: false,
            ceiling,
            limit: START.min(ceiling) as f64,
            growing_fast: true,
            in_flight: 0,
            round: Round::new(now),
            last_rate: None,
            fastest: None,
            pace: None,
            upper: None,
            lower: None,
            refused_at: None,
            pace_since: None,
            accepted_at_pace: 0,
            close_since: None,
            next_start: None,
        }
    }

    /// A concurrency of `n` that never moves and no pace: what a fixed setting does, for the
    /// benchmarks' comparison.
    pub fn fixed(n: usize, now: Instant) -> Adaptive {
        let mut fixed = Adaptive::new(n, now);
        fixed.fixed = true;
        fixed.limit = fixed.ceiling as f64;
        fixed
    }

    /// How many requests may be in flight now.
    pub fn limit(&self) -> usize {
        (self.limit.floor() as usize).clamp(1, self.ceiling)
    }

    /// Requests a second it keeps to, once the server refused some.
    pub fn pace(&self) -> Option<f64> {
        self.pace
    }

    /// Whether another request may leave at `now`: fewer than [`Self::limit`] in flight and
    /// the pace allows it. When only the pace holds it back, [`Self::next_start`] says until
    /// when.
    pub fn may_start(&self, now: Instant) -> bool {
        self.in_flight < self.limit() && self.next_start.is_none_or(|at| at <= now)
    }

    /// When the pace lets the next request leave (`None`: at once).
    pub fn next_start(&self) -> Option<Instant> {
        self.next_start
    }

    /// A request leaves at `now`.
    pub fn started(&mut self, now: Instant) {
        if self.in_flight == 0 {
            // After a quiet spell (a pause, a pass that had nothing to send) the rate is
            // measured afresh.
            self.round = Round::new(now);
        }
        self.in_flight += 1;
        if self.pace_since.is_none() {
            self.pace_since = Some(now);
            self.accepted_at_pace = 0;
        }
        if let Some(pace) = self.pace {
            let gap = Duration::from_secs_f64(1.0 / pace);
            // At most one request of catch-up after a late start.
            let base = self
                .next_start
                .map_or(now, |at| at.max(now.checked_sub(gap).unwrap_or(now)));
            self.next_start = Some(base + gap);
        }
    }

    /// A request that left was cut (a stop) and has no answer to learn from.
    pub fn abandoned(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The request that left at `left` was answered (or failed) at `now`.
    pub fn finished(&mut self, left: Instant, now: Instant, answer: Answer) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.fixed {
            return;
        }
        match answer {
            Answer::Fine => {
                self.accepted_at_pace += 1;
                self.round.answers += 1;
                self.round.latency_sum += now.saturating_duration_since(left);
                self.probe_pace(now);
                if self.round.answers as usize >= self.limit().max(2) {
                    self.end_round(now);
                }
            }
            Answer::Refused => {
                if self.refused_at.is_some_and(|at| left < at) {
                    return;
                }
                self.refused(now);
                self.growing_fast = false;
                self.next_start = None;
                self.round = Round::new(now);
                self.last_rate = None;
            }
            Answer::Failed => {
                self.limit = (self.limit / 2.0).max(1.0);
                self.growing_fast = false;
                self.round = Round::new(now);
                self.last_rate = None;
            }
        }
    }

    /// A new refusal: the bound comes down and the pace with it.
    fn refused(&mut self, now: Instant) {
        // Sending above the rate, the server takes the rate and what its burst allows: the
        // answers accepted at this pace, a second, are at least the rate, and so is the pace.
        let sending = self.pace_since.map(|at| now.duration_since(at));
        let accepted = sending.map(|t| {
            f64::from(self.accepted_at_pace.max(1)) / t.max(Duration::from_millis(1)).as_secs_f64()
        });
        let bound = match (accepted, self.pace) {
            (Some(a), Some(p)) => a.min(p),
            (Some(a), None) => a,
            (None, Some(p)) => p,
            (None, None) => START as f64,
        };
        self.upper = Some(bound);
        self.lower = self.lower.map(|l| l.min(BELOW_REFUSED * bound));
        // With no pace known to be taken yet: half the bound when it was measured over a
        // moment (the server's burst inflates it), just under it when over a while.
        let settled = self.pace.is_some() && sending.is_some_and(|t| t >= SETTLED);
        let first = if settled {
            BELOW_REFUSED * bound
        } else {
            bound / 2.0
        };
        self.pace = Some(self.lower.unwrap_or(first).max(0.1));
        self.refused_at = Some(now);
        self.close_since = None;
        self.pace_since = None;
    }

    /// A pace that ran clean is known to be taken: it moves halfway to the bound, or, close
    /// under it for long, the bound is probed.
    fn probe_pace(&mut self, now: Instant) {
        let (Some(pace), Some(upper)) = (self.pace, self.upper) else {
            return;
        };
        let Some(since) = self.pace_since else { return };
        if now.duration_since(since) < CLEAN {
            return;
        }
        self.lower = Some(self.lower.map_or(pace, |l| l.max(pace)));
        if upper - pace > CLOSE_ENOUGH * upper {
            self.pace = Some((pace + upper) / 2.0);
            self.pace_since = Some(now);
            self.accepted_at_pace = 0;
            self.close_since = None;
        } else {
            let close = *self.close_since.get_or_insert(now);
            if now.duration_since(close) >= PROBE_EVERY {
                self.upper = Some(upper * PROBE);
                self.close_since = None;
            }
        }
    }

    /// A round trip's worth of answers came back: the concurrency moves.
    fn end_round(&mut self, now: Instant) {
        let round = std::mem::replace(&mut self.round, Round::new(now));
        let elapsed = now.duration_since(round.started).as_secs_f64().max(1e-6);
        let rate = f64::from(round.answers) / elapsed;
        let latency = round.latency_sum / round.answers.max(1);
        let fastest = *self.fastest.get_or_insert(latency);
        self.fastest = Some(fastest.min(latency));
        let queueing = latency > fastest * 2 + Duration::from_millis(2);
        let ceiling = self.ceiling as f64;
        if queueing {
            self.limit = (self.limit * 0.8).max(1.0);
            self.growing_fast = false;
        } else if self.growing_fast {
            match self.last_rate {
                Some(last) if rate < last * 1.2 => self.growing_fast = false,
                _ => self.limit = (self.limit * 2.0).min(ceiling),
            }
        } else if self.last_rate.is_none_or(|last| rate >= last * 0.97) {
            self.limit = (self.limit + 1.0).min(ceiling);
        }
        self.last_rate = Some(rate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A modelled server in simulated time: each request takes `latency` plus `per_request`
    /// for each other request in flight (a server that queues), and a token bucket of `rate`
    /// a second holding a tenth of a second (athena-sim's rate limit) refuses the rest; a
    /// refusal pauses sending for `retry_after`, as the engine does. Returns the answers per
    /// second accepted over `total` requests and the share refused.
    struct Model {
        latency: Duration,
        per_request: Duration,
        rate: Option<f64>,
        retry_after: Duration,
        ceiling: usize,
    }

    struct Run {
        accepted_per_second: f64,
        refused_share: f64,
        final_limit: usize,
    }

    impl Model {
        fn run(&self, total: usize) -> Run {
            let t0 = Instant::now();
            let mut now = t0;
            let mut ctl = Adaptive::new(self.ceiling, now);
            let mut in_flight: Vec<(Instant, Instant, bool)> = Vec::new(); // (left, done, refused)
            let capacity = self.rate.map_or(0.0, |r| (r / 10.0).max(1.0));
            let (mut tokens, mut token_at) = (capacity, now);
            let (mut accepted, mut refused) = (0usize, 0usize);
            let mut paused_until = now;
            let step = Duration::from_micros(100);
            while accepted < total {
                // Answers due now.
                in_flight.sort_by_key(|(_, done, _)| *done);
                while in_flight.first().is_some_and(|(_, done, _)| *done <= now) {
                    let (left, _, was_refused) = in_flight.remove(0);
                    if was_refused {
                        refused += 1;
                        paused_until = paused_until.max(now + self.retry_after);
                        ctl.finished(left, now, Answer::Refused);
                    } else {
                        accepted += 1;
                        ctl.finished(left, now, Answer::Fine);
                    }
                }
                while now >= paused_until && ctl.may_start(now) {
                    ctl.started(now);
                    let load = self.per_request * in_flight.len() as u32;
                    let refuse = self.rate.is_some_and(|r| {
                        tokens =
                            (tokens + now.duration_since(token_at).as_secs_f64() * r).min(capacity);
                        token_at = now;
                        if tokens >= 1.0 {
                            tokens -= 1.0;
                            false
                        } else {
                            true
                        }
                    });
                    in_flight.push((now, now + self.latency + load, refuse));
                }
                now += step;
            }
            Run {
                accepted_per_second: accepted as f64 / now.duration_since(t0).as_secs_f64(),
                refused_share: refused as f64 / (accepted + refused) as f64,
                final_limit: ctl.limit(),
            }
        }
    }

    #[test]
    fn against_a_server_that_never_slows_down_it_reaches_the_ceiling() {
        let model = Model {
            latency: Duration::from_millis(20),
            per_request: Duration::ZERO,
            rate: None,
            retry_after: Duration::from_secs(1),
            ceiling: 32,
        };
        let run = model.run(10_000);
        assert_eq!(run.final_limit, 32);
        // The bound is 32 / 20 ms = 1,600 a second.
        assert!(
            run.accepted_per_second > 0.9 * 1_600.0,
            "{} a second",
            run.accepted_per_second
        );
    }

    #[test]
    fn against_a_server_that_queues_it_stops_where_more_only_waits_longer() {
        // Each request in flight adds 5 ms to every new one: past a few, a request only waits.
        let model = Model {
            latency: Duration::from_millis(20),
            per_request: Duration::from_millis(5),
            rate: None,
            retry_after: Duration::from_secs(1),
            ceiling: 64,
        };
        let run = model.run(5_000);
        assert!(run.final_limit < 16, "limit {}", run.final_limit);
        // With c in flight a request takes 20 + 5 (c - 1) ms; the rate c / that is within 10 %
        // of its best (200 a second) from c = 8 on.
        assert!(
            run.accepted_per_second > 0.7 * 200.0,
            "{} a second",
            run.accepted_per_second
        );
    }

    #[test]
    fn against_a_rate_limit_it_keeps_close_to_the_rate_and_is_rarely_refused() {
        // Learning the rate costs a few refusals, each a `Retry-After` of the whole queue: over
        // 10,000 requests that is within a tenth up to 200 a second.
        for rate in [50.0, 100.0, 200.0] {
            let model = Model {
                latency: Duration::from_millis(20),
                per_request: Duration::ZERO,
                rate: Some(rate),
                retry_after: Duration::from_secs(1),
                ceiling: 32,
            };
            let run = model.run(10_000);
            assert!(
                run.accepted_per_second > 0.9 * rate && run.accepted_per_second <= rate * 1.01,
                "rate {rate}: {} a second",
                run.accepted_per_second
            );
            assert!(
                run.refused_share < 0.02,
                "rate {rate}: {:.1} % refused",
                run.refused_share * 100.0
            );
        }
    }

    #[test]
    fn a_failure_halves_the_concurrency_and_the_ceiling_holds() {
        let now = Instant::now();
        let mut ctl = Adaptive::new(4, now);
        assert_eq!(ctl.limit(), 4, "the start is at most the ceiling");
        ctl.started(now);
        ctl.finished(now, now + Duration::from_millis(20), Answer::Failed);
        assert_eq!(ctl.limit(), 2);
        assert_eq!(Adaptive::new(0, now).limit(), 1);
    }

    #[test]
    fn refusals_of_requests_already_in_flight_are_one_event() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut ctl = Adaptive::new(32, t0);
        for i in 0..8 {
            ctl.started(ms(i));
        }
        for i in 0..4 {
            ctl.finished(ms(i), ms(i + 20), Answer::Fine);
        }
        ctl.finished(ms(4), ms(30), Answer::Refused);
        let pace = ctl.pace().expect("a refusal sets a pace");
        ctl.finished(ms(5), ms(31), Answer::Refused);
        ctl.finished(ms(6), ms(32), Answer::Refused);
        assert_eq!(
            ctl.pace(),
            Some(pace),
            "left before the first refusal counted"
        );
        ctl.started(ms(40));
        ctl.finished(ms(40), ms(60), Answer::Refused);
        assert!(
            ctl.pace().unwrap() < pace,
            "a request paced anew and refused lowers it"
        );
    }
}
