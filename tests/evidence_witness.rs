//! A witness (`[checkpoints] witness_dirs`) is what a data directory cannot rewrite: a log rolled
//! back and written on from there, another hub's log under this hub's checkpoints, or a data
//! directory given a new key must all be refused by start-up and by `clerk verify-log` — held
//! against every checkpoint, not only the newest — and the witness is never "repaired" from the
//! data directory. The tampering is an outsider's (a rollback to a copy, a swapped `log/`, a new
//! key), not the hub's own; the witness is compared byte for byte before and after.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A hub on `data` (with `witness`, if any) checkpointing every two entries, `n` filings with
/// request ids `{prefix}-0000`…, then a graceful stop.
async fn file(data: &Path, witness: Option<&Path>, prefix: &str, n: usize) {
    file_and_stop_with(data, prefix, n, |c| {
        c.checkpoints.every_entries = 2;
        c.checkpoints.witness_dirs = witness.iter().map(|w| w.to_path_buf()).collect();
    })
    .await;
}

/// The hub's refusal to open `data` with `witness`.
fn refusal(data: &Path, witness: &Path) -> String {
    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: data.to_path_buf(),
        checkpoints: ecenter_server::checkpoints::CheckpointConfig {
            witness_dirs: vec![witness.to_path_buf()],
            ..Default::default()
        },
        ..ecenter_server::Config::default()
    };
    match ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap()) {
        Ok(_) => panic!("a hub opened {} against its witness", data.display()),
        Err(e) => e.to_string(),
    }
}

/// Every file under `dir` with its content's SHA-256.
fn digest(dir: &Path) -> BTreeMap<PathBuf, String> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let d = sha256_hex(&std::fs::read(&p).unwrap());
            (p, d)
        })
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_rolled_back_and_written_on_is_refused_and_the_witness_kept() {
    let (data, witness) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    file(data.path(), Some(witness.path()), "genuine", 2).await;
    let early = copy_of(data.path());
    file(data.path(), Some(witness.path()), "genuine-later", 2).await;
    // Back to the early copy, and on from there without the witness: the log and its own
    // checkpoints agree, and its newest checkpoint is newer than any the witness holds.
    file(early.path(), None, "rewritten", 3).await;
    let (code, walked, _) = clerk_verify_log(early.path(), &[]);
    assert_eq!(code, Some(0), "alone it agrees with itself: {walked}");

    let before = digest(witness.path());
    let refused = refusal(early.path(), witness.path());
    assert!(
        refused.contains("rolled back and signed again"),
        "{refused}"
    );
    assert_eq!(digest(witness.path()), before, "the witness was rewritten");
    let (code, walked, _) = clerk_verify_log(early.path(), &["--witness", s(witness.path())]);
    assert_eq!(code, Some(1), "{walked}");
    let reason = walked["first_bad_entry"]["reason"].to_string();
    assert!(reason.contains("rolled back"), "{walked}");
    // The genuine directory still agrees with the witness.
    let (code, walked, _) = clerk_verify_log(data.path(), &["--witness", s(witness.path())]);
    assert_eq!(code, Some(0), "{walked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_with_another_key_never_rewrites_the_witness() {
    let (data, witness) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    file(data.path(), Some(witness.path()), "genuine", 2).await;
    // Another hub's directory (its own key, its own valid log and checkpoints) set against the
    // genuine hub's witness: the key the witness keeps beside its file names the conflict.
    let other = tempfile::tempdir().unwrap();
    file(other.path(), None, "forged", 3).await;
    let before = digest(witness.path());
    let refused = refusal(other.path(), witness.path());
    assert!(
        refused.contains("key.pem is key") && refused.contains("not the hub's key"),
        "{refused}"
    );
    // Without that key.pem, the witness's lines name the conflict.
    std::fs::remove_file(witness.path().join("key.pem")).unwrap();
    let before_lines = digest(witness.path());
    let refused = refusal(other.path(), witness.path());
    assert!(
        refused.contains("line 1: checkpoint 1 is signed by key"),
        "{refused}"
    );
    assert_eq!(
        digest(witness.path()),
        before_lines,
        "the witness was rewritten"
    );
    assert_eq!(
        before.len(),
        before_lines.len() + 1,
        "only key.pem was taken away"
    );
    // The clerk is told the files disagree on the key, not that the witness was altered.
    let (code, walked, _) = clerk_verify_log(other.path(), &["--witness", s(witness.path())]);
    assert_eq!(code, Some(1), "{walked}");
    let problem = walked["checkpoint_problem"].to_string();
    assert!(problem.contains("disagree on the hub's key"), "{walked}");
    // Pinned to the genuine hub's key, the other directory's own file is the one named.
    let genuine_key = data.path().join("checkpoints/key.pem");
    let pinned = ["--witness", s(witness.path()), "--checkpoint-key"];
    let (code, walked, _) =
        clerk_verify_log(other.path(), &[&pinned[..], &[s(&genuine_key)]].concat());
    assert_eq!(code, Some(1), "{walked}");
    let problem = walked["checkpoint_problem"].to_string();
    assert!(
        problem.contains(&format!("{}", other.path().display())),
        "{walked}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_hubs_log_under_these_checkpoints_cannot_be_accepted_as_a_loss() {
    let data = tempfile::tempdir().unwrap();
    file(data.path(), None, "genuine", 6).await;
    let other = tempfile::tempdir().unwrap();
    file(other.path(), None, "foreign", 5).await;
    // The foreign log is two entries shorter: by the newest checkpoint alone, "entries 11–12 were
    // lost"; an older checkpoint says the log was replaced.
    let swapped = copy_of(data.path());
    std::fs::remove_dir_all(swapped.path().join("log")).unwrap();
    let ok = Command::new("cp")
        .arg("-a")
        .arg(other.path().join("log"))
        .arg(swapped.path())
        .status()
        .unwrap();
    assert!(ok.success());
    let (code, walked, _) = clerk_verify_log(swapped.path(), &[]);
    assert_eq!(code, Some(1), "{walked}");
    let first_bad = walked["first_bad_entry"]["seq"].as_u64().unwrap();
    let reason = walked["first_bad_entry"]["reason"].to_string();
    assert!(
        first_bad <= 4 && reason.contains("altered or replaced"),
        "{walked}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ecenterd"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(swapped.path())
        .args(["--accept-loss", "11-12", "--operator", "张三"])
        .args(["--reason", "磁盘故障"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("altered or replaced") && said.contains("does not match"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emptied_witness_is_refused_not_refilled_from_the_data_directory() {
    let (data, witness) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    file(data.path(), Some(witness.path()), "genuine", 2).await;
    let file_path = witness.path().join("checkpoints.jsonl");
    for emptied in ["emptied", "removed"] {
        if emptied == "emptied" {
            std::fs::write(&file_path, b"").unwrap();
        } else {
            std::fs::remove_file(&file_path).unwrap();
        }
        let before = digest(witness.path());
        let refused = refusal(data.path(), witness.path());
        assert!(
            refused.contains("holds no checkpoint, though the key.pem"),
            "{emptied}: {refused}"
        );
        assert_eq!(digest(witness.path()), before, "{emptied}: rewritten");
        let (code, walked, _) = clerk_verify_log(data.path(), &["--witness", s(witness.path())]);
        assert_eq!(code, Some(1), "{emptied}: {walked}");
        let problem = walked["checkpoint_problem"].to_string();
        assert!(
            problem.contains("holds no checkpoint"),
            "{emptied}: {walked}"
        );
    }
    // Emptied whole (key.pem too), it is a new witness: the hub copies its history there.
    std::fs::remove_file(witness.path().join("key.pem")).unwrap();
    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: data.path().to_path_buf(),
        checkpoints: ecenter_server::checkpoints::CheckpointConfig {
            witness_dirs: vec![witness.path().to_path_buf()],
            ..Default::default()
        },
        ..ecenter_server::Config::default()
    };
    let hub = ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap())
        .expect("a new witness is filled");
    drop(hub);
    let copied = std::fs::read(&file_path).unwrap();
    let local = std::fs::read(data.path().join("checkpoints/checkpoints.jsonl")).unwrap();
    assert_eq!(copied, local);
}
