//! The sync engine: moves records between JD Edwards and JAGGAER.
//!
//! # Layout
//! - [`settings`]: validated per-tenant settings the engine runs with.
//! - [`window`]: `(UPMJ, TDAY)` cursor windows (inclusive lookback, exclusive safety lag).
//! - [`mapping`]: field mapping between the systems, one file per document type.
//! - [`refdata`]: JDE master data vouchers are checked against.
//! - [`summary`]: the `sync --json` summary.
pub mod mapping;
pub mod refdata;
pub mod settings;
pub mod summary;
pub mod window;
