//! Stored documents over gRPC, handed out only as they were received (see
//! [`ecenter_store::verified`]): a document that is missing or altered on disk is answered with
//! DATA_LOSS naming it, and recorded in the log.
//!
//! Whole reads ([`read_verified`]) check before returning anything. Streams ([`stream_verified`])
//! hash the whole file before the first chunk, so damaged bytes are not sent at all; the bytes
//! are hashed again as they go, and a file that changes in between ends the stream with DATA_LOSS
//! instead of OK. A damaged document is recorded once per hub run and kind of damage, so that
//! readers cannot grow the log by asking again; every request is still refused.

use crate::error::ApiError;
use crate::filing::ChunkStream;
use ecenter_proto::v1 as pb;
use ecenter_store::EventStore;
use std::io::Read;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

/// Chunks streamed to clients are at most this large.
const CHUNK: usize = 1 << 20;

pub use ecenter_store::verified::StoredDocument;
use ecenter_store::verified::{DocumentError, Found};

/// The gRPC answer for a document that was not handed out: DATA_LOSS naming it when damaged.
pub fn status(e: DocumentError) -> Status {
    ApiError::Document(e).into()
}

/// Records that `doc` was found damaged, and answers DATA_LOSS.
pub async fn report<S: EventStore>(
    store: &S,
    doc: &StoredDocument,
    found: ecenter_store::verified::Found,
    operation: &str,
) -> Status {
    status(ecenter_store::verified::report(store, doc, found, operation).await)
}

/// The whole document, after checking its hash (DATA_LOSS, recorded, when it does not match).
pub async fn read_verified<S: EventStore>(
    store: &S,
    doc: &StoredDocument,
    operation: &str,
) -> Result<Vec<u8>, Status> {
    ecenter_store::verified::read_verified(store, doc, operation)
        .await
        .map_err(status)
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
    .map_err(|_| ApiError::internal("reading a stored document failed"))?;
    let file = match checked {
        Ok(((sha, _), f)) if sha == doc.sha256 => f,
        Ok(((sha256, size), _)) => {
            let found = Found::Other { sha256, size };
            return Err(report(&*store, &doc, found, operation).await);
        }
        Err(e) => return Err(report(&*store, &doc, e.into(), operation).await),
    };
    let (tx, rx) = mpsc::channel(4);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let outcome = send_chunks(file, &tx);
        let found = match outcome {
            Ok((sha, _)) if sha == doc.sha256 => return,
            Ok((sha256, size)) => Found::Other { sha256, size },
            Err(SendEnd::Gone) => return,
            Err(SendEnd::Io(e)) => e.into(),
        };
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
