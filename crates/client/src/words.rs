//! How the clients word a filing, so that `efile`, `court` and `clerk` name a state the same way:
//! its state and its documents' review statuses for people (English, then Chinese), their stable
//! codes for scripts, and its case number.

use ecenter_proto::v1 as pb;

/// How much of the English a word shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// Short words for a reviewer's narrow columns (`partially`, `returned`): `court`, `clerk`.
    Terse,
    /// Whole words for the lawyer (`partially accepted`, `returned for correction`): `efile`.
    Full,
}

/// A filing's state as people read it (`under review 审查中`); `unknown` for a value this client
/// does not know.
pub fn filing_state(s: i32, wording: Wording) -> &'static str {
    match pb::FilingState::try_from(s) {
        Ok(pb::FilingState::Received) => "received 已收到",
        Ok(pb::FilingState::UnderReview) => "under review 审查中",
        Ok(pb::FilingState::Accepted) => "accepted 已接收",
        Ok(pb::FilingState::PartiallyAccepted) => match wording {
            Wording::Terse => "partially 部分接收",
            Wording::Full => "partially accepted 部分接收",
        },
        Ok(pb::FilingState::ReturnedForCorrection) => returned(wording),
        Ok(pb::FilingState::Rejected) => "rejected 不予接收",
        Ok(pb::FilingState::Docketed) => "docketed 已立案",
        Ok(pb::FilingState::Cancelled) => "cancelled 已撤回",
        _ => "unknown",
    }
}

/// A document's review status as people read it (`pending 待审查`), within a filing in state
/// `filing`: one still pending in a withdrawn filing was never reviewed and never will be
/// (`not reviewed, withdrawn 未审查（已撤回）`). `unknown` for a value this client does not know.
pub fn document_status(s: i32, filing: i32, wording: Wording) -> &'static str {
    let withdrawn = filing == pb::FilingState::Cancelled as i32;
    match pb::DocumentStatus::try_from(s) {
        Ok(pb::DocumentStatus::Pending) if withdrawn => "not reviewed, withdrawn 未审查（已撤回）",
        Ok(pb::DocumentStatus::Pending) => "pending 待审查",
        Ok(pb::DocumentStatus::Accepted) => "accepted 已接收",
        Ok(pb::DocumentStatus::Rejected) => "rejected 不予接收",
        Ok(pb::DocumentStatus::ReturnedForCorrection) => returned(wording),
        _ => "unknown",
    }
}

/// Returned for correction (退回补正), a filing's state or a document's status.
fn returned(wording: Wording) -> &'static str {
    match wording {
        Wording::Terse => "returned 退回补正",
        Wording::Full => "returned for correction 退回补正",
    }
}

/// The stable code of an enum value for scripts: the protobuf name without its type prefix
/// (`FILING_STATE_UNDER_REVIEW` → `UNDER_REVIEW`).
pub fn code(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_string()
}

/// A filing's state as a stable code for scripts (`UNDER_REVIEW`); `UNSPECIFIED` for a value this
/// client does not know.
pub fn filing_state_code(s: i32) -> String {
    let state = pb::FilingState::try_from(s).unwrap_or_default();
    code(state.as_str_name(), "FILING_STATE_")
}

/// A document's review status as a stable code for scripts (`PENDING`), within a filing in state
/// `filing`: one still pending in a withdrawn filing is `WITHDRAWN`, never to be reviewed — a
/// script reading `PENDING` would tell its user the court still has it. `UNSPECIFIED` for a value
/// this client does not know.
pub fn document_status_code(s: i32, filing: i32) -> String {
    let status = pb::DocumentStatus::try_from(s).unwrap_or_default();
    if status == pb::DocumentStatus::Pending && filing == pb::FilingState::Cancelled as i32 {
        return "WITHDRAWN".to_string();
    }
    code(status.as_str_name(), "DOCUMENT_STATUS_")
}

/// The filing's case number, or 新案 for a filing that opens a case not yet docketed.
pub fn case_or_new(f: &pb::Filing) -> String {
    f.case_number
        .as_ref()
        .map_or_else(|| "新案 new case".to_string(), |c| c.normalized.clone())
}
/// Where a listed lawyer's portal sign-in codes go, for people: the phone and the e-mail the court
/// listed, whichever it listed (`13800138000 · zhang@chutian-law.cn`).
pub fn code_addresses(l: &pb::Lawyer) -> String {
    let listed: Vec<&str> = [l.phone.as_str(), l.email.as_str()]
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect();
    crate::table::printable(&listed.join(" · "))
}
