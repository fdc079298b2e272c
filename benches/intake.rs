//! Intake throughput of a real hub over loopback gRPC, every filing durably acknowledged.
//!
//! Run: `cargo bench --bench intake` (set `ECENTER_BENCH_SMALL` / `ECENTER_BENCH_LARGE` to change the
//! filing counts). Data goes to a temporary directory under the current directory, i.e. the same
//! disk the hub would use. Figures are printed as Markdown for docs/PERFORMANCE.md.

mod support;

use std::io::Write;
use std::time::Instant;
use support::{BenchHub, document, env_count, load};

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
    let full = match support::mode() {
        support::Mode::List => return,
        mode => mode == support::Mode::Full,
    };
    let small_total = env_count("ECENTER_BENCH_SMALL", if full { 20_000 } else { 300 });
    let large_total = env_count("ECENTER_BENCH_LARGE", if full { 300 } else { 4 });
    let (dir, rt) = support::scratch_and_runtime();
    rt.block_on(async {
        let hub = BenchHub::start(&dir.path().join("hub"), |_| {}).await;
        let addr = hub.addr;
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

        hub.stop().await;
    });
}
