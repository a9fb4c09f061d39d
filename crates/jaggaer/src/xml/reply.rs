//! Router replies (reference §4.3): `.../<X>ResponseMessage/Status` with `StatusCode`,
//! `StatusText` (with "Counts: Total documents attempted=N, Total documents completed=M") and
//! `Errors/ErrorMessage`. A reply is classified by its body when the body parses; the HTTP status
//! decides only when it does not (JAGGAER answers parse and DTD failures with HTTP 500 and a
//! readable body: that document will fail again, it is not transient).
use super::dom;

/// What a parsable Router reply said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouterReply {
    /// `Header/MessageId` of the reply, if any.
    pub message_id: Option<String>,
    /// `Status/StatusCode` (`None` when absent or not a number).
    pub status_code: Option<u16>,
    /// `Status/StatusText`, trimmed.
    pub status_text: String,
    /// "Total documents attempted=N".
    pub attempted: Option<u32>,
    /// "Total documents completed=N".
    pub completed: Option<u32>,
    /// `Status/Errors/ErrorMessage` texts, in order.
    pub errors: Vec<String>,
}

impl RouterReply {
    /// `StatusText` and the error messages, joined: the text a quarantined record carries.
    pub fn message(&self) -> String {
        let mut parts = Vec::new();
        if !self.status_text.is_empty() {
            parts.push(self.status_text.clone());
        }
        parts.extend(self.errors.iter().cloned());
        parts.join("; ")
    }
}

/// How the connector should treat the answer to one document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouterOutcome {
    /// Every document in the message was applied.
    Success(RouterReply),
    /// A multi-record message (a supplier page) was applied only in part (completed <
    /// attempted): re-send it one record per message to find the failing one.
    Partial {
        /// Documents attempted.
        attempted: u32,
        /// Documents completed.
        completed: u32,
        /// The reply.
        reply: RouterReply,
    },
    /// JAGGAER refused the document for its content: the record's failure, with JAGGAER's text.
    Refused {
        /// JAGGAER's text (status text and error messages).
        message: String,
        /// The HTTP status of the answer.
        http_status: u16,
        /// The reply, when the body parsed.
        reply: Option<RouterReply>,
    },
    /// A configuration problem every record would hit: an unknown custom field ("No custom
    /// field found") or credentials JAGGAER does not accept. Alert; do not quarantine records.
    Configuration {
        /// What JAGGAER said.
        message: String,
        /// The HTTP status of the answer.
        http_status: u16,
    },
    /// A fault that may heal by itself: timeout, connection reset, or a 5xx/408/429 without a
    /// parsable body. Retried (capped); after the cap the record stays pending.
    Transient {
        /// What happened.
        reason: String,
    },
}

impl RouterOutcome {
    /// True for [`RouterOutcome::Success`].
    pub fn is_success(&self) -> bool {
        matches!(self, RouterOutcome::Success(_))
    }
}

/// Marker of the unknown-custom-field failure (reference §4.3/§4.4).
pub const NO_CUSTOM_FIELD: &str = "no custom field found";

/// Reads the counts out of a status text: `attempted=N` and `completed=N` (case-insensitive,
/// spaces around `=` tolerated).
fn count(text: &str, key: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(key)?.checked_add(key.len())?;
    let rest = lower[at..].trim_start().strip_prefix('=')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Parses a Router reply body. `None` when it is not XML or has no `Status` element.
pub fn parse_reply(body: &str) -> Option<RouterReply> {
    let root = dom::parse(body).ok()?;
    let status = root.find("Status")?;
    let status_text = status
        .child("StatusText")
        .map(|n| n.text.trim().to_owned())
        .unwrap_or_default();
    let status_code = status
        .child("StatusCode")
        .and_then(|n| n.text.trim().parse::<u16>().ok());
    if status_code.is_none() && status_text.is_empty() {
        return None;
    }
    let errors = status
        .child("Errors")
        .map(|e| {
            e.children("ErrorMessage")
                .map(|m| m.text.trim().to_owned())
                .filter(|m| !m.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Some(RouterReply {
        message_id: root.text_at("Header/MessageId"),
        status_code,
        attempted: count(&status_text, "attempted"),
        completed: count(&status_text, "completed"),
        status_text,
        errors,
    })
}

/// Classifies the answer to one posted document.
pub fn classify_reply(http_status: u16, body: &str) -> RouterOutcome {
    let Some(reply) = parse_reply(body) else {
        let clipped = crate::error::clip(body.trim());
        return match http_status {
            401 | 403 => RouterOutcome::Configuration {
                message: format!("HTTP {http_status}: credentials refused {clipped}")
                    .trim()
                    .to_owned(),
                http_status,
            },
            // 2xx without a readable status: we cannot tell whether it was applied; a resend
            // carries the same MessageId (and a "new" PO that exists becomes an update).
            200..=299 | 408 | 429 | 500..=599 => RouterOutcome::Transient {
                reason: format!("HTTP {http_status} without a readable Router status: {clipped}"),
            },
            _ => RouterOutcome::Refused {
                message: format!("HTTP {http_status}: {clipped}"),
                http_status,
                reply: None,
            },
        };
    };
    let message = reply.message();
    if message.to_ascii_lowercase().contains(NO_CUSTOM_FIELD) {
        return RouterOutcome::Configuration {
            message,
            http_status,
        };
    }
    let code = reply.status_code.unwrap_or(http_status);
    if matches!(code, 401 | 403) || matches!(http_status, 401 | 403) {
        return RouterOutcome::Configuration {
            message,
            http_status,
        };
    }
    let success_text = reply
        .status_text
        .to_ascii_lowercase()
        .starts_with("success");
    let ok_code = (200..300).contains(&code) && (200..300).contains(&http_status);
    if ok_code || (reply.status_code.is_none() && success_text && (200..300).contains(&http_status))
    {
        return match (reply.attempted, reply.completed) {
            (Some(a), Some(c)) if c == 0 && a > 0 => RouterOutcome::Refused {
                message,
                http_status,
                reply: Some(reply),
            },
            (Some(attempted), Some(completed)) if completed < attempted => RouterOutcome::Partial {
                attempted,
                completed,
                reply,
            },
            _ => RouterOutcome::Success(reply),
        };
    }
    RouterOutcome::Refused {
        message,
        http_status,
        reply: Some(reply),
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn reply(code: u16, text: &str, errors: &[&str]) -> String {
        let errs: String = errors
            .iter()
            .map(|e| format!("<ErrorMessage type=\"Error\">{e}</ErrorMessage>"))
            .collect();
        format!(
            "<?xml version=\"1.0\"?>\n<SupplierSyncMessage version=\"1.0\"><Header><MessageId>r-1</MessageId>\
             <Timestamp>2026-12-05T10:00:00-05:00</Timestamp></Header><SupplierResponseMessage><Status>\
             <StatusCode>{code}</StatusCode><StatusText>{text}</StatusText><Errors>{errs}</Errors>\
             </Status></SupplierResponseMessage></SupplierSyncMessage>"
        )
    }

    #[test]
    fn success_with_counts() {
        let body = reply(
            200,
            "Success (Counts: Total documents attempted=3, Total documents completed=3. Documents successful without warnings=3)",
            &[],
        );
        match classify_reply(200, &body) {
            RouterOutcome::Success(r) => {
                assert_eq!((r.attempted, r.completed), (Some(3), Some(3)));
                assert_eq!(r.message_id.as_deref(), Some("r-1"));
            }
            other => panic!("{other:?}"),
        }
        // 202 accepted is a success too.
        assert!(classify_reply(202, &reply(202, "Success", &[])).is_success());
        // The PO import's bare "success".
        assert!(classify_reply(200, &reply(200, "success", &[])).is_success());
    }

    #[test]
    fn partial_page() {
        let body = reply(
            200,
            "Success (Counts: Total documents attempted=5, Total documents completed=4.)",
            &["Supplier 4243: Name is required"],
        );
        match classify_reply(200, &body) {
            RouterOutcome::Partial {
                attempted: 5,
                completed: 4,
                reply,
            } => assert_eq!(reply.errors, vec!["Supplier 4243: Name is required"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn http_500_with_a_readable_body_is_a_refusal_not_transient() {
        let body = reply(
            500,
            "Error while parsing the input. All documents failed (Counts: Total documents attempted=1, unable to parse=1)",
            &["XML Error : Element type \"Foo\" must be declared. at line 12"],
        );
        match classify_reply(500, &body) {
            RouterOutcome::Refused {
                message,
                http_status: 500,
                reply: Some(_),
            } => {
                assert!(message.contains("Element type \"Foo\""), "{message}");
                assert!(message.contains("Error while parsing"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // 400 "Error processing XML" with a body: refused as well.
        assert!(matches!(
            classify_reply(400, &reply(400, "Error processing XML", &[])),
            RouterOutcome::Refused {
                http_status: 400,
                ..
            }
        ));
        // 200 whose counts say nothing was completed: refused.
        assert!(matches!(
            classify_reply(
                200,
                &reply(
                    200,
                    "Counts: Total documents attempted=1, Total documents completed=0",
                    &["bad"]
                )
            ),
            RouterOutcome::Refused { .. }
        ));
    }

    #[test]
    fn unknown_custom_field_is_a_configuration_problem() {
        let body = reply(
            400,
            "Error processing XML",
            &[
                "No custom field found for name 'Acount' in the document configuration (PurchaseOrder)",
            ],
        );
        match classify_reply(400, &body) {
            RouterOutcome::Configuration { message, .. } => assert!(message.contains("Acount")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify_reply(200, &reply(401, "Authentication failed", &[])),
            RouterOutcome::Configuration { .. }
        ));
    }

    #[test]
    fn unreadable_bodies_go_by_http_status() {
        assert!(matches!(
            classify_reply(503, "<html>Service Unavailable</html"),
            RouterOutcome::Transient { .. }
        ));
        assert!(matches!(
            classify_reply(502, ""),
            RouterOutcome::Transient { .. }
        ));
        assert!(matches!(
            classify_reply(500, "{\"returnCode\":503}"),
            RouterOutcome::Transient { .. }
        ));
        assert!(matches!(
            classify_reply(404, "Not Found"),
            RouterOutcome::Refused {
                http_status: 404,
                reply: None,
                ..
            }
        ));
        assert!(matches!(
            classify_reply(401, ""),
            RouterOutcome::Configuration {
                http_status: 401,
                ..
            }
        ));
    }
}
