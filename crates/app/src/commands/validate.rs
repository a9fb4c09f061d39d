//! `validate`: checks the config, the master key, the vault (and that every tenant has the
//! credential sets its transport needs) and the store, without side effects: it creates no
//! file, opens the SQLite store read-only (only if it exists), migrates nothing and talks to
//! neither JDE nor JAGGAER (that is `ping`).
//!
//! Exit status by failure class (interface §1): `2` for what the operator fixes in the
//! configuration (config file, master key, missing credentials), `1` for what is broken or
//! unreachable (a damaged vault, a store that does not answer or was migrated by a newer
//! build), `0` when everything checks. Every failed check is printed, not only the first.
use std::path::Path;

use anyhow::anyhow;
use mlc_vault::{CredentialSet, System};
use serde_json::json;

use crate::cli::{GlobalArgs, ValidateArgs};
use crate::config::{self, raw::Transport};
use crate::error::{AppError, AppResult, Exit};
use crate::plumbing::block_on;

/// One check's outcome.
struct Check {
    name: String,
    /// `None` = passed; `Some(exit)` = failed with that class.
    failed: Option<Exit>,
    detail: String,
}

#[derive(Default)]
struct Report {
    checks: Vec<Check>,
}

impl Report {
    fn ok(&mut self, name: impl Into<String>, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            failed: None,
            detail: detail.into(),
        });
    }
    fn fail(&mut self, name: impl Into<String>, exit: Exit, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            failed: Some(exit),
            detail: detail.into(),
        });
    }
    /// The worst class: configuration (2) outranks broken (1).
    fn exit(&self) -> Option<Exit> {
        let classes = self.checks.iter().filter_map(|c| c.failed);
        classes.max_by_key(|e| match e {
            Exit::Usage => 2,
            Exit::Failure => 1,
            Exit::Differences => 0,
        })
    }
}

/// Runs `validate`.
pub(crate) fn run(global: &GlobalArgs, args: &ValidateArgs) -> AppResult {
    let report = checks(&global.config);
    if args.json {
        let doc = json!({
            "status": if report.exit().is_none() { "ok" } else { "failed" },
            "checks": report.checks.iter().map(|c| json!({
                "check": c.name,
                "result": match c.failed {
                    None => "ok",
                    Some(Exit::Usage) => "config",
                    Some(_) => "failed",
                },
                "detail": c.detail,
            })).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&doc).map_err(AppError::failure)?;
        println!("{text}");
    } else {
        for c in &report.checks {
            let mark = if c.failed.is_none() { "OK  " } else { "FAIL" };
            println!("{mark} {:<36} {}", c.name, c.detail);
        }
    }
    match report.exit() {
        None => Ok(()),
        Some(exit) => {
            let n = report.checks.iter().filter(|c| c.failed.is_some()).count();
            let error = anyhow!(
                "{n} check{} failed; each FAIL line above says what to fix",
                if n == 1 { "" } else { "s" }
            );
            Err(match exit {
                Exit::Usage => AppError::usage(error),
                _ => AppError::failure(error),
            })
        }
    }
}

fn checks(config_path: &Path) -> Report {
    let mut r = Report::default();
    let settings = match config::load(config_path) {
        Ok(s) => {
            r.ok(
                "config",
                format!("{} ({} tenant(s))", config_path.display(), s.tenants.len()),
            );
            s
        }
        Err(e) => {
            r.fail("config", Exit::Usage, e.to_string());
            return r;
        }
    };

    // The master key and the vault.
    match crate::plumbing::master_key(&settings) {
        Err(e) => r.fail("master key", e.exit, format!("{:#}", e.error)),
        Ok(key) => {
            r.ok("master key", "found and well formed");
            let path = &settings.vault.path;
            if !path.exists() {
                r.fail(
                    "vault",
                    Exit::Usage,
                    format!(
                        "{} does not exist; store credentials with `ml-connector credentials set TENANT jde|jaggaer`",
                        path.display()
                    ),
                );
            } else {
                match mlc_vault::Vault::open(path, key) {
                    Err(e) => {
                        let e = AppError::from(e);
                        r.fail("vault", e.exit, format!("{:#}", e.error));
                    }
                    Ok(vault) => {
                        r.ok("vault", format!("{} opens with this key", path.display()));
                        credentials(&mut r, &settings, &vault);
                    }
                }
            }
        }
    }

    // The store, read-only.
    let shown = config::settings::redact_url(&settings.store_url);
    match block_on(mlc_store::check::check(&settings.store_url)) {
        Err(e) => r.fail("store", Exit::Failure, format!("{:#}", e.error)),
        Ok(Err(e)) => {
            let exit = if matches!(e, mlc_store::StoreError::UnsupportedUrl(_)) {
                Exit::Usage
            } else {
                Exit::Failure
            };
            r.fail("store", exit, format!("{shown}: {e}"));
        }
        Ok(Ok(c)) if !c.unknown.is_empty() => r.fail(
            "store",
            Exit::Failure,
            format!(
                "{shown} has migrations {:?} this build does not know: it was upgraded by a newer \
                 ml-connector; run that version (downgrades are not supported)",
                c.unknown
            ),
        ),
        Ok(Ok(c)) if !c.exists => r.ok(
            "store",
            format!("{shown} does not exist yet; `ml-connector migrate` or the first start creates it"),
        ),
        Ok(Ok(c)) if !c.pending.is_empty() => r.ok(
            "store",
            format!(
                "{shown} ({}) reachable; {} migration(s) pending, applied by `ml-connector migrate` or on start",
                c.backend,
                c.pending.len()
            ),
        ),
        Ok(Ok(c)) => r.ok(
            "store",
            format!("{shown} ({}) reachable, schema up to date", c.backend),
        ),
    }
    r
}

/// Every tenant has a JDE and a JAGGAER set, with the fields its transport needs.
fn credentials(r: &mut Report, settings: &config::Settings, vault: &mlc_vault::Vault) {
    for t in &settings.tenants {
        for system in [System::Jde, System::Jaggaer] {
            let name = format!("credentials {} {system}", t.id);
            match vault.get(&t.id, system) {
                Err(e) => {
                    let e = AppError::from(e);
                    r.fail(name, e.exit, format!("{:#}", e.error));
                }
                Ok(None) => r.fail(
                    name,
                    Exit::Usage,
                    format!(
                        "none stored; `ml-connector credentials set {} {system}`",
                        t.id
                    ),
                ),
                Ok(Some(CredentialSet::Jaggaer(j))) => {
                    let missing: Vec<&str> = match t.jaggaer.transport {
                        Transport::Cxml => [
                            ("cxml_identity", j.cxml_identity.is_none()),
                            ("cxml_shared_secret", j.cxml_shared_secret.is_none()),
                        ]
                        .into_iter()
                        .filter_map(|(k, m)| m.then_some(k))
                        .collect(),
                        Transport::Xml => [
                            ("xml_identity", j.xml_identity.is_none()),
                            ("xml_shared_secret", j.xml_shared_secret.is_none()),
                        ]
                        .into_iter()
                        .filter_map(|(k, m)| m.then_some(k))
                        .collect(),
                        Transport::Rest => Vec::new(),
                    };
                    if missing.is_empty() {
                        r.ok(name, "stored");
                    } else {
                        r.fail(
                            name,
                            Exit::Usage,
                            format!(
                                "the tenant's transport needs {}; store them with `ml-connector credentials set {} jaggaer`",
                                missing.join(" and "),
                                t.id
                            ),
                        );
                    }
                }
                Ok(Some(_)) => r.ok(name, "stored"),
            }
        }
    }
}
