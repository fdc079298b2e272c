//! Documents in PostgreSQL: each blob once, by its SHA-256, in chunks of [`CHUNK`] bytes, so that
//! a 100 MiB document streams through in pieces and is never held whole in memory.
//!
//! A hub writes a blob in the transaction of the first entry that names it (so it is durable and
//! replicated before any event names it), and copies every blob an entry of another hub names into
//! its own blob directory before it applies that entry (so every hub reads documents locally).

use super::{Upstream, pg};
use crate::StoreError;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::Path;

/// Bytes per stored chunk.
pub(crate) const CHUNK: usize = 1 << 20;

impl Upstream {
    /// Which of `digests` PostgreSQL holds.
    pub(crate) fn blobs_held(&mut self, digests: &[String]) -> Result<HashSet<String>, StoreError> {
        if digests.is_empty() {
            return Ok(HashSet::new());
        }
        self.rt.block_on(async {
            let rows = self
                .client
                .query(
                    "SELECT sha256 FROM ecenter_blobs WHERE sha256 = ANY($1)",
                    &[&digests],
                )
                .await
                .map_err(pg("looking up documents"))?;
            Ok(rows.into_iter().map(|r| r.get(0)).collect())
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
            self.client
                .execute(
                    "INSERT INTO ecenter_blobs (sha256, size, chunks) VALUES ($1, $2, $3)",
                    &[&sha256, &size_i, &chunks_i],
                )
                .await
                .map_err(pg("storing a document"))?;
            let insert = self
                .client
                .prepare("INSERT INTO ecenter_blob_chunks (sha256, n, data) VALUES ($1, $2, $3)")
                .await
                .map_err(pg("storing a document"))?;
            let mut buf = vec![0; CHUNK];
            for n in 0..chunks_i {
                let len = read_up_to(&mut file, &mut buf)?;
                self.client
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
                .client
                .query_one(
                    "SELECT chunks FROM ecenter_blobs WHERE sha256 = $1",
                    &[&sha256],
                )
                .await
                .map_err(pg("reading a document"))?
                .get(0);
            let select = self
                .client
                .prepare("SELECT data FROM ecenter_blob_chunks WHERE sha256 = $1 AND n = $2")
                .await
                .map_err(pg("reading a document"))?;
            for n in 0..chunks {
                let row = self
                    .client
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
