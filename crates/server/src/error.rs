//! The one place where library errors become gRPC statuses, with messages a person can act on and
//! google.rpc error details where they help a program.

use ecenter_domain::DomainError;
use ecenter_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// INVALID_ARGUMENT with one field violation.
pub fn invalid(field: &str, description: impl Into<String>) -> Status {
    let description = description.into();
    Status::with_error_details(
        Code::InvalidArgument,
        format!("{field}: {description}"),
        ErrorDetails::with_bad_request(vec![FieldViolation::new(field, description)]),
    )
}

/// Maps a domain refusal.
pub fn domain_status(e: DomainError) -> Status {
    match &e {
        DomainError::InvalidInput(violations) => Status::with_error_details(
            Code::InvalidArgument,
            e.to_string(),
            ErrorDetails::with_bad_request(
                violations
                    .iter()
                    .map(|v| FieldViolation::new(v.field.clone(), v.description.clone()))
                    .collect::<Vec<_>>(),
            ),
        ),
        DomainError::IllegalTransition { state, .. } => Status::with_error_details(
            Code::FailedPrecondition,
            e.to_string(),
            ErrorDetails::with_precondition_failure_violation(
                "STATE",
                state.as_str(),
                e.to_string(),
            ),
        ),
        DomainError::FilingNotFound(_) => Status::not_found(e.to_string()),
        DomainError::RequestIdReused { .. } | DomainError::OrderRequestIdReused { .. } => {
            Status::already_exists(e.to_string())
        }
    }
}

/// Maps a similar-case index error: a bad query is the caller's to fix, the rest is the operator's.
pub fn similar_status(e: ecenter_similar::index::IndexError) -> Status {
    use ecenter_similar::index::IndexError;
    match e {
        IndexError::BadQuery(m) => Status::invalid_argument(m),
        IndexError::Tantivy(_) | IndexError::File { .. } => {
            tracing::error!(error = %e, "similar-case index error");
            Status::internal(
                "the similar-case index failed; the hub operator has the details in the log",
            )
        }
    }
}

/// Maps a storage error; internal details go to the log, not to the caller.
pub fn store_status(e: StoreError) -> Status {
    match e {
        StoreError::Domain(d) => domain_status(d),
        StoreError::Io(io) => {
            tracing::error!(error = %io, "storage I/O error");
            Status::unavailable(
                "the hub could not store the data; nothing was recorded, retry later with the same request id",
            )
        }
        StoreError::Poisoned | StoreError::ShuttingDown => Status::unavailable(e.to_string()),
        StoreError::FlushFailed(ref reason) => {
            tracing::error!(%reason, "flush of the event log failed");
            Status::unavailable(e.to_string())
        }
        StoreError::Chain(c) => {
            tracing::error!(error = %c, "event log does not verify");
            Status::data_loss(c.to_string())
        }
        StoreError::Database(_) | StoreError::BlobWriterSpent => {
            tracing::error!(error = %e, "storage error");
            Status::internal("internal storage error; the hub operator has the details in the log")
        }
    }
}
