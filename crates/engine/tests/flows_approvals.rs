//! The voucher approval gate (issue 19): pending vouchers are not posted; an approved one is
//! posted once, also across a crash between the voucher call and the commit; a rejected one is
//! quarantined with the reason; an invoice that changes while pending is re-planned and needs
//! approval again; `first-run` ends once JDE processed a voucher the connector posted; a
//! threshold lets small vouchers through.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mlc_core::record::{Entity, RecordKind};
use mlc_engine::approvals::{Decision, decide, pending};
use mlc_engine::settings::VoucherApproval;
use mlc_engine::summary::SummaryStatus;
use mlc_engine::testing::{Fakes, j1p_invoice, stamp, supplier};
use mlc_store::LedgerStatus;
use serde_json::Value;

const BOTH: [Entity; 2] = [Entity::Suppliers, Entity::Invoices];
const T1: &str = "2026-01-12T10:00:00Z";
const T2: &str = "2026-01-13T10:00:00Z";

async fn world(mode: VoucherApproval) -> Fakes {
    let mut f = Fakes::new().await;
    f.settings.mapping.voucher_approval = mode;
    f.jde
        .put_supplier(supplier(4242, "Midwest Safety", stamp("2026-01-02", 90000)));
    f
}

fn invoice(id: u64, number: &str, total: &str, last_update: &str) -> Value {
    j1p_invoice(id, number, "77", 4242, total, "Payable", last_update)
}

async fn pending_ids(f: &Fakes) -> Vec<String> {
    pending(f.store.as_ref(), std::slice::from_ref(&f.settings.tenant))
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.record.key)
        .collect()
}

async fn approve(f: &Fakes, id: &str) {
    let row = pending(f.store.as_ref(), std::slice::from_ref(&f.settings.tenant))
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.record.key == id)
        .unwrap_or_else(|| panic!("invoice {id} is not pending"));
    decide(f.store.as_ref(), row, Decision::Approve, "ann")
        .await
        .unwrap();
}

#[tokio::test]
async fn pending_vouchers_are_not_posted_and_approval_posts_once() {
    let f = world(VoucherApproval::Always).await;
    f.jag.put_invoice(invoice(1, "INV-1", "100.00", T1));
    f.jag.put_invoice(invoice(2, "INV-2", "250.00", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(s.entities["invoices"].waiting, 2, "{s:?}");
    assert_eq!(s.entities["invoices"].created, 0);
    assert!(f.jde.posted().is_empty(), "a pending voucher was posted");
    assert_eq!(pending_ids(&f).await, ["1", "2"]);
    let l = f.ledger(RecordKind::Invoice, "1").await.unwrap();
    assert_eq!(l.status, LedgerStatus::Waiting);
    let lines = &l.detail["approval"]["plan"]["detailInputs"][0]["repeatingInputs"];
    assert!(
        !lines.as_array().unwrap().is_empty(),
        "the full plan: {l:?}"
    );
    assert!(
        f.actions(RecordKind::Invoice, "1")
            .await
            .contains(&"waiting".to_owned())
    );

    // Still pending: a second cycle posts nothing.
    f.cycle(&BOTH).await;
    assert!(f.jde.posted().is_empty());

    approve(&f, "1").await;
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 1, "{s:?}");
    let posted = f.jde.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].vinv, "INV-1");
    assert_eq!(
        f.ledger(RecordKind::Invoice, "1").await.unwrap().status,
        LedgerStatus::Posted
    );
    assert_eq!(pending_ids(&f).await, ["2"], "invoice 2 still waits");
    let actions = f.actions(RecordKind::Invoice, "1").await;
    assert!(actions.contains(&"approved".to_owned()), "{actions:?}");

    f.cycle(&BOTH).await;
    assert_eq!(f.jde.posted().len(), 1, "posted twice");
}

#[tokio::test]
async fn an_approved_voucher_is_posted_once_across_a_crash_before_the_commit() {
    let f = world(VoucherApproval::Always).await;
    f.jag.put_invoice(invoice(1, "INV-1", "100.00", T1));
    f.cycle(&BOTH).await;
    approve(&f, "1").await;

    // The process dies after JDE took the voucher and before the store commit.
    let crash = Arc::new(AtomicBool::new(true));
    let c = crash.clone();
    f.jde.on_post(move || {
        if c.swap(false, Ordering::SeqCst) {
            panic!("killed after the voucher call");
        }
    });
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Failed, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1);
    assert_eq!(
        f.ledger(RecordKind::Invoice, "1").await.unwrap().detail["approval"]["state"],
        "approved",
        "nothing of the crashed cycle was committed"
    );

    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1, "posted twice");
    assert_eq!(
        f.ledger(RecordKind::Invoice, "1").await.unwrap().status,
        LedgerStatus::Posted
    );
    assert!(
        f.actions(RecordKind::Invoice, "1")
            .await
            .contains(&"found-existing".to_owned())
    );
}

#[tokio::test]
async fn a_rejected_voucher_goes_to_quarantine_with_the_reason() {
    let f = world(VoucherApproval::Always).await;
    f.jag.put_invoice(invoice(1, "INV-1", "100.00", T1));
    f.cycle(&BOTH).await;
    let row = pending(f.store.as_ref(), std::slice::from_ref(&f.settings.tenant))
        .await
        .unwrap()
        .remove(0);
    decide(
        f.store.as_ref(),
        row,
        Decision::Reject("duplicate of a paper invoice".into()),
        "bob",
    )
    .await
    .unwrap();
    let q = f.quarantine().await;
    assert_eq!(q.len(), 1);
    assert!(
        q[0].entry.reason.contains("duplicate of a paper invoice"),
        "{}",
        q[0].entry.reason
    );
    assert!(q[0].entry.reason.contains("bob"), "{}", q[0].entry.reason);
    assert_eq!(q[0].entry.reason_kind, "approval-rejected");
    assert!(pending_ids(&f).await.is_empty());

    f.cycle(&BOTH).await;
    assert!(f.jde.posted().is_empty(), "a rejected voucher was posted");
}

#[tokio::test]
async fn an_invoice_changed_while_pending_is_replanned_and_needs_approval_again() {
    let f = world(VoucherApproval::Always).await;
    f.jag.put_invoice(invoice(1, "INV-1", "100.00", T1));
    f.cycle(&BOTH).await;
    let before = f.ledger(RecordKind::Invoice, "1").await.unwrap();

    // Changed in JAGGAER after AP approved, before the next cycle: the approval was for the
    // old plan.
    approve(&f, "1").await;
    f.jag.put_invoice(invoice(1, "INV-1", "120.00", T2));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].waiting, 1, "{s:?}");
    assert!(
        f.jde.posted().is_empty(),
        "posted on an approval of another plan"
    );
    let after = f.ledger(RecordKind::Invoice, "1").await.unwrap();
    assert_eq!(after.detail["approval"]["state"], "pending");
    assert_ne!(
        after.detail["approval"]["plan_hash"],
        before.detail["approval"]["plan_hash"]
    );
    assert_eq!(after.detail["approval"]["gross"], "120.00");

    approve(&f, "1").await;
    f.cycle(&BOTH).await;
    let posted = f.jde.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].plan.gross.to_string(), "120.00");
}

#[tokio::test]
async fn first_run_ends_once_jde_processed_a_voucher_and_small_ones_pass_a_threshold() {
    let mut f = world(VoucherApproval::FirstRun).await;
    f.settings.mapping.voucher_approval_above = Some("150".parse().unwrap());
    f.jag.put_invoice(invoice(1, "INV-1", "100.00", T1));
    f.jag.put_invoice(invoice(2, "INV-2", "500.00", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(
        s.entities["invoices"].created, 1,
        "below the threshold: {s:?}"
    );
    assert_eq!(s.entities["invoices"].waiting, 1, "{s:?}");
    assert_eq!(pending_ids(&f).await, ["2"]);

    // JDE processes the first voucher: the first run is over, larger ones pass too.
    f.jde.process_batch(&[]);
    f.cycle(&BOTH).await;
    f.jag.put_invoice(invoice(3, "INV-3", "900.00", T2));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 1, "{s:?}");
    assert_eq!(f.jde.posted().len(), 2);
    // The voucher that was pending before stays pending until AP decides.
    assert_eq!(pending_ids(&f).await, ["2"]);
}
