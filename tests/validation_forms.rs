//! Form filling and annotations after a certification (ISO 32000-1 §12.8.2.2, Table 254): P=2
//! allows filling in fields, P=3 also annotations; a seal without certification allows neither
//! (the court's policy, docs/VALIDATION.md). Certified by pyHanko, changed the way form fillers
//! and comment tools do (an incremental update of /V and /AP, a new /Text annotation), and judged
//! by ecenter and by pyHanko.

mod common;

use common::Succeeds;
use common::pdf::{pyhanko, seal_with, trust};
use ecenter_pdfseal::{Placement, verify_pdf};
use ecenter_seal::{CheckStatus, Indication};
use lopdf::{Dictionary, Object, Stream};
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

/// The sample page with one text field "party" (and its appearance) in an AcroForm.
fn form_pdf() -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(&ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let ap = doc.add_object(appearance(b"(ZHANG San)"));
    let mut field = Dictionary::new();
    for (k, v) in [("FT", "Tx"), ("Type", "Annot"), ("Subtype", "Widget")] {
        field.set(k, Object::Name(v.as_bytes().to_vec()));
    }
    field.set("T", Object::string_literal("party"));
    field.set("V", Object::string_literal("ZHANG San"));
    field.set("DA", Object::string_literal("/Helv 12 Tf 0 g"));
    field.set(
        "Rect",
        Object::Array(vec![72.into(), 600.into(), 300.into(), 630.into()]),
    );
    field.set("P", Object::Reference(page));
    let mut aps = Dictionary::new();
    aps.set("N", Object::Reference(ap));
    field.set("AP", Object::Dictionary(aps));
    let field_id = doc.add_object(field);
    doc.get_dictionary_mut(page)
        .unwrap()
        .set("Annots", Object::Array(vec![Object::Reference(field_id)]));
    let mut form = Dictionary::new();
    form.set("Fields", Object::Array(vec![Object::Reference(field_id)]));
    let catalog = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    doc.get_dictionary_mut(catalog)
        .unwrap()
        .set("AcroForm", Object::Dictionary(form));
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn appearance(text: &[u8]) -> Stream {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"XObject".to_vec()));
    d.set("Subtype", Object::Name(b"Form".to_vec()));
    d.set(
        "BBox",
        Object::Array(vec![0.into(), 0.into(), 228.into(), 30.into()]),
    );
    let mut content = b"BT /Helv 12 Tf 2 10 Td ".to_vec();
    content.extend_from_slice(text);
    content.extend_from_slice(b" Tj ET");
    Stream::new(d, content)
}

/// `pdf` with the field's value and appearance changed in an incremental update.
fn filled(pdf: &[u8]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let field = doc
        .objects
        .iter()
        .find(|(_, o)| {
            o.as_dict()
                .is_ok_and(|d| d.get(b"T").ok() == Some(&Object::string_literal("party")))
        })
        .map(|(id, _)| *id)
        .unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(pdf.to_vec(), doc);
    let ap = update.new_document.add_object(appearance(b"(LI Si)"));
    update.opt_clone_object_to_new_document(field).unwrap();
    let d = update.new_document.get_dictionary_mut(field).unwrap();
    d.set("V", Object::string_literal("LI Si"));
    let mut aps = Dictionary::new();
    aps.set("N", Object::Reference(ap));
    d.set("AP", Object::Dictionary(aps));
    let mut out = Vec::new();
    update.save_to(&mut out).unwrap();
    out
}

/// `pdf` with a sticky-note comment added to page 1 in an incremental update.
fn commented(pdf: &[u8]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let annots = doc
        .get_dictionary(page)
        .unwrap()
        .get(b"Annots")
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let mut update = lopdf::IncrementalDocument::create_from(pdf.to_vec(), doc);
    let mut note = Dictionary::new();
    note.set("Type", Object::Name(b"Annot".to_vec()));
    note.set("Subtype", Object::Name(b"Text".to_vec()));
    note.set(
        "Rect",
        Object::Array(vec![400.into(), 700.into(), 420.into(), 720.into()]),
    );
    note.set("Contents", Object::string_literal("checked by the clerk"));
    note.set("P", Object::Reference(page));
    let note = update.new_document.add_object(note);
    update.opt_clone_object_to_new_document(page).unwrap();
    let mut annots = annots;
    annots.push(Object::Reference(note));
    update
        .new_document
        .get_dictionary_mut(page)
        .unwrap()
        .set("Annots", Object::Array(annots));
    let mut out = Vec::new();
    update.save_to(&mut out).unwrap();
    out
}

fn certified(pki: &Path, dir: &Path, permission: &str) -> Vec<u8> {
    certified_with(pki, dir, permission, &[])
}

fn certified_with(pki: &Path, dir: &Path, permission: &str, extra: &[&str]) -> Vec<u8> {
    let plain = dir.join("form.pdf");
    std::fs::write(&plain, form_pdf()).unwrap();
    let out = dir.join(format!("certified-{permission}.pdf"));
    Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/pyhanko_tools.py"
        ))
        .args(["sign"])
        .arg(&plain)
        .arg(&out)
        .arg(pki.join("seal.key"))
        .arg(pki.join("seal.pem"))
        .arg(pki.join("seal-ca.pem"))
        .args(["--certify", permission])
        .args(extra)
        .succeeds();
    std::fs::read(out).unwrap()
}

/// (ecenter's modifications check of the first signature, pyHanko's verdict).
fn judged(pki: &Path, dir: &Path, pdf: &[u8]) -> (CheckStatus, String, bool) {
    let report = verify_pdf(pdf, &trust(pki), SystemTime::now()).unwrap();
    let m = report.signatures[0].report.check("modifications").unwrap();
    let file = dir.join("judged.pdf");
    std::fs::write(&file, pdf).unwrap();
    let (valid, _) = pyhanko(pki, &file);
    (m.status.clone(), m.detail.clone(), valid)
}

#[test]
fn filling_in_a_field_is_allowed_by_p2_and_p3_as_pyhanko_agrees() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for p in ["2", "3"] {
        let pdf = filled(&certified(pki.path(), dir.path(), p));
        let (status, detail, pyhanko_valid) = judged(pki.path(), dir.path(), &pdf);
        assert_eq!(status, CheckStatus::Passed, "P={p}: {detail}");
        assert!(detail.contains("form filling"), "P={p}: {detail}");
        assert!(pyhanko_valid, "pyHanko disagrees for P={p}");
    }
    // P=1 allows no filling; both validators say so.
    let pdf = filled(&certified(pki.path(), dir.path(), "1"));
    let (status, detail, pyhanko_valid) = judged(pki.path(), dir.path(), &pdf);
    assert!(matches!(status, CheckStatus::Failed(_)), "{detail}");
    assert!(!pyhanko_valid);
}

#[test]
fn a_comment_is_allowed_by_p3_only_and_a_seal_allows_neither_change() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = commented(&certified(pki.path(), dir.path(), "3"));
    let (status, detail, p3_pyhanko) = judged(pki.path(), dir.path(), &pdf);
    assert_eq!(status, CheckStatus::Passed, "{detail}");
    assert!(detail.contains("annotations"), "{detail}");
    // pyHanko does not implement P=3 ("comments are considered unsafe", its known issues): the
    // one disagreement here, with ISO 32000-1 Table 254 on ecenter's side (docs/VALIDATION.md).
    assert!(!p3_pyhanko);
    let pdf = commented(&certified(pki.path(), dir.path(), "2"));
    let (status, detail, pyhanko_valid) = judged(pki.path(), dir.path(), &pdf);
    assert!(matches!(status, CheckStatus::Failed(_)), "{detail}");
    assert!(detail.contains("annotations"), "{detail}");
    assert!(!pyhanko_valid, "pyHanko accepted a comment after P=2");
    // After a plain seal (no certification), the court's policy allows neither.
    let sealed = seal_with(pki.path(), &form_pdf(), &Placement::default());
    for (what, pdf) in [
        ("filled", filled(&sealed)),
        ("commented", commented(&sealed)),
    ] {
        let report = verify_pdf(&pdf, &trust(pki.path()), SystemTime::now()).unwrap();
        assert_ne!(report.indication, Indication::Passed, "{what}");
        let file = dir.path().join(format!("{what}.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        // pyHanko lets an approval signature allow form filling; the court's policy does not
        // (docs/VALIDATION.md). On the comment both agree.
        assert_eq!(pyhanko(pki.path(), &file).0, what == "filled", "{what}");
    }
}

/// FieldMDP (ISO 32000-1 §12.8.2.4): a certification with P=2 that locks the field "party" fails
/// once that field is filled in; pyHanko agrees.
#[test]
fn filling_a_field_the_signature_locked_fails_it() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = filled(&certified_with(
        pki.path(),
        dir.path(),
        "2",
        &["--lock", "party"],
    ));
    let (status, detail, pyhanko_valid) = judged(pki.path(), dir.path(), &pdf);
    assert!(matches!(status, CheckStatus::Failed(_)), "{detail}");
    assert!(
        detail.contains("form filling (field \"party\")"),
        "{detail}"
    );
    assert!(!pyhanko_valid, "pyHanko accepted filling a locked field");
}
