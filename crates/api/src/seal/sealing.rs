//! What sealing a document shares across ApplySeal, SealPdf and SealOfd: the registry seal's own
//! bytes (GB/T 38540 `SESeal`), and the `AppliedSeal` record of a sealed PDF or OFD copy.

use crate::identity::Identity;
use chrono::{DateTime, Utc};
use ecenter_domain::{AppliedSeal, ReceivedDocument, SealRecord};
use ecenter_proto::v1 as pb;
use ecenter_store::{BlobInfo, EventStore};
use std::time::SystemTime;
use tonic::Status;

/// The registry seal's DER (`SESeal`) read from the hub's blobs, checked against its recorded
/// digest, for the sealing `operation` (ApplySeal, SealOfd) that applies it.
pub(super) async fn registry_seal_der<S: EventStore>(
    store: &S,
    seal: &SealRecord,
    operation: &str,
) -> Result<Vec<u8>, Status> {
    crate::documents::read_verified(
        store,
        &crate::documents::StoredDocument::new(&seal.der_sha256, format!("seal {}", seal.seal_id)),
        operation,
    )
    .await
}

/// The PAdES signature's /Reason for SealPdf: the caller's, trimmed, or 电子签章 when none is given.
pub(super) fn pdf_reason(requested: &str) -> String {
    if requested.trim().is_empty() {
        "电子签章".into()
    } else {
        requested.trim().to_string()
    }
}

/// The format of a copy sealed in place: a PDF (PAdES) or an OFD (GB/T 33190 §18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CopyFormat {
    /// A PDF sealed by SealPdf.
    Pdf,
    /// An OFD sealed by SealOfd.
    Ofd,
}

impl CopyFormat {
    /// The file extension with its dot, as the sealed copy's name ends.
    fn extension(self) -> &'static str {
        match self {
            CopyFormat::Pdf => ".pdf",
            CopyFormat::Ofd => ".ofd",
        }
    }

    /// The sealed copy's media type.
    fn media_type(self) -> &'static str {
        match self {
            CopyFormat::Pdf => "application/pdf",
            CopyFormat::Ofd => "application/ofd",
        }
    }
}

/// A copy sealed in place, to be stored in the hub's blobs: what its `AppliedSeal` record says.
pub(super) struct SealedCopy<'a> {
    /// PDF or OFD.
    pub(super) format: CopyFormat,
    /// The registry seal applied.
    pub(super) seal: &'a SealRecord,
    /// The sealed bytes.
    pub(super) sealed: Vec<u8>,
    /// Whether the seal carries a trusted timestamp.
    pub(super) timestamped: bool,
    /// Who sealed it.
    pub(super) by: &'a Identity,
    /// When it was sealed.
    pub(super) at: SystemTime,
}

/// The `AppliedSeal` of a sealed PDF or OFD copy: of the filing's original (named 「…（已签章）」),
/// or of sent bytes (named by the sealed copy's SHA-256).
fn sealed_copy_record(
    target: Option<&(String, ReceivedDocument)>,
    copy: &SealedCopy<'_>,
    blob: &BlobInfo,
) -> AppliedSeal {
    let extension = copy.format.extension();
    AppliedSeal {
        of_document_id: target.map_or_else(
            || {
                format!(
                    "sha256:{}",
                    hex::encode(ring::digest::digest(&ring::digest::SHA256, &copy.sealed))
                )
            },
            |(_, d)| d.document_id.clone(),
        ),
        seal_id: copy.seal.seal_id.clone(),
        signature: ReceivedDocument {
            document_id: String::new(),
            name: match target {
                Some((_, d)) => format!(
                    "{}（已签章）{extension}",
                    d.name.trim_end_matches(extension)
                ),
                None => format!("sealed{extension}"),
            },
            size: blob.size,
            media_type: copy.format.media_type().into(),
            sha256: blob.sha256.clone(),
        },
        timestamped: copy.timestamped,
        by: copy.by.to_string(),
        at: DateTime::<Utc>::from(copy.at),
    }
}

/// A sealed copy as stored and recorded: what SealPdf and SealOfd answer.
pub(super) struct StoredCopy {
    /// Its id beside the filing's original (S1, S2, ...); empty for sent bytes.
    pub(super) document_id: String,
    /// Its SHA-256, hex.
    pub(super) sha256: String,
    /// Its size in bytes.
    pub(super) size: u64,
    /// Whether the seal carries a trusted timestamp.
    pub(super) timestamped: bool,
    /// The copy itself for sent bytes; empty for a stored original's (it is downloaded).
    pub(super) returned: Vec<u8>,
}

/// SealPdf's and SealOfd's answers from the stored copy: the same fields, but for the name of
/// the returned copy's.
macro_rules! answer_from_stored_copy {
    ($($response:ident . $returned:ident),* $(,)?) => {$(
        impl From<StoredCopy> for pb::$response {
            fn from(copy: StoredCopy) -> Self {
                pb::$response {
                    document_id: copy.document_id,
                    sha256: copy.sha256,
                    size: copy.size,
                    timestamped: copy.timestamped,
                    $returned: copy.returned,
                }
            }
        }
    )*};
}

answer_from_stored_copy!(SealPdfResponse.sealed_pdf, SealOfdResponse.sealed_ofd);

impl<S: EventStore> super::SealApi<S> {
    /// Stores a copy sealed in place and records the sealing, beside the filing's original
    /// (`target`) or as sealed bytes.
    pub(super) async fn store_sealed_copy(
        &self,
        target: Option<(String, ReceivedDocument)>,
        copy: SealedCopy<'_>,
    ) -> Result<StoredCopy, Status> {
        let blob = super::store_blob(self.store.blobs(), copy.sealed.clone()).await?;
        let applied = sealed_copy_record(target.as_ref(), &copy, &blob);
        let stored = target.is_some();
        let document_id = self.record_sealing(target, applied).await?;
        Ok(StoredCopy {
            document_id,
            sha256: blob.sha256,
            size: blob.size,
            timestamped: copy.timestamped,
            returned: if stored { Vec::new() } else { copy.sealed },
        })
    }
}
