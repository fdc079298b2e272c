//! SM2 seals through SealService over mTLS: the configuration chooses the algorithm per seal,
//! ApplySeal and VerifySeal work for SM2 seals as for ECDSA ones, gmssl agrees with the report,
//! and what cannot be done in SM2 (a PAdES seal) or without SM2 keys is refused by name.

mod common;

use common::pdf::{path, python_tool};
use common::*;
use ecenter_api::seal::Sm2SealConfig;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::seal_service_client::SealServiceClient;
use std::path::Path;
use tonic::Code;

/// A seal service client over mutual TLS.
type Seals = SealServiceClient<tonic::transport::Channel>;

const DOC: &[u8] = "（2026）鄂06民终88号 民事判决书 送达回证".as_bytes();

fn sm2_config(pki: &Path) -> Sm2SealConfig {
    let sm2 = pki.join("sm2");
    Sm2SealConfig {
        maker_cert: sm2.join("seal-maker.pem"),
        maker_key: sm2.join("seal-maker.key"),
        signer_cert: sm2.join("seal.pem"),
        signer_key: sm2.join("seal.key"),
        tsa_cert: Some(sm2.join("tsa.pem")),
        tsa_key: Some(sm2.join("tsa.key")),
    }
}

/// The hub's seal configuration with `[seals.sm2]` and the SM2 anchors beside the ECDSA ones.
fn with_sm2(pki: &Path) -> ecenter_api::seal::SealConfig {
    let mut c = seal_config(pki);
    let sm2 = pki.join("sm2");
    for list in [
        &mut c.trust_seal_makers,
        &mut c.trust_signers,
        &mut c.trust_tsas,
    ] {
        list.push(sm2.join("root-ca.pem"));
    }
    c.intermediates
        .extend([sm2.join("seal-ca.pem"), sm2.join("tsa-ca.pem")]);
    c.sm2 = Some(sm2_config(pki));
    c
}

fn create(id: &str, algorithm: pb::SealAlgorithm) -> pb::CreateSealRequest {
    pb::CreateSealRequest {
        seal_id: id.into(),
        name: "襄阳市中级人民法院诉讼服务专用章".into(),
        picture_png: seal_png(),
        valid_days: 365,
        algorithm: algorithm as i32,
    }
}

/// Creates an SM2 seal and an ECDSA one, checking each algorithm and that the list shows SM2.
async fn sm2_and_ecdsa_seals_are_created(court: &mut Seals) {
    let sm2 = court
        .create_seal(create("4206-GM-01", pb::SealAlgorithm::Sm2Sm3))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sm2.algorithm, pb::SealAlgorithm::Sm2Sm3 as i32);
    assert!(sm2.signer.contains("国密"), "{}", sm2.signer);
    let ecdsa = court
        .create_seal(create("4206-EC-01", pb::SealAlgorithm::Unspecified))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ecdsa.algorithm, pb::SealAlgorithm::EcdsaP256Sha256 as i32);
    let listed = court
        .list_seals(pb::ListSealsRequest {})
        .await
        .unwrap()
        .into_inner();
    let algorithms: Vec<i32> = listed.seals.iter().map(|s| s.algorithm).collect();
    assert!(
        algorithms.contains(&(pb::SealAlgorithm::Sm2Sm3 as i32)),
        "{algorithms:?}"
    );
}

/// Checks gmssl reads `signature` over DOC as valid, in SM2 throughout.
fn gmssl_agrees(signature: &[u8]) {
    // gmssl reads the same signature as valid, in SM2 throughout.
    let dir = tempfile::tempdir().unwrap();
    let (sig, doc) = (dir.path().join("s.der"), dir.path().join("d"));
    std::fs::write(&sig, signature).unwrap();
    std::fs::write(&doc, DOC).unwrap();
    let judged: serde_json::Value =
        serde_json::from_str(&python_tool("guomi.py", &["ses", path(&sig), path(&doc)])).unwrap();
    assert_eq!(
        judged["algorithm"],
        serde_json::json!(["1.2.156.10197.1.501", "1.2.156.10197.1.501"])
    );
    for check in ["signature", "data_hash", "seal"] {
        assert_eq!(judged[check], true, "gmssl on {check}: {judged}");
    }
}

/// Checks VerifySeal passes `signature` with DOC and fails it with another document.
async fn verify_seal_checks_the_document(court: &mut Seals, signature: &[u8]) {
    // VerifySeal: the document as sealed passes, another fails on its hash.
    let verify = |content: &[u8]| pb::VerifySealRequest {
        signature: signature.to_vec(),
        document: Some(pb::verify_seal_request::Document::Content(content.to_vec())),
    };
    let good = court.verify_seal(verify(DOC)).await.unwrap().into_inner();
    assert_eq!(good.indication, pb::Indication::Passed as i32, "{good:#?}");
    let bad = court
        .verify_seal(verify(b"another"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bad.indication, pb::Indication::Failed as i32, "{bad:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_court_creates_and_applies_an_sm2_seal_beside_an_ecdsa_one() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = with_sm2(pki.path());
    let hub = start_tls_with(data.path(), pki.path(), move |c| c.seals = Some(config)).await;
    let channel = channel_as(hub.addr, pki.path(), "court-xiangyang-cms").await;
    let mut court = SealServiceClient::new(channel);

    sm2_and_ecdsa_seals_are_created(&mut court).await;

    let applied = court
        .apply_seal(pb::ApplySealRequest {
            seal_id: "4206-GM-01".into(),
            target: Some(pb::apply_seal_request::Target::Content(DOC.to_vec())),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(applied.timestamped);
    let report = applied.report.unwrap();
    assert_eq!(
        report.indication,
        pb::Indication::Passed as i32,
        "{report:#?}"
    );
    let algorithm = report
        .checks
        .iter()
        .find(|c| c.name == "algorithm")
        .unwrap();
    assert!(
        algorithm.detail.contains("SM2 with SM3"),
        "{}",
        algorithm.detail
    );

    gmssl_agrees(&applied.signature);
    verify_seal_checks_the_document(&mut court, &applied.signature).await;

    // A PDF seal is PAdES in ECDSA: an SM2 seal is refused by name, with what to do instead.
    assert_status(
        court
            .seal_pdf(pb::SealPdfRequest {
                seal_id: "4206-GM-01".into(),
                target: Some(pb::seal_pdf_request::Target::Content(pdf("sm2"))),
                page: 0,
                position: None,
                reason: "电子送达".into(),
            })
            .await,
        Code::FailedPrecondition,
        "ApplySeal",
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_without_sm2_keys_refuses_an_sm2_seal_naming_the_setting() {
    let (pki, _data, hub) = tls_world().await;
    let channel = channel_as(hub.addr, pki.path(), "court-xiangyang-cms").await;
    let mut court = SealServiceClient::new(channel);
    assert_status(
        court
            .create_seal(create("4206-GM-02", pb::SealAlgorithm::Sm2Sm3))
            .await,
        Code::FailedPrecondition,
        "[seals.sm2]",
    );
    let mut unknown = create("4206-GM-03", pb::SealAlgorithm::Sm2Sm3);
    unknown.algorithm = 9;
    assert_status(
        court.create_seal(unknown).await,
        Code::InvalidArgument,
        "algorithm",
    );
    hub.stop().await;
}

#[test]
fn keys_in_the_wrong_place_are_refused_at_start_naming_the_setting() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let sm2 = pki.path().join("sm2");
    // An SM2 key as the main signer: PDFs could no longer be sealed.
    let mut c = with_sm2(pki.path());
    c.signer_cert = sm2.join("seal.pem");
    c.signer_key = sm2.join("seal.key");
    let err = c.load().err().unwrap();
    assert_eq!(
        (err.section.as_str(), err.field.as_str()),
        ("seals", "signer_key")
    );
    assert!(err.reason.contains("[seals.sm2]"), "{err}");
    // An ECDSA key under [seals.sm2].
    let mut c = with_sm2(pki.path());
    let mut keys = sm2_config(pki.path());
    keys.signer_cert = pki.path().join("seal.pem");
    keys.signer_key = pki.path().join("seal.key");
    c.sm2 = Some(keys);
    let err = c.load().err().unwrap();
    assert_eq!(
        (err.section.as_str(), err.field.as_str()),
        ("seals.sm2", "signer_key")
    );
    assert!(err.reason.contains("not SM2"), "{err}");
    assert!(
        err.to_string().starts_with("[seals.sm2] signer_key: "),
        "{err}"
    );
    // A maker without the maker role.
    let mut c = with_sm2(pki.path());
    let mut keys = sm2_config(pki.path());
    keys.maker_cert = sm2.join("seal.pem");
    keys.maker_key = sm2.join("seal.key");
    c.sm2 = Some(keys);
    let err = c.load().err().unwrap();
    assert_eq!(
        (err.section.as_str(), err.field.as_str()),
        ("seals.sm2", "maker_cert")
    );
    with_sm2(pki.path()).load().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crl_in_der_is_read_and_a_crl_file_without_a_crl_is_refused() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let sm2 = pki.path().join("sm2");
    ecenter_pki::sm2::revoke(pki.path(), &sm2.join("seal.pem")).unwrap();
    let der = pki.path().join("seal-ca-sm2.crl");
    let out = std::process::Command::new("openssl")
        .args([
            "crl",
            "-in",
            path(&sm2.join("seal-ca.crl.pem")),
            "-outform",
            "DER",
            "-out",
            path(&der),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut junk = with_sm2(pki.path());
    let junk_file = pki.path().join("junk.crl");
    std::fs::write(&junk_file, "not a CRL").unwrap();
    junk.crls = vec![junk_file];
    let err = junk.load().err().unwrap();
    assert_eq!(
        (err.section.as_str(), err.field.as_str()),
        ("seals", "crls")
    );
    assert!(err.reason.contains("junk.crl"), "{err}");

    let mut config = with_sm2(pki.path());
    config.crls = vec![der];
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls_with(data.path(), pki.path(), move |c| c.seals = Some(config)).await;
    let channel = channel_as(hub.addr, pki.path(), "court-xiangyang-cms").await;
    let mut court = SealServiceClient::new(channel);
    court
        .create_seal(create("4206-GM-09", pb::SealAlgorithm::Sm2Sm3))
        .await
        .unwrap();
    let applied = court
        .apply_seal(pb::ApplySealRequest {
            seal_id: "4206-GM-09".into(),
            target: Some(pb::apply_seal_request::Target::Content(DOC.to_vec())),
        })
        .await
        .unwrap()
        .into_inner();
    let report = applied.report.unwrap();
    assert_eq!(report.sub_indication, "REVOKED", "{report:#?}");
    hub.stop().await;
}

/// A VerifyOfd request for the OFD `bytes`.
fn ofd_content(bytes: Vec<u8>) -> pb::VerifyOfdRequest {
    pb::VerifyOfdRequest {
        document: Some(pb::verify_ofd_request::Document::Content(bytes)),
    }
}

fn plain_ofd(dir: &Path, pages: &str) -> Vec<u8> {
    let out = dir.join(format!("plain-{pages}.ofd"));
    python_tool("ofd_tools.py", &["plain", path(&out), pages]);
    std::fs::read(out).unwrap()
}

/// Checks `sealed_ofd` with a page changed after sealing FAILS over the API and in Python (written to `file`).
async fn a_changed_page_fails_here_and_in_python(
    court: &mut Seals,
    sealed_ofd: &[u8],
    file: &Path,
) {
    // A page changed after sealing: FAILED, here as in Python.
    let mut package =
        ecenter_ofdseal::package::Package::read(sealed_ofd, Default::default()).unwrap();
    let page = "/Doc_0/Pages/Page_0/Content.xml".to_string();
    let text = String::from_utf8(package.files[&page].clone()).unwrap();
    package
        .files
        .insert(page, text.replace("第1页", "第2页").into_bytes());
    let tampered = package.write().unwrap();
    let report = court
        .verify_ofd(ofd_content(tampered.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        report.indication,
        pb::Indication::Failed as i32,
        "{report:#?}"
    );
    std::fs::write(file, &tampered).unwrap();
    let judged: serde_json::Value =
        serde_json::from_str(&python_tool("ofd_tools.py", &["verify", path(file)])).unwrap();
    assert_eq!(judged[0]["valid"], false, "{judged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seal_ofd_and_verify_ofd_over_the_api_agree_with_the_python_verifier() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = with_sm2(pki.path());
    let hub = start_tls_with(data.path(), pki.path(), move |c| c.seals = Some(config)).await;
    let channel = channel_as(hub.addr, pki.path(), "court-xiangyang-cms").await;
    let mut court = SealServiceClient::new(channel);
    court
        .create_seal(create("4206-GM-OFD", pb::SealAlgorithm::Sm2Sm3))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ofd = plain_ofd(dir.path(), "3");

    let sealed = court
        .seal_ofd(pb::SealOfdRequest {
            seal_id: "4206-GM-OFD".into(),
            target: Some(pb::seal_ofd_request::Target::Content(ofd)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(sealed.timestamped, "the SM2 TSA stamps the SES_Signature");
    let file = dir.path().join("sealed.ofd");
    std::fs::write(&file, &sealed.sealed_ofd).unwrap();
    let judged: serde_json::Value =
        serde_json::from_str(&python_tool("ofd_tools.py", &["verify", path(&file)])).unwrap();
    assert_eq!(judged[0]["valid"], true, "{judged}");

    let report = ofd_passes(&mut court, sealed.sealed_ofd.clone()).await;
    assert_eq!((report.seals.len(), report.seals[0].page), (1, 3));
    let checks = &report.seals[0].report.as_ref().unwrap().checks;
    let timestamp = checks.iter().find(|c| c.name == "timestamp").unwrap();
    assert!(
        timestamp.detail.contains("国密时间戳"),
        "{}",
        timestamp.detail
    );

    a_changed_page_fails_here_and_in_python(&mut court, &sealed.sealed_ofd, &file).await;

    // Not an OFD: named.
    assert_status(
        court
            .seal_ofd(pb::SealOfdRequest {
                seal_id: "4206-GM-OFD".into(),
                target: Some(pb::seal_ofd_request::Target::Content(pdf("x"))),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "not an OFD",
    );
    assert_status(
        court
            .verify_ofd(ofd_content(b"PK\x03\x04 broken".to_vec()))
            .await,
        Code::InvalidArgument,
        "ZIP",
    );
    hub.stop().await;
}
