//! The real `ecenterd` binary under hostile documents: a parser's complaints about a damaged PDF
//! become one summary line in the hub's log, not one line per damaged object; and a stop while a
//! long parse runs ends within the configured grace period, saying what it gave up.

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::seal_service_client::SealServiceClient;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn hostile(kind: &str, size: u64) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("doc");
    let size = size.to_string();
    common::pdf::python_tool("hostile.py", &[kind, common::pdf::path(&out), &size]);
    std::fs::read(&out).unwrap()
}

/// ecenterd in development mode with seals, its log (stderr) written to `log`.
fn daemon(
    dir: &Path,
    pki: &Path,
    adjust: impl FnOnce(&mut ecenter_server::Config),
) -> (Child, String) {
    let mut config = ecenter_server::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        dev_mode: true,
        seals: Some(seal_config(pki)),
        ..Default::default()
    };
    adjust(&mut config);
    let file = dir.join("ecenterd.toml");
    std::fs::write(&file, toml::to_string(&config).unwrap()).unwrap();
    let log = std::fs::File::create(dir.join("ecenterd.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecenterd"))
        .arg("--config")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let addr = listening_on(&mut child);
    (child, addr)
}

fn as_who<T>(who: &str, message: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut()
        .insert("x-ecenter-identity", who.parse().unwrap());
    r
}

fn verify_stored(filing_id: String) -> pb::VerifyPdfRequest {
    pb::VerifyPdfRequest {
        document: Some(pb::verify_pdf_request::Document::Stored(pb::DocumentRef {
            filing_id,
            document_id: "D1".into(),
        })),
    }
}

/// Waits for `child` to exit, at most `secs` seconds; whether it did.
fn exits_within(child: &mut Child, secs: u64) -> bool {
    for _ in 0..secs * 10 {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// CPU seconds the process has used (utime + stime of /proc/PID/stat).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| {
        f.iter().map(|t| t.parse::<f64>().unwrap_or(0.0)).sum()
    });
    ticks / 100.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parsers_complaints_about_one_pdf_are_one_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    ecenter_pki::init(&pki, false).unwrap();
    let (mut child, addr) = daemon(dir.path(), &pki, |_| {});
    let damaged = hostile("damaged-objects", 5_000);
    let mut seals = SealServiceClient::new(channel(addr.parse().unwrap()).await);
    let request = pb::VerifyPdfRequest {
        document: Some(pb::verify_pdf_request::Document::Content(damaged)),
    };
    let _ = seals.verify_pdf(as_who(COURT, request)).await;
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(dir.path().join("ecenterd.log")).unwrap();
    let per_object = log.lines().filter(|l| l.contains("lopdf")).count();
    assert!(
        per_object < 10,
        "{per_object} lines of lopdf in the log:\n{}",
        excerpt(&log)
    );
    let summary: Vec<&str> = log.lines().filter(|l| l.contains("(summarised)")).collect();
    assert_eq!(summary.len(), 1, "{}", excerpt(&log));
    let reports: u64 = summary[0]
        .split("reports=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(reports >= 1_000, "{}", summary[0]);
}

fn excerpt(log: &str) -> String {
    log.lines().take(40).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_during_a_long_parse_ends_within_its_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    ecenter_pki::init(&pki, false).unwrap();
    // Budgets raised so that a flood of a million objects is parsed for a long while.
    let (mut child, addr) = daemon(dir.path(), &pki, |c| {
        c.parsing.objects = 50_000_000;
        c.parsing.values = 500_000_000;
        c.parsing.seconds = 3_600;
        c.parse_pool.memory_bytes = 8 << 30;
        c.stop_grace_secs = 1;
    });
    let flood = hostile("objstm-flood", 1_200_000);
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    let mut filer = client(addr, LAWYER_A).await;
    let docs = [("证据.pdf", &flood[..])];
    let filed = submit(&mut filer, "req-daemon-1", CASE, "证据材料", &docs).await;
    let filing_id = filed.unwrap().receipt.unwrap().filing_id;
    let mut seals = SealServiceClient::new(channel(addr).await);
    let call = tokio::spawn(async move {
        seals
            .verify_pdf(as_who(COURT, verify_stored(filing_id)))
            .await
    });
    // The parse is under way once the hub has spent a quarter of a second of CPU on it; it takes
    // about two seconds on a fast machine, so it outlasts the grace period after the stop (a
    // larger flood is refused before it is parsed).
    let start = cpu_secs(child.id());
    let mut waited = 0;
    while cpu_secs(child.id()) < start + 0.25 && waited < 600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(
        !call.is_finished(),
        "the parse ended before the stop; raise the flood's size"
    );
    let sent = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    let exited = tokio::task::spawn_blocking(move || (exits_within(&mut child, 60), child))
        .await
        .unwrap();
    let (exited, mut child) = exited;
    if !exited {
        let _ = child.kill();
    }
    let log = std::fs::read_to_string(dir.path().join("ecenterd.log")).unwrap();
    assert!(
        exited,
        "ecenterd still runs a minute after SIGTERM:\n{}",
        excerpt(&log)
    );
    assert!(
        log.contains("given up without an answer") && log.contains("parses_running=1"),
        "{}",
        excerpt(&log)
    );
    assert!(log.contains("hub stopped"), "{}", excerpt(&log));
    // The caller got no answer: its call ended with the connection.
    assert!(call.await.unwrap().is_err());
}
