//! `reconcile` (being written).
use anyhow::anyhow;

use crate::cli::{GlobalArgs, ReconcileArgs};
use crate::error::{AppError, AppResult};

pub(crate) fn run(_global: &GlobalArgs, _args: &ReconcileArgs) -> AppResult {
    Err(AppError::failure(anyhow!("`reconcile` is not available in this build yet")))
}
