//! The app's error: an `anyhow` chain plus the exit status it maps to (interface §1).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | the command did its job |
//! | 1 | it could not: a system or the store is unreachable, credentials rejected, the vault damaged |
//! | 2 | usage or configuration error: bad config, missing or wrong master key, bad input |
//! | 3 | `reconcile` only: it ran and found differences |
//!
//! A wrong master key is a 2: the vault is fine, the operator supplied the wrong key, which is
//! fixed in the configuration (env or key file), not by retrying.
use std::fmt;

use mlc_vault::VaultError;

/// Exit statuses of the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Could not do it (remote, store, damaged vault).
    Failure = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// `reconcile` found differences.
    Differences = 3,
}

/// An error with its exit status.
pub(crate) struct AppError {
    pub(crate) exit: Exit,
    pub(crate) error: anyhow::Error,
}

impl AppError {
    /// A usage or configuration error (exit 2).
    pub(crate) fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self {
            exit: Exit::Usage,
            error: error.into(),
        }
    }
    /// A failure to do the job (exit 1).
    pub(crate) fn failure(error: impl Into<anyhow::Error>) -> Self {
        Self {
            exit: Exit::Failure,
            error: error.into(),
        }
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} (exit {})", self.error, self.exit as u8)
    }
}

impl From<VaultError> for AppError {
    fn from(e: VaultError) -> Self {
        let exit = match &e {
            VaultError::MissingKey
            | VaultError::KeyEncoding { .. }
            | VaultError::KeyLength { .. }
            | VaultError::KeyFile { .. }
            | VaultError::WrongKey { .. }
            | VaultError::InvalidCredentials { .. }
            | VaultError::UnknownSystem(_) => Exit::Usage,
            _ => Exit::Failure,
        };
        Self {
            exit,
            error: e.into(),
        }
    }
}

impl From<crate::config::ConfigError> for AppError {
    fn from(e: crate::config::ConfigError) -> Self {
        Self::usage(e)
    }
}

/// Result alias for commands.
pub(crate) type AppResult<T = ()> = Result<T, AppError>;

impl From<mlc_store::StoreError> for AppError {
    fn from(e: mlc_store::StoreError) -> Self {
        let error = anyhow::Error::new(e).context("state store error");
        Self::failure(error)
    }
}
