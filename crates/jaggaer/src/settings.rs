//! Connection settings for one tenant's JAGGAER J1P API. Every path is configuration (the J1P
//! paths for POs and value lists are only confirmed at onboarding), and the token URL is its own
//! value, never derived from anything but the default below.
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// Default Keycloak token path, appended to `base_url` when `token_url` is not set.
pub const DEFAULT_TOKEN_PATH: &str = "/auth/realms/J1p-integrations/protocol/openid-connect/token";

/// Resource paths, relative to `base_url` (interface §4 defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct J1pPaths {
    /// Invoice list and detail (`{invoices}/{invoiceId}`).
    pub invoices: String,
    /// Supplier (company) profiles.
    pub suppliers: String,
    /// Purchase orders.
    pub purchase_orders: String,
    /// Custom-field value lists; `{field}` is replaced by the field name (`Account`, `CostCenter`).
    pub custom_field_values: String,
    /// cXML OrderRequest import endpoint.
    pub cxml_orders: String,
}

impl Default for J1pPaths {
    fn default() -> Self {
        Self {
            invoices: "/j1p/api/public/ji/v1/invoices".into(),
            suppliers: "/j1p/api/public/ja/v1/companyprofiles".into(),
            purchase_orders: "/j1p/api/public/jp/v1/purchaseorders".into(),
            custom_field_values: "/j1p/api/public/jc/v1/customfields/{field}/values".into(),
            cxml_orders: "/apps/Router/CXMLOrderImport".into(),
        }
    }
}

/// How faults are retried. 5xx and network faults use the attempt budget; a 429 does not (it is
/// JAGGAER saying "slower", not a fault): the call waits out each `Retry-After` and goes on,
/// until it has waited `max_rate_limit_wait` in total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// First backoff delay for 5xx/network faults (doubles each time, with jitter).
    pub min_delay: Duration,
    /// Ceiling of one backoff delay.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for inside a call: the call fails with
    /// `RateLimited` (the pause still applies to later calls) so a sync run does not hang for hours.
    pub max_retry_after: Duration,
    /// Total time one call may spend waiting out 429 pauses before it fails with `RateLimited`.
    /// Long on purpose: the cycle deadline, not this, normally ends a rate-limited cycle.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
            max_rate_limit_wait: Duration::from_secs(30 * 60),
        }
    }
}

/// Everything needed to talk to one tenant's J1P API.
///
/// `Debug` is safe to log: the client secret is a [`SecretString`] and prints redacted.
#[derive(Debug, Clone)]
pub struct J1pSettings {
    /// API host, e.g. `https://prep-reg02.api.jaggaer.com`.
    pub base_url: Url,
    /// Token endpoint; default `{base_url}` + [`DEFAULT_TOKEN_PATH`].
    pub token_url: Option<Url>,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// Resource paths.
    pub paths: J1pPaths,
    /// Client-side request rate ceiling (requests per second), if any.
    pub rate_limit_per_sec: Option<u32>,
    /// Ceiling of requests in flight (the adaptive limit grows up to it).
    pub max_in_flight: usize,
    /// Timeout of one HTTP request.
    pub timeout: Duration,
    /// Extra trusted root certificates (PEM), e.g. a TLS-inspecting proxy's CA. Added to the
    /// built-in roots; verification is never disabled.
    pub ca_cert_pem: Option<String>,
    /// HTTP(S) proxy (`http://user:pass@proxy:3128`); when `None`, the standard environment
    /// variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`) apply.
    pub proxy: Option<Url>,
    /// Invoice list filter field for "updated since" (`lastUpdate`).
    pub invoice_filter_field: String,
    /// Retry behaviour.
    pub retry: RetryPolicy,
}

impl J1pSettings {
    /// Settings with the defaults for everything but the address and credentials.
    pub fn new(base_url: Url, client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            base_url,
            token_url: None,
            client_id: client_id.into(),
            client_secret,
            paths: J1pPaths::default(),
            rate_limit_per_sec: None,
            max_in_flight: 8,
            timeout: Duration::from_secs(30),
            ca_cert_pem: None,
            proxy: None,
            invoice_filter_field: "lastUpdate".into(),
            retry: RetryPolicy::default(),
        }
    }
}
