//! The documents of record in PostgreSQL, damaged around the hubs, named by `clerk scrub
//! --postgres` and put back by `ecenter-admin restore-documents` from an instance's copies.
//! PostgreSQL's own `sha256()` judges what either says about the database.

mod common;

use common::one_instance::OneInstance;
use common::postgres::psql;
use common::*;
use ecenter_server::config::StoreConfig;

const LAWYER: &str = "lawyer-14201202010000001";

/// `clerk scrub --postgres URL --json`: its report and exit status.
fn scrub(url: &str) -> (serde_json::Value, Option<i32>) {
    report_of(
        std::process::Command::new(env!("CARGO_BIN_EXE_clerk")).args([
            "scrub",
            "--postgres",
            url,
            "--json",
        ]),
    )
}

/// `clerk scrub --postgres URL` as people read it.
fn scrub_words(url: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["scrub", "--postgres", url])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tool's `--json` report and exit status.
fn report_of(command: &mut std::process::Command) -> (serde_json::Value, Option<i32>) {
    let out = command.output().unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code())
}

/// A document of record damaged in PostgreSQL (the log of record, the thing backed up) was
/// checked by nothing an auditor runs; it surfaced only when a new instance refused to rebuild
/// from it (round 7, F14). `clerk scrub --postgres` re-hashes every document the log names,
/// naming the entry and the document; PostgreSQL's own `sha256()` judges what it says was found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_damaged_in_postgresql_is_named_by_clerk_scrub() {
    let one = OneInstance::new();
    let (doc, receipt) = one.file_one_and_stop("damaged-0001").await;
    let (report, code) = scrub(&one.config.url);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["documents_checked"].as_u64(), Some(1), "{report}");
    assert_eq!(report["bytes_checked"].as_u64(), Some(doc.len() as u64));
    assert_eq!(report["stray_chunks"], serde_json::json!([]), "{report}");

    let sha = sha256_hex(&doc);
    // A chunk row planted past the last one changes nothing any reader reads, but is named, with
    // the statement that removes it (round 10, F4); psql runs that statement.
    let past = format!(
        "INSERT INTO ecenter_blob_chunks (sha256, n, data) SELECT sha256, chunks, '\\x00'::bytea \
         FROM ecenter_blobs WHERE sha256 = '{sha}'"
    );
    psql(&one.db, &past);
    let (report, code) = scrub(&one.config.url);
    assert_eq!(code, Some(0), "the document is unchanged: {report}");
    assert_eq!(
        report["stray_chunks"][0]["sha256"],
        sha.as_str(),
        "{report}"
    );
    assert_eq!(report["stray_chunks"][0]["rows"].as_u64(), Some(1));
    let words = scrub_words(&one.config.url);
    let delete = words
        .split('`')
        .find(|s| s.starts_with("DELETE FROM ecenter_blob_chunks"))
        .unwrap_or_else(|| panic!("{words}"));
    psql(&one.db, delete);
    let (report, _) = scrub(&one.config.url);
    assert_eq!(report["stray_chunks"], serde_json::json!([]), "{report}");
    assert_eq!(report["bytes_checked"].as_u64(), Some(doc.len() as u64));

    // Only the row's size changed: the document is whole, and said so (round 9, F6.5).
    let size = format!("UPDATE ecenter_blobs SET size = size + 1 WHERE sha256 = '{sha}'");
    psql(&one.db, &size);
    let (report, code) = scrub(&one.config.url);
    assert_eq!(code, Some(1), "{report}");
    let found = report["damaged"][0]["found"].as_str().unwrap();
    assert!(found.starts_with("its content is whole"), "{found}");
    psql(&one.db, &size.replace("size + 1", "size - 1"));
    psql(
        &one.db,
        &format!(
            "UPDATE ecenter_blob_chunks SET data = overlay(data placing '\\x41'::bytea from 100 \
             for 1) WHERE sha256 = '{sha}'"
        ),
    );
    let hashed = psql(
        &one.db,
        &format!(
            "SELECT encode(sha256(string_agg(data, ''::bytea ORDER BY n)), 'hex') \
             FROM ecenter_blob_chunks WHERE sha256 = '{sha}'"
        ),
    );
    let (report, code) = scrub(&one.config.url);
    assert_eq!(code, Some(1), "{report}");
    let damaged = &report["damaged"][0];
    assert_eq!(damaged["sha256"], sha.as_str(), "{report}");
    assert_eq!(damaged["entry"].as_u64(), Some(receipt.log_seq), "{report}");
    assert_eq!(
        damaged["document"],
        format!("filing {} document D1", receipt.filing_id).as_str(),
        "{report}"
    );
    let found = damaged["found"].as_str().unwrap();
    assert!(found.contains(&format!("hashes to {hashed}")), "{found}");

    psql(
        &one.db,
        &format!("DELETE FROM ecenter_blob_chunks WHERE sha256 = '{sha}'"),
    );
    let (report, _) = scrub(&one.config.url);
    let found = report["damaged"][0]["found"].as_str().unwrap();
    assert!(found.starts_with("chunk 0 of its 1 is missing"), "{found}");
}

/// `ecenter-admin restore-documents --postgres URL --json SOURCE…`: its report and exit status.
fn restore(url: &str, sources: &[&std::path::Path]) -> (serde_json::Value, Option<i32>) {
    report_of(
        std::process::Command::new(env!("CARGO_BIN_EXE_ecenter-admin"))
            .args(["restore-documents", "--postgres", url, "--json"])
            .args(sources),
    )
}

/// The SHA-256 of document `sha` as PostgreSQL holds it, by PostgreSQL's `sha256()`.
fn as_postgres_hashes_it(db: &str, sha: &str) -> String {
    psql(
        db,
        &format!(
            "SELECT coalesce(encode(sha256(string_agg(data, ''::bytea ORDER BY n)), 'hex'), \
             'none') FROM ecenter_blob_chunks WHERE sha256 = '{sha}'"
        ),
    )
}

/// The scrub names a damaged document, but until now putting it back was SQL by hand into two
/// tables (round 7, F14, left open). Copies that do not hold it leave it damaged (exit 4, named);
/// an instance's `data_dir/blobs` puts it back (a file is taken by its hash, not its name), a
/// second run touches nothing, and a new instance rebuilds from the database again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_document_is_put_back_from_an_instances_copy_and_nothing_else_is_written() {
    let one = OneInstance::new();
    let (doc, receipt) = one.file_one_and_stop("restore-0001").await;
    let (url, sha) = (&one.config.url, sha256_hex(&doc));
    psql(
        &one.db,
        &format!("DELETE FROM ecenter_blob_chunks WHERE sha256 = '{sha}'"),
    );

    // Copies that do not hold it: a file of other bytes named as the document.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join(&sha), b"not the document").unwrap();
    let (report, code) = restore(url, &[elsewhere.path()]);
    assert_eq!(code, Some(4), "{report}");
    assert_eq!(report["not_found"][0]["sha256"], sha.as_str(), "{report}");
    assert_eq!(report["files_hashed"].as_u64(), Some(1), "{report}");
    assert_eq!(as_postgres_hashes_it(&one.db, &sha), "none");

    let blobs = one.dir.path().join("blobs");
    let (report, code) = restore(url, &[elsewhere.path(), &blobs]);
    assert_eq!(code, Some(0), "{report}");
    let restored = &report["restored"][0];
    assert_eq!(restored["sha256"], sha.as_str(), "{report}");
    assert_eq!(restored["entry"].as_u64(), Some(receipt.log_seq));
    assert!(restored["found"].as_str().unwrap().contains("missing"));
    assert!(
        restored["from"]
            .as_str()
            .unwrap()
            .starts_with(blobs.to_str().unwrap())
    );
    assert_eq!(as_postgres_hashes_it(&one.db, &sha), sha);
    assert_eq!(scrub(url).1, Some(0));

    let (report, code) = restore(url, &[&blobs]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report["restored"].as_array().map(Vec::len),
        Some(0),
        "{report}"
    );
    assert_eq!(
        report["files_hashed"].as_u64(),
        Some(0),
        "nothing to look for: {report}"
    );

    let fresh = tempfile::tempdir().unwrap();
    let store = StoreConfig::Postgres(one.config.clone());
    let hub = start_tls_with(fresh.path(), one.pki.path(), move |c| c.store = store).await;
    let mut lawyer = tls_client(hub.addr, one.pki.path(), LAWYER).await;
    let got = download(&mut lawyer, &receipt.filing_id, "D1")
        .await
        .unwrap();
    assert_eq!(got, doc);
    drop(lawyer);
    hub.stop().await;
}
