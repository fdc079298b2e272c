//! Intake throughput of a real hub over loopback gRPC, every filing durably acknowledged.
//!
//! Run: `cargo bench --bench intake` (set `ECENTER_BENCH_SMALL` / `ECENTER_BENCH_LARGE` to change the
//! filing counts). Data goes to a temporary directory under the current directory, i.e. the same
//! disk the hub would use. Figures are printed as Markdown for docs/PERFORMANCE.md.

use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use ecenter_proto::v1::submit_filing_request::Part;
use hdrhistogram::Histogram;
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

const LAWYER: &str = "urn:ecenter:lawyer:14201202010000001";

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A PDF-looking document of `len` bytes, unique per `n` (content addressing would otherwise
/// deduplicate the writes being measured).
fn document(len: usize, n: u64) -> Vec<u8> {
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

async fn submit(client: &mut FilingServiceClient<Channel>, request_id: String, doc: Vec<u8>) {
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
async fn load(
    addr: SocketAddr,
    clients: usize,
    total: usize,
    size: usize,
    tag: &str,
) -> (Duration, Histogram<u64>) {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
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

/// The machine's own limits for `bytes` of documents: SHA-256 and sequential write + fdatasync.
fn machine_limits(dir: &std::path::Path, docs: &[Vec<u8>]) -> (f64, f64, f64) {
    let total: usize = docs.iter().map(Vec::len).sum();
    let mb = total as f64 / 1e6;
    let t = Instant::now();
    for d in docs {
        std::hint::black_box(ring::digest::digest(&ring::digest::SHA256, d));
    }
    let sha = mb / t.elapsed().as_secs_f64();
    let path = dir.join("seq-write.bin");
    let t = Instant::now();
    {
        let mut f = std::fs::File::create(&path).unwrap();
        for d in docs {
            f.write_all(d).unwrap();
        }
        f.sync_data().unwrap();
    }
    let seq_once = mb / t.elapsed().as_secs_f64();
    std::fs::remove_file(&path).unwrap();
    let t = Instant::now();
    {
        let mut f = std::fs::File::create(&path).unwrap();
        for d in docs {
            f.write_all(d).unwrap();
            f.sync_data().unwrap();
        }
    }
    let seq_each = mb / t.elapsed().as_secs_f64();
    std::fs::remove_file(&path).unwrap();
    (sha, seq_once, seq_each)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return; // test listers (nextest) find no unit tests here
    }
    // `cargo bench` passes --bench; anything else (cargo test --all-targets) gets a quick smoke run.
    let full = args.iter().any(|a| a == "--bench");
    let small_total = env_count("ECENTER_BENCH_SMALL", if full { 20_000 } else { 300 });
    let large_total = env_count("ECENTER_BENCH_LARGE", if full { 300 } else { 4 });
    let dir = tempfile::Builder::new()
        .prefix(".bench-")
        .tempdir_in(".")
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = ecenter_server::Config {
            dev_mode: true,
            data_dir: dir.path().join("hub"),
            // One benchmark identity at full speed: the limiter is not what is measured.
            request_limits: ecenter_server::guard::RequestLimits { requests_per_second: 0, burst: 0, max_concurrent: 10_000 },
            ..Default::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hub = ecenter_server::Hub::open(config, addr).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(hub.serve(listener, async {
            let _ = stopped.await;
        }));

        load(addr, 32, 500, 4096, "warm").await;
        let (elapsed, hist) = load(addr, 32, small_total, 4096, "small").await;
        let rate = small_total as f64 / elapsed.as_secs_f64();
        println!("## Small filings: one 4 KiB document, 32 concurrent clients\n");
        println!("| filings | seconds | filings/s | ratio to 2,000/s target | p50 ms | p99 ms | p99.9 ms | max ms |");
        println!("|---|---|---|---|---|---|---|---|");
        println!(
            "| {small_total} | {:.2} | {rate:.0} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            elapsed.as_secs_f64(),
            rate / 2000.0,
            hist.value_at_quantile(0.5) as f64 / 1000.0,
            hist.value_at_quantile(0.99) as f64 / 1000.0,
            hist.value_at_quantile(0.999) as f64 / 1000.0,
            hist.max() as f64 / 1000.0,
        );

        let size = 1024 * 1024;
        let (elapsed, hist) = load(addr, 8, large_total, size, "large").await;
        let hub_mb = (large_total * size) as f64 / 1e6 / elapsed.as_secs_f64();
        let docs: Vec<Vec<u8>> = (0..large_total as u64).map(|n| document(size, 1_000_000 + n)).collect();
        let (sha, seq_once, seq_each) = machine_limits(dir.path(), &docs);
        let limit = sha.min(seq_once);
        println!("## Large filings: one 1 MiB document, 8 concurrent clients, {large_total} filings\n");
        println!("| hub MB/s | SHA-256 MB/s | seq. write + one fdatasync MB/s | seq. write + fdatasync per MiB MB/s | machine limit MB/s | ratio (target ≥ 0.5) | p99 ms |");
        println!("|---|---|---|---|---|---|---|");
        println!(
            "| {hub_mb:.0} | {sha:.0} | {seq_once:.0} | {seq_each:.0} | {limit:.0} | {:.2} | {:.1} |",
            hub_mb / limit,
            hist.value_at_quantile(0.99) as f64 / 1000.0
        );

        let _ = stop.send(());
        server.await.unwrap().unwrap();
    });
}
