//! Electronic service by SMS end to end: the hub over mTLS, its outbox binding to the SMSC simulator
//! of tests/smsc (the npm `smpp` package's server) and to aiosmtpd for the e-mail fallback; court
//! systems order service and read the trace over gRPC.

mod common;

use common::service::*;
use common::smsc::{Smsc, start_smsc};
use common::smtp::{received, start_aiosmtpd};
use ecenter_api::service::SmsSettings;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient;
use serde_json::{Value, json};
use std::path::Path;
use tonic::transport::Channel;

/// A hub whose SMS channel goes to `smsc` (receipts awaited `receipt_timeout_secs`) and whose
/// e-mail goes to `smtp_port`.
async fn sms_world(smsc: &Smsc, smtp_port: u16, receipt_timeout_secs: u64) -> World {
    let port = smsc.port;
    world_with(smtp_port, 10, move |c, keys: &Path| {
        c.sms = Some(SmsSettings {
            receipt_timeout_secs,
            ..sms_settings(port, keys)
        });
    })
    .await
}

fn sms_messages(smsc: &Smsc) -> Vec<Value> {
    smsc.messages()
}

fn proof_json(proof: &pb::ProofOfService) -> Value {
    serde_json::from_slice(&proof.document).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_delivered_to_a_confirmed_number_is_effective_at_its_receipt_and_no_e_mail_goes() {
    let smsc = start_smsc();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = sms_world(&smsc, smtp.addr.port(), 600).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    use pb::ServiceChannel::{Email, Sms};

    let ordered = serve_plan(
        &court,
        "sms-1",
        &document,
        vec![phone_recipient(
            "张三",
            "13800138000",
            pb::AddressBasis::Confirmed,
            "zhangsan@example.cn",
        )],
        &[Sms, Email],
    )
    .await;
    let order_id = ordered.order_id;
    let s = status_when(&court, &order_id, "R1", "effective service", |s| {
        s.effective.is_some()
    })
    .await;

    // The simulator decoded the Chinese notice with its link, exactly once.
    let messages = sms_messages(&smsc);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let text = messages[0]["text"].as_str().unwrap();
    assert!(
        text.contains("张三") && text.contains("（2026）鄂06民初123号"),
        "{text}"
    );
    assert_eq!(messages[0]["data_coding"], 8);
    assert!(messages[0]["parts"].as_u64().unwrap() >= 2, "{messages:?}");
    let sms = &s.attempts[0];
    assert_eq!(sms.channel, Sms as i32);
    assert_eq!(
        sms.body,
        ecenter_delivery::link::redact_tokens(text),
        "the trace holds the text the SMSC received, its link named by a hash"
    );
    let ids: Vec<&str> = messages[0]["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(sms.gateway_id, ids.join(" "));

    // Effective when the last part's receipt came, under art. 31 para. 1; e-mail never sent.
    let effective = s.effective.as_ref().unwrap();
    assert_eq!(effective.rule, "reached_confirmed_address");
    assert_eq!(effective.channel, Sms as i32);
    assert_eq!(sms.receipts.len(), ids.len());
    assert!(sms.receipts.iter().all(|r| r.state == "delivered"));
    let last_receipt = sms
        .receipts
        .iter()
        .filter_map(|r| r.at)
        .max_by_key(|t| (t.seconds, t.nanos));
    assert_eq!(effective.at, last_receipt);
    assert_eq!(s.attempts.len(), 1, "no e-mail attempt");
    let proof = proof_when_issued(&court, &order_id, "R1").await;
    let doc = proof_json(&proof);
    assert_eq!(doc["channels"][0]["channel"], "短信");
    assert_eq!(
        doc["channels"][0]["receipts"].as_array().unwrap().len(),
        ids.len()
    );
    assert!(openssl_verifies(
        w.pki.path(),
        &proof.document,
        &proof.signature
    ));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(received(maildir.path()).is_empty(), "no e-mail was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undelivered_sms_falls_back_to_e_mail_and_the_recipients_confirmation_makes_it_effective()
 {
    let smsc = start_smsc();
    smsc.configure(json!({"receipts": {"13900139000": "UNDELIV"}}));
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = sms_world(&smsc, smtp.addr.port(), 600).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    use pb::ServiceChannel::{Email, Sms};

    let ordered = serve_plan(
        &court,
        "sms-2",
        &document,
        vec![phone_recipient(
            "李四",
            "13900139000",
            pb::AddressBasis::Confirmed,
            "lisi@example.cn",
        )],
        &[Sms, Email],
    )
    .await;
    let order_id = ordered.order_id;
    let mail = until(60, "the fallback e-mail", || async {
        received(maildir.path()).into_iter().next()
    })
    .await;
    let s = status(&mut court.clone(), &order_id, "R1").await;
    assert!(s.effective.is_none());
    let sms = &s.attempts[0];
    assert!(sms.closed);
    assert_eq!(sms.receipts[0].state, "undeliverable");
    assert!(sms.last_error.contains("UNDELIV"), "{}", sms.last_error);
    assert!(
        s.facts
            .iter()
            .any(|f| f.kind == "bounced" && f.channel == Sms as i32)
    );

    // The recipient opens the e-mailed link and confirms reading.
    let link = link_in(mail["body"].as_str().unwrap());
    let (code, page) = w.curl(&[&link]);
    assert_eq!(code, 200, "{page}");
    let (code, answer) = w.curl(&[
        "-d",
        &format!("form={}", form_in(&page)),
        &format!("{link}/confirm"),
    ]);
    assert_eq!(code, 200, "{answer}");
    let s = status_when(&court, &order_id, "R1", "effective service", |s| {
        s.effective.is_some()
    })
    .await;
    let effective = s.effective.unwrap();
    assert_eq!(effective.rule, "recipient_confirmed_reading");
    assert!(
        s.dead_letters.is_empty(),
        "served: the SMS failure needs no clerk"
    );
    let confirmed = s
        .facts
        .iter()
        .find(|f| f.kind == "confirmed_reading")
        .and_then(|f| f.at);
    assert_eq!(effective.at, confirmed);
    // The proof lists both channels: the SMS with its receipt, then the e-mail.
    let proof = proof_when_issued(&court, &order_id, "R1").await;
    let doc = proof_json(&proof);
    let channels = doc["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 2, "{doc}");
    assert_eq!(channels[0]["channel"], "短信");
    assert!(channels[0]["outcome"].as_str().unwrap().contains("UNDELIV"));
    assert_eq!(channels[1]["channel"], "电子邮件");
}

/// Checks that the settled status `s` of a number whose receipt said `stat` has the right facts.
fn settled_status_matches_its_receipt(s: &pb::RecipientStatus, stat: &str) {
    let sms = &s.attempts[0];
    match stat {
        "DELIVRD" => {
            assert_eq!(
                s.effective.as_ref().unwrap().rule,
                "reached_confirmed_address"
            );
            assert!(s.facts.iter().any(|f| f.kind == "reached"));
        }
        "UNDELIV" | "EXPIRED" | "REJECTD" => {
            assert!(s.effective.is_none(), "{stat}");
            assert!(s.facts.iter().any(|f| f.kind == "bounced"), "{stat}");
            assert!(
                s.dead_letters[0].reason.contains(stat),
                "{stat}: {:?}",
                s.dead_letters
            );
        }
        "UNKNOWN" => {
            assert!(
                !s.facts
                    .iter()
                    .any(|f| f.kind == "bounced" || f.kind == "reached")
            );
            assert!(
                s.dead_letters[0].reason.contains("UNKNOWN"),
                "{:?}",
                s.dead_letters
            );
        }
        _ => {
            // ACCEPTD is not final and NONE never answers: after the receipt timeout the status
            // is unknown and the plan (here: nothing more) moves on.
            assert!(s.effective.is_none(), "{stat}");
            assert!(
                s.dead_letters[0].reason.contains("状态未知"),
                "{stat}: {:?}",
                s.dead_letters
            );
            if stat == "ACCEPTD" {
                assert!(sms.receipts.iter().all(|r| r.state == "pending"));
            } else {
                assert!(sms.receipts.is_empty());
            }
        }
    }
}

/// Sends a receipt for an id the hub never sent; checks it is logged, acknowledged, and harmless.
async fn a_stray_receipt_is_logged_and_the_hub_carries_on(
    w: &World,
    smsc: &Smsc,
    court: &ServiceOfProcessClient<Channel>,
    document: &str,
) {
    let acked_before = smsc.stats()["receipts_acked"].as_u64().unwrap();
    smsc.receipt("FFFFFFFF", "DELIVRD");
    until(30, "the unknown receipt to be acknowledged", || async {
        (smsc.stats()["receipts_acked"].as_u64().unwrap() > acked_before).then_some(())
    })
    .await;
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        common::channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await,
    );
    let entries = common::all_entries(&mut log).await;
    let kept = entries
        .iter()
        .find(|e| e.kind == "sms_receipt_unmatched")
        .expect("the unmatched receipt is in the log");
    assert!(
        kept.detail_json.contains("FFFFFFFF") && kept.detail_json.contains("DELIVRD"),
        "{}",
        kept.detail_json
    );
    let again = serve_plan(
        court,
        "sms-4",
        document,
        vec![sms_recipient("王五", "13700000001")],
        &[pb::ServiceChannel::Sms],
    )
    .await;
    status_when(
        court,
        &again.order_id,
        "R1",
        "service after the stray receipt",
        |s| s.effective.is_some(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_receipt_status_maps_to_its_event_and_a_missing_receipt_counts_as_unknown() {
    let smsc = start_smsc();
    let cases = [
        ("13700000001", "DELIVRD"),
        ("13700000002", "UNDELIV"),
        ("13700000003", "EXPIRED"),
        ("13700000004", "REJECTD"),
        ("13700000005", "UNKNOWN"),
        ("13700000006", "ACCEPTD"),
        ("13700000007", "NONE"),
    ];
    let rules: serde_json::Map<String, Value> = cases
        .iter()
        .map(|(n, s)| (n.to_string(), Value::from(*s)))
        .collect();
    smsc.configure(json!({ "receipts": rules }));
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    // ACCEPTD and NONE are left to the receipt timeout; 15 s leaves the others time, on a busy
    // disk, to record their send and then their receipt before it.
    let w = sms_world(&smsc, smtp.addr.port(), 15).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let recipients = cases
        .iter()
        .map(|(n, _)| sms_recipient(&format!("当事人{n}"), n))
        .collect();
    let ordered = serve_plan(
        &court,
        "sms-3",
        &document,
        recipients,
        &[pb::ServiceChannel::Sms],
    )
    .await;
    let order_id = ordered.order_id;

    for (i, (number, stat)) in cases.iter().enumerate() {
        let rid = format!("R{}", i + 1);
        let s = status_when(&court, &order_id, &rid, &format!("{number} settled"), |s| {
            s.effective.is_some() || s.state == pb::RecipientState::Unserved as i32
        })
        .await;
        settled_status_matches_its_receipt(&s, stat);
    }

    // A receipt for an id the hub never sent is kept in the log and acknowledged after a grace
    // period; the hub carries on.
    a_stray_receipt_is_logged_and_the_hub_carries_on(&w, &smsc, &court, &document).await;
}

/// Serves `count` recipients by SMS (numbers 1360000xxxx, confirmed) and waits until all are
/// effective; returns their statuses.
async fn serve_many(
    court: &ServiceOfProcessClient<Channel>,
    document: &str,
    request_id: &str,
    count: usize,
) -> Vec<pb::RecipientStatus> {
    let recipients = sms_recipients("1360000", count);
    let ordered = serve_plan(
        court,
        request_id,
        document,
        recipients,
        &[pb::ServiceChannel::Sms],
    )
    .await;
    let mut out = Vec::new();
    for i in 0..count {
        out.push(
            status_when(
                court,
                &ordered.order_id,
                &format!("R{}", i + 1),
                "effective",
                |s| s.effective.is_some(),
            )
            .await,
        );
    }
    out
}

/// Every number got its notice, and any number that got it twice is covered by a counted resend.
fn nothing_lost_and_duplicates_counted(smsc: &Smsc, statuses: &[pb::RecipientStatus]) {
    let messages = smsc.messages();
    let mut per_number = std::collections::BTreeMap::<String, u32>::new();
    for m in &messages {
        *per_number
            .entry(m["dest"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(per_number.len(), statuses.len(), "every number got its SMS");
    let extra: u32 = per_number.values().map(|n| n - 1).sum();
    let counted: u32 = statuses
        .iter()
        .map(|s| s.attempts[0].resends_in_doubt)
        .sum();
    assert!(
        extra <= counted,
        "{extra} duplicates but only {counted} resends counted in doubt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_fails_nothing_and_sends_each_notice_once() {
    let smsc = start_smsc();
    smsc.configure(json!({"throttle_next": 25}));
    let w = sms_world(&smsc, 9, 600).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let statuses = serve_many(&court, &document, "sms-throttle", 20).await;
    assert_eq!(smsc.stats()["throttled"], 25);
    assert!(
        statuses.iter().all(|s| s.attempts[0].attempts == 1),
        "throttling is not a failed attempt"
    );
    assert_eq!(smsc.messages().len(), 20, "each exactly once");
    nothing_lost_and_duplicates_counted(&smsc, &statuses);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_window_loses_nothing_and_counts_what_may_be_duplicated() {
    let smsc = start_smsc();
    // The 8th submit is taken but never answered, and the connection drops with others in flight.
    smsc.configure(json!({"drop_after": 8, "submit_delay_ms": 30}));
    let w = sms_world(&smsc, 9, 600).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let statuses = serve_many(&court, &document, "sms-drop", 24).await;
    assert!(smsc.stats()["drops"].as_u64().unwrap() >= 1);
    assert!(smsc.stats()["binds"].as_u64().unwrap() >= 2, "bound again");
    let counted: u32 = statuses
        .iter()
        .map(|s| s.attempts[0].resends_in_doubt)
        .sum();
    assert!(
        counted >= 1,
        "the unanswered submit is sent again and counted"
    );
    nothing_lost_and_duplicates_counted(&smsc, &statuses);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_smsc_holds_notices_back_until_it_is_back_and_then_sends_each_once() {
    let smsc = start_smsc();
    smsc.down();
    let w = sms_world(&smsc, 9, 600).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let recipients = sms_recipients("1350000", 5);
    let ordered = serve_plan(
        &court,
        "sms-dead",
        &document,
        recipients,
        &[pb::ServiceChannel::Sms],
    )
    .await;
    // Attempts fail while the SMSC is unreachable…
    let s = status_when(&court, &ordered.order_id, "R1", "a failed attempt", |s| {
        s.attempts
            .first()
            .is_some_and(|a| a.last_error.contains("SMSC not bound"))
    })
    .await;
    assert!(s.effective.is_none());
    assert!(smsc.messages().is_empty());
    // …and all go once it is back.
    smsc.up();
    let mut statuses = Vec::new();
    for i in 1..=5 {
        statuses.push(
            status_when(
                &court,
                &ordered.order_id,
                &format!("R{i}"),
                "effective",
                |s| s.effective.is_some(),
            )
            .await,
        );
    }
    assert_eq!(smsc.messages().len(), 5);
    assert!(statuses.iter().all(|s| s.attempts[0].resends_in_doubt == 0));
    nothing_lost_and_duplicates_counted(&smsc, &statuses);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_leased_but_not_sent_at_a_graceful_stop_go_at_the_next_start_and_are_not_counted_as_duplicates()
 {
    let smsc = start_smsc();
    // Each submit is answered after 300 ms; the hub sends one at a time, so most wait when it stops.
    smsc.configure(json!({"submit_delay_ms": 300}));
    let port = smsc.port;
    let w = world_with(9, 10, move |c, keys: &Path| {
        c.workers = 1;
        c.sms = Some(SmsSettings {
            window: 1,
            enquire_link_secs: 30,
            response_timeout_secs: 5,
            ..sms_settings(port, keys)
        });
    })
    .await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let recipients = sms_recipients("1340000", 6);
    let ordered = serve_plan(
        &court,
        "sms-stop",
        &document,
        recipients,
        &[pb::ServiceChannel::Sms],
    )
    .await;
    // Stop while the first notices are on their way.
    until(30, "the first submit", || async {
        (!smsc.messages().is_empty()).then_some(())
    })
    .await;
    let w = w.restart().await;
    let court = w.service("court-xiangyang-cms").await;
    let mut statuses = Vec::new();
    for i in 1..=6 {
        statuses.push(
            status_when(
                &court,
                &ordered.order_id,
                &format!("R{i}"),
                "effective",
                |s| s.effective.is_some(),
            )
            .await,
        );
    }
    assert_eq!(smsc.messages().len(), 6, "each notice once");
    let in_doubt: u32 = statuses
        .iter()
        .map(|s| s.attempts[0].resends_in_doubt)
        .sum();
    assert_eq!(in_doubt, 0, "nothing was left in flight by a graceful stop");
    assert!(
        statuses.iter().any(|s| s.attempts[0].attempts > 1),
        "some notices were given back at the stop and sent after the start"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handsets_message_that_reads_like_a_receipt_is_no_receipt_and_submits_ask_only_the_final_one()
 {
    let u = unreported_sms("sms-mo-forged", ("王五", "13800138111")).await;
    let (smsc, court, sent) = (&u.smsc, &u.court, &u.sent);
    // SMPP 3.4 §5.2.17: the final receipt only.
    assert_eq!(sent["registered_delivery"], 1, "{sent}");
    let ids: Vec<String> = sent["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect();
    // Someone's handset (esm_class 0) sends texts that read like receipts for every part.
    for id in &ids {
        smsc.mobile_originated(
            "13911112222",
            &format!("id:{id} sub:001 dlvrd:001 submit date:2611300900 done date:2611300901 stat:DELIVRD err:000 text:"),
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let mut c = court.clone();
    let s = status(&mut c, &u.order_id, "R1").await;
    assert!(
        s.effective.is_none(),
        "a handset's text made service effective: {s:?}"
    );
    assert!(
        !s.facts.iter().any(|f| f.kind == "reached"),
        "{:?}",
        s.facts
    );
    // The SMSC's own receipts for the same ids do.
    for id in &ids {
        smsc.receipt_from(id, "DELIVRD", "8613800138111");
    }
    let s = status_when(court, &u.order_id, "R1", "the real receipts", |s| {
        s.effective.is_some()
    })
    .await;
    assert!(s.facts.iter().any(|f| f.kind == "reached"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smsc_whose_receipts_name_the_decimal_of_its_hex_ids_is_matched_by_its_setting() {
    let smsc = start_smsc();
    // This SMSC answers submit_sm with "0000002A" and names "42" in the receipt.
    smsc.configure(json!({ "receipt_id_form": "decimal" }));
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = sms_hub(smsc.port, smtp.addr.port(), |s| {
        s.receipt_id_form = ecenter_delivery::sms_id::ReceiptIdForm::DecimalOfHex;
    })
    .await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let ordered = serve_plan(
        &court,
        "sms-decimal-ids",
        &document,
        vec![sms_recipient("周八", "13800138401")],
        &[pb::ServiceChannel::Sms],
    )
    .await;
    let s = status_when(
        &court,
        &ordered.order_id,
        "R1",
        "the decimal receipt to match",
        |s| s.effective.is_some(),
    )
    .await;
    let attempt = &s.attempts[0];
    // The SMSC's own (hex) ids stay the evidence of what it accepted; the receipt named the decimal.
    assert!(
        attempt
            .gateway_id
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ' ')
            && attempt.gateway_id.len() >= 8,
        "{attempt:?}"
    );
    let expected = u64::from_str_radix(attempt.gateway_id.split(' ').next().unwrap(), 16)
        .unwrap()
        .to_string();
    assert!(
        attempt.receipts.iter().any(|r| r.part == expected),
        "{:?}",
        attempt.receipts
    );
}

/// An SMSC that reports on the first part while the hub is still submitting the next (each
/// submit answered after 7 s, so a two-part notice is recorded some 14 s after the first part's
/// receipt came, longer than a receipt waits for its SMS): the receipt is kept in the log as
/// unmatched, and counts once the SMS naming its part is recorded — service takes effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_that_came_before_its_sms_was_recorded_counts_once_it_is() {
    let smsc = start_smsc();
    smsc.configure(json!({"submit_delay_ms": 7000}));
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = sms_world(&smsc, smtp.addr.port(), 600).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let ordered = serve_plan(
        &court,
        "sms-early-receipt",
        &document,
        vec![sms_recipient("赵六", "13900000006")],
        &[pb::ServiceChannel::Sms],
    )
    .await;
    let s = status_when(&court, &ordered.order_id, "R1", "effective service", |s| {
        s.effective.is_some()
    })
    .await;
    let sms = &s.attempts[0];
    let parts: Vec<&str> = sms.gateway_id.split(' ').collect();
    assert!(
        parts.len() >= 2,
        "a one-part notice tests nothing: {parts:?}"
    );
    assert_eq!(sms.receipts.len(), parts.len(), "{:?}", sms.receipts);
    // The first part's receipt really came too early: it is in the log as unmatched.
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        common::channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await,
    );
    let entries = common::all_entries(&mut log).await;
    let early = entries
        .iter()
        .find(|e| e.kind == "sms_receipt_unmatched")
        .expect("no receipt came before its SMS was recorded");
    assert!(
        early.detail_json.contains(parts[0]),
        "{}",
        early.detail_json
    );
    assert_eq!(s.effective.unwrap().rule, "reached_confirmed_address");
}
