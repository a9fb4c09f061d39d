//! The worked examples of `docs/vouchers.md`, run through the real mapping.
//!
//! Each test builds the example's JAGGAER invoice as J1P JSON, decodes it with
//! `mapping::invoice::from_j1p`, plans the voucher with `mapping::voucher::plan_voucher` against
//! the reference data and settings shown at the top of the page, and asserts the header inputs and
//! distribution lines the page shows. Cases decided by the invoice flow rather than the mapping
//! (the `-CM` suffix, duplicates, changes after posting) are covered by `flows_invoices.rs`
//! against in-memory fakes, and end to end by `crates/app/tests/vouchers/main.rs`. The payables
//! rules of issue 12 (pay status, due date and terms, intercompany, the fiscal calendar) are at
//! the end.
use std::str::FromStr;

use jiff::civil::date;
use jiff::tz::TimeZone;
use mlc_core::Decimal;
use mlc_core::ids::{AccountNumber, AddressNumber, BusinessUnitCode, OrderKey};
use mlc_core::model::{BusinessUnit, GlAccount, Invoice};
use mlc_engine::mapping::MappingError;
use mlc_engine::mapping::invoice::from_j1p;
use mlc_engine::mapping::voucher::{CurrencyMode, VoucherPlan, edtn_for, plan_voucher};
use mlc_engine::refdata::{CompanyInfo, RefData};
use mlc_engine::settings::{
    ClosedPeriodRule, DueDateMode, Intercompany, PayStatus, TaxMode, TenantSettings,
};
use mlc_engine::testing;
use mlc_jaggaer::InvoiceDetail;
use serde_json::{Value, json};

const SUPPLIER: AddressNumber = AddressNumber(4242);

/// Period ends of a calendar-month fiscal year (F0008 pattern `R`).
fn monthly_ends(year: i16) -> Vec<jiff::civil::Date> {
    (1..=12).map(|m| date(year, m, 1).last_of_month()).collect()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// The configuration of the page ("The set-up the examples share"): the flow tests' settings
/// with the AIS server in Chicago and company 00300's own charge accounts.
fn settings() -> TenantSettings {
    let mut s = testing::settings();
    s.jde_timezone = TimeZone::get("America/Chicago").unwrap();
    s.mapping
        .companies
        .insert("00300".to_owned(), testing::charge_accounts("300"));
    s
}

/// The JDE master data of the page: F0006, F0901, F0010, F0013.
fn refdata() -> RefData {
    let mut r = RefData::default();
    for (bu, co) in [("200", "00200"), ("210", "00200"), ("300", "00300")] {
        r.business_units.insert(
            bu.into(),
            BusinessUnit {
                code: BusinessUnitCode::new(bu),
                company: co.into(),
                description: format!("BU {bu}"),
                kind: "IS".into(),
                postable: true,
            },
        );
        for obj in ["2310", "6110", "6120", "6210", "6220", "6290", "6295"] {
            let a = AccountNumber::new(bu, obj, "");
            r.accounts.insert(
                a.to_string(),
                GlAccount {
                    account: a,
                    aid: String::new(),
                    company: co.into(),
                    description: obj.into(),
                    postable: true,
                },
            );
        }
    }
    r.companies.insert(
        "00200".into(),
        CompanyInfo {
            company: "00200".into(),
            currency: "USD".into(),
            fiscal_year_start: Some(date(2026, 1, 1)),
            current_period: Some(11),
            period_ends: monthly_ends(2026),
        },
    );
    r.companies.insert(
        "00300".into(),
        CompanyInfo {
            company: "00300".into(),
            currency: "EUR".into(),
            fiscal_year_start: Some(date(2026, 1, 1)),
            current_period: Some(11),
            period_ends: monthly_ends(2026),
        },
    );
    for (c, n) in [("USD", 2), ("EUR", 2), ("JPY", 0)] {
        r.currency_decimals.insert(c.into(), n);
    }
    r
}

fn fields(pairs: &[(&str, &str)]) -> Value {
    json!({"customFieldValueSet": pairs.iter().map(|(n, v)| json!({
        "name": n, "customFieldValueList": {"customFieldValue": [{"value": v}]}
    })).collect::<Vec<_>>()})
}

/// An invoice line coded to `account` (and `cost_center` when not empty).
fn line(n: u32, description: &str, qty: &str, price: &str, account: &str, cc: &str) -> Value {
    let mut f = vec![("Account", account)];
    if !cc.is_empty() {
        f.push(("CostCenter", cc));
    }
    json!({"lineNumber": n, "item": {"description": description}, "quantity": qty,
           "unitPrice": price, "poNumber": "00200-OP-4711",
           "customFieldValueSetList": fields(&f)})
}

/// A line split over codings: `(distributionType, distributionValue, account)`.
fn coded_split_line(
    n: u32,
    description: &str,
    qty: &str,
    price: &str,
    splits: &[(&str, &str, &str)],
) -> Value {
    let idx: Vec<Value> = splits
        .iter()
        .enumerate()
        .map(|(i, (t, v, a))| {
            json!({"splitIndex": i + 1, "distributionType": t, "distributionValue": v,
                   "customFieldValueList": {"customFieldValue": [{"internalName": "Account", "value": a}]}})
        })
        .collect();
    json!({"lineNumber": n, "item": {"description": description}, "quantity": qty,
           "unitPrice": price,
           "splittableFieldSetGroupList": {"splittableFieldSetGroup": [{"splittableFieldIndexSet": [
               {"context": "Line", "splittableFieldIndexList": {"splittableFieldIndex": idx}}]}]}})
}

/// A payable J1P invoice of supplier 4242 (bravoId 77).
fn j1p(id: u64, number: &str, date: &str, currency: &str, total: &str, lines: Vec<Value>) -> Value {
    json!({"header": {
        "invoiceId": id, "invoiceNumber": format!("J-{id}"), "supplierInvoiceNumber": number,
        "invoiceType": "Invoice", "paymentStatus": "Payable", "invoiceDate": date,
        "lastUpdate": "2026-11-20T16:00:00Z",
        "supplier": {"id": 77, "name": "Midwest Safety Supply", "supplierNumber": "4242"},
        "total": {"currency": currency, "value": total}},
      "lineList": {"invoiceLine": lines}})
}

fn decode(doc: &Value, s: &TenantSettings) -> Invoice {
    let detail: InvoiceDetail = serde_json::from_value(doc.clone()).unwrap();
    from_j1p(&detail, &s.mapping).unwrap()
}

fn plan(doc: &Value, s: &TenantSettings) -> Result<VoucherPlan, MappingError> {
    plan_voucher(&decode(doc, s), SUPPLIER, s, &refdata())
}

/// The distribution as `(EDLN, ANI, MCU, amount, EXA)`.
fn lines(p: &VoucherPlan) -> Vec<(u32, String, String, Decimal, String)> {
    p.lines
        .iter()
        .map(|l| {
            (
                l.line,
                l.account.to_string(),
                l.business_unit.clone(),
                l.amount,
                l.explanation.clone(),
            )
        })
        .collect()
}

fn row(n: u32, ani: &str, amount: &str, exa: &str) -> (u32, String, String, Decimal, String) {
    (
        n,
        ani.to_owned(),
        ani.split('.').next().unwrap().to_owned(),
        d(amount),
        exa.to_owned(),
    )
}

fn sum(p: &VoucherPlan) -> Decimal {
    p.lines.iter().map(|l| l.amount).sum()
}

/// Example 1's invoice: two item lines, freight, handling, a misc fee, a discount and tax.
fn usd_invoice() -> Value {
    let mut doc = j1p(
        98765,
        "A-1001",
        "2026-11-20T09:15:00-06:00",
        "USD",
        "1102.50",
        vec![
            line(1, "Safety gloves, nitrile", "100", "6.50", "200.6110", ""),
            line(2, "Hard hats, class E", "10", "35.00", "210.6110", "210"),
        ],
    );
    let h = doc["header"].as_object_mut().unwrap();
    h.insert("taxCharge1".into(), json!("82.50"));
    h.insert("shippingCharge".into(), json!("25.00"));
    h.insert("handlingCharge".into(), json!("5.00"));
    h.insert(
        "miscFeeList".into(),
        json!({"miscFee": [{"name": "Fuel surcharge", "fee": "10.00"}]}),
    );
    h.insert("discountAmount".into(), json!("20.00"));
    doc
}

#[test]
fn usd_invoice_with_tax_as_a_line() {
    let s = settings();
    let p = plan(&usd_invoice(), &s).unwrap();
    assert_eq!(p.edtn, "JG98765");
    assert_eq!(p.an8, SUPPLIER);
    assert_eq!(p.vinv, "A-1001");
    assert_eq!(p.invoice_date, date(2026, 11, 20));
    assert_eq!(p.gl_date, date(2026, 11, 20));
    assert_eq!(p.company, "00200");
    assert_eq!(p.currency, "USD");
    assert_eq!(p.mode, CurrencyMode::Domestic);
    assert_eq!(p.gross, d("1102.50"));
    assert_eq!(p.tax_amount, None);
    assert_eq!(p.tax_area, None);
    assert_eq!(p.tax_explanation, None);
    assert_eq!(p.po, Some(OrderKey::new("00200", "OP", 4711)));
    assert_eq!(p.remark, "98765");
    assert!(!p.credit_memo);
    assert_eq!(
        lines(&p),
        vec![
            row(1, "200.6110", "650.00", "Safety gloves, nitrile"),
            row(2, "210.6110", "350.00", "Hard hats, class E"),
            row(3, "200.6210", "25.00", "Freight"),
            row(4, "200.6220", "5.00", "Handling"),
            row(5, "200.6290", "10.00", "Miscellaneous fees"),
            row(6, "200.6295", "-20.00", "Discount"),
            row(7, "200.2310", "82.50", "Tax"),
        ]
    );
    assert_eq!(sum(&p), p.gross);
}

#[test]
fn usd_invoice_with_tax_left_to_jde() {
    let mut s = settings();
    s.mapping.tax = TaxMode::Jde;
    let p = plan(&usd_invoice(), &s).unwrap();
    assert_eq!(p.mode, CurrencyMode::Domestic);
    assert_eq!(p.gross, d("1102.50"));
    assert_eq!(p.tax_amount, Some(d("82.50")));
    // The J1P invoice carries no tax area, so TXA1 is not sent.
    assert_eq!(p.tax_area, None);
    assert_eq!(p.tax_explanation.as_deref(), Some("V"));
    assert_eq!(
        lines(&p),
        vec![
            row(1, "200.6110", "650.00", "Safety gloves, nitrile"),
            row(2, "210.6110", "350.00", "Hard hats, class E"),
            row(3, "200.6210", "25.00", "Freight"),
            row(4, "200.6220", "5.00", "Handling"),
            row(5, "200.6290", "10.00", "Miscellaneous fees"),
            row(6, "200.6295", "-20.00", "Discount"),
        ]
    );
    assert_eq!(sum(&p), d("1020.00"));
    assert_eq!(sum(&p) + p.tax_amount.unwrap(), p.gross);
}

#[test]
fn eur_invoice_in_a_usd_company() {
    let s = settings();
    let mut doc = j1p(
        98780,
        "RE-2026-0815",
        "2026-11-18T14:00:00+01:00",
        "EUR",
        "4850.00",
        vec![
            line(1, "Calibration service", "1", "4000.00", "200.6110", ""),
            line(2, "Spare probes", "4", "200.00", "200.6120", ""),
        ],
    );
    doc["header"]["shippingCharge"] = json!("50.00");
    let p = plan(&doc, &s).unwrap();
    assert_eq!(p.company, "00200");
    assert_eq!(p.currency, "EUR");
    assert_eq!(p.mode, CurrencyMode::Foreign);
    assert_eq!(p.gross, d("4850.00"));
    assert_eq!(p.invoice_date, date(2026, 11, 18));
    assert_eq!(
        lines(&p),
        vec![
            row(1, "200.6110", "4000.00", "Calibration service"),
            row(2, "200.6120", "800.00", "Spare probes"),
            row(3, "200.6210", "50.00", "Freight"),
        ]
    );
    assert_eq!(sum(&p), p.gross);
}

#[test]
fn jpy_invoice_rounded_to_zero_decimals() {
    let s = settings();
    let mut doc = j1p(
        98790,
        "T-55120",
        "2026-11-19T10:00:00+09:00",
        "JPY",
        "32514",
        vec![
            line(1, "Connector M8", "150", "66.67", "200.6110", ""),
            line(2, "Sensor cable", "40", "500.35", "200.6120", ""),
            line(3, "Labels", "3", "333.33", "210.6110", ""),
        ],
    );
    doc["header"]["shippingCharge"] = json!("1500");
    let inv = decode(&doc, &s);
    // The unrounded amounts JAGGAER's quantities and prices give.
    let unrounded: Vec<Decimal> = inv.lines.iter().map(|l| l.amount).collect();
    assert_eq!(unrounded, vec![d("10000.50"), d("20014.00"), d("999.99")]);
    let p = plan_voucher(&inv, SUPPLIER, &s, &refdata()).unwrap();
    assert_eq!(p.mode, CurrencyMode::Foreign);
    assert_eq!(p.gross, d("32514"));
    assert_eq!(p.invoice_date, date(2026, 11, 18));
    assert_eq!(
        lines(&p),
        vec![
            row(1, "200.6110", "10001", "Connector M8"),
            row(2, "200.6120", "20013", "Sensor cable"),
            row(3, "210.6110", "1000", "Labels"),
            row(4, "200.6210", "1500", "Freight"),
        ]
    );
    assert_eq!(sum(&p), p.gross);
}

#[test]
fn credit_memo() {
    let s = settings();
    let mut doc = j1p(
        98800,
        "A-1001",
        "2026-11-24T11:00:00-06:00",
        "USD",
        "75.25",
        vec![line(
            1,
            "Hard hats returned",
            "2",
            "35.00",
            "210.6110",
            "210",
        )],
    );
    doc["header"]["invoiceType"] = json!("Credit Memo");
    doc["header"]["taxCharge1"] = json!("5.25");
    let p = plan(&doc, &s).unwrap();
    assert!(p.credit_memo);
    assert_eq!(p.edtn, "JG98800");
    // The plan carries the supplier's number; the flow appends -CM when it is taken.
    assert_eq!(p.vinv, "A-1001");
    assert_eq!(p.company, "00200");
    assert_eq!(p.gross, d("-75.25"));
    assert_eq!(
        lines(&p),
        vec![
            row(1, "210.6110", "-70.00", "Hard hats returned"),
            row(2, "200.2310", "-5.25", "Tax"),
        ]
    );
    assert_eq!(sum(&p), p.gross);
}

#[test]
fn split_line() {
    let s = settings();
    let doc = j1p(
        98810,
        "C-7781",
        "2026-11-25T15:00:00-06:00",
        "USD",
        "2200.05",
        vec![
            coded_split_line(
                1,
                "Consulting, November",
                "1",
                "1000.05",
                &[
                    ("Percentage", "50", "200.6110"),
                    ("Percentage", "50", "210.6110"),
                ],
            ),
            coded_split_line(
                2,
                "Workshop venue",
                "1",
                "1200.00",
                &[
                    ("AmountOfPrice", "800.00", "200.6120"),
                    ("AmountOfPrice", "400.00", "210.6120"),
                ],
            ),
        ],
    );
    let inv = decode(&doc, &s);
    let split_amounts: Vec<Decimal> = inv
        .lines
        .iter()
        .flat_map(|l| l.splits.iter().map(|s| s.amount))
        .collect();
    assert_eq!(
        split_amounts,
        vec![d("500.025"), d("500.025"), d("800.00"), d("400.00")]
    );
    let p = plan_voucher(&inv, SUPPLIER, &s, &refdata()).unwrap();
    assert_eq!(p.po, None);
    assert_eq!(
        lines(&p),
        vec![
            row(1, "200.6110", "500.03", "Consulting, November"),
            row(2, "210.6110", "500.03", "Consulting, November"),
            row(3, "200.6120", "799.99", "Workshop venue"),
            row(4, "210.6120", "400.00", "Workshop venue"),
        ]
    );
    assert_eq!(sum(&p), d("2200.05"));
}

#[test]
fn month_end_late_evening_in_chicago() {
    let s = settings();
    let doc = j1p(
        98820,
        "INV-3300",
        "2026-11-30T23:30:00-06:00",
        "USD",
        "500.00",
        vec![line(1, "Forklift rental", "1", "500.00", "200.6110", "")],
    );
    let inv = decode(&doc, &s);
    assert_eq!(inv.invoice_date.to_string(), "2026-12-01T05:30:00Z");
    let p = plan_voucher(&inv, SUPPLIER, &s, &refdata()).unwrap();
    assert_eq!(p.invoice_date, date(2026, 11, 30));
    assert_eq!(p.gl_date, date(2026, 11, 30));
    assert_eq!(p.gl_date_moved_from, None);

    // The same moment written in UTC, and a bare date, give the same day.
    let mut utc = doc.clone();
    utc["header"]["invoiceDate"] = json!("2026-12-01T05:30:00Z");
    assert_eq!(plan(&utc, &s).unwrap().invoice_date, date(2026, 11, 30));
    let mut bare = doc;
    bare["header"]["invoiceDate"] = json!("2026-11-30");
    assert_eq!(plan(&bare, &s).unwrap().invoice_date, date(2026, 11, 30));
}

fn october_invoice() -> Value {
    j1p(
        98830,
        "INV-3122",
        "2026-10-28T10:00:00-05:00",
        "USD",
        "1200.00",
        vec![line(
            1,
            "Pallet racking repair",
            "1",
            "1200.00",
            "200.6110",
            "",
        )],
    )
}

#[test]
fn closed_period_next_open() {
    let s = settings();
    let p = plan(&october_invoice(), &s).unwrap();
    assert_eq!(p.invoice_date, date(2026, 10, 28));
    assert_eq!(p.gl_date, date(2026, 11, 1));
    assert_eq!(p.gl_date_moved_from, Some(date(2026, 10, 28)));
    assert_eq!(
        lines(&p),
        vec![row(1, "200.6110", "1200.00", "Pallet racking repair")]
    );
}

#[test]
fn closed_period_quarantine() {
    let mut s = settings();
    s.closed_period = ClosedPeriodRule::Quarantine;
    let err = plan(&october_invoice(), &s).unwrap_err();
    assert_eq!(err.kind, "closed-period");
    assert_eq!(err.field, "header.invoiceDate");
    assert_eq!(
        err.reason,
        "G/L date 2026-10-28 is in a closed period of company 00200 (open from 2026-11-01)"
    );
}

#[test]
fn voucher_ids() {
    assert_eq!(edtn_for("98765"), "JG98765");
    // A cXML invoice id is `<sender identity>-<invoiceID>`; punctuation is dropped.
    assert_eq!(edtn_for("AN0100-INV-77"), "JGAN0100INV77");
    let long = edtn_for("AN01000000087-2026-INV-000123");
    assert_eq!(long.len(), 22);
    assert!(long.starts_with("JH"));
}

// ---- Payables rules (issue 12 point 3), through the real mapping -------------------------

/// A US invoice with JAGGAER's due date, terms and early payment discount.
fn invoice_with_terms(terms_code: &str) -> Value {
    let mut doc = j1p(
        98800,
        "T-1",
        "2026-11-20T09:15:00-06:00",
        "USD",
        "500.00",
        vec![line(1, "Gloves", "100", "5.00", "200.6110", "")],
    );
    let h = doc["header"].as_object_mut().unwrap();
    h.insert("dueDate".into(), json!("2026-12-20T00:00:00.000Z"));
    h.insert(
        "terms".into(),
        json!({"discount": {}, "days": 30, "type": "Net", "standardPaymentTermsCode": terms_code}),
    );
    h.insert("earlyPaymentDiscount".into(), json!(10.5));
    doc
}

#[test]
fn pay_status_is_left_to_the_supplier_unless_approved() {
    let mut s = settings();
    let p = plan(&usd_invoice(), &s).unwrap();
    // Default "supplier": no PST, JDE defaults it from the supplier (a hold stays a hold).
    assert_eq!(p.pay_status, None);
    s.payables.pay_status = PayStatus::Approved;
    let p = plan(&usd_invoice(), &s).unwrap();
    assert_eq!(p.pay_status.as_deref(), Some("A"));
}

#[test]
fn due_date_and_terms_are_jdes_unless_jaggaer_is_asked() {
    let mut s = settings();
    let p = plan(&invoice_with_terms("N30"), &s).unwrap();
    assert_eq!(
        (p.due_date, p.payment_terms.clone(), p.discount_available),
        (None, None, None)
    );
    s.payables.due_date = DueDateMode::Jaggaer;
    let p = plan(&invoice_with_terms("N30"), &s).unwrap();
    assert_eq!(p.due_date, Some(date(2026, 12, 20)));
    assert_eq!(p.payment_terms.as_deref(), Some("N30"));
    assert_eq!(p.discount_available, Some(d("10.50")));
    // A terms name that is no JDE code (3 characters) is not sent: JDE keeps the supplier's
    // terms, the due date still goes.
    let p = plan(&invoice_with_terms("Net 30"), &s).unwrap();
    assert_eq!(p.payment_terms, None);
    assert_eq!(p.due_date, Some(date(2026, 12, 20)));
}

/// An invoice whose second line is coded to company 00300's business unit.
fn two_company_invoice() -> Value {
    j1p(
        98801,
        "IC-1",
        "2026-11-20T09:15:00-06:00",
        "USD",
        "300.00",
        vec![
            line(1, "Gloves", "1", "100.00", "200.6110", ""),
            line(2, "Boots", "1", "200.00", "300.6110", ""),
        ],
    )
}

#[test]
fn intercompany_invoices_are_sent_unless_refused() {
    let mut s = settings();
    // Default "allow": the voucher's company is the first line's; JDE's intercompany
    // settlement constant decides.
    let p = plan(&two_company_invoice(), &s).unwrap();
    assert_eq!(p.company, "00200");
    assert_eq!(
        lines(&p),
        vec![
            row(1, "200.6110", "100.00", "Gloves"),
            row(2, "300.6110", "200.00", "Boots")
        ]
    );
    s.payables.intercompany = Intercompany::Refuse;
    let err = plan(&two_company_invoice(), &s).unwrap_err();
    assert_eq!(err.field, "distribution line 2 business unit 300");
    assert_eq!(
        err.reason,
        "belongs to company 00300, the voucher's company is 00200"
    );
}

/// Refdata whose company 00200 runs a 4-4-5 calendar (or 13 four-week periods) in period 11.
fn refdata_with(ends: Vec<jiff::civil::Date>, period: u32) -> RefData {
    let mut r = refdata();
    let c = r.companies.get_mut("00200").unwrap();
    c.fiscal_year_start = Some(date(2026, 1, 1));
    c.current_period = Some(period);
    c.period_ends = ends;
    r
}

#[test]
fn closed_periods_follow_the_companys_fiscal_calendar() {
    let s = settings();
    let inv = decode(&october_invoice(), &s); // G/L date 2026-10-28
    // 4-4-5 weeks from 2026-01-01: period 10 ends 2026-10-28 (43 weeks), period 11 begins the
    // 29th, so an invoice of the 28th is in a closed period and moves to the 29th.
    let mut ends = Vec::new();
    let mut end = date(2025, 12, 31);
    for _quarter in 0..4 {
        for weeks in [4, 4, 5] {
            end = end.checked_add(jiff::Span::new().weeks(weeks)).unwrap();
            ends.push(end);
        }
    }
    assert_eq!(ends[9], date(2026, 10, 28));
    let p = plan_voucher(&inv, SUPPLIER, &s, &refdata_with(ends.clone(), 11)).unwrap();
    assert_eq!(p.gl_date, date(2026, 10, 29));
    assert_eq!(p.gl_date_moved_from, Some(date(2026, 10, 28)));
    // In period 10 of the same calendar the 28th is open.
    let p = plan_voucher(&inv, SUPPLIER, &s, &refdata_with(ends, 10)).unwrap();
    assert_eq!(p.gl_date, date(2026, 10, 28));
    assert_eq!(p.gl_date_moved_from, None);

    // 13 periods of four weeks: period 11 begins after 40 weeks, on 2026-10-08.
    let thirteen: Vec<_> = (1..=13)
        .map(|n| {
            date(2025, 12, 31)
                .checked_add(jiff::Span::new().weeks(4 * n))
                .unwrap()
        })
        .collect();
    let p = plan_voucher(&inv, SUPPLIER, &s, &refdata_with(thirteen.clone(), 11)).unwrap();
    assert_eq!(
        p.gl_date,
        date(2026, 10, 28),
        "open in period 11 of a 13-period year"
    );
    let p = plan_voucher(&inv, SUPPLIER, &s, &refdata_with(thirteen, 12)).unwrap();
    assert_eq!(p.gl_date, date(2026, 11, 5));

    // No date pattern known: nothing is moved here (JDE's processor applies its own rule).
    let p = plan_voucher(&inv, SUPPLIER, &s, &refdata_with(vec![], 11)).unwrap();
    assert_eq!(p.gl_date, date(2026, 10, 28));
}
