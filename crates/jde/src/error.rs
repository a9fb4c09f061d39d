//! The one error type of the crate, and how each error classifies (transient, auth, kind).

use std::fmt;

/// A business error item as AIS reports it in `errors[]` (`CODE`, `TITLE`, `ERRORCONTROL`, `DESC`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormError {
    /// JDE error code (`0002`).
    pub code: String,
    /// Short title (`Address Number Invalid`).
    pub title: String,
    /// Control / field the error is attached to (`AN8`).
    pub control: String,
    /// Long description.
    pub desc: String,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.title)?;
        if !self.control.is_empty() {
            write!(f, " ({})", self.control)?;
        }
        if !self.desc.is_empty() && self.desc != self.title {
            write!(f, ": {}", self.desc)?;
        }
        Ok(())
    }
}

fn list(errors: &[FormError]) -> String {
    if errors.is_empty() {
        String::new()
    } else {
        let v: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!(" [{}]", v.join("; "))
    }
}

/// Everything that can go wrong talking to AIS. Remote text (message, exception, body) is kept
/// so an operator sees JDE's own words; secrets (password, token) never appear.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JdeError {
    /// The settings cannot work (bad URL, unreadable CA certificate, bad proxy).
    #[error("invalid AIS settings: {0}")]
    Config(String),

    /// AIS refused the credentials (HTTP 403 on tokenrequest). Never retried: repeated failed
    /// logins lock the customer's JDE service account. The client remembers it and fails fast
    /// until `reset_login_block()`.
    #[error("JDE login rejected for user {username} (HTTP {status}): {message}")]
    LoginRejected {
        /// HTTP status (403).
        status: u16,
        /// The user that was refused.
        username: String,
        /// AIS's message.
        message: String,
    },

    /// The session token was refused (HTTP 444) again right after a fresh login.
    #[error("AIS rejected the session token (HTTP 444) even after a new login: {message}")]
    SessionRejected {
        /// AIS's message.
        message: String,
    },

    /// AIS answered with a non-2xx status (`ServiceErrorResponse` body when it had one).
    #[error("AIS {endpoint} answered HTTP {status}: {message}")]
    Remote {
        /// Which call (`dataservice`, `orchestrator`...).
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// `jde__simpleMessage`/`message`/`sysErrors` text, or the start of a non-JSON body.
        message: String,
        /// `exception` of the body, if any.
        exception: Option<String>,
        /// The body text (truncated to a few KiB).
        body: String,
        /// Business errors carried in the body (`errors[]` of an orchestration failure).
        errors: Vec<FormError>,
        /// The body says the orchestration itself failed (`jde__status`/`status` = `ERROR`):
        /// a business rejection, not worth retrying.
        business: bool,
        /// `Retry-After` the server asked for.
        retry_after: Option<std::time::Duration>,
    },

    /// The next-page result set is gone (500 `JAS_MSG347`); the query must be run again.
    #[error("AIS result set expired (JAS_MSG347): {message}")]
    ResultSetExpired {
        /// AIS's message.
        message: String,
    },

    /// The orchestration ran and answered 200, but reported failure (`jde__status` = `ERROR`
    /// or form errors).
    #[error("orchestration {name} failed: {message}{}", list(.errors))]
    Orchestration {
        /// Orchestration name.
        name: String,
        /// `jde__simpleMessage` / `message`.
        message: String,
        /// Form errors (`CODE`/`TITLE`/`ERRORCONTROL`/`DESC`).
        errors: Vec<FormError>,
    },

    /// A write may or may not have happened (timeout or connection lost after the request was
    /// sent, or a 5xx that is not a business rejection). The caller must look before retrying
    /// (for vouchers: browse F0411Z1 by EDUS+EDTN).
    #[error("outcome of AIS {endpoint} call unknown: {reason}")]
    OutcomeUnknown {
        /// Which call.
        endpoint: &'static str,
        /// What happened.
        reason: String,
    },

    /// Transport failure: DNS, connect, TLS, reset, timeout.
    #[error("HTTP transport error calling AIS {endpoint}: {source}")]
    Transport {
        /// Which call.
        endpoint: &'static str,
        /// The connection was never established, so the request provably did not reach AIS.
        connect: bool,
        /// The request timed out.
        timeout: bool,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// A 2xx body that is not what AIS sends (not JSON, missing envelope).
    #[error("AIS {endpoint} returned an unexpected body at {path}: {reason}")]
    Malformed {
        /// Which call.
        endpoint: &'static str,
        /// JSON path of the problem (`fs_DATABROWSE_F4301.data.gridData.rowset`).
        path: String,
        /// What is wrong.
        reason: String,
        /// The body text (truncated; never a token response).
        body: String,
    },

    /// A row did not decode into its typed form.
    #[error("cannot decode {table} row {row} field {field}: {reason}")]
    Decode {
        /// Table (`F4301`).
        table: &'static str,
        /// Row index within the page.
        row: usize,
        /// Field (`F4301_OTOT`).
        field: String,
        /// What is wrong.
        reason: String,
    },

    /// The query cannot be sent as built (e.g. BETWEEN without two values).
    #[error("invalid AIS query on {table}: {reason}")]
    Query {
        /// Target table.
        table: String,
        /// What is wrong.
        reason: String,
    },

    /// Paging could not make progress (result set kept expiring without keyset columns).
    #[error("AIS paging of {table} gave up: {reason}")]
    Paging {
        /// Target table.
        table: String,
        /// Why.
        reason: String,
    },
}

impl JdeError {
    /// Worth retrying later with the same request: transport failures, 5xx that are not
    /// business rejections, 429, expired result sets.
    pub fn is_transient(&self) -> bool {
        match self {
            JdeError::Transport { .. } | JdeError::ResultSetExpired { .. } => true,
            JdeError::Remote {
                status, business, ..
            } => !business && (*status >= 500 || *status == 429 || *status == 408),
            _ => false,
        }
    }

    /// Credentials or session problem (needs an operator, or at least a new login).
    pub fn is_auth(&self) -> bool {
        match self {
            JdeError::LoginRejected { .. } | JdeError::SessionRejected { .. } => true,
            JdeError::Remote { status, .. } => matches!(status, 401 | 403 | 444 | 445 | 446),
            _ => false,
        }
    }

    /// A stable one-word kind, for audit rows and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            JdeError::Config(_) => "config",
            JdeError::LoginRejected { .. } => "login_rejected",
            JdeError::SessionRejected { .. } => "session_rejected",
            JdeError::Remote { business: true, .. } => "business",
            JdeError::Remote { status, .. } if *status >= 500 => "server",
            JdeError::Remote { status: 403, .. } => "forbidden",
            JdeError::Remote { .. } => "client",
            JdeError::ResultSetExpired { .. } => "result_set_expired",
            JdeError::Orchestration { .. } => "business",
            JdeError::OutcomeUnknown { .. } => "outcome_unknown",
            JdeError::Transport { timeout: true, .. } => "timeout",
            JdeError::Transport { .. } => "transport",
            JdeError::Malformed { .. } => "malformed",
            JdeError::Decode { .. } => "decode",
            JdeError::Query { .. } => "query",
            JdeError::Paging { .. } => "paging",
        }
    }

    /// JDE's form errors, when the failure carried any.
    pub fn form_errors(&self) -> &[FormError] {
        match self {
            JdeError::Orchestration { errors, .. } | JdeError::Remote { errors, .. } => errors,
            _ => &[],
        }
    }

    /// HTTP status of a remote failure.
    pub fn status(&self) -> Option<u16> {
        match self {
            JdeError::Remote { status, .. } | JdeError::LoginRejected { status, .. } => {
                Some(*status)
            }
            JdeError::ResultSetExpired { .. } => Some(500),
            JdeError::SessionRejected { .. } => Some(444),
            _ => None,
        }
    }
}

/// Keeps error bodies readable in logs and audit rows.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(status: u16, business: bool) -> JdeError {
        JdeError::Remote {
            endpoint: "dataservice",
            status,
            message: "m".into(),
            exception: None,
            body: String::new(),
            errors: vec![],
            business,
            retry_after: None,
        }
    }

    #[test]
    fn classification() {
        assert!(remote(503, false).is_transient());
        assert!(remote(500, false).is_transient());
        assert!(!remote(500, true).is_transient());
        assert!(!remote(400, false).is_transient());
        assert!(!remote(415, false).is_transient());
        assert!(remote(403, false).is_auth());
        assert_eq!(remote(500, true).kind(), "business");
        assert_eq!(remote(502, false).kind(), "server");
        let e = JdeError::LoginRejected {
            status: 403,
            username: "U".into(),
            message: "Authorization Failure".into(),
        };
        assert!(e.is_auth() && !e.is_transient());
        assert_eq!(e.kind(), "login_rejected");
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let s = "é".repeat(10);
        let t = truncate(&s, 5);
        assert!(t.starts_with("éé"));
        assert_eq!(truncate("abc", 5), "abc");
    }

    #[test]
    fn orchestration_error_lists_form_errors() {
        let e = JdeError::Orchestration {
            name: "ORCH".into(),
            message: "Address Number Invalid".into(),
            errors: vec![FormError {
                code: "0002".into(),
                title: "Address Number Invalid".into(),
                control: "AN8".into(),
                desc: "Supplier 999 not in F0101".into(),
            }],
        };
        let s = e.to_string();
        assert!(
            s.contains("0002") && s.contains("AN8") && s.contains("Supplier 999"),
            "{s}"
        );
    }
}
