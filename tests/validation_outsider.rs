//! What an outside tester found (an attacker's-eye session against the verifier, 2026-11-30), each
//! kind now a test judged by ecenter and by pyHanko: signed attributes without or with a wrong
//! content-type, or not in DER order; the form's /SigFlags cleared after a seal; an unsigned
//! signature field that draws over the page after a seal. A second session (2026-12-05): a
//! signature field whose value is no verifiable signature (written into the field, without
//! /ByteRange or /Contents, or with a range of non-integers) drawing over a sealed page; a signature whose
//! field inherits /FT /Sig from its parent.

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
    let overlay = with_new_signature_field(&sealed, |_| None);
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

/// An overlay appearance: a white box with other words over the judgment's first line.
fn overlay_appearance(update: &mut lopdf::IncrementalDocument) -> Object {
    let mut bbox = Dictionary::new();
    bbox.set("Type", Object::Name(b"XObject".to_vec()));
    bbox.set("Subtype", Object::Name(b"Form".to_vec()));
    bbox.set(
        "BBox",
        Object::Array(vec![0.into(), 0.into(), 400.into(), 30.into()]),
    );
    let ap = update.new_document.add_object(Stream::new(
        bbox,
        b"1 g 0 0 400 30 re f 0 g BT /Helv 12 Tf 2 10 Td (PAY 1 YUAN) Tj ET".to_vec(),
    ));
    let mut n = Dictionary::new();
    n.set("N", Object::Reference(ap));
    Object::Dictionary(n)
}

/// `sealed` with a new signature field `Seal2` whose widget draws over the page and whose value,
/// if any, `value` makes in the update.
fn with_new_signature_field(
    sealed: &[u8],
    value: impl FnOnce(&mut lopdf::IncrementalDocument) -> Option<Object>,
) -> Vec<u8> {
    with_form(sealed, |update, page, acro| {
        let mut field = Dictionary::new();
        for (k, v) in [("Type", "Annot"), ("Subtype", "Widget"), ("FT", "Sig")] {
            field.set(k, Object::Name(v.as_bytes().to_vec()));
        }
        field.set("T", Object::string_literal("Seal2"));
        field.set(
            "Rect",
            Object::Array(vec![70.into(), 712.into(), 470.into(), 742.into()]),
        );
        field.set("P", Object::Reference(page));
        field.set("AP", overlay_appearance(update));
        if let Some(value) = value(update) {
            field.set("V", value);
        }
        let field = update.new_document.add_object(field);
        on_page_and_form(update, page, acro, field, field)
    })
}

/// `sealed` with a later signature field whose value is `value` (made in the update) and whose
/// widget draws over the page.
fn with_fake_signature(
    sealed: &[u8],
    value: impl FnOnce(&mut lopdf::IncrementalDocument) -> Object,
) -> Vec<u8> {
    with_new_signature_field(sealed, |update| Some(value(update)))
}

/// `acro` with `field` added to its /Fields, after `widget` is added to `page`'s /Annots.
fn on_page_and_form(
    update: &mut lopdf::IncrementalDocument,
    page: lopdf::ObjectId,
    mut acro: Dictionary,
    field: lopdf::ObjectId,
    widget: lopdf::ObjectId,
) -> Dictionary {
    let grown = |d: &Dictionary, key: &[u8], item: lopdf::ObjectId| {
        let mut items = (d.get(key).and_then(Object::as_array))
            .cloned()
            .unwrap_or_default();
        items.push(Object::Reference(item));
        Object::Array(items)
    };
    update.opt_clone_object_to_new_document(page).unwrap();
    let page_dict = update.new_document.get_dictionary_mut(page).unwrap();
    page_dict.set("Annots", grown(page_dict, b"Annots", widget));
    acro.set("Fields", grown(&acro, b"Fields", field));
    acro
}

/// A signature dictionary with `range` as its /ByteRange (or none) and some /Contents.
fn signature_dictionary(range: Option<Vec<Object>>) -> Dictionary {
    let mut sig = Dictionary::new();
    sig.set("Type", Object::Name(b"Sig".to_vec()));
    sig.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    sig.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    if let Some(range) = range {
        sig.set("ByteRange", Object::Array(range));
    }
    sig.set(
        "Contents",
        Object::String(vec![0; 64], lopdf::StringFormat::Hexadecimal),
    );
    sig
}

#[test]
fn a_signature_field_whose_value_is_no_signature_fails_the_document_it_draws_over() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let sealed = seal_with(p, &ecenter_pdfseal::sample_pdf(1, 0), &Placement::default());
    let real_range = || vec![0.into(), 10.into(), 20.into(), 30.into()];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "written into the field",
            with_fake_signature(&sealed, |_| {
                Object::Dictionary(signature_dictionary(Some(real_range())))
            }),
            "Table 232",
        ),
        (
            "without a byte range",
            with_fake_signature(&sealed, |u| {
                Object::Reference(u.new_document.add_object(signature_dictionary(None)))
            }),
            "no /ByteRange",
        ),
        (
            "with a range of non-integers",
            with_fake_signature(&sealed, |u| {
                let range = vec![0.into(), Object::Real(543.0), 600.into(), 10.into()];
                Object::Reference(u.new_document.add_object(signature_dictionary(Some(range))))
            }),
            "whole numbers",
        ),
        (
            "without contents",
            with_fake_signature(&sealed, |u| {
                let mut sig = signature_dictionary(Some(real_range()));
                sig.remove(b"Contents");
                Object::Reference(u.new_document.add_object(sig))
            }),
            "no /Contents",
        ),
        (
            "naming an object that is not there",
            with_fake_signature(&sealed, |_| Object::Reference((9_999, 0))),
            "missing",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (case, pdf, says) in cases {
        let report = verify_pdf(&pdf, &trust(p), SystemTime::now()).unwrap();
        assert_eq!(report.indication, Indication::Failed, "{case}: {report:#?}");
        assert_eq!(report.signatures.len(), 2, "{case}: {report:#?}");
        let fake = &report.signatures[1];
        assert_eq!(fake.field, "Seal2", "{case}");
        let check = fake.report.check("signature_dictionary").unwrap();
        assert!(matches!(check.status, CheckStatus::Failed(_)), "{case}");
        assert!(check.detail.contains(says), "{case}: {}", check.detail);
        // The seal itself says its page was drawn over: the fake field is no later signature.
        failed(&report, "modifications");
        // pyHanko cannot validate such a file either.
        let file = dir.path().join(format!("{}.pdf", case.replace(' ', "-")));
        std::fs::write(&file, &pdf).unwrap();
        let (valid, said) = pyhanko(p, &file);
        assert!(!valid, "{case}: pyHanko: {said}");
    }
}

/// A one-page PDF whose signature field `Parent.Kid` has its type only on the parent.
fn with_nested_signature_field() -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(&ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let parent_id = doc.new_object_id();
    let mut kid = Dictionary::new();
    kid.set("Type", Object::Name(b"Annot".to_vec()));
    kid.set("Subtype", Object::Name(b"Widget".to_vec()));
    kid.set("T", Object::string_literal("Kid"));
    kid.set("Parent", Object::Reference(parent_id));
    kid.set("P", Object::Reference(page));
    kid.set("F", Object::Integer(4));
    kid.set(
        "Rect",
        Object::Array(vec![300.into(), 200.into(), 500.into(), 250.into()]),
    );
    let kid = doc.add_object(kid);
    let mut parent = Dictionary::new();
    parent.set("FT", Object::Name(b"Sig".to_vec()));
    parent.set("T", Object::string_literal("Parent"));
    parent.set("Kids", Object::Array(vec![Object::Reference(kid)]));
    doc.objects.insert(parent_id, Object::Dictionary(parent));
    let mut form = Dictionary::new();
    form.set("Fields", Object::Array(vec![Object::Reference(parent_id)]));
    let catalog = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let catalog = doc.get_dictionary_mut(catalog).unwrap();
    catalog.set("AcroForm", Object::Dictionary(form));
    let page = doc.get_dictionary_mut(page).unwrap();
    page.set("Annots", Object::Array(vec![Object::Reference(kid)]));
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn a_signature_whose_field_inherits_its_type_from_a_parent_is_verified_like_any() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plain = d.join("nested.pdf");
    std::fs::write(&plain, with_nested_signature_field()).unwrap();
    tools(&["foreign-pki", path(d)]);
    let sign = |src: &str, dst: &str, who: &str, ca: &str, field: &str| {
        let (key, cert, ca) = (
            d.join(format!("{who}.key")),
            d.join(format!("{who}.pem")),
            ca,
        );
        tools(&[
            "sign",
            src,
            path(&d.join(dst)),
            path(&key),
            path(&cert),
            ca,
            "--field",
            field,
        ]);
    };
    for file in ["seal.key", "seal.pem"] {
        std::fs::copy(p.join(file), d.join(file)).unwrap();
    }
    let seal_ca = path(&p.join("seal-ca.pem")).to_string();
    // Signed by the court's key: found and verified, under its qualified name.
    sign(path(&plain), "trusted.pdf", "seal", &seal_ca, "Parent.Kid");
    let trusted = std::fs::read(d.join("trusted.pdf")).unwrap();
    let report = verify_pdf(&trusted, &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert_eq!(report.signatures.len(), 1);
    assert_eq!(report.signatures[0].field, "Parent.Kid");
    assert!(pyhanko(p, &d.join("trusted.pdf")).0);
    // Signed by a key no anchor vouches for, then sealed over by the court's: not hidden.
    let rsa_root = path(&d.join("rsa-root.pem")).to_string();
    sign(
        path(&plain),
        "rogue.pdf",
        "rsa-signer",
        &rsa_root,
        "Parent.Kid",
    );
    sign(
        path(&d.join("rogue.pdf")),
        "rogue-sealed.pdf",
        "seal",
        &seal_ca,
        "Seal",
    );
    let sealed = std::fs::read(d.join("rogue-sealed.pdf")).unwrap();
    let report = verify_pdf(&sealed, &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.signatures.len(), 2, "{report:#?}");
    assert_eq!(report.signatures[0].field, "Parent.Kid");
    assert_ne!(report.signatures[0].report.indication, Indication::Passed);
    assert_eq!(report.signatures[1].report.indication, Indication::Passed);
    assert_ne!(report.indication, Indication::Passed, "{report:#?}");
    assert!(!pyhanko(p, &d.join("rogue-sealed.pdf")).0);
}

/// The signature dictionary of `pdf`'s first signature field, and the field's id.
fn first_signature(pdf: &[u8]) -> (lopdf::ObjectId, lopdf::ObjectId) {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    doc.objects
        .iter()
        .filter_map(|(id, o)| Some((*id, o.as_dict().ok()?)))
        .find(|(_, d)| {
            d.get(b"FT")
                .is_ok_and(|t| t.as_name().is_ok_and(|t| t == b"Sig"))
        })
        .map(|(id, d)| (id, d.get(b"V").unwrap().as_reference().unwrap()))
        .unwrap()
}

#[test]
fn a_second_field_showing_the_seals_own_signature_signs_nothing() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let sealed = seal_with(p, &ecenter_pdfseal::sample_pdf(1, 0), &Placement::default());
    let (_, seal_value) = first_signature(&sealed);
    let shared = with_fake_signature(&sealed, |_| Object::Reference(seal_value));
    let report = verify_pdf(&shared, &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Failed, "{report:#?}");
    let fake = report
        .signatures
        .iter()
        .find(|s| s.field == "Seal2")
        .unwrap();
    let check = fake.report.check("signature_dictionary").unwrap();
    assert!(
        check.detail.contains("already the value"),
        "{}",
        check.detail
    );
    // The seal says its page was drawn over: a signature it already had is no later one.
    failed(&report, "modifications");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shared.pdf");
    std::fs::write(&file, &shared).unwrap();
    assert!(!pyhanko(p, &file).0);
}

/// What the one kid widget of an unsigned field shows.
#[derive(Debug, Clone, Copy)]
enum Kid {
    /// Nothing: room for a later signature.
    Quiet,
    /// An appearance over the page.
    Overlay,
    /// No appearance, but a white background (/MK /BG) a viewer draws over the whole page.
    Background,
    /// No appearance, but a key of its own naming a new FreeText annotation over the page.
    PointsAtOverlay,
}

/// `sealed` with an unsigned signature field `Sig2` added whose one widget is a kid of its own
/// (ISO 32000-1 §12.7.3.1 lets a field keep its widgets apart), showing what `shows` says.
fn with_empty_field_and_kid_widget(sealed: &[u8], shows: Kid) -> Vec<u8> {
    with_form(sealed, |update, page, acro| {
        let draws = matches!(shows, Kid::Overlay | Kid::PointsAtOverlay);
        let appearance = draws.then(|| overlay_appearance(update));
        let doc = &mut update.new_document;
        let parent = doc.new_object_id();
        let mut kid = Dictionary::new();
        let mut other = None;
        match shows {
            Kid::Quiet => {}
            Kid::Overlay => kid.set("AP", appearance.unwrap()),
            Kid::Background => {
                let mut mk = Dictionary::new();
                mk.set("BG", Object::Array(vec![1.into()]));
                kid.set("MK", Object::Dictionary(mk));
            }
            Kid::PointsAtOverlay => {
                let mut note = Dictionary::new();
                note.set("Type", Object::Name(b"Annot".to_vec()));
                note.set("Subtype", Object::Name(b"FreeText".to_vec()));
                note.set(
                    "Rect",
                    Object::Array(vec![70.into(), 712.into(), 470.into(), 742.into()]),
                );
                note.set("AP", appearance.unwrap());
                let note = doc.add_object(note);
                kid.set("Junk", Object::Reference(note));
                other = Some(note);
            }
        }
        kid.set("Type", Object::Name(b"Annot".to_vec()));
        kid.set("Subtype", Object::Name(b"Widget".to_vec()));
        kid.set("F", Object::Integer(4));
        kid.set("P", Object::Reference(page));
        kid.set("Parent", Object::Reference(parent));
        kid.set(
            "Rect",
            Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()]),
        );
        let kid = doc.add_object(kid);
        let mut field = Dictionary::new();
        field.set("FT", Object::Name(b"Sig".to_vec()));
        field.set("T", Object::string_literal("Sig2"));
        field.set("Kids", Object::Array(vec![Object::Reference(kid)]));
        doc.objects.insert(parent, Object::Dictionary(field));
        let mut acro = on_page_and_form(update, page, acro, parent, kid);
        if let Some(note) = other {
            // Shown on the page too; listed nowhere in the form.
            let fields = acro.get(b"Fields").unwrap().clone();
            acro = on_page_and_form(update, page, acro, note, note);
            acro.set("Fields", fields);
        }
        acro
    })
}

#[test]
fn a_later_signature_whose_widget_is_a_kid_of_its_field_is_allowed_after_a_seal() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let sealed = seal_with(p, &ecenter_pdfseal::sample_pdf(1, 0), &Placement::default());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let room = d.join("room.pdf");
    std::fs::write(&room, with_empty_field_and_kid_widget(&sealed, Kid::Quiet)).unwrap();
    let signed = d.join("signed.pdf");
    let (key, cert, ca) = (
        p.join("seal.key"),
        p.join("seal.pem"),
        p.join("seal-ca.pem"),
    );
    let args = [
        path(&room),
        path(&signed),
        path(&key),
        path(&cert),
        path(&ca),
    ];
    tools(&[&["sign"], &args[..], &["--field", "Sig2"]].concat());
    let report = verify_pdf(
        &std::fs::read(&signed).unwrap(),
        &trust(p),
        SystemTime::now(),
    );
    let report = report.unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert_eq!(report.signatures.len(), 2);
    assert_eq!(report.signatures[1].field, "Sig2");
    let (valid, said) = pyhanko(p, &signed);
    assert!(valid, "pyHanko: {said}");
}

/// An unsigned field whose kid widget draws over the sealed page — its appearance, a background
/// colour a viewer paints without one, or another annotation it points at — is no room for a later
/// signature, whatever the field itself lacks (pyHanko lets the first pass; docs/VALIDATION.md).
#[test]
fn an_unsigned_field_whose_kid_draws_over_the_page_is_no_later_signature() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let sealed = seal_with(p, &ecenter_pdfseal::sample_pdf(1, 0), &Placement::default());
    for shows in [Kid::Overlay, Kid::Background, Kid::PointsAtOverlay] {
        let overlay = with_empty_field_and_kid_widget(&sealed, shows);
        let report = verify_pdf(&overlay, &trust(p), SystemTime::now()).unwrap();
        assert_ne!(
            report.indication,
            Indication::Passed,
            "{shows:?}: {report:#?}"
        );
        assert_eq!(report.signatures.len(), 1, "{shows:?}: {report:#?}");
        failed(&report, "modifications");
    }
    // The same field with a kid that shows nothing is room for a later signature.
    let room = with_empty_field_and_kid_widget(&sealed, Kid::Quiet);
    let report = verify_pdf(&room, &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
}
