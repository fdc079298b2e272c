//! `ecenter-similar import` and `query` as programs, on the real judgments beside the project.

use std::process::Command;

#[path = "common/judgments.rs"]
mod shared;
use shared::lecard_judgments as judgments;

fn similar(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ecenter-similar"))
        .args(args)
        .output()
        .unwrap()
}

fn query_json(index: &str, text: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["query", "--index", index, "--json", "--text", text];
    args.extend_from_slice(extra);
    let out = similar(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Checks that a theft judgment finds hits sharing its charge and statutes under a charge filter.
fn a_charge_filter_holds_and_hits_say_what_they_share(index: &str, rows: &[serde_json::Value]) {
    let full = rows
        .iter()
        .find(|r| r["query"].as_str().unwrap().contains("犯盗窃罪"))
        .expect("a theft judgment");
    let text: String = full["query"].as_str().unwrap().chars().take(4000).collect();
    let hits = query_json(index, &text, &["--charge", "盗窃罪", "--top", "5"]);
    assert!(!hits.is_empty());
    for h in &hits {
        let shared: Vec<&str> = h["shared_charges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(shared.contains(&"盗窃罪"), "{h}");
    }
    assert!(
        !hits[0]["shared_statutes"].as_array().unwrap().is_empty(),
        "{}",
        hits[0]
    );
}

/// Checks that each kind of bad query input gets a reason and a non-zero exit.
fn bad_queries_get_a_reason_and_a_non_zero_exit(index: &str) {
    for (args, needle) in [
        (vec!["query", "--index", index, "--text", " "], "empty"),
        (
            vec![
                "query",
                "--index",
                index,
                "--text",
                "盗窃",
                "--charge",
                "不存在罪",
            ],
            "unknown charge",
        ),
        (
            vec!["query", "--index", index, "--text", "盗窃", "--top", "0"],
            "--top",
        ),
        (
            vec!["query", "--index", "/nonexistent-index", "--text", "盗窃"],
            "not an index",
        ),
        (
            vec![
                "query", "--index", index, "--text", "盗窃", "--court", "沪02",
            ],
            "unknown court 「沪02」",
        ),
        (
            vec![
                "query",
                "--index",
                index,
                "--text",
                "盗窃",
                "--procedure",
                "appeal",
            ],
            "unknown procedure 「appeal」",
        ),
        (
            vec![
                "query",
                "--index",
                index,
                "--text",
                "盗窃",
                "--year-from",
                "2024",
                "--year-to",
                "2020",
            ],
            "2024–2020",
        ),
    ] {
        let out = similar(&args);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn imported_judgments_are_found_by_their_facts_with_reasons_and_filters() {
    let (path, rows) = judgments();
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let index = index.to_str().unwrap();
    let out = similar(&["import", &path, "--index", index]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 160 judgments"));

    // A judgment's own facts find it first, in a fresh process each time (the index is on disk).
    for row in rows.iter().step_by(40) {
        let facts = row["fact"].as_str().unwrap();
        let facts: String = facts.chars().take(1500).collect();
        let hits = query_json(index, &facts, &["--top", "3"]);
        assert_eq!(
            hits[0]["id"],
            row["id"].to_string().trim_matches('"'),
            "facts of {}",
            row["id"]
        );
    }
    // A full judgment names its charge and statutes: the hits say what they share, and a charge filter holds.
    a_charge_filter_holds_and_hits_say_what_they_share(index, &rows);

    // Bad input gets a reason and a non-zero exit.
    bad_queries_get_a_reason_and_a_non_zero_exit(index);
    let huge = "盗".repeat(20_001);
    let out = similar(&["query", "--index", index, "--text", &huge]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("at most 20000")
    );
}

/// A judgment's date and a civil judgment's claim and award come out of `query --json`; a date
/// that is not one stops the import at its line.
#[test]
fn imported_dates_and_civil_outcomes_are_shown_and_a_bad_date_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let index = index.to_str().unwrap();
    let good = serde_json::json!({
        "id": "C1", "judgment_date": "2021-07-09", "charges": ["民间借贷纠纷"],
        "fact": "原告诉讼请求：1、判令被告偿还借款本金80000元及利息（按月利率2%计算）；2、诉讼费由被告负担。\
                 事实和理由：被告向原告借款80000元，出具借条，到期未还。",
        "full_text": "原告诉讼请求：1、判令被告偿还借款本金80000元及利息（按月利率2%计算）。本院认为，借贷关系\
                      合法有效。判决如下：一、被告于本判决生效之日起十日内偿还原告借款本金80000元及利息（以\
                      80000元为基数，按一年期贷款市场报价利率的四倍计算）；二、驳回原告的其他诉讼请求。\
                      案件受理费1800元，由被告负担。",
    });
    let bad =
        serde_json::json!({"id": "C2", "judgment_date": "2021-02-30", "fact": "被告借款未还。"});
    let file = dir.path().join("civil.jsonl");
    std::fs::write(&file, format!("{good}\n{bad}\n")).unwrap();
    let out = similar(&["import", file.to_str().unwrap(), "--index", index]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("civil.jsonl:2") && err.contains("judgment_date"),
        "{err}"
    );

    std::fs::write(&file, format!("{good}\n")).unwrap();
    let out = similar(&["import", file.to_str().unwrap(), "--index", index]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hits = query_json(
        index,
        "被告向原告借款，出具借条，到期未还。",
        &["--top", "1"],
    );
    assert_eq!(hits[0]["judgment_date"], "2021-07-09");
    let civil = &hits[0]["civil_outcome"];
    assert_eq!(civil["claimed"]["principal_yuan"], 80000.0);
    assert_eq!(civil["claimed"]["rate"]["per"], "month");
    assert_eq!(civil["awarded"]["principal_yuan"], 80000.0);
    assert_eq!(civil["awarded"]["rate"]["kind"], "lpr");
    assert_eq!(civil["awarded"]["rate"]["times"], 4.0);
}
