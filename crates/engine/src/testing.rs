//! In-memory fakes of the [`JdeSource`] and [`JaggaerSide`] ports, for testing the flows
//! without HTTP (enabled by the `testing` feature, and in the crate's own unit tests).
//!
//! The fakes are faithful where the flows depend on it:
//! - reads return what writes stored: a voucher posted with [`JdeSource::post_voucher`] is an
//!   unprocessed F0411Z1 row that [`JdeSource::z_vouchers`] and [`JdeSource::vouchers_of`] find
//!   (until [`FakeJde::process_batch`] turns it into an F0411 voucher, as R04110ZA does);
//!   JAGGAER upserts are keyed by `extCode` / `poNumber` and return the same id every time;
//! - changed-row reads select rows by date (`UPMJ` between the window's first and last date, as
//!   the AIS query does) and return them in `(UPMJ, TDAY)` order, in pages of [`FakeJde::page_size`]
//!   rows; the flows themselves apply the exact window;
//! - every call is counted per [`Call`], and [`Faults::fail`] makes the Nth call of one kind
//!   fail with a [`FakeFailure`] of any kind (a write that times out after it was sent is applied
//!   and then reported as outcome unknown);
//! - every write is recorded, so tests can assert that a record was written exactly once.
//!
//! `RemoteError` values are built in exactly one place, [`remote_error`].
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use mlc_core::Decimal;
use mlc_core::ids::{AccountNumber, AddressNumber, BusinessUnitCode, OrderKey, TenantId};
use mlc_core::jdetime::{JdeStamp, TimeOfDay};
use mlc_core::model::{BusinessUnit, GlAccount, Invoice, PoLine, PoStatus, Supplier};
use mlc_core::record::{Entity, RecordKey, RecordKind};
use mlc_store::{LedgerEntry, QuarantineEntry, StateStore};

use crate::Engine;
use crate::mapping::MappingError;
use crate::mapping::purchase_order::PoOut;
use crate::mapping::supplier::SupplierOut;
use crate::ports::{
    ApVoucher, CxmlOrderKind, GlLine, InvoiceStub, JaggaerSide, JdeSource, JobState, PageStream,
    PoHeader, PoLineRow, PoSummary, Receipt, ReceiptKind, RemoteError, RemoteErrorKind,
    SupplierPageOutcome, SupplierTable, ValueOut, VoucherDoc, VoucherRequest, ZVoucher,
};
use crate::refdata::CompanyInfo;
use crate::settings::{
    AccountFormat, ChargeAccounts, ClosedPeriodRule, MappingSettings, TaxMode, TenantSettings,
    Transport, WindowSettings,
};
use crate::summary::TenantSummary;
use crate::window::Window;

/// The kinds of failure a fake can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeFailure {
    /// Unreachable or overloaded after the client's retries: not the record's fault.
    Transient,
    /// The remote refused this record (a validation error): quarantine it.
    Refused,
    /// The login itself was refused: pause the tenant.
    LoginRejected,
    /// A write that timed out after it was sent and **was applied** by the remote.
    TimeoutAfterWrite,
    /// A write that timed out after it was sent and was **not** applied by the remote.
    TimeoutLost,
    /// The port panics (a bug in a connector): the cycle must catch it, never loop on it.
    Panic,
}

/// The one place the fakes build a [`RemoteError`].
pub fn remote_error(system: &'static str, failure: FakeFailure) -> RemoteError {
    let kind = match failure {
        FakeFailure::Transient => RemoteErrorKind::Transient,
        FakeFailure::Refused => RemoteErrorKind::RecordRefused,
        FakeFailure::LoginRejected => RemoteErrorKind::AuthRejected,
        FakeFailure::TimeoutAfterWrite | FakeFailure::TimeoutLost => {
            RemoteErrorKind::OutcomeUnknown
        }
        FakeFailure::Panic => panic!("injected panic in {system}"),
    };
    RemoteError::new(system, kind, format!("injected {failure:?} failure"))
}

/// A port method, for counting calls and injecting failures. A changed-rows read counts one
/// call per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Call {
    /// [`JdeSource::po_headers_changed`] (per page).
    PoHeadersChanged,
    /// [`JdeSource::po_lines_changed`] (per page).
    PoLinesChanged,
    /// [`JdeSource::po_headers`].
    PoHeaders,
    /// [`JdeSource::po_lines`].
    PoLines,
    /// [`JdeSource::supplier_keys_changed`] (per page).
    SupplierKeysChanged,
    /// [`JdeSource::suppliers`].
    Suppliers,
    /// [`JdeSource::addresses_effective`].
    AddressesEffective,
    /// [`JdeSource::accounts_changed`] (per page).
    AccountsChanged,
    /// [`JdeSource::business_units_changed`] (per page).
    BusinessUnitsChanged,
    /// [`JdeSource::business_units`].
    BusinessUnits,
    /// [`JdeSource::accounts_by_bu`].
    AccountsByBu,
    /// [`JdeSource::companies`].
    Companies,
    /// [`JdeSource::currency_decimals`].
    CurrencyDecimals,
    /// [`JdeSource::z_vouchers`].
    ZVouchers,
    /// [`JdeSource::z_batches`].
    ZBatches,
    /// [`JdeSource::launch_report`].
    LaunchReport,
    /// [`JdeSource::report_status`].
    ReportStatus,
    /// [`JdeSource::vouchers_of`].
    VouchersOf,
    /// [`JdeSource::distribution`].
    Distribution,
    /// [`JdeSource::post_voucher`].
    PostVoucher,
    /// [`JdeSource::receipts`].
    Receipts,
    /// [`JdeSource::supplier_match_rules`].
    SupplierMatchRules,
    /// [`JaggaerSide::upsert_supplier`].
    UpsertSupplier,
    /// [`JaggaerSide::upsert_po`].
    UpsertPo,
    /// [`JaggaerSide::send_po_cxml`].
    SendPoCxml,
    /// [`JaggaerSide::values`].
    Values,
    /// [`JaggaerSide::upsert_values`].
    UpsertValues,
    /// [`JaggaerSide::po_summary`].
    PoSummary,
    /// [`JaggaerSide::invoices_changed`] (per page).
    InvoicesChanged,
    /// [`JaggaerSide::invoice`].
    Invoice,
    /// [`JaggaerSide::send_suppliers_xml`].
    SendSuppliersXml,
    /// [`JaggaerSide::send_po_xml`].
    SendPoXml,
}

/// Call counts and planned failures of one fake.
#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<FaultState>,
}

#[derive(Debug, Default)]
struct FaultState {
    calls: HashMap<Call, usize>,
    /// `(call, nth, failure, repeat)`: the `nth` call (1-based) fails, and with `repeat`
    /// every later one too.
    planned: Vec<(Call, usize, FakeFailure, bool)>,
}

impl Faults {
    /// The `nth` call (1-based, counted from the fake's creation) of `call` fails with `failure`.
    pub fn fail(&self, call: Call, nth: usize, failure: FakeFailure) {
        self.lock().planned.push((call, nth, failure, false));
    }

    /// The next call of `call` fails with `failure`.
    pub fn fail_next(&self, call: Call, failure: FakeFailure) {
        let mut g = self.lock();
        let nth = g.calls.get(&call).copied().unwrap_or(0) + 1;
        g.planned.push((call, nth, failure, false));
    }

    /// Every call of `call` from now on fails with `failure` (until [`Faults::clear`]).
    pub fn fail_always(&self, call: Call, failure: FakeFailure) {
        let mut g = self.lock();
        let nth = g.calls.get(&call).copied().unwrap_or(0) + 1;
        g.planned.push((call, nth, failure, true));
    }

    /// Removes every planned failure.
    pub fn clear(&self) {
        self.lock().planned.clear();
    }

    /// How many times `call` was made.
    pub fn calls(&self, call: Call) -> usize {
        self.lock().calls.get(&call).copied().unwrap_or(0)
    }

    /// Counts a call and returns the failure planned for it, if any.
    fn hit(&self, call: Call) -> Option<FakeFailure> {
        let mut g = self.lock();
        let n = {
            let c = g.calls.entry(call).or_default();
            *c += 1;
            *c
        };
        g.planned
            .iter()
            .find(|(c, nth, _, repeat)| *c == call && (*nth == n || (*repeat && n >= *nth)))
            .map(|p| p.2)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.inner.lock().expect("faults lock")
    }
}

/// A JDE stamp from `YYYY-MM-DD` and `HHMMSS`.
pub fn stamp(date: &str, hhmmss: u32) -> JdeStamp {
    JdeStamp::new(
        date.parse().expect("a YYYY-MM-DD date"),
        TimeOfDay::from_raw(hhmmss).expect("a HHMMSS time"),
    )
}

/// A supplier row of the fake JDE.
#[derive(Debug, Clone)]
pub struct FakeSupplier {
    /// The joined supplier (its `updated` is the later of the two stamps).
    pub supplier: Supplier,
    /// `(UPMJ, TDAY)` of F0401.
    pub f0401: JdeStamp,
    /// `(UPMJ, TDAY)` of F0101.
    pub f0101: JdeStamp,
    /// `(UPMJ, UPMT)` of its latest F0116 row.
    pub f0116: JdeStamp,
    /// `(UPMJ, UPMT)` of its latest F01151 row.
    pub f01151: JdeStamp,
    /// Effective dates (EFTB) of its F0116 rows.
    pub eftb: Vec<jiff::civil::Date>,
}

/// One F0411Z1 voucher (all its pay item and distribution rows, as one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeZVoucher {
    /// The call that wrote it.
    pub request: VoucherRequest,
    /// EDSP.
    pub processed: bool,
    /// EDER.
    pub error: Option<String>,
    /// The F0411 document once processed.
    pub doc: Option<VoucherDoc>,
}

#[derive(Debug, Default)]
struct JdeData {
    headers: Vec<PoHeader>,
    lines: Vec<PoLineRow>,
    suppliers: Vec<FakeSupplier>,
    accounts: Vec<(GlAccount, JdeStamp)>,
    business_units: Vec<(BusinessUnit, JdeStamp)>,
    companies: Vec<CompanyInfo>,
    currency_decimals: HashMap<String, u32>,
    z: Vec<FakeZVoucher>,
    f0411: Vec<ApVoucher>,
    next_doc: u64,
    posted: Vec<VoucherRequest>,
    /// The orchestration each call of `posted` named.
    orchestrations: Vec<String>,
    /// F43121.
    receipts: Vec<Receipt>,
    /// F0401 `ATRL` by supplier.
    match_rules: HashMap<AddressNumber, String>,
}

/// An in-memory JD Edwards.
#[derive(Debug)]
pub struct FakeJde {
    data: Mutex<JdeData>,
    /// Call counts and planned failures.
    pub faults: Faults,
    /// Rows per page of a changed-rows read.
    pub page_size: usize,
    after_post: Mutex<Option<PostHook>>,
}

/// Runs after the fake applied a voucher call, before it answers (see [`FakeJde::on_post`]).
#[derive(Clone)]
struct PostHook(Arc<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for PostHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostHook")
    }
}

impl Default for FakeJde {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeJde {
    /// A JDE with the master data of [`settings`]: company 00200 (USD, fiscal year 2026 from
    /// January, period 1 open), business units `200` and `210` and postable accounts `200.6110`,
    /// `200.6120`, `210.6110` and the charge accounts of [`charge_accounts`] for both.
    pub fn new() -> Self {
        let mut d = JdeData {
            next_doc: 9000,
            ..JdeData::default()
        };
        let old = stamp("2025-01-02", 80000);
        for bu in ["200", "210"] {
            d.business_units.push((
                BusinessUnit {
                    code: BusinessUnitCode::new(bu),
                    company: "00200".into(),
                    description: format!("Business unit {bu}"),
                    kind: "IS".into(),
                    postable: true,
                },
                old,
            ));
            for obj in ["6110", "6120", "2310", "6210", "6220", "6290", "6295"] {
                d.accounts.push((
                    GlAccount {
                        account: AccountNumber::new(bu, obj, ""),
                        aid: String::new(),
                        company: "00200".into(),
                        description: format!("Account {obj}"),
                        postable: true,
                    },
                    old,
                ));
            }
        }
        d.companies.push(CompanyInfo {
            company: "00200".into(),
            currency: "USD".into(),
            fiscal_year_start: Some(jiff::civil::date(2026, 1, 1)),
            current_period: Some(1),
            period_ends: Vec::new(),
        });
        d.currency_decimals.insert("USD".into(), 2);
        d.currency_decimals.insert("EUR".into(), 2);
        Self {
            data: Mutex::new(d),
            faults: Faults::default(),
            page_size: 100,
            after_post: Mutex::new(None),
        }
    }

    /// Runs `f` after every voucher call is applied and before it is answered: what happens
    /// elsewhere while a write is in flight (a lease takeover, a crash).
    pub fn on_post(&self, f: impl Fn() + Send + Sync + 'static) {
        *self.after_post.lock().expect("hook lock") = Some(PostHook(Arc::new(f)));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JdeData> {
        self.data.lock().expect("fake jde lock")
    }

    /// Adds or replaces a supplier (by AN8).
    pub fn put_supplier(&self, s: FakeSupplier) {
        let mut d = self.lock();
        d.suppliers.retain(|x| x.supplier.an8 != s.supplier.an8);
        d.suppliers.push(s);
    }

    /// Adds or replaces a business unit (by code), stamped `at`.
    pub fn put_business_unit(&self, b: BusinessUnit, at: JdeStamp) {
        let mut d = self.lock();
        d.business_units.retain(|(x, _)| x.code != b.code);
        d.business_units.push((b, at));
    }

    /// Adds or replaces a GL account (by number), stamped `at`.
    pub fn put_account(&self, a: GlAccount, at: JdeStamp) {
        let mut d = self.lock();
        d.accounts.retain(|(x, _)| x.account != a.account);
        d.accounts.push((a, at));
    }

    /// Adds or replaces a PO header (by key).
    pub fn put_po_header(&self, h: PoHeader) {
        let mut d = self.lock();
        d.headers.retain(|x| x.key != h.key);
        d.headers.push(h);
    }

    /// Adds or replaces a PO line (by key and line number).
    pub fn put_po_line(&self, l: PoLineRow) {
        let mut d = self.lock();
        d.lines
            .retain(|x| !(x.key == l.key && x.line.line_number == l.line.line_number));
        d.lines.push(l);
    }

    /// Adds a processed voucher to F0411 (keyed by someone else, or long ago).
    pub fn put_f0411(&self, an8: AddressNumber, vinv: &str, gross: Decimal, currency: &str) {
        let mut d = self.lock();
        d.next_doc += 1;
        let doc = VoucherDoc {
            doc: d.next_doc,
            dct: "PV".into(),
            kco: "00200".into(),
            icu: 1,
        };
        d.f0411.push(ApVoucher {
            an8,
            vinv: vinv.into(),
            doc,
            gross,
            currency: currency.into(),
            pending: None,
        });
    }

    /// Runs JDE's batch voucher processor (R04110ZA) over every unprocessed Z voucher: each
    /// becomes an F0411 voucher, except those whose `EDTN` is in `errors`: those stay unprocessed
    /// (`EDSP = 0`), the reason kept aside as JDE keeps it in the Work Center, never in the row.
    pub fn process_batch(&self, errors: &[(&str, &str)]) {
        let mut guard = self.lock();
        let d = &mut *guard;
        let mut next = d.next_doc;
        let mut new = Vec::new();
        let mut new_matches = Vec::new();
        let mut d_receipts = std::mem::take(&mut d.receipts);
        for z in d.z.iter_mut().filter(|z| !z.processed && z.error.is_none()) {
            if let Some((_, why)) = errors.iter().find(|(e, _)| *e == z.request.plan.edtn) {
                z.error = Some((*why).to_owned());
                continue;
            }
            next += 1;
            let doc = VoucherDoc {
                doc: next,
                dct: "PV".into(),
                kco: z.request.plan.company.clone(),
                icu: z.request.edbt.parse().unwrap_or_default(),
            };
            z.processed = true;
            z.doc = Some(doc.clone());
            // Voucher Match Automation (R4304010): each matched line clears what it can of
            // its PO line's open receipts and leaves a match row naming the voucher.
            if let Some(m) = &z.request.plan.matching {
                for l in &m.lines {
                    let (mut q, mut a) = (l.quantity, l.amount);
                    for r in d_receipts_open(&mut d_receipts, &l.key, l.lnid) {
                        let take_q = q.min(r.open_quantity);
                        let take_a = a.min(r.open_amount);
                        r.open_quantity -= take_q;
                        r.open_amount -= take_a;
                        q -= take_q;
                        a -= take_a;
                    }
                    new_matches.push(Receipt {
                        key: l.key.clone(),
                        lnid: l.lnid,
                        kind: ReceiptKind::Match,
                        line: Decimal::ONE,
                        doc: doc.doc,
                        dct: doc.dct.clone(),
                        kco: doc.kco.clone(),
                        an8: z.request.plan.an8,
                        date: None,
                        quantity: l.quantity,
                        amount: l.amount,
                        open_quantity: Decimal::ZERO,
                        open_amount: Decimal::ZERO,
                        open_foreign_amount: Decimal::ZERO,
                    });
                }
            }
            new.push(ApVoucher {
                an8: z.request.plan.an8,
                vinv: z.request.vinv.clone(),
                doc,
                gross: z.request.plan.gross,
                currency: z.request.plan.currency.clone(),
                pending: None,
            });
        }
        d.next_doc = next;
        d.f0411.extend(new);
        d_receipts.extend(new_matches);
        d.receipts = d_receipts;
    }

    /// Receives `quantity` of a PO line at its unit price (an F43121 receipt row, all of it open
    /// to voucher), as JDE's receipt program does. Returns the receipt's document number.
    pub fn receive(&self, key: &OrderKey, lnid: &str, quantity: &str) -> u64 {
        let lnid: Decimal = lnid.parse().expect("a decimal LNID");
        let quantity: Decimal = quantity.parse().expect("a decimal quantity");
        let mut d = self.lock();
        let price = d
            .lines
            .iter()
            .find(|l| &l.key == key && l.line.line_number == lnid)
            .map(|l| l.line.unit_price)
            .expect("receiving a PO line that exists");
        let an8 = d
            .headers
            .iter()
            .find(|h| &h.key == key)
            .map(|h| h.supplier)
            .unwrap_or(AddressNumber(0));
        d.next_doc += 1;
        let doc = d.next_doc;
        let amount = (quantity * price).round_dp(2);
        d.receipts.push(Receipt {
            key: key.clone(),
            lnid: lnid.normalize(),
            kind: ReceiptKind::Receipt,
            line: Decimal::ONE,
            doc,
            dct: "OV".into(),
            kco: key.kcoo.clone(),
            an8,
            date: Some(jiff::civil::date(2026, 1, 5)),
            quantity,
            amount,
            open_quantity: quantity,
            open_amount: amount,
            open_foreign_amount: Decimal::ZERO,
        });
        doc
    }

    /// Sets a supplier's Voucher Match Automation rule (F0401 `ATRL`).
    pub fn put_match_rule(&self, an8: AddressNumber, rule: &str) {
        self.lock().match_rules.insert(an8, rule.to_owned());
    }

    /// The F43121 rows.
    pub fn receipt_rows(&self) -> Vec<Receipt> {
        self.lock().receipts.clone()
    }

    /// The orchestration each voucher call named, in order.
    pub fn orchestrations(&self) -> Vec<String> {
        self.lock().orchestrations.clone()
    }

    /// Deletes an unprocessed Z voucher (someone cleared the batch).
    pub fn delete_z(&self, edtn: &str) {
        self.lock().z.retain(|z| z.request.plan.edtn != edtn);
    }

    /// Every successful (or applied) voucher call, in order.
    pub fn posted(&self) -> Vec<VoucherRequest> {
        self.lock().posted.clone()
    }

    /// The F0411Z1 vouchers.
    pub fn z_rows(&self) -> Vec<FakeZVoucher> {
        self.lock().z.clone()
    }

    fn pages<T: Send + 'static>(&self, call: Call, rows: Vec<T>) -> PageStream<T> {
        let size = self.page_size.max(1);
        let mut pages: Vec<Result<Vec<T>, RemoteError>> = Vec::new();
        let mut rows = rows.into_iter().peekable();
        loop {
            let page: Vec<T> = rows.by_ref().take(size).collect();
            let last = rows.peek().is_none();
            match self.faults.hit(call) {
                Some(f) => {
                    // A failed page ends the stream, as the client's does.
                    pages.push(Err(remote_error("jde", f)));
                    break;
                }
                None => pages.push(Ok(page)),
            }
            if last {
                break;
            }
        }
        futures::stream::iter(pages).boxed()
    }

    fn check(&self, call: Call) -> Result<(), RemoteError> {
        match self.faults.hit(call) {
            Some(f) => Err(remote_error("jde", f)),
            None => Ok(()),
        }
    }
}

/// The receipt rows of a PO line with something open, oldest first.
fn d_receipts_open<'a>(
    rows: &'a mut [Receipt],
    key: &OrderKey,
    lnid: Decimal,
) -> impl Iterator<Item = &'a mut Receipt> {
    rows.iter_mut().filter(move |r| {
        r.kind == ReceiptKind::Receipt
            && &r.key == key
            && r.lnid == lnid.normalize()
            && r.open_quantity > Decimal::ZERO
    })
}

/// Whether a row stamped `s` is selected by the AIS query of `window` (dates only, inclusive).
fn in_query(window: &Window, s: JdeStamp) -> bool {
    window.first_date().is_none_or(|d| s.date >= d) && s.date <= window.last_date()
}

#[async_trait]
impl JdeSource for FakeJde {
    /// The fake has no report service: a launch is refused as a configuration problem, as an
    /// AIS server without the report service answers (tests of launching go through the
    /// simulator).
    async fn launch_report(&self, report: &str, version: &str) -> Result<i64, RemoteError> {
        self.check(Call::LaunchReport)?;
        Err(RemoteError::new(
            "jde",
            RemoteErrorKind::ConfigMissing,
            format!("the fake has no report service ({report} {version})"),
        ))
    }

    async fn report_status(&self, job_number: i64) -> Result<JobState, RemoteError> {
        self.check(Call::ReportStatus)?;
        Err(RemoteError::new(
            "jde",
            RemoteErrorKind::ConfigMissing,
            format!("the fake has no job {job_number}"),
        ))
    }

    fn po_headers_changed(
        &self,
        window: &Window,
        order_types: &[String],
        start_date: Option<Date>,
    ) -> PageStream<PoHeader> {
        let mut rows: Vec<PoHeader> = self
            .lock()
            .headers
            .iter()
            .filter(|h| in_query(window, h.stamp))
            .filter(|h| order_types.contains(&h.key.dcto))
            .filter(|h| start_date.is_none_or(|s| h.order_date.is_none_or(|o| o >= s)))
            .cloned()
            .collect();
        rows.sort_by_key(|h| (h.stamp, h.key.doco));
        self.pages(Call::PoHeadersChanged, rows)
    }

    fn po_lines_changed(&self, window: &Window, order_types: &[String]) -> PageStream<PoLineRow> {
        let mut rows: Vec<PoLineRow> = self
            .lock()
            .lines
            .iter()
            .filter(|l| in_query(window, l.stamp) && order_types.contains(&l.key.dcto))
            .cloned()
            .collect();
        rows.sort_by_key(|l| (l.stamp, l.key.doco, l.line.line_number));
        self.pages(Call::PoLinesChanged, rows)
    }

    async fn po_headers(&self, keys: &[OrderKey]) -> Result<Vec<PoHeader>, RemoteError> {
        self.check(Call::PoHeaders)?;
        Ok(self
            .lock()
            .headers
            .iter()
            .filter(|h| keys.contains(&h.key))
            .cloned()
            .collect())
    }

    async fn po_lines(&self, keys: &[OrderKey]) -> Result<Vec<PoLineRow>, RemoteError> {
        self.check(Call::PoLines)?;
        Ok(self
            .lock()
            .lines
            .iter()
            .filter(|l| keys.contains(&l.key))
            .cloned()
            .collect())
    }

    fn supplier_keys_changed(
        &self,
        table: SupplierTable,
        window: &Window,
    ) -> PageStream<(AddressNumber, JdeStamp)> {
        let mut rows: Vec<(AddressNumber, JdeStamp)> = self
            .lock()
            .suppliers
            .iter()
            .map(|s| {
                let st = match table {
                    SupplierTable::F0401 => s.f0401,
                    SupplierTable::F0101 => s.f0101,
                    SupplierTable::F0116 => s.f0116,
                    SupplierTable::F01151 => s.f01151,
                };
                (s.supplier.an8, st)
            })
            .filter(|(_, st)| in_query(window, *st))
            .collect();
        rows.sort_by_key(|(a, s)| (*s, *a));
        self.pages(Call::SupplierKeysChanged, rows)
    }

    async fn addresses_effective(
        &self,
        after: jiff::civil::Date,
        upto: jiff::civil::Date,
    ) -> Result<Vec<AddressNumber>, RemoteError> {
        self.check(Call::AddressesEffective)?;
        let mut an8s: Vec<AddressNumber> = self
            .lock()
            .suppliers
            .iter()
            .filter(|s| s.eftb.iter().any(|d| *d > after && *d <= upto))
            .map(|s| s.supplier.an8)
            .collect();
        an8s.sort();
        Ok(an8s)
    }

    async fn suppliers(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<Vec<(Supplier, serde_json::Value)>, RemoteError> {
        self.check(Call::Suppliers)?;
        Ok(self
            .lock()
            .suppliers
            .iter()
            .filter(|s| an8s.contains(&s.supplier.an8))
            .map(|s| {
                let raw = serde_json::to_value(&s.supplier).unwrap_or_default();
                (s.supplier.clone(), raw)
            })
            .collect())
    }

    fn accounts_changed(&self, window: &Window) -> PageStream<(GlAccount, JdeStamp)> {
        let mut rows: Vec<_> = self
            .lock()
            .accounts
            .iter()
            .filter(|(_, s)| in_query(window, *s))
            .cloned()
            .collect();
        rows.sort_by_key(|(a, s)| (*s, a.account.to_string()));
        self.pages(Call::AccountsChanged, rows)
    }

    fn business_units_changed(&self, window: &Window) -> PageStream<(BusinessUnit, JdeStamp)> {
        let mut rows: Vec<_> = self
            .lock()
            .business_units
            .iter()
            .filter(|(_, s)| in_query(window, *s))
            .cloned()
            .collect();
        rows.sort_by_key(|(b, s)| (*s, b.code.to_string()));
        self.pages(Call::BusinessUnitsChanged, rows)
    }

    async fn business_units(&self) -> Result<Vec<BusinessUnit>, RemoteError> {
        self.check(Call::BusinessUnits)?;
        Ok(self
            .lock()
            .business_units
            .iter()
            .map(|(b, _)| b.clone())
            .collect())
    }

    async fn accounts_by_bu(&self, bus: &[String]) -> Result<Vec<GlAccount>, RemoteError> {
        self.check(Call::AccountsByBu)?;
        Ok(self
            .lock()
            .accounts
            .iter()
            .filter(|(a, _)| bus.iter().any(|b| b.trim() == a.account.bu))
            .map(|(a, _)| a.clone())
            .collect())
    }

    async fn companies(&self) -> Result<Vec<CompanyInfo>, RemoteError> {
        self.check(Call::Companies)?;
        Ok(self.lock().companies.clone())
    }

    async fn currency_decimals(&self) -> Result<HashMap<String, u32>, RemoteError> {
        self.check(Call::CurrencyDecimals)?;
        Ok(self.lock().currency_decimals.clone())
    }

    async fn z_vouchers(&self, edus: &str, edtns: &[String]) -> Result<Vec<ZVoucher>, RemoteError> {
        self.check(Call::ZVouchers)?;
        Ok(self
            .lock()
            .z
            .iter()
            .filter(|z| z.request.edus == edus && edtns.contains(&z.request.plan.edtn))
            .map(|z| ZVoucher {
                edtn: z.request.plan.edtn.clone(),
                edbt: z.request.edbt.clone(),
                processed: z.processed,
                doc: z.doc.clone(),
                an8: z.request.plan.an8,
                vinv: z.request.vinv.clone(),
            })
            .collect())
    }

    async fn z_batches(&self, edus: &str, edbts: &[String]) -> Result<Vec<ZVoucher>, RemoteError> {
        self.check(Call::ZBatches)?;
        Ok(self
            .lock()
            .z
            .iter()
            .filter(|z| z.request.edus == edus && edbts.contains(&z.request.edbt))
            .map(|z| ZVoucher {
                edtn: z.request.plan.edtn.clone(),
                edbt: z.request.edbt.clone(),
                processed: z.processed,
                doc: z.doc.clone(),
                an8: z.request.plan.an8,
                vinv: z.request.vinv.clone(),
            })
            .collect())
    }

    async fn vouchers_of(&self, an8s: &[AddressNumber]) -> Result<Vec<ApVoucher>, RemoteError> {
        self.check(Call::VouchersOf)?;
        let d = self.lock();
        let mut out: Vec<ApVoucher> = d
            .f0411
            .iter()
            .filter(|v| an8s.contains(&v.an8))
            .cloned()
            .collect();
        // Unprocessed Z vouchers hold their invoice numbers too.
        out.extend(
            d.z.iter()
                .filter(|z| !z.processed && an8s.contains(&z.request.plan.an8))
                .map(|z| ApVoucher {
                    an8: z.request.plan.an8,
                    vinv: z.request.vinv.clone(),
                    doc: VoucherDoc {
                        doc: 0,
                        dct: String::new(),
                        kco: z.request.plan.company.clone(),
                        icu: 0,
                    },
                    gross: z.request.plan.gross,
                    currency: z.request.plan.currency.clone(),
                    pending: Some(format!(
                        "{}/{}/{}",
                        z.request.edus, z.request.edbt, z.request.plan.edtn
                    )),
                }),
        );
        Ok(out)
    }

    async fn receipts(&self, keys: &[OrderKey]) -> Result<Vec<Receipt>, RemoteError> {
        self.check(Call::Receipts)?;
        Ok(self
            .lock()
            .receipts
            .iter()
            .filter(|r| keys.contains(&r.key))
            .cloned()
            .collect())
    }

    async fn supplier_match_rules(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<HashMap<AddressNumber, String>, RemoteError> {
        self.check(Call::SupplierMatchRules)?;
        Ok(self
            .lock()
            .match_rules
            .iter()
            .filter(|(a, _)| an8s.contains(a))
            .map(|(a, r)| (*a, r.clone()))
            .collect())
    }

    async fn distribution(&self, doc: &VoucherDoc) -> Result<Vec<GlLine>, RemoteError> {
        self.check(Call::Distribution)?;
        Ok(self
            .lock()
            .z
            .iter()
            .filter(|z| z.doc.as_ref() == Some(doc))
            .flat_map(|z| {
                z.request.plan.lines.iter().map(|l| GlLine {
                    account: l.account.to_string(),
                    amount: l.amount,
                })
            })
            .collect())
    }

    async fn post_voucher(
        &self,
        orchestration: &str,
        req: &VoucherRequest,
    ) -> Result<(), RemoteError> {
        let failure = self.faults.hit(Call::PostVoucher);
        let applied = matches!(failure, None | Some(FakeFailure::TimeoutAfterWrite));
        if applied {
            let mut d = self.lock();
            d.posted.push(req.clone());
            d.orchestrations.push(orchestration.to_owned());
            d.z.push(FakeZVoucher {
                request: req.clone(),
                processed: false,
                error: None,
                doc: None,
            });
        }
        let hook = self.after_post.lock().expect("hook lock").clone();
        if let Some(PostHook(f)) = hook {
            f();
        }
        match failure {
            Some(f) => Err(remote_error("jde", f)),
            None => Ok(()),
        }
    }
}

/// One write the fake JAGGAER received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JagWrite {
    /// A supplier upsert.
    Supplier(SupplierOut),
    /// A J1P PO upsert.
    Po(PoOut),
    /// A cXML OrderRequest with its kind and payload id.
    PoCxml(PoOut, CxmlOrderKind, String),
    /// A value list upsert.
    Values(String, Vec<ValueOut>),
    /// A `SupplierSyncMessage` (XML Router): the suppliers of the message and its `MessageId`.
    SuppliersXml(Vec<SupplierOut>, String),
    /// A `PurchaseOrderMessage` (XML Router) with its type and `MessageId`.
    PoXml(PoOut, CxmlOrderKind, String),
}

#[derive(Debug, Default)]
struct JagData {
    suppliers: BTreeMap<String, (String, SupplierOut)>,
    pos: BTreeMap<String, (String, PoOut)>,
    values: BTreeMap<String, BTreeMap<String, ValueOut>>,
    invoices: BTreeMap<String, (serde_json::Value, Timestamp)>,
    next_id: u64,
    writes: Vec<JagWrite>,
    /// Suppliers (AN8) the XML Router refuses, with the reason it gives.
    xml_refused_suppliers: BTreeMap<String, String>,
}

/// An in-memory JAGGAER.
#[derive(Debug)]
pub struct FakeJaggaer {
    data: Mutex<JagData>,
    mapping: MappingSettings,
    /// Call counts and planned failures.
    pub faults: Faults,
    /// Invoice headers per page of [`JaggaerSide::invoices_changed`].
    pub page_size: usize,
}

impl FakeJaggaer {
    /// A JAGGAER whose invoices decode with these mapping settings (as the J1P adapter's do).
    pub fn new(mapping: MappingSettings) -> Self {
        Self {
            data: Mutex::new(JagData {
                next_id: 100,
                ..JagData::default()
            }),
            mapping,
            faults: Faults::default(),
            page_size: 100,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JagData> {
        self.data.lock().expect("fake jaggaer lock")
    }

    /// Adds or replaces an invoice: its J1P JSON (`header.invoiceId`, `header.lastUpdate`
    /// are read from it).
    pub fn put_invoice(&self, doc: serde_json::Value) {
        let id = doc["header"]["invoiceId"]
            .to_string()
            .trim_matches('"')
            .to_owned();
        let last_update = doc["header"]["lastUpdate"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        self.lock().invoices.insert(id, (doc, last_update));
    }

    /// The XML Router refuses supplier `ext_code` with `reason` from now on: a message carrying
    /// it with others is applied in part (completed < attempted, without saying which), a
    /// message with it alone is refused with `reason`.
    pub fn refuse_xml_supplier(&self, ext_code: &str, reason: &str) {
        self.lock()
            .xml_refused_suppliers
            .insert(ext_code.to_owned(), reason.to_owned());
    }

    /// Every write received, in order (failed writes that were not applied are not in it).
    pub fn writes(&self) -> Vec<JagWrite> {
        self.lock().writes.clone()
    }

    /// The PO writes (J1P and cXML) for `po_number`.
    pub fn po_writes(&self, po_number: &str) -> Vec<PoOut> {
        self.writes()
            .into_iter()
            .filter_map(|w| match w {
                JagWrite::Po(p) | JagWrite::PoCxml(p, _, _) | JagWrite::PoXml(p, _, _)
                    if p.po_number == po_number =>
                {
                    Some(p)
                }
                _ => None,
            })
            .collect()
    }

    /// The supplier writes for `ext_code`.
    pub fn supplier_writes(&self, ext_code: &str) -> Vec<SupplierOut> {
        self.writes()
            .into_iter()
            .filter_map(|w| match w {
                JagWrite::Supplier(s) if s.ext_code == ext_code => Some(s),
                _ => None,
            })
            .collect()
    }

    /// The JAGGAER id of a supplier, once upserted.
    pub fn supplier_id(&self, ext_code: &str) -> Option<String> {
        self.lock()
            .suppliers
            .get(ext_code)
            .map(|(id, _)| id.clone())
    }

    /// A value list as JAGGAER holds it.
    pub fn value_list(&self, field: &str) -> Vec<ValueOut> {
        self.lock()
            .values
            .get(field)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Adds a value to a list as if keyed by hand in JAGGAER (not recorded as a write).
    pub fn put_value(&self, field: &str, v: ValueOut) {
        self.lock()
            .values
            .entry(field.to_owned())
            .or_default()
            .insert(v.value.clone(), v);
    }

    /// Applies a write unless the planned failure says it is not applied.
    fn write<T>(
        &self,
        call: Call,
        apply: impl FnOnce(&mut JagData) -> T,
    ) -> Result<T, RemoteError> {
        let failure = self.faults.hit(call);
        if !matches!(failure, None | Some(FakeFailure::TimeoutAfterWrite)) {
            return Err(remote_error("jaggaer", failure.expect("a failure")));
        }
        let out = apply(&mut self.lock());
        match failure {
            Some(f) => Err(remote_error("jaggaer", f)),
            None => Ok(out),
        }
    }
}

fn id_for(d: &mut JagData, prefix: &str) -> String {
    d.next_id += 1;
    format!("{prefix}{}", d.next_id)
}

#[async_trait]
impl JaggaerSide for FakeJaggaer {
    async fn upsert_supplier(&self, s: &SupplierOut) -> Result<String, RemoteError> {
        self.write(Call::UpsertSupplier, |d| {
            d.writes.push(JagWrite::Supplier(s.clone()));
            let id = match d.suppliers.get(&s.ext_code) {
                Some((id, _)) => id.clone(),
                None => id_for(d, "B"),
            };
            d.suppliers
                .insert(s.ext_code.clone(), (id.clone(), s.clone()));
            id
        })
    }

    async fn upsert_po(&self, po: &PoOut) -> Result<String, RemoteError> {
        self.write(Call::UpsertPo, |d| {
            d.writes.push(JagWrite::Po(po.clone()));
            let id = match d.pos.get(&po.po_number) {
                Some((id, _)) => id.clone(),
                None => id_for(d, "P"),
            };
            d.pos.insert(po.po_number.clone(), (id.clone(), po.clone()));
            id
        })
    }

    async fn send_suppliers_xml(
        &self,
        page: &[SupplierOut],
        message_id: &str,
    ) -> Result<SupplierPageOutcome, RemoteError> {
        let refused = self.write(Call::SendSuppliersXml, |d| {
            d.writes
                .push(JagWrite::SuppliersXml(page.to_vec(), message_id.to_owned()));
            let mut refused = Vec::new();
            for s in page {
                if let Some(reason) = d.xml_refused_suppliers.get(&s.ext_code) {
                    refused.push(reason.clone());
                    continue;
                }
                let id = s.ext_code.clone();
                d.suppliers.insert(s.ext_code.clone(), (id, s.clone()));
            }
            refused
        })?;
        match (refused.len(), page.len()) {
            (0, _) => Ok(SupplierPageOutcome::Complete),
            (1, 1) => Err(RemoteError::new(
                "jaggaer",
                RemoteErrorKind::RecordRefused,
                refused[0].clone(),
            )),
            (r, n) => Ok(SupplierPageOutcome::Partial {
                attempted: n as u32,
                completed: (n - r) as u32,
            }),
        }
    }

    async fn send_po_xml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        message_id: &str,
    ) -> Result<(), RemoteError> {
        let exists = self.write(Call::SendPoXml, |d| {
            if kind == CxmlOrderKind::New && d.pos.contains_key(&po.po_number) {
                return true;
            }
            d.writes
                .push(JagWrite::PoXml(po.clone(), kind, message_id.to_owned()));
            let id = po.po_number.clone();
            d.pos.insert(po.po_number.clone(), (id, po.clone()));
            false
        })?;
        if exists {
            return Err(RemoteError::new(
                "jaggaer",
                RemoteErrorKind::RecordRefused,
                format!("Purchase Order {} already exists", po.po_number),
            ));
        }
        Ok(())
    }

    async fn send_po_cxml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        payload_id: &str,
    ) -> Result<(), RemoteError> {
        self.write(Call::SendPoCxml, |d| {
            d.writes
                .push(JagWrite::PoCxml(po.clone(), kind, payload_id.to_owned()));
            let id = match d.pos.get(&po.po_number) {
                Some((id, _)) => id.clone(),
                None => id_for(d, "P"),
            };
            d.pos.insert(po.po_number.clone(), (id, po.clone()));
        })
    }

    async fn values(&self, field: &str) -> Result<Vec<ValueOut>, RemoteError> {
        if let Some(f) = self.faults.hit(Call::Values) {
            return Err(remote_error("jaggaer", f));
        }
        Ok(self.value_list(field))
    }

    async fn upsert_values(&self, field: &str, values: &[ValueOut]) -> Result<u64, RemoteError> {
        self.write(Call::UpsertValues, |d| {
            d.writes
                .push(JagWrite::Values(field.to_owned(), values.to_vec()));
            let list = d.values.entry(field.to_owned()).or_default();
            for v in values {
                list.insert(v.value.clone(), v.clone());
            }
            values.len() as u64
        })
    }

    async fn po_summary(&self, po_number: &str) -> Result<Option<PoSummary>, RemoteError> {
        if let Some(f) = self.faults.hit(Call::PoSummary) {
            return Err(remote_error("jaggaer", f));
        }
        Ok(self.lock().pos.get(po_number).map(|(_, po)| PoSummary {
            total: po.total,
            lines: po.lines.len(),
            supplier_ext_code: po.supplier_ext_code.clone(),
        }))
    }

    fn invoices_changed(&self, since: Option<Timestamp>) -> PageStream<InvoiceStub> {
        let mut stubs: Vec<InvoiceStub> = self
            .lock()
            .invoices
            .iter()
            .filter(|(_, (_, t))| since.is_none_or(|s| *t >= s))
            .map(|(id, (_, t))| InvoiceStub {
                id: id.clone(),
                last_update: *t,
            })
            .collect();
        stubs.sort_by(|a, b| (a.last_update, &a.id).cmp(&(b.last_update, &b.id)));
        let size = self.page_size.max(1);
        let mut pages = Vec::new();
        let mut it = stubs.into_iter().peekable();
        loop {
            let page: Vec<InvoiceStub> = it.by_ref().take(size).collect();
            let last = it.peek().is_none();
            if let Some(f) = self.faults.hit(Call::InvoicesChanged) {
                pages.push(Err(remote_error("jaggaer", f)));
                break;
            }
            pages.push(Ok(page));
            if last {
                break;
            }
        }
        futures::stream::iter(pages).boxed()
    }

    fn decode_cxml_invoice(&self, xml: &str) -> Result<Invoice, MappingError> {
        let doc = mlc_jaggaer::cxml::parse_invoice_detail_request(xml.as_bytes())
            .map_err(|e| MappingError::new("cXML", e.to_string()).kind("malformed"))?;
        crate::mapping::invoice::from_cxml(&doc, &self.mapping)
    }

    async fn invoice(
        &self,
        id: &str,
    ) -> Result<(serde_json::Value, Result<Invoice, MappingError>), RemoteError> {
        if let Some(f) = self.faults.hit(Call::Invoice) {
            return Err(remote_error("jaggaer", f));
        }
        let raw = self
            .lock()
            .invoices
            .get(id)
            .map(|(raw, _)| raw.clone())
            .ok_or_else(|| remote_error("jaggaer", FakeFailure::Refused))?;
        let decoded = match serde_json::from_value::<mlc_jaggaer::InvoiceDetail>(raw.clone()) {
            Ok(d) => crate::mapping::invoice::from_j1p(&d, &self.mapping),
            Err(e) => Err(MappingError::new("invoice", e.to_string()).kind("malformed")),
        };
        Ok((raw, decoded))
    }
}

/// Charge and tax accounts of business unit `bu`: tax `BU.2310`, freight `BU.6210`, handling
/// `BU.6220`, misc `BU.6290`, discount `BU.6295` (the defaults of [`settings`] are those of `200`).
pub fn charge_accounts(bu: &str) -> ChargeAccounts {
    let a = |obj: &str| AccountNumber::new(bu, obj, "");
    ChargeAccounts {
        tax: a("2310"),
        freight: a("6210"),
        handling: a("6220"),
        misc: a("6290"),
        discount: a("6295"),
    }
}

/// Settings of tenant `acme` for flow tests: REST transport, order type `OP`, invoices payable
/// when `Payable`, no cut-over, one write at a time (so "the Nth call" is a known record).
pub fn settings() -> TenantSettings {
    TenantSettings {
        tenant: TenantId::parse("acme").expect("a valid tenant id"),
        jde_timezone: TimeZone::UTC,
        start_date: None,
        batch_user: "MLCONN".into(),
        voucher_orchestration: "ML_AddVoucherBatch".into(),
        company: "00200".into(),
        po_order_types: vec!["OP".into()],
        page_size: 100,
        lines_chunk: 50,
        write_concurrency: 1,
        transport: Transport::Rest,
        poll_invoices: true,
        export_invoice_id: crate::mapping::invoice::DEFAULT_EXPORT_INVOICE_ID.into(),
        mapping: MappingSettings {
            gl_account_field: "Account".into(),
            cost_center_field: "CostCenter".into(),
            invoice_statuses: vec!["Payable".into()],
            account_format: AccountFormat::Full,
            tax: TaxMode::Line,
            charges: charge_accounts("200"),
            companies: BTreeMap::new(),
            tax_area: None,
            tax_explanation: "V".into(),
            account_scope: Default::default(),
            voucher_approval: Default::default(),
            voucher_approval_above: None,
        },
        windows: WindowSettings::default(),
        closed_period: ClosedPeriodRule::NextOpen,
        cxml_identity: "ml-connector".into(),
        payables: Default::default(),
        cycle_deadline: None,
    }
}

/// A tenant's world for flow tests: a real store (SQLite in memory), the two fakes and the
/// settings the engine is built with.
#[derive(Debug)]
pub struct Fakes {
    /// The state store.
    pub store: Arc<dyn StateStore>,
    /// JD Edwards.
    pub jde: Arc<FakeJde>,
    /// JAGGAER.
    pub jag: Arc<FakeJaggaer>,
    /// Settings (change before [`Fakes::cycle`]; each cycle builds its engine afresh).
    pub settings: TenantSettings,
}

impl Fakes {
    /// Empty fakes with the master data of [`FakeJde::new`], [`settings`] and a fresh store.
    pub async fn new() -> Self {
        let settings = settings();
        Self {
            store: memory_store().await,
            jde: Arc::new(FakeJde::new()),
            jag: Arc::new(FakeJaggaer::new(settings.mapping.clone())),
            settings,
        }
    }

    /// The same remote systems with a fresh, empty store: what a run sees after a crash lost
    /// every commit of the store (or before any).
    pub async fn with_fresh_store(&self) -> Self {
        Self {
            store: memory_store().await,
            jde: self.jde.clone(),
            jag: self.jag.clone(),
            settings: self.settings.clone(),
        }
    }

    /// The engine over these fakes.
    pub fn engine(&self) -> Engine {
        engine(
            self.store.clone(),
            self.jde.clone(),
            self.jag.clone(),
            self.settings.clone(),
        )
    }

    /// Runs one cycle of these entities.
    pub async fn cycle(&self, entities: &[Entity]) -> TenantSummary {
        self.engine()
            .run_cycle(entities.to_vec(), "test".into())
            .await
            .expect("the store works")
    }

    /// The saved cursor `name`.
    pub async fn cursor(&self, name: &str) -> Option<String> {
        self.store
            .cursor(&self.settings.tenant, name)
            .await
            .expect("the store works")
    }

    /// The ledger row of a record.
    pub async fn ledger(&self, kind: RecordKind, key: &str) -> Option<LedgerEntry> {
        self.store
            .ledger(&RecordKey::new(kind, &self.settings.tenant, key))
            .await
            .expect("the store works")
    }

    /// Open quarantine entries of the tenant.
    pub async fn quarantine(&self) -> Vec<QuarantineEntry> {
        self.store
            .quarantine_list(Some(&self.settings.tenant), true)
            .await
            .expect("the store works")
    }

    /// The audit actions of a record, oldest first.
    pub async fn actions(&self, kind: RecordKind, key: &str) -> Vec<String> {
        self.store
            .audit_trail(&RecordKey::new(kind, &self.settings.tenant, key), None)
            .await
            .expect("the store works")
            .into_iter()
            .map(|e| e.action)
            .collect()
    }
}

/// A fresh, migrated in-memory SQLite store.
pub async fn memory_store() -> Arc<dyn StateStore> {
    mlc_store::open("sqlite::memory:")
        .await
        .expect("an in-memory sqlite store")
}

/// An engine over the fakes and a store.
pub fn engine(
    store: Arc<dyn StateStore>,
    jde: Arc<FakeJde>,
    jag: Arc<FakeJaggaer>,
    settings: TenantSettings,
) -> Engine {
    Engine {
        store,
        jde,
        jag,
        settings: Arc::new(settings),
        progress: None,
        fence: None,
    }
}

/// A supplier with a name, active, stamped `at` in both tables.
pub fn supplier(an8: u64, name: &str, at: JdeStamp) -> FakeSupplier {
    FakeSupplier {
        supplier: Supplier {
            an8: AddressNumber(an8),
            name: name.into(),
            tax_id: String::new(),
            address: "1 Main St".into(),
            city: "Chicago".into(),
            postal_code: "60601".into(),
            country: "US".into(),
            email: None,
            currency: "USD".into(),
            active: true,
            updated: at,
        },
        f0401: at,
        f0101: at,
        f0116: at,
        f01151: at,
        eftb: Vec::new(),
    }
}

/// The key of PO `doco` (company 00200, type OP).
pub fn po_key(doco: u64) -> OrderKey {
    OrderKey::new("00200", "OP", doco)
}

/// A PO header of supplier `an8`, ordered 2026-01-05, USD, not on hold, stamped `at`.
pub fn po_header(doco: u64, an8: u64, at: JdeStamp) -> PoHeader {
    PoHeader {
        key: po_key(doco),
        supplier: AddressNumber(an8),
        business_unit: "200".into(),
        order_date: Some(jiff::civil::date(2026, 1, 5)),
        currency_mode: "D".into(),
        currency: "USD".into(),
        hold_code: String::new(),
        content: Default::default(),
        stamp: at,
        raw: serde_json::json!({"DOCO": doco, "AN8": an8}),
    }
}

/// An open PO line of `qty` at `price` to account `200.6110`, stamped `at`.
pub fn po_line(doco: u64, line: u32, qty: u32, price: &str, at: JdeStamp) -> PoLineRow {
    let price: Decimal = price.parse().expect("a decimal price");
    let qty = Decimal::from(qty);
    PoLineRow {
        key: po_key(doco),
        line: PoLine {
            line_number: Decimal::from(line),
            item_number: format!("ITEM-{line}"),
            description: format!("Item {line}"),
            quantity: qty,
            unit_of_measure: "EA".into(),
            unit_price: price,
            extended_price: price * qty,
            foreign_unit_price: Decimal::ZERO,
            foreign_extended_price: Decimal::ZERO,
            account: Some(AccountNumber::new("200", "6110", "")),
            cost_center: BusinessUnitCode::new("200"),
            status: PoStatus::Open,
            line_type: "N".into(),
            quantity_received: Decimal::ZERO,
            quantity_open: qty,
            requested_date: None,
            promised_date: None,
        },
        stamp: at,
        raw: serde_json::json!({"DOCO": doco, "LNID": line}),
    }
}

/// A J1P invoice of JAGGAER supplier `supplier_id` (supplier number `an8`): one line to
/// `200.6110` for `total` USD, dated 2026-01-10, with this payment status and `lastUpdate`.
pub fn j1p_invoice(
    id: u64,
    number: &str,
    supplier_id: &str,
    an8: u64,
    total: &str,
    status: &str,
    last_update: &str,
) -> serde_json::Value {
    serde_json::json!({"header": {
        "invoiceId": id, "invoiceNumber": format!("J-{id}"), "supplierInvoiceNumber": number,
        "invoiceType": "Invoice", "paymentStatus": status, "invoiceDate": "2026-01-10T12:00:00Z",
        "lastUpdate": last_update,
        "supplier": {"id": supplier_id, "name": "Supplier", "supplierNumber": an8.to_string()},
        "total": {"currency": "USD", "value": total}},
      "lineList": {"invoiceLine": [{
        "lineNumber": 1, "item": {"description": "Gloves"}, "quantity": "1", "unitPrice": total,
        "customFieldValueSetList": {"customFieldValueSet": [{"name": "Account",
            "customFieldValueList": {"customFieldValue": [{"value": "200.6110"}]}}]}}]}})
}
