//! `migrate` and `status` against a real SQLite store in the temp directory.
use crate::helpers::{Env, stderr, stdout};

#[test]
fn migrate_then_status() {
    let env = Env::new();
    let out = env.cmd().arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("schema is up to date"),
        "{}",
        stdout(&out)
    );
    assert!(env.path("ml-connector.db").exists());

    let out = env.cmd().args(["status", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["store"], "sqlite");
    assert_eq!(json["tenants"][0]["tenant"], "acme");
    assert_eq!(json["tenants"][0]["quarantine_open"], 0);
    assert!(json["tenants"][0]["last_run"].is_null());

    let out = env.cmd().arg("status").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("never"), "{}", stdout(&out));
}

#[test]
fn unreachable_store_exits_1() {
    let env = Env::new();
    // A missing folder is created (0700), so make the parent a regular file: it cannot be opened.
    std::fs::write(env.path("blocker"), b"not a directory").unwrap();
    let url = format!("sqlite://{}/x.db", env.path("blocker").display());
    let out = env
        .cmd()
        .arg("migrate")
        .env("ML_CONNECTOR__STORE__URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot open the state store"),
        "{}",
        stderr(&out)
    );
}
