//! `init` and config loading through the binary.
use crate::helpers::{Env, stderr};

/// `credentials list` loads and validates the config without touching the network or store.
fn check(env: &Env) -> std::process::Output {
    env.cmd().args(["credentials", "list"]).output().unwrap()
}

#[test]
fn init_writes_a_config_that_loads() {
    let env = Env::new();
    assert!(env.config().contains("[[tenants]]"));
    let out = check(&env);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let env = Env::new();
    env.write_config("# mine\n");
    let out = env.cmd().arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(env.config(), "# mine\n");
    env.cmd().args(["init", "--force"]).assert().success();
    assert!(env.config().contains("[[tenants]]"));
    env.cmd()
        .args(["init", "--path", "other.toml"])
        .assert()
        .success();
    assert!(env.path("other.toml").exists());
}

#[test]
fn missing_config_says_how_to_create_one() {
    let env = Env::empty();
    let out = check(&env);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("ml-connector init"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_key_names_key_and_line() {
    let env = Env::new();
    let text = env
        .config()
        .replace("page_size = 500", "page_size = 500\npage_sise = 5");
    let line = text.lines().position(|l| l == "page_sise = 5").unwrap() + 1;
    env.write_config(&text);
    let out = check(&env);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "unknown key `page_sise` at line {line} of ml-connector.toml; expected one of"
        )),
        "{err}"
    );
}

#[test]
fn validation_errors_exit_2_and_name_the_key() {
    for (from, to, needle) in [
        ("id = \"acme\"", "id = \"ACME\"", "invalid tenant id"),
        (
            "poll_interval = \"5m\"",
            "poll_interval = \"five\"",
            "poll_interval`: \"five\" is not a duration",
        ),
        (
            "url = \"sqlite://ml-connector.db\"",
            "url = \"mysql://x\"",
            "store.url`: \"mysql://x\" is not supported",
        ),
        (
            "# proxy = \"http://proxy.example.com:3128\"\n# An invoice",
            "proxy = \"not a url\"\n# An invoice",
            "jde.proxy`: \"not a url\" is not a URL",
        ),
        (
            "tax_account = \"100.2310\"",
            "tax_account = \"100\"",
            "is not a JDE account",
        ),
        (
            "# tax_explanation = \"S\"",
            "tax_explanation = \"SALES\"",
            "mapping.tax_explanation`: \"SALES\" must be a JDE tax explanation code",
        ),
    ] {
        let env = Env::new();
        let text = env.config();
        assert!(text.contains(from), "template lacks {from}");
        env.write_config(&text.replacen(from, to, 1));
        let out = check(&env);
        assert_eq!(out.status.code(), Some(2), "{to}");
        assert!(stderr(&out).contains(needle), "{needle}: {}", stderr(&out));
    }
}

#[test]
fn env_override_applies_and_is_validated() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["credentials", "list"])
        .env("ML_CONNECTOR__TENANTS__ACME__POLL_INTERVAL", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("\"soon\" is not a duration"),
        "{}",
        stderr(&out)
    );
    // The vault path comes from the override.
    let out = env
        .cmd()
        .args(["credentials", "set", "acme", "jde", "--stdin"])
        .env("ML_CONNECTOR__VAULT__PATH", "elsewhere.vault")
        .write_stdin(r#"{"base_url":"http://127.0.0.1:9300/jderest/","username":"U","password":"pw-123456"}"#)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(env.path("elsewhere.vault").exists());
    assert!(!env.path("ml-connector.vault").exists());
}

#[test]
fn global_options_before_or_after_the_subcommand() {
    let env = Env::new();
    env.cmd()
        .args(["--log-format", "json", "-q", "credentials", "list"])
        .assert()
        .success();
    env.cmd()
        .args(["credentials", "list", "--log-format", "text", "-v"])
        .assert()
        .success();
    let out = env
        .cmd()
        .args(["credentials", "list", "--config", "nope.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.toml"));
}
