//! Electronic service (电子送达). So far: the recipient links that notices carry, the outbox's retry,
//! dead-letter, fallback and circuit-breaker decisions, and the Chinese notice texts. The outbox
//! itself, the e-mail and SMS channels and the proofs of service follow (issues #7 and #8).
#![warn(missing_docs)]

pub mod link;
pub mod notice;
pub mod policy;
