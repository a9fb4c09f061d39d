//! JDE supplier (F0401 + F0101 + F0116 + F01151) → JAGGAER supplier profile: every field rule,
//! from the JDE rows to the JAGGAER-side model [`SupplierOut`] with every default applied.
//!
//! | JAGGAER `companyInfo` | JDE source |
//! |---|---|
//! | `extCode` | F0401.AN8 |
//! | `companyName` | F0101.ALPH; blank → quarantine |
//! | `fiscalCode` | F0101.TAX |
//! | `type` | constant `SELLER` |
//! | `isoCountry` | F0116.CTR (latest EFTB ≤ today) |
//! | `address` | F0116.ADD1..ADD4, non-blank ones joined with `, ` |
//! | `city` / `zip` | F0116.CTY1 / F0116.ADDZ |
//! | `email` | F01151.EMAL, the first of type `E` (or blank type) |
//! | `status` | `INACTIVE` when the `inactive_suppliers` rule matches (a F0101/F0401 column holding one of the configured values; default: never), else `ACTIVE`. A payment hold (F0401.HDPY) is not inactive: AP holds payment, buyers may still order |
//!
//! Blank text fields are omitted from the J1P request.
use jiff::civil::Date;
use mlc_core::ids::AddressNumber;
use mlc_core::jdetime::{JdeStamp, TimeOfDay};
use mlc_core::model::Supplier;
use mlc_jde::{F0101Row, F0116Row, F0401Row, F01151Row};
use serde::Serialize;

use super::MappingError;

/// JAGGAER company type of every supplier we send.
pub const COMPANY_TYPE: &str = "SELLER";

/// What we send for a supplier. Its fingerprint is what the ledger compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplierOut {
    /// JDE AN8.
    pub ext_code: String,
    /// Name.
    pub company_name: String,
    /// Tax id.
    pub fiscal_code: String,
    /// ISO country.
    pub iso_country: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// E-mail.
    pub email: Option<String>,
    /// Active in JAGGAER.
    pub active: bool,
    /// JAGGAER company type, [`COMPANY_TYPE`]. A constant, so not part of the fingerprint.
    #[serde(skip)]
    pub company_type: &'static str,
}

/// The address in effect on `today`: the row with the latest EFTB not after it (a blank EFTB
/// counts as always in effect).
pub fn current_address<'a>(
    rows: impl IntoIterator<Item = &'a F0116Row>,
    today: Date,
) -> Option<&'a F0116Row> {
    let mut best: Option<&F0116Row> = None;
    for r in rows {
        if r.eftb.is_none_or(|d| d <= today) && best.is_none_or(|cur| cur.eftb <= r.eftb) {
            best = Some(r);
        }
    }
    best
}

/// The supplier's e-mail: the first F01151 row of type `E` (or blank type) with an address.
pub fn email<'a>(rows: impl IntoIterator<Item = &'a F01151Row>) -> Option<String> {
    rows.into_iter()
        .find(|r| r.etp.trim().eq_ignore_ascii_case("E") || r.etp.trim().is_empty())
        .map(|r| r.emal.trim().to_owned())
        .filter(|m| !m.is_empty())
}

/// The street address: the non-blank address lines, joined with `, `.
pub fn address_lines(lines: [&str; 4]) -> String {
    lines
        .into_iter()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table of an [`InactiveRule`]'s column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleTable {
    /// F0101 Address Book Master.
    F0101,
    /// F0401 Supplier Master.
    F0401,
}

impl RuleTable {
    /// The table's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::F0101 => "F0101",
            Self::F0401 => "F0401",
        }
    }
}

/// `[tenants.mapping] inactive_suppliers = { column, values }`: a supplier is INACTIVE in
/// JAGGAER when `column` (of F0101 or F0401) holds one of `values` (compared trimmed, case
/// sensitive as JDE stores them). No values (the default): every supplier is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InactiveRule {
    /// Table of the column.
    pub table: RuleTable,
    /// Column alias (`AT1`).
    pub column: String,
    /// Values that mean closed, trimmed.
    pub values: Vec<String>,
}

impl Default for InactiveRule {
    fn default() -> Self {
        Self {
            table: RuleTable::F0101,
            column: "AT1".into(),
            values: Vec::new(),
        }
    }
}

impl InactiveRule {
    /// Parses `column` (`AT1` or `F0101.AT1`: F0101; `F0401.CMGR`: F0401) and `values`.
    /// An alias is 1–10 ASCII letters and digits.
    pub fn parse(column: &str, values: &[String]) -> Result<Self, String> {
        let c = column.trim().to_ascii_uppercase();
        let (table, alias) = match c.split_once('.') {
            None => (RuleTable::F0101, c.as_str()),
            Some(("F0101", a)) => (RuleTable::F0101, a),
            Some(("F0401", a)) => (RuleTable::F0401, a),
            Some((t, _)) => {
                return Err(format!(
                    "column {column:?}: table {t} is neither F0101 nor F0401"
                ));
            }
        };
        if alias.is_empty() || alias.len() > 10 || !alias.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(format!("column {column:?} is not a JDE column alias"));
        }
        Ok(Self {
            table,
            column: alias.to_owned(),
            values: values.iter().map(|v| v.trim().to_owned()).collect(),
        })
    }

    /// The column to request from `table` besides the row type's own, when the rule is in
    /// force and reads a column of that table.
    pub fn extra_column(&self, table: RuleTable) -> Option<&str> {
        (self.table == table && !self.values.is_empty()).then_some(self.column.as_str())
    }

    /// Whether a supplier is active, from its rows as JDE returned them (`<TABLE>_<ALIAS>`
    /// keys). A missing row or column reads as blank; a number is compared by its text.
    pub fn is_active(&self, f0401: &serde_json::Value, f0101: Option<&serde_json::Value>) -> bool {
        if self.values.is_empty() {
            return true;
        }
        let row = match self.table {
            RuleTable::F0401 => Some(f0401),
            RuleTable::F0101 => f0101,
        };
        let key = format!("{}_{}", self.table.name(), self.column);
        let value = match row.and_then(|r| r.get(&key)) {
            Some(serde_json::Value::String(s)) => s.trim().to_owned(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        !self.values.contains(&value)
    }
}

/// A supplier from its JDE rows: F0401, its F0101 row, its F0116 rows (every effective date)
/// and its F01151 rows (in `IDLN, RCK7` order); `active` from [`InactiveRule::is_active`]
/// (a payment hold, F0401.HDPY, does not make a supplier inactive).
pub fn supplier_from_jde<'a>(
    s: &F0401Row,
    ab: Option<&F0101Row>,
    addresses: impl IntoIterator<Item = &'a F0116Row>,
    emails: impl IntoIterator<Item = &'a F01151Row>,
    today: Date,
    active: bool,
) -> Supplier {
    let addresses: Vec<&F0116Row> = addresses.into_iter().collect();
    let emails: Vec<&F01151Row> = emails.into_iter().collect();
    let ad = current_address(addresses.iter().copied(), today);
    let text = |f: fn(&F0116Row) -> &str| ad.map(|a| f(a).trim().to_owned()).unwrap_or_default();
    // The latest stamp of every row: an address-only or e-mail-only change is a new version.
    let updated = [s.updated, ab.and_then(|a| a.updated)]
        .into_iter()
        .chain(addresses.iter().map(|a| a.updated))
        .chain(emails.iter().map(|e| e.updated))
        .flatten()
        .max()
        .unwrap_or_else(|| JdeStamp::new(Date::constant(1900, 1, 1), TimeOfDay::MIDNIGHT));
    Supplier {
        an8: AddressNumber(s.an8.max(0) as u64),
        name: ab.map(|a| a.alph.trim().to_owned()).unwrap_or_default(),
        tax_id: ab.map(|a| a.tax.trim().to_owned()).unwrap_or_default(),
        address: ad
            .map(|a| address_lines([&a.add1, &a.add2, &a.add3, &a.add4]))
            .unwrap_or_default(),
        city: text(|a| &a.cty1),
        postal_code: text(|a| &a.addz),
        country: text(|a| &a.ctr),
        email: email(emails.iter().copied()),
        currency: s.crrp.trim().to_owned(),
        active,
        updated,
    }
}

/// Maps a supplier, refusing one without a name (JAGGAER requires it).
pub fn map_supplier(s: &Supplier) -> Result<SupplierOut, MappingError> {
    if s.name.trim().is_empty() {
        return Err(MappingError::new(
            "F0101.ALPH",
            format!("supplier {} has no name", s.an8),
        ));
    }
    Ok(SupplierOut {
        ext_code: s.an8.to_string(),
        company_name: s.name.trim().to_owned(),
        fiscal_code: s.tax_id.trim().to_owned(),
        iso_country: s.country.trim().to_owned(),
        address: s.address.trim().to_owned(),
        city: s.city.trim().to_owned(),
        zip: s.postal_code.trim().to_owned(),
        email: s.email.clone().filter(|e| !e.trim().is_empty()),
        active: s.active,
        company_type: COMPANY_TYPE,
    })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use mlc_jde::JdeRow;

    fn row<R: JdeRow>(v: serde_json::Value) -> R {
        R::decode(v.as_object().expect("object"), 0).expect("decodes")
    }

    fn address(eftb: Option<&str>, city: &str) -> F0116Row {
        row(serde_json::json!({"F0116_AN8": 1, "F0116_EFTB": eftb, "F0116_CTY1": city}))
    }

    fn mail(etp: &str, emal: &str) -> F01151Row {
        row(serde_json::json!({"F01151_AN8": 1, "F01151_ETP": etp, "F01151_EMAL": emal}))
    }

    #[test]
    fn current_address_table() {
        let today = Date::constant(2026, 6, 1);
        // (EFTB and city of each address, city in effect)
        type Case<'a> = (&'a [(Option<&'a str>, &'a str)], Option<&'a str>);
        let cases: [Case; 5] = [
            (&[], None),
            (&[(None, "Old")], Some("Old")),
            (
                &[(Some("20250101"), "A"), (Some("20260101"), "B")],
                Some("B"),
            ),
            (
                &[(Some("20260101"), "B"), (Some("20270101"), "Future")],
                Some("B"),
            ),
            (&[(Some("20270101"), "Future")], None),
        ];
        for (rows, want) in cases {
            let rows: Vec<F0116Row> = rows.iter().map(|(d, c)| address(*d, c)).collect();
            assert_eq!(
                current_address(&rows, today).map(|a| a.cty1.as_str()),
                want,
                "{rows:?}"
            );
        }
    }

    #[test]
    fn email_table() {
        // (ETP and EMAL of each row, e-mail sent)
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: [Case; 5] = [
            (&[], None),
            (&[("E", "a@x.test")], Some("a@x.test")),
            (&[("W", "web.x.test"), ("E", "b@x.test")], Some("b@x.test")),
            (&[("", "c@x.test"), ("E", "d@x.test")], Some("c@x.test")),
            (&[("E", "  ")], None),
        ];
        for (rows, want) in cases {
            let rows: Vec<F01151Row> = rows.iter().map(|(t, m)| mail(t, m)).collect();
            assert_eq!(email(&rows).as_deref(), want, "{rows:?}");
        }
    }

    #[test]
    fn address_and_status_tables() {
        for (lines, want) in [
            (["1 Main St", "", "Suite 2", " "], "1 Main St, Suite 2"),
            (["", "", "", ""], ""),
        ] {
            assert_eq!(address_lines(lines), want);
        }
    }

    #[test]
    fn inactive_rule_table() {
        let f0401 = serde_json::json!({"F0401_AN8": 1, "F0401_HDPY": "Y", "F0401_CMGR": " X ", "F0401_NUM": 7});
        let f0101 = serde_json::json!({"F0101_AN8": 1, "F0101_AT1": "VX"});
        let v = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        // (column, values, F0101 row present, active)
        let cases = [
            // Default: no values, nobody is inactive, payment hold or not.
            ("AT1", v(&[]), true, true),
            ("F0401.HDPY", v(&[]), true, true),
            ("AT1", v(&["VX"]), true, false),
            ("F0101.at1", v(&[" VX "]), true, false),
            ("AT1", v(&["V"]), true, true),
            ("AT1", v(&["VX"]), false, true),
            ("F0401.CMGR", v(&["X"]), true, false),
            ("F0401.NUM", v(&["7"]), true, false),
            ("F0401.HDPY", v(&["Y"]), true, false),
            ("F0401.MISSING", v(&["Y"]), true, true),
            ("F0401.MISSING", v(&["", "Z"]), true, false),
        ];
        for (column, values, with_ab, want) in cases {
            let rule = InactiveRule::parse(column, &values).expect(column);
            assert_eq!(
                rule.is_active(&f0401, with_ab.then_some(&f0101)),
                want,
                "{column} {values:?} F0101 {with_ab}"
            );
        }
        for bad in [
            "",
            "F4301.AT1",
            "F0101.",
            "A T1",
            "F0101.ABCDEFGHIJK",
            "AT1;DROP",
        ] {
            assert!(InactiveRule::parse(bad, &[]).is_err(), "{bad:?}");
        }
        let rule = InactiveRule::parse("F0401.CMGR", &v(&["X"])).expect("parses");
        assert_eq!(rule.extra_column(RuleTable::F0401), Some("CMGR"));
        assert_eq!(rule.extra_column(RuleTable::F0101), None);
        assert_eq!(InactiveRule::default().extra_column(RuleTable::F0101), None);
    }

    #[test]
    fn the_version_is_the_latest_stamp_of_every_row() {
        let s: F0401Row =
            row(serde_json::json!({"F0401_AN8": 1, "F0401_UPMJ": "20260101", "F0401_UPMT": 10000}));
        let ab: F0101Row = row(
            serde_json::json!({"F0101_AN8": 1, "F0101_ALPH": "A", "F0101_UPMJ": "20260102", "F0101_UPMT": 10000}),
        );
        let ad: F0116Row = row(
            serde_json::json!({"F0116_AN8": 1, "F0116_UPMJ": "20260103", "F0116_UPMT": 120000}),
        );
        let em: F01151Row = row(
            serde_json::json!({"F01151_AN8": 1, "F01151_EMAL": "a@x.test", "F01151_UPMJ": "20260104", "F01151_UPMT": 80000}),
        );
        let today = Date::constant(2026, 6, 1);
        let at = |d, t| JdeStamp::new(d, TimeOfDay::from_raw(t).expect("time"));
        // (address row, e-mail row, version)
        let cases = [
            (None, None, at(Date::constant(2026, 1, 2), 10000)),
            (Some(&ad), None, at(Date::constant(2026, 1, 3), 120000)),
            (Some(&ad), Some(&em), at(Date::constant(2026, 1, 4), 80000)),
        ];
        for (a, e, want) in cases {
            let sup = supplier_from_jde(&s, Some(&ab), a, e, today, true);
            assert_eq!(sup.updated, want, "{a:?} {e:?}");
        }
    }

    #[test]
    fn a_supplier_on_payment_hold_stays_active() {
        let s: F0401Row = row(serde_json::json!({"F0401_AN8": 4343, "F0401_HDPY": "Y"}));
        let ab: F0101Row = row(serde_json::json!({"F0101_AN8": 4343, "F0101_ALPH": "Acme"}));
        let raw = serde_json::json!({"F0401_AN8": 4343, "F0401_HDPY": "Y"});
        let active = InactiveRule::default().is_active(&raw, None);
        let sup = supplier_from_jde(&s, Some(&ab), [], [], Date::constant(2026, 1, 1), active);
        assert!(map_supplier(&sup).expect("maps").active);
    }

    #[test]
    fn a_supplier_from_its_rows_maps_with_every_default() {
        let s: F0401Row =
            row(serde_json::json!({"F0401_AN8": 4343, "F0401_CRRP": "USD", "F0401_HDPY": "H"}));
        let ab: F0101Row = row(
            serde_json::json!({"F0101_AN8": 4343, "F0101_ALPH": " Acme ", "F0101_TAX": "12-3"}),
        );
        let ad: F0116Row = row(
            serde_json::json!({"F0116_AN8": 4343, "F0116_ADD1": "1 Main St", "F0116_CTY1": "Springfield", "F0116_ADDZ": "12345", "F0116_CTR": "US"}),
        );
        let sup = supplier_from_jde(&s, Some(&ab), [&ad], [], Date::constant(2026, 1, 1), false);
        let out = map_supplier(&sup).expect("maps");
        assert_eq!(
            (
                out.ext_code.as_str(),
                out.company_name.as_str(),
                out.fiscal_code.as_str(),
                out.address.as_str(),
                out.city.as_str(),
                out.zip.as_str(),
                out.iso_country.as_str(),
                out.email.as_deref(),
                out.active,
                out.company_type,
            ),
            (
                "4343",
                "Acme",
                "12-3",
                "1 Main St",
                "Springfield",
                "12345",
                "US",
                None,
                false,
                "SELLER"
            )
        );
        let nameless = supplier_from_jde(&s, None, [], [], Date::constant(2026, 1, 1), true);
        assert_eq!(
            map_supplier(&nameless).expect_err("no name").field,
            "F0101.ALPH"
        );
    }
}
