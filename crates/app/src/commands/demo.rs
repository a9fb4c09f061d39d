//! `demo` (being written).
use anyhow::anyhow;

use crate::cli::{DemoArgs, GlobalArgs};
use crate::error::{AppError, AppResult};

pub(crate) fn run(_global: &GlobalArgs, _args: &DemoArgs) -> AppResult {
    Err(AppError::failure(anyhow!(
        "`demo` is not available in this build yet"
    )))
}
