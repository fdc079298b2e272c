//! The filing lifecycle: which action is allowed in which state, and what a review decides.

use crate::error::{DomainError, FieldViolation};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a filing stands. `received → under_review → accepted | partially_accepted | rejected |
/// returned_for_correction`, then `docketed` for accepted ones; `cancelled` while undecided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilingState {
    /// The hub holds it durably; nobody at the court has taken it yet.
    Received,
    /// A court system has taken it into review.
    UnderReview,
    /// Every document accepted.
    Accepted,
    /// Some documents accepted, the others rejected.
    PartiallyAccepted,
    /// Every document rejected.
    Rejected,
    /// At least one document must be corrected and filed again.
    ReturnedForCorrection,
    /// Entered into the case file (立案/入卷).
    Docketed,
    /// Withdrawn by its submitter before a decision.
    Cancelled,
}

impl FilingState {
    /// Every state, for listing and tests.
    pub const ALL: [FilingState; 8] = [
        FilingState::Received,
        FilingState::UnderReview,
        FilingState::Accepted,
        FilingState::PartiallyAccepted,
        FilingState::Rejected,
        FilingState::ReturnedForCorrection,
        FilingState::Docketed,
        FilingState::Cancelled,
    ];

    /// Stable snake_case name, as in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            FilingState::Received => "received",
            FilingState::UnderReview => "under_review",
            FilingState::Accepted => "accepted",
            FilingState::PartiallyAccepted => "partially_accepted",
            FilingState::Rejected => "rejected",
            FilingState::ReturnedForCorrection => "returned_for_correction",
            FilingState::Docketed => "docketed",
            FilingState::Cancelled => "cancelled",
        }
    }

    /// True while the filing waits in its department's queue.
    pub fn is_queued(self) -> bool {
        matches!(self, FilingState::Received | FilingState::UnderReview)
    }

    /// Refuses an action that this state does not allow.
    pub fn check(self, filing_id: &str, action: Action) -> Result<(), DomainError> {
        let allowed = match action {
            Action::StartReview => matches!(self, FilingState::Received),
            Action::Review => matches!(self, FilingState::UnderReview),
            Action::Docket => {
                matches!(self, FilingState::Accepted | FilingState::PartiallyAccepted)
            }
            Action::Cancel => matches!(
                self,
                FilingState::Received
                    | FilingState::UnderReview
                    | FilingState::ReturnedForCorrection
            ),
            // What its filer withdrew carries no court seal and reaches no party.
            Action::Seal | Action::Serve => self != FilingState::Cancelled,
        };
        if allowed {
            Ok(())
        } else {
            Err(DomainError::IllegalTransition {
                filing_id: filing_id.to_string(),
                state: self,
                action,
            })
        }
    }
}

impl fmt::Display for FilingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a caller asks to do to a filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Take into review.
    StartReview,
    /// Decide on the documents.
    Review,
    /// Enter into the case file.
    Docket,
    /// Withdraw.
    Cancel,
    /// Seal one of its documents (电子签章).
    Seal,
    /// Serve a sealed copy of one of its documents (送达).
    Serve,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::StartReview => "start review of it (only a received filing can be taken into review)",
            Action::Review => "review it (only a filing under review can be reviewed; start the review first)",
            Action::Docket => "docket it (only an accepted or partially accepted filing can be docketed)",
            Action::Cancel => "cancel it (only a filing not yet decided, or returned for correction, can be cancelled)",
            Action::Seal => "seal its documents (its filer withdrew it: a withdrawn filing's documents are neither sealed nor served / 已撤回的材料不得签章)",
            Action::Serve => "serve its documents (its filer withdrew it: a withdrawn filing's documents are neither sealed nor served / 已撤回的材料不得送达)",
        })
    }
}

/// Review status of one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Not reviewed yet.
    Pending,
    /// Accepted by the court.
    Accepted,
    /// Refused.
    Rejected,
    /// To be corrected and filed again.
    ReturnedForCorrection,
}

/// The court's decision on one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 接收.
    Accept,
    /// 不予接收.
    Reject,
    /// 退回补正.
    ReturnForCorrection,
}

/// A decision with its reason, for one document of a filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDecision {
    /// `document_id` of the filing's document.
    pub document_id: String,
    /// What the court decided.
    pub decision: Decision,
    /// Why; required unless accepted.
    pub reason: String,
}

/// Checks that `decisions` covers each of `document_ids` exactly once, with reasons where needed,
/// and returns the filing's resulting state.
pub fn review_outcome(
    document_ids: &[String],
    decisions: &[DocumentDecision],
) -> Result<FilingState, DomainError> {
    let mut violations = Vec::new();
    for (i, d) in decisions.iter().enumerate() {
        if !document_ids.contains(&d.document_id) {
            violations.push(FieldViolation::new(
                format!("decisions[{i}].document_id"),
                format!("「{}」 is not a document of this filing", d.document_id),
            ));
        }
        if decisions[..i]
            .iter()
            .any(|e| e.document_id == d.document_id)
        {
            violations.push(FieldViolation::new(
                format!("decisions[{i}].document_id"),
                format!("「{}」 has more than one decision", d.document_id),
            ));
        }
        if d.decision != Decision::Accept && d.reason.trim().is_empty() {
            violations.push(FieldViolation::new(
                format!("decisions[{i}].reason"),
                "a rejection or a return for correction needs a reason the lawyer can act on",
            ));
        }
    }
    for id in document_ids {
        if !decisions.iter().any(|d| &d.document_id == id) {
            violations.push(FieldViolation::new(
                "decisions",
                format!("document 「{id}」 has no decision"),
            ));
        }
    }
    if !violations.is_empty() {
        return Err(DomainError::InvalidInput(violations));
    }
    let accepted = decisions
        .iter()
        .filter(|d| d.decision == Decision::Accept)
        .count();
    let returned = decisions
        .iter()
        .any(|d| d.decision == Decision::ReturnForCorrection);
    Ok(if returned {
        FilingState::ReturnedForCorrection
    } else if accepted == decisions.len() {
        FilingState::Accepted
    } else if accepted == 0 {
        FilingState::Rejected
    } else {
        FilingState::PartiallyAccepted
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(id: &str, decision: Decision, reason: &str) -> DocumentDecision {
        DocumentDecision {
            document_id: id.into(),
            decision,
            reason: reason.into(),
        }
    }

    #[test]
    fn only_the_documented_transitions_are_allowed() {
        use Action::*;
        use FilingState::*;
        let allowed = [
            (Received, StartReview),
            (UnderReview, Review),
            (Accepted, Docket),
            (PartiallyAccepted, Docket),
            (Received, Cancel),
            (UnderReview, Cancel),
            (ReturnedForCorrection, Cancel),
        ];
        for state in FilingState::ALL {
            // A withdrawn filing's documents are neither sealed nor served; any other's may be.
            for action in [Seal, Serve] {
                let ok = state.check("F1", action).is_ok();
                assert_eq!(ok, state != Cancelled, "{state} {action:?}");
            }
            for action in [StartReview, Review, Docket, Cancel] {
                let ok = state.check("F1", action).is_ok();
                assert_eq!(ok, allowed.contains(&(state, action)), "{state} {action:?}");
            }
        }
    }

    #[test]
    fn review_outcome_follows_the_decisions() {
        let ids = vec!["D1".to_string(), "D2".to_string()];
        let acc = |id| decision(id, Decision::Accept, "");
        let rej = |id| decision(id, Decision::Reject, "不属于本院管辖");
        let ret = |id| decision(id, Decision::ReturnForCorrection, "缺少签名");
        assert_eq!(
            review_outcome(&ids, &[acc("D1"), acc("D2")]).unwrap(),
            FilingState::Accepted
        );
        assert_eq!(
            review_outcome(&ids, &[acc("D1"), rej("D2")]).unwrap(),
            FilingState::PartiallyAccepted
        );
        assert_eq!(
            review_outcome(&ids, &[rej("D1"), rej("D2")]).unwrap(),
            FilingState::Rejected
        );
        assert_eq!(
            review_outcome(&ids, &[acc("D1"), ret("D2")]).unwrap(),
            FilingState::ReturnedForCorrection
        );
    }

    #[test]
    fn review_refuses_missing_duplicate_unknown_and_unexplained_decisions() {
        let ids = vec!["D1".to_string(), "D2".to_string()];
        let missing = review_outcome(&ids, &[decision("D1", Decision::Accept, "")]).unwrap_err();
        assert!(missing.to_string().contains("D2"), "{missing}");
        let dup = review_outcome(
            &ids,
            &[
                decision("D1", Decision::Accept, ""),
                decision("D1", Decision::Accept, ""),
                decision("D2", Decision::Accept, ""),
            ],
        )
        .unwrap_err();
        assert!(dup.to_string().contains("more than one"), "{dup}");
        let unknown = review_outcome(
            &ids,
            &[
                decision("D1", Decision::Accept, ""),
                decision("D2", Decision::Accept, ""),
                decision("D9", Decision::Accept, ""),
            ],
        )
        .unwrap_err();
        assert!(unknown.to_string().contains("D9"), "{unknown}");
        let no_reason = review_outcome(
            &ids,
            &[
                decision("D1", Decision::Reject, " "),
                decision("D2", Decision::Accept, ""),
            ],
        )
        .unwrap_err();
        assert!(no_reason.to_string().contains("reason"), "{no_reason}");
    }
}
