//! The hub's gRPC services (tonic): FilingService, EventLogService, SealService,
//! SimilarCaseService and ServiceOfProcess, with what they share — conversion to protobuf,
//! authorization, the request guard, the caller's identity from the TLS connection, and the one
//! mapping of errors to status codes ([`error::ApiError`]).
//!
//! Invariant: of the hub's crates only this one knows tonic; library errors become
//! `tonic::Status` in [`error`] only. The server crate (`ecenter-server`) loads the configuration,
//! opens the store and TLS, builds these services and hands them to [`grpc::serve`]. Electronic
//! service itself (the outbox, the recipients' page) is `ecenter-outbox` and runs without gRPC.
#![warn(missing_docs)]

pub mod archive;
pub mod authz;
pub mod convert;
pub mod documents;
pub mod error;
pub mod filing;
pub mod grpc;
pub mod guard;
pub mod identity;
pub mod intake;
pub mod lawyers;
pub mod log;
pub mod log_tail;
pub mod notices;
pub mod parsing;
pub mod peer;
pub mod receipt_pdf;
pub mod replies;
pub mod review;
pub mod revocation;
pub mod scrub;
pub mod seal;
mod seal_config;
mod seal_pdf;
pub mod service;
pub mod similar;
