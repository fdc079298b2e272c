//! The hub seals PDFs at PAdES B-LTA and renews them before their newest timestamp ages out:
//! a renewal with a TSA certificate that would outlive nothing is refused (and counted), one with a
//! longer-lived TSA certificate appends a document timestamp, records `archive_timestamp_added`,
//! and the document downloaded afterwards is the renewed one, which pyHanko accepts.

mod common;

use common::pdf::{pyhanko, trust};
use common::{
    Succeeds, channel_as, court_with_seal, file_documents, seal_config, start_tls, tls_client,
};
use ecenter_api::archive::renew_due;
use ecenter_pdfseal::verify_pdf;
use ecenter_proto::v1 as pb;
use ecenter_seal::Indication;
use ecenter_store::EventLog;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

/// A second TSA certificate under the PKI's TSA CA, valid ten years (RFC 3161 §2.3: the
/// timeStamping purpose alone, critical).
fn longer_lived_tsa(pki: &Path) {
    let now = time::OffsetDateTime::now_utc();
    let mut eku = ecenter_pki::CustomExtension::from_oid_content(
        &[2, 5, 29, 37],
        vec![
            0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08,
        ],
    );
    eku.set_criticality(true);
    let spec = ecenter_pki::LeafSpec {
        name: "ecenter 时间戳服务 2036（测试）".into(),
        not_before: now - time::Duration::hours(1),
        not_after: now + time::Duration::days(3650),
        key_usages: vec![ecenter_pki::Ku::DigitalSignature],
        extended_key_usages: Vec::new(),
        extensions: vec![eku],
    };
    ecenter_pki::issue_leaf(pki, "tsa-ca", &spec, "tsa-2036").unwrap();
}

async fn download_s1(addr: std::net::SocketAddr, pki: &Path, filing_id: &str) -> Vec<u8> {
    let mut clerk = tls_client(addr, pki, "clerk-c0001").await;
    common::download(&mut clerk, filing_id, "S1").await.unwrap()
}

/// A hub with the PKI seals a filed 2-page PDF (S1 of the filing) and stops; the sealed bytes and
/// the filing's id.
async fn sealed_by_a_hub(pki: &Path, data: &Path) -> (Vec<u8>, String) {
    let hub = start_tls(data, pki).await;
    let mut court = court_with_seal(hub.addr, pki).await;
    let mut lawyer = tls_client(hub.addr, pki, "lawyer-14201202010000001").await;
    let pdf = ecenter_pdfseal::sample_pdf(2, 0);
    let filing_id = file_documents(
        &mut lawyer,
        "req-archive-1",
        "证据材料",
        &[("判决书.pdf", &pdf)],
    )
    .await;
    court
        .seal_pdf(pb::SealPdfRequest {
            seal_id: "4206-SSFW-01".into(),
            target: Some(pb::seal_pdf_request::Target::Stored(pb::DocumentRef {
                filing_id: filing_id.clone(),
                document_id: "D1".into(),
            })),
            page: 1,
            position: None,
            reason: "电子送达".into(),
        })
        .await
        .unwrap();
    let sealed = download_s1(hub.addr, pki, &filing_id).await;
    hub.stop().await;
    (sealed, filing_id)
}

/// With the TSA `stem` of the PKI: S1 is renewed once, then nothing is due; the store is closed.
async fn renews_once_with(
    store: Arc<ecenter_store::SledStore>,
    mut config: ecenter_api::seal::SealConfig,
    pki: &Path,
    stem: &str,
    filing_id: &str,
) {
    config.tsa_cert = Some(pki.join(format!("{stem}.pem")));
    config.tsa_key = Some(pki.join(format!("{stem}.key")));
    let ctx = Arc::new(config.load().unwrap());
    let outcome = renew_due(store.clone(), ctx.clone(), SystemTime::now())
        .await
        .unwrap();
    assert_eq!(
        outcome.renewed,
        vec![format!("{filing_id}/S1")],
        "{outcome:?}"
    );
    let outcome = renew_due(store.clone(), ctx, SystemTime::now())
        .await
        .unwrap();
    assert!(
        outcome.renewed.is_empty() && outcome.blocked == 0,
        "{outcome:?}"
    );
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_pdf_is_b_lta_and_is_renewed_once_before_its_timestamp_ages_out() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    longer_lived_tsa(pki.path());
    let data = tempfile::tempdir().unwrap();
    let (sealed, filing_id) = sealed_by_a_hub(pki.path(), data.path()).await;
    let report = verify_pdf(&sealed, &trust(pki.path()), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert_eq!(
        report.signatures.len(),
        2,
        "a seal and a document timestamp (B-LTA)"
    );

    // Due (the lead is longer than the TSA certificate lives), but the hub's TSA is the same one.
    let store = Arc::new(ecenter_store::SledStore::open(data.path()).unwrap());
    let mut config = seal_config(pki.path());
    config.archive_lead_days = Some(800);
    let same = Arc::new(config.load().unwrap());
    let outcome = renew_due(store.clone(), same, SystemTime::now())
        .await
        .unwrap();
    assert_eq!((outcome.checked, outcome.blocked), (1, 1), "{outcome:?}");
    assert!(outcome.renewed.is_empty());
    // A TSA certificate that outlives the timestamp: renewed once, then no longer due.
    renews_once_with(store, config, pki.path(), "tsa-2036", &filing_id).await;

    let hub = start_tls(data.path(), pki.path()).await;
    let renewed = download_s1(hub.addr, pki.path(), &filing_id).await;
    assert!(
        renewed.starts_with(&sealed),
        "the renewal is an incremental update"
    );
    let report = verify_pdf(&renewed, &trust(pki.path()), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert_eq!(report.signatures.len(), 3);
    let last = report.signatures[2].report.check("timestamp").unwrap();
    assert!(last.detail.contains("2036"), "{}", last.detail);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("renewed.pdf");
    std::fs::write(&file, &renewed).unwrap();
    let (valid, said) = pyhanko(pki.path(), &file);
    assert!(valid, "pyHanko: {said}");
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(hub.addr, pki.path(), "clerk-c0001").await,
    );
    let entries = common::all_entries(&mut log).await;
    let renewal = entries
        .iter()
        .find(|e| e.kind == "archive_timestamp_added")
        .expect("the renewal is in the log");
    assert!(
        renewal.detail_json.contains(&common::sha256_hex(&sealed)),
        "{}",
        renewal.detail_json
    );
    hub.stop().await;
}

/// Validation at a later time (ETSI EN 319 102-1 §5.6.2.4): three years on, the seal's TSA
/// certificate (two years) has expired. Alone, its timestamp proves nothing; with a document
/// timestamp by a longer-lived TSA made while it was valid, the seal still passes.
#[test]
fn an_expired_tsa_is_carried_by_a_later_archive_timestamp() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    longer_lived_tsa(p);
    let sealed = common::pdf::seal_with(
        p,
        &ecenter_pdfseal::sample_pdf(1, 0),
        &ecenter_pdfseal::Placement::default(),
    );
    let later = SystemTime::now() + std::time::Duration::from_secs(3 * 365 * 86_400);
    let alone = verify_pdf(&sealed, &trust(p), later).unwrap();
    assert_ne!(alone.indication, Indication::Passed, "{alone:#?}");
    let ts = alone.signatures[0].report.check("timestamp").unwrap();
    assert!(
        matches!(ts.status, ecenter_seal::CheckStatus::Failed(_)),
        "{ts:?}"
    );
    let tsa = ecenter_seal::tsa::TimestampAuthority::new(common::pdf::holder(p, "tsa-2036"));
    let archived = ecenter_pdfseal::archive_timestamp(
        &sealed,
        &tsa,
        SystemTime::now(),
        &common::pdf::long_term_data(p),
    )
    .unwrap();
    let carried = verify_pdf(&archived, &trust(p), later).unwrap();
    assert_eq!(carried.indication, Indication::Passed, "{carried:#?}");
}

/// Algorithm sunset: the court stops trusting ecdsa-with-SHA256 in 30 days. A P-256 TSA cannot
/// renew (its timestamps age out as soon); a P-384 TSA does, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timestamp_whose_algorithm_nears_its_sunset_is_renewed_in_a_stronger_one() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/pyhanko_tools.py"
        ))
        .arg("tsa-p384")
        .arg(pki.path())
        .succeeds();
    let data = tempfile::tempdir().unwrap();
    let (sealed, filing_id) = sealed_by_a_hub(pki.path(), data.path()).await;

    let store = Arc::new(ecenter_store::SledStore::open(data.path()).unwrap());
    let sunset = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let mut config = seal_config(pki.path());
    config
        .archive_algorithm_sunset
        .insert("1.2.840.10045.4.3.2".into(), sunset);
    let p256 = Arc::new(config.load().unwrap());
    let outcome = renew_due(store.clone(), p256, SystemTime::now())
        .await
        .unwrap();
    assert_eq!(
        (outcome.blocked, outcome.renewed.len()),
        (1, 0),
        "{outcome:?}"
    );
    renews_once_with(store, config, pki.path(), "tsa-p384", &filing_id).await;

    let hub = start_tls(data.path(), pki.path()).await;
    let renewed = download_s1(hub.addr, pki.path(), &filing_id).await;
    hub.stop().await;
    assert!(renewed.starts_with(&sealed));
    let report = verify_pdf(&renewed, &trust(pki.path()), SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    let last = report
        .signatures
        .last()
        .unwrap()
        .report
        .check("timestamp")
        .unwrap();
    assert!(last.detail.contains("P-384"), "{}", last.detail);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("renewed.pdf");
    std::fs::write(&file, &renewed).unwrap();
    let (valid, said) = pyhanko(pki.path(), &file);
    assert!(valid, "pyHanko: {said}");
}
