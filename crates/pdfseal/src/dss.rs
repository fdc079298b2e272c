//! The document security store (ISO 32000-2 §12.8.4.3, PAdES B-LT): one dictionary holding the
//! certificates and CRLs of every signature and timestamp. Each update merges into it — the same
//! object, so no earlier store is left orphaned (which revision analysis would count as an
//! unexplained addition) and no earlier signature loses its validation data — and never stores a
//! certificate or CRL twice.

use crate::{PdfSealError, ValidationData, pdf_error, resolve};
use lopdf::{Dictionary, IncrementalDocument, Object, ObjectId, Stream};

/// Merges `validation` into the DSS of `doc` (whose catalog is `catalog_id`).
pub(crate) fn merge(
    doc: &mut IncrementalDocument,
    catalog_id: ObjectId,
    validation: &ValidationData,
) -> Result<(), PdfSealError> {
    if validation.certificates.is_empty() && validation.crls.is_empty() {
        return Ok(());
    }
    let prev = doc.get_prev_documents();
    let current = prev
        .get_dictionary(catalog_id)
        .map_err(pdf_error)?
        .get(b"DSS")
        .ok()
        .cloned();
    let (dss_id, old) = match &current {
        Some(Object::Reference(id)) => (
            Some(*id),
            prev.get_dictionary(*id).map_err(pdf_error)?.clone(),
        ),
        Some(o) => (
            None,
            resolve(prev, o)?.as_dict().map_err(pdf_error)?.clone(),
        ),
        None => (None, Dictionary::new()),
    };
    let (certs, crls) = (
        existing_entries(prev, &old, b"Certs")?,
        existing_entries(prev, &old, b"CRLs")?,
    );
    let (certs, crls) = (
        merged(&mut doc.new_document, certs, &validation.certificates),
        merged(&mut doc.new_document, crls, &validation.crls),
    );
    let mut dss = old;
    dss.set("Certs", Object::Array(certs));
    dss.set("CRLs", Object::Array(crls));
    match dss_id {
        Some(id) => {
            doc.new_document.set_object(id, Object::Dictionary(dss));
        }
        None => {
            let id = doc.new_document.add_object(Object::Dictionary(dss));
            doc.opt_clone_object_to_new_document(catalog_id)
                .map_err(pdf_error)?;
            doc.new_document
                .get_dictionary_mut(catalog_id)
                .map_err(pdf_error)?
                .set("DSS", Object::Reference(id));
        }
    }
    Ok(())
}

/// The references in the store's `key` array (/Certs or /CRLs) of the earlier DSS `old`, each
/// with the DER its stream holds (empty when it cannot be read), so nothing is stored twice.
fn existing_entries(
    prev: &lopdf::Document,
    old: &Dictionary,
    key: &[u8],
) -> Result<Vec<(Object, Vec<u8>)>, PdfSealError> {
    let Ok(list) = old.get(key) else {
        return Ok(Vec::new());
    };
    Ok(resolve(prev, list)?
        .as_array()
        .map_err(pdf_error)?
        .iter()
        .map(|r| {
            let content = resolve(prev, r)
                .ok()
                .and_then(|o| o.as_stream().ok())
                .map(|s| s.content.clone())
                .unwrap_or_default();
            (r.clone(), content)
        })
        .collect())
}

/// The earlier entries `old` followed by a new stream object, added to the update `new`, for
/// each certificate or CRL of `items` (DER) the store does not hold yet.
fn merged(
    new: &mut lopdf::Document,
    old: Vec<(Object, Vec<u8>)>,
    items: &[Vec<u8>],
) -> Vec<Object> {
    let mut all: Vec<Object> = old.iter().map(|(r, _)| r.clone()).collect();
    let mut seen: Vec<Vec<u8>> = old.into_iter().map(|(_, c)| c).collect();
    for der in items {
        if !seen.contains(der) {
            let id = new.add_object(Stream::new(Dictionary::new(), der.clone()));
            all.push(Object::Reference(id));
            seen.push(der.clone());
        }
    }
    all
}
