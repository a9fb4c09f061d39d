//! JD Edwards EnterpriseOne AIS Server REST client.
//!
//! A standalone client: it knows AIS, not syncing. The engine drives it through these pieces:
//!
//! - [`settings`]: [`AisSettings`] (base URL, credentials as a `SecretString`, TLS CA, proxy,
//!   concurrency cap, timeout) and [`RetryPolicy`].
//! - [`client`]: [`AisClient`] — token sessions (`v2/tokenrequest`, `jde-AIS-Auth` headers,
//!   single-flight re-login on 444, fail-fast after a rejected login so the service account is
//!   never locked), the request pipeline (semaphore cap, back-off retries honouring
//!   `Retry-After`, metrics, error mapping), `defaultconfig`, validate, logout, [`ClientStats`].
//! - [`query`]: the data service query builder ([`Query`], [`Condition`], [`Op`], [`Literal`]);
//!   date literals use the session user's `simpleDateFormat`.
//! - [`browse`](AisClient::browse): streaming BROWSE with next-link paging, restart on
//!   `JAS_MSG347`, keyset paging on ordered queries.
//! - [`rows`]: [`JdeRow`] and the typed rows of the tables in docs/jde-tables.md.
//! - [`orchestration`]: generic orchestration calls, the typed voucher call
//!   ([`AisClient::add_voucher`]), discovery.
//! - [`report`]: the report service (`v2/report/execute`, `v2/report/status`) that launches
//!   the batch voucher processor ([`AisClient::execute_report`], [`AisClient::report_status`]).
//! - [`error`]: [`JdeError`] with `is_transient`/`is_auth`/`kind`.
// `JdeError::Remote` deliberately carries JDE's message, exception, body and form errors so an
// operator sees the remote's own words; errors are rare next to the HTTP round trip, so their
// size does not matter.
#![allow(clippy::result_large_err)]

pub mod browse;
pub mod client;
pub mod error;
pub mod orchestration;
pub mod query;
pub mod report;
// The row decoders read remote JSON: no unchecked arithmetic, no indexing (issue 16 item 1).
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub mod rows;
pub mod settings;

pub use client::{AisClient, ClientStats, DefaultConfig, SessionInfo};
pub use error::{FormError, JdeError};
pub use orchestration::{
    MatchLineInput, MatchVoucherInput, PoReference, VoucherAccepted, VoucherInput, VoucherLineInput,
};
pub use query::{
    AndOr, Asc, Condition, Desc, Direction, Filter, Literal, MatchType, Op, PageSize, Query,
    SpecialValue,
};
pub use report::{JobStatus, ReportJob};
pub use rows::{
    F0006Row, F0008Row, F0010Row, F0013Row, F0101Row, F0116Row, F0401MatchRow, F0401Row, F0411Row,
    F0411Z1Row, F0901Row, F0911Row, F01151Row, F4301Row, F4311Row, F43121Row, JdeRow,
};
pub use settings::{AisSettings, RetryPolicy};
