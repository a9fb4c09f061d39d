//! Issue 12: vouchers as JDE really processes them. The JDE simulator's R04110ZA leaves a
//! failed row at `EDSP = 0` with its reason in the Work Center of the `EDUS` user (never in
//! `EDER`); the connector finds rejected, purged and unprocessed batches from that, with and
//! without launching the processor itself through the AIS report service.
use std::collections::BTreeMap;

use mlc_core::record::{RecordKey, RecordKind};
use mlc_sim::jaggaer::JaggaerSimConfig;
use mlc_sim::jde::{JobOutcome, ReportService};
use mlc_store::LedgerStatus;
use serde_json::Value;

use crate::harness::*;

/// Every generated invoice payable, none raised by JAGGAER from POs.
async fn sims() -> Sims {
    let mut jag = JaggaerSimConfig::default();
    jag.knobs.invoice_on_po = 0.0;
    jag.knobs.pending_rate = 0.0;
    Sims::start(jde_config(8, 10), jag).await
}

fn record(id: i64) -> RecordKey {
    let tenant: mlc_core::ids::TenantId = TENANT.parse().unwrap();
    RecordKey::new(RecordKind::Invoice, &tenant, id.to_string())
}

fn edtn(id: i64) -> String {
    format!("JG{id}")
}

/// A postable expense account (`BU.OBJ`) of a company, from the simulator's F0901.
fn account_of(sims: &Sims, company: &str) -> (String, String) {
    let companies: BTreeMap<String, String> = sims
        .jde
        .table_rows("F0006")
        .iter()
        .map(|r| (text(&r["F0006_MCU"]), text(&r["F0006_CO"])))
        .collect();
    sims.jde
        .table_rows("F0901")
        .iter()
        .find(|r| {
            let bu = text(&r["F0901_MCU"]);
            companies.get(&bu).map(String::as_str) == Some(company)
                && text(&r["F0901_PEC"]).is_empty()
                && text(&r["F0901_OBJ"]).starts_with('6')
                && text(&r["F0901_SUB"]).is_empty()
        })
        .map(|r| {
            let bu = text(&r["F0901_MCU"]);
            (format!("{bu}.{}", text(&r["F0901_OBJ"])), bu)
        })
        .unwrap_or_else(|| panic!("no expense account of company {company}"))
}

/// Sets `field` to `value` everywhere in `v` (custom field sets and split values).
fn set_field(v: &mut Value, field: &str, value: &str) {
    match v {
        Value::Object(m) => {
            if m.get("name").and_then(Value::as_str) == Some(field)
                && let Some(list) = m
                    .get_mut("customFieldValueList")
                    .and_then(|l| l.get_mut("customFieldValue"))
                    .and_then(Value::as_array_mut)
            {
                for item in list {
                    item["value"] = Value::String(value.to_owned());
                }
            }
            if m.get("internalName").and_then(Value::as_str) == Some(field)
                && let Some(x) = m.get_mut("value")
            {
                *x = Value::String(value.to_owned());
            }
            for (_, child) in m.iter_mut() {
                set_field(child, field, value);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| set_field(x, field, value)),
        _ => {}
    }
}

/// Makes a new payable invoice (a copy of a generated one under a new number) whose first
/// line is coded to company 00100 and whose other lines to company 00200: an intercompany
/// voucher, which JDE's processor refuses while its intercompany constant is off.
fn intercompany_invoice(sims: &Sims) -> i64 {
    let ids = sims.jag.generate_invoices(8);
    let (a, a_bu) = account_of(sims, "00100");
    let (b, b_bu) = account_of(sims, "00200");
    let base = ids
        .iter()
        .map(|id| sims.jag.invoice_json(*id).unwrap())
        .find(|d| {
            d["lineList"]["invoiceLine"]
                .as_array()
                .is_some_and(|l| l.len() >= 2)
                && d["header"]["invoiceType"] != "Credit Memo"
        })
        .expect("a generated invoice with two lines");
    let mut doc = base.clone();
    let h = doc["header"].as_object_mut().unwrap();
    h.remove("invoiceId");
    h.remove("lastUpdate");
    h.insert(
        "supplierInvoiceNumber".into(),
        Value::String("IC-77".into()),
    );
    h.insert(
        "invoiceNumber".into(),
        Value::String(format!("{}-IC", text(&base["header"]["invoiceNumber"]))),
    );
    // One company's coding for the header (fallback) and every line, then line 1 to the other.
    set_field(&mut doc, "Account", &b);
    set_field(&mut doc, "CostCenter", &b_bu);
    let first = &mut doc["lineList"]["invoiceLine"][0];
    set_field(first, "Account", &a);
    set_field(first, "CostCenter", &a_bu);
    sims.jag.insert_invoice(doc).unwrap()
}

fn quarantine_of(
    entries: &[mlc_store::QuarantineEntry],
    id: i64,
) -> Option<&mlc_store::QuarantineEntry> {
    entries
        .iter()
        .find(|q| q.entry.record.key == id.to_string())
}

/// Without the connector launching anything: JDE's own processor run processes the batch but
/// one voucher. The connector waits for the batch to look the same twice, then quarantines
/// the rejected voucher (batch and Work Center user named); the others get their F0411
/// numbers; nothing is posted twice; a retry says it is still unprocessed, and after AP fixed
/// it in JDE and ran the processor again a retry records success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voucher_jde_rejects_is_quarantined_and_a_retry_after_the_fix_records_success() {
    let sims = sims().await;
    sims.jde.set_knobs(|k| k.intercompany_settlements = false);
    let env = Env::new(&sims).await;
    env.sync().await;
    let ic = intercompany_invoice(&sims);

    let s1 = env.sync().await;
    let created = s1.n("invoices", "created");
    assert!(created >= 2, "{:#}", s1.json);
    assert_eq!(
        s1.n("invoices", "quarantined"),
        0,
        "intercompany is allowed: {:#}",
        s1.json
    );
    let z = z_rows(&sims.jde);
    let batch = z
        .iter()
        .find(|r| text(&r["F0411Z1_EDTN"]) == edtn(ic))
        .map(|r| text(&r["F0411Z1_EDBT"]))
        .expect("the intercompany voucher was posted");

    // JDE's processor (not launched by us) refuses the intercompany voucher.
    let report = sims.jde.process_vouchers();
    let rejected: Vec<&String> = report.rejected.iter().map(|(e, _)| e).collect();
    assert!(rejected.contains(&&edtn(ic)), "{report:?}");
    assert!(!report.created.is_empty(), "{report:?}");
    let wc = sims.jde.work_center(BATCH_USER);
    assert!(wc.iter().any(|m| m.edtn == edtn(ic)), "{wc:?}");

    // First read-back: the processed ones are read back; the batch is seen once, so the row
    // still at 0 is not judged yet.
    sims.clear_logs();
    let s2 = env.sync().await;
    assert_eq!(s2.n("invoices", "quarantined"), 0, "{:#}", s2.json);
    // Second read-back, same picture: rejected.
    let s3 = env.sync().await;
    assert_eq!(
        s3.n("invoices", "quarantined"),
        rejected.len() as u64,
        "{:#}",
        s3.json
    );
    assert_eq!(s3.status, "partial");
    assert_eq!(sims.orchestration_calls(), 0, "nothing posted again");
    let store = env.store().await;
    let q = store.quarantine_list(None, true).await.unwrap();
    let entry = quarantine_of(&q, ic).expect("the rejected voucher is quarantined");
    assert_eq!(entry.entry.reason_kind, "jde-processing");
    let reason = &entry.entry.reason;
    assert!(reason.contains(&format!("batch {batch}")), "{reason}");
    assert!(
        reason.contains(&format!("Work Center of user {BATCH_USER}")),
        "{reason}"
    );
    assert!(!reason.contains("EDER"), "{reason}");
    // The others of the batch have their F0411 numbers.
    for (e, doc) in &report.created {
        let id: i64 = e.trim_start_matches("JG").parse().unwrap();
        let l = store.ledger(&record(id)).await.unwrap().unwrap();
        assert_eq!(l.status, LedgerStatus::Processed, "{e}");
        assert_eq!(l.detail["doc"]["doc"], *doc, "{e}: {:#}", l.detail);
    }
    // A later sync does not count it again.
    let s4 = env.sync().await;
    assert_eq!(s4.n("invoices", "quarantined"), 0, "{:#}", s4.json);

    // Retry while the row is still unprocessed: says so, changes nothing.
    let rows_before = z_rows(&sims.jde).len();
    let out = env.cmd(&["quarantine", "retry", &entry.id.to_string()]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(
        sims.orchestration_calls(),
        0,
        "never a second voucher: {said}"
    );
    assert_eq!(z_rows(&sims.jde).len(), rows_before);
    let q = store.quarantine_list(None, true).await.unwrap();
    let again = quarantine_of(&q, ic).expect("still quarantined");
    assert!(
        again.entry.reason.contains("still unprocessed"),
        "{}",
        again.entry.reason
    );

    // AP fixes it in JDE (the intercompany constant) and runs the processor again.
    sims.jde.set_knobs(|k| k.intercompany_settlements = true);
    let report = sims.jde.process_vouchers();
    assert!(
        report.created.iter().any(|(e, _)| *e == edtn(ic)),
        "{report:?}"
    );
    let out = env.cmd(&["quarantine", "retry", &again.id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sims.orchestration_calls(), 0, "never a second voucher");
    let l = store.ledger(&record(ic)).await.unwrap().unwrap();
    assert_eq!(l.status, LedgerStatus::Processed, "{:#}", l.detail);
    let q = store.quarantine_list(None, true).await.unwrap();
    assert!(quarantine_of(&q, ic).is_none(), "resolved");
    assert_vouchers_unique(&sims.jde);
}

const PROCESSOR: &str =
    "processor = { voucher = { report = \"R04110ZA\", version = \"XJDE0002\" }, wait = \"20s\" }";

/// The connector launches R04110ZA once after the sync that wrote the batch, waits for the
/// job, and reads back in the same cycle: the rejected voucher is quarantined with the job
/// number in that sync's summary. The next sync launches nothing (nothing new written).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connector_launches_the_processor_once_and_reads_back_in_the_same_cycle() {
    let sims = sims().await;
    sims.jde.set_knobs(|k| k.intercompany_settlements = false);
    let env = Env::with(
        &sims,
        Options {
            jde_extra: PROCESSOR.into(),
            ..Options::default()
        },
    )
    .await;
    env.sync().await;
    assert!(
        sims.jde.report_jobs().is_empty(),
        "nothing written, nothing launched"
    );
    let ic = intercompany_invoice(&sims);

    let s = env.sync().await;
    let jobs = sims.jde.report_jobs();
    assert_eq!(jobs.len(), 1, "one launch per run: {jobs:?}");
    let job = jobs[0].job_number;
    assert!(s.n("invoices", "created") >= 2, "{:#}", s.json);
    assert!(s.n("invoices", "quarantined") >= 1, "{:#}", s.json);
    let store = env.store().await;
    let q = store.quarantine_list(None, true).await.unwrap();
    let entry = quarantine_of(&q, ic).expect("rejected in the same cycle");
    let reason = &entry.entry.reason;
    assert!(reason.contains(&format!("job {job}")), "{reason}");
    assert!(reason.contains(BATCH_USER), "{reason}");
    let processed = store
        .ledger_by_status(
            &TENANT.parse().unwrap(),
            RecordKind::Invoice,
            Some(LedgerStatus::Processed),
        )
        .await
        .unwrap();
    assert_eq!(
        processed.len() as u64,
        s.n("invoices", "created") - s.n("invoices", "quarantined"),
        "the others are read back in the same cycle"
    );

    sims.clear_logs();
    let s2 = env.sync().await;
    assert_eq!(
        sims.jde.report_jobs().len(),
        1,
        "no launch without new Z rows"
    );
    assert_eq!(sims.orchestration_calls(), 0);
    assert_eq!(s2.n("invoices", "quarantined"), 0, "{:#}", s2.json);
}

/// A batch that JDE processed and then purged from the Z files raises nothing: success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_batch_is_success() {
    let sims = sims().await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let ids = sims.jag.generate_invoices(3);
    let s = env.sync().await;
    let created = s.n("invoices", "created");
    assert!(created > 0, "{:#}", s.json);
    let report = sims.jde.process_vouchers();
    assert!(report.rejected.is_empty(), "{report:?}");
    assert!(sims.jde.purge_processed(Some(BATCH_USER)) > 0);
    assert!(z_rows(&sims.jde).is_empty());

    let s = env.sync().await;
    assert_eq!(s.n("invoices", "quarantined"), 0, "{:#}", s.json);
    assert_eq!(s.status, "ok", "{:#}", s.json);
    let store = env.store().await;
    assert!(store.quarantine_list(None, true).await.unwrap().is_empty());
    for id in ids {
        let Some(l) = store.ledger(&record(id)).await.unwrap() else {
            continue;
        };
        assert_eq!(l.status, LedgerStatus::Processed, "{id}: {:#}", l.detail);
        assert_eq!(l.detail["purged"], true, "{id}");
        let trail = store.audit_trail(&record(id), None).await.unwrap();
        assert!(
            trail
                .iter()
                .any(|e| e.action == mlc_store::actions::READ_BACK && e.message.contains("purged")),
            "{trail:#?}"
        );
    }
}

/// Nobody runs the processor: after `voucher_processing_sla` the batch is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unprocessed_batch_is_reported_after_the_sla() {
    let sims = sims().await;
    let env = Env::new(&sims).await;
    let cfg = env.path("ml-connector.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        text.contains("voucher_processing_sla = \"24h\""),
        "init writes the default"
    );
    std::fs::write(
        &cfg,
        text.replace(
            "voucher_processing_sla = \"24h\"",
            "voucher_processing_sla = \"1s\"",
        ),
    )
    .unwrap();
    env.sync().await;
    sims.jag.generate_invoices(2);
    let s = env.sync().await;
    let created = s.n("invoices", "created");
    assert!(created > 0, "{:#}", s.json);
    // Past the (short) SLA; the next read-back reports the batch.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    sims.clear_logs();
    let s = env.sync().await;
    assert_eq!(s.n("invoices", "quarantined"), created, "{:#}", s.json);
    assert_eq!(sims.orchestration_calls(), 0);
    let q = env.store().await.quarantine_list(None, true).await.unwrap();
    assert!(
        q.iter().all(|e| e.entry.reason_kind == "jde-not-processed"
            && e.entry.reason.contains("has not been processed")),
        "{q:#?}"
    );
}

/// The report service missing (older Tools release): the vouchers are still written, the
/// sync does not fail, the tenant is not paused, and the error names report and version. A
/// job that never ends: the cycle stops waiting, the next cycle launches nothing new and
/// posts nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_report_service_or_a_job_that_never_ends_leaves_the_rows_waiting() {
    let sims = sims().await;
    sims.jde
        .set_knobs(|k| k.report_service = ReportService::Missing);
    let env = Env::with(
        &sims,
        Options {
            jde_extra: PROCESSOR.replace("20s", "1s"),
            ..Options::default()
        },
    )
    .await;
    env.sync().await;
    sims.jag.generate_invoices(2);
    let s = env.sync().await;
    assert!(s.n("invoices", "created") > 0, "{:#}", s.json);
    assert_ne!(s.status, "failed", "{:#}", s.json);
    assert!(!z_rows(&sims.jde).is_empty(), "vouchers written");
    let store = env.store().await;
    let tenant = TENANT.parse().unwrap();
    assert!(!store.tenant_state(&tenant).await.unwrap().paused);
    let state = store
        .cursor(&tenant, mlc_engine::processor::STATE)
        .await
        .unwrap()
        .expect("processor state");
    let st = mlc_engine::processor::ProcessorState::parse(Some(&state));
    let err = st
        .last_error
        .expect("the failed launch is recorded for the alert");
    assert!(
        err.message.contains("R04110ZA version XJDE0002"),
        "{}",
        err.message
    );
    assert!(st.pending, "the rows wait for the next run");

    // The service is back, but the job never ends: bounded wait, nothing else.
    sims.jde.set_knobs(|k| {
        k.report_service = ReportService::Available;
        k.report_outcome = JobOutcome::NeverEnds;
    });
    let s = env.sync().await;
    assert_ne!(s.status, "failed", "{:#}", s.json);
    assert_eq!(sims.jde.report_jobs().len(), 1);
    sims.clear_logs();
    env.sync().await;
    assert_eq!(
        sims.jde.report_jobs().len(),
        1,
        "never a second job while ours runs"
    );
    assert_eq!(sims.orchestration_calls(), 0, "nothing re-posted");
}

/// A number JDE already holds for the same supplier in another currency (or for another
/// amount) is a possible duplicate for AP to decide: quarantined, never silently "already
/// vouchered"; the same number, currency and amount is the same invoice (not posted again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_number_in_another_currency_is_a_possible_duplicate() {
    let sims = sims().await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let ids = sims.jag.generate_invoices(6);
    env.sync().await;
    assert!(sims.jde.process_vouchers().rejected.is_empty());
    env.sync().await;
    let base = ids
        .iter()
        .map(|id| sims.jag.invoice_json(*id).unwrap())
        .find(|d| d["header"]["invoiceType"] != "Credit Memo")
        .expect("an invoice");
    let copy = |currency: &str, suffix: &str| {
        let mut doc = base.clone();
        let h = doc["header"].as_object_mut().unwrap();
        h.remove("invoiceId");
        h.remove("lastUpdate");
        h.insert(
            "invoiceNumber".into(),
            Value::String(format!(
                "{}-{suffix}",
                text(&base["header"]["invoiceNumber"])
            )),
        );
        h.get_mut("total").unwrap()["currency"] = Value::String(currency.into());
        sims.jag.insert_invoice(doc).unwrap()
    };
    let currency = text(&base["header"]["total"]["currency"]);
    let other = if currency == "JPY" { "EUR" } else { "JPY" };
    let same = copy(&currency, "SAME");
    let foreign = copy(other, "FX");

    sims.clear_logs();
    let s = env.sync().await;
    assert_eq!(sims.orchestration_calls(), 0, "{:#}", s.json);
    assert_eq!(s.n("invoices", "quarantined"), 1, "{:#}", s.json);
    let store = env.store().await;
    let q = store.quarantine_list(None, true).await.unwrap();
    let e = quarantine_of(&q, foreign).expect("the other currency is quarantined");
    assert_eq!(e.entry.reason_kind, "duplicate-invoice");
    assert!(e.entry.reason.contains("AP decides"), "{}", e.entry.reason);
    assert!(quarantine_of(&q, same).is_none());
    let trail = store.audit_trail(&record(same), None).await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == mlc_store::actions::FOUND_EXISTING),
        "{trail:#?}"
    );
}

/// AP deleted the rejected rows in JDE: JDE holds no voucher for that `EDTN`, so a retry posts
/// the voucher afresh (once), in a new batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_voucher_whose_rows_ap_deleted_is_posted_afresh_on_retry() {
    let sims = sims().await;
    sims.jde.set_knobs(|k| k.intercompany_settlements = false);
    let env = Env::new(&sims).await;
    env.sync().await;
    let ic = intercompany_invoice(&sims);
    env.sync().await;
    let batch = z_rows(&sims.jde)
        .iter()
        .find(|r| text(&r["F0411Z1_EDTN"]) == edtn(ic))
        .map(|r| text(&r["F0411Z1_EDBT"]))
        .unwrap();
    sims.jde.process_vouchers();
    env.sync().await;
    env.sync().await;
    let store = env.store().await;
    let q = store.quarantine_list(None, true).await.unwrap();
    let entry = quarantine_of(&q, ic).expect("rejected").clone();

    assert!(sims.jde.delete_voucher_batch(BATCH_USER, &batch) > 0);
    assert!(
        !z_rows(&sims.jde)
            .iter()
            .any(|r| text(&r["F0411Z1_EDTN"]) == edtn(ic))
    );
    sims.clear_logs();
    let out = env.cmd(&["quarantine", "retry", &entry.id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sims.orchestration_calls(), 1, "posted afresh, once");
    let again: Vec<String> = z_rows(&sims.jde)
        .iter()
        .filter(|r| text(&r["F0411Z1_EDTN"]) == edtn(ic))
        .map(|r| text(&r["F0411Z1_EDBT"]))
        .collect();
    assert_eq!(again.len(), 1, "{again:?}");
    assert_ne!(again[0], batch, "a new batch");
    let l = store.ledger(&record(ic)).await.unwrap().unwrap();
    assert_eq!(l.status, LedgerStatus::Posted);
    let q = store.quarantine_list(None, true).await.unwrap();
    assert!(quarantine_of(&q, ic).is_none(), "resolved");
}
