//! The vault file and the [`Vault`] handle.
//!
//! # File format (version 1)
//! ```json
//! {
//!   "format": "mlc-vault",
//!   "version": 1,
//!   "kdf": "none",
//!   "key_check": "<base64 nonce‖tag>",
//!   "entries": [
//!     { "tenant": "acme", "system": "jde", "public": { "base_url": "...", "username": "..." },
//!       "nonce": "<base64, 24 bytes>", "ciphertext": "<base64>", "changed_at": "2026-...Z" }
//!   ],
//!   "mac": "<base64 nonce‖tag>"
//! }
//! ```
//! - Each entry's secret JSON is sealed with XChaCha20-Poly1305 under the master key, a fresh
//!   random 24-byte nonce per entry per write, and associated data `mlc-vault/v1|TENANT|SYSTEM`,
//!   so a ciphertext copied to another tenant or system does not open.
//! - `key_check` is an AEAD tag over nothing with associated data `mlc-vault/v1|key-check`: it
//!   tells "wrong key" from "altered file" before anything else is checked.
//! - `mac` is an AEAD tag over nothing whose associated data is the whole document rendered
//!   with an empty `mac`: any change to the header, the public fields or an entry fails it.
//! - The file is written in one canonical rendering and reading re-renders the parsed document
//!   and requires the exact same bytes, so even a change outside any value (whitespace) is
//!   reported instead of silently accepted.
//!
//! All three uses share the master key; they cannot be confused because each has its own
//! associated-data prefix and every seal uses a fresh random 192-bit nonce.
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use jiff::Timestamp;
use mlc_core::ids::TenantId;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::credentials::{CredentialSet, System};
use crate::error::{Result, VaultError};
use crate::key::{MasterKey, random_bytes};

const FORMAT: &str = "mlc-vault";
const VERSION: u64 = 1;
const KDF: &str = "none";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const AAD_KEY_CHECK: &[u8] = b"mlc-vault/v1|key-check";
const AAD_FILE: &[u8] = b"mlc-vault/v1|file|";

/// What `credentials list` shows about one stored set. No secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryInfo {
    /// Tenant id.
    pub tenant: String,
    /// System.
    pub system: System,
    /// Non-secret fields (base_url, username, client_id, environment, role, device_name, ...).
    pub public: BTreeMap<String, String>,
    /// When the set was last stored.
    pub changed_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    format: String,
    version: u64,
    kdf: String,
    key_check: String,
    entries: Vec<DocEntry>,
    mac: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocEntry {
    tenant: String,
    system: System,
    public: BTreeMap<String, String>,
    nonce: String,
    ciphertext: String,
    changed_at: String,
}

impl Doc {
    /// The one rendering we write and accept.
    fn render(&self) -> Result<Vec<u8>> {
        let mut out = serde_json::to_vec_pretty(self)
            .map_err(|_| VaultError::Crypto("rendering the vault file"))?;
        out.push(b'\n');
        Ok(out)
    }

    /// The bytes the file MAC covers: the document with an empty `mac`.
    fn mac_input(&self) -> Result<Vec<u8>> {
        let mut unsealed = self.clone();
        unsealed.mac = String::new();
        let mut aad = AAD_FILE.to_vec();
        aad.extend(unsealed.render()?);
        Ok(aad)
    }
}

struct Stored {
    set: CredentialSet,
    changed_at: Timestamp,
}

/// An opened vault: the decrypted credential sets in memory (secrets wrapped), written back
/// encrypted by [`Vault::save`].
pub struct Vault {
    path: PathBuf,
    key: MasterKey,
    entries: BTreeMap<(String, System), Stored>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("entries", &self.entries.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn cipher(key: &MasterKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.bytes().into())
}

fn entry_aad(tenant: &str, system: System) -> Vec<u8> {
    format!("mlc-vault/v1|{tenant}|{system}").into_bytes()
}

/// Seals nothing under `aad`: returns base64(nonce ‖ tag), a MAC made from the AEAD.
fn tag_seal(key: &MasterKey, aad: &[u8]) -> Result<String> {
    let mut nonce = [0u8; NONCE_LEN];
    random_bytes(&mut nonce)?;
    let tag = cipher(key)
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: b"", aad })
        .map_err(|_| VaultError::Crypto("computing a tag"))?;
    let mut out = nonce.to_vec();
    out.extend(tag);
    Ok(STANDARD.encode(out))
}

/// Checks a tag made by [`tag_seal`]. `None` when the text is not even well formed.
fn tag_verify(key: &MasterKey, aad: &[u8], sealed: &str) -> Option<bool> {
    let raw = STANDARD.decode(sealed).ok()?;
    if raw.len() != NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, tag) = raw.split_at(NONCE_LEN);
    Some(
        cipher(key)
            .decrypt(XNonce::from_slice(nonce), Payload { msg: tag, aad })
            .is_ok(),
    )
}

impl Vault {
    /// Opens the vault at `path` with `key`. A missing file is an empty vault (created on the
    /// first [`Vault::save`]); anything else that does not verify is an error, never a reset.
    pub fn open(path: impl Into<PathBuf>, key: MasterKey) -> Result<Vault> {
        let path = path.into();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Vault {
                    path,
                    key,
                    entries: BTreeMap::new(),
                });
            }
            Err(source) => {
                return Err(VaultError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        let entries = decode(&path, &key, &bytes)?;
        Ok(Vault { path, key, entries })
    }

    /// The vault file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores (replacing) the credential set of `tenant` for its system. Call [`Vault::save`]
    /// to write it.
    pub fn set(&mut self, tenant: &TenantId, set: CredentialSet) {
        self.entries.insert(
            (tenant.as_str().to_owned(), set.system()),
            Stored {
                set,
                changed_at: Timestamp::now(),
            },
        );
    }

    /// Removes a set; true if there was one.
    pub fn remove(&mut self, tenant: &TenantId, system: System) -> bool {
        self.entries
            .remove(&(tenant.as_str().to_owned(), system))
            .is_some()
    }

    /// The credential set of `tenant` for `system`, if stored.
    pub fn get(&self, tenant: &TenantId, system: System) -> Result<Option<CredentialSet>> {
        Ok(self
            .entries
            .get(&(tenant.as_str().to_owned(), system))
            .map(|s| s.set.clone()))
    }

    /// Every stored set, without secrets, ordered by tenant then system.
    pub fn list(&self) -> Vec<EntryInfo> {
        self.entries
            .iter()
            .map(|((tenant, system), s)| EntryInfo {
                tenant: tenant.clone(),
                system: *system,
                public: s.set.public_fields(),
                changed_at: s.changed_at,
            })
            .collect()
    }

    /// Writes the vault atomically: every entry re-encrypted with a fresh nonce into a temp
    /// file in the same directory (mode 0600), fsynced, renamed over the old file, and the
    /// directory fsynced, so a crash leaves either the old or the new vault, never a mix.
    pub fn save(&self) -> Result<()> {
        let bytes = encode(&self.key, &self.entries)?;
        write_atomic(&self.path, &bytes)
    }

    /// Re-encrypts the vault under `new` and writes it. Afterwards only `new` opens it.
    pub fn rotate_key(&mut self, new: MasterKey) -> Result<()> {
        let bytes = encode(&new, &self.entries)?;
        write_atomic(&self.path, &bytes)?;
        self.key = new;
        Ok(())
    }
}

fn encode(key: &MasterKey, entries: &BTreeMap<(String, System), Stored>) -> Result<Vec<u8>> {
    let mut doc = Doc {
        format: FORMAT.into(),
        version: VERSION,
        kdf: KDF.into(),
        key_check: tag_seal(key, AAD_KEY_CHECK)?,
        entries: Vec::with_capacity(entries.len()),
        mac: String::new(),
    };
    let c = cipher(key);
    for ((tenant, system), stored) in entries {
        let plain = stored.set.to_secret_json()?;
        let mut nonce = [0u8; NONCE_LEN];
        random_bytes(&mut nonce)?;
        let ct = c
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &entry_aad(tenant, *system),
                },
            )
            .map_err(|_| VaultError::Crypto("encrypting a credential set"))?;
        doc.entries.push(DocEntry {
            tenant: tenant.clone(),
            system: *system,
            public: stored.set.public_fields(),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ct),
            changed_at: stored.changed_at.to_string(),
        });
    }
    doc.mac = tag_seal(key, &doc.mac_input()?)?;
    doc.render()
}

fn decode(
    path: &Path,
    key: &MasterKey,
    bytes: &[u8],
) -> Result<BTreeMap<(String, System), Stored>> {
    let tampered = |detail: &str| VaultError::Tampered {
        path: path.to_owned(),
        detail: detail.to_owned(),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(VaultError::Truncated {
            path: path.to_owned(),
        });
    }
    // First as a loose value, to tell "other version" and "not a vault" from damage.
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) if e.is_eof() => {
            return Err(VaultError::Truncated {
                path: path.to_owned(),
            });
        }
        Err(e) => {
            // A JSON syntax error in a file that starts like a vault means it was altered.
            return Err(if bytes.starts_with(b"{\n  \"format\": \"mlc-vault\"") {
                tampered(&format!("not valid JSON: {e}"))
            } else {
                VaultError::NotAVault {
                    path: path.to_owned(),
                    detail: format!("not JSON: {e}"),
                }
            });
        }
    };
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        _ => {
            return Err(VaultError::NotAVault {
                path: path.to_owned(),
                detail: format!("no \"format\": \"{FORMAT}\" field"),
            });
        }
    }
    match value.get("version") {
        Some(v) if v.as_u64() == Some(VERSION) => {}
        Some(v) => {
            return Err(VaultError::UnknownVersion {
                path: path.to_owned(),
                found: v.to_string(),
            });
        }
        None => return Err(tampered("no version field")),
    }
    let doc: Doc = serde_json::from_value(value)
        .map_err(|e| tampered(&format!("unexpected structure: {e}")))?;
    if doc.kdf != KDF {
        return Err(tampered("unknown kdf"));
    }
    match tag_verify(key, AAD_KEY_CHECK, &doc.key_check) {
        Some(true) => {}
        Some(false) => {
            return Err(VaultError::WrongKey {
                path: path.to_owned(),
            });
        }
        None => return Err(tampered("malformed key check")),
    }
    if doc.render()? != bytes {
        return Err(tampered("the file was edited outside ml-connector"));
    }
    if tag_verify(key, &doc.mac_input()?, &doc.mac) != Some(true) {
        return Err(tampered("file authentication tag does not match"));
    }
    let c = cipher(key);
    let mut out = BTreeMap::new();
    for e in doc.entries {
        let what = format!("entry {}/{}", e.tenant, e.system);
        let nonce = STANDARD
            .decode(&e.nonce)
            .ok()
            .filter(|n| n.len() == NONCE_LEN)
            .ok_or_else(|| tampered(&format!("{what}: malformed nonce")))?;
        let ct = STANDARD
            .decode(&e.ciphertext)
            .map_err(|_| tampered(&format!("{what}: malformed ciphertext")))?;
        let plain = Zeroizing::new(
            c.decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ct,
                    aad: &entry_aad(&e.tenant, e.system),
                },
            )
            .map_err(|_| {
                tampered(&format!(
                    "{what} does not decrypt: it was altered or belongs to another tenant/system"
                ))
            })?,
        );
        let text = std::str::from_utf8(&plain)
            .map_err(|_| tampered(&format!("{what}: plaintext is not UTF-8")))?;
        // Do not pass the parser's message on: it could quote part of a secret.
        let set = CredentialSet::from_json(e.system, text)
            .map_err(|_| tampered(&format!("{what}: stored credential set is not valid")))?;
        let changed_at: Timestamp = e
            .changed_at
            .parse()
            .map_err(|_| tampered(&format!("{what}: bad changed_at")))?;
        if set.public_fields() != e.public {
            return Err(tampered(&format!("{what}: public fields do not match")));
        }
        out.insert((e.tenant, e.system), Stored { set, changed_at });
    }
    Ok(out)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |action: &'static str, p: &Path| {
        let p = p.to_owned();
        move |source| VaultError::Io {
            action,
            path: p,
            source,
        }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    // The temp file is created 0600 by tempfile and lives in the same directory, so the rename
    // is atomic (same file system) and the secret never sits in a world-readable file.
    let mut tmp = tempfile::Builder::new()
        .prefix(".mlc-vault-")
        .tempfile_in(&dir)
        .map_err(io("create a temporary file next to", path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io("set permissions of", path))?;
    }
    tmp.write_all(bytes).map_err(io("write", path))?;
    tmp.as_file().sync_all().map_err(io("fsync", path))?;
    tmp.persist(path).map_err(|e| VaultError::Io {
        action: "rename a temporary file over",
        path: path.to_owned(),
        source: e.error,
    })?;
    #[cfg(unix)]
    {
        // Make the rename itself durable.
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io("fsync the directory of", path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
