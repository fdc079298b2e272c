//! The evaluation harness on the public benchmarks, read from where they lie (never copied into the
//! project): LeCaRD-style graded pools and CAIL2019-SCM triplets.

use crate::civil::{CivilFacts, FEATURES, element_score, pair_features};
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
        self.run_on(weights, |_| true)
    }

    /// The query ids, sorted: the order folds are cut in.
    pub fn query_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.queries.iter().map(|q| q.id.clone()).collect();
        ids.sort();
        ids
    }

    /// Like [`Lecard::run`], on the queries `keep` accepts.
    pub fn run_on(
        &self,
        weights: &Weights,
        keep: impl Fn(&str) -> bool,
    ) -> Result<LecardMetrics, EvalError> {
        let mut rankings = HashMap::new();
        for q in self.queries.iter().filter(|q| keep(&q.id)) {
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

/// One CAIL2019-SCM triplet as the harness sees it: text scores of B and C against A (normalised
/// by the better of the two, as the fusion does), and each side's civil elements.
pub struct ScoredTriplet {
    /// B's and C's text scores over the better one's, in [0, 1].
    pub text: [f32; 2],
    /// A's, B's and C's elements.
    pub facts: [CivilFacts; 3],
    /// Whether B is the closer one.
    pub b_closer: bool,
}

impl ScoredTriplet {
    /// The fused score of B (0) or C (1) against A.
    pub fn fused(&self, side: usize, weights: &Weights) -> f32 {
        self.text[side] + element_score(self.facts[0], self.facts[side + 1], &weights.elements)
    }

    /// Whether `weights` pick the right candidate (ties go to B, as the original harness did).
    pub fn right(&self, weights: &Weights) -> bool {
        (self.fused(0, weights) >= self.fused(1, weights)) == self.b_closer
    }

    /// The features of B over C: text, then each of `civil::pair_features`.
    pub fn difference(&self) -> [f32; 1 + FEATURES] {
        let b = pair_features(self.facts[0], self.facts[1]);
        let c = pair_features(self.facts[0], self.facts[2]);
        let mut d = [0.0; 1 + FEATURES];
        d[0] = self.text[0] - self.text[1];
        for i in 0..FEATURES {
            d[i + 1] = b[i] - c[i];
        }
        d
    }
}

/// CAIL2019-SCM triplets, scored once: the texts of the split are indexed together (so IDF comes
/// from the split itself) and each A queries its own B and C.
pub struct Scm {
    /// The triplets in file order.
    pub triplets: Vec<ScoredTriplet>,
    /// The raw texts (A, B, C) of each triplet, for the simple methods.
    pub texts: Vec<[String; 3]>,
}

impl Scm {
    /// Loads and scores the triplets of `path` with the text weights of `weights`.
    pub fn load(path: &Path, weights: &Weights) -> Result<Scm, EvalError> {
        let raw: Vec<Triplet> = jsonl(path)?;
        let mut ids: HashMap<String, String> = HashMap::new();
        let mut docs = Vec::new();
        for t in &raw {
            for text in [&t.a, &t.b, &t.c] {
                if !ids.contains_key(text) {
                    let id = format!("d{}", ids.len());
                    ids.insert(text.clone(), id.clone());
                    docs.push(CaseDoc {
                        id,
                        text: text.clone(),
                        ..Default::default()
                    });
                }
            }
        }
        let index = CaseIndex::open(None, &[])?;
        index.add(&docs)?;
        let mut triplets = Vec::with_capacity(raw.len());
        for t in &raw {
            let (b, c) = (ids[&t.b].clone(), ids[&t.c].clone());
            let scores = index.pool_scores(&t.a, &[b.clone(), c.clone()], weights)?;
            let best = scores[&b].max(scores[&c]);
            let norm = |s: f32| if best > 0.0 { s / best } else { 0.0 };
            triplets.push(ScoredTriplet {
                text: [norm(scores[&b]), norm(scores[&c])],
                facts: [&t.a, &t.b, &t.c].map(|x| CivilFacts::of(x)),
                b_closer: t.label == "B",
            });
        }
        let texts = raw.into_iter().map(|t| [t.a, t.b, t.c]).collect();
        Ok(Scm { triplets, texts })
    }

    /// Accuracy of `weights` on the triplets whose positions `keep` accepts.
    pub fn accuracy(&self, weights: &Weights, keep: impl Fn(usize) -> bool) -> f64 {
        let (mut right, mut n) = (0usize, 0usize);
        for (_, t) in self.triplets.iter().enumerate().filter(|(i, _)| keep(*i)) {
            n += 1;
            right += usize::from(t.right(weights));
        }
        right as f64 / n.max(1) as f64
    }
}

/// CAIL2019-SCM accuracy of `weights` (text and, for these civil texts, elements): is B or C
/// closer to A?
pub fn cail(path: &Path, weights: &Weights) -> Result<(usize, f64), EvalError> {
    let scm = Scm::load(path, weights)?;
    Ok((scm.triplets.len(), scm.accuracy(weights, |_| true)))
}
