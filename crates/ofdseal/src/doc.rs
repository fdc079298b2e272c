//! The parts of an OFD's structure that sealing needs: the entry file `OFD.xml` (DocRoot and
//! Signatures of the first DocBody), the document's pages with their IDs and areas.

use crate::OfdError;
use crate::package::{Package, dir_of, resolve};
use crate::xml::{all, elements, first};

/// The entry of the first document: its `Document.xml` and, once sealed, its `Signatures.xml`.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) doc_root: String,
    pub(crate) signatures: Option<String>,
}

pub(crate) fn entry(package: &Package) -> Result<Entry, OfdError> {
    let e = elements(package.get("/OFD.xml")?, "/OFD.xml")?;
    if e.first().map(|r| r.path.as_str()) != Some("OFD") {
        return Err(OfdError::Structure("OFD.xml's root is not ofd:OFD".into()));
    }
    let root = first(&e, "OFD/DocBody/DocRoot")
        .filter(|d| !d.text.is_empty())
        .ok_or_else(|| OfdError::Structure("OFD.xml names no DocRoot".into()))?;
    let signatures = first(&e, "OFD/DocBody/Signatures")
        .filter(|s| !s.text.is_empty())
        .map(|s| resolve("/", &s.text))
        .transpose()?;
    Ok(Entry {
        doc_root: resolve("/", &root.text)?,
        signatures,
    })
}

/// A page: its ID (what a StampAnnot's `PageRef` names) and its area in millimetres.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// `ID` of the `Page` element.
    pub id: String,
    /// The page's content file.
    pub content: String,
    /// `PhysicalBox` (x, y, width, height) in mm: the page's own, or the document's default.
    pub area: [f64; 4],
}

fn boxed(text: &str) -> Option<[f64; 4]> {
    let v: Vec<f64> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    <[f64; 4]>::try_from(v)
        .ok()
        .filter(|b| b.iter().all(|x| x.is_finite()) && b[2] > 0.0 && b[3] > 0.0)
}

/// The pages of the package's first document, in order.
pub fn pages(package: &Package) -> Result<Vec<Page>, OfdError> {
    let entry = entry(package)?;
    let doc = elements(package.get(&entry.doc_root)?, &entry.doc_root)?;
    let default =
        first(&doc, "Document/CommonData/PageArea/PhysicalBox").and_then(|b| boxed(&b.text));
    let budget = ecenter_budget::current();
    let mut areas: std::collections::HashMap<String, Option<[f64; 4]>> = Default::default();
    let mut out = Vec::new();
    for p in all(&doc, "Document/Pages/Page") {
        let (Some(id), Some(loc)) = (p.attr("ID"), p.attr("BaseLoc")) else {
            return Err(OfdError::Structure(format!(
                "{}: a Page without ID or BaseLoc",
                entry.doc_root
            )));
        };
        budget.check().map_err(OfdError::Budget)?;
        let content = resolve(dir_of(&entry.doc_root), loc)?;
        // Each page file is read once, however many pages name it.
        let own = match areas.get(&content) {
            Some(a) => *a,
            None => {
                let area = match package.files.get(&content) {
                    Some(c) => first(&elements(c, &content)?, "Page/Area/PhysicalBox")
                        .and_then(|b| boxed(&b.text)),
                    None => None,
                };
                areas.insert(content.clone(), area);
                area
            }
        };
        let area = own.or(default).ok_or_else(|| {
            OfdError::Structure(format!(
                "page {id} has no PhysicalBox, nor has the document"
            ))
        })?;
        out.push(Page {
            id: id.to_string(),
            content,
            area,
        });
    }
    if out.is_empty() {
        return Err(OfdError::Structure(format!(
            "{} lists no page",
            entry.doc_root
        )));
    }
    Ok(out)
}
