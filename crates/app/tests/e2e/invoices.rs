//! Scenario 4 (invoices → vouchers, read-back, no double posting, F0411 dedup) and 6 (bad
//! input → quarantine → fix → posted).
use std::collections::{BTreeMap, BTreeSet};

use mlc_core::Decimal;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_sim::jaggaer::JaggaerSimConfig;
use serde_json::Value;

use crate::harness::*;

/// Simulators whose JAGGAER does not invoice POs by itself (the test makes the invoices).
async fn sims_without_po_invoices(pending_rate: f64) -> Sims {
    let mut jag = JaggaerSimConfig::default();
    jag.knobs.invoice_on_po = 0.0;
    jag.knobs.pending_rate = pending_rate;
    Sims::start(jde_config(8, 10), jag).await
}

fn record(id: &str) -> RecordKey {
    let tenant: mlc_core::ids::TenantId = TENANT.parse().unwrap();
    RecordKey::new(RecordKind::Invoice, &tenant, id.to_owned())
}

/// Checks every voucher in F0411Z1 against its JAGGAER invoice and its F0911Z1 lines.
fn assert_vouchers_balance(sims: &Sims) {
    let invoices: BTreeMap<String, Value> = sims
        .jag
        .invoices()
        .into_iter()
        .map(|i| (text(&i["header"]["invoiceId"]), i))
        .collect();
    let mut dist: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for l in sims.jde.table_rows("F0911Z1") {
        assert_eq!(text(&l["F0911Z1_EDUS"]), BATCH_USER);
        let e = dist.entry(text(&l["F0911Z1_EDTN"])).or_default();
        e.0 += dec(&l["F0911Z1_AA"]);
        e.1 += dec(&l["F0911Z1_ACR"]);
    }
    for z in z_rows(&sims.jde) {
        let edtn = text(&z["F0411Z1_EDTN"]);
        assert_eq!(text(&z["F0411Z1_EDUS"]), BATCH_USER, "EDUS of {edtn}");
        let (aa, acr) = dist
            .get(&edtn)
            .copied()
            .unwrap_or_else(|| panic!("voucher {edtn} has no F0911Z1 lines"));
        let foreign = text(&z["F0411Z1_CRRM"]) == "F";
        let gross = if foreign {
            assert_eq!(
                acr,
                dec(&z["F0411Z1_ACR"]),
                "distribution of {edtn} (foreign)"
            );
            dec(&z["F0411Z1_ACR"])
        } else {
            assert_eq!(aa, dec(&z["F0411Z1_AG"]), "distribution of {edtn}");
            dec(&z["F0411Z1_AG"])
        };
        let inv_id = text(&z["F0411Z1_RMK"]);
        let inv = invoices
            .get(&inv_id)
            .unwrap_or_else(|| panic!("voucher {edtn}: RMK {inv_id:?} is no JAGGAER invoice"));
        // A credit memo is a voucher with negative amounts.
        let credit = text(&inv["header"]["invoiceType"]) == "Credit Memo";
        let total = dec(&inv["header"]["total"]["value"]).abs();
        assert_eq!(
            gross,
            if credit { -total } else { total },
            "voucher {edtn} gross vs invoice {inv_id} total"
        );
        let vinv = text(&z["F0411Z1_VINV"]);
        let number = text(&inv["header"]["supplierInvoiceNumber"]);
        assert!(
            vinv == number || (credit && vinv.starts_with(&format!("{number}-CM"))),
            "VINV of {edtn}: {vinv} for invoice number {number}"
        );
    }
    assert_vouchers_unique(&sims.jde);
}

/// Batches (EDBT) of the F0411Z1 rows not in `known`.
fn new_batches(sims: &Sims, known: &BTreeSet<String>) -> BTreeSet<String> {
    z_rows(&sims.jde)
        .iter()
        .filter(|z| !known.contains(&text(&z["F0411Z1_EDTN"])))
        .map(|z| text(&z["F0411Z1_EDBT"]))
        .collect()
}

fn edtns(sims: &Sims) -> BTreeSet<String> {
    z_rows(&sims.jde)
        .iter()
        .map(|z| text(&z["F0411Z1_EDTN"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_become_vouchers_once_and_are_read_back() {
    let sims = sims_without_po_invoices(0.4).await;
    let env = Env::new(&sims).await;
    env.sync().await;
    assert_eq!(z_rows(&sims.jde).len(), 0);

    // Run 1: the payable invoices become vouchers, in one batch.
    let ids = sims.jag.generate_invoices(10);
    assert_eq!(ids.len(), 10);
    let s1 = env.sync().await;
    let pending = sims
        .jag
        .invoices()
        .iter()
        .filter(|i| i["header"]["paymentStatus"] == "Pending")
        .count() as u64;
    assert!(s1.n("invoices", "created") > 0, "{:#}", s1.json);
    assert_nothing_quarantined(&env).await;
    assert_eq!(s1.n("invoices", "waiting"), pending, "{:#}", s1.json);
    assert_eq!(z_rows(&sims.jde).len() as u64, s1.n("invoices", "created"));
    let b1 = new_batches(&sims, &BTreeSet::new());
    assert_eq!(b1.len(), 1, "one EDBT per run: {b1:?}");
    assert_vouchers_balance(&sims);

    // Run 2: approved invoices follow, in a new batch.
    let known = edtns(&sims);
    let approved = sims.jag.approve_pending();
    assert_eq!(approved.len() as u64, pending);
    let s2 = env.sync().await;
    assert_eq!(
        z_rows(&sims.jde).len() - known.len(),
        s2.n("invoices", "created") as usize,
        "{:#}",
        s2.json
    );
    assert_nothing_quarantined(&env).await;
    let quarantined = env
        .store()
        .await
        .quarantine_list(None, true)
        .await
        .unwrap()
        .len() as u64;
    if pending > 0 {
        let b2 = new_batches(&sims, &known);
        assert_eq!(b2.len(), 1, "one EDBT per run: {b2:?}");
        assert!(b2.is_disjoint(&b1), "a new run gets a new batch");
    }
    assert_vouchers_balance(&sims);
    assert_eq!(
        z_rows(&sims.jde).len() as u64 + quarantined,
        10,
        "every invoice vouchered once"
    );

    // JDE processes the batches; the next sync reads the voucher numbers back.
    sims.jde.process_vouchers();
    sims.clear_logs();
    let s3 = env.sync().await;
    assert_eq!(sims.orchestration_calls(), 0, "nothing to post again");
    assert_eq!(s3.n("invoices", "created"), 0, "{:#}", s3.json);
    let store = env.store().await;
    let vouchers = sims.jde.vouchers();
    for v in &vouchers {
        let z = z_rows(&sims.jde)
            .into_iter()
            .find(|z| text(&z["F0411Z1_EDTN"]) == v.edtn)
            .unwrap();
        let inv_id = text(&z["F0411Z1_RMK"]);
        let trail = store.audit_trail(&record(&inv_id), None).await.unwrap();
        let doc = v.doc.expect("processed voucher has a DOC");
        let back = trail
            .iter()
            .find(|e| e.action == mlc_store::actions::READ_BACK)
            .unwrap_or_else(|| panic!("no read-back in the trail of {inv_id}: {trail:#?}"));
        assert_eq!(back.detail["doc"], doc, "{back:#?}");
        assert!(back.message.contains(&doc.to_string()), "{}", back.message);
    }

    // Reruns and corrections never post a voucher twice.
    let vouchered: BTreeSet<String> = z_rows(&sims.jde)
        .iter()
        .map(|z| text(&z["F0411Z1_RMK"]))
        .collect();
    let corrected = vouchered.iter().next().unwrap().clone();
    let open_before = env
        .store()
        .await
        .quarantine_list(None, true)
        .await
        .unwrap()
        .len();
    assert!(sims.jag.correct_invoice(corrected.parse().unwrap()));
    sims.clear_logs();
    let s4 = env.sync().await;
    assert_eq!(
        sims.orchestration_calls(),
        0,
        "a corrected invoice is not posted again"
    );
    assert_eq!(s4.n("invoices", "created"), 0, "{:#}", s4.json);
    let q = store.quarantine_list(None, true).await.unwrap();
    let entry = q
        .iter()
        .find(|e| e.entry.record.key == corrected)
        .expect("changed-after-posting entry");
    assert!(
        entry.entry.reason.contains("changed after posting"),
        "{}",
        entry.entry.reason
    );
    assert_eq!(q.len(), open_before + 1);
    assert_eq!(z_rows(&sims.jde).len(), vouchered.len());
    assert_vouchers_unique(&sims.jde);
}

/// The generator codes some split lines to business units of another company. With
/// `intercompany = "allow"` (the default) they are vouchers like the others (JDE's
/// intercompany settlement constant decides), so nothing is quarantined up front.
async fn assert_nothing_quarantined(env: &Env) {
    let q = env.store().await.quarantine_list(None, true).await.unwrap();
    let reasons: Vec<&str> = q.iter().map(|e| e.entry.reason.as_str()).collect();
    assert!(reasons.is_empty(), "unexpected quarantine: {reasons:#?}");
}

/// An invoice AP already keyed by hand (same supplier, same number written differently) is
/// never vouchered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_already_in_f0411_under_another_spelling_is_not_posted() {
    let sims = sims_without_po_invoices(0.0).await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let ids = sims.jag.generate_invoices(1);
    env.sync().await;
    sims.jde.process_vouchers();
    env.sync().await;
    let f0411 = sims.jde.table_rows("F0411");
    assert!(!f0411.is_empty(), "voucher processed");

    // The same supplier invoice arrives again as a new JAGGAER invoice, number respelled.
    let mut doc = sims.jag.invoice_json(ids[0]).unwrap();
    let number = text(&doc["header"]["supplierInvoiceNumber"]);
    let respelled = respell(&number);
    assert_ne!(respelled, number);
    assert_eq!(
        mlc_core::invoice_number::normalize(&respelled),
        mlc_core::invoice_number::normalize(&number)
    );
    let inv_number = format!("{}-DUP", text(&doc["header"]["invoiceNumber"]));
    let h = doc["header"].as_object_mut().unwrap();
    h.remove("invoiceId");
    h.remove("lastUpdate");
    h.insert("supplierInvoiceNumber".into(), Value::String(respelled));
    h.insert("invoiceNumber".into(), Value::String(inv_number));
    let dup = sims.jag.insert_invoice(doc).unwrap();

    sims.clear_logs();
    let s = env.sync().await;
    assert_eq!(sims.orchestration_calls(), 0, "must not be posted again");
    assert_eq!(s.n("invoices", "created"), 0, "{:#}", s.json);
    assert_eq!(z_rows(&sims.jde).len(), 1);
    let trail = env
        .store()
        .await
        .audit_trail(&record(&dup.to_string()), None)
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == mlc_store::actions::FOUND_EXISTING),
        "{trail:#?}"
    );
}

/// `ABC-000042` → `abc 00042 `: lower case, other punctuation, fewer leading zeros.
fn respell(n: &str) -> String {
    let mut out = String::new();
    let mut zeros_dropped = false;
    for c in n.chars() {
        if c == '-' || c == '/' || c == '.' {
            out.push(' ');
        } else if c == '0' && !zeros_dropped && out.ends_with(' ') {
            zeros_dropped = true;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out.push(' ');
    out
}

/// Codes a whole invoice to one account and cost center.
fn set_coding(doc: &mut Value, account: &str, cost_center: &str) {
    let mut old = Vec::new();
    set_field(doc, "Account", account, &mut old);
    set_field(doc, "CostCenter", cost_center, &mut old);
    assert!(!old.is_empty(), "invoice has no coding: {doc:#}");
}

/// Sets every `field` custom value of an invoice document to `value`, collecting the old ones.
fn set_field(v: &mut Value, field: &str, value: &str, old: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            let is_account_set = m.get("name").and_then(Value::as_str) == Some(field);
            let is_account_split = m.get("internalName").and_then(Value::as_str) == Some(field);
            if is_account_set
                && let Some(list) = m
                    .get_mut("customFieldValueList")
                    .and_then(|l| l.get_mut("customFieldValue"))
                    .and_then(Value::as_array_mut)
            {
                for item in list {
                    old.push(text(&item["value"]));
                    item["value"] = Value::String(value.to_owned());
                }
            }
            if is_account_split && let Some(x) = m.get_mut("value") {
                old.push(text(x));
                *x = Value::String(value.to_owned());
            }
            for (_, child) in m.iter_mut() {
                set_field(child, field, value, old);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| set_field(x, field, value, old)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_account_is_quarantined_and_posted_once_fixed() {
    let sims = sims_without_po_invoices(0.0).await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let ids = sims.jag.generate_invoices(1);
    let id = ids[0];
    assert!(
        sims.jag
            .edit_invoice(id, |doc| set_coding(doc, "200.9999", "200"))
    );

    let s = env.sync().await;
    assert_eq!(s.status, "partial", "{:#}", s.json);
    assert_eq!(s.n("invoices", "quarantined"), 1, "{:#}", s.json);
    assert_eq!(z_rows(&sims.jde).len(), 0);
    let store = env.store().await;
    let open = store.quarantine_list(None, true).await.unwrap();
    assert_eq!(open.len(), 1, "{open:#?}");
    let q = &open[0];
    let rec = format!("invoice:{TENANT}:{id}");
    assert!(
        q.entry.reason.contains(&rec),
        "reason names the record: {}",
        q.entry.reason
    );
    assert!(
        q.entry.reason.contains("200.9999"),
        "reason names the value: {}",
        q.entry.reason
    );
    let field = q.entry.field.clone().unwrap_or_default();
    assert!(
        field.to_lowercase().contains("account") && field.contains("200.9999"),
        "field names the coding: {field}"
    );
    let payload = q.entry.payload.to_string();
    assert!(
        payload.contains(&id.to_string()) && payload.contains("200.9999"),
        "payload is the original invoice: {payload}"
    );

    // A rerun does not post it and does not pile up entries.
    env.sync().await;
    assert_eq!(z_rows(&sims.jde).len(), 0);
    assert_eq!(store.quarantine_list(None, true).await.unwrap().len(), 1);

    // AP fixes the coding in JAGGAER; the next sync posts it and resolves the entry.
    assert!(
        sims.jag
            .edit_invoice(id, |doc| set_coding(doc, "200.6110", "200"))
    );
    let s = env.sync().await;
    assert_eq!(s.n("invoices", "created"), 1, "{:#}", s.json);
    assert_eq!(z_rows(&sims.jde).len(), 1);
    assert!(store.quarantine_list(None, true).await.unwrap().is_empty());
}

/// The CLI side of the same story (`quarantine list --json`, `quarantine retry ID`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantine_cli_lists_and_retries() {
    let sims = sims_without_po_invoices(0.0).await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let id = sims.jag.generate_invoices(1)[0];
    sims.jag
        .edit_invoice(id, |doc| set_coding(doc, "200.9999", "200"));
    env.sync().await;
    let out = env.cmd(&["quarantine", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = list.as_array().cloned().unwrap_or_else(|| {
        list["entries"]
            .as_array()
            .cloned()
            .expect("a list of entries")
    });
    assert_eq!(entries.len(), 1, "{list:#}");
    let e = &entries[0];
    assert!(
        e.to_string().contains("200.9999"),
        "original payload: {e:#}"
    );
    let qid = text(&e["id"]);
    sims.jag
        .edit_invoice(id, |doc| set_coding(doc, "200.6110", "200"));
    let out = env.cmd(&["quarantine", "retry", &qid]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(z_rows(&sims.jde).len(), 1);
    let out = env.cmd(&["quarantine", "list", "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!list.to_string().contains("200.9999"), "{list:#}");
}

/// `audit invoice:TENANT:ID --json` shows the voucher read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_cli_shows_the_voucher() {
    let sims = sims_without_po_invoices(0.0).await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let id = sims.jag.generate_invoices(1)[0];
    env.sync().await;
    sims.jde.process_vouchers();
    env.sync().await;
    let doc = sims.jde.vouchers()[0].doc.unwrap();
    let out = env.cmd(&["audit", &format!("invoice:{TENANT}:{id}"), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&doc.to_string()), "{text}");
}

/// Issue 16 item 7 through the binary: a credit memo quoting its invoice's number arrives (and
/// is processed by JDE) before the invoice, which is approved later. The invoice is neither
/// quarantined as a duplicate of its credit memo nor taken for "already vouchered": the two
/// vouchers are `N` and `N-CM`, as when the invoice comes first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_memo_arriving_before_its_invoice_gives_the_same_two_vouchers() {
    let sims = sims_without_po_invoices(0.0).await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let ids = sims.jag.generate_invoices(1);
    // The invoice waits for approval (not payable yet).
    assert!(sims.jag.edit_invoice(ids[0], |doc| {
        doc["header"]["invoiceType"] = "Invoice".into();
        doc["header"]["paymentStatus"] = "Approved".into();
    }));
    let invoice = sims.jag.invoice_json(ids[0]).unwrap();
    let number = text(&invoice["header"]["supplierInvoiceNumber"]);
    // Its credit memo, for the full amount, quoting the invoice's number, is payable at once.
    let mut credit = invoice.clone();
    let h = credit["header"].as_object_mut().unwrap();
    h.remove("invoiceId");
    h.remove("lastUpdate");
    h.insert("invoiceType".into(), Value::String("Credit Memo".into()));
    h.insert("paymentStatus".into(), Value::String("Payable".into()));
    h.insert(
        "invoiceNumber".into(),
        Value::String(format!("{}-C", text(&invoice["header"]["invoiceNumber"]))),
    );
    sims.jag.insert_invoice(credit).unwrap();

    let s = env.sync().await;
    assert_eq!(s.n("invoices", "created"), 1, "{:#}", s.json);
    sims.jde.process_vouchers();
    env.sync().await;

    // Approved after the credit was entered: its lastUpdate is later.
    assert!(sims.jag.set_payment_status(ids[0], "Payable"));
    let s = env.sync().await;
    assert_eq!(s.n("invoices", "created"), 1, "{:#}", s.json);
    assert_nothing_quarantined(&env).await;

    let mut vinvs: Vec<(String, Decimal)> = z_rows(&sims.jde)
        .iter()
        .map(|z| {
            let amount = if text(&z["F0411Z1_CRRM"]) == "F" {
                dec(&z["F0411Z1_ACR"])
            } else {
                dec(&z["F0411Z1_AG"])
            };
            (text(&z["F0411Z1_VINV"]), amount)
        })
        .collect();
    vinvs.sort();
    let total = dec(&invoice["header"]["total"]["value"]).abs();
    assert_eq!(
        vinvs,
        vec![(number.clone(), total), (format!("{number}-CM"), -total)]
    );
    assert_vouchers_balance(&sims);
}
