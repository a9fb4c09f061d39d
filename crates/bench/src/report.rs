//! The Markdown rendering of [`Results`] (bench-results/latest.md); the JSON file is the
//! serialised [`Results`] itself.

use std::fmt::Write;

use crate::bench::{Results, StageResult};

fn opt(x: Option<f64>, prec: usize) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{v:.prec$}"))
}

/// Renders the tables.
pub fn markdown(r: &Results) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# ml-connector benchmark results\n");
    let _ = writeln!(
        s,
        "Started {} · total {:.0} s · {} cores ({}) · {}{}\n",
        r.started_at,
        r.total_secs,
        r.machine.cores,
        r.machine.cpu.as_deref().unwrap_or("unknown CPU"),
        r.machine.os,
        if r.options.quick {
            " · **--quick (tiny sizes, not representative)**"
        } else {
            ""
        }
    );
    let _ = writeln!(
        s,
        "Wall = the connector child process from spawn to exit (includes process start, store \
         open and vault decryption); span = first request received by either simulator to the \
         end of the last one. Lower bound per docs/performance.md. CPU (wait4) and peak RSS \
         (the connector's own VmHWM) are the connector process's own.\n"
    );

    if let Some(plan) = &r.medium_plan {
        let k = &plan.sims;
        let _ = writeln!(
            s,
            "## Medium backfill and incremental (median of {} run(s))\n\n{} suppliers, {} POs \
             (1–20 lines), {} invoices; latency {} ms on every request; AIS page cap {}, {} in \
             flight (5th → 503); J1P limit {} req/s (429 + Retry-After above it); connector \
             page_size {}, max_in_flight {}, rate_limit {}.\n",
            r.medium_runs.len(),
            k.suppliers,
            k.pos,
            plan.invoices,
            k.latency.as_millis(),
            k.ais_page_cap,
            k.ais_max_concurrent,
            k.j1p_rate_limit.map_or("none".into(), |x| x.to_string()),
            plan.connector.page_size,
            plan.connector.jde_max_in_flight,
            plan.connector.jaggaer_rate_limit,
        );
        let _ = writeln!(
            s,
            "| stage | wall s (runs) | span s | records/s | CPU s | peak RSS MiB | AIS req | J1P req | 429 | 503 | lower bound s | wall/bound |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|");
        for m in &r.medium_medians {
            let all: Vec<String> = m.wall_secs_all.iter().map(|w| format!("{w:.1}")).collect();
            let _ = writeln!(
                s,
                "| {} | **{:.2}** ({}) | {} | {:.0} | {:.2} | {:.1} | {:.0} | {:.0} | {} | {} | {:.2} | {} |",
                m.stage,
                m.wall_secs,
                all.join(", "),
                opt(m.request_span_secs, 2),
                m.records_per_sec,
                m.cpu_secs,
                m.peak_rss_mib,
                m.ais_requests,
                m.j1p_requests,
                m.j1p_429_total,
                m.ais_503_total,
                m.lower_bound_secs,
                opt(m.wall_over_bound, 2),
            );
        }
        if let Some(first) = r.medium_runs.first() {
            let _ = writeln!(s, "\n### Counts and requests per endpoint (run 1)\n");
            for st in &first.stages {
                stage_detail(&mut s, st);
            }
        }
    }

    if !r.large.is_empty() {
        let _ = writeln!(
            s,
            "## Large backfill (CPU and memory)\n\nLatency 0, no J1P rate limit in the simulator \
             (the connector paces itself at its configured rate_limit, 1,000 req/s, the \
             highest its config accepts); suppliers, accounts, purchase orders.\n"
        );
        let _ = writeln!(
            s,
            "| POs | PO lines | wall s | CPU s | CPU µs/record | CPU µs/PO line | peak RSS MiB | AIS req | J1P req | connector pacing s |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
        for l in &r.large {
            let x = &l.result;
            let _ = writeln!(
                s,
                "| {} | {} | {:.2} | {:.2} | {} | {} | {:.1} | {} | {} | {:.1} |",
                l.sims.pos,
                x.po_lines,
                x.wall_secs,
                x.cpu_secs,
                opt(x.cpu_us_per_record, 0),
                opt(
                    (x.po_lines > 0).then(|| x.cpu_secs * 1e6 / x.po_lines as f64),
                    1
                ),
                x.peak_rss_mib,
                x.jde.requests,
                x.jaggaer.requests,
                x.connector_pacing_secs,
            );
        }
        let _ = writeln!(s);
    }
    s
}

fn stage_detail(s: &mut String, st: &StageResult) {
    let _ = writeln!(
        s,
        "**{}** — connector writes: {}",
        st.stage, st.connector_writes
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| entity | read | created | updated | unchanged | quarantined | waiting |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for (e, c) in &st.summary {
        let _ = writeln!(
            s,
            "| {e} | {} | {} | {} | {} | {} | {} |",
            c.read, c.created, c.updated, c.unchanged, c.quarantined, c.waiting
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "| system | endpoint | requests | errors | rows |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for (sys, stats) in [("AIS", &st.jde), ("J1P", &st.jaggaer)] {
        for (ep, c) in &stats.endpoints {
            let _ = writeln!(
                s,
                "| {sys} | `{ep}` | {} | {} | {} |",
                c.requests, c.errors, c.rows
            );
        }
    }
    let _ = writeln!(
        s,
        "\nMinimum requests: AIS {}, J1P {} → bound {:.2} s (AIS {:.2} s, J1P {:.2} s). Writes seen by the simulators: AIS {}, J1P {}.\n",
        st.lower_bound.ais_min_requests,
        st.lower_bound.j1p_min_requests,
        st.lower_bound.bound_secs,
        st.lower_bound.ais_secs,
        st.lower_bound.j1p_secs,
        st.jde.writes,
        st.jaggaer.writes,
    );
}
