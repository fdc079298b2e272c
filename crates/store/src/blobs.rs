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
    /// Blobs put in place by requests whose events are not yet durable (see [`PlacedBlob`]).
    pending: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Pending>>>,
    /// Damage already reported since the store opened (see [`BlobStore::first_report`]).
    reported: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    hook: Hook,
}

/// Told the name of every blob put in place (see [`BlobStore::on_placed`]).
pub(crate) type PlacedHook = Box<dyn Fn(&str) + Send + Sync>;

#[derive(Clone, Default)]
struct Hook(std::sync::Arc<std::sync::OnceLock<PlacedHook>>);

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Hook(set)"
        } else {
            "Hook(none)"
        })
    }
}

/// Requests holding a blob they put in place (or found in place) before their events are durable.
#[derive(Debug, Default)]
struct Pending {
    holders: usize,
    /// Some holder's events named it durably: it stays.
    kept: bool,
    /// A holder made the file (it did not exist before): it goes if nobody keeps it.
    created: bool,
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
            pending: Default::default(),
            reported: Default::default(),
            hook: Hook::default(),
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

    /// Every file in place, with its name (hex SHA-256).
    fn each_blob(
        &self,
        mut f: impl FnMut(String, fs::DirEntry) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        for shard in fs::read_dir(self.root.join("sha256"))? {
            let shard = shard?.path();
            if shard.is_dir() {
                for entry in fs::read_dir(&shard)? {
                    let entry = entry?;
                    f(entry.file_name().to_string_lossy().into_owned(), entry)?;
                }
            }
        }
        Ok(())
    }

    /// The names (hex SHA-256) of every blob in place.
    pub fn names(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut out = std::collections::HashSet::new();
        self.each_blob(|name, _| {
            out.insert(name);
            Ok(())
        })?;
        Ok(out)
    }

    /// Removes every blob whose hash `referenced` does not know — what refused or abandoned
    /// uploads of an earlier run left — or moves it into `set_aside` when given (after a loss of
    /// log entries such blobs are what is left of the lost filings). Returns the files and bytes.
    /// Run it only when no request is in flight (at start-up).
    pub fn remove_unreferenced(
        &self,
        referenced: &dyn Fn(&str) -> bool,
        set_aside: Option<&Path>,
    ) -> Result<(u64, u64), StoreError> {
        let (mut files, mut bytes) = (0, 0);
        if let Some(dir) = set_aside {
            fs::create_dir_all(dir)?;
        }
        self.each_blob(|name, entry| {
            let meta = entry.metadata()?;
            if meta.is_file() && !referenced(&name) {
                match set_aside {
                    Some(dir) => fs::rename(entry.path(), dir.join(&name))?,
                    None => fs::remove_file(entry.path())?,
                }
                files += 1;
                bytes += meta.len();
            }
            Ok(())
        })?;
        Ok((files, bytes))
    }

    /// Whether `damage` (a blob and what was found) is reported for the first time since the store
    /// opened: it is recorded once, not once per reader.
    pub fn first_report(&self, damage: &str) -> bool {
        self.reported
            .lock()
            .expect("reported lock")
            .insert(damage.to_string())
    }

    /// Puts a blob copied from elsewhere (another hub's, through PostgreSQL) in place: `fill`
    /// writes it to a temporary file, which goes in place only when its SHA-256 is `sha256`.
    /// Durable after the next [`BlobStore::sync`].
    pub(crate) fn put_verified(
        &self,
        sha256: &str,
        fill: impl FnOnce(&mut File) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}-copy-{n}", std::process::id()));
        let result = File::create(&tmp)
            .map_err(StoreError::from)
            .and_then(|mut file| fill(&mut file))
            .and_then(|()| {
                let got = hash_file(&tmp)?;
                if got != sha256 {
                    return Err(StoreError::Database(format!(
                        "the copy of document {sha256} hashes to {got}: not put in place"
                    )));
                }
                let dest = self.path(sha256);
                fs::create_dir_all(dest.parent().expect("blob path has a parent"))?;
                fs::rename(&tmp, &dest)?;
                self.committed.fetch_add(1, Ordering::AcqRel);
                Ok(())
            });
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Has `hook` told the name of every blob put in place from now on (a replica sends them to
    /// PostgreSQL ahead of the batch that will name them). One hook per store; a second is ignored.
    pub(crate) fn on_placed(&self, hook: PlacedHook) {
        let _ = self.hook.0.set(hook);
    }

    /// Recomputes a blob's hash, for audits and tests.
    pub fn verify(&self, sha256: &str) -> Result<bool, StoreError> {
        Ok(hash_file(&self.path(sha256))? == sha256)
    }
}

/// Every run of exactly 64 lowercase hex digits in `text`: how log entries name blobs.
pub fn hex_digests(text: &[u8]) -> impl Iterator<Item = &str> {
    let hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    text.split(move |b| !hex(b))
        .filter(|run| run.len() == 64)
        .filter_map(|run| std::str::from_utf8(run).ok())
}

/// The documents a filing's `received` event names: these must exist wherever the entry is.
/// (Other events name documents too; [`named_documents`] finds every name, but cannot tell a
/// missing document from another kind of hash.)
pub(crate) fn filed_documents(event: &ecenter_domain::Event) -> Vec<&str> {
    match event {
        ecenter_domain::Event::FilingReceived(f) => {
            f.documents.iter().map(|d| d.sha256.as_str()).collect()
        }
        _ => Vec::new(),
    }
}

/// The documents (64-hex names) entry bodies name, each once, in order.
pub(crate) fn named_documents<'a>(bodies: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    for body in bodies {
        seen.extend(hex_digests(body).map(str::to_string));
    }
    seen.into_iter().collect()
}

fn hash_file(path: &Path) -> Result<String, StoreError> {
    Ok(hash_file_sized(path)?.0)
}

/// SHA-256 (lowercase hex) and size of a file, read in blocks of at most 1 MiB.
pub fn hash_file_sized(path: &Path) -> std::io::Result<(String, u64)> {
    let len = fs::metadata(path)?.len().clamp(1, 1 << 20);
    hash_file_with(path, &mut vec![0; len as usize])
}

/// [`hash_file_sized`] with the caller's buffer (a pass over many files reuses one).
pub fn hash_file_with(path: &Path, buf: &mut [u8]) -> std::io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut size = 0u64;
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            return Ok((hex::encode(ctx.finish()), size));
        }
        ctx.update(&buf[..n]);
        size += n as u64;
    }
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

    /// Ends the blob: hashed and closed, still in the temporary directory, so it can be checked
    /// against what was announced before anything is put in place.
    pub async fn finish(mut self) -> Result<FinishedBlob, StoreError> {
        let state = self.state.take().ok_or(StoreError::BlobWriterSpent)?;
        let info = tokio::task::spawn_blocking(move || {
            let WriterState {
                file,
                ctx,
                size,
                head,
            } = state;
            drop(file);
            BlobInfo {
                sha256: hex::encode(ctx.finish()),
                size,
                head,
            }
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        Ok(FinishedBlob {
            store: self.store.clone(),
            tmp: std::mem::take(&mut self.tmp),
            info,
        })
    }

    /// Puts the blob in place under its hash (kept: the caller records it) and returns what it
    /// is. It is durable after the next [`BlobStore::sync`].
    pub async fn commit(self) -> Result<BlobInfo, StoreError> {
        let finished = self.finish().await?;
        let info = finished.info.clone();
        finished.place().await?.keep();
        Ok(info)
    }
}

/// A blob received and hashed but not in place: dropping it removes the file.
pub struct FinishedBlob {
    store: BlobStore,
    tmp: PathBuf,
    /// What it is.
    pub info: BlobInfo,
}

impl FinishedBlob {
    /// The temporary file (to look inside it before it is accepted).
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Puts it in place under its hash. The blob stays only if [`PlacedBlob::keep`] is called
    /// once the events naming it are durable; a request refused after this removes what it placed.
    pub async fn place(mut self) -> Result<PlacedBlob, StoreError> {
        let tmp = std::mem::take(&mut self.tmp);
        let store = self.store.clone();
        let sha256 = self.info.sha256.clone();
        tokio::task::spawn_blocking(move || {
            let dest = store.path(&sha256);
            let mut pending = store.pending.lock().expect("pending lock");
            let p = pending.entry(sha256.clone()).or_default();
            let existed = dest.exists();
            if existed && hash_file(&dest).is_ok_and(|h| h == sha256) {
                fs::remove_file(&tmp)?;
            } else {
                fs::create_dir_all(dest.parent().expect("blob path has a parent"))?;
                fs::rename(&tmp, &dest)?;
                p.created |= !existed;
            }
            p.holders += 1;
            store.committed.fetch_add(1, Ordering::AcqRel);
            drop(pending);
            if let Some(hook) = store.hook.0.get() {
                hook(&sha256);
            }
            Ok(PlacedBlob {
                store: store.clone(),
                sha256,
                kept: false,
            })
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
    }
}

impl Drop for FinishedBlob {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// A blob in place that a request holds until its events are durable.
#[derive(Debug)]
pub struct PlacedBlob {
    store: BlobStore,
    sha256: String,
    kept: bool,
}

impl PlacedBlob {
    /// The events naming the blob are durable: it stays.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for PlacedBlob {
    /// The last holder of a blob that no holder kept, and that a holder created, removes it.
    fn drop(&mut self) {
        let mut pending = self.store.pending.lock().expect("pending lock");
        let Some(p) = pending.get_mut(&self.sha256) else {
            return;
        };
        p.holders -= 1;
        p.kept |= self.kept;
        if p.holders == 0 {
            if p.created && !p.kept {
                let _ = fs::remove_file(self.store.path(&self.sha256));
            }
            pending.remove(&self.sha256);
        }
    }
}

impl Drop for BlobWriter {
    /// Removes the temporary file whatever happened: after a commit it is already gone, and when the
    /// request was cancelled mid-write (its state then sits in a blocking task) it must not linger.
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
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

    async fn finished(store: &BlobStore, data: &[u8]) -> FinishedBlob {
        let mut w = store.writer().unwrap();
        w.write(data.to_vec()).await.unwrap();
        w.finish().await.unwrap()
    }

    #[tokio::test]
    async fn a_placed_blob_nobody_keeps_goes_and_one_anybody_keeps_stays() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        // Finished but never placed: nothing anywhere.
        let f = finished(&store, b"refused before placing").await;
        assert!(f.path().exists());
        let tmp = f.path().to_path_buf();
        drop(f);
        assert!(!tmp.exists());
        // Placed, then the request refused: gone.
        let p = finished(&store, b"refused after placing")
            .await
            .place()
            .await
            .unwrap();
        let path = store.path(&p.sha256);
        assert!(path.exists());
        drop(p);
        assert!(!path.exists());
        // Two requests with the same bytes: the refused one leaves it to the kept one.
        let a = finished(&store, b"shared").await.place().await.unwrap();
        let b = finished(&store, b"shared").await.place().await.unwrap();
        let path = store.path(&a.sha256);
        b.keep();
        drop(a);
        assert!(path.exists(), "kept by the other request");
        // A blob already durable before the request: a refusal does not touch it.
        let c = finished(&store, b"shared").await.place().await.unwrap();
        drop(c);
        assert!(path.exists(), "it was there before the refused request");
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn digests_are_found_as_whole_runs_of_64_hex_digits() {
        let a = "ab".repeat(32);
        let text = format!(
            "{{\"sha256\":\"{a}\",\"x\":\"{}\",\"y\":\"{a}0\"}}",
            "c".repeat(63)
        );
        assert_eq!(
            hex_digests(text.as_bytes()).collect::<Vec<_>>(),
            vec![a.as_str()]
        );
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
