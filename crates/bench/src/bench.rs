//! The runs of issue 8: backfill-medium (two stages), incremental (a change cycle, then an idle
//! poll), backfill-large (CPU and peak RSS at three sizes).
//!
//! Every stage is one `ml-connector sync --json` child process; the simulators' request logs
//! are cleared right before it, so each stage's request counts are its own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use crate::connector::{ConnectorKnobs, EntityCounts, SyncRun, Workspace};
use crate::sims::{SimKnobs, Sims};
use crate::stats::{BoundInputs, LowerBound, SystemStats, median};

/// Which runs to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// Backfill at medium size, then the incremental cycle and the idle poll on the same data.
    Medium,
    /// Backfill at large sizes (CPU, peak RSS).
    Large,
}

/// Settings of a benchmark invocation.
#[derive(Debug, Clone, Serialize)]
pub struct Options {
    /// Small sizes, one run: a smoke test in seconds.
    pub quick: bool,
    /// Repetitions of the medium/incremental runs (the median is reported).
    pub runs: usize,
    /// The `ml-connector` binary.
    pub connector: PathBuf,
    /// Seed of the simulators' data.
    pub seed: u64,
    /// Runs to do.
    pub kinds: Vec<RunKind>,
    /// PO counts of the large backfill.
    pub large_sizes: Vec<usize>,
    /// Kill a connector child after this long.
    #[serde(skip)]
    pub child_timeout: Duration,
}

/// Sizes and knobs of the medium run.
#[derive(Debug, Clone, Serialize)]
pub struct MediumPlan {
    /// Simulator knobs.
    pub sims: SimKnobs,
    /// Connector knobs.
    pub connector: ConnectorKnobs,
    /// Invoices present in JAGGAER before the invoice stage.
    pub invoices: usize,
    /// POs changed in JDE for the incremental cycle.
    pub incremental_pos: usize,
    /// New invoices in JAGGAER for the incremental cycle.
    pub incremental_invoices: usize,
}

impl MediumPlan {
    /// The issue-8 figures, or a tiny version for `--quick`.
    pub fn new(quick: bool, seed: u64) -> MediumPlan {
        let (suppliers, pos, invoices, latency) = if quick {
            (20, 200, 40, Duration::from_millis(1))
        } else {
            (2_000, 10_000, 5_000, Duration::from_millis(10))
        };
        MediumPlan {
            sims: SimKnobs {
                seed,
                suppliers,
                pos,
                latency,
                ais_page_cap: 1000,
                ais_max_concurrent: 4,
                j1p_rate_limit: Some(200),
                j1p_page_size: 100,
                // About half of the invoices come from POs (25 % of 10,000 POs ≈ 2,500); the
                // benchmark tops up with generated non-PO invoices (credit memos, foreign
                // currency, split codings). The PO-backed share stays well below the target
                // (nothing is ever removed), even at the quick size.
                invoice_on_po_probability: (0.5 * invoices as f64 / pos as f64).min(1.0),
                timezone: "America/Chicago".into(),
            },
            connector: ConnectorKnobs {
                jde_timezone: "America/Chicago".into(),
                page_size: 1000,
                jde_max_in_flight: 4,
                jaggaer_rate_limit: 200,
            },
            invoices,
            incremental_pos: (pos / 100).max(1),
            incremental_invoices: if quick { 5 } else { 100 },
        }
    }
}

/// Sizes and knobs of one large backfill.
pub fn large_plan(pos: usize, seed: u64) -> (SimKnobs, ConnectorKnobs) {
    (
        SimKnobs {
            seed,
            suppliers: (pos / 5).clamp(1, 2_000),
            pos,
            latency: Duration::ZERO,
            ais_page_cap: 1000,
            ais_max_concurrent: 4,
            j1p_rate_limit: None,
            j1p_page_size: 100,
            invoice_on_po_probability: 0.0,
            timezone: "America/Chicago".into(),
        },
        ConnectorKnobs {
            jde_timezone: "America/Chicago".into(),
            page_size: 1000,
            jde_max_in_flight: 4,
            // The highest value the connector's config accepts: the simulator has no limit,
            // so the connector's own pacing is the only one.
            jaggaer_rate_limit: 1000,
        },
    )
}

/// One measured stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageResult {
    /// Stage name.
    pub stage: String,
    /// `--entity` arguments (empty: all).
    pub entities_arg: Vec<String>,
    /// The connector's `sync --json` counts.
    pub summary: BTreeMap<String, EntityCounts>,
    /// Records the connector wrote (created + updated, from its summary).
    pub connector_writes: u64,
    /// Wall time of the child process, spawn to exit (includes process start and store open).
    pub wall_secs: f64,
    /// From the first request either simulator received to the end of the last one.
    pub request_span_secs: Option<f64>,
    /// The connector's own `duration_ms`.
    pub connector_duration_ms: Option<u64>,
    /// User + system CPU seconds of the connector process.
    pub cpu_secs: f64,
    /// User CPU seconds.
    pub user_cpu_secs: f64,
    /// System CPU seconds.
    pub sys_cpu_secs: f64,
    /// Peak resident set size of the connector process, MiB.
    pub peak_rss_mib: f64,
    /// Records read (sum of `read` over entities).
    pub records: u64,
    /// Records ÷ wall time.
    pub records_per_sec: f64,
    /// CPU µs per record read.
    pub cpu_us_per_record: Option<f64>,
    /// PO lines in JDE (F4311 rows), for large runs' per-line figures.
    pub po_lines: u64,
    /// What AIS saw.
    pub jde: SystemStats,
    /// What J1P saw.
    pub jaggaer: SystemStats,
    /// Minimum requests and time of benchmark.md.
    pub lower_bound: LowerBound,
    /// J1P requests ÷ the connector's configured rate limit (its own pacing), seconds.
    pub connector_pacing_secs: f64,
    /// wall ÷ lower bound (none when the bound is 0).
    pub wall_over_bound: Option<f64>,
}

/// The stages of one medium run.
#[derive(Debug, Clone, Serialize)]
pub struct MediumRun {
    /// backfill stage 1, backfill stage 2, incremental, idle poll.
    pub stages: Vec<StageResult>,
}

/// Medians over the runs of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageMedian {
    /// Stage name.
    pub stage: String,
    /// Runs.
    pub runs: usize,
    /// Median wall seconds (child process).
    pub wall_secs: f64,
    /// Wall seconds of every run.
    pub wall_secs_all: Vec<f64>,
    /// Median request span.
    pub request_span_secs: Option<f64>,
    /// Median CPU seconds.
    pub cpu_secs: f64,
    /// Largest peak RSS over the runs.
    pub peak_rss_mib: f64,
    /// Median records/s.
    pub records_per_sec: f64,
    /// Median AIS requests.
    pub ais_requests: f64,
    /// Median J1P requests.
    pub j1p_requests: f64,
    /// 429s over all runs.
    pub j1p_429_total: u64,
    /// 503s over all runs.
    pub ais_503_total: u64,
    /// Lower bound (of the first run; the inputs are the same every run).
    pub lower_bound_secs: f64,
    /// Median wall ÷ lower bound.
    pub wall_over_bound: Option<f64>,
}

/// Medians per stage over several medium runs (stage order kept).
pub fn medians(runs: &[MediumRun]) -> Vec<StageMedian> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    first
        .stages
        .iter()
        .enumerate()
        .map(|(i, s0)| {
            let st: Vec<&StageResult> = runs.iter().filter_map(|r| r.stages.get(i)).collect();
            let f = |g: &dyn Fn(&StageResult) -> f64| {
                median(&st.iter().map(|s| g(s)).collect::<Vec<_>>())
            };
            let wall = f(&|s| s.wall_secs).unwrap_or(0.0);
            let bound = s0.lower_bound.bound_secs;
            StageMedian {
                stage: s0.stage.clone(),
                runs: st.len(),
                wall_secs: wall,
                wall_secs_all: st.iter().map(|s| s.wall_secs).collect(),
                request_span_secs: f(&|s| s.request_span_secs.unwrap_or(f64::NAN)),
                cpu_secs: f(&|s| s.cpu_secs).unwrap_or(0.0),
                peak_rss_mib: st.iter().map(|s| s.peak_rss_mib).fold(0.0, f64::max),
                records_per_sec: f(&|s| s.records_per_sec).unwrap_or(0.0),
                ais_requests: f(&|s| s.jde.requests as f64).unwrap_or(0.0),
                j1p_requests: f(&|s| s.jaggaer.requests as f64).unwrap_or(0.0),
                j1p_429_total: st.iter().map(|s| s.jaggaer.status_429).sum(),
                ais_503_total: st.iter().map(|s| s.jde.status_503).sum(),
                lower_bound_secs: bound,
                wall_over_bound: (bound > 0.0).then(|| wall / bound),
            }
        })
        .collect()
}

/// Turns a finished sync child plus the simulators' logs into a stage result.
fn stage_result(
    stage: &str,
    entities: &[&str],
    run: &SyncRun,
    sims: &Sims,
    connector: &ConnectorKnobs,
) -> StageResult {
    let jde = sims.jde_stats();
    let jaggaer = sims.jaggaer_stats();
    let summary = run.summary.entities();
    let k = sims.knobs();
    let get = |e: &str| summary.get(e).cloned().unwrap_or_default();
    let (sup, acc, po, inv) = (
        get("suppliers"),
        get("accounts"),
        get("purchase-orders"),
        get("invoices"),
    );

    // Rows needed per AIS table: what the connector read, but never more than the table holds
    // (a connector that re-reads rows must not raise its own bound).
    let ais_rows: BTreeMap<String, u64> = jde
        .rows_by_table
        .iter()
        .map(|(t, &n)| (t.clone(), n.min(sims.jde_rows(t))))
        .collect();
    let inputs = BoundInputs {
        ais_rows,
        page_cap: k.ais_page_cap as u64,
        vouchers: inv.created,
        j1p_record_writes: sup.writes() + po.writes(),
        // Account and CostCenter value lists, one batched POST each when anything changed.
        j1p_batch_writes: if acc.writes() > 0 { 2 } else { 0 },
        invoices_read: inv.read,
        j1p_page_size: k.j1p_page_size as u64,
        lists_invoices: entities.is_empty() || entities.contains(&"invoices"),
        latency: k.latency,
        ais_concurrency: (connector.jde_max_in_flight as u64).min(k.ais_max_concurrent as u64),
        j1p_rate_limit: k.j1p_rate_limit.map(u64::from),
        j1p_concurrency: 8,
    };
    let lower_bound = LowerBound::compute(&inputs);
    let first = [jde.first_at, jaggaer.first_at].into_iter().flatten().min();
    let last = [jde.last_end, jaggaer.last_end].into_iter().flatten().max();
    let request_span_secs = match (first, last) {
        (Some(a), Some(b)) => Some(b.duration_since(a).as_secs_f64()),
        _ => None,
    };
    let records: u64 = summary.values().map(|c| c.read).sum();
    let wall = run.child.wall.as_secs_f64();
    let cpu = run.child.cpu_secs();
    StageResult {
        stage: stage.to_owned(),
        entities_arg: entities.iter().map(|s| (*s).to_owned()).collect(),
        connector_writes: summary.values().map(EntityCounts::writes).sum(),
        summary,
        wall_secs: wall,
        request_span_secs,
        connector_duration_ms: run.summary.tenants.first().and_then(|t| t.duration_ms),
        cpu_secs: cpu,
        user_cpu_secs: run.child.user_cpu.as_secs_f64(),
        sys_cpu_secs: run.child.sys_cpu.as_secs_f64(),
        peak_rss_mib: run.child.max_rss_kib as f64 / 1024.0,
        records,
        records_per_sec: if wall > 0.0 {
            records as f64 / wall
        } else {
            0.0
        },
        cpu_us_per_record: (records > 0).then(|| cpu * 1e6 / records as f64),
        po_lines: sims.jde_rows("F4311"),
        connector_pacing_secs: lower_bound.j1p_min_requests as f64
            / connector.jaggaer_rate_limit.max(1) as f64,
        wall_over_bound: (lower_bound.bound_secs > 0.0).then(|| wall / lower_bound.bound_secs),
        lower_bound,
        jde,
        jaggaer,
    }
}

fn log_stage(s: &StageResult) {
    eprintln!(
        "  {:<34} wall {:>7.2}s  cpu {:>6.2}s  rss {:>6.1} MiB  AIS {:>6} req ({} 503)  J1P {:>6} req ({} 429)  bound {:>6.2}s",
        s.stage,
        s.wall_secs,
        s.cpu_secs,
        s.peak_rss_mib,
        s.jde.requests,
        s.jde.status_503,
        s.jaggaer.requests,
        s.jaggaer.status_429,
        s.lower_bound.bound_secs
    );
}

/// Runs one stage: clears the logs, runs `sync`, collects.
fn stage(
    name: &str,
    entities: &[&str],
    ws: &Workspace,
    sims: &Sims,
    connector: &ConnectorKnobs,
) -> anyhow::Result<StageResult> {
    sims.clear_logs();
    let run = ws.sync(entities).with_context(|| format!("stage {name}"))?;
    let r = stage_result(name, entities, &run, sims, connector);
    log_stage(&r);
    Ok(r)
}

/// Runs a blocking closure (a child process) without stalling the simulators' runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("benchmark worker thread panicked")
}

/// One medium run: backfill in two stages, the incremental cycle, the idle poll.
pub async fn medium_run(opts: &Options, plan: &MediumPlan) -> anyhow::Result<MediumRun> {
    let sims = std::sync::Arc::new(Sims::start(&plan.sims).await?);
    let ws = std::sync::Arc::new({
        let (bin, ck, jde, jag, t) = (
            opts.connector.clone(),
            plan.connector.clone(),
            sims.jde.base_url(),
            sims.jaggaer.base_url(),
            opts.child_timeout,
        );
        blocking(move || Workspace::create(&bin, &ck, &jde, &jag, t)).await??
    });
    let mut stages = Vec::new();
    let run_stage = |name: &'static str, entities: &'static [&'static str]| {
        let (ws, sims, ck) = (ws.clone(), sims.clone(), plan.connector.clone());
        blocking(move || stage(name, entities, &ws, &sims, &ck))
    };

    stages.push(
        run_stage(
            "backfill-medium 1: master data + POs",
            &["suppliers", "accounts", "purchase-orders"],
        )
        .await??,
    );
    let made = sims.prepare_invoices(plan.invoices)?;
    eprintln!("  (JAGGAER holds {made} invoices, all payable)");
    stages.push(run_stage("backfill-medium 2: invoices", &["invoices"]).await??);
    // The customer's scheduled R04110ZA runs between cycles.
    sims.process_vouchers();

    let changed = sims.change_pos(plan.incremental_pos)?;
    let new_invoices = sims.add_invoices(plan.incremental_invoices)?;
    eprintln!("  ({changed} POs changed in JDE, {new_invoices} new invoices in JAGGAER)");
    stages.push(run_stage("incremental: 1% POs + new invoices", &[]).await??);
    sims.process_vouchers();
    // One unreported cycle reads back the vouchers just processed, so the next poll is idle.
    {
        let ws = ws.clone();
        blocking(move || ws.sync(&[])).await??;
    }
    stages.push(run_stage("idle poll (no changes)", &[]).await??);
    Ok(MediumRun { stages })
}

/// One large backfill of `pos` purchase orders.
pub async fn large_run(opts: &Options, pos: usize) -> anyhow::Result<(SimKnobs, StageResult)> {
    let (sk, ck) = large_plan(pos, opts.seed);
    let sims = std::sync::Arc::new(Sims::start(&sk).await?);
    let ws = {
        let (bin, ck, jde, jag, t) = (
            opts.connector.clone(),
            ck.clone(),
            sims.jde.base_url(),
            sims.jaggaer.base_url(),
            opts.child_timeout,
        );
        std::sync::Arc::new(blocking(move || Workspace::create(&bin, &ck, &jde, &jag, t)).await??)
    };
    let name = format!("backfill-large {pos} POs");
    let r = {
        let (ws, sims2, ck) = (ws.clone(), sims.clone(), ck.clone());
        blocking(move || {
            stage(
                &name,
                &["suppliers", "accounts", "purchase-orders"],
                &ws,
                &sims2,
                &ck,
            )
        })
        .await??
    };
    Ok((sk, r))
}

/// Everything one invocation measured.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// When the benchmark started (UTC).
    pub started_at: String,
    /// Total duration of the benchmark.
    pub total_secs: f64,
    /// Machine facts.
    pub machine: Machine,
    /// The options used.
    pub options: Options,
    /// Medium plan (knobs) when run.
    pub medium_plan: Option<MediumPlan>,
    /// Every medium run, every stage.
    pub medium_runs: Vec<MediumRun>,
    /// Medians per stage.
    pub medium_medians: Vec<StageMedian>,
    /// Large backfills: knobs and result per size.
    pub large: Vec<LargeResult>,
}

/// One large backfill with its knobs.
#[derive(Debug, Clone, Serialize)]
pub struct LargeResult {
    /// Simulator knobs.
    pub sims: SimKnobs,
    /// Connector knobs.
    pub connector: ConnectorKnobs,
    /// The stage.
    pub result: StageResult,
}

/// The machine the figures come from.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs available.
    pub cores: usize,
    /// `uname -srm` style description, when available.
    pub os: String,
    /// CPU model name from /proc/cpuinfo, when available.
    pub cpu: Option<String>,
}

impl Machine {
    /// Reads the facts of this machine.
    pub fn detect() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        });
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: format!(
                "{} {} {}",
                std::env::consts::OS,
                kernel.trim(),
                std::env::consts::ARCH
            ),
            cpu,
        }
    }
}

/// Runs everything `opts` asks for.
pub async fn run_all(opts: &Options) -> anyhow::Result<Results> {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now().to_string();
    let mut results = Results {
        started_at,
        total_secs: 0.0,
        machine: Machine::detect(),
        options: opts.clone(),
        medium_plan: None,
        medium_runs: Vec::new(),
        medium_medians: Vec::new(),
        large: Vec::new(),
    };
    if opts.kinds.contains(&RunKind::Medium) {
        let plan = MediumPlan::new(opts.quick, opts.seed);
        for i in 0..opts.runs.max(1) {
            eprintln!(
                "medium run {}/{} ({} suppliers, {} POs, {} invoices, latency {:?})",
                i + 1,
                opts.runs.max(1),
                plan.sims.suppliers,
                plan.sims.pos,
                plan.invoices,
                plan.sims.latency
            );
            results.medium_runs.push(medium_run(opts, &plan).await?);
        }
        results.medium_medians = medians(&results.medium_runs);
        results.medium_plan = Some(plan);
    }
    if opts.kinds.contains(&RunKind::Large) {
        for &n in &opts.large_sizes {
            eprintln!("large backfill: {n} POs, latency 0, no J1P rate limit");
            let (sims, result) = large_run(opts, n).await?;
            let (_, connector) = large_plan(n, opts.seed);
            results.large.push(LargeResult {
                sims,
                connector,
                result,
            });
        }
    }
    results.total_secs = started.elapsed().as_secs_f64();
    Ok(results)
}
