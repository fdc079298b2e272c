//! The e-mail witness: new signed checkpoints are mailed to the court's archive address through
//! the court's relay (aiosmtpd here), each line of the mail checks with OpenSSL against the key in
//! the same mail, and the log records which checkpoint left the hub (`checkpoint_mailed`).

mod common;

use common::service::*;
use common::smtp::{received, start_aiosmtpd};
use common::*;

/// Checks the mail went to the archive, and each checkpoint line verifies with OpenSSL against the key in it.
fn the_mail_checks_with_its_key(mail: &serde_json::Value) {
    assert!(
        mail["to"]
            .as_str()
            .unwrap()
            .ends_with("<archive@court.example>"),
        "{mail}"
    );
    assert!(
        mail["subject"].as_str().unwrap().starts_with("检查点 "),
        "{mail}"
    );
    let body = mail["body"].as_str().unwrap();
    let key_at = body
        .find("-----BEGIN PUBLIC KEY-----")
        .expect("the key travels with the mail");
    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), &body[key_at..]).unwrap();
    let lines: Vec<&str> = body.lines().filter(|l| l.starts_with('{')).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(openssl_verifies_checkpoint(line, key.path()), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_checkpoints_are_mailed_to_the_archive_and_the_mail_is_on_the_record() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let service = service_config(keys.path(), pki.path(), smtp.addr.port(), 10);
    let hub = start_tls_with(data.path(), pki.path(), |c| {
        c.service = Some(service);
        c.checkpoints.archive_email = Some("档案室 <archive@court.example>".into());
        c.checkpoints.email_interval_secs = 1;
    })
    .await;
    let mut lawyer = tls_client(hub.addr, pki.path(), "lawyer-14201202010000001").await;
    let doc = pdf("寄往档案室的检查点");
    let receipt = file_evidence(&mut lawyer, "mailed-checkpoint", &doc).await;
    // A mail whose last checkpoint covers the filing.
    let mail = until(
        60,
        "a checkpoint mail covering the filing at the archive",
        || async {
            received(maildir.path()).into_iter().rev().find(|m| {
                m["body"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .any(|c| c["seq"].as_u64() >= Some(receipt.log_seq))
            })
        },
    )
    .await;
    the_mail_checks_with_its_key(&mail);
    // The log says which checkpoint left, to whom, with which Message-ID.
    let log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(hub.addr, pki.path(), "clerk-c0001").await,
    );
    let message_id = mail["message_id"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();
    let recorded = until(30, "the mail in the log", || {
        let mut log = log.clone();
        let message_id = message_id.clone();
        async move {
            all_entries(&mut log)
                .await
                .into_iter()
                .find(|e| e.kind == "checkpoint_mailed" && e.detail_json.contains(&message_id))
        }
    })
    .await;
    assert!(
        recorded.detail_json.contains("archive@court.example"),
        "{}",
        recorded.detail_json
    );
    hub.stop().await;
}
