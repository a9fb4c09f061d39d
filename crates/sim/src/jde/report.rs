//! The batch jobs of the AIS report service (`v2/report/execute`, `v2/report/status`): a job
//! waits (`W`), processes (`P`) and ends done (`D`) or in error (`E`) after the configured run
//! time; when an R04110ZA job ends done, the batch voucher processor runs over its version's
//! data selection with the job's number (an R4304010 job: the Voucher Match Automation driver).

use std::time::{Duration, Instant};

use jiff::civil::DateTime;

use super::config::{DataSelection, JobOutcome};
use super::voucher::ProcessReport;

/// A report the simulator can run: the batch voucher processor.
pub const VOUCHER_PROCESSOR: &str = "R04110ZA";

/// A report the simulator can run: the Voucher Match Automation driver.
pub const MATCH_PROCESSOR: &str = "R4304010";

/// Versions every JDE ships for R04110ZA and R4304010; other versions exist only when a knob
/// defines them.
pub(crate) const DELIVERED_VERSIONS: [&str; 2] = ["XJDE0001", "XJDE0002"];

/// A launched batch job as the simulator tracks it.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) number: i64,
    pub(crate) report: String,
    pub(crate) version: String,
    pub(crate) user: String,
    pub(crate) started: Instant,
    pub(crate) runtime: Duration,
    pub(crate) outcome: JobOutcome,
    pub(crate) selection: DataSelection,
    pub(crate) status: JobStatus,
    pub(crate) submitted_at: DateTime,
    pub(crate) last_at: DateTime,
    pub(crate) result: Option<ProcessReport>,
}

/// Status of a batch job as AIS reports it in `jobStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// `W`: waiting in the queue.
    Waiting,
    /// `P`: processing.
    Processing,
    /// `D`: done.
    Done,
    /// `E`: ended in error.
    Error,
}

impl JobStatus {
    /// The one-letter code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            JobStatus::Waiting => "W",
            JobStatus::Processing => "P",
            JobStatus::Done => "D",
            JobStatus::Error => "E",
        }
    }

    /// Whether the job has ended (done or error).
    pub fn ended(self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Error)
    }
}

/// A launched job, for tests and the admin route.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportJob {
    /// Job number (what `execute` returned).
    pub job_number: i64,
    /// Report, e.g. `R04110ZA`.
    pub report: String,
    /// Version, e.g. `XJDE0002`.
    pub version: String,
    /// E1 user who launched it.
    pub user: String,
    /// Current status.
    pub status: JobStatus,
    /// The data selection the run used.
    pub selection: DataSelection,
    /// What the processor did, once the job ended done.
    pub processed: Option<ProcessReport>,
}

impl Job {
    pub(crate) fn public(&self) -> ReportJob {
        ReportJob {
            job_number: self.number,
            report: self.report.clone(),
            version: self.version.clone(),
            user: self.user.clone(),
            status: self.status,
            selection: self.selection.clone(),
            processed: self.result.clone(),
        }
    }

    /// The status the job should have now; the caller runs the processor on the step to `D`.
    pub(crate) fn due_status(&self) -> JobStatus {
        if self.status.ended() {
            return self.status;
        }
        let elapsed = self.started.elapsed();
        if elapsed >= self.runtime {
            return match self.outcome {
                JobOutcome::Done => JobStatus::Done,
                JobOutcome::Error => JobStatus::Error,
                JobOutcome::NeverEnds => JobStatus::Processing,
            };
        }
        if elapsed < self.runtime / 3 {
            JobStatus::Waiting
        } else {
            JobStatus::Processing
        }
    }
}
