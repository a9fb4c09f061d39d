//! PO-backed invoices: Voucher Match Automation (interface 8, `docs/vouchers.md` "PO-backed
//! invoices").
//!
//! **Routing.** An invoice line that names a JDE PO line (`poNumber` = `KCOO-DCTO-DOCO` and
//! `poLineNumber` = `LNID`) is a *match line*: it goes to F0411Z1T (`MatchLines`) with the PO
//! keys, quantity, unit of measure, unit price and amount, never to an expense account. An
//! invoice with at least one match line becomes **one** match voucher: its other lines (non-PO
//! lines of a mixed invoice, charges, tax) are its `GLDistribution`, so the invoice stays one
//! voucher. A line with a `poNumber` but no `poLineNumber` names no line to match and is coded
//! like any non-PO line (as before). Credit memos are never matched (they go as §7 vouchers).
//!
//! **Readiness** ([`readiness`]) is a pre-check only, so that hopeless submissions wait or go to
//! quarantine with the figures instead of failing in JDE: JDE's processor decides, and its
//! result wins. Per match line, against F4301/F4311/F43121 read in bulk for a page:
//! - PO or PO line not in JDE → **wait** (it may not be synced yet);
//! - PO of another supplier or currency, line cancelled or closed → **quarantine**;
//! - rules `01`–`06` need a receipt: nothing received and open → **wait** ("waiting for receipt
//!   of 00200-OP-4711 line 1.5"); more invoiced than received-not-vouchered (plus tolerance)
//!   while the rest of the ordered quantity may still be received → **wait**; beyond what the PO
//!   line can ever receive, or an amount beyond the receipt's cost of the invoiced quantity
//!   plus tolerance → **quarantine** naming PO line, invoiced and open figures and tolerance;
//! - rules `07`–`09` match to the PO line: beyond ordered-not-vouchered plus tolerance →
//!   **quarantine**.
//!
//! Tolerance (`match_tolerance = { percent, amount }`): a quantity may exceed the open quantity
//! by `percent` % of it; an amount may exceed the expected amount by the larger of `percent` %
//! of it and `amount`.
use std::collections::HashMap;
use std::str::FromStr;

use mlc_core::Decimal;
use mlc_core::ids::{AddressNumber, OrderKey};
use mlc_core::model::{InvoiceLine, PoStatus};

use super::MappingError;
use crate::ports::{PoHeader, PoLineRow, Receipt, ReceiptKind};
use crate::settings::MatchTolerance;

/// One invoice line matched to a PO line (`MatchLines`, one F0411Z1T row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchLine {
    /// `EDLN`: match lines are numbered first (1, 2, ...), the distribution continues after.
    pub line: u32,
    /// The invoice's own line number (for messages).
    pub invoice_line: u32,
    /// `KCOO`, `DCTO`, `DOCO`.
    pub key: OrderKey,
    /// `LNID`, decimal form.
    pub lnid: Decimal,
    /// `UORG`: quantity invoiced (negative never: credit memos are not matched).
    pub quantity: Decimal,
    /// `UOM` as invoiced; blank: the PO line's (filled in by [`readiness`]).
    pub unit_of_measure: String,
    /// `PRRC`, invoice currency.
    pub unit_price: Decimal,
    /// `AEXP`, invoice currency, rounded to its decimals.
    pub amount: Decimal,
    /// Description.
    pub description: String,
}

impl MatchLine {
    /// `00200-OP-4711 line 1.5`.
    pub fn po_line(&self) -> String {
        format!("{} line {}", self.key, self.lnid.normalize())
    }
}

/// The match part of a voucher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPlan {
    /// `ATRL` sent: `match_rule`, blank when JDE takes the supplier's rule.
    pub rule: String,
    /// The matched lines.
    pub lines: Vec<MatchLine>,
}

/// The PO line an invoice line bills, when it names one: `(PO, LNID)`. A line with a PO
/// number and no line number names none (`Ok(None)`); a reference that cannot be a JDE PO
/// line is a mapping error naming the field.
pub fn po_line_ref(line: &InvoiceLine) -> Result<Option<(OrderKey, Decimal)>, MappingError> {
    let Some(r) = &line.po_line else {
        return Ok(None);
    };
    let n = line.line_number;
    let (Some(po), Some(lnid)) = (
        r.po_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
        r.line.as_deref().map(str::trim).filter(|s| !s.is_empty()),
    ) else {
        return Ok(None);
    };
    let key = OrderKey::from_str(po).map_err(|e| {
        MappingError::new(
            format!("line {n}.poNumber"),
            format!("{po:?} is not a JDE order KCOO-DCTO-DOCO: {e}"),
        )
    })?;
    let lnid = Decimal::from_str(lnid)
        .ok()
        .filter(|d| mlc_core::po_line::lnid_to_line_number(*d).is_some())
        .ok_or_else(|| {
            MappingError::new(
                format!("line {n}.poLineNumber"),
                format!("{lnid:?} is not a JDE PO line number (LNID, e.g. 1 or 1.5)"),
            )
        })?;
    Ok(Some((key, lnid.normalize())))
}

/// Whether a Voucher Match Automation rule matches to receipts (`01`–`06`) rather than to PO
/// lines (`07`–`09`).
pub fn needs_receipt(rule: &str) -> bool {
    !matches!(rule.trim(), "07" | "08" | "09")
}

/// What JDE holds about one PO line, for the readiness of the invoices of one page. Invoices
/// judged ready consume it ([`Available::claim`]), so two invoices of one page cannot both
/// count on the same receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFacts {
    /// Supplier of the PO (F4301 `AN8`).
    pub supplier: AddressNumber,
    /// Currency of the PO (F4301 `CRCD`, blank = unknown).
    pub currency: String,
    /// Line status.
    pub status: Option<PoStatus>,
    /// Ordered quantity (`UORG`).
    pub ordered_quantity: Decimal,
    /// Ordered amount in the PO's currency (`AEXP`, or `FEA` on a foreign PO).
    pub ordered_amount: Decimal,
    /// Unit of measure of the PO line.
    pub unit_of_measure: String,
    /// Σ received quantity (F43121 receipts).
    pub received_quantity: Decimal,
    /// Received and not yet vouchered (Σ `UOPN`).
    pub open_quantity: Decimal,
    /// Received and not yet vouchered (Σ `AOPN`).
    pub open_amount: Decimal,
    /// Vouchered so far (Σ match rows).
    pub vouchered_quantity: Decimal,
    /// Vouchered so far (Σ match rows).
    pub vouchered_amount: Decimal,
    /// The receipts with something open: `(DOC, NLIN)`.
    pub open_receipts: Vec<(u64, Decimal)>,
}

/// The facts of every PO line an invoice page refers to, keyed by `(PO, LNID)`.
#[derive(Debug, Clone, Default)]
pub struct Available {
    lines: HashMap<(OrderKey, Decimal), LineFacts>,
}

impl Available {
    /// Builds the facts from F4301, F4311 and F43121 rows.
    pub fn new(headers: &[PoHeader], lines: &[PoLineRow], receipts: &[Receipt]) -> Self {
        let heads: HashMap<&OrderKey, &PoHeader> = headers.iter().map(|h| (&h.key, h)).collect();
        let foreign: std::collections::HashSet<&OrderKey> = headers
            .iter()
            .filter(|h| h.currency_mode == "F")
            .map(|h| &h.key)
            .collect();
        let mut out: HashMap<(OrderKey, Decimal), LineFacts> = HashMap::new();
        for l in lines {
            let Some(h) = heads.get(&l.key) else {
                continue;
            };
            let foreign = h.currency_mode == "F";
            out.insert(
                (l.key.clone(), l.line.line_number.normalize()),
                LineFacts {
                    supplier: h.supplier,
                    currency: h.currency.trim().to_uppercase(),
                    status: Some(l.line.status),
                    ordered_quantity: l.line.quantity,
                    ordered_amount: if foreign {
                        l.line.foreign_extended_price
                    } else {
                        l.line.extended_price
                    },
                    unit_of_measure: l.line.unit_of_measure.clone(),
                    received_quantity: Decimal::ZERO,
                    open_quantity: Decimal::ZERO,
                    open_amount: Decimal::ZERO,
                    vouchered_quantity: Decimal::ZERO,
                    vouchered_amount: Decimal::ZERO,
                    open_receipts: Vec::new(),
                },
            );
        }
        for r in receipts {
            let Some(f) = out.get_mut(&(r.key.clone(), r.lnid.normalize())) else {
                continue;
            };
            match r.kind {
                ReceiptKind::Receipt => {
                    f.received_quantity = f.received_quantity.saturating_add(r.quantity);
                    f.open_quantity = f.open_quantity.saturating_add(r.open_quantity);
                    // Amounts in the order's currency: the invoice's, when it is the same.
                    let open = if foreign.contains(&r.key) {
                        r.open_foreign_amount
                    } else {
                        r.open_amount
                    };
                    f.open_amount = f.open_amount.saturating_add(open);
                    if r.open_quantity > Decimal::ZERO || open > Decimal::ZERO {
                        f.open_receipts.push((r.doc, r.line.normalize()));
                    }
                }
                ReceiptKind::Match => {
                    f.vouchered_quantity = f.vouchered_quantity.saturating_add(r.quantity);
                    f.vouchered_amount = f.vouchered_amount.saturating_add(r.amount);
                }
            }
        }
        Self { lines: out }
    }

    /// The facts of one PO line.
    pub fn get(&self, key: &OrderKey, lnid: Decimal) -> Option<&LineFacts> {
        self.lines.get(&(key.clone(), lnid.normalize()))
    }

    /// An invoice judged ready takes what it invoices from the open figures.
    pub fn claim(&mut self, plan: &MatchPlan, needs_receipt: bool) {
        for l in &plan.lines {
            if let Some(f) = self.lines.get_mut(&(l.key.clone(), l.lnid.normalize())) {
                if needs_receipt {
                    f.open_quantity = f.open_quantity.saturating_sub(l.quantity);
                    f.open_amount = f.open_amount.saturating_sub(l.amount);
                } else {
                    f.vouchered_quantity = f.vouchered_quantity.saturating_add(l.quantity);
                    f.vouchered_amount = f.vouchered_amount.saturating_add(l.amount);
                }
            }
        }
    }
}

/// Lines invoiced without a unit of measure take their PO line's (`UOM` is required in
/// F0411Z1T).
pub fn fill_units(plan: &mut MatchPlan, facts: &Available) {
    for l in &mut plan.lines {
        if l.unit_of_measure.trim().is_empty()
            && let Some(f) = facts.get(&l.key, l.lnid)
        {
            l.unit_of_measure = f.unit_of_measure.clone();
        }
    }
}

/// The verdict of the pre-check on a match voucher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Send it. Carries the rule that decides (`ATRL` or the supplier's) and, per match line,
    /// the receipts it is expected to clear (for the audit trail).
    Ready {
        /// The deciding rule.
        rule: String,
        /// `(PO line, [(receipt DOC, NLIN)])`.
        receipts: Vec<(String, Vec<(u64, Decimal)>)>,
    },
    /// The whole invoice waits; the reason names the PO line.
    Wait(String),
    /// Quarantine with the figures.
    Refuse(MappingError),
}

/// Sums the invoice's lines per PO line (an invoice may bill one PO line on several lines).
fn per_po_line(plan: &MatchPlan) -> Vec<(&MatchLine, Decimal, Decimal)> {
    let mut out: Vec<(&MatchLine, Decimal, Decimal)> = Vec::new();
    for l in &plan.lines {
        match out
            .iter_mut()
            .find(|(m, _, _)| m.key == l.key && m.lnid == l.lnid)
        {
            Some((_, q, a)) => {
                *q = q.saturating_add(l.quantity);
                *a = a.saturating_add(l.amount);
            }
            None => out.push((l, l.quantity, l.amount)),
        }
    }
    out
}

fn pct(of: Decimal, percent: Decimal) -> Decimal {
    of.checked_mul(percent)
        .and_then(|p| p.checked_div(Decimal::ONE_HUNDRED))
        .unwrap_or(Decimal::MAX)
        .abs()
}

/// Decides whether a match voucher can be sent now (see the module documentation). `rule` is
/// the plan's `ATRL`, else the supplier's F0401 rule (`supplier_rule`); with neither JDE would
/// match nothing, so the invoice goes to quarantine.
pub fn readiness(
    plan: &MatchPlan,
    an8: AddressNumber,
    currency: &str,
    supplier_rule: Option<&str>,
    facts: &Available,
    tolerance: MatchTolerance,
) -> Readiness {
    let rule = match plan.rule.trim() {
        "" => supplier_rule.map(str::trim).unwrap_or_default(),
        r => r,
    }
    .to_owned();
    if rule.is_empty() {
        return Readiness::Refuse(
            MappingError::new(
                "match_rule",
                format!(
                    "no Voucher Match Automation rule: match_rule is blank and supplier {an8} has \
                     none in JDE (F0401 ATRL); JDE would match nothing. Set the supplier's rule \
                     or [tenants.mapping] match_rule"
                ),
            )
            .kind("match-rule"),
        );
    }
    let receipt = needs_receipt(&rule);
    let mut cleared = Vec::new();
    for (l, qty, amount) in per_po_line(plan) {
        let what = l.po_line();
        let field = format!("line {}.poLineNumber", l.invoice_line);
        let Some(f) = facts.get(&l.key, l.lnid) else {
            return Readiness::Wait(format!(
                "waiting for {what} to exist in JDE (F4301/F4311): not synced or not entered yet"
            ));
        };
        if f.supplier != an8 {
            return Readiness::Refuse(
                MappingError::new(
                    field,
                    format!(
                        "{what} belongs to supplier {}, the invoice is from supplier {an8}",
                        f.supplier
                    ),
                )
                .kind("po-mismatch"),
            );
        }
        if !f.currency.is_empty() && f.currency != currency {
            return Readiness::Refuse(
                MappingError::new(
                    field,
                    format!("{what} is in {}, the invoice is in {currency}", f.currency),
                )
                .kind("po-mismatch"),
            );
        }
        match f.status {
            Some(PoStatus::Cancelled) | Some(PoStatus::Closed) => {
                let st = if f.status == Some(PoStatus::Cancelled) {
                    "cancelled"
                } else {
                    "closed"
                };
                return Readiness::Refuse(
                    MappingError::new(field, format!("{what} is {st} in JDE (F4311)"))
                        .kind("po-closed"),
                );
            }
            _ => {}
        }
        let over = |open_q: Decimal, open_a: Decimal, against: &str| {
            MappingError::new(
                field.clone(),
                format!(
                    "over-invoiced: {what} invoiced {} for {amount} {currency}, {against} {} for \
                     {open_a} {currency}, tolerance {}% / {} {currency}",
                    qty.normalize(),
                    open_q.normalize(),
                    tolerance.percent.normalize(),
                    tolerance.amount
                ),
            )
            .kind("over-invoiced")
        };
        if receipt {
            let to_receive = f
                .ordered_quantity
                .saturating_sub(f.received_quantity)
                .max(Decimal::ZERO);
            let open_q = f.open_quantity.max(Decimal::ZERO);
            let q_allow = open_q.saturating_add(pct(open_q, tolerance.percent));
            if qty > q_allow {
                if qty <= open_q.saturating_add(to_receive) {
                    return Readiness::Wait(if open_q.is_zero() {
                        format!("waiting for receipt of {what}")
                    } else {
                        format!(
                            "waiting for receipt of {what}: invoiced {}, received and not \
                             vouchered {}",
                            qty.normalize(),
                            open_q.normalize()
                        )
                    });
                }
                return Readiness::Refuse(over(
                    open_q,
                    f.open_amount,
                    "received and not vouchered",
                ));
            }
            // The receipt's cost of the invoiced quantity (at most all that is open).
            let expected = if qty >= open_q {
                f.open_amount
            } else {
                f.open_amount
                    .checked_mul(qty)
                    .and_then(|x| x.checked_div(open_q))
                    .unwrap_or(f.open_amount)
            };
            let a_allow = pct(expected, tolerance.percent).max(tolerance.amount);
            if amount > expected.saturating_add(a_allow) {
                return Readiness::Refuse(over(
                    open_q,
                    f.open_amount,
                    "received and not vouchered",
                ));
            }
            cleared.push((what, f.open_receipts.clone()));
        } else {
            let open_q = f.ordered_quantity.saturating_sub(f.vouchered_quantity);
            let open_a = f.ordered_amount.saturating_sub(f.vouchered_amount);
            let q_allow = open_q.saturating_add(pct(open_q, tolerance.percent));
            let a_allow =
                open_a.saturating_add(pct(open_a, tolerance.percent).max(tolerance.amount));
            if qty > q_allow || amount > a_allow {
                return Readiness::Refuse(over(open_q, open_a, "ordered and not vouchered"));
            }
            cleared.push((what, Vec::new()));
        }
    }
    Readiness::Ready {
        rule,
        receipts: cleared,
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests;
