//! Plain text of filed documents, so that a filing can be the query of a similar-case search.
//!
//! DOCX (`word/document.xml`: runs `w:t`, paragraphs `w:p`), OFD (GB/T 33190: every page's
//! `Content.xml`, text in `ofd:TextCode`) and PDF (lopdf, which follows ToUnicode maps). Images
//! carry no text here: there is no OCR.
#![warn(missing_docs)]

use quick_xml::Reader;
use quick_xml::events::Event;
use std::io::{Cursor, Read};

/// Largest XML part read from a DOCX or OFD package (a zip bomb stops here).
const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

/// Why a document's text could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The media type carries no text this crate can read.
    #[error("{0} documents carry no readable text (no OCR)")]
    NoText(String),
    /// The document is damaged.
    #[error("the {kind} document is damaged: {reason}")]
    Damaged {
        /// DOCX, OFD or PDF.
        kind: &'static str,
        /// What went wrong.
        reason: String,
    },
}

fn damaged(kind: &'static str) -> impl Fn(String) -> ExtractError {
    move |reason| ExtractError::Damaged { kind, reason }
}

/// The text of a document of `media_type` (as the hub's intake named it).
pub fn text_of(media_type: &str, bytes: &[u8]) -> Result<String, ExtractError> {
    match media_type {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => docx(bytes),
        "application/ofd" => ofd(bytes),
        "application/pdf" => pdf(bytes),
        other => Err(ExtractError::NoText(other.to_string())),
    }
}

fn read_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    kind: &'static str,
) -> Result<Vec<u8>, ExtractError> {
    let entry = archive
        .by_name(name)
        .map_err(|e| damaged(kind)(format!("{name}: {e}")))?;
    let mut out = Vec::new();
    entry
        .take(MAX_PART_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| damaged(kind)(format!("{name}: {e}")))?;
    Ok(out)
}

/// Text of the elements named `text_element`, with a line break after each `block_element`.
fn xml_text(
    xml: &[u8],
    text_element: &[u8],
    block_element: &[u8],
    kind: &'static str,
) -> Result<String, ExtractError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = String::new();
    let mut inside = 0usize;
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| damaged(kind)(e.to_string()))?
        {
            Event::Start(e) if e.local_name().as_ref() == text_element => inside += 1,
            Event::End(e) if e.local_name().as_ref() == text_element => {
                inside = inside.saturating_sub(1)
            }
            Event::End(e) if e.local_name().as_ref() == block_element => out.push('\n'),
            Event::Text(t) if inside > 0 => {
                let text = t.decode().map_err(|e| damaged(kind)(e.to_string()))?;
                let text =
                    quick_xml::escape::unescape(&text).map_err(|e| damaged(kind)(e.to_string()))?;
                out.push_str(&text);
            }
            Event::GeneralRef(r) if inside > 0 => {
                // Character and predefined entity references (&amp; &#x4E2D;) between text runs.
                if let Some(c) = r
                    .resolve_char_ref()
                    .map_err(|e| damaged(kind)(e.to_string()))?
                {
                    out.push(c);
                } else {
                    let name = r.decode().map_err(|e| damaged(kind)(e.to_string()))?;
                    if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                        out.push_str(s);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

fn docx(bytes: &[u8]) -> Result<String, ExtractError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| damaged("DOCX")(e.to_string()))?;
    let xml = read_part(&mut archive, "word/document.xml", "DOCX")?;
    xml_text(&xml, b"t", b"p", "DOCX")
}

fn ofd(bytes: &[u8]) -> Result<String, ExtractError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| damaged("OFD")(e.to_string()))?;
    // Pages in document and page order: Doc_0/Pages/Page_0/Content.xml, Page_1, ..., Page_10.
    let mut pages: Vec<(u32, u32, String)> = archive
        .file_names()
        .filter(|n| n.ends_with("/Content.xml") && n.contains("/Pages/Page_"))
        .map(|n| {
            let number = |prefix: &str| {
                n.split('/')
                    .find_map(|part| part.strip_prefix(prefix)?.parse::<u32>().ok())
                    .unwrap_or(0)
            };
            (number("Doc_"), number("Page_"), n.to_string())
        })
        .collect();
    pages.sort();
    let mut out = String::new();
    for (_, _, name) in pages {
        let xml = read_part(&mut archive, &name, "OFD")?;
        out.push_str(&xml_text(&xml, b"TextCode", b"TextObject", "OFD")?);
    }
    Ok(out)
}

fn pdf(bytes: &[u8]) -> Result<String, ExtractError> {
    let document = lopdf::Document::load_mem(bytes).map_err(|e| damaged("PDF")(e.to_string()))?;
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    document
        .extract_text(&pages)
        .map_err(|e| damaged("PDF")(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = zip::ZipWriter::new(Cursor::new(&mut out));
        for (name, body) in parts {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap();
        out
    }

    #[test]
    fn docx_paragraphs_and_runs_become_lines() {
        let doc = zip_of(&[(
            "word/document.xml",
            r#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>被告人张某</w:t></w:r><w:r><w:t xml:space="preserve">犯盗窃罪 &amp; 诈骗罪</w:t></w:r></w:p><w:p><w:r><w:t>判处有期徒刑三年。</w:t></w:r></w:p></w:body></w:document>"#,
        )]);
        assert_eq!(
            text_of(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &doc
            )
            .unwrap(),
            "被告人张某犯盗窃罪 & 诈骗罪\n判处有期徒刑三年。\n"
        );
    }

    #[test]
    fn ofd_pages_are_read_in_page_order() {
        let page = |t: &str| {
            format!(
                r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer><ofd:TextObject ID="1"><ofd:TextCode X="0" Y="0">{t}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#
            )
        };
        let (p0, p1, p10) = (page("第一页"), page("第二页"), page("第十一页"));
        let ofd = zip_of(&[
            ("OFD.xml", "<ofd:OFD/>"),
            ("Doc_0/Pages/Page_10/Content.xml", &p10),
            ("Doc_0/Pages/Page_1/Content.xml", &p1),
            ("Doc_0/Pages/Page_0/Content.xml", &p0),
        ]);
        assert_eq!(
            text_of("application/ofd", &ofd).unwrap(),
            "第一页\n第二页\n第十一页\n"
        );
    }

    #[test]
    fn images_and_damaged_documents_are_refused_by_name() {
        assert!(matches!(
            text_of("image/png", b"\x89PNG"),
            Err(ExtractError::NoText(t)) if t == "image/png"
        ));
        let err = text_of("application/ofd", b"PK\x03\x04 not really").unwrap_err();
        assert!(err.to_string().contains("OFD document is damaged"), "{err}");
        let err = text_of("application/pdf", b"%PDF-1.7 truncated").unwrap_err();
        assert!(err.to_string().contains("PDF document is damaged"), "{err}");
    }
}
