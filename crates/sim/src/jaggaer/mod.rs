//! JAGGAER simulator: J1P REST (OAuth 2.0 token endpoint, invoices, supplier company profiles,
//! purchase orders, custom-field value lists) and the cXML OrderRequest inbox.
//!
//! A real HTTP server (axum, loopback, in-memory state) that follows the wire contract of
//! `docs/jaggaer-resources.md` from its own code; it shares nothing with the J1P client
//! (`mlc-jaggaer`), so a decoding mistake there is not mirrored here.
//!
//! # Layout
//! - [`config`]: [`JaggaerSimConfig`] (address, seed, mount paths) and the runtime
//!   [`JaggaerKnobs`] (OAuth clients, token lifetime, latency, page size, rate limit, faults,
//!   invoice-on-PO probability, cXML shared secret and DTD).
//! - `data`: the stored records, the `flt` filter language (`==`, `!=`, `>=`, `<=`, `>`, `<`,
//!   `=in=`, `;` = AND), the list envelope and exact-decimal JSON numbers.
//! - `invoices`: the seeded invoice generator (PO-backed and non-PO, credit memos, EUR/JPY,
//!   splits, tax and charges; totals always tie).
//! - `cxml`: XML parsing without entity expansion, `xmllint` DTD validation, OrderRequest
//!   extraction and the cXML `Response`.
//! - `server`: routes, bearer-token checks, the rate limiter, fault injection, the request log.
//! - `xml`: the eProcurement XML Router actions (`TSMSupplierXMLImport`, `POXMLImport`) and the
//!   `BuyerInvoiceExportMessage` pusher ([`XmlKnobs`], `xml_suppliers()`, `push_invoice_export`).
//!
//! The handle [`JaggaerSim`] dereferences to the shared [`JaggaerSimState`], which tests and the
//! demo use to inspect data (`suppliers()`, `purchase_orders()`, `invoices()`, ...), to make
//! invoices happen (`generate_invoices`, `approve_pending`, `correct_invoice`, ...) and to turn
//! knobs at runtime (`set_knobs`, `revoke_all_tokens`).

pub mod config;
mod cxml;
mod data;
mod invoices;
mod server;
mod xml;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use config::{
    JaggaerFaults, JaggaerKnobs, JaggaerPaths, JaggaerSimConfig, PoInvoiceMix, SimClient,
    default_dtd_path,
};
pub use invoices::PoInvoiceLine;
pub use server::{router, serve};
pub use xml::{
    ExportPush, ExportResponse, PO_ACTION, SUPPLIER_ACTION, XmlDocRecord, XmlKnobs,
    XmlPoLineRecord, XmlPoRecord, XmlSupplierRecord, read_export_response,
};

use data::{Data, app_error, dec, iso_ms};

/// Errors of the simulator's handle methods.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JaggaerSimError {
    /// An inserted invoice is not shaped like a J1P invoice (the text names the JSON path).
    #[error("invalid invoice JSON: {0}")]
    InvalidInvoice(String),
    /// The inserted invoice's `header.invoiceId` is already taken.
    #[error("invoice {0} already exists")]
    DuplicateInvoice(i64),
    /// The configured mount paths cannot be routed (the text says why).
    #[error("invalid simulator path {path}: {reason}")]
    InvalidPath {
        /// The offending path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// One served request, as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// When it arrived.
    pub at: jiff::Timestamp,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Status sent; 0 when the connection was dropped on purpose (reset fault).
    pub status: u16,
    /// Time to answer.
    pub duration: Duration,
    /// Endpoint name (`token`, `invoices.list`, `invoices.detail`, `suppliers.list`,
    /// `suppliers.upsert`, `purchase_orders.list`, `purchase_orders.upsert`,
    /// `custom_field_values.list`, `custom_field_values.upsert`, `cxml.order`, `unmatched`).
    pub endpoint: String,
}

/// Counters of one endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Requests seen.
    pub requests: u64,
    /// Answered with a status ≥ 400 or reset.
    pub errors: u64,
    /// Answered 429.
    pub rate_limited: u64,
}

/// Request counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JaggaerStats {
    /// Per endpoint name.
    pub endpoints: BTreeMap<String, EndpointStats>,
    /// All requests.
    pub total: u64,
    /// All 429 answers.
    pub rate_limited: u64,
}

/// Record counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JaggaerCounts {
    /// Supplier profiles.
    pub suppliers: usize,
    /// Purchase orders (REST and cXML).
    pub purchase_orders: usize,
    /// Custom-field values over all fields.
    pub custom_field_values: usize,
    /// Invoices.
    pub invoices: usize,
    /// Distinct cXML orders received (by payloadID).
    pub cxml_orders: usize,
    /// Live access tokens.
    pub tokens: usize,
}

pub(crate) struct Bucket {
    pub(crate) tokens: f64,
    pub(crate) last: Instant,
}

pub(crate) struct Inner {
    pub(crate) paths: JaggaerPaths,
    pub(crate) knobs: RwLock<JaggaerKnobs>,
    pub(crate) data: Mutex<Data>,
    /// access token → (client id, expiry).
    pub(crate) tokens: Mutex<HashMap<String, (String, Instant)>>,
    pub(crate) bucket: Mutex<Bucket>,
    /// Fault dice, separate from the data generator so faults do not change the data.
    pub(crate) dice: Mutex<StdRng>,
    pub(crate) log: Mutex<VecDeque<RequestRecord>>,
    pub(crate) stats: Mutex<JaggaerStats>,
    pub(crate) app_error_flip: AtomicU64,
    pub(crate) xml: Mutex<xml::XmlData>,
}

/// Shared state of a simulator. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct JaggaerSimState {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for JaggaerSimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // JaggaerKnobs' Debug redacts client secrets and the cXML shared secret.
        f.debug_struct("JaggaerSimState")
            .field("paths", &self.inner.paths)
            .field("knobs", &*read(&self.inner.knobs))
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not wedge the simulator: take the data as it is.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn read<T: Clone>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl JaggaerSimState {
    /// A fresh state (no data yet: suppliers, POs and values arrive from the connector).
    pub fn new(cfg: &JaggaerSimConfig) -> Self {
        let rate = cfg.knobs.rate_limit.unwrap_or(0);
        Self {
            inner: Arc::new(Inner {
                paths: cfg.paths.clone(),
                knobs: RwLock::new(cfg.knobs.clone()),
                data: Mutex::new(Data::new(cfg.seed)),
                tokens: Mutex::new(HashMap::new()),
                bucket: Mutex::new(Bucket {
                    tokens: f64::from(rate),
                    last: Instant::now(),
                }),
                dice: Mutex::new(StdRng::seed_from_u64(cfg.seed ^ 0x5EED_FA17)),
                log: Mutex::new(VecDeque::new()),
                stats: Mutex::new(JaggaerStats::default()),
                app_error_flip: AtomicU64::new(0),
                xml: Mutex::new(xml::XmlData::default()),
            }),
        }
    }

    /// The mount paths.
    pub fn paths(&self) -> &JaggaerPaths {
        &self.inner.paths
    }

    /// Current knobs.
    pub fn knobs(&self) -> JaggaerKnobs {
        read(&self.inner.knobs).clone()
    }

    /// Changes knobs while serving.
    pub fn set_knobs(&self, f: impl FnOnce(&mut JaggaerKnobs)) {
        let mut k = self
            .inner
            .knobs
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let old_rate = k.rate_limit;
        f(&mut k);
        if k.rate_limit != old_rate {
            // A new limit starts with a full bucket.
            let mut b = lock(&self.inner.bucket);
            b.tokens = f64::from(k.rate_limit.unwrap_or(0));
            b.last = Instant::now();
        }
    }

    /// Invalidates every issued access token (each later use answers 401).
    pub fn revoke_all_tokens(&self) {
        lock(&self.inner.tokens).clear();
    }

    /// The request log (oldest first, bounded by `log_capacity`).
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.inner.log).iter().cloned().collect()
    }

    /// Empties the request log (counters stay).
    pub fn clear_requests(&self) {
        lock(&self.inner.log).clear();
    }

    /// Per-endpoint counters and the 429 count.
    pub fn stats(&self) -> JaggaerStats {
        lock(&self.inner.stats).clone()
    }

    /// Record counts.
    pub fn counts(&self) -> JaggaerCounts {
        let tokens = lock(&self.inner.tokens).len();
        let d = lock(&self.inner.data);
        JaggaerCounts {
            suppliers: d.suppliers.len(),
            purchase_orders: d.pos.len(),
            custom_field_values: d.values.values().map(BTreeMap::len).sum(),
            invoices: d.invoices.len(),
            cxml_orders: d.cxml.len(),
            tokens,
        }
    }

    /// Supplier profiles (`returnCompanyInfo` objects, by bravoId).
    pub fn suppliers(&self) -> Vec<Value> {
        lock(&self.inner.data).suppliers.values().cloned().collect()
    }

    /// Purchase orders (`{"poId", "header", "lineList"}`, by poId).
    pub fn purchase_orders(&self) -> Vec<Value> {
        lock(&self.inner.data).pos.values().cloned().collect()
    }

    /// One purchase order by poNumber.
    pub fn purchase_order(&self, po_number: &str) -> Option<Value> {
        let d = lock(&self.inner.data);
        d.po_by_number
            .get(po_number)
            .and_then(|id| d.pos.get(id))
            .cloned()
    }

    /// Values of a custom-field list (`{"value", "description", "active"}`, by value).
    pub fn custom_field_values(&self, field: &str) -> Vec<Value> {
        lock(&self.inner.data)
            .values
            .get(field)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// All invoices (full documents), in list order (lastUpdate, invoiceId).
    pub fn invoices(&self) -> Vec<Value> {
        let d = lock(&self.inner.data);
        d.invoice_index
            .iter()
            .filter_map(|(_, id)| d.invoices.get(id).map(|r| r.doc.clone()))
            .collect()
    }

    /// One invoice's full document (`header` + `lineList`), as the detail endpoint sends it.
    pub fn invoice_json(&self, id: i64) -> Option<Value> {
        lock(&self.inner.data)
            .invoices
            .get(&id)
            .map(|r| r.doc.clone())
    }

    /// cXML orders received: `{"payloadID", "orderID", "type", "dtdValidation", "poId",
    /// "received", "resends"}` in arrival order. `dtdValidation` is `valid` or `skipped: <why>`.
    pub fn cxml_orders_received(&self) -> Vec<Value> {
        lock(&self.inner.data)
            .cxml
            .iter()
            .map(data::CxmlRec::to_json)
            .collect()
    }

    /// Generates `n` non-PO invoices and credit memos from the known supplier profiles and the
    /// pushed Account/CostCenter values; returns their ids (empty when there are no active
    /// suppliers or no Account values yet).
    pub fn generate_invoices(&self, n: usize) -> Vec<i64> {
        let pending = read(&self.inner.knobs).pending_rate;
        let mut d = lock(&self.inner.data);
        let now = d.stamp();
        invoices::generate(&mut d, n, pending, now)
    }

    /// Creates a payable invoice (no tax or charges) against chosen lines of a stored PO, by
    /// its `poNumber` (e.g. a line JDE has not received yet, or a price the test picks).
    /// `None` when the PO or one of the lines is unknown.
    pub fn invoice_po_lines(&self, po_number: &str, lines: &[PoInvoiceLine]) -> Option<i64> {
        let mut d = lock(&self.inner.data);
        let now = d.stamp();
        invoices::invoice_po_lines(&mut d, po_number, lines, now)
    }

    /// Inserts an exact invoice (`{"header": {...}, "lineList": {"invoiceLine": [...]}}`).
    /// Assigns `invoiceId` (and line ids) when absent, stamps `lastUpdate` when absent, and
    /// computes `total.value` by the tie rule only when no total value is given.
    pub fn insert_invoice(&self, mut doc: Value) -> Result<i64, JaggaerSimError> {
        if !doc["header"].is_object() {
            return Err(JaggaerSimError::InvalidInvoice(
                "header: expected an object".into(),
            ));
        }
        if !doc["lineList"].is_object() {
            doc["lineList"] = json!({"invoiceLine": []});
        }
        let mut d = lock(&self.inner.data);
        let id = match &doc["header"]["invoiceId"] {
            Value::Null => {
                let id = d.next_invoice;
                d.next_invoice += 1;
                id
            }
            v => {
                let id = dec(v).and_then(|x| i64::try_from(x).ok()).ok_or_else(|| {
                    JaggaerSimError::InvalidInvoice("header.invoiceId: expected an integer".into())
                })?;
                if d.invoices.contains_key(&id) {
                    return Err(JaggaerSimError::DuplicateInvoice(id));
                }
                d.next_invoice = d.next_invoice.max(id + 1);
                id
            }
        };
        let ms = match doc["header"]["lastUpdate"].as_str() {
            Some(s) => s
                .parse::<jiff::Timestamp>()
                .map(|t| t.as_millisecond())
                .map_err(|e| JaggaerSimError::InvalidInvoice(format!("header.lastUpdate: {e}")))?,
            None => d.stamp(),
        };
        invoices::complete_inserted(&mut d, &mut doc);
        d.put_invoice(id, doc, ms);
        Ok(id)
    }

    /// Changes an amount of an invoice (line 1's unit price, else the shipping charge), keeps
    /// the total tied and bumps `lastUpdate`: a correction after approval. `false` if unknown.
    pub fn correct_invoice(&self, id: i64) -> bool {
        let mut ok = false;
        let found = lock(&self.inner.data).touch_invoice(id, |doc| ok = invoices::correct(doc));
        found && ok
    }

    /// Cancels an invoice (`paymentStatus` `Cancelled`) and bumps `lastUpdate`.
    pub fn cancel_invoice(&self, id: i64) -> bool {
        lock(&self.inner.data).touch_invoice(id, |doc| {
            doc["header"]["paymentStatus"] = json!("Cancelled");
            doc["header"]["workflowStatus"] = json!("Cancelled");
        })
    }

    /// Edits an invoice's document in place and bumps `lastUpdate`: a correction keyed in
    /// JAGGAER (e.g. its coding). `false` if unknown.
    pub fn edit_invoice(&self, id: i64, f: impl FnOnce(&mut Value)) -> bool {
        lock(&self.inner.data).touch_invoice(id, f)
    }

    /// Sets an invoice's `paymentStatus` (e.g. `Paid`) and bumps `lastUpdate`.
    pub fn set_payment_status(&self, id: i64, status: &str) -> bool {
        lock(&self.inner.data).touch_invoice(id, |doc| {
            doc["header"]["paymentStatus"] = json!(status);
        })
    }

    /// Approves every `Pending` invoice (→ `Payable`, workflow `Completed`), bumping
    /// `lastUpdate`; returns their ids.
    pub fn approve_pending(&self) -> Vec<i64> {
        let mut d = lock(&self.inner.data);
        let mut ids: Vec<i64> = d
            .invoices
            .iter()
            .filter(|(_, r)| r.doc["header"]["paymentStatus"] == "Pending")
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in &ids {
            d.touch_invoice(*id, |doc| {
                doc["header"]["paymentStatus"] = json!("Payable");
                doc["header"]["workflowStatus"] = json!("Completed");
            });
        }
        ids
    }

    // -----------------------------------------------------------------------------------------
    // Operations behind the endpoints

    /// `POST {suppliers}`: CREATEUPDATE by extCode.
    pub(crate) fn upsert_supplier(&self, body: &Value) -> Value {
        if !body["operationCode"]
            .as_str()
            .is_some_and(|c| c.eq_ignore_ascii_case("CREATEUPDATE"))
        {
            return app_error(json!(400), "operationCode: expected CREATEUPDATE");
        }
        let Some(info) = body["companyInfo"].as_object() else {
            return app_error(json!(400), "companyInfo: expected an object");
        };
        let Some(ext) = info.get("extCode").and_then(value_text) else {
            return app_error(json!(400), "companyInfo.extCode: required");
        };
        if let Some(s) = info.get("status")
            && !matches!(s.as_str(), Some("ACTIVE" | "INACTIVE"))
        {
            return app_error(
                json!(400),
                format!("companyInfo.status: `{s}` is not ACTIVE or INACTIVE"),
            );
        }
        let mut d = lock(&self.inner.data);
        let ms = d.stamp();
        let id = match d.supplier_by_ext.get(&ext) {
            Some(id) => *id,
            None => {
                let id = d.next_bravo;
                d.next_bravo += 1;
                d.supplier_by_ext.insert(ext.clone(), id);
                d.suppliers.insert(
                    id,
                    json!({"bravoId": id, "extCode": ext, "type": "SELLER", "status": "ACTIVE"}),
                );
                id
            }
        };
        if let Some(rec) = d.suppliers.get_mut(&id) {
            for (k, v) in info {
                if k != "bravoId" {
                    rec[k] = v.clone();
                }
            }
            rec["extCode"] = json!(ext);
            rec["lastModTime"] = json!(iso_ms(ms));
        }
        json!({"returnCode": 0, "returnMessage": "OK", "bravoId": id})
    }

    /// `POST {purchase_orders}`: CREATEUPDATE by poNumber. A new PO may get an invoice.
    pub(crate) fn upsert_po(&self, body: &Value) -> Value {
        if !body["operationCode"]
            .as_str()
            .is_some_and(|c| c.eq_ignore_ascii_case("CREATEUPDATE"))
        {
            return app_error(json!(400), "operationCode: expected CREATEUPDATE");
        }
        let po = &body["purchaseOrder"];
        let mut header = po["header"].clone();
        let Some(po_number) = value_text(&header["poNumber"]) else {
            return app_error(json!(400), "purchaseOrder.header.poNumber: required");
        };
        let lines = match &po["lineList"]["poLine"] {
            Value::Array(a) => a.clone(),
            Value::Null => Vec::new(),
            _ => {
                return app_error(
                    json!(400),
                    "purchaseOrder.lineList.poLine: expected an array",
                );
            }
        };
        for (i, l) in lines.iter().enumerate() {
            for k in ["quantity", "unitPrice"] {
                if dec(&l[k]).is_none() {
                    return app_error(
                        json!(400),
                        format!("purchaseOrder.lineList.poLine[{i}].{k}: expected a number"),
                    );
                }
            }
        }
        let (p, pending, mix) = {
            let k = read(&self.inner.knobs);
            (k.invoice_on_po, k.pending_rate, k.po_invoices.clone())
        };
        let mut d = lock(&self.inner.data);
        let supplier = &header["supplier"];
        let bravo = match dec(&supplier["bravoId"]).and_then(|x| i64::try_from(x).ok()) {
            Some(b) if d.suppliers.contains_key(&b) => b,
            Some(b) => {
                return app_error(
                    json!(400),
                    format!("Supplier with bravoId {b} not found (purchaseOrder.header.supplier)"),
                );
            }
            None => {
                match value_text(&supplier["extCode"]).and_then(|e| d.supplier_by_ext.get(&e)) {
                    Some(b) => *b,
                    None => {
                        return app_error(
                            json!(400),
                            "purchaseOrder.header.supplier.bravoId: required (unknown supplier)",
                        );
                    }
                }
            }
        };
        header["supplier"]["bravoId"] = json!(bravo);
        let doc_lines = json!({ "poLine": lines });
        let now = d.stamp();
        let (id, created) = store_po(&mut d, &po_number, header, doc_lines);
        if created {
            let doc = d.pos[&id].clone();
            invoices::invoice_for_po(&mut d, &doc, p, pending, &mix, now);
        }
        json!({"returnCode": 0, "returnMessage": "OK", "poId": id})
    }

    /// `POST {custom_field_values}`: batch upsert by value.
    pub(crate) fn upsert_values(&self, field: &str, body: &Value) -> Value {
        let Some(items) = body["customFieldValueList"]["customFieldValue"].as_array() else {
            return app_error(
                json!(400),
                "customFieldValueList.customFieldValue: expected an array",
            );
        };
        let mut clean = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let Some(value) = value_text(&it["value"]) else {
                return app_error(
                    json!(400),
                    format!("customFieldValueList.customFieldValue[{i}].value: required"),
                );
            };
            let active = match &it["active"] {
                Value::Bool(b) => *b,
                Value::String(s) => !s.eq_ignore_ascii_case("false"),
                _ => true,
            };
            let description = it["description"].as_str().unwrap_or_default();
            clean.push(json!({"value": value, "description": description, "active": active}));
        }
        let mut d = lock(&self.inner.data);
        let list = d.values.entry(field.to_owned()).or_default();
        for v in &clean {
            let key = v["value"].as_str().unwrap_or_default().to_owned();
            list.insert(key, v.clone());
        }
        json!({"returnCode": 0, "returnMessage": "OK", "upserted": clean.len()})
    }
}

/// Stores a PO by number: a new poId, or the same poId with header and lines replaced.
pub(crate) fn store_po(d: &mut Data, po_number: &str, header: Value, lines: Value) -> (i64, bool) {
    match d.po_by_number.get(po_number) {
        Some(id) => {
            let id = *id;
            d.pos
                .insert(id, json!({"poId": id, "header": header, "lineList": lines}));
            (id, false)
        }
        None => {
            let id = d.next_po;
            d.next_po += 1;
            d.po_by_number.insert(po_number.to_owned(), id);
            d.pos
                .insert(id, json!({"poId": id, "header": header, "lineList": lines}));
            (id, true)
        }
    }
}

/// A running simulator. Dereferences to its [`JaggaerSimState`].
#[derive(Debug)]
pub struct JaggaerSim {
    state: JaggaerSimState,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Deref for JaggaerSim {
    type Target = JaggaerSimState;
    fn deref(&self) -> &JaggaerSimState {
        &self.state
    }
}

impl JaggaerSim {
    /// Binds `cfg.addr` (default `127.0.0.1:0`) and serves in the background.
    pub async fn start(cfg: JaggaerSimConfig) -> std::io::Result<JaggaerSim> {
        server::check_paths(&cfg.paths)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let addr = cfg
            .addr
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = JaggaerSimState::new(&cfg);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        Ok(JaggaerSim {
            state,
            addr,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The token endpoint URL.
    pub fn token_url(&self) -> String {
        format!("{}{}", self.base_url(), self.state.inner.paths.token)
    }

    /// The cXML order inbox URL.
    pub fn cxml_url(&self) -> String {
        format!("{}{}", self.base_url(), self.state.inner.paths.cxml_orders)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state.
    pub fn state(&self) -> &JaggaerSimState {
        &self.state
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for JaggaerSim {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

pub(crate) fn bump_app_error(st: &JaggaerSimState) -> Value {
    // Alternate the two shapes seen in the wild: "409" as a string and 500 as a number.
    if st
        .inner
        .app_error_flip
        .fetch_add(1, Ordering::Relaxed)
        .is_multiple_of(2)
    {
        app_error(
            json!("409"),
            "Simulated conflict: the record is locked by another process",
        )
    } else {
        app_error(json!(500), "Simulated application error")
    }
}
