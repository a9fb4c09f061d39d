//! Scenario 8: POs as cXML OrderRequests.
use std::collections::BTreeMap;

use serde_json::Value;

use crate::harness::*;

fn orders(sims: &Sims) -> Vec<Value> {
    sims.jag.cxml_orders_received()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cxml_orders_are_valid_sent_once_and_updated() {
    let sims = Sims::small().await;
    let env = Env::with(
        &sims,
        Options {
            cxml: true,
            ..Options::default()
        },
    )
    .await;
    env.sync().await;

    let jde = jde_pos(&sims.jde);
    let first = orders(&sims);
    let by_order: BTreeMap<String, &Value> =
        first.iter().map(|o| (text(&o["orderID"]), o)).collect();
    assert_eq!(by_order.len(), first.len(), "one OrderRequest per PO");
    for (n, po) in &jde {
        if po.hold {
            assert!(!by_order.contains_key(n), "held PO {n} sent");
            continue;
        }
        let o = by_order
            .get(n)
            .unwrap_or_else(|| panic!("PO {n} not sent as cXML"));
        assert_eq!(o["type"], "new", "{o:#}");
    }
    let xmllint = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok();
    for o in &first {
        let v = text(&o["dtdValidation"]);
        if xmllint && mlc_sim::jaggaer::default_dtd_path().is_some() {
            assert_eq!(v, "valid", "{o:#}");
        } else {
            eprintln!("note: DTD validation skipped ({v})");
            assert!(v.starts_with("skipped"), "{o:#}");
        }
    }
    assert_pos_match_with(&sims, false);

    // A rerun sends nothing.
    env.sync().await;
    let second = orders(&sims);
    assert_eq!(second.len(), first.len(), "rerun sent orders again");
    assert!(
        second
            .iter()
            .all(|o| o["resends"] == 0 || o["resends"].is_null()),
        "{second:#?}"
    );

    // A changed PO goes as an update with a new payloadID.
    let key = |k: &mlc_sim::jde::PoKey| format!("{}-{}-{}", k.kcoo, k.dcto, k.doco);
    let added: Vec<String> = sims.jde.add_pos(1).iter().map(key).collect();
    let cancelled: Vec<String> = sims.jde.cancel_po_lines(1).iter().map(key).collect();
    env.sync().await;
    let third = orders(&sims);
    let new: Vec<&Value> = third[first.len()..].iter().collect();
    for n in &cancelled {
        let o = new
            .iter()
            .find(|o| text(&o["orderID"]) == *n)
            .unwrap_or_else(|| panic!("changed PO {n} not resent: {new:#?}"));
        let all_cancelled = jde_pos(&sims.jde)[n].all_cancelled;
        let want = if all_cancelled { "delete" } else { "update" };
        assert_eq!(o["type"], want, "{o:#}");
        assert_ne!(o["payloadID"], by_order[n]["payloadID"]);
    }
    for n in &added {
        if jde_pos(&sims.jde)[n].hold {
            continue;
        }
        let o = new
            .iter()
            .find(|o| text(&o["orderID"]) == *n)
            .unwrap_or_else(|| panic!("new PO {n} not sent: {new:#?}"));
        assert_eq!(o["type"], "new", "{o:#}");
    }
    assert_pos_match_with(&sims, false);
}
