//! A clerk's judgments of handsets' replies, through the SMSC simulator and the `clerk` tool: a
//! counted reply from a wrong number is disallowed (service no longer stands, the number's channel
//! closes, and a new proof version says so, verified by OpenSSL); an unmatched reply is attributed
//! to the service it answers, or dismissed; each judgment is made once.

mod common;

use common::service::*;
use ecenter_proto::v1 as pb;
use serde_json::Value;

fn discovered(name: &str, phone: &str) -> pb::ServeRecipient {
    pb::ServeRecipient {
        phone_basis: pb::AddressBasis::Discovered as i32,
        ..sms_recipient(name, phone)
    }
}

/// Runs `clerk` with `args` on the hub as clerk c0001 and returns its exit status and stdout.
fn clerk(w: &World, args: &[&str]) -> (std::process::Output, String) {
    let out = run_clerk(args, Some(w));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

type Service = pb::service_of_process_client::ServiceOfProcessClient<tonic::transport::Channel>;

/// The unmatched replies `clerk dead-letters --json` lists.
fn queued_replies(w: &World) -> Vec<Value> {
    let (out, stdout) = clerk(w, &["dead-letters", "--json"]);
    assert!(out.status.success(), "{stdout}");
    let list: Value = serde_json::from_str(&stdout).unwrap();
    list["replies"].as_array().cloned().unwrap_or_default()
}

/// Waits until `clerk dead-letters` lists a reply from `from`, and returns its SEQ.
async fn queued_seq(w: &World, from: &str) -> String {
    until(30, "the reply to reach the clerks", || async {
        queued_replies(w)
            .iter()
            .find(|r| r["from"] == from)
            .map(|r| r["seq"].to_string())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_numbers_reply_is_disallowed_and_a_new_proof_withdraws_the_first() {
    let scene = sms_scene(&["13800138701"]).await;
    let (smsc, w, court) = (&scene.smsc, &scene.w, &scene.court);
    let order = scene
        .serve("wrong-number", discovered("王五", "13800138701"))
        .await;
    status_when(court, &order, "R1", "the notice to go out", |s| {
        s.attempts.first().is_some_and(|a| a.sent_at.is_some())
    })
    .await;
    // The hub does not read the words: any reply from the number counts.
    smsc.mobile_originated("13800138701", "你们发错号码了，我不是王五");
    status_when(court, &order, "R1", "the reply to count", |s| {
        s.effective.is_some()
    })
    .await;
    assert_eq!(proof_when_issued(court, &order, "R1").await.version, 1);

    let note = "经电话核实该号码非受送达人";
    let args = [
        "reply", "disallow", &order, "R1", "0", "--note", note, "--json",
    ];
    let (out, stdout) = clerk(w, &args);
    assert!(out.status.success(), "{stdout}");
    let answer: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        answer["recipient"]["replies"][0]["disallowed"], true,
        "{answer}"
    );

    let s = status_when(court, &order, "R1", "service to be undone", |s| {
        s.state == pb::RecipientState::Unserved as i32
    })
    .await;
    assert!(s.effective.is_none(), "{s:?}");
    assert!(s.dead_letters[0].reason.contains(note), "{s:?}");
    assert_eq!(
        s.replies[0].text, "你们发错号码了，我不是王五",
        "kept as received"
    );
    withdrawing_proof_is_issued(w, court, &order, note).await;

    // The number is not the recipient's: what it sends next goes to the clerks, not the service.
    smsc.mobile_originated("13800138701", "我说了，发错号码了");
    queued_seq(w, "13800138701").await;
    let s = status(&mut court.clone(), &order, "R1").await;
    assert!(s.effective.is_none() && s.replies.len() == 1, "{s:?}");

    // A finding is made once; an index with no reply is named as such.
    let (out, _) = clerk(
        w,
        &["reply", "disallow", &order, "R1", "0", "--note", "再次"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already disallowed"));
    let (out, _) = clerk(w, &["reply", "disallow", &order, "R1", "5", "--note", "无"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no reply at index 5"));
}

/// Waits for proof version 2: it says service does not stand, marks the reply, and verifies.
async fn withdrawing_proof_is_issued(w: &World, court: &Service, order: &str, note: &str) {
    let proof = proof_version_when(court, (order, "R1"), 2).await;
    let doc: Value = serde_json::from_slice(&proof.document).unwrap();
    assert!(doc["effective"].is_null(), "{doc}");
    assert_eq!(doc["replies"][0]["disallowed"]["note"], note, "{doc}");
    assert!(openssl_verifies(
        w.pki.path(),
        &proof.document,
        &proof.signature
    ));
    // The printable copy of version 2 says so too, in words poppler reads back.
    let r = pb::RecipientRef {
        order_id: order.into(),
        recipient_id: "R1".into(),
    };
    let pdf = court
        .clone()
        .get_proof_pdf(pb::ProofRequest::from(r))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pdf.version, 2);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &pdf.pdf).unwrap();
    let text = common::pdf::pdftotext(file.path());
    assert!(text.contains("不予采纳") && text.contains(note), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmatched_reply_is_attributed_or_dismissed_once() {
    let scene = sms_scene(&["13800138702"]).await;
    let (smsc, w, court) = (&scene.smsc, &scene.w, &scene.court);
    // A message that came before the order cannot answer it.
    smsc.mobile_originated("13700000002", "在送达之前的短信");
    let early = queued_seq(w, "13700000002").await;
    let order = scene
        .serve("attribute", discovered("赵六", "13800138702"))
        .await;
    status_when(court, &order, "R1", "the notice to go out", |s| {
        s.attempts.first().is_some_and(|a| a.sent_at.is_some())
    })
    .await;
    let (out, _) = clerk(
        w,
        &["reply", "attribute", &early, &order, "R1", "--note", "误"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("before any notice"), "{stderr}");
    // 赵六 answers from another phone: no open service for that number.
    smsc.mobile_originated("13700000000", "我是赵六，换了号码，文书已收到");
    let seq = queued_seq(w, "13700000000").await;
    let note = "经电话核实为赵六的回复";
    let (out, stdout) = clerk(
        w,
        &["reply", "attribute", &seq, &order, "R1", "--note", note],
    );
    assert!(out.status.success(), "{stdout}");
    let s = status_when(court, &order, "R1", "the attributed reply to count", |s| {
        s.effective.is_some()
    })
    .await;
    assert_eq!(s.effective.unwrap().rule, "recipient_replied");
    assert_eq!(s.replies[0].text, "我是赵六，换了号码，文书已收到");
    let reply = &s.replies[0];
    assert_eq!(reply.from, "13700000000", "kept as the SMSC gave it");
    assert!(
        reply.attributed && reply.attributed_by.contains("clerk"),
        "{reply:?}"
    );
    assert_eq!(reply.attributed_note, note);
    assert!(queued_replies(w).iter().all(|r| r["from"] != "13700000000"));
    let (out, _) = clerk(
        w,
        &["reply", "attribute", &seq, &order, "R1", "--note", note],
    );
    assert_eq!(out.status.code(), Some(1), "settled once");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no unsettled reply"));

    // Something else entirely: dismissed, gone from the queue, kept in the log.
    smsc.mobile_originated("13700000001", "广告：优惠活动");
    let seq = queued_seq(w, "13700000001").await;
    let (out, stdout) = clerk(w, &["reply", "dismiss", &seq, "--note", "与送达无关的短信"]);
    assert!(out.status.success(), "{stdout}");
    assert!(queued_replies(w).iter().all(|r| r["from"] != "13700000001"));
    let mut log = pb::event_log_service_client::EventLogServiceClient::new(
        common::channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await,
    );
    let kinds: Vec<String> = common::all_entries(&mut log)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for kind in ["reply_unmatched", "reply_attributed", "reply_dismissed"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind}: {kinds:?}");
    }
}
