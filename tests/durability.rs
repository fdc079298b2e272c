//! Durability: restart, crash (kill -9 of the real ecenterd under concurrent load) and tampering.

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use std::collections::{HashMap, HashSet};

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tokio::sync::Mutex;

/// Files twenty one-document filings (`req-restart-000` …) and returns their receipts.
async fn file_twenty(lawyer: &mut Client) -> Vec<pb::Receipt> {
    let mut receipts = Vec::new();
    for i in 0..20 {
        let doc = pdf(&format!("doc {i}"));
        receipts.push(
            submit(
                lawyer,
                &format!("req-restart-{i:03}"),
                CASE,
                "证据材料",
                &[("e.pdf", &doc)],
            )
            .await
            .unwrap()
            .receipt
            .unwrap(),
        );
    }
    receipts
}

/// Checks every filing of `receipts` is there with its state and its bytes after the restart.
async fn receipts_survived(lawyer: &mut Client, receipts: &[pb::Receipt]) {
    for (i, r) in receipts.iter().enumerate() {
        let f = lawyer
            .get_filing(pb::GetFilingRequest {
                filing_id: r.filing_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(f.documents[0].sha256, r.documents[0].sha256);
        let expected = if i == 0 {
            pb::FilingState::UnderReview
        } else {
            pb::FilingState::Received
        };
        assert_eq!(f.state(), expected);
        assert_eq!(
            download(lawyer, &r.filing_id, "D1").await.unwrap(),
            pdf(&format!("doc {i}"))
        );
    }
}

#[tokio::test]
async fn every_acknowledged_filing_survives_a_restart_and_the_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let mut court = hub.client(COURT).await;
    let receipts = file_twenty(&mut lawyer).await;
    court
        .start_review(pb::StartReviewRequest {
            filing_id: receipts[0].filing_id.clone(),
        })
        .await
        .unwrap();
    let head_before = hub.chain_head().await;
    hub.stop().await;

    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let head_after = hub.chain_head().await;
    // The same head; the newest signed checkpoint it names moved on with the stop.
    assert_eq!(
        (head_after.seq, &head_after.hash, head_after.recorded_at),
        (head_before.seq, &head_before.hash, head_before.recorded_at)
    );
    assert_eq!(
        head_after.checkpoint.map(|c| (c.seq, c.hash)),
        Some((head_before.seq, head_before.hash.clone()))
    );
    receipts_survived(&mut lawyer, &receipts).await;
    // New entries link to the old head.
    let doc = pdf("after restart");
    let r = file_evidence(&mut lawyer, "req-restart-new", &doc).await;
    assert_eq!(r.log_seq, head_before.seq + 1);
    let mut watch = hub
        .client(COURT)
        .await
        .watch_events(pb::WatchEventsRequest {
            scope: Some(pb::watch_events_request::Scope::FilingId(
                r.filing_id.clone(),
            )),
            after_seq: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.prev_hash, head_before.hash);
    hub.stop().await;
}

/// The real daemon as a child process.
struct Daemon {
    child: Child,
    addr: std::net::SocketAddr,
}

impl Daemon {
    fn start(data_dir: &Path) -> Daemon {
        // The load below is one lawyer at full speed: lift the per-identity limits.
        let config = data_dir.with_extension("toml");
        std::fs::write(
            &config,
            "[request_limits]\nrequests_per_second = 0\nmax_concurrent = 10000\n",
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecenterd"))
            .arg("--config")
            .arg(&config)
            .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("ECENTER_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("ecenterd starts");
        let addr = listening_on(&mut child).parse().unwrap();
        Daemon { child, addr }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn content(request_id: &str) -> Vec<u8> {
    let mut doc = pdf(request_id);
    doc.extend(std::iter::repeat_n(
        b'%',
        4096 + request_id.len() * 37 % 1000,
    ));
    doc
}

/// Starts 16 workers filing as fast as they can at `addr` until `stop`, recording what was attempted and acknowledged.
fn spawn_workers(
    addr: std::net::SocketAddr,
    acked: &Arc<Mutex<HashMap<String, pb::Receipt>>>,
    attempted: &Arc<Mutex<Vec<String>>>,
    stop: &Arc<AtomicBool>,
    count: &Arc<AtomicUsize>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut workers = Vec::new();
    for w in 0..16 {
        let (acked, attempted, stop, count) = (
            acked.clone(),
            attempted.clone(),
            stop.clone(),
            count.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut c = client(addr, LAWYER_A).await;
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let id = format!("req-crash-{w:02}-{n:05}");
                attempted.lock().await.push(id.clone());
                let doc = content(&id);
                match submit(&mut c, &id, CASE, "证据材料", &[("证据.pdf", &doc)]).await {
                    Ok(r) => {
                        acked.lock().await.insert(id, r.receipt.unwrap());
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => return,
                }
            }
        }));
    }
    workers
}

/// Checks every acknowledged filing is intact, and retrying any request id files nothing twice.
async fn acked_are_intact_and_retries_file_nothing_twice(
    c: &mut Client,
    acked: &HashMap<String, pb::Receipt>,
    attempted: &[String],
) {
    for (id, receipt) in acked {
        let f = c
            .get_filing(pb::GetFilingRequest {
                filing_id: receipt.filing_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(&f.request_id, id);
        let bytes = download(c, &receipt.filing_id, "D1").await.unwrap();
        assert_eq!(bytes, content(id), "bytes of {id} are intact");
        assert_eq!(sha256_hex(&bytes), receipt.documents[0].sha256);
    }
    // Clients retry whatever got no answer, with the same request id: still nothing twice.
    for id in attempted.iter().filter(|id| !acked.contains_key(*id)) {
        let doc = content(id);
        submit(c, id, CASE, "证据材料", &[("证据.pdf", &doc)])
            .await
            .unwrap();
    }
    for id in acked.keys().take(20) {
        let doc = content(id);
        let again = submit(c, id, CASE, "证据材料", &[("证据.pdf", &doc)])
            .await
            .unwrap();
        assert!(again.replayed);
        assert_eq!(again.receipt.unwrap().filing_id, acked[id].filing_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_concurrent_load_loses_no_acknowledged_filing_and_duplicates_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::start(dir.path());
    let acked: Arc<Mutex<HashMap<String, pb::Receipt>>> = Arc::default();
    let attempted: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicUsize::new(0));
    let workers = spawn_workers(daemon.addr, &acked, &attempted, &stop, &count);
    while count.load(Ordering::SeqCst) < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    daemon.child.kill().unwrap(); // SIGKILL, mid-load
    daemon.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    let attempted = attempted.lock().await.clone();
    assert!(acked.len() >= 300);

    // Restart: start-up verifies the whole chain, or refuses to serve.
    let daemon = Daemon::start(dir.path());
    let mut c = client(daemon.addr, LAWYER_A).await;
    acked_are_intact_and_retries_file_nothing_twice(&mut c, &acked, &attempted).await;
    let all = list_all(
        &mut c,
        pb::ListFilingsRequest {
            page_size: 500,
            ..Default::default()
        },
    )
    .await;
    let ids: HashSet<_> = all.iter().map(|f| f.request_id.clone()).collect();
    assert_eq!(ids.len(), all.len(), "no request id was filed twice");
    assert_eq!(
        all.len(),
        attempted.len(),
        "every attempted filing exists exactly once after retries"
    );
    // The log holds exactly the events of these filings, chained.
    let head = EventLogClientFor::head(daemon.addr).await;
    assert_eq!(head.seq, 2 * all.len() as u64);
}

struct EventLogClientFor;

impl EventLogClientFor {
    async fn head(addr: std::net::SocketAddr) -> pb::ChainHead {
        let mut log =
            ecenter_proto::v1::event_log_service_client::EventLogServiceClient::with_interceptor(
                channel(addr).await,
                As::new(CLERK),
            );
        log.get_chain_head(pb::GetChainHeadRequest {})
            .await
            .unwrap()
            .into_inner()
    }
}

#[tokio::test]
async fn a_flipped_byte_in_a_stored_event_stops_start_up_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    for i in 0..3 {
        let doc = pdf(&format!("{i}"));
        submit(
            &mut lawyer,
            &format!("req-tamper-{i:03}"),
            CASE,
            "证据材料",
            &[("e.pdf", &doc)],
        )
        .await
        .unwrap();
    }
    hub.stop().await;
    // Entry 3 is the second filing's received event; byte 80 lies in its JSON body.
    ecenter_store::tamper::flip_event_byte(dir.path(), 3, 80).unwrap();

    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let err = ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap())
        .err()
        .expect("start-up refuses");
    let text = err.to_string();
    assert!(text.contains("entry 3 "), "{text}");

    let out = Command::new(env!("CARGO_BIN_EXE_ecenterd"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("event log entry 3 does not verify"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "a refused hub never says it is listening"
    );
}

#[tokio::test]
async fn a_second_hub_on_a_data_directory_in_use_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: dir.path().to_path_buf(),
        store: store_under_test(dir.path()),
        ..Default::default()
    };
    let err = tokio::task::spawn_blocking(move || {
        ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap())
            .err()
            .expect("refused")
    })
    .await
    .unwrap();
    assert!(
        err.to_string().contains("is in use by another hub"),
        "{err}"
    );
    hub.stop().await;
    // Once the first hub has stopped, the directory opens again.
    let hub = TestHub::start(dir.path()).await;
    hub.stop().await;
}
