//! The supplier flow against in-memory fakes and a real store: both tables polled, payment hold
//! deactivates, a supplier JAGGAER cannot take is quarantined, a failure holds the cursor.
use mlc_core::record::{Entity, RecordKind};
use mlc_engine::summary::SummaryStatus;
use mlc_engine::testing::{Call, FakeFailure, Fakes, stamp, supplier};
use mlc_store::LedgerStatus;

const F0401: &str = "suppliers/F0401";
const ONLY: [Entity; 1] = [Entity::Suppliers];

#[tokio::test]
async fn each_supplier_is_written_once_and_only_again_when_it_changes() {
    let f = Fakes::new().await;
    f.jde
        .put_supplier(supplier(1, "Alpha", stamp("2026-01-02", 90000)));
    f.jde
        .put_supplier(supplier(2, "Beta", stamp("2026-01-02", 91000)));
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(s.entities["suppliers"].created, 2);
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.entities["suppliers"].unchanged, 2);
    assert_eq!(f.jag.supplier_writes("1").len(), 1);

    // A name change touches only the address book (F0101).
    let mut beta = supplier(2, "Beta Industries", stamp("2026-01-02", 91000));
    beta.f0101 = stamp("2026-01-03", 80000);
    f.jde.put_supplier(beta);
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.entities["suppliers"].updated, 1, "{s:?}");
    let w = f.jag.supplier_writes("2");
    assert_eq!(w.len(), 2);
    assert_eq!(w[1].company_name, "Beta Industries");
    assert_eq!(f.jag.supplier_writes("1").len(), 1);
}

#[tokio::test]
async fn a_supplier_on_payment_hold_is_deactivated_not_deleted() {
    let f = Fakes::new().await;
    let mut s1 = supplier(1, "Alpha", stamp("2026-01-02", 90000));
    s1.supplier.active = false;
    f.jde.put_supplier(s1);
    f.cycle(&ONLY).await;
    let w = f.jag.supplier_writes("1");
    assert_eq!(w.len(), 1);
    assert!(!w[0].active);
    let l = f.ledger(RecordKind::Supplier, "1").await.unwrap();
    assert_eq!(l.status, LedgerStatus::Inactive);
    assert!(
        f.actions(RecordKind::Supplier, "1")
            .await
            .contains(&"deactivated".to_owned())
    );
}

#[tokio::test]
async fn a_supplier_without_a_name_is_quarantined_and_the_others_go_through() {
    let f = Fakes::new().await;
    f.jde
        .put_supplier(supplier(1, "  ", stamp("2026-01-02", 90000)));
    f.jde
        .put_supplier(supplier(2, "Beta", stamp("2026-01-02", 91000)));
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    let q = f.quarantine().await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].entry.field.as_deref(), Some("F0101.ALPH"));
    assert_eq!(q[0].entry.payload["an8"], 1, "payload is the source row");
    assert!(f.jag.supplier_writes("1").is_empty());
    assert_eq!(f.jag.supplier_writes("2").len(), 1);
    assert_eq!(
        f.cursor(F0401).await.as_deref(),
        Some(stamp("2026-01-02", 91000).to_cursor().as_str())
    );
}

#[tokio::test]
async fn a_transient_failure_holds_the_cursor_and_nothing_is_written_twice() {
    let f = Fakes::new().await;
    f.jde
        .put_supplier(supplier(1, "Alpha", stamp("2026-01-02", 90000)));
    f.jde
        .put_supplier(supplier(2, "Beta", stamp("2026-01-02", 91000)));
    f.jag
        .faults
        .fail(Call::UpsertSupplier, 2, FakeFailure::Transient);
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Failed);
    assert!(f.quarantine().await.is_empty());
    assert_eq!(f.cursor(F0401).await, None);
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jag.supplier_writes("1").len(), 1);
    assert_eq!(f.jag.supplier_writes("2").len(), 1);
    assert!(f.cursor(F0401).await.is_some());
}
