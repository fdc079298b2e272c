//! What changed after a signature (ISO 32000-1 §7.5.6 incremental updates, §12.8.2 DocMDP;
//! ETSI EN 319 142-1 §5.4 for validation data and document timestamps).
//!
//! A signature covers its revision: the file up to the end of its byte range. Every object of the
//! final file that is new or different from that revision is classified, the way pyHanko's
//! difference analysis does:
//! - validation data: the document security store (/DSS, its VRI dictionaries and the
//!   certificates, CRLs and OCSP responses it holds) — what PAdES B-LT and B-LTA add;
//! - a document timestamp (a signature dictionary of /Type /DocTimeStamp or SubFilter
//!   ETSI.RFC3161), or a later signature: the signature dictionary, its field and widget with the
//!   appearance streams, the AcroForm gaining the field (/Fields grown, /SigFlags) and the page
//!   gaining the widget (/Annots grown);
//! - anything else: other changes (page content, annotations, metadata, …).
//!
//! What a signature allows (see [`allowed`]): a seal without certification allows validation data,
//! document timestamps and later signatures (the court's policy, ARCHITECTURE.md); a certification
//! with DocMDP P=1 allows only validation data and document timestamps; P=2 and P=3 also later
//! signatures (form filling and annotations are not classified yet, so they count as other).

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
    /// The document information dictionary or the XMP metadata (producer, modification date):
    /// what every writer updates, signed or not.
    DocumentInfo,
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
            Change::Other(what) => write!(f, "{what}"),
        }
    }
}

/// DocMDP permissions of a certifying signature (ISO 32000-1 Table 254).
pub fn docmdp_permission(sig: &Dictionary, doc: &Document) -> Option<i64> {
    let refs = sig.get(b"Reference").ok()?;
    let refs = deref(doc, refs).as_array().ok()?;
    refs.iter().find_map(|r| {
        let r = deref(doc, r).as_dict().ok()?;
        let method = r.get(b"TransformMethod").ok()?.as_name().ok()?;
        if method != b"DocMDP" {
            return None;
        }
        let params = r.get(b"TransformParams").ok().map(|p| deref(doc, p));
        Some(
            params
                .and_then(|p| p.as_dict().ok())
                .and_then(|p| p.get(b"P").ok())
                .and_then(|p| p.as_i64().ok())
                .unwrap_or(2),
        )
    })
}

/// Whether a change is allowed after a signature with DocMDP permission `p` (None: not a
/// certification).
pub fn allowed(change: &Change, p: Option<i64>) -> bool {
    match change {
        Change::ValidationData | Change::DocumentTimestamp | Change::DocumentInfo => true,
        Change::LaterSignature => p != Some(1),
        Change::Other(_) => false,
    }
}

fn deref<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    match obj {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(obj),
        other => other,
    }
}

/// Every object reachable from `start` through references.
fn reachable(doc: &Document, start: &Object, out: &mut BTreeSet<ObjectId>) {
    let mut stack = vec![start.clone()];
    while let Some(obj) = stack.pop() {
        match obj {
            Object::Reference(id) => {
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

fn is_signature_dict(d: &Dictionary) -> bool {
    d.has(b"ByteRange") && d.has(b"Contents")
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

/// The array under `key` in `new` keeps every element it had in `old` (resolved through `docs`).
fn grows(old: (&Document, &Dictionary), new: (&Document, &Dictionary), key: &[u8]) -> bool {
    let items = |doc: &Document, d: &Dictionary| array_items(doc, d, key);
    let (before, after) = (items(old.0, old.1), items(new.0, new.1));
    before.iter().all(|o| after.contains(o))
}

/// A document timestamp when everything the array under `key` gained belongs to document
/// timestamps; a later signature otherwise.
fn kind_of_growth(
    old: (&Document, &Dictionary),
    new: (&Document, &Dictionary),
    key: &[u8],
    signature_parts: &BTreeMap<ObjectId, bool>,
) -> Change {
    let items = |doc: &Document, d: &Dictionary| array_items(doc, d, key);
    let before = items(old.0, old.1);
    let stamps = items(new.0, new.1)
        .iter()
        .filter(|o| !before.contains(o))
        .all(|o| o.as_reference().ok().and_then(|r| signature_parts.get(&r)) == Some(&true));
    if stamps {
        Change::DocumentTimestamp
    } else {
        Change::LaterSignature
    }
}

/// Classifies every object of `full` that is new or changed since `revision`.
pub fn changes_since(revision: &Document, full: &Document) -> BTreeSet<Change> {
    let catalog_id = full
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .ok();
    let mut dss = BTreeSet::new();
    let mut signature_parts = BTreeMap::new(); // object → is a document timestamp
    if let Some(cat) = catalog_id.and_then(|id| full.get_dictionary(id).ok())
        && let Ok(d) = cat.get(b"DSS")
    {
        reachable(full, d, &mut dss);
    }
    for (id, obj) in &full.objects {
        let Ok(d) = obj.as_dict() else { continue };
        // A field or widget whose value is a signature: it, the signature and its appearance.
        let sig = d
            .get(b"V")
            .ok()
            .map(|v| deref(full, v))
            .and_then(|v| v.as_dict().ok());
        let target = if is_signature_dict(d) {
            Some(d)
        } else {
            sig.filter(|s| is_signature_dict(s))
        };
        if let Some(s) = target {
            let stamp = is_doc_timestamp(s);
            let mut parts = BTreeSet::from([*id]);
            for key in [&b"V"[..], b"AP"] {
                if let Ok(v) = d.get(key) {
                    reachable(full, v, &mut parts);
                }
            }
            for p in parts {
                signature_parts.entry(p).or_insert(stamp);
            }
        }
    }
    // The trailer's /Info and the catalog's /Metadata.
    let mut info = BTreeSet::new();
    if let Ok(i) = full.trailer.get(b"Info") {
        reachable(full, i, &mut info);
    }
    if let Some(m) = catalog_id
        .and_then(|id| full.get_dictionary(id).ok())
        .and_then(|c| c.get(b"Metadata").ok())
    {
        reachable(full, m, &mut info);
    }
    let mut out = BTreeSet::new();
    for (id, obj) in &full.objects {
        if info.contains(id) && !dss.contains(id) && !signature_parts.contains_key(id) {
            out.insert(Change::DocumentInfo);
            continue;
        }
        if revision.objects.get(id) == Some(obj) || bookkeeping(obj) {
            continue;
        }
        out.insert(classify(
            *id,
            obj,
            revision,
            full,
            catalog_id,
            &dss,
            &signature_parts,
        ));
    }
    out
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

fn classify(
    id: ObjectId,
    obj: &Object,
    revision: &Document,
    full: &Document,
    catalog_id: Option<ObjectId>,
    dss: &BTreeSet<ObjectId>,
    signature_parts: &BTreeMap<ObjectId, bool>,
) -> Change {
    if dss.contains(&id) {
        return Change::ValidationData;
    }
    if let Some(stamp) = signature_parts.get(&id) {
        return if *stamp {
            Change::DocumentTimestamp
        } else {
            Change::LaterSignature
        };
    }
    // An /Annots or /Fields array kept in its own object, grown by a signature's widget.
    if let (Ok(after), Some(Ok(before))) = (
        obj.as_array(),
        revision.objects.get(&id).map(Object::as_array),
    ) {
        let added: Vec<&Object> = after.iter().filter(|o| !before.contains(o)).collect();
        let kept = before.iter().all(|o| after.contains(o));
        let parts: Option<Vec<bool>> = added
            .iter()
            .map(|o| {
                o.as_reference()
                    .ok()
                    .and_then(|r| signature_parts.get(&r).copied())
            })
            .collect();
        return match parts {
            Some(stamps) if kept && !stamps.is_empty() && stamps.iter().all(|s| *s) => {
                Change::DocumentTimestamp
            }
            Some(_) if kept => Change::LaterSignature,
            _ => Change::Other(format!("array object {} {} was changed", id.0, id.1)),
        };
    }
    let Some(before) = revision.objects.get(&id) else {
        return Change::Other(format!("object {} {} was added", id.0, id.1));
    };
    let (Ok(after), Ok(before)) = (obj.as_dict(), before.as_dict()) else {
        return Change::Other(format!("object {} {} was changed", id.0, id.1));
    };
    if Some(id) == catalog_id {
        return if same_except(
            before,
            after,
            &[b"DSS", b"AcroForm", b"Extensions", b"Metadata"],
        ) {
            Change::ValidationData
        } else {
            Change::Other("the document catalog was changed".into())
        };
    }
    let is = |t: &[u8]| {
        after
            .get(b"Type")
            .and_then(Object::as_name)
            .is_ok_and(|n| n == t)
    };
    if after.has(b"Fields")
        && same_except(before, after, &[b"Fields", b"SigFlags"])
        && grows((revision, before), (full, after), b"Fields")
    {
        return kind_of_growth(
            (revision, before),
            (full, after),
            b"Fields",
            signature_parts,
        );
    }
    if is(b"Page") {
        return if same_except(before, after, &[b"Annots"])
            && grows((revision, before), (full, after), b"Annots")
        {
            kind_of_growth(
                (revision, before),
                (full, after),
                b"Annots",
                signature_parts,
            )
        } else {
            Change::Other(format!(
                "page object {} {} was changed (content, resources or annotations)",
                id.0, id.1
            ))
        };
    }
    Change::Other(format!(
        "object {} {}{} was changed",
        id.0,
        id.1,
        after
            .get(b"Type")
            .and_then(Object::as_name)
            .map(|t| format!(" (/{})", String::from_utf8_lossy(t)))
            .unwrap_or_default()
    ))
}
