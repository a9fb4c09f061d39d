//! The AIS report service: launching a batch job (UBE) and asking for its completion status
//! (`v2/report/execute`, `v2/report/status`; Oracle's "Get the Completion Status of a Report v2",
//! `docs/jde-orchestration.md` §"Launching the processors").
//!
//! A launch is a write (it starts a job), so it is retried only when the request provably never
//! reached AIS; an uncertain outcome surfaces as [`JdeError::OutcomeUnknown`]. Status reads are
//! idempotent. A server without the service (older Tools release) answers 404; a user without
//! permission 403: both come back as [`JdeError::Remote`] with that status, and
//! the engine names the report and version for the operator.

use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{AisClient, Endpoint, RetryMode, parse_json};
use crate::error::JdeError;

/// Where a launched job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// `W`: waiting in the queue (also `S`, submitted).
    Waiting,
    /// `P`: processing.
    Processing,
    /// `D`: done.
    Done,
    /// `E`: ended in error.
    Error,
}

impl JobStatus {
    /// Parses AIS's one-letter `jobStatus` (case-insensitive). Unknown letters are `None`.
    pub fn from_code(code: &str) -> Option<JobStatus> {
        match code.trim().to_ascii_uppercase().as_str() {
            "W" | "S" => Some(JobStatus::Waiting),
            "P" => Some(JobStatus::Processing),
            "D" => Some(JobStatus::Done),
            "E" => Some(JobStatus::Error),
            _ => None,
        }
    }
    /// The job ended (done or error).
    pub fn ended(self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Error)
    }
    /// AIS's letter.
    pub fn code(self) -> &'static str {
        match self {
            JobStatus::Waiting => "W",
            JobStatus::Processing => "P",
            JobStatus::Done => "D",
            JobStatus::Error => "E",
        }
    }
}

/// A job as AIS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportJob {
    /// `jobNumber`.
    pub job_number: i64,
    /// `jobStatus`.
    pub status: JobStatus,
}

fn job_of(v: &Value, endpoint: &'static str, body: &[u8]) -> Result<ReportJob, JdeError> {
    let malformed = |path: &str, reason: &str| JdeError::Malformed {
        endpoint,
        path: path.into(),
        reason: reason.into(),
        body: crate::error::truncate(&String::from_utf8_lossy(body), 2048),
    };
    let job_number = match v.get("jobNumber") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| malformed("jobNumber", "missing or not an integer"))?;
    let status = v
        .get("jobStatus")
        .and_then(Value::as_str)
        .and_then(JobStatus::from_code)
        .ok_or_else(|| malformed("jobStatus", "missing or not one of W/S/P/D/E"))?;
    Ok(ReportJob { job_number, status })
}

impl AisClient {
    /// Launches a report (`POST v2/report/execute` with `reportName` and `reportVersion`).
    pub async fn execute_report(&self, report: &str, version: &str) -> Result<ReportJob, JdeError> {
        let url = self.url("v2/report/execute")?;
        let body = json!({ "reportName": report, "reportVersion": version });
        let r = self
            .call(
                Endpoint::Report,
                Method::POST,
                url,
                Some(&body),
                RetryMode::NotReached,
            )
            .await?;
        let v = parse_json(Endpoint::Report, &r.body)?;
        job_of(&v, Endpoint::Report.label(), &r.body)
    }

    /// The completion status of a job (`POST v2/report/status` with `jobNumber`).
    pub async fn report_status(&self, job_number: i64) -> Result<ReportJob, JdeError> {
        let url = self.url("v2/report/status")?;
        let body = json!({ "jobNumber": job_number });
        let r = self
            .call(
                Endpoint::Report,
                Method::POST,
                url,
                Some(&body),
                RetryMode::Idempotent,
            )
            .await?;
        let v = parse_json(Endpoint::Report, &r.body)?;
        let mut job = job_of(&v, Endpoint::Report.label(), &r.body)?;
        job.job_number = job_number;
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_status_letters() {
        assert_eq!(JobStatus::from_code("d"), Some(JobStatus::Done));
        assert_eq!(JobStatus::from_code("W"), Some(JobStatus::Waiting));
        assert_eq!(JobStatus::from_code("E"), Some(JobStatus::Error));
        assert_eq!(JobStatus::from_code("X"), None);
        assert!(JobStatus::Error.ended() && JobStatus::Done.ended());
        assert!(!JobStatus::Processing.ended());
    }

    #[test]
    fn job_numbers_as_text_or_number() {
        let j = job_of(&json!({"jobNumber": "77", "jobStatus": "P"}), "report", b"").unwrap();
        assert_eq!(
            j,
            ReportJob {
                job_number: 77,
                status: JobStatus::Processing
            }
        );
        assert!(job_of(&json!({"jobStatus": "P"}), "report", b"").is_err());
    }
}
