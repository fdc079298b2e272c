//! Independent validators of sealed PDFs: pyHanko (PyPI) and poppler's pdfsig (Debian), as
//! scripts/test installs them, and poppler's pdftotext for what a PDF says.

use ecenter_pdfseal::{Placement, SignatureInfo, seal_pdf};
use ecenter_seal::KeyHolder;
use ecenter_seal::tsa::TimestampAuthority;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

/// Runs `tests/python/<script>` with `args`; panics with its stderr unless it succeeds; returns
/// its standard output.
pub fn python_tool(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(format!(
            "{}/tests/python/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(args)
        .output()
        .expect("python3 is installed");
    assert!(
        out.status.success(),
        "{script} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `tests/python/pyhanko_tools.py` with `args` (see its docstring).
pub fn pyhanko_tools(args: &[&str]) {
    python_tool("pyhanko_tools.py", args);
}

/// A sample PDF of `pages` pages signed by pyHanko (not by ecenter) with the PKI's seal key, with
/// `extra` options of `pyhanko_tools.py sign` (e.g. `--tsa CERT KEY`, `--adobe`), written as
/// `dir/name`.
pub fn signed_by_pyhanko(
    pki: &Path,
    dir: &Path,
    name: &str,
    pages: usize,
    extra: &[&str],
) -> std::path::PathBuf {
    let plain = dir.join(format!("plain-{name}"));
    std::fs::write(&plain, ecenter_pdfseal::sample_pdf(pages, 0)).unwrap();
    let signed = dir.join(name);
    let (key, cert, ca) = (
        pki.join("seal.key"),
        pki.join("seal.pem"),
        pki.join("seal-ca.pem"),
    );
    let mut args = vec![
        "sign",
        path(&plain),
        path(&signed),
        path(&key),
        path(&cert),
        path(&ca),
    ];
    args.extend_from_slice(extra);
    pyhanko_tools(&args);
    signed
}

/// A path as the `&str` a command line takes.
pub fn path(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// pyHanko's validation of `file`, trusting only the PKI's root (with its TSA CA as an untrusted
/// intermediate, for files whose tokens do not carry it): (accepted, its report).
pub fn pyhanko(pki: &Path, file: &Path) -> (bool, String) {
    pyhanko_given(pki, file, &["--other-certs", path(&pki.join("tsa-ca.pem"))])
}

/// pyHanko's validation of `file` given the PKI's root and nothing else: every other certificate
/// must come from the file itself, as a court's reader of a proof has it.
pub fn pyhanko_root_only(pki: &Path, file: &Path) -> (bool, String) {
    pyhanko_given(pki, file, &[])
}

fn pyhanko_given(pki: &Path, file: &Path, extra: &[&str]) -> (bool, String) {
    let out = Command::new("pyhanko")
        .args([
            "sign",
            "validate",
            "--pretty-print",
            "--trust-replace",
            "--trust",
        ])
        .arg(pki.join("root-ca.pem"))
        .args(extra)
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
pub fn nss_trusting(pki: &Path, dir: &Path) -> String {
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

pub fn pdfsig(nss: &str, file: &Path) -> String {
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

/// The text of `file` as poppler's pdftotext reads it (layout kept).
pub fn pdftotext(file: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(file)
        .arg("-")
        .output()
        .expect("pdftotext is installed by scripts/test (Debian's poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The key holder `stem` (`seal`, `tsa`, …) of a PKI made by `ecenter-pki init`.
pub fn holder(pki: &Path, stem: &str) -> KeyHolder {
    KeyHolder::from_pem(
        &std::fs::read(pki.join(format!("{stem}.pem"))).unwrap(),
        &std::fs::read(pki.join(format!("{stem}.key"))).unwrap(),
    )
    .unwrap()
}

/// The court's 诉讼服务专用章 as `seal_id`, for `signer`, valid from a minute ago for a day, with
/// the test seal picture, 40 × 40 mm.
pub fn court_seal_spec(seal_id: &str, signer: &KeyHolder) -> ecenter_seal::SealSpec {
    use std::time::{Duration, SystemTime};
    ecenter_seal::SealSpec {
        seal_id: seal_id.into(),
        name: "襄阳市中级人民法院诉讼服务专用章".into(),
        seal_type: 1,
        signers: vec![signer.cert().to_vec()],
        valid_from: SystemTime::now() - Duration::from_secs(60),
        valid_to: SystemTime::now() + Duration::from_secs(86_400),
        picture_type: "PNG".into(),
        picture: super::seal_setup::seal_png(),
        size_mm: (40, 40),
    }
}

pub fn der_of(pem_path: &Path) -> Vec<u8> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_file(pem_path)
        .unwrap()
        .as_ref()
        .to_vec()
}

/// PAdES-B-LT material: both chains and a CRL of the seal CA.
pub fn long_term_data(pki: &Path) -> ecenter_pdfseal::ValidationData {
    let crl_path = pki.join("seal-ca.crl.pem");
    if !crl_path.exists() {
        // A CRL of the seal CA (listing another certificate's serial, not the seal's).
        ecenter_pki::revoke_under(pki, "seal-ca", &pki.join("tsa.pem")).unwrap();
    }
    use rustls_pki_types::CertificateRevocationListDer;
    use rustls_pki_types::pem::PemObject;
    ecenter_pdfseal::ValidationData {
        certificates: ["seal", "seal-ca", "tsa", "tsa-ca", "root-ca"]
            .iter()
            .map(|stem| der_of(&pki.join(format!("{stem}.pem"))))
            .collect(),
        crls: vec![
            CertificateRevocationListDer::from_pem_file(&crl_path)
                .unwrap()
                .as_ref()
                .to_vec(),
        ],
    }
}

/// `pdf` sealed by the PKI's seal signer with a timestamp from its TSA and PAdES-B-LT material.
pub fn seal_with(pki: &Path, pdf: &[u8], placement: &Placement) -> Vec<u8> {
    try_seal_with(pki, pdf, placement).unwrap()
}

/// Seals `pdf` as [`seal_with`] does, or says why not.
pub fn try_seal_with(
    pki: &Path,
    pdf: &[u8],
    placement: &Placement,
) -> Result<Vec<u8>, ecenter_pdfseal::PdfSealError> {
    let signer = holder(pki, "seal");
    let tsa = TimestampAuthority::new(holder(pki, "tsa"));
    seal_pdf(
        pdf,
        &ecenter_pdfseal::Sealer {
            signer: &signer,
            chain: &[der_of(&pki.join("seal-ca.pem"))],
            tsa: Some(&tsa),
        },
        SystemTime::now(),
        placement,
        &SignatureInfo {
            name: "湖北省襄阳市中级人民法院".into(),
            reason: "电子送达".into(),
            location: "襄阳".into(),
            validation: long_term_data(pki),
            seal: None,
        },
    )
}

/// Trust stores of the PKI: its root for signers, makers and TSAs, both intermediate CAs.
pub fn trust(pki: &Path) -> ecenter_seal::TrustStores {
    ecenter_seal::TrustStores {
        seal_makers: vec![der_of(&pki.join("root-ca.pem"))],
        signers: vec![der_of(&pki.join("root-ca.pem"))],
        intermediates: vec![
            der_of(&pki.join("seal-ca.pem")),
            der_of(&pki.join("tsa-ca.pem")),
        ],
        crls: Vec::new(),
        tsas: vec![der_of(&pki.join("root-ca.pem"))],
        maker_role: None,
        maker_role_waived: false,
    }
}
