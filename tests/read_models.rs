//! Read models rebuilt from the log. A hub started on a data directory written before one of its
//! read models existed (an upgrade) builds it from the log before it serves, so the court sees
//! what the log says rather than nothing. `ecenter-admin rebuild-read-models` on a stopped hub
//! finds faithful read models unchanged (exit 0), finds one altered on disk (exit 3, `changed`),
//! and leaves it as the log says. Against a hub with seals and e-mail service over mutual TLS,
//! aiosmtpd as the relay.

mod common;

use common::service::*;
use common::smtp::start_aiosmtpd;
use common::tls_client;
use ecenter_proto::v1 as pb;
use ecenter_store::tamper::{delete_read_model_records, forget_read_model, replace_in_read_model};
use std::path::Path;
use std::process::Command;

/// A world with one filing sealed and one notice accepted by the relay: the seal registry, the
/// filings and a recipient's service all hold something.
async fn served_world(smtp_port: u16) -> (World, String, String) {
    let w = world(smtp_port, 10).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let ordered = serve_one(
        &court,
        "rebuild-1",
        &document,
        "张三",
        "zhangsan@parties.test",
        pb::AddressBasis::Confirmed,
    )
    .await;
    let rid = ordered.recipients[0].recipient_id.clone();
    status_when(
        &court,
        &ordered.order_id,
        &rid,
        "the notice accepted",
        |s| s.attempts.first().is_some_and(|a| a.sent_at.is_some()),
    )
    .await;
    (w, ordered.order_id, rid)
}

/// What the court and the lawyer see: the recipient's status and the lawyer's filings.
async fn seen(w: &World, order_id: &str, rid: &str) -> (pb::RecipientStatus, Vec<pb::Filing>) {
    let mut court = w.service("court-xiangyang-cms").await;
    let status = status(&mut court, order_id, rid).await;
    let mut lawyer = tls_client(w.hub.addr, w.pki.path(), "lawyer-14201202010000001").await;
    let page = lawyer
        .list_filings(pb::ListFilingsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(page.next_page_token.is_empty(), "one page");
    (status, page.filings)
}

/// `ecenter-admin rebuild-read-models --data-dir DIR --json`: its exit code and its JSON.
fn admin_rebuild(data: &Path) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_ecenter-admin"))
        .args(["rebuild-read-models", "--json", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_whose_data_predates_a_read_model_builds_it_from_the_log_before_serving() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let (w, order_id, rid) = served_world(smtp.addr.port()).await;
    let before = seen(&w, &order_id, &rid).await;
    assert_eq!(before.1.len(), 1, "the sealed filing is listed");
    let w = w
        .restart_after(|data| {
            forget_read_model(data, "service").unwrap();
            forget_read_model(data, "filings").unwrap();
        })
        .await;
    assert_eq!(seen(&w, &order_id, &rid).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_rebuild_finds_faithful_read_models_unchanged_and_repairs_an_altered_one() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let (w, order_id, rid) = served_world(smtp.addr.port()).await;
    let before = seen(&w, &order_id, &rid).await;
    let mut digests = Vec::new();
    let w = w
        .restart_after(|data| {
            let head = ecenter_store::verify_log(data).unwrap();
            let (code, faithful) = admin_rebuild(data);
            assert_eq!(code, Some(0), "{faithful}");
            assert_eq!(faithful["changed"], false, "{faithful}");
            assert_eq!(faithful["head_seq"], head.seq, "{faithful}");
            assert_eq!(faithful["entries"], head.seq, "{faithful}");
            assert_eq!(faithful["digest_before"], faithful["digest_after"]);
            // Someone deletes the recipients' service records with the files' editor.
            assert!(delete_read_model_records(data, "service", b"").unwrap() > 0);
            let (code, drifted) = admin_rebuild(data);
            assert_eq!(code, Some(3), "{drifted}");
            assert_eq!(drifted["changed"], true, "{drifted}");
            assert_eq!(drifted["digest_after"], faithful["digest_after"]);
            digests.push(drifted["digest_after"].clone());
        })
        .await;
    assert_eq!(digests.len(), 1);
    assert_eq!(seen(&w, &order_id, &rid).await, before);
}

/// The log's `read_models_repaired` entries, as a clerk lists them.
async fn repairs_on_record(w: &World) -> Vec<pb::FilingEvent> {
    let channel = common::channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await;
    let mut log = pb::event_log_service_client::EventLogServiceClient::new(channel);
    let entries = common::all_entries(&mut log).await;
    entries
        .into_iter()
        .filter(|e| e.kind == "read_models_repaired")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_model_edited_on_disk_is_rebuilt_at_start_and_the_repair_is_on_the_record() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let (w, order_id, rid) = served_world(smtp.addr.port()).await;
    let before = seen(&w, &order_id, &rid).await;
    let w = w.restart_after(|_| {}).await;
    assert!(
        repairs_on_record(&w).await.is_empty(),
        "a faithful start repaired something"
    );
    // Someone with the data directory puts another recipient's name into the service records;
    // the log and its checkpoints are untouched and still verify.
    let w = w
        .restart_after(|data| {
            let changed =
                replace_in_read_model(data, "service", "张三".as_bytes(), "李四".as_bytes());
            assert!(changed.unwrap() > 0, "the name is in the service records");
        })
        .await;
    assert_eq!(
        seen(&w, &order_id, &rid).await,
        before,
        "the edit was served"
    );
    let repairs = repairs_on_record(&w).await;
    assert_eq!(repairs.len(), 1, "{repairs:?}");
    let entry: serde_json::Value = serde_json::from_str(&repairs[0].detail_json).unwrap();
    let detail = &entry["event"];
    assert_eq!(detail["trees"], serde_json::json!(["service"]), "{entry}");
    assert_ne!(detail["found"], detail["projected"], "{entry}");
    // Repaired once: the next start finds the read models the log's and records nothing more.
    let w = w.restart_after(|_| {}).await;
    assert_eq!(repairs_on_record(&w).await.len(), 1);
}

#[test]
fn the_operators_rebuild_refuses_a_directory_without_a_log_and_names_it() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ecenter-admin"))
        .args(["rebuild-read-models", "--data-dir"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&empty.path().display().to_string()),
        "{stderr}"
    );
}
