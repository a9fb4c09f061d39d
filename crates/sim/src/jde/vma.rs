//! Voucher Match Automation: receipts in F43121 and the R4304010 driver.
//!
//! Receiving a PO line inserts a receipt (`MATC = 1`) with the received quantity and amount,
//! open (received, not yet vouchered) until a match voucher clears it. R4304010 processes the
//! F0411Z1 rows flagged for automation (`ATFLG = 1`) with their F0411Z1T invoice lines: it
//! applies the R04110ZA edits to the header and the unmatched distribution, matches each
//! invoice line by the automation rule (the row's `ATRL`, else the supplier's in F0401), and
//! either books the whole voucher (F0411/F0911 as R04110ZA does, receipts vouchered, a
//! `MATC = 2` row per receipt cleared) or leaves it at `EDSP = 0` with the reason in the Work
//! Center of `EDUS`, changing nothing else.

use std::collections::HashMap;

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::config::{DataSelection, MatchTolerance};
use super::datagen::{Stamp, currency_decimals, date_of, round_to};
use super::table::{Cell, Db};
use super::voucher::{self, ProcessReport, Setup, ZLine, get, set};

/// One F43121 row: a receipt (`MATC = 1`) or the voucher match that cleared (part of) one
/// (`MATC = 2`).
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// Match type: `1` receipt, `2` voucher.
    pub matc: String,
    /// Supplier.
    pub an8: i64,
    /// Order company.
    pub kcoo: String,
    /// Order number.
    pub doco: i64,
    /// Order type.
    pub dcto: String,
    /// PO line (as AIS returns it: 1, 1.5).
    pub lnid: Decimal,
    /// Receipt sequence of the line (1, 2, …).
    pub nlin: i64,
    /// Company of the document.
    pub kco: String,
    /// Receipt document (`DCT = OV`) on a receipt; the voucher (`PV`) on a match row.
    pub doc: i64,
    /// Document type.
    pub dct: String,
    /// Date received.
    pub rcdj: Option<Date>,
    /// G/L date (the voucher's on a match row).
    pub dgl: Option<Date>,
    /// Unit of measure.
    pub uom: String,
    /// Quantity received (receipt) or vouchered (match row).
    pub urec: Decimal,
    /// Quantity received and not yet vouchered.
    pub uopn: Decimal,
    /// Quantity vouchered to date.
    pub uptd: Decimal,
    /// Unit cost (domestic).
    pub prrc: Decimal,
    /// Amount received (receipt) or vouchered (match row), domestic.
    pub arec: Decimal,
    /// Amount received and not yet vouchered, domestic.
    pub aopn: Decimal,
    /// Amount vouchered to date, domestic.
    pub aptd: Decimal,
    /// Currency of the order.
    pub crcd: String,
    /// Foreign unit cost (foreign orders).
    pub frrc: Decimal,
    /// Foreign amount received (or vouchered).
    pub frec: Decimal,
    /// Foreign amount open.
    pub fap: Decimal,
    /// Supplier invoice number (match rows).
    pub vinv: String,
}

pub(crate) fn receipt_of(db: &Db, ri: usize) -> Receipt {
    let t = db.t("F43121");
    let r = &t.rows[ri];
    let s = |a: &str| get(t, r, a).as_str().to_owned();
    let d = |a: &str| get(t, r, a).as_dec();
    let i = |a: &str| get(t, r, a).as_int();
    Receipt {
        matc: s("MATC"),
        an8: i("AN8"),
        kcoo: s("KCOO"),
        doco: i("DOCO"),
        dcto: s("DCTO"),
        lnid: d("LNID").normalize(),
        nlin: i("NLIN"),
        kco: s("KCO"),
        doc: i("DOC"),
        dct: s("DCT"),
        rcdj: date_of(i("RCDJ")),
        dgl: date_of(i("DGL")),
        uom: s("UOM"),
        urec: d("UREC"),
        uopn: d("UOPN"),
        uptd: d("UPTD"),
        prrc: d("PRRC"),
        arec: d("AREC"),
        aopn: d("AOPN"),
        aptd: d("APTD"),
        crcd: s("CRCD"),
        frrc: d("FRRC"),
        frec: d("FREC"),
        fap: d("FAP"),
        vinv: s("VINV"),
    }
}

/// Every F43121 row of a purchase order, receipts and match rows, in the order written.
pub(crate) fn receipts_of(db: &Db, kcoo: &str, doco: i64, dcto: &str) -> Vec<Receipt> {
    let t = db.t("F43121");
    (0..t.rows.len())
        .filter(|&i| {
            let r = &t.rows[i];
            get(t, r, "KCOO").as_str() == kcoo
                && get(t, r, "DOCO").as_int() == doco
                && get(t, r, "DCTO").as_str() == dcto
        })
        .map(|i| receipt_of(db, i))
        .collect()
}

/// (domestic decimals, transaction decimals) of a PO line.
fn line_decimals(db: &Db, kcoo: &str, crcd: &str) -> (u32, u32) {
    let dom = voucher::company_currency(db, kcoo).unwrap_or_else(|| crcd.to_owned());
    (currency_decimals(&dom), currency_decimals(crcd))
}

/// Receives `qty` of F4311 line `li` (capped to what is still to receive) as receipt number
/// `nlin` of the line: a `MATC = 1` row with the received quantity and amount, all open, and
/// the PO line's received/open quantity and amount updated. The remainder of a line takes the
/// remainder of its amount, so receipts add up to the line. Returns the F43121 row index, or
/// `None` when nothing is left to receive.
pub(crate) fn insert_receipt(
    db: &mut Db,
    li: usize,
    qty: Decimal,
    nlin: i64,
    rcdj: i64,
    stamp: Stamp,
) -> Option<usize> {
    let l = db.t("F4311");
    let r = l.rows[li].clone();
    let g = |a: &str| r[l.def.c(a)].clone();
    let (kcoo, crcd) = (g("KCOO").as_str().to_owned(), g("CRCD").as_str().to_owned());
    let (uorg, urec, arec, aexp) = (
        g("UORG").as_dec(),
        g("UREC").as_dec(),
        g("AREC").as_dec(),
        g("AEXP").as_dec(),
    );
    let (prrc, frrc) = (g("PRRC").as_dec(), g("FRRC").as_dec());
    let remaining = uorg - urec;
    let qty = qty.min(remaining);
    if qty <= Decimal::ZERO {
        return None;
    }
    let (dom_dec, for_dec) = line_decimals(db, &kcoo, &crcd);
    let amount = if qty == remaining {
        (aexp - arec).max(Decimal::ZERO)
    } else {
        round_to(qty * prrc, dom_dec)
    };
    let foreign_amount = if frrc.is_zero() {
        Decimal::ZERO
    } else {
        round_to(qty * frrc, for_dec)
    };
    db.next_receipt += 1;
    let doc = db.next_receipt;
    db.tm("F43121").insert(vec![
        ("MATC", Cell::s("1")),
        ("AN8", g("AN8")),
        ("KCOO", Cell::s(&kcoo)),
        ("DOCO", g("DOCO")),
        ("DCTO", g("DCTO")),
        ("SFXO", g("SFXO")),
        ("LNID", g("LNID")),
        ("NLIN", Cell::d(Decimal::from(nlin))),
        ("KCO", Cell::s(&kcoo)),
        ("DOC", Cell::Int(doc)),
        ("DCT", Cell::s("OV")),
        ("RCDJ", Cell::Int(rcdj)),
        ("DGL", Cell::Int(rcdj)),
        ("UOM", g("UOM")),
        ("UORG", Cell::d(uorg)),
        ("UREC", Cell::d(qty)),
        ("UOPN", Cell::d(qty)),
        ("PRRC", Cell::d(prrc)),
        ("AREC", Cell::d(amount)),
        ("AOPN", Cell::d(amount)),
        ("CRCD", Cell::s(&crcd)),
        ("FRRC", Cell::d(frrc)),
        ("FREC", Cell::d(foreign_amount)),
        ("FAP", Cell::d(foreign_amount)),
        ("UPMJ", Cell::Int(stamp.date)),
        ("TDAY", Cell::Int(stamp.time)),
    ]);
    let l = db.tm("F4311");
    let (new_urec, new_arec) = (urec + qty, arec + amount);
    set(l, li, "UREC", Cell::d(new_urec));
    set(l, li, "AREC", Cell::d(new_arec));
    set(l, li, "UOPN", Cell::d((uorg - new_urec).max(Decimal::ZERO)));
    set(l, li, "AOPN", Cell::d((aexp - new_arec).max(Decimal::ZERO)));
    Some(db.t("F43121").rows.len() - 1)
}

/// Receives `qty` of F4311 line `li` as its next receipt (see [`insert_receipt`]).
pub(crate) fn receive(
    db: &mut Db,
    li: usize,
    qty: Decimal,
    rcdj: i64,
    stamp: Stamp,
) -> Option<usize> {
    let nlin = {
        let l = db.t("F4311");
        let r = &l.rows[li];
        let (kcoo, doco, dcto, lnid) = (
            get(l, r, "KCOO").as_str(),
            get(l, r, "DOCO").as_int(),
            get(l, r, "DCTO").as_str(),
            get(l, r, "LNID").as_dec(),
        );
        let t = db.t("F43121");
        t.rows
            .iter()
            .filter(|r| {
                get(t, r, "MATC").as_str() == "1"
                    && get(t, r, "KCOO").as_str() == kcoo
                    && get(t, r, "DOCO").as_int() == doco
                    && get(t, r, "DCTO").as_str() == dcto
                    && get(t, r, "LNID").as_dec() == lnid
            })
            .map(|r| get(t, r, "NLIN").as_int())
            .max()
            .unwrap_or(0)
            + 1
    };
    insert_receipt(db, li, qty, nlin, rcdj, stamp)
}

/// F4311 row of a PO line.
pub(crate) fn find_line(
    db: &Db,
    kcoo: &str,
    dcto: &str,
    doco: i64,
    lnid: Decimal,
) -> Option<usize> {
    let l = db.t("F4311");
    l.rows.iter().position(|r| {
        get(l, r, "KCOO").as_str() == kcoo
            && get(l, r, "DCTO").as_str() == dcto
            && get(l, r, "DOCO").as_int() == doco
            && get(l, r, "LNID").as_dec() == lnid
    })
}

/// A PO line's key: order company, number, type and line (normalized).
type LineKey = (String, i64, String, Decimal);

/// Lookups one R4304010 run builds once: F4311 row of each PO line, F43121 receipt rows
/// (`MATC = 1`) of each PO line.
struct Index {
    lines: HashMap<LineKey, usize>,
    receipts: HashMap<LineKey, Vec<usize>>,
}

impl Index {
    fn build(db: &Db) -> Index {
        let l = db.t("F4311");
        let key = |t: &super::table::Table, r: &[Cell]| -> LineKey {
            (
                get(t, r, "KCOO").as_str().to_owned(),
                get(t, r, "DOCO").as_int(),
                get(t, r, "DCTO").as_str().to_owned(),
                get(t, r, "LNID").as_dec().normalize(),
            )
        };
        let lines = l
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (key(l, r), i))
            .collect();
        let t = db.t("F43121");
        let mut receipts: HashMap<LineKey, Vec<usize>> = HashMap::new();
        for (i, r) in t.rows.iter().enumerate() {
            if get(t, r, "MATC").as_str() == "1" {
                receipts.entry(key(t, r)).or_default().push(i);
            }
        }
        Index { lines, receipts }
    }
}

fn line_key(il: &InvoiceLine) -> LineKey {
    (
        il.kcoo.clone(),
        il.doco,
        il.dcto.clone(),
        il.lnid.normalize(),
    )
}

/// R4304010's settings that come from JDE's setup (tolerance rules, processing options).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatchSetup {
    pub(crate) setup: Setup,
    pub(crate) tolerance: MatchTolerance,
    pub(crate) rounding: Decimal,
}

/// The automation rules the simulator implements (06, invoice fees, is not one of them).
const RULES: [&str; 8] = ["01", "02", "03", "04", "05", "07", "08", "09"];

/// What one invoice line takes.
enum Take {
    /// Part of an open receipt: (F43121 row, quantity, domestic amount at receipt cost).
    Receipt(usize, Decimal, Decimal),
    /// A PO line without receipt (rules 07–09): received and vouchered in one step.
    PoLine(usize, Decimal),
}

struct LineMatch {
    qty: Decimal,
    price: Decimal,
    amount: Decimal,
    takes: Vec<Take>,
}

/// A match voucher that passed every edit, ready to book.
struct MatchPlan {
    lines: Vec<ZLine>,
    plan: voucher::Plan,
    extra: Vec<(ZLine, (String, String))>,
    matches: Vec<LineMatch>,
    foreign: bool,
    dec: u32,
}

struct InvoiceLine {
    edln: Decimal,
    kcoo: String,
    dcto: String,
    doco: i64,
    lnid: Decimal,
    qty: Decimal,
    price: Decimal,
    amount: Decimal,
}

fn invoice_lines(db: &Db, edus: &str, edbt: &str, edtn: &str) -> Vec<InvoiceLine> {
    let t = db.t("F0411Z1T");
    let mut v: Vec<InvoiceLine> = t
        .rows
        .iter()
        .filter(|r| {
            get(t, r, "EDUS").as_str() == edus
                && get(t, r, "EDBT").as_str() == edbt
                && get(t, r, "EDTN").as_str() == edtn
        })
        .map(|r| InvoiceLine {
            edln: get(t, r, "EDLN").as_dec(),
            kcoo: get(t, r, "KCOO").as_str().to_owned(),
            dcto: get(t, r, "DCTO").as_str().to_owned(),
            doco: get(t, r, "DOCO").as_int(),
            lnid: get(t, r, "LNID").as_dec(),
            qty: get(t, r, "UORG").as_dec(),
            price: get(t, r, "PRRC").as_dec(),
            amount: get(t, r, "AEXP").as_dec(),
        })
        .collect();
    v.sort_by_key(|l| l.edln);
    v
}

fn supplier_rule(db: &Db, an8: i64) -> String {
    let t = db.t("F0401");
    t.rows
        .iter()
        .find(|r| get(t, r, "AN8").as_int() == an8)
        .map(|r| get(t, r, "ATRL").as_str().to_owned())
        .unwrap_or_default()
}

/// Open receipts of a PO line, oldest first: (row, open quantity, open amount, unit cost in
/// the invoice's currency), less what earlier lines of the same voucher already took.
fn open_receipts(
    db: &Db,
    index: &Index,
    il: &InvoiceLine,
    foreign: bool,
    taken: &HashMap<usize, (Decimal, Decimal)>,
) -> Vec<(usize, Decimal, Decimal, Decimal)> {
    let t = db.t("F43121");
    let mut v: Vec<(i64, i64, usize, Decimal, Decimal, Decimal)> = index
        .receipts
        .get(&line_key(il))
        .into_iter()
        .flatten()
        .filter_map(|&i| {
            let r = &t.rows[i];
            let (tq, ta) = taken.get(&i).copied().unwrap_or_default();
            let open = get(t, r, "UOPN").as_dec() - tq;
            let price = if foreign {
                get(t, r, "FRRC").as_dec()
            } else {
                get(t, r, "PRRC").as_dec()
            };
            (open > Decimal::ZERO).then(|| {
                (
                    get(t, r, "RCDJ").as_int(),
                    get(t, r, "NLIN").as_int(),
                    i,
                    open,
                    get(t, r, "AOPN").as_dec() - ta,
                    price,
                )
            })
        })
        .collect();
    v.sort_by_key(|x| (x.0, x.1));
    v.into_iter().map(|x| (x.2, x.3, x.4, x.5)).collect()
}

/// Domestic amount a receipt loses when `qty` of its `open` quantity is vouchered: the rest
/// of its open amount when the whole open quantity goes, else at its unit cost.
fn receipt_share(db: &Db, ri: usize, qty: Decimal, open: Decimal, aopn: Decimal) -> Decimal {
    if qty == open {
        return aopn;
    }
    let t = db.t("F43121");
    let r = &t.rows[ri];
    let (kcoo, crcd) = (get(t, r, "KCOO").as_str(), get(t, r, "CRCD").as_str());
    let (dom_dec, _) = line_decimals(db, kcoo, crcd);
    round_to(qty * get(t, r, "PRRC").as_dec(), dom_dec)
}

/// The R4304010 edits of one match voucher: the rule, the R04110ZA edits of the header and the
/// distribution, then each invoice line against its PO line and receipts.
fn plan_match(
    db: &Db,
    index: &Index,
    row: &[Cell],
    keys: (&str, &str, &str),
    ms: &MatchSetup,
) -> Result<MatchPlan, String> {
    let (edus, edbt, edtn) = keys;
    let z = db.t("F0411Z1");
    let s = |a: &str| get(z, row, a).as_str();
    let an8 = get(z, row, "AN8").as_int();
    let rule = match s("ATRL") {
        "" => supplier_rule(db, an8),
        r => r.to_owned(),
    };
    if !RULES.contains(&rule.as_str()) {
        return Err(format!(
            "4301 No valid automation rule for transaction {edtn}: '{rule}' (F0411Z1 ATRL, else supplier {an8} in F0401)"
        ));
    }
    let invoice = invoice_lines(db, edus, edbt, edtn);
    if invoice.is_empty() {
        return Err(format!(
            "4300 Transaction {edtn} has no invoice lines (F0411Z1T)"
        ));
    }
    let matched: Decimal = invoice.iter().map(|l| l.amount).sum();
    let lines = voucher::z_lines(db, edus, edbt, edtn);
    let plan = voucher::check(db, z, row, &lines, ms.setup, Some(matched))?;
    let crcd = s("CRCD");
    let foreign = s("CRRM") == "F";
    let dec = voucher::decimals_of(db, crcd).unwrap_or(2);
    let l = db.t("F4311");
    let mut taken: HashMap<usize, (Decimal, Decimal)> = HashMap::new();
    let mut po_taken: HashMap<usize, Decimal> = HashMap::new();
    let mut extra = Vec::with_capacity(invoice.len());
    let mut matches = Vec::with_capacity(invoice.len());
    for il in &invoice {
        let tag = format!(
            "Line {} (PO {} {} {} line {})",
            il.edln.normalize(),
            il.kcoo,
            il.dcto,
            il.doco,
            il.lnid.normalize()
        );
        let li = *index
            .lines
            .get(&line_key(il))
            .ok_or_else(|| format!("4302 {tag}: purchase order line not found (F4311)"))?;
        let pr = &l.rows[li];
        let pg = |a: &str| get(l, pr, a);
        if pg("NXTR").as_str() == "999" {
            return Err(format!(
                "4303 {tag}: purchase order line is closed or cancelled (status {}/{})",
                pg("LTTR").as_str(),
                pg("NXTR").as_str()
            ));
        }
        if pg("AN8").as_int() != an8 {
            return Err(format!(
                "4304 {tag}: supplier {an8} of the invoice is not the order's supplier {}",
                pg("AN8").as_int()
            ));
        }
        if pg("CRCD").as_str() != crcd {
            return Err(format!(
                "4305 {tag}: invoice currency {crcd} is not the order's currency {}",
                pg("CRCD").as_str()
            ));
        }
        if il.qty <= Decimal::ZERO {
            return Err(format!(
                "4309 {tag}: quantity {} must be positive to match",
                il.qty.normalize()
            ));
        }
        if il.amount.normalize().scale() > dec {
            return Err(format!(
                "0078 {tag}: amount {} has more decimals than currency {crcd} allows ({dec})",
                il.amount
            ));
        }
        let ani = pg("ANI").as_str().to_owned();
        let (mcu, obj, sub) = voucher::split_ani(&ani)
            .ok_or_else(|| format!("0006 {tag}: account {ani} of the order line is not valid"))?;
        let (aid, _) = voucher::account(db, &mcu, &obj, &sub).ok_or_else(|| {
            format!("0006 {tag}: account {ani} is not set up in the Account Master (F0901)")
        })?;
        let co = voucher::bu_company(db, &mcu)
            .ok_or_else(|| format!("0003 {tag}: business unit {mcu} is not set up (F0006)"))?;
        let (takes, expected, source) = match rule.as_str() {
            "07" | "08" | "09" => {
                let open = pg("UOPN").as_dec() - po_taken.get(&li).copied().unwrap_or_default();
                if il.qty > open {
                    return Err(format!(
                        "4308 {tag}: quantity {} exceeds the open quantity {} of the order line",
                        il.qty.normalize(),
                        open.normalize()
                    ));
                }
                *po_taken.entry(li).or_default() += il.qty;
                let price = if foreign {
                    pg("FRRC").as_dec()
                } else {
                    pg("PRRC").as_dec()
                };
                (
                    vec![Take::PoLine(li, il.qty)],
                    round_to(il.qty * price, dec),
                    format!("order line unit cost {}", price.normalize()),
                )
            }
            _ => {
                let open = open_receipts(db, index, il, foreign, &taken);
                let total: Decimal = open.iter().map(|r| r.1).sum();
                let several = matches!(rule.as_str(), "03" | "05");
                let mut takes = Vec::new();
                let mut expected = Decimal::ZERO;
                if several {
                    if total < il.qty {
                        return Err(format!(
                            "4306 {tag}: received and not vouchered {} is less than the invoiced quantity {} (F43121)",
                            total.normalize(),
                            il.qty.normalize()
                        ));
                    }
                    let mut left = il.qty;
                    for (ri, q, a, price) in open {
                        if left.is_zero() {
                            break;
                        }
                        let take = left.min(q);
                        left -= take;
                        expected += round_to(take * price, dec);
                        takes.push(Take::Receipt(ri, take, receipt_share(db, ri, take, q, a)));
                    }
                } else {
                    let Some(&(ri, q, a, price)) = open.iter().find(|r| r.1 >= il.qty) else {
                        return Err(format!(
                            "4306 {tag}: no receipt with {} received and not vouchered (open on {} receipts: {}) (F43121)",
                            il.qty.normalize(),
                            open.len(),
                            total.normalize()
                        ));
                    };
                    expected = round_to(il.qty * price, dec);
                    takes.push(Take::Receipt(
                        ri,
                        il.qty,
                        receipt_share(db, ri, il.qty, q, a),
                    ));
                }
                for t in &takes {
                    if let Take::Receipt(ri, q, a) = t {
                        let e = taken.entry(*ri).or_default();
                        e.0 += *q;
                        e.1 += *a;
                    }
                }
                (takes, expected, "receipt unit cost".to_owned())
            }
        };
        let diff = il.amount - expected;
        let (ok, allowed) = match rule.as_str() {
            "01" | "04" | "07" | "09" => (diff.is_zero(), Decimal::ZERO),
            "05" => (diff.abs() <= ms.rounding, ms.rounding),
            _ => (
                ms.tolerance.allows(expected, diff),
                round_to(ms.tolerance.allowed(expected), dec),
            ),
        };
        if !ok {
            return Err(format!(
                "4307 {tag}: amount {} differs from {} ({} × {source}) by {}, beyond the tolerance of {} (rule {rule})",
                il.amount,
                expected,
                il.qty.normalize(),
                diff,
                allowed
            ));
        }
        let exa: String = if matches!(rule.as_str(), "07" | "08" | "09") {
            format!("PO {} {} {}", il.dcto, il.doco, il.lnid.normalize())
        } else {
            format!("RNV {} {} {}", il.dcto, il.doco, il.lnid.normalize())
        };
        extra.push((
            ZLine {
                idx: usize::MAX,
                edln: il.edln,
                ani: ani.clone(),
                mcu,
                obj,
                sub,
                aa: if foreign { Decimal::ZERO } else { il.amount },
                acr: if foreign { il.amount } else { Decimal::ZERO },
                exa: exa.chars().take(30).collect(),
            },
            (aid, co),
        ));
        matches.push(LineMatch {
            qty: il.qty,
            price: il.price,
            amount: il.amount,
            takes,
        });
    }
    Ok(MatchPlan {
        lines,
        plan,
        extra,
        matches,
        foreign,
        dec,
    })
}

/// Vouchers `qty` of receipt `ri` for a booked match voucher: the receipt loses it from its
/// open quantity/amount (added to vouchered to date) and a `MATC = 2` row records the match.
#[allow(clippy::too_many_arguments)]
fn voucher_receipt(
    db: &mut Db,
    ri: usize,
    qty: Decimal,
    dom: Decimal,
    invoiced: (Decimal, Decimal),
    price: Decimal,
    booked: &voucher::Booked,
    foreign: bool,
    stamp: Stamp,
) {
    let t = db.t("F43121");
    let r = t.rows[ri].clone();
    let g = |a: &str| r[t.def.c(a)].clone();
    let (crcd, frrc) = (g("CRCD").as_str().to_owned(), g("FRRC").as_dec());
    let (_, for_dec) = line_decimals(db, g("KCOO").as_str(), &crcd);
    let foreign_share = if frrc.is_zero() {
        Decimal::ZERO
    } else {
        round_to(qty * frrc, for_dec)
    };
    let (inv_dom, inv_for) = invoiced;
    let row = vec![
        ("MATC", Cell::s("2")),
        ("AN8", g("AN8")),
        ("KCOO", g("KCOO")),
        ("DOCO", g("DOCO")),
        ("DCTO", g("DCTO")),
        ("SFXO", g("SFXO")),
        ("LNID", g("LNID")),
        ("NLIN", g("NLIN")),
        ("KCO", Cell::s(&booked.kco)),
        ("DOC", Cell::Int(booked.doc)),
        ("DCT", Cell::s("PV")),
        ("SFX", Cell::s("001")),
        ("RCDJ", g("RCDJ")),
        ("DGL", Cell::Int(booked.dgj)),
        ("UOM", g("UOM")),
        ("UREC", Cell::d(qty)),
        ("PRRC", if foreign { g("PRRC") } else { Cell::d(price) }),
        ("AREC", Cell::d(inv_dom)),
        ("CRCD", Cell::s(&crcd)),
        ("FRRC", if foreign { Cell::d(price) } else { g("FRRC") }),
        ("FREC", Cell::d(inv_for)),
        ("VINV", Cell::s(&booked.vinv)),
        ("UPMJ", Cell::Int(stamp.date)),
        ("TDAY", Cell::Int(stamp.time)),
    ];
    let t = db.tm("F43121");
    let d = |a: &str| r[t.def.c(a)].as_dec();
    let (uopn, aopn, uptd, aptd, fap) = (d("UOPN"), d("AOPN"), d("UPTD"), d("APTD"), d("FAP"));
    set(t, ri, "UOPN", Cell::d(uopn - qty));
    set(t, ri, "AOPN", Cell::d(aopn - dom));
    set(t, ri, "UPTD", Cell::d(uptd + qty));
    set(t, ri, "APTD", Cell::d(aptd + dom));
    if !foreign_share.is_zero() {
        set(
            t,
            ri,
            "FAP",
            Cell::d((fap - foreign_share).max(Decimal::ZERO)),
        );
    }
    set(t, ri, "UPMJ", Cell::Int(stamp.date));
    set(t, ri, "TDAY", Cell::Int(stamp.time));
    t.insert(row);
}

/// Runs R4304010 (final mode, one voucher per invoice, no line matched unless all are) over
/// the unprocessed `ATFLG = 1` rows its data selection covers, batch by batch.
pub(crate) fn process_matches(
    db: &mut Db,
    sel: &DataSelection,
    job: Option<i64>,
    ms: &MatchSetup,
    stamp: Stamp,
) -> ProcessReport {
    let mut report = ProcessReport::default();
    let at = jiff::Timestamp::now();
    let batches = voucher::pending_batches(db, sel, true);
    if batches.is_empty() {
        return report;
    }
    let mut index = Index::build(db);
    for ((edus, edbt), rows) in batches {
        let mut icu = None;
        for zi in rows {
            let row = db.t("F0411Z1").rows[zi].clone();
            let edtn = get(db.t("F0411Z1"), &row, "EDTN").as_str().to_owned();
            let mp = match plan_match(db, &index, &row, (&edus, &edbt, &edtn), ms) {
                Ok(p) => p,
                Err(message) => {
                    voucher::reject(db, &mut report, &edus, &edbt, &edtn, job, message, at);
                    continue;
                }
            };
            let booked = voucher::book(db, zi, &mp.lines, &mp.plan, &mp.extra, &mut icu, stamp);
            set(db.tm("F0411Z1"), zi, "PSTE", Cell::s("4"));
            for m in &mp.matches {
                let mut left = m.amount;
                for (k, take) in m.takes.iter().enumerate() {
                    let (ri, qty, dom) = match *take {
                        Take::Receipt(ri, q, a) => (ri, q, a),
                        Take::PoLine(li, q) => {
                            let Some(ri) = receive(db, li, q, booked.dgj, stamp) else {
                                continue;
                            };
                            let t = db.t("F43121");
                            let key = (
                                get(t, &t.rows[ri], "KCOO").as_str().to_owned(),
                                get(t, &t.rows[ri], "DOCO").as_int(),
                                get(t, &t.rows[ri], "DCTO").as_str().to_owned(),
                                get(t, &t.rows[ri], "LNID").as_dec().normalize(),
                            );
                            index.receipts.entry(key).or_default().push(ri);
                            let t = db.t("F43121");
                            let a = t.rows[ri][t.def.c("AOPN")].as_dec();
                            (ri, q, a)
                        }
                    };
                    let share = if k + 1 == m.takes.len() {
                        left
                    } else {
                        round_to(m.amount * qty / m.qty, mp.dec)
                    };
                    left -= share;
                    let invoiced = if mp.foreign {
                        (round_to(share * mp.plan.rate, mp.plan.dom_dec), share)
                    } else {
                        (share, Decimal::ZERO)
                    };
                    voucher_receipt(
                        db, ri, qty, dom, invoiced, m.price, &booked, mp.foreign, stamp,
                    );
                }
            }
            report.created.push((edtn, booked.doc));
        }
    }
    report
}
