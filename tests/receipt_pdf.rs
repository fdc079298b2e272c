//! The sealed receipt (签收单 PDF) as a lawyer gets it with `efile receipt --pdf`, from a real hub
//! over mutual TLS: laid out in Chinese, sealed by the court, and judged by independent
//! validators — pyHanko and poppler's pdfsig trust the seal, pdftotext reads the filing id, the
//! new case's note, the lawyer as the directory listed them at filing, the title, the time in
//! Beijing time and each document's SHA-256. A hub without `[receipts]` says which settings
//! are missing, and a hub configured with half of them does not start.

mod common;

use common::efile::{Lawyer, text, write};
use common::pdf::{nss_trusting, pdfsig, pdftotext, pyhanko};
use common::*;
use ecenter_proto::v1 as pb;
use std::path::Path;

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const SEAL: &str = "4206-LAT-02";

async fn create_receipt_seal(hub: &TestHub, pki: &Path) {
    court_seal(hub.addr, pki, SEAL, "襄阳市中级人民法院立案专用章").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_gets_a_receipt_sealed_by_the_court_that_pyhanko_and_pdfsig_accept() {
    assert!(
        Path::new(FONT).exists(),
        "{FONT} is installed by scripts/test (fonts-wqy-microhei)"
    );
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls_with(data.path(), pki.path(), |c| {
        c.receipts.seal_id = Some(SEAL.into());
        c.receipts.font = Some(FONT.into());
        c.receipts.court = Some("湖北省襄阳市中级人民法院".into());
    })
    .await;
    create_receipt_seal(&hub, pki.path()).await;
    // The court lists the lawyer; the receipt names them as listed when the filing arrived.
    list_lawyer(&hub, pki.path(), "张明").await;
    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let complaint = pdf("complaint for the receipt");
    let doc = write(files.path(), "民事起诉状.pdf", &complaint);
    let receipt = lawyer.submit_json(&["--new-case", "--kind", "起诉状", doc.to_str().unwrap()]);
    let filing = receipt["filing_id"].as_str().unwrap();
    // Renamed in the directory after filing: the receipt keeps the name it was filed under.
    list_lawyer(&hub, pki.path(), "张明明").await;

    let saved = files.path().join("签收单.pdf");
    let out = lawyer.run(&["receipt", filing, "--pdf", saved.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let (ok, report) = pyhanko(pki.path(), &saved);
    assert!(
        ok && report.contains("The signature is judged VALID."),
        "{report}"
    );
    let nss = tempfile::tempdir().unwrap();
    let report = pdfsig(&nss_trusting(pki.path(), nss.path()), &saved);
    assert!(
        report.contains("Signature is Valid") && report.contains("Certificate is Trusted"),
        "{report}"
    );
    let words = pdftotext(&saved);
    for expected in [
        filing,
        "签收单",
        "湖北省襄阳市中级人民法院",
        "新案，立案时编定案号",
        "民事起诉状.pdf",
        &sha256_hex(&complaint),
        "收 件 号",
        "题：起诉状",
        "提 交 人：张明（湖北楚天律师事务所，执业证号 14201202010000001）",
        "平台身份：urn:ecenter:lawyer:14201202010000001",
        "（北京时间）",
    ] {
        assert!(words.contains(expected), "{expected} in {words}");
    }
    assert!(
        !words.contains("张明明") && !words.contains("+08:00"),
        "{words}"
    );
    hub.stop().await;
}

/// Lists the efile lawyer in the court's directory as `name`.
async fn list_lawyer(hub: &TestHub, pki: &Path, name: &str) {
    use ecenter_proto::v1::lawyer_directory_client::LawyerDirectoryClient;
    let mut court =
        LawyerDirectoryClient::new(channel_as(hub.addr, pki, "court-xiangyang-cms").await);
    let lawyer = pb::Lawyer {
        identity: "urn:ecenter:lawyer:14201202010000001".into(),
        name: name.into(),
        licence_number: "14201202010000001".into(),
        law_firm: "湖北楚天律师事务所".into(),
        phone: "13800138000".into(),
        email: "zhang@example.com".into(),
    };
    court
        .set_lawyer(pb::SetLawyerRequest {
            lawyer: Some(lawyer),
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_receipts_configured_the_pdf_is_refused_naming_the_settings() {
    let (pki, _data, hub) = tls_world().await;
    let mut lawyer = tls_client(hub.addr, pki.path(), "lawyer-14201202010000001").await;
    let id = file_documents(
        &mut lawyer,
        "req-receipt-01",
        "证据材料",
        &[("a.pdf", &pdf("a"))],
    )
    .await;
    let refused = lawyer
        .get_receipt(pb::GetReceiptRequest {
            filing_id: id.clone(),
            pdf: true,
        })
        .await;
    assert_status(
        refused,
        tonic::Code::FailedPrecondition,
        "[receipts] seal_id",
    );
    // The plain receipt is still given.
    let plain = lawyer
        .get_receipt(pb::GetReceiptRequest {
            filing_id: id,
            pdf: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plain.pdf.is_empty());
    hub.stop().await;

    // Half a configuration does not start.
    let half_dir = tempfile::tempdir().unwrap();
    let half = ecenter_server::Config {
        dev_mode: true,
        data_dir: half_dir.path().to_path_buf(),
        receipts: ecenter_server::config::ReceiptsConfig {
            seal_id: Some(SEAL.into()),
            ..Default::default()
        },
        ..ecenter_server::Config::default()
    };
    let Err(e) = ecenter_server::Hub::open(half, "127.0.0.1:0".parse().unwrap()) else {
        panic!("a hub with half of [receipts] opened");
    };
    assert!(e.to_string().contains("[receipts] needs both"), "{e}");
}
