//! The purchase-order flow against in-memory fakes of JDE and JAGGAER and a real store:
//! cursor movement, waiting (hold, unknown supplier), quarantine vs failure, exactly-once writes.
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use mlc_core::Decimal;
use mlc_core::jdetime::JdeStamp;
use mlc_core::record::{Entity, RecordKey, RecordKind};
use mlc_engine::summary::SummaryStatus;
use mlc_engine::testing::{Call, FakeFailure, Fakes, po_header, po_key, po_line, stamp, supplier};
use mlc_store::LedgerStatus;

const HEADERS: &str = "purchase-orders/F4301";
const LINES: &str = "purchase-orders/F4311";
const BOTH: [Entity; 2] = [Entity::Suppliers, Entity::PurchaseOrders];

/// Supplier 4242 and POs `docos`, each with two lines, all stamped on 2026-01-05.
async fn world(docos: &[u64]) -> Fakes {
    let f = Fakes::new().await;
    f.jde
        .put_supplier(supplier(4242, "Midwest Safety", stamp("2026-01-02", 90000)));
    for (i, &doco) in docos.iter().enumerate() {
        let at = stamp("2026-01-05", 100000 + i as u32 * 100);
        f.jde.put_po_header(po_header(doco, 4242, at));
        f.jde.put_po_line(po_line(doco, 1, 2, "10.00", at));
        f.jde.put_po_line(po_line(doco, 2, 1, "5.50", at));
    }
    f
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn number(doco: u64) -> String {
    po_key(doco).to_string()
}

#[tokio::test]
async fn first_sync_writes_each_po_once_and_an_idle_cycle_writes_nothing() {
    let f = world(&[1, 2]).await;
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(s.entities["purchase-orders"].created, 2);
    let sent = f.jag.po_writes(&number(1));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].total, dec("25.50"));
    assert_eq!(
        sent[0].supplier_bravo_id,
        f.jag.supplier_id("4242").unwrap()
    );
    assert_eq!(
        f.cursor(HEADERS).await.as_deref(),
        Some(stamp("2026-01-05", 100100).to_cursor().as_str())
    );

    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(s.entities["purchase-orders"].unchanged, 2);
    assert_eq!(f.jag.po_writes(&number(1)).len(), 1);
    assert_eq!(f.jag.po_writes(&number(2)).len(), 1);
}

#[tokio::test]
async fn a_row_inside_the_safety_lag_is_left_for_a_later_poll_and_the_cursor_stays_behind_it() {
    let f = world(&[1]).await;
    f.cycle(&BOTH).await;
    let cursor = f.cursor(HEADERS).await.unwrap();
    // Written 30 s ago: still inside the default 2-minute safety lag.
    let recent = JdeStamp::now_in(&TimeZone::UTC).minus(SignedDuration::from_secs(30));
    f.jde.put_po_header(po_header(3, 4242, recent));
    f.jde.put_po_line(po_line(3, 1, 1, "1.00", recent));

    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert!(f.jag.po_writes(&number(3)).is_empty(), "read too early");
    let now = f.cursor(HEADERS).await.unwrap();
    assert!(
        JdeStamp::from_cursor(&now).unwrap() < recent,
        "cursor {now} passed a row not read yet"
    );
    assert!(now >= cursor, "cursor moved back");

    // Once the row is older than the lag, it is read and sent exactly once.
    let mut f = f;
    f.settings.windows.safety_lag = SignedDuration::ZERO;
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(f.jag.po_writes(&number(3)).len(), 1);
    assert_eq!(f.jag.po_writes(&number(1)).len(), 1);
}

#[tokio::test]
async fn a_row_committed_late_with_an_older_stamp_is_read_within_the_lookback() {
    let f = world(&[1]).await;
    f.cycle(&BOTH).await;
    // Committed after the poll, stamped one hour before the cursor.
    let late = stamp("2026-01-05", 90000);
    f.jde.put_po_header(po_header(4, 4242, late));
    f.jde.put_po_line(po_line(4, 1, 3, "2.00", late));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(f.jag.po_writes(&number(4)).len(), 1);
    assert_eq!(
        f.cursor(HEADERS).await.as_deref(),
        Some(stamp("2026-01-05", 100000).to_cursor().as_str()),
        "the cursor never moves back"
    );
}

#[tokio::test]
async fn a_transient_failure_fails_the_cycle_keeps_the_cursor_and_the_po_is_sent_next_cycle() {
    let f = world(&[1, 2]).await;
    // Writes go one at a time: the second PO upsert fails.
    f.jag.faults.fail(Call::UpsertPo, 2, FakeFailure::Transient);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Failed);
    assert!(s.error.as_deref().unwrap().contains("purchase-orders"));
    assert!(
        f.quarantine().await.is_empty(),
        "a transient failure never quarantines"
    );
    assert_eq!(
        f.cursor(HEADERS).await,
        None,
        "cursor moved past an unsent PO"
    );
    assert_eq!(f.jag.po_writes(&number(1)).len(), 1);
    assert!(f.jag.po_writes(&number(2)).is_empty());
    assert!(f.ledger(RecordKind::Po, &number(2)).await.is_none());

    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(
        f.jag.po_writes(&number(1)).len(),
        1,
        "committed PO sent again"
    );
    assert_eq!(f.jag.po_writes(&number(2)).len(), 1);
    assert!(f.cursor(HEADERS).await.is_some());
}

#[tokio::test]
async fn a_failed_page_read_leaves_the_cursor_where_it_was() {
    let f = world(&[1]).await;
    f.jde
        .faults
        .fail(Call::PoHeadersChanged, 1, FakeFailure::Transient);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Failed);
    assert_eq!(f.cursor(HEADERS).await, None);
    assert!(f.jag.po_writes(&number(1)).is_empty());
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(f.jag.po_writes(&number(1)).len(), 1);
}

#[tokio::test]
async fn a_po_refused_by_jaggaer_is_quarantined_with_its_rows_and_the_cursor_moves_on() {
    let f = world(&[1, 2]).await;
    f.jag.faults.fail(Call::UpsertPo, 1, FakeFailure::Refused);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    assert_eq!(s.entities["purchase-orders"].quarantined, 1);
    assert_eq!(s.entities["purchase-orders"].created, 1);
    let q = f.quarantine().await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].entry.record.key, number(1));
    assert_eq!(q[0].entry.reason_kind, "rejected");
    assert_eq!(q[0].entry.payload["F4301"]["DOCO"], 1);
    assert_eq!(q[0].entry.payload["F4311"].as_array().unwrap().len(), 2);
    assert!(
        f.cursor(HEADERS).await.is_some(),
        "a refusal does not hold the cursor"
    );
    assert_eq!(f.jag.po_writes(&number(2)).len(), 1);
}

#[tokio::test]
async fn a_rejected_login_pauses_the_tenant() {
    let f = world(&[1]).await;
    f.jag
        .faults
        .fail(Call::UpsertPo, 1, FakeFailure::LoginRejected);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Failed);
    assert!(s.login_rejected);
    let state = f.store.tenant_state(&f.settings.tenant).await.unwrap();
    assert!(state.paused);
    assert!(f.quarantine().await.is_empty());
}

#[tokio::test]
async fn a_po_on_hold_waits_and_is_sent_once_released() {
    let f = world(&[]).await;
    let at = stamp("2026-01-05", 100000);
    let mut h = po_header(1, 4242, at);
    h.hold_code = "H1".into();
    f.jde.put_po_header(h.clone());
    f.jde.put_po_line(po_line(1, 1, 1, "9.00", at));

    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(s.entities["purchase-orders"].waiting, 1);
    assert!(f.jag.po_writes(&number(1)).is_empty());
    let l = f.ledger(RecordKind::Po, &number(1)).await.unwrap();
    assert_eq!(l.status, LedgerStatus::Waiting);
    assert!(
        f.cursor(HEADERS).await.is_some(),
        "waiting is decided, not failed"
    );

    // Still on hold: no second waiting event, still nothing sent.
    f.cycle(&BOTH).await;
    let waits = f.actions(RecordKind::Po, &number(1)).await;
    assert_eq!(
        waits.iter().filter(|a| *a == "waiting").count(),
        1,
        "{waits:?}"
    );

    h.hold_code = String::new();
    h.stamp = stamp("2026-01-06", 80000);
    f.jde.put_po_header(h);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["purchase-orders"].created, 1, "{s:?}");
    assert_eq!(f.jag.po_writes(&number(1)).len(), 1);
    let l = f.ledger(RecordKind::Po, &number(1)).await.unwrap();
    assert_eq!(l.status, LedgerStatus::Synced);
}

#[tokio::test]
async fn a_po_of_a_supplier_not_in_jaggaer_waits_until_the_supplier_is_and_then_is_sent_once() {
    let f = world(&[1]).await;
    f.jag
        .faults
        .fail(Call::UpsertSupplier, 1, FakeFailure::Refused);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    assert_eq!(s.entities["purchase-orders"].waiting, 1, "{s:?}");
    assert!(
        f.jag.po_writes(&number(1)).is_empty(),
        "PO sent without its supplier"
    );
    // It waits (not quarantined: nothing is wrong with it), with the reason in its audit.
    let q = f.quarantine().await;
    assert!(
        q.iter().all(|e| e.entry.record.kind != RecordKind::Po),
        "{q:?}"
    );
    let l = f.ledger(RecordKind::Po, &number(1)).await.unwrap();
    assert_eq!(l.status, LedgerStatus::Waiting);
    let trail = f
        .store
        .audit_trail(
            &RecordKey::new(RecordKind::Po, &f.settings.tenant, number(1)),
            None,
        )
        .await
        .unwrap();
    let wait = trail
        .iter()
        .find(|a| a.action == "waiting")
        .expect("the wait is audited");
    assert!(
        wait.message.contains("not in JAGGAER yet"),
        "{}",
        wait.message
    );
    let waits = f.store.waits(&f.settings.tenant).await.unwrap();
    assert_eq!(waits.len(), 1, "when the wait began is noted: {waits:?}");

    // The supplier goes through next cycle; the PO, which JDE did not change, follows in the
    // same cycle (suppliers run first, waiting POs are read again every cycle).
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jag.po_writes(&number(1)).len(), 1);
    let l = f.ledger(RecordKind::Po, &number(1)).await.unwrap();
    assert_eq!(l.status, LedgerStatus::Synced);
    assert!(f.store.waits(&f.settings.tenant).await.unwrap().is_empty());
    // And only once.
    f.cycle(&BOTH).await;
    assert_eq!(f.jag.po_writes(&number(1)).len(), 1);
}

#[tokio::test]
async fn a_po_without_an_order_date_is_quarantined_and_never_sent() {
    let f = world(&[]).await;
    let at = stamp("2026-01-05", 100000);
    let mut h = po_header(1, 4242, at);
    h.order_date = None;
    f.jde.put_po_header(h);
    f.jde.put_po_line(po_line(1, 1, 1, "9.00", at));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    assert_eq!(
        f.quarantine().await[0].entry.field.as_deref(),
        Some("F4301.TRDJ")
    );
    assert_eq!(f.jag.faults.calls(Call::UpsertPo), 0);
}

#[tokio::test]
async fn a_line_change_alone_sends_the_po_again_once() {
    let f = world(&[1, 2]).await;
    f.cycle(&BOTH).await;
    let lines_cursor = f.cursor(LINES).await;
    assert!(lines_cursor.is_some(), "first sync starts the line cursor");
    // A receipt changes line 2 of PO 1 only (F4311), with no change to the header.
    // Stamped as JDE stamps a change: its wall clock now (here, 10 minutes ago).
    let at = JdeStamp::now_in(&TimeZone::UTC).minus(SignedDuration::from_mins(10));
    f.jde.put_po_line(po_line(1, 2, 4, "5.50", at));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(s.entities["purchase-orders"].updated, 1);
    let sent = f.jag.po_writes(&number(1));
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].total, dec("42.00"));
    assert_eq!(
        f.jag.po_writes(&number(2)).len(),
        1,
        "untouched PO sent again"
    );
}

#[tokio::test]
async fn a_write_that_timed_out_is_not_quarantined_and_the_upsert_makes_the_resend_harmless() {
    let f = world(&[1]).await;
    f.jag
        .faults
        .fail(Call::UpsertPo, 1, FakeFailure::TimeoutAfterWrite);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Failed);
    assert!(f.quarantine().await.is_empty());
    f.cycle(&BOTH).await;
    // Upserts are keyed by poNumber: the second write lands on the same JAGGAER PO.
    assert_eq!(f.jag.po_writes(&number(1)).len(), 2);
    let l = f.ledger(RecordKind::Po, &number(1)).await.unwrap();
    assert_eq!(l.status, LedgerStatus::Synced);
    assert_eq!(
        f.jag.writes().len(),
        3,
        "one supplier write and two writes of the same PO"
    );
}
