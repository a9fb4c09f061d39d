//! cXML's view of the one capped XML reader ([`crate::dom`]): bytes must be UTF-8, and the
//! reader's refusals become [`CxmlError`]s.
use crate::dom::DomError;
pub(crate) use crate::dom::Node;

use super::{CxmlError, MAX_DOCUMENT_BYTES};

impl From<DomError> for CxmlError {
    fn from(e: DomError) -> Self {
        match e {
            DomError::TooLarge { size, limit } => CxmlError::TooLarge { size, limit },
            DomError::TooDeep { element, limit } => CxmlError::TooDeep { element, limit },
            DomError::TooMany {
                what,
                element,
                limit,
            } => CxmlError::TooMany {
                what,
                element,
                limit,
            },
            DomError::EntityDeclaration { detail } => CxmlError::EntityDeclaration { detail },
            DomError::UnknownEntity { name } => CxmlError::UnknownEntity { name },
            DomError::Malformed { position, message } => CxmlError::Malformed { position, message },
        }
    }
}

/// Parses `xml` into a tree; refuses entity declarations, unknown entities, oversize, deep and
/// over-wide documents. Comments and processing instructions are dropped.
pub(crate) fn parse(xml: &[u8]) -> Result<Node, CxmlError> {
    if xml.len() > MAX_DOCUMENT_BYTES {
        return Err(CxmlError::TooLarge {
            size: xml.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let text = std::str::from_utf8(xml).map_err(|e| CxmlError::Malformed {
        position: e.valid_up_to() as u64,
        message: "document is not UTF-8".to_owned(),
    })?;
    Ok(crate::dom::parse(text)?)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::cxml::{MAX_ATTRIBUTES, MAX_ELEMENTS};

    #[test]
    fn attribute_and_element_counts_are_capped() {
        // 100,000 attributes on one element: refused at the cap, not after a quadratic check.
        let mut doc = String::from("<cXML");
        for i in 0..100_000 {
            doc.push_str(&format!(" a{i}=\"v\""));
        }
        doc.push_str("/>");
        match parse(doc.as_bytes()) {
            Err(CxmlError::TooMany {
                what: "attributes",
                limit,
                ..
            }) => assert_eq!(limit, MAX_ATTRIBUTES),
            other => panic!("{other:?}"),
        }
        let mut doc = String::from("<cXML>");
        for _ in 0..=MAX_ELEMENTS {
            doc.push_str("<a/>");
        }
        doc.push_str("</cXML>");
        assert!(matches!(
            parse(doc.as_bytes()),
            Err(CxmlError::TooMany {
                what: "elements",
                ..
            })
        ));
        // At the caps, still read.
        let mut doc = String::from("<cXML");
        for i in 0..MAX_ATTRIBUTES {
            doc.push_str(&format!(" a{i}=\"v\""));
        }
        doc.push_str("/>");
        assert_eq!(parse(doc.as_bytes()).unwrap().attrs.len(), MAX_ATTRIBUTES);
    }

    #[test]
    fn a_duplicate_attribute_is_still_refused() {
        let err = parse(br#"<cXML a="1" b="2" a="3"/>"#).unwrap_err();
        assert!(err.to_string().contains("duplicate attribute a"), "{err}");
    }
}
