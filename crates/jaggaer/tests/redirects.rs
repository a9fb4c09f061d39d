//! Redirects are never followed (issue 16 item 5): the token POST carries the client secret and
//! data calls the bearer token; a 3xx must not deliver either to another address.
use std::time::Duration;

use mlc_jaggaer::{J1pClient, J1pSettings, JaggaerError, RetryPolicy};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "/auth/realms/J1p-integrations/protocol/openid-connect/token";
const SUPPLIERS: &str = "/j1p/api/public/ja/v1/companyprofiles";
const SECRET: &str = "very-secret-value";

fn settings(server: &MockServer) -> J1pSettings {
    let mut s = J1pSettings::new(
        server.uri().parse().unwrap(),
        "mlc-client",
        SecretString::from(SECRET),
    );
    s.timeout = Duration::from_secs(5);
    s.retry = RetryPolicy {
        max_retries: 3,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(1),
        max_rate_limit_wait: Duration::from_secs(60),
    };
    s
}

/// A server that accepts anything and records it: where a followed redirect would land.
async fn elsewhere() -> MockServer {
    let other = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "stolen", "expires_in": 300,
            "returnCode": 0, "returnMessage": "OK", "totRecords": 0, "returnedRecords": 0,
            "returnCompanyData": []
        })))
        .mount(&other)
        .await;
    other
}

#[tokio::test]
async fn a_token_307_to_another_host_is_refused_and_that_host_receives_nothing() {
    for status in [301u16, 302, 303, 307, 308] {
        let server = MockServer::start().await;
        let other = elsewhere().await;
        Mock::given(method("POST"))
            .and(path(TOKEN))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("Location", format!("{}{TOKEN}?x=1", other.uri())),
            )
            .mount(&server)
            .await;
        let c = J1pClient::new(settings(&server)).unwrap();
        let err = c.authenticate().await.unwrap_err();
        assert!(
            matches!(&err, JaggaerError::Redirected { status: s, location, .. }
                if *s == status && location == &format!("{}{TOKEN}", other.uri())),
            "{err:?}"
        );
        assert!(!err.is_transient(), "a redirect does not heal by retrying");
        let text = err.to_string();
        assert!(text.contains(&other.uri()), "{text}");
        assert!(!text.contains(SECRET), "{text}");
        assert!(
            other.received_requests().await.unwrap().is_empty(),
            "HTTP {status}: the redirect target received a request"
        );
        // Not retried either: one token POST.
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_data_call_redirect_is_refused_without_sending_the_bearer_token_elsewhere() {
    let server = MockServer::start().await;
    let other = elsewhere().await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "t1", "expires_in": 300})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SUPPLIERS))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{}{SUPPLIERS}", other.uri())),
        )
        .mount(&server)
        .await;
    let c = J1pClient::new(settings(&server)).unwrap();
    let err = c.find_supplier("4001").await.unwrap_err();
    assert!(
        matches!(&err, JaggaerError::Redirected { status: 307, endpoint, .. } if endpoint == "suppliers"),
        "{err:?}"
    );
    assert!(err.to_string().contains(&other.uri()), "{err}");
    assert!(other.received_requests().await.unwrap().is_empty());
    assert_eq!(
        c.stats().requests["suppliers"],
        1,
        "a redirect is not retried"
    );
}
