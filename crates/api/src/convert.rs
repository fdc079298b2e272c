//! Conversions between domain types and the generated protobuf types.

use chrono::{DateTime, Utc};
use ecenter_domain::time::shanghai_display;
use ecenter_domain::{CaseNumber, DocumentStatus, Filing, FilingState};
use ecenter_proto::v1 as pb;
use ecenter_store::StoredEntry;

/// UTC time as a protobuf Timestamp.
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// Parsed case number for the API.
pub fn case_number(c: &CaseNumber) -> pb::CaseNumber {
    pb::CaseNumber {
        normalized: c.normalized(),
        year: u32::from(c.year),
        court_code: c.court_code.clone(),
        case_type: c.case_type.clone(),
        sequence: c.sequence,
        category: c.category().as_str().to_string(),
        court: ecenter_domain::court_code::court_code(&c.court_code)
            .map(|e| e.stands_for.to_string())
            .unwrap_or_default(),
    }
}

/// Domain state to API enum.
pub fn state(s: FilingState) -> pb::FilingState {
    match s {
        FilingState::Received => pb::FilingState::Received,
        FilingState::UnderReview => pb::FilingState::UnderReview,
        FilingState::Accepted => pb::FilingState::Accepted,
        FilingState::PartiallyAccepted => pb::FilingState::PartiallyAccepted,
        FilingState::Rejected => pb::FilingState::Rejected,
        FilingState::ReturnedForCorrection => pb::FilingState::ReturnedForCorrection,
        FilingState::Docketed => pb::FilingState::Docketed,
        FilingState::Cancelled => pb::FilingState::Cancelled,
    }
}

/// API enum to domain state; `None` for unspecified.
pub fn state_from(s: pb::FilingState) -> Option<FilingState> {
    FilingState::ALL.into_iter().find(|d| state(*d) == s)
}

fn document_status(s: DocumentStatus) -> pb::DocumentStatus {
    match s {
        DocumentStatus::Pending => pb::DocumentStatus::Pending,
        DocumentStatus::Accepted => pb::DocumentStatus::Accepted,
        DocumentStatus::Rejected => pb::DocumentStatus::Rejected,
        DocumentStatus::ReturnedForCorrection => pb::DocumentStatus::ReturnedForCorrection,
    }
}

/// A filing for the API.
pub fn filing(f: &Filing) -> pb::Filing {
    pb::Filing {
        filing_id: f.filing_id.clone(),
        request_id: f.request_id.clone(),
        submitter: f.submitter.clone(),
        case_number: f.case_number.as_ref().map(case_number),
        filing_kind: f.filing_kind.clone(),
        title: f.title.clone(),
        state: state(f.state) as i32,
        department: f.department.clone(),
        documents: f
            .documents
            .iter()
            .map(|d| pb::Document {
                document_id: d.received.document_id.clone(),
                name: d.received.name.clone(),
                size: d.received.size,
                media_type: d.received.media_type.clone(),
                sha256: d.received.sha256.clone(),
                status: document_status(d.status) as i32,
                reason: d.reason.clone(),
            })
            .collect(),
        received_at: Some(timestamp(f.received.recorded_at)),
        received_at_local: shanghai_display(f.received.recorded_at),
        updated_at: Some(timestamp(f.updated_at)),
        reviewer: f.reviewer.clone(),
        review_comment: f.review_comment.clone(),
        cancel_reason: f.cancel_reason.clone(),
        corrects_filing_id: f.corrects_filing_id.clone().unwrap_or_default(),
        last_event_seq: f.last_event_seq,
        seals: f
            .seals
            .iter()
            .map(|a| pb::AppliedSeal {
                of_document_id: a.of_document_id.clone(),
                seal_id: a.seal_id.clone(),
                signature: Some(pb::Document {
                    document_id: a.signature.document_id.clone(),
                    name: a.signature.name.clone(),
                    size: a.signature.size,
                    media_type: a.signature.media_type.clone(),
                    sha256: a.signature.sha256.clone(),
                    status: pb::DocumentStatus::Unspecified as i32,
                    reason: String::new(),
                }),
                timestamped: a.timestamped,
                applied_by: a.by.clone(),
                applied_at: Some(timestamp(a.at)),
            })
            .collect(),
        review_flags: f
            .case_number
            .as_ref()
            .map(CaseNumber::review_flags)
            .unwrap_or_default(),
        submitter_listed: listed(f),
    }
}

/// A checkpoint as the API shows it.
pub fn signed_checkpoint(cp: &ecenter_store::checkpoint::Checkpoint) -> pb::SignedCheckpoint {
    pb::SignedCheckpoint {
        number: cp.number,
        seq: cp.seq,
        hash: cp.hash.clone(),
        signed_at: Some(timestamp(cp.at)),
        line: serde_json::to_string(cp).expect("checkpoints serialise"),
    }
}

/// The receipt of a filing, naming the newest signed checkpoint `cp`.
pub fn receipt(f: &Filing, cp: Option<&ecenter_store::checkpoint::Checkpoint>) -> pb::Receipt {
    pb::Receipt {
        filing_id: f.filing_id.clone(),
        request_id: f.request_id.clone(),
        submitter: f.submitter.clone(),
        case_number: f.case_number.as_ref().map(case_number),
        filing_kind: f.filing_kind.clone(),
        received_at: Some(timestamp(f.received.recorded_at)),
        received_at_local: shanghai_display(f.received.recorded_at),
        documents: f
            .documents
            .iter()
            .map(|d| pb::ReceiptDocument {
                document_id: d.received.document_id.clone(),
                name: d.received.name.clone(),
                size: d.received.size,
                media_type: d.received.media_type.clone(),
                sha256: d.received.sha256.clone(),
            })
            .collect(),
        log_seq: f.received.seq,
        log_hash: f.received.hash.clone(),
        department: f.department.clone(),
        checkpoint: cp.map(signed_checkpoint),
        pdf: Vec::new(),
        title: f.title.clone(),
        submitter_listed: listed(f),
    }
}

/// The submitter as the directory listed them at filing, as people read it; empty if it did not.
fn listed(f: &Filing) -> String {
    f.submitter_listed
        .as_ref()
        .map(ecenter_domain::ListedSubmitter::zh)
        .unwrap_or_default()
}

/// A log entry for watchers.
pub fn filing_event(e: &StoredEntry, department: &str) -> pb::FilingEvent {
    pb::FilingEvent {
        seq: e.seq,
        hash: hex::encode(e.hash),
        prev_hash: hex::encode(e.prev),
        recorded_at: Some(timestamp(e.recorded_at)),
        filing_id: e.event.filing_id().unwrap_or_default().to_string(),
        department: department.to_string(),
        kind: e.event.kind().to_string(),
        actor: e.event.actor().to_string(),
        state_after: e
            .event
            .state_after()
            .map_or(pb::FilingState::Unspecified, state) as i32,
        detail_json: String::from_utf8_lossy(&e.body).into_owned(),
    }
}

/// The court's policy as GetPolicy answers it: kinds in the configured order, the media types
/// every document is sniffed against.
pub fn policy(p: &ecenter_domain::policy::CourtPolicy) -> pb::CourtPolicy {
    pb::CourtPolicy {
        court: p.court.clone(),
        court_codes: p.court_codes.clone(),
        filing_kinds: p
            .filing_kinds
            .iter()
            .map(|k| pb::FilingKind {
                code: k.code.clone(),
                name: k.name.clone(),
                starts_case: k.starts_case,
            })
            .collect(),
        media_types: ecenter_domain::MediaType::ALL
            .iter()
            .map(|m| m.as_str().to_string())
            .collect(),
        max_document_bytes: p.limits.max_document_bytes,
        max_documents: u32::try_from(p.limits.max_documents).unwrap_or(u32::MAX),
        fees: p
            .fees
            .iter()
            .map(|f| pb::Fee {
                filing_kind: f.filing_kind.clone(),
                description: f.description.clone(),
                amount_fen: f.amount_fen,
            })
            .collect(),
    }
}
