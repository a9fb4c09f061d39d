//! One file per command; [`dispatch`] picks one. The plumbing commands share (loading the
//! config, opening the vault and the store, the async runtime) is in [`crate::plumbing`].
pub(crate) mod approvals;
pub(crate) mod audit;
pub(crate) mod backfill;
pub(crate) mod credentials;
pub(crate) mod demo;
pub(crate) mod dryrun;
pub(crate) mod golive;
pub(crate) mod init;
pub(crate) mod migrate;
pub(crate) mod ping;
pub(crate) mod quarantine;
pub(crate) mod reconcile;
pub(crate) mod run;
pub(crate) mod sim;
pub(crate) mod status;
pub(crate) mod sync;
pub(crate) mod tenant;
pub(crate) mod users;
pub(crate) mod validate;

use crate::cli::{Cli, Command};
use crate::error::AppResult;

/// Runs the command named on the command line.
pub(crate) fn dispatch(cli: Cli) -> AppResult {
    match &cli.command {
        Command::Init(args) => init::run(&cli.global, args),
        Command::Credentials(cmd) => credentials::run(&cli.global, cmd),
        Command::Migrate => migrate::run(&cli.global),
        Command::Status(args) => status::run(&cli.global, args),
        Command::Demo(args) => demo::run(&cli.global, args),
        Command::Sync(args) => sync::run(&cli.global, args),
        Command::Run(args) => run::run(&cli.global, args),
        Command::Tenant(cmd) => tenant::run(&cli.global, cmd),
        Command::Audit(args) => audit::run(&cli.global, args),
        Command::Quarantine(cmd) => quarantine::run(&cli.global, cmd),
        Command::Reconcile(args) => reconcile::run(&cli.global, args),
        Command::Backfill(args) => backfill::run(&cli.global, args),
        Command::Ping(args) => ping::run(&cli.global, args),
        Command::GoliveCheck(args) => golive::run(&cli.global, args),
        Command::Approvals(cmd) => approvals::run(&cli.global, cmd),
        Command::Sim(args) => sim::run(&cli.global, args),
        Command::Users(cmd) => users::run(&cli.global, cmd),
        Command::Validate(args) => validate::run(&cli.global, args),
    }
}
