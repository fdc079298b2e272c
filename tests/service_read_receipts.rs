//! Read receipts (RFC 8098 message disposition notifications) as mail programs send them back to
//! the court's bounce address (round 19b, F3): one saying the notice was displayed, from the
//! mailbox it went to, is set aside for the clerks as a claim of reading — nothing can
//! authenticate it — and a clerk's acceptance makes service effective under art. 31 para. 2 (2),
//! presumed (docs/SERVICE.md, row 7). A receipt that claims no reading, comes from another mailbox
//! or names no notice is only traced; while one claim waits, another is not recorded.

mod common;

use common::reports::{deliver, read_by_the_hub, report_world};
use common::service::*;
use ecenter_proto::v1 as pb;
use std::path::Path;

/// A read receipt as Thunderbird writes one for `notice`, from `mailbox`, dated `date`.
fn read_receipt(notice: &str, mailbox: &str, disposition: &str, date: &str) -> String {
    format!(
        "Date: {date}\r\nFrom: {mailbox}\r\nTo: dsn@hub.test\r\n\
         Subject: =?UTF-8?B?5bey6K+7?=\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=disposition-notification; boundary=\"R\"\r\n\r\n\
         --R\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n这是一封回执，表示您发送的邮件已被显示。\r\n\
         --R\r\nContent-Type: message/disposition-notification\r\n\r\n\
         Reporting-UA: parties.test; Mozilla Thunderbird\r\n\
         Final-Recipient: rfc822;{mailbox}\r\nOriginal-Message-ID: <{notice}>\r\n\
         Disposition: {disposition}\r\n\r\n\
         --R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{notice}>\r\n\r\n--R--\r\n"
    )
}

/// Deleted unread, from another mailbox, about a notice never sent: each only traced.
async fn receipts_claiming_nothing_are_not_recorded(
    maildir: &Path,
    notice: &str,
    (order_id, address): (&str, &str),
) {
    let now = chrono::Utc::now().to_rfc2822();
    let displayed = "manual-action/MDN-sent-manually; displayed";
    let deleted = "manual-action/MDN-sent-manually; deleted";
    let guessed = format!("{order_id}.R1.email.0000000000@hub.test");
    for (name, text) in [
        ("1.deleted", read_receipt(notice, address, deleted, &now)),
        (
            "2.stranger",
            read_receipt(notice, "other@evil.test", displayed, &now),
        ),
        (
            "3.guessed",
            read_receipt(&guessed, address, displayed, &now),
        ),
    ] {
        deliver(maildir, name, &text);
        read_by_the_hub(maildir, name).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_receipt_waits_for_a_clerk_whose_acceptance_makes_service_effective_presumed() {
    let rw = report_world(&["mta.hub.test"]).await;
    let (w, maildir) = (&rw.w, &rw.maildir);
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let address = "wangwu@parties.test";
    let basis = pb::AddressBasis::Discovered;
    let ordered = serve_one(&court, "mdn-1", &document, "王五", address, basis).await;
    let order_id = ordered.order_id;
    let sent = first_sent(&court, &order_id, "the relay to take it").await;
    let notice = sent.attempts[0].message_id.clone();
    let displayed = "manual-action/MDN-sent-manually; displayed";
    let now = chrono::Utc::now().to_rfc2822();
    receipts_claiming_nothing_are_not_recorded(maildir, &notice, (&order_id, address)).await;
    let s = status(&mut court.clone(), &order_id, "R1").await;
    assert!(s.unverified.is_empty() && s.effective.is_none(), "{s:?}");
    // The recipient's read receipt: a claim of reading, for a clerk; service not yet effective.
    deliver(
        maildir,
        "4.read",
        &read_receipt(&notice, address, displayed, &now),
    );
    let s = status_when(&court, &order_id, "R1", "the read receipt set aside", |s| {
        !s.unverified.is_empty()
    })
    .await;
    let u = &s.unverified[0];
    assert!(u.read && !u.judged, "{u:?}");
    assert!(
        u.reason.contains("RFC 8098") && u.detail.contains("displayed"),
        "{u:?}"
    );
    assert!(s.effective.is_none(), "{s:?}");
    // Another while it waits adds nothing.
    let later = chrono::Utc::now().to_rfc2822();
    deliver(
        maildir,
        "5.again",
        &read_receipt(&notice, address, displayed, &later),
    );
    read_by_the_hub(maildir, "5.again").await;
    let s = status(&mut court.clone(), &order_id, "R1").await;
    assert_eq!(s.unverified.len(), 1, "{:?}", s.unverified);
    // The clerk's table and JSON call it a claim of reading.
    let listed = run_clerk(&["dead-letters", "--json"], Some(w));
    assert!(String::from_utf8_lossy(&listed.stdout).contains("read (read receipt)"));
    // Accepted: effective under art. 31 para. 2 (2), presumed, and the proof says so.
    let mut clerk = w.service("clerk-c0001").await;
    clerk
        .judge_report(pb::JudgeReportRequest {
            order_id: order_id.clone(),
            recipient_id: "R1".into(),
            index: 0,
            accept: true,
            note: "已向受送达人电话核实，其确已阅读".into(),
        })
        .await
        .unwrap();
    let s = status_when(&court, &order_id, "R1", "the accepted read receipt", |s| {
        s.effective.is_some()
    })
    .await;
    let effective = s.effective.unwrap();
    assert_eq!(effective.rule, "read_reported_presumed");
    assert!(effective.presumed);
    let proof = proof_when_issued(&court, &order_id, "R1").await;
    let doc: serde_json::Value = serde_json::from_slice(&proof.document).unwrap();
    let reviewed = &doc["reviewed_reports"][0];
    assert_eq!(
        reviewed["claims"], "受送达人系统反馈已阅读（已读回执）",
        "{doc}"
    );
    assert_eq!(reviewed["judgment"]["accepted"], true, "{doc}");
}
