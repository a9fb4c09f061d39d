//! `quarantine` (being written).
use anyhow::anyhow;

use crate::cli::{GlobalArgs, QuarantineCommand};
use crate::error::{AppError, AppResult};

pub(crate) fn run(_global: &GlobalArgs, _args: &QuarantineCommand) -> AppResult {
    Err(AppError::failure(anyhow!("`quarantine` is not available in this build yet")))
}
