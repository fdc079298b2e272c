//! The current state of a filing: a projection of its events.

use crate::case_number::CaseNumber;
use crate::event::{Event, FilingReceived, ReceivedDocument};
use crate::lifecycle::{Decision, DocumentDecision, DocumentStatus, FilingState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A document of a filing with its review status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingDocument {
    /// As received.
    #[serde(flatten)]
    pub received: ReceivedDocument,
    /// Review status.
    pub status: DocumentStatus,
    /// The court's reason, if not accepted.
    pub reason: String,
}

/// Where in the log something was recorded: lets anyone check a receipt against the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPosition {
    /// Sequence number of the entry.
    pub seq: u64,
    /// Lowercase hex SHA-256 of the entry.
    pub hash: String,
    /// When the hub recorded it.
    pub recorded_at: DateTime<Utc>,
}

/// A filing as it stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    /// Hub-assigned id.
    pub filing_id: String,
    /// The client's idempotency key.
    pub request_id: String,
    /// Digest of the submitted content.
    pub fingerprint: String,
    /// Who submitted it.
    pub submitter: String,
    /// The case, once known.
    pub case_number: Option<CaseNumber>,
    /// 起诉状, ...
    pub filing_kind: String,
    /// Short title.
    pub title: String,
    /// Lifecycle state.
    pub state: FilingState,
    /// Department queue; empty until routed.
    pub department: String,
    /// Documents with their status.
    pub documents: Vec<FilingDocument>,
    /// The log entry that recorded its receipt.
    pub received: LogPosition,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Sequence number of the last event about it.
    pub last_event_seq: u64,
    /// Who reviewed it.
    pub reviewer: String,
    /// The review comment.
    pub review_comment: String,
    /// Why it was cancelled.
    pub cancel_reason: String,
    /// The returned filing this one corrects.
    pub corrects_filing_id: Option<String>,
    /// Seals applied to its documents.
    #[serde(default)]
    pub seals: Vec<crate::seal::AppliedSeal>,
    /// The submitter as the directory listed them when it arrived (see [`FilingReceived`]).
    #[serde(default)]
    pub submitter_listed: Option<crate::event::ListedSubmitter>,
}

impl Filing {
    /// Whether the court may seal document `document_id` of this filing: not once its filer
    /// withdrew it, and not a document the court refused (不予接收) or returned for correction
    /// (退回补正) — a seal says the court stands behind those bytes. FAILED_PRECONDITION.
    pub fn check_sealable(&self, document_id: &str) -> Result<(), crate::DomainError> {
        self.state
            .check(&self.filing_id, crate::lifecycle::Action::Seal)?;
        let Some((en, zh)) = self.refusal_of(document_id) else {
            return Ok(());
        };
        Err(crate::DomainError::Precondition {
            reason: format!(
                "document {document_id} of filing {}: the court {en}, so its seal does not go on it",
                self.filing_id
            ),
            zh: format!(
                "收件号「{}」的文件 {document_id} 已被{zh}，不得加盖本院电子签章",
                self.filing_id
            ),
        })
    }

    /// Whether the court may serve its sealed copy `sealed` (S1, S2, …) of this filing: not once
    /// its filer withdrew it, and not when the court refused or returned the document the copy
    /// seals since it was sealed. FAILED_PRECONDITION. (A copy it lacks is the caller's to name.)
    pub fn check_servable(&self, sealed: &str) -> Result<(), crate::DomainError> {
        self.state
            .check(&self.filing_id, crate::lifecycle::Action::Serve)?;
        let Some(applied) = self
            .seals
            .iter()
            .find(|a| a.signature.document_id == sealed)
        else {
            return Ok(());
        };
        let Some((en, zh)) = self.refusal_of(&applied.of_document_id) else {
            return Ok(());
        };
        Err(crate::DomainError::Precondition {
            reason: format!(
                "{}/{sealed} seals document {} of filing {}, which the court {en} since: it is not served",
                self.filing_id, applied.of_document_id, self.filing_id
            ),
            zh: format!(
                "{}/{sealed} 所签章的文件 {} 已被{zh}，不予送达",
                self.filing_id, applied.of_document_id
            ),
        })
    }

    /// How the court refused document `document_id`, if it did, in English and Chinese: not
    /// accepted (不予接收) or returned for correction (退回补正).
    fn refusal_of(&self, document_id: &str) -> Option<(&'static str, &'static str)> {
        let status = self
            .documents
            .iter()
            .find(|d| d.received.document_id == document_id)
            .map(|d| d.status)?;
        match status {
            DocumentStatus::Rejected => Some(("refused it", "不予接收")),
            DocumentStatus::ReturnedForCorrection => {
                Some(("returned it for correction", "退回补正"))
            }
            _ => None,
        }
    }

    /// Whether this filing corrects `original` (补正) and still stands — not refused or withdrawn:
    /// the correction the court has in the returned filing's place.
    pub fn is_live_correction_of(&self, original: &str) -> bool {
        self.corrects_filing_id.as_deref() == Some(original)
            && !matches!(self.state, FilingState::Rejected | FilingState::Cancelled)
    }

    /// Whether its filer may still withdraw it as far as its seals go: once the court sealed one
    /// of its documents the sealed copy is the court's record, and withdrawing the filing under
    /// it would leave a seal on what the record calls withdrawn. FAILED_PRECONDITION.
    pub fn check_withdrawable(&self) -> Result<(), crate::DomainError> {
        let Some(seal) = self.seals.first() else {
            return Ok(());
        };
        Err(crate::DomainError::Precondition {
            reason: format!(
                "filing {}: the court sealed its document {} ({}), so it can no longer be withdrawn; ask the court",
                self.filing_id, seal.of_document_id, seal.signature.document_id
            ),
            zh: format!(
                "收件号「{}」的文件 {} 已加盖本院电子签章，不能再撤回；如需撤回请联系法院",
                self.filing_id, seal.of_document_id
            ),
        })
    }

    /// A sealed document's bytes grew by an archive timestamp: its seal now names them.
    fn timestamp_added(&mut self, document_id: &str, sha256: &str, size: u64) {
        if let Some(s) = self
            .seals
            .iter_mut()
            .find(|s| s.signature.document_id == document_id)
        {
            s.signature.sha256 = sha256.to_string();
            s.signature.size = size;
        }
    }

    /// Applies one event to the current state (`None` before the filing exists) and returns the new
    /// state; events about other filings or before receipt leave it unchanged.
    pub fn apply(current: Option<Filing>, event: &Event, at: &LogPosition) -> Option<Filing> {
        let mut filing = match (current, event) {
            (None, Event::FilingReceived(r)) => return Some(Filing::from_receipt(r, at)),
            (None, _) => return None,
            (Some(f), _) if event.filing_id() != Some(f.filing_id.as_str()) => return Some(f),
            (Some(f), _) => f,
        };
        match event {
            Event::FilingReceived(_)
            | Event::AccessDenied { .. }
            | Event::SealCreated(_)
            | Event::SealRevoked { .. }
            | Event::BytesSealed { .. }
            | Event::CaseIndexed(_)
            | Event::OutcomeChecked(_)
            | Event::SimilarCasesPushed(_)
            | Event::CasePushSet(_)
            | Event::CaseRemoved { .. }
            | Event::ServiceOrdered(_)
            | Event::Service { .. }
            | Event::BlobCorrupt { .. }
            | Event::LogLossAccepted { .. }
            | Event::LogSealsBegan { .. }
            | Event::ReadModelsRepaired { .. }
            | Event::CheckpointMailed { .. }
            | Event::SmsReceiptUnmatched { .. }
            | Event::ReplyUnmatched(_)
            | Event::ReplySettled(_)
            | Event::NoticeAddressesSet { .. }
            | Event::CoCounselRegistered { .. }
            | Event::CoCounselRemoved { .. }
            | Event::LawyerRecorded { .. }
            | Event::LawyerRemoved { .. }
            | Event::SignInStopLifted { .. }
            | Event::SignInCodeSent(_)
            | Event::SignInCodeResult(_)
            | Event::SignedIn(_)
            | Event::SignInRefused(_)
            | Event::SignedOut(_)
            | Event::PasskeyRegistered(_)
            | Event::PasskeyRemoved(_)
            | Event::FilingNotice { .. } => {
                return Some(filing);
            }
            Event::DocumentSealed { applied, .. } => filing.seals.push(applied.clone()),
            Event::ArchiveTimestampAdded {
                document_id,
                sha256,
                size,
                ..
            } => filing.timestamp_added(document_id, sha256, *size),
            Event::FilingRouted { department, .. } => filing.department = department.clone(),
            Event::ReviewStarted { reviewer, .. } => {
                filing.state = FilingState::UnderReview;
                filing.reviewer = reviewer.clone();
            }
            Event::FilingReviewed {
                reviewer,
                decisions,
                comment,
                outcome,
                ..
            } => {
                filing.state = *outcome;
                filing.reviewer = reviewer.clone();
                filing.review_comment = comment.clone();
                filing.apply_decisions(decisions);
            }
            Event::FilingDocketed { case_number, .. } => {
                filing.state = FilingState::Docketed;
                filing.case_number = Some(case_number.canonical());
            }
            Event::FilingCancelled { reason, .. } => {
                filing.state = FilingState::Cancelled;
                filing.cancel_reason = reason.clone();
            }
        }
        filing.updated_at = at.recorded_at;
        filing.last_event_seq = at.seq;
        Some(filing)
    }

    /// The filing as its receipt (收到) records it: every document pending review.
    fn from_receipt(r: &FilingReceived, at: &LogPosition) -> Filing {
        Filing {
            filing_id: r.filing_id.clone(),
            request_id: r.request_id.clone(),
            fingerprint: r.fingerprint.clone(),
            submitter: r.submitter.clone(),
            case_number: r.case_number.as_ref().map(CaseNumber::canonical),
            filing_kind: r.filing_kind.clone(),
            title: r.title.clone(),
            state: FilingState::Received,
            department: String::new(),
            documents: r
                .documents
                .iter()
                .map(|d| FilingDocument {
                    received: d.clone(),
                    status: DocumentStatus::Pending,
                    reason: String::new(),
                })
                .collect(),
            received: at.clone(),
            updated_at: at.recorded_at,
            last_event_seq: at.seq,
            reviewer: String::new(),
            review_comment: String::new(),
            cancel_reason: String::new(),
            corrects_filing_id: r.corrects_filing_id.clone(),
            seals: Vec::new(),
            submitter_listed: r.submitter_listed.clone(),
        }
    }

    /// Gives each document the court's review decision about it (accepted, rejected, returned
    /// for correction) and its reason.
    fn apply_decisions(&mut self, decisions: &[DocumentDecision]) {
        for doc in &mut self.documents {
            if let Some(d) = decisions
                .iter()
                .find(|d| d.document_id == doc.received.document_id)
            {
                doc.status = match d.decision {
                    Decision::Accept => DocumentStatus::Accepted,
                    Decision::Reject => DocumentStatus::Rejected,
                    Decision::ReturnForCorrection => DocumentStatus::ReturnedForCorrection,
                };
                doc.reason = d.reason.clone();
            }
        }
    }

    /// Ids of the documents, in order.
    pub fn document_ids(&self) -> Vec<String> {
        self.documents
            .iter()
            .map(|d| d.received.document_id.clone())
            .collect()
    }
}
