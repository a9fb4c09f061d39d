//! Field mapping between the two systems, one file per document type, in both directions. This
//! is the one place to read when a field lands wrong: every "JDE field X becomes JAGGAER field Y
//! (with default Z)" rule lives here, the connectors only read and write rows and the transports
//! only serialise the models made here. `docs/mapping.md` documents each field.
// Every number mapped here comes from a remote document: no unchecked arithmetic, no indexing
// (issue 16 item 1); an overflow quarantines the record naming field and value.
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

pub mod account;
pub mod invoice;
pub mod matching;
pub mod purchase_order;
pub mod supplier;
pub mod voucher;

/// A record could not be mapped: the field at fault and why. Goes to quarantine with the
/// record's original payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct MappingError {
    /// The field, as a reader of the source record would name it (`line 2.Account`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
    /// Stable reason word for the quarantine (`mapping` unless more specific).
    pub kind: &'static str,
}

impl MappingError {
    /// A mapping error on `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            kind: "mapping",
        }
    }
    /// With a more specific reason word.
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }
}
