//! The HTTP side of `ml-connector run`: one axum router on `[server] listen`.
//!
//! | route | what |
//! |---|---|
//! | `GET /`, `/login`, `/runs`, `/records`, `/quarantine`… | the operator console, signed-in users only ([`console`]) |
//! | `GET /healthz` | 200 `ok` while the process serves requests (liveness) ([`health`]) |
//! | `GET /readyz` | 200 when the store answers and a tenant is active, else 503 with a JSON reason |
//! | `GET /metrics` | Prometheus text exposition ([`metrics`]) |
//! | `POST /cxml/{tenant}` | inbound cXML `InvoiceDetailRequest` ([`cxml`]) |
//! | `POST /jaggaer/export/{tenant}` | JAGGAER's `BuyerInvoiceExportMessage` (XML Router) ([`export`]) |
//!
//! The router holds no sync logic: the cXML endpoint only authenticates the sender, stores the
//! document durably in the store's inbox and answers; the engine's invoice flow picks it up.
//! Everything it needs is in [`ServerState`], built once by `run` (and by tests with a
//! SQLite store and no engine at all).
pub(crate) mod console;
pub(crate) mod cxml;
pub(crate) mod export;
pub(crate) mod health;
pub(crate) mod listen;
pub(crate) mod metrics;
pub(crate) mod xml_guard;

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use mlc_core::ids::TenantId;
use mlc_store::StateStore;
use secrecy::SecretString;

/// What the handlers share.
pub(crate) struct ServerState {
    /// The state store (inbox, tenant state, runs, quarantine).
    pub(crate) store: Arc<dyn StateStore>,
    /// The configured tenants, in config order.
    pub(crate) tenants: Vec<TenantEntry>,
    /// The Prometheus recorder's handle; `None` when no recorder is installed (then
    /// `/metrics` answers 503, so a scrape never silently sees an empty page).
    pub(crate) metrics: Option<PrometheusHandle>,
    /// This process's worker id, shown on the dashboard.
    pub(crate) worker_id: String,
    /// Credential pre-scan and parse concurrency of the inbound XML endpoints.
    pub(crate) xml: xml_guard::XmlGuard,
    /// Sign-in, sessions and the retry path of the console.
    pub(crate) console: console::Console,
}

impl fmt::Debug for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerState")
            .field("store", &self.store.backend())
            .field("tenants", &self.tenants)
            .field("metrics", &self.metrics.is_some())
            .field("worker_id", &self.worker_id)
            .field("xml_parallel", &self.xml.parallel())
            .field("console", &self.console)
            .finish()
    }
}

impl ServerState {
    /// The tenant with this id, if configured.
    pub(crate) fn tenant(&self, id: &str) -> Option<&TenantEntry> {
        self.tenants.iter().find(|t| t.id.as_str() == id)
    }
}

/// One configured tenant as the server sees it.
pub(crate) struct TenantEntry {
    /// Tenant id.
    pub(crate) id: TenantId,
    /// Human text of its schedule (`every 5m`, `cron */5 * * * * (America/Chicago)`).
    pub(crate) schedule: String,
    /// The tenant's `jde_timezone` name: JDE watermarks are shown in it.
    pub(crate) jde_timezone_name: String,
    /// Present when the tenant's JAGGAER transport is cXML: it may post invoices to
    /// `/cxml/{tenant}`.
    pub(crate) cxml: Option<CxmlReceiver>,
    /// Present when the tenant's JAGGAER transport is XML: JAGGAER may push invoice exports to
    /// `/jaggaer/export/{tenant}`.
    pub(crate) xml_export: Option<XmlExportReceiver>,
}

/// Inbound invoice export settings of a tenant (vault: `jaggaer.xml_identity`,
/// `jaggaer.xml_shared_secret`; both required for `transport = "xml"`).
pub(crate) struct XmlExportReceiver {
    /// `Header/Authentication/Identity` JAGGAER must present.
    pub(crate) identity: String,
    /// `Header/Authentication/SharedSecret` JAGGAER must present.
    pub(crate) shared_secret: SecretString,
}

impl fmt::Debug for XmlExportReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XmlExportReceiver")
            .field("identity", &self.identity)
            .field("shared_secret", &"[REDACTED]")
            .finish()
    }
}

/// Inbound cXML settings of a tenant.
pub(crate) struct CxmlReceiver {
    /// The `SharedSecret` a sender must present (vault: `jaggaer.cxml_shared_secret`). `None`
    /// refuses every document with 401: a receiver without a secret would accept anyone.
    pub(crate) shared_secret: Option<SecretString>,
}

impl fmt::Debug for TenantEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantEntry")
            .field("id", &self.id.as_str())
            .field("schedule", &self.schedule)
            .field("jde_timezone_name", &self.jde_timezone_name)
            .field("cxml", &self.cxml)
            .field("xml_export", &self.xml_export)
            .finish()
    }
}

impl fmt::Debug for CxmlReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only whether a secret is configured; never the secret.
        f.debug_struct("CxmlReceiver")
            .field(
                "shared_secret",
                &self.shared_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

/// The router of `run`.
pub(crate) fn router(state: Arc<ServerState>) -> Router {
    console::routes()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route(
            "/cxml/{tenant}",
            // The cXML reader refuses anything over MAX_DOCUMENT_BYTES itself; the body limit
            // lets such a document reach it (axum's default is 2 MiB) and no further.
            post(cxml::receive).layer(DefaultBodyLimit::max(listen::MAX_BODY)),
        )
        .route(
            "/jaggaer/export/{tenant}",
            post(export::receive).layer(DefaultBodyLimit::max(listen::MAX_BODY)),
        )
        .with_state(state)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use secrecy::SecretString;

    /// A SQLite store in a temp dir and a server state with tenants `acme` (REST) and `beta`
    /// (cXML with the shared secret `s3cret`).
    pub(crate) async fn state() -> (tempfile::TempDir, Arc<ServerState>) {
        state_with(console::Console::default()).await
    }

    /// [`state`] with this console (auth settings, retry path).
    pub(crate) async fn state_with(
        console: console::Console,
    ) -> (tempfile::TempDir, Arc<ServerState>) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = mlc_store::open(&url).await.unwrap();
        let state = ServerState {
            store,
            tenants: vec![
                TenantEntry {
                    id: TenantId::parse("acme").unwrap(),
                    schedule: "every 5m".into(),
                    jde_timezone_name: "America/Chicago".into(),
                    cxml: None,
                    xml_export: None,
                },
                TenantEntry {
                    id: TenantId::parse("beta").unwrap(),
                    schedule: "every 1m".into(),
                    jde_timezone_name: "UTC".into(),
                    cxml: Some(CxmlReceiver {
                        shared_secret: Some(SecretString::from("s3cret")),
                    }),
                    xml_export: None,
                },
                TenantEntry {
                    id: TenantId::parse("gamma").unwrap(),
                    schedule: "every 1m".into(),
                    jde_timezone_name: "UTC".into(),
                    cxml: None,
                    xml_export: Some(XmlExportReceiver {
                        identity: "org-9".into(),
                        shared_secret: SecretString::from("xs3cret"),
                    }),
                },
            ],
            metrics: None,
            worker_id: "test-1-abc".into(),
            xml: xml_guard::XmlGuard::default(),
            console,
        };
        (dir, Arc::new(state))
    }

    #[tokio::test]
    async fn debug_of_the_state_never_shows_the_shared_secret() {
        let (_dir, state) = state().await;
        let text = format!("{state:?}");
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("org-9"), "{text}");
        assert!(text.contains("REDACTED"), "{text}");
    }
}
