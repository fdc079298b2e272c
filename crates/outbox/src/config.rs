//! The configuration of electronic service (`[service]`: links, SMTP, SMS, DKIM, retries) and
//! what the hub builds from it at start-up (`ServiceContext`: mailer, SMPP gateway, link signer).

use crate::config_error::ConfigError;
use ecenter_delivery::email::{DkimAlgorithm, Mailer, SmtpConfig, SmtpSecurity};
use ecenter_delivery::link::LinkSigner;
use ecenter_delivery::policy::Backoff;
use ecenter_delivery::sms::{SmppGateway, SmppSecurity, SmppSettings};
use ecenter_domain::effective_service::Channel;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

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
    /// The lawyers' portal beside the page (`[service.portal]`).
    #[serde(default)]
    pub portal: PortalSettings,
}

/// `[service.portal]`: the lawyers' portal (诉讼服务) served beside the recipients' page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSettings {
    /// Whether `/portal/` is served (lawyers of the directory sign in with a one-time code).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Seconds a sign-in code is good for (default 600).
    #[serde(default = "default_code_secs")]
    pub code_valid_secs: u64,
    /// Hours a session lasts after signing in (default 8).
    #[serde(default = "default_session_hours")]
    pub session_hours: u32,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            enabled: true,
            code_valid_secs: default_code_secs(),
            session_hours: default_session_hours(),
        }
    }
}

impl PortalSettings {
    /// Refuses figures outside what a sign-in can sensibly use: a code good for at most an hour,
    /// a session of 1 to 24 hours.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !(1..=3600).contains(&self.code_valid_secs) {
            return Err(ConfigError::new(
                "service.portal",
                "code_valid_secs",
                format!("{} is outside 1..=3600 seconds", self.code_valid_secs),
            ));
        }
        if !(1..=24).contains(&self.session_hours) {
            return Err(ConfigError::new(
                "service.portal",
                "session_hours",
                format!("{} is outside 1..=24 hours", self.session_hours),
            ));
        }
        Ok(())
    }

    /// The sign-in rules with these figures.
    pub fn limits(&self) -> ecenter_domain::portal::Limits {
        let secs = i64::try_from(self.code_valid_secs.max(1)).unwrap_or(600);
        ecenter_domain::portal::Limits {
            code_valid: chrono::TimeDelta::seconds(secs),
            session: chrono::TimeDelta::hours(i64::from(self.session_hours.max(1))),
            ..Default::default()
        }
    }
}

fn yes() -> bool {
    true
}
fn default_code_secs() -> u64 {
    600
}
fn default_session_hours() -> u32 {
    8
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

/// How the hub's connection to the mail relay is protected (`[service.smtp] security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmtpSecuritySetting {
    /// Plain connection upgraded with STARTTLS (RFC 3207), port 587; refused if not offered.
    #[serde(rename = "starttls")]
    StartTls,
    /// TLS from the first byte (RFC 8314), port 465.
    #[serde(rename = "implicit")]
    Implicit,
    /// No TLS, allowed only to a relay on the loopback interface.
    #[serde(rename = "plain_loopback")]
    PlainLoopback,
}

/// How the hub's connection to the SMSC is protected (`[service.sms] security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsSecuritySetting {
    /// SMPP over TLS.
    Tls,
    /// No TLS, allowed only to an SMSC on the loopback interface.
    PlainLoopback,
}

/// The mail relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Host name (also the TLS name).
    pub host: String,
    /// Port.
    pub port: u16,
    /// How the connection to the relay is protected.
    pub security: SmtpSecuritySetting,
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
    /// How the connection to the SMSC is protected.
    pub security: SmsSecuritySetting,
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
    /// Whether this instance binds to the SMSC and sends SMS notices (default true). An SMSC
    /// account allows a few binds at most: with several instances on one log, set it false on
    /// those beyond that number. They still take orders with SMS steps and leave the sending —
    /// and the receipts, which the SMSC delivers on the binds — to the instances that bind.
    #[serde(default = "default_bind")]
    pub bind: bool,
}

fn default_bind() -> bool {
    true
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
    pub fn to_settings(&self) -> Result<SmppSettings, ConfigError> {
        let security = match self.security {
            SmsSecuritySetting::Tls => SmppSecurity::Tls {
                ca_pem: match &self.ca_file {
                    Some(p) => Some(
                        std::fs::read(p)
                            .map_err(|e| ConfigError::file("service.sms", "ca_file", p, e))?,
                    ),
                    None => None,
                },
            },
            SmsSecuritySetting::PlainLoopback => SmppSecurity::PlainLoopback,
        };
        let password = std::fs::read_to_string(&self.password_file).map_err(|e| {
            ConfigError::file("service.sms", "password_file", &self.password_file, e)
        })?;
        let mut s = SmppSettings::new(&self.host, self.port, &self.system_id, password.trim());
        s.security = security;
        s.system_type = self.system_type.clone();
        s.source_addr = self.source_addr.clone();
        s.window = self.window.max(1);
        s.enquire_link = std::time::Duration::from_secs(self.enquire_link_secs.max(1));
        s.response_timeout = std::time::Duration::from_secs(self.response_timeout_secs.max(1));
        SmppGateway::check(&s).map_err(|e| ConfigError::new("service.sms", "", e.to_string()))?;
        if self.receipt_timeout_secs == 0 {
            return Err(ConfigError::new(
                "service.sms",
                "receipt_timeout_secs",
                "at least 1",
            ));
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
    /// `rsa` (key file: PKCS#1 PEM, the default) or `ed25519` (key file: base64 of the 32-byte
    /// seed).
    #[serde(default)]
    pub algorithm: DkimAlgorithm,
    /// The private key file.
    pub private_key_file: PathBuf,
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
    pub proof_signer: Arc<dyn crate::ProofSigner>,
    /// Base URL of the page (no trailing slash).
    pub public_url: String,
    /// Host part of Message-IDs.
    pub message_host: String,
}

impl ServiceConfig {
    /// Loads keys and builds the channels; `page_addr` is where the page really listens.
    pub fn load(
        &self,
        proof_signer: Option<Arc<dyn crate::ProofSigner>>,
        page_addr: SocketAddr,
        dev_mode: bool,
    ) -> Result<ServiceContext, ConfigError> {
        let proof_signer = proof_signer.ok_or_else(|| {
            ConfigError::new(
                "service",
                "",
                "electronic service needs [seals]: proofs of service are sealed with the hub's key",
            )
        })?;
        self.templates
            .check()
            .map_err(|e| ConfigError::new("service.templates", "", e.to_string()))?;
        self.portal.check()?;
        if self.court.trim().is_empty() {
            return Err(ConfigError::new(
                "service",
                "court",
                "name the serving court",
            ));
        }
        if self.page_tls.is_none() && !(dev_mode && page_addr.ip().is_loopback()) {
            return Err(ConfigError::new(
                "service",
                "page_tls",
                "the recipients' page is served over HTTPS; plain HTTP only in development mode on loopback",
            ));
        }
        let links = self.link_signer()?;
        if self.link_valid_hours == 0 || self.link_valid_hours > MAX_LINK_HOURS {
            return Err(ConfigError::new(
                "service",
                "link_valid_hours",
                format!("1 to {MAX_LINK_HOURS}"),
            ));
        }
        let mailer = match &self.smtp {
            Some(s) => Some(
                Mailer::new(&s.to_config(self.workers)?)
                    .map_err(|e| ConfigError::new("service.smtp", "", e.to_string()))?,
            ),
            None => None,
        };
        let proof_font = self.load_proof_font()?;
        let sms_settings = match &self.sms {
            Some(s) => Some(s.to_settings()?),
            None => None,
        };
        let public_url = self.public_url_for(page_addr);
        let message_host = message_host_of(&public_url);
        Ok(ServiceContext {
            config: self.clone(),
            links,
            mailer,
            sms_settings,
            sms: std::sync::OnceLock::new(),
            proof_font,
            proof_signer,
            public_url,
            message_host,
        })
    }

    /// The signer of recipients' links, from the secret in `link_key_file` (surrounding
    /// whitespace ignored); a missing or short key names the file.
    fn link_signer(&self) -> Result<LinkSigner, ConfigError> {
        let link_key = |e: &dyn std::fmt::Display| {
            ConfigError::file("service", "link_key_file", &self.link_key_file, e)
        };
        let key = std::fs::read(&self.link_key_file).map_err(|e| link_key(&e))?;
        LinkSigner::new(trim_ascii(&key)).map_err(|e| link_key(&e))
    }

    /// The printable proofs' font, read and checked at start (none configured: `None`).
    fn load_proof_font(&self) -> Result<Option<Arc<Vec<u8>>>, ConfigError> {
        Ok(match &self.proof_font {
            Some(p) => {
                let bytes = std::fs::read(p)
                    .map_err(|e| ConfigError::file("service", "proof_font", p, e))?;
                ecenter_proofpdf::check_font(&bytes, self.proof_font_index)
                    .map_err(|e| ConfigError::file("service", "proof_font", p, e))?;
                Some(Arc::new(bytes))
            }
            None => None,
        })
    }

    /// Base URL of the recipients' page (no trailing slash): as configured, or derived from where
    /// the page listens (`page_addr`), https when it has its certificate.
    fn public_url_for(&self, page_addr: SocketAddr) -> String {
        let scheme = if self.page_tls.is_some() {
            "https"
        } else {
            "http"
        };
        if self.public_url.trim().is_empty() {
            let host = if page_addr.ip().is_loopback() {
                "localhost".to_string()
            } else {
                page_addr.ip().to_string()
            };
            format!("{scheme}://{host}:{}", page_addr.port())
        } else {
            self.public_url.trim().trim_end_matches('/').to_string()
        }
    }
}

/// The host part of Message-IDs: the public URL's host (`ecenter` when it has none).
fn message_host_of(public_url: &str) -> String {
    public_url
        .split("://")
        .nth(1)
        .unwrap_or("ecenter")
        .split([':', '/'])
        .next()
        .unwrap_or("ecenter")
        .to_string()
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
    fn to_config(&self, workers: usize) -> Result<SmtpConfig, ConfigError> {
        let security = match self.security {
            SmtpSecuritySetting::StartTls => SmtpSecurity::StartTls,
            SmtpSecuritySetting::Implicit => SmtpSecurity::Implicit,
            SmtpSecuritySetting::PlainLoopback => SmtpSecurity::PlainLoopback,
        };
        let credentials = match (&self.user, &self.password_file) {
            (Some(u), Some(p)) => {
                let password = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError::file("service.smtp", "password_file", p, e))?;
                Some((u.clone(), password.trim().to_string()))
            }
            (None, None) => None,
            _ => {
                return Err(ConfigError::new(
                    "service.smtp",
                    "user",
                    "set both user and password_file, or neither",
                ));
            }
        };
        let dkim = match &self.dkim {
            Some(d) => Some(ecenter_delivery::email::DkimSettings {
                domain: d.domain.clone(),
                selector: d.selector.clone(),
                algorithm: d.algorithm,
                private_key: std::fs::read_to_string(&d.private_key_file)
                    .map_err(|e| {
                        ConfigError::file(
                            "service.smtp.dkim",
                            "private_key_file",
                            &d.private_key_file,
                            e,
                        )
                    })?
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
                Some(p) => Some(
                    std::fs::read(p)
                        .map_err(|e| ConfigError::file("service.smtp", "ca_file", p, e))?,
                ),
                None => None,
            },
            from: self.from.clone(),
            timeout: std::time::Duration::from_secs(self.timeout_secs.max(1)),
            pool_size: workers.max(1),
        })
    }
}

impl ServiceContext {
    /// Whether this instance sends on `channel` itself: not SMS when `[service.sms] bind = false`.
    /// A channel not configured at all still counts (its notices then fail where a clerk sees
    /// them, rather than wait for ever).
    pub fn sends_on(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => true,
            Channel::Sms => self.config.sms.as_ref().is_none_or(|s| s.bind),
        }
    }

    /// Whether the hub can send on `channel`.
    pub fn has_channel(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.mailer.is_some(),
            Channel::Sms => self.sms_settings.is_some(),
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
            security: SmtpSecuritySetting::StartTls,
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
    fn closed_settings_are_named_when_unknown() {
        let smtp = "host = \"relay\"\nport = 587\nsecurity = \"ssl\"\nenvelope_from = \"a@b\"\nfrom = \"a@b\"\n";
        let err = toml::from_str::<SmtpSettings>(smtp)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ssl") && err.contains("starttls") && err.contains("plain_loopback"),
            "{err}"
        );
        let dkim = "domain = \"court.example\"\nselector = \"s\"\nalgorithm = \"dsa\"\nprivate_key_file = \"k\"\n";
        let err = toml::from_str::<DkimFile>(dkim).unwrap_err().to_string();
        assert!(err.contains("dsa") && err.contains("ed25519"), "{err}");
        let dkim = "domain = \"court.example\"\nselector = \"s\"\nprivate_key_file = \"k\"\n";
        assert_eq!(
            toml::from_str::<DkimFile>(dkim).unwrap().algorithm,
            DkimAlgorithm::Rsa
        );
    }

    #[test]
    fn half_given_credentials_an_unknown_security_and_missing_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(dir.path());
        s.password_file = None;
        assert!(
            s.to_config(4)
                .unwrap_err()
                .to_string()
                .contains("both user and password_file")
        );
        let s = settings(dir.path());
        assert!(s.to_config(4).unwrap_err().to_string().contains("password"));
    }
}
