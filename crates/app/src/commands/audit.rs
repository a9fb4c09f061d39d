//! `audit RECORD [--since TIME] [--json]`: the full trail of one record, oldest first: read
//! from where, mapped to what, written where (ids on both sides), each attempt and error.
use anyhow::anyhow;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use jiff::Timestamp;
use jiff::civil::Date;
use mlc_core::record::RecordKey;

use crate::cli::{AuditArgs, GlobalArgs};
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};

pub(crate) fn run(global: &GlobalArgs, args: &AuditArgs) -> AppResult {
    let record: RecordKey = args.record.parse().map_err(|e| {
        AppError::usage(anyhow!(
            "{e}; records are named KIND:TENANT:KEY: po:acme:00200-OP-4711, \
             invoice:acme:98765, supplier:acme:4242, account:acme:200.6210, cost-center:acme:200"
        ))
    })?;
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let settings = load_settings(global)?;
    if !settings.tenants.iter().any(|t| t.id == record.tenant) {
        tracing::warn!(tenant = %record.tenant, "The record's tenant is not in the config.");
    }
    let events = block_on(async {
        let store = open_store(&settings).await?;
        AppResult::Ok(store.audit_trail(&record, since).await?)
    })??;
    if args.json {
        let text = serde_json::to_string_pretty(&events).map_err(AppError::failure)?;
        println!("{text}");
        return Ok(());
    }
    if events.is_empty() {
        println!(
            "No audit events for {record}{}. Keys are the source system's: a PO is \
             KCOO-DCTO-DOCO (po:{t}:00200-OP-4711), an invoice its JAGGAER id, a supplier its \
             AN8.",
            since.map(|s| format!(" since {s}")).unwrap_or_default(),
            t = record.tenant
        );
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["at (UTC)", "action", "what happened", "details"]);
    for e in &events {
        table.add_row(vec![
            e.at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            e.action.clone(),
            e.message.clone(),
            details(&e.detail),
        ]);
    }
    println!(
        "Audit trail of {record} ({} events, oldest first)",
        events.len()
    );
    println!("{table}");
    Ok(())
}

/// `2026-11-01T12:00:00Z` or `2026-11-01` (midnight UTC).
fn parse_since(raw: &str) -> AppResult<Timestamp> {
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Ok(t);
    }
    raw.parse::<Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            AppError::usage(anyhow!(
                "--since {raw:?} is neither a time (2026-11-01T12:00:00Z) nor a date (2026-11-01)"
            ))
        })
}

/// The detail object on one line per key, short values only (the JSON output has it all).
fn details(v: &serde_json::Value) -> String {
    let Some(map) = v.as_object() else {
        return if v.is_null() {
            String::new()
        } else {
            v.to_string()
        };
    };
    map.iter()
        .filter(|(k, _)| k.as_str() != "payload" && k.as_str() != "before" && k.as_str() != "after")
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let text = if text.chars().count() > 80 {
                format!("{}…", text.chars().take(80).collect::<String>())
            } else {
                text
            };
            format!("{k}: {text}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_times_and_dates() {
        assert_eq!(
            parse_since("2026-11-01").unwrap(),
            "2026-11-01T00:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(parse_since("2026-11-01T10:00:00Z").is_ok());
        assert!(parse_since("yesterday").is_err());
    }
}
