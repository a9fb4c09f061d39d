//! `users add|list|set-role|reset-password|remove` against a real SQLite store.
use crate::helpers::{Env, stderr, stdout};

fn with_stdin(env: &Env, args: &[&str], input: &str) -> std::process::Output {
    env.cmd().args(args).write_stdin(input).output().unwrap()
}

#[test]
fn users_are_added_listed_changed_and_removed_and_no_hash_is_shown() {
    let env = Env::new();
    let out = with_stdin(
        &env,
        &[
            "users",
            "add",
            "ann",
            "--role",
            "operator",
            "--password-stdin",
        ],
        "a-long-password-1\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // Taken name, short password, unknown role: usage errors, nothing changes.
    let out = with_stdin(
        &env,
        &["users", "add", "ann", "--role", "admin", "--password-stdin"],
        "another-password-2\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = with_stdin(
        &env,
        &[
            "users",
            "add",
            "bob",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("too short"), "{}", stderr(&out));
    let out = env
        .cmd()
        .args(["users", "add", "bob", "--role", "root"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = env
        .cmd()
        .args(["users", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["name"], "ann");
    assert_eq!(list[0]["role"], "operator");
    assert!(!stdout(&out).contains("argon2"), "{}", stdout(&out));

    let out = env
        .cmd()
        .args(["users", "set-role", "ann", "--role", "admin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = with_stdin(
        &env,
        &["users", "reset-password", "ann", "--password-stdin"],
        "a-new-password-3\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.cmd().args(["users", "list"]).output().unwrap();
    assert!(stdout(&out).contains("admin"), "{}", stdout(&out));

    let out = env.cmd().args(["users", "remove", "ann"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.cmd().args(["users", "remove", "ann"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "removing twice");
}

#[test]
fn without_a_terminal_the_password_must_come_from_stdin() {
    let env = Env::new();
    let out = with_stdin(&env, &["users", "add", "ann", "--role", "viewer"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--password-stdin"),
        "{}",
        stderr(&out)
    );
}
