//! Claim extraction measured against claims labelled by hand in 62 CAIL2019-SCM private-lending
//! texts (`tests/data/cail_scm_claims.json`, see its README; the texts are read from
//! `../shared/data/cail2019-scm` and never copied). Precision and recall per field, printed as the
//! table in docs/SIMILAR.md:
//!
//!     cargo test -p ecenter-similar --test civil_outcomes -- --nocapture

use ecenter_similar::outcome::civil::{Amounts, Period, Rate, civil_outcome};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

fn shared_data() -> PathBuf {
    std::env::var_os("ECENTER_SHARED_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    )
}

/// The texts of triplets.jsonl by (line, key).
fn texts() -> HashMap<(u64, String), String> {
    let path = shared_data().join("cail2019-scm/triplets.jsonl");
    let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = HashMap::new();
    for (i, line) in body.lines().enumerate() {
        let row: Value = serde_json::from_str(line).unwrap();
        for key in ["A", "B", "C"] {
            out.insert(
                (i as u64 + 1, key.to_string()),
                row[key].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

/// The first 16 hex digits of the text's SHA-256, as the labels name it.
fn sha16(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const FIELDS: [&str; 5] = ["principal", "interest", "total", "penalty", "rate"];

/// The labelled value of `field`, as text to compare.
fn labelled(claimed: &Value, field: &str) -> Option<String> {
    if claimed.is_null() {
        return None;
    }
    if field == "rate" {
        let r = &claimed["rate"];
        return match r["kind"].as_str()? {
            "fixed" => Some(format!("{}:{}", r["per"].as_str()?, r["percent"].as_f64()?)),
            kind => Some(format!("{kind}×{}", r["times"].as_f64()?)),
        };
    }
    claimed[format!("{field}_yuan")]
        .as_f64()
        .map(|v| format!("{v:.2}"))
}

/// The extracted value of `field`, as text to compare.
fn found(a: Option<&Amounts>, field: &str) -> Option<String> {
    let a = a?;
    let yuan = |v: Option<f64>| v.map(|v| format!("{v:.2}"));
    match field {
        "principal" => yuan(a.principal_yuan),
        "interest" => yuan(a.interest_yuan),
        "total" => yuan(a.total_yuan),
        "penalty" => yuan(a.penalty_yuan),
        _ => a.rate.map(|r| match r {
            Rate::Fixed { per, percent } => {
                let per = match per {
                    Period::Year => "year",
                    Period::Month => "month",
                    Period::Day => "day",
                };
                format!("{per}:{percent}")
            }
            Rate::Lpr { times } => format!("lpr×{times}"),
            Rate::Benchmark { times } => format!("benchmark×{times}"),
        }),
    }
}

#[derive(Default)]
struct Tally {
    labelled: usize,
    found: usize,
    right: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        if self.found == 0 {
            1.0
        } else {
            self.right as f64 / self.found as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.labelled == 0 {
            1.0
        } else {
            self.right as f64 / self.labelled as f64
        }
    }
}

/// Precision and recall per field of the claims extracted from the texts `labels` name, printed
/// as a table (and each disagreement above it).
fn measure(labels: &str) -> HashMap<&'static str, Tally> {
    let labels: Vec<Value> = serde_json::from_str(labels).unwrap();
    let texts = texts();
    let mut tallies: HashMap<&str, Tally> = HashMap::new();
    for label in &labels {
        let key = (
            label["line"].as_u64().unwrap(),
            label["key"].as_str().unwrap().to_string(),
        );
        let text = &texts[&key];
        assert_eq!(
            sha16(text),
            label["sha256"].as_str().unwrap(),
            "{key:?}: the data changed"
        );
        let outcome = civil_outcome(text);
        for field in FIELDS {
            let want = labelled(&label["claimed"], field);
            let got = found(outcome.claimed.as_ref(), field);
            let t = tallies.entry(field).or_default();
            t.labelled += usize::from(want.is_some());
            t.found += usize::from(got.is_some());
            t.right += usize::from(want.is_some() && want == got);
            if want != got {
                println!("{key:?} {field}: labelled {want:?}, found {got:?}");
            }
        }
    }
    println!(
        "\n{} texts\n| field | labelled | found | right | precision | recall |\n|---|---:|---:|---:|---:|---:|",
        labels.len()
    );
    for field in FIELDS {
        let t = &tallies[field];
        println!(
            "| {field} | {} | {} | {} | {:.2} | {:.2} |",
            t.labelled,
            t.found,
            t.right,
            t.precision(),
            t.recall()
        );
    }
    tallies
}

fn assert_at_least(tallies: &HashMap<&str, Tally>, floor: f64) {
    for field in ["principal", "rate"] {
        let t = &tallies[field];
        assert!(
            t.precision() >= floor && t.recall() >= floor,
            "{field}: precision {:.2}, recall {:.2}",
            t.precision(),
            t.recall()
        );
    }
}

/// The 62 texts the extractor was written against.
#[test]
fn claims_are_read_as_labelled_by_hand() {
    let tallies = measure(include_str!("data/cail_scm_claims.json"));
    assert!(
        tallies["principal"].labelled >= 55,
        "the issue asks for at least 60 texts"
    );
    assert_at_least(&tallies, 0.85);
}

/// 30 more texts, labelled apart and never looked at while the extractor was tuned.
#[test]
fn held_out_claims_are_read_as_labelled_by_hand() {
    let tallies = measure(include_str!("data/cail_scm_claims_heldout.json"));
    assert_at_least(&tallies, 0.8);
}
