//! The one place where errors become gRPC statuses: [`ApiError`] says what went wrong in the
//! hub's terms, and `From<ApiError> for Status` is the single mapping to a code, a message a
//! person can act on and, where they help a program, google.rpc error details (field violations,
//! precondition failures, retry info). Handlers build an `ApiError` (or let a library error
//! convert into one with `?`); nothing else constructs a `Status` (the guard layer only shortens
//! an over-long one's header).
//!
//! Internal details (I/O errors, database errors) go to the hub's log, never to the caller.

use ecenter_budget::Exceeded;
use ecenter_domain::DomainError;
use ecenter_similar::index::IndexError;
use ecenter_store::StoreError;
use ecenter_store::verified::DocumentError;
use std::time::Duration;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// What went wrong with a request, before it is a gRPC status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field of the request is wrong: INVALID_ARGUMENT with one field violation.
    #[error("{field}: {reason}")]
    Invalid {
        /// The request field, as the .proto names it (`documents[0].name`).
        field: String,
        /// What is wrong with it and what to send instead.
        reason: String,
    },
    /// A document parse stopped on its budget (`[parsing]`): the caller's document is
    /// INVALID_ARGUMENT on `field`, one the hub holds (`stored`) FAILED_PRECONDITION; a deadline
    /// or a cancellation keeps its own code.
    #[error("{field}: {exceeded}")]
    Budget {
        /// What stopped the parse.
        exceeded: Exceeded,
        /// The request field the document came in.
        field: String,
        /// The document is one the hub holds, not one the caller sent.
        stored: bool,
    },
    /// The hub is busy for this caller: RESOURCE_EXHAUSTED with a retry delay.
    #[error("{message}")]
    Exhausted {
        /// What is exhausted, naming the setting.
        message: String,
        /// When to try again.
        retry: Duration,
    },
    /// NOT_FOUND.
    #[error("{0}")]
    NotFound(String),
    /// ALREADY_EXISTS.
    #[error("{0}")]
    AlreadyExists(String),
    /// FAILED_PRECONDITION: the request is right but the hub's state or configuration is not.
    #[error("{0}")]
    FailedPrecondition(String),
    /// PERMISSION_DENIED: the authorization table does not grant it.
    #[error("{0}")]
    PermissionDenied(String),
    /// UNAUTHENTICATED: no usable client identity.
    #[error("{0}")]
    Unauthenticated(String),
    /// UNAVAILABLE: retry later.
    #[error("{0}")]
    Unavailable(String),
    /// DEADLINE_EXCEEDED.
    #[error("{0}")]
    DeadlineExceeded(String),
    /// DATA_LOSS.
    #[error("{0}")]
    DataLoss(String),
    /// INTERNAL: the hub's own fault; the message says what stopped, not its internals.
    #[error("{0}")]
    Internal(String),
    /// The domain refused.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Storage refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored document was not handed out.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The similar-case index refused or failed.
    #[error(transparent)]
    Similar(#[from] IndexError),
}

impl ApiError {
    /// NOT_FOUND with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::NotFound(message.into())
    }
    /// ALREADY_EXISTS with `message`.
    pub fn already_exists(message: impl Into<String>) -> Self {
        ApiError::AlreadyExists(message.into())
    }
    /// FAILED_PRECONDITION with `message`.
    pub fn failed_precondition(message: impl Into<String>) -> Self {
        ApiError::FailedPrecondition(message.into())
    }
    /// PERMISSION_DENIED with `message`.
    pub fn permission_denied(message: impl Into<String>) -> Self {
        ApiError::PermissionDenied(message.into())
    }
    /// UNAUTHENTICATED with `message`.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ApiError::Unauthenticated(message.into())
    }
    /// UNAVAILABLE with `message`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::Unavailable(message.into())
    }
    /// DEADLINE_EXCEEDED with `message`.
    pub fn deadline_exceeded(message: impl Into<String>) -> Self {
        ApiError::DeadlineExceeded(message.into())
    }
    /// DATA_LOSS with `message`.
    pub fn data_loss(message: impl Into<String>) -> Self {
        ApiError::DataLoss(message.into())
    }
    /// INTERNAL with `message`.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::Internal(message.into())
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        match e {
            ApiError::Invalid { field, reason } => Status::with_error_details(
                Code::InvalidArgument,
                format!("{field}: {reason}"),
                ErrorDetails::with_bad_request(vec![FieldViolation::new(field, reason)]),
            ),
            ApiError::Budget {
                exceeded,
                field,
                stored,
            } => budget(&exceeded, &field, stored),
            ApiError::Exhausted { message, retry } => Status::with_error_details(
                Code::ResourceExhausted,
                message,
                ErrorDetails::with_retry_info(Some(retry)),
            ),
            ApiError::NotFound(m) => Status::not_found(m),
            ApiError::AlreadyExists(m) => Status::already_exists(m),
            ApiError::FailedPrecondition(m) => Status::failed_precondition(m),
            ApiError::PermissionDenied(m) => Status::permission_denied(m),
            ApiError::Unauthenticated(m) => Status::unauthenticated(m),
            ApiError::Unavailable(m) => Status::unavailable(m),
            ApiError::DeadlineExceeded(m) => Status::deadline_exceeded(m),
            ApiError::DataLoss(m) => Status::data_loss(m),
            ApiError::Internal(m) => Status::internal(m),
            ApiError::Domain(d) => domain(d),
            ApiError::Store(s) => store(s),
            ApiError::Document(d) => match d {
                DocumentError::Damaged { .. } => Status::data_loss(d.to_string()),
                DocumentError::Interrupted => Status::internal(d.to_string()),
            },
            ApiError::Similar(s) => similar(s),
        }
    }
}

/// INVALID_ARGUMENT with one field violation.
pub fn invalid(field: &str, description: impl Into<String>) -> Status {
    ApiError::Invalid {
        field: field.to_string(),
        reason: description.into(),
    }
    .into()
}

/// A document the hub cannot read for the work asked: INVALID_ARGUMENT for bytes the caller sent
/// (send others), FAILED_PRECONDITION for a document stored in the hub and named by id (the
/// request is right; the document, already in the record, is what stands in the way — gRPC's
/// status guide), as a stored document over a parse limit is (`PARSE_BUDGET`).
pub fn unreadable(field: &str, description: impl Into<String>, stored: bool) -> Status {
    let description = description.into();
    if !stored {
        return invalid(field, description);
    }
    Status::with_error_details(
        Code::FailedPrecondition,
        format!("{field}: {description}"),
        ErrorDetails::with_precondition_failure_violation(
            "DOCUMENT_UNREADABLE",
            field,
            description,
        ),
    )
}

/// Checks a free text a person writes for the record (a reason, a comment), when given: at most
/// `max` characters, line breaks allowed, nothing else hidden (a U+202E would show it reversed in
/// a proof or a table). `label` names it in Chinese. Empty passes: refuse it where it is required.
///
/// Errors: INVALID_ARGUMENT naming `field`.
pub fn text_field(field: &str, text: &str, max: usize, label: &str) -> Result<(), Status> {
    match text {
        "" => Ok(()),
        text => {
            ecenter_domain::text::check_lines(text, max, label).map_err(|why| invalid(field, why))
        }
    }
}

/// Checks a one-line text a person writes for the record (a seal's reason), when given: as
/// [`text_field`], without line breaks.
///
/// Errors: INVALID_ARGUMENT naming `field`.
pub fn line_field(field: &str, text: &str, max: usize, label: &str) -> Result<(), Status> {
    match text {
        "" => Ok(()),
        text => {
            ecenter_domain::text::check_field(text, max, label).map_err(|why| invalid(field, why))
        }
    }
}

/// Maps a domain refusal.
pub fn domain_status(e: DomainError) -> Status {
    ApiError::Domain(e).into()
}

/// Maps a similar-case index error: a bad query is the caller's to fix, the rest is the operator's.
pub fn similar_status(e: IndexError) -> Status {
    ApiError::Similar(e).into()
}

/// Maps a storage error; internal details go to the log, not to the caller.
pub fn store_status(e: StoreError) -> Status {
    ApiError::Store(e).into()
}

fn budget(e: &Exceeded, field: &str, stored: bool) -> Status {
    match e {
        Exceeded::Limit { .. } if stored => Status::with_error_details(
            Code::FailedPrecondition,
            format!("{field}: {e}"),
            ErrorDetails::with_precondition_failure_violation("PARSE_BUDGET", field, e.to_string()),
        ),
        Exceeded::Limit { .. } => invalid(field, e.to_string()),
        Exceeded::DeadlinePassed(_) => Status::deadline_exceeded(e.to_string()),
        Exceeded::Cancelled => Status::cancelled(e.to_string()),
    }
}

/// The locale of the Chinese text a refusal carries for people (google.rpc.LocalizedMessage).
pub const CHINESE: &str = "zh-CN";

/// The domain's refusal; where it has Chinese words for a person
/// ([`DomainError::in_chinese`]), they ride along as a zh-CN google.rpc.LocalizedMessage (the
/// portal shows them to the lawyer; the message itself stays English for integrators).
fn domain(e: DomainError) -> Status {
    let zh = e.in_chinese();
    let status = domain_in_english(e);
    match zh {
        Some(zh) => with_chinese(status, &zh),
        None => status,
    }
}

/// `status` with a zh-CN LocalizedMessage added to the details it already has.
fn with_chinese(status: Status, zh: &str) -> Status {
    let mut details = status.get_error_details();
    details.set_localized_message(CHINESE, zh);
    Status::with_error_details(status.code(), status.message(), details)
}

/// Refuses an e-mail address the court's relay would not take, the same way wherever one is
/// given (a serve order's recipient, a lawyer's notice address): a non-ASCII mailbox name where
/// `[service.smtp] smtputf8` is off is FAILED_PRECONDITION — a valid address, the operator's to
/// enable; anything else is the address's own fault, INVALID_ARGUMENT in words (the mail
/// library's reason stays in the hub's log).
pub(crate) fn sendable_email(field: &str, email: &str, smtputf8: bool) -> Result<(), Status> {
    use ecenter_delivery::email::AddressError;
    match ecenter_delivery::email::check_address(email, smtputf8) {
        Ok(()) => Ok(()),
        Err(why @ AddressError::NeedsSmtputf8(_)) => {
            Err(ApiError::failed_precondition(format!("{field}: {why}")).into())
        }
        Err(why @ AddressError::MixedScript { .. }) => Err(invalid(field, why.to_string())),
        Err(why) => {
            tracing::info!(%why, field, "an e-mail address refused");
            Err(invalid(
                field,
                format!(
                    "「{}」 is not an e-mail address a relay takes: give only the address, as \
                     name@example.cn / 不是可以发送的电子邮箱地址，请只填写地址本身",
                    ecenter_domain::text::quoted(email, 80)
                ),
            ))
        }
    }
}

/// INVALID_ARGUMENT with one field violation, and the same in Chinese for people.
pub fn invalid_zh(field: &str, description: impl Into<String>, zh: &str) -> Status {
    with_chinese(invalid(field, description), zh)
}

fn domain_in_english(e: DomainError) -> Status {
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
        DomainError::Precondition { .. } => Status::failed_precondition(e.to_string()),
        DomainError::DocketedUnder { .. } => Status::with_error_details(
            Code::FailedPrecondition,
            e.to_string(),
            ErrorDetails::with_precondition_failure_violation("STATE", "docketed", e.to_string()),
        ),
        DomainError::FilingNotFound(_) => Status::not_found(e.to_string()),
        DomainError::RequestIdReused { .. } | DomainError::OrderRequestIdReused { .. } => {
            Status::already_exists(e.to_string())
        }
        DomainError::CaseNumberTaken {
            case_number,
            filing_id,
            ..
        } => Status::with_error_details(
            Code::AlreadyExists,
            e.to_string(),
            ErrorDetails::with_resource_info(
                "case",
                case_number.clone(),
                format!("filing {filing_id}"),
                e.to_string(),
            ),
        ),
    }
}

fn similar(e: IndexError) -> Status {
    match e {
        IndexError::BadQuery(m) => Status::invalid_argument(m),
        // Outdated is handled when the hub opens its index; met later, it is the operator's.
        IndexError::Tantivy(_) | IndexError::File { .. } | IndexError::Outdated { .. } => {
            tracing::error!(error = %e, "similar-case index error");
            Status::internal(
                "the similar-case index failed; the hub operator has the details in the log",
            )
        }
    }
}

fn store(e: StoreError) -> Status {
    match e {
        StoreError::Domain(d) => domain(d),
        StoreError::Io(io) => {
            tracing::error!(error = %io, "storage I/O error");
            Status::unavailable(
                "the hub could not read or write its data (a disk error); retry later with the same request id: a change already recorded is answered as recorded, not made twice",
            )
        }
        StoreError::Poisoned(_)
        | StoreError::ShuttingDown
        | StoreError::WriterLost
        | StoreError::SchemaNewer(_)
        | StoreError::AnotherLog(_)
        | StoreError::Altered(_) => Status::unavailable(e.to_string()),
        StoreError::FlushFailed(ref reason) => {
            tracing::error!(%reason, "flush of the event log failed");
            Status::unavailable(e.to_string())
        }
        StoreError::Postgres(ref reason) | StoreError::Unreachable(ref reason) => {
            tracing::error!(%reason, "PostgreSQL, the log of record, failed");
            Status::unavailable(
                "the hub could not reach its database; nothing was recorded, retry later with the same request id",
            )
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
