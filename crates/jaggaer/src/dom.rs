//! The one capped XML reader behind every inbound document (cXML and the eProcurement Router
//! XML): a small element tree with hard limits on size, depth, attributes per element, elements
//! and entity references per document, no entity declarations and no DTD fetching.
//!
//! The limits are what keeps one hostile request from freezing the service (issue 16): each is
//! checked as the document is read, before the work it guards, so a 1 MB document with 100,000
//! attributes is refused at the 65th attribute, not after a quadratic duplicate check (quick-xml's
//! own duplicate-attribute check is quadratic in the attribute count, so we count first and check
//! duplicates ourselves over at most [`MAX_ATTRIBUTES`]). The callers (`cxml::dom`, `xml::dom`)
//! turn [`DomError`] into their own error type.
use quick_xml::Reader;
use quick_xml::events::Event;

/// Largest document accepted, in bytes.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// Deepest element nesting accepted.
pub(crate) const MAX_DEPTH: usize = 64;
/// Most attributes accepted on one element.
pub(crate) const MAX_ATTRIBUTES: usize = 64;
/// Most elements (and, separately, entity references) accepted in one document.
pub(crate) const MAX_ELEMENTS: usize = 250_000;

/// Why a document was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DomError {
    /// Larger than [`MAX_DOCUMENT_BYTES`].
    TooLarge { size: usize, limit: usize },
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep { element: String, limit: usize },
    /// More attributes, elements or entity references than allowed.
    TooMany {
        what: &'static str,
        element: String,
        limit: usize,
    },
    /// A DOCTYPE that declares entities or has an internal subset.
    EntityDeclaration { detail: String },
    /// A reference to an entity other than the five XML ones or a character reference.
    UnknownEntity { name: String },
    /// Not well-formed.
    Malformed { position: u64, message: String },
}

/// One element.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Node>,
    pub(crate) text: String,
}

impl Node {
    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    /// Every child named `name`, in order.
    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// An attribute's value.
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

fn malformed(position: u64, message: impl std::fmt::Display) -> DomError {
    DomError::Malformed {
        position,
        message: message.to_string(),
    }
}

/// Where the reader is: `a/b/c` (plus `name` when given).
fn path(stack: &[Node], name: &str) -> String {
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
}

/// Appends a finished element to its parent, or makes it the root.
fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

/// Reads one start or empty tag's name and attributes, within the caps.
fn element(
    e: &quick_xml::events::BytesStart<'_>,
    stack: &[Node],
    pos: u64,
) -> Result<Node, DomError> {
    let name = std::str::from_utf8(e.name().as_ref())
        .map_err(|err| malformed(pos, err))?
        .to_owned();
    let mut attrs: Vec<(String, String)> = Vec::new();
    for a in e.attributes().with_checks(false) {
        if attrs.len() >= MAX_ATTRIBUTES {
            return Err(DomError::TooMany {
                what: "attributes",
                element: path(stack, &name),
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
            quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(_, n)) => {
                DomError::UnknownEntity { name: n }
            }
            other => malformed(pos, other),
        })?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Node {
        name,
        attrs,
        ..Node::default()
    })
}

/// Parses `text` into a tree; refuses entity declarations, unknown entities, oversize, deep and
/// over-wide documents. Comments and processing instructions are dropped.
pub(crate) fn parse(text: &str) -> Result<Node, DomError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(DomError::TooLarge {
            size: text.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut elements = 0usize;
    let mut references = 0usize;
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| malformed(pos, e))?;
        match ev {
            Event::Eof => break,
            Event::DocType(d) => {
                let body = d.decode().map_err(|e| malformed(pos, e))?;
                if body.to_ascii_uppercase().contains("ENTITY") || body.contains('[') {
                    return Err(DomError::EntityDeclaration {
                        detail: body.chars().take(120).collect(),
                    });
                }
            }
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(malformed(pos, "content after the root element"));
            }
            Event::Start(e) | Event::Empty(e) if stack.len() >= MAX_DEPTH => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                return Err(DomError::TooDeep {
                    element: path(&stack, &name),
                    limit: MAX_DEPTH,
                });
            }
            Event::Start(e) | Event::Empty(e) if elements >= MAX_ELEMENTS => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                return Err(DomError::TooMany {
                    what: "elements",
                    element: path(&stack, &name),
                    limit: MAX_ELEMENTS,
                });
            }
            Event::Start(e) => {
                elements = elements.saturating_add(1);
                let node = element(&e, &stack, pos)?;
                stack.push(node);
            }
            Event::Empty(e) => {
                elements = elements.saturating_add(1);
                let node = element(&e, &stack, pos)?;
                attach(&mut stack, &mut root, node);
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| malformed(pos, "unexpected end tag"))?;
                attach(&mut stack, &mut root, node);
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
                references = references.saturating_add(1);
                if references > MAX_ELEMENTS {
                    return Err(DomError::TooMany {
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
                            return Err(DomError::UnknownEntity {
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
