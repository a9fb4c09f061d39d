//! The crate's error type. Every variant keeps what the remote said (status, message, body text)
//! so an operator can see the cause without turning on debug logging; secrets never appear here.
use std::time::Duration;

use crate::cxml::CxmlError;

/// Longest remote body text kept in an error (bytes, cut on a char boundary).
const MAX_BODY: usize = 2048;

/// Cuts a remote body to a size that is safe to log and store.
pub(crate) fn clip(body: &str) -> String {
    if body.len() <= MAX_BODY {
        return body.to_owned();
    }
    let mut end = MAX_BODY;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &body[..end], body.len())
}

/// Everything that can go wrong talking to JAGGAER.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JaggaerError {
    /// The settings cannot be used (bad URL, unreadable CA PEM, bad proxy URL...).
    #[error("invalid JAGGAER settings: {0}")]
    Config(String),

    /// The token endpoint rejected our client credentials (HTTP 400/401). Not retried: a wrong
    /// client id or secret does not heal by itself.
    #[error("JAGGAER token endpoint rejected the client (HTTP {status}): {error}: {description}")]
    ClientRejected {
        /// HTTP status of the token response.
        status: u16,
        /// OAuth `error` code, e.g. `invalid_client`.
        error: String,
        /// OAuth `error_description`, or the raw body when it was not JSON.
        description: String,
    },

    /// The token endpoint failed in another way (5xx after retries, or an unreadable answer).
    #[error("JAGGAER token request failed (HTTP {status}): {body}")]
    Token {
        /// HTTP status (0 when the request never got an answer).
        status: u16,
        /// The response body or the transport error text.
        body: String,
    },

    /// The API still answered 401 after one token renewal.
    #[error("JAGGAER {endpoint}: unauthorized after renewing the token: {body}")]
    Unauthorized {
        /// Endpoint label (the configured path).
        endpoint: String,
        /// Response body text.
        body: String,
    },

    /// A non-success HTTP status that is not retried (400/403/404/409/...) or that persisted
    /// through all retries (5xx).
    #[error("JAGGAER {endpoint}: HTTP {status}: {body}")]
    Http {
        /// Endpoint label (the configured path).
        endpoint: String,
        /// HTTP status code.
        status: u16,
        /// Response body text.
        body: String,
    },

    /// A 3xx answer. Redirects are never followed: the token request carries the client secret
    /// and data calls carry the bearer token, and neither may be re-sent to an address nobody
    /// configured. The fix is to configure the final URL (`base_url`, `token_url`).
    #[error(
        "JAGGAER {endpoint}: HTTP {status} redirect to {location:?} refused (redirects are not \
         followed, so credentials never go to another address); configure the final URL in \
         base_url/token_url"
    )]
    Redirected {
        /// Endpoint label (`token` for the token endpoint).
        endpoint: String,
        /// HTTP status (301, 302, 303, 307, 308...).
        status: u16,
        /// The `Location` header (scheme, host and path only; empty when absent).
        location: String,
    },

    /// 429 Too Many Requests persisted through all retries.
    #[error("JAGGAER {endpoint}: rate limited (429), retry after {retry_after:?}")]
    RateLimited {
        /// Endpoint label.
        endpoint: String,
        /// The last `Retry-After` the server gave, if any.
        retry_after: Option<Duration>,
    },

    /// The request never got an HTTP answer (connect, TLS, timeout) after all retries.
    #[error("JAGGAER {endpoint}: transport error: {source}")]
    Transport {
        /// Endpoint label.
        endpoint: String,
        /// The underlying HTTP client error.
        #[source]
        source: reqwest::Error,
    },

    /// HTTP 200 with `returnCode != 0`: JAGGAER refused the request at application level.
    #[error("JAGGAER application error {code}: {message}")]
    Application {
        /// `returnCode` as text (JAGGAER sends it as a number or a string).
        code: String,
        /// `returnMessage`.
        message: String,
    },

    /// The answer could not be decoded into the expected shape.
    #[error("JAGGAER {endpoint}: cannot decode response at {path}: {message}")]
    Decode {
        /// Endpoint label.
        endpoint: String,
        /// JSON path of the offending value (e.g. `lineList.invoiceLine[2].unitPrice`).
        path: String,
        /// What was wrong.
        message: String,
    },

    /// A cXML document could not be written or read.
    #[error(transparent)]
    Cxml(#[from] CxmlError),
}

impl JaggaerError {
    /// True when trying again later may succeed (rate limits, 5xx, transport faults). Client
    /// rejections, 4xx, application and decode errors need a person or a data fix.
    pub fn is_transient(&self) -> bool {
        match self {
            JaggaerError::RateLimited { .. }
            | JaggaerError::Transport { .. }
            | JaggaerError::Token { .. } => true,
            JaggaerError::Http { status, .. } => *status >= 500 || *status == 408,
            _ => false,
        }
    }

    /// The HTTP status behind this error, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            JaggaerError::Http { status, .. } | JaggaerError::ClientRejected { status, .. } => {
                Some(*status)
            }
            JaggaerError::Unauthorized { .. } => Some(401),
            JaggaerError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
}
