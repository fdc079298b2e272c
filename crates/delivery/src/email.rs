//! Sending one notice to one recipient by e-mail through lettre (rustls on ring): the message built
//! and DKIM-signed (relaxed/relaxed) by lettre, then sent over pooled `AsyncSmtpConnection`s so that
//! the delivery status notification parameters lettre's transport does not offer can be given —
//! `RET=HDRS ENVID=<notice id>` on MAIL and `NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=…` on RCPT, when the
//! relay announces DSN. The outbox's idempotency key is the Message-ID and the ENVID; a timeout
//! covers the whole send (lettre's own covers only connecting). The outcome is an [`Attempt`].

use crate::policy::Attempt;
use lettre::address::Address;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey, dkim_sign,
};
use lettre::message::header::{ContentType, HeaderName};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{
    ClientId, MailBodyParameter, MailParameter, RcptParameter,
};
use std::sync::Mutex;
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

/// The DKIM signing algorithms the hub offers (`[service.smtp.dkim] algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DkimAlgorithm {
    /// rsa-sha256 (RFC 6376 §3.3.1); the key file is PKCS#1 PEM.
    #[default]
    Rsa,
    /// ed25519-sha256 (RFC 8463); the key file is the base64 of the 32-byte seed.
    Ed25519,
}

impl std::fmt::Display for DkimAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DkimAlgorithm::Rsa => "rsa",
            DkimAlgorithm::Ed25519 => "ed25519",
        })
    }
}

/// DKIM signing of outgoing notices.
#[derive(Clone)]
pub struct DkimSettings {
    /// The signing domain (`d=`), normally the From address's domain.
    pub domain: String,
    /// The selector (`s=`) under which the public key is published in DNS.
    pub selector: String,
    /// How the key signs (RFC 6376 §3.3, RFC 8463).
    pub algorithm: DkimAlgorithm,
    /// The private key text.
    pub private_key: String,
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
    /// The envelope sender, where delivery reports and bounces go (default: the From address).
    pub envelope_from: Option<String>,
    /// DKIM signing, if configured.
    pub dkim: Option<DkimSettings>,
    /// The only CA (PEM) trusted for the relay's certificate; default: the usual public roots.
    pub relay_ca_pem: Option<Vec<u8>>,
    /// Longest a whole send may take.
    pub timeout: Duration,
    /// Idle connections kept for reuse (as many as sends run at once avoids reconnecting).
    pub pool_size: usize,
}

/// Shows no password and no key.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("from", &self.from)
            .field("envelope_from", &self.envelope_from)
            .field(
                "dkim",
                &self
                    .dkim
                    .as_ref()
                    .map(|d| format!("{}._domainkey.{} ({})", d.selector, d.domain, d.algorithm)),
            )
            .field("relay_ca", &self.relay_ca_pem.is_some())
            .field("timeout", &self.timeout)
            .field("pool_size", &self.pool_size)
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

/// Why a send did not go through: the relay's answer, or no connection at all.
enum Failure {
    Smtp(lettre::transport::smtp::Error),
    Connect(String),
    /// The message went out (DATA and the body were sent) but no reply came: the relay may hold
    /// it. Never sent again inside the attempt; the next attempt counts as a resend in doubt.
    InDoubt(lettre::transport::smtp::Error),
    /// This relay cannot take the message at all (final).
    Refused(String),
}

impl From<lettre::transport::smtp::Error> for Failure {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Failure::Smtp(e)
    }
}

/// An open connection and whether its relay takes DSN parameters.
struct Connection {
    smtp: AsyncSmtpConnection,
    dsn: bool,
    /// The relay offers SMTPUTF8 (RFC 6531).
    utf8: bool,
}

/// Sends notices; pooled connections to one relay.
pub struct Mailer {
    host: String,
    port: u16,
    security: SmtpSecurity,
    credentials: Option<Credentials>,
    from: Mailbox,
    envelope_from: Address,
    dkim: Option<(DkimSettings, DkimSigningAlgorithm)>,
    relay_ca: Option<Certificate>,
    timeout: Duration,
    pool_size: usize,
    idle: Mutex<Vec<Connection>>,
}

impl Mailer {
    /// A mailer for `config`; plaintext is refused unless the relay is on loopback, a DKIM key that
    /// does not load is refused now rather than at the first send.
    pub fn new(config: &SmtpConfig) -> Result<Mailer, EmailError> {
        let bad = |e: &dyn std::fmt::Display| EmailError::Config(e.to_string());
        let from: Mailbox = config.from.parse().map_err(|e| bad(&e))?;
        let envelope_from = match &config.envelope_from {
            Some(a) => a.parse().map_err(|e| bad(&e))?,
            None => from.email.clone(),
        };
        if config.security == SmtpSecurity::PlainLoopback {
            let loopback = config
                .host
                .parse::<std::net::IpAddr>()
                .map_or(config.host == "localhost", |ip| ip.is_loopback());
            if !loopback {
                return Err(EmailError::Config(format!(
                    "plaintext SMTP only to a relay on loopback, not {}",
                    config.host
                )));
            }
        }
        let dkim = match &config.dkim {
            Some(d) => {
                let algorithm = match d.algorithm {
                    DkimAlgorithm::Rsa => DkimSigningAlgorithm::Rsa,
                    DkimAlgorithm::Ed25519 => DkimSigningAlgorithm::Ed25519,
                };
                DkimSigningKey::new(&d.private_key, algorithm)
                    .map_err(|e| EmailError::Config(format!("DKIM key: {e}")))?;
                Some((d.clone(), algorithm))
            }
            None => None,
        };
        let relay_ca = match &config.relay_ca_pem {
            Some(pem) => Some(
                Certificate::from_pem(pem)
                    .map_err(|e| EmailError::Config(format!("relay CA certificate: {e}")))?,
            ),
            None => None,
        };
        Ok(Mailer {
            relay_ca,
            host: config.host.clone(),
            port: config.port,
            security: config.security.clone(),
            credentials: config
                .credentials
                .as_ref()
                .map(|(u, p)| Credentials::new(u.clone(), p.clone())),
            from,
            envelope_from,
            dkim,
            timeout: config.timeout,
            pool_size: config.pool_size,
            idle: Mutex::new(Vec::new()),
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
        let sent = self.send_notice(to, subject, body, message_id).await;
        (sent.attempt, sent.reply)
    }

    /// Sends one notice and says how it went, including whether the relay may hold it although
    /// the attempt did not succeed (the connection was lost after the message was sent).
    pub async fn send_notice(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        message_id: &str,
    ) -> EmailSent {
        let done = |attempt, reply, maybe_sent| EmailSent {
            attempt,
            reply,
            maybe_sent,
        };
        let (recipient, bytes) = match self.message(to, subject, body, message_id) {
            Ok(m) => m,
            Err(a) => return done(a, String::new(), false),
        };
        match tokio::time::timeout(self.timeout, self.transmit(&recipient, &bytes, message_id))
            .await
        {
            // Cut off mid-send: the relay may have the message.
            Err(_) => done(
                Attempt::Temporary(format!(
                    "the relay did not finish within {} s",
                    self.timeout.as_secs()
                )),
                String::new(),
                true,
            ),
            Ok(Ok(reply)) => done(Attempt::Accepted, reply, false),
            Ok(Err(Failure::Smtp(e))) if e.is_permanent() => {
                done(Attempt::Permanent(e.to_string()), String::new(), false)
            }
            Ok(Err(Failure::Smtp(e))) => {
                done(Attempt::Temporary(e.to_string()), String::new(), false)
            }
            Ok(Err(Failure::Connect(m))) => done(Attempt::Temporary(m), String::new(), false),
            Ok(Err(Failure::Refused(m))) => done(Attempt::Permanent(m), String::new(), false),
            Ok(Err(Failure::InDoubt(e))) => done(
                Attempt::Temporary(format!(
                    "the connection was lost after the message was sent, before the relay answered ({e}): the relay may hold it"
                )),
                String::new(),
                true,
            ),
        }
    }

    /// The signed message's bytes and its recipient.
    fn message(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        message_id: &str,
    ) -> Result<(Address, Vec<u8>), Attempt> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| Attempt::Permanent(format!("「{to}」 is not an e-mail address: {e}")))?;
        let to = Mailbox::new(to.name, sendable(&to.email)?);
        let recipient = to.email.clone();
        let mut message = Message::builder()
            .from(self.from.clone())
            // Answers land where reports do: the hub reads both from that maildir.
            .reply_to(Mailbox::new(None, self.envelope_from.clone()))
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{message_id}>")))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| Attempt::Permanent(format!("the message cannot be built: {e}")))?;
        if let Some((d, algorithm)) = &self.dkim {
            let key = DkimSigningKey::new(&d.private_key, *algorithm)
                .map_err(|e| Attempt::Permanent(format!("DKIM key: {e}")))?;
            let config = DkimConfig::new(
                d.selector.clone(),
                d.domain.clone(),
                key,
                [
                    "From",
                    "To",
                    "Subject",
                    "Date",
                    "Message-ID",
                    "MIME-Version",
                    "Content-Type",
                ]
                .into_iter()
                .map(HeaderName::new_from_ascii_str)
                .collect(),
                DkimCanonicalization {
                    header: DkimCanonicalizationType::Relaxed,
                    body: DkimCanonicalizationType::Relaxed,
                },
            );
            dkim_sign(&mut message, &config);
        }
        Ok((recipient, message.formatted()))
    }

    async fn connect(&self) -> Result<Connection, Failure> {
        let hello = ClientId::default();
        let tls = || match &self.relay_ca {
            // Only the court's own CA: the relay is pinned.
            Some(ca) => TlsParameters::builder(self.host.clone())
                .certificate_store(CertificateStore::None)
                .add_root_certificate(ca.clone())
                .build_rustls(),
            None => TlsParameters::new(self.host.clone()),
        };
        let mut smtp = match self.security {
            SmtpSecurity::Implicit => {
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(self.timeout),
                    &hello,
                    Some(tls()?),
                    None,
                )
                .await?
            }
            SmtpSecurity::StartTls | SmtpSecurity::PlainLoopback => {
                // Our own socket, so Nagle's algorithm can be turned off: the dot that ends DATA
                // would otherwise wait for the delayed ACK of the body (40 ms a message).
                let tcp = match tokio::time::timeout(
                    self.timeout,
                    tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
                )
                .await
                {
                    Ok(Ok(t)) => t,
                    Ok(Err(e)) => {
                        return Err(Failure::Connect(format!(
                            "cannot connect to {}:{}: {e}",
                            self.host, self.port
                        )));
                    }
                    Err(_) => {
                        return Err(Failure::Connect(format!(
                            "connecting to {}:{} timed out",
                            self.host, self.port
                        )));
                    }
                };
                let _ = tcp.set_nodelay(true);
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await?
            }
        };
        if self.security == SmtpSecurity::StartTls {
            smtp.starttls(tls()?, &hello).await?;
        }
        // What the relay offers, from a fresh EHLO (lettre keeps no record of DSN).
        let ehlo = smtp.command(Ehlo::new(hello)).await?;
        let offers = |keyword: &str| {
            ehlo.message().any(|line| {
                line.split_whitespace()
                    .next()
                    .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
            })
        };
        let (dsn, utf8) = (offers("DSN"), offers("SMTPUTF8"));
        if let Some(credentials) = &self.credentials {
            smtp.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(Connection { smtp, dsn, utf8 })
    }

    async fn transmit(
        &self,
        to: &Address,
        bytes: &[u8],
        message_id: &str,
    ) -> Result<String, Failure> {
        let reused = self.idle.lock().expect("pool lock").pop();
        if let Some(c) = reused.filter(|c| !c.smtp.has_broken()) {
            match self.transaction(c, to, bytes, message_id).await {
                Ok(reply) => return Ok(reply),
                // A pooled connection the relay had closed while idle — EOF, or `421` (RFC 5321
                // §3.8: closing the transmission channel) — before the message went out: not an
                // attempt of this notice; the same send goes on a fresh connection.
                Err(Failure::Smtp(e)) if closed_while_idle(&e) => {
                    tracing::debug!(error = %e, "a pooled SMTP connection was closed by the relay; using a fresh one");
                }
                Err(other) => return Err(other),
            }
        }
        let connection = self.connect().await?;
        self.transaction(connection, to, bytes, message_id).await
    }

    /// One mail transaction on `connection`, which goes back to the pool if it ends well.
    async fn transaction(
        &self,
        mut connection: Connection,
        to: &Address,
        bytes: &[u8],
        message_id: &str,
    ) -> Result<String, Failure> {
        let mut mail = Vec::new();
        if !bytes.is_ascii() {
            mail.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let utf8_address = !to.to_string().is_ascii();
        if utf8_address {
            // RFC 6531: a UTF-8 mailbox name goes only to a relay that offers SMTPUTF8.
            if !connection.utf8 {
                connection.smtp.abort().await;
                return Err(Failure::Refused(format!(
                    "「{to}」 has a non-ASCII mailbox name and the relay does not offer SMTPUTF8 (RFC 6531): it cannot be sent; ask for another address"
                )));
            }
            mail.push(MailParameter::SmtpUtfEight);
        }
        let mut rcpt = Vec::new();
        if connection.dsn {
            request_dsn(&mut mail, &mut rcpt, to, message_id);
        }
        let result = async {
            connection
                .smtp
                .command(Mail::new(Some(self.envelope_from.clone()), mail))
                .await?;
            connection.smtp.command(Rcpt::new(to.clone(), rcpt)).await?;
            connection.smtp.command(Data).await?;
            // From here the relay may have the message whatever happens to the connection.
            connection
                .smtp
                .message(bytes)
                .await
                .map_err(|e| match e.status() {
                    Some(_) => Failure::Smtp(e),
                    None => Failure::InDoubt(e),
                })
        }
        .await;
        match result {
            Ok(response) => {
                let reply = response.message().collect::<Vec<_>>().join(" ");
                let mut idle = self.idle.lock().expect("pool lock");
                if idle.len() < self.pool_size {
                    idle.push(connection);
                }
                Ok(reply)
            }
            Err(e) => {
                // A refused transaction leaves the connection mid-dialogue: close it.
                connection.smtp.abort().await;
                Err(e)
            }
        }
    }
}

/// The DSN parameters of a mail transaction (RFC 3461): RET=HDRS and ENVID (the Message-ID) on
/// MAIL FROM, NOTIFY on RCPT TO, and ORCPT for an ASCII address, so reports name the notice.
fn request_dsn(
    mail: &mut Vec<MailParameter>,
    rcpt: &mut Vec<RcptParameter>,
    to: &Address,
    message_id: &str,
) {
    let utf8_address = !to.to_string().is_ascii();
    mail.push(MailParameter::Other {
        keyword: "RET".into(),
        value: Some("HDRS".into()),
    });
    // lettre xtext-encodes parameter values itself (RFC 3461 §4): encoding them here too
    // sent `+2B2B` for a `+`, and the DSN named another address.
    mail.push(MailParameter::Other {
        keyword: "ENVID".into(),
        value: Some(message_id.to_string()),
    });
    rcpt.push(RcptParameter::Other {
        keyword: "NOTIFY".into(),
        value: Some("SUCCESS,FAILURE,DELAY".into()),
    });
    // RFC 6533 would need the utf-8 address type for a UTF-8 mailbox; without ORCPT the
    // report's Final-Recipient names the address, which is what the hub matches then.
    if !utf8_address {
        rcpt.push(RcptParameter::Other {
            keyword: "ORCPT".into(),
            value: Some(format!("rfc822;{to}")),
        });
    }
}

/// Whether a notice to `address` can go out through a relay that does (`smtputf8`) or does not
/// offer SMTPUTF8: the domain must be a valid (internationalised) domain name, and a non-ASCII
/// mailbox name needs SMTPUTF8. The error names the address and what to do.
pub fn check_address(address: &str, smtputf8: bool) -> Result<(), AddressError> {
    let parsed: Address = address.parse().map_err(|e| AddressError::NotAnAddress {
        address: address.into(),
        why: format!("{e}"),
    })?;
    if let Some(label) = mixed_script_label(parsed.domain()) {
        return Err(AddressError::MixedScript {
            address: address.into(),
            label,
        });
    }
    sendable(&parsed).map_err(|a| match a {
        Attempt::Permanent(m) | Attempt::Temporary(m) => AddressError::Unsendable(m),
        Attempt::Accepted => AddressError::Unsendable(String::new()),
    })?;
    if !smtputf8 && !parsed.user().is_ascii() {
        return Err(AddressError::NeedsSmtputf8(address.into()));
    }
    Ok(())
}

/// Why a notice cannot go to an address through the court's relay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not an addr-spec (RFC 5322 §3.4.1).
    #[error("「{address}」 is not an e-mail address: {why}")]
    NotAnAddress {
        /// The address as given.
        address: String,
        /// The parser's reason.
        why: String,
    },
    /// The domain is no valid internationalised domain name (UTS #46), or the address cannot be
    /// written with it.
    #[error("{0}")]
    Unsendable(String),
    /// A domain label mixing scripts beyond what UTS #39 §5.2 calls highly restrictive (Latin
    /// with Cyrillic: `exаmple` with a Cyrillic а reads as example): the proof would show an
    /// address a reader takes for another.
    #[error(
        "「{address}」: the domain label 「{label}」 mixes scripts (say Latin and Cyrillic letters that look alike), so it reads as another domain; ask the recipient to confirm the address and type it again / 域名「{label}」混用了外观相近的不同文字，请与受送达人核实后重新输入"
    )]
    MixedScript {
        /// The address as given.
        address: String,
        /// The label, in Unicode.
        label: String,
    },
    /// A non-ASCII mailbox name and a relay without SMTPUTF8.
    #[error(
        "「{0}」 has a non-ASCII mailbox name, which needs a relay with SMTPUTF8 (RFC 6531), and [service.smtp] smtputf8 is not set: ask the recipient for another address, or set it if the court's relay offers SMTPUTF8"
    )]
    NeedsSmtputf8(String),
}

/// The first label of `domain` (as typed, or as A-labels) that mixes scripts more than UTS #39
/// §5.2's highly restrictive level allows — one script, or Latin with Han and the Japanese or
/// Korean scripts: 法院.中国 and ab中文.cn pass, exаmple (Cyrillic а) does not.
fn mixed_script_label(domain: &str) -> Option<String> {
    use unicode_security::{RestrictionLevel, RestrictionLevelDetection};
    let (unicode, _) = idna::domain_to_unicode(domain);
    unicode
        .split('.')
        .find(|label| label.detect_restriction_level() > RestrictionLevel::HighlyRestrictive)
        .map(str::to_string)
}

/// `address` as it goes on the wire: an internationalised domain as A-labels (UTS #46 via the
/// `idna` crate), which every relay takes; a UTF-8 mailbox name stays (it needs SMTPUTF8).
fn sendable(address: &Address) -> Result<Address, Attempt> {
    let domain = idna::domain_to_ascii(address.domain()).map_err(|_| {
        Attempt::Permanent(format!(
            "「{address}」: the domain is not a valid internationalised domain name (UTS #46)"
        ))
    })?;
    Address::new(address.user(), domain)
        .map_err(|e| Attempt::Permanent(format!("「{address}」 is not an e-mail address: {e}")))
}

/// How one notice went by e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSent {
    /// The outcome for the outbox.
    pub attempt: Attempt,
    /// The relay's final reply when it accepted the message (its queue id).
    pub reply: String,
    /// Whether the relay may hold the message although the attempt did not succeed.
    pub maybe_sent: bool,
}

/// Whether `e` says the relay closed a pooled connection before this transaction began: end of
/// stream, or a `421` reply.
fn closed_while_idle(e: &lettre::transport::smtp::Error) -> bool {
    match e.status() {
        Some(code) => code.to_string() == "421",
        None => !e.is_permanent() && !e.is_transient() && !e.is_timeout(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_for_the_relay_they_go_through() {
        assert_eq!(check_address("lisi@法院.中国", false), Ok(()));
        let why = check_address("王五@lawfirm-example.cn", false).unwrap_err();
        assert_eq!(
            why,
            AddressError::NeedsSmtputf8("王五@lawfirm-example.cn".into())
        );
        assert!(why.to_string().contains("smtputf8"), "{why}");
        assert_eq!(check_address("王五@lawfirm-example.cn", true), Ok(()));
        let a: Address = "lisi@法院.中国".parse().unwrap();
        assert!(sendable(&a).unwrap().to_string().starts_with("lisi@xn--"));
        assert!(check_address("a@-bad-.example", true).is_err());
        // A label that reads as another domain, typed or as A-labels (round 15, F1).
        for look_alike in ["wangwu@ex\u{430}mple.cn", "wangwu@xn--exmple-4nf.cn"] {
            let why = check_address(look_alike, true).unwrap_err();
            assert!(matches!(why, AddressError::MixedScript { .. }), "{why}");
            assert!(why.to_string().contains("ex\u{430}mple"), "{why}");
        }
        for one_reading in [
            "a@ab中文.cn",
            "a@法院.中国",
            "a@xn--fiqs8s.example",
            "a@law-firm2.cn",
        ] {
            assert_eq!(check_address(one_reading, true), Ok(()), "{one_reading}");
        }
        assert!(matches!(
            check_address("no at sign", true),
            Err(AddressError::NotAnAddress { .. })
        ));
    }
}
