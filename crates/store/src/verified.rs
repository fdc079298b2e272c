//! Stored documents handed out only as they were received: every read hashes what it reads and
//! compares it with the SHA-256 the log names the document by. A document that is missing or
//! altered on disk is never returned as if it were whole: the caller gets [`DocumentError::Damaged`]
//! naming the document, and the log gets a `blob_corrupt` event saying what was found.
//!
//! A damaged document is recorded once per hub run and kind of damage (see
//! [`crate::BlobStore::first_report`]), so that readers cannot grow the log by asking again; every
//! read is still refused. This module knows no transport: the gRPC services and the recipients'
//! page each turn a [`DocumentError`] into their own answer (DATA_LOSS, 503).

use crate::{EventStore, ReadView};
use ecenter_domain::Event;

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

/// Why a stored document was not returned.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The bytes on disk are missing or are not the ones the log names (recorded in the log).
    #[error(
        "{} is damaged in the hub's store (expected SHA-256 {}, found {found}); it is not handed out. \
         The hub recorded it for the court's administrators, who restore it from a backup",
        document.label, document.sha256
    )]
    Damaged {
        /// The document as the log names it.
        document: StoredDocument,
        /// What was found instead: `missing`, `unreadable (…)` or another hash and size.
        found: String,
    },
    /// The blocking read could not be run (the runtime is shutting down).
    #[error("reading a stored document failed")]
    Interrupted,
}

/// What a check of stored bytes found, when they are not what the log names.
pub fn damage(doc: &StoredDocument, read: Result<(String, u64), std::io::Error>) -> Option<String> {
    match read {
        Ok((sha, _)) if sha == doc.sha256 => None,
        Ok((sha, size)) => Some(format!("content with SHA-256 {sha}, {size} bytes")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("missing".into()),
        Err(e) => Some(format!("unreadable ({e})")),
    }
}

/// The bytes read for `doc` if they are the ones the log names; otherwise what was found instead
/// (for [`report`]). For readers that read on their own thread, as the parse pool does.
pub fn checked(doc: &StoredDocument, read: std::io::Result<Vec<u8>>) -> Result<Vec<u8>, String> {
    match read {
        Ok(bytes) => {
            let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
            if sha == doc.sha256 {
                Ok(bytes)
            } else {
                Err(format!("content with SHA-256 {sha}, {} bytes", bytes.len()))
            }
        }
        Err(e) => Err(damage(doc, Err(e)).unwrap_or_default()),
    }
}

/// Records that `doc` was found damaged (once per run and kind of damage), and returns the error
/// to answer with. `operation` says what the hub was doing, for the administrators.
pub async fn report<S: EventStore>(
    store: &S,
    doc: &StoredDocument,
    found: String,
    operation: &str,
) -> DocumentError {
    if store
        .blobs()
        .first_report(&format!("{} {found}", doc.sha256))
    {
        tracing::error!(document = %doc.label, sha256 = %doc.sha256, %found, operation, "stored document damaged");
        let event = Event::BlobCorrupt {
            sha256: doc.sha256.clone(),
            document: doc.label.clone(),
            found: found.clone(),
            operation: operation.to_string(),
        };
        if let Err(e) = store
            .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
            .await
        {
            tracing::error!(error = %e, "the damaged document could not be recorded");
        }
    }
    DocumentError::Damaged {
        document: doc.clone(),
        found,
    }
}

/// The whole document, after checking its hash ([`DocumentError::Damaged`], recorded, when it
/// does not match).
pub async fn read_verified<S: EventStore>(
    store: &S,
    doc: &StoredDocument,
    operation: &str,
) -> Result<Vec<u8>, DocumentError> {
    let path = store.blobs().path(&doc.sha256);
    let read = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(|_| DocumentError::Interrupted)?;
    match checked(doc, read) {
        Ok(bytes) => Ok(bytes),
        Err(found) => Err(report(store, doc, found, operation).await),
    }
}
