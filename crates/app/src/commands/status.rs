//! `status`: per tenant, its watermarks, last run, quarantine size and scheduling state.
use anyhow::Context as _;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::cli::{GlobalArgs, StatusArgs};
use crate::error::{AppError, AppResult};

/// Runs `status`.
pub(crate) fn run(global: &GlobalArgs, args: &StatusArgs) -> AppResult {
    let settings = crate::plumbing::load_settings(global)?;
    let report = crate::plumbing::block_on(async {
        let store = crate::plumbing::open_store(&settings).await?;
        let mut tenants = Vec::new();
        for t in &settings.tenants {
            let fail = |what: &'static str| {
                move |e: mlc_store::StoreError| {
                    AppError::failure(
                        anyhow::Error::new(e).context(format!("reading {what} of tenant {}", t.id)),
                    )
                }
            };
            let cursors = store.cursors(&t.id).await.map_err(fail("cursors"))?;
            let last = store.runs(Some(&t.id), 1).await.map_err(fail("runs"))?;
            let quarantine = store
                .quarantine_open_count(&t.id)
                .await
                .map_err(fail("quarantine"))?;
            let state = store
                .tenant_state(&t.id)
                .await
                .map_err(fail("scheduling state"))?;
            tenants.push(json!({
                "tenant": t.id,
                "paused": state.paused,
                "pause_reason": state.pause_reason,
                "next_due": state.next_due,
                "last_success": state.last_success,
                "consecutive_failures": state.consecutive_failures,
                "quarantine_open": quarantine,
                "last_run": last.first().map(|r| json!({
                    "id": r.id.0,
                    "trigger": r.trigger,
                    "status": r.status.as_str(),
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "error": r.error,
                    "summary": r.summary,
                })),
                "cursors": cursors.iter().map(|c| json!({
                    "name": c.name, "value": c.value, "updated_at": c.updated_at,
                })).collect::<Vec<_>>(),
            }));
        }
        Ok::<_, AppError>(json!({ "store": store.backend(), "tenants": tenants }))
    })??;

    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .context("cannot render JSON")
            .map_err(AppError::failure)?;
        println!("{text}");
        return Ok(());
    }
    print_tables(&report);
    Ok(())
}

fn ts(v: &Value) -> String {
    v.as_str()
        .and_then(|s| s.parse::<Timestamp>().ok())
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

/// `ok: 12 read, 3 created, 1 updated, 0 quarantined` from a run summary.
fn run_cell(run: &Value) -> String {
    if run.is_null() {
        return "never".into();
    }
    let mut sums = [0u64; 4];
    if let Some(entities) = run["summary"]["entities"].as_object() {
        for e in entities.values() {
            for (i, k) in ["read", "created", "updated", "quarantined"]
                .iter()
                .enumerate()
            {
                sums[i] += e[k].as_u64().unwrap_or(0);
            }
        }
    }
    let mut s = format!(
        "{} at {}\n{} read, {} created, {} updated, {} quarantined",
        run["status"].as_str().unwrap_or("?"),
        ts(&run["started_at"]),
        sums[0],
        sums[1],
        sums[2],
        sums[3]
    );
    if let Some(err) = run["error"].as_str() {
        s.push_str(&format!("\nerror: {err}"));
    }
    s
}

fn print_tables(report: &Value) {
    let tenants = report["tenants"].as_array().cloned().unwrap_or_default();
    if tenants.is_empty() {
        println!("No tenants are configured. Add a [[tenants]] section to the config file.");
        return;
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "Tenant",
            "State",
            "Last run (UTC)",
            "Quarantine",
            "Next run (UTC)",
        ]);
    for t in &tenants {
        let state = if t["paused"].as_bool() == Some(true) {
            format!(
                "paused: {}",
                t["pause_reason"].as_str().unwrap_or("no reason given")
            )
        } else {
            match t["consecutive_failures"].as_u64() {
                Some(n) if n > 0 => format!("active ({n} failed runs in a row)"),
                _ => "active".into(),
            }
        };
        table.add_row([
            t["tenant"].as_str().unwrap_or("?").to_owned(),
            state,
            run_cell(&t["last_run"]),
            t["quarantine_open"].to_string(),
            ts(&t["next_due"]),
        ]);
    }
    println!("{table}");

    let mut cursors = Table::new();
    cursors
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["Tenant", "Watermark", "Value", "Updated (UTC)"]);
    let mut any = false;
    for t in &tenants {
        for c in t["cursors"].as_array().into_iter().flatten() {
            any = true;
            cursors.add_row([
                t["tenant"].as_str().unwrap_or("?").to_owned(),
                c["name"].as_str().unwrap_or("?").to_owned(),
                c["value"].as_str().unwrap_or("?").to_owned(),
                ts(&c["updated_at"]),
            ]);
        }
    }
    if any {
        println!("{cursors}");
    } else {
        println!("No watermarks yet: the first sync of each entity reads its whole history.");
    }
}
