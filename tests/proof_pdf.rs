//! The printable proof of service: `clerk proof --pdf` against a running hub over mutual TLS saves a
//! PDF that pyHanko and poppler's pdfsig accept as sealed by the court, whose text (pdftotext) is the
//! proof in Chinese naming the JSON proof's SHA-256; refused with a reason before service takes
//! effect, on a hub without a Chinese font, and to lawyers.

mod common;

use common::CASE;
use common::pdf::{nss_trusting, path, pdfsig, pdftotext, pyhanko, pyhanko_root_only};
use common::service::*;
use common::smsc::{Smsc, start_smsc};
use ecenter_api::service::SmsSettings;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient;
use std::path::Path;
use tonic::Code;

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

async fn hub(smsc: &Smsc, with_font: bool) -> World {
    hub_awaiting_receipts(smsc, with_font, 600).await
}

/// A hub that waits `receipt_timeout_secs` for an SMS's receipts.
async fn hub_awaiting_receipts(smsc: &Smsc, with_font: bool, receipt_timeout_secs: u64) -> World {
    assert!(
        Path::new(FONT).exists(),
        "{FONT} is installed by scripts/test (Debian's fonts-wqy-microhei)"
    );
    let port = smsc.port;
    world_with(9, 10, move |c, keys| {
        c.sms = Some(SmsSettings {
            window: 8,
            enquire_link_secs: 30,
            receipt_timeout_secs,
            ..sms_settings(port, keys)
        });
        if with_font {
            c.proof_font = Some(FONT.into());
            c.proof_seal_id = Some("4206-SSFW-01".into());
        }
    })
    .await
}

async fn serve_by_sms(
    court: &ServiceOfProcessClient<tonic::transport::Channel>,
    document: &str,
    phone: &str,
) -> String {
    let request_id = format!("pdf-{phone}");
    let recipients = vec![sms_recipient("张三", phone)];
    serve_plan(
        court,
        &request_id,
        document,
        recipients,
        &[pb::ServiceChannel::Sms],
    )
    .await
    .order_id
}

/// Checks that a proof PDF is refused, with a reason, for an order not yet effective.
async fn no_printable_proof_before_service_takes_effect(
    w: &World,
    court: &ServiceOfProcessClient<tonic::transport::Channel>,
    document: &str,
) {
    let pending = serve_by_sms(court, document, "13800000002").await;
    let refused = w
        .service("clerk-c0001")
        .await
        .get_proof_pdf(pb::ProofRequest {
            order_id: pending.clone(),
            recipient_id: "R1".into(),
            version: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("there is no proof of service"),
        "{}",
        refused.message()
    );
}

/// Saves R1's proof with `clerk proof --pdf`, checks clerk verifies it, and returns the file.
fn clerk_saves_and_verifies_the_printable_proof(
    w: &World,
    order_id: &str,
    out_dir: &Path,
) -> std::path::PathBuf {
    let hub_signer = w.pki.path().join("seal.pem");
    let out = run_clerk_trusting(
        &[
            "proof",
            order_id,
            "R1",
            "--pdf",
            "--out",
            out_dir.to_str().unwrap(),
            "--signer",
            hub_signer.to_str().unwrap(),
        ],
        w.pki.path(),
        Some(w),
    );
    let shown = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{shown}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = out_dir.join(format!("{order_id}-R1.pdf"));
    assert!(shown.contains(file.to_str().unwrap()), "{shown}");
    // Saved, shown and verified offline against the court's root in one step.
    assert!(
        shown.contains("PASSED") && shown.contains("送达生效"),
        "{shown}"
    );

    // clerk verify-pdf (our own validator) agrees with the independent ones below.
    let pki = w.pki.path();
    let out = run_clerk_trusting(&["verify-pdf", file.to_str().unwrap()], pki, None);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    file
}

/// Checks that pyHanko and pdfsig both accept the court's seal on `file`, given the court's root
/// alone (round 19b, F4: the timestamps carry their TSA's CA, as the seal carries its CAs).
fn independent_validators_accept_the_seal(pki: &Path, file: &Path) {
    let (ok, report) = pyhanko_root_only(pki, file);
    assert!(ok, "{report}");
    let root = pki.join("root-ca.pem");
    let out = run_clerk(&["verify-pdf", path(file), "--trust", path(&root)], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // PAdES B-LTA: a document timestamp follows the seal, which pyHanko counts as maintenance.
    assert!(
        report.contains("All modifications relate to signature maintenance"),
        "{report}"
    );
    let nss_dir = tempfile::tempdir().unwrap();
    let report = pdfsig(&nss_trusting(pki, nss_dir.path()), file);
    assert!(report.contains("Signature is Valid"), "{report}");
    assert!(report.contains("Total document signed"), "{report}");
    assert!(report.contains("Certificate is Trusted"), "{report}");
}

/// Checks that the text of `file` says what the signed proof says, notice line by line.
fn printed_text_is_the_signed_proof(proof: &pb::ProofOfService, file: &Path) {
    let signed: serde_json::Value = serde_json::from_slice(&proof.document).unwrap();
    let text = pdftotext(file);
    let flat: String = text.split_whitespace().collect();
    for expected in [
        "电子送达凭证".to_string(),
        CASE.to_string(),
        "张三（被告）".to_string(),
        "13800000001".to_string(),
        "已送达手机（DELIVRD）".to_string(),
        signed["effective"]["at"]["beijing"]
            .as_str()
            .unwrap()
            .replace(' ', ""),
        signed["effective"]["rule_text"]
            .as_str()
            .unwrap()
            .to_string(),
        proof.document_sha256.clone(),
        // The identity that ordered the service, named as such (not as a person, 送达人).
        format!(
            "送达指令：{}（下达送达的平台身份）",
            signed["ordered_by"].as_str().unwrap()
        ),
    ] {
        assert!(flat.contains(&expected), "{expected} missing from:\n{text}");
    }
    // The notice as sent, line by line: its line breaks are printed as line breaks.
    let sent = signed["channels"][0]["text"].as_str().unwrap();
    for line in sent.lines().filter(|l| !l.trim().is_empty()) {
        let line: String = line.split_whitespace().collect();
        assert!(flat.contains(&line), "{line} missing from:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printable_proof_is_sealed_by_the_court_and_says_what_the_signed_proof_says() {
    let smsc = start_smsc();
    smsc.configure(serde_json::json!({"receipts": {"13800000002": "NONE"}}));
    let w = hub(&smsc, true).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;

    // Not yet effective (no receipt comes): no proof, and a reason.
    no_printable_proof_before_service_takes_effect(&w, &court, &document).await;

    let order_id = serve_by_sms(&court, &document, "13800000001").await;
    let proof = proof_when_issued(&court, &order_id, "R1").await;

    let out_dir = tempfile::tempdir().unwrap();
    let file = clerk_saves_and_verifies_the_printable_proof(&w, &order_id, out_dir.path());

    // Sealed: both independent validators accept the court's signature.
    independent_validators_accept_the_seal(w.pki.path(), &file);

    // What it says is the signed proof's content, in Chinese, with times in Beijing time.
    printed_text_is_the_signed_proof(&proof, &file);

    // A changed byte breaks the seal.
    let mut altered = std::fs::read(&file).unwrap();
    let at = altered.len() / 4;
    altered[at] ^= 1;
    let bad = out_dir.path().join("altered.pdf");
    std::fs::write(&bad, altered).unwrap();
    let (ok, _) = pyhanko(w.pki.path(), &bad);
    assert!(!ok, "an altered printable proof is refused");

    // Lawyers do not get proofs.
    let denied = w
        .service("lawyer-14201202010000001")
        .await
        .get_proof_pdf(pb::ProofRequest {
            order_id: order_id.clone(),
            recipient_id: "R1".into(),
            version: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_without_a_chinese_font_says_what_to_configure() {
    let smsc = start_smsc();
    let w = hub(&smsc, false).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let order_id = serve_by_sms(&court, &document, "13800000003").await;
    proof_when_issued(&court, &order_id, "R1").await;
    let refused = court
        .clone()
        .get_proof_pdf(pb::ProofRequest {
            order_id,
            recipient_id: "R1".into(),
            version: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("proof_font"),
        "{}",
        refused.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_sent_again_prints_each_acceptance_with_its_own_gateway_id() {
    let smsc = start_smsc();
    smsc.configure(serde_json::json!({"receipts": {"13800000003": "NONE"}}));
    let w = hub_awaiting_receipts(&smsc, true, 2).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let order_id = serve_by_sms(&court, &document, "13800000003").await;
    // No receipt within 2 s: a dead letter. A clerk sends it again, and this time it arrives.
    wait_for(&court, &order_id, "the dead letter", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    smsc.configure(serde_json::json!({"receipts": {"13800000003": "DELIVRD"}}));
    let retry = pb::DeadLetterAction {
        order_id: order_id.clone(),
        recipient_id: "R1".into(),
        channel: pb::ServiceChannel::Sms as i32,
        note: "受送达人来电称手机已恢复".into(),
    };
    let mut clerk = w.service("clerk-c0001").await;
    clerk.retry_dead_letter(retry).await.unwrap();
    let proof = proof_when_issued(&court, &order_id, "R1").await;
    let signed: serde_json::Value = serde_json::from_slice(&proof.document).unwrap();
    let accepted = signed["channels"][0]["accepted"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(accepted.len(), 2, "{}", signed["channels"]);
    assert_ne!(accepted[0]["gateway_id"], accepted[1]["gateway_id"]);
    // The clerk's view of the service lists them, in Beijing time.
    let shown = run_clerk(&["service", &order_id, "--json"], Some(&w));
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let table = run_clerk(&["service", &order_id], Some(&w));
    let table = String::from_utf8(table.stdout).unwrap();
    let act_line = table
        .lines()
        .find(|l| l.contains("retried 重新发送"))
        .unwrap_or_else(|| panic!("no clerk action in:\n{table}"));
    assert!(act_line.contains("受送达人来电称手机已恢复"), "{act_line}");
    let listed = &shown["recipients"][0]["attempts"][0]["accepted"];
    for (k, a) in accepted.iter().enumerate() {
        assert_eq!(a["attempt"], k + 1, "{a}");
        assert_eq!(listed[k]["gateway_id"], a["gateway_id"], "{listed}");
        // For scripts the time is one instant with its offset; read as Beijing time it is the
        // proof's.
        let at = listed[k]["at"].as_str().unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(at)
            .unwrap_or_else(|e| panic!("{at:?}: {e}; {listed}"));
        assert_eq!(at.offset().local_minus_utc(), 8 * 3600, "{listed}");
        assert!(
            a["at"]["beijing"]
                .as_str()
                .unwrap()
                .starts_with(&at.format("%Y-%m-%d %H:%M:%S").to_string()),
            "{listed}"
        );
    }
    let out_dir = tempfile::tempdir().unwrap();
    let file = clerk_saves_and_verifies_the_printable_proof(&w, &order_id, out_dir.path());
    let flat: String = pdftotext(&file).split_whitespace().collect();
    for (k, a) in accepted.iter().enumerate() {
        let line = format!(
            "第{}次发送：短信平台于{}接收；网关编号：{}",
            k + 1,
            a["at"]["beijing"].as_str().unwrap(),
            a["gateway_id"].as_str().unwrap()
        );
        let line: String = line.split_whitespace().collect();
        assert!(flat.contains(&line), "{line} missing from:\n{flat}");
    }
    // The clerk's retry is on the proof, as signed and as printed: who sent it again, and when.
    let acts = signed["clerk_actions"].as_array().unwrap();
    assert_eq!(acts.len(), 1, "{}", signed["clerk_actions"]);
    assert_eq!(acts[0]["action"], "重新发送");
    assert_eq!(acts[0]["channel"], "短信");
    assert_eq!(acts[0]["note"], "受送达人来电称手机已恢复");
    let by = acts[0]["by"].as_str().unwrap();
    assert!(by.contains("c0001"), "{by}");
    let line = format!(
        "{}　{by} 重新发送短信通知：受送达人来电称手机已恢复",
        acts[0]["at"]["beijing"].as_str().unwrap()
    );
    let line: String = line.split_whitespace().collect();
    assert!(flat.contains(&line), "{line} missing from:\n{flat}");
}
