//! The court-filing domain of ecenter: case numbers, the filing lifecycle, events and their
//! projection, routing rules and document checks.
//!
//! Invariant: this crate does no I/O. Everything here is a pure function of its inputs, so it can be
//! tested exhaustively and reused by every backend and client.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod case_number;
pub mod court_code;
pub mod effective_service;
pub mod error;
pub mod event;
pub mod filing;
pub mod filing_notice;
pub mod ids;
pub mod lawyer;
pub mod lifecycle;
pub mod media;
pub mod package;
pub mod passkey;
pub mod policy;
pub mod portal;
pub mod reply;
pub mod review;
pub mod routing;
pub mod seal;
pub mod serve_order;
pub mod service;
pub mod similar;
pub mod submission;
pub mod text;
pub mod time;

pub use case_number::{CaseCategory, CaseNumber, CaseNumberError, Procedure};
pub use error::{DomainError, FieldViolation};
pub use event::{Event, FilingReceived, ListedSubmitter, ReceivedDocument};
pub use filing::{Filing, FilingDocument, LogPosition};
pub use ids::{DeliveryKey, RecipientKey};
pub use lifecycle::{Action, Decision, DocumentDecision, DocumentStatus, FilingState};
pub use media::MediaType;
pub use routing::{Route, RoutingRule, RoutingTable};
pub use seal::{AppliedSeal, SealRecord};
pub use similar::IndexedCase;
