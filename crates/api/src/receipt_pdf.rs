//! The sealed receipt (签收单): GetReceipt with `pdf` set lays the receipt out in Chinese on A4
//! ([`ecenter_proofpdf::render_receipt`]) and seals it with the court's seal (PAdES, with the
//! hub's timestamp when it has a TSA), the printable-proof machinery. A lawyer holds proof of
//! what the hub received and when, which pyHanko, pdfsig or any PDF reader checks.

use crate::error::ApiError;
use crate::seal::SealContext;
use ecenter_proto::v1 as pb;
use ecenter_store::EventStore;
use std::sync::Arc;
use std::time::SystemTime;
use tonic::Status;

/// What sealing receipts needs: the seal context, the seal of the registry to apply, a CJK font.
#[derive(Clone)]
pub struct ReceiptPdf {
    /// Keys, chains and timestamp authority.
    pub seals: Arc<SealContext>,
    /// The registry's seal applied to receipts (`[receipts] seal_id`).
    pub seal_id: String,
    /// A CJK TrueType/OpenType font (`[receipts] font`), checked at start.
    pub font: Arc<Vec<u8>>,
    /// The face in a font collection.
    pub font_index: u32,
    /// The court's name, printed above the seal.
    pub court: String,
}

/// The receipt as the layout reads it: the proto receipt, the court and the time of issue.
fn receipt_json(r: &pb::Receipt, court: &str, now: SystemTime) -> serde_json::Value {
    let issued = ecenter_domain::time::shanghai_display(now.into());
    serde_json::json!({
        "court": court,
        "filing_id": r.filing_id,
        "case_number": r.case_number.as_ref().map(|c| c.normalized.clone()),
        "submitter": r.submitter,
        "submitter_listed": r.submitter_listed,
        "filing_kind": r.filing_kind,
        "title": r.title,
        "department": r.department,
        "received_at_beijing": received_at_beijing(r),
        "documents": r.documents.iter().map(|d| serde_json::json!({
            "document_id": d.document_id, "name": d.name, "size": d.size, "sha256": d.sha256,
        })).collect::<Vec<_>>(),
        "log_seq": r.log_seq,
        "log_hash": r.log_hash,
        "issued_at_beijing": issued,
    })
}

/// When the filing arrived, as the hub's documents print times (`2026-11-28 09:23:42（北京时间）`).
pub fn received_at_beijing(r: &pb::Receipt) -> String {
    let at = r.received_at.as_ref().and_then(|t| {
        chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
    });
    at.map_or_else(
        || r.received_at_local.clone(),
        ecenter_domain::time::beijing_seconds,
    )
}

/// The receipt `r` as a PDF sealed with the court's receipt seal; FAILED_PRECONDITION naming the
/// setting when the hub is not configured for it, or when the seal is revoked or expired.
pub(crate) async fn sealed_receipt<S: EventStore>(
    store: &S,
    sealing: Option<&ReceiptPdf>,
    r: &pb::Receipt,
) -> Result<Vec<u8>, Status> {
    let sealing = sealing.ok_or_else(|| {
        ApiError::failed_precondition(
            "sealed receipts are not configured on this hub: set [receipts] seal_id (a seal of the \
             registry) and font (a Chinese font, e.g. /usr/share/fonts/truetype/wqy/wqy-microhei.ttc), \
             with [seals]",
        )
    })?;
    let now = SystemTime::now();
    let seal = crate::seal::usable_seal(store, &sealing.seal_id, now)?;
    let json = receipt_json(r, &sealing.court, now);
    let (font, index) = (sealing.font.clone(), sealing.font_index);
    let pdf = tokio::task::spawn_blocking(move || {
        ecenter_proofpdf::render_receipt(&json, font.to_vec(), index)
    })
    .await
    .map_err(|_| ApiError::internal("laying out the receipt stopped"))?
    .map_err(|e| ApiError::internal(format!("laying out the receipt failed: {e}")))?;
    crate::seal::seal_pdf_bytes(
        store,
        (sealing.seals.clone(), &seal),
        pdf.pdf,
        crate::seal_pdf::Stamp {
            reason: "签收单".into(),
            page: Some(pdf.seal_page),
            origin: Some(pdf.seal_origin),
        },
        now,
        None,
    )
    .await
}
