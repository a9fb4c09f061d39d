//! Starting the two simulators for `demo` and `sim`, with the data size and fault profile the
//! user picked, and the credential sets that reach them.
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use mlc_sim::jaggaer::{JaggaerFaults, JaggaerSim, JaggaerSimConfig};
use mlc_sim::jde::{Faults, JdeSim, JdeSimConfig, SimSize};
use serde_json::json;

use crate::cli::DemoSize;
use crate::error::{AppError, AppResult};

/// Fault profiles of `sim --faults`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultProfile {
    /// Everything answers.
    None,
    /// Some 5xx, dropped connections and slow answers on both sides.
    Flaky,
    /// Short-lived JDE tokens (HTTP 444 storms) and a tight JAGGAER rate limit (429s).
    Storm,
}

impl FaultProfile {
    pub(crate) fn parse(raw: &str) -> AppResult<Self> {
        match raw {
            "none" => Ok(Self::None),
            "flaky" => Ok(Self::Flaky),
            "storm" => Ok(Self::Storm),
            other => Err(AppError::usage(anyhow!(
                "unknown fault profile {other:?}; expected none, flaky or storm"
            ))),
        }
    }
}

pub(crate) fn sim_size(size: DemoSize) -> SimSize {
    match size {
        DemoSize::Small => SimSize::Small,
        DemoSize::Medium => SimSize::Medium,
        DemoSize::Large => SimSize::Large,
    }
}

/// Parses `--jde-addr`-style addresses.
pub(crate) fn parse_addr(flag: &str, raw: &str) -> AppResult<SocketAddr> {
    raw.parse().map_err(|e| {
        AppError::usage(anyhow!(
            "{flag} {raw:?} is not an address ({e}); expected IP:PORT, e.g. 127.0.0.1:9300"
        ))
    })
}

/// Both simulators, running.
pub(crate) struct Sims {
    pub(crate) jde: JdeSim,
    pub(crate) jaggaer: JaggaerSim,
}

/// Starts both simulators on loopback (or the given addresses).
pub(crate) async fn start(
    seed: u64,
    size: DemoSize,
    faults: FaultProfile,
    jde_addr: Option<SocketAddr>,
    jaggaer_addr: Option<SocketAddr>,
) -> AppResult<Sims> {
    let mut jcfg = JdeSimConfig {
        addr: jde_addr,
        seed,
        size: sim_size(size),
        ..JdeSimConfig::default()
    };
    let mut gcfg = JaggaerSimConfig {
        addr: jaggaer_addr,
        seed,
        ..JaggaerSimConfig::default()
    };
    match faults {
        FaultProfile::None => {}
        FaultProfile::Flaky => {
            jcfg.knobs.faults = Faults {
                error_rate: 0.03,
                reset_rate: 0.01,
                slow_rate: 0.02,
                slow_by: Duration::from_millis(800),
            };
            gcfg.knobs.faults = JaggaerFaults {
                error_rate: 0.03,
                reset_rate: 0.01,
                slow_rate: 0.02,
                slow_by: Duration::from_millis(500),
                app_error_rate: 0.0,
            };
        }
        FaultProfile::Storm => {
            jcfg.knobs.token_max_requests = Some(25);
            gcfg.knobs.rate_limit = Some(5);
            gcfg.knobs.token_lifetime = Duration::from_secs(20);
        }
    }
    let jde = JdeSim::start(jcfg)
        .await
        .with_context(|| match jde_addr {
            Some(a) => format!("cannot start the JDE simulator on {a}; is the port in use?"),
            None => "cannot start the JDE simulator".to_owned(),
        })
        .map_err(AppError::failure)?;
    let jaggaer = JaggaerSim::start(gcfg)
        .await
        .with_context(|| match jaggaer_addr {
            Some(a) => format!("cannot start the JAGGAER simulator on {a}; is the port in use?"),
            None => "cannot start the JAGGAER simulator".to_owned(),
        })
        .map_err(AppError::failure)?;
    Ok(Sims { jde, jaggaer })
}

impl Sims {
    /// The `credentials set TENANT jde --stdin` object that reaches the JDE simulator.
    pub(crate) fn jde_credentials(&self) -> serde_json::Value {
        json!({
            "base_url": self.jde.base_url(),
            "username": "JDEUSER",
            "password": "JDEPASS",
            "environment": "JPY920",
            "role": "*ALL",
        })
    }

    /// The `credentials set TENANT jaggaer --stdin` object that reaches the JAGGAER simulator.
    pub(crate) fn jaggaer_credentials(&self) -> serde_json::Value {
        json!({
            "base_url": self.jaggaer.base_url(),
            "token_url": self.jaggaer.token_url(),
            "client_id": "mlc-client",
            "client_secret": "mlc-secret",
            "cxml_identity": "ml-connector-buyer",
            "cxml_shared_secret": "mlc-cxml-secret",
        })
    }
}
