//! Three `ecenterd` processes on one PostgreSQL log, under concurrent load, one of them killed
//! with `kill -9` thirty times and started again: every acknowledged filing is on every instance
//! with its bytes, no request id filed twice (clients retry on another instance with the same id),
//! and the chain PostgreSQL holds verifies (`clerk verify-log --postgres`) to the head every
//! instance names.

mod common;

use common::postgres::database_for;
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;

const INSTANCES: usize = 3;
const KILLS: usize = 30;

/// One instance: its process, data directory and configuration file.
struct Instance {
    child: Child,
    data: PathBuf,
    config: PathBuf,
}

impl Instance {
    fn start(data: &Path, url: &str) -> (Instance, SocketAddr) {
        let config = data.with_extension("toml");
        std::fs::write(
            &config,
            format!(
                "[request_limits]\nrequests_per_second = 0\nmax_concurrent = 10000\n\n\
                 [store]\nbackend = \"postgres\"\nurl = \"{url}\"\n"
            ),
        )
        .unwrap();
        let mut instance = Instance {
            child: spawn(data, &config),
            data: data.to_path_buf(),
            config,
        };
        let addr = listening_on(&mut instance.child).parse().unwrap();
        (instance, addr)
    }

    /// `kill -9`, then the same instance started again; returns its new address.
    fn kill_and_restart(&mut self) -> SocketAddr {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.child = spawn(&self.data, &self.config);
        listening_on(&mut self.child).parse().unwrap()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(data: &Path, config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ecenterd"))
        .arg("--config")
        .arg(config)
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("ECENTER_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("ecenterd starts")
}

fn content(request_id: &str) -> Vec<u8> {
    let mut doc = pdf(request_id);
    doc.extend(std::iter::repeat_n(
        b'%',
        2048 + request_id.len() * 31 % 700,
    ));
    doc
}

type Addrs = Arc<std::sync::Mutex<Vec<SocketAddr>>>;

/// Files `id` until some instance acknowledges it, moving to the next instance after a failure
/// as a load balancer would; the same request id every time.
async fn file_until_acknowledged(addrs: &Addrs, mut at: usize, id: &str) -> pb::Receipt {
    let doc = content(id);
    for _ in 0..2000 {
        let addr = addrs.lock().unwrap()[at % INSTANCES];
        if let Ok(channel) = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
        {
            let mut c = FilingServiceClient::with_interceptor(channel, As::new(LAWYER_A));
            match submit(&mut c, id, CASE, "证据材料", &[("证据.pdf", &doc)]).await {
                Ok(r) => return r.receipt.unwrap(),
                Err(s) => assert!(
                    matches!(
                        s.code(),
                        tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled
                    ),
                    "{id}: a refusal no retry can fix: {s:?}"
                ),
            }
        }
        at += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id} was never acknowledged")
}

/// Eight workers filing round the instances until `stop`; each finishes the filing it started.
fn spawn_workers(
    addrs: &Addrs,
    acked: &Arc<Mutex<HashMap<String, pb::Receipt>>>,
    stop: &Arc<AtomicBool>,
    count: &Arc<AtomicUsize>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..8)
        .map(|w| {
            let (addrs, acked, stop, count) =
                (addrs.clone(), acked.clone(), stop.clone(), count.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let id = format!("req-pgkill-{w:02}-{n:05}");
                    let receipt = file_until_acknowledged(&addrs, w + n, &id).await;
                    acked.lock().await.insert(id, receipt);
                    count.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_kill_9s_of_one_of_three_instances_lose_and_duplicate_no_filing() {
    let root = tempfile::tempdir().unwrap();
    let (_, config) = database_for(root.path());
    let mut instances = Vec::new();
    let mut started = Vec::new();
    for i in 0..INSTANCES {
        let (instance, addr) = Instance::start(&root.path().join(format!("hub{i}")), &config.url);
        instances.push(instance);
        started.push(addr);
    }
    let addrs: Addrs = Arc::new(std::sync::Mutex::new(started));
    let acked: Arc<Mutex<HashMap<String, pb::Receipt>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicUsize::new(0));
    let workers = spawn_workers(&addrs, &acked, &stop, &count);
    for kill in 0..KILLS {
        let target = count.load(Ordering::SeqCst) + 10;
        while count.load(Ordering::SeqCst) < target {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let victim = (kill * 7 + 1) % INSTANCES;
        let addr = instances[victim].kill_and_restart();
        addrs.lock().unwrap()[victim] = addr;
    }
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    assert!(acked.len() >= KILLS * 10);
    let addrs = addrs.lock().unwrap().clone();
    every_instance_has_every_filing_once(&addrs, &acked).await;
    the_chain_verifies_to_every_instances_head(&addrs, &config.url).await;
}

async fn every_instance_has_every_filing_once(
    addrs: &[SocketAddr],
    acked: &HashMap<String, pb::Receipt>,
) {
    for addr in addrs {
        let mut c = client(*addr, LAWYER_A).await;
        let mut all = Vec::new();
        for _ in 0..200 {
            all = list_all(&mut c, pb::ListFilingsRequest::default()).await;
            if all.len() >= acked.len() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ids: HashSet<&str> = all.iter().map(|f| f.request_id.as_str()).collect();
        assert_eq!(ids.len(), all.len(), "a request id filed twice on {addr}");
        assert_eq!(all.len(), acked.len(), "filings on {addr}");
        for (id, receipt) in acked.iter().take(40) {
            let bytes = download(&mut c, &receipt.filing_id, "D1").await.unwrap();
            assert_eq!(bytes, content(id), "{id} on {addr}");
        }
    }
}

async fn the_chain_verifies_to_every_instances_head(addrs: &[SocketAddr], url: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["verify-log", "--postgres", url, "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["first_bad_entry"].is_null(), "{report}");
    let head = report["head"]["hash"].as_str().unwrap().to_string();
    for addr in addrs {
        let hub = TestHubAt(*addr);
        let mut named = hub.head().await;
        for _ in 0..200 {
            if named.hash == head {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            named = hub.head().await;
        }
        assert_eq!(named.hash, head, "{addr} names another head");
    }
}

/// GetChainHead on an instance, as a clerk in development mode.
struct TestHubAt(SocketAddr);

impl TestHubAt {
    async fn head(&self) -> pb::ChainHead {
        let channel = channel(self.0).await;
        ecenter_proto::v1::event_log_service_client::EventLogServiceClient::with_interceptor(
            channel,
            As::new(CLERK),
        )
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .unwrap()
        .into_inner()
    }
}
