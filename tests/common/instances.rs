//! Several `ecenterd` processes on one PostgreSQL log, clients that file round them as a load
//! balancer would, and the checks every multi-instance drill ends with: every acknowledged filing
//! on every instance with its bytes, once, and the chain PostgreSQL holds verifying to the head
//! every instance names. Used by the kill test and the failover and restore drills.

use super::*;
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// One instance: its process, data directory and configuration file.
pub struct Instance {
    child: Child,
    data: PathBuf,
    config: PathBuf,
}

impl Instance {
    /// Starts `ecenterd` in development mode on `data`, its log of record at `url`.
    pub fn start(data: &Path, url: &str) -> (Instance, SocketAddr) {
        Instance::start_with(data, url, &[])
    }

    /// [`Instance::start`] with `extra` flags (`--accept-loss …`).
    pub fn start_with(data: &Path, url: &str, extra: &[&str]) -> (Instance, SocketAddr) {
        let config = config_for(data, url);
        let mut instance = Instance {
            child: spawn(data, &config, extra),
            data: data.to_path_buf(),
            config,
        };
        let addr = listening_on(&mut instance.child).parse().unwrap();
        (instance, addr)
    }

    /// `ecenterd` on `data` and `url` refusing to start: its exit status and what it said. One
    /// that starts instead is stopped after 30 s, and the test fails.
    pub fn refused(data: &Path, url: &str) -> (Option<i32>, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecenterd"))
            .arg("--config")
            .arg(config_for(data, url))
            .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .env("ECENTER_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        for _ in 0..300 {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.code().is_some(), "the instance started: {said}");
        (out.status.code(), said)
    }

    /// Stops it as an operator does (SIGTERM): it signs a checkpoint and exits 0.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }

    /// `kill -9`, then the same instance started again; returns its new address.
    pub fn kill_and_restart(&mut self) -> SocketAddr {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.child = spawn(&self.data, &self.config, &[]);
        listening_on(&mut self.child).parse().unwrap()
    }

    /// What a supervisor (systemd's `Restart=on-failure`) does: an instance that exited with 75
    /// (its replica must be rebuilt) is started again; returns its new address. Any other exit
    /// fails the test.
    pub fn restart_if_it_asked(&mut self) -> Option<SocketAddr> {
        let status = self.child.try_wait().unwrap()?;
        assert_eq!(
            status.code(),
            Some(75),
            "an instance exited other than to rebuild its replica: {status}"
        );
        self.child = spawn(&self.data, &self.config, &[]);
        Some(listening_on(&mut self.child).parse().unwrap())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration file of an instance on `data` whose log of record is at `url`.
fn config_for(data: &Path, url: &str) -> PathBuf {
    let config = data.with_extension("toml");
    std::fs::write(
        &config,
        format!(
            "[request_limits]\nrequests_per_second = 0\nmax_concurrent = 10000\n\n\
             [store]\nbackend = \"postgres\"\nurl = \"{url}\"\n"
        ),
    )
    .unwrap();
    config
}

fn spawn(data: &Path, config: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ecenterd"))
        .arg("--config")
        .arg(config)
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(extra)
        .env("ECENTER_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("ecenterd starts")
}

/// The document filed under `request_id`: a few KiB, its length varying with the id.
pub fn content(request_id: &str) -> Vec<u8> {
    let mut doc = pdf(request_id);
    doc.extend(std::iter::repeat_n(
        b'%',
        2048 + request_id.len() * 31 % 700,
    ));
    doc
}

/// The instances' addresses as the clients see them (an instance started again moves).
pub type Addrs = Arc<std::sync::Mutex<Vec<SocketAddr>>>;

/// Filings acknowledged so far, by request id.
type Acked = Arc<tokio::sync::Mutex<HashMap<String, pb::Receipt>>>;

/// Files `id` until some instance acknowledges it, moving to the next instance after a failure
/// as a load balancer would; the same request id every time.
async fn file_until_acknowledged(addrs: &Addrs, mut at: usize, id: &str) -> pb::Receipt {
    let doc = content(id);
    for _ in 0..3000 {
        let addr = {
            let addrs = addrs.lock().unwrap();
            addrs[at % addrs.len()]
        };
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

/// Filing load on a set of instances: eight workers filing round them until stopped, each
/// finishing the filing it started, and what they were acknowledged.
pub struct Load {
    /// The instances' addresses; update one when its instance moves.
    pub addrs: Addrs,
    acked: Acked,
    stop: Arc<AtomicBool>,
    count: Arc<AtomicUsize>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// Starts the workers on the instances at `addrs`.
    pub fn start(addrs: Vec<SocketAddr>) -> Load {
        let addrs: Addrs = Arc::new(std::sync::Mutex::new(addrs));
        let (acked, stop, count): (Acked, Arc<AtomicBool>, Arc<AtomicUsize>) = Default::default();
        let workers = (0..8)
            .map(|w| {
                let (addrs, acked, stop, count) =
                    (addrs.clone(), acked.clone(), stop.clone(), count.clone());
                tokio::spawn(async move {
                    for n in 0.. {
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let id = format!("req-hubs-{w:02}-{n:05}");
                        let receipt = file_until_acknowledged(&addrs, w + n, &id).await;
                        acked.lock().await.insert(id, receipt);
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        Load {
            addrs,
            acked,
            stop,
            count,
            workers,
        }
    }

    /// Filings acknowledged so far.
    pub fn acknowledged(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Waits (up to five minutes) until `target` filings are acknowledged, restarting (as a
    /// supervisor would) any of `instances` that stopped to rebuild its replica; returns how many
    /// restarts that took. A worker that failed fails the test here.
    pub async fn until(&self, target: usize, instances: &mut [Instance]) -> usize {
        let mut restarts = 0;
        let give_up = tokio::time::Instant::now() + Duration::from_secs(300);
        while self.acknowledged() < target {
            assert!(
                !self
                    .workers
                    .iter()
                    .any(tokio::task::JoinHandle::is_finished),
                "a filing worker failed (its panic is printed above)"
            );
            assert!(
                tokio::time::Instant::now() < give_up,
                "{} of {target} filings acknowledged after five minutes",
                self.acknowledged()
            );
            for (i, instance) in instances.iter_mut().enumerate() {
                if let Some(addr) = instance.restart_if_it_asked() {
                    self.addrs.lock().unwrap()[i] = addr;
                    restarts += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        restarts
    }

    /// Stops the workers once their filings are acknowledged; returns the instances' addresses
    /// and every acknowledged filing.
    pub async fn finish(self) -> (Vec<SocketAddr>, HashMap<String, pb::Receipt>) {
        self.stop.store(true, Ordering::SeqCst);
        for w in self.workers {
            w.await.unwrap();
        }
        let addrs = self.addrs.lock().unwrap().clone();
        (addrs, self.acked.lock().await.clone())
    }
}

/// Every acknowledged filing is listed once on every instance, and the first forty read back
/// with their bytes.
pub async fn every_instance_has_every_filing_once(
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

/// `clerk verify-log --postgres url`: the chain verifies; returns the head it reached.
pub fn verified_head(url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["verify-log", "--postgres", url, "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "clerk verify-log: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(report["first_bad_entry"].is_null(), "{report}");
    report["head"]["hash"].as_str().unwrap().to_string()
}

/// The chain PostgreSQL holds verifies, to the head every instance names.
pub async fn the_chain_verifies_to_every_instances_head(addrs: &[SocketAddr], url: &str) {
    let head = verified_head(url);
    for addr in addrs {
        let mut named = head_at(*addr).await;
        for _ in 0..200 {
            if named.hash == head {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            named = head_at(*addr).await;
        }
        assert_eq!(named.hash, head, "{addr} names another head");
    }
}

/// GetChainHead on an instance, as a clerk in development mode.
async fn head_at(addr: SocketAddr) -> pb::ChainHead {
    EventLogServiceClient::with_interceptor(channel(addr).await, As::new(CLERK))
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .unwrap()
        .into_inner()
}
