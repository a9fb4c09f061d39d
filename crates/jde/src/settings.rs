//! Connection settings of one AIS server and the retry policy.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::error::JdeError;

/// Bounded exponential back-off for transient failures (5xx, resets, timeouts, 503 over the
/// server's concurrency ceiling). Delays grow from `min_delay` to `max_delay` with jitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first one (1 = never retry).
    pub max_attempts: usize,
    /// First back-off delay.
    pub min_delay: Duration,
    /// Largest back-off delay.
    pub max_delay: Duration,
    /// Upper bound on a server's `Retry-After`: a proxy asking for an hour must not stall a run.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (tests, or callers with their own retry loop).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }
}

/// Everything needed to talk to one AIS server as one E1 user.
///
/// `Debug` never shows the password (it is a [`SecretString`]).
#[derive(Clone)]
pub struct AisSettings {
    /// AIS base, e.g. `https://ais.example:9300/jderest/`. A trailing `v2/` or `v3/` is stripped
    /// and a trailing slash added, so every endpoint path joins the same way.
    pub base_url: Url,
    /// E1 user of the integration (a service account: locking it stops the customer's AP).
    pub username: String,
    /// Its password.
    pub password: SecretString,
    /// E1 environment (`JDV920`); server default when `None`.
    pub environment: Option<String>,
    /// E1 role (`*ALL`); server default when `None`.
    pub role: Option<String>,
    /// Device name the token is bound to.
    pub device_name: String,
    /// The customer's own CA certificate(s), PEM, added to the platform roots.
    pub ca_cert_pem: Option<String>,
    /// Explicit proxy for all AIS traffic; `None` = `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.
    pub proxy: Option<Url>,
    /// Cap on concurrent HTTP requests of one client (AIS servers are small).
    pub max_in_flight: usize,
    /// Timeout of one HTTP request.
    pub timeout: Duration,
    /// Retry policy for transient failures.
    pub retry: RetryPolicy,
}

impl fmt::Debug for AisSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AisSettings")
            .field("base_url", &self.base_url.as_str())
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .field("environment", &self.environment)
            .field("role", &self.role)
            .field("device_name", &self.device_name)
            .field("ca_cert_pem", &self.ca_cert_pem.as_ref().map(|p| p.len()))
            .field("proxy", &self.proxy.as_ref().map(redact_url))
            .field("max_in_flight", &self.max_in_flight)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// A proxy URL may carry `user:password@`; only scheme, host and port are shown.
pub(crate) fn redact_url(u: &Url) -> String {
    format!(
        "{}://{}{}",
        u.scheme(),
        u.host_str().unwrap_or(""),
        u.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

impl AisSettings {
    /// Settings with the defaults: device `ml-connector`, 2 requests in flight, 60 s timeout,
    /// default retry policy.
    pub fn new(base_url: Url, username: impl Into<String>, password: SecretString) -> Self {
        Self {
            base_url,
            username: username.into(),
            password,
            environment: None,
            role: None,
            device_name: "ml-connector".into(),
            ca_cert_pem: None,
            proxy: None,
            max_in_flight: 2,
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }

    /// The base URL normalised to end with one `/`, without a trailing `v2/`/`v3/`.
    pub fn normalized_base(&self) -> Result<Url, JdeError> {
        normalize_base(&self.base_url)
    }
}

pub(crate) fn normalize_base(u: &Url) -> Result<Url, JdeError> {
    if !matches!(u.scheme(), "http" | "https") {
        return Err(JdeError::Config(format!(
            "AIS base URL must be http or https, got {}",
            u.scheme()
        )));
    }
    if u.cannot_be_a_base() || u.host_str().is_none() {
        return Err(JdeError::Config("AIS base URL has no host".into()));
    }
    let mut u = u.clone();
    u.set_query(None);
    u.set_fragment(None);
    let mut path = u.path().trim_end_matches('/').to_owned();
    for v in ["/v1", "/v2", "/v3"] {
        if let Some(p) = path.strip_suffix(v) {
            path = p.to_owned();
            break;
        }
    }
    path.push('/');
    u.set_path(&path);
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_normalised() {
        for (given, want) in [
            ("https://ais:9300/jderest", "https://ais:9300/jderest/"),
            ("https://ais:9300/jderest/", "https://ais:9300/jderest/"),
            ("https://ais:9300/jderest/v2/", "https://ais:9300/jderest/"),
            ("https://ais:9300/jderest/v3", "https://ais:9300/jderest/"),
            ("https://ais/custom/ais/", "https://ais/custom/ais/"),
        ] {
            let got = normalize_base(&Url::parse(given).unwrap()).unwrap();
            assert_eq!(got.as_str(), want, "{given}");
        }
        assert!(normalize_base(&Url::parse("ftp://ais/jderest").unwrap()).is_err());
    }

    #[test]
    fn debug_hides_password_and_proxy_credentials() {
        let mut s = AisSettings::new(
            Url::parse("https://ais/jderest/").unwrap(),
            "APUSER",
            SecretString::from("hunter2-secret"),
        );
        s.proxy = Some(Url::parse("http://puser:ppass-secret@proxy:3128").unwrap());
        let d = format!("{s:?}");
        assert!(!d.contains("hunter2-secret"), "{d}");
        assert!(!d.contains("ppass-secret"), "{d}");
        assert!(d.contains("APUSER"));
    }
}
