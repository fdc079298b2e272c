//! PostgreSQL as the log of record of several hubs, against a real PostgreSQL on loopback
//! (`tests/postgres/start.sh`; the README's test command starts it). Each test makes a database of
//! its own. The chain PostgreSQL holds is checked by PostgreSQL's own `sha256()`, not by our code.

use ecenter_domain::Event;
use ecenter_domain::event::{FilingReceived, ReceivedDocument};
use ecenter_store::{EventLog, FilingReads, PostgresConfig, ReadView, SledStore, StoreError};

#[path = "../../../tests/common/postgres.rs"]
mod pg;
use pg::{psql, refuse_entries_marked, until_refused};

/// A fresh, empty database and the settings that reach it.
fn database() -> (String, PostgresConfig) {
    pg::database_for(tempfile::tempdir().unwrap().path())
}

/// A filing without documents (a hub would refuse one; the store records what it is given, and
/// a filing's documents must be stored before it names them).
fn filed(id: &str, submitter: &str, request_id: &str) -> Event {
    let mut event = filed_document(id, submitter, request_id, &"a".repeat(64), 1);
    if let Event::FilingReceived(f) = &mut event {
        f.documents.clear();
    }
    event
}

fn filed_document(id: &str, submitter: &str, request_id: &str, sha256: &str, size: u64) -> Event {
    Event::FilingReceived(FilingReceived {
        filing_id: id.into(),
        request_id: request_id.into(),
        fingerprint: "x".into(),
        submitter: submitter.into(),
        case_number: None,
        filing_kind: "起诉状".into(),
        title: "民事起诉状".into(),
        documents: vec![ReceivedDocument {
            document_id: "D1".into(),
            name: "起诉状.pdf".into(),
            size,
            media_type: "application/pdf".into(),
            sha256: sha256.into(),
        }],
        corrects_filing_id: None,
        submitter_listed: None,
    })
}

/// Two hubs' stores on one database, each with a data directory of its own.
struct Pair {
    a: SledStore,
    b: SledStore,
    dir_a: tempfile::TempDir,
    _dir_b: tempfile::TempDir,
}

impl Pair {
    fn open(config: &PostgresConfig) -> Pair {
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        Pair {
            a: SledStore::open_replicated(dir_a.path(), config).unwrap(),
            b: SledStore::open_replicated(dir_b.path(), config).unwrap(),
            dir_a,
            _dir_b: dir_b,
        }
    }
}

/// Records a filing unless the submitter's request id already made one, deciding on what the
/// store shows the decision; returns the filing id and whether this call made it.
async fn submit(store: &SledStore, submitter: &str, request_id: &str) -> (String, bool) {
    let (submitter, request_id) = (submitter.to_string(), request_id.to_string());
    let (_, answer) = store
        .append(Box::new(move |view: &dyn ReadView| {
            if let Some(existing) = view.filing_for_request(&submitter, &request_id)? {
                return Ok((Vec::new(), (existing, false)));
            }
            let id = format!("F{}", view.next_seq());
            Ok((vec![filed(&id, &submitter, &request_id)], (id, true)))
        }))
        .await
        .unwrap();
    answer
}

/// PostgreSQL's own verdict on the chain it holds: every entry's hash is SHA-256 of its body, the
/// stored prefix, and names the previous entry's hash; sequence numbers have no gap.
fn chain_verdict(db: &str) -> String {
    psql(
        db,
        "SELECT count(*) || ' ' || bool_and(sha256(substring(entry from 33)) = hash
                 AND substring(entry from 1 for 32) = hash
                 AND convert_from(substring(entry from 33), 'UTF8')::json->>'prev'
                     = coalesce(encode(prev, 'hex'), repeat('0', 64))
                 AND seq = coalesce(prev_seq, 0) + 1)
         FROM (SELECT seq, hash, entry, lag(hash) OVER w AS prev, lag(seq) OVER w AS prev_seq
               FROM ecenter_log WINDOW w AS (ORDER BY seq)) AS chain",
    )
}

async fn wait_for_head(store: &SledStore, seq: u64) {
    let mut head = store.subscribe();
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        head.wait_for(|h| h.seq >= seq),
    )
    .await
    .expect("the replica follows PostgreSQL")
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hubs_append_one_chain_and_each_reads_the_others_filings() {
    let (db, config) = database();
    let Pair {
        a,
        b,
        dir_a: _dir_a,
        _dir_b,
    } = Pair::open(&config);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (store, who) = if i % 2 == 0 {
            (a.clone(), "甲")
        } else {
            (b.clone(), "乙")
        };
        tasks.push(tokio::spawn(async move {
            submit(&store, who, &format!("R{i}")).await
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let (id, made) = t.await.unwrap();
        assert!(made);
        ids.push(id);
    }
    // Acknowledged means committed: PostgreSQL has all 40 the moment the last call returned.
    assert_eq!(chain_verdict(&db), "41 true");
    wait_for_head(&a, 41).await;
    wait_for_head(&b, 41).await;
    assert_eq!(a.head(), b.head());
    for id in &ids {
        assert!(a.filing(id).unwrap().is_some(), "{id} on A");
        assert!(b.filing(id).unwrap().is_some(), "{id} on B");
    }
    let stored = psql(
        &db,
        "SELECT encode(hash, 'hex') FROM ecenter_log WHERE seq = 41",
    );
    assert_eq!(stored, hex::encode(a.head().hash));
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_decision_on_one_hub_sees_what_another_hub_just_recorded() {
    let (db, config) = database();
    let Pair {
        a,
        b,
        dir_a: _dir_a,
        _dir_b,
    } = Pair::open(&config);
    // The same request sent to both hubs at once, twenty times over: one filing each time.
    for round in 0..20 {
        let request = format!("same-{round}");
        let (x, y) = tokio::join!(submit(&a, "律师", &request), submit(&b, "律师", &request));
        assert_eq!(x.0, y.0, "round {round}: both answers name one filing");
        assert!(x.1 ^ y.1, "round {round}: exactly one hub recorded it");
    }
    assert_eq!(chain_verdict(&db), "21 true");
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_hub_builds_its_replica_from_postgres_and_a_stray_replica_is_set_aside() {
    let (_, config) = database();
    let dir_a = tempfile::tempdir().unwrap();
    let a = SledStore::open_replicated(dir_a.path(), &config).unwrap();
    for i in 0..5 {
        submit(&a, "甲", &format!("R{i}")).await;
    }
    let head = a.head();
    a.close().await.unwrap();
    drop(a);

    // A hub with an empty data directory reads the whole log from PostgreSQL.
    let dir_c = tempfile::tempdir().unwrap();
    let c = SledStore::open_replicated(dir_c.path(), &config).unwrap();
    assert_eq!(c.head(), head);
    assert!(c.filing("F2").unwrap().is_some());
    c.close().await.unwrap();
    drop(c);

    // A's replica against another database: it holds entries that database lacks.
    let (_, other) = database();
    let d = SledStore::open_replicated(dir_a.path(), &other).unwrap();
    // Rebuilt from the other, empty, log, where it recorded only where the seals begin.
    assert_eq!(d.head().seq, 1, "rebuilt from the other log");
    assert!(d.filing("F2").unwrap().is_none());
    let aside: Vec<_> = std::fs::read_dir(dir_a.path().join("set-aside"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let log = aside
        .iter()
        .find(|n| n.starts_with("replica-log.") && !n.ends_with(".txt"))
        .unwrap_or_else(|| panic!("{aside:?}"));
    // The reason is named after the set-aside log whole, milliseconds and all.
    let why = aside.iter().find(|n| **n == format!("{log}.why.txt"));
    let why = why.unwrap_or_else(|| panic!("{aside:?}"));
    let why = std::fs::read_to_string(dir_a.path().join("set-aside").join(why)).unwrap();
    assert!(why.contains("PostgreSQL's log at 0"), "{why}");
    d.close().await.unwrap();
}

#[tokio::test]
async fn a_database_newer_than_the_hub_and_a_bad_url_are_refused_with_reasons() {
    let (db, config) = database();
    let dir = tempfile::tempdir().unwrap();
    SledStore::open_replicated(dir.path(), &config)
        .unwrap()
        .close()
        .await
        .unwrap();
    psql(&db, "INSERT INTO ecenter_schema (version) VALUES (99)");
    let Err(err) = SledStore::open_replicated(dir.path(), &config) else {
        panic!("a newer schema was accepted")
    };
    assert!(matches!(err, StoreError::Postgres(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("version 99, newer than this hub's"),
        "{err}"
    );

    let bad = PostgresConfig::at("postgresql://nobody@127.0.0.1:1/none?sslmode=disable");
    let Err(err) = SledStore::open_replicated(dir.path(), &bad) else {
        panic!("an unreachable database was accepted")
    };
    // No server answered: worth retrying (the clerk's exit 3), told apart by type, not by text.
    assert!(matches!(err, StoreError::Unreachable(_)), "{err:?}");
    assert!(
        err.to_string().contains("connecting to PostgreSQL"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("nobody"),
        "the URL stays out of messages: {err}"
    );
    // A server that answered and refused (no such database) is not unreachable: retrying will
    // not help.
    let missing = PostgresConfig::at(config.url.replace(&db, "no_such_database"));
    let Err(err) = SledStore::open_replicated(dir.path(), &missing) else {
        panic!("a missing database was accepted")
    };
    assert!(matches!(err, StoreError::Postgres(_)), "{err:?}");
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_filed_on_one_hub_is_in_postgres_and_read_on_another() {
    let (db, config) = database();
    let Pair {
        a,
        b,
        dir_a: _dir_a,
        _dir_b,
    } = Pair::open(&config);
    // 2.5 MiB: three chunks in PostgreSQL.
    let bytes: Vec<u8> = (0..(5u32 << 19)).map(|i| (i * 7 % 251) as u8).collect();
    let mut writer = a.blobs().writer().unwrap();
    writer.write(bytes.clone()).await.unwrap();
    let info = writer.commit().await.unwrap();
    let (sha, size) = (info.sha256.clone(), info.size);
    a.append(Box::new(move |_: &dyn ReadView| {
        Ok((vec![filed_document("F1", "甲", "R1", &sha, size)], ()))
    }))
    .await
    .unwrap();
    // PostgreSQL's own SHA-256 of the chunks, in order, is the document's name.
    let verdict = psql(
        &db,
        "SELECT (b.sha256 = encode(sha256(string_agg(c.data, ''::bytea ORDER BY c.n)), 'hex'))::text
                || ' ' || count(*) FROM ecenter_blobs b JOIN ecenter_blob_chunks c USING (sha256)
         GROUP BY b.sha256",
    );
    assert_eq!(verdict, "true 3");
    wait_for_head(&b, 1).await;
    assert_eq!(std::fs::read(b.blobs().path(&info.sha256)).unwrap(), bytes);
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_whose_commit_fails_stops_writing_and_releases_the_head_for_the_others() {
    let (db, config) = database();
    let Pair {
        a,
        b,
        dir_a,
        _dir_b,
    } = Pair::open(&config);
    submit(&a, "甲", "before-the-fault").await;
    // A document damaged on A's disk after it was received: A's next batch fails on A's side
    // after it locked the head. (An error PostgreSQL raises ends the transaction there; one the
    // hub meets itself leaves it open until the hub ends it.)
    let mut writer = a.blobs().writer().unwrap();
    writer
        .write(b"the refused document".to_vec())
        .await
        .unwrap();
    let finished = writer.finish().await.unwrap();
    std::fs::write(finished.path(), b"the damaged document").unwrap();
    let refused = finished.info.sha256.clone();
    finished.place().await.unwrap().keep();
    let sha = refused.clone();
    let failed = a
        .append(Box::new(move |_: &dyn ReadView| {
            Ok((vec![filed_document("F9", "甲", "refused-1", &sha, 20)], ()))
        }))
        .await;
    assert!(
        matches!(failed, Err(StoreError::FlushFailed(_))),
        "{:?}",
        failed.err()
    );
    // A refuses further writes, and nothing of the failed batch reached PostgreSQL.
    let again = a
        .append(Box::new(|_: &dyn ReadView| Ok((Vec::new(), ()))))
        .await;
    assert!(again.is_err());
    assert_eq!(chain_verdict(&db), "2 true");
    // B is not held up by A's failed transaction: the head is free.
    let appended = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        submit(&b, "乙", "after-the-fault"),
    )
    .await
    .expect("the head was released");
    assert!(appended.1);
    assert_eq!(chain_verdict(&db), "3 true");
    let _ = a.close().await;
    drop(a);
    b.close().await.unwrap();

    // A restarted sets aside the replica that holds the failed entry and follows PostgreSQL.
    let a = SledStore::open_replicated(dir_a.path(), &config).unwrap();
    assert_eq!(a.head(), b.head());
    assert!(a.filing("F9").unwrap().is_none());
    assert!(dir_a.path().join("set-aside").is_dir());
    a.close().await.unwrap();
}

/// Files `request_id` on `store` in a task of its own; the task's result is the append's.
fn submit_in_background(
    store: &SledStore,
    request_id: &'static str,
) -> tokio::task::JoinHandle<Result<(), StoreError>> {
    let store = store.clone();
    tokio::spawn(async move {
        store
            .append(Box::new(move |view: &dyn ReadView| {
                let id = format!("F{}", view.next_seq());
                Ok((vec![filed(&id, "甲", request_id)], ()))
            }))
            .await
            .map(|_| ())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_commit_failed_is_settled_before_anyone_is_answered_and_committed_again() {
    let (db, config) = database();
    let Pair { a, b, .. } = Pair::open(&config);
    let lift = refuse_entries_marked(&db, "settle-me");
    let pending = submit_in_background(&a, "settle-me");
    until_refused(&db);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !pending.is_finished(),
        "answered while the commit was in doubt"
    );
    lift();
    pending
        .await
        .unwrap()
        .expect("committed once PostgreSQL took it");
    assert_eq!(chain_verdict(&db), "2 true");
    // The same entry, not a second one, and the hub goes on writing.
    assert!(submit(&a, "甲", "after-settling").await.1);
    assert_eq!(chain_verdict(&db), "3 true");
    wait_for_head(&b, 3).await;
    assert_eq!(b.filing("F2").unwrap().unwrap().request_id, "settle-me");
    assert_eq!(a.head(), b.head());
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_in_doubt_overtaken_by_another_hub_stops_its_hub_whose_replica_is_then_rebuilt() {
    let (db, config) = database();
    let Pair { a, b, dir_a, .. } = Pair::open(&config);
    let lift = refuse_entries_marked(&db, "overtaken");
    let pending = submit_in_background(&a, "overtaken");
    until_refused(&db);
    // While A retries, B takes the entry number A's batch holds in A's replica.
    assert!(submit(&b, "乙", "takes-its-place").await.1);
    lift();
    let failed = pending.await.unwrap();
    let Err(StoreError::FlushFailed(why)) = failed else {
        panic!("{failed:?}");
    };
    assert!(why.contains("another instance"), "{why}");
    assert!(a.write_failure().borrow().is_some());
    assert_eq!(chain_verdict(&db), "2 true");
    let _ = a.close().await;
    drop(a);
    let a = SledStore::open_replicated(dir_a.path(), &config).unwrap();
    assert_eq!(a.head(), b.head());
    // Entry 2 (after where the seals begin) is B's filing, on A too; A's batch in doubt is gone with its set-aside replica.
    assert_eq!(
        a.filing("F2").unwrap().unwrap().request_id,
        "takes-its-place"
    );
    assert!(dir_a.path().join("set-aside").is_dir());
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filing_whose_document_is_neither_on_disk_nor_in_postgres_is_not_committed() {
    let (db, config) = database();
    let dir = tempfile::tempdir().unwrap();
    let hub = SledStore::open_replicated(dir.path(), &config).unwrap();
    // A document the request placed and lost before the batch committed (nothing holds it now).
    let gone = hex::encode(ecenter_store::chain::sha256(b"a document that went away"));
    let failed = hub
        .append(Box::new(move |_: &dyn ReadView| {
            Ok((vec![filed_document("F1", "甲", "gone-1", &gone, 25)], ()))
        }))
        .await;
    let Err(StoreError::FlushFailed(why)) = failed else {
        panic!("committed naming a document nobody holds: {failed:?}");
    };
    assert!(
        why.contains("neither on this hub's disk nor in PostgreSQL"),
        "{why}"
    );
    assert_eq!(psql(&db, "SELECT count(*) FROM ecenter_log"), "1");
    let _ = hub.close().await;
}

/// The documents listed as sent ahead and not named yet, in order.
fn listed_ahead(db: &str) -> String {
    psql(
        db,
        "SELECT string_agg(sha256, ' ' ORDER BY sha256) FROM ecenter_blobs_ahead",
    )
}

/// How many documents named `sha256` PostgreSQL holds.
fn blobs_named(db: &str, sha256: &str) -> String {
    psql(
        db,
        &format!("SELECT count(*) FROM ecenter_blobs WHERE sha256 = '{sha256}'"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placed_documents_are_sent_before_their_batch_and_deleted_if_never_named() {
    let (db, config) = database();
    let dir = tempfile::tempdir().unwrap();
    let hub = SledStore::open_replicated(dir.path(), &config).unwrap();
    // Placed by a request still on its way to the writer; `damage` replaces its bytes on disk.
    let place = |bytes: &'static [u8], damage: Option<&'static [u8]>| {
        let blobs = hub.blobs().clone();
        async move {
            let mut writer = blobs.writer().unwrap();
            writer.write(bytes.to_vec()).await.unwrap();
            let finished = writer.finish().await.unwrap();
            if let Some(other) = damage {
                std::fs::write(finished.path(), other).unwrap();
            }
            let info = finished.info.clone();
            (info, finished.place().await.unwrap())
        }
    };
    let (damaged, _held) = place(b"bytes that will not hash to their name", Some(b"other")).await;
    let (info, placed) = place(b"a statement of claim, placed and not yet filed", None).await;
    let (refused, unnamed) = place(b"the document of a request then refused", None).await;
    // The next batch, whatever it writes, sends what is placed and sound ahead of itself, listed
    // as not named yet.
    submit(&hub, "甲", "R1").await;
    assert_eq!(blobs_named(&db, &info.sha256), "1");
    assert_eq!(blobs_named(&db, &damaged.sha256), "0");
    let mut both = [info.sha256.clone(), refused.sha256.clone()];
    both.sort();
    assert_eq!(listed_ahead(&db), both.join(" "));
    // The filing that names it finds it there; PostgreSQL's own SHA-256 of its bytes is its name.
    let (sha, size) = (info.sha256.clone(), info.size);
    hub.append(Box::new(move |_: &dyn ReadView| {
        Ok((vec![filed_document("F2", "甲", "R2", &sha, size)], ()))
    }))
    .await
    .unwrap();
    placed.keep();
    drop(unnamed);
    // Named, it is off the list; the refused request's document stays on it.
    assert_eq!(listed_ahead(&db), refused.sha256);
    let stored = psql(
        &db,
        &format!(
            "SELECT encode(sha256(data), 'hex') FROM ecenter_blob_chunks WHERE sha256 = '{}'",
            info.sha256
        ),
    );
    assert_eq!(stored, info.sha256);
    // The damaged one cannot be filed: it is neither sound on disk nor in PostgreSQL.
    let sha = damaged.sha256.clone();
    let failed = hub
        .append(Box::new(move |_: &dyn ReadView| {
            Ok((vec![filed_document("F3", "甲", "R3", &sha, 38)], ()))
        }))
        .await;
    assert!(
        matches!(&failed, Err(StoreError::FlushFailed(why)) if why.contains("does not hash to its name")),
        "{failed:?}"
    );
    assert_eq!(psql(&db, "SELECT count(*) FROM ecenter_log"), "3");
    let _ = hub.close().await;

    // A day later the refused request's document is deleted (each hub sweeps at start and every
    // hour); the filed one stays.
    psql(
        &db,
        "UPDATE ecenter_blobs_ahead SET sent_at = now() - interval '25 hours'",
    );
    let other = tempfile::tempdir().unwrap();
    let sweeper = SledStore::open_replicated(other.path(), &config).unwrap();
    for waited in 0.. {
        if blobs_named(&db, &refused.sha256) == "0" {
            break;
        }
        assert!(waited < 200, "the unnamed document was never deleted");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let chunks = format!(
        "SELECT count(*) FROM ecenter_blob_chunks WHERE sha256 = '{}'",
        refused.sha256
    );
    assert_eq!(psql(&db, &chunks), "0");
    assert_eq!(listed_ahead(&db), "");
    assert_eq!(blobs_named(&db, &info.sha256), "1");
    sweeper.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_another_hub_is_storing_at_the_same_moment_does_not_fail_the_batch() {
    let (db, config) = database();
    let dir = tempfile::tempdir().unwrap();
    let hub = SledStore::open_replicated(dir.path(), &config).unwrap();
    let bytes = b"the same document, filed on two hubs at once".to_vec();
    let sha = hex::encode(ecenter_store::chain::sha256(&bytes));
    // Another hub's transaction has stored it and not committed yet.
    let other = {
        let (db, sha, data) = (db.clone(), sha.clone(), hex::encode(&bytes));
        std::thread::spawn(move || {
            psql(
                &db,
                &format!(
                    "BEGIN;
                     INSERT INTO ecenter_blobs VALUES ('{sha}', {}, 1);
                     INSERT INTO ecenter_blob_chunks VALUES ('{sha}', 0, '\\x{data}');
                     SELECT pg_sleep(2);
                     COMMIT;",
                    data.len() / 2
                ),
            )
        })
    };
    let sleeping = "SELECT count(*) FROM pg_stat_activity
                    WHERE wait_event = 'PgSleep' AND datname = current_database()";
    for waited in 0.. {
        if psql(&db, sleeping) == "1" {
            break;
        }
        assert!(waited < 500, "the other hub's transaction never started");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut writer = hub.blobs().writer().unwrap();
    writer.write(bytes).await.unwrap();
    let info = writer.commit().await.unwrap();
    let (sha_named, size) = (info.sha256.clone(), info.size);
    let filed = hub
        .append(Box::new(move |_: &dyn ReadView| {
            Ok((vec![filed_document("F1", "甲", "R1", &sha_named, size)], ()))
        }))
        .await;
    other.join().unwrap();
    filed.expect("the batch waits for the other hub's document and finds it stored");
    assert_eq!(blobs_named(&db, &sha), "1");
    assert_eq!(psql(&db, "SELECT count(*) FROM ecenter_log"), "2");
    hub.close().await.unwrap();
}

/// A TCP proxy in front of PostgreSQL that, once armed, lets one append's COMMIT through, lets the
/// server answer, and cuts the connection before the answer reaches the hub: a COMMIT that took
/// effect and was never heard of.
struct CommitCutter {
    port: u16,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CommitCutter {
    async fn start() -> CommitCutter {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let cutter = CommitCutter {
            port: listener.local_addr().unwrap().port(),
            armed: Default::default(),
            cuts: Default::default(),
        };
        let (armed, cuts) = (cutter.armed.clone(), cutter.cuts.clone());
        tokio::spawn(async move {
            while let Ok((hub, _)) = listener.accept().await {
                let server = format!("127.0.0.1:{}", pg::port());
                let server = tokio::net::TcpStream::connect(server).await.unwrap();
                tokio::spawn(pipe(hub, server, armed.clone(), cuts.clone()));
            }
        });
        cutter
    }

    fn arm(&self) {
        self.armed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn cuts(&self) -> usize {
        self.cuts.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Forwards both ways; after forwarding an armed append's COMMIT (the only statement that sets
/// `statement_timeout = 0` before COMMIT), drops both ends once the server's answer says COMMIT.
async fn pipe(
    mut hub: tokio::net::TcpStream,
    mut server: tokio::net::TcpStream,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::Ordering::SeqCst;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let (mut up, mut down) = (vec![0; 1 << 16], vec![0; 1 << 16]);
    let mut cutting = false;
    let mut answer = Vec::new();
    loop {
        tokio::select! {
            n = hub.read(&mut up) => {
                let Ok(n @ 1..) = n else { return };
                if contains(&up[..n], b"statement_timeout = 0; COMMIT") && armed.swap(false, SeqCst) {
                    cutting = true;
                }
                if server.write_all(&up[..n]).await.is_err() { return }
            }
            n = server.read(&mut down) => {
                let Ok(n @ 1..) = n else { return };
                if cutting {
                    answer.extend_from_slice(&down[..n]);
                    if contains(&answer, b"COMMIT\0") {
                        cuts.fetch_add(1, SeqCst);
                        return;
                    }
                    continue;
                }
                if hub.write_all(&down[..n]).await.is_err() { return }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_that_took_effect_unheard_is_found_not_appended_twice() {
    let (db, mut config) = database();
    let cutter = CommitCutter::start().await;
    let direct = format!("port={}", pg::port());
    config.url = config
        .url
        .replace(&direct, &format!("port={}", cutter.port));
    let dir = tempfile::tempdir().unwrap();
    let hub = SledStore::open_replicated(dir.path(), &config).unwrap();
    submit(&hub, "甲", "R1").await;
    cutter.arm();
    // Its COMMIT takes effect; the answer is lost with the connection.
    let (id, made) = submit(&hub, "甲", "R2").await;
    assert!(made);
    assert_eq!(cutter.cuts(), 1);
    // Found in PostgreSQL and acknowledged, not committed a second time.
    assert_eq!(chain_verdict(&db), "3 true");
    // Entry 1 says where the seals begin, entry 2 is R1's filing: R2's is entry 3.
    let second = psql(
        &db,
        "SELECT convert_from(substring(entry from 33), 'UTF8') FROM ecenter_log WHERE seq = 3",
    );
    assert!(second.contains(&format!("\"{id}\"")), "{second}");
    // The hub goes on from there.
    submit(&hub, "甲", "R3").await;
    assert_eq!(chain_verdict(&db), "4 true");
    hub.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_hub_stops_writing_once_another_has_upgraded_the_database() {
    let (db, config) = database();
    let dir = tempfile::tempdir().unwrap();
    let hub = SledStore::open_replicated(dir.path(), &config).unwrap();
    submit(&hub, "甲", "R1").await;
    // Another instance, newer, started and applied a migration this one does not know.
    psql(&db, "INSERT INTO ecenter_schema (version) VALUES (99)");
    let refused = hub
        .append(Box::new(|_: &dyn ReadView| {
            Ok((vec![filed("F2", "甲", "R2")], ()))
        }))
        .await;
    // Refused naming both versions, and for good: the log stops taking writes (its health then
    // turns NOT_SERVING), as for any failure no retry mends.
    assert!(
        matches!(&refused, Err(StoreError::Poisoned(why)) if why.contains("at version 99, newer than this hub")),
        "{refused:?}"
    );
    assert!(hub.write_failure().borrow().is_some());
    assert_eq!(chain_verdict(&db), "2 true");
    let _ = hub.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unnamed_documents_are_deleted_in_short_groups_and_recent_ones_kept() {
    let (db, config) = database();
    let first = tempfile::tempdir().unwrap();
    SledStore::open_replicated(first.path(), &config)
        .unwrap()
        .close()
        .await
        .unwrap();
    // 150 documents sent ahead two days ago and never named: three of 40 MiB (each goes in a
    // group of its own or with small ones, 64 MiB at most), the rest small; and one sent now.
    psql(
        &db,
        "INSERT INTO ecenter_blobs (sha256, size, chunks)
             SELECT lpad(to_hex(g), 64, '0'), CASE WHEN g <= 3 THEN 40::bigint << 20 ELSE 10 END, 0
             FROM generate_series(1, 151) g;
         INSERT INTO ecenter_blobs_ahead (sha256, sent_at)
             SELECT sha256, now() - interval '2 days' FROM ecenter_blobs;
         UPDATE ecenter_blobs_ahead SET sent_at = now() WHERE sha256 = lpad(to_hex(151), 64, '0')",
    );
    let second = tempfile::tempdir().unwrap();
    let sweeper = SledStore::open_replicated(second.path(), &config).unwrap();
    for waited in 0.. {
        if psql(&db, "SELECT count(*) FROM ecenter_blobs") == "1" {
            break;
        }
        assert!(waited < 200, "the unnamed documents were never deleted");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let kept = psql(&db, "SELECT sha256 FROM ecenter_blobs_ahead");
    assert_eq!(kept, format!("{:0>64}", "97"));
    sweeper.close().await.unwrap();
}
