//! Seal verification: the good case passes, and each attack is refused with the right sub-indication.

use der::asn1::{BitString, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use ecenter_seal::asn1::SesSignature;
use ecenter_seal::*;
use std::path::Path;
use std::time::{Duration, SystemTime};

mod support;
use rustls_pki_types::pem::PemObject;
use support::{holder, pem_der};

const DAY: Duration = Duration::from_secs(86_400);

struct Fixture {
    _dir: tempfile::TempDir,
    maker: KeyHolder,
    signer: KeyHolder,
    lawyer: KeyHolder,
    trust: TrustStores,
    seal: Vec<u8>,
}

fn trust_of(dir: &Path) -> TrustStores {
    TrustStores {
        seal_makers: vec![pem_der(&dir.join("root-ca.pem"))],
        signers: vec![pem_der(&dir.join("root-ca.pem"))],
        intermediates: vec![
            pem_der(&dir.join("seal-ca.pem")),
            pem_der(&dir.join("tsa-ca.pem")),
        ],
        crls: Vec::new(),
        tsas: vec![pem_der(&dir.join("root-ca.pem"))],
        maker_role: None,
        maker_role_waived: false,
    }
}

fn spec(signers: Vec<Vec<u8>>) -> SealSpec {
    SealSpec {
        seal_id: "4206000000001".into(),
        name: "襄阳市中级人民法院诉讼服务专用章".into(),
        seal_type: 1,
        signers,
        valid_from: SystemTime::now() - DAY,
        valid_to: SystemTime::now() + 365 * DAY,
        picture_type: "PNG".into(),
        picture: b"\x89PNG\r\n\x1a\n red seal".to_vec(),
        size_mm: (42, 42),
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    ecenter_pki::init(dir.path(), false).unwrap();
    let maker = holder(dir.path(), "seal-maker");
    let signer = holder(dir.path(), "seal");
    let lawyer = holder(&dir.path().join("clients"), "lawyer-14201202010000001");
    let seal = make_seal(&spec(vec![signer.cert().to_vec()]), &maker).unwrap();
    let trust = trust_of(dir.path());
    Fixture {
        _dir: dir,
        maker,
        signer,
        lawyer,
        trust,
        seal,
    }
}

const DOC: &[u8] = "%PDF-1.7 （2026）鄂06民初123号 民事判决书".as_bytes();

fn sealed(f: &Fixture) -> Vec<u8> {
    seal_document(
        &f.seal,
        DOC,
        &f.signer,
        SystemTime::now(),
        "F000000000001/D1",
    )
    .unwrap()
}

fn assert_refused(report: &ValidationReport, indication: Indication, sub: SubIndication) {
    assert_eq!(
        (report.indication, report.sub_indication),
        (indication, Some(sub)),
        "{report:#?}"
    );
}

fn edit(der: &[u8], change: impl FnOnce(&mut SesSignature)) -> Vec<u8> {
    let mut s = SesSignature::from_der(der).unwrap();
    change(&mut s);
    s.to_der().unwrap()
}

#[test]
fn a_good_seal_passes_every_check() {
    let f = fixture();
    let report = verify(&sealed(&f), DOC, &f.trust, SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert_eq!(
        report.seal_name.as_deref(),
        Some("襄阳市中级人民法院诉讼服务专用章")
    );
    for name in [
        "strict_der",
        "algorithm",
        "signature",
        "document_hash",
        "seal_maker_signature",
        "seal_maker_chain",
        "seal_validity",
        "signer_listed_in_seal",
        "signer_chain",
        "key_usage",
    ] {
        assert_eq!(
            report.check(name).unwrap().status,
            CheckStatus::Passed,
            "{name}: {report:#?}"
        );
    }
    assert_eq!(
        report.check("timestamp").unwrap().status,
        CheckStatus::NotApplicable
    );
}

#[test]
fn a_document_modified_after_sealing_fails_its_hash() {
    let f = fixture();
    let mut changed = DOC.to_vec();
    changed[10] ^= 1;
    assert_refused(
        &verify(&sealed(&f), &changed, &f.trust, SystemTime::now()),
        Indication::Failed,
        SubIndication::HashFailure,
    );
}

#[test]
fn a_forged_signature_and_a_wrong_key_fail_cryptographically() {
    let f = fixture();
    let forged = edit(&sealed(&f), |s| {
        let mut bytes = s.signature.raw_bytes().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x55;
        s.signature = BitString::from_bytes(&bytes).unwrap();
    });
    assert_refused(
        &verify(&forged, DOC, &f.trust, SystemTime::now()),
        Indication::Failed,
        SubIndication::SigCryptoFailure,
    );
    // Signed with the lawyer's key, presenting the seal signer's certificate.
    let lawyer_seal = make_seal(&spec(vec![f.lawyer.cert().to_vec()]), &f.maker).unwrap();
    let by_lawyer = seal_document(&lawyer_seal, DOC, &f.lawyer, SystemTime::now(), "x").unwrap();
    let wrong_key = edit(&by_lawyer, |s| {
        s.cert = OctetString::new(f.signer.cert().to_vec()).unwrap();
    });
    let report = verify(&wrong_key, DOC, &f.trust, SystemTime::now());
    assert_refused(&report, Indication::Failed, SubIndication::SigCryptoFailure);
    assert!(matches!(
        report.check("signature").unwrap().status,
        CheckStatus::Failed(_)
    ));
}

#[test]
fn a_swapped_seal_picture_or_property_breaks_the_makers_signature() {
    let f = fixture();
    for change in [0, 1] {
        let swapped = edit(&sealed(&f), |s| {
            let info = &mut s.to_sign.eseal.eseal_info;
            if change == 0 {
                info.picture.data =
                    OctetString::new(b"\x89PNG\r\n\x1a\n another seal".to_vec()).unwrap();
            } else {
                info.property.name = "襄阳市中级人民法院".into();
            }
        });
        let report = verify(&swapped, DOC, &f.trust, SystemTime::now());
        assert_refused(&report, Indication::Failed, SubIndication::SigCryptoFailure);
        assert!(
            matches!(
                report.check("seal_maker_signature").unwrap().status,
                CheckStatus::Failed(_)
            ),
            "{report:#?}"
        );
    }
}

#[test]
fn a_signer_not_listed_in_the_seal_is_refused() {
    let f = fixture();
    let seal = make_seal(&spec(vec![f.lawyer.cert().to_vec()]), &f.maker).unwrap();
    // The API refuses to make this, so build it as a forger would: seal with a seal that lists the
    // signer, put the seal that does not list it in its place, and sign again with the signer's key.
    let listing = make_seal(&spec(vec![f.signer.cert().to_vec()]), &f.maker).unwrap();
    let der = seal_document(&listing, DOC, &f.signer, SystemTime::now(), "x").unwrap();
    let mut parsed = SesSignature::from_der(&der).unwrap();
    parsed.to_sign.eseal = ecenter_seal::asn1::SeSeal::from_der(&seal).unwrap();
    let tbs = parsed.to_sign.to_der().unwrap();
    parsed.signature = BitString::from_bytes(&resign(&f, &tbs)).unwrap();
    let der = parsed.to_der().unwrap();
    assert!(ecenter_seal::Sealer::new(&seal, &f.signer).is_err());
    let report = verify(&der, DOC, &f.trust, SystemTime::now());
    assert_refused(
        &report,
        Indication::Indeterminate,
        SubIndication::SigConstraintsFailure,
    );
    assert!(matches!(
        report.check("signer_listed_in_seal").unwrap().status,
        CheckStatus::Failed(_)
    ));
}

#[test]
fn a_chain_to_an_untrusted_same_name_root_is_refused() {
    let f = fixture();
    let rogue = tempfile::tempdir().unwrap();
    ecenter_pki::init(rogue.path(), false).unwrap();
    let rogue_signer = holder(rogue.path(), "seal");
    let rogue_maker = holder(rogue.path(), "seal-maker");
    let seal = make_seal(&spec(vec![rogue_signer.cert().to_vec()]), &rogue_maker).unwrap();
    let der = seal_document(&seal, DOC, &rogue_signer, SystemTime::now(), "x").unwrap();
    // Same names, other keys: the configured anchors are f's, so nothing chains.
    let report = verify(&der, DOC, &f.trust, SystemTime::now());
    assert_refused(
        &report,
        Indication::Indeterminate,
        SubIndication::NoCertificateChainFound,
    );
    // Even if the rogue intermediate is offered, anchors are never taken from the signature side.
    let mut trust = f.trust.clone();
    trust
        .intermediates
        .push(pem_der(&rogue.path().join("seal-ca.pem")));
    assert_refused(
        &verify(&der, DOC, &trust, SystemTime::now()),
        Indication::Indeterminate,
        SubIndication::NoCertificateChainFound,
    );
}

#[test]
fn expired_and_not_yet_valid_certificates_and_a_back_dated_claim_are_refused() {
    let f = fixture();
    // Validated three years on: the signer's two-year certificate has expired, and the claimed
    // (earlier) signing time is not proven by any timestamp.
    let report = verify(
        &sealed(&f),
        DOC,
        &f.trust,
        SystemTime::now() + 3 * 365 * DAY,
    );
    assert_eq!(
        report.check("signer_chain").unwrap().status,
        CheckStatus::Failed(SubIndication::OutOfBoundsNoPoe)
    );
    assert!(
        report
            .check("signer_chain")
            .unwrap()
            .detail
            .contains("not proven by a timestamp")
    );
    assert_eq!(report.indication, Indication::Indeterminate);
    // A signature claiming a time before the certificate existed, checked "then": not yet valid.
    let report = verify(&sealed(&f), DOC, &f.trust, SystemTime::now() - 30 * DAY);
    assert_refused(&report, Indication::Failed, SubIndication::NotYetValid);
}

#[test]
fn an_algorithm_outside_the_allow_list_is_refused() {
    let f = fixture();
    // ecdsa-with-SHA1: a real algorithm, not on the allow-list.
    let sha1 = edit(&sealed(&f), |s| {
        s.signature_alg_id = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");
    });
    assert_refused(
        &verify(&sha1, DOC, &f.trust, SystemTime::now()),
        Indication::Indeterminate,
        SubIndication::CryptoConstraintsFailure,
    );
    // SM2 is allowed, but an ECDSA signature relabelled as SM2 is no SM2 signature: the
    // signer's key is no SM2 key.
    let sm2 = edit(&sealed(&f), |s| s.signature_alg_id = SM2_WITH_SM3);
    let report = verify(&sm2, DOC, &f.trust, SystemTime::now());
    assert_refused(&report, Indication::Failed, SubIndication::SigCryptoFailure);
    let detail = &report.check("signature").unwrap().detail;
    assert!(detail.contains("not an SM2 key"), "{detail}");
    let made_up = edit(&sealed(&f), |s| {
        s.to_sign.eseal.sign_alg_id = ObjectIdentifier::new_unwrap("1.2.3.4");
    });
    assert_refused(
        &verify(&made_up, DOC, &f.trust, SystemTime::now()),
        Indication::Indeterminate,
        SubIndication::CryptoConstraintsFailure,
    );
}

#[test]
fn truncated_and_non_der_input_is_a_format_failure() {
    let f = fixture();
    let der = sealed(&f);
    assert_refused(
        &verify(&der[..der.len() - 1], DOC, &f.trust, SystemTime::now()),
        Indication::Failed,
        SubIndication::FormatFailure,
    );
    assert_refused(
        &verify(&[], DOC, &f.trust, SystemTime::now()),
        Indication::Failed,
        SubIndication::FormatFailure,
    );
    // The same content in BER with an indefinite length is not DER.
    let mut ber = vec![0x30, 0x80];
    ber.extend_from_slice(&der[4..]);
    ber.extend_from_slice(&[0, 0]);
    assert_refused(
        &verify(&ber, DOC, &f.trust, SystemTime::now()),
        Indication::Failed,
        SubIndication::FormatFailure,
    );
    // Trailing bytes after the structure.
    let mut trailing = der.clone();
    trailing.push(0);
    assert_refused(
        &verify(&trailing, DOC, &f.trust, SystemTime::now()),
        Indication::Failed,
        SubIndication::FormatFailure,
    );
}

#[test]
fn a_bit_string_with_unused_bits_is_a_format_failure_not_read_by_its_bytes() {
    // Outside tests, round 21, F4: a signature BIT STRING saying one bit of its last octet is
    // unused was verified by its bytes, so two encodings of one seal both passed. A signature
    // whose last octet is even keeps its DER padding rule (unused bits zero) when one bit is
    // declared unused: only the count changes.
    let f = fixture();
    let der = std::iter::repeat_with(|| sealed(&f))
        .find(|der| {
            let s = SesSignature::from_der(der).unwrap();
            s.signature.raw_bytes().last().is_some_and(|b| b & 1 == 0)
        })
        .unwrap();
    assert_eq!(
        verify(&der, DOC, &f.trust, SystemTime::now()).indication,
        Indication::Passed
    );
    let padded = edit(&der, |s| {
        s.signature = BitString::new(1, s.signature.raw_bytes()).unwrap();
    });
    assert_ne!(padded, der, "only the unused-bit count differs");
    let report = verify(&padded, DOC, &f.trust, SystemTime::now());
    assert_refused(&report, Indication::Failed, SubIndication::FormatFailure);
    let why = &report.check("strict_der").unwrap().detail;
    assert!(
        why.contains("signature is a BIT STRING with 1 unused bits"),
        "{why}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn the_decoder_never_panics_on_mutated_or_random_input(
        flips in proptest::collection::vec((0usize..4096, 0u8..=255), 0..8),
        cut in 0usize..4096,
        random in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
    ) {
        let f = FIXTURE.with(|f| (sealed(f), f.trust.clone()));
        let (mut der, trust) = f;
        for (at, x) in flips {
            let n = der.len();
            der[at % n] ^= x;
        }
        der.truncate(cut.max(1).min(der.len()));
        let _ = verify(&der, DOC, &trust, SystemTime::now());
        let _ = verify(&random, DOC, &trust, SystemTime::now());
    }
}

thread_local! {
    static FIXTURE: Fixture = fixture();
}

fn tsa_of(dir: &Path) -> ecenter_seal::tsa::TimestampAuthority {
    ecenter_seal::tsa::TimestampAuthority::new(holder(dir, "tsa"))
}

#[test]
fn a_timestamp_proves_the_signing_time_after_the_signer_certificate_expired() {
    let f = fixture();
    let tsa = tsa_of(f._dir.path());
    let stamped = add_timestamp(&sealed(&f), &tsa, SystemTime::now()).unwrap();
    let report = verify(&stamped, DOC, &f.trust, SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert_eq!(
        report.check("timestamp").unwrap().status,
        CheckStatus::Passed
    );
    // Three years on, the signer's certificate has expired, but the timestamp proves it was valid
    // when the seal was applied.
    let later = verify(&stamped, DOC, &f.trust, SystemTime::now() + 3 * 365 * DAY);
    assert_eq!(
        later.check("signer_chain").unwrap().status,
        CheckStatus::Passed,
        "{later:#?}"
    );
}

#[test]
fn a_back_dated_time_with_a_timestamp_from_an_untrusted_tsa_proves_nothing() {
    let f = fixture();
    let rogue = tempfile::tempdir().unwrap();
    ecenter_pki::init(rogue.path(), false).unwrap();
    let back_dated =
        seal_document(&f.seal, DOC, &f.signer, SystemTime::now() - 10 * DAY, "x").unwrap();
    let stamped = add_timestamp(
        &back_dated,
        &tsa_of(rogue.path()),
        SystemTime::now() - 10 * DAY,
    )
    .unwrap();
    let report = verify(&stamped, DOC, &f.trust, SystemTime::now());
    assert_eq!(
        report.check("timestamp").unwrap().status,
        CheckStatus::Failed(SubIndication::NoPoe),
        "{report:#?}"
    );
    assert!(
        report
            .check("timestamp")
            .unwrap()
            .detail
            .contains("not trusted for time-stamping")
    );
    assert_refused(&report, Indication::Indeterminate, SubIndication::NoPoe);
}

#[test]
fn a_timestamp_over_another_signature_is_refused() {
    let f = fixture();
    let tsa = tsa_of(f._dir.path());
    let one = add_timestamp(&sealed(&f), &tsa, SystemTime::now()).unwrap();
    let other = sealed(&f); // ECDSA signatures differ each time
    let token = SesSignature::from_der(&one).unwrap().time_stamp.unwrap();
    let moved = edit(&other, |s| s.time_stamp = Some(token));
    let report = verify(&moved, DOC, &f.trust, SystemTime::now());
    assert_eq!(
        report.check("timestamp").unwrap().status,
        CheckStatus::Failed(SubIndication::NoPoe)
    );
    assert!(
        report
            .check("timestamp")
            .unwrap()
            .detail
            .contains("imprint")
    );
}

/// `openssl ts -verify` of `token.der` over `data.bin` in `work`, trusting the PKI in `pki`.
fn openssl_ts_verify(work: &Path, pki: &Path) -> std::process::Output {
    std::process::Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(work.join("token.der"))
        .arg("-data")
        .arg(work.join("data.bin"))
        .arg("-CAfile")
        .arg(pki.join("root-ca.pem"))
        .arg("-untrusted")
        .arg(pki.join("tsa-ca.pem"))
        .output()
        .expect("openssl runs")
}

#[test]
fn openssl_ts_verify_accepts_the_hubs_timestamp_tokens() {
    let f = fixture();
    let dir = f._dir.path();
    let tsa = tsa_of(dir);
    let data = "签章值 signature value bytes".as_bytes();
    let token = tsa.timestamp(data, SystemTime::now()).unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("data.bin"), data).unwrap();
    std::fs::write(work.path().join("token.der"), &token).unwrap();
    let out = openssl_ts_verify(work.path(), dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("Verification: OK"),
        "{text}"
    );
    // And refuses it for other data.
    std::fs::write(work.path().join("data.bin"), b"other").unwrap();
    let out = openssl_ts_verify(work.path(), dir);
    assert!(!out.status.success());
}

fn leaf(dir: &Path, out: &str, key_usages: Vec<ecenter_pki::Ku>) -> KeyHolder {
    let now = time::OffsetDateTime::now_utc();
    let spec = ecenter_pki::LeafSpec {
        name: format!("测试签章人 {out}"),
        not_before: now - time::Duration::hours(1),
        not_after: now + time::Duration::days(365),
        key_usages,
        extended_key_usages: Vec::new(),
        extensions: Vec::new(),
    };
    ecenter_pki::issue_leaf(dir, "seal-ca", &spec, out).unwrap();
    holder(dir, out)
}

#[test]
fn a_signer_revoked_by_the_seal_ca_is_refused() {
    let f = fixture();
    let dir = f._dir.path();
    let signer = leaf(
        dir,
        "revoked-signer",
        vec![ecenter_pki::Ku::DigitalSignature],
    );
    let seal = make_seal(&spec(vec![signer.cert().to_vec()]), &f.maker).unwrap();
    let der = seal_document(&seal, DOC, &signer, SystemTime::now(), "x").unwrap();
    let mut trust = f.trust.clone();
    ecenter_pki::revoke_under(dir, "seal-ca", &dir.join("revoked-signer.pem")).unwrap();
    let crl = std::fs::read(dir.join("seal-ca.crl.pem")).unwrap();
    let crl = rustls_pki_types::CertificateRevocationListDer::from_pem_slice(&crl).unwrap();
    trust.crls.push(crl.as_ref().to_vec());
    let report = verify(&der, DOC, &trust, SystemTime::now());
    assert_refused(&report, Indication::Failed, SubIndication::Revoked);
    // When, named: the CRL's revocation date, before the time that counts.
    let why = &report.check("signer_chain").unwrap().detail;
    assert!(
        why.contains("was revoked at") && why.contains("before the time that counts"),
        "{why}"
    );
    // A signature a timestamp proves older than the revocation (made half an hour ago; the CRL
    // revokes as of a minute ago) stands (round 22b, F2; ETSI EN 319 102-1 §5.6.2.4).
    let earlier = SystemTime::now() - Duration::from_secs(30 * 60);
    let timely = seal_document(&seal, DOC, &signer, earlier, "x").unwrap();
    let timely = add_timestamp(&timely, &tsa_of(dir), earlier).unwrap();
    let report = verify(&timely, DOC, &trust, SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    let said = &report.check("signer_chain").unwrap().detail;
    assert!(said.contains("after the time that counts"), "{said}");
    // The CRL does not touch other signers.
    assert_eq!(
        verify(&sealed(&f), DOC, &trust, SystemTime::now()).indication,
        Indication::Passed
    );
}

/// A CRL of the seal CA dated `days` ahead and listing nothing, made by Python's `cryptography`
/// (another implementation than the hub's own CA), as DER.
fn crl_dated_ahead(dir: &Path, days: u32) -> Vec<u8> {
    let script = r#"
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
d = sys.argv[1]
ca = x509.load_pem_x509_certificate(open(d + "/seal-ca.pem", "rb").read())
key = serialization.load_pem_private_key(open(d + "/seal-ca.key", "rb").read(), None)
at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=int(sys.argv[2]))
aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key())
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
       .last_update(at).next_update(at + datetime.timedelta(days=30))
       .add_extension(x509.CRLNumber(1), critical=False)
       .add_extension(aki, critical=False)
       .sign(key, hashes.SHA256()))
sys.stdout.buffer.write(crl.public_bytes(serialization.Encoding.DER))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, dir.to_str().unwrap(), &days.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn a_crl_dated_after_now_is_flagged_not_trusted_to_clear_a_revoked_signer() {
    // Outside tests, round 22b, F10: a CRL from the future won as the issuer's newest and
    // cleared a certificate the real newest CRL revokes.
    let f = fixture();
    let dir = f._dir.path();
    let signer = leaf(dir, "revoked-2", vec![ecenter_pki::Ku::DigitalSignature]);
    let seal = make_seal(&spec(vec![signer.cert().to_vec()]), &f.maker).unwrap();
    let der = seal_document(&seal, DOC, &signer, SystemTime::now(), "x").unwrap();
    ecenter_pki::revoke_under(dir, "seal-ca", &dir.join("revoked-2.pem")).unwrap();
    let crl = std::fs::read(dir.join("seal-ca.crl.pem")).unwrap();
    let crl = rustls_pki_types::CertificateRevocationListDer::from_pem_slice(&crl).unwrap();
    let mut trust = f.trust.clone();
    trust.crls = vec![crl.as_ref().to_vec(), crl_dated_ahead(dir, 5)];
    let report = verify(&der, DOC, &trust, SystemTime::now());
    assert_eq!(report.indication, Indication::Indeterminate, "{report:#?}");
    let why = &report.check("signer_chain").unwrap().detail;
    assert!(
        why.contains("after now") && why.contains("replace it"),
        "{why}"
    );
}

#[test]
fn a_ca_certificate_is_no_signer() {
    // Outside tests, round 22b, F12: a certificate with basicConstraints cA=TRUE (and
    // digitalSignature) passed as a document signer.
    let f = fixture();
    let dir = f._dir.path();
    let now = time::OffsetDateTime::now_utc();
    let mut ca_flag = ecenter_pki::CustomExtension::from_oid_content(
        &[2, 5, 29, 19],
        vec![0x30, 0x03, 0x01, 0x01, 0xFF],
    );
    ca_flag.set_criticality(true);
    let spec = ecenter_pki::LeafSpec {
        name: "测试签章人 CA".into(),
        not_before: now - time::Duration::hours(1),
        not_after: now + time::Duration::days(365),
        key_usages: vec![
            ecenter_pki::Ku::DigitalSignature,
            ecenter_pki::Ku::KeyCertSign,
        ],
        extended_key_usages: Vec::new(),
        extensions: vec![ca_flag],
    };
    ecenter_pki::issue_leaf(dir, "seal-ca", &spec, "ca-signer").unwrap();
    let signer = holder(dir, "ca-signer");
    let seal = make_seal(&spec_of(&signer), &f.maker).unwrap();
    let der = seal_document(&seal, DOC, &signer, SystemTime::now(), "x").unwrap();
    let report = verify(&der, DOC, &f.trust, SystemTime::now());
    assert_ne!(report.indication, Indication::Passed, "{report:#?}");
    let why = &report.check("key_usage").unwrap().detail;
    assert!(why.contains("basicConstraints cA=TRUE"), "{report:#?}");
}

fn spec_of(signer: &KeyHolder) -> SealSpec {
    spec(vec![signer.cert().to_vec()])
}

#[test]
fn a_signer_certificate_without_a_signing_key_usage_is_refused() {
    let f = fixture();
    let signer = leaf(
        f._dir.path(),
        "encipher-only",
        vec![ecenter_pki::Ku::KeyEncipherment],
    );
    let seal = make_seal(&spec(vec![signer.cert().to_vec()]), &f.maker).unwrap();
    let der = seal_document(&seal, DOC, &signer, SystemTime::now(), "x").unwrap();
    let report = verify(&der, DOC, &f.trust, SystemTime::now());
    assert_refused(
        &report,
        Indication::Indeterminate,
        SubIndication::ChainConstraintsFailure,
    );
    assert!(
        report
            .check("key_usage")
            .unwrap()
            .detail
            .contains("neither digitalSignature nor nonRepudiation")
    );
}

#[test]
fn a_cached_chain_gives_the_same_answers_and_expires_with_its_certificates() {
    let f = fixture();
    let verifier = Verifier::new(f.trust.clone());
    let der = sealed(&f);
    for _ in 0..3 {
        let report = verifier.verify(&der, DOC, SystemTime::now());
        assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    }
    // The path is not built again, and what the CRLs say is said afresh: with none given, that
    // revocation was not checked — never "not revoked" (outside tests, round 22b, F1).
    let warm = verifier.verify(&der, DOC, SystemTime::now());
    let said = &warm.check("signer_chain").unwrap().detail;
    assert!(said.contains("path validated before"), "{said}");
    assert!(
        said.contains("revocation not checked: no CRL given"),
        "{said}"
    );
    // Outside the cached window the chain is validated again, and fails.
    let later = verifier.verify(&der, DOC, SystemTime::now() + 3 * 365 * DAY);
    assert_eq!(
        later.check("signer_chain").unwrap().status,
        CheckStatus::Failed(SubIndication::OutOfBoundsNoPoe)
    );
    // A modified document is still caught with a warm cache.
    assert_refused(
        &verifier.verify(&der, b"other", SystemTime::now()),
        Indication::Failed,
        SubIndication::HashFailure,
    );
}

#[test]
fn the_fast_sealer_writes_exactly_the_der_of_the_standard_structure() {
    let f = fixture();
    let der = sealed(&f);
    let parsed = SesSignature::from_der(&der).unwrap();
    assert_eq!(
        parsed.to_der().unwrap(),
        der,
        "splicing produced canonical DER"
    );
    assert_eq!(
        parsed.to_sign.eseal.to_der().unwrap(),
        f.seal,
        "the seal is carried verbatim"
    );
    // A signer the seal does not list cannot use it.
    let err = seal_document(&f.seal, DOC, &f.lawyer, SystemTime::now(), "x")
        .err()
        .unwrap();
    assert!(err.to_string().contains("not listed in the seal"), "{err}");
}

/// Signs raw bytes with the seal signer's key (for building forgeries the API refuses to make).
fn resign(f: &Fixture, data: &[u8]) -> Vec<u8> {
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
    let key = std::fs::read(f._dir.path().join("seal.key")).unwrap();
    let pkcs8 = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(&key).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        pkcs8.secret_pkcs8_der(),
        &rng,
    )
    .unwrap();
    pair.sign(&rng, data).unwrap().as_ref().to_vec()
}
