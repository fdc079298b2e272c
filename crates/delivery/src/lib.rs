//! Electronic service (电子送达): the recipient links that notices carry, the outbox's retry,
//! dead-letter, fallback and circuit-breaker decisions, the Chinese notice texts, sending a notice by
//! e-mail (lettre on rustls/ring) and reading delivery status notifications, and sending it by SMS
//! over SMPP 3.4 (rusmppc) with its delivery receipts. The outbox that drives them lives in the server.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod dsn;
pub mod email;
pub mod email_reply;
pub mod free_bounce;
pub mod link;
pub mod mdn;
pub mod notice;
pub mod policy;
pub mod report_copy;
pub mod sms;
pub mod sms_id;
pub mod sms_reply;
