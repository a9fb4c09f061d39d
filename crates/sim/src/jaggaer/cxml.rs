//! The cXML OrderRequest inbox: a small element tree over quick-xml (no DTD fetching, no
//! external entities), DTD validation through `xmllint`, the required-element and Sender
//! checks, the mapping of an order to the J1P PO shape, and the cXML `Response`.

use std::path::Path;
use std::time::Duration;

use quick_xml::Reader;
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::data::{dec, num};

/// An XML element: name, attributes, children and its own text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Elem {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Elem>,
    pub(crate) text: String,
}

impl Elem {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Elem> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Elem> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a `/`-separated path of first children.
    pub(crate) fn path(&self, path: &str) -> Option<&Elem> {
        path.split('/').try_fold(self, |e, seg| e.child(seg))
    }

    /// All text below this element, trimmed (mixed content such as `Description`).
    pub(crate) fn deep_text(&self) -> String {
        fn walk(e: &Elem, out: &mut String) {
            out.push_str(&e.text);
            for c in &e.children {
                walk(c, out);
            }
        }
        let mut s = String::new();
        walk(self, &mut s);
        s.trim().to_owned()
    }
}

/// Parses a document into its root element. Errors are well-formedness problems with the byte
/// position. Only the predefined entities and character references are resolved: a DOCTYPE is
/// skipped, never fetched (no XXE).
pub(crate) fn parse(xml: &str) -> Result<Elem, String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Elem> = Vec::new();
    let mut root: Option<Elem> = None;
    let open = |e: &quick_xml::events::BytesStart<'_>| -> Result<Elem, String> {
        let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| format!("bad attribute in <{name}>: {err}"))?;
            let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let v = a
                .unescape_value()
                .map_err(|err| format!("bad attribute value {k} in <{name}>: {err}"))?
                .into_owned();
            attrs.push((k, v));
        }
        Ok(Elem {
            name,
            attrs,
            ..Elem::default()
        })
    };
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| format!("not well-formed XML at byte {pos}: {e}"))?;
        match ev {
            Event::Start(e) => {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                stack.push(open(&e)?);
            }
            Event::Empty(e) => {
                let el = open(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err("content after the root element".into()),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t
                    .xml10_content()
                    .map_err(|e| format!("bad text at byte {pos}: {e}"))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(format!("text outside the root element at byte {pos}")),
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?.into_owned();
                let ch = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| format!("bad character reference &{name};: {e}"))?
                        .map(String::from)
                } else {
                    resolve_predefined_entity(&name).map(str::to_owned)
                };
                let ch = ch.ok_or_else(|| format!("undeclared entity &{name}; at byte {pos}"))?;
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&ch);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!(
            "unclosed element <{}>",
            stack[stack.len() - 1].name
        ));
    }
    root.ok_or_else(|| "empty document".to_owned())
}

/// Outcome of DTD validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DtdCheck {
    Valid,
    Invalid(String),
    Skipped(String),
}

impl DtdCheck {
    pub(crate) fn label(&self) -> String {
        match self {
            DtdCheck::Valid => "valid".into(),
            DtdCheck::Invalid(m) => format!("invalid: {m}"),
            DtdCheck::Skipped(why) => format!("skipped: {why}"),
        }
    }
}

/// Validates with `xmllint --noout --nonet --dtdvalid <dtd>`; skipped (with the reason) when
/// no DTD is configured, it is missing, or xmllint is not installed.
pub(crate) async fn validate_dtd(xml: &str, dtd: Option<&Path>) -> DtdCheck {
    let Some(dtd) = dtd else {
        return DtdCheck::Skipped("no DTD configured".into());
    };
    if !dtd.is_file() {
        return DtdCheck::Skipped(format!("DTD {} not found", dtd.display()));
    }
    let file = match tempfile::NamedTempFile::new() {
        Ok(f) => f,
        Err(e) => return DtdCheck::Skipped(format!("temporary file: {e}")),
    };
    if let Err(e) = tokio::fs::write(file.path(), xml.as_bytes()).await {
        return DtdCheck::Skipped(format!("temporary file: {e}"));
    }
    let run = tokio::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--dtdvalid")
        .arg(dtd)
        .arg(file.path())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(20), run).await {
        Err(_) => DtdCheck::Skipped("xmllint timed out".into()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            DtdCheck::Skipped("xmllint is not installed".into())
        }
        Ok(Err(e)) => DtdCheck::Skipped(format!("xmllint failed to start: {e}")),
        Ok(Ok(out)) if out.status.success() => DtdCheck::Valid,
        Ok(Ok(out)) => {
            let path = file.path().display().to_string();
            let msg = String::from_utf8_lossy(&out.stderr)
                .lines()
                // The DOCTYPE's URL cannot be fetched under --nonet; that warning is noise.
                .filter(|l| !l.contains("failed to load") && !l.trim().is_empty())
                .take(4)
                .map(|l| l.replace(&path, "document"))
                .collect::<Vec<_>>()
                .join("; ");
            DtdCheck::Invalid(if msg.is_empty() {
                format!("xmllint exit status {}", out.status)
            } else {
                msg
            })
        }
    }
}

/// A cXML `Response` document with a Status.
pub(crate) fn response(code: u16, text: &str, detail: &str, payload_id: &str, now: &str) -> String {
    let detail = escape(detail);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.069/cXML.dtd\">\n\
         <cXML payloadID=\"{}\" timestamp=\"{}\" xml:lang=\"en-US\">\
         <Response><Status code=\"{code}\" text=\"{}\">{detail}</Status></Response></cXML>\n",
        escape(payload_id),
        escape(now),
        escape(text)
    )
}

/// What the inbox needs from an OrderRequest.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) payload_id: String,
    pub(crate) order_id: String,
    /// `new`, `update` or `delete`.
    pub(crate) kind: String,
    pub(crate) sender_identities: Vec<String>,
    pub(crate) shared_secret: Option<String>,
    pub(crate) to_identities: Vec<String>,
    pub(crate) supplier_extrinsic: Option<String>,
    pub(crate) order_date: String,
    pub(crate) currency: String,
    pub(crate) total: Decimal,
    pub(crate) lines: Vec<Value>,
}

fn req<'a>(e: &'a Elem, path: &str) -> Result<&'a Elem, String> {
    e.path(path)
        .ok_or_else(|| format!("missing element {path}"))
}

fn req_attr<'a>(e: &'a Elem, attr: &str, what: &str) -> Result<&'a str, String> {
    e.attr(attr)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("missing attribute {what}@{attr}"))
}

fn money(e: &Elem, what: &str) -> Result<(String, Decimal), String> {
    let currency = req_attr(e, "currency", what)?.to_owned();
    let text = e.deep_text();
    let v = dec(&Value::String(text.clone()))
        .ok_or_else(|| format!("{what}: `{text}` is not a decimal amount"))?;
    Ok((currency, v))
}

/// Which custom field an accounting segment name means.
fn segment_field(name: &str) -> Option<&'static str> {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    match n.as_str() {
        "account" | "glaccount" | "generalledger" | "gl" => Some("Account"),
        "costcenter" | "costcentre" | "businessunit" => Some("CostCenter"),
        _ => None,
    }
}

fn line_coding(item: &Elem) -> Option<Value> {
    let acc = item.child("Distribution")?.child("Accounting")?;
    let mut found: Vec<(&'static str, String)> = Vec::new();
    for seg in acc.all("AccountingSegment") {
        if let (Some(f), Some(id)) = (
            seg.child("Name")
                .map(Elem::deep_text)
                .as_deref()
                .and_then(segment_field),
            seg.attr("id"),
        ) {
            found.push((f, id.to_owned()));
        }
    }
    // The deprecated form: <Segment type="..." id="..." description="..."/>.
    for seg in acc.all("Segment") {
        if let (Some(f), Some(id)) = (seg.attr("type").and_then(segment_field), seg.attr("id")) {
            found.push((f, id.to_owned()));
        }
    }
    if found.is_empty() {
        return None;
    }
    let sets: Vec<Value> = found
        .into_iter()
        .map(|(f, v)| json!({"name": f, "customFieldValueList": {"customFieldValue": [{"value": v}]}}))
        .collect();
    Some(json!({ "customFieldValueSet": sets }))
}

/// Checks the required elements of an OrderRequest and extracts the order.
pub(crate) fn order(root: &Elem) -> Result<Order, String> {
    if root.name != "cXML" {
        return Err(format!("root element is <{}>, expected <cXML>", root.name));
    }
    let payload_id = req_attr(root, "payloadID", "cXML")?.to_owned();
    req_attr(root, "timestamp", "cXML")?;
    let header = req(root, "Header")?;
    let identities = |party: &str| -> Result<Vec<String>, String> {
        let p = req(header, party)?;
        let ids: Vec<String> = p
            .all("Credential")
            .filter_map(|c| c.child("Identity").map(Elem::deep_text))
            .collect();
        if ids.is_empty() {
            return Err(format!(
                "missing element Header/{party}/Credential/Identity"
            ));
        }
        Ok(ids)
    };
    identities("From")?;
    let to_identities = identities("To")?;
    let sender_identities = identities("Sender")?;
    let shared_secret = req(header, "Sender")?
        .all("Credential")
        .find_map(|c| c.child("SharedSecret").map(Elem::deep_text));
    let or = req(root, "Request/OrderRequest")?;
    let h = req(or, "OrderRequestHeader")?;
    let order_id = req_attr(h, "orderID", "OrderRequestHeader")?.to_owned();
    let order_date = req_attr(h, "orderDate", "OrderRequestHeader")?.to_owned();
    let kind = h.attr("type").unwrap_or("new").to_owned();
    if !matches!(kind.as_str(), "new" | "update" | "delete") {
        return Err(format!(
            "OrderRequestHeader@type `{kind}` is not new, update or delete"
        ));
    }
    let (currency, total) = money(req(h, "Total/Money")?, "Total/Money")?;
    let supplier_extrinsic = h
        .all("Extrinsic")
        .find(|x| {
            x.attr("name")
                .is_some_and(|n| n.to_ascii_lowercase().contains("supplier"))
        })
        .map(Elem::deep_text);
    let mut lines = Vec::new();
    for (i, item) in or.all("ItemOut").enumerate() {
        let what = format!("ItemOut[{}]", i + 1);
        let qty_text = req_attr(item, "quantity", &what)?;
        let qty = dec(&Value::String(qty_text.to_owned()))
            .ok_or_else(|| format!("{what}@quantity `{qty_text}` is not a number"))?;
        let line_no = item
            .attr("lineNumber")
            .map(str::to_owned)
            .unwrap_or_else(|| (i + 1).to_string());
        let detail = item
            .child("ItemDetail")
            .ok_or_else(|| format!("missing element {what}/ItemDetail"))?;
        let (_, price) = money(
            req(detail, "UnitPrice/Money").map_err(|e| format!("{what}/ItemDetail: {e}"))?,
            &format!("{what}/ItemDetail/UnitPrice/Money"),
        )?;
        let desc = detail
            .child("Description")
            .map(Elem::deep_text)
            .ok_or_else(|| format!("missing element {what}/ItemDetail/Description"))?;
        let uom = detail
            .child("UnitOfMeasure")
            .map(Elem::deep_text)
            .ok_or_else(|| format!("missing element {what}/ItemDetail/UnitOfMeasure"))?;
        let part = item
            .path("ItemID/SupplierPartID")
            .map(Elem::deep_text)
            .ok_or_else(|| format!("missing element {what}/ItemID/SupplierPartID"))?;
        let line_number = line_no
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .unwrap_or(Value::String(line_no));
        let status = if item.attr("operation") == Some("delete") || kind == "delete" {
            "Cancelled"
        } else {
            "Open"
        };
        let mut line = json!({
            "lineNumber": line_number,
            "description": desc,
            "itemNumber": part,
            "quantity": num(qty),
            "unitOfMeasure": uom,
            "unitPrice": num(price),
            "extendedPrice": num(qty * price),
            "status": status,
        });
        if let Some(c) = line_coding(item) {
            line["customFieldValueSetList"] = c;
        }
        lines.push(line);
    }
    if lines.is_empty() {
        return Err("an OrderRequest needs at least one ItemOut".into());
    }
    Ok(Order {
        payload_id,
        order_id,
        kind,
        sender_identities,
        shared_secret,
        to_identities,
        supplier_extrinsic,
        order_date,
        currency,
        total,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entities_and_rejects_broken_documents() {
        let e = parse("<?xml version=\"1.0\"?><!DOCTYPE a SYSTEM \"x.dtd\"><a k=\"1&amp;2\">x &lt; y&#33;<b/></a>")
            .expect("parses");
        assert_eq!(e.attr("k"), Some("1&2"));
        assert_eq!(e.text, "x < y!");
        assert_eq!(e.children[0].name, "b");
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>&ext;</a>").is_err());
        assert!(parse("<a/><b/>").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn segment_names_map_to_fields() {
        assert_eq!(segment_field("GLAccount"), Some("Account"));
        assert_eq!(segment_field("Cost Center"), Some("CostCenter"));
        assert_eq!(segment_field("Project"), None);
    }
}
