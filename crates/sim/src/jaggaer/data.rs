//! The simulator's in-memory data (supplier profiles, purchase orders, custom-field value lists,
//! invoices, received cXML orders) and the J1P list machinery: the `flt` filter language, the
//! 1-based paging envelope and exact-decimal JSON numbers.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

use jiff::Timestamp;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Money and numbers

/// An exact JSON number from a decimal. `serde_json` has `arbitrary_precision` on, so the text
/// is kept as is (`600.00` stays `600.00`); never through `f64`.
pub(crate) fn num(d: Decimal) -> Value {
    let text = d.to_string();
    match serde_json::Number::from_str(&text) {
        Ok(n) => Value::Number(n),
        // Decimal's Display is always a valid JSON number; keep the text if that ever changes.
        Err(_) => Value::String(text),
    }
}

/// A decimal from a JSON number (its exact text) or a numeric string.
pub(crate) fn dec(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// Minor-unit digits of a currency (ISO 4217; the zero-decimal ones the connector may meet).
pub(crate) fn currency_dp(currency: &str) -> u32 {
    match currency.to_ascii_uppercase().as_str() {
        "JPY" | "KRW" | "CLP" | "ISK" | "VND" | "HUF" | "TWD" | "UGX" | "XOF" | "XAF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

/// Rounds half away from zero to `dp` digits and fixes the scale (`5` → `5.00`).
pub(crate) fn round_to(d: Decimal, dp: u32) -> Decimal {
    let mut r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

/// `lastUpdate` text: ISO 8601 UTC with milliseconds.
pub(crate) fn iso_ms(ms: i64) -> String {
    let ts = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
    format!("{ts:.3}")
}

/// The invoice total by the tie rule of `docs/jaggaer-resources.md`:
/// Σ line (quantity × unitPrice) + taxCharge1 + taxCharge2 + shippingCharge + handlingCharge
/// + Σ miscFee − discountAmount. `None` when an amount is not a number.
pub(crate) fn invoice_total(doc: &Value) -> Option<Decimal> {
    let h = &doc["header"];
    let mut sum = Decimal::ZERO;
    for line in doc["lineList"]["invoiceLine"]
        .as_array()
        .into_iter()
        .flatten()
    {
        sum += dec(&line["quantity"])? * dec(&line["unitPrice"])?;
    }
    for k in [
        "taxCharge1",
        "taxCharge2",
        "shippingCharge",
        "handlingCharge",
    ] {
        if !h[k].is_null() {
            sum += dec(&h[k])?;
        }
    }
    for fee in h["miscFeeList"]["miscFee"].as_array().into_iter().flatten() {
        sum += dec(&fee["fee"])?;
    }
    if !h["discountAmount"].is_null() {
        sum -= dec(&h["discountAmount"])?;
    }
    Some(sum)
}

// ---------------------------------------------------------------------------------------------
// The flt filter

/// A comparison operator of `flt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
    In,
}

/// One condition of a `flt` expression (`;` joins them with AND).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cond {
    pub(crate) field: String,
    pub(crate) op: Op,
    pub(crate) values: Vec<String>,
}

/// Parses `field==v;field>=v;field=in=(a,b)`. Operators: `==`, `!=`, `>=`, `<=`, `>`, `<`,
/// `=in=`, `=ge=`, `=le=`, `=gt=`, `=lt=`.
pub(crate) fn parse_flt(flt: &str) -> Result<Vec<Cond>, String> {
    let mut out = Vec::new();
    for part in flt.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let pos = part
            .find(['=', '!', '<', '>'])
            .ok_or_else(|| format!("flt condition `{part}` has no operator"))?;
        let field = part[..pos].trim();
        if field.is_empty() {
            return Err(format!("flt condition `{part}` has no field name"));
        }
        let rest = &part[pos..];
        let (op, value) = [
            ("=in=", Op::In),
            ("=ge=", Op::Ge),
            ("=le=", Op::Le),
            ("=gt=", Op::Gt),
            ("=lt=", Op::Lt),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("<=", Op::Le),
            (">", Op::Gt),
            ("<", Op::Lt),
        ]
        .iter()
        .find_map(|(tok, op)| rest.strip_prefix(tok).map(|v| (*op, v)))
        .ok_or_else(|| format!("flt condition `{part}` has an unknown operator"))?;
        let values = if op == Op::In {
            let inner = value
                .trim()
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .ok_or_else(|| format!("flt condition `{part}`: =in= needs (a,b,...)"))?;
            inner
                .split(',')
                .map(|v| unquote(v.trim()).to_owned())
                .collect()
        } else {
            vec![unquote(value.trim()).to_owned()]
        };
        out.push(Cond {
            field: field.to_owned(),
            op,
            values,
        });
    }
    Ok(out)
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v)
}

/// Looks a field up case-insensitively (J1P mixes `BRAVOID` and `bravoId`), dotted paths
/// (`supplier.id`) allowed.
pub(crate) fn lookup<'a>(obj: &'a Value, field: &str) -> Option<&'a Value> {
    let mut cur = obj;
    for seg in field.split('.') {
        let map = cur.as_object()?;
        cur = map.get(seg).or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(seg))
                .map(|(_, v)| v)
        })?;
    }
    Some(cur)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Compares two texts as timestamps, else as decimals, else as strings.
pub(crate) fn compare(actual: &str, wanted: &str) -> Ordering {
    if let (Ok(a), Ok(b)) = (Timestamp::from_str(actual), Timestamp::from_str(wanted)) {
        return a.cmp(&b);
    }
    if let (Ok(a), Ok(b)) = (Decimal::from_str(actual), Decimal::from_str(wanted)) {
        return a.cmp(&b);
    }
    actual.cmp(wanted)
}

/// Whether `ord` (actual vs wanted) satisfies `op`.
pub(crate) fn op_holds(op: Op, ord: Ordering) -> bool {
    match op {
        Op::Eq | Op::In => ord == Ordering::Equal,
        Op::Ne => ord != Ordering::Equal,
        Op::Ge => ord != Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::Lt => ord == Ordering::Less,
    }
}

/// Whether a record satisfies a condition; a missing field never matches (except `!=`).
pub(crate) fn cond_matches(cond: &Cond, record: &Value) -> bool {
    let Some(actual) = lookup(record, &cond.field).and_then(scalar_text) else {
        return cond.op == Op::Ne;
    };
    cond.values
        .iter()
        .any(|w| op_holds(cond.op, compare(&actual, w)))
}

// ---------------------------------------------------------------------------------------------
// Envelope

/// A J1P list page: the envelope plus the list under its resource-specific key.
pub(crate) fn envelope(total: usize, start: usize, list_key: &str, items: Value) -> Value {
    let returned = items
        .as_array()
        .map(Vec::len)
        .or_else(|| {
            items
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(Value::as_array)
                .map(Vec::len)
        })
        .unwrap_or(0);
    let mut v = json!({
        "returnCode": 0,
        "returnMessage": "OK",
        "totRecords": total,
        "returnedRecords": returned,
        "startAt": start,
    });
    v[list_key] = items;
    v
}

/// An application error: HTTP 200 with a non-zero `returnCode`.
pub(crate) fn app_error(code: Value, message: impl Into<String>) -> Value {
    json!({"returnCode": code, "returnMessage": message.into()})
}

// ---------------------------------------------------------------------------------------------
// Records

/// A stored invoice: its full document (`header` + `lineList`) and the index key.
#[derive(Debug, Clone)]
pub(crate) struct InvoiceRec {
    pub(crate) last_update_ms: i64,
    pub(crate) doc: Value,
}

/// A cXML order the inbox accepted (or recognised as a resend).
#[derive(Debug, Clone)]
pub(crate) struct CxmlRec {
    pub(crate) payload_id: String,
    pub(crate) order_id: String,
    pub(crate) kind: String,
    pub(crate) dtd: String,
    pub(crate) po_id: i64,
    pub(crate) received_ms: i64,
    pub(crate) resends: u32,
}

impl CxmlRec {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "payloadID": self.payload_id,
            "orderID": self.order_id,
            "type": self.kind,
            "dtdValidation": self.dtd,
            "poId": self.po_id,
            "received": iso_ms(self.received_ms),
            "resends": self.resends,
        })
    }
}

/// All simulated JAGGAER data.
pub(crate) struct Data {
    /// bravoId → `returnCompanyInfo` object.
    pub(crate) suppliers: BTreeMap<i64, Value>,
    pub(crate) supplier_by_ext: HashMap<String, i64>,
    pub(crate) next_bravo: i64,
    /// poId → `{"poId", "header", "lineList"}`.
    pub(crate) pos: BTreeMap<i64, Value>,
    pub(crate) po_by_number: HashMap<String, i64>,
    pub(crate) next_po: i64,
    /// field → value → `{"value", "description", "active"}` (listed in value order).
    pub(crate) values: BTreeMap<String, BTreeMap<String, Value>>,
    pub(crate) invoices: HashMap<i64, InvoiceRec>,
    /// (lastUpdate ms, invoiceId): the list order.
    pub(crate) invoice_index: BTreeSet<(i64, i64)>,
    pub(crate) next_invoice: i64,
    pub(crate) next_line: i64,
    pub(crate) next_doc_no: u64,
    pub(crate) cxml_by_payload: HashMap<String, usize>,
    pub(crate) cxml: Vec<CxmlRec>,
    /// The generator's random source (seeded).
    pub(crate) rng: StdRng,
    last_stamp: i64,
}

impl Data {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            suppliers: BTreeMap::new(),
            supplier_by_ext: HashMap::new(),
            next_bravo: 1001,
            pos: BTreeMap::new(),
            po_by_number: HashMap::new(),
            next_po: 5001,
            values: BTreeMap::new(),
            invoices: HashMap::new(),
            invoice_index: BTreeSet::new(),
            next_invoice: 90001,
            next_line: 1,
            next_doc_no: 1,
            cxml_by_payload: HashMap::new(),
            cxml: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
            last_stamp: 0,
        }
    }

    /// The current time in ms, never going backwards (so a later change always sorts later or
    /// equal; equal stamps are normal and the list breaks ties by invoiceId).
    pub(crate) fn stamp(&mut self) -> i64 {
        let now = Timestamp::now().as_millisecond();
        self.last_stamp = self.last_stamp.max(now);
        self.last_stamp
    }

    /// Stores (or replaces) an invoice and stamps `lastUpdate`.
    pub(crate) fn put_invoice(&mut self, id: i64, mut doc: Value, ms: i64) {
        if let Some(old) = self.invoices.get(&id) {
            self.invoice_index.remove(&(old.last_update_ms, id));
        }
        doc["header"]["invoiceId"] = json!(id);
        doc["header"]["lastUpdate"] = json!(iso_ms(ms));
        self.invoice_index.insert((ms, id));
        self.invoices.insert(
            id,
            InvoiceRec {
                last_update_ms: ms,
                doc,
            },
        );
    }

    /// Applies `f` to an invoice, then restamps it. `false` when unknown.
    pub(crate) fn touch_invoice(&mut self, id: i64, f: impl FnOnce(&mut Value)) -> bool {
        let Some(rec) = self.invoices.get(&id) else {
            return false;
        };
        let mut doc = rec.doc.clone();
        f(&mut doc);
        let ms = self.stamp();
        self.put_invoice(id, doc, ms);
        true
    }

    /// Active values of a custom-field list.
    pub(crate) fn active_values(&self, field: &str) -> Vec<Value> {
        self.values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, m)| {
                m.values()
                    .filter(|v| v["active"].as_bool() != Some(false) && v["active"] != "false")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flt_parses_operators_and_joins() {
        let c = parse_flt("lastUpdate>=2026-11-20T10:00:00.000Z;extCode==4242;x=in=(a,'b')")
            .expect("parses");
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].op, Op::Ge);
        assert_eq!(c[0].values, vec!["2026-11-20T10:00:00.000Z"]);
        assert_eq!(c[1].op, Op::Eq);
        assert_eq!(c[1].field, "extCode");
        assert_eq!(c[2].values, vec!["a", "b"]);
        assert!(parse_flt("nooperator").is_err());
    }

    #[test]
    fn comparison_uses_time_then_decimal_then_text() {
        assert_eq!(
            compare("2026-11-20T10:00:00.001Z", "2026-11-20T10:00:00Z"),
            Ordering::Greater
        );
        assert_eq!(compare("10.0", "10"), Ordering::Equal);
        assert_eq!(compare("9", "10"), Ordering::Less);
        let rec = json!({"BRAVOID": 7, "supplier": {"id": 3}});
        let c = &parse_flt("bravoId==7;supplier.id>=3").expect("parses");
        assert!(c.iter().all(|c| cond_matches(c, &rec)));
    }

    #[test]
    fn numbers_are_exact() {
        let d = Decimal::from_str("600.00").expect("decimal");
        assert_eq!(num(d).to_string(), "600.00");
        assert_eq!(dec(&num(d)), Some(d));
        assert_eq!(
            round_to(Decimal::from_str("2.5").expect("d"), 0).to_string(),
            "3"
        );
        assert_eq!(round_to(Decimal::from(5), 2).to_string(), "5.00");
        assert_eq!(iso_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        // Whole seconds keep their three digits: the wire format is fixed-width.
        assert_eq!(iso_ms(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
    }
}
