//! JDE GL accounts (F0901) and business units (F0006) → JAGGAER's `Account` and `CostCenter`
//! custom-field value lists (field names from `[tenants.mapping]`).
//!
//! | Value list | `value` | `description` | `active` |
//! |---|---|---|---|
//! | `Account` | F0901 `MCU.OBJ.SUB` (`MCU.OBJ` when SUB is blank) | F0901.DL01 | F0901.PEC blank (postable) |
//! | `CostCenter` | F0006.MCU trimmed | F0006.DL01 | always |
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

/// The `CostCenter` value of a business unit: always active.
pub fn cost_center_value(b: &BusinessUnit) -> ValueOut {
    ValueOut {
        value: b.code.to_string(),
        description: b.description.trim().to_owned(),
        active: true,
    }
}

#[cfg(test)]
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
        for (mcu, dl01, value) in [("        30", "Plant 30", "30"), ("M30", " Main ", "M30")] {
            let v = serde_json::json!({"F0006_MCU": mcu, "F0006_CO": "00200", "F0006_DL01": dl01});
            let r = F0006Row::decode(v.as_object().expect("object"), 0).expect("decodes");
            let got = cost_center_value(&business_unit_from_f0006(&r));
            assert_eq!(
                (got.value.as_str(), got.description.as_str(), got.active),
                (value, dl01.trim(), true)
            );
        }
    }
}
