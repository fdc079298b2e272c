//! The small XML files of an OFD package read as a flat list of elements — path of local names
//! (namespace prefixes dropped), attributes, text — which is all the signature chapter needs.
//!
//! Namespaces are not consulted, on purpose. GB/T 33190 §7.1 puts every element in
//! `http://www.ofdspec.org/2016`, but producers write others (easyofd: its author's web site; older
//! files: `http://www.ofdspec.org`), and ofdrw, the reader most courts' viewers build on, takes an
//! element by its local name unless put in a strict mode. A verifier must check every seal some
//! reader will show: a `<x:Signature>` in a foreign namespace is therefore read — and checked —
//! as a signature, rather than skipped while a viewer draws its stamp.

use crate::OfdError;
use quick_xml::Reader;
use quick_xml::events::Event;

/// One element: `OFD/DocBody/DocRoot`, its attributes and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// Local names from the root, joined by `/`.
    pub path: String,
    /// Attributes by local name, unescaped.
    pub attrs: Vec<(String, String)>,
    /// Text content, unescaped and trimmed.
    pub text: String,
}

impl Element {
    /// The attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn local(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    name.rsplit(':').next().unwrap_or_default().to_string()
}

/// Every element of `xml` in document order; `file` names it in errors. Charged to the ambient
/// parse budget ([`ecenter_budget::current`]): nesting against `[parsing] depth`, each element
/// and attribute against `values`, and each element's path against `document_bytes` — the
/// paths are what a few deep, long-named elements around many small ones make large (outside
/// tests, round 21: the limits were fixed numbers no setting named).
pub fn elements(xml: &[u8], file: &str) -> Result<Vec<Element>, OfdError> {
    let bad = |e: String| OfdError::Xml(file.to_string(), e);
    let budget = ecenter_budget::current();
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut out: Vec<Element> = Vec::new();
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                stack.push(local(e.name().as_ref()));
                budget.depth(stack.len()).map_err(OfdError::Budget)?;
                let attrs = attributes(e, reader.decoder()).map_err(bad)?;
                let path = stack.join("/");
                budget
                    .charge_values(1 + attrs.len() as u64)
                    .and_then(|()| budget.charge_bytes(path.len() as u64))
                    .map_err(OfdError::Budget)?;
                out.push(Element {
                    path,
                    attrs,
                    text: String::new(),
                });
                if empty {
                    stack.pop();
                } else {
                    open.push(out.len() - 1);
                }
            }
            Event::Text(t) => {
                if let Some(&i) = open.last() {
                    let text = t.decode().map_err(|e| bad(e.to_string()))?;
                    out[i].text.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(&i) = open.last() {
                    let name = r.decode().map_err(|e| bad(e.to_string()))?;
                    let c = match r.resolve_char_ref().map_err(|e| bad(e.to_string()))? {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| bad(format!("unknown entity &{name};")))?
                            .to_string(),
                    };
                    out[i].text.push_str(&c);
                }
            }
            Event::CData(t) => {
                if let Some(&i) = open.last() {
                    out[i].text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::End(_) => {
                stack.pop();
                if let Some(i) = open.pop() {
                    out[i].text = out[i].text.trim().to_string();
                }
            }
            // GB/T 33190 defines its files by XML Schema; a DTD could only declare entities that
            // change what one reader sees and not another, so it is refused as such.
            Event::DocType(_) => {
                return Err(OfdError::Structure(format!(
                    "{file} declares a DTD (<!DOCTYPE …>), which OFD files do not use: refused, so that no entity it declares can change what is read"
                )));
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(bad("the document ends inside an element".into()));
    }
    Ok(out)
}

/// The attributes of `e` by local name, unescaped.
fn attributes(
    e: &quick_xml::events::BytesStart,
    decoder: quick_xml::encoding::Decoder,
) -> Result<Vec<(String, String)>, String> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let value = a
            .decode_and_unescape_value(decoder)
            .map_err(|e| e.to_string())?;
        attrs.push((local(a.key.as_ref()), value.into_owned()));
    }
    Ok(attrs)
}

/// The first element at exactly `path` (local names from the root, joined by `/`): an element
/// nested anywhere else is not the one the standard means.
pub fn first<'a>(elements: &'a [Element], suffix: &str) -> Option<&'a Element> {
    elements.iter().find(|e| matches(e, suffix))
}

fn matches(e: &Element, path: &str) -> bool {
    e.path == path
}

/// Every element at exactly `path`.
pub fn all<'a>(elements: &'a [Element], suffix: &'a str) -> impl Iterator<Item = &'a Element> {
    elements.iter().filter(move |e| matches(e, suffix))
}

/// Text escaped for XML content and attribute values.
pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_dropped_and_text_unescaped() {
        let xml = br#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot> Doc_0/Document.xml </ofd:DocRoot><ofd:Signatures>a&amp;b</ofd:Signatures></ofd:DocBody></ofd:OFD>"#;
        let e = elements(xml, "OFD.xml").unwrap();
        assert_eq!(
            first(&e, "OFD/DocBody/DocRoot").unwrap().text,
            "Doc_0/Document.xml"
        );
        assert_eq!(first(&e, "OFD/DocBody/Signatures").unwrap().text, "a&b");
        assert!(first(&e, "DocBody/DocRoot").is_none(), "paths are exact");
        assert!(elements(b"<a><b></a>", "x").is_err());
    }

    #[test]
    fn an_element_in_another_namespace_is_still_read_by_its_local_name() {
        let xml = br#"<ofd:Signatures xmlns:ofd="http://blog.example.cn" xmlns:x="urn:x"><ofd:Signature ID="1"/><x:Signature ID="2"/><Signature xmlns="urn:y" ID="3"/></ofd:Signatures>"#;
        let e = elements(xml, "Signatures.xml").unwrap();
        let ids: Vec<_> = all(&e, "Signatures/Signature")
            .filter_map(|s| s.attr("ID"))
            .collect();
        assert_eq!(
            ids,
            ["1", "2", "3"],
            "every seal a lenient reader shows is checked"
        );
    }

    #[test]
    fn a_dtd_is_refused_as_such() {
        let xml = br#"<?xml version="1.0"?><!DOCTYPE ofd:Signature [<!ENTITY v "AAAA">]><ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedValue>&v;</ofd:SignedValue></ofd:Signature>"#;
        let why = elements(xml, "/Doc_0/Signs/Sign_0/Signature.xml")
            .unwrap_err()
            .to_string();
        assert!(
            why.contains("Signature.xml declares a DTD") && !why.contains("well-formed"),
            "{why}"
        );
    }

    /// `xml` read under `limits`, as the hub reads it under its `[parsing]` settings.
    fn read_under(limits: ecenter_budget::Limits, xml: &[u8]) -> Result<usize, OfdError> {
        let budget = std::rc::Rc::new(ecenter_budget::Budget::new(limits));
        ecenter_budget::scope(budget, || elements(xml, "Content.xml").map(|e| e.len()))
    }

    fn setting_of(refused: Result<usize, OfdError>) -> &'static str {
        match refused {
            Err(OfdError::Budget(ecenter_budget::Exceeded::Limit { budget, .. })) => {
                budget.setting()
            }
            other => panic!("not a budget refusal: {other:?}"),
        }
    }

    #[test]
    fn nesting_is_limited_by_the_configured_depth() {
        let deep = format!("{}{}", "<a>".repeat(20), "</a>".repeat(20));
        let default = ecenter_budget::Limits::default();
        assert_eq!(read_under(default.clone(), deep.as_bytes()).unwrap(), 20);
        let shallow = ecenter_budget::Limits {
            depth: 19,
            ..default
        };
        assert_eq!(setting_of(read_under(shallow, deep.as_bytes())), "depth");
    }

    #[test]
    fn many_small_elements_under_long_names_are_charged_their_paths() {
        // 32 levels of 1,000-character names, then 10,000 empty elements: a 100 KB file whose
        // paths alone would be 320 MB. Unbounded, a few such pages exhaust the hub's memory.
        let name = "n".repeat(1_000);
        let mut xml = format!("<{name}>").repeat(32);
        xml.push_str(&"<e/>".repeat(10_000));
        xml.push_str(&format!("</{name}>").repeat(32));
        let refused = read_under(ecenter_budget::Limits::default(), xml.as_bytes());
        assert_eq!(setting_of(refused), "document_bytes");
        let few = ecenter_budget::Limits {
            values: 5_000,
            ..Default::default()
        };
        let small = format!("<p>{}</p>", "<e/>".repeat(6_000));
        assert_eq!(setting_of(read_under(few, small.as_bytes())), "values");
    }
}
