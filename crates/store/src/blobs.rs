//! Content-addressed document bytes: `sha256/ab/<hex>` under the blob root.
//!
//! A blob is written to a temporary file and renamed into place; it becomes durable through
//! [`BlobStore::sync`], which the log writer calls once per batch *before* flushing the events of
//! that batch (group commit for blobs: one `syncfs` instead of two fsyncs per document). A blob is
//! renamed before its filing is queued for the writer, so no durable event ever names a blob that is
//! not durable. Because a renamed file whose sync never happened may hold garbage after a crash, an
//! existing file is trusted for deduplication only after its hash is checked.

use crate::StoreError;
use ring::digest;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The blob directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
    root_dir: std::sync::Arc<File>,
    /// Blobs put in place so far, and how many of them the last sync covered: a flush that follows
    /// no new blob skips the (file-system-wide) sync.
    committed: std::sync::Arc<AtomicU64>,
    synced: std::sync::Arc<AtomicU64>,
}

/// A blob once durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Byte count.
    pub size: u64,
    /// The first bytes, for content sniffing.
    pub head: Vec<u8>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
const HEAD_LEN: usize = 64;

impl BlobStore {
    /// Opens (creating) the blob root and removes temporary files left by a crash.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(root.join("sha256"))?;
        let tmp = root.join("tmp");
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        let root_dir = std::sync::Arc::new(File::open(&root)?);
        Ok(BlobStore {
            root,
            root_dir,
            committed: std::sync::Arc::new(AtomicU64::new(0)),
            synced: std::sync::Arc::new(AtomicU64::new(0)),
        })
    }

    /// Makes every blob renamed so far durable (one `syncfs` of the blob file system), or nothing
    /// when no blob was put in place since the last sync.
    pub fn sync(&self) -> Result<(), StoreError> {
        let committed = self.committed.load(Ordering::Acquire);
        if committed == self.synced.load(Ordering::Acquire) {
            return Ok(());
        }
        rustix::fs::syncfs(&*self.root_dir).map_err(|e| StoreError::Io(e.into()))?;
        self.synced.fetch_max(committed, Ordering::AcqRel);
        Ok(())
    }

    /// Where a blob lives.
    pub fn path(&self, sha256: &str) -> PathBuf {
        let shard = sha256.get(..2).unwrap_or("00");
        self.root.join("sha256").join(shard).join(sha256)
    }

    /// Starts a new blob.
    pub fn writer(&self) -> Result<BlobWriter, StoreError> {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}-{n}", std::process::id()));
        let file = File::create(&tmp)?;
        Ok(BlobWriter {
            store: self.clone(),
            state: Some(WriterState {
                file,
                ctx: digest::Context::new(&digest::SHA256),
                size: 0,
                head: Vec::new(),
            }),
            tmp,
        })
    }

    /// Opens a stored blob for reading.
    pub fn open_read(&self, sha256: &str) -> Result<File, StoreError> {
        File::open(self.path(sha256)).map_err(StoreError::from)
    }

    /// Recomputes a blob's hash, for audits and tests.
    pub fn verify(&self, sha256: &str) -> Result<bool, StoreError> {
        Ok(hash_file(&self.path(sha256))? == sha256)
    }
}

fn hash_file(path: &Path) -> Result<String, StoreError> {
    let mut file = File::open(path)?;
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(hex::encode(ctx.finish()))
}

struct WriterState {
    file: File,
    ctx: digest::Context,
    size: u64,
    head: Vec<u8>,
}

/// A blob being written. Dropping it without [`BlobWriter::commit`] deletes the partial file, so a
/// client that disconnects mid-upload leaves nothing behind.
pub struct BlobWriter {
    store: BlobStore,
    state: Option<WriterState>,
    tmp: PathBuf,
}

impl BlobWriter {
    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.size)
    }

    /// Appends bytes (hashing them) on the blocking pool.
    pub async fn write(&mut self, data: Vec<u8>) -> Result<(), StoreError> {
        let mut state = self.state.take().ok_or(StoreError::BlobWriterSpent)?;
        let (state, result) = tokio::task::spawn_blocking(move || {
            state.ctx.update(&data);
            if state.head.len() < HEAD_LEN {
                let take = (HEAD_LEN - state.head.len()).min(data.len());
                state.head.extend_from_slice(&data[..take]);
            }
            state.size += data.len() as u64;
            let result = state.file.write_all(&data);
            (state, result)
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        self.state = Some(state);
        result.map_err(StoreError::from)
    }

    /// Puts the blob in place under its hash and returns what it is. It is durable after the next
    /// [`BlobStore::sync`].
    pub async fn commit(mut self) -> Result<BlobInfo, StoreError> {
        let state = self.state.take().ok_or(StoreError::BlobWriterSpent)?;
        let tmp = self.tmp.clone();
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let WriterState {
                file,
                ctx,
                size,
                head,
            } = state;
            let sha256 = hex::encode(ctx.finish());
            let dest = store.path(&sha256);
            drop(file);
            let intact = dest.exists() && hash_file(&dest).is_ok_and(|h| h == sha256);
            if intact {
                fs::remove_file(&tmp)?;
            } else {
                fs::create_dir_all(dest.parent().expect("blob path has a parent"))?;
                fs::rename(&tmp, &dest)?;
            }
            store.committed.fetch_add(1, Ordering::AcqRel);
            Ok(BlobInfo { sha256, size, head })
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
    }
}

impl Drop for BlobWriter {
    /// Removes the temporary file whatever happened: after a commit it is already gone, and when the
    /// request was cancelled mid-write (its state then sits in a blocking task) it must not linger.
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blobs_are_stored_under_their_hash_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let mut w = store.writer().unwrap();
        w.write(b"%PDF-1.7 ".to_vec()).await.unwrap();
        w.write("判决书".as_bytes().to_vec()).await.unwrap();
        let info = w.commit().await.unwrap();
        let expected = hex::encode(digest::digest(
            &digest::SHA256,
            "%PDF-1.7 判决书".as_bytes(),
        ));
        assert_eq!(info.sha256, expected);
        assert_eq!(info.size, "%PDF-1.7 判决书".len() as u64);
        assert!(info.head.starts_with(b"%PDF-"));
        assert!(store.verify(&info.sha256).unwrap());
        let mut again = store.writer().unwrap();
        again
            .write("%PDF-1.7 判决书".as_bytes().to_vec())
            .await
            .unwrap();
        assert_eq!(again.commit().await.unwrap().sha256, expected);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        store.sync().unwrap();
    }

    #[tokio::test]
    async fn a_damaged_file_under_a_hash_is_replaced_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let content = b"%PDF-1.7 original".to_vec();
        let sha = hex::encode(digest::digest(&digest::SHA256, &content));
        // What a crash can leave: the name in place, the data not.
        fs::create_dir_all(store.path(&sha).parent().unwrap()).unwrap();
        fs::write(store.path(&sha), b"").unwrap();
        let mut w = store.writer().unwrap();
        w.write(content.clone()).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(fs::read(store.path(&sha)).unwrap(), content);
        assert!(store.verify(&sha).unwrap());
    }

    #[tokio::test]
    async fn a_writer_cancelled_mid_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let mut w = store.writer().unwrap();
        w.write(vec![1; 1000]).await.unwrap();
        {
            // Poll a large write once, then drop it: its state is inside the blocking task.
            let fut = w.write(vec![2; 8 << 20]);
            let mut fut = std::pin::pin!(fut);
            let _ = futures_poll_once(fut.as_mut()).await;
        }
        drop(w);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    async fn futures_poll_once<F: std::future::Future + Unpin>(mut f: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| match std::pin::Pin::new(&mut f).poll(cx) {
            std::task::Poll::Ready(v) => std::task::Poll::Ready(Some(v)),
            std::task::Poll::Pending => std::task::Poll::Ready(None),
        })
        .await
    }

    #[tokio::test]
    async fn an_abandoned_writer_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let mut w = store.writer().unwrap();
        w.write(vec![1; 1000]).await.unwrap();
        drop(w);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        assert_eq!(fs::read_dir(dir.path().join("sha256")).unwrap().count(), 0);
    }
}
