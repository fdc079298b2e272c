//! Stored documents handed out only as they were received: every read hashes what it reads and
//! compares it with the SHA-256 the log names the document by. A document that is missing or
//! altered on disk is never served as if it were whole: the caller gets DATA_LOSS naming the
//! document, and the log gets a `blob_corrupt` event saying what was found (once per read).
//!
//! Whole reads ([`read_verified`]) check before returning anything. Streams ([`stream_verified`])
//! hash the whole file before the first chunk, so damaged bytes are not sent at all; the bytes
//! are hashed again as they go, and a file that changes in between ends the stream with DATA_LOSS
//! instead of OK. A damaged document is recorded once per hub run and kind of damage, so that
//! readers cannot grow the log by asking again; every request is still refused.

use crate::filing::ChunkStream;
use ecenter_domain::Event;
use ecenter_proto::v1 as pb;
use ecenter_store::{EventStore, ReadView};
use std::io::Read;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

/// Chunks streamed to clients are at most this large.
const CHUNK: usize = 1 << 20;

/// A stored document as the log names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// How people name it in messages and in the `blob_corrupt` event.
    pub label: String,
}

impl StoredDocument {
    /// `sha256` named `label`.
    pub fn new(sha256: &str, label: impl Into<String>) -> Self {
        StoredDocument {
            sha256: sha256.to_string(),
            label: label.into(),
        }
    }
}

/// What a check of stored bytes found, when they are not what the log names.
fn damage(doc: &StoredDocument, read: Result<(String, u64), std::io::Error>) -> Option<String> {
    match read {
        Ok((sha, _)) if sha == doc.sha256 => None,
        Ok((sha, size)) => Some(format!("content with SHA-256 {sha}, {size} bytes")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("missing".into()),
        Err(e) => Some(format!("unreadable ({e})")),
    }
}

fn data_loss(doc: &StoredDocument, found: &str) -> Status {
    Status::data_loss(format!(
        "{} is damaged in the hub's store (expected SHA-256 {}, found {found}); it is not handed out. \
         The hub recorded it for the court's administrators, who restore it from a backup",
        doc.label, doc.sha256
    ))
}

/// Records that `doc` was found damaged, and answers DATA_LOSS.
pub async fn report<S: EventStore>(
    store: &S,
    doc: &StoredDocument,
    found: String,
    operation: &str,
) -> Status {
    let status = data_loss(doc, &found);
    if !store
        .blobs()
        .first_report(&format!("{} {found}", doc.sha256))
    {
        return status;
    }
    tracing::error!(document = %doc.label, sha256 = %doc.sha256, %found, operation, "stored document damaged");
    let event = Event::BlobCorrupt {
        sha256: doc.sha256.clone(),
        document: doc.label.clone(),
        found,
        operation: operation.to_string(),
    };
    if let Err(e) = store
        .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
        .await
    {
        tracing::error!(error = %e, "the damaged document could not be recorded");
    }
    status
}

/// The whole document, after checking its hash (DATA_LOSS, recorded, when it does not match).
pub async fn read_verified<S: EventStore>(
    store: &S,
    doc: &StoredDocument,
    operation: &str,
) -> Result<Vec<u8>, Status> {
    let path = store.blobs().path(&doc.sha256);
    let read = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(|_| Status::internal("reading a stored document failed"))?;
    let checked = read.map(|bytes| {
        let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
        let size = bytes.len() as u64;
        (bytes, sha, size)
    });
    match checked {
        Ok((bytes, sha, _)) if sha == doc.sha256 => Ok(bytes),
        other => {
            let found = damage(doc, other.map(|(_, sha, size)| (sha, size))).unwrap_or_default();
            Err(report(store, doc, found, operation).await)
        }
    }
}

/// The document as a stream of chunks, hashed on the way; a document that does not match ends the
/// stream with DATA_LOSS (and is recorded). A missing one is refused before streaming.
pub async fn stream_verified<S: EventStore>(
    store: Arc<S>,
    doc: StoredDocument,
    operation: &'static str,
) -> Result<ChunkStream, Status> {
    let path = store.blobs().path(&doc.sha256);
    let checked = tokio::task::spawn_blocking(move || {
        let hashed = ecenter_store::blobs::hash_file_sized(&path);
        hashed.and_then(|h| std::fs::File::open(&path).map(|f| (h, f)))
    })
    .await
    .map_err(|_| Status::internal("reading a stored document failed"))?;
    let file = match checked {
        Ok(((sha, _), f)) if sha == doc.sha256 => f,
        other => {
            let found = damage(&doc, other.map(|(h, _)| h)).unwrap_or_default();
            return Err(report(&*store, &doc, found, operation).await);
        }
    };
    let (tx, rx) = mpsc::channel(4);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let outcome = send_chunks(file, &tx);
        let status = match outcome {
            Ok((sha, _)) if sha == doc.sha256 => return,
            Ok(found) => damage(&doc, Ok(found)),
            Err(SendEnd::Gone) => return,
            Err(SendEnd::Io(e)) => damage(&doc, Err(e)),
        };
        let found = status.unwrap_or_default();
        let status = handle.block_on(report(&*store, &doc, found, operation));
        let _ = tx.blocking_send(Err(status));
    });
    Ok(Box::pin(ReceiverStream::new(rx)))
}

enum SendEnd {
    /// The client went away.
    Gone,
    /// Reading failed.
    Io(std::io::Error),
}

/// Sends the file in chunks; returns the SHA-256 and size of what was read.
fn send_chunks(
    mut file: std::fs::File,
    tx: &mpsc::Sender<Result<pb::DocumentChunk, Status>>,
) -> Result<(String, u64), SendEnd> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut size = 0u64;
    loop {
        let mut buf = vec![0; CHUNK];
        let n = read_full(&mut file, &mut buf).map_err(SendEnd::Io)?;
        if n == 0 {
            return Ok((hex::encode(ctx.finish()), size));
        }
        buf.truncate(n);
        ctx.update(&buf);
        size += n as u64;
        let chunk = pb::DocumentChunk {
            document_index: 0,
            data: buf,
        };
        tx.blocking_send(Ok(chunk)).map_err(|_| SendEnd::Gone)?;
    }
}

fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}
