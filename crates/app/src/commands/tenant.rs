//! `tenant pause|resume`: stop and restart a tenant's scheduled cycles (month-end close,
//! maintenance windows, after fixing rejected credentials).
//!
//! The state lives in the store (`tenant_state`), so it applies to every worker at once and
//! survives restarts. A cycle already running finishes; the next one does not start. Resume
//! also clears the failure count (so no back-off is left over) and makes the tenant due now.
//! Inbound cXML documents of a paused tenant are still received and stored; they are
//! processed after resume.
use anyhow::anyhow;
use jiff::Timestamp;
use mlc_core::ids::TenantId;
use mlc_store::{StateStore, TenantState};

use crate::cli::{GlobalArgs, TenantCommand};
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};

pub(crate) fn run(global: &GlobalArgs, cmd: &TenantCommand) -> AppResult {
    let settings = load_settings(global)?;
    let name = match cmd {
        TenantCommand::Pause { tenant, .. } | TenantCommand::Resume { tenant } => tenant,
    };
    let tenant = configured(&settings, name)?;
    block_on(async {
        let store = open_store(&settings).await?;
        let state = apply(store.as_ref(), &tenant, cmd).await?;
        println!("{}", describe(&tenant, &state));
        Ok(())
    })?
}

/// The tenant if the config has it, else a usage error listing the configured ones.
fn configured(settings: &Settings, name: &str) -> AppResult<TenantId> {
    match settings.tenants.iter().find(|t| t.id.as_str() == name) {
        Some(t) => Ok(t.id.clone()),
        None => {
            let known: Vec<&str> = settings.tenants.iter().map(|t| t.id.as_str()).collect();
            Err(AppError::usage(anyhow!(
                "unknown tenant {name:?}; the config has: {}",
                if known.is_empty() {
                    "no tenants".to_owned()
                } else {
                    known.join(", ")
                }
            )))
        }
    }
}

/// Changes the stored state and returns it.
async fn apply(
    store: &dyn StateStore,
    tenant: &TenantId,
    cmd: &TenantCommand,
) -> AppResult<TenantState> {
    let fail = |e: mlc_store::StoreError| {
        AppError::failure(anyhow::Error::new(e).context(format!("cannot update tenant {tenant}")))
    };
    let mut state = store.tenant_state(tenant).await.map_err(fail)?;
    match cmd {
        TenantCommand::Pause { reason, .. } => {
            state.paused = true;
            state.pause_reason = Some(reason.trim().to_owned());
        }
        TenantCommand::Resume { .. } => {
            state.paused = false;
            state.pause_reason = None;
            state.consecutive_failures = 0;
            state.next_due = Some(Timestamp::now());
        }
    }
    store.set_tenant_state(tenant, &state).await.map_err(fail)?;
    tracing::info!(tenant = %tenant, paused = state.paused, reason = ?state.pause_reason, "Tenant state changed.");
    Ok(state)
}

fn describe(tenant: &TenantId, state: &TenantState) -> String {
    if state.paused {
        format!(
            "Tenant {tenant} is paused ({}). A cycle already running finishes; no new cycle \
             starts until `ml-connector tenant resume {tenant}`. Inbound cXML invoices are \
             still received and wait in the inbox.",
            state.pause_reason.as_deref().unwrap_or("no reason given")
        )
    } else {
        format!("Tenant {tenant} is resumed; its next cycle is due now (failure count reset).")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pause_then_resume_round_trips_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = mlc_store::open(&url).await.unwrap();
        let acme = TenantId::parse("acme").unwrap();
        let failing = TenantState {
            consecutive_failures: 4,
            next_due: Some("2099-01-01T00:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        store.set_tenant_state(&acme, &failing).await.unwrap();

        let pause = TenantCommand::Pause {
            tenant: "acme".into(),
            reason: " month-end close ".into(),
        };
        let s = apply(store.as_ref(), &acme, &pause).await.unwrap();
        assert!(s.paused);
        assert_eq!(s.pause_reason.as_deref(), Some("month-end close"));
        assert_eq!(store.tenant_state(&acme).await.unwrap(), s);
        assert!(describe(&acme, &s).contains("tenant resume acme"));

        let resume = TenantCommand::Resume {
            tenant: "acme".into(),
        };
        let before = Timestamp::now();
        let s = apply(store.as_ref(), &acme, &resume).await.unwrap();
        assert!(!s.paused);
        assert_eq!(s.pause_reason, None);
        assert_eq!(s.consecutive_failures, 0);
        assert!(s.next_due.unwrap() >= before && s.next_due.unwrap() <= Timestamp::now());
        // The store keeps microseconds.
        let stored = store.tenant_state(&acme).await.unwrap();
        assert!(
            !stored.paused && stored.pause_reason.is_none() && stored.consecutive_failures == 0
        );
        let due = stored.next_due.unwrap();
        assert!(
            due.duration_since(s.next_due.unwrap()).abs() < jiff::SignedDuration::from_millis(1)
        );
    }
}
