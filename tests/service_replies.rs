//! Replies that count (art. 31 para. 2 (1)): a handset's message from the number a notice went to
//! completes service at a discovered number when it names exactly one open service, and its text
//! is kept in the proof; a message from a number with several open services, or none, goes to the
//! clerks with its text — through the SMSC simulator, which sends the messages as a handset's
//! (deliver_sm, esm_class 0, UCS-2). A hub upgraded from before the index of services by number
//! builds it from the log and counts the reply too.

mod common;

use common::service::*;
use common::smsc::{Smsc, start_smsc};
use ecenter_proto::v1 as pb;
use serde_json::json;

fn discovered(name: &str, phone: &str) -> pb::ServeRecipient {
    pb::ServeRecipient {
        phone_basis: pb::AddressBasis::Discovered as i32,
        ..sms_recipient(name, phone)
    }
}

/// The service-of-process client of the hub's tests.
type Service = pb::service_of_process_client::ServiceOfProcessClient<tonic::transport::Channel>;

/// Orders service on 王五 and twice on 赵六 by SMS and waits until the SMSC accepted each notice.
async fn serve_three_and_wait_until_sent(court: &Service, document: &str) -> Vec<String> {
    let mut orders = Vec::new();
    for (n, (name, phone)) in [
        ("王五", "13800138201"),
        ("赵六", "13800138202"),
        ("赵六", "13800138202"),
    ]
    .iter()
    .enumerate()
    {
        let ordered = serve_plan(
            court,
            &format!("reply-{n}"),
            document,
            vec![discovered(name, phone)],
            &[pb::ServiceChannel::Sms],
        )
        .await;
        orders.push(ordered.order_id);
    }
    for o in &orders {
        status_when(court, o, "R1", "the SMSC to accept the notice", |s| {
            s.attempts.first().is_some_and(|a| a.sent_at.is_some())
        })
        .await;
    }
    orders
}

/// Checks that a foreign look-alike number and what the SMSC writes itself are no replies.
async fn messages_that_are_not_replies_count_nothing(
    smsc: &Smsc,
    court: &Service,
    clerk: &Service,
    order_id: &str,
) {
    smsc.mobile_originated("+1 380-013-8201", "hello");
    smsc.http_mo(json!({"source": "13800138201", "esm_class": 4,
        "text": "id:00000099 sub:001 dlvrd:000 submit date:2611300900 done date:2611300901 stat:MK:0012 err:012"}));
    smsc.http_mo(json!({"source": "13800138201", "esm_class": 0x20, "text": "in transit"}));
    // A receipt an SMSC sent without the receipt type, from the number served: no reply by
    // itself (it even says UNDELIV), so the clerks judge it.
    smsc.mobile_originated(
        "13800138201",
        "id:00000001 sub:001 dlvrd:000 submit date:2611300900 done date:2611300901 stat:UNDELIV err:001",
    );
    until(
        30,
        "the foreign number and the receipt-like text to reach the clerks",
        || {
            let mut c = clerk.clone();
            async move {
                let l = c
                    .list_dead_letters(pb::ListDeadLettersRequest::default())
                    .await
                    .unwrap()
                    .into_inner();
                let foreign = l.replies.iter().any(|r| r.from.starts_with("+1"));
                let receipt_like = l.replies.iter().any(|r| r.text.contains("stat:UNDELIV"));
                (foreign && receipt_like).then_some(())
            }
        },
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let s = status(&mut court.clone(), order_id, "R1").await;
    assert!(s.replies.is_empty() && s.effective.is_none(), "{s:?}");
}

/// Checks that 王五's reply from the number served makes service effective and is in the proof.
async fn a_reply_from_the_number_served_counts(
    w: &World,
    smsc: &Smsc,
    court: &Service,
    order_id: &str,
) {
    smsc.mobile_originated("+8613800138201", "已收到，谢谢");
    let served = status_when(court, order_id, "R1", "the reply to count", |s| {
        s.effective.is_some()
    })
    .await;
    let effective = served.effective.clone().unwrap();
    assert_eq!(effective.rule, "recipient_replied", "{effective:?}");
    assert_eq!(served.replies.len(), 1, "{served:?}");
    assert_eq!(served.replies[0].text, "已收到，谢谢");
    assert_eq!(served.replies[0].channel, pb::ServiceChannel::Sms as i32);
    let proof = proof_when_issued(court, order_id, "R1").await;
    let doc: serde_json::Value = serde_json::from_slice(&proof.document).unwrap();
    assert_eq!(doc["replies"][0]["text"], "已收到，谢谢", "{doc}");
    assert!(openssl_verifies(
        w.pki.path(),
        &proof.document,
        &proof.signature
    ));
    // A later reply is listed by a new version (outside tests, round 22, F1): what the
    // recipient said after a proof was issued is never left out of the proof handed out.
    smsc.mobile_originated("+8613800138201", "另：我的新地址是襄阳市樊城区");
    let newer = proof_version_when(court, (order_id, "R1"), 2).await;
    let doc: serde_json::Value = serde_json::from_slice(&newer.document).unwrap();
    assert_eq!(
        doc["replies"][1]["text"], "另：我的新地址是襄阳市樊城区",
        "{doc}"
    );
    assert_eq!(
        doc["effective"],
        json_of(&proof)["effective"],
        "the same effect"
    );
    assert!(openssl_verifies(
        w.pki.path(),
        &newer.document,
        &newer.signature
    ));
}

fn json_of(proof: &pb::ProofOfService) -> serde_json::Value {
    serde_json::from_slice(&proof.document).unwrap()
}

/// Checks that a reply naming two open services and one from a stranger go to the clerks' table.
async fn ambiguous_and_unknown_replies_go_to_the_clerks(
    w: &World,
    smsc: &Smsc,
    court: &Service,
    clerk: &Service,
    orders: &[String],
) {
    smsc.mobile_originated("13800138202", "收到了");
    // A number the hub never served.
    smsc.mobile_originated("13700000000", "这是谁？");
    let list = until(30, "both messages to reach the clerks", || {
        let mut c = clerk.clone();
        async move {
            let l = c
                .list_dead_letters(pb::ListDeadLettersRequest::default())
                .await
                .unwrap()
                .into_inner();
            // With the foreign number's and the receipt-like text from before.
            (l.replies.len() >= 4).then_some(l)
        }
    })
    .await;
    let ambiguous = list.replies.iter().find(|r| r.text == "收到了").unwrap();
    assert_eq!(ambiguous.from, "13800138202");
    let mut expected: Vec<String> = orders[1..].iter().map(|o| format!("{o}/R1")).collect();
    expected.sort();
    let mut candidates = ambiguous.candidates.clone();
    candidates.sort();
    assert_eq!(candidates, expected);
    let stranger = list
        .replies
        .iter()
        .find(|r| r.from == "13700000000")
        .unwrap();
    assert!(stranger.candidates.is_empty());
    assert_eq!(stranger.text, "这是谁？");
    for o in &orders[1..] {
        let s = status(&mut court.clone(), o, "R1").await;
        assert!(s.effective.is_none() && s.replies.is_empty(), "{s:?}");
    }
    // The clerk's table shows them, texts included.
    let out = run_clerk(&["dead-letters"], Some(w));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{table}");
    assert!(
        table.contains("收到了") && table.contains("(no open service)"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_from_the_number_served_completes_service_and_an_ambiguous_one_goes_to_the_clerks()
{
    let smsc = start_smsc();
    // The SMSC sends no receipts: only the replies can decide.
    smsc.configure(json!({ "receipts": { "13800138201": "NONE", "13800138202": "NONE" } }));
    let w = sms_hub(smsc.port, 9, |s| s.receipt_timeout_secs = 600).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let clerk = w.service("clerk-c0001").await;
    let orders = serve_three_and_wait_until_sent(&court, &document).await;

    // 王五 answers from the number served (as +86…): service takes effect at the reply.
    // Not replies: a number of another country that reads like 王五's once its prefix is dropped,
    // and what the SMSC writes (a receipt with a CMPP state word, an intermediate notification).
    messages_that_are_not_replies_count_nothing(&smsc, &court, &clerk, &orders[0]).await;
    // The SMSC's notification the hub cannot read is no reply, yet kept in the log for the clerks.
    let log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        common::channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await,
    );
    until(30, "the unreadable notification to be kept", || {
        let mut log = log.clone();
        async move {
            (common::all_entries(&mut log).await.iter()).find(|e| {
                e.kind == "sms_receipt_unmatched"
                    && e.detail_json.contains("in transit")
                    && e.detail_json.contains("UNREADABLE")
            })?;
            Some(())
        }
    })
    .await;

    // 王五 answers from the number served (as +86…): service takes effect at the reply.
    a_reply_from_the_number_served_counts(&w, &smsc, &court, &orders[0]).await;

    // 赵六 has two services open at that number: which one the reply answers is for a clerk.
    ambiguous_and_unknown_replies_go_to_the_clerks(&w, &smsc, &court, &clerk, &orders).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_typed_on_the_page_completes_service_with_its_text_and_channel() {
    let scene = sms_scene(&["13800138301"]).await;
    let (smsc, w, court) = (&scene.smsc, &scene.w, &scene.court);
    let order_id = scene
        .serve("page-reply", discovered("孙七", "13800138301"))
        .await;
    let sent = smsc.wait_messages(1, 30);
    let link = link_in(sent[0]["text"].as_str().unwrap());
    let (code, page) = w.curl(&[&link]);
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("/reply"), "the page offers a reply: {page}");
    let form = form_in(&page);
    let post = |form: &str, text: &str| {
        w.curl(&[
            "--data-urlencode",
            &format!("form={form}"),
            "--data-urlencode",
            &format!("text={text}"),
            &format!("{link}/reply"),
        ])
    };
    // Empty, or with a form the page never handed out: refused, nothing recorded.
    assert_eq!(post(&form, "   ").0, 400);
    assert_eq!(post("forged-form", "已收到").0, 409);
    let s = status(&mut court.clone(), &order_id, "R1").await;
    assert!(s.replies.is_empty() && s.effective.is_none(), "{s:?}");
    // The recipient's reply, line break and all.
    let (code, answer) = post(&form, "已收到判决书。\n下周提交答辩状。");
    assert_eq!(code, 200, "{answer}");
    let s = status_when(court, &order_id, "R1", "the typed reply", |s| {
        s.effective.is_some()
    })
    .await;
    assert_eq!(s.effective.unwrap().rule, "recipient_replied");
    assert_eq!(s.replies[0].text, "已收到判决书。\n下周提交答辩状。");
    // It came through the link of the SMS notice.
    assert_eq!(s.replies[0].channel, pb::ServiceChannel::Sms as i32);
    assert!(
        s.replies[0].from.contains("127.0.0.1"),
        "{:?}",
        s.replies[0]
    );
    // The form was used up by the reply: posting it again records nothing.
    assert_eq!(post(&form, "再次回复").0, 409);
    // The same page's confirmation of reading stays open (round 19, F2): a recipient who
    // answered first is not told the form was used, and the confirmation is recorded.
    let (code, answer) = w.curl(&["-d", &format!("form={form}"), &format!("{link}/confirm")]);
    assert_eq!(code, 200, "{answer}");
    assert!(answer.contains("已确认阅读"), "{answer}");
    status_when(
        court,
        &order_id,
        "R1",
        "the confirmation after the reply",
        |s| s.facts.iter().any(|f| f.kind == "confirmed_reading"),
    )
    .await;
    // Confirmed, the form is closed for both.
    assert_eq!(post(&form, "第三次回复").0, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_upgraded_from_before_the_index_by_number_still_counts_a_reply() {
    let smsc = start_smsc();
    smsc.configure(json!({ "receipts": { "13800138401": "NONE" } }));
    let w = sms_hub(smsc.port, 9, |s| s.receipt_timeout_secs = 600).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let recipient = vec![discovered("周八", "13800138401")];
    let ordered = serve_plan(
        &court,
        "upgrade-1",
        &document,
        recipient,
        &[pb::ServiceChannel::Sms],
    )
    .await;
    let order_id = ordered.order_id;
    first_sent(&court, &order_id, "the SMSC to accept the notice").await;
    // The outbox's queues as a hub from before the index by number wrote them: without its
    // entries, and the service read model's layout at version 1.
    let binds = smsc.stats()["binds"].as_u64().unwrap();
    let w = w
        .restart_after(|data| {
            use ecenter_store::tamper::{delete_read_model_records, pretend_read_model_version};
            assert_eq!(
                delete_read_model_records(data, "service_queues", b"N").unwrap(),
                1
            );
            pretend_read_model_version(data, "service_queues", 1).unwrap();
        })
        .await;
    let court = w.service("court-xiangyang-cms").await;
    until(30, "the restarted hub to bind", || {
        let stats = smsc.stats();
        let bound = stats["binds"].as_u64() > Some(binds) && stats["sessions"] == 1;
        std::future::ready(bound.then_some(()))
    })
    .await;
    smsc.mobile_originated("13800138401", "收到");
    let s = status_when(&court, &order_id, "R1", "the reply to count", |s| {
        s.effective.is_some()
    })
    .await;
    assert_eq!(s.effective.unwrap().rule, "recipient_replied");
    assert_eq!(s.replies[0].text, "收到");
}
