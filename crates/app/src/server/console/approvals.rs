//! `GET /approvals` and `POST /approvals/{tenant}/{id}/approve|reject`: the vouchers held by
//! `[tenants.mapping] voucher_approval`, what `ml-connector approvals` does, for AP in the
//! console. Decisions are audited with the console user's name.
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_engine::approvals::{Decision, PENDING};
use mlc_store::LedgerStatus;
use serde::Deserialize;

use super::auth::{SignedIn, store_error};
use super::pages::{csrf_of, harden, page, refusal, refuse};
use crate::server::ServerState;

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `GET /approvals`.
pub(crate) async fn list(State(state): State<Arc<ServerState>>, me: SignedIn) -> Response {
    let tenants: Vec<_> = state.tenants.iter().map(|t| t.id.clone()).collect();
    let rows = match mlc_engine::approvals::pending(state.store.as_ref(), &tenants).await {
        Ok(r) => r,
        Err(e) => return store_error(e),
    };
    let body = html! {
        @if rows.is_empty() { p { "No vouchers wait for approval." } } @else {
        p { "Approved vouchers are posted to JDE by the next cycle; rejected ones go to the quarantine with your reason." }
        @for l in &rows {
            @let a = &l.detail["approval"];
            @let base = format!("/approvals/{}/{}", l.record.tenant, l.record.key);
            section class="approval" {
                h2 { "Invoice " (l.record.key) " · voucher " (text(&a["edtn"])) }
                p {
                    "Tenant " (l.record.tenant) " · supplier " (text(&a["an8"])) " · VINV " (text(&a["vinv"]))
                    " · company " (text(&a["company"])) " · " (text(&a["gross"])) " " (text(&a["currency"]))
                    " · waiting since " (text(&a["requested_at"]))
                }
                div class="scroll" { table {
                    thead { tr { th { "Line" } th { "Account" } th { "Amount" } th { "Explanation" } } }
                    tbody { @for line in a["plan"]["detailInputs"][0]["repeatingInputs"].as_array().into_iter().flatten() {
                        @let get = |n: &str| line["inputs"].as_array().into_iter().flatten()
                            .find(|i| i["name"] == n).map(|i| text(&i["value"])).unwrap_or_default();
                        tr { td { (get("EDLN")) } td { (get("ANI")) } td { (get("AA")) (get("ACR")) } td { (get("EXA")) } }
                    } }
                } }
                @if me.operator() {
                    form method="post" action=(format!("{base}/approve")) {
                        input type="hidden" name="csrf" value=(me.csrf);
                        button type="submit" { "Approve" }
                    }
                    form method="post" action=(format!("{base}/reject")) {
                        input type="hidden" name="csrf" value=(me.csrf);
                        label { "Reason " input type="text" name="reason" required; }
                        button type="submit" { "Reject" }
                    }
                }
            }
        } }
    };
    page(&me, StatusCode::OK, "Vouchers waiting for approval", body)
}

#[derive(Debug, Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

/// `POST /approvals/{tenant}/{id}/approve` and `/reject` (operator+, CSRF checked first).
pub(crate) async fn decide(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    Path((tenant, id, action)): Path<(String, String, String)>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    if let Some(r) = refusal(&me, csrf_of(&form, |f| f.csrf.as_deref()).as_deref()) {
        return r;
    }
    let Some(tenant) = state.tenant(&tenant).map(|t| t.id.clone()) else {
        return refuse(&me, StatusCode::NOT_FOUND, "No such tenant.");
    };
    let decision = match action.as_str() {
        "approve" => Decision::Approve,
        "reject" => {
            let reason = form
                .as_ref()
                .map(|Form(f)| f.reason.trim().to_owned())
                .unwrap_or_default();
            if reason.is_empty() {
                return refuse(
                    &me,
                    StatusCode::BAD_REQUEST,
                    "Say why the voucher is rejected.",
                );
            }
            Decision::Reject(reason)
        }
        _ => return refuse(&me, StatusCode::NOT_FOUND, "No such action."),
    };
    let key = RecordKey::new(RecordKind::Invoice, &tenant, id.clone());
    let row = match state.store.ledger(&key).await {
        Ok(Some(l))
            if l.status == LedgerStatus::Waiting && l.detail["approval"]["state"] == PENDING =>
        {
            l
        }
        Ok(_) => {
            return refuse(
                &me,
                StatusCode::CONFLICT,
                &format!("Invoice {id} has no voucher waiting for approval (any more)."),
            );
        }
        Err(e) => return store_error(e),
    };
    let who = format!("console user {}", me.user);
    if let Err(e) = mlc_engine::approvals::decide(state.store.as_ref(), row, decision, &who).await {
        return store_error(e);
    }
    tracing::info!(user = %me.user, record = %key, action = %action, "Console: approval decision.");
    harden(Redirect::to("/approvals").into_response())
}
