//! The four flows of a cycle, in dependency order, and what they share.
pub(crate) mod accounts;
pub(crate) mod common;
pub(crate) mod invoices;
pub(crate) mod purchase_orders;
pub(crate) mod suppliers;
