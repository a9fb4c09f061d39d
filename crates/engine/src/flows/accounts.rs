//! Accounts: postable GL accounts (F0901) and business units (F0006) → JAGGAER's `Account` and
//! `CostCenter` value lists (field names from the mapping settings), then JAGGAER's lists read
//! back: a value JDE does not hold (or no longer allows posting to) is deactivated there, so both
//! sides hold the same valid dimensions.
use std::collections::HashSet;

use futures::StreamExt;
use mlc_core::fingerprint::fingerprint;
use mlc_core::jdetime::JdeStamp;
use mlc_core::record::{Entity, RecordKey, RecordKind};
use mlc_store::{Commit, LedgerStatus, actions};

use super::common::{finish, jde_window, ledger_row};
use crate::mapping::account::{ValueOut, account_value, cost_center_value};
use crate::run::{Run, SyncError};
use crate::window::advance;

/// The `account_companies`/`account_objects` scope the values were last sent under.
const SCOPE: &str = "accounts/scope";

pub(crate) async fn run(run: &Run<'_>) -> Result<(), SyncError> {
    let m = &run.engine.settings.mapping;
    // A changed scope: read every account and business unit again (as on the first sync), and
    // deactivate in JAGGAER what was sent before and is now outside it (once: the scope is
    // saved when that is done).
    let scope = fingerprint(&format!("{:?}", m.account_scope));
    let saved = run.engine.store.cursor(run.tenant(), SCOPE).await?;
    let rescope = saved.as_ref().is_some_and(|s| *s != scope);
    let mut in_scope: HashSet<(RecordKind, String)> = HashSet::new();
    let full = |w: (Option<JdeStamp>, crate::window::Window)| {
        if rescope {
            let now = JdeStamp::now_in(&run.engine.settings.jde_timezone);
            (
                None,
                crate::window::Window::new(None, now, &run.engine.settings.windows),
            )
        } else {
            w
        }
    };
    // GL accounts.
    let (cursor, window) = full(jde_window(run, "accounts/F0901").await?);
    let mut pages = run.engine.jde.accounts_changed(&window);
    let mut max: Option<JdeStamp> = None;
    while let Some(page) = pages.next().await {
        let mut values = Vec::new();
        for (a, stamp) in page? {
            if !window.contains(stamp) {
                continue;
            }
            max = max.max(Some(stamp));
            if !m.account_scope.includes_account(&a) {
                continue;
            }
            in_scope.insert((RecordKind::Account, a.account.to_string()));
            values.push((
                RecordKey::new(RecordKind::Account, run.tenant(), a.account.to_string()),
                stamp,
                account_value(&a),
            ));
        }
        push_values(
            run,
            &m.gl_account_field,
            values,
            advance(cursor, max, &window).map(|c| ("accounts/F0901".to_owned(), c.to_cursor())),
        )
        .await?;
    }
    // Business units.
    let (cursor, window) = full(jde_window(run, "accounts/F0006").await?);
    let mut pages = run.engine.jde.business_units_changed(&window);
    let mut max: Option<JdeStamp> = None;
    while let Some(page) = pages.next().await {
        let mut values = Vec::new();
        for (b, stamp) in page? {
            if !window.contains(stamp) {
                continue;
            }
            max = max.max(Some(stamp));
            if !m.account_scope.includes_business_unit(&b) {
                continue;
            }
            in_scope.insert((RecordKind::CostCenter, b.code.to_string()));
            values.push((
                RecordKey::new(RecordKind::CostCenter, run.tenant(), b.code.to_string()),
                stamp,
                cost_center_value(&b),
            ));
        }
        push_values(
            run,
            &m.cost_center_field,
            values,
            advance(cursor, max, &window).map(|c| ("accounts/F0006".to_owned(), c.to_cursor())),
        )
        .await?;
    }
    if rescope {
        narrow(run, &m.gl_account_field, RecordKind::Account, &in_scope).await?;
        narrow(run, &m.cost_center_field, RecordKind::CostCenter, &in_scope).await?;
    }
    if saved.as_deref() != Some(scope.as_str()) {
        run.engine
            .store
            .set_cursor(run.tenant(), SCOPE, Some(&scope))
            .await?;
    }
    // Read back JAGGAER's lists: when this cycle changed a value, and otherwise once a day
    // (a value added by hand in JAGGAER is deactivated within a day; an idle poll stays one
    // request per table).
    let written = run
        .counts_of(Entity::Accounts)
        .map(|c| c.created + c.updated)
        .unwrap_or_default();
    let last = run
        .engine
        .store
        .cursor(run.tenant(), READ_BACK)
        .await?
        .and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let now = jiff::Timestamp::now();
    if written > 0 || last.is_none_or(|t| now.duration_since(t) >= READ_BACK_EVERY) {
        read_back(run, &m.gl_account_field, RecordKind::Account).await?;
        read_back(run, &m.cost_center_field, RecordKind::CostCenter).await?;
        run.engine
            .store
            .set_cursor(run.tenant(), READ_BACK, Some(&now.to_string()))
            .await?;
    }
    Ok(())
}

/// When JAGGAER's value lists were last compared with JDE's dimensions.
const READ_BACK: &str = "accounts/read-back";
/// How often they are compared when nothing changed.
const READ_BACK_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Upserts the changed values of one page in one batch request and commits them.
async fn push_values(
    run: &Run<'_>,
    field: &str,
    values: Vec<(RecordKey, JdeStamp, ValueOut)>,
    cursor: Option<(String, String)>,
) -> Result<(), SyncError> {
    let mut commit = Commit::default();
    if values.is_empty() {
        return finish(run, commit, None, cursor).await;
    }
    let kind = values[0].0.kind;
    let keys: Vec<String> = values.iter().map(|v| v.0.key.clone()).collect();
    let ledger = run
        .engine
        .store
        .ledger_many(run.tenant(), kind, &keys)
        .await?;
    let mut changed = Vec::new();
    for (record, stamp, v) in values {
        run.count(Entity::Accounts, |c| c.read += 1);
        let hash = fingerprint(&v);
        match ledger.get(&record.key) {
            Some(p) if p.content_hash == hash => run.count(Entity::Accounts, |c| c.unchanged += 1),
            prior => changed.push((record, stamp, v, hash, prior.is_none())),
        }
    }
    if changed.is_empty() {
        return finish(run, commit, None, cursor).await;
    }
    let batch: Vec<ValueOut> = changed.iter().map(|c| c.2.clone()).collect();
    match run.engine.jag.upsert_values(field, &batch).await {
        Ok(_) => {
            for (record, stamp, v, hash, created) in changed {
                let action = if created {
                    actions::CREATED
                } else {
                    actions::UPDATED
                };
                commit.audit.push(run.audit(
                    &record,
                    action,
                    format!("{action} {field} value {}", v.value),
                    serde_json::json!({"active": v.active}),
                ));
                let status = if v.active {
                    LedgerStatus::Synced
                } else {
                    LedgerStatus::Inactive
                };
                commit.ledger.push(ledger_row(
                    &record,
                    &hash,
                    &stamp.to_cursor(),
                    Some(v.value.clone()),
                    status,
                ));
                run.count(Entity::Accounts, |c| {
                    if created {
                        c.created += 1
                    } else {
                        c.updated += 1
                    }
                });
            }
            finish(run, commit, None, cursor).await
        }
        Err(e) if e.is_record_refusal() => {
            // A batch rejected as a whole: quarantine each value with the remote's reason.
            for (record, _, v, _, _) in changed {
                let err = crate::mapping::MappingError::new(field.to_owned(), e.message.clone())
                    .kind("rejected");
                run.quarantine(
                    &mut commit,
                    &record,
                    &err,
                    serde_json::to_value(&v).unwrap_or_default(),
                );
            }
            finish(run, commit, None, cursor).await
        }
        Err(e) => finish(run, commit, Some(e), cursor).await,
    }
}

/// After the scope changed and every dimension was read again: values sent before (synced)
/// that the new scope leaves out are deactivated in JAGGAER, with their description kept.
async fn narrow(
    run: &Run<'_>,
    field: &str,
    kind: RecordKind,
    in_scope: &HashSet<(RecordKind, String)>,
) -> Result<(), SyncError> {
    let out: HashSet<String> = run
        .engine
        .store
        .ledger_by_status(run.tenant(), kind, Some(LedgerStatus::Synced))
        .await?
        .into_iter()
        .map(|l| l.record.key)
        .filter(|k| !in_scope.contains(&(kind, k.clone())))
        .collect();
    if out.is_empty() {
        return Ok(());
    }
    let theirs: Vec<ValueOut> = run
        .engine
        .jag
        .values(field)
        .await?
        .into_iter()
        .filter(|v| out.contains(&v.value))
        .map(|v| ValueOut { active: false, ..v })
        .collect();
    if !theirs.is_empty() {
        run.engine.jag.upsert_values(field, &theirs).await?;
    }
    let mut commit = Commit::default();
    for key in &out {
        let record = RecordKey::new(kind, run.tenant(), key.clone());
        commit.audit.push(run.audit(
            &record,
            actions::DEACTIVATED,
            format!("{field} value {key} is outside account_companies/account_objects now: deactivated in JAGGAER"),
            serde_json::Value::Null,
        ));
        commit.ledger.push(ledger_row(
            &record,
            "out-of-scope",
            "",
            Some(key.clone()),
            LedgerStatus::Inactive,
        ));
        run.count(Entity::Accounts, |c| c.updated += 1);
    }
    finish(run, commit, None, None).await
}

/// Deactivates JAGGAER values that JDE does not hold.
async fn read_back(run: &Run<'_>, field: &str, kind: RecordKind) -> Result<(), SyncError> {
    let theirs = run.engine.jag.values(field).await?;
    let ours: HashSet<String> = run
        .engine
        .store
        .ledger_by_status(run.tenant(), kind, Some(LedgerStatus::Synced))
        .await?
        .into_iter()
        .map(|l| l.record.key)
        .collect();
    let stray: Vec<ValueOut> = theirs
        .into_iter()
        .filter(|v| v.active && !ours.contains(&v.value))
        .map(|v| ValueOut { active: false, ..v })
        .collect();
    if stray.is_empty() {
        return Ok(());
    }
    run.engine.jag.upsert_values(field, &stray).await?;
    let mut commit = Commit::default();
    for v in &stray {
        let record = RecordKey::new(kind, run.tenant(), v.value.clone());
        commit.audit.push(run.audit(
            &record,
            actions::DEACTIVATED,
            format!(
                "{field} value {} is not a valid JDE dimension: deactivated in JAGGAER",
                v.value
            ),
            serde_json::Value::Null,
        ));
        commit.ledger.push(ledger_row(
            &record,
            &fingerprint(v),
            "",
            Some(v.value.clone()),
            LedgerStatus::Inactive,
        ));
        run.count(Entity::Accounts, |c| c.updated += 1);
    }
    finish(run, commit, None, None).await
}
