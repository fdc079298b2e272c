//! The contract works outside Rust: Python grpcio, with a lawyer's certificate over mTLS, submits a
//! filing that the hub receipts and a Rust court client then reads back.
//! Needs `pip install -r tests/python/requirements.txt` (scripts/test does it).

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_grpcio_submits_a_filing_over_mutual_tls() {
    let (pki, _data, hub) = tls_world().await;
    let root = &std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    let run = |client: &str, request_id: &str| {
        Command::new("python3")
            .arg(format!("{root}/tests/python/submit_filing.py"))
            .args([
                "--addr",
                &hub.addr.to_string(),
                "--client",
                client,
                "--request-id",
                request_id,
                "--proto-dir",
            ])
            .arg(format!("{root}/proto"))
            .arg("--pki")
            .arg(pki.path())
            .output()
            .expect("python3 runs")
    };
    let out = tokio::task::block_in_place(|| run("lawyer-14201202010000001", "py-req-000001"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python client failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let receipt: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(receipt["submitter"], "urn:ecenter:lawyer:14201202010000001");
    assert_eq!(receipt["case_number"], "（2026）鄂06民初123号");
    assert_eq!(receipt["name"], "答辩状.pdf");
    assert_eq!(receipt["sha256"], receipt["sent_sha256"]);
    assert!(
        receipt["received_at_local"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );

    let mut court = tls_client(hub.addr, pki.path(), "court-xiangyang-cms").await;
    let filing_id = receipt["filing_id"].as_str().unwrap().to_string();
    let f = court
        .get_filing(pb::GetFilingRequest {
            filing_id: filing_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(f.documents[0].sha256, receipt["sha256"].as_str().unwrap());

    // The same request id again from Python is a replay, not a second filing.
    let again = tokio::task::block_in_place(|| run("lawyer-14201202010000001", "py-req-000001"));
    let again: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&again.stdout).trim()).unwrap();
    assert_eq!(again["filing_id"], filing_id.as_str());
    assert_eq!(again["replayed"], true);
    // A court system may not file: Python sees PERMISSION_DENIED.
    let denied = tokio::task::block_in_place(|| run("court-xiangyang-cms", "py-req-000002"));
    let denied: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&denied.stdout).trim()).unwrap();
    assert_eq!(denied["error"], "PERMISSION_DENIED");
    hub.stop().await;
}
