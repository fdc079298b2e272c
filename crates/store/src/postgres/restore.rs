//! Damaged documents of record put back into PostgreSQL from copies (`ecenter-admin
//! restore-documents`).
//!
//! `clerk scrub --postgres` names each document the log names that the database holds missing,
//! cut short or altered; until now the operator put it back by hand, in SQL, into two tables
//! (outside tests, round 7, F14). This re-hashes the database's documents as the scrub does, then
//! hashes every file it is given (a backup, an instance's `data_dir/blobs`), trusting no file's
//! name: a file whose SHA-256 is a damaged document's name replaces that document's rows, in a
//! transaction of its own, and the document is read back and hashed again before it counts as
//! restored. A document is content-addressed — the log names it by its hash — so a copy that
//! hashes to the name is the document as filed, whoever kept it; a document that is whole is
//! never touched, and nothing else is written.

use super::scrub::{DamagedDocument, DocumentsScrubbed, scrub_postgres_documents};
use super::{Upstream, pg};
use crate::{PostgresConfig, StoreError};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentsRestored {
    /// The re-hash of the database's documents before anything was written.
    pub scrubbed: DocumentsScrubbed,
    /// Files hashed.
    pub files_hashed: u64,
    /// Each damaged document put back, and the file it came from.
    pub restored: Vec<(DamagedDocument, PathBuf)>,
    /// Damaged documents no given file holds: still damaged.
    pub not_found: Vec<DamagedDocument>,
}

/// Re-hashes PostgreSQL's documents and puts back each damaged one a file under `sources` (files,
/// or directories read recursively, not through links to directories) holds. `hashed(done, total)` follows the files hashed.
pub fn restore_postgres_documents(
    config: &PostgresConfig,
    sources: &[PathBuf],
    mut hashed: impl FnMut(u64, u64),
) -> Result<DocumentsRestored, StoreError> {
    let scrubbed = scrub_postgres_documents(config)?;
    let mut done = DocumentsRestored {
        scrubbed,
        ..DocumentsRestored::default()
    };
    if done.scrubbed.damaged.is_empty() {
        return Ok(done);
    }
    let files = files_under(sources)?;
    let mut copies = HashMap::new();
    for (i, path) in files.iter().enumerate() {
        copies
            .entry(sha256_of(path)?)
            .or_insert_with(|| path.clone());
        hashed(i as u64 + 1, files.len() as u64);
    }
    done.files_hashed = files.len() as u64;
    let damaged = std::mem::take(&mut done.scrubbed.damaged);
    super::offline::run_outside_runtime(|| {
        let mut link = Upstream::connect_only(config)?;
        for document in damaged.iter().cloned() {
            match copies.get(&document.sha256) {
                Some(path) => {
                    link.replace_blob(&document.sha256, path)?;
                    done.restored.push((document, path.clone()));
                }
                None => done.not_found.push(document),
            }
        }
        Ok::<_, StoreError>(())
    })?;
    done.scrubbed.damaged = damaged;
    Ok(done)
}

impl Upstream {
    /// Replaces the rows of document `sha256` with the file at `path` (which hashes to it) in a
    /// transaction of its own, then reads it back and hashes it.
    fn replace_blob(&mut self, sha256: &str, path: &Path) -> Result<(), StoreError> {
        let writing = pg("putting a document back");
        self.rt.block_on(async {
            let client = self.client()?;
            client.batch_execute("BEGIN").await.map_err(&writing)?;
            for table in ["ecenter_blob_chunks", "ecenter_blobs"] {
                client
                    .execute(
                        &format!("DELETE FROM {table} WHERE sha256 = $1"),
                        &[&sha256],
                    )
                    .await
                    .map_err(&writing)?;
            }
            Ok::<_, StoreError>(())
        })?;
        let stored = self.upload_blob(sha256, path);
        let committed = match stored {
            Ok(true) => self.rt.block_on(async {
                self.client()?
                    .batch_execute("COMMIT")
                    .await
                    .map_err(&writing)
            }),
            Ok(false) => Err(StoreError::Postgres(format!(
                "document {sha256} was stored by someone else while it was being put back"
            ))),
            Err(e) => Err(e),
        };
        if let Err(e) = committed {
            self.abandon();
            return Err(e);
        }
        match self.rehash(sha256)? {
            Ok(_) => Ok(()),
            Err(found) => Err(StoreError::Postgres(format!(
                "document {sha256}, put back from {}, does not read back whole: {found}",
                path.display()
            ))),
        }
    }
}

/// The regular files at or under `sources`, in order, each once. A symbolic link inside a
/// directory is followed to a file, never to a directory (a link back up would loop for ever).
fn files_under(sources: &[PathBuf]) -> Result<Vec<PathBuf>, StoreError> {
    let mut files = Vec::new();
    let mut pending: Vec<(PathBuf, bool)> =
        sources.iter().rev().map(|p| (p.clone(), true)).collect();
    while let Some((path, given)) = pending.pop() {
        let meta = std::fs::metadata(&path).map_err(|e| named(&path, e))?;
        let linked = !given && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink());
        if meta.is_dir() && !linked {
            let mut inside = std::fs::read_dir(&path)
                .map_err(|e| named(&path, e))?
                .map(|d| d.map(|d| d.path()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| named(&path, e))?;
            inside.sort();
            pending.extend(inside.into_iter().rev().map(|p| (p, false)));
        } else if meta.is_file() {
            files.push(path);
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// The SHA-256 (lowercase hex) of the file at `path`, read a megabyte at a time.
fn sha256_of(path: &Path) -> Result<String, StoreError> {
    let mut file = std::fs::File::open(path).map_err(|e| named(path, e))?;
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0; 1 << 20];
    loop {
        match file.read(&mut buf).map_err(|e| named(path, e))? {
            0 => return Ok(hex::encode(digest.finish())),
            n => digest.update(&buf[..n]),
        }
    }
}

fn named(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(std::io::Error::new(
        e.kind(),
        format!("{}: {e}", path.display()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_back_up_a_directory_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("blobs")).unwrap();
        std::fs::write(dir.path().join("blobs/a"), b"a").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("blobs/up")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("blobs/a"), dir.path().join("blobs/b")).unwrap();
        let found = files_under(&[dir.path().join("blobs")]).unwrap();
        let names: Vec<_> = found.iter().map(|p| p.file_name().unwrap()).collect();
        assert_eq!(names, ["a", "b"]);
    }
}
