//! The documents of record in PostgreSQL re-hashed (`clerk scrub --postgres`).
//!
//! An instance checks every document it copies from PostgreSQL, and `clerk scrub --hub` re-hashes
//! a running instance's own copies; but the database — the log of record, the thing backed up and
//! restored — could hold a damaged or replaced document for ever unseen, found only when an
//! instance with an empty `data_dir` refused to rebuild from it (outside tests, round 7, F14).
//! This reads every document an entry of the log names, chunk by chunk in order (a 100 MiB
//! document is never held whole), and hashes it: the SHA-256 it is named by, and the size
//! `ecenter_blobs` records, must both come out. Each document is read once, however many entries
//! name it; damage is reported with the first entry naming it. An entry that does not decode ends
//! the scrub, named. Chunk rows no reader reads (past a document's last chunk, or of no recorded
//! document) are listed too: harmless to the documents, but written around the hubs (outside
//! tests, round 10, F4). Nothing is written.

use super::{Upstream, pg, rows_after};
use crate::{PostgresConfig, StoreError};
use std::collections::HashSet;

/// Entries read per query.
const PAGE: usize = 1000;

/// What a re-hash of PostgreSQL's documents found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentsScrubbed {
    /// Documents read (each once).
    pub documents_checked: u64,
    /// Their bytes, as read.
    pub bytes_checked: u64,
    /// The log was read up to this entry (its head when the scrub began).
    pub up_to_seq: u64,
    /// Each document missing, cut short or altered.
    pub damaged: Vec<DamagedDocument>,
    /// Chunk rows no document reads: past a document's last chunk, or of a document with no
    /// row in `ecenter_blobs` that no entry names (the hubs write a document's rows in one
    /// transaction, so these were written around them). The first hundred documents' worth.
    pub stray_chunks: Vec<StrayChunks>,
}

/// Rows of `ecenter_blob_chunks` for one document that no reader of it ever reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrayChunks {
    /// The document's SHA-256 (lowercase hex).
    pub sha256: String,
    /// How many chunks `ecenter_blobs` records for it; `None` when it has no row there.
    pub recorded: Option<u32>,
    /// How many stray rows, and the first and last chunk number among them.
    pub rows: u64,
    /// The lowest stray chunk number.
    pub first: i32,
    /// The highest.
    pub last: i32,
}

/// A document of the log that PostgreSQL does not hold as it was filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedDocument {
    /// The SHA-256 (lowercase hex) the log names it by.
    pub sha256: String,
    /// The first entry naming it.
    pub entry: u64,
    /// How people name it (`filing F… document D1`, `seal …`).
    pub document: String,
    /// What was found instead: missing, a chunk missing, or the content's hash and size.
    pub found: String,
}

/// Re-hashes every document the entries of PostgreSQL's log name, up to its head.
pub fn scrub_postgres_documents(config: &PostgresConfig) -> Result<DocumentsScrubbed, StoreError> {
    super::offline::run_outside_runtime(|| {
        let mut link = Upstream::connect_only(config)?;
        let head = link.head()?.seq;
        let mut found = DocumentsScrubbed {
            up_to_seq: head,
            ..DocumentsScrubbed::default()
        };
        let mut seen = HashSet::new();
        let mut after = 0;
        while after < head {
            let rows = link.rt.block_on(rows_after(link.client()?, after, PAGE))?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            for row in rows.iter().filter(|r| r.seq <= head) {
                for (sha256, document) in documents_named(row)? {
                    if !seen.insert(sha256.clone()) {
                        continue;
                    }
                    found.documents_checked += 1;
                    match link.rehash(&sha256)? {
                        Ok(bytes) => found.bytes_checked += bytes,
                        Err(what) => found.damaged.push(DamagedDocument {
                            sha256,
                            entry: row.seq,
                            document,
                            found: what,
                        }),
                    }
                }
            }
        }
        let reported: HashSet<&str> = found.damaged.iter().map(|d| d.sha256.as_str()).collect();
        let stray = link.stray_chunks()?;
        found.stray_chunks = stray
            .into_iter()
            .filter(|s| !reported.contains(s.sha256.as_str()))
            .collect();
        Ok(found)
    })
}

/// The documents the entry in `row` names, with how people name each; an entry that does not
/// decode is named (`clerk verify-log --postgres` says more).
fn documents_named(row: &super::Row) -> Result<Vec<(String, String)>, StoreError> {
    let entry = crate::chain::decode_entry(&crate::chain::entry_key(row.seq), &row.value)
        .map_err(StoreError::Chain)?;
    Ok(entry.event.documents_named())
}

impl Upstream {
    /// Chunk rows past their document's recorded count, or of no recorded document (one
    /// statement; the rows' data is not read).
    fn stray_chunks(&mut self) -> Result<Vec<StrayChunks>, StoreError> {
        self.rt.block_on(async {
            let rows = self
                .client()?
                .query(
                    "SELECT c.sha256, b.chunks, count(*), min(c.n), max(c.n) \
                     FROM ecenter_blob_chunks c LEFT JOIN ecenter_blobs b USING (sha256) \
                     WHERE b.sha256 IS NULL OR c.n >= b.chunks OR c.n < 0 \
                     GROUP BY c.sha256, b.chunks ORDER BY c.sha256 LIMIT 100",
                    &[],
                )
                .await
                .map_err(pg("looking for chunk rows no document reads"))?;
            Ok(rows
                .iter()
                .map(|r| StrayChunks {
                    sha256: r.get(0),
                    recorded: r.get::<_, Option<i32>>(1).map(|c| c.max(0) as u32),
                    rows: r.get::<_, i64>(2).max(0) as u64,
                    first: r.get(3),
                    last: r.get(4),
                })
                .collect())
        })
    }

    /// Reads the document `sha256` as PostgreSQL holds it and hashes it: its size when it is
    /// whole and hashes to its name, else what was found.
    pub(super) fn rehash(&mut self, sha256: &str) -> Result<Result<u64, String>, StoreError> {
        let reading = pg("re-hashing a document");
        self.rt.block_on(async {
            let client = self.client()?;
            let Some(row) = client
                .query_opt(
                    "SELECT size, chunks FROM ecenter_blobs WHERE sha256 = $1",
                    &[&sha256],
                )
                .await
                .map_err(&reading)?
            else {
                return Ok(Err("missing: ecenter_blobs has no row for it".into()));
            };
            let (size, chunks): (i64, i32) = (row.get(0), row.get(1));
            let select = client
                .prepare("SELECT data FROM ecenter_blob_chunks WHERE sha256 = $1 AND n = $2")
                .await
                .map_err(&reading)?;
            let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
            let mut read = 0u64;
            for n in 0..chunks {
                let Some(chunk) = client
                    .query_opt(&select, &[&sha256, &n])
                    .await
                    .map_err(&reading)?
                else {
                    return Ok(Err(format!("chunk {n} of its {chunks} is missing")));
                };
                let data: &[u8] = chunk.get(0);
                digest.update(data);
                read += data.len() as u64;
            }
            let hashed = hex::encode(digest.finish());
            if hashed == sha256 && i64::try_from(read) != Ok(size) {
                return Ok(Err(format!(
                    "its content is whole (it hashes to its name, {read} bytes), but its row in \
                     ecenter_blobs records {size} bytes: the row was changed around the hubs"
                )));
            }
            if hashed != sha256 {
                return Ok(Err(format!(
                    "its content hashes to {hashed} ({read} bytes; ecenter_blobs records {size})"
                )));
            }
            Ok(Ok(read))
        })
    }
}
