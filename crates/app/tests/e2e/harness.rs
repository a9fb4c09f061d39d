//! Both simulators in-process, a temp dir with config + vault, and the real binary.
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::str::FromStr as _;
use std::sync::Arc;

use mlc_core::Decimal;
use mlc_sim::jaggaer::{JaggaerSim, JaggaerSimConfig};
use mlc_sim::jde::{JdeSim, JdeSimConfig, SimSize};
use mlc_store::StateStore;
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;

/// A base64 key of 32 bytes (fixed, for tests only).
pub(crate) const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub(crate) const CXML_SECRET: &str = "mlc-cxml-secret";
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_ml-connector");
pub(crate) const TENANT: &str = "acme";
pub(crate) const BATCH_USER: &str = "MLCONN";

/// The JDE simulator's clock, frozen 10 minutes in the past: everything it stamps (the
/// generated history and the changes a test makes) is older than the connector's safety lag,
/// so the next `sync` sees it without waiting.
pub(crate) fn jde_config(suppliers: usize, pos: usize) -> JdeSimConfig {
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
pub(crate) struct Sims {
    pub(crate) jde: JdeSim,
    pub(crate) jag: JaggaerSim,
}

impl Sims {
    /// Small data: 8 suppliers, 16 POs.
    pub(crate) async fn small() -> Sims {
        Sims::start(jde_config(8, 16), JaggaerSimConfig::default()).await
    }

    pub(crate) async fn start(jde: JdeSimConfig, jag: JaggaerSimConfig) -> Sims {
        Sims {
            jde: JdeSim::start(jde).await.unwrap(),
            jag: JaggaerSim::start(jag).await.unwrap(),
        }
    }

    /// JAGGAER requests that write (everything but the token endpoint and reads).
    pub(crate) fn jaggaer_writes(&self) -> Vec<String> {
        self.jag
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.endpoint != "token")
            .map(|r| format!("{} {} -> {}", r.endpoint, r.path, r.status))
            .collect()
    }

    /// Voucher orchestration calls seen by JDE.
    pub(crate) fn orchestration_calls(&self) -> usize {
        self.jde
            .requests()
            .iter()
            .filter(|r| r.path.contains("/orchestrator/"))
            .count()
    }

    pub(crate) fn clear_logs(&self) {
        self.jde.clear_requests();
        self.jag.clear_requests();
    }
}

/// Options of the test config.
#[derive(Clone, Default)]
pub(crate) struct Options {
    pub(crate) cxml: bool,
    pub(crate) store_url: Option<String>,
    /// Extra lines appended to `[tenants.jde]`.
    pub(crate) jde_extra: String,
}

/// A temp dir with config and vault for one tenant `acme`.
pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) store_url: String,
}

impl Env {
    pub(crate) async fn new(sims: &Sims) -> Env {
        Env::with(sims, Options::default()).await
    }

    /// Writes the config (from `init`'s template) and stores the simulators' credentials.
    pub(crate) async fn with(sims: &Sims, opts: Options) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store_url = opts
            .store_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("store.db").display()));
        let env = Env { dir, store_url };
        let out = env.cmd(&["init"]);
        assert!(out.status.success(), "init: {}", stderr(&out));
        let template = std::fs::read_to_string(env.path("ml-connector.toml")).unwrap();
        let mut text = template.replace(
            "url = \"sqlite://ml-connector.db\"",
            &format!("url = \"{}\"", env.store_url),
        );
        if opts.cxml {
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
        env.credentials("jde", &jde).await;
        env.credentials("jaggaer", &jag).await;
        env
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn command(&self) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(BIN);
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
    pub(crate) fn cmd(&self, args: &[&str]) -> std::process::Output {
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

    pub(crate) async fn credentials(&self, system: &str, json: &Value) {
        let mut child = self
            .command()
            .args(["credentials", "set", TENANT, system, "--stdin"])
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
    pub(crate) async fn sync(&self) -> Summary {
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
    pub(crate) async fn sync_raw(&self) -> std::process::Output {
        self.command()
            .args(["sync", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .await
            .unwrap()
    }

    pub(crate) async fn store(&self) -> Arc<dyn StateStore> {
        mlc_store::open(&self.store_url).await.unwrap()
    }
}

pub(crate) fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// One tenant's §5 summary.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    pub(crate) status: String,
    pub(crate) json: Value,
}

impl Summary {
    pub(crate) fn parse(out: &std::process::Output) -> Summary {
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
    pub(crate) fn n(&self, entity: &str, field: &str) -> u64 {
        self.json["entities"][entity][field].as_u64().unwrap_or(0)
    }

    /// created + updated over every entity.
    pub(crate) fn writes(&self) -> u64 {
        ["suppliers", "accounts", "purchase-orders", "invoices"]
            .iter()
            .map(|e| self.n(e, "created") + self.n(e, "updated"))
            .sum()
    }
}

// ---- reading the simulators --------------------------------------------------------------------

/// A JSON scalar as text (numbers and strings alike), trimmed.
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(crate) fn dec(v: &Value) -> Decimal {
    Decimal::from_str(&text(v)).unwrap_or_else(|e| panic!("not a decimal: {v} ({e})"))
}

/// What JDE holds for one purchase order.
#[derive(Debug, Clone)]
pub(crate) struct JdePo {
    pub(crate) number: String,
    pub(crate) an8: String,
    pub(crate) hold: bool,
    pub(crate) lines: usize,
    /// Σ AEXP of lines not cancelled.
    pub(crate) total: Decimal,
    pub(crate) cancelled_lines: BTreeSet<String>,
    pub(crate) all_cancelled: bool,
}

/// F4301 + F4311 of the JDE simulator, by `KCOO-DCTO-DOCO`, order types OP/OS only.
pub(crate) fn jde_pos(jde: &JdeSim) -> BTreeMap<String, JdePo> {
    let mut out = BTreeMap::new();
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
            po.total += dec(&l["F4311_AEXP"]);
        }
    }
    out
}

/// JAGGAER's POs by poNumber, panicking on a duplicate poNumber.
pub(crate) fn jaggaer_pos(jag: &JaggaerSim) -> BTreeMap<String, Value> {
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
pub(crate) fn bravo_by_ext(jag: &JaggaerSim) -> BTreeMap<String, String> {
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
pub(crate) fn assert_pos_match(sims: &Sims) {
    assert_pos_match_with(sims, true);
}

/// As [`assert_pos_match`]; `line_status = false` skips the per-line status (a cXML
/// OrderRequest carries no line status).
pub(crate) fn assert_pos_match_with(sims: &Sims, line_status: bool) {
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

/// JDE suppliers (F0401 AN8).
pub(crate) fn jde_suppliers(jde: &JdeSim) -> BTreeSet<String> {
    jde.table_rows("F0401")
        .iter()
        .map(|r| text(&r["F0401_AN8"]))
        .collect()
}

/// F0901 accounts as `BU.OBJ[.SUB]`.
pub(crate) fn jde_accounts(jde: &JdeSim) -> BTreeSet<String> {
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
pub(crate) fn jde_business_units(jde: &JdeSim) -> BTreeSet<String> {
    jde.table_rows("F0006")
        .iter()
        .map(|r| text(&r["F0006_MCU"]))
        .collect()
}

pub(crate) fn values(jag: &JaggaerSim, field: &str) -> BTreeSet<String> {
    jag.custom_field_values(field)
        .iter()
        .map(|v| text(&v["value"]))
        .collect()
}

/// F0411Z1 rows.
pub(crate) fn z_rows(jde: &JdeSim) -> Vec<Value> {
    jde.table_rows("F0411Z1")
}

/// Asserts no voucher transaction (EDUS + EDTN) was inserted twice.
pub(crate) fn assert_vouchers_unique(jde: &JdeSim) {
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
