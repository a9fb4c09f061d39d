//! The console's pages and form handlers (server-rendered with [`maud`]; every value is
//! escaped by the template).
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use mlc_core::ids::TenantId;
use mlc_core::jdetime::JdeStamp;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_store::{QuarantineEntry, QuarantineStatus, RunStatus};
use serde::Deserialize;

use super::RetryOutcome;
use super::auth::{self, SignedIn, store_error};
use crate::server::{ServerState, TenantEntry};

const CSS: &str = "
:root { color-scheme: light; }
body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fff; line-height: 1.45; }
header { background: #14365d; color: #fff; padding: .6rem 1rem; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; align-items: center; }
header a { color: #fff; }
header .who { margin-left: auto; }
header form { display: inline; }
header button { background: transparent; border: 1px solid #fff; }
main { padding: 1rem; max-width: 80rem; }
h1 { font-size: 1.4rem; margin: .4rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.4rem 0 .5rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #c8c8c8; padding: .4rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
.ok { color: #11602a; } .warn { color: #7a5200; } .bad { color: #a1001c; font-weight: 600; }
.muted { color: #555; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.legend span { margin-right: .8rem; white-space: nowrap; }
.swatch { display: inline-block; width: .8rem; height: .8rem; vertical-align: middle; }
.msg { padding: .6rem .8rem; border-left: 4px solid #14365d; background: #eef1f5; }
.msg.bad { border-color: #a1001c; }
pre { background: #f5f5f5; padding: .6rem; overflow-x: auto; max-width: 100%; }
label { display: block; margin: .5rem 0 .2rem; font-weight: 600; }
input, select, textarea, button { font: inherit; padding: .35rem .5rem; }
button { background: #14365d; color: #fff; border: 0; border-radius: 3px; cursor: pointer; }
button.danger { background: #a1001c; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin-bottom: 1rem; }
form.filters label { margin: 0; }
a { color: #0b4f9c; }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f2a900; }
@media (max-width: 40rem) { th, td { padding: .3rem; font-size: .9rem; } main { padding: .6rem; } }
";

/// Headers every console page carries.
pub(super) fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

fn layout(me: Option<&SignedIn>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · ml-connector" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    strong { "ml-connector" }
                    @if let Some(me) = me {
                        nav aria-label="Console" {
                            a href="/" { "Overview" } " · "
                            a href="/runs" { "Runs" } " · "
                            a href="/records" { "Records" } " · "
                            a href="/quarantine" { "Quarantine" } " · "
                            a href="/approvals" { "Approvals" }
                        }
                        span class="who" {
                            (me.user) " (" (me.role.as_str()) ") "
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(me.csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// A page for a signed-in user (sets the cookie of a session the proxy header just opened).
pub(super) fn page(me: &SignedIn, status: StatusCode, title: &str, body: Markup) -> Response {
    let mut r = (status, layout(Some(me), title, body)).into_response();
    if let Some(c) = &me.set_cookie {
        r.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    harden(r)
}

pub(super) fn refuse(me: &SignedIn, status: StatusCode, text: &str) -> Response {
    page(
        me,
        status,
        "Not allowed",
        html! { p class="msg bad" { (text) } },
    )
}

pub(super) fn ts(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn age(t: Timestamp) -> String {
    let secs = Timestamp::now().duration_since(t).as_secs().max(0);
    match secs {
        0..60 => format!("{secs} s ago"),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// A cursor value as a date and time in the tenant's JDE time zone (a JDE stamp cursor is
/// `CYYDDD:HHMMSS`); other cursors as they are.
fn watermark(value: &str, tz_name: &str) -> String {
    match JdeStamp::from_cursor(value) {
        Ok(stamp) => format!(
            "{} ({tz_name})",
            stamp.datetime().strftime("%Y-%m-%d %H:%M:%S")
        ),
        Err(_) => match Timestamp::from_str(value) {
            Ok(t) => ts(t),
            Err(_) => value.to_owned(),
        },
    }
}

// ---- sign-in ---------------------------------------------------------------------------------

fn login_page(status: StatusCode, message: Option<&str>) -> Response {
    let body = html! {
        @if let Some(m) = message { p class="msg bad" role="alert" { (m) } }
        form method="post" action="/login" {
            label for="user" { "User name" }
            input id="user" name="user" autocomplete="username" required autofocus;
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            p { button type="submit" { "Sign in" } }
        }
        p class="muted" { "Accounts are made with " code { "ml-connector users add NAME --role viewer|operator|admin" } "." }
    };
    harden((status, layout(None, "Sign in", body)).into_response())
}

/// `GET /login`.
pub(crate) async fn login_form() -> Response {
    login_page(StatusCode::OK, None)
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`.
pub(crate) async fn login(
    State(state): State<Arc<ServerState>>,
    parts: Parts,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_page(
            StatusCode::BAD_REQUEST,
            Some("Fill in user name and password."),
        );
    };
    let user = form.user.trim();
    if user.is_empty() || form.password.is_empty() || user.len() > 200 || form.password.len() > 1024
    {
        return login_page(
            StatusCode::BAD_REQUEST,
            Some("Fill in user name and password."),
        );
    }
    let peer = auth::peer(&parts);
    match auth::check_password(&state, user, &form.password, peer).await {
        Err(r) => harden(r),
        Ok(None) => login_page(
            StatusCode::UNAUTHORIZED,
            Some("Wrong user name or password."),
        ),
        Ok(Some(name)) => {
            let secure = auth::over_https(&state, &parts);
            match auth::start_session(&state, &name, secure).await {
                Ok((cookie, _)) => {
                    tracing::info!(user = %name, "Console: signed in.");
                    let mut r = Redirect::to("/").into_response();
                    r.headers_mut().append(header::SET_COOKIE, cookie);
                    harden(r)
                }
                Err(r) => r,
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: Option<String>,
}

pub(super) fn csrf_of<T>(
    form: &Result<Form<T>, FormRejection>,
    get: impl Fn(&T) -> Option<&str>,
) -> Option<String> {
    form.as_ref()
        .ok()
        .and_then(|Form(f)| get(f))
        .map(str::to_owned)
}

/// `POST /logout`.
pub(crate) async fn logout(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    if !me.csrf_ok(csrf_of(&form, |f| f.csrf.as_deref()).as_deref()) {
        return refuse(
            &me,
            StatusCode::FORBIDDEN,
            "This form has expired; reload the page and try again.",
        );
    }
    if let Some(token) = auth::cookie_token(&headers)
        && let Err(e) = state.store.session_delete(&auth::token_hash(&token)).await
    {
        return store_error(e);
    }
    tracing::info!(user = %me.user, "Console: signed out.");
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, auth::cleared_cookie());
    harden(r)
}

// ---- overview --------------------------------------------------------------------------------

struct TenantView {
    id: String,
    state: (&'static str, &'static str, Option<String>),
    last_success: Option<Timestamp>,
    next_due: Option<Timestamp>,
    open: u64,
    watermarks: Vec<(String, String)>,
    last_run: Option<(String, Timestamp)>,
    week: Vec<Day>,
}

/// One UTC day of a tenant's runs: records created or updated per entity, failed runs, and
/// records quarantined.
struct Day {
    date: jiff::civil::Date,
    moved: BTreeMap<String, u64>,
    failed_runs: u64,
    quarantined: u64,
}

/// The last 7 days (UTC, oldest first) from the tenant's runs' summaries.
fn week_of(runs: &[mlc_store::RunRow], today: jiff::civil::Date) -> Vec<Day> {
    let mut days: Vec<Day> = (0..7i64)
        .rev()
        .filter_map(|i| today.checked_sub(jiff::Span::new().days(i)).ok())
        .map(|date| Day {
            date,
            moved: BTreeMap::new(),
            failed_runs: 0,
            quarantined: 0,
        })
        .collect();
    for r in runs {
        let date = r.started_at.to_zoned(jiff::tz::TimeZone::UTC).date();
        let Some(day) = days.iter_mut().find(|d| d.date == date) else {
            continue;
        };
        if r.status == RunStatus::Failed {
            day.failed_runs += 1;
        }
        if let Some(entities) = r.summary.get("entities").and_then(|e| e.as_object()) {
            for (entity, c) in entities {
                let n = |k: &str| c.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
                *day.moved.entry(entity.clone()).or_default() += n("created") + n("updated");
                day.quarantined += n("quarantined");
            }
        }
    }
    days
}

/// A day's bar segments, bottom up: entity, count, top edge and height (at least 1 px), the
/// tallest day being `height` px high with its foot at `base`.
fn stack<'a>(
    d: &Day,
    entities: &[&'a String],
    max: u64,
    base: u64,
    height: u64,
) -> Vec<(&'a str, u64, u64, u64)> {
    let mut y = base;
    let mut out = Vec::new();
    for e in entities {
        let n = d.moved.get(*e).copied().unwrap_or(0);
        if n > 0 {
            let h = (n * height).div_ceil(max).clamp(1, y);
            y -= h;
            out.push((e.as_str(), n, y, h));
        }
    }
    out
}

const CHART_COLOURS: [&str; 6] = [
    "#14365d", "#3f7fc4", "#11602a", "#7a5200", "#6b3fa0", "#4d4d4d",
];

/// Records moved per entity per day as stacked bars (server-rendered SVG with a `<title>`),
/// failures written under each day, and the same numbers as a table.
fn week_chart(tenant: &str, week: &[Day]) -> Markup {
    let entities: Vec<&String> = {
        let mut e: Vec<&String> = week.iter().flat_map(|d| d.moved.keys()).collect();
        e.sort();
        e.dedup();
        e
    };
    let colour = |e: &str| {
        let i = entities.iter().position(|x| x.as_str() == e).unwrap_or(0);
        CHART_COLOURS[i % CHART_COLOURS.len()]
    };
    let max = week
        .iter()
        .map(|d| d.moved.values().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (col, bar, top, height) = (80u64, 44u64, 20u64, 120u64);
    let title_id = format!("week-{tenant}");
    html! {
        h3 id=(title_id) { "Last 7 days (UTC)" }
        svg role="img" aria-labelledby=(title_id) viewBox=(format!("0 0 {} {}", col * 7, top + height + 44)) width="100%" style="max-width:40rem;display:block" {
            title { "Records created or updated per entity and failures per day, tenant " (tenant) }
            @for (i, d) in week.iter().enumerate() {
                @let x = i as u64 * col + (col - bar) / 2;
                @for (e, n, y, h) in stack(d, &entities, max, top + height, height) {
                    rect x=(x) y=(y) width=(bar) height=(h) fill=(colour(e)) { title { (e) ": " (n) } }
                }
                text x=(x + bar / 2) y=(top + height + 16) text-anchor="middle" font-size="12" fill="#1b1b1b" { (d.date.strftime("%a %d")) }
                @if d.failed_runs + d.quarantined > 0 {
                    text x=(x + bar / 2) y=(top + height + 34) text-anchor="middle" font-size="12" fill="#a1001c" font-weight="600" { (d.failed_runs + d.quarantined) " failed" }
                }
            }
            line x1="0" x2=(col * 7) y1=(top + height) y2=(top + height) stroke="#555" {}
        }
        @if !entities.is_empty() {
            p class="legend" { @for e in &entities { span { span class="swatch" style=(format!("background:{}", colour(e))) {} " " (e) } " " } }
        }
        details {
            summary { "The numbers" }
            div class="scroll" { table {
                thead { tr { th { "Day" } @for e in &entities { th { (e) } } th { "Failed runs" } th { "Quarantined" } } }
                tbody { @for d in week { tr {
                    td { (d.date.strftime("%Y-%m-%d")) }
                    @for e in &entities { td { (d.moved.get(*e).copied().unwrap_or(0)) } }
                    td { (d.failed_runs) }
                    td { (d.quarantined) }
                } } }
            } }
        }
    }
}

async fn tenant_view(state: &ServerState, t: &TenantEntry) -> Result<TenantView, Response> {
    let store = &state.store;
    let st = store.tenant_state(&t.id).await.map_err(store_error)?;
    let holder = store
        .lease_holder(&format!("tenant:{}", t.id.as_str()))
        .await
        .map_err(store_error)?;
    let label = if st.paused {
        ("paused", "bad", st.pause_reason.clone())
    } else if let Some(h) = holder {
        ("syncing", "ok", Some(format!("on {}", h.owner)))
    } else if st.consecutive_failures > 0 {
        (
            "failing",
            "bad",
            Some(format!(
                "{} failed cycles in a row",
                st.consecutive_failures
            )),
        )
    } else {
        ("idle", "ok", None)
    };
    let open = store
        .quarantine_open_count(&t.id)
        .await
        .map_err(store_error)?;
    let watermarks = store
        .cursors(&t.id)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|c| (c.name, watermark(&c.value, &t.jde_timezone_name)))
        .collect();
    let last_run = store
        .runs(Some(&t.id), 1)
        .await
        .map_err(store_error)?
        .into_iter()
        .next()
        .map(|r| (r.status.as_str().to_owned(), r.started_at));
    let recent = store.runs(Some(&t.id), 5000).await.map_err(store_error)?;
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    Ok(TenantView {
        week: week_of(&recent, today),
        id: t.id.to_string(),
        state: label,
        last_success: st.last_success,
        next_due: st.next_due,
        open,
        watermarks,
        last_run,
    })
}

/// `GET /`.
pub(crate) async fn overview(State(state): State<Arc<ServerState>>, me: SignedIn) -> Response {
    let mut views = Vec::new();
    for t in &state.tenants {
        match tenant_view(&state, t).await {
            Ok(v) => views.push(v),
            Err(r) => return r,
        }
    }
    let body = html! {
        p class="muted" { "Worker " (state.worker_id) " · store " (state.store.backend()) " · " (ts(Timestamp::now())) }
        @if views.is_empty() { p { "No tenants are configured." } }
        @for v in &views {
            section aria-labelledby=(format!("t-{}", v.id)) {
                h2 id=(format!("t-{}", v.id)) { "Tenant " (v.id) }
                div class="scroll" { table {
                    tr { th scope="row" { "State" } td {
                        span class=(v.state.1) { (v.state.0) }
                        @if let Some(d) = &v.state.2 { " " span class="muted" { "(" (d) ")" } }
                    } }
                    tr { th scope="row" { "Last success" } td {
                        @match v.last_success {
                            Some(t) => { (ts(t)) " · " (age(t)) },
                            None => span class="warn" { "never" },
                        }
                    } }
                    tr { th scope="row" { "Last run" } td {
                        @match &v.last_run {
                            Some((s, t)) => { (s) " · started " (ts(*t)) " · " a href=(format!("/runs?tenant={}", v.id)) { "history" } },
                            None => "none yet",
                        }
                    } }
                    tr { th scope="row" { "Next run" } td {
                        @match v.next_due { Some(t) => (ts(t)), None => "when the scheduler next looks" }
                    } }
                    tr { th scope="row" { "Quarantine (open)" } td {
                        a class=(if v.open > 0 { "bad" } else { "ok" }) href=(format!("/quarantine?tenant={}", v.id)) { (v.open) }
                    } }
                    @if me.operator() { tr { th scope="row" { "Actions" } td {
                        @if v.state.0 == "paused" {
                            form method="post" action=(format!("/tenants/{}/resume", v.id)) {
                                input type="hidden" name="csrf" value=(me.csrf);
                                button type="submit" { "Resume" }
                            }
                        } @else {
                            form method="post" action=(format!("/tenants/{}/pause", v.id)) {
                                input type="hidden" name="csrf" value=(me.csrf);
                                label for=(format!("pause-{}", v.id)) { "Reason for pausing (required)" }
                                input id=(format!("pause-{}", v.id)) name="reason" required;
                                " " button class="danger" type="submit" { "Pause" }
                            }
                        }
                    } } }
                    tr { th scope="row" { "Watermarks" } td {
                        @if v.watermarks.is_empty() { "none yet" }
                        @if !v.watermarks.is_empty() { details {
                            summary { (v.watermarks.len()) " cursors" }
                            @for (name, value) in &v.watermarks { div { code { (name) } ": " (value) } }
                        } }
                    } }
                } }
                (week_chart(&v.id, &v.week))
            }
        }
    };
    page(&me, StatusCode::OK, "Overview", body)
}

// ---- runs ------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RunFilter {
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

fn tenant_param(state: &ServerState, t: Option<&str>) -> Option<TenantId> {
    t.filter(|t| !t.is_empty())
        .and_then(|t| state.tenant(t))
        .map(|t| t.id.clone())
}

fn tenant_select(state: &ServerState, chosen: Option<&TenantId>) -> Markup {
    html! {
        div {
            label for="tenant" { "Tenant" }
            select id="tenant" name="tenant" {
                option value="" { "all" }
                @for t in &state.tenants {
                    option value=(t.id.as_str()) selected[chosen == Some(&t.id)] { (t.id.as_str()) }
                }
            }
        }
    }
}

/// `GET /runs`.
pub(crate) async fn runs(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    Query(f): Query<RunFilter>,
) -> Response {
    let tenant = tenant_param(&state, f.tenant.as_deref());
    let status = f.status.as_deref().filter(|s| !s.is_empty());
    let rows = match state.store.runs(tenant.as_ref(), 500).await {
        Ok(r) => r,
        Err(e) => return store_error(e),
    };
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| status.is_none_or(|s| r.status.as_str() == s))
        .take(200)
        .collect();
    let statuses = [
        RunStatus::Running,
        RunStatus::Ok,
        RunStatus::Partial,
        RunStatus::Failed,
    ];
    let body = html! {
        form class="filters" method="get" action="/runs" {
            (tenant_select(&state, tenant.as_ref()))
            div {
                label for="status" { "Status" }
                select id="status" name="status" {
                    option value="" { "any" }
                    @for s in statuses { option value=(s.as_str()) selected[status == Some(s.as_str())] { (s.as_str()) } }
                }
            }
            button type="submit" { "Show" }
        }
        @if rows.is_empty() { p { "No runs match." } } @else {
        div class="scroll" { table {
            thead { tr { th { "Started" } th { "Tenant" } th { "Trigger" } th { "Status" } th { "Duration" } th { "Records per entity" } th { "Error" } } }
            tbody { @for r in &rows {
                tr {
                    td { (ts(r.started_at)) }
                    td { (r.tenant.as_str()) }
                    td { (r.trigger) }
                    td { span class=(match r.status { RunStatus::Failed => "bad", RunStatus::Partial => "warn", _ => "ok" }) { (r.status.as_str()) } }
                    td { @match r.finished_at {
                        Some(end) => { (format!("{:.1} s", end.duration_since(r.started_at).as_secs_f64())) },
                        None => "running",
                    } }
                    td { @if let Some(entities) = r.summary.get("entities").and_then(|e| e.as_object()) {
                        @for (entity, c) in entities {
                            @let moved = counts(c);
                            div { strong { (entity) } ": " @if moved.is_empty() { span class="muted" { "nothing new" } } @else { (moved) } }
                        }
                    } }
                    td { @if let Some(e) = &r.error { span class="bad" { (e) } } }
                }
            } }
        } } }
    };
    page(&me, StatusCode::OK, "Runs", body)
}

fn counts(c: &serde_json::Value) -> String {
    [
        "read",
        "created",
        "updated",
        "unchanged",
        "quarantined",
        "waiting",
    ]
    .iter()
    .filter_map(|k| {
        let n = c.get(k)?.as_u64()?;
        (n > 0).then(|| format!("{n} {k}"))
    })
    .collect::<Vec<_>>()
    .join(", ")
}

// ---- records ---------------------------------------------------------------------------------

const KINDS: [RecordKind; 5] = [
    RecordKind::Supplier,
    RecordKind::Account,
    RecordKind::CostCenter,
    RecordKind::Po,
    RecordKind::Invoice,
];

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecordQuery {
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    key: Option<String>,
}

/// `GET /records`: a record's audit trail and both sides' ids.
pub(crate) async fn records(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    Query(q): Query<RecordQuery>,
) -> Response {
    let tenant = tenant_param(&state, q.tenant.as_deref())
        .or_else(|| state.tenants.first().map(|t| t.id.clone()));
    let kind = q.kind.as_deref().and_then(|k| RecordKind::from_str(k).ok());
    let key = q.key.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let record = match (tenant.clone(), kind, key) {
        (Some(tenant), Some(kind), Some(key)) => Some(RecordKey {
            tenant,
            kind,
            key: key.to_owned(),
        }),
        _ => None,
    };
    let mut found = None;
    if let Some(r) = &record {
        let ledger = match state.store.ledger(r).await {
            Ok(l) => l,
            Err(e) => return store_error(e),
        };
        let remote = match state.store.xref_remote(&r.tenant, r.kind, &r.key).await {
            Ok(x) => x,
            Err(e) => return store_error(e),
        };
        let trail = match state.store.audit_trail(r, None).await {
            Ok(t) => t,
            Err(e) => return store_error(e),
        };
        found = Some((ledger, remote, trail));
    }
    let body = html! {
        form class="filters" method="get" action="/records" {
            div {
                label for="tenant" { "Tenant" }
                select id="tenant" name="tenant" {
                    @for t in &state.tenants { option value=(t.id.as_str()) selected[tenant.as_ref() == Some(&t.id)] { (t.id.as_str()) } }
                }
            }
            div {
                label for="kind" { "Kind" }
                select id="kind" name="kind" {
                    @for k in KINDS { option value=(k.as_str()) selected[kind == Some(k)] { (k.as_str()) } }
                }
            }
            div {
                label for="key" { "Key (PO number, supplier AN8, invoice number …)" }
                input id="key" name="key" value=(key.unwrap_or_default());
            }
            button type="submit" { "Find" }
        }
        @if let (Some(r), Some((ledger, remote, trail))) = (&record, &found) {
            h2 { (r.to_string()) }
            @if ledger.is_none() && trail.is_empty() { p class="msg" { "Nothing is known about this record." } }
            div class="scroll" { table {
                // Invoices come from JAGGAER and become JDE vouchers; the rest go the other way.
                tr { th scope="row" { (if r.kind == RecordKind::Invoice { "JAGGAER invoice id" } else { "JDE key" }) } td { code { (r.key) } } }
                tr { th scope="row" { (if r.kind == RecordKind::Invoice { "JDE voucher (user/batch/transaction)" } else { "JAGGAER id" }) } td { @match remote.as_deref().or(ledger.as_ref().and_then(|l| l.remote_id.as_deref())) { Some(id) => code { (id) }, None => "none" } } }
                @if let Some(l) = ledger {
                    tr { th scope="row" { "Status" } td { (l.status.as_str()) " · since " (ts(l.updated_at)) } }
                    tr { th scope="row" { "Source version" } td { code { (l.source_version) } } }
                }
            } }
            h2 { "Audit trail" }
            div class="scroll" { table {
                thead { tr { th { "When" } th { "Action" } th { "Message" } th { "Run" } th { "Detail" } } }
                tbody { @for e in trail { tr {
                    td { (ts(e.at)) }
                    td { (e.action) }
                    td { (e.message) }
                    td { @if let Some(run) = &e.run_id { code { (run.0) } } }
                    td { @if !e.detail.is_null() && e.detail != serde_json::json!({}) {
                        details { summary { "show" } pre { (serde_json::to_string_pretty(&e.detail).unwrap_or_default()) } }
                    } }
                } } }
            } }
        }
    };
    page(&me, StatusCode::OK, "Records", body)
}

// ---- quarantine ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub(crate) struct QuarantineFilter {
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// A business key to look for: the record's key, or any value of its payload (an invoice
    /// number, a PO number, a supplier AN8).
    #[serde(default)]
    q: Option<String>,
    /// After a group retry: `RESOLVED-FAILING-NOTRUN`.
    #[serde(default)]
    retried: Option<String>,
}

/// Whether `e` is about `needle`: its record key contains it, or a value of its payload is it
/// (case-insensitive), so an invoice is found by the supplier's invoice number.
fn entry_matches(e: &QuarantineEntry, needle: &str) -> bool {
    fn leaf_is(v: &serde_json::Value, needle: &str) -> bool {
        match v {
            serde_json::Value::String(s) => s.trim().eq_ignore_ascii_case(needle),
            serde_json::Value::Number(n) => n.to_string() == needle,
            serde_json::Value::Array(a) => a.iter().any(|x| leaf_is(x, needle)),
            serde_json::Value::Object(m) => m.values().any(|x| leaf_is(x, needle)),
            _ => false,
        }
    }
    e.entry
        .record
        .key
        .to_lowercase()
        .contains(&needle.to_lowercase())
        || leaf_is(&e.entry.payload, needle)
}

/// `GET /quarantine`.
pub(crate) async fn quarantine_list(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    Query(f): Query<QuarantineFilter>,
) -> Response {
    let tenant = tenant_param(&state, f.tenant.as_deref());
    let all = f.all.as_deref() == Some("1");
    let entries = match state.store.quarantine_list(tenant.as_ref(), !all).await {
        Ok(e) => e,
        Err(e) => return store_error(e),
    };
    let mut groups: BTreeMap<(String, String), usize> = BTreeMap::new();
    for e in &entries {
        *groups
            .entry((
                e.entry.record.kind.as_str().to_owned(),
                reason_group(e).to_owned(),
            ))
            .or_default() += 1;
    }
    let reason = f.reason.as_deref().filter(|r| !r.is_empty());
    let needle = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let shown: Vec<&QuarantineEntry> = entries
        .iter()
        .filter(|e| reason.is_none_or(|r| reason_group(e) == r))
        .filter(|e| needle.is_none_or(|q| entry_matches(e, q)))
        .take(500)
        .collect();
    let live_in_group = if reason.is_some() {
        shown.iter().filter(|e| is_live(e)).count()
    } else {
        0
    };
    let retried = f.retried.as_deref().and_then(|r| {
        let mut n = r.splitn(3, '-').map(|x| x.parse::<usize>().ok());
        Some((n.next()??, n.next()??, n.next()??))
    });
    let link = |r: &str| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(t) = &tenant {
            q.append_pair("tenant", t.as_str());
        }
        if all {
            q.append_pair("all", "1");
        }
        q.append_pair("reason", r);
        format!("/quarantine?{}", q.finish())
    };
    let body = html! {
        form class="filters" method="get" action="/quarantine" {
            (tenant_select(&state, tenant.as_ref()))
            div {
                label for="all" { "Show" }
                select id="all" name="all" {
                    option value="" { "open entries" }
                    option value="1" selected[all] { "all entries" }
                }
            }
            div {
                label for="q" { "Invoice, PO or supplier number" }
                input id="q" name="q" type="search" value=(needle.unwrap_or_default());
            }
            button type="submit" { "Show" }
        }
        @if !groups.is_empty() {
            h2 { "Reasons" }
            ul { @for ((kind, r), n) in &groups {
                li { a href=(link(r)) { (r) } ": " (n) " " (kind) (if *n == 1 { "" } else { "s" }) }
            } }
        }
        @if let Some((ok, failing, not_run)) = retried {
            p class=(if failing + not_run > 0 { "msg bad" } else { "msg" }) role="status" {
                "Retried " (ok + failing + not_run) ": " (ok) " went through, " (failing) " failed again, " (not_run) " could not run."
            }
        }
        @if let Some(r) = reason { p class="msg" { "Showing: " (r) " · " a href="/quarantine" { "all reasons" } } }
        @if let (Some(r), true) = (reason, me.operator() && live_in_group > 0) {
            form method="post" action="/quarantine/retry-group" {
                input type="hidden" name="csrf" value=(me.csrf);
                input type="hidden" name="reason" value=(r);
                @if let Some(t) = &tenant { input type="hidden" name="tenant" value=(t.as_str()); }
                p { "Fixed the cause? Retry every open entry of this reason: " button type="submit" { "Retry all " (live_in_group) } }
            }
        }
        @if let Some(q) = needle { p class="msg" { "Entries about " strong { (q) } ": " (shown.len()) " · " a href="/quarantine" { "all entries" } } }
        @if shown.is_empty() { p { (if all { "The quarantine is empty." } else { "No open quarantine entries." }) } } @else {
        div class="scroll" { table {
            thead { tr { th { "Id" } th { "Record" } th { "Status" } th { "Attempts" } th { "Since" } th { "Reason" } } }
            tbody { @for e in &shown { tr {
                td { a href=(format!("/quarantine/{}", e.id)) { (e.id) } }
                td { (e.entry.record.to_string()) }
                td { (e.status.as_str()) }
                td { (e.attempts) }
                td { (ts(e.created_at)) }
                td { (reason_group(e)) }
            } } }
        } } }
    };
    page(&me, StatusCode::OK, "Quarantine", body)
}

/// The reason without the record it names (`invoice:acme:90025: account 200.6999: unknown in
/// JDE` → `account 200.6999: unknown in JDE`), so one cause groups the records it hit.
fn reason_group(e: &QuarantineEntry) -> &str {
    let record = e.entry.record.to_string();
    e.entry
        .reason
        .strip_prefix(record.as_str())
        .and_then(|r| r.strip_prefix(": "))
        .unwrap_or(&e.entry.reason)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DetailQuery {
    #[serde(default)]
    done: Option<String>,
}

fn is_live(e: &QuarantineEntry) -> bool {
    matches!(
        e.status,
        QuarantineStatus::Open | QuarantineStatus::Retrying
    )
}

async fn entry_or_404(
    state: &ServerState,
    me: &SignedIn,
    id: i64,
) -> Result<QuarantineEntry, Response> {
    match state.store.quarantine_get(id).await {
        Ok(e) => Ok(e),
        Err(mlc_store::StoreError::NotFound { .. }) => Err(page(
            me,
            StatusCode::NOT_FOUND,
            "Not found",
            html! { p { "There is no quarantine entry " (id) ". " a href="/quarantine" { "Back to the quarantine" } } },
        )),
        Err(e) => Err(store_error(e)),
    }
}

/// `GET /quarantine/{id}`.
pub(crate) async fn quarantine_detail(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let e = match entry_or_404(&state, &me, id).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let done = match q.done.as_deref() {
        Some("resolved") => Some((
            "ok",
            "Retried: the record went through and the entry is resolved.",
        )),
        Some("still-failing") => Some((
            "bad",
            "Retried: the record failed again; see the reason below.",
        )),
        Some("could-not-run") => Some((
            "bad",
            "The retry could not run (a system was unreachable); the entry is open as before.",
        )),
        Some("discarded") => Some(("ok", "Discarded.")),
        _ => None,
    };
    let r = &e.entry.record;
    let history = format!(
        "/records?tenant={}&kind={}&key={}",
        r.tenant.as_str(),
        r.kind.as_str(),
        url::form_urlencoded::byte_serialize(r.key.as_bytes()).collect::<String>()
    );
    let body = html! {
        @if let Some((class, text)) = done { p class=(format!("msg {class}")) role="status" { (text) } }
        div class="scroll" { table {
            tr { th scope="row" { "Record" } td { (r.to_string()) " · " a href=(history) { "history" } } }
            tr { th scope="row" { "Status" } td { (e.status.as_str()) } }
            tr { th scope="row" { "Reason" } td { (e.entry.reason) " " span class="muted" { "(" (e.entry.reason_kind) ")" } } }
            @if let Some(f) = &e.entry.field { tr { th scope="row" { "Field" } td { code { (f) } } } }
            tr { th scope="row" { "Attempts" } td { (e.attempts) } }
            tr { th scope="row" { "Since" } td { (ts(e.created_at)) } }
            tr { th scope="row" { "Updated" } td { (ts(e.updated_at)) } }
            @if let Some(n) = &e.note { tr { th scope="row" { "Note" } td { (n) } } }
        } }
        @if me.operator() && is_live(&e) {
            h2 { "Actions" }
            form method="post" action=(format!("/quarantine/{}/retry", e.id)) {
                input type="hidden" name="csrf" value=(me.csrf);
                p { "Fix the cause first (e.g. the account in JDE), then: " button type="submit" { "Retry" } }
            }
            form method="post" action=(format!("/quarantine/{}/discard", e.id)) {
                input type="hidden" name="csrf" value=(me.csrf);
                label for="reason" { "Reason for discarding (required)" }
                textarea id="reason" name="reason" rows="2" cols="50" required {}
                p { button class="danger" type="submit" { "Discard" } }
            }
        }
        h2 { "Original payload" }
        pre { (serde_json::to_string_pretty(&e.entry.payload).unwrap_or_default()) }
    };
    page(&me, StatusCode::OK, &format!("Quarantine entry {id}"), body)
}

/// Checks CSRF and role for a quarantine action; `Some` is the refusal.
pub(super) fn refusal(me: &SignedIn, csrf: Option<&str>) -> Option<Response> {
    if !me.csrf_ok(csrf) {
        tracing::warn!(user = %me.user, "Console: refused a POST without a valid CSRF token.");
        return Some(refuse(
            me,
            StatusCode::FORBIDDEN,
            "This form has expired or did not come from the console; reload the page and try again.",
        ));
    }
    if !me.operator() {
        tracing::warn!(user = %me.user, role = %me.role, "Console: refused an action a viewer may not take.");
        return Some(refuse(
            me,
            StatusCode::FORBIDDEN,
            "Your role may look but not change anything; ask an admin for the operator role.",
        ));
    }
    None
}

/// `POST /quarantine/{id}/retry`.
pub(crate) async fn retry(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    Path(id): Path<i64>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    if let Some(r) = refusal(&me, csrf_of(&form, |f| f.csrf.as_deref()).as_deref()) {
        return r;
    }
    let e = match entry_or_404(&state, &me, id).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    if !is_live(&e) {
        return refuse(
            &me,
            StatusCode::CONFLICT,
            &format!(
                "Entry {id} is {}; only open entries can be retried.",
                e.status.as_str()
            ),
        );
    }
    let Some(retrier) = state.console.retrier.clone() else {
        return refuse(
            &me,
            StatusCode::SERVICE_UNAVAILABLE,
            "Retry is not available in this process.",
        );
    };
    // The status change is audited with this note: who asked, and from where.
    let note = format!("retry requested by {} in the console", me.user);
    if let Err(err) = state
        .store
        .quarantine_set_status(id, QuarantineStatus::Retrying, &note)
        .await
    {
        return store_error(err);
    }
    tracing::info!(user = %me.user, entry = id, record = %e.entry.record, "Console: retry.");
    let done = match retrier.retry(e, &me.user).await {
        Ok(RetryOutcome::Resolved) => "resolved",
        Ok(RetryOutcome::StillFailing(_)) => "still-failing",
        Ok(RetryOutcome::CouldNotRun(_)) => "could-not-run",
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), entry = id, "Console: retry failed.");
            let _ = state
                .store
                .quarantine_set_status(
                    id,
                    QuarantineStatus::Open,
                    "retry could not run; see the service log",
                )
                .await;
            "could-not-run"
        }
    };
    harden(Redirect::to(&format!("/quarantine/{id}?done={done}")).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct GroupForm {
    #[serde(default)]
    csrf: Option<String>,
    /// The reason as grouped (without the record it names).
    #[serde(default)]
    reason: String,
    #[serde(default)]
    tenant: Option<String>,
}

/// `POST /quarantine/retry-group`: retries every open entry of one reason (after its cause was
/// fixed), one by one through the same path as a single retry, each audited with the user.
pub(crate) async fn retry_group(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    form: Result<Form<GroupForm>, FormRejection>,
) -> Response {
    if let Some(r) = refusal(&me, csrf_of(&form, |f| f.csrf.as_deref()).as_deref()) {
        return r;
    }
    let Ok(Form(f)) = form else {
        return refuse(&me, StatusCode::BAD_REQUEST, "Say which reason to retry.");
    };
    let group = f.reason.trim();
    if group.is_empty() {
        return refuse(&me, StatusCode::BAD_REQUEST, "Say which reason to retry.");
    }
    let tenant = tenant_param(&state, f.tenant.as_deref());
    let Some(retrier) = state.console.retrier.clone() else {
        return refuse(
            &me,
            StatusCode::SERVICE_UNAVAILABLE,
            "Retry is not available in this process.",
        );
    };
    let entries = match state.store.quarantine_list(tenant.as_ref(), true).await {
        Ok(e) => e,
        Err(e) => return store_error(e),
    };
    let group_entries: Vec<QuarantineEntry> = entries
        .into_iter()
        .filter(|e| is_live(e) && reason_group(e) == group)
        .take(500)
        .collect();
    tracing::info!(user = %me.user, reason = group, entries = group_entries.len(), "Console: group retry.");
    let (mut ok, mut failing, mut not_run) = (0usize, 0usize, 0usize);
    for e in group_entries {
        let id = e.id;
        let note = format!(
            "retry requested by {} in the console (all entries of: {group})",
            me.user
        );
        if let Err(err) = state
            .store
            .quarantine_set_status(id, QuarantineStatus::Retrying, &note)
            .await
        {
            return store_error(err);
        }
        match retrier.retry(e, &me.user).await {
            Ok(RetryOutcome::Resolved) => ok += 1,
            Ok(RetryOutcome::StillFailing(_)) => failing += 1,
            Ok(RetryOutcome::CouldNotRun(_)) => not_run += 1,
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), entry = id, "Console: retry failed.");
                let _ = state
                    .store
                    .quarantine_set_status(
                        id,
                        QuarantineStatus::Open,
                        "retry could not run; see the service log",
                    )
                    .await;
                not_run += 1;
            }
        }
    }
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(t) = &tenant {
        q.append_pair("tenant", t.as_str());
    }
    q.append_pair("reason", group);
    q.append_pair("retried", &format!("{ok}-{failing}-{not_run}"));
    harden(Redirect::to(&format!("/quarantine?{}", q.finish())).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct DiscardForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

/// `POST /quarantine/{id}/discard`.
pub(crate) async fn discard(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    Path(id): Path<i64>,
    form: Result<Form<DiscardForm>, FormRejection>,
) -> Response {
    if let Some(r) = refusal(&me, csrf_of(&form, |f| f.csrf.as_deref()).as_deref()) {
        return r;
    }
    let reason = form
        .as_ref()
        .map(|Form(f)| f.reason.trim())
        .unwrap_or_default();
    if reason.is_empty() {
        return refuse(
            &me,
            StatusCode::BAD_REQUEST,
            "Say why the entry is discarded.",
        );
    }
    let e = match entry_or_404(&state, &me, id).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    if !is_live(&e) {
        return refuse(
            &me,
            StatusCode::CONFLICT,
            &format!("Entry {id} is already {}.", e.status.as_str()),
        );
    }
    let note = format!("discarded by {} in the console: {reason}", me.user);
    if let Err(err) = state
        .store
        .quarantine_set_status(id, QuarantineStatus::Discarded, &note)
        .await
    {
        return store_error(err);
    }
    tracing::info!(user = %me.user, entry = id, record = %e.entry.record, "Console: discard.");
    harden(Redirect::to(&format!("/quarantine/{id}?done=discarded")).into_response())
}

/// `POST /tenants/{id}/pause` and `/resume`: what `ml-connector tenant pause|resume` does.
pub(crate) async fn pause_resume(
    State(state): State<Arc<ServerState>>,
    me: SignedIn,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<DiscardForm>, FormRejection>,
) -> Response {
    if let Some(r) = refusal(&me, csrf_of(&form, |f| f.csrf.as_deref()).as_deref()) {
        return r;
    }
    let Some(tenant) = state.tenant(&id).map(|t| t.id.clone()) else {
        return refuse(&me, StatusCode::NOT_FOUND, "No such tenant.");
    };
    let mut st = match state.store.tenant_state(&tenant).await {
        Ok(s) => s,
        Err(e) => return store_error(e),
    };
    match action.as_str() {
        "pause" => {
            let reason = form
                .as_ref()
                .map(|Form(f)| f.reason.trim())
                .unwrap_or_default();
            if reason.is_empty() {
                return refuse(
                    &me,
                    StatusCode::BAD_REQUEST,
                    "Say why the tenant is paused.",
                );
            }
            st.paused = true;
            st.pause_reason = Some(format!("{reason} (paused by {} in the console)", me.user));
        }
        "resume" => {
            st.paused = false;
            st.pause_reason = None;
            st.consecutive_failures = 0;
            st.next_due = Some(Timestamp::now());
        }
        _ => return refuse(&me, StatusCode::NOT_FOUND, "No such action."),
    }
    if let Err(e) = state.store.set_tenant_state(&tenant, &st).await {
        return store_error(e);
    }
    tracing::info!(user = %me.user, tenant = %tenant, action = %action, "Console: tenant state changed.");
    harden(Redirect::to("/").into_response())
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn jde_stamp_cursors_show_as_local_date_and_time() {
        assert_eq!(
            watermark("126339:055825", "America/Chicago"),
            "2026-12-05 05:58:25 (America/Chicago)"
        );
        assert_eq!(watermark("page-7", "UTC"), "page-7");
    }

    #[test]
    fn reasons_group_without_the_record_they_name() {
        let entry = |key: &str, reason: &str| QuarantineEntry {
            id: 1,
            entry: mlc_store::NewQuarantine {
                record: RecordKey {
                    tenant: TenantId::parse("acme").unwrap(),
                    kind: RecordKind::Invoice,
                    key: key.into(),
                },
                run_id: None,
                reason_kind: "mapping".into(),
                reason: reason.into(),
                field: None,
                payload: serde_json::json!({}),
            },
            status: QuarantineStatus::Open,
            note: None,
            attempts: 1,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        };
        let a = entry(
            "90025",
            "invoice:acme:90025: account 200.6999: unknown in JDE",
        );
        let b = entry(
            "90031",
            "invoice:acme:90031: account 200.6999: unknown in JDE",
        );
        assert_eq!(reason_group(&a), "account 200.6999: unknown in JDE");
        assert_eq!(reason_group(&a), reason_group(&b));
        let c = entry("90031", "supplier 4242 unknown");
        assert_eq!(reason_group(&c), "supplier 4242 unknown");
    }

    #[test]
    fn counts_name_only_what_moved() {
        let c = serde_json::json!({"read": 3, "created": 2, "updated": 0, "quarantined": 1});
        assert_eq!(counts(&c), "3 read, 2 created, 1 quarantined");
    }
}
