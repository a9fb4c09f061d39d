//! `run`: the service.
//!
//! One process runs three things until SIGTERM or SIGINT:
//! - the scheduler ([`mlc_engine::worker::run`]): every tenant's cycle on its `poll_interval`
//!   or cron `schedule`, each under the store lease `tenant:ID` (so with PostgreSQL any number
//!   of processes share the tenants, and a dead one's tenants are taken over after one lease
//!   period, [`LEASE_TTL`]);
//! - the HTTP server ([`crate::server`]) on `[server] listen` or `--listen`;
//! - the alert monitor ([`crate::alerts::Monitor`]) and alert delivery.
//!
//! Shutdown, on the first SIGTERM/SIGINT: the listener stops accepting and in-flight requests
//! finish (a cXML post being stored completes and gets its answer); the scheduler takes no new
//! cycle and gives running ones [`GRACE`] to finish (every commit is atomic, so a cycle cut
//! short loses nothing and the next one resumes from the stored cursors), then releases its
//! leases so another worker can take the tenants at once instead of after expiry; queued
//! alerts are delivered. A second signal exits at once (leases then expire by themselves).
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use jiff::{SignedDuration, Timestamp};
use mlc_engine::schedule::Schedule;
use mlc_engine::worker::{self, EventFn, ServiceEvent, TenantJob, WorkerConfig};
use mlc_store::StateStore;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::alerts::{Alerter, Monitor};
use crate::cli::{GlobalArgs, RunArgs};
use crate::config::Settings;
use crate::config::raw::Transport;
use crate::config::settings::{Cadence, TenantSettings};
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};
use crate::server::{self, CxmlReceiver, ServerState, TenantEntry, XmlExportReceiver};
use crate::wiring::{self, TenantRuntime};

/// Lease time to live: a worker that dies is replaced within this long.
pub(crate) const LEASE_TTL: Duration = Duration::from_secs(30);
/// Overrides [`LEASE_TTL`] (`10s`, `1m`; 5 s to 10 min). Shorter means a faster takeover
/// after a crash but more store traffic and less tolerance of a slow database.
pub(crate) const LEASE_TTL_ENV: &str = "ML_CONNECTOR_LEASE_TTL";
/// How often the scheduler looks for due tenants.
const TICK: Duration = Duration::from_secs(1);
/// How long running cycles get to finish on shutdown.
pub(crate) const GRACE: Duration = Duration::from_secs(20);
/// How often the alert monitor runs its checks (also right after every cycle).
const MONITOR_INTERVAL: Duration = Duration::from_secs(60);
/// How long shutdown waits for open HTTP connections and for queued alerts.
const DRAIN: Duration = Duration::from_secs(5);

pub(crate) fn run(global: &GlobalArgs, args: &RunArgs) -> AppResult {
    let settings = load_settings(global)?;
    let listen = match &args.listen {
        Some(text) => text.parse::<SocketAddr>().map_err(|e| {
            AppError::usage(anyhow!(
                "--listen {text:?} is not an address ({e}); expected IP:PORT, e.g. 127.0.0.1:8480"
            ))
        })?,
        None => settings.server.listen,
    };
    let lease_ttl = lease_ttl(std::env::var(LEASE_TTL_ENV).ok().as_deref())?;
    block_on(serve(settings, listen, lease_ttl))?
}

fn lease_ttl(raw: Option<&str>) -> AppResult<Duration> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(LEASE_TTL);
    };
    match crate::config::settings::parse_duration(raw) {
        Some(d) if (Duration::from_secs(5)..=Duration::from_secs(600)).contains(&d) => Ok(d),
        _ => Err(AppError::usage(anyhow!(
            "{LEASE_TTL_ENV}={raw:?} must be a duration from 5s to 10m, e.g. \"30s\""
        ))),
    }
}

async fn serve(settings: Settings, listen: SocketAddr, lease_ttl: Duration) -> AppResult {
    // Bind before anything starts running, so a port in use is a clean exit 1.
    let listener = bind(listen).await?;
    let store = open_store(&settings).await?;
    let runtimes = wiring::build_tenants(&settings, store.clone(), None).await?;
    serve_tenants(settings, store, runtimes, listener, lease_ttl).await
}

/// Binds the service's address, with an error that says what to change.
pub(crate) async fn bind(listen: SocketAddr) -> AppResult<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {listen}; is another process using it? Set `[server] listen` \
                 or --listen"
            )
        })
        .map_err(AppError::failure)
}

/// The service over tenants that are already built (`demo --keep-running` builds its own).
pub(crate) async fn serve_tenants(
    settings: Settings,
    store: Arc<dyn StateStore>,
    runtimes: Vec<TenantRuntime>,
    listener: tokio::net::TcpListener,
    lease_ttl: Duration,
) -> AppResult {
    let listen = listener
        .local_addr()
        .context("cannot read the service's address")
        .map_err(AppError::failure)?;
    let metrics = server::metrics::install_recorder()
        .context("cannot install the metrics recorder")
        .map_err(AppError::failure)?;
    let jobs = runtimes.iter().map(job).collect::<AppResult<Vec<_>>>()?;
    let worker_id = worker_id();
    let started = Timestamp::now();

    let (alerter, alert_task) =
        Alerter::start(&settings.alerts, &worker_id).map_err(|e| AppError::usage(anyhow!(e)))?;
    let wake_monitor = Arc::new(Notify::new());
    let events: EventFn = {
        let alerter = alerter.clone();
        let wake = wake_monitor.clone();
        Arc::new(move |event: ServiceEvent| {
            server::metrics::record_event(&event);
            alerter.on_event(&event);
            if let ServiceEvent::CycleFinished(summary) = &event {
                tracing::info!(
                    tenant = %summary.tenant,
                    run = summary.run_id.as_deref().unwrap_or(""),
                    status = ?summary.status,
                    duration_ms = summary.duration_ms,
                    "Cycle finished."
                );
                wake.notify_one();
            }
        })
    };

    let state = Arc::new(ServerState {
        store: store.clone(),
        tenants: runtimes.iter().map(entry).collect(),
        metrics: Some(metrics),
        worker_id: worker_id.clone(),
        xml: server::xml_guard::XmlGuard::default(),
        console: server::console::Console::new(
            server::console::AuthSettings {
                trusted_header: settings.server.trusted_header.clone(),
                trusted_proxies: settings.server.trusted_proxies.clone(),
                session_ttl: settings.server.session_ttl,
            },
            Some(Arc::new(crate::commands::quarantine::EngineRetrier::new(
                settings.clone(),
                store.clone(),
            ))),
        ),
    });

    let shutdown = CancellationToken::new();
    tokio::spawn(signals(shutdown.clone()));

    // The server; if it stops by itself (it should not), the whole service stops with exit 1.
    let server_failed = Arc::new(AtomicBool::new(false));
    let server_task = {
        let shutdown = shutdown.clone();
        let failed = server_failed.clone();
        let app = server::router(state);
        let limits = server::listen::Limits::from_settings(&settings.server);
        tokio::spawn(async move {
            let result = server::listen::serve(listener, app, limits, shutdown.clone()).await;
            if let Err(e) = result {
                tracing::error!(error = %e, "The HTTP server stopped; shutting the service down.");
                failed.store(true, Ordering::SeqCst);
                shutdown.cancel();
            }
        })
    };

    let monitor = Monitor::new(
        store.clone(),
        runtimes.iter().map(|rt| rt.settings.id.clone()).collect(),
        &settings.alerts,
        alerter.clone(),
        started,
    )
    .with_wait_alert_after(
        runtimes
            .iter()
            .map(|rt| (rt.settings.id.clone(), rt.settings.sync.wait_alert_after))
            .collect(),
    );
    let monitor_task = tokio::spawn(monitor.run(
        MONITOR_INTERVAL,
        worker_id.clone(),
        wake_monitor,
        shutdown.clone().cancelled_owned(),
    ));
    drop(alerter);

    if runtimes.is_empty() {
        tracing::warn!("No tenants are configured: serving health and metrics only.");
    }
    if store.backend() == "sqlite" {
        tracing::info!("SQLite store: run one worker only; use PostgreSQL for several.");
    }
    tracing::info!(
        listen = %listen,
        worker = %worker_id,
        tenants = runtimes.len(),
        store = store.backend(),
        "Service started."
    );

    let cfg = WorkerConfig {
        worker_id: worker_id.clone(),
        lease_ttl,
        tick: TICK,
        grace: GRACE,
        events: Some(events),
    };
    worker::run(jobs, cfg, shutdown.clone().cancelled_owned()).await;

    // The scheduler returns only after shutdown was requested; its leases are released.
    if tokio::time::timeout(DRAIN, server_task).await.is_err() {
        tracing::warn!("HTTP connections still open after {DRAIN:?}; closing them.");
    }
    let _ = tokio::time::timeout(DRAIN, monitor_task).await;
    // Every Alerter clone is gone now (worker events, monitor), so the delivery task drains
    // the queue and ends.
    if tokio::time::timeout(DRAIN, alert_task).await.is_err() {
        tracing::warn!("Some alerts could not be delivered before shutdown.");
    }
    // End the AIS sessions: each holds a JDE user session until it idles out otherwise.
    let _ = tokio::time::timeout(DRAIN, crate::wiring::logout_all(&runtimes)).await;
    if server_failed.load(Ordering::SeqCst) {
        return Err(AppError::failure(anyhow!(
            "the HTTP server on {listen} failed; see the log above"
        )));
    }
    tracing::info!(worker = %worker_id, "Service stopped.");
    Ok(())
}

/// Waits for SIGTERM or SIGINT, then cancels `shutdown`; a second signal exits at once.
async fn signals(shutdown: CancellationToken) {
    let mut first = true;
    loop {
        let name = wait_for_signal().await;
        if first {
            tracing::info!(
                signal = name,
                "Shutting down: finishing running cycles (send again to stop at once)."
            );
            shutdown.cancel();
            first = false;
        } else {
            tracing::warn!(
                signal = name,
                "Second signal: exiting now; this worker's leases expire by themselves."
            );
            std::process::exit(1);
        }
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("Cannot listen for SIGTERM/SIGINT; stop the service with SIGKILL.");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// The scheduler job of a tenant.
fn job(rt: &TenantRuntime) -> AppResult<TenantJob> {
    let (schedule, base_interval) = schedule(&rt.settings)?;
    Ok(TenantJob {
        engine: rt.engine.clone(),
        schedule,
        base_interval,
    })
}

/// The schedule of a tenant and the interval its back-off grows from.
pub(crate) fn schedule(t: &TenantSettings) -> AppResult<(Schedule, SignedDuration)> {
    match &t.cadence {
        Cadence::Every(d) => {
            let d = SignedDuration::try_from(*d).map_err(|e| {
                AppError::usage(anyhow!("tenant {}: poll_interval is too long: {e}", t.id))
            })?;
            Ok((Schedule::Every(d), d))
        }
        Cadence::Cron(expr) => {
            let s = Schedule::cron(expr, t.jde_timezone.clone())
                .map_err(|e| AppError::usage(anyhow!("tenant {}: {e}", t.id)))?;
            // Back-off starts from the gap between two occurrences (e.g. 5m for */5).
            let a = s.next_after(Timestamp::now());
            let gap = s.next_after(a).duration_since(a);
            Ok((s, gap.max(SignedDuration::from_secs(30))))
        }
    }
}

fn schedule_text(t: &TenantSettings) -> String {
    match &t.cadence {
        Cadence::Every(d) => format!("every {}", crate::config::settings::human(*d)),
        Cadence::Cron(expr) => format!("cron {expr} ({})", t.jde_timezone_name),
    }
}

fn entry(rt: &TenantRuntime) -> TenantEntry {
    TenantEntry {
        id: rt.settings.id.clone(),
        schedule: schedule_text(&rt.settings),
        jde_timezone_name: rt.settings.jde_timezone_name.clone(),
        cxml: matches!(rt.settings.jaggaer.transport, Transport::Cxml).then(|| CxmlReceiver {
            shared_secret: rt.cxml_shared_secret.clone(),
        }),
        xml_export: match (&rt.xml_identity, &rt.xml_shared_secret) {
            (Some(identity), Some(secret))
                if matches!(rt.settings.jaggaer.transport, Transport::Xml) =>
            {
                Some(XmlExportReceiver {
                    identity: identity.clone(),
                    shared_secret: secret.clone(),
                })
            }
            _ => None,
        },
    }
}

/// `HOST-PID-RANDOM`: unique per process, and says where it runs (shown as lease owner).
fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &random[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_ttl_override_is_checked() {
        assert_eq!(lease_ttl(None).unwrap(), LEASE_TTL);
        assert_eq!(lease_ttl(Some("")).unwrap(), LEASE_TTL);
        assert_eq!(lease_ttl(Some("6s")).unwrap(), Duration::from_secs(6));
        assert!(lease_ttl(Some("1s")).is_err());
        assert!(lease_ttl(Some("soon")).is_err());
    }

    #[test]
    fn worker_ids_are_unique_and_name_the_process() {
        let a = worker_id();
        let b = worker_id();
        assert_ne!(a, b);
        assert!(a.contains(&format!("-{}-", std::process::id())), "{a}");
    }
}
