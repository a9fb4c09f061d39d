//! The harness of the app's test targets (`e2e`, `service`, `vouchers`, `cli`): both simulators
//! in-process, a temp dir with a config written by `init` and a vault holding the simulators'
//! credentials, the real `ml-connector` binary (one-shot commands, or `run` as a service), and
//! readers of what each simulator holds.
//!
//! It depends on the simulators and the store, never on the connector's own crates: the tests
//! drive the binary from outside.
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use mlc_core::Decimal;
use mlc_sim::jaggaer::{JaggaerSim, JaggaerSimConfig};
use mlc_sim::jde::{JdeSim, JdeSimConfig, SimSize};
use mlc_store::StateStore;
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Child;

/// A base64 key of 32 bytes (fixed, for tests only).
pub const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// The cXML shared secret stored for every tenant.
pub const CXML_SECRET: &str = "mlc-cxml-secret";
/// The XML Router `Identity` stored for every tenant (the JAGGAER simulator's default).
pub const XML_IDENTITY: &str = "mlc-org";
/// The XML Router `SharedSecret` stored for every tenant (the JAGGAER simulator's default).
pub const XML_SECRET: &str = "mlc-xml-secret";
/// The tenant of single-tenant configs.
pub const TENANT: &str = "acme";
/// `EDUS` of the init template.
pub const BATCH_USER: &str = "MLCONN";

/// The `ml-connector` binary Cargo built for the running test (it sits next to the `deps`
/// directory holding the test executable, as `CARGO_BIN_EXE_ml-connector` would name it).
pub fn bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe.parent().expect("deps/");
    let dir = if dir.ends_with("deps") {
        dir.parent().expect("target/debug/")
    } else {
        dir
    };
    dir.join(format!("ml-connector{}", std::env::consts::EXE_SUFFIX))
}

/// The JDE simulator's clock, frozen 10 minutes in the past: everything it stamps (the
/// generated history and the changes a test makes) is older than the connector's safety lag,
/// so the next `sync` sees it without waiting.
pub fn jde_config(suppliers: usize, pos: usize) -> JdeSimConfig {
    let mut cfg = JdeSimConfig {
        size: SimSize::Custom { suppliers, pos },
        ..JdeSimConfig::default()
    };
    let tz = jiff::tz::TimeZone::get(&cfg.knobs.timezone).unwrap();
    let now = jiff::Timestamp::now().to_zoned(tz);
    let past = now
        .checked_sub(jiff::SignedDuration::from_mins(10))
        .unwrap();
    cfg.knobs.frozen_now = Some(past.datetime());
    cfg
}

/// Both simulators.
pub struct Sims {
    /// JD Edwards (AIS).
    pub jde: JdeSim,
    /// JAGGAER (J1P and cXML).
    pub jag: JaggaerSim,
}

impl Sims {
    /// Small data: 8 suppliers, 16 POs, JDE's clock frozen 10 minutes back.
    pub async fn small() -> Sims {
        Sims::start(jde_config(8, 16), JaggaerSimConfig::default()).await
    }

    /// The simulators' default data and live clocks.
    pub async fn standard() -> Sims {
        Sims::start(JdeSimConfig::default(), JaggaerSimConfig::default()).await
    }

    /// Both simulators with these configs.
    pub async fn start(jde: JdeSimConfig, jag: JaggaerSimConfig) -> Sims {
        Sims {
            jde: JdeSim::start(jde).await.unwrap(),
            jag: JaggaerSim::start(jag).await.unwrap(),
        }
    }

    /// JAGGAER requests that write (everything but the token endpoint and reads).
    pub fn jaggaer_writes(&self) -> Vec<String> {
        self.jag
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.endpoint != "token")
            .map(|r| format!("{} {} -> {}", r.endpoint, r.path, r.status))
            .collect()
    }

    /// Voucher orchestration calls seen by JDE.
    pub fn orchestration_calls(&self) -> usize {
        self.jde
            .requests()
            .iter()
            .filter(|r| r.path.contains("/orchestrator/"))
            .count()
    }

    /// Forgets the requests both simulators logged.
    pub fn clear_logs(&self) {
        self.jde.clear_requests();
        self.jag.clear_requests();
    }
}

/// Options of the single-tenant test config ([`Env::with`]).
#[derive(Clone, Default)]
pub struct Options {
    /// `transport = "cxml"`.
    pub cxml: bool,
    /// `transport = "xml"` (takes precedence over `cxml`).
    pub xml: bool,
    /// The store (default: SQLite in the temp dir).
    pub store_url: Option<String>,
    /// Extra lines appended to `[tenants.jde]`.
    pub jde_extra: String,
}

/// A tenant of a multi-tenant test config ([`Env::tenants`]).
pub struct Tenant {
    /// Tenant id.
    pub id: &'static str,
    /// `transport = "cxml"`.
    pub cxml: bool,
}

/// A temp dir with config and vault.
pub struct Env {
    /// The directory (removed on drop).
    pub dir: tempfile::TempDir,
    /// `[store] url` of the config.
    pub store_url: String,
}

impl Env {
    /// A temp dir where `init` has run, with `[store] url` pointing at `store_url` (default:
    /// SQLite in the temp dir). Returns the env and the init template.
    fn init(store_url: Option<&str>) -> (Env, String) {
        let dir = tempfile::tempdir().unwrap();
        let store_url = store_url
            .map(str::to_owned)
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("store.db").display()));
        let env = Env { dir, store_url };
        let out = env.cmd(&["init"]);
        assert!(out.status.success(), "init: {}", stderr(&out));
        let template = std::fs::read_to_string(env.path("ml-connector.toml")).unwrap();
        let template = template.replace(
            "url = \"sqlite://ml-connector.db\"",
            &format!("url = \"{}\"", env.store_url),
        );
        (env, template)
    }

    /// Tenant `acme` with the default [`Options`].
    pub async fn new(sims: &Sims) -> Env {
        Env::with(sims, Options::default()).await
    }

    /// Tenant `acme` (from `init`'s template, with company 00200's and 00400's own charge
    /// accounts) and the simulators' credentials.
    pub async fn with(sims: &Sims, opts: Options) -> Env {
        let (env, mut text) = Env::init(opts.store_url.as_deref());
        if opts.xml {
            text = text.replace("transport = \"rest\"", "transport = \"xml\"");
        } else if opts.cxml {
            text = text.replace("transport = \"rest\"", "transport = \"cxml\"");
        }
        text = text.replace(
            "max_in_flight = 2\n",
            &format!("max_in_flight = 2\n{}\n", opts.jde_extra),
        );
        // Vouchers of the companies other than 00100 go to their own accounts.
        for (co, bu) in [("00200", "200"), ("00400", "400")] {
            text.push_str(&format!(
                "\n[tenants.mapping.companies.\"{co}\"]\ntax_account = \"{bu}.2310\"\n\
                 charge_accounts = {{ freight = \"{bu}.6210\", handling = \"{bu}.6210\", \
                 misc = \"{bu}.6290\", discount = \"{bu}.6295\" }}\n"
            ));
        }
        std::fs::write(env.path("ml-connector.toml"), text).unwrap();
        env.set_credentials(TENANT, sims).await;
        env
    }

    /// One `[[tenants]]` block per tenant (from `init`'s template, polled every 10 s) and
    /// credentials for the simulators.
    pub async fn tenants(sims: &Sims, tenants: &[Tenant], store_url: Option<&str>) -> Env {
        let (env, template) = Env::init(store_url);
        let (head, tenant_block) = template.split_once("\n[[tenants]]\n").unwrap();
        let mut text = head.to_owned();
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
    pub async fn set_credentials(&self, tenant: &str, sims: &Sims) {
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
            "xml_identity": XML_IDENTITY,
            "xml_shared_secret": XML_SECRET,
        });
        self.credentials(tenant, "jde", &jde).await;
        self.credentials(tenant, "jaggaer", &jag).await;
    }

    /// A file in the temp dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The binary in the temp dir with a clean environment (master key, config, `RUST_LOG=warn`,
    /// and `MLC_CXML_DTD` when the test has it), killed when dropped.
    pub fn command(&self) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(bin());
        c.current_dir(self.dir.path())
            .env_clear()
            .env("ML_CONNECTOR_MASTER_KEY", KEY)
            .env("ML_CONNECTOR_CONFIG", self.path("ml-connector.toml"))
            .env("RUST_LOG", "warn")
            .kill_on_drop(true);
        if let Some(dtd) = std::env::var_os("MLC_CXML_DTD") {
            c.env("MLC_CXML_DTD", dtd);
        }
        c
    }

    /// Runs a command to completion.
    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(bin())
            .current_dir(self.dir.path())
            .env_clear()
            .env("ML_CONNECTOR_MASTER_KEY", KEY)
            .env("ML_CONNECTOR_CONFIG", self.path("ml-connector.toml"))
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .unwrap()
    }

    /// `credentials set TENANT SYSTEM --stdin` with this JSON.
    pub async fn credentials(&self, tenant: &str, system: &str, json: &Value) {
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
        assert!(out.status.success(), "credentials set: {}", stderr(&out));
    }

    /// `sync --json`, expecting exit 0; returns the tenant's summary.
    pub async fn sync(&self) -> Summary {
        let out = self.sync_raw().await;
        assert!(
            out.status.success(),
            "sync failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
        Summary::parse(&out)
    }

    /// `sync --json`, whatever the outcome.
    pub async fn sync_raw(&self) -> std::process::Output {
        self.command()
            .args(["sync", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .await
            .unwrap()
    }

    /// The state store of the config.
    pub async fn store(&self) -> Arc<dyn StateStore> {
        mlc_store::open(&self.store_url).await.unwrap()
    }

    /// Starts `run` on a free loopback port (logging JSON at `info` to a file in the temp dir),
    /// with a short lease (`ML_CONNECTOR_LEASE_TTL`) so takeover tests stay short, and waits
    /// until `/healthz` answers.
    pub async fn start(&self, lease_ttl: &str) -> Service {
        let addr = free_addr();
        let log = self.path(&format!("run-{}.log", addr.port()));
        let child = self
            .command()
            .args(["run", "--listen", &addr.to_string(), "--log-format", "json"])
            .env("RUST_LOG", "info")
            .env("ML_CONNECTOR_LEASE_TTL", lease_ttl)
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

/// A command's stderr as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// One tenant's §5 summary.
#[derive(Debug, Clone)]
pub struct Summary {
    /// `ok`, `partial` or `failed`.
    pub status: String,
    /// The whole tenant object.
    pub json: Value,
}

impl Summary {
    /// The one tenant of `sync --json` output.
    pub fn parse(out: &std::process::Output) -> Summary {
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "sync --json printed no JSON ({e}):\n{}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                stderr(out)
            )
        });
        let tenants = json["tenants"].as_array().expect("tenants[]");
        assert_eq!(tenants.len(), 1, "{json:#}");
        let t = tenants[0].clone();
        assert_eq!(t["tenant"], TENANT);
        Summary {
            status: t["status"].as_str().unwrap().to_owned(),
            json: t,
        }
    }

    /// A count of an entity (0 when absent).
    pub fn n(&self, entity: &str, field: &str) -> u64 {
        self.json["entities"][entity][field].as_u64().unwrap_or(0)
    }

    /// created + updated over every entity.
    pub fn writes(&self) -> u64 {
        ["suppliers", "accounts", "purchase-orders", "invoices"]
            .iter()
            .map(|e| self.n(e, "created") + self.n(e, "updated"))
            .sum()
    }
}

// ---- reading the simulators --------------------------------------------------------------------

/// A JSON scalar as text (numbers and strings alike), trimmed.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A JSON scalar as a decimal.
pub fn dec(v: &Value) -> Decimal {
    Decimal::from_str(&text(v)).unwrap_or_else(|e| panic!("not a decimal: {v} ({e})"))
}

/// What JDE holds for one purchase order.
#[derive(Debug, Clone)]
pub struct JdePo {
    /// `KCOO-DCTO-DOCO`.
    pub number: String,
    /// Supplier.
    pub an8: String,
    /// On hold.
    pub hold: bool,
    /// Number of lines.
    pub lines: usize,
    /// Σ AEXP of lines not cancelled.
    pub total: Decimal,
    /// Line numbers of cancelled lines.
    pub cancelled_lines: BTreeSet<String>,
    /// Every line cancelled.
    pub all_cancelled: bool,
}

/// F4301 + F4311 of the JDE simulator, by `KCOO-DCTO-DOCO`, order types OP/OS only.
pub fn jde_pos(jde: &JdeSim) -> BTreeMap<String, JdePo> {
    let mut out = BTreeMap::new();
    // Foreign-currency orders (CRRM F) go out in their currency: FEA, not AEXP.
    let mut foreign = BTreeSet::new();
    for h in jde.table_rows("F4301") {
        let dcto = text(&h["F4301_DCTO"]);
        if dcto != "OP" && dcto != "OS" {
            continue;
        }
        let number = format!(
            "{}-{}-{}",
            text(&h["F4301_KCOO"]),
            dcto,
            text(&h["F4301_DOCO"])
        );
        if text(&h["F4301_CRRM"]) == "F" {
            foreign.insert(number.clone());
        }
        out.insert(
            number.clone(),
            JdePo {
                number,
                an8: text(&h["F4301_AN8"]),
                hold: !text(&h["F4301_HOLD"]).is_empty(),
                lines: 0,
                total: Decimal::ZERO,
                cancelled_lines: BTreeSet::new(),
                all_cancelled: true,
            },
        );
    }
    for l in jde.table_rows("F4311") {
        let number = format!(
            "{}-{}-{}",
            text(&l["F4311_KCOO"]),
            text(&l["F4311_DCTO"]),
            text(&l["F4311_DOCO"])
        );
        let Some(po) = out.get_mut(&number) else {
            continue;
        };
        po.lines += 1;
        if text(&l["F4311_LTTR"]) == "980" {
            po.cancelled_lines
                .insert(dec(&l["F4311_LNID"]).normalize().to_string());
        } else {
            po.all_cancelled = false;
            po.total += if foreign.contains(&number) {
                dec(&l["F4311_FEA"])
            } else {
                dec(&l["F4311_AEXP"])
            };
        }
    }
    out
}

/// JAGGAER's POs by poNumber, panicking on a duplicate poNumber.
pub fn jaggaer_pos(jag: &JaggaerSim) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for po in jag.purchase_orders() {
        let n = text(&po["header"]["poNumber"]);
        assert!(
            out.insert(n.clone(), po).is_none(),
            "poNumber {n} twice in JAGGAER"
        );
    }
    out
}

/// JAGGAER supplier bravoId by extCode.
pub fn bravo_by_ext(jag: &JaggaerSim) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in jag.suppliers() {
        let ext = text(&s["extCode"]);
        assert!(
            out.insert(ext.clone(), text(&s["bravoId"])).is_none(),
            "extCode {ext} twice in JAGGAER"
        );
    }
    out
}

/// Every JDE PO not on hold is in JAGGAER with the right supplier, line count, total and
/// status; held POs are not there.
pub fn assert_pos_match(sims: &Sims) {
    assert_pos_match_with(sims, true);
}

/// As [`assert_pos_match`]; `line_status = false` skips the per-line status (a cXML
/// OrderRequest carries no line status).
pub fn assert_pos_match_with(sims: &Sims, line_status: bool) {
    let jde = jde_pos(&sims.jde);
    let jag = jaggaer_pos(&sims.jag);
    let bravo = bravo_by_ext(&sims.jag);
    for (n, po) in &jde {
        let Some(j) = jag.get(n) else {
            assert!(po.hold, "PO {n} (not on hold) is missing in JAGGAER");
            continue;
        };
        let h = &j["header"];
        assert_eq!(text(&h["supplier"]["extCode"]), po.an8, "PO {n} supplier");
        assert_eq!(
            Some(&text(&h["supplier"]["bravoId"])),
            bravo.get(&po.an8),
            "PO {n} supplier bravoId"
        );
        let lines = j["lineList"]["poLine"].as_array().expect("poLine[]");
        assert_eq!(lines.len(), po.lines, "PO {n} line count");
        assert_eq!(dec(&h["total"]["value"]), po.total, "PO {n} total");
        let want = if po.all_cancelled {
            "Cancelled"
        } else {
            // Closed needs every line closed; the generated data also has received lines.
            ""
        };
        if !want.is_empty() {
            assert_eq!(text(&h["status"]), want, "PO {n} header status");
        } else {
            assert_ne!(text(&h["status"]), "Cancelled", "PO {n} header status");
        }
        for l in lines.iter().filter(|_| line_status) {
            let ln = dec(&l["lineNumber"]).normalize().to_string();
            if po.cancelled_lines.contains(&ln) {
                assert_eq!(text(&l["status"]), "Cancelled", "PO {n} line {ln} status");
            } else {
                assert_ne!(text(&l["status"]), "Cancelled", "PO {n} line {ln} status");
            }
        }
    }
    for n in jag.keys() {
        assert!(jde.contains_key(n), "JAGGAER has PO {n} that JDE does not");
    }
}

/// Payable PO-backed invoices held back on purpose until their PO line is in JDE or received
/// (interface §8): ledger `waiting` with the reason kept (`waiting_for`). They are neither a
/// voucher nor a quarantine entry yet.
pub async fn invoices_waiting_for_po(env: &Env) -> usize {
    let tenant: mlc_core::ids::TenantId = TENANT.parse().unwrap();
    env.store()
        .await
        .ledger_by_status(
            &tenant,
            mlc_core::record::RecordKind::Invoice,
            Some(mlc_store::LedgerStatus::Waiting),
        )
        .await
        .unwrap()
        .iter()
        .filter(|l| l.detail.get("waiting_for").is_some())
        .count()
}

/// JDE suppliers (F0401 AN8).
pub fn jde_suppliers(jde: &JdeSim) -> BTreeSet<String> {
    jde.table_rows("F0401")
        .iter()
        .map(|r| text(&r["F0401_AN8"]))
        .collect()
}

/// F0901 accounts as `BU.OBJ[.SUB]`.
pub fn jde_accounts(jde: &JdeSim) -> BTreeSet<String> {
    jde.table_rows("F0901")
        .iter()
        .map(|r| {
            let (bu, obj, sub) = (
                text(&r["F0901_MCU"]),
                text(&r["F0901_OBJ"]),
                text(&r["F0901_SUB"]),
            );
            if sub.is_empty() {
                format!("{bu}.{obj}")
            } else {
                format!("{bu}.{obj}.{sub}")
            }
        })
        .collect()
}

/// F0006 business units (trimmed).
pub fn jde_business_units(jde: &JdeSim) -> BTreeSet<String> {
    jde.table_rows("F0006")
        .iter()
        .map(|r| text(&r["F0006_MCU"]))
        .collect()
}

/// The values of a JAGGAER value list.
pub fn values(jag: &JaggaerSim, field: &str) -> BTreeSet<String> {
    jag.custom_field_values(field)
        .iter()
        .map(|v| text(&v["value"]))
        .collect()
}

/// F0411Z1 rows.
pub fn z_rows(jde: &JdeSim) -> Vec<Value> {
    jde.table_rows("F0411Z1")
}

/// Asserts no voucher transaction (EDUS + EDTN) was inserted twice.
pub fn assert_vouchers_unique(jde: &JdeSim) {
    let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in z_rows(jde) {
        let key = (text(&r["F0411Z1_EDUS"]), text(&r["F0411Z1_EDTN"]));
        let batch = text(&r["F0411Z1_EDBT"]);
        if let Some(prev) = seen.insert(key.clone(), batch.clone()) {
            panic!("voucher {key:?} inserted twice (batches {prev} and {batch})");
        }
    }
    // And JDE never got the same supplier invoice twice (EDTN differs for the same VINV only
    // when the connector lost track of an invoice).
    let mut vinv: BTreeSet<(String, String)> = BTreeSet::new();
    for r in z_rows(jde) {
        let key = (text(&r["F0411Z1_AN8"]), text(&r["F0411Z1_VINV"]));
        assert!(
            vinv.insert(key.clone()),
            "supplier invoice {key:?} vouchered twice"
        );
    }
}

/// A free loopback address (bound, then released for the child).
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// A running `ml-connector run`.
pub struct Service {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its log file.
    pub log: PathBuf,
    /// A client for its endpoints.
    pub http: reqwest::Client,
}

impl Service {
    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
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

    /// GET: status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// POST a `text/xml` body: status and body.
    pub async fn post_xml(&self, path: &str, body: String) -> (u16, String) {
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
    pub async fn metrics_until(&self, within: Duration, pred: impl Fn(&str) -> bool) -> String {
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
    pub async fn terminate(mut self, within: Duration) -> (std::process::ExitStatus, String) {
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

    /// SIGSTOP: the process freezes (timers, connections, lease renewal) until [`Service::resume`].
    pub fn freeze(&self) {
        signal(&self.child, "STOP");
    }

    /// SIGCONT after [`Service::freeze`].
    pub fn resume(&self) {
        signal(&self.child, "CONT");
    }

    /// SIGKILL: no cleanup at all.
    pub async fn kill(mut self) {
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
pub fn counter_sum(metrics: &str, name: &str, fragments: &[&str]) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter(|l| fragments.iter().all(|f| l.contains(f)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
