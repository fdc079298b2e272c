//! Electronic service in tests and benchmarks: a hub with seals and e-mail service over a PKI made by
//! `ecenter-pki init`, a sealed document to serve, and the court's client.

use super::*;
use ecenter_api::service::{PageTls, RetrySettings, ServiceConfig, SmtpSettings};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tonic::transport::Channel;

pub const COURT_NAME: &str = "湖北省襄阳市中级人民法院";
pub const LINK_KEY: &[u8] = b"test-link-key-0123456789abcdef0123456789abcdef";

/// A hub with seals and electronic service over a PKI made by `ecenter-pki init`.
pub struct World {
    pub pki: TempDir,
    data: TempDir,
    _keys: TempDir,
    service: ServiceConfig,
    pub hub: TestHub,
}

/// A hub with mutual TLS, seals and `service` on `data`.
async fn start_hub(data: &Path, pki: &Path, service: ServiceConfig) -> TestHub {
    start_tls_with(data, pki, move |c| c.service = Some(service)).await
}

pub fn service_config(keys: &Path, pki: &Path, smtp_port: u16, timeout_secs: u64) -> ServiceConfig {
    let key_file = keys.join("link.key");
    std::fs::write(&key_file, LINK_KEY).unwrap();
    ServiceConfig {
        court: COURT_NAME.into(),
        contact: "书记员 李四 0710-1234567".into(),
        public_url: String::new(),
        page_listen: "127.0.0.1:0".parse().unwrap(),
        page_tls: Some(PageTls {
            cert: pki.join("server.pem"),
            key: pki.join("server.key"),
        }),
        link_key_file: key_file,
        link_valid_hours: 168,
        smtp: Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port: smtp_port,
            security: ecenter_api::service::SmtpSecuritySetting::PlainLoopback,
            user: None,
            password_file: None,
            from: format!("{COURT_NAME} <songda@court.example>"),
            timeout_secs,
            envelope_from: None,
            dsn_maildir: None,
            dsn_maildir_owner: None,
            report_relays: Vec::new(),
            smtputf8: false,
            dkim: None,
            ca_file: None,
        }),
        sms: None,
        workers: 8,
        rate_per_second: 1000,
        retry: RetrySettings {
            base_ms: 50,
            cap_secs: 1,
            max_attempts: 100,
            breaker_threshold: 1000,
            breaker_cooldown_secs: 1,
        },
        templates: Default::default(),
        proof_font: None,
        proof_font_index: 0,
        proof_seal_id: None,
        portal: Default::default(),
    }
}

pub async fn world(smtp_port: u16, timeout_secs: u64) -> World {
    world_with(smtp_port, timeout_secs, |_, _| {}).await
}

pub async fn world_with(
    smtp_port: u16,
    timeout_secs: u64,
    adjust: impl FnOnce(&mut ServiceConfig, &Path),
) -> World {
    build_world(smtp_port, timeout_secs, adjust, |_| {}).await
}

/// A world whose hub's configuration `adjust` changes as well (e.g. `[receipts]`).
pub async fn world_configured(
    smtp_port: u16,
    timeout_secs: u64,
    adjust: impl FnOnce(&mut ecenter_server::Config),
) -> World {
    build_world(smtp_port, timeout_secs, |_, _| {}, adjust).await
}

async fn build_world(
    smtp_port: u16,
    timeout_secs: u64,
    service_adjust: impl FnOnce(&mut ServiceConfig, &Path),
    config_adjust: impl FnOnce(&mut ecenter_server::Config),
) -> World {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let mut service = service_config(keys.path(), pki.path(), smtp_port, timeout_secs);
    service_adjust(&mut service, keys.path());
    let given = service.clone();
    let hub = start_tls_with(data.path(), pki.path(), move |c| {
        c.service = Some(given);
        config_adjust(c);
    })
    .await;
    World {
        pki,
        data,
        _keys: keys,
        service,
        hub,
    }
}

impl World {
    /// The hub's data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Stops the hub gracefully and starts it again on the same data (on a new port).
    pub async fn restart(self) -> World {
        self.restart_after(|_| {}).await
    }

    /// Stops the hub gracefully, runs `between` on its data directory, and starts it again there
    /// (on a new port).
    pub async fn restart_after(self, between: impl FnOnce(&Path)) -> World {
        let World {
            pki,
            data,
            _keys,
            service,
            hub,
        } = self;
        hub.stop().await;
        between(data.path());
        let hub = start_hub(data.path(), pki.path(), service.clone()).await;
        World {
            pki,
            data,
            _keys,
            service,
            hub,
        }
    }

    pub async fn service(&self, stem: &str) -> ServiceOfProcessClient<Channel> {
        ServiceOfProcessClient::new(channel_as(self.hub.addr, self.pki.path(), stem).await)
    }

    /// A sealed PDF of a lawyer's filing: `F…/S1`.
    pub async fn sealed_document(&self) -> String {
        sealed_document(self.hub.addr, self.pki.path()).await
    }

    /// `curl ARGS` against the hub's page, trusting the test PKI: (status, body). A POST names
    /// the page's origin, as a browser's form does (Fetch: `Origin` on every POST), unless the
    /// test says where it comes from itself (`-H "Origin: …"`, `-H "Sec-Fetch-Site: …"`, or
    /// `-H "Origin:"`, which sends none).
    pub fn curl(&self, args: &[&str]) -> (u16, String) {
        let posts = args
            .iter()
            .any(|a| a.starts_with("-d") || a.starts_with("--data"));
        let says_where = args.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a.starts_with("origin:") || a.starts_with("sec-fetch-site:")
        });
        // The origin of the page posted to: scheme and authority of the URL asked for.
        let target = args
            .iter()
            .rev()
            .find(|a| a.starts_with("http"))
            .unwrap_or(&"");
        let (scheme, rest) = target.split_once("://").unwrap_or(("https", target));
        let origin = format!(
            "Origin: {scheme}://{}",
            rest.split('/').next().unwrap_or("")
        );
        let out = Command::new("curl")
            .args(["-s", "-S", "--max-time", "20", "--cacert"])
            .arg(self.pki.path().join("root-ca.pem"))
            .args(["-w", "\n%{http_code}"])
            .args(if posts && !says_where {
                vec!["-H", origin.as_str()]
            } else {
                Vec::new()
            })
            .args(args)
            .output()
            .expect("curl is installed");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }
}

/// A sealed PDF of a lawyer's filing on the hub at `addr`: `F…/S1`.
pub async fn sealed_document(addr: std::net::SocketAddr, pki: &Path) -> String {
    let mut seals = court_with_seal(addr, pki).await;
    let mut lawyer = tls_client(addr, pki, "lawyer-14201202010000001").await;
    let judgment = pdf("judgment");
    let filing_id = file_documents(
        &mut lawyer,
        "req-serve-1",
        "证据材料",
        &[("民事判决书.pdf", &judgment)],
    )
    .await;
    seals.seal_pdf(seal_d1(&filing_id)).await.unwrap();
    format!("{filing_id}/S1")
}

/// Sealing document D1 of `filing_id` with the court's service seal (4206-SSFW-01), for service.
pub fn seal_d1(filing_id: &str) -> pb::SealPdfRequest {
    pb::SealPdfRequest {
        seal_id: "4206-SSFW-01".into(),
        target: Some(pb::seal_pdf_request::Target::Stored(pb::DocumentRef {
            filing_id: filing_id.into(),
            document_id: "D1".into(),
        })),
        page: 0,
        position: None,
        reason: "电子送达".into(),
    }
}

pub fn recipient(name: &str, email: &str, basis: pb::AddressBasis) -> pb::ServeRecipient {
    pb::ServeRecipient {
        name: name.into(),
        role: "被告".into(),
        phone: String::new(),
        phone_basis: 0,
        email: email.into(),
        email_basis: basis as i32,
        consent_basis: "送达地址确认书（2026年11月2日）".into(),
        identity: String::new(),
    }
}

pub fn order(
    request_id: &str,
    document: &str,
    recipients: Vec<pb::ServeRecipient>,
) -> pb::ServeOrderRequest {
    pb::ServeOrderRequest {
        request_id: request_id.into(),
        case_number: CASE.into(),
        documents: vec![document.into()],
        recipients,
        plan: vec![pb::PlanStep {
            channel: pb::ServiceChannel::Email as i32,
            deadline_hours: 24,
        }],
        link_valid_hours: 0,
    }
}

/// Polls `probe` until it yields, for at most `secs` seconds.
pub async fn until<T, F, Fut>(secs: u64, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn status(
    client: &mut ServiceOfProcessClient<Channel>,
    order_id: &str,
    recipient_id: &str,
) -> pb::RecipientStatus {
    client
        .get_recipient(pb::RecipientRef {
            order_id: order_id.into(),
            recipient_id: recipient_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// The recipient's link in a notice.
pub fn link_in(body: &str) -> String {
    let start = body
        .find("https://localhost:")
        .expect("a link in the notice");
    body[start..].split_whitespace().next().unwrap().to_string()
}

/// The one-time confirmation form's nonce in the recipient's page.
pub fn form_in(page: &str) -> String {
    let marker = "name=\"form\" value=\"";
    let start = page.find(marker).expect("a confirmation form") + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

/// Whether `openssl cms -verify` accepts `signature` (DER) over `document`, trusting only the PKI's root.
pub fn openssl_verifies(pki: &Path, document: &[u8], signature: &[u8]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let (doc_file, sig_file) = (dir.path().join("proof.json"), dir.path().join("proof.p7s"));
    std::fs::write(&doc_file, document).unwrap();
    std::fs::write(&sig_file, signature).unwrap();
    let out = Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
        ])
        .arg(&sig_file)
        .arg("-content")
        .arg(&doc_file)
        .arg("-CAfile")
        .arg(pki.join("root-ca.pem"))
        .args(["-out", "/dev/null"])
        .output()
        .expect("openssl is installed");
    out.status.success()
}

/// The proof of `recipient_id`, once the hub has issued it (waits up to 30 s).
pub async fn proof_when_issued(
    client: &ServiceOfProcessClient<Channel>,
    order_id: &str,
    recipient_id: &str,
) -> pb::ProofOfService {
    until(30, "the proof of service", || {
        let mut c = client.clone();
        let r = pb::RecipientRef {
            order_id: order_id.into(),
            recipient_id: recipient_id.into(),
        };
        async move {
            c.get_proof(pb::ProofRequest::from(r))
                .await
                .ok()
                .map(tonic::Response::into_inner)
        }
    })
    .await
}

/// Waits for version `version` of the recipient's proof (a later fact makes a new one) and
/// returns it.
pub async fn proof_version_when(
    client: &ServiceOfProcessClient<Channel>,
    (order_id, recipient_id): (&str, &str),
    version: u32,
) -> pb::ProofOfService {
    until(30, &format!("proof version {version}"), || {
        let mut c = client.clone();
        let r = pb::RecipientRef {
            order_id: order_id.into(),
            recipient_id: recipient_id.into(),
        };
        async move {
            let p = c.get_proof(pb::ProofRequest::from(r)).await.ok()?;
            let p = p.into_inner();
            (p.version == version).then_some(p)
        }
    })
    .await
}

/// Orders `document` served on one recipient by e-mail and returns the hub's answer.
pub async fn serve_one(
    court: &ServiceOfProcessClient<Channel>,
    request_id: &str,
    document: &str,
    name: &str,
    email: &str,
    basis: pb::AddressBasis,
) -> pb::ServeOrderResponse {
    court
        .clone()
        .serve_order(order(
            request_id,
            document,
            vec![recipient(name, email, basis)],
        ))
        .await
        .unwrap()
        .into_inner()
}

/// The hub's account on the SMSC simulator of tests/smsc listening on `port` (plain SMPP on
/// loopback), its password written under `keys`.
pub fn sms_settings(port: u16, keys: &Path) -> ecenter_api::service::SmsSettings {
    let password_file = keys.join("smpp.password");
    std::fs::write(&password_file, format!("{}\n", super::smsc::PASSWORD)).unwrap();
    ecenter_api::service::SmsSettings {
        host: "127.0.0.1".into(),
        port,
        security: ecenter_api::service::SmsSecuritySetting::PlainLoopback,
        system_id: super::smsc::SYSTEM_ID.into(),
        password_file,
        system_type: String::new(),
        source_addr: "12368".into(),
        window: 16,
        rate_per_second: None,
        receipt_timeout_secs: 600,
        enquire_link_secs: 5,
        // The product's default: no test waits for a submit's answer to time out, and a busy
        // machine's late answer must not become a resend.
        response_timeout_secs: 10,
        ca_file: None,
        receipt_id_form: Default::default(),
        bind: true,
    }
}

/// A recipient with a phone number on `phone_basis` and an e-mail address provided.
pub fn phone_recipient(
    name: &str,
    phone: &str,
    phone_basis: pb::AddressBasis,
    email: &str,
) -> pb::ServeRecipient {
    pb::ServeRecipient {
        phone: phone.into(),
        phone_basis: phone_basis as i32,
        ..recipient(name, email, pb::AddressBasis::Provided)
    }
}
/// A plan of `channels` in order, 72 hours each.
pub fn plan(channels: &[pb::ServiceChannel]) -> Vec<pb::PlanStep> {
    channels
        .iter()
        .map(|c| pb::PlanStep {
            channel: *c as i32,
            deadline_hours: 72,
        })
        .collect()
}
/// Orders `document` served on `recipients` along `channels`.
pub async fn serve_plan(
    court: &ServiceOfProcessClient<Channel>,
    request_id: &str,
    document: &str,
    recipients: Vec<pb::ServeRecipient>,
    channels: &[pb::ServiceChannel],
) -> pb::ServeOrderResponse {
    let mut request = order(request_id, document, recipients);
    request.plan = plan(channels);
    court
        .clone()
        .serve_order(request)
        .await
        .unwrap()
        .into_inner()
}
/// Waits until `probe` holds for the recipient's status.
pub async fn status_when(
    court: &ServiceOfProcessClient<Channel>,
    order_id: &str,
    recipient_id: &str,
    what: &str,
    probe: impl Fn(&pb::RecipientStatus) -> bool,
) -> pb::RecipientStatus {
    until(60, what, || {
        let mut c = court.clone();
        let (o, r) = (order_id.to_string(), recipient_id.to_string());
        let probe = &probe;
        async move {
            let s = status(&mut c, &o, &r).await;
            probe(&s).then_some(s)
        }
    })
    .await
}

/// Waits until recipient R1's first notice has gone out (the relay or SMSC took it) — `what`,
/// named in the timeout's message.
pub async fn first_sent(
    court: &ServiceOfProcessClient<Channel>,
    order_id: &str,
    what: &str,
) -> pb::RecipientStatus {
    status_when(court, order_id, "R1", what, |s| {
        s.attempts.first().is_some_and(|a| a.sent_at.is_some())
    })
    .await
}

/// A recipient reached by SMS only, on a number they confirmed.
pub fn sms_recipient(name: &str, phone: &str) -> pb::ServeRecipient {
    pb::ServeRecipient {
        email_basis: 0,
        ..phone_recipient(name, phone, pb::AddressBasis::Confirmed, "")
    }
}

/// `count` SMS-only recipients 当事人0… on numbers `prefix` + four digits.
pub fn sms_recipients(prefix: &str, count: usize) -> Vec<pb::ServeRecipient> {
    (0..count)
        .map(|i| sms_recipient(&format!("当事人{i}"), &format!("{prefix}{i:04}")))
        .collect()
}

/// `clerk ARGS` followed by the trust flags for what a test hub seals with `pki`: `--trust` its
/// root, `--intermediate` its seal and TSA CAs.
pub fn run_clerk_trusting(args: &[&str], pki: &Path, hub: Option<&World>) -> std::process::Output {
    let chain = [
        ("--trust", "root-ca.pem"),
        ("--intermediate", "seal-ca.pem"),
        ("--intermediate", "tsa-ca.pem"),
    ]
    .map(|(flag, file)| (flag, pki.join(file).to_str().unwrap().to_string()));
    let mut all = args.to_vec();
    for (flag, file) in &chain {
        all.extend([*flag, file.as_str()]);
    }
    run_clerk(&all, hub)
}

/// Runs the `clerk` binary with `args`, as the clerk c0001 of the hub of `hub` when given.
pub fn run_clerk(args: &[&str], hub: Option<&World>) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_clerk"));
    c.args(args);
    if let Some(w) = hub {
        let pki = w.pki.path();
        c.arg("--hub")
            .arg(w.hub.addr.to_string())
            .arg("--ca")
            .arg(pki.join("root-ca.pem"))
            .arg("--cert")
            .arg(pki.join("clients/clerk-c0001.pem"))
            .arg("--key")
            .arg(pki.join("clients/clerk-c0001.key"));
    }
    c.output().unwrap()
}

/// A hub whose SMS channel is the simulator on `smsc_port` (and e-mail the relay on `smtp_port`),
/// with `adjust` applied to the SMS settings.
pub async fn sms_hub(
    smsc_port: u16,
    smtp_port: u16,
    adjust: impl FnOnce(&mut ecenter_api::service::SmsSettings) + Send + 'static,
) -> World {
    world_with(smtp_port, 10, move |c, keys| {
        let mut sms = sms_settings(smsc_port, keys);
        adjust(&mut sms);
        c.sms = Some(sms);
    })
    .await
}

/// Fails the test with the way out when Postfix (tests/postfix/setup.sh) is not listening.
pub fn postfix_is_up() {
    assert!(
        std::net::TcpStream::connect("127.0.0.1:25").is_ok(),
        "Postfix is not listening on 127.0.0.1:25: run tests/postfix/setup.sh (scripts/test does)"
    );
}

/// A number no other run of the tests uses (nanoseconds since the epoch): for addresses at the
/// shared Postfix, whose maildirs outlive a test.
pub fn unique_tag() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Waits up to a minute until recipient R1 of `order_id` is `done`, and returns its status.
pub async fn wait_for(
    court: &ServiceOfProcessClient<Channel>,
    order_id: &str,
    what: &str,
    done: impl Fn(&pb::RecipientStatus) -> bool,
) -> pb::RecipientStatus {
    wait_for_recipient(court, (order_id, "R1"), what, done).await
}

/// Waits up to a minute until `recipient` (order id, recipient id) is `done`, and returns its
/// status.
pub async fn wait_for_recipient(
    court: &ServiceOfProcessClient<Channel>,
    (order_id, recipient_id): (&str, &str),
    what: &str,
    done: impl Fn(&pb::RecipientStatus) -> bool,
) -> pb::RecipientStatus {
    until(60, what, || {
        let mut c = court.clone();
        let (o, r) = (order_id.to_string(), recipient_id.to_string());
        let s = async move { status(&mut c, &o, &r).await };
        let done = &done;
        async move {
            let s = s.await;
            done(&s).then_some(s)
        }
    })
    .await
}

/// A hub serving by SMS through the simulator, which sends no receipts for the numbers given (so
/// only replies decide) while the hub waits ten minutes for them, and printing sealed proofs; a
/// sealed document; the court.
pub struct SmsScene {
    /// The SMSC simulator.
    pub smsc: super::smsc::Smsc,
    /// The hub.
    pub w: World,
    /// A sealed document to serve.
    pub document: String,
    /// The court's client.
    pub court: ServiceOfProcessClient<Channel>,
}

/// Starts an [`SmsScene`] whose SMSC sends no receipt for any of `silent`.
pub async fn sms_scene(silent: &[&str]) -> SmsScene {
    let smsc = super::smsc::start_smsc();
    let none: serde_json::Map<String, serde_json::Value> = silent
        .iter()
        .map(|n| ((*n).to_string(), "NONE".into()))
        .collect();
    smsc.configure(serde_json::json!({ "receipts": none }));
    let port = smsc.port;
    let w = world_with(9, 10, move |c, keys| {
        let mut sms = sms_settings(port, keys);
        sms.receipt_timeout_secs = 600;
        c.sms = Some(sms);
        // Printable proofs, sealed with the court's seal that `sealed_document` creates.
        c.proof_font = Some("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc".into());
        c.proof_seal_id = Some("4206-SSFW-01".into());
    })
    .await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    SmsScene {
        smsc,
        w,
        document,
        court,
    }
}

impl SmsScene {
    /// Orders the document served on `recipient` by SMS only; returns the order id.
    pub async fn serve(&self, request_id: &str, recipient: pb::ServeRecipient) -> String {
        let plan = [pb::ServiceChannel::Sms];
        serve_plan(
            &self.court,
            request_id,
            &self.document,
            vec![recipient],
            &plan,
        )
        .await
        .order_id
    }
}

/// An SMS notice to `(name, number)`, for which the SMSC sends no receipt of its own: the hub,
/// the SMSC, the order and the part ids the SMSC gave, with what must outlive the test.
pub struct Unreported {
    pub smsc: super::smsc::Smsc,
    pub w: World,
    pub court: ServiceOfProcessClient<Channel>,
    pub order_id: String,
    pub sent: serde_json::Value,
    _mail: (tempfile::TempDir, super::smtp::SmtpServer),
}

pub async fn unreported_sms(request_id: &str, who: (&str, &str)) -> Unreported {
    unreported_sms_awaiting(request_id, who, 600).await
}

/// The same, with receipts awaited `receipt_timeout_secs`.
pub async fn unreported_sms_awaiting(
    request_id: &str,
    (name, number): (&str, &str),
    receipt_timeout_secs: u64,
) -> Unreported {
    let smsc = super::smsc::start_smsc();
    smsc.configure(serde_json::json!({ "receipts": { number: "NONE" } }));
    let maildir = tempfile::tempdir().unwrap();
    let smtp = super::smtp::start_aiosmtpd(maildir.path());
    let w = sms_hub(smsc.port, smtp.addr.port(), move |s| {
        s.receipt_timeout_secs = receipt_timeout_secs;
    })
    .await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let ordered = serve_plan(
        &court,
        request_id,
        &document,
        vec![sms_recipient(name, number)],
        &[pb::ServiceChannel::Sms],
    )
    .await;
    let sent = smsc.wait_messages(1, 30).remove(0);
    Unreported {
        smsc,
        w,
        court,
        order_id: ordered.order_id,
        sent,
        _mail: (maildir, smtp),
    }
}
