//! `clerk verify-log` as a process: on a running hub over mutual TLS and offline on a data directory;
//! it names a flipped byte's entry and an entry removed from the middle, and prints the head otherwise.

mod common;
use common::Succeeds;

use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::event_log_service_client::EventLogServiceClient;
use std::path::Path;
use std::process::{Command, Output};

fn clerk(args: &[&str], extra: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clerk"))
        .arg("verify-log")
        .args(args)
        .args(extra)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Checks `clerk verify-log` names a flipped byte's entry and a gap, on copies of `data`.
fn tampered_copies_are_named(data: &Path) {
    // A flipped byte in entry 3: named, exit 1.
    let flipped = copy_of(data);
    ecenter_store::tamper::flip_event_byte(flipped.path(), 3, 80).unwrap();
    let out = clerk(&["--json", "--data-dir"], &[flipped.path()]);
    assert_eq!(out.status.code(), Some(1));
    let walked = json(&out);
    assert_eq!(walked["first_bad_entry"]["seq"], 3);
    assert!(
        walked["first_bad_entry"]["reason"]
            .as_str()
            .unwrap()
            .contains("altered")
    );

    // Entry 2 removed from the middle: the gap is named at entry 3.
    let gapped = copy_of(data);
    ecenter_store::tamper::remove_event(gapped.path(), 2).unwrap();
    let out = clerk(&["--data-dir"], &[gapped.path()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("BROKEN at entry 3") && text.contains("entries are missing"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_verifies_the_log_over_mtls_and_offline_and_names_the_first_bad_entry() {
    let (pki, data, hub) = tls_world().await;
    let mut lawyer = tls_client(hub.addr, pki.path(), "lawyer-14201202010000001").await;
    for i in 0..3 {
        let doc = pdf(&format!("clerk {i}"));
        let h = header(
            &format!("req-clerk-{i:03}"),
            CASE,
            "证据材料",
            &[("e.pdf", &doc)],
        );
        lawyer
            .submit_filing(tokio_stream::iter(messages(h, &[&doc], 64 * 1024)))
            .await
            .unwrap();
    }
    let head = EventLogServiceClient::new(channel_as(hub.addr, pki.path(), "clerk-c0001").await)
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(head.seq >= 6, "received and routed per filing");

    // Over mutual TLS, as the clerk.
    let clients = pki.path().join("clients");
    let addr = hub.addr.to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["verify-log", "--json", "--hub", &addr, "--ca"])
        .arg(pki.path().join("root-ca.pem"))
        .arg("--cert")
        .arg(clients.join("clerk-c0001.pem"))
        .arg("--key")
        .arg(clients.join("clerk-c0001.key"))
        .succeeds();
    let walked = json(&out);
    assert_eq!(walked["ok"], true);
    assert_eq!(walked["head"]["seq"], head.seq);
    assert_eq!(walked["head"]["hash"], head.hash);
    hub.stop().await;

    // Offline, on the stopped hub's directory: the same head, in words for people too.
    let out = clerk(&["--json", "--data-dir"], &[data.path()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["head"]["hash"], head.hash);
    let out = clerk(&["--data-dir"], &[data.path()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("the event log verifies") && text.contains("(Beijing time)"),
        "{text}"
    );

    tampered_copies_are_named(data.path());

    // Bad use: neither source, or a directory without a log.
    let out = clerk(&[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data-dir"));
    let empty = tempfile::tempdir().unwrap();
    let out = clerk(&["--data-dir"], &[empty.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no event log"));
}
