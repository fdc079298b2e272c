//! Outcome extraction measured against sentences labelled by hand in 87 real judgments
//! (`tests/data/lecardv2_outcomes.json`, see its README; the texts are read from
//! `../shared/data/lecardv2` and never copied). Precision and recall per field and role, printed as
//! the table in docs/SIMILAR.md:
//!
//!     cargo test -p ecenter-similar --test outcomes -- --nocapture

use ecenter_similar::outcome::{Confiscation, Deprivation, Role, Sentence, sentences};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

fn shared_data() -> PathBuf {
    std::env::var_os("ECENTER_SHARED_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    )
}

/// One checkable fact: (role class, defendant, charge, field) → value.
type Fact = (String, String, String, String, String);

/// Judgments and the Original decisions they quote are the outcome; the other roles stay apart.
fn role_class(role: &str) -> &'static str {
    match role {
        "judgment" | "original" => "outcome",
        "prior" => "prior",
        _ => "recommended",
    }
}

fn push(facts: &mut BTreeSet<Fact>, key: (&str, &str, &str), field: &str, value: Option<String>) {
    if let Some(v) = value {
        facts.insert((
            key.0.to_string(),
            key.1.to_string(),
            key.2.to_string(),
            field.to_string(),
            v,
        ));
    }
}

fn range_text(low: Option<u64>, high: Option<u64>) -> String {
    format!(
        "{}–{}",
        low.map_or("-".into(), |v| v.to_string()),
        high.map_or("-".into(), |v| v.to_string())
    )
}

fn labelled(s: &Value) -> BTreeSet<Fact> {
    let mut facts = BTreeSet::new();
    let key = (
        role_class(s["role"].as_str().unwrap()),
        s["defendant"].as_str().unwrap_or(""),
        s["charge"].as_str().unwrap_or("（决定执行）"),
    );
    let num = |v: &Value| {
        v.as_u64()
            .map(|n| n.to_string())
            .or_else(|| v.as_str().map(str::to_string))
    };
    push(
        &mut facts,
        key,
        "principal",
        s["principal"].as_str().map(str::to_string),
    );
    let term = num(&s["months"]).or_else(|| {
        s["range"]
            .as_array()
            .map(|r| range_text(r[0].as_u64(), r[1].as_u64()))
    });
    push(&mut facts, key, "term", term);
    push(&mut facts, key, "suspension", num(&s["suspension_months"]));
    push(&mut facts, key, "fine", num(&s["fine_yuan"]));
    push(
        &mut facts,
        key,
        "confiscation",
        num(&s["confiscation_yuan"]),
    );
    push(
        &mut facts,
        key,
        "deprivation",
        num(&s["deprivation_months"]),
    );
    facts
}

fn extracted(s: &Sentence) -> BTreeSet<Fact> {
    let mut facts = BTreeSet::new();
    let role = match s.role {
        Role::Judgment => "judgment",
        Role::Original => "original",
        Role::Prior => "prior",
        Role::Recommended => "recommended",
    };
    let key = (
        role_class(role),
        s.defendant.as_deref().unwrap_or(""),
        s.charge.as_deref().unwrap_or("（决定执行）"),
    );
    let p = &s.punishment;
    push(
        &mut facts,
        key,
        "principal",
        p.principal.map(|k| k.name().to_string()),
    );
    let term = p.months.map(|m| m.to_string()).or_else(|| {
        p.range
            .map(|(l, h)| range_text(l.map(u64::from), h.map(u64::from)))
    });
    push(&mut facts, key, "term", term);
    push(
        &mut facts,
        key,
        "suspension",
        p.suspension_months.map(|m| m.to_string()),
    );
    push(&mut facts, key, "fine", p.fine_yuan.map(|m| m.to_string()));
    let confiscation = p.confiscation.map(|c| match c {
        Confiscation::All => "all".to_string(),
        Confiscation::Yuan(y) => y.to_string(),
    });
    push(&mut facts, key, "confiscation", confiscation);
    let deprivation = p.deprivation.map(|d| match d {
        Deprivation::Life => "life".to_string(),
        Deprivation::Months(m) => m.to_string(),
    });
    push(&mut facts, key, "deprivation", deprivation);
    facts
}

#[derive(Default)]
struct Count {
    found: usize,
    labelled: usize,
    right: usize,
}

fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.2}", a as f64 / b as f64)
    }
}

#[test]
fn sentences_are_read_as_the_labels_say() {
    let data = shared_data().join("lecardv2/judgments.jsonl");
    let texts: HashMap<u64, String> = std::fs::read_to_string(&data)
        .unwrap_or_else(|e| panic!("{}: {e} (or set ECENTER_SHARED_DATA)", data.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_u64().unwrap(),
                v["query"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let labels: Vec<Value> =
        serde_json::from_str(include_str!("data/lecardv2_outcomes.json")).unwrap();
    assert!(labels.len() >= 60, "at least 60 judgments are labelled");
    let mut counts: BTreeMap<(String, String), Count> = BTreeMap::new();
    let mut misses = Vec::new();
    for judgment in &labels {
        let id = judgment["id"].as_u64().unwrap();
        let want: BTreeSet<Fact> = judgment["sentences"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(labelled)
            .collect();
        let got: BTreeSet<Fact> = sentences(&texts[&id]).iter().flat_map(extracted).collect();
        for f in &got {
            let c = counts.entry((f.0.clone(), f.3.clone())).or_default();
            c.found += 1;
            c.right += usize::from(want.contains(f));
        }
        for f in &want {
            counts
                .entry((f.0.clone(), f.3.clone()))
                .or_default()
                .labelled += 1;
            if !got.contains(f) {
                misses.push(format!("{id}: missed {f:?}"));
            }
        }
        misses.extend(got.difference(&want).map(|f| format!("{id}: wrong {f:?}")));
    }
    println!("| role | field | labelled | found | right | precision | recall |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for ((role, field), c) in &counts {
        println!(
            "| {role} | {field} | {} | {} | {} | {} | {} |",
            c.labelled,
            c.found,
            c.right,
            ratio(c.right, c.found),
            ratio(c.right, c.labelled)
        );
    }
    for m in &misses {
        println!("{m}");
    }
    let outcome = |field: &str| &counts[&("outcome".to_string(), field.to_string())];
    for field in ["principal", "term", "fine"] {
        let c = outcome(field);
        let (p, r) = (
            c.right as f64 / c.found as f64,
            c.right as f64 / c.labelled as f64,
        );
        assert!(
            p >= 0.9 && r >= 0.9,
            "outcome {field}: precision {p:.2}, recall {r:.2}"
        );
    }
}
