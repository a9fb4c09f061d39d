//! What the engine needs to know about a tenant, already validated (the app builds this from the
//! config file; tests build it directly).
use std::collections::BTreeMap;

use jiff::SignedDuration;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use mlc_core::ids::{AccountNumber, TenantId};

/// How POs are sent to JAGGAER and how invoices arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// J1P REST upserts; invoices polled.
    Rest,
    /// POs as cXML OrderRequests; invoices arrive as cXML InvoiceDetailRequests.
    Cxml,
}

/// Where the tax of an invoice goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxMode {
    /// A distribution line to the tax account.
    Line,
    /// JDE's own tax fields (`STAM`, `TXA1`, `EXR1`); JDE distributes.
    Jde,
}

/// How the `Account` custom field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountFormat {
    /// `BU.OBJ.SUB`.
    Full,
    /// `OBJ[.SUB]`, the business unit comes from `CostCenter`.
    Object,
}

/// What to do with an invoice whose G/L date falls in a closed period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedPeriodRule {
    /// Post with the G/L date moved to the first day of the first open period (the invoice date
    /// is kept), as AP clerks do.
    NextOpen,
    /// Quarantine the invoice for AP to decide.
    Quarantine,
}

/// Accounts for charges and tax, per company or as the tenant default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeAccounts {
    /// Tax account (used when `tax = "line"`).
    pub tax: AccountNumber,
    /// Freight.
    pub freight: AccountNumber,
    /// Handling.
    pub handling: AccountNumber,
    /// Miscellaneous fees.
    pub misc: AccountNumber,
    /// Discounts.
    pub discount: AccountNumber,
}

/// `[tenants.mapping]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingSettings {
    /// Invoice custom field holding the account.
    pub gl_account_field: String,
    /// Invoice custom field holding the business unit.
    pub cost_center_field: String,
    /// `paymentStatus` values that are ready for payables.
    pub invoice_statuses: Vec<String>,
    /// Form of the account custom field.
    pub account_format: AccountFormat,
    /// Tax handling.
    pub tax: TaxMode,
    /// Default charge and tax accounts.
    pub charges: ChargeAccounts,
    /// Per-company overrides, keyed by company (`00300`).
    pub companies: BTreeMap<String, ChargeAccounts>,
    /// `TXA1` sent with `tax = "jde"` when the invoice names no tax area.
    pub tax_area: Option<String>,
    /// `EXR1` sent with `tax = "jde"` (`V` VAT, `S` sales tax, `U` use tax, ...).
    pub tax_explanation: String,
}

impl MappingSettings {
    /// Charge accounts of a company (its override, else the default).
    pub fn charges_for(&self, company: &str) -> &ChargeAccounts {
        self.companies.get(company).unwrap_or(&self.charges)
    }
}

/// Cursor windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSettings {
    /// How far before the saved cursor each poll starts again (covers DST fall-back, clock skew
    /// and rows committed late with an older stamp). At least 1 h 10 min.
    pub lookback: SignedDuration,
    /// Rows newer than now − lag are left for the next poll, so a row still being written with
    /// an older stamp cannot be passed over.
    pub safety_lag: SignedDuration,
    /// Lookback on JAGGAER's `lastUpdate` cursor.
    pub invoice_lookback: SignedDuration,
}

impl Default for WindowSettings {
    fn default() -> Self {
        Self {
            lookback: SignedDuration::from_hours(2),
            safety_lag: SignedDuration::from_mins(2),
            invoice_lookback: SignedDuration::from_mins(10),
        }
    }
}

/// Everything the engine needs about one tenant.
#[derive(Debug, Clone)]
pub struct TenantSettings {
    /// Tenant id.
    pub tenant: TenantId,
    /// The AIS server's time zone (UPMJ/TDAY are local wall-clock values there).
    pub jde_timezone: TimeZone,
    /// Cut-over: POs ordered and invoices dated before it are never synced.
    pub start_date: Option<Date>,
    /// `EDUS` on every Z row.
    pub batch_user: String,
    /// Name of the voucher orchestration.
    pub voucher_orchestration: String,
    /// Company used when a voucher's business unit gives none.
    pub company: String,
    /// PO order types to sync.
    pub po_order_types: Vec<String>,
    /// AIS page size.
    pub page_size: u32,
    /// PO keys per bulk line read (`DOCO` LIST condition).
    pub lines_chunk: usize,
    /// Records sent to JAGGAER concurrently.
    pub write_concurrency: usize,
    /// Transport for POs and invoices.
    pub transport: Transport,
    /// Mapping.
    pub mapping: MappingSettings,
    /// Windows.
    pub windows: WindowSettings,
    /// Closed-period rule.
    pub closed_period: ClosedPeriodRule,
    /// cXML identity of this buyer (From/Sender), when `transport = "cxml"`.
    pub cxml_identity: String,
    /// Longest a cycle may run (`[tenants.sync] cycle_deadline`); reaching it ends the cycle as
    /// a partial run that the next one resumes. `None`: no limit.
    pub cycle_deadline: Option<std::time::Duration>,
}
