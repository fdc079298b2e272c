//! A loss accepted on the record (`ecenterd --accept-loss FIRST-LAST --operator … --reason …`):
//! only the exact range, never a lost number issued again — and never entries that no checkpoint
//! vouches for. An outside test restored an old copy of a data directory, wrote forged filings,
//! cut its own newer checkpoint line, and had only the missing tail accepted as lost, keeping the
//! forgeries; here the same steps end with the forgeries cut from the log and kept aside.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// A hub on `data` (with `witness`, if any) that checkpoints as `every` says (`Some(n)`: every
/// `n` entries; `None`: only when it starts new and when it stops), `n` filings with request ids
/// `{prefix}-0000`…, then a graceful stop.
async fn file(data: &Path, witness: Option<&Path>, every: Option<u64>, prefix: &str, n: usize) {
    file_and_stop_with(data, prefix, n, |c| {
        c.checkpoints.every_entries = every.unwrap_or(1_000_000);
        if every.is_none() {
            c.checkpoints.interval_ms = 3_600_000;
        }
        c.checkpoints.witness_dirs = witness.iter().map(|w| w.to_path_buf()).collect();
    })
    .await;
}

/// The entries the checkpoints in `dir` name, in order.
fn checkpointed(dir: &Path) -> Vec<u64> {
    std::fs::read_to_string(dir.join("checkpoints.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

/// `ecenterd --dev` on `data` with `extra` flags.
fn ecenterd_on(data: &Path, extra: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ecenterd"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// `ecenterd` (with `extra` flags) accepting the loss of `range` on `data`: refused (exit 1), with
/// what it said.
fn refused_to_accept(data: &Path, range: &str, extra: &[&str]) -> String {
    let flags = [
        "--accept-loss",
        range,
        "--operator",
        "张三",
        "--reason",
        "磁盘故障",
    ];
    let out = ecenterd_on(data, &[&flags[..], extra].concat())
        .wait_with_output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{range}: {said}");
    said
}

/// `ecenterd` accepting the loss of `range` on `data`, serving; `serving` runs against it, then it
/// is stopped with SIGTERM.
async fn accepted<F: std::future::Future<Output = ()>>(
    data: &Path,
    (range, extra): (&str, &[&str]),
    serving: impl FnOnce(std::net::SocketAddr) -> F,
) {
    let flags = [
        "--accept-loss",
        range,
        "--operator",
        "张三（信息中心）",
        "--reason",
        "磁盘故障，已从备份恢复",
    ];
    let mut child = ecenterd_on(data, &[&flags[..], extra].concat());
    let addr: std::net::SocketAddr = listening_on(&mut child).parse().unwrap();
    serving(addr).await;
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    assert!(child.wait().unwrap().success());
}

/// Checks a new filing on the hub at `addr` skips the lost numbers and entry 13 records the loss
/// of `first`–12.
async fn the_loss_is_on_the_record(addr: std::net::SocketAddr, first: u64) {
    let mut lawyer = client(addr, LAWYER_A).await;
    let doc = pdf("after the loss");
    let receipt = file_evidence(&mut lawyer, "after-loss-0001", &doc).await;
    assert_eq!(
        receipt.filing_id, "F000000000014",
        "entry 13 records the loss; no lost number is reissued"
    );
    let entry =
        ecenter_proto::v1::event_log_service_client::EventLogServiceClient::with_interceptor(
            channel(addr).await,
            As::new(CLERK),
        )
        .list_entries(ecenter_proto::v1::ListEntriesRequest {
            after_seq: first - 1,
            page_size: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .entries
        .remove(0);
    assert_eq!((entry.seq, entry.kind.as_str()), (13, "log_loss_accepted"));
    assert!(
        entry.detail_json.contains("张三（信息中心）")
            && entry.detail_json.contains(&format!("\"first\":{first}"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loss_is_accepted_only_exactly_on_the_record_and_no_lost_number_is_issued_again() {
    let data = tempfile::tempdir().unwrap();
    file(data.path(), None, Some(2), "tamper-req", 6).await;
    // The log cut back to the checkpoint before the newest (entry 12): by the checkpoint at 12,
    // the entries after it were lost.
    let cps = checkpointed(&data.path().join("checkpoints"));
    assert_eq!(cps.last(), Some(&12), "{cps:?}");
    let vouched = cps.iter().copied().filter(|s| *s < 12).max().unwrap();
    for seq in (vouched + 1..=12).rev() {
        ecenter_store::tamper::remove_event(data.path(), seq).unwrap();
    }
    let first = vouched + 1;
    let said = refused_to_accept(data.path(), &format!("{first}-13"), &[]);
    assert!(
        said.contains(&format!("entries {first}–12")) && said.contains("does not match"),
        "{said}"
    );
    let out = ecenterd_on(data.path(), &["--accept-loss", &format!("{first}-12")])
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "clap: --operator and --reason");

    // The exact range, with who and why: the hub starts and records it.
    accepted(data.path(), (&format!("{first}-12"), &[]), |addr| {
        the_loss_is_on_the_record(addr, first)
    })
    .await;
    // The log as it was found is kept; the chain with its recorded gap verifies, and starts again
    // without any flag.
    let kept = std::fs::read_dir(data.path().join("set-aside"))
        .unwrap()
        .filter_map(std::result::Result::ok)
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("log-before-accepted-loss-")
        });
    assert!(kept);
    let (code, walked, _) = clerk_verify_log(data.path(), &[]);
    assert_eq!(code, Some(0), "{walked}");
    assert_eq!(
        walked["head"]["seq"], 15,
        "the loss (13), the filing (14, 15)"
    );
    assert_eq!(
        walked["entries_verified"],
        15 - (12 - vouched),
        "lost entries are numbers on the record, not entries held: {walked}"
    );
    let lost = format!("entries {first}–12 were lost");
    assert!(walked["notes"].to_string().contains(&lost), "{walked}");
    let hub = TestHub::start(data.path()).await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_written_after_a_rollback_are_cut_with_the_loss_not_kept() {
    let (data, witness) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Checkpoints only when a hub starts new and when it stops: entries 4 (two filings), then 10.
    file(data.path(), Some(witness.path()), None, "genuine", 2).await;
    let early = copy_of(data.path());
    file(data.path(), Some(witness.path()), None, "genuine-later", 3).await;
    assert_eq!(checkpointed(witness.path()), [0, 4, 10]);
    // The old copy written on without the witness (forged entries 5–8), and its own newer
    // checkpoint line cut, so that its file is a prefix of the witness's.
    file(early.path(), None, None, "forged", 2).await;
    let own = early.path().join("checkpoints/checkpoints.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&own)
        .unwrap()
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&own, lines.concat()).unwrap();
    let config = early.path().join("with-witness.toml");
    let witness_dir = witness.path().display();
    std::fs::write(
        &config,
        format!("[checkpoints]\nwitness_dirs = [\"{witness_dir}\"]\n"),
    )
    .unwrap();
    let with_witness = ["--config", config.to_str().unwrap()];

    // The refusal names the missing tail, and what may be accepted: 5–10, the forged entries
    // with it. The tail alone is refused.
    let said = refused_to_accept(early.path(), "9-10", &with_witness);
    assert!(
        said.contains("entries 9–10 were lost")
            && said.contains("--accept-loss 5-10")
            && said.contains("entries 5–8 are in the log"),
        "{said}"
    );
    accepted(early.path(), ("5-10", &with_witness), |addr| async move {
        let mut lawyer = client(addr, LAWYER_A).await;
        let held = list_all(&mut lawyer, Default::default()).await;
        let ids: Vec<&str> = held.iter().map(|f| f.request_id.as_str()).collect();
        assert_eq!(
            ids,
            ["genuine-0000", "genuine-0001"],
            "the forged filings are cut"
        );
    })
    .await;
    // The forged entries are kept aside with the log as found, and the loss is on the record.
    let (code, walked, _) =
        clerk_verify_log(early.path(), &["--witness", witness_dir_str(&witness)]);
    assert_eq!(code, Some(0), "{walked}");
    let notes = walked["notes"].to_string();
    assert!(notes.contains("entries 5–10 were lost"), "{walked}");
}

fn witness_dir_str(w: &tempfile::TempDir) -> &str {
    w.path().to_str().unwrap()
}
