//! `ping`: a healthy pair of systems, a table the JDE user may not read, a wrong password (one
//! login attempt, never retried), an unreachable host, and a certificate nobody trusts.
use std::sync::Arc;

use mlc_sim::jaggaer::JaggaerSimConfig;
use mlc_sim::jde::SimUser;
use serde_json::json;

use crate::harness::{Env, Sims, TENANT, jde_config, stderr};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn tokenrequests(sims: &Sims) -> usize {
    sims.jde
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("tokenrequest"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_ping_reports_release_tables_orchestration_and_paths() {
    let sims = Sims::small().await;
    let env = Env::new(&sims).await;
    let out = env.cmd(&["ping", "--deep"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(text.contains("OK   JDE login"), "{text}");
    assert!(text.contains("tools 9.2.8.3"), "{text}");
    for table in [
        "F0101", "F0401", "F0006", "F0901", "F4301", "F4311", "F0411", "F0411Z1", "F0911",
    ] {
        assert!(
            text.contains(&format!("OK   read {table} ")),
            "{table}: {text}"
        );
    }
    assert!(text.contains("ML_AddVoucherBatch is deployed"), "{text}");
    assert!(text.contains("OK   JAGGAER token"), "{text}");
    assert!(
        text.contains("OK   GET /j1p/api/public/ji/v1/invoices"),
        "{text}"
    );
    assert!(!text.contains("FAIL"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_ping_names_the_table_the_user_may_not_read() {
    let mut cfg = jde_config(4, 4);
    let mut user = SimUser::new("JDEUSER", "JDEPASS", "MM/dd/yyyy");
    user.denied_tables = vec!["F0911".into()];
    cfg.knobs.users = vec![user];
    let sims = Sims::start(cfg, JaggaerSimConfig::default()).await;
    let env = Env::new(&sims).await;
    let out = env.cmd(&["ping", "--deep"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL read F0911"), "{text}");
    assert!(text.contains("OK   read F0411 "), "{text}");
}

/// `ping --deep --json`: the same checks as one JSON object, for scripts and monitoring.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_json_lists_every_check_with_its_result() {
    let mut cfg = jde_config(4, 4);
    let mut user = SimUser::new("JDEUSER", "JDEPASS", "MM/dd/yyyy");
    user.denied_tables = vec!["F0911".into()];
    cfg.knobs.users = vec![user];
    let sims = Sims::start(cfg, JaggaerSimConfig::default()).await;
    let env = Env::new(&sims).await;
    let out = env.cmd(&["ping", "--deep", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&out)));
    assert_eq!(doc["status"], "failed", "{doc}");
    assert_eq!(doc["failures"], 1, "{doc}");
    let checks = doc["tenants"][0]["checks"].as_array().unwrap();
    assert_eq!(doc["tenants"][0]["tenant"], TENANT);
    let find = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {doc}"))
    };
    assert_eq!(find("JDE login")["result"], "ok");
    assert_eq!(find("JDE login")["system"], "jde");
    assert!(find("JDE login")["ms"].is_u64(), "{doc}");
    assert_eq!(find("read F0411")["result"], "ok");
    assert_eq!(find("read F0911")["result"], "failed");
    assert!(
        find("read F0911")["detail"]
            .as_str()
            .unwrap()
            .contains("F0911"),
        "{doc}"
    );
    assert_eq!(find("JAGGAER token")["system"], "jaggaer");
    assert_eq!(find("JAGGAER token")["result"], "ok");
    // Nothing but the JSON on stdout.
    assert!(stdout(&out).trim_start().starts_with('{'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_tried_exactly_once() {
    let sims = Sims::small().await;
    let env = Env::new(&sims).await;
    env.credentials(
        TENANT,
        "jde",
        &json!({"base_url": sims.jde.base_url(), "username": "JDEUSER", "password": "WRONG"}),
    )
    .await;
    sims.jde.clear_requests();
    let out = env.cmd(&["ping"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL JDE login"), "{text}");
    assert!(text.contains("rejected"), "{text}");
    assert!(text.contains("not retried"), "{text}");
    assert!(!text.contains("WRONG"), "the password is printed: {text}");
    assert_eq!(tokenrequests(&sims), 1, "exactly one login attempt");
    // The JAGGAER side is still checked.
    assert!(text.contains("OK   JAGGAER token"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_host_is_named() {
    let sims = Sims::small().await;
    let env = Env::new(&sims).await;
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    env.credentials(
        TENANT,
        "jde",
        &json!({"base_url": format!("http://127.0.0.1:{port}/jderest/"), "username": "JDEUSER", "password": "JDEPASS"}),
    )
    .await;
    let out = env.cmd(&["ping"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(
        text.to_lowercase().contains("connect"),
        "the failure should say the connection failed: {text}"
    );
}

/// A TLS server with a self-signed certificate: the handshake must fail on the certificate.
async fn untrusted_tls_server() -> u16 {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let der = cert.cert.der().clone();
    let key =
        tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(sock).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused_and_named() {
    let sims = Sims::small().await;
    let env = Env::new(&sims).await;
    let port = untrusted_tls_server().await;
    env.credentials(
        TENANT,
        "jde",
        &json!({"base_url": format!("https://localhost:{port}/jderest/"), "username": "JDEUSER", "password": "JDEPASS"}),
    )
    .await;
    let out = env.cmd(&["ping"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.to_lowercase().contains("certificate"),
        "the failure should name the certificate: {text}"
    );
}

/// `-v` shows each client's requests (method, path, status, time) and none of the libraries'
/// debug noise, and never a credential.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_each_request_without_secrets_or_dependency_noise() {
    let sims = Sims::small().await;
    let env = Env::new(&sims).await;
    let out = env
        .command()
        .env_remove("RUST_LOG")
        .args(["ping", "-v", "--log-format", "json"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let ais = lines
        .iter()
        .find(|l| {
            l["message"] == "AIS request"
                && l["path"].as_str().unwrap_or("").ends_with("tokenrequest")
        })
        .unwrap_or_else(|| panic!("no AIS request line:\n{log}"));
    assert_eq!(ais["method"], "POST", "{ais}");
    assert_eq!(ais["status"], "200", "{ais}");
    assert!(ais["ms"].is_u64(), "{ais}");
    assert!(
        lines.iter().any(|l| l["message"] == "JAGGAER request"),
        "no JAGGAER request line:\n{log}"
    );
    // Only our crates log at debug.
    for l in &lines {
        if l["level"] == "DEBUG" {
            let target = l["target"].as_str().unwrap_or("");
            assert!(
                target.starts_with("mlc_") || target.starts_with("ml_connector"),
                "a dependency logs at debug under -v: {l}"
            );
        }
    }
    for secret in ["JDEPASS", "mlc-secret"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

/// An xml tenant's deep ping names the export endpoint as `run` binds it, with the reminder that
/// only JAGGAER's own test send proves it reachable from outside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_ping_of_an_xml_tenant_prints_the_export_endpoint() {
    let sims = Sims::small().await;
    let env = Env::with(
        &sims,
        crate::harness::Options {
            xml: true,
            ..Default::default()
        },
    )
    .await;
    let out = env.cmd(&["ping", "--deep"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    let line = text
        .lines()
        .find(|l| l.contains(&format!("/jaggaer/export/{TENANT}")))
        .unwrap_or_else(|| panic!("no export endpoint line:\n{text}"));
    assert!(line.contains("POST http://"), "{line}");
    assert!(line.contains("JAGGAER's own test send"), "{line}");
}
