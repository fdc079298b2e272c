//! OFD text in the order a reader shows it (GB/T 33190-2016): documents as `OFD.xml` lists their
//! `DocRoot`s (§7.4), pages in the order of the document's `Pages` (§7.5), each page composed
//! with its template pages (`Template` → `CommonData/TemplatePage`, §7.6): background templates'
//! text before the page's own, foreground ones after. A package without a readable `Document.xml`
//! is read the old way, pages in folder-number order.

use crate::{ExtractError, Text, damaged, open_zip, part_text, with_kind};
use ecenter_budget::BoundedRead;
use ecenter_domain::package::{attribute, resolve_part as resolve};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::{Cursor, Read};

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// One document's reading plan: its pages' content parts in order, and its template pages.
#[derive(Default)]
struct Plan {
    /// Page content parts, as ZIP entry names, in `Pages` order.
    pages: Vec<String>,
    /// Template page id → its content part.
    templates: HashMap<String, String>,
}

pub(crate) fn ofd(bytes: &[u8], text: &mut Text) -> Result<(), ExtractError> {
    let mut archive = open_zip(bytes, "OFD")?;
    let plans = plans(&mut archive)?;
    if plans.is_empty() {
        return by_folder_number(&mut archive, text);
    }
    ecenter_budget::current().pages(plans.iter().map(|p| p.pages.len()).sum())?;
    for plan in &plans {
        for page in &plan.pages {
            if text.full() {
                return Ok(());
            }
            page_with_templates(&mut archive, plan, page, text)?;
        }
    }
    Ok(())
}

/// Reading plans of the documents `OFD.xml` names; empty when it or a `Document.xml` is missing.
fn plans(archive: &mut Archive) -> Result<Vec<Plan>, ExtractError> {
    let Some(entry) = read_part(archive, "OFD.xml")? else {
        return Ok(Vec::new());
    };
    let mut plans = Vec::new();
    for root in element_texts(&entry, b"DocRoot")? {
        let Some(root) = resolve("", &root) else {
            continue;
        };
        let Some(document) = read_part(archive, &root)? else {
            return Ok(Vec::new());
        };
        let base = root.rsplit_once('/').map_or("", |(dir, _)| dir);
        plans.push(plan(&document, base)?);
    }
    Ok(plans)
}

fn plan(document: &[u8], base: &str) -> Result<Plan, ExtractError> {
    let mut plan = Plan::default();
    each_element(document, |name, e| {
        let (Some(id), Some(loc)) = (attribute(e, b"ID"), attribute(e, b"BaseLoc")) else {
            return;
        };
        let Some(part) = resolve(base, &loc) else {
            return;
        };
        match name {
            b"Page" => plan.pages.push(part),
            b"TemplatePage" => {
                plan.templates.insert(id, part);
            }
            _ => {}
        }
    })?;
    Ok(plan)
}

/// The page's background templates, the page, then its foreground templates.
fn page_with_templates(
    archive: &mut Archive,
    plan: &Plan,
    page: &str,
    text: &mut Text,
) -> Result<(), ExtractError> {
    let (background, foreground) = templates_of(archive, page)?;
    let elements: (&[u8], &[u8]) = (b"TextCode", b"TextObject");
    for id in &background {
        if let Some(part) = plan.templates.get(id) {
            part_text(archive, part, elements, "OFD", text).map_err(with_kind("OFD"))?;
        }
    }
    part_text(archive, page, elements, "OFD", text).map_err(with_kind("OFD"))?;
    for id in &foreground {
        if let Some(part) = plan.templates.get(id) {
            part_text(archive, part, elements, "OFD", text).map_err(with_kind("OFD"))?;
        }
    }
    Ok(())
}

/// A page's `Template` references (they come before its `Content`), split by `ZOrder`
/// (`Background` is the default, §7.7 table 12).
fn templates_of(
    archive: &mut Archive,
    page: &str,
) -> Result<(Vec<String>, Vec<String>), ExtractError> {
    let budget = ecenter_budget::current();
    let entry = archive
        .by_name(page)
        .map_err(|e| damaged("OFD")(format!("{page}: {e}")))?;
    let mut reader = Reader::from_reader(std::io::BufReader::new(BoundedRead::new(entry, &budget)));
    let (mut background, mut foreground) = (Vec::new(), Vec::new());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                b"Template" => {
                    let id = attribute(&e, b"TemplateID").unwrap_or_default();
                    match attribute(&e, b"ZOrder").as_deref() {
                        Some("Foreground") => foreground.push(id),
                        _ => background.push(id),
                    }
                }
                b"Content" => break,
                _ => {}
            },
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(crate::xml_error("OFD", e)),
        }
        buf.clear();
    }
    Ok((background, foreground))
}

/// The old order, for packages without a readable `Document.xml`: Doc_N/Pages/Page_M by numbers.
fn by_folder_number(archive: &mut Archive, text: &mut Text) -> Result<(), ExtractError> {
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
    ecenter_budget::current().pages(pages.len())?;
    pages.sort();
    for (_, _, name) in pages {
        if text.full() {
            break;
        }
        let elements: (&[u8], &[u8]) = (b"TextCode", b"TextObject");
        part_text(archive, &name, elements, "OFD", text).map_err(with_kind("OFD"))?;
    }
    Ok(())
}

/// The bytes of a small structural part (`OFD.xml`, `Document.xml`) under the budget; `None`
/// when the package has no such entry.
fn read_part(archive: &mut Archive, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
    let budget = ecenter_budget::current();
    let Ok(entry) = archive.by_name(name) else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    BoundedRead::new(entry, &budget)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::io_error("OFD", e))?;
    Ok(Some(bytes))
}

fn each_element(xml: &[u8], f: impl FnMut(&[u8], &BytesStart)) -> Result<(), ExtractError> {
    ecenter_domain::package::each_element(xml, f).map_err(|e| crate::xml_error("OFD", e))
}

/// The text content of every `element` (`DocRoot`) in `xml`.
fn element_texts(xml: &[u8], element: &[u8]) -> Result<Vec<String>, ExtractError> {
    let mut reader = Reader::from_reader(xml);
    let (mut out, mut inside) = (Vec::new(), false);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => inside = e.local_name().as_ref() == element,
            Ok(Event::Text(t)) if inside => {
                let raw = t.decode().map_err(|e| damaged("OFD")(e.to_string()))?;
                out.push(raw.trim().to_string());
            }
            Ok(Event::End(_)) => inside = false,
            Ok(Event::Eof) => return Ok(out),
            Ok(_) => {}
            Err(e) => return Err(crate::xml_error("OFD", e)),
        }
    }
}
