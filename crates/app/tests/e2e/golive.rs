//! Issue 19: `sync --dry-run` writes nothing anywhere and lists exactly what the real cycle
//! then writes (byte for byte, every entity, `transport = "rest"` and `"xml"`), and
//! `golive-check` prints its page and exits 1 when a record would be quarantined.
use std::process::Stdio;

use mlc_sim::jaggaer::JaggaerSimConfig;
use serde_json::{Value, json};

use crate::harness::*;

/// Simulators whose JAGGAER does not invoice POs by itself, with every invoice payable: what
/// JAGGAER will do *after* a write is no part of what a dry run can know.
async fn sims() -> Sims {
    let mut jag = JaggaerSimConfig::default();
    jag.knobs.invoice_on_po = 0.0;
    jag.knobs.pending_rate = 0.0;
    Sims::start(jde_config(8, 12), jag).await
}

async fn run(env: &Env, args: &[&str]) -> std::process::Output {
    env.command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Everything both simulators hold.
fn sim_state(sims: &Sims) -> Value {
    json!({
        "suppliers": sims.jag.suppliers(),
        "pos": sims.jag.purchase_orders(),
        "accounts": sims.jag.custom_field_values("Account"),
        "cost_centers": sims.jag.custom_field_values("CostCenter"),
        "invoices": sims.jag.invoices(),
        "cxml": sims.jag.cxml_orders_received(),
        "f0411z1": sims.jde.table_rows("F0411Z1"),
        "f0911z1": sims.jde.table_rows("F0911Z1"),
        "jobs": sims.jde.report_jobs().len(),
    })
}

/// Everything the store holds that a cycle changes.
async fn store_state(env: &Env) -> String {
    let store = env.store().await;
    let t: mlc_core::ids::TenantId = TENANT.parse().unwrap();
    let mut ledger = Vec::new();
    for kind in [
        mlc_core::record::RecordKind::Supplier,
        mlc_core::record::RecordKind::Account,
        mlc_core::record::RecordKind::CostCenter,
        mlc_core::record::RecordKind::Po,
        mlc_core::record::RecordKind::Invoice,
    ] {
        ledger.push(format!(
            "{:?}",
            store.ledger_by_status(&t, kind, None).await.unwrap()
        ));
        ledger.push(format!("{:?}", store.xrefs(&t, kind).await.unwrap()));
    }
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{}",
        store.cursors(&t).await.unwrap(),
        store.quarantine_list(None, false).await.unwrap(),
        store.runs(None, 1000).await.unwrap().len(),
        store.tenant_state(&t).await.unwrap(),
        ledger.join("\n")
    )
}

/// Reads both simulators answered since their logs were cleared (every request but the writes:
/// JAGGAER POSTs other than the token, the voucher orchestration, report launches).
fn reads(sims: &Sims) -> (usize, usize) {
    let jde = sims
        .jde
        .requests()
        .iter()
        .filter(|r| !r.path.contains("/orchestrator/") && !r.path.contains("report/execute"))
        .count();
    let jag = sims
        .jag
        .requests()
        .iter()
        .filter(|r| !(r.method == "POST" && r.endpoint != "token"))
        .count();
    (jde, jag)
}

fn count(writes: &Value, action: &str) -> usize {
    writes
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["action"] == action)
        .count()
}

/// A dry run (which must leave both simulators and the store untouched), then the real cycle
/// with `--writes`: both list the same writes, byte for byte, and count the same. Returns the
/// writes.
async fn dry_then_real(env: &Env, sims: &Sims, entities: &[&str]) -> Value {
    let mut flags: Vec<&str> = Vec::new();
    for e in entities {
        flags.extend(["--entity", e]);
    }
    sims.clear_logs();
    let sims_before = sim_state(sims);
    let store_before = store_state(env).await;

    let mut args = vec!["sync", "--dry-run", "--json"];
    args.extend(&flags);
    let dry = json_of(&run(env, &args).await);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        sims.jaggaer_writes(),
        Vec::<String>::new(),
        "no JAGGAER write"
    );
    assert_eq!(sims.orchestration_calls(), 0, "no orchestration call");
    assert!(
        !sims
            .jde
            .requests()
            .iter()
            .any(|r| r.path.contains("report/execute")),
        "no processor launch"
    );
    assert_eq!(sim_state(sims), sims_before, "the simulators are untouched");
    assert_eq!(
        store_state(env).await,
        store_before,
        "the store is untouched"
    );
    let dry_reads = reads(sims);

    sims.clear_logs();
    let mut args = vec!["sync", "--json", "--writes"];
    args.extend(&flags);
    let real = json_of(&run(env, &args).await);
    let real_reads = reads(sims);
    eprintln!(
        "reads (JDE, JAGGAER) for {entities:?}: dry run {dry_reads:?}, real cycle {real_reads:?}"
    );
    assert!(
        dry_reads.0 <= real_reads.0 && dry_reads.1 <= real_reads.1,
        "a dry run reads no more than the real cycle: {dry_reads:?} vs {real_reads:?}"
    );
    assert_eq!(real["dry_run"], false);
    let (d, r) = (&dry["tenants"][0], &real["tenants"][0]);
    assert_eq!(
        d["entities"], r["entities"],
        "the dry run counts what the cycle does"
    );
    assert_eq!(
        serde_json::to_string_pretty(&d["writes"]).unwrap(),
        serde_json::to_string_pretty(&r["writes"]).unwrap(),
        "the dry run lists exactly what the cycle writes"
    );
    assert_eq!(
        d["quarantine"].as_array().map(Vec::len).unwrap_or(0) as u64,
        {
            let n = |e: &str| r["entities"][e]["quarantined"].as_u64().unwrap_or(0);
            n("suppliers") + n("accounts") + n("purchase-orders") + n("invoices")
        }
    );
    d["writes"].clone()
}

/// Suppliers and accounts, then POs, then (after the businesses moved on) a whole cycle with
/// new and changed POs and new invoices.
async fn every_entity(env: &Env, sims: &Sims, supplier_action: &str, po_action: &str) {
    let w = dry_then_real(env, sims, &["suppliers", "accounts"]).await;
    assert!(count(&w, supplier_action) > 0, "{w:#}");
    assert!(count(&w, "values.upsert") > 0, "{w:#}");

    let w = dry_then_real(env, sims, &["purchase-orders"]).await;
    assert!(count(&w, po_action) > 0, "{w:#}");

    sims.jde.add_pos(2);
    sims.jde.change_pos(2);
    let invoices = sims.jag.generate_invoices(6);
    assert!(!invoices.is_empty());
    let w = dry_then_real(env, sims, &[]).await;
    assert!(count(&w, po_action) > 0, "{w:#}");
    assert!(count(&w, "voucher") > 0, "{w:#}");
    // Every voucher line is in the payload.
    let v = w
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["action"] == "voucher")
        .unwrap();
    assert!(
        !v["payload"]["input"]["detailInputs"][0]["repeatingInputs"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{v:#}"
    );
    assert!(!z_rows(&sims.jde).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_lists_exactly_what_the_rest_cycle_writes() {
    let sims = sims().await;
    let env = Env::new(&sims).await;
    every_entity(&env, &sims, "supplier.upsert", "po.upsert").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_lists_exactly_what_the_xml_cycle_writes() {
    let sims = sims().await;
    let env = Env::new(&sims).await;
    let cfg = env.path("ml-connector.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("transport = \"rest\"", "transport = \"xml\""),
    )
    .unwrap();
    env.credentials(
        TENANT,
        "jaggaer",
        &json!({
            "base_url": sims.jag.base_url(),
            "token_url": sims.jag.token_url(),
            "client_id": "mlc-client",
            "client_secret": "mlc-secret",
            "xml_identity": "mlc-org",
            "xml_shared_secret": "mlc-xml-secret",
        }),
    )
    .await;
    // The simulated suppliers invoice through their J1P profiles, which the XML Router channel
    // does not create: another installation on the same JAGGAER pushes them over J1P.
    let helper = Env::new(&sims).await;
    json_of(&run(&helper, &["sync", "--json", "--entity", "suppliers"]).await);
    every_entity(&env, &sims, "suppliers.xml", "po.xml").await;
}

/// The demo's mistake: a buyer codes an invoice to object account 6999, which JDE lacks.
fn miscode(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("name").and_then(Value::as_str) == Some("Account")
                && let Some(list) = m
                    .get_mut("customFieldValueList")
                    .and_then(|l| l.get_mut("customFieldValue"))
                    .and_then(Value::as_array_mut)
            {
                for item in list {
                    let bu = text(&item["value"]).split('.').next().unwrap().to_owned();
                    item["value"] = Value::String(format!("{bu}.6999"));
                }
            }
            if m.get("internalName").and_then(Value::as_str) == Some("Account")
                && let Some(x) = m.get_mut("value")
                && let Some(t) = x.as_str()
            {
                let bu = t.split('.').next().unwrap().to_owned();
                *x = Value::String(format!("{bu}.6999"));
            }
            m.values_mut().for_each(miscode);
        }
        Value::Array(a) => a.iter_mut().for_each(miscode),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golive_check_prints_the_page_and_fails_on_the_miscoded_invoice() {
    let sims = sims().await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let ids = sims.jag.generate_invoices(4);
    assert!(sims.jag.edit_invoice(ids[0], miscode));
    sims.clear_logs();
    let before = sim_state(&sims);

    let out = run(&env, &["golive-check"]).await;
    let page = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{page}\n{}", stderr(&out));
    for section in [
        "1. Connectivity",
        "2. What the next cycle would write",
        "3. Records that would be quarantined",
        "4. Invoices the cut-over rules will skip",
        "5. Reconcile",
        "6. Settings still on their defaults",
    ] {
        assert!(page.contains(section), "{section:?} missing:\n{page}");
    }
    assert!(
        page.contains(&format!("invoice:{TENANT}:{}", ids[0])),
        "{page}"
    );
    assert!(page.contains("6999"), "{page}");
    assert!(page.contains("start_date = (unset)"), "{page}");
    assert!(
        page.contains("vouchers to JDE by company and currency")
            || page.contains("Vouchers to JDE by company and currency"),
        "{page}"
    );
    assert!(
        stderr(&out).contains("would be quarantined"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sims.jaggaer_writes(), Vec::<String>::new());
    assert_eq!(sims.orchestration_calls(), 0);
    assert_eq!(sim_state(&sims), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_hold_vouchers_until_ap_approves_them_through_the_cli() {
    let sims = sims().await;
    let env = Env::new(&sims).await;
    let cfg = env.path("ml-connector.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        text.contains("voucher_approval = \"none\""),
        "init documents the gate"
    );
    std::fs::write(
        &cfg,
        text.replace(
            "voucher_approval = \"none\"",
            "voucher_approval = \"always\"",
        ),
    )
    .unwrap();
    env.sync().await;
    let ids = sims.jag.generate_invoices(3);
    let s = env.sync().await;
    assert_eq!(s.n("invoices", "created"), 0, "{:#}", s.json);
    assert_eq!(s.n("invoices", "waiting"), ids.len() as u64, "{:#}", s.json);
    assert!(z_rows(&sims.jde).is_empty(), "a held voucher reached JDE");

    let list = json_of(&run(&env, &["approvals", "list", "--json"]).await);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), ids.len());
    assert!(
        !list[0]["plan"]["detailInputs"][0]["repeatingInputs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let first = text_of(&list[0]["id"]);
    let out = run(&env, &["approvals", "approve", &first]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let second = text_of(&list[1]["id"]);
    let out = run(
        &env,
        &["approvals", "reject", &second, "--reason", "paid by cheque"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));

    let s = env.sync().await;
    assert_eq!(s.n("invoices", "created"), 1, "{:#}", s.json);
    assert_eq!(z_rows(&sims.jde).len(), 1);
    let q = env.store().await.quarantine_list(None, true).await.unwrap();
    assert_eq!(q.len(), 1);
    assert!(
        q[0].entry.reason.contains("paid by cheque"),
        "{}",
        q[0].entry.reason
    );
    let left = json_of(&run(&env, &["approvals", "list", "--json"]).await);
    assert_eq!(left.as_array().unwrap().len(), ids.len() - 2);
    let s = env.sync().await;
    assert_eq!(s.n("invoices", "created"), 0, "{:#}", s.json);
    assert_eq!(z_rows(&sims.jde).len(), 1, "posted twice");
}

fn text_of(v: &Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string())
}

/// `transport = "cxml"`: POs go as cXML OrderRequests (invoices arrive at the service's inbound
/// endpoint, which no dry run polls): new, then changed POs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_lists_exactly_what_the_cxml_cycle_writes() {
    let sims = sims().await;
    let env = Env::with(
        &sims,
        Options {
            cxml: true,
            ..Options::default()
        },
    )
    .await;
    let w = dry_then_real(&env, &sims, &["suppliers", "accounts"]).await;
    assert!(count(&w, "supplier.upsert") > 0, "{w:#}");
    let w = dry_then_real(&env, &sims, &["purchase-orders"]).await;
    assert!(count(&w, "po.cxml") > 0, "{w:#}");
    sims.jde.add_pos(2);
    sims.jde.change_pos(2);
    let w = dry_then_real(&env, &sims, &[]).await;
    assert!(count(&w, "po.cxml") > 0, "{w:#}");
    assert!(
        w.as_array()
            .unwrap()
            .iter()
            .any(|w| w["payload"]["type"] == "update"),
        "{w:#}"
    );
}
