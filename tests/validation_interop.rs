//! Signatures judged as the world judges them: PDFs signed, timestamped and extended by pyHanko
//! (tests/python/pyhanko_tools.py), not by ecenter, and ecenter's seals placed on pages whose
//! crop box and rotation differ from the default — each judged by our verifier and by an
//! independent one (pyHanko, poppler's pdftoppm for what a reader shows).

mod common;

use common::pdf::{path, pyhanko_tools as tools, signed_by_pyhanko};

use common::pdf::{pyhanko, seal_with, trust};
use ecenter_pdfseal::{Placement, verify_pdf};
use ecenter_seal::{CheckStatus, Indication};
use std::time::SystemTime;

fn pki() -> tempfile::TempDir {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    pki
}

/// The named check of signature `i`, as (passed?, detail).
fn check(report: &ecenter_pdfseal::PdfReport, i: usize, name: &str) -> (bool, String) {
    let c = report.signatures[i]
        .report
        .check(name)
        .unwrap_or_else(|| panic!("no {name} check: {report:?}"));
    (c.status == CheckStatus::Passed, c.detail.clone())
}

#[test]
fn a_pyhanko_signature_with_issuer_serial_and_a_fractional_timestamp_passes() {
    let pki = pki();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    let (tsa_cert, tsa_key) = (p.join("tsa.pem"), p.join("tsa.key"));
    let tsa = ["--tsa", path(&tsa_cert), path(&tsa_key)];
    let signed = signed_by_pyhanko(p, dir.path(), "signed.pdf", 2, &tsa);
    let (valid, said) = pyhanko(p, &signed);
    assert!(valid, "pyHanko itself: {said}");
    let report = verify_pdf(
        &std::fs::read(&signed).unwrap(),
        &trust(p),
        SystemTime::now(),
    )
    .unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    let (ok, detail) = check(&report, 0, "signing_certificate");
    assert!(ok, "ESSCertIDv2 with issuerSerial (RFC 5035): {detail}");
    let (ok, detail) = check(&report, 0, "timestamp");
    assert!(ok, "genTime with fractions (RFC 3161 §2.4.2): {detail}");
}

#[test]
fn validation_data_and_a_document_timestamp_after_a_seal_are_allowed_and_reported() {
    let pki = pki();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    let sealed = dir.path().join("sealed.pdf");
    std::fs::write(
        &sealed,
        seal_with(p, &ecenter_pdfseal::sample_pdf(2, 0), &Placement::default()),
    )
    .unwrap();
    // B-LT: a DSS revision, as `pyhanko sign ltvfix` adds it.
    let lt = dir.path().join("lt.pdf");
    tools(&[
        "ltv",
        path(&sealed),
        path(&lt),
        "ecenterSeal1",
        path(&p.join("root-ca.pem")),
        path(&p.join("seal-ca.pem")),
        path(&p.join("tsa-ca.pem")),
    ]);
    let report = verify_pdf(&std::fs::read(&lt).unwrap(), &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    let (ok, detail) = check(&report, 0, "modifications");
    assert!(ok && detail.contains("validation data (DSS)"), "{detail}");
    // B-LTA: a document timestamp over all of it.
    let lta = dir.path().join("lta.pdf");
    tools(&[
        "doc-timestamp",
        path(&lt),
        path(&lta),
        path(&p.join("tsa.pem")),
        path(&p.join("tsa.key")),
    ]);
    let (valid, said) = pyhanko(p, &lta);
    assert!(valid, "pyHanko itself: {said}");
    let report = verify_pdf(&std::fs::read(&lta).unwrap(), &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert_eq!(report.signatures.len(), 2);
    let (ok, detail) = check(&report, 0, "modifications");
    assert!(ok && detail.contains("a document timestamp"), "{detail}");
    let (ok, detail) = check(&report, 1, "timestamp");
    assert!(ok && detail.contains("document timestamp"), "{detail}");
}

#[test]
fn a_page_changed_after_a_seal_fails_that_seal_even_when_it_is_sealed_again() {
    let pki = pki();
    let p = pki.path();
    let once = seal_with(p, &ecenter_pdfseal::sample_pdf(1, 0), &Placement::default());
    // An incremental update that replaces what the page shows, then a second seal over all of it.
    let doc = lopdf::Document::load_mem(&once).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(once.clone(), doc);
    let content = update.new_document.add_object(lopdf::Stream::new(
        lopdf::Dictionary::new(),
        b"BT /F1 24 Tf 72 700 Td (PAID IN FULL) Tj ET".to_vec(),
    ));
    update.opt_clone_object_to_new_document(page).unwrap();
    update
        .new_document
        .get_dictionary_mut(page)
        .unwrap()
        .set("Contents", lopdf::Object::Reference(content));
    let mut changed = Vec::new();
    update.save_to(&mut changed).unwrap();
    let twice = seal_with(p, &changed, &Placement::default());
    let report = verify_pdf(&twice, &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.signatures.len(), 2);
    assert_ne!(
        report.signatures[0].report.indication,
        Indication::Passed,
        "{report:#?}"
    );
    let (ok, detail) = check(&report, 0, "modifications");
    assert!(!ok && detail.contains("a page (content"), "{detail}");
    assert_eq!(
        report.signatures[1].report.indication,
        Indication::Passed,
        "{report:#?}"
    );
    assert_ne!(report.indication, Indication::Passed);
}

#[test]
fn a_certification_that_allows_no_changes_is_refused_and_one_that_allows_signatures_holds() {
    let pki = pki();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    for permission in ["1", "2"] {
        let certified = dir.path().join(format!("certified-{permission}.pdf"));
        tools(&[
            "sign",
            path(&plain),
            path(&certified),
            path(&p.join("seal.key")),
            path(&p.join("seal.pem")),
            path(&p.join("seal-ca.pem")),
            "--certify",
            permission,
        ]);
        let bytes = std::fs::read(&certified).unwrap();
        let signer = common::pdf::holder(p, "seal");
        let sealed = ecenter_pdfseal::seal_pdf(
            &bytes,
            &ecenter_pdfseal::Sealer {
                signer: &signer,
                chain: &[common::pdf::der_of(&p.join("seal-ca.pem"))],
                tsa: None,
            },
            SystemTime::now(),
            &Placement::default(),
            &ecenter_pdfseal::SignatureInfo::default(),
        );
        if permission == "1" {
            let refused = sealed.unwrap_err().to_string();
            assert!(refused.contains("DocMDP P=1"), "{refused}");
            continue;
        }
        let sealed = sealed.unwrap();
        let file = dir.path().join("sealed.pdf");
        std::fs::write(&file, &sealed).unwrap();
        // pyHanko accepts our seal; it judges the certification broken because its default policy
        // forbids new *visible* signature fields after a certification, "stricter than Acrobat"
        // in its own words. ISO 32000-1 §12.8.2.2 (Table 254) lets P=2 permit signing: we follow
        // the standard (docs/VALIDATION.md lists this disagreement).
        let (_, said) = pyhanko(p, &file);
        let seal_part = said
            .split("Field 2: ecenterSeal2")
            .nth(1)
            .expect("pyHanko saw our seal");
        assert!(
            seal_part.contains("The signature is judged VALID"),
            "pyHanko: {said}"
        );
        let report = verify_pdf(&sealed, &trust(p), SystemTime::now()).unwrap();
        assert_eq!(report.indication, Indication::Passed, "{report:#?}");
        let (ok, detail) = check(&report, 0, "modifications");
        assert!(
            ok && detail.contains("a certification allows") && detail.contains("a later signature"),
            "{detail}"
        );
    }
}

/// RFC 5652 §5.1: the certificate set is a SET OF, which may hold the same certificate twice
/// (X.690 allows equal elements); the set is not signed. pyHanko accepts such a signature, and so
/// must we.
#[test]
fn a_certificate_listed_twice_in_the_cms_is_accepted_as_pyhanko_accepts_it() {
    let pki = pki();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    let signed = signed_by_pyhanko(p, dir.path(), "signed.pdf", 1, &[]);
    let twice = dir.path().join("twice.pdf");
    tools(&["dup-cert", path(&signed), path(&twice)]);
    assert_ne!(
        std::fs::read(&signed).unwrap(),
        std::fs::read(&twice).unwrap()
    );
    let (valid, said) = pyhanko(p, &twice);
    assert!(valid, "pyHanko itself: {said}");
    let report = verify_pdf(
        &std::fs::read(&twice).unwrap(),
        &trust(p),
        SystemTime::now(),
    )
    .unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
}

/// SubFilter adbe.pkcs7.detached (ISO 32000-1 §12.8.3.3), as older signing tools write it: the
/// same detached CMS, judged the same way.
#[test]
fn an_adbe_pkcs7_detached_signature_by_pyhanko_passes() {
    let pki = pki();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    let (tsa_cert, tsa_key) = (p.join("tsa.pem"), p.join("tsa.key"));
    let extra = ["--adobe", "--tsa", path(&tsa_cert), path(&tsa_key)];
    let signed = signed_by_pyhanko(p, dir.path(), "signed.pdf", 1, &extra);
    let bytes = std::fs::read(&signed).unwrap();
    assert!(bytes.windows(20).any(|w| w == b"/adbe.pkcs7.detached"));
    let (valid, said) = pyhanko(p, &signed);
    assert!(valid, "pyHanko itself: {said}");
    let report = verify_pdf(&bytes, &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
}

/// adbe.pkcs7.detached as an S/MIME library writes it (Python's cryptography): signed attributes
/// without a signing-certificate attribute, or none at all (RFC 5652 §5.4: the signature is then
/// over the signed bytes). ISO 32000-1 §12.8.3.3 asks neither, so both pass, as pyHanko says; the
/// same CMS under ETSI.CAdES.detached lacks what PAdES requires; and a changed byte fails either.
#[test]
fn an_adbe_pkcs7_detached_signature_without_what_cades_adds_passes() {
    let pki = pki();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let adobe = signed_by_pyhanko(p, d, "adobe.pdf", 1, &["--adobe"]);
    let cades = signed_by_pyhanko(p, d, "cades.pdf", 1, &[]);
    let (key, cert) = (p.join("seal.key"), p.join("seal.pem"));
    let resign = |from: &std::path::Path, mode: &str| {
        let to = d.join(format!(
            "{mode}-{}",
            from.file_name().unwrap().to_str().unwrap()
        ));
        let args = [path(from), path(&to), path(&key), path(&cert), mode];
        tools(&[&["pkcs7-resign"], &args[..]].concat());
        to
    };
    for mode in ["no-ess", "no-attrs"] {
        let file = resign(&adobe, mode);
        let bytes = std::fs::read(&file).unwrap();
        let report = verify_pdf(&bytes, &trust(p), SystemTime::now()).unwrap();
        assert_eq!(report.indication, Indication::Passed, "{mode}: {report:#?}");
        let named = report.signatures[0].report.check("signing_certificate");
        assert!(
            named.unwrap().detail.contains("adbe.pkcs7.detached"),
            "{mode}"
        );
        let (valid, said) = pyhanko(p, &file);
        assert!(valid, "{mode}: pyHanko: {said}");
        // One byte of the signed page changed: the signature no longer verifies.
        let mut changed = bytes.clone();
        let at = changed
            .windows(13)
            .position(|w| w == b"Judgment page")
            .unwrap();
        changed[at] = b'j';
        let report = verify_pdf(&changed, &trust(p), SystemTime::now()).unwrap();
        assert_eq!(report.indication, Indication::Failed, "{mode} changed");
        // Under ETSI.CAdES.detached the same signature lacks what PAdES requires.
        let strict = resign(&cades, mode);
        let report = verify_pdf(
            &std::fs::read(&strict).unwrap(),
            &trust(p),
            SystemTime::now(),
        );
        assert_eq!(
            report.unwrap().indication,
            Indication::Failed,
            "{mode} CAdES"
        );
    }
}
