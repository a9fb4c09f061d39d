//! Validated, typed settings: what the program needs, built from what the user wrote
//! (`raw.rs`). Validation collects every problem, so one run of the command shows them all,
//! each named by its key path (`tenants[0] (acme).jde.page_size`).
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr as _;
use std::time::Duration;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use mlc_core::ids::{AccountNumber, TenantId};
use url::Url;

use super::raw::{
    AccountFormat, ClosedPeriod, DueDate, Intercompany, PayStatus, RawChargeAccounts, RawConfig,
    RawReport, RawTenant, Tax, Transport, VoucherApproval,
};

/// Everything the commands need.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) store_url: String,
    pub(crate) vault: VaultSettings,
    pub(crate) server: ServerSettings,
    pub(crate) alerts: AlertSettings,
    pub(crate) tenants: Vec<TenantSettings>,
}

/// `[vault]`.
#[derive(Debug, Clone)]
pub(crate) struct VaultSettings {
    pub(crate) path: PathBuf,
    pub(crate) key_file: Option<PathBuf>,
}

/// `[server]`.
#[derive(Debug, Clone)]
pub(crate) struct ServerSettings {
    pub(crate) listen: SocketAddr,
    /// Open connections at once (`max_connections`, default 512); more wait to be accepted.
    pub(crate) max_connections: usize,
    /// The whole request head must arrive within this (`header_timeout`, default 10 s).
    pub(crate) header_timeout: Duration,
    /// The whole request body must arrive within this (`body_timeout`, default 30 s).
    pub(crate) body_timeout: Duration,
    /// Peers never throttled by the per-peer connection limit (`trusted_proxies`).
    pub(crate) trusted_proxies: Vec<std::net::IpAddr>,
    /// `[server.auth] trusted_header`: a reverse proxy's header naming the signed-in user,
    /// honoured only from `trusted_proxies`.
    pub(crate) trusted_header: Option<http::HeaderName>,
    /// `[server.auth] session_ttl`: how long a console sign-in lasts (default 12 h).
    pub(crate) session_ttl: Duration,
}

/// Default `[server.auth] session_ttl`.
pub(crate) const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// Default `[server] max_connections`.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default `[server] header_timeout`.
pub(crate) const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `[server] body_timeout`.
pub(crate) const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// `[alerts]`.
#[derive(Debug, Clone)]
pub(crate) struct AlertSettings {
    pub(crate) webhook_url: Option<Url>,
    pub(crate) smtp_url: Option<Url>,
    pub(crate) email_to: Vec<String>,
    pub(crate) no_success_after: Option<Duration>,
    pub(crate) quarantine_threshold: Option<u64>,
}

/// When a tenant's cycle runs.
#[derive(Debug, Clone)]
pub(crate) enum Cadence {
    /// Every this long after the previous cycle ended.
    Every(Duration),
    /// A cron expression, evaluated in the tenant's `jde_timezone`.
    Cron(String),
}

/// One `[[tenants]]` entry.
#[derive(Debug, Clone)]
pub(crate) struct TenantSettings {
    pub(crate) id: TenantId,
    pub(crate) cadence: Cadence,
    pub(crate) jde_timezone: TimeZone,
    pub(crate) jde_timezone_name: String,
    pub(crate) start_date: Option<Date>,
    pub(crate) jde: JdeSettings,
    pub(crate) jaggaer: JaggaerSettings,
    pub(crate) mapping: MappingSettings,
    pub(crate) sync: SyncSettings,
}

/// `[tenants.jde]`.
#[derive(Debug, Clone)]
pub(crate) struct JdeSettings {
    pub(crate) batch_user: String,
    pub(crate) voucher_orchestration: String,
    pub(crate) company: String,
    pub(crate) po_order_types: Vec<String>,
    pub(crate) page_size: u32,
    pub(crate) max_in_flight: u32,
    pub(crate) timeout: Duration,
    pub(crate) proxy: Option<Url>,
    pub(crate) closed_period: ClosedPeriod,
    /// F4311 LTTR of a cancelled PO line.
    pub(crate) po_cancelled_status: String,
    /// F4311 NXTR of a closed PO line.
    pub(crate) po_closed_status: String,
    /// F0101 column holding a supplier's Factor/Special Payee (payee safety).
    pub(crate) payee_column: String,
    pub(crate) voucher_processing_sla: Duration,
    pub(crate) pay_status: PayStatus,
    pub(crate) processor: Option<ProcessorSettings>,
    /// Orchestration writing F0411Z1 + F0411Z1T rows for Voucher Match Automation.
    pub(crate) match_orchestration: String,
}

/// `[tenants.jde.processor]`.
#[derive(Debug, Clone)]
pub(crate) struct ProcessorSettings {
    /// `(report, version)` of the batch voucher processor.
    pub(crate) voucher: Option<(String, String)>,
    /// `(report, version)` of the voucher match driver.
    pub(crate) match_: Option<(String, String)>,
    pub(crate) after_sync: bool,
    pub(crate) wait: Duration,
}

/// `[tenants.jaggaer]`.
#[derive(Debug, Clone)]
pub(crate) struct JaggaerSettings {
    pub(crate) transport: Transport,
    pub(crate) paths: JaggaerPaths,
    /// `[tenants.jaggaer.xml_paths]` (used with `transport = "xml"`).
    pub(crate) xml_paths: XmlPaths,
    /// The J1P invoice poll runs (always with `rest`; with `xml` unless turned off).
    pub(crate) poll_invoices: bool,
    /// `export_invoice_id`: the `InvoiceHeader` child of an exported invoice that carries
    /// JAGGAER's invoice id (assumed `InvoiceId`).
    pub(crate) export_invoice_id: String,
    pub(crate) rate_limit: u32,
    pub(crate) max_in_flight: u32,
    pub(crate) timeout: Duration,
    pub(crate) proxy: Option<Url>,
    pub(crate) invoice_filter_field: String,
}

/// `[tenants.jaggaer.paths]`.
#[derive(Debug, Clone)]
pub(crate) struct JaggaerPaths {
    pub(crate) invoices: String,
    pub(crate) suppliers: String,
    pub(crate) purchase_orders: String,
    pub(crate) custom_field_values: String,
    pub(crate) cxml_orders: String,
}

/// `[tenants.jaggaer.xml_paths]`.
#[derive(Debug, Clone)]
pub(crate) struct XmlPaths {
    pub(crate) suppliers: String,
    pub(crate) purchase_orders: String,
}

/// Charge and tax accounts of a company or the tenant default.
#[derive(Debug, Clone)]
pub(crate) struct ChargeAccounts {
    pub(crate) tax: AccountNumber,
    pub(crate) freight: AccountNumber,
    pub(crate) handling: AccountNumber,
    pub(crate) misc: AccountNumber,
    pub(crate) discount: AccountNumber,
}

/// `[tenants.mapping]`.
#[derive(Debug, Clone)]
pub(crate) struct MappingSettings {
    pub(crate) gl_account_field: String,
    pub(crate) cost_center_field: String,
    pub(crate) invoice_statuses: Vec<String>,
    pub(crate) account_format: AccountFormat,
    pub(crate) tax: Tax,
    pub(crate) tax_area: Option<String>,
    pub(crate) tax_explanation: String,
    pub(crate) due_date: DueDate,
    pub(crate) intercompany: Intercompany,
    /// `inactive_suppliers`: which suppliers are INACTIVE in JAGGAER (default: none).
    pub(crate) inactive_suppliers: mlc_engine::mapping::supplier::InactiveRule,
    /// `account_companies` and `account_objects` (default: all).
    pub(crate) account_scope: mlc_engine::mapping::account::AccountScope,
    /// `match_rule`: `ATRL` of PO-backed invoices, blank = the supplier's.
    pub(crate) match_rule: String,
    /// `match_tolerance`: `(percent, amount)`.
    pub(crate) match_tolerance: (mlc_core::Decimal, mlc_core::Decimal),
    pub(crate) charges: ChargeAccounts,
    pub(crate) companies: BTreeMap<String, ChargeAccounts>,
    /// `voucher_approval` (default `none`) and `voucher_approval_above` (default: every voucher).
    pub(crate) voucher_approval: mlc_engine::settings::VoucherApproval,
    pub(crate) voucher_approval_above: Option<mlc_core::Decimal>,
}

/// `[tenants.sync]`.
#[derive(Debug, Clone)]
pub(crate) struct SyncSettings {
    pub(crate) lookback: Duration,
    pub(crate) safety_lag: Duration,
    pub(crate) invoice_lookback: Duration,
    /// Longest one cycle may run before it ends as a partial run.
    pub(crate) cycle_deadline: Duration,
    /// A record waiting longer (on its supplier, its PO, a receipt, ...) is an alert.
    pub(crate) wait_alert_after: Duration,
}

/// `[tenants.sync] wait_alert_after`: a week.
pub(crate) const DEFAULT_WAIT_ALERT_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

// Defaults, shared with the `init` template so the file shows what the program runs with.
pub(crate) const DEFAULT_STORE_URL: &str = "sqlite://ml-connector.db";
pub(crate) const DEFAULT_VAULT_PATH: &str = "ml-connector.vault";
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8480";
/// JDE's time stamps are local wall-clock time, so a DST fall-back repeats an hour: the
/// lookback must cover that hour plus the safety lag and some margin.
/// A cycle that honours long rate-limit pauses ends here as a partial run (the next resumes).
pub(crate) const DEFAULT_CYCLE_DEADLINE: Duration = Duration::from_secs(30 * 60);
pub(crate) const MIN_LOOKBACK: Duration = Duration::from_secs(70 * 60);

/// Parses `30s`, `5m`, `1h`, `1h30m`, `500ms`, `1d`: one or more `<number><unit>` groups.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            "d" => Duration::from_secs(n.checked_mul(86_400)?),
            _ => return None,
        };
        total = total.checked_add(d)?;
    }
    Some(total)
}

const DURATION_HINT: &str = "expected a duration like \"30s\", \"5m\", \"1h\" or \"1h30m\"";

/// Collects problems with their key paths.
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, key: &str, msg: impl std::fmt::Display) {
        self.0.push(format!("`{key}`: {msg}"));
    }

    fn duration(
        &mut self,
        key: &str,
        raw: Option<&str>,
        default: Duration,
        range: (Duration, Duration),
    ) -> Duration {
        let Some(raw) = raw else { return default };
        match parse_duration(raw) {
            None => {
                self.push(key, format!("{raw:?} is not a duration; {DURATION_HINT}"));
                default
            }
            Some(d) if d < range.0 || d > range.1 => {
                self.push(
                    key,
                    format!(
                        "{raw:?} is out of range: must be between {} and {}",
                        human(range.0),
                        human(range.1)
                    ),
                );
                default
            }
            Some(d) => d,
        }
    }

    fn url(&mut self, key: &str, raw: Option<&str>, schemes: &[&str]) -> Option<Url> {
        let raw = raw?;
        match Url::parse(raw) {
            Ok(u) if schemes.contains(&u.scheme()) && u.host_str().is_some() => Some(u),
            Ok(_) => {
                self.push(
                    key,
                    format!(
                        "{raw:?} must be a URL starting with {}://",
                        schemes.join("://, ")
                    ),
                );
                None
            }
            Err(e) => {
                self.push(key, format!("{raw:?} is not a URL ({e})"));
                None
            }
        }
    }

    fn account(&mut self, key: &str, raw: &str) -> AccountNumber {
        match AccountNumber::from_str(raw) {
            Ok(a) => a,
            Err(_) => {
                self.push(
                    key,
                    format!(
                        "{raw:?} is not a JDE account: expected BU.OBJ or BU.OBJ.SUB, e.g. \"100.2310\""
                    ),
                );
                AccountNumber::new("", "", "")
            }
        }
    }

    fn range(&mut self, key: &str, value: Option<u32>, default: u32, min: u32, max: u32) -> u32 {
        match value {
            None => default,
            Some(v) if (min..=max).contains(&v) => v,
            Some(v) => {
                self.push(key, format!("{v} is out of range: must be {min} to {max}"));
                default
            }
        }
    }

    fn non_empty(&mut self, key: &str, value: Option<String>, default: &str) -> String {
        match value {
            None => default.to_owned(),
            Some(v) if v.trim().is_empty() => {
                self.push(key, "must not be empty");
                default.to_owned()
            }
            Some(v) => v.trim().to_owned(),
        }
    }
}

/// `90s` -> `1m30s`, for messages.
pub(crate) fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

fn charges(
    p: &mut Problems,
    key: &str,
    tax_account: &str,
    raw: &RawChargeAccounts,
) -> ChargeAccounts {
    ChargeAccounts {
        tax: p.account(&format!("{key}.tax_account"), tax_account),
        freight: p.account(&format!("{key}.charge_accounts.freight"), &raw.freight),
        handling: p.account(&format!("{key}.charge_accounts.handling"), &raw.handling),
        misc: p.account(&format!("{key}.charge_accounts.misc"), &raw.misc),
        discount: p.account(&format!("{key}.charge_accounts.discount"), &raw.discount),
    }
}

fn api_path(p: &mut Problems, key: &str, raw: Option<String>, default: &str) -> String {
    let v = p.non_empty(key, raw, default);
    if !v.starts_with('/') {
        p.push(key, format!("{v:?} must start with '/'"));
    }
    v
}

/// Validates the raw file. On error, returns every problem found, one per line.
pub(crate) fn validate(raw: RawConfig) -> Result<Settings, Vec<String>> {
    let mut p = Problems(Vec::new());

    let store_url = raw.store.url.unwrap_or_else(|| DEFAULT_STORE_URL.into());
    if !(store_url.starts_with("sqlite:")
        || store_url.starts_with("postgres://")
        || store_url.starts_with("postgresql://"))
    {
        p.push(
            "store.url",
            format!(
                "{:?} is not supported: use sqlite://PATH or postgres://USER@HOST/DB",
                redact_url(&store_url)
            ),
        );
    }

    let listen_raw = raw.server.listen.unwrap_or_else(|| DEFAULT_LISTEN.into());
    let listen = listen_raw.parse::<SocketAddr>().unwrap_or_else(|_| {
        p.push(
            "server.listen",
            format!("{listen_raw:?} is not an address: expected IP:PORT, e.g. \"127.0.0.1:8480\""),
        );
        SocketAddr::from(([127, 0, 0, 1], 8480))
    });

    let max_connections = match raw.server.max_connections {
        None => DEFAULT_MAX_CONNECTIONS,
        Some(n @ 1..=65_536) => usize::try_from(n).unwrap_or(DEFAULT_MAX_CONNECTIONS),
        Some(n) => {
            p.push(
                "server.max_connections",
                format!("{n} is out of range: use 1 to 65536 (default {DEFAULT_MAX_CONNECTIONS})"),
            );
            DEFAULT_MAX_CONNECTIONS
        }
    };
    let header_timeout = p.duration(
        "server.header_timeout",
        raw.server.header_timeout.as_deref(),
        DEFAULT_HEADER_TIMEOUT,
        (Duration::from_millis(100), Duration::from_secs(600)),
    );
    let body_timeout = p.duration(
        "server.body_timeout",
        raw.server.body_timeout.as_deref(),
        DEFAULT_BODY_TIMEOUT,
        (Duration::from_millis(100), Duration::from_secs(3600)),
    );
    let mut trusted_proxies = Vec::new();
    for text in raw.server.trusted_proxies.unwrap_or_default() {
        match text.trim().parse::<std::net::IpAddr>() {
            Ok(ip) => trusted_proxies.push(ip),
            Err(_) => p.push(
                "server.trusted_proxies",
                format!("{text:?} is not an IP address, e.g. \"127.0.0.1\" or \"::1\""),
            ),
        }
    }
    let auth = raw.server.auth.unwrap_or_default();
    let trusted_header =
        auth.trusted_header.and_then(
            |h| match http::HeaderName::from_bytes(h.trim().as_bytes()) {
                Ok(name) => Some(name),
                Err(_) => {
                    p.push(
                        "server.auth.trusted_header",
                        format!("{h:?} is not an HTTP header name, e.g. \"X-Remote-User\""),
                    );
                    None
                }
            },
        );
    if trusted_header.is_some() && trusted_proxies.is_empty() {
        p.push(
            "server.auth.trusted_header",
            "needs `[server] trusted_proxies`: the header is honoured only from those addresses",
        );
    }
    let session_ttl = p.duration(
        "server.auth.session_ttl",
        auth.session_ttl.as_deref(),
        DEFAULT_SESSION_TTL,
        (Duration::from_secs(60), Duration::from_secs(30 * 86_400)),
    );

    let a = raw.alerts;
    let webhook_url = p.url(
        "alerts.webhook_url",
        a.webhook_url.as_deref(),
        &["https", "http"],
    );
    let smtp_url = p.url("alerts.smtp_url", a.smtp_url.as_deref(), &["smtp", "smtps"]);
    let email_to = a.email_to.unwrap_or_default();
    if !email_to.is_empty() && smtp_url.is_none() && a.smtp_url.is_none() {
        p.push("alerts.email_to", "needs `alerts.smtp_url` to send mail");
    }
    for (i, addr) in email_to.iter().enumerate() {
        if !addr.contains('@') {
            p.push(
                &format!("alerts.email_to[{i}]"),
                format!("{addr:?} is not an e-mail address"),
            );
        }
    }
    let no_success_after = a.no_success_after.as_deref().map(|s| {
        p.duration(
            "alerts.no_success_after",
            Some(s),
            Duration::from_secs(6 * 3600),
            (Duration::from_secs(60), Duration::from_secs(30 * 86_400)),
        )
    });
    if a.quarantine_threshold == Some(0) {
        p.push("alerts.quarantine_threshold", "must be at least 1");
    }

    let mut seen = BTreeSet::new();
    let mut tenants = Vec::new();
    for (i, t) in raw.tenants.into_iter().enumerate() {
        let key = format!("tenants[{i}] ({})", t.id);
        if !seen.insert(t.id.clone()) {
            p.push(
                &format!("{key}.id"),
                format!("tenant id {:?} is used twice; ids must be unique", t.id),
            );
        }
        if let Some(t) = tenant(&mut p, &key, t) {
            tenants.push(t);
        }
    }

    if !p.0.is_empty() {
        return Err(p.0);
    }
    Ok(Settings {
        store_url,
        vault: VaultSettings {
            path: raw.vault.path.unwrap_or_else(|| DEFAULT_VAULT_PATH.into()),
            key_file: raw.vault.key_file,
        },
        server: ServerSettings {
            listen,
            max_connections,
            header_timeout,
            body_timeout,
            trusted_proxies,
            trusted_header,
            session_ttl,
        },
        alerts: AlertSettings {
            webhook_url,
            smtp_url,
            email_to,
            no_success_after,
            quarantine_threshold: a.quarantine_threshold,
        },
        tenants,
    })
}

fn tenant(p: &mut Problems, key: &str, t: RawTenant) -> Option<TenantSettings> {
    let id = match TenantId::parse(&t.id) {
        Ok(id) => Some(id),
        Err(e) => {
            p.push(
                &format!("{key}.id"),
                format!("{e}; e.g. \"acme\" or \"acme-eu\""),
            );
            None
        }
    };
    let cadence = match (&t.poll_interval, &t.schedule) {
        (Some(_), Some(_)) => {
            p.push(
                &format!("{key}.poll_interval"),
                "set either `poll_interval` or `schedule`, not both",
            );
            None
        }
        (None, None) => {
            p.push(
                &format!("{key}.poll_interval"),
                "missing: set `poll_interval = \"5m\"` or `schedule = \"*/5 * * * *\"`",
            );
            None
        }
        (Some(iv), None) => {
            let min = Duration::from_secs(10);
            let d = p.duration(
                &format!("{key}.poll_interval"),
                Some(iv),
                Duration::ZERO,
                (min, Duration::from_secs(7 * 86_400)),
            );
            (d >= min).then_some(Cadence::Every(d))
        }
        (None, Some(cron)) => match croner::Cron::from_str(cron) {
            Ok(_) => Some(Cadence::Cron(cron.clone())),
            Err(e) => {
                p.push(
                    &format!("{key}.schedule"),
                    format!(
                        "{cron:?} is not a cron expression ({e}); e.g. \"*/5 * * * *\" (minute hour day month weekday)"
                    ),
                );
                None
            }
        },
    };
    let tz = match TimeZone::get(&t.jde_timezone) {
        Ok(tz) => Some(tz),
        Err(_) => {
            p.push(
                &format!("{key}.jde_timezone"),
                format!(
                    "unknown time zone {:?}: use an IANA name such as \"America/Chicago\" or \"Europe/Berlin\"",
                    t.jde_timezone
                ),
            );
            None
        }
    };
    let start_date = t
        .start_date
        .as_deref()
        .and_then(|s| match s.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                p.push(
                    &format!("{key}.start_date"),
                    format!("{s:?} is not a date: expected YYYY-MM-DD"),
                );
                None
            }
        });

    let j = t.jde;
    let k = |s: &str| format!("{key}.jde.{s}");
    let po_order_types = j.po_order_types.unwrap_or_else(|| vec!["OP".into()]);
    if po_order_types.is_empty()
        || po_order_types
            .iter()
            .any(|d| d.len() != 2 || !d.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        p.push(
            &k("po_order_types"),
            "must list two-character order types, e.g. [\"OP\", \"OS\"]",
        );
    }
    let company = p.non_empty(&k("company"), j.company, "00000");
    if company.len() > 5 || !company.bytes().all(|b| b.is_ascii_digit()) {
        p.push(
            &k("company"),
            format!("{company:?} is not a JDE company: expected up to 5 digits, e.g. \"00200\""),
        );
    }
    let batch_user = p.non_empty(&k("batch_user"), j.batch_user, "MLCONN");
    if batch_user.len() > 10 {
        p.push(
            &k("batch_user"),
            "must be at most 10 characters (JDE user id)",
        );
    }
    let jde = JdeSettings {
        batch_user,
        voucher_orchestration: p.non_empty(
            &k("voucher_orchestration"),
            j.voucher_orchestration,
            "ML_AddVoucherBatch",
        ),
        company,
        po_order_types,
        page_size: p.range(&k("page_size"), j.page_size, 500, 1, 10_000),
        max_in_flight: p.range(&k("max_in_flight"), j.max_in_flight, 2, 1, 32),
        timeout: p.duration(
            &k("timeout"),
            j.timeout.as_deref(),
            Duration::from_secs(30),
            (Duration::from_secs(1), Duration::from_secs(600)),
        ),
        proxy: p.url(
            &k("proxy"),
            j.proxy.as_deref(),
            &["http", "https", "socks5"],
        ),
        closed_period: j.closed_period.unwrap_or(ClosedPeriod::NextOpen),
        po_cancelled_status: p.non_empty(&k("po_cancelled_status"), j.po_cancelled_status, "980"),
        payee_column: p.non_empty(
            &k("payee_column"),
            j.payee_column,
            mlc_engine::connectors::ais::DEFAULT_PAYEE_COLUMN,
        ),
        po_closed_status: p.non_empty(&k("po_closed_status"), j.po_closed_status, "999"),
        voucher_processing_sla: p.duration(
            &k("voucher_processing_sla"),
            j.voucher_processing_sla.as_deref(),
            Duration::from_secs(86_400),
            (Duration::from_secs(1), Duration::from_secs(90 * 86_400)),
        ),
        pay_status: j.pay_status.unwrap_or(PayStatus::Supplier),
        match_orchestration: p.non_empty(
            &k("match_orchestration"),
            j.match_orchestration,
            "ML_AddVoucherMatch",
        ),
        processor: j.processor.map(|r| {
            let report = |p: &mut Problems, name: &str, r: Option<RawReport>| {
                r.map(|r| {
                    let (report, version) = (r.report.trim().to_uppercase(), r.version.trim().to_uppercase());
                    if report.is_empty() || report.len() > 10 || version.is_empty() || version.len() > 10 {
                        p.push(
                            &k(&format!("processor.{name}")),
                            "needs report and version, each 1 to 10 characters, e.g. { report = \"R04110ZA\", version = \"XJDE0002\" }",
                        );
                    }
                    (report, version)
                })
            };
            ProcessorSettings {
                voucher: report(p, "voucher", r.voucher),
                match_: report(p, "match", r.match_),
                after_sync: r.after_sync.unwrap_or(true),
                wait: p.duration(
                    &k("processor.wait"),
                    r.wait.as_deref(),
                    Duration::from_secs(60),
                    (Duration::ZERO, Duration::from_secs(3600)),
                ),
            }
        }),
    };

    let g = t.jaggaer;
    let k = |s: &str| format!("{key}.jaggaer.{s}");
    let paths = JaggaerPaths {
        invoices: api_path(
            p,
            &k("paths.invoices"),
            g.paths.invoices,
            "/j1p/api/public/ji/v1/invoices",
        ),
        suppliers: api_path(
            p,
            &k("paths.suppliers"),
            g.paths.suppliers,
            "/j1p/api/public/ja/v1/companyprofiles",
        ),
        purchase_orders: api_path(
            p,
            &k("paths.purchase_orders"),
            g.paths.purchase_orders,
            "/j1p/api/public/jp/v1/purchaseorders",
        ),
        custom_field_values: api_path(
            p,
            &k("paths.custom_field_values"),
            g.paths.custom_field_values,
            "/j1p/api/public/jc/v1/customfields/{field}/values",
        ),
        cxml_orders: api_path(
            p,
            &k("paths.cxml_orders"),
            g.paths.cxml_orders,
            "/apps/Router/CXMLOrderImport",
        ),
    };
    if !paths.custom_field_values.contains("{field}") {
        p.push(
            &k("paths.custom_field_values"),
            "must contain the placeholder {field}",
        );
    }
    let xml_paths = XmlPaths {
        suppliers: api_path(
            p,
            &k("xml_paths.suppliers"),
            g.xml_paths.suppliers,
            "/apps/Router/TSMSupplierXMLImport",
        ),
        purchase_orders: api_path(
            p,
            &k("xml_paths.purchase_orders"),
            g.xml_paths.purchase_orders,
            "/apps/Router/POXMLImport",
        ),
    };
    let transport = g.transport.unwrap_or(Transport::Rest);
    let poll_invoices = match (transport, g.poll_invoices) {
        (Transport::Xml, v) => v.unwrap_or(true),
        (Transport::Rest, Some(false)) => {
            p.push(
                &k("poll_invoices"),
                "can be turned off only with transport = \"xml\" (with \"rest\" the poll is the only way invoices arrive)",
            );
            true
        }
        (Transport::Rest, _) => true,
        // cXML invoices arrive at the service; the poll is not used.
        (Transport::Cxml, _) => false,
    };
    let jaggaer = JaggaerSettings {
        transport,
        paths,
        xml_paths,
        poll_invoices,
        export_invoice_id: g
            .export_invoice_id
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| mlc_engine::mapping::invoice::DEFAULT_EXPORT_INVOICE_ID.to_owned()),
        rate_limit: p.range(&k("rate_limit"), g.rate_limit, 10, 1, 1000),
        max_in_flight: p.range(&k("max_in_flight"), g.max_in_flight, 8, 1, 64),
        timeout: p.duration(
            &k("timeout"),
            g.timeout.as_deref(),
            Duration::from_secs(30),
            (Duration::from_secs(1), Duration::from_secs(600)),
        ),
        proxy: p.url(
            &k("proxy"),
            g.proxy.as_deref(),
            &["http", "https", "socks5"],
        ),
        invoice_filter_field: p.non_empty(
            &k("invoice_filter_field"),
            g.invoice_filter_field,
            "lastUpdate",
        ),
    };

    let m = t.mapping;
    let mk = format!("{key}.mapping");
    let invoice_statuses = m.invoice_statuses.unwrap_or_else(|| vec!["Payable".into()]);
    if invoice_statuses.is_empty() || invoice_statuses.iter().any(|s| s.trim().is_empty()) {
        p.push(
            &format!("{mk}.invoice_statuses"),
            "must list at least one non-empty status, e.g. [\"Payable\"]",
        );
    }
    let mut companies = BTreeMap::new();
    for (co, c) in &m.companies {
        let ck = format!("{mk}.companies.\"{co}\"");
        if co.len() > 5 || co.is_empty() || !co.bytes().all(|b| b.is_ascii_digit()) {
            p.push(&ck, "company keys are up to 5 digits, e.g. \"00300\"");
        }
        companies.insert(
            co.clone(),
            charges(p, &ck, &c.tax_account, &c.charge_accounts),
        );
    }
    let mapping = MappingSettings {
        gl_account_field: p.non_empty(
            &format!("{mk}.gl_account_field"),
            m.gl_account_field,
            "Account",
        ),
        cost_center_field: p.non_empty(
            &format!("{mk}.cost_center_field"),
            m.cost_center_field,
            "CostCenter",
        ),
        invoice_statuses,
        account_format: m.account_format.unwrap_or(AccountFormat::Full),
        tax: m.tax.unwrap_or(Tax::Line),
        tax_area: match m.tax_area.map(|a| a.trim().to_owned()) {
            Some(a) if a.is_empty() || a.len() > 10 => {
                p.push(
                    &format!("{mk}.tax_area"),
                    format!("{a:?} must be a JDE tax area of 1 to 10 characters (TXA1)"),
                );
                None
            }
            other => other,
        },
        tax_explanation: match m.tax_explanation.map(|e| e.trim().to_uppercase()) {
            None => "V".to_owned(),
            Some(e) if e.is_empty() || e.len() > 2 => {
                p.push(
                    &format!("{mk}.tax_explanation"),
                    format!("{e:?} must be a JDE tax explanation code of 1 or 2 characters (EXR1)"),
                );
                "V".to_owned()
            }
            Some(e) => e,
        },
        due_date: m.due_date.unwrap_or(DueDate::Jde),
        intercompany: m.intercompany.unwrap_or(Intercompany::Allow),
        match_rule: match m.match_rule.as_deref().map(str::trim) {
            None => "02".to_owned(),
            Some("") => String::new(),
            Some(r) if matches!(r, "01" | "02" | "03" | "04" | "05" | "07" | "08" | "09") => {
                r.to_owned()
            }
            Some(r) => {
                p.push(
                    &format!("{mk}.match_rule"),
                    format!(
                        "{r:?} is not a Voucher Match Automation rule: \"01\"-\"05\", \"07\"-\"09\", \
                         or \"\" for the supplier's rule"
                    ),
                );
                "02".to_owned()
            }
        },
        match_tolerance: {
            let tk = format!("{mk}.match_tolerance");
            let dec = |p: &mut Problems, name: &str, v: Option<&toml::Value>, default: &str| {
                let text = match v {
                    None => default.to_owned(),
                    Some(toml::Value::String(s)) => s.trim().to_owned(),
                    Some(toml::Value::Integer(i)) => i.to_string(),
                    Some(toml::Value::Float(f)) => f.to_string(),
                    Some(_) => String::new(),
                };
                match text.parse::<mlc_core::Decimal>() {
                    Ok(d) if d >= mlc_core::Decimal::ZERO => d,
                    _ => {
                        p.push(
                            &format!("{tk}.{name}"),
                            format!("{text:?} must be a decimal of at least 0, e.g. \"0.01\""),
                        );
                        default.parse().unwrap_or_default()
                    }
                }
            };
            let t = m.match_tolerance.as_ref();
            (
                dec(p, "percent", t.and_then(|t| t.percent.as_ref()), "0"),
                dec(p, "amount", t.and_then(|t| t.amount.as_ref()), "0.01"),
            )
        },
        account_scope: mlc_engine::mapping::account::AccountScope::parse(
            &m.account_companies,
            &m.account_objects,
        )
        .unwrap_or_else(|e| {
            p.push(&format!("{mk}.account_companies/account_objects"), e);
            Default::default()
        }),
        inactive_suppliers: match m.inactive_suppliers {
            None => Default::default(),
            Some(r) => mlc_engine::mapping::supplier::InactiveRule::parse(&r.column, &r.values)
                .unwrap_or_else(|e| {
                    p.push(
                        &format!("{mk}.inactive_suppliers"),
                        format!(
                            "{e}: use an F0101 or F0401 column, e.g. \"AT1\" or \"F0401.HDPY\""
                        ),
                    );
                    Default::default()
                }),
        },
        charges: charges(p, &mk, &m.tax_account, &m.charge_accounts),
        companies,
        voucher_approval: match m.voucher_approval {
            None | Some(VoucherApproval::None) => mlc_engine::settings::VoucherApproval::None,
            Some(VoucherApproval::FirstRun) => mlc_engine::settings::VoucherApproval::FirstRun,
            Some(VoucherApproval::Always) => mlc_engine::settings::VoucherApproval::Always,
        },
        voucher_approval_above: match m.voucher_approval_above.as_deref().map(str::trim) {
            None => None,
            Some(a) => match a.parse::<mlc_core::Decimal>() {
                Ok(d) if d >= mlc_core::Decimal::ZERO => Some(d),
                _ => {
                    p.push(
                        &format!("{mk}.voucher_approval_above"),
                        format!("{a:?} must be a non-negative amount, e.g. \"10000\""),
                    );
                    None
                }
            },
        },
    };

    let s = t.sync;
    let sk = |s: &str| format!("{key}.sync.{s}");
    let day = Duration::from_secs(86_400);
    let lookback = match s.lookback.as_deref() {
        Some(raw) => match parse_duration(raw) {
            Some(d) if d < MIN_LOOKBACK => {
                p.push(
                    &sk("lookback"),
                    format!(
                        "{raw:?} is too short: JDE stamps are local time, so a daylight-saving \
                         fall-back repeats an hour; use at least 1h10m"
                    ),
                );
                MIN_LOOKBACK
            }
            _ => p.duration(
                &sk("lookback"),
                Some(raw),
                Duration::from_secs(7200),
                (MIN_LOOKBACK, 7 * day),
            ),
        },
        None => Duration::from_secs(7200),
    };
    let sync = SyncSettings {
        lookback,
        safety_lag: p.duration(
            &sk("safety_lag"),
            s.safety_lag.as_deref(),
            Duration::from_secs(120),
            (Duration::ZERO, Duration::from_secs(3600)),
        ),
        invoice_lookback: p.duration(
            &sk("invoice_lookback"),
            s.invoice_lookback.as_deref(),
            Duration::from_secs(600),
            (Duration::ZERO, day),
        ),
        cycle_deadline: p.duration(
            &sk("cycle_deadline"),
            s.cycle_deadline.as_deref(),
            DEFAULT_CYCLE_DEADLINE,
            (Duration::from_secs(60), day),
        ),
        wait_alert_after: p.duration(
            &sk("wait_alert_after"),
            s.wait_alert_after.as_deref(),
            DEFAULT_WAIT_ALERT_AFTER,
            (Duration::from_secs(60), 365 * day),
        ),
    };

    Some(TenantSettings {
        id: id?,
        cadence: cadence?,
        jde_timezone: tz?,
        jde_timezone_name: t.jde_timezone,
        start_date,
        jde,
        jaggaer,
        mapping,
        sync,
    })
}

/// A URL with its password replaced, for messages (`postgres://u:secret@h/db`).
pub(crate) fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h10m"), Some(Duration::from_secs(4200)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        for bad in ["", "5", "m", "5 m", "5x", "-5m", "1.5h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(human(Duration::from_secs(4200)), "1h10m");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:hunter2@db/x"),
            "postgres://u:****@db/x"
        );
    }
}
