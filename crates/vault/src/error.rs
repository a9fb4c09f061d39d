//! The one error type of the vault. Messages say what failed and what to do; none of them ever
//! contains a secret (only paths, tenant/system names, field names and lengths).
use std::path::PathBuf;

use crate::System;

/// Everything that can go wrong with the master key, the vault file or a credential set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// No master key was given (neither the environment variable nor a key file).
    #[error(
        "no master key: set ML_CONNECTOR_MASTER_KEY to 32 random bytes in base64, or point \
         `[vault] key_file` at a file holding it; create one with `ml-connector credentials new-key` \
         (or `openssl rand -base64 32`) and keep it in your secret manager"
    )]
    MissingKey,
    /// The master key text is not valid base64.
    #[error(
        "the master key from {origin} is not valid base64: it must be 32 random bytes encoded \
         as standard base64 (44 characters ending in '='), e.g. from `openssl rand -base64 32`"
    )]
    KeyEncoding {
        /// Where the key came from (env variable name or file path).
        origin: String,
    },
    /// The master key decodes to the wrong number of bytes.
    #[error(
        "the master key from {origin} is {len} bytes long, it must be exactly 32 bytes \
         (base64 of 32 random bytes, e.g. from `openssl rand -base64 32`)"
    )]
    KeyLength {
        /// Where the key came from.
        origin: String,
        /// The decoded length.
        len: usize,
    },
    /// The key file could not be read.
    #[error("cannot read the master key file {path}: {source}; check the path and its permissions")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The master key does not open this vault.
    #[error(
        "the master key does not open the vault {path}: it was encrypted with another key \
         (or its key check was altered); use the key the vault was created or last rotated with"
    )]
    WrongKey {
        /// The vault file.
        path: PathBuf,
    },
    /// The vault file was modified outside ml-connector or is damaged.
    #[error(
        "the vault {path} has been altered or damaged ({detail}); it will not be used. Restore \
         it from a backup, or move it away and store the credential sets again"
    )]
    Tampered {
        /// The vault file.
        path: PathBuf,
        /// What check failed (never secret material).
        detail: String,
    },
    /// The vault file ends early.
    #[error(
        "the vault {path} is truncated (the file ends early, e.g. an interrupted copy or a full \
         disk); restore it from a backup"
    )]
    Truncated {
        /// The vault file.
        path: PathBuf,
    },
    /// The file is a vault of a version this build does not know.
    #[error(
        "the vault {path} has format version {found}, this ml-connector understands version 1; \
         use the ml-connector release that wrote it"
    )]
    UnknownVersion {
        /// The vault file.
        path: PathBuf,
        /// The version found in the file.
        found: String,
    },
    /// The file is not an ml-connector vault at all.
    #[error("{path} is not an ml-connector vault ({detail}); check `[vault] path`")]
    NotAVault {
        /// The file.
        path: PathBuf,
        /// Why it was not recognised.
        detail: String,
    },
    /// Reading or writing the vault file failed.
    #[error("cannot {action} the vault {path}: {source}")]
    Io {
        /// What was being done (`read`, `write`, `rename`, ...).
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A credential set given by the user is not valid (unknown/missing field, bad URL, ...).
    #[error("invalid {system} credential set: {message}")]
    InvalidCredentials {
        /// The system the set is for.
        system: System,
        /// What is wrong, naming the field.
        message: String,
    },
    /// An unknown system name was given.
    #[error("unknown system {0:?}: expected `jde` or `jaggaer`")]
    UnknownSystem(String),
    /// The operating system's random generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    /// Encryption failed (cannot happen with valid inputs; kept rather than panicking).
    #[error("encryption failed while {0}")]
    Crypto(&'static str),
}

/// Result alias of this crate.
pub type Result<T, E = VaultError> = std::result::Result<T, E>;
