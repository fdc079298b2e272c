//! `GetProof` and `GetProofPdf`: a recipient's proof of service (电子送达凭证), any version of it.
//!
//! A proof is issued as a new version whenever a later fact changes what it attests (a bounce a
//! clerk accepted, a reply found not to be the recipient's, a report set aside). Every version
//! stays in the blob store and is named by its `proof_issued` entry: a version handed to a party
//! and later withdrawn is still evidence of what the court was told then, so each can be fetched
//! (`version`, 1-based; 0 asks for the newest) and `clerk export` writes them all.
//!
//! `GetDeliveryReport` gives the copy the hub keeps of each delivery report a recipient's status
//! lists: the evidence behind a reach or bounce a proof states, which a court can read itself.

use super::*;
use ecenter_domain::service::ProofRef;

impl<S: EventStore> ServiceApi<S> {
    /// The recipient's proof of version `r.version` (0: the newest), or FAILED_PRECONDITION when
    /// none is issued yet, NOT_FOUND naming the versions there are when that one is not.
    fn proof_version(&self, r: &pb::ProofRequest) -> Result<ProofRef, Status> {
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        let Some(newest) = service.proofs.last() else {
            return Err(ApiError::failed_precondition(match service.effective {
                None => format!(
                    "service on {} has not taken effect yet: there is no proof of service",
                    r.recipient_id
                ),
                Some(_) => format!(
                    "service on {} took effect; its proof is being issued, ask again in a moment",
                    r.recipient_id
                ),
            })
            .into());
        };
        if r.version == 0 {
            return Ok(newest.clone());
        }
        (service.proofs.iter().find(|p| p.version == r.version))
            .cloned()
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "the proof of service of {} {} has no version {}: it has versions 1 to {} (0 asks for the newest)",
                    r.order_id, r.recipient_id, r.version, newest.version
                ))
                .into()
            })
    }

    /// The JSON proof with its detached signature, each read back from the blob store and
    /// checked against the digest its `proof_issued` entry names.
    pub(super) async fn proof_of_service(
        &self,
        r: pb::ProofRequest,
    ) -> Result<pb::ProofOfService, Status> {
        let proof = self.proof_version(&r)?;
        let versions = self.recipient(&r.order_id, &r.recipient_id)?.proofs.len() as u32;
        let label = format!(
            "proof of service of {} {} (version {})",
            r.order_id, r.recipient_id, proof.version
        );
        let document = crate::documents::read_verified(
            &*self.store,
            &crate::documents::StoredDocument::new(&proof.document_sha256, &label),
            "GetProof",
        )
        .await?;
        let signature = crate::documents::read_verified(
            &*self.store,
            &crate::documents::StoredDocument::new(
                &proof.signature_sha256,
                format!("signature of the {label}"),
            ),
            "GetProof",
        )
        .await?;
        Ok(pb::ProofOfService {
            order_id: r.order_id,
            recipient_id: r.recipient_id,
            version: proof.version,
            document,
            signature,
            document_sha256: proof.document_sha256.clone(),
            issued_at: ts(proof.issued_at),
            versions,
        })
    }

    /// The proof of version `r.version` laid out as a sealed A4 PDF (made on request).
    pub(super) async fn proof_pdf(&self, r: pb::ProofRequest) -> Result<pb::ProofPdf, Status> {
        let context = self.context()?.clone();
        let font = context.proof_font.clone().ok_or_else(|| {
            ApiError::failed_precondition(
                "printable proofs need a Chinese font on the hub: set [service] proof_font \
                 (e.g. /usr/share/fonts/truetype/wqy/wqy-microhei.ttc from Debian's fonts-wqy-microhei)",
            )
        })?;
        let seal_id = context.config.proof_seal_id.clone().ok_or_else(|| {
            ApiError::failed_precondition(
                "printable proofs carry the court's seal: set [service] proof_seal_id to a seal of the registry",
            )
        })?;
        let proof = self.proof_version(&r)?;
        let seals = self.seals.clone().ok_or_else(|| {
            ApiError::failed_precondition(
                "printable proofs are sealed: configure [seals] on the hub",
            )
        })?;
        let now = std::time::SystemTime::now();
        let seal = crate::seal::usable_seal(&*self.store, &seal_id, now)?;
        let document = crate::documents::read_verified(
            &*self.store,
            &crate::documents::StoredDocument::new(
                &proof.document_sha256,
                format!("proof of service of {} {}", r.order_id, r.recipient_id),
            ),
            "GetProofPdf",
        )
        .await?;
        let json: serde_json::Value = serde_json::from_slice(&document)
            .map_err(|e| ApiError::internal(format!("the stored proof is not JSON: {e}")))?;
        let sha = proof.document_sha256.clone();
        let index = context.config.proof_font_index;
        let pdf = tokio::task::spawn_blocking(move || {
            ecenter_proofpdf::render(&json, &sha, font.to_vec(), index)
        })
        .await
        .map_err(|_| ApiError::internal("laying out the proof stopped"))?
        .map_err(|e| ApiError::internal(format!("laying out the proof failed: {e}")))?;
        let sealed = crate::seal::seal_pdf_bytes(
            &*self.store,
            (seals, &seal),
            pdf.pdf,
            crate::seal_pdf::Stamp {
                reason: "电子送达凭证".into(),
                page: Some(pdf.seal_page),
                origin: Some(pdf.seal_origin),
            },
            now,
            None,
        )
        .await?;
        Ok(pb::ProofPdf {
            order_id: r.order_id,
            recipient_id: r.recipient_id,
            version: proof.version,
            pdf: sealed,
            document_sha256: proof.document_sha256,
        })
    }

    /// The copy kept of the report `r.kept_sha256` names, read back and checked against that
    /// digest; NOT_FOUND unless the recipient's service names it (no other blob is served).
    pub(super) async fn delivery_report(
        &self,
        r: pb::DeliveryReportRequest,
    ) -> Result<pb::DeliveryReportCopy, Status> {
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        let wanted = r.kept_sha256.trim().to_ascii_lowercase();
        let Some(kept) =
            (service.kept_reports().into_iter()).find(|k| k.source.kept_sha256 == wanted)
        else {
            return Err(ApiError::not_found(format!(
                "{} {} holds no delivery report kept with SHA-256 「{}」: GetRecipient lists the reports kept (reports[].kept_sha256)",
                r.order_id, r.recipient_id, r.kept_sha256
            ))
            .into());
        };
        let message = crate::documents::read_verified(
            &*self.store,
            &crate::documents::StoredDocument::new(
                &kept.source.kept_sha256,
                format!(
                    "delivery report {} about {} {}",
                    kept.report, r.order_id, r.recipient_id
                ),
            ),
            "GetDeliveryReport",
        )
        .await?;
        Ok(pb::DeliveryReportCopy {
            message,
            kept_sha256: wanted,
        })
    }
}
