//! Alerts of the service: what an operator must hear about, sent as a JSON webhook
//! (`[alerts] webhook_url`) and, when `smtp_url` is set, as e-mail to `email_to`.
//!
//! | kind | raised when | by |
//! |---|---|---|
//! | `login_rejected` | a system rejected the tenant's login; the tenant is paused | worker event |
//! | `cycle_failed` | a cycle could not complete (it will be retried with back-off) | worker event |
//! | `cycle_panicked` | a cycle panicked (a bug): recorded as a failed run, retried with back-off | worker event |
//! | `no_success` | no cycle succeeded for `no_success_after` | [`Monitor`] |
//! | `quarantine_threshold` | open quarantine entries rose above `quarantine_threshold` | [`Monitor`] |
//! | `jde_rejected` | JDE refused, failed or did not process vouchers (quarantine kinds `jde-rejected`, `jde-processing`, `jde-not-processed`) | [`Monitor`] |
//! | `processor_failed` | launching JDE's batch voucher processor failed, or the job ended in error (`[tenants.jde.processor]`) | [`Monitor`] |
//! | `waiting_too_long` | records have waited longer than `[tenants.sync] wait_alert_after` (any kind of wait: a PO on its supplier, an invoice on its supplier or a receipt; ledger status `waiting`) | [`Monitor`] |
//! | `payee_changed` | a supplier's payee or the payee's address changed after an invoice's approval and before its voucher | [`Monitor`] |
//!
//! Design:
//! - Raising never blocks or fails the caller: the worker's event callback is synchronous, so
//!   alerts go through an unbounded channel to one delivery task ([`Alerter::start`]), which
//!   logs every alert (so the log is the record even without a webhook) and retries a failed
//!   delivery a few times. On shutdown the task drains the queue with a deadline.
//! - The periodic checks run in one worker only, the holder of the store lease
//!   `alerts:monitor`, so several workers on PostgreSQL do not send the same alert several
//!   times. They remember what they already reported (per process), and report a condition
//!   again only after it cleared.
//! - No secrets: alerts carry tenant ids, record keys, counts and the engine's error text,
//!   which never contains credentials. The webhook URL (often a bearer capability, e.g. a chat
//!   webhook) and the SMTP URL (may hold a password) are kept as secrets and never logged:
//!   logs name only their host.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_engine::worker::ServiceEvent;
use mlc_store::{QuarantineStatus, StateStore};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use url::Url;

use crate::config::settings::AlertSettings;

/// Quarantine reason kinds that mean JDE refused a voucher.
pub(crate) const JDE_REJECTION_KINDS: &[&str] =
    &["jde-rejected", "jde-processing", "jde-not-processed"];

/// Lease that elects the one worker running the periodic checks.
const MONITOR_LEASE: &str = "alerts:monitor";

/// Attempts per webhook delivery, and the pause before the second one (doubled after).
const ATTEMPTS: u32 = 3;
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AlertKind {
    /// Login rejected; tenant paused.
    LoginRejected,
    /// A cycle failed.
    CycleFailed,
    /// A cycle panicked.
    CyclePanicked,
    /// No successful cycle for too long.
    NoSuccess,
    /// Open quarantine above the threshold.
    QuarantineThreshold,
    /// JDE rejected vouchers.
    JdeRejected,
    /// The batch voucher processor could not be launched, or its job ended in error.
    ProcessorFailed,
    /// Records waited longer than `wait_alert_after`.
    WaitingTooLong,
    /// A payee changed between an invoice's approval and its voucher.
    PayeeChanged,
}

impl AlertKind {
    fn as_str(self) -> &'static str {
        match self {
            AlertKind::LoginRejected => "login_rejected",
            AlertKind::CycleFailed => "cycle_failed",
            AlertKind::CyclePanicked => "cycle_panicked",
            AlertKind::NoSuccess => "no_success",
            AlertKind::QuarantineThreshold => "quarantine_threshold",
            AlertKind::JdeRejected => "jde_rejected",
            AlertKind::ProcessorFailed => "processor_failed",
            AlertKind::WaitingTooLong => "waiting_too_long",
            AlertKind::PayeeChanged => "payee_changed",
        }
    }

    fn severity(self) -> &'static str {
        match self {
            AlertKind::LoginRejected
            | AlertKind::NoSuccess
            | AlertKind::JdeRejected
            | AlertKind::CyclePanicked
            | AlertKind::PayeeChanged => "critical",
            AlertKind::CycleFailed
            | AlertKind::QuarantineThreshold
            | AlertKind::ProcessorFailed
            | AlertKind::WaitingTooLong => "warning",
        }
    }
}

/// One alert: the webhook's JSON body.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Alert {
    /// Always `ml-connector`.
    pub(crate) source: &'static str,
    /// Kind.
    pub(crate) kind: AlertKind,
    /// `critical` or `warning`.
    pub(crate) severity: &'static str,
    /// Tenant.
    pub(crate) tenant: String,
    /// One line for humans (also in `text`, which chat webhooks display).
    pub(crate) summary: String,
    /// `[ml-connector] TENANT: summary`, for Slack/Teams-style webhooks.
    pub(crate) text: String,
    /// Facts: counts, records, errors.
    pub(crate) detail: serde_json::Value,
    /// When it was raised.
    pub(crate) at: Timestamp,
    /// The worker that raised it.
    pub(crate) worker: String,
}

/// Raises alerts; cheap to clone.
#[derive(Clone)]
pub(crate) struct Alerter {
    tx: mpsc::UnboundedSender<Alert>,
    worker: Arc<str>,
}

impl std::fmt::Debug for Alerter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerter")
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

/// Where alerts go.
struct Sinks {
    http: reqwest::Client,
    webhook: Option<SecretString>,
    email: Option<crate::alerts::email::Mailer>,
}

impl Alerter {
    /// Starts the delivery task. It ends when every [`Alerter`] clone is dropped and the
    /// queue is drained.
    pub(crate) fn start(
        settings: &AlertSettings,
        worker: &str,
    ) -> Result<(Alerter, JoinHandle<()>), String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("ml-connector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the alert HTTP client: {e}"))?;
        let email = match &settings.smtp_url {
            Some(url) => Some(email::Mailer::new(url, &settings.email_to, worker)?),
            None => None,
        };
        let sinks = Sinks {
            http,
            webhook: settings
                .webhook_url
                .as_ref()
                .map(|u| SecretString::from(u.to_string())),
            email,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(deliver(rx, sinks));
        Ok((
            Alerter {
                tx,
                worker: worker.into(),
            },
            task,
        ))
    }

    /// Queues an alert (never blocks).
    pub(crate) fn raise(
        &self,
        kind: AlertKind,
        tenant: &str,
        summary: String,
        detail: serde_json::Value,
    ) {
        let alert = Alert {
            source: "ml-connector",
            kind,
            severity: kind.severity(),
            tenant: tenant.to_owned(),
            text: format!("[ml-connector] {tenant}: {summary}"),
            summary,
            detail,
            at: Timestamp::now(),
            worker: self.worker.to_string(),
        };
        // The receiver lives until every sender is gone, so this only fails after shutdown.
        let _ = self.tx.send(alert);
    }

    /// Alerts raised directly by worker events.
    pub(crate) fn on_event(&self, event: &ServiceEvent) {
        match event {
            ServiceEvent::LoginRejected { tenant, error } => self.raise(
                AlertKind::LoginRejected,
                tenant,
                format!(
                    "login rejected; the tenant is paused until the credentials are fixed and \
                     `ml-connector tenant resume {tenant}` is run"
                ),
                serde_json::json!({ "error": error }),
            ),
            ServiceEvent::CycleFailed { tenant, error } => self.raise(
                AlertKind::CycleFailed,
                tenant,
                format!("sync cycle failed (retried with back-off): {error}"),
                serde_json::json!({ "error": error }),
            ),
            ServiceEvent::CyclePanicked { tenant, error } => self.raise(
                AlertKind::CyclePanicked,
                tenant,
                format!(
                    "sync cycle panicked (a bug; recorded as a failed run, retried with \
                     back-off): {error}"
                ),
                serde_json::json!({ "error": error }),
            ),
            ServiceEvent::CycleFinished(_) => {}
        }
    }
}

fn host_of(secret_url: &SecretString) -> String {
    Url::parse(secret_url.expose_secret())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

async fn deliver(mut rx: mpsc::UnboundedReceiver<Alert>, sinks: Sinks) {
    while let Some(alert) = rx.recv().await {
        tracing::warn!(
            alert = alert.kind.as_str(),
            severity = alert.severity,
            tenant = %alert.tenant,
            detail = %alert.detail,
            "Alert: {}",
            alert.summary
        );
        if let Some(url) = &sinks.webhook {
            let ok = post_webhook(&sinks.http, url, &alert).await;
            metrics::counter!("mlc_alerts_total", "kind" => alert.kind.as_str(), "channel" => "webhook", "delivered" => if ok { "true" } else { "false" }).increment(1);
        }
        if let Some(mailer) = &sinks.email {
            let ok = match mailer.send(&alert).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(alert = alert.kind.as_str(), tenant = %alert.tenant, error = %e, "Could not send the alert e-mail.");
                    false
                }
            };
            metrics::counter!("mlc_alerts_total", "kind" => alert.kind.as_str(), "channel" => "email", "delivered" => if ok { "true" } else { "false" }).increment(1);
        }
    }
}

async fn post_webhook(http: &reqwest::Client, url: &SecretString, alert: &Alert) -> bool {
    let mut wait = FIRST_RETRY;
    for attempt in 1..=ATTEMPTS {
        let res = http.post(url.expose_secret()).json(alert).send().await;
        let why = match res {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) => {
                let status = r.status();
                let body: String = r
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect();
                format!("HTTP {status}: {body}")
            }
            // reqwest's error text includes the URL; print only the kind of failure.
            Err(e) if e.is_timeout() => "timed out".to_owned(),
            Err(e) if e.is_connect() => "could not connect".to_owned(),
            Err(_) => "request failed".to_owned(),
        };
        tracing::warn!(host = %host_of(url), attempt, error = %why, alert = alert.kind.as_str(), "Alert webhook delivery failed.");
        if attempt < ATTEMPTS {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    tracing::error!(host = %host_of(url), alert = alert.kind.as_str(), tenant = %alert.tenant, "Alert webhook not delivered; the alert is only in this log.");
    false
}

/// Remembered per tenant between checks.
#[derive(Debug, Default)]
struct Seen {
    no_success_reported: bool,
    quarantine_reported: bool,
    /// JDE rejections updated after this instant are new.
    jde_since: Option<Timestamp>,
    /// The processor failure reported last (its time).
    processor_reported: Option<Timestamp>,
    /// Waits already reported, with when they began (reported again only as a new wait).
    waits_reported: HashMap<String, Timestamp>,
    /// The newest payee flag reported (its time).
    payee_reported: Option<Timestamp>,
}

/// The periodic checks: no success for too long, quarantine growth, JDE voucher rejections.
pub(crate) struct Monitor {
    store: Arc<dyn StateStore>,
    tenants: Vec<TenantId>,
    no_success_after: Option<Duration>,
    quarantine_threshold: Option<u64>,
    alerter: Alerter,
    started: Timestamp,
    seen: HashMap<TenantId, Seen>,
    /// `[tenants.sync] wait_alert_after` per tenant (default a week).
    wait_alert_after: HashMap<TenantId, Duration>,
}

impl Monitor {
    /// A monitor over these tenants. JDE rejections that happened before `started` are not
    /// reported (they were when they happened, or `quarantine list` shows them).
    pub(crate) fn new(
        store: Arc<dyn StateStore>,
        tenants: Vec<TenantId>,
        settings: &AlertSettings,
        alerter: Alerter,
        started: Timestamp,
    ) -> Self {
        Self {
            store,
            tenants,
            no_success_after: settings.no_success_after,
            quarantine_threshold: settings.quarantine_threshold,
            alerter,
            started,
            seen: HashMap::new(),
            wait_alert_after: HashMap::new(),
        }
    }

    /// Sets `[tenants.sync] wait_alert_after` per tenant (tenants not named: a week).
    pub(crate) fn with_wait_alert_after(mut self, limits: HashMap<TenantId, Duration>) -> Self {
        self.wait_alert_after = limits;
        self
    }

    /// One pass over every tenant.
    pub(crate) async fn check(&mut self) {
        let now = Timestamp::now();
        for tenant in self.tenants.clone() {
            if let Err(e) = self.check_tenant(&tenant, now).await {
                tracing::warn!(tenant = %tenant, error = %e, "Alert checks could not read the store.");
            }
        }
    }

    async fn check_tenant(
        &mut self,
        tenant: &TenantId,
        now: Timestamp,
    ) -> Result<(), mlc_store::StoreError> {
        let state = self.store.tenant_state(tenant).await?;
        let open = self.store.quarantine_open_count(tenant).await?;
        metrics::gauge!("mlc_quarantine_open", "tenant" => tenant.to_string()).set(open as f64);
        let started = self.started;
        let seen = self.seen.entry(tenant.clone()).or_default();
        let name = tenant.as_str();

        // No success for too long (a paused tenant was reported when it paused, or an
        // operator paused it on purpose).
        if let Some(limit) = self.no_success_after {
            // Never succeeded: count from this service's start, not from the epoch.
            let since = state.last_success.unwrap_or(started);
            let age = Duration::try_from(now.duration_since(since)).unwrap_or(Duration::ZERO);
            if state.paused || age < limit {
                seen.no_success_reported = false;
            } else if !seen.no_success_reported {
                seen.no_success_reported = true;
                let last = state.last_success.map_or_else(
                    || "never (since this service started)".to_owned(),
                    |t| t.to_string(),
                );
                self.alerter.raise(
                    AlertKind::NoSuccess,
                    name,
                    format!(
                        "no successful sync for {} (last success: {last}); {} failure(s) in a row",
                        crate::config::settings::human(age),
                        state.consecutive_failures
                    ),
                    serde_json::json!({
                        "last_success": state.last_success,
                        "consecutive_failures": state.consecutive_failures,
                        "no_success_after_seconds": limit.as_secs(),
                    }),
                );
            }
        }

        // Quarantine growth: reported when it crosses the threshold, again only after it fell
        // back to or below it.
        if let Some(threshold) = self.quarantine_threshold {
            if open <= threshold {
                seen.quarantine_reported = false;
            } else if !seen.quarantine_reported {
                seen.quarantine_reported = true;
                self.alerter.raise(
                    AlertKind::QuarantineThreshold,
                    name,
                    format!(
                        "{open} records are in quarantine (threshold {threshold}); see `ml-connector quarantine list --tenant {name}`"
                    ),
                    serde_json::json!({ "open": open, "threshold": threshold }),
                );
            }
        }

        // New JDE voucher rejections.
        let since = seen.jde_since.unwrap_or(started);
        let entries = self.store.quarantine_list(Some(tenant), true).await?;
        let fresh: Vec<_> = entries
            .iter()
            .filter(|q| q.status == QuarantineStatus::Open)
            .filter(|q| JDE_REJECTION_KINDS.contains(&q.entry.reason_kind.as_str()))
            .filter(|q| q.updated_at > since)
            .collect();
        if let Some(newest) = fresh.iter().map(|q| q.updated_at).max() {
            seen.jde_since = Some(newest);
            let records: Vec<serde_json::Value> = fresh
                .iter()
                .take(20)
                .map(|q| {
                    serde_json::json!({
                        "quarantine_id": q.id,
                        "record": q.entry.record.to_string(),
                        "reason_kind": q.entry.reason_kind,
                        "reason": q.entry.reason,
                    })
                })
                .collect();
            let first = &fresh[0];
            self.alerter.raise(
                AlertKind::JdeRejected,
                name,
                format!(
                    "JDE rejected {} voucher(s), e.g. {}: {}; see `ml-connector quarantine list --tenant {name}`",
                    fresh.len(),
                    first.entry.record,
                    first.entry.reason
                ),
                serde_json::json!({ "count": fresh.len(), "records": records }),
            );
        } else if seen.jde_since.is_none() {
            seen.jde_since = Some(since);
        }

        // The batch voucher processor and the voucher match driver: a launch that failed or a
        // job that ended in error, reported once per failure (a job that ends normally clears
        // it); the latest failure of the two when both failed.
        let mut latest: Option<mlc_engine::processor::Failure> = None;
        for which in mlc_engine::processor::Processor::ALL {
            let st = mlc_engine::processor::ProcessorState::parse(
                self.store
                    .cursor(tenant, which.state_key())
                    .await?
                    .as_deref(),
            );
            if let Some(f) = st.last_error
                && latest.as_ref().is_none_or(|l| f.at > l.at)
            {
                latest = Some(f);
            }
        }
        if let Some(f) = latest
            && seen.processor_reported != Some(f.at)
        {
            seen.processor_reported = Some(f.at);
            self.alerter.raise(
                AlertKind::ProcessorFailed,
                name,
                f.message.clone(),
                serde_json::json!({ "job": f.job, "at": f.at }),
            );
        }

        // Records waiting too long, whatever they wait on: each wait is reported once (a wait
        // that ends and begins again is a new one).
        let limit = self
            .wait_alert_after
            .get(tenant)
            .copied()
            .unwrap_or(crate::config::settings::DEFAULT_WAIT_ALERT_AFTER);
        let waits = self.store.waits(tenant).await?;
        let current: HashMap<String, Timestamp> = waits
            .iter()
            .map(|(r, since)| (r.to_string(), *since))
            .collect();
        seen.waits_reported
            .retain(|k, since| current.get(k) == Some(since));
        let overdue: Vec<_> = waits
            .iter()
            .filter(|(_, since)| {
                Duration::try_from(now.duration_since(*since)).unwrap_or(Duration::ZERO) >= limit
            })
            .filter(|(r, since)| seen.waits_reported.get(&r.to_string()) != Some(since))
            .collect();
        if let Some((first, since)) = overdue.first() {
            for (r, s) in &overdue {
                seen.waits_reported.insert(r.to_string(), *s);
            }
            let records: Vec<serde_json::Value> = overdue
                .iter()
                .take(20)
                .map(|(r, s)| serde_json::json!({"record": r.to_string(), "waiting_since": s}))
                .collect();
            self.alerter.raise(
                AlertKind::WaitingTooLong,
                name,
                format!(
                    "{} record(s) have waited longer than {}, e.g. {first} since {since}; see `ml-connector audit {first}`",
                    overdue.len(),
                    crate::config::settings::human(limit),
                ),
                serde_json::json!({ "count": overdue.len(), "records": records, "wait_alert_after_seconds": limit.as_secs() }),
            );
        }

        // Payee changes flagged on vouchers by the invoice flow.
        let flag = mlc_engine::payee::PayeeFlag::latest(
            self.store
                .cursor(tenant, mlc_engine::payee::FLAG_CURSOR)
                .await?
                .as_deref(),
        );
        if let Some(f) = flag
            && f.at > seen.payee_reported.unwrap_or(started)
        {
            seen.payee_reported = Some(f.at);
            self.alerter.raise(
                AlertKind::PayeeChanged,
                name,
                f.message.clone(),
                serde_json::json!({ "record": f.record, "at": f.at }),
            );
        }
        Ok(())
    }

    /// Runs the checks every `interval`, and right after `wake` is notified (a cycle ended),
    /// while this worker holds the monitor lease, until `shutdown` resolves.
    pub(crate) async fn run(
        mut self,
        interval: Duration,
        worker_id: String,
        wake: Arc<Notify>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let ttl = interval * 3;
        loop {
            match self
                .store
                .lease_acquire(MONITOR_LEASE, &worker_id, ttl)
                .await
            {
                Ok(Some(_epoch)) => self.check().await,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "Could not take the alert monitor lease."),
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(interval) => {}
                () = wake.notified() => {}
            }
        }
        let _ = self.store.lease_release(MONITOR_LEASE, &worker_id).await;
    }
}

/// E-mail delivery over SMTP.
pub(crate) mod email {
    use super::*;

    /// Sends alert e-mails. `smtp_url` is `smtp://` (STARTTLS required), `smtps://` (TLS) or,
    /// for a relay on loopback only, `smtp://...?tls=none` (plaintext); user and password in
    /// the URL.
    /// The sender address is the `from` query parameter, else `ml-connector@HOSTNAME`.
    pub(crate) struct Mailer {
        transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
        from: lettre::message::Mailbox,
        to: Vec<lettre::message::Mailbox>,
    }

    impl Mailer {
        pub(crate) fn new(url: &Url, to: &[String], worker: &str) -> Result<Self, String> {
            if to.is_empty() {
                return Err("`alerts.smtp_url` is set but `alerts.email_to` is empty".into());
            }
            let mut url = url.clone();
            let from_param = url
                .query_pairs()
                .find(|(k, _)| k == "from")
                .map(|(_, v)| v.into_owned());
            let tls = url
                .query_pairs()
                .find(|(k, _)| k == "tls")
                .map(|(_, v)| v.into_owned());
            let mut rest: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "from" && k != "tls")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            // lettre reads a bare smtp:// as plaintext; we require STARTTLS unless plaintext is
            // asked for explicitly, and allow that only to a relay on loopback.
            // (`smtp:` is not a "special" scheme to the URL parser, so an IP host comes back
            // as text.)
            let host = url.host_str().unwrap_or("").trim_matches(['[', ']']);
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|a| a.is_loopback());
            match (url.scheme(), tls.as_deref()) {
                ("smtp", None) => rest.push(("tls".into(), "required".into())),
                ("smtp", Some("none")) if loopback => {}
                ("smtp", Some("none")) => {
                    return Err("`alerts.smtp_url` tls=none (plaintext, password in clear) is only allowed for a relay on loopback".into());
                }
                (_, Some(t)) => rest.push(("tls".into(), t.to_owned())),
                (_, None) => {}
            }
            url.set_query(None);
            if !rest.is_empty() {
                url.query_pairs_mut().extend_pairs(rest);
            }
            let host = worker.split('-').next().unwrap_or("localhost");
            let from_text =
                from_param.unwrap_or_else(|| format!("ml-connector <ml-connector@{host}>"));
            let from = from_text.parse().map_err(|e| {
                format!("`alerts.smtp_url` from={from_text:?} is not an e-mail address: {e}")
            })?;
            let to = to
                .iter()
                .map(|a| {
                    a.parse().map_err(|e| {
                        format!("`alerts.email_to` {a:?} is not an e-mail address: {e}")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            // lettre's error would echo the URL (with its password); say only what is wrong.
            let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.as_str())
                .map_err(|_| "`alerts.smtp_url` is not a usable SMTP URL: expected smtp://USER:PASSWORD@HOST:587 or smtps://USER:PASSWORD@HOST:465".to_owned())?
                .timeout(Some(Duration::from_secs(15)))
                .build();
            Ok(Self {
                transport,
                from,
                to,
            })
        }

        pub(crate) async fn send(&self, alert: &Alert) -> Result<(), String> {
            use lettre::AsyncTransport as _;
            let mut builder = lettre::Message::builder()
                .from(self.from.clone())
                .subject(format!(
                    "[ml-connector] {} {}: {}",
                    alert.severity,
                    alert.tenant,
                    alert.kind.as_str()
                ))
                .header(lettre::message::header::ContentType::TEXT_PLAIN);
            for to in &self.to {
                builder = builder.to(to.clone());
            }
            let body = format!(
                "{}\n\nTenant: {}\nKind: {}\nSeverity: {}\nAt: {}\nWorker: {}\n\nDetail:\n{}\n",
                alert.summary,
                alert.tenant,
                alert.kind.as_str(),
                alert.severity,
                alert.at,
                alert.worker,
                serde_json::to_string_pretty(&alert.detail).unwrap_or_default()
            );
            let msg = builder
                .body(body)
                .map_err(|e| format!("cannot build the e-mail: {e}"))?;
            self.transport.send(msg).await.map(|_| ()).map_err(|e| {
                // Status and kind only; lettre's Display does not include credentials, but keep
                // it short.
                format!("SMTP delivery failed: {e}")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::Json;
    use axum::extract::State;
    use axum::routing::post;
    use mlc_core::record::{RecordKey, RecordKind};
    use mlc_store::{Commit, NewQuarantine};

    use super::*;

    type Received = Arc<Mutex<Vec<serde_json::Value>>>;

    /// A webhook receiver on loopback that records every body.
    async fn receiver() -> (Url, Received) {
        async fn hook(State(got): State<Received>, Json(body): Json<serde_json::Value>) {
            got.lock().unwrap().push(body);
        }
        let got: Received = Arc::default();
        let app = axum::Router::new()
            .route("/hook", post(hook))
            .with_state(got.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (
            format!("http://{addr}/hook?token=hook-capability")
                .parse()
                .unwrap(),
            got,
        )
    }

    fn settings(webhook: Option<Url>) -> AlertSettings {
        AlertSettings {
            webhook_url: webhook,
            smtp_url: None,
            email_to: vec![],
            no_success_after: Some(Duration::from_secs(60)),
            quarantine_threshold: Some(2),
        }
    }

    async fn wait_for(got: &Received, n: usize) -> Vec<serde_json::Value> {
        for _ in 0..200 {
            if got.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        got.lock().unwrap().clone()
    }

    #[tokio::test]
    async fn worker_events_reach_the_webhook_as_json() {
        let (url, got) = receiver().await;
        let (alerter, task) = Alerter::start(&settings(Some(url)), "w-1").unwrap();
        alerter.on_event(&ServiceEvent::LoginRejected {
            tenant: "acme".into(),
            error: "JDE AIS login rejected (HTTP 401): invalid username or password".into(),
        });
        alerter.on_event(&ServiceEvent::CycleFailed {
            tenant: "beta".into(),
            error: "JAGGAER unreachable".into(),
        });
        alerter.on_event(&ServiceEvent::CyclePanicked {
            tenant: "gamma".into(),
            error: "cycle panicked: attempt to multiply with overflow".into(),
        });
        drop(alerter);
        // Dropping the last Alerter drains the queue and ends the task.
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0]["kind"], "login_rejected");
        assert_eq!(got[0]["severity"], "critical");
        assert_eq!(got[0]["tenant"], "acme");
        assert_eq!(got[0]["worker"], "w-1");
        assert!(
            got[0]["summary"]
                .as_str()
                .unwrap()
                .contains("tenant resume acme")
        );
        assert!(
            got[0]["text"]
                .as_str()
                .unwrap()
                .starts_with("[ml-connector] acme:")
        );
        assert_eq!(got[1]["kind"], "cycle_failed");
        assert_eq!(got[2]["kind"], "cycle_panicked");
        assert_eq!(got[2]["severity"], "critical");
        assert_eq!(got[2]["tenant"], "gamma");
        assert!(!format!("{got:?}").contains("hook-capability"));
    }

    #[tokio::test]
    async fn a_failing_webhook_is_retried() {
        // First answer 500, then 200.
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let c = calls.clone();
        let app = axum::Router::new().route(
            "/hook",
            post(move || {
                let c = c.clone();
                async move {
                    if c.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let http = reqwest::Client::new();
        let url = SecretString::from(format!("http://{addr}/hook"));
        let alert = Alert {
            source: "ml-connector",
            kind: AlertKind::CycleFailed,
            severity: "warning",
            tenant: "acme".into(),
            summary: "x".into(),
            text: "x".into(),
            detail: serde_json::Value::Null,
            at: Timestamp::now(),
            worker: "w".into(),
        };
        assert!(post_webhook(&http, &url, &alert).await);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    async fn quarantine(store: &dyn StateStore, tenant: &TenantId, key: &str, kind: &str) {
        let commit = Commit {
            quarantine: vec![NewQuarantine {
                record: RecordKey::new(RecordKind::Invoice, tenant, key),
                run_id: None,
                reason_kind: kind.into(),
                reason: format!("invoice {key}: JDE said no"),
                field: None,
                payload: serde_json::json!({}),
            }],
            ..Default::default()
        };
        store.commit(commit).await.unwrap();
    }

    #[tokio::test]
    async fn every_kind_of_wait_alerts_once_after_wait_alert_after_and_payee_flags_alert() {
        use mlc_core::record::{RecordKey, RecordKind};
        use mlc_store::{Commit, LedgerEntry, LedgerStatus};
        let dir = tempfile::tempdir().unwrap();
        let store = mlc_store::open(&format!("sqlite://{}", dir.path().join("s.db").display()))
            .await
            .unwrap();
        let acme = TenantId::parse("acme").unwrap();
        let (url, got) = receiver().await;
        let mut s = settings(Some(url));
        s.no_success_after = None;
        let (alerter, _task) = Alerter::start(&s, "w-1").unwrap();
        let mut monitor = Monitor::new(
            store.clone(),
            vec![acme.clone()],
            &s,
            alerter,
            Timestamp::now(),
        )
        .with_wait_alert_after(
            [(acme.clone(), Duration::from_secs(60))]
                .into_iter()
                .collect(),
        );
        let waiting = |kind, key: &str| LedgerEntry {
            record: RecordKey::new(kind, &acme, key.to_owned()),
            content_hash: "h".into(),
            source_version: "v".into(),
            remote_id: None,
            status: LedgerStatus::Waiting,
            detail: serde_json::Value::Null,
            updated_at: Timestamp::now(),
        };
        // A PO waiting on its supplier and an invoice waiting on a receipt (another flow's
        // wait, same ledger status): both count.
        store
            .commit(Commit {
                ledger: vec![
                    waiting(RecordKind::Po, "00200-OP-1"),
                    waiting(RecordKind::Invoice, "77"),
                ],
                ..Commit::default()
            })
            .await
            .unwrap();
        monitor.check().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(got.lock().unwrap().is_empty(), "not yet over the limit");
        // Two minutes later (the checks compare with the time they run at).
        let later = Timestamp::now() + jiff::SignedDuration::from_mins(2);
        monitor.check_tenant(&acme, later).await.unwrap();
        monitor.check_tenant(&acme, later).await.unwrap();
        let alerts = wait_for(&got, 1).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(got.lock().unwrap().len(), 1, "once: {alerts:?}");
        assert_eq!(alerts[0]["kind"], "waiting_too_long");
        assert_eq!(alerts[0]["detail"]["count"], 2, "{alerts:?}");

        // A payee flagged on a voucher.
        let flag = mlc_engine::payee::PayeeFlag {
            at: Timestamp::now() + jiff::SignedDuration::from_secs(1),
            record: "invoice:acme:78".into(),
            message: "supplier 4242's payee 9999 changed".into(),
        };
        store
            .set_cursor(
                &acme,
                mlc_engine::payee::FLAG_CURSOR,
                Some(&serde_json::to_string(&flag).unwrap()),
            )
            .await
            .unwrap();
        monitor.check_tenant(&acme, later).await.unwrap();
        monitor.check_tenant(&acme, later).await.unwrap();
        let alerts = wait_for(&got, 2).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(got.lock().unwrap().len(), 2, "once: {alerts:?}");
        assert_eq!(alerts[1]["kind"], "payee_changed");
        assert_eq!(alerts[1]["severity"], "critical");
    }

    #[tokio::test]
    async fn a_processor_failure_is_reported_once_until_a_job_ends_normally() {
        use mlc_engine::processor::{Failure, ProcessorState, STATE};
        let dir = tempfile::tempdir().unwrap();
        let store = mlc_store::open(&format!("sqlite://{}", dir.path().join("s.db").display()))
            .await
            .unwrap();
        let acme = TenantId::parse("acme").unwrap();
        let (url, got) = receiver().await;
        let mut s = settings(Some(url));
        s.no_success_after = None;
        let (alerter, _task) = Alerter::start(&s, "w-1").unwrap();
        let mut monitor = Monitor::new(
            store.clone(),
            vec![acme.clone()],
            &s,
            alerter,
            Timestamp::now(),
        );
        let failing = |at: Timestamp| ProcessorState {
            pending: true,
            last_error: Some(Failure {
                message: "could not launch R04110ZA version XJDE0002 through the AIS report \
                          service (v2/report/execute): HTTP 404"
                    .into(),
                at,
                job: None,
            }),
            ..Default::default()
        };
        let save = |st: ProcessorState| {
            let store = store.clone();
            let acme = acme.clone();
            async move {
                let text = serde_json::to_string(&st).unwrap();
                store.set_cursor(&acme, STATE, Some(&text)).await.unwrap();
            }
        };
        let t1 = Timestamp::now();
        save(failing(t1)).await;
        monitor.check().await;
        monitor.check().await;
        let got1 = wait_for(&got, 1).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(got.lock().unwrap().len(), 1, "once: {got1:?}");
        assert_eq!(got1[0]["kind"], "processor_failed");
        assert_eq!(got1[0]["severity"], "warning");
        assert!(
            got1[0]["summary"]
                .as_str()
                .unwrap()
                .contains("R04110ZA version XJDE0002"),
            "{got1:?}"
        );
        // Cleared by a job that ended normally, then a new failure: reported again.
        save(ProcessorState::default()).await;
        monitor.check().await;
        save(failing(t1 + jiff::SignedDuration::from_secs(60))).await;
        monitor.check().await;
        let all = wait_for(&got, 2).await;
        assert_eq!(all.len(), 2, "{all:?}");
    }

    #[tokio::test]
    async fn monitor_reports_thresholds_rejections_and_silence_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = mlc_store::open(&format!("sqlite://{}", dir.path().join("s.db").display()))
            .await
            .unwrap();
        let acme = TenantId::parse("acme").unwrap();
        let (url, got) = receiver().await;
        let s = settings(Some(url));
        let (alerter, _task) = Alerter::start(&s, "w-1").unwrap();
        // Started two minutes ago and never succeeded: over `no_success_after` (60 s).
        let started = Timestamp::now() - jiff::SignedDuration::from_mins(2);
        let mut monitor = Monitor::new(store.clone(), vec![acme.clone()], &s, alerter, started);

        monitor.check().await;
        let first = wait_for(&got, 1).await;
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0]["kind"], "no_success");

        // Two mapping problems: at the threshold, no alert. A JDE rejection makes three.
        quarantine(store.as_ref(), &acme, "1", "mapping").await;
        quarantine(store.as_ref(), &acme, "2", "mapping").await;
        monitor.check().await;
        quarantine(store.as_ref(), &acme, "3", "jde-rejected").await;
        monitor.check().await;
        let all = wait_for(&got, 3).await;
        let kinds: Vec<&str> = all.iter().map(|a| a["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.len(), 3, "{all:?}");
        assert!(kinds.contains(&"quarantine_threshold"), "{kinds:?}");
        assert!(kinds.contains(&"jde_rejected"), "{kinds:?}");
        let jde = all.iter().find(|a| a["kind"] == "jde_rejected").unwrap();
        assert_eq!(jde["detail"]["count"], 1);
        assert_eq!(jde["detail"]["records"][0]["record"], "invoice:acme:3");

        // Nothing new: nothing more.
        monitor.check().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(got.lock().unwrap().len(), 3);

        // A success clears the silence; a new rejection is reported again.
        let ok = mlc_store::TenantState {
            last_success: Some(Timestamp::now()),
            ..Default::default()
        };
        store.set_tenant_state(&acme, &ok).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        quarantine(store.as_ref(), &acme, "4", "jde-processing").await;
        monitor.check().await;
        let all = wait_for(&got, 4).await;
        assert_eq!(all.len(), 4, "{all:?}");
        assert_eq!(all[3]["kind"], "jde_rejected");
        assert_eq!(all[3]["detail"]["records"][0]["record"], "invoice:acme:4");
    }

    #[test]
    fn smtp_settings_are_checked_without_leaking_the_password() {
        let url: Url = "smtp://user:hunter2@127.0.0.1:2525".parse().unwrap();
        let err = email::Mailer::new(&url, &[], "w").err().unwrap();
        assert!(err.contains("email_to"), "{err}");
        let bad: Url = "smtp://user:hunter2@127.0.0.1:2525?from=not-an-address"
            .parse()
            .unwrap();
        let err = email::Mailer::new(&bad, &["a@example.com".into()], "w")
            .err()
            .unwrap();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(email::Mailer::new(&url, &["ops@example.com".into()], "host-1-ab").is_ok());
        let remote: Url = "smtp://u:p@smtp.example.com:25?tls=none".parse().unwrap();
        let err = email::Mailer::new(&remote, &["a@example.com".into()], "w")
            .err()
            .unwrap();
        assert!(err.contains("loopback"), "{err}");
    }

    /// A minimal SMTP server on loopback (plaintext): accepts one message and returns it.
    async fn smtp_server() -> (u16, tokio::sync::oneshot::Receiver<String>) {
        use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let (r, mut w) = sock.into_split();
            let mut lines = BufReader::new(r).lines();
            w.write_all(b"220 test ESMTP\r\n").await.unwrap();
            let mut data = String::new();
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        in_data = false;
                        w.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let cmd = line.to_ascii_uppercase();
                let reply: &[u8] = if cmd.starts_with("EHLO") {
                    b"250-test\r\n250 AUTH PLAIN LOGIN\r\n"
                } else if cmd.starts_with("AUTH") {
                    b"235 ok\r\n"
                } else if cmd.starts_with("DATA") {
                    in_data = true;
                    b"354 go\r\n"
                } else if cmd.starts_with("QUIT") {
                    w.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    b"250 ok\r\n"
                };
                w.write_all(reply).await.unwrap();
            }
            let _ = tx.send(data);
        });
        (port, rx)
    }

    #[tokio::test]
    async fn alerts_are_mailed_through_smtp() {
        let (port, rx) = smtp_server().await;
        let mut s = settings(None);
        s.smtp_url = Some(
            format!("smtp://mlc:hunter2@127.0.0.1:{port}?tls=none&from=alerts%40example.com")
                .parse()
                .unwrap(),
        );
        s.email_to = vec!["ap-team@example.com".into()];
        let (alerter, task) = Alerter::start(&s, "w-1").unwrap();
        alerter.raise(
            AlertKind::JdeRejected,
            "acme",
            "JDE rejected 1 voucher(s)".into(),
            serde_json::json!({ "count": 1 }),
        );
        drop(alerter);
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .unwrap()
            .unwrap();
        let mail = tokio::time::timeout(Duration::from_secs(5), rx)
            .await
            .unwrap()
            .unwrap();
        assert!(
            mail.contains("Subject: [ml-connector] critical acme: jde_rejected"),
            "{mail}"
        );
        assert!(mail.contains("To: ap-team@example.com"), "{mail}");
        assert!(mail.contains("From: alerts@example.com"), "{mail}");
        assert!(mail.contains("JDE rejected 1 voucher(s)"), "{mail}");
        assert!(!mail.contains("hunter2"), "{mail}");
    }
}
