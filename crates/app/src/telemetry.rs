//! Logging: `tracing` to stderr (stdout is for command output that scripts read), human text on
//! a terminal and one JSON object per line otherwise, so a service manager or log shipper gets
//! structured logs without extra flags. `RUST_LOG` (e.g. `ml_connector=debug,mlc_jde=trace`)
//! overrides the level chosen by `-v`/`-q`.
use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Installs the global subscriber. `verbosity`: 0 = info, 1 = debug, 2+ = trace, -1 = warn,
/// -2 or less = error.
pub(crate) fn init(format: Option<LogFormat>, verbosity: i8) {
    let level = match verbosity {
        i8::MIN..=-2 => "error",
        -1 => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
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
