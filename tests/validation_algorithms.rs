//! Other people's keys and TSAs: PDFs signed by pyHanko with certificates made by Python's
//! `cryptography` (RSA PKCS#1 v1.5 and PSS, ECDSA P-384, SHA-256/384/512), timestamped by an RSA
//! TSA and by the hub's ECDSA TSA in one file. ecenter's verdict must be pyHanko's, valid or not.

mod common;

use common::pdf::{path, pyhanko_tools as tools};

use ecenter_pdfseal::verify_pdf;
use ecenter_seal::{CheckStatus, Indication, TrustStores};
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

/// The foreign PKI and ecenter's own, side by side.
struct Pkis {
    foreign: tempfile::TempDir,
    ours: tempfile::TempDir,
}

fn pkis() -> Pkis {
    let foreign = tempfile::tempdir().unwrap();
    tools(&["foreign-pki", path(foreign.path())]);
    let ours = tempfile::tempdir().unwrap();
    ecenter_pki::init(ours.path(), false).unwrap();
    Pkis { foreign, ours }
}

impl Pkis {
    fn f(&self, name: &str) -> std::path::PathBuf {
        self.foreign.path().join(name)
    }

    /// Both roots trusted for signers and for TSAs, as a court trusting two suppliers would.
    fn trust(&self) -> TrustStores {
        let der = common::pdf::der_of;
        let mut trust = common::pdf::trust(self.ours.path());
        trust.signers.push(der(&self.f("rsa-root.pem")));
        trust.signers.push(der(&self.f("ec384-root.pem")));
        trust.tsas.push(der(&self.f("rsa-root.pem")));
        trust
    }

    /// pyHanko's validation trusting the same roots: (valid, its report).
    fn pyhanko(&self, file: &Path) -> (bool, String) {
        let mut cmd = Command::new("pyhanko");
        cmd.args(["sign", "validate", "--pretty-print", "--trust-replace"]);
        for root in [
            self.f("rsa-root.pem"),
            self.f("ec384-root.pem"),
            self.ours.path().join("root-ca.pem"),
        ] {
            cmd.arg("--trust").arg(root);
        }
        cmd.arg("--other-certs")
            .arg(self.ours.path().join("tsa-ca.pem"));
        let out = cmd.arg(file).output().expect("pyhanko is installed");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    }

    /// `plain` signed by pyHanko with the foreign key `stem`, timestamped by the RSA TSA.
    fn sign(&self, plain: &Path, out: &Path, stem: &str, extra: &[&str]) {
        let key = self.f(&format!("{stem}.key"));
        let cert = self.f(&format!("{stem}.pem"));
        let (tsa_cert, tsa_key) = (self.f("rsa-tsa.pem"), self.f("rsa-tsa.key"));
        let mut args = vec![
            "sign",
            path(plain),
            path(out),
            path(&key),
            path(&cert),
            "--tsa",
            path(&tsa_cert),
            path(&tsa_key),
        ];
        args.extend_from_slice(extra);
        tools(&args);
    }
}

fn algorithm_detail(report: &ecenter_pdfseal::PdfReport, i: usize) -> String {
    let c = report.signatures[i].report.check("algorithm").unwrap();
    assert_eq!(c.status, CheckStatus::Passed, "{report:#?}");
    c.detail.clone()
}

#[test]
fn rsa_pkcs1_pss_and_p384_signers_with_an_rsa_tsa_pass_as_pyhanko_says() {
    let pkis = pkis();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, ecenter_pdfseal::sample_pdf(3, 0)).unwrap();
    let cases: [(&str, &[&str], &str); 4] = [
        ("rsa-signer", &[], "RSA PKCS#1 v1.5 with SHA-256"),
        (
            "rsa-signer",
            &["--md", "sha512"],
            "RSA PKCS#1 v1.5 with SHA-512",
        ),
        ("rsa-signer", &["--pss"], "RSASSA-PSS with SHA-256"),
        (
            "ec384-signer",
            &["--md", "sha384"],
            "ECDSA P-384 with SHA-384",
        ),
    ];
    for (stem, extra, expected) in cases {
        let signed = dir.path().join(format!("{stem}-{}.pdf", extra.join("")));
        pkis.sign(&plain, &signed, stem, extra);
        let (valid, said) = pkis.pyhanko(&signed);
        assert!(valid, "pyHanko itself, {expected}: {said}");
        let bytes = std::fs::read(&signed).unwrap();
        let report = verify_pdf(&bytes, &pkis.trust(), SystemTime::now()).unwrap();
        assert_eq!(
            report.indication,
            Indication::Passed,
            "{expected}: {report:#?}"
        );
        assert_eq!(algorithm_detail(&report, 0), expected);
        let ts = report.signatures[0].report.check("timestamp").unwrap();
        assert!(ts.detail.contains("Foreign RSA TSA"), "{}", ts.detail);
    }
}

/// pyHanko signs PSS with the longest salt the key allows; ring verifies only a salt as long as the
/// hash. The one disagreement with pyHanko here (docs/VALIDATION.md): not FAILED but
/// INDETERMINATE, saying why.
#[test]
fn pss_with_a_salt_ring_cannot_verify_is_indeterminate_and_says_why() {
    let pkis = pkis();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let signed = dir.path().join("signed.pdf");
    pkis.sign(&plain, &signed, "rsa-signer", &["--pss-max-salt"]);
    let (valid, said) = pkis.pyhanko(&signed);
    assert!(valid, "pyHanko itself: {said}");
    let report = verify_pdf(
        &std::fs::read(&signed).unwrap(),
        &pkis.trust(),
        SystemTime::now(),
    )
    .unwrap();
    assert_eq!(report.indication, Indication::Indeterminate, "{report:#?}");
    let c = report.signatures[0].report.check("algorithm").unwrap();
    assert!(
        c.detail.contains("222-byte salt") && c.detail.contains("32 bytes"),
        "{}",
        c.detail
    );
}

/// ECDSA with SHA-512, which ring does not verify: INDETERMINATE, and the refusal no longer
/// claims the pair is on the allow-list (outside tests, round 22b, F4).
#[test]
fn ecdsa_with_sha512_is_indeterminate_and_the_refusal_says_what_is_verified() {
    let pkis = pkis();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let signed = dir.path().join("signed.pdf");
    pkis.sign(&plain, &signed, "ec384-signer", &["--md", "sha512"]);
    let (valid, said) = pkis.pyhanko(&signed);
    assert!(valid, "pyHanko itself: {said}");
    let bytes = std::fs::read(&signed).unwrap();
    let report = verify_pdf(&bytes, &pkis.trust(), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Indeterminate, "{report:#?}");
    let c = report.signatures[0].report.check("algorithm").unwrap();
    assert!(
        c.detail
            .contains("ECDSA P-256 or P-384 with SHA-256/384 — not SHA-512"),
        "{}",
        c.detail
    );
}

#[test]
fn a_foreign_signature_over_changed_bytes_fails_here_and_in_pyhanko() {
    let pkis = pkis();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let signed = dir.path().join("signed.pdf");
    pkis.sign(&plain, &signed, "rsa-signer", &["--pss"]);
    let mut bytes = std::fs::read(&signed).unwrap();
    // One letter of the page's font name, inside the first signed range.
    let at = bytes
        .windows(9)
        .position(|w| w == b"Helvetica")
        .expect("the sample page's font");
    bytes[at + 1] = b'E';
    let tampered = dir.path().join("tampered.pdf");
    std::fs::write(&tampered, &bytes).unwrap();
    let (valid, said) = pkis.pyhanko(&tampered);
    assert!(!valid, "pyHanko accepted a changed file: {said}");
    let report = verify_pdf(&bytes, &pkis.trust(), SystemTime::now()).unwrap();
    assert_ne!(report.indication, Indication::Passed);
    let digest = report.signatures[0].report.check("message_digest").unwrap();
    assert!(
        matches!(digest.status, CheckStatus::Failed(_)),
        "{report:#?}"
    );
}

#[test]
fn a_foreign_signer_is_not_trusted_without_its_root() {
    let pkis = pkis();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let signed = dir.path().join("signed.pdf");
    pkis.sign(&plain, &signed, "ec384-signer", &[]);
    let bytes = std::fs::read(&signed).unwrap();
    // Only ecenter's own anchors: the P-384 signer and the RSA TSA are strangers.
    let report = verify_pdf(
        &bytes,
        &common::pdf::trust(pkis.ours.path()),
        SystemTime::now(),
    )
    .unwrap();
    assert_ne!(report.indication, Indication::Passed);
    let chain = report.signatures[0].report.check("signer_chain").unwrap();
    assert!(
        matches!(chain.status, CheckStatus::Failed(_)),
        "{report:#?}"
    );
    let ts = report.signatures[0].report.check("timestamp").unwrap();
    assert!(matches!(ts.status, CheckStatus::Failed(_)), "{report:#?}");
}

#[test]
fn two_tsas_one_file_a_document_timestamp_by_rsa_over_a_seal_timestamped_by_the_hub() {
    let pkis = pkis();
    let ours = pkis.ours.path();
    let dir = tempfile::tempdir().unwrap();
    let sealed = dir.path().join("sealed.pdf");
    std::fs::write(
        &sealed,
        common::pdf::seal_with(
            ours,
            &ecenter_pdfseal::sample_pdf(2, 0),
            &ecenter_pdfseal::Placement::default(),
        ),
    )
    .unwrap();
    let stamped = dir.path().join("stamped.pdf");
    tools(&[
        "doc-timestamp",
        path(&sealed),
        path(&stamped),
        path(&pkis.f("rsa-tsa.pem")),
        path(&pkis.f("rsa-tsa.key")),
    ]);
    let (valid, said) = pkis.pyhanko(&stamped);
    assert!(valid, "pyHanko itself: {said}");
    let bytes = std::fs::read(&stamped).unwrap();
    let report = verify_pdf(&bytes, &pkis.trust(), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    let hub = report.signatures[0].report.check("timestamp").unwrap();
    let foreign = report.signatures[1].report.check("timestamp").unwrap();
    assert!(!hub.detail.contains("Foreign"), "{}", hub.detail);
    assert!(
        foreign.detail.contains("Foreign RSA TSA"),
        "{}",
        foreign.detail
    );
}

/// SHA-1 is off the allow-list (ETSI TS 119 312): a signature made with it is refused, naming
/// the digest and who signed, so a clerk knows whom to ask for a new copy.
#[test]
fn a_sha1_signature_is_refused_naming_its_signer() {
    let pkis = pkis();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    let signed = dir.path().join("sha1.pdf");
    pkis.sign(&plain, &signed, "rsa-signer", &["--md", "sha1"]);
    let bytes = std::fs::read(&signed).unwrap();
    let report = verify_pdf(&bytes, &pkis.trust(), SystemTime::now()).unwrap();
    assert_ne!(report.indication, Indication::Passed, "{report:#?}");
    let one = &report.signatures[0].report;
    let algorithm = one.check("algorithm").unwrap();
    assert!(
        matches!(algorithm.status, CheckStatus::Failed(_)),
        "{report:#?}"
    );
    let signer = one.signer.as_deref().unwrap_or_default();
    assert!(signer.contains("张三"), "{report:#?}");
}
