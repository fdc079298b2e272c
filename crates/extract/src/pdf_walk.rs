//! Walks a document's pages the way a viewer draws them, for their text: text-showing operators
//! in the current font (`Tf`, saved and restored with the graphics state by `q`/`Q`, and handed
//! to the forms drawn), and Form XObjects drawn with `Do` (ISO 32000-1 §8.10) — pdfpages,
//! imposition and stamping tools wrap whole pages in forms — in the form's own resources, or in
//! those of whatever draws it when it has none (§7.8.3), at most [`MAX_FORM_DEPTH`] forms deep.
//!
//! Everything is charged to the ambient budget before it is worked on: each font's ToUnicode map
//! once per document (decoders are kept by font object), each form's content every time it is
//! drawn (bytes and tokens), so a form drawn a million times meets the document's limits; and a
//! page stops once it holds the text the caller asked for.

use crate::pdf_text::Decoder;
use crate::{ExtractError, damaged};
use ecenter_budget::Budget;
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// Forms inside forms deeper than this are not drawn (their text is not read).
pub(crate) const MAX_FORM_DEPTH: usize = 8;

/// How much of a document's shown text could be read.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// String bytes shown.
    pub(crate) shown: usize,
    /// String bytes shown in a font no method could read.
    pub(crate) unreadable: usize,
    /// The first reason.
    pub(crate) why: Option<String>,
}

impl Tally {
    /// Whether unreadable text is most of what the document shows, or all it has.
    pub(crate) fn mostly_unreadable(&self, text_found: bool) -> bool {
        self.unreadable * 2 > self.shown || (!text_found && self.unreadable > 0)
    }
}

/// A font as a resource dictionary names it.
enum FontSlot {
    /// An indirect font: its decoder is kept by object, for the whole document.
    Shared(ObjectId),
    /// A font written inside the resource dictionary.
    Inline(Rc<Decoder>),
}

/// One resource scope (a page, or a form with resources of its own): fonts and forms by name.
#[derive(Default)]
struct Scope {
    fonts: BTreeMap<Vec<u8>, FontSlot>,
    forms: BTreeMap<Vec<u8>, ObjectId>,
}

fn dict<'a>(document: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    match object {
        Object::Reference(id) => document.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

/// A document being read: its decoders and form scopes, kept across pages, and the tally.
pub(crate) struct PdfReader<'d> {
    document: &'d Document,
    budget: Rc<Budget>,
    decoders: HashMap<ObjectId, Rc<Decoder>>,
    form_scopes: HashMap<ObjectId, Rc<Scope>>,
    /// The length of the page text at which drawing stops.
    limit: usize,
    pub(crate) tally: Tally,
}

impl<'d> PdfReader<'d> {
    pub(crate) fn new(document: &'d Document) -> PdfReader<'d> {
        PdfReader {
            document,
            budget: ecenter_budget::current(),
            decoders: HashMap::new(),
            form_scopes: HashMap::new(),
            limit: usize::MAX,
            tally: Tally::default(),
        }
    }

    /// The text of page `page` (its inflated content `content`), pushed onto `out` until it
    /// holds about `room` more bytes.
    pub(crate) fn page(
        &mut self,
        page: ObjectId,
        content: &[u8],
        out: &mut String,
        room: usize,
    ) -> Result<(), ExtractError> {
        let (direct, inherited) = self
            .document
            .get_page_resources(page)
            .map_err(|e| damaged("PDF")(e.to_string()))?;
        let document = self.document;
        let inherited = inherited
            .iter()
            .filter_map(|id| document.get_dictionary(*id).ok());
        let mut scope = Scope::default();
        // The page's own resources first, then its ancestors' (§7.7.3.4): the nearest wins.
        for resources in direct.into_iter().chain(inherited) {
            self.add_resources(resources, &mut scope)?;
        }
        self.limit = out.len().saturating_add(room);
        self.run(content, &Rc::new(scope), None, 0, out)
    }

    /// Adds the fonts and forms of `resources` that `scope` does not name yet.
    fn add_resources(&self, resources: &Dictionary, scope: &mut Scope) -> Result<(), ExtractError> {
        let document = self.document;
        let entries = |key: &[u8]| {
            resources
                .get(key)
                .ok()
                .and_then(|o| dict(document, o))
                .map(|d| d.iter().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        for (name, font) in entries(b"Font") {
            if scope.fonts.contains_key(name) {
                continue;
            }
            let slot = match font {
                Object::Reference(id) => FontSlot::Shared(*id),
                Object::Dictionary(d) => FontSlot::Inline(Rc::new(Decoder::of(name, d, document)?)),
                _ => continue,
            };
            scope.fonts.insert(name.clone(), slot);
        }
        for (name, xobject) in entries(b"XObject") {
            if let Ok(id) = xobject.as_reference() {
                scope.forms.entry(name.clone()).or_insert(id);
            }
        }
        Ok(())
    }

    /// The decoder of the font `name` in `scope`, built (and its map charged) on first use.
    fn decoder(&mut self, scope: &Scope, name: &[u8]) -> Result<Option<Rc<Decoder>>, ExtractError> {
        Ok(match scope.fonts.get(name) {
            None => None,
            Some(FontSlot::Inline(decoder)) => Some(decoder.clone()),
            Some(FontSlot::Shared(id)) => {
                if let Some(decoder) = self.decoders.get(id) {
                    return Ok(Some(decoder.clone()));
                }
                let decoder = match self.document.get_dictionary(*id) {
                    Ok(font) => Decoder::of(name, font, self.document)?,
                    Err(_) => Decoder::Unreadable(format!(
                        "font {} is not a font dictionary",
                        String::from_utf8_lossy(name)
                    )),
                };
                let decoder = Rc::new(decoder);
                self.decoders.insert(*id, decoder.clone());
                Some(decoder)
            }
        })
    }

    /// Shows the text of `content` drawn in `scope` with `font` current, `depth` forms deep.
    fn run(
        &mut self,
        content: &[u8],
        scope: &Rc<Scope>,
        mut font: Option<Rc<Decoder>>,
        depth: usize,
        out: &mut String,
    ) -> Result<(), ExtractError> {
        let content = Content::decode(content).map_err(|e| damaged("PDF")(e.to_string()))?;
        let mut saved: Vec<Option<Rc<Decoder>>> = Vec::new();
        for operation in &content.operations {
            if out.len() > self.limit {
                return Ok(());
            }
            let operands = operation.operands.as_slice();
            let name = operands.first().and_then(|o| o.as_name().ok());
            match operation.operator.as_str() {
                "q" => saved.push(font.clone()),
                "Q" => font = saved.pop().unwrap_or(font),
                "Tf" => font = name.map_or(Ok(None), |n| self.decoder(scope, n))?,
                "Tj" | "TJ" => self.show(font.as_deref(), operands, out),
                "'" | "\"" => {
                    new_line(out);
                    let shown = operands
                        .last()
                        .map(std::slice::from_ref)
                        .unwrap_or_default();
                    self.show(font.as_deref(), shown, out);
                }
                "T*" | "ET" => new_line(out),
                "Do" if depth < MAX_FORM_DEPTH => {
                    if let Some(id) = name.and_then(|n| scope.forms.get(n)) {
                        self.form(*id, scope, font.clone(), depth, out)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Draws form `id` from `drawer`'s scope: its content inflated within the budget and
    /// charged, in its own resources or, lacking them, the drawer's.
    fn form(
        &mut self,
        id: ObjectId,
        drawer: &Rc<Scope>,
        font: Option<Rc<Decoder>>,
        depth: usize,
        out: &mut String,
    ) -> Result<(), ExtractError> {
        let Ok(stream) = self.document.get_object(id).and_then(Object::as_stream) else {
            return Ok(());
        };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            return Ok(()); // an image
        }
        let (allowance, _) = self.budget.stream_allowance();
        let content = match stream.get_plain_content_with_limit(allowance as usize) {
            Ok(content) => content,
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                ..
            })) => {
                return Err(ExtractError::Budget(self.budget.stream_over()));
            }
            Err(_) => return Ok(()), // a damaged form draws nothing, as in a viewer
        };
        self.budget.charge_bytes(content.len() as u64)?;
        self.budget
            .charge_values(ecenter_budget::scan::values(&content))?;
        let scope = match stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| dict(self.document, o))
        {
            Some(resources) => match self.form_scopes.get(&id) {
                Some(scope) => scope.clone(),
                None => {
                    let mut scope = Scope::default();
                    self.add_resources(resources, &mut scope)?;
                    let scope = Rc::new(scope);
                    self.form_scopes.insert(id, scope.clone());
                    scope
                }
            },
            None => drawer.clone(),
        };
        self.run(&content, &scope, font, depth + 1, out)
    }

    /// Shows the strings among `operands` (a `TJ` array's too) in `font`.
    fn show(&mut self, font: Option<&Decoder>, operands: &[Object], out: &mut String) {
        for operand in operands {
            match operand {
                Object::String(bytes, _) => {
                    self.tally.shown += bytes.len();
                    if font.is_none_or(|d| !d.push(bytes, out)) {
                        self.tally.unreadable += bytes.len();
                        let why = match font {
                            None => "text is shown in a font the page does not name".into(),
                            Some(d) => d.unreadable().map_or_else(
                                || "a string does not decode in its font's encoding".into(),
                                str::to_string,
                            ),
                        };
                        self.tally.why.get_or_insert(why);
                    }
                }
                Object::Array(items) => self.show(font, items, out),
                _ => {}
            }
        }
    }
}

fn new_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}
