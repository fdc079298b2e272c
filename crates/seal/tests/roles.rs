//! Only a seal maker makes seals: a signer's certificate minting its own seal fails, a maker must
//! chain to the maker anchors and carry the configured maker role (EKU or certificate policy).

use der::Encode;
use der::asn1::ObjectIdentifier;
use ecenter_seal::*;
use std::path::Path;
use std::time::{Duration, SystemTime};

mod support;
use support::{holder, pem_der};

const DAY: Duration = Duration::from_secs(86_400);
const DOC: &[u8] = "（2026）鄂06民初7号 民事判决书".as_bytes();

fn trust_of(dir: &Path) -> TrustStores {
    TrustStores {
        seal_makers: vec![pem_der(&dir.join("root-ca.pem"))],
        signers: vec![pem_der(&dir.join("root-ca.pem"))],
        intermediates: vec![pem_der(&dir.join("seal-ca.pem"))],
        crls: Vec::new(),
        tsas: Vec::new(),
        maker_role: None,
        maker_role_waived: false,
    }
}

fn spec(name: &str, signers: Vec<Vec<u8>>) -> SealSpec {
    SealSpec {
        seal_id: "1000000000001".into(),
        name: name.into(),
        seal_type: 1,
        signers,
        valid_from: SystemTime::now() - DAY,
        valid_to: SystemTime::now() + 365 * DAY,
        picture_type: "PNG".into(),
        picture: b"\x89PNG\r\n\x1a\n red seal".to_vec(),
        size_mm: (42, 42),
    }
}

fn sealed_by(maker: &KeyHolder, signer: &KeyHolder, name: &str) -> Vec<u8> {
    let seal = make_seal(&spec(name, vec![signer.cert().to_vec()]), maker).unwrap();
    seal_document(&seal, DOC, signer, SystemTime::now(), "F1/D1").unwrap()
}

fn status(report: &ValidationReport, name: &str) -> (CheckStatus, String) {
    let c = report
        .check(name)
        .unwrap_or_else(|| panic!("no {name}: {report:#?}"));
    (c.status.clone(), c.detail.clone())
}

#[test]
fn a_signer_minting_its_own_seal_fails_for_want_of_the_maker_role() {
    let dir = tempfile::tempdir().unwrap();
    ecenter_pki::init(dir.path(), false).unwrap();
    let signer = holder(dir.path(), "seal");
    let der = sealed_by(&signer, &signer, "最高人民法院诉讼服务专用章");
    let report = verify(&der, DOC, &trust_of(dir.path()), SystemTime::now());
    assert_ne!(report.indication, Indication::Passed, "{report:#?}");
    let (st, detail) = status(&report, "seal_maker_role");
    assert!(matches!(st, CheckStatus::Failed(_)), "{detail}");
    assert!(detail.contains("seal-maker role"), "{detail}");
    // The PKI's maker passes, naming its role.
    let maker = holder(dir.path(), "seal-maker");
    let good = sealed_by(&maker, &signer, "襄阳市中级人民法院诉讼服务专用章");
    let report = verify(&good, DOC, &trust_of(dir.path()), SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    let (_, detail) = status(&report, "seal_maker_role");
    assert!(detail.contains("1.3.6.1.4.1.59648.1.2"), "{detail}");
}

#[test]
fn a_maker_must_chain_to_the_maker_anchors_not_the_signer_anchors() {
    let dir = tempfile::tempdir().unwrap();
    ecenter_pki::init(dir.path(), false).unwrap();
    let other = tempfile::tempdir().unwrap();
    ecenter_pki::init(other.path(), false).unwrap();
    let der = sealed_by(
        &holder(dir.path(), "seal-maker"),
        &holder(dir.path(), "seal"),
        "襄阳市中级人民法院诉讼服务专用章",
    );
    let mut trust = trust_of(dir.path());
    // Signers still trusted; makers only from another court's root.
    trust.seal_makers = vec![pem_der(&other.path().join("root-ca.pem"))];
    let report = verify(&der, DOC, &trust, SystemTime::now());
    assert_ne!(report.indication, Indication::Passed);
    assert!(matches!(
        status(&report, "seal_maker_chain").0,
        CheckStatus::Failed(_)
    ));
    assert_eq!(status(&report, "signer_chain").0, CheckStatus::Passed);
}

/// certificatePolicies (RFC 5280 §4.2.1.4) naming one policy.
fn policies(oid: &str) -> ecenter_pki::CustomExtension {
    let policy = x509_cert::ext::pkix::certpolicy::PolicyInformation {
        policy_identifier: ObjectIdentifier::new_unwrap(oid),
        policy_qualifiers: None,
    };
    let der = vec![policy].to_der().unwrap();
    ecenter_pki::CustomExtension::from_oid_content(&[2, 5, 29, 32], der)
}

#[test]
fn a_maker_role_given_as_a_certificate_policy_counts_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    ecenter_pki::init(dir.path(), false).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let court_policy = "1.2.156.112560.1.1";
    let leaf = ecenter_pki::LeafSpec {
        name: "某省法院电子印章制作者（测试）".into(),
        not_before: now - time::Duration::hours(1),
        not_after: now + time::Duration::days(30),
        key_usages: vec![ecenter_pki::Ku::DigitalSignature],
        extended_key_usages: Vec::new(),
        extensions: vec![policies(court_policy)],
    };
    ecenter_pki::issue_leaf(dir.path(), "seal-ca", &leaf, "policy-maker").unwrap();
    let der = sealed_by(
        &holder(dir.path(), "policy-maker"),
        &holder(dir.path(), "seal"),
        "某省高级人民法院电子签章",
    );
    let mut trust = trust_of(dir.path());
    let refused = verify(&der, DOC, &trust, SystemTime::now());
    assert!(matches!(
        status(&refused, "seal_maker_role").0,
        CheckStatus::Failed(_)
    ));
    trust.maker_role = Some(ObjectIdentifier::new_unwrap(court_policy));
    let report = verify(&der, DOC, &trust, SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert!(
        status(&report, "seal_maker_role")
            .1
            .contains("certificate policy")
    );
}

/// A maker whose role is a certificate policy may carry EKUs for other purposes.
#[test]
fn a_maker_role_given_as_a_policy_beside_other_ekus_counts() {
    let dir = tempfile::tempdir().unwrap();
    ecenter_pki::init(dir.path(), false).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let court_policy = "1.2.156.112560.1.1";
    let leaf = ecenter_pki::LeafSpec {
        name: "某省法院电子印章制作者（测试）".into(),
        not_before: now - time::Duration::hours(1),
        not_after: now + time::Duration::days(30),
        key_usages: vec![ecenter_pki::Ku::DigitalSignature],
        // id-kp-documentSigning (RFC 9336)
        extended_key_usages: vec![ecenter_pki::Eku::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 36])],
        extensions: vec![policies(court_policy)],
    };
    ecenter_pki::issue_leaf(dir.path(), "seal-ca", &leaf, "policy-maker").unwrap();
    let der = sealed_by(
        &holder(dir.path(), "policy-maker"),
        &holder(dir.path(), "seal"),
        "某省高级人民法院电子签章",
    );
    let mut trust = trust_of(dir.path());
    trust.maker_role = Some(ObjectIdentifier::new_unwrap(court_policy));
    let report = verify(&der, DOC, &trust, SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
}

/// The maker's certificate is judged at the trusted signing time, as the signer's is: one that
/// expired after a timestamped seal does not undo it; without a timestamp it does.
#[test]
fn a_maker_certificate_expired_since_a_timestamped_seal_still_vouches_for_it() {
    let dir = tempfile::tempdir().unwrap();
    ecenter_pki::init(dir.path(), false).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let leaf = ecenter_pki::LeafSpec {
        name: "短期制章者（测试）".into(),
        not_before: now - time::Duration::hours(1),
        not_after: now + time::Duration::hours(1),
        key_usages: vec![ecenter_pki::Ku::DigitalSignature],
        extended_key_usages: vec![ecenter_pki::Eku::Other(
            ecenter_pki::SEAL_MAKER_ROLE.to_vec(),
        )],
        extensions: Vec::new(),
    };
    ecenter_pki::issue_leaf(dir.path(), "seal-ca", &leaf, "short-maker").unwrap();
    let plain = sealed_by(
        &holder(dir.path(), "short-maker"),
        &holder(dir.path(), "seal"),
        "襄阳市中级人民法院诉讼服务专用章",
    );
    let tsa = tsa::TimestampAuthority::new(holder(dir.path(), "tsa"));
    let stamped = add_timestamp(&plain, &tsa, SystemTime::now()).unwrap();
    let mut trust = trust_of(dir.path());
    trust.tsas = vec![pem_der(&dir.path().join("root-ca.pem"))];
    trust
        .intermediates
        .push(pem_der(&dir.path().join("tsa-ca.pem")));
    let later = SystemTime::now() + Duration::from_secs(2 * 3600);
    let report = verify(&stamped, DOC, &trust, later);
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    let report = verify(&plain, DOC, &trust, later);
    assert!(
        matches!(
            report.check("seal_maker_chain").unwrap().status,
            CheckStatus::Failed(_)
        ),
        "{report:#?}"
    );
}
