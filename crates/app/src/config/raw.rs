//! The config file exactly as written (interface §4 plus the knobs documented in the `init`
//! template). Every struct denies unknown keys; values stay text where validation needs to say
//! what was wrong with them (`settings.rs` does that).
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub(crate) store: RawStore,
    #[serde(default)]
    pub(crate) vault: RawVault,
    #[serde(default)]
    pub(crate) server: RawServer,
    #[serde(default)]
    pub(crate) alerts: RawAlerts,
    #[serde(default)]
    pub(crate) tenants: Vec<RawTenant>,
}

/// `[store]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    pub(crate) url: Option<String>,
}

/// `[vault]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVault {
    pub(crate) path: Option<PathBuf>,
    pub(crate) key_file: Option<PathBuf>,
}

/// `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) listen: Option<String>,
    pub(crate) max_connections: Option<u64>,
    pub(crate) header_timeout: Option<String>,
    pub(crate) body_timeout: Option<String>,
    pub(crate) trusted_proxies: Option<Vec<String>>,
    pub(crate) auth: Option<RawServerAuth>,
}

/// `[server.auth]` (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServerAuth {
    pub(crate) trusted_header: Option<String>,
    pub(crate) session_ttl: Option<String>,
}

/// `[alerts]` (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlerts {
    pub(crate) webhook_url: Option<String>,
    pub(crate) smtp_url: Option<String>,
    pub(crate) email_to: Option<Vec<String>>,
    pub(crate) no_success_after: Option<String>,
    pub(crate) quarantine_threshold: Option<u64>,
}

/// `[[tenants]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenant {
    pub(crate) id: String,
    pub(crate) poll_interval: Option<String>,
    pub(crate) schedule: Option<String>,
    pub(crate) jde_timezone: String,
    pub(crate) start_date: Option<String>,
    #[serde(default)]
    pub(crate) jde: RawTenantJde,
    #[serde(default)]
    pub(crate) jaggaer: RawTenantJaggaer,
    pub(crate) mapping: RawMapping,
    #[serde(default)]
    pub(crate) sync: RawSync,
}

/// `[tenants.jde]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenantJde {
    pub(crate) batch_user: Option<String>,
    pub(crate) voucher_orchestration: Option<String>,
    pub(crate) company: Option<String>,
    pub(crate) po_order_types: Option<Vec<String>>,
    pub(crate) page_size: Option<u32>,
    pub(crate) max_in_flight: Option<u32>,
    pub(crate) timeout: Option<String>,
    pub(crate) proxy: Option<String>,
    pub(crate) closed_period: Option<ClosedPeriod>,
    pub(crate) po_cancelled_status: Option<String>,
    pub(crate) po_closed_status: Option<String>,
    pub(crate) payee_column: Option<String>,
    pub(crate) voucher_processing_sla: Option<String>,
    pub(crate) pay_status: Option<PayStatus>,
    pub(crate) processor: Option<RawProcessor>,
    pub(crate) match_orchestration: Option<String>,
}

/// `pay_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PayStatus {
    /// `PST` left for JDE to default from the supplier.
    Supplier,
    /// `PST = A`.
    Approved,
}

/// `[tenants.jde.processor]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProcessor {
    pub(crate) voucher: Option<RawReport>,
    #[serde(rename = "match")]
    pub(crate) match_: Option<RawReport>,
    pub(crate) after_sync: Option<bool>,
    pub(crate) wait: Option<String>,
}

/// `{ report = "R04110ZA", version = "XJDE0002" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReport {
    pub(crate) report: String,
    pub(crate) version: String,
}

/// `voucher_approval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum VoucherApproval {
    /// Vouchers are posted as soon as they are planned.
    None,
    /// Vouchers wait for approval until JDE processed the first one the connector posted.
    FirstRun,
    /// Every voucher waits for approval.
    Always,
}

/// `due_date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DueDate {
    /// JDE computes from the supplier's terms.
    Jde,
    /// JAGGAER's due date, terms and discount are sent.
    Jaggaer,
}

/// `intercompany`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Intercompany {
    /// Sent; JDE's intercompany settlement constant decides.
    Allow,
    /// Quarantined.
    Refuse,
}

/// `closed_period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ClosedPeriod {
    /// Move the G/L date to the first open period.
    NextOpen,
    /// Quarantine for AP to decide.
    Quarantine,
}

/// `[tenants.jaggaer]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenantJaggaer {
    pub(crate) transport: Option<Transport>,
    #[serde(default)]
    pub(crate) paths: RawPaths,
    #[serde(default)]
    pub(crate) xml_paths: RawXmlPaths,
    pub(crate) poll_invoices: Option<bool>,
    pub(crate) export_invoice_id: Option<String>,
    pub(crate) rate_limit: Option<u32>,
    pub(crate) max_in_flight: Option<u32>,
    pub(crate) timeout: Option<String>,
    pub(crate) proxy: Option<String>,
    pub(crate) invoice_filter_field: Option<String>,
}

/// `transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Transport {
    /// J1P REST.
    Rest,
    /// cXML.
    Cxml,
    /// eProcurement XML Router (interface §9).
    Xml,
}

/// `[tenants.jaggaer.xml_paths]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawXmlPaths {
    pub(crate) suppliers: Option<String>,
    pub(crate) purchase_orders: Option<String>,
}

/// `[tenants.jaggaer.paths]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPaths {
    pub(crate) invoices: Option<String>,
    pub(crate) suppliers: Option<String>,
    pub(crate) purchase_orders: Option<String>,
    pub(crate) custom_field_values: Option<String>,
    pub(crate) cxml_orders: Option<String>,
}

/// `[tenants.mapping]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMapping {
    pub(crate) gl_account_field: Option<String>,
    pub(crate) cost_center_field: Option<String>,
    pub(crate) invoice_statuses: Option<Vec<String>>,
    pub(crate) account_format: Option<AccountFormat>,
    pub(crate) tax: Option<Tax>,
    pub(crate) tax_area: Option<String>,
    pub(crate) tax_explanation: Option<String>,
    pub(crate) due_date: Option<DueDate>,
    pub(crate) intercompany: Option<Intercompany>,
    pub(crate) inactive_suppliers: Option<RawInactiveSuppliers>,
    pub(crate) voucher_approval: Option<VoucherApproval>,
    pub(crate) voucher_approval_above: Option<String>,
    pub(crate) match_rule: Option<String>,
    pub(crate) match_tolerance: Option<RawMatchTolerance>,
    #[serde(default)]
    pub(crate) account_companies: Vec<String>,
    #[serde(default)]
    pub(crate) account_objects: Vec<String>,
    pub(crate) tax_account: String,
    pub(crate) charge_accounts: RawChargeAccounts,
    #[serde(default)]
    pub(crate) companies: BTreeMap<String, RawCompany>,
}

/// `match_tolerance = { percent = "0", amount = "0.01" }` (decimals as strings or numbers).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMatchTolerance {
    pub(crate) percent: Option<toml::Value>,
    pub(crate) amount: Option<toml::Value>,
}

/// `inactive_suppliers = { column = "AT1", values = [] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInactiveSuppliers {
    pub(crate) column: String,
    #[serde(default)]
    pub(crate) values: Vec<String>,
}

/// `account_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AccountFormat {
    /// `BU.OBJ.SUB`.
    Full,
    /// `OBJ[.SUB]`.
    Object,
}

/// `tax`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Tax {
    /// Tax as a distribution line.
    Line,
    /// JDE computes and distributes.
    Jde,
}

/// `charge_accounts = { ... }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChargeAccounts {
    pub(crate) freight: String,
    pub(crate) handling: String,
    pub(crate) misc: String,
    pub(crate) discount: String,
}

/// `[tenants.mapping.companies."00300"]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCompany {
    pub(crate) tax_account: String,
    pub(crate) charge_accounts: RawChargeAccounts,
}

/// `[tenants.sync]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSync {
    pub(crate) lookback: Option<String>,
    pub(crate) safety_lag: Option<String>,
    pub(crate) invoice_lookback: Option<String>,
    pub(crate) cycle_deadline: Option<String>,
    pub(crate) wait_alert_after: Option<String>,
}
