//! The data service query language: conditions with every AIS operator and special value,
//! `MATCH_ALL`/`MATCH_ANY`, nested `complexQuery` groups, `aggregation.orderBy`, and date
//! literals parsed with the requesting user's `simpleDateFormat`.

use std::cmp::Ordering;

use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::Value;

use super::datagen::ymd;
use super::table::{Cell, Kind, TableDef};

/// A request the simulator refuses, with the HTTP status AIS would use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rejection {
    pub(crate) status: u16,
    pub(crate) message: String,
}

pub(crate) fn bad(message: impl Into<String>) -> Rejection {
    Rejection {
        status: 400,
        message: message.into(),
    }
}

/// Who asks, for special values and date literals.
pub(crate) struct QueryCtx<'a> {
    pub(crate) username: &'a str,
    pub(crate) date_format: &'a str,
    pub(crate) today: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    List,
    StartsWith,
    EndsWith,
    Contains,
    Blank,
    NotBlank,
}

#[derive(Debug, Clone)]
pub(crate) enum Lit {
    Num(Decimal),
    Text(String),
}

/// A compiled condition tree.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    True,
    Leaf {
        col: usize,
        kind: Kind,
        op: Op,
        values: Vec<Lit>,
    },
    All(Vec<Expr>),
    Any(Vec<Expr>),
}

impl Expr {
    pub(crate) fn eval(&self, row: &[Cell]) -> bool {
        match self {
            Expr::True => true,
            Expr::All(v) => v.iter().all(|e| e.eval(row)),
            Expr::Any(v) => v.iter().any(|e| e.eval(row)),
            Expr::Leaf {
                col,
                kind,
                op,
                values,
            } => eval_leaf(&row[*col], *kind, *op, values),
        }
    }
}

fn is_text(kind: Kind) -> bool {
    matches!(kind, Kind::Str(_) | Kind::Bu)
}

fn cmp_lit(cell: &Cell, kind: Kind, lit: &Lit) -> Ordering {
    match lit {
        Lit::Num(n) => cell.as_dec().cmp(n),
        // JDE compares fixed-width values; the simulator stores them trimmed, so trim the
        // literal too (a business unit "200" matches the stored "         200").
        Lit::Text(t) if is_text(kind) => cell.as_str().cmp(t.trim()),
        Lit::Text(t) => cell_text(cell, kind).as_str().cmp(t.trim()),
    }
}

fn cell_text(cell: &Cell, kind: Kind) -> String {
    match cell {
        Cell::Str(s) => s.to_string(),
        Cell::Int(i) if kind == Kind::Date && *i == 0 => String::new(),
        Cell::Int(i) => i.to_string(),
        Cell::Dec(..) => cell.as_dec().normalize().to_string(),
    }
}

fn eval_leaf(cell: &Cell, kind: Kind, op: Op, values: &[Lit]) -> bool {
    let first = || values.first();
    match op {
        Op::Eq => first().is_some_and(|v| cmp_lit(cell, kind, v) == Ordering::Equal),
        Op::Ne => first().is_some_and(|v| cmp_lit(cell, kind, v) != Ordering::Equal),
        Op::Lt => first().is_some_and(|v| cmp_lit(cell, kind, v) == Ordering::Less),
        Op::Le => first().is_some_and(|v| cmp_lit(cell, kind, v) != Ordering::Greater),
        Op::Gt => first().is_some_and(|v| cmp_lit(cell, kind, v) == Ordering::Greater),
        Op::Ge => first().is_some_and(|v| cmp_lit(cell, kind, v) != Ordering::Less),
        Op::Between => {
            values.len() == 2
                && cmp_lit(cell, kind, &values[0]) != Ordering::Less
                && cmp_lit(cell, kind, &values[1]) != Ordering::Greater
        }
        Op::List => values
            .iter()
            .any(|v| cmp_lit(cell, kind, v) == Ordering::Equal),
        Op::StartsWith | Op::EndsWith | Op::Contains => {
            let text = cell_text(cell, kind);
            let Some(Lit::Text(pat)) = first() else {
                return false;
            };
            match op {
                Op::StartsWith => text.starts_with(pat.as_str()),
                Op::EndsWith => text.ends_with(pat.as_str()),
                _ => text.contains(pat.as_str()),
            }
        }
        Op::Blank => cell_text(cell, kind).trim().is_empty(),
        Op::NotBlank => !cell_text(cell, kind).trim().is_empty(),
    }
}

fn parse_op(s: &str) -> Result<Op, Rejection> {
    Ok(match s {
        "EQUAL" => Op::Eq,
        "NOT_EQUAL" => Op::Ne,
        "LESS" => Op::Lt,
        "LESS_EQUAL" => Op::Le,
        "GREATER" => Op::Gt,
        "GREATER_EQUAL" => Op::Ge,
        "BETWEEN" => Op::Between,
        "LIST" => Op::List,
        "STR_START_WITH" => Op::StartsWith,
        "STR_END_WITH" => Op::EndsWith,
        "STR_CONTAIN" => Op::Contains,
        "STR_BLANK" => Op::Blank,
        "STR_NOT_BLANK" => Op::NotBlank,
        other => return Err(bad(format!("Invalid operator '{other}'"))),
    })
}

/// Resolves `TABLE.ALIAS` (the data service's control id form) to a column index.
pub(crate) fn column(def: &TableDef, control_id: &str) -> Result<usize, Rejection> {
    let (table, alias) = control_id.split_once('.').ok_or_else(|| {
        bad(format!(
            "Invalid control id '{control_id}': expected TABLE.ALIAS"
        ))
    })?;
    if table != def.name {
        return Err(bad(format!(
            "Control id '{control_id}' does not belong to target {}",
            def.name
        )));
    }
    def.col(alias).ok_or_else(|| {
        bad(format!(
            "Invalid control id '{control_id}': {} has no column {alias}",
            def.name
        ))
    })
}

/// Compiles the `query` object of a data request.
pub(crate) fn compile(
    def: &TableDef,
    query: Option<&Value>,
    ctx: &QueryCtx<'_>,
) -> Result<Expr, Rejection> {
    let Some(q) = query.filter(|q| !q.is_null()) else {
        return Ok(Expr::True);
    };
    let q = q
        .as_object()
        .ok_or_else(|| bad("query must be an object"))?;
    let any = match q.get("matchType").and_then(Value::as_str) {
        None | Some("MATCH_ALL") => false,
        Some("MATCH_ANY") => true,
        Some(other) => return Err(bad(format!("Invalid matchType '{other}'"))),
    };
    let mut leaves = Vec::new();
    if let Some(conds) = q.get("condition") {
        let conds = conds
            .as_array()
            .ok_or_else(|| bad("query.condition must be an array"))?;
        for (i, c) in conds.iter().enumerate() {
            leaves.push(compile_leaf(def, c, ctx).map_err(|r| Rejection {
                status: r.status,
                message: format!("query.condition[{i}]: {}", r.message),
            })?);
        }
    }
    let mut expr = if leaves.is_empty() {
        None
    } else if any {
        Some(Expr::Any(leaves))
    } else {
        Some(Expr::All(leaves))
    };
    if let Some(cq) = q.get("complexQuery") {
        let cq = cq
            .as_array()
            .ok_or_else(|| bad("query.complexQuery must be an array"))?;
        for group in cq {
            let sub = compile(def, group.get("query"), ctx)?;
            let or = match group.get("andOr").and_then(Value::as_str) {
                None | Some("AND") => false,
                Some("OR") => true,
                Some(other) => return Err(bad(format!("Invalid andOr '{other}'"))),
            };
            expr = Some(match expr {
                None => sub,
                Some(prev) if or => Expr::Any(vec![prev, sub]),
                Some(prev) => Expr::All(vec![prev, sub]),
            });
        }
    }
    Ok(expr.unwrap_or(Expr::True))
}

fn compile_leaf(def: &TableDef, c: &Value, ctx: &QueryCtx<'_>) -> Result<Expr, Rejection> {
    let control = c
        .get("controlId")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("controlId missing"))?;
    let col = column(def, control)?;
    let kind = def.cols[col].1;
    let op = parse_op(
        c.get("operator")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("operator missing"))?,
    )?;
    let raw = match c.get("value") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(bad("value must be an array")),
    };
    let needed = match op {
        Op::Blank | Op::NotBlank => 0,
        Op::Between => 2,
        Op::List => usize::from(raw.is_empty()),
        _ => 1,
    };
    if (op == Op::Between && raw.len() != 2) || raw.len() < needed {
        return Err(bad(format!(
            "{control}: operator needs {needed} value(s), got {}",
            raw.len()
        )));
    }
    let text_op = matches!(op, Op::StartsWith | Op::EndsWith | Op::Contains);
    let mut values = Vec::with_capacity(raw.len());
    for v in &raw {
        let special = v
            .get("specialValueId")
            .and_then(Value::as_str)
            .unwrap_or("LITERAL");
        let content = match v.get("content") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        values.push(literal(control, kind, special, &content, text_op, ctx)?);
    }
    Ok(Expr::Leaf {
        col,
        kind,
        op,
        values,
    })
}

fn literal(
    control: &str,
    kind: Kind,
    special: &str,
    content: &str,
    text_op: bool,
    ctx: &QueryCtx<'_>,
) -> Result<Lit, Rejection> {
    let offset = || -> Result<i64, Rejection> {
        if content.trim().is_empty() {
            return Ok(0);
        }
        content.trim().parse::<i64>().map_err(|_| {
            bad(format!(
                "{control}: invalid offset '{content}' for {special}"
            ))
        })
    };
    let rel = |d: Option<Date>| -> Result<Lit, Rejection> {
        d.map(|d| Lit::Num(Decimal::from(ymd(d))))
            .ok_or_else(|| bad(format!("{control}: date out of range")))
    };
    let t = ctx.today;
    match special {
        "LITERAL" => {}
        "LOGIN_USER" => return Ok(Lit::Text(ctx.username.to_owned())),
        "TODAY" => return rel(Some(t)),
        "TODAY_PLUS_DAY" => return rel(t.checked_add(offset()?.days()).ok()),
        "TODAY_MINUS_DAY" => return rel(t.checked_sub(offset()?.days()).ok()),
        "TODAY_PLUS_MONTH" => return rel(t.checked_add(offset()?.months()).ok()),
        "TODAY_MINUS_MONTH" => return rel(t.checked_sub(offset()?.months()).ok()),
        "TODAY_PLUS_YEAR" => return rel(t.checked_add(offset()?.years()).ok()),
        "TODAY_MINUS_YEAR" => return rel(t.checked_sub(offset()?.years()).ok()),
        other => return Err(bad(format!("{control}: invalid specialValueId '{other}'"))),
    }
    if text_op || is_text(kind) {
        return Ok(Lit::Text(content.to_owned()));
    }
    match kind {
        Kind::Date => parse_date(ctx.date_format, content.trim())
            .map(|d| Lit::Num(Decimal::from(ymd(d))))
            .ok_or_else(|| {
                bad(format!(
                    "Invalid date '{content}' for {control}: expected the user's date format {}",
                    ctx.date_format
                ))
            }),
        _ => content
            .trim()
            .parse::<Decimal>()
            .map(Lit::Num)
            .map_err(|_| bad(format!("Invalid numeric value '{content}' for {control}"))),
    }
}

/// Parses `text` with a Java `SimpleDateFormat`-style pattern made of `yyyy`, `yy`, `MM`, `M`,
/// `dd`, `d` and literal separators. The whole text must match.
pub(crate) fn parse_date(pattern: &str, text: &str) -> Option<Date> {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut i, mut j) = (0, 0);
    let (mut y, mut m, mut d) = (None, None, None);
    while i < p.len() {
        let c = p[i];
        if matches!(c, 'y' | 'M' | 'd') {
            let mut run = 0;
            while i < p.len() && p[i] == c {
                run += 1;
                i += 1;
            }
            // Fixed width for doubled letters, 1–2 digits for single ones (`M/d/yyyy`).
            let (min, max) = match (c, run) {
                ('y', 2) => (2, 2),
                ('y', _) => (4, 4),
                (_, 1) => (1, 2),
                _ => (2, 2),
            };
            let start = j;
            while j < t.len() && j - start < max && t[j].is_ascii_digit() {
                j += 1;
            }
            if j - start < min {
                return None;
            }
            let n: i32 = t[start..j].iter().collect::<String>().parse().ok()?;
            match c {
                'y' if run == 2 => y = Some(2000 + n),
                'y' => y = Some(n),
                'M' => m = Some(n),
                _ => d = Some(n),
            }
        } else {
            if t.get(j) != Some(&c) {
                return None;
            }
            i += 1;
            j += 1;
        }
    }
    if j != t.len() {
        return None;
    }
    Date::new(
        i16::try_from(y?).ok()?,
        i8::try_from(m?).ok()?,
        i8::try_from(d?).ok()?,
    )
    .ok()
}

/// Sort keys from `aggregation.orderBy`.
pub(crate) fn order_by(def: &TableDef, req: &Value) -> Result<Vec<(usize, bool)>, Rejection> {
    let Some(list) = req.pointer("/aggregation/orderBy") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| bad("aggregation.orderBy must be an array"))?;
    list.iter()
        .map(|o| {
            let column = o
                .get("column")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("orderBy.column missing"))?;
            // Clients send either `F4301.UPMJ` or the bare alias.
            let col = if column.contains('.') {
                self::column(def, column)?
            } else {
                def.col(column)
                    .ok_or_else(|| bad(format!("Invalid orderBy column '{column}'")))?
            };
            let desc = match o.get("direction").and_then(Value::as_str) {
                None | Some("ASC") => false,
                Some("DESC") => true,
                Some(other) => return Err(bad(format!("Invalid orderBy direction '{other}'"))),
            };
            Ok((col, desc))
        })
        .collect()
}

/// Compares two rows on the sort keys.
pub(crate) fn compare_rows(
    def: &TableDef,
    keys: &[(usize, bool)],
    a: &[Cell],
    b: &[Cell],
) -> Ordering {
    for &(col, desc) in keys {
        let ord = match def.cols[col].1 {
            Kind::Str(_) | Kind::Bu => a[col].as_str().cmp(b[col].as_str()),
            Kind::Int | Kind::Date => a[col].as_int().cmp(&b[col].as_int()),
            Kind::Num | Kind::Line => a[col].as_dec().cmp(&b[col].as_dec()),
        };
        let ord = if desc { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_patterns() {
        let d = Date::new(2024, 3, 1).unwrap();
        assert_eq!(parse_date("MM/dd/yyyy", "03/01/2024"), Some(d));
        assert_eq!(parse_date("dd/MM/yyyy", "01/03/2024"), Some(d));
        assert_eq!(parse_date("dd.MM.yy", "01.03.24"), Some(d));
        assert_eq!(parse_date("M/d/yyyy", "3/1/2024"), Some(d));
        assert_eq!(parse_date("MM/dd/yyyy", "2024-03-01"), None);
        assert_eq!(
            parse_date("dd/MM/yyyy", "03/13/2024"),
            None,
            "month 13 is not a date"
        );
        assert_eq!(parse_date("MM/dd/yyyy", "03/01/2024x"), None);
    }
}
