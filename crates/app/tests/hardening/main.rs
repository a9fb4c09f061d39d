//! Issue 16 hardening, checked on the real binary: a closed stdout, file modes.
use std::path::Path;
use std::process::{Command, Stdio};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn cmd(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ml-connector"));
    c.current_dir(dir)
        .env_clear()
        .env("ML_CONNECTOR_MASTER_KEY", KEY)
        .env("RUST_LOG", "warn");
    c
}

fn init(dir: &Path) {
    let out = cmd(dir).arg("init").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ml-connector status --json | head -0`: the reader is gone before the first byte is written.
/// The command must neither panic (exit 101) nor report an error: exit 0, nothing on stderr.
#[test]
fn a_closed_stdout_ends_every_printing_command_quietly_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    for args in [
        &["status", "--json"][..],
        &["status"][..],
        &["credentials", "list"][..],
        &["--help"][..],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = cmd(dir.path())
            .args(args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[cfg(unix)]
#[test]
fn init_and_the_vault_write_files_only_their_owner_can_read() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("ml-connector.toml")), 0o600);

    // `init --force` over a world-readable file tightens it.
    let loose = dir.path().join("loose.toml");
    std::fs::write(&loose, "").unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = cmd(dir.path())
        .args(["init", "--force", "--path", "loose.toml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&loose), 0o600);

    let mut child = cmd(dir.path())
        .args(["credentials", "set", "acme", "jaggaer", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(
                br#"{"base_url": "https://example.invalid", "client_id": "c", "client_secret": "s"}"#,
            )
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vault = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "vault"))
        .expect("a vault file");
    assert_eq!(mode(&vault), 0o600);
}

/// Issue 16 item 4 on the whole product: after a demo (both simulators, two sync cycles, debug
/// logs), no secret of the vault is in any file of the demo directory (the SQLite database and
/// its WAL read as bytes: every table), in the logs, or in a `--json` output; and the demo's
/// files are readable by their owner only.
#[test]
fn no_vault_secret_reaches_the_store_the_logs_or_json_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let mut demo = cmd(tmp.path());
    demo.env_remove("ML_CONNECTOR_MASTER_KEY")
        .env("RUST_LOG", "debug")
        .args(["demo", "--dir", dir.to_str().unwrap(), "--seed", "7"]);
    let out = demo.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The demo's credential sets (crates/app/src/simulators.rs).
    let secrets = ["JDEPASS", "mlc-secret", "mlc-cxml-secret"];
    let mut texts = vec![
        ("demo stdout", out.stdout.clone()),
        ("demo logs", out.stderr.clone()),
    ];
    let config = dir.join("ml-connector.toml");
    let key = std::fs::read_to_string(dir.join("master.key")).unwrap();
    for args in [
        &["status", "--json"][..],
        &["quarantine", "list", "--all", "--json"][..],
        &["audit", "supplier:demo:1", "--json"][..],
    ] {
        let out = cmd(tmp.path())
            .env("ML_CONNECTOR_MASTER_KEY", key.trim())
            .env("RUST_LOG", "debug")
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap();
        texts.push(("json output", out.stdout));
        texts.push(("logs", out.stderr));
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        texts.push(("file", std::fs::read(&path).unwrap()));
    }
    for (what, bytes) in &texts {
        for secret in secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} found in {what}"
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&config), 0o600);
        assert_eq!(mode(&dir.join("master.key")), 0o600);
    }
}
