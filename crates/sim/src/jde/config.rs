//! Simulator configuration: what is fixed at start (seed, size, address) and the knobs that can
//! be changed while it runs ([`JdeKnobs`], through `JdeSimState::set_knobs`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// How much data to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimSize {
    /// About 20 suppliers and 50 purchase orders.
    Small,
    /// About 200 suppliers and 1,000 purchase orders.
    Medium,
    /// 2,000 suppliers and 10,000 purchase orders (≈100,000 lines).
    Large,
    /// Exactly this many suppliers and purchase orders.
    Custom {
        /// Number of suppliers (F0101 AT1 `V` + F0401).
        suppliers: usize,
        /// Number of purchase order headers (F4301), each with 1–20 lines.
        pos: usize,
    },
}

impl SimSize {
    /// (suppliers, purchase orders).
    pub fn counts(self) -> (usize, usize) {
        match self {
            SimSize::Small => (20, 50),
            SimSize::Medium => (200, 1_000),
            SimSize::Large => (2_000, 10_000),
            SimSize::Custom { suppliers, pos } => (suppliers.max(1), pos),
        }
    }
}

/// An E1 user known to the simulator.
#[derive(Clone)]
pub struct SimUser {
    /// E1 user id (upper case, as JDE shows it).
    pub username: String,
    /// Password. Kept out of `Debug`.
    pub password: String,
    /// The user's date preference as AIS reports it in `userInfo.simpleDateFormat`, e.g.
    /// `MM/dd/yyyy` or `dd/MM/yyyy`; date literals in query conditions must use it.
    pub simple_date_format: String,
    /// Tables this user may not read (row/table security): the data service answers 403.
    pub denied_tables: Vec<String>,
}

impl SimUser {
    /// A user with no table restrictions.
    pub fn new(username: &str, password: &str, simple_date_format: &str) -> Self {
        SimUser {
            username: username.to_owned(),
            password: password.to_owned(),
            simple_date_format: simple_date_format.to_owned(),
            denied_tables: Vec::new(),
        }
    }
}

impl fmt::Debug for SimUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimUser")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("simple_date_format", &self.simple_date_format)
            .field("denied_tables", &self.denied_tables)
            .finish()
    }
}

/// How a failed voucher orchestration answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// HTTP 500 with a `ServiceErrorResponse` body (the documented default).
    Http500,
    /// HTTP 200 with `jde__status: "ERROR"`, `message` and form-style `errors[]`.
    Status200,
}

/// When the batch voucher processor (R04110ZA) runs by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoProcess {
    /// Only when `process_vouchers()` is called.
    Off,
    /// Right after every voucher orchestration call.
    AfterEachCall,
    /// On a fixed interval, like a scheduled UBE.
    Every(Duration),
}

/// A version's data selection for the batch voucher processor: which Z rows a run covers
/// (`None` = any value). Like the data selection of an R04110ZA version on `EDUS`/`EDBT`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataSelection {
    /// Only rows of this EDI user (`EDUS`).
    pub edus: Option<String>,
    /// Only rows of this EDI batch (`EDBT`).
    pub edbt: Option<String>,
}

impl DataSelection {
    /// Every unprocessed row.
    pub fn all() -> Self {
        DataSelection::default()
    }

    /// Rows of one EDI user.
    pub fn user(edus: &str) -> Self {
        DataSelection {
            edus: Some(edus.to_owned()),
            edbt: None,
        }
    }

    /// Whether a Z row with this user and batch is selected.
    pub fn covers(&self, edus: &str, edbt: &str) -> bool {
        self.edus.as_deref().is_none_or(|u| u == edus)
            && self.edbt.as_deref().is_none_or(|b| b == edbt)
    }
}

/// Whether the AIS report service (`v2/report/execute`, `v2/report/status`) is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportService {
    /// Served.
    Available,
    /// Not on this Tools release: both routes answer 404.
    Missing,
    /// The user may not run reports: both routes answer 403.
    Refused,
}

/// How a launched report job ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// `D` after `report_runtime`; the processor runs over the version's data selection.
    Done,
    /// `E` after `report_runtime`; nothing is processed.
    Error,
    /// Stays `P` for ever; nothing is processed.
    NeverEnds,
}

/// Standard tolerance of Voucher Match Automation (JDE's Tolerance Rules, P4322, as one
/// setting for every company and item): how far an invoice line's amount may differ from the
/// quantity times the receipt's (or PO line's) unit cost, either way. Every limit that is set
/// must hold; with none set the amounts must be equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchTolerance {
    /// Extended amount tolerance in percent of the expected amount (`5` = 5 %).
    pub percent: Option<rust_decimal::Decimal>,
    /// Extended amount tolerance as an amount in the invoice currency.
    pub amount: Option<rust_decimal::Decimal>,
}

impl Default for MatchTolerance {
    /// 5 %, no amount limit.
    fn default() -> Self {
        MatchTolerance {
            percent: Some(rust_decimal::Decimal::from(5)),
            amount: None,
        }
    }
}

impl MatchTolerance {
    /// Whether `diff` (absolute) is within every limit set, for an expected amount.
    pub fn allows(&self, expected: rust_decimal::Decimal, diff: rust_decimal::Decimal) -> bool {
        let diff = diff.abs();
        if self.percent.is_none() && self.amount.is_none() {
            return diff.is_zero();
        }
        self.percent
            .is_none_or(|p| diff <= expected.abs() * p / rust_decimal::Decimal::ONE_HUNDRED)
            && self.amount.is_none_or(|a| diff <= a)
    }

    /// The largest difference allowed for an expected amount (for messages).
    pub fn allowed(&self, expected: rust_decimal::Decimal) -> rust_decimal::Decimal {
        let by_pct = self
            .percent
            .map(|p| expected.abs() * p / rust_decimal::Decimal::ONE_HUNDRED);
        match (by_pct, self.amount) {
            (Some(p), Some(a)) => p.min(a),
            (Some(p), None) => p,
            (None, Some(a)) => a,
            (None, None) => rust_decimal::Decimal::ZERO,
        }
    }
}

/// Fault injection.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Share of requests (0.0–1.0) answered 500 with an AIS error body.
    pub error_rate: f64,
    /// Share of requests whose connection is dropped without any response.
    pub reset_rate: f64,
    /// Share of requests delayed by `slow_by`.
    pub slow_rate: f64,
    /// Delay of a slow response.
    pub slow_by: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            error_rate: 0.0,
            reset_rate: 0.0,
            slow_rate: 0.0,
            slow_by: Duration::from_secs(2),
        }
    }
}

/// Knobs that may change while the simulator runs.
#[derive(Debug, Clone)]
pub struct JdeKnobs {
    /// E1 users. Default: `JDEUSER` / `JDEPASS` with `MM/dd/yyyy`.
    pub users: Vec<SimUser>,
    /// IANA time zone of the JDE server; UPMJ/TDAY stamps use its wall-clock time.
    pub timezone: String,
    /// Fixed "now" (server wall-clock) instead of the real clock, for reproducible data.
    pub frozen_now: Option<jiff::civil::DateTime>,
    /// When true, every change made by one mutation call shares one UPMJ/TDAY stamp even if the
    /// call takes more than a second (as a mass update in JDE would).
    pub shared_timestamp: bool,
    /// Added to every request before it is handled.
    pub latency: Duration,
    /// Server ceiling on rows per page (applies to `maxPageSize` and `"No Max"`).
    pub page_cap: Option<usize>,
    /// A token dies after this many uses (the request that exceeds it gets 444).
    pub token_max_requests: Option<u64>,
    /// A token dies after this much idle time (validate with `touch` refreshes it).
    pub token_idle: Duration,
    /// An open next-page result set expires after this much time without a `next` call.
    pub result_set_expiry: Duration,
    /// Requests in flight above this number get 503 (an overloaded AIS behind a proxy).
    pub max_concurrent: usize,
    /// Fault injection.
    pub faults: Faults,
    /// Name of the voucher orchestration.
    pub voucher_orchestration: String,
    /// Name of the match orchestration (PO-backed invoices for Voucher Match Automation).
    pub match_orchestration: String,
    /// Standard tolerance of R4304010 (rules 02, 03 and 08).
    pub match_tolerance: MatchTolerance,
    /// Rounding tolerance of R4304010 (rule 05; JDE's P43221 allows 0.01 to 0.99).
    pub rounding_tolerance: rust_decimal::Decimal,
    /// How a failed voucher orchestration answers.
    pub error_shape: ErrorShape,
    /// When the batch voucher processor runs by itself.
    pub auto_process: AutoProcess,
    /// JDE's General Accounting constant for intercompany settlements: when true (default),
    /// a voucher whose lines hit business units of other companies than its `KCO` is booked
    /// (each F0911 line carries its business unit's company); when false it is rejected with a
    /// Work Center message.
    pub intercompany_settlements: bool,
    /// Whether the report service is there (older Tools release) and allowed for the user.
    pub report_service: ReportService,
    /// How long a launched job takes from submission to its end (`W` for the first third of
    /// it, then `P`, then `D`/`E`).
    pub report_runtime: Duration,
    /// How jobs launched from now on end.
    pub report_outcome: JobOutcome,
    /// Data selection of each R04110ZA / R4304010 version. Versions not listed (and the delivered
    /// `XJDE0001`/`XJDE0002`) select every unprocessed row.
    pub report_versions: BTreeMap<String, DataSelection>,
    /// Right-pad string columns to their declared length on the wire (JDE fixed-width style).
    pub pad_trailing: bool,
    /// Request log capacity (oldest entries are dropped).
    pub log_capacity: usize,
}

impl Default for JdeKnobs {
    fn default() -> Self {
        JdeKnobs {
            users: vec![SimUser::new("JDEUSER", "JDEPASS", "MM/dd/yyyy")],
            timezone: "America/Chicago".into(),
            frozen_now: None,
            shared_timestamp: false,
            latency: Duration::ZERO,
            page_cap: None,
            token_max_requests: None,
            token_idle: Duration::from_secs(30 * 60),
            result_set_expiry: Duration::from_secs(60),
            max_concurrent: 64,
            faults: Faults::default(),
            voucher_orchestration: "ML_AddVoucherBatch".into(),
            match_orchestration: "ML_AddVoucherMatch".into(),
            match_tolerance: MatchTolerance::default(),
            rounding_tolerance: rust_decimal::Decimal::new(5, 2),
            error_shape: ErrorShape::Http500,
            auto_process: AutoProcess::Off,
            intercompany_settlements: true,
            report_service: ReportService::Available,
            report_runtime: Duration::from_secs(1),
            report_outcome: JobOutcome::Done,
            report_versions: BTreeMap::new(),
            pad_trailing: false,
            log_capacity: 10_000,
        }
    }
}

/// Simulator configuration.
#[derive(Debug, Clone)]
pub struct JdeSimConfig {
    /// Address to bind; `None` binds 127.0.0.1 on a free port.
    pub addr: Option<SocketAddr>,
    /// Seed of the data generator and the fault dice: same seed, same data.
    pub seed: u64,
    /// Amount of generated data.
    pub size: SimSize,
    /// How many periods before the current month are still open for posting (F0010 PNC is the
    /// first open period; G/L dates before it are in a closed period).
    pub open_prior_periods: u32,
    /// Tools release reported by `defaultconfig`.
    pub tools_release: String,
    /// Runtime knobs (initial values).
    pub knobs: JdeKnobs,
}

impl Default for JdeSimConfig {
    fn default() -> Self {
        JdeSimConfig {
            addr: None,
            seed: 42,
            size: SimSize::Small,
            open_prior_periods: 1,
            tools_release: "9.2.8.3".into(),
            knobs: JdeKnobs::default(),
        }
    }
}
