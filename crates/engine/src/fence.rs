//! Fencing (issue 16 item 8): a cycle that runs under a lease writes only while that lease is
//! still its own. Every store commit carries the lease's epoch ([`mlc_store::Commit::fence`],
//! checked in the commit's transaction) and every remote write first checks that the lease is
//! unexpired and still at that epoch ([`FencedJde`], [`FencedJaggaer`]). A worker frozen past
//! its lease's time to live (a pause, a stop signal, a slow disk) and resumed after another
//! worker took the tenant over therefore writes nothing more: at most the one write already in
//! flight when it froze completes, and the new holder's dedup reads absorb it.
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use mlc_core::ids::{AddressNumber, OrderKey};
use mlc_core::jdetime::JdeStamp;
use mlc_core::model::{BusinessUnit, GlAccount, Invoice, Supplier};
use mlc_store::{Fence, StateStore};

use crate::mapping::MappingError;
use crate::mapping::purchase_order::PoOut;
use crate::mapping::supplier::SupplierOut;
use crate::ports::{
    ApVoucher, CxmlOrderKind, GlLine, InvoiceStub, JaggaerSide, JdeSource, JobState, PageStream,
    PoHeader, PoLineRow, PoSummary, Receipt, RemoteError, RemoteErrorKind, SupplierTable, ValueOut,
    VoucherDoc, VoucherRequest, ZVoucher,
};
use crate::refdata::CompanyInfo;
use crate::window::Window;

/// Ok when `fence` is still the current, unexpired holding of its lease. Otherwise a
/// `transient` error: the flow stops (nothing is quarantined) and the cycle ends.
pub(crate) async fn check(store: &dyn StateStore, fence: &Fence) -> Result<(), RemoteError> {
    let lost = |why: String| {
        RemoteError::new(
            "lease",
            RemoteErrorKind::Transient,
            format!(
                "not writing: lease {} {why} (this cycle holds epoch {})",
                fence.lease, fence.epoch
            ),
        )
    };
    match store.lease_holder(&fence.lease).await {
        Ok(Some(l)) if l.epoch == fence.epoch => Ok(()),
        Ok(Some(l)) => Err(lost(format!("was taken over (epoch {})", l.epoch))),
        Ok(None) => Err(lost("expired".to_owned())),
        Err(e) => Err(lost(format!("could not be checked ({e})"))),
    }
}

/// A [`JdeSource`] whose writes check the fence first; reads pass through.
pub(crate) struct FencedJde {
    pub(crate) inner: Arc<dyn JdeSource>,
    pub(crate) store: Arc<dyn StateStore>,
    pub(crate) fence: Fence,
}

#[async_trait]
impl JdeSource for FencedJde {
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
    async fn suppliers(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<Vec<(Supplier, serde_json::Value)>, RemoteError> {
        self.inner.suppliers(an8s).await
    }
    async fn payees(
        &self,
        suppliers: &[AddressNumber],
    ) -> Result<Vec<crate::payee::PayeeState>, RemoteError> {
        self.inner.payees(suppliers).await
    }
    async fn parties(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<crate::mapping::purchase_order::Parties, RemoteError> {
        self.inner.parties(an8s).await
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
    async fn vouchers_of(&self, an8s: &[AddressNumber]) -> Result<Vec<ApVoucher>, RemoteError> {
        self.inner.vouchers_of(an8s).await
    }
    async fn receipts(&self, keys: &[OrderKey]) -> Result<Vec<Receipt>, RemoteError> {
        self.inner.receipts(keys).await
    }
    async fn supplier_match_rules(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<HashMap<AddressNumber, String>, RemoteError> {
        self.inner.supplier_match_rules(an8s).await
    }
    async fn distribution(&self, doc: &VoucherDoc) -> Result<Vec<GlLine>, RemoteError> {
        self.inner.distribution(doc).await
    }
    async fn post_voucher(
        &self,
        orchestration: &str,
        req: &VoucherRequest,
    ) -> Result<(), RemoteError> {
        check(self.store.as_ref(), &self.fence).await?;
        self.inner.post_voucher(orchestration, req).await
    }
    async fn addresses_effective(
        &self,
        after: jiff::civil::Date,
        upto: jiff::civil::Date,
    ) -> Result<Vec<AddressNumber>, RemoteError> {
        self.inner.addresses_effective(after, upto).await
    }
    async fn z_batches(&self, edus: &str, edbts: &[String]) -> Result<Vec<ZVoucher>, RemoteError> {
        self.inner.z_batches(edus, edbts).await
    }
    /// Launching a job is a write: only the lease holder may start one.
    async fn launch_report(&self, report: &str, version: &str) -> Result<i64, RemoteError> {
        check(self.store.as_ref(), &self.fence).await?;
        self.inner.launch_report(report, version).await
    }
    async fn report_status(&self, job_number: i64) -> Result<JobState, RemoteError> {
        self.inner.report_status(job_number).await
    }
}

/// A [`JaggaerSide`] whose writes check the fence first; reads pass through.
pub(crate) struct FencedJaggaer {
    pub(crate) inner: Arc<dyn JaggaerSide>,
    pub(crate) store: Arc<dyn StateStore>,
    pub(crate) fence: Fence,
}

#[async_trait]
impl JaggaerSide for FencedJaggaer {
    async fn upsert_supplier(&self, s: &SupplierOut) -> Result<String, RemoteError> {
        check(self.store.as_ref(), &self.fence).await?;
        self.inner.upsert_supplier(s).await
    }
    async fn upsert_po(&self, po: &PoOut) -> Result<String, RemoteError> {
        check(self.store.as_ref(), &self.fence).await?;
        self.inner.upsert_po(po).await
    }
    async fn send_po_cxml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        payload_id: &str,
    ) -> Result<(), RemoteError> {
        check(self.store.as_ref(), &self.fence).await?;
        self.inner.send_po_cxml(po, kind, payload_id).await
    }
    async fn values(&self, field: &str) -> Result<Vec<ValueOut>, RemoteError> {
        self.inner.values(field).await
    }
    async fn upsert_values(&self, field: &str, values: &[ValueOut]) -> Result<u64, RemoteError> {
        check(self.store.as_ref(), &self.fence).await?;
        self.inner.upsert_values(field, values).await
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
}
