//! Edge behaviour of the AIS client against wiremock: sessions, retries, paging, error shapes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::TryStreamExt;
use jiff::civil::date;
use mlc_jde::{
    AisClient, AisSettings, Asc, Condition, F0101Row, JdeError, Op, Query, RetryPolicy,
    VoucherInput, VoucherLineInput,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PASSWORD: &str = "pw-Sup3r-Secret";

fn settings(server: &MockServer) -> AisSettings {
    let mut s = AisSettings::new(
        url::Url::parse(&format!("{}/jderest/v2/", server.uri())).unwrap(),
        "APUSER",
        SecretString::from(PASSWORD),
    );
    s.device_name = "mlc-test".into();
    s.max_in_flight = 4;
    s.timeout = Duration::from_secs(2);
    s.retry = RetryPolicy {
        max_attempts: 4,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_millis(50),
    };
    s
}

fn token_body(token: &str, fmt: &str) -> Value {
    json!({ "username": "APUSER", "environment": "JDV920", "role": "*ALL",
            "userInfo": { "token": token, "simpleDateFormat": fmt, "dateFormat": "MDE",
                          "appsRelease": "E920", "addressNumber": 2111 } })
}

/// Hands out tokens T1, T2, ... and counts logins.
struct Tokens(Arc<AtomicU64>, &'static str);
impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(token_body(&format!("T{n}"), self.1))
    }
}

async fn mount_login(server: &MockServer, fmt: &'static str) -> Arc<AtomicU64> {
    let n = Arc::new(AtomicU64::new(0));
    Mock::given(method("POST"))
        .and(path("/jderest/v2/tokenrequest"))
        .respond_with(Tokens(n.clone(), fmt))
        .mount(server)
        .await;
    n
}

fn f0101_page(an8s: &[i64], next: Option<String>) -> Value {
    let rows: Vec<Value> = an8s
        .iter()
        .map(|a| json!({ "F0101_AN8": a, "F0101_ALPH": format!("Supplier {a}          "),
                         "F0101_TAX": "", "F0101_AT1": "V  ", "F0101_UPMJ": "20260301", "F0101_UPMT": 101500 }))
        .collect();
    let mut v = json!({ "fs_DATABROWSE_F0101": { "data": { "gridData": {
        "rowset": rows, "summary": { "records": an8s.len(), "moreRecords": next.is_some() } } },
        "errors": [], "warnings": [] }, "sysErrors": [] });
    if let Some(href) = next {
        v["links"] = json!([{ "rel": "next", "href": href }]);
    }
    v
}

fn body_json(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

#[tokio::test]
async fn login_then_browse_sends_auth_headers_and_decodes() {
    let server = MockServer::start().await;
    let logins = mount_login(&server, "MM/dd/yyyy").await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .and(header("jde-AIS-Auth", "T1"))
        .and(header("jde-AIS-Auth-Device", "mlc-test"))
        .and(header("content-type", "application/json"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(f0101_page(&[1, 2], None)))
        .expect(1)
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    let rows: Vec<F0101Row> = c.fetch_all(Query::new("F0101")).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].alph, "Supplier 1");
    assert_eq!(rows[0].at1, "V");
    assert_eq!(logins.load(Ordering::SeqCst), 1);
    let reqs = server.received_requests().await.unwrap();
    let login = body_json(&reqs[0]);
    assert_eq!(login["username"], "APUSER");
    assert_eq!(login["deviceName"], "mlc-test");
    let info = c.session_info().await.unwrap();
    assert_eq!(info.simple_date_format, "MM/dd/yyyy");
    // Neither the password nor the token show in Debug.
    let d = format!("{c:?} {info:?}");
    assert!(!d.contains(PASSWORD) && !d.contains("\"T1\""), "{d}");
    assert_eq!(c.stats().requests["dataservice"], 1);
}

#[tokio::test]
async fn concurrent_444s_cause_exactly_one_relogin() {
    let server = MockServer::start().await;
    let logins = mount_login(&server, "MM/dd/yyyy").await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .and(header("jde-AIS-Auth", "T1"))
        .respond_with(
            ResponseTemplate::new(444)
                .set_body_json(json!({"message": "Invalid Token", "exception": "Exception"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .and(header("jde-AIS-Auth", "T2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(f0101_page(&[7], None)))
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    c.login().await.unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.fetch_all::<F0101Row>(Query::new("F0101")).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap()[0].an8, 7);
    }
    assert_eq!(
        logins.load(Ordering::SeqCst),
        2,
        "one login + one single-flight re-login"
    );
    assert_eq!(c.stats().relogins, 1);
}

#[tokio::test]
async fn a_444_after_a_fresh_login_is_not_looped() {
    let server = MockServer::start().await;
    let logins = mount_login(&server, "MM/dd/yyyy").await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .respond_with(ResponseTemplate::new(444).set_body_json(json!({"message": "Invalid Token"})))
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    let e = c
        .fetch_all::<F0101Row>(Query::new("F0101"))
        .await
        .unwrap_err();
    assert!(matches!(e, JdeError::SessionRejected { .. }), "{e:?}");
    // Bounded: the first login and three fresh ones (a storm that uses tokens up faster than
    // one retry can is survived; a server refusing every token is not retried forever).
    assert_eq!(logins.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn rejected_login_is_never_retried_and_blocks_later_calls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/tokenrequest"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"message": "Authorization Failure"})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    for _ in 0..3 {
        let e = c
            .fetch_all::<F0101Row>(Query::new("F0101"))
            .await
            .unwrap_err();
        match &e {
            JdeError::LoginRejected {
                status, message, ..
            } => {
                assert_eq!(*status, 403);
                assert!(message.contains("Authorization Failure"));
            }
            other => panic!("{other:?}"),
        }
        assert!(e.is_auth() && !e.is_transient());
        assert!(!e.to_string().contains(PASSWORD));
    }
    // Concurrent callers also fail fast.
    let (a, b) = tokio::join!(c.login(), c.login());
    assert!(a.is_err() && b.is_err());
    assert_eq!(c.stats().requests["tokenrequest"], 1);
    c.reset_login_block();
    assert!(c.login().await.is_err());
    assert_eq!(c.stats().requests["tokenrequest"], 2);
}

#[tokio::test]
async fn transient_503_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    mount_login(&server, "MM/dd/yyyy").await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "0")
                .set_body_string("503 Service Unavailable: too many concurrent requests"),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .respond_with(ResponseTemplate::new(200).set_body_json(f0101_page(&[3], None)))
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    let rows = c.fetch_all::<F0101Row>(Query::new("F0101")).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(c.stats().retries, 2);
}

#[tokio::test]
async fn persistent_5xx_gives_up_after_the_policy() {
    let server = MockServer::start().await;
    mount_login(&server, "MM/dd/yyyy").await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .expect(4)
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    let e = c
        .fetch_all::<F0101Row>(Query::new("F0101"))
        .await
        .unwrap_err();
    assert!(matches!(e, JdeError::Remote { status: 502, .. }), "{e:?}");
    assert!(e.to_string().contains("Bad Gateway"));
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for status in [400u16, 403, 415] {
        let server = MockServer::start().await;
        mount_login(&server, "MM/dd/yyyy").await;
        Mock::given(method("POST"))
            .and(path("/jderest/v2/dataservice"))
            .respond_with(ResponseTemplate::new(status).set_body_json(
                json!({"message": "Invalid JSON input", "exception": "com.oracle.X"}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let c = AisClient::new(settings(&server)).unwrap();
        let e = c
            .fetch_all::<F0101Row>(Query::new("F0101"))
            .await
            .unwrap_err();
        match e {
            JdeError::Remote {
                status: s,
                message,
                exception,
                ..
            } => {
                assert_eq!(s, status);
                assert_eq!(message, "Invalid JSON input");
                assert_eq!(exception.as_deref(), Some("com.oracle.X"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.stats().retries, 0);
    }
}

#[tokio::test]
async fn malformed_and_empty_bodies_are_typed_errors() {
    for (body, want_path) in [
        ("", "$"),
        ("<html>oops</html>", "$"),
        ("{}", "fs_DATABROWSE_F0101"),
        (
            r#"{"fs_DATABROWSE_F0101": {"data": {"gridData": {"rowset": 5}}}}"#,
            "fs_DATABROWSE_F0101.data.gridData.rowset",
        ),
        (
            r#"{"fs_DATABROWSE_F0101": {"data": {"gridData": {"rowset": [1]}}}}"#,
            "fs_DATABROWSE_F0101.data.gridData.rowset[0]",
        ),
    ] {
        let server = MockServer::start().await;
        mount_login(&server, "MM/dd/yyyy").await;
        Mock::given(method("POST"))
            .and(path("/jderest/v2/dataservice"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let c = AisClient::new(settings(&server)).unwrap();
        match c.fetch_all::<F0101Row>(Query::new("F0101")).await {
            Err(JdeError::Malformed { path, .. }) => assert_eq!(path, want_path, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    // A bad cell names table, row and field.
    let server = MockServer::start().await;
    mount_login(&server, "MM/dd/yyyy").await;
    let mut page = f0101_page(&[1, 2], None);
    page["fs_DATABROWSE_F0101"]["data"]["gridData"]["rowset"][1]["F0101_UPMJ"] =
        json!("2026-03-01");
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    match c.fetch_all::<F0101Row>(Query::new("F0101")).await {
        Err(JdeError::Decode {
            table, row, field, ..
        }) => {
            assert_eq!((table, row, field.as_str()), ("F0101", 1, "F0101_UPMJ"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn date_literals_use_the_users_format() {
    let server = MockServer::start().await;
    mount_login(&server, "dd/MM/yyyy").await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .and(|r: &Request| {
            body_json(r).pointer("/query/condition/0/value/0/content") == Some(&json!("07/03/2026"))
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(f0101_page(&[1], None)))
        .expect(1)
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    let q =
        Query::new("F0101").condition(Condition::new("UPMJ", Op::GreaterEqual, date(2026, 3, 7)));
    assert_eq!(c.fetch_all::<F0101Row>(q).await.unwrap().len(), 1);
}

#[tokio::test]
async fn pages_stream_and_expired_next_restarts_by_keyset() {
    let server = MockServer::start().await;
    mount_login(&server, "MM/dd/yyyy").await;
    let next = |rid: &str| {
        format!("http://ais.internal:9999/jderest/v2/dataservice/next?rid={rid}&token=T1")
    };
    // First request: page 1 with a link (naming the server's internal host); the keyset
    // restart (AN8 > 4) gets the last page.
    struct Data(String);
    impl Respond for Data {
        fn respond(&self, r: &Request) -> ResponseTemplate {
            let b = body_json(r);
            match b.get("query") {
                None => ResponseTemplate::new(200)
                    .set_body_json(f0101_page(&[1, 2], Some(self.0.clone()))),
                Some(q)
                    if q.pointer("/condition/0/operator") == Some(&json!("GREATER"))
                        && q.pointer("/condition/0/value/0/content") == Some(&json!("4")) =>
                {
                    ResponseTemplate::new(200).set_body_json(f0101_page(&[5], None))
                }
                Some(_) => ResponseTemplate::new(418),
            }
        }
    }
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .respond_with(Data(next("a")))
        .expect(2)
        .mount(&server)
        .await;
    // Page 2 via the link (re-rooted on our base URL).
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice/next"))
        .and(|r: &Request| r.url.query() == Some("rid=a&token=T1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(f0101_page(&[3, 4], Some(next("b")))),
        )
        .expect(1)
        .mount(&server)
        .await;
    // Page 3: result set expired.
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice/next"))
        .and(|r: &Request| r.url.query() == Some("rid=b&token=T1"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"sysErrors": [
            {"TITLE": "JAS_MSG347: The query results expired.", "DESC": "JAS_MSG347"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    let q = Query::new("F0101").order_by("AN8", Asc).page_size(2);
    let pages: Vec<Vec<F0101Row>> = match c.browse::<F0101Row>(q).try_collect().await {
        Ok(p) => p,
        Err(e) => {
            for r in server.received_requests().await.unwrap().iter().take(6) {
                eprintln!("{} {}", r.url, String::from_utf8_lossy(&r.body));
            }
            panic!("{e:?}");
        }
    };
    let an8s: Vec<Vec<i64>> = pages
        .iter()
        .map(|p| p.iter().map(|r| r.an8).collect())
        .collect();
    assert_eq!(an8s, vec![vec![1, 2], vec![3, 4], vec![5]]);
    assert_eq!(c.stats().page_restarts, 1);
}

#[tokio::test]
async fn missing_links_fall_back_to_keyset_paging() {
    let server = MockServer::start().await;
    mount_login(&server, "MM/dd/yyyy").await;
    let mut first = f0101_page(&[1, 2], None);
    first["fs_DATABROWSE_F0101"]["data"]["gridData"]["summary"]["moreRecords"] = json!(true);
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .and(|r: &Request| body_json(r).pointer("/query/condition/0").is_none())
        .respond_with(ResponseTemplate::new(200).set_body_json(first.clone()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .and(|r: &Request| {
            body_json(r).pointer("/query/condition/0/value/0/content") == Some(&json!("2"))
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(f0101_page(&[3], None)))
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    let rows = c
        .fetch_all::<F0101Row>(Query::new("F0101").order_by("AN8", Asc))
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.an8).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // Without a sort key there is no safe way on: a typed error, not a silent truncation.
    let e = c
        .fetch_all::<F0101Row>(Query::new("F0101"))
        .await
        .unwrap_err();
    assert!(matches!(e, JdeError::Paging { .. }), "{e:?}");
}

fn voucher() -> VoucherInput {
    VoucherInput {
        edus: "MLCONN".into(),
        edbt: "1042".into(),
        edtn: "INV-1".into(),
        an8: 4242,
        vinv: "A-1001".into(),
        divj: date(2026, 11, 20),
        dgj: date(2026, 11, 20),
        kco: "00200".into(),
        co: None,
        crcd: "USD".into(),
        crrm: "D".into(),
        ag: "100.00".parse().unwrap(),
        acr: None,
        crr: None,
        stam: None,
        ctam: None,
        txa1: None,
        exr1: None,
        mcu: None,
        rmk: None,
        pst: None,
        ddj: None,
        ptc: None,
        adsc: None,
        po: None,
        lines: vec![VoucherLineInput {
            edln: 1,
            ani: "200.6110".into(),
            aa: Some("100.00".parse().unwrap()),
            acr: None,
            exa: "Widgets".into(),
            mcu: None,
        }],
    }
}

#[tokio::test]
async fn orchestration_failure_shapes_keep_jde_words() {
    let server = MockServer::start().await;
    mount_login(&server, "MM/dd/yyyy").await;
    Mock::given(method("POST"))
        .and(path("/jderest/v3/orchestrator/ORCH_200"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jde__status": "ERROR", "message": "Address Number Invalid",
            "errors": [{"CODE": "0002", "TITLE": "Address Number Invalid", "ERRORCONTROL": "AN8", "DESC": "4242 not found"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jderest/v3/orchestrator/ORCH_500"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "message": "Invalid Business Unit", "exception": "com.oracle.OrchestrationException",
            "status": "ERROR", "jde__status": "ERROR", "jde__simpleMessage": "Invalid Business Unit"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jderest/v3/orchestrator/ORCH_OK"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jde__status": "SUCCESS", "EDUS": "MLCONN", "EDBT": "1042", "EDTN": "INV-1", "rowsInserted": 2})))
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    match c.add_voucher("ORCH_200", &voucher()).await {
        Err(JdeError::Orchestration {
            message, errors, ..
        }) => {
            assert_eq!(message, "Address Number Invalid");
            assert_eq!(errors[0].code, "0002");
            assert_eq!(errors[0].control, "AN8");
        }
        other => panic!("{other:?}"),
    }
    match c.add_voucher("ORCH_500", &voucher()).await {
        Err(e @ JdeError::Remote { .. }) => {
            assert!(!e.is_transient());
            assert_eq!(e.kind(), "business");
            assert!(e.to_string().contains("Invalid Business Unit"));
        }
        other => panic!("{other:?}"),
    }
    let ok = c.add_voucher("ORCH_OK", &voucher()).await.unwrap();
    assert_eq!((ok.edtn.as_str(), ok.rows_inserted), ("INV-1", Some(2)));
    let reqs = server.received_requests().await.unwrap();
    let sent = body_json(
        reqs.iter()
            .rev()
            .find(|r| r.url.path().ends_with("ORCH_OK"))
            .unwrap(),
    );
    assert_eq!(sent["detailInputs"][0]["name"], "GLDistribution");
}

#[tokio::test]
async fn voucher_timeout_or_5xx_is_outcome_unknown_and_not_retried() {
    let server = MockServer::start().await;
    mount_login(&server, "MM/dd/yyyy").await;
    Mock::given(method("POST"))
        .and(path("/jderest/v3/orchestrator/SLOW"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(800)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jderest/v3/orchestrator/BROKEN"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(
                json!({"message": "NullPointerException", "exception": "Exception"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jderest/v3/orchestrator/BUSY"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .expect(4)
        .mount(&server)
        .await;
    let mut s = settings(&server);
    s.timeout = Duration::from_millis(300);
    let c = AisClient::new(s).unwrap();
    for name in ["SLOW", "BROKEN"] {
        let e = c.add_voucher(name, &voucher()).await.unwrap_err();
        assert!(
            matches!(e, JdeError::OutcomeUnknown { .. }),
            "{name}: {e:?}"
        );
        assert_eq!(e.kind(), "outcome_unknown");
    }
    // 503 = refused before any work: retried, then reported as is.
    let e = c.add_voucher("BUSY", &voucher()).await.unwrap_err();
    assert!(matches!(e, JdeError::Remote { status: 503, .. }), "{e:?}");
}

#[tokio::test]
async fn voucher_is_retried_when_the_connection_never_opened() {
    // Nothing listens on this port: connect errors are provably "not reached".
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut s = AisSettings::new(
        url::Url::parse(&format!("http://127.0.0.1:{port}/jderest/")).unwrap(),
        "U",
        SecretString::from("p"),
    );
    s.retry = RetryPolicy {
        max_attempts: 3,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        max_retry_after: Duration::from_millis(2),
    };
    let c = AisClient::new(s).unwrap();
    let e = c.login().await.unwrap_err();
    assert!(
        matches!(e, JdeError::Transport { connect: true, .. }),
        "{e:?}"
    );
    assert!(e.is_transient());
    assert_eq!(c.stats().requests["tokenrequest"], 3);
}

#[tokio::test]
async fn discovery_default_config_validate_logout() {
    let server = MockServer::start().await;
    mount_login(&server, "MM/dd/yyyy").await;
    Mock::given(method("GET"))
        .and(path("/jderest/defaultconfig"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"toolsRelease": "9.2.8.3", "aisVersion": "9.2.8.3",
            "capabilityList": [{"name": "dataServiceNextPage"}]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/jderest/discover"))
        .and(header("jde-AIS-Auth", "T1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"orchestrations": [{"name": "ORCH_VOUCHER"}]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/tokenrequest/validate"))
        .and(|r: &Request| body_json(r)["token"] == "T1")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"isValidSession": true})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/tokenrequest/logout"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    let cfg = c.default_config().await.unwrap();
    assert_eq!(cfg.tools_release.as_deref(), Some("9.2.8.3"));
    assert_eq!(cfg.capabilities, vec!["dataServiceNextPage".to_owned()]);
    assert!(!c.validate_session().await.unwrap(), "not logged in yet");
    assert!(c.orchestration_exists("ORCH_VOUCHER").await.unwrap());
    assert!(!c.orchestration_exists("NOPE").await.unwrap());
    assert!(c.validate_session().await.unwrap());
    c.logout().await.unwrap();
    assert!(c.session_info().await.is_none());
    c.logout().await.unwrap(); // no session: nothing sent
}

#[tokio::test]
async fn redirects_are_never_followed_so_credentials_stay_home() {
    // Where a followed redirect would land: it must receive nothing, neither the login (which
    // carries the password) nor a data call (which carries the session token).
    let other = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("STOLEN", "MM/dd/yyyy")))
        .mount(&other)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/tokenrequest"))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{}/jderest/v2/tokenrequest", other.uri()),
        ))
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    let e = c
        .fetch_all::<F0101Row>(Query::new("F0101"))
        .await
        .unwrap_err();
    assert!(!e.to_string().contains(PASSWORD), "{e}");
    assert!(other.received_requests().await.unwrap().is_empty());

    let server = MockServer::start().await;
    mount_login(&server, "MM/dd/yyyy").await;
    Mock::given(method("POST"))
        .and(path("/jderest/v2/dataservice"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "Location",
            format!("{}/jderest/v2/dataservice", other.uri()),
        ))
        .mount(&server)
        .await;
    let c = AisClient::new(settings(&server)).unwrap();
    assert!(c.fetch_all::<F0101Row>(Query::new("F0101")).await.is_err());
    assert!(other.received_requests().await.unwrap().is_empty());
}
