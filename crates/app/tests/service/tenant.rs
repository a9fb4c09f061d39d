//! `tenant pause|resume` through the binary, against the SQLite store of the config.
use mlc_core::ids::TenantId;

#[tokio::test]
async fn pause_and_resume_change_the_stored_state() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(crate::harness::bin())
            .current_dir(dir.path())
            .env_clear()
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["init"]).status.success());

    let out = run(&["tenant", "pause", "acme", "--reason", "month-end close"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("acme is paused (month-end close)"), "{text}");

    let url = format!("sqlite://{}", dir.path().join("ml-connector.db").display());
    let store = mlc_store::open(&url).await.unwrap();
    let acme = TenantId::parse("acme").unwrap();
    let s = store.tenant_state(&acme).await.unwrap();
    assert!(s.paused);
    assert_eq!(s.pause_reason.as_deref(), Some("month-end close"));

    let out = run(&["tenant", "resume", "acme"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("resumed"));
    let s = store.tenant_state(&acme).await.unwrap();
    assert!(!s.paused);
    assert_eq!(s.pause_reason, None);
    assert_eq!(s.consecutive_failures, 0);
    assert!(s.next_due.is_some());

    let out = run(&["tenant", "pause", "nobody"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown tenant \"nobody\"") && err.contains("acme"),
        "{err}"
    );
}
