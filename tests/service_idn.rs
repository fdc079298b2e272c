//! E-mail addresses of the whole world (issue #17): an internationalised domain goes out as
//! A-labels through a relay without SMTPUTF8 (aiosmtpd; the expected A-labels come from Python's
//! own IDNA codec); a Chinese mailbox name is refused when the order is made if the court's relay
//! is not set up for SMTPUTF8, and goes through Postfix with SMTPUTF8 when it is.

mod common;

use common::service::*;
use common::smtp::{received, start_aiosmtpd};
use ecenter_proto::v1 as pb;
use std::process::Command;

fn python_a_labels(domain: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; print(sys.argv[1].encode('idna').decode())",
            domain,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idn_domain_goes_as_a_labels_and_a_chinese_mailbox_needs_smtputf8() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let ordered = serve_one(
        &court,
        "idn-1",
        &document,
        "李四",
        "lisi@法院.中国",
        pb::AddressBasis::Confirmed,
    )
    .await;
    first_sent(&court, &ordered.order_id, "the relay to accept it").await;
    let expected = format!("lisi@{}", python_a_labels("法院.中国"));
    let mail = received(maildir.path());
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0]["to"].as_str().unwrap().contains(&expected),
        "{} should name {expected}",
        mail[0]["to"]
    );

    // A mailbox name in Chinese, and this hub's relay is not set up for SMTPUTF8.
    let refused = court
        .clone()
        .serve_order(order(
            "idn-2",
            &document,
            vec![recipient(
                "王五",
                "王五@lawfirm-example.cn",
                pb::AddressBasis::Confirmed,
            )],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    assert!(
        refused.message().contains("王五@lawfirm-example.cn")
            && refused.message().contains("smtputf8"),
        "{}",
        refused.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chinese_mailbox_goes_through_postfix_with_smtputf8() {
    postfix_is_up();
    let w = world_with(25, 20, |c, _| {
        let smtp = c.smtp.as_mut().unwrap();
        smtp.from = format!("{COURT_NAME} <songda@hub.test>");
        smtp.smtputf8 = true;
    })
    .await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let tag = unique_tag();
    let address = format!("王五{tag}@parties.test");
    let ordered = serve_one(
        &court,
        &format!("utf8-{tag}"),
        &document,
        "王五",
        &address,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = status_when(
        &court,
        &ordered.order_id,
        "R1",
        "Postfix to accept it",
        |s| {
            s.attempts
                .first()
                .is_some_and(|a| a.sent_at.is_some() || a.closed)
        },
    )
    .await;
    assert!(
        s.attempts[0].gateway_id.contains("queued as"),
        "{:?}",
        s.attempts[0]
    );
    // Postfix delivered it to the Chinese mailbox name it was addressed to.
    let delivered = until(30, "Postfix to deliver it", || {
        let address = address.clone();
        async move {
            std::fs::read_dir("/var/spool/ecenter-mail/parties/new")
                .ok()?
                .filter_map(std::result::Result::ok)
                .filter_map(|e| std::fs::read(e.path()).ok())
                .map(|raw| String::from_utf8_lossy(&raw).into_owned())
                .find(|text| text.contains(&format!("X-Original-To: {address}")))
        }
    })
    .await;
    assert!(delivered.contains("Delivered-To: "), "{delivered}");
}
