//! The cXML `Response` document: `<Response><Status code="200" text="OK"/></Response>`.
use super::CxmlError;
use super::dom::{self, Node};
use super::order::{finish, new_writer, write_prolog};

/// `Response/Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CxmlStatus {
    /// `Status@code` (200 OK, 201 Accepted, 4xx refused, 5xx retry later).
    pub code: u16,
    /// `Status@text`.
    pub text: String,
    /// Element content: the human-readable reason.
    pub detail: String,
}

impl CxmlStatus {
    /// 200 OK.
    pub fn ok() -> Self {
        Self {
            code: 200,
            text: "OK".into(),
            detail: String::new(),
        }
    }
    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.code)
    }
    /// 5xx: the receiver asks us to try again later.
    pub fn is_transient(&self) -> bool {
        self.code >= 500
    }
}

/// A parsed Response document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CxmlResponse {
    /// `cXML@payloadID`.
    pub payload_id: String,
    /// `cXML@timestamp` as sent.
    pub timestamp: String,
    /// The status.
    pub status: CxmlStatus,
}

/// Writes a Response document.
pub fn write_response(payload_id: &str, timestamp: jiff::Timestamp, status: &CxmlStatus) -> String {
    let mut w = new_writer();
    write_prolog(&mut w, payload_id, timestamp);
    w.open("Response", &[]);
    let code = status.code.to_string();
    let attrs = [("code", code.as_str()), ("text", status.text.as_str())];
    if status.detail.is_empty() {
        w.empty("Status", &attrs);
    } else {
        w.leaf("Status", &attrs, &status.detail);
    }
    w.close("Response");
    finish(w)
}

/// Reads a Response document's status.
pub fn parse_response(xml: &[u8]) -> Result<CxmlStatus, CxmlError> {
    parse_response_doc(xml).map(|r| r.status)
}

/// Reads a Response document.
pub fn parse_response_doc(xml: &[u8]) -> Result<CxmlResponse, CxmlError> {
    let root = dom::parse(xml)?;
    if root.name != "cXML" {
        return Err(CxmlError::Invalid {
            element: root.name.clone(),
            message: "root element is not cXML".into(),
        });
    }
    let resp = root.child("Response").ok_or_else(|| CxmlError::Missing {
        element: "cXML/Response".into(),
    })?;
    let status = read_status(resp, "cXML/Response/Status")?;
    Ok(CxmlResponse {
        payload_id: root.attr("payloadID").unwrap_or_default().to_owned(),
        timestamp: root.attr("timestamp").unwrap_or_default().to_owned(),
        status,
    })
}

fn read_status(parent: &Node, path: &str) -> Result<CxmlStatus, CxmlError> {
    let s = parent.child("Status").ok_or_else(|| CxmlError::Missing {
        element: path.into(),
    })?;
    let code = s.attr("code").ok_or_else(|| CxmlError::Missing {
        element: format!("{path}@code"),
    })?;
    let code = code.trim().parse::<u16>().map_err(|_| CxmlError::Invalid {
        element: format!("{path}@code"),
        message: format!("not a status code: {code:?}"),
    })?;
    Ok(CxmlStatus {
        code,
        text: s.attr("text").unwrap_or_default().to_owned(),
        detail: s.all_text(),
    })
}
