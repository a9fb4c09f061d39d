//! A small element tree for reading Router XML, with hard caps (size, depth, attributes per
//! element, elements per document), no entity declarations and no DTD fetching.
use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{MAX_ATTRIBUTES, MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_ELEMENTS, XmlError};

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
    /// Follows a `/`-separated path of first children.
    pub(crate) fn path(&self, path: &str) -> Option<&Node> {
        path.split('/').try_fold(self, |n, seg| n.child(seg))
    }
    /// The trimmed text of the element at `path`, `None` when absent or blank.
    pub(crate) fn text_at(&self, path: &str) -> Option<String> {
        self.path(path)
            .map(|n| n.text.trim().to_owned())
            .filter(|s| !s.is_empty())
    }
    /// The first element named `name` at any depth (pre-order), this one included.
    pub(crate) fn find(&self, name: &str) -> Option<&Node> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

fn malformed(position: u64, message: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed {
        position,
        message: message.to_string(),
    }
}

/// Replaces every `&` that does not start one of the five XML entity references or a character
/// reference by `&amp;`: JAGGAER has been seen sending bare `&` in export documents (reference
/// §4.6). One linear pass; a document without a bare `&` is returned unchanged (borrowed).
pub(crate) fn repair_bare_ampersands(text: &str) -> Cow<'_, str> {
    fn is_reference(rest: &[u8]) -> bool {
        // `rest` starts just after the `&`; the longest reference we accept is short.
        let mut end = 0;
        while end < rest.len() && end < 12 && rest[end] != b';' {
            end += 1;
        }
        if end == rest.len() || end == 12 {
            return false;
        }
        let name = &rest[..end];
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
        if b != b'&' || is_reference(&bytes[i + 1..]) {
            continue;
        }
        let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
        // `&` is ASCII, so `i` and `i + 1` are char boundaries.
        o.push_str(&text[last..i]);
        o.push_str("&amp;");
        last = i + 1;
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
pub(crate) fn parse(xml: &str) -> Result<Node, XmlError> {
    if xml.len() > MAX_DOCUMENT_BYTES {
        return Err(XmlError::TooLarge {
            size: xml.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let text = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut elements = 0usize;
    let mut references = 0usize;
    let path = |stack: &[Node], name: &str| {
        let mut p = stack
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>()
            .join("/");
        if !name.is_empty() {
            if !p.is_empty() {
                p.push('/');
            }
            p.push_str(name);
        }
        p
    };
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| malformed(pos, e))?;
        match ev {
            Event::Eof => break,
            Event::DocType(d) => {
                let body = d.decode().map_err(|e| malformed(pos, e))?;
                if body.to_ascii_uppercase().contains("ENTITY") || body.contains('[') {
                    return Err(XmlError::EntityDeclaration {
                        detail: body.chars().take(120).collect(),
                    });
                }
            }
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
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
                    return Err(XmlError::TooDeep {
                        element: path(&stack, &name),
                        limit: MAX_DEPTH,
                    });
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::TooMany {
                        what: "elements",
                        element: path(&stack, &name),
                        limit: MAX_ELEMENTS,
                    });
                }
                let mut attrs: Vec<(String, String)> = Vec::new();
                // quick-xml's duplicate check is quadratic in the attribute count: cap first,
                // then check duplicates ourselves over at most MAX_ATTRIBUTES.
                for a in e.attributes().with_checks(false) {
                    if attrs.len() >= MAX_ATTRIBUTES {
                        return Err(XmlError::TooMany {
                            what: "attributes",
                            element: path(&stack, &name),
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
                        ) => XmlError::UnknownEntity { name: n },
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
                let s = t.xml10_content().map_err(|e| malformed(pos, e))?;
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
                references += 1;
                if references > MAX_ELEMENTS {
                    return Err(XmlError::TooMany {
                        what: "entity references",
                        element: path(&stack, ""),
                        limit: MAX_ELEMENTS,
                    });
                }
                let Some(n) = stack.last_mut() else {
                    return Err(malformed(pos, "reference outside the root element"));
                };
                if r.is_char_ref() {
                    let c = r
                        .resolve_char_ref()
                        .map_err(|e| malformed(pos, e))?
                        .ok_or_else(|| malformed(pos, "bad character reference"))?;
                    n.text.push(c);
                } else {
                    let name = r.decode().map_err(|e| malformed(pos, e))?;
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => n.text.push_str(s),
                        None => {
                            return Err(XmlError::UnknownEntity {
                                name: name.into_owned(),
                            });
                        }
                    }
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed(
            reader.buffer_position(),
            format!("unclosed element {}", path(&stack, "")),
        ));
    }
    root.ok_or_else(|| malformed(0, "no root element"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
