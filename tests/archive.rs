//! PAdES B-LTA made by the hub: validation data for every signature and timestamp, then a document
//! timestamp over the whole file, repeated for archival renewal. pyHanko, poppler's pdfsig and qpdf
//! judge the result as well as ecenter's verifier.

mod common;

use common::pdf::{holder, long_term_data, pyhanko, seal_with, trust};
use ecenter_pdfseal::{Placement, archive_timestamp, verify_pdf};
use ecenter_seal::Indication;
use ecenter_seal::tsa::TimestampAuthority;
use std::process::Command;
use std::time::SystemTime;

fn dss_count(pdf: &[u8], key: &[u8]) -> usize {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let catalog = doc.catalog().unwrap();
    let dss = doc
        .get_dictionary(catalog.get(b"DSS").unwrap().as_reference().unwrap())
        .unwrap();
    dss.get(key).unwrap().as_array().unwrap().len()
}

#[test]
fn a_sealed_pdf_archived_twice_is_valid_for_every_validator_and_keeps_one_copy_of_each_certificate()
{
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let sealed = seal_with(p, &ecenter_pdfseal::sample_pdf(2, 0), &Placement::default());
    let tsa = TimestampAuthority::new(holder(p, "tsa"));
    let once = archive_timestamp(&sealed, &tsa, SystemTime::now(), &long_term_data(p)).unwrap();
    assert!(once.starts_with(&sealed));
    let twice = archive_timestamp(&once, &tsa, SystemTime::now(), &long_term_data(p)).unwrap();
    assert!(twice.starts_with(&once));
    // The validation data is merged, not repeated.
    assert_eq!(dss_count(&twice, b"Certs"), dss_count(&sealed, b"Certs"));

    let report = verify_pdf(&twice, &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert_eq!(report.signatures.len(), 3);
    for (i, s) in report.signatures.iter().enumerate().skip(1) {
        let ts = s.report.check("timestamp").unwrap();
        assert!(
            ts.detail.contains("document timestamp"),
            "{i}: {}",
            ts.detail
        );
    }
    let modifications = report.signatures[0].report.check("modifications").unwrap();
    assert!(
        modifications.status == ecenter_seal::CheckStatus::Passed
            && modifications.detail.contains("document timestamp"),
        "{}",
        modifications.detail
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("archived.pdf");
    std::fs::write(&file, &twice).unwrap();
    let (valid, said) = pyhanko(p, &file);
    assert!(valid, "pyHanko: {said}");
    let nss = tempfile::tempdir().unwrap();
    let pdfsig = common::pdf::pdfsig(&common::pdf::nss_trusting(p, nss.path()), &file);
    // poppler 22 validates the seal and lists the document timestamps, the last covering the
    // whole file, but cannot validate ETSI.RFC3161 ("Unimplemented Feature"): pyHanko does above.
    assert_eq!(pdfsig.matches("Signature is Valid").count(), 1, "{pdfsig}");
    let last = pdfsig
        .split("ecenterArchive2")
        .nth(1)
        .expect("the second timestamp");
    assert!(last.contains("Total document signed"), "{pdfsig}");
    let qpdf = Command::new("qpdf")
        .arg("--check")
        .arg(&file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&qpdf.stdout);
    assert!(qpdf.status.success() && !said.contains("WARNING"), "{said}");
}
