//! Electronic service (电子送达). So far: the recipient links that notices carry, the outbox's retry,
//! dead-letter, fallback and circuit-breaker decisions, the Chinese notice texts, and sending one
//! notice by e-mail (lettre on rustls/ring). The outbox itself, DSNs, the SMS channel and the proofs
//! of service follow (issues #7 and #8).
#![warn(missing_docs)]

pub mod dsn;
pub mod email;
pub mod link;
pub mod notice;
pub mod policy;
