//! Plumbing the commands and the wiring share: loading the config, finding the master key,
//! opening the vault and the store, the async runtime. Kept out of `commands` so that
//! `wiring` (which commands use) does not depend on a command module.
use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use mlc_store::{StateStore, StoreError};
use mlc_vault::{MASTER_KEY_ENV, MasterKey, Vault};

use crate::cli::GlobalArgs;
use crate::config::{self, Settings};
use crate::error::{AppError, AppResult};

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
