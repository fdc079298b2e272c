//! SMPP 3.4 PDUs an SMSC may send besides deliver_sm, from two independent SMSCs: the npm `smpp`
//! simulator (tests/smsc/simulator.js) and Net::SMPP in Perl (tests/smsc/netsmpp_smsc.pl), which
//! sends every receipt and every handset's message as data_sm (§4.7). A data_sm is read like a
//! deliver_sm and answered with data_sm_resp once recorded; what the hub does not serve gets a
//! generic_nack with an error (§2.9); alert_notification gets no answer (§4.12).

mod common;

use common::service::*;
use common::smsc::start_smsc;
use ecenter_proto::v1 as pb;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// Net::SMPP as the SMSC: its port, and every line it printed (see the script's header).
struct NetSmpp {
    port: u16,
    lines: Arc<Mutex<Vec<Value>>>,
    child: Child,
}

impl NetSmpp {
    fn start(reply_text: &str) -> NetSmpp {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smsc/netsmpp_smsc.pl");
        let mut child = Command::new("perl")
            .args([
                script,
                common::smsc::SYSTEM_ID,
                common::smsc::PASSWORD,
                reply_text,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("perl runs tests/smsc/netsmpp_smsc.pl (apt install libnet-smpp-perl)");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let port = serde_json::from_str::<Value>(&first).expect("the port line")["smpp"]
            .as_u64()
            .expect("Net::SMPP listens (is libnet-smpp-perl installed?)");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_str(&line).unwrap());
            }
        });
        NetSmpp {
            port: u16::try_from(port).unwrap(),
            lines,
            child,
        }
    }

    fn lines(&self) -> Vec<Value> {
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for NetSmpp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn discovered(name: &str, phone: &str) -> pb::ServeRecipient {
    pb::ServeRecipient {
        phone_basis: pb::AddressBasis::Discovered as i32,
        ..sms_recipient(name, phone)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_and_replies_sent_as_data_sm_by_net_smpp_count_and_get_data_sm_resp() {
    // A reply longer than rusmppc's default PDU limit (4096 octets): 2100 UCS-2 characters.
    let long_reply = "已收到，谢谢。".repeat(300);
    let smsc = NetSmpp::start(&long_reply);
    let w = sms_hub(smsc.port, 9, |s| s.receipt_timeout_secs = 600).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let ordered = serve_plan(
        &court,
        "netsmpp-1",
        &document,
        vec![discovered("钱八", "13800138601")],
        &[pb::ServiceChannel::Sms],
    )
    .await;
    let served = status_when(&court, &ordered.order_id, "R1", "the data_sm reply", |s| {
        s.effective.is_some() && s.attempts.iter().any(|a| !a.receipts.is_empty())
    })
    .await;
    // The reply (a handset's data_sm, UCS-2 in message_payload) completed service at a
    // discovered number; the receipt (a data_sm with TLVs only) is recorded for its part.
    assert_eq!(served.effective.as_ref().unwrap().rule, "recipient_replied");
    let text = &served.replies[0].text;
    assert!(text.starts_with("已收到，谢谢。"), "{served:?}");
    assert_eq!(text.chars().count(), 2000, "kept up to MAX_REPLY_CHARS");
    let receipt = &served.attempts[0].receipts[0];
    assert_eq!(
        (receipt.part.as_str(), receipt.state.as_str()),
        ("4000000001", "delivered")
    );
    // What Net::SMPP received: the submit as §5.2.12 and §5.2.17 say, and a data_sm_resp
    // (ESME_ROK, same sequence number) for each data_sm, never a generic_nack.
    let lines = until(30, "every data_sm to be answered", || async {
        let l = smsc.lines();
        let sent = l.iter().filter(|v| v["sent"] == "data_sm").count();
        let answered = l.iter().filter(|v| v["pdu"] == "data_sm_resp").count();
        (sent >= 2 && answered == sent).then_some(l)
    })
    .await;
    // The notice is longer than one UCS-2 part: every part carries a UDH (esm_class 0x40).
    let submits: Vec<_> = lines.iter().filter(|v| v["pdu"] == "submit_sm").collect();
    assert!(submits.len() > 1, "{submits:?}");
    for submit in submits {
        assert_eq!(
            (
                &submit["esm_class"],
                &submit["registered_delivery"],
                &submit["data_coding"]
            ),
            (&json!(0x40), &json!(1), &json!(8)),
            "{submit}"
        );
    }
    for sent in lines.iter().filter(|v| v["sent"] == "data_sm") {
        let answer = lines
            .iter()
            .find(|v| v["pdu"] == "data_sm_resp" && v["seq"] == sent["seq"])
            .unwrap_or_else(|| panic!("no data_sm_resp for {sent}: {lines:?}"));
        assert_eq!(answer["status"], 0, "{answer}");
    }
    assert!(
        !lines.iter().any(|v| v["pdu"] == "generic_nack"),
        "{lines:?}"
    );
}

/// The npm simulator's stray PDUs: a data_sm receipt for an id the hub never sent is answered
/// data_sm_resp and kept in the log; requests the hub does not serve get generic_nack with an
/// error; alert_notification gets no answer; the session carries notices after all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unexpected_pdus_get_their_answers_and_the_session_carries_on() {
    let smsc = start_smsc();
    let w = sms_hub(smsc.port, 9, |_| {}).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    serve_plan(
        &court,
        "pdus-1",
        &document,
        vec![sms_recipient("吴九", "13800138501")],
        &[pb::ServiceChannel::Sms],
    )
    .await;
    smsc.wait_messages(1, 30);
    const ESME_RINVCMDID: u64 = 3;
    for (command, fields, id) in [
        ("query_sm", json!({"message_id": "0000002A"}), None),
        ("query_sm", json!({"message_id": "1"}), Some(0x0000_0099)),
    ] {
        let answer = smsc.send_pdu(command, fields, id);
        assert_eq!(
            answer["response"], "generic_nack",
            "{command} {id:?}: {answer}"
        );
        assert_eq!(answer["command_status"], ESME_RINVCMDID, "{answer}");
    }
    // Answered once kept, after the grace period for a receipt that overtakes its submit's answer.
    let answer = smsc.send_pdu_waiting(
        "data_sm",
        json!({"source_addr": "13800138501", "destination_addr": "12368", "esm_class": 4,
               "receipted_message_id": "0000002A", "message_state": 2}),
        std::time::Duration::from_secs(30),
    );
    assert_eq!(
        (&answer["response"], &answer["command_status"]),
        (&json!("data_sm_resp"), &json!(0)),
        "{answer}"
    );
    let mut log = pb::event_log_service_client::EventLogServiceClient::new(
        common::channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await,
    );
    let entries = common::all_entries(&mut log).await;
    assert!(
        entries
            .iter()
            .any(|e| e.kind == "sms_receipt_unmatched" && e.detail_json.contains("0000002A")),
        "the unmatched data_sm receipt is in the log"
    );
    // SMPP 3.4 §4.12: alert_notification has no response (2 s to show that none comes).
    let answer = smsc.send_pdu_waiting(
        "alert_notification",
        json!({"source_addr": "13800138501", "esme_addr": "12368"}),
        std::time::Duration::from_secs(2),
    );
    assert!(answer["response"].is_null(), "no response: {answer}");
    serve_plan(
        &court,
        "pdus-2",
        &document,
        vec![sms_recipient("郑十", "13800138502")],
        &[pb::ServiceChannel::Sms],
    )
    .await;
    smsc.wait_messages(2, 30);
}
