//! The invoice flow (JAGGAER → JDE vouchers) against in-memory fakes and a real store: waiting
//! for payable, dedup against F0411Z1 and F0411 (also after a crash between the voucher call and
//! the commit), quarantine vs failure, credit-memo numbering, changes after posting, read-back.
use mlc_core::ids::AddressNumber;
use mlc_core::record::{Entity, RecordKind};
use mlc_engine::summary::SummaryStatus;
use mlc_engine::testing::{Call, FakeFailure, Fakes, j1p_invoice, stamp, supplier};
use mlc_store::LedgerStatus;
use serde_json::Value;

const CURSOR: &str = "invoices/lastUpdate";
const BOTH: [Entity; 2] = [Entity::Suppliers, Entity::Invoices];
const T1: &str = "2026-01-12T10:00:00Z";
const T2: &str = "2026-01-13T10:00:00Z";

/// Supplier 4242 in JDE (it syncs in the first cycle, so invoices find it).
async fn world() -> Fakes {
    let f = Fakes::new().await;
    f.jde
        .put_supplier(supplier(4242, "Midwest Safety", stamp("2026-01-02", 90000)));
    f
}

fn invoice(id: u64, number: &str, total: &str, status: &str, last_update: &str) -> Value {
    j1p_invoice(id, number, "77", 4242, total, status, last_update)
}

fn credit_memo(id: u64, number: &str, total: &str, last_update: &str) -> Value {
    let mut doc = invoice(id, number, total, "Payable", last_update);
    doc["header"]["invoiceType"] = "Credit Memo".into();
    doc
}

#[tokio::test]
async fn a_payable_invoice_is_posted_once_and_later_polls_skip_it() {
    let f = world().await;
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(s.entities["invoices"].created, 1);
    let posted = f.jde.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].vinv, "INV-1");
    assert_eq!(posted[0].plan.an8, AddressNumber(4242));
    assert_eq!(posted[0].plan.gross.to_string(), "100.00");
    let l = f.ledger(RecordKind::Invoice, "1").await.unwrap();
    assert_eq!(l.status, LedgerStatus::Posted);
    assert_eq!(f.cursor(CURSOR).await.as_deref(), Some(T1));

    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(f.jde.posted().len(), 1);
    assert_eq!(
        f.jag.faults.calls(Call::Invoice),
        1,
        "unchanged invoice read again"
    );
}

#[tokio::test]
async fn an_invoice_not_yet_payable_waits_and_is_posted_once_payable() {
    let f = world().await;
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Approved", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(s.entities["invoices"].waiting, 1);
    assert!(f.jde.posted().is_empty());
    let l = f.ledger(RecordKind::Invoice, "1").await.unwrap();
    assert_eq!(l.status, LedgerStatus::Waiting);

    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T2));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 1, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1);
    assert_eq!(
        f.ledger(RecordKind::Invoice, "1").await.unwrap().status,
        LedgerStatus::Posted
    );
}

#[tokio::test]
async fn after_a_crash_between_the_voucher_call_and_the_commit_the_voucher_is_not_posted_again() {
    let f = world().await;
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    f.cycle(&BOTH).await;
    assert_eq!(f.jde.posted().len(), 1);

    // The same systems, but nothing of that run reached the store.
    let g = f.with_fresh_store().await;
    let s = g.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1, "voucher posted twice");
    let l = g.ledger(RecordKind::Invoice, "1").await.unwrap();
    assert_eq!(l.status, LedgerStatus::Posted);
    assert!(
        g.actions(RecordKind::Invoice, "1")
            .await
            .contains(&"found-existing".to_owned())
    );

    // Also once JDE processed the batch (the voucher is in F0411 and F0411Z1 says processed).
    f.jde.process_batch(&[]);
    let h = f.with_fresh_store().await;
    let s = h.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(f.jde.posted().len(), 1, "voucher posted twice");
}

#[tokio::test]
async fn an_invoice_already_vouchered_in_f0411_with_the_same_amount_is_not_posted() {
    let f = world().await;
    f.jde.put_f0411(
        AddressNumber(4242),
        "INV-1",
        "100.00".parse().unwrap(),
        "USD",
    );
    f.jag
        .put_invoice(invoice(1, "inv 1", "100.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert!(f.jde.posted().is_empty());
    let l = f.ledger(RecordKind::Invoice, "1").await.unwrap();
    assert_eq!(l.status, LedgerStatus::Processed);
}

#[tokio::test]
async fn a_different_invoice_reusing_a_vouchered_number_is_quarantined() {
    let f = world().await;
    f.jde.put_f0411(
        AddressNumber(4242),
        "INV-1",
        "55.00".parse().unwrap(),
        "USD",
    );
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    assert!(f.jde.posted().is_empty());
    let q = f.quarantine().await;
    assert_eq!(q[0].entry.reason_kind, "duplicate-invoice");
    assert_eq!(q[0].entry.payload["header"]["invoiceId"], 1);
}

#[tokio::test]
async fn a_second_invoice_with_a_number_waiting_in_the_batch_is_quarantined() {
    let f = world().await;
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    f.cycle(&BOTH).await;
    f.jag
        .put_invoice(invoice(2, "INV-1", "100.00", "Payable", T2));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    assert_eq!(f.jde.posted().len(), 1);
    assert_eq!(f.quarantine().await[0].entry.record.key, "2");
}

#[tokio::test]
async fn credit_memos_get_the_next_free_cm_suffix() {
    let f = world().await;
    f.jde.put_f0411(
        AddressNumber(4242),
        "INV-7",
        "100.00".parse().unwrap(),
        "USD",
    );
    f.jag.put_invoice(credit_memo(11, "INV-7", "20.00", T1));
    f.jag.put_invoice(credit_memo(12, "INV-7", "30.00", T2));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    let posted = f.jde.posted();
    let vinvs: Vec<(&str, String)> = posted
        .iter()
        .map(|p| (p.vinv.as_str(), p.plan.gross.to_string()))
        .collect();
    assert_eq!(
        vinvs,
        [
            ("INV-7-CM", "-20.00".to_owned()),
            ("INV-7-CM2", "-30.00".to_owned())
        ]
    );

    // A third one in a later run sees both (one processed, one still in the batch).
    f.jde.process_batch(&[]);
    f.jag
        .put_invoice(credit_memo(13, "INV-7", "5.00", "2026-01-14T10:00:00Z"));
    f.cycle(&BOTH).await;
    assert_eq!(f.jde.posted()[2].vinv, "INV-7-CM3");
}

#[tokio::test]
async fn a_credit_memo_whose_number_is_free_still_gets_cm() {
    let f = world().await;
    f.jag.put_invoice(credit_memo(11, "CM-1", "20.00", T1));
    f.cycle(&BOTH).await;
    assert_eq!(f.jde.posted()[0].vinv, "CM-1-CM");
}

/// Issue 16 item 7: an invoice and its credit memo sharing the supplier's number, in every
/// arrival order, end as the same two vouchers (`INV-7` for 100.00, `INV-7-CM` for -20.00), and
/// neither is quarantined. `process` runs JDE's batch processor between the two arrivals, so
/// the first document is a processed F0411 voucher by the time the second is decided.
async fn invoice_and_credit(order: &str, process: bool) -> Vec<(String, String)> {
    let f = world().await;
    let inv = |t| invoice(1, "INV-7", "100.00", "Payable", t);
    let cm = |t| credit_memo(2, "INV-7", "20.00", t);
    match order {
        // One cycle, both read in lastUpdate order.
        "invoice-first-same-cycle" => {
            f.jag.put_invoice(inv(T1));
            f.jag.put_invoice(cm(T2));
        }
        "credit-first-same-cycle" => {
            f.jag.put_invoice(cm(T1));
            f.jag.put_invoice(inv(T2));
        }
        // Two cycles: the invoice (approved later) comes after its credit memo, or before.
        "credit-then-invoice" => {
            f.jag.put_invoice(cm(T1));
            let s = f.cycle(&BOTH).await;
            assert_eq!(s.status, SummaryStatus::Ok, "{order}: {s:?}");
            if process {
                f.jde.process_batch(&[]);
            }
            f.jag.put_invoice(inv(T2));
        }
        "invoice-then-credit" => {
            f.jag.put_invoice(inv(T1));
            let s = f.cycle(&BOTH).await;
            assert_eq!(s.status, SummaryStatus::Ok, "{order}: {s:?}");
            if process {
                f.jde.process_batch(&[]);
            }
            f.jag.put_invoice(cm(T2));
        }
        other => panic!("unknown order {other}"),
    }
    let s = f.cycle(&BOTH).await;
    assert_eq!(
        s.status,
        SummaryStatus::Ok,
        "{order} (processed: {process}): {s:?}"
    );
    assert!(f.quarantine().await.is_empty(), "{order}: quarantined");
    for key in ["1", "2"] {
        let l = f.ledger(RecordKind::Invoice, key).await.unwrap();
        assert!(
            matches!(l.status, LedgerStatus::Posted | LedgerStatus::Processed),
            "{order}: record {key} is {:?}",
            l.status
        );
    }
    let mut vouchers: Vec<(String, String)> = f
        .jde
        .posted()
        .iter()
        .map(|p| (p.vinv.clone(), p.plan.gross.to_string()))
        .collect();
    vouchers.sort();
    vouchers
}

#[tokio::test]
async fn an_invoice_and_its_credit_memo_give_the_same_vouchers_in_any_order() {
    let expected = vec![
        ("INV-7".to_owned(), "100.00".to_owned()),
        ("INV-7-CM".to_owned(), "-20.00".to_owned()),
    ];
    for order in [
        "invoice-first-same-cycle",
        "credit-first-same-cycle",
        "credit-then-invoice",
        "invoice-then-credit",
    ] {
        for process in [false, true] {
            assert_eq!(
                invoice_and_credit(order, process).await,
                expected,
                "{order} (processed in between: {process})"
            );
        }
    }
}

#[tokio::test]
async fn an_invoice_whose_number_only_a_credit_memo_holds_is_not_a_duplicate_but_is_held() {
    // A credit memo keyed by hand in JDE without the suffix holds the bare number: JDE would
    // refuse the invoice, but it is not "a duplicate" of it.
    let f = world().await;
    f.jde.put_f0411(
        AddressNumber(4242),
        "INV-7",
        "-20.00".parse().unwrap(),
        "USD",
    );
    f.jag
        .put_invoice(invoice(1, "INV-7", "100.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    assert!(f.jde.posted().is_empty());
    let q = f.quarantine().await;
    assert_eq!(q[0].entry.reason_kind, "number-taken");
    assert_eq!(
        q[0].entry.field.as_deref(),
        Some("header.supplierInvoiceNumber")
    );
}

#[tokio::test]
async fn an_invoice_changed_after_posting_is_quarantined_with_both_versions_and_not_posted_again() {
    let f = world().await;
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    f.cycle(&BOTH).await;
    f.jag
        .put_invoice(invoice(1, "INV-1", "120.00", "Payable", T2));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    assert_eq!(f.jde.posted().len(), 1);
    let q = f.quarantine().await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].entry.reason_kind, "changed-after-posting");
    assert_eq!(
        q[0].entry.payload["posted"]["header"]["total"]["value"],
        "100.00"
    );
    assert_eq!(
        q[0].entry.payload["now"]["header"]["total"]["value"],
        "120.00"
    );
    assert_eq!(
        f.ledger(RecordKind::Invoice, "1").await.unwrap().status,
        LedgerStatus::Posted,
        "the ledger still holds what was posted"
    );
}

#[tokio::test]
async fn jaggaer_moving_a_posted_invoice_to_paid_is_not_a_change() {
    let f = world().await;
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    f.cycle(&BOTH).await;
    f.jag.put_invoice(invoice(1, "INV-1", "100.00", "Paid", T2));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1);
    assert!(f.quarantine().await.is_empty());
}

#[tokio::test]
async fn a_voucher_jde_refuses_is_quarantined_and_not_tried_again_at_the_same_version() {
    let f = world().await;
    f.jde
        .faults
        .fail(Call::PostVoucher, 1, FakeFailure::Refused);
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    let q = f.quarantine().await;
    assert_eq!(q[0].entry.reason_kind, "jde-rejected");
    assert_eq!(q[0].entry.payload["header"]["invoiceId"], 1);
    assert_eq!(f.cursor(CURSOR).await.as_deref(), Some(T1));
    f.cycle(&BOTH).await;
    assert_eq!(f.jde.faults.calls(Call::PostVoucher), 1);
    assert!(f.jde.posted().is_empty());
}

#[tokio::test]
async fn a_transient_voucher_failure_fails_the_cycle_and_the_invoice_is_posted_next_cycle() {
    let f = world().await;
    f.jde
        .faults
        .fail(Call::PostVoucher, 1, FakeFailure::Transient);
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Failed);
    assert!(
        f.quarantine().await.is_empty(),
        "a transient failure never quarantines"
    );
    assert_eq!(
        f.cursor(CURSOR).await,
        None,
        "cursor moved past an unposted invoice"
    );
    assert!(f.ledger(RecordKind::Invoice, "1").await.is_none());

    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1);
}

#[tokio::test]
async fn a_voucher_call_that_timed_out_after_jde_took_it_is_found_not_resent() {
    let f = world().await;
    f.jde
        .faults
        .fail(Call::PostVoucher, 1, FakeFailure::TimeoutAfterWrite);
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1);
    assert_eq!(f.jde.faults.calls(Call::PostVoucher), 1);
    assert_eq!(
        f.ledger(RecordKind::Invoice, "1").await.unwrap().status,
        LedgerStatus::Posted
    );
}

#[tokio::test]
async fn a_voucher_call_that_timed_out_before_jde_took_it_is_sent_again_next_cycle() {
    let f = world().await;
    f.jde
        .faults
        .fail(Call::PostVoucher, 1, FakeFailure::TimeoutLost);
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Failed);
    assert!(f.jde.posted().is_empty());
    assert!(f.quarantine().await.is_empty());
    f.cycle(&BOTH).await;
    assert_eq!(f.jde.posted().len(), 1);
}

#[tokio::test]
async fn an_invoice_read_failure_is_transient_or_quarantines_by_its_kind() {
    let f = world().await;
    f.jag
        .put_invoice(invoice(1, "INV-1", "100.00", "Payable", T1));
    f.jag.faults.fail(Call::Invoice, 1, FakeFailure::Transient);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Failed);
    assert!(f.quarantine().await.is_empty());

    f.jag.faults.fail(Call::Invoice, 2, FakeFailure::Refused);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    assert_eq!(f.quarantine().await[0].entry.reason_kind, "rejected");
    assert!(f.jde.posted().is_empty());
}

#[tokio::test]
async fn an_invoice_that_does_not_decode_is_quarantined_with_the_json_jaggaer_sent() {
    let f = world().await;
    let mut doc = invoice(1, "INV-1", "100.00", "Payable", T1);
    doc["header"]["total"] = Value::Null;
    f.jag.put_invoice(doc);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial);
    let q = f.quarantine().await;
    assert_eq!(q[0].entry.payload["header"]["invoiceId"], 1);
    assert!(f.jde.posted().is_empty());
}

#[tokio::test]
async fn read_back_marks_processed_vouchers_and_quarantines_refused_or_deleted_ones() {
    let f = world().await;
    for (id, n) in [(1, "INV-1"), (2, "INV-2"), (3, "INV-3")] {
        f.jag.put_invoice(invoice(id, n, "10.00", "Payable", T1));
    }
    f.cycle(&BOTH).await;
    let edtn = |i: usize| f.jde.posted()[i].plan.edtn.clone();
    let (e2, e3) = (edtn(1), edtn(2));
    f.jde.delete_z(&e3);
    // JDE's processor fails voucher 2: its row simply stays unprocessed (EDSP = 0, the reason
    // goes to the Work Center), while voucher 1 of the same batch is processed.
    f.jde.process_batch(&[(e2.as_str(), "Invalid account")]);
    // First read-back after the run: 1 processed, 3 gone; 2 is not judged yet, because a
    // processor still running shows the same partial picture.
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial, "{s:?}");
    let l = f.ledger(RecordKind::Invoice, "2").await.unwrap();
    assert_eq!(
        l.status,
        LedgerStatus::Posted,
        "one look is not enough to call it rejected"
    );
    // Second read-back sees the batch unchanged: voucher 2 was rejected.
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial, "{s:?}");
    for (key, want) in [
        ("1", LedgerStatus::Processed),
        ("2", LedgerStatus::Quarantined),
        ("3", LedgerStatus::Quarantined),
    ] {
        let l = f.ledger(RecordKind::Invoice, key).await.unwrap();
        assert_eq!(l.status, want, "invoice {key}");
    }
    let mut kinds: Vec<(String, String)> = f
        .quarantine()
        .await
        .into_iter()
        .map(|q| (q.entry.record.key, q.entry.reason_kind))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("2".to_owned(), "jde-processing".to_owned()),
            ("3".to_owned(), "deleted-before-processing".to_owned())
        ]
    );
    assert_eq!(f.jde.posted().len(), 3, "read-back never posts");
}

#[tokio::test]
async fn an_invoice_of_a_supplier_not_known_yet_waits_and_is_posted_once_it_is() {
    let f = world().await;
    // Supplier 4343 is not in JDE yet; JAGGAER knows it as 88.
    f.jag
        .put_invoice(j1p_invoice(5, "INV-5", "88", 4343, "50.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].waiting, 1, "{s:?}");
    assert!(f.jde.posted().is_empty());
    assert!(f.quarantine().await.is_empty(), "a wait, not a quarantine");
    let l = f.ledger(RecordKind::Invoice, "5").await.unwrap();
    assert_eq!(l.status, LedgerStatus::Waiting);
    assert_eq!(l.detail["waiting_on"], "supplier");
    assert!(
        f.actions(RecordKind::Invoice, "5")
            .await
            .contains(&"waiting".to_owned())
    );
    // The supplier arrives in JDE and syncs; JAGGAER did not touch the invoice, yet the next
    // cycle posts it, once.
    f.jde
        .put_supplier(supplier(4343, "Late Supplier", stamp("2026-01-14", 90000)));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 1, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1);
    assert_eq!(f.jde.posted()[0].plan.an8, AddressNumber(4343));
    f.cycle(&BOTH).await;
    assert_eq!(f.jde.posted().len(), 1);
}
