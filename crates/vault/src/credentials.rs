//! Credential sets: what `credentials set TENANT jde|jaggaer` stores and what the clients need.
//!
//! Users give a JSON object (the keys of interface §3). It is parsed strictly (unknown keys are
//! errors that name the key), URLs are validated and normalised, and secrets go straight into
//! [`SecretString`], so a credential set can be logged or `Debug`-printed without leaking them.
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;
use zeroize::Zeroizing;

use crate::error::{Result, VaultError};

/// The external system a credential set is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum System {
    /// JD Edwards EnterpriseOne, through its AIS Server.
    Jde,
    /// JAGGAER One (J1P REST and cXML).
    Jaggaer,
}

impl System {
    /// `jde` or `jaggaer`.
    pub fn as_str(self) -> &'static str {
        match self {
            System::Jde => "jde",
            System::Jaggaer => "jaggaer",
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for System {
    type Err = VaultError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "jde" => Ok(System::Jde),
            "jaggaer" => Ok(System::Jaggaer),
            other => Err(VaultError::UnknownSystem(other.to_owned())),
        }
    }
}

/// Credentials of a tenant's JDE AIS Server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JdeCredentials {
    /// AIS base URL ending in `/` (e.g. `https://ais.example.com:9300/jderest/`); a trailing
    /// `v2/` or `v3/` given by the user has been removed.
    pub base_url: Url,
    /// AIS user.
    pub username: String,
    /// AIS password.
    pub password: SecretString,
    /// JDE environment (e.g. `JPD920`); the AIS default when absent.
    pub environment: Option<String>,
    /// JDE role; the user's default when absent.
    pub role: Option<String>,
    /// AIS device name the token is bound to; see [`JdeCredentials::device_name_for`].
    pub device_name: Option<String>,
    /// Extra CA certificate (PEM) to trust for this server, for private CAs.
    pub ca_cert_pem: Option<String>,
}

impl JdeCredentials {
    /// The device name to use: the configured one, else a stable name derived from the tenant,
    /// so AIS sees the same "device" on every run and does not pile up sessions.
    pub fn device_name_for(&self, tenant: &str) -> String {
        self.device_name
            .clone()
            .unwrap_or_else(|| format!("ml-connector-{tenant}"))
    }
}

/// Credentials of a tenant's JAGGAER instance.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JaggaerCredentials {
    /// J1P base URL ending in `/` (e.g. `https://reg02.api.jaggaer.com/`).
    pub base_url: Url,
    /// OAuth token endpoint, when not the default (see [`JaggaerCredentials::token_url`]).
    pub token_url: Option<Url>,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// Our cXML identity (From/Sender), when cXML is used.
    pub cxml_identity: Option<String>,
    /// cXML shared secret, when cXML is used.
    pub cxml_shared_secret: Option<SecretString>,
    /// XML Router `Identity` (both ways), when `transport = "xml"`.
    pub xml_identity: Option<String>,
    /// XML Router `SharedSecret` (both ways), when `transport = "xml"`.
    pub xml_shared_secret: Option<SecretString>,
    /// Extra CA certificate (PEM) to trust for this server.
    pub ca_cert_pem: Option<String>,
}

impl JaggaerCredentials {
    /// The token endpoint: the configured one or
    /// `{base_url}/auth/realms/J1p-integrations/protocol/openid-connect/token`.
    pub fn token_url(&self) -> Url {
        self.token_url.clone().unwrap_or_else(|| {
            self.base_url
                .join("auth/realms/J1p-integrations/protocol/openid-connect/token")
                // Joining a relative path onto an http(s) base URL cannot fail.
                .unwrap_or_else(|_| self.base_url.clone())
        })
    }
}

/// One tenant's credentials for one system.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CredentialSet {
    /// JDE AIS.
    Jde(JdeCredentials),
    /// JAGGAER.
    Jaggaer(JaggaerCredentials),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJde {
    base_url: String,
    username: String,
    password: SecretString,
    environment: Option<String>,
    role: Option<String>,
    device_name: Option<String>,
    ca_cert_pem: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJaggaer {
    base_url: String,
    token_url: Option<String>,
    client_id: String,
    client_secret: SecretString,
    cxml_identity: Option<String>,
    cxml_shared_secret: Option<SecretString>,
    xml_identity: Option<String>,
    xml_shared_secret: Option<SecretString>,
    ca_cert_pem: Option<String>,
}

/// Borrowed wire forms used only to produce the plaintext that gets encrypted.
#[derive(Serialize)]
struct WireJde<'a> {
    base_url: &'a str,
    username: &'a str,
    password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_cert_pem: Option<&'a str>,
}

#[derive(Serialize)]
struct WireJaggaer<'a> {
    base_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_url: Option<&'a str>,
    client_id: &'a str,
    client_secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cxml_identity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cxml_shared_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xml_identity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xml_shared_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_cert_pem: Option<&'a str>,
}

fn invalid(system: System, message: impl Into<String>) -> VaultError {
    VaultError::InvalidCredentials {
        system,
        message: message.into(),
    }
}

/// Parses and normalises a base URL: http(s) only, a host, no user info (credentials belong in
/// their own fields, and the URL is shown by `credentials list`), no query or fragment, and a
/// trailing `/` so relative paths join under it.
fn parse_base_url(system: System, field: &str, raw: &str, strip_version: bool) -> Result<Url> {
    let mut url = Url::parse(raw.trim()).map_err(|e| {
        invalid(
            system,
            format!("`{field}` {raw:?} is not a URL ({e}); expected e.g. https://host:port/path/"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            system,
            format!("`{field}` must start with https:// (or http://), got {raw:?}"),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(system, format!("`{field}` {raw:?} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            system,
            format!("`{field}` must not contain a user name or password; use the separate fields"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            system,
            format!("`{field}` {raw:?} must not have a query (?...) or fragment (#...)"),
        ));
    }
    let mut path = url.path().trim_end_matches('/').to_owned();
    if strip_version {
        // Users often paste the versioned endpoint; the client adds the version itself.
        for v in ["/v2", "/v3"] {
            if let Some(p) = path.strip_suffix(v) {
                path = p.to_owned();
                break;
            }
        }
    }
    path.push('/');
    url.set_path(&path);
    Ok(url)
}

fn non_empty(system: System, field: &str, value: String) -> Result<String> {
    let t = value.trim();
    if t.is_empty() {
        return Err(invalid(system, format!("`{field}` must not be empty")));
    }
    Ok(t.to_owned())
}

fn opt_non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl CredentialSet {
    /// Parses the JSON object a user gives for `system` (the keys of interface §3). Unknown
    /// keys, missing required keys, empty values and bad URLs are errors naming the key.
    pub fn from_json(system: System, json: &str) -> Result<Self> {
        match system {
            System::Jde => {
                let raw: RawJde =
                    serde_json::from_str(json).map_err(|e| invalid(system, e.to_string()))?;
                Self::from_raw_jde(raw)
            }
            System::Jaggaer => {
                let raw: RawJaggaer =
                    serde_json::from_str(json).map_err(|e| invalid(system, e.to_string()))?;
                Self::from_raw_jaggaer(raw)
            }
        }
    }

    fn from_raw_jde(raw: RawJde) -> Result<Self> {
        let s = System::Jde;
        if raw.password.expose_secret().is_empty() {
            return Err(invalid(s, "`password` must not be empty"));
        }
        Ok(CredentialSet::Jde(JdeCredentials {
            base_url: parse_base_url(s, "base_url", &raw.base_url, true)?,
            username: non_empty(s, "username", raw.username)?,
            password: raw.password,
            environment: opt_non_empty(raw.environment),
            role: opt_non_empty(raw.role),
            device_name: opt_non_empty(raw.device_name),
            ca_cert_pem: opt_non_empty(raw.ca_cert_pem),
        }))
    }

    fn from_raw_jaggaer(raw: RawJaggaer) -> Result<Self> {
        let s = System::Jaggaer;
        if raw.client_secret.expose_secret().is_empty() {
            return Err(invalid(s, "`client_secret` must not be empty"));
        }
        let token_url = match opt_non_empty(raw.token_url) {
            Some(t) => {
                let u = parse_base_url(s, "token_url", &t, false)?;
                // The token endpoint is a full URL, not a base: drop the trailing `/` we added.
                let mut u2 = u.clone();
                u2.set_path(u.path().trim_end_matches('/'));
                Some(u2)
            }
            None => None,
        };
        Ok(CredentialSet::Jaggaer(JaggaerCredentials {
            base_url: parse_base_url(s, "base_url", &raw.base_url, false)?,
            token_url,
            client_id: non_empty(s, "client_id", raw.client_id)?,
            client_secret: raw.client_secret,
            cxml_identity: opt_non_empty(raw.cxml_identity),
            cxml_shared_secret: raw
                .cxml_shared_secret
                .filter(|v| !v.expose_secret().is_empty()),
            xml_identity: opt_non_empty(raw.xml_identity),
            xml_shared_secret: raw
                .xml_shared_secret
                .filter(|v| !v.expose_secret().is_empty()),
            ca_cert_pem: opt_non_empty(raw.ca_cert_pem),
        }))
    }

    /// Which system this set is for.
    pub fn system(&self) -> System {
        match self {
            CredentialSet::Jde(_) => System::Jde,
            CredentialSet::Jaggaer(_) => System::Jaggaer,
        }
    }

    /// The non-secret fields, as shown by `credentials list` and stored unencrypted (but
    /// authenticated) in the vault file.
    pub fn public_fields(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v.to_owned());
            }
        };
        match self {
            CredentialSet::Jde(j) => {
                put("base_url", Some(j.base_url.as_str()));
                put("username", Some(&j.username));
                put("environment", j.environment.as_deref());
                put("role", j.role.as_deref());
                put("device_name", j.device_name.as_deref());
            }
            CredentialSet::Jaggaer(j) => {
                put("base_url", Some(j.base_url.as_str()));
                put("token_url", j.token_url.as_ref().map(Url::as_str));
                put("client_id", Some(&j.client_id));
                put("cxml_identity", j.cxml_identity.as_deref());
                put("xml_identity", j.xml_identity.as_deref());
            }
        }
        m
    }

    /// The plaintext JSON that gets encrypted (the same shape users give). Zeroized on drop.
    pub(crate) fn to_secret_json(&self) -> Result<Zeroizing<Vec<u8>>> {
        // Pre-sized so the serializer does not reallocate and leave copies of secrets behind.
        let mut buf = Zeroizing::new(Vec::with_capacity(16 * 1024));
        let res = match self {
            CredentialSet::Jde(j) => serde_json::to_writer(
                &mut *buf,
                &WireJde {
                    base_url: j.base_url.as_str(),
                    username: &j.username,
                    password: j.password.expose_secret(),
                    environment: j.environment.as_deref(),
                    role: j.role.as_deref(),
                    device_name: j.device_name.as_deref(),
                    ca_cert_pem: j.ca_cert_pem.as_deref(),
                },
            ),
            CredentialSet::Jaggaer(j) => serde_json::to_writer(
                &mut *buf,
                &WireJaggaer {
                    base_url: j.base_url.as_str(),
                    token_url: j.token_url.as_ref().map(Url::as_str),
                    client_id: &j.client_id,
                    client_secret: j.client_secret.expose_secret(),
                    cxml_identity: j.cxml_identity.as_deref(),
                    cxml_shared_secret: j.cxml_shared_secret.as_ref().map(|s| s.expose_secret()),
                    xml_identity: j.xml_identity.as_deref(),
                    xml_shared_secret: j.xml_shared_secret.as_ref().map(|s| s.expose_secret()),
                    ca_cert_pem: j.ca_cert_pem.as_deref(),
                },
            ),
        };
        res.map_err(|_| VaultError::Crypto("serialising a credential set"))?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jde_url_is_normalised_and_version_stripped() {
        for raw in [
            "https://ais.example.com:9300/jderest/v2/",
            "https://ais.example.com:9300/jderest/v3",
            "https://ais.example.com:9300/jderest",
            "https://ais.example.com:9300/jderest/",
        ] {
            let json = format!(r#"{{"base_url":"{raw}","username":"u","password":"p"}}"#);
            let CredentialSet::Jde(j) = CredentialSet::from_json(System::Jde, &json).unwrap()
            else {
                panic!("not jde")
            };
            assert_eq!(j.base_url.as_str(), "https://ais.example.com:9300/jderest/");
        }
    }

    #[test]
    fn unknown_field_is_named() {
        let err = CredentialSet::from_json(
            System::Jde,
            r#"{"base_url":"https://a/","username":"u","password":"p","pasword":"x"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown field `pasword`"), "{err}");
    }

    #[test]
    fn bad_urls_are_rejected() {
        for bad in [
            "ftp://a/",
            "not a url",
            "https://user:pw@a/",
            "https://a/?x=1",
        ] {
            let json = format!(r#"{{"base_url":"{bad}","username":"u","password":"p"}}"#);
            let err = CredentialSet::from_json(System::Jde, &json)
                .unwrap_err()
                .to_string();
            assert!(err.contains("base_url"), "{bad}: {err}");
            assert!(!err.contains("pw@"), "URL password echoed: {err}");
        }
    }

    #[test]
    fn missing_and_empty_fields() {
        let err = CredentialSet::from_json(System::Jaggaer, r#"{"base_url":"https://a/"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `client_id`"), "{err}");
        let err = CredentialSet::from_json(
            System::Jaggaer,
            r#"{"base_url":"https://a/","client_id":"c","client_secret":""}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("client_secret"), "{err}");
    }

    #[test]
    fn jaggaer_token_url_default() {
        let CredentialSet::Jaggaer(j) = CredentialSet::from_json(
            System::Jaggaer,
            r#"{"base_url":"https://reg02.api.jaggaer.com","client_id":"c","client_secret":"s"}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            j.token_url().as_str(),
            "https://reg02.api.jaggaer.com/auth/realms/J1p-integrations/protocol/openid-connect/token"
        );
    }
}
