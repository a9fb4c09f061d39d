//! `ml-connector`: keeps purchasing data in sync between JD Edwards EnterpriseOne and JAGGAER.
//!
//! # Layout
//! - [`cli`]: the command line (clap derive); global options work before or after the command.
//! - [`telemetry`]: tracing to stderr, text on a terminal, JSON otherwise.
//! - [`config`]: the TOML file (`raw`), environment overrides, and validated `settings`.
//! - [`commands`]: one file per command; [`commands::dispatch`] picks one.
//! - [`plumbing`]: loading the config, opening the vault and the store, the async runtime.
//! - [`error`]: [`error::AppError`], an error chain plus the exit status (0/1/2/3).
//!
//! `main` stays thin: parse, set up logging, dispatch, map the outcome to an exit status.
// The CLI's doc comments are its `--help` text, where a URL is shown as typed.
#![allow(rustdoc::bare_urls)]
use std::process::ExitCode;

use clap::Parser as _;

mod alerts;
mod cli;
mod commands;
mod config;
mod error;
mod plumbing;
mod server;
mod simulators;
mod telemetry;
mod wiring;

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    // clap exits with 2 on usage errors and 0 for --help/--version, as the interface requires.
    let cli = cli::Cli::parse();
    // `demo` tells its own story on stdout, and log lines would tear through its progress
    // bars, so it logs errors only unless asked for more (-v, or RUST_LOG).
    let verbosity = match (&cli.command, cli.global.verbosity()) {
        (cli::Command::Demo(_), 0) => -2,
        (_, v) => v,
    };
    telemetry::init(cli.global.log_format, verbosity);
    let outcome = commands::dispatch(cli);
    report_peak_rss();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_closed_stdout(&e.error) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole cause chain on one line: what failed, then why.
            tracing::debug!(error = ?e.error, "Command failed.");
            eprintln!("error: {:#}", e.error);
            ExitCode::from(e.exit as u8)
        }
    }
}

/// A reader that stops early (`ml-connector status --json | head -1`) closes our stdout; the
/// next write fails with `EPIPE`. That is not a failure of the command: like `cat`, `grep` or
/// ripgrep, we stop quietly with exit 0 (documented in the README).
///
/// Rust ignores `SIGPIPE`, so the write returns an error instead of killing the process, and
/// `println!` turns that error into a panic (exit 101 with a backtrace hint). Resetting
/// `SIGPIPE` to its default would need `unsafe` (forbidden in this workspace) and would also let a
/// closed *stderr* or socket kill the long-running `run` service without a word; so instead this
/// hook turns exactly that panic (stdout, broken pipe) into a quiet exit 0, whichever thread
/// prints, and leaves every other panic to the default hook. Commands that write with `?` get the
/// same treatment in `main` through [`is_closed_stdout`].
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// True when a command failed only because its stdout was closed by the reader.
fn is_closed_stdout(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// With `MLC_REPORT_PEAK_RSS` set (the benchmark sets it), prints this process's peak resident
/// set size (`VmHWM`) on stderr as `mlc-peak-rss-kib=N`.
fn report_peak_rss() {
    if std::env::var_os("MLC_REPORT_PEAK_RSS").is_none() {
        return;
    }
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
    if let Some(kib) = hwm {
        eprintln!("mlc-peak-rss-kib={kib}");
    }
}
