//! `ecenter-admin`: what an operator does to a hub's storage while no hub runs.
//!
//! `migrate --from sled DIR --to postgres URL` moves a court's log and documents from a stopped
//! hub's data directory into PostgreSQL — the same entries byte for byte, so the same hashes and
//! the same chain head — resuming where an interrupted run stopped. The hubs then start with
//! `[store] backend = "postgres"` and rebuild their read models from that log.
//!
//! `rebuild-read-models --data-dir DIR` audits a private copy of a stopped hub's log against its
//! signed checkpoints and witnesses (as the hub does at start; a log they say is short or altered
//! is refused before the real one is opened), verifies the log, then rebuilds every read
//! model (filings, services and their queues, seals, notices, lawyers, sign-ins, passkeys, pushes)
//! from it, and says whether they had differed from the log — after a restore, or when a read
//! model is suspected of having been altered on disk. The log's entries are never written. Read
//! models another build wrote (an upgrade not yet started, an interrupted rebuild) are rebuilt
//! too, but cannot be compared: `changed` is then `null` and the exit status 0.
//!
//! `restore-documents --postgres URL SOURCE…` re-hashes the documents of record in PostgreSQL
//! (as `clerk scrub --postgres`) and puts back each damaged one from a file under the sources
//! that hashes to its name; whole documents are never touched. It may run while hubs run.
//!
//! Exit codes: 0 done, 1 refused or failed (the message says why, naming the directory or the
//! database), 2 a usage error, 3 (`rebuild-read-models`) rebuilt, but the read models had differed
//! from the log: they are repaired, and how they came to differ is worth finding out, 4
//! (`restore-documents`) damaged documents that no given file holds remain (each is named).

mod restore_documents;

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
    /// Verifies a stopped hub's log and rebuilds its read models from it, saying whether they had
    /// differed from the log.
    RebuildReadModels(RebuildArgs),
    /// Puts back into PostgreSQL each document of record it holds damaged (missing, cut short
    /// or altered: what `clerk scrub --postgres` names) from copies that hash to its name.
    RestoreDocuments(restore_documents::RestoreArgs),
}

#[derive(Debug, clap::Args)]
struct RebuildArgs {
    /// The data directory of a stopped hub (sled; on PostgreSQL, a hub's replica directory).
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// The hub's configuration file, for its `[checkpoints]` (the key and the witness
    /// directories the log is compared with); without it, those in the data directory.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print JSON for scripts instead of words (and no progress bar).
    #[arg(long)]
    json: bool,
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
        ecenter_client::exit::fail("ecenter-admin", &said(&e), 1);
    }
}

/// The error and its causes, each said once: a cause whose words its error already repeats (a
/// storage error quoting the I/O error it wraps) is not said again.
fn said(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let words = cause.to_string();
        if out.contains(&words) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&words);
    }
    out
}

/// Exit code 3: the read models had differed from the log.
const DRIFTED: i32 = 3;
/// Exit code 4 (`restore-documents`): damaged documents no given file holds remain damaged.
const NOT_FOUND: i32 = 4;

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Migrate(m) => migrate(m),
        Command::RestoreDocuments(r) => {
            if !restore_documents::run(r)? {
                std::process::exit(NOT_FOUND);
            }
            Ok(())
        }
        Command::RebuildReadModels(r) => {
            if rebuild(r)? {
                std::process::exit(DRIFTED);
            }
            Ok(())
        }
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

/// A progress bar of `what` for people; none for `--json`.
pub(crate) fn progress_bar(json: bool, what: &str) -> Option<indicatif::ProgressBar> {
    (!json).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        let template = format!("{{bar:40}} {{pos}}/{{len}} {what} {{per_sec}} {{eta}}");
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar
    })
}

/// Rebuilds; returns whether the read models had differed from the log.
fn rebuild(r: RebuildArgs) -> Result<bool> {
    evidence_first(&r)?;
    let bar = progress_bar(r.json, "entries");
    let started = std::time::Instant::now();
    let done = ecenter_store::rebuild_read_models(&r.data_dir, |at, total| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(at);
        }
    })
    .with_context(|| format!("rebuilding the read models of {}", r.data_dir.display()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let changed = done.changed();
    if r.json {
        println!(
            "{}",
            serde_json::json!({
                "entries": done.entries,
                "head_seq": done.head.seq,
                "head_hash": hex::encode(done.head.hash),
                "digest_before": done.before,
                "digest_after": done.after,
                "changed": changed,
                "not_comparable": done.not_comparable,
            })
        );
        return Ok(changed == Some(true));
    }
    println!(
        "read models rebuilt from {} entries in {:.1} s; the log verified to entry {} {}",
        done.entries,
        started.elapsed().as_secs_f64(),
        done.head.seq,
        hex::encode(done.head.hash)
    );
    match (changed, &done.not_comparable) {
        (Some(true), _) => println!(
            "they had differed from the log (digest {} before, {} now): what the hub showed before this rebuild was not what its log says",
            done.before, done.after
        ),
        (Some(false), _) => println!("they had matched the log (digest {})", done.after),
        (None, why) => println!(
            "they were not this build's projection of the log ({}), so whether they had matched it cannot be told; they are now (digest {})",
            why.as_deref().unwrap_or_default(),
            done.after
        ),
    }
    Ok(changed == Some(true))
}

/// Before the real log is opened (sled may rewrite a damaged tail as it opens a log): a private
/// copy of it is audited and judged against the hub's signed checkpoints and witnesses, as the hub
/// does at start. A log shorter than what its checkpoints vouch for, damaged, or missing is
/// refused here, and the data directory is left as it was, evidence included.
fn evidence_first(r: &RebuildArgs) -> Result<()> {
    if !r.data_dir.join("log").join("db").is_file() {
        anyhow::bail!(
            "{} holds no sled log (no log/db): nothing to rebuild from, and nothing was written; \
             is a restore unfinished?",
            r.data_dir.display()
        );
    }
    let config = match &r.config {
        Some(file) => Some(
            ecenter_server::Config::from_file(file)
                .with_context(|| format!("reading {}", file.display()))?,
        ),
        None => None,
    };
    // An instance's replica may end before its own synced checkpoints (its entries are durable
    // in PostgreSQL): brought up to PostgreSQL's head first, as the instance's start does.
    if let Some(ecenter_server::config::StoreConfig::Postgres(pg)) =
        config.as_ref().map(|c| &c.store)
    {
        ecenter_store::SledStore::open_replicated(&r.data_dir, pg)
            .and_then(|replica| replica.close_blocking())
            .with_context(|| {
                format!(
                    "bringing the replica {} up to PostgreSQL",
                    r.data_dir.display()
                )
            })?;
    }
    let checkpoints = config.map(|c| c.checkpoints).unwrap_or_default();
    ecenter_server::checkpoint_policy::precheck(&r.data_dir, &checkpoints, None, true).map_err(
        |e| {
            let hint = match &r.config {
                Some(_) => "",
                None => {
                    " (judged by the checkpoint files and key inside the data directory: if the \
                      hub's [checkpoints] key_file or witness_dirs are elsewhere, or it is an \
                      instance on PostgreSQL, give its configuration with --config)"
                }
            };
            anyhow::anyhow!(
                "the log of {} is refused, nothing was rebuilt or written: {e}{hint}",
                r.data_dir.display()
            )
        },
    )?;
    Ok(())
}

fn migrate(m: MigrateArgs) -> Result<()> {
    let From::Sled = kind::<From>("from", &m.from[0])?;
    let To::Postgres = kind::<To>("to", &m.to[0])?;
    let data_dir = PathBuf::from(&m.from[1]);
    let config = ecenter_store::PostgresConfig {
        ca_file: m.ca_file,
        ..ecenter_store::PostgresConfig::at(m.to[1].clone())
    };
    let bar = progress_bar(m.json, "entries");
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

#[test]
fn a_cause_its_error_already_quotes_is_said_once() {
    let io = std::io::Error::other("d/log is in use by another hub");
    let e = anyhow::Error::new(ecenter_store::StoreError::Io(io)).context("rebuilding d");
    assert_eq!(
        said(&e),
        "rebuilding d: storage I/O error: d/log is in use by another hub"
    );
}

/// clap's own checks (unique argument and group names, valid `requires`), which otherwise panic
/// only when the command is run.
#[test]
fn the_command_line_is_consistent() {
    <Args as clap::CommandFactory>::command().debug_assert();
}
