//! What the sealer does with PDFs other tools wrote badly: a cross-reference table whose offsets
//! are wrong (a file edited by hand or cut by a mail gateway) is refused with a reason a person
//! can act on — never sealed into an update that readers cannot follow (qpdf judges the output).

mod common;

use common::pdf::seal_with;
use ecenter_pdfseal::Placement;
use std::process::Command;

/// qpdf's structural check of `pdf`: (passed, what it said).
fn qpdf_check(pdf: &[u8]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(&file)
        .output()
        .expect("qpdf is installed by scripts/test (Debian's qpdf)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success() && !text.contains("WARNING"), text)
}

/// The sample PDF with `shift` spaces inserted after the header: every xref offset now points
/// `shift` bytes early, as after a careless edit.
fn shifted(shift: usize) -> Vec<u8> {
    let pdf = ecenter_pdfseal::sample_pdf(2, 0);
    let header_end = pdf.iter().position(|b| *b == b'\n').unwrap() + 1;
    let mut out = pdf[..header_end].to_vec();
    out.extend(std::iter::repeat_n(b' ', shift));
    out.extend_from_slice(&pdf[header_end..]);
    out
}

fn seal(pdf: &[u8]) -> Result<Vec<u8>, ecenter_pdfseal::PdfSealError> {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let signer = common::pdf::holder(pki.path(), "seal");
    ecenter_pdfseal::seal_pdf(
        pdf,
        &ecenter_pdfseal::Sealer {
            signer: &signer,
            chain: &[common::pdf::der_of(&pki.path().join("seal-ca.pem"))],
            tsa: None,
        },
        std::time::SystemTime::now(),
        &Placement::default(),
        &ecenter_pdfseal::SignatureInfo::default(),
    )
}

#[test]
fn a_pdf_whose_xref_offsets_are_wrong_is_refused_naming_the_object_and_the_fix() {
    for shift in [1, 7, 300] {
        let damaged = shifted(shift);
        let (ok, said) = qpdf_check(&damaged);
        assert!(!ok, "the fixture must be damaged: {said}");
        let Err(refused) = seal(&damaged) else {
            panic!("a file with offsets {shift} bytes off was sealed");
        };
        assert!(
            matches!(refused, ecenter_pdfseal::PdfSealError::BadRequest(_)),
            "{refused:?}"
        );
        let said = refused.to_string();
        assert!(
            said.contains("cross-reference table is damaged") && said.contains("qpdf"),
            "{said}"
        );
    }
}

/// The sample PDF with one xref entry (object 3's) pointing ten bytes off, the rest right.
fn one_entry_off() -> Vec<u8> {
    let mut pdf = ecenter_pdfseal::sample_pdf(2, 0);
    let table = pdf.windows(6).rposition(|w| w == b"\nxref\n").unwrap() + 1;
    // "xref\n0 N\n", then 20-byte entries from object 0: object 3's is the fourth.
    let first = table
        + pdf[table..]
            .iter()
            .skip(5)
            .position(|b| *b == b'\n')
            .unwrap()
        + 6;
    let entry = first + 3 * 20;
    let offset: usize = std::str::from_utf8(&pdf[entry..entry + 10])
        .unwrap()
        .parse()
        .unwrap();
    pdf[entry..entry + 10].copy_from_slice(format!("{:010}", offset + 10).as_bytes());
    pdf
}

#[test]
fn one_misplaced_object_is_named() {
    let damaged = one_entry_off();
    assert!(!qpdf_check(&damaged).0, "the fixture must be damaged");
    let Err(refused) = seal(&damaged) else {
        panic!("a file with a misplaced object was sealed");
    };
    assert!(
        refused.to_string().contains("object 3 is listed at byte"),
        "{refused}"
    );
}

#[test]
fn a_sound_pdf_and_its_sealed_update_pass_qpdf_check() {
    let pdf = ecenter_pdfseal::sample_pdf(2, 0);
    assert!(qpdf_check(&pdf).0);
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let once = seal_with(pki.path(), &pdf, &Placement::default());
    let (ok, said) = qpdf_check(&once);
    assert!(ok, "{said}");
    // Sealed twice: the second update follows the first's cross-reference section.
    let twice = seal_with(pki.path(), &once, &Placement::default());
    let (ok, said) = qpdf_check(&twice);
    assert!(ok, "{said}");
}
