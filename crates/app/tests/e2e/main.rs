//! End-to-end: both simulators in-process, the real `ml-connector` binary driven through
//! `sync --json`, and assertions on what each system holds afterwards.
//!
//! Every test has its own simulators (ephemeral ports) and temp dir, so they run in parallel.
mod chaos;
mod content;
mod cxml;
mod first_sync;
mod golive;
mod incremental;
mod invoices;
mod matching;
mod ping;
mod probe;
mod resilience;

/// The shared harness (simulators, temp dir with config and vault, the binary).
use mlc_test_support as harness;
mod voucher_truth;
mod xml_export;
