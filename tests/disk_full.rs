//! A disk that fills up under the event log: the log lives on a small tmpfs of its own (documents
//! on the ordinary disk), so the failure comes at the log's flush, not at a document's write. The
//! refused filing gets UNAVAILABLE with a sentence for a person, reads answer instead of waiting for
//! a durability that will never come, health says NOT_SERVING, and the stop reports the failure.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A tmpfs of `size` mounted at `at`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs (as root, as CI runs): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Checks reads still answer in time (the `first` filing, a list) instead of waiting for the lost batch.
async fn reads_still_answer(lawyer: &mut Client, first: Option<String>) {
    // Reads answer (durable filings are still there); none waits for the lost batch.
    let first = first.expect("some filings went in before the disk was full");
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        lawyer.get_filing(ecenter_proto::v1::GetFilingRequest { filing_id: first }),
    )
    .await
    .expect("GetFiling hung behind the failed writer");
    assert!(read.is_ok(), "{read:?}");
    let listed = tokio::time::timeout(
        Duration::from_secs(10),
        lawyer.list_filings(ecenter_proto::v1::ListFilingsRequest::default()),
    )
    .await
    .expect("ListFilings hung behind the failed writer");
    assert!(
        listed.is_ok() || listed.as_ref().unwrap_err().code() == tonic::Code::Unavailable,
        "{listed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_at_the_log_flush_is_refused_loudly_and_nothing_hangs() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    let data = tempfile::tempdir().unwrap();
    let _log_disk = Tmpfs::mount(&data.path().join("log"), "1m");
    let hub = TestHub::start(data.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let mut first = None;
    let mut refused = None;
    for i in 0..3000 {
        let doc = pdf(&format!("填满磁盘 {i}"));
        let h = full_disk_header(i, &doc);
        match submit_messages(&mut lawyer, messages(h, &[&doc], 1 << 20)).await {
            Ok(r) => {
                first.get_or_insert(r.receipt.unwrap().filing_id);
            }
            Err(s) => {
                refused = Some((s, i, doc));
                break;
            }
        }
    }
    let (refused, i, refused_doc) = refused.expect("a 1 MiB log disk filled up");
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    assert!(
        refused.message().contains(
            "could not make this change durable (the disk holding the data directory is full)"
        ) && refused
            .message()
            .contains("may or may not have been recorded"),
        "{}",
        refused.message()
    );
    // Its entries may still reach the disk: its document stays (the start-up sweep sets it aside
    // if nothing names it).
    let kept = data
        .path()
        .join("blobs/sha256")
        .join(&sha256_hex(&refused_doc)[..2])
        .join(sha256_hex(&refused_doc));
    assert!(kept.is_file(), "the refused filing's document was removed");
    // Further changes are refused at once, with the reason the log stopped for.
    let doc = pdf("after");
    let r = submit(
        &mut lawyer,
        "after-full",
        CASE,
        "证据材料",
        &[("e.pdf", &doc)],
    )
    .await;
    let after = r.unwrap_err();
    assert_eq!(after.code(), tonic::Code::Unavailable);
    assert!(
        after
            .message()
            .contains("stopped accepting changes: the disk holding the data directory is full"),
        "{}",
        after.message()
    );

    reads_still_answer(&mut lawyer, first).await;

    let mut health = HealthClient::new(channel(hub.addr).await);
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.status(), ServingStatus::NotServing);

    let stopped = hub.stop_result().await;
    let e = stopped.expect_err("a stop after a failed flush reports it");
    assert!(e.to_string().contains("disk"), "{e}");

    filed_whole_once_there_is_room(data.path(), i, &refused_doc).await;
}

/// Room again on the log's disk: the refused filing, sent again with its request id, is filed once
/// (or was recorded after all), and its document reads back whole — never a log entry naming
/// bytes that were removed.
async fn filed_whole_once_there_is_room(data: &Path, i: usize, refused_doc: &[u8]) {
    let grown = Command::new("mount")
        .args(["-o", "remount,size=16m"])
        .arg(data.join("log"))
        .status()
        .unwrap();
    assert!(grown.success());
    let hub = TestHub::start(data).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    // If the refused batch reached the disk after all, its filing reads back whole now, before
    // anything sends the bytes again.
    let digest = sha256_hex(refused_doc);
    let listed = list_all(
        &mut lawyer,
        ecenter_proto::v1::ListFilingsRequest::default(),
    )
    .await;
    let recorded = listed
        .into_iter()
        .find(|f| f.documents.iter().any(|d| d.sha256 == digest));
    if let Some(f) = recorded {
        let read = download(&mut lawyer, &f.filing_id, "D1").await.unwrap();
        assert_eq!(read, refused_doc, "a recorded filing lost its document");
    } else {
        // Not recorded: its document, which no entry names, was set aside at the start, not deleted.
        let kept = Command::new("find")
            .arg(data.join("set-aside"))
            .args(["-name", &digest])
            .output()
            .unwrap();
        assert!(!kept.stdout.is_empty(), "the unnamed document was deleted");
    }
    let h = full_disk_header(i, refused_doc);
    let again = submit_messages(&mut lawyer, messages(h, &[refused_doc], 1 << 20))
        .await
        .expect("the refused filing is taken once the disk has room");
    let filing_id = again.receipt.unwrap().filing_id;
    let read = download(&mut lawyer, &filing_id, "D1").await.unwrap();
    assert_eq!(read, refused_doc);
    hub.stop().await;
}

/// The `i`th filing of the test: a long title, so that the log fills before the documents' disk.
fn full_disk_header(i: usize, doc: &[u8]) -> ecenter_proto::v1::SubmissionHeader {
    let mut h = header(
        &format!("fill-disk-{i:05}"),
        CASE,
        "证据材料",
        &[("e.pdf", doc)],
    );
    h.title = "很长的标题".repeat(40);
    h
}

/// A witness directory whose disk fills while the hub runs: a checkpoint it could not take is
/// taken back from the files that took it (and its cut line from the witness), so no file holds a
/// number twice or a line cut short, and the hub starts again once there is room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_whose_disk_fills_keeps_every_checkpoint_file_whole() {
    let data = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let witness = root.path().join("witness");
    let _disk = Tmpfs::mount(&witness, "16k");
    let adjust = |c: &mut ecenter_server::Config| {
        c.checkpoints.witness_dirs = vec![witness.clone()];
        c.checkpoints.interval_ms = 10;
        c.checkpoints.every_entries = 1;
    };
    let hub = TestHub::start_with(data.path(), adjust).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let lines = |dir: &Path| {
        let text = std::fs::read(dir.join("checkpoints.jsonl")).unwrap();
        (
            text.iter().filter(|b| **b == b'\n').count(),
            text.ends_with(b"\n"),
        )
    };
    for i in 0..150 {
        let doc = pdf(&format!("见证 {i}"));
        let id = format!("witness-full-{i:04}");
        submit(&mut lawyer, &id, CASE, "证据材料", &[("e.pdf", &doc)])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    // 150 filings, a checkpoint due after each: the 16 KiB witness filled long before.
    assert!(lines(&witness).0 < 100, "the 16 KiB witness never filled");
    // The stop is honoured with the witness still full (a checkpointer retrying without a pause
    // never saw it), and says the last checkpoint could not be written, naming the witness.
    let stopped = tokio::time::timeout(Duration::from_secs(60), hub.stop_result())
        .await
        .expect("the hub did not stop while its witness was full");
    let why = stopped
        .expect_err("the final checkpoint could not be written")
        .to_string();
    assert!(
        why.contains(&witness.display().to_string()) && why.contains("space"),
        "{why}"
    );
    let grown = Command::new("mount")
        .args(["-o", "remount,size=1m"])
        .arg(&witness)
        .status()
        .unwrap();
    assert!(grown.success());
    // Every file whole and in step (read with the hub stopped): the hub starts again, and the
    // clerk finds the log vouched for by the data directory's file and the witness alike.
    let local = data.path().join("checkpoints");
    let (here, whole) = lines(&local);
    assert!(whole, "the data directory's file holds a line cut short");
    assert_eq!(lines(&witness), (here, true), "the files went out of step");
    let hub = TestHub::start_with(data.path(), adjust).await;
    hub.stop().await;
    let out = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["verify-log", "--data-dir"])
        .arg(data.path())
        .arg("--witness")
        .arg(&witness)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
