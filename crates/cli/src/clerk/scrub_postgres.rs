//! `clerk scrub --postgres URL`: the documents of record in PostgreSQL re-hashed, offline — what an
//! auditor runs against the database itself (or a restored copy of it) rather than against one
//! instance's copies (`clerk scrub --hub`).

use anyhow::Result;
use ecenter_store::postgres::{DocumentsScrubbed, scrub_postgres_documents};
use std::path::PathBuf;

/// Re-hashes every document PostgreSQL's log names; `Ok(false)` (exit 1) when any is damaged.
pub(super) fn run(url: String, ca_file: Option<PathBuf>, json: bool) -> Result<bool> {
    let config = ecenter_store::PostgresConfig {
        ca_file,
        ..ecenter_store::PostgresConfig::at(url)
    };
    let found = scrub_postgres_documents(&config).map_err(|e| {
        // The database down or unreachable: retry later (exit 3), as `verify-log --postgres`.
        let code = if e.to_string().contains("connecting to PostgreSQL") {
            ecenter_client::exit::UNREACHABLE
        } else {
            ecenter_client::exit::REFUSED
        };
        let e = anyhow::anyhow!("re-hashing the documents in PostgreSQL: {e}");
        ecenter_client::exit::Exit(code, e).into_error()
    })?;
    if json {
        println!("{}", as_json(&found));
    } else {
        print_words(&found);
    }
    Ok(found.damaged.is_empty())
}

fn as_json(found: &DocumentsScrubbed) -> serde_json::Value {
    let damaged: Vec<_> = found
        .damaged
        .iter()
        .map(|d| {
            serde_json::json!({
                "sha256": d.sha256,
                "entry": d.entry,
                "document": d.document,
                "found": d.found,
            })
        })
        .collect();
    serde_json::json!({
        "ok": found.damaged.is_empty(),
        "documents_checked": found.documents_checked,
        "bytes_checked": found.bytes_checked,
        "up_to_seq": found.up_to_seq,
        "damaged": damaged,
    })
}

fn print_words(found: &DocumentsScrubbed) {
    println!(
        "checked {} documents ({} bytes) in PostgreSQL named by log entries 1 to {}",
        found.documents_checked, found.bytes_checked, found.up_to_seq
    );
    for d in &found.damaged {
        println!(
            "DAMAGED {} ({}, named by entry {}): {} / 文书已损坏",
            d.document, d.sha256, d.entry, d.found
        );
    }
    if found.damaged.is_empty() {
        println!("every document is as it was filed / 文书均与收到时一致");
    } else {
        println!(
            "restore these from a backup of the database, or from an instance's copy \
             (data_dir/blobs, checked by `clerk scrub --hub`): docs/DEPLOYMENT.md"
        );
    }
}
