//! HTTP side of the AIS simulator: routes under `/jderest/`, token sessions, the data service
//! with next-page result sets, orchestrations, discovery, and the gate every request passes
//! (concurrency cap, latency, fault injection, request log and counters).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use rand::{Rng, RngCore};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::config::{AutoProcess, ErrorShape, ReportService, SimUser};
use super::datagen::Stamp;
use super::query::{self, QueryCtx, Rejection, bad};
use super::report::Job;
use super::table::{self, Cell, TableDef};
use super::{JdeSimState, lock, read, voucher};

/// A token session.
#[derive(Debug)]
pub(crate) struct Session {
    user: String,
    device: String,
    last_used: Instant,
    uses: u64,
}

/// An open next-page result set (a snapshot of the matching rows).
#[derive(Debug)]
pub(crate) struct ResultSet {
    token: String,
    def: &'static TableDef,
    rows: Vec<Box<[Cell]>>,
    proj: Vec<usize>,
    pos: usize,
    page: usize,
    state_id: u64,
    stack_id: u64,
    return_ids: String,
    last_access: Instant,
}

/// One logged request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path (no query string).
    pub path: String,
    /// Status sent; 0 when the connection was dropped on purpose (reset fault).
    pub status: u16,
    /// Table or orchestration the request addressed.
    pub target: Option<String>,
    /// Rows returned by a data service call.
    pub rows: Option<usize>,
    /// Time spent in the simulator, including injected latency.
    pub duration: Duration,
    /// When the request arrived.
    pub at: jiff::Timestamp,
}

/// Counters of one endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointStats {
    /// Requests received.
    pub requests: u64,
    /// Requests answered with a status ≥ 400 (or dropped).
    pub errors: u64,
    /// Rows returned in total.
    pub rows: u64,
    /// Sum of request durations.
    pub total_time: Duration,
    /// Longest request.
    pub max_time: Duration,
}

/// What a handler tells the gate for the log.
#[derive(Debug, Clone)]
struct LogInfo {
    target: Option<String>,
    rows: Option<usize>,
}

/// Builds the router (all AIS routes) over a state.
pub fn router(state: JdeSimState) -> Router {
    Router::new()
        .route("/jderest/v2/tokenrequest", post(token_request))
        .route("/jderest/tokenrequest", post(token_request))
        .route("/jderest/v2/tokenrequest/validate", post(validate))
        .route("/jderest/tokenrequest/validate", post(validate))
        .route("/jderest/v2/tokenrequest/logout", post(logout))
        .route("/jderest/tokenrequest/logout", post(logout))
        .route("/jderest/defaultconfig", get(default_config))
        .route("/jderest/v2/dataservice", post(data_service))
        .route("/jderest/dataservice", post(data_service))
        .route(
            "/jderest/v2/dataservice/next",
            get(next_page).post(next_page),
        )
        .route(
            "/jderest/v3/orchestrator/{name}",
            get(orchestrate).post(orchestrate),
        )
        .route(
            "/jderest/v2/orchestrator/{name}",
            get(orchestrate).post(orchestrate),
        )
        .route(
            "/jderest/orchestrator/{name}",
            get(orchestrate).post(orchestrate),
        )
        .route("/jderest/discover", get(discover))
        .route("/jderest/discover/{name}", get(discover_one))
        .route("/jderest/v2/report/execute", post(report_execute))
        .route("/jderest/v2/report/status", post(report_status))
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        // Simulator administration, not part of AIS: outside the gate (no faults, no log).
        .route("/__sim/workcenter/{user}", get(admin_work_center))
        .route("/__sim/jobs", get(admin_jobs))
        .with_state(state)
}

/// Serves the simulator on a bound listener until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: JdeSimState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

// ---------------------------------------------------------------------------------------------
// Responses

/// AIS-style timestamp, e.g. `2024-05-02T08:41:07.112+0000`.
fn ais_timestamp() -> String {
    let ts = jiff::Timestamp::now();
    format!(
        "{}.{:03}+0000",
        ts.strftime("%Y-%m-%dT%H:%M:%S"),
        ts.subsec_millisecond()
    )
}

fn json_response(status: u16, body: &Value) -> Response {
    let mut resp = Response::new(Body::from(serde_json::to_vec(body).unwrap_or_default()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    resp
}

fn with_info(mut resp: Response, target: Option<String>, rows: Option<usize>) -> Response {
    resp.extensions_mut().insert(LogInfo { target, rows });
    resp
}

/// `ServiceErrorResponse` body (reference §3.2).
fn service_error(status: u16, message: &str) -> Response {
    let exception = match status {
        444 | 403 => "Exception",
        _ => "com.oracle.e1.jdemf.JDERestServiceException",
    };
    json_response(
        status,
        &json!({ "message": message, "exception": exception, "timeStamp": ais_timestamp() }),
    )
}

fn invalid_token() -> Response {
    service_error(444, "Invalid Token")
}

fn rejection(r: Rejection) -> Response {
    service_error(r.status, &r.message)
}

// ---------------------------------------------------------------------------------------------
// The gate

struct InflightGuard(JdeSimState);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.0.inner.inflight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn gate(State(st): State<JdeSimState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let at = jiff::Timestamp::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let (max, latency, faults) = {
        let k = read(&st.inner.knobs);
        (k.max_concurrent, k.latency, k.faults.clone())
    };
    let n = st.inner.inflight.fetch_add(1, Ordering::SeqCst) + 1;
    let guard = InflightGuard(st.clone());
    let resp = if n > max {
        // What an overloaded AIS behind a proxy (OHS/nginx) answers: 503 with a short text page.
        let mut r = Response::new(Body::from(
            "503 Service Unavailable: too many concurrent requests",
        ));
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/plain"),
        );
        r
    } else {
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let (reset, error, slow) = {
            let mut d = lock(&st.inner.dice);
            let mut roll = |p: f64| p > 0.0 && d.random_bool(p.clamp(0.0, 1.0));
            (
                roll(faults.reset_rate),
                roll(faults.error_rate),
                roll(faults.slow_rate),
            )
        };
        if slow {
            tokio::time::sleep(faults.slow_by).await;
        }
        if reset {
            record(&st, method, path, 0, None, started.elapsed(), at);
            drop(guard);
            // Unwinding the connection task drops the socket without writing a response, which
            // is what a client sees when a proxy or AIS resets the connection. resume_unwind
            // skips the panic hook, so nothing is printed.
            std::panic::resume_unwind(Box::new("simulated connection reset"));
        }
        if error {
            service_error(500, "Simulated AIS server failure")
        } else {
            next.run(req).await
        }
    };
    let info = resp.extensions().get::<LogInfo>().cloned();
    record(
        &st,
        method,
        path,
        resp.status().as_u16(),
        info,
        started.elapsed(),
        at,
    );
    drop(guard);
    resp
}

fn record(
    st: &JdeSimState,
    method: String,
    path: String,
    status: u16,
    info: Option<LogInfo>,
    duration: Duration,
    at: jiff::Timestamp,
) {
    let label = path.strip_prefix("/jderest/").unwrap_or(&path).to_owned();
    let (target, rows) = info.map_or((None, None), |i| (i.target, i.rows));
    {
        let mut stats = lock(&st.inner.stats);
        let e = stats.entry(label).or_default();
        e.requests += 1;
        if status >= 400 || status == 0 {
            e.errors += 1;
        }
        e.rows += rows.unwrap_or(0) as u64;
        e.total_time += duration;
        e.max_time = e.max_time.max(duration);
    }
    let cap = read(&st.inner.knobs).log_capacity;
    let mut log = lock(&st.inner.log);
    log.push_back(RequestRecord {
        method,
        path,
        status,
        target,
        rows,
        duration,
        at,
    });
    while log.len() > cap {
        log.pop_front();
    }
}

// ---------------------------------------------------------------------------------------------
// Request helpers

fn peer(req: &Request) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

/// Reads an optional JSON body: a non-empty body must be `application/json` (else 415) and
/// valid JSON (else 400).
async fn json_body(req: Request) -> Result<(Parts, Option<Value>), Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 20)
        .await
        .map_err(|e| service_error(400, &format!("Could not read request body: {e}")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((parts, None));
    }
    let ct = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(service_error(
            415,
            &format!("Unsupported Media Type '{ct}': send application/json"),
        ));
    }
    serde_json::from_slice(&bytes)
        .map(|v| (parts, Some(v)))
        .map_err(|e| service_error(400, &format!("Invalid JSON input: {e}")))
}

fn hdr<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn body_str<'a>(body: Option<&'a Value>, key: &str) -> Option<&'a str> {
    body.and_then(|b| b.get(key))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn basic_credentials(h: &HeaderMap) -> Option<(String, String)> {
    let v = hdr(h, "authorization")?;
    let b64 = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

fn find_user(st: &JdeSimState, username: &str, password: Option<&str>) -> Option<SimUser> {
    let k = read(&st.inner.knobs);
    k.users
        .iter()
        .find(|u| {
            u.username.eq_ignore_ascii_case(username) && password.is_none_or(|p| p == u.password)
        })
        .cloned()
}

/// Who is calling.
struct Caller {
    user: SimUser,
    token: Option<String>,
}

/// Authenticates a service call: a token (header, body or query) bound to its device, or
/// credentials for a stateless call (Basic header or body username/password).
// The error is the finished HTTP answer the handler returns as is; boxing it would only add
// an allocation on the failure path of a test server.
#[allow(clippy::result_large_err)]
fn authenticate(
    st: &JdeSimState,
    parts: &Parts,
    body: Option<&Value>,
    query: &HashMap<String, String>,
    peer: Option<SocketAddr>,
    lenient_device: bool,
) -> Result<Caller, Response> {
    let token = hdr(&parts.headers, "jde-AIS-Auth")
        .or_else(|| body_str(body, "token"))
        .or_else(|| {
            query
                .get("token")
                .or_else(|| query.get("$token"))
                .map(String::as_str)
        })
        .map(str::to_owned);
    let device = hdr(&parts.headers, "jde-AIS-Auth-Device")
        .or_else(|| body_str(body, "deviceName"))
        .or_else(|| query.get("$device").map(String::as_str))
        .map(str::to_owned);
    if let Some(token) = token {
        let (idle, max_uses) = {
            let k = read(&st.inner.knobs);
            (k.token_idle, k.token_max_requests)
        };
        let mut sessions = lock(&st.inner.sessions);
        let Some(s) = sessions.get_mut(&token) else {
            return Err(invalid_token());
        };
        if s.last_used.elapsed() > idle || max_uses.is_some_and(|m| s.uses >= m) {
            sessions.remove(&token);
            return Err(invalid_token());
        }
        let device = device.or_else(|| {
            if lenient_device {
                None
            } else {
                peer.map(|p| p.ip().to_string())
            }
        });
        if device.is_some_and(|d| d != s.device) {
            // A token is bound to its device id; AIS treats a replay from elsewhere as invalid.
            return Err(invalid_token());
        }
        s.uses += 1;
        s.last_used = Instant::now();
        let user = s.user.clone();
        drop(sessions);
        let user = find_user(st, &user, None).ok_or_else(invalid_token)?;
        return Ok(Caller {
            user,
            token: Some(token),
        });
    }
    let creds = basic_credentials(&parts.headers).or_else(|| {
        Some((
            body_str(body, "username")?.to_owned(),
            body_str(body, "password").unwrap_or_default().to_owned(),
        ))
    });
    match creds {
        Some((u, p)) => find_user(st, &u, Some(&p))
            .map(|user| Caller { user, token: None })
            .ok_or_else(|| service_error(403, "Authorization Failure")),
        None => Err(service_error(
            403,
            "Authorization Failure: no token or credentials supplied",
        )),
    }
}

fn query_map(parts: &Parts) -> HashMap<String, String> {
    Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// `dateFormat` code JDE shows for a simpleDateFormat (MDE, DME, EMD, ...).
fn date_format_code(pattern: &str) -> String {
    pattern
        .chars()
        .filter_map(|c| match c {
            'M' => Some('M'),
            'd' => Some('D'),
            'y' => Some('E'),
            _ => None,
        })
        .fold(String::new(), |mut acc, c| {
            if !acc.ends_with(c) {
                acc.push(c);
            }
            acc
        })
}

fn new_token() -> String {
    let mut raw = [0u8; 72];
    rand::rng().fill_bytes(&mut raw);
    // Opaque, ~100 characters, base64 with '/', '+' and '=' like a real AIS token.
    format!(
        "044{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn token_request(State(st): State<JdeSimState>, req: Request) -> Response {
    let peer = peer(&req);
    let (parts, body) = match json_body(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let body = body.as_ref();
    let creds = body_str(body, "username")
        .map(|u| {
            (
                u.to_owned(),
                body_str(body, "password").unwrap_or_default().to_owned(),
            )
        })
        .or_else(|| basic_credentials(&parts.headers));
    let Some(user) = creds.and_then(|(u, p)| find_user(&st, &u, Some(&p))) else {
        return with_info(service_error(403, "Authorization Failure"), None, None);
    };
    let device = body_str(body, "deviceName")
        .or_else(|| hdr(&parts.headers, "jde-AIS-Auth-Device"))
        .map(str::to_owned)
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_else(|| "127.0.0.1".into());
    let environment = body_str(body, "environment")
        .or_else(|| hdr(&parts.headers, "jde-AIS-Auth-Environment"))
        .unwrap_or("JDV920")
        .to_owned();
    let role = body_str(body, "role")
        .or_else(|| hdr(&parts.headers, "jde-AIS-Auth-Role"))
        .unwrap_or("*ALL")
        .to_owned();
    let token = new_token();
    lock(&st.inner.sessions).insert(
        token.clone(),
        Session {
            user: user.username.clone(),
            device,
            last_used: Instant::now(),
            uses: 0,
        },
    );
    let sep = user
        .simple_date_format
        .chars()
        .find(|c| !c.is_ascii_alphabetic())
        .map(String::from)
        .unwrap_or_default();
    let address_number = 2100 + user.username.bytes().map(i64::from).sum::<i64>() % 900;
    let body = json!({
        "username": user.username,
        "environment": environment,
        "role": role,
        "jasserver": "http://jas.sim.local:8080",
        "userInfo": {
            "token": token,
            "langPref": "  ",
            "locale": "en",
            "dateFormat": date_format_code(&user.simple_date_format),
            "dateSeperator": sep,
            "simpleDateFormat": user.simple_date_format,
            "decimalFormat": ".",
            "addressNumber": address_number,
            "alphaName": user.username,
            "appsRelease": "E920",
            "country": " ",
            "timeFormat": "12",
            "username": user.username,
            "longUserId": format!("{}@sim.local", user.username.to_lowercase()),
            "timeZoneOffset": "UTC-06:00",
            "dstRuleKey": "USA",
        },
        "userAuthorized": false,
        "version": null,
        "poStringJSON": null,
        "altPoStringJSON": null,
        "aisSessionCookie": format!("{}!-1022334455!{}", &token[3..20], jiff::Timestamp::now().as_millisecond()),
        "adminAuthorized": false,
    });
    json_response(200, &body)
}

/// Checks a token for validate/jde-validate-session; `touch` extends the idle timer.
fn session_valid(st: &JdeSimState, token: Option<&str>, device: Option<&str>, touch: bool) -> bool {
    let Some(token) = token else { return false };
    let (idle, max_uses) = {
        let k = read(&st.inner.knobs);
        (k.token_idle, k.token_max_requests)
    };
    let mut sessions = lock(&st.inner.sessions);
    let Some(s) = sessions.get_mut(token) else {
        return false;
    };
    if s.last_used.elapsed() > idle || max_uses.is_some_and(|m| s.uses >= m) {
        sessions.remove(token);
        return false;
    }
    if device.is_some_and(|d| d != s.device) {
        return false;
    }
    if touch {
        s.last_used = Instant::now();
    }
    true
}

async fn validate(State(st): State<JdeSimState>, req: Request) -> Response {
    let (parts, body) = match json_body(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let body = body.as_ref();
    let token = body_str(body, "token").or_else(|| hdr(&parts.headers, "jde-AIS-Auth"));
    let device =
        body_str(body, "deviceName").or_else(|| hdr(&parts.headers, "jde-AIS-Auth-Device"));
    let touch = body
        .and_then(|b| b.get("touch"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if session_valid(&st, token, device, touch) {
        json_response(200, &json!({ "isValidSession": true }))
    } else {
        invalid_token()
    }
}

async fn logout(State(st): State<JdeSimState>, req: Request) -> Response {
    let (parts, body) = match json_body(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let token = body_str(body.as_ref(), "token").or_else(|| hdr(&parts.headers, "jde-AIS-Auth"));
    match token.and_then(|t| lock(&st.inner.sessions).remove(t)) {
        Some(_) => json_response(200, &json!({})),
        None => invalid_token(),
    }
}

async fn default_config(State(st): State<JdeSimState>) -> Response {
    let k = st.knobs();
    json_response(
        200,
        &json!({
            "jasHost": "jas.sim.local", "jasPort": "8080", "jasProtocol": "http",
            "defaultEnvironment": "JDV920", "defaultRole": "*ALL",
            "displayEnvironment": true, "displayRole": true, "displayJasServer": false,
            "ssoAllowed": false, "allowSelfSignedSsl": false,
            "sessionTimeout": k.token_idle.as_secs() / 60,
            "aisVersion": st.inner.tools_release, "toolsRelease": st.inner.tools_release,
            "capabilityList": [
                { "name": "grid", "shortDescription": "Grid Actions", "asOfRelease": "9.1.4.4" },
                { "name": "dataServiceAggregation", "shortDescription": "Data service", "asOfRelease": "9.2.0.0" },
                { "name": "dataServiceOrderBy", "shortDescription": "Order by", "asOfRelease": "9.2.0.5" },
                { "name": "dataServiceNextPage", "shortDescription": "Next page links", "asOfRelease": "9.2.1.0" },
                { "name": "orchestrator", "shortDescription": "Orchestrations", "asOfRelease": "9.2.1.0" },
                { "name": "jdeStandardOrchestrationInput", "shortDescription": "JDE Standard input", "asOfRelease": "9.2.1.0" },
            ],
            "requiredCapabilities": "",
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// Data service

fn page_size(body: &Value, cap: Option<usize>) -> Result<usize, Rejection> {
    let requested = match body.get("maxPageSize") {
        None | Some(Value::Null) => 100,
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("No Max") => usize::MAX,
        Some(Value::String(s)) => s
            .trim()
            .parse::<usize>()
            .map_err(|_| bad(format!("Invalid maxPageSize '{s}'")))?,
        Some(Value::Number(n)) => {
            n.as_u64()
                .ok_or_else(|| bad(format!("Invalid maxPageSize {n}")))? as usize
        }
        Some(other) => return Err(bad(format!("Invalid maxPageSize {other}"))),
    };
    Ok(requested.min(cap.unwrap_or(usize::MAX)).max(1))
}

fn base_url(parts: &Parts) -> String {
    let host = hdr(&parts.headers, "host").unwrap_or("127.0.0.1");
    format!("http://{host}/jderest/")
}

fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'|') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Page<'a> {
    def: &'static TableDef,
    rows: &'a [Box<[Cell]>],
    proj: &'a [usize],
    more: bool,
    next: Option<String>,
    stack_id: u64,
    state_id: u64,
    rid: &'a str,
}

fn grid(page: &Page<'_>, pad: bool) -> Value {
    let t = table::Table::new(page.def);
    let rowset: Vec<Value> = page
        .rows
        .iter()
        .map(|r| t.encode(r, page.proj, pad))
        .collect();
    let name = page.def.name;
    let mut out = json!({
        format!("fs_DATABROWSE_{name}"): {
            "title": format!("Data Browser - {name} [{}]", page.def.title),
            "data": { "gridData": {
                "id": 54, "fullGridId": "54",
                "columns": t.column_titles(page.proj),
                "rowset": rowset,
                "summary": { "records": page.rows.len(), "moreRecords": page.more },
            } },
            "errors": [], "warnings": [],
        },
        "stackId": page.stack_id, "stateId": page.state_id, "rid": page.rid,
        "currentApp": format!("DATABROWSE_{name}"), "timeStamp": ais_timestamp(), "sysErrors": [],
    });
    if let Some(href) = &page.next {
        out["links"] = json!([{ "rel": "next", "href": href }]);
    }
    out
}

fn next_href(base: &str, rs: &ResultSet, rid: &str) -> String {
    format!(
        "{base}v2/dataservice/next?stackId={}&stateId={}&rid={rid}&fullGridId=54&formOID={}&token={}&outputType=GRID_DATA&returnControlIDs={}",
        rs.stack_id,
        rs.state_id,
        rs.def.name,
        pct(&rs.token),
        pct(&rs.return_ids)
    )
}

async fn data_service(State(st): State<JdeSimState>, req: Request) -> Response {
    let peer = peer(&req);
    let (parts, body) = match json_body(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(body) = body else {
        return service_error(400, "Invalid JSON input: empty body");
    };
    let caller = match authenticate(&st, &parts, Some(&body), &HashMap::new(), peer, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let target = body
        .get("targetName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match data_request(&st, &caller, &body, &base_url(&parts)) {
        Ok((v, rows)) => with_info(json_response(200, &v), target, Some(rows)),
        Err(r) => with_info(rejection(r), target, None),
    }
}

fn data_request(
    st: &JdeSimState,
    caller: &Caller,
    body: &Value,
    base: &str,
) -> Result<(Value, usize), Rejection> {
    let target = body
        .get("targetName")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("targetName is required"))?;
    match body.get("targetType").and_then(Value::as_str) {
        None | Some("table") => {}
        Some(other) => {
            return Err(bad(format!(
                "targetType '{other}' is not supported by this server (tables only)"
            )));
        }
    }
    let def = *table::ALL
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(target))
        .ok_or_else(|| Rejection {
            status: 500,
            message: format!("Table {target} not found: invalid target name"),
        })?;
    if caller
        .user
        .denied_tables
        .iter()
        .any(|t| t.eq_ignore_ascii_case(def.name))
    {
        return Err(Rejection {
            status: 403,
            message: format!(
                "Authorization Failure: user {} is not authorized to view table {} (row security)",
                caller.user.username, def.name
            ),
        });
    }
    let service = body
        .get("dataServiceType")
        .and_then(Value::as_str)
        .unwrap_or("BROWSE");
    if !matches!(service, "BROWSE" | "COUNT") {
        return Err(bad(format!(
            "dataServiceType '{service}' is not supported by this server (BROWSE, COUNT)"
        )));
    }
    let return_ids = body
        .get("returnControlIDs")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_owned();
    let proj: Vec<usize> = if return_ids.is_empty() {
        (0..def.cols.len()).collect()
    } else {
        return_ids
            .split('|')
            .filter(|s| !s.trim().is_empty())
            .map(|id| query::column(def, id.trim()))
            .collect::<Result<_, _>>()?
    };
    let (cap, expiry, pad, now) = {
        let k = read(&st.inner.knobs);
        (
            k.page_cap,
            k.result_set_expiry,
            k.pad_trailing,
            super::now_in(&k),
        )
    };
    let page = page_size(body, cap)?;
    let ctx = QueryCtx {
        username: &caller.user.username,
        date_format: &caller.user.simple_date_format,
        today: now.date(),
    };
    let expr = query::compile(def, body.get("query"), &ctx)?;
    let order = query::order_by(def, body)?;
    let paging = body
        .get("enableNextPageProcessing")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || body.get("enableNextPageProcessing").and_then(Value::as_str) == Some("true");

    let db = lock(&st.inner.db);
    let t = db.t(def.name);
    let mut hits: Vec<usize> = (0..t.rows.len())
        .filter(|&i| expr.eval(&t.rows[i]))
        .collect();
    if service == "COUNT" {
        return Ok((
            json!({ format!("ds_{}", def.name): { "output": [ { "count": hits.len() } ] } }),
            0,
        ));
    }
    if !order.is_empty() {
        hits.sort_by(|&a, &b| query::compare_rows(def, &order, &t.rows[a], &t.rows[b]));
    }
    let total = hits.len();
    let keep = if paging && caller.token.is_some() {
        total
    } else {
        total.min(page)
    };
    let rows: Vec<Box<[Cell]>> = hits[..keep].iter().map(|&i| t.rows[i].clone()).collect();
    drop(db);

    let first = rows.len().min(page);
    let more = total > first;
    let stack_id = st.inner.next_id.fetch_add(1, Ordering::Relaxed);
    let rid = format!("{:014x}", rand::rng().random::<u64>() & 0xff_ffff_ffff_ffff);
    if more
        && paging
        && let Some(token) = &caller.token
    {
        let rs = ResultSet {
            token: token.clone(),
            def,
            rows: Vec::new(),
            proj: proj.clone(),
            pos: first,
            page,
            state_id: 1,
            stack_id,
            return_ids: return_ids.clone(),
            last_access: Instant::now(),
        };
        let next = Some(next_href(base, &rs, &rid));
        let mut results = lock(&st.inner.results);
        // Drop result sets nobody will fetch any more, so memory stays bounded.
        results.retain(|_, r| r.last_access.elapsed() <= expiry);
        results.insert(rid.clone(), ResultSet { rows, ..rs });
        let rs = &results[&rid];
        let out = grid(
            &Page {
                def,
                rows: &rs.rows[..first],
                proj: &proj,
                more,
                next,
                stack_id,
                state_id: 1,
                rid: &rid,
            },
            pad,
        );
        return Ok((out, first));
    }
    let out = grid(
        &Page {
            def,
            rows: &rows[..first],
            proj: &proj,
            more,
            next: None,
            stack_id,
            state_id: 1,
            rid: &rid,
        },
        pad,
    );
    Ok((out, first))
}

fn expired_result_set() -> Response {
    let text = "JAS_MSG347: The query results expired. Please run the query again.";
    json_response(
        500,
        &json!({ "message": text, "exception": "Exception", "timeStamp": ais_timestamp(),
                 "sysErrors": [ { "TITLE": text, "DESC": text } ] }),
    )
}

async fn next_page(State(st): State<JdeSimState>, req: Request) -> Response {
    let peer = peer(&req);
    let (parts, _) = req.into_parts();
    let q = query_map(&parts);
    // The href carries the token; the device header is checked when sent.
    let caller = match authenticate(&st, &parts, None, &q, peer, true) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(rid) = q.get("rid") else {
        return service_error(400, "rid is required");
    };
    let (expiry, pad) = {
        let k = read(&st.inner.knobs);
        (k.result_set_expiry, k.pad_trailing)
    };
    let mut results = lock(&st.inner.results);
    let Some(rs) = results.get_mut(rid) else {
        return expired_result_set();
    };
    if rs.last_access.elapsed() > expiry {
        results.remove(rid);
        return expired_result_set();
    }
    if caller.token.as_deref() != Some(rs.token.as_str()) {
        return invalid_token();
    }
    let end = (rs.pos + rs.page).min(rs.rows.len());
    let start = rs.pos;
    rs.pos = end;
    rs.state_id += 1;
    rs.last_access = Instant::now();
    let more = end < rs.rows.len();
    let next = more.then(|| next_href(&base_url(&parts), rs, rid));
    let out = grid(
        &Page {
            def: rs.def,
            rows: &rs.rows[start..end],
            proj: &rs.proj,
            more,
            next,
            stack_id: rs.stack_id,
            state_id: rs.state_id,
            rid,
        },
        pad,
    );
    let target = rs.def.name.to_owned();
    if !more {
        results.remove(rid);
    }
    drop(results);
    with_info(json_response(200, &out), Some(target), Some(end - start))
}

// ---------------------------------------------------------------------------------------------
// Orchestrations

async fn orchestrate(
    State(st): State<JdeSimState>,
    Path(name): Path<String>,
    req: Request,
) -> Response {
    let peer = peer(&req);
    let started = jiff::Timestamp::now();
    let (parts, body) = match json_body(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match name.as_str() {
        "jde-validate-session" => {
            let token =
                hdr(&parts.headers, "jde-AIS-Auth").or_else(|| body_str(body.as_ref(), "token"));
            let device = hdr(&parts.headers, "jde-AIS-Auth-Device")
                .or_else(|| body_str(body.as_ref(), "deviceName"));
            return if session_valid(&st, token, device, false) {
                json_response(200, &json!({ "isValidSession": true }))
            } else {
                invalid_token()
            };
        }
        "jde-logout" => {
            let token =
                hdr(&parts.headers, "jde-AIS-Auth").or_else(|| body_str(body.as_ref(), "token"));
            return match token.and_then(|t| lock(&st.inner.sessions).remove(t)) {
                Some(_) => json_response(200, &json!({})),
                None => invalid_token(),
            };
        }
        _ => {}
    }
    if let Some(accept) = hdr(&parts.headers, "accept")
        && !(accept.contains("json") || accept.contains("*/*"))
    {
        return service_error(406, &format!("Not Acceptable: '{accept}'"));
    }
    let (orch, match_orch, shape, auto) = {
        let k = read(&st.inner.knobs);
        (
            k.voucher_orchestration.clone(),
            k.match_orchestration.clone(),
            k.error_shape,
            k.auto_process,
        )
    };
    let is_match = name == match_orch;
    if name != orch && !is_match {
        return with_info(
            service_error(404, &format!("Orchestration {name} not found")),
            Some(name),
            None,
        );
    }
    let caller = match authenticate(&st, &parts, body.as_ref(), &query_map(&parts), peer, false) {
        Ok(c) => c,
        Err(r) => return with_info(r, Some(name), None),
    };
    let _ = caller;
    let body = body.unwrap_or(Value::Object(Default::default()));
    let stamp = Stamp::of(st.now());
    let (inputs, result) = if is_match {
        let named = voucher::parse_named_inputs(&body);
        let result = voucher::insert_match(&mut lock(&st.inner.db), &named, stamp);
        ((named.0, Vec::new()), result)
    } else {
        let inputs = voucher::parse_inputs(&body);
        let result = voucher::insert(&mut lock(&st.inner.db), &inputs, stamp);
        (inputs, result)
    };
    if result.is_ok() && auto == AutoProcess::AfterEachCall {
        if is_match {
            st.process_matches();
        } else {
            st.process_vouchers();
        }
    }
    let ended = jiff::Timestamp::now();
    let fmt = |t: jiff::Timestamp| {
        format!(
            "{}.{:03}+0000",
            t.strftime("%Y-%m-%dT%H:%M:%S"),
            t.subsec_millisecond()
        )
    };
    let secs = format!(
        "{:.3}",
        (ended - started).get_milliseconds() as f64 / 1000.0
    );
    let header = |k: &str| inputs.0.get(k).cloned().unwrap_or_default();
    let resp = match result {
        Ok(rows) => json_response(
            200,
            &json!({
                "EDUS": header("EDUS"), "EDBT": header("EDBT"), "EDTN": header("EDTN"), "rowsInserted": rows,
                "jde__simpleMessage": format!("Voucher transaction {} added to batch {}", header("EDTN"), header("EDBT")),
                "jde__status": "SUCCESS",
                "jde__startTimestamp": fmt(started), "jde__endTimestamp": fmt(ended),
                "jde__serverExecutionSeconds": table::json_number(&secs),
            }),
        ),
        Err(e) => {
            let errors = json!([{ "CODE": e.code, "TITLE": e.title, "ERRORCONTROL": e.control, "DESC": e.desc, "MOBILE": e.desc }]);
            let mut body = json!({
                "message": e.desc, "exception": "com.oracle.e1.rest.orchestrator.OrchestrationException",
                "timeStamp": ais_timestamp(), "userDefinedErrorText": "", "status": "ERROR", "type": "",
                "jde__simpleMessage": e.title, "jde__status": "ERROR",
                "jde__startTimestamp": fmt(started), "jde__endTimestamp": fmt(ended),
                "jde__serverExecutionSeconds": table::json_number(&secs),
                "errors": errors,
            });
            match shape {
                ErrorShape::Http500 => json_response(500, &body),
                ErrorShape::Status200 => {
                    if let Some(o) = body.as_object_mut() {
                        o.remove("exception");
                    }
                    json_response(200, &body)
                }
            }
        }
    };
    with_info(resp, Some(name), None)
}

fn orchestration_descriptor(name: &str, is_match: bool) -> Value {
    let mut inputs: Vec<Value> = [
        ("EDUS", "String"),
        ("EDBT", "String"),
        ("EDTN", "String"),
        ("AN8", "Numeric"),
        ("VINV", "String"),
        ("DIVJ", "Date"),
        ("DGJ", "Date"),
        ("KCO", "String"),
        ("CO", "String"),
        ("CRCD", "String"),
        ("CRRM", "String"),
        ("AG", "Numeric"),
        ("ACR", "Numeric"),
        ("CRR", "Numeric"),
        ("STAM", "Numeric"),
        ("CTAM", "Numeric"),
        ("TXA1", "String"),
        ("EXR1", "String"),
        ("MCU", "String"),
        ("RMK", "String"),
        ("PO", "String"),
        ("PDCT", "String"),
        ("PKCO", "String"),
        ("PST", "String"),
        ("DDJ", "Date"),
        ("PTC", "String"),
        ("ADSC", "Numeric"),
    ]
    .iter()
    .map(|(n, t)| json!({ "name": n, "type": t }))
    .collect();
    let gl = json!({ "name": "GLDistribution", "inputs": [
        { "name": "EDLN", "type": "Numeric" }, { "name": "ANI", "type": "String" },
        { "name": "AA", "type": "Numeric" }, { "name": "ACR", "type": "Numeric" },
        { "name": "EXA", "type": "String" }, { "name": "MCU", "type": "String" } ] });
    let outputs = json!([ { "name": "EDUS" }, { "name": "EDBT" }, { "name": "EDTN" }, { "name": "rowsInserted" } ]);
    if !is_match {
        return json!({
            "name": name,
            "description": "Add an A/P voucher to the batch voucher tables (F0411Z1/F0911Z1) for R04110ZA",
            "inputFormat": "JDE Standard",
            "omwObjectName": "ORC_2403010001JDE",
            "version": "v3",
            "inputs": inputs,
            "detailInputs": [ gl ],
            "outputs": outputs,
        });
    }
    inputs.push(json!({ "name": "ATRL", "type": "String" }));
    json!({
        "name": name,
        "description": "Add a PO-backed voucher for Voucher Match Automation (F0411Z1/F0411Z1T/F0911Z1) for R4304010",
        "inputFormat": "JDE Standard",
        "omwObjectName": "ORC_2403010002JDE",
        "version": "v3",
        "inputs": inputs,
        "detailInputs": [ { "name": "MatchLines", "inputs": [
            { "name": "EDLN", "type": "Numeric" }, { "name": "KCOO", "type": "String" },
            { "name": "DCTO", "type": "String" }, { "name": "DOCO", "type": "Numeric" },
            { "name": "LNID", "type": "Numeric" }, { "name": "UORG", "type": "Numeric" },
            { "name": "UOM", "type": "String" }, { "name": "PRRC", "type": "Numeric" },
            { "name": "AEXP", "type": "Numeric" } ] }, gl ],
        "outputs": outputs,
    })
}

async fn discover(State(st): State<JdeSimState>, req: Request) -> Response {
    let peer = peer(&req);
    let (parts, _) = req.into_parts();
    if let Err(r) = authenticate(&st, &parts, None, &query_map(&parts), peer, false) {
        return r;
    }
    let k = st.knobs();
    json_response(
        200,
        &json!({ "orchestrations": [
            orchestration_descriptor(&k.voucher_orchestration, false),
            orchestration_descriptor(&k.match_orchestration, true),
        ] }),
    )
}

async fn discover_one(
    State(st): State<JdeSimState>,
    Path(name): Path<String>,
    req: Request,
) -> Response {
    let peer = peer(&req);
    let (parts, _) = req.into_parts();
    if let Err(r) = authenticate(&st, &parts, None, &query_map(&parts), peer, false) {
        return r;
    }
    let k = st.knobs();
    if name != k.voucher_orchestration && name != k.match_orchestration {
        return service_error(404, &format!("Orchestration {name} not found"));
    }
    json_response(
        200,
        &orchestration_descriptor(&name, name == k.match_orchestration),
    )
}

// ---------------------------------------------------------------------------------------------
// Report service (batch jobs)

/// What an older Tools release without the report service answers: the servlet's plain 404.
fn no_report_service() -> Response {
    let mut r = Response::new(Body::from("Not Found"));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    r
}

/// The job body `execute` and `status` answer with.
fn job_body(job: &Job) -> Value {
    let date = |d: jiff::civil::DateTime| format!("{:04}{:02}{:02}", d.year(), d.month(), d.day());
    let time =
        |d: jiff::civil::DateTime| format!("{:02}{:02}{:02}", d.hour(), d.minute(), d.second());
    json!({
        "reportName": job.report,
        "reportVersion": job.version,
        "jobNumber": job.number,
        "jobStatus": job.status.code(),
        "executionServer": "ENTSIM01",
        "objectType": "UBE",
        "queueName": "QBATCH",
        "user": job.user,
        "environment": "JDV920",
        "submitDate": date(job.submitted_at),
        "submitTime": time(job.submitted_at),
        "lastDate": date(job.last_at),
        "lastTime": time(job.last_at),
        "oid": format!("{}_{}_{}_PDF", job.report, job.version, job.number),
    })
}

/// Checks the service knob and the caller for both report routes.
#[allow(clippy::result_large_err)]
async fn report_caller(
    st: &JdeSimState,
    req: Request,
) -> Result<(Caller, Option<Value>), Response> {
    let peer = peer(&req);
    let service = read(&st.inner.knobs).report_service;
    if service == ReportService::Missing {
        return Err(no_report_service());
    }
    let (parts, body) = json_body(req).await?;
    let caller = authenticate(st, &parts, body.as_ref(), &query_map(&parts), peer, false)?;
    if service == ReportService::Refused {
        return Err(service_error(
            403,
            &format!(
                "Authorization Failure: user {} is not authorized to submit or view batch jobs",
                caller.user.username
            ),
        ));
    }
    Ok((caller, body))
}

async fn report_execute(State(st): State<JdeSimState>, req: Request) -> Response {
    let (caller, body) = match report_caller(&st, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let name = body_str(body.as_ref(), "reportName").map(str::to_owned);
    let target = name.clone();
    let Some(name) = name else {
        return with_info(service_error(400, "reportName is required"), None, None);
    };
    let Some(version) = body_str(body.as_ref(), "reportVersion").map(str::to_owned) else {
        return with_info(
            service_error(400, "reportVersion is required"),
            target,
            None,
        );
    };
    let number = match st.launch_report(&name, &version, &caller.user.username) {
        Ok(n) => n,
        Err(e) => return with_info(service_error(500, &e.to_string()), target, None),
    };
    // Without "async": true the call waits for the job (bounded, as AIS times out too).
    let fire_and_forget = body
        .as_ref()
        .and_then(|b| b.get("async"))
        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
    if !fire_and_forget {
        let wait = read(&st.inner.knobs)
            .report_runtime
            .min(Duration::from_secs(30));
        let until = Instant::now() + wait + Duration::from_millis(20);
        while Instant::now() < until {
            if st.job(number).is_some_and(|j| j.status.ended()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    match st.job(number) {
        Some(job) => with_info(json_response(200, &job_body(&job)), target, None),
        None => with_info(service_error(500, "Job vanished"), target, None),
    }
}

async fn report_status(State(st): State<JdeSimState>, req: Request) -> Response {
    let (_, body) = match report_caller(&st, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let number = body
        .as_ref()
        .and_then(|b| b.get("jobNumber"))
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        });
    let Some(number) = number else {
        return service_error(400, "jobNumber (integer) is required");
    };
    match st.job(number) {
        Some(job) => with_info(
            json_response(200, &job_body(&job)),
            Some(job.report.clone()),
            None,
        ),
        None => service_error(500, &format!("Job number {number} was not found")),
    }
}

// ---------------------------------------------------------------------------------------------
// Simulator administration (not AIS)

async fn admin_work_center(State(st): State<JdeSimState>, Path(user): Path<String>) -> Response {
    let messages: Vec<Value> = st
        .work_center(&user)
        .iter()
        .map(|m| {
            json!({ "jobNumber": m.job_number, "edbt": m.edbt, "edtn": m.edtn,
                    "message": m.message, "at": m.at.to_string() })
        })
        .collect();
    json_response(200, &json!({ "user": user, "messages": messages }))
}

async fn admin_jobs(State(st): State<JdeSimState>) -> Response {
    let jobs: Vec<Value> = st
        .report_jobs()
        .iter()
        .map(|j| {
            json!({ "jobNumber": j.job_number, "reportName": j.report, "reportVersion": j.version,
                    "user": j.user, "jobStatus": j.status.code(),
                    "created": j.processed.as_ref().map(|p| p.created.len()),
                    "rejected": j.processed.as_ref().map(|p| p.rejected.len()) })
        })
        .collect();
    json_response(200, &json!({ "jobs": jobs }))
}
