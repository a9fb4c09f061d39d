//! Logging: `tracing` to stderr (stdout is for command output that scripts read), human text on
//! a terminal and one JSON object per line otherwise, so a service manager or log shipper gets
//! structured logs without extra flags. `RUST_LOG` (e.g. `ml_connector=debug,mlc_jde=trace`)
//! overrides the level chosen by `-v`/`-q`.
use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Our own crates (tracing targets are crate names).
const OURS: &[&str] = &[
    "ml_connector",
    "mlc_core",
    "mlc_engine",
    "mlc_jaggaer",
    "mlc_jde",
    "mlc_sim",
    "mlc_store",
    "mlc_vault",
];

/// The filter for a verbosity: 0 = info, 1 = our crates at debug (each client's requests:
/// method, path, status, time) with dependencies kept at info, 2 = ours at trace and
/// dependencies at debug, 3+ = everything at trace, -1 = warn, -2 or less = error.
pub(crate) fn directives(verbosity: i8) -> String {
    let ours = |level: &str| {
        OURS.iter()
            .map(|c| format!("{c}={level}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    match verbosity {
        i8::MIN..=-2 => "error".into(),
        -1 => "warn".into(),
        0 => "info".into(),
        1 => format!("info,{}", ours("debug")),
        2 => format!("debug,{}", ours("trace")),
        _ => "trace".into(),
    }
}

/// Installs the global subscriber for a verbosity (see [`directives`]); `RUST_LOG`, when set,
/// wins (e.g. `RUST_LOG=info,mlc_jde=debug` for the AIS requests only).
pub(crate) fn init(format: Option<LogFormat>, verbosity: i8) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives(verbosity)));
    let format = format.unwrap_or(if std::io::stderr().is_terminal() {
        LogFormat::Text
    } else {
        LogFormat::Json
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `try_init`: a second call (tests) must not panic.
    let _ = match format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `-v` turns on our debug logs (the clients' request lines) without the dependencies'.
    #[test]
    fn verbose_is_ours_not_the_dependencies() {
        let v = directives(1);
        assert!(v.starts_with("info,"), "{v}");
        for c in ["mlc_jde=debug", "mlc_jaggaer=debug", "ml_connector=debug"] {
            assert!(v.contains(c), "{v}");
        }
        assert!(!v.contains("hyper") && !v.contains("sqlx"), "{v}");
        assert!(directives(2).starts_with("debug,"));
        assert_eq!(directives(0), "info");
        assert_eq!(directives(-1), "warn");
        // Every combination parses.
        for v in -3..=3 {
            EnvFilter::try_new(directives(v)).unwrap();
        }
    }
}
