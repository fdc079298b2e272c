//! Evidence that cannot be silently lost or rewritten: a stopped hub's data directory is tampered
//! with as an intruder with a hex editor or an operator on a bad day would — a bit flipped in sled's
//! own file, the newest entries removed, the log replaced by a shorter or a different valid one, the
//! checkpoint file removed or edited — and both the hub's start-up and `clerk verify-log` refuse,
//! naming the first missing or bad entry, while the directory `clerk` checked stays byte-identical.
//! OpenSSL checks the checkpoint signatures, so they are not only our own code's word.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Six filings with request ids `tamper-req-0000` … `0005` (entries 1–12), then a graceful stop.
async fn six_filings(data: &Path) {
    file_and_stop(data, "tamper-req", 6).await;
}

/// A copy of the data directory `base` whose log is replaced by the log of `log_from`.
fn with_log_of(base: &Path, log_from: &Path) -> tempfile::TempDir {
    let copy = copy_of(base);
    std::fs::remove_dir_all(copy.path().join("log")).unwrap();
    let ok = Command::new("cp")
        .arg("-a")
        .arg(log_from.join("log"))
        .arg(copy.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    copy
}

/// Every file under `dir` with its content's SHA-256 (to prove a check wrote nothing).
fn tree_digest(dir: &Path) -> BTreeMap<PathBuf, String> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let digest = sha256_hex(&std::fs::read(&p).unwrap());
            (p, digest)
        })
        .collect()
}

/// Flips the lowest bit of the last digit of the first on-disk copy of `needle` in sled's file.
fn flip_in_sled_file(data: &Path, needle: &[u8]) {
    let file = data.join("log").join("db");
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the request id is in sled's file");
    bytes[at + needle.len() - 1] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
}

/// `ecenter-admin rebuild-read-models` on `data`: refused (exit 1), with the directory left
/// byte-identical (sled never opened the real log); returns what it said.
fn rebuild_refused(data: &Path) -> String {
    let before = tree_digest(data);
    let out = Command::new(env!("CARGO_BIN_EXE_ecenter-admin"))
        .args(["rebuild-read-models", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("is refused, nothing was rebuilt or written"),
        "{said}"
    );
    assert_eq!(
        tree_digest(data),
        before,
        "the refused rebuild wrote to {}",
        data.display()
    );
    said
}

/// The hub's refusal to open `data`, as a sentence.
fn refusal(data: &Path) -> String {
    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: data.to_path_buf(),
        ..ecenter_server::Config::default()
    };
    match ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap()) {
        Ok(_) => panic!("a hub opened {}", data.display()),
        Err(e) => e.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bit_flipped_in_sleds_file_is_named_at_entry_5_by_start_up_and_clerk_and_nothing_is_rewritten()
 {
    let data = tempfile::tempdir().unwrap();
    six_filings(data.path()).await;
    let (code, walked, _) = clerk_verify_log(data.path(), &[]);
    assert_eq!(code, Some(0), "{walked}");
    assert_eq!(walked["head"]["seq"], 12);
    assert_eq!(
        walked["checkpoint"]["seq"], 12,
        "the graceful stop signed the head"
    );

    // The clerk's copy: refused, entry 5 named, and not one byte of it changed by the check.
    let copy = copy_of(data.path());
    flip_in_sled_file(copy.path(), b"tamper-req-0002");
    let before = tree_digest(copy.path());
    let (code, walked, stderr) = clerk_verify_log(copy.path(), &[]);
    assert_eq!(code, Some(1), "{walked} {stderr}");
    assert_eq!(walked["ok"], false);
    assert_eq!(walked["first_bad_entry"]["seq"], 5, "{walked}");
    assert_eq!(
        tree_digest(copy.path()),
        before,
        "clerk verify-log wrote to the directory it checked"
    );

    // The hub on another copy: it does not start, and says which entries.
    let hub_copy = copy_of(data.path());
    flip_in_sled_file(hub_copy.path(), b"tamper-req-0002");
    let before = tree_digest(hub_copy.path());
    let refused = refusal(hub_copy.path());
    assert_eq!(
        tree_digest(hub_copy.path()),
        before,
        "the refused start rewrote the log"
    );
    assert!(
        refused.contains("entry 5") || refused.contains("entries 5–12"),
        "{refused}"
    );
    // The operator's rebuild refuses it as the hub does, and rewrites nothing either.
    let said = rebuild_refused(hub_copy.path());
    assert!(
        said.contains("entry 5") || said.contains("entries 5–12"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newest_entries_removed_or_the_log_replaced_are_refused_naming_what_is_missing() {
    let data = tempfile::tempdir().unwrap();
    six_filings(data.path()).await;

    // The two newest entries removed.
    let cut = copy_of(data.path());
    for seq in [12, 11] {
        ecenter_store::tamper::remove_event(cut.path(), seq).unwrap();
    }
    let refused = refusal(cut.path());
    assert!(
        refused.contains("the log ends at entry 10, but checkpoint"),
        "{refused}"
    );
    assert!(
        refused.contains("names entry 12") && refused.contains("entries 11–12"),
        "{refused}"
    );
    let (code, walked, _) = clerk_verify_log(cut.path(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(walked["first_bad_entry"]["seq"], 11, "{walked}");

    // The whole log replaced by a shorter valid one (another hub's, two filings).
    let other = tempfile::tempdir().unwrap();
    file_and_stop(other.path(), "other-log", 2).await;
    let replaced = with_log_of(data.path(), other.path());
    let refused = refusal(replaced.path());
    assert!(
        refused.contains("the log ends at entry 4") && refused.contains("entries 5–12"),
        "{refused}"
    );
    // A valid log its checkpoints say is short (a restore that copied the log before the
    // checkpoints): the operator's rebuild refuses it too, rather than call it matched.
    let said = rebuild_refused(replaced.path());
    assert!(said.contains("entries 5–12"), "{said}");
    let (code, walked, _) = clerk_verify_log(replaced.path(), &[]);
    assert_eq!(
        (code, walked["first_bad_entry"]["seq"].clone()),
        (Some(1), 5.into()),
        "{walked}"
    );

    // A longer valid log from elsewhere: entry 12 differs from the checkpoint.
    let longer = tempfile::tempdir().unwrap();
    six_filings(longer.path()).await;
    let swapped = with_log_of(data.path(), longer.path());
    let refused = refusal(swapped.path());
    assert!(
        refused.contains("entry 12 has hash") && refused.contains("altered or replaced"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_or_edited_checkpoint_file_is_refused_unless_a_witness_holds_the_checkpoints() {
    let data = tempfile::tempdir().unwrap();
    six_filings(data.path()).await;
    let cp_file = data.path().join("checkpoints").join("checkpoints.jsonl");

    let removed = copy_of(data.path());
    std::fs::remove_file(removed.path().join("checkpoints/checkpoints.jsonl")).unwrap();
    let refused = refusal(removed.path());
    assert!(
        refused.contains("the log has 12 entries but") && refused.contains("holds no checkpoint"),
        "{refused}"
    );
    let (code, walked, _) = clerk_verify_log(removed.path(), &[]);
    assert_eq!(code, Some(1), "{walked}");

    // One line edited (entry 12 claimed as 13): the line is named.
    let edited = copy_of(data.path());
    let path = edited.path().join("checkpoints/checkpoints.jsonl");
    let text = std::fs::read_to_string(&cp_file).unwrap();
    let lines = text.lines().count();
    std::fs::write(&path, text.replace("\"seq\":12,", "\"seq\":13,")).unwrap();
    let refused = refusal(edited.path());
    assert!(
        refused.contains(&format!("line {lines}")) && refused.contains("altered"),
        "{refused}"
    );

    // With a witness (a copy kept elsewhere), the hub starts, restores its file, keeps the bad one.
    let witness = tempfile::tempdir().unwrap();
    std::fs::copy(&cp_file, witness.path().join("checkpoints.jsonl")).unwrap();
    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: edited.path().to_path_buf(),
        checkpoints: ecenter_server::checkpoints::CheckpointConfig {
            witness_dirs: vec![witness.path().to_path_buf()],
            ..Default::default()
        },
        ..ecenter_server::Config::default()
    };
    let hub = ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap())
        .expect("a witness vouches for the log");
    drop(hub);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "restored from the witness"
    );
    let kept = std::fs::read_dir(edited.path().join("checkpoints"))
        .unwrap()
        .filter_map(std::result::Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains("set-aside"));
    assert!(kept, "the altered file is kept as evidence");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_verify_with_openssl_and_expect_compares_a_head_recorded_elsewhere() {
    let data = tempfile::tempdir().unwrap();
    six_filings(data.path()).await;
    let dir = data.path().join("checkpoints");
    let text = std::fs::read_to_string(dir.join("checkpoints.jsonl")).unwrap();
    let line = text.lines().last().unwrap();
    let cp: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(cp["seq"], 12);
    let hash = cp["hash"].as_str().unwrap().to_string();
    assert!(openssl_verifies_checkpoint(line, &dir.join("key.pem")));
    // One bit of the signature flipped: OpenSSL refuses it.
    let mut forged = cp.clone();
    let sig = forged["signature"].as_str().unwrap().to_string();
    let flipped = if sig.starts_with('M') {
        sig.replacen('M', "N", 1)
    } else {
        sig.replacen(&sig[..1], "M", 1)
    };
    forged["signature"] = flipped.into();
    assert!(!openssl_verifies_checkpoint(
        &forged.to_string(),
        &dir.join("key.pem")
    ));

    // --expect: the right head passes, a wrong hash or a head beyond the log fails naming it.
    let (code, walked, _) = clerk_verify_log(data.path(), &["--expect", &format!("12:{hash}")]);
    assert_eq!(code, Some(0));
    let confirmed = walked["notes"].as_array().unwrap().iter().any(|n| {
        n.as_str()
            .is_some_and(|n| n.contains("entry 12 has the hash you expect") && n.contains(&hash))
    });
    assert!(
        confirmed,
        "a match is confirmed, not passed over in silence: {walked}"
    );
    let wrong = format!("12:{}", "ab".repeat(32));
    let (code, walked, _) = clerk_verify_log(data.path(), &["--expect", &wrong]);
    assert_eq!(
        (code, walked["first_bad_entry"]["seq"].clone()),
        (Some(1), 12.into())
    );
    let (code, walked, _) = clerk_verify_log(data.path(), &["--expect", &format!("20:{hash}")]);
    assert_eq!(
        (code, walked["first_bad_entry"]["seq"].clone()),
        (Some(1), 13.into())
    );
    let (code, _, stderr) = clerk_verify_log(data.path(), &["--expect", "twelve"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("SEQ:HASH"), "{stderr}");
    // A key pinned by the clerk that is not the hub's: the checkpoints do not vouch.
    let other = tempfile::tempdir().unwrap();
    let signer =
        ecenter_store::checkpoint::CheckpointSigner::load(&other.path().join("k"), true).unwrap();
    std::fs::write(other.path().join("pub.pem"), signer.public_key_pem()).unwrap();
    let pinned = other.path().join("pub.pem");
    let (code, walked, _) =
        clerk_verify_log(data.path(), &["--checkpoint-key", pinned.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{walked}");
    // One hub, one key: several are for the log of several hubs (--postgres).
    let pinned = pinned.to_str().unwrap();
    let (code, _, stderr) = clerk_verify_log(
        data.path(),
        &["--checkpoint-key", pinned, "--checkpoint-key", pinned],
    );
    assert_ne!(code, Some(0));
    assert!(stderr.contains("give one key with --data-dir"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_sled_snapshot_is_set_aside_and_every_filing_is_served() {
    let data = tempfile::tempdir().unwrap();
    six_filings(data.path()).await;
    // What an interrupted snapshot leaves: a file sled reads as a snapshot, cut short.
    let partial = data
        .path()
        .join("log")
        .join("snap.00000000000ABCDE.generating");
    std::fs::write(&partial, b"\x01\x02half a snapshot").unwrap();
    let hub = TestHub::start(data.path()).await;
    let mut clerk = hub.client(CLERK).await;
    let filings = list_all(&mut clerk, Default::default()).await;
    assert_eq!(filings.len(), 6);
    assert!(!partial.exists());
    let aside: Vec<String> = std::fs::read_dir(data.path().join("set-aside"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        aside
            .iter()
            .any(|n| n.starts_with("snap.00000000000ABCDE.generating")),
        "{aside:?}"
    );
    hub.stop().await;
}

/// sled's snapshot is only a shortcut to its page table: one that cannot be read stops the hub
/// (sled would fail on it), named as the file to move aside, while the clerk, who never opens the
/// original, verifies the entries without it and says the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_sled_snapshot_is_named_and_the_clerk_verifies_the_entries_without_it() {
    let data = tempfile::tempdir().unwrap();
    six_filings(data.path()).await;
    // Sorted last of the snapshots, so sled reads it first; its checksum does not match.
    let name = "snap.7FFFFFFFFFFFFFFF";
    std::fs::write(data.path().join("log").join(name), vec![0x5a; 4096]).unwrap();
    let before = tree_digest(data.path());
    let (code, walked, stderr) = clerk_verify_log(data.path(), &[]);
    assert_eq!(code, Some(0), "{walked} {stderr}");
    assert_eq!(
        (
            walked["head"]["seq"].clone(),
            walked["checkpoint"]["seq"].clone()
        ),
        (12.into(), 12.into()),
        "{walked}"
    );
    let notes = walked["notes"].to_string();
    assert!(
        notes.contains(name) && notes.contains("verified without it"),
        "{walked}"
    );
    let refused = refusal(data.path());
    assert!(
        refused.contains(name) && refused.contains("move the snapshot out of the data directory"),
        "{refused}"
    );
    assert_eq!(
        tree_digest(data.path()),
        before,
        "the check wrote to the directory"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bit_flipped_in_a_stored_hash_is_named_at_its_entry_by_start_up_and_clerk() {
    let data = tempfile::tempdir().unwrap();
    six_filings(data.path()).await;
    // Entry 5's stored hash, as the log holds it (read from a copy: the original is not opened).
    let scratch = tempfile::tempdir().unwrap();
    let audit = ecenter_store::audit::audit_copy(
        data.path(),
        scratch.path(),
        &[5],
        ecenter_store::audit::DamagedSnapshot::Refuse,
    )
    .unwrap();
    let hash = audit.hashes[&5];
    let copy = copy_of(data.path());
    flip_in_sled_file(copy.path(), &hash);
    let before = tree_digest(copy.path());
    let (code, walked, _) = clerk_verify_log(copy.path(), &[]);
    assert_eq!(
        (code, walked["first_bad_entry"]["seq"].clone()),
        (Some(1), 5.into()),
        "{walked}"
    );
    let refused = refusal(copy.path());
    assert!(
        refused.contains("entry 5") || refused.contains("entries 5–12"),
        "{refused}"
    );
    assert_eq!(tree_digest(copy.path()), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bit_flipped_in_a_projection_record_is_never_served_as_the_truth() {
    let data = tempfile::tempdir().unwrap();
    six_filings(data.path()).await;
    // The stored state of the filing received at entry 5 (routed at 6): only its projection
    // record says "last_event_seq":6.
    let copy = copy_of(data.path());
    flip_in_sled_file(copy.path(), b"\"last_event_seq\":6,");
    let (code, walked, _) = clerk_verify_log(copy.path(), &[]);
    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: copy.path().to_path_buf(),
        ..ecenter_server::Config::default()
    };
    match ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap()) {
        // sled noticed the damaged record and dropped it with what followed: both refuse, alike.
        Err(refused) => {
            assert_eq!(code, Some(1), "{walked}");
            let first = walked["first_bad_entry"]["seq"].as_u64().unwrap();
            assert!(
                refused.to_string().contains(&format!("{first}")),
                "{refused} / {walked}"
            );
        }
        // Or the damaged copy is not the one sled reads: then the hub serves what the log says.
        Ok(hub) => {
            drop(hub);
            assert_eq!(code, Some(0), "{walked}");
            let hub = TestHub::start(copy.path()).await;
            let mut clerk = hub.client(CLERK).await;
            let f = clerk
                .get_filing(ecenter_proto::v1::GetFilingRequest {
                    filing_id: "F000000000005".into(),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(f.request_id, "tamper-req-0002");
            hub.stop().await;
        }
    }
}

/// The hub's key deleted from a copy of `data`, then one of another kind put in its place.
fn a_lost_or_foreign_key_is_refused(data: &Path) {
    // The hub's key deleted: refused, and no new key is made that could sign a shortened log.
    let keyless = copy_of(data);
    std::fs::remove_file(keyless.path().join("checkpoints/hub.key")).unwrap();
    let refused = refusal(keyless.path());
    assert!(
        refused.contains("checkpoint key")
            && refused.contains("missing")
            && refused.contains(
                "an instance on PostgreSQL can instead start again with an empty data_dir"
            ),
        "{refused}"
    );
    assert!(!keyless.path().join("checkpoints/hub.key").exists());

    // A key of another kind in its place (RSA, made by OpenSSL): the key is named as the
    // setting it comes from, not as a refused log (round 8, G7).
    let rsa = keyless.path().join("checkpoints/hub.key");
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-out",
        rsa.to_str().unwrap(),
    ]);
    let refused = refusal(keyless.path());
    assert!(
        refused.starts_with("the checkpoint key cannot be used ([checkpoints] key_file")
            && refused.contains("not an ECDSA P-256"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emptied_checkpoint_file_or_a_deleted_key_is_refused_and_witnesses_stay_in_step() {
    let data = tempfile::tempdir().unwrap();
    six_filings(data.path()).await;
    let local = data.path().join("checkpoints");

    // Emptied (not removed): refused the same way, and the log is not opened (nothing written).
    let emptied = copy_of(data.path());
    std::fs::write(emptied.path().join("checkpoints/checkpoints.jsonl"), b"").unwrap();
    let before = tree_digest(emptied.path());
    let refused = refusal(emptied.path());
    assert!(refused.contains("holds no checkpoint"), "{refused}");
    assert_eq!(tree_digest(emptied.path()), before);
    let (code, walked, _) = clerk_verify_log(emptied.path(), &[]);
    assert_eq!(code, Some(1), "{walked}");
    assert!(
        walked["first_bad_entry"].is_null(),
        "the entries verify: {walked}"
    );
    assert!(
        walked["checkpoint_problem"]
            .as_str()
            .unwrap()
            .contains("no valid signed checkpoint")
    );

    a_lost_or_foreign_key_is_refused(data.path());

    // A witness added to a running hub's configuration starts as a copy of the history, and
    // after another run both still verify and agree.
    let witness = tempfile::tempdir().unwrap();
    let with_witness = |c: &mut ecenter_server::Config| {
        c.checkpoints.witness_dirs = vec![witness.path().to_path_buf()];
    };
    for round in 0..2 {
        let hub = TestHub::start_with(data.path(), with_witness).await;
        let mut lawyer = hub.client(LAWYER_A).await;
        let doc = pdf(&format!("witnessed {round}"));
        let id = format!("witnessed-{round:04}");
        submit(&mut lawyer, &id, CASE, "证据材料", &[("e.pdf", &doc)])
            .await
            .unwrap();
        hub.stop().await;
        let ours = std::fs::read(local.join("checkpoints.jsonl")).unwrap();
        let theirs = std::fs::read(witness.path().join("checkpoints.jsonl")).unwrap();
        assert_eq!(ours, theirs, "round {round}");
    }
    let (code, walked, _) = clerk_verify_log(
        data.path(),
        &["--witness", witness.path().to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{walked}");
    assert!(
        walked["notes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| !n.as_str().unwrap().contains("does not verify"))
    );
    // Emptied with the witness configured: restored from it.
    std::fs::write(local.join("checkpoints.jsonl"), b"").unwrap();
    let hub = TestHub::start_with(data.path(), with_witness).await;
    hub.stop().await;
    assert_eq!(
        std::fs::read(local.join("checkpoints.jsonl")).unwrap(),
        std::fs::read(witness.path().join("checkpoints.jsonl")).unwrap()
    );
    let (code, _, _) =
        clerk_verify_log(data.path(), &["--expect", &format!("0:{}", "0".repeat(64))]);
    assert_eq!(code, Some(2), "entry 0 is no entry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_names_the_signed_checkpoint_that_vouches_for_its_filing() {
    let data = tempfile::tempdir().unwrap();
    let hub = TestHub::start(data.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let doc = pdf("有签名检查点的回执");
    let receipt = file_evidence(&mut lawyer, "vouched-0001", &doc).await;
    // Within the checkpoint interval a checkpoint covers the filing; the receipt then names it.
    let mut named = None;
    for _ in 0..50 {
        let r = lawyer
            .get_receipt(ecenter_proto::v1::GetReceiptRequest {
                filing_id: receipt.filing_id.clone(),
                pdf: false,
            })
            .await
            .unwrap()
            .into_inner();
        if let Some(cp) = r.checkpoint.filter(|c| c.seq >= receipt.log_seq) {
            named = Some(cp);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let cp = named.expect("no checkpoint came to cover the filing");
    let line: serde_json::Value = serde_json::from_str(&cp.line).unwrap();
    assert_eq!(
        (line["seq"].as_u64(), line["hash"].as_str()),
        (Some(cp.seq), Some(cp.hash.as_str()))
    );
    let head = hub
        .log_client(CLERK)
        .await
        .get_chain_head(ecenter_proto::v1::GetChainHeadRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(head.checkpoint.is_some_and(|c| c.seq <= head.seq));
    hub.stop().await;
    // What the lawyer holds checks the court's log offline.
    let (code, walked, _) = clerk_verify_log(
        data.path(),
        &["--expect", &format!("{}:{}", cp.seq, cp.hash)],
    );
    assert_eq!(code, Some(0), "{walked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_timestamps_are_verified_offline_and_a_swapped_one_is_named() {
    // A hub with the PKI's TSA: its checkpoints carry RFC 3161 timestamps of their signatures.
    let (pki, data, hub) = tls_world().await;
    let mut lawyer = tls_client(hub.addr, pki.path(), "lawyer-14201202010000001").await;
    let doc = pdf("有时间戳的检查点");
    let h = header("stamped-0001", CASE, "证据材料", &[("e.pdf", &doc)]);
    lawyer
        .submit_filing(tokio_stream::iter(messages(h, &[&doc], 1 << 20)))
        .await
        .unwrap();
    hub.stop().await;
    let root = pki.path().join("root-ca.pem");
    let tsa_ca = pki.path().join("tsa-ca.pem");
    let trust = [
        "--tsa-trust",
        path_str(&root),
        "--intermediate",
        path_str(&tsa_ca),
    ];
    let (code, walked, _) = clerk_verify_log(data.path(), &trust);
    assert_eq!(code, Some(0), "{walked}");
    let notes = walked["notes"].to_string();
    assert!(
        notes.contains("checkpoint timestamp(s) verified, 0 checkpoint(s) without one"),
        "{notes}"
    );

    // The last checkpoint given the first one's (valid) timestamp: its signature still verifies,
    // but the timestamp stamps another signature.
    let copy = copy_of(data.path());
    let file = copy.path().join("checkpoints/checkpoints.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 2, "{text}");
    let first = lines[0]["timestamp"].clone();
    let last = lines.len() - 1;
    lines[last]["timestamp"] = first;
    let swapped: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, swapped).unwrap();
    let (code, walked, _) = clerk_verify_log(copy.path(), &trust);
    assert_eq!(code, Some(1), "{walked}");
    let problem = walked["checkpoint_problem"].as_str().unwrap();
    assert!(
        problem.contains(&format!("checkpoint {}", last + 1))
            && problem.contains("timestamp does not verify"),
        "{problem}"
    );

    // The last checkpoint's timestamp taken away (the signature does not cover it): counted in a
    // note, and a failure when the clerk requires timestamps.
    lines[last]
        .as_object_mut()
        .unwrap()
        .remove("timestamp")
        .unwrap();
    let stripped: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, stripped).unwrap();
    let (code, walked, _) = clerk_verify_log(copy.path(), &trust);
    assert_eq!(code, Some(0), "{walked}");
    assert!(
        walked["notes"]
            .to_string()
            .contains("1 checkpoint(s) without one"),
        "{walked}"
    );
    let required = [&trust[..], &["--require-timestamps"]].concat();
    let (code, walked, _) = clerk_verify_log(copy.path(), &required);
    assert_eq!(code, Some(1), "{walked}");
    let problem = walked["checkpoint_problem"].as_str().unwrap();
    assert!(
        problem.contains(&format!("checkpoint {}", last + 1))
            && problem.contains("carry no timestamp"),
        "{problem}"
    );
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
