//! Domain model of ml-connector. No I/O lives here.
//!
//! # Layout
//! - [`ids`]: one type per identifier (tenant, JDE address number, PO key, JAGGAER ids).
//! - [`jdetime`]: JDE Julian dates (`CYYDDD`), `HHMMSS` times and the `(UPMJ, TDAY)` stamp used
//!   as a cursor, with the correct two-column ordering.
//! - [`money`]: exact decimal amounts, currency decimals, rounding with the remainder on the
//!   largest line.
//! - [`model`]: what the connector moves: suppliers, accounts, business units, POs, invoices.
//! - [`record`]: entities and record keys as shown by `audit` (`po:acme:00200-OP-4711`).
//! - [`fingerprint`]: content hash over what we send, used by the ledger to skip unchanged records.
//! - [`invoice_number`]: the normalisation JDE duplicate checks compare invoice numbers with.
//! - [`po_line`]: the one rule between JDE's decimal `LNID` and cXML's integer line numbers.
// Amounts, dates and ids here come from remote documents: no unchecked arithmetic, no
// indexing (issue 16 item 1). Tests are exempt (`#[cfg(test)]` modules allow both).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

pub mod fingerprint;
pub mod ids;
pub mod invoice_number;
pub mod jdetime;
pub mod model;
pub mod money;
pub mod po_line;
pub mod record;

pub use rust_decimal::Decimal;

/// Errors raised when raw text does not parse into a domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// A value did not have the expected form; `what` names the field or type.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// The field or type being parsed.
        what: &'static str,
        /// The offending input (never a secret).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl DomainError {
    pub(crate) fn invalid(
        what: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            what,
            value: value.into(),
            reason: reason.into(),
        }
    }
}
