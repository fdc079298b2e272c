//! PAdES long-term archival (ETSI EN 319 142-1 §5.5, B-LTA): an incremental update that adds
//! the validation data every signature and timestamp of the document needs (the document security
//! store, ISO 32000-2 §12.8.4.3) and then a document timestamp (SubFilter ETSI.RFC3161) over the
//! whole file. Repeated before the newest timestamp's TSA certificate expires, it keeps the
//! document verifiable for as long as it is kept: each timestamp proves the earlier ones existed
//! while their certificates were valid.

use crate::{PdfSealError, ValidationData, pdf_error, resolve};
use ecenter_seal::tsa::TimestampAuthority;
use lopdf::{Dictionary, IncrementalDocument, Object};
use std::time::SystemTime;

/// Room for the timestamp token (the TSA's certificate included) in /Contents.
const TOKEN_SPACE: usize = 8 * 1024;

/// `pdf` with the validation data `validation` merged into its DSS and a document timestamp by
/// `tsa` at `now` over all of it. The original bytes are the prefix of the result.
pub fn archive_timestamp(
    pdf: &[u8],
    tsa: &TimestampAuthority,
    now: SystemTime,
    validation: &ValidationData,
) -> Result<Vec<u8>, PdfSealError> {
    let prev = crate::load(pdf)?;
    crate::xref::check(pdf, &prev)?;
    let catalog_id = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(pdf_error)?;
    let pages = prev.get_pages();
    let page_id = *pages
        .get(&1)
        .ok_or_else(|| PdfSealError::BadRequest("the PDF has no pages".into()))?;
    let catalog = prev.get_dictionary(catalog_id).map_err(pdf_error)?;
    let form = dict_at(&prev, catalog.get(b"AcroForm").ok())?;
    let annots = array_at(
        &prev,
        prev.get_dictionary(page_id)
            .map_err(pdf_error)?
            .get(b"Annots")
            .ok(),
    )?;
    let mut fields = array_at(&prev, form.as_ref().and_then(|f| f.get(b"Fields").ok()))?;
    // `ecenterArchive<n>`, a name no field of the document has.
    let name = crate::incremental::unused_field_name(&prev, "ecenterArchive", 1);

    let mut doc = IncrementalDocument::create_from(pdf.to_vec(), prev);
    let new = &mut doc.new_document;
    let sig = crate::signature_dictionary(b"DocTimeStamp", b"ETSI.RFC3161", TOKEN_SPACE);
    let sig_id = new.add_object(Object::Dictionary(sig));
    // An invisible widget (ISO 32000-1 §12.7.4.5): no rectangle, printed and locked flags.
    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set("T", Object::string_literal(name));
    widget.set("V", Object::Reference(sig_id));
    widget.set("F", Object::Integer(132));
    widget.set(
        "Rect",
        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
    );
    widget.set("P", Object::Reference(page_id));
    let widget_id = new.add_object(Object::Dictionary(widget));

    doc.opt_clone_object_to_new_document(page_id)
        .map_err(pdf_error)?;
    let mut annots = annots;
    annots.push(Object::Reference(widget_id));
    doc.new_document
        .get_dictionary_mut(page_id)
        .map_err(pdf_error)?
        .set("Annots", Object::Array(annots));
    doc.opt_clone_object_to_new_document(catalog_id)
        .map_err(pdf_error)?;
    let mut form = form.unwrap_or_default();
    fields.push(Object::Reference(widget_id));
    form.set("Fields", Object::Array(fields));
    form.set("SigFlags", Object::Integer(3));
    doc.new_document
        .get_dictionary_mut(catalog_id)
        .map_err(pdf_error)?
        .set("AcroForm", Object::Dictionary(form));
    crate::dss::merge(&mut doc, catalog_id, validation)?;

    let mut out = Vec::with_capacity(pdf.len() + 4 * TOKEN_SPACE);
    doc.save_to(&mut out).map_err(pdf_error)?;
    let from = pdf.len();
    crate::fill_with(&mut out, from, TOKEN_SPACE, |digest| {
        Ok(tsa.timestamp_digest(digest, now)?)
    })?;
    Ok(out)
}

/// The newest timestamp a PDF carries — a document timestamp or a signature's timestamp — read,
/// not verified: archival renewal is due before its TSA certificate or its algorithm ages out.
pub fn newest_timestamp(pdf: &[u8]) -> Option<ecenter_seal::tsa::TokenFacts> {
    let doc = crate::load(pdf).ok()?;
    doc.objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| crate::fields::is_signature_field(d, &doc))
        .filter_map(|field| field.get(b"V").ok().and_then(|v| resolve(&doc, v).ok()))
        .filter_map(|v| v.as_dict().ok())
        .filter_map(|sig| {
            let contents = sig.get(b"Contents").ok()?.as_str().ok()?;
            let token = if crate::revisions::is_doc_timestamp(sig) {
                contents.to_vec()
            } else {
                ecenter_seal::cades::signature_timestamp(contents)?
            };
            ecenter_seal::tsa::token_facts(&token).ok()
        })
        .max_by_key(|facts| facts.gen_time)
}

fn dict_at(doc: &lopdf::Document, o: Option<&Object>) -> Result<Option<Dictionary>, PdfSealError> {
    o.map(|o| {
        resolve(doc, o)
            .and_then(|o| o.as_dict().map_err(pdf_error))
            .cloned()
    })
    .transpose()
}

fn array_at(doc: &lopdf::Document, o: Option<&Object>) -> Result<Vec<Object>, PdfSealError> {
    Ok(o.map(|o| {
        resolve(doc, o)
            .and_then(|o| o.as_array().map_err(pdf_error))
            .cloned()
    })
    .transpose()?
    .unwrap_or_default())
}
