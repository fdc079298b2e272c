//! `clerk scrub --postgres URL`: the documents of record in PostgreSQL re-hashed, offline — what an
//! auditor runs against the database itself (or a restored copy of it) rather than against one
//! instance's copies (`clerk scrub --hub`).

use anyhow::Result;
use ecenter_client::table::printable;
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
        let code = if matches!(e, ecenter_store::StoreError::Unreachable(_)) {
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
    let stray: Vec<_> = found
        .stray_chunks
        .iter()
        .map(|s| {
            serde_json::json!({
                "sha256": s.sha256,
                "chunks_recorded": s.recorded,
                "rows": s.rows,
                "first": s.first,
                "last": s.last,
            })
        })
        .collect();
    serde_json::json!({
        "ok": found.damaged.is_empty(),
        "documents_checked": found.documents_checked,
        "bytes_checked": found.bytes_checked,
        "up_to_seq": found.up_to_seq,
        "damaged": damaged,
        "stray_chunks": stray,
    })
}

fn print_words(found: &DocumentsScrubbed) {
    println!(
        "checked {} documents ({} bytes) in PostgreSQL named by log entries 1 to {}",
        found.documents_checked, found.bytes_checked, found.up_to_seq
    );
    for d in &found.damaged {
        let line = format!(
            "DAMAGED {} ({}, named by entry {}): {} / 文书已损坏",
            d.document, d.sha256, d.entry, d.found
        );
        println!("{}", printable(&line));
    }
    for s in &found.stray_chunks {
        println!("WARNING: {}", printable(&stray_words(s)));
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

/// Stray chunk rows in words: what they are, that no document is changed by them, and the
/// statement that removes them once the clerk has kept what they hold. The statement quotes
/// nothing read from the database but a name that is a SHA-256 (64 hex digits): a planted name
/// may be SQL (outside tests, round 11, F1).
fn stray_words(s: &ecenter_store::postgres::StrayChunks) -> String {
    // As the hubs name documents: 64 lower-case hex digits (outside tests, round 12, F3).
    let named = s.sha256.len() == 64
        && s.sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let (what, delete) = match (s.recorded, named) {
        (Some(chunks), true) => (
            format!(
                "outside its chunks 0 to {} (ecenter_blobs records {chunks})",
                i64::from(chunks) - 1
            ),
            format!(
                "DELETE FROM ecenter_blob_chunks WHERE sha256 = '{}' AND (n >= {chunks} OR n < 0)",
                s.sha256
            ),
        ),
        (None, true) => (
            "of a document ecenter_blobs has no row for, which no entry names".to_string(),
            format!(
                "DELETE FROM ecenter_blob_chunks WHERE sha256 = '{}'",
                s.sha256
            ),
        ),
        (_, false) => (
            "under a name that is no SHA-256".to_string(),
            "DELETE FROM ecenter_blob_chunks WHERE sha256 !~ '^[0-9a-f]{64}$'".to_string(),
        ),
    };
    format!(
        "ecenter_blob_chunks holds {} row(s), chunks {} to {}, for {} {what}: no reader reads \
         them and the document is unchanged, but they were written around the hubs; keep a copy \
         as evidence, then `{delete}` / 文书分块表中有非实例写入的记录",
        s.rows, s.first, s.last, s.sha256
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecenter_store::postgres::StrayChunks;

    fn stray(sha256: &str, recorded: Option<u32>) -> StrayChunks {
        StrayChunks {
            sha256: sha256.into(),
            recorded,
            rows: 1,
            first: -1,
            last: -1,
        }
    }

    #[test]
    fn the_statement_given_never_quotes_a_planted_name() {
        let genuine = "ab".repeat(32);
        let said = stray_words(&stray(&genuine, Some(2)));
        assert!(
            said.contains(&format!(
                "`DELETE FROM ecenter_blob_chunks WHERE sha256 = '{genuine}' AND (n >= 2 OR n < 0)`"
            )) && said.contains("outside its chunks 0 to 1"),
            "{said}"
        );
        let upper = stray(&"AB".repeat(32), Some(1));
        let said = stray_words(&upper);
        assert!(said.contains("sha256 !~ '^[0-9a-f]{64}$'"), "{said}");
        let planted = stray("x' OR 'a'='a", None);
        let said = stray_words(&planted);
        let statement = said.split('`').nth(1).unwrap();
        assert_eq!(
            statement,
            "DELETE FROM ecenter_blob_chunks WHERE sha256 !~ '^[0-9a-f]{64}$'"
        );
    }
}
