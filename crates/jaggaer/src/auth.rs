//! OAuth 2.0 client credentials (Keycloak form post) and the bearer-token cache.
//!
//! Single flight: the cache sits behind a tokio `Mutex` that is held *while* a token is fetched,
//! so concurrent callers needing a token wait for the one fetch instead of each starting their
//! own. Every token gets a generation number; a request that got a 401 invalidates only the
//! generation it used, so a hundred requests failing with the same stale token clear it once and
//! then all share the one replacement.
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::error::{JaggaerError, clip};

/// A bearer token and when to renew it.
pub(crate) struct CachedToken {
    pub(crate) value: SecretString,
    pub(crate) generation: u64,
    renew_at: Instant,
}

#[derive(Default)]
struct State {
    token: Option<CachedToken>,
    generation: u64,
}

/// The token cache.
pub(crate) struct TokenCache {
    state: Mutex<State>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Number>,
}

#[derive(Deserialize)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Renew at this share of `expires_in` so a token never expires mid-request.
const RENEW_FRACTION: f64 = 0.8;

impl TokenCache {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
        }
    }

    /// A valid token (value, generation); fetches one when none is cached or it is due for renewal.
    pub(crate) async fn get(
        &self,
        fetch: impl AsyncFnOnce() -> Result<(SecretString, Duration), JaggaerError>,
    ) -> Result<(SecretString, u64), JaggaerError> {
        let mut s = self.state.lock().await;
        if let Some(t) = &s.token
            && Instant::now() < t.renew_at
        {
            return Ok((t.value.clone(), t.generation));
        }
        let (value, lifetime) = fetch().await?;
        s.generation += 1;
        let generation = s.generation;
        let renew_at = Instant::now() + lifetime.mul_f64(RENEW_FRACTION);
        s.token = Some(CachedToken {
            value: value.clone(),
            generation,
            renew_at,
        });
        Ok((value, generation))
    }

    /// Forgets the cached token, whatever its generation.
    pub(crate) async fn clear(&self) {
        self.state.lock().await.token = None;
    }

    /// Drops the cached token if it is still the one of `generation` (it got a 401).
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut s = self.state.lock().await;
        if s.token.as_ref().is_some_and(|t| t.generation == generation) {
            s.token = None;
        }
    }
}

/// Outcome of one token POST.
pub(crate) enum FetchOutcome {
    Token(SecretString, Duration),
    /// 5xx / 429 / transport: may be retried.
    Transient(JaggaerError),
}

/// One token request: `grant_type=client_credentials&client_id=..&client_secret=..` in the form
/// body (what every observed J1P client does; no scope).
pub(crate) async fn request_token(
    http: &reqwest::Client,
    token_url: &Url,
    client_id: &str,
    client_secret: &SecretString,
) -> Result<FetchOutcome, JaggaerError> {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret.expose_secret()),
    ];
    let resp = match http
        .post(token_url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            return Ok(FetchOutcome::Transient(JaggaerError::Token {
                status: 0,
                body: e.without_url().to_string(),
            }));
        }
    };
    let status = resp.status().as_u16();
    if (300..=399).contains(&status) {
        // The client never follows redirects (the form carries the secret): say where it pointed.
        return Err(JaggaerError::Redirected {
            endpoint: "token".into(),
            status,
            location: crate::client::location(resp.headers()),
        });
    }
    let body = resp.text().await.unwrap_or_default();
    match status {
        200..=299 => {
            let t: TokenResponse =
                serde_json::from_str(&body).map_err(|e| JaggaerError::Token {
                    status,
                    body: format!("unreadable token response: {e}"),
                })?;
            // Keycloak sends an integer; a missing or odd value falls back to 60 s, short enough
            // to be safe and long enough not to hammer the endpoint.
            let secs = t
                .expires_in
                .and_then(|n| n.to_string().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .unwrap_or(60.0);
            Ok(FetchOutcome::Token(
                SecretString::from(t.access_token),
                Duration::from_secs_f64(secs),
            ))
        }
        400 | 401 => {
            let e: OAuthError = serde_json::from_str(&body).unwrap_or(OAuthError {
                error: String::new(),
                error_description: clip(&body),
            });
            Err(JaggaerError::ClientRejected {
                status,
                error: e.error,
                description: e.error_description,
            })
        }
        429 | 500..=599 => Ok(FetchOutcome::Transient(JaggaerError::Token {
            status,
            body: clip(&body),
        })),
        _ => Err(JaggaerError::Token {
            status,
            body: clip(&body),
        }),
    }
}
