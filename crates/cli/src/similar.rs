//! `ecenter-similar`: the similar-case index's tools (its `main` is in `src/bin/ecenter-similar.rs`).

use anyhow::Result;
use clap::{Parser, Subcommand};
use ecenter_similar::index::Weights;
use std::path::PathBuf;

/// Similar-case recommendation (类案推送): evaluation on public benchmarks.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Imports judgments from JSON Lines ({"id", "text" | "fact" | "query", "charges"?}) into an index.
    Import {
        /// The JSON Lines file.
        file: PathBuf,
        /// The index directory (created if missing).
        #[arg(long)]
        index: PathBuf,
    },
    /// Finds the cases most similar to a text, with why.
    Query {
        /// The index directory.
        #[arg(long)]
        index: PathBuf,
        /// The facts of the new case.
        #[arg(long)]
        text: String,
        /// Only cases with this charge (罪名).
        #[arg(long)]
        charge: Option<String>,
        /// How many results.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Prints standard metrics on LeCaRD-style data and CAIL2019-SCM triplets, read by path.
    Eval {
        /// Directory with queries.jsonl, candidates.jsonl and labels.json.
        #[arg(long)]
        lecard: Option<PathBuf>,
        /// CAIL2019-SCM triplets (JSON Lines with A, B, C, label).
        #[arg(long)]
        scm: Option<PathBuf>,
        /// Also print the ablation: BM25 alone, bigrams off, charges first.
        #[arg(long)]
        ablation: bool,
    },
}

/// Runs the command line; on failure prints why and exits 1.
pub fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("ecenter-similar: {e:#}");
        std::process::exit(1);
    }
}

/// The charge names the index has learned, kept beside it so queries segment text as indexing did.
fn known_charges(index: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(index.join("charges.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

fn import(file: &std::path::Path, index_dir: &std::path::Path) -> Result<()> {
    use ecenter_similar::index::{CaseDoc, CaseIndex};
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut records = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", file.display(), n + 1))?;
        records.push((n + 1, v));
    }
    let mut known: Vec<String> = known_charges(index_dir);
    for (_, v) in &records {
        if let Some(cs) = v["charges"].as_array() {
            known.extend(cs.iter().filter_map(|c| c.as_str().map(str::to_string)));
        }
    }
    known.sort();
    known.dedup();
    let dictionary: std::collections::HashSet<String> = known.iter().cloned().collect();
    let mut docs = Vec::with_capacity(records.len());
    for (line, v) in &records {
        let id = match &v["id"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => anyhow::bail!("{}:{line}: every record needs an \"id\"", file.display()),
        };
        let full = ["text", "query", "fact"]
            .iter()
            .find_map(|k| v[*k].as_str())
            .unwrap_or_default();
        let facts = ["fact", "text", "query"]
            .iter()
            .find_map(|k| v[*k].as_str())
            .unwrap_or_default();
        if facts.trim().is_empty() {
            anyhow::bail!(
                "{}:{line}: record {id} has no \"text\", \"fact\" or \"query\"",
                file.display()
            );
        }
        let charges = match v["charges"].as_array() {
            Some(cs) => cs
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect(),
            None => ecenter_similar::charges::extract(full, &dictionary),
        };
        let statutes = ecenter_similar::statutes::extract(full)
            .iter()
            .map(|s| s.article_key())
            .collect();
        docs.push(CaseDoc {
            id,
            charges,
            text: facts.to_string(),
            statutes,
        });
    }
    let mut all_charges = known.clone();
    all_charges.extend(docs.iter().flat_map(|d| d.charges.clone()));
    all_charges.sort();
    all_charges.dedup();
    std::fs::create_dir_all(index_dir)?;
    std::fs::write(index_dir.join("charges.txt"), all_charges.join("\n"))?;
    let index = CaseIndex::open(Some(index_dir), &all_charges)?;
    let bar = indicatif::ProgressBar::new(docs.len() as u64);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} judgments {per_sec} {eta}",
    )?);
    for chunk in docs.chunks(500) {
        index.add(chunk)?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    println!(
        "imported {} judgments into {} ({} in the index)",
        docs.len(),
        index_dir.display(),
        index.len()
    );
    Ok(())
}

fn query(
    index_dir: &std::path::Path,
    text: &str,
    charge: Option<&str>,
    top: usize,
    json: bool,
) -> Result<()> {
    if !index_dir.join("meta.json").exists() {
        anyhow::bail!(
            "{} is not an index: run `ecenter-similar import` first",
            index_dir.display()
        );
    }
    if !(1..=100).contains(&top) {
        anyhow::bail!("--top must be 1 to 100");
    }
    let known = known_charges(index_dir);
    if let Some(c) = charge
        && !known.iter().any(|k| k == c)
    {
        anyhow::bail!(
            "unknown charge 「{c}」: the index knows {} charges (e.g. {})",
            known.len(),
            known.iter().take(3).cloned().collect::<Vec<_>>().join("、")
        );
    }
    let index = ecenter_similar::index::CaseIndex::open(Some(index_dir), &known)?;
    let dictionary: std::collections::HashSet<String> = known.iter().cloned().collect();
    let charges = ecenter_similar::charges::extract(text, &dictionary);
    let statutes: Vec<String> = ecenter_similar::statutes::extract(text)
        .iter()
        .map(|s| s.article_key())
        .collect();
    let hits = index.search(text, &charges, &statutes, charge, top, &Weights::default())?;
    if json {
        let rows: Vec<serde_json::Value> = hits
            .iter()
            .map(|h| serde_json::json!({"id": h.id, "score": h.score, "bm25": h.text_score, "shared_charges": h.shared_charges, "shared_statutes": h.shared_statutes}))
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else {
        println!(
            "{:<4} {:<12} {:>7} {:>8}  why",
            "rank", "case", "score", "bm25"
        );
        for (i, h) in hits.iter().enumerate() {
            let mut why = Vec::new();
            if !h.shared_charges.is_empty() {
                why.push(format!("同罪名 {}", h.shared_charges.join("、")));
            }
            if !h.shared_statutes.is_empty() {
                why.push(format!("同法条 {}", h.shared_statutes.join("、")));
            }
            println!(
                "{:<4} {:<12} {:>7.3} {:>8.2}  {}",
                i + 1,
                h.id,
                h.score,
                h.text_score,
                why.join("；")
            );
        }
    }
    Ok(())
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Import { file, index } => import(&file, &index)?,
        Command::Query {
            index,
            text,
            charge,
            top,
            json,
        } => query(&index, &text, charge.as_deref(), top, json)?,
        Command::Eval {
            lecard,
            scm,
            ablation,
        } => {
            if lecard.is_none() && scm.is_none() {
                anyhow::bail!("give --lecard DIR and/or --scm FILE");
            }
            let fused = Weights::default();
            if let Some(dir) = lecard {
                let data = ecenter_similar::eval::Lecard::load(&dir)?;
                println!("{}", data.run(&fused)?);
                if ablation {
                    for (name, w) in [
                        (
                            "bm25-words",
                            Weights {
                                bigrams: 0.0,
                                charges: 0.0,
                                statutes: 0.0,
                            },
                        ),
                        (
                            "bm25-words+bigrams",
                            Weights {
                                charges: 0.0,
                                ..fused
                            },
                        ),
                        (
                            "charges-first",
                            Weights {
                                charges: 1000.0,
                                ..fused
                            },
                        ),
                    ] {
                        println!("{name}: {}", data.run(&w)?);
                    }
                }
            }
            if let Some(path) = scm {
                let (n, accuracy) = ecenter_similar::eval::cail(&path, &fused)?;
                println!("cail2019-scm triplets={n} accuracy={accuracy:.4}");
                if ablation {
                    let (_, words) = ecenter_similar::eval::cail(
                        &path,
                        &Weights {
                            bigrams: 0.0,
                            ..fused
                        },
                    )?;
                    println!("bm25-words: cail2019-scm triplets={n} accuracy={words:.4}");
                }
            }
        }
    }
    Ok(())
}
