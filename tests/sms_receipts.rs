//! Delivery receipts as SMSCs other than the simulator's defaults write them: about another
//! handset (ids reused or wrapped, a foreign number in international traffic), never counted;
//! with the id in another case or with leading zeros, or in UCS-2, counted for the part the
//! SMSC's own id names; the same receipt twice, recorded once; those no SMS claims, listed for the
//! clerks. Against the npm SMPP simulator.

mod common;

use common::service::*;
use ecenter_proto::v1 as pb;
use serde_json::{Value, json};

/// Sends a DELIVRD receipt for each of `ids` from `handset`, waits until the hub acknowledged
/// them, and checks they did not make service effective; returns the status then.
async fn receipts_from(u: &Unreported, ids: &[String], handset: &str) -> pb::RecipientStatus {
    let acked_before = u.smsc.stats()["receipts_acked"].as_u64().unwrap();
    for id in ids {
        u.smsc.receipt_from(id, "DELIVRD", handset);
    }
    until(
        30,
        "the other handset's receipts to be acknowledged",
        || async {
            let acked = u.smsc.stats()["receipts_acked"].as_u64().unwrap();
            (acked >= acked_before + ids.len() as u64).then_some(())
        },
    )
    .await;
    let s = status(&mut u.court.clone(), &u.order_id, "R1").await;
    assert!(s.effective.is_none(), "{handset}'s receipt counted: {s:?}");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_naming_the_id_of_an_sms_but_another_handset_is_kept_and_not_counted() {
    let u = unreported_sms("sms-another-handset", ("钱七", "13800138112")).await;
    let (smsc, court, w) = (&u.smsc, &u.court, &u.w);
    let ids: Vec<String> = serde_json::from_value(u.sent["ids"].clone()).unwrap();
    // The SMSC reuses the ids for another handset's messages and reports on those.
    let s = receipts_from(&u, &ids, "13911112223").await;
    assert!(s.attempts[0].receipts.is_empty(), "{:?}", s.attempts[0]);
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        common::channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await,
    );
    let entries = common::all_entries(&mut log).await;
    let kept: Vec<Value> = (entries.iter())
        .filter(|e| e.kind == "sms_receipt_unmatched")
        .map(|e| serde_json::from_str::<Value>(&e.detail_json).unwrap()["event"].take())
        .collect();
    assert_eq!(kept.len(), ids.len(), "{kept:?}");
    let about = format!("{}/R1", u.order_id);
    for k in &kept {
        assert_eq!(k["another_number_than"], about.as_str(), "{k}");
        assert_eq!(k["addresses"], json!(["13911112223", "12368"]), "{k}");
        assert!(
            k.get("awaiting").is_none(),
            "never to be counted later: {k}"
        );
    }
    // The SMSC's receipts from the handset the notice went to count.
    for id in &ids {
        smsc.receipt_from(id, "DELIVRD", "8613800138112");
    }
    let s = status_when(court, &u.order_id, "R1", "the real receipts", |s| {
        s.effective.is_some()
    })
    .await;
    assert!(s.facts.iter().any(|f| f.kind == "reached"), "{:?}", s.facts);
}

/// Receipts no SMS of the hub's claims — an id the hub never sent, and receipts about another
/// handset — are listed for the clerks by `clerk dead-letters` (table and `--json`) with why they
/// did not count; the handset's own receipts count and leave nothing behind in that list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_no_sms_claims_are_shown_to_the_clerks_with_why() {
    let u = unreported_sms("sms-unclaimed", ("周八", "13800138134")).await;
    let ids: Vec<String> = serde_json::from_value(u.sent["ids"].clone()).unwrap();
    receipts_from(&u, &ids[..1], "13911112224").await;
    receipts_from(&u, &["FFEE0001".to_string()], "13800138134").await;
    let listed = |args: &[&str]| {
        let out = run_clerk(args, Some(&u.w));
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&listed(&["dead-letters", "--json"])).unwrap();
    let receipts = json["receipts"].as_array().unwrap();
    let by_id = |id: &str| {
        let found = receipts.iter().find(|r| r["smsc_id"] == id);
        found
            .unwrap_or_else(|| panic!("{id} not listed: {json}"))
            .clone()
    };
    let another = by_id(&ids[0]);
    assert_eq!(another["another_number_than"], format!("{}/R1", u.order_id));
    assert_eq!(another["addresses"], json!(["13911112224", "12368"]));
    assert_eq!(another["awaiting"], false, "{another}");
    let unknown = by_id("FFEE0001");
    assert_eq!(
        (&unknown["status"], &unknown["awaiting"]),
        (&json!("DELIVRD"), &json!(true))
    );
    assert!(unknown["text"].as_str().unwrap().contains("id:FFEE0001"));
    let table = listed(&["dead-letters"]);
    assert!(table.contains("无法对应的短信状态报告"), "{table}");
    assert!(table.contains("关于另一号码"), "{table}");
    assert!(table.contains("FFEE0001"), "{table}");
    // The handset's own receipts count, and none of them joins the list.
    for id in &ids {
        u.smsc.receipt_from(id, "DELIVRD", "13800138134");
    }
    status_when(&u.court, &u.order_id, "R1", "the real receipts", |s| {
        s.effective.is_some()
    })
    .await;
    let json: Value = serde_json::from_str(&listed(&["dead-letters", "--json"])).unwrap();
    assert_eq!(json["receipts"].as_array().unwrap().len(), 2, "{json}");
}

/// Receipts as other SMSCs write them (public reports and CMPP gateways): the id in lower case
/// with leading zeros, or the whole receipt in UCS-2 (data_coding 8, with a Chinese `text:`), find
/// the part the SMSC's own id names; a receipt from a foreign handset (an SMSC reusing ids for
/// international traffic) never counts, even naming the right id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_as_other_smscs_write_them_count_and_a_foreign_handsets_does_not() {
    let u = unreported_sms("sms-other-smscs", ("孙九", "13800138123")).await;
    let (smsc, court) = (&u.smsc, &u.court);
    let ids: Vec<String> = serde_json::from_value(u.sent["ids"].clone()).unwrap();
    assert!(
        ids.len() >= 2,
        "a one-part notice tests half of this: {ids:?}"
    );
    receipts_from(&u, &ids, "85291234567").await;
    smsc.receipt_from(
        &format!("0000{}", ids[0].to_lowercase()),
        "DELIVRD",
        "13800138123",
    );
    for id in &ids[1..] {
        let text = format!(
            "id:{id} sub:001 dlvrd:001 submit date:2612061344 done date:2612061345 stat:DELIVRD err:000 text:您的短信已送达"
        );
        let fields = json!({
            "source_addr": "8613800138123", "destination_addr": "12368",
            "esm_class": 4, "data_coding": 8, "short_message": text,
        });
        let answer = smsc.send_pdu("deliver_sm", fields, None);
        assert_eq!(answer["response"], "deliver_sm_resp", "{answer}");
    }
    status_when(
        court,
        &u.order_id,
        "R1",
        "the receipts in other forms",
        |s| s.effective.is_some(),
    )
    .await;
    // The same receipt again (an SMSC whose answer was lost sends it again): recorded once.
    let acked_before = smsc.stats()["receipts_acked"].as_u64().unwrap();
    smsc.receipt_from(&ids[0], "DELIVRD", "13800138123");
    until(30, "the repeated receipt to be acknowledged", || async {
        let acked = smsc.stats()["receipts_acked"].as_u64().unwrap();
        (acked > acked_before).then_some(())
    })
    .await;
    let s = status(&mut court.clone(), &u.order_id, "R1").await;
    // Recorded under the SMSC's own ids, each once.
    let parts: Vec<&str> = s.attempts[0]
        .receipts
        .iter()
        .map(|r| r.part.as_str())
        .collect();
    assert_eq!(parts.len(), ids.len(), "{parts:?}");
    assert!(
        ids.iter().all(|id| parts.contains(&id.as_str())),
        "{parts:?} {ids:?}"
    );
}

/// A receipt that comes after the receipt timeout still counts, at its time (docs/SERVICE.md);
/// the proof then calls the SMS what it proved to be — reached — and only after that names the
/// "no receipt in time" the hub had recorded, never "status unknown" alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_receipt_makes_the_proof_say_the_sms_reached_the_handset() {
    let u = unreported_sms_awaiting("sms-late-receipt", ("郑十", "13800138124"), 2).await;
    let ids: Vec<String> = serde_json::from_value(u.sent["ids"].clone()).unwrap();
    status_when(&u.court, &u.order_id, "R1", "the receipt timeout", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    for id in &ids {
        u.smsc.receipt_from(id, "DELIVRD", "13800138124");
    }
    let proof = proof_when_issued(&u.court, &u.order_id, "R1").await;
    let signed: Value = serde_json::from_slice(&proof.document).unwrap();
    let outcome = signed["channels"][0]["outcome"].as_str().unwrap();
    assert!(outcome.starts_with("已到达受送达人（"), "{outcome}");
    assert!(outcome.contains("未在规定时间内收到"), "{outcome}");
}

/// Receipts that contradict each other (round 19b, F1): UNDELIV is final (SMPP 3.4 §5.2.28), so a
/// DELIVRD for the same part afterwards — an id the SMSC reused or wrapped — is no reach the hub
/// takes on its own: it is set aside for the clerks, and service takes effect only when a clerk
/// accepts it. The same contradicting receipt again is one report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_receipt_after_an_undeliverable_one_for_the_same_part_goes_to_a_clerk() {
    let u = unreported_sms("sms-contradicting", ("吴十一", "13800138151")).await;
    let (smsc, court) = (&u.smsc, &u.court);
    let ids: Vec<String> = serde_json::from_value(u.sent["ids"].clone()).unwrap();
    for id in &ids {
        smsc.receipt_from(id, "UNDELIV", "13800138151");
    }
    status_when(court, &u.order_id, "R1", "the SMS to fail", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    // Each DELIVRD again, and with its id written otherwise (round 19c, F5): one claim per part.
    for id in &ids {
        for written in [
            id.clone(),
            id.clone(),
            format!("0x{id}"),
            format!("0000{id}"),
        ] {
            smsc.receipt_from(&written, "DELIVRD", "13800138151");
        }
    }
    status_when(
        court,
        &u.order_id,
        "R1",
        "the contradiction set aside",
        |s| !s.unverified.is_empty(),
    )
    .await;
    // Every receipt acknowledged (the SMSC sends nothing again), none counted.
    until(30, "every receipt acknowledged", || async {
        let acked = smsc.stats()["receipts_acked"].as_u64().unwrap();
        (acked >= 5 * ids.len() as u64).then_some(())
    })
    .await;
    let s = status(&mut court.clone(), &u.order_id, "R1").await;
    assert!(
        s.effective.is_none(),
        "a contradicting receipt counted: {s:?}"
    );
    assert_eq!(s.unverified.len(), ids.len(), "{:?}", s.unverified);
    let first = &s.unverified[0];
    assert!(first.reached && !first.judged, "{first:?}");
    assert_eq!(first.channel, pb::ServiceChannel::Sms as i32);
    assert!(
        first.reason.contains("无法送达（UNDELIV）") && first.reason.contains("矛盾"),
        "{}",
        first.reason
    );
    // A clerk who checked with the carrier accepts it: now the SMS reached the handset.
    let mut clerk = u.w.service("clerk-c0001").await;
    clerk
        .judge_report(pb::JudgeReportRequest {
            order_id: u.order_id.clone(),
            recipient_id: "R1".into(),
            index: 0,
            accept: true,
            note: "已向运营商核实，该短信已送达".into(),
        })
        .await
        .unwrap();
    let s = status_when(court, &u.order_id, "R1", "the accepted receipt", |s| {
        s.effective.is_some()
    })
    .await;
    assert!(s.facts.iter().any(|f| f.kind == "reached"), "{:?}", s.facts);
}
