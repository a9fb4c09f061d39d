//! Encrypted credential vault of ml-connector (interface §3).
//!
//! # Layout
//! - [`key`]: the master key (env `ML_CONNECTOR_MASTER_KEY` or a key file; base64 of 32 bytes).
//! - [`credentials`]: the JDE and JAGGAER credential sets, parsed strictly from the JSON users
//!   give, secrets held in [`secrecy::SecretString`].
//! - [`vault`]: the file format (XChaCha20-Poly1305 per entry, a key check, a whole-file tag),
//!   atomic writes, and the [`Vault`] handle the app and the engine use.
//! - [`error`]: [`VaultError`], one variant per thing a user must fix differently.
//!
//! ```no_run
//! # use mlc_vault::*;
//! # fn main() -> Result<(), VaultError> {
//! let tenant = mlc_core::ids::TenantId::parse("acme").unwrap();
//! let mut vault = Vault::open("ml-connector.vault", MasterKey::from_env()?)?;
//! vault.set(&tenant, CredentialSet::from_json(System::Jde,
//!     r#"{"base_url": "https://ais:9300/jderest/", "username": "MLCONN", "password": "..."}"#)?);
//! vault.save()?;
//! let jde = vault.get(&tenant, System::Jde)?;
//! # Ok(()) }
//! ```
pub mod credentials;
pub mod error;
pub mod key;
pub mod vault;

pub use credentials::{CredentialSet, JaggaerCredentials, JdeCredentials, System};
pub use error::{Result, VaultError};
pub use key::{MASTER_KEY_ENV, MasterKey};
pub use vault::{EntryInfo, Vault};
