//! `reconcile [--tenant T] [--json]`: compares both systems for the records the ledger says are
//! synced (PO totals, line counts and supplier; invoice totals against the JDE voucher's gross
//! and its F0911 distribution) and prints the differences. Exit 3 when there are any, 0 when
//! none, 1 when a system could not be read.
use anyhow::anyhow;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::json;

use crate::cli::{GlobalArgs, ReconcileArgs};
use crate::error::{AppError, AppResult, Exit};
use crate::plumbing::{block_on, load_settings, open_store};
use crate::wiring;

pub(crate) fn run(global: &GlobalArgs, args: &ReconcileArgs) -> AppResult {
    let settings = load_settings(global)?;
    let reports = block_on(async {
        let store = open_store(&settings).await?;
        let tenants = wiring::build_tenants(&settings, store, args.tenant.as_deref()).await?;
        let mut out = Vec::new();
        for rt in &tenants {
            let report = rt.engine.reconcile().await.map_err(|e| {
                AppError::failure(anyhow!(
                    "reconcile of tenant {} failed: {e}",
                    rt.settings.id
                ))
            })?;
            out.push((rt.settings.id.to_string(), report));
        }
        AppResult::Ok(out)
    })??;
    let differences: usize = reports.iter().map(|(_, r)| r.differences.len()).sum();
    if args.json {
        let value = json!({
            "differences": differences,
            "tenants": reports.iter().map(|(t, r)| json!({
                "tenant": t,
                "compared": r.compared,
                "differences": r.differences,
            })).collect::<Vec<_>>(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(AppError::failure)?
        );
    } else {
        for (tenant, r) in &reports {
            println!(
                "Tenant {tenant}: {} records compared, {} difference{}",
                r.compared,
                r.differences.len(),
                if r.differences.len() == 1 { "" } else { "s" }
            );
            if r.differences.is_empty() {
                continue;
            }
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(vec!["record", "what", "JDE", "JAGGAER"]);
            for d in &r.differences {
                table.add_row(vec![&d.record, &d.what, &d.jde, &d.jaggaer]);
            }
            println!("{table}");
        }
    }
    if differences > 0 {
        return Err(AppError {
            exit: Exit::Differences,
            error: anyhow!(
                "{differences} difference{} between JDE and JAGGAER; `ml-connector audit RECORD` \
                 shows each record's history",
                if differences == 1 { "" } else { "s" }
            ),
        });
    }
    Ok(())
}
