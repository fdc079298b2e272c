//! The interop corpus: PDFs written by other tools (reportlab with Chinese CID text, ghostscript's
//! pdfwrite, qpdf with object and cross-reference streams, linearized, and PDF 2.0 —
//! tests/python/corpus.py). Each is sealed by ecenter and signed by pyHanko, then sealed again
//! over pyHanko's signature; ecenter's verdict per signature must be pyHanko's, and qpdf must find
//! the sealed files sound.

mod common;

use common::pdf::{pyhanko, seal_with, trust};
use ecenter_pdfseal::{Placement, verify_pdf};
use ecenter_seal::Indication;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

const CORPUS: [&str; 5] = [
    "reportlab.pdf",
    "ghostscript.pdf",
    "objstm.pdf",
    "linearized.pdf",
    "pdf20.pdf",
];

fn qpdf_sound(file: &Path) -> (bool, String) {
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success() && !said.contains("WARNING"), said)
}

fn pages(pdf: &[u8]) -> usize {
    lopdf::Document::load_mem(pdf).unwrap().get_pages().len()
}

#[test]
fn other_tools_pdfs_sealed_and_signed_are_judged_as_pyhanko_judges_them() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let dir = tempfile::tempdir().unwrap();
    common::pdf::python_tool("corpus.py", &[common::pdf::path(dir.path())]);
    for name in CORPUS {
        let original = std::fs::read(dir.path().join(name)).unwrap();
        // Sealed by ecenter.
        let sealed = seal_with(p, &original, &Placement::default());
        let file = dir.path().join(format!("sealed-{name}"));
        std::fs::write(&file, &sealed).unwrap();
        assert_eq!(pages(&sealed), pages(&original), "{name}");
        let (sound, said) = qpdf_sound(&file);
        assert!(sound, "{name}: {said}");
        let (valid, said) = pyhanko(p, &file);
        assert!(valid, "{name}: pyHanko: {said}");
        let report = verify_pdf(&sealed, &trust(p), SystemTime::now()).unwrap();
        assert_eq!(report.indication, Indication::Passed, "{name}: {report:#?}");

        // Signed by pyHanko, then sealed by ecenter over it.
        let signed = dir.path().join(format!("signed-{name}"));
        let out = Command::new("python3")
            .arg(format!(
                "{}/tests/python/pyhanko_tools.py",
                env!("CARGO_MANIFEST_DIR")
            ))
            .arg("sign")
            .arg(dir.path().join(name))
            .arg(&signed)
            .arg(p.join("seal.key"))
            .arg(p.join("seal.pem"))
            .arg(p.join("seal-ca.pem"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let signed_bytes = std::fs::read(&signed).unwrap();
        let (valid, said) = pyhanko(p, &signed);
        assert!(valid, "{name}: pyHanko on its own signature: {said}");
        let report = verify_pdf(&signed_bytes, &trust(p), SystemTime::now()).unwrap();
        assert_eq!(report.indication, Indication::Passed, "{name}: {report:#?}");
        let both = seal_with(p, &signed_bytes, &Placement::default());
        let file = dir.path().join(format!("both-{name}"));
        std::fs::write(&file, &both).unwrap();
        let (valid, said) = pyhanko(p, &file);
        assert!(valid, "{name}: pyHanko on both: {said}");
        let report = verify_pdf(&both, &trust(p), SystemTime::now()).unwrap();
        assert_eq!(report.indication, Indication::Passed, "{name}: {report:#?}");
        assert_eq!(report.signatures.len(), 2, "{name}");
        let (sound, said) = qpdf_sound(&file);
        assert!(sound, "{name}: {said}");
    }
}
