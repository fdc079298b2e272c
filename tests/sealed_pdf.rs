//! Sealed PDFs checked by independent validators: pyHanko (`pyhanko sign validate` with our root as
//! the trust anchor) and poppler's `pdfsig` accept what we seal, and both reject it once a byte of
//! the signed range changes.

use ecenter_pdfseal::{Placement, SignatureInfo, seal_pdf};
use ecenter_seal::KeyHolder;
use ecenter_seal::tsa::TimestampAuthority;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

/// A well-formed PDF of `pages` pages with a line of text on each.
fn pdf_of(pages: usize) -> Vec<u8> {
    ecenter_pdfseal::sample_pdf(pages, 0)
}

fn holder(pki: &Path, stem: &str) -> KeyHolder {
    KeyHolder::from_pem(
        &std::fs::read(pki.join(format!("{stem}.pem"))).unwrap(),
        &std::fs::read(pki.join(format!("{stem}.key"))).unwrap(),
    )
    .unwrap()
}

fn der_of(pem_path: &Path) -> Vec<u8> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_file(pem_path)
        .unwrap()
        .as_ref()
        .to_vec()
}

fn sealed(pki: &Path, pages: usize) -> Vec<u8> {
    let signer = holder(pki, "seal");
    let tsa = TimestampAuthority::new(holder(pki, "tsa"));
    seal_pdf(
        &pdf_of(pages),
        &signer,
        &[der_of(&pki.join("seal-ca.pem"))],
        Some(&tsa),
        SystemTime::now(),
        &Placement::default(),
        &SignatureInfo {
            name: "湖北省襄阳市中级人民法院".into(),
            reason: "电子送达".into(),
            location: "襄阳".into(),
        },
    )
    .unwrap()
}

fn pyhanko(pki: &Path, file: &Path) -> (bool, String) {
    let out = Command::new("pyhanko")
        .args([
            "sign",
            "validate",
            "--pretty-print",
            "--trust-replace",
            "--trust",
        ])
        .arg(pki.join("root-ca.pem"))
        .arg("--other-certs")
        .arg(pki.join("tsa-ca.pem"))
        .arg(file)
        .output()
        .expect("pyhanko is installed by scripts/test (pip install pyhanko pyhanko-cli)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// An NSS database (what pdfsig reads trust from) holding only our root as a trusted CA.
fn nss_trusting(pki: &Path, dir: &Path) -> String {
    let db = format!("sql:{}", dir.display());
    let run = |args: &[&str]| {
        let out = Command::new("certutil")
            .args(args)
            .output()
            .expect("certutil is installed by scripts/test (Debian's libnss3-tools)");
        assert!(
            out.status.success(),
            "certutil {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["-N", "-d", &db, "--empty-password"]);
    let root = pki.join("root-ca.pem");
    run(&[
        "-A",
        "-d",
        &db,
        "-n",
        "ecenter-dev-root",
        "-t",
        "CT,C,C",
        "-i",
        root.to_str().unwrap(),
    ]);
    db
}

fn pdfsig(nss: &str, file: &Path) -> String {
    let out = Command::new("pdfsig")
        .args(["-nssdir", nss])
        .arg(file)
        .output()
        .expect("pdfsig is installed by scripts/test (Debian's poppler-utils)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn pyhanko_and_pdfsig_accept_a_sealed_pdf_and_reject_it_once_changed() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let original = pdf_of(10);
    let bytes = sealed(pki.path(), 10);
    assert!(
        bytes.starts_with(&original),
        "an incremental update keeps the original bytes"
    );
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("判决书-sealed.pdf");
    std::fs::write(&good, &bytes).unwrap();

    let (ok, report) = pyhanko(pki.path(), &good);
    assert!(ok, "{report}");
    for line in [
        "The signer's certificate is trusted.",
        "The signature is cryptographically sound.",
        "The TSA certificate is trusted.",
        "The signature covers the entire file.",
        "The signature is judged VALID.",
    ] {
        assert!(report.contains(line), "{line:?} missing from {report}");
    }

    let nss_dir = tempfile::tempdir().unwrap();
    let nss = nss_trusting(pki.path(), nss_dir.path());
    let report = pdfsig(&nss, &good);
    assert!(report.contains("Signature is Valid"), "{report}");
    assert!(report.contains("ETSI.CAdES.detached"), "{report}");
    assert!(report.contains("Total document signed"), "{report}");
    assert!(report.contains("Certificate is Trusted"), "{report}");

    // One byte of page text changed inside the signed range: both validators refuse.
    let mut tampered = bytes.clone();
    let at = tampered
        .windows(b"Judgment page 3".len())
        .position(|w| w == b"Judgment page 3")
        .unwrap();
    tampered[at] = b'j';
    let bad = dir.path().join("tampered.pdf");
    std::fs::write(&bad, &tampered).unwrap();
    let (ok, report) = pyhanko(pki.path(), &bad);
    assert!(!ok, "pyHanko accepted a changed PDF: {report}");
    let report = pdfsig(&nss, &bad);
    assert!(!report.contains("Signature is Valid"), "{report}");
    assert!(
        report.contains("Signature is Invalid") || report.contains("Digest Mismatch"),
        "{report}"
    );
}

#[test]
fn pages_that_do_not_exist_encrypted_and_broken_pdfs_are_refused_with_a_reason() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let signer = holder(pki.path(), "seal");
    let seal = |pdf: &[u8], page: Option<u32>| {
        seal_pdf(
            pdf,
            &signer,
            &[],
            None,
            SystemTime::now(),
            &Placement { page, origin: None },
            &SignatureInfo::default(),
        )
    };
    let err = seal(&pdf_of(3), Some(4)).unwrap_err();
    assert!(
        matches!(err, ecenter_pdfseal::PdfSealError::BadRequest(_)),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("page 4 does not exist: the PDF has 3 pages"),
        "{err}"
    );
    let err = seal(b"%PDF-1.7\nnot really a pdf", None).unwrap_err();
    assert!(
        err.to_string().starts_with("the PDF cannot be sealed"),
        "{err}"
    );
    // The first page can be chosen, and sealing twice keeps both signatures' bytes.
    let once = seal(&pdf_of(3), Some(1)).unwrap();
    let twice = seal(&once, None).unwrap();
    assert!(twice.starts_with(&once));
    assert_eq!(
        twice
            .windows(b"/ETSI.CAdES.detached".len())
            .filter(|w| w == b"/ETSI.CAdES.detached")
            .count(),
        2
    );
}
