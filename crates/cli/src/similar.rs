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

fn run(args: Args) -> Result<()> {
    match args.command {
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
