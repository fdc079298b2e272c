//! The database pair and the backups, drilled: clusters of their own on loopback
//! (`tests/postgres/cluster.sh`), hubs as `ecenterd` processes under filing load.
//!
//! - Failover: a primary with a synchronous standby made by `pg_basebackup`; the primary is killed
//!   (`kill -9` of the postmaster and every backend) under load and the standby promoted. The hubs
//!   reach the new primary on their own through the URL's second host; every filing acknowledged
//!   before or after is there, once, with its bytes, and the chain verifies.
//! - A batch in doubt that another instance overtook: the instance stops with exit status 75,
//!   and, started again as a supervisor does, sets its replica aside and serves the log of record.
//! - Restore: a base backup taken before any hub started plus the archived WAL, recovered into a
//!   new cluster, gives the same chain head, and a new hub on it holds every acknowledged filing.

mod common;

use common::instances::*;
use common::postgres::{database_for, psql, refuse_entries_marked, until_refused};
use common::{CASE, LAWYER_A, client, download, list_all, submit};
use ecenter_proto::v1 as pb;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Runs `tests/postgres/cluster.sh` with `args`.
fn cluster(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/postgres/cluster.sh");
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cluster.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A port nobody listens on now, below the ephemeral range (see `common::smtp::free_port`).
fn free_port() -> String {
    common::smtp::free_port().to_string()
}

/// The clusters' directory (`cluster.sh primary` gives it to the `postgres` user); every cluster
/// in it is stopped when the drill ends, passed or failed.
struct Clusters(tempfile::TempDir);

impl Clusters {
    fn new() -> Clusters {
        Clusters(tempfile::tempdir().unwrap())
    }

    fn path(&self) -> &str {
        self.0.path().to_str().unwrap()
    }
}

impl Drop for Clusters {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/postgres/cluster.sh");
        let _ = Command::new("bash")
            .arg(script)
            .args(["stop", self.path()])
            .output();
    }
}

/// Starts `n` instances under `root` on `url`, and filing load on them.
fn instances_under_load(root: &Path, url: &str, n: usize) -> (Vec<Instance>, Load) {
    let (instances, addrs): (Vec<_>, Vec<_>) = (0..n)
        .map(|i| Instance::start(&root.join(format!("hub{i}")), url))
        .unzip();
    (instances, Load::start(addrs))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_primary_killed_under_load_and_its_synchronous_standby_promoted_loses_no_acknowledged_filing()
 {
    let clusters = Clusters::new();
    let (primary, standby) = (free_port(), free_port());
    cluster(&["primary", clusters.path(), &primary, "sync"]);
    cluster(&["standby", clusters.path(), &primary, &standby]);
    let url = format!(
        "postgresql://postgres@127.0.0.1:{primary},127.0.0.1:{standby}/ecenter?sslmode=disable&target_session_attrs=read-write"
    );
    let root = tempfile::tempdir().unwrap();
    let (mut hubs, load) = instances_under_load(root.path(), &url, 2);
    load.until(120, &mut hubs).await;
    cluster(&["crash", &format!("{}/primary", clusters.path())]);
    let at_crash = load.acknowledged();
    cluster(&["promote", &format!("{}/standby", clusters.path())]);
    let restarts = load.until(at_crash + 120, &mut hubs).await;
    eprintln!(
        "failover: {at_crash} filings acknowledged before the crash, {restarts} instance restarts to rebuild a replica"
    );

    let (addrs, acked) = load.finish().await;
    every_instance_has_every_filing_once(&addrs, &acked).await;
    the_chain_verifies_to_every_instances_head(&addrs, &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_backup_and_the_archived_wal_restored_into_a_new_cluster_give_the_same_chain_head() {
    let clusters = Clusters::new();
    let (primary, restored) = (free_port(), free_port());
    cluster(&["primary", clusters.path(), &primary]);
    cluster(&["base", clusters.path(), &primary]);
    let url = format!("postgresql://postgres@127.0.0.1:{primary}/ecenter?sslmode=disable");
    let root = tempfile::tempdir().unwrap();
    let (mut hubs, load) = instances_under_load(root.path(), &url, 2);
    let restarts = load.until(150, &mut hubs).await;
    assert_eq!(
        restarts, 0,
        "no instance has cause to stop without a failure"
    );
    let (_, acked) = load.finish().await;
    drop(hubs);
    let head = verified_head(&url);
    cluster(&["switch-wal", clusters.path(), &primary]);

    cluster(&["restore", clusters.path(), &restored]);
    let restored_url =
        format!("postgresql://postgres@127.0.0.1:{restored}/ecenter?sslmode=disable");
    assert_eq!(
        verified_head(&restored_url),
        head,
        "the restored chain's head"
    );
    let (_hub, addr) = Instance::start(&root.path().join("after-restore"), &restored_url);
    every_instance_has_every_filing_once(&[addr], &acked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_whose_batch_in_doubt_was_overtaken_exits_75_and_started_again_rebuilds_its_replica()
 {
    let root = tempfile::tempdir().unwrap();
    let (db, config) = database_for(root.path());
    let (mut a, addr_a) = Instance::start(&root.path().join("a"), &config.url);
    let (_b, addr_b) = Instance::start(&root.path().join("b"), &config.url);
    let lift = refuse_entries_marked(&db, "req-in-doubt");
    let mut on_a = client(addr_a, LAWYER_A).await;
    let in_doubt = tokio::spawn(async move {
        let doc = content("req-in-doubt");
        submit(
            &mut on_a,
            "req-in-doubt",
            CASE,
            "证据材料",
            &[("证据.pdf", &doc)],
        )
        .await
    });
    until_refused(&db);
    let doc = content("req-takes-its-place");
    let mut on_b = client(addr_b, LAWYER_A).await;
    submit(
        &mut on_b,
        "req-takes-its-place",
        CASE,
        "证据材料",
        &[("证据.pdf", &doc)],
    )
    .await
    .expect("B files while A's batch is in doubt");
    lift();
    let mut restarted = None;
    for _ in 0..600 {
        restarted = a.restart_if_it_asked();
        if restarted.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let addr_a = restarted.expect("A stopped with exit status 75");
    assert!(
        in_doubt.await.unwrap().is_err(),
        "A never acknowledged the batch in doubt"
    );
    let filings = list_all(
        &mut client(addr_a, LAWYER_A).await,
        pb::ListFilingsRequest::default(),
    )
    .await;
    let ids: Vec<&str> = filings.iter().map(|f| f.request_id.as_str()).collect();
    // Whether A's replica reached its disk with the batch in doubt (then it is set aside) or not
    // (then it is a prefix of the log and is caught up), A now serves the log of record.
    assert_eq!(ids, ["req-takes-its-place"]);
    the_chain_verifies_to_every_instances_head(&[addr_a, addr_b], &config.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filing_whose_caller_gave_up_while_its_commit_was_in_doubt_is_recorded_with_its_document()
{
    let root = tempfile::tempdir().unwrap();
    let (db, config) = database_for(root.path());
    let (_a, addr_a) = Instance::start(&root.path().join("a"), &config.url);
    let (_b, addr_b) = Instance::start(&root.path().join("b"), &config.url);
    let lift = refuse_entries_marked(&db, "req-gave-up");
    let doc = content("req-gave-up");
    let mut on_a = client(addr_a, LAWYER_A).await;
    let sent = doc.clone();
    let mut filing = tokio::spawn(async move {
        let documents = [("证据.pdf", sent.as_slice())];
        submit(&mut on_a, "req-gave-up", CASE, "证据材料", &documents).await
    });
    // Once PostgreSQL has refused the batch's commit, the caller hears nothing (the commit is in
    // doubt) and gives up.
    tokio::task::block_in_place(|| until_refused(&db));
    let heard = tokio::time::timeout(Duration::from_secs(2), &mut filing).await;
    assert!(
        heard.is_err(),
        "answered while its commit was in doubt: {heard:?}"
    );
    filing.abort();
    lift();
    // A settles the batch after its caller left; the document went into PostgreSQL with it, so B
    // follows the log and serves the document.
    let mut on_b = client(addr_b, LAWYER_A).await;
    for _ in 0..400 {
        let filings = list_all(&mut on_b, pb::ListFilingsRequest::default()).await;
        if let Some(f) = filings.iter().find(|f| f.request_id == "req-gave-up") {
            let bytes = download(&mut on_b, &f.filing_id, "D1").await.unwrap();
            assert_eq!(bytes, doc);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the filing never reached the other instance");
}

/// A database restored from an older dump (`pg_dump`, `pg_restore`): the instance whose replica
/// holds the newer entries refuses to start, naming `--accept-loss` and the range; accepted on
/// the record, the log — with its numbered gap — verifies for the clerk, who is told what was
/// lost, and new filings go on from it (outside tests, round 20, F1: the seal of the entry after
/// the gap was looked up by position, so the clerk called the hub's own entry forged).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_dump_restored_and_its_loss_accepted_verifies_with_the_loss_named() {
    let root = tempfile::tempdir().unwrap();
    let (db, config) = database_for(&root.path().join("shared"));
    let data = root.path().join("hub");
    let dump = root.path().join("ecenter.dump");
    let file = |ids: &'static [&'static str]| {
        let (hub, addr) = Instance::start(&data, &config.url);
        async move {
            let mut lawyer = client(addr, LAWYER_A).await;
            for id in ids {
                let doc = content(id);
                submit(&mut lawyer, id, CASE, "证据材料", &[("a.pdf", &doc)])
                    .await
                    .unwrap();
            }
            hub.stop();
        }
    };
    file(&["before-dump-1", "before-dump-2"]).await;
    pg(&["pg_dump", "-Fc", "-f", dump.to_str().unwrap(), "-d", &db]);
    file(&["after-dump-1", "after-dump-2"]).await;
    psql("postgres", &format!("DROP DATABASE {db} WITH (FORCE)"));
    psql("postgres", &format!("CREATE DATABASE {db}"));
    pg(&["pg_restore", "-d", &db, dump.to_str().unwrap()]);

    let (code, said) = Instance::refused(&data, &config.url);
    assert_eq!(code, Some(1), "{said}");
    let range = said
        .split("--accept-loss ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no --accept-loss named: {said}"))
        .to_string();
    let flags = [
        "--accept-loss",
        &range,
        "--operator",
        "张三",
        "--reason",
        "从备份恢复",
    ];
    let (hub, addr) = Instance::start_with(&data, &config.url, &flags);
    let mut lawyer = client(addr, LAWYER_A).await;
    let doc = content("after-the-loss");
    submit(
        &mut lawyer,
        "after-the-loss",
        CASE,
        "证据材料",
        &[("a.pdf", &doc)],
    )
    .await
    .unwrap();
    hub.stop();

    verified_head(&config.url);
    let out = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["verify-log", "--postgres", &config.url, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (first, last) = range.split_once('-').unwrap();
    let lost = format!("entries {first}–{last} were lost");
    assert!(report["notes"].to_string().contains(&lost), "{report}");
    // Times for scripts in Beijing's offset, as the clerk's other JSON gives them (round 20, m7).
    let recorded = report["head"]["recorded_at"].as_str().unwrap();
    assert!(recorded.ends_with("+08:00"), "{report}");
}

/// Runs a PostgreSQL client program (`pg_dump`, `pg_restore`) against the tests' server.
fn pg(args: &[&str]) {
    let port = common::postgres::port();
    let out = Command::new(args[0])
        .args(&args[1..])
        .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
