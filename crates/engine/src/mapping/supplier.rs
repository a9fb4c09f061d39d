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
//! | `status` | `INACTIVE` when F0401.HDPY is set (payment hold), else `ACTIVE` |
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

/// Active unless a payment hold code (F0401.HDPY) is set.
pub fn is_active(hdpy: &str) -> bool {
    hdpy.trim().is_empty()
}

/// A supplier from its JDE rows: F0401, its F0101 row, its F0116 rows (every effective date)
/// and its F01151 rows (in `IDLN, RCK7` order).
pub fn supplier_from_jde<'a>(
    s: &F0401Row,
    ab: Option<&F0101Row>,
    addresses: impl IntoIterator<Item = &'a F0116Row>,
    emails: impl IntoIterator<Item = &'a F01151Row>,
    today: Date,
) -> Supplier {
    let ad = current_address(addresses, today);
    let text = |f: fn(&F0116Row) -> &str| ad.map(|a| f(a).trim().to_owned()).unwrap_or_default();
    let updated = [s.updated, ab.and_then(|a| a.updated)]
        .into_iter()
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
        email: email(emails),
        currency: s.crrp.trim().to_owned(),
        active: is_active(&s.hdpy),
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
        for (hdpy, want) in [("", true), (" ", true), ("X", false)] {
            assert_eq!(is_active(hdpy), want, "HDPY {hdpy:?}");
        }
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
        let sup = supplier_from_jde(&s, Some(&ab), [&ad], [], Date::constant(2026, 1, 1));
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
        let nameless = supplier_from_jde(&s, None, [], [], Date::constant(2026, 1, 1));
        assert_eq!(
            map_supplier(&nameless).expect_err("no name").field,
            "F0101.ALPH"
        );
    }
}
