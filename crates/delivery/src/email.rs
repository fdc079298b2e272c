//! Sending one notice to one recipient by e-mail through lettre (rustls on ring), with the
//! outbox's idempotency key as the Message-ID and a timeout around the whole send (lettre's own
//! covers only connecting). The outcome is an [`Attempt`] for the outbox's decisions.

use crate::policy::Attempt;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How to reach the court's mail relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// STARTTLS required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS: only for a relay on loopback in development and tests.
    PlainLoopback,
}

/// The relay and the sender.
#[derive(Clone)]
pub struct SmtpConfig {
    /// Host name (also the TLS name).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub security: SmtpSecurity,
    /// AUTH user and password, if the relay wants them.
    pub credentials: Option<(String, String)>,
    /// The From address, e.g. `湖北省襄阳市中级人民法院 <songda@court.example>`.
    pub from: String,
    /// Longest a whole send may take.
    pub timeout: Duration,
}

/// Shows no password.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a mailer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// The configuration is unusable.
    #[error("e-mail configuration: {0}")]
    Config(String),
}

/// Sends notices; pooled connections to one relay.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

impl Mailer {
    /// A mailer for `config`; plaintext is refused unless the relay is on loopback.
    pub fn new(config: &SmtpConfig) -> Result<Mailer, EmailError> {
        let bad = |e: &dyn std::fmt::Display| EmailError::Config(e.to_string());
        let from: Mailbox = config.from.parse().map_err(|e| bad(&e))?;
        let mut builder = match config.security {
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                    .map_err(|e| bad(&e))?
            }
            SmtpSecurity::Implicit => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(|e| bad(&e))?
            }
            SmtpSecurity::PlainLoopback => {
                let loopback = config
                    .host
                    .parse::<std::net::IpAddr>()
                    .map(|ip| ip.is_loopback())
                    .unwrap_or(config.host == "localhost");
                if !loopback {
                    return Err(EmailError::Config(format!(
                        "plaintext SMTP only to a relay on loopback, not {}",
                        config.host
                    )));
                }
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            }
        };
        builder = builder.port(config.port).timeout(Some(config.timeout));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            timeout: config.timeout,
        })
    }

    /// Sends one notice to `to`, with `message_id` (the outbox entry's idempotency key, without
    /// angle brackets) so a resend after a crash is recognisable as the same message.
    pub async fn send(&self, to: &str, subject: &str, body: &str, message_id: &str) -> Attempt {
        self.send_with_reply(to, subject, body, message_id).await.0
    }

    /// As [`Mailer::send`], with the relay's final reply when it accepted the message (it usually
    /// names the relay's queue id: the gateway id of the proof of service).
    pub async fn send_with_reply(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        message_id: &str,
    ) -> (Attempt, String) {
        match self.transmit(to, subject, body, message_id).await {
            Ok(reply) => (Attempt::Accepted, reply),
            Err(a) => (a, String::new()),
        }
    }

    async fn transmit(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        message_id: &str,
    ) -> Result<String, Attempt> {
        let to: Mailbox = match to.parse() {
            Ok(m) => m,
            Err(e) => {
                return Err(Attempt::Permanent(format!(
                    "「{to}」 is not an e-mail address: {e}"
                )));
            }
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{message_id}>")))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string());
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                return Err(Attempt::Permanent(format!(
                    "the message cannot be built: {e}"
                )));
            }
        };
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_) => Err(Attempt::Temporary(format!(
                "the relay did not finish within {} s",
                self.timeout.as_secs()
            ))),
            Ok(Ok(response)) => Ok(response.message().collect::<Vec<_>>().join(" ")),
            Ok(Err(e)) if e.is_permanent() => Err(Attempt::Permanent(e.to_string())),
            Ok(Err(e)) => Err(Attempt::Temporary(e.to_string())),
        }
    }
}
