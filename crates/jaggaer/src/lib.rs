//! `mlc-jaggaer`: a client for the JAGGAER ONE (J1P) public REST API and a cXML codec.
//!
//! Map of the crate:
//! - [`settings`]: [`J1pSettings`] (base URL, token URL, per-tenant resource paths, limits, proxy, CA),
//!   [`J1pPaths`] and [`RetryPolicy`].
//! - [`client`]: [`J1pClient`], the transport: OAuth 2.0 client-credentials token cache with
//!   single-flight renewal, a tenant-wide 429 pause honouring `Retry-After`, exponential backoff
//!   with jitter for 5xx/network faults, a client-side rate limiter (governor) and an adaptive
//!   (AIMD) concurrency cap, metrics and [`ClientStats`].
//! - [`resources`]: the typed J1P calls the sync engine uses (invoices, supplier profiles,
//!   purchase orders, custom-field value lists, cXML order posting).
//! - [`model`]: serde models of the J1P JSON; money is `rust_decimal::Decimal` read from the JSON
//!   number's text, never through `f64`.
//! - [`cxml`]: cXML 1.2.069 `OrderRequest` writer, hardened `InvoiceDetailRequest` reader and the
//!   `Response`/`Status` writer and reader.
//! - [`xml`]: the eProcurement XML Router channel (`SupplierSyncMessage`, `PurchaseOrderMessage`,
//!   reply classification, [`xml::XmlRouterClient`], the `BuyerInvoiceExportMessage` reader).
//! - [`error`]: [`JaggaerError`] (and [`cxml::CxmlError`]).
//!
//! The client knows nothing about syncing: it moves typed records to and from JAGGAER and reports
//! faults precisely, and the engine decides what they mean.

pub mod client;
// The decoders of remote documents (J1P JSON models, cXML, XML Router, the DOM they share):
// no unchecked arithmetic, no indexing (issue 16 item 1).
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub mod cxml;
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod dom;
pub mod error;
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub mod model;
pub mod resources;
pub mod settings;
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub mod xml;

mod aimd;
mod auth;

pub use client::{ClientStats, J1pClient};
pub use error::JaggaerError;
pub use model::*;
pub use settings::{J1pPaths, J1pSettings, RetryPolicy};
