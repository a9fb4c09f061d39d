//! Vault file tests: round trip, wrong key, tampering of every byte, truncation, rotation, AAD
//! binding, and that no secret ever reaches the file, `Debug` output, errors or logs.
use super::*;

const JDE_PW: &str = "Jde-Pa55word-7f3a";
const JAG_SECRET: &str = "jag-client-secret-91c2";
const CXML_SECRET: &str = "cxml-shared-secret-4d0e";

fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn jde_set() -> CredentialSet {
    CredentialSet::from_json(
        System::Jde,
        &format!(
            r#"{{"base_url":"https://ais.example.com:9300/jderest/v2/","username":"MLCONN",
                "password":"{JDE_PW}","environment":"JPD920","role":"*ALL"}}"#
        ),
    )
    .unwrap()
}

fn jaggaer_set() -> CredentialSet {
    CredentialSet::from_json(
        System::Jaggaer,
        &format!(
            r#"{{"base_url":"https://reg02.api.jaggaer.com","client_id":"mlc-acme",
                "client_secret":"{JAG_SECRET}","cxml_identity":"AN0100","cxml_shared_secret":"{CXML_SECRET}"}}"#
        ),
    )
    .unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    key: MasterKey,
}

/// A saved vault with two tenants and both systems.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.vault");
    let key = MasterKey::generate().unwrap();
    let mut v = Vault::open(&path, key.clone()).unwrap();
    v.set(&acme(), jde_set());
    v.set(&acme(), jaggaer_set());
    v.set(&TenantId::parse("globex").unwrap(), jde_set());
    v.save().unwrap();
    Fixture {
        _dir: dir,
        path,
        key,
    }
}

fn password(set: &CredentialSet) -> String {
    use secrecy::ExposeSecret as _;
    match set {
        CredentialSet::Jde(j) => j.password.expose_secret().to_owned(),
        CredentialSet::Jaggaer(j) => j.client_secret.expose_secret().to_owned(),
    }
}

#[test]
fn missing_file_is_an_empty_vault() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open(dir.path().join("none"), MasterKey::generate().unwrap()).unwrap();
    assert!(v.list().is_empty());
    assert!(v.get(&acme(), System::Jde).unwrap().is_none());
}

#[test]
fn round_trip() {
    let f = fixture();
    let v = Vault::open(&f.path, f.key.clone()).unwrap();
    let jde = v.get(&acme(), System::Jde).unwrap().unwrap();
    assert_eq!(password(&jde), JDE_PW);
    let CredentialSet::Jde(j) = &jde else {
        panic!()
    };
    assert_eq!(j.base_url.as_str(), "https://ais.example.com:9300/jderest/");
    assert_eq!(j.environment.as_deref(), Some("JPD920"));
    let jag = v.get(&acme(), System::Jaggaer).unwrap().unwrap();
    assert_eq!(password(&jag), JAG_SECRET);
    let list = v.list();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].tenant, "acme");
    assert_eq!(list[0].public["username"], "MLCONN");
    assert_eq!(list[2].tenant, "globex");
}

#[test]
fn set_replaces_previous_set() {
    let f = fixture();
    let mut v = Vault::open(&f.path, f.key.clone()).unwrap();
    v.set(
        &acme(),
        CredentialSet::from_json(
            System::Jde,
            r#"{"base_url":"https://ais2/","username":"OTHER","password":"new-pw"}"#,
        )
        .unwrap(),
    );
    v.save().unwrap();
    let v = Vault::open(&f.path, f.key.clone()).unwrap();
    assert_eq!(v.list().len(), 3);
    assert_eq!(
        password(&v.get(&acme(), System::Jde).unwrap().unwrap()),
        "new-pw"
    );
}

#[test]
fn each_save_uses_fresh_nonces() {
    let f = fixture();
    let before = std::fs::read_to_string(&f.path).unwrap();
    Vault::open(&f.path, f.key.clone()).unwrap().save().unwrap();
    let after = std::fs::read_to_string(&f.path).unwrap();
    let nonces = |s: &str| -> Vec<String> {
        let d: Doc = serde_json::from_str(s).unwrap();
        d.entries.into_iter().map(|e| e.nonce).collect()
    };
    let (a, b) = (nonces(&before), nonces(&after));
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x != y));
}

#[test]
fn wrong_key_is_reported_as_such() {
    let f = fixture();
    let err = Vault::open(&f.path, MasterKey::generate().unwrap()).unwrap_err();
    assert!(matches!(err, VaultError::WrongKey { .. }), "{err:?}");
    assert!(err.to_string().contains("master key does not open"));
}

#[test]
fn every_flipped_byte_is_detected() {
    let f = fixture();
    let good = std::fs::read(&f.path).unwrap();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        std::fs::write(&f.path, &bad).unwrap();
        assert!(
            Vault::open(&f.path, f.key.clone()).is_err(),
            "flip at byte {i} ({:?}) went unnoticed",
            good[i] as char
        );
    }
}

/// Flips one character inside the value of `field` of the first entry (or the document).
fn flip_in_value(f: &Fixture, field: &str, entry: bool) -> VaultError {
    let good = std::fs::read_to_string(&f.path).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&good).unwrap();
    let target = if entry {
        &mut doc["entries"][0][field]
    } else {
        &mut doc[field]
    };
    let s = target.as_str().unwrap().to_owned();
    // Change a character in the middle (a base64 char stays base64).
    let mut chars: Vec<char> = s.chars().collect();
    let mid = chars.len() / 2;
    chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
    *target = serde_json::Value::String(chars.into_iter().collect());
    let mut text = serde_json::to_string_pretty(&doc).unwrap();
    text.push('\n');
    std::fs::write(&f.path, text).unwrap();
    Vault::open(&f.path, f.key.clone()).unwrap_err()
}

#[test]
fn tampering_by_position_class_is_reported_as_tampered() {
    for (field, entry) in [
        ("kdf", false),
        ("mac", false),
        ("nonce", true),
        ("ciphertext", true),
        ("tenant", true),
        ("changed_at", true),
    ] {
        let f = fixture();
        let err = flip_in_value(&f, field, entry);
        assert!(
            matches!(err, VaultError::Tampered { .. }),
            "{field}: {err:?}"
        );
    }
    // A public field (shown by `credentials list`) is authenticated too.
    let f = fixture();
    let text = std::fs::read_to_string(&f.path)
        .unwrap()
        .replacen("MLCONN", "EVILUSER", 1);
    std::fs::write(&f.path, text).unwrap();
    assert!(matches!(
        Vault::open(&f.path, f.key.clone()).unwrap_err(),
        VaultError::Tampered { .. }
    ));
    // The ciphertext's last bytes are the Poly1305 tag.
    let f = fixture();
    let text = std::fs::read_to_string(&f.path).unwrap();
    let mut doc: Doc = serde_json::from_str(&text).unwrap();
    let mut ct = STANDARD.decode(&doc.entries[0].ciphertext).unwrap();
    let n = ct.len();
    ct[n - 1] ^= 1;
    doc.entries[0].ciphertext = STANDARD.encode(ct);
    doc.mac = tag_seal(&f.key, &doc.mac_input().unwrap()).unwrap();
    std::fs::write(&f.path, doc.render().unwrap()).unwrap();
    let err = Vault::open(&f.path, f.key.clone()).unwrap_err();
    assert!(err.to_string().contains("does not decrypt"), "{err}");
}

#[test]
fn unknown_version_and_foreign_files() {
    let f = fixture();
    let text =
        std::fs::read_to_string(&f.path)
            .unwrap()
            .replacen("\"version\": 1", "\"version\": 2", 1);
    std::fs::write(&f.path, text).unwrap();
    let err = Vault::open(&f.path, f.key.clone()).unwrap_err();
    assert!(
        matches!(err, VaultError::UnknownVersion { ref found, .. } if found == "2"),
        "{err:?}"
    );
    std::fs::write(&f.path, "[1, 2]").unwrap();
    assert!(matches!(
        Vault::open(&f.path, f.key.clone()).unwrap_err(),
        VaultError::NotAVault { .. }
    ));
}

#[test]
fn truncated_file_is_reported() {
    let f = fixture();
    let good = std::fs::read(&f.path).unwrap();
    for cut in [0, 1, 40, good.len() / 2, good.len() - 3] {
        std::fs::write(&f.path, &good[..cut]).unwrap();
        let err = Vault::open(&f.path, f.key.clone()).unwrap_err();
        assert!(
            matches!(err, VaultError::Truncated { .. }),
            "cut {cut}: {err:?}"
        );
    }
}

#[test]
fn rotate_key_old_fails_new_works() {
    let f = fixture();
    let mut v = Vault::open(&f.path, f.key.clone()).unwrap();
    let new = MasterKey::generate().unwrap();
    v.rotate_key(new.clone()).unwrap();
    assert!(matches!(
        Vault::open(&f.path, f.key.clone()).unwrap_err(),
        VaultError::WrongKey { .. }
    ));
    let v = Vault::open(&f.path, new).unwrap();
    assert_eq!(
        password(&v.get(&acme(), System::Jde).unwrap().unwrap()),
        JDE_PW
    );
    assert_eq!(v.list().len(), 3);
}

#[test]
fn ciphertext_moved_to_another_tenant_does_not_open() {
    // Swap the sealed parts of acme/jde and globex/jde and re-seal the file tag with the right
    // key, as an attacker holding the key would have to: the per-entry AAD still catches it.
    let f = fixture();
    let mut doc: Doc = serde_json::from_str(&std::fs::read_to_string(&f.path).unwrap()).unwrap();
    let a = doc
        .entries
        .iter()
        .position(|e| e.tenant == "acme" && e.system == System::Jde)
        .unwrap();
    let g = doc
        .entries
        .iter()
        .position(|e| e.tenant == "globex")
        .unwrap();
    let (an, ac) = (
        doc.entries[a].nonce.clone(),
        doc.entries[a].ciphertext.clone(),
    );
    doc.entries[a].nonce = doc.entries[g].nonce.clone();
    doc.entries[a].ciphertext = doc.entries[g].ciphertext.clone();
    doc.entries[g].nonce = an;
    doc.entries[g].ciphertext = ac;
    doc.mac = tag_seal(&f.key, &doc.mac_input().unwrap()).unwrap();
    std::fs::write(&f.path, doc.render().unwrap()).unwrap();
    let err = Vault::open(&f.path, f.key.clone()).unwrap_err();
    assert!(matches!(err, VaultError::Tampered { .. }), "{err:?}");
    assert!(err.to_string().contains("another tenant/system"), "{err}");
    // Without re-sealing, the file tag alone catches it.
    let f = fixture();
    let text = std::fs::read_to_string(&f.path).unwrap();
    let mut doc: Doc = serde_json::from_str(&text).unwrap();
    doc.entries.swap(0, 1);
    let (t0, s0) = (doc.entries[0].tenant.clone(), doc.entries[0].system);
    doc.entries[0].tenant = doc.entries[1].tenant.clone();
    doc.entries[0].system = doc.entries[1].system;
    doc.entries[1].tenant = t0;
    doc.entries[1].system = s0;
    std::fs::write(&f.path, doc.render().unwrap()).unwrap();
    assert!(Vault::open(&f.path, f.key.clone()).is_err());
}

#[test]
fn file_never_contains_secrets_and_is_private() {
    let f = fixture();
    let text = std::fs::read_to_string(&f.path).unwrap();
    for s in [JDE_PW, JAG_SECRET, CXML_SECRET] {
        assert!(!text.contains(s), "secret {s} in the file");
    }
    assert!(text.contains("\"username\": \"MLCONN\""));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&f.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // No temp files are left behind.
    let names: Vec<_> = std::fs::read_dir(f.path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn debug_output_never_contains_secrets() {
    let f = fixture();
    let v = Vault::open(&f.path, f.key.clone()).unwrap();
    let key_text = f.key.to_base64().to_string();
    let mut outputs = vec![
        format!("{:?}", jde_set()),
        format!("{:#?}", jaggaer_set()),
        format!("{v:?}"),
        format!("{:?}", v.list()),
        format!("{:?}", f.key),
        format!("{:?}", v.get(&acme(), System::Jaggaer).unwrap()),
    ];
    // Errors from bad input that contains a secret must not echo it.
    let err = CredentialSet::from_json(
        System::Jde,
        &format!(r#"{{"base_url":"https://a/","username":"u","password":"{JDE_PW}","x":1}}"#),
    )
    .unwrap_err();
    outputs.push(format!("{err:?} {err}"));
    let err = Vault::open(&f.path, MasterKey::generate().unwrap()).unwrap_err();
    outputs.push(format!("{err:?} {err}"));
    for out in outputs {
        for s in [JDE_PW, JAG_SECRET, CXML_SECRET, key_text.as_str()] {
            assert!(!out.contains(s), "secret leaked in {out}");
        }
    }
}

#[test]
fn logging_a_credential_set_does_not_print_secrets() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let jde = jde_set();
        let jag = jaggaer_set();
        tracing::info!(credentials = ?jde, "Stored JDE credentials.");
        tracing::warn!(?jag, "Stored JAGGAER credentials.");
    });
    let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(out.contains("Stored JDE credentials."), "{out}");
    assert!(out.contains("MLCONN"), "{out}");
    for s in [JDE_PW, JAG_SECRET, CXML_SECRET] {
        assert!(!out.contains(s), "secret leaked in log: {out}");
    }
}
