//! The master key: 32 random bytes, given as base64 in `ML_CONNECTOR_MASTER_KEY` or a key file.
//!
//! The key is used directly as the XChaCha20-Poly1305 key (it is already uniformly random, so no
//! password-stretching KDF is needed; the file says `"kdf": "none"` so a later version can add
//! one for passphrases without guessing). It lives in a zeroize-on-drop buffer and its `Debug`
//! never shows it; the only way out is [`MasterKey::to_base64`], which callers use exactly once,
//! when the user asked for a new key to be printed.
use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::TryRngCore as _;
use zeroize::{Zeroize as _, Zeroizing};

use crate::error::{Result, VaultError};

/// Environment variable holding the master key.
pub const MASTER_KEY_ENV: &str = "ML_CONNECTOR_MASTER_KEY";

/// Length of the master key in bytes.
pub const KEY_LEN: usize = 32;

/// The vault's master key.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

impl MasterKey {
    /// Reads the key from `ML_CONNECTOR_MASTER_KEY`. Returns [`VaultError::MissingKey`] when the
    /// variable is unset or empty.
    pub fn from_env() -> Result<Self> {
        match std::env::var(MASTER_KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => {
                let v = Zeroizing::new(v);
                Self::from_base64(&v, MASTER_KEY_ENV)
            }
            Ok(_) | Err(std::env::VarError::NotPresent) => Err(VaultError::MissingKey),
            Err(std::env::VarError::NotUnicode(_)) => Err(VaultError::KeyEncoding {
                origin: MASTER_KEY_ENV.into(),
            }),
        }
    }

    /// Reads the key from a file holding its base64 text (surrounding whitespace ignored).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| VaultError::KeyFile {
            path: path.to_owned(),
            source,
        })?;
        let text = Zeroizing::new(text);
        Self::from_base64(&text, &path.display().to_string())
    }

    /// Decodes base64 text; `origin` names where it came from, for error messages.
    pub fn from_base64(text: &str, origin: &str) -> Result<Self> {
        let mut bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| VaultError::KeyEncoding {
                origin: origin.into(),
            })?;
        if bytes.len() != KEY_LEN {
            let len = bytes.len();
            bytes.zeroize();
            return Err(VaultError::KeyLength {
                origin: origin.into(),
                len,
            });
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&bytes);
        bytes.zeroize();
        Ok(Self(key))
    }

    /// A fresh key from the operating system's random generator.
    pub fn generate() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng
            .try_fill_bytes(key.as_mut())
            .map_err(|e| VaultError::Random(e.to_string()))?;
        Ok(Self(key))
    }

    /// The key as base64. Only for printing a newly generated key once, on explicit request.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_ref()))
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

/// Fills `buf` from the operating system's random generator.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<()> {
    rand::rngs::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| VaultError::Random(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_and_errors() {
        let k = MasterKey::generate().unwrap();
        let text = k.to_base64();
        let back = MasterKey::from_base64(&text, "test").unwrap();
        assert_eq!(k.bytes(), back.bytes());
        assert!(matches!(
            MasterKey::from_base64("not base64!!", "x"),
            Err(VaultError::KeyEncoding { .. })
        ));
        assert!(matches!(
            MasterKey::from_base64(&STANDARD.encode([1u8; 16]), "x"),
            Err(VaultError::KeyLength { len: 16, .. })
        ));
    }

    #[test]
    fn debug_hides_key() {
        let k = MasterKey::generate().unwrap();
        let dbg = format!("{k:?}");
        assert!(!dbg.contains(text_of(&k).as_str()));
        assert_eq!(dbg, "MasterKey([REDACTED])");
    }

    fn text_of(k: &MasterKey) -> String {
        k.to_base64().to_string()
    }

    #[test]
    fn key_file_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key");
        let k = MasterKey::generate().unwrap();
        std::fs::write(&p, format!("{}\n", k.to_base64().as_str())).unwrap();
        assert_eq!(MasterKey::from_file(&p).unwrap().bytes(), k.bytes());
        assert!(matches!(
            MasterKey::from_file(&dir.path().join("missing")),
            Err(VaultError::KeyFile { .. })
        ));
    }
}
