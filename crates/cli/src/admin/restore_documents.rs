//! `ecenter-admin restore-documents --postgres URL SOURCE…`: each document of record that
//! PostgreSQL holds missing, cut short or altered (what `clerk scrub --postgres` names) put back
//! from a copy that hashes to its name — a backup, or an instance's `data_dir/blobs`.

use anyhow::{Context, Result};
use ecenter_store::postgres::{DamagedDocument, DocumentsRestored, restore_postgres_documents};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub(super) struct RestoreArgs {
    /// The database of record: a libpq connection string or URL.
    #[arg(long, value_name = "URL")]
    postgres: String,
    /// PEM file of the CA of the database's certificate (when the URL asks for TLS).
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Files or directories (read recursively) holding copies of documents, e.g. an instance's
    /// `data_dir/blobs` or a backup; each file is hashed, its name is not trusted.
    #[arg(required = true, value_name = "SOURCE")]
    sources: Vec<PathBuf>,
    /// Print JSON for scripts instead of words (and no progress bar).
    #[arg(long)]
    json: bool,
}

/// Restores; returns whether every document the log names is whole now.
pub(super) fn run(r: RestoreArgs) -> Result<bool> {
    let config = ecenter_store::PostgresConfig {
        ca_file: r.ca_file,
        ..ecenter_store::PostgresConfig::at(r.postgres)
    };
    let bar = super::progress_bar(r.json, "files hashed");
    let done = restore_postgres_documents(&config, &r.sources, |at, total| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(at);
        }
    })
    .context("putting documents back into PostgreSQL")?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if r.json {
        println!("{}", as_json(&done));
    } else {
        print_words(&done);
    }
    Ok(done.not_found.is_empty())
}

fn document(d: &DamagedDocument) -> serde_json::Value {
    serde_json::json!({
        "sha256": d.sha256,
        "entry": d.entry,
        "document": d.document,
        "found": d.found,
    })
}

fn as_json(done: &DocumentsRestored) -> serde_json::Value {
    let restored: Vec<_> = done
        .restored
        .iter()
        .map(|(d, from)| {
            let mut v = document(d);
            v["from"] = from.display().to_string().into();
            v
        })
        .collect();
    serde_json::json!({
        "ok": done.not_found.is_empty(),
        "documents_checked": done.scrubbed.documents_checked,
        "up_to_seq": done.scrubbed.up_to_seq,
        "files_hashed": done.files_hashed,
        "restored": restored,
        "not_found": done.not_found.iter().map(document).collect::<Vec<_>>(),
    })
}

fn print_words(done: &DocumentsRestored) {
    println!(
        "checked {} documents in PostgreSQL named by log entries 1 to {}; {} damaged; {} files hashed",
        done.scrubbed.documents_checked,
        done.scrubbed.up_to_seq,
        done.scrubbed.damaged.len(),
        done.files_hashed
    );
    for (d, from) in &done.restored {
        println!(
            "RESTORED {} ({}, named by entry {}; was: {}) from {} / 文书已恢复",
            d.document,
            d.sha256,
            d.entry,
            d.found,
            from.display()
        );
    }
    for d in &done.not_found {
        println!(
            "NOT FOUND {} ({}, named by entry {}): {}; no file given holds it / 未找到该文书的副本",
            d.document, d.sha256, d.entry, d.found
        );
    }
    if done.not_found.is_empty() {
        println!("every document is as it was filed / 文书均与收到时一致");
    } else {
        println!(
            "give a backup or another instance's data_dir/blobs that holds them, and run it again"
        );
    }
}
