//! cXML 1.2.069 codec: the `OrderRequest` writer (POs to JAGGAER), the hardened
//! `InvoiceDetailRequest` reader (invoices from JAGGAER/suppliers) and the `Response`/`Status`
//! writer and reader.
//!
//! Reading is done on a small in-memory tree built from quick-xml events with hard limits (size,
//! depth), and any entity declaration or unknown entity reference refused: no XXE, no
//! billion laughs, and no network access ever (the DOCTYPE's DTD URL is never fetched).
//! Errors name the element path that is wrong or missing.
mod dom;
mod invoice;
mod order;
mod redact;
mod response;

pub use invoice::{
    CxmlCredential, CxmlDistribution, CxmlInvoice, CxmlInvoiceLine, CxmlInvoiceSummary,
    InvoiceOperation, InvoicePurpose, parse_invoice_detail_request,
};
pub use order::{
    AccountingSegment, Address, Credential, Distribution, OrderContact, OrderItem, OrderRequestDoc,
    OrderType, payload_id_for,
};
pub use redact::{CREDENTIAL_ELEMENTS, SENT, VERIFIED, redact_credentials};
pub use response::{CxmlResponse, CxmlStatus, parse_response, parse_response_doc, write_response};

/// cXML version written.
pub const CXML_VERSION: &str = "1.2.069";
/// DOCTYPE system id for `cXML.dtd` documents (OrderRequest, Response).
pub const CXML_DTD: &str = "http://xml.cxml.org/schemas/cXML/1.2.069/cXML.dtd";
/// Largest document the reader accepts.
pub const MAX_DOCUMENT_BYTES: usize = crate::dom::MAX_DOCUMENT_BYTES;
/// Deepest element nesting the reader accepts.
pub const MAX_DEPTH: usize = crate::dom::MAX_DEPTH;
/// Most attributes one element may carry (cXML elements have a handful; this bounds the
/// duplicate-attribute check, which is quadratic in the count).
pub const MAX_ATTRIBUTES: usize = crate::dom::MAX_ATTRIBUTES;
/// Most elements one document may hold (an invoice of 2,000 lines has about 60,000).
pub const MAX_ELEMENTS: usize = crate::dom::MAX_ELEMENTS;

/// Errors writing or reading cXML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CxmlError {
    /// The document is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("cXML document too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// Size received.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Elements nest deeper than [`MAX_DEPTH`].
    #[error("cXML nesting deeper than {limit} at {element}")]
    TooDeep {
        /// Path where the limit was hit.
        element: String,
        /// Limit.
        limit: usize,
    },
    /// An element carries more than [`MAX_ATTRIBUTES`] attributes, or the document holds more
    /// than [`MAX_ELEMENTS`] elements.
    #[error("cXML has too many {what} at {element} (limit {limit})")]
    TooMany {
        /// `attributes` or `elements`.
        what: &'static str,
        /// Path where the limit was hit.
        element: String,
        /// Limit.
        limit: usize,
    },
    /// The DOCTYPE declares entities or has an internal subset (XXE / entity expansion attempt).
    #[error("cXML DOCTYPE declares entities or an internal subset, refused: {detail}")]
    EntityDeclaration {
        /// The start of the DOCTYPE text.
        detail: String,
    },
    /// A reference to an entity other than the five XML ones or a character reference.
    #[error("cXML references unknown entity &{name};")]
    UnknownEntity {
        /// Entity name.
        name: String,
    },
    /// Not well-formed XML (or not UTF-8).
    #[error("malformed cXML at byte {position}: {message}")]
    Malformed {
        /// Byte offset.
        position: u64,
        /// Parser message.
        message: String,
    },
    /// A required element or attribute is missing (attributes as `Element@attr`).
    #[error("cXML is missing {element}")]
    Missing {
        /// Path, e.g. `InvoiceDetailRequest/InvoiceDetailSummary/NetAmount`.
        element: String,
    },
    /// An element or attribute has a value we cannot use.
    #[error("cXML {element}: {message}")]
    Invalid {
        /// Path of the element or attribute.
        element: String,
        /// What is wrong.
        message: String,
    },
}
