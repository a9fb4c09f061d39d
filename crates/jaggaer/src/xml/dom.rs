//! The Router XML view of the one capped XML reader ([`crate::dom`]), plus the repair of the
//! bare `&` JAGGAER has been seen sending.
use std::borrow::Cow;

use crate::dom::DomError;
pub(crate) use crate::dom::Node;

use super::XmlError;

impl From<DomError> for XmlError {
    fn from(e: DomError) -> Self {
        match e {
            DomError::TooLarge { size, limit } => XmlError::TooLarge { size, limit },
            DomError::TooDeep { element, limit } => XmlError::TooDeep { element, limit },
            DomError::TooMany {
                what,
                element,
                limit,
            } => XmlError::TooMany {
                what,
                element,
                limit,
            },
            DomError::EntityDeclaration { detail } => XmlError::EntityDeclaration { detail },
            DomError::UnknownEntity { name } => XmlError::UnknownEntity { name },
            DomError::Malformed { position, message } => XmlError::Malformed { position, message },
        }
    }
}

/// Replaces every `&` that does not start one of the five XML entity references or a character
/// reference by `&amp;`: JAGGAER has been seen sending bare `&` in export documents (reference
/// §4.6). One linear pass; a document without a bare `&` is returned unchanged (borrowed).
pub(crate) fn repair_bare_ampersands(text: &str) -> Cow<'_, str> {
    fn is_reference(rest: &[u8]) -> bool {
        // `rest` starts just after the `&`; the longest reference we accept is short.
        let Some(end) = rest.iter().take(12).position(|&b| b == b';') else {
            return false;
        };
        let Some(name) = rest.get(..end) else {
            return false;
        };
        match name {
            b"amp" | b"lt" | b"gt" | b"quot" | b"apos" => true,
            [b'#', b'x', hex @ ..] => !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit),
            [b'#', dec @ ..] => !dec.is_empty() && dec.iter().all(u8::is_ascii_digit),
            _ => false,
        }
    }
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'&' || is_reference(bytes.get(i.saturating_add(1)..).unwrap_or_default()) {
            continue;
        }
        let o = out.get_or_insert_with(|| String::with_capacity(text.len().saturating_add(64)));
        // `&` is ASCII, so `i` and `i + 1` are char boundaries.
        o.push_str(&text[last..i]);
        o.push_str("&amp;");
        last = i.saturating_add(1);
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[last..]);
            Cow::Owned(o)
        }
    }
}

/// Parses `xml` into a tree; refuses entity declarations, unknown entities, oversize, deep and
/// attribute-, element- or reference-heavy documents (at most [`MAX_ELEMENTS`] of each). Comments and processing instructions are dropped.
/// Parses `xml` into a tree within the reader's caps.
pub(crate) fn parse(xml: &str) -> Result<Node, XmlError> {
    Ok(crate::dom::parse(xml)?)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::xml::{MAX_DEPTH, MAX_ELEMENTS};

    #[test]
    fn bare_ampersands_are_repaired_and_references_kept() {
        assert!(matches!(
            repair_bare_ampersands("<a>x &amp; y &#38; &#x26; &lt;</a>"),
            Cow::Borrowed(_)
        ));
        let fixed = repair_bare_ampersands("<a n=\"B&Q\">Smith & Sons &amp; Co &foo; &</a>");
        assert_eq!(
            fixed,
            "<a n=\"B&amp;Q\">Smith &amp; Sons &amp; Co &amp;foo; &amp;</a>"
        );
        let root = parse(&fixed).unwrap();
        assert_eq!(root.text, "Smith & Sons & Co &foo; &");
        assert_eq!(root.attr("n"), Some("B&Q"));
    }

    #[test]
    fn entity_declarations_and_unknown_entities_are_refused() {
        let doc = "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>";
        assert!(matches!(
            parse(doc),
            Err(XmlError::EntityDeclaration { .. })
        ));
        assert!(matches!(
            parse("<a>&x;</a>"),
            Err(XmlError::UnknownEntity { .. })
        ));
    }

    #[test]
    fn attribute_element_and_depth_caps() {
        let mut doc = String::from("<a");
        for i in 0..100_000 {
            doc.push_str(&format!(" a{i}=\"v\""));
        }
        doc.push_str("/>");
        assert!(matches!(
            parse(&doc),
            Err(XmlError::TooMany {
                what: "attributes",
                ..
            })
        ));
        let mut doc = String::from("<a>");
        for _ in 0..=MAX_ELEMENTS {
            doc.push_str("<b/>");
        }
        doc.push_str("</a>");
        assert!(matches!(
            parse(&doc),
            Err(XmlError::TooMany {
                what: "elements",
                ..
            })
        ));
        let refs = format!("<a>{}</a>", "&amp;".repeat(MAX_ELEMENTS + 1));
        assert!(matches!(
            parse(&refs),
            Err(XmlError::TooMany {
                what: "entity references",
                ..
            })
        ));
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(matches!(parse(&deep), Err(XmlError::TooDeep { .. })));
        assert!(
            parse(r#"<a x="1" x="2"/>"#)
                .unwrap_err()
                .to_string()
                .contains("duplicate attribute x")
        );
    }
}
