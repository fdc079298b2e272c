//! 类案推送 latency (issue #24): from the docketing entry to the recorded `similar_cases_pushed` entry,
//! on a hub whose index holds 100,000 judgments, as a ratio to a bare FindSimilar of the same filing
//! in the same run (target: push p99 ≤ 50 ms).
//!
//! Each round files a 起诉状 whose DOCX holds one LeCaRD query's facts, reviews and dockets it in a
//! new case, waits until the push is listed, then asks FindSimilar for the same filing. The push's
//! latency is read from the log itself (the two entries' recorded times): the follower's wake-up,
//! the case's filings, reading the DOCX, the search and the durable append. FindSimilar is timed by
//! the client: the gRPC round trip, reading the DOCX and the search.
//!
//! Run: `cargo bench --bench push` (ECENTER_BENCH_DOCS sets the index size, default 100,000;
//! ECENTER_SHARED_DATA the data location). Without `--bench`: 2,000 judgments and 5 rounds.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/similar_corpus.rs"]
mod similar_corpus;

use common::{As, TestHub, header, messages};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::event_log_service_client::EventLogServiceClient;
use ecenter_proto::v1::similar_case_service_client::SimilarCaseServiceClient;
use hdrhistogram::Histogram;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const COURT: &str = "urn:ecenter:court:bench";
const LAWYER: &str = "urn:ecenter:lawyer:14201202010000001";
const CLERK: &str = "urn:ecenter:clerk:c1";

fn docx_with(text: &str) -> Vec<u8> {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{escaped}</w:t></w:r></w:p></w:body></w:document>"#
    );
    common::docx_of(body.as_bytes())
}

/// Builds the hub's index in `data/similar` before the hub opens it, as an import would.
fn build_index(data: &std::path::Path, docs: &[ecenter_similar::index::CaseDoc]) {
    let index = ecenter_similar::index::CaseIndex::open(Some(&data.join("similar")), &[]).unwrap();
    for chunk in docs.chunks(5_000) {
        index.add(chunk).unwrap();
    }
    index.optimize().unwrap();
}

/// Files, reviews and dockets one complaint holding `facts` in case number `n`; returns its id.
async fn docket(addr: std::net::SocketAddr, facts: &str, n: usize) -> String {
    let mut lawyer = common::client(addr, LAWYER).await;
    let mut court = common::client(addr, COURT).await;
    let doc = docx_with(facts);
    let h = header(
        &format!("bench-push-{n:06}"),
        "",
        "起诉状",
        &[("起诉状.docx", &doc)],
    );
    let filing_id = lawyer
        .submit_filing(tokio_stream::iter(messages(h, &[&doc], 64 * 1024)))
        .await
        .unwrap()
        .into_inner()
        .receipt
        .unwrap()
        .filing_id;
    let id = || filing_id.clone();
    court
        .start_review(pb::StartReviewRequest { filing_id: id() })
        .await
        .unwrap();
    let accept = pb::DocumentDecision {
        document_id: "D1".into(),
        decision: pb::ReviewDecision::Accept as i32,
        reason: String::new(),
    };
    court
        .review_filing(pb::ReviewFilingRequest {
            filing_id: id(),
            decisions: vec![accept],
            comment: String::new(),
        })
        .await
        .unwrap();
    court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: id(),
            case_number: case_number(n),
        })
        .await
        .unwrap();
    filing_id
}

fn case_number(n: usize) -> String {
    format!("（2026）鄂06刑初{}号", 1000 + n)
}

type Similar = SimilarCaseServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, As>,
>;

/// Waits until case `n` has its push listed; false when none comes (no similar case found).
async fn pushed(similar: &mut Similar, n: usize) -> bool {
    let give_up = Instant::now() + Duration::from_secs(30);
    while Instant::now() < give_up {
        let r = similar
            .list_pushed_cases(pb::ListPushedCasesRequest {
                case_number: case_number(n),
                ..Default::default()
            })
            .await;
        if r.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    false
}

fn micros(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1_000_000 + i64::from(t.nanos) / 1_000
}

/// Each push's latency (µs) from the docketing entry it answers, read from the log.
async fn push_latencies(addr: std::net::SocketAddr) -> Histogram<u64> {
    let channel = common::channel(addr).await;
    let mut log = EventLogServiceClient::with_interceptor(channel, As::new(CLERK));
    let mut at: HashMap<u64, i64> = HashMap::new();
    let mut h = Histogram::<u64>::new(3).unwrap();
    let mut after = 0;
    loop {
        let page = log
            .list_entries(pb::ListEntriesRequest {
                after_seq: after,
                page_size: 1000,
            })
            .await
            .unwrap()
            .into_inner();
        for e in &page.entries {
            let t = micros(e.recorded_at.as_ref().unwrap());
            if e.kind == "docketed" {
                at.insert(e.seq, t);
            } else if e.kind == "similar_cases_pushed" {
                let body: serde_json::Value = serde_json::from_str(&e.detail_json).unwrap();
                let docketed = body["event"]["docketed_seq"].as_u64().unwrap();
                h.record((t - at[&docketed]).max(1) as u64).unwrap();
            }
        }
        if page.next_after_seq == 0 {
            return h;
        }
        after = page.next_after_seq;
    }
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((full, total, data)) = similar_corpus::bench_setup() else {
        return;
    };
    let corpus = similar_corpus::load_corpus(&data);
    let docs = similar_corpus::synthetic_docs(&corpus, total);
    let dir = tempfile::Builder::new()
        .prefix(".bench-push-")
        .tempdir_in(".")
        .unwrap();
    let t = Instant::now();
    build_index(dir.path(), &docs);
    drop(docs);
    let built = t.elapsed().as_secs_f64();
    let hub = TestHub::start(dir.path()).await;
    let channel = common::channel(hub.addr).await;
    let mut similar = SimilarCaseServiceClient::with_interceptor(channel, As::new(COURT));
    let rounds = if full { corpus.queries.len() } else { 5 };
    let mut bare = Histogram::<u64>::new(3).unwrap();
    let mut missing = 0;
    for (n, facts) in corpus.queries.iter().take(rounds).enumerate() {
        let filing_id = docket(hub.addr, facts, n).await;
        if !pushed(&mut similar, n).await {
            missing += 1;
            continue;
        }
        let t = Instant::now();
        similar
            .find_similar(pb::FindSimilarRequest {
                query: Some(pb::find_similar_request::Query::FilingId(filing_id)),
                top_k: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        bare.record(t.elapsed().as_micros().max(1) as u64).unwrap();
    }
    let push = push_latencies(hub.addr).await;
    hub.stop().await;
    report(total, built, rounds, missing, &push, &bare);
}

fn report(
    total: usize,
    built: f64,
    rounds: usize,
    missing: usize,
    push: &Histogram<u64>,
    bare: &Histogram<u64>,
) {
    println!(
        "\n### 类案推送 latency, {total} indexed judgments (index built in {built:.0} s), {rounds} dockets, {missing} without a push\n"
    );
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!(
        "| push: docketing entry → similar_cases_pushed entry, p50 / p99 / max | {:.2} / {:.2} / {:.2} ms | p99 ≤ 50 ms |",
        ms(push, 0.5),
        ms(push, 0.99),
        ms(push, 1.0)
    );
    println!(
        "| bare FindSimilar of the same filing (gRPC), p50 / p99 | {:.2} / {:.2} ms | |",
        ms(bare, 0.5),
        ms(bare, 0.99)
    );
    println!(
        "| ratio push / FindSimilar, p50 / p99 | {:.2} / {:.2} | |",
        ms(push, 0.5) / ms(bare, 0.5).max(0.001),
        ms(push, 0.99) / ms(bare, 0.99).max(0.001)
    );
}
