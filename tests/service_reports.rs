//! Delivery reports are evidence only once checked: a bounce that arrives after a report already
//! said the notice reached the recipient — what anyone who saw the notice's Message-ID can send to
//! the court's bounce address — is set aside for the clerks and undoes nothing; and a report whose
//! time lies outside what the hub witnessed does not date the service.

mod common;

use common::service::*;
use common::smtp::start_aiosmtpd;
use ecenter_proto::v1 as pb;
use std::path::Path;

/// An RFC 3464 report about `address` under envelope id `envid`, as an MTA would write it.
fn dsn(envid: &str, address: &str, action: &str, status: &str, arrival: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mta.elsewhere.test\r\nTo: dsn@hub.test\r\nSubject: Delivery Status Notification\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nreport\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mta.elsewhere.test\r\nOriginal-Envelope-Id: {envid}\r\nArrival-Date: {arrival}\r\n\r\n\
         Original-Recipient: rfc822;{address}\r\nFinal-Recipient: rfc822;{address}\r\n\
         Action: {action}\r\nStatus: {status}\r\n\r\n--b--\r\n"
    )
}

fn deliver(maildir: &Path, name: &str, text: &str) {
    std::fs::write(maildir.join("tmp").join(name), text).unwrap();
    std::fs::rename(
        maildir.join("tmp").join(name),
        maildir.join("new").join(name),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_after_delivery_is_set_aside_and_a_report_from_2020_does_not_date_service() {
    let relay_mail = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(relay_mail.path());
    let dsn_dir = tempfile::tempdir().unwrap();
    let maildir = dsn_dir.path().join("dsn");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let dsn_maildir = maildir.clone();
    let w = world_with(smtp.addr.port(), 10, move |c, _| {
        c.smtp.as_mut().unwrap().dsn_maildir = Some(dsn_maildir);
    })
    .await;
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let address = "zhangsan@parties.test";
    let ordered = serve_one(
        &court,
        "reports-1",
        &document,
        "张三",
        address,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let order_id = ordered.order_id.clone();
    let sent = status_when(
        &court,
        &order_id,
        "R1",
        "the relay to accept the notice",
        |s| s.attempts.first().is_some_and(|a| a.sent_at.is_some()),
    )
    .await;
    let envid = sent.attempts[0].message_id.clone();

    // "Delivered", dated 2020: the service takes effect, but not in 2020.
    deliver(
        &maildir,
        "1.delivered",
        &dsn(
            &envid,
            address,
            "delivered",
            "2.0.0",
            "Wed, 01 Jan 2020 00:00:00 +0000",
        ),
    );
    let effective = status_when(&court, &order_id, "R1", "the delivered report", |s| {
        s.effective.is_some()
    })
    .await;
    let at = effective.effective.clone().unwrap().at.unwrap();
    let handed = sent.attempts[0].sent_at.unwrap();
    assert!(
        at.seconds >= handed.seconds,
        "service dated before the notice was handed over: {at:?}"
    );

    // A forged bounce (5.1.1) naming the same envelope id: set aside, nothing undone.
    deliver(
        &maildir,
        "2.bounced",
        &dsn(
            &envid,
            address,
            "failed (bad destination mailbox)",
            "5.1.1",
            "Mon, 30 Nov 2026 10:00:00 +0000",
        ),
    );
    let after = status_when(&court, &order_id, "R1", "the bounce to be set aside", |s| {
        !s.unverified.is_empty()
    })
    .await;
    assert_eq!(
        after.state,
        pb::RecipientState::Effective as i32,
        "{after:?}"
    );
    assert_eq!(after.effective, effective.effective);
    assert!(after.dead_letters.is_empty(), "{:?}", after.dead_letters);
    assert!(
        !after.facts.iter().any(|f| f.kind == "bounced"),
        "{:?}",
        after.facts
    );
    assert!(
        after.unverified[0].reason.contains("set aside"),
        "{:?}",
        after.unverified
    );
    assert!(after.unverified[0].detail.contains("5.1.1"));
    // The address is not suppressed: a new order to it is sent.
    let again = serve_one(
        &court,
        "reports-2",
        &document,
        "张三",
        address,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = status_when(
        &court,
        &again.order_id,
        "R1",
        "the second notice to go out",
        |s| s.attempts.first().is_some_and(|a| a.sent_at.is_some()),
    )
    .await;
    assert!(s.dead_letters.is_empty());
    let _ = status(&mut court, &order_id, "R1").await;
}
