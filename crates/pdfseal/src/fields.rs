//! What ISO 32000-1 §12.7 makes a form field, as the verifier and the difference analysis read
//! it: its type (inherited from its parents), its fully qualified name, and whether its value is a
//! signature that can be verified (§12.8.1). Parents are followed at most 16 levels up: a loop of
//! /Parent references ends there instead of hanging the verifier.

use lopdf::{Dictionary, Document, Object, ObjectId};

fn deref<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    match obj {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(obj),
        other => other,
    }
}

/// The field type (/FT) of a field or of a widget's field: its own, else inherited from /Parent
/// (ISO 32000-1 §12.7.3.1, Table 220: FT is inheritable), at most 16 levels up.
pub(crate) fn field_type<'a>(d: &'a Dictionary, doc: &'a Document) -> Option<&'a [u8]> {
    let mut at = Some(d);
    for _ in 0..16 {
        let node = at?;
        if let Ok(t) = node.get(b"FT").and_then(Object::as_name) {
            return Some(t);
        }
        at = node
            .get(b"Parent")
            .ok()
            .and_then(|p| deref(doc, p).as_dict().ok());
    }
    None
}

/// Whether `d` is a signature field (or a field merged with its widget): /FT /Sig, its own or
/// inherited from a parent field — a signature under a parent that carries the type is a
/// signature all the same, and one no validator may pass over.
pub fn is_signature_field(d: &Dictionary, doc: &Document) -> bool {
    field_type(d, doc) == Some(b"Sig")
}

/// A signature field's value read as a signature that can be verified: an indirect reference
/// (ISO 32000-1 §12.7.4.5, Table 232) to a dictionary with a /ByteRange array of integers and a
/// /Contents string (§12.8.1, Table 252). Gives the dictionary's object number and its
/// /ByteRange, or why the value is no signature (for a report a person reads).
pub fn signature_value(value: &Object, doc: &Document) -> Result<(ObjectId, Vec<i64>), String> {
    let Object::Reference(v) = value else {
        return Err(
            "its value is written into the field itself, not as a signature dictionary \
             of its own (ISO 32000-1 Table 232 requires an indirect reference): it cannot be \
             verified"
                .into(),
        );
    };
    let Ok(sig) = doc.get_dictionary(*v) else {
        let (n, g) = v;
        return Err(format!(
            "its value names object {n} {g}, which is missing or no dictionary"
        ));
    };
    let Ok(range) = sig.get(b"ByteRange").and_then(Object::as_array) else {
        return Err(
            "its signature dictionary has no /ByteRange array (ISO 32000-1 Table 252): \
             what it signs is unknown"
                .into(),
        );
    };
    let numbers: Option<Vec<i64>> = range.iter().map(|n| n.as_i64().ok()).collect();
    let Some(numbers) = numbers else {
        return Err(
            "its /ByteRange holds something other than whole numbers (ISO 32000-1 \
             Table 252)"
                .into(),
        );
    };
    if sig.get(b"Contents").and_then(Object::as_str).is_err() {
        return Err(
            "its signature dictionary has no /Contents string (ISO 32000-1 Table 252): \
             there is no signature to verify"
                .into(),
        );
    }
    Ok((*v, numbers))
}

/// The fully qualified name of a field or of a widget's field (ISO 32000-1 §12.7.3.2): the partial
/// names /T from the root of the field tree, joined by periods.
pub fn field_name(d: &Dictionary, doc: &Document) -> String {
    let mut names = Vec::new();
    let mut at = Some(d);
    for _ in 0..16 {
        let Some(node) = at else { break };
        if let Ok(t) = node.get(b"T").and_then(Object::as_str) {
            names.push(String::from_utf8_lossy(t).into_owned());
        }
        at = node
            .get(b"Parent")
            .ok()
            .and_then(|p| deref(doc, p).as_dict().ok());
    }
    names.reverse();
    names.join(".")
}
