//! `sim`: both simulators standalone, for trying the connector (or other tools) against them.
//!
//! Prints the addresses and the two `credentials set` objects that reach them, then keeps the
//! simulated businesses alive: every `ACTIVITY` new and changed POs appear in JDE, suppliers
//! issue invoices in JAGGAER, pending invoices get approved, and JDE's voucher batch processor
//! (R04110ZA) runs over the Z rows the connector wrote. Stops on Ctrl-C / SIGTERM.
use std::time::Duration;

use crate::cli::{GlobalArgs, SimArgs};
use crate::error::AppResult;
use crate::plumbing::block_on;
use crate::simulators::{self, FaultProfile, Sims};

/// How often the simulated businesses do something.
pub(crate) const ACTIVITY: Duration = Duration::from_secs(30);

pub(crate) fn run(_global: &GlobalArgs, args: &SimArgs) -> AppResult {
    let faults = FaultProfile::parse(&args.faults)?;
    let jde_addr = simulators::parse_addr("--jde-addr", &args.jde_addr)?;
    let jaggaer_addr = simulators::parse_addr("--jaggaer-addr", &args.jaggaer_addr)?;
    block_on(async move {
        let sims = simulators::start(
            args.seed,
            args.size,
            faults,
            Some(jde_addr),
            Some(jaggaer_addr),
        )
        .await?;
        println!("{}", banner(&sims, &args.faults));
        let mut tick = tokio::time::interval(ACTIVITY);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => activity(&sims),
                _ = shutdown_signal() => break,
            }
        }
        println!("Simulators stopped.");
        sims.jde.shutdown().await;
        AppResult::Ok(())
    })?
}

fn banner(sims: &Sims, faults: &str) -> String {
    let jde = serde_json::to_string(&sims.jde_credentials()).unwrap_or_default();
    let jag = serde_json::to_string(&sims.jaggaer_credentials()).unwrap_or_default();
    format!(
        "JDE AIS simulator:  {jde_url}  (user JDEUSER / JDEPASS, time zone America/Chicago)\n\
         JAGGAER simulator:  {jag_url}  (OAuth client mlc-client / mlc-secret)\n\
         cXML order inbox:   {cxml}\n\
         Fault profile:      {faults}\n\
         \n\
         Point a tenant at them (see `ml-connector init` for the config file):\n\
         \n  echo '{jde}' | ml-connector credentials set acme jde --stdin\
         \n  echo '{jag}' | ml-connector credentials set acme jaggaer --stdin\n\
         \n\
         Every {secs} s new and changed POs appear in JDE, invoices appear in JAGGAER and JDE's\n\
         voucher processor runs. Ctrl-C stops.",
        jde_url = sims.jde.base_url(),
        jag_url = sims.jaggaer.base_url(),
        cxml = sims.jaggaer.cxml_url(),
        secs = ACTIVITY.as_secs(),
    )
}

/// One round of simulated business.
pub(crate) fn activity(sims: &Sims) {
    let added = sims.jde.add_pos(2).len();
    let changed = sims.jde.change_pos(2).len();
    let received = sims.jde.receive_lines(1).len();
    let invoices = sims.jaggaer.generate_invoices(3).len();
    let approved = sims.jaggaer.approve_pending().len();
    let processed = sims.jde.process_vouchers();
    tracing::info!(
        added,
        changed,
        received,
        invoices,
        approved,
        vouchers_posted = processed.created.len(),
        vouchers_rejected = processed.rejected.len(),
        "Simulated activity."
    );
}

pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
