//! The `--quick` benchmark, in-process, against the real `ml-connector` binary.
//!
//! Ignored by default because it needs that binary built (another package's binary is not
//! built by `cargo test -p mlc-bench`):
//! `cargo build -p ml-connector && cargo test -p mlc-bench -- --ignored`
//! (or set MLC_BENCH_CONNECTOR to a binary). It takes a few seconds.

use std::path::PathBuf;
use std::time::Duration;

use mlc_bench::bench::{Options, RunKind, run_all};
use mlc_bench::report::markdown;

fn connector() -> PathBuf {
    if let Some(p) = std::env::var_os("MLC_BENCH_CONNECTOR") {
        return PathBuf::from(p);
    }
    // target/<profile>/deps/quick-xxxx → target/<profile>/ml-connector
    let me = std::env::current_exe().unwrap();
    me.parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("ml-connector")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the ml-connector binary: cargo build -p ml-connector first"]
async fn quick_benchmark_runs_every_stage_and_the_idle_poll_writes_nothing() {
    let bin = connector();
    assert!(
        bin.is_file(),
        "{} missing: cargo build -p ml-connector",
        bin.display()
    );
    let opts = Options {
        quick: true,
        runs: 1,
        connector: bin,
        seed: 7,
        kinds: vec![RunKind::Medium, RunKind::Large],
        large_sizes: vec![100],
        child_timeout: Duration::from_secs(60),
    };
    let r = run_all(&opts).await.unwrap();
    let stages = &r.medium_runs[0].stages;
    assert_eq!(stages.len(), 4);

    let backfill = &stages[0];
    let pos = &backfill.summary["purchase-orders"];
    assert!(pos.read > 0 && pos.created > 0, "{pos:?}");
    assert!(backfill.jde.requests > 0 && backfill.jaggaer.requests > 0);
    assert!(backfill.peak_rss_mib > 1.0 && backfill.cpu_secs > 0.0);
    assert!(backfill.lower_bound.bound_secs > 0.0);

    let invoices = &stages[1];
    let inv = &invoices.summary["invoices"];
    assert_eq!(inv.read, 40, "{inv:?}");
    // Every voucher the connector created is one orchestration call AIS saw.
    assert_eq!(invoices.jde.writes, inv.created);

    let idle = &stages[3];
    assert_eq!(idle.connector_writes, 0, "{:?}", idle.summary);
    assert_eq!(idle.jde.writes + idle.jaggaer.writes, 0);

    assert_eq!(r.large.len(), 1);
    assert!(r.large[0].result.peak_rss_mib > 1.0);
    let md = markdown(&r);
    assert!(md.contains("idle poll"));
    serde_json::to_string(&r).unwrap();
}
