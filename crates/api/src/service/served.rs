//! Which sealed copy a serve order names: `F…/Sn` (a filing's sealed copy) resolved, checked
//! against the case, and described for the recipient.

use super::*;
use crate::error::ApiError;
use ecenter_domain::AppliedSeal;

impl<S: EventStore> ServiceApi<S> {
    /// Resolves `F…/Sn` to the sealed copy served.
    pub(super) fn served_document(
        &self,
        case_number: &str,
        reference: &str,
    ) -> Result<ServedDocument, Status> {
        let (filing_id, seal_id) = sealed_copy_reference(reference)?;
        let filing = self
            .store
            .filing(filing_id)
            .map_err(store_status)?
            .ok_or_else(|| {
                ApiError::not_found(format!("no filing 「{filing_id}」 ({reference})"))
            })?;
        filing.check_servable(seal_id).map_err(domain_status)?;
        match &filing.case_number {
            Some(n) if n.normalized() != case_number => {
                return Err(ApiError::failed_precondition(format!(
                    "{reference} belongs to case {}, not to {case_number}",
                    n.normalized()
                ))
                .into());
            }
            Some(_) => {}
            // A new case's first filing is in no case until it is docketed: served under the
            // order's number, the notices, the page and the proof would say it is in that case.
            None => {
                return Err(ApiError::failed_precondition(format!(
                    "{reference} starts a new case that is not docketed yet: docket {filing_id} under its case number (DocketFiling), then serve it in that case"
                ))
                .into());
            }
        }
        let applied = filing
            .seals
            .iter()
            .find(|a| a.signature.document_id == seal_id)
            .ok_or_else(|| {
                ApiError::not_found(format!("filing {filing_id} has no sealed copy {seal_id}"))
            })?;
        let seal = self.seal_label(applied)?;
        // A sealed PDF or OFD carries its seal inside: the sealed copy itself is served.
        if let Some(kind) = match applied.signature.media_type.as_str() {
            "application/pdf" => Some(""),
            "application/ofd" => Some("（OFD 电子签章，GB/T 33190）"),
            _ => None,
        } {
            return Ok(ServedDocument {
                reference: reference.to_string(),
                name: applied.signature.name.clone(),
                sha256: applied.signature.sha256.clone(),
                size: applied.signature.size,
                media_type: applied.signature.media_type.clone(),
                seal: format!("{seal}{kind}"),
            });
        }
        // A GB/T 38540 signature beside the document: the document is served, the signature named.
        let original = filing
            .documents
            .iter()
            .find(|d| d.received.document_id == applied.of_document_id)
            .ok_or_else(|| {
                ApiError::not_found(format!("the document sealed by {reference} is gone"))
            })?;
        Ok(ServedDocument {
            reference: reference.to_string(),
            name: original.received.name.clone(),
            sha256: original.received.sha256.clone(),
            size: original.received.size,
            media_type: original.received.media_type.clone(),
            seal: format!("{seal}（GB/T 38540 签章 {seal_id}）"),
        })
    }

    /// How the served document's seal is named to the recipient: the registry seal's id and name,
    /// 带可信时间戳 when timestamped, or only its id when the registry no longer has it.
    fn seal_label(&self, applied: &AppliedSeal) -> Result<String, Status> {
        Ok(
            match self.store.seal(&applied.seal_id).map_err(store_status)? {
                Some(r) => format!(
                    "{} {}{}",
                    r.seal_id,
                    r.name,
                    if applied.timestamped {
                        "，带可信时间戳"
                    } else {
                        ""
                    }
                ),
                None => applied.seal_id.clone(),
            },
        )
    }
}

/// The sealed copies an order serves, as (filing, copy) pairs.
pub(super) fn sealed_copies_of(documents: &[ServedDocument]) -> Vec<(String, String)> {
    documents
        .iter()
        .filter_map(|d| sealed_copy_reference(&d.reference).ok())
        .map(|(filing_id, copy)| (filing_id.to_string(), copy.to_string()))
        .collect()
}

/// Splits a serve order's document reference `F…/Sn` into filing and sealed copy, refusing
/// anything but a sealed copy (S1, S2, ...): a document as filed (D1) is named as such, and text of
/// another shape (`../../S1`) as no reference at all.
pub(super) fn sealed_copy_reference(reference: &str) -> Result<(&str, &str), Status> {
    let field = "documents";
    let numbered = |s: &str, prefix: char| {
        s.strip_prefix(prefix)
            .is_some_and(|n| (1..=20).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let Some((filing_id, seal_id)) = reference
        .split_once('/')
        .filter(|(f, c)| numbered(f, 'F') && (numbered(c, 'S') || numbered(c, 'D')))
    else {
        return Err(invalid(
            field,
            format!(
                "「{}」 is not a document reference: write filing_id/S1, as F000000000001/S1",
                ecenter_domain::text::quoted(reference, 60)
            ),
        ));
    };
    if !seal_id.starts_with('S') {
        return Err(invalid(
            field,
            format!(
                "「{reference}」 is not sealed: serve its sealed copy (S1, S2, ... from SealPdf, SealOfd or ApplySeal)"
            ),
        ));
    }
    Ok((filing_id, seal_id))
}
