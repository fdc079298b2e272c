//! A PDF seal names the GB/T 38540 seal whose picture it shows (signed attribute
//! id-aa-ecenter-eSeal): the verifier checks that seal as it checks a seal signature's — its maker,
//! role, window and signer list — and pyHanko still accepts the signature (an unknown signed
//! attribute is allowed by RFC 5652 §5.3).

mod common;

use common::pdf::{der_of, holder, pyhanko, trust};
use ecenter_pdfseal::{Placement, SignatureInfo, seal_pdf, verify_pdf};
use ecenter_seal::{CheckStatus, Indication, KeyHolder, SealSpec, make_seal};
use std::path::Path;
use std::time::{Duration, SystemTime};

fn spec(signers: Vec<Vec<u8>>) -> SealSpec {
    SealSpec {
        seal_id: "4206-SSFW-07".into(),
        name: "襄阳市中级人民法院诉讼服务专用章".into(),
        seal_type: 1,
        signers,
        valid_from: SystemTime::now() - Duration::from_secs(3600),
        valid_to: SystemTime::now() + Duration::from_secs(86_400),
        picture_type: "PNG".into(),
        picture: b"\x89PNG\r\n\x1a\n red".to_vec(),
        size_mm: (42, 42),
    }
}

fn sealed_naming(pki: &Path, seal: Vec<u8>) -> Vec<u8> {
    seal_pdf(
        &ecenter_pdfseal::sample_pdf(1, 0),
        &ecenter_pdfseal::Sealer {
            signer: &holder(pki, "seal"),
            chain: &[der_of(&pki.join("seal-ca.pem"))],
            tsa: None,
        },
        SystemTime::now(),
        &Placement::default(),
        &SignatureInfo {
            seal: Some(seal),
            ..Default::default()
        },
    )
    .unwrap()
}

fn status(report: &ecenter_pdfseal::PdfReport, name: &str) -> CheckStatus {
    report.signatures[0]
        .report
        .check(name)
        .unwrap_or_else(|| panic!("no {name}: {report:#?}"))
        .status
        .clone()
}

#[test]
fn the_named_seal_is_checked_and_pyhanko_still_accepts_the_signature() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let signer = holder(p, "seal");
    let seal = make_seal(
        &spec(vec![signer.cert().to_vec()]),
        &holder(p, "seal-maker"),
    )
    .unwrap();
    let pdf = sealed_naming(p, seal);
    let report = verify_pdf(&pdf, &trust(p), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    let r = &report.signatures[0].report;
    assert_eq!(r.seal_id.as_deref(), Some("4206-SSFW-07"));
    assert_eq!(
        r.seal_name.as_deref(),
        Some("襄阳市中级人民法院诉讼服务专用章")
    );
    for name in [
        "seal",
        "seal_maker_signature",
        "seal_maker_chain",
        "seal_maker_role",
        "seal_validity",
        "signer_listed_in_seal",
    ] {
        assert_eq!(status(&report, name), CheckStatus::Passed, "{name}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sealed.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let (valid, said) = pyhanko(p, &file);
    assert!(valid, "pyHanko: {said}");
}

#[test]
fn a_seal_that_does_not_list_the_signer_or_was_made_by_a_signer_fails_the_pdf_signature() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let signer = holder(p, "seal");
    let lawyer: KeyHolder = holder(&p.join("clients"), "lawyer-14201202010000001");
    // A real seal, but for someone else.
    let theirs = make_seal(
        &spec(vec![lawyer.cert().to_vec()]),
        &holder(p, "seal-maker"),
    )
    .unwrap();
    let report = verify_pdf(&sealed_naming(p, theirs), &trust(p), SystemTime::now()).unwrap();
    assert_ne!(report.indication, Indication::Passed);
    assert!(matches!(
        status(&report, "signer_listed_in_seal"),
        CheckStatus::Failed(_)
    ));
    // A seal the signer minted for itself.
    let own = make_seal(&spec(vec![signer.cert().to_vec()]), &signer).unwrap();
    let report = verify_pdf(&sealed_naming(p, own), &trust(p), SystemTime::now()).unwrap();
    assert_ne!(report.indication, Indication::Passed);
    assert!(matches!(
        status(&report, "seal_maker_role"),
        CheckStatus::Failed(_)
    ));
}
