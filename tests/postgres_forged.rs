//! An entry written into PostgreSQL's log around the hubs — linked, well formed, by someone
//! holding the hubs' database role — is not the hubs' record: no instance sealed it
//! (`crates/store/src/postgres/seals.rs`). Every instance refuses to take it into its replica and
//! stops writing (its health turns NOT_SERVING), the filing it would change reads as before, and
//! the clerk names the entry. Round 7 of the outside tests (F16) saw such an entry shown to the
//! lawyer as his own and then signed into the hubs' checkpoints. A table the hubs rely on emptied
//! around them stops them the same way, named.

mod common;

use common::one_instance::{
    OneInstance, refused_at_start, refused_filing, serving, tamper_then_expect_the_stop,
    until_not_serving,
};
use common::postgres::{database_for, psql};
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_server::config::StoreConfig;

const LAWYER: &str = "lawyer-14201202010000001";
const COURT_CMS: &str = "court-xiangyang-cms";

/// Appends `event`, recorded `at`, at PostgreSQL's head as a database role could, with no seal:
/// its entry number and hash (hex).
fn forge_at_head(
    db: &str,
    event: &ecenter_domain::Event,
    at: chrono::DateTime<chrono::Utc>,
) -> (u64, String) {
    let head = psql(
        db,
        "SELECT seq || ' ' || encode(hash, 'hex') FROM ecenter_head",
    );
    let (seq, hash) = head.split_once(' ').unwrap();
    let seq: u64 = seq.parse::<u64>().unwrap() + 1;
    let prev: [u8; 32] = hex::decode(hash).unwrap().try_into().unwrap();
    let (hash, entry) = ecenter_store::chain::encode_entry(seq, &prev, at, event);
    let (hash, entry) = (hex::encode(hash), hex::encode(entry));
    psql(
        db,
        &format!(
            "INSERT INTO ecenter_log (seq, hash, entry) VALUES ({seq}, decode('{hash}', 'hex'), \
             decode('{entry}', 'hex')); UPDATE ecenter_head SET seq = {seq}, \
             hash = decode('{hash}', 'hex'); SELECT pg_notify('ecenter_head', '{seq}')"
        ),
    );
    (seq, hash)
}

/// `hub` refuses the next filing naming entry `forged`, stops serving, and reads `filing_id` as
/// it was before the forged entry.
async fn refuses_to_go_on(
    hub: &TestHub,
    pki: &std::path::Path,
    i: usize,
    forged: u64,
    filing_id: &str,
) {
    use tonic_health::pb::health_check_response::ServingStatus;
    let mut client = tls_client(hub.addr, pki, LAWYER).await;
    let id = format!("forged-after-{i}");
    let said = refused_filing(&mut client, &id).await;
    assert!(
        said.contains(&format!("entry {forged}"))
            && said.contains("no instance of the hub sealed it"),
        "{said}"
    );
    assert_eq!(serving(hub, pki).await, ServingStatus::NotServing as i32);
    let mut court = tls_client(hub.addr, pki, COURT_CMS).await;
    let filing = court
        .get_filing(pb::GetFilingRequest {
            filing_id: filing_id.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(filing.cancel_reason.is_empty(), "{filing:?}");
    assert!(filing.last_event_seq < forged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_entry_written_around_the_hubs_is_refused_by_every_instance() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let shared = tempfile::tempdir().unwrap();
    let (db, config) = database_for(shared.path());
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut hubs = Vec::new();
    for dir in &dirs {
        let store = StoreConfig::Postgres(config.clone());
        hubs.push(start_tls_with(dir.path(), pki.path(), move |c| c.store = store).await);
    }
    let mut lawyer = tls_client(hubs[0].addr, pki.path(), LAWYER).await;
    let filed = submit(
        &mut lawyer,
        "forged-0001",
        CASE,
        "证据材料",
        &[("a.pdf", &pdf("one"))],
    )
    .await
    .unwrap();
    let filing_id = filed.receipt.unwrap().filing_id;
    // Both instances' batches are sealed: the other hub writes as well before the forgery.
    let mut on_b = tls_client(hubs[1].addr, pki.path(), LAWYER).await;
    submit(
        &mut on_b,
        "forged-0002",
        CASE,
        "证据材料",
        &[("b.pdf", &pdf("two"))],
    )
    .await
    .unwrap();

    let (forged, _) = forge_at_head(
        &db,
        &ecenter_domain::Event::FilingCancelled {
            filing_id: filing_id.clone(),
            by: format!("urn:ecenter:lawyer:{}", &LAWYER[7..]),
            reason: "伪造的撤回".into(),
        },
        chrono::Utc::now(),
    );
    for (i, hub) in hubs.iter().enumerate() {
        refuses_to_go_on(hub, pki.path(), i, forged, &filing_id).await;
    }
    // Nothing was written after it.
    let after = psql(
        &db,
        &format!("SELECT count(*) FROM ecenter_log WHERE seq > {forged}"),
    );
    assert_eq!(after, "0");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["verify-log", "--postgres", &config.url, "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(
        report["first_bad_entry"]["seq"].as_u64(),
        Some(forged),
        "{report}"
    );
    // Stopped, each says what it refused, not that its log failed to reach the disk (round 8, G4).
    for hub in hubs {
        let stopped = hub.stop_result().await.unwrap_err().to_string();
        assert!(
            stopped.contains("stopped accepting changes")
                && stopped.contains(&format!("entry {forged}"))
                && !stopped.contains("disk"),
            "{stopped}"
        );
    }
}

/// Seals entry `seq` (hash `hash`) as the format says (seals.rs: the text, ECDSA P-256 SHA-256,
/// DER) with a key OpenSSL makes in `dir`, and publishes that key beside the hubs': what a forger
/// with write access to the whole database can do. Returns the key id.
fn openssl_seal(db: &str, dir: &std::path::Path, seq: u64, hash: &str) -> String {
    let key = dir.join("forger.key");
    let key = key.to_str().unwrap();
    let public = openssl_p256_key(key);
    let der = openssl(&["pkey", "-in", key, "-pubout", "-outform", "DER"]);
    let kid = hex::encode(&ring::digest::digest(&ring::digest::SHA256, &der).as_ref()[..8]);
    let from = psql(db, "SELECT seq FROM ecenter_seals_from");
    let text = format!(
        "ecenter entry seal 1\nsealed from entry {from}\nentries {seq} to {seq}\nentry {seq} hash {hash}\n"
    );
    let text_file = dir.join("seal.txt");
    std::fs::write(&text_file, text).unwrap();
    let signature = openssl(&["dgst", "-sha256", "-sign", key, text_file.to_str().unwrap()]);
    psql(
        db,
        &format!(
            "INSERT INTO ecenter_checkpoint_keys VALUES ('{kid}', '{public}'); \
             INSERT INTO ecenter_seals (first_seq, last_seq, key_id, signature) \
             VALUES ({seq}, {seq}, '{kid}', decode('{}', 'hex'))",
            hex::encode(signature)
        ),
    );
    kid
}

/// Each hub's checkpoint public key as OpenSSL reads it out of its key file, written into `work`.
fn public_keys(dirs: &[tempfile::TempDir], work: &std::path::Path) -> Vec<String> {
    let mut pinned = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let private = dir.path().join("checkpoints/hub.key");
        let public = openssl(&["pkey", "-in", private.to_str().unwrap(), "-pubout"]);
        let path = work.join(format!("hub{i}.pub"));
        std::fs::write(&path, public).unwrap();
        pinned.push(path.to_str().unwrap().to_string());
    }
    pinned
}

fn clerk(url: &str, extra: &[&str]) -> (serde_json::Value, Option<i32>) {
    let mut args = vec!["verify-log", "--postgres", url, "--json"];
    args.extend_from_slice(extra);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(&args)
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code(),
    )
}

/// A forger who also plants a key of his own in the database seals his entry (with OpenSSL: the
/// seal's format is all he needs). The database's keys then vouch for it — the clerk still warns
/// that it is back-dated — but with every instance's key held apart (`--checkpoint-key`) the
/// clerk names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_entry_sealed_with_a_planted_key_is_named_with_the_instances_keys_pinned() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let shared = tempfile::tempdir().unwrap();
    let (db, config) = database_for(shared.path());
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for (i, dir) in dirs.iter().enumerate() {
        let store = StoreConfig::Postgres(config.clone());
        let hub = start_tls_with(dir.path(), pki.path(), move |c| c.store = store).await;
        let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
        let id = format!("planted-{i}");
        submit(&mut lawyer, &id, CASE, "证据材料", &[("a.pdf", &pdf(&id))])
            .await
            .unwrap();
        hub.stop().await;
    }
    let months_ago = chrono::Utc::now() - chrono::TimeDelta::days(270);
    let event = ecenter_domain::Event::FilingCancelled {
        // The first filing (entry 1 says where the seals begin).
        filing_id: "F000000000002".into(),
        by: "urn:ecenter:lawyer:14201202010000001".into(),
        reason: "伪造".into(),
    };
    let (seq, hash) = forge_at_head(&db, &event, months_ago);
    let work = tempfile::tempdir().unwrap();
    let kid = openssl_seal(&db, work.path(), seq, &hash);

    let (report, code) = clerk(&config.url, &[]);
    assert!(report["first_bad_entry"].is_null(), "{report}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains(&format!("WARNING: entry {seq} was recorded at")),
        "{report}"
    );
    assert!(
        notes.contains("sealed by keys PostgreSQL publishes"),
        "{report}"
    );
    assert_eq!(code, Some(0), "{report}");

    let pinned = public_keys(&dirs, work.path());
    let (report, code) = clerk(
        &config.url,
        &[
            "--checkpoint-key",
            &pinned[0],
            "--checkpoint-key",
            &pinned[1],
        ],
    );
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        report["first_bad_entry"]["seq"].as_u64(),
        Some(seq),
        "{report}"
    );
    let why = report["first_bad_entry"]["reason"].to_string();
    assert!(
        why.contains(&format!("by key {kid}, which is not among the keys given")),
        "{report}"
    );

    // An instance given the same keys (`[store] instance_keys`) does not take the entry either:
    // a new one cannot build its replica past it.
    let keys = pinned.iter().map(std::path::PathBuf::from).collect();
    let config = ecenter_store::PostgresConfig {
        instance_keys: keys,
        ..config
    };
    // Its own key must be on the list: it runs on hub A's key file.
    let fresh = tempfile::tempdir().unwrap();
    let own = dirs[0].path().join("checkpoints").join("hub.key");
    let refused =
        ecenter_store::SledStore::open_replicated_sealing(fresh.path(), &config, Some(&own))
            .err()
            .expect("the planted seal is refused");
    let said = refused.to_string();
    assert!(said.contains(&format!("entry {seq}")), "{said}");
    assert!(
        said.contains("not among the keys given with [store] instance_keys"),
        "{said}"
    );
}

/// The head row deleted around a running hub: not "the database could not be reached" for every
/// batch from then on, but a stop that says what is gone (health NOT_SERVING).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_row_deleted_around_the_hub_stops_it_naming_the_table() {
    tamper_then_expect_the_stop("DELETE FROM ecenter_head", "ecenter_head has no row").await;
}

/// An entry below the head altered in PostgreSQL while an instance was down (its content, not
/// its hash column): catching up reads only what follows the replica's head, so the restarted
/// instance must find it by holding its replica against the log of record — and stop, naming
/// the entry, rather than serve on it (round 7, F2). Reads still answer from the replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_altered_below_the_head_stops_the_restarted_instance_naming_it() {
    altered_below_the_head(OneInstance::new(), true).await;
}

/// The same entry altered while the instance runs is found by its next walk of the log
/// (`[store] recheck_every_secs`, a day by default, a second here), without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_altered_below_the_head_is_found_by_the_running_instances_next_recheck() {
    let mut one = OneInstance::new();
    one.config.recheck_every_secs = Some(1);
    altered_below_the_head(one, false).await;
}

/// Files twice, flips a byte of the first filing's entry in PostgreSQL (with the hub stopped
/// and started again around it when `restart`), and expects the hub to stop writing, naming it.
async fn altered_below_the_head(one: OneInstance, restart: bool) {
    let (pki, db) = (&one.pki, &one.db);
    let hub = one.start().await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let first = submit(
        &mut lawyer,
        "altered-below-1",
        CASE,
        "证据材料",
        &[("a.pdf", &pdf("甲"))],
    )
    .await
    .unwrap()
    .receipt
    .unwrap();
    submit(
        &mut lawyer,
        "altered-below-2",
        CASE,
        "证据材料",
        &[("b.pdf", &pdf("乙"))],
    )
    .await
    .unwrap();
    drop(lawyer);
    // One byte of the first filing's entry flipped, its hash column left as it was.
    let altered = first.log_seq;
    let alter = || {
        psql(
            db,
            &format!(
                "UPDATE ecenter_log SET entry = set_byte(entry, 60, get_byte(entry, 60) # 1) \
                 WHERE seq = {altered}"
            ),
        )
    };
    let hub = if restart {
        hub.stop_result().await.unwrap();
        alter();
        one.start().await
    } else {
        alter();
        hub
    };
    until_not_serving(&hub, pki.path()).await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let said = refused_filing(&mut lawyer, "altered-below-3").await;
    assert!(
        said.contains(&format!("entry {altered} differs in PostgreSQL's log"))
            && said.contains("changed around the hubs"),
        "{said}"
    );
    let mut court = tls_client(hub.addr, pki.path(), COURT_CMS).await;
    let filing = court
        .get_filing(pb::GetFilingRequest {
            filing_id: first.filing_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filing.filing_id, first.filing_id);
    let _ = hub.stop_result().await;
}

/// The row that says where the seals begin deleted, or moved, while an instance runs: it read the
/// row at its start, so it went on writing while the clerk and every restarted instance refused
/// the log (round 8, G5). Its next walk of the log holds the row against `log_seals_began`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_the_seals_begin_changed_under_a_running_instance_stops_it_at_its_next_recheck() {
    for (sql, named) in [
        (
            "DELETE FROM ecenter_seals_from",
            "entry 1 of the log records that they begin at entry 1: put the row back \
             (`INSERT INTO ecenter_seals_from (seq) VALUES (1)`)",
        ),
        (
            "UPDATE ecenter_seals_from SET seq = seq + 2",
            "the row was changed",
        ),
    ] {
        let mut one = OneInstance::new();
        one.config.recheck_every_secs = Some(1);
        let hub = one.start().await;
        let mut lawyer = tls_client(hub.addr, one.pki.path(), LAWYER).await;
        let doc = pdf("before the row changed");
        submit(
            &mut lawyer,
            "row-0001",
            CASE,
            "证据材料",
            &[("a.pdf", &doc)],
        )
        .await
        .unwrap();
        psql(&one.db, sql);
        until_not_serving(&hub, one.pki.path()).await;
        let said = refused_filing(&mut lawyer, "row-0002").await;
        assert!(said.contains(named), "{said}");
        let _ = hub.stop_result().await;
    }
}

/// A forged entry appended at the head with the row that says where the seals begin moved past
/// it, in one transaction: the running instance refuses it, but a restarted one read the row
/// afresh and took the entry as one from before seals began, as did a new instance and the
/// clerk (round 8, G1). Where the seals begin is an entry of the chain (`log_seals_began`); each
/// of them holds the row against it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_the_seals_begin_moved_past_a_forged_entry_is_refused_after_a_restart() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let shared = tempfile::tempdir().unwrap();
    let (db, config) = database_for(shared.path());
    let dir = tempfile::tempdir().unwrap();
    let store = StoreConfig::Postgres(config.clone());
    let hub = start_tls_with(dir.path(), pki.path(), move |c| c.store = store).await;
    let began = psql(
        &db,
        "SELECT seq FROM ecenter_log WHERE position('\"log_seals_began\"'::bytea in entry) > 0",
    );
    assert_eq!(
        began, "1",
        "the first instance records where the seals begin"
    );
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let filed = submit(
        &mut lawyer,
        "moved-0001",
        CASE,
        "证据材料",
        &[("a.pdf", &pdf("一"))],
    )
    .await
    .unwrap();
    let filing_id = filed.receipt.unwrap().filing_id;
    drop(lawyer);
    hub.stop_result().await.unwrap();

    let (forged, _) = forge_at_head(
        &db,
        &ecenter_domain::Event::FilingCancelled {
            filing_id,
            by: format!("urn:ecenter:lawyer:{}", &LAWYER[7..]),
            reason: "伪造的撤回".into(),
        },
        chrono::Utc::now(),
    );
    psql(
        &db,
        &format!("UPDATE ecenter_seals_from SET seq = {}", forged + 1),
    );
    let moved = format!(
        "ecenter_seals_from says the seals begin at entry {}, but entry 1 of the log records \
         that they begin at 1",
        forged + 1
    );
    let said = refused_at_start(dir.path(), &config);
    assert!(
        said.contains(&moved) && said.contains("set it back to 1"),
        "{said}"
    );
    let fresh = tempfile::tempdir().unwrap();
    let said = refused_at_start(fresh.path(), &config);
    assert!(
        said.contains("entry 1 does not verify: it records that the seals begin at entry 1"),
        "{said}"
    );
    clerk_names_the_forged_entry_and_the_row(&config.url, forged, &moved);

    // Moved past the head, it is refused as well; the clerk still judges by the chain's entry,
    // naming the forged entry and the row with its fix (outside tests, round 11, F3).
    psql(&db, "UPDATE ecenter_seals_from SET seq = 1000000");
    let said = refused_at_start(fresh.path(), &config);
    assert!(said.contains("past the log's head"), "{said}");
    let moved = "ecenter_seals_from says the seals begin at entry 1000000, but entry 1 of the log \
                 records that they begin at 1";
    clerk_names_the_forged_entry_and_the_row(&config.url, forged, moved);
    a_log_rewritten_to_begin_its_seals_after_a_forged_entry_is_refused(&db, &config, fresh.path());
}

/// The clerk judges by the chain's own record of where the seals begin, not by the row: the
/// forged entry is named, and so is the row, as `moved` (round 10, F3).
fn clerk_names_the_forged_entry_and_the_row(url: &str, forged: u64, moved: &str) {
    let (report, code) = clerk(url, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        report["first_bad_entry"]["seq"].as_u64(),
        Some(forged),
        "{report}"
    );
    let reason = report["first_bad_entry"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("no instance of the hub sealed it"),
        "{reason}"
    );
    let problem = report["database_problem"].as_str().unwrap_or_default();
    assert!(problem.contains(moved), "{report}");
}

/// The whole log rewritten by the database's owner, no key needed: entry 1 records that the seals
/// begin at 3, past a forged entry 2, the row agreeing, the seals and checkpoints emptied. A new
/// instance with an empty `data_dir` served it and signed it (round 9, F1); entry 1 records a
/// start after itself, which no instance writes, and is refused by the new instance and the clerk.
fn a_log_rewritten_to_begin_its_seals_after_a_forged_entry_is_refused(
    db: &str,
    config: &ecenter_store::postgres::PostgresConfig,
    fresh: &std::path::Path,
) {
    psql(
        db,
        "DELETE FROM ecenter_seals; DELETE FROM ecenter_checkpoints; DELETE FROM ecenter_log; \
         UPDATE ecenter_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')",
    );
    let began = ecenter_domain::Event::LogSealsBegan {
        from: 3,
        instance: "hub-rewritten".into(),
    };
    forge_at_head(db, &began, chrono::Utc::now());
    let forged = ecenter_domain::Event::FilingCancelled {
        filing_id: "F000000000002".into(),
        by: format!("urn:ecenter:lawyer:{}", &LAWYER[7..]),
        reason: "伪造的撤回".into(),
    };
    forge_at_head(db, &forged, chrono::Utc::now());
    psql(db, "UPDATE ecenter_seals_from SET seq = 3");
    let said = refused_at_start(fresh, config);
    assert!(
        said.contains(
            "entry 1 does not verify: it records that the seals begin at entry 3, after itself"
        ),
        "{said}"
    );
    let (report, code) = clerk(&config.url, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        report["first_bad_entry"]["seq"].as_u64(),
        Some(1),
        "{report}"
    );
}

/// An instance whose own key is not on its `[store] instance_keys` list refuses to start, naming
/// its key and how to export it: the others, holding the same list, would refuse its entries
/// while it went on acknowledging filings (round 8, G6). One whose listed key was lost from its
/// data directory is told to restore it, not given a new key and told to list that.
#[test]
fn an_instance_not_on_its_own_list_of_keys_refuses_to_start() {
    let shared = tempfile::tempdir().unwrap();
    let (_db, config) = database_for(shared.path());
    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("other.key");
    let listed = work.path().join("other.pub");
    std::fs::write(&listed, openssl_p256_key(key.to_str().unwrap())).unwrap();
    let config = ecenter_store::PostgresConfig {
        instance_keys: vec![listed],
        ..config
    };
    let dir = tempfile::tempdir().unwrap();
    let said = ecenter_store::SledStore::open_replicated(dir.path(), &config)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        said.contains("none of them this instance's own") && said.contains("openssl pkey -in"),
        "{said}"
    );

    let own = dir.path().join("checkpoints/hub.key");
    std::fs::create_dir_all(own.parent().unwrap()).unwrap();
    std::fs::write(
        &config.instance_keys[0],
        openssl_p256_key(own.to_str().unwrap()),
    )
    .unwrap();
    drop(ecenter_store::SledStore::open_replicated(dir.path(), &config).unwrap());
    std::fs::remove_file(&own).unwrap();
    let said = ecenter_store::SledStore::open_replicated(dir.path(), &config)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        said.contains(&format!("{}, is missing", own.display()))
            && said.contains("restore the file from its backup"),
        "{said}"
    );
    assert!(!own.exists(), "no new key was made in its place");
}

/// A seal row planted over genuine, sealed entries (one that does not collide with the seal the
/// writer commits, so nothing stops the batch): readers took the first seal row covering an entry
/// and called the genuine entry forged — another instance stopped, the clerk said BROKEN (round
/// 9, F3). Any verified seal vouches: the clerk passes, naming the planted row, and a new
/// instance opens on the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seal_row_planted_over_sealed_entries_does_not_make_them_forged() {
    let one = OneInstance::new();
    let hub = one.start().await;
    let mut lawyer = tls_client(hub.addr, one.pki.path(), LAWYER).await;
    for id in ["overlap-0001", "overlap-0002"] {
        submit(&mut lawyer, id, CASE, "证据材料", &[("a.pdf", &pdf(id))])
            .await
            .unwrap();
    }
    drop(lawyer);
    hub.stop().await;
    let inside: u64 = psql(
        &one.db,
        "SELECT s FROM generate_series((SELECT min(first_seq) FROM ecenter_seals), \
         (SELECT seq FROM ecenter_head)) s WHERE s NOT IN (SELECT last_seq FROM ecenter_seals) \
         ORDER BY s DESC LIMIT 1",
    )
    .parse()
    .expect("a batch of more than one entry (a filing and its routing)");
    psql(
        &one.db,
        &format!(
            "INSERT INTO ecenter_seals (first_seq, last_seq, key_id, signature) SELECT {inside}, \
             {inside}, key_id, signature FROM ecenter_seals ORDER BY last_seq LIMIT 1"
        ),
    );
    // And one past the log's end (round 12, F4).
    psql(
        &one.db,
        "INSERT INTO ecenter_seals (first_seq, last_seq, key_id, signature) SELECT seq + 5, \
         seq + 90, 'planted', '\\x00'::bytea FROM ecenter_head",
    );
    let (report, code) = clerk(&one.config.url, &[]);
    assert_eq!(code, Some(0), "{report}");
    // The planted rows themselves are named, though they change nothing (round 10, F4).
    let planted = format!("ecenter_seals holds a row for entries {inside} to {inside}");
    let warned = |said: &str| {
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().starts_with(&format!("WARNING: {said}")))
    };
    assert!(warned(&planted), "{report}");
    assert!(
        warned("ecenter_seals holds 1 row(s) for entries past the log's last"),
        "{report}"
    );
    // (An instance refuses that one outright, naming the DELETE; the overlapping one it takes.)
    psql(
        &one.db,
        "DELETE FROM ecenter_seals WHERE last_seq > (SELECT seq FROM ecenter_head)",
    );
    let fresh = tempfile::tempdir().unwrap();
    ecenter_store::SledStore::open_replicated(fresh.path(), &one.config)
        .expect("a new instance opens on the genuine log");
}

/// An entry below the head rewritten whole — content, its hash prefix and the hash column
/// consistent — breaks the link of the entry after it. When one seal covers both, it vouches for
/// the entries as they linked: the clerk names the rewritten entry, not the one after it, and
/// does not count it as verified (round 20, F4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_rewritten_consistently_is_named_not_the_one_after_it() {
    let one = OneInstance::new();
    one.file_one_and_stop("rewritten-0001").await;
    let altered: u64 = psql(
        &one.db,
        "SELECT first_seq FROM ecenter_seals WHERE first_seq < last_seq ORDER BY first_seq LIMIT 1",
    )
    .parse()
    .unwrap();
    let body = "convert_to(replace(convert_from(substring(entry from 33), 'UTF8'), \
                'rewritten-0001', 'rewritten-0009'), 'UTF8')";
    psql(
        &one.db,
        &format!(
            "UPDATE ecenter_log SET entry = sha256({body}) || {body}, hash = sha256({body}) \
             WHERE seq = {altered}"
        ),
    );
    let (report, code) = clerk(&one.config.url, &[]);
    assert_eq!(code, Some(1), "{report}");
    let bad = &report["first_bad_entry"];
    assert_eq!(bad["seq"].as_u64(), Some(altered), "{report}");
    assert!(
        bad["reason"].as_str().unwrap().contains("it was altered"),
        "{report}"
    );
    assert_eq!(
        report["entries_verified"].as_u64(),
        Some(altered - 1),
        "{report}"
    );
}

/// A database that does not exist, or a URL the client cannot read, is said to be `[store] url`'s
/// fault, not the data directory's (round 20, F5).
#[test]
fn a_missing_database_names_the_setting_not_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::postgres::port();
    for url in [
        format!("host=127.0.0.1 port={port} user=postgres dbname=ecenter_absent sslmode=disable"),
        "sslmode=disable".to_string(),
    ] {
        let config = ecenter_store::PostgresConfig::at(url.clone());
        let said = refused_at_start(dir.path(), &config);
        assert!(
            said.contains("check [store] url") && !said.contains("the data directory"),
            "{url}: {said}"
        );
    }
}
