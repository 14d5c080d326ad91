//! The HTTP client of the Athena API: one shared `reqwest` client (rustls, keep-alive pool,
//! connect timeout 5 s, request timeout 20 s, no redirects so the token never follows one to
//! another origin) and three calls. Answers are returned raw ([`Exchange`]) with capped bodies;
//! [`super::classify`] decides what they mean.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{DATE, RETRY_AFTER};

use crate::error::{Error, Result};
use crate::ids::Id;
use crate::secret::Secret;
use crate::store::Store;
use crate::sync::record::Attendance;

pub const DEFAULT_API_URL: &str = "https://api.athena-erp.com";
pub const API_URL_ENV: &str = "ROLLBOOK_API_URL";
pub const SCHOOL_ID_ENV: &str = "ROLLBOOK_SCHOOL_ID";
pub const SETTING_API_URL: &str = "api_url";
pub const SETTING_SCHOOL_ID: &str = "school_id";

/// The most a POST answer (one record) may weigh.
pub const POST_BODY_CAP: usize = 1 << 20;
/// The most a list answer may weigh (a whole offering's term fits many times over).
pub const LIST_BODY_CAP: usize = 64 << 20;

/// An API base URL: `https://...`, or `http://` to a loopback host only; no credentials, query
/// or fragment; kept without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(raw: &str) -> Result<BaseUrl> {
        // Errors never quote text that is not a URL at all, nor a URL's user name, password,
        // query or fragment: a token pasted into the wrong field, or carried in the URL, must
        // not come back in a message.
        let url = reqwest::Url::parse(raw.trim()).map_err(|e| {
            Error::Invalid(format!(
                "the API URL must be a full address such as {DEFAULT_API_URL} ({e})"
            ))
        })?;
        let shown = crate::error::quoted(&without_secrets(&url));
        let bad = |why: &str| Error::Invalid(format!("{shown} is not a usable API URL: {why}"));
        let host = url.host_str().ok_or_else(|| bad("it has no host"))?;
        let loopback = is_loopback_host(host);
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(bad(
                    "plain http:// is only allowed to this computer (127.0.0.1, ::1, localhost); \
                     use https://",
                ))
            }
            other => return Err(bad(&format!("the scheme {other}:// is not supported"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("it must not contain a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("it must not have a query or fragment"));
        }
        Ok(BaseUrl(url.as_str().trim_end_matches('/').to_string()))
    }

    /// Whether the host is this computer (the demo sim, tests).
    pub fn is_loopback(&self) -> bool {
        reqwest::Url::parse(&self.0)
            .ok()
            .and_then(|u| u.host_str().map(is_loopback_host))
            .unwrap_or(false)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// `url` without the parts that can carry a secret (user name, password, query, fragment).
fn without_secrets(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    // These fail only for URLs that cannot have a user name or password in the first place.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where and how to reach the API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub base_url: BaseUrl,
    /// Sent as `X-School-Id` (needed by users who belong to several schools).
    pub school_id: Option<Id>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl ApiConfig {
    pub fn new(base_url: BaseUrl) -> ApiConfig {
        ApiConfig {
            base_url,
            school_id: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
        }
    }

    /// Base URL from `ROLLBOOK_API_URL`, else the `api_url` setting, else the default; school id
    /// from `ROLLBOOK_SCHOOL_ID`, else the `school_id` setting.
    pub fn resolve(store: &Store) -> Result<ApiConfig> {
        Self::resolve_with_env(store, &std::env::vars().collect())
    }

    pub fn resolve_with_env(store: &Store, env: &HashMap<String, String>) -> Result<ApiConfig> {
        let pick = |var: &str, key: &str| -> Result<Option<String>> {
            match env.get(var).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                Some(v) => Ok(Some(v.to_string())),
                None => Ok(store.setting(key)?.filter(|v| !v.trim().is_empty())),
            }
        };
        let url = pick(API_URL_ENV, SETTING_API_URL)?.unwrap_or_else(|| DEFAULT_API_URL.into());
        let mut config = ApiConfig::new(BaseUrl::parse(&url)?);
        config.school_id = match pick(SCHOOL_ID_ENV, SETTING_SCHOOL_ID)? {
            Some(raw) => Some(Id::parse(raw.trim()).map_err(|e| {
                Error::Invalid(format!(
                    "the school id ({SCHOOL_ID_ENV} or setting school_id): {e}"
                ))
            })?),
            None => None,
        };
        Ok(config)
    }
}

/// A list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListFilter {
    Offering(Id),
    Student(Id),
}

impl ListFilter {
    /// The request's path and query, e.g. `/academic/attendance?course_offering_id=..`.
    pub fn path(&self) -> String {
        let (key, id) = match self {
            ListFilter::Offering(id) => ("course_offering_id", id),
            ListFilter::Student(id) => ("student_id", id),
        };
        // An Id is hex digits and dashes: nothing to escape in a query string.
        format!("/academic/attendance?{key}={id}")
    }

    /// Whether a record answers this query (a server that ignores the filter lists others).
    pub fn matches(&self, fields: &Attendance) -> bool {
        match self {
            ListFilter::Offering(id) => fields.offering_id == *id,
            ListFilter::Student(id) => fields.student_id == *id,
        }
    }
}

/// Why no HTTP answer came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailStage {
    /// Connecting failed (refused, DNS, TLS handshake, connect timeout): nothing was sent.
    Connect,
    /// The request timed out after the connection was made: it may have been processed.
    Timeout,
    /// Anything else after connecting (reset, closed without an answer).
    Other,
}

/// One request's raw result.
#[derive(Debug, Clone)]
pub enum Exchange {
    Failed {
        stage: FailStage,
        message: String,
    },
    Answered {
        status: u16,
        retry_after: Option<String>,
        date: Option<String>,
        /// The body, or why it could not be read in full (too large, cut off).
        body: std::result::Result<Vec<u8>, String>,
    },
}

/// Makes ring the process's TLS crypto provider, which reqwest builds every client's TLS with.
/// Once per process; a provider installed before (by a test, say) is kept.
fn install_tls_provider() {
    // Err only says that a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The shared client. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    config: ApiConfig,
}

impl ApiClient {
    pub fn new(config: ApiConfig) -> Result<ApiClient> {
        install_tls_provider();
        let mut builder = reqwest::Client::builder();
        if config.base_url.is_loopback() {
            // A proxy from the environment must not carry requests meant for this computer.
            builder = builder.no_proxy();
        }
        let http = builder
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .user_agent(concat!("rollbook/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Remote(format!("cannot set up the HTTP client: {e}")))?;
        Ok(ApiClient { http, config })
    }

    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    pub fn base_url(&self) -> &BaseUrl {
        &self.config.base_url
    }

    /// `POST /academic/attendance`.
    pub async fn create(&self, token: &Secret, body: &Attendance) -> Exchange {
        let req = self
            .http
            .post(self.config.base_url.join("/academic/attendance"))
            .json(body);
        self.send(req, token, POST_BODY_CAP).await
    }

    /// `GET /academic/attendance?course_offering_id=..` or `?student_id=..`.
    pub async fn list(&self, token: &Secret, filter: &ListFilter) -> Exchange {
        let req = self.http.get(self.config.base_url.join(&filter.path()));
        self.send(req, token, LIST_BODY_CAP).await
    }

    /// `GET /students/{id}`.
    pub async fn student(&self, token: &Secret, id: &Id) -> Exchange {
        let req = self
            .http
            .get(self.config.base_url.join(&format!("/students/{id}")));
        self.send(req, token, POST_BODY_CAP).await
    }

    async fn send(&self, req: reqwest::RequestBuilder, token: &Secret, cap: usize) -> Exchange {
        // bearer_auth marks the header value sensitive, so reqwest never prints it.
        let mut req = req
            .bearer_auth(token.expose())
            .header("accept", "application/json");
        if let Some(school) = &self.config.school_id {
            req = req.header("x-school-id", school.as_str());
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => return failed(&e),
        };
        let status = resp.status().as_u16();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_string())
        };
        let retry_after = header(RETRY_AFTER);
        let date = header(DATE);
        let body = read_capped(resp, cap, self.config.request_timeout).await;
        Exchange::Answered {
            status,
            retry_after,
            date,
            body,
        }
    }
}

fn failed(e: &reqwest::Error) -> Exchange {
    let stage = if e.is_connect() {
        FailStage::Connect
    } else if e.is_timeout() {
        FailStage::Timeout
    } else {
        FailStage::Other
    };
    Exchange::Failed {
        stage,
        message: describe(e),
    }
}

/// The error and its causes on one line (reqwest's own text names only the URL).
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Reads a body of at most `cap` bytes: one that says or turns out to be larger is given up as
/// soon as that is known (never read to its end), and so is one still arriving when the request
/// timeout (`timeout`, counted from the request's start) fires.
async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
    timeout: Duration,
) -> std::result::Result<Vec<u8>, String> {
    let too_large = || format!("the answer is larger than {}", size(cap));
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) if e.is_timeout() => {
                return Err(format!(
                    "the answer had not arrived in full after {} s ({} bytes of it came)",
                    timeout.as_secs_f64(),
                    body.len()
                ))
            }
            Err(e) => return Err(format!("the answer was cut off: {}", describe(&e))),
        }
    }
}

/// A body cap in words (`1 MiB`, `64 MiB`, or bytes).
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("https://api.athena-erp.com", Some("https://api.athena-erp.com"))]
    #[case("https://api.athena-erp.com/", Some("https://api.athena-erp.com"))]
    #[case(
        "https://example.org/athena/v1/",
        Some("https://example.org/athena/v1")
    )]
    #[case("http://127.0.0.1:8080", Some("http://127.0.0.1:8080"))]
    #[case("http://localhost:3000/", Some("http://localhost:3000"))]
    #[case("http://[::1]:3000", Some("http://[::1]:3000"))]
    #[case("http://api.athena-erp.com", None)]
    #[case("http://192.168.1.10:8080", None)]
    #[case("http://localhost.evil.com", None)]
    #[case("ftp://127.0.0.1", None)]
    #[case("https://user:pw@api.athena-erp.com", None)]
    #[case("https://api.athena-erp.com/?x=1", None)]
    #[case("api.athena-erp.com", None)]
    fn base_urls(#[case] raw: &str, #[case] want: Option<&str>) {
        match (BaseUrl::parse(raw), want) {
            (Ok(u), Some(w)) => assert_eq!(u.as_str(), w),
            (Err(e), None) => assert_eq!(e.code(), "invalid", "{e}"),
            (got, want) => panic!("{raw}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn plain_http_error_says_why() {
        let e = BaseUrl::parse("http://api.athena-erp.com")
            .unwrap_err()
            .to_string();
        assert!(e.contains("only allowed to this computer"), "{e}");
    }

    #[test]
    fn env_overrides_settings_and_default_applies() {
        let store = Store::open_in_memory().unwrap();
        let none = HashMap::new();
        let c = ApiConfig::resolve_with_env(&store, &none).unwrap();
        assert_eq!(c.base_url.as_str(), DEFAULT_API_URL);
        assert_eq!(c.school_id, None);
        store
            .set_setting(SETTING_API_URL, Some("http://127.0.0.1:9"))
            .unwrap();
        store
            .set_setting(
                SETTING_SCHOOL_ID,
                Some("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            )
            .unwrap();
        let c = ApiConfig::resolve_with_env(&store, &none).unwrap();
        assert_eq!(c.base_url.as_str(), "http://127.0.0.1:9");
        assert!(c.school_id.is_some());
        let env = HashMap::from([(API_URL_ENV.to_string(), "https://demo.example".to_string())]);
        let c = ApiConfig::resolve_with_env(&store, &env).unwrap();
        assert_eq!(c.base_url.as_str(), "https://demo.example");
        store
            .set_setting(SETTING_SCHOOL_ID, Some("not-a-uuid"))
            .unwrap();
        assert_eq!(
            ApiConfig::resolve_with_env(&store, &none)
                .unwrap_err()
                .code(),
            "invalid"
        );
    }
}
