//! `ping` (being written).
use anyhow::anyhow;

use crate::cli::{GlobalArgs, PingArgs};
use crate::error::{AppError, AppResult};

pub(crate) fn run(_global: &GlobalArgs, _args: &PingArgs) -> AppResult {
    Err(AppError::failure(anyhow!("`ping` is not available in this build yet")))
}
