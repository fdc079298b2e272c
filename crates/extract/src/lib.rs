//! Plain text of filed documents, so that a filing can be the query of a similar-case search.
//!
//! DOCX (the main part its package relationship names, ECMA-376 Part 2: runs `w:t`, paragraphs
//! `w:p`, each text box once, moved-from and deleted text left out), OFD (GB/T 33190: pages in the
//! order `Document.xml` gives, composed with their template pages, text in `ofd:TextCode`) and
//! PDF (each font decoded as ISO 32000-1 §9.10.2 says, see `pdf_text`). Images carry no text
//! here: there is no OCR.
//!
//! Every document is a lawyer's bytes, read under the ambient [`ecenter_budget::Budget`]: parts
//! and page contents are inflated as a stream within the per-part and per-document limits, XML is
//! read as it inflates (never whole), nesting and pages are counted, and reading stops as soon as
//! the caller has the characters it asked for. A template page shared by many pages is read once
//! per page and charged each time, so the document's byte limit bounds what references amplify.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

use ecenter_budget::{BoundedRead, Exceeded, excerpt};
use quick_xml::Reader;
use quick_xml::events::Event;
use std::io::{BufReader, Cursor};

mod ofd;
mod pdf_text;
mod pdf_walk;

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
        /// What went wrong, with at most a short excerpt of the document's own text.
        reason: String,
    },
    /// Reading it went beyond the parse budget, its time, or its caller left.
    #[error(transparent)]
    Budget(#[from] Exceeded),
}

fn damaged(kind: &'static str) -> impl Fn(String) -> ExtractError {
    move |reason| ExtractError::Damaged {
        kind,
        reason: excerpt(&reason, 300),
    }
}

/// The text of a document of `media_type` (as the hub's intake named it): at most about
/// `max_chars` characters (reading stops once it has them; the text may end a little past).
pub fn text_of(media_type: &str, bytes: &[u8], max_chars: usize) -> Result<String, ExtractError> {
    let mut text = Text::new(max_chars);
    match media_type {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            docx(bytes, &mut text)?;
        }
        "application/ofd" => ofd::ofd(bytes, &mut text)?,
        "application/pdf" => pdf(bytes, &mut text)?,
        other => return Err(ExtractError::NoText(other.to_string())),
    }
    Ok(text.out)
}

/// Text gathered so far, and when to stop.
struct Text {
    out: String,
    chars: usize,
    max_chars: usize,
}

impl Text {
    fn new(max_chars: usize) -> Text {
        Text {
            out: String::new(),
            chars: 0,
            max_chars,
        }
    }

    fn push(&mut self, s: &str) {
        self.chars += s.chars().count();
        self.out.push_str(s);
    }

    fn full(&self) -> bool {
        self.chars >= self.max_chars
    }
}

/// Opens a package once its entry count is within the budget: the count its end of central
/// directory record announces is charged before the zip crate reads (and allocates) the
/// directory, so a 95 MB directory of 1.8 million entries is refused before it is built.
fn open_zip<'a>(
    bytes: &'a [u8],
    kind: &'static str,
) -> Result<zip::ZipArchive<Cursor<&'a [u8]>>, ExtractError> {
    let budget = ecenter_budget::current();
    let announced = ecenter_budget::zip::announced_entries(Cursor::new(bytes)).unwrap_or(0);
    budget.charge_objects(announced)?;
    let archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| damaged(kind)(e.to_string()))?;
    budget.charge_objects((archive.len() as u64).saturating_sub(announced))?;
    Ok(archive)
}

/// Reads the part `name` as XML, pushing the text of `text_element`s with a line break after
/// each `block_element`, until `text` is full.
fn part_text(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    elements: (&[u8], &[u8]),
    kind: &'static str,
    text: &mut Text,
) -> Result<(), ExtractError> {
    let budget = ecenter_budget::current();
    let entry = archive
        .by_name(name)
        .map_err(|e| damaged(kind)(format!("{name}: {e}")))?;
    let part = BufReader::new(BoundedRead::new(entry, &budget));
    let mut reader = Reader::from_reader(part);
    xml_text(&mut reader, elements, text, &budget).map_err(|e| match e {
        ExtractError::Damaged { kind, reason } => ExtractError::Damaged {
            kind,
            reason: format!("{name}: {reason}"),
        },
        other => other,
    })
}

fn io_error(kind: &'static str, e: std::io::Error) -> ExtractError {
    match BoundedRead::<&[u8]>::exceeded(&e) {
        Some(exceeded) => ExtractError::Budget(exceeded),
        None => damaged(kind)(e.to_string()),
    }
}

fn xml_error(kind: &'static str, e: quick_xml::Error) -> ExtractError {
    if let quick_xml::Error::Io(io) = &e
        && let Some(exceeded) = BoundedRead::<&[u8]>::exceeded(io)
    {
        return ExtractError::Budget(exceeded);
    }
    damaged(kind)(e.to_string())
}

/// Elements whose text is not the document's: an `mc:Fallback` repeats its `mc:Choice` (a text
/// box's VML copy, ECMA-376 Part 3 §10.2.1), and `w:moveFrom` / `w:del` hold text moved away or
/// deleted under revision tracking (Part 1 §17.13.5). Field codes (`w:instrText`) and deleted
/// runs (`w:delText`) are other elements than `w:t`, so only field results are read.
const SKIPPED: [&[u8]; 3] = [b"Fallback", b"moveFrom", b"del"];

fn xml_text<R: std::io::BufRead>(
    reader: &mut Reader<R>,
    (text_element, block_element): (&[u8], &[u8]),
    text: &mut Text,
    budget: &ecenter_budget::Budget,
) -> Result<(), ExtractError> {
    let kind = "XML";
    let mut buf = Vec::new();
    let mut inside = 0usize;
    let mut depth = 0usize;
    while !text.full() {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(kind, e))?;
        match event {
            Event::Start(e) if SKIPPED.contains(&e.local_name().as_ref()) => {
                let end = e.to_end().into_owned();
                buf.clear();
                reader
                    .read_to_end_into(end.name(), &mut buf)
                    .map_err(|e| xml_error(kind, e))?;
            }
            Event::Start(e) => {
                depth += 1;
                budget.depth(depth)?;
                if e.local_name().as_ref() == text_element {
                    inside += 1;
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.local_name().as_ref() == text_element {
                    inside = inside.saturating_sub(1);
                } else if e.local_name().as_ref() == block_element {
                    text.push("\n");
                }
            }
            Event::Text(t) if inside > 0 => {
                let raw = t.decode().map_err(|e| damaged(kind)(e.to_string()))?;
                let s =
                    quick_xml::escape::unescape(&raw).map_err(|e| damaged(kind)(e.to_string()))?;
                text.push(&s);
            }
            Event::GeneralRef(r) if inside > 0 => {
                // Character and predefined entity references (&amp; &#x4E2D;) between text runs.
                if let Some(c) = r
                    .resolve_char_ref()
                    .map_err(|e| damaged(kind)(e.to_string()))?
                {
                    text.push(c.encode_utf8(&mut [0; 4]));
                } else {
                    let name = r.decode().map_err(|e| damaged(kind)(e.to_string()))?;
                    if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                        text.push(s);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

fn with_kind(kind: &'static str) -> impl Fn(ExtractError) -> ExtractError {
    move |e| match e {
        ExtractError::Damaged { reason, .. } => ExtractError::Damaged { kind, reason },
        other => other,
    }
}

fn docx(bytes: &[u8], text: &mut Text) -> Result<(), ExtractError> {
    use std::io::Read;
    let mut archive = open_zip(bytes, "DOCX")?;
    // The main part is the one the package relationship names (ECMA-376 Part 2 §9.3), read
    // within the budget like every part.
    let budget = ecenter_budget::current();
    let rels_name = archive
        .file_names()
        .find(|n| n.eq_ignore_ascii_case("_rels/.rels"))
        .map(str::to_string);
    let rels = rels_name
        .and_then(|n| archive.by_name(&n).ok())
        .map(|entry| {
            let mut rels = Vec::new();
            let limit = ecenter_domain::package::MAX_JUDGED_PART;
            BoundedRead::new(entry, &budget)
                .take(limit)
                .read_to_end(&mut rels)
                .map(|_| rels)
        });
    let main = match rels {
        Some(Ok(rels)) => ecenter_domain::package::main_document_part(&rels).and_then(|main| {
            // Part names compare without case (ECMA-376 Part 2 §9.1.1.1).
            let mut names = archive.file_names();
            names
                .find(|n| n.eq_ignore_ascii_case(&main))
                .map(str::to_string)
        }),
        Some(Err(e)) => return Err(io_error("DOCX", e)),
        None => None,
    };
    part_text(
        &mut archive,
        main.as_deref().unwrap_or("word/document.xml"),
        (b"t", b"p"),
        "DOCX",
        text,
    )
    .map_err(with_kind("DOCX"))
}

fn pdf(bytes: &[u8], text: &mut Text) -> Result<(), ExtractError> {
    use ecenter_budget::pdf::{LoadError, load, page_content};
    let from = |e: LoadError| match e {
        LoadError::Budget(b) => ExtractError::Budget(b),
        e => damaged("PDF")(e.to_string()),
    };
    let document = load(without_bom(bytes)).map_err(from)?;
    let budget = ecenter_budget::current();
    let pages = ecenter_budget::pdf::pages(&document, &budget).map_err(from)?;
    let mut reader = pdf_walk::PdfReader::new(&document);
    for page in pages {
        if text.full() {
            break;
        }
        // Contents inflated under the budget (and charged) before they are decoded; fonts and
        // forms are charged by the reader as it meets them.
        let content = page_content(&document, page).map_err(from)?;
        let mut page_text = String::new();
        let room = text.max_chars.saturating_sub(text.chars).saturating_mul(4);
        reader.page(page, &content, &mut page_text, room.saturating_add(64))?;
        text.push(&page_text);
    }
    let tally = reader.tally;
    if tally.mostly_unreadable(!text.out.trim().is_empty()) {
        return Err(ExtractError::Damaged {
            kind: "PDF",
            reason: format!(
                "{} of its {} bytes of text cannot be decoded: {}",
                tally.unreadable,
                tally.shown,
                tally.why.unwrap_or_default()
            ),
        });
    }
    Ok(())
}

/// A PDF as its header starts: after a UTF-8 byte-order mark some editors put before `%PDF-`
/// (ISO 32000-2 §7.5.2 allows the header anywhere in the first 1,024 bytes).
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
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
                &doc,
                1000
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
            text_of("application/ofd", &ofd, 1000).unwrap(),
            "第一页\n第二页\n第十一页\n"
        );
    }

    fn ofd_of(pages: usize, text: &str) -> Vec<u8> {
        let page = format!(
            r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer><ofd:TextObject ID="1"><ofd:TextCode X="0" Y="0">{text}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#
        );
        let names: Vec<String> = (0..pages)
            .map(|p| format!("Doc_0/Pages/Page_{p}/Content.xml"))
            .collect();
        let parts: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), page.as_str())).collect();
        zip_of(&parts)
    }

    fn under<R>(limits: ecenter_budget::Limits, f: impl FnOnce() -> R) -> R {
        ecenter_budget::scope(std::rc::Rc::new(ecenter_budget::Budget::new(limits)), f)
    }

    #[test]
    fn a_part_that_inflates_past_its_limit_is_refused_naming_the_setting() {
        let ofd = ofd_of(1, &"判".repeat(2_000_000));
        let limits = ecenter_budget::Limits {
            stream_bytes: 1 << 20,
            ..Default::default()
        };
        let err = under(limits, || text_of("application/ofd", &ofd, usize::MAX)).unwrap_err();
        assert!(
            matches!(
                &err,
                ExtractError::Budget(ecenter_budget::Exceeded::Limit {
                    budget: ecenter_budget::Budgeted::StreamBytes,
                    ..
                })
            ),
            "{err}"
        );
        assert!(err.to_string().contains("[parsing] stream_bytes"), "{err}");
    }

    #[test]
    fn reading_stops_once_the_query_has_its_characters() {
        // Sixteen pages of 1.5 MB of text each, 24 MB in all, against a 4 MiB document budget:
        // the query needs 20,000 characters, so only the first page is read.
        let ofd = ofd_of(16, &"判".repeat(500_000));
        let limits = ecenter_budget::Limits {
            document_bytes: 4 << 20,
            ..Default::default()
        };
        let text = under(limits.clone(), || text_of("application/ofd", &ofd, 20_000)).unwrap();
        assert!(text.chars().count() >= 20_000 && text.chars().count() < 600_000);
        // Wanting all of it meets the document's limit.
        let err = under(limits, || text_of("application/ofd", &ofd, usize::MAX)).unwrap_err();
        assert!(
            err.to_string().contains("[parsing] document_bytes"),
            "{err}"
        );
    }

    #[test]
    fn nesting_is_counted_and_errors_quote_only_an_excerpt() {
        let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
        let doc = zip_of(&[("word/document.xml", &deep)]);
        let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        let err = text_of(docx, &doc, 1000).unwrap_err();
        assert!(err.to_string().contains("[parsing] depth = 256"), "{err}");
        let long = format!("<ofd:Page><{}></ofd:Page>", "x".repeat(100_000));
        let ofd = zip_of(&[("Doc_0/Pages/Page_0/Content.xml", &long)]);
        let err = text_of("application/ofd", &ofd, 1000)
            .unwrap_err()
            .to_string();
        assert!(err.contains("OFD document is damaged"), "{err}");
        assert!(
            err.chars().count() < 600,
            "{} characters",
            err.chars().count()
        );
    }

    #[test]
    fn images_and_damaged_documents_are_refused_by_name() {
        assert!(matches!(
            text_of("image/png", b"\x89PNG", 1000),
            Err(ExtractError::NoText(t)) if t == "image/png"
        ));
        let err = text_of("application/ofd", b"PK\x03\x04 not really", 1000).unwrap_err();
        assert!(err.to_string().contains("OFD document is damaged"), "{err}");
        let err = text_of("application/pdf", b"%PDF-1.7 truncated", 1000).unwrap_err();
        assert!(err.to_string().contains("PDF document is damaged"), "{err}");
    }
}
