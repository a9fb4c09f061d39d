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
    /// Suppliers and POs through the eProcurement XML Router actions (interface §9); invoices
    /// are pushed as `BuyerInvoiceExportMessage` and (unless turned off) still polled over J1P.
    Xml,
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

/// Who sets a voucher's pay status (`PST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayStatus {
    /// `PST` left blank: JDE defaults it from the supplier, so a supplier on payment hold
    /// stays on hold.
    #[default]
    Supplier,
    /// `PST = A` (approved), overriding the supplier's hold.
    Approved,
}

/// Who computes a voucher's due date and terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DueDateMode {
    /// JDE, from the supplier's payment terms (`DDJ`, `PTC`, `ADSC` not sent).
    #[default]
    Jde,
    /// JAGGAER's due date, terms and discount are sent (`DDJ`, `PTC`, `ADSC`).
    Jaggaer,
}

/// Invoices whose lines hit business units of several companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Intercompany {
    /// Sent: the voucher's company is the first line's; JDE's intercompany settlement
    /// constant decides, and a refusal shows as a rejected voucher.
    #[default]
    Allow,
    /// Quarantined before sending.
    Refuse,
}

/// A batch job launched through the AIS report service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRef {
    /// UBE name (`R04110ZA`).
    pub report: String,
    /// Version (`XJDE0002`); its data selection must cover our `EDUS` (docs/vouchers.md).
    pub version: String,
}

/// `[tenants.jde.processor]`: launching JDE's batch processors (interface 7a).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorSettings {
    /// The batch voucher processor.
    pub voucher: Option<ReportRef>,
    /// The voucher match driver (for PO-backed invoices).
    pub match_: Option<ReportRef>,
    /// Launch once after a sync run that wrote Z rows.
    pub after_sync: bool,
    /// How long a cycle waits for a launched job to end before leaving it to the next cycle.
    pub wait: SignedDuration,
}

impl Default for ProcessorSettings {
    fn default() -> Self {
        Self {
            voucher: None,
            match_: None,
            after_sync: true,
            wait: SignedDuration::from_secs(60),
        }
    }
}

/// Payables rules and the voucher lifecycle after posting (interface 4, 7, 7a).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayablesSettings {
    /// `pay_status`.
    pub pay_status: PayStatus,
    /// `due_date`.
    pub due_date: DueDateMode,
    /// `intercompany`.
    pub intercompany: Intercompany,
    /// A batch with no processed row this long after our commit of it is reported.
    pub voucher_processing_sla: SignedDuration,
    /// `[tenants.jde.processor]`; `None`: JDE's own schedule runs the processors.
    pub processor: Option<ProcessorSettings>,
    /// PO-backed invoices: Voucher Match Automation (interface 8).
    pub matching: MatchSettings,
}

/// `match_tolerance`: how far an invoice line may exceed what is received and not yet
/// vouchered before the connector quarantines it instead of sending it. A pre-check only:
/// JDE's processor applies its own tolerance rules and decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchTolerance {
    /// Percent of the open (received, not vouchered) quantity or amount.
    pub percent: mlc_core::Decimal,
    /// Absolute amount in the invoice currency.
    pub amount: mlc_core::Decimal,
}

impl Default for MatchTolerance {
    fn default() -> Self {
        Self {
            percent: mlc_core::Decimal::ZERO,
            amount: mlc_core::Decimal::new(1, 2),
        }
    }
}

/// PO-backed invoices (interface 8): `[tenants.jde] match_orchestration`,
/// `[tenants.mapping] match_rule` and `match_tolerance`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchSettings {
    /// The orchestration that writes F0411Z1 + F0411Z1T rows for Voucher Match Automation.
    pub orchestration: String,
    /// `ATRL` sent (`01`–`05`, `07`–`09`); blank: JDE uses the supplier's rule (F0401).
    pub rule: String,
    /// Pre-check tolerance.
    pub tolerance: MatchTolerance,
}

impl Default for MatchSettings {
    fn default() -> Self {
        Self {
            orchestration: "ML_AddVoucherMatch".into(),
            rule: "02".into(),
            tolerance: MatchTolerance::default(),
        }
    }
}

impl Default for PayablesSettings {
    fn default() -> Self {
        Self {
            pay_status: PayStatus::default(),
            due_date: DueDateMode::default(),
            intercompany: Intercompany::default(),
            voucher_processing_sla: SignedDuration::from_hours(24),
            processor: None,
            matching: MatchSettings::default(),
        }
    }
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
    /// `account_companies` and `account_objects`: the accounts and cost centers sent.
    pub account_scope: crate::mapping::account::AccountScope,
    /// `voucher_approval`: which planned vouchers wait for `approvals approve`.
    pub voucher_approval: VoucherApproval,
    /// `voucher_approval_above`: with the gate on, only vouchers whose gross (absolute, in the
    /// invoice currency) is above this wait; `None`: every voucher waits.
    pub voucher_approval_above: Option<mlc_core::Decimal>,
}

/// The voucher approval gate (issue 19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VoucherApproval {
    /// Vouchers are posted as soon as they are planned.
    #[default]
    None,
    /// Every voucher waits for approval until JDE processed the first voucher the connector
    /// posted for the tenant (an `invoice` ledger row in status `processed` whose voucher key is
    /// ours, `EDUS/EDBT/EDTN`); from then on the gate is off by itself.
    FirstRun,
    /// Every voucher waits for approval.
    Always,
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
    /// With [`Transport::Xml`]: invoices are also polled over J1P (interface §9; default on).
    /// Ignored by the other transports (`rest` always polls, `cxml` never does).
    pub poll_invoices: bool,
    /// With [`Transport::Xml`]: the `InvoiceHeader` child of a pushed
    /// `BuyerInvoiceExportMessage` that carries JAGGAER's invoice id (the J1P `invoiceId`), so
    /// an invoice arriving both ways is one record (`[tenants.jaggaer] export_invoice_id`,
    /// default [`crate::mapping::invoice::DEFAULT_EXPORT_INVOICE_ID`]; assumed).
    pub export_invoice_id: String,
    /// Mapping.
    pub mapping: MappingSettings,
    /// Windows.
    pub windows: WindowSettings,
    /// Closed-period rule.
    pub closed_period: ClosedPeriodRule,
    /// cXML identity of this buyer (From/Sender), when `transport = "cxml"`.
    pub cxml_identity: String,
    /// Payables rules and the processor lifecycle.
    pub payables: PayablesSettings,
    /// Longest a cycle may run (`[tenants.sync] cycle_deadline`); reaching it ends the cycle as
    /// a partial run that the next one resumes. `None`: no limit.
    pub cycle_deadline: Option<std::time::Duration>,
}
