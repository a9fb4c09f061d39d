//! `transport = "xml"` against in-memory fakes: suppliers go as one Router message per page, a
//! partly applied page is re-sent one supplier per message so only the failing supplier is
//! quarantined (with JAGGAER's text); POs go as `PurchaseOrderMessage`s (new, then update) and a
//! "new" PO JAGGAER already holds (a resend after a crash) is sent again as an update. No J1P
//! writes happen for suppliers or POs.
use mlc_core::record::{Entity, RecordKind};
use mlc_engine::ports::CxmlOrderKind;
use mlc_engine::settings::Transport;
use mlc_engine::summary::SummaryStatus;
use mlc_engine::testing::{Fakes, JagWrite, po_header, po_key, po_line, stamp, supplier};
use mlc_store::LedgerStatus;

const SUPPLIERS: [Entity; 1] = [Entity::Suppliers];
const BOTH: [Entity; 2] = [Entity::Suppliers, Entity::PurchaseOrders];

async fn xml_world() -> Fakes {
    let mut f = Fakes::new().await;
    f.settings.transport = Transport::Xml;
    f
}

fn supplier_messages(f: &Fakes) -> Vec<(Vec<String>, String)> {
    f.jag
        .writes()
        .into_iter()
        .filter_map(|w| match w {
            JagWrite::SuppliersXml(page, id) => {
                Some((page.into_iter().map(|s| s.ext_code).collect(), id))
            }
            _ => None,
        })
        .collect()
}

fn po_messages(f: &Fakes) -> Vec<(String, CxmlOrderKind, String)> {
    f.jag
        .writes()
        .into_iter()
        .filter_map(|w| match w {
            JagWrite::PoXml(po, kind, id) => Some((po.po_number, kind, id)),
            _ => None,
        })
        .collect()
}

fn no_j1p_writes(f: &Fakes) {
    for w in f.jag.writes() {
        assert!(
            !matches!(
                w,
                JagWrite::Supplier(_) | JagWrite::Po(_) | JagWrite::PoCxml(..)
            ),
            "a J1P/cXML write with transport = xml: {w:?}"
        );
    }
}

#[tokio::test]
async fn a_page_of_suppliers_is_one_message_and_a_partial_page_is_resent_one_by_one() {
    let f = xml_world().await;
    for (an8, name) in [(1, "Alpha"), (2, "Beta & Sons"), (3, "Gamma")] {
        f.jde
            .put_supplier(supplier(an8, name, stamp("2026-01-02", 90000)));
    }
    f.jag
        .refuse_xml_supplier("2", "Supplier 2: TaxIdentificationNumber is invalid");
    let s = f.cycle(&SUPPLIERS).await;

    let msgs = supplier_messages(&f);
    assert_eq!(
        msgs[0].0,
        ["1", "2", "3"],
        "one message for the page: {msgs:?}"
    );
    // completed < attempted: each supplier re-sent alone.
    let singles: Vec<_> = msgs[1..].iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(singles, [["1"], ["2"], ["3"]]);
    assert_eq!(s.entities["suppliers"].created, 2, "{s:?}");

    let q = f.quarantine().await;
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].entry.record.key, "2");
    assert!(
        q[0].entry
            .reason
            .contains("TaxIdentificationNumber is invalid"),
        "JAGGAER's text is kept: {}",
        q[0].entry.reason
    );
    assert_eq!(
        f.ledger(RecordKind::Supplier, "1").await.unwrap().status,
        LedgerStatus::Synced
    );
    assert!(f.ledger(RecordKind::Supplier, "2").await.is_none());
    no_j1p_writes(&f);

    // The MessageId is stable per document version: the same page re-sent carries the same id,
    // a changed supplier gives a new one.
    let ids: Vec<_> = msgs.iter().map(|(_, id)| id.clone()).collect();
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}

#[tokio::test]
async fn a_complete_page_is_not_resent_and_an_idle_cycle_sends_nothing() {
    let f = xml_world().await;
    for an8 in [1, 2] {
        f.jde
            .put_supplier(supplier(an8, "Alpha", stamp("2026-01-02", 90000)));
    }
    let s = f.cycle(&SUPPLIERS).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(supplier_messages(&f).len(), 1);
    let s = f.cycle(&SUPPLIERS).await;
    assert_eq!(s.entities["suppliers"].unchanged, 2);
    assert_eq!(supplier_messages(&f).len(), 1);
}

async fn po_world() -> Fakes {
    let f = xml_world().await;
    f.jde
        .put_supplier(supplier(4242, "Midwest Safety", stamp("2026-01-02", 90000)));
    let at = stamp("2026-01-05", 100000);
    f.jde.put_po_header(po_header(1, 4242, at));
    f.jde.put_po_line(po_line(1, 1, 2, "10.00", at));
    f
}

#[tokio::test]
async fn pos_go_as_new_then_update_with_a_stable_message_id_per_version() {
    let f = po_world().await;
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    let number = po_key(1).to_string();
    let m = po_messages(&f);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(
        (m[0].0.as_str(), m[0].1),
        (number.as_str(), CxmlOrderKind::New)
    );

    let at = stamp("2026-01-06", 100000);
    f.jde.put_po_line(po_line(1, 1, 3, "10.00", at));
    f.cycle(&BOTH).await;
    let m = po_messages(&f);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[1].1, CxmlOrderKind::Update);
    assert_ne!(m[0].2, m[1].2, "a new version gets a new MessageId");
    no_j1p_writes(&f);
}

#[tokio::test]
async fn a_new_po_jaggaer_already_holds_is_sent_again_as_an_update() {
    let f = po_world().await;
    f.cycle(&BOTH).await;
    // The connector "crashed" after JAGGAER took the PO, before its ledger row: a fresh store
    // sends it as new again, JAGGAER says it exists, and it goes as an update.
    let g = f.with_fresh_store().await;
    let mut g = g;
    g.settings.transport = Transport::Xml;
    let s = g.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert!(g.quarantine().await.is_empty());
    let m = po_messages(&g);
    let kinds: Vec<_> = m.iter().map(|(_, k, _)| *k).collect();
    assert_eq!(kinds, [CxmlOrderKind::New, CxmlOrderKind::Update], "{m:?}");
    assert_eq!(
        g.ledger(RecordKind::Po, &po_key(1).to_string())
            .await
            .unwrap()
            .status,
        LedgerStatus::Synced
    );
}
