use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::TimeZone;
use mlc_core::ids::{AccountNumber, AddressNumber, BusinessUnitCode, JaggaerId};
use mlc_core::model::{BusinessUnit, Charges, GlAccount, Invoice, InvoiceKind, InvoiceLine, Split};

use super::*;
use crate::refdata::CompanyInfo;
use crate::settings::*;

/// Period ends of a calendar-month fiscal year (F0008 pattern `R`).
fn monthly_ends(year: i16) -> Vec<jiff::civil::Date> {
    (1..=12).map(|m| date(year, m, 1).last_of_month()).collect()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn acct(s: &str) -> AccountNumber {
    s.parse().unwrap()
}

pub(crate) fn settings() -> TenantSettings {
    let charges = |c: &str| ChargeAccounts {
        tax: acct(&format!("{c}.2310")),
        freight: acct(&format!("{c}.6210")),
        handling: acct(&format!("{c}.6210")),
        misc: acct(&format!("{c}.6290")),
        discount: acct(&format!("{c}.6295")),
    };
    // The flow tests' settings, with the AIS server in Chicago and this page's charge accounts.
    let mut s = crate::testing::settings();
    s.jde_timezone = TimeZone::get("America/Chicago").unwrap();
    s.mapping.charges = charges("200");
    s.mapping
        .companies
        .insert("00300".to_owned(), charges("300"));
    s
}

pub(crate) fn refdata() -> RefData {
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
        for obj in ["2310", "6110", "6210", "6290", "6295"] {
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
    let np = AccountNumber::new("200", "6100", "");
    r.accounts.insert(
        np.to_string(),
        GlAccount {
            account: np,
            aid: String::new(),
            company: "00200".into(),
            description: "header".into(),
            postable: false,
        },
    );
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
            fiscal_year_start: None,
            current_period: None,
            period_ends: vec![],
        },
    );
    r.currency_decimals.insert("JPY".into(), 0);
    r.currency_decimals.insert("USD".into(), 2);
    r
}

fn line(n: u32, amount: &str, account: &str, cc: &str) -> InvoiceLine {
    InvoiceLine {
        line_number: n,
        description: format!("Item {n}"),
        amount: d(amount),
        account: Some(account.into()),
        cost_center: Some(cc.into()),
        splits: vec![],
        po_line: None,
    }
}

fn invoice(lines: Vec<InvoiceLine>, gross: &str) -> Invoice {
    Invoice {
        id: JaggaerId("98765".into()),
        number: "A-1001".into(),
        kind: InvoiceKind::Invoice,
        supplier_id: Some(JaggaerId("77".into())),
        supplier_number: Some("4242".into()),
        invoice_date: "2026-11-20T15:00:00Z".parse::<Timestamp>().unwrap(),
        currency: "USD".into(),
        gross: d(gross),
        tax: Decimal::ZERO,
        tax_area: None,
        charges: Charges::default(),
        status: "Payable".into(),
        po_number: Some("00200-OP-4711".into()),
        lines,
        last_update: "2026-11-20T15:00:00Z".parse().unwrap(),
        payment: None,
    }
}

fn sum(p: &VoucherPlan) -> Decimal {
    p.lines.iter().map(|l| l.amount).sum()
}

#[test]
fn simple_invoice_maps_field_by_field() {
    let inv = invoice(
        vec![
            line(1, "600.00", "200.6110", "200"),
            line(2, "400.00", "210.6110", "210"),
        ],
        "1000.00",
    );
    let p = plan_voucher(&inv, AddressNumber(4242), &settings(), &refdata()).unwrap();
    assert_eq!(p.edtn, "JG98765");
    assert_eq!(p.company, "00200");
    assert_eq!(p.mode, CurrencyMode::Domestic);
    assert_eq!(p.gross, d("1000.00"));
    assert_eq!(p.lines.len(), 2);
    assert_eq!(p.lines[1].business_unit, "210");
    assert_eq!(p.po, Some(OrderKey::new("00200", "OP", 4711)));
    assert_eq!(p.invoice_date, date(2026, 11, 20));
    assert_eq!(sum(&p), p.gross);
}

#[test]
fn tax_charges_and_discount_become_lines_that_sum_to_gross() {
    let mut inv = invoice(vec![line(1, "1000.00", "200.6110", "200")], "1102.50");
    inv.tax = d("82.50");
    inv.charges = Charges {
        freight: d("25.00"),
        handling: d("5.00"),
        misc: d("10.00"),
        discount: d("20.00"),
    };
    let p = plan_voucher(&inv, AddressNumber(4242), &settings(), &refdata()).unwrap();
    let accounts: Vec<String> = p.lines.iter().map(|l| l.account.to_string()).collect();
    assert_eq!(
        accounts,
        [
            "200.6110", "200.6210", "200.6210", "200.6290", "200.6295", "200.2310"
        ]
    );
    assert_eq!(p.lines[4].amount, d("-20.00"));
    assert_eq!(sum(&p), d("1102.50"));
}

#[test]
fn jde_tax_mode_uses_stam_and_lines_sum_to_gross_less_tax() {
    let mut s = settings();
    s.mapping.tax = TaxMode::Jde;
    let mut inv = invoice(vec![line(1, "1000.00", "200.6110", "200")], "1082.50");
    inv.tax = d("82.50");
    inv.tax_area = Some("IL".into());
    let p = plan_voucher(&inv, AddressNumber(4242), &s, &refdata()).unwrap();
    assert_eq!(p.tax_amount, Some(d("82.50")));
    assert_eq!(p.tax_area.as_deref(), Some("IL"));
    assert_eq!(p.tax_explanation.as_deref(), Some("V"));
    assert_eq!(sum(&p), d("1000.00"));
}

#[test]
fn jde_tax_mode_takes_area_and_explanation_from_the_settings() {
    let mut s = settings();
    s.mapping.tax = TaxMode::Jde;
    s.mapping.tax_area = Some("TX".into());
    s.mapping.tax_explanation = "S".into();
    let mut inv = invoice(vec![line(1, "1000.00", "200.6110", "200")], "1082.50");
    inv.tax = d("82.50");
    let p = plan_voucher(&inv, AddressNumber(4242), &s, &refdata()).unwrap();
    assert_eq!(p.tax_area.as_deref(), Some("TX"));
    assert_eq!(p.tax_explanation.as_deref(), Some("S"));
    // The invoice's own tax area wins over the default.
    inv.tax_area = Some("IL".into());
    let p = plan_voucher(&inv, AddressNumber(4242), &s, &refdata()).unwrap();
    assert_eq!(p.tax_area.as_deref(), Some("IL"));
}

#[test]
fn yen_is_rounded_to_zero_decimals_with_remainder_on_largest_line() {
    let mut inv = invoice(vec![], "10001");
    inv.currency = "JPY".into();
    inv.lines = vec![InvoiceLine {
        splits: vec![
            Split {
                account: Some("200.6110".into()),
                cost_center: Some("200".into()),
                amount: d("3333.6"),
            },
            Split {
                account: Some("210.6110".into()),
                cost_center: Some("210".into()),
                amount: d("6667.4"),
            },
        ],
        ..line(1, "10001", "", "")
    }];
    let p = plan_voucher(&inv, AddressNumber(4242), &settings(), &refdata()).unwrap();
    assert_eq!(
        p.mode,
        CurrencyMode::Foreign,
        "JPY invoice in a USD company"
    );
    assert!(
        p.lines
            .iter()
            .all(|l| l.amount.scale() == 0 || l.amount.fract().is_zero())
    );
    assert_eq!(sum(&p), d("10001"));
}

/// Issue 16 item 1: amounts whose sum (or difference with the total) does not fit a `Decimal`
/// quarantine the invoice, naming the field and the values (kind `overflow`), never panic.
#[test]
fn amounts_whose_sum_overflows_are_a_mapping_error_not_a_panic() {
    let huge = Decimal::MAX.to_string();
    let inv = invoice(
        vec![
            line(1, &huge, "200.6110", "200"),
            line(2, &huge, "200.6110", "200"),
        ],
        "1.00",
    );
    let e = plan_voucher(&inv, AddressNumber(4242), &settings(), &refdata()).unwrap_err();
    assert_eq!(e.kind, "overflow", "{e:?}");
    assert_eq!(e.field, "lineList");
    assert!(e.reason.contains(&huge), "{e:?}");

    // The total minus JDE-distributed tax.
    let mut inv = invoice(
        vec![line(1, "1.00", "200.6110", "200")],
        &format!("-{huge}"),
    );
    inv.tax = Decimal::MAX;
    let mut s = settings();
    s.mapping.tax = TaxMode::Jde;
    let e = plan_voucher(&inv, AddressNumber(4242), &s, &refdata()).unwrap_err();
    assert_eq!(e.kind, "overflow", "{e:?}");
    assert_eq!(e.field, "header.total");
}

#[test]
fn credit_memo_is_negative() {
    let mut inv = invoice(vec![line(1, "250.00", "200.6110", "200")], "270.00");
    inv.kind = InvoiceKind::CreditMemo;
    inv.tax = d("20.00");
    let p = plan_voucher(&inv, AddressNumber(4242), &settings(), &refdata()).unwrap();
    assert!(p.credit_memo);
    assert_eq!(p.gross, d("-270.00"));
    assert_eq!(sum(&p), d("-270.00"));
    assert!(p.lines.iter().all(|l| l.amount.is_sign_negative()));
}

#[test]
fn company_comes_from_first_business_unit_and_uses_its_charge_accounts() {
    let mut inv = invoice(vec![line(1, "100.00", "300.6110", "300")], "110.00");
    inv.currency = "EUR".into();
    inv.charges.freight = d("10.00");
    let p = plan_voucher(&inv, AddressNumber(4242), &settings(), &refdata()).unwrap();
    assert_eq!(p.company, "00300");
    assert_eq!(p.mode, CurrencyMode::Domestic);
    assert_eq!(p.lines[1].account.to_string(), "300.6210");
}

#[test]
fn bad_coding_names_the_field() {
    let s = settings();
    let r = refdata();
    /// What the error must name: the field exactly, or a part of the field or the reason.
    enum Want {
        Field(&'static str),
        FieldHas(&'static str),
        ReasonHas(&'static str),
    }
    type Lines = &'static [(u32, &'static str, &'static str, &'static str)];
    #[rustfmt::skip]
    let cases: [(Lines, &str, Want); 6] = [
        (&[(1, "1", "999.6110", "")], "1", Want::FieldHas("999.6110")),
        (&[(1, "1", "200.6100", "200")], "1", Want::ReasonHas("not postable")),
        (&[(1, "1", "200.6110", "300")], "1", Want::Field("line 1.CostCenter")),
        (&[(2, "1", "", "200")], "1", Want::Field("line 2.Account")),
        (&[(1, "1", "200-6110", "200")], "1", Want::Field("line 1.Account")),
        (&[(1, "100.00", "200.6110", "200")], "150.00", Want::Field("header.total")),
    ];
    for (lines, gross, want) in cases {
        let lines = lines
            .iter()
            .map(|(n, a, acct, cc)| line(*n, a, acct, cc))
            .collect();
        let e = plan_voucher(&invoice(lines, gross), AddressNumber(1), &s, &r).unwrap_err();
        match want {
            Want::Field(f) => assert_eq!(e.field, f, "{e}"),
            Want::FieldHas(f) => assert!(e.field.contains(f), "{e}"),
            Want::ReasonHas(t) => assert!(e.reason.contains(t), "{e}"),
        }
    }
    // Lines of two companies: an intercompany voucher by default, refused on request.
    let two = invoice(
        vec![
            line(1, "1", "200.6110", "200"),
            line(2, "1", "300.6110", "300"),
        ],
        "2",
    );
    let p = plan_voucher(&two, AddressNumber(1), &s, &r).unwrap();
    assert_eq!(p.company, "00200");
    let mut refuse = s.clone();
    refuse.payables.intercompany = Intercompany::Refuse;
    let e = plan_voucher(&two, AddressNumber(1), &refuse, &r).unwrap_err();
    assert!(e.reason.contains("company 00300"), "{e}");
}

#[test]
fn invoice_date_is_taken_in_the_jde_time_zone() {
    let mut inv = invoice(vec![line(1, "1.00", "200.6110", "200")], "1.00");
    inv.invoice_date = "2026-12-01T03:30:00Z".parse().unwrap(); // 21:30 on Nov 30 in Chicago
    let p = plan_voucher(&inv, AddressNumber(1), &settings(), &refdata()).unwrap();
    assert_eq!(p.invoice_date, date(2026, 11, 30));
}

#[test]
fn closed_period_moves_gl_date_or_quarantines() {
    let mut inv = invoice(vec![line(1, "1.00", "200.6110", "200")], "1.00");
    inv.invoice_date = "2026-09-15T12:00:00Z".parse().unwrap(); // period 9 < current 11
    let p = plan_voucher(&inv, AddressNumber(1), &settings(), &refdata()).unwrap();
    assert_eq!(p.invoice_date, date(2026, 9, 15));
    assert_eq!(p.gl_date, date(2026, 11, 1));
    assert_eq!(p.gl_date_moved_from, Some(date(2026, 9, 15)));
    let mut s = settings();
    s.closed_period = ClosedPeriodRule::Quarantine;
    let e = plan_voucher(&inv, AddressNumber(1), &s, &refdata()).unwrap_err();
    assert_eq!(e.kind, "closed-period");
}

#[test]
fn object_account_format_takes_bu_from_cost_center() {
    let mut s = settings();
    s.mapping.account_format = AccountFormat::Object;
    let p = plan_voucher(
        &invoice(vec![line(1, "5.00", "6110", "210")], "5.00"),
        AddressNumber(1),
        &s,
        &refdata(),
    )
    .unwrap();
    assert_eq!(p.lines[0].account.to_string(), "210.6110");
}

#[test]
fn edtn_fits_22_chars() {
    assert_eq!(edtn_for("123"), "JG123");
    assert!(edtn_for(&"9".repeat(40)).len() <= 22);
    assert_ne!(edtn_for(&"9".repeat(40)), edtn_for(&"8".repeat(40)));
}

#[test]
fn voucher_input_puts_amounts_in_the_columns_of_the_currency_mode() {
    let mut inv = invoice(vec![line(1, "1000.00", "200.6110", "200")], "1082.50");
    inv.tax = d("82.50");
    let mut s = settings();
    s.mapping.tax = TaxMode::Jde;
    let mut plan = plan_voucher(&inv, AddressNumber(4242), &s, &refdata()).unwrap();
    // (mode, AG, ACR, STAM, CTAM, line AA, line ACR, CRRM)
    type Row = (
        Decimal,
        Option<Decimal>,
        Option<Decimal>,
        Option<Decimal>,
        Option<Decimal>,
        Option<Decimal>,
        &'static str,
    );
    let cases: [(CurrencyMode, Row); 2] = [
        (
            CurrencyMode::Domestic,
            (
                d("1082.50"),
                None,
                Some(d("82.50")),
                None,
                Some(d("1000.00")),
                None,
                "D",
            ),
        ),
        (
            CurrencyMode::Foreign,
            (
                Decimal::ZERO,
                Some(d("1082.50")),
                None,
                Some(d("82.50")),
                None,
                Some(d("1000.00")),
                "F",
            ),
        ),
    ];
    for (mode, want) in cases {
        plan.mode = mode;
        let i = voucher_input(&plan, "MLCONN", "1001", "INV-1-CM");
        let got = (
            i.ag,
            i.acr,
            i.stam,
            i.ctam,
            i.lines[0].aa,
            i.lines[0].acr,
            i.crrm.as_str(),
        );
        assert_eq!(got, want, "{mode:?}");
        assert_eq!(
            (i.edus.as_str(), i.edbt.as_str(), i.vinv.as_str()),
            ("MLCONN", "1001", "INV-1-CM")
        );
        assert_eq!(i.mcu.as_deref(), Some("200"));
        assert_eq!(i.po.as_ref().map(|p| p.po.as_str()), Some("4711"));
    }
}

#[test]
fn gross_of_a_jde_voucher_follows_its_currency_mode() {
    for (crrm, want) in [("F", "2"), (" F ", "2"), ("D", "1"), ("", "1")] {
        assert_eq!(gross_of(crrm, d("1"), d("2")), d(want), "CRRM {crrm:?}");
    }
}

#[test]
fn f0911_lines_read_back_table() {
    for (lt, want) in [
        ("", true),
        ("AA", true),
        (" AA ", true),
        ("CA", false),
        ("BA", false),
    ] {
        assert_eq!(is_actual_amount(lt), want, "LT {lt:?}");
    }
    for (ani, mcu, obj, sub, want) in [
        ("200.6110", "", "", "", "200.6110"),
        ("", "       200", "6110", "", "200.6110"),
        ("", "200", "6110", "01", "200.6110.01"),
    ] {
        assert_eq!(gl_account(ani, mcu, obj, sub), want);
    }
    for (aa, acr, want) in [("10", "0", "10"), ("10", "12", "12"), ("0", "0", "0")] {
        assert_eq!(gl_amount(d(aa), d(acr)), d(want));
    }
}
