//! JAGGAER invoice → JDE voucher (interface section 7; field by field in `docs/mapping.md`).
//!
//! Pure: everything it needs (the invoice, the supplier's AN8, reference data, settings) is passed
//! in, and it returns either a complete voucher whose distribution lines sum to its gross in the
//! currency's decimals, or a [`MappingError`] naming the field at fault.
use std::str::FromStr;

use jiff::civil::Date;
use mlc_core::Decimal;
use mlc_core::ids::{AccountNumber, AddressNumber, OrderKey};
use mlc_core::model::{Invoice, InvoiceKind};
use mlc_core::money::{round, round_to_total};

use mlc_jde::{MatchLineInput, MatchVoucherInput, PoReference, VoucherInput, VoucherLineInput};

use super::MappingError;
use super::matching::{MatchLine, MatchPlan};
use crate::refdata::RefData;
use crate::settings::{
    AccountFormat, ClosedPeriodRule, DueDateMode, Intercompany, PayStatus, TaxMode, TenantSettings,
};

/// Currency mode of a voucher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrencyMode {
    /// Domestic: amounts in the company's currency (`AA`).
    Domestic,
    /// Foreign: amounts in the invoice currency (`ACR`), rate from JDE.
    Foreign,
}

/// One distribution line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherLine {
    /// `EDLN`, 1-based.
    pub line: u32,
    /// `ANI`.
    pub account: AccountNumber,
    /// `MCU`.
    pub business_unit: String,
    /// `AA` (domestic) or `ACR` (foreign), per the voucher's mode.
    pub amount: Decimal,
    /// `EXA`.
    pub explanation: String,
}

/// A voucher ready to be sent (batch number and user are added by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherPlan {
    /// `EDTN`: our stable voucher id.
    pub edtn: String,
    /// `AN8`.
    pub an8: AddressNumber,
    /// `VINV` before any `-CM` suffix.
    pub vinv: String,
    /// `DIVJ`: invoice date in the JDE server's time zone.
    pub invoice_date: Date,
    /// `DGJ`: G/L date (moved to the first open period when the rule says so).
    pub gl_date: Date,
    /// `KCO`.
    pub company: String,
    /// `CRCD`.
    pub currency: String,
    /// `CRRM`.
    pub mode: CurrencyMode,
    /// `AG` (domestic) or `ACR` (foreign) gross, negative for a credit memo.
    pub gross: Decimal,
    /// `STAM`/`CTAM` when `tax = "jde"`.
    pub tax_amount: Option<Decimal>,
    /// `TXA1`.
    pub tax_area: Option<String>,
    /// `EXR1`.
    pub tax_explanation: Option<String>,
    /// Referenced PO.
    pub po: Option<OrderKey>,
    /// `RMK`: the JAGGAER invoice id.
    pub remark: String,
    /// Distribution.
    pub lines: Vec<VoucherLine>,
    /// True for a credit memo.
    pub credit_memo: bool,
    /// Set when the G/L date was moved out of a closed period (for the audit trail).
    pub gl_date_moved_from: Option<Date>,
    /// `PST`: `Some("A")` only with `pay_status = "approved"`; blank lets JDE default it from
    /// the supplier (a supplier on payment hold stays on hold).
    pub pay_status: Option<String>,
    /// `DDJ`: JAGGAER's due date, only with `due_date = "jaggaer"`.
    pub due_date: Option<Date>,
    /// `PTC`: JAGGAER's terms code when it fits JDE's 3 characters, only with
    /// `due_date = "jaggaer"`.
    pub payment_terms: Option<String>,
    /// `ADSC`: discount available, only with `due_date = "jaggaer"`.
    pub discount_available: Option<Decimal>,
    /// Set for a PO-backed invoice (interface 8): the lines matched to PO lines, sent with
    /// `ATRL` through `match_orchestration`; `lines` is then the distribution of the rest.
    pub matching: Option<MatchPlan>,
}

/// The voucher transaction number for a JAGGAER invoice id: `JG` + id, at most 22 characters
/// (longer ids are shortened to a stable hash).
pub fn edtn_for(invoice_id: &str) -> String {
    let id: String = invoice_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if id.len() <= 20 {
        format!("JG{id}")
    } else {
        format!(
            "JH{}",
            mlc_core::fingerprint::fingerprint(invoice_id)
                .chars()
                .take(20)
                .collect::<String>()
        )
    }
}

/// Parses a coding pair into an account and a business unit, per the account format.
pub fn parse_coding(
    account: Option<&str>,
    cost_center: Option<&str>,
    format: AccountFormat,
    field_prefix: &str,
    account_field: &str,
    cc_field: &str,
) -> Result<(AccountNumber, String), MappingError> {
    let acct_raw = account
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            MappingError::new(
                format!("{field_prefix}.{account_field}"),
                "missing: the invoice has no GL account coding",
            )
        })?;
    let cc = cost_center.map(str::trim).filter(|s| !s.is_empty());
    match format {
        AccountFormat::Full => {
            let acct = AccountNumber::from_str(acct_raw).map_err(|e| {
                MappingError::new(format!("{field_prefix}.{account_field}"), e.to_string())
            })?;
            // With full accounts the business unit is the account's; a cost center that says
            // otherwise is a coding mistake AP must see, not something to guess about.
            if let Some(cc) = cc
                && cc != acct.bu
            {
                return Err(MappingError::new(
                    format!("{field_prefix}.{cc_field}"),
                    format!(
                        "{cc:?} does not match the business unit {:?} of account {acct}",
                        acct.bu
                    ),
                ));
            }
            let bu = acct.bu.clone();
            Ok((acct, bu))
        }
        AccountFormat::Object => {
            let bu = cc.ok_or_else(|| {
                MappingError::new(format!("{field_prefix}.{cc_field}"), "missing: with account_format = \"object\" the business unit comes from the cost center")
            })?;
            let mut parts = acct_raw.split('.');
            let obj = parts.next().unwrap_or_default();
            let sub = parts.next().unwrap_or_default();
            if obj.is_empty() || parts.next().is_some() {
                return Err(MappingError::new(
                    format!("{field_prefix}.{account_field}"),
                    format!("{acct_raw:?} is not OBJ or OBJ.SUB"),
                ));
            }
            Ok((AccountNumber::new(bu, obj, sub), bu.to_owned()))
        }
    }
}

/// Builds the voucher for an invoice. `an8` is the supplier resolved through the cross reference.
pub fn plan_voucher(
    inv: &Invoice,
    an8: AddressNumber,
    settings: &TenantSettings,
    refdata: &RefData,
) -> Result<VoucherPlan, MappingError> {
    let m = &settings.mapping;
    let sign = if inv.kind == InvoiceKind::CreditMemo {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    // JAGGAER sends a credit memo's amounts as positive numbers; a negative one is taken as is.
    let signed = |d: Decimal| {
        if inv.kind == InvoiceKind::CreditMemo {
            negative(d)
        } else {
            d
        }
    };

    // 1. Item distribution from lines and splits; lines naming a PO line are matched instead
    //    (credit memos never are).
    let mut raw_lines: Vec<(AccountNumber, String, Decimal, String)> = Vec::new();
    let mut matched: Vec<MatchLine> = Vec::new();
    let currency = inv.currency.trim().to_uppercase();
    let decimals = refdata.decimals(&currency);
    for line in &inv.lines {
        if inv.kind != InvoiceKind::CreditMemo
            && let Some((key, lnid)) = super::matching::po_line_ref(line)?
        {
            let r = line.po_line.clone().unwrap_or_default();
            matched.push(MatchLine {
                line: u32::try_from(matched.len())
                    .unwrap_or(u32::MAX)
                    .saturating_add(1),
                invoice_line: line.line_number,
                key,
                lnid,
                quantity: r.quantity,
                unit_of_measure: r
                    .unit_of_measure
                    .map(|u| u.trim().to_owned())
                    .unwrap_or_default(),
                unit_price: r.unit_price,
                amount: signed(line.amount),
                description: line.description.chars().take(30).collect(),
            });
            continue;
        }
        let prefix = format!("line {}", line.line_number);
        // An unsplit line is coded as a whole; a split line by each of its splits.
        let codings: Vec<(String, Option<&str>, Option<&str>, Decimal)> = if line.splits.is_empty()
        {
            vec![(
                prefix,
                line.account.as_deref(),
                line.cost_center.as_deref(),
                line.amount,
            )]
        } else {
            line.splits
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    (
                        format!("{prefix} split {}", i.saturating_add(1)),
                        s.account.as_deref(),
                        s.cost_center.as_deref(),
                        s.amount,
                    )
                })
                .collect()
        };
        for (field, account, cost_center, amount) in codings {
            let (acct, bu) = parse_coding(
                account,
                cost_center,
                m.account_format,
                &field,
                &m.gl_account_field,
                &m.cost_center_field,
            )?;
            raw_lines.push((acct, bu, signed(amount), line.description.clone()));
        }
    }
    if raw_lines.is_empty() && matched.is_empty() {
        return Err(MappingError::new(
            "lineList",
            "the invoice has no lines to distribute",
        ));
    }

    // 2. Company: a match voucher's is its first PO's order company (KCOO); otherwise that of
    //    the first line's business unit.
    let company = match (matched.first(), raw_lines.first()) {
        (Some(m), _) => m.key.kcoo.clone(),
        (None, Some(first)) => refdata
            .business_units
            .get(&first.1)
            .map(|b| b.company.clone())
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| settings.company.clone()),
        (None, None) => settings.company.clone(),
    };

    // 3. Charges and tax.
    let charges = m.charges_for(&company);
    let c = &inv.charges;
    for (amount, acct, what) in [
        (c.freight, &charges.freight, "Freight"),
        (c.handling, &charges.handling, "Handling"),
        (c.misc, &charges.misc, "Miscellaneous fees"),
        (c.discount, &charges.discount, "Discount"),
    ] {
        if !amount.is_zero() {
            let amt = if what == "Discount" {
                negative(amount)
            } else {
                amount
            };
            let amt = checked(what, amt.checked_mul(sign), &[amt, sign])?;
            raw_lines.push((acct.clone(), acct.bu.clone(), amt, what.to_owned()));
        }
    }
    let tax = checked("header.tax", inv.tax.checked_mul(sign), &[inv.tax, sign])?;
    let mut tax_amount = None;
    match m.tax {
        TaxMode::Line => {
            if !tax.is_zero() {
                raw_lines.push((
                    charges.tax.clone(),
                    charges.tax.bu.clone(),
                    tax,
                    "Tax".to_owned(),
                ));
            }
        }
        TaxMode::Jde => {
            if !tax.is_zero() {
                tax_amount = Some(tax);
            }
        }
    }

    // 4. Validate accounts and business units against JDE's master data.
    for (i, (acct, bu, _, _)) in raw_lines.iter().enumerate() {
        let n = i.saturating_add(1);
        let field = format!("distribution line {n} account {acct}");
        match refdata.accounts.get(&acct.to_string()) {
            None => return Err(MappingError::new(field, "unknown in JDE (F0901)")),
            Some(a) if !a.postable => {
                return Err(MappingError::new(
                    field,
                    "not postable in JDE (F0901 posting edit code)",
                ));
            }
            Some(_) => {}
        }
        match refdata.business_units.get(bu) {
            None => {
                return Err(MappingError::new(
                    format!("distribution line {n} business unit {bu}"),
                    "unknown in JDE (F0006)",
                ));
            }
            // Several companies on one invoice: JDE books them with intercompany settlements
            // when its General Accounting constant allows it; "refuse" keeps them out.
            Some(b)
                if b.company != company
                    && settings.payables.intercompany == Intercompany::Refuse =>
            {
                return Err(MappingError::new(
                    format!("distribution line {n} business unit {bu}"),
                    format!(
                        "belongs to company {}, the voucher's company is {company}",
                        b.company
                    ),
                ));
            }
            Some(_) => {}
        }
    }

    // 5. Currency and rounding: lines (matched and distributed) sum exactly to the gross (less
    //    JDE-distributed tax).
    let gross = round(signed(inv.gross), decimals);
    let jde_tax = tax_amount.map(|t| round(t, decimals)).unwrap_or_default();
    let target = checked(
        "header.total",
        gross.checked_sub(jde_tax),
        &[gross, jde_tax],
    )?;
    // Matched lines and distribution lines are rounded together, so the remainder of the
    // rounding lands on the largest of all of them and the voucher ties exactly.
    let amounts: Vec<Decimal> = matched
        .iter()
        .map(|m| m.amount)
        .chain(raw_lines.iter().map(|l| l.2))
        .collect();
    let mut unrounded_sum = Decimal::ZERO;
    for a in &amounts {
        unrounded_sum = checked(
            "lineList",
            unrounded_sum.checked_add(*a),
            &[unrounded_sum, *a],
        )?;
    }
    // Half a unit of the last decimal per line (and one more): what rounding each may move.
    let tolerance = Decimal::new(
        i64::try_from(amounts.len())
            .unwrap_or(i64::MAX)
            .saturating_add(1),
        decimals,
    )
    .checked_div(Decimal::TWO)
    .unwrap_or(Decimal::MAX);
    let off = checked(
        "header.total",
        unrounded_sum.checked_sub(target),
        &[unrounded_sum, target],
    )?;
    if off.abs() > tolerance {
        let lines_total = round(unrounded_sum, decimals)
            .checked_add(tax_amount.unwrap_or_default())
            .map_or_else(|| "more than can be counted".to_owned(), |t| t.to_string());
        return Err(MappingError::new(
            "header.total",
            format!(
                "does not tie: lines, charges and tax add up to {lines_total} {currency} but the invoice total is {gross} {currency}"
            ),
        ));
    }
    let mut rounded = round_to_total(&amounts, target, decimals).ok_or_else(|| {
        MappingError::new(
            "header.total",
            format!("{target} {currency} over {} lines overflows", amounts.len()),
        )
        .kind("overflow")
    })?;
    let rounded_gl = rounded.split_off(matched.len());
    for (m, a) in matched.iter_mut().zip(rounded) {
        m.amount = a;
    }
    let rounded = rounded_gl;
    let first_edln = u32::try_from(matched.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let lines = raw_lines
        .into_iter()
        .zip(rounded)
        .enumerate()
        .map(
            |(i, ((account, business_unit, _, explanation), amount))| VoucherLine {
                line: u32::try_from(i)
                    .unwrap_or(u32::MAX)
                    .saturating_add(first_edln),
                account,
                business_unit,
                amount,
                explanation: explanation.chars().take(30).collect(),
            },
        )
        .collect();

    let company_info = refdata.companies.get(&company);
    // Without the company's currency (F0010 CRCD) domestic and foreign cannot be told apart,
    // and booking a foreign invoice as domestic amounts is the worst outcome: ask instead.
    let mode =
        match company_info {
            Some(ci) if !ci.currency.trim().is_empty() => {
                if ci.currency.trim() != currency {
                    CurrencyMode::Foreign
                } else {
                    CurrencyMode::Domestic
                }
            }
            _ => return Err(MappingError::new(
                "company",
                format!(
                    "company {company} has no currency in JDE (F0010 CRCD): cannot tell whether \
                     {currency} is domestic or foreign"
                ),
            )
            .kind("company-currency")),
        };

    // 6. Dates in the JDE server's time zone; the closed-period rule.
    let invoice_date = inv
        .invoice_date
        .to_zoned(settings.jde_timezone.clone())
        .date();
    let mut gl_date = invoice_date;
    let mut moved = None;
    if let Some(open_from) = company_info.and_then(|c| c.open_from())
        && gl_date < open_from
    {
        match settings.closed_period {
            ClosedPeriodRule::NextOpen => {
                moved = Some(gl_date);
                gl_date = open_from;
            }
            ClosedPeriodRule::Quarantine => {
                return Err(MappingError::new(
                    "header.invoiceDate",
                    format!("G/L date {invoice_date} is in a closed period of company {company} (open from {open_from})"),
                )
                .kind("closed-period"));
            }
        }
    }

    let po = match matched.first() {
        Some(m) => Some(m.key.clone()),
        None => inv
            .po_number
            .as_deref()
            .and_then(|p| OrderKey::from_str(p).ok()),
    };
    let pay = &settings.payables;
    let terms = match pay.due_date {
        DueDateMode::Jde => None,
        DueDateMode::Jaggaer => inv.payment.as_ref(),
    };
    Ok(VoucherPlan {
        edtn: edtn_for(&inv.id.0),
        an8,
        vinv: inv.number.trim().to_owned(),
        invoice_date,
        gl_date,
        company,
        currency,
        mode,
        gross,
        tax_amount: tax_amount.map(|t| round(t, decimals)),
        tax_area: if tax_amount.is_some() {
            inv.tax_area
                .clone()
                .or_else(|| settings.mapping.tax_area.clone())
        } else {
            None
        },
        tax_explanation: if tax_amount.is_some() {
            Some(settings.mapping.tax_explanation.clone())
        } else {
            None
        },
        po,
        remark: inv.id.0.clone(),
        lines,
        credit_memo: inv.kind == InvoiceKind::CreditMemo,
        gl_date_moved_from: moved,
        pay_status: match pay.pay_status {
            PayStatus::Supplier => None,
            PayStatus::Approved => Some("A".to_owned()),
        },
        due_date: terms.and_then(|t| t.due_date),
        payment_terms: terms
            .and_then(|t| t.terms_code.as_deref())
            .map(str::trim)
            .filter(|c| !c.is_empty() && c.chars().count() <= 3)
            .map(str::to_owned),
        discount_available: terms
            .and_then(|t| t.discount)
            .filter(|d| !d.is_zero())
            .map(|d| round(signed(d.abs()), decimals)),
        matching: (!matched.is_empty()).then(|| MatchPlan {
            rule: settings.payables.matching.rule.trim().to_owned(),
            lines: matched,
        }),
    })
}

/// The voucher orchestration's input for a plan, with the batch user, batch number and final
/// `VINV`: a foreign voucher carries its amounts in `ACR`/`CTAM` (`AG` zero), a domestic one in
/// `AG`/`STAM`; `MCU` is the first distribution line's business unit.
pub fn voucher_input(plan: &VoucherPlan, edus: &str, edbt: &str, vinv: &str) -> VoucherInput {
    let p = plan;
    let foreign = p.mode == CurrencyMode::Foreign;
    VoucherInput {
        edus: edus.to_owned(),
        edbt: edbt.to_owned(),
        edtn: p.edtn.clone(),
        an8: p.an8.0 as i64,
        vinv: vinv.to_owned(),
        divj: p.invoice_date,
        dgj: p.gl_date,
        kco: p.company.clone(),
        co: Some(p.company.clone()),
        crcd: p.currency.clone(),
        crrm: if foreign { "F" } else { "D" }.to_owned(),
        ag: if foreign { Decimal::ZERO } else { p.gross },
        acr: foreign.then_some(p.gross),
        crr: None,
        stam: if foreign { None } else { p.tax_amount },
        ctam: if foreign { p.tax_amount } else { None },
        txa1: p.tax_area.clone(),
        exr1: p.tax_explanation.clone(),
        mcu: p.lines.first().map(|l| l.business_unit.clone()),
        rmk: Some(p.remark.clone()),
        pst: p.pay_status.clone(),
        ddj: p.due_date,
        ptc: p.payment_terms.clone(),
        adsc: p.discount_available,
        po: p.po.as_ref().map(|k| PoReference {
            po: k.doco.to_string(),
            pdct: k.dcto.clone(),
            pkco: k.kcoo.clone(),
        }),
        lines: p
            .lines
            .iter()
            .map(|l| VoucherLineInput {
                edln: l.line,
                ani: l.account.to_string(),
                aa: (!foreign).then_some(l.amount),
                acr: foreign.then_some(l.amount),
                exa: l.explanation.clone(),
                mcu: Some(l.business_unit.clone()),
            })
            .collect(),
    }
}

/// The match orchestration's input for a plan with a match part (interface 8): the voucher
/// input of [`voucher_input`] (header, and the `GLDistribution` of what is not matched) plus
/// `ATRL` and one `MatchLines` entry per matched line, amounts in the invoice currency. `None`
/// for a plan without a match part.
pub fn match_input(
    plan: &VoucherPlan,
    edus: &str,
    edbt: &str,
    vinv: &str,
) -> Option<MatchVoucherInput> {
    let m = plan.matching.as_ref()?;
    Some(MatchVoucherInput {
        voucher: voucher_input(plan, edus, edbt, vinv),
        atrl: m.rule.clone(),
        lines: m
            .lines
            .iter()
            .map(|l| MatchLineInput {
                edln: l.line,
                kcoo: l.key.kcoo.clone(),
                dcto: l.key.dcto.clone(),
                doco: l.key.doco,
                lnid: l.lnid,
                uorg: l.quantity,
                uom: l.unit_of_measure.clone(),
                prrc: l.unit_price,
                aexp: l.amount,
            })
            .collect(),
    })
}

/// The gross of a JDE voucher row (F0411, F0411Z1): `ACR` when its currency mode (`CRRM`) is
/// foreign, else `AG`.
pub fn gross_of(crrm: &str, ag: Decimal, acr: Decimal) -> Decimal {
    if crrm.trim() == "F" { acr } else { ag }
}

/// Whether an F0911 line is of the actual-amount ledger (`LT` blank or `AA`).
pub fn is_actual_amount(lt: &str) -> bool {
    matches!(lt.trim(), "" | "AA")
}

/// The account of an F0911 line: ANI when set, else `MCU.OBJ.SUB`.
pub fn gl_account(ani: &str, mcu: &str, obj: &str, sub: &str) -> String {
    match ani.trim() {
        "" => AccountNumber::new(mcu, obj, sub).to_string(),
        a => a.to_owned(),
    }
}

/// The amount of an F0911 line: `ACR` (foreign) when set, else `AA`.
pub fn gl_amount(aa: Decimal, acr: Decimal) -> Decimal {
    if acr.is_zero() { aa } else { acr }
}

/// `d` as a negative amount (a credit memo's, a discount): `-|d|`. Negating a `Decimal` only
/// flips its sign bit, so this never overflows.
fn negative(d: Decimal) -> Decimal {
    let mut v = d.abs();
    v.set_sign_negative(!v.is_zero());
    v
}

/// The result of checked arithmetic on remote amounts, or a mapping error (kind `overflow`)
/// naming the field and the values: the record is quarantined, the cycle goes on.
fn checked(
    field: &str,
    result: Option<Decimal>,
    values: &[Decimal],
) -> Result<Decimal, MappingError> {
    result.ok_or_else(|| {
        let values: Vec<String> = values.iter().map(ToString::to_string).collect();
        MappingError::new(
            field,
            format!("arithmetic on {} overflows", values.join(" and ")),
        )
        .kind("overflow")
    })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests;
