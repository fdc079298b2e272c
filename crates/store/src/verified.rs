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
        /// What was found instead.
        found: Found,
    },
    /// The blocking read could not be run (the runtime is shutting down).
    #[error("reading a stored document failed")]
    Interrupted,
}

/// What was on disk in place of a stored document; the text goes into the `blob_corrupt` event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Found {
    /// Other bytes: their SHA-256 (hex) and size.
    #[error("content with SHA-256 {sha256}, {size} bytes")]
    Other {
        /// Lowercase hex SHA-256 of what was read.
        sha256: String,
        /// Bytes read.
        size: u64,
    },
    /// No file.
    #[error("missing")]
    Missing,
    /// The file cannot be read; the operating system's reason.
    #[error("unreadable ({0})")]
    Unreadable(String),
}

impl From<std::io::Error> for Found {
    fn from(e: std::io::Error) -> Found {
        match e.kind() {
            std::io::ErrorKind::NotFound => Found::Missing,
            _ => Found::Unreadable(e.to_string()),
        }
    }
}

/// The bytes read for `doc` if they are the ones the log names; otherwise what was found instead
/// (for [`report`]). For readers that read on their own thread, as the parse pool does.
pub fn checked(doc: &StoredDocument, read: std::io::Result<Vec<u8>>) -> Result<Vec<u8>, Found> {
    let bytes = read?;
    let sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
    if sha256 == doc.sha256 {
        Ok(bytes)
    } else {
        Err(Found::Other {
            sha256,
            size: bytes.len() as u64,
        })
    }
}

/// Records that `doc` was found damaged (once per run and kind of damage), and returns the error
/// to answer with. `operation` says what the hub was doing, for the administrators.
pub async fn report<S: EventStore>(
    store: &S,
    doc: &StoredDocument,
    found: Found,
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
            found: found.to_string(),
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
