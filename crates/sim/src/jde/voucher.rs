//! The voucher path: the `ML_AddVoucherBatch` orchestration, a table insert into
//! F0411Z1/F0911Z1 that refuses only what the database would (missing or duplicate key, a value
//! too long or of the wrong type), and a batch voucher processor like R04110ZA that validates
//! at processing time, batch by batch, turns good transactions into F0411/F0911 and leaves a
//! failed one at `EDSP = 0` with its reason in the Work Center of the row's `EDUS` (never in
//! `EDER`, which JDE ignores).

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::Value;

use super::config::DataSelection;
use super::datagen::{Stamp, date_of, round_to, ymd};
use super::table::{Cell, Db, Kind, Table, TableDef};

/// A business error as JDE reports it on a form: code, title, failing control, description.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FormError {
    pub(crate) code: &'static str,
    pub(crate) title: String,
    pub(crate) control: String,
    pub(crate) desc: String,
}

fn err(code: &'static str, title: &str, control: &str, desc: String) -> FormError {
    FormError {
        code,
        title: title.to_owned(),
        control: control.to_owned(),
        desc,
    }
}

/// Summary of one voucher transaction in the Z tables.
#[derive(Debug, Clone, PartialEq)]
pub struct VoucherSummary {
    /// EDI user id.
    pub edus: String,
    /// EDI batch number.
    pub edbt: String,
    /// EDI transaction number (the connector's voucher id).
    pub edtn: String,
    /// Supplier.
    pub an8: i64,
    /// Supplier invoice number.
    pub vinv: String,
    /// Gross amount as inserted.
    pub gross: Decimal,
    /// Transaction currency.
    pub currency: String,
    /// EDSP = 1.
    pub processed: bool,
    /// While unprocessed: the latest Work Center message a processor run left for this
    /// transaction (JDE never writes it into the Z row).
    pub error: Option<String>,
    /// Voucher number (F0411 DOC), once processed.
    pub doc: Option<i64>,
    /// Document type, once processed (`PV`).
    pub dct: Option<String>,
    /// JDE batch number (ICU), once processed.
    pub icu: Option<i64>,
}

/// What one run of the batch voucher processor did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessReport {
    /// Vouchers created (F0411 rows written).
    pub created: Vec<(String, i64)>,
    /// Vouchers left unprocessed (`EDSP = 0`), with the message sent to the Work Center:
    /// (EDTN, message).
    pub rejected: Vec<(String, String)>,
}

/// One message in the simulated Work Center (the employee queue of the `EDUS` user), as the
/// batch voucher processor sends it for a transaction it could not process.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkCenterMessage {
    /// Job number of the processor run; `None` for a run not launched through the report
    /// service (`process_vouchers()`, auto-processing).
    pub job_number: Option<i64>,
    /// EDI batch number of the failed transaction.
    pub edbt: String,
    /// EDI transaction number of the failed transaction.
    pub edtn: String,
    /// The error, e.g. `0012 Voucher does not balance: ...`.
    pub message: String,
    /// When the processor sent it.
    pub at: jiff::Timestamp,
}

pub(crate) fn get<'a>(t: &Table, row: &'a [Cell], alias: &str) -> &'a Cell {
    &row[t.def.c(alias)]
}

pub(crate) fn set(t: &mut Table, i: usize, alias: &str, cell: Cell) {
    let c = t.def.c(alias);
    t.rows[i][c] = cell;
}

/// Header and line inputs of an orchestration call, by name.
pub(crate) type Inputs = (HashMap<String, String>, Vec<HashMap<String, String>>);

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn name_values(list: Option<&Value>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for item in list.and_then(Value::as_array).into_iter().flatten() {
        if let (Some(n), Some(v)) = (
            item.get("name").and_then(Value::as_str),
            item.get("value").and_then(value_text),
        ) {
            out.insert(n.to_owned(), v);
        }
    }
    out
}

/// Reads the "JDE Standard" input format (`inputs` + `detailInputs[].repeatingInputs[]`), or the
/// "Generic" one (flat names, lines in a `GLDistribution` array of objects).
pub(crate) fn parse_inputs(body: &Value) -> Inputs {
    if body.get("inputs").is_some() || body.get("detailInputs").is_some() {
        let header = name_values(body.get("inputs"));
        let mut lines = Vec::new();
        for detail in body
            .get("detailInputs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for rep in detail
                .get("repeatingInputs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                lines.push(name_values(rep.get("inputs")));
            }
        }
        return (header, lines);
    }
    let mut header = HashMap::new();
    let mut lines = Vec::new();
    if let Some(obj) = body.as_object() {
        for (k, v) in obj {
            if k == "GLDistribution" {
                for line in v.as_array().into_iter().flatten() {
                    let map = line
                        .as_object()
                        .map(|o| {
                            o.iter()
                                .filter_map(|(k, v)| Some((k.clone(), value_text(v)?)))
                                .collect()
                        })
                        .unwrap_or_default();
                    lines.push(map);
                }
            } else if let Some(t) = value_text(v) {
                header.insert(k.clone(), t);
            }
        }
    }
    (header, lines)
}

/// Header inputs and the line inputs of each named detail (`GLDistribution`, `MatchLines`).
pub(crate) type NamedInputs = (
    HashMap<String, String>,
    BTreeMap<String, Vec<HashMap<String, String>>>,
);

/// Like [`parse_inputs`], but keeps the lines of each detail input apart by its `name` (JDE
/// Standard format) or by its key (Generic format: arrays of objects).
pub(crate) fn parse_named_inputs(body: &Value) -> NamedInputs {
    let mut details: BTreeMap<String, Vec<HashMap<String, String>>> = BTreeMap::new();
    if body.get("inputs").is_some() || body.get("detailInputs").is_some() {
        let header = name_values(body.get("inputs"));
        for detail in body
            .get("detailInputs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = detail
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let lines = details.entry(name).or_default();
            for rep in detail
                .get("repeatingInputs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                lines.push(name_values(rep.get("inputs")));
            }
        }
        return (header, details);
    }
    let mut header = HashMap::new();
    if let Some(obj) = body.as_object() {
        for (k, v) in obj {
            if let Some(items) = v.as_array() {
                let lines = details.entry(k.clone()).or_default();
                for line in items {
                    let map = line
                        .as_object()
                        .map(|o| {
                            o.iter()
                                .filter_map(|(k, v)| Some((k.clone(), value_text(v)?)))
                                .collect()
                        })
                        .unwrap_or_default();
                    lines.push(map);
                }
            } else if let Some(t) = value_text(v) {
                header.insert(k.clone(), t);
            }
        }
    }
    (header, details)
}

fn parse_iso_date(field: &str, s: &str) -> Result<i64, FormError> {
    let t = s.trim();
    let d = t.parse::<Date>().ok().or_else(|| {
        (t.len() == 8)
            .then(|| t.parse::<i64>().ok().and_then(date_of))
            .flatten()
    });
    d.map(ymd).ok_or_else(|| {
        err(
            "0004",
            "Invalid Date",
            field,
            format!("'{s}' is not a valid date for {field} (expected yyyy-MM-dd)"),
        )
    })
}

fn parse_amount(field: &str, s: &str) -> Result<Decimal, FormError> {
    s.trim().parse::<Decimal>().map_err(|_| {
        err(
            "0008",
            "Invalid Amount",
            field,
            format!("'{s}' is not a valid amount for {field}"),
        )
    })
}

/// Splits an account number in mode 2 (`BU.OBJ[.SUB]`).
pub(crate) fn split_ani(ani: &str) -> Option<(String, String, String)> {
    let mut parts = ani.trim().split('.');
    let bu = parts.next()?.trim().to_owned();
    let obj = parts.next()?.trim().to_owned();
    let sub = parts.next().unwrap_or("").trim().to_owned();
    if bu.is_empty() || obj.is_empty() || parts.next().is_some() {
        return None;
    }
    Some((bu, obj, sub))
}

pub(crate) fn bu_company(db: &Db, mcu: &str) -> Option<String> {
    let t = db.t("F0006");
    t.rows
        .iter()
        .find(|r| get(t, r, "MCU").as_str() == mcu)
        .map(|r| get(t, r, "CO").as_str().to_owned())
}

/// (AID, PEC) of an account.
pub(crate) fn account(db: &Db, mcu: &str, obj: &str, sub: &str) -> Option<(String, String)> {
    let t = db.t("F0901");
    t.rows
        .iter()
        .find(|r| {
            get(t, r, "MCU").as_str() == mcu
                && get(t, r, "OBJ").as_str() == obj
                && get(t, r, "SUB").as_str() == sub
        })
        .map(|r| {
            (
                get(t, r, "AID").as_str().to_owned(),
                get(t, r, "PEC").as_str().to_owned(),
            )
        })
}

/// Columns of a Z row the orchestration never takes from its inputs (keys and control
/// columns it sets itself, and what the processor writes back).
const NOT_INPUT: [&str; 10] = [
    "EDUS", "EDBT", "EDTN", "EDLN", "EDSP", "EDER", "DOC", "DCT", "ICU", "UPMJ",
];

/// Converts one input to a cell of a column, refusing what the database would: a value too
/// long for the column or not of its type.
fn to_cell(table: &str, alias: &str, kind: Kind, value: &str) -> Result<Cell, FormError> {
    let v = value.trim();
    let too_long = |max: usize| {
        err(
            "0009",
            "Value Too Long",
            alias,
            format!("{table}.{alias}: '{v}' exceeds {max} characters",),
        )
    };
    match kind {
        Kind::Str(max) => {
            if v.chars().count() > max {
                return Err(too_long(max));
            }
            Ok(Cell::s(v))
        }
        Kind::Bu => {
            if v.chars().count() > 12 {
                return Err(too_long(12));
            }
            Ok(Cell::s(v))
        }
        Kind::Int => v.parse::<i64>().map(Cell::Int).map_err(|_| {
            err(
                "0008",
                "Invalid Number",
                alias,
                format!("{table}.{alias}: '{v}' is not numeric"),
            )
        }),
        Kind::Num | Kind::Line => parse_amount(alias, v).map(Cell::d),
        Kind::Date => parse_iso_date(alias, v).map(Cell::Int),
    }
}

/// Inserts one voucher transaction into F0411Z1 (one pay item, `EDLN` 1) and F0911Z1 (one row
/// per distribution line) as a table-insert orchestration does: every input that names a
/// column is stored, `EDSP = 0`; refused are only a missing key (`EDUS`, `EDBT`, `EDTN`), a
/// duplicate `EDUS+EDBT+EDTN+EDLN`, and a value too long or not numeric. Nothing is inserted
/// when anything is refused. Returns the number of rows inserted.
pub(crate) fn insert(db: &mut Db, inputs: &Inputs, stamp: Stamp) -> Result<usize, FormError> {
    let (h, lines) = inputs;
    insert_transaction(db, h, lines, None, stamp)
}

/// The match orchestration: the same insert as [`insert`] for the header (plus `ATFLG = 1`,
/// the sent `ATRL`, `PSTE = 1`) and the `GLDistribution` lines, and one F0411Z1T row per
/// `MatchLines` item (at least one), keyed `EDUS+EDBT+EDTN+EDLN` too.
pub(crate) fn insert_match(
    db: &mut Db,
    inputs: &NamedInputs,
    stamp: Stamp,
) -> Result<usize, FormError> {
    let (h, details) = inputs;
    let gl = details.get("GLDistribution").cloned().unwrap_or_default();
    let matches = details.get("MatchLines").cloned().unwrap_or_default();
    if matches.is_empty() {
        return Err(err(
            "0001",
            "Required Input Missing",
            "MatchLines",
            "Detail input MatchLines needs at least one line (F0411Z1T)".into(),
        ));
    }
    insert_transaction(db, h, &gl, Some(&matches), stamp)
}

/// Columns the match orchestration sets itself on the F0411Z1 row.
const VMA_SET: [&str; 2] = ["ATFLG", "PSTE"];

/// One Z row to insert: its line number and the cells from its inputs.
type DetailRow = (Decimal, Vec<(&'static str, Cell)>);

/// Stored rows of one detail list: (EDLN, cells), refusing a duplicate line number.
fn detail_rows(
    table: &str,
    def: &'static TableDef,
    lines: &[HashMap<String, String>],
    edtn: &str,
) -> Result<Vec<DetailRow>, FormError> {
    let mut out: Vec<DetailRow> = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let lv = |k: &str| l.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        let edln = match lv("EDLN") {
            Some(v) => parse_amount("EDLN", v)?,
            None => Decimal::from(i as i64 + 1),
        };
        if out.iter().any(|(e, _)| *e == edln) {
            return Err(err(
                "0005",
                "Duplicate Key",
                "EDLN",
                format!("Line number {edln} appears twice in transaction {edtn} ({table})"),
            ));
        }
        let mut row: Vec<(&'static str, Cell)> = Vec::new();
        let mut names: Vec<&String> = l.keys().collect();
        names.sort();
        for name in names {
            let v = l[name].trim();
            if v.is_empty() || NOT_INPUT.contains(&name.as_str()) {
                continue;
            }
            if let Some(i) = def.col(name) {
                let (alias, kind, _) = def.cols[i];
                row.push((alias, to_cell(table, alias, kind, v)?));
            }
        }
        out.push((edln, row));
    }
    Ok(out)
}

fn insert_transaction(
    db: &mut Db,
    h: &HashMap<String, String>,
    lines: &[HashMap<String, String>],
    matches: Option<&[HashMap<String, String>]>,
    stamp: Stamp,
) -> Result<usize, FormError> {
    let hv = |k: &str| h.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    for r in ["EDUS", "EDBT", "EDTN"] {
        if hv(r).is_none() {
            return Err(err(
                "0001",
                "Required Input Missing",
                r,
                format!("Input {r} is required (key of F0411Z1)"),
            ));
        }
    }
    let zdef = db.t("F0411Z1").def;
    let ldef = db.t("F0911Z1").def;
    let tdef = db.t("F0411Z1T").def;
    let mut keys = Vec::new();
    for k in ["EDUS", "EDBT", "EDTN"] {
        let (_, kind, _) = zdef.cols[zdef.c(k)];
        keys.push(to_cell("F0411Z1", k, kind, hv(k).unwrap_or_default())?);
    }
    let (edus, edbt, edtn) = (
        keys[0].as_str().to_owned(),
        keys[1].as_str().to_owned(),
        keys[2].as_str().to_owned(),
    );
    let vma = matches.is_some();
    // Header: every input naming a column, sorted so the first error is deterministic.
    let mut header: Vec<(&str, Cell)> = Vec::new();
    let mut names: Vec<&String> = h.keys().collect();
    names.sort();
    for name in names {
        let v = h[name].trim();
        if v.is_empty()
            || NOT_INPUT.contains(&name.as_str())
            || (vma && VMA_SET.contains(&name.as_str()))
        {
            continue;
        }
        if let Some(i) = zdef.col(name) {
            let (alias, kind, _) = zdef.cols[i];
            header.push((alias, to_cell("F0411Z1", alias, kind, v)?));
        }
    }
    let hcell = |alias: &str| {
        header
            .iter()
            .find(|(a, _)| *a == alias)
            .map(|(_, c)| c.clone())
    };
    // Lines: the same rule; the orchestration also maps the header's DGJ, CRCD and company into
    // each row, and splits an account in mode 2 (BU.OBJ.SUB) into MCU/OBJ/SUB when it can.
    let mut z_lines = detail_rows("F0911Z1", ldef, lines, &edtn)?;
    for ((_, row), l) in z_lines.iter_mut().zip(lines) {
        let lv = |k: &str| l.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        if let Some((bu, obj, sub)) = lv("ANI").and_then(split_ani) {
            row.retain(|(a, _)| !matches!(*a, "MCU" | "OBJ" | "SUB"));
            for (alias, v) in [("MCU", bu), ("OBJ", obj), ("SUB", sub)] {
                let (_, kind, _) = ldef.cols[ldef.c(alias)];
                row.push((alias, to_cell("F0911Z1", alias, kind, &v)?));
            }
        }
        for (alias, from) in [("DGJ", "DGJ"), ("CRCD", "CRCD"), ("CO", "CO")] {
            if !row.iter().any(|(a, _)| *a == alias)
                && let Some(c) =
                    hcell(from).or_else(|| (alias == "CO").then(|| hcell("KCO")).flatten())
            {
                row.push((alias, c));
            }
        }
    }
    let t_lines = match matches {
        Some(m) => detail_rows("F0411Z1T", tdef, m, &edtn)?,
        None => Vec::new(),
    };

    let key_taken = |db: &Db, table: &str, edln: Decimal| {
        let t = db.t(table);
        t.rows.iter().any(|r| {
            get(t, r, "EDUS").as_str() == edus
                && get(t, r, "EDBT").as_str() == edbt
                && get(t, r, "EDTN").as_str() == edtn
                && get(t, r, "EDLN").as_dec() == edln
        })
    };
    if key_taken(db, "F0411Z1", Decimal::ONE)
        || z_lines.iter().any(|(e, _)| key_taken(db, "F0911Z1", *e))
        || t_lines.iter().any(|(e, _)| key_taken(db, "F0411Z1T", *e))
    {
        return Err(err(
            "0005",
            "Duplicate Key",
            "EDTN",
            format!("Record already exists for EDUS {edus}, EDBT {edbt}, EDTN {edtn}"),
        ));
    }

    let mut row = vec![
        ("EDUS", Cell::s(&edus)),
        ("EDBT", Cell::s(&edbt)),
        ("EDTN", Cell::s(&edtn)),
        ("EDLN", Cell::d(Decimal::ONE)),
        ("EDSP", Cell::s("0")),
        ("EDTC", Cell::s("A")),
        ("EDTR", Cell::s("V")),
    ];
    row.retain(|(a, _)| !header.iter().any(|(h, _)| h == a));
    row.extend(header.iter().cloned());
    if vma {
        row.push(("ATFLG", Cell::s("1")));
        row.push(("PSTE", Cell::s("1")));
    }
    row.push(("UPMJ", Cell::Int(stamp.date)));
    row.push(("UPMT", Cell::Int(stamp.time)));
    db.tm("F0411Z1").insert(row);
    let n = z_lines.len() + t_lines.len();
    for (edln, mut l) in z_lines {
        let mut row = vec![
            ("EDUS", Cell::s(&edus)),
            ("EDBT", Cell::s(&edbt)),
            ("EDTN", Cell::s(&edtn)),
            ("EDLN", Cell::d(edln)),
            ("EDSP", Cell::s("0")),
            ("AM", Cell::s("2")),
            ("LT", Cell::s("AA")),
        ];
        row.retain(|(a, _)| !l.iter().any(|(h, _)| h == a));
        row.append(&mut l);
        row.push(("UPMJ", Cell::Int(stamp.date)));
        row.push(("UPMT", Cell::Int(stamp.time)));
        db.tm("F0911Z1").insert(row);
    }
    for (edln, mut l) in t_lines {
        let mut row = vec![
            ("EDUS", Cell::s(&edus)),
            ("EDBT", Cell::s(&edbt)),
            ("EDTN", Cell::s(&edtn)),
            ("EDLN", Cell::d(edln)),
            ("SFXO", Cell::s("000")),
        ];
        row.retain(|(a, _)| !l.iter().any(|(h, _)| h == a));
        row.append(&mut l);
        row.push(("UPMJ", Cell::Int(stamp.date)));
        row.push(("UPMT", Cell::Int(stamp.time)));
        db.tm("F0411Z1T").insert(row);
    }
    Ok(1 + n)
}

fn exists_in(db: &Db, table: &str, alias: &str, value: &str) -> bool {
    let t = db.t(table);
    let c = t.def.c(alias);
    t.rows.iter().any(|r| match &r[c] {
        Cell::Str(s) => s.as_str() == value,
        other => value.parse::<i64>().is_ok_and(|v| other.as_int() == v),
    })
}

pub(crate) fn decimals_of(db: &Db, crcd: &str) -> Option<u32> {
    let t = db.t("F0013");
    t.rows
        .iter()
        .find(|r| get(t, r, "CRCD").as_str() == crcd)
        .map(|r| get(t, r, "CDEC").as_int() as u32)
}

pub(crate) fn company_currency(db: &Db, co: &str) -> Option<String> {
    let t = db.t("F0010");
    t.rows
        .iter()
        .find(|r| get(t, r, "CO").as_str() == co)
        .map(|r| get(t, r, "CRCD").as_str().to_owned())
}

/// (date pattern, A/P fiscal year begin, A/P current period) of a company from F0010
/// (`DTPN` blank = `R`; `APFJ`/`APPN` unset fall back to the G/L `DFYJ`/`PNC`).
fn company_calendar(db: &Db, co: &str) -> Option<(String, i64, i64)> {
    let t = db.t("F0010");
    let row = t.rows.iter().find(|r| get(t, r, "CO").as_str() == co)?;
    let dtpn = match get(t, row, "DTPN").as_str() {
        "" => "R".to_owned(),
        p => p.to_owned(),
    };
    let begin = match get(t, row, "APFJ").as_int() {
        0 => get(t, row, "DFYJ").as_int(),
        d => d,
    };
    let period = match get(t, row, "APPN").as_int() {
        0 => get(t, row, "PNC").as_int(),
        p => p,
    };
    Some((dtpn, begin, period.max(1)))
}

const PERIOD_ENDS: [&str; 14] = [
    "D01J", "D02J", "D03J", "D04J", "D05J", "D06J", "D07J", "D08J", "D09J", "D10J", "D11J", "D12J",
    "D13J", "D14J",
];

/// The 14 period ends of one F0008 year.
fn pattern_ends(db: &Db, dtpn: &str, begin: i64) -> Option<Vec<i64>> {
    let t = db.t("F0008");
    let row = t
        .rows
        .iter()
        .find(|r| get(t, r, "DTPN").as_str() == dtpn && get(t, r, "DFYJ").as_int() == begin)?;
    Some(
        PERIOD_ENDS
            .iter()
            .map(|a| get(t, row, a).as_int())
            .collect(),
    )
}

/// Whether a date falls in a fiscal year of the pattern (between its begin and last end).
fn in_defined_year(db: &Db, dtpn: &str, date: i64) -> bool {
    let t = db.t("F0008");
    t.rows.iter().any(|r| {
        get(t, r, "DTPN").as_str() == dtpn
            && get(t, r, "DFYJ").as_int() <= date
            && date <= get(t, r, "D14J").as_int()
    })
}

/// First day of the company's A/P current period: the day after the end of the previous
/// period in its F0008 date pattern year (the year's begin for period 1). G/L dates before it
/// are in a closed period.
pub(crate) fn first_open_day(db: &Db, co: &str) -> Option<Date> {
    let (dtpn, begin, period) = company_calendar(db, co)?;
    if period <= 1 {
        return date_of(begin);
    }
    let ends = pattern_ends(db, &dtpn, begin)?;
    let prev = ends[(period as usize - 2).min(13)];
    date_of(prev)?.tomorrow().ok()
}

/// F0015 rate from one currency to another on a date: the row with the latest effective date
/// on or before it (address number 0, i.e. not supplier-specific).
pub(crate) fn exchange_rate(db: &Db, from: &str, to: &str, on: i64) -> Option<Decimal> {
    if from == to {
        return Some(Decimal::ONE);
    }
    let t = db.t("F0015");
    t.rows
        .iter()
        .filter(|r| {
            get(t, r, "CRCD").as_str() == from
                && get(t, r, "CRDC").as_str() == to
                && get(t, r, "AN8").as_int() == 0
                && get(t, r, "EFT").as_int() <= on
        })
        .max_by_key(|r| get(t, r, "EFT").as_int())
        .map(|r| get(t, r, "CRR").as_dec())
        .filter(|r| !r.is_zero())
}

/// A Z line as the processor sees it (also a matched line of a match voucher, `idx` unused).
pub(crate) struct ZLine {
    pub(crate) idx: usize,
    pub(crate) edln: Decimal,
    pub(crate) ani: String,
    pub(crate) mcu: String,
    pub(crate) obj: String,
    pub(crate) sub: String,
    pub(crate) aa: Decimal,
    pub(crate) acr: Decimal,
    pub(crate) exa: String,
}

/// What the processor books for a transaction that passed every edit.
pub(crate) struct Plan {
    /// (AID, company) per line.
    accounts: Vec<(String, String)>,
    pst: String,
    ptc: String,
    ddj: i64,
    /// Rate from the transaction currency to the company's (1 when domestic).
    pub(crate) rate: Decimal,
    /// Decimals of the company's currency.
    pub(crate) dom_dec: u32,
}

/// Processor settings that come from JDE's setup rather than the row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setup {
    pub(crate) intercompany_settlements: bool,
}

/// Days of a payment terms code (`N30` → 30); 0 when it has no number.
fn terms_days(ptc: &str) -> i64 {
    let digits: String = ptc.chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// The R04110ZA edits of one transaction, in the order JDE reports them. `matched` is the
/// amount of a match voucher's invoice lines (R4304010): then the distribution lines may be
/// none and they balance with it.
pub(crate) fn check(
    db: &Db,
    z: &Table,
    row: &[Cell],
    lines: &[ZLine],
    setup: Setup,
    matched: Option<Decimal>,
) -> Result<Plan, String> {
    let s = |a: &str| get(z, row, a).as_str();
    let (edus, edtn) = (s("EDUS"), s("EDTN"));
    if !matches!(s("EDTC"), "A" | "") {
        return Err(format!(
            "0176 Transaction action {} invalid: only A (add) is processed",
            s("EDTC")
        ));
    }
    if let Some(doc) = db.vouchered.get(&(edus.to_owned(), edtn.to_owned())) {
        return Err(format!(
            "0159 Transaction {edtn} already exists as voucher {doc} (F0411)"
        ));
    }
    let an8 = get(z, row, "AN8").as_int();
    if an8 == 0 || !exists_in(db, "F0401", "AN8", &an8.to_string()) {
        return Err(format!(
            "0002 Address number {an8} is not set up in the Supplier Master (F0401)"
        ));
    }
    let (divj, dgj) = (get(z, row, "DIVJ").as_int(), get(z, row, "DGJ").as_int());
    if divj == 0 || dgj == 0 {
        return Err("0004 Invoice date and G/L date are required".into());
    }
    let kco = s("KCO");
    let Some(dom) = company_currency(db, kco) else {
        return Err(format!(
            "0010 Company {kco} is not set up in Company Constants (F0010)"
        ));
    };
    let crcd = s("CRCD");
    let cdec = decimals_of(db, crcd)
        .ok_or_else(|| format!("0011 Currency code {crcd} is not set up (F0013)"))?;
    let dom_dec = decimals_of(db, &dom).unwrap_or(2);
    let mcu = s("MCU");
    if !mcu.is_empty() && bu_company(db, mcu).is_none() {
        return Err(format!("0003 Business unit {mcu} is not set up (F0006)"));
    }
    if lines.is_empty() && matched.is_none() {
        return Err("0013 No G/L distribution lines for voucher".into());
    }
    let foreign = s("CRRM") == "F";
    let (gross, tax) = if foreign {
        (get(z, row, "ACR").as_dec(), get(z, row, "CTAM").as_dec())
    } else {
        (get(z, row, "AG").as_dec(), get(z, row, "STAM").as_dec())
    };
    let line_amt: fn(&ZLine) -> Decimal = if foreign { |l| l.acr } else { |l| l.aa };
    let too_fine = |d: Decimal| d.normalize().scale() > cdec;
    if too_fine(gross) || too_fine(tax) || lines.iter().any(|l| too_fine(line_amt(l))) {
        return Err(format!(
            "0078 Amount has more decimals than currency {crcd} allows ({cdec})"
        ));
    }
    let dist: Decimal = lines.iter().map(line_amt).sum::<Decimal>() + matched.unwrap_or_default();
    // When tax is handed to JDE (STAM/CTAM), the distribution covers the gross less the tax.
    if dist != gross - tax {
        return Err(format!(
            "0012 Voucher does not balance: distribution {dist} <> gross {gross} less tax {tax}"
        ));
    }
    let mut accounts = Vec::with_capacity(lines.len());
    for l in lines {
        let Some(co) = bu_company(db, &l.mcu) else {
            return Err(format!(
                "0003 Line {}: business unit {} of account {} is not set up (F0006)",
                l.edln.normalize(),
                l.mcu,
                l.ani
            ));
        };
        let (aid, pec) = account(db, &l.mcu, &l.obj, &l.sub).ok_or_else(|| {
            format!(
                "0006 Line {}: account {} is not set up in the Account Master (F0901)",
                l.edln.normalize(),
                l.ani
            )
        })?;
        if !pec.trim().is_empty() {
            return Err(format!(
                "0029 Account {} not postable (posting edit code {pec})",
                l.ani
            ));
        }
        if co != kco && !setup.intercompany_settlements {
            return Err(format!(
                "0036 Intercompany settlements not allowed: business unit {} belongs to company {co}, the voucher's company is {kco}",
                l.mcu
            ));
        }
        accounts.push((aid, co));
    }
    let (dtpn, _, _) = company_calendar(db, kco).unwrap_or_default();
    if !in_defined_year(db, &dtpn, dgj) {
        return Err(format!(
            "0047 G/L date {dgj} is not in a fiscal year of date pattern {dtpn} (F0008) for company {kco}"
        ));
    }
    if let Some(first) = first_open_day(db, kco)
        && dgj < ymd(first)
    {
        return Err(format!(
            "0045 G/L date {dgj} is in a closed period (PBCO): company {kco} is open from {}",
            ymd(first)
        ));
    }
    let vinv = s("VINV");
    let f0411 = db.t("F0411");
    if !vinv.is_empty()
        && f0411
            .rows
            .iter()
            .any(|r| get(f0411, r, "AN8").as_int() == an8 && get(f0411, r, "VINV").as_str() == vinv)
    {
        return Err(format!(
            "0091 Duplicate invoice number {vinv} for supplier {an8}"
        ));
    }
    let rate = if foreign {
        let sent = get(z, row, "CRR").as_dec();
        if sent.is_zero() {
            exchange_rate(db, crcd, &dom, dgj).ok_or_else(|| {
                format!("0022 Exchange rate not found for {crcd} to {dom} on {dgj} (F0015)")
            })?
        } else {
            sent
        }
    } else {
        Decimal::ONE
    };
    let f0401 = db.t("F0401");
    let supplier = f0401
        .rows
        .iter()
        .find(|r| get(f0401, r, "AN8").as_int() == an8);
    let on_hold = supplier.is_some_and(|r| !get(f0401, r, "HDPY").as_str().trim().is_empty());
    let pst = match s("PST") {
        "" if on_hold => "H".to_owned(),
        "" => "A".to_owned(),
        p => p.to_owned(),
    };
    let ptc = match s("PTC") {
        "" => supplier
            .map(|r| get(f0401, r, "TRAP").as_str().to_owned())
            .unwrap_or_default(),
        p => p.to_owned(),
    };
    let ddj = match get(z, row, "DDJ").as_int() {
        0 => date_of(divj)
            .and_then(|d| d.checked_add(jiff::Span::new().days(terms_days(&ptc))).ok())
            .map_or(divj, ymd),
        d => d,
    };
    Ok(Plan {
        accounts,
        pst,
        ptc,
        ddj,
        rate,
        dom_dec,
    })
}

/// The unprocessed transactions a data selection covers, by batch (`EDUS`+`EDBT`): F0411Z1
/// row indexes; `vma` picks the rows flagged for Voucher Match Automation (`ATFLG = 1`) or
/// the others.
pub(crate) fn pending_batches(
    db: &Db,
    sel: &DataSelection,
    vma: bool,
) -> BTreeMap<(String, String), Vec<usize>> {
    let mut batches: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    let z = db.t("F0411Z1");
    for (i, r) in z.rows.iter().enumerate() {
        let (u, b) = (get(z, r, "EDUS").as_str(), get(z, r, "EDBT").as_str());
        if get(z, r, "EDSP").as_str() != "1"
            && (get(z, r, "ATFLG").as_str() == "1") == vma
            && sel.covers(u, b)
        {
            batches
                .entry((u.to_owned(), b.to_owned()))
                .or_default()
                .push(i);
        }
    }
    batches
}

/// The F0911Z1 lines of one transaction, by line number.
pub(crate) fn z_lines(db: &Db, edus: &str, edbt: &str, edtn: &str) -> Vec<ZLine> {
    let t = db.t("F0911Z1");
    let mut v: Vec<ZLine> = t
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            get(t, r, "EDUS").as_str() == edus
                && get(t, r, "EDBT").as_str() == edbt
                && get(t, r, "EDTN").as_str() == edtn
        })
        .map(|(idx, r)| ZLine {
            idx,
            edln: get(t, r, "EDLN").as_dec(),
            ani: get(t, r, "ANI").as_str().to_owned(),
            mcu: get(t, r, "MCU").as_str().to_owned(),
            obj: get(t, r, "OBJ").as_str().to_owned(),
            sub: get(t, r, "SUB").as_str().to_owned(),
            aa: get(t, r, "AA").as_dec(),
            acr: get(t, r, "ACR").as_dec(),
            exa: get(t, r, "EXA").as_str().to_owned(),
        })
        .collect();
    v.sort_by_key(|l| l.edln);
    v
}

/// Sends a processor's message for a transaction it could not process to the Work Center of
/// its `EDUS` and records the rejection.
#[allow(clippy::too_many_arguments)]
pub(crate) fn reject(
    db: &mut Db,
    report: &mut ProcessReport,
    edus: &str,
    edbt: &str,
    edtn: &str,
    job: Option<i64>,
    message: String,
    at: jiff::Timestamp,
) {
    db.work_center
        .entry(edus.to_owned())
        .or_default()
        .push(WorkCenterMessage {
            job_number: job,
            edbt: edbt.to_owned(),
            edtn: edtn.to_owned(),
            message: message.clone(),
            at,
        });
    report.rejected.push((edtn.to_owned(), message));
}

/// A booked voucher.
pub(crate) struct Booked {
    pub(crate) doc: i64,
    pub(crate) kco: String,
    pub(crate) dgj: i64,
    pub(crate) vinv: String,
}

/// Books a transaction that passed every edit as R04110ZA does: one F0411 pay item, one F0911
/// line per distribution line and then per `extra` line (the matched lines of a match voucher,
/// with their (AID, company)), the Z rows marked processed with `DOC`/`DCT`/`ICU` written back.
#[allow(clippy::too_many_arguments)]
pub(crate) fn book(
    db: &mut Db,
    zi: usize,
    lines: &[ZLine],
    plan: &Plan,
    extra: &[(ZLine, (String, String))],
    icu: &mut Option<i64>,
    stamp: Stamp,
) -> Booked {
    let row = db.t("F0411Z1").rows[zi].clone();
    let zdef: &'static TableDef = db.t("F0411Z1").def;
    let key = |alias: &str| row[zdef.c(alias)].as_str().to_owned();
    let icu = *icu.get_or_insert_with(|| {
        db.next_icu += 1;
        db.next_icu
    });
    db.next_doc += 1;
    let doc = db.next_doc;
    let c = |alias: &str| row[zdef.c(alias)].clone();
    let crcd = key("CRCD");
    let kco = key("KCO");
    let co = match key("CO").as_str() {
        "" => kco.clone(),
        co => co.to_owned(),
    };
    let foreign = key("CRRM") == "F";
    let dom = |amount: Decimal| round_to(amount * plan.rate, plan.dom_dec);
    let ag = if foreign {
        dom(c("ACR").as_dec())
    } else {
        round_to(c("AG").as_dec(), plan.dom_dec)
    };
    let stam = if foreign {
        dom(c("CTAM").as_dec())
    } else {
        c("STAM").as_dec()
    };
    let all: Vec<(&ZLine, &(String, String))> = lines
        .iter()
        .zip(&plan.accounts)
        .chain(extra.iter().map(|(l, a)| (l, a)))
        .collect();
    let header_mcu = if key("MCU").is_empty() {
        all.first().map(|(l, _)| l.mcu.clone()).unwrap_or_default()
    } else {
        key("MCU")
    };
    let vinv = key("VINV");
    let an8 = c("AN8").as_int();
    let crrm = if key("CRRM").is_empty() {
        "D".to_owned()
    } else {
        key("CRRM")
    };
    db.tm("F0411").insert(vec![
        ("KCO", Cell::s(&kco)),
        ("DOC", Cell::Int(doc)),
        ("DCT", Cell::s("PV")),
        ("SFX", Cell::s("001")),
        ("AN8", Cell::Int(an8)),
        ("PYE", Cell::Int(an8)),
        ("VINV", Cell::s(&vinv)),
        ("DIVJ", c("DIVJ")),
        ("DGJ", c("DGJ")),
        ("DDJ", Cell::Int(plan.ddj)),
        ("PTC", Cell::s(&plan.ptc)),
        ("ADSC", c("ADSC")),
        ("ICU", Cell::Int(icu)),
        ("ICUT", Cell::s("V")),
        ("CO", Cell::s(&co)),
        ("PST", Cell::s(&plan.pst)),
        ("AG", Cell::d(ag)),
        ("AAP", Cell::d(ag)),
        ("STAM", Cell::d(stam)),
        ("CRRM", Cell::s(&crrm)),
        ("CRCD", Cell::s(&crcd)),
        (
            "CRR",
            Cell::d(if foreign { plan.rate } else { Decimal::ZERO }),
        ),
        ("ACR", c("ACR")),
        ("MCU", Cell::s(&header_mcu)),
        ("RMK", c("RMK")),
        ("PO", c("PO")),
        ("PDCT", c("PDCT")),
        ("PKCO", c("PKCO")),
        ("UPMJ", Cell::Int(stamp.date)),
        ("UPMT", Cell::Int(stamp.time)),
    ]);
    for (n, (l, (aid, line_co))) in all.iter().enumerate() {
        let aa = if foreign && l.aa.is_zero() {
            dom(l.acr)
        } else {
            round_to(l.aa, plan.dom_dec)
        };
        db.tm("F0911").insert(vec![
            ("KCO", Cell::s(&kco)),
            ("DOC", Cell::Int(doc)),
            ("DCT", Cell::s("PV")),
            ("DGJ", c("DGJ")),
            ("JELN", Cell::d(Decimal::from(n as i64 + 1))),
            ("LT", Cell::s("AA")),
            ("CO", Cell::s(line_co)),
            ("ANI", Cell::s(&l.ani)),
            ("AID", Cell::s(aid)),
            ("MCU", Cell::s(&l.mcu)),
            ("OBJ", Cell::s(&l.obj)),
            ("SUB", Cell::s(&l.sub)),
            ("AA", Cell::d(aa)),
            ("ACR", Cell::d(l.acr)),
            ("EXA", Cell::s(&l.exa)),
            ("CRCD", Cell::s(&crcd)),
            ("ICU", Cell::Int(icu)),
            ("AN8", Cell::Int(an8)),
            ("VINV", Cell::s(&vinv)),
            ("UPMJ", Cell::Int(stamp.date)),
            ("UPMT", Cell::Int(stamp.time)),
        ]);
    }
    let z = db.tm("F0411Z1");
    set(z, zi, "EDSP", Cell::s("1"));
    set(z, zi, "DOC", Cell::Int(doc));
    set(z, zi, "DCT", Cell::s("PV"));
    set(z, zi, "ICU", Cell::Int(icu));
    let zl = db.tm("F0911Z1");
    for l in lines {
        set(zl, l.idx, "EDSP", Cell::s("1"));
    }
    db.vouchered.insert((key("EDUS"), key("EDTN")), doc);
    Booked {
        doc,
        kco,
        dgj: c("DGJ").as_int(),
        vinv,
    }
}

/// Runs the batch voucher processor over the unprocessed F0411Z1 rows its data selection
/// covers, batch (`EDUS`+`EDBT`) by batch. A transaction that fails an edit stays at
/// `EDSP = 0` and its reason goes to the Work Center of its `EDUS`. Rows flagged for Voucher
/// Match Automation (`ATFLG = 1`) are left to R4304010.
pub(crate) fn process(
    db: &mut Db,
    sel: &DataSelection,
    job: Option<i64>,
    setup: Setup,
    stamp: Stamp,
) -> ProcessReport {
    let mut report = ProcessReport::default();
    let at = jiff::Timestamp::now();
    for ((edus, edbt), rows) in pending_batches(db, sel, false) {
        let mut icu = None;
        for zi in rows {
            let row = db.t("F0411Z1").rows[zi].clone();
            let edtn = get(db.t("F0411Z1"), &row, "EDTN").as_str().to_owned();
            let lines = z_lines(db, &edus, &edbt, &edtn);
            match check(db, db.t("F0411Z1"), &row, &lines, setup, None) {
                Ok(plan) => {
                    let b = book(db, zi, &lines, &plan, &[], &mut icu, stamp);
                    report.created.push((edtn, b.doc));
                }
                Err(message) => reject(db, &mut report, &edus, &edbt, &edtn, job, message, at),
            }
        }
    }
    report
}

/// Summaries of every voucher transaction in F0411Z1.
pub(crate) fn summaries(db: &Db) -> Vec<VoucherSummary> {
    let z = db.t("F0411Z1");
    z.rows
        .iter()
        .map(|r| {
            let s = |a: &str| get(z, r, a).as_str().to_owned();
            let processed = s("EDSP") == "1";
            let doc = get(z, r, "DOC").as_int();
            let (edus, edbt, edtn) = (s("EDUS"), s("EDBT"), s("EDTN"));
            let error = if processed {
                None
            } else {
                db.work_center.get(&edus).and_then(|msgs| {
                    msgs.iter()
                        .rev()
                        .find(|m| m.edbt == edbt && m.edtn == edtn)
                        .map(|m| m.message.clone())
                })
            };
            VoucherSummary {
                edus,
                edbt,
                edtn,
                an8: get(z, r, "AN8").as_int(),
                vinv: s("VINV"),
                gross: get(z, r, "AG").as_dec(),
                currency: s("CRCD"),
                processed,
                error,
                doc: (doc != 0).then_some(doc),
                dct: Some(s("DCT")).filter(|d| !d.is_empty()),
                icu: Some(get(z, r, "ICU").as_int()).filter(|i| *i != 0),
            }
        })
        .collect()
}

/// Deletes the unprocessed rows of one Z batch (AP deleting a batch in P0411Z1). Returns the
/// number of rows removed.
pub(crate) fn delete_batch(db: &mut Db, edus: &str, edbt: &str) -> usize {
    let mut removed = 0;
    for name in ["F0411Z1", "F0911Z1"] {
        let t = db.tm(name);
        let (u, b, sp) = (t.def.c("EDUS"), t.def.c("EDBT"), t.def.c("EDSP"));
        let before = t.rows.len();
        t.rows
            .retain(|r| !(r[u].as_str() == edus && r[b].as_str() == edbt && r[sp].as_str() != "1"));
        removed += before - t.rows.len();
    }
    removed + drop_orphan_match_lines(db)
}

/// Deletes F0411Z1T rows whose F0411Z1 transaction is gone (deleted or purged with it).
fn drop_orphan_match_lines(db: &mut Db) -> usize {
    let z = db.t("F0411Z1");
    let live: std::collections::HashSet<(String, String, String)> = z
        .rows
        .iter()
        .map(|r| {
            (
                get(z, r, "EDUS").as_str().to_owned(),
                get(z, r, "EDBT").as_str().to_owned(),
                get(z, r, "EDTN").as_str().to_owned(),
            )
        })
        .collect();
    let t = db.tm("F0411Z1T");
    let (u, b, n) = (t.def.c("EDUS"), t.def.c("EDBT"), t.def.c("EDTN"));
    let before = t.rows.len();
    t.rows.retain(|r| {
        live.contains(&(
            r[u].as_str().to_owned(),
            r[b].as_str().to_owned(),
            r[n].as_str().to_owned(),
        ))
    });
    before - t.rows.len()
}

/// Deletes processed Z rows (`EDSP = 1`) of F0411Z1 and F0911Z1, of one `EDUS` or all, like
/// the Z-file purge R0411Z1P. Returns the number of rows removed.
pub(crate) fn purge_processed(db: &mut Db, edus: Option<&str>) -> usize {
    let mut removed = 0;
    for name in ["F0411Z1", "F0911Z1"] {
        let t = db.tm(name);
        let (u, sp) = (t.def.c("EDUS"), t.def.c("EDSP"));
        let before = t.rows.len();
        t.rows
            .retain(|r| !(r[sp].as_str() == "1" && edus.is_none_or(|e| r[u].as_str() == e)));
        removed += before - t.rows.len();
    }
    removed + drop_orphan_match_lines(db)
}

/// Changes the amount of one F0911 line by hand (a journal correction). Returns whether the
/// line existed.
pub(crate) fn edit_f0911_amount(
    db: &mut Db,
    kco: &str,
    doc: i64,
    dct: &str,
    jeln: Decimal,
    aa: Decimal,
    stamp: Stamp,
) -> bool {
    let t = db.tm("F0911");
    let (k, d, ty, j, a, upmj, upmt) = (
        t.def.c("KCO"),
        t.def.c("DOC"),
        t.def.c("DCT"),
        t.def.c("JELN"),
        t.def.c("AA"),
        t.def.c("UPMJ"),
        t.def.c("UPMT"),
    );
    for r in &mut t.rows {
        if r[k].as_str() == kco
            && r[d].as_int() == doc
            && r[ty].as_str() == dct
            && r[j].as_dec() == jeln
        {
            r[a] = Cell::d(aa);
            r[upmj] = Cell::Int(stamp.date);
            r[upmt] = Cell::Int(stamp.time);
            return true;
        }
    }
    false
}
