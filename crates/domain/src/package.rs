//! ZIP packages judged by their structure, not by fixed part names: a DOCX is an Open Packaging
//! Conventions package (ECMA-376 Part 2) whose package relationship of type `officeDocument`
//! names a part whose content type is WordprocessingML's main document — wherever the producer
//! put it (`word/document.xml` usually, `word/document2.xml` after some Office 365 edits); an OFD
//! is a package whose entry file `OFD.xml` (GB/T 33190-2016 §7.4, the one fixed name the standard
//! gives) has an `ofd:OFD` root with a `DocBody`.

use crate::media::MediaType;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The `officeDocument` relationship type, transitional and strict (ECMA-376 Part 1 §15.2.12.1).
const OFFICE_DOCUMENT: [&str; 2] = [
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
];

/// The content types of a WordprocessingML main document part (ECMA-376 Part 1 §11.3.10): a
/// document, a template, and their macro-enabled forms, which Word opens alike.
const WORD_MAIN: [&str; 4] = [
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
];

/// Largest `_rels/.rels`, `[Content_Types].xml` or `OFD.xml` read to judge a package, in bytes.
pub const MAX_JUDGED_PART: u64 = 1 << 20;

/// The package's media type from its entry names and, through `read`, the bytes of the parts
/// that say what it is (`read` returns at most [`MAX_JUDGED_PART`] bytes of a named entry, or
/// `None` when there is no such entry).
pub fn classify_zip<'a>(
    names: impl IntoIterator<Item = &'a str>,
    mut read: impl FnMut(&str) -> Option<Vec<u8>>,
) -> Option<MediaType> {
    let names: Vec<&str> = names.into_iter().collect();
    if names.contains(&"OFD.xml") {
        return read("OFD.xml")
            .is_some_and(|xml| is_ofd_entry(&xml))
            .then_some(MediaType::Ofd);
    }
    let rels = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("_rels/.rels"))?;
    let main = main_document_part(&read(rels)?)?;
    // Part names compare without case (ECMA-376 Part 2 §9.1.1.1).
    let main = names.iter().find(|n| n.eq_ignore_ascii_case(&main))?;
    let types = read("[Content_Types].xml")?;
    WORD_MAIN
        .contains(&content_type(&types, main)?.as_str())
        .then_some(MediaType::Docx)
}

/// The part an OPC package's `officeDocument` relationship names (in `_rels/.rels`), as a ZIP
/// entry name (`word/document.xml`); `None` when there is none or it points outside the package.
pub fn main_document_part(rels: &[u8]) -> Option<String> {
    let mut found = None;
    each_element(rels, |name, e| {
        if name != b"Relationship" || found.is_some() {
            return;
        }
        let external = attribute(e, b"TargetMode").is_some_and(|m| m == "External");
        let office = attribute(e, b"Type").is_some_and(|t| OFFICE_DOCUMENT.contains(&t.as_str()));
        if office && !external {
            found = attribute(e, b"Target").and_then(|t| resolve_part("", &t));
        }
    })
    .ok()?;
    found
}

/// The content type `[Content_Types].xml` gives the part `entry` (an Override for its name, else
/// the Default for its extension; both compared without case, ECMA-376 Part 2 §9.1.2).
pub fn content_type(types: &[u8], entry: &str) -> Option<String> {
    let part = format!("/{entry}").to_lowercase();
    let extension = entry.rsplit_once('.').map(|(_, e)| e.to_lowercase());
    let (mut by_name, mut by_extension) = (None, None);
    each_element(types, |name, e| match name {
        b"Override"
            if attribute(e, b"PartName").map(|p| p.to_lowercase()) == Some(part.clone()) =>
        {
            by_name = attribute(e, b"ContentType");
        }
        b"Default"
            if extension.is_some()
                && attribute(e, b"Extension").map(|x| x.to_lowercase()) == extension =>
        {
            by_extension = attribute(e, b"ContentType");
        }
        _ => {}
    })
    .ok()?;
    by_name.or(by_extension)
}

/// Whether `xml` is an OFD entry file: root element `OFD` holding a `DocBody`.
fn is_ofd_entry(xml: &[u8]) -> bool {
    let (mut root, mut body, mut first) = (false, false, true);
    let parsed = each_element(xml, |name, _| {
        if first {
            root = name == b"OFD";
            first = false;
        }
        body |= name == b"DocBody";
    });
    parsed.is_ok() && root && body
}

/// Calls `f` with the local name and start tag of every element of `xml`, to its end or to the
/// first XML error.
pub fn each_element(
    xml: &[u8],
    mut f: impl FnMut(&[u8], &BytesStart),
) -> Result<(), quick_xml::Error> {
    let mut reader = Reader::from_reader(xml);
    loop {
        match reader.read_event()? {
            Event::Start(e) | Event::Empty(e) => f(e.local_name().as_ref(), &e),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The unescaped value of the attribute whose local name is `key`.
pub fn attribute(e: &BytesStart, key: &[u8]) -> Option<String> {
    let attribute = e
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)?;
    Some(attribute.unescape_value().ok()?.into_owned())
}

/// A part reference as a ZIP entry name: absolute (`/word/document.xml`) from the package root,
/// else relative to the folder `base` (`""` for the root), `.` and `..` resolved; `None` when it
/// leaves the package or is a URI with a scheme (OPC Part 2 §9.3, GB/T 33190 §7.3 `ST_Loc`).
pub fn resolve_part(base: &str, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("//") {
        return None;
    }
    let start = if target.starts_with('/') { "" } else { base };
    let mut parts: Vec<&str> = start.split('/').filter(|s| !s.is_empty()).collect();
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/word/document2.xml"/></Relationships>"#;
    const TYPES: &str = r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="XML" ContentType="application/xml"/><Override PartName="/WORD/document2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

    fn classify(parts: &[(&str, &str)]) -> Option<MediaType> {
        let map: HashMap<&str, &str> = parts.iter().copied().collect();
        classify_zip(map.keys().copied(), |n| {
            map.get(n).map(|b| b.as_bytes().to_vec())
        })
    }

    #[test]
    fn a_docx_is_found_through_its_package_relationship() {
        assert_eq!(
            main_document_part(RELS.as_bytes()).as_deref(),
            Some("word/document2.xml")
        );
        let docx = [
            ("_rels/.rels", RELS),
            ("[Content_Types].xml", TYPES),
            ("word/document2.xml", "<w:document/>"),
        ];
        assert_eq!(classify(&docx), Some(MediaType::Docx));
        // The relationship names a part that is not there, or a part of another kind.
        assert_eq!(classify(&docx[..2]), None);
        // Part names compare without case; a macro-enabled document is a Word document too.
        let upper = RELS.replace("/word/document2.xml", "/Word/Document2.XML");
        let docm = TYPES.replace(
            "vnd.openxmlformats-officedocument.wordprocessingml.document.main",
            "vnd.ms-word.document.macroEnabled.main",
        );
        let odd = [
            ("_RELS/.rels", upper.as_str()),
            ("[Content_Types].xml", &docm),
            docx[2],
        ];
        assert_eq!(classify(&odd), Some(MediaType::Docx));
        let sheet = TYPES.replace("wordprocessingml.document.main", "spreadsheetml.sheet.main");
        assert_eq!(
            classify(&[docx[0], ("[Content_Types].xml", &sheet), docx[2]]),
            None
        );
    }

    #[test]
    fn part_names_resolve_inside_the_package_only() {
        assert_eq!(
            resolve_part("", "./word/../word/document.xml").as_deref(),
            Some("word/document.xml")
        );
        assert_eq!(resolve_part("", "../outside.xml"), None);
        assert_eq!(resolve_part("", "http://example.com/document.xml"), None);
        let external = RELS.replace("Target=\"/word", "TargetMode=\"External\" Target=\"/word");
        assert_eq!(main_document_part(external.as_bytes()), None);
    }

    #[test]
    fn an_ofd_is_its_entry_file_not_just_the_name() {
        let entry = r#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#;
        assert_eq!(classify(&[("OFD.xml", entry)]), Some(MediaType::Ofd));
        assert_eq!(classify(&[("OFD.xml", "<html/>")]), None);
        assert_eq!(classify(&[("random.txt", "")]), None);
    }
}
