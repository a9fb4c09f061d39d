//! The voucher path: the `ML_AddVoucherBatch` orchestration that writes F0411Z1/F0911Z1 rows
//! (validating what interactive entry would check at insert time), and a batch voucher
//! processor like R04110ZA that turns unprocessed Z rows into F0411/F0911 or leaves an error
//! in EDER.

use std::collections::{BTreeMap, HashMap};

use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::Value;

use super::datagen::{Stamp, date_of, round_to, ymd};
use super::table::{Cell, Db, Table, TableDef};

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
    /// EDER, when the processor rejected the voucher.
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
    /// Vouchers left unprocessed, with the error written to EDER: (EDTN, error).
    pub rejected: Vec<(String, String)>,
}

fn get<'a>(t: &Table, row: &'a [Cell], alias: &str) -> &'a Cell {
    &row[t.def.c(alias)]
}

fn set(t: &mut Table, i: usize, alias: &str, cell: Cell) {
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
fn split_ani(ani: &str) -> Option<(String, String, String)> {
    let mut parts = ani.trim().split('.');
    let bu = parts.next()?.trim().to_owned();
    let obj = parts.next()?.trim().to_owned();
    let sub = parts.next().unwrap_or("").trim().to_owned();
    if bu.is_empty() || obj.is_empty() || parts.next().is_some() {
        return None;
    }
    Some((bu, obj, sub))
}

fn bu_company(db: &Db, mcu: &str) -> Option<String> {
    let t = db.t("F0006");
    t.rows
        .iter()
        .find(|r| get(t, r, "MCU").as_str() == mcu)
        .map(|r| get(t, r, "CO").as_str().to_owned())
}

/// (AID, PEC) of an account.
fn account(db: &Db, mcu: &str, obj: &str, sub: &str) -> Option<(String, String)> {
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

fn exists_in(db: &Db, table: &str, alias: &str, value: &Cell) -> bool {
    let t = db.t(table);
    let c = t.def.c(alias);
    t.rows.iter().any(|r| {
        &r[c] == value || (matches!(value, Cell::Str(_)) && r[c].as_str() == value.as_str())
    })
}

/// Validates and inserts one voucher transaction into F0411Z1 + F0911Z1. Returns the number
/// of rows inserted.
pub(crate) fn insert(db: &mut Db, inputs: &Inputs, stamp: Stamp) -> Result<usize, FormError> {
    let (h, lines) = inputs;
    let hv = |k: &str| h.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let crrm = hv("CRRM").unwrap_or("D").to_owned();
    let foreign = crrm == "F";
    let mut required = vec![
        "EDUS", "EDBT", "EDTN", "AN8", "VINV", "DIVJ", "DGJ", "KCO", "CRCD",
    ];
    required.push(if foreign { "ACR" } else { "AG" });
    for r in required {
        if hv(r).is_none() {
            return Err(err(
                "0001",
                "Required Input Missing",
                r,
                format!("Input {r} is required"),
            ));
        }
    }
    let req = |k: &str| hv(k).unwrap_or_default().to_owned();
    if lines.is_empty() {
        return Err(err(
            "0001",
            "Required Input Missing",
            "GLDistribution",
            "At least one G/L distribution line is required".into(),
        ));
    }
    let (edus, edbt, edtn) = (req("EDUS"), req("EDBT"), req("EDTN"));
    for (name, v, max) in [
        ("EDUS", &edus, 10),
        ("EDBT", &edbt, 15),
        ("EDTN", &edtn, 22),
        ("VINV", &req("VINV"), 25),
    ] {
        if v.chars().count() > max {
            return Err(err(
                "0009",
                "Value Too Long",
                name,
                format!("{name} '{v}' exceeds {max} characters"),
            ));
        }
    }
    let an8: i64 = req("AN8").parse().map_err(|_| {
        err(
            "0002",
            "Address Number Invalid",
            "AN8",
            format!("Address number '{}' is not numeric", req("AN8")),
        )
    })?;
    if !exists_in(db, "F0401", "AN8", &Cell::Int(an8)) {
        return Err(err(
            "0002",
            "Address Number Invalid",
            "AN8",
            format!("Address number {an8} is not set up in the Supplier Master (F0401)"),
        ));
    }
    let kco = req("KCO");
    if !exists_in(db, "F0010", "CO", &Cell::s(&kco)) {
        return Err(err(
            "0010",
            "Company Invalid",
            "KCO",
            format!("Company {kco} is not set up in Company Constants (F0010)"),
        ));
    }
    let crcd = req("CRCD");
    if !exists_in(db, "F0013", "CRCD", &Cell::s(&crcd)) {
        return Err(err(
            "0011",
            "Currency Code Invalid",
            "CRCD",
            format!("Currency code {crcd} is not set up (F0013)"),
        ));
    }
    let divj = parse_iso_date("DIVJ", &req("DIVJ"))?;
    let dgj = parse_iso_date("DGJ", &req("DGJ"))?;
    let amount = |k: &str| -> Result<Option<Decimal>, FormError> {
        hv(k).map(|v| parse_amount(k, v)).transpose()
    };
    let (ag, acr, stam, ctam, crr) = (
        amount("AG")?,
        amount("ACR")?,
        amount("STAM")?,
        amount("CTAM")?,
        amount("CRR")?,
    );
    let mcu = hv("MCU").map(str::to_owned);
    if let Some(m) = &mcu
        && bu_company(db, m).is_none()
    {
        return Err(err(
            "0003",
            "Business Unit Invalid",
            "MCU",
            format!("Business unit {m} is not set up (F0006)"),
        ));
    }

    // Lines first (all or nothing: nothing is inserted if any line is wrong).
    let mut z_lines = Vec::with_capacity(lines.len());
    let mut seen_edln = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let lv = |k: &str| l.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        let edln = lv("EDLN")
            .map(|v| parse_amount("EDLN", v))
            .transpose()?
            .unwrap_or(Decimal::from(i as i64 + 1));
        if seen_edln.contains(&edln) {
            return Err(err(
                "0005",
                "Duplicate Key",
                "EDLN",
                format!("Line number {edln} appears twice in transaction {edtn}"),
            ));
        }
        seen_edln.push(edln);
        let ani = lv("ANI").ok_or_else(|| {
            err(
                "0001",
                "Required Input Missing",
                "ANI",
                format!("Line {edln}: account number (ANI) is required"),
            )
        })?;
        let (bu, obj, sub) = split_ani(ani).ok_or_else(|| {
            err(
                "0006",
                "Account Number Invalid",
                "ANI",
                format!("Line {edln}: '{ani}' is not a BU.OBJ.SUB account number"),
            )
        })?;
        if bu_company(db, &bu).is_none() {
            return Err(err(
                "0003",
                "Business Unit Invalid",
                "ANI",
                format!("Line {edln}: business unit {bu} of account {ani} is not set up (F0006)"),
            ));
        }
        if let Some(m) = lv("MCU")
            && bu_company(db, m).is_none()
        {
            return Err(err(
                "0003",
                "Business Unit Invalid",
                "MCU",
                format!("Line {edln}: business unit {m} is not set up (F0006)"),
            ));
        }
        if account(db, &bu, &obj, &sub).is_none() {
            return Err(err(
                "0006",
                "Account Number Invalid",
                "ANI",
                format!("Line {edln}: account {ani} is not set up in the Account Master (F0901)"),
            ));
        }
        let aa = lv("AA").map(|v| parse_amount("AA", v)).transpose()?;
        let lacr = lv("ACR").map(|v| parse_amount("ACR", v)).transpose()?;
        if (!foreign && aa.is_none()) || (foreign && lacr.is_none() && aa.is_none()) {
            return Err(err(
                "0001",
                "Required Input Missing",
                "AA",
                format!("Line {edln}: amount is required"),
            ));
        }
        z_lines.push((
            edln,
            ani.to_owned(),
            bu,
            obj,
            sub,
            aa,
            lacr,
            lv("EXA").unwrap_or("").to_owned(),
        ));
    }

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
        || z_lines.iter().any(|l| key_taken(db, "F0911Z1", l.0))
    {
        return Err(err(
            "0005",
            "Duplicate Key",
            "EDTN",
            format!("Record already exists for EDUS {edus}, EDBT {edbt}, EDTN {edtn}"),
        ));
    }

    let opt = |d: Option<Decimal>| Cell::d(d.unwrap_or_default());
    let co = hv("CO").unwrap_or(&kco).to_owned();
    db.tm("F0411Z1").insert(vec![
        ("EDUS", Cell::s(&edus)),
        ("EDBT", Cell::s(&edbt)),
        ("EDTN", Cell::s(&edtn)),
        ("EDLN", Cell::d(Decimal::ONE)),
        ("EDSP", Cell::s("0")),
        ("EDTC", Cell::s("A")),
        ("EDTR", Cell::s("V")),
        ("AN8", Cell::Int(an8)),
        ("VINV", Cell::s(&req("VINV"))),
        ("DIVJ", Cell::Int(divj)),
        ("DGJ", Cell::Int(dgj)),
        ("KCO", Cell::s(&kco)),
        ("CO", Cell::s(&co)),
        ("AG", opt(ag)),
        ("STAM", opt(stam)),
        ("CTAM", opt(ctam)),
        ("TXA1", Cell::s(hv("TXA1").unwrap_or(""))),
        ("EXR1", Cell::s(hv("EXR1").unwrap_or(""))),
        ("ACR", opt(acr)),
        ("CRR", opt(crr)),
        ("CRCD", Cell::s(&crcd)),
        ("CRRM", Cell::s(&crrm)),
        ("MCU", Cell::s(mcu.as_deref().unwrap_or(""))),
        ("RMK", Cell::s(hv("RMK").unwrap_or(""))),
        ("PO", Cell::s(hv("PO").unwrap_or(""))),
        ("PDCT", Cell::s(hv("PDCT").unwrap_or(""))),
        ("PKCO", Cell::s(hv("PKCO").unwrap_or(""))),
        ("UPMJ", Cell::Int(stamp.date)),
        ("UPMT", Cell::Int(stamp.time)),
    ]);
    let n = z_lines.len();
    for (edln, ani, bu, obj, sub, aa, lacr, exa) in z_lines {
        db.tm("F0911Z1").insert(vec![
            ("EDUS", Cell::s(&edus)),
            ("EDBT", Cell::s(&edbt)),
            ("EDTN", Cell::s(&edtn)),
            ("EDLN", Cell::d(edln)),
            ("EDSP", Cell::s("0")),
            ("CO", Cell::s(&co)),
            ("DGJ", Cell::Int(dgj)),
            ("ANI", Cell::s(&ani)),
            ("AM", Cell::s("2")),
            ("MCU", Cell::s(&bu)),
            ("OBJ", Cell::s(&obj)),
            ("SUB", Cell::s(&sub)),
            ("LT", Cell::s("AA")),
            ("AA", opt(aa)),
            ("ACR", opt(lacr)),
            ("EXA", Cell::s(&exa)),
            ("CRCD", Cell::s(&crcd)),
            ("UPMJ", Cell::Int(stamp.date)),
            ("UPMT", Cell::Int(stamp.time)),
        ]);
    }
    Ok(1 + n)
}

fn decimals_of(db: &Db, crcd: &str) -> Option<u32> {
    let t = db.t("F0013");
    t.rows
        .iter()
        .find(|r| get(t, r, "CRCD").as_str() == crcd)
        .map(|r| get(t, r, "CDEC").as_int() as u32)
}

/// First day of the first open period of a company (F0010 DFYJ + PNC − 1 months).
pub(crate) fn first_open_day(db: &Db, co: &str) -> Option<Date> {
    let t = db.t("F0010");
    let row = t.rows.iter().find(|r| get(t, r, "CO").as_str() == co)?;
    let dfyj = date_of(get(t, row, "DFYJ").as_int())?;
    let pnc = get(t, row, "PNC").as_int().max(1);
    dfyj.checked_add((pnc - 1).months()).ok()
}

/// A Z line as the processor sees it.
struct ZLine {
    idx: usize,
    edln: Decimal,
    ani: String,
    mcu: String,
    obj: String,
    sub: String,
    aa: Decimal,
    acr: Decimal,
    exa: String,
}

/// Checks one voucher; `Ok` carries (AID per line, pay status).
fn check(
    db: &Db,
    z: &Table,
    row: &[Cell],
    lines: &[ZLine],
) -> Result<(Vec<String>, &'static str), String> {
    let kco = get(z, row, "KCO").as_str();
    let crcd = get(z, row, "CRCD").as_str();
    let foreign = get(z, row, "CRRM").as_str() == "F";
    let an8 = get(z, row, "AN8").as_int();
    let vinv = get(z, row, "VINV").as_str();
    let cdec = decimals_of(db, crcd).ok_or_else(|| format!("0011 Currency code {crcd} invalid"))?;
    if lines.is_empty() {
        return Err("0013 No G/L distribution lines for voucher".into());
    }
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
    let dist: Decimal = lines.iter().map(line_amt).sum();
    // When tax is handed to JDE (STAM/CTAM), the distribution covers the gross less the tax.
    if dist != gross - tax {
        return Err(format!(
            "0012 Voucher does not balance: distribution {dist} <> gross {gross} less tax {tax}"
        ));
    }
    let mut aids = Vec::with_capacity(lines.len());
    for l in lines {
        let (aid, pec) = account(db, &l.mcu, &l.obj, &l.sub)
            .ok_or_else(|| format!("0006 Account {} invalid", l.ani))?;
        if !pec.trim().is_empty() {
            return Err(format!(
                "0029 Account {} not postable (posting edit code {pec})",
                l.ani
            ));
        }
        let co = bu_company(db, &l.mcu).unwrap_or_default();
        if co != kco {
            return Err(format!(
                "0036 Business unit {} belongs to company {co}, not voucher company {kco}",
                l.mcu
            ));
        }
        aids.push(aid);
    }
    let dgj = get(z, row, "DGJ").as_int();
    if let Some(first) = first_open_day(db, kco)
        && dgj < ymd(first)
    {
        return Err(format!(
            "0045 G/L date {dgj} is in a closed period (PBCO): company {kco} is open from {}",
            ymd(first)
        ));
    }
    let f0411 = db.t("F0411");
    if f0411
        .rows
        .iter()
        .any(|r| get(f0411, r, "AN8").as_int() == an8 && get(f0411, r, "VINV").as_str() == vinv)
    {
        return Err(format!(
            "0091 Duplicate invoice number {vinv} for supplier {an8}"
        ));
    }
    let f0401 = db.t("F0401");
    let on_hold = f0401
        .rows
        .iter()
        .find(|r| get(f0401, r, "AN8").as_int() == an8)
        .is_some_and(|r| !get(f0401, r, "HDPY").as_str().trim().is_empty());
    Ok((aids, if on_hold { "H" } else { "A" }))
}

/// Runs the batch voucher processor over every unprocessed F0411Z1 row.
pub(crate) fn process(db: &mut Db, stamp: Stamp) -> ProcessReport {
    let mut report = ProcessReport::default();
    let pending: Vec<usize> = {
        let z = db.t("F0411Z1");
        (0..z.rows.len())
            .filter(|&i| get(z, &z.rows[i], "EDSP").as_str() != "1")
            .collect()
    };
    let mut batches: BTreeMap<(String, String), i64> = BTreeMap::new();
    for zi in pending {
        let row = db.t("F0411Z1").rows[zi].clone();
        let zdef: &'static TableDef = db.t("F0411Z1").def;
        let key = |alias: &str| row[zdef.c(alias)].as_str().to_owned();
        let (edus, edbt, edtn) = (key("EDUS"), key("EDBT"), key("EDTN"));
        let lines: Vec<ZLine> = {
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
        };
        match check(db, db.t("F0411Z1"), &row, &lines) {
            Err(e) => {
                let e: String = e.chars().take(80).collect();
                let z = db.tm("F0411Z1");
                set(z, zi, "EDER", Cell::s(&e));
                set(z, zi, "EDSP", Cell::s("0"));
                report.rejected.push((edtn, e));
            }
            Ok((aids, pst)) => {
                let icu = *batches
                    .entry((edus.clone(), edbt.clone()))
                    .or_insert_with(|| {
                        db.next_icu += 1;
                        db.next_icu
                    });
                db.next_doc += 1;
                let doc = db.next_doc;
                let c = |alias: &str| row[zdef.c(alias)].clone();
                let crcd = key("CRCD");
                let kco = key("KCO");
                let cdec = decimals_of(db, &crcd).unwrap_or(2);
                let foreign = key("CRRM") == "F";
                let crr = c("CRR").as_dec();
                let ag = if foreign {
                    round_to(c("ACR").as_dec() * crr, cdec)
                } else {
                    round_to(c("AG").as_dec(), cdec)
                };
                let header_mcu = if key("MCU").is_empty() {
                    lines[0].mcu.clone()
                } else {
                    key("MCU")
                };
                let vinv = key("VINV");
                let an8 = c("AN8").as_int();
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
                    ("ICU", Cell::Int(icu)),
                    ("ICUT", Cell::s("V")),
                    ("CO", c("CO")),
                    ("PST", Cell::s(pst)),
                    ("AG", Cell::d(ag)),
                    ("AAP", Cell::d(ag)),
                    ("STAM", Cell::d(round_to(c("STAM").as_dec(), cdec))),
                    ("CRRM", c("CRRM")),
                    ("CRCD", Cell::s(&crcd)),
                    ("CRR", c("CRR")),
                    ("ACR", Cell::d(round_to(c("ACR").as_dec(), cdec))),
                    ("MCU", Cell::s(&header_mcu)),
                    ("RMK", c("RMK")),
                    ("PO", c("PO")),
                    ("PDCT", c("PDCT")),
                    ("PKCO", c("PKCO")),
                    ("UPMJ", Cell::Int(stamp.date)),
                    ("UPMT", Cell::Int(stamp.time)),
                ]);
                for (n, (l, aid)) in lines.iter().zip(&aids).enumerate() {
                    let aa = if foreign && l.aa.is_zero() {
                        round_to(l.acr * crr, cdec)
                    } else {
                        round_to(l.aa, cdec)
                    };
                    db.tm("F0911").insert(vec![
                        ("KCO", Cell::s(&kco)),
                        ("DOC", Cell::Int(doc)),
                        ("DCT", Cell::s("PV")),
                        ("DGJ", c("DGJ")),
                        ("JELN", Cell::d(Decimal::from(n as i64 + 1))),
                        ("LT", Cell::s("AA")),
                        ("CO", c("CO")),
                        ("ANI", Cell::s(&l.ani)),
                        ("AID", Cell::s(aid)),
                        ("MCU", Cell::s(&l.mcu)),
                        ("OBJ", Cell::s(&l.obj)),
                        ("SUB", Cell::s(&l.sub)),
                        ("AA", Cell::d(aa)),
                        ("ACR", Cell::d(round_to(l.acr, cdec))),
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
                set(z, zi, "EDER", Cell::s(""));
                set(z, zi, "DOC", Cell::Int(doc));
                set(z, zi, "DCT", Cell::s("PV"));
                set(z, zi, "ICU", Cell::Int(icu));
                let zl = db.tm("F0911Z1");
                for l in &lines {
                    set(zl, l.idx, "EDSP", Cell::s("1"));
                }
                report.created.push((edtn, doc));
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
            VoucherSummary {
                edus: s("EDUS"),
                edbt: s("EDBT"),
                edtn: s("EDTN"),
                an8: get(z, r, "AN8").as_int(),
                vinv: s("VINV"),
                gross: get(z, r, "AG").as_dec(),
                currency: s("CRCD"),
                processed,
                error: Some(s("EDER")).filter(|e| !e.is_empty()),
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
    removed
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
