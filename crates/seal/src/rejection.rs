//! Why a seal, a signature, a certificate identifier or a timestamp token was refused.
//!
//! The checks of a verification report (ETSI EN 319 102-1 §5) carry the message to a person; the
//! kind says which of the three things went wrong, so code can tell a file that is not what it
//! claims to be from one this verifier will not judge.

use std::fmt::Display;

/// A refused input and the reason, for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The bytes are not the structure the standard defines: not strict DER, not the GB/T 38540
    /// layout, not an RFC 3161 token, or a part the structure requires is missing.
    #[error("{0}")]
    Malformed(String),
    /// A well-formed input uses an algorithm, hash or curve outside the allow-list.
    #[error("{0}")]
    Unsupported(String),
    /// Well-formed and allowed, but a hash, signature, time or certificate binding does not hold.
    #[error("{0}")]
    Failed(String),
}

impl Rejection {
    /// A decoding error (from `der`, `x509-cert`, UTF-8) as a malformed input.
    pub fn malformed(error: impl Display) -> Rejection {
        Rejection::Malformed(error.to_string())
    }

    /// The reason alone, for a report's detail.
    pub fn reason(&self) -> &str {
        match self {
            Rejection::Malformed(r) | Rejection::Unsupported(r) | Rejection::Failed(r) => r,
        }
    }
}
