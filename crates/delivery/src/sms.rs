//! SMS notices over SMPP 3.4 through the court's SMS gateway (SMSC), on the `rusmppc` client.
//!
//! One long-lived transceiver session carries every submit and every delivery receipt. The
//! [`SmppGateway`] keeps it bound: it connects (TCP_NODELAY; TLS on rustls/ring unless the SMSC is on
//! loopback), binds with the hub's credentials as SMPP 3.4, lets rusmppc send `enquire_link` to keep
//! it alive, and reconnects with exponential backoff when it drops. Submits share a window of
//! outstanding requests; `ESME_RTHROTTLED` slows every sender down (the message waits and goes again
//! in the same attempt) instead of failing it.
//!
//! Chinese text goes as UCS-2 (data_coding 8); a notice longer than one part (70 characters) is split
//! into parts of 67 with a concatenation UDH (IE 0x00, one reference per notice). Each part gets its
//! own SMSC message id, and later its own receipt: the receipts arrive as [`IncomingReceipt`]s, which
//! the caller acknowledges (`deliver_sm_resp`, or `data_sm_resp` when the SMSC sent a `data_sm`,
//! written through [`splice`]) only once it has recorded them, so an SMSC sends an unrecorded
//! receipt again after a reconnect.

use crate::policy::Attempt;

mod ack;
mod error;
mod fields;
mod message;
mod receipt;
mod splice;
mod tls;
pub use crate::sms_reply::IncomingReply;
pub(crate) use ack::Ack;
use chrono::{DateTime, NaiveDateTime, Utc};
pub use error::*;
pub use fields::*;
use message::{Message, handle_message};
pub use receipt::*;
use rusmpp::extra::concatenation::MAX_PARTS;
use rusmpp::extra::concatenation::{Concatenation, Concatenator, SubmitSmMultipartExt};
use rusmpp::pdus::{BindTransceiver, DataSm, DeliverSm, SubmitSm};
use rusmpp::tlvs::TlvValue;
use rusmpp::types::COctetString;
use rusmpp::values::{
    DataCoding, EsmClass, InterfaceVersion, Npi, RegisteredDelivery, ServiceType, Ton,
};
use rusmpp::{CommandId, CommandStatus, Pdu};
use rusmppc::{Client, ConnectionBuilder, Event};
use splice::Responder;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tls::{is_loopback, tls_config};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_stream::StreamExt;

/// How to reach the SMSC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmppSecurity {
    /// TLS from the first byte; trust only this CA (PEM) if given, else the usual public roots.
    Tls {
        /// The CA that signed the SMSC's certificate.
        ca_pem: Option<Vec<u8>>,
    },
    /// No TLS: only to an SMSC on loopback (development, tests, a local gateway process).
    PlainLoopback,
}

/// The SMSC and the hub's account on it.
#[derive(Clone)]
pub struct SmppSettings {
    /// Host name (also the TLS name).
    pub host: String,
    /// Port (2775 plain, 3550 or as the operator says for TLS).
    pub port: u16,
    /// Transport security.
    pub security: SmppSecurity,
    /// The account (`system_id`).
    pub system_id: String,
    /// Its password (at most 8 characters in SMPP 3.4).
    pub password: String,
    /// `system_type`, if the operator wants one.
    pub system_type: String,
    /// The sender shown on handsets: a service number such as 12368, or an alphanumeric id.
    pub source_addr: String,
    /// Submits outstanding at once.
    pub window: usize,
    /// Keep-alive interval.
    pub enquire_link: Duration,
    /// Longest wait for any response.
    pub response_timeout: Duration,
    /// Longest pause between reconnection attempts.
    pub reconnect_max: Duration,
    /// Longest a message waits out throttling in one attempt before the attempt counts as failed.
    pub throttle_max_wait: Duration,
}

/// Shows no password.
impl std::fmt::Debug for SmppSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmppSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("system_id", &self.system_id)
            .field("password", &"<hidden>")
            .field("source_addr", &self.source_addr)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl SmppSettings {
    /// Settings with the usual timings for an SMSC at `host:port`.
    pub fn new(host: &str, port: u16, system_id: &str, password: &str) -> SmppSettings {
        SmppSettings {
            host: host.to_string(),
            port,
            security: SmppSecurity::Tls { ca_pem: None },
            system_id: system_id.to_string(),
            password: password.to_string(),
            system_type: String::new(),
            source_addr: "12368".to_string(),
            window: 32,
            enquire_link: Duration::from_secs(30),
            response_timeout: Duration::from_secs(10),
            reconnect_max: Duration::from_secs(30),
            throttle_max_wait: Duration::from_secs(60),
        }
    }
}

/// How one SMS notice went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSent {
    /// The outcome for the outbox.
    pub attempt: Attempt,
    /// The SMSC's id of each part accepted, in order.
    pub part_ids: Vec<String>,
    /// Whether the SMSC may have taken (part of) it although the attempt did not succeed — a
    /// connection lost with a submit outstanding, or some parts accepted: sending it again may
    /// duplicate it, and is counted.
    pub maybe_sent: bool,
}

/// Counters for operators and tests.
#[derive(Debug, Default)]
pub struct GatewayStats {
    /// Successful binds.
    pub binds: AtomicU64,
    /// Failed connection or bind attempts.
    pub connect_failures: AtomicU64,
    /// `ESME_RTHROTTLED` answers.
    pub throttled: AtomicU64,
    /// Parts accepted.
    pub parts_accepted: AtomicU64,
    /// Delivery receipts received.
    pub receipts: AtomicU64,
}

struct Throttle {
    until: Instant,
    pause: Duration,
}

struct Inner {
    settings: SmppSettings,
    bound: watch::Sender<Option<Client>>,
    last_error: Mutex<String>,
    window: Semaphore,
    throttle: Mutex<Throttle>,
    reference: AtomicU8,
    stats: GatewayStats,
    stop: watch::Sender<bool>,
    /// Handsets' messages go here once someone took the receiver ([`SmppGateway::take_replies`]).
    replies: mpsc::Sender<IncomingReply>,
    replies_rx: Mutex<Option<mpsc::Receiver<IncomingReply>>>,
}

/// The SMS channel's gateway: one bound SMPP session kept alive in the background.
#[derive(Clone)]
pub struct SmppGateway {
    inner: Arc<Inner>,
}

const THROTTLE_FIRST_PAUSE: Duration = Duration::from_millis(100);
const THROTTLE_LONGEST_PAUSE: Duration = Duration::from_secs(5);

impl SmppGateway {
    /// Checks `settings` and starts keeping a session bound. Receipts arrive on the returned channel.
    pub fn start(
        settings: SmppSettings,
    ) -> Result<(SmppGateway, mpsc::Receiver<IncomingReceipt>), SmsError> {
        Self::check(&settings)?;
        let (receipts_tx, receipts_rx) = mpsc::channel(4096);
        let (stop, stop_rx) = watch::channel(false);
        let (replies, replies_rx) = mpsc::channel(1024);
        let inner = Arc::new(Inner {
            replies,
            replies_rx: Mutex::new(Some(replies_rx)),
            window: Semaphore::new(settings.window.max(1)),
            bound: watch::channel(None).0,
            last_error: Mutex::new("not connected yet".into()),
            throttle: Mutex::new(Throttle {
                until: Instant::now(),
                pause: Duration::ZERO,
            }),
            reference: AtomicU8::new(0),
            stats: GatewayStats::default(),
            stop,
            settings,
        });
        tokio::spawn(keep_bound(inner.clone(), receipts_tx, stop_rx));
        Ok((SmppGateway { inner }, receipts_rx))
    }

    /// The handsets' messages (replies), once: whoever takes them records each and then
    /// acknowledges it. Until taken, such messages are acknowledged and only logged.
    pub fn take_replies(&self) -> Option<mpsc::Receiver<IncomingReply>> {
        self.inner.replies_rx.lock().expect("replies lock").take()
    }

    /// Checks `settings` without connecting: plain SMPP only on loopback, fields SMPP can carry,
    /// a usable CA.
    pub fn check(settings: &SmppSettings) -> Result<(), SmsError> {
        if settings.security == SmppSecurity::PlainLoopback && !is_loopback(&settings.host) {
            return Err(SmsError::PlainNotLoopback(settings.host.clone()));
        }
        for (field, value, max) in [
            ("system_id", &settings.system_id, 15),
            ("password", &settings.password, 8),
            ("system_type", &settings.system_type, 12),
            ("source_addr", &settings.source_addr, 20),
        ] {
            if value.len() > max || !value.is_ascii() {
                return Err(SmsError::Setting {
                    field,
                    why: format!("at most {max} ASCII characters"),
                });
            }
        }
        if settings.source_addr.is_empty() {
            return Err(SmsError::Setting {
                field: "source_addr",
                why: "the sender shown on handsets must be set".into(),
            });
        }
        if let SmppSecurity::Tls { ca_pem: Some(pem) } = &settings.security {
            tls_config(Some(pem))?;
        }
        Ok(())
    }

    /// Counters.
    pub fn stats(&self) -> &GatewayStats {
        &self.inner.stats
    }

    /// Whether a session is bound now.
    pub fn is_bound(&self) -> bool {
        self.inner.bound.borrow().is_some()
    }

    /// Waits up to `wait` for a bound session.
    pub async fn wait_bound(&self, wait: Duration) -> bool {
        let mut rx = self.inner.bound.subscribe();
        tokio::time::timeout(wait, rx.wait_for(std::option::Option::is_some))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Unbinds and stops reconnecting.
    pub async fn close(&self) {
        self.inner.stop.send_replace(true);
        let client = self.inner.bound.borrow().clone();
        if let Some(client) = client {
            let _ = tokio::time::timeout(Duration::from_secs(2), client.unbind()).await;
            let _ = client.close().await;
        }
    }

    /// Sends `text` to `destination` (digits, optionally with a leading +), every part with a
    /// delivery receipt requested.
    pub async fn send(&self, destination: &str, text: &str) -> SmsSent {
        let fail = |attempt, part_ids: Vec<String>, maybe_sent| SmsSent {
            attempt,
            maybe_sent: maybe_sent || !part_ids.is_empty(),
            part_ids,
        };
        let parts = match self.parts(destination, text) {
            Ok(parts) => parts,
            Err(why) => return fail(Attempt::Permanent(why.to_string()), Vec::new(), false),
        };
        let inner = &self.inner;
        let client = {
            let mut rx = inner.bound.subscribe();
            match tokio::time::timeout(
                inner.settings.response_timeout,
                rx.wait_for(std::option::Option::is_some),
            )
            .await
            {
                Ok(Ok(c)) => c.clone().expect("waited for a client"),
                _ => {
                    let why = inner.last_error.lock().expect("error lock").clone();
                    return fail(
                        Attempt::Temporary(format!("短信网关未连接（SMSC not bound: {why}）")),
                        Vec::new(),
                        false,
                    );
                }
            }
        };
        let mut part_ids = Vec::with_capacity(parts.len());
        for part in parts {
            match self.submit(&client, part).await {
                Ok(id) => part_ids.push(id),
                Err((attempt, maybe)) => return fail(attempt, part_ids, maybe),
            }
        }
        SmsSent {
            attempt: Attempt::Accepted,
            part_ids,
            maybe_sent: false,
        }
    }

    fn parts(&self, destination: &str, text: &str) -> Result<Vec<SubmitSm>, Unsendable> {
        let digits = destination.strip_prefix('+').unwrap_or(destination);
        if digits.is_empty() || digits.len() > 20 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(Unsendable::Number(destination.into()));
        }
        let international = destination.starts_with('+');
        let source = &self.inner.settings.source_addr;
        let alphanumeric = !source.chars().all(|c| c.is_ascii_digit());
        let sm = SubmitSm::builder()
            .service_type(ServiceType::default())
            .source_addr_ton(if alphanumeric {
                Ton::Alphanumeric
            } else {
                Ton::Unknown
            })
            .source_addr_npi(Npi::Unknown)
            .source_addr(
                COctetString::from_str(source).map_err(|e| Unsendable::Source(e.to_string()))?,
            )
            .dest_addr_ton(if international {
                Ton::International
            } else {
                Ton::Unknown
            })
            .dest_addr_npi(Npi::Isdn)
            .destination_addr(
                COctetString::from_str(digits)
                    .map_err(|_| Unsendable::Number(destination.into()))?,
            )
            // SMPP 3.4 §5.2.12: store-and-forward, default message type; the multipart builder adds
            // the UDH indicator (0x40) to the parts that carry a header.
            .esm_class(EsmClass::from(0x00))
            // §5.2.17: the final delivery receipt only (not SME acknowledgements or intermediate
            // notifications).
            .registered_delivery(RegisteredDelivery::from(0x01))
            .build();
        let reference = self.inner.reference.fetch_add(1, Ordering::Relaxed);
        sm.multipart(text)
            .reference_u8(reference)
            .encoder(Utf16)
            .build()
            .map_err(|e| Unsendable::Text(e.to_string()))
    }

    /// Submits one part within the window, waiting out throttling. On failure: the outcome and
    /// whether the SMSC may have taken it.
    async fn submit(&self, client: &Client, part: SubmitSm) -> Result<String, (Attempt, bool)> {
        let inner = &self.inner;
        let _permit = inner
            .window
            .acquire()
            .await
            .map_err(|_| (Attempt::Temporary("the gateway stopped".into()), false))?;
        let started = Instant::now();
        loop {
            let until = inner.throttle.lock().expect("throttle lock").until;
            if until > Instant::now() {
                tokio::time::sleep_until(until.into()).await;
            }
            if client.is_closed() {
                // Nothing was written: safe to send again later without counting a duplicate.
                return Err((
                    Attempt::Temporary("与短信网关的连接已断开（connection closed）".into()),
                    false,
                ));
            }
            // From here on a lost connection may have lost only the answer (rusmppc reports an
            // outstanding request on a dropped connection as ConnectionClosed too).
            match client.submit_sm(part.clone()).await {
                Ok(resp) => {
                    let mut t = inner.throttle.lock().expect("throttle lock");
                    t.pause /= 2;
                    inner.stats.parts_accepted.fetch_add(1, Ordering::Relaxed);
                    return Ok(resp.message_id().to_string());
                }
                Err(rusmppc::error::Error::UnexpectedResponse { response })
                    if response.status() == CommandStatus::EsmeRthrottled =>
                {
                    inner.stats.throttled.fetch_add(1, Ordering::Relaxed);
                    if started.elapsed() >= inner.settings.throttle_max_wait {
                        return Err((
                            Attempt::Temporary(format!(
                                "短信网关限流超过 {} 秒（ESME_RTHROTTLED）",
                                inner.settings.throttle_max_wait.as_secs()
                            )),
                            false,
                        ));
                    }
                    let mut t = inner.throttle.lock().expect("throttle lock");
                    let now = Instant::now();
                    if t.until <= now {
                        t.pause = (t.pause * 2)
                            .max(THROTTLE_FIRST_PAUSE)
                            .min(THROTTLE_LONGEST_PAUSE);
                        t.until = now + t.pause;
                    }
                }
                Err(rusmppc::error::Error::UnexpectedResponse { response }) => {
                    return Err((classify_status(response.status()), false));
                }

                Err(e) => {
                    // The request may have reached the SMSC before the connection or the answer
                    // was lost.
                    return Err((Attempt::Temporary(format!("短信网关无应答：{e}")), true));
                }
            }
        }
    }
}

/// UCS-2 as handsets read it: UTF-16 big-endian (data_coding 8), so a rare character outside the
/// BMP — common enough in Chinese names (生僻字) — goes as a surrogate pair instead of being refused,
/// and a part never ends between the two halves of a pair.
struct Utf16;

impl Concatenator for Utf16 {
    type Error = TooLong;

    fn concatenate(
        &self,
        message: &str,
        max_message_size: usize,
        part_header_size: usize,
    ) -> Result<(Concatenation, DataCoding), TooLong> {
        let units: Vec<u16> = message.encode_utf16().collect();
        let bytes = |u: &[u16]| u.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<u8>>();
        if units.len() * 2 <= max_message_size {
            return Ok((Concatenation::Single(bytes(&units)), DataCoding::Ucs2));
        }
        let per_part = max_message_size.saturating_sub(part_header_size) / 2;
        if per_part < 2 {
            return Err(TooLong::NoRoom);
        }
        let mut parts = Vec::new();
        let mut start = 0;
        while start < units.len() {
            let mut end = (start + per_part).min(units.len());
            if end < units.len() && (0xD800..0xDC00).contains(&units[end - 1]) {
                end -= 1;
            }
            parts.push(bytes(&units[start..end]));
            start = end;
        }
        if parts.len() > MAX_PARTS {
            return Err(TooLong::Parts(parts.len()));
        }
        Ok((Concatenation::Concatenated(parts), DataCoding::Ucs2))
    }
}

/// What an SMSC's error status means for the message: final when it is about the message or the
/// number, temporary for everything else (bounded by the outbox's attempts).
fn classify_status(status: CommandStatus) -> Attempt {
    let code: u32 = status.into();
    let detail = format!("SMSC 拒绝：{status:?} (0x{code:08X})");
    match status {
        CommandStatus::EsmeRinvdstadr
        | CommandStatus::EsmeRinvdstton
        | CommandStatus::EsmeRinvdstnpi
        | CommandStatus::EsmeRinvmsglen
        | CommandStatus::EsmeRinvdcs
        | CommandStatus::EsmeRxPAppn
        | CommandStatus::EsmeRxRAppn => Attempt::Permanent(detail),
        _ => Attempt::Temporary(detail),
    }
}

/// The longest PDU the hub reads (octets): a data_sm or deliver_sm may carry a message_payload
/// of up to 64 KiB (§5.3.2.32), far beyond rusmppc's default of 4096; a longer one ends the
/// session.
const MAX_INCOMING_PDU: usize = 70_000;

trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

async fn open(settings: &SmppSettings) -> Result<Box<dyn Stream>, Unbound> {
    let tcp = tokio::time::timeout(
        settings.response_timeout,
        tokio::net::TcpStream::connect((settings.host.as_str(), settings.port)),
    )
    .await
    .map_err(|_| Unbound::Timeout)?
    .map_err(|e| Unbound::Connect(format!("{}:{}: {e}", settings.host, settings.port)))?;
    // A submit is one small write: do not let it wait for the previous one's ACK.
    let _ = tcp.set_nodelay(true);
    match &settings.security {
        SmppSecurity::PlainLoopback => Ok(Box::new(tcp)),
        SmppSecurity::Tls { ca_pem } => {
            let config = tls_config(ca_pem.as_deref()).map_err(|e| Unbound::Tls(e.to_string()))?;
            let name = rustls::pki_types::ServerName::try_from(settings.host.clone())
                .map_err(|e| Unbound::Tls(format!("{} is not a TLS name: {e}", settings.host)))?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| Unbound::Tls(e.to_string()))?;
            Ok(Box::new(tls))
        }
    }
}

/// Connects and binds as a transceiver (SMPP 3.4); the stream runs through the splice, so the
/// session can answer data_sm too.
async fn connect_and_bind(
    settings: &SmppSettings,
) -> Result<
    (
        Session,
        impl tokio_stream::Stream<Item = Event> + Unpin + 'static,
    ),
    Unbound,
> {
    let (stream, responder) = splice::splice(open(settings).await?);
    let (client, events) = ConnectionBuilder::new()
        .max_command_length(MAX_INCOMING_PDU)
        .enquire_link_interval(settings.enquire_link)
        .response_timeout(settings.response_timeout)
        .disable_interface_version_check()
        .connected(stream);
    let unusable = |e: <COctetString<1, 16> as FromStr>::Err| Unbound::Account(e.to_string());
    let bind = BindTransceiver::builder()
        .system_id(COctetString::from_str(&settings.system_id).map_err(unusable)?)
        .password(COctetString::from_str(&settings.password).map_err(unusable)?)
        .system_type(COctetString::from_str(&settings.system_type).map_err(unusable)?)
        .interface_version(InterfaceVersion::Smpp3_4)
        .addr_ton(Ton::Unknown)
        .addr_npi(Npi::Unknown)
        .address_range(COctetString::empty())
        .build();
    match client.bind_transceiver(bind).await {
        Ok(_) => Ok((Session { client, responder }, events)),
        Err(rusmppc::error::Error::UnexpectedResponse { response }) => {
            let _ = client.close().await;
            Err(Unbound::Refused {
                system_id: settings.system_id.clone(),
                status: format!("{:?}", response.status()),
            })
        }
        Err(e) => {
            let _ = client.close().await;
            Err(Unbound::Bind(e.to_string()))
        }
    }
}

/// Keeps a session bound until stopped, passing receipts on.
async fn keep_bound(
    inner: Arc<Inner>,
    receipts: mpsc::Sender<IncomingReceipt>,
    mut stop: watch::Receiver<bool>,
) {
    let mut pause = Duration::from_millis(200);
    loop {
        if *stop.borrow() {
            return;
        }
        let bound = tokio::select! {
            r = connect_and_bind(&inner.settings) => r,
            _ = stop.wait_for(|s| *s) => return,
        };
        match bound {
            Ok((session, mut events)) => {
                let client = session.client.clone();
                tracing::info!(host = %inner.settings.host, port = inner.settings.port, "bound to the SMSC");
                inner.stats.binds.fetch_add(1, Ordering::Relaxed);
                pause = Duration::from_millis(200);
                inner.bound.send_replace(Some(client.clone()));
                loop {
                    let event = tokio::select! {
                        e = events.next() => e,
                        _ = stop.wait_for(|s| *s) => None,
                    };
                    let Some(event) = event else { break };
                    match event {
                        Event::Incoming(command) => {
                            handle_incoming(&inner, &session, &receipts, command).await;
                        }
                        Event::Error(e) => {
                            tracing::warn!(error = %e, "SMPP session error");
                            *inner.last_error.lock().expect("error lock") = e.to_string();
                        }
                    }
                }
                inner.bound.send_replace(None);
                let _ = client.close().await;
                tracing::warn!("the SMSC session ended; reconnecting");
            }
            Err(e) => {
                inner.stats.connect_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "cannot bind to the SMSC; trying again");
                *inner.last_error.lock().expect("error lock") = e.to_string();
            }
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        pause = (pause * 2).min(inner.settings.reconnect_max.max(Duration::from_millis(200)));
    }
}

/// One bound session: rusmppc's client, and the splice's responder for what rusmppc cannot send.
struct Session {
    client: Client,
    responder: Responder,
}

async fn handle_incoming(
    inner: &Inner,
    session: &Session,
    receipts: &mpsc::Sender<IncomingReceipt>,
    command: rusmpp::Command,
) {
    let client = &session.client;
    let sequence = command.sequence_number();
    match (command.id(), command.pdu()) {
        (CommandId::DeliverSm, Some(Pdu::DeliverSm(sm))) => {
            let ack = Ack::DeliverSm(client.clone(), sequence);
            handle_message(inner, receipts, Message::deliver_sm(sm), ack).await;
        }
        // §4.7: an SMSC may send a receipt or a handset's message as data_sm; it is read like a
        // deliver_sm and answered with data_sm_resp once recorded.
        (CommandId::DataSm, Some(Pdu::DataSm(sm))) => {
            let ack = Ack::DataSm(session.responder.clone(), sequence);
            handle_message(inner, receipts, Message::data_sm(sm), ack).await;
        }
        (CommandId::Unbind, _) => {
            let _ = client.unbind_resp(sequence).await;
            let _ = client.close().await;
        }
        // §4.12.1: alert_notification takes no response.
        (CommandId::AlertNotification, _) => {
            tracing::info!("alert_notification: a handset is reachable again (noted)");
        }
        // SMPP 3.4 §2.9: a request this ESME does not serve (or cannot read) gets generic_nack
        // with an error status, never ESME_ROK.
        (id, _) if !id.is_response() => {
            tracing::warn!(
                ?id,
                sequence,
                "a request this ESME does not serve: generic_nack ESME_RINVCMDID"
            );
            let _ = client
                .status(CommandStatus::EsmeRinvcmdid)
                .generic_nack(sequence)
                .await;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
