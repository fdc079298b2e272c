//! Hostile documents against a hub in this process, each beside a normal document of the same
//! kind in the same run: the hub's peak resident memory growth during the request (VmHWM after
//! resetting it through /proc/self/clear_refs, minus VmRSS before) and the answer time. Targets
//! (#25): growth ≤ 256 MiB and answer ≤ 5 s per hostile kind. Then the resident memory after the
//! burst against the baseline before it, with the parse pool's memory return off and on: what
//! the allocator gave back.
//!
//! The documents are written by tests/python/hostile.py (byte by byte, not by ecenter).
//! Run: `cargo bench --bench hostile` (prints Markdown for docs/PERFORMANCE.md). Without
//! `--bench` (as `cargo test` runs benches) it does nothing.

#[path = "../tests/common/seal_setup.rs"]
mod seal_setup;
mod support;

use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use ecenter_proto::v1::seal_service_client::SealServiceClient;
use ecenter_proto::v1::similar_case_service_client::SimilarCaseServiceClient;
use std::process::Command;
use std::time::Instant;
use support::{BenchHub, LAWYER};
use tonic::transport::Channel;

const COURT: &str = "urn:ecenter:court:xiangyang-cms";

fn hostile(kind: &str, size: Option<u64>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("doc");
    let mut cmd = Command::new("python3");
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/hostile.py"
    ))
    .arg(kind)
    .arg(&out);
    if let Some(s) = size {
        cmd.arg(s.to_string());
    }
    assert!(cmd.status().unwrap().success(), "hostile.py {kind}");
    std::fs::read(out).unwrap()
}

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap()
}

/// Runs `call`: (peak growth in MiB, seconds, outcome).
async fn measured(call: impl Future<Output = String>) -> (f64, f64, String) {
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting the peak RSS (Linux ≥ 4.0)");
    let before = status_kib("VmRSS:");
    let t = Instant::now();
    let outcome = call.await;
    let secs = t.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:");
    (peak.saturating_sub(before) as f64 / 1024.0, secs, outcome)
}

fn outcome<T>(r: Result<tonic::Response<T>, tonic::Status>) -> String {
    match r {
        Ok(_) => "OK".into(),
        Err(s) => {
            let m: String = s.message().chars().take(60).collect();
            format!("{:?}: {m}…", s.code())
        }
    }
}

fn as_who<T>(who: &str, message: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut()
        .insert("x-ecenter-identity", who.parse().unwrap());
    r
}

struct Clients {
    filing: FilingServiceClient<Channel>,
    seal: SealServiceClient<Channel>,
    similar: SimilarCaseServiceClient<Channel>,
    filed: u32,
}

impl Clients {
    /// Files `docs` (name, bytes) as one filing and returns its id.
    async fn file(&mut self, docs: &[(String, Vec<u8>)]) -> String {
        use pb::submit_filing_request::Part;
        self.filed += 1;
        let header = pb::SubmissionHeader {
            request_id: format!("bench-hostile-{}", self.filed),
            case_number: "（2026）鄂06民初123号".into(),
            filing_kind: "证据材料".into(),
            title: "bench".into(),
            documents: docs
                .iter()
                .map(|(name, d)| pb::DocumentHeader {
                    name: name.clone(),
                    size: d.len() as u64,
                    ..Default::default()
                })
                .collect(),
            corrects_filing_id: String::new(),
        };
        let mut msgs = vec![pb::SubmitFilingRequest {
            part: Some(Part::Header(header)),
        }];
        for (i, (_, d)) in docs.iter().enumerate() {
            for piece in d.chunks(1 << 20) {
                msgs.push(pb::SubmitFilingRequest {
                    part: Some(Part::Chunk(pb::DocumentChunk {
                        document_index: i as u32,
                        data: piece.to_vec(),
                    })),
                });
            }
        }
        let r = as_who(LAWYER, tokio_stream::iter(msgs));
        self.filing
            .submit_filing(r)
            .await
            .unwrap()
            .into_inner()
            .receipt
            .unwrap()
            .filing_id
    }

    async fn find_by(&mut self, filing_id: String) -> String {
        let q = pb::FindSimilarRequest {
            query: Some(pb::find_similar_request::Query::FilingId(filing_id)),
            ..Default::default()
        };
        outcome(self.similar.find_similar(as_who(COURT, q)).await)
    }

    async fn verify_stored(&mut self, who: &str, filing_id: String) -> String {
        let stored = pb::DocumentRef {
            filing_id,
            document_id: "D1".into(),
        };
        let q = pb::VerifyPdfRequest {
            document: Some(pb::verify_pdf_request::Document::Stored(stored)),
        };
        outcome(self.seal.verify_pdf(as_who(who, q)).await)
    }

    async fn seal_content(&mut self, pdf: Vec<u8>) -> String {
        let q = pb::SealPdfRequest {
            seal_id: "4206-SSFW-01".into(),
            target: Some(pb::seal_pdf_request::Target::Content(pdf)),
            ..Default::default()
        };
        outcome(self.seal.seal_pdf(as_who(COURT, q)).await)
    }
}

/// A filing's documents: `count` copies of `doc` named `name_{i}.ext`.
fn copies(ext: &str, doc: &[u8], count: usize) -> Vec<(String, Vec<u8>)> {
    (0..count)
        .map(|i| (format!("材料{i}.{ext}"), doc.to_vec()))
        .collect()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    // The same burst twice, each on a fresh hub: first with the pool's memory return off, then
    // on (the default); before each, what the process holds is trimmed to its floor.
    let (before_off, after_off) = burst(false).await;
    let (before_on, after_on) = burst(true).await;
    println!();
    println!("| after the burst (2 s later) | resident before | resident after | kept |");
    println!("|---|---:|---:|---:|");
    for (label, before, after) in [
        ("glibc malloc, memory return off", before_off, after_off),
        (
            "glibc malloc, malloc_trim after large parses (default)",
            before_on,
            after_on,
        ),
    ] {
        println!(
            "| {label} | {:.0} MiB | {:.0} MiB | {:.0} MiB |",
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            after.saturating_sub(before) as f64 / 1024.0
        );
    }
}

/// Files and sends every hostile kind beside its normal document; prints the rows when
/// `give_back` (the default configuration). Returns resident KiB before and 2 s after.
async fn burst(give_back: bool) -> (u64, u64) {
    trim();
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let seals = seal_setup::seal_config(pki.path());
    let hub = BenchHub::start(data.path(), |c| {
        c.seals = Some(seals);
        c.parse_pool.give_back_memory = give_back;
    })
    .await;
    let mut c = Clients::connect(hub.addr).await;
    create_court_seal(&mut c).await;
    let baseline = status_kib("VmRSS:");
    let rows = if give_back {
        Rows::Printed
    } else {
        Rows::Silent
    };
    rows.header();
    let (flood, plain) = pdf_rows(&mut c, rows).await;
    let (ofd, docx) = bomb_rows(&mut c, rows).await;
    let (_flat, long) = tester_rows(&mut c, rows).await;

    drop((flood, plain, ofd, docx, long));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let after = status_kib("VmRSS:");
    hub.stop().await;
    (baseline, after)
}

/// Whether a burst prints its table rows: only the burst in the default configuration (memory
/// return on) does.
#[derive(Debug, Clone, Copy)]
enum Rows {
    /// Rows are printed.
    Printed,
    /// Rows are measured but not printed.
    Silent,
}

impl Rows {
    /// The table's heading, when printed.
    fn header(self) {
        if let Rows::Printed = self {
            println!(
                "| hostile input (call) | bytes | normal: peak growth, answer | hostile: peak growth, answer | hostile answer |"
            );
            println!("|---|---:|---|---|---|");
        }
    }

    /// One hostile kind's row: its size, the normal document's and the hostile one's peak
    /// growth and answer time, and the hub's answer to the hostile one.
    fn row(self, kind: &str, bytes: usize, normal: (f64, f64, String), bad: (f64, f64, String)) {
        if let Rows::Silent = self {
            return;
        }
        println!(
            "| {kind} | {bytes} | {:.0} MiB, {:.2} s ({}) | {:.0} MiB, {:.2} s | {} |",
            normal.0, normal.1, normal.2, bad.0, bad.1, bad.2
        );
    }
}

impl Clients {
    /// The filing, seal and similar-case clients over one channel to the hub at `addr`.
    async fn connect(addr: std::net::SocketAddr) -> Clients {
        let channel = support_channel(addr).await;
        Clients {
            filing: FilingServiceClient::new(channel.clone()),
            seal: SealServiceClient::new(channel.clone()),
            similar: SimilarCaseServiceClient::new(channel),
            filed: 0,
        }
    }
}

/// Registers the court's seal 4206-SSFW-01 that SealPdf applies, before anything is measured.
async fn create_court_seal(c: &mut Clients) {
    let seal = pb::CreateSealRequest {
        seal_id: "4206-SSFW-01".into(),
        name: "襄阳市中级人民法院诉讼服务专用章".into(),
        picture_png: seal_setup::seal_png(),
        valid_days: 365,
        ..Default::default()
    };
    c.seal.create_seal(as_who(COURT, seal)).await.unwrap();
}

/// SealPdf of a page whose /Parent chain loops, and VerifyPdf of 1.2 million objects in object
/// streams (alone and twice at once); returns the flood and its plain twin, which the burst
/// keeps until its end.
async fn pdf_rows(c: &mut Clients, rows: Rows) -> (Vec<u8>, Vec<u8>) {
    // SealPdf of a page whose /Parent chain loops.
    let (normal, bad) = (hostile("normal-pdf", Some(1)), hostile("parent-pair", None));
    let n = measured(c.seal_content(normal)).await;
    let len = bad.len();
    let b = measured(c.seal_content(bad)).await;
    rows.row("page /Parent loop (SealPdf)", len, n, b);

    // VerifyPdf of 1.2 million objects in object streams, beside a plain PDF of the same size.
    let flood = hostile("objstm-flood", None);
    let plain = hostile("plain-pdf", Some(flood.len() as u64));
    let (flood_id, plain_id) = (
        c.file(&copies("pdf", &flood, 1)).await,
        c.file(&copies("pdf", &plain, 1)).await,
    );
    let n = measured(c.verify_stored(COURT, plain_id.clone())).await;
    let b = measured(c.verify_stored(COURT, flood_id.clone())).await;
    rows.row(
        "1.2 M objects in object streams (VerifyPdf)",
        flood.len(),
        n,
        b,
    );
    let two = |mut a: Clients, mut b: Clients, id: String| async move {
        let (x, y) = tokio::join!(
            a.verify_stored(COURT, id.clone()),
            b.verify_stored(COURT, id)
        );
        format!("{x} / {y}")
    };
    let n = measured(two(c.clone_clients(), c.clone_clients(), plain_id)).await;
    let b = measured(two(c.clone_clients(), c.clone_clients(), flood_id)).await;
    rows.row("the same, twice at once", flood.len() * 2, n, b);
    (flood, plain)
}

/// FindSimilar by filings whose PDF pages, OFD pages or DOCX parts inflate to hundreds of MiB;
/// returns the OFD and DOCX bombs, which the burst keeps until its end.
async fn bomb_rows(c: &mut Clients, rows: Rows) -> (Vec<u8>, Vec<u8>) {
    // FindSimilar by a filing whose PDF pages inflate to 200 MiB each.
    for pages in [1u64, 4, 12] {
        let normal = c
            .file(&copies("pdf", &hostile("normal-pdf", Some(pages)), 1))
            .await;
        let bomb = hostile("content-bomb", Some(pages));
        let len = bomb.len();
        let bomb = c.file(&copies("pdf", &bomb, 1)).await;
        let n = measured(c.find_by(normal)).await;
        let b = measured(c.find_by(bomb)).await;
        rows.row(
            &format!("PDF of {pages} page(s) × 200 MiB content (FindSimilar)"),
            len,
            n,
            b,
        );
    }
    // FindSimilar by an OFD of 16 pages × 60 MiB, and by 16 DOCX × 64 MiB in one filing.
    let ofd = hostile("ofd-bomb", None);
    let (normal, bomb) = (
        c.file(&copies("ofd", &hostile("normal-ofd", Some(16)), 1))
            .await,
        c.file(&copies("ofd", &ofd, 1)).await,
    );
    let n = measured(c.find_by(normal)).await;
    let b = measured(c.find_by(bomb)).await;
    rows.row("OFD of 16 pages × 60 MiB (FindSimilar)", ofd.len(), n, b);
    let docx = hostile("docx-bomb", None);
    let (normal, bomb) = (
        c.file(&copies("docx", &hostile("normal-docx", None), 16))
            .await,
        c.file(&copies("docx", &docx, 16)).await,
    );
    let n = measured(c.find_by(normal)).await;
    let b = measured(c.find_by(bomb)).await;
    rows.row(
        "16 DOCX × 64 MiB in one filing (FindSimilar)",
        docx.len() * 16,
        n,
        b,
    );
    (ofd, docx)
}

/// What an outside tester found next: values that each cost lopdf ~100 bytes, one font map
/// decoded under 2,000 names, and an OFD element name of 100,000 characters; returns the flat
/// array and the long-tag OFD, which the burst keeps.
async fn tester_rows(c: &mut Clients, rows: Rows) -> (Vec<u8>, Vec<u8>) {
    // What an outside tester found next: values that each cost lopdf ~100 bytes, and one font
    // map decoded under 2,000 names.
    let flat = hostile("flat-array", None);
    let (normal, bomb) = (
        c.file(&copies("pdf", &hostile("normal-pdf", Some(1)), 1))
            .await,
        c.file(&copies("pdf", &flat, 1)).await,
    );
    let n = measured(c.verify_stored(COURT, normal)).await;
    let b = measured(c.verify_stored(COURT, bomb)).await;
    rows.row(
        "one 15 MiB array of zeros in an object stream (VerifyPdf)",
        flat.len(),
        n,
        b,
    );
    for kind in ["operand-flood", "font-names"] {
        let doc = hostile(kind, None);
        let (normal, bomb) = (
            c.file(&copies("pdf", &hostile("normal-pdf", Some(1)), 1))
                .await,
            c.file(&copies("pdf", &doc, 1)).await,
        );
        let n = measured(c.find_by(normal)).await;
        let b = measured(c.find_by(bomb)).await;
        let label = match kind {
            "operand-flood" => "page content of 7.8 M bare operands (FindSimilar)",
            _ => "one 15 MiB font map under 2,000 names (FindSimilar)",
        };
        rows.row(label, doc.len(), n, b);
    }
    let long = hostile("ofd-long-tag", None);
    let (normal, bomb) = (
        c.file(&copies("ofd", &hostile("normal-ofd", Some(1)), 1))
            .await,
        c.file(&copies("ofd", &long, 1)).await,
    );
    let n = measured(c.find_by(normal)).await;
    let b = measured(c.find_by(bomb)).await;
    rows.row(
        "OFD with a 100,000-character element name (FindSimilar)",
        long.len(),
        n,
        b,
    );
    (flat, long)
}

/// Returns what the process's allocator holds free to the system: the floor each run starts at.
#[allow(unsafe_code)]
fn trim() {
    // SAFETY: malloc_trim returns free pages of glibc's arenas; it touches no live memory.
    unsafe {
        libc::malloc_trim(0);
    }
}

async fn support_channel(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

impl Clients {
    fn clone_clients(&self) -> Clients {
        Clients {
            filing: self.filing.clone(),
            seal: self.seal.clone(),
            similar: self.similar.clone(),
            filed: self.filed,
        }
    }
}
