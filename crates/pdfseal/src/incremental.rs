//! The steps of [`crate::seal_pdf`]: reading what the original PDF already has (pages, AcroForm,
//! earlier signatures) and building the objects its incremental update appends — the signature
//! dictionary, the seal's appearance stream, the widget, and the page and form entries naming it.

use crate::{
    PageView, PdfSealError, Picture, SEAL_SIDE, SignatureInfo, image_stream, load, pdf_date,
    pdf_error, refuse_if_certified_without_changes, resolve, seal_appearance, signature_dictionary,
    text_string, xref,
};
use lopdf::{Dictionary, IncrementalDocument, Object, ObjectId, Stream, StringFormat};
use std::time::SystemTime;

/// Loads the PDF to be sealed and refuses what cannot take an incremental update: an encrypted
/// file, a damaged cross-reference table, or a DocMDP P=1 certification.
pub(crate) fn open_for_sealing(pdf: &[u8]) -> Result<lopdf::Document, PdfSealError> {
    let prev = load(pdf)?;
    if prev.is_encrypted() {
        return Err(PdfSealError::BadRequest(
            "the PDF is encrypted: send it without a password".into(),
        ));
    }
    xref::check(pdf, &prev)?;
    refuse_if_certified_without_changes(pdf, &prev)?;
    Ok(prev)
}

/// The page that carries the seal's widget: the 1-based `page` asked for, or the last page.
pub(crate) fn target_page(
    prev: &lopdf::Document,
    page: Option<u32>,
) -> Result<ObjectId, PdfSealError> {
    let pages = prev.get_pages();
    let page_number = match page {
        Some(n) => n,
        None => pages.keys().copied().max().unwrap_or(0),
    };
    let Some(&page_id) = pages.get(&page_number) else {
        return Err(PdfSealError::BadRequest(format!(
            "page {page_number} does not exist: the PDF has {} pages",
            pages.len()
        )));
    };
    Ok(page_id)
}

/// The interactive form the signature field joins: the catalog, its AcroForm (if any), the
/// form's /Fields (resolved) and whether an earlier signature already froze the form.
pub(crate) struct ExistingForm {
    /// The document catalog, cloned into the update to point at the AcroForm.
    pub(crate) catalog_id: ObjectId,
    /// The catalog's /AcroForm dictionary, resolved.
    acro_form: Option<Dictionary>,
    /// The form's /Fields array, resolved (it may be indirect).
    fields: Vec<Object>,
    /// Whether a signature field with a value (an earlier signature) exists.
    signed_before: SignedBefore,
}

/// Whether the document already holds a signed signature field (its form is frozen by it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum SignedBefore {
    Yes,
    No,
}

/// What the original PDF already has that the seal's update extends.
pub(crate) struct Existing {
    /// The catalog and its interactive form.
    pub(crate) form: ExistingForm,
    /// The sealed page's /Annots array, resolved.
    pub(crate) annots: Option<Vec<Object>>,
    /// A signature field name not yet used in the document (ecenterSeal1, ecenterSeal2, …).
    pub(crate) field_name: String,
}

/// Reads the catalog, the AcroForm and its /Fields, the page's /Annots and earlier signatures
/// from the original revision, before the incremental update is built.
pub(crate) fn read_existing(
    prev: &lopdf::Document,
    page_id: ObjectId,
) -> Result<Existing, PdfSealError> {
    let catalog_id = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(pdf_error)?;
    let existing_fields = prev
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .map(|a| {
            resolve(prev, a)
                .and_then(|a| a.as_dict().map_err(pdf_error))
                .cloned()
        })
        .transpose()?;
    let existing_annots = prev
        .get_dictionary(page_id)
        .map_err(pdf_error)?
        .get(b"Annots")
        .ok()
        .map(|a| {
            resolve(prev, a)
                .and_then(|a| a.as_array().map_err(pdf_error))
                .cloned()
        })
        .transpose()?;
    let field_count = existing_fields
        .as_ref()
        .and_then(|f| f.get(b"Fields").ok())
        .and_then(|f| f.as_array().ok())
        .map_or(0, Vec::len);

    // The form's /Fields may be an indirect array: resolved here, before the update is built.
    let existing_field_list = existing_fields
        .as_ref()
        .and_then(|f| f.get(b"Fields").ok())
        .map(|f| {
            resolve(prev, f)
                .and_then(|a| a.as_array().map_err(pdf_error))
                .cloned()
        })
        .transpose()?
        .unwrap_or_default();
    let signed_before = prev
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .any(|d| crate::fields::is_signature_field(d, prev) && d.has(b"V"));
    // A form may already hold an ecenterSeal2 of its own, so every /T in the document is avoided.
    let field_name = unused_field_name(prev, "ecenterSeal", field_count + 1);
    Ok(Existing {
        form: ExistingForm {
            catalog_id,
            acro_form: existing_fields,
            fields: existing_field_list,
            signed_before: if signed_before {
                SignedBefore::Yes
            } else {
                SignedBefore::No
            },
        },
        annots: existing_annots,
        field_name,
    })
}

/// `<stem><n>` for the first `n` from `first` that no field of `doc` is named: every /T in the
/// document is avoided.
pub(crate) fn unused_field_name(doc: &lopdf::Document, stem: &str, first: usize) -> String {
    let taken: std::collections::HashSet<Vec<u8>> = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter_map(|d| d.get(b"T").and_then(Object::as_str).ok())
        .map(<[u8]>::to_vec)
        .collect();
    (first..)
        .map(|n| format!("{stem}{n}"))
        .find(|name| !taken.contains(name.as_bytes()))
        .expect("an unused name")
}

/// The PAdES signature dictionary (/SubFilter ETSI.CAdES.detached) with its signing time (/M)
/// and the /Name, /Reason and /Location readers show, reserving `space` bytes for the CMS.
pub(crate) fn signature_object(info: &SignatureInfo, now: SystemTime, space: usize) -> Dictionary {
    let mut sig = signature_dictionary(b"Sig", b"ETSI.CAdES.detached", space);
    sig.set(
        "M",
        Object::String(pdf_date(now).into_bytes(), StringFormat::Literal),
    );
    for (key, value) in [
        ("Name", &info.name),
        ("Reason", &info.reason),
        ("Location", &info.location),
    ] {
        if !value.is_empty() {
            sig.set(key, text_string(value));
        }
    }
    sig
}

/// Adds the seal's appearance (a form XObject showing the registry's picture, or the drawn red
/// ring and star), turned upright against the page's rotation; returns its object id.
pub(crate) fn add_appearance(
    new: &mut lopdf::Document,
    picture: Option<&Picture>,
    view: &PageView,
) -> Result<ObjectId, PdfSealError> {
    let mut form = Dictionary::new();
    form.set("Type", Object::Name(b"XObject".to_vec()));
    form.set("Subtype", Object::Name(b"Form".to_vec()));
    form.set(
        "BBox",
        Object::Array(vec![0.into(), 0.into(), SEAL_SIDE.into(), SEAL_SIDE.into()]),
    );
    // The registry's picture, drawn into the seal's square keeping its proportions.
    let (resources, content) = match picture {
        Some(p) => picture_resources(new, p)?,
        None => (Dictionary::new(), seal_appearance()),
    };
    form.set("Resources", Object::Dictionary(resources));
    if let Some(m) = view.upright_matrix() {
        form.set(
            "Matrix",
            Object::Array(m.iter().map(|v| (*v).into()).collect()),
        );
    }
    Ok(new.add_object(Stream::new(form, content)))
}

/// Adds the seal picture as an image XObject (its alpha as a soft mask) and returns the
/// appearance's resources and the content stream drawing it centred in the seal's square.
fn picture_resources(
    new: &mut lopdf::Document,
    p: &Picture,
) -> Result<(Dictionary, Vec<u8>), PdfSealError> {
    let mut image = image_stream(p.width, p.height, 3, p.rgb.clone())?;
    if let Some(alpha) = &p.alpha {
        let mask = image_stream(p.width, p.height, 1, alpha.clone())?;
        let mask_id = new.add_object(mask);
        image.dict.set("SMask", Object::Reference(mask_id));
    }
    let image_id = new.add_object(image);
    let mut xobjects = Dictionary::new();
    xobjects.set("Seal", Object::Reference(image_id));
    let mut resources = Dictionary::new();
    resources.set("XObject", Object::Dictionary(xobjects));
    let scale = SEAL_SIDE / p.width.max(p.height) as f32;
    let (w, h) = (p.width as f32 * scale, p.height as f32 * scale);
    let content = format!(
        "q {w:.2} 0 0 {h:.2} {:.2} {:.2} cm /Seal Do Q\n",
        (SEAL_SIDE - w) / 2.0,
        (SEAL_SIDE - h) / 2.0
    );
    Ok((resources, content.into_bytes()))
}

/// What the signature field's widget annotation refers to: the signature value, the page and
/// the appearance stream.
pub(crate) struct WidgetParts {
    /// The field's /T.
    pub(crate) field_name: String,
    /// The signature dictionary (the field's /V).
    pub(crate) sig_id: ObjectId,
    /// The page the widget sits on (/P).
    pub(crate) page_id: ObjectId,
    /// Lower-left corner of the seal's square in user space.
    pub(crate) origin: (f32, f32),
    /// The normal appearance (/AP /N).
    pub(crate) appearance_id: ObjectId,
}

/// The merged signature field and widget annotation (ISO 32000-1 §12.7.4.5), printed and
/// locked, showing the seal's appearance in its square on the page.
pub(crate) fn widget_dictionary(parts: WidgetParts) -> Dictionary {
    let WidgetParts {
        field_name,
        sig_id,
        page_id,
        origin: (sx, sy),
        appearance_id,
    } = parts;
    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set(
        "T",
        Object::String(field_name.into_bytes(), StringFormat::Literal),
    );
    widget.set("V", Object::Reference(sig_id));
    widget.set("F", Object::Integer(132)); // Print + Locked
    widget.set(
        "Rect",
        Object::Array(vec![
            sx.into(),
            sy.into(),
            (sx + SEAL_SIDE).into(),
            (sy + SEAL_SIDE).into(),
        ]),
    );
    widget.set("P", Object::Reference(page_id));
    let mut ap = Dictionary::new();
    ap.set("N", Object::Reference(appearance_id));
    widget.set("AP", Object::Dictionary(ap));
    widget
}

/// Clones the page into the update and appends the widget to its /Annots.
pub(crate) fn attach_widget(
    doc: &mut IncrementalDocument,
    page_id: ObjectId,
    existing_annots: Option<Vec<Object>>,
    widget_id: ObjectId,
) -> Result<(), PdfSealError> {
    doc.opt_clone_object_to_new_document(page_id)
        .map_err(pdf_error)?;
    let mut annots = existing_annots.unwrap_or_default();
    annots.push(Object::Reference(widget_id));
    doc.new_document
        .get_dictionary_mut(page_id)
        .map_err(pdf_error)?
        .set("Annots", Object::Array(annots));
    Ok(())
}

/// Clones the catalog into the update and adds the field to its AcroForm, setting /SigFlags
/// (SignaturesExist + AppendOnly) and, for a first signature, clearing /NeedAppearances.
pub(crate) fn register_field(
    doc: &mut IncrementalDocument,
    existing: ExistingForm,
    widget_id: ObjectId,
) -> Result<(), PdfSealError> {
    let catalog_id = existing.catalog_id;
    doc.opt_clone_object_to_new_document(catalog_id)
        .map_err(pdf_error)?;
    let mut acro = existing.acro_form.unwrap_or_default();
    let mut fields = existing.fields;
    fields.push(Object::Reference(widget_id));
    acro.set("Fields", Object::Array(fields));
    // ISO 32000-1 §12.7.2: /NeedAppearances true asks readers to rebuild every widget's
    // appearance, which replaces the seal's picture (poppler draws an empty box). A first signature
    // fixes what is shown, so the flag goes; fields without an appearance are still drawn from
    // their values. After an earlier signature the form is left as that signer froze it.
    if existing.signed_before == SignedBefore::No
        && matches!(
            acro.get(b"NeedAppearances").and_then(Object::as_bool),
            Ok(true)
        )
    {
        acro.set("NeedAppearances", Object::Boolean(false));
    }
    acro.set("SigFlags", Object::Integer(3)); // SignaturesExist + AppendOnly
    doc.new_document
        .get_dictionary_mut(catalog_id)
        .map_err(pdf_error)?
        .set("AcroForm", Object::Dictionary(acro));
    Ok(())
}
