//! Configuration: read the TOML file, apply environment overrides, validate.
//!
//! # Layout
//! - `raw`: serde structs mirroring the file; unknown keys are errors.
//! - `settings`: validated, typed settings and the defaults.
//! - this module: [`load`], environment overrides and error messages with line numbers.
//!
//! # Environment overrides
//! Any key can be overridden by `ML_CONNECTOR__` followed by its path in upper case, levels
//! separated by a double underscore: `ML_CONNECTOR__STORE__URL=postgres://...`,
//! `ML_CONNECTOR__SERVER__LISTEN=0.0.0.0:8480`. Inside `[[tenants]]`, the level after `TENANTS`
//! is the tenant id (with `-` written as `_`) or its position from 0:
//! `ML_CONNECTOR__TENANTS__ACME__POLL_INTERVAL=1m`,
//! `ML_CONNECTOR__TENANTS__0__JDE__PAGE_SIZE=200`. The value is read as a TOML value when it is
//! one (`200`, `true`, `["OP","OS"]`, `"00200"`), otherwise as text (`1m`, `https://...`).
//! Overrides cannot add tenants: a tenant must exist in the file.
pub(crate) mod raw;
pub(crate) mod settings;

#[cfg(test)]
mod fuzz;

use std::fmt;
use std::path::Path;

use serde::Deserialize as _;
pub(crate) use settings::Settings;

/// Prefix of override variables.
pub(crate) const ENV_PREFIX: &str = "ML_CONNECTOR__";

/// A configuration problem (exit status 2). The message names the file, the key and, when
/// known, the line.
#[derive(Debug)]
pub(crate) struct ConfigError(pub(crate) String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Reads, overrides from the process environment, and validates the config at `path`.
pub(crate) fn load(path: &Path) -> Result<Settings, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError(format!(
                "config file {} not found; create one with `ml-connector init`, or pass \
                 --config PATH (or set ML_CONNECTOR_CONFIG)",
                path.display()
            )));
        }
        Err(e) => {
            return Err(ConfigError(format!(
                "cannot read config file {}: {e}",
                path.display()
            )));
        }
    };
    let env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .collect();
    load_str(&text, path, &env)
}

/// [`load`] on given text and environment (tests use this directly).
pub(crate) fn load_str(
    text: &str,
    path: &Path,
    env: &[(String, String)],
) -> Result<Settings, ConfigError> {
    // Deserialize from the text first: only then do errors carry spans (line numbers).
    let mut raw: raw::RawConfig =
        toml::from_str(text).map_err(|e| ConfigError(toml_error(text, path, &e)))?;
    if !env.is_empty() {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError(toml_error(text, path, &e)))?;
        let mut names = Vec::new();
        for (name, value) in env {
            apply_override(&mut table, name, value)?;
            names.push(name.as_str());
        }
        raw = raw::RawConfig::deserialize(table).map_err(|e| {
            ConfigError(format!(
                "invalid configuration after applying environment overrides ({}): {}",
                names.join(", "),
                friendly_message(e.message())
            ))
        })?;
    }
    settings::validate(raw).map_err(|problems| {
        ConfigError(format!(
            "invalid configuration in {}:\n  - {}",
            path.display(),
            problems.join("\n  - ")
        ))
    })
}

/// Rewrites serde's "unknown field" wording in terms of config keys.
fn friendly_message(msg: &str) -> String {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (key, expected) = match rest.split_once(", expected ") {
            Some((k, e)) => (k, e),
            None => (rest, ""),
        };
        if expected.is_empty() {
            return format!("unknown key {key}");
        }
        let expected = expected.strip_prefix("one of ").unwrap_or(expected);
        return format!("unknown key {key}; expected one of {expected}");
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return format!("missing key {rest}");
    }
    msg.to_owned()
}

/// `unknown key `foo` at line 12 of ml-connector.toml; expected one of ...`.
fn toml_error(text: &str, path: &Path, e: &toml::de::Error) -> String {
    let msg = friendly_message(e.message());
    let Some(span) = e.span() else {
        return format!("{} in {}", msg, path.display());
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    let where_ = format!("at line {line}, column {column} of {}", path.display());
    // Put the location right after the key so the message reads naturally.
    match msg.split_once("; ") {
        Some((head, tail)) if head.starts_with("unknown key") => {
            format!("{head} at line {line} of {}; {tail}", path.display())
        }
        _ => format!("{msg} {where_}"),
    }
}

fn env_value(raw: &str) -> toml::Value {
    // `v = <raw>` parses when raw is a TOML value; otherwise it is plain text.
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

fn apply_override(table: &mut toml::Table, name: &str, value: &str) -> Result<(), ConfigError> {
    let path: Vec<String> = name[ENV_PREFIX.len()..]
        .split("__")
        .map(str::to_ascii_lowercase)
        .collect();
    let bad = |why: &str| ConfigError(format!("environment variable {name}: {why}"));
    if path.iter().any(String::is_empty) {
        return Err(bad(
            "empty level in the name (use exactly two underscores between levels)",
        ));
    }
    let mut segs = path.as_slice();
    let mut current = table;
    if segs[0] == "tenants" {
        let Some(sel) = segs.get(1) else {
            return Err(bad(
                "name a tenant: ML_CONNECTOR__TENANTS__<ID or INDEX>__<KEY>",
            ));
        };
        let tenants = current
            .get_mut("tenants")
            .and_then(toml::Value::as_array_mut)
            .ok_or_else(|| bad("the config file has no [[tenants]]"))?;
        let idx = match sel.parse::<usize>() {
            Ok(i) if i < tenants.len() => i,
            Ok(i) => return Err(bad(&format!("there is no tenant at position {i}"))),
            Err(_) => tenants
                .iter()
                .position(|t| {
                    t.get("id")
                        .and_then(toml::Value::as_str)
                        .is_some_and(|id| id.replace('-', "_") == *sel)
                })
                .ok_or_else(|| bad(&format!("no tenant with id {sel:?} in the config file")))?,
        };
        current = tenants[idx]
            .as_table_mut()
            .ok_or_else(|| bad("the tenant entry is not a table"))?;
        segs = &segs[2..];
        if segs.is_empty() {
            return Err(bad("name a key after the tenant"));
        }
    }
    let (last, parents) = segs.split_last().ok_or_else(|| bad("no key named"))?;
    for seg in parents {
        let entry = current
            .entry(seg.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry
            .as_table_mut()
            .ok_or_else(|| bad(&format!("`{seg}` is not a table")))?;
    }
    current.insert(last.clone(), env_value(value));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[[tenants]]
id = "acme"
poll_interval = "5m"
jde_timezone = "America/Chicago"

[tenants.mapping]
tax_account = "100.2310"
charge_accounts = { freight = "100.6210", handling = "100.6210", misc = "100.6290", discount = "100.6295" }
"#;

    fn load(text: &str) -> Result<Settings, String> {
        load_str(text, Path::new("ml-connector.toml"), &[]).map_err(|e| e.0)
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let s = load(MINIMAL).unwrap();
        assert_eq!(s.store_url, "sqlite://ml-connector.db");
        assert_eq!(s.tenants[0].jde.page_size, 500);
        assert_eq!(s.tenants[0].sync.lookback.as_secs(), 7200);
        assert_eq!(s.tenants[0].sync.cycle_deadline.as_secs(), 30 * 60);
    }

    #[test]
    fn cycle_deadline_can_be_set_and_is_bounded() {
        let s = load(&(MINIMAL.to_owned() + "[tenants.sync]\ncycle_deadline = \"5m\"\n")).unwrap();
        assert_eq!(s.tenants[0].sync.cycle_deadline.as_secs(), 300);
        let err = load(&(MINIMAL.to_owned() + "[tenants.sync]\ncycle_deadline = \"1s\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cycle_deadline"), "{err}");
    }

    #[test]
    fn xml_transport_has_router_paths_and_polls_invoices_unless_told_not_to() {
        let s = load(&format!(
            "{MINIMAL}\n[tenants.jaggaer]\ntransport = \"xml\"\n"
        ))
        .unwrap();
        let j = &s.tenants[0].jaggaer;
        assert!(matches!(j.transport, raw::Transport::Xml));
        assert!(j.poll_invoices);
        assert_eq!(j.export_invoice_id, "InvoiceId");
        assert_eq!(j.xml_paths.suppliers, "/apps/Router/TSMSupplierXMLImport");
        assert_eq!(j.xml_paths.purchase_orders, "/apps/Router/POXMLImport");
        let s = load(&format!(
            "{MINIMAL}\n[tenants.jaggaer]\ntransport = \"xml\"\npoll_invoices = false\n\
             export_invoice_id = \"VoucherId\"\n[tenants.jaggaer.xml_paths]\nsuppliers = \"/apps/Router/Sup\"\n"
        ))
        .unwrap();
        let j = &s.tenants[0].jaggaer;
        assert!(!j.poll_invoices);
        assert_eq!(j.export_invoice_id, "VoucherId");
        assert_eq!(j.xml_paths.suppliers, "/apps/Router/Sup");
        // With rest the poll is the only way invoices arrive: turning it off is refused.
        let err = load(&format!(
            "{MINIMAL}\n[tenants.jaggaer]\npoll_invoices = false\n"
        ))
        .unwrap_err();
        assert!(err.contains("poll_invoices"), "{err}");
        let err = load(&format!(
            "{MINIMAL}\n[tenants.jaggaer.xml_paths]\norders = \"/x\"\n"
        ))
        .unwrap_err();
        assert!(err.contains("orders"), "unknown keys are errors: {err}");
    }

    #[test]
    fn inactive_suppliers_default_to_none_and_can_be_set() {
        use mlc_engine::mapping::supplier::{InactiveRule, RuleTable};
        let s = load(MINIMAL).unwrap();
        assert_eq!(
            s.tenants[0].mapping.inactive_suppliers,
            InactiveRule::default()
        );
        assert!(s.tenants[0].mapping.inactive_suppliers.values.is_empty());
        // The line goes in the existing [tenants.mapping] table (the last one of MINIMAL).
        let with = |rule: &str| load(&format!("{MINIMAL}inactive_suppliers = {rule}\n"));
        let s = with(r#"{ column = "F0401.CMGR", values = ["X", " C "] }"#).unwrap();
        let rule = &s.tenants[0].mapping.inactive_suppliers;
        assert_eq!(
            (rule.table, rule.column.as_str(), rule.values.clone()),
            (
                RuleTable::F0401,
                "CMGR",
                vec!["X".to_owned(), "C".to_owned()]
            )
        );
        let err = with(r#"{ column = "F4301.HOLD", values = ["X"] }"#).unwrap_err();
        assert!(err.contains("inactive_suppliers"), "{err}");
        assert!(with(r#"{ values = ["X"] }"#).is_err());
    }

    #[test]
    fn account_scope_defaults_to_all_and_can_be_set() {
        let s = load(MINIMAL).unwrap();
        assert_eq!(s.tenants[0].mapping.account_scope, Default::default());
        let s = load(&format!(
            "{MINIMAL}account_companies = [\"200\"]\naccount_objects = [\"6000-7999\"]\n"
        ))
        .unwrap();
        let scope = &s.tenants[0].mapping.account_scope;
        assert_eq!(
            (scope.companies.clone(), scope.objects.clone()),
            (
                vec!["00200".to_owned()],
                vec![("6000".to_owned(), "7999".to_owned())]
            )
        );
        let err = load(&format!("{MINIMAL}account_objects = [\"7999-6000\"]\n")).unwrap_err();
        assert!(err.contains("account_objects"), "{err}");
    }

    #[test]
    fn po_status_codes_default_and_can_be_set() {
        let s = load(MINIMAL).unwrap();
        let jde = &s.tenants[0].jde;
        assert_eq!(
            (
                jde.po_cancelled_status.as_str(),
                jde.po_closed_status.as_str()
            ),
            ("980", "999")
        );
        let text = format!(
            "{MINIMAL}\n[tenants.jde]\npo_cancelled_status = \"985\"\npo_closed_status = \" 990 \"\n"
        );
        let s = load(&text).unwrap();
        let jde = &s.tenants[0].jde;
        assert_eq!(
            (
                jde.po_cancelled_status.as_str(),
                jde.po_closed_status.as_str()
            ),
            ("985", "990")
        );
        let err = load(&format!(
            "{MINIMAL}\n[tenants.jde]\npo_closed_status = \"\"\n"
        ))
        .unwrap_err();
        assert!(
            err.contains("po_closed_status`: must not be empty"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = format!("{MINIMAL}\n[tenants.jde]\npage_sise = 10\n");
        let err = load(&text).unwrap_err();
        let line = text
            .lines()
            .position(|l| l.starts_with("page_sise"))
            .unwrap()
            + 1;
        assert!(
            err.starts_with(&format!(
                "unknown key `page_sise` at line {line} of ml-connector.toml; expected one of"
            )),
            "{err}"
        );
        assert!(err.contains("`page_size`"), "{err}");
    }

    #[test]
    fn validation_errors_are_collected() {
        let text = MINIMAL
            .replace("\"5m\"", "\"5 minutes\"")
            .replace("America/Chicago", "America/Chicagoo")
            .replace("\"100.2310\"", "\"1002310\"")
            + "[tenants.sync]\nlookback = \"1h\"\n[tenants.jde]\npage_size = 0\n";
        let err = load(&text).unwrap_err();
        for needle in [
            "poll_interval`: \"5 minutes\" is not a duration",
            "unknown time zone \"America/Chicagoo\"",
            "tax_account`: \"1002310\" is not a JDE account",
            "lookback`: \"1h\" is too short",
            "page_size`: 0 is out of range",
        ] {
            assert!(err.contains(needle), "{needle} missing in {err}");
        }
    }

    #[test]
    fn schedule_and_interval_conflict_and_bad_cron() {
        let both = MINIMAL.replace(
            "poll_interval = \"5m\"",
            "poll_interval = \"5m\"\nschedule = \"*/5 * * * *\"",
        );
        assert!(load(&both).unwrap_err().contains("not both"));
        let bad = MINIMAL.replace("poll_interval = \"5m\"", "schedule = \"*/5 * * *x\"");
        assert!(load(&bad).unwrap_err().contains("is not a cron expression"));
        let good = MINIMAL.replace("poll_interval = \"5m\"", "schedule = \"*/5 * * * *\"");
        assert!(matches!(
            load(&good).unwrap().tenants[0].cadence,
            settings::Cadence::Cron(_)
        ));
    }

    #[test]
    fn duplicate_and_bad_tenant_ids() {
        let dup = format!("{MINIMAL}{}", MINIMAL);
        assert!(load(&dup).unwrap_err().contains("used twice"));
        let bad = MINIMAL.replace("id = \"acme\"", "id = \"Acme Corp\"");
        assert!(load(&bad).unwrap_err().contains("invalid tenant id"));
    }

    #[test]
    fn env_overrides_apply() {
        let env = vec![
            (
                "ML_CONNECTOR__STORE__URL".to_owned(),
                "sqlite::memory:".to_owned(),
            ),
            (
                "ML_CONNECTOR__TENANTS__ACME__JDE__PAGE_SIZE".to_owned(),
                "200".to_owned(),
            ),
            (
                "ML_CONNECTOR__TENANTS__0__POLL_INTERVAL".to_owned(),
                "1m".to_owned(),
            ),
            (
                "ML_CONNECTOR__TENANTS__ACME__JDE__COMPANY".to_owned(),
                "00300".to_owned(),
            ),
        ];
        let s = load_str(MINIMAL, Path::new("x.toml"), &env).unwrap();
        assert_eq!(s.store_url, "sqlite::memory:");
        assert_eq!(s.tenants[0].jde.page_size, 200);
        assert_eq!(s.tenants[0].jde.company, "00300");
        assert!(matches!(s.tenants[0].cadence, settings::Cadence::Every(d) if d.as_secs() == 60));
        let env = vec![("ML_CONNECTOR__STORE__URLL".to_owned(), "x".to_owned())];
        let err = load_str(MINIMAL, Path::new("x.toml"), &env).unwrap_err().0;
        assert!(
            err.contains("ML_CONNECTOR__STORE__URLL") && err.contains("unknown key `urll`"),
            "{err}"
        );
        let env = vec![(
            "ML_CONNECTOR__TENANTS__GLOBEX__POLL_INTERVAL".to_owned(),
            "1m".to_owned(),
        )];
        assert!(
            load_str(MINIMAL, Path::new("x.toml"), &env)
                .unwrap_err()
                .0
                .contains("no tenant with id")
        );
    }
}
