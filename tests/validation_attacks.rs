//! Updates after a seal that try to pass as what a seal allows — each built here with lopdf the way
//! an attacker with a PDF library would, after an outsider's attack session found them: a changed
//! page content stream hung under /Info, the existing seal's widget repainted, the signature
//! dictionary copied into a new field, a certification's DocMDP P=1 relaxed afterwards, a
//! dictionary with a /ByteRange that no field names. Our verifier and pyHanko must both refuse the
//! first four; the last is no signature at all.

mod common;
use common::Succeeds;

use common::pdf::{der_of, holder, pyhanko, seal_with, trust};
use ecenter_pdfseal::{Placement, verify_pdf};
use ecenter_seal::Indication;
use lopdf::{Dictionary, Document, IncrementalDocument, Object, Stream};
use std::time::SystemTime;

fn pki() -> tempfile::TempDir {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    pki
}

/// `pdf` with one incremental update made by `change`.
fn updated(pdf: &[u8], change: impl FnOnce(&mut IncrementalDocument)) -> Vec<u8> {
    let doc = Document::load_mem(pdf).unwrap();
    let mut update = IncrementalDocument::create_from(pdf.to_vec(), doc);
    change(&mut update);
    let mut out = Vec::new();
    update.save_to(&mut out).unwrap();
    out
}

fn first_page(pdf: &[u8]) -> (lopdf::ObjectId, lopdf::ObjectId) {
    let doc = Document::load_mem(pdf).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let content = doc
        .get_dictionary(page)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .as_reference()
        .unwrap();
    (page, content)
}

/// Ours and pyHanko's verdict on the first signature must both be a refusal.
fn both_refuse(pki: &std::path::Path, pdf: &[u8], what: &str) -> String {
    let report = verify_pdf(pdf, &trust(pki), SystemTime::now()).unwrap();
    assert_ne!(
        report.signatures[0].report.indication,
        Indication::Passed,
        "{what}: {report:#?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("attack.pdf");
    std::fs::write(&file, pdf).unwrap();
    let (valid, said) = pyhanko(pki, &file);
    assert!(!valid, "{what}: pyHanko accepted it: {said}");
    report.signatures[0]
        .report
        .check("modifications")
        .or_else(|| report.signatures[0].report.check("revision"))
        .map(|c| c.detail.clone())
        .unwrap_or_default()
}

#[test]
fn a_changed_page_content_hung_under_info_metadata_or_the_dss_is_still_a_changed_page() {
    let pki = pki();
    let sealed = seal_with(
        pki.path(),
        &ecenter_pdfseal::sample_pdf(1, 0),
        &Placement::default(),
    );
    let (_, content) = first_page(&sealed);
    for (what, key) in [("/Info", "Info"), ("/Metadata", "Metadata")] {
        let forged = updated(&sealed, |u| {
            u.opt_clone_object_to_new_document(content).unwrap();
            let stream = u
                .new_document
                .get_object_mut(content)
                .unwrap()
                .as_stream_mut()
                .unwrap();
            stream.set_content(b"BT /F1 12 Tf 72 720 Td (Defendant pays 999 yuan) Tj ET".to_vec());
            if key == "Info" {
                u.new_document
                    .trailer
                    .set("Info", Object::Reference(content));
            } else {
                let root = u
                    .new_document
                    .trailer
                    .get(b"Root")
                    .unwrap()
                    .as_reference()
                    .unwrap();
                u.opt_clone_object_to_new_document(root).unwrap();
                u.new_document
                    .get_dictionary_mut(root)
                    .unwrap()
                    .set("Metadata", Object::Reference(content));
            }
        });
        let detail = both_refuse(pki.path(), &forged, what);
        assert!(detail.contains("changed"), "{what}: {detail}");
    }
}

#[test]
fn the_seals_own_widget_repainted_or_its_dictionary_copied_into_a_new_field_is_refused() {
    let pki = pki();
    let sealed = seal_with(
        pki.path(),
        &ecenter_pdfseal::sample_pdf(1, 0),
        &Placement::default(),
    );
    let doc = Document::load_mem(&sealed).unwrap();
    let (widget, sig) = doc
        .objects
        .iter()
        .find_map(|(id, o)| {
            let d = o.as_dict().ok()?;
            if d.get(b"FT").ok()?.as_name().ok()? != b"Sig" {
                return None;
            }
            Some((*id, d.get(b"V").ok()?.as_reference().ok()?))
        })
        .unwrap();
    // The widget's appearance replaced by a drawing of the attacker's choosing.
    let repainted = updated(&sealed, |u| {
        let mut form = Dictionary::new();
        form.set("Type", Object::Name(b"XObject".to_vec()));
        form.set("Subtype", Object::Name(b"Form".to_vec()));
        form.set(
            "BBox",
            Object::Array(vec![0.into(), 0.into(), 100.into(), 100.into()]),
        );
        let ap = u.new_document.add_object(Stream::new(
            form,
            b"BT /F1 30 Tf 0 10 Td (999) Tj ET".to_vec(),
        ));
        u.opt_clone_object_to_new_document(widget).unwrap();
        let mut n = Dictionary::new();
        n.set("N", Object::Reference(ap));
        u.new_document
            .get_dictionary_mut(widget)
            .unwrap()
            .set("AP", Object::Dictionary(n));
    });
    let detail = both_refuse(pki.path(), &repainted, "a repainted seal");
    assert!(detail.contains("changed"), "{detail}");

    // The signature dictionary copied into a new field: two "signatures" over one revision.
    let cloned = updated(&sealed, |u| {
        let copy = u.get_prev_documents().get_object(sig).unwrap().clone();
        let copy_id = u.new_document.add_object(copy);
        let mut field = Dictionary::new();
        field.set("FT", Object::Name(b"Sig".to_vec()));
        field.set("T", Object::string_literal("院长 李某 批准"));
        field.set("V", Object::Reference(copy_id));
        field.set(
            "Rect",
            Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
        );
        u.new_document.add_object(field);
    });
    let report = verify_pdf(&cloned, &trust(pki.path()), SystemTime::now()).unwrap();
    let copy = report
        .signatures
        .iter()
        .find(|s| s.field == "院长 李某 批准")
        .expect("the copy is reported");
    assert_ne!(copy.report.indication, Indication::Passed, "{report:#?}");
    assert!(
        copy.report
            .check("revision")
            .unwrap()
            .detail
            .contains("not part of the revision"),
        "{report:#?}"
    );
}

#[test]
fn a_certification_relaxed_after_signing_still_forbids_sealing_and_later_signatures() {
    let pki = pki();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let certified = dir.path().join("certified.pdf");
    std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/pyhanko_tools.py"
        ))
        .args(["sign", plain.to_str().unwrap(), certified.to_str().unwrap()])
        .args([
            p.join("seal.key"),
            p.join("seal.pem"),
            p.join("seal-ca.pem"),
        ])
        .args(["--certify", "1"])
        .succeeds();
    let bytes = std::fs::read(&certified).unwrap();
    // An update that rewrites every /P 1 it finds to 2.
    let doc = Document::load_mem(&bytes).unwrap();
    let holders: Vec<lopdf::ObjectId> = doc
        .objects
        .iter()
        .filter(|(_, o)| {
            o.as_dict()
                .is_ok_and(|d| d.get(b"P").and_then(Object::as_i64).is_ok_and(|p| p == 1))
        })
        .map(|(id, _)| *id)
        .collect();
    let relaxed = updated(&bytes, |u| {
        for id in &holders {
            u.opt_clone_object_to_new_document(*id).unwrap();
            u.new_document.get_dictionary_mut(*id).unwrap().set("P", 2);
        }
    });
    let signer = holder(p, "seal");
    let refused = ecenter_pdfseal::seal_pdf(
        &relaxed,
        &ecenter_pdfseal::Sealer {
            signer: &signer,
            chain: &[der_of(&p.join("seal-ca.pem"))],
            tsa: None,
        },
        SystemTime::now(),
        &Placement::default(),
        &ecenter_pdfseal::SignatureInfo::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(refused.contains("DocMDP P=1"), "{refused}");
}

#[test]
fn a_byte_range_dictionary_that_no_field_names_is_no_signature() {
    let pki = pki();
    let planted = updated(&ecenter_pdfseal::sample_pdf(1, 0), |u| {
        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"Sig".to_vec()));
        d.set(
            "ByteRange",
            Object::Array(vec![0.into(), 10.into(), 20.into(), 30.into()]),
        );
        u.new_document.add_object(d);
    });
    let sealed = seal_with(pki.path(), &planted, &Placement::default());
    let report = verify_pdf(&sealed, &trust(pki.path()), SystemTime::now()).unwrap();
    assert_eq!(report.signatures.len(), 1, "{report:#?}");
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
}
