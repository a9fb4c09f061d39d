//! Credentials out of stored documents.
//!
//! A cXML `Credential` may carry a `SharedSecret`, a `CredentialMac` or a `DigitalSignature`.
//! None of that may be kept once the document has been checked: the store (inbox, quarantine,
//! audit payloads) is read by operators and printed by `quarantine show --json`. Every place
//! that stores a cXML document stores `redact_credentials(doc, marker)` instead; the marker
//! (e.g. [`VERIFIED`]) records that the credential was there and what became of it.
use std::borrow::Cow;

/// Elements whose text is a credential.
pub const CREDENTIAL_ELEMENTS: [&str; 3] = ["SharedSecret", "CredentialMac", "DigitalSignature"];

/// Marker of an inbound credential that was checked and accepted.
pub const VERIFIED: &str = "[redacted: verified]";
/// Marker of a credential we sent.
pub const SENT: &str = "[redacted: sent]";

/// `xml` with the content of every credential element replaced by `marker` (attributes such as
/// `CredentialMac@algorithm` are kept). Works on the text, so it also cleans a document the
/// reader refused; an element left unclosed has everything after its start tag replaced.
pub fn redact_credentials<'a>(xml: &'a str, marker: &str) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(xml);
    for name in CREDENTIAL_ELEMENTS {
        if out.contains(name)
            && let Some(changed) = redact_element(&out, name, marker)
        {
            out = Cow::Owned(changed);
        }
    }
    out
}

/// Replaces the content of every `<name ...>…</name>` (also with a namespace prefix); `None`
/// when there is none.
fn redact_element(xml: &str, name: &str, marker: &str) -> Option<String> {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    let mut changed = false;
    while let Some(lt) = rest.find('<') {
        // `<` is one byte: `lt + 1` is a char boundary within `rest`.
        let after = &rest[lt.saturating_add(1)..];
        // `<name` or `<prefix:name`, followed by the end of the name.
        let tag_len = after
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(after.len());
        let tag = &after[..tag_len];
        let local = tag.rsplit(':').next().unwrap_or(tag);
        if local != name || tag.starts_with('/') {
            out.push_str(&rest[..=lt]);
            rest = after;
            continue;
        }
        let Some(gt) = after.find('>') else {
            // A start tag that never ends: drop the rest.
            out.push_str(&rest[..lt]);
            out.push('<');
            out.push_str(tag);
            out.push('>');
            out.push_str(marker);
            return Some(out);
        };
        let start_tag = &after[..=gt];
        out.push_str(&rest[..=lt]);
        out.push_str(start_tag);
        rest = &after[gt.saturating_add(1)..];
        if start_tag.ends_with("/>") {
            continue;
        }
        changed = true;
        out.push_str(marker);
        let close = format!("</{tag}");
        match rest.find(&close) {
            Some(end) => rest = &rest[end..],
            None => return Some(out),
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_is_replaced_and_the_rest_kept() {
        let doc = r#"<cXML><Header><From><Credential domain="DUNS"><Identity>1</Identity></Credential></From>
<Sender><Credential domain="NetworkId"><Identity>J</Identity><SharedSecret>
  top&amp;secret </SharedSecret></Credential>
<Credential domain="x"><Identity>K</Identity><CredentialMac type="FromSenderCredentials" algorithm="HMAC-SHA1v1.0">bWFj</CredentialMac></Credential>
<Credential domain="y"><cx:SharedSecret><![CDATA[other]]></cx:SharedSecret><SharedSecret/></Credential></Sender></Header></cXML>"#;
        let out = redact_credentials(doc, VERIFIED);
        for secret in ["top&amp;secret", "bWFj", "other"] {
            assert!(!out.contains(secret), "{secret}: {out}");
        }
        assert_eq!(out.matches(VERIFIED).count(), 3, "{out}");
        assert!(out.contains(r#"algorithm="HMAC-SHA1v1.0">[redacted: verified]</CredentialMac>"#));
        assert!(out.contains("<Identity>J</Identity>"));
        assert!(out.contains("<SharedSecret/>"));
        // Nothing to do: the same text, not a copy.
        assert!(matches!(
            redact_credentials("<a>SharedSecret</a>", SENT),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn an_unclosed_credential_loses_everything_after_it() {
        let out = redact_credentials("<x><SharedSecret>abc</x>", VERIFIED);
        assert_eq!(out, "<x><SharedSecret>[redacted: verified]");
        let out = redact_credentials("<x><SharedSecret attr='abc", VERIFIED);
        assert!(!out.contains("abc"), "{out}");
    }
}
