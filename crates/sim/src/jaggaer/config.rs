//! Configuration of the JAGGAER simulator: the start-up [`JaggaerSimConfig`] and the runtime
//! [`JaggaerKnobs`] (changeable through [`super::JaggaerSimState::set_knobs`] while it serves).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// An OAuth client the token endpoint accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct SimClient {
    /// `client_id`.
    pub id: String,
    /// `client_secret` (never printed by `Debug`).
    pub secret: String,
}

impl SimClient {
    /// A client with this id and secret.
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
        }
    }
}

impl fmt::Debug for SimClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimClient")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// Where the resources are mounted (the defaults of `docs/jaggaer-resources.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JaggaerPaths {
    /// Token endpoint.
    pub token: String,
    /// Invoice list; the detail is `{invoices}/{invoiceId}`.
    pub invoices: String,
    /// Supplier company profiles.
    pub suppliers: String,
    /// Purchase orders.
    pub purchase_orders: String,
    /// Custom-field value lists; must contain `{field}`.
    pub custom_field_values: String,
    /// cXML OrderRequest inbox.
    pub cxml_orders: String,
}

impl Default for JaggaerPaths {
    fn default() -> Self {
        Self {
            token: "/auth/realms/J1p-integrations/protocol/openid-connect/token".into(),
            invoices: "/j1p/api/public/ji/v1/invoices".into(),
            suppliers: "/j1p/api/public/ja/v1/companyprofiles".into(),
            purchase_orders: "/j1p/api/public/jp/v1/purchaseorders".into(),
            custom_field_values: "/j1p/api/public/jc/v1/customfields/{field}/values".into(),
            cxml_orders: "/apps/Router/CXMLOrderImport".into(),
        }
    }
}

/// Fault injection. Rates are probabilities per request in `0.0..=1.0`.
#[derive(Debug, Clone, PartialEq)]
pub struct JaggaerFaults {
    /// Answer 503 (a JSON error body) instead of serving.
    pub error_rate: f64,
    /// Close the connection without any response.
    pub reset_rate: f64,
    /// Delay the response by `slow_by`.
    pub slow_rate: f64,
    /// Delay of a slow response.
    pub slow_by: Duration,
    /// J1P JSON resources only: HTTP 200 with a non-zero `returnCode` (`"409"` as a string or
    /// `500` as a number, alternately) and nothing applied.
    pub app_error_rate: f64,
}

impl Default for JaggaerFaults {
    fn default() -> Self {
        Self {
            error_rate: 0.0,
            reset_rate: 0.0,
            slow_rate: 0.0,
            slow_by: Duration::from_millis(300),
            app_error_rate: 0.0,
        }
    }
}

/// What the invoice generator puts on PO-backed invoices, as suppliers really invoice against
/// POs. The defaults keep the generator's historic output (same seed, same invoices): only
/// partial invoices, at 30 %; every other behaviour is off until its rate is raised.
#[derive(Debug, Clone, PartialEq)]
pub struct PoInvoiceMix {
    /// Share of whole-number PO lines invoiced in part (a partial delivery), default 0.3.
    pub partial_rate: f64,
    /// Share of lines invoiced at a unit price `within_pct` percent above the PO's (a price
    /// variance inside JDE's default 5 % tolerance).
    pub price_within_rate: f64,
    /// Price increase of a variance within tolerance, in percent (default 2).
    pub within_pct: rust_decimal::Decimal,
    /// Share of lines invoiced at a unit price `beyond_pct` percent above the PO's.
    pub price_beyond_rate: f64,
    /// Price increase of a variance beyond tolerance, in percent (default 15).
    pub beyond_pct: rust_decimal::Decimal,
    /// Share of invoices that also bill the first open line of another PO of the same supplier
    /// (lines of two POs on one invoice).
    pub two_po_rate: f64,
    /// Share of PO-backed invoices that get one non-PO line too (a mixed invoice).
    pub non_po_line_rate: f64,
}

impl Default for PoInvoiceMix {
    fn default() -> Self {
        PoInvoiceMix {
            partial_rate: 0.3,
            price_within_rate: 0.0,
            within_pct: rust_decimal::Decimal::TWO,
            price_beyond_rate: 0.0,
            beyond_pct: rust_decimal::Decimal::from(15),
            two_po_rate: 0.0,
            non_po_line_rate: 0.0,
        }
    }
}

/// Knobs that can change while the simulator serves.
#[derive(Clone)]
pub struct JaggaerKnobs {
    /// Accepted OAuth clients (default `mlc-client` / `mlc-secret`).
    pub clients: Vec<SimClient>,
    /// `expires_in` of issued tokens; a token is refused once it has passed.
    pub token_lifetime: Duration,
    /// Added to every request.
    pub latency: Duration,
    /// Records per list page (the server fixes it; default 100).
    pub page_size: usize,
    /// Requests per second across all endpoints (token bucket, burst = the rate); above it
    /// 429 with `Retry-After`. `None` = unlimited.
    pub rate_limit: Option<u32>,
    /// Send `Retry-After` as an HTTP date instead of seconds.
    pub retry_after_http_date: bool,
    /// Faults.
    pub faults: JaggaerFaults,
    /// Probability that a newly created PO (REST or cXML) gets an invoice.
    pub invoice_on_po: f64,
    /// Probability that a generated invoice starts `Pending` (payable after `approve_pending`).
    pub pending_rate: f64,
    /// What PO-backed invoices look like (partial, price variance, two POs, mixed).
    pub po_invoices: PoInvoiceMix,
    /// SharedSecret expected in the cXML `Sender` credential.
    pub cxml_shared_secret: String,
    /// When set, the `Sender` identity must equal it too (case-insensitive).
    pub cxml_sender_identity: Option<String>,
    /// DTD used to validate cXML orders; `None` = well-formedness and required elements only.
    pub cxml_dtd: Option<PathBuf>,
    /// Capacity of the request log.
    pub log_capacity: usize,
    /// The XML Router surface (credentials, known custom fields, export pusher).
    pub xml: super::xml::XmlKnobs,
}

impl fmt::Debug for JaggaerKnobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JaggaerKnobs")
            .field("clients", &self.clients)
            .field("token_lifetime", &self.token_lifetime)
            .field("latency", &self.latency)
            .field("page_size", &self.page_size)
            .field("rate_limit", &self.rate_limit)
            .field("retry_after_http_date", &self.retry_after_http_date)
            .field("faults", &self.faults)
            .field("invoice_on_po", &self.invoice_on_po)
            .field("pending_rate", &self.pending_rate)
            .field("po_invoices", &self.po_invoices)
            .field("cxml_shared_secret", &"[redacted]")
            .field("cxml_sender_identity", &self.cxml_sender_identity)
            .field("cxml_dtd", &self.cxml_dtd)
            .field("log_capacity", &self.log_capacity)
            .field("xml", &self.xml)
            .finish()
    }
}

impl Default for JaggaerKnobs {
    fn default() -> Self {
        Self {
            clients: vec![SimClient::new("mlc-client", "mlc-secret")],
            token_lifetime: Duration::from_secs(300),
            latency: Duration::ZERO,
            page_size: 100,
            rate_limit: None,
            retry_after_http_date: false,
            faults: JaggaerFaults::default(),
            invoice_on_po: 0.6,
            pending_rate: 0.15,
            po_invoices: PoInvoiceMix::default(),
            cxml_shared_secret: "mlc-cxml-secret".into(),
            cxml_sender_identity: None,
            cxml_dtd: default_dtd_path(),
            log_capacity: 10_000,
            xml: super::xml::XmlKnobs::default(),
        }
    }
}

/// The cXML DTD to validate with by default: the reference copy when present, else
/// `MLC_CXML_DTD`. `None` when neither names an existing file.
pub fn default_dtd_path() -> Option<PathBuf> {
    let reference = PathBuf::from("/work/shared/reference/cxml-dtd/1.2.069/cXML.dtd");
    if reference.is_file() {
        return Some(reference);
    }
    std::env::var_os("MLC_CXML_DTD")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
}

/// Start-up configuration.
#[derive(Debug, Clone)]
pub struct JaggaerSimConfig {
    /// Bind address (default `127.0.0.1:0`, an ephemeral loopback port).
    pub addr: Option<SocketAddr>,
    /// Seed of the invoice generator: the same seed and the same pushed data give the same
    /// invoices (ids, numbers, amounts, coding; not the `lastUpdate` clock).
    pub seed: u64,
    /// Mount points of the resources.
    pub paths: JaggaerPaths,
    /// Initial knobs.
    pub knobs: JaggaerKnobs,
}

impl Default for JaggaerSimConfig {
    fn default() -> Self {
        Self {
            addr: None,
            seed: 42,
            paths: JaggaerPaths::default(),
            knobs: JaggaerKnobs::default(),
        }
    }
}
