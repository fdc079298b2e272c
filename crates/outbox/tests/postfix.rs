//! The outbox on its own — no hub process, no gRPC — against a real Postfix on loopback
//! (`tests/postfix/setup.sh`, run by `scripts/test`): an order appended straight to a sled store
//! is sent by [`Outbox::run`], Postfix's own "delivered" report, read by [`dsn_inbox::run`] from
//! the maildir Postfix delivers it to, makes service effective (《在线诉讼规则》第31条第1款), a
//! bounce (5.1.1) ends in the dead letters and suppresses the address, and the proof of service
//! the engine seals verifies with OpenSSL.
//!
//! The bounce address `dsn-outbox@hub.test` has its own maildir (`outbox/`), so hubs of other
//! tests running at once never read this test's reports, nor it theirs.

use ecenter_domain::Event;
use ecenter_domain::effective_service::{AddressBasis, Channel, ServiceRule};
use ecenter_domain::serve_order::{PlanStep, RecipientRequest, ServeOrderRequest};
use ecenter_domain::service::{RecipientService, ServedDocument, ServiceOrdered};
use ecenter_outbox::{Outbox, ProofSigner, ServiceConfig, SignError, dsn_inbox};
use ecenter_store::{EventLog, ServiceReads, SledStore};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The Postfix spool of `tests/postfix/setup.sh`.
const SPOOL: &str = "/var/spool/ecenter-mail";

/// Proofs sealed with the development seal certificate in `certs/` (labelled there as not for
/// production), as the hub's `[seals]` signer would: a detached CAdES signature.
struct DevSeal {
    signer: ecenter_seal::KeyHolder,
    chain: Vec<Vec<u8>>,
}

impl DevSeal {
    fn load(certs: &Path) -> DevSeal {
        use rustls_pki_types::pem::PemObject;
        let read = |name: &str| std::fs::read(certs.join(name)).unwrap();
        let signer = ecenter_seal::KeyHolder::from_pem(&read("seal.pem"), &read("seal.key"))
            .expect("the development seal key");
        let ca = rustls_pki_types::CertificateDer::from_pem_slice(&read("seal-ca.pem")).unwrap();
        DevSeal {
            signer,
            chain: vec![ca.to_vec()],
        }
    }
}

impl ProofSigner for DevSeal {
    fn sign_detached(&self, data: &[u8], now: SystemTime) -> Result<Vec<u8>, SignError> {
        let digest: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, data)
            .as_ref()
            .try_into()
            .unwrap();
        ecenter_seal::cades::sign_detached(&self.signer, &self.chain, &digest, None, now)
            .map_err(|e| SignError(e.to_string()))
    }
}

/// The workspace's `certs/` (development PKI).
fn certs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs")
}

/// `[service]` with Postfix as the relay and its reports read from `outbox/`.
fn service_config(dir: &Path) -> ServiceConfig {
    let link_key = dir.join("link.key");
    std::fs::write(
        &link_key,
        "a link key of the outbox's own test, 32+ bytes long",
    )
    .unwrap();
    toml::from_str(&format!(
        r#"
court = "湖北省襄阳市中级人民法院"
page_listen = "127.0.0.1:0"
link_key_file = "{}"
[smtp]
host = "127.0.0.1"
port = 25
security = "plain_loopback"
from = "襄阳中院 <songda@hub.test>"
envelope_from = "dsn-outbox@hub.test"
dsn_maildir = "{SPOOL}/outbox"
report_relays = ["mta.hub.test"]
dsn_maildir_owner = {{ uid = 5000, gid = 5000 }}
"#,
        link_key.display()
    ))
    .expect("the [service] table")
}

/// A recipient served by e-mail only, at an address they confirmed.
fn recipient(name: &str, email: &str) -> RecipientRequest {
    RecipientRequest {
        name: name.into(),
        role: "被告".into(),
        phone: String::new(),
        email: email.into(),
        phone_basis: None,
        email_basis: Some(AddressBasis::Confirmed),
        consent_basis: "送达地址确认书（2026年11月2日）".into(),
        identity: String::new(),
    }
}

/// Appends a serve order for `recipients` (ids R1, R2, …) of one sealed judgment and returns its id.
async fn order(store: &SledStore, tag: u128, recipients: Vec<RecipientRequest>) -> String {
    let order = ServeOrderRequest {
        case_number: "（2026）鄂06民初123号".into(),
        documents: vec!["F000000000001/S1".into()],
        recipients,
        plan: vec![PlanStep {
            channel: Channel::Email,
            deadline_hours: 72,
        }],
    }
    .validate()
    .expect("a valid order");
    let bytes = b"%PDF-1.7 judgment as served".to_vec();
    let sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
    let mut writer = store.blobs().writer().unwrap();
    writer.write(bytes.clone()).await.unwrap();
    writer.finish().await.unwrap();
    let document = ServedDocument {
        reference: "F000000000001/S1".into(),
        name: "民事判决书.pdf".into(),
        sha256,
        size: bytes.len() as u64,
        media_type: "application/pdf".into(),
        seal: "4206-SSFW-01 襄阳市中级人民法院诉讼服务专用章".into(),
    };
    let (_, order_id) = store
        .append(Box::new(move |view| {
            let ordered = ServiceOrdered {
                order_id: format!("O{:012}", view.next_seq()),
                request_id: format!("outbox-postfix-{tag}"),
                fingerprint: format!("{tag:x}"),
                ordered_by: "urn:ecenter:court:xiangyang-cms".into(),
                order,
                documents: vec![document],
                links_expire_at: chrono::Utc::now() + chrono::Duration::hours(72),
                notice_tag: format!("{:010x}", tag & 0xff_ffff_ffff),
            };
            let id = ordered.order_id.clone();
            Ok((vec![Event::ServiceOrdered(ordered)], id))
        }))
        .await
        .unwrap();
    order_id
}

/// Waits up to a minute until `recipient_id`'s service satisfies `done`.
async fn until(
    store: &SledStore,
    order_id: &str,
    recipient_id: &str,
    what: &str,
    done: impl Fn(&RecipientService) -> bool,
) -> RecipientService {
    for _ in 0..600 {
        if let Some(s) = store.recipient_service(order_id, recipient_id).unwrap()
            && done(&s)
        {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("waited a minute for {what}");
}

/// OpenSSL verifies `signature` (detached CMS, DER) over `document` up to the development root.
fn openssl_verifies(document: &[u8], signature: &[u8]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let (doc, sig) = (dir.path().join("proof.json"), dir.path().join("proof.p7s"));
    std::fs::write(&doc, document).unwrap();
    std::fs::write(&sig, signature).unwrap();
    std::process::Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .arg("-in")
        .arg(&sig)
        .arg("-content")
        .arg(&doc)
        .arg("-CAfile")
        .arg(certs().join("root-ca.pem"))
        .args(["-out", "/dev/null"])
        .status()
        .expect("openssl is installed")
        .success()
}

/// The store, the outbox and the DSN inbox as the hub starts them, and what stops them.
fn start(
    dir: &Path,
) -> (
    Arc<SledStore>,
    tokio::sync::watch::Sender<bool>,
    [tokio::task::JoinHandle<()>; 2],
) {
    let store = Arc::new(SledStore::open(&dir.join("data")).unwrap());
    let config = service_config(dir);
    let signer: Arc<dyn ProofSigner> = Arc::new(DevSeal::load(&certs()));
    let context = Arc::new(
        config
            .load(Some(signer), "127.0.0.1:8443".parse().unwrap(), true)
            .expect("the service context"),
    );
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let smtp = config.smtp.clone().unwrap();
    let outbox = tokio::spawn(Outbox::new(store.clone(), context).run(stop.clone()));
    let inbox = tokio::spawn(dsn_inbox::run(
        store.clone(),
        (smtp.dsn_maildir.unwrap(), smtp.report_relays),
        stop,
    ));
    (store, stop_tx, [outbox, inbox])
}

/// R1's first proof of service: its rule, and OpenSSL verifying its seal (and refusing it on an
/// altered document).
fn the_proof_verifies(store: &SledStore, r1: &RecipientService) {
    let proof = &r1.proofs[0];
    let read = |sha: &str| std::fs::read(store.blobs().path(sha)).unwrap();
    let (document, signature) = (read(&proof.document_sha256), read(&proof.signature_sha256));
    let json: serde_json::Value = serde_json::from_slice(&document).unwrap();
    assert_eq!(json["effective"]["rule"], "reached_confirmed_address");
    assert!(openssl_verifies(&document, &signature));
    let mut altered = document.clone();
    altered[0] ^= 0x20;
    assert!(
        !openssl_verifies(&altered, &signature),
        "an altered proof must not verify"
    );
}

/// Whether Postfix delivered the message `message_id` to parties.test.
fn delivered(message_id: &str) -> bool {
    std::fs::read_dir(Path::new(SPOOL).join("parties/new"))
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path()).ok())
        .any(|raw| String::from_utf8_lossy(&raw).contains(&format!("<{message_id}>")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_hub_the_outbox_serves_through_postfix_and_its_reports_decide() {
    assert!(
        std::net::TcpStream::connect("127.0.0.1:25").is_ok(),
        "Postfix is not listening on 127.0.0.1:25: run tests/postfix/setup.sh (scripts/test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let (store, stop_tx, tasks) = start(dir.path());
    let tag = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let reached = format!("zhang.outbox{tag}@parties.test");
    let bounced = format!("gone.outbox{tag}@bounce.test");
    let order_id = order(
        &store,
        tag,
        vec![recipient("张三", &reached), recipient("李四", &bounced)],
    )
    .await;

    // R1: Postfix delivers and reports it: effective under art. 31 para. 1 at the report's time.
    let r1 = until(&store, &order_id, "R1", "Postfix's delivery report", |s| {
        s.effective.is_some()
    })
    .await;
    let effective = r1.effective.unwrap();
    assert_eq!(effective.rule, ServiceRule::ReachedConfirmedAddress);
    assert_eq!(effective.channel, Some(Channel::Email));
    let trace = &r1.channels[0];
    assert!(trace.gateway_id.contains("queued as"), "{trace:?}");
    // Postfix states whole seconds: not before the second the notice was handed to it.
    let handed = trace.handed_at.unwrap().timestamp();
    assert!(
        effective.at.timestamp() >= handed,
        "{effective:?} {trace:?}"
    );
    assert!(delivered(&trace.message_id), "{}", trace.message_id);

    // R2: accepted, then bounced by Postfix (5.1.1): a dead letter, never effective, suppressed.
    let r2 = until(&store, &order_id, "R2", "the bounce", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    assert!(
        r2.dead_letters[0].reason.contains("5.1.1"),
        "{:?}",
        r2.dead_letters
    );
    assert!(r2.effective.is_none());
    assert!(store.suppressed(&bounced).unwrap().is_some());

    // R1's proof of service, sealed by the engine once service took effect.
    let r1 = until(&store, &order_id, "R1", "the proof of service", |s| {
        !s.proofs.is_empty()
    })
    .await;
    the_proof_verifies(&store, &r1);

    stop_tx.send_replace(true);
    for task in tasks {
        task.await.unwrap();
    }
}
