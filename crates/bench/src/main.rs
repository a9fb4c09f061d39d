//! `mlc-bench`: runs the benchmark and writes bench-results/latest.{json,md}.
//!
//! `cargo build --release -p ml-connector && cargo run --release -p mlc-bench`

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use mlc_bench::bench::{Options, RunKind, run_all};
use mlc_bench::report::markdown;

/// Benchmark of the real ml-connector sync against the JDE and JAGGAER simulators.
///
/// The simulators run inside this process; the connector (the release `ml-connector` binary)
/// runs as a child process per sync cycle, so its CPU time and peak RSS are its own. Build it
/// first: `cargo build --release -p ml-connector`.
#[derive(Debug, Parser)]
#[command(name = "mlc-bench", version)]
struct Cli {
    /// A tiny version of every run (seconds): a smoke test of the harness, not a measurement.
    #[arg(long)]
    quick: bool,
    /// Repetitions of the medium and incremental runs; the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=20))]
    runs: u16,
    /// Which runs to do (repeatable).
    #[arg(long = "only", value_enum)]
    only: Vec<RunKind>,
    /// PO counts of the large backfill (comma separated).
    #[arg(long, value_delimiter = ',', default_value = "10000,25000,50000")]
    large_sizes: Vec<usize>,
    /// Seed of the simulators' generated data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The ml-connector binary [default: next to this executable, i.e. target/release].
    #[arg(long, value_name = "PATH", env = "MLC_BENCH_CONNECTOR")]
    connector: Option<PathBuf>,
    /// Directory of latest.json and latest.md.
    #[arg(long, value_name = "DIR", default_value = "bench-results")]
    out: PathBuf,
    /// Kill a connector process that runs longer than this many seconds.
    #[arg(long, default_value_t = 600)]
    child_timeout_secs: u64,
}

fn default_connector() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("locating mlc-bench's own executable")?;
    let dir = me.parent().context("mlc-bench has no parent directory")?;
    Ok(dir.join(format!("ml-connector{}", std::env::consts::EXE_SUFFIX)))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let connector = match cli.connector {
        Some(p) => p,
        None => default_connector()?,
    };
    if !connector.is_file() {
        bail!(
            "the connector binary {} does not exist: build it with `cargo build --release -p \
             ml-connector` (same target directory as mlc-bench) or pass --connector PATH",
            connector.display()
        );
    }
    let mut kinds = if cli.only.is_empty() {
        vec![RunKind::Medium, RunKind::Large]
    } else {
        cli.only
    };
    kinds.sort();
    kinds.dedup();
    let opts = Options {
        quick: cli.quick,
        runs: if cli.quick { 1 } else { usize::from(cli.runs) },
        connector,
        seed: cli.seed,
        kinds,
        large_sizes: if cli.quick {
            vec![250, 500, 1000]
        } else {
            cli.large_sizes
        },
        child_timeout: Duration::from_secs(cli.child_timeout_secs),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let results = rt.block_on(run_all(&opts))?;
    std::fs::create_dir_all(&cli.out).with_context(|| format!("creating {}", cli.out.display()))?;
    let json = cli.out.join("latest.json");
    let md = cli.out.join("latest.md");
    std::fs::write(&json, serde_json::to_string_pretty(&results)?)
        .with_context(|| format!("writing {}", json.display()))?;
    let table = markdown(&results);
    std::fs::write(&md, &table).with_context(|| format!("writing {}", md.display()))?;
    println!("{table}");
    eprintln!(
        "wrote {} and {} in {:.0} s",
        json.display(),
        md.display(),
        results.total_secs
    );
    if results.total_secs > 15.0 * 60.0 {
        eprintln!("warning: the benchmark took longer than its 15-minute budget");
    }
    Ok(())
}
