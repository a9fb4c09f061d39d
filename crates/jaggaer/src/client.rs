//! The J1P transport: one [`J1pClient`] per tenant, cheap to clone (an `Arc` inside).
//!
//! Every request goes through `J1pClient::execute`, which applies, in order:
//! 1. the tenant-wide 429 pause (a `Retry-After` from any response stops *all* requests of this
//!    client until it has passed, checked again right before sending),
//! 2. the client-side rate limiter (governor, `rate_limit_per_sec`),
//! 3. the adaptive in-flight cap (`aimd`),
//! 4. a bearer token from the single-flight cache (`auth`); a 401 renews it once.
//!
//! 5xx and network faults are retried with exponential backoff and jitter (backon), bounded by
//! [`crate::RetryPolicy`]; 400/403/404/409 and other 4xx are returned at once.
use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, Proxy};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use url::Url;

use crate::aimd::Aimd;
use crate::auth::{FetchOutcome, TokenCache, request_token};
use crate::error::{JaggaerError, clip};
use crate::settings::{DEFAULT_TOKEN_PATH, J1pSettings};

/// Counters for the benchmark and the status page (since the client was created).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent, per endpoint label (`invoices`, `invoice`, `suppliers`, ...).
    pub requests: BTreeMap<String, u64>,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Retries (after 429, 5xx or network faults; 401 renewals are not counted).
    pub retries: u64,
    /// Token POSTs sent.
    pub token_requests: u64,
    /// The adaptive in-flight cap right now.
    pub concurrency_limit: usize,
}

#[derive(Default)]
struct Stats {
    requests: std::sync::Mutex<BTreeMap<&'static str, u64>>,
    rate_limited: AtomicU64,
    retries: AtomicU64,
    token_requests: AtomicU64,
}

struct Inner {
    settings: J1pSettings,
    token_url: Url,
    http: reqwest::Client,
    tokens: TokenCache,
    pause_until: std::sync::Mutex<Option<Instant>>,
    limiter: Option<DefaultDirectRateLimiter>,
    aimd: Aimd,
    stats: Stats,
}

/// A JAGGAER J1P API client for one tenant.
#[derive(Clone)]
pub struct J1pClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for J1pClient {
    // Hand-written so neither the secret nor the cached token can ever be printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("J1pClient")
            .field("base_url", &self.inner.settings.base_url.as_str())
            .field("token_url", &self.inner.token_url.as_str())
            .field("client_id", &self.inner.settings.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

/// Body of a request.
pub(crate) enum Body {
    None,
    Json(serde_json::Value),
    Xml(String),
}

/// One logical API call (retried as a whole).
pub(crate) struct Req {
    pub(crate) method: Method,
    /// Metrics label; a fixed resource name so ids never blow up label cardinality.
    pub(crate) endpoint: &'static str,
    pub(crate) url: Url,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Body,
    /// Send `Authorization: Bearer` (J1P REST) or not (cXML Router posts carry credentials inside).
    pub(crate) bearer: bool,
}

impl Req {
    pub(crate) fn get(endpoint: &'static str, url: Url) -> Self {
        Self {
            method: Method::GET,
            endpoint,
            url,
            query: Vec::new(),
            body: Body::None,
            bearer: true,
        }
    }
    pub(crate) fn post_json(endpoint: &'static str, url: Url, body: serde_json::Value) -> Self {
        Self {
            method: Method::POST,
            endpoint,
            url,
            query: Vec::new(),
            body: Body::Json(body),
            bearer: true,
        }
    }
}

enum Outcome {
    Done(Bytes),
    Fail(JaggaerError),
    /// Sleep this long, then retry (counts against the retry budget).
    Retry(Duration, JaggaerError),
    /// A 429: the client-wide pause is set for this long; retry once it has passed (does not
    /// count against the retry budget, only against `max_rate_limit_wait`).
    Slow(Duration, JaggaerError),
    /// A 401 with the token of this generation: renew and try again.
    Renew(u64, JaggaerError),
}

impl J1pClient {
    /// Builds the client (HTTP connection pool, proxy, extra CA roots). No request is sent.
    pub fn new(settings: J1pSettings) -> Result<Self, JaggaerError> {
        let token_url = match &settings.token_url {
            Some(u) => u.clone(),
            None => join(&settings.base_url, DEFAULT_TOKEN_PATH)?,
        };
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("ml-connector/", env!("CARGO_PKG_VERSION")))
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(15)))
            .https_only(false)
            // Never follow a redirect: the token POST carries the client secret and data calls the
            // bearer token; a 3xx becomes `JaggaerError::Redirected` naming the Location.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &settings.ca_cert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| JaggaerError::Config(format!("ca_cert_pem: {e}")))?;
            if certs.is_empty() {
                return Err(JaggaerError::Config(
                    "ca_cert_pem: no certificate found in the PEM text".into(),
                ));
            }
            // Merge with the built-in roots: the proxy's CA is added, nothing is switched off.
            builder = builder.tls_certs_merge(certs);
        }
        if let Some(proxy_url) = &settings.proxy {
            builder = builder.proxy(proxy_from_url(proxy_url)?);
        }
        // Without a configured proxy reqwest reads HTTP(S)_PROXY / NO_PROXY from the environment.
        let http = builder
            .build()
            .map_err(|e| JaggaerError::Config(format!("HTTP client: {e}")))?;
        let limiter = settings
            .rate_limit_per_sec
            .and_then(NonZeroU32::new)
            .map(|n| {
                // A small burst (1/20 s of the rate): JAGGAER's own bucket may still be drained by
                // the previous cycle, and one 429 costs a whole Retry-After second, far more than
                // the burst would have saved. Over any longer stage the pace is the full rate.
                let burst = NonZeroU32::new((n.get() / 20).max(1)).unwrap_or(NonZeroU32::MIN);
                RateLimiter::direct(Quota::per_second(n).allow_burst(burst))
            });
        let aimd = Aimd::new(settings.max_in_flight);
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                token_url,
                http,
                tokens: TokenCache::new(),
                pause_until: std::sync::Mutex::new(None),
                limiter,
                aimd,
                stats: Stats::default(),
            }),
        })
    }

    /// The settings this client was built with.
    pub fn settings(&self) -> &J1pSettings {
        &self.inner.settings
    }

    /// Fetches a fresh token (replacing the cached one): the "can we log in" check.
    pub async fn authenticate(&self) -> Result<(), JaggaerError> {
        self.inner.tokens.clear().await;
        self.token().await.map(|_| ())
    }

    /// Counters since the client was created.
    pub fn stats(&self) -> ClientStats {
        let s = &self.inner.stats;
        ClientStats {
            requests: lock(&s.requests)
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            rate_limited: s.rate_limited.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            token_requests: s.token_requests.load(Ordering::Relaxed),
            concurrency_limit: self.inner.aimd.limit(),
        }
    }

    /// `base_url` + a configured path.
    pub(crate) fn url(&self, path: &str) -> Result<Url, JaggaerError> {
        join(&self.inner.settings.base_url, path)
    }

    async fn token(&self) -> Result<(SecretString, u64), JaggaerError> {
        self.inner
            .tokens
            .get(async || self.fetch_token_retrying().await)
            .await
    }

    async fn fetch_token_retrying(&self) -> Result<(SecretString, Duration), JaggaerError> {
        let inner = &*self.inner;
        let mut backoff = backoff(&inner.settings);
        let mut tries = 0;
        loop {
            inner.wait_pause().await;
            inner.stats.token_requests.fetch_add(1, Ordering::Relaxed);
            inner.count("token");
            let started = Instant::now();
            let outcome = request_token(
                &inner.http,
                &inner.token_url,
                &inner.settings.client_id,
                &inner.settings.client_secret,
            )
            .await;
            record_latency("token", started);
            match outcome {
                Ok(FetchOutcome::Token(value, lifetime)) => {
                    record_status("token", "200");
                    tracing::debug!(lifetime_s = lifetime.as_secs(), "JAGGAER token obtained");
                    return Ok((value, lifetime));
                }
                Ok(FetchOutcome::Transient(e)) if tries < inner.settings.retry.max_retries => {
                    tries += 1;
                    inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "JAGGAER token request failed, retrying");
                    tokio::time::sleep(backoff.next().unwrap_or(inner.settings.retry.max_delay))
                        .await;
                }
                Ok(FetchOutcome::Transient(e)) => return Err(e),
                Err(e) => {
                    record_status("token", &e.http_status().unwrap_or(0).to_string());
                    return Err(e);
                }
            }
        }
    }

    /// Sends `req` with pacing, auth and retries; returns the body of a 2xx answer.
    pub(crate) async fn execute(&self, req: &Req) -> Result<Bytes, JaggaerError> {
        let inner = &*self.inner;
        let policy = &inner.settings.retry;
        let mut backoff = backoff(&inner.settings);
        let mut retries = 0u32;
        let mut renewed = false;
        let mut rate_waited = Duration::ZERO;
        loop {
            match self.attempt(req, &mut backoff).await {
                Outcome::Done(b) => return Ok(b),
                Outcome::Fail(e) => return Err(e),
                Outcome::Renew(generation, e) => {
                    if renewed {
                        return Err(e);
                    }
                    renewed = true;
                    inner.tokens.invalidate(generation).await;
                }
                Outcome::Slow(wait, e) => {
                    rate_waited = rate_waited.saturating_add(wait);
                    if rate_waited > policy.max_rate_limit_wait {
                        return Err(e);
                    }
                    inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("mlc_api_retries_total", "system" => "jaggaer", "endpoint" => req.endpoint)
                        .increment(1);
                    tracing::info!(
                        endpoint = req.endpoint,
                        wait_ms = wait.as_millis() as u64,
                        "JAGGAER asked to slow down; waiting"
                    );
                }
                Outcome::Retry(wait, e) => {
                    if retries >= policy.max_retries {
                        return Err(e);
                    }
                    retries += 1;
                    inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("mlc_api_retries_total", "system" => "jaggaer", "endpoint" => req.endpoint)
                        .increment(1);
                    tracing::info!(endpoint = req.endpoint, retry = retries, wait_ms = wait.as_millis() as u64, error = %e, "retrying JAGGAER request");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn attempt(&self, req: &Req, backoff: &mut impl Iterator<Item = Duration>) -> Outcome {
        let inner = &*self.inner;
        let policy = &inner.settings.retry;
        inner.wait_pause().await;
        if let Some(l) = &inner.limiter {
            l.until_ready().await;
        }
        let _permit = inner.aimd.acquire().await;
        let token = if req.bearer {
            match self.token().await {
                Ok(t) => Some(t),
                Err(e) => return Outcome::Fail(e),
            }
        } else {
            None
        };
        // A 429 may have arrived while we queued for the limiter, the permit or the token.
        inner.wait_pause().await;

        let mut rb = inner
            .http
            .request(req.method.clone(), req.url.clone())
            .header(ACCEPT, "application/json");
        if !req.query.is_empty() {
            rb = rb.query(&req.query);
        }
        if let Some((t, _)) = &token {
            rb = rb.bearer_auth(t.expose_secret());
        }
        rb = match &req.body {
            Body::None => rb,
            Body::Json(v) => rb.json(v),
            Body::Xml(x) => rb
                .header(CONTENT_TYPE, "text/xml; charset=UTF-8")
                .header(ACCEPT, "text/xml")
                .body(x.clone()),
        };
        inner.count(req.endpoint);
        let started = Instant::now();
        let sent = rb.send().await;
        record_latency(req.endpoint, started);
        let next_backoff =
            |b: &mut dyn Iterator<Item = Duration>| b.next().unwrap_or(policy.max_delay);
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let e = e.without_url();
                record_status(req.endpoint, "error");
                tracing::debug!(
                    method = %req.method,
                    path = req.url.path(),
                    endpoint = req.endpoint,
                    ms = started.elapsed().as_millis() as u64,
                    error = %e,
                    "JAGGAER request failed"
                );
                let err = JaggaerError::Transport {
                    endpoint: req.endpoint.to_owned(),
                    source: e,
                };
                return Outcome::Retry(next_backoff(backoff), err);
            }
        };
        let status = resp.status().as_u16();
        record_status(req.endpoint, &status.to_string());
        // Path only: the query may carry filters with business data, never needed to debug.
        tracing::debug!(
            method = %req.method,
            path = req.url.path(),
            endpoint = req.endpoint,
            status,
            ms = started.elapsed().as_millis() as u64,
            "JAGGAER request"
        );
        let retry_after = parse_retry_after(resp.headers(), SystemTime::now());
        let location = location(resp.headers());
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let err = JaggaerError::Transport {
                    endpoint: req.endpoint.to_owned(),
                    source: e.without_url(),
                };
                return Outcome::Retry(next_backoff(backoff), err);
            }
        };
        let text = || clip(&String::from_utf8_lossy(&body));
        if (300..=399).contains(&status) {
            return Outcome::Fail(JaggaerError::Redirected {
                endpoint: req.endpoint.to_owned(),
                status,
                location,
            });
        }
        match status {
            200..=299 => {
                inner.aimd.on_success();
                Outcome::Done(body)
            }
            401 if token.is_some() => Outcome::Renew(
                token.map(|t| t.1).unwrap_or_default(),
                JaggaerError::Unauthorized {
                    endpoint: req.endpoint.to_owned(),
                    body: text(),
                },
            ),
            429 => {
                inner.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("mlc_rate_limited_total", "system" => "jaggaer", "endpoint" => req.endpoint)
                    .increment(1);
                inner.aimd.on_overload();
                // Never less than `min_delay`: a `Retry-After: 0` storm must not become a busy loop.
                let wait = retry_after
                    .unwrap_or_else(|| next_backoff(backoff))
                    .max(policy.min_delay);
                // The pause applies to every request of this client, not only this one.
                inner.pause_for(wait);
                let err = JaggaerError::RateLimited {
                    endpoint: req.endpoint.to_owned(),
                    retry_after,
                };
                if wait > policy.max_retry_after {
                    return Outcome::Fail(err);
                }
                // The loop's next attempt waits on the pause itself.
                Outcome::Slow(wait, err)
            }
            500..=599 => {
                if status == 503 {
                    inner.aimd.on_overload();
                }
                let wait = retry_after
                    .filter(|d| *d <= policy.max_retry_after)
                    .unwrap_or_else(|| next_backoff(backoff));
                Outcome::Retry(
                    wait,
                    JaggaerError::Http {
                        endpoint: req.endpoint.to_owned(),
                        status,
                        body: text(),
                    },
                )
            }
            _ => Outcome::Fail(JaggaerError::Http {
                endpoint: req.endpoint.to_owned(),
                status,
                body: text(),
            }),
        }
    }

    /// Sends `req` and decodes a J1P JSON answer, turning `returnCode != 0` into
    /// [`JaggaerError::Application`].
    pub(crate) async fn execute_json(&self, req: &Req) -> Result<serde_json::Value, JaggaerError> {
        let bytes = self.execute(req).await?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| JaggaerError::Decode {
                endpoint: req.endpoint.to_owned(),
                path: "$".into(),
                message: format!("not JSON: {e}"),
            })?;
        check_return_code(&value)?;
        Ok(value)
    }
}

/// The `Location` of a redirect as scheme, host, port and path: enough to say where it pointed,
/// without a query string that might carry something sensitive.
pub(crate) fn location(headers: &HeaderMap) -> String {
    let Some(raw) = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
    else {
        return String::new();
    };
    match Url::parse(raw) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string()
        }
        // A relative Location: keep the path only.
        Err(_) => clip(raw.split(['?', '#']).next().unwrap_or_default()),
    }
}

impl Inner {
    fn count(&self, endpoint: &'static str) {
        *lock(&self.stats.requests).entry(endpoint).or_default() += 1;
    }

    fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut p = lock(&self.pause_until);
        if p.is_none_or(|cur| cur < until) {
            *p = Some(until);
        }
    }

    async fn wait_pause(&self) {
        loop {
            let until = *lock(&self.pause_until);
            match until {
                Some(u) if u > Instant::now() => tokio::time::sleep_until(u).await,
                _ => return,
            }
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Critical sections are single map/option updates; a poisoned lock holds consistent data.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn backoff(settings: &J1pSettings) -> impl Iterator<Item = Duration> + Send + use<> {
    ExponentialBuilder::default()
        .with_min_delay(settings.retry.min_delay)
        .with_max_delay(settings.retry.max_delay)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
}

fn record_status(endpoint: &'static str, status: &str) {
    metrics::counter!("mlc_api_requests_total", "system" => "jaggaer", "endpoint" => endpoint, "status" => status.to_owned())
        .increment(1);
}

fn record_latency(endpoint: &'static str, started: Instant) {
    metrics::histogram!("mlc_api_request_seconds", "system" => "jaggaer", "endpoint" => endpoint)
        .record(started.elapsed().as_secs_f64());
}

/// `base` + `path`, keeping any path prefix of `base` (a base URL may carry one).
pub(crate) fn join(base: &Url, path: &str) -> Result<Url, JaggaerError> {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    let rest = path.trim_start_matches('/');
    url.set_path(&format!("{prefix}/{rest}"));
    url.set_query(None);
    if url.cannot_be_a_base() {
        return Err(JaggaerError::Config(format!(
            "base URL {base} cannot take a path"
        )));
    }
    Ok(url)
}

/// A proxy from a URL; `user:password@` in the URL becomes proxy basic auth (percent-decoded).
fn proxy_from_url(url: &Url) -> Result<Proxy, JaggaerError> {
    let mut bare = url.clone();
    let user = percent_decode(url.username());
    let pass = url.password().map(percent_decode);
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    let mut proxy = Proxy::all(bare.as_str())
        .map_err(|e| JaggaerError::Config(format!("proxy {bare}: {e}")))?;
    if !user.is_empty() {
        proxy = proxy.basic_auth(&user, pass.as_deref().unwrap_or(""));
    }
    Ok(proxy)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(hex) = std::str::from_utf8(&bytes[i + 1..i + 3])
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `Retry-After` as seconds or an HTTP date (relative to `now`).
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(raw).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// HTTP 200 with `returnCode != 0` (number or string) is an application error.
pub(crate) fn check_return_code(value: &serde_json::Value) -> Result<(), JaggaerError> {
    let code = match value.get("returnCode") {
        None | Some(serde_json::Value::Null) => return Ok(()),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) => s.trim().to_owned(),
        Some(other) => other.to_string(),
    };
    if code.is_empty() || code.parse::<i64>() == Ok(0) {
        return Ok(());
    }
    let message = match value.get("returnMessage") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    Err(JaggaerError::Application { code, message })
}

/// Decodes `value` into `T`, naming the JSON path of the first problem.
pub(crate) fn decode<T: DeserializeOwned>(
    endpoint: &str,
    value: serde_json::Value,
) -> Result<T, JaggaerError> {
    serde_path_to_error::deserialize(value).map_err(|e| JaggaerError::Decode {
        endpoint: endpoint.to_owned(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_http_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(
            parse_retry_after(&h, SystemTime::now()),
            Some(Duration::from_secs(3))
        );
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        h.insert(RETRY_AFTER, later.parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        h.insert(RETRY_AFTER, past.parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), None);
    }

    #[test]
    fn return_codes() {
        use serde_json::json;
        assert!(check_return_code(&json!({"returnCode": 0})).is_ok());
        assert!(check_return_code(&json!({"returnCode": "0"})).is_ok());
        assert!(check_return_code(&json!({"header": {}})).is_ok());
        match check_return_code(&json!({"returnCode": "409", "returnMessage": "dup"})) {
            Err(JaggaerError::Application { code, message }) => {
                assert_eq!((code.as_str(), message.as_str()), ("409", "dup"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            check_return_code(&json!({"returnCode": 400})),
            Err(JaggaerError::Application { .. })
        ));
    }

    #[test]
    fn join_keeps_prefix() {
        let b = Url::parse("https://h.example/tenant/").unwrap();
        assert_eq!(
            join(&b, "/j1p/api/x").unwrap().as_str(),
            "https://h.example/tenant/j1p/api/x"
        );
        let b = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            join(&b, "a/b").unwrap().as_str(),
            "http://127.0.0.1:8080/a/b"
        );
    }

    #[test]
    fn percent_decoding_of_proxy_credentials() {
        assert_eq!(percent_decode("p%40ss%3Aw"), "p@ss:w");
        assert_eq!(percent_decode("plain%"), "plain%");
    }
}
