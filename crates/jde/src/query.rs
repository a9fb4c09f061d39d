//! Data service query builder (reference §4.1–4.3): conditions with every AIS operator and
//! special value, `MATCH_ALL`/`MATCH_ANY`, nested `complexQuery` groups, `aggregation.orderBy`,
//! page size. Date literals are rendered with the logged-in user's `simpleDateFormat` at send
//! time, never with a hard-coded pattern.

use jiff::civil::Date;
use mlc_core::jdetime::format_simple_date;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::error::JdeError;

/// Comparison operators of the AIS query language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `EQUAL`
    Equal,
    /// `NOT_EQUAL`
    NotEqual,
    /// `LESS`
    Less,
    /// `LESS_EQUAL`
    LessEqual,
    /// `GREATER`
    Greater,
    /// `GREATER_EQUAL`
    GreaterEqual,
    /// `BETWEEN` (exactly two values)
    Between,
    /// `LIST` (one or more values)
    List,
    /// `STR_START_WITH`
    StartsWith,
    /// `STR_END_WITH`
    EndsWith,
    /// `STR_CONTAIN`
    Contains,
    /// `STR_BLANK` (no value)
    Blank,
    /// `STR_NOT_BLANK` (no value)
    NotBlank,
}

impl Op {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Equal => "EQUAL",
            Op::NotEqual => "NOT_EQUAL",
            Op::Less => "LESS",
            Op::LessEqual => "LESS_EQUAL",
            Op::Greater => "GREATER",
            Op::GreaterEqual => "GREATER_EQUAL",
            Op::Between => "BETWEEN",
            Op::List => "LIST",
            Op::StartsWith => "STR_START_WITH",
            Op::EndsWith => "STR_END_WITH",
            Op::Contains => "STR_CONTAIN",
            Op::Blank => "STR_BLANK",
            Op::NotBlank => "STR_NOT_BLANK",
        }
    }

    /// How many values the operator takes: `(min, max)`.
    fn arity(self) -> (usize, usize) {
        match self {
            Op::Blank | Op::NotBlank => (0, 0),
            Op::Between => (2, 2),
            Op::List => (1, usize::MAX),
            _ => (1, 1),
        }
    }
}

/// AIS relative values (`specialValueId`), resolved by the server against its own clock and
/// the session user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialValue {
    /// `TODAY`
    Today,
    /// `TODAY_PLUS_DAY` n
    TodayPlusDays(u32),
    /// `TODAY_MINUS_DAY` n
    TodayMinusDays(u32),
    /// `TODAY_PLUS_MONTH` n
    TodayPlusMonths(u32),
    /// `TODAY_MINUS_MONTH` n
    TodayMinusMonths(u32),
    /// `TODAY_PLUS_YEAR` n
    TodayPlusYears(u32),
    /// `TODAY_MINUS_YEAR` n
    TodayMinusYears(u32),
    /// `LOGIN_USER`
    LoginUser,
}

impl SpecialValue {
    fn wire(self) -> (&'static str, Option<u32>) {
        match self {
            SpecialValue::Today => ("TODAY", None),
            SpecialValue::TodayPlusDays(n) => ("TODAY_PLUS_DAY", Some(n)),
            SpecialValue::TodayMinusDays(n) => ("TODAY_MINUS_DAY", Some(n)),
            SpecialValue::TodayPlusMonths(n) => ("TODAY_PLUS_MONTH", Some(n)),
            SpecialValue::TodayMinusMonths(n) => ("TODAY_MINUS_MONTH", Some(n)),
            SpecialValue::TodayPlusYears(n) => ("TODAY_PLUS_YEAR", Some(n)),
            SpecialValue::TodayMinusYears(n) => ("TODAY_MINUS_YEAR", Some(n)),
            SpecialValue::LoginUser => ("LOGIN_USER", None),
        }
    }
}

/// A value in a condition. AIS wants every literal as a string; dates in the user's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// Text, sent as is.
    Text(String),
    /// Integer (address numbers, order numbers).
    Int(i64),
    /// Exact decimal, sent as plain text.
    Decimal(Decimal),
    /// A date, rendered with the session's `simpleDateFormat`.
    Date(Date),
    /// A server-side relative value.
    Special(SpecialValue),
}

impl From<&str> for Literal {
    fn from(s: &str) -> Self {
        Literal::Text(s.to_owned())
    }
}
impl From<String> for Literal {
    fn from(s: String) -> Self {
        Literal::Text(s)
    }
}
impl From<i64> for Literal {
    fn from(n: i64) -> Self {
        Literal::Int(n)
    }
}
impl From<Decimal> for Literal {
    fn from(d: Decimal) -> Self {
        Literal::Decimal(d)
    }
}
impl From<Date> for Literal {
    fn from(d: Date) -> Self {
        Literal::Date(d)
    }
}

impl Literal {
    fn to_json(&self, date_format: &str) -> Value {
        match self {
            Literal::Text(s) => json!({ "specialValueId": "LITERAL", "content": s }),
            Literal::Int(n) => json!({ "specialValueId": "LITERAL", "content": n.to_string() }),
            Literal::Decimal(d) => {
                json!({ "specialValueId": "LITERAL", "content": d.normalize().to_string() })
            }
            Literal::Date(d) => {
                json!({ "specialValueId": "LITERAL", "content": format_simple_date(*d, date_format) })
            }
            Literal::Special(s) => match s.wire() {
                (id, Some(n)) => json!({ "specialValueId": id, "content": n.to_string() }),
                (id, None) => json!({ "specialValueId": id }),
            },
        }
    }
}

/// One condition on one column (alias without table, e.g. `UPMJ`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    column: String,
    op: Op,
    values: Vec<Literal>,
}

impl Condition {
    /// A one-value condition (`EQUAL`, `GREATER_EQUAL`, `STR_START_WITH`...).
    pub fn new(column: &str, op: Op, value: impl Into<Literal>) -> Self {
        Self {
            column: column.to_owned(),
            op,
            values: vec![value.into()],
        }
    }
    /// Any operator with an explicit value list (validated when the query is sent).
    pub fn with_values(column: &str, op: Op, values: Vec<Literal>) -> Self {
        Self {
            column: column.to_owned(),
            op,
            values,
        }
    }
    /// `BETWEEN low AND high` (inclusive).
    pub fn between(column: &str, low: impl Into<Literal>, high: impl Into<Literal>) -> Self {
        Self::with_values(column, Op::Between, vec![low.into(), high.into()])
    }
    /// `LIST` (column in values).
    pub fn list<L: Into<Literal>>(column: &str, values: impl IntoIterator<Item = L>) -> Self {
        Self::with_values(
            column,
            Op::List,
            values.into_iter().map(Into::into).collect(),
        )
    }
    /// `STR_BLANK`.
    pub fn blank(column: &str) -> Self {
        Self::with_values(column, Op::Blank, vec![])
    }
    /// `STR_NOT_BLANK`.
    pub fn not_blank(column: &str) -> Self {
        Self::with_values(column, Op::NotBlank, vec![])
    }

    fn to_json(&self, table: &str, date_format: &str) -> Result<Value, JdeError> {
        let (min, max) = self.op.arity();
        if self.values.len() < min || self.values.len() > max {
            return Err(JdeError::Query {
                table: table.to_owned(),
                reason: format!(
                    "{} {} takes {} value(s), got {}",
                    self.column,
                    self.op.as_str(),
                    if min == max {
                        min.to_string()
                    } else {
                        format!("at least {min}")
                    },
                    self.values.len()
                ),
            });
        }
        let mut c = Map::new();
        c.insert(
            "controlId".into(),
            Value::String(format!("{table}.{}", self.column)),
        );
        c.insert("operator".into(), Value::String(self.op.as_str().into()));
        if max > 0 {
            c.insert(
                "value".into(),
                Value::Array(self.values.iter().map(|v| v.to_json(date_format)).collect()),
            );
        }
        Ok(Value::Object(c))
    }
}

/// `MATCH_ALL` (AND) or `MATCH_ANY` (OR) between the conditions of one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchType {
    /// AND
    #[default]
    All,
    /// OR
    Any,
}

/// How a nested group joins what precedes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AndOr {
    /// AND
    And,
    /// OR
    Or,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}
pub use Direction::{Asc, Desc};

/// A condition tree level: conditions joined by `match_type`, then nested groups.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// How the conditions of this level combine.
    pub match_type: MatchType,
    /// The conditions.
    pub conditions: Vec<Condition>,
    /// Nested groups (`complexQuery`), applied in order after the conditions.
    pub groups: Vec<(AndOr, Filter)>,
}

impl Filter {
    /// An empty `MATCH_ALL` filter.
    pub fn all() -> Self {
        Self::default()
    }
    /// An empty `MATCH_ANY` filter.
    pub fn any() -> Self {
        Self {
            match_type: MatchType::Any,
            ..Self::default()
        }
    }
    /// Adds a condition.
    pub fn condition(mut self, c: Condition) -> Self {
        self.conditions.push(c);
        self
    }
    /// Adds a nested group.
    pub fn group(mut self, join: AndOr, f: Filter) -> Self {
        self.groups.push((join, f));
        self
    }
    fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.groups.is_empty()
    }

    fn to_json(&self, table: &str, date_format: &str) -> Result<Value, JdeError> {
        let conditions = self
            .conditions
            .iter()
            .map(|c| c.to_json(table, date_format))
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = json!({
            "autoFind": true,
            "matchType": match self.match_type { MatchType::All => "MATCH_ALL", MatchType::Any => "MATCH_ANY" },
            "autoClear": false,
            "condition": conditions,
        });
        if !self.groups.is_empty() {
            let groups = self
                .groups
                .iter()
                .map(|(j, f)| {
                    Ok(json!({
                        "andOr": match j { AndOr::And => "AND", AndOr::Or => "OR" },
                        "query": f.to_json(table, date_format)?,
                    }))
                })
                .collect::<Result<Vec<_>, JdeError>>()?;
            q["complexQuery"] = Value::Array(groups);
        }
        Ok(q)
    }
}

/// Page size of a BROWSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSize {
    /// At most this many rows per page.
    Rows(u32),
    /// `"No Max"`: everything in one response (avoid on big tables).
    NoMax,
}

/// A BROWSE request on one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub(crate) table: String,
    pub(crate) columns: Vec<String>,
    pub(crate) filter: Filter,
    pub(crate) order: Vec<(String, Direction)>,
    pub(crate) page_size: PageSize,
}

impl Query {
    /// A query on `table` (e.g. `F4301`), all rows, page size 500.
    pub fn new(table: &str) -> Self {
        Self {
            table: table.to_owned(),
            columns: Vec::new(),
            filter: Filter::all(),
            order: Vec::new(),
            page_size: PageSize::Rows(500),
        }
    }
    /// Columns to return (aliases). Empty = the row type's columns.
    pub fn columns(mut self, cols: &[&str]) -> Self {
        self.columns = cols.iter().map(|c| (*c).to_owned()).collect();
        self
    }
    /// Adds a condition to the top level.
    pub fn condition(mut self, c: Condition) -> Self {
        self.filter.conditions.push(c);
        self
    }
    /// Top-level conditions are OR-ed (`MATCH_ANY`).
    pub fn match_any(mut self) -> Self {
        self.filter.match_type = MatchType::Any;
        self
    }
    /// Adds a nested `complexQuery` group.
    pub fn group(mut self, join: AndOr, f: Filter) -> Self {
        self.filter.groups.push((join, f));
        self
    }
    /// Replaces the whole filter.
    pub fn filter(mut self, f: Filter) -> Self {
        self.filter = f;
        self
    }
    /// Adds a sort column. Sorting on a unique key lets the client page by keyset when the
    /// server's result set expires or it gives no next links.
    pub fn order_by(mut self, column: &str, dir: Direction) -> Self {
        self.order.push((column.to_owned(), dir));
        self
    }
    /// Rows per page.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = PageSize::Rows(n.max(1));
        self
    }
    /// Everything in one response (`"No Max"`).
    pub fn no_max(mut self) -> Self {
        self.page_size = PageSize::NoMax;
        self
    }
    /// The target table.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The JSON body of `POST v2/dataservice`, with date literals in `date_format`.
    pub fn to_request(&self, date_format: &str) -> Result<Value, JdeError> {
        let t = &self.table;
        let mut cols: Vec<&str> = self.columns.iter().map(String::as_str).collect();
        // Sort columns must come back so the next keyset restart knows where it stopped.
        for (c, _) in &self.order {
            if !cols.is_empty() && !cols.contains(&c.as_str()) {
                cols.push(c);
            }
        }
        let mut body = json!({
            "targetName": t,
            "targetType": "table",
            "dataServiceType": "BROWSE",
            "findOnEntry": "TRUE",
            "outputType": "GRID_DATA",
            "enableNextPageProcessing": true,
            // <= 1000 ms: no background "data dripping" between our page calls.
            "nextPageTimeInterval": 1000,
            "maxPageSize": match self.page_size { PageSize::Rows(n) => n.to_string(), PageSize::NoMax => "No Max".into() },
        });
        if !cols.is_empty() {
            body["returnControlIDs"] = Value::String(
                cols.iter()
                    .map(|c| format!("{t}.{c}"))
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
        if !self.filter.is_empty() {
            body["query"] = self.filter.to_json(t, date_format)?;
        }
        if !self.order.is_empty() {
            let order: Vec<Value> = self
                .order
                .iter()
                .map(|(c, d)| {
                    json!({ "column": format!("{t}.{c}"), "direction": match d { Asc => "ASC", Desc => "DESC" } })
                })
                .collect();
            body["aggregation"] = json!({ "orderBy": order });
        }
        Ok(body)
    }

    /// The same query restricted to rows strictly after `last` in sort order:
    /// `(c1 > v1) OR (c1 = v1 AND c2 > v2) OR ...` (`<` for descending columns), AND-ed with
    /// the original filter. `last` holds one literal per sort column.
    pub(crate) fn after(&self, last: &[Literal]) -> Query {
        debug_assert_eq!(last.len(), self.order.len());
        let beyond = |i: usize| match self.order[i].1 {
            Asc => Op::Greater,
            Desc => Op::Less,
        };
        let mut keyset = Filter::any().condition(Condition::with_values(
            &self.order[0].0,
            beyond(0),
            vec![last[0].clone()],
        ));
        for i in 1..self.order.len() {
            let mut g = Filter::all();
            for (j, lit) in last.iter().enumerate().take(i) {
                g = g.condition(Condition::with_values(
                    &self.order[j].0,
                    Op::Equal,
                    vec![lit.clone()],
                ));
            }
            g = g.condition(Condition::with_values(
                &self.order[i].0,
                beyond(i),
                vec![last[i].clone()],
            ));
            keyset = keyset.group(AndOr::Or, g);
        }
        let filter = if self.filter.is_empty() {
            keyset
        } else {
            Filter::all()
                .group(AndOr::And, self.filter.clone())
                .group(AndOr::And, keyset)
        };
        Query {
            filter,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn request_body_matches_the_reference_shape() {
        let q = Query::new("F4301")
            .columns(&["DOCO", "KCOO"])
            .condition(Condition::new("UPMJ", Op::GreaterEqual, date(2024, 3, 1)))
            .condition(Condition::list("DCTO", ["OP", "OS"]))
            .condition(Condition::blank("HOLD"))
            .order_by("UPMJ", Asc)
            .page_size(250);
        let b = q.to_request("MM/dd/yyyy").unwrap();
        assert_eq!(b["targetName"], "F4301");
        assert_eq!(b["targetType"], "table");
        assert_eq!(b["dataServiceType"], "BROWSE");
        assert_eq!(b["returnControlIDs"], "F4301.DOCO|F4301.KCOO|F4301.UPMJ");
        assert_eq!(b["maxPageSize"], "250");
        assert_eq!(b["enableNextPageProcessing"], true);
        let c = &b["query"]["condition"];
        assert_eq!(c[0]["controlId"], "F4301.UPMJ");
        assert_eq!(c[0]["operator"], "GREATER_EQUAL");
        assert_eq!(c[0]["value"][0]["content"], "03/01/2024");
        assert_eq!(c[0]["value"][0]["specialValueId"], "LITERAL");
        assert_eq!(c[1]["value"].as_array().unwrap().len(), 2);
        assert!(c[2].get("value").is_none(), "STR_BLANK takes no value");
        assert_eq!(b["query"]["matchType"], "MATCH_ALL");
        assert_eq!(b["aggregation"]["orderBy"][0]["column"], "F4301.UPMJ");
        assert_eq!(b["aggregation"]["orderBy"][0]["direction"], "ASC");
    }

    #[test]
    fn date_literals_follow_the_user_format() {
        let q = Query::new("F0101").condition(Condition::new("UPMJ", Op::Equal, date(2026, 3, 7)));
        let b = q.to_request("dd/MM/yyyy").unwrap();
        assert_eq!(
            b["query"]["condition"][0]["value"][0]["content"],
            "07/03/2026"
        );
        let b = q.to_request("yyyy-MM-dd").unwrap();
        assert_eq!(
            b["query"]["condition"][0]["value"][0]["content"],
            "2026-03-07"
        );
    }

    #[test]
    fn arity_is_checked() {
        let q = Query::new("F0101").condition(Condition::with_values(
            "AN8",
            Op::Between,
            vec![1.into()],
        ));
        assert!(matches!(
            q.to_request("MM/dd/yyyy"),
            Err(JdeError::Query { .. })
        ));
        let q = Query::new("F0101").condition(Condition::with_values("AN8", Op::List, vec![]));
        assert!(q.to_request("MM/dd/yyyy").is_err());
    }

    #[test]
    fn special_values_and_every_operator_render() {
        let ops = [
            Op::Equal,
            Op::NotEqual,
            Op::Less,
            Op::LessEqual,
            Op::Greater,
            Op::GreaterEqual,
            Op::StartsWith,
            Op::EndsWith,
            Op::Contains,
        ];
        for op in ops {
            let b = Query::new("F0101")
                .condition(Condition::new("ALPH", op, "X"))
                .to_request("MM/dd/yyyy")
                .unwrap();
            assert_eq!(b["query"]["condition"][0]["operator"], op.as_str());
        }
        let b = Query::new("F4301")
            .condition(Condition::new(
                "UPMJ",
                Op::GreaterEqual,
                Literal::Special(SpecialValue::TodayMinusDays(7)),
            ))
            .condition(Condition::new(
                "USER",
                Op::Equal,
                Literal::Special(SpecialValue::LoginUser),
            ))
            .to_request("MM/dd/yyyy")
            .unwrap();
        let v = &b["query"]["condition"][0]["value"][0];
        assert_eq!(v["specialValueId"], "TODAY_MINUS_DAY");
        assert_eq!(v["content"], "7");
        assert_eq!(
            b["query"]["condition"][1]["value"][0]["specialValueId"],
            "LOGIN_USER"
        );
    }

    #[test]
    fn keyset_restart_condition() {
        let q = Query::new("F4301")
            .condition(Condition::new("DCTO", Op::Equal, "OP"))
            .order_by("UPMJ", Asc)
            .order_by("DOCO", Asc);
        let after = q.after(&[Literal::Date(date(2026, 1, 2)), Literal::Int(42)]);
        let b = after.to_request("MM/dd/yyyy").unwrap();
        let groups = &b["query"]["complexQuery"];
        assert_eq!(
            groups[0]["query"]["condition"][0]["controlId"],
            "F4301.DCTO"
        );
        let ks = &groups[1]["query"];
        assert_eq!(ks["matchType"], "MATCH_ANY");
        assert_eq!(ks["condition"][0]["operator"], "GREATER");
        assert_eq!(ks["condition"][0]["value"][0]["content"], "01/02/2026");
        let tie = &ks["complexQuery"][0];
        assert_eq!(tie["andOr"], "OR");
        assert_eq!(tie["query"]["condition"][0]["operator"], "EQUAL");
        assert_eq!(tie["query"]["condition"][1]["controlId"], "F4301.DOCO");
        assert_eq!(tie["query"]["condition"][1]["value"][0]["content"], "42");
    }
}
