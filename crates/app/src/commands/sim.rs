//! `sim` (being written).
use anyhow::anyhow;

use crate::cli::{GlobalArgs, SimArgs};
use crate::error::{AppError, AppResult};

pub(crate) fn run(_global: &GlobalArgs, _args: &SimArgs) -> AppResult {
    Err(AppError::failure(anyhow!("`sim` is not available in this build yet")))
}
