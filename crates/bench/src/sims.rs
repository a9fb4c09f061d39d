//! The two simulators, started inside the benchmark process with the knobs of a run, and their
//! request logs turned into [`SystemStats`].

use std::time::Duration;

use anyhow::Context;
use mlc_sim::jaggaer::{JaggaerKnobs, JaggaerSim, JaggaerSimConfig};
use mlc_sim::jde::{AutoProcess, JdeKnobs, JdeSim, JdeSimConfig, SimSize};
use serde::Serialize;

use crate::stats::{Req, SystemStats};

/// Simulator settings of one run (all go into the result file).
#[derive(Debug, Clone, Serialize)]
pub struct SimKnobs {
    /// Seed of both generators.
    pub seed: u64,
    /// Suppliers generated in JDE.
    pub suppliers: usize,
    /// Purchase orders generated in JDE (1–20 lines each).
    pub pos: usize,
    /// Latency added to every request of both simulators.
    #[serde(serialize_with = "ser_ms")]
    pub latency: Duration,
    /// AIS rows per page ceiling.
    pub ais_page_cap: usize,
    /// AIS requests in flight above which the simulator answers 503.
    pub ais_max_concurrent: usize,
    /// J1P requests/s above which the simulator answers 429; `None` for no limit.
    pub j1p_rate_limit: Option<u32>,
    /// J1P list page size.
    pub j1p_page_size: usize,
    /// Probability that a PO received by JAGGAER gets an invoice.
    pub invoice_on_po_probability: f64,
    /// JDE server time zone (the connector's `jde_timezone` is set to the same).
    pub timezone: String,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// Both simulators of a run.
#[derive(Debug)]
pub struct Sims {
    /// JD Edwards AIS.
    pub jde: JdeSim,
    /// JAGGAER J1P.
    pub jaggaer: JaggaerSim,
    knobs: SimKnobs,
}

impl Sims {
    /// Generates the data and starts both servers on loopback.
    pub async fn start(k: &SimKnobs) -> anyhow::Result<Sims> {
        // Generated rows are stamped up to the simulator's "now". The connector reads JDE only up
        // to `safety_lag` (2 minutes) before now, so generation happens at a clock frozen five
        // minutes back; afterwards the clock runs freely again.
        let tz = jiff::tz::TimeZone::get(&k.timezone)
            .with_context(|| format!("unknown time zone {}", k.timezone))?;
        let frozen = jiff::Timestamp::now()
            .to_zoned(tz)
            .datetime()
            .checked_sub(jiff::SignedDuration::from_mins(5))
            .context("clock arithmetic")?;
        let knobs = JdeKnobs {
            timezone: k.timezone.clone(),
            frozen_now: Some(frozen),
            latency: k.latency,
            page_cap: Some(k.ais_page_cap),
            max_concurrent: k.ais_max_concurrent,
            auto_process: AutoProcess::Off,
            // Every request of a stage is kept: the per-table counts come from this log.
            log_capacity: 5_000_000,
            ..JdeKnobs::default()
        };
        let jde = JdeSim::start(JdeSimConfig {
            seed: k.seed,
            size: SimSize::Custom {
                suppliers: k.suppliers,
                pos: k.pos,
            },
            knobs,
            ..JdeSimConfig::default()
        })
        .await
        .context("starting the JDE simulator")?;
        jde.set_knobs(|kn| kn.frozen_now = None);
        let jaggaer = JaggaerSim::start(jaggaer_config(k))
            .await
            .context("starting the JAGGAER simulator")?;
        Ok(Sims {
            jde,
            jaggaer,
            knobs: k.clone(),
        })
    }

    /// The knobs the simulators were started with.
    pub fn knobs(&self) -> &SimKnobs {
        &self.knobs
    }

    /// Forgets the request logs (between stages).
    pub fn clear_logs(&self) {
        self.jde.clear_requests();
        self.jaggaer.clear_requests();
    }

    /// What AIS saw since the last [`Sims::clear_logs`].
    pub fn jde_log(&self) -> Vec<Req> {
        self.jde
            .requests()
            .into_iter()
            .map(|r| {
                let path = r
                    .path
                    .strip_prefix("/jderest/")
                    .unwrap_or(&r.path)
                    .to_owned();
                let write = path.contains("orchestrator");
                // Data service calls are labelled by table; orchestrations already carry their
                // name in the path.
                let (endpoint, table) = match (&r.target, path.contains("dataservice")) {
                    (Some(t), true) => (format!("{path} {t}"), Some(t.clone())),
                    _ => (path, None),
                };
                Req {
                    endpoint,
                    status: r.status,
                    rows: r.rows.map(|n| n as u64),
                    table,
                    write,
                    at: r.at,
                    duration: r.duration,
                }
            })
            .collect()
    }

    /// AIS stats since the last clear.
    pub fn jde_stats(&self) -> SystemStats {
        SystemStats::from_log(&self.jde_log())
    }

    /// What J1P saw since the last [`Sims::clear_logs`].
    pub fn jaggaer_log(&self) -> Vec<Req> {
        self.jaggaer
            .requests()
            .into_iter()
            .map(|r| {
                // Endpoint names are the simulator's: `suppliers.upsert`, `cxml.order`, ...
                let write = r.endpoint.ends_with(".upsert") || r.endpoint == "cxml.order";
                Req {
                    endpoint: r.endpoint,
                    status: r.status,
                    rows: None,
                    table: None,
                    write,
                    at: r.at,
                    duration: r.duration,
                }
            })
            .collect()
    }

    /// J1P stats since the last clear.
    pub fn jaggaer_stats(&self) -> SystemStats {
        SystemStats::from_log(&self.jaggaer_log())
    }

    /// Tops JAGGAER up to `total` invoices (those generated from received POs count) and makes
    /// every pending one payable, so the invoice stage posts them all. Returns the count.
    pub fn prepare_invoices(&self, total: usize) -> anyhow::Result<usize> {
        let have = self.jaggaer.counts().invoices;
        if have < total {
            self.jaggaer.generate_invoices(total - have);
        }
        self.jaggaer.approve_pending();
        Ok(self.jaggaer.counts().invoices)
    }

    /// Adds `n` new payable invoices; returns how many were made.
    pub fn add_invoices(&self, n: usize) -> anyhow::Result<usize> {
        let made = self.jaggaer.generate_invoices(n).len();
        self.jaggaer.approve_pending();
        Ok(made)
    }

    /// Rows of a JDE table now.
    pub fn jde_rows(&self, table: &str) -> u64 {
        self.jde.row_count(table) as u64
    }

    /// JDE's batch voucher processor (R04110ZA), as the customer's scheduled job would run it
    /// between sync cycles.
    pub fn process_vouchers(&self) {
        self.jde.process_vouchers();
    }

    /// Changes `n` POs in JDE, stamped three minutes in the past so they fall inside the
    /// connector's window at once (it stops `safety_lag` = 2 minutes before now).
    pub fn change_pos(&self, n: usize) -> anyhow::Result<usize> {
        let tz = jiff::tz::TimeZone::get(&self.knobs.timezone)?;
        let back = jiff::Timestamp::now()
            .to_zoned(tz)
            .datetime()
            .checked_sub(jiff::SignedDuration::from_mins(3))?;
        self.jde.set_knobs(|k| k.frozen_now = Some(back));
        let changed = self.jde.change_pos(n).len();
        self.jde.set_knobs(|k| k.frozen_now = None);
        Ok(changed)
    }
}

/// JAGGAER simulator configuration from the run's knobs.
fn jaggaer_config(k: &SimKnobs) -> JaggaerSimConfig {
    JaggaerSimConfig {
        seed: k.seed,
        knobs: JaggaerKnobs {
            latency: k.latency,
            page_size: k.j1p_page_size,
            rate_limit: k.j1p_rate_limit,
            invoice_on_po: k.invoice_on_po_probability,
            log_capacity: 5_000_000,
            ..JaggaerKnobs::default()
        },
        ..JaggaerSimConfig::default()
    }
}
