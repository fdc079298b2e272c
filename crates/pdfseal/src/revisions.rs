//! What changed after a signature (ISO 32000-1 §7.5.6 incremental updates, §12.8.2 DocMDP;
//! ETSI EN 319 142-1 §5.4 for validation data and document timestamps).
//!
//! A signature covers its revision: the file up to the end of its byte range. Every object of the
//! final file that is new, changed, deleted or unreadable since that revision is classified, the
//! way pyHanko's difference analysis does — and an object that already existed is judged by what it
//! *was* in the signed revision, never by what the final file makes it point at (an attacker can
//! hang a changed page content stream under /Info, /Metadata or the DSS):
//! - validation data: objects of the signed revision's document security store, and new objects
//!   of the final one (/DSS, VRI, certificates, CRLs, OCSP responses) — PAdES B-LT and B-LTA;
//! - a document timestamp or a later signature: the new objects of a *new* signature field (its
//!   dictionary, signature and appearance), the AcroForm whose /Fields only grew by such fields,
//!   the page whose /Annots only grew by their widgets;
//! - document information: the /Info dictionary (plain values only) and the XMP metadata stream;
//! - form filling: an existing non-signature field or its widget changed only in its value and
//!   appearance (/V, /AS, /AP), and the new appearance streams;
//! - annotations: a new or changed annotation other than a widget (comments, highlights, stamps,
//!   links) with its new appearance objects, the page whose /Annots only grew by such;
//! - anything else (named): page content, resources, existing signatures, fields changed beyond
//!   their value, catalog entries such as /OpenAction, objects deleted or that cannot be read.
//!
//! What a signature allows ([`allowed`], ISO 32000-1 Table 254): a seal without certification
//! allows validation data, document timestamps, later signatures and document information (the
//! court's policy, ARCHITECTURE.md); DocMDP P=1 all but later signatures; P=2 also form filling
//! and later signatures; P=3 also annotations.

use crate::fields::{field_name, field_type, is_signature_field, signature_value};
use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeMap, BTreeSet};

/// One kind of change after a signature.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// /DSS, VRI, and the validation material they hold.
    ValidationData,
    /// A document timestamp and its field.
    DocumentTimestamp,
    /// A later signature and its field.
    LaterSignature,
    /// The document information dictionary or the XMP metadata (producer, modification date).
    DocumentInfo,
    /// A field's value and appearance (DocMDP P=2 and P=3), by the field's full name.
    FormFilling(String),
    /// Annotations other than widgets: comments, highlights, stamps (DocMDP P=3 only).
    Annotation,
    /// Anything else, described.
    Other(String),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::ValidationData => write!(f, "validation data (DSS)"),
            Change::DocumentTimestamp => write!(f, "a document timestamp"),
            Change::LaterSignature => write!(f, "a later signature"),
            Change::DocumentInfo => write!(f, "document information (producer, dates)"),
            Change::FormFilling(field) => write!(f, "form filling (field \"{field}\")"),
            Change::Annotation => write!(f, "annotations (comments, highlights, stamps)"),
            Change::Other(what) => write!(f, "{what}"),
        }
    }
}

/// DocMDP permissions of a certifying signature (ISO 32000-1 Table 254), read from `doc` (the
/// signed revision). A /P that cannot be read counts as 1, the strictest, never as the default 2.
pub fn docmdp_permission(sig: &Dictionary, doc: &Document) -> Option<i64> {
    let refs = sig.get(b"Reference").ok()?;
    let refs = deref(doc, refs).as_array().ok()?;
    refs.iter().find_map(|r| {
        let r = deref(doc, r).as_dict().ok()?;
        let method = deref(doc, r.get(b"TransformMethod").ok()?).as_name().ok()?;
        if method != b"DocMDP" {
            return None;
        }
        let Some(params) = r.get(b"TransformParams").ok().map(|p| deref(doc, p)) else {
            return Some(2); // Table 255: P defaults to 2 when the parameters are absent
        };
        Some(match params.as_dict().ok().and_then(|p| p.get(b"P").ok()) {
            None => 2,
            Some(p) => deref(doc, p)
                .as_i64()
                .ok()
                .filter(|p| (1..=3).contains(p))
                .unwrap_or(1),
        })
    })
}

/// Whether a change is allowed after a signature with DocMDP permission `p` (None: not a
/// certification).
pub fn allowed(change: &Change, p: Option<i64>) -> bool {
    match change {
        Change::ValidationData | Change::DocumentTimestamp | Change::DocumentInfo => true,
        Change::LaterSignature => p != Some(1),
        Change::FormFilling(_) => matches!(p, Some(2 | 3)),
        Change::Annotation => p == Some(3),
        Change::Other(_) => false,
    }
}

fn deref<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    match obj {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(obj),
        other => other,
    }
}

/// Every object reachable from `start` through references; with `only_new`, stops at objects the
/// signed revision already had.
fn reachable(
    doc: &Document,
    start: &Object,
    only_new: Option<&Document>,
    out: &mut BTreeSet<ObjectId>,
) {
    let mut stack = vec![start.clone()];
    while let Some(obj) = stack.pop() {
        match obj {
            Object::Reference(id) => {
                if only_new.is_some_and(|rev| rev.objects.contains_key(&id)) {
                    continue;
                }
                if out.insert(id)
                    && let Ok(o) = doc.get_object(id)
                {
                    stack.push(o.clone());
                }
            }
            Object::Array(items) => stack.extend(items),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| v.clone())),
            Object::Stream(s) => stack.extend(s.dict.iter().map(|(_, v)| v.clone())),
            _ => {}
        }
    }
}

/// Whether a signature dictionary is a document timestamp (PAdES B-LTA).
pub fn is_doc_timestamp(d: &Dictionary) -> bool {
    d.get(b"Type")
        .and_then(Object::as_name)
        .is_ok_and(|t| t == b"DocTimeStamp")
        || d.get(b"SubFilter")
            .and_then(Object::as_name)
            .is_ok_and(|s| s == b"ETSI.RFC3161")
}

/// A field other than a signature field, or a widget of one (the type may be inherited from
/// /Parent, ISO 32000-1 §12.7.3.1): what form filling changes.
fn is_fillable(d: &Dictionary, doc: &Document) -> bool {
    field_type(d, doc).is_some_and(|t| matches!(t, b"Tx" | b"Ch" | b"Btn"))
}

/// Which fields a signature locks (FieldMDP, ISO 32000-1 §12.8.2.4, Table 256): after it, a
/// locked field may not be filled in, whatever DocMDP allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldLock {
    /// Every field.
    All,
    /// Only these.
    Include(Vec<String>),
    /// All but these.
    Exclude(Vec<String>),
}

impl FieldLock {
    /// Whether the field `name` is locked.
    pub fn locks(&self, name: &str) -> bool {
        match self {
            FieldLock::All => true,
            FieldLock::Include(f) => f.iter().any(|f| f == name),
            FieldLock::Exclude(f) => !f.iter().any(|f| f == name),
        }
    }
}

/// The FieldMDP lock of a signature dictionary, read from `doc` (the signed revision).
pub fn fieldmdp_lock(sig: &Dictionary, doc: &Document) -> Option<FieldLock> {
    let refs = deref(doc, sig.get(b"Reference").ok()?).as_array().ok()?;
    refs.iter().find_map(|r| {
        let r = deref(doc, r).as_dict().ok()?;
        if deref(doc, r.get(b"TransformMethod").ok()?).as_name().ok()? != b"FieldMDP" {
            return None;
        }
        let params = deref(doc, r.get(b"TransformParams").ok()?).as_dict().ok()?;
        let fields = params
            .get(b"Fields")
            .ok()
            .and_then(|f| deref(doc, f).as_array().ok())
            .map(|a| {
                a.iter()
                    .filter_map(|f| deref(doc, f).as_str().ok())
                    .map(|t| String::from_utf8_lossy(t).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        // An action that cannot be read locks everything, the strictest reading.
        Some(match params.get(b"Action").and_then(Object::as_name) {
            Ok(b"Include") => FieldLock::Include(fields),
            Ok(b"Exclude") => FieldLock::Exclude(fields),
            _ => FieldLock::All,
        })
    })
}

/// An annotation other than a widget (ISO 32000-1 §12.5): a comment, highlight, stamp or link.
fn is_annotation(d: &Dictionary) -> bool {
    d.get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|t| t != b"Widget" && d.has(b"Rect"))
        && d.get(b"Type")
            .and_then(Object::as_name)
            .map_or(true, |t| t == b"Annot")
}

/// `a` and `b` equal but for the keys named.
fn same_except(a: &Dictionary, b: &Dictionary, keys: &[&[u8]]) -> bool {
    let strip = |d: &Dictionary| -> BTreeMap<Vec<u8>, Object> {
        d.iter()
            .filter(|(k, _)| !keys.contains(&k.as_slice()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    strip(a) == strip(b)
}

/// The elements of the array under `key` of `d` (resolved), or none.
fn array_items(doc: &Document, d: &Dictionary, key: &[u8]) -> Vec<Object> {
    d.get(key)
        .ok()
        .map(|o| deref(doc, o))
        .and_then(|o| o.as_array().ok())
        .cloned()
        .unwrap_or_default()
}

/// Roles objects of the signed revision had.
struct Roles {
    catalog: Option<ObjectId>,
    info: Option<ObjectId>,
    metadata: Option<ObjectId>,
    acroform: Option<ObjectId>,
    pages: BTreeSet<ObjectId>,
    /// Indirect /Annots and /Fields arrays.
    arrays: BTreeSet<ObjectId>,
    dss: BTreeSet<ObjectId>,
}

impl Roles {
    fn of(doc: &Document) -> Roles {
        let catalog = doc.trailer.get(b"Root").and_then(Object::as_reference).ok();
        let cat = catalog.and_then(|id| doc.get_dictionary(id).ok());
        let reference = |d: Option<&Dictionary>, key: &[u8]| {
            d.and_then(|d| d.get(key).ok())
                .and_then(|o| o.as_reference().ok())
        };
        let mut dss = BTreeSet::new();
        if let Some(d) = cat.and_then(|c| c.get(b"DSS").ok()) {
            reachable(doc, d, None, &mut dss);
        }
        let pages: BTreeSet<ObjectId> = doc.get_pages().values().copied().collect();
        let acroform = reference(cat, b"AcroForm");
        let mut arrays = BTreeSet::new();
        for p in &pages {
            arrays.extend(reference(doc.get_dictionary(*p).ok(), b"Annots"));
        }
        let form = cat
            .and_then(|c| c.get(b"AcroForm").ok())
            .and_then(|a| deref(doc, a).as_dict().ok());
        arrays.extend(reference(form, b"Fields"));
        Roles {
            catalog,
            info: doc.trailer.get(b"Info").and_then(Object::as_reference).ok(),
            metadata: reference(cat, b"Metadata"),
            acroform,
            pages,
            arrays,
            dss,
        }
    }
}

/// What the final file adds: the new objects of new signature fields (true for a document
/// timestamp), its DSS, its /Info and /Metadata objects.
struct Additions {
    signature_parts: BTreeMap<ObjectId, bool>,
    /// New objects of new or changed annotations (appearances, pop-ups).
    annotation_parts: BTreeSet<ObjectId>,
    /// New objects under existing fields' /V and /AP (filled values, new appearances).
    form_parts: BTreeMap<ObjectId, String>,
    dss: BTreeSet<ObjectId>,
    info: Option<ObjectId>,
    metadata: Option<ObjectId>,
}

impl Additions {
    fn of(revision: &Document, full: &Document) -> Additions {
        let catalog = full
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .ok();
        let cat = catalog.and_then(|id| full.get_dictionary(id).ok());
        // Everything the final DSS holds; only its new objects are judged by it (an object the
        // signed revision had is judged by what it was there).
        let mut dss = BTreeSet::new();
        if let Some(d) = cat.and_then(|c| c.get(b"DSS").ok()) {
            reachable(full, d, None, &mut dss);
        }
        let signature_parts = new_signature_parts(revision, full);
        let (mut annotation_parts, mut form_parts) = (BTreeSet::new(), BTreeMap::new());
        for (id, obj) in &full.objects {
            let Ok(d) = obj.as_dict() else { continue };
            let existed = revision.objects.contains_key(id);
            if is_annotation(d) {
                if !existed {
                    annotation_parts.insert(*id);
                }
                for (k, v) in d {
                    if !matches!(k.as_slice(), b"P" | b"Parent" | b"IRT") {
                        reachable(full, v, Some(revision), &mut annotation_parts);
                    }
                }
            } else if existed && is_fillable(d, full) {
                let mut parts = BTreeSet::new();
                for key in [&b"V"[..], b"AP"] {
                    if let Ok(v) = d.get(key) {
                        reachable(full, v, Some(revision), &mut parts);
                    }
                }
                let name = field_name(d, full);
                for part in parts {
                    form_parts.entry(part).or_insert_with(|| name.clone());
                }
            }
        }
        Additions {
            signature_parts,
            annotation_parts,
            form_parts,
            dss,
            info: full
                .trailer
                .get(b"Info")
                .and_then(Object::as_reference)
                .ok(),
            metadata: cat
                .and_then(|c| c.get(b"Metadata").ok())
                .and_then(|o| o.as_reference().ok()),
        }
    }

    /// What the new elements of an array (page /Annots, AcroForm /Fields) are: a document
    /// timestamp or a later signature when each is a new signature field; otherwise `None`.
    fn growth(&self, before: &[Object], after: &[Object]) -> Option<Change> {
        if !before.iter().all(|o| after.contains(o)) {
            return None;
        }
        let mut kinds = Vec::new();
        for o in after.iter().filter(|o| !before.contains(o)) {
            let r = o.as_reference().ok()?;
            kinds.push(match self.signature_parts.get(&r) {
                Some(true) => Change::DocumentTimestamp,
                Some(false) => Change::LaterSignature,
                None if self.annotation_parts.contains(&r) => Change::Annotation,
                None => return None,
            });
        }
        Some(if kinds.contains(&Change::Annotation) {
            Change::Annotation
        } else if !kinds.is_empty() && kinds.iter().all(|k| *k == Change::DocumentTimestamp) {
            Change::DocumentTimestamp
        } else {
            Change::LaterSignature
        })
    }
}

/// The objects of new signature fields the final file adds (a later signature's or a document
/// timestamp's dictionary, signature value and appearance), each marked true when it belongs to
/// a document timestamp.
fn new_signature_parts(revision: &Document, full: &Document) -> BTreeMap<ObjectId, bool> {
    let mut signature_parts = BTreeMap::new();
    for (id, obj) in &full.objects {
        let Ok(d) = obj.as_dict() else { continue };
        if revision.objects.contains_key(id) || !is_signature_field(d, full) {
            continue;
        }
        // An unsigned signature field is only a placeholder for a later signature when it
        // shows nothing and does nothing: one with an appearance or actions can draw over
        // the document or run script, and is judged as any other change. A value that is no
        // signature that can be verified (written in the field itself, without /ByteRange or
        // /Contents) makes no signature either: such a field is judged as any other change too.
        // A later signature's dictionary is new too: one the judged revision already had (the
        // seal's own, shared by a second field) signs nothing after it.
        let fresh = d
            .get(b"V")
            .and_then(Object::as_reference)
            .is_ok_and(|v| !revision.objects.contains_key(&v));
        let signed = fresh && d.get(b"V").is_ok_and(|v| signature_value(v, full).is_ok());
        let valued = d.get(b"V").is_ok_and(|v| !matches!(v, Object::Null));
        if !signed && (valued || draws(d)) {
            continue;
        }
        let Some(widgets) = own_widgets(d, *id, full, signed) else {
            continue;
        };
        let sig = d
            .get(b"V")
            .ok()
            .map(|v| deref(full, v))
            .and_then(|v| v.as_dict().ok());
        let stamp = sig.is_some_and(is_doc_timestamp);
        // A signature field's widgets may be kids of their own (§12.7.3.1), showing it: the
        // kids themselves and, when signed, their appearances; nothing else they point at.
        let mut parts = BTreeSet::from([*id]);
        if let Ok(Object::Reference(kids)) = d.get(b"Kids") {
            parts.insert(*kids);
        }
        for key in [&b"V"[..], b"AP"] {
            if let Ok(v) = d.get(key) {
                reachable(full, v, Some(revision), &mut parts);
            }
        }
        for (kid, widget) in widgets {
            parts.insert(kid);
            if let Ok(ap) = widget.get(b"AP") {
                reachable(full, ap, Some(revision), &mut parts);
            }
        }
        for p in parts {
            signature_parts.entry(p).or_insert(stamp);
        }
    }
    signature_parts
}

/// Whether a field or widget shows or does something: an appearance, an action, or appearance
/// characteristics with a border or background colour (/MK /BC, /BG: viewers draw them even
/// without /AP, ISO 32000-1 §12.5.6.19, Table 189).
fn draws(d: &Dictionary) -> bool {
    let coloured = |mk: &Dictionary, key: &[u8]| {
        mk.get(key)
            .and_then(Object::as_array)
            .is_ok_and(|c| !c.is_empty())
    };
    let mk = d.get(b"MK").and_then(Object::as_dict);
    d.has(b"AP")
        || d.has(b"A")
        || d.has(b"AA")
        || mk.is_ok_and(|mk| coloured(mk, b"BC") || coloured(mk, b"BG"))
}

/// The kids of a new signature field, when every one is a widget of it (ISO 32000-1 §12.7.3.1):
/// written as a reference, its /Parent the field, no kids of its own, and — for a field not
/// signed — showing and doing nothing ([`draws`]). `None` otherwise: a kid that draws over the
/// document as a placeholder, or of another kind (an annotation, a field under it), makes the
/// field no part of a signature, and it is judged as any other change.
fn own_widgets<'a>(
    field: &Dictionary,
    id: ObjectId,
    full: &'a Document,
    signed: bool,
) -> Option<Vec<(ObjectId, &'a Dictionary)>> {
    let Ok(kids) = field.get(b"Kids") else {
        return Some(Vec::new());
    };
    let kids = match kids {
        Object::Reference(r) => full.get_object(*r).ok()?.as_array().ok()?,
        other => other.as_array().ok()?,
    };
    kids.iter()
        .map(|kid| {
            let kid_id = kid.as_reference().ok()?;
            let k = full.get_dictionary(kid_id).ok()?;
            let widget =
                (k.get(b"Subtype").and_then(Object::as_name)).is_ok_and(|t| t == b"Widget");
            let parent = (k.get(b"Parent").and_then(Object::as_reference)).is_ok_and(|p| p == id);
            let quiet = signed || !draws(k);
            (widget && parent && !k.has(b"Kids") && quiet).then_some((kid_id, k))
        })
        .collect()
}

/// Cross-reference and object streams: how an update is written down, not what it changes.
fn bookkeeping(obj: &Object) -> bool {
    let dict = match obj {
        Object::Stream(s) => &s.dict,
        Object::Dictionary(d) => d,
        _ => return false,
    };
    dict.get(b"Type")
        .and_then(Object::as_name)
        .is_ok_and(|t| t == b"XRef" || t == b"ObjStm")
}

/// A dictionary of plain values only (no references, streams or nested containers with them).
fn plain(obj: &Object) -> bool {
    match obj {
        Object::Reference(_) | Object::Stream(_) => false,
        Object::Array(items) => items.iter().all(plain),
        Object::Dictionary(d) => d.iter().all(|(_, v)| plain(v)),
        _ => true,
    }
}

/// Objects the cross-reference table says are there but that could not be read.
fn unreadable(doc: &Document) -> Vec<u32> {
    let present: std::collections::HashSet<u32> = doc.objects.keys().map(|(n, _)| *n).collect();
    doc.reference_table
        .entries
        .iter()
        .filter(|(id, entry)| {
            matches!(
                entry,
                XrefEntry::Normal { .. } | XrefEntry::Compressed { .. }
            ) && !present.contains(id)
        })
        .map(|(id, _)| *id)
        .collect()
}

/// Classifies every object of `full` that is new, changed, deleted or unreadable since `revision`.
pub fn changes_since(revision: &Document, full: &Document) -> BTreeSet<Change> {
    let roles = Roles::of(revision);
    let adds = Additions::of(revision, full);
    let compared = Compared {
        revision,
        full,
        adds: &adds,
    };
    let mut out = BTreeSet::new();
    for id in unreadable(full) {
        out.insert(Change::Other(format!("object {id} cannot be read")));
    }
    for (id, old) in &revision.objects {
        if !full.objects.contains_key(id) && !bookkeeping(old) {
            out.insert(Change::Other(format!(
                "object {} {} was deleted",
                id.0, id.1
            )));
        }
    }
    for (id, obj) in &full.objects {
        if bookkeeping(obj) {
            continue;
        }
        match revision.objects.get(id) {
            Some(old) if old == obj => {}
            Some(old) => {
                out.insert(changed(*id, (old, obj), &roles, &compared));
            }
            None => {
                out.insert(added(*id, obj, &adds));
            }
        }
    }
    out
}

/// The signed revision, the final file, and what the final file adds: what a change is judged by.
struct Compared<'a> {
    revision: &'a Document,
    full: &'a Document,
    adds: &'a Additions,
}

/// An object the signed revision had (`(old, new)`: there and now), judged by what it was there.
fn changed(
    id: ObjectId,
    (old, new): (&Object, &Object),
    roles: &Roles,
    compared: &Compared<'_>,
) -> Change {
    let &Compared {
        revision,
        full,
        adds,
    } = compared;
    let other =
        |what: &str| Change::Other(format!("{what} (object {} {}) was changed", id.0, id.1));
    if roles.dss.contains(&id) {
        return Change::ValidationData;
    }
    if Some(id) == roles.info {
        return if plain(new) {
            Change::DocumentInfo
        } else {
            other("the document information dictionary")
        };
    }
    if Some(id) == roles.metadata {
        let xmp = new.as_stream().is_ok_and(|s| {
            s.dict
                .get(b"Type")
                .and_then(Object::as_name)
                .is_ok_and(|t| t == b"Metadata")
        });
        return if xmp {
            Change::DocumentInfo
        } else {
            other("the XMP metadata")
        };
    }
    let (Ok(before), Ok(after)) = (old.as_dict(), new.as_dict()) else {
        if roles.arrays.contains(&id)
            && let (Ok(b), Ok(a)) = (old.as_array(), new.as_array())
        {
            return adds
                .growth(b, a)
                .unwrap_or_else(|| other("an annotation or field list"));
        }
        return other("an object");
    };
    if Some(id) == roles.catalog {
        return catalog(before, after, compared).unwrap_or_else(|| other("the document catalog"));
    }
    if Some(id) == roles.acroform {
        return form(before, after, compared).unwrap_or_else(|| other("the interactive form"));
    }
    if roles.pages.contains(&id) {
        let annots = (
            array_items(revision, before, b"Annots"),
            array_items(full, after, b"Annots"),
        );
        return same_except(before, after, &[b"Annots"])
            .then(|| adds.growth(&annots.0, &annots.1))
            .flatten()
            .unwrap_or_else(|| other("a page (content, resources or annotations)"));
    }
    if is_fillable(before, revision) && same_except(before, after, &[b"V", b"AS", b"AP"]) {
        return Change::FormFilling(field_name(before, revision));
    }
    if is_annotation(before)
        && is_annotation(after)
        && before.get(b"Subtype").ok() == after.get(b"Subtype").ok()
        && before.get(b"P").ok() == after.get(b"P").ok()
    {
        return Change::Annotation;
    }
    let kind = after.get(b"Type").and_then(Object::as_name).map_or_else(
        |_| "an object".into(),
        |t| format!("a /{} object", String::from_utf8_lossy(t)),
    );
    other(&kind)
}

/// The catalog may gain or change only /DSS, /AcroForm (by new signature fields), /Extensions,
/// /Metadata and /Version: the version a signer declares for what it wrote (ISO 32000-1 §7.7.2,
/// Table 28; pyHanko declares 2.0 as it signs), a name that changes nothing shown.
fn catalog(before: &Dictionary, after: &Dictionary, compared: &Compared<'_>) -> Option<Change> {
    let &Compared { revision, full, .. } = compared;
    if !same_except(
        before,
        after,
        &[b"DSS", b"AcroForm", b"Extensions", b"Metadata", b"Version"],
    ) || after.get(b"Version").is_ok_and(|v| v.as_name().is_err())
    {
        return None;
    }
    let old_form = before.get(b"AcroForm").ok().map(|f| deref(revision, f));
    let new_form = after.get(b"AcroForm").ok().map(|f| deref(full, f));
    match (old_form, new_form) {
        (None, None) => Some(Change::ValidationData),
        (_, None) => None,
        (old, Some(new)) => {
            let empty = Dictionary::new();
            let old = old.and_then(|o| o.as_dict().ok()).unwrap_or(&empty);
            form(old, new.as_dict().ok()?, compared)
        }
    }
}

/// The AcroForm may only grow /Fields by new signature fields (and set /SigFlags).
fn form(before: &Dictionary, after: &Dictionary, compared: &Compared<'_>) -> Option<Change> {
    let &Compared {
        revision,
        full,
        adds,
    } = compared;
    if !same_except(before, after, &[b"Fields", b"SigFlags"]) {
        return None;
    }
    // ISO 32000-1 Table 219: SignaturesExist (1) and AppendOnly (2) may be set by a later
    // signature, never cleared: without AppendOnly a reader may rewrite the file and break every
    // signature in it.
    let flags = |d: &Dictionary| d.get(b"SigFlags").and_then(Object::as_i64).unwrap_or(0);
    if flags(after) & flags(before) != flags(before) {
        return Some(Change::Other(
            "the form's signature flags (/SigFlags) were cleared".into(),
        ));
    }
    let (old, new) = (
        array_items(revision, before, b"Fields"),
        array_items(full, after, b"Fields"),
    );
    if old == new {
        return Some(Change::LaterSignature);
    }
    adds.growth(&old, &new)
}

/// An object the signed revision did not have, judged by what the final file makes of it.
fn added(id: ObjectId, obj: &Object, adds: &Additions) -> Change {
    if let Some(stamp) = adds.signature_parts.get(&id) {
        return if *stamp {
            Change::DocumentTimestamp
        } else {
            Change::LaterSignature
        };
    }
    if adds.dss.contains(&id) {
        return Change::ValidationData;
    }
    if Some(id) == adds.info && plain(obj) {
        return Change::DocumentInfo;
    }
    if Some(id) == adds.metadata && obj.as_stream().is_ok() {
        return Change::DocumentInfo;
    }
    if adds.annotation_parts.contains(&id) {
        return Change::Annotation;
    }
    if let Some(field) = adds.form_parts.get(&id) {
        return Change::FormFilling(field.clone());
    }
    // A new AcroForm dictionary or /Annots and /Fields arrays of new fields are judged through
    // the catalog and the pages that name them; on their own they change nothing shown.
    if obj
        .as_dict()
        .is_ok_and(|d| d.has(b"Fields") && !d.has(b"Type"))
        || obj.as_array().is_ok()
    {
        return Change::LaterSignature;
    }
    Change::Other(format!("object {} {} was added", id.0, id.1))
}
