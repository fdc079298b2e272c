//! Documents in PostgreSQL: each blob once, by its SHA-256, in chunks of [`CHUNK`] bytes, so that
//! a 100 MiB document streams through in pieces and is never held whole in memory.
//!
//! A hub sends the blobs its requests placed in a transaction of their own before its batch asks
//! for the chain's head ([`Upstream::upload_ahead`]), and stores whatever the batch's entries name
//! that is still missing in the batch's own transaction: either way a blob is durable and
//! replicated before any event naming it is acknowledged, and the head is not held while documents
//! travel. A hub copies every blob an entry of another hub names into its own blob directory before
//! it applies that entry (so every hub reads documents locally).
//!
//! Several hubs may store the same blob at once (the same document filed on two of them): every
//! insert is `ON CONFLICT DO NOTHING`, so the second waits for the first and then finds it stored.

use super::{Upstream, pg};
use crate::StoreError;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Bytes per stored chunk.
pub(crate) const CHUNK: usize = 1 << 20;

/// Documents of at most one chunk are stored together, this many bytes per statement.
const SMALL_BATCH: usize = 8 << 20;

impl Upstream {
    /// Which of `digests` PostgreSQL holds.
    pub(crate) fn blobs_held(&mut self, digests: &[String]) -> Result<HashSet<String>, StoreError> {
        if digests.is_empty() {
            return Ok(HashSet::new());
        }
        self.rt.block_on(async {
            let rows = self
                .client()?
                .query(
                    "SELECT sha256 FROM ecenter_blobs WHERE sha256 = ANY($1)",
                    &[&digests],
                )
                .await
                .map_err(pg("looking up documents"))?;
            Ok(rows.into_iter().map(|r| r.get(0)).collect())
        })
    }

    /// Stores `blobs` in a transaction of their own, before the batch that will name them asks for
    /// the head, so that the head is not held while they travel.
    ///
    /// The transaction commits with `synchronous_commit = off`: it does not wait for its WAL flush.
    /// No entry names these blobs until a later transaction commits one, and that COMMIT's flush —
    /// and a synchronous standby's — covers every WAL record before it, these included, whichever
    /// hub commits it. A crash in between loses at most blobs nothing names.
    pub(crate) fn upload_ahead(&mut self, blobs: &[(String, PathBuf)]) -> Result<(), StoreError> {
        if blobs.is_empty() {
            return Ok(());
        }
        let begun = self
            .rt
            .block_on(
                self.client()?
                    .batch_execute("BEGIN; SET LOCAL synchronous_commit = off"),
            )
            .map_err(pg("sending documents ahead of a batch"));
        let result = begun
            .and_then(|()| self.upload_blobs(blobs))
            .and_then(|()| {
                self.rt
                    .block_on(self.client()?.batch_execute("COMMIT"))
                    .map_err(pg("sending documents ahead of a batch"))
            });
        if result.is_err() {
            self.abandon();
        }
        result
    }

    /// Copies the blob files into PostgreSQL inside the open transaction: those of one chunk or
    /// less a few statements for all of them, larger ones chunk by chunk. A blob another hub
    /// stored meanwhile is left as it is.
    pub(crate) fn upload_blobs(&mut self, blobs: &[(String, PathBuf)]) -> Result<(), StoreError> {
        let mut small = Vec::new();
        let mut bytes = 0;
        for (sha256, path) in blobs {
            if std::fs::metadata(path)?.len() > CHUNK as u64 {
                self.upload_blob(sha256, path)?;
                continue;
            }
            let data = std::fs::read(path)?;
            bytes += data.len();
            small.push((sha256.as_str(), data));
            if bytes >= SMALL_BATCH {
                self.insert_small(&small)?;
                small.clear();
                bytes = 0;
            }
        }
        self.insert_small(&small)
    }

    /// Stores documents of at most one chunk each: one statement for the documents, one for
    /// their chunks.
    fn insert_small(&mut self, docs: &[(&str, Vec<u8>)]) -> Result<(), StoreError> {
        if docs.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = docs.iter().map(|(n, _)| *n).collect();
        let sizes: Vec<i64> = docs.iter().map(|(_, d)| d.len() as i64).collect();
        let chunks: Vec<i32> = docs.iter().map(|(_, d)| i32::from(!d.is_empty())).collect();
        let (with_data, data): (Vec<&str>, Vec<&[u8]>) = docs
            .iter()
            .filter(|(_, d)| !d.is_empty())
            .map(|(n, d)| (*n, d.as_slice()))
            .unzip();
        self.rt.block_on(async {
            let client = self.client()?;
            client
                .execute(
                    "INSERT INTO ecenter_blobs (sha256, size, chunks)
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[])
                     ON CONFLICT (sha256) DO NOTHING",
                    &[&names, &sizes, &chunks],
                )
                .await
                .map_err(pg("storing documents"))?;
            client
                .execute(
                    "INSERT INTO ecenter_blob_chunks (sha256, n, data)
                     SELECT name, 0, data FROM unnest($1::text[], $2::bytea[]) AS d (name, data)
                     ON CONFLICT (sha256, n) DO NOTHING",
                    &[&with_data, &data],
                )
                .await
                .map_err(pg("storing documents"))?;
            Ok(())
        })
    }

    /// Copies the blob file at `path` into PostgreSQL, chunk by chunk, inside the open
    /// transaction.
    pub(crate) fn upload_blob(&mut self, sha256: &str, path: &Path) -> Result<(), StoreError> {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        let chunks = size.div_ceil(CHUNK as u64);
        let (size_i, chunks_i) = (
            i64::try_from(size).map_err(|_| StoreError::Postgres("a document too large".into()))?,
            i32::try_from(chunks)
                .map_err(|_| StoreError::Postgres("a document too large".into()))?,
        );
        self.rt.block_on(async {
            let client = self.client()?;
            let inserted = client
                .execute(
                    "INSERT INTO ecenter_blobs (sha256, size, chunks) VALUES ($1, $2, $3)
                     ON CONFLICT (sha256) DO NOTHING",
                    &[&sha256, &size_i, &chunks_i],
                )
                .await
                .map_err(pg("storing a document"))?;
            if inserted == 0 {
                // Another hub stored it, chunks and all, in a transaction that committed.
                return Ok(());
            }
            let insert = self
                .client()?
                .prepare("INSERT INTO ecenter_blob_chunks (sha256, n, data) VALUES ($1, $2, $3)")
                .await
                .map_err(pg("storing a document"))?;
            let mut buf = vec![0; CHUNK];
            for n in 0..chunks_i {
                let len = read_up_to(&mut file, &mut buf)?;
                client
                    .execute(&insert, &[&sha256, &n, &&buf[..len]])
                    .await
                    .map_err(pg("storing a document's chunk"))?;
            }
            Ok(())
        })
    }

    /// Writes the blob `sha256` as PostgreSQL holds it to `out`, chunk by chunk.
    pub(crate) fn download_blob(
        &mut self,
        sha256: &str,
        out: &mut std::fs::File,
    ) -> Result<(), StoreError> {
        self.rt.block_on(async {
            let chunks: i32 = self
                .client()?
                .query_one(
                    "SELECT chunks FROM ecenter_blobs WHERE sha256 = $1",
                    &[&sha256],
                )
                .await
                .map_err(pg("reading a document"))?
                .get(0);
            let select = self
                .client()?
                .prepare("SELECT data FROM ecenter_blob_chunks WHERE sha256 = $1 AND n = $2")
                .await
                .map_err(pg("reading a document"))?;
            for n in 0..chunks {
                let row = self
                    .client()?
                    .query_one(&select, &[&sha256, &n])
                    .await
                    .map_err(pg("reading a document's chunk"))?;
                out.write_all(row.get::<_, &[u8]>(0))?;
            }
            Ok(())
        })
    }
}

/// Fills `buf` as far as the file allows; returns how much it read.
fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
