//! A stored document changed, cut short or deleted on disk is never handed out as if it were whole:
//! DownloadDocument ends with DATA_LOSS naming filing and document (never OK, never UNAVAILABLE),
//! verification of the stored document and a similar-case query made from it refuse the same way, each read is a `blob_corrupt` event in
//! the log, and `clerk scrub` (the real binary, over mutual TLS) finds all of them at once.

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::event_log_service_client::EventLogServiceClient;
use ecenter_proto::v1::seal_service_client::SealServiceClient;
use ecenter_proto::v1::similar_case_service_client::SimilarCaseServiceClient;
use std::path::Path;
use std::process::Command;

const LAWYER: &str = "lawyer-14201202010000001";

/// A filing client over mutual TLS.
type FilingClient =
    ecenter_proto::v1::filing_service_client::FilingServiceClient<tonic::transport::Channel>;

/// A filed document: filing id, SHA-256 of the stored content, and the bytes filed.
type Filed = (String, String, Vec<u8>);

fn blob(data: &Path, sha: &str) -> std::path::PathBuf {
    data.join("blobs/sha256").join(&sha[..2]).join(sha)
}

/// Downloads, returning the bytes that came before the stream ended and how it ended.
async fn download_all(
    client: &mut ecenter_proto::v1::filing_service_client::FilingServiceClient<
        tonic::transport::Channel,
    >,
    filing_id: &str,
) -> (Vec<u8>, Result<(), tonic::Status>) {
    let mut got = Vec::new();
    let stream = client
        .download_document(pb::DownloadDocumentRequest {
            filing_id: filing_id.into(),
            document_id: "D1".into(),
        })
        .await;
    let mut stream = match stream {
        Ok(s) => s.into_inner(),
        Err(s) => return (got, Err(s)),
    };
    loop {
        match stream.message().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk.data),
            Ok(None) => return (got, Ok(())),
            Err(s) => return (got, Err(s)),
        }
    }
}

fn clerk_scrub(hub: &TestHub, pki: &Path) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["scrub", "--json", "--hub", &hub.addr.to_string(), "--ca"])
        .arg(pki.join("root-ca.pem"))
        .arg("--cert")
        .arg(pki.join("clients/clerk-c0001.pem"))
        .arg("--key")
        .arg(pki.join("clients/clerk-c0001.key"))
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

/// Files the four documents (altered, truncated, deleted, intact), each over 3 MiB.
async fn file_four(lawyer: &mut FilingClient) -> Vec<Filed> {
    let mut filings = Vec::new();
    for name in ["altered", "truncated", "deleted", "intact"] {
        // Larger than one stream chunk, so an altered one has sent bytes before it is caught.
        let mut doc = pdf(name);
        doc.extend(std::iter::repeat_n(b' ', 3 << 20));
        let request_id = format!("damage-{name}");
        let receipt = file_evidence(lawyer, &request_id, &doc).await;
        filings.push((receipt.filing_id, receipt.documents[0].sha256.clone(), doc));
    }
    filings
}

/// Alters the first stored document, cuts the second short and deletes the third.
fn damage_three(data: &Path, filings: &[Filed]) {
    // What a hex editor, a bad disk and a careless operator do.
    let path = blob(data, &filings[0].1);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[(2 << 20) + 17] ^= 0x20;
    std::fs::write(&path, bytes).unwrap();
    let path = blob(data, &filings[1].1);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    std::fs::remove_file(blob(data, &filings[2].1)).unwrap();
}

/// Checks the three damaged documents download as DATA_LOSS with no bytes, and the intact one whole.
async fn downloads_are_data_loss(lawyer: &mut FilingClient, filings: &[Filed]) {
    for (i, (filing_id, _, _)) in filings.iter().take(3).enumerate() {
        let (sent, end) = download_all(lawyer, filing_id).await;
        assert!(sent.is_empty(), "document {i}: damaged bytes were sent");
        let status = end.expect_err("a damaged document was served with OK");
        assert_eq!(
            status.code(),
            tonic::Code::DataLoss,
            "document {i}: {status:?}"
        );
        assert!(
            status
                .message()
                .contains(&format!("filing {filing_id} document D1")),
            "{}",
            status.message()
        );
    }
    let (got, end) = download_all(lawyer, &filings[3].0).await;
    assert!(end.is_ok());
    assert_eq!(got, filings[3].2);
}

/// Checks verifying the `altered` filing's document, or a similar-case query from it, is DATA_LOSS.
async fn verify_and_similar_refuse(hub: &TestHub, pki: &Path, altered: &str) {
    // Verifying the stored (altered) document refuses the same way.
    let mut seals = SealServiceClient::new(channel_as(hub.addr, pki, LAWYER).await);
    let refused = seals
        .verify_pdf(pb::VerifyPdfRequest {
            document: Some(pb::verify_pdf_request::Document::Stored(pb::DocumentRef {
                filing_id: altered.to_string(),
                document_id: "D1".into(),
            })),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::DataLoss);

    // A similar-case query made from the altered filing does not take its bytes for its text.
    let mut similar =
        SimilarCaseServiceClient::new(channel_as(hub.addr, pki, "court-xiangyang-cms").await);
    let refused = similar
        .find_similar(pb::FindSimilarRequest {
            query: Some(pb::find_similar_request::Query::FilingId(
                altered.to_string(),
            )),
            top_k: 3,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::DataLoss, "{refused:?}");
    assert!(
        refused
            .message()
            .contains(&format!("filing {} document D1", altered)),
        "{}",
        refused.message()
    );
}

/// Checks `clerk scrub` finds the three damaged documents, names each, and exits 1.
fn scrub_finds_the_three(hub: &TestHub, pki: &Path) {
    // The scrub finds the three, names each, and exits 1.
    let (code, report) = clerk_scrub(hub, pki);
    assert_eq!(code, Some(1), "{report}");
    let damaged = report["damaged"].as_array().unwrap();
    assert_eq!(damaged.len(), 3, "{report}");
    let found: Vec<&str> = damaged
        .iter()
        .map(|d| d["found"].as_str().unwrap())
        .collect();
    assert!(found.contains(&"missing"), "{found:?}");
    assert_eq!(
        found
            .iter()
            .filter(|f| f.starts_with("content with SHA-256"))
            .count(),
        2
    );
}

/// Checks each damaged document is one blob_corrupt entry, even after asking again.
async fn each_damage_is_logged_once(
    hub: &TestHub,
    pki: &Path,
    lawyer: &mut FilingClient,
    filings: &[Filed],
) {
    // Each damaged document is in the log as a blob_corrupt event, once: asking again (a download,
    // a verification, the scrub) is refused every time but records nothing more.
    download_all(lawyer, &filings[0].0).await.1.unwrap_err();
    let mut log = EventLogServiceClient::new(channel_as(hub.addr, pki, "clerk-c0001").await);
    let entries = all_entries(&mut log).await;
    let corrupt: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == "blob_corrupt")
        .collect();
    assert_eq!(corrupt.len(), 3, "one per damaged document");
    for (filing_id, sha, _) in filings.iter().take(3) {
        assert!(
            corrupt.iter().any(|e| e.detail_json.contains(sha.as_str())
                && e.detail_json
                    .contains(&format!("filing {filing_id} document D1"))),
            "{filing_id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_truncated_and_deleted_documents_are_data_loss_recorded_and_found_by_the_scrub() {
    let (pki, data, hub) = tls_world().await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let filings = file_four(&mut lawyer).await;
    let (code, report) = clerk_scrub(&hub, pki.path());
    assert_eq!(
        (code, report["documents_checked"].clone()),
        (Some(0), 4.into()),
        "{report}"
    );

    damage_three(data.path(), &filings);
    downloads_are_data_loss(&mut lawyer, &filings).await;
    verify_and_similar_refuse(&hub, pki.path(), &filings[0].0).await;
    scrub_finds_the_three(&hub, pki.path());
    each_damage_is_logged_once(&hub, pki.path(), &mut lawyer, &filings).await;
    hub.stop().await;
}
