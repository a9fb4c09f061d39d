//! A temp directory with a config written by `init`, and a command builder that runs there
//! with a clean environment.
use std::path::PathBuf;

use assert_cmd::Command;

pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) key: String,
}

/// A base64 key of 32 bytes (fixed, for tests only).
pub(crate) const KEY_A: &str = mlc_test_support::KEY;
/// Another valid key.
pub(crate) const KEY_B: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

impl Env {
    /// A temp dir with no config yet.
    pub(crate) fn empty() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            key: KEY_A.into(),
        }
    }

    /// A temp dir where `init` has written `ml-connector.toml`.
    pub(crate) fn new() -> Env {
        let env = Env::empty();
        env.cmd().arg("init").assert().success();
        env
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `ml-connector` in the temp dir, with only the variables the test sets.
    pub(crate) fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("ml-connector").unwrap();
        c.current_dir(self.dir.path())
            .env_clear()
            .env("ML_CONNECTOR_MASTER_KEY", &self.key)
            .env("RUST_LOG", "warn");
        c
    }

    pub(crate) fn config(&self) -> String {
        std::fs::read_to_string(self.path("ml-connector.toml")).unwrap()
    }

    pub(crate) fn write_config(&self, text: &str) {
        std::fs::write(self.path("ml-connector.toml"), text).unwrap();
    }
}

pub(crate) fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
