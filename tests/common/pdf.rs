//! Independent validators of sealed PDFs: pyHanko (PyPI) and poppler's pdfsig (Debian), as
//! scripts/test installs them, and poppler's pdftotext for what a PDF says.

use std::path::Path;
use std::process::Command;

/// pyHanko's validation of `file`, trusting only the PKI's root: (accepted, its report).
pub fn pyhanko(pki: &Path, file: &Path) -> (bool, String) {
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
