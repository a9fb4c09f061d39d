//! `/metrics` and the service's own metrics.
//!
//! The recorder is installed once by `run` ([`install_recorder`]); every crate records through
//! the `metrics` facade (the clients: `mlc_api_*`, `mlc_rate_limited_total`; the worker:
//! `mlc_run_duration_seconds`, `mlc_lease_owned`). This module adds the counters derived from
//! service events ([`record_event`]) and from inbound cXML documents.
//!
//! Durations are exported as Prometheus histograms with fixed buckets (not summaries), so they
//! can be summed across several workers.
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};
use mlc_engine::summary::SummaryStatus;
use mlc_engine::worker::ServiceEvent;

use super::ServerState;

/// Histogram buckets in seconds: from a fast API call to a long first sync.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    1800.0, 3600.0,
];

/// Installs the process-wide Prometheus recorder and starts its upkeep task (drains histogram
/// data). Call once, inside the runtime.
pub(crate) fn install_recorder() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets(BUCKETS)?
        .install_recorder()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    describe();
    metrics::gauge!(
        "mlc_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
    )
    .set(1.0);
    Ok(handle)
}

/// Help texts of the metrics this binary and its crates emit.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "mlc_records_total",
        "Records per tenant, entity and outcome (read, created, updated, unchanged, waiting, quarantined)."
    );
    describe_counter!(
        "mlc_cycles_total",
        "Finished sync cycles per tenant and status (ok, partial, failed)."
    );
    describe_counter!(
        "mlc_cxml_documents_total",
        "Inbound cXML documents per tenant and result (accepted, resend, unauthorized, malformed, unknown_tenant, error)."
    );
    describe_counter!(
        "mlc_alerts_total",
        "Alerts raised per kind, and whether delivery succeeded."
    );
    describe_gauge!(
        "mlc_quarantine_open",
        "Open quarantine entries per tenant (refreshed by the alert monitor)."
    );
    describe_gauge!(
        "mlc_build_info",
        "Always 1; the version label says which build this worker runs."
    );
    describe_gauge!(
        "mlc_last_success_timestamp_seconds",
        "Unix time of the end of the last cycle that synced this tenant and entity without failing."
    );
    describe_gauge!(
        "mlc_records_waiting",
        "Records held back on purpose (not payable yet, waiting on another record) in the tenant's last cycle, per entity."
    );
    describe_gauge!(
        "mlc_lease_owned",
        "1 while this worker holds the tenant's lease."
    );
    describe_histogram!(
        "mlc_run_duration_seconds",
        "Wall time of a sync cycle per tenant."
    );
    describe_counter!(
        "mlc_api_requests_total",
        "HTTP requests to JDE AIS and JAGGAER per system, endpoint and status."
    );
    describe_histogram!(
        "mlc_api_request_seconds",
        "Latency of HTTP requests to JDE AIS and JAGGAER."
    );
    describe_counter!(
        "mlc_api_retries_total",
        "Retried HTTP requests to JDE AIS and JAGGAER."
    );
    describe_counter!(
        "mlc_rate_limited_total",
        "HTTP 429 answers received from JDE AIS and JAGGAER."
    );
}

/// Turns a service event into counters.
pub(crate) fn record_event(event: &ServiceEvent) {
    let ServiceEvent::CycleFinished(summary) = event else {
        return;
    };
    let status = match summary.status {
        SummaryStatus::Ok => "ok",
        SummaryStatus::Partial => "partial",
        SummaryStatus::Failed => "failed",
    };
    metrics::counter!("mlc_cycles_total", "tenant" => summary.tenant.clone(), "status" => status)
        .increment(1);
    let now = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
    for (entity, c) in &summary.entities {
        metrics::gauge!(
            "mlc_records_waiting",
            "tenant" => summary.tenant.clone(),
            "entity" => entity.clone(),
        )
        .set(c.waiting as f64);
        if summary.status != SummaryStatus::Failed {
            metrics::gauge!(
                "mlc_last_success_timestamp_seconds",
                "tenant" => summary.tenant.clone(),
                "entity" => entity.clone(),
            )
            .set(now);
        }
    }
    for (entity, c) in &summary.entities {
        let outcomes = [
            ("read", c.read),
            ("created", c.created),
            ("updated", c.updated),
            ("unchanged", c.unchanged),
            ("waiting", c.waiting),
            ("quarantined", c.quarantined),
        ];
        for (outcome, n) in outcomes {
            // Registering zeros too: a series that exists from the first cycle makes
            // `rate()` and absent-series alerts behave.
            metrics::counter!(
                "mlc_records_total",
                "tenant" => summary.tenant.clone(),
                "entity" => entity.clone(),
                "outcome" => outcome,
            )
            .increment(n);
        }
    }
}

/// `GET /metrics`.
pub(crate) async fn render(State(state): State<Arc<ServerState>>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            handle.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use mlc_engine::summary::{EntityCounts, TenantSummary};

    use super::*;

    #[test]
    fn cycle_summaries_become_record_counters() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let mut entities = BTreeMap::new();
        entities.insert(
            "purchase-orders".to_owned(),
            EntityCounts {
                read: 7,
                created: 5,
                updated: 1,
                unchanged: 0,
                quarantined: 1,
                waiting: 0,
            },
        );
        let event = ServiceEvent::CycleFinished(TenantSummary {
            tenant: "acme".into(),
            status: SummaryStatus::Partial,
            error: None,
            entities,
            duration_ms: 1200,
            run_id: None,
            login_rejected: false,
            panicked: false,
        });
        metrics::with_local_recorder(&recorder, || {
            record_event(&event);
            record_event(&event);
        });
        let text = handle.render();
        assert!(
            text.contains(
                r#"mlc_records_total{tenant="acme",entity="purchase-orders",outcome="created"} 10"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"mlc_records_total{tenant="acme",entity="purchase-orders",outcome="quarantined"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"mlc_cycles_total{tenant="acme",status="partial"} 2"#),
            "{text}"
        );
    }

    fn summary(status: SummaryStatus, waiting: u64) -> ServiceEvent {
        let mut entities = BTreeMap::new();
        entities.insert(
            "invoices".to_owned(),
            EntityCounts {
                read: 3,
                waiting,
                ..Default::default()
            },
        );
        ServiceEvent::CycleFinished(TenantSummary {
            tenant: "acme".into(),
            status,
            error: None,
            entities,
            duration_ms: 10,
            run_id: None,
            login_rejected: false,
            panicked: false,
        })
    }

    /// `mlc_records_waiting` follows the last cycle; a failed cycle never moves the
    /// last-success time.
    #[test]
    fn waiting_and_last_success_per_entity() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            record_event(&summary(SummaryStatus::Failed, 4))
        });
        let text = handle.render();
        assert!(
            text.contains(r#"mlc_records_waiting{tenant="acme",entity="invoices"} 4"#),
            "{text}"
        );
        assert!(
            !text.contains("mlc_last_success_timestamp_seconds{"),
            "{text}"
        );

        let before = jiff::Timestamp::now().as_second();
        metrics::with_local_recorder(&recorder, || {
            record_event(&summary(SummaryStatus::Partial, 1))
        });
        let text = handle.render();
        assert!(
            text.contains(r#"mlc_records_waiting{tenant="acme",entity="invoices"} 1"#),
            "{text}"
        );
        let line = text
            .lines()
            .find(|l| {
                l.starts_with(
                    r#"mlc_last_success_timestamp_seconds{tenant="acme",entity="invoices"}"#,
                )
            })
            .unwrap_or_else(|| panic!("{text}"));
        let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(value >= before as f64, "{line}");
    }
}
