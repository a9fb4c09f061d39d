//! Not a test of behaviour: prints the connector's peak RSS for an invoice backfill
//! (`cargo test --test e2e probe -- --ignored --nocapture`).
use mlc_sim::jaggaer::JaggaerSimConfig;

use crate::harness::{Env, Sims, jde_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement aid, not a test"]
async fn probe_invoice_backfill_memory() {
    let mut jag = JaggaerSimConfig::default();
    jag.knobs.invoice_on_po = 0.0;
    let pos: usize = std::env::var("PROBE_POS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let sims = Sims::start(jde_config(200, pos), jag).await;
    let env = Env::new(&sims).await;
    let bin =
        std::env::var("PROBE_BIN").unwrap_or_else(|_| crate::harness::bin().display().to_string());
    for entity in ["suppliers", "accounts", "purchase-orders"] {
        let out = std::process::Command::new("/usr/bin/time")
            .arg("-v")
            .arg(&bin)
            .args(["sync", "--entity", entity, "--json"])
            .current_dir(env.dir.path())
            .env_clear()
            .env("ML_CONNECTOR_MASTER_KEY", crate::harness::KEY)
            .env("ML_CONNECTOR_CONFIG", env.path("ml-connector.toml"))
            .env("RUST_LOG", "warn")
            .env("ML_CONNECTOR__TENANTS__0__JAGGAER__RATE_LIMIT", "1000")
            .env("ML_CONNECTOR__TENANTS__0__JDE__PAGE_SIZE", "1000")
            .env("ML_CONNECTOR__TENANTS__0__JDE__MAX_IN_FLIGHT", "4")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        for l in err.lines().filter(|l| {
            l.contains("Maximum resident") || l.contains("Elapsed") || l.contains("rror")
        }) {
            println!("{entity} pos={pos} {l}");
        }
    }
    let n: usize = std::env::var("PROBE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    sims.jag.generate_invoices(n);
    sims.jag.approve_pending();
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-v")
        .arg(&bin)
        .args(["sync", "--entity", "invoices", "--json"])
        .current_dir(env.dir.path())
        .env_clear()
        .env("ML_CONNECTOR_MASTER_KEY", crate::harness::KEY)
        .env("ML_CONNECTOR_CONFIG", env.path("ml-connector.toml"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    for l in err
        .lines()
        .filter(|l| l.contains("Maximum resident") || l.contains("Elapsed"))
    {
        println!("n={n} {l}");
    }
    println!(
        "{}",
        String::from_utf8_lossy(&out.stdout)
            .chars()
            .take(400)
            .collect::<String>()
    );
}
