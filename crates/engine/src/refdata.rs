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
    /// Fiscal year start (DFYJ).
    pub fiscal_year_start: Option<Date>,
    /// Current period number (PNC), 1-based monthly periods from `fiscal_year_start`.
    pub current_period: Option<u32>,
}

impl CompanyInfo {
    /// First day of the first open period: periods before the current one are closed.
    pub fn open_from(&self) -> Option<Date> {
        let start = self.fiscal_year_start?;
        let p = self.current_period?.max(1);
        start
            .checked_add(jiff::Span::new().months(i64::from(p) - 1))
            .ok()
    }
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
