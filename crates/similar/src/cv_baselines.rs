//! The simple method the SCM folds are compared with: TF-IDF cosine over jieba words, as the
//! benchmark's README computes it (each distinct text of the split a document).

use std::collections::HashMap;

/// Words of `text` as jieba cuts it, less whitespace and punctuation.
fn words(jieba: &jieba_rs::Jieba, text: &str) -> Vec<String> {
    jieba
        .cut(text, false)
        .into_iter()
        .filter(|w| w.word.chars().any(char::is_alphanumeric))
        .map(|w| w.word.to_string())
        .collect()
}

/// A sparse TF-IDF vector (sublinear tf), L2-normalised.
fn vector(words: &[String], idf: &HashMap<String, f64>) -> HashMap<String, f64> {
    let mut tf: HashMap<String, f64> = HashMap::new();
    for w in words {
        *tf.entry(w.clone()).or_default() += 1.0;
    }
    let mut v: HashMap<String, f64> = tf
        .into_iter()
        .map(|(w, n)| {
            let weight = (1.0 + n.ln()) * idf.get(&w).copied().unwrap_or(0.0);
            (w, weight)
        })
        .collect();
    let norm = v.values().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.values_mut().for_each(|x| *x /= norm);
    }
    v
}

fn cosine(a: &HashMap<String, f64>, b: &HashMap<String, f64>) -> f64 {
    a.iter()
        .map(|(w, x)| x * b.get(w).copied().unwrap_or(0.0))
        .sum()
}

/// For each triplet of texts (A, B, C): whether TF-IDF cosine puts B at least as close to A as C.
pub fn b_over_c(texts: &[[String; 3]]) -> Vec<bool> {
    let jieba = jieba_rs::Jieba::new();
    let mut distinct: HashMap<&str, Vec<String>> = HashMap::new();
    for t in texts {
        for x in t {
            distinct
                .entry(x.as_str())
                .or_insert_with(|| words(&jieba, x));
        }
    }
    let n = distinct.len() as f64;
    let mut df: HashMap<&str, f64> = HashMap::new();
    for ws in distinct.values() {
        let mut seen: Vec<&String> = ws.iter().collect();
        seen.sort();
        seen.dedup();
        for w in seen {
            *df.entry(w.as_str()).or_default() += 1.0;
        }
    }
    let idf: HashMap<String, f64> = df
        .into_iter()
        .map(|(w, d)| (w.to_string(), (n / d).ln() + 1.0))
        .collect();
    let vectors: HashMap<&str, HashMap<String, f64>> = distinct
        .iter()
        .map(|(t, ws)| (*t, vector(ws, &idf)))
        .collect();
    texts
        .iter()
        .map(|[a, b, c]| {
            let (a, b, c) = (
                &vectors[a.as_str()],
                &vectors[b.as_str()],
                &vectors[c.as_str()],
            );
            cosine(a, b) >= cosine(a, c)
        })
        .collect()
}
