//! Liveness and readiness.
//!
//! `/healthz` says the process is alive and serving (a load balancer or systemd watchdog
//! restarts it otherwise); it touches nothing else, so a slow database never gets a healthy
//! process killed. `/readyz` says this worker can do useful work: the store answers and at
//! least one tenant is configured. A paused tenant keeps the worker ready: its inbound
//! documents (cXML, XML exports) must still be accepted and stored while its cycles wait, so a
//! load balancer must not take the worker out. Paused tenants are listed in the answer. Every
//! failing answer carries a JSON reason an operator can act on.
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::ServerState;

/// How long `/readyz` waits for the store before calling it unready: a probe must answer
/// well within a typical 5 s probe timeout.
const STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// `GET /healthz`: 200 `ok`.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`.
pub(crate) async fn readyz(State(state): State<Arc<ServerState>>) -> impl IntoResponse {
    let unready = |reason: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unready", "reason": reason })),
        )
    };
    match tokio::time::timeout(STORE_TIMEOUT, state.store.ping()).await {
        Err(_) => {
            return unready(format!(
                "the state store ({}) did not answer within {}s",
                state.store.backend(),
                STORE_TIMEOUT.as_secs()
            ));
        }
        Ok(Err(e)) => return unready(format!("the state store does not answer: {e}")),
        Ok(Ok(())) => {}
    }
    if state.tenants.is_empty() {
        return unready("no tenants are configured".into());
    }
    let mut paused = Vec::new();
    for t in &state.tenants {
        match state.store.tenant_state(&t.id).await {
            Ok(s) if s.paused => paused.push(json!({
                "tenant": t.id.as_str(),
                "reason": s.pause_reason.unwrap_or_default(),
            })),
            Ok(_) => {}
            Err(e) => {
                return unready(format!(
                    "cannot read the state of tenant {}: {e}",
                    t.id.as_str()
                ));
            }
        }
    }
    (
        StatusCode::OK,
        Json(json!({ "status": "ready", "store": state.store.backend(), "paused": paused })),
    )
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    use super::super::{router, tests::state};
    use super::*;

    async fn get(state: Arc<ServerState>, path: &str) -> (StatusCode, String) {
        let res = router(state)
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn healthz_is_ok() {
        let (_dir, state) = state().await;
        assert_eq!(
            get(state, "/healthz").await,
            (StatusCode::OK, "ok".to_owned())
        );
    }

    /// Paused tenants keep the worker ready (their inbound documents must still be accepted)
    /// and are listed with their reasons.
    #[tokio::test]
    async fn readyz_stays_ready_while_tenants_are_paused() {
        let (_dir, state) = state().await;
        let (status, body) = get(state.clone(), "/readyz").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["paused"], serde_json::json!([]), "{body}");

        for t in &state.tenants {
            let s = mlc_store::TenantState {
                paused: true,
                pause_reason: Some("month-end close".into()),
                ..Default::default()
            };
            state.store.set_tenant_state(&t.id, &s).await.unwrap();
        }
        let (status, body) = get(state.clone(), "/readyz").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["status"], "ready");
        assert_eq!(
            json["paused"].as_array().unwrap().len(),
            state.tenants.len()
        );
        assert_eq!(json["paused"][0]["reason"], "month-end close");
    }
}
