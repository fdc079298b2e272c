//! `ServiceOfProcess`: electronic service (电子送达). A serve order is checked, its documents resolved
//! to sealed copies in the hub, and recorded as one `service_ordered` event; from then on the
//! recipients' services are projections of the log that the outbox ([`crate::outbox`]) works on,
//! the recipients' page ([`crate::page`]) records what recipients do, and proofs
//! ([`crate::proof`]) are issued once service takes effect.

use crate::authz::{Operation, authorize};
use crate::convert::timestamp;
use crate::error::{domain_status, invalid, store_status};
use crate::identity::Identity;
use chrono::{DateTime, Duration, Utc};
use ecenter_delivery::email::{Mailer, SmtpConfig, SmtpSecurity};
use ecenter_delivery::link::LinkSigner;
use ecenter_delivery::policy::Backoff;
use ecenter_delivery::sms::{SmppGateway, SmppSecurity, SmppSettings};
use ecenter_domain::effective_service::{AddressBasis, Channel, DeliveryFact};
use ecenter_domain::serve_order::{PlanStep, RecipientRequest, ServeOrderRequest};
use ecenter_domain::service::{
    OrderSummary, RecipientEvent, RecipientService, ServedDocument, ServiceOrdered, ServiceStatus,
};
use ecenter_domain::{DomainError, Event};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::service_of_process_server::ServiceOfProcess;
use ecenter_store::{EventStore, ReadView, StoredEntry};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

/// Longest a recipient's link may be made to work.
pub const MAX_LINK_HOURS: u32 = 30 * 24;

/// Electronic service as configured (`[service]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The serving court's name as notices and proofs show it.
    pub court: String,
    /// Whom recipients call with questions (shown in notices).
    #[serde(default)]
    pub contact: String,
    /// Base URL of the recipients' page as recipients reach it; empty: derived from `page_listen`.
    #[serde(default)]
    pub public_url: String,
    /// Where the recipients' page listens (HTTPS).
    pub page_listen: SocketAddr,
    /// The page's certificate and key (PEM); without them the page is plain HTTP, allowed only in
    /// development mode on loopback.
    #[serde(default)]
    pub page_tls: Option<PageTls>,
    /// File holding the secret that signs recipients' links (at least 32 bytes).
    pub link_key_file: PathBuf,
    /// Default validity of links, in hours.
    #[serde(default = "default_link_hours")]
    pub link_valid_hours: u32,
    /// The court's mail relay; without it the e-mail channel is refused.
    #[serde(default)]
    pub smtp: Option<SmtpSettings>,
    /// The court's SMS gateway (SMSC, SMPP 3.4); without it the SMS channel is refused.
    #[serde(default)]
    pub sms: Option<SmsSettings>,
    /// Sends in progress at once.
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// Notices per second handed to each provider at most.
    #[serde(default = "default_rate")]
    pub rate_per_second: u32,
    /// Retry and circuit-breaker settings.
    #[serde(default)]
    pub retry: RetrySettings,
    /// The wording of notices (default: the built-in Chinese texts).
    #[serde(default)]
    pub templates: ecenter_delivery::notice::Templates,
    /// A CJK TrueType/OpenType font (file) for printable proofs, e.g. Debian's
    /// `/usr/share/fonts/truetype/wqy/wqy-microhei.ttc`; without it `GetProofPdf` is refused.
    #[serde(default)]
    pub proof_font: Option<PathBuf>,
    /// Which face of a font collection (`.ttc`) to use.
    #[serde(default)]
    pub proof_font_index: u32,
    /// The registry seal printed proofs carry (e.g. the court's 诉讼服务专用章).
    #[serde(default)]
    pub proof_seal_id: Option<String>,
}

fn default_link_hours() -> u32 {
    7 * 24
}
fn default_workers() -> usize {
    32
}
fn default_rate() -> u32 {
    200
}

/// The page's TLS identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageTls {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

/// The mail relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Host name (also the TLS name).
    pub host: String,
    /// Port.
    pub port: u16,
    /// `starttls`, `implicit` or `plain_loopback`.
    pub security: String,
    /// AUTH user, if the relay wants one.
    #[serde(default)]
    pub user: Option<String>,
    /// File holding the AUTH password (never in the configuration itself).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The From address.
    pub from: String,
    /// Longest a whole send may take, in seconds.
    #[serde(default = "default_smtp_timeout")]
    pub timeout_secs: u64,
    /// Envelope sender: where delivery reports and bounces go (default: the From address).
    #[serde(default)]
    pub envelope_from: Option<String>,
    /// The maildir the MTA delivers mail for `envelope_from` to: delivery reports are read from
    /// its `new/` and moved to `cur/` once recorded.
    #[serde(default)]
    pub dsn_maildir: Option<PathBuf>,
    /// The MTA's delivery user: with it the hub creates a missing `dsn_maildir` owned by that user
    /// and checks an existing one is writable by it; without it the hub never creates the maildir
    /// and waits for the MTA's first delivery (see [`crate::maildir`]).
    #[serde(default)]
    pub dsn_maildir_owner: Option<crate::maildir::MaildirOwner>,
    /// Host names of the court's own relays (Postfix's `myhostname`). A report one of them
    /// generated itself is evidence on its own; every other report — a remote MTA's, or anything
    /// mailed to the bounce address — is set aside for the clerks (`report_set_aside`), see
    /// [`ecenter_delivery::dsn::DeliveryReport::generated_by`]. Empty: no report is trusted.
    #[serde(default)]
    pub report_relays: Vec<String>,
    /// The relay offers SMTPUTF8 (RFC 6531): notices may go to mailbox names in Chinese. Without
    /// it such addresses are refused when the order is made (internationalised domains always
    /// go as A-labels and need nothing).
    #[serde(default)]
    pub smtputf8: bool,
    /// DKIM signing of notices.
    #[serde(default)]
    pub dkim: Option<DkimFile>,
    /// The only CA trusted for the relay's TLS certificate (PEM); default: the public roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// The SMS gateway (SMSC) and the hub's account on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// Host name (also the TLS name).
    pub host: String,
    /// Port.
    pub port: u16,
    /// `tls` or `plain_loopback`.
    pub security: String,
    /// The account (`system_id`).
    pub system_id: String,
    /// File holding the account's password (never in the configuration itself).
    pub password_file: PathBuf,
    /// `system_type`, if the operator wants one.
    #[serde(default)]
    pub system_type: String,
    /// The sender shown on handsets (a service number such as 12368).
    #[serde(default = "default_sms_source")]
    pub source_addr: String,
    /// Submits outstanding at once.
    #[serde(default = "default_sms_window")]
    pub window: usize,
    /// SMS per second handed to the SMSC at most (default: `[service] rate_per_second`).
    #[serde(default)]
    pub rate_per_second: Option<u32>,
    /// How long to wait for a delivery receipt before the status counts as unknown and the plan
    /// moves on, in seconds.
    #[serde(default = "default_receipt_timeout")]
    pub receipt_timeout_secs: u64,
    /// Keep-alive (`enquire_link`) interval in seconds.
    #[serde(default = "default_enquire_link")]
    pub enquire_link_secs: u64,
    /// Longest wait for any SMSC response, in seconds.
    #[serde(default = "default_sms_response_timeout")]
    pub response_timeout_secs: u64,
    /// The only CA trusted for the SMSC's TLS certificate (PEM); default: the public roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// How this SMSC's receipts name a message: `as_submitted` (SMPP 3.4 appendix B, the
    /// default), `decimal_of_hex` or `hex_of_decimal` (see [`ecenter_delivery::sms_id`]).
    #[serde(default)]
    pub receipt_id_form: ecenter_delivery::sms_id::ReceiptIdForm,
}

fn default_sms_source() -> String {
    "12368".into()
}
fn default_sms_window() -> usize {
    32
}
fn default_receipt_timeout() -> u64 {
    30 * 60
}
fn default_enquire_link() -> u64 {
    30
}
fn default_sms_response_timeout() -> u64 {
    10
}

impl SmsSettings {
    /// The gateway's settings, password read from its file and checked.
    pub fn to_settings(&self) -> Result<SmppSettings, String> {
        let security = match self.security.as_str() {
            "tls" => SmppSecurity::Tls {
                ca_pem: match &self.ca_file {
                    Some(p) => Some(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?),
                    None => None,
                },
            },
            "plain_loopback" => SmppSecurity::PlainLoopback,
            other => {
                return Err(format!(
                    "[service.sms] security: 「{other}」 is not tls or plain_loopback"
                ));
            }
        };
        let password = std::fs::read_to_string(&self.password_file)
            .map_err(|e| format!("{}: {e}", self.password_file.display()))?;
        let mut s = SmppSettings::new(&self.host, self.port, &self.system_id, password.trim());
        s.security = security;
        s.system_type = self.system_type.clone();
        s.source_addr = self.source_addr.clone();
        s.window = self.window.max(1);
        s.enquire_link = std::time::Duration::from_secs(self.enquire_link_secs.max(1));
        s.response_timeout = std::time::Duration::from_secs(self.response_timeout_secs.max(1));
        SmppGateway::check(&s).map_err(|e| format!("[service.sms] {e}"))?;
        if self.receipt_timeout_secs == 0 {
            return Err("[service.sms] receipt_timeout_secs: at least 1".into());
        }
        Ok(s)
    }
}

/// DKIM as configured: the key stays in its own file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkimFile {
    /// Signing domain (`d=`).
    pub domain: String,
    /// Selector (`s=`).
    pub selector: String,
    /// `rsa` (key file: PKCS#1 PEM) or `ed25519` (key file: base64 of the 32-byte seed).
    #[serde(default = "default_dkim_algorithm")]
    pub algorithm: String,
    /// The private key file.
    pub private_key_file: PathBuf,
}

fn default_dkim_algorithm() -> String {
    "rsa".into()
}

fn default_smtp_timeout() -> u64 {
    30
}

/// Retries, dead letters and the circuit breaker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrySettings {
    /// First backoff ceiling in milliseconds.
    pub base_ms: u64,
    /// Largest backoff ceiling in seconds.
    pub cap_secs: u64,
    /// Attempts before a temporary failure becomes final.
    pub max_attempts: u32,
    /// Consecutive failures that open a provider's circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker waits before a probe, in seconds.
    pub breaker_cooldown_secs: u64,
}

impl Default for RetrySettings {
    fn default() -> Self {
        let b = Backoff::default();
        RetrySettings {
            base_ms: b.base.as_millis() as u64,
            cap_secs: b.cap.as_secs(),
            max_attempts: b.max_attempts,
            breaker_threshold: 5,
            breaker_cooldown_secs: 30,
        }
    }
}

impl RetrySettings {
    /// The outbox's backoff.
    pub fn backoff(&self) -> Backoff {
        Backoff {
            base: std::time::Duration::from_millis(self.base_ms),
            cap: std::time::Duration::from_secs(self.cap_secs),
            max_attempts: self.max_attempts.max(1),
        }
    }
}

/// Electronic service ready to run: keys loaded, relay known.
pub struct ServiceContext {
    /// As configured.
    pub config: ServiceConfig,
    /// Signs and checks recipients' links.
    pub links: LinkSigner,
    /// The e-mail channel, if configured.
    pub mailer: Option<Mailer>,
    /// The SMS channel's settings, if configured (the gateway starts with the outbox).
    pub sms_settings: Option<SmppSettings>,
    /// The SMS gateway once the outbox has started it.
    pub sms: std::sync::OnceLock<SmppGateway>,
    /// The printable proofs' font, read at start.
    pub proof_font: Option<Arc<Vec<u8>>>,
    /// Seals proofs of service.
    pub seals: Arc<crate::seal::SealContext>,
    /// Base URL of the page (no trailing slash).
    pub public_url: String,
    /// Host part of Message-IDs.
    pub message_host: String,
}

impl ServiceConfig {
    /// Loads keys and builds the channels; `page_addr` is where the page really listens.
    pub fn load(
        &self,
        seals: Option<Arc<crate::seal::SealContext>>,
        page_addr: SocketAddr,
        dev_mode: bool,
    ) -> Result<ServiceContext, String> {
        let seals = seals.ok_or(
            "electronic service needs [seals]: proofs of service are sealed with the hub's key",
        )?;
        self.templates
            .check()
            .map_err(|e| format!("[service.templates] {e}"))?;
        if self.court.trim().is_empty() {
            return Err("[service] court: name the serving court".into());
        }
        if self.page_tls.is_none() && !(dev_mode && page_addr.ip().is_loopback()) {
            return Err("[service] page_tls: the recipients' page is served over HTTPS; plain HTTP only in development mode on loopback".into());
        }
        let key = std::fs::read(&self.link_key_file)
            .map_err(|e| format!("{}: {e}", self.link_key_file.display()))?;
        let links = LinkSigner::new(trim_ascii(&key))
            .map_err(|e| format!("{}: {e}", self.link_key_file.display()))?;
        if self.link_valid_hours == 0 || self.link_valid_hours > MAX_LINK_HOURS {
            return Err(format!("[service] link_valid_hours: 1 to {MAX_LINK_HOURS}"));
        }
        let mailer = match &self.smtp {
            Some(s) => Some(Mailer::new(&s.to_config(self.workers)?).map_err(|e| e.to_string())?),
            None => None,
        };
        let proof_font = match &self.proof_font {
            Some(p) => {
                let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
                ecenter_proofpdf::check_font(&bytes, self.proof_font_index)
                    .map_err(|e| format!("[service] proof_font {}: {e}", p.display()))?;
                Some(Arc::new(bytes))
            }
            None => None,
        };
        let sms_settings = match &self.sms {
            Some(s) => Some(s.to_settings()?),
            None => None,
        };
        let scheme = if self.page_tls.is_some() {
            "https"
        } else {
            "http"
        };
        let public_url = if self.public_url.trim().is_empty() {
            let host = if page_addr.ip().is_loopback() {
                "localhost".to_string()
            } else {
                page_addr.ip().to_string()
            };
            format!("{scheme}://{host}:{}", page_addr.port())
        } else {
            self.public_url.trim().trim_end_matches('/').to_string()
        };
        let message_host = public_url
            .split("://")
            .nth(1)
            .unwrap_or("ecenter")
            .split([':', '/'])
            .next()
            .unwrap_or("ecenter")
            .to_string();
        Ok(ServiceContext {
            config: self.clone(),
            links,
            mailer,
            sms_settings,
            sms: std::sync::OnceLock::new(),
            proof_font,
            seals,
            public_url,
            message_host,
        })
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

impl SmtpSettings {
    fn to_config(&self, workers: usize) -> Result<SmtpConfig, String> {
        let security = match self.security.as_str() {
            "starttls" => SmtpSecurity::StartTls,
            "implicit" => SmtpSecurity::Implicit,
            "plain_loopback" => SmtpSecurity::PlainLoopback,
            other => {
                return Err(format!(
                    "[service.smtp] security: 「{other}」 is not starttls, implicit or plain_loopback"
                ));
            }
        };
        let credentials = match (&self.user, &self.password_file) {
            (Some(u), Some(p)) => {
                let password =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                Some((u.clone(), password.trim().to_string()))
            }
            (None, None) => None,
            _ => return Err("[service.smtp] set both user and password_file, or neither".into()),
        };
        let dkim = match &self.dkim {
            Some(d) => Some(ecenter_delivery::email::DkimSettings {
                domain: d.domain.clone(),
                selector: d.selector.clone(),
                algorithm: d.algorithm.clone(),
                private_key: std::fs::read_to_string(&d.private_key_file)
                    .map_err(|e| format!("{}: {e}", d.private_key_file.display()))?
                    .trim()
                    .to_string(),
            }),
            None => None,
        };
        Ok(SmtpConfig {
            host: self.host.clone(),
            port: self.port,
            security,
            credentials,
            envelope_from: self.envelope_from.clone(),
            dkim,
            relay_ca_pem: match &self.ca_file {
                Some(p) => Some(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?),
                None => None,
            },
            from: self.from.clone(),
            timeout: std::time::Duration::from_secs(self.timeout_secs.max(1)),
            pool_size: workers.max(1),
        })
    }
}

impl ServiceContext {
    /// Whether the hub can send on `channel`.
    pub fn has_channel(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.mailer.is_some(),
            Channel::Sms => self.sms_settings.is_some(),
        }
    }
}

/// The gRPC service, generic over the storage backend.
pub struct ServiceApi<S> {
    store: Arc<S>,
    context: Option<Arc<ServiceContext>>,
    stopping: watch::Receiver<bool>,
}

impl<S: EventStore> ServiceApi<S> {
    /// The service over `store`; without a context every call is FAILED_PRECONDITION.
    pub fn new(
        store: Arc<S>,
        context: Option<Arc<ServiceContext>>,
        stopping: watch::Receiver<bool>,
    ) -> Self {
        ServiceApi {
            store,
            context,
            stopping,
        }
    }

    /// The caller, if the authorization table grants `operation` to their role outright.
    async fn allowed<T>(
        &self,
        request: &Request<T>,
        operation: Operation,
    ) -> Result<Identity, Status> {
        let identity = crate::identity::caller(request)?;
        authorize(&*self.store, &identity, operation, None, None).await?;
        Ok(identity)
    }

    fn context(&self) -> Result<&Arc<ServiceContext>, Status> {
        self.context.as_ref().ok_or_else(|| {
            Status::failed_precondition(
                "electronic service is not configured on this hub ([service] in its configuration)",
            )
        })
    }

    fn order(&self, order_id: &str) -> Result<OrderSummary, Status> {
        if order_id.trim().is_empty() {
            return Err(invalid("order_id", "give the order id (O…)"));
        }
        self.store
            .service_order(order_id)
            .map_err(store_status)?
            .ok_or_else(|| Status::not_found(format!("no serve order 「{order_id}」")))
    }

    fn recipient(&self, order_id: &str, recipient_id: &str) -> Result<RecipientService, Status> {
        self.order(order_id)?;
        if recipient_id.trim().is_empty() {
            return Err(invalid(
                "recipient_id",
                "give the recipient id (R1, R2, ...)",
            ));
        }
        self.store
            .recipient_service(order_id, recipient_id)
            .map_err(store_status)?
            .ok_or_else(|| {
                Status::not_found(format!(
                    "order {order_id} has no recipient 「{recipient_id}」"
                ))
            })
    }

    /// Visits every recipient of every order, newest orders first, while `visit` returns true.
    /// (A scan: fine for a court's orders today; an index by case, date and identity can follow.)
    fn each_recipient(
        &self,
        mut visit: impl FnMut(&OrderSummary, &RecipientService) -> bool,
    ) -> Result<(), Status> {
        for order in self.store.list_orders(usize::MAX).map_err(store_status)? {
            for service in self
                .store
                .order_recipients(&order.ordered.order_id, None, usize::MAX)
                .map_err(store_status)?
            {
                if !visit(&order, &service) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Resolves `F…/Sn` to the sealed copy served.
    fn served_document(
        &self,
        case_number: &str,
        reference: &str,
    ) -> Result<ServedDocument, Status> {
        let field = "documents";
        let (filing_id, seal_id) = reference.split_once('/').ok_or_else(|| {
            invalid(
                field,
                format!("「{reference}」 is not a sealed copy: write filing_id/S1"),
            )
        })?;
        if !seal_id.starts_with('S') {
            return Err(invalid(
                field,
                format!(
                    "「{reference}」 is not sealed: serve its sealed copy (S1, S2, ... from SealPdf, SealOfd or ApplySeal)"
                ),
            ));
        }
        let filing = self
            .store
            .filing(filing_id)
            .map_err(store_status)?
            .ok_or_else(|| Status::not_found(format!("no filing 「{filing_id}」 ({reference})")))?;
        if let Some(n) = &filing.case_number
            && n.normalized() != case_number
        {
            return Err(Status::failed_precondition(format!(
                "{reference} belongs to case {}, not to {case_number}",
                n.normalized()
            )));
        }
        let applied = filing
            .seals
            .iter()
            .find(|a| a.signature.document_id == seal_id)
            .ok_or_else(|| {
                Status::not_found(format!("filing {filing_id} has no sealed copy {seal_id}"))
            })?;
        let seal = match self.store.seal(&applied.seal_id).map_err(store_status)? {
            Some(r) => format!(
                "{} {}{}",
                r.seal_id,
                r.name,
                if applied.timestamped {
                    "，带可信时间戳"
                } else {
                    ""
                }
            ),
            None => applied.seal_id.clone(),
        };
        // A sealed PDF or OFD carries its seal inside: the sealed copy itself is served.
        if let Some(kind) = match applied.signature.media_type.as_str() {
            "application/pdf" => Some(""),
            "application/ofd" => Some("（OFD 电子签章，GB/T 33190）"),
            _ => None,
        } {
            return Ok(ServedDocument {
                reference: reference.to_string(),
                name: applied.signature.name.clone(),
                sha256: applied.signature.sha256.clone(),
                size: applied.signature.size,
                media_type: applied.signature.media_type.clone(),
                seal: format!("{seal}{kind}"),
            });
        }
        // A GB/T 38540 signature beside the document: the document is served, the signature named.
        let original = filing
            .documents
            .iter()
            .find(|d| d.received.document_id == applied.of_document_id)
            .ok_or_else(|| {
                Status::not_found(format!("the document sealed by {reference} is gone"))
            })?;
        Ok(ServedDocument {
            reference: reference.to_string(),
            name: original.received.name.clone(),
            sha256: original.received.sha256.clone(),
            size: original.received.size,
            media_type: original.received.media_type.clone(),
            seal: format!("{seal}（GB/T 38540 签章 {seal_id}）"),
        })
    }
}

fn channel_of(c: i32, field: &str) -> Result<Channel, Status> {
    match pb::ServiceChannel::try_from(c) {
        Ok(pb::ServiceChannel::Email) => Ok(Channel::Email),
        Ok(pb::ServiceChannel::Sms) => Ok(Channel::Sms),
        _ => Err(invalid(
            field,
            "choose SERVICE_CHANNEL_EMAIL or SERVICE_CHANNEL_SMS",
        )),
    }
}

fn channel_message(c: Channel) -> i32 {
    match c {
        Channel::Email => pb::ServiceChannel::Email as i32,
        Channel::Sms => pb::ServiceChannel::Sms as i32,
    }
}

fn basis_of(b: i32) -> Option<AddressBasis> {
    match pb::AddressBasis::try_from(b) {
        Ok(pb::AddressBasis::Confirmed) => Some(AddressBasis::Confirmed),
        Ok(pb::AddressBasis::Provided) => Some(AddressBasis::Provided),
        Ok(pb::AddressBasis::Discovered) => Some(AddressBasis::Discovered),
        _ => None,
    }
}

fn basis_message(b: AddressBasis) -> i32 {
    match b {
        AddressBasis::Confirmed => pb::AddressBasis::Confirmed as i32,
        AddressBasis::Provided => pb::AddressBasis::Provided as i32,
        AddressBasis::Discovered => pb::AddressBasis::Discovered as i32,
    }
}

fn ts(t: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(timestamp(t))
}

fn fact_message(f: &DeliveryFact) -> pb::Fact {
    let (kind, channel, at) = match *f {
        DeliveryFact::Reached { channel, at } => ("reached", Some(channel), at),
        DeliveryFact::Bounced { channel, at } => ("bounced", Some(channel), at),
        DeliveryFact::Fetched { at } => ("fetched", None, at),
        DeliveryFact::ReadReported { channel, at } => ("read_reported", Some(channel), at),
        DeliveryFact::ConfirmedReading { at, channel } => ("confirmed_reading", channel, at),
        DeliveryFact::Replied { at } => ("replied", None, at),
    };
    pb::Fact {
        kind: kind.into(),
        channel: channel.map_or(0, channel_message),
        at: ts(at),
    }
}

/// The rule's name as the API shows it.
pub fn rule_name(rule: ecenter_domain::effective_service::ServiceRule) -> &'static str {
    use ecenter_domain::effective_service::ServiceRule::*;
    match rule {
        ReachedConfirmedAddress => "reached_confirmed_address",
        RecipientReplied => "recipient_replied",
        RecipientConfirmedReading => "recipient_confirmed_reading",
        ReadReportedPresumed => "read_reported_presumed",
    }
}

/// A recipient's service as the API shows it.
pub fn recipient_message(r: &RecipientService) -> pb::RecipientStatus {
    pb::RecipientStatus {
        order_id: r.order_id.clone(),
        recipient_id: r.recipient.recipient_id.clone(),
        name: r.recipient.name.clone(),
        role: r.recipient.role.clone(),
        state: match r.status() {
            ServiceStatus::Sending => pb::RecipientState::Sending,
            ServiceStatus::Awaiting => pb::RecipientState::Awaiting,
            ServiceStatus::Effective => pb::RecipientState::Effective,
            ServiceStatus::Unserved => pb::RecipientState::Unserved,
        } as i32,
        attempts: r
            .channels
            .iter()
            .map(|c| pb::Attempt {
                channel: channel_message(c.channel),
                address: c.address.clone(),
                basis: basis_message(c.basis),
                message_id: c.message_id.clone(),
                attempts: c.attempts,
                resends_in_doubt: c.resends_in_doubt,
                sent_at: c.sent_at.and_then(ts),
                gateway_id: c.gateway_id.clone(),
                subject: c.subject.clone(),
                body: c.body.clone(),
                last_error: c.last_error.clone(),
                closed: c.closed,
                maybe_sent: c.maybe_sent || c.resends_in_doubt > 0,
                receipts: c
                    .receipts
                    .iter()
                    .map(|r| pb::SmsReceipt {
                        part: r.part.clone(),
                        state: serde_json::to_value(r.state)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        at: ts(r.at),
                    })
                    .collect(),
            })
            .collect(),
        facts: r.facts.iter().map(fact_message).collect(),
        effective: r.effective.map(|e| pb::EffectiveService {
            at: ts(e.at),
            rule: rule_name(e.rule).into(),
            rule_text: e.rule.describe().into(),
            channel: e.channel.map_or(0, channel_message),
            presumed: e.rule.presumed(),
        }),
        dead_letters: r
            .dead_letters
            .iter()
            .map(|d| pb::DeadLetter {
                channel: channel_message(d.channel),
                reason: d.reason.clone(),
                at: ts(d.at),
            })
            .collect(),
        proofs: r.proofs.len() as u32,
        consent_basis: r.recipient.consent_basis.clone(),
        resolution: r.resolution.clone().unwrap_or_default(),
        unverified: r
            .unverified
            .iter()
            .enumerate()
            .map(|(index, u)| pb::UnverifiedReport {
                channel: channel_message(u.channel),
                at: ts(u.at),
                detail: u.detail.clone(),
                reason: u.reason.clone(),
                reached: u.reached,
                index: index as u32,
                judged: u.judgment.is_some(),
                accepted: u.judgment.as_ref().is_some_and(|j| j.accepted),
                judged_by: u
                    .judgment
                    .as_ref()
                    .map(|j| j.by.clone())
                    .unwrap_or_default(),
                judgment_note: u
                    .judgment
                    .as_ref()
                    .map(|j| j.note.clone())
                    .unwrap_or_default(),
                judged_at: u.judgment.as_ref().and_then(|j| ts(j.at)),
            })
            .collect(),
        replies: r
            .replies
            .iter()
            .map(|x| pb::Reply {
                at: ts(x.at),
                channel: x.channel.map_or(0, channel_message),
                from: x.from.clone(),
                text: x.text.clone(),
            })
            .collect(),
    }
}

fn order_message(o: &OrderSummary) -> pb::OrderStatus {
    pb::OrderStatus {
        order_id: o.ordered.order_id.clone(),
        case_number: o.ordered.order.case_number.normalized(),
        ordered_by: o.ordered.ordered_by.clone(),
        ordered_at: ts(o.ordered_at),
        documents: o
            .ordered
            .documents
            .iter()
            .map(|d| pb::ServedDocument {
                reference: d.reference.clone(),
                name: d.name.clone(),
                sha256: d.sha256.clone(),
                size: d.size,
                media_type: d.media_type.clone(),
                seal: d.seal.clone(),
            })
            .collect(),
        recipient_count: o.recipients as u32,
        recipients: Vec::new(),
        next_after_recipient_id: String::new(),
        links_expire_at: ts(o.ordered.links_expire_at),
    }
}

/// Hex SHA-256 of what identifies a request's content, to tell a retry from a reuse of its id.
fn fingerprint(r: &pb::ServeOrderRequest) -> String {
    use prost::Message;
    let mut r = r.clone();
    r.request_id.clear();
    hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        &r.encode_to_vec(),
    ))
}

type ServiceEventStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::ServiceEvent, Status>> + Send>>;

#[tonic::async_trait]
impl<S: EventStore> ServiceOfProcess for ServiceApi<S> {
    async fn serve_order(
        &self,
        request: Request<pb::ServeOrderRequest>,
    ) -> Result<Response<pb::ServeOrderResponse>, Status> {
        let identity = self.allowed(&request, Operation::ServeOrder).await?;
        let context = self.context()?.clone();
        let r = request.into_inner();
        let request_id = r.request_id.trim().to_string();
        if request_id.is_empty() || request_id.len() > 128 {
            return Err(invalid(
                "request_id",
                "give an idempotency key of 1 to 128 characters",
            ));
        }
        let fingerprint = fingerprint(&r);
        let mut plan = Vec::new();
        for (i, step) in r.plan.iter().enumerate() {
            let channel = channel_of(step.channel, &format!("plan[{i}].channel"))?;
            plan.push(PlanStep {
                channel,
                deadline_hours: step.deadline_hours,
            });
        }
        let order = ServeOrderRequest {
            case_number: r.case_number.clone(),
            documents: r.documents.iter().map(|d| d.trim().to_string()).collect(),
            recipients: r
                .recipients
                .iter()
                .map(|p| RecipientRequest {
                    name: p.name.clone(),
                    role: p.role.clone(),
                    phone: p.phone.clone(),
                    email: p.email.clone(),
                    phone_basis: basis_of(p.phone_basis),
                    email_basis: basis_of(p.email_basis),
                    consent_basis: p.consent_basis.clone(),
                    identity: p.identity.clone(),
                })
                .collect(),
            plan,
        }
        .validate()
        .map_err(domain_status)?;
        if let Some(smtp) = &context.config.smtp {
            for (i, r) in order.recipients.iter().enumerate() {
                let emails = r.addresses.iter().filter(|(c, _, _)| *c == Channel::Email);
                for (_, email, _) in emails {
                    if let Err(why) = ecenter_delivery::email::check_address(email, smtp.smtputf8) {
                        return Err(Status::failed_precondition(format!(
                            "recipients[{i}].email: {why}"
                        )));
                    }
                }
            }
        }
        for (i, step) in order.plan.iter().enumerate() {
            if !context.has_channel(step.channel) {
                return Err(Status::failed_precondition(format!(
                    "plan[{i}]: this hub has no {} channel configured",
                    match step.channel {
                        Channel::Email => "e-mail ([service.smtp])",
                        Channel::Sms => "SMS ([service.sms])",
                    }
                )));
            }
        }
        let hours = match r.link_valid_hours {
            0 => context.config.link_valid_hours,
            h if h > MAX_LINK_HOURS => {
                return Err(invalid(
                    "link_valid_hours",
                    format!("at most {MAX_LINK_HOURS} hours"),
                ));
            }
            h => h,
        };
        let case = order.case_number.normalized();
        let mut documents = Vec::new();
        for d in &order.documents {
            if documents.iter().any(|x: &ServedDocument| &x.reference == d) {
                return Err(invalid("documents", format!("{d} is named twice")));
            }
            documents.push(self.served_document(&case, d)?);
        }
        let ordered_by = identity.to_string();
        let notice_tag = {
            use ring::rand::SecureRandom;
            let mut b = [0u8; 5];
            ring::rand::SystemRandom::new()
                .fill(&mut b)
                .map_err(|_| Status::internal("the system random source failed"))?;
            hex::encode(b)
        };
        let links_expire_at = Utc::now() + Duration::hours(i64::from(hours));
        let (appended, outcome) = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                if let Some(existing) = view.order_for_request(&ordered_by, &request_id)? {
                    let summary = view.service_order(&existing)?.ok_or_else(|| {
                        ecenter_store::StoreError::Database("order index is inconsistent".into())
                    })?;
                    if summary.ordered.fingerprint != fingerprint {
                        return Err(DomainError::OrderRequestIdReused {
                            request_id,
                            order_id: existing,
                        }
                        .into());
                    }
                    return Ok((Vec::new(), Err(summary)));
                }
                let order_id = format!("O{:012}", view.next_seq());
                let ordered = ServiceOrdered {
                    order_id,
                    request_id,
                    fingerprint,
                    ordered_by,
                    order,
                    documents,
                    links_expire_at,
                    notice_tag,
                };
                Ok((vec![Event::ServiceOrdered(ordered.clone())], Ok(ordered)))
            }))
            .await
            .map_err(store_status)?;
        let (order_id, recipients, seq) = match outcome {
            Ok(ordered) => (
                ordered.order_id,
                ordered
                    .order
                    .recipients
                    .iter()
                    .map(|r| pb::RecipientId {
                        recipient_id: r.recipient_id.clone(),
                        name: r.name.clone(),
                    })
                    .collect(),
                appended.first().map_or(0, |a| a.seq),
            ),
            Err(summary) => {
                // A retry: the same answer, once the original is durable.
                self.store
                    .wait_durable(summary.seq)
                    .await
                    .map_err(store_status)?;
                let recipients: Vec<pb::RecipientId> = self
                    .store
                    .order_recipients(&summary.ordered.order_id, None, usize::MAX)
                    .map_err(store_status)?
                    .into_iter()
                    .map(|r| pb::RecipientId {
                        recipient_id: r.recipient.recipient_id,
                        name: r.recipient.name,
                    })
                    .collect();
                (summary.ordered.order_id, recipients, summary.seq)
            }
        };
        tracing::info!(%order_id, recipients = recipients.len(), "serve order recorded");
        Ok(Response::new(pb::ServeOrderResponse {
            order_id,
            recipients,
            seq,
        }))
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::OrderStatus>, Status> {
        self.allowed(&request, Operation::GetServiceStatus).await?;
        let r = request.into_inner();
        let summary = self.order(&r.order_id)?;
        let limit = match r.page_size {
            0 => 100,
            n => n.min(1000) as usize,
        };
        let after = (!r.after_recipient_id.is_empty()).then_some(r.after_recipient_id.as_str());
        let mut page = self
            .store
            .order_recipients(&r.order_id, after, limit + 1)
            .map_err(store_status)?;
        let more = page.len() > limit;
        page.truncate(limit);
        let mut out = order_message(&summary);
        out.next_after_recipient_id = if more {
            page.last()
                .map(|p| p.recipient.recipient_id.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        out.recipients = page.iter().map(recipient_message).collect();
        Ok(Response::new(out))
    }

    async fn get_recipient(
        &self,
        request: Request<pb::RecipientRef>,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        self.allowed(&request, Operation::GetServiceStatus).await?;
        let r = request.into_inner();
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        Ok(Response::new(recipient_message(&service)))
    }

    type WatchServiceStream = ServiceEventStream;

    async fn watch_service(
        &self,
        request: Request<pb::WatchServiceRequest>,
    ) -> Result<Response<Self::WatchServiceStream>, Status> {
        self.allowed(&request, Operation::WatchService).await?;
        let caller = crate::revocation::StillGood::of(&request);
        let r = request.into_inner();
        let summary = self.order(&r.order_id)?;
        if !r.recipient_id.is_empty() {
            self.recipient(&r.order_id, &r.recipient_id)?;
        }
        let (tx, rx) = mpsc::channel(256);
        // Nothing about the order precedes it in the log.
        let cursor = r.after_seq.max(summary.seq.saturating_sub(1));
        tokio::spawn(watch_loop(
            self.store.clone(),
            (
                r.order_id,
                (!r.recipient_id.is_empty()).then_some(r.recipient_id),
            ),
            cursor,
            (tx, caller),
            self.stopping.clone(),
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn get_proof(
        &self,
        request: Request<pb::RecipientRef>,
    ) -> Result<Response<pb::ProofOfService>, Status> {
        self.allowed(&request, Operation::GetProof).await?;
        let r = request.into_inner();
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        let Some(proof) = service.proofs.last() else {
            return Err(Status::failed_precondition(match service.effective {
                None => format!(
                    "service on {} has not taken effect yet: there is no proof of service",
                    r.recipient_id
                ),
                Some(_) => format!(
                    "service on {} took effect; its proof is being issued, ask again in a moment",
                    r.recipient_id
                ),
            }));
        };
        let label = format!("proof of service of {} {}", r.order_id, r.recipient_id);
        let document = crate::documents::read_verified(
            &*self.store,
            &crate::documents::StoredDocument::new(&proof.document_sha256, &label),
            "GetProof",
        )
        .await?;
        let signature = crate::documents::read_verified(
            &*self.store,
            &crate::documents::StoredDocument::new(
                &proof.signature_sha256,
                format!("signature of the {label}"),
            ),
            "GetProof",
        )
        .await?;
        Ok(Response::new(pb::ProofOfService {
            order_id: r.order_id,
            recipient_id: r.recipient_id,
            version: proof.version,
            document,
            signature,
            document_sha256: proof.document_sha256.clone(),
            issued_at: ts(proof.issued_at),
        }))
    }

    async fn get_proof_pdf(
        &self,
        request: Request<pb::RecipientRef>,
    ) -> Result<Response<pb::ProofPdf>, Status> {
        self.allowed(&request, Operation::GetProof).await?;
        let context = self.context()?.clone();
        let r = request.into_inner();
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        let font = context.proof_font.clone().ok_or_else(|| {
            Status::failed_precondition(
                "printable proofs need a Chinese font on the hub: set [service] proof_font \
                 (e.g. /usr/share/fonts/truetype/wqy/wqy-microhei.ttc from Debian's fonts-wqy-microhei)",
            )
        })?;
        let seal_id = context.config.proof_seal_id.clone().ok_or_else(|| {
            Status::failed_precondition(
                "printable proofs carry the court's seal: set [service] proof_seal_id to a seal of the registry",
            )
        })?;
        let Some(proof) = service.proofs.last().cloned() else {
            return Err(Status::failed_precondition(format!(
                "service on {} has no proof of service yet (it has not taken effect, or the proof is being issued)",
                r.recipient_id
            )));
        };
        let now = std::time::SystemTime::now();
        let seal = crate::seal::usable_seal(&*self.store, &seal_id, now)?;
        let document = crate::documents::read_verified(
            &*self.store,
            &crate::documents::StoredDocument::new(
                &proof.document_sha256,
                format!("proof of service of {} {}", r.order_id, r.recipient_id),
            ),
            "GetProofPdf",
        )
        .await?;
        let json: serde_json::Value = serde_json::from_slice(&document)
            .map_err(|e| Status::internal(format!("the stored proof is not JSON: {e}")))?;
        let sha = proof.document_sha256.clone();
        let index = context.config.proof_font_index;
        let pdf = tokio::task::spawn_blocking(move || {
            ecenter_proofpdf::render(&json, &sha, font.to_vec(), index)
        })
        .await
        .map_err(|_| Status::internal("laying out the proof stopped"))?
        .map_err(|e| Status::internal(format!("laying out the proof failed: {e}")))?;
        let sealed = crate::seal::seal_pdf_bytes(
            &*self.store,
            (context.seals.clone(), &seal),
            pdf.pdf,
            "电子送达凭证".into(),
            (Some(pdf.seal_page), Some(pdf.seal_origin)),
            now,
            None,
        )
        .await?;
        Ok(Response::new(pb::ProofPdf {
            order_id: r.order_id,
            recipient_id: r.recipient_id,
            version: proof.version,
            pdf: sealed,
            document_sha256: proof.document_sha256,
        }))
    }

    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Result<Response<pb::ListDeliveriesResponse>, Status> {
        self.allowed(&request, Operation::GetServiceStatus).await?;
        let r = request.into_inner();
        let case = match r.case_number.trim() {
            "" => None,
            c => Some(
                ecenter_domain::CaseNumber::parse(c)
                    .map_err(|e| invalid("case_number", e.to_string()))?
                    .normalized(),
            ),
        };
        let channel = match r.channel {
            0 => None,
            c => Some(channel_of(c, "channel")?),
        };
        let state = match r.state {
            0 => None,
            s => Some(
                pb::RecipientState::try_from(s)
                    .map_err(|_| invalid("state", "an unknown state"))?,
            ),
        };
        let time = |t: &Option<prost_types::Timestamp>| {
            t.as_ref()
                .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        };
        let (from, before) = (time(&r.ordered_from), time(&r.ordered_before));
        if let (Some(f), Some(b)) = (from, before)
            && f >= b
        {
            return Err(invalid("ordered_before", "must be after ordered_from"));
        }
        let limit = match r.limit {
            0 => 200,
            n => n.min(2000) as usize,
        };
        let name = r.recipient_name.trim().to_string();
        let mut deliveries = Vec::new();
        let mut truncated = false;
        self.each_recipient(|order, service| {
            let order_case = order.ordered.order.case_number.normalized();
            if case.as_ref().is_some_and(|c| c != &order_case)
                || from.is_some_and(|f| order.ordered_at < f)
                || before.is_some_and(|b| order.ordered_at >= b)
            {
                return true;
            }
            let shown = recipient_message(service);
            if (!name.is_empty() && !service.recipient.name.contains(&name))
                || channel.is_some_and(|c| service.address(c).is_none())
                || state.is_some_and(|s| shown.state != s as i32)
            {
                return true;
            }
            if deliveries.len() == limit {
                truncated = true;
                return false;
            }
            deliveries.push(pb::Delivery {
                order_id: order.ordered.order_id.clone(),
                case_number: order_case,
                ordered_at: ts(order.ordered_at),
                recipient: Some(shown),
            });
            true
        })?;
        Ok(Response::new(pb::ListDeliveriesResponse {
            deliveries,
            truncated,
        }))
    }

    async fn list_my_services(
        &self,
        request: Request<pb::ListMyServicesRequest>,
    ) -> Result<Response<pb::ListMyServicesResponse>, Status> {
        let identity = self.allowed(&request, Operation::ListMyServices).await?;
        let me = identity.to_string();
        let mut services = Vec::new();
        self.each_recipient(|order, service| {
            if service.recipient.identity.as_deref() == Some(me.as_str()) {
                let shown = recipient_message(service);
                services.push(pb::MyService {
                    order_id: order.ordered.order_id.clone(),
                    recipient_id: service.recipient.recipient_id.clone(),
                    case_number: order.ordered.order.case_number.normalized(),
                    ordered_at: ts(order.ordered_at),
                    documents: order_message(order).documents,
                    state: shown.state,
                    effective: shown.effective,
                });
            }
            true
        })?;
        Ok(Response::new(pb::ListMyServicesResponse { services }))
    }

    type FetchServedDocumentStream = crate::filing::ChunkStream;

    async fn fetch_served_document(
        &self,
        request: Request<pb::FetchServedDocumentRequest>,
    ) -> Result<Response<Self::FetchServedDocumentStream>, Status> {
        let identity = crate::identity::caller(&request)?;
        // A role without any grant is refused before anything is looked up.
        if crate::authz::grant(Operation::FetchServedDocument, identity.role).is_none() {
            authorize(
                &*self.store,
                &identity,
                Operation::FetchServedDocument,
                None,
                None,
            )
            .await?;
        }
        let r = request.into_inner();
        let order = self.order(&r.order_id)?;
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        authorize(
            &*self.store,
            &identity,
            Operation::FetchServedDocument,
            Some(service.recipient.identity.as_deref().unwrap_or("")),
            None,
        )
        .await?;
        let document = (r.index as usize)
            .checked_sub(1)
            .and_then(|i| order.ordered.documents.get(i))
            .ok_or_else(|| {
                invalid(
                    "index",
                    format!(
                        "1 to {}: the order serves {} document(s)",
                        order.ordered.documents.len(),
                        order.ordered.documents.len()
                    ),
                )
            })?;
        let stored = crate::documents::StoredDocument::new(
            &document.sha256,
            format!("order {} document {}", r.order_id, r.index),
        );
        let stream =
            crate::documents::stream_verified(self.store.clone(), stored, "FetchServedDocument")
                .await?;
        // The recipient's own download counts like one from the page.
        if service.recipient.identity.as_deref() == Some(identity.to_string().as_str()) {
            let event = Event::Service {
                order_id: r.order_id.clone(),
                recipient_id: r.recipient_id.clone(),
                event: RecipientEvent::RecipientActed {
                    activity: ecenter_domain::service::Activity::Downloaded {
                        reference: document.reference.clone(),
                    },
                    client: format!("gRPC {identity}"),
                    link: String::new(),
                },
            };
            self.store
                .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
                .await
                .map_err(store_status)?;
        }
        Ok(Response::new(stream))
    }

    async fn list_dead_letters(
        &self,
        request: Request<pb::ListDeadLettersRequest>,
    ) -> Result<Response<pb::ListDeadLettersResponse>, Status> {
        self.allowed(&request, Operation::ListDeadLetters).await?;
        let limit = match request.into_inner().limit {
            0 => 100,
            n => n.min(1000) as usize,
        };
        let recipients = self
            .store
            .dead_letters(limit)
            .map_err(store_status)?
            .iter()
            .map(recipient_message)
            .collect();
        let replies = self
            .store
            .unmatched_replies(limit)
            .map_err(store_status)?
            .into_iter()
            .map(|e| pb::UnmatchedReply {
                seq: e.seq,
                at: ts(e.at),
                channel: channel_message(e.reply.channel),
                from: e.reply.from,
                text: e.reply.text,
                candidates: e.reply.candidates,
            })
            .collect();
        Ok(Response::new(pb::ListDeadLettersResponse {
            recipients,
            replies,
        }))
    }

    async fn retry_dead_letter(
        &self,
        request: Request<pb::DeadLetterAction>,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        self.dead_letter_action(request, true).await
    }

    async fn resolve_dead_letter(
        &self,
        request: Request<pb::DeadLetterAction>,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        self.dead_letter_action(request, false).await
    }

    async fn judge_report(
        &self,
        request: Request<pb::JudgeReportRequest>,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::JudgeReport, None, None).await?;
        let r = request.into_inner();
        self.recipient(&r.order_id, &r.recipient_id)?;
        crate::review::judge(&*self.store, r.clone(), identity.to_string()).await?;
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        Ok(Response::new(recipient_message(&service)))
    }
}

impl<S: EventStore> ServiceApi<S> {
    async fn dead_letter_action(
        &self,
        request: Request<pb::DeadLetterAction>,
        retry: bool,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        let identity = crate::identity::caller(&request)?;
        let operation = if retry {
            Operation::RetryDeadLetter
        } else {
            Operation::ResolveDeadLetter
        };
        authorize(&*self.store, &identity, operation, None, None).await?;
        let context = self.context()?.clone();
        let r = request.into_inner();
        let channel = channel_of(r.channel, "channel")?;
        self.recipient(&r.order_id, &r.recipient_id)?;
        let note = r.note.trim().to_string();
        if !retry && (note.is_empty() || note.chars().count() > 500) {
            return Err(invalid(
                "note",
                "say in 1 to 500 characters what was done instead (e.g. 已改为邮寄送达)",
            ));
        }
        if retry && !context.has_channel(channel) {
            return Err(Status::failed_precondition(
                "this hub has no such channel configured",
            ));
        }
        let by = identity.to_string();
        let (order_id, recipient_id) = (r.order_id.clone(), r.recipient_id.clone());
        let (appended, ()) = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                let service = view
                    .recipient_service(&order_id, &recipient_id)?
                    .ok_or_else(|| ecenter_store::StoreError::Database("recipient vanished".into()))?;
                if !service.dead_letters.iter().any(|d| d.channel == channel) {
                    return Err(DomainError::InvalidInput(vec![
                        ecenter_domain::FieldViolation::new(
                            "channel",
                            "this recipient has no dead letter on that channel",
                        ),
                    ])
                    .into());
                }
                if retry
                    && let Some((address, _)) = service.address(channel)
                    && let Some(why) = view.suppressed(address)?
                {
                    return Err(DomainError::InvalidInput(vec![
                        ecenter_domain::FieldViolation::new(
                            "channel",
                            format!("{address} bounced for good ({why}); ask the recipient for another address and issue a new order"),
                        ),
                    ])
                    .into());
                }
                let event = if retry {
                    RecipientEvent::DeadLetterRetried { channel, by }
                } else {
                    RecipientEvent::DeadLetterResolved { channel, by, note }
                };
                Ok((
                    vec![Event::Service {
                        order_id,
                        recipient_id,
                        event,
                    }],
                    (),
                ))
            }))
            .await
            .map_err(store_status)?;
        let _ = appended;
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        Ok(Response::new(recipient_message(&service)))
    }
}

/// An entry as a watcher sees it, if it concerns `order_id` (and `recipient`, when given).
fn service_event(
    entry: &StoredEntry,
    order_id: &str,
    recipient: Option<&str>,
) -> Option<pb::ServiceEvent> {
    let (oid, rid) = match &entry.event {
        Event::ServiceOrdered(o) => (o.order_id.as_str(), ""),
        Event::Service {
            order_id,
            recipient_id,
            ..
        } => (order_id.as_str(), recipient_id.as_str()),
        _ => return None,
    };
    if oid != order_id || recipient.is_some_and(|r| r != rid && !rid.is_empty()) {
        return None;
    }
    let detail_json = match &entry.event {
        // The order's recipients are many: watchers get the order without them.
        Event::ServiceOrdered(o) => {
            serde_json::to_string(&OrderSummary::of(o, entry.recorded_at, entry.seq))
        }
        Event::Service { event, .. } => serde_json::to_string(event),
        _ => unreachable!("filtered above"),
    }
    .unwrap_or_default();
    Some(pb::ServiceEvent {
        seq: entry.seq,
        recorded_at: ts(entry.recorded_at),
        order_id: oid.to_string(),
        recipient_id: rid.to_string(),
        kind: entry.event.kind().to_string(),
        detail_json,
    })
}

async fn watch_loop<S: EventStore>(
    store: Arc<S>,
    (order_id, recipient): (String, Option<String>),
    mut cursor: u64,
    (tx, caller): (
        mpsc::Sender<Result<pb::ServiceEvent, Status>>,
        crate::revocation::StillGood,
    ),
    mut stopping: watch::Receiver<bool>,
) {
    const BATCH: usize = 512;
    let mut heads = store.subscribe();
    loop {
        let entries = match store.entries_after(cursor, BATCH) {
            Ok(e) => e,
            Err(e) => {
                let _ = tx.send(Err(store_status(e))).await;
                return;
            }
        };
        let full = entries.len() == BATCH;
        for entry in entries {
            cursor = entry.seq;
            let Some(e) = service_event(&entry, &order_id, recipient.as_deref()) else {
                continue;
            };
            if let Some(refused) = caller.refusal() {
                let _ = tx.send(Err(refused)).await;
                return;
            }
            if tx.send(Ok(e)).await.is_err() {
                return;
            }
        }
        if full {
            continue;
        }
        heads.borrow_and_update();
        if store.head().seq > cursor {
            continue;
        }
        tokio::select! {
            changed = heads.changed() => if changed.is_err() { return },
            _ = stopping.wait_for(|s| *s) => return,
            _ = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &std::path::Path) -> SmtpSettings {
        SmtpSettings {
            host: "relay.court.example".into(),
            port: 587,
            security: "starttls".into(),
            user: Some("songda".into()),
            password_file: Some(dir.join("password")),
            from: "湖北省襄阳市中级人民法院 <songda@court.example>".into(),
            timeout_secs: 30,
            envelope_from: Some("dsn@court.example".into()),
            dsn_maildir: None,
            dsn_maildir_owner: None,
            report_relays: Vec::new(),
            smtputf8: false,
            dkim: None,
            ca_file: Some(dir.join("ca.pem")),
        }
    }

    #[test]
    fn secrets_come_from_their_files_and_never_show_in_debug_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("password"), "s3cret\n").unwrap();
        std::fs::write(dir.path().join("ca.pem"), "-----BEGIN CERTIFICATE-----").unwrap();
        let c = settings(dir.path()).to_config(4).unwrap();
        assert_eq!(c.credentials, Some(("songda".into(), "s3cret".into())));
        assert!(c.relay_ca_pem.is_some());
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn half_given_credentials_an_unknown_security_and_missing_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(dir.path());
        s.password_file = None;
        assert!(
            s.to_config(4)
                .unwrap_err()
                .contains("both user and password_file")
        );
        let mut s = settings(dir.path());
        s.security = "ssl".into();
        assert!(s.to_config(4).unwrap_err().contains("「ssl」"));
        let s = settings(dir.path());
        assert!(s.to_config(4).unwrap_err().contains("password"));
    }
}
