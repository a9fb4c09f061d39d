//! `migrate`: creates or upgrades the state store schema and says so.
use crate::cli::GlobalArgs;
use crate::config::settings::redact_url;
use crate::error::AppResult;

/// Runs `migrate`.
pub(crate) fn run(global: &GlobalArgs) -> AppResult {
    let settings = crate::plumbing::load_settings(global)?;
    crate::plumbing::block_on(async {
        // `open` applies every pending migration (idempotent); call `migrate` once more so the
        // command's meaning does not depend on that detail of `open`.
        let store = crate::plumbing::open_store(&settings).await?;
        store.migrate().await.map_err(|e| {
            crate::error::AppError::failure(anyhow::Error::new(e).context("applying migrations"))
        })?;
        println!(
            "State store {} ({}): schema is up to date.",
            redact_url(&settings.store_url),
            store.backend()
        );
        Ok(())
    })?
}
