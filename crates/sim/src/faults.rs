//! Fault injection: the ways a real network and a real API fail a client.
//!
//! Each request of a method the faults apply to (POST by default) first waits the fixed latency,
//! then takes at most one fault: a queued one from [`crate::SimHandle::fail_next`] if any, else
//! one drawn with the configured probabilities from a seeded `StdRng`, so a run is reproducible
//! for a given seed and request order. What each fault does to `POST /academic/attendance`:
//!
//! | kind | response | record stored? |
//! | --- | --- | --- |
//! | `500` / `502` | 500 JSON / 502 HTML | no |
//! | `429` / `503` | with `Retry-After` (seconds or HTTP-date) | no |
//! | `drop_before` | connection closed, no response | no |
//! | `drop_after` | connection closed, no response | **yes** |
//! | `garbage` | 201 with a truncated JSON body | **yes** |
//! | `html` | 200 `text/html` (a captive portal or proxy answered) | no |
//! | `wrong_types` | 201, well-formed JSON with fields of the wrong types | **yes** |
//! | `huge_body` | 201 whose body never fits a client's cap (96 MiB, streamed) | **yes** |
//! | `slow_drip` | 201 at once, then the body a few bytes at a time (minutes) | **yes** |
//! | `wrong_record` | 201 with a valid record that is not the one sent | **yes** |
//!
//! With `methods=get` or `all` the same kinds hit GETs; what the last four do to a list or a
//! student is told in [`crate::nonsense`].
//!
//! A rate limit (`rate=N`, [`Faults::with_rate_limit`]) is a server that takes N requests a
//! second of the methods faults apply to: a token bucket refilled at N a second holding a tenth
//! of a second's worth (at least one); a request that finds it empty is answered 429 with the
//! configured `Retry-After`, counted as an injected `429`, and nothing is stored.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, SystemTime};

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// One kind of injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// 500 Internal Server Error with a JSON body; nothing stored.
    ServerError,
    /// 502 Bad Gateway with an HTML body (a proxy's page); nothing stored.
    BadGateway,
    /// 429 Too Many Requests with `Retry-After`; nothing stored.
    TooManyRequests,
    /// 503 Service Unavailable with `Retry-After`; nothing stored.
    Unavailable,
    /// The connection is closed before the record is stored; no response.
    DropBefore,
    /// The record is stored, then the connection is closed; no response.
    DropAfter,
    /// The record is stored and a 2xx comes back with a truncated, unparsable JSON body.
    Garbage,
    /// A 200 `text/html` page instead of the API's answer; nothing stored.
    Html,
    /// The record is stored and a 2xx comes back with well-formed JSON of the wrong shape: an
    /// `id` that is a number, a `status` of 42, an `attendance_date` of "yesterday"; a list that
    /// is an object, or an array of such records.
    WrongTypes,
    /// The record is stored and a 2xx comes back whose body (the answer after 96 MiB of
    /// whitespace, streamed without `Content-Length`) is far larger than any client's cap.
    HugeBody,
    /// The record is stored and a 2xx comes back at once whose body trickles a few bytes at a
    /// time for minutes, so the client's request timeout fires mid-body.
    SlowDrip,
    /// The record is stored and a 201 comes back with a valid record that is not the one sent
    /// (another status, or another student); a list answers another question (records its
    /// filter leaves out).
    WrongRecord,
}

impl FaultKind {
    /// Every kind, in the order probabilities are drawn.
    pub const ALL: [FaultKind; 12] = [
        FaultKind::ServerError,
        FaultKind::BadGateway,
        FaultKind::TooManyRequests,
        FaultKind::Unavailable,
        FaultKind::DropBefore,
        FaultKind::DropAfter,
        FaultKind::Garbage,
        FaultKind::Html,
        FaultKind::WrongTypes,
        FaultKind::HugeBody,
        FaultKind::SlowDrip,
        FaultKind::WrongRecord,
    ];

    /// The key of this kind in a fault spec (`500`, `drop_after`, ...).
    pub fn key(self) -> &'static str {
        match self {
            FaultKind::ServerError => "500",
            FaultKind::BadGateway => "502",
            FaultKind::TooManyRequests => "429",
            FaultKind::Unavailable => "503",
            FaultKind::DropBefore => "drop_before",
            FaultKind::DropAfter => "drop_after",
            FaultKind::Garbage => "garbage",
            FaultKind::Html => "html",
            FaultKind::WrongTypes => "wrong_types",
            FaultKind::HugeBody => "huge_body",
            FaultKind::SlowDrip => "slow_drip",
            FaultKind::WrongRecord => "wrong_record",
        }
    }

    /// The kind named by a spec key.
    pub fn from_key(key: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.key() == key)
    }

    fn index(self) -> usize {
        FaultKind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// How many fault kinds there are.
const KINDS: usize = FaultKind::ALL.len();

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The `Retry-After` header sent with 429 and 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <n>` (delta seconds). Spec: `retry_after=N`.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>` n seconds from now. Spec: `retry_after=date:N`.
    HttpDate(u64),
    /// No header. Spec: `retry_after=none`.
    Omit,
}

/// Which request methods faults (and latency) apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultMethods {
    /// `POST /academic/attendance`.
    pub post: bool,
    /// Every GET.
    pub get: bool,
}

/// A fault configuration. `Faults::default()` injects nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Fixed delay before handling each request, in milliseconds.
    pub latency_ms: u64,
    /// `Retry-After` of 429 and 503 answers.
    pub retry_after: RetryAfter,
    /// Methods the faults apply to (default: POST only).
    pub methods: FaultMethods,
    /// Seed of the random draw; setting a configuration reseeds it.
    pub seed: u64,
    /// Requests a second the server takes before answering 429 (`None`: no limit).
    pub rate_limit: Option<u32>,
    probabilities: [f64; KINDS],
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: 0,
            retry_after: RetryAfter::Seconds(1),
            methods: FaultMethods {
                post: true,
                get: false,
            },
            seed: 0,
            rate_limit: None,
            probabilities: [0.0; KINDS],
        }
    }
}

/// A fault spec that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault spec: {0}")]
pub struct FaultSpecError(String);

impl Faults {
    /// No faults, no latency.
    pub fn none() -> Faults {
        Faults::default()
    }

    /// Sets the probability (clamped to 0..=1) of one kind.
    pub fn with(mut self, kind: FaultKind, probability: f64) -> Faults {
        let p = if probability.is_nan() {
            0.0
        } else {
            probability.clamp(0.0, 1.0)
        };
        self.probabilities[kind.index()] = p;
        self
    }

    /// Sets the fixed latency.
    pub fn with_latency_ms(mut self, ms: u64) -> Faults {
        self.latency_ms = ms;
        self
    }

    /// Takes at most `per_second` requests a second (at least 1), answering the rest 429.
    pub fn with_rate_limit(mut self, per_second: u32) -> Faults {
        self.rate_limit = Some(per_second.max(1));
        self
    }

    /// Sets the `Retry-After` form.
    pub fn with_retry_after(mut self, retry_after: RetryAfter) -> Faults {
        self.retry_after = retry_after;
        self
    }

    /// Sets which methods faults apply to.
    pub fn on_methods(mut self, post: bool, get: bool) -> Faults {
        self.methods = FaultMethods { post, get };
        self
    }

    /// Sets the seed of the random draw.
    pub fn with_seed(mut self, seed: u64) -> Faults {
        self.seed = seed;
        self
    }

    /// The probability of one kind.
    pub fn probability(&self, kind: FaultKind) -> f64 {
        self.probabilities[kind.index()]
    }

    /// Whether this injects nothing at all (no latency, every probability zero).
    pub fn is_none(&self) -> bool {
        self.latency_ms == 0
            && self.rate_limit.is_none()
            && self.probabilities.iter().all(|p| *p == 0.0)
    }

    /// Parses a comma-separated spec, e.g.
    /// `latency=20,500=0.1,429=0.05,drop_before=0.05,drop_after=0.05,garbage=0.05,retry_after=1`.
    ///
    /// Keys: `latency` (ms); `rate` (requests a second the server takes, the rest answered 429);
    /// `500`, `502`, `429`, `503`, `drop_before`, `drop_after`,
    /// `garbage`, `html`, `wrong_types`, `huge_body`, `slow_drip`, `wrong_record`
    /// (probabilities in 0..=1, summing to at most 1); `retry_after`
    /// (`N` seconds, `date:N` for an HTTP-date N seconds ahead, or `none`); `methods`
    /// (`post`, `get`, `post+get` or `all`); `seed` (u64). An empty spec or `none` means no
    /// faults.
    pub fn parse(spec: &str) -> Result<Faults, FaultSpecError> {
        let mut faults = Faults::default();
        let spec = spec.trim();
        if spec.is_empty() || spec == "none" {
            return Ok(faults);
        }
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| FaultSpecError(format!("`{part}` is not key=value")))?;
            let bad = |what: &str| FaultSpecError(format!("`{key}={value}`: {what}"));
            match key {
                "latency" => faults.latency_ms = value.parse().map_err(|_| bad("expected ms"))?,
                "seed" => faults.seed = value.parse().map_err(|_| bad("expected a u64"))?,
                "rate" => {
                    let n: u32 = value
                        .parse()
                        .map_err(|_| bad("expected requests a second"))?;
                    if n == 0 {
                        return Err(bad("a server that takes no request is not a rate limit"));
                    }
                    faults.rate_limit = Some(n);
                }
                "retry_after" => {
                    faults.retry_after = if value == "none" {
                        RetryAfter::Omit
                    } else if let Some(n) = value.strip_prefix("date:") {
                        RetryAfter::HttpDate(n.parse().map_err(|_| bad("expected date:N"))?)
                    } else {
                        RetryAfter::Seconds(value.parse().map_err(|_| bad("expected seconds"))?)
                    }
                }
                "methods" => {
                    faults.methods = match value {
                        "post" => FaultMethods {
                            post: true,
                            get: false,
                        },
                        "get" => FaultMethods {
                            post: false,
                            get: true,
                        },
                        "post+get" | "get+post" | "all" => FaultMethods {
                            post: true,
                            get: true,
                        },
                        _ => return Err(bad("expected post, get, post+get or all")),
                    }
                }
                _ => {
                    let kind = FaultKind::from_key(key)
                        .ok_or_else(|| FaultSpecError(format!("unknown key `{key}`")))?;
                    let p: f64 = value.parse().map_err(|_| bad("expected a probability"))?;
                    if !(0.0..=1.0).contains(&p) {
                        return Err(bad("probability must be within 0..=1"));
                    }
                    faults.probabilities[kind.index()] = p;
                }
            }
        }
        let total: f64 = faults.probabilities.iter().sum();
        if total > 1.0 + 1e-9 {
            return Err(FaultSpecError(format!(
                "probabilities sum to {total}, more than 1"
            )));
        }
        Ok(faults)
    }

    pub(crate) fn applies_to(&self, method: &Method) -> bool {
        (*method == Method::POST && self.methods.post)
            || ((*method == Method::GET || *method == Method::HEAD) && self.methods.get)
    }
}

impl fmt::Display for Faults {
    /// The spec form, parseable by [`Faults::parse`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "latency={}", self.latency_ms)?;
        if let Some(n) = self.rate_limit {
            write!(f, ",rate={n}")?;
        }
        for kind in FaultKind::ALL {
            let p = self.probability(kind);
            if p > 0.0 {
                write!(f, ",{kind}={p}")?;
            }
        }
        match self.retry_after {
            RetryAfter::Seconds(n) => write!(f, ",retry_after={n}")?,
            RetryAfter::HttpDate(n) => write!(f, ",retry_after=date:{n}")?,
            RetryAfter::Omit => write!(f, ",retry_after=none")?,
        }
        let methods = match (self.methods.post, self.methods.get) {
            (true, true) => "all",
            (false, true) => "get",
            _ => "post",
        };
        write!(f, ",methods={methods},seed={}", self.seed)
    }
}

/// The live fault state behind a `Mutex` in the server.
#[derive(Debug)]
pub(crate) struct FaultState {
    faults: Faults,
    rng: StdRng,
    queue: VecDeque<FaultKind>,
    /// Faults queued for the listings of one offering (`?course_offering_id=`), whatever the
    /// methods faults apply to.
    listings: HashMap<Uuid, VecDeque<FaultKind>>,
    injected: [u64; KINDS],
    bucket: Bucket,
}

/// The rate limit's token bucket: `tokens` as of `at`.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: std::time::Instant,
}

impl Bucket {
    fn full(faults: &Faults) -> Bucket {
        Bucket {
            tokens: faults.rate_limit.map_or(0.0, Bucket::capacity),
            at: std::time::Instant::now(),
        }
    }

    /// A tenth of a second of requests, at least one.
    fn capacity(per_second: u32) -> f64 {
        (f64::from(per_second) / 10.0).max(1.0)
    }

    /// Takes a token if there is one at `now`.
    fn take(&mut self, per_second: u32, now: std::time::Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * f64::from(per_second);
        self.tokens = (self.tokens + refill).min(Bucket::capacity(per_second));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl FaultState {
    pub(crate) fn new(faults: Faults) -> FaultState {
        let rng = StdRng::seed_from_u64(faults.seed);
        FaultState {
            bucket: Bucket::full(&faults),
            faults,
            rng,
            queue: VecDeque::new(),
            listings: HashMap::new(),
            injected: [0; KINDS],
        }
    }

    /// Replaces the configuration and reseeds the draw; queued faults stay queued.
    pub(crate) fn set(&mut self, faults: Faults) {
        self.rng = StdRng::seed_from_u64(faults.seed);
        self.bucket = Bucket::full(&faults);
        self.faults = faults;
    }

    pub(crate) fn faults(&self) -> &Faults {
        &self.faults
    }

    pub(crate) fn fail_next(&mut self, kind: FaultKind, n: usize) {
        self.queue.extend(std::iter::repeat_n(kind, n));
    }

    pub(crate) fn fail_listings_of(&mut self, offering: Uuid, kind: FaultKind, n: usize) {
        self.listings
            .entry(offering)
            .or_default()
            .extend(std::iter::repeat_n(kind, n));
    }

    pub(crate) fn clear_queue(&mut self) {
        self.queue.clear();
        self.listings.clear();
    }

    pub(crate) fn injected(&self, kind: FaultKind) -> u64 {
        self.injected[kind.index()]
    }

    /// For a request of `method`: the latency to wait and the fault to inject, if any.
    #[cfg(test)]
    pub(crate) fn draw(&mut self, method: &Method) -> (Duration, Option<FaultKind>) {
        self.draw_for(method, None)
    }

    /// As [`Self::draw`], for a listing of `offering` when it is one: a fault queued for that
    /// offering's listings comes first (with the latency, if faults apply to GETs).
    pub(crate) fn draw_for(
        &mut self,
        method: &Method,
        offering: Option<Uuid>,
    ) -> (Duration, Option<FaultKind>) {
        let targeted = offering
            .and_then(|o| self.listings.get_mut(&o))
            .and_then(VecDeque::pop_front);
        if let Some(k) = targeted {
            self.injected[k.index()] += 1;
            let latency = if self.faults.applies_to(method) {
                Duration::from_millis(self.faults.latency_ms)
            } else {
                Duration::ZERO
            };
            return (latency, Some(k));
        }
        if !self.faults.applies_to(method) {
            return (Duration::ZERO, None);
        }
        let latency = Duration::from_millis(self.faults.latency_ms);
        if let Some(per_second) = self.faults.rate_limit {
            if !self.bucket.take(per_second, std::time::Instant::now()) {
                self.injected[FaultKind::TooManyRequests.index()] += 1;
                return (latency, Some(FaultKind::TooManyRequests));
            }
        }
        let kind = self.queue.pop_front().or_else(|| {
            if self.faults.probabilities.iter().all(|p| *p == 0.0) {
                return None;
            }
            let x: f64 = self.rng.random();
            let mut acc = 0.0;
            FaultKind::ALL.into_iter().find(|k| {
                acc += self.faults.probability(*k);
                x < acc
            })
        });
        if let Some(k) = kind {
            self.injected[k.index()] += 1;
        }
        (latency, kind)
    }
}

/// The response of a fault that answers instead of the API (500, 502, 429, 503, html).
pub(crate) fn fault_response(kind: FaultKind, retry_after: RetryAfter) -> Option<Response> {
    let json = |status: StatusCode, error: &str, message: &str| {
        let body = serde_json::json!({ "error": error, "message": message });
        (status, axum::Json(body)).into_response()
    };
    let html = |status: StatusCode, body: &'static str| {
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response()
    };
    let mut response = match kind {
        FaultKind::ServerError => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "simulated internal server error",
        ),
        FaultKind::BadGateway => html(StatusCode::BAD_GATEWAY, BAD_GATEWAY_PAGE),
        FaultKind::TooManyRequests => json(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "simulated rate limit",
        ),
        FaultKind::Unavailable => json(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "simulated maintenance window",
        ),
        FaultKind::Html => html(StatusCode::OK, PORTAL_PAGE),
        FaultKind::DropBefore
        | FaultKind::DropAfter
        | FaultKind::Garbage
        | FaultKind::WrongTypes
        | FaultKind::HugeBody
        | FaultKind::SlowDrip
        | FaultKind::WrongRecord => return None,
    };
    if matches!(kind, FaultKind::TooManyRequests | FaultKind::Unavailable) {
        let value = match retry_after {
            RetryAfter::Seconds(n) => Some(n.to_string()),
            RetryAfter::HttpDate(n) => Some(httpdate::fmt_http_date(
                SystemTime::now() + Duration::from_secs(n),
            )),
            RetryAfter::Omit => None,
        };
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    Some(response)
}

/// A 2xx with the first half of the JSON body the API would have sent: unparsable.
pub(crate) fn garbage_response(status: StatusCode, json_body: &[u8]) -> Response {
    let cut = (json_body.len() / 2).max(1).min(json_body.len());
    let body = json_body[..cut].to_vec();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

const BAD_GATEWAY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
</body>\r\n</html>\r\n";

const PORTAL_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"es\"><head><meta charset=\"utf-8\">\
<title>Portal cautivo</title></head><body><h1>Bienvenido a la red del colegio</h1>\
<p>Inicie sesión para continuar.</p></body></html>\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_round_trips() {
        let f = Faults::parse(
            "latency=20,500=0.1,429=0.05,drop_before=0.05,drop_after=0.05,garbage=0.05,retry_after=1",
        )
        .unwrap();
        assert_eq!(f.latency_ms, 20);
        assert_eq!(f.probability(FaultKind::ServerError), 0.1);
        assert_eq!(f.probability(FaultKind::Html), 0.0);
        assert_eq!(f.retry_after, RetryAfter::Seconds(1));
        assert_eq!(Faults::parse(&f.to_string()).unwrap(), f);
        let g = Faults::parse("retry_after=date:3,methods=all,seed=9,html=1").unwrap();
        assert_eq!(Faults::parse(&g.to_string()).unwrap(), g);
        let n =
            Faults::parse("wrong_types=0.1,huge_body=0.2,slow_drip=0.3,wrong_record=0.4").unwrap();
        assert_eq!(n.probability(FaultKind::WrongTypes), 0.1);
        assert_eq!(n.probability(FaultKind::WrongRecord), 0.4);
        assert_eq!(Faults::parse(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn every_kind_has_its_own_key() {
        for kind in FaultKind::ALL {
            assert_eq!(FaultKind::from_key(kind.key()), Some(kind), "{kind}");
            let spec = format!("{kind}=1");
            let f = Faults::parse(&spec).unwrap();
            assert_eq!(f.probability(kind), 1.0, "{spec}");
            assert_eq!(Faults::parse(&f.to_string()).unwrap(), f, "{spec}");
        }
    }

    #[test]
    fn a_rate_limit_round_trips_and_counts_as_a_fault() {
        let f = Faults::parse("rate=200,latency=20").unwrap();
        assert_eq!(f.rate_limit, Some(200));
        assert!(!f.is_none());
        assert_eq!(Faults::parse(&f.to_string()).unwrap(), f);
        assert!(!Faults::none().with_rate_limit(5).is_none());
    }

    #[test]
    fn the_rate_limit_takes_a_tenth_of_a_second_at_once_then_its_rate() {
        let t0 = std::time::Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let faults = Faults::none().with_rate_limit(100);
        let mut bucket = Bucket {
            at: t0,
            ..Bucket::full(&faults)
        };
        let burst = (0..15).filter(|_| bucket.take(100, t0)).count();
        assert_eq!(burst, 10, "a tenth of a second's worth at once");
        assert!(!bucket.take(100, ms(5)), "half a token is not a request");
        assert!(bucket.take(100, ms(10)), "one more every 10 ms");
        assert!(!bucket.take(100, ms(10)));
        // A quiet second refills only the burst, not a second's worth.
        let after_a_pause = (0..200).filter(|_| bucket.take(100, ms(1_010))).count();
        assert_eq!(after_a_pause, 10);
        // At least one request a second, at least one at a time.
        let mut slow = Bucket::full(&Faults::none().with_rate_limit(1));
        assert!(slow.take(1, slow.at));
        assert!(!slow.take(1, slow.at + Duration::from_millis(500)));
        assert!(slow.take(1, slow.at + Duration::from_millis(1_000)));
    }

    #[test]
    fn a_request_over_the_rate_limit_is_answered_429() {
        let mut s = FaultState::new(Faults::none().with_rate_limit(10));
        assert_eq!(s.draw(&Method::POST).1, None, "the bucket holds one");
        assert_eq!(s.draw(&Method::POST).1, Some(FaultKind::TooManyRequests));
        assert_eq!(s.injected(FaultKind::TooManyRequests), 1);
        assert_eq!(
            s.draw(&Method::GET).1,
            None,
            "GETs are not limited by default"
        );
    }

    #[test]
    fn bad_specs_are_refused() {
        for bad in [
            "rate=0",
            "rate=-3",
            "500",
            "500=2",
            "foo=0.1",
            "500=0.6,502=0.6",
            "latency=-1",
            "methods=put",
        ] {
            assert!(Faults::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(Faults::parse("").unwrap().is_none());
        assert!(Faults::parse("none").unwrap().is_none());
    }

    #[test]
    fn draw_is_reproducible_and_queue_goes_first() {
        let faults = Faults::parse("500=0.3,garbage=0.3,seed=42").unwrap();
        let run = || {
            let mut s = FaultState::new(faults.clone());
            (0..50).map(|_| s.draw(&Method::POST).1).collect::<Vec<_>>()
        };
        assert_eq!(run(), run(), "a seeded draw must repeat exactly");
        let mut s = FaultState::new(Faults::none());
        s.fail_next(FaultKind::Html, 2);
        assert_eq!(
            s.draw(&Method::GET).1,
            None,
            "GET is not faulted by default"
        );
        assert_eq!(s.draw(&Method::POST).1, Some(FaultKind::Html));
        assert_eq!(s.draw(&Method::POST).1, Some(FaultKind::Html));
        assert_eq!(s.draw(&Method::POST).1, None);
        assert_eq!(s.injected(FaultKind::Html), 2);
    }

    #[test]
    fn a_fault_queued_for_one_offering_hits_only_its_listings() {
        let mut s = FaultState::new(Faults::none());
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        s.fail_listings_of(a, FaultKind::ServerError, 1);
        assert_eq!(s.draw_for(&Method::GET, Some(b)).1, None);
        assert_eq!(s.draw(&Method::GET).1, None);
        assert_eq!(
            s.draw_for(&Method::GET, Some(a)).1,
            Some(FaultKind::ServerError)
        );
        assert_eq!(s.draw_for(&Method::GET, Some(a)).1, None, "only once");
    }
}
