//! A minimal, limited XML tree for reading cXML.
use quick_xml::Reader;
use quick_xml::events::Event;

use super::{CxmlError, MAX_ATTRIBUTES, MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_ELEMENTS};

/// One element.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Node>,
    pub(crate) text: String,
}

impl Node {
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// All text below this element, trimmed.
    pub(crate) fn all_text(&self) -> String {
        fn walk(n: &Node, out: &mut String) {
            out.push_str(&n.text);
            for c in &n.children {
                walk(c, out);
            }
        }
        let mut s = String::new();
        walk(self, &mut s);
        s.trim().to_owned()
    }
}

fn malformed(position: u64, message: impl std::fmt::Display) -> CxmlError {
    CxmlError::Malformed {
        position,
        message: message.to_string(),
    }
}

/// Parses `xml` into a tree; refuses entity declarations, unknown entities, oversize and deep
/// documents. Comments and processing instructions are dropped.
pub(crate) fn parse(xml: &[u8]) -> Result<Node, CxmlError> {
    if xml.len() > MAX_DOCUMENT_BYTES {
        return Err(CxmlError::TooLarge {
            size: xml.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let text = std::str::from_utf8(xml)
        .map_err(|e| malformed(e.valid_up_to() as u64, "document is not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut elements = 0usize;
    let path = |stack: &[Node]| {
        stack
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>()
            .join("/")
    };
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| malformed(pos, e))?;
        match ev {
            Event::Eof => break,
            Event::DocType(d) => {
                let body = d.decode().map_err(|e| malformed(pos, e))?;
                let upper = body.to_ascii_uppercase();
                if upper.contains("ENTITY") || body.contains('[') {
                    return Err(CxmlError::EntityDeclaration {
                        detail: body.chars().take(120).collect(),
                    });
                }
            }
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(malformed(pos, "content after the root element"));
            }
            ev @ (Event::Start(_) | Event::Empty(_)) => {
                let (is_empty, e) = match ev {
                    Event::Start(e) => (false, e),
                    Event::Empty(e) => (true, e),
                    _ => unreachable!("matched above"),
                };
                let name = std::str::from_utf8(e.name().as_ref())
                    .map_err(|err| malformed(pos, err))?
                    .to_owned();
                if stack.len() >= MAX_DEPTH {
                    return Err(CxmlError::TooDeep {
                        element: format!("{}/{name}", path(&stack)),
                        limit: MAX_DEPTH,
                    });
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(CxmlError::TooMany {
                        what: "elements",
                        element: format!("{}/{name}", path(&stack)),
                        limit: MAX_ELEMENTS,
                    });
                }
                let mut attrs: Vec<(String, String)> = Vec::new();
                // quick-xml's own duplicate check is quadratic in the attribute count: count
                // first (cheap), and check duplicates ourselves over at most MAX_ATTRIBUTES.
                for a in e.attributes().with_checks(false) {
                    if attrs.len() >= MAX_ATTRIBUTES {
                        return Err(CxmlError::TooMany {
                            what: "attributes",
                            element: format!("{}/{name}", path(&stack)),
                            limit: MAX_ATTRIBUTES,
                        });
                    }
                    let a = a.map_err(|err| malformed(pos, err))?;
                    let key = std::str::from_utf8(a.key.as_ref())
                        .map_err(|err| malformed(pos, err))?
                        .to_owned();
                    if attrs.iter().any(|(k, _)| *k == key) {
                        return Err(malformed(
                            pos,
                            format!("duplicate attribute {key} on {name}"),
                        ));
                    }
                    let value = a.unescape_value().map_err(|err| match err {
                        quick_xml::Error::Escape(
                            quick_xml::escape::EscapeError::UnrecognizedEntity(_, n),
                        ) => CxmlError::UnknownEntity { name: n },
                        other => malformed(pos, other),
                    })?;
                    attrs.push((key, value.into_owned()));
                }
                let node = Node {
                    name,
                    attrs,
                    ..Node::default()
                };
                if is_empty {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => root = Some(node),
                    }
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| malformed(pos, "unexpected end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| malformed(pos, e))?;
                match stack.last_mut() {
                    Some(n) => n.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(malformed(pos, "text outside the root element")),
                }
            }
            Event::CData(c) => {
                let s = c.decode().map_err(|e| malformed(pos, e))?;
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let ch = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| malformed(pos, e))?
                        .ok_or_else(|| malformed(pos, "bad character reference"))?
                        .to_string()
                } else {
                    let name = r.decode().map_err(|e| malformed(pos, e))?;
                    match name.as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => {
                            return Err(CxmlError::UnknownEntity {
                                name: other.to_owned(),
                            });
                        }
                    }
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&ch);
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed(
            reader.buffer_position(),
            format!("unclosed element {}", path(&stack)),
        ));
    }
    root.ok_or_else(|| malformed(0, "no root element"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
