//! Delivery reports are evidence only once checked: a report the court's relay did not generate
//! itself, or a bounce that arrives after a report already said the notice reached the recipient —
//! what anyone who saw the notice's Message-ID can send to the court's bounce address — is set
//! aside for the clerks and undoes nothing; a report whose time lies outside what the hub witnessed
//! does not date the service; a clerk's judgment decides, and a proof already issued is withdrawn
//! by a new version rather than silently contradicted (through the real Postfix).

mod common;
use common::Succeeds;

use common::reports::{deliver, dsn, dsn_of, relay_made, report_world};
use common::service::*;
use ecenter_proto::v1 as pb;
use std::path::Path;

#[path = "service_reports/evidence.rs"]
mod evidence;
use evidence::*;

/// The service-of-process client of the hub's tests.
type Service = pb::service_of_process_client::ServiceOfProcessClient<tonic::transport::Channel>;

/// The notice reported on: its order, the address it went to, and its envelope id.
struct Notice<'a> {
    order_id: &'a str,
    address: &'a str,
    envid: &'a str,
}

/// Delivers a relay-made report dated 2020; checks it dates service no earlier than the sending.
async fn a_report_from_2020_does_not_date_service(
    court: &Service,
    maildir: &Path,
    notice: &Notice<'_>,
    sent: &pb::RecipientStatus,
) -> pb::RecipientStatus {
    let (order_id, address, envid) = (notice.order_id, notice.address, notice.envid);
    deliver(
        maildir,
        "1.delivered",
        &relay_made(&dsn_of(
            envid,
            address,
            ("delivered", "2.0.0"),
            "Wed, 01 Jan 2020 00:00:00 +0000",
            sent.attempts[0].gateway_id.rsplit(' ').next().unwrap(),
        )),
    );
    let effective = status_when(court, order_id, "R1", "the delivered report", |s| {
        s.effective.is_some()
    })
    .await;
    let at = effective.effective.clone().unwrap().at.unwrap();
    let handed = sent.attempts[0].sent_at.unwrap();
    assert!(
        at.seconds >= handed.seconds,
        "service dated before the notice was handed over: {at:?}"
    );
    effective
}

/// Checks that a forged bounce after delivery is set aside, undoes nothing and suppresses nothing.
async fn a_forged_bounce_is_set_aside(
    court: &mut Service,
    document: &str,
    maildir: &Path,
    notice: &Notice<'_>,
    effective: &pb::RecipientStatus,
) {
    let (order_id, address, envid) = (notice.order_id, notice.address, notice.envid);
    deliver(
        maildir,
        "2.bounced",
        &dsn(
            envid,
            address,
            "failed (bad destination mailbox)",
            "5.1.1",
            "Mon, 30 Nov 2026 10:00:00 +0000",
        ),
    );
    let after = status_when(court, order_id, "R1", "the bounce to be set aside", |s| {
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
        court,
        "reports-2",
        document,
        "张三",
        address,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = first_sent(court, &again.order_id, "the second notice to go out").await;
    assert!(s.dead_letters.is_empty());
    let _ = status(court, order_id, "R1").await;
}

/// Checks that the recipient's e-mail answer reaches the clerks with its text and its service.
async fn an_email_reply_goes_to_the_clerks(w: &World, maildir: &Path, notice: &Notice<'_>) {
    let (order_id, address, envid) = (notice.order_id, notice.address, notice.envid);
    deliver(
        maildir,
        "3.reply",
        &format!(
            "From: =?UTF-8?B?5byg5LiJ?= <{address}>\r\nTo: dsn@hub.test\r\nSubject: Re: notice\r\n\
             In-Reply-To: <{envid}>\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n已收到判决书。\r\n"
        ),
    );
    let clerk = w.service("clerk-c0001").await;
    let reply = until(30, "the e-mail reply to reach the clerks", || {
        let mut c = clerk.clone();
        async move {
            c.list_dead_letters(pb::ListDeadLettersRequest::default())
                .await
                .unwrap()
                .into_inner()
                .replies
                .into_iter()
                .find(|r| r.channel == pb::ServiceChannel::Email as i32)
        }
    })
    .await;
    assert_eq!(reply.from, address);
    assert!(reply.text.starts_with("已收到判决书。"), "{reply:?}");
    assert_eq!(reply.candidates, vec![format!("{order_id}/R1")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_after_delivery_is_set_aside_and_a_report_from_2020_does_not_date_service() {
    let rw = report_world(&["mta.hub.test"]).await;
    let (w, maildir) = (&rw.w, &rw.maildir);
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
    let sent = first_sent(&court, &order_id, "the relay to accept the notice").await;
    let envid = sent.attempts[0].message_id.clone();
    let notice = Notice {
        order_id: &order_id,
        address,
        envid: &envid,
    };

    // "Delivered", dated 2020: the service takes effect, but not in 2020.
    let effective = a_report_from_2020_does_not_date_service(&court, maildir, &notice, &sent).await;

    // A forged bounce (5.1.1) naming the same envelope id: set aside, nothing undone.
    a_forged_bounce_is_set_aside(&mut court, &document, maildir, &notice, &effective).await;

    // The recipient answers the notice by e-mail: kept for the clerks with its text and the
    // service it names (a From: proves nothing by itself), the service unchanged.
    an_email_reply_goes_to_the_clerks(w, maildir, &notice).await;
}

const POSTFIX_SPOOL: &str = "/var/spool/ecenter-mail";

/// Mails `report` to the court's bounce address through Postfix on port 25, as anyone on the
/// network can (Python's smtplib: another SMTP client than the hub's).
fn mail_to_bounce_address(report: &str) {
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import smtplib,sys; smtplib.SMTP('127.0.0.1',25).sendmail('', ['dsn-review@hub.test'], sys.stdin.buffer.read())",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(report.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "Postfix refused the report"
    );
}

/// Asks the court's relay itself for a report about `address` under `envid` (RFC 3461 parameters
/// any sender may give), by sending a message of its own to `rcpt`: the relay then writes a
/// genuine-looking report — but about the forger's message, not the notice.
fn ask_relay_for_report(envid: &str, address: &str, rcpt: &str, notify: &str) {
    let script = format!(
        "import smtplib; s=smtplib.SMTP('127.0.0.1',25); s.ehlo(); \
         s.mail('dsn-review@hub.test', ['RET=HDRS', 'ENVID={envid}']); \
         s.rcpt('{rcpt}', ['NOTIFY={notify}', 'ORCPT=rfc822;{address}']); \
         s.data(b'Subject: forged\\r\\nMessage-ID: <{envid}>\\r\\n\\r\\nx\\r\\n'); s.quit()"
    );
    std::process::Command::new("python3")
        .args(["-c", &script])
        .succeeds();
}

/// Starts a hub that sends through Postfix and reads reports from the review maildir.
async fn review_world() -> World {
    world_with(25, 20, |c, _| {
        let smtp = c.smtp.as_mut().unwrap();
        smtp.from = format!("{COURT_NAME} <songda@hub.test>");
        smtp.envelope_from = Some("dsn-review@hub.test".into());
        smtp.dsn_maildir = Some(Path::new(POSTFIX_SPOOL).join("review"));
        smtp.dsn_maildir_owner = Some(ecenter_server::maildir::MaildirOwner {
            uid: 5000,
            gid: 5000,
            mode: 0o700,
        });
        smtp.report_relays = vec!["mta.hub.test".into()];
    })
    .await
}

/// The rule of proof `p`'s effective service.
fn v1_rule(p: &pb::ProofOfService) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_slice(&p.document).unwrap();
    doc["effective"]["rule"].clone()
}

/// Waits until R1's latest proof document satisfies `probe`, and returns it.
async fn latest_proof_when(
    court: &Service,
    order_id: &str,
    what: &str,
    probe: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    until(30, what, || {
        let mut c = court.clone();
        let r = pb::RecipientRef {
            order_id: order_id.to_string(),
            recipient_id: "R1".into(),
        };
        let probe = &probe;
        async move {
            let p = c
                .get_proof(pb::ProofRequest::from(r))
                .await
                .ok()?
                .into_inner();
            let doc: serde_json::Value = serde_json::from_slice(&p.document).unwrap();
            probe(&doc).then_some(doc)
        }
    })
    .await
}

/// Mails two forged bounces about the served notice and checks they are set aside and listed.
async fn forged_bounces_are_set_aside_and_listed(
    w: &World,
    clerk: &Service,
    order_id: &str,
    address: &str,
    served: &pb::RecipientStatus,
) {
    // Two forged bounces: the first waits for a clerk, the second makes the same claim while it
    // waits and is passed over (round 19b, F7: forgeries cannot pad the queue or the proof).
    for n in 0..2 {
        forged_bounce(served, address, n);
    }
    let held = status_when(clerk, order_id, "R1", "a bounce to be set aside", |s| {
        s.unverified.len() == 1
    })
    .await;
    assert_eq!(held.state, pb::RecipientState::Effective as i32);
    assert_eq!(held.effective, served.effective);
    assert!(
        held.unverified[0].reason.contains("not authenticated")
            && held.unverified[0].reason.contains("did not generate it"),
        "{:?}",
        held.unverified[0]
    );
    assert!(!held.unverified[0].reached && !held.unverified[0].judged);
    // The clerks see them.
    let listed = run_clerk(&["dead-letters"], Some(w));
    let table = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{table}");
    assert!(
        table.contains("Reports set aside") && table.contains(order_id),
        "{table}"
    );
    // The order's table says the effective service has reports waiting for a clerk.
    let shown = run_clerk(&["service", order_id], Some(w));
    let table = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.status.success()
            && table
                .contains("effective 已生效 · 1 report(s) awaiting a clerk 1 份报告待书记员审核"),
        "{table}"
    );
}

/// Mails a forged "5.1.1" bounce of `served`'s notice to the bounce address, dated 10:0`n`.
fn forged_bounce(served: &pb::RecipientStatus, address: &str, n: u32) {
    let envid = served.attempts[0].message_id.clone();
    mail_to_bounce_address(&dsn(
        &envid,
        address,
        "failed",
        "5.1.1",
        &format!("Mon, 30 Nov 2026 10:0{n}:00 +0000"),
    ));
}

/// Checks that bad judgments are refused and a rejection is recorded and final.
async fn bad_judgments_are_refused_and_a_rejection_is_final(clerk: &mut Service, order_id: &str) {
    let judge = |index: u32, accept: bool, note: &str| pb::JudgeReportRequest {
        order_id: order_id.to_string(),
        recipient_id: "R1".into(),
        index,
        accept,
        note: note.into(),
    };
    let e = clerk.judge_report(judge(0, true, " ")).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e:?}");
    assert!(e.message().starts_with("note:"), "{}", e.message());
    let e = clerk
        .judge_report(judge(7, true, "核实"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e:?}");

    // Rejected: nothing changes, the judgment is on record.
    let after = clerk
        .judge_report(judge(0, false, "服务商确认该邮箱正常收信"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.state, pb::RecipientState::Effective as i32);
    assert!(after.unverified[0].judged && !after.unverified[0].accepted);
    assert_eq!(after.unverified[0].judged_by, "urn:ecenter:clerk:c0001");
    let e = clerk
        .judge_report(judge(0, true, "改判"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::FailedPrecondition, "{e:?}");
}

/// Accepts the second bounce through the CLI; checks a new proof version withdraws the earlier
/// ones and R1 bounced.
async fn accepting_a_bounce_withdraws_the_proof(
    w: &World,
    court: &Service,
    clerk: &mut Service,
    order_id: &str,
) {
    let out = run_clerk(
        &[
            "report",
            "accept",
            order_id,
            "R1",
            "1",
            "--note",
            "已向邮件服务商核实：邮箱已注销",
        ],
        Some(w),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v2 = until(30, "the withdrawing proof", || {
        let mut c = court.clone();
        let r = pb::RecipientRef {
            order_id: order_id.to_string(),
            recipient_id: "R1".into(),
        };
        async move {
            c.get_proof(pb::ProofRequest::from(r))
                .await
                .ok()
                .map(tonic::Response::into_inner)
                .filter(|p| {
                    let doc: serde_json::Value = serde_json::from_slice(&p.document).unwrap();
                    doc["effective"].is_null()
                })
        }
    })
    .await;
    let doc: serde_json::Value = serde_json::from_slice(&v2.document).unwrap();
    // It withdraws every earlier version, each of which said service was effective.
    let withdrawn: Vec<u32> = (1..v2.version).collect();
    assert_eq!(doc["withdraws"]["versions"], serde_json::json!(withdrawn));
    let reviewed = doc["reviewed_reports"].as_array().unwrap();
    assert_eq!(reviewed.len(), 2);
    assert_eq!(reviewed[0]["judgment"]["accepted"], false);
    assert_eq!(reviewed[1]["judgment"]["accepted"], true);
    assert!(
        openssl_verifies(w.pki.path(), &v2.document, &v2.signature),
        "OpenSSL rejects the withdrawing proof's signature"
    );
    let now = status(clerk, order_id, "R1").await;
    assert_ne!(now.state, pb::RecipientState::Effective as i32);
    assert!(
        now.facts.iter().any(|f| f.kind == "bounced"),
        "{:?}",
        now.facts
    );
}

/// Checks that the relay's own bounce counts and a delivery report it writes for a forger does not.
async fn a_real_bounce_counts_and_a_report_asked_for_by_a_forger_does_not(
    court: &Service,
    clerk: &Service,
    document: &str,
    tag: u128,
) {
    let gone = format!("gone{tag}@bounce.test");
    let bounced = serve_one(
        court,
        &format!("review-gone-{tag}"),
        document,
        "赵六",
        &gone,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let dead = status_when(clerk, &bounced.order_id, "R1", "the real bounce", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    assert!(
        dead.unverified.is_empty(),
        "the relay's own bounce counts: {dead:?}"
    );
    let notice = dead.attempts[0].message_id.clone();
    ask_relay_for_report(&notice, &gone, "dsn-review@hub.test", "SUCCESS");
    let held = status_when(clerk, &bounced.order_id, "R1", "the forged report", |s| {
        !s.unverified.is_empty()
    })
    .await;
    assert!(
        held.effective.is_none(),
        "a forged delivery made service effective: {held:?}"
    );
    assert!(held.unverified[0].reached);
    assert!(
        held.unverified[0].reason.contains("accepted the notice as"),
        "{:?}",
        held.unverified[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_postfix_a_forged_bounce_waits_for_a_clerk_whose_acceptance_withdraws_the_proof() {
    postfix_is_up();
    let w = review_world().await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let mut clerk = w.service("clerk-c0001").await;
    let tag = unique_tag();
    let address = format!("wangwu{tag}@parties.test");
    let ordered = serve_one(
        &court,
        &format!("review-{tag}"),
        &document,
        "王五",
        &address,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let order_id = ordered.order_id.clone();
    // Postfix delivers the notice and reports "delivered" itself: evidence without a clerk.
    let v1 = proof_when_issued(&court, &order_id, "R1").await;
    assert_eq!(v1.version, 1);
    let served = status(&mut clerk.clone(), &order_id, "R1").await;
    assert!(served.unverified.is_empty(), "{:?}", served.unverified);

    // Two forged "5.1.1" bounces naming the notice and claiming Postfix wrote them; they reach the
    // maildir as mail Postfix received over SMTP.
    forged_bounces_are_set_aside_and_listed(&w, &clerk, &order_id, &address, &served).await;
    // While they wait for a clerk, the proof handed out says so: a new version, still effective,
    // lists both as not yet judged (no proof hides a report the hub holds).
    let shown = latest_proof_when(&court, &order_id, "the proof listing the bounce", |doc| {
        doc["reviewed_reports"]
            .as_array()
            .is_some_and(|r| r.len() == 1)
    })
    .await;
    assert!(shown["version"].as_u64().unwrap() > 1, "{shown}");
    assert_eq!(shown["effective"]["rule"], v1_rule(&v1), "{shown}");
    for r in shown["reviewed_reports"].as_array().unwrap() {
        assert!(r["judgment"].is_null(), "{shown}");
    }

    // Bad judgments are refused with the field named.
    bad_judgments_are_refused_and_a_rejection_is_final(&mut clerk, &order_id).await;
    // Judged, the claim waits no more: the next forged bounce is set aside in its turn.
    forged_bounce(&served, &address, 2);
    status_when(
        &clerk,
        &order_id,
        "R1",
        "the next bounce to be set aside",
        |s| s.unverified.len() == 2,
    )
    .await;

    // Accepted (through the CLI): the bounce undoes the reach, and a new version withdraws v1 on.
    accepting_a_bounce_withdraws_the_proof(&w, &court, &mut clerk, &order_id).await;
    every_version_and_every_report_is_kept_and_exported(&w, &court, &order_id, &v1).await;

    // A notice that really bounced, and a "delivered" report the relay writes for a forger who
    // asks for one (ENVID and ORCPT of the notice, NOTIFY=SUCCESS, to a mailbox it delivers to).
    a_real_bounce_counts_and_a_report_asked_for_by_a_forger_does_not(
        &court, &clerk, &document, tag,
    )
    .await;
}

/// A bounce as qmail writes it (free text, no message/delivery-status part) about `address`,
/// quoting the original's headers with `message_id`.
fn free_text_bounce(address: &str, message_id: &str) -> String {
    format!(
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.parties.test\r\nTo: dsn@hub.test\r\n\
         Subject: failure notice\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\n\
         Hi. This is the qmail-send program at mx.parties.test.\r\n\
         I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\
         This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n\
         <{address}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n\
         --- Below this line is a copy of the message.\r\n\r\n\
         Return-Path: <songda@court.example>\r\nMessage-ID: <{message_id}>\r\nSubject: notice\r\n"
    )
}

/// Checks that every message was read and moved aside, and one free-text bounce is in the log.
async fn only_the_sent_notices_bounce_is_logged(w: &World, maildir: &Path) {
    until(30, "every message to be read and moved aside", || async {
        (std::fs::read_dir(maildir.join("cur")).unwrap().count() == 6).then_some(())
    })
    .await;
    let mut log = pb::event_log_service_client::EventLogServiceClient::new(
        common::channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await,
    );
    let entries = common::all_entries(&mut log).await;
    let set_aside = entries
        .iter()
        .filter(|e| e.detail_json.contains("not an RFC 3464"));
    assert_eq!(
        set_aside.count(),
        1,
        "only a machine's bounce about the notice this hub sent and its address, once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_text_bounce_quoting_a_notice_waits_for_a_clerk_and_one_naming_none_is_not_logged() {
    let rw = report_world(&[]).await;
    let (w, maildir) = (&rw.w, &rw.maildir);
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let address = "wangwu@parties.test";
    let ordered = serve_one(
        &court,
        "free-1",
        &document,
        "王五",
        address,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let sent = first_sent(&court, &ordered.order_id, "the notice to go out").await;
    // Spam to the bounce address, and a bounce of a notice this hub never sent: traced only.
    deliver(
        maildir,
        "1.spam",
        "From: ads@spam.test\r\nSubject: 优惠\r\n\r\n点击领取\r\n",
    );
    let notice = &sent.attempts[0].message_id;
    deliver(
        maildir,
        "2.other",
        &free_text_bounce(address, &format!("{notice}x")),
    );
    // A bounce about another address under this notice's id, and the recipient's own forward of
    // the notice (no machine wrote it): traced only.
    deliver(
        maildir,
        "3.other",
        &free_text_bounce("zhaoliu@parties.test", notice),
    );
    let forward = free_text_bounce(address, notice)
        .replace("Return-Path: <>", &format!("Return-Path: <{address}>"))
        .replace("MAILER-DAEMON@mx.parties.test", address);
    deliver(maildir, "4.forward", &forward);
    // The bounce, delivered twice: one claim. It quotes the notice's text with its live link.
    let quoting = format!(
        "{}\r\n请点击链接查看：{LIVE_LINK}\r\n\r\n{}",
        free_text_bounce(address, notice),
        notice_in_base64()
    );
    deliver(maildir, "5.bounce", &quoting);
    deliver(maildir, "6.again", &quoting);
    let s = status_when(
        &court,
        &ordered.order_id,
        "R1",
        "the bounce set aside",
        |s| !s.unverified.is_empty(),
    )
    .await;
    let kept = &s.unverified[0];
    assert!(
        kept.reason.contains("not an RFC 3464 delivery report"),
        "{kept:?}"
    );
    assert!(
        kept.detail.contains("no mailbox here by that name"),
        "{kept:?}"
    );
    // The notice it quotes first, then what it says.
    assert!(kept.detail.starts_with("quotes <O"), "{kept:?}");
    assert!(
        kept.detail
            .contains(">; From: MAILER-DAEMON@mx.parties.test"),
        "{kept:?}"
    );
    assert!(s.dead_letters.is_empty() && !s.facts.iter().any(|f| f.kind == "bounced"));
    the_copy_kept_holds_the_bounces_words_without_the_live_link(&court, &s, &quoting).await;
    only_the_sent_notices_bounce_is_logged(w, maildir).await;
    // A clerk who accepts it makes it the bounce it is: the e-mail channel fails.
    let mut clerk = w.service("clerk-c0001").await;
    let judged = pb::JudgeReportRequest {
        order_id: ordered.order_id.clone(),
        recipient_id: "R1".into(),
        index: 0,
        accept: true,
        note: "收件服务器退信，经核实该邮箱不存在".into(),
    };
    let after = clerk.judge_report(judged).await.unwrap().into_inner();
    assert!(after.facts.iter().any(|f| f.kind == "bounced"), "{after:?}");
}
