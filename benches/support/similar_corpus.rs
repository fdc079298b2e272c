//! The corpus the similar-case benchmarks index and query (`benches/similar.rs`, `benches/push.rs`):
//! real judgments, their sentences and the LeCaRD queries, read from ../shared/data by path (never
//! copied), and synthetic judgments that recombine them.

#![allow(dead_code)] // each benchmark reads the parts it needs

use ecenter_similar::index::CaseDoc;

fn jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (../shared/data beside the project, or set ECENTER_SHARED_DATA)",
                path.display()
            )
        })
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The real judgments (charges and text), a pool of their sentences, the LeCaRD queries, and
/// every charge they name: the corpus the synthetic judgments are built from.
pub struct Corpus {
    pub real: Vec<(Vec<String>, String)>,
    pub sentences: Vec<String>,
    pub queries: Vec<String>,
    /// Civil queries: the first 100 distinct "A" texts of CAIL2019-SCM (private lending), which
    /// take the civil path (elements read from the query and each candidate's fast field).
    pub civil_queries: Vec<String>,
    pub charges: Vec<String>,
}

/// Reads the real judgments with their charges, their sentences and the queries from `data`
/// (../shared/data), before anything is measured.
pub fn load_corpus(data: &std::path::Path) -> Corpus {
    // Real judgments with their charges, and a pool of real sentences.
    let real: Vec<(Vec<String>, String)> = jsonl(&data.join("lecard/candidates.jsonl"))
        .into_iter()
        .map(|v| {
            let charges = v["charges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            (charges, v["text"].as_str().unwrap().to_string())
        })
        .collect();
    let sentences: Vec<String> = jsonl(&data.join("lecardv2/judgments.jsonl"))
        .iter()
        .flat_map(|v| {
            v["fact"]
                .as_str()
                .unwrap_or_default()
                .split('。')
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .chain(
            real.iter()
                .flat_map(|(_, t)| t.split('。').map(str::to_string).collect::<Vec<_>>()),
        )
        .filter(|s| s.chars().count() > 10)
        .collect();
    let queries: Vec<String> = jsonl(&data.join("lecard/queries.jsonl"))
        .iter()
        .map(|v| v["text"].as_str().unwrap().to_string())
        .collect();
    let mut civil_queries: Vec<String> = Vec::new();
    for v in jsonl(&data.join("cail2019-scm/triplets.jsonl")) {
        let a = v["A"].as_str().unwrap().to_string();
        if civil_queries.len() < 100 && !civil_queries.contains(&a) {
            civil_queries.push(a);
        }
    }
    let mut charges: Vec<String> = real.iter().flat_map(|(c, _)| c.clone()).collect();
    charges.sort();
    charges.dedup();
    Corpus {
        real,
        sentences,
        queries,
        civil_queries,
        charges,
    }
}

/// `total` synthetic judgments: each a real judgment (keeping its charges) with four real
/// sentences appended, chosen by a fixed xorshift so every run indexes the same texts.
pub fn synthetic_docs(corpus: &Corpus, total: usize) -> Vec<CaseDoc> {
    let (real, sentences) = (&corpus.real, &corpus.sentences);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..total)
        .map(|i| {
            let (c, base) = &real[i % real.len()];
            let mut text = base.clone();
            for _ in 0..4 {
                text.push_str(&sentences[(next() % sentences.len() as u64) as usize]);
                text.push('。');
            }
            CaseDoc {
                id: format!("s{i}"),
                case_number: format!("（{}）鄂{:02}刑初{}号", 2015 + i % 11, 1 + i % 17, i),
                court: format!("鄂{:02}", 1 + i % 17),
                year: Some(2015 + (i % 11) as u32),
                procedure: "first_instance".into(),
                charges: c.clone(),
                full_text: text.clone(),
                text,
                ..Default::default()
            }
        })
        .collect()
}

/// How a similar-case benchmark was started: `None` for a test lister (`--list`); else whether it
/// is the full run (`cargo bench` passes `--bench`), how many judgments to index
/// (ECENTER_BENCH_DOCS, default 100,000 in full, 2,000 otherwise) and where the data is
/// (ECENTER_SHARED_DATA, default ../shared/data).
pub fn bench_setup() -> Option<(bool, usize, std::path::PathBuf)> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return None;
    }
    let full = args.iter().any(|a| a == "--bench");
    let total: usize = std::env::var("ECENTER_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 100_000 } else { 2_000 });
    let data = std::env::var("ECENTER_SHARED_DATA").map_or_else(
        |_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data").into(),
        std::path::PathBuf::from,
    );
    Some((full, total, data))
}
