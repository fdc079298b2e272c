//! The evaluation harness on the public benchmarks, read from where they lie (never copied into the
//! project): LeCaRD-style graded pools and CAIL2019-SCM triplets.

use crate::index::{CaseDoc, CaseIndex, IndexError, Weights, coverage, fuse};
use crate::metrics::{Labels, LecardMetrics, evaluate};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file is missing or malformed.
    #[error("{path}: {message}")]
    Data {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
}

#[derive(Deserialize)]
struct LecardCase {
    #[serde(deserialize_with = "id_string")]
    id: String,
    #[serde(default)]
    charges: Vec<String>,
    text: String,
}

fn id_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

fn read(path: &Path) -> Result<String, EvalError> {
    std::fs::read_to_string(path).map_err(|e| EvalError::Data {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, EvalError> {
    read(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| EvalError::Data {
                path: format!("{}:{}", path.display(), i + 1),
                message: e.to_string(),
            })
        })
        .collect()
}

/// LeCaRD data loaded once, evaluated under several weightings.
pub struct Lecard {
    queries: Vec<LecardCase>,
    candidates: HashMap<String, Vec<String>>,
    labels: Labels,
    index: CaseIndex,
}

impl Lecard {
    /// Loads `dir` (queries.jsonl, candidates.jsonl, labels.json) and indexes the candidates.
    pub fn load(dir: &Path) -> Result<Lecard, EvalError> {
        let queries: Vec<LecardCase> = jsonl(&dir.join("queries.jsonl"))?;
        let candidates: Vec<LecardCase> = jsonl(&dir.join("candidates.jsonl"))?;
        let labels: Labels =
            serde_json::from_str(&read(&dir.join("labels.json"))?).map_err(|e| {
                EvalError::Data {
                    path: dir.join("labels.json").display().to_string(),
                    message: e.to_string(),
                }
            })?;
        // Charges are learned from the cases themselves: no word list is copied into the project.
        let mut charges: Vec<String> = candidates
            .iter()
            .chain(&queries)
            .flat_map(|c| c.charges.clone())
            .collect();
        charges.sort();
        charges.dedup();
        let index = CaseIndex::open(None, &charges)?;
        let docs: Vec<CaseDoc> = candidates
            .iter()
            .map(|c| CaseDoc {
                id: c.id.clone(),
                charges: c.charges.clone(),
                text: c.text.clone(),
                statutes: Vec::new(),
                ..Default::default()
            })
            .collect();
        index.add(&docs)?;
        Ok(Lecard {
            candidates: candidates.into_iter().map(|c| (c.id, c.charges)).collect(),
            queries,
            labels,
            index,
        })
    }

    /// Ranks every query's labelled pool with `weights` and scores the rankings.
    pub fn run(&self, weights: &Weights) -> Result<LecardMetrics, EvalError> {
        let mut rankings = HashMap::new();
        for q in &self.queries {
            let Some(pool) = self.labels.get(&q.id) else {
                continue;
            };
            let mut ids: Vec<String> = pool.keys().cloned().collect();
            ids.sort();
            let scores = self.index.pool_scores(&q.text, &ids, weights)?;
            let best = scores.values().copied().fold(0.0f32, f32::max);
            let none = Vec::new();
            let mut ranked: Vec<(f32, String)> = ids
                .into_iter()
                .map(|id| {
                    let charges = self.candidates.get(&id).unwrap_or(&none);
                    (
                        fuse(
                            scores[&id],
                            best,
                            coverage(&q.charges, charges),
                            0.0,
                            weights,
                        ),
                        id,
                    )
                })
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            rankings.insert(q.id.clone(), ranked.into_iter().map(|(_, id)| id).collect());
        }
        Ok(evaluate(&rankings, &self.labels))
    }
}

#[derive(Deserialize)]
struct Triplet {
    #[serde(rename = "A")]
    a: String,
    #[serde(rename = "B")]
    b: String,
    #[serde(rename = "C")]
    c: String,
    label: String,
}

/// CAIL2019-SCM accuracy: is B or C closer to A?
pub fn cail(path: &Path, weights: &Weights) -> Result<(usize, f64), EvalError> {
    let triplets: Vec<Triplet> = jsonl(path)?;
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut docs = Vec::new();
    for t in &triplets {
        for text in [&t.a, &t.b, &t.c] {
            if !ids.contains_key(text) {
                let id = format!("d{}", ids.len());
                ids.insert(text.clone(), id.clone());
                docs.push(CaseDoc {
                    id,
                    charges: Vec::new(),
                    text: text.clone(),
                    statutes: Vec::new(),
                    ..Default::default()
                });
            }
        }
    }
    let index = CaseIndex::open(None, &[])?;
    index.add(&docs)?;
    let mut right = 0;
    for t in &triplets {
        let (b, c) = (ids[&t.b].clone(), ids[&t.c].clone());
        let scores = index.pool_scores(&t.a, &[b.clone(), c.clone()], weights)?;
        let guess = if scores[&b] >= scores[&c] { "B" } else { "C" };
        right += usize::from(guess == t.label);
    }
    Ok((triplets.len(), right as f64 / triplets.len().max(1) as f64))
}
