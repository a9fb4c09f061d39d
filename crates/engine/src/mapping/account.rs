//! JDE GL accounts (F0901) and business units (F0006) → JAGGAER's `Account` and `CostCenter`
//! custom-field value lists (field names from `[tenants.mapping]`).
//!
//! | Value list | `value` | `description` | `active` |
//! |---|---|---|---|
//! | `Account` | F0901 `MCU.OBJ.SUB` (`MCU.OBJ` when SUB is blank) | F0901.DL01 | F0901.PEC blank (postable) |
//! | `CostCenter` | F0006.MCU trimmed | F0006.DL01 | F0006.PECC blank (open for posting) |
//!
//! Only accounts of `account_companies` with an object in `account_objects`, and business units
//! of `account_companies`, are sent ([`AccountScope`]; empty lists = all).
use mlc_core::ids::{AccountNumber, BusinessUnitCode};
use mlc_core::model::{BusinessUnit, GlAccount};
use mlc_jde::{F0006Row, F0901Row};
use serde::Serialize;

/// A value of a custom-field value list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueOut {
    /// The value (`BU.OBJ.SUB` or the trimmed business unit).
    pub value: String,
    /// Description.
    pub description: String,
    /// Active.
    pub active: bool,
}

/// A GL account from its F0901 row: postable when the posting edit code (PEC) is blank.
pub fn account_from_f0901(r: &F0901Row) -> GlAccount {
    GlAccount {
        account: AccountNumber::new(&r.mcu, &r.obj, &r.sub),
        aid: r.aid.trim().to_owned(),
        company: r.co.trim().to_owned(),
        description: r.dl01.trim().to_owned(),
        postable: r.pec.trim().is_empty(),
    }
}

/// A business unit from its F0006 row.
pub fn business_unit_from_f0006(r: &F0006Row) -> BusinessUnit {
    BusinessUnit {
        code: BusinessUnitCode::new(&r.mcu),
        company: r.co.trim().to_owned(),
        description: r.dl01.trim().to_owned(),
        kind: r.styl.trim().to_owned(),
        postable: r.pecc.trim().is_empty(),
    }
}

/// `account_companies` and `account_objects`: which accounts and cost centers are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountScope {
    /// Companies (`00200`); empty = all.
    pub companies: Vec<String>,
    /// Inclusive object-account ranges; empty = all.
    pub objects: Vec<(String, String)>,
}

/// Compares two object accounts: as numbers when both are, else as text.
fn cmp_object(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

impl AccountScope {
    /// Parses the companies (up to 5 digits, compared as JDE's 5-digit company: `200` is
    /// `00200`) and the ranges (`6000-7999`, or one object `6110`).
    pub fn parse(companies: &[String], objects: &[String]) -> Result<Self, String> {
        let companies = companies
            .iter()
            .map(|c| {
                let c = c.trim();
                if c.is_empty() || c.len() > 5 || !c.bytes().all(|b| b.is_ascii_digit()) {
                    Err(format!(
                        "company {c:?} is not a JDE company (up to 5 digits)"
                    ))
                } else {
                    Ok(format!("{c:0>5}"))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let objects = objects
            .iter()
            .map(|r| {
                let (lo, hi) = r.split_once('-').unwrap_or((r, r));
                let (lo, hi) = (lo.trim(), hi.trim());
                let ok = |o: &str| {
                    !o.is_empty() && o.len() <= 6 && o.bytes().all(|b| b.is_ascii_alphanumeric())
                };
                if !ok(lo) || !ok(hi) || cmp_object(lo, hi).is_gt() {
                    Err(format!(
                        "object range {r:?} is not LOW-HIGH of object accounts (e.g. \"6000-7999\")"
                    ))
                } else {
                    Ok((lo.to_owned(), hi.to_owned()))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { companies, objects })
    }

    fn company_in(&self, company: &str) -> bool {
        let c = company.trim();
        self.companies.is_empty() || self.companies.contains(&format!("{c:0>5}"))
    }

    /// Whether an account is sent: its company and its object are in scope.
    pub fn includes_account(&self, a: &GlAccount) -> bool {
        let obj = a.account.obj.as_str();
        self.company_in(&a.company)
            && (self.objects.is_empty()
                || self
                    .objects
                    .iter()
                    .any(|(lo, hi)| cmp_object(obj, lo).is_ge() && cmp_object(obj, hi).is_le()))
    }

    /// Whether a business unit's cost center is sent: its company is in scope.
    pub fn includes_business_unit(&self, b: &BusinessUnit) -> bool {
        self.company_in(&b.company)
    }
}

/// The `Account` value of a GL account: active while postable.
pub fn account_value(a: &GlAccount) -> ValueOut {
    ValueOut {
        value: a.account.to_string(),
        description: a.description.trim().to_owned(),
        active: a.postable,
    }
}

/// The `CostCenter` value of a business unit: active while open for posting.
pub fn cost_center_value(b: &BusinessUnit) -> ValueOut {
    ValueOut {
        value: b.code.to_string(),
        description: b.description.trim().to_owned(),
        active: b.postable,
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use mlc_jde::JdeRow;

    #[test]
    fn account_values_table() {
        let cases = [
            (
                ("  30", "6110", "", "Office supplies ", ""),
                ("30.6110", "Office supplies", true),
            ),
            (
                ("30", "6110", "02", "Paper", ""),
                ("30.6110.02", "Paper", true),
            ),
            (
                ("30", "6000", "", "Header", "N"),
                ("30.6000", "Header", false),
            ),
        ];
        for ((mcu, obj, sub, dl01, pec), (value, description, active)) in cases {
            let v = serde_json::json!({"F0901_AID": "00001", "F0901_CO": "00200", "F0901_MCU": mcu,
                "F0901_OBJ": obj, "F0901_SUB": sub, "F0901_DL01": dl01, "F0901_PEC": pec});
            let r = F0901Row::decode(v.as_object().expect("object"), 0).expect("decodes");
            let got = account_value(&account_from_f0901(&r));
            assert_eq!(
                (got.value.as_str(), got.description.as_str(), got.active),
                (value, description, active)
            );
        }
    }

    #[test]
    fn cost_center_values_table() {
        // (MCU, DL01, PECC, value, active)
        let cases = [
            ("        30", "Plant 30", "", "30", true),
            ("M30", " Main ", " ", "M30", true),
            ("190", "Closed", "N", "190", false),
            ("191", "Closed", "K", "191", false),
        ];
        for (mcu, dl01, pecc, value, active) in cases {
            let v = serde_json::json!({"F0006_MCU": mcu, "F0006_CO": "00200", "F0006_DL01": dl01, "F0006_PECC": pecc});
            let r = F0006Row::decode(v.as_object().expect("object"), 0).expect("decodes");
            let got = cost_center_value(&business_unit_from_f0006(&r));
            assert_eq!(
                (got.value.as_str(), got.description.as_str(), got.active),
                (value, dl01.trim(), active)
            );
        }
    }

    #[test]
    fn account_scope_table() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let account = |co: &str, obj: &str| GlAccount {
            account: AccountNumber::new("30", obj, ""),
            aid: "1".into(),
            company: co.into(),
            description: String::new(),
            postable: true,
        };
        // (companies, objects, account company, object, sent)
        let cases = [
            (s(&[]), s(&[]), "00200", "1410", true),
            (s(&["00200"]), s(&[]), "00200", "1410", true),
            (s(&["200"]), s(&[]), "00200", "1410", true),
            (s(&["00100"]), s(&[]), "00200", "1410", false),
            (s(&[]), s(&["6000-7999"]), "00200", "6110", true),
            (s(&[]), s(&["6000-7999"]), "00200", "6000", true),
            (s(&[]), s(&["6000-7999"]), "00200", "7999", true),
            (s(&[]), s(&["6000-7999"]), "00200", "1410", false),
            (s(&[]), s(&["6000-7999"]), "00200", "80000", false),
            (s(&[]), s(&["1410", " 6000 - 6999 "]), "00200", "1410", true),
            (s(&["00200"]), s(&["6000-7999"]), "00100", "6110", false),
        ];
        for (cos, objs, co, obj, want) in cases {
            let scope = AccountScope::parse(&cos, &objs).expect("parses");
            assert_eq!(
                scope.includes_account(&account(co, obj)),
                want,
                "{cos:?} {objs:?} {co} {obj}"
            );
        }
        for (cos, objs) in [
            (s(&["2A"]), s(&[])),
            (s(&["123456"]), s(&[])),
            (s(&[]), s(&["7999-6000"])),
            (s(&[]), s(&["6000-"])),
            (s(&[]), s(&[""])),
        ] {
            assert!(
                AccountScope::parse(&cos, &objs).is_err(),
                "{cos:?} {objs:?}"
            );
        }
        let bu = |co: &str| BusinessUnit {
            code: BusinessUnitCode::new("30"),
            company: co.into(),
            description: String::new(),
            kind: "IS".into(),
            postable: true,
        };
        let scope = AccountScope::parse(&s(&["00200"]), &s(&["6000-7999"])).expect("parses");
        assert!(scope.includes_business_unit(&bu("00200")));
        assert!(!scope.includes_business_unit(&bu("00100")));
        assert!(AccountScope::default().includes_business_unit(&bu("00100")));
    }
}
