//! Walks a page's content the way a viewer draws it, for its text: text-showing operators in the
//! current font (`Tf`, saved and restored with the graphics state by `q`/`Q`), and Form XObjects
//! drawn with `Do` (ISO 32000-1 §8.10) — pdfpages, imposition tools and stamping tools wrap whole
//! pages in forms — with the form's own resources, or the page's when it has none, at most
//! [`MAX_FORM_DEPTH`] forms deep. Every form's content is inflated under the budget and charged
//! each time it is drawn, so a form drawn a million times meets the document's limit.

use crate::pdf_text::{Decoder, FontCopies};
use crate::{ExtractError, damaged};
use ecenter_budget::Budget;
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeMap, HashMap, HashSet};

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

/// One resource scope (the page, or a form with resources of its own): its fonts, as indexes
/// into the decoders, and its forms by name.
#[derive(Default, Clone)]
struct Scope {
    fonts: BTreeMap<Vec<u8>, usize>,
    forms: BTreeMap<Vec<u8>, ObjectId>,
}

/// The scopes reachable from a page through its resources, and copies of every font in them.
struct Resources {
    copies: Vec<FontCopies>,
    scopes: HashMap<Option<ObjectId>, Scope>,
}

fn dict<'a>(document: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    match object {
        Object::Reference(id) => document.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

/// Adds the fonts and forms of the resource dictionary `resources` to `scope`.
fn add_resources(
    document: &Document,
    resources: &Dictionary,
    scope: &mut Scope,
    copies: &mut Vec<FontCopies>,
) {
    let entries = |key: &[u8]| {
        resources
            .get(key)
            .ok()
            .and_then(|o| dict(document, o))
            .map(|d| d.iter().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    for (name, font) in entries(b"Font") {
        if let Some(font) = dict(document, font) {
            scope.fonts.insert(name.clone(), copies.len());
            copies.push(FontCopies::new(name, font));
        }
    }
    for (name, xobject) in entries(b"XObject") {
        let Ok(id) = xobject.as_reference() else {
            continue;
        };
        let is_form = document
            .get_object(id)
            .and_then(Object::as_stream)
            .is_ok_and(|s| s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form"));
        if is_form {
            scope.forms.insert(name.clone(), id);
        }
    }
}

fn resources(document: &Document, page: ObjectId) -> Result<Resources, ExtractError> {
    let damaged = |e: lopdf::Error| damaged("PDF")(e.to_string());
    let mut copies = Vec::new();
    let mut page_scope = Scope::default();
    for (name, font) in document.get_page_fonts(page).map_err(damaged)? {
        page_scope.fonts.insert(name.clone(), copies.len());
        copies.push(FontCopies::new(&name, font));
    }
    let (direct, inherited) = document.get_page_resources(page).map_err(damaged)?;
    let inherited = inherited
        .iter()
        .filter_map(|id| document.get_dictionary(*id).ok());
    for resources in direct.into_iter().chain(inherited) {
        let mut forms_only = Scope::default();
        add_resources(document, resources, &mut forms_only, &mut Vec::new());
        for (name, id) in forms_only.forms {
            page_scope.forms.entry(name).or_insert(id);
        }
    }
    let mut scopes = HashMap::from([(None, page_scope)]);
    let mut queue: Vec<(ObjectId, Option<ObjectId>, usize)> = Vec::new();
    let forms_of = |scope: &Scope, parent, depth| -> Vec<(ObjectId, Option<ObjectId>, usize)> {
        scope
            .forms
            .values()
            .map(|id| (*id, parent, depth))
            .collect()
    };
    queue.extend(forms_of(&scopes[&None], None, 1));
    let mut seen = HashSet::new();
    while let Some((id, parent, depth)) = queue.pop() {
        if depth > MAX_FORM_DEPTH || !seen.insert(id) {
            continue;
        }
        let stream = document.get_object(id).and_then(Object::as_stream);
        let own = stream.ok().and_then(|s| s.dict.get(b"Resources").ok());
        let scope = match own.and_then(|o| dict(document, o)) {
            Some(resources) => {
                let mut scope = Scope::default();
                add_resources(document, resources, &mut scope, &mut copies);
                scope
            }
            None => scopes[&parent].clone(),
        };
        queue.extend(forms_of(&scope, Some(id), depth + 1));
        scopes.insert(Some(id), scope);
    }
    Ok(Resources { copies, scopes })
}

/// The text of one page whose (inflated) content stream is `content`, pushed onto `out`.
pub(crate) fn page_text(
    document: &Document,
    page: ObjectId,
    content: &[u8],
    out: &mut String,
    tally: &mut Tally,
) -> Result<(), ExtractError> {
    let resources = resources(document, page)?;
    let decoders: Vec<Decoder> = resources
        .copies
        .iter()
        .map(|c| c.decoder(document))
        .collect();
    let mut walk = Walk {
        document,
        decoders: &decoders,
        scopes: &resources.scopes,
        budget: ecenter_budget::current(),
        out,
        tally,
    };
    walk.run(content, None, 0)
}

struct Walk<'a, 'd> {
    document: &'d Document,
    decoders: &'a [Decoder<'d>],
    scopes: &'a HashMap<Option<ObjectId>, Scope>,
    budget: std::rc::Rc<Budget>,
    out: &'a mut String,
    tally: &'a mut Tally,
}

impl Walk<'_, '_> {
    /// Shows the text of `content`, drawn in resource scope `scope`, `depth` forms deep.
    fn run(
        &mut self,
        content: &[u8],
        scope: Option<ObjectId>,
        depth: usize,
    ) -> Result<(), ExtractError> {
        let content = Content::decode(content).map_err(|e| damaged("PDF")(e.to_string()))?;
        let Some(resources) = self.scopes.get(&scope) else {
            return Ok(());
        };
        let (mut font, mut saved): (Option<usize>, Vec<Option<usize>>) = (None, Vec::new());
        for operation in &content.operations {
            let operands = operation.operands.as_slice();
            let name = || operands.first().and_then(|o| o.as_name().ok());
            match operation.operator.as_str() {
                "q" => saved.push(font),
                "Q" => font = saved.pop().unwrap_or(font),
                "Tf" => font = name().and_then(|n| resources.fonts.get(n)).copied(),
                "Tj" | "TJ" => self.show(font, operands),
                "'" | "\"" => {
                    self.new_line();
                    let shown = operands
                        .last()
                        .map(std::slice::from_ref)
                        .unwrap_or_default();
                    self.show(font, shown);
                }
                "T*" | "ET" => self.new_line(),
                "Do" if depth < MAX_FORM_DEPTH => {
                    if let Some(form) = name().and_then(|n| resources.forms.get(n)) {
                        self.form(*form, depth)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Draws form `id`: its content inflated within the budget and charged.
    fn form(&mut self, id: ObjectId, depth: usize) -> Result<(), ExtractError> {
        let Ok(stream) = self.document.get_object(id).and_then(Object::as_stream) else {
            return Ok(());
        };
        let (allowance, _) = self.budget.stream_allowance();
        let content = stream
            .get_plain_content_with_limit(allowance as usize)
            .map_err(|_| ExtractError::Budget(self.budget.stream_over()))?;
        self.budget.charge_bytes(content.len() as u64)?;
        self.run(&content, Some(id), depth + 1)
    }

    fn new_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    /// Shows the strings among `operands` (a `TJ` array's too) in font `font`.
    fn show(&mut self, font: Option<usize>, operands: &[Object]) {
        for operand in operands {
            match operand {
                Object::String(bytes, _) => {
                    self.tally.shown += bytes.len();
                    let decoder = font.and_then(|f| self.decoders.get(f));
                    if decoder.is_none_or(|d| !d.push(bytes, self.out)) {
                        self.tally.unreadable += bytes.len();
                        let why = match decoder {
                            None => "text is shown in a font the page does not name".into(),
                            Some(d) => d.unreadable().map_or_else(
                                || "a string does not decode in its font's encoding".into(),
                                str::to_string,
                            ),
                        };
                        self.tally.why.get_or_insert(why);
                    }
                }
                Object::Array(items) => self.show(font, items),
                _ => {}
            }
        }
    }
}
