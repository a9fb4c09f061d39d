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
/// Try it first: `ml-connector demo` runs everything against built-in simulators.
///
/// Getting started: `ml-connector init` writes an example config; set a master key
/// (`ml-connector credentials new-key`); store credentials with `ml-connector credentials set`;
/// check both systems with `ml-connector ping --deep`; run one cycle with `ml-connector sync`;
/// then run the service with `ml-connector run`.
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
    /// See the whole product work in a minute, with nothing to set up.
    ///
    /// Starts simulators of the JDE AIS Server and of JAGGAER on loopback with generated,
    /// realistic data, keeps a store, vault and config in ./ml-connector-demo/, runs a first
    /// full sync (suppliers and GL/cost centers, then POs, then invoices), lets the simulators
    /// make changes, runs an incremental sync, and prints what moved and where to look next.
    Demo(DemoArgs),
    /// Run one sync cycle now, in dependency order, and exit.
    ///
    /// Order: suppliers, accounts (GL accounts and cost centers), purchase-orders, invoices.
    /// Records that cannot be synced go to the quarantine; the run still succeeds (exit 0).
    Sync(SyncArgs),
    /// Run the service: scheduled cycles, /metrics, /healthz, /readyz, inbound cXML invoices.
    ///
    /// Stops gracefully on SIGTERM/SIGINT. With a PostgreSQL store, start as many as you like:
    /// they share the tenants through leases.
    Run(RunArgs),
    /// Pause or resume a tenant (month-end close, maintenance windows).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// The full trail of one record, oldest first.
    ///
    /// RECORD is KIND:TENANT:KEY, e.g. po:acme:00200-OP-4711, invoice:acme:98765,
    /// supplier:acme:4242.
    Audit(AuditArgs),
    /// Records that could not be synced: list, show, retry or discard them.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Compare both systems for synced records; exit 3 when there are differences.
    Reconcile(ReconcileArgs),
    /// Move an entity's cursor back to DATE and resync from there, without duplicates.
    Backfill(BackfillArgs),
    /// Check each system of each tenant: one login (never retried), one cheap read.
    Ping(PingArgs),
    /// Cut-over report: `ping --deep`, a dry run and `reconcile` on one page per tenant.
    ///
    /// Also lists the invoices the cut-over rules will skip (already keyed in JDE, dated before
    /// start_date) and the settings still on their defaults. Writes nothing anywhere. Exit 1
    /// when anything would be quarantined, a check failed or the dry run could not complete.
    GoliveCheck(GoliveArgs),
    /// Vouchers held by `voucher_approval` until AP approves them: list, approve, reject.
    ///
    /// An approved voucher is posted by the next cycle (through the same dedup: never twice);
    /// a rejected one goes to the quarantine with the reason. Every decision is audited with
    /// the OS user who made it.
    #[command(subcommand)]
    Approvals(ApprovalsCommand),
    /// Run the two simulators standalone, to try the connector or other tools against them.
    Sim(SimArgs),
    /// Console users: add, list, remove, set-role, reset-password.
    ///
    /// Roles: viewer (sees every page), operator (also retries and discards quarantined
    /// records), admin (also manages users). Passwords are stored as argon2 hashes.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Check the config, master key, vault, credentials and store, changing nothing.
    ///
    /// Creates no file, migrates nothing and calls neither JDE nor JAGGAER (`ping` does that).
    /// Exit 2: something to fix in the configuration (config, key, missing credentials);
    /// exit 1: something broken or unreachable (damaged vault, store down or newer).
    Validate(ValidateArgs),
}

/// `validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// A console role on the command line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoleArg(pub(crate) mlc_store::Role);

impl std::str::FromStr for RoleArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        mlc_store::Role::parse(s)
            .map(RoleArg)
            .ok_or_else(|| format!("{s:?} is not a role: use viewer, operator or admin"))
    }
}

/// `users`.
#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Add a user; the password is asked for twice (not echoed), or read with --password-stdin.
    Add {
        /// User name (letters, digits, '.', '_', '-', '@').
        name: String,
        /// viewer, operator or admin.
        #[arg(long)]
        role: RoleArg,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users and their roles.
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove a user and end their sessions.
    Remove {
        /// User name.
        name: String,
    },
    /// Change a user's role (applies to their open sessions at once).
    SetRole {
        /// User name.
        name: String,
        /// viewer, operator or admin.
        #[arg(long)]
        role: RoleArg,
    },
    /// Set a new password (ends the user's open sessions).
    ResetPassword {
        /// User name.
        name: String,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Amount of generated data.
    #[arg(long, value_enum, default_value_t = DemoSize::Small)]
    pub(crate) size: DemoSize,
    /// Leave the simulators (and their addresses) up after the summary, until Ctrl-C.
    #[arg(long)]
    pub(crate) keep_running: bool,
    /// Where to keep the demo's config, store and vault.
    #[arg(long, value_name = "DIR", default_value = "ml-connector-demo")]
    pub(crate) dir: PathBuf,
    /// Where the console of --keep-running listens (e.g. 127.0.0.1:9480 when 8480 is taken;
    /// port 0 picks a free one and prints it).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8480")]
    pub(crate) listen: std::net::SocketAddr,
}

/// Data sizes of `demo` and `sim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DemoSize {
    /// About 20 suppliers and 50 POs.
    Small,
    /// About 200 suppliers and 1,000 POs.
    Medium,
    /// 2,000 suppliers and 10,000 POs.
    Large,
}

/// `sync`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Only this tenant.
    #[arg(long, value_name = "T")]
    pub(crate) tenant: Option<String>,
    /// Only these entities (repeatable): suppliers, accounts, purchase-orders, invoices.
    #[arg(long = "entity", value_name = "E")]
    pub(crate) entities: Vec<String>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Read exactly as a real cycle would and write nothing anywhere (JAGGAER, JDE, the
    /// store): the summary counts what the cycle would do; with `--json` it also lists each
    /// planned write's payload and each record that would be quarantined, with the reason.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// With `--json`: also list the payload of each write this cycle made (the shape `--dry-run`
    /// lists; compare the two).
    #[arg(long)]
    pub(crate) writes: bool,
}

/// `run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Listen address for the console, metrics, health and inbound cXML [default: `[server] listen`].
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
}

/// `tenant ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TenantCommand {
    /// Stop scheduling a tenant's cycles.
    Pause {
        /// Tenant id.
        tenant: String,
        /// Why (shown by `status`).
        #[arg(long, default_value = "paused by an operator")]
        reason: String,
    },
    /// Resume a paused tenant (also after a rejected login, once the credentials are fixed).
    Resume {
        /// Tenant id.
        tenant: String,
    },
}

/// `audit`.
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// KIND:TENANT:KEY, e.g. po:acme:00200-OP-4711.
    pub(crate) record: String,
    /// Only events at or after this time (RFC 3339, or yyyy-MM-dd).
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `quarantine ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum QuarantineCommand {
    /// Open entries (with --all, also retried, resolved and discarded ones).
    List {
        /// Include closed entries.
        #[arg(long)]
        all: bool,
        /// Only this tenant.
        #[arg(long, value_name = "T")]
        tenant: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One entry with its reason and original payload.
    Show {
        /// Entry id.
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read the record afresh from its source and send it again (after fixing the cause).
    Retry {
        /// Entry id.
        #[arg(required_unless_present = "all")]
        id: Option<i64>,
        /// Retry every open entry.
        #[arg(long)]
        all: bool,
    },
    /// Close an entry without sending it.
    Discard {
        /// Entry id.
        id: i64,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

/// `approvals ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ApprovalsCommand {
    /// Vouchers waiting for approval, with their plan (`--json`: every line).
    List {
        /// Only this tenant.
        #[arg(long, value_name = "T")]
        tenant: Option<String>,
        /// Print JSON with each full plan (the orchestration input, batch number aside).
        #[arg(long)]
        json: bool,
    },
    /// Approve vouchers (by JAGGAER invoice id): the next cycle posts them.
    Approve {
        /// JAGGAER invoice ids, as `approvals list` shows them.
        #[arg(required_unless_present = "all")]
        ids: Vec<String>,
        /// Approve every pending voucher.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// Only this tenant.
        #[arg(long, value_name = "T")]
        tenant: Option<String>,
    },
    /// Reject a voucher: its invoice goes to the quarantine with the reason.
    Reject {
        /// JAGGAER invoice id.
        id: String,
        /// Why (kept in the quarantine entry and the audit trail).
        #[arg(long)]
        reason: String,
        /// Only this tenant.
        #[arg(long, value_name = "T")]
        tenant: Option<String>,
    },
}

/// `reconcile`.
#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    /// Only this tenant.
    #[arg(long, value_name = "T")]
    pub(crate) tenant: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `backfill`.
#[derive(Debug, Args)]
pub(crate) struct BackfillArgs {
    /// Tenant id.
    #[arg(long, value_name = "T")]
    pub(crate) tenant: String,
    /// Entity: suppliers, accounts, purchase-orders, invoices.
    #[arg(long, value_name = "E")]
    pub(crate) entity: String,
    /// First day to read again (yyyy-MM-dd).
    #[arg(long, value_name = "DATE")]
    pub(crate) since: String,
}

/// `ping`.
#[derive(Debug, Args)]
pub(crate) struct PingArgs {
    /// Only this tenant.
    #[arg(long, value_name = "T")]
    pub(crate) tenant: Option<String>,
    /// Also the AIS Tools release, read access per table, the voucher orchestration and each
    /// JAGGAER path.
    #[arg(long)]
    pub(crate) deep: bool,
    /// Print one JSON object (every check with its result, time and detail) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `golive-check`.
#[derive(Debug, Args)]
pub(crate) struct GoliveArgs {
    /// Only this tenant.
    #[arg(long, value_name = "T")]
    pub(crate) tenant: Option<String>,
}

/// `sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    /// Address of the JDE AIS simulator.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9300")]
    pub(crate) jde_addr: String,
    /// Address of the JAGGAER simulator.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9400")]
    pub(crate) jaggaer_addr: String,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Amount of generated data.
    #[arg(long, value_enum, default_value_t = DemoSize::Small)]
    pub(crate) size: DemoSize,
    /// Fault profile: none, flaky (5xx, resets, slow), storm (token expiry and 429 storms).
    #[arg(long, value_name = "PROFILE", default_value = "none")]
    pub(crate) faults: String,
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
    /// cxml_identity, cxml_shared_secret, xml_identity, xml_shared_secret, ca_cert_pem.
    Set(SetArgs),
    /// List the stored credential sets: tenant, system, non-secret fields, last change.
    List(ListArgs),
    /// Delete the credential set of one tenant for one system (e.g. a decommissioned tenant).
    ///
    /// The tenant's cycles fail with "no credentials" until a new set is stored. Deleting a
    /// set that does not exist is an error (exit 2), so a typo never looks like success.
    Delete(DeleteArgs),
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

/// `credentials delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// Tenant id (as in the config, [a-z0-9-]+).
    pub(crate) tenant: String,
    /// System: jde or jaggaer.
    #[arg(value_parser = ["jde", "jaggaer"])]
    pub(crate) system: String,
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
