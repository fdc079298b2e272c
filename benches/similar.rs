//! Similar-case index speed: indexing 100,000 synthetic-plus-real judgments, and top-10 queries with
//! explanations on one core, as a ratio to the bare tantivy BM25 query on the same index, same run.
//!
//! Synthetic judgments recombine sentences of the real texts in ../shared/data (read by path, never
//! copied), each keeping the charges of the real judgment it is based on. Run: `cargo bench --bench
//! similar` (ECENTER_BENCH_DOCS changes the count; ECENTER_SHARED_DATA the data location).

#[path = "support/similar_corpus.rs"]
mod similar_corpus;

use ecenter_similar::index::{CaseIndex, Filter, QUERY_TERMS_PER_FIELD, SearchRequest, Weights};
use hdrhistogram::Histogram;
use similar_corpus::{load_corpus, synthetic_docs};
use std::time::Instant;

/// Latencies (µs) of the hub's similar-case query — legal features, then top-10 with
/// explanations — over every query, `rounds` times.
fn query_latencies(
    index: &CaseIndex,
    queries: &[String],
    w: &Weights,
    rounds: usize,
) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new(3).unwrap();
    for _ in 0..rounds {
        for q in queries {
            let t = Instant::now();
            let (charges, statutes) = index.legal_features(q);
            let hits = index
                .search(
                    &SearchRequest {
                        text: q,
                        charges: &charges,
                        statutes: &statutes,
                        filter: &Filter::default(),
                        k: 10,
                        exclude: None,
                    },
                    w,
                )
                .unwrap();
            h.record(t.elapsed().as_micros() as u64).unwrap();
            assert_eq!(hits.len(), 10);
        }
    }
    h
}

/// Latencies (µs) of the bare tantivy BM25 top-10 over every query, `rounds` times: with the
/// whole query, and with only its most informative terms per field.
fn bare_latencies(
    index: &CaseIndex,
    queries: &[String],
    w: &Weights,
    rounds: usize,
) -> (Histogram<u64>, Histogram<u64>) {
    let mut bare = Histogram::<u64>::new(3).unwrap();
    let mut bare_reduced = Histogram::<u64>::new(3).unwrap();
    for _ in 0..rounds {
        for q in queries {
            let t = Instant::now();
            index.bare_search(q, 10, w, None).unwrap();
            bare.record(t.elapsed().as_micros() as u64).unwrap();
            let t = Instant::now();
            index
                .bare_search(q, 10, w, Some(QUERY_TERMS_PER_FIELD))
                .unwrap();
            bare_reduced.record(t.elapsed().as_micros() as u64).unwrap();
        }
    }
    (bare, bare_reduced)
}

/// What the run measured, for the report.
struct Measured {
    total: usize,
    chars: usize,
    rate: f64,
    secs: f64,
    segments: usize,
    merge_secs: f64,
    unmerged: Histogram<u64>,
    merged: Histogram<u64>,
    civil: Histogram<u64>,
    bare: Histogram<u64>,
    bare_reduced: Histogram<u64>,
}

/// Milliseconds at quantile `q` of a histogram of microseconds.
fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// Prints the similar-case index's figures as a Markdown table, against the targets.
fn report(m: &Measured) {
    let Measured {
        total,
        chars,
        rate,
        secs,
        segments,
        merge_secs,
        ref unmerged,
        ref merged,
        ref civil,
        ref bare,
        ref bare_reduced,
    } = *m;
    println!(
        "## Similar-case index: {total} judgments ({:.0} characters each on average), one core\n",
        chars as f64 / total as f64
    );
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!(
        "| indexing (jieba + bigrams, one writer thread) | {rate:.0} docs/s ({secs:.1} s) | ≥ 1,000 docs/s |"
    );
    println!("| merging {segments} segments into one after the import | {merge_secs:.1} s | |");
    let ratio = |h: &Histogram<u64>, q: f64, limit: f64| ms(h, q) / limit;
    for (label, h) in [
        (format!("{segments} segments, as imported"), unmerged),
        ("one segment".to_string(), merged),
        ("one segment, civil queries".to_string(), civil),
    ] {
        println!(
            "| top-10 with explanations, {label}, p50 | {:.2} ms ({:.2} of the limit) | ≤ 5 ms |",
            ms(h, 0.5),
            ratio(h, 0.5, 5.0)
        );
        println!(
            "| top-10 with explanations, {label}, p99 | {:.2} ms ({:.2} of the limit) | ≤ 20 ms |",
            ms(h, 0.99),
            ratio(h, 0.99, 20.0)
        );
    }
    println!(
        "| bare tantivy BM25 top-10, whole query, p50 / p99 | {:.2} / {:.2} ms | |",
        ms(bare, 0.5),
        ms(bare, 0.99)
    );
    println!(
        "| bare tantivy BM25 top-10, the {QUERY_TERMS_PER_FIELD} most informative terms per field, p50 / p99 | {:.2} / {:.2} ms | |",
        ms(bare_reduced, 0.5),
        ms(bare_reduced, 0.99)
    );
    println!(
        "| ratio ours (one segment) / bare whole query, p50 | {:.3} | |",
        ms(merged, 0.5) / ms(bare, 0.5).max(0.001)
    );
    println!(
        "| ratio ours (one segment) / bare informative terms, p50 | {:.2} | |",
        ms(merged, 0.5) / ms(bare_reduced, 0.5).max(0.001)
    );
}

fn main() {
    let Some((full, total, data)) = similar_corpus::bench_setup() else {
        return;
    };

    let corpus = load_corpus(&data);
    let docs = synthetic_docs(&corpus, total);
    let chars: usize = docs.iter().map(|d| d.text.chars().count()).sum();

    let dir = tempfile::Builder::new()
        .prefix(".bench-similar-")
        .tempdir_in(".")
        .unwrap();
    let index = CaseIndex::open(Some(dir.path()), &corpus.charges).unwrap();
    let t = Instant::now();
    for chunk in docs.chunks(5_000) {
        index.add(chunk).unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    let rate = total as f64 / secs;
    let w = Weights::default();
    let rounds = std::env::var("ECENTER_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if full { 5 } else { 1 });
    // As imported (several segments, as a hub has between merges), then merged into one.
    let segments = index.segments();
    let unmerged = query_latencies(&index, &corpus.queries, &w, rounds);
    let t = Instant::now();
    index.optimize().unwrap();
    let merge_secs = t.elapsed().as_secs_f64();
    assert_eq!(index.segments(), 1);
    let merged = query_latencies(&index, &corpus.queries, &w, rounds);
    let civil = query_latencies(&index, &corpus.civil_queries, &w, rounds);
    let (bare, bare_reduced) = bare_latencies(&index, &corpus.queries, &w, rounds);
    report(&Measured {
        total,
        chars,
        rate,
        secs,
        segments,
        merge_secs,
        unmerged,
        merged,
        civil,
        bare,
        bare_reduced,
    });
}
