//! Ranking metrics exactly as LeCaRD's own script computes them (Ma et al., SIGIR 2021): the ranking is
//! restricted to the query's labelled candidates; NDCG@k uses the grades as gains and takes the ideal
//! order from *all* the query's labels (so a ranking that omits labelled candidates is penalised);
//! P@k and MAP count grade 3 as relevant, a query without any grade-3 candidate contributing 0.
//! The test `reproduces_the_published_baseline_figures` checks this against the published numbers.

use std::collections::HashMap;

/// Graded labels: query id → candidate id → grade (0–3).
pub type Labels = HashMap<String, HashMap<String, u32>>;

/// The metrics of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LecardMetrics {
    /// Queries evaluated.
    pub queries: usize,
    /// NDCG@10, @20, @30.
    pub ndcg: [f64; 3],
    /// P@5 and P@10.
    pub precision: [f64; 2],
    /// Mean average precision.
    pub map: f64,
}

fn ndcg(gains: &[f64], all_labels: &[f64], k: usize) -> f64 {
    let mut ideal = all_labels.to_vec();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let (mut dcg, mut idcg) = (0.0, 0.0);
    for i in 0..k {
        let discount = ((i + 2) as f64).log2();
        dcg += gains.get(i).copied().unwrap_or(0.0) / discount;
        idcg += ideal.get(i).copied().unwrap_or(0.0) / discount;
    }
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Evaluates rankings (query id → candidate ids, best first) against `labels`. Only queries present
/// in both count; each ranking is restricted to its labelled pool, as LeCaRD's script does.
pub fn evaluate(rankings: &HashMap<String, Vec<String>>, labels: &Labels) -> LecardMetrics {
    let mut ids: Vec<&String> = rankings
        .keys()
        .filter(|q| labels.contains_key(*q))
        .collect();
    ids.sort();
    let mut sum = LecardMetrics {
        queries: ids.len(),
        ndcg: [0.0; 3],
        precision: [0.0; 2],
        map: 0.0,
    };
    for q in &ids {
        let pool = &labels[*q];
        let ranked: Vec<&String> = rankings[*q]
            .iter()
            .filter(|c| pool.contains_key(*c))
            .collect();
        let grade = |c: &String| f64::from(pool.get(c).copied().unwrap_or(0));
        let gains: Vec<f64> = ranked.iter().map(|c| grade(c)).collect();
        let all: Vec<f64> = pool.values().map(|g| f64::from(*g)).collect();
        for (slot, k) in [10, 20, 30].into_iter().enumerate() {
            sum.ndcg[slot] += ndcg(&gains, &all, k);
        }
        let relevant = |c: &String| pool.get(c) == Some(&3);
        for (slot, k) in [5, 10].into_iter().enumerate() {
            sum.precision[slot] +=
                ranked.iter().take(k).filter(|c| relevant(c)).count() as f64 / k as f64;
        }
        let mut hits = 0.0;
        let mut ap = 0.0;
        for (i, c) in ranked.iter().enumerate() {
            if relevant(c) {
                hits += 1.0;
                ap += hits / (i + 1) as f64;
            }
        }
        if hits > 0.0 {
            sum.map += ap / hits;
        }
    }
    let n = ids.len().max(1) as f64;
    LecardMetrics {
        queries: ids.len(),
        ndcg: sum.ndcg.map(|v| v / n),
        precision: sum.precision.map(|v| v / n),
        map: sum.map / n,
    }
}

impl std::fmt::Display for LecardMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "lecard queries={} NDCG@10={:.4} NDCG@20={:.4} NDCG@30={:.4} P@5={:.4} P@10={:.4} MAP={:.4}",
            self.queries,
            self.ndcg[0],
            self.ndcg[1],
            self.ndcg[2],
            self.precision[0],
            self.precision[1],
            self.map
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The LeCaRD benchmark in the shared data ([`crate::shared_data`]).
    fn lecard_dir() -> std::path::PathBuf {
        let dir = crate::shared_data().join("lecard");
        assert!(
            dir.is_dir(),
            "benchmark data expected at {} (../shared/data beside the project, or set ECENTER_SHARED_DATA)",
            dir.display()
        );
        dir
    }

    fn load_ranking(name: &str) -> HashMap<String, Vec<String>> {
        let text = std::fs::read_to_string(lecard_dir().join(name))
            .expect("../shared/data/lecard is beside the project");
        let raw: HashMap<String, Vec<serde_json::Value>> = serde_json::from_str(&text).unwrap();
        raw.into_iter()
            .map(|(q, cs)| {
                (
                    q,
                    cs.into_iter()
                        .map(|c| c.to_string().trim_matches('"').to_string())
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn reproduces_the_published_baseline_figures() {
        let labels: Labels = serde_json::from_str(
            &std::fs::read_to_string(lecard_dir().join("labels.json")).unwrap(),
        )
        .unwrap();
        // The table in ../shared/data/README.md, to three decimals.
        for (file, expected) in [
            (
                "baseline_bm25.json",
                [0.733, 0.795, 0.880, 0.408, 0.392, 0.482],
            ),
            (
                "baseline_tfidf.json",
                [0.572, 0.518, 0.496, 0.294, 0.250, 0.446],
            ),
            (
                "baseline_lm.json",
                [0.757, 0.805, 0.887, 0.439, 0.406, 0.494],
            ),
        ] {
            let m = evaluate(&load_ranking(file), &labels);
            assert_eq!(m.queries, 72);
            let got = [
                m.ndcg[0],
                m.ndcg[1],
                m.ndcg[2],
                m.precision[0],
                m.precision[1],
                m.map,
            ];
            for (g, e) in got.iter().zip(expected) {
                assert!(
                    (g - e).abs() < 0.0005 + 1e-9,
                    "{file}: got {got:?}, published {expected:?}"
                );
            }
        }
    }

    #[test]
    fn a_perfect_ranking_scores_one_and_omissions_are_penalised() {
        let labels: Labels = HashMap::from([(
            "q".to_string(),
            HashMap::from([
                ("a".to_string(), 3),
                ("b".to_string(), 1),
                ("c".to_string(), 0),
            ]),
        )]);
        let perfect = HashMap::from([(
            "q".to_string(),
            vec!["a".to_string(), "b".to_string(), "c".to_string()],
        )]);
        let m = evaluate(&perfect, &labels);
        assert!((m.ndcg[0] - 1.0).abs() < 1e-12 && (m.map - 1.0).abs() < 1e-12);
        let missing_a = HashMap::from([("q".to_string(), vec!["b".to_string(), "c".to_string()])]);
        assert!(evaluate(&missing_a, &labels).ndcg[0] < 0.5);
    }
}
