//! `POST /jaggaer/export/{tenant}`: JAGGAER's `BuyerInvoiceExportMessage` (XML Router, reference
//! §4.6; interface §9), answered with a `DocumentExportResponse` echoing the `MessageId`.
//!
//! Order of work (the same guard as [`super::cxml`]):
//! 1. The tenant must exist and use `transport = "xml"` (else 404): nothing is parsed for
//!    unknown tenants.
//! 2. Credentials before anything expensive: only `Header` (within the first
//!    [`super::xml_guard::PRESCAN_BYTES`]) is read, and `Authentication/Identity` +
//!    `SharedSecret` are compared with the vault's `xml_identity` / `xml_shared_secret`
//!    (the secret in constant time). Wrong or missing: `StatusCode` 400 "authentication
//!    failed" at both layers (the reference shows no other code for it), nothing stored.
//! 3. The whole document is read by the JAGGAER crate's capped reader (bare `&` repaired, no
//!    entity declarations, limits on size, depth, attributes and elements) on a blocking thread
//!    behind the guard's concurrency limit. Unreadable: 400 with the reader's message, which
//!    names the element at fault.
//! 4. The document, its `SharedSecret` replaced by `[redacted: verified]`, goes to the store's
//!    inbox (kind `xml-export`, keyed by `MessageId`) BEFORE the answer: a 200 means the
//!    invoice is durable. A repeated `MessageId` is a resend: 200 again, stored once. A readable
//!    document that cannot be posted (unknown supplier, bad coding) is still accepted here; the
//!    invoice flow quarantines it with the record and field named.
//! 5. The tenant's next cycle is brought forward to now.
//!
//! Metric: `mlc_xml_exports_total{tenant,result}` with result `accepted`, `resend`,
//! `unauthorized`, `malformed`, `unknown_tenant`, `busy`, `error`.
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_jaggaer::cxml::{VERIFIED, redact_credentials};
use mlc_jaggaer::xml::invoice::{
    ExportEnvelope, ExportInvoice, parse_invoice_export, read_export_envelope,
    write_export_response,
};
use mlc_jaggaer::xml::{XmlError, XmlHeader};
use secrecy::ExposeSecret as _;

use super::ServerState;
use super::XmlExportReceiver;
use super::xml_guard::{PRESCAN_BYTES, Refusal, secret_matches};

/// Inbox kind of these documents (read by the engine's invoice flow).
pub(crate) const INBOX_KIND: &str = mlc_engine::mapping::invoice::EXPORT_INBOX_KIND;

/// `POST /jaggaer/export/{tenant}`.
pub(crate) async fn receive(
    State(state): State<Arc<ServerState>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let Some(entry) = state.tenant(&tenant) else {
        count("unknown", "unknown_tenant");
        return answer(
            StatusCode::NOT_FOUND,
            "",
            &format!("unknown tenant {tenant:?}"),
        );
    };
    let id = entry.id.clone();
    let Some(receiver) = &entry.xml_export else {
        count(id.as_str(), "unknown_tenant");
        return answer(
            StatusCode::NOT_FOUND,
            "",
            &format!(
                "tenant {tenant} does not receive invoice exports (its jaggaer transport is not xml)"
            ),
        );
    };
    // Cheap and bounded: the header only, within the first PRESCAN_BYTES.
    let head = &body[..body.len().min(PRESCAN_BYTES)];
    let head = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    let envelope = read_export_envelope(head);
    let echo = envelope
        .as_ref()
        .ok()
        .and_then(|e| e.message_id.clone())
        .unwrap_or_default();
    if let Err(why) = authenticate(envelope.as_ref().ok(), receiver) {
        tracing::warn!(tenant = %id, message_id = %echo, reason = why, "Refused an invoice export: sender not authenticated.");
        count(id.as_str(), "unauthorized");
        return answer(StatusCode::BAD_REQUEST, &echo, why);
    }
    let parsed = match state
        .xml
        .parse(body.clone(), |b| match std::str::from_utf8(b) {
            Ok(text) => parse_invoice_export(text),
            Err(e) => Err(XmlError::Malformed {
                position: u64::try_from(e.valid_up_to()).unwrap_or(u64::MAX),
                message: "the document is not UTF-8".into(),
            }),
        })
        .await
    {
        Ok(parsed) => parsed,
        Err(refusal) => return refused(&id, &echo, refusal),
    };
    let invoice: ExportInvoice = match parsed {
        Ok(inv) => inv,
        Err(e) => {
            tracing::warn!(tenant = %id, message_id = %echo, error = %e, "Refused a malformed invoice export.");
            count(id.as_str(), "malformed");
            return answer(StatusCode::BAD_REQUEST, &echo, &e.to_string());
        }
    };
    let message_id = invoice.message_id.trim().to_owned();
    if message_id.is_empty() {
        count(id.as_str(), "malformed");
        return answer(StatusCode::BAD_REQUEST, "", "Header/MessageId is empty");
    }
    // The reader accepted the bytes, so they are UTF-8. The stored copy keeps a marker of the
    // verified secret, never the secret.
    let xml = String::from_utf8_lossy(&body);
    let xml = redact_credentials(&xml, VERIFIED);
    let number = invoice
        .supplier_invoice_no
        .clone()
        .or(invoice.invoice_number.clone())
        .unwrap_or_default();
    match state
        .store
        .inbox_put(&id, &message_id, INBOX_KIND, &xml)
        .await
    {
        Ok(new) => {
            tracing::info!(tenant = %id, message_id = %message_id, invoice = %number, new, "Inbound invoice export stored.");
            count(id.as_str(), if new { "accepted" } else { "resend" });
            if new {
                super::cxml::wake(state.store.as_ref(), &id).await;
            }
            let text = if new {
                format!("Success: invoice {number} received")
            } else {
                format!("Success: invoice {number} already received (MessageId {message_id})")
            };
            answer(StatusCode::OK, &message_id, &text)
        }
        Err(e) => {
            tracing::error!(tenant = %id, message_id = %message_id, error = %e, "Could not store an invoice export; answered 500 so JAGGAER retries.");
            count(id.as_str(), "error");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                &message_id,
                "the document could not be stored; please retry later",
            )
        }
    }
}

/// `Identity` must equal the configured one and `SharedSecret` match (constant time). Err
/// carries the reason told to the sender (never the expected values).
fn authenticate(
    env: Option<&ExportEnvelope>,
    receiver: &XmlExportReceiver,
) -> Result<(), &'static str> {
    let Some(env) = env else {
        return Err("Authentication failed: Header/Authentication could not be read");
    };
    let Some(secret) = env.shared_secret.as_ref() else {
        return Err("Authentication failed: Header/Authentication/SharedSecret is missing");
    };
    let secret_ok = secret_matches([secret.expose_secret()], &receiver.shared_secret);
    let identity_ok = env.identity.as_deref().map(str::trim) == Some(receiver.identity.as_str());
    if secret_ok && identity_ok {
        Ok(())
    } else {
        Err("Authentication failed: Identity/SharedSecret not recognised")
    }
}

fn refused(tenant: &TenantId, echo: &str, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthorized(why) => {
            count(tenant.as_str(), "unauthorized");
            answer(StatusCode::BAD_REQUEST, echo, why)
        }
        Refusal::Busy => {
            count(tenant.as_str(), "busy");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                echo,
                "too many documents are being read; please retry later",
            )
        }
        Refusal::Failed => {
            count(tenant.as_str(), "error");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                echo,
                "the document could not be read; please retry later",
            )
        }
    }
}

fn count(tenant: &str, result: &'static str) {
    metrics::counter!("mlc_xml_exports_total", "tenant" => tenant.to_owned(), "result" => result)
        .increment(1);
}

/// A `DocumentExportResponse` whose `StatusCode` equals the HTTP status.
fn answer(status: StatusCode, message_id: &str, text: &str) -> Response {
    let doc = write_export_response(
        &XmlHeader {
            message_id: message_id.to_owned(),
            timestamp: Timestamp::now(),
        },
        status.as_u16(),
        text,
    );
    (
        status,
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
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

    fn export_xml(message_id: &str, identity: &str, secret: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE BuyerInvoiceExportMessage SYSTEM "https://integrations.sciquest.com/app_docs/dtd/documentExport/DocumentExport.dtd">
<BuyerInvoiceExportMessage version="1.0">
  <Header>
    <MessageId>{message_id}</MessageId>
    <Timestamp>2026-12-05T08:15:00.000-05:00</Timestamp>
    <Authentication><Identity>{identity}</Identity><SharedSecret>{secret}</SharedSecret></Authentication>
  </Header>
  <Invoice>
    <InvoiceHeader status="Payable">
      <InvoiceId>7001</InvoiceId>
      <InvoiceNumber>JI-7001</InvoiceNumber>
      <SupplierInvoiceNo>INV-77</SupplierInvoiceNo>
      <InvoiceDate>2026-11-30</InvoiceDate>
      <Currency>USD</Currency>
      <Supplier><Name>Smith & Sons</Name><SupplierNumber>4242</SupplierNumber></Supplier>
    </InvoiceHeader>
    <InvoiceLine linenumber="1"><Quantity>2</Quantity><UnitPrice>50</UnitPrice></InvoiceLine>
  </Invoice>
</BuyerInvoiceExportMessage>
"#
        )
    }

    async fn post(state: Arc<ServerState>, tenant: &str, body: String) -> (StatusCode, String) {
        let res = router(state)
            .oneshot(
                Request::post(format!("/jaggaer/export/{tenant}"))
                    .header("content-type", "application/xml")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    fn code(doc: &str) -> String {
        doc.split("<StatusCode>")
            .nth(1)
            .and_then(|s| s.split("</StatusCode>").next())
            .unwrap_or_default()
            .to_owned()
    }

    fn gamma() -> TenantId {
        TenantId::parse("gamma").unwrap()
    }

    #[tokio::test]
    async fn an_export_is_stored_redacted_before_the_200_and_a_resend_once() {
        let (_dir, state) = state().await;
        let (status, doc) = post(
            state.clone(),
            "gamma",
            export_xml("m-1", "org-9", "xs3cret"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{doc}");
        assert_eq!(code(&doc), "200");
        assert!(doc.contains("<MessageId>m-1</MessageId>"), "{doc}");
        let pending = state.store.inbox_pending(&gamma(), 10).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].doc_id, "m-1");
        assert_eq!(pending[0].kind, INBOX_KIND);
        assert!(!pending[0].payload.contains("xs3cret"));
        assert!(pending[0].payload.contains("[redacted: verified]"));
        // The stored copy still reads (bare `&` and all).
        let stored = parse_invoice_export(&pending[0].payload).unwrap();
        assert_eq!(stored.header_element("InvoiceId"), Some("7001"));

        let (status, doc) = post(
            state.clone(),
            "gamma",
            export_xml("m-1", "org-9", "xs3cret"),
        )
        .await;
        assert_eq!((status, code(&doc).as_str()), (StatusCode::OK, "200"));
        assert!(doc.contains("already received"), "{doc}");
        assert_eq!(
            state.store.inbox_pending(&gamma(), 10).await.unwrap().len(),
            1
        );
    }

    #[tokio::test]
    async fn wrong_credentials_are_400_and_nothing_is_stored() {
        let (_dir, state) = state().await;
        for (identity, secret) in [("org-9", "wrong"), ("org-8", "xs3cret"), ("org-9", "")] {
            let (status, doc) =
                post(state.clone(), "gamma", export_xml("m-2", identity, secret)).await;
            assert_eq!(
                (status, code(&doc).as_str()),
                (StatusCode::BAD_REQUEST, "400")
            );
            assert!(doc.contains("Authentication failed"), "{doc}");
            assert!(!doc.contains("xs3cret"));
        }
        // Credentials are checked before the body is read: a broken body with a wrong secret
        // is refused for its credentials.
        let broken = export_xml("m-3", "org-9", "nope").replace("</Invoice>", "<oops");
        let (_, doc) = post(state.clone(), "gamma", broken).await;
        assert!(doc.contains("Authentication failed"), "{doc}");
        assert!(
            state
                .store
                .inbox_pending(&gamma(), 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn unreadable_documents_are_400_naming_the_problem() {
        let (_dir, state) = state().await;
        let bad = export_xml("m-4", "org-9", "xs3cret")
            .replace("<Quantity>2</Quantity>", "<Quantity>two</Quantity>");
        let (status, doc) = post(state.clone(), "gamma", bad).await;
        assert_eq!(
            (status, code(&doc).as_str()),
            (StatusCode::BAD_REQUEST, "400")
        );
        assert!(doc.contains("Quantity"), "{doc}");
        assert!(doc.contains("<MessageId>m-4</MessageId>"), "{doc}");
        let unclosed = export_xml("m-5", "org-9", "xs3cret").replace("</Invoice>", "<oops");
        let (status, _) = post(state.clone(), "gamma", unclosed).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            state
                .store
                .inbox_pending(&gamma(), 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn tenants_without_the_xml_transport_are_404() {
        let (_dir, state) = state().await;
        let (status, _) = post(state.clone(), "beta", export_xml("m-6", "org-9", "xs3cret")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = post(
            state.clone(),
            "nobody",
            export_xml("m-7", "org-9", "xs3cret"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
