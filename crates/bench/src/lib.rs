//! The ml-connector benchmark (`mlc-bench`): the real sync — the release `ml-connector` binary,
//! driven only through its public interface — against the JDE and JAGGAER simulators running
//! inside this process, with the fixed knobs of issue 8 and the figures of
//! `docs/performance.md`.
//!
//! # Layout
//! - [`measure`]: spawn a child, feed stdin, reap it with `wait4(2)` for its own CPU and peak
//!   RSS, kill it past a timeout.
//! - [`connector`]: a temporary installation (config, master key, vault, SQLite store),
//!   `credentials set`, `sync --json` and the summary it prints.
//! - [`sims`]: both simulators with a run's knobs, their request logs reduced to [`stats::Req`].
//! - [`stats`]: per system/endpoint counts and the lower bound of benchmark.md.
//! - [`bench`](mod@bench): the runs (medium backfill in two stages, incremental, idle poll, large
//!   backfills) and their medians.
//! - [`report`]: the Markdown table; the JSON result is [`bench::Results`] serialised.

pub mod bench;
pub mod connector;
pub mod measure;
pub mod report;
pub mod sims;
pub mod stats;
