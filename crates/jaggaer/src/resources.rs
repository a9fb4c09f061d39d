//! Typed J1P calls: invoices, supplier profiles, purchase orders, custom-field value lists, cXML.
//!
//! Lists page with the 1-based `start` parameter: the next page starts at `startAt +
//! returnedRecords`; paging stops when the records seen reach `totRecords` or a page is empty.
use futures::Stream;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::JaggaerError;
use crate::client::{Body, J1pClient, Req, decode};
use crate::cxml::{self, CxmlStatus};
use crate::model::*;

/// Largest batch of values in one custom-field POST.
pub const MAX_VALUES_PER_POST: usize = 500;

/// Which configured cXML path to post to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CxmlPath {
    /// `paths.cxml_orders` (OrderRequest).
    Orders,
}

/// Where a page's list lives in the envelope.
#[derive(Clone, Copy)]
enum ListAt {
    /// `{"a": {"b": [...]}}`
    Nested(&'static str, &'static str),
    /// `{"a": [...]}`
    Flat(&'static str),
}

impl ListAt {
    fn take(self, v: &mut Value) -> Value {
        let inner = match self {
            ListAt::Nested(a, b) => v.get_mut(a).and_then(|x| x.get_mut(b)),
            ListAt::Flat(a) => v.get_mut(a),
        };
        inner.map(Value::take).unwrap_or(Value::Array(Vec::new()))
    }
    fn path(self) -> String {
        match self {
            ListAt::Nested(a, b) => format!("{a}.{b}"),
            ListAt::Flat(a) => a.to_owned(),
        }
    }
}

struct PageState {
    client: J1pClient,
    endpoint: &'static str,
    url: url::Url,
    flt: Option<String>,
    start: u64,
    seen: u64,
    done: bool,
}

fn envelope_u64(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Pages through a list resource, yielding one `Vec` per page.
fn pages<T: DeserializeOwned + Send + 'static>(
    client: J1pClient,
    endpoint: &'static str,
    url: url::Url,
    flt: Option<String>,
    at: ListAt,
) -> impl Stream<Item = Result<Vec<T>, JaggaerError>> + Send + 'static {
    let state = PageState {
        client,
        endpoint,
        url,
        flt,
        start: 1,
        seen: 0,
        done: false,
    };
    futures::stream::unfold(state, move |mut st| async move {
        if st.done {
            return None;
        }
        let mut req = Req::get(st.endpoint, st.url.clone());
        req.query.push(("start", st.start.to_string()));
        if let Some(f) = &st.flt {
            req.query.push(("flt", f.clone()));
        }
        let mut v = match st.client.execute_json(&req).await {
            Ok(v) => v,
            Err(e) => {
                st.done = true;
                return Some((Err(e), st));
            }
        };
        let items = at.take(&mut v);
        let items: Vec<T> = match decode::<Vec<T>>(st.endpoint, items) {
            Ok(i) => i,
            Err(JaggaerError::Decode {
                endpoint,
                path,
                message,
            }) => {
                st.done = true;
                let err = JaggaerError::Decode {
                    endpoint,
                    path: format!("{}{}", at.path(), path.trim_start_matches('.')),
                    message,
                };
                return Some((Err(err), st));
            }
            Err(e) => {
                st.done = true;
                return Some((Err(e), st));
            }
        };
        let returned = envelope_u64(&v, "returnedRecords").unwrap_or(items.len() as u64);
        let start_at = envelope_u64(&v, "startAt").unwrap_or(st.start);
        let total = envelope_u64(&v, "totRecords");
        st.seen += returned;
        st.start = start_at + returned;
        if returned == 0 || items.is_empty() || total.is_none_or(|t| st.seen >= t) {
            st.done = true;
        }
        Some((Ok(items), st))
    })
}

impl J1pClient {
    // ----------------------------------------------------------------------------- invoices

    /// Invoice headers changed at or after `since` (all when `None`), one `Vec` per page, ordered
    /// as JAGGAER returns them (`lastUpdate` ascending). Filter:
    /// `flt=<invoice_filter_field>>=<ISO-8601 with milliseconds, Z>`.
    pub fn list_invoices(
        &self,
        since: Option<jiff::Timestamp>,
    ) -> impl Stream<Item = Result<Vec<InvoiceHeader>, JaggaerError>> + Send + 'static {
        let flt = since.map(|t| {
            format!(
                "{}>={}",
                self.settings().invoice_filter_field,
                t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
            )
        });
        #[derive(serde::Deserialize)]
        struct Wrapped {
            header: InvoiceHeader,
        }
        let client = self.clone();
        let url = self.url(&self.settings().paths.invoices);
        let stream = match url {
            Ok(url) => futures::future::Either::Left(pages::<Wrapped>(
                client,
                "invoices",
                url,
                flt,
                ListAt::Nested("jiinvoiceList", "jiinvoice"),
            )),
            Err(e) => futures::future::Either::Right(futures::stream::iter([Err(e)])),
        };
        futures::StreamExt::map(stream, |r| {
            r.map(|v| v.into_iter().map(|w| w.header).collect())
        })
    }

    /// One invoice with lines, custom fields and splits.
    pub async fn get_invoice(&self, id: &JaggaerId) -> Result<InvoiceDetail, JaggaerError> {
        self.get_invoice_raw(id).await?.1
    }

    /// One invoice as JAGGAER sent it (the JSON body, kept as the record's original payload)
    /// and decoded; a body that does not decode still comes back with its decode error.
    pub async fn get_invoice_raw(
        &self,
        id: &JaggaerId,
    ) -> Result<(serde_json::Value, Result<InvoiceDetail, JaggaerError>), JaggaerError> {
        let mut url = self.url(&self.settings().paths.invoices)?;
        url.path_segments_mut()
            .map_err(|_| JaggaerError::Config("invoices path".into()))?
            .pop_if_empty()
            .push(&id.0);
        let v = self.execute_json(&Req::get("invoice", url)).await?;
        let decoded = decode("invoice", v.clone());
        Ok((v, decoded))
    }

    // ---------------------------------------------------------------------------- suppliers

    /// The supplier profile whose `extCode` is `ext_code` (the JDE AN8), if any.
    pub async fn find_supplier(
        &self,
        ext_code: &str,
    ) -> Result<Option<SupplierProfile>, JaggaerError> {
        let mut req = Req::get("suppliers", self.url(&self.settings().paths.suppliers)?);
        req.query.push(("flt", format!("extCode=={ext_code}")));
        let mut v = self.execute_json(&req).await?;
        let items: Vec<CompanyDataItem> =
            decode("suppliers", ListAt::Flat("returnCompanyData").take(&mut v))?;
        // The filter should return at most one; match exactly anyway in case the server's
        // filter is looser than ours (prefix or case-insensitive matching).
        Ok(items
            .into_iter()
            .map(|i| i.return_company_info)
            .find(|p| p.ext_code.as_deref().map(str::trim) == Some(ext_code.trim())))
    }

    /// All supplier profiles, one `Vec` per page.
    pub fn list_suppliers(
        &self,
    ) -> impl Stream<Item = Result<Vec<SupplierProfile>, JaggaerError>> + Send + 'static {
        let client = self.clone();
        let stream = match self.url(&self.settings().paths.suppliers) {
            Ok(url) => futures::future::Either::Left(pages::<CompanyDataItem>(
                client,
                "suppliers",
                url,
                None,
                ListAt::Flat("returnCompanyData"),
            )),
            Err(e) => futures::future::Either::Right(futures::stream::iter([Err(e)])),
        };
        futures::StreamExt::map(stream, |r| {
            r.map(|v| v.into_iter().map(|i| i.return_company_info).collect())
        })
    }

    /// Creates or updates the profile with `extCode`; returns its `bravoId`.
    pub async fn upsert_supplier(&self, s: &SupplierUpsert) -> Result<JaggaerId, JaggaerError> {
        let body = serde_json::json!({"operationCode": "CREATEUPDATE", "companyInfo": s});
        let req = Req::post_json(
            "suppliers",
            self.url(&self.settings().paths.suppliers)?,
            body,
        );
        let v = self.execute_json(&req).await?;
        id_field("suppliers", &v, "bravoId")
    }

    // ------------------------------------------------------------------------ purchase orders

    /// The PO whose `poNumber` is `po_number` (`KCOO-DCTO-DOCO`), if any.
    pub async fn find_purchase_order(
        &self,
        po_number: &str,
    ) -> Result<Option<PurchaseOrderRecord>, JaggaerError> {
        let mut req = Req::get(
            "purchase_orders",
            self.url(&self.settings().paths.purchase_orders)?,
        );
        req.query.push(("flt", format!("poNumber=={po_number}")));
        let mut v = self.execute_json(&req).await?;
        let items: Vec<PurchaseOrderRecord> = decode(
            "purchase_orders",
            ListAt::Nested("purchaseOrderList", "purchaseOrder").take(&mut v),
        )?;
        Ok(items
            .into_iter()
            .find(|p| p.header.po_number.as_deref() == Some(po_number)))
    }

    /// Creates or updates a PO (matched on `poNumber`); returns its `poId`.
    pub async fn upsert_purchase_order(
        &self,
        po: &PurchaseOrderUpsert,
    ) -> Result<JaggaerId, JaggaerError> {
        let req = Req::post_json(
            "purchase_orders",
            self.url(&self.settings().paths.purchase_orders)?,
            po.to_json(),
        );
        let v = self.execute_json(&req).await?;
        id_field("purchase_orders", &v, "poId")
    }

    // ------------------------------------------------------------------ custom-field values

    fn field_url(&self, field: &str) -> Result<url::Url, JaggaerError> {
        let template = &self.settings().paths.custom_field_values;
        // The field name is percent-encoded as one path segment so it cannot change the path.
        let encoded: String = url::form_urlencoded::byte_serialize(field.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        self.url(&template.replace("{field}", &encoded))
    }

    /// All values of custom field `field` (all pages).
    pub async fn list_custom_field_values(
        &self,
        field: &str,
    ) -> Result<Vec<CustomFieldValue>, JaggaerError> {
        use futures::TryStreamExt;
        let url = self.field_url(field)?;
        let pages = pages::<CustomFieldValue>(
            self.clone(),
            "custom_field_values",
            url,
            None,
            ListAt::Nested("customFieldValueList", "customFieldValue"),
        );
        let all: Vec<Vec<CustomFieldValue>> = pages.try_collect().await?;
        Ok(all.into_iter().flatten().collect())
    }

    /// Upserts values of `field` by `value`, in POSTs of at most [`MAX_VALUES_PER_POST`];
    /// returns the sum of `upserted` the server reported.
    pub async fn upsert_custom_field_values(
        &self,
        field: &str,
        values: &[CustomFieldValue],
    ) -> Result<u64, JaggaerError> {
        let url = self.field_url(field)?;
        let mut total = 0;
        for chunk in values.chunks(MAX_VALUES_PER_POST) {
            let body = serde_json::json!({"customFieldValueList": {"customFieldValue": chunk}});
            let v = self
                .execute_json(&Req::post_json("custom_field_values", url.clone(), body))
                .await?;
            total += envelope_u64(&v, "upserted").unwrap_or(chunk.len() as u64);
        }
        Ok(total)
    }

    // ------------------------------------------------------------------------------- cXML

    /// Posts a cXML document to a configured path and reads the cXML `Response/Status`.
    /// HTTP 5xx and network faults are retried (same payloadID, so the resend is idempotent);
    /// a cXML 4xx inside an HTTP 200 is returned as a status for the caller to judge.
    pub async fn post_cxml(&self, path: CxmlPath, xml: String) -> Result<CxmlStatus, JaggaerError> {
        let p = match path {
            CxmlPath::Orders => &self.settings().paths.cxml_orders,
        };
        let req = Req {
            method: reqwest::Method::POST,
            endpoint: "cxml_orders",
            url: self.url(p)?,
            query: Vec::new(),
            body: Body::Xml(xml),
            bearer: false,
        };
        let bytes = match self.execute(&req).await {
            Ok(b) => b,
            // A cXML receiver answers 4xx with a Response body; surface its status when it has one.
            Err(JaggaerError::Http { status, body, .. })
                if (400..500).contains(&status) && body.contains("<Status") =>
            {
                bytes::Bytes::from(body.into_bytes())
            }
            Err(e) => return Err(e),
        };
        Ok(cxml::parse_response(&bytes)?)
    }
}

fn id_field(endpoint: &str, v: &Value, key: &str) -> Result<JaggaerId, JaggaerError> {
    match v.get(key) {
        Some(Value::Number(n)) => Ok(JaggaerId(n.to_string())),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(JaggaerId(s.trim().to_owned())),
        _ => Err(JaggaerError::Decode {
            endpoint: endpoint.to_owned(),
            path: key.to_owned(),
            message: "missing id in the answer".into(),
        }),
    }
}
