//! Why SMS service failed, by stage: the gateway's settings ([`SmsError`], at start-up), the
//! session to the SMSC ([`Unbound`], retried), one notice ([`Unsendable`], final) and its text
//! ([`TooLong`]).

use rusmpp::extra::concatenation::MAX_PARTS;

/// Why a notice cannot become SMPP parts: permanent, the same number and text fail again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsendable {
    /// Not a telephone number SMPP can address (digits, optionally after `+`, at most 20).
    #[error("不是可用的手机号码：{0}")]
    Number(String),
    /// The configured source address does not fit `source_addr` (SMPP 3.4 §5.2.8).
    #[error("短信发送号码不可用：{0}")]
    Source(String),
    /// The text cannot be split into UCS-2 parts.
    #[error("短信内容无法编码：{0}")]
    Text(String),
}

/// Why a text does not fit into concatenated UCS-2 parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooLong {
    /// The part header leaves no room for text.
    #[error("no room for text in a part")]
    NoRoom,
    /// More parts than one concatenated message may have.
    #[error("{0} parts, at most {MAX_PARTS}")]
    Parts(usize),
}

/// Why the session to the SMSC could not be opened or bound; the gateway tries again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unbound {
    /// No TCP connection within the response timeout.
    #[error("connecting timed out")]
    Timeout,
    /// The TCP connection was refused or failed: address and reason.
    #[error("cannot connect to {0}")]
    Connect(String),
    /// TLS could not be set up or the handshake failed.
    #[error("TLS with the SMSC failed: {0}")]
    Tls(String),
    /// `system_id`, `password` or `system_type` do not fit SMPP's fields.
    #[error("an account setting is not usable: {0}")]
    Account(String),
    /// The SMSC answered bind_transceiver with an error status.
    #[error("the SMSC refused the bind as {system_id}: {status}")]
    Refused {
        /// The account.
        system_id: String,
        /// The command_status.
        status: String,
    },
    /// The bind failed otherwise (timeout, connection lost).
    #[error("binding failed: {0}")]
    Bind(String),
}

/// Why the gateway cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// Plain SMPP outside loopback would show notices and the password to the network.
    #[error(
        "SMPP without TLS is allowed only to an SMSC on loopback, not to {0}: use TLS (security = \"tls\")"
    )]
    PlainNotLoopback(String),
    /// A setting does not fit SMPP's fields.
    #[error("SMPP setting {field} is not usable: {why}")]
    Setting {
        /// Which.
        field: &'static str,
        /// Why.
        why: String,
    },
    /// The CA file is not PEM certificates.
    #[error("the SMSC's CA is not usable: {0}")]
    Ca(String),
}
