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
    let run_on = |client: &str, request_id: &str, case_number: &str| {
        Command::new("python3")
            .arg(format!("{root}/tests/python/submit_filing.py"))
            .args([
                "--addr",
                &hub.addr.to_string(),
                "--client",
                client,
                "--request-id",
                request_id,
                "--case-number",
                case_number,
                "--proto-dir",
            ])
            .arg(format!("{root}/proto"))
            .arg("--pki")
            .arg(pki.path())
            .output()
            .expect("python3 runs")
    };
    let run = |client: &str, request_id: &str| run_on(client, request_id, "(2026)鄂06民初123号");
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

/// A refusal carries, besides its English message, the field violation and the same refusal in
/// Chinese for people (google.rpc.LocalizedMessage, zh-CN) — as decoded by Python's
/// googleapis-common-protos, not by our own client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_grpcio_reads_a_refusal_in_chinese_from_its_details() {
    let (pki, _data, hub) = tls_world().await;
    let root = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    let out = tokio::task::block_in_place(|| {
        Command::new("python3")
            .arg(format!("{root}/tests/python/submit_filing.py"))
            .args(["--addr", &hub.addr.to_string(), "--request-id"])
            .args(["py-req-000009", "--case-number", "(26)鄂06民初123号"])
            .arg("--proto-dir")
            .arg(format!("{root}/proto"))
            .arg("--pki")
            .arg(pki.path())
            .output()
            .expect("python3 runs")
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let refused: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(refused["error"], "INVALID_ARGUMENT", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("four digits"),
        "the message stays English for integrators: {refused}"
    );
    assert_eq!(
        refused["violations"][0]["field"], "header.case_number",
        "{refused}"
    );
    let localized = refused["localized"].as_array().unwrap();
    assert_eq!(localized.len(), 1, "{refused}");
    assert_eq!(localized[0]["locale"], "zh-CN");
    assert_eq!(
        localized[0]["message"],
        "案号「(26)鄂06民初123号」格式有误，收案年度应为四位数字；正确格式如「（2026）鄂06民初123号」"
    );
    hub.stop().await;
}

/// A body no protobuf message of the method (bytes sent raw by Python grpcio) is the caller's
/// fault, INVALID_ARGUMENT, not INTERNAL; a message over the limit is RESOURCE_EXHAUSTED naming it
/// (outsider, session 46).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_grpcio_raw_bodies_the_hub_cannot_read_are_refused_as_the_callers() {
    let (pki, _data, hub) = tls_world().await;
    let root = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    let out = tokio::task::block_in_place(|| {
        Command::new("python3")
            .arg(format!("{root}/tests/python/wire_refusals.py"))
            .args(["--addr", &hub.addr.to_string(), "--pki"])
            .arg(pki.path())
            .output()
            .expect("python3 runs")
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 4, "{stdout}");
    for a in &answers {
        let expected = match a["case"].as_str().unwrap() {
            "too_large" => "RESOURCE_EXHAUSTED",
            _ => "INVALID_ARGUMENT",
        };
        assert_eq!(a["code"], expected, "{a}");
    }
    assert!(stdout.contains("4194304"), "{stdout}");
    hub.stop().await;
}
