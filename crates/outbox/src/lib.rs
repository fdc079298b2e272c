//! Electronic service (电子送达) as it runs, without gRPC: the outbox engine that sends notices by
//! e-mail and SMS and records every attempt, the DSN inbox that turns checked delivery reports into
//! evidence, the replies that complete service (《在线诉讼规则》第31条第2款), the sealed proofs of
//! service (送达回证) and the recipients' page behind the expiring signed links.
//!
//! Boundary: this crate reads and appends events through [`ecenter_store::EventStore`] and talks
//! to MTAs and SMSCs through `ecenter-delivery`; it knows neither tonic nor the seal crates. The hub
//! hands it a [`ProofSigner`] for proofs, and the gRPC services (`ecenter-server`) answer questions
//! about service from the same store. Everything here runs, and is tested, without a gRPC server.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod config_error;
pub mod dsn_inbox;
pub mod engine;
pub mod maildir;
pub mod page;
pub mod proof;
pub mod replies;
pub mod same_origin;

pub use config::{ServiceConfig, ServiceContext};
pub use config_error::ConfigError;
pub use engine::{Outbox, OutboxError};

use std::time::SystemTime;

/// Why a proof of service could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("signing a proof of service failed: {0}")]
pub struct SignError(pub String);

/// Signs proofs of service: a detached CAdES signature (RFC 5652, ETSI EN 319 122) over the
/// proof's JSON bytes, with the hub's seal key and, when configured, a trusted timestamp.
pub trait ProofSigner: Send + Sync + 'static {
    /// The DER `ContentInfo` of a detached signature over `data`, signed at `now`.
    fn sign_detached(&self, data: &[u8], now: SystemTime) -> Result<Vec<u8>, SignError>;
}
