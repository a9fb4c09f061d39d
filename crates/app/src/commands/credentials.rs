//! `credentials set | list | delete | rotate-key | new-key`.
use std::io::{IsTerminal as _, Read as _, Write as _};

use anyhow::{Context as _, anyhow};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use mlc_core::ids::TenantId;
use mlc_vault::{CredentialSet, MasterKey, System};
use secrecy::{ExposeSecret as _, SecretString};

use crate::cli::{CredentialsCommand, DeleteArgs, GlobalArgs, ListArgs, RotateArgs, SetArgs};
use crate::error::{AppError, AppResult};

/// Largest JSON accepted on stdin; a credential set with a CA certificate is a few KB.
const MAX_STDIN: u64 = 1024 * 1024;

/// Runs a `credentials` subcommand.
pub(crate) fn run(global: &GlobalArgs, cmd: &CredentialsCommand) -> AppResult {
    match cmd {
        CredentialsCommand::Set(args) => set(global, args),
        CredentialsCommand::List(args) => list(global, args),
        CredentialsCommand::Delete(args) => delete(global, args),
        CredentialsCommand::RotateKey(args) => rotate(global, args),
        CredentialsCommand::NewKey => new_key(),
    }
}

fn set(global: &GlobalArgs, args: &SetArgs) -> AppResult {
    let tenant = TenantId::parse(&args.tenant).map_err(|e| {
        AppError::usage(anyhow!("{e}; tenant ids look like \"acme\" or \"acme-eu\""))
    })?;
    let system: System = args.system.parse()?;
    let settings = crate::plumbing::load_settings(global)?;
    // Open (and so verify) the vault before asking for anything: a wrong key should not cost
    // the user a round of typing secrets.
    let mut vault = crate::plumbing::open_vault(&settings)?;

    let json = if args.stdin {
        read_stdin()?
    } else {
        prompt(system)?
    };
    let set = CredentialSet::from_json(system, json.expose_secret())?;
    drop(json);

    if !settings.tenants.iter().any(|t| t.id == tenant) {
        tracing::warn!(
            tenant = %tenant,
            "Tenant is not in the config file; the credentials are stored but unused until it is added."
        );
    }
    warn_plain_http(&set);
    let public = set.public_fields();
    vault.set(&tenant, set);
    vault.save()?;
    tracing::info!(tenant = %tenant, system = %system, "Credential set stored.");

    println!(
        "Stored {system} credentials for tenant {tenant} in {}:",
        vault.path().display()
    );
    for (k, v) in &public {
        println!("  {k}: {v}");
    }
    Ok(())
}

fn delete(global: &GlobalArgs, args: &DeleteArgs) -> AppResult {
    let tenant = TenantId::parse(&args.tenant).map_err(|e| {
        AppError::usage(anyhow!("{e}; tenant ids look like \"acme\" or \"acme-eu\""))
    })?;
    let system: System = args.system.parse()?;
    let settings = crate::plumbing::load_settings(global)?;
    let mut vault = crate::plumbing::open_vault(&settings)?;
    if !vault.remove(&tenant, system) {
        return Err(AppError::usage(anyhow!(
            "no {system} credentials stored for tenant {tenant}; `ml-connector credentials list` shows what is stored"
        )));
    }
    vault.save()?;
    tracing::info!(tenant = %tenant, system = %system, "Credential set deleted.");
    println!(
        "Deleted the {system} credentials of tenant {tenant} from {}.",
        vault.path().display()
    );
    Ok(())
}

/// `http://` is accepted (simulators, a TLS-terminating proxy on the same host), but anything
/// else over plain HTTP sends credentials in clear text, so say so.
fn warn_plain_http(set: &CredentialSet) {
    let url = match set {
        CredentialSet::Jde(j) => &j.base_url,
        CredentialSet::Jaggaer(j) => &j.base_url,
        _ => return,
    };
    if url.scheme() == "http" && !is_loopback(url) {
        tracing::warn!(
            url = %url,
            "Plain http:// to a host that is not loopback: credentials and data travel unencrypted. Use https://."
        );
        eprintln!(
            "warning: {url} uses plain http:// to a host that is not loopback; credentials will \
             travel unencrypted. Use https:// unless a TLS proxy runs on that host."
        );
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn read_stdin() -> AppResult<SecretString> {
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_STDIN)
        .read_to_string(&mut text)
        .context("cannot read the credential JSON from stdin")
        .map_err(AppError::usage)?;
    let secret = SecretString::from(text);
    if secret.expose_secret().trim().is_empty() {
        return Err(AppError::usage(anyhow!(
            "--stdin given but stdin was empty; pipe one JSON object, e.g. \
             echo '{{\"base_url\": \"...\", ...}}' | ml-connector credentials set TENANT SYSTEM --stdin"
        )));
    }
    Ok(secret)
}

/// (key, prompt, secret, required)
type Field = (&'static str, &'static str, bool, bool);

const JDE_FIELDS: &[Field] = &[
    (
        "base_url",
        "AIS base URL (e.g. https://ais.example.com:9300/jderest/)",
        false,
        true,
    ),
    ("username", "AIS user", false, true),
    ("password", "AIS password", true, true),
    (
        "environment",
        "JDE environment (optional, e.g. JPD920)",
        false,
        false,
    ),
    ("role", "JDE role (optional)", false, false),
    ("device_name", "AIS device name (optional)", false, false),
];

const JAGGAER_FIELDS: &[Field] = &[
    (
        "base_url",
        "JAGGAER API base URL (e.g. https://reg02.api.jaggaer.com)",
        false,
        true,
    ),
    (
        "token_url",
        "OAuth token URL (optional, default derived from base URL)",
        false,
        false,
    ),
    ("client_id", "OAuth client id", false, true),
    ("client_secret", "OAuth client secret", true, true),
    ("cxml_identity", "cXML identity (optional)", false, false),
    (
        "cxml_shared_secret",
        "cXML shared secret (optional)",
        true,
        false,
    ),
    (
        "xml_identity",
        "XML Router Identity (optional, transport = \"xml\")",
        false,
        false,
    ),
    (
        "xml_shared_secret",
        "XML Router SharedSecret (optional, transport = \"xml\")",
        true,
        false,
    ),
];

/// Asks for each field on the terminal; secrets are read without echo.
fn prompt(system: System) -> AppResult<SecretString> {
    if !std::io::stdin().is_terminal() {
        return Err(AppError::usage(anyhow!(
            "stdin is not a terminal, so there is nothing to prompt on; pipe the credential \
             JSON and add --stdin"
        )));
    }
    let fields = match system {
        System::Jde => JDE_FIELDS,
        System::Jaggaer => JAGGAER_FIELDS,
    };
    eprintln!("Enter the {system} credentials (optional fields: press Enter to skip).");
    let mut map = serde_json::Map::new();
    for &(key, label, secret, required) in fields {
        loop {
            let value = if secret {
                rpassword::prompt_password(format!("{label}: "))
                    .context("cannot read from the terminal")
                    .map_err(AppError::usage)?
            } else {
                eprint!("{label}: ");
                std::io::stderr().flush().ok();
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("cannot read from the terminal")
                    .map_err(AppError::usage)?;
                line
            };
            let value = value.trim().to_owned();
            if value.is_empty() && required {
                eprintln!("  {key} is required.");
                continue;
            }
            if !value.is_empty() {
                map.insert(key.to_owned(), serde_json::Value::String(value));
            }
            break;
        }
    }
    let text = serde_json::Value::Object(map).to_string();
    Ok(SecretString::from(text))
}

fn list(global: &GlobalArgs, args: &ListArgs) -> AppResult {
    let settings = crate::plumbing::load_settings(global)?;
    let vault = crate::plumbing::open_vault(&settings)?;
    let entries = vault.list();
    if args.json {
        let text = serde_json::to_string_pretty(&entries)
            .context("cannot render JSON")
            .map_err(AppError::failure)?;
        println!("{text}");
        return Ok(());
    }
    if entries.is_empty() {
        println!(
            "No credential sets stored in {}. Add one with `ml-connector credentials set TENANT jde|jaggaer`.",
            vault.path().display()
        );
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["Tenant", "System", "Details", "Last changed (UTC)"]);
    for e in &entries {
        let details: Vec<String> = e.public.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        table.add_row([
            e.tenant.clone(),
            e.system.to_string(),
            details.join("\n"),
            e.changed_at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        ]);
    }
    println!("{table}");
    Ok(())
}

fn rotate(global: &GlobalArgs, args: &RotateArgs) -> AppResult {
    let settings = crate::plumbing::load_settings(global)?;
    if !settings.vault.path.exists() {
        return Err(AppError::usage(anyhow!(
            "there is no vault at {} to re-encrypt; store credentials first",
            settings.vault.path.display()
        )));
    }
    let mut vault = crate::plumbing::open_vault(&settings)?;
    let new = match &args.new_key_file {
        Some(path) => MasterKey::from_file(path)?,
        None => {
            let key = MasterKey::generate()?;
            // Print before re-encrypting: if printing failed after the rewrite, the vault would
            // be locked under a key nobody has.
            eprintln!(
                "warning: the new master key is printed below ONCE. Store it in your secret \
                 manager now; without it the vault cannot be opened."
            );
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", key.to_base64().as_str())
                .and_then(|()| out.flush())
                .context("cannot print the new key; the vault was not changed")
                .map_err(AppError::failure)?;
            key
        }
    };
    let count = vault.list().len();
    vault.rotate_key(new)?;
    eprintln!(
        "Re-encrypted {count} credential set(s) in {} under the new master key. Update \
         ML_CONNECTOR_MASTER_KEY (or the key file) wherever ml-connector runs; the old key no \
         longer opens the vault.",
        vault.path().display()
    );
    Ok(())
}

fn new_key() -> AppResult {
    let key = MasterKey::generate()?;
    eprintln!(
        "A new master key follows. Store it in your secret manager and provide it as \
         ML_CONNECTOR_MASTER_KEY (or in the file named by [vault] key_file)."
    );
    println!("{}", key.to_base64().as_str());
    Ok(())
}
