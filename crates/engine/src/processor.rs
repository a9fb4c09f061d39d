//! Launching JDE's batch voucher processor through the AIS report service (interface 7a,
//! `[tenants.jde.processor]`), and remembering what the launched job did.
//!
//! One launch per sync run that wrote Z rows (never one per voucher), and never a new launch
//! while a job of ours still runs: the rows of a run that could not launch wait for the next
//! one (`pending`). After a launch the cycle polls the job's status for at most
//! `processor.wait`; when it ends within that, the read-back runs again in the same cycle,
//! else the next cycle looks at the job first. A launch that fails (report service missing,
//! refused, AIS down) or a job that ends in error is recorded as `last_error` (the alert
//! monitor reports it) and never fails the cycle or pauses the tenant: the vouchers are
//! written and wait.
//!
//! The state lives in the tenant's cursor key-value store under [`STATE`] as JSON.
//!
//! Two processors are handled alike, each with its own state ([`Processor`]): the batch voucher
//! processor (R04110ZA, `voucher`) for expense vouchers, and the voucher match driver
//! (R4304010, `match`) for PO-backed invoices (interface 8). Each is launched only after a run
//! that wrote rows for it, and each judges only its own batches.
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ports::JobState;
use crate::run::{Run, SyncError};
use crate::settings::ReportRef;

/// Cursor key of the voucher processor's state.
pub const STATE: &str = "processor/voucher";
/// Cursor key of the voucher match driver's state.
pub const MATCH_STATE: &str = "processor/match";

/// Which of JDE's batch processors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processor {
    /// R04110ZA over expense vouchers (`[tenants.jde.processor] voucher`).
    Voucher,
    /// R4304010 over match vouchers (`[tenants.jde.processor] match`).
    Match,
}

impl Processor {
    /// Both.
    pub const ALL: [Processor; 2] = [Processor::Voucher, Processor::Match];

    /// Cursor key of its state.
    pub fn state_key(self) -> &'static str {
        match self {
            Processor::Voucher => STATE,
            Processor::Match => MATCH_STATE,
        }
    }

    /// The processor that handles a voucher.
    pub fn of(is_match: bool) -> Processor {
        if is_match {
            Processor::Match
        } else {
            Processor::Voucher
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Processor::Voucher => 0,
            Processor::Match => 1,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Processor::Voucher => "batch voucher processor",
            Processor::Match => "voucher match driver",
        }
    }
}

/// A job we launched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Job number AIS returned.
    pub job: i64,
    /// Report.
    pub report: String,
    /// Version.
    pub version: String,
    /// When we asked for it (after the batches it covers were committed).
    pub started: Timestamp,
    /// When we saw it end.
    #[serde(default)]
    pub ended: Option<Timestamp>,
}

/// What the last launch or job went wrong with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// For the operator: names the report, version and job.
    pub message: String,
    /// When.
    pub at: Timestamp,
    /// The job, when one was launched.
    #[serde(default)]
    pub job: Option<i64>,
}

/// The voucher processor's state of one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessorState {
    /// Z rows were written that no launched job covers yet.
    #[serde(default)]
    pub pending: bool,
    /// A job of ours that has not been seen ending.
    #[serde(default)]
    pub running: Option<Job>,
    /// The last job of ours that ended normally (`D`).
    #[serde(default)]
    pub last_done: Option<Job>,
    /// The last failure; cleared by the next job that ends normally.
    #[serde(default)]
    pub last_error: Option<Failure>,
}

impl ProcessorState {
    /// Parses the stored JSON; unreadable state counts as none (nothing running).
    pub fn parse(text: Option<&str>) -> ProcessorState {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }
}

fn report_of<'a>(run: &Run<'a>, which: Processor) -> Option<(&'a ReportRef, Duration)> {
    let p = run.engine.settings.payables.processor.as_ref()?;
    let r = match which {
        Processor::Voucher => p.voucher.as_ref()?,
        Processor::Match => p.match_.as_ref()?,
    };
    Some((r, Duration::try_from(p.wait).unwrap_or(Duration::ZERO)))
}

/// The stored state of one processor.
pub(crate) async fn state(run: &Run<'_>, which: Processor) -> Result<ProcessorState, SyncError> {
    Ok(ProcessorState::parse(
        run.engine
            .store
            .cursor(run.tenant(), which.state_key())
            .await?
            .as_deref(),
    ))
}

async fn save(run: &Run<'_>, which: Processor, st: &ProcessorState) -> Result<(), SyncError> {
    let text = serde_json::to_string(st).unwrap_or_default();
    run.engine
        .store
        .set_cursor(run.tenant(), which.state_key(), Some(&text))
        .await?;
    Ok(())
}

/// Records a failure; an ongoing one keeps the time it was first seen, so the alert monitor
/// reports it once until a job ends normally.
fn fail(st: &mut ProcessorState, message: String, job: Option<i64>) {
    let at = st.last_error.as_ref().map_or_else(Timestamp::now, |f| f.at);
    st.last_error = Some(Failure { message, at, job });
}

/// Records how a job ended.
fn ended(st: &mut ProcessorState, mut job: Job, how: JobState) {
    job.ended = Some(Timestamp::now());
    if how == JobState::Done {
        tracing::info!(job = job.job, report = %job.report, version = %job.version, "Batch voucher processor job done.");
        st.last_done = Some(job);
        st.last_error = None;
    } else {
        let message = format!(
            "job {} of {} version {} ended in error: nothing of ours it covered counts as \
             processed or rejected; the vouchers wait for the next run (see the job's log in \
             JDE's Work With Submitted Jobs)",
            job.job, job.report, job.version
        );
        tracing::error!(job = job.job, "{message}");
        fail(st, message, Some(job.job));
        // The rows it should have processed still need a run.
        st.pending = true;
    }
}

/// At the start of a cycle: when a job of ours was left running, asks how it is. A status
/// call that fails leaves the state as it was (the next cycle asks again).
pub(crate) async fn check_running(run: &Run<'_>) -> Result<(), SyncError> {
    for which in Processor::ALL {
        let mut st = state(run, which).await?;
        if report_of(run, which).is_none() {
            // Launching was switched off: a job we left running no longer blocks anything.
            if st.running.take().is_some() {
                save(run, which, &st).await?;
            }
            continue;
        }
        let Some(job) = st.running.clone() else {
            continue;
        };
        let how = run.engine.jde.report_status(job.job).await?;
        if how.ended() {
            st.running = None;
            ended(&mut st, job, how);
            save(run, which, &st).await?;
        }
    }
    Ok(())
}

/// Records that Z rows were written that no job of ours covers yet (a run that failed after
/// writing some): the next run launches the processor for them.
pub(crate) async fn mark_pending(run: &Run<'_>, which: Processor) -> Result<(), SyncError> {
    if report_of(run, which).is_none() {
        return Ok(());
    }
    let mut st = state(run, which).await?;
    if !st.pending {
        st.pending = true;
        save(run, which, &st).await?;
    }
    Ok(())
}

/// After the invoices of a sync run: launches each processor whose Z rows wait for it (the
/// voucher processor for expense vouchers, the match driver for match vouchers) when none of
/// our jobs of it runs, then waits (bounded) for the job. Returns true when a job of ours ended
/// normally during this call (the caller reads back again).
pub(crate) async fn after_sync(run: &Run<'_>) -> Result<bool, SyncError> {
    let mut any = false;
    for which in Processor::ALL {
        let wrote = run.wrote[which.index()].load(std::sync::atomic::Ordering::Relaxed);
        any |= after_sync_of(run, which, wrote).await?;
    }
    Ok(any)
}

async fn after_sync_of(run: &Run<'_>, which: Processor, wrote: bool) -> Result<bool, SyncError> {
    let Some((report, wait)) = report_of(run, which) else {
        return Ok(false);
    };
    let after_sync = run
        .engine
        .settings
        .payables
        .processor
        .as_ref()
        .is_some_and(|p| p.after_sync);
    if !after_sync {
        return Ok(false);
    }
    let mut st = state(run, which).await?;
    if wrote && !st.pending {
        st.pending = true;
        save(run, which, &st).await?;
    }
    if !st.pending || st.running.is_some() {
        // Never a second job of ours at once: the rows wait for the next run.
        return Ok(false);
    }
    let started = Timestamp::now();
    let job = match run
        .engine
        .jde
        .launch_report(&report.report, &report.version)
        .await
    {
        Ok(n) => n,
        Err(e) if e.kind == crate::ports::RemoteErrorKind::AuthRejected => return Err(e.into()),
        Err(e) => {
            let message = format!(
                "could not launch {} version {} through the AIS report service \
                 (v2/report/execute): {e}. The vouchers are written and wait for JDE's {}; \
                 an older Tools release without the report service, or a \
                 user without permission to run the report, needs [tenants.jde.processor] \
                 removed or JDE's own schedule",
                report.report,
                report.version,
                which.label()
            );
            tracing::error!(report = %report.report, version = %report.version, error = %e, "Processor launch failed.");
            fail(&mut st, message, None);
            save(run, which, &st).await?;
            return Ok(false);
        }
    };
    tracing::info!(job, report = %report.report, version = %report.version, processor = which.label(), "Processor launched.");
    let j = Job {
        job,
        report: report.report.clone(),
        version: report.version.clone(),
        started,
        ended: None,
    };
    st.pending = false;
    st.running = Some(j.clone());
    save(run, which, &st).await?;

    // Bounded wait for the job; polls stop at the deadline whatever the job does.
    let deadline = tokio::time::Instant::now() + wait;
    let step = Duration::from_millis(500).min(wait.max(Duration::from_millis(50)));
    loop {
        let how = match run.engine.jde.report_status(job).await {
            Ok(h) => h,
            Err(e) if e.kind == crate::ports::RemoteErrorKind::AuthRejected => return Err(e.into()),
            Err(e) => {
                tracing::warn!(job, error = %e, "Job status not available; asked again next cycle.");
                return Ok(false);
            }
        };
        if how.ended() {
            st.running = None;
            ended(&mut st, j, how);
            save(run, which, &st).await?;
            return Ok(how == JobState::Done);
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            tracing::info!(
                job,
                "Batch voucher processor still running; read back next cycle."
            );
            return Ok(false);
        }
        tokio::time::sleep(step.min(deadline - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_tolerates_garbage() {
        let st = ProcessorState {
            pending: true,
            running: Some(Job {
                job: 7,
                report: "R04110ZA".into(),
                version: "XJDE0002".into(),
                started: Timestamp::UNIX_EPOCH,
                ended: None,
            }),
            last_done: None,
            last_error: None,
        };
        let text = serde_json::to_string(&st).unwrap();
        assert_eq!(ProcessorState::parse(Some(&text)), st);
        assert_eq!(
            ProcessorState::parse(Some("{not json")),
            ProcessorState::default()
        );
        assert_eq!(ProcessorState::parse(None), ProcessorState::default());
    }

    #[test]
    fn a_job_in_error_keeps_the_rows_pending() {
        let mut st = ProcessorState::default();
        let job = Job {
            job: 9,
            report: "R04110ZA".into(),
            version: "XJDE0002".into(),
            started: Timestamp::UNIX_EPOCH,
            ended: None,
        };
        ended(&mut st, job.clone(), JobState::Error);
        assert!(st.pending);
        assert!(st.last_done.is_none());
        let f = st.last_error.clone().unwrap();
        assert_eq!(f.job, Some(9));
        assert!(
            f.message.contains("R04110ZA version XJDE0002"),
            "{}",
            f.message
        );
        ended(&mut st, job, JobState::Done);
        assert!(st.last_error.is_none());
        assert_eq!(st.last_done.as_ref().map(|j| j.job), Some(9));
    }
}
