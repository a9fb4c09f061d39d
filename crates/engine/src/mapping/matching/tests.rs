use std::str::FromStr;

use mlc_core::model::{InvoiceLine, InvoicePoLine, PoStatus};

use super::*;
use crate::testing::{po_header, po_line, stamp};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn inv_line(po: Option<&str>, lnid: Option<&str>) -> InvoiceLine {
    InvoiceLine {
        line_number: 3,
        description: "Gloves".into(),
        amount: d("10"),
        account: None,
        cost_center: None,
        splits: vec![],
        po_line: Some(InvoicePoLine {
            po_number: po.map(str::to_owned),
            line: lnid.map(str::to_owned),
            quantity: d("1"),
            unit_price: d("10"),
            unit_of_measure: None,
        }),
    }
}

/// `(poNumber, poLineNumber, want)`.
type RoutingCase<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Result<Option<(&'a str, &'a str)>, &'a str>,
);

/// `(case, receipts, line status, rule, qty, amount, tolerance, verdict, words)`.
type ReadinessCase<'a> = (
    &'a str,
    &'a [Receipt],
    PoStatus,
    &'a str,
    &'a str,
    &'a str,
    MatchTolerance,
    V,
    &'a str,
);

#[test]
fn routing_per_line() {
    // (poNumber, poLineNumber) → matched PO line, or not a match line, or the field at fault.
    let cases: &[RoutingCase] = &[
        (
            Some("00200-OP-4711"),
            Some("1"),
            Ok(Some(("00200-OP-4711", "1"))),
        ),
        (
            Some("00200-OP-4711"),
            Some("1.5"),
            Ok(Some(("00200-OP-4711", "1.5"))),
        ),
        (
            Some("00200-OP-4711"),
            Some("2.000"),
            Ok(Some(("00200-OP-4711", "2"))),
        ),
        (
            Some(" 00200-OP-4711 "),
            Some(" 1 "),
            Ok(Some(("00200-OP-4711", "1"))),
        ),
        // A PO but no line names nothing to match: coded like a non-PO line.
        (Some("00200-OP-4711"), None, Ok(None)),
        (Some("00200-OP-4711"), Some(""), Ok(None)),
        (None, Some("1"), Ok(None)),
        (None, None, Ok(None)),
        (Some("4711"), Some("1"), Err("line 3.poNumber")),
        (
            Some("00200-OP-4711"),
            Some("one"),
            Err("line 3.poLineNumber"),
        ),
        (
            Some("00200-OP-4711"),
            Some("1.0005"),
            Err("line 3.poLineNumber"),
        ),
        (
            Some("00200-OP-4711"),
            Some("-1"),
            Err("line 3.poLineNumber"),
        ),
    ];
    for (po, lnid, want) in cases {
        let got = po_line_ref(&inv_line(*po, *lnid));
        match (want, got) {
            (Ok(None), Ok(None)) => {}
            (Ok(Some((k, l))), Ok(Some((key, lnid)))) => {
                assert_eq!(key.to_string(), *k);
                assert_eq!(lnid.to_string(), *l);
            }
            (Err(field), Err(e)) => assert_eq!(e.field, *field, "{po:?} {lnid:?}"),
            (w, g) => panic!("{po:?} {lnid:?}: want {w:?}, got {g:?}"),
        }
    }
    let mut plain = inv_line(None, None);
    plain.po_line = None;
    assert_eq!(po_line_ref(&plain).unwrap(), None);
}

#[test]
fn rules_that_need_a_receipt() {
    for (rule, receipt) in [
        ("01", true),
        ("02", true),
        ("03", true),
        ("04", true),
        ("05", true),
        ("07", false),
        ("08", false),
        ("09", false),
    ] {
        assert_eq!(needs_receipt(rule), receipt, "{rule}");
    }
}

fn key() -> OrderKey {
    crate::testing::po_key(4711)
}

fn receipt(qty: &str, amount: &str, open_q: &str, open_a: &str) -> Receipt {
    Receipt {
        key: key(),
        lnid: d("1"),
        kind: ReceiptKind::Receipt,
        line: d("1"),
        doc: 880,
        dct: "OV".into(),
        kco: "00200".into(),
        an8: AddressNumber(4242),
        date: None,
        quantity: d(qty),
        amount: d(amount),
        open_quantity: d(open_q),
        open_amount: d(open_a),
        open_foreign_amount: Decimal::ZERO,
    }
}

/// PO 00200-OP-4711 of supplier 4242 in USD, line 1: 10 EA at 12.50.
fn facts(receipts: &[Receipt], status: PoStatus) -> Available {
    let at = stamp("2026-01-02", 90000);
    let mut h = po_header(4711, 4242, at);
    h.currency = "USD".into();
    let mut l = po_line(4711, 1, 10, "12.50", at);
    l.line.status = status;
    Available::new(&[h], &[l], receipts)
}

fn plan(rule: &str, qty: &str, amount: &str) -> MatchPlan {
    MatchPlan {
        rule: rule.into(),
        lines: vec![MatchLine {
            line: 1,
            invoice_line: 1,
            key: key(),
            lnid: d("1"),
            quantity: d(qty),
            unit_of_measure: "EA".into(),
            unit_price: d(amount) / d(qty),
            amount: d(amount),
            description: "Gloves".into(),
        }],
    }
}

fn tol(percent: &str, amount: &str) -> MatchTolerance {
    MatchTolerance {
        percent: d(percent),
        amount: d(amount),
    }
}

#[derive(Debug, PartialEq)]
enum V {
    Ready,
    Wait(&'static str),
    Refuse(&'static str),
}

fn verdict(r: Readiness) -> (V, String) {
    match r {
        Readiness::Ready { rule, .. } => (V::Ready, rule),
        Readiness::Wait(w) => (V::Wait(""), w),
        Readiness::Refuse(e) => (V::Refuse(e.kind), e.reason),
    }
}

#[test]
fn readiness_table() {
    let none: &[Receipt] = &[];
    let all = [receipt("10", "125.00", "10", "125.00")];
    let part = [receipt("4", "50.00", "4", "50.00")];
    let used = [receipt("10", "125.00", "0", "0")];
    let t = tol("0", "0.01");
    // (case, receipts, line status, rule, invoiced qty, invoiced amount, tolerance, verdict,
    //  words the reason must contain)
    let cases: Vec<ReadinessCase> = vec![
        (
            "exact",
            &all,
            PoStatus::Open,
            "02",
            "10",
            "125.00",
            t,
            V::Ready,
            "",
        ),
        (
            "partial invoice of a received line",
            &all,
            PoStatus::Open,
            "02",
            "4",
            "50.00",
            t,
            V::Ready,
            "",
        ),
        (
            "rounding within 0.01",
            &all,
            PoStatus::Open,
            "02",
            "3",
            "37.51",
            t,
            V::Ready,
            "",
        ),
        (
            "nothing received",
            none,
            PoStatus::Open,
            "02",
            "10",
            "125.00",
            t,
            V::Wait(""),
            "waiting for receipt of 00200-OP-4711 line 1",
        ),
        (
            "more than received, rest still to come",
            &part,
            PoStatus::Open,
            "02",
            "10",
            "125.00",
            t,
            V::Wait(""),
            "received and not vouchered 4",
        ),
        (
            "all received already vouchered",
            &used,
            PoStatus::Open,
            "02",
            "2",
            "25.00",
            t,
            V::Refuse("over-invoiced"),
            "invoiced 2 for 25.00 USD",
        ),
        (
            "more than ever ordered",
            &all,
            PoStatus::Open,
            "02",
            "11",
            "137.50",
            t,
            V::Refuse("over-invoiced"),
            "received and not vouchered 10 for 125.00 USD",
        ),
        (
            "price above tolerance",
            &all,
            PoStatus::Open,
            "02",
            "10",
            "130.00",
            t,
            V::Refuse("over-invoiced"),
            "tolerance 0% / 0.01 USD",
        ),
        (
            "price within 5 %",
            &all,
            PoStatus::Open,
            "02",
            "10",
            "130.00",
            tol("5", "0"),
            V::Ready,
            "",
        ),
        (
            "price within an amount",
            &all,
            PoStatus::Open,
            "02",
            "10",
            "130.00",
            tol("0", "5.00"),
            V::Ready,
            "",
        ),
        (
            "quantity within 10 %",
            &all,
            PoStatus::Open,
            "02",
            "11",
            "125.00",
            tol("10", "0"),
            V::Ready,
            "",
        ),
        (
            "cancelled line",
            &all,
            PoStatus::Cancelled,
            "02",
            "10",
            "125.00",
            t,
            V::Refuse("po-closed"),
            "cancelled",
        ),
        (
            "closed line",
            &all,
            PoStatus::Closed,
            "02",
            "10",
            "125.00",
            t,
            V::Refuse("po-closed"),
            "closed",
        ),
        (
            "rule 07: to the PO line, no receipt needed",
            none,
            PoStatus::Open,
            "07",
            "10",
            "125.00",
            t,
            V::Ready,
            "",
        ),
        (
            "rule 07: beyond the order",
            none,
            PoStatus::Open,
            "07",
            "12",
            "150.00",
            t,
            V::Refuse("over-invoiced"),
            "ordered and not vouchered 10 for 125.00",
        ),
        (
            "rule 01 needs a receipt",
            none,
            PoStatus::Open,
            "01",
            "10",
            "125.00",
            t,
            V::Wait(""),
            "waiting for receipt",
        ),
    ];
    for (case, receipts, status, rule, qty, amount, tolerance, want, words) in cases {
        let f = facts(receipts, status);
        let (got, text) = verdict(readiness(
            &plan(rule, qty, amount),
            AddressNumber(4242),
            "USD",
            None,
            &f,
            tolerance,
        ));
        let same = match (&want, &got) {
            (V::Wait(_), V::Wait(_)) => true,
            (a, b) => a == b,
        };
        assert!(same, "{case}: want {want:?}, got {got:?} ({text})");
        assert!(text.contains(words), "{case}: {text:?} lacks {words:?}");
    }
}

#[test]
fn unknown_po_line_waits_and_a_po_of_another_supplier_or_currency_is_refused() {
    let f = facts(&[receipt("10", "125.00", "10", "125.00")], PoStatus::Open);
    let t = MatchTolerance::default();
    let mut p = plan("02", "1", "12.50");
    p.lines[0].lnid = d("2");
    let (v, text) = verdict(readiness(&p, AddressNumber(4242), "USD", None, &f, t));
    assert_eq!(v, V::Wait(""));
    assert!(text.contains("00200-OP-4711 line 2"), "{text}");

    let p = plan("02", "1", "12.50");
    let (v, text) = verdict(readiness(&p, AddressNumber(5151), "USD", None, &f, t));
    assert_eq!(v, V::Refuse("po-mismatch"), "{text}");
    assert!(text.contains("supplier 4242"), "{text}");
    let (v, text) = verdict(readiness(&p, AddressNumber(4242), "EUR", None, &f, t));
    assert_eq!(v, V::Refuse("po-mismatch"), "{text}");
}

#[test]
fn a_blank_rule_takes_the_suppliers_and_none_at_all_is_refused() {
    let f = facts(&[], PoStatus::Open);
    let t = MatchTolerance::default();
    let p = plan("", "10", "125.00");
    // The supplier matches to PO lines: no receipt needed.
    let (v, rule) = verdict(readiness(&p, AddressNumber(4242), "USD", Some("08"), &f, t));
    assert_eq!((v, rule.as_str()), (V::Ready, "08"));
    // The supplier matches to receipts: nothing received yet, so it waits.
    let (v, _) = verdict(readiness(&p, AddressNumber(4242), "USD", Some("03"), &f, t));
    assert_eq!(v, V::Wait(""));
    let (v, text) = verdict(readiness(&p, AddressNumber(4242), "USD", None, &f, t));
    assert_eq!(v, V::Refuse("match-rule"), "{text}");
    let (v, _) = verdict(readiness(&p, AddressNumber(4242), "USD", Some(" "), &f, t));
    assert_eq!(v, V::Refuse("match-rule"));
}

#[test]
fn two_invoices_cannot_count_on_the_same_receipt() {
    // 6 of 10 received.
    let mut f = facts(&[receipt("6", "75.00", "6", "75.00")], PoStatus::Open);
    let t = MatchTolerance::default();
    let first = plan("02", "6", "75.00");
    assert!(matches!(
        readiness(&first, AddressNumber(4242), "USD", None, &f, t),
        Readiness::Ready { .. }
    ));
    f.claim(&first, true);
    // The first took the receipt: a second invoice for the 4 still to come waits for them...
    let (v, text) = verdict(readiness(
        &plan("02", "4", "50.00"),
        AddressNumber(4242),
        "USD",
        None,
        &f,
        t,
    ));
    assert_eq!(v, V::Wait(""), "{text}");
    // ... and one for 6 more is beyond the order (6 + 6 > 10).
    let (v, text) = verdict(readiness(&first, AddressNumber(4242), "USD", None, &f, t));
    assert_eq!(v, V::Refuse("over-invoiced"), "{text}");
}

#[test]
fn lines_of_one_po_line_are_summed_and_units_filled_from_the_po() {
    let f = facts(&[receipt("10", "125.00", "10", "125.00")], PoStatus::Open);
    let mut p = plan("02", "6", "75.00");
    let mut second = p.lines[0].clone();
    second.line = 2;
    second.unit_of_measure = String::new();
    p.lines.push(second);
    // 6 + 6 = 12 of 10 ordered: over-invoiced, not two separate passes.
    let (v, text) = verdict(readiness(
        &p,
        AddressNumber(4242),
        "USD",
        None,
        &f,
        MatchTolerance::default(),
    ));
    assert_eq!(v, V::Refuse("over-invoiced"), "{text}");
    assert!(text.contains("invoiced 12 for 150.00"), "{text}");
    fill_units(&mut p, &f);
    assert_eq!(p.lines[1].unit_of_measure, "EA");
}
