//! k-fold cross-validation on the development splits, so that every weight is chosen on data the
//! fold's test part never saw, and the figures say how much they move from fold to fold.
//!
//! Folds are cut by position (item i goes to fold i mod k; LeCaRD queries in id order), so a run
//! is repeatable without a random seed. CAIL2019-SCM: the element weights are learned per fold by
//! L2 logistic regression (linfa) on B-over-C feature differences, each triplet also entered
//! mirrored (C over B) so no intercept is needed; the regularisation α is the one with the best
//! mean test accuracy. LeCaRD: the fusion's charge and bigram weights are picked on each fold's
//! training queries (best NDCG@10 + MAP) from a small grid and scored on its test queries.

use crate::civil::FEATURES;
use crate::eval::{EvalError, Lecard, Scm};
use crate::index::Weights;
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use std::collections::HashMap;

/// A figure over folds: each fold's value, their mean and (population) standard deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// One value per fold.
    pub folds: Vec<f64>,
    /// Their mean.
    pub mean: f64,
    /// Their standard deviation.
    pub sd: f64,
}

impl Spread {
    /// Summarises per-fold values.
    pub fn of(folds: Vec<f64>) -> Spread {
        let n = folds.len().max(1) as f64;
        let mean = folds.iter().sum::<f64>() / n;
        let sd = (folds.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        Spread { folds, mean, sd }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.4} ± {:.4}", self.mean, self.sd)
    }
}

/// Regularisation strengths tried for the element weights.
pub const ALPHAS: [f64; 3] = [0.1, 1.0, 10.0];

/// Learns element weights relative to the text score from `rows` (B-over-C differences: text
/// first, then the elements) whose B was the closer when `b_closer`.
pub fn fit_elements(
    rows: &[[f32; 1 + FEATURES]],
    b_closer: &[bool],
    alpha: f64,
) -> Result<[f32; FEATURES], EvalError> {
    let fail = |message: String| EvalError::Data {
        path: "cross-validation".into(),
        message,
    };
    let mut x = Array2::<f64>::zeros((2 * rows.len(), 1 + FEATURES));
    let mut y = Vec::with_capacity(2 * rows.len());
    // Each triplet twice: as "B over C" and mirrored. The closer-first copy goes first, so the
    // first label linfa sees — which it takes as the positive class when the classes are
    // balanced — is always `true`, and positive weights mean "closer".
    for (i, (row, b)) in rows.iter().zip(b_closer).enumerate() {
        let sign = if *b { 1.0 } else { -1.0 };
        for (j, v) in row.iter().enumerate() {
            x[[2 * i, j]] = sign * f64::from(*v);
            x[[2 * i + 1, j]] = -sign * f64::from(*v);
        }
        y.extend([true, false]);
    }
    let model = LogisticRegression::default()
        .alpha(alpha)
        .with_intercept(false)
        .max_iterations(500)
        .fit(&Dataset::new(x, Array1::from(y)))
        .map_err(|e| fail(format!("logistic regression: {e}")))?;
    let w = model.params();
    if w[0] <= 0.0 {
        return Err(fail(format!(
            "the learned text weight is {:.3}, not positive",
            w[0]
        )));
    }
    let mut out = [0.0f32; FEATURES];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = (w[i + 1] / w[0]) as f32;
    }
    Ok(out)
}

/// CAIL2019-SCM under k-fold cross-validation.
#[derive(Debug, Clone)]
pub struct ScmFolds {
    /// Test accuracy of the learned fusion, per α of [`ALPHAS`].
    pub fused: Vec<(f64, Spread)>,
    /// The text score alone (BM25 words + bigrams), on the same folds.
    pub text: Spread,
    /// TF-IDF cosine over jieba words, on the same folds.
    pub tfidf: Spread,
    /// The α with the best mean, and the weights it learns on the whole split (what ships).
    pub chosen: (f64, [f32; FEATURES]),
}

/// Runs `k`-fold cross-validation of the element weights on `scm`.
pub fn scm_folds(scm: &Scm, k: usize, base: &Weights) -> Result<ScmFolds, EvalError> {
    let rows: Vec<_> = scm
        .triplets
        .iter()
        .map(crate::eval::ScoredTriplet::difference)
        .collect();
    let labels: Vec<bool> = scm.triplets.iter().map(|t| t.b_closer).collect();
    let tfidf_right: Vec<bool> = crate::cv_baselines::b_over_c(&scm.texts)
        .into_iter()
        .zip(&labels)
        .map(|(b, label)| b == *label)
        .collect();
    let text_only = Weights {
        elements: [0.0; FEATURES],
        ..*base
    };
    let mut fused = Vec::new();
    let (mut text, mut tfidf) = (Vec::new(), Vec::new());
    for alpha in ALPHAS {
        let mut accuracies = Vec::new();
        for fold in 0..k {
            let train = |i: usize| i % k != fold;
            let (x, y): (Vec<_>, Vec<_>) = (0..rows.len())
                .filter(|i| train(*i))
                .map(|i| (rows[i], labels[i]))
                .unzip();
            let w = Weights {
                elements: fit_elements(&x, &y, alpha)?,
                ..*base
            };
            accuracies.push(scm.accuracy(&w, |i| !train(i)));
            if alpha == ALPHAS[0] {
                text.push(scm.accuracy(&text_only, |i| !train(i)));
                let test: Vec<bool> = (0..rows.len())
                    .filter(|i| !train(*i))
                    .map(|i| tfidf_right[i])
                    .collect();
                tfidf.push(test.iter().filter(|r| **r).count() as f64 / test.len().max(1) as f64);
            }
        }
        fused.push((alpha, Spread::of(accuracies)));
    }
    let best = fused
        .iter()
        .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
        .map_or(1.0, |f| f.0);
    Ok(ScmFolds {
        fused,
        text: Spread::of(text),
        tfidf: Spread::of(tfidf),
        chosen: (best, fit_elements(&rows, &labels, best)?),
    })
}

/// The fusion grid searched on LeCaRD's training folds: charge weight × bigram weight.
pub const LECARD_GRID: [(f32, f32); 8] = [
    (0.5, 0.5),
    (1.0, 0.5),
    (2.0, 0.5),
    (4.0, 0.5),
    (0.5, 0.0),
    (1.0, 0.0),
    (2.0, 0.0),
    (4.0, 0.0),
];

/// One method's LeCaRD figures over the test folds.
#[derive(Debug, Clone)]
pub struct LecardFigures {
    /// NDCG@10 per fold.
    pub ndcg10: Spread,
    /// NDCG@30 per fold.
    pub ndcg30: Spread,
    /// MAP per fold.
    pub map: Spread,
}

/// LeCaRD under k-fold cross-validation: the fusion with weights picked per fold, and the simple
/// methods (BM25 on words alone; shared charges first, then text) on the same folds.
#[derive(Debug, Clone)]
pub struct LecardFolds {
    /// The fusion, weights picked on each fold's training queries.
    pub fused: LecardFigures,
    /// The (charge, bigram) weights each fold picked.
    pub picked: Vec<(f32, f32)>,
    /// BM25 on jieba words alone.
    pub bm25: LecardFigures,
    /// Shared charges first (weight 1000), then the text.
    pub charges_first: LecardFigures,
}

/// Per-query (NDCG@10, NDCG@30, MAP) of `weights`.
fn per_query(data: &Lecard, ids: &[String], weights: &Weights) -> Result<Vec<[f64; 3]>, EvalError> {
    ids.iter()
        .map(|id| {
            let m = data.run_on(weights, |q| q == id)?;
            Ok([m.ndcg[0], m.ndcg[2], m.map])
        })
        .collect()
}

fn figures(per_fold: &[[f64; 3]]) -> LecardFigures {
    let col = |j: usize| Spread::of(per_fold.iter().map(|f| f[j]).collect());
    LecardFigures {
        ndcg10: col(0),
        ndcg30: col(1),
        map: col(2),
    }
}

fn mean_over(values: &[[f64; 3]], keep: impl Fn(usize) -> bool) -> [f64; 3] {
    let mut sum = [0.0; 3];
    let mut n = 0.0;
    for v in values
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, v)| v)
    {
        for j in 0..3 {
            sum[j] += v[j];
        }
        n += 1.0;
    }
    sum.map(|s| s / f64::max(n, 1.0))
}

/// Runs `k`-fold cross-validation of the fusion weights on LeCaRD.
pub fn lecard_folds(data: &Lecard, k: usize, base: &Weights) -> Result<LecardFolds, EvalError> {
    let ids = data.query_ids();
    let mut grid: HashMap<usize, Vec<[f64; 3]>> = HashMap::new();
    for (g, (charges, bigrams)) in LECARD_GRID.iter().enumerate() {
        let w = Weights {
            charges: *charges,
            bigrams: *bigrams,
            ..*base
        };
        grid.insert(g, per_query(data, &ids, &w)?);
    }
    let simple = |charges: f32| Weights {
        charges,
        bigrams: 0.0,
        statutes: 0.0,
        ..*base
    };
    let bm25 = per_query(data, &ids, &simple(0.0))?;
    let first = per_query(data, &ids, &simple(1000.0))?;
    let (mut fused, mut picked, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for fold in 0..k {
        let test = |i: usize| i % k == fold;
        let score = |g: &usize| {
            let m = mean_over(&grid[g], |i| !test(i));
            m[0] + m[2]
        };
        let best = (0..LECARD_GRID.len())
            .max_by(|a, b| score(a).total_cmp(&score(b)))
            .unwrap_or(0);
        picked.push(LECARD_GRID[best]);
        fused.push(mean_over(&grid[&best], test));
        b.push(mean_over(&bm25, test));
        c.push(mean_over(&first, test));
    }
    Ok(LecardFolds {
        fused: figures(&fused),
        picked,
        bm25: figures(&b),
        charges_first: figures(&c),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_is_the_mean_and_population_deviation_of_the_folds() {
        let s = Spread::of(vec![0.6, 0.8]);
        assert!((s.mean - 0.7).abs() < 1e-12 && (s.sd - 0.1).abs() < 1e-12);
        assert_eq!(s.to_string(), "0.7000 ± 0.1000");
    }

    /// Rows where B is closer exactly when it agrees on element 0: the weight learned for it is
    /// positive and large against the others, whichever label comes first.
    #[test]
    fn logistic_regression_learns_the_element_that_decides() {
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..60 {
            let mut row = [0.0f32; 1 + FEATURES];
            let b_closer = i % 3 != 0;
            let sign = if b_closer { 1.0 } else { -1.0 };
            // The text leans the right way four times in five; element 0 is always right;
            // element 1 is noise.
            row[0] = if i % 5 == 0 { -0.1 } else { 0.1 } * sign;
            row[1] = if b_closer { 1.0 } else { -1.0 };
            row[2] = if i % 4 < 2 { 1.0 } else { -1.0 };
            rows.push(row);
            labels.push(b_closer);
        }
        let w = fit_elements(&rows, &labels, 0.1).unwrap();
        assert!(w[0] > 1.0, "{w:?}");
        assert!(w[0] > 5.0 * w[1].abs(), "{w:?}");
        assert!(
            w[2..].iter().all(|v| *v == 0.0),
            "features never seen stay at 0: {w:?}"
        );
        // Flipping every label and row gives the same weights: no side is favoured.
        let flipped: Vec<_> = rows.iter().map(|r| r.map(|v| -v)).collect();
        let not: Vec<bool> = labels.iter().map(|b| !b).collect();
        let again = fit_elements(&flipped, &not, 0.1).unwrap();
        for (a, b) in w.iter().zip(again) {
            assert!((a - b).abs() < 1e-3, "{w:?} vs {again:?}");
        }
    }
}
