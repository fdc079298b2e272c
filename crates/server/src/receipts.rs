//! Sealed receipts at start-up: `[receipts]` read and checked before the hub serves, so a wrong
//! font path or a missing `[seals]` is named then, not when a lawyer first asks for a PDF.

use crate::ServeError;
use crate::config::Config;
use ecenter_api::receipt_pdf::ReceiptPdf;
use ecenter_api::seal::SealContext;
use std::sync::Arc;

/// The receipt sealing `[receipts]` configures: none when neither setting is given; an error
/// naming the setting when only one is, when `[seals]` is missing, or when the font is unusable.
pub(crate) fn load(
    config: &Config,
    seals: Option<&Arc<SealContext>>,
) -> Result<Option<ReceiptPdf>, ServeError> {
    let r = &config.receipts;
    let (seal_id, font) = match (&r.seal_id, &r.font) {
        (None, None) => return Ok(None),
        (Some(seal_id), Some(font)) => (seal_id, font),
        _ => {
            return Err(ServeError::Config(
                "[receipts] needs both seal_id (a seal of the registry) and font (a Chinese font)"
                    .into(),
            ));
        }
    };
    let seals = seals.ok_or_else(|| {
        ServeError::Config(
            "[receipts] seals receipts with the court's keys: configure [seals] too".into(),
        )
    })?;
    let bad_font = |e: String| {
        ServeError::Config(format!(
            "[receipts] font {}: {e}; install a Chinese font (Debian: fonts-wqy-microhei) and name it",
            font.display()
        ))
    };
    let court = r
        .court
        .clone()
        .or_else(|| config.service.as_ref().map(|s| s.court.clone()))
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            ServeError::Config(
                "[receipts] court: name the court printed above the seal (or set [service] court)"
                    .into(),
            )
        })?;
    let bytes = std::fs::read(font).map_err(|e| bad_font(e.to_string()))?;
    ecenter_proofpdf::check_font(&bytes, r.font_index).map_err(|e| bad_font(e.to_string()))?;
    Ok(Some(ReceiptPdf {
        seals: seals.clone(),
        seal_id: seal_id.clone(),
        font: Arc::new(bytes),
        font_index: r.font_index,
        court,
    }))
}
