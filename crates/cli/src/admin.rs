//! `ecenter-admin`: what an operator does to a hub's storage while no hub runs.
//!
//! `migrate --from sled DIR --to postgres URL` moves a court's log and documents from a stopped
//! hub's data directory into PostgreSQL — the same entries byte for byte, so the same hashes and
//! the same chain head — resuming where an interrupted run stopped. The hubs then start with
//! `[store] backend = "postgres"` and rebuild their read models from that log.
//!
//! Exit codes: 0 done, 1 refused or failed (the message says why, naming the directory or the
//! database), 2 a usage error.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Operator's tool for a hub's storage (run it while no hub uses that storage).
#[derive(Debug, Parser)]
#[command(name = "ecenter-admin", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Copies a stopped hub's sled log and documents into PostgreSQL, entry by entry, with
    /// identical hashes; run it again to resume after an interruption.
    Migrate(MigrateArgs),
}

#[derive(Debug, clap::Args)]
struct MigrateArgs {
    /// The source: `sled` and the data directory of a stopped hub.
    #[arg(long, num_args = 2, value_names = ["KIND", "DIR"], required = true)]
    from: Vec<String>,
    /// The destination: `postgres` and a connection URL (empty database, or one this migration
    /// started).
    #[arg(long, num_args = 2, value_names = ["KIND", "URL"], required = true)]
    to: Vec<String>,
    /// PEM file of the CA of the database's certificate (when the URL asks for TLS).
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Print JSON for scripts instead of words (and no progress bar).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum From {
    Sled,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum To {
    Postgres,
}

pub fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("ecenter-admin: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Migrate(m) => migrate(m),
    }
}

fn kind<T: ValueEnum>(flag: &str, value: &str) -> Result<T> {
    T::from_str(value, true).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        anyhow::anyhow!("--{flag} {value}: supported: {}", names.join(", "))
    })
}

fn migrate(m: MigrateArgs) -> Result<()> {
    let From::Sled = kind::<From>("from", &m.from[0])?;
    let To::Postgres = kind::<To>("to", &m.to[0])?;
    let data_dir = PathBuf::from(&m.from[1]);
    let config = ecenter_store::PostgresConfig {
        url: m.to[1].clone(),
        ca_file: m.ca_file,
        takeover_after_secs: None,
    };
    let bar = (!m.json).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} entries {per_sec} {eta}")
        {
            bar.set_style(style);
        }
        bar
    });
    let done =
        ecenter_store::postgres::migrate_sled_to_postgres(&data_dir, &config, |at, total| {
            if let Some(bar) = &bar {
                bar.set_length(total);
                bar.set_position(at);
            }
        })
        .with_context(|| format!("migrating {} into PostgreSQL", data_dir.display()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let head = hex::encode(done.head.hash);
    if m.json {
        println!(
            "{}",
            serde_json::json!({
                "already": done.already,
                "copied": done.copied,
                "documents": done.documents,
                "head_seq": done.head.seq,
                "head_hash": head,
            })
        );
    } else {
        println!(
            "migrated: {} entries copied ({} already there), {} documents; both logs end at entry {} {head}",
            done.copied, done.already, done.documents, done.head.seq
        );
        println!(
            "check it: clerk verify-log --data-dir {} and clerk verify-log --postgres URL name the same head",
            data_dir.display()
        );
    }
    Ok(())
}

/// clap's own checks (unique argument and group names, valid `requires`), which otherwise panic
/// only when the command is run.
#[test]
fn the_command_line_is_consistent() {
    <Args as clap::CommandFactory>::command().debug_assert();
}
