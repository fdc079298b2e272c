//! What an outside tester found (an attacker's-eye session against the verifier, 2026-11-30), each
//! kind now a test judged by ecenter and by pyHanko: signed attributes without or with a wrong
//! content-type, or not in DER order; the form's /SigFlags cleared after a seal; an unsigned
//! signature field that draws over the page after a seal.

mod common;

use common::pdf::{path, pyhanko_tools as tools, signed_by_pyhanko};

use common::pdf::{pyhanko, seal_with, trust};
use ecenter_pdfseal::{Placement, verify_pdf};
use ecenter_seal::{CheckStatus, Indication};
use lopdf::{Dictionary, Object, Stream};
use std::time::SystemTime;

fn failed(report: &ecenter_pdfseal::PdfReport, name: &str) -> String {
    let c = report.signatures[0]
        .report
        .check(name)
        .unwrap_or_else(|| panic!("no {name}: {report:#?}"));
    assert!(matches!(c.status, CheckStatus::Failed(_)), "{c:?}");
    c.detail.clone()
}

#[test]
fn signed_attributes_must_carry_the_content_type_and_be_signed_in_der_order() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    let signed = signed_by_pyhanko(p, dir.path(), "signed.pdf", 1, &[]);
    for (mode, check, says, pyhanko_agrees) in [
        ("no-content-type", "content_type", "RFC 5652 §5.3", true),
        (
            "content-type-signed-data",
            "content_type",
            "RFC 5652 §11.1",
            true,
        ),
        // pyHanko verifies over the bytes as sent; RFC 5652 §5.4 makes them DER (docs/VALIDATION.md).
        ("unsorted", "signed_attributes", "DER order", false),
    ] {
        let changed = dir.path().join(format!("{mode}.pdf"));
        tools(&[
            "cms-attrs",
            path(&signed),
            path(&changed),
            path(&p.join("seal.key")),
            mode,
        ]);
        let report = verify_pdf(
            &std::fs::read(&changed).unwrap(),
            &trust(p),
            SystemTime::now(),
        )
        .unwrap();
        assert_eq!(report.indication, Indication::Failed, "{mode}: {report:#?}");
        let detail = failed(&report, check);
        assert!(detail.contains(says), "{mode}: {detail}");
        let (valid, said) = pyhanko(p, &changed);
        assert_eq!(!valid, pyhanko_agrees, "{mode}: pyHanko: {said}");
    }
}

/// `sealed` with an incremental update that replaces the AcroForm by `form`.
fn with_form(
    sealed: &[u8],
    form: impl FnOnce(&mut lopdf::IncrementalDocument, lopdf::ObjectId, Dictionary) -> Dictionary,
) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(sealed).unwrap();
    let catalog = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let acro = doc
        .get_dictionary(catalog)
        .unwrap()
        .get(b"AcroForm")
        .unwrap()
        .as_dict()
        .unwrap()
        .clone();
    let page = *doc.get_pages().get(&1).unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(sealed.to_vec(), doc);
    let acro = form(&mut update, page, acro);
    update.opt_clone_object_to_new_document(catalog).unwrap();
    update
        .new_document
        .get_dictionary_mut(catalog)
        .unwrap()
        .set("AcroForm", Object::Dictionary(acro));
    let mut out = Vec::new();
    update.save_to(&mut out).unwrap();
    out
}

#[test]
fn clearing_the_forms_append_only_flag_after_a_seal_fails_it_as_pyhanko_says() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let sealed = seal_with(p, &ecenter_pdfseal::sample_pdf(1, 0), &Placement::default());
    let cleared = with_form(&sealed, |_, _, mut acro| {
        acro.set("SigFlags", Object::Integer(1));
        acro
    });
    let report = verify_pdf(&cleared, &trust(p), SystemTime::now()).unwrap();
    let detail = failed(&report, "modifications");
    assert!(detail.contains("/SigFlags"), "{detail}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cleared.pdf");
    std::fs::write(&file, &cleared).unwrap();
    assert!(!pyhanko(p, &file).0);
}

#[test]
fn an_unsigned_signature_field_that_draws_over_the_page_is_no_later_signature() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let sealed = seal_with(p, &ecenter_pdfseal::sample_pdf(1, 0), &Placement::default());
    let overlay = with_form(&sealed, |update, page, mut acro| {
        // A white box with other words, over the judgment's first line.
        let mut bbox = Dictionary::new();
        bbox.set("Type", Object::Name(b"XObject".to_vec()));
        bbox.set("Subtype", Object::Name(b"Form".to_vec()));
        bbox.set(
            "BBox",
            Object::Array(vec![0.into(), 0.into(), 400.into(), 30.into()]),
        );
        let ap = update.new_document.add_object(Stream::new(
            bbox,
            b"1 g 0 0 400 30 re f 0 g BT /Helv 12 Tf 2 10 Td (PAY 9 YUAN) Tj ET".to_vec(),
        ));
        let mut n = Dictionary::new();
        n.set("N", Object::Reference(ap));
        let mut field = Dictionary::new();
        for (k, v) in [("Type", "Annot"), ("Subtype", "Widget"), ("FT", "Sig")] {
            field.set(k, Object::Name(v.as_bytes().to_vec()));
        }
        field.set("T", Object::string_literal("later"));
        field.set(
            "Rect",
            Object::Array(vec![70.into(), 712.into(), 470.into(), 742.into()]),
        );
        field.set("P", Object::Reference(page));
        field.set("AP", Object::Dictionary(n));
        let field = update.new_document.add_object(field);
        update.opt_clone_object_to_new_document(page).unwrap();
        let page_dict = update.new_document.get_dictionary_mut(page).unwrap();
        let mut annots = page_dict
            .get(b"Annots")
            .and_then(Object::as_array)
            .cloned()
            .unwrap_or_default();
        annots.push(Object::Reference(field));
        page_dict.set("Annots", Object::Array(annots));
        let mut fields = acro
            .get(b"Fields")
            .and_then(Object::as_array)
            .cloned()
            .unwrap();
        fields.push(Object::Reference(field));
        acro.set("Fields", Object::Array(fields));
        acro
    });
    let report = verify_pdf(&overlay, &trust(p), SystemTime::now()).unwrap();
    assert_ne!(report.indication, Indication::Passed, "{report:#?}");
    failed(&report, "modifications");
    // pyHanko counts an empty signature field as room for a later signature, whatever it shows
    // (docs/VALIDATION.md lists this disagreement).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("overlay.pdf");
    std::fs::write(&file, &overlay).unwrap();
    assert!(pyhanko(p, &file).0);
}
