//! A temp directory with a config, a vault holding credentials for the simulators, and the
//! `ml-connector run` process.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use mlc_sim::jaggaer::{JaggaerSim, JaggaerSimConfig};
use mlc_sim::jde::{JdeSim, JdeSimConfig};
use tokio::io::AsyncWriteExt as _;
use tokio::process::{Child, Command};

/// A base64 key of 32 bytes (fixed, for tests only).
pub(crate) const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// The cXML shared secret stored for cXML tenants.
pub(crate) const CXML_SECRET: &str = "mlc-cxml-secret";
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_ml-connector");

/// Both simulators.
pub(crate) struct Sims {
    pub(crate) jde: JdeSim,
    pub(crate) jag: JaggaerSim,
}

impl Sims {
    pub(crate) async fn start() -> Sims {
        Sims {
            jde: JdeSim::start(JdeSimConfig::default()).await.unwrap(),
            jag: JaggaerSim::start(JaggaerSimConfig::default())
                .await
                .unwrap(),
        }
    }
}

/// A tenant of the test config.
pub(crate) struct Tenant {
    pub(crate) id: &'static str,
    pub(crate) cxml: bool,
}

/// A temp dir with config and vault.
pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) store_url: String,
}

impl Env {
    /// Writes the config (from `init`'s template, one `[[tenants]]` block per tenant, polled
    /// every 10 s) and stores credentials for the simulators.
    pub(crate) async fn new(sims: &Sims, tenants: &[Tenant], store_url: Option<&str>) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store_url = store_url
            .map(str::to_owned)
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("store.db").display()));
        let env = Env { dir, store_url };
        env.cmd_sync(&["init"]);
        let template = std::fs::read_to_string(env.path("ml-connector.toml")).unwrap();
        let (head, tenant_block) = template.split_once("\n[[tenants]]\n").unwrap();
        let mut text = head.replace(
            "url = \"sqlite://ml-connector.db\"",
            &format!("url = \"{}\"", env.store_url),
        );
        for t in tenants {
            let block = tenant_block
                .replace("id = \"acme\"", &format!("id = \"{}\"", t.id))
                .replace("poll_interval = \"5m\"", "poll_interval = \"10s\"");
            let block = if t.cxml {
                block.replace("transport = \"rest\"", "transport = \"cxml\"")
            } else {
                block
            };
            text.push_str("\n[[tenants]]\n");
            text.push_str(&block);
        }
        std::fs::write(env.path("ml-connector.toml"), text).unwrap();
        for t in tenants {
            env.set_credentials(t.id, sims).await;
        }
        env
    }

    /// Stores credentials of `tenant` for these simulators.
    pub(crate) async fn set_credentials(&self, tenant: &str, sims: &Sims) {
        {
            let env = self;
            let jde = serde_json::json!({
                "base_url": sims.jde.base_url(),
                "username": "JDEUSER",
                "password": "JDEPASS",
            });
            let jag = serde_json::json!({
                "base_url": sims.jag.base_url(),
                "token_url": sims.jag.token_url(),
                "client_id": "mlc-client",
                "client_secret": "mlc-secret",
                "cxml_identity": "MLCONNECTOR",
                "cxml_shared_secret": CXML_SECRET,
            });
            env.credentials(tenant, "jde", &jde).await;
            env.credentials(tenant, "jaggaer", &jag).await;
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.dir.path())
            .env_clear()
            .env("ML_CONNECTOR_MASTER_KEY", KEY)
            .env("ML_CONNECTOR_CONFIG", self.path("ml-connector.toml"))
            .env("RUST_LOG", "info")
            .kill_on_drop(true);
        c
    }

    /// Runs a short command to completion.
    pub(crate) fn cmd_sync(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(BIN)
            .current_dir(self.dir.path())
            .env_clear()
            .env("ML_CONNECTOR_MASTER_KEY", KEY)
            .env("ML_CONNECTOR_CONFIG", self.path("ml-connector.toml"))
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .unwrap()
    }

    async fn credentials(&self, tenant: &str, system: &str, json: &serde_json::Value) {
        let mut child = self
            .command()
            .args(["credentials", "set", tenant, system, "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(json.to_string().as_bytes()).await.unwrap();
        drop(stdin);
        let out = child.wait_with_output().await.unwrap();
        assert!(
            out.status.success(),
            "credentials set: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts `run` on a free loopback port, with a short lease (`ML_CONNECTOR_LEASE_TTL`) so
    /// takeover tests stay short, and waits until `/healthz` answers.
    pub(crate) async fn start(&self, lease_ttl: &str) -> Service {
        let addr = free_addr();
        let log = self.path(&format!("run-{}.log", addr.port()));
        let child = self
            .command()
            .args(["run", "--listen", &addr.to_string(), "--log-format", "json"])
            .env(mlc_lease_env(), lease_ttl)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let svc = Service {
            child,
            addr,
            log,
            http: reqwest::Client::new(),
        };
        svc.wait_healthy().await;
        svc
    }
}

fn mlc_lease_env() -> &'static str {
    "ML_CONNECTOR_LEASE_TTL"
}

/// A free loopback address (bound, then released for the child).
pub(crate) fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// A running `ml-connector run`.
pub(crate) struct Service {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) log: PathBuf,
    pub(crate) http: reqwest::Client,
}

impl Service {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn log_text(&self) -> String {
        read(&self.log)
    }

    async fn wait_healthy(&self) {
        for _ in 0..300 {
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("service did not become healthy:\n{}", self.log_text());
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub(crate) async fn post_xml(&self, path: &str, body: String) -> (u16, String) {
        let r = self
            .http
            .post(self.url(path))
            .header("content-type", "text/xml")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Polls `/metrics` until `pred` holds (or panics after `within`).
    pub(crate) async fn metrics_until(
        &self,
        within: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let (_, text) = self.get("/metrics").await;
            if pred(&text) {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("metrics never matched:\n{text}\nlog:\n{}", self.log_text());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGTERM, then the exit status (panics if it takes longer than `within`).
    pub(crate) async fn terminate(
        mut self,
        within: Duration,
    ) -> (std::process::ExitStatus, String) {
        signal(&self.child, "TERM");
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no exit within {within:?} after SIGTERM:\n{}",
                    self.log_text()
                )
            })
            .unwrap();
        (status, self.log_text())
    }

    /// SIGKILL: no cleanup at all.
    pub(crate) async fn kill(mut self) {
        signal(&self.child, "KILL");
        let _ = self.child.wait().await;
    }
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("running").to_string();
    let ok = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name} {pid}");
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The sum of a counter's samples whose label text contains every fragment.
pub(crate) fn counter_sum(metrics: &str, name: &str, fragments: &[&str]) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter(|l| fragments.iter().all(|f| l.contains(f)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
