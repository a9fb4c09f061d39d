//! What the flows need from each remote system, in domain terms. The adapters in
//! [`crate::connectors`] implement these over the real clients; the flows never see a wire type.
use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use jiff::Timestamp;
use jiff::civil::Date;
use mlc_core::Decimal;
use mlc_core::ids::{AddressNumber, OrderKey};
use mlc_core::jdetime::JdeStamp;
use mlc_core::model::{BusinessUnit, GlAccount, Invoice, Supplier};

use crate::mapping::MappingError;
pub use crate::mapping::account::ValueOut;
use crate::mapping::purchase_order::PoOut;
pub use crate::mapping::purchase_order::{PoHeader, PoLineRow};
use crate::mapping::supplier::SupplierOut;
use crate::mapping::voucher::VoucherPlan;
use crate::refdata::CompanyInfo;
use crate::window::Window;

/// What the caller must do about a failed remote call. Every client error maps to exactly one
/// kind, in one function per client (`connectors::ais::classify`, `connectors::j1p::classify`).
/// Only [`RemoteErrorKind::RecordRefused`] (and a [`MappingError`]) may ever quarantine a record;
/// every other kind stops or retries the flow, and the record is read again next cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemoteErrorKind {
    /// Not the record's fault (network, 5xx, expired result set, a 401 on a data call right
    /// after a successful token renewal): stop the flow without moving its cursor, retry next
    /// cycle. Never quarantine.
    Transient,
    /// The remote asked us to slow down (429 after the client's own retries): stop the flow,
    /// retry next cycle (not before `retry_after` when given). Never quarantine.
    RateLimited,
    /// A write that may or may not have happened (timed out after it was sent): re-check the
    /// remote's dedup (for vouchers: F0411Z1 by `EDUS + EDTN`) before any resend. Never
    /// quarantine.
    OutcomeUnknown,
    /// The login or token request itself was refused: pause the tenant and alert; do not retry
    /// (repeated failed logins lock service accounts).
    AuthRejected,
    /// The tenant's configuration cannot work (missing cXML identity, invalid client settings,
    /// a query the remote refuses as built): every record would fail, so stop the flow and
    /// alert. Never quarantine.
    ConfigMissing,
    /// The remote refused *this record* (business or validation error): quarantine it with
    /// the remote's words, carry on with the others.
    RecordRefused,
}

impl RemoteErrorKind {
    /// The stable word for the audit trail and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteErrorKind::Transient => "transient",
            RemoteErrorKind::RateLimited => "rate-limited",
            RemoteErrorKind::OutcomeUnknown => "outcome-unknown",
            RemoteErrorKind::AuthRejected => "auth-rejected",
            RemoteErrorKind::ConfigMissing => "config-missing",
            RemoteErrorKind::RecordRefused => "record-refused",
        }
    }
}

impl std::fmt::Display for RemoteErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure talking to a remote system, classified for the flows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{system}: {message}")]
pub struct RemoteError {
    /// `jde` or `jaggaer`.
    pub system: &'static str,
    /// What the caller must do.
    pub kind: RemoteErrorKind,
    /// The remote's own words (never credentials).
    pub message: String,
    /// How long the remote asked us to wait, when it said.
    pub retry_after: Option<Duration>,
}

impl RemoteError {
    /// A failure of `kind`.
    pub fn new(system: &'static str, kind: RemoteErrorKind, message: impl Into<String>) -> Self {
        Self {
            system,
            kind,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The remote refused this record: the only remote failure that quarantines it.
    pub fn is_record_refusal(&self) -> bool {
        self.kind == RemoteErrorKind::RecordRefused
    }
}

/// Pages of rows, streamed.
pub type PageStream<T> = BoxStream<'static, Result<Vec<T>, RemoteError>>;

/// Which supplier table changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplierTable {
    /// F0401 supplier master.
    F0401,
    /// F0101 address book (name, tax id) of suppliers.
    F0101,
    /// F0116 addresses by date (an address-only change touches no other table).
    F0116,
    /// F01151 electronic addresses (an e-mail-only change touches no other table).
    F01151,
}

/// A row of F0411Z1 (our voucher batch rows), pay item level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZVoucher {
    /// EDTN.
    pub edtn: String,
    /// EDBT.
    pub edbt: String,
    /// EDSP: true when processed. A row JDE's processor failed stays `false`: the reason is in
    /// the Work Center of the `EDUS` user, never in the row (`EDER` is an ignored field).
    pub processed: bool,
    /// DOC/DCT/KCO/ICU once processed.
    pub doc: Option<VoucherDoc>,
    /// AN8.
    pub an8: AddressNumber,
    /// VINV.
    pub vinv: String,
}

/// A voucher in F0411.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherDoc {
    /// Document number.
    pub doc: u64,
    /// Document type (PV).
    pub dct: String,
    /// Document company.
    pub kco: String,
    /// Batch number.
    pub icu: u64,
}

/// A pay item of F0411.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApVoucher {
    /// Supplier.
    pub an8: AddressNumber,
    /// Supplier invoice number as keyed.
    pub vinv: String,
    /// The voucher.
    pub doc: VoucherDoc,
    /// Gross (domestic or foreign per CRRM).
    pub gross: Decimal,
    /// Currency.
    pub currency: String,
    /// Set for a Z-file voucher JDE has not processed yet (`EDUS/EDBT/EDTN`): it holds the
    /// invoice number as much as a posted one, but has no document number yet.
    pub pending: Option<String>,
}

/// An F0911 line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlLine {
    /// Account `BU.OBJ.SUB`.
    pub account: String,
    /// Amount.
    pub amount: Decimal,
}

/// What an F43121 row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    /// A receipt (`MATC = 1`): received quantity and amount, and what is still open to voucher.
    Receipt,
    /// A voucher matched to a receipt or PO line (`MATC = 2`): the voucher in `doc`.
    Match,
}

/// A row of F43121 (Purchase Order Receiver File).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The PO.
    pub key: OrderKey,
    /// The PO line (`LNID`, decimal form).
    pub lnid: Decimal,
    /// Receipt or match row.
    pub kind: ReceiptKind,
    /// Receipt line (`NLIN`).
    pub line: Decimal,
    /// Receipt document (or, on a match row, the voucher) `DOC`/`DCT`/`KCO`.
    pub doc: u64,
    /// Its type.
    pub dct: String,
    /// Its company.
    pub kco: String,
    /// Supplier.
    pub an8: AddressNumber,
    /// Date received (`RCDJ`).
    pub date: Option<Date>,
    /// Quantity received (`UREC`); on a match row, vouchered.
    pub quantity: Decimal,
    /// Amount received (`AREC`); on a match row, vouchered.
    pub amount: Decimal,
    /// Received and not yet vouchered (`UOPN`).
    pub open_quantity: Decimal,
    /// Received and not yet vouchered (`AOPN`), domestic.
    pub open_amount: Decimal,
    /// Received and not yet vouchered in the order's foreign currency (`FAP`; zero on a
    /// domestic order).
    pub open_foreign_amount: Decimal,
}

/// A voucher call: the plan plus batch user, batch number and the final `VINV`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherRequest {
    /// The plan.
    pub plan: VoucherPlan,
    /// EDUS.
    pub edus: String,
    /// EDBT.
    pub edbt: String,
    /// VINV (with `-CM` suffix when needed).
    pub vinv: String,
}

/// Where a batch job launched through the AIS report service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting in the queue.
    Waiting,
    /// Running.
    Processing,
    /// Ended normally.
    Done,
    /// Ended in error.
    Error,
}

impl JobState {
    /// The job ended (normally or in error).
    pub fn ended(self) -> bool {
        matches!(self, JobState::Done | JobState::Error)
    }
    /// AIS's one-letter code.
    pub fn code(self) -> &'static str {
        match self {
            JobState::Waiting => "W",
            JobState::Processing => "P",
            JobState::Done => "D",
            JobState::Error => "E",
        }
    }
}

/// The JDE side.
#[async_trait]
pub trait JdeSource: Send + Sync {
    /// F4301 rows of the given order types changed in the window, by `(UPMJ, TDAY)` ascending.
    /// `start_date` bounds TRDJ on the first sync.
    fn po_headers_changed(
        &self,
        window: &Window,
        order_types: &[String],
        start_date: Option<Date>,
    ) -> PageStream<PoHeader>;
    /// F4311 rows changed in the window, ascending.
    fn po_lines_changed(&self, window: &Window, order_types: &[String]) -> PageStream<PoLineRow>;
    /// F4301 rows of these POs.
    async fn po_headers(&self, keys: &[OrderKey]) -> Result<Vec<PoHeader>, RemoteError>;
    /// All F4311 rows of these POs (bulk reads, never one request per PO).
    async fn po_lines(&self, keys: &[OrderKey]) -> Result<Vec<PoLineRow>, RemoteError>;
    /// Suppliers whose rows in `table` changed in the window (all on the first sync).
    fn supplier_keys_changed(
        &self,
        table: SupplierTable,
        window: &Window,
    ) -> PageStream<(AddressNumber, JdeStamp)>;
    /// Address numbers with an F0116 row effective (EFTB) after `after` and not after `upto`:
    /// future-dated addresses that took effect since, which no update stamp shows.
    async fn addresses_effective(
        &self,
        after: Date,
        upto: Date,
    ) -> Result<Vec<AddressNumber>, RemoteError>;
    /// Address book entries (F0101.ALPH and the F0116 address in effect) of these numbers: the
    /// ship-to and buyer of POs. The default knows none (each goes by its number only).
    async fn parties(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<crate::mapping::purchase_order::Parties, RemoteError> {
        let _ = an8s;
        Ok(Default::default())
    }
    /// The payee of each of these suppliers and when it (or its address) last changed in JDE
    /// (`crate::payee`). The default knows none (nothing is flagged).
    async fn payees(
        &self,
        suppliers: &[AddressNumber],
    ) -> Result<Vec<crate::payee::PayeeState>, RemoteError> {
        let _ = suppliers;
        Ok(Vec::new())
    }
    /// Full suppliers (F0401 + F0101 + F0116 + F01151) for these numbers.
    async fn suppliers(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<Vec<(Supplier, serde_json::Value)>, RemoteError>;
    /// F0901 accounts changed in the window (all on the first sync).
    fn accounts_changed(&self, window: &Window) -> PageStream<(GlAccount, JdeStamp)>;
    /// F0006 business units changed in the window (all on the first sync).
    fn business_units_changed(&self, window: &Window) -> PageStream<(BusinessUnit, JdeStamp)>;
    /// All business units (reference data).
    async fn business_units(&self) -> Result<Vec<BusinessUnit>, RemoteError>;
    /// These accounts (reference data), by `BU.OBJ.SUB`.
    async fn accounts_by_bu(&self, bus: &[String]) -> Result<Vec<GlAccount>, RemoteError>;
    /// Company constants (F0010).
    async fn companies(&self) -> Result<Vec<CompanyInfo>, RemoteError>;
    /// Currency decimals (F0013).
    async fn currency_decimals(&self) -> Result<HashMap<String, u32>, RemoteError>;
    /// Our F0411Z1 pay items for these transaction numbers.
    async fn z_vouchers(&self, edus: &str, edtns: &[String]) -> Result<Vec<ZVoucher>, RemoteError>;
    /// All our F0411Z1 pay items (`EDUS`) of these batches (`EDBT`), processed or not.
    async fn z_batches(&self, edus: &str, edbts: &[String]) -> Result<Vec<ZVoucher>, RemoteError>;
    /// F0411 pay items of these suppliers.
    async fn vouchers_of(&self, an8s: &[AddressNumber]) -> Result<Vec<ApVoucher>, RemoteError>;
    /// F0911 lines of a voucher.
    async fn distribution(&self, doc: &VoucherDoc) -> Result<Vec<GlLine>, RemoteError>;
    /// F43121 rows (receipts and voucher matches) of these POs: one bulk read, never one
    /// request per line.
    async fn receipts(&self, keys: &[OrderKey]) -> Result<Vec<Receipt>, RemoteError>;
    /// The Voucher Match Automation rule of these suppliers (F0401 `ATRL`), blank when none.
    async fn supplier_match_rules(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<HashMap<AddressNumber, String>, RemoteError>;
    /// Calls the voucher orchestration (`orchestration`): a plan with a match part goes as a
    /// match voucher (`ATRL` + `MatchLines`), the caller naming `match_orchestration`.
    async fn post_voucher(
        &self,
        orchestration: &str,
        req: &VoucherRequest,
    ) -> Result<(), RemoteError>;
    /// Launches a batch job through the AIS report service; returns its job number.
    async fn launch_report(&self, report: &str, version: &str) -> Result<i64, RemoteError>;
    /// The state of a job launched earlier.
    async fn report_status(&self, job_number: i64) -> Result<JobState, RemoteError>;
}

/// An invoice header seen in a list page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceStub {
    /// JAGGAER invoice id.
    pub id: String,
    /// `lastUpdate`.
    pub last_update: Timestamp,
}

/// A PO as JAGGAER holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoSummary {
    /// Header total.
    pub total: Decimal,
    /// Number of lines.
    pub lines: usize,
    /// Supplier `extCode` (JDE AN8).
    pub supplier_ext_code: String,
}

/// cXML order request type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CxmlOrderKind {
    /// First send.
    New,
    /// A changed PO.
    Update,
    /// A cancelled PO.
    Delete,
}

/// How a page of suppliers sent as one XML Router message (`transport = "xml"`) went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplierPageOutcome {
    /// Every supplier of the message was applied.
    Complete,
    /// JAGGAER applied only some (completed < attempted) without saying which: the flow
    /// re-sends the page one supplier per message to find the failing one.
    Partial {
        /// Documents attempted.
        attempted: u32,
        /// Documents completed.
        completed: u32,
    },
}

/// The JAGGAER side.
#[async_trait]
pub trait JaggaerSide: Send + Sync {
    /// Upserts a supplier profile by `extCode`; returns its `bravoId`.
    async fn upsert_supplier(&self, s: &SupplierOut) -> Result<String, RemoteError>;
    /// Upserts a PO by `poNumber`; returns its `poId`.
    async fn upsert_po(&self, po: &PoOut) -> Result<String, RemoteError>;
    /// Sends a PO as a cXML OrderRequest.
    async fn send_po_cxml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        payload_id: &str,
    ) -> Result<(), RemoteError>;
    /// Reads a value list.
    async fn values(&self, field: &str) -> Result<Vec<ValueOut>, RemoteError>;
    /// Upserts values by `value`.
    async fn upsert_values(&self, field: &str, values: &[ValueOut]) -> Result<u64, RemoteError>;
    /// A PO as JAGGAER holds it (for `reconcile`): total, line count, supplier `extCode`.
    async fn po_summary(&self, po_number: &str) -> Result<Option<PoSummary>, RemoteError>;
    /// Invoice headers changed since (all when `None`).
    fn invoices_changed(&self, since: Option<Timestamp>) -> PageStream<InvoiceStub>;
    /// Decodes an inbound cXML InvoiceDetailRequest stored in the inbox: the invoice (its id is
    /// the sender's identity and invoiceID) or why it cannot be decoded.
    fn decode_cxml_invoice(&self, xml: &str) -> Result<Invoice, MappingError>;
    /// One invoice: its original JSON, and the decoded invoice or why it cannot be decoded.
    async fn invoice(
        &self,
        id: &str,
    ) -> Result<(serde_json::Value, Result<Invoice, MappingError>), RemoteError>;
    /// `transport = "xml"`: sends these suppliers as one `SupplierSyncMessage` with this
    /// `MessageId`. A refusal of the whole message is [`RemoteErrorKind::RecordRefused`] with
    /// JAGGAER's text (the flow then re-sends one supplier per message).
    async fn send_suppliers_xml(
        &self,
        page: &[SupplierOut],
        message_id: &str,
    ) -> Result<SupplierPageOutcome, RemoteError> {
        let _ = (page, message_id);
        Err(xml_not_configured())
    }
    /// `transport = "xml"`: sends a PO as a `PurchaseOrderMessage` (`New`, `Update` =
    /// `type="update"`, `Delete` = `type="cancel"`) with this `MessageId`.
    async fn send_po_xml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        message_id: &str,
    ) -> Result<(), RemoteError> {
        let _ = (po, kind, message_id);
        Err(xml_not_configured())
    }
}

fn xml_not_configured() -> RemoteError {
    RemoteError::new(
        "jaggaer",
        RemoteErrorKind::ConfigMissing,
        "transport = \"xml\" is not wired for this tenant (no XML Router client)",
    )
}
