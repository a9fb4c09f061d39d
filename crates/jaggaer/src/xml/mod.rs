//! JAGGAER eProcurement XML "Router" channel (reference §4, interface §9): typed documents and
//! their writer, the reply classifier, the Router client, and the inbound invoice export.
//!
//! - [`write`](mod@write): [`SupplierSyncMessage`] (one message per page of suppliers, AN8 in
//!   `Supplier/ERPNumber`) and [`PurchaseOrderMessage`] (new, `type="update"` with
//!   `DistributeRevision` false, `type="cancel"`), written with quick-xml's writer: every text
//!   and attribute value is escaped, characters XML 1.0 cannot carry are dropped.
//! - [`reply`]: [`classify_reply`] turns an HTTP status and body into a [`RouterOutcome`]
//!   (success, partial page, record refused, configuration problem, transient), by the body's
//!   `Status` when it parses, not by the HTTP status alone.
//! - [`client`]: [`XmlRouterClient`] posts documents to the configured Router paths, retries
//!   transient failures only (capped), never follows redirects.
//! - [`invoice`]: the `BuyerInvoiceExportMessage` reader (tolerates bare `&`, capped like the
//!   cXML reader) and the `DocumentExportResponse` writer.
//!
//! Shared secrets are [`SecretString`]s: they are written into documents and nowhere else
//! (`Debug` redacts them).
mod dom;

pub mod client;
pub mod invoice;
pub mod reply;
pub mod write;

use secrecy::SecretString;
use sha2::{Digest, Sha256};

pub use client::{XmlPaths, XmlRouterClient, XmlRouterSettings};
pub use invoice::{
    ExportCustomField, ExportEnvelope, ExportInvoice, ExportInvoiceLine, ExportSplit,
    parse_invoice_export, read_export_envelope, write_export_response,
};
pub use reply::{RouterOutcome, RouterReply, classify_reply, parse_reply};
pub use write::{
    PoMessageType, PurchaseOrderMessage, SupplierSyncMessage, XmlAddress, XmlCustomField,
    XmlPoAddress, XmlPoLine, XmlSupplier,
};

/// Largest document the readers accept.
pub const MAX_DOCUMENT_BYTES: usize = crate::dom::MAX_DOCUMENT_BYTES;
/// Deepest element nesting the readers accept.
pub const MAX_DEPTH: usize = crate::dom::MAX_DEPTH;
/// Most attributes on one element.
pub const MAX_ATTRIBUTES: usize = crate::dom::MAX_ATTRIBUTES;
/// Most elements in one document.
pub const MAX_ELEMENTS: usize = crate::dom::MAX_ELEMENTS;

/// DOCTYPE system id of `SupplierSyncMessage` (never fetched by us).
pub const SUPPLIER_DTD: &str =
    "https://integrations.sciquest.com/app_docs/dtd/supplier/TSMSupplier.dtd";
/// DOCTYPE system id of `PurchaseOrderMessage`.
pub const PO_DTD: &str = "https://integrations.sciquest.com/app_docs/dtd/po/PO.dtd";
/// DOCTYPE system id of `DocumentExportResponse`.
pub const EXPORT_DTD: &str =
    "https://integrations.sciquest.com/app_docs/dtd/documentExport/DocumentExport.dtd";

/// The credentials carried inside every Router document (`Header/Authentication`).
///
/// `Debug` prints the identity and `[REDACTED]` for the secret.
#[derive(Debug, Clone)]
pub struct XmlAuth {
    /// `Identity`: the organisation's integration id.
    pub identity: String,
    /// `SharedSecret`: the per-integration password configured in JAGGAER.
    pub shared_secret: SecretString,
}

impl XmlAuth {
    /// Credentials from an identity and a secret.
    pub fn new(identity: impl Into<String>, shared_secret: SecretString) -> Self {
        Self {
            identity: identity.into(),
            shared_secret,
        }
    }
}

/// `Header/MessageId` and `Header/Timestamp` of an outbound document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlHeader {
    /// Unique per document version: the same document re-sent after a crash carries the same
    /// id (see [`message_id_for`]).
    pub message_id: String,
    /// Written as ISO 8601 with an explicit `+00:00` offset (JAGGAER requires an offset).
    pub timestamp: jiff::Timestamp,
}

/// A stable `MessageId` for one version of one document: `mlc-<kind>-<24 hex>` from a SHA-256 of
/// the kind, the record key and the version marker (e.g. the payload hash the ledger keeps).
pub fn message_id_for(kind: &str, key: &str, version: &str) -> String {
    let mut h = Sha256::new();
    for part in [kind, key, version] {
        h.update(part.len().to_le_bytes());
        h.update(part.as_bytes());
    }
    let digest = hex::encode(h.finalize());
    format!("mlc-{kind}-{}", &digest[..24])
}

/// A Router timestamp: `2026-12-05T09:06:42.209+00:00`.
pub fn router_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

/// Errors reading Router XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The document is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("XML document too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// Size received.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Elements nest deeper than [`MAX_DEPTH`].
    #[error("XML nesting deeper than {limit} at {element}")]
    TooDeep {
        /// Path where the limit was hit.
        element: String,
        /// Limit.
        limit: usize,
    },
    /// More attributes on one element than [`MAX_ATTRIBUTES`], or more elements than
    /// [`MAX_ELEMENTS`].
    #[error("XML has too many {what} at {element} (limit {limit})")]
    TooMany {
        /// `attributes` or `elements`.
        what: &'static str,
        /// Path where the limit was hit.
        element: String,
        /// Limit.
        limit: usize,
    },
    /// The DOCTYPE declares entities or has an internal subset.
    #[error("XML DOCTYPE declares entities or an internal subset, refused: {detail}")]
    EntityDeclaration {
        /// The start of the DOCTYPE text.
        detail: String,
    },
    /// A reference to an entity other than the five XML ones or a character reference.
    #[error("XML references unknown entity &{name};")]
    UnknownEntity {
        /// Entity name.
        name: String,
    },
    /// Not well-formed XML (or not UTF-8).
    #[error("malformed XML at byte {position}: {message}")]
    Malformed {
        /// Byte offset.
        position: u64,
        /// Parser message.
        message: String,
    },
    /// The root element is not the expected one.
    #[error("XML root element is {found}, expected {expected}")]
    WrongRoot {
        /// Expected root.
        expected: &'static str,
        /// Root found.
        found: String,
    },
    /// A required element or attribute is missing (attributes as `Element@attr`).
    #[error("XML is missing {element}")]
    Missing {
        /// Path.
        element: String,
    },
    /// An element or attribute has a value we cannot use.
    #[error("XML {element}: {message}")]
    Invalid {
        /// Path of the element or attribute.
        element: String,
        /// What is wrong.
        message: String,
    },
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_version() {
        let a = message_id_for("po", "4711 OP 00001", "v1");
        assert_eq!(a, message_id_for("po", "4711 OP 00001", "v1"));
        assert_ne!(a, message_id_for("po", "4711 OP 00001", "v2"));
        assert_ne!(a, message_id_for("supplier", "4711 OP 00001", "v1"));
        // Length-prefixed parts: moving a boundary changes the id.
        assert_ne!(
            message_id_for("po", "ab", "c"),
            message_id_for("po", "a", "bc")
        );
        assert!(a.starts_with("mlc-po-") && a.len() == "mlc-po-".len() + 24);
    }

    #[test]
    fn timestamps_carry_an_offset() {
        let t: jiff::Timestamp = "2026-12-05T09:06:42.209Z".parse().unwrap();
        assert_eq!(router_time(t), "2026-12-05T09:06:42.209+00:00");
    }

    #[test]
    fn auth_debug_redacts_the_secret() {
        let a = XmlAuth::new("ORG-1", SecretString::from("hunter2-very-secret"));
        let dbg = format!("{a:?}");
        assert!(dbg.contains("ORG-1"));
        assert!(!dbg.contains("hunter2"), "{dbg}");
    }
}
