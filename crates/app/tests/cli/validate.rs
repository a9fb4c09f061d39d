//! `validate`: every check, no side effects, exit status by failure class.
use crate::helpers::{Env, KEY_B, stderr, stdout};

fn credentials(env: &Env) {
    env.cmd()
        .args(["credentials", "set", "acme", "jde", "--stdin"])
        .write_stdin(
            r#"{"base_url": "https://ais.example.com/jderest/", "username": "U", "password": "P"}"#,
        )
        .assert()
        .success();
    env.cmd()
        .args(["credentials", "set", "acme", "jaggaer", "--stdin"])
        .write_stdin(r#"{"base_url": "https://reg02.api.jaggaer.com", "client_id": "c", "client_secret": "s"}"#)
        .assert()
        .success();
}

#[test]
fn a_fresh_install_is_told_what_is_missing_and_nothing_is_created() {
    let env = Env::new();
    let out = env.cmd().arg("validate").output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}\n{}", stderr(&out));
    assert!(text.contains("OK   config"), "{text}");
    assert!(text.contains("OK   master key"), "{text}");
    assert!(text.contains("FAIL vault"), "{text}");
    assert!(text.contains("credentials set TENANT"), "{text}");
    assert!(text.contains("does not exist yet"), "store: {text}");
    // No side effects: no store, no vault.
    let files: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, vec!["ml-connector.toml".to_owned()], "{files:?}");
}

#[test]
fn all_good_then_each_class_of_failure() {
    let env = Env::new();
    credentials(&env);
    let out = env.cmd().args(["validate", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "ok", "{doc}");
    let names: Vec<&str> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    for n in [
        "config",
        "master key",
        "vault",
        "credentials acme jde",
        "credentials acme jaggaer",
        "store",
    ] {
        assert!(names.contains(&n), "{n} missing: {doc}");
    }
    assert!(
        !env.path("ml-connector.db").exists(),
        "validate created the store"
    );

    // A migrated store: up to date, and validate leaves its bytes alone.
    env.cmd().arg("migrate").assert().success();
    let before = std::fs::read(env.path("ml-connector.db")).unwrap();
    let out = env.cmd().arg("validate").output().unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("schema up to date"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(env.path("ml-connector.db")).unwrap(), before);

    // Wrong master key: configuration (2).
    let out = env
        .cmd()
        .env("ML_CONNECTOR_MASTER_KEY", KEY_B)
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("FAIL vault"), "{}", stdout(&out));

    // A store that does not answer: broken/unreachable (1).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = env
        .cmd()
        .env(
            "ML_CONNECTOR__STORE__URL",
            format!("postgres://mlc@127.0.0.1:{port}/mlc"),
        )
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("FAIL store"), "{}", stdout(&out));

    // A config error stops at the config (2), naming the key.
    env.write_config(&format!("{}\n[store]\nbogus = 1\n", env.config()));
    let out = env.cmd().arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("FAIL config"), "{}", stdout(&out));
}
