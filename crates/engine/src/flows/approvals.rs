//! The voucher approval gate (issue 19, `[tenants.mapping] voucher_approval`).
//!
//! With the gate on, a voucher that passed every dedup check is not posted: its invoice's
//! ledger row goes to `waiting` with the full plan under `detail.approval` (state `pending`),
//! audited and counted as waiting. `ml-connector approvals approve` sets the state to
//! `approved` (who and when, audited); the next cycle reads such invoices afresh from JAGGAER
//! ([`decided`]) and posts them through the same dedup as any voucher, so an approval never posts
//! twice (a crash between the call and the commit leaves the row `approved`; the next cycle
//! finds the voucher in F0411Z1 and records it). `approvals reject` quarantines the invoice
//! with the reason at once.
//!
//! What AP approves is the plan (the orchestration's input without the batch number, which is
//! assigned when it is posted): an invoice that changes in JAGGAER while pending, or after its
//! approval and before posting, so that the plan changes, is re-planned and waits for approval
//! again; a change that leaves the plan as it was (a reworded description) keeps the approval.
use jiff::Timestamp;
use mlc_core::fingerprint::fingerprint;
use mlc_core::ids::TenantId;
use mlc_core::record::{Entity, RecordKey, RecordKind};
use mlc_store::{
    AuditEvent, Commit, LedgerEntry, LedgerStatus, NewQuarantine, StateStore, StoreError, actions,
};

use super::common::ledger_row;
use crate::mapping::MappingError;
use crate::mapping::voucher::{VoucherPlan, voucher_input};
use crate::run::{Run, SyncError};
use crate::settings::VoucherApproval;

/// The approval states kept in `detail.approval.state`.
pub const PENDING: &str = "pending";
/// Approved by AP: posted by the next cycle.
pub const APPROVED: &str = "approved";
/// Rejected by AP: the invoice is in quarantine.
pub const REJECTED: &str = "rejected";

/// The cursor that remembers that `first-run` is over for a tenant (no more scans).
const FIRST_RUN_DONE: &str = "approvals/first-run-done";

/// What AP approves: the orchestration input without the batch number (assigned at posting).
pub fn plan_document(plan: &VoucherPlan, edus: &str, vinv: &str) -> serde_json::Value {
    let mut body = voucher_input(plan, edus, "", vinv).to_body();
    if let Some(inputs) = body.get_mut("inputs").and_then(|i| i.as_array_mut()) {
        inputs.retain(|i| i["name"] != "EDBT");
    }
    body
}

/// Decides whether a voucher about to be posted waits for approval. Returns true when it is
/// held (its ledger row, audit and counts are in `commit`), false when it may be posted now.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn hold(
    run: &Run<'_>,
    commit: &mut Commit,
    record: &RecordKey,
    plan: &VoucherPlan,
    hash: &str,
    version: &str,
    raw: &serde_json::Value,
    vinv: &str,
) -> Result<bool, SyncError> {
    let s = &run.engine.settings;
    let mode = s.mapping.voucher_approval;
    if mode == VoucherApproval::None {
        return Ok(false);
    }
    if s.mapping
        .voucher_approval_above
        .is_some_and(|above| plan.gross.abs() <= above)
    {
        return Ok(false);
    }
    if mode == VoucherApproval::FirstRun && first_run_done(run).await? {
        return Ok(false);
    }
    let doc = plan_document(plan, &s.batch_user, vinv);
    let plan_hash = fingerprint(&doc);
    let prior = run.engine.store.ledger(record).await?;
    let approval = prior
        .as_ref()
        .filter(|p| p.status == LedgerStatus::Waiting)
        .and_then(|p| p.detail.get("approval").cloned());
    let same_plan = approval
        .as_ref()
        .is_some_and(|a| a["plan_hash"] == plan_hash.as_str());
    let state = approval
        .as_ref()
        .and_then(|a| a["state"].as_str())
        .unwrap_or_default();
    if same_plan && state == APPROVED {
        let by = approval
            .as_ref()
            .map(|a| a["by"].clone())
            .unwrap_or_default();
        commit.audit.push(run.audit(
            record,
            actions::MAPPED,
            format!(
                "voucher {} approved by {}: posting it",
                plan.edtn,
                by.as_str().unwrap_or("?")
            ),
            serde_json::json!({"approval": approval}),
        ));
        return Ok(false);
    }
    if same_plan && state == PENDING {
        // Still waiting for AP: nothing new to record (rewriting the row could undo an approval
        // given while this cycle ran).
        run.count(Entity::Invoices, |c| c.waiting += 1);
        return Ok(true);
    }
    let replaces = approval
        .as_ref()
        .filter(|_| !same_plan)
        .map(|a| a["plan_hash"].clone());
    let mut detail = serde_json::json!({
        "state": PENDING,
        "plan_hash": plan_hash,
        "requested_at": jiff::Timestamp::now().to_string(),
        "edtn": plan.edtn,
        "an8": plan.an8.to_string(),
        "vinv": vinv,
        "gross": plan.gross.to_string(),
        "currency": plan.currency,
        "company": plan.company,
        "lines": plan.lines.len(),
        "plan": doc,
    });
    if raw.get("cxml").is_some() {
        // An inbound cXML invoice cannot be read again from J1P: keep the document.
        detail["source"] = raw.clone();
    }
    let message = match &replaces {
        Some(_) => format!(
            "invoice changed in JAGGAER while its voucher waited for approval: re-planned as \
             voucher {} ({} {}), waits for approval again",
            plan.edtn, plan.gross, plan.currency
        ),
        None => format!(
            "voucher {} ({} {}, supplier {}, VINV {vinv}) waits for approval \
             (`ml-connector approvals approve {}`)",
            plan.edtn, plan.gross, plan.currency, plan.an8, record.key
        ),
    };
    commit.audit.push(run.audit(
        record,
        actions::WAITING,
        message,
        serde_json::json!({"approval": PENDING, "edtn": plan.edtn, "replaces": replaces}),
    ));
    let mut row = ledger_row(record, hash, version, None, LedgerStatus::Waiting);
    row.detail = serde_json::json!({"approval": detail});
    commit.ledger.push(row);
    run.count(Entity::Invoices, |c| c.waiting += 1);
    Ok(true)
}

/// Whether `first-run` is over: JDE processed a voucher the connector posted for this tenant.
async fn first_run_done(run: &Run<'_>) -> Result<bool, SyncError> {
    let store = &run.engine.store;
    if store.cursor(run.tenant(), FIRST_RUN_DONE).await?.is_some() {
        return Ok(true);
    }
    let ours = format!("{}/", run.engine.settings.batch_user);
    let done = store
        .ledger_by_status(
            run.tenant(),
            RecordKind::Invoice,
            Some(LedgerStatus::Processed),
        )
        .await?
        .iter()
        .any(|l| l.remote_id.as_deref().is_some_and(|r| r.starts_with(&ours)));
    if done {
        store
            .set_cursor(run.tenant(), FIRST_RUN_DONE, Some("done"))
            .await?;
    }
    Ok(done)
}

/// Invoices AP approved since the last cycle: read afresh from their source and posted
/// through the same checks as any invoice (the approval holds only if the plan is unchanged).
pub(crate) async fn decided(run: &Run<'_>) -> Result<(), SyncError> {
    if run.engine.settings.mapping.voucher_approval == VoucherApproval::None {
        return Ok(());
    }
    let approved: Vec<_> = run
        .engine
        .store
        .ledger_by_status(
            run.tenant(),
            RecordKind::Invoice,
            Some(LedgerStatus::Waiting),
        )
        .await?
        .into_iter()
        .filter(|l| l.detail["approval"]["state"] == APPROVED)
        .collect();
    for l in approved {
        let id = l.record.key.clone();
        let source = &l.detail["approval"]["source"];
        let (raw, decoded) = match source.get("cxml").and_then(|x| x.as_str()) {
            Some(xml) => (source.clone(), run.engine.jag.decode_cxml_invoice(xml)),
            None => match run.engine.jag.invoice(&id).await {
                Ok(r) => r,
                Err(e) if e.is_record_refusal() => (
                    serde_json::Value::Null,
                    Err(MappingError::new("invoice", e.message.clone()).kind("rejected")),
                ),
                Err(e) => return Err(e.into()),
            },
        };
        let ledger = std::iter::once((id.clone(), l)).collect();
        let commit = super::invoices::process(run, vec![(id, raw, decoded)], &ledger).await?;
        run.commit(commit).await?;
    }
    Ok(())
}

/// Waiting vouchers of these tenants, oldest request first.
pub async fn pending(
    store: &dyn StateStore,
    tenants: &[TenantId],
) -> Result<Vec<LedgerEntry>, StoreError> {
    let mut out = Vec::new();
    for t in tenants {
        out.extend(
            store
                .ledger_by_status(t, RecordKind::Invoice, Some(LedgerStatus::Waiting))
                .await?
                .into_iter()
                .filter(|l| l.detail["approval"]["state"] == PENDING),
        );
    }
    out.sort_by(|a, b| {
        text(&a.detail["approval"]["requested_at"])
            .cmp(&text(&b.detail["approval"]["requested_at"]))
    });
    Ok(out)
}

/// What AP decided.
pub enum Decision {
    /// Post it at the next cycle.
    Approve,
    /// Quarantine it with this reason.
    Reject(String),
}

/// Records a decision on a pending voucher (one commit: ledger row, audit event and, for a
/// rejection, the quarantine entry). Returns a sentence for the operator.
pub async fn decide(
    store: &dyn StateStore,
    mut row: LedgerEntry,
    decision: Decision,
    who: &str,
) -> Result<String, StoreError> {
    let record = row.record.clone();
    let edtn = text(&row.detail["approval"]["edtn"]);
    let now = Timestamp::now();
    let event = |action: &str, message: String| AuditEvent {
        record: record.clone(),
        run_id: None,
        action: action.to_owned(),
        message,
        detail: serde_json::json!({"edtn": edtn, "by": who}),
        at: now,
    };
    let mut commit = Commit::default();
    let approval = &mut row.detail["approval"];
    approval["by"] = who.into();
    approval["decided_at"] = now.to_string().into();
    let said = match decision {
        Decision::Approve => {
            approval["state"] = APPROVED.into();
            commit.audit.push(event(
                actions::APPROVED,
                format!("voucher {edtn} approved by {who}; the next cycle posts it"),
            ));
            format!("Approved voucher {edtn} of {record}: the next cycle posts it.")
        }
        Decision::Reject(reason) => {
            approval["state"] = REJECTED.into();
            approval["reason"] = reason.clone().into();
            let plan = approval["plan"].clone();
            row.status = LedgerStatus::Quarantined;
            let why = format!("{record}: voucher {edtn} rejected by {who}: {reason}");
            commit.audit.push(event(
                actions::REJECTED,
                format!("voucher {edtn} rejected by {who}: {reason}"),
            ));
            commit.audit.push(event(actions::QUARANTINED, why.clone()));
            commit.quarantine.push(NewQuarantine {
                record: record.clone(),
                run_id: None,
                reason_kind: "approval-rejected".to_owned(),
                reason: why,
                field: Some("approval".to_owned()),
                payload: plan,
            });
            format!(
                "Rejected voucher {edtn} of {record}: in the quarantine with your reason. A \
                 corrected invoice in JAGGAER (or `quarantine retry`) is planned again and waits \
                 for approval."
            )
        }
    };
    commit.ledger.push(row);
    store.commit(commit).await?;
    Ok(said)
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}
