//! What the evidence features cost (issue #14), each as a same-run ratio:
//! - small-filing intake with signed checkpoints on (every second, as configured by default) and
//!   effectively off (one at the start and one at the stop), on two hubs loaded in turns ABBA;
//! - the scrub (EventLogService.Scrub over loopback gRPC) against SHA-256 over the same blob files
//!   on the same disk by `openssl dgst -sha256` and by `sha256sum`, the faster one the anchor;
//! - rebuilding a stopped hub's read models from its log against verifying that log.
//!
//! Run: `cargo bench --bench evidence` (ECENTER_BENCH_SMALL filings per round, default 5,000;
//! ECENTER_BENCH_SCRUB_MIB of documents to scrub, default 512). Prints Markdown for
//! docs/PERFORMANCE.md.

mod support;

use ecenter_proto::v1 as pb;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{BenchHub, env_count, load};
use tonic::metadata::MetadataValue;

/// Filings per second of `rounds` loads alternating between hub `a` and hub `b` (ABBA).
async fn intake_abba(a: &BenchHub, b: &BenchHub, per_round: usize) -> (f64, f64) {
    let (mut ta, mut tb) = (Duration::ZERO, Duration::ZERO);
    for (i, on_a) in [true, false, false, true].into_iter().enumerate() {
        let hub = if on_a { a } else { b };
        let (elapsed, _) = load(hub.addr, 32, per_round, 4096, &format!("r{i}")).await;
        if on_a {
            ta += elapsed;
        } else {
            tb += elapsed;
        }
    }
    let n = (per_round * 2) as f64;
    (n / ta.as_secs_f64(), n / tb.as_secs_f64())
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(dir).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out
}

/// Seconds an external SHA-256 command takes over `paths`.
fn external(cmd: &[&str], paths: &[PathBuf]) -> f64 {
    let t = Instant::now();
    let ok = std::process::Command::new(cmd[0])
        .args(&cmd[1..])
        .args(paths)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "{cmd:?}");
    t.elapsed().as_secs_f64()
}

async fn scrub_seconds(addr: std::net::SocketAddr) -> (f64, u64) {
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut request = tonic::Request::new(pb::ScrubRequest {});
    let id: MetadataValue<_> = "urn:ecenter:clerk:c0001".parse().unwrap();
    request.metadata_mut().insert("x-ecenter-identity", id);
    let t = Instant::now();
    let report = pb::event_log_service_client::EventLogServiceClient::new(channel)
        .scrub(request)
        .await
        .unwrap()
        .into_inner();
    assert!(report.damaged.is_empty());
    (t.elapsed().as_secs_f64(), report.bytes_checked)
}

/// Rebuilding a stopped hub's read models from its log (`ecenter-admin rebuild-read-models`: the
/// log verified, every read model digested, cleared, rebuilt and digested again) against verifying
/// the same log (`clerk verify-log`'s walk, which every start does): best of three each.
fn read_models_rebuild(data: &Path) {
    let (mut verify, mut rebuild) = (f64::MAX, f64::MAX);
    let mut entries = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let head = ecenter_store::verify_log(data).unwrap();
        verify = verify.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let done = ecenter_store::rebuild_read_models(data, |_, _| {}).unwrap();
        rebuild = rebuild.min(t.elapsed().as_secs_f64());
        assert_eq!(done.changed(), Some(false), "a faithful read model changed");
        assert_eq!(done.head, head);
        entries = done.entries;
    }
    println!("## Read models rebuilt from the log ({entries} entries; best of 3)\n");
    println!(
        "| verify the log s | rebuild the read models s | entries/s rebuilt | ratio rebuild / verify |"
    );
    println!("|---|---|---|---|");
    println!(
        "| {verify:.2} | {rebuild:.2} | {:.0} | {:.1} |\n",
        entries as f64 / rebuild,
        rebuild / verify
    );
}

/// A hub's start on the same stopped data directory (`SledStore::open`: the log verified, the read
/// models held against a fresh projection of it, the writer started; then closed) against
/// verifying the log alone: best of three each.
fn start_up(data: &Path) {
    let (mut verify, mut open) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let t = Instant::now();
        let head = ecenter_store::verify_log(data).unwrap();
        verify = verify.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let store = ecenter_store::SledStore::open(data).unwrap();
        assert_eq!(
            store.read_models_repaired().unwrap(),
            None,
            "faithful read models repaired"
        );
        store.close_blocking().unwrap();
        drop(store);
        open = open.min(t.elapsed().as_secs_f64());
        assert_eq!(ecenter_store::verify_log(data).unwrap(), head);
    }
    println!("## A start: the log verified and the read models held against it (best of 3)\n");
    println!("| verify the log s | open the store s | ratio open / verify |");
    println!("|---|---|---|");
    println!("| {verify:.2} | {open:.2} | {:.1} |\n", open / verify);
}

fn main() {
    let full = match support::mode() {
        support::Mode::List => return,
        mode => mode == support::Mode::Full,
    };
    let per_round = env_count("ECENTER_BENCH_SMALL", if full { 5_000 } else { 200 });
    let scrub_mib = env_count("ECENTER_BENCH_SCRUB_MIB", if full { 512 } else { 16 });
    let (dir, rt) = support::scratch_and_runtime();
    rt.block_on(async {
        let on = BenchHub::start(&dir.path().join("on"), |_| {}).await;
        let off = BenchHub::start(&dir.path().join("off"), |c| {
            c.checkpoints.interval_ms = 1_000_000_000;
            c.checkpoints.every_entries = u64::MAX;
        })
        .await;
        load(on.addr, 32, 500, 4096, "warm").await;
        load(off.addr, 32, 500, 4096, "warm").await;
        let (rate_on, rate_off) = intake_abba(&on, &off, per_round).await;
        println!("## Intake with signed checkpoints (4 KiB filings, 32 clients, ABBA rounds of {per_round})\n");
        println!("| checkpoints on filings/s | off filings/s | ratio on/off (target ≥ 0.95) |");
        println!("|---|---|---|");
        println!("| {rate_on:.0} | {rate_off:.0} | {:.3} |\n", rate_on / rate_off);
        off.stop().await;
        read_models_rebuild(&dir.path().join("off"));
        start_up(&dir.path().join("off"));

        // Documents to scrub: 8 MiB each, all different.
        let size = 8 << 20;
        let count = (scrub_mib << 20) / size;
        let (_, _) = load(on.addr, 4, count, size, "scrub").await;
        let blobs = files(&dir.path().join("on/blobs/sha256"));
        let bytes: u64 = blobs.iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
        let mb = bytes as f64 / 1e6;
        external(&["cat"], &blobs); // into the page cache for everyone alike
        let (mut scrub, mut openssl, mut coreutils) = (f64::MAX, f64::MAX, f64::MAX);
        for _ in 0..3 {
            openssl = openssl.min(external(&["openssl", "dgst", "-sha256"], &blobs));
            coreutils = coreutils.min(external(&["sha256sum"], &blobs));
            let (s, checked) = scrub_seconds(on.addr).await;
            assert!(checked >= bytes - (1 << 20) * 4, "the scrub read {checked} of {bytes} bytes");
            scrub = scrub.min(s);
        }
        let anchor = (mb / openssl).max(mb / coreutils);
        println!("## Scrub of {count} stored documents, {mb:.0} MB (best of 3, page cache warm)\n");
        println!("| scrub MB/s | openssl dgst -sha256 MB/s | sha256sum MB/s | ratio to the faster (target ≥ 0.8) |");
        println!("|---|---|---|---|");
        println!(
            "| {:.0} | {:.0} | {:.0} | {:.2} |",
            mb / scrub,
            mb / openssl,
            mb / coreutils,
            (mb / scrub) / anchor
        );
        on.stop().await;
    });
}
