//! `sync --dry-run` (issue 19): a cycle that reads exactly as a real one and writes nothing.
//!
//! [`Engine::dry_run`] returns the same engine with three layers swapped in:
//! - [`RecordingJde`] and [`RecordingJaggaer`] pass every read through and, instead of each
//!   write, record the write's exact payload ([`PlannedWrite`]) and answer with a plausible
//!   result (the JAGGAER id the store already holds, else a `dry-run-…` placeholder; a voucher
//!   call "accepted"; a processor launch that never reports back);
//! - [`DryStore`] passes reads through and keeps the cycle's commits in memory (ledger rows,
//!   cross references, cursors), so later flows of the same cycle see them as they would in a
//!   real cycle, and discards them at the end: no cursor, ledger, audit, quarantine or run row
//!   changes. Sequences (the voucher batch number `EDBT`) are predicted with
//!   [`StateStore::sequence_peek`] and never consumed, so a real run right after uses the same
//!   number and writes the same bytes.
//!
//! [`Engine::recording`] is the same recording layer in pass-through mode (every write is
//! made *and* recorded): `sync --json --writes` lists what a real cycle wrote, in the shape the
//! dry run lists what it would write.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use mlc_core::ids::{AddressNumber, OrderKey, TenantId};
use mlc_core::jdetime::JdeStamp;
use mlc_core::model::{BusinessUnit, GlAccount, Invoice, Supplier};
use mlc_core::record::{RecordKey, RecordKind};
use mlc_store::{
    AuditEvent, Commit, CursorRow, InboxDoc, LeaseRow, LedgerEntry, LedgerStatus, QuarantineEntry,
    QuarantineStatus, Role, RunId, RunRow, RunStatus, Session, StateStore, StoreError, TenantState,
    User, actions,
};
use serde::Serialize;

use crate::mapping::MappingError;
use crate::mapping::purchase_order::PoOut;
use crate::mapping::supplier::SupplierOut;
use crate::ports::{
    ApVoucher, CxmlOrderKind, GlLine, InvoiceStub, JaggaerSide, JdeSource, JobState, PageStream,
    PoHeader, PoLineRow, PoSummary, Receipt, RemoteError, RemoteErrorKind, SupplierPageOutcome,
    SupplierTable, ValueOut, VoucherDoc, VoucherRequest, ZVoucher,
};
use crate::refdata::CompanyInfo;
use crate::run::Engine;
use crate::window::Window;

/// The job number a dry run's processor "launch" answers with (never a real AIS job number).
const DRY_JOB: i64 = -1;

/// One write a cycle made (or, in a dry run, would make), with its exact payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedWrite {
    /// `jaggaer` or `jde`.
    pub system: &'static str,
    /// What: `supplier.upsert`, `po.upsert`, `po.cxml`, `po.xml`, `suppliers.xml`,
    /// `values.upsert`, `voucher`, `report.launch`.
    pub action: &'static str,
    /// The record's key in that action's terms (supplier `extCode`, `poNumber`, value-list
    /// field, voucher `EDTN`, report name).
    pub key: String,
    /// The payload as handed to the client: the mapped supplier/PO/value batch (with the cXML
    /// `payloadID` or XML `MessageId` and order type), or for a voucher the orchestration's
    /// input body exactly as sent (header inputs and every `GLDistribution` line).
    pub payload: serde_json::Value,
}

impl PlannedWrite {
    /// The sort key that makes two lists comparable (writes run concurrently, so their order
    /// in a cycle is not fixed).
    pub fn sort_key(&self) -> (&'static str, &'static str, String) {
        (self.system, self.action, self.key.clone())
    }
}

/// A record the cycle quarantined (or, in a dry run, would quarantine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedQuarantine {
    /// `kind:tenant:key`.
    pub record: String,
    /// Stable reason word (`mapping`, `unknown-supplier`, ...).
    pub reason_kind: String,
    /// The reason, naming the record and the field.
    pub reason: String,
    /// The field at fault, when known.
    pub field: Option<String>,
}

/// An invoice a dry run found it would not post: JDE already holds a voucher with its supplier
/// and number (keyed by hand before cut-over), or it is dated before `start_date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedSkip {
    /// `kind:tenant:key`.
    pub record: String,
    /// `found_existing` (already vouchered in JDE) or `skipped` (before `start_date`).
    pub action: String,
    /// Why, as the audit trail would say it.
    pub message: String,
}

/// What a recording layer saw: the writes, and (dry run) the records it would quarantine or
/// skip.
#[derive(Default)]
pub struct WriteLog {
    discard: bool,
    writes: Mutex<Vec<PlannedWrite>>,
    quarantine: Mutex<Vec<PlannedQuarantine>>,
    skipped: Mutex<Vec<PlannedSkip>>,
}

impl WriteLog {
    fn push(&self, system: &'static str, action: &'static str, key: &str, payload: impl Serialize) {
        let payload = serde_json::to_value(payload).unwrap_or(serde_json::Value::Null);
        lock(&self.writes).push(PlannedWrite {
            system,
            action,
            key: key.to_owned(),
            payload,
        });
    }

    /// True for a dry run (writes recorded, not made).
    pub fn is_dry_run(&self) -> bool {
        self.discard
    }

    /// The writes, sorted by system, action and key.
    pub fn writes(&self) -> Vec<PlannedWrite> {
        let mut w = lock(&self.writes).clone();
        w.sort_by_key(PlannedWrite::sort_key);
        w
    }

    /// Records the dry run would quarantine, in the order it met them.
    pub fn quarantined(&self) -> Vec<PlannedQuarantine> {
        lock(&self.quarantine).clone()
    }

    /// Invoices the dry run would not post because JDE already has them (keyed by hand) or
    /// they are dated before the cut-over `start_date`.
    pub fn skipped(&self) -> Vec<PlannedSkip> {
        lock(&self.skipped).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Engine {
    /// This engine for a dry run: reads go to both systems and the store as in a real cycle;
    /// writes to JAGGAER, JDE and the store are recorded in the returned log and not made.
    pub fn dry_run(&self) -> (Engine, Arc<WriteLog>) {
        let log = Arc::new(WriteLog {
            discard: true,
            ..WriteLog::default()
        });
        let store: Arc<dyn StateStore> = Arc::new(DryStore {
            inner: self.store.clone(),
            log: log.clone(),
            overlay: Mutex::new(Overlay::default()),
        });
        let engine = Engine {
            jde: Arc::new(RecordingJde {
                inner: self.jde.clone(),
                log: log.clone(),
            }),
            jag: Arc::new(RecordingJaggaer {
                inner: self.jag.clone(),
                log: log.clone(),
                store: self.store.clone(),
                tenant: self.settings.tenant.clone(),
            }),
            store,
            fence: None,
            ..self.clone()
        };
        (engine, log)
    }

    /// This engine with every write to JAGGAER and JDE made as usual and also recorded in the
    /// returned log (`sync --writes`).
    pub fn recording(&self) -> (Engine, Arc<WriteLog>) {
        let log = Arc::new(WriteLog::default());
        let engine = Engine {
            jde: Arc::new(RecordingJde {
                inner: self.jde.clone(),
                log: log.clone(),
            }),
            jag: Arc::new(RecordingJaggaer {
                inner: self.jag.clone(),
                log: log.clone(),
                store: self.store.clone(),
                tenant: self.settings.tenant.clone(),
            }),
            ..self.clone()
        };
        (engine, log)
    }
}

/// A [`JdeSource`] that records its writes (and, in a dry run, does not make them).
pub struct RecordingJde {
    inner: Arc<dyn JdeSource>,
    log: Arc<WriteLog>,
}

#[async_trait]
impl JdeSource for RecordingJde {
    fn po_headers_changed(
        &self,
        window: &Window,
        order_types: &[String],
        start_date: Option<Date>,
    ) -> PageStream<PoHeader> {
        self.inner
            .po_headers_changed(window, order_types, start_date)
    }
    fn po_lines_changed(&self, window: &Window, order_types: &[String]) -> PageStream<PoLineRow> {
        self.inner.po_lines_changed(window, order_types)
    }
    async fn po_headers(&self, keys: &[OrderKey]) -> Result<Vec<PoHeader>, RemoteError> {
        self.inner.po_headers(keys).await
    }
    async fn po_lines(&self, keys: &[OrderKey]) -> Result<Vec<PoLineRow>, RemoteError> {
        self.inner.po_lines(keys).await
    }
    fn supplier_keys_changed(
        &self,
        table: SupplierTable,
        window: &Window,
    ) -> PageStream<(AddressNumber, JdeStamp)> {
        self.inner.supplier_keys_changed(table, window)
    }
    async fn addresses_effective(
        &self,
        after: Date,
        upto: Date,
    ) -> Result<Vec<AddressNumber>, RemoteError> {
        self.inner.addresses_effective(after, upto).await
    }
    async fn suppliers(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<Vec<(Supplier, serde_json::Value)>, RemoteError> {
        self.inner.suppliers(an8s).await
    }
    fn accounts_changed(&self, window: &Window) -> PageStream<(GlAccount, JdeStamp)> {
        self.inner.accounts_changed(window)
    }
    fn business_units_changed(&self, window: &Window) -> PageStream<(BusinessUnit, JdeStamp)> {
        self.inner.business_units_changed(window)
    }
    async fn business_units(&self) -> Result<Vec<BusinessUnit>, RemoteError> {
        self.inner.business_units().await
    }
    async fn accounts_by_bu(&self, bus: &[String]) -> Result<Vec<GlAccount>, RemoteError> {
        self.inner.accounts_by_bu(bus).await
    }
    async fn companies(&self) -> Result<Vec<CompanyInfo>, RemoteError> {
        self.inner.companies().await
    }
    async fn currency_decimals(&self) -> Result<HashMap<String, u32>, RemoteError> {
        self.inner.currency_decimals().await
    }
    async fn z_vouchers(&self, edus: &str, edtns: &[String]) -> Result<Vec<ZVoucher>, RemoteError> {
        self.inner.z_vouchers(edus, edtns).await
    }
    async fn z_batches(&self, edus: &str, edbts: &[String]) -> Result<Vec<ZVoucher>, RemoteError> {
        self.inner.z_batches(edus, edbts).await
    }
    async fn vouchers_of(&self, an8s: &[AddressNumber]) -> Result<Vec<ApVoucher>, RemoteError> {
        self.inner.vouchers_of(an8s).await
    }
    async fn distribution(&self, doc: &VoucherDoc) -> Result<Vec<GlLine>, RemoteError> {
        self.inner.distribution(doc).await
    }
    async fn receipts(&self, keys: &[OrderKey]) -> Result<Vec<Receipt>, RemoteError> {
        self.inner.receipts(keys).await
    }
    async fn parties(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<crate::mapping::purchase_order::Parties, RemoteError> {
        self.inner.parties(an8s).await
    }
    async fn payees(
        &self,
        suppliers: &[AddressNumber],
    ) -> Result<Vec<crate::payee::PayeeState>, RemoteError> {
        self.inner.payees(suppliers).await
    }
    async fn supplier_match_rules(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<HashMap<AddressNumber, String>, RemoteError> {
        self.inner.supplier_match_rules(an8s).await
    }
    async fn post_voucher(
        &self,
        orchestration: &str,
        req: &VoucherRequest,
    ) -> Result<(), RemoteError> {
        // The body exactly as the AIS connector sends it: a match voucher's input when the plan
        // has a match part, the expense voucher's otherwise.
        let (kind, body) = match crate::mapping::voucher::match_input(
            &req.plan, &req.edus, &req.edbt, &req.vinv,
        ) {
            Some(m) => ("voucher-match", m.to_body()),
            None => (
                "voucher",
                crate::mapping::voucher::voucher_input(&req.plan, &req.edus, &req.edbt, &req.vinv)
                    .to_body(),
            ),
        };
        let res = if self.log.discard {
            Ok(())
        } else {
            self.inner.post_voucher(orchestration, req).await
        };
        // A refused call wrote nothing: only what went (or would go) through is listed.
        if res.is_ok() {
            self.log.push(
                "jde",
                kind,
                &req.plan.edtn,
                serde_json::json!({"orchestration": orchestration, "input": body}),
            );
        }
        res
    }
    async fn launch_report(&self, report: &str, version: &str) -> Result<i64, RemoteError> {
        let res = if self.log.discard {
            Ok(DRY_JOB)
        } else {
            self.inner.launch_report(report, version).await
        };
        if res.is_ok() {
            self.log.push(
                "jde",
                "report.launch",
                report,
                serde_json::json!({"report": report, "version": version}),
            );
        }
        res
    }
    async fn report_status(&self, job_number: i64) -> Result<JobState, RemoteError> {
        if self.log.discard && job_number == DRY_JOB {
            return Err(RemoteError::new(
                "jde",
                RemoteErrorKind::Transient,
                "dry run: the batch voucher processor was not launched",
            ));
        }
        self.inner.report_status(job_number).await
    }
}

/// A [`JaggaerSide`] that records its writes (and, in a dry run, does not make them).
pub struct RecordingJaggaer {
    inner: Arc<dyn JaggaerSide>,
    log: Arc<WriteLog>,
    /// The real store: the JAGGAER id a dry-run upsert answers with is the one it holds.
    store: Arc<dyn StateStore>,
    tenant: TenantId,
}

impl RecordingJaggaer {
    /// The id JAGGAER would answer with: the one the store holds, else a placeholder (JAGGAER
    /// assigns it on the real write).
    async fn known_id(&self, kind: RecordKind, key: &str) -> Result<String, RemoteError> {
        let known = self
            .store
            .xref_remote(&self.tenant, kind, key)
            .await
            .map_err(|e| RemoteError::new("store", RemoteErrorKind::Transient, e.to_string()))?;
        Ok(known.unwrap_or_else(|| format!("dry-run-{key}")))
    }
}

fn kind_word(kind: CxmlOrderKind) -> &'static str {
    match kind {
        CxmlOrderKind::New => "new",
        CxmlOrderKind::Update => "update",
        CxmlOrderKind::Delete => "delete",
    }
}

#[async_trait]
impl JaggaerSide for RecordingJaggaer {
    async fn upsert_supplier(&self, s: &SupplierOut) -> Result<String, RemoteError> {
        let res = if self.log.discard {
            self.known_id(RecordKind::Supplier, &s.ext_code).await
        } else {
            self.inner.upsert_supplier(s).await
        };
        if res.is_ok() {
            self.log.push("jaggaer", "supplier.upsert", &s.ext_code, s);
        }
        res
    }
    async fn upsert_po(&self, po: &PoOut) -> Result<String, RemoteError> {
        let res = if self.log.discard {
            self.known_id(RecordKind::Po, &po.po_number).await
        } else {
            self.inner.upsert_po(po).await
        };
        if res.is_ok() {
            self.log.push("jaggaer", "po.upsert", &po.po_number, po);
        }
        res
    }
    async fn send_po_cxml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        payload_id: &str,
    ) -> Result<(), RemoteError> {
        let res = if self.log.discard {
            Ok(())
        } else {
            self.inner.send_po_cxml(po, kind, payload_id).await
        };
        if res.is_ok() {
            self.log.push(
                "jaggaer",
                "po.cxml",
                &po.po_number,
                serde_json::json!({"type": kind_word(kind), "payloadID": payload_id, "order": po}),
            );
        }
        res
    }
    async fn values(&self, field: &str) -> Result<Vec<ValueOut>, RemoteError> {
        self.inner.values(field).await
    }
    async fn upsert_values(&self, field: &str, values: &[ValueOut]) -> Result<u64, RemoteError> {
        let res = if self.log.discard {
            Ok(values.len() as u64)
        } else {
            self.inner.upsert_values(field, values).await
        };
        if res.is_ok() {
            for v in values {
                self.log.push(
                    "jaggaer",
                    "values.upsert",
                    &format!("{field}:{}", v.value),
                    serde_json::json!({"field": field, "value": v}),
                );
            }
        }
        res
    }
    async fn po_summary(&self, po_number: &str) -> Result<Option<PoSummary>, RemoteError> {
        self.inner.po_summary(po_number).await
    }
    fn invoices_changed(&self, since: Option<Timestamp>) -> PageStream<InvoiceStub> {
        self.inner.invoices_changed(since)
    }
    fn decode_cxml_invoice(&self, xml: &str) -> Result<Invoice, MappingError> {
        self.inner.decode_cxml_invoice(xml)
    }
    async fn invoice(
        &self,
        id: &str,
    ) -> Result<(serde_json::Value, Result<Invoice, MappingError>), RemoteError> {
        self.inner.invoice(id).await
    }
    async fn send_suppliers_xml(
        &self,
        page: &[SupplierOut],
        message_id: &str,
    ) -> Result<SupplierPageOutcome, RemoteError> {
        let res = if self.log.discard {
            Ok(SupplierPageOutcome::Complete)
        } else {
            self.inner.send_suppliers_xml(page, message_id).await
        };
        if res.is_ok() {
            let keys: Vec<&str> = page.iter().map(|s| s.ext_code.as_str()).collect();
            self.log.push(
                "jaggaer",
                "suppliers.xml",
                &keys.join(","),
                serde_json::json!({"MessageId": message_id, "suppliers": page}),
            );
        }
        res
    }
    async fn send_po_xml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        message_id: &str,
    ) -> Result<(), RemoteError> {
        let res = if self.log.discard {
            Ok(())
        } else {
            self.inner.send_po_xml(po, kind, message_id).await
        };
        if res.is_ok() {
            self.log.push(
                "jaggaer",
                "po.xml",
                &po.po_number,
                serde_json::json!({"type": kind_word(kind), "MessageId": message_id, "order": po}),
            );
        }
        res
    }
}

/// What a dry run's commits would have changed, kept in memory for the rest of the cycle.
#[derive(Debug, Default)]
struct Overlay {
    ledger: HashMap<RecordKey, LedgerEntry>,
    /// `(tenant, kind, jde_key)` → remote id.
    xrefs: BTreeMap<(String, RecordKind, String), String>,
    cursors: HashMap<(String, String), Option<String>>,
    sequences: HashMap<(String, String), i64>,
    inbox_done: HashSet<i64>,
    runs: u64,
}

/// A [`StateStore`] that reads through and keeps writes in memory (see the module docs).
#[derive(Debug)]
pub struct DryStore {
    inner: Arc<dyn StateStore>,
    log: Arc<WriteLog>,
    overlay: Mutex<Overlay>,
}

impl std::fmt::Debug for WriteLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteLog")
            .field("discard", &self.discard)
            .field("writes", &lock(&self.writes).len())
            .finish_non_exhaustive()
    }
}

type R<T> = Result<T, StoreError>;

#[async_trait]
impl StateStore for DryStore {
    async fn migrate(&self) -> R<()> {
        // A dry run never changes the schema either.
        Ok(())
    }
    async fn ping(&self) -> R<()> {
        self.inner.ping().await
    }
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn cursor(&self, tenant: &TenantId, name: &str) -> R<Option<String>> {
        let key = (tenant.to_string(), name.to_owned());
        if let Some(v) = lock(&self.overlay).cursors.get(&key) {
            return Ok(v.clone());
        }
        self.inner.cursor(tenant, name).await
    }
    async fn cursors(&self, tenant: &TenantId) -> R<Vec<CursorRow>> {
        let mut rows = self.inner.cursors(tenant).await?;
        let o = lock(&self.overlay);
        for ((t, name), v) in &o.cursors {
            if t != tenant.as_str() {
                continue;
            }
            rows.retain(|r| &r.name != name);
            if let Some(v) = v {
                rows.push(CursorRow {
                    name: name.clone(),
                    value: v.clone(),
                    updated_at: Timestamp::now(),
                });
            }
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }
    async fn set_cursor(&self, tenant: &TenantId, name: &str, value: Option<&str>) -> R<()> {
        lock(&self.overlay).cursors.insert(
            (tenant.to_string(), name.to_owned()),
            value.map(str::to_owned),
        );
        Ok(())
    }
    async fn commit(&self, commit: Commit) -> R<Vec<i64>> {
        let mut o = lock(&self.overlay);
        for mut l in commit.ledger {
            l.updated_at = Timestamp::now();
            o.ledger.insert(l.record.clone(), l);
        }
        for x in commit.xrefs {
            o.xrefs
                .insert((x.tenant.to_string(), x.kind, x.jde_key), x.remote_id);
        }
        for (t, name, v) in commit.cursors {
            o.cursors.insert((t.to_string(), name), Some(v));
        }
        let mut q = lock(&self.log.quarantine);
        let ids = commit
            .quarantine
            .iter()
            .enumerate()
            .map(|(i, _)| -(q.len() as i64 + i as i64 + 1))
            .collect();
        q.extend(commit.quarantine.into_iter().map(|n| PlannedQuarantine {
            record: n.record.to_string(),
            reason_kind: n.reason_kind,
            reason: n.reason,
            field: n.field,
        }));
        // Audit events and quarantine resolutions are not kept (nothing reads them back within
        // a cycle), except the invoices the cut-over rules skip, which the dry run reports.
        let mut skipped = lock(&self.log.skipped);
        for e in &commit.audit {
            let by_hand = e.action == actions::FOUND_EXISTING && e.detail.get("doc").is_some();
            if by_hand || e.action == actions::SKIPPED {
                skipped.push(PlannedSkip {
                    record: e.record.to_string(),
                    action: e.action.clone(),
                    message: e.message.clone(),
                });
            }
        }
        Ok(ids)
    }
    async fn ledger(&self, record: &RecordKey) -> R<Option<LedgerEntry>> {
        if let Some(l) = lock(&self.overlay).ledger.get(record) {
            return Ok(Some(l.clone()));
        }
        self.inner.ledger(record).await
    }
    async fn ledger_many(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        keys: &[String],
    ) -> R<HashMap<String, LedgerEntry>> {
        let mut map = self.inner.ledger_many(tenant, kind, keys).await?;
        let o = lock(&self.overlay);
        for k in keys {
            let rk = RecordKey::new(kind, tenant, k.clone());
            if let Some(l) = o.ledger.get(&rk) {
                map.insert(k.clone(), l.clone());
            }
        }
        Ok(map)
    }
    async fn waits(&self, tenant: &TenantId) -> R<Vec<(RecordKey, Timestamp)>> {
        // Only the alert monitor asks, never a dry run's flows: the stored waits are the answer.
        self.inner.waits(tenant).await
    }
    async fn ledger_by_status(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        status: Option<LedgerStatus>,
    ) -> R<Vec<LedgerEntry>> {
        let rows = self.inner.ledger_by_status(tenant, kind, None).await?;
        let o = lock(&self.overlay);
        let mut by_key: BTreeMap<String, LedgerEntry> = rows
            .into_iter()
            .map(|l| (l.record.key.clone(), l))
            .collect();
        for (rk, l) in &o.ledger {
            if rk.kind == kind && rk.tenant == *tenant {
                by_key.insert(rk.key.clone(), l.clone());
            }
        }
        Ok(by_key
            .into_values()
            .filter(|l| status.is_none_or(|s| l.status == s))
            .collect())
    }
    async fn xref_remote(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        jde_key: &str,
    ) -> R<Option<String>> {
        let key = (tenant.to_string(), kind, jde_key.to_owned());
        if let Some(v) = lock(&self.overlay).xrefs.get(&key) {
            return Ok(Some(v.clone()));
        }
        self.inner.xref_remote(tenant, kind, jde_key).await
    }
    async fn xref_local(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        remote_id: &str,
    ) -> R<Option<String>> {
        let found = lock(&self.overlay)
            .xrefs
            .iter()
            .find(|((t, k, _), r)| t == tenant.as_str() && *k == kind && r.as_str() == remote_id)
            .map(|((_, _, j), _)| j.clone());
        if found.is_some() {
            return Ok(found);
        }
        self.inner.xref_local(tenant, kind, remote_id).await
    }
    async fn xrefs(&self, tenant: &TenantId, kind: RecordKind) -> R<Vec<(String, String)>> {
        let mut all: BTreeMap<String, String> =
            self.inner.xrefs(tenant, kind).await?.into_iter().collect();
        for ((t, k, j), r) in &lock(&self.overlay).xrefs {
            if t == tenant.as_str() && *k == kind {
                all.insert(j.clone(), r.clone());
            }
        }
        Ok(all.into_iter().collect())
    }
    async fn append_audit(&self, _events: &[AuditEvent]) -> R<()> {
        Ok(())
    }
    async fn audit_trail(
        &self,
        record: &RecordKey,
        since: Option<Timestamp>,
    ) -> R<Vec<AuditEvent>> {
        self.inner.audit_trail(record, since).await
    }
    async fn quarantine_list(
        &self,
        tenant: Option<&TenantId>,
        open_only: bool,
    ) -> R<Vec<QuarantineEntry>> {
        self.inner.quarantine_list(tenant, open_only).await
    }
    async fn quarantine_get(&self, id: i64) -> R<QuarantineEntry> {
        self.inner.quarantine_get(id).await
    }
    async fn quarantine_set_status(
        &self,
        _id: i64,
        _status: QuarantineStatus,
        _note: &str,
    ) -> R<()> {
        Ok(())
    }
    async fn quarantine_open_count(&self, tenant: &TenantId) -> R<u64> {
        self.inner.quarantine_open_count(tenant).await
    }
    async fn run_start(&self, _tenant: &TenantId, _trigger: &str) -> R<RunId> {
        let mut o = lock(&self.overlay);
        o.runs += 1;
        Ok(RunId(format!("dry-run-{}", o.runs)))
    }
    async fn run_finish(
        &self,
        _run: &RunId,
        _status: RunStatus,
        _summary: &serde_json::Value,
        _error: Option<&str>,
    ) -> R<()> {
        Ok(())
    }
    async fn runs(&self, tenant: Option<&TenantId>, limit: u32) -> R<Vec<RunRow>> {
        self.inner.runs(tenant, limit).await
    }
    async fn lease_acquire(&self, name: &str, owner: &str, ttl: Duration) -> R<Option<u64>> {
        self.inner.lease_acquire(name, owner, ttl).await
    }
    async fn lease_release(&self, name: &str, owner: &str) -> R<()> {
        self.inner.lease_release(name, owner).await
    }
    async fn lease_holder(&self, name: &str) -> R<Option<LeaseRow>> {
        self.inner.lease_holder(name).await
    }
    async fn tenant_state(&self, tenant: &TenantId) -> R<TenantState> {
        self.inner.tenant_state(tenant).await
    }
    async fn set_tenant_state(&self, _tenant: &TenantId, _state: &TenantState) -> R<()> {
        // A dry run that meets a rejected login reports it; it does not pause the tenant.
        Ok(())
    }
    async fn next_sequence(&self, tenant: &TenantId, name: &str, start: i64) -> R<i64> {
        let key = (tenant.to_string(), name.to_owned());
        let taken = lock(&self.overlay).sequences.get(&key).copied();
        let next = match taken {
            Some(n) => n + 1,
            None => self.inner.sequence_peek(tenant, name, start).await?,
        };
        lock(&self.overlay).sequences.insert(key, next);
        Ok(next)
    }
    async fn sequence_peek(&self, tenant: &TenantId, name: &str, start: i64) -> R<i64> {
        let key = (tenant.to_string(), name.to_owned());
        let taken = lock(&self.overlay).sequences.get(&key).copied();
        match taken {
            Some(n) => Ok(n + 1),
            None => self.inner.sequence_peek(tenant, name, start).await,
        }
    }
    async fn inbox_put(
        &self,
        _tenant: &TenantId,
        _doc_id: &str,
        _kind: &str,
        _payload: &str,
    ) -> R<bool> {
        Ok(false)
    }
    async fn inbox_pending(&self, tenant: &TenantId, limit: u32) -> R<Vec<InboxDoc>> {
        let done = lock(&self.overlay).inbox_done.clone();
        let docs = self
            .inner
            .inbox_pending(tenant, limit.saturating_add(done.len() as u32))
            .await?;
        Ok(docs
            .into_iter()
            .filter(|d| !done.contains(&d.id))
            .take(limit as usize)
            .collect())
    }
    async fn inbox_done(&self, id: i64) -> R<()> {
        lock(&self.overlay).inbox_done.insert(id);
        Ok(())
    }
    async fn user_add(&self, _name: &str, _role: Role, _password_hash: &str) -> R<bool> {
        Ok(false)
    }
    async fn user_get(&self, name: &str) -> R<Option<User>> {
        self.inner.user_get(name).await
    }
    async fn users(&self) -> R<Vec<User>> {
        self.inner.users().await
    }
    async fn user_remove(&self, _name: &str) -> R<bool> {
        Ok(false)
    }
    async fn user_set_role(&self, _name: &str, _role: Role) -> R<bool> {
        Ok(false)
    }
    async fn user_set_password(&self, _name: &str, _password_hash: &str) -> R<bool> {
        Ok(false)
    }
    async fn session_create(
        &self,
        _token_hash: &str,
        _user: &str,
        _csrf_token: &str,
        _expires_at: Timestamp,
    ) -> R<()> {
        Ok(())
    }
    async fn session_get(&self, token_hash: &str) -> R<Option<Session>> {
        self.inner.session_get(token_hash).await
    }
    async fn session_delete(&self, _token_hash: &str) -> R<()> {
        Ok(())
    }
}
