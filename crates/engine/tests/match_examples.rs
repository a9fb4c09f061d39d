//! The PO-backed worked examples of `docs/vouchers.md` (section 4), run through the real
//! mapping: the J1P invoice is decoded with `mapping::invoice::from_j1p`, planned with
//! `mapping::voucher::plan_voucher`, turned into the match orchestration's input with
//! `mapping::voucher::match_input`, and judged with `mapping::matching::readiness` against the
//! F4301/F4311/F43121 rows the page shows. The flow around it (waiting re-checked every cycle,
//! separate batches, read-back, no second voucher after a crash) is in `flows_matching.rs`.
use std::str::FromStr;

use jiff::civil::date;
use mlc_core::Decimal;
use mlc_core::ids::{AccountNumber, AddressNumber, BusinessUnitCode};
use mlc_core::model::{BusinessUnit, GlAccount};
use mlc_engine::mapping::invoice::from_j1p;
use mlc_engine::mapping::matching::{Available, Readiness, fill_units, readiness};
use mlc_engine::mapping::voucher::{VoucherPlan, match_input, plan_voucher};
use mlc_engine::ports::{Receipt, ReceiptKind};
use mlc_engine::refdata::{CompanyInfo, RefData};
use mlc_engine::settings::{MatchTolerance, TenantSettings};
use mlc_engine::testing::{self, po_header, po_key, po_line, stamp};
use mlc_jaggaer::InvoiceDetail;
use serde_json::{Value, json};

const SUPPLIER: AddressNumber = AddressNumber(4242);

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn settings() -> TenantSettings {
    testing::settings()
}

/// Business units 200 (company 00200, USD), accounts 2310/6110/6120/6210 under it.
fn refdata() -> RefData {
    let mut r = RefData::default();
    r.business_units.insert(
        "200".into(),
        BusinessUnit {
            code: BusinessUnitCode::new("200"),
            company: "00200".into(),
            description: "BU 200".into(),
            kind: "IS".into(),
            postable: true,
        },
    );
    for obj in ["2310", "6110", "6120", "6210", "6220", "6290", "6295"] {
        let a = AccountNumber::new("200", obj, "");
        r.accounts.insert(
            a.to_string(),
            GlAccount {
                account: a,
                aid: String::new(),
                company: "00200".into(),
                description: obj.into(),
                postable: true,
            },
        );
    }
    r.companies.insert(
        "00200".into(),
        CompanyInfo {
            company: "00200".into(),
            currency: "USD".into(),
            fiscal_year_start: Some(date(2026, 1, 1)),
            current_period: Some(1),
            period_ends: Vec::new(),
        },
    );
    r.currency_decimals.insert("USD".into(), 2);
    r
}

/// A line billing PO 00200-OP-4711 line `lnid`.
fn po_billed(n: u32, description: &str, lnid: &str, qty: &str, price: &str) -> Value {
    json!({"lineNumber": n, "item": {"description": description, "unitOfMeasure": {"dimension": "EA"}},
           "quantity": qty, "unitPrice": price, "poNumber": "00200-OP-4711", "poLineNumber": lnid})
}

fn j1p(id: u64, number: &str, total: &str, lines: Vec<Value>) -> Value {
    json!({"header": {
        "invoiceId": id, "invoiceNumber": format!("J-{id}"), "supplierInvoiceNumber": number,
        "invoiceType": "Invoice", "paymentStatus": "Payable", "invoiceDate": "2026-01-20T12:00:00Z",
        "lastUpdate": "2026-01-20T16:00:00Z",
        "supplier": {"id": 77, "name": "Midwest Safety Supply", "supplierNumber": "4242"},
        "total": {"currency": "USD", "value": total}},
      "lineList": {"invoiceLine": lines}})
}

fn plan(doc: &Value) -> VoucherPlan {
    let s = settings();
    let detail: InvoiceDetail = serde_json::from_value(doc.clone()).unwrap();
    let inv = from_j1p(&detail, &s.mapping).unwrap();
    plan_voucher(&inv, SUPPLIER, &s, &refdata()).unwrap()
}

/// PO 00200-OP-4711 of supplier 4242 in USD: line 1, 100 EA gloves at 6.50; line 1.5, 4 EA
/// respirators at 25.00; line 2, 10 EA hard hats at 35.00.
fn po() -> (
    Vec<mlc_engine::ports::PoHeader>,
    Vec<mlc_engine::ports::PoLineRow>,
) {
    let at = stamp("2026-01-05", 80000);
    let mut l15 = po_line(4711, 1, 4, "25.00", at);
    l15.line.line_number = d("1.5");
    (
        vec![po_header(4711, 4242, at)],
        vec![
            po_line(4711, 1, 100, "6.50", at),
            l15,
            po_line(4711, 2, 10, "35.00", at),
        ],
    )
}

/// Receipt OV `doc` of `qty` of PO line `lnid`, all of it open to voucher.
fn received(doc: u64, lnid: &str, qty: &str, amount: &str) -> Receipt {
    Receipt {
        key: po_key(4711),
        lnid: d(lnid),
        kind: ReceiptKind::Receipt,
        line: Decimal::ONE,
        doc,
        dct: "OV".into(),
        kco: "00200".into(),
        an8: SUPPLIER,
        date: Some(date(2026, 1, 12)),
        quantity: d(qty),
        amount: d(amount),
        open_quantity: d(qty),
        open_amount: d(amount),
        open_foreign_amount: Decimal::ZERO,
    }
}

fn judge(p: &mut VoucherPlan, receipts: &[Receipt]) -> Readiness {
    let (h, l) = po();
    let facts = Available::new(&h, &l, receipts);
    let m = p.matching.as_mut().unwrap();
    fill_units(m, &facts);
    readiness(
        m,
        SUPPLIER,
        "USD",
        None,
        &facts,
        settings().payables.matching.tolerance,
    )
}

/// `(name, value)` of the `inputs` of a JDE Standard body.
fn inputs(v: &Value) -> Vec<(String, String)> {
    v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn input<'a>(all: &'a [(String, String)], name: &str) -> Option<&'a str> {
    all.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// 4.1: every line bills a received PO line; freight and tax are the only distribution.
#[test]
fn matched_invoice() {
    let mut doc = j1p(
        5001,
        "A-2001",
        "1107.50",
        vec![
            po_billed(1, "Safety gloves, nitrile", "1", "100", "6.50"),
            po_billed(2, "Hard hats, class E", "2", "10", "35.00"),
        ],
    );
    doc["header"]["shippingCharge"] = json!("25.00");
    doc["header"]["taxCharge1"] = json!("82.50");
    let mut p = plan(&doc);
    let verdict = judge(
        &mut p,
        &[
            received(880, "1", "100", "650.00"),
            received(880, "2", "10", "350.00"),
        ],
    );
    match verdict {
        Readiness::Ready { rule, receipts } => {
            assert_eq!(rule, "02");
            assert_eq!(receipts.len(), 2);
            assert_eq!(receipts[0].0, "00200-OP-4711 line 1");
            assert_eq!(receipts[0].1, [(880, Decimal::ONE)]);
        }
        other => panic!("{other:?}"),
    }
    let body = match_input(&p, "MLCONN", "1042", "A-2001")
        .expect("a match voucher")
        .to_body();
    let h = inputs(&body);
    for (name, value) in [
        ("EDTN", "JG5001"),
        ("AN8", "4242"),
        ("VINV", "A-2001"),
        ("KCO", "00200"),
        ("CRRM", "D"),
        ("AG", "1107.50"),
        ("MCU", "200"),
        ("PO", "4711"),
        ("PDCT", "OP"),
        ("PKCO", "00200"),
        ("ATRL", "02"),
    ] {
        assert_eq!(input(&h, name), Some(value), "{name}");
    }
    let details = body["detailInputs"].as_array().unwrap();
    assert_eq!(details[1]["name"], "MatchLines");
    let matched: Vec<Vec<(String, String)>> = details[1]["repeatingInputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(inputs)
        .collect();
    let want = [
        [
            ("EDLN", "1"),
            ("KCOO", "00200"),
            ("DCTO", "OP"),
            ("DOCO", "4711"),
            ("LNID", "1"),
            ("UORG", "100"),
            ("UOM", "EA"),
            ("PRRC", "6.50"),
            ("AEXP", "650.00"),
        ],
        [
            ("EDLN", "2"),
            ("KCOO", "00200"),
            ("DCTO", "OP"),
            ("DOCO", "4711"),
            ("LNID", "2"),
            ("UORG", "10"),
            ("UOM", "EA"),
            ("PRRC", "35.00"),
            ("AEXP", "350.00"),
        ],
    ];
    for (got, want) in matched.iter().zip(want) {
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(got, &want);
    }
    assert_eq!(details[0]["name"], "GLDistribution");
    let gl: Vec<(String, String, String)> = details[0]["repeatingInputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let i = inputs(r);
            (
                input(&i, "EDLN").unwrap().to_owned(),
                input(&i, "ANI").unwrap().to_owned(),
                input(&i, "AA").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        gl,
        [
            ("3".into(), "200.6210".into(), "25.00".into()),
            ("4".into(), "200.2310".into(), "82.50".into())
        ]
    );
}

/// 4.2: a matched line and a non-PO line on one invoice stay one voucher.
#[test]
fn mixed_invoice() {
    let service = json!({"lineNumber": 2, "item": {"description": "Fit testing"}, "quantity": "1",
        "unitPrice": "40.00", "customFieldValueSetList": {"customFieldValueSet": [{"name": "Account",
            "customFieldValueList": {"customFieldValue": [{"value": "200.6120"}]}}]}});
    let doc = j1p(
        5002,
        "A-2002",
        "140.00",
        vec![po_billed(1, "Respirators", "1.5", "4", "25.00"), service],
    );
    let mut p = plan(&doc);
    assert!(matches!(
        judge(&mut p, &[received(881, "1.5", "4", "100.00")]),
        Readiness::Ready { .. }
    ));
    let m = p.matching.as_ref().unwrap();
    assert_eq!(m.lines.len(), 1);
    assert_eq!(
        (
            m.lines[0].line,
            m.lines[0].lnid.to_string(),
            m.lines[0].amount
        ),
        (1, "1.5".to_owned(), d("100.00"))
    );
    let gl: Vec<_> = p
        .lines
        .iter()
        .map(|l| (l.line, l.account.to_string(), l.amount))
        .collect();
    assert_eq!(gl, [(2, "200.6120".to_owned(), d("40.00"))]);
    assert_eq!(p.gross, d("140.00"));
}

/// 4.3: nothing received yet, then part of it: the invoice waits, naming the PO line.
#[test]
fn waiting_invoice() {
    let doc = j1p(
        5003,
        "A-2003",
        "650.00",
        vec![po_billed(1, "Safety gloves, nitrile", "1", "100", "6.50")],
    );
    let mut p = plan(&doc);
    assert_eq!(
        judge(&mut p, &[]),
        Readiness::Wait("waiting for receipt of 00200-OP-4711 line 1".into())
    );
    assert_eq!(
        judge(&mut p, &[received(882, "1", "60", "390.00")]),
        Readiness::Wait(
            "waiting for receipt of 00200-OP-4711 line 1: invoiced 100, received and not \
             vouchered 60"
                .into()
        )
    );
}

/// 4.4: received 100 at 6.50, invoiced at 6.60: over-invoiced, quarantined with the figures.
#[test]
fn over_invoiced() {
    let doc = j1p(
        5004,
        "A-2004",
        "660.00",
        vec![po_billed(1, "Safety gloves, nitrile", "1", "100", "6.60")],
    );
    let mut p = plan(&doc);
    match judge(&mut p, &[received(883, "1", "100", "650.00")]) {
        Readiness::Refuse(e) => {
            assert_eq!(e.field, "line 1.poLineNumber");
            assert_eq!(e.kind, "over-invoiced");
            assert_eq!(
                e.reason,
                "over-invoiced: 00200-OP-4711 line 1 invoiced 100 for 660.00 USD, received and \
                 not vouchered 100 for 650.00 USD, tolerance 0% / 0.01 USD"
            );
        }
        other => panic!("{other:?}"),
    }
    // With match_tolerance = { percent = "2" } the same invoice goes through (13.00 ≤ 2 %).
    let (h, l) = po();
    let facts = Available::new(&h, &l, &[received(883, "1", "100", "650.00")]);
    let tol = MatchTolerance {
        percent: d("2"),
        amount: d("0.01"),
    };
    assert!(matches!(
        readiness(
            p.matching.as_ref().unwrap(),
            SUPPLIER,
            "USD",
            None,
            &facts,
            tol
        ),
        Readiness::Ready { .. }
    ));
}
