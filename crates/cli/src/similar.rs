//! `ecenter-similar`: the similar-case index's tools (its `main` is in `src/bin/ecenter-similar.rs`).

use anyhow::Result;
use clap::{Parser, Subcommand};
use ecenter_client::table::Table;
use ecenter_similar::index::Weights;
use std::path::PathBuf;

/// Similar-case recommendation (类案推送): evaluation on public benchmarks.
#[derive(Debug, Parser)]
#[command(name = "ecenter-similar", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Imports judgments from JSON Lines into an index: {"id", "fact" | "text" | "query",
    /// "charges"?, "case_number"?, "court"?, "year"?, "judgment_date"? (YYYY-MM-DD), "procedure"?,
    /// "holding"?, "full_text"?}.
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
        /// Only cases with one of these charges or causes of action (罪名 / 案由); repeatable.
        #[arg(long)]
        charge: Vec<String>,
        /// Only cases from one of these courts; repeatable.
        #[arg(long)]
        court: Vec<String>,
        /// Only cases judged in or after this year.
        #[arg(long)]
        year_from: Option<u32>,
        /// Only cases judged in or before this year.
        #[arg(long)]
        year_to: Option<u32>,
        /// Only cases at one of these stages (first_instance, second_instance, retrial,
        /// enforcement, other); repeatable.
        #[arg(long)]
        procedure: Vec<String>,
        /// How many results.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Prints standard metrics on LeCaRD-style data and CAIL2019-SCM triplets, read by path.
    Eval(EvalArgs),
}

// `ecenter-similar eval`: the benchmark files to read and whether to run the ablation.
#[derive(Debug, clap::Args)]
struct EvalArgs {
    /// Directory with queries.jsonl, candidates.jsonl and labels.json.
    #[arg(long)]
    lecard: Option<PathBuf>,
    /// CAIL2019-SCM triplets (JSON Lines with A, B, C, label).
    #[arg(long)]
    scm: Option<PathBuf>,
    /// Also print the ablation: BM25 alone, bigrams off, charges first.
    #[arg(long)]
    ablation: bool,
    /// Also cross-validate the learned and tuned weights with K folds of the given data, and
    /// print each fold beside the simple methods on the same folds (and the element weights the
    /// whole split learns).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u16).range(2..=50))]
    folds: Option<u16>,
}

/// Runs the command line; on failure prints why and exits 1.
pub fn main() {
    if let Err(e) = run(Args::parse()) {
        ecenter_client::exit::fail("ecenter-similar", &format!("{e:#}"), 1);
    }
}

fn import(file: &std::path::Path, index_dir: &std::path::Path) -> Result<()> {
    use ecenter_similar::index::CaseIndex;
    let records = read_records(file)?;
    let index = CaseIndex::open(Some(index_dir), &[])?;
    let mut known: Vec<String> = index.known_charges();
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
        docs.push(case_doc(file, *line, v, &dictionary)?);
    }
    // Charge names new to the index go into jieba's dictionary before these cases are segmented.
    let fresh = known
        .iter()
        .chain(docs.iter().flat_map(|d| &d.charges))
        .any(|c| !index.known_charges().contains(c));
    let index = if fresh {
        let mut all: Vec<String> = known.clone();
        all.extend(docs.iter().flat_map(|d| d.charges.clone()));
        drop(index);
        CaseIndex::open(Some(index_dir), &all)?
    } else {
        index
    };
    add_with_progress(&index, &docs)?;
    // One segment answers queries fastest: each query term is then looked up once.
    index.optimize()?;
    println!(
        "imported {} judgments into {} ({} in the index)",
        docs.len(),
        index_dir.display(),
        index.len()
    );
    Ok(())
}

/// Reads the judgments to import, one JSON object per non-blank line, each with its line number
/// for error messages.
fn read_records(file: &std::path::Path) -> Result<Vec<(usize, serde_json::Value)>> {
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
    Ok(records)
}

/// Makes the indexed judgment of record `v` (line `line` of `file`): its id, facts, charges
/// (罪名 / 案由, found in the text with `dictionary` when not given), statutes and procedure.
fn case_doc(
    file: &std::path::Path,
    line: usize,
    v: &serde_json::Value,
    dictionary: &std::collections::HashSet<String>,
) -> Result<ecenter_similar::index::CaseDoc> {
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
        None => ecenter_similar::charges::of_judgment(full, dictionary),
    };
    let statutes = ecenter_similar::statutes::extract(full)
        .iter()
        .map(ecenter_similar::statutes::Statute::article_key)
        .collect();
    let string = |key: &str| v[key].as_str().unwrap_or_default().trim().to_string();
    let procedure = string("procedure");
    if !procedure.is_empty() && ecenter_domain::Procedure::from_name(&procedure).is_none() {
        anyhow::bail!(
            "{}:{line}: unknown procedure 「{procedure}」; use one of {}",
            file.display(),
            ecenter_domain::similar::procedure_names()
        );
    }
    let date = match string("judgment_date").as_str() {
        "" => None,
        typed => Some(
            chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d").map_err(|_| {
                anyhow::anyhow!(
                    "{}:{line}: judgment_date 「{typed}」 is not a date; write it as YYYY-MM-DD",
                    file.display()
                )
            })?,
        ),
    };
    Ok(ecenter_similar::index::CaseDoc {
        id,
        case_number: string("case_number"),
        court: string("court"),
        year: v["year"].as_u64().map(|y| y as u32),
        date,
        procedure,
        charges,
        statutes,
        text: facts.to_string(),
        holding: string("holding"),
        full_text: string("full_text"),
    })
}

/// Adds the judgments to the index in chunks of 500, with a progress bar.
fn add_with_progress(
    index: &ecenter_similar::index::CaseIndex,
    docs: &[ecenter_similar::index::CaseDoc],
) -> Result<()> {
    let bar = indicatif::ProgressBar::new(docs.len() as u64);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} judgments {per_sec} {eta}",
    )?);
    for chunk in docs.chunks(500) {
        index.add(chunk)?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    Ok(())
}

/// What `query` searches for.
struct QueryArgs {
    text: String,
    filter: ecenter_similar::index::Filter,
    top: usize,
    json: bool,
}

fn query(index_dir: &std::path::Path, q: QueryArgs) -> Result<()> {
    use ecenter_similar::index::{CaseIndex, SearchRequest};
    if !index_dir.join("meta.json").exists() {
        anyhow::bail!(
            "{} is not an index: run `ecenter-similar import` first",
            index_dir.display()
        );
    }
    if !(1..=ecenter_similar::index::MAX_HITS).contains(&q.top) {
        anyhow::bail!("--top must be 1 to {}", ecenter_similar::index::MAX_HITS);
    }
    for p in &q.filter.procedures {
        if ecenter_domain::Procedure::from_name(p).is_none() {
            anyhow::bail!(
                "unknown procedure 「{p}」; use one of {}",
                ecenter_domain::similar::procedure_names()
            );
        }
    }
    let index = CaseIndex::open(Some(index_dir), &[])?;
    let (charges, statutes) = index.legal_features(&q.text);
    let hits = index.search(
        &SearchRequest {
            text: &q.text,
            charges: &charges,
            statutes: &statutes,
            filter: &q.filter,
            k: q.top,
            exclude: None,
        },
        &Weights::default(),
    )?;
    if q.json {
        print_hits_json(&hits);
        return Ok(());
    }
    if hits.is_empty() {
        println!("no similar case found");
        return Ok(());
    }
    print_hits_table(&hits);
    Ok(())
}

/// Prints the similar cases (类案) found as JSON for scripts, with their scores and why.
fn print_hits_json(hits: &[ecenter_similar::index::Hit]) {
    let rows: Vec<serde_json::Value> = hits
        .iter()
        .map(|h| {
            serde_json::json!({
                "id": h.id, "case_number": h.case_number, "court": h.court, "year": h.year, "judgment_date": h.date,
                "procedure": h.procedure, "score": h.score, "bm25": h.text_score,
                "shared_charges": h.shared_charges, "shared_statutes": h.shared_statutes,
                "shared_elements": h.shared_elements,
                "shared_terms": h.shared_terms.iter().map(|t| serde_json::json!({"term": t.term, "weight": t.weight})).collect::<Vec<_>>(),
                "summary": h.summary, "outcome": h.outcome, "civil_outcome": h.civil_outcome,
            })
        })
        .collect();
    println!("{}", serde_json::Value::Array(rows));
}

/// Prints the similar cases (类案) found as a ranked table, each with why: shared charges
/// (同罪名), statutes (同法条), a civil claim's elements (同要素) and words (共同词).
fn print_hits_table(hits: &[ecenter_similar::index::Hit]) {
    let mut table = Table::new(["rank", "case", "score", "bm25", "why"]);
    for (i, h) in hits.iter().enumerate() {
        let mut why = Vec::new();
        if !h.shared_charges.is_empty() {
            why.push(format!("同罪名 {}", h.shared_charges.join("、")));
        }
        if !h.shared_statutes.is_empty() {
            why.push(format!("同法条 {}", h.shared_statutes.join("、")));
        }
        if !h.shared_elements.is_empty() {
            why.push(format!("同要素 {}", h.shared_elements.join("、")));
        }
        if !h.shared_terms.is_empty() {
            let terms: Vec<String> = h
                .shared_terms
                .iter()
                .map(|t| format!("{}({:.1})", t.term, t.weight))
                .collect();
            why.push(format!("共同词 {}", terms.join(" ")));
        }
        if !h.outcome.is_empty() {
            let decided: Vec<String> = h.outcome.iter().map(ToString::to_string).collect();
            why.push(format!("判决 {}", decided.join("、")));
        }
        if let Some(c) = &h.civil_outcome.claimed {
            why.push(format!("诉请 {c}"));
        }
        if let Some(a) = &h.civil_outcome.awarded {
            why.push(format!("判决 {a}"));
        }
        let shown = if h.case_number.is_empty() {
            &h.id
        } else {
            &h.case_number
        };
        table.row([
            (i + 1).to_string(),
            shown.clone(),
            format!("{:.3}", h.score),
            format!("{:.2}", h.text_score),
            why.join("；"),
        ]);
    }
    table.print();
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Import { file, index } => import(&file, &index)?,
        Command::Query {
            index,
            text,
            charge,
            court,
            year_from,
            year_to,
            procedure,
            top,
            json,
        } => query(
            &index,
            QueryArgs {
                text,
                filter: ecenter_similar::index::Filter {
                    courts: court,
                    year_from,
                    year_to,
                    procedures: procedure,
                    charges: charge,
                },
                top,
                json,
            },
        )?,
        Command::Eval(a) => eval(a)?,
    }
    Ok(())
}

/// `ecenter-similar eval`: prints the standard metrics on LeCaRD-style data and the accuracy on
/// CAIL2019-SCM triplets, with the ablation if asked.
fn eval(a: EvalArgs) -> Result<()> {
    let EvalArgs {
        lecard,
        scm,
        ablation,
        folds,
    } = a;
    if lecard.is_none() && scm.is_none() {
        anyhow::bail!("give --lecard DIR and/or --scm FILE");
    }
    let fused = Weights::default();
    if let Some(dir) = lecard {
        let data = ecenter_similar::eval::Lecard::load(&dir)?;
        println!("{}", data.run(&fused)?);
        if ablation {
            for (name, w) in ablation_weights(fused) {
                println!("{name}: {}", data.run(&w)?);
            }
        }
        if let Some(k) = folds {
            print_lecard_folds(&ecenter_similar::cv::lecard_folds(
                &data,
                usize::from(k),
                &fused,
            )?);
        }
    }
    if let Some(path) = scm {
        let (n, accuracy) = ecenter_similar::eval::cail(&path, &fused)?;
        println!("cail2019-scm triplets={n} accuracy={accuracy:.4}");
        if ablation {
            let (_, words) = ecenter_similar::eval::cail(
                &path,
                &Weights {
                    elements: [0.0; ecenter_similar::civil::FEATURES],
                    ..fused
                },
            )?;
            println!("text-alone: cail2019-scm triplets={n} accuracy={words:.4}");
        }
        if let Some(k) = folds {
            let data = ecenter_similar::eval::Scm::load(&path, &fused)?;
            print_scm_folds(&ecenter_similar::cv::scm_folds(
                &data,
                usize::from(k),
                &fused,
            )?);
        }
    }
    Ok(())
}

/// Prints LeCaRD's cross-validated figures: mean ± spread over the test folds.
fn print_lecard_folds(f: &ecenter_similar::cv::LecardFolds) {
    println!(
        "lecard cross-validation ({} folds; mean ± sd over test folds)",
        f.picked.len()
    );
    println!(
        "{:<34}{:>18}{:>18}{:>18}",
        "method", "NDCG@10", "NDCG@30", "MAP"
    );
    for (name, m) in [
        ("fused, weights picked per fold", &f.fused),
        ("BM25 on words alone", &f.bm25),
        ("shared charges first, then text", &f.charges_first),
    ] {
        println!(
            "{name:<34}{:>18}{:>18}{:>18}",
            m.ndcg10.to_string(),
            m.ndcg30.to_string(),
            m.map.to_string()
        );
    }
    let picked: Vec<String> = f.picked.iter().map(|(c, b)| format!("{c}/{b}")).collect();
    println!(
        "charge/bigram weights picked per fold: {}",
        picked.join(" ")
    );
}

/// Prints CAIL2019-SCM's cross-validated accuracies and the element weights the split learns.
fn print_scm_folds(f: &ecenter_similar::cv::ScmFolds) {
    println!(
        "cail2019-scm cross-validation ({} folds; accuracy mean ± sd over test folds)",
        f.text.folds.len()
    );
    for (alpha, s) in &f.fused {
        println!(
            "  text + elements, learned (alpha {alpha}): {s}  folds {:.3?}",
            s.folds
        );
    }
    println!(
        "  text alone (the fusion's BM25):      {}  folds {:.3?}",
        f.text, f.text.folds
    );
    println!(
        "  TF-IDF cosine (jieba words):        {}  folds {:.3?}",
        f.tfidf, f.tfidf.folds
    );
    let (alpha, w) = f.chosen;
    println!(
        "element weights learned on the whole split (alpha {alpha}), relative to the text score:"
    );
    for ((name, meaning, _), w) in ecenter_similar::civil::CUES.iter().zip(w) {
        println!("  {name:<12} {meaning:<10} {w:+.4}");
    }
    println!("  rate_band    利率区间   {:+.4}", w[w.len() - 2]);
    println!("  principal    本金接近   {:+.4}", w[w.len() - 1]);
    println!("as an array: {w:?}");
}

/// The ablation's variants of the fused weights on LeCaRD: BM25 alone, with bigrams, and the
/// charge (罪名 / 案由) weight from 1 to "charges first".
fn ablation_weights(fused: Weights) -> [(&'static str, Weights); 6] {
    [
        (
            "bm25-words",
            Weights {
                bigrams: 0.0,
                charges: 0.0,
                statutes: 0.0,
                ..fused
            },
        ),
        (
            "bm25-words+bigrams-0.5",
            Weights {
                bigrams: 0.5,
                charges: 0.0,
                statutes: 0.0,
                ..fused
            },
        ),
        (
            "fused-with-bigrams-0.5",
            Weights {
                bigrams: 0.5,
                ..fused
            },
        ),
        (
            "fused-charge-weight-1",
            Weights {
                charges: 1.0,
                ..fused
            },
        ),
        (
            "fused-charge-weight-4",
            Weights {
                charges: 4.0,
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
    ]
}

/// clap's own checks (unique argument and group names, valid `requires`), which otherwise panic
/// only when the command is run.
#[test]
fn the_command_line_is_consistent() {
    <Args as clap::CommandFactory>::command().debug_assert();
}
