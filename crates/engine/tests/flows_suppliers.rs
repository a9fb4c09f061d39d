//! The supplier flow against in-memory fakes and a real store: both tables polled, an inactive
//! supplier is deactivated, a supplier JAGGAER cannot take is quarantined, a failure holds the cursor.
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
async fn an_inactive_supplier_is_deactivated_not_deleted() {
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

/// A supplier whose only change is in `f` (F0401 and F0101 keep their stamps).
async fn only_one_table_changes(
    f: &Fakes,
    change: impl FnOnce(&mut mlc_engine::testing::FakeSupplier),
) {
    f.jde
        .put_supplier(supplier(1, "Alpha", stamp("2026-01-02", 90000)));
    f.jde
        .put_supplier(supplier(2, "Beta", stamp("2026-01-02", 91000)));
    f.cycle(&ONLY).await;
    let mut alpha = supplier(1, "Alpha", stamp("2026-01-02", 90000));
    change(&mut alpha);
    f.jde.put_supplier(alpha);
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.entities["suppliers"].updated, 1, "{s:?}");
    // Once: the next cycles find nothing new.
    f.cycle(&ONLY).await;
    assert_eq!(f.jag.supplier_writes("2").len(), 1);
}

#[tokio::test]
async fn an_address_only_change_reaches_jaggaer_once() {
    // Before issue 15 only F0401 and F0101 were polled: a change of F0116 alone was never sent.
    let f = Fakes::new().await;
    only_one_table_changes(&f, |s| {
        s.supplier.address = "2 New St".into();
        s.f0116 = stamp("2026-01-05", 100000);
        s.supplier.updated = s.f0116;
    })
    .await;
    let w = f.jag.supplier_writes("1");
    assert_eq!(w.len(), 2);
    assert_eq!(w[1].address, "2 New St");
    assert_eq!(
        f.cursor("suppliers/F0116").await.as_deref(),
        Some(stamp("2026-01-05", 100000).to_cursor().as_str())
    );
}

#[tokio::test]
async fn an_email_only_change_reaches_jaggaer_once() {
    let f = Fakes::new().await;
    only_one_table_changes(&f, |s| {
        s.supplier.email = Some("ap@alpha.test".into());
        s.f01151 = stamp("2026-01-06", 100000);
        s.supplier.updated = s.f01151;
    })
    .await;
    let w = f.jag.supplier_writes("1");
    assert_eq!(w.len(), 2);
    assert_eq!(w[1].email.as_deref(), Some("ap@alpha.test"));
    assert_eq!(
        f.cursor("suppliers/F01151").await.as_deref(),
        Some(stamp("2026-01-06", 100000).to_cursor().as_str())
    );
}

#[tokio::test]
async fn a_future_dated_address_is_sent_on_the_first_cycle_it_is_in_effect() {
    use mlc_core::jdetime::{JdeStamp, TimeOfDay};
    const EFFECTIVE: &str = "suppliers/F0116-effective";
    let f = Fakes::new().await;
    let today = JdeStamp::now_in(&f.settings.jde_timezone).date;
    let day = |d: jiff::civil::Date| JdeStamp::new(d, TimeOfDay::MIDNIGHT).to_cursor();
    // Beta has an address effective today, Gamma one effective tomorrow; no row changes when
    // they take effect.
    let mut beta = supplier(2, "Beta", stamp("2026-01-02", 91000));
    beta.eftb = vec![today];
    let mut gamma = supplier(3, "Gamma", stamp("2026-01-02", 92000));
    gamma.eftb = vec![today.tomorrow().expect("a date")];
    f.jde.put_supplier(beta.clone());
    f.jde.put_supplier(gamma);
    // The first sync sends every supplier as it is and only records the day.
    f.cycle(&ONLY).await;
    assert_eq!(f.cursor(EFFECTIVE).await, Some(day(today)));
    f.cycle(&ONLY).await;
    assert_eq!(f.jag.supplier_writes("2").len(), 1);

    // As if the last look was yesterday: Beta's address has taken effect since.
    f.store
        .set_cursor(
            &f.settings.tenant,
            EFFECTIVE,
            Some(&day(today.yesterday().expect("a date"))),
        )
        .await
        .expect("the store works");
    beta.supplier.address = "9 Future Rd".into();
    f.jde.put_supplier(beta);
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.entities["suppliers"].updated, 1, "{s:?}");
    let w = f.jag.supplier_writes("2");
    assert_eq!(w.len(), 2);
    assert_eq!(w[1].address, "9 Future Rd");
    assert_eq!(f.jag.supplier_writes("3").len(), 1, "not in effect yet");
    assert_eq!(f.cursor(EFFECTIVE).await, Some(day(today)));
    f.cycle(&ONLY).await;
    assert_eq!(f.jag.supplier_writes("2").len(), 2);
}
