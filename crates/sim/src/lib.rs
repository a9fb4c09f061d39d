//! Simulators of the two remote systems, as product code: `demo`, `sim`, the benchmark and the
//! tests all run against them.
//!
//! # Layout
//! - [`jde`]: the JD Edwards AIS Server (token request, data service with paging, the voucher
//!   orchestration, a batch voucher processor like R04110ZA with its Work Center, the report
//!   service that launches it), with generated data and fault knobs.
//! - [`jaggaer`]: JAGGAER J1P (OAuth 2.0 token endpoint, invoices, supplier profiles, purchase
//!   orders, custom-field value lists, the cXML order inbox), with generated invoices and knobs.
//!
//! This crate shares no code with the client crates: it encodes the wire format from its own
//! types, so a decoding mistake in a client is not mirrored here and hidden.
pub mod jaggaer;
pub mod jde;
