//! `POST /cxml/{tenant}`: inbound cXML `InvoiceDetailRequest` documents.
//!
//! Order of work, and why:
//! 1. The tenant must exist and use `transport = "cxml"` (else 404): nothing is parsed for
//!    unknown tenants.
//! 2. Before anything expensive, the [`super::xml_guard`] pre-scans the header for the
//!    `Sender` credential's `SharedSecret` and compares it with the tenant's vault credential
//!    `cxml_shared_secret` in constant time (SHA-256 of both, then `subtle`). Wrong or missing:
//!    401, after reading at most 64 KiB of the document.
//! 3. The envelope is read with the JAGGAER crate's hardened reader (no DOCTYPE entities, no
//!    external fetches, limits on size, depth, attributes per element and elements per
//!    document) on a blocking thread behind the guard's concurrency limit; a malformed document
//!    is answered 400 with the reader's message, which names the element at fault. The parsed
//!    credential is checked again (the pre-scan can only refuse, never admit).
//! 4. The document, its credentials replaced by `[redacted: verified]`
//!    ([`mlc_jaggaer::cxml::redact_credentials`]), is written to the store's inbox
//!    (`inbox_put`) BEFORE the answer: a 200 means the invoice is durable, whatever happens to
//!    this process next. A resend of the same `payloadID` is answered 200 again and stored once.
//! 5. The tenant's next cycle is brought forward to now, so the voucher follows within about
//!    a scheduler tick instead of a whole poll interval.
//!
//! Answers are cXML `Response` documents whose `Status@code` equals the HTTP status (the
//! cXML rule: senders must read the body; we make both layers agree). A store failure is a
//! 500, which cXML senders treat as "retry later".
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_jaggaer::cxml::{
    CxmlInvoice, CxmlStatus, VERIFIED, parse_invoice_detail_request, redact_credentials,
    write_response,
};
use mlc_store::StateStore;
use secrecy::{ExposeSecret as _, SecretString};

use super::ServerState;
use super::xml_guard::{Refusal, secret_matches};

/// Inbox kind of these documents (read by the engine's invoice flow).
pub(crate) const INBOX_KIND: &str = "cxml-invoice";

/// `POST /cxml/{tenant}`.
pub(crate) async fn receive(
    State(state): State<Arc<ServerState>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let Some(entry) = state.tenant(&tenant) else {
        count("unknown", "unknown_tenant");
        return answer(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("unknown tenant {tenant:?}"),
        );
    };
    let id = entry.id.clone();
    let Some(receiver) = &entry.cxml else {
        count(id.as_str(), "unknown_tenant");
        return answer(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!(
                "tenant {tenant} does not receive cXML invoices (its jaggaer transport is rest)"
            ),
        );
    };
    // Cheap and bounded: a sender without the right secret costs a scan of the header only.
    if let Err(refusal) = state
        .xml
        .precheck_secret(&body, receiver.shared_secret.as_ref())
    {
        return refused(&id, refusal);
    }
    let parsed = match state
        .xml
        .parse(body.clone(), parse_invoice_detail_request)
        .await
    {
        Ok(parsed) => parsed,
        Err(refusal) => return refused(&id, refusal),
    };
    let invoice = match parsed {
        Ok(inv) => inv,
        Err(e) => {
            tracing::warn!(tenant = %id, error = %e, "Refused a malformed cXML document.");
            count(id.as_str(), "malformed");
            return answer(StatusCode::BAD_REQUEST, "Bad Request", &e.to_string());
        }
    };
    if invoice.payload_id.trim().is_empty() {
        count(id.as_str(), "malformed");
        return answer(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "cXML@payloadID is empty",
        );
    }
    if let Err(why) = authenticate(&invoice, receiver.shared_secret.as_ref()) {
        let senders: Vec<String> = invoice
            .sender
            .iter()
            .map(|c| format!("{}:{}", c.domain, c.identity))
            .collect();
        tracing::warn!(tenant = %id, payload_id = %invoice.payload_id, senders = ?senders, reason = why, "Refused a cXML document: sender not authenticated.");
        count(id.as_str(), "unauthorized");
        return answer(StatusCode::UNAUTHORIZED, "Unauthorized", why);
    }
    // The reader accepted the bytes, so they are UTF-8. The stored copy keeps a marker of the
    // verified credential, never the credential (the inbox and quarantine are read by people).
    let xml = String::from_utf8_lossy(&body);
    let xml = redact_credentials(&xml, VERIFIED);
    match state
        .store
        .inbox_put(&id, &invoice.payload_id, INBOX_KIND, &xml)
        .await
    {
        Ok(new) => {
            tracing::info!(
                tenant = %id,
                payload_id = %invoice.payload_id,
                record = %format!("invoice:{id}:{}", invoice.invoice_id),
                new,
                "Inbound cXML invoice stored."
            );
            count(id.as_str(), if new { "accepted" } else { "resend" });
            if new {
                wake(state.store.as_ref(), &id).await;
            }
            let detail = if new {
                format!("invoice {} received", invoice.invoice_id)
            } else {
                format!(
                    "invoice {} already received (payloadID {})",
                    invoice.invoice_id, invoice.payload_id
                )
            };
            answer(StatusCode::OK, "OK", &detail)
        }
        Err(e) => {
            tracing::error!(tenant = %id, payload_id = %invoice.payload_id, error = %e, "Could not store an inbound cXML document; answered 500 so the sender retries.");
            count(id.as_str(), "error");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "the document could not be stored; please retry later",
            )
        }
    }
}

/// Checks the `Sender` shared secret on the parsed document (again after the pre-scan: the
/// scan may only refuse). Err carries the reason told to the sender (never the expected secret).
fn authenticate(inv: &CxmlInvoice, expected: Option<&SecretString>) -> Result<(), &'static str> {
    let Some(expected) = expected else {
        return Err("this receiver has no shared secret configured");
    };
    let presented: Vec<&str> = inv
        .sender
        .iter()
        .filter_map(|c| c.shared_secret.as_ref().map(|s| s.expose_secret()))
        .collect();
    if presented.is_empty() {
        return Err("Sender/Credential/SharedSecret is missing");
    }
    if secret_matches(presented, expected) {
        Ok(())
    } else {
        Err("Sender credentials not recognised")
    }
}

/// The answer to a document the guard refused.
fn refused(tenant: &TenantId, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthorized(why) => {
            tracing::warn!(tenant = %tenant, reason = why, "Refused a cXML document: sender not authenticated.");
            count(tenant.as_str(), "unauthorized");
            answer(StatusCode::UNAUTHORIZED, "Unauthorized", why)
        }
        Refusal::Busy => {
            count(tenant.as_str(), "busy");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                "too many documents are being read; please retry later",
            )
        }
        Refusal::Failed => {
            count(tenant.as_str(), "error");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "the document could not be read; please retry later",
            )
        }
    }
}

/// Brings the tenant's next cycle forward to now (unless it is paused: the document waits in
/// the inbox until `tenant resume`). Best effort: the document is already durable and the
/// next scheduled cycle processes it anyway.
pub(super) async fn wake(store: &dyn StateStore, tenant: &TenantId) {
    let now = Timestamp::now();
    match store.tenant_state(tenant).await {
        Ok(mut s) if !s.paused && s.next_due.is_none_or(|d| d > now) => {
            s.next_due = Some(now);
            if let Err(e) = store.set_tenant_state(tenant, &s).await {
                tracing::warn!(tenant = %tenant, error = %e, "Could not bring the next cycle forward.");
            }
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(tenant = %tenant, error = %e, "Could not read the tenant state to bring the next cycle forward.");
        }
    }
}

fn count(tenant: &str, result: &'static str) {
    metrics::counter!("mlc_cxml_documents_total", "tenant" => tenant.to_owned(), "result" => result)
        .increment(1);
}

/// A cXML Response with the same code at both layers.
fn answer(status: StatusCode, text: &str, detail: &str) -> Response {
    let payload_id = format!(
        "{}.{}@ml-connector",
        Timestamp::now().as_millisecond(),
        uuid::Uuid::new_v4().simple()
    );
    let doc = write_response(
        &payload_id,
        Timestamp::now(),
        &CxmlStatus {
            code: status.as_u16(),
            text: text.to_owned(),
            detail: detail.to_owned(),
        },
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        doc,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    use super::super::{router, tests::state};
    use super::*;

    /// A small, valid InvoiceDetailRequest.
    pub(crate) fn invoice_xml(payload_id: &str, secret: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.069/InvoiceDetail.dtd">
<cXML payloadID="{payload_id}" timestamp="2026-11-26T10:00:00-06:00">
  <Header>
    <From><Credential domain="DUNS"><Identity>123456789</Identity></Credential></From>
    <To><Credential domain="NetworkId"><Identity>ACME</Identity></Credential></To>
    <Sender><Credential domain="NetworkId"><Identity>JAGGAER</Identity><SharedSecret>{secret}</SharedSecret></Credential><UserAgent>test</UserAgent></Sender>
  </Header>
  <Request deploymentMode="production">
    <InvoiceDetailRequest>
      <InvoiceDetailRequestHeader invoiceID="INV-9001" purpose="standard" operation="new" invoiceDate="2026-11-20T00:00:00-06:00">
        <InvoiceDetailHeaderIndicator/>
        <InvoiceDetailLineIndicator/>
        <InvoicePartner><Contact role="remitTo"><Name xml:lang="en">Supplier</Name></Contact></InvoicePartner>
      </InvoiceDetailRequestHeader>
      <InvoiceDetailOrder>
        <InvoiceDetailOrderInfo><OrderReference orderID="4711"><DocumentReference payloadID="x"/></OrderReference></InvoiceDetailOrderInfo>
        <InvoiceDetailItem invoiceLineNumber="1" quantity="2">
          <UnitOfMeasure>EA</UnitOfMeasure>
          <UnitPrice><Money currency="USD">50.00</Money></UnitPrice>
          <InvoiceDetailItemReference lineNumber="1"><ItemID><SupplierPartID>P-1</SupplierPartID></ItemID><Description xml:lang="en">Widget</Description></InvoiceDetailItemReference>
          <SubtotalAmount><Money currency="USD">100.00</Money></SubtotalAmount>
        </InvoiceDetailItem>
      </InvoiceDetailOrder>
      <InvoiceDetailSummary>
        <SubtotalAmount><Money currency="USD">100.00</Money></SubtotalAmount>
        <Tax><Money currency="USD">0.00</Money><Description xml:lang="en">none</Description></Tax>
        <GrossAmount><Money currency="USD">100.00</Money></GrossAmount>
        <NetAmount><Money currency="USD">100.00</Money></NetAmount>
        <DueAmount><Money currency="USD">100.00</Money></DueAmount>
      </InvoiceDetailSummary>
    </InvoiceDetailRequest>
  </Request>
</cXML>"#
        )
    }

    async fn post(state: Arc<ServerState>, tenant: &str, body: String) -> (StatusCode, CxmlStatus) {
        let res = router(state)
            .oneshot(
                Request::post(format!("/cxml/{tenant}"))
                    .header("content-type", "text/xml")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let doc = mlc_jaggaer::cxml::parse_response(&bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
        (status, doc)
    }

    fn beta() -> TenantId {
        TenantId::parse("beta").unwrap()
    }

    #[tokio::test]
    async fn a_valid_document_is_stored_before_the_200_and_a_resend_is_stored_once() {
        let (_dir, state) = state().await;
        let (status, doc) = post(state.clone(), "beta", invoice_xml("p-1@sup", "s3cret")).await;
        assert_eq!(status, StatusCode::OK, "{doc:?}");
        assert_eq!(doc.code, 200);
        let pending = state.store.inbox_pending(&beta(), 10).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].doc_id, "p-1@sup");
        assert_eq!(pending[0].kind, INBOX_KIND);
        assert!(pending[0].payload.contains("INV-9001"));
        // The next cycle was brought forward.
        let s = state.store.tenant_state(&beta()).await.unwrap();
        assert!(s.next_due.is_some_and(|d| d <= Timestamp::now()));

        let (status, doc) = post(state.clone(), "beta", invoice_xml("p-1@sup", "s3cret")).await;
        assert_eq!((status, doc.code), (StatusCode::OK, 200));
        assert!(doc.detail.contains("already received"), "{doc:?}");
        assert_eq!(
            state.store.inbox_pending(&beta(), 10).await.unwrap().len(),
            1
        );
    }

    /// Issue 16 item 4: the store never holds the shared secret, only a marker that a verified
    /// one was there. The check reads the database files themselves (every table, index and
    /// the write-ahead log), not one column.
    #[tokio::test]
    async fn the_stored_document_keeps_a_marker_instead_of_the_secret() {
        let (dir, state) = state().await;
        let (status, _) = post(state.clone(), "beta", invoice_xml("p-9@sup", "s3cret")).await;
        assert_eq!(status, StatusCode::OK);
        let pending = state.store.inbox_pending(&beta(), 10).await.unwrap();
        assert!(
            !pending[0].payload.contains("s3cret"),
            "{}",
            pending[0].payload
        );
        assert!(
            pending[0]
                .payload
                .contains("<SharedSecret>[redacted: verified]</SharedSecret>"),
            "{}",
            pending[0].payload
        );
        // The engine still reads the stored document.
        let stored = parse_invoice_detail_request(pending[0].payload.as_bytes()).unwrap();
        assert_eq!(stored.invoice_id, "INV-9001");
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        assert!(
            bytes.windows(6).any(|w| w == b"INV-90"),
            "the dump misses the store"
        );
        assert!(
            !bytes.windows(6).any(|w| w == b"s3cret"),
            "the secret is in the store"
        );
    }

    #[tokio::test]
    async fn a_wrong_or_missing_secret_is_401_and_nothing_is_stored() {
        let (_dir, state) = state().await;
        // (Surrounding whitespace is not part of the secret: the reader trims element text.)
        for secret in ["wrong", "s3cre", "s3cret2", "S3CRET", ""] {
            let (status, doc) = post(state.clone(), "beta", invoice_xml("p-2", secret)).await;
            assert_eq!(
                (status, doc.code),
                (StatusCode::UNAUTHORIZED, 401),
                "{secret:?}"
            );
            assert!(!doc.detail.contains("s3cret"));
        }
        let no_secret = invoice_xml("p-3", "x").replace("<SharedSecret>x</SharedSecret>", "");
        let (status, doc) = post(state.clone(), "beta", no_secret).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(doc.detail.contains("SharedSecret is missing"), "{doc:?}");
        assert!(
            state
                .store
                .inbox_pending(&beta(), 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn malformed_and_xxe_documents_are_400_naming_the_problem() {
        let (_dir, state) = state().await;
        let missing = invoice_xml("p-4", "s3cret").replace(
            "<NetAmount><Money currency=\"USD\">100.00</Money></NetAmount>",
            "",
        );
        let (status, doc) = post(state.clone(), "beta", missing).await;
        assert_eq!((status, doc.code), (StatusCode::BAD_REQUEST, 400));
        assert!(doc.detail.contains("NetAmount"), "{doc:?}");

        let sender = "<Sender><Credential domain=\"x\"><Identity>J</Identity>\
                      <SharedSecret>s3cret</SharedSecret></Credential></Sender>";
        let xxe = format!(
            r#"<?xml version="1.0"?>
<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<cXML payloadID="p-5" timestamp="2026-11-26T10:00:00Z"><Header>{sender}&xxe;</Header></cXML>"#
        );
        let (status, doc) = post(state.clone(), "beta", xxe.clone()).await;
        assert_eq!((status, doc.code), (StatusCode::BAD_REQUEST, 400));
        assert!(doc.detail.contains("DOCTYPE"), "{doc:?}");
        assert!(!doc.detail.contains("root:"), "{doc:?}");
        // Without the right secret it is not even parsed.
        let (status, doc) = post(state.clone(), "beta", xxe.replace("s3cret", "x")).await;
        assert_eq!((status, doc.code), (StatusCode::UNAUTHORIZED, 401));

        let unclosed = format!("<cXML><Header>{sender}</Header><unclosed>");
        let (status, _) = post(state.clone(), "beta", unclosed).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = post(state.clone(), "beta", "<cXML><unclosed>".into()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            state
                .store
                .inbox_pending(&beta(), 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn unknown_and_rest_tenants_are_404() {
        let (_dir, state) = state().await;
        let (status, doc) = post(state.clone(), "nobody", invoice_xml("p-6", "s3cret")).await;
        assert_eq!((status, doc.code), (StatusCode::NOT_FOUND, 404));
        let (status, doc) = post(state.clone(), "acme", invoice_xml("p-7", "s3cret")).await;
        assert_eq!((status, doc.code), (StatusCode::NOT_FOUND, 404));
        assert!(doc.detail.contains("rest"), "{doc:?}");
    }

    #[tokio::test]
    async fn a_paused_tenant_keeps_the_document_but_is_not_woken() {
        let (_dir, state) = state().await;
        let paused = mlc_store::TenantState {
            paused: true,
            pause_reason: Some("close".into()),
            ..Default::default()
        };
        state
            .store
            .set_tenant_state(&beta(), &paused)
            .await
            .unwrap();
        let (status, _) = post(state.clone(), "beta", invoice_xml("p-8", "s3cret")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(state.store.tenant_state(&beta()).await.unwrap(), paused);
        assert_eq!(
            state.store.inbox_pending(&beta(), 10).await.unwrap().len(),
            1
        );
    }
}
