//! J1P client behaviour against wiremock: tokens, 401 recovery, 429 pacing, retries, paging,
//! application errors, money, proxy, no secret leaks.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use mlc_jaggaer::{J1pClient, J1pSettings, JaggaerError, JaggaerId, RetryPolicy};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "/auth/realms/J1p-integrations/protocol/openid-connect/token";
const INVOICES: &str = "/j1p/api/public/ji/v1/invoices";
const SUPPLIERS: &str = "/j1p/api/public/ja/v1/companyprofiles";

fn settings(server: &MockServer) -> J1pSettings {
    let mut s = J1pSettings::new(
        server.uri().parse().unwrap(),
        "mlc-client",
        SecretString::from("very-secret-value"),
    );
    s.max_in_flight = 128;
    s.timeout = Duration::from_secs(5);
    s.retry = RetryPolicy {
        max_retries: 3,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        max_rate_limit_wait: Duration::from_secs(60),
    };
    s
}

/// Token endpoint answering `t1`, `t2`, ... with the given lifetime.
struct Tokens {
    n: AtomicUsize,
    expires_in: u64,
}

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.n.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("t{n}"), "expires_in": self.expires_in,
            "refresh_expires_in": 0, "token_type": "Bearer", "not-before-policy": 0, "scope": "profile"
        }))
    }
}

async fn mount_tokens(server: &MockServer, expires_in: u64) {
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(Tokens {
            n: AtomicUsize::new(0),
            expires_in,
        })
        .mount(server)
        .await;
}

fn token_requests(reqs: &[Request]) -> usize {
    reqs.iter().filter(|r| r.url.path() == TOKEN).count()
}

fn supplier_page() -> serde_json::Value {
    json!({"returnCode": 0, "returnMessage": "OK", "totRecords": 1, "returnedRecords": 1, "startAt": 1,
        "returnCompanyData": [{"returnCompanyInfo": {"bravoId": 11, "extCode": "4001", "companyName": "Acme", "status": "ACTIVE"}}]})
}

#[tokio::test]
async fn token_form_post_and_renewal_before_expiry() {
    let server = MockServer::start().await;
    mount_tokens(&server, 1).await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(supplier_page()))
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    c.find_supplier("4001").await.unwrap().unwrap();
    c.find_supplier("4001").await.unwrap().unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(token_requests(&reqs), 1, "token is cached");
    let body = String::from_utf8(reqs[0].body.clone()).unwrap();
    assert!(body.contains("grant_type=client_credentials"), "{body}");
    assert!(body.contains("client_id=mlc-client"));
    assert!(body.contains("client_secret=very-secret-value"));
    // Renewed at 80 % of expires_in (0.8 s), before the server would reject it.
    tokio::time::sleep(Duration::from_millis(850)).await;
    c.find_supplier("4001").await.unwrap().unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(token_requests(&reqs), 2);
    let last = reqs.last().unwrap();
    assert_eq!(last.headers.get("authorization").unwrap(), "Bearer t2");
    assert_eq!(c.stats().token_requests, 2);
}

#[tokio::test]
async fn rejected_client_is_typed_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": "Invalid client secret"}),
        ))
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    let err = c.authenticate().await.unwrap_err();
    match &err {
        JaggaerError::ClientRejected { status, error, .. } => {
            assert_eq!((*status, error.as_str()), (401, "invalid_client"))
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains("very-secret-value"));
    assert_eq!(
        token_requests(&server.received_requests().await.unwrap()),
        1
    );
}

#[tokio::test]
async fn a_401_renews_the_token_once_then_succeeds() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .and(header("authorization", "Bearer t1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .and(header("authorization", "Bearer t2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(supplier_page()))
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    let p = c.find_supplier("4001").await.unwrap().unwrap();
    assert_eq!(p.bravo_id, JaggaerId("11".into()));
    assert_eq!(
        token_requests(&server.received_requests().await.unwrap()),
        2
    );
}

#[tokio::test]
async fn a_401_twice_is_unauthorized() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .respond_with(ResponseTemplate::new(401).set_body_string("revoked"))
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    let err = c.find_supplier("4001").await.unwrap_err();
    assert!(matches!(err, JaggaerError::Unauthorized { .. }), "{err:?}");
    assert_eq!(
        token_requests(&server.received_requests().await.unwrap()),
        2
    );
}

#[tokio::test]
async fn hundred_concurrent_401s_cause_one_token_request() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .and(header("authorization", "Bearer t1"))
        .respond_with(ResponseTemplate::new(401).set_delay(Duration::from_millis(50)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .and(header("authorization", "Bearer t2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(supplier_page()))
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    c.authenticate().await.unwrap(); // t1, about to be revoked
    let calls = (0..100).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.find_supplier("4001").await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap().unwrap();
    }
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(token_requests(&reqs), 2, "one initial token + ONE renewal");
}

/// Answers 429 (with the given Retry-After) to the first request, 200 afterwards; records when
/// each request arrived.
struct RateLimitOnce {
    n: AtomicUsize,
    retry_after: Box<dyn Fn() -> String + Send + Sync>,
    seen: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for RateLimitOnce {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.seen.lock().unwrap().push(Instant::now());
        if self.n.fetch_add(1, Ordering::SeqCst) == 0 {
            ResponseTemplate::new(429).insert_header("Retry-After", (self.retry_after)().as_str())
        } else {
            ResponseTemplate::new(200).set_body_json(supplier_page())
        }
    }
}

async fn rate_limit_case(retry_after: Box<dyn Fn() -> String + Send + Sync>, min_wait: Duration) {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .respond_with(RateLimitOnce {
            n: AtomicUsize::new(0),
            retry_after,
            seen: seen.clone(),
        })
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    c.authenticate().await.unwrap();
    let first = {
        let c = c.clone();
        tokio::spawn(async move { c.find_supplier("4001").await })
    };
    // A second, independent call started while the first is paused must wait too.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = c.find_supplier("4001").await;
    first.await.unwrap().unwrap().unwrap();
    second.unwrap().unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for later in &seen[1..] {
        assert!(
            *later - seen[0] >= min_wait,
            "request sent {:?} after the 429, before Retry-After passed",
            *later - seen[0]
        );
    }
    let stats = c.stats();
    assert_eq!(stats.rate_limited, 1);
    assert!(stats.concurrency_limit < 128, "AIMD halved on 429");
}

#[tokio::test]
async fn retry_after_seconds_pauses_every_request() {
    rate_limit_case(Box::new(|| "1".into()), Duration::from_millis(1000)).await;
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    // HTTP dates have 1 s resolution: "now + 2 s" is at least 1 s away.
    rate_limit_case(
        Box::new(|| httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2))),
        Duration::from_millis(1000),
    )
    .await;
}

/// Answers 429 with `Retry-After: 0` to the first `storm` requests, 200 afterwards.
struct RateLimitStorm {
    n: AtomicUsize,
    storm: usize,
}

impl Respond for RateLimitStorm {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.n.fetch_add(1, Ordering::SeqCst) < self.storm {
            ResponseTemplate::new(429).insert_header("Retry-After", "0")
        } else {
            ResponseTemplate::new(200).set_body_json(supplier_page())
        }
    }
}

async fn storm_server(storm: usize) -> MockServer {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .respond_with(RateLimitStorm {
            n: AtomicUsize::new(0),
            storm,
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_429_storm_longer_than_the_retry_budget_slows_the_call_down_instead_of_failing_it() {
    // Ten 429s in a row against a budget of 3 retries: the call still completes.
    let server = storm_server(10).await;
    let c = J1pClient::new(settings(&server)).unwrap();
    c.find_supplier("4001").await.unwrap().unwrap();
    let stats = c.stats();
    assert_eq!(stats.rate_limited, 10);
    assert_eq!(
        stats.requests.get("suppliers").copied(),
        Some(11),
        "{stats:?}"
    );
}

#[tokio::test]
async fn only_max_rate_limit_wait_ends_a_rate_limited_call() {
    let server = storm_server(usize::MAX).await;
    let mut s = settings(&server);
    // Each `Retry-After: 0` is waited out as `min_delay` (10 ms): never a busy loop.
    s.retry.max_rate_limit_wait = Duration::from_millis(45);
    let c = J1pClient::new(s).unwrap();
    let err = c.find_supplier("4001").await.unwrap_err();
    assert!(matches!(err, JaggaerError::RateLimited { .. }), "{err:?}");
    assert_eq!(
        c.stats().rate_limited,
        5,
        "45 ms of 10 ms pauses: the 5th ends it"
    );
}

#[tokio::test]
async fn a_503_is_retried_then_ok() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(supplier_page()))
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    assert!(c.find_supplier("4001").await.unwrap().is_some());
    assert_eq!(c.stats().retries, 2);
    assert_eq!(c.stats().requests["suppliers"], 3);
}

#[tokio::test]
async fn a_5xx_that_persists_fails_after_the_budget() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    let err = c.find_supplier("4001").await.unwrap_err();
    match &err {
        JaggaerError::Http { status, body, .. } => {
            assert_eq!((*status, body.as_str()), (500, "boom"))
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_transient());
    assert_eq!(c.stats().requests["suppliers"], 4, "1 + 3 retries");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for status in [400u16, 403, 404, 409] {
        let server = MockServer::start().await;
        mount_tokens(&server, 300).await;
        Mock::given(method("GET"))
            .and(path(SUPPLIERS))
            .respond_with(ResponseTemplate::new(status).set_body_string("nope"))
            .mount(&server)
            .await;
        let c = J1pClient::new(settings(&server)).unwrap();
        let err = c.find_supplier("4001").await.unwrap_err();
        assert_eq!(err.http_status(), Some(status), "{err:?}");
        assert!(!err.is_transient());
        assert_eq!(c.stats().requests["suppliers"], 1, "HTTP {status} retried");
    }
}

#[tokio::test]
async fn return_code_409_as_string_is_an_application_error() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    Mock::given(method("POST"))
        .and(path(SUPPLIERS))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"returnCode": "409", "returnMessage": "Duplicate extCode"})),
        )
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    let up = mlc_jaggaer::SupplierUpsert {
        ext_code: "4001".into(),
        company_name: "Acme".into(),
        fiscal_code: None,
        company_type: "SELLER".into(),
        iso_country: Some("US".into()),
        address: None,
        city: None,
        zip: None,
        email: None,
        status: mlc_jaggaer::SupplierStatus::Active,
    };
    match c.upsert_supplier(&up).await.unwrap_err() {
        JaggaerError::Application { code, message } => {
            assert_eq!(
                (code.as_str(), message.as_str()),
                ("409", "Duplicate extCode")
            )
        }
        other => panic!("{other:?}"),
    }
    let reqs = server.received_requests().await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&reqs.last().unwrap().body).unwrap();
    assert_eq!(body["operationCode"], "CREATEUPDATE");
    assert_eq!(body["companyInfo"]["extCode"], "4001");
    assert_eq!(body["companyInfo"]["status"], "ACTIVE");
}

fn invoice_page(start: u64, n: u64, total: u64) -> serde_json::Value {
    let items: Vec<_> = (start..start + n)
        .map(|i| json!({"header": {"invoiceId": i, "lastUpdate": "2026-11-20T10:00:00.123Z", "total": {"currency": "USD", "value": 0.1}}}))
        .collect();
    json!({"returnCode": 0, "returnMessage": "OK", "totRecords": total, "returnedRecords": n, "startAt": start,
        "jiinvoiceList": {"jiinvoice": items}})
}

#[tokio::test]
async fn paging_follows_start_and_stops_at_tot_records() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    for (start, n) in [(1u64, 2u64), (3, 2), (5, 1)] {
        Mock::given(method("GET"))
            .and(path(INVOICES))
            .and(query_param("start", start.to_string()))
            .and(query_param("flt", "lastUpdate>=2026-11-20T10:00:00.000Z"))
            .respond_with(ResponseTemplate::new(200).set_body_json(invoice_page(start, n, 5)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = J1pClient::new(settings(&server)).unwrap();
    let since: jiff::Timestamp = "2026-11-20T10:00:00Z".parse().unwrap();
    let pages: Vec<_> = c.list_invoices(Some(since)).try_collect().await.unwrap();
    let ids: Vec<String> = pages
        .iter()
        .flatten()
        .map(|h| h.invoice_id.0.clone())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    assert_eq!(pages.len(), 3, "no request past totRecords");
}

#[tokio::test]
async fn invoice_detail_money_is_exact() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    let body = r#"{"header": {"invoiceId": 42, "invoiceType": "Credit Memo", "taxCharge1": 0.1, "taxCharge2": "0.2",
        "discountAmount": 1234567890123.4567, "total": {"currency": "USD", "value": 0.30},
        "supplier": {"id": 11, "name": "Acme", "supplierNumber": 4001},
        "customFieldValueSetList": {"customFieldValueSet": [{"name": "Account", "customFieldValueList": {"customFieldValue": [{"value": "200.6110"}]}}]}},
      "lineList": {"invoiceLine": [{"lineId": 7, "lineNumber": 1, "quantity": 3, "unitPrice": 0.1, "poNumber": "00200-OP-1", "poLineNumber": 1,
        "customFieldValueSetList": {"customFieldValueSet": [{"name": "CostCenter", "customFieldValueList": {"customFieldValue": [{"value": "200"}]}}]}}]}}"#;
    Mock::given(method("GET"))
        .and(path(format!("{INVOICES}/42")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    let inv = c.get_invoice(&JaggaerId("42".into())).await.unwrap();
    let h = &inv.header;
    assert_eq!(
        h.tax_charge1 + h.tax_charge2,
        h.total.as_ref().unwrap().value
    );
    assert_eq!(h.discount_amount.to_string(), "1234567890123.4567");
    assert!(h.is_credit_memo());
    assert_eq!(h.custom_field("Account"), Some("200.6110"));
    assert_eq!(
        h.supplier.as_ref().unwrap().supplier_number.as_deref(),
        Some("4001")
    );
    let l = &inv.lines()[0];
    assert_eq!(l.amount().unwrap().to_string(), "0.3");
    assert_eq!(l.custom_field("CostCenter"), Some("200"));
    assert_eq!(
        l.custom_field("Account"),
        None,
        "callers fall back to the header"
    );
    assert_eq!(l.po_line_number.as_deref(), Some("1"));
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    Mock::given(method("GET"))
        .and(path(format!("{INVOICES}/9")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"header": {"invoiceId": 9}, "lineList": {"invoiceLine": [{"unitPrice": "abc"}]}}),
        ))
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    match c.get_invoice(&JaggaerId("9".into())).await.unwrap_err() {
        JaggaerError::Decode { path, .. } => assert_eq!(path, "lineList.invoiceLine[0].unitPrice"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn custom_field_values_are_posted_in_batches_of_500() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    let p = "/j1p/api/public/jc/v1/customfields/Account/values";
    Mock::given(method("POST"))
        .and(path(p))
        .respond_with(|r: &Request| {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            let n = v["customFieldValueList"]["customFieldValue"]
                .as_array()
                .unwrap()
                .len();
            ResponseTemplate::new(200).set_body_json(json!({"returnCode": 0, "upserted": n}))
        })
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    let values: Vec<_> = (0..1201)
        .map(|i| mlc_jaggaer::CustomFieldValue {
            value: format!("200.{i}"),
            description: None,
            active: true,
        })
        .collect();
    assert_eq!(
        c.upsert_custom_field_values("Account", &values)
            .await
            .unwrap(),
        1201
    );
    assert_eq!(c.stats().requests["custom_field_values"], 3);
}

#[tokio::test]
async fn proxy_from_settings_is_used() {
    // A wiremock acting as a plain HTTP proxy: requests for http:// URLs arrive at it with the
    // absolute target URL, and the proxy credentials as Proxy-Authorization.
    let proxy = MockServer::start().await;
    mount_tokens(&proxy, 300).await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(supplier_page()))
        .mount(&proxy)
        .await;
    let mut s = settings(&proxy);
    s.base_url = "http://j1p.invalid.example".parse().unwrap();
    let mut purl: url::Url = proxy.uri().parse().unwrap();
    purl.set_username("proxyuser").unwrap();
    purl.set_password(Some("p%40ss")).unwrap();
    s.proxy = Some(purl);
    let c = J1pClient::new(s).unwrap();
    assert!(c.find_supplier("4001").await.unwrap().is_some());
    let reqs = proxy.received_requests().await.unwrap();
    let api = reqs.iter().find(|r| r.url.path() == SUPPLIERS).unwrap();
    use base64_check::expected_basic;
    assert_eq!(
        api.headers.get("proxy-authorization").unwrap(),
        expected_basic("proxyuser", "p@ss").as_str()
    );
}

mod base64_check {
    /// `Basic base64(user:pass)` without pulling a base64 crate into the tests.
    pub(super) fn expected_basic(user: &str, pass: &str) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let input = format!("{user}:{pass}");
        let b = input.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = (chunk[0] as u32) << 16
                | (*chunk.get(1).unwrap_or(&0) as u32) << 8
                | *chunk.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        format!("Basic {out}")
    }
}

#[tokio::test]
async fn debug_never_shows_secret_or_token() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    let s = settings(&server);
    assert!(!format!("{s:?}").contains("very-secret-value"));
    let c = J1pClient::new(s).unwrap();
    c.authenticate().await.unwrap();
    let d = format!("{c:?}");
    assert!(!d.contains("very-secret-value"), "{d}");
    assert!(!d.contains("t1"), "{d}");
    assert!(d.contains("mlc-client"));
}

#[test]
fn bad_ca_pem_is_a_config_error() {
    let mut s = J1pSettings::new(
        "https://j1p.example".parse().unwrap(),
        "id",
        SecretString::from("x"),
    );
    s.ca_cert_pem = Some("not a pem".into());
    assert!(matches!(J1pClient::new(s), Err(JaggaerError::Config(_))));
}
