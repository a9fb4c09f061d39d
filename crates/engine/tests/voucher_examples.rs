//! The worked examples of `docs/vouchers.md`, run through the real mapping.
//!
//! Each test builds the example's JAGGAER invoice as J1P JSON, decodes it with
//! `mapping::invoice::from_j1p`, plans the voucher with `mapping::voucher::plan_voucher` against
//! the reference data and settings shown at the top of the page, and asserts the header inputs and
//! distribution lines the page shows. Cases decided by the invoice flow rather than the mapping
//! (the `-CM` suffix, duplicates, changes after posting) are covered by `flows_invoices.rs`
//! against in-memory fakes, and end to end by `crates/app/tests/vouchers/main.rs`.
use std::collections::BTreeMap;
use std::str::FromStr;

use jiff::civil::date;
use jiff::tz::TimeZone;
use mlc_core::Decimal;
use mlc_core::ids::{AccountNumber, AddressNumber, BusinessUnitCode, OrderKey, TenantId};
use mlc_core::model::{BusinessUnit, GlAccount, Invoice};
use mlc_engine::mapping::MappingError;
use mlc_engine::mapping::invoice::from_j1p;
use mlc_engine::mapping::voucher::{CurrencyMode, VoucherPlan, edtn_for, plan_voucher};
use mlc_engine::refdata::{CompanyInfo, RefData};
use mlc_engine::settings::{
    AccountFormat, ChargeAccounts, ClosedPeriodRule, MappingSettings, TaxMode, TenantSettings,
    Transport, WindowSettings,
};
use mlc_jaggaer::InvoiceDetail;
use serde_json::{Value, json};

const SUPPLIER: AddressNumber = AddressNumber(4242);

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn acct(s: &str) -> AccountNumber {
    s.parse().unwrap()
}

/// The configuration of the page ("The set-up the examples share").
fn settings() -> TenantSettings {
    let charges = |c: &str| ChargeAccounts {
        tax: acct(&format!("{c}.2310")),
        freight: acct(&format!("{c}.6210")),
        handling: acct(&format!("{c}.6220")),
        misc: acct(&format!("{c}.6290")),
        discount: acct(&format!("{c}.6295")),
    };
    let mut companies = BTreeMap::new();
    companies.insert("00300".to_owned(), charges("300"));
    TenantSettings {
        tenant: TenantId::parse("acme").unwrap(),
        jde_timezone: TimeZone::get("America/Chicago").unwrap(),
        start_date: None,
        batch_user: "MLCONN".into(),
        voucher_orchestration: "ML_AddVoucherBatch".into(),
        company: "00200".into(),
        po_order_types: vec!["OP".into()],
        page_size: 500,
        lines_chunk: 200,
        write_concurrency: 8,
        transport: Transport::Rest,
        mapping: MappingSettings {
            gl_account_field: "Account".into(),
            cost_center_field: "CostCenter".into(),
            invoice_statuses: vec!["Payable".into()],
            account_format: AccountFormat::Full,
            tax: TaxMode::Line,
            charges: charges("200"),
            companies,
            tax_area: None,
            tax_explanation: "V".into(),
        },
        windows: WindowSettings::default(),
        closed_period: ClosedPeriodRule::NextOpen,
        cxml_identity: "ml-connector".into(),
    }
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
        },
    );
    r.companies.insert(
        "00300".into(),
        CompanyInfo {
            company: "00300".into(),
            currency: "EUR".into(),
            fiscal_year_start: Some(date(2026, 1, 1)),
            current_period: Some(11),
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
