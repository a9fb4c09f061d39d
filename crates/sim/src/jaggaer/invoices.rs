//! The invoice generator: invoices for received POs (partial quantities, tax, charges,
//! discounts, coding copied from the PO lines) and non-PO invoices from the pushed supplier
//! profiles and Account/CostCenter values (credit memos, EUR/JPY, split coding, pending ones).
//!
//! Every amount the generator invents is rounded to the currency's minor unit (JPY: 0 digits)
//! and `total.value` is computed by the tie rule ([`super::data::invoice_total`]), so totals
//! always tie exactly. Randomness comes only from the seeded generator, so the same seed and the
//! same pushed data give the same invoices.

use rand::Rng;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::config::PoInvoiceMix;
use super::data::{Data, currency_dp, dec, invoice_total, num, round_to};

/// An Account/CostCenter coding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Coding {
    pub(crate) account: String,
    pub(crate) account_description: String,
    pub(crate) cost_center: Option<String>,
    pub(crate) cost_center_description: String,
}

/// `customFieldValueSetList` for a coding.
pub(crate) fn coding_sets(c: &Coding) -> Value {
    let mut sets = vec![json!({
        "name": "Account",
        "label": "GL Account",
        "customFieldValueList": {"customFieldValue": [
            {"value": c.account, "description": c.account_description}
        ]}
    })];
    if let Some(cc) = &c.cost_center {
        sets.push(json!({
            "name": "CostCenter",
            "label": "Cost Center",
            "customFieldValueList": {"customFieldValue": [
                {"value": cc, "description": c.cost_center_description}
            ]}
        }));
    }
    json!({ "customFieldValueSet": sets })
}

/// `splittableFieldSetGroupList` with one split per (distribution value, coding).
fn split_group(kind: &str, splits: &[(Decimal, Coding)]) -> Value {
    let idx: Vec<Value> = splits
        .iter()
        .enumerate()
        .map(|(i, (v, c))| {
            let mut values = vec![json!({"internalName": "Account", "value": c.account})];
            if let Some(cc) = &c.cost_center {
                values.push(json!({"internalName": "CostCenter", "value": cc}));
            }
            json!({
                "splitIndex": i + 1,
                "distributionType": kind,
                "distributionValue": num(*v),
                "customFieldValueList": {"customFieldValue": values}
            })
        })
        .collect();
    json!({"splittableFieldSetGroup": [{"splittableFieldIndexSet": [{
        "context": "Line",
        "splittableFieldIndexList": {"splittableFieldIndex": idx}
    }]}]})
}

/// The coding of a PO line (`customFieldValueSetList` with Account/CostCenter), if any.
fn po_line_coding(line: &Value) -> Option<Coding> {
    let sets = line["customFieldValueSetList"]["customFieldValueSet"].as_array()?;
    let value_of = |name: &str| {
        sets.iter()
            .find(|s| {
                s["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .and_then(|s| s["customFieldValueList"]["customFieldValue"].get(0))
            .and_then(|v| v["value"].as_str())
            .map(str::to_owned)
    };
    Some(Coding {
        account: value_of("Account")?,
        account_description: String::new(),
        cost_center: value_of("CostCenter"),
        cost_center_description: String::new(),
    })
}

/// A random amount in `[lo, hi]` major units with the currency's minor digits.
fn amount(rng: &mut impl Rng, lo: u32, hi: u32, dp: u32) -> Decimal {
    let scale = 10i64.pow(dp);
    let minor = rng.random_range(i64::from(lo) * scale..=i64::from(hi) * scale);
    Decimal::new(minor, dp)
}

fn zero(dp: u32) -> Value {
    num(round_to(Decimal::ZERO, dp))
}

/// Per-currency magnitude: JPY amounts are ~100 times the USD ones.
fn magnitude(currency: &str) -> u32 {
    if currency_dp(currency) == 0 { 100 } else { 1 }
}

fn tax_rate(currency: &str) -> Decimal {
    match currency {
        "EUR" => Decimal::new(19, 2),
        "JPY" => Decimal::new(10, 2),
        _ => Decimal::new(825, 4),
    }
}

const ITEMS: &[(&str, &str)] = &[
    ("Office chairs", "EA"),
    ("Copy paper A4", "BX"),
    ("Laptop docking station", "EA"),
    ("Consulting services", "HR"),
    ("Safety gloves", "PR"),
    ("Printer toner", "EA"),
    ("Cleaning service", "MO"),
    ("Software subscription", "EA"),
    ("Forklift maintenance", "HR"),
    ("Packaging material", "RL"),
];

/// What the generator decided for the charges of one invoice.
struct Charges {
    tax1: Decimal,
    tax2: Decimal,
    shipping: Decimal,
    handling: Decimal,
    misc: Vec<(String, Decimal)>,
    discount: Decimal,
}

fn roll_charges(rng: &mut impl Rng, base: Decimal, currency: &str, credit: bool) -> Charges {
    let dp = currency_dp(currency);
    let m = magnitude(currency);
    let zero = round_to(Decimal::ZERO, dp);
    let taxed = rng.random_bool(0.45);
    let tax1 = if taxed {
        round_to(base * tax_rate(currency), dp)
    } else {
        zero
    };
    // A second tax (e.g. a county tax on top of the state tax) now and then.
    let tax2 = if taxed && currency == "USD" && rng.random_bool(0.15) {
        round_to(base * Decimal::new(1, 2), dp)
    } else {
        zero
    };
    let shipping = if !credit && rng.random_bool(0.25) {
        amount(rng, 5 * m, 80 * m, dp)
    } else {
        zero
    };
    let handling = if !credit && rng.random_bool(0.10) {
        amount(rng, 2 * m, 25 * m, dp)
    } else {
        zero
    };
    let misc = if !credit && rng.random_bool(0.08) {
        vec![("Fuel surcharge".to_owned(), amount(rng, m, 15 * m, dp))]
    } else {
        Vec::new()
    };
    let discount = if !credit && rng.random_bool(0.10) {
        round_to(base * Decimal::new(2, 2), dp)
    } else {
        zero
    };
    Charges {
        tax1,
        tax2,
        shipping,
        handling,
        misc,
        discount,
    }
}

struct Head<'a> {
    id: i64,
    supplier: Value,
    currency: &'a str,
    credit: bool,
    po_backed: bool,
    /// A PO-backed invoice that has non-PO lines too.
    mixed: bool,
    pending: bool,
    coding: Option<&'a Coding>,
    sin_prefix: &'a str,
}

fn build(data: &mut Data, h: Head<'_>, lines: Vec<Value>, ch: &Charges, now_ms: i64) -> Value {
    let dp = currency_dp(h.currency);
    let days_back = data.rng.random_range(0..6i64);
    let date_ms = (now_ms / 86_400_000 - days_back) * 86_400_000 + 12 * 3_600_000;
    let invoice_date = super::data::iso_ms(date_ms);
    let doc_no = data.next_doc_no;
    data.next_doc_no += 1;
    let (payment, workflow) = if h.pending {
        ("Pending", "In Process")
    } else {
        ("Payable", "Completed")
    };
    let mut header = json!({
        "invoiceId": h.id,
        "invoiceNumber": format!("I{:06}", h.id),
        "supplierInvoiceNumber": format!("{}-{:06}", h.sin_prefix, doc_no),
        "invoiceName": format!("{} {}", if h.credit { "Credit" } else { "Invoice" }, doc_no),
        "invoiceType": if h.credit { "Credit Memo" } else { "Invoice" },
        "invoiceLineType": if h.po_backed { "PO" } else { "Non-PO" },
        "invoiceSource": "Supplier Portal",
        "nonPOInvoice": if h.po_backed { "false" } else { "true" },
        "containsNonPOLines": if h.po_backed && !h.mixed { "false" } else { "true" },
        "validationStatus": "Valid",
        "paymentStatus": payment,
        "matchStatus": if h.po_backed { "Matched" } else { "Do Not Match" },
        "workflowStatus": workflow,
        "invoiceDate": invoice_date,
        "invoiceCreateDate": super::data::iso_ms(now_ms),
        "supplier": h.supplier,
        "taxCharge1": num(ch.tax1),
        "taxCharge2": num(ch.tax2),
        "shippingCharge": num(ch.shipping),
        "handlingCharge": num(ch.handling),
        "discountAmount": num(ch.discount),
        "miscFeeList": {"miscFee": ch.misc.iter()
            .map(|(n, f)| json!({"name": n, "fee": num(*f)})).collect::<Vec<_>>()},
        "total": {"currency": h.currency, "value": zero(dp)},
    });
    if let Some(c) = h.coding {
        header["customFieldValueSetList"] = coding_sets(c);
    }
    let mut doc = json!({"header": header, "lineList": {"invoiceLine": lines}});
    let total = invoice_total(&doc).unwrap_or_default();
    doc["header"]["total"]["value"] = num(total);
    doc
}

fn new_line(
    data: &mut Data,
    n: usize,
    desc: &str,
    uom: &str,
    qty: Decimal,
    price: Decimal,
) -> Value {
    let id = data.next_line;
    data.next_line += 1;
    json!({
        "lineId": id,
        "lineNumber": n,
        "item": {"description": desc, "unitOfMeasure": {"dimension": uom}, "productType": "Goods"},
        "quantity": num(qty),
        "unitPrice": num(price),
        "taxable": "true",
    })
}

fn supplier_ref(data: &Data, bravo: Option<i64>, ext: Option<&str>) -> Value {
    if let Some(info) = bravo.and_then(|b| data.suppliers.get(&b)) {
        return json!({
            "id": info["bravoId"],
            "name": info["companyName"],
            "supplierNumber": info["extCode"],
        });
    }
    // A cXML PO whose supplier the sim does not know: the JDE number is all it has.
    json!({"name": ext.unwrap_or("Unknown supplier"), "supplierNumber": ext.unwrap_or("")})
}

/// The `poLineNumber` an invoice line carries: the PO line's own `lineNumber` as the
/// connector sent it (J1P JSON: the LNID as AIS returns it, `1.5`; a cXML order: the integer of
/// `mlc_core::po_line::lnid_to_line_number`, `1500`), so it names the line in the channel the
/// PO came by.
fn po_line_number(l: &Value, n: usize) -> Value {
    json!(match &l["lineNumber"] {
        Value::Number(x) => x.to_string(),
        Value::String(s) => s.clone(),
        _ => n.to_string(),
    })
}

/// An invoice line billing `qty` of a PO line at `price`.
fn po_line(
    data: &mut Data,
    n: usize,
    po_number: &str,
    l: &Value,
    qty: Decimal,
    price: Decimal,
) -> Value {
    let desc = l["description"].as_str().unwrap_or("PO item").to_owned();
    let uom = l["unitOfMeasure"].as_str().unwrap_or("EA").to_owned();
    let mut line = new_line(data, n, &desc, &uom, qty, price);
    line["poNumber"] = json!(po_number);
    line["poLineNumber"] = po_line_number(l, n);
    if let Some(c) = po_line_coding(l) {
        line["customFieldValueSetList"] = coding_sets(&c);
    }
    line
}

fn open_po_lines(po: &Value) -> impl Iterator<Item = (&Value, Decimal, Decimal)> {
    po["lineList"]["poLine"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| !matches!(l["status"].as_str(), Some("Cancelled" | "Closed")))
        .filter_map(|l| Some((l, dec(&l["quantity"])?, dec(&l["unitPrice"])?)))
        .filter(|(_, q, _)| *q > Decimal::ZERO)
}

/// Maybe creates an invoice for a newly received PO (probability `p`). Returns its id.
pub(crate) fn invoice_for_po(
    data: &mut Data,
    po: &Value,
    p: f64,
    pending_rate: f64,
    mix: &PoInvoiceMix,
    now_ms: i64,
) -> Option<i64> {
    if !data.rng.random_bool(p.clamp(0.0, 1.0)) {
        return None;
    }
    let header = &po["header"];
    if header["status"].as_str() == Some("Cancelled") {
        return None;
    }
    let currency = header["currency"]
        .as_str()
        .or_else(|| header["total"]["currency"].as_str())
        .unwrap_or("USD")
        .to_owned();
    let dp = currency_dp(&currency);
    let po_number = header["poNumber"].as_str().unwrap_or_default().to_owned();
    let mut lines = Vec::new();
    let mut base = Decimal::ZERO;
    let rate = |r: f64| r.clamp(0.0, 1.0);
    for (l, qty, price) in open_po_lines(po) {
        // Partial deliveries: invoice part of a whole-number quantity now and then.
        let qty = if qty.fract().is_zero()
            && qty >= Decimal::TWO
            && data.rng.random_bool(rate(mix.partial_rate))
        {
            let q = i64::try_from(qty).unwrap_or(2).max(2);
            Decimal::from(data.rng.random_range(1..q))
        } else {
            qty
        };
        // Price variances (no draw at all while their rates are 0: the default output stays).
        let mut price = price;
        if mix.price_beyond_rate > 0.0 && data.rng.random_bool(rate(mix.price_beyond_rate)) {
            price = round_to(
                price * (Decimal::ONE_HUNDRED + mix.beyond_pct) / Decimal::ONE_HUNDRED,
                dp,
            );
        } else if mix.price_within_rate > 0.0 && data.rng.random_bool(rate(mix.price_within_rate)) {
            price = round_to(
                price * (Decimal::ONE_HUNDRED + mix.within_pct) / Decimal::ONE_HUNDRED,
                dp,
            );
        }
        let n = lines.len() + 1;
        let line = po_line(data, n, &po_number, l, qty, price);
        base += qty * price;
        lines.push(line);
    }
    if lines.is_empty() {
        return None;
    }
    let bravo = header["supplier"]["bravoId"].as_i64();
    // Lines of a second PO of the same supplier (and currency) on the same invoice.
    if mix.two_po_rate > 0.0 && data.rng.random_bool(rate(mix.two_po_rate)) {
        let other = data
            .pos
            .values()
            .filter(|o| {
                o["header"]["poNumber"].as_str() != Some(po_number.as_str())
                    && o["header"]["supplier"]["bravoId"].as_i64() == bravo
                    && o["header"]["status"].as_str() != Some("Cancelled")
                    && o["header"]["currency"].as_str().unwrap_or("USD") == currency
            })
            .find_map(|o| {
                let number = o["header"]["poNumber"].as_str()?.to_owned();
                let (l, q, pr) = open_po_lines(o).next()?;
                Some((number, l.clone(), q, pr))
            });
        if let Some((number, l, q, pr)) = other {
            let n = lines.len() + 1;
            let line = po_line(data, n, &number, &l, q, pr);
            base += q * pr;
            lines.push(line);
        }
    }
    // A non-PO line on a PO-backed invoice (a fee or an item not on the order).
    let mut mixed = false;
    if mix.non_po_line_rate > 0.0 && data.rng.random_bool(rate(mix.non_po_line_rate)) {
        let (desc, uom) = ITEMS[data.rng.random_range(0..ITEMS.len())];
        let m = magnitude(&currency);
        let price = amount(&mut data.rng, 5 * m, 200 * m, dp);
        let accounts = data.active_values("Account");
        let ccs = data.active_values("CostCenter");
        let n = lines.len() + 1;
        let mut line = new_line(data, n, desc, uom, Decimal::ONE, price);
        if !accounts.is_empty() {
            let c = pick_coding(data, &accounts, &ccs);
            line["customFieldValueSetList"] = coding_sets(&c);
        }
        base += price;
        lines.push(line);
        mixed = true;
    }
    let ch = roll_charges(&mut data.rng, base, &currency, false);
    let pending = data.rng.random_bool(pending_rate.clamp(0.0, 1.0));
    let ext = header["supplier"]["extCode"].as_str().map(str::to_owned);
    let supplier = supplier_ref(data, bravo, ext.as_deref());
    let id = data.next_invoice;
    data.next_invoice += 1;
    let head = Head {
        id,
        supplier,
        currency: &currency,
        credit: false,
        po_backed: true,
        mixed,
        pending,
        coding: None,
        sin_prefix: "INV",
    };
    let doc = build(data, head, lines, &ch, now_ms);
    data.put_invoice(id, doc, now_ms);
    Some(id)
}

/// One line of an invoice made on request against a stored PO.
#[derive(Debug, Clone, PartialEq)]
pub struct PoInvoiceLine {
    /// The PO line, by its `lineNumber` as stored (e.g. `"1.5"`, or `"1500"` for a cXML PO).
    pub line_number: String,
    /// Quantity invoiced.
    pub quantity: Decimal,
    /// Unit price invoiced (`None`: the PO line's).
    pub unit_price: Option<Decimal>,
}

/// An invoice against chosen lines of a stored PO (e.g. a line JDE has not received yet), no
/// charges or tax, payable. `None` when the PO or a line is unknown.
pub(crate) fn invoice_po_lines(
    data: &mut Data,
    po_number: &str,
    wanted: &[PoInvoiceLine],
    now_ms: i64,
) -> Option<i64> {
    let po = data
        .pos
        .values()
        .find(|o| o["header"]["poNumber"].as_str() == Some(po_number))?
        .clone();
    let header = &po["header"];
    let currency = header["currency"]
        .as_str()
        .or_else(|| header["total"]["currency"].as_str())
        .unwrap_or("USD")
        .to_owned();
    let dp = currency_dp(&currency);
    let mut lines = Vec::with_capacity(wanted.len());
    for w in wanted {
        let l = po["lineList"]["poLine"]
            .as_array()?
            .iter()
            .find(|l| {
                let n = po_line_number(l, 0);
                n.as_str() == Some(w.line_number.as_str())
                    || dec(&n)
                        .zip(w.line_number.parse::<Decimal>().ok())
                        .is_some_and(|(a, b)| a == b)
            })?
            .clone();
        let price = w.unit_price.or_else(|| dec(&l["unitPrice"]))?;
        let n = lines.len() + 1;
        lines.push(po_line(data, n, po_number, &l, w.quantity, price));
    }
    let zero = round_to(Decimal::ZERO, dp);
    let ch = Charges {
        tax1: zero,
        tax2: zero,
        shipping: zero,
        handling: zero,
        misc: Vec::new(),
        discount: zero,
    };
    let bravo = header["supplier"]["bravoId"].as_i64();
    let ext = header["supplier"]["extCode"].as_str().map(str::to_owned);
    let supplier = supplier_ref(data, bravo, ext.as_deref());
    let id = data.next_invoice;
    data.next_invoice += 1;
    let head = Head {
        id,
        supplier,
        currency: &currency,
        credit: false,
        po_backed: true,
        mixed: false,
        pending: false,
        coding: None,
        sin_prefix: "INV",
    };
    let doc = build(data, head, lines, &ch, now_ms);
    data.put_invoice(id, doc, now_ms);
    Some(id)
}

fn pick_coding(data: &mut Data, accounts: &[Value], ccs: &[Value]) -> Coding {
    let a = &accounts[data.rng.random_range(0..accounts.len())];
    let account = a["value"].as_str().unwrap_or_default().to_owned();
    // Prefer the cost center that is the account's business unit (BU.OBJ.SUB), as a JDE
    // coding would; else any pushed one.
    let bu = account.split('.').next().unwrap_or_default();
    let cc = ccs
        .iter()
        .find(|c| c["value"].as_str() == Some(bu))
        .or_else(|| (!ccs.is_empty()).then(|| &ccs[data.rng.random_range(0..ccs.len())]));
    Coding {
        account,
        account_description: a["description"].as_str().unwrap_or_default().to_owned(),
        cost_center: cc.and_then(|c| c["value"].as_str()).map(str::to_owned),
        cost_center_description: cc
            .and_then(|c| c["description"].as_str())
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Another coding for the same invoice: an account of the same business unit (a buyer codes one
/// invoice within one cost center and so one company; lines differ by expense object).
fn pick_related_coding(
    data: &mut Data,
    accounts: &[Value],
    ccs: &[Value],
    header: &Coding,
) -> Coding {
    let bu = header.account.split('.').next().unwrap_or_default();
    let same: Vec<Value> = accounts
        .iter()
        .filter(|a| a["value"].as_str().and_then(|v| v.split('.').next()) == Some(bu))
        .cloned()
        .collect();
    if same.is_empty() {
        pick_coding(data, accounts, ccs)
    } else {
        pick_coding(data, &same, ccs)
    }
}

/// Generates `n` non-PO invoices (and credit memos). Skips (returns nothing) when there are no
/// active supplier profiles or no pushed Account values.
pub(crate) fn generate(data: &mut Data, n: usize, pending_rate: f64, now_ms: i64) -> Vec<i64> {
    let suppliers: Vec<i64> = data
        .suppliers
        .iter()
        .filter(|(_, s)| s["status"].as_str() != Some("INACTIVE"))
        .map(|(id, _)| *id)
        .collect();
    let accounts = data.active_values("Account");
    let ccs = data.active_values("CostCenter");
    if suppliers.is_empty() || accounts.is_empty() {
        return Vec::new();
    }
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let r = &mut data.rng;
        let bravo = suppliers[r.random_range(0..suppliers.len())];
        let currency = match r.random_range(0..100) {
            0..10 => "EUR",
            10..17 => "JPY",
            _ => "USD",
        };
        let credit = r.random_bool(0.12);
        let pending = !credit && r.random_bool(pending_rate.clamp(0.0, 1.0));
        let dp = currency_dp(currency);
        let m = magnitude(currency);
        let header_coding = pick_coding(data, &accounts, &ccs);
        let n_lines = if credit {
            1
        } else {
            data.rng.random_range(1..=3usize)
        };
        let split_line = !credit && data.rng.random_bool(0.2);
        let mut lines = Vec::with_capacity(n_lines);
        let mut base = Decimal::ZERO;
        for i in 0..n_lines {
            let (desc, uom) = ITEMS[data.rng.random_range(0..ITEMS.len())];
            let qty = Decimal::from(data.rng.random_range(1..=10i64));
            let hi = if credit { 150 } else { 900 };
            let price = amount(&mut data.rng, 5 * m, hi * m, dp);
            let mut line = new_line(data, i + 1, desc, uom, qty, price);
            let line_amount = qty * price;
            base += line_amount;
            if i == 0 && split_line {
                let other = pick_related_coding(data, &accounts, &ccs, &header_coding);
                let minor = line_amount * Decimal::from(10i64.pow(dp));
                if data.rng.random_bool(0.3) && minor % Decimal::TWO == Decimal::ZERO {
                    // Percentage splits only where 50/50 is exact in the currency.
                    let half = Decimal::new(50, 0);
                    line["splittableFieldSetGroupList"] = split_group(
                        "Percentage",
                        &[(half, header_coding.clone()), (half, other)],
                    );
                } else {
                    let first = round_to(line_amount * Decimal::new(6, 1), dp);
                    let second = line_amount - first;
                    line["splittableFieldSetGroupList"] = split_group(
                        "AmountOfPrice",
                        &[(first, header_coding.clone()), (second, other)],
                    );
                }
            } else if data.rng.random_bool(0.3) {
                let own = pick_related_coding(data, &accounts, &ccs, &header_coding);
                line["customFieldValueSetList"] = coding_sets(&own);
            }
            lines.push(line);
        }
        let ch = roll_charges(&mut data.rng, base, currency, credit);
        let supplier = supplier_ref(data, Some(bravo), None);
        let id = data.next_invoice;
        data.next_invoice += 1;
        let head = Head {
            id,
            supplier,
            currency,
            credit,
            po_backed: false,
            mixed: false,
            pending,
            coding: Some(&header_coding),
            sin_prefix: if credit { "CM" } else { "INV" },
        };
        let doc = build(data, head, lines, &ch, now_ms);
        data.put_invoice(id, doc, now_ms);
        ids.push(id);
    }
    ids
}

/// Adds the currency's unit to line 1's unit price (adjusting its last amount split), or to the
/// shipping charge when the quantity is fractional, and recomputes the total. `false` when the
/// invoice has nothing to change.
pub(crate) fn correct(doc: &mut Value) -> bool {
    let currency = doc["header"]["total"]["currency"]
        .as_str()
        .unwrap_or("USD")
        .to_owned();
    let dp = currency_dp(&currency);
    let unit = round_to(Decimal::ONE, dp);
    let line = doc["lineList"]["invoiceLine"].get_mut(0);
    let mut changed = false;
    if let Some(line) = line
        && let (Some(q), Some(p)) = (dec(&line["quantity"]), dec(&line["unitPrice"]))
        && q.fract().is_zero()
    {
        line["unitPrice"] = num(p + unit);
        let delta = q * unit;
        // pointer_mut, not IndexMut: indexing would create the path on lines without splits.
        let idx = line.pointer_mut(
            "/splittableFieldSetGroupList/splittableFieldSetGroup/0/splittableFieldIndexSet/0\
             /splittableFieldIndexList/splittableFieldIndex",
        );
        if let Some(last) = idx.and_then(Value::as_array_mut).and_then(|a| a.last_mut())
            && last["distributionType"] == "AmountOfPrice"
            && let Some(v) = dec(&last["distributionValue"])
        {
            last["distributionValue"] = num(v + delta);
        }
        changed = true;
    }
    if !changed {
        let Some(s) = dec(&doc["header"]["shippingCharge"]).or(Some(Decimal::ZERO)) else {
            return false;
        };
        doc["header"]["shippingCharge"] = num(round_to(s + unit, dp));
        changed = true;
    }
    match invoice_total(doc) {
        Some(t) => doc["header"]["total"]["value"] = num(t),
        None => return false,
    }
    changed
}

/// Fills what an inserted invoice lacks: line ids, and `total` when no value is given (the tie
/// rule). An explicit total is kept as is, so tests can insert an invoice that does not tie.
pub(crate) fn complete_inserted(data: &mut Data, doc: &mut Value) {
    if let Some(lines) = doc["lineList"]["invoiceLine"].as_array_mut() {
        for (i, l) in lines.iter_mut().enumerate() {
            if l.get("lineId").is_none() {
                l["lineId"] = json!(data.next_line);
                data.next_line += 1;
            }
            if l.get("lineNumber").is_none() {
                l["lineNumber"] = json!(i + 1);
            }
        }
    }
    if doc["header"]["total"]["value"].is_null()
        && let Some(t) = invoice_total(doc)
    {
        doc["header"]["total"]["value"] = num(t);
    }
}
