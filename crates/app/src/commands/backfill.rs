//! `backfill` (being written).
use anyhow::anyhow;

use crate::cli::{GlobalArgs, BackfillArgs};
use crate::error::{AppError, AppResult};

pub(crate) fn run(_global: &GlobalArgs, _args: &BackfillArgs) -> AppResult {
    Err(AppError::failure(anyhow!("`backfill` is not available in this build yet")))
}
