//! The AIS client: sessions (single-flight re-login on 444, fail-fast after a rejected login),
//! one request pipeline (concurrency cap, retries with back-off, metrics, error mapping), and
//! the small endpoints (defaultconfig, discover, validate, logout).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use futures::future::BoxFuture;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use url::Url;

use crate::error::{FormError, JdeError, truncate};
use crate::settings::{AisSettings, normalize_base};

/// Fresh logins one request may wait for after HTTP 444 before it gives up (`SessionRejected`).
const MAX_RELOGINS_PER_REQUEST: u32 = 3;
/// Longest body text kept in an error.
const BODY_KEEP: usize = 4096;

/// The AIS calls, as labelled in metrics and [`ClientStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Endpoint {
    TokenRequest,
    Validate,
    Logout,
    DataService,
    Next,
    Orchestrator,
    Discover,
    DefaultConfig,
    Report,
}

impl Endpoint {
    const ALL: [Endpoint; 9] = [
        Endpoint::TokenRequest,
        Endpoint::Validate,
        Endpoint::Logout,
        Endpoint::DataService,
        Endpoint::Next,
        Endpoint::Orchestrator,
        Endpoint::Discover,
        Endpoint::DefaultConfig,
        Endpoint::Report,
    ];
    pub(crate) fn label(self) -> &'static str {
        match self {
            Endpoint::TokenRequest => "tokenrequest",
            Endpoint::Validate => "validate",
            Endpoint::Logout => "logout",
            Endpoint::DataService => "dataservice",
            Endpoint::Next => "next",
            Endpoint::Orchestrator => "orchestrator",
            Endpoint::Discover => "discover",
            Endpoint::DefaultConfig => "defaultconfig",
            Endpoint::Report => "report",
        }
    }
}

/// Which failures a call may be retried after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryMode {
    /// Reads and other idempotent calls: any transient failure.
    Idempotent,
    /// Writes (voucher orchestration): only when the request provably never reached AIS
    /// (connect failure, 503 from the concurrency ceiling, 444 before processing). Anything
    /// else uncertain becomes [`JdeError::OutcomeUnknown`].
    NotReached,
}

/// What the logged-in user looks like to AIS (from the token response). Holds no token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// E1 user.
    pub username: String,
    /// Environment the session runs in.
    pub environment: String,
    /// Role.
    pub role: String,
    /// Java `SimpleDateFormat` of the user (`MM/dd/yyyy`): every date literal uses it.
    pub simple_date_format: String,
    /// JDE date format code (`MDE`, `DME`...).
    pub date_format: Option<String>,
    /// Applications release (`E920`).
    pub apps_release: Option<String>,
    /// Address number of the user.
    pub address_number: Option<i64>,
    /// Time zone offset the user runs in (`UTC-05:00`), newer releases only.
    pub time_zone_offset: Option<String>,
    /// HTML server behind the session.
    pub jas_server: Option<String>,
}

pub(crate) struct Session {
    token: SecretString,
    generation: u64,
    pub(crate) info: SessionInfo,
}

#[derive(Default)]
struct SessionSlot {
    current: Option<Arc<Session>>,
    generation: u64,
}

#[derive(Default)]
struct Stats {
    requests: [AtomicU64; Endpoint::ALL.len()],
    retries: AtomicU64,
    logins: AtomicU64,
    relogins: AtomicU64,
    page_restarts: AtomicU64,
}

/// Counters of one client, for the benchmark and `ping`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// HTTP requests sent, per endpoint label (`tokenrequest`, `dataservice`, `next`...).
    pub requests: BTreeMap<&'static str, u64>,
    /// Retries after transient failures.
    pub retries: u64,
    /// Successful logins.
    pub logins: u64,
    /// Logins caused by a 444 (expired token).
    pub relogins: u64,
    /// Browses restarted after an expired or lost result set.
    pub page_restarts: u64,
}

impl ClientStats {
    /// Total HTTP requests.
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }
}

/// `GET {base}defaultconfig`: what the AIS server says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DefaultConfig {
    /// Tools release (`9.2.8.3`), from `toolsRelease` or `aisVersion`.
    pub tools_release: Option<String>,
    /// AIS version string.
    pub ais_version: Option<String>,
    /// Server default environment.
    pub default_environment: Option<String>,
    /// Capability names (`dataServiceNextPage`, `orchestrator`...).
    pub capabilities: Vec<String>,
    /// The full body.
    pub raw: Value,
}

/// A 2xx response body.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base: Url,
    settings: AisSettings,
    session: tokio::sync::Mutex<SessionSlot>,
    /// A 403 on tokenrequest: (status, message). Checked before every login.
    blocked: Mutex<Option<(u16, String)>>,
    sem: Semaphore,
    stats: Stats,
}

/// A JD Edwards AIS client. Cheap to clone (an `Arc` inside); clones share the session, the
/// concurrency cap and the counters.
#[derive(Clone)]
pub struct AisClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for AisClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let logged_in = self
            .inner
            .session
            .try_lock()
            .map(|s| s.current.is_some())
            .ok();
        f.debug_struct("AisClient")
            .field("base", &self.inner.base.as_str())
            .field("settings", &self.inner.settings)
            .field("logged_in", &logged_in)
            .finish_non_exhaustive()
    }
}

impl AisClient {
    /// Builds the HTTP client (rustls with the platform roots plus the customer's CA, proxy
    /// from settings or the environment). Does not log in: the first call does.
    pub fn new(settings: AisSettings) -> Result<AisClient, JdeError> {
        let base = normalize_base(&settings.base_url)?;
        let mut b = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(15)))
            .user_agent(concat!("ml-connector-jde/", env!("CARGO_PKG_VERSION")))
            // AIS tokens travel in headers; a redirect to another host must not carry them.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &settings.ca_cert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| JdeError::Config(format!("CA certificate PEM unreadable: {e}")))?;
            if certs.is_empty() {
                return Err(JdeError::Config(
                    "CA certificate PEM holds no certificate".into(),
                ));
            }
            // Added to (not replacing) the platform roots; verification stays on.
            b = b.tls_certs_merge(certs);
        }
        if let Some(p) = &settings.proxy {
            // An explicit proxy still honours NO_PROXY from the environment (loopback, intranet).
            let proxy = reqwest::Proxy::all(p.as_str())
                .map_err(|e| JdeError::Config(format!("proxy URL unusable: {e}")))?
                .no_proxy(reqwest::NoProxy::from_env());
            b = b.proxy(proxy);
        }
        // Without an explicit proxy reqwest reads HTTPS_PROXY/HTTP_PROXY/NO_PROXY itself.
        let http = b
            .build()
            .map_err(|e| JdeError::Config(format!("HTTP client: {e}")))?;
        let permits = settings.max_in_flight.max(1);
        Ok(AisClient {
            inner: Arc::new(Inner {
                http,
                base,
                settings,
                session: tokio::sync::Mutex::new(SessionSlot::default()),
                blocked: Mutex::new(None),
                sem: Semaphore::new(permits),
                stats: Stats::default(),
            }),
        })
    }

    /// The normalised base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The settings the client was built with.
    pub fn settings(&self) -> &AisSettings {
        &self.inner.settings
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, JdeError> {
        self.inner
            .base
            .join(path)
            .map_err(|e| JdeError::Config(format!("cannot build URL for {path}: {e}")))
    }

    /// Counters since the client was built.
    pub fn stats(&self) -> ClientStats {
        let s = &self.inner.stats;
        ClientStats {
            requests: Endpoint::ALL
                .iter()
                .map(|e| (e.label(), s.requests[*e as usize].load(Ordering::Relaxed)))
                .collect(),
            retries: s.retries.load(Ordering::Relaxed),
            logins: s.logins.load(Ordering::Relaxed),
            relogins: s.relogins.load(Ordering::Relaxed),
            page_restarts: s.page_restarts.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count_restart(&self) {
        self.inner
            .stats
            .page_restarts
            .fetch_add(1, Ordering::Relaxed);
    }

    // -----------------------------------------------------------------------------------------
    // Sessions

    /// Makes sure a session exists (logging in if none) and describes it.
    pub async fn login(&self) -> Result<SessionInfo, JdeError> {
        Ok(self.session().await?.info.clone())
    }

    /// The current session, if logged in.
    pub async fn session_info(&self) -> Option<SessionInfo> {
        self.inner
            .session
            .lock()
            .await
            .current
            .as_ref()
            .map(|s| s.info.clone())
    }

    /// Forgets a rejected login so the next call tries again (after the operator fixed the
    /// password or unlocked the account).
    pub fn reset_login_block(&self) {
        *lock(&self.inner.blocked) = None;
    }

    fn check_block(&self) -> Result<(), JdeError> {
        match &*lock(&self.inner.blocked) {
            Some((status, message)) => Err(JdeError::LoginRejected {
                status: *status,
                username: self.inner.settings.username.clone(),
                message: message.clone(),
            }),
            None => Ok(()),
        }
    }

    pub(crate) async fn session(&self) -> Result<Arc<Session>, JdeError> {
        self.check_block()?;
        let mut slot = self.inner.session.lock().await;
        if let Some(s) = &slot.current {
            return Ok(s.clone());
        }
        self.login_locked(&mut slot).await
    }

    /// Re-login after a 444 seen with token generation `stale`. Single-flight: whoever gets the
    /// lock first logs in; the others find a newer generation and reuse it.
    ///
    /// Boxed because login itself goes through the request pipeline that calls this.
    fn relogin(&self, stale: u64) -> BoxFuture<'_, Result<Arc<Session>, JdeError>> {
        Box::pin(async move {
            let mut slot = self.inner.session.lock().await;
            if let Some(s) = &slot.current
                && s.generation != stale
            {
                return Ok(s.clone());
            }
            slot.current = None;
            self.inner.stats.relogins.fetch_add(1, Ordering::Relaxed);
            self.login_locked(&mut slot).await
        })
    }

    async fn login_locked(&self, slot: &mut SessionSlot) -> Result<Arc<Session>, JdeError> {
        // Waiters queued behind a rejected login must not try again.
        self.check_block()?;
        let s = &self.inner.settings;
        let mut body = json!({
            "username": s.username,
            "password": s.password.expose_secret(),
            "deviceName": s.device_name,
        });
        if let Some(env) = &s.environment {
            body["environment"] = Value::String(env.clone());
        }
        if let Some(role) = &s.role {
            body["role"] = Value::String(role.clone());
        }
        let url = self.url("v2/tokenrequest")?;
        let resp = self
            .execute(
                Endpoint::TokenRequest,
                Method::POST,
                url,
                Some(&body),
                None,
                RetryMode::Idempotent,
            )
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(JdeError::Remote {
                status, message, ..
            }) if status == 403 => {
                *lock(&self.inner.blocked) = Some((status, message.clone()));
                tracing::error!(
                    username = %s.username,
                    %message,
                    "JDE login rejected; not retrying (the service account could lock)"
                );
                return Err(JdeError::LoginRejected {
                    status,
                    username: s.username.clone(),
                    message,
                });
            }
            Err(e) => return Err(e),
        };
        // Never put a token response body into an error: it holds the token.
        let v: Value = serde_json::from_slice(&resp.body).map_err(|e| JdeError::Malformed {
            endpoint: "tokenrequest",
            path: "$".into(),
            reason: format!("not JSON: {e}"),
            body: "[token response withheld]".into(),
        })?;
        let missing = |path: &str| JdeError::Malformed {
            endpoint: "tokenrequest",
            path: path.into(),
            reason: "missing".into(),
            body: "[token response withheld]".into(),
        };
        let token = v
            .pointer("/userInfo/token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| missing("userInfo.token"))?;
        let sdf = v
            .pointer("/userInfo/simpleDateFormat")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .ok_or_else(|| missing("userInfo.simpleDateFormat"))?;
        let text = |p: &str| {
            v.pointer(p)
                .and_then(Value::as_str)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let info = SessionInfo {
            username: text("/username")
                .or_else(|| text("/userInfo/username"))
                .unwrap_or_else(|| s.username.clone()),
            environment: text("/environment").unwrap_or_default(),
            role: text("/role").unwrap_or_default(),
            simple_date_format: sdf.to_owned(),
            date_format: text("/userInfo/dateFormat"),
            apps_release: text("/userInfo/appsRelease"),
            address_number: v.pointer("/userInfo/addressNumber").and_then(|n| match n {
                Value::Number(n) => n.to_string().parse().ok(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }),
            time_zone_offset: text("/userInfo/timeZoneOffset"),
            jas_server: text("/jasserver"),
        };
        slot.generation += 1;
        let session = Arc::new(Session {
            token: SecretString::from(token.to_owned()),
            generation: slot.generation,
            info,
        });
        slot.current = Some(session.clone());
        self.inner.stats.logins.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            username = %session.info.username,
            environment = %session.info.environment,
            date_format = %session.info.simple_date_format,
            "logged in to AIS"
        );
        Ok(session)
    }

    /// Ends the session (`v2/tokenrequest/logout`). A token AIS already dropped is fine.
    pub async fn logout(&self) -> Result<(), JdeError> {
        let Some(session) = self.inner.session.lock().await.current.take() else {
            return Ok(());
        };
        let body = json!({ "token": session.token.expose_secret() });
        let url = self.url("v2/tokenrequest/logout")?;
        match self
            .send_once(
                Endpoint::Logout,
                Method::POST,
                url,
                Some(&body),
                Some(&session),
            )
            .await
        {
            Ok((status, _, _)) if (200..300).contains(&status) || status == 444 => Ok(()),
            Ok((status, headers, body)) => {
                Err(remote_error(Endpoint::Logout, status, &headers, &body))
            }
            Err(e) => Err(e),
        }
    }

    /// Checks the current token with AIS (`v2/tokenrequest/validate`, touching the idle
    /// timer). `false` when not logged in or the token is no longer valid.
    pub async fn validate_session(&self) -> Result<bool, JdeError> {
        let Some(session) = self.inner.session.lock().await.current.clone() else {
            return Ok(false);
        };
        let body = json!({
            "token": session.token.expose_secret(),
            "deviceName": self.inner.settings.device_name,
            "touch": true,
        });
        let url = self.url("v2/tokenrequest/validate")?;
        let (status, headers, bytes) = self
            .send_once(
                Endpoint::Validate,
                Method::POST,
                url,
                Some(&body),
                Some(&session),
            )
            .await?;
        match status {
            200..=299 => Ok(serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("isValidSession").and_then(Value::as_bool))
                .unwrap_or(false)),
            403 | 444 => Ok(false),
            _ => Err(remote_error(Endpoint::Validate, status, &headers, &bytes)),
        }
    }

    /// `GET {base}defaultconfig` (no session needed): Tools release and capabilities.
    pub async fn default_config(&self) -> Result<DefaultConfig, JdeError> {
        let url = self.url("defaultconfig")?;
        let r = self
            .execute(
                Endpoint::DefaultConfig,
                Method::GET,
                url,
                None,
                None,
                RetryMode::Idempotent,
            )
            .await?;
        let raw = parse_json(Endpoint::DefaultConfig, &r.body)?;
        let text = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(DefaultConfig {
            tools_release: text("toolsRelease").or_else(|| text("aisVersion")),
            ais_version: text("aisVersion"),
            default_environment: text("defaultEnvironment"),
            capabilities: raw
                .get("capabilityList")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            raw,
        })
    }

    // -----------------------------------------------------------------------------------------
    // The request pipeline

    /// Sends one authenticated call (or an unauthenticated one when `session` is `None` and
    /// the endpoint is tokenrequest/defaultconfig), with 444 re-login and retries. Returns the
    /// 2xx response; anything else is an error.
    pub(crate) async fn call(
        &self,
        endpoint: Endpoint,
        method: Method,
        url: Url,
        body: Option<&Value>,
        mode: RetryMode,
    ) -> Result<RawResponse, JdeError> {
        let session = self.session().await?;
        self.execute(endpoint, method, url, body, Some(session), mode)
            .await
    }

    async fn execute(
        &self,
        endpoint: Endpoint,
        method: Method,
        url: Url,
        body: Option<&Value>,
        mut session: Option<Arc<Session>>,
        mode: RetryMode,
    ) -> Result<RawResponse, JdeError> {
        let policy = &self.inner.settings.retry;
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_attempts.saturating_sub(1))
            .with_jitter()
            .build();
        // Fresh logins this request has waited for. Under a token-exhausting load (a token
        // good for N requests, more than N in flight) the retried request can meet a token that
        // its neighbours used up meanwhile; each round still costs one login for everybody
        // (single-flight by generation), and a bounded number of rounds tells a storm from a
        // server that refuses every token.
        let mut relogins = 0u32;
        let mut attempt = 0usize;
        loop {
            attempt += 1;
            let sent = self
                .send_once(
                    endpoint,
                    method.clone(),
                    url.clone(),
                    body,
                    session.as_deref(),
                )
                .await;
            let err = match sent {
                Ok((status, _, bytes)) if (200..300).contains(&status) => {
                    return Ok(RawResponse {
                        status,
                        body: bytes,
                    });
                }
                Ok((444, headers, bytes)) if session.is_some() => {
                    let stale = session.as_ref().map_or(0, |s| s.generation);
                    // A next link is bound to the token that opened the result set: a new
                    // login cannot revive it, so the pager restarts the query instead.
                    if relogins >= MAX_RELOGINS_PER_REQUEST || endpoint == Endpoint::Next {
                        let e = remote_error(endpoint, 444, &headers, &bytes);
                        return Err(JdeError::SessionRejected {
                            message: match e {
                                JdeError::Remote { message, .. } => message,
                                other => other.to_string(),
                            },
                        });
                    }
                    // The token died (idle timeout, restart): a fresh login, then a retry. AIS
                    // refuses a stale token before doing any work, so this is safe for writes.
                    relogins += 1;
                    tracing::info!(
                        endpoint = endpoint.label(),
                        "AIS token rejected (444), logging in again"
                    );
                    session = Some(self.relogin(stale).await?);
                    continue;
                }
                Ok((status, headers, bytes)) => remote_error(endpoint, status, &headers, &bytes),
                Err(e) => e,
            };
            let retryable = match mode {
                RetryMode::Idempotent => {
                    err.is_transient() && !matches!(err, JdeError::ResultSetExpired { .. })
                }
                RetryMode::NotReached => not_reached(&err),
            };
            if !retryable || attempt >= policy.max_attempts.max(1) {
                return Err(match mode {
                    RetryMode::NotReached => outcome_of(endpoint, err),
                    RetryMode::Idempotent => err,
                });
            }
            let mut delay = delays.next().unwrap_or(policy.max_delay);
            if let JdeError::Remote {
                retry_after: Some(ra),
                ..
            } = &err
            {
                delay = delay.max((*ra).min(policy.max_retry_after));
            }
            self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("mlc_api_retries_total", "system" => "jde", "endpoint" => endpoint.label())
                .increment(1);
            tracing::warn!(
                endpoint = endpoint.label(),
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %err,
                "transient AIS failure, retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One HTTP exchange under the concurrency cap. Returns status, headers and body of any
    /// HTTP answer; only transport failures are errors here.
    async fn send_once(
        &self,
        endpoint: Endpoint,
        method: Method,
        url: Url,
        body: Option<&Value>,
        session: Option<&Session>,
    ) -> Result<(u16, HeaderMap, Bytes), JdeError> {
        let _permit = self
            .inner
            .sem
            .acquire()
            .await
            .map_err(|_| JdeError::Config("client closed".into()))?;
        // Path only: a next link's query carries the session token.
        let path = url.path().to_owned();
        let method_label = method.clone();
        let mut req = self
            .inner
            .http
            .request(method, url)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .header("jde-AIS-Auth-Device", &self.inner.settings.device_name);
        if let Some(s) = session {
            req = req.header("jde-AIS-Auth", s.token.expose_secret());
        }
        if let Some(b) = body {
            req = req.body(serde_json::to_vec(b).unwrap_or_default());
        }
        self.inner.stats.requests[endpoint as usize].fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let result = async {
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, bytes))
        }
        .await;
        let secs = started.elapsed().as_secs_f64();
        let status_label = match &result {
            Ok((s, _, _)) => s.to_string(),
            Err(e) if e.is_timeout() => "timeout".into(),
            Err(_) => "error".into(),
        };
        tracing::debug!(
            method = %method_label,
            path,
            endpoint = endpoint.label(),
            status = %status_label,
            ms = (secs * 1000.0) as u64,
            "AIS request"
        );
        metrics::counter!("mlc_api_requests_total", "system" => "jde", "endpoint" => endpoint.label(), "status" => status_label)
            .increment(1);
        metrics::histogram!("mlc_api_request_seconds", "system" => "jde", "endpoint" => endpoint.label())
            .record(secs);
        result.map_err(|e| {
            // The URL of a next link embeds the token: never keep it in the error.
            let e = e.without_url();
            JdeError::Transport {
                endpoint: endpoint.label(),
                connect: e.is_connect(),
                timeout: e.is_timeout(),
                source: e,
            }
        })
    }
}

/// The request provably never reached AIS, so even a write may be sent again.
fn not_reached(e: &JdeError) -> bool {
    match e {
        JdeError::Transport { connect, .. } => *connect,
        // 503 is what the proxy/AIS answers above its concurrency ceiling, before any work.
        JdeError::Remote {
            status: 503,
            business: false,
            ..
        } => true,
        _ => false,
    }
}

/// For a write: failures after which AIS may have done the work become `OutcomeUnknown`.
fn outcome_of(endpoint: Endpoint, e: JdeError) -> JdeError {
    match e {
        JdeError::Transport {
            connect: false,
            timeout,
            ref source,
            ..
        } => JdeError::OutcomeUnknown {
            endpoint: endpoint.label(),
            reason: if timeout {
                format!("timed out after sending: {source}")
            } else {
                format!("connection lost after sending: {source}")
            },
        },
        JdeError::Remote {
            status,
            business: false,
            ref message,
            ..
        } if status >= 500 && status != 503 => JdeError::OutcomeUnknown {
            endpoint: endpoint.label(),
            reason: format!("HTTP {status}: {message}"),
        },
        other => other,
    }
}

pub(crate) fn parse_json(endpoint: Endpoint, body: &[u8]) -> Result<Value, JdeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(JdeError::Malformed {
            endpoint: endpoint.label(),
            path: "$".into(),
            reason: "empty body".into(),
            body: String::new(),
        });
    }
    serde_json::from_slice(body).map_err(|e| JdeError::Malformed {
        endpoint: endpoint.label(),
        path: "$".into(),
        reason: format!("not JSON: {e}"),
        body: truncate(&String::from_utf8_lossy(body), BODY_KEEP),
    })
}

/// Reads `errors[]` items (`CODE`/`TITLE`/`ERRORCONTROL`/`DESC`) at any of the usual places.
pub(crate) fn form_errors(v: &Value) -> Vec<FormError> {
    let mut out = Vec::new();
    let mut take = |arr: Option<&Value>| {
        for e in arr.and_then(Value::as_array).into_iter().flatten() {
            let s = |k: &str| {
                e.get(k)
                    .map(|x| match x {
                        Value::String(s) => s.trim().to_owned(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default()
            };
            let fe = FormError {
                code: s("CODE"),
                title: s("TITLE"),
                control: s("ERRORCONTROL"),
                desc: s("DESC"),
            };
            if fe != FormError::default() {
                out.push(fe);
            }
        }
    };
    take(v.get("errors"));
    take(v.pointer("/errorDetails/errors"));
    if let Some(groups) = v.get("Errors/Warnings").and_then(Value::as_array) {
        for g in groups {
            take(g.get("Errors"));
        }
    }
    out
}

/// The best human message of an AIS error body: `jde__simpleMessage`, then `message` (which
/// may be a nested object), then `sysErrors[0]`, then `userDefinedErrorText`.
pub(crate) fn error_message(v: &Value) -> Option<String> {
    let s = |x: Option<&Value>| match x {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Object(o)) if !o.is_empty() => Some(Value::Object(o.clone()).to_string()),
        _ => None,
    };
    s(v.get("jde__simpleMessage"))
        .or_else(|| s(v.get("message")))
        .or_else(|| s(v.pointer("/sysErrors/0/TITLE")))
        .or_else(|| s(v.pointer("/sysErrors/0/DESC")))
        .or_else(|| s(v.get("userDefinedErrorText")))
        .or_else(|| s(v.get("errorText")))
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Maps a non-2xx answer to the right error, keeping JDE's words.
pub(crate) fn remote_error(
    endpoint: Endpoint,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> JdeError {
    let text = String::from_utf8_lossy(body);
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let message = json.as_ref().and_then(error_message).unwrap_or_else(|| {
        let t = text.trim();
        if t.is_empty() {
            format!("HTTP {status} with an empty body")
        } else {
            truncate(t, 300)
        }
    });
    if status == 500 && text.contains("JAS_MSG347") {
        return JdeError::ResultSetExpired { message };
    }
    let (exception, errors, business) = match &json {
        Some(v) => {
            let st = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim);
            let business = endpoint == Endpoint::Orchestrator
                && (st("jde__status") == Some("ERROR") || st("status") == Some("ERROR"));
            (
                st("exception").filter(|s| !s.is_empty()).map(str::to_owned),
                form_errors(v),
                business,
            )
        }
        None => (None, Vec::new(), false),
    };
    JdeError::Remote {
        endpoint: endpoint.label(),
        status,
        message,
        exception,
        body: if endpoint == Endpoint::TokenRequest {
            // A login failure body has no token, but keep the rule simple: never echo it.
            truncate(&text, 512)
        } else {
            truncate(&text, BODY_KEEP)
        },
        errors,
        business,
        retry_after: retry_after(headers),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::AisSettings;

    #[test]
    fn error_bodies_keep_jde_words() {
        let h = HeaderMap::new();
        let e = remote_error(
            Endpoint::DataService,
            500,
            &h,
            br#"{"sysErrors":[{"TITLE":"JAS_MSG347: query results expired","DESC":"x"}]}"#,
        );
        assert!(
            matches!(e, JdeError::ResultSetExpired { ref message } if message.contains("JAS_MSG347"))
        );
        let e = remote_error(
            Endpoint::Orchestrator,
            500,
            &h,
            br#"{"message":{"step":"x"},"jde__simpleMessage":"Invalid Business Unit","exception":"E","jde__status":"ERROR"}"#,
        );
        match e {
            JdeError::Remote {
                status,
                message,
                exception,
                business,
                ..
            } => {
                assert_eq!(status, 500);
                assert_eq!(message, "Invalid Business Unit");
                assert_eq!(exception.as_deref(), Some("E"));
                assert!(business);
            }
            other => panic!("{other:?}"),
        }
        let e = remote_error(Endpoint::DataService, 502, &h, b"<html>Bad gateway</html>");
        assert!(e.is_transient());
        assert!(e.to_string().contains("Bad gateway"));
        let e = remote_error(Endpoint::DataService, 400, &h, b"");
        assert!(!e.is_transient());
        assert!(e.to_string().contains("empty body"));
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
    }

    #[test]
    fn debug_of_client_hides_password() {
        let s = AisSettings::new(
            Url::parse("http://127.0.0.1:1/jderest/").unwrap(),
            "U",
            SecretString::from("pw-very-secret"),
        );
        let c = AisClient::new(s).unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("pw-very-secret"), "{d}");
    }
}
