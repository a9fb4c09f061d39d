//! The command line. Doc comments here are the `--help` text, so they are written for someone
//! who has never seen the tool. Global options are `global = true`, so they may stand before or
//! after the subcommand (`ml-connector -v status` and `ml-connector status -v` both work).
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keeps purchasing data in sync between Oracle JD Edwards EnterpriseOne and JAGGAER.
///
/// Suppliers, GL accounts and cost centers, and purchase orders flow from JDE to JAGGAER;
/// approved invoices flow from JAGGAER back to JDE as vouchers.
///
/// Getting started: `ml-connector init` writes an example config; set a master key
/// (`ml-connector credentials new-key`); store credentials with `ml-connector credentials set`;
/// then `ml-connector migrate` and `ml-connector status`.
///
/// Exit status: 0 done, 1 could not (system, store or vault problem), 2 usage or configuration
/// error, 3 reconcile found differences.
#[derive(Debug, Parser)]
#[command(
    name = "ml-connector",
    version,
    about,
    long_about,
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Config file to read.
    #[arg(
        long,
        global = true,
        env = "ML_CONNECTOR_CONFIG",
        default_value = "ml-connector.toml",
        value_name = "PATH"
    )]
    pub(crate) config: PathBuf,
    /// Log format on stderr [default: text on a terminal, json otherwise].
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub(crate) log_format: Option<LogFormat>,
    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub(crate) verbose: u8,
    /// Less log output (-q warnings and errors only, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) quiet: u8,
}

impl GlobalArgs {
    /// Net verbosity: positive is more, negative is less.
    pub(crate) fn verbosity(&self) -> i8 {
        let v = i8::try_from(self.verbose).unwrap_or(i8::MAX);
        let q = i8::try_from(self.quiet).unwrap_or(i8::MAX);
        v.saturating_sub(q)
    }
}

/// Log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Write a commented example config file.
    ///
    /// Every key is written with an explanation and its default. Edit the tenant section
    /// (id, time zone, company, accounts), then check it with `ml-connector status`.
    Init(InitArgs),
    /// Store, list and re-encrypt credentials in the encrypted vault.
    ///
    /// The vault file (`[vault] path`) is encrypted with the master key from the environment
    /// variable ML_CONNECTOR_MASTER_KEY (32 random bytes, base64) or from `[vault] key_file`.
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Create or upgrade the state store schema (also done automatically on start).
    Migrate,
    /// Show, per tenant: watermarks, last run, quarantine size and next run.
    Status(StatusArgs),
}

/// `init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Where to write the config [default: the --config path].
    #[arg(long, value_name = "PATH")]
    pub(crate) path: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `credentials ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CredentialsCommand {
    /// Store the credential set of one tenant for one system (replaces the previous one).
    ///
    /// With --stdin, reads one JSON object, e.g.
    ///   echo '{"base_url": "https://ais.example.com:9300/jderest/", "username": "MLCONN",
    ///          "password": "..."}' | ml-connector credentials set acme jde --stdin
    /// Without it, asks for each field on the terminal; secrets are not echoed.
    ///
    /// jde keys: base_url, username, password, and optionally environment, role, device_name,
    /// ca_cert_pem.
    /// jaggaer keys: base_url, client_id, client_secret, and optionally token_url,
    /// cxml_identity, cxml_shared_secret, ca_cert_pem.
    Set(SetArgs),
    /// List the stored credential sets: tenant, system, non-secret fields, last change.
    List(ListArgs),
    /// Re-encrypt the whole vault under a new master key.
    ///
    /// The current key must be available as usual (env or key file). Give the new key in a
    /// file (--new-key-file) or let the tool make one (--generate, printed once on stdout).
    /// Afterwards only the new key opens the vault: update ML_CONNECTOR_MASTER_KEY or the key
    /// file everywhere the connector runs.
    RotateKey(RotateArgs),
    /// Print a new random master key (base64) on stdout, for a new vault.
    ///
    /// Store it in your secret manager and give it to the connector as
    /// ML_CONNECTOR_MASTER_KEY or through `[vault] key_file`.
    NewKey,
}

/// `credentials set`.
#[derive(Debug, Args)]
pub(crate) struct SetArgs {
    /// Tenant id (as in the config, [a-z0-9-]+).
    pub(crate) tenant: String,
    /// System: jde or jaggaer.
    #[arg(value_parser = ["jde", "jaggaer"])]
    pub(crate) system: String,
    /// Read one JSON object from stdin instead of prompting.
    #[arg(long)]
    pub(crate) stdin: bool,
}

/// `credentials list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `credentials rotate-key`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct RotateArgs {
    /// File holding the new key (base64 of 32 random bytes).
    #[arg(long, value_name = "FILE")]
    pub(crate) new_key_file: Option<PathBuf>,
    /// Generate the new key and print it once on stdout.
    #[arg(long)]
    pub(crate) generate: bool,
}

/// `status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "ml-connector",
            "status",
            "--config",
            "x.toml",
            "-vv",
            "--log-format",
            "json",
        ])
        .unwrap();
        assert_eq!(cli.global.config, PathBuf::from("x.toml"));
        assert_eq!(cli.global.verbosity(), 2);
        assert_eq!(cli.global.log_format, Some(LogFormat::Json));
    }
}
