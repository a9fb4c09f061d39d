//! `credentials set/list/delete/rotate-key` through the binary.
use crate::helpers::{Env, KEY_B, stderr, stdout};

const PASSWORD: &str = "S3cret-Jde-Passw0rd";
const CLIENT_SECRET: &str = "jaggaer-client-secret-xyz";

fn set_jde(env: &Env) -> std::process::Output {
    env.cmd()
        .args(["credentials", "set", "acme", "jde", "--stdin"])
        .write_stdin(format!(
            r#"{{"base_url": "https://ais.example.com:9300/jderest/v2/", "username": "MLCONN",
                "password": "{PASSWORD}", "environment": "JPD920"}}"#
        ))
        .output()
        .unwrap()
}

#[test]
fn set_then_list_never_shows_secrets() {
    let env = Env::new();
    let out = set_jde(&env);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    assert!(printed.contains("username: MLCONN"), "{printed}");
    assert!(
        printed.contains("https://ais.example.com:9300/jderest/"),
        "{printed}"
    );
    let out = env
        .cmd()
        .args(["credentials", "set", "acme", "jaggaer", "--stdin"])
        .write_stdin(format!(
            r#"{{"base_url":"https://reg02.api.jaggaer.com","client_id":"acme-mlc","client_secret":"{CLIENT_SECRET}"}}"#
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let out = env.cmd().args(["credentials", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    for needle in ["acme", "jde", "jaggaer", "MLCONN", "JPD920", "acme-mlc"] {
        assert!(table.contains(needle), "{needle} missing:\n{table}");
    }
    let out = env
        .cmd()
        .args(["credentials", "list", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["public"]["username"], "MLCONN");

    let all = format!("{table}{}{}", stdout(&out), stderr(&out));
    let file = std::fs::read_to_string(env.path("ml-connector.vault")).unwrap();
    for secret in [PASSWORD, CLIENT_SECRET] {
        assert!(!all.contains(secret), "secret printed");
        assert!(!file.contains(secret), "secret in the vault file");
    }
}

#[test]
fn bad_credential_json_is_a_usage_error_naming_the_field() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["credentials", "set", "acme", "jde", "--stdin"])
        .write_stdin(format!(
            r#"{{"base_url":"https://a/","username":"u","password":"{PASSWORD}","pwd":"x"}}"#
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown field `pwd`"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(PASSWORD));
}

#[test]
fn wrong_master_key_exits_2_with_a_clear_message() {
    let mut env = Env::new();
    assert!(set_jde(&env).status.success());
    env.key = KEY_B.into();
    let out = env.cmd().args(["credentials", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("master key does not open the vault"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_master_key_says_how_to_create_one() {
    let env = Env::new();
    let out = env
        .cmd()
        .env_remove("ML_CONNECTOR_MASTER_KEY")
        .args(["credentials", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("ML_CONNECTOR_MASTER_KEY") && err.contains("credentials new-key"),
        "{err}"
    );
    let out = env
        .cmd()
        .env("ML_CONNECTOR_MASTER_KEY", "short")
        .args(["credentials", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn tampered_vault_exits_1() {
    let env = Env::new();
    assert!(set_jde(&env).status.success());
    let p = env.path("ml-connector.vault");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replacen("MLCONN", "MLCONX", 1);
    std::fs::write(&p, text).unwrap();
    let out = env.cmd().args(["credentials", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("altered or damaged"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rotate_key_with_file_and_generate() {
    let mut env = Env::new();
    assert!(set_jde(&env).status.success());
    std::fs::write(env.path("new.key"), format!("{KEY_B}\n")).unwrap();
    let out = env
        .cmd()
        .args(["credentials", "rotate-key", "--new-key-file", "new.key"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The old key no longer opens it; the new one does.
    assert_eq!(
        env.cmd()
            .args(["credentials", "list"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    env.key = KEY_B.into();
    env.cmd().args(["credentials", "list"]).assert().success();

    let out = env
        .cmd()
        .args(["credentials", "rotate-key", "--generate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let new_key = stdout(&out).trim().to_owned();
    assert_eq!(new_key.len(), 44, "{new_key}");
    assert!(stderr(&out).contains("ONCE"));
    env.key = new_key;
    let out = env.cmd().args(["credentials", "list"]).output().unwrap();
    assert!(stdout(&out).contains("MLCONN"));
}

#[test]
fn key_file_from_config_is_used() {
    let env = Env::new();
    std::fs::write(env.path("master.key"), KEY_B).unwrap();
    env.write_config(&env.config().replace(
        "# key_file = \"/etc/ml-connector/master.key\"",
        "key_file = \"master.key\"",
    ));
    let out = env
        .cmd()
        .env_remove("ML_CONNECTOR_MASTER_KEY")
        .args(["credentials", "set", "acme", "jde", "--stdin"])
        .write_stdin(format!(
            r#"{{"base_url":"https://a/","username":"u","password":"{PASSWORD}"}}"#
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // KEY_B opens it; the env key A would not.
    let mut env2 = env;
    env2.key = KEY_B.into();
    env2.cmd().args(["credentials", "list"]).assert().success();
}

#[test]
fn delete_removes_one_set_and_refuses_an_unknown_one() {
    let env = Env::new();
    assert!(set_jde(&env).status.success());
    let out = env
        .cmd()
        .args(["credentials", "delete", "acme", "jde"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Deleted the jde credentials of tenant acme"));

    let out = env
        .cmd()
        .args(["credentials", "list", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 0, "{json}");
    let file = std::fs::read_to_string(env.path("ml-connector.vault")).unwrap();
    assert!(!file.contains("MLCONN"));

    // Deleting it again is a usage error that says what is stored, never a silent success.
    let out = env
        .cmd()
        .args(["credentials", "delete", "acme", "jde"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no jde credentials stored for tenant acme"));
}
