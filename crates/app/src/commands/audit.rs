//! `audit` (being written).
use anyhow::anyhow;

use crate::cli::{GlobalArgs, AuditArgs};
use crate::error::{AppError, AppResult};

pub(crate) fn run(_global: &GlobalArgs, _args: &AuditArgs) -> AppResult {
    Err(AppError::failure(anyhow!("`audit` is not available in this build yet")))
}
