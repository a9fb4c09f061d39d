//! [`XmlRouterClient`]: posts Router documents (`application/xml`) to the tenant's configured
//! paths, classifies the answer ([`classify_reply`]) and retries transient failures only, with a
//! capped exponential backoff. Redirects are never followed (a redirect means the configured URL
//! is wrong, and following it could hand the shared secret to another host).
use std::time::Duration;

use rand::Rng;
use url::Url;

use super::XmlAuth;
use super::reply::{RouterOutcome, classify_reply};
use super::write::{PurchaseOrderMessage, SupplierSyncMessage};
use crate::client::join;
use crate::error::{JaggaerError, clip};
use crate::settings::RetryPolicy;

/// Router action paths, relative to the JAGGAER base URL (interface §9 defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlPaths {
    /// `SupplierSyncMessage` import.
    pub suppliers: String,
    /// `PurchaseOrderMessage` import.
    pub purchase_orders: String,
}

impl Default for XmlPaths {
    fn default() -> Self {
        Self {
            suppliers: "/apps/Router/TSMSupplierXMLImport".into(),
            purchase_orders: "/apps/Router/POXMLImport".into(),
        }
    }
}

/// Everything the Router client needs. `Debug` redacts the shared secret.
#[derive(Debug, Clone)]
pub struct XmlRouterSettings {
    /// Integration host, e.g. `https://integrations.sciquest.com`.
    pub base_url: Url,
    /// Action paths.
    pub paths: XmlPaths,
    /// `Identity` + `SharedSecret` written into every document.
    pub auth: XmlAuth,
    /// Timeout of one HTTP request.
    pub timeout: Duration,
    /// Retries of transient failures (only `max_retries`, `min_delay`, `max_delay` and
    /// `max_retry_after` apply).
    pub retry: RetryPolicy,
    /// Extra trusted root certificates (PEM).
    pub ca_cert_pem: Option<String>,
    /// HTTP(S) proxy; when `None` the standard environment variables apply.
    pub proxy: Option<Url>,
}

impl XmlRouterSettings {
    /// Defaults for everything but the address and the credentials.
    pub fn new(base_url: Url, auth: XmlAuth) -> Self {
        Self {
            base_url,
            paths: XmlPaths::default(),
            auth,
            timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            ca_cert_pem: None,
            proxy: None,
        }
    }
}

/// The Router transport.
#[derive(Debug, Clone)]
pub struct XmlRouterClient {
    http: reqwest::Client,
    settings: XmlRouterSettings,
}

impl XmlRouterClient {
    /// Builds the client; no request is sent.
    pub fn new(settings: XmlRouterSettings) -> Result<Self, JaggaerError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("ml-connector/", env!("CARGO_PKG_VERSION")))
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(15)))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &settings.ca_cert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| JaggaerError::Config(format!("ca_cert_pem: {e}")))?;
            if certs.is_empty() {
                return Err(JaggaerError::Config(
                    "ca_cert_pem: no certificate found in the PEM text".into(),
                ));
            }
            builder = builder.tls_certs_merge(certs);
        }
        if let Some(p) = &settings.proxy {
            let proxy = reqwest::Proxy::all(p.as_str())
                .map_err(|e| JaggaerError::Config(format!("proxy: {e}")))?;
            builder = builder.proxy(proxy);
        }
        let http = builder
            .build()
            .map_err(|e| JaggaerError::Config(format!("HTTP client: {e}")))?;
        // Fail early on a base URL that cannot take the paths.
        join(&settings.base_url, &settings.paths.suppliers)?;
        join(&settings.base_url, &settings.paths.purchase_orders)?;
        Ok(Self { http, settings })
    }

    /// The settings.
    pub fn settings(&self) -> &XmlRouterSettings {
        &self.settings
    }

    /// Sends one page of suppliers to the supplier action.
    pub async fn send_suppliers(&self, msg: &SupplierSyncMessage) -> RouterOutcome {
        let doc = msg.to_xml(&self.settings.auth);
        self.post_document(&self.settings.paths.suppliers, &doc)
            .await
    }

    /// Sends one purchase order to the PO action.
    pub async fn send_purchase_order(&self, msg: &PurchaseOrderMessage) -> RouterOutcome {
        let doc = msg.to_xml(&self.settings.auth);
        self.post_document(&self.settings.paths.purchase_orders, &doc)
            .await
    }

    /// POSTs `document` to `path` (relative to the base URL) and classifies the answer;
    /// transient outcomes are retried up to `retry.max_retries` times, nothing else is.
    pub async fn post_document(&self, path: &str, document: &str) -> RouterOutcome {
        let url = match join(&self.settings.base_url, path) {
            Ok(u) => u,
            Err(e) => {
                return RouterOutcome::Configuration {
                    message: e.to_string(),
                    http_status: 0,
                };
            }
        };
        let retry = &self.settings.retry;
        let mut attempt = 0u32;
        loop {
            let (outcome, retry_after) = self.once(&url, path, document).await;
            let RouterOutcome::Transient { reason } = &outcome else {
                return outcome;
            };
            if attempt >= retry.max_retries {
                return RouterOutcome::Transient {
                    reason: format!("{reason} (after {} attempts)", attempt.saturating_add(1)),
                };
            }
            let backoff = backoff(retry, attempt);
            let wait = match retry_after {
                Some(ra) if ra <= retry.max_retry_after => ra.max(backoff),
                Some(_) => return outcome,
                None => backoff,
            };
            tracing::debug!(path, attempt, ?wait, %reason, "Router: transient failure, retrying");
            tokio::time::sleep(wait).await;
            attempt = attempt.saturating_add(1);
        }
    }

    async fn once(
        &self,
        url: &Url,
        path: &str,
        document: &str,
    ) -> (RouterOutcome, Option<Duration>) {
        let started = std::time::Instant::now();
        let sent = self
            .http
            .post(url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/xml; charset=UTF-8",
            )
            .header(reqwest::header::ACCEPT, "application/xml")
            .body(document.to_owned())
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                // The error text names the URL, never the body (which holds the secret).
                let kind = if e.is_timeout() {
                    "timeout"
                } else {
                    "transport error"
                };
                return (
                    RouterOutcome::Transient {
                        reason: format!("{path}: {kind}: {e}"),
                    },
                    None,
                );
            }
        };
        let status = resp.status().as_u16();
        tracing::debug!(
            method = "POST",
            path = url.path(),
            status,
            ms = started.elapsed().as_millis() as u64,
            "JAGGAER Router request"
        );
        if resp.status().is_redirection() {
            let to = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?")
                .to_owned();
            return (
                RouterOutcome::Configuration {
                    message: format!(
                        "{path}: HTTP {status} redirect to {} not followed; check base_url and xml_paths",
                        clip(&to)
                    ),
                    http_status: status,
                },
                None,
            );
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = match resp.text().await {
            Ok(b) => b,
            Err(e) => {
                return (
                    RouterOutcome::Transient {
                        reason: format!("{path}: HTTP {status}, body not read: {e}"),
                    },
                    None,
                );
            }
        };
        (classify_reply(status, &body), retry_after)
    }
}

fn backoff(p: &RetryPolicy, attempt: u32) -> Duration {
    let base = p
        .min_delay
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(p.max_delay);
    // Up to +25 % jitter so parallel tenants do not retry in lockstep.
    let jitter = rand::rng().random_range(0.0..=0.25);
    base.saturating_add(base.mul_f64(jitter))
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn settings(base: &str, retries: u32) -> XmlRouterSettings {
        let mut s = XmlRouterSettings::new(
            Url::parse(base).unwrap(),
            XmlAuth::new("ORG", SecretString::from("pw")),
        );
        s.retry = RetryPolicy {
            max_retries: retries,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(1),
            max_rate_limit_wait: Duration::from_secs(5),
        };
        s.timeout = Duration::from_secs(5);
        s
    }

    const OK: &str = "<SupplierSyncMessage><SupplierResponseMessage><Status><StatusCode>200</StatusCode>\
        <StatusText>Success (Counts: Total documents attempted=1, Total documents completed=1.)</StatusText>\
        </Status></SupplierResponseMessage></SupplierSyncMessage>";
    const PARSE_FAIL: &str = "<SupplierSyncMessage><SupplierResponseMessage><Status><StatusCode>500</StatusCode>\
        <StatusText>Error while parsing the input</StatusText><Errors><ErrorMessage type=\"Error\">XML Error : \
        bad at line 3</ErrorMessage></Errors></Status></SupplierResponseMessage></SupplierSyncMessage>";

    #[tokio::test]
    async fn transient_then_success_is_retried() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/apps/Router/TSMSupplierXMLImport"))
            .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/apps/Router/TSMSupplierXMLImport"))
            .respond_with(ResponseTemplate::new(200).set_body_string(OK))
            .mount(&server)
            .await;
        let c = XmlRouterClient::new(settings(&server.uri(), 3)).unwrap();
        let out = c
            .post_document("/apps/Router/TSMSupplierXMLImport", "<x/>")
            .await;
        assert!(out.is_success(), "{out:?}");
        let reqs = server.received_requests().await.unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(
            reqs[0]
                .headers
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap(),
            "application/xml; charset=UTF-8"
        );
    }

    #[tokio::test]
    async fn readable_500_is_not_retried_and_retries_are_capped() {
        let server = MockServer::start().await;
        Mock::given(path("/fail"))
            .respond_with(ResponseTemplate::new(500).set_body_string(PARSE_FAIL))
            .mount(&server)
            .await;
        Mock::given(path("/down"))
            .respond_with(ResponseTemplate::new(502))
            .mount(&server)
            .await;
        let c = XmlRouterClient::new(settings(&server.uri(), 2)).unwrap();
        let out = c.post_document("/fail", "<x/>").await;
        assert!(
            matches!(
                out,
                RouterOutcome::Refused {
                    http_status: 500,
                    ..
                }
            ),
            "{out:?}"
        );
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
        let out = c.post_document("/down", "<x/>").await;
        match out {
            RouterOutcome::Transient { reason } => {
                assert!(reason.contains("after 3 attempts"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(server.received_requests().await.unwrap().len(), 4);
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let server = MockServer::start().await;
        Mock::given(path("/moved"))
            .respond_with(
                ResponseTemplate::new(302)
                    .insert_header("location", format!("{}/elsewhere", server.uri())),
            )
            .mount(&server)
            .await;
        Mock::given(path("/elsewhere"))
            .respond_with(ResponseTemplate::new(200).set_body_string(OK))
            .mount(&server)
            .await;
        let c = XmlRouterClient::new(settings(&server.uri(), 3)).unwrap();
        let out = c.post_document("/moved", "<x/>").await;
        assert!(
            matches!(
                out,
                RouterOutcome::Configuration {
                    http_status: 302,
                    ..
                }
            ),
            "{out:?}"
        );
        let reqs = server.received_requests().await.unwrap();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].url.path(), "/moved");
    }
}
