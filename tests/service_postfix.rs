//! Electronic service by e-mail through a real Postfix on loopback (tests/postfix/setup.sh): a
//! delivery status notification makes service effective, a bounce sends the notice to the dead
//! letters, and the DKIM signature the hub added verifies with dkimpy.

mod common;
use common::Succeeds;

use common::service::*;
use ecenter_proto::v1 as pb;
use std::path::Path;
use std::process::Command;

/// Postfix on 127.0.0.1:25, configured by tests/postfix/setup.sh (scripts/test runs it).
const POSTFIX_SPOOL: &str = "/var/spool/ecenter-mail";

/// The raw message with `message_id` among Postfix's deliveries to parties.test.
fn delivered(message_id: &str) -> Option<Vec<u8>> {
    let dir = Path::new(POSTFIX_SPOOL).join("parties/new");
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(std::result::Result::ok)
        .find_map(|e| {
            let raw = std::fs::read(e.path()).ok()?;
            String::from_utf8_lossy(&raw)
                .contains(&format!("<{message_id}>"))
                .then_some(raw)
        })
}

/// A delivery status notification in the hub's maildir (new or read) that reports on `address`
/// (its Final-Recipient), as text.
fn dsn_naming(address: &str) -> Option<String> {
    ["hub/new", "hub/cur"]
        .iter()
        .filter_map(|d| std::fs::read_dir(Path::new(POSTFIX_SPOOL).join(d)).ok())
        .flatten()
        .filter_map(std::result::Result::ok)
        .filter_map(|e| std::fs::read(e.path()).ok())
        .map(|raw| String::from_utf8_lossy(&raw).into_owned())
        .find(|text| {
            text.contains(&format!("Final-Recipient: rfc822; {address}"))
                || text.contains(&format!("Final-Recipient: rfc822;{address}"))
        })
}

/// dkimpy (PyPI) verifies `message` with the public key given as the selector's DNS record.
fn dkimpy_verifies(message: &[u8], public_key_b64: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("message.eml");
    std::fs::write(&file, message).unwrap();
    let script = r#"
import dkim, sys
record = ("v=DKIM1; k=rsa; p=" + sys.argv[2]).encode()
message = open(sys.argv[1], "rb").read()
ok = dkim.verify(message, dnsfunc=lambda name, timeout=5: record)
print("VALID" if ok else "INVALID")
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .arg(public_key_b64)
        .succeeds();
    String::from_utf8_lossy(&out.stdout).trim() == "VALID"
}

/// The service-of-process client of the hub's tests.
type Service = pb::service_of_process_client::ServiceOfProcessClient<tonic::transport::Channel>;

/// Makes a DKIM key as a court would (RSA 2048, PKCS#1) in `dir`; returns it and its public half.
fn dkim_key(dir: &Path) -> (std::path::PathBuf, String) {
    let key = dir.join("dkim.pem");
    Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&key)
        .arg("2048")
        .succeeds();
    let public = Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    use base64::Engine;
    let public_b64 = base64::engine::general_purpose::STANDARD.encode(&public.stdout);
    (key, public_b64)
}

/// Starts a hub that sends through Postfix, reads its reports and signs with the DKIM key.
async fn postfix_world(key_file: std::path::PathBuf) -> World {
    world_with(25, 20, move |c, _| {
        let smtp = c.smtp.as_mut().unwrap();
        smtp.from = format!("{COURT_NAME} <songda@hub.test>");
        smtp.envelope_from = Some("dsn@hub.test".into());
        smtp.dsn_maildir = Some(Path::new(POSTFIX_SPOOL).join("hub"));
        // Postfix's own reports are evidence (its myhostname, tests/postfix/setup.sh).
        smtp.report_relays = vec!["mta.hub.test".into()];
        // Postfix's virtual delivery user (tests/postfix/setup.sh): the hub checks it can write.
        smtp.dsn_maildir_owner = Some(ecenter_server::maildir::MaildirOwner {
            uid: 5000,
            gid: 5000,
            mode: 0o700,
        });
        smtp.dkim = Some(ecenter_api::service::DkimFile {
            domain: "hub.test".into(),
            selector: "songda2026".into(),
            algorithm: ecenter_delivery::email::DkimAlgorithm::Rsa,
            private_key_file: key_file,
        });
    })
    .await
}

/// Checks that R1's delivery report makes service effective and names the address; returns R1.
async fn the_delivery_report_makes_service_effective(
    court: &Service,
    order_id: &str,
    reached_address: &str,
) -> pb::RecipientStatus {
    let r1 = wait_for(court, order_id, "the delivered DSN to be recorded", |s| {
        s.effective.is_some()
    })
    .await;
    let effective = r1.effective.clone().unwrap();
    assert_eq!(effective.rule, "reached_confirmed_address");
    assert_eq!(effective.channel, pb::ServiceChannel::Email as i32);
    assert!(r1.facts.iter().any(|f| f.kind == "reached"));
    assert!(
        r1.attempts[0].gateway_id.contains("queued as"),
        "{:?}",
        r1.attempts[0]
    );

    // Postfix's report names the address as sent: ORCPT was xtext-encoded once, not twice.
    let dsn = dsn_naming(reached_address).expect("Postfix's delivery report in the hub's maildir");
    assert!(
        dsn.contains(&format!("Original-Recipient: rfc822;{reached_address}")),
        "{dsn}"
    );
    r1
}

/// Checks that the delivered message carries a DKIM signature dkimpy verifies; returns the message.
fn the_delivered_message_verifies_with_dkim(message_id: &str, public_b64: &str) -> Vec<u8> {
    let raw = delivered(message_id).expect("Postfix delivered the notice to parties.test");
    assert!(String::from_utf8_lossy(&raw).contains("DKIM-Signature:"));
    assert!(
        dkimpy_verifies(&raw, public_b64),
        "dkimpy rejects the signature"
    );
    let mut altered = raw.clone();
    let body_at = altered.windows(2).position(|w| w == b"\n\n").unwrap() + 6;
    altered[body_at] ^= 0x01;
    assert!(
        !dkimpy_verifies(&altered, public_b64),
        "an altered body must fail DKIM"
    );
    raw
}

/// Checks that confirming reading afterwards is recorded but leaves the effective time `effective`.
async fn a_later_confirmation_keeps_the_effective_time(
    w: &World,
    court: &mut Service,
    order_id: &str,
    raw: &[u8],
    effective: &pb::EffectiveService,
) {
    let body = mailparse_body(raw);
    let link = link_in(&body);
    let (code, page) = w.curl(&[&link]);
    assert_eq!(code, 200);
    let (code, _) = w.curl(&[
        "-d",
        &format!("form={}", form_in(&page)),
        &format!("{link}/confirm"),
    ]);
    assert_eq!(code, 200);
    let r1 = status(court, order_id, "R1").await;
    assert!(r1.facts.iter().any(|f| f.kind == "confirmed_reading"));
    assert_eq!(r1.effective.unwrap().at, effective.at);
}

/// Checks that R2 bounces to the dead letters and a new order to its address is not sent at all.
async fn a_bounce_dead_letters_and_suppresses_the_address(
    court: &Service,
    order_id: &str,
    document: &str,
    bounced_address: &str,
    tag: u128,
) {
    let r2 = wait_for_recipient(court, (order_id, "R2"), "the bounce to be recorded", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    assert!(r2.facts.iter().any(|f| f.kind == "bounced"));
    assert!(
        r2.dead_letters[0].reason.contains("5.1.1"),
        "{:?}",
        r2.dead_letters
    );
    assert_eq!(r2.state, pb::RecipientState::Unserved as i32);
    assert!(r2.effective.is_none());
    // A new order to the suppressed address is not sent at all.
    let again = serve_one(
        court,
        &format!("postfix-again-{tag}"),
        document,
        "李四",
        bounced_address,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = wait_for(
        court,
        &again.order_id,
        "the suppressed address to be refused",
        |s| !s.dead_letters.is_empty(),
    )
    .await;
    assert!(
        s.dead_letters[0].reason.contains("已退信"),
        "{:?}",
        s.dead_letters
    );
    assert!(s.attempts.is_empty() || s.attempts[0].sent_at.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_postfix_a_dsn_makes_service_effective_a_bounce_dead_letters_and_dkim_verifies() {
    postfix_is_up();
    // A DKIM key as a court would make it (RSA 2048, PKCS#1) and its public half for the DNS record.
    let dkim_dir = tempfile::tempdir().unwrap();
    let (key, public_b64) = dkim_key(dkim_dir.path());

    let w = postfix_world(key).await;
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let tag = unique_tag();
    // A sub-address with '+' (xtext-encoded once in ORCPT, RFC 3461 §4.2): the DSN's
    // Original-Recipient must name this very address for the report to count.
    let reached_address = format!("zhang+court{tag}@parties.test");
    let bounced_address = format!("gone{tag}@bounce.test");
    let ordered = court
        .serve_order(order(
            &format!("postfix-{tag}"),
            &document,
            vec![
                recipient("张三", &reached_address, pb::AddressBasis::Confirmed),
                recipient("李四", &bounced_address, pb::AddressBasis::Confirmed),
            ],
        ))
        .await
        .unwrap()
        .into_inner();
    let order_id = ordered.order_id.clone();

    // R1: Postfix delivers it and reports "delivered": service is effective when it reached the
    // confirmed address (art. 31 para. 1), at the report's time.
    let r1 = the_delivery_report_makes_service_effective(&court, &order_id, &reached_address).await;
    let effective = r1.effective.clone().unwrap();

    // The message as delivered carries a DKIM signature that dkimpy verifies.
    let message_id = r1.attempts[0].message_id.clone();
    let raw = the_delivered_message_verifies_with_dkim(&message_id, &public_b64);

    // The recipient still opens and confirms: recorded, but the earliest effective time stands.
    a_later_confirmation_keeps_the_effective_time(&w, &mut court, &order_id, &raw, &effective)
        .await;

    // R2: accepted by Postfix, then bounced (5.1.1): a dead letter, the address suppressed.
    a_bounce_dead_letters_and_suppresses_the_address(
        &court,
        &order_id,
        &document,
        &bounced_address,
        tag,
    )
    .await;

    // R1's proof names the rule and verifies.
    let proof = proof_when_issued(&court, &order_id, "R1").await;
    let json: serde_json::Value = serde_json::from_slice(&proof.document).unwrap();
    assert_eq!(json["effective"]["rule"], "reached_confirmed_address");
    assert!(openssl_verifies(
        w.pki.path(),
        &proof.document,
        &proof.signature
    ));
    assert!(
        json["channels"][0]["gateway_id"]
            .as_str()
            .unwrap()
            .contains("queued as")
    );
    w.hub.stop().await;
}

/// The text body of a delivered notice (Python's email package decodes it).
fn mailparse_body(raw: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.eml");
    std::fs::write(&file, raw).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import email,sys; m=email.message_from_binary_file(open(sys.argv[1],'rb')); print(m.get_payload(decode=True).decode(m.get_content_charset() or 'utf-8'))",
        ])
        .arg(&file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
