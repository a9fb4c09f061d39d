//! PO-backed invoices (interface 8) against in-memory fakes and a real store: routing per line
//! to Voucher Match Automation, mixed invoices, waiting for a receipt and posting once it is
//! there (re-checked without any change in JAGGAER), over-invoicing quarantined with the
//! figures, separate batches for match and expense vouchers, the supplier's rule when
//! `match_rule` is blank, read-back of the receipt lines cleared, and no second voucher after a
//! crash between the match call and our commit.
use mlc_core::ids::AddressNumber;
use mlc_core::record::{Entity, RecordKind};
use mlc_engine::summary::SummaryStatus;
use mlc_engine::testing::{Call, Fakes, j1p_invoice, po_header, po_key, po_line, stamp, supplier};
use mlc_store::LedgerStatus;
use serde_json::{Value, json};

const BOTH: [Entity; 2] = [Entity::Suppliers, Entity::Invoices];
const T1: &str = "2026-01-12T10:00:00Z";

/// Supplier 4242; PO 00200-OP-4711 of it in USD: line 1 of 10 EA at 12.50 and line 1.5 of 4 EA
/// at 25.00; nothing received yet.
async fn world() -> Fakes {
    let f = Fakes::new().await;
    let at = stamp("2026-01-02", 90000);
    f.jde.put_supplier(supplier(4242, "Midwest Safety", at));
    f.jde.put_po_header(po_header(4711, 4242, at));
    f.jde.put_po_line(po_line(4711, 1, 10, "12.50", at));
    let mut l = po_line(4711, 1, 4, "25.00", at);
    l.line.line_number = "1.5".parse().unwrap();
    f.jde.put_po_line(l);
    f
}

/// An invoice line billing `qty` at `price` of PO line `lnid` of PO 4711.
fn po_line_json(n: u32, lnid: &str, qty: &str, price: &str) -> Value {
    json!({"lineNumber": n, "item": {"description": "Gloves", "unitOfMeasure": {"dimension": "EA"}},
           "quantity": qty, "unitPrice": price, "poNumber": "00200-OP-4711", "poLineNumber": lnid})
}

/// An invoice of supplier 4242 with these lines (and `total` as its header total).
fn invoice(id: u64, number: &str, total: &str, lines: Vec<Value>) -> Value {
    let mut doc = j1p_invoice(id, number, "77", 4242, total, "Payable", T1);
    doc["lineList"]["invoiceLine"] = Value::Array(lines);
    doc
}

/// A non-PO line coded to 200.6110.
fn expense_line(n: u32, amount: &str) -> Value {
    json!({"lineNumber": n, "item": {"description": "Service"}, "quantity": "1", "unitPrice": amount,
           "customFieldValueSetList": {"customFieldValueSet": [{"name": "Account",
               "customFieldValueList": {"customFieldValue": [{"value": "200.6110"}]}}]}})
}

async fn messages(f: &Fakes, id: &str) -> Vec<String> {
    f.store
        .audit_trail(
            &mlc_core::record::RecordKey::new(RecordKind::Invoice, &f.settings.tenant, id),
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{}: {}", e.action, e.message))
        .collect()
}

#[tokio::test]
async fn a_received_po_line_is_matched_not_expensed_and_clears_its_receipt() {
    let f = world().await;
    f.jde.receive(&po_key(4711), "1", "10");
    f.jag.put_invoice(invoice(
        1,
        "INV-1",
        "125.00",
        vec![po_line_json(1, "1", "10", "12.50")],
    ));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(s.entities["invoices"].created, 1);
    let posted = f.jde.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(f.jde.orchestrations(), ["ML_AddVoucherMatch"]);
    let m = posted[0].plan.matching.as_ref().expect("a match voucher");
    assert_eq!(m.rule, "02");
    assert_eq!(m.lines.len(), 1);
    let l = &m.lines[0];
    assert_eq!(
        (
            l.key.to_string(),
            l.lnid.to_string(),
            l.quantity.to_string()
        ),
        ("00200-OP-4711".into(), "1".into(), "10".into())
    );
    assert_eq!(
        (l.unit_of_measure.as_str(), l.amount.to_string()),
        ("EA", "125.00".into())
    );
    // Nothing booked to expense: no distribution line at all.
    assert!(
        posted[0].plan.lines.is_empty(),
        "{:?}",
        posted[0].plan.lines
    );
    assert_eq!(posted[0].plan.company, "00200");

    // JDE's match driver runs: the receipt is vouchered and the read-back names it.
    f.jde.process_batch(&[]);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    let led = f.ledger(RecordKind::Invoice, "1").await.unwrap();
    assert_eq!(led.status, LedgerStatus::Processed);
    let trail = messages(&f, "1").await;
    assert!(
        trail
            .iter()
            .any(|m| m.contains("cleared 00200-OP-4711 line 1 (10 for 125.00)")),
        "{trail:#?}"
    );
    let open: Vec<_> = f
        .jde
        .receipt_rows()
        .into_iter()
        .filter(|r| r.kind == mlc_engine::ports::ReceiptKind::Receipt)
        .map(|r| r.open_quantity.to_string())
        .collect();
    assert_eq!(open, ["0"]);
    assert_eq!(f.jde.posted().len(), 1);
}

#[tokio::test]
async fn a_mixed_invoice_is_one_voucher_matched_lines_plus_distribution_of_the_rest() {
    let f = world().await;
    f.jde.receive(&po_key(4711), "1", "10");
    f.jde.receive(&po_key(4711), "1.5", "4");
    let mut doc = invoice(
        2,
        "INV-2",
        "200.00",
        vec![
            po_line_json(1, "1", "4", "12.50"),
            po_line_json(2, "1.5", "4", "25.00"),
            expense_line(3, "40.00"),
        ],
    );
    doc["header"]["shippingCharge"] = json!("10.00");
    f.jag.put_invoice(doc);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 1, "{s:?}");
    let posted = f.jde.posted();
    assert_eq!(posted.len(), 1, "one voucher for the whole invoice");
    let p = &posted[0].plan;
    let m = p.matching.as_ref().unwrap();
    let matched: Vec<_> = m
        .lines
        .iter()
        .map(|l| (l.line, l.lnid.to_string(), l.amount.to_string()))
        .collect();
    assert_eq!(
        matched,
        [
            (1, "1".into(), "50.00".into()),
            (2, "1.5".into(), "100.00".into())
        ]
    );
    let dist: Vec<_> = p
        .lines
        .iter()
        .map(|l| (l.line, l.account.to_string(), l.amount.to_string()))
        .collect();
    assert_eq!(
        dist,
        [
            (3, "200.6110".into(), "40.00".into()),
            (4, "200.6210".into(), "10.00".into())
        ]
    );
    assert_eq!(p.gross.to_string(), "200.00");
}

#[tokio::test]
async fn an_unreceived_line_waits_and_posts_once_after_the_receipt_without_a_change_in_jaggaer() {
    let f = world().await;
    f.jag.put_invoice(invoice(
        3,
        "INV-3",
        "125.00",
        vec![po_line_json(1, "1", "10", "12.50")],
    ));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(s.entities["invoices"].waiting, 1);
    assert!(f.jde.posted().is_empty(), "never forced through as expense");
    let l = f.ledger(RecordKind::Invoice, "3").await.unwrap();
    assert_eq!(l.status, LedgerStatus::Waiting);
    let trail = messages(&f, "3").await;
    assert!(
        trail
            .iter()
            .any(|m| m == "waiting: waiting for receipt of 00200-OP-4711 line 1"),
        "{trail:#?}"
    );

    // Still nothing received: it waits again, without a second audit line.
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].waiting, 1);
    assert_eq!(
        messages(&f, "3")
            .await
            .iter()
            .filter(|m| m.starts_with("waiting"))
            .count(),
        1
    );
    let reads = f.jag.faults.calls(Call::Invoice);

    // The goods arrive; JAGGAER does not touch the invoice.
    f.jde.receive(&po_key(4711), "1", "10");
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 1, "{s:?}");
    assert_eq!(s.entities["invoices"].waiting, 0);
    assert_eq!(f.jde.posted().len(), 1);
    assert_eq!(
        f.jag.faults.calls(Call::Invoice),
        reads,
        "re-checked from the ledger"
    );
    assert_eq!(
        f.ledger(RecordKind::Invoice, "3").await.unwrap().status,
        LedgerStatus::Posted
    );
    // And once only.
    f.cycle(&BOTH).await;
    assert_eq!(f.jde.posted().len(), 1);
}

#[tokio::test]
async fn an_unknown_po_waits_as_it_may_not_be_synced_yet() {
    let f = world().await;
    let mut doc = invoice(
        4,
        "INV-4",
        "125.00",
        vec![po_line_json(1, "1", "10", "12.50")],
    );
    doc["lineList"]["invoiceLine"][0]["poNumber"] = json!("00200-OP-9999");
    f.jag.put_invoice(doc);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].waiting, 1, "{s:?}");
    assert!(f.jde.posted().is_empty());
    assert!(
        messages(&f, "4")
            .await
            .iter()
            .any(|m| m.contains("00200-OP-9999 line 1 to exist in JDE")),
    );
}

#[tokio::test]
async fn over_invoicing_is_quarantined_with_the_figures() {
    let f = world().await;
    f.jde.receive(&po_key(4711), "1", "10");
    // 10 received at 12.50; invoiced at 13.00.
    f.jag.put_invoice(invoice(
        5,
        "INV-5",
        "130.00",
        vec![po_line_json(1, "1", "10", "13.00")],
    ));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial, "{s:?}");
    assert_eq!(s.entities["invoices"].quarantined, 1);
    assert!(f.jde.posted().is_empty());
    let q = f.quarantine().await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].entry.reason_kind, "over-invoiced");
    assert_eq!(q[0].entry.field.as_deref(), Some("line 1.poLineNumber"));
    for words in [
        "00200-OP-4711 line 1",
        "invoiced 10 for 130.00 USD",
        "received and not vouchered 10 for 125.00 USD",
        "tolerance 0% / 0.01 USD",
    ] {
        assert!(
            q[0].entry.reason.contains(words),
            "{} lacks {words}",
            q[0].entry.reason
        );
    }
}

#[tokio::test]
async fn match_and_expense_vouchers_go_in_separate_batches() {
    let f = world().await;
    f.jde.receive(&po_key(4711), "1", "10");
    f.jag.put_invoice(invoice(
        6,
        "INV-6",
        "125.00",
        vec![po_line_json(1, "1", "10", "12.50")],
    ));
    f.jag
        .put_invoice(j1p_invoice(7, "INV-7", "77", 4242, "80.00", "Payable", T1));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 2, "{s:?}");
    let posted = f.jde.posted();
    let (matched, expense): (Vec<_>, Vec<_>) =
        posted.iter().partition(|r| r.plan.matching.is_some());
    assert_eq!((matched.len(), expense.len()), (1, 1));
    assert_ne!(matched[0].edbt, expense[0].edbt, "one batch per kind");
    let orch = f.jde.orchestrations();
    let by_kind: Vec<_> = posted
        .iter()
        .zip(&orch)
        .map(|(r, o)| (r.plan.matching.is_some(), o.as_str()))
        .collect();
    assert!(by_kind.contains(&(true, "ML_AddVoucherMatch")));
    assert!(by_kind.contains(&(false, "ML_AddVoucherBatch")));
    // The non-PO invoice is as before: to its coded account.
    assert_eq!(expense[0].plan.lines[0].account.to_string(), "200.6110");
}

#[tokio::test]
async fn a_blank_match_rule_reads_the_suppliers_rule() {
    let mut f = world().await;
    f.settings.payables.matching.rule = String::new();
    // The supplier matches to PO lines (08): no receipt needed.
    f.jde.put_match_rule(AddressNumber(4242), "08");
    f.jag.put_invoice(invoice(
        8,
        "INV-8",
        "125.00",
        vec![po_line_json(1, "1", "10", "12.50")],
    ));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 1, "{s:?}");
    assert_eq!(f.jde.faults.calls(Call::SupplierMatchRules), 1);
    // ATRL goes blank: JDE takes the supplier's rule itself.
    assert_eq!(f.jde.posted()[0].plan.matching.as_ref().unwrap().rule, "");

    // A supplier whose rule needs a receipt waits.
    f.jde.put_match_rule(AddressNumber(4242), "03");
    f.jag.put_invoice(invoice(
        9,
        "INV-9",
        "25.00",
        vec![po_line_json(1, "1.5", "1", "25.00")],
    ));
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].waiting, 1, "{s:?}");
}

#[tokio::test]
async fn the_pre_check_reads_in_bulk_per_page_not_per_line() {
    let f = world().await;
    f.jde.receive(&po_key(4711), "1", "10");
    f.jde.receive(&po_key(4711), "1.5", "4");
    for id in 10..20 {
        f.jag.put_invoice(invoice(
            id,
            &format!("INV-{id}"),
            "12.50",
            vec![po_line_json(1, "1", "1", "12.50")],
        ));
    }
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 10, "{s:?}");
    assert_eq!(f.jde.faults.calls(Call::Receipts), 1);
    assert_eq!(f.jde.faults.calls(Call::PoLines), 1);
    assert_eq!(f.jde.faults.calls(Call::PoHeaders), 1);
    assert_eq!(f.jde.faults.calls(Call::SupplierMatchRules), 0);
}

#[tokio::test]
async fn two_invoices_of_one_page_do_not_both_count_on_one_receipt() {
    let f = world().await;
    // 6 of 10 received; two invoices of 4 each: the second waits for the rest.
    f.jde.receive(&po_key(4711), "1", "6");
    for id in [21, 22] {
        f.jag.put_invoice(invoice(
            id,
            &format!("INV-{id}"),
            "50.00",
            vec![po_line_json(1, "1", "4", "12.50")],
        ));
    }
    let s = f.cycle(&BOTH).await;
    assert_eq!(
        (
            s.entities["invoices"].created,
            s.entities["invoices"].waiting
        ),
        (1, 1),
        "{s:?}"
    );
    // The rest arrives: the second goes too.
    f.jde.receive(&po_key(4711), "1", "4");
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 1, "{s:?}");
    assert_eq!(f.jde.posted().len(), 2);
}

#[tokio::test]
async fn after_a_crash_between_the_match_call_and_the_commit_nothing_is_posted_twice() {
    let f = world().await;
    f.jde.receive(&po_key(4711), "1", "10");
    f.jag.put_invoice(invoice(
        30,
        "INV-30",
        "125.00",
        vec![po_line_json(1, "1", "10", "12.50")],
    ));
    f.cycle(&BOTH).await;
    assert_eq!(f.jde.posted().len(), 1);

    // Nothing of that run reached the store: the F0411Z1 row is found by EDUS + EDTN.
    let g = f.with_fresh_store().await;
    let s = g.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1, "match voucher posted twice");
    assert!(
        g.actions(RecordKind::Invoice, "30")
            .await
            .contains(&"found-existing".to_owned())
    );

    // After R4304010 matched it and the receipt is vouchered (nothing open any more), a run
    // that lost its store still finds the voucher (F0411Z1 processed) and does not post again
    // nor call the over-invoice a quarantine.
    f.jde.process_batch(&[]);
    let h = f.with_fresh_store().await;
    let s = h.cycle(&BOTH).await;
    assert_eq!(f.jde.posted().len(), 1, "match voucher posted twice");
    assert_eq!(s.entities["invoices"].quarantined, 0, "{s:?}");
}

#[tokio::test]
async fn a_credit_memo_is_not_matched() {
    let f = world().await;
    let mut doc = invoice(
        40,
        "INV-40",
        "12.50",
        vec![po_line_json(1, "1", "1", "12.50")],
    );
    doc["header"]["invoiceType"] = "Credit Memo".into();
    doc["lineList"]["invoiceLine"][0]["customFieldValueSetList"] = json!({"customFieldValueSet": [{"name": "Account",
        "customFieldValueList": {"customFieldValue": [{"value": "200.6110"}]}}]});
    f.jag.put_invoice(doc);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.entities["invoices"].created, 1, "{s:?}");
    assert!(f.jde.posted()[0].plan.matching.is_none());
}
