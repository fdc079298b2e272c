//! `ecenter-admin migrate --from sled DIR --to postgres URL` as a process: a court's log and
//! documents move into PostgreSQL with identical hashes, `clerk verify-log` names the same head on
//! both, a hub started on PostgreSQL serves the migrated filings and their documents, an
//! interrupted migration resumes, and another court's directory is refused.

mod common;

use common::postgres::{database_for, psql};
use common::*;
use ecenter_server::config::StoreConfig;
use std::path::Path;
use std::process::{Command, Output};

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A sled court of its own (tagged `tag`) migrated into a database of its own: the directories
/// to keep, the database's name and its configuration.
fn migrated_court(
    tag: &str,
) -> (
    [tempfile::TempDir; 2],
    String,
    ecenter_store::PostgresConfig,
) {
    let target = tempfile::tempdir().unwrap();
    let (db, config) = database_for(target.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (data, _) = rt.block_on(sled_court(tag));
    json(&migrate(data.path(), &config.url));
    ([target, data], db, config)
}

fn migrate(dir: &Path, url: &str) -> Output {
    let dir = dir.to_str().unwrap();
    let args = [
        "migrate", "--from", "sled", dir, "--to", "postgres", url, "--json",
    ];
    run(env!("CARGO_BIN_EXE_ecenter-admin"), &args)
}

/// The head `clerk verify-log` names, offline on `source` (`--data-dir` or `--postgres`).
fn clerk_head(flag: &str, source: &str) -> (u64, String) {
    let out = json(&run(
        env!("CARGO_BIN_EXE_clerk"),
        &["verify-log", flag, source, "--json"],
    ));
    assert!(out["first_bad_entry"].is_null(), "{out}");
    let head = &out["head"];
    (
        head["seq"].as_u64().unwrap(),
        head["hash"].as_str().unwrap().into(),
    )
}

/// A stopped sled hub's data directory with three filings, and their documents.
async fn sled_court(tag: &str) -> (tempfile::TempDir, Vec<(String, Vec<u8>)>) {
    let data = tempfile::tempdir().unwrap();
    let hub = TestHub::start_with(data.path(), |c| c.store = StoreConfig::Sled).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let mut filed = Vec::new();
    for i in 0..3 {
        let doc = pdf(&format!("{tag} 证据 {i}"));
        let receipt = file_evidence(&mut lawyer, &format!("{tag}-request-{i}"), &doc).await;
        filed.push((receipt.filing_id, doc));
    }
    hub.stop().await;
    (data, filed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_court_moves_to_postgres_with_its_chain_and_documents_and_a_hub_serves_them() {
    let (data, filed) = sled_court("migrate").await;
    let target = tempfile::tempdir().unwrap();
    let (db, config) = database_for(target.path());
    let source = data.path().to_str().unwrap();

    let first = json(&migrate(data.path(), &config.url));
    let sled_head = clerk_head("--data-dir", source);
    assert_eq!(first["copied"].as_u64(), Some(sled_head.0));
    assert_eq!(first["documents"].as_u64(), Some(3));
    assert_eq!(clerk_head("--postgres", &config.url), sled_head);

    // Interrupted after the first filing: a second run copies the rest, and only the rest —
    // entries and the documents they name.
    let kept: u64 = psql(
        &db,
        "SELECT min(seq) FROM ecenter_log
         WHERE convert_from(substring(entry from 33), 'UTF8') LIKE '%\"type\":\"filing_received\"%'",
    )
    .parse()
    .unwrap();
    psql(&db, &format!("DELETE FROM ecenter_log WHERE seq > {kept}"));
    psql(
        &db,
        &format!(
            "UPDATE ecenter_head SET (seq, hash) = (SELECT seq, hash FROM ecenter_log WHERE seq = {kept})"
        ),
    );
    for (_, doc) in &filed[1..] {
        let sha = sha256_hex(doc);
        psql(
            &db,
            &format!("DELETE FROM ecenter_blob_chunks WHERE sha256 = '{sha}'"),
        );
        psql(
            &db,
            &format!("DELETE FROM ecenter_blobs WHERE sha256 = '{sha}'"),
        );
    }
    let resumed = json(&migrate(data.path(), &config.url));
    assert_eq!(resumed["already"].as_u64(), Some(kept));
    assert_eq!(resumed["copied"].as_u64(), Some(sled_head.0 - kept));
    assert_eq!(resumed["documents"].as_u64(), Some(2));
    assert_eq!(clerk_head("--postgres", &config.url), sled_head);
    let again = json(&migrate(data.path(), &config.url));
    assert_eq!(again["copied"].as_u64(), Some(0));

    // A hub with an empty data directory on PostgreSQL serves what the court had.
    let fresh = tempfile::tempdir().unwrap();
    let store = StoreConfig::Postgres(config.clone());
    let hub = TestHub::start_with(fresh.path(), move |c| c.store = store).await;
    let mut court = hub.client(COURT).await;
    for (filing_id, doc) in &filed {
        let got = court
            .get_filing(ecenter_proto::v1::GetFilingRequest {
                filing_id: filing_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let bytes = download(&mut court, filing_id, &got.documents[0].document_id).await;
        assert_eq!(&bytes.unwrap(), doc);
    }
    hub.stop().await;

    // Another court's directory into this database: refused, nothing written.
    let (other, _) = sled_court("other").await;
    let before = psql(&db, "SELECT count(*) FROM ecenter_log");
    let refused = migrate(other.path(), &config.url);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("not this data directory's"), "{said}");
    assert_eq!(psql(&db, "SELECT count(*) FROM ecenter_log"), before);
}

#[test]
fn a_tampered_entry_in_postgres_is_named_by_clerk() {
    let (_dirs, db, config) = migrated_court("tamper");
    // One byte of entry 2's body changed in place, as a database administrator could.
    psql(
        &db,
        "UPDATE ecenter_log SET entry = overlay(entry placing '\\x20'::bytea from 40 for 1) WHERE seq = 2",
    );
    let out = run(
        env!("CARGO_BIN_EXE_clerk"),
        &["verify-log", "--postgres", &config.url, "--json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["first_bad_entry"]["seq"].as_u64(),
        Some(2),
        "{report}"
    );
    assert_ne!(out.status.code(), Some(0));
    // Where the seals begin is not vouched for by a walk that broke: not said as fact.
    let notes = report["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("not established, the log does not verify: entries 1–")),
        "{report}"
    );
}

/// The head row moved back (with the newer checkpoints gone, nothing vouches beyond it): a walk
/// to the head alone verifies, but the rows after it are named and the log is not passed.
#[test]
fn rows_hidden_after_a_head_moved_back_are_named_by_clerk() {
    let (_dirs, db, config) = migrated_court("hidden");
    let last: u64 = psql(&db, "SELECT max(seq) FROM ecenter_log")
        .parse()
        .unwrap();
    let kept = last - 2;
    psql(
        &db,
        &format!(
            "UPDATE ecenter_head SET (seq, hash) = (SELECT seq, hash FROM ecenter_log WHERE seq = {kept})"
        ),
    );
    let out = run(
        env!("CARGO_BIN_EXE_clerk"),
        &["verify-log", "--postgres", &config.url, "--json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(
        report["first_bad_entry"]["seq"].as_u64(),
        Some(kept + 1),
        "{report}"
    );
    let why = report["first_bad_entry"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("2 row(s) after its head row"), "{report}");
}

/// An entry written straight into PostgreSQL at the head, well-formed and linked but back-dated
/// (what someone holding the hubs' database role can do): the chain cannot tell it from an
/// instance's, but no instance sealed it, and the clerk names it.
#[test]
fn an_entry_written_around_the_hubs_is_named_by_clerk() {
    let (_dirs, db, config) = migrated_court("backdated");
    let head = psql(
        &db,
        "SELECT seq || ' ' || encode(hash, 'hex') FROM ecenter_head",
    );
    let (seq, hash) = head.split_once(' ').unwrap();
    let seq: u64 = seq.parse().unwrap();
    let prev: [u8; 32] = hex::decode(hash).unwrap().try_into().unwrap();
    let months_ago = chrono::Utc::now() - chrono::TimeDelta::days(270);
    let forged = ecenter_domain::Event::FilingCancelled {
        filing_id: "F000000000001".into(),
        by: "urn:ecenter:lawyer:14201202010000001".into(),
        reason: "伪造".into(),
    };
    let (hash, entry) = ecenter_store::chain::encode_entry(seq + 1, &prev, months_ago, &forged);
    let (hash, entry) = (hex::encode(hash), hex::encode(entry));
    psql(
        &db,
        &format!(
            "INSERT INTO ecenter_log (seq, hash, entry) VALUES ({}, decode('{hash}', 'hex'), \
             decode('{entry}', 'hex')); UPDATE ecenter_head SET seq = {}, hash = decode('{hash}', 'hex')",
            seq + 1,
            seq + 1
        ),
    );
    let out = run(
        env!("CARGO_BIN_EXE_clerk"),
        &["verify-log", "--postgres", &config.url, "--json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(
        report["first_bad_entry"]["seq"].as_u64(),
        Some(seq + 1),
        "{report}"
    );
    let why = report["first_bad_entry"]["reason"].to_string();
    assert!(why.contains("no instance of the hub sealed it"), "{report}");
    // The migrated entries before it are the sled hub's, vouched for by its checkpoints.
    let notes = report["notes"].to_string();
    assert!(
        notes.contains(&format!("entries 1–{seq} were written before seals began")),
        "{report}"
    );
}

/// Where the seals begin, deleted or dropped around the hubs, would leave nothing saying which
/// entries need a seal: the clerk refuses to pass the log and names it.
#[test]
fn where_the_seals_begin_removed_is_named_by_clerk() {
    let (_dirs, db, config) = migrated_court("sealsfrom");
    for (tamper, says) in [
        (
            "DELETE FROM ecenter_seals_from",
            "ecenter_seals_from has no row",
        ),
        (
            "DROP TABLE ecenter_seals_from",
            "the table ecenter_seals_from is gone",
        ),
    ] {
        psql(&db, tamper);
        let out = run(
            env!("CARGO_BIN_EXE_clerk"),
            &["verify-log", "--postgres", &config.url],
        );
        assert_eq!(out.status.code(), Some(1), "{tamper}: {out:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(says), "{tamper}: {said}");
    }
}

/// A database that does not answer is "unreachable, retry" (exit 3) as a hub is; a database
/// whose head row was deleted is named so.
#[test]
fn clerk_says_what_is_wrong_with_the_database() {
    let down = "host=127.0.0.1 port=1 user=postgres dbname=nothing sslmode=disable";
    for command in ["verify-log", "scrub"] {
        let out = run(env!("CARGO_BIN_EXE_clerk"), &[command, "--postgres", down]);
        assert_eq!(out.status.code(), Some(3), "{command}: {out:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("connecting to PostgreSQL"), "{said}");
    }
    let out = run(
        env!("CARGO_BIN_EXE_clerk"),
        &[
            "verify-log",
            "--postgres",
            "host=127.0.0.1 sslmode=verify-full",
        ],
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("sslmode takes disable, prefer or require"),
        "{said}"
    );

    let (_dirs, db, config) = migrated_court("headless");
    psql(&db, "DELETE FROM ecenter_head");
    let out = run(
        env!("CARGO_BIN_EXE_clerk"),
        &["verify-log", "--postgres", &config.url],
    );
    // The log is not valid (1), not a wrong command line (2).
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("ecenter_head has no row"), "{said}");
}

/// A password kept off the command line (where `ps` shows it): a URL without one takes
/// PGPASSWORD's, as libpq does. The role must give one (tests/postgres/start.sh).
#[test]
fn clerk_takes_the_password_from_pgpassword() {
    let (_dirs, db, config) = migrated_court("password");
    psql(
        "postgres",
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ecenter_password') \
         THEN CREATE ROLE ecenter_password LOGIN PASSWORD 'kept-off-argv'; END IF; END $$",
    );
    psql(
        &db,
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO ecenter_password",
    );
    let url = config.url.replace("user=postgres", "user=ecenter_password");
    let clerk = |password: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_clerk"));
        c.args(["verify-log", "--postgres", &url, "--json"]);
        match password {
            Some(p) => c.env("PGPASSWORD", p),
            None => c.env_remove("PGPASSWORD"),
        };
        c.output().unwrap()
    };
    let refused = clerk(None);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("password"), "{said}");
    assert!(!clerk(Some("wrong")).status.success());
    let report = json(&clerk(Some("kept-off-argv")));
    assert!(report["head"]["seq"].as_u64().unwrap_or(0) > 0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_court_missing_a_filed_document_is_not_migrated() {
    let (data, filed) = sled_court("lost-doc").await;
    let sha = sha256_hex(&filed[1].1);
    let blob = data.path().join("blobs/sha256").join(&sha[..2]).join(&sha);
    std::fs::remove_file(&blob).unwrap();
    let target = tempfile::tempdir().unwrap();
    let (db, config) = database_for(target.path());
    let refused = migrate(data.path(), &config.url);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&sha) && said.contains("does not hold"),
        "{said}"
    );
    assert_eq!(psql(&db, "SELECT count(*) FROM ecenter_log"), "0");
}

/// Where the seals begin moved back, over genuine entries from before the seals: the clerk and a
/// new instance called the first of them "written around the hubs" (round 9, F4). The
/// `log_seals_began` entry ahead records the true start: the row is named, with the value to set
/// it back to, and the entries are not blamed.
#[test]
fn where_the_seals_begin_moved_back_is_named_not_the_entries_before_it() {
    let (dirs, db, config) = migrated_court("movedback");
    let first = tempfile::tempdir().unwrap();
    let store = StoreConfig::Postgres(config.clone());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let hub = TestHub::start_with(first.path(), move |c| c.store = store).await;
        hub.stop().await;
    });
    // Migrated again after the hubs appended: the same log, continued, not another court's.
    let again = migrate(dirs[1].path(), &config.url);
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(
        said.contains("already holds this data directory's whole log"),
        "{said}"
    );
    let began: u64 = psql(&db, "SELECT seq FROM ecenter_seals_from")
        .parse()
        .unwrap();
    assert!(began > 3, "the migrated entries come before the seals");
    psql(&db, "UPDATE ecenter_seals_from SET seq = seq - 2");
    let set_back = format!("set it back to {began}");
    let out = run(
        env!("CARGO_BIN_EXE_clerk"),
        &["verify-log", "--postgres", &config.url],
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&set_back) && !said.contains("no instance of the hub sealed it"),
        "{said}"
    );
    // The entries are judged by where the log's own entry says the seals begin, and all verify:
    // only the row is named, not an entry the summary then calls broken (round 10, F3).
    let head = psql(&db, "SELECT seq FROM ecenter_head");
    assert!(
        said.contains(&format!("the event log verifies: {head} entries"))
            && said.contains("but the database is NOT AS THE HUBS LEFT IT")
            && said.contains(&format!(
                "entries 1–{} were written before seals began",
                began - 1
            ))
            && !said.contains("BROKEN"),
        "{said}"
    );
    // psql runs the statement the clerk gives, and the database is whole again.
    let update = said
        .split('`')
        .find(|s| s.starts_with("UPDATE ecenter_seals_from"))
        .unwrap_or_else(|| panic!("{said}"));
    psql(&db, update);
    let out = run(
        env!("CARGO_BIN_EXE_clerk"),
        &["verify-log", "--postgres", &config.url],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    psql(&db, "UPDATE ecenter_seals_from SET seq = seq - 2");
    let fresh = tempfile::tempdir().unwrap();
    let said = ecenter_store::SledStore::open_replicated(fresh.path(), &config)
        .err()
        .expect("refused")
        .to_string();
    assert!(said.contains(&set_back), "{said}");
}

/// A court's data directory on the embedded store pointed at PostgreSQL by its configuration
/// alone — at an empty database, or at one holding another log — is refused, naming `ecenter-admin
/// migrate`, and left as it was: never set aside as a replica and replaced, never advised to be
/// accepted as a loss (outside tests, round 20, F2). Migrated, the same directory serves.
#[test]
fn a_court_pointed_at_postgres_without_migrating_is_refused_and_keeps_its_log() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (data, _) = rt.block_on(sled_court("pointed"));
    let (_other_dirs, _, other_log) = migrated_court("another-log");
    let target = tempfile::tempdir().unwrap();
    let (_, empty) = database_for(target.path());
    let source = data.path().to_str().unwrap();
    let before = clerk_head("--data-dir", source);
    for config in [&empty, &other_log] {
        let said = ecenter_store::SledStore::open_replicated(data.path(), config)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            said.contains("holds another log than PostgreSQL's")
                && said.contains("ecenter-admin migrate --from sled")
                && !said.contains("accept-loss"),
            "{said}"
        );
        assert!(!data.path().join("set-aside").exists(), "{said}");
        assert_eq!(clerk_head("--data-dir", source), before);
    }
    json(&migrate(data.path(), &empty.url));
    let store = ecenter_store::SledStore::open_replicated(data.path(), &empty).unwrap();
    let head = ecenter_store::EventLog::head(&store).seq;
    assert_eq!(head, before.0 + 1, "and where its seals begin");
}
