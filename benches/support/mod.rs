//! What the benchmarks share: documents that do not deduplicate, a filing over loopback gRPC in
//! development mode, and a load of many filings from concurrent clients with their latencies.
#![allow(dead_code)]

use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use ecenter_proto::v1::submit_filing_request::Part;
use hdrhistogram::Histogram;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

pub const LAWYER: &str = "urn:ecenter:lawyer:14201202010000001";

/// How a benchmark binary was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A test lister (`--list`, as nextest asks): there are no unit tests here; do nothing.
    List,
    /// `cargo bench` (it passes `--bench`): the full run.
    Full,
    /// Anything else (`cargo test --all-targets`): a quick smoke run.
    Smoke,
}

/// The mode of this process, from its arguments.
pub fn mode() -> Mode {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        Mode::List
    } else if args.iter().any(|a| a == "--bench") {
        Mode::Full
    } else {
        Mode::Smoke
    }
}

/// A scratch directory for a benchmark's hubs in the current directory (`.bench-…`: on the
/// project's disk, not a tmpfs), removed when dropped, on a settled disk ([`settled_disk`], in a
/// full run); and a multi-threaded runtime.
pub fn scratch_and_runtime() -> (tempfile::TempDir, tokio::runtime::Runtime) {
    let dir = tempfile::Builder::new()
        .prefix(".bench-")
        .tempdir_in(".")
        .unwrap();
    if mode() == Mode::Full {
        settled_disk(dir.path());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    (dir, rt)
}

/// What creating one small file may cost, in µs, on a settled disk (`ECENTER_BENCH_SETTLED_US`
/// overrides it for another machine). A new directory on this machine takes 25–35 µs a file. Its
/// root file system is ext4 without a journal (`/proc/fs/jbd2` is empty), and such an ext4 passes
/// over every inode freed in the last minute — six while the inode table's block is still dirty —
/// before it reuses one (`recently_deleted`, fs/ext4/ialloc.c): after the last run's scratch
/// directory was deleted, a file took 350–900 µs for minutes. The hubs create a blob file per
/// document, so in a run started just after another that once took a quarter of the machine's CPU.
const SETTLED_CREATE_US: f64 = 80.0;

/// How long [`settled_disk`] waits at most, and between two probes.
const SETTLE_LIMIT: Duration = Duration::from_secs(600);
const SETTLE_PAUSE: Duration = Duration::from_secs(30);

/// Waits until creating files in `dir` costs what it costs on a settled disk
/// ([`SETTLED_CREATE_US`]), ten minutes at most, and says what it measured (on standard output,
/// with the figures). The probes' files stay in `dir` (deleting them would unsettle the disk
/// again) and go with it.
pub fn settled_disk(dir: &std::path::Path) {
    let settled = std::env::var("ECENTER_BENCH_SETTLED_US")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SETTLED_CREATE_US);
    let started = Instant::now();
    for round in 0.. {
        let us = create_cost(&dir.join(format!("probe-{round}")));
        if us <= settled {
            println!("Disk settled: {us:.0} µs to create a 4 KiB file.\n");
            return;
        }
        if started.elapsed() >= SETTLE_LIMIT {
            println!(
                "WARNING: creating a 4 KiB file still takes {us:.0} µs after {} s (settled: ≤ {settled} µs); the figures below are biased by it.\n",
                SETTLE_LIMIT.as_secs()
            );
            return;
        }
        eprintln!(
            "the disk is busy: {us:.0} µs to create a 4 KiB file (ext4 passes over inodes freed in the last minutes); waiting {} s",
            SETTLE_PAUSE.as_secs()
        );
        std::thread::sleep(SETTLE_PAUSE);
    }
}

/// Creates 100 files of 4 KiB in the new directory `probe`: µs per file.
fn create_cost(probe: &std::path::Path) -> f64 {
    const FILES: u32 = 100;
    std::fs::create_dir(probe).unwrap();
    let began = Instant::now();
    for i in 0..FILES {
        std::fs::write(probe.join(i.to_string()), [0u8; 4096]).unwrap();
    }
    began.elapsed().as_secs_f64() * 1e6 / f64::from(FILES)
}

pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A PDF-looking document of `len` bytes, unique per `n` (content addressing would otherwise
/// deduplicate the writes being measured).
pub fn document(len: usize, n: u64) -> Vec<u8> {
    let mut doc = vec![b'%'; len];
    doc[..9].copy_from_slice(b"%PDF-1.7\n");
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for chunk in doc[16..len - 16].chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    doc
}

pub async fn submit(client: &mut FilingServiceClient<Channel>, request_id: String, doc: Vec<u8>) {
    let header = pb::SubmissionHeader {
        request_id,
        case_number: "（2026）鄂06民初123号".into(),
        filing_kind: "证据材料".into(),
        title: "bench".into(),
        documents: vec![pb::DocumentHeader {
            name: "证据.pdf".into(),
            size: doc.len() as u64,
            ..Default::default()
        }],
        corrects_filing_id: String::new(),
    };
    let mut msgs = vec![pb::SubmitFilingRequest {
        part: Some(Part::Header(header)),
    }];
    for piece in doc.chunks(1024 * 1024) {
        msgs.push(pb::SubmitFilingRequest {
            part: Some(Part::Chunk(pb::DocumentChunk {
                document_index: 0,
                data: piece.to_vec(),
            })),
        });
    }
    let mut request = tonic::Request::new(tokio_stream::iter(msgs));
    let id: MetadataValue<_> = LAWYER.parse().unwrap();
    request.metadata_mut().insert("x-ecenter-identity", id);
    client
        .submit_filing(request)
        .await
        .expect("filing accepted");
}

/// Runs `total` filings of `size` bytes from `clients` connections; returns elapsed time and latencies.
pub async fn load(
    addr: SocketAddr,
    clients: usize,
    total: usize,
    size: usize,
    tag: &str,
) -> (Duration, Histogram<u64>) {
    load_on(&[addr], clients, total, size, tag).await
}

/// [`load`] spread over several hubs: connection `i` goes to `addrs[i % addrs.len()]`, as a
/// round-robin load balancer would place them.
pub async fn load_on(
    addrs: &[SocketAddr],
    clients: usize,
    total: usize,
    size: usize,
    tag: &str,
) -> (Duration, Histogram<u64>) {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..clients {
        let addr = addrs[i % addrs.len()];
        let next = next.clone();
        let tag = tag.to_string();
        tasks.push(tokio::spawn(async move {
            let channel = Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
                .unwrap();
            let mut client = FilingServiceClient::new(channel);
            let mut hist = Histogram::<u64>::new(3).unwrap();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
                    return hist;
                }
                let doc = document(size, n as u64);
                let t = Instant::now();
                submit(&mut client, format!("bench-{tag}-{n:08}"), doc).await;
                hist.record(t.elapsed().as_micros() as u64).unwrap();
            }
        }));
    }
    let mut hist = Histogram::<u64>::new(3).unwrap();
    for t in tasks {
        hist.add(t.await.unwrap()).unwrap();
    }
    (start.elapsed(), hist)
}

/// A hub served in this process on 127.0.0.1:0 in development mode over `data_dir`, with the
/// per-identity limiter off (it is not what is measured), adjusted by `adjust`.
pub struct BenchHub {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), ecenter_server::ServeError>>,
}

impl BenchHub {
    pub async fn start(
        data_dir: &std::path::Path,
        adjust: impl FnOnce(&mut ecenter_server::Config),
    ) -> BenchHub {
        let mut config = ecenter_server::Config {
            dev_mode: true,
            data_dir: data_dir.to_path_buf(),
            request_limits: ecenter_api::guard::RequestLimits {
                requests_per_second: 0,
                burst: 0,
                max_concurrent: 10_000,
            },
            ..Default::default()
        };
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hub = ecenter_server::Hub::open(config, addr).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(hub.serve(listener, async {
            let _ = stopped.await;
        }));
        BenchHub { addr, stop, server }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.server.await.unwrap().unwrap();
    }
}

/// Median of `runs` timings of `f`, in microseconds.
pub fn median_us(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The certificate and key `stem`.pem / `stem`.key of a PKI directory.
pub fn holder(dir: &std::path::Path, stem: &str) -> ecenter_seal::KeyHolder {
    ecenter_seal::KeyHolder::from_pem(
        &std::fs::read(dir.join(format!("{stem}.pem"))).unwrap(),
        &std::fs::read(dir.join(format!("{stem}.key"))).unwrap(),
    )
    .unwrap()
}
