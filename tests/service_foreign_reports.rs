//! Reports as other mail servers write them (seen in public bug reports and from Chinese
//! providers): a remote bounce that writes the address in angle brackets and returns the header as
//! RFC 6533's `message/global-headers` without an envelope id; an HTML-only NDR that quotes the
//! notice in entities; the court's relay's report delivered twice; a relay report whose blocks
//! about the address disagree; and an `expanded` report. Each is evidence once, or put before the
//! clerks — none is lost and none counts twice.

mod common;

use common::reports::{ReportWorld, deliver, dsn_of, read_by_the_hub, relay_made, report_world};
use common::service::*;
use ecenter_proto::v1 as pb;

/// The service-of-process client of the hub's tests.
type Service = pb::service_of_process_client::ServiceOfProcessClient<tonic::transport::Channel>;

/// An e-mail notice the relay took: its order, address, envelope id and the relay's queue id.
struct Sent {
    order_id: String,
    address: String,
    envid: String,
    queue_id: String,
}

async fn sent_notice(court: &Service, document: &str, n: usize) -> Sent {
    let address = format!("party{n}@parties.test");
    let ordered = serve_one(
        court,
        &format!("foreign-reports-{n}"),
        document,
        "张三",
        &address,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = first_sent(court, &ordered.order_id, "the relay to take it").await;
    Sent {
        order_id: ordered.order_id,
        address,
        envid: s.attempts[0].message_id.clone(),
        queue_id: s.attempts[0].gateway_id.rsplit(' ').next().unwrap().into(),
    }
}

/// A Coremail-style remote bounce: bracketed addresses, the returned header as
/// `message/global-headers`, no `Original-Envelope-Id` (remote MTAs that do not speak DSN).
fn remote_bounce(sent: &Sent) -> String {
    let (address, envid) = (&sent.address, &sent.envid);
    format!(
        "Return-Path: <>\r\nFrom: postmaster@mx.parties.test\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\
         Subject: =?UTF-8?B?6YCA5L+h?=\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
         --r\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n收件人不存在\r\n\
         --r\r\nContent-Type: message/global-delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.parties.test\r\n\r\n\
         Original-Recipient: rfc822;<{address}>\r\nFinal-Recipient: rfc822; <{address}>\r\n\
         Action: failed\r\nStatus: 5.1.1\r\n\r\n\
         --r\r\nContent-Type: message/global-headers\r\n\r\nMessage-ID: <{envid}>\r\nSubject: x\r\n\r\n--r--\r\n"
    )
}

/// An Exchange-style NDR with only an HTML part, the notice's id written with entities.
fn html_ndr(sent: &Sent) -> String {
    format!(
        "Return-Path: <>\r\nFrom: postmaster@mx.parties.test\r\nAuto-Submitted: auto-replied\r\n\
         Subject: Undeliverable\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <html><body><p>Your message to {} couldn't be delivered.</p>\
         <pre>Message-ID: &lt;{}&gt;</pre></body></html>\r\n",
        sent.address, sent.envid
    )
}

/// The relay's report with a second block about the same address: `first`, then `second`.
fn two_blocks(sent: &Sent, first: &str, second: &str) -> String {
    let written = "Mon, 30 Nov 2026 10:00:00 +0000";
    let one = dsn_of(
        &sent.envid,
        &sent.address,
        (first, "2.0.0"),
        written,
        &sent.queue_id,
    );
    let block = format!(
        "Final-Recipient: rfc822;{}\r\nAction: {second}\r\nStatus: 5.1.1\r\n\r\n--b--\r\n",
        sent.address
    );
    relay_made(&one.replace("\r\n\r\n--b--\r\n", &format!("\r\n\r\n{block}")))
}

/// A hub reading reports from its maildir, and `n` e-mail notices its relay took.
async fn world_with_notices(n: usize) -> (ReportWorld, Service, Vec<Sent>) {
    let rw = report_world(&["mta.hub.test"]).await;
    let document = rw.w.sealed_document().await;
    let court = rw.w.service("court-xiangyang-cms").await;
    let mut notices = Vec::with_capacity(n);
    for k in 1..=n {
        notices.push(sent_notice(&court, &document, k).await);
    }
    (rw, court, notices)
}

/// The recipient's status once a report about `sent` was set aside for the clerks.
async fn set_aside(court: &Service, sent: &Sent, what: &str) -> pb::RecipientStatus {
    status_when(court, &sent.order_id, "R1", what, |s| {
        !s.unverified.is_empty()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_as_other_servers_write_them_are_kept_once_and_never_lost() {
    let (rw, court, notices) = world_with_notices(5).await;
    let maildir = &rw.maildir;
    let set_aside = |n: usize, what: &'static str| set_aside(&court, &notices[n], what);

    // A remote bounce (not the court's relay): before the clerks, claiming a bounce.
    deliver(maildir, "1.remote", &remote_bounce(&notices[0]));
    let s = set_aside(0, "the bracketed remote bounce").await;
    assert!(!s.unverified[0].reached && s.effective.is_none(), "{s:?}");

    // An HTML-only NDR: kept as a free-text bounce for the clerks.
    deliver(maildir, "2.html", &html_ndr(&notices[1]));
    let s = set_aside(1, "the HTML bounce").await;
    assert!(
        s.unverified[0].reason.starts_with("非标准格式的退信")
            && s.unverified[0].reason.contains("not an RFC 3464"),
        "{s:?}"
    );

    // The relay's own report, delivered twice: one fact.
    let report = relay_made(&dsn_of(
        &notices[2].envid,
        &notices[2].address,
        ("delivered", "2.0.0"),
        "Mon, 30 Nov 2026 10:00:00 +0000",
        &notices[2].queue_id,
    ));
    deliver(maildir, "3.first", &report);
    read_by_the_hub(maildir, "3.first").await;
    deliver(maildir, "3.again", &report);
    read_by_the_hub(maildir, "3.again").await;
    let s = status(&mut court.clone(), &notices[2].order_id, "R1").await;
    let reached = s.facts.iter().filter(|f| f.kind == "reached").count();
    assert_eq!(reached, 1, "{:?}", s.facts);

    // Blocks that disagree about the address: neither wins; a clerk judges.
    deliver(
        maildir,
        "4.both",
        &two_blocks(&notices[3], "delivered", "failed"),
    );
    let s = set_aside(3, "the self-contradicting report").await;
    assert!(s.unverified[0].reason.contains("disagree"), "{s:?}");
    // Its claim is the bounce, though its first block says delivered (round 19c, F4).
    assert!(!s.unverified[0].reached, "{s:?}");
    assert!(s.effective.is_none() && s.facts.is_empty(), "{s:?}");

    // Expanded (delivered to the address, then forwarded on): a reach a clerk judges.
    let expanded = relay_made(&dsn_of(
        &notices[4].envid,
        &notices[4].address,
        ("expanded", "2.0.0"),
        "Mon, 30 Nov 2026 10:00:00 +0000",
        &notices[4].queue_id,
    ));
    deliver(maildir, "5.expanded", &expanded);
    let s = set_aside(4, "the expanded report").await;
    assert!(s.unverified[0].reached && s.effective.is_none(), "{s:?}");
    assert!(s.unverified[0].reason.contains("expanded"), "{s:?}");
}

/// Auto-replies (QQ Mail's, one that only quotes the notice, Sieve's vacation with its comment):
/// a machine's, so never a reply of the recipient; each a claim that the notice reached the mailbox,
/// for a clerk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_reply_is_no_reply_but_a_reach_for_a_clerk_to_judge() {
    let (rw, court, notices) = world_with_notices(3).await;
    let (w, maildir) = (&rw.w, &rw.maildir);
    let set_aside = |n: usize, what: &'static str| set_aside(&court, &notices[n], what);
    // QQ Mail's out-of-office answer to the notice: a machine's, so no reply of the recipient;
    // a claim that the notice reached the mailbox, for a clerk.
    let away = format!(
        "From: {}\r\nTo: dsn@hub.test\r\nSubject: =?UTF-8?B?6Ieq5Yqo5Zue5aSNOiDmiJHmraPlnKjkvJHlgYc=?=\r\n\
         X-QQ-AutoReply: 1\r\nIn-Reply-To: <{}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         这是一封自动回复邮件。我正在休假中。\r\n",
        notices[0].address, notices[0].envid
    );
    deliver(maildir, "6.away", &away);
    let s = set_aside(0, "the out-of-office answer").await;
    let u = &s.unverified[0];
    assert!(u.reached && u.reason.contains("X-QQ-AutoReply"), "{u:?}");
    assert!(s.replies.is_empty() && s.effective.is_none(), "{s:?}");
    let mut clerk = w.service("clerk-c0001").await;
    let waiting = clerk.list_dead_letters(pb::ListDeadLettersRequest::default());
    let replies = waiting.await.unwrap().into_inner().replies;
    assert!(replies.is_empty(), "offered as a reply: {replies:?}");

    // An auto-reply with no In-Reply-To that quotes the notice (and not the address), and Sieve's
    // vacation answer with its comment: each a reach claim, never a reply.
    let quoting = format!(
        "From: someone@qq.test\r\nSubject: =?UTF-8?B?6Ieq5Yqo5Zue5aSN?=\r\nX-QQ-AutoReply: 1\r\n\r\n\
         我正在休假。\r\n> Message-ID: <{}>\r\n",
        notices[1].envid
    );
    deliver(maildir, "7.quoting", &quoting);
    let s = set_aside(1, "the quoting auto-reply").await;
    assert!(s.unverified[0].reached, "{s:?}");
    assert!(s.unverified[0].detail.contains(&notices[1].envid), "{s:?}");
    let sieve = away
        .replace(
            "X-QQ-AutoReply: 1",
            "Auto-Submitted: Auto-Replied (vacation)",
        )
        .replace(&notices[0].envid, &notices[2].envid)
        .replace(&notices[0].address, &notices[2].address);
    deliver(maildir, "8.sieve", &sieve);
    let s = set_aside(2, "Sieve's vacation answer").await;
    assert!(s.unverified[0].reason.contains("(vacation)"), "{s:?}");
    let waiting = clerk.list_dead_letters(pb::ListDeadLettersRequest::default());
    let replies = waiting.await.unwrap().into_inner().replies;
    assert!(replies.is_empty(), "offered as a reply: {replies:?}");
}
