//! Domain errors: each says what is wrong and what the caller can do about it.

use crate::case_number::CaseNumberError;
use crate::lifecycle::{Action, FilingState};

/// One bad field of a request, mapped to google.rpc.BadRequest field violations at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, e.g. `header.documents[2].size`.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
    /// The same for a person, in Chinese, naming the field as a form shows it (案号, 标题, a
    /// file's name): what the portal shows a lawyer, and what the API sends as a zh-CN
    /// google.rpc.LocalizedMessage. `None` where a refusal has no Chinese yet (the caller then
    /// shows the English).
    pub zh: Option<String>,
}

impl FieldViolation {
    /// Builds a violation from anything string-like.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        FieldViolation {
            field: field.into(),
            description: description.into(),
            zh: None,
        }
    }

    /// The violation with its Chinese text for people.
    #[must_use]
    pub fn zh(mut self, text: impl Into<String>) -> Self {
        self.zh = Some(text.into());
        self
    }
}

/// Why the domain refuses a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// One or more fields are malformed.
    #[error("invalid request: {}", .0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; "))]
    InvalidInput(Vec<FieldViolation>),
    /// The state of the filing does not allow the action.
    #[error("filing {filing_id} is {state}: cannot {action}")]
    IllegalTransition {
        /// The filing concerned.
        filing_id: String,
        /// Its current state.
        state: FilingState,
        /// What was asked.
        action: Action,
    },
    /// No filing has that id.
    #[error("no filing with id 「{0}」")]
    FilingNotFound(String),
    /// The request id was used before for a different submission.
    #[error(
        "request id 「{request_id}」 was already used for filing {filing_id} with different content; use a new request id for a new filing"
    )]
    RequestIdReused {
        /// The reused key.
        request_id: String,
        /// The filing it belongs to.
        filing_id: String,
    },
    /// A serve order's request id was used before for a different order.
    #[error(
        "request id 「{request_id}」 was already used for serve order {order_id} with different content; use a new request id for a new order"
    )]
    OrderRequestIdReused {
        /// The reused key.
        request_id: String,
        /// The order it belongs to.
        order_id: String,
    },
    /// What was asked cannot be done as things stand (a seal on a refused document, withdrawing a
    /// sealed filing): FAILED_PRECONDITION, with the same in Chinese for people.
    #[error("{reason}")]
    Precondition {
        /// What stands in the way and what to do.
        reason: String,
        /// The same for a person, in Chinese.
        zh: String,
    },
    /// A docketed filing was to be docketed under another number than the one it has.
    #[error(
        "filing {filing_id} is docketed under {case_number} already: it cannot be docketed under another number"
    )]
    DocketedUnder {
        /// The filing.
        filing_id: String,
        /// The number it is docketed under, normalised.
        case_number: String,
    },
    /// A new case was to be docketed under a number another filing already carries: one number
    /// would name two cases, and every record filed under it would belong to both.
    #[error(
        "case number {case_number} is already in use: filing {filing_id} {}; a new case needs a number no filing carries",
        match (*.docketed, *.awaiting_review) {
            (true, _) => "was docketed under it",
            (false, false) => "was filed in it and reviewed",
            (false, true) => "was filed in it and awaits review: if it does not belong to that case, reject it (ReviewFiling) and the number is free",
        }
    )]
    CaseNumberTaken {
        /// The number asked for, as written.
        case_number: String,
        /// The filing that carries it.
        filing_id: String,
        /// Whether that filing is docketed under it (else it was filed in that case).
        docketed: bool,
        /// Whether that filing was filed in the case and nobody at the court has decided on it
        /// yet: a lawyer's guess or mistake, which the court frees the number from by rejecting it.
        awaiting_review: bool,
    },
}

impl From<CaseNumberError> for DomainError {
    fn from(e: CaseNumberError) -> Self {
        DomainError::InvalidInput(vec![
            FieldViolation::new("case_number", e.to_string()).zh(e.in_chinese()),
        ])
    }
}

impl DomainError {
    /// The refusal in Chinese for a person (the lawyer at the portal, a client's user), where
    /// every part of it has Chinese words: field violations joined by `；`. `None` otherwise:
    /// the caller shows the English [`Display`](std::fmt::Display) text.
    pub fn in_chinese(&self) -> Option<String> {
        match self {
            DomainError::InvalidInput(violations) if !violations.is_empty() => violations
                .iter()
                .map(|v| v.zh.clone())
                .collect::<Option<Vec<_>>>()
                .map(|parts| parts.join("；")),
            DomainError::FilingNotFound(id) => Some(format!("没有收件号为「{id}」的材料")),
            DomainError::RequestIdReused { filing_id, .. } => Some(format!(
                "这一请求编号已用于内容不同的材料（收件号「{filing_id}」）；新的提交请使用新的请求编号"
            )),
            DomainError::OrderRequestIdReused { order_id, .. } => Some(format!(
                "这一请求编号已用于内容不同的送达任务（「{order_id}」）；新的送达任务请使用新的请求编号"
            )),
            DomainError::Precondition { zh, .. } => Some(zh.clone()),
            DomainError::DocketedUnder {
                filing_id,
                case_number,
            } => Some(format!(
                "收件号「{filing_id}」的材料已在案号{case_number}下立案，不能改立其他案号"
            )),
            DomainError::CaseNumberTaken {
                case_number,
                filing_id,
                docketed,
                awaiting_review,
            } => Some(format!(
                "案号{case_number}已被使用：收件号「{filing_id}」的材料{}；新案须使用尚无材料使用的案号",
                match (*docketed, *awaiting_review) {
                    (true, _) => "已在此案号下立案",
                    (false, false) => "已提交至此案并经审查",
                    (false, true) =>
                        "已提交至此案，尚未审查（若该材料并非此案材料，不予接收后即可使用此案号）",
                }
            )),
            _ => None,
        }
    }
}
