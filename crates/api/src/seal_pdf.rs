//! Sealing a PDF's bytes for SealPdf and for printable proofs of service: the registry's picture
//! placed on the page, the hub's PAdES signature, on the parse pool when a caller's document is
//! parsed.

use crate::error::{ApiError, invalid};
use crate::identity::Identity;
use crate::seal::SealContext;
use ecenter_domain::SealRecord;
use ecenter_store::EventStore;
use std::sync::Arc;
use std::time::SystemTime;
use tonic::Status;

/// A parse on the hub's pool for a caller: who, how many bytes, by when, and whether the
/// document is one the hub holds (its budget errors are then FAILED_PRECONDITION).
pub(crate) struct Parse<'a> {
    pub(crate) pool: &'a Arc<crate::parsing::ParsePool>,
    pub(crate) caller: &'a Identity,
    pub(crate) input_len: usize,
    pub(crate) deadline: Option<std::time::Instant>,
    pub(crate) stored: bool,
}

/// What a PDF seal says and where it shows.
pub(crate) struct Stamp {
    /// The signature's /Reason (ISO 32000-1 §12.8.1), e.g. 电子送达凭证.
    pub(crate) reason: String,
    /// The 1-based page (default: the last).
    pub(crate) page: Option<u32>,
    /// The picture's lower-left corner in points (default: bottom right).
    pub(crate) origin: Option<(f32, f32)>,
}

/// Refuses an SM2 seal for SealPdf: a PDF seal is a PAdES signature in ECDSA P-256, the only
/// kind PDF validators verify.
fn check_pades_algorithm(seal: &SealRecord) -> Result<(), Status> {
    if crate::seal::algorithm_of(seal) != ecenter_seal::SignatureAlgorithm::EcdsaP256Sha256 {
        return Err(ApiError::failed_precondition(format!(
            "seal 「{}」 is an SM2 seal: PDF seals are PAdES signatures in ECDSA P-256, the only kind PDF validators verify; apply it to the PDF with ApplySeal (a detached SES_Signature), or create an ECDSA seal for PDFs",
            seal.seal_id
        )).into());
    }
    Ok(())
}

/// Where the seal's registry picture shows on the page, and what the PAdES signature carries
/// (name, /Reason, the validation data for B-LT and the registry seal itself).
async fn pades_signature<S: EventStore>(
    store: &S,
    ctx: &SealContext,
    seal: &SealRecord,
    stamp: Stamp,
) -> Result<(ecenter_pdfseal::Placement, ecenter_pdfseal::SignatureInfo), Status> {
    let Stamp {
        reason,
        page,
        origin,
    } = stamp;
    // The registry's picture of this seal is what the PDF shows.
    let seal_der = crate::documents::read_verified(
        store,
        &crate::documents::StoredDocument::new(&seal.der_sha256, format!("seal {}", seal.seal_id)),
        "SealPdf",
    )
    .await?;
    let picture = ecenter_seal::layout::parse_seal(&seal_der)
        .ok()
        .filter(|s| s.picture_type.eq_ignore_ascii_case("PNG"))
        .map(|s| s.picture);
    let placement = ecenter_pdfseal::Placement {
        page,
        origin,
        picture,
    };
    let info = ecenter_pdfseal::SignatureInfo {
        name: seal.name.clone(),
        reason,
        location: String::new(),
        // PAdES-B-LT: the chains and the configured CRLs travel with the document.
        validation: ctx.validation_data(),
        // The registry's seal itself, so any verifier checks its maker, window and signer list.
        seal: Some(seal_der),
    };
    Ok((placement, info))
}

/// Seals `bytes` (a PDF) with `seal`: its registry picture where `stamp` says, signed by the hub's signer with the chains and CRLs embedded
/// (PAdES-B-LT) and a timestamp when the hub has a TSA.
pub(crate) async fn seal_pdf_bytes<S: EventStore>(
    store: &S,
    (ctx, seal): (Arc<SealContext>, &SealRecord),
    bytes: Vec<u8>,
    stamp: Stamp,
    now: SystemTime,
    parse: Option<Parse<'_>>,
) -> Result<Vec<u8>, Status> {
    check_pades_algorithm(seal)?;
    let (placement, info) = pades_signature(store, &ctx, seal, stamp).await?;
    let stored = parse.as_ref().is_some_and(|p| p.stored);
    let work = move || {
        let sealed = ecenter_pdfseal::seal_pdf(
            &bytes,
            &ecenter_pdfseal::Sealer {
                signer: &ctx.signer,
                chain: &ctx.chain,
                tsa: ctx.tsa.as_ref(),
            },
            now,
            &placement,
            &info,
        )?;
        // PAdES-B-LTA: a document timestamp over the seal and its validation data.
        match ctx.tsa.as_ref().filter(|_| ctx.archive.lta) {
            Some(tsa) => ecenter_pdfseal::archive_timestamp(&sealed, tsa, now, &info.validation),
            None => Ok(sealed),
        }
    };
    let sealed = match parse {
        Some(p) => {
            p.pool
                .run(p.caller, p.input_len, p.deadline, "SealPdf", work)
                .await?
        }
        None => tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| ApiError::internal("sealing the PDF stopped"))?,
    };
    sealed.map_err(|e| match e {
        ecenter_pdfseal::PdfSealError::Budget(b) => {
            crate::parsing::budget_status(&b, "target", stored)
        }
        ecenter_pdfseal::PdfSealError::BadRequest(m) if m.starts_with("page ") => {
            invalid("page", m)
        }
        ecenter_pdfseal::PdfSealError::BadRequest(m) => invalid("target", m),
        ecenter_pdfseal::PdfSealError::Pdf(m) => crate::error::unreadable("target", m, stored),
        e @ ecenter_pdfseal::PdfSealError::Unreadable(_) => {
            crate::error::unreadable("target", e.to_string(), stored)
        }
        ecenter_pdfseal::PdfSealError::Seal(e) => {
            ApiError::internal(format!("signing the PDF failed: {e}")).into()
        }
    })
}
