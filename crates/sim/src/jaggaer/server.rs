//! Routes, the gate (request log, latency, rate limit, bearer tokens, faults) and the handlers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::Bound;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use rand::Rng;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::config::JaggaerPaths;
use super::cxml::{self, DtdCheck};
use super::data::{self, Cond, Data, Op, app_error, envelope, parse_flt};
use super::{JaggaerSimState, RequestRecord, bump_app_error, invoices, lock, read, store_po};

/// Checks that the mount paths can be routed.
pub(crate) fn check_paths(p: &JaggaerPaths) -> Result<(), String> {
    for path in [
        &p.token,
        &p.invoices,
        &p.suppliers,
        &p.purchase_orders,
        &p.custom_field_values,
        &p.cxml_orders,
    ] {
        if path == super::xml::SUPPLIER_ACTION || path == super::xml::PO_ACTION {
            return Err(format!("path `{path}` is taken by an XML Router action"));
        }
        if !path.starts_with('/') || path.len() < 2 || path.ends_with('/') {
            return Err(format!(
                "path `{path}` must start with / and not end with /"
            ));
        }
    }
    if !p.custom_field_values.contains("{field}") {
        return Err(format!(
            "custom_field_values path `{}` must contain {{field}}",
            p.custom_field_values
        ));
    }
    Ok(())
}

/// The simulator's router (paths from the state's [`JaggaerPaths`]).
pub fn router(state: JaggaerSimState) -> Router {
    let p = state.inner.paths.clone();
    Router::new()
        .route(&p.token, post(token))
        .route(&p.invoices, get(list_invoices))
        .route(
            &format!("{}/{{invoice_id}}", p.invoices),
            get(invoice_detail),
        )
        .route(&p.suppliers, get(list_suppliers).post(upsert_supplier))
        .route(&p.purchase_orders, get(list_pos).post(upsert_po))
        .route(&p.custom_field_values, get(list_values).post(upsert_values))
        .route(&p.cxml_orders, post(cxml_order))
        .route(
            super::xml::SUPPLIER_ACTION,
            post(super::xml::supplier_import),
        )
        .route(super::xml::PO_ACTION, post(super::xml::po_import))
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// Serves the simulator on a bound listener until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: JaggaerSimState,
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

fn json_response(status: u16, body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn ok(body: &Value) -> Response {
    json_response(200, body)
}

fn unauthorized() -> Response {
    // What J1P's gateway sends for a missing/expired token: 401 without a body guarantee and
    // without WWW-Authenticate.
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    r
}

fn xml_response(status: u16, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=UTF-8"),
    );
    r
}

// ---------------------------------------------------------------------------------------------
// The gate

fn endpoint_name(p: &JaggaerPaths, method: &Method, matched: Option<&str>) -> &'static str {
    let Some(m) = matched else {
        return "unmatched";
    };
    let get = method == Method::GET;
    if m == p.token {
        "token"
    } else if m == p.invoices {
        "invoices.list"
    } else if m.starts_with(p.invoices.as_str()) && m.ends_with("{invoice_id}") {
        "invoices.detail"
    } else if m == p.suppliers {
        if get {
            "suppliers.list"
        } else {
            "suppliers.upsert"
        }
    } else if m == p.purchase_orders {
        if get {
            "purchase_orders.list"
        } else {
            "purchase_orders.upsert"
        }
    } else if m == p.custom_field_values {
        if get {
            "custom_field_values.list"
        } else {
            "custom_field_values.upsert"
        }
    } else if m == p.cxml_orders {
        "cxml.order"
    } else if m == super::xml::SUPPLIER_ACTION {
        "xml.suppliers"
    } else if m == super::xml::PO_ACTION {
        "xml.purchase_orders"
    } else {
        "unmatched"
    }
}

/// Takes one token from the bucket, or says how long until one is there.
fn take_token(st: &JaggaerSimState, rate: u32) -> Result<(), Duration> {
    let mut b = lock(&st.inner.bucket);
    let now = Instant::now();
    let rate = f64::from(rate.max(1));
    let elapsed = now.duration_since(b.last).as_secs_f64();
    b.tokens = (b.tokens + elapsed * rate).min(rate);
    b.last = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        Ok(())
    } else {
        Err(Duration::from_secs_f64((1.0 - b.tokens) / rate))
    }
}

fn too_many(wait: Duration, http_date: bool) -> Response {
    // Whole seconds, at least 1: a client that waits the header's value always finds a token.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let value = if http_date {
        let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(secs as i64 + 1);
        // IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
        at.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
    } else {
        secs.to_string()
    };
    let mut r = json_response(
        429,
        &json!({"returnCode": 429, "returnMessage": "Too many requests"}),
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn bearer_ok(st: &JaggaerSimState, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
    else {
        return false;
    };
    let mut tokens = lock(&st.inner.tokens);
    match tokens.get(token) {
        Some((_, exp)) if *exp > Instant::now() => true,
        Some(_) => {
            tokens.remove(token);
            false
        }
        None => false,
    }
}

async fn gate(State(st): State<JaggaerSimState>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let at = jiff::Timestamp::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let endpoint = endpoint_name(&st.inner.paths, &method, matched.as_deref());
    let knobs = read(&st.inner.knobs).clone();
    let rec = |status: u16| RequestRecord {
        at,
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        status,
        duration: started.elapsed(),
        endpoint: endpoint.to_owned(),
    };
    if !knobs.latency.is_zero() {
        tokio::time::sleep(knobs.latency).await;
    }
    if let Some(rate) = knobs.rate_limit
        && let Err(wait) = take_token(&st, rate)
    {
        let resp = too_many(wait, knobs.retry_after_http_date);
        record(&st, rec(429), knobs.log_capacity);
        return resp;
    }
    let j1p_api = !matches!(
        endpoint,
        "token" | "cxml.order" | "xml.suppliers" | "xml.purchase_orders" | "unmatched"
    );
    if j1p_api && !bearer_ok(&st, req.headers()) {
        record(&st, rec(401), knobs.log_capacity);
        return unauthorized();
    }
    let f = &knobs.faults;
    let (reset, error, slow, app_err) = {
        let mut d = lock(&st.inner.dice);
        let mut roll = |p: f64| p > 0.0 && d.random_bool(p.clamp(0.0, 1.0));
        (
            roll(f.reset_rate),
            roll(f.error_rate),
            roll(f.slow_rate),
            j1p_api && roll(f.app_error_rate),
        )
    };
    if slow {
        tokio::time::sleep(f.slow_by).await;
    }
    if reset {
        record(&st, rec(0), knobs.log_capacity);
        // Unwinding the connection task drops the socket without a response: what a client
        // sees when a load balancer resets the connection. resume_unwind skips the panic hook.
        std::panic::resume_unwind(Box::new("simulated connection reset"));
    }
    let resp = if error {
        json_response(
            503,
            &json!({"returnCode": 503, "returnMessage": "Service temporarily unavailable"}),
        )
    } else if app_err {
        ok(&bump_app_error(&st))
    } else {
        next.run(req).await
    };
    record(&st, rec(resp.status().as_u16()), knobs.log_capacity);
    resp
}

fn record(st: &JaggaerSimState, r: RequestRecord, capacity: usize) {
    {
        let mut s = lock(&st.inner.stats);
        s.total += 1;
        let e = s.endpoints.entry(r.endpoint.clone()).or_default();
        e.requests += 1;
        if r.status == 0 || r.status >= 400 {
            e.errors += 1;
        }
        if r.status == 429 {
            e.rate_limited += 1;
            s.rate_limited += 1;
        }
    }
    let mut log = lock(&st.inner.log);
    log.push_back(r);
    while log.len() > capacity {
        log.pop_front();
    }
}

// ---------------------------------------------------------------------------------------------
// Token endpoint

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        // Both digits are < 16, so the byte fits.
                        out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(p), String::new()),
        })
        .collect()
}

fn basic_credentials(h: &HeaderMap) -> Option<(String, String)> {
    let v = h.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

async fn token(State(st): State<JaggaerSimState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&body);
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return json_response(
            400,
            &json!({"error": "unsupported_grant_type",
                    "error_description": "Only client_credentials is supported"}),
        );
    }
    // client_secret_post (what JAGGAER's known clients use), or client_secret_basic.
    let creds = match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => Some((id.clone(), secret.clone())),
        _ => basic_credentials(&headers),
    };
    let knobs = read(&st.inner.knobs).clone();
    let valid = creds.as_ref().is_some_and(|(id, secret)| {
        knobs
            .clients
            .iter()
            .any(|c| &c.id == id && &c.secret == secret)
    });
    let Some((client_id, _)) = creds.filter(|_| valid) else {
        return json_response(
            401,
            &json!({"error": "invalid_client", "error_description": "Invalid client credentials"}),
        );
    };
    let token = format!("sim.{}", uuid::Uuid::new_v4().simple());
    let lifetime = knobs.token_lifetime;
    {
        let mut tokens = lock(&st.inner.tokens);
        let now = Instant::now();
        if tokens.len() >= 1024 {
            // Clients that never reuse a token must not grow the map without bound.
            tokens.retain(|_, (_, exp)| *exp > now);
        }
        tokens.insert(token.clone(), (client_id, now + lifetime));
    }
    ok(&json!({
        "access_token": token,
        "expires_in": lifetime.as_secs(),
        "refresh_expires_in": 0,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "scope": "profile email",
    }))
}

// ---------------------------------------------------------------------------------------------
// Lists

struct ListQuery {
    start: usize,
    conds: Vec<Cond>,
}

fn list_query(query: Option<&str>) -> Result<ListQuery, Value> {
    let q = parse_form(query.unwrap_or_default().as_bytes());
    let start = match q.get("start").map(|s| s.trim()) {
        None | Some("") => 1,
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| {
                app_error(
                    json!(400),
                    format!("start: `{s}` is not a positive integer"),
                )
            })?
            .max(1),
    };
    let conds = match q.get("flt") {
        Some(f) => parse_flt(f).map_err(|e| app_error(json!(400), format!("flt: {e}")))?,
        None => Vec::new(),
    };
    Ok(ListQuery { start, conds })
}

/// Pages `items` (already filtered, in list order) with a 1-based `start`.
fn page<T: Clone>(items: &[T], start: usize, size: usize) -> Vec<T> {
    items.iter().skip(start - 1).take(size).cloned().collect()
}

fn page_size(st: &JaggaerSimState) -> usize {
    read(&st.inner.knobs).page_size.max(1)
}

async fn list_suppliers(State(st): State<JaggaerSimState>, req: Request) -> Response {
    let q = match list_query(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return ok(&e),
    };
    let size = page_size(&st);
    let d = lock(&st.inner.data);
    let all: Vec<&Value> = d
        .suppliers
        .values()
        .filter(|s| {
            q.conds
                .iter()
                .all(|c| data::cond_matches(&supplier_alias(c), s))
        })
        .collect();
    let items: Vec<Value> = page(&all, q.start, size)
        .into_iter()
        .map(|s| json!({"returnCompanyInfo": s}))
        .collect();
    ok(&envelope(
        all.len(),
        q.start,
        "returnCompanyData",
        Value::Array(items),
    ))
}

/// J1P's upper-case aliases of company-profile fields (`BRAVOID`, `LASTMODTIME`, `TYPE`).
fn supplier_alias(c: &Cond) -> Cond {
    let mut c = c.clone();
    if c.field.eq_ignore_ascii_case("LASTMODTIME") {
        c.field = "lastModTime".into();
    }
    c
}

async fn list_pos(State(st): State<JaggaerSimState>, req: Request) -> Response {
    let q = match list_query(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return ok(&e),
    };
    let size = page_size(&st);
    let d = lock(&st.inner.data);
    // Conditions look at the header first (poNumber, status, ...), then the record (poId).
    let all: Vec<&Value> = d
        .pos
        .values()
        .filter(|po| {
            q.conds.iter().all(|c| {
                if data::lookup(&po["header"], &c.field).is_some() {
                    data::cond_matches(c, &po["header"])
                } else {
                    data::cond_matches(c, po)
                }
            })
        })
        .collect();
    let items = page(&all, q.start, size);
    ok(&envelope(
        all.len(),
        q.start,
        "purchaseOrderList",
        json!({ "purchaseOrder": items }),
    ))
}

async fn list_values(
    State(st): State<JaggaerSimState>,
    Path(field): Path<String>,
    req: Request,
) -> Response {
    let q = match list_query(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return ok(&e),
    };
    let size = page_size(&st);
    let d = lock(&st.inner.data);
    let all: Vec<&Value> = d
        .values
        .get(&field)
        .map(|m| {
            m.values()
                .filter(|v| q.conds.iter().all(|c| data::cond_matches(c, v)))
                .collect()
        })
        .unwrap_or_default();
    let items = page(&all, q.start, size);
    ok(&envelope(
        all.len(),
        q.start,
        "customFieldValueList",
        json!({ "customFieldValue": items }),
    ))
}

/// Splits invoice conditions on `lastUpdate` (compared on the index's milliseconds) from the
/// rest (compared on the header).
/// `lastUpdate` conditions as (operator, instants in ms).
type TimeConds = Vec<(Op, Vec<i64>)>;

fn time_conds(conds: &[Cond]) -> Result<(TimeConds, Vec<&Cond>), Value> {
    let mut time = Vec::new();
    let mut rest = Vec::new();
    for c in conds {
        if c.field.eq_ignore_ascii_case("lastUpdate") {
            let ms = c
                .values
                .iter()
                .map(|v| {
                    v.parse::<jiff::Timestamp>()
                        .map(|t| t.as_millisecond())
                        .map_err(|e| {
                            app_error(
                                json!(400),
                                format!(
                                    "flt: lastUpdate value `{v}` is not an ISO 8601 timestamp: {e}"
                                ),
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            time.push((c.op, ms));
        } else {
            rest.push(c);
        }
    }
    Ok((time, rest))
}

fn invoice_page(d: &Data, q: &ListQuery, size: usize) -> Result<(usize, Vec<Value>), Value> {
    let (time, rest) = time_conds(&q.conds)?;
    // The common incremental read (`lastUpdate>=T`) starts the index scan at T.
    let lower = time
        .iter()
        .filter(|(op, _)| matches!(op, Op::Ge | Op::Gt | Op::Eq))
        .filter_map(|(_, v)| v.first().copied())
        .max()
        .map_or(Bound::Unbounded, |ms| Bound::Included((ms, i64::MIN)));
    let mut total = 0usize;
    let mut out = Vec::new();
    for (ms, id) in d.invoice_index.range((lower, Bound::Unbounded)) {
        let time_ok = time
            .iter()
            .all(|(op, vals)| vals.iter().any(|v| data::op_holds(*op, ms.cmp(v))));
        if !time_ok {
            continue;
        }
        let Some(rec) = d.invoices.get(id) else {
            continue;
        };
        if !rest
            .iter()
            .all(|c| data::cond_matches(c, &rec.doc["header"]))
        {
            continue;
        }
        total += 1;
        if total >= q.start && out.len() < size {
            out.push(json!({"header": rec.doc["header"]}));
        }
    }
    Ok((total, out))
}

async fn list_invoices(State(st): State<JaggaerSimState>, req: Request) -> Response {
    let q = match list_query(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return ok(&e),
    };
    let size = page_size(&st);
    let d = lock(&st.inner.data);
    match invoice_page(&d, &q, size) {
        Ok((total, items)) => ok(&envelope(
            total,
            q.start,
            "jiinvoiceList",
            json!({ "jiinvoice": items }),
        )),
        Err(e) => ok(&e),
    }
}

async fn invoice_detail(State(st): State<JaggaerSimState>, Path(id): Path<String>) -> Response {
    let not_found = || {
        json_response(
            404,
            &json!({"returnCode": 404, "returnMessage": format!("Invoice {id} not found")}),
        )
    };
    let Ok(n) = id.parse::<i64>() else {
        return not_found();
    };
    match st.invoice_json(n) {
        Some(doc) => ok(&doc),
        None => not_found(),
    }
}

// ---------------------------------------------------------------------------------------------
// Upserts

fn json_body(body: &Bytes) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(json_response(
            400,
            &json!({"returnCode": 400, "returnMessage": format!("request body is not JSON: {e}")}),
        ))
    })
}

async fn upsert_supplier(State(st): State<JaggaerSimState>, body: Bytes) -> Response {
    match json_body(&body) {
        Ok(v) => ok(&st.upsert_supplier(&v)),
        Err(r) => *r,
    }
}

async fn upsert_po(State(st): State<JaggaerSimState>, body: Bytes) -> Response {
    match json_body(&body) {
        Ok(v) => ok(&st.upsert_po(&v)),
        Err(r) => *r,
    }
}

async fn upsert_values(
    State(st): State<JaggaerSimState>,
    Path(field): Path<String>,
    body: Bytes,
) -> Response {
    match json_body(&body) {
        Ok(v) => ok(&st.upsert_values(&field, &v)),
        Err(r) => *r,
    }
}

// ---------------------------------------------------------------------------------------------
// cXML inbox

fn cxml_reply(status: u16, text: &str, detail: &str) -> Response {
    let payload = format!("{}@jaggaer-sim", uuid::Uuid::new_v4().simple());
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    xml_response(status, cxml::response(status, text, detail, &payload, &now))
}

async fn cxml_order(State(st): State<JaggaerSimState>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return cxml_reply(400, "Bad Request", "the body is not UTF-8 text");
    };
    let root = match cxml::parse(text) {
        Ok(r) => r,
        Err(e) => return cxml_reply(400, "Bad Request", &e),
    };
    let order = match cxml::order(&root) {
        Ok(o) => o,
        Err(e) => return cxml_reply(400, "Bad Request", &e),
    };
    let knobs = read(&st.inner.knobs).clone();
    let secret_ok = order.shared_secret.as_deref() == Some(knobs.cxml_shared_secret.as_str());
    let identity_ok = knobs.cxml_sender_identity.as_ref().is_none_or(|want| {
        order
            .sender_identities
            .iter()
            .any(|i| i.eq_ignore_ascii_case(want))
    });
    if !secret_ok || !identity_ok {
        return cxml_reply(401, "Unauthorized", "Sender credential not recognised");
    }
    let dtd = cxml::validate_dtd(text, knobs.cxml_dtd.as_deref()).await;
    if let DtdCheck::Invalid(why) = &dtd {
        return cxml_reply(400, "Bad Request", &format!("DTD validation failed: {why}"));
    }
    let (status, title, detail) = apply_order(&st, order, &dtd, &knobs);
    cxml_reply(status, title, &detail)
}

fn apply_order(
    st: &JaggaerSimState,
    o: cxml::Order,
    dtd: &DtdCheck,
    knobs: &super::JaggaerKnobs,
) -> (u16, &'static str, String) {
    let mut d = lock(&st.inner.data);
    if let Some(i) = d.cxml_by_payload.get(&o.payload_id).copied() {
        // A resend of a document already applied: acknowledge, do not apply twice.
        d.cxml[i].resends += 1;
        return (200, "OK", "Already received".into());
    }
    let existing = d.po_by_number.get(&o.order_id).copied();
    match (o.kind.as_str(), existing) {
        ("new", Some(id)) if d.pos[&id]["header"]["status"] != "Cancelled" => {
            return (
                409,
                "Conflict",
                format!("Order {} already exists (poId {id})", o.order_id),
            );
        }
        ("update" | "delete", None) => {
            return (
                417,
                "Expectation Failed",
                format!("Order {} is unknown", o.order_id),
            );
        }
        _ => {}
    }
    // The supplier: a To identity or a supplier Extrinsic that is a known extCode.
    let candidates: Vec<&String> = o
        .supplier_extrinsic
        .iter()
        .chain(&o.to_identities)
        .collect();
    let bravo = candidates
        .iter()
        .find_map(|c| d.supplier_by_ext.get(c.as_str()).copied());
    let ext = match bravo {
        Some(b) => d.suppliers[&b]["extCode"].clone(),
        None => json!(candidates.first().map(|s| s.as_str()).unwrap_or_default()),
    };
    let mut supplier = json!({"extCode": ext});
    if let Some(b) = bravo {
        supplier["bravoId"] = json!(b);
    }
    let status = if o.kind == "delete" {
        "Cancelled"
    } else {
        "Open"
    };
    let header = json!({
        "poNumber": o.order_id,
        "supplier": supplier,
        "orderDate": o.order_date.get(..10).unwrap_or(&o.order_date),
        "currency": o.currency,
        "total": {"currency": o.currency, "value": data::num(o.total)},
        "status": status,
        "transport": "cxml",
    });
    let now = d.stamp();
    let (po_id, created) = store_po(&mut d, &o.order_id, header, json!({"poLine": o.lines}));
    if created || o.kind == "new" {
        let doc = d.pos[&po_id].clone();
        invoices::invoice_for_po(
            &mut d,
            &doc,
            knobs.invoice_on_po,
            knobs.pending_rate,
            &knobs.po_invoices,
            now,
        );
    }
    let idx = d.cxml.len();
    d.cxml.push(super::data::CxmlRec {
        payload_id: o.payload_id.clone(),
        order_id: o.order_id.clone(),
        kind: o.kind.clone(),
        dtd: match dtd {
            DtdCheck::Valid => "valid".into(),
            other => other.label(),
        },
        po_id,
        received_ms: now,
        resends: 0,
    });
    d.cxml_by_payload.insert(o.payload_id, idx);
    (
        200,
        "OK",
        format!("Order {} accepted (poId {po_id})", o.order_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_handles_escapes() {
        let f = parse_form(b"grant_type=client_credentials&client_id=a%2Bb&client_secret=x+y%");
        assert_eq!(f["client_id"], "a+b");
        assert_eq!(f["client_secret"], "x y%");
    }

    #[test]
    fn default_paths_route() {
        assert!(check_paths(&JaggaerPaths::default()).is_ok());
        let p = JaggaerPaths {
            custom_field_values: "/x/values".into(),
            ..JaggaerPaths::default()
        };
        assert!(check_paths(&p).is_err());
    }
}
