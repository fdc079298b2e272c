//! PDF text against pdftotext (poppler), the reader courts' tools are built on: character
//! agreement on a corpus of Chinese judgments (LeCaRD candidates from ../shared/data, read by
//! path) typeset in the font kinds typesetting systems use without a ToUnicode map — GBK-EUC-H,
//! GBK2K-H, UniGB-UTF16-H, Identity-H over Adobe-GB1, and reportlab's UniGB-UCS2-H — by
//! tests/python/cjk_pdfs.py. Agreement is 1 − (edit distance / longer length) over the text with
//! whitespace removed, raw and after NFKC (pdftotext writes GBK-EUC-H's one-byte digits as
//! full-width ones and vertical CMaps' punctuation as vertical forms; NFKC folds both).
//! Run: `cargo bench --bench text_agreement` (ECENTER_BENCH_DOCS changes the count, 200 by
//! default; ECENTER_SHARED_DATA the data location).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use unicode_normalization::UnicodeNormalization;

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn agreement(a: &str, b: &str) -> f64 {
    let longer = a.chars().count().max(b.chars().count()).max(1);
    1.0 - strsim::levenshtein(a, b) as f64 / longer as f64
}

fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[derive(Default)]
struct Tally {
    documents: usize,
    ours_vs_written: f64,
    ours_vs_poppler_raw: f64,
    ours_vs_poppler_nfkc: f64,
    poppler_vs_written_nfkc: f64,
    exact_nfkc: usize,
}

fn main() {
    let data = std::env::var("ECENTER_SHARED_DATA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data").into());
    let count: usize = std::env::var("ECENTER_BENCH_DOCS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/cjk_pdfs.py"
        ))
        .arg("--corpus")
        .arg(dir.path())
        .arg(count.to_string())
        .arg(Path::new(&data).join("lecard/candidates.jsonl"))
        .status()
        .unwrap();
    assert!(status.success(), "cjk_pdfs.py --corpus failed");
    let mut kinds: BTreeMap<String, Tally> = BTreeMap::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    paths.sort();
    for path in paths {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let kind = stem.split_once('_').map_or("?", |(_, k)| k).to_string();
        let written = squeeze(&std::fs::read_to_string(path.with_extension("txt")).unwrap());
        let bytes = std::fs::read(&path).unwrap();
        let ours = squeeze(&ecenter_extract::text_of("application/pdf", &bytes, 1 << 20).unwrap());
        let poppler = squeeze(&pdftotext(&path));
        let nfkc = |s: &str| s.nfkc().collect::<String>();
        let t = kinds.entry(kind).or_default();
        t.documents += 1;
        t.ours_vs_written += agreement(&ours, &written);
        t.ours_vs_poppler_raw += agreement(&ours, &poppler);
        t.ours_vs_poppler_nfkc += agreement(&nfkc(&ours), &nfkc(&poppler));
        t.poppler_vs_written_nfkc += agreement(&nfkc(&poppler), &nfkc(&written));
        t.exact_nfkc += usize::from(nfkc(&ours) == nfkc(&poppler));
    }
    println!(
        "| font kind | documents | ours vs written | ours vs pdftotext (raw) | ours vs pdftotext (NFKC) | pdftotext vs written (NFKC) | identical to pdftotext (NFKC) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (kind, t) in &kinds {
        let n = t.documents as f64;
        println!(
            "| {kind} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {}/{} |",
            t.documents,
            t.ours_vs_written / n,
            t.ours_vs_poppler_raw / n,
            t.ours_vs_poppler_nfkc / n,
            t.poppler_vs_written_nfkc / n,
            t.exact_nfkc,
            t.documents
        );
    }
}
