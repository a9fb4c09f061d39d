//! JDE reference data a voucher is checked against before it is sent: business units and their
//! companies (F0006), postable accounts (F0901), company currency and open periods (F0010),
//! currency decimals (F0013). Loaded once per run.
use std::collections::HashMap;

use jiff::civil::Date;
use mlc_core::model::{BusinessUnit, GlAccount};

/// A company's constants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyInfo {
    /// Company (CO).
    pub company: String,
    /// Domestic currency (CRCD).
    pub currency: String,
    /// Start of the A/P fiscal year (F0010 `APFJ`, else `DFYJ`).
    pub fiscal_year_start: Option<Date>,
    /// A/P current period (F0010 `APPN`, else the G/L `PNC`), 1-based in the company's
    /// fiscal date pattern.
    pub current_period: Option<u32>,
    /// End dates of the periods of the fiscal year starting `fiscal_year_start`, from the
    /// company's date pattern (F0008 `D01J`..`D14J` of `DTPN` + `DFYJ`): 12 calendar months,
    /// 4-4-5, 13 four-week periods, whatever JDE holds. Empty when the pattern is unknown.
    pub period_ends: Vec<Date>,
}

impl CompanyInfo {
    /// First day of the A/P current period in the company's real fiscal calendar: periods
    /// before it are closed. `None` when the calendar is not known (then no G/L date is moved
    /// or refused here; JDE's processor still applies its own rule and a refusal shows as a
    /// rejected voucher).
    pub fn open_from(&self) -> Option<Date> {
        let start = self.fiscal_year_start?;
        let p = usize::try_from(self.current_period?.max(1)).ok()?;
        if p == 1 {
            return Some(start);
        }
        self.period_ends.get(p - 2)?.tomorrow().ok()
    }
}

/// The ends of the periods of one F0008 year in order: blank ends dropped, and an end that
/// repeats the previous one (how JDE marks unused periods 13 and 14) dropped too.
pub fn period_ends(raw: impl IntoIterator<Item = Option<Date>>) -> Vec<Date> {
    let mut out: Vec<Date> = Vec::new();
    for d in raw.into_iter().flatten() {
        if out.last().is_none_or(|l| d > *l) {
            out.push(d);
        }
    }
    out
}

/// Reference data of one tenant.
#[derive(Debug, Clone, Default)]
pub struct RefData {
    /// Business units by trimmed MCU.
    pub business_units: HashMap<String, BusinessUnit>,
    /// Accounts by `BU.OBJ.SUB` text.
    pub accounts: HashMap<String, GlAccount>,
    /// Companies by CO.
    pub companies: HashMap<String, CompanyInfo>,
    /// Currency decimals by code.
    pub currency_decimals: HashMap<String, u32>,
}

impl RefData {
    /// Decimals of a currency: F0013's value, else the ISO default.
    pub fn decimals(&self, currency: &str) -> u32 {
        self.currency_decimals
            .get(currency)
            .copied()
            .unwrap_or_else(|| mlc_core::money::default_currency_decimals(currency))
    }
}
