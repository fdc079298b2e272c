//! SMTP sessions that behave (issue #17): a relay that closes idle pooled connections with 421
//! costs no attempt, and a relay that keeps each message but drops the connection before answering
//! DATA gets one copy per counted attempt — each the same notice with the same link — and the
//! trace never calls it unsent; that link works. Against aiosmtpd with those faults
//! (tests/python/smtp_faults.py).

mod common;

use common::service::*;
use common::smtp::{received, start_aiosmtpd};
use ecenter_proto::v1 as pb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_connections_the_relay_closed_with_421_cost_no_attempt() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world_with(smtp.addr.port(), 10, |c, _| {
        // The relay closes a connection that carried a message at its next MAIL.
        c.smtp.as_mut().unwrap().envelope_from = Some("idle421@hub.test".into());
        c.retry.breaker_threshold = 3;
    })
    .await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let mut orders = Vec::new();
    // Two waves: the second finds the first wave's connections idle in the pool.
    for wave in 0..2 {
        let recipients = (0..4)
            .map(|i| {
                recipient(
                    &format!("当事人{wave}{i}"),
                    &format!("p{wave}{i}@parties.test"),
                    pb::AddressBasis::Confirmed,
                )
            })
            .collect();
        let ordered = court
            .clone()
            .serve_order(order(&format!("idle421-{wave}"), &document, recipients))
            .await
            .unwrap()
            .into_inner();
        for r in ordered.recipients.iter().map(|r| &r.recipient_id) {
            status_when(
                &court,
                &ordered.order_id,
                r,
                "the notice to be accepted",
                |s| s.attempts.first().is_some_and(|a| a.sent_at.is_some()),
            )
            .await;
        }
        orders.push(ordered);
    }
    for ordered in &orders {
        for r in ordered.recipients.iter().map(|r| &r.recipient_id) {
            let s = status(&mut court.clone(), &ordered.order_id, r).await;
            let a = &s.attempts[0];
            assert_eq!(a.attempts, 1, "a closed pooled connection counted: {a:?}");
            assert!(a.last_error.is_empty() && !a.maybe_sent, "{a:?}");
        }
    }
    assert_eq!(received(maildir.path()).len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_keeps_the_message_but_never_answers_gets_one_copy_per_attempt_with_one_link()
{
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world_with(smtp.addr.port(), 10, |c, _| {
        c.retry.max_attempts = 3;
    })
    .await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let ordered = serve_one(
        &court,
        "store-drop",
        &document,
        "钱十一",
        "store-drop@parties.test",
        pb::AddressBasis::Discovered,
    )
    .await;
    let s = status_when(
        &court,
        &ordered.order_id,
        "R1",
        "the attempts to run out",
        |s| !s.dead_letters.is_empty(),
    )
    .await;
    let a = &s.attempts[0];
    assert_eq!(a.attempts, 3, "{a:?}");
    // Every attempt after the first is a counted resend of a notice the relay may hold.
    assert_eq!(a.resends_in_doubt, 2, "{a:?}");
    assert!(a.maybe_sent, "{a:?}");
    assert!(!a.last_error.contains("未发出"), "{a:?}");
    assert!(
        s.dead_letters[0].reason.contains("may hold"),
        "{:?}",
        s.dead_letters
    );
    // Exactly one copy per attempt (no silent resend inside one), all the same notice.
    let copies = received(maildir.path());
    assert_eq!(copies.len(), 3, "{copies:?}");
    let links: std::collections::HashSet<String> = copies
        .iter()
        .map(|m| link_in(m["body"].as_str().unwrap()))
        .collect();
    assert_eq!(links.len(), 1, "one link across the copies: {links:?}");
    assert!(
        copies
            .iter()
            .all(|m| m["message_id"] == copies[0]["message_id"])
    );
    // The link of those copies is the recipient's: confirming through it makes service effective.
    // Sent again from the log, which keeps the notice without the link's token.
    let link = links.into_iter().next().unwrap();
    common::assert_token_kept_out(w.data_dir(), link.rsplit("/s/").next().unwrap());
    let (code, page) = w.curl(&[&link]);
    assert_eq!(code, 200, "{page}");
    let (code, _) = w.curl(&[
        "-d",
        &format!("form={}", form_in(&page)),
        &format!("{link}/confirm"),
    ]);
    assert_eq!(code, 200);
    status_when(&court, &ordered.order_id, "R1", "the confirmation", |s| {
        s.effective.is_some()
    })
    .await;
}
