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
//! insert is `ON CONFLICT DO NOTHING`, so the second waits for the first and then finds it stored,
//! and blobs are stored in the order of their names, so that two such transactions cannot each
//! wait for the other.

use super::{Upstream, pg};
use crate::StoreError;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Bytes per stored chunk.
pub(crate) const CHUNK: usize = 1 << 20;

/// Unnamed blobs deleted per transaction by [`Upstream::sweep_unnamed`], at most, and their
/// bytes at most (a larger blob goes alone), and transactions per pass.
const SWEEP_GROUP: i64 = 100;
const SWEEP_BYTES: i64 = 64 << 20;
const SWEEP_GROUPS: usize = 5;

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
    /// the head, so that the head is not held while they travel; each one this transaction
    /// stored is listed in `ecenter_blobs_ahead` until an entry names it (`super::ahead`).
    ///
    /// The transaction commits with `synchronous_commit = off`: it does not wait for its WAL flush.
    /// No entry names these blobs until a later transaction commits one, and that COMMIT's flush —
    /// and a synchronous standby's — covers every WAL record before it, these included, whichever
    /// hub commits it. A crash in between loses at most blobs nothing names.
    pub(crate) fn upload_ahead(&mut self, blobs: &[(String, PathBuf)]) -> Result<(), StoreError> {
        if blobs.is_empty() {
            return Ok(());
        }
        let sending = pg("sending documents ahead of a batch");
        let begun = self
            .rt
            .block_on(
                self.client()?
                    .batch_execute("BEGIN; SET LOCAL synchronous_commit = off"),
            )
            .map_err(&sending);
        let result = begun
            .and_then(|()| self.upload_blobs(blobs))
            .and_then(|stored| {
                self.rt.block_on(async {
                    let client = self.client()?;
                    client
                        .execute(
                            "INSERT INTO ecenter_blobs_ahead (sha256) SELECT unnest($1::text[])
                             ON CONFLICT (sha256) DO NOTHING",
                            &[&stored],
                        )
                        .await
                        .map_err(&sending)?;
                    client.batch_execute("COMMIT").await.map_err(&sending)
                })
            });
        if result.is_err() {
            self.abandon();
        }
        result
    }

    /// Deletes the blobs sent ahead that no entry named within `kept`; returns how many. Under
    /// the head, so that no batch is committing a name for one of them meanwhile (a batch that
    /// takes the head afterwards finds it missing and stores it again from its own disk).
    /// At most [`SWEEP_GROUPS`] groups a pass (the sending thread answers no batch meanwhile);
    /// the second value says whether more may be left.
    pub(crate) fn sweep_unnamed(
        &mut self,
        kept: std::time::Duration,
    ) -> Result<(u64, bool), StoreError> {
        let mut total = 0;
        for _ in 0..SWEEP_GROUPS {
            let deleted = self.sweep_group(kept)?;
            if deleted == 0 {
                return Ok((total, false));
            }
            total += deleted;
        }
        Ok((total, true))
    }

    /// Deletes the oldest unnamed blobs, at most [`SWEEP_GROUP`] of them and [`SWEEP_BYTES`] (but
    /// at least one), in one short transaction that holds the head (the other instances' batches
    /// wait for it, not for the whole sweep).
    fn sweep_group(&mut self, kept: std::time::Duration) -> Result<u64, StoreError> {
        let kept = kept.as_secs_f64();
        let result = self.rt.block_on(async {
            let client = self.client()?;
            let sweeping = pg("deleting documents sent ahead and never named");
            client
                .batch_execute("BEGIN; SELECT 1 FROM ecenter_head FOR UPDATE")
                .await
                .map_err(&sweeping)?;
            let doomed: Vec<String> = client
                .query(
                    "SELECT sha256 FROM (
                         SELECT a.sha256, row_number() OVER w AS n, sum(b.size) OVER w AS bytes
                         FROM ecenter_blobs_ahead a JOIN ecenter_blobs b USING (sha256)
                         WHERE a.sent_at < now() - make_interval(secs => $1)
                         WINDOW w AS (ORDER BY a.sent_at, a.sha256)
                     ) t WHERE n = 1 OR bytes <= $3::bigint ORDER BY n LIMIT $2",
                    &[&kept, &SWEEP_GROUP, &SWEEP_BYTES],
                )
                .await
                .map_err(&sweeping)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for table in ["ecenter_blob_chunks", "ecenter_blobs"] {
                client
                    .execute(
                        &format!("DELETE FROM {table} WHERE sha256 = ANY($1)"),
                        &[&doomed],
                    )
                    .await
                    .map_err(&sweeping)?;
            }
            client.batch_execute("COMMIT").await.map_err(&sweeping)?;
            Ok(doomed.len() as u64)
        });
        if result.is_err() {
            self.abandon();
        }
        result
    }

    /// Copies the blob files into PostgreSQL inside the open transaction, in the order of their
    /// names (so that two hubs storing overlapping sets lock rows in one order): those of one
    /// chunk or less a few statements for several, larger ones chunk by chunk. Each is hashed as
    /// it is read, and one that does not hash to its name fails the transaction. A blob another
    /// hub stored meanwhile is left as it is. Returns the names this transaction stored.
    pub(crate) fn upload_blobs(
        &mut self,
        blobs: &[(String, PathBuf)],
    ) -> Result<Vec<String>, StoreError> {
        let mut sorted: Vec<&(String, PathBuf)> = blobs.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let (mut stored, mut small, mut bytes) = (Vec::new(), Vec::new(), 0);
        for (sha256, path) in sorted {
            if std::fs::metadata(path)?.len() > CHUNK as u64 {
                stored.extend(self.insert_small(&std::mem::take(&mut small))?);
                bytes = 0;
                if self.upload_blob(sha256, path)? {
                    stored.push(sha256.clone());
                }
                continue;
            }
            let data = std::fs::read(path)?;
            if hex::encode(crate::chain::sha256(&data)) != *sha256 {
                return Err(damaged(sha256));
            }
            bytes += data.len();
            small.push((sha256.as_str(), data));
            if bytes >= SMALL_BATCH {
                stored.extend(self.insert_small(&std::mem::take(&mut small))?);
                bytes = 0;
            }
        }
        stored.extend(self.insert_small(&small)?);
        Ok(stored)
    }

    /// Stores documents of at most one chunk each: one statement for the documents, one for
    /// the chunks of those this transaction stored (returned).
    fn insert_small(&mut self, docs: &[(&str, Vec<u8>)]) -> Result<Vec<String>, StoreError> {
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = docs.iter().map(|(n, _)| *n).collect();
        let sizes: Vec<i64> = docs.iter().map(|(_, d)| d.len() as i64).collect();
        let chunks: Vec<i32> = docs.iter().map(|(_, d)| i32::from(!d.is_empty())).collect();
        self.rt.block_on(async {
            let client = self.client()?;
            let stored: std::collections::HashSet<String> = client
                .query(
                    "INSERT INTO ecenter_blobs (sha256, size, chunks)
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[])
                     ON CONFLICT (sha256) DO NOTHING RETURNING sha256",
                    &[&names, &sizes, &chunks],
                )
                .await
                .map_err(pg("storing documents"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            // Those another hub stored have their chunks, committed with them.
            let (with_data, data): (Vec<&str>, Vec<&[u8]>) = docs
                .iter()
                .filter(|(n, d)| !d.is_empty() && stored.contains(*n))
                .map(|(n, d)| (*n, d.as_slice()))
                .unzip();
            client
                .execute(
                    "INSERT INTO ecenter_blob_chunks (sha256, n, data)
                     SELECT name, 0, data FROM unnest($1::text[], $2::bytea[]) AS d (name, data)",
                    &[&with_data, &data],
                )
                .await
                .map_err(pg("storing documents"))?;
            Ok(stored.into_iter().collect())
        })
    }

    /// Copies the blob file at `path` into PostgreSQL, chunk by chunk, inside the open
    /// transaction, hashing it as it goes; returns whether this transaction stored it (false:
    /// another hub's committed first).
    pub(crate) fn upload_blob(&mut self, sha256: &str, path: &Path) -> Result<bool, StoreError> {
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
                return Ok(false);
            }
            let insert = self
                .client()?
                .prepare("INSERT INTO ecenter_blob_chunks (sha256, n, data) VALUES ($1, $2, $3)")
                .await
                .map_err(pg("storing a document"))?;
            let mut buf = vec![0; CHUNK];
            let mut hashing = ring::digest::Context::new(&ring::digest::SHA256);
            for n in 0..chunks_i {
                let len = read_up_to(&mut file, &mut buf)?;
                hashing.update(&buf[..len]);
                client
                    .execute(&insert, &[&sha256, &n, &&buf[..len]])
                    .await
                    .map_err(pg("storing a document's chunk"))?;
            }
            if hex::encode(hashing.finish()) != sha256 {
                return Err(damaged(sha256));
            }
            Ok(true)
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

/// A document whose bytes on this hub's disk do not hash to its name: it must not be stored.
fn damaged(sha256: &str) -> StoreError {
    StoreError::Database(format!(
        "document {sha256} on this hub's disk does not hash to its name; not stored"
    ))
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
