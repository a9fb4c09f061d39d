//! Driving the `ml-connector` binary exactly through its public interface (interface.md §3–5):
//! a config file in a temporary directory, a fresh master key, `credentials set ... --stdin`,
//! then `sync --json` runs measured by [`crate::measure`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tempfile::TempDir;

use crate::measure::{ChildRun, run_measured, tail};

/// Connector settings the benchmark varies (the rest is fixed in [`Workspace::create`]).
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorKnobs {
    /// `[tenants] jde_timezone`; must match the JDE simulator's time zone.
    pub jde_timezone: String,
    /// `[tenants.jde] page_size`.
    pub page_size: u32,
    /// `[tenants.jde] max_in_flight` (the customer's AIS ceiling).
    pub jde_max_in_flight: u32,
    /// `[tenants.jaggaer] rate_limit` in requests/s.
    pub jaggaer_rate_limit: u32,
}

/// Counts of one entity in the `sync --json` summary (§5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityCounts {
    /// Records read from the source.
    #[serde(default)]
    pub read: u64,
    /// Created in the target.
    #[serde(default)]
    pub created: u64,
    /// Updated in the target.
    #[serde(default)]
    pub updated: u64,
    /// Already identical in the target.
    #[serde(default)]
    pub unchanged: u64,
    /// Set aside with a reason.
    #[serde(default)]
    pub quarantined: u64,
    /// Held back on purpose (invoices not yet payable).
    #[serde(default)]
    pub waiting: u64,
}

impl EntityCounts {
    /// Writes the connector made (created + updated).
    pub fn writes(&self) -> u64 {
        self.created + self.updated
    }
}

/// One tenant of the summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantSummary {
    /// Tenant id.
    pub tenant: String,
    /// `ok`, `partial` or `failed`.
    pub status: String,
    /// Per entity counts.
    #[serde(default)]
    pub entities: BTreeMap<String, EntityCounts>,
    /// The connector's own duration of the cycle.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// Failure text when `status` is `failed`.
    #[serde(default)]
    pub error: Option<String>,
}

/// The `sync --json` summary object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncSummary {
    /// Overall status.
    pub status: String,
    /// Per tenant.
    pub tenants: Vec<TenantSummary>,
}

impl SyncSummary {
    /// Parses the summary from the child's stdout (the last line that is a JSON object, so a
    /// stray line before it does not break the benchmark).
    pub fn parse(stdout: &str) -> anyhow::Result<SyncSummary> {
        if let Ok(s) = serde_json::from_str::<SyncSummary>(stdout.trim()) {
            return Ok(s);
        }
        let mut last_err = None;
        for line in stdout
            .lines()
            .rev()
            .filter(|l| l.trim_start().starts_with('{'))
        {
            match serde_json::from_str::<SyncSummary>(line) {
                Ok(s) => return Ok(s),
                Err(e) => last_err = Some(e),
            }
        }
        match last_err {
            Some(e) => Err(e).context("sync --json printed JSON that is not the §5 summary"),
            None => bail!(
                "sync --json printed no JSON object; stdout was:\n{}",
                tail(stdout, 2000)
            ),
        }
    }

    /// Entity counts summed over tenants.
    pub fn entities(&self) -> BTreeMap<String, EntityCounts> {
        let mut out: BTreeMap<String, EntityCounts> = BTreeMap::new();
        for t in &self.tenants {
            for (k, c) in &t.entities {
                let e = out.entry(k.clone()).or_default();
                e.read += c.read;
                e.created += c.created;
                e.updated += c.updated;
                e.unchanged += c.unchanged;
                e.quarantined += c.quarantined;
                e.waiting += c.waiting;
            }
        }
        out
    }
}

/// A measured `sync` run.
#[derive(Debug, Clone)]
pub struct SyncRun {
    /// The parsed summary.
    pub summary: SyncSummary,
    /// The child's measurements.
    pub child: ChildRun,
}

/// A connector installation in a temporary directory: config, vault, SQLite store.
#[derive(Debug)]
pub struct Workspace {
    dir: TempDir,
    binary: PathBuf,
    config: PathBuf,
    /// Base64 master key, given to every child in `ML_CONNECTOR_MASTER_KEY`.
    master_key: String,
    timeout: Duration,
}

/// The tenant id used by the benchmark.
pub const TENANT: &str = "bench";

impl Workspace {
    /// Writes the config and stores both credential sets through the binary.
    pub fn create(
        binary: &Path,
        knobs: &ConnectorKnobs,
        jde_base_url: &str,
        jaggaer_base_url: &str,
        timeout: Duration,
    ) -> anyhow::Result<Workspace> {
        let dir = tempfile::Builder::new()
            .prefix("mlc-bench-")
            .tempdir()
            .context("creating the benchmark's temporary directory")?;
        let config = dir.path().join("ml-connector.toml");
        std::fs::write(&config, config_toml(dir.path(), knobs))
            .with_context(|| format!("writing {}", config.display()))?;
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let ws = Workspace {
            binary: binary.to_owned(),
            config,
            master_key: base64::engine::general_purpose::STANDARD.encode(key),
            timeout,
            dir,
        };
        let jde = serde_json::json!({
            "base_url": jde_base_url, "username": "JDEUSER", "password": "JDEPASS",
        });
        let jaggaer = serde_json::json!({
            "base_url": jaggaer_base_url, "client_id": "mlc-client", "client_secret": "mlc-secret",
        });
        ws.credentials_set("jde", &jde)?;
        ws.credentials_set("jaggaer", &jaggaer)?;
        Ok(ws)
    }

    /// The temporary directory (store, vault, config).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.binary);
        c.arg("--config")
            .arg(&self.config)
            .arg("--log-format")
            .arg("json")
            .env("ML_CONNECTOR_MASTER_KEY", &self.master_key)
            // The connector's own peak RSS (see measure.rs).
            .env("MLC_REPORT_PEAK_RSS", "1")
            // Nothing from the caller's environment may redirect the run.
            .env_remove("ML_CONNECTOR_CONFIG")
            .current_dir(self.dir.path());
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("ML_CONNECTOR__") {
                c.env_remove(k);
            }
        }
        c
    }

    fn credentials_set(&self, system: &str, body: &serde_json::Value) -> anyhow::Result<()> {
        let mut c = self.command();
        c.args(["credentials", "set", TENANT, system, "--stdin"]);
        let r = run_measured(c, Some(body.to_string().as_bytes()), self.timeout)?;
        if r.code != Some(0) {
            bail!(
                "`ml-connector credentials set {TENANT} {system} --stdin` exited with {:?}:\n{}",
                r.code,
                tail(&r.stderr, 2000)
            );
        }
        Ok(())
    }

    /// Runs `sync --json` for the given entities (all when empty), measured.
    pub fn sync(&self, entities: &[&str]) -> anyhow::Result<SyncRun> {
        let mut c = self.command();
        c.args(["sync", "--tenant", TENANT, "--json"]);
        for e in entities {
            c.args(["--entity", e]);
        }
        let child = run_measured(c, None, self.timeout)?;
        let summary = SyncSummary::parse(&child.stdout).with_context(|| {
            format!(
                "`ml-connector sync` (entities {entities:?}) exited with {:?}; stderr ends with:\n{}",
                child.code,
                tail(&child.stderr, 3000)
            )
        })?;
        if child.code != Some(0) || summary.status == "failed" {
            let errs: Vec<String> = summary
                .tenants
                .iter()
                .filter_map(|t| t.error.clone())
                .collect();
            bail!(
                "`ml-connector sync` (entities {entities:?}) failed (exit {:?}): {}\nstderr ends with:\n{}",
                child.code,
                errs.join("; "),
                tail(&child.stderr, 3000)
            );
        }
        Ok(SyncRun { summary, child })
    }
}

/// The config file of interface.md §4 for one tenant `bench`.
pub fn config_toml(dir: &Path, k: &ConnectorKnobs) -> String {
    // TOML basic strings: escape backslashes and quotes of the temp path.
    let q = |p: &Path| {
        p.display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    };
    format!(
        r#"# Written by mlc-bench for one benchmark run.
[store]
url = "sqlite://{store}"

[vault]
path = "{vault}"

[[tenants]]
id = "{TENANT}"
poll_interval = "5m"
jde_timezone = "{tz}"

[tenants.jde]
batch_user = "MLCONN"
voucher_orchestration = "ML_AddVoucherBatch"
company = "00200"
po_order_types = ["OP", "OS"]
page_size = {page}
max_in_flight = {inflight}

[tenants.jaggaer]
transport = "rest"
rate_limit = {rate}

[tenants.mapping]
gl_account_field = "Account"
cost_center_field = "CostCenter"
invoice_statuses = ["Payable"]
account_format = "full"
tax = "line"
tax_account = "100.2310"
charge_accounts = {{ freight = "100.6210", handling = "100.6210", misc = "100.6290", discount = "100.6295" }}

[tenants.mapping.companies."00200"]
tax_account = "200.2310"
charge_accounts = {{ freight = "200.6210", handling = "200.6210", misc = "200.6290", discount = "200.6295" }}

[tenants.mapping.companies."00300"]
tax_account = "300.2310"
charge_accounts = {{ freight = "300.6210", handling = "300.6210", misc = "300.6290", discount = "300.6295" }}

[tenants.mapping.companies."00400"]
tax_account = "400.2310"
charge_accounts = {{ freight = "400.6210", handling = "400.6210", misc = "400.6290", discount = "400.6295" }}
"#,
        store = q(&dir.join("state.db")),
        vault = q(&dir.join("ml-connector.vault")),
        tz = k.jde_timezone,
        page = k.page_size,
        inflight = k.jde_max_in_flight,
        rate = k.jaggaer_rate_limit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_interface_example_summary() {
        let out = r#"{ "status": "ok",
  "tenants": [ { "tenant": "acme", "status": "ok",
    "entities": {
      "suppliers":       { "read": 12, "created": 2, "updated": 1, "unchanged": 9, "quarantined": 0 },
      "invoices":        { "read": 4,  "created": 3, "updated": 0, "unchanged": 0, "quarantined": 1, "waiting": 0 } },
    "duration_ms": 812 } ] }"#;
        let s = SyncSummary::parse(out).unwrap();
        let e = s.entities();
        assert_eq!(e["suppliers"].writes(), 3);
        assert_eq!(e["invoices"].quarantined, 1);
        assert_eq!(s.tenants[0].duration_ms, Some(812));
    }

    #[test]
    fn finds_the_summary_after_other_lines() {
        let out = "warning: something\n{\"status\":\"ok\",\"tenants\":[]}\n";
        assert_eq!(SyncSummary::parse(out).unwrap().status, "ok");
        assert!(SyncSummary::parse("no json here").is_err());
    }

    #[test]
    fn config_has_the_benchmark_settings() {
        let k = ConnectorKnobs {
            jde_timezone: "America/Chicago".into(),
            page_size: 1000,
            jde_max_in_flight: 4,
            jaggaer_rate_limit: 200,
        };
        let t = config_toml(Path::new("/tmp/x"), &k);
        let v: toml::Table = toml::from_str(&t).unwrap();
        let tenant = &v["tenants"].as_array().unwrap()[0];
        assert_eq!(tenant["id"].as_str(), Some(TENANT));
        assert_eq!(tenant["jde"]["page_size"].as_integer(), Some(1000));
        assert_eq!(tenant["jde"]["max_in_flight"].as_integer(), Some(4));
        assert_eq!(tenant["jaggaer"]["rate_limit"].as_integer(), Some(200));
        assert_eq!(v["store"]["url"].as_str(), Some("sqlite:///tmp/x/state.db"));
    }
}
