//! Issue 15 through the binary: what POs and master data carry, waits, payee safety.
use std::collections::BTreeSet;

use mlc_sim::jaggaer::JaggaerSimConfig;
use serde_json::Value;

use crate::harness::*;

fn supplier_of(sims: &Sims, an8: &str) -> Value {
    sims.jag
        .suppliers()
        .into_iter()
        .find(|s| text(&s["extCode"]) == an8)
        .unwrap_or_else(|| panic!("supplier {an8} not in JAGGAER"))
}

fn po_writes(sims: &Sims) -> usize {
    sims.jaggaer_writes()
        .iter()
        .filter(|w| w.starts_with("purchase_orders"))
        .count()
}

fn supplier_writes(sims: &Sims) -> usize {
    sims.jaggaer_writes()
        .iter()
        .filter(|w| w.starts_with("suppliers"))
        .count()
}

/// A EUR order of a USD company arrives in EUR amounts, with its content for buyers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_eur_po_of_a_usd_company_arrives_in_eur_with_its_content() {
    let sims = Sims::small().await;
    // An open PO of company 00100 (USD), not on hold, made a EUR order: FRRC/FEA hold the EUR
    // amounts, PRRC/AEXP stay the USD ones.
    let jde = jde_pos(&sims.jde);
    let (number, _) = jde
        .iter()
        .find(|(n, p)| n.starts_with("00100-") && !p.hold)
        .expect("a USD PO");
    let doco = number.rsplit('-').next().unwrap().to_owned();
    assert_eq!(
        sims.jde
            .edit_rows("F4301", "DOCO", &doco, &[("CRRM", "F"), ("CRCD", "EUR")]),
        1
    );
    let lines = sims.jde.edit_rows(
        "F4311",
        "DOCO",
        &doco,
        &[("FRRC", "2.5000"), ("FEA", "25.00")],
    );
    assert!(lines > 0);
    let env = Env::new(&sims).await;
    env.sync().await;
    let po = sims.jag.purchase_order(number).expect("sent");
    let h = &po["header"];
    assert_eq!(h["currency"], "EUR", "{po:#}");
    assert_eq!(h["total"]["currency"], "EUR");
    let open: Vec<&Value> = po["lineList"]["poLine"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] != "Cancelled")
        .collect();
    assert_eq!(
        dec(&h["total"]["value"]),
        dec(&Value::from(25)) * mlc_core::Decimal::from(open.len()),
        "{po:#}"
    );
    for l in po["lineList"]["poLine"].as_array().unwrap() {
        assert_eq!(
            dec(&l["unitPrice"]),
            "2.5".parse::<mlc_core::Decimal>().unwrap(),
            "{l:#}"
        );
    }
    // PO content: ship-to with its address, buyer with name, terms, dates, line type and
    // quantities (field names assumed, docs/mapping.md).
    assert_eq!(h["shipTo"]["extCode"], "9100", "{h:#}");
    assert_eq!(h["shipTo"]["city"], "Chicago");
    assert!(text(&h["buyer"]["name"]).contains(','), "{h:#}");
    assert_eq!(h["paymentTerms"]["standardPaymentTermsCode"], "N30");
    assert!(!text(&h["orderedBy"]).is_empty());
    let l0 = &po["lineList"]["poLine"][0];
    assert!(!text(&l0["lineType"]).is_empty(), "{l0:#}");
    assert!(!text(&l0["promisedDeliveryDate"]).is_empty(), "{l0:#}");
    assert!(l0.get("quantityOpen").is_some() && l0.get("quantityReceived").is_some());
}

/// A supplier on payment hold stays active in JAGGAER; an address-only change (F0116 alone)
/// reaches JAGGAER once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_supplier_stays_active_and_an_address_change_alone_is_sent_once() {
    let sims = Sims::small().await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let an8 = text(&sims.jag.suppliers()[0]["extCode"]);
    assert!(sims.jde.hold_supplier(an8.parse().unwrap()));
    sims.clear_logs();
    env.sync().await;
    assert_eq!(supplier_of(&sims, &an8)["status"], "ACTIVE");

    // Only F0116 changes (every address row of the supplier gets the new city).
    let n = sims.jde.edit_rows(
        "F0116",
        "AN8",
        &an8,
        &[("CTY1", "Springfield"), ("ADD1", "1 New St")],
    );
    assert!(n > 0);
    sims.clear_logs();
    let s = env.sync().await;
    assert_eq!(supplier_writes(&sims), 1, "{:#}", s.json);
    assert_eq!(supplier_of(&sims, &an8)["city"], "Springfield");
    sims.clear_logs();
    env.sync().await;
    assert_eq!(supplier_writes(&sims), 0, "once");
}

/// A business unit JDE closes (F0006 PECC) is deactivated in JAGGAER's CostCenter list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_business_unit_is_deactivated() {
    let sims = Sims::small().await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let active = |sims: &Sims| -> BTreeSet<String> {
        sims.jag
            .custom_field_values("CostCenter")
            .iter()
            .filter(|v| v["active"] != false)
            .map(|v| text(&v["value"]))
            .collect()
    };
    assert!(active(&sims).contains("220"));
    assert_eq!(
        sims.jde.edit_rows("F0006", "MCU", "220", &[("PECC", "N")]),
        1
    );
    env.sync().await;
    assert!(!active(&sims).contains("220"), "{:?}", active(&sims));
    assert!(
        values(&sims.jag, "CostCenter").contains("220"),
        "kept, inactive"
    );
}

/// A PO whose supplier is not in JAGGAER waits, and goes out by itself in the cycle after the
/// supplier synced (JDE did not change the PO).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_po_waiting_on_its_supplier_goes_out_once_the_supplier_synced() {
    let sims = Sims::small().await;
    let jde = jde_pos(&sims.jde);
    let (number, po) = jde.iter().find(|(_, p)| !p.hold).expect("a PO");
    let an8 = po.an8.clone();
    // The supplier has no name: quarantined, so not in JAGGAER.
    assert_eq!(sims.jde.edit_rows("F0101", "AN8", &an8, &[("ALPH", "")]), 1);
    let env = Env::new(&sims).await;
    let s = env.sync().await;
    assert!(sims.jag.purchase_order(number).is_none());
    assert!(s.n("purchase-orders", "waiting") > 0, "{:#}", s.json);
    // Fixed in JDE: the supplier syncs and the PO follows.
    assert_eq!(
        sims.jde
            .edit_rows("F0101", "AN8", &an8, &[("ALPH", "Fixed Supplier Inc.")]),
        1
    );
    env.sync().await;
    assert!(
        sims.jag.purchase_order(number).is_some(),
        "went out by itself"
    );
    assert_pos_match(&sims);
    sims.clear_logs();
    env.sync().await;
    assert_eq!(po_writes(&sims), 0, "once");
}

/// A supplier's special payee changed in JDE after the invoice's approval: the voucher is
/// flagged on its audit (and the alert monitor reads the flag).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payee_change_after_approval_is_flagged_on_the_voucher() {
    let mut jag = JaggaerSimConfig::default();
    jag.knobs.invoice_on_po = 0.0;
    jag.knobs.pending_rate = 0.0;
    let sims = Sims::start(jde_config(8, 10), jag).await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let ids = sims.jag.generate_invoices(1);
    let inv = sims.jag.invoice_json(ids[0]).expect("invoice");
    let an8 = text(&inv["header"]["supplier"]["supplierNumber"]);
    // The payee changes after the invoice was approved: the JDE clock (frozen 10 minutes
    // back by the harness) is set a minute ahead of the approval for the edit.
    sims.jde.set_knobs(|k| {
        let tz = jiff::tz::TimeZone::get(&k.timezone).unwrap();
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(1);
        k.frozen_now = Some(later.to_zoned(tz).datetime());
    });
    assert_eq!(
        sims.jde
            .edit_rows("F0101", "AN8", &an8, &[("AN86", "9201")]),
        1
    );
    let s = env.sync().await;
    assert_eq!(s.n("invoices", "created"), 1, "{:#}", s.json);
    let out = env.cmd(&["audit", &format!("invoice:{TENANT}:{}", ids[0]), "--json"]);
    let trail = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(trail.contains("payee-changed"), "{trail}");
    let flag = env
        .store()
        .await
        .cursor(&TENANT.parse().unwrap(), mlc_engine::payee::FLAG_CURSOR)
        .await
        .unwrap();
    assert!(flag.is_some_and(|f| f.contains(&ids[0].to_string())));
}
