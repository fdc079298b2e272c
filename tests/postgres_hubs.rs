//! Several hubs, one log: two hubs serving mutual TLS on loopback share one PostgreSQL database
//! (`[store] backend = "postgres"`), each with its own data directory. A lawyer files on one and
//! the court reads, downloads and watches on the other; the request sent again to the other hub is
//! the same filing, replayed (sent to both at once, it is one filing too: the store's tests);
//! both hubs name the same chain head, and PostgreSQL's own SHA-256 agrees with it.

mod common;

use common::one_instance::tamper_then_expect_the_stop;
use common::postgres::{database_for, psql};
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_server::config::StoreConfig;
use std::path::Path;
use std::time::Duration;

const LAWYER: &str = "lawyer-14201202010000001";
const COURT_CMS: &str = "court-xiangyang-cms";

/// Two hubs with the PKI in `pki` on the database named after `shared`.
async fn two_hubs(pki: &Path, shared: &Path) -> (TestHub, TestHub, [tempfile::TempDir; 2], String) {
    let (db, config) = database_for(shared);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut hubs = Vec::new();
    for dir in &dirs {
        let store = StoreConfig::Postgres(config.clone());
        hubs.push(start_tls_with(dir.path(), pki, move |c| c.store = store).await);
    }
    let b = hubs.pop().unwrap();
    let a = hubs.pop().unwrap();
    (a, b, dirs, db)
}

/// The chain head as a clerk reads it over mTLS.
async fn chain_head(hub: &TestHub, pki: &Path) -> pb::ChainHead {
    let channel = channel_as(hub.addr, pki, "clerk-c0001").await;
    ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(channel)
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .unwrap()
        .into_inner()
}

/// Waits until `hub` shows the filing (its replica follows PostgreSQL within moments).
async fn filing_on(hub: &TestHub, pki: &Path, filing_id: &str) -> pb::Filing {
    let mut court = tls_client(hub.addr, pki, COURT_CMS).await;
    for _ in 0..200 {
        let got = court
            .get_filing(pb::GetFilingRequest {
                filing_id: filing_id.into(),
            })
            .await;
        if let Ok(f) = got {
            return f.into_inner();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{filing_id} never reached the other hub")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_filing_made_on_one_hub_is_read_downloaded_and_watched_on_another() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let shared = tempfile::tempdir().unwrap();
    let (a, b, _dirs, db) = two_hubs(pki.path(), shared.path()).await;

    let mut court_b = tls_client(b.addr, pki.path(), COURT_CMS).await;
    let mut watch = watch_department(&mut court_b, "民事审判庭").await;

    let answer = pdf("答辩状 filed on hub A");
    let mut lawyer_a = tls_client(a.addr, pki.path(), LAWYER).await;
    let receipt = file_evidence(&mut lawyer_a, "pg-hubs-1", &answer).await;

    let seen = tokio::time::timeout(Duration::from_secs(20), watch.message())
        .await
        .expect("hub B streams hub A's filing")
        .unwrap()
        .unwrap();
    assert_eq!(seen.filing_id, receipt.filing_id);

    let on_b = filing_on(&b, pki.path(), &receipt.filing_id).await;
    assert_eq!(on_b.documents[0].sha256, sha256_hex(&answer));
    let bytes = download(
        &mut court_b,
        &receipt.filing_id,
        &on_b.documents[0].document_id,
    )
    .await
    .unwrap();
    assert_eq!(bytes, answer, "hub B serves the document hub A received");

    // The same request id sent to hub B is the same filing, replayed.
    let mut lawyer_b = tls_client(b.addr, pki.path(), LAWYER).await;
    let again = submit(
        &mut lawyer_b,
        "pg-hubs-1",
        CASE,
        "证据材料",
        &[("e.pdf", &answer)],
    )
    .await
    .unwrap();
    assert!(again.replayed);
    assert_eq!(again.receipt.unwrap().filing_id, receipt.filing_id);
    read_at_once_on_the_other_hub(&mut lawyer_a, &mut court_b).await;

    let head_a = chain_head(&a, pki.path()).await;
    let mut head_b = chain_head(&b, pki.path()).await;
    for _ in 0..200 {
        if head_b.seq >= head_a.seq {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        head_b = chain_head(&b, pki.path()).await;
    }
    assert_eq!((head_a.seq, &head_a.hash), (head_b.seq, &head_b.hash));
    let stored = psql(
        &db,
        "SELECT seq || ' ' || encode(hash, 'hex') FROM ecenter_head",
    );
    assert_eq!(stored, format!("{} {}", head_a.seq, head_a.hash));
    let verified = psql(
        &db,
        "SELECT bool_and(sha256(substring(entry from 33)) = hash) FROM ecenter_log",
    );
    assert_eq!(verified, "t");
    a.stop().await;
    b.stop().await;
}

/// A balancer sends each request anywhere: a filing acknowledged by hub A is found by hub B
/// asked at once — never NOT_FOUND for a filing that exists (B catches up before saying so).
async fn read_at_once_on_the_other_hub(
    lawyer_a: &mut ecenter_proto::v1::filing_service_client::FilingServiceClient<
        tonic::transport::Channel,
    >,
    court_b: &mut ecenter_proto::v1::filing_service_client::FilingServiceClient<
        tonic::transport::Channel,
    >,
) {
    for i in 0..10 {
        let doc = pdf(&format!("read at once {i}"));
        let receipt = file_evidence(lawyer_a, &format!("pg-at-once-{i}"), &doc).await;
        let got = court_b
            .get_filing(pb::GetFilingRequest {
                filing_id: receipt.filing_id.clone(),
            })
            .await;
        assert!(got.is_ok(), "{}: {got:?}", receipt.filing_id);
    }
}

/// The lines of `hub`'s own checkpoint file.
fn own_checkpoints(hub: &TestHub) -> Vec<String> {
    let dir = ecenter_store::checkpoint::local_dir(&hub.data_dir);
    // None yet is an empty series: the callers wait for, or assert, what it should hold.
    std::fs::read_to_string(dir.join(ecenter_store::checkpoint::FILE_NAME))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Waits until PostgreSQL holds a checkpoint published by `instance` that vouches for entry
/// `seq`; returns its line and the public key it was published with.
fn published_at_least(db: &str, instance: &str, seq: u64) -> (String, String) {
    let sql = format!(
        "SELECT line || E'\\x1f' || public_key FROM ecenter_checkpoints \
         JOIN ecenter_checkpoint_keys USING (key_id) \
         WHERE instance = '{instance}' AND seq >= {seq} ORDER BY id DESC LIMIT 1"
    );
    for _ in 0..300 {
        let row = psql(db, &sql);
        if let Some((line, key)) = row.split_once('\u{1f}') {
            return (line.to_string(), key.to_string());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{instance} never published a checkpoint at or after entry {seq}")
}

/// The instance that published the newest checkpoint, once one has.
fn newest_signer(db: &str) -> String {
    for _ in 0..300 {
        let s = psql(
            db,
            "SELECT instance FROM ecenter_checkpoints ORDER BY id DESC LIMIT 1",
        );
        if !s.is_empty() {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no instance publishes checkpoints")
}

/// Whether OpenSSL checks `line` with the PEM `key`.
fn openssl_checks(line: &str, key: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.pem");
    std::fs::write(&path, key).unwrap();
    openssl_verifies_checkpoint(line, &path)
}

/// Waits until `hub`'s chain head names a published checkpoint at or after entry `seq` (an
/// instance names its own until it has read a published one); returns its line.
async fn named_published(hub: &TestHub, pki: &Path, db: &str, seq: u64) -> String {
    let mut named = String::new();
    for _ in 0..100 {
        let head = chain_head(hub, pki).await;
        if let Some(cp) = head.checkpoint.filter(|c| c.seq >= seq) {
            named = cp.line;
            let quoted = named.replace('\'', "''");
            let sql = format!("SELECT count(*) FROM ecenter_checkpoints WHERE line = '{quoted}'");
            if psql(db, &sql) == "1" {
                return named;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the chain head never named a published checkpoint at or after entry {seq}: {named}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_instance_signs_for_the_chain_and_another_takes_over_when_it_stops() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let shared = tempfile::tempdir().unwrap();
    let (db, config) = database_for(shared.path());
    // The two instances share one checkpoint key, as a province may configure them.
    let key_file = shared.path().join("checkpoint.key");
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut hubs = Vec::new();
    for dir in &dirs {
        let (store, key_file) = (StoreConfig::Postgres(config.clone()), key_file.clone());
        hubs.push(
            start_tls_with(dir.path(), pki.path(), move |c| {
                c.store = store;
                c.checkpoints.key_file = Some(key_file);
            })
            .await,
        );
    }
    let (b, a) = (hubs.pop().unwrap(), hubs.pop().unwrap());
    let mut lawyer_a = tls_client(a.addr, pki.path(), LAWYER).await;
    let mut lawyer_b = tls_client(b.addr, pki.path(), LAWYER).await;
    let first = file_evidence(&mut lawyer_a, "pg-sign-1", &pdf("起诉状 one")).await;
    let second = file_evidence(&mut lawyer_b, "pg-sign-2", &pdf("起诉状 two")).await;
    let seq = first.log_seq.max(second.log_seq);

    let ids = [
        chain_head(&a, pki.path()).await.instance,
        chain_head(&b, pki.path()).await.instance,
    ];
    let signer = newest_signer(&db);
    assert!(ids.contains(&signer), "{signer} is one of {ids:?}");
    let (line, key) = published_at_least(&db, &signer, seq);
    assert!(openssl_checks(&line, &key), "OpenSSL checks {line}");
    let (signing, other) = if ids[0] == signer { (a, b) } else { (b, a) };
    assert!(own_checkpoints(&signing).contains(&line));

    // The other instance names the chain's published checkpoint, not one of its own.
    let named = named_published(&other, pki.path(), &db, seq).await;
    assert!(openssl_checks(&named, &key), "OpenSSL checks {named}");
    // Some checkpoint intervals later the other instance has signed its own replica (more than
    // once), but has published nothing; the series never goes back.
    common::service::until(60, "the replica to be signed twice", || async {
        (own_checkpoints(&other).len() >= 2).then_some(())
    })
    .await;
    assert_eq!(
        psql(
            &db,
            "SELECT count(DISTINCT instance) FROM ecenter_checkpoints"
        ),
        "1",
        "one instance publishes"
    );

    // The signer stops: the other takes the lease and publishes what is filed next.
    signing.stop().await;
    let mut lawyer = tls_client(other.addr, pki.path(), LAWYER).await;
    let third = file_evidence(&mut lawyer, "pg-sign-3", &pdf("起诉状 three")).await;
    let other_id = &ids[usize::from(ids[0] == signer)];
    let (line, key) = published_at_least(&db, other_id, third.log_seq);
    assert!(
        openssl_checks(&line, &key),
        "OpenSSL checks the new signer's {line}"
    );
    assert!(own_checkpoints(&other).contains(&line));
    other.stop().await;
    let backwards = "SELECT count(*) FROM (SELECT seq < lag(seq) OVER (ORDER BY id) AS back \
                     FROM ecenter_checkpoints) t WHERE back";
    assert_eq!(psql(&db, backwards), "0", "published entries never go back");
    clerk_pins_the_signing_keys(&db, &config.url, &key_file);
    clerk_judges_the_published_checkpoints(&db, &config.url, third.log_seq);
}

/// Waits until the stopped instances' keepers have published their last lines (their locks are
/// gone).
fn signers_stopped(db: &str) {
    let locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = \
                 (SELECT oid FROM pg_database WHERE datname = current_database())";
    for _ in 0..100 {
        if psql(db, locks) == "0" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `clerk verify-log --postgres --json` on the database at `url`, with `extra` arguments.
fn clerk_verify(url: &str, extra: &[&str]) -> (serde_json::Value, Option<i32>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["verify-log", "--postgres", url, "--json"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code())
}

/// The clerk checks every published checkpoint: all verify and agree with the log; a line altered
/// in the table is named as not signed; log rows deleted below a published checkpoint (the lines
/// kept) are named at the first missing entry.
fn clerk_judges_the_published_checkpoints(db: &str, url: &str, seq: u64) {
    signers_stopped(db);
    let published = psql(db, "SELECT count(*) FROM ecenter_checkpoints");
    let (report, code) = clerk_verify(url, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report["checkpoint"]["seq"].as_u64() >= Some(seq),
        "{report}"
    );
    let read = format!("{published} published checkpoints read, {published} verify");
    assert!(
        report["notes"][0].as_str().unwrap().contains(&read),
        "{report}"
    );

    // A signed line edited in place (its entry moved back by one).
    let row = psql(db, "SELECT min(id) FROM ecenter_checkpoints WHERE seq > 1");
    psql(
        db,
        &format!(
            "UPDATE ecenter_checkpoints SET line = regexp_replace(line, '\"seq\":([0-9]+)', \
             '\"seq\":' || (seq - 1)) WHERE id = {row}"
        ),
    );
    let (report, code) = clerk_verify(url, &[]);
    assert_ne!(code, Some(0));
    let problem = report["checkpoint_problem"].as_str().unwrap_or_default();
    assert!(
        problem.contains(&format!("row {row}")) && problem.contains("does not verify"),
        "{report}"
    );
    psql(
        db,
        &format!("DELETE FROM ecenter_checkpoints WHERE id = {row}"),
    );

    // The log cut one entry below the newest published checkpoint, the head row set back with it.
    let cut = psql(db, "SELECT max(seq) - 1 FROM ecenter_checkpoints");
    psql(
        db,
        &format!(
            "DELETE FROM ecenter_log WHERE seq > {cut}; UPDATE ecenter_head SET seq = {cut}, \
             hash = (SELECT hash FROM ecenter_log WHERE seq = {cut})"
        ),
    );
    let (report, code) = clerk_verify(url, &[]);
    assert_ne!(code, Some(0));
    let first_missing: u64 = cut.parse::<u64>().unwrap() + 1;
    assert_eq!(
        report["first_bad_entry"]["seq"].as_u64(),
        Some(first_missing),
        "{report}"
    );
}

/// Runs `openssl` with `args`; its standard output.
/// A checkpoint of entry `seq` with hash `hash`, made as the format says (the
/// `ecenter-checkpoint/v1` text, ECDSA P-256 SHA-256, DER, base64) by OpenSSL and Python with a
/// key OpenSSL made in `dir`: its key id, public key PEM and line.
fn openssl_signed_line(dir: &Path, seq: &str, hash: &str) -> (String, String, String) {
    let key = dir.join("forger.key");
    let key = key.to_str().unwrap();
    let public = openssl_p256_key(key);
    let script = r#"
import base64, datetime, hashlib, json, subprocess, sys
key, seq, h = sys.argv[1], int(sys.argv[2]), sys.argv[3]
der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                     check=True, capture_output=True).stdout
kid = hashlib.sha256(der).hexdigest()[:16]
now = datetime.datetime.now(datetime.timezone.utc)
at = now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)
text = "ecenter-checkpoint/v1\n1\n%d\n%s\n%s\n" % (seq, h, at)
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=text.encode(),
                     check=True, capture_output=True).stdout
print(kid)
print(json.dumps({"number": 1, "seq": seq, "hash": h, "at": at, "key_id": kid,
                  "signature": base64.b64encode(sig).decode()}))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, key, seq, hash])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let (kid, line) = text.trim().split_once('\n').unwrap();
    (kid.to_string(), public, line.to_string())
}

/// With the hubs' key pinned (`--checkpoint-key`, the public key as OpenSSL reads it out of their
/// key file), every line must verify with it: a key and a line a forger with write access put in
/// the database — made by OpenSSL, which the clerk accepts as it accepts the hubs' own when the
/// database's keys are trusted — are caught, and so is the hubs' key row replaced.
fn clerk_pins_the_signing_keys(db: &str, url: &str, key_file: &Path) {
    signers_stopped(db);
    let dir = tempfile::tempdir().unwrap();
    let hubs = dir.path().join("hubs.pub");
    let hubs = hubs.to_str().unwrap();
    openssl(&[
        "pkey",
        "-in",
        key_file.to_str().unwrap(),
        "-pubout",
        "-out",
        hubs,
    ]);
    let pinned = ["--checkpoint-key", hubs];
    let (report, code) = clerk_verify(url, &pinned);
    assert_eq!(code, Some(0), "{report}");
    let note = "checked with the 1 key(s) given with --checkpoint-key";
    assert!(report["notes"].to_string().contains(note), "{report}");

    let published: u64 = psql(db, "SELECT count(*) FROM ecenter_checkpoints")
        .parse()
        .unwrap();
    let head = psql(
        db,
        "SELECT seq || ' ' || encode(hash, 'hex') FROM ecenter_head",
    );
    let (seq, hash) = head.split_once(' ').unwrap();
    let (kid, public, line) = openssl_signed_line(dir.path(), seq, hash);
    psql(
        db,
        &format!(
            "INSERT INTO ecenter_checkpoint_keys VALUES ('{kid}', '{public}');
             INSERT INTO ecenter_checkpoints (instance, key_id, number, seq, line)
             VALUES ('forger', '{kid}', 1, {seq}, '{line}')"
        ),
    );
    let row = psql(
        db,
        "SELECT id FROM ecenter_checkpoints WHERE instance = 'forger'",
    );
    let (report, code) = clerk_verify(url, &[]);
    assert_eq!(
        code,
        Some(0),
        "the database's own keys vouch for it: {report}"
    );
    let all = published + 1;
    let read = format!("{all} published checkpoints read, {all} verify");
    assert!(
        report["notes"][0].as_str().unwrap().contains(&read),
        "{report}"
    );
    let (report, code) = clerk_verify(url, &pinned);
    assert_ne!(code, Some(0), "{report}");
    let problem = report["checkpoint_problem"].as_str().unwrap_or_default();
    assert!(
        problem.contains(&format!("row {row}"))
            && problem.contains(&format!("its key {kid} is none of the keys given")),
        "{report}"
    );
    psql(
        db,
        &format!("DELETE FROM ecenter_checkpoints WHERE id = {row}"),
    );
    clerk_names_a_replaced_key_row(db, url, &pinned, &kid, &public);
    clerk_compares_a_head_recorded_elsewhere(db, url, &pinned);
}

/// `--expect SEQ:HASH` (a receipt's entry, a mailed checkpoint) against the log in PostgreSQL; and
/// with the keys pinned, a checkpoint table emptied leaves nothing that vouches.
fn clerk_compares_a_head_recorded_elsewhere(db: &str, url: &str, pinned: &[&str]) {
    let head = psql(
        db,
        "SELECT seq || ':' || encode(hash, 'hex') FROM ecenter_head",
    );
    let (report, code) = clerk_verify(url, &["--expect", &head]);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report["notes"]
            .to_string()
            .contains("has the hash you expect"),
        "{report}"
    );
    let (seq, _) = head.split_once(':').unwrap();
    let other = format!("{seq}:{}", "ab".repeat(32));
    let (report, code) = clerk_verify(url, &["--expect", &other]);
    assert_ne!(code, Some(0), "{report}");
    assert_eq!(
        report["first_bad_entry"]["seq"].to_string(),
        seq,
        "{report}"
    );
    psql(
        db,
        "CREATE TABLE kept AS SELECT * FROM ecenter_checkpoints; DELETE FROM ecenter_checkpoints",
    );
    let (report, code) = clerk_verify(url, pinned);
    assert_ne!(code, Some(0), "{report}");
    let problem = report["checkpoint_problem"].as_str().unwrap_or_default();
    assert!(
        problem.contains("no published checkpoint verifies"),
        "{report}"
    );
    psql(
        db,
        "INSERT INTO ecenter_checkpoints SELECT * FROM kept; DROP TABLE kept",
    );
}

/// The forger's key (`public`, id `kid`) published under the hubs' key id instead: with the hubs'
/// key pinned, the clerk names the row.
fn clerk_names_a_replaced_key_row(db: &str, url: &str, pinned: &[&str], kid: &str, public: &str) {
    let ours = psql(
        db,
        &format!("SELECT key_id FROM ecenter_checkpoint_keys WHERE key_id <> '{kid}'"),
    );
    let swap = |pem: &str| {
        psql(
            db,
            &format!(
                "UPDATE ecenter_checkpoint_keys SET public_key = '{pem}' WHERE key_id = '{ours}'"
            ),
        )
    };
    let original = psql(
        db,
        &format!("SELECT public_key FROM ecenter_checkpoint_keys WHERE key_id = '{ours}'"),
    );
    swap(public);
    let (report, code) = clerk_verify(url, pinned);
    assert_ne!(code, Some(0), "{report}");
    let problem = report["checkpoint_problem"].as_str().unwrap_or_default();
    let swapped = format!("publishes as {ours} is not the one given with --checkpoint-key");
    assert!(problem.contains(&swapped), "{report}");
    swap(&original);
    psql(
        db,
        &format!("DELETE FROM ecenter_checkpoint_keys WHERE key_id = '{kid}'"),
    );
}

/// A newer instance upgraded the schema (its row in `ecenter_schema`) while this one ran: every
/// write is refused from then on naming both versions — not "could not reach its database" — and
/// the instance's health turns NOT_SERVING, so that the balancer takes it out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_older_than_the_schema_stops_writing_and_is_not_serving() {
    tamper_then_expect_the_stop(
        "INSERT INTO ecenter_schema (version) VALUES (999)",
        "version 999, newer than this hub's",
    )
    .await;
}
