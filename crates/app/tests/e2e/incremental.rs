//! Scenario 3: changes in JDE → the next sync updates exactly those POs.
use std::collections::BTreeSet;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_sync_sends_exactly_the_changed_pos() {
    let sims = Sims::small().await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let before = jaggaer_pos(&sims.jag);

    let key = |k: &mlc_sim::jde::PoKey| format!("{}-{}-{}", k.kcoo, k.dcto, k.doco);
    let changed: BTreeSet<String> = sims.jde.change_pos(3).iter().map(key).collect();
    let added: BTreeSet<String> = sims.jde.add_pos(2).iter().map(key).collect();
    let cancelled: BTreeSet<String> = sims.jde.cancel_po_lines(3).iter().map(key).collect();
    let touched: BTreeSet<String> = changed
        .iter()
        .chain(&added)
        .chain(&cancelled)
        .cloned()
        .collect();
    sims.clear_logs();

    let s = env.sync().await;
    let after = jaggaer_pos(&sims.jag);
    assert_pos_match(&sims);

    // Nothing but the touched POs changed in JAGGAER.
    let differs: BTreeSet<String> = after
        .iter()
        .filter(|(n, po)| before.get(*n) != Some(po))
        .map(|(n, _)| n.clone())
        .collect();
    let untouched_changes: Vec<_> = differs.difference(&touched).collect();
    assert!(
        untouched_changes.is_empty(),
        "POs changed in JAGGAER that JDE did not change: {untouched_changes:?}"
    );
    // New POs (not on hold) and POs with a cancelled line are sent.
    let jde = jde_pos(&sims.jde);
    for n in added.iter().chain(&cancelled) {
        if !jde[n].hold {
            assert!(differs.contains(n), "PO {n} changed in JDE but not sent");
        }
    }
    // Each write was one upsert; no supplier or value writes.
    let writes = sims.jaggaer_writes();
    let po_writes = writes
        .iter()
        .filter(|w| w.starts_with("purchase_orders.upsert"))
        .count() as u64;
    assert_eq!(
        writes.len() as u64,
        po_writes,
        "only PO writes expected: {writes:?}"
    );
    assert_eq!(
        po_writes,
        s.n("purchase-orders", "created") + s.n("purchase-orders", "updated"),
        "{:#}",
        s.json
    );
    let new_in_jaggaer = after.keys().filter(|n| !before.contains_key(*n)).count() as u64;
    assert_eq!(
        s.n("purchase-orders", "created"),
        new_in_jaggaer,
        "{:#}",
        s.json
    );
    assert_eq!(
        s.n("purchase-orders", "updated"),
        differs.len() as u64 - new_in_jaggaer,
        "{:#}",
        s.json
    );
    assert_eq!(s.n("suppliers", "created") + s.n("suppliers", "updated"), 0);
    assert_eq!(s.n("accounts", "created") + s.n("accounts", "updated"), 0);

    // And again: nothing.
    sims.clear_logs();
    let again = env.sync().await;
    assert_eq!(sims.jaggaer_writes(), Vec::<String>::new());
    assert_eq!(again.writes(), 0, "{:#}", again.json);
}

/// Every line of a PO cancelled in JDE → the PO goes to JAGGAER as Cancelled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fully_cancelled_po_is_sent_cancelled() {
    // Few POs and many cancellations: some PO ends with every line cancelled.
    let sims = Sims::start(
        jde_config(3, 4),
        mlc_sim::jaggaer::JaggaerSimConfig::default(),
    )
    .await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let lines = sims.jde.row_count("F4311");
    for _ in 0..lines {
        sims.jde.cancel_po_lines(lines);
    }
    let jde = jde_pos(&sims.jde);
    assert!(
        jde.values().any(|p| p.all_cancelled),
        "test setup: no PO fully cancelled"
    );
    env.sync().await;
    assert_pos_match(&sims);
    for po in jde.values().filter(|p| p.all_cancelled) {
        let j = sims.jag.purchase_order(&po.number).expect("PO in JAGGAER");
        assert_eq!(j["header"]["status"], "Cancelled", "{j:#}");
        assert_eq!(dec(&j["header"]["total"]["value"]), mlc_core::Decimal::ZERO);
    }
}
