//! The evaluation harness as a program, on the public benchmarks beside the project.

use std::process::Command;

fn field(line: &str, name: &str) -> f64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in {line}"))
        .parse()
        .unwrap()
}

#[test]
fn eval_prints_one_line_per_benchmark_and_fusion_beats_bm25_and_the_strongest_simple_method() {
    // The public benchmarks lie beside the project (never copied into it); ECENTER_SHARED_DATA names another place.
    let shared = std::env::var("ECENTER_SHARED_DATA").unwrap_or_else(|_| {
        format!(
            "{}/../shared/data",
            std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
        )
    });
    assert!(
        std::path::Path::new(&shared).join("lecard").is_dir(),
        "benchmark data expected at {shared} (../shared/data beside the project, or set ECENTER_SHARED_DATA)"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ecenter-similar"))
        .args(["eval", "--ablation", "--lecard"])
        .arg(format!("{shared}/lecard"))
        .arg("--scm")
        .arg(format!("{shared}/cail2019-scm/triplets.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    let fused = lines
        .iter()
        .find(|l| l.starts_with("lecard queries=72 "))
        .expect("the lecard line");
    let bm25 = lines
        .iter()
        .find(|l| l.starts_with("bm25-words: lecard"))
        .expect("the ablation line");
    for metric in ["NDCG@10", "NDCG@30", "MAP"] {
        assert!(
            field(fused, metric) > field(bm25, metric) + 0.05,
            "{metric}: {fused} vs {bm25}"
        );
    }
    // The target: above the strongest simple method of ../shared/data/README.md (shared
    // charges first, then BM25) on NDCG@10, NDCG@30 and MAP together.
    for (metric, strongest_simple) in [("NDCG@10", 0.877), ("NDCG@30", 0.947), ("MAP", 0.625)] {
        assert!(
            field(fused, metric) > strongest_simple,
            "{metric}: {fused} vs {strongest_simple}"
        );
    }
    let scm = lines
        .iter()
        .find(|l| l.starts_with("cail2019-scm triplets=334 "))
        .expect("the cail line");
    assert!(
        field(scm, "accuracy") > 0.635,
        "above TF-IDF cosine on the same split: {scm}"
    );
}

#[test]
fn eval_without_data_exits_non_zero_with_a_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_ecenter-similar"))
        .args(["eval"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--lecard"));
    let out = Command::new(env!("CARGO_BIN_EXE_ecenter-similar"))
        .args(["eval", "--lecard", "/nonexistent"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/queries.jsonl"));
}
