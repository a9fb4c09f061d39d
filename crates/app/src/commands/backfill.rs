//! `backfill --tenant T --entity E --since DATE`: moves that entity's watermarks back to the
//! start of DATE; the next cycle (`sync` or the service) reads from there again. Nothing is
//! written twice: records that did not change since they were synced count as `unchanged`.
use std::str::FromStr as _;

use anyhow::anyhow;
use jiff::civil::Date;
use mlc_core::record::Entity;
use mlc_engine::backfill::BackfillError;

use crate::cli::{BackfillArgs, GlobalArgs};
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};
use crate::wiring;

pub(crate) fn run(global: &GlobalArgs, args: &BackfillArgs) -> AppResult {
    let entity = Entity::from_str(&args.entity).map_err(|_| {
        AppError::usage(anyhow!(
            "unknown entity {:?}; expected one of: suppliers, accounts, purchase-orders, invoices",
            args.entity
        ))
    })?;
    let since: Date = args.since.parse().map_err(|e| {
        AppError::usage(anyhow!(
            "--since {:?} is not a date yyyy-MM-dd ({e})",
            args.since
        ))
    })?;
    let settings = load_settings(global)?;
    let moved = block_on(async {
        let store = open_store(&settings).await?;
        let rt = wiring::build_tenants(&settings, store, Some(&args.tenant))
            .await?
            .remove(0);
        if let Some(start) = rt.settings.start_date
            && since < start
        {
            tracing::warn!(
                %since, %start,
                "--since is before the tenant's start_date: records dated before the cut-over \
                 stay excluded."
            );
        }
        rt.engine
            .backfill(entity, since)
            .await
            .map_err(|e| match e {
                BackfillError::Forward { .. } => AppError::usage(e),
                BackfillError::Store(s) => s.into(),
            })
    })??;
    println!(
        "Backfill of {entity} for tenant {} from {since}:",
        args.tenant
    );
    for m in &moved {
        println!(
            "  {}: {} -> {}",
            m.cursor,
            m.before.as_deref().unwrap_or("(never synced)"),
            m.after
        );
    }
    println!(
        "The next cycle reads again from there (`ml-connector sync --tenant {} --entity {entity}` \
         runs it now); unchanged records are not written again.",
        args.tenant
    );
    Ok(())
}
