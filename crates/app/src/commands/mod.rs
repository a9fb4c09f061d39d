//! One file per command; [`dispatch`] picks one. Shared plumbing (loading the config, finding
//! the master key, opening the vault and the store, the async runtime) lives here so commands
//! stay short and the ones added later (`sync`, `run`, `demo`, ...) reuse it.
pub(crate) mod audit;
pub(crate) mod backfill;
pub(crate) mod credentials;
pub(crate) mod demo;
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

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use mlc_store::{StateStore, StoreError};
use mlc_vault::{MASTER_KEY_ENV, MasterKey, Vault};

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::{self, Settings};
use crate::error::{AppError, AppResult};

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
        Command::Sim(args) => sim::run(&cli.global, args),
    }
}

/// Loads and validates the config named by `--config`.
pub(crate) fn load_settings(global: &GlobalArgs) -> AppResult<Settings> {
    Ok(config::load(&global.config)?)
}

/// The master key: `ML_CONNECTOR_MASTER_KEY` when set, else `[vault] key_file`.
pub(crate) fn master_key(settings: &Settings) -> AppResult<MasterKey> {
    let env_set = std::env::var_os(MASTER_KEY_ENV).is_some_and(|v| !v.is_empty());
    if env_set {
        return Ok(MasterKey::from_env()?);
    }
    match &settings.vault.key_file {
        Some(path) => Ok(MasterKey::from_file(path)?),
        None => Err(mlc_vault::VaultError::MissingKey.into()),
    }
}

/// Opens the vault of the config with its master key.
pub(crate) fn open_vault(settings: &Settings) -> AppResult<Vault> {
    let key = master_key(settings)?;
    Ok(Vault::open(&settings.vault.path, key)?)
}

/// Runs a future on a fresh multi-threaded runtime (the sync commands are async; the others
/// are not, so `main` does not start a runtime it does not need).
pub(crate) fn block_on<F: Future>(future: F) -> AppResult<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(AppError::failure)?;
    Ok(rt.block_on(future))
}

/// Opens (and migrates) the state store of the config.
pub(crate) async fn open_store(settings: &Settings) -> AppResult<Arc<dyn StateStore>> {
    let shown = config::settings::redact_url(&settings.store_url);
    mlc_store::open(&settings.store_url).await.map_err(|e| {
        let usage = matches!(e, StoreError::UnsupportedUrl(_));
        let err = anyhow::Error::new(e).context(format!(
            "cannot open the state store {shown}; check `[store] url` and that the database is \
             reachable"
        ));
        if usage {
            AppError::usage(err)
        } else {
            AppError::failure(err)
        }
    })
}
