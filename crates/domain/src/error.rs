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
}

impl FieldViolation {
    /// Builds a violation from anything string-like.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        FieldViolation {
            field: field.into(),
            description: description.into(),
        }
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
}

impl From<CaseNumberError> for DomainError {
    fn from(e: CaseNumberError) -> Self {
        DomainError::InvalidInput(vec![FieldViolation::new("case_number", e.to_string())])
    }
}
