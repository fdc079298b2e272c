//! Electronic service speed, against real peers on loopback:
//!
//! 1. notices per second handed to Postfix's `smtp-sink`, as a ratio to Postfix's own `smtp-source`
//!    sending messages of the same size to the same sink in the same run (target ≥ 0.5). Ours
//!    includes everything a notice costs: the lease and the outcome in the event log (group commit),
//!    the link, the Chinese text, DSN parameters, pooled connections;
//! 2. a 10,000-recipient serve order: time until every proof of service exists, the recipients
//!    confirming automatically (tests/python/smtp_autoconfirm.py: an aiosmtpd server that opens each
//!    notice's link over HTTPS and presses 确认已阅读).
//!
//! Run: `cargo bench --bench service` (ECENTER_BENCH_NOTICES and ECENTER_BENCH_RECIPIENTS change the
//! counts). Needs Postfix's tools and aiosmtpd, as scripts/test installs them.

#[path = "../tests/common/mod.rs"]
mod common;

use common::service::*;
use common::smtp::free_port;
use ecenter_proto::v1 as pb;
use std::io::Read;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_port(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "port {port} did not open"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(name: &str, default_full: usize, default_quick: usize, full: bool) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { default_full } else { default_quick })
}

fn recipients(n: usize, basis: pb::AddressBasis) -> Vec<pb::ServeRecipient> {
    (1..=n)
        .map(|i| {
            recipient(
                &format!("当事人{i}"),
                &format!("party{i}@parties.test"),
                basis,
            )
        })
        .collect()
}

/// Counts the order's events of `kind` until there are `n`; returns when the last came.
async fn until_events(w: &World, order_id: &str, kind: &str, n: usize) -> Instant {
    let mut clerk = w.service("clerk-c0001").await;
    let mut stream = clerk
        .watch_service(pb::WatchServiceRequest {
            order_id: order_id.into(),
            recipient_id: String::new(),
            after_seq: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let mut seen = 0;
    while seen < n {
        let e = tokio::time::timeout(Duration::from_secs(600), stream.message())
            .await
            .expect("events keep coming")
            .unwrap()
            .unwrap();
        if e.kind == kind {
            seen += 1;
        }
    }
    Instant::now()
}

/// Starts Postfix's `smtp-sink` on `sink_port` and a thread following its running count of
/// messages received (`mesg=N`); the sink is killed when the returned guard drops.
fn start_sink(sink_port: u16) -> (Killed, std::sync::Arc<AtomicU64>) {
    let mut sink = Command::new("smtp-sink")
        .args(["-c", "-u", "nobody"])
        .arg(format!("127.0.0.1:{sink_port}"))
        .arg("256")
        .stdout(Stdio::piped())
        .spawn()
        .expect("smtp-sink (Debian package postfix; scripts/test installs it)");
    // smtp-sink -c keeps printing "sess=… quit=… mesg=N\r": follow N.
    let received = std::sync::Arc::new(AtomicU64::new(0));
    {
        let received = received.clone();
        let mut out = sink.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut line = Vec::new();
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                for &b in &buf[..n] {
                    if b == b'\r' || b == b'\n' {
                        let text = String::from_utf8_lossy(&line);
                        if let Some(v) = text
                            .rsplit("mesg=")
                            .next()
                            .and_then(|v| v.trim().parse().ok())
                        {
                            received.store(v, Ordering::Relaxed);
                        }
                        line.clear();
                    } else {
                        line.push(b);
                    }
                }
            }
        });
    }
    (Killed(sink), received)
}

/// Messages per second Postfix's own `smtp-source` hands to the sink: `notices` messages of a
/// notice's size, the yardstick for ours.
fn smtp_source_rate(sink_port: u16, notices: usize) -> f64 {
    let started = Instant::now();
    let status = Command::new("smtp-source")
        .args(["-s", "32", "-l", "1400", "-m"])
        .arg(notices.to_string())
        .args(["-f", "songda@hub.test", "-t", "party@parties.test"])
        .arg(format!("127.0.0.1:{sink_port}"))
        .status()
        .expect("smtp-source");
    assert!(status.success());
    notices as f64 / started.elapsed().as_secs_f64()
}

/// Notices per second the hub hands to the sink for one serve order of `notices` recipients,
/// until the sink's count (`received`) has them all.
async fn ours_to_sink(sink_port: u16, notices: usize, received: &AtomicU64) -> f64 {
    let w = world_with(sink_port, 30, |c, _| {
        c.workers = 64;
        c.rate_per_second = 1_000_000;
    })
    .await;
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let request = order(
        "bench-sink",
        &document,
        recipients(notices, pb::AddressBasis::Confirmed),
    );
    let before = received.load(Ordering::Relaxed);
    let started = Instant::now();
    court.serve_order(request).await.unwrap();
    // Delivered when the sink has them all, as smtp-source's time is measured.
    while received.load(Ordering::Relaxed) < before + notices as u64 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let rate = notices as f64 / started.elapsed().as_secs_f64();
    w.hub.stop().await;
    rate
}

/// A serve order of `order_size` recipients who confirm as their notices arrive: the times until
/// every notice is sent, every recipient has confirmed, and every proof of service is issued.
async fn large_order(smtp_port: u16, order_size: usize) -> (Duration, Duration, Duration) {
    let w = world_with(smtp_port, 30, |c, _| {
        c.workers = 64;
        c.rate_per_second = 1_000_000;
    })
    .await;
    let _readers = Killed(
        Command::new("python3")
            .arg(format!(
                "{}/tests/python/smtp_autoconfirm.py",
                std::env::var("CARGO_MANIFEST_DIR")
                    .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
            ))
            .arg(smtp_port.to_string())
            .arg(w.pki.path().join("root-ca.pem"))
            .spawn()
            .expect("python3 with aiosmtpd"),
    );
    wait_port(smtp_port);
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let request = order(
        "bench-order",
        &document,
        recipients(order_size, pb::AddressBasis::Discovered),
    );
    let started = Instant::now();
    let ordered = court.serve_order(request).await.unwrap().into_inner();
    let order_id = ordered.order_id.clone();
    let (sent, confirmed, proven) = tokio::join!(
        until_events(&w, &order_id, "notice_result", order_size),
        until_events(&w, &order_id, "recipient_acted", 2 * order_size),
        until_events(&w, &order_id, "proof_issued", order_size),
    );
    w.hub.stop().await;
    (sent - started, confirmed - started, proven - started)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let notices = count("ECENTER_BENCH_NOTICES", 5_000, 200, full);
    let order_size = count("ECENTER_BENCH_RECIPIENTS", 10_000, 100, full);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    // 1. Throughput to smtp-sink, against smtp-source.
    let sink_port = free_port();
    let (_sink, received) = start_sink(sink_port);
    wait_port(sink_port);
    let source_rate = smtp_source_rate(sink_port, notices);

    let ours_rate = runtime.block_on(ours_to_sink(sink_port, notices, &received));
    println!(
        "notices to smtp-sink: ours {ours_rate:.0}/s, smtp-source {source_rate:.0}/s, ratio {:.2} (target >= 0.5), {notices} messages",
        ours_rate / source_rate
    );

    // 2. A large order until every proof exists, recipients confirming as their mail arrives.
    let smtp_port = free_port();
    let (sent, confirmed, proven) = runtime.block_on(large_order(smtp_port, order_size));
    println!(
        "{order_size}-recipient order: all sent after {:.1} s, all confirmed after {:.1} s, every proof issued after {:.1} s ({:.0} proofs/s)",
        sent.as_secs_f64(),
        confirmed.as_secs_f64(),
        proven.as_secs_f64(),
        order_size as f64 / proven.as_secs_f64()
    );
}
