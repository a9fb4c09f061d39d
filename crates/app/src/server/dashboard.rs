//! `GET /`: one HTML page, no scripts, no external assets (it must render on an air-gapped
//! operations network): a table of tenants with status, last run, next run and quarantine
//! size. It refreshes itself every 30 s. Every value from the store is HTML-escaped.
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Html;
use jiff::Timestamp;

use super::{ServerState, TenantEntry};

/// `GET /`.
pub(crate) async fn page(State(state): State<Arc<ServerState>>) -> Html<String> {
    let mut rows = String::new();
    for t in &state.tenants {
        rows.push_str(&row(&state, t).await);
    }
    let now = Timestamp::now();
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<title>ml-connector</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .4em .6em; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }}
.ok {{ color: #17692b; }} .warn {{ color: #9a6700; }} .bad {{ color: #b00020; font-weight: 600; }}
small {{ color: #666; }}
</style></head>
<body>
<h1>ml-connector</h1>
<p><small>worker {worker} &middot; store {backend} &middot; {now} &middot; <a href="/metrics">metrics</a> &middot; <a href="/readyz">readiness</a></small></p>
<table>
<tr><th>Tenant</th><th>Schedule</th><th>Status</th><th>Last run</th><th>Last success</th><th>Next run</th><th>Quarantine (open)</th></tr>
{rows}</table>
<p><small>Details: <code>ml-connector status</code>, <code>ml-connector quarantine list</code>, <code>ml-connector audit RECORD</code>.</small></p>
</body></html>
"#,
        worker = esc(&state.worker_id),
        backend = esc(state.store.backend()),
        now = now.strftime("%Y-%m-%d %H:%M:%S UTC"),
    ))
}

async fn row(state: &ServerState, t: &TenantEntry) -> String {
    let store = &state.store;
    let mut html = String::from("<tr>");
    let transport = if t.cxml.is_some() {
        " <small>(cXML inbound)</small>"
    } else {
        ""
    };
    let _ = write!(
        html,
        "<td><b>{}</b>{transport}</td><td>{}</td>",
        esc(t.id.as_str()),
        esc(&t.schedule)
    );

    let tenant_state = store.tenant_state(&t.id).await;
    let holder = store
        .lease_holder(&format!("tenant:{}", t.id.as_str()))
        .await
        .ok()
        .flatten();
    let status = match (&tenant_state, &holder) {
        (Err(e), _) => format!(
            r#"<span class="bad">store error: {}</span>"#,
            esc(&e.to_string())
        ),
        (Ok(s), _) if s.paused => format!(
            r#"<span class="bad">paused</span><br><small>{}</small>"#,
            esc(s.pause_reason.as_deref().unwrap_or(""))
        ),
        (Ok(_), Some(h)) => format!(
            r#"<span class="ok">running</span><br><small>on {}</small>"#,
            esc(&h.owner)
        ),
        (Ok(s), None) if s.consecutive_failures > 0 => format!(
            r#"<span class="warn">backing off</span><br><small>{} failure(s) in a row</small>"#,
            s.consecutive_failures
        ),
        (Ok(_), None) => r#"<span class="ok">idle</span>"#.to_owned(),
    };
    let _ = write!(html, "<td>{status}</td>");

    let last_run = match store.runs(Some(&t.id), 1).await {
        Ok(runs) => match runs.first() {
            Some(r) => {
                let class = match r.status.as_str() {
                    "ok" => "ok",
                    "failed" => "bad",
                    _ => "warn",
                };
                let err = r
                    .error
                    .as_deref()
                    .map(|e| format!("<br><small>{}</small>", esc(e)))
                    .unwrap_or_default();
                format!(
                    r#"<span class="{class}">{}</span> {}{err}"#,
                    r.status.as_str(),
                    when(r.started_at)
                )
            }
            None => "never".to_owned(),
        },
        Err(e) => format!(r#"<span class="bad">{}</span>"#, esc(&e.to_string())),
    };
    let _ = write!(html, "<td>{last_run}</td>");
    let (success, next) = match &tenant_state {
        Ok(s) => (
            s.last_success.map_or_else(|| "never".to_owned(), when),
            s.next_due.map_or_else(|| "now".to_owned(), when),
        ),
        Err(_) => ("?".to_owned(), "?".to_owned()),
    };
    let quarantine = match store.quarantine_open_count(&t.id).await {
        Ok(0) => "0".to_owned(),
        Ok(n) => format!(r#"<span class="warn">{n}</span>"#),
        Err(_) => "?".to_owned(),
    };
    let _ = writeln!(
        html,
        "<td>{success}</td><td>{next}</td><td>{quarantine}</td></tr>"
    );
    html
}

fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Minimal HTML escaping for text and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt as _;

    use super::super::{router, tests::state};

    #[tokio::test]
    async fn dashboard_lists_tenants_and_escapes_reasons() {
        let (_dir, state) = state().await;
        let s = mlc_store::TenantState {
            paused: true,
            pause_reason: Some("<script>alert(1)</script> close".into()),
            ..Default::default()
        };
        state
            .store
            .set_tenant_state(&state.tenants[0].id, &s)
            .await
            .unwrap();
        let res = router(state)
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(html.contains("<b>acme</b>"), "{html}");
        assert!(html.contains("<b>beta</b>"), "{html}");
        assert!(html.contains("paused"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("never"), "{html}");
    }
}
