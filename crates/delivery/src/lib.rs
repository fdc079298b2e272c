//! Electronic service (电子送达). So far: the recipient links that notices carry. The outbox, the
//! e-mail and SMS channels and the proofs of service follow (issues #7 and #8).
#![warn(missing_docs)]

pub mod link;
