//! Fuzz target of the config loader (issue 16, "Proof at scale"). It lives inside the binary
//! crate because the loader is private to it. Seeds: the `init` template and smaller configs,
//! each with a trailer of environment overrides (after [`ENV_MARK`], one `NAME=value` a line),
//! mutated (numbers huge or odd, strings odd, tables repeated and nested, bytes flipped, invalid
//! UTF-8) or raw bytes; the text and the overrides go through [`super::load_str`]. Property: no
//! panic, no hang, and every refusal names the file or the environment variable it is about.
//! See docs/reliability.md for the long run.
use std::path::Path;

use super::{ENV_PREFIX, load_str};

/// Separates the file's text from the environment overrides in a fuzz input.
const ENV_MARK: &str = "\n#--env--\n";

const SMALL: &str = r#"
[store]
url = "sqlite://x.db"

[server]
listen = "127.0.0.1:8480"
max_connections = 64
header_timeout = "10s"
trusted_proxies = ["127.0.0.1", "10.0.0.7"]

[alerts]
no_success_after = "6h"
quarantine_threshold = 10

[[tenants]]
id = "acme-eu"
schedule = "*/5 * * * *"
jde_timezone = "Europe/Berlin"

[tenants.jde]
page_size = 200
po_order_types = ["OP", "OS"]
timeout = "30s"

[tenants.jaggaer]
transport = "xml"
poll_invoices = true
rate_limit = 10

[tenants.sync]
cycle_deadline = "5m"
lookback = "2h"

[tenants.mapping]
tax_account = "100.2310"
charge_accounts = { freight = "100.6210", handling = "100.6210", misc = "100.6290", discount = "100.6295" }

[tenants.mapping.companies."00200"]
tax_account = "200.2310"
charge_accounts = { freight = "200.6210", handling = "200.6210", misc = "200.6290", discount = "200.6295" }
"#;

fn seeds() -> Vec<Vec<u8>> {
    let env = "ML_CONNECTOR__TENANTS__ACME__POLL_INTERVAL=1m\n\
               ML_CONNECTOR__TENANTS__0__JDE__PAGE_SIZE=300\n\
               ML_CONNECTOR__STORE__URL=sqlite://y.db\n\
               ML_CONNECTOR__SERVER__MAX_CONNECTIONS=8\n";
    let template = crate::commands::init::TEMPLATE;
    vec![
        template.as_bytes().to_vec(),
        format!("{template}{ENV_MARK}{env}").into_bytes(),
        SMALL.as_bytes().to_vec(),
        format!("{SMALL}{ENV_MARK}ML_CONNECTOR__TENANTS__ACME_EU__SYNC__LOOKBACK=3h\n")
            .into_bytes(),
    ]
}

/// Splits a fuzz input into the file's text and the overrides (every name gets the prefix,
/// as `load` only passes variables that have it).
fn split(bytes: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(bytes);
    let (file, env) = text.split_once(ENV_MARK).unwrap_or((&text, ""));
    let env = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let k = if k.starts_with(ENV_PREFIX) {
                k.to_owned()
            } else {
                format!("{ENV_PREFIX}{k}")
            };
            (k, v.to_owned())
        })
        .collect();
    (file.to_owned(), env)
}

#[test]
fn fuzz_config_loader() {
    let seeds = seeds();
    for s in &seeds {
        let (text, env) = split(s);
        load_str(&text, Path::new("ml-connector.toml"), &env)
            .unwrap_or_else(|e| panic!("a seed must load: {e}"));
    }
    mlc_fuzz::run("config", &seeds, |bytes| {
        // `load` reads the file as UTF-8 text and refuses anything else with the file's name;
        // the reader proper only ever sees text.
        let (text, env) = split(bytes);
        match load_str(&text, Path::new("ml-connector.toml"), &env) {
            Ok(_) => Ok(true),
            Err(e)
                if e.0.contains("ml-connector.toml")
                    || e.0.contains("environment variable")
                    || e.0.contains("environment overrides") =>
            {
                Ok(false)
            }
            Err(e) => Err(format!("the error names neither file nor variable: {e}")),
        }
    });
}
