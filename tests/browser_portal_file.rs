//! Filing through the lawyers' portal in a real browser: Debian's Chromium, driven by
//! tests/browser/portal_file.mjs, files three documents (one of 50 MiB) on a hub whose largest
//! document is 60 MiB; the files start uploading as they are chosen (one more is chosen and removed
//! first, and must not be filed), the network is cut once the big file is under way and the form
//! submitted while it is down. Judged from outside
//! the hub: what Chromium showed (the local refusals, progress, the resume, the receipt, the
//! court's decision arriving live), what it sent (the bytes PATCHed), and over gRPC the filing's
//! digests against `sha256sum`'s.

mod common;

use common::browser::{seen, start_browser, until_ready};
use common::portal::{COURT_STEM, signed_in};
use common::service::*;
use common::smtp::start_aiosmtpd;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use std::path::Path;

const ZHANG: (&str, &str, &str) = (
    "urn:ecenter:lawyer:14201202010000001",
    "14201202010000001",
    "zhang@chutian-law.cn",
);
const MIB: u64 = 1024 * 1024;

/// The three documents: (name, bytes).
fn documents() -> Vec<(&'static str, Vec<u8>)> {
    let mut big = common::pdf("民事起诉状及证据（扫描件）");
    big.resize(50 * MIB as usize, b'%');
    vec![
        ("民事起诉状及证据.pdf", big),
        ("授权委托书.pdf", common::pdf("授权委托书")),
        ("律师事务所函.pdf", common::pdf("所函")),
    ]
}

fn sha256sum(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace().next().unwrap().to_string()
}

/// The court accepts every document of `filing` over gRPC.
async fn court_accepts(w: &World, filing: &str, documents: usize) {
    let mut court =
        FilingServiceClient::new(common::channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await);
    let id = filing.to_string();
    court
        .start_review(pb::StartReviewRequest {
            filing_id: id.clone(),
        })
        .await
        .unwrap();
    let decisions = (1..=documents)
        .map(|n| pb::DocumentDecision {
            document_id: format!("D{n}"),
            decision: pb::ReviewDecision::Accept as i32,
            reason: String::new(),
        })
        .collect();
    let review = pb::ReviewFilingRequest {
        filing_id: id,
        decisions,
        comment: String::new(),
    };
    court.review_filing(review).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_files_50_mib_in_chromium_through_a_cut_network_and_sees_the_decision_live() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world_configured(smtp.addr.port(), 10, |c| {
        c.limits.max_document_bytes = 60 * MIB;
    })
    .await;
    let jars = tempfile::tempdir().unwrap();
    let curl = signed_in(&w, jars.path(), maildir.path(), ZHANG, 0).await;
    let cookie = curl.cookie("__Host-ecenter-portal").expect("signed in");

    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = documents()
        .into_iter()
        .map(|(name, bytes)| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let text = dir.path().join("起诉状（文本）.pdf");
    std::fs::write(&text, "这是一份纯文本，不是PDF。").unwrap();
    let oversized = dir.path().join("全部证据.pdf");
    std::fs::File::create(&oversized)
        .unwrap()
        .set_len(61 * MIB)
        .unwrap();
    let ready = dir.path().join("ready");
    let base = format!("https://localhost:{}", w.hub.page_addr.unwrap().port());
    let joined = |paths: &[&Path]| {
        paths
            .iter()
            .map(|p| p.to_str().unwrap())
            .collect::<Vec<_>>()
            .join(",")
    };
    let chosen = joined(
        &files
            .iter()
            .map(std::path::PathBuf::as_path)
            .collect::<Vec<_>>(),
    );
    // A photograph named .pdf (round 19, F4): a reader opening it by its name would fail.
    let photo = dir.path().join("照片.pdf");
    std::fs::write(&photo, common::seal_png()).unwrap();
    let refused = joined(&[&text, &oversized, &photo]);
    let args = [
        "--base",
        &base,
        "--cookie",
        &cookie,
        "--files",
        &chosen,
        "--refused",
        &refused,
        "--ready-file",
        ready.to_str().unwrap(),
    ];
    let (mut child, _home) = start_browser("portal_file.mjs", &args, w.pki.path());
    let filing = until_ready(&mut child, &ready, 240).await;
    court_accepts(&w, &filing, files.len()).await;
    // Waiting for the browser blocks this worker; the hub goes on serving on the others.
    let seen = tokio::task::block_in_place(|| seen(child));
    eprintln!(
        "choosing files to receipt, 50 MiB + 2 small, network cut once: {} ms",
        seen["elapsedMs"]
    );
    assert_filed(&seen, &files);

    let mut grpc = common::tls_client(w.hub.addr, w.pki.path(), "lawyer-14201202010000001").await;
    let got = grpc
        .get_filing(pb::GetFilingRequest {
            filing_id: filing.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let digests: Vec<String> = got.documents.iter().map(|d| d.sha256.clone()).collect();
    let judged: Vec<String> = files.iter().map(|p| sha256sum(p)).collect();
    assert_eq!(digests, judged, "what the hub holds is what was chosen");
    w.hub.stop().await;
}

/// The upload resumed where the hub said, and no upload's pieces went back to an earlier byte.
fn assert_resumed(seen: &serde_json::Value, files: usize) {
    let resumed = seen["resumedAt"].as_array().unwrap();
    assert!(
        resumed.iter().any(|o| o.as_u64().is_some_and(|o| o > 0)),
        "the upload resumed from the start: {seen}"
    );
    // Each upload's pieces start where the last stopped, never again from the start.
    let patches = seen["patches"].as_array().unwrap();
    let mut uploads: Vec<&str> = patches.iter().map(|p| p["url"].as_str().unwrap()).collect();
    uploads.sort_unstable();
    uploads.dedup();
    // One upload was deleted behind the page's back and sent again under a new id.
    assert_eq!(uploads.len(), files + 1, "{seen}");
    for upload in uploads {
        let offsets: Vec<u64> = patches
            .iter()
            .filter(|p| p["url"] == upload)
            .map(|p| p["offset"].as_u64().unwrap())
            .collect();
        assert!(
            offsets.windows(2).all(|w| w[0] <= w[1]),
            "{upload} was sent again from an earlier byte: {offsets:?}"
        );
    }
}

/// What choosing did before 提交: uploads under way, a changed file named, removed files deleted.
fn assert_choosing(seen: &serde_json::Value) {
    assert!(
        seen["changed"]
            .as_str()
            .unwrap()
            .contains("在选择后被改动、移动或删除"),
        "a file changed after it was chosen is named, not retried: {seen}"
    );
    assert_eq!(seen["changedRemoval"], 204, "{seen}");
    assert_eq!(seen["removal"], 204, "a removed file is deleted: {seen}");
    assert!(
        seen["piecesBeforeSubmit"].as_u64() > Some(0),
        "uploads begin when files are chosen, not at submission: {seen}"
    );
}

/// The filing whose first answer was lost: the page said it was filing again, sent the same form,
/// and the hub answered with the filing it had already made (replayed), which the receipt names.
fn assert_filed_once(seen: &serde_json::Value) {
    let lost = seen["lost"].as_array().unwrap();
    assert_eq!(lost.len(), 1, "{seen}");
    assert_eq!(lost[0]["status"], 200, "the hub filed it: {seen}");
    assert_eq!(lost[0]["body"]["replayed"], false, "{seen}");
    let first = &lost[0]["body"]["filing_id"];
    assert!(first.as_str().is_some_and(|id| !id.is_empty()), "{seen}");
    assert!(
        seen["statuses"]
            .to_string()
            .contains("网络中断，正在重新提交"),
        "the page says it files again: {seen}"
    );
    let answers = seen["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 1, "one resend reached the page: {seen}");
    assert_eq!(answers[0]["status"], 200, "{seen}");
    assert_eq!(answers[0]["body"]["replayed"], true, "{seen}");
    assert_eq!(&answers[0]["body"]["filing_id"], first, "{seen}");
    assert_eq!(&seen["filingId"], first, "the receipt's filing: {seen}");
}

/// The removed file's announcement lost its answer: the page announced it again under the same
/// key, the hub answered with the upload it had made (200, not a second 201), and the removal
/// deleted that upload.
fn assert_announced_once(seen: &serde_json::Value) {
    let announced = seen["announced"].as_array().unwrap();
    assert_eq!(announced.len(), 2, "{seen}");
    assert_eq!(announced[0]["status"], 201, "the hub made it: {seen}");
    assert_eq!(announced[1]["status"], 200, "and found it again: {seen}");
    assert!(announced[0]["id"].as_str().is_some(), "{seen}");
    assert_eq!(announced[0]["id"], announced[1]["id"], "{seen}");
    assert!(
        announced[0]["key"].as_str().is_some_and(|k| k.len() == 36),
        "{seen}"
    );
    assert_eq!(announced[0]["key"], announced[1]["key"], "{seen}");
    let id = announced[0]["id"].as_str().unwrap();
    assert!(
        seen["removedUrl"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/portal/uploads/{id}"))),
        "the removal deleted the one upload: {seen}"
    );
}

/// What Chromium saw and sent.
fn assert_filed(seen: &serde_json::Value, files: &[std::path::PathBuf]) {
    let text = |step: &str| seen[step]["text"].as_str().unwrap_or_default().to_string();
    let refusals: Vec<&str> = seen["refusals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(refusals[0].contains("不是本院接受的文件类型"), "{seen}");
    assert!(
        refusals[1].contains("超过本院单个文件上限 60.0 MB"),
        "{seen}"
    );
    assert!(
        refusals[2].contains("内容是 PNG") && refusals[2].contains("文件名却是 .pdf"),
        "{seen}"
    );
    assert_choosing(seen);
    let statuses = seen["statuses"].to_string();
    assert!(
        statuses.contains("正在重新连接") && statuses.contains("已重新连接"),
        "{seen}"
    );
    assert_resumed(seen, files.len());
    assert_filed_once(seen);
    assert_announced_once(seen);
    let overall: Vec<f64> = seen["overall"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        overall.iter().filter(|v| **v > 0.0 && **v < 1.0).count() >= 3,
        "{seen}"
    );
    assert_eq!(seen["receipt"]["title"], "签收单", "{seen}");
    for name in files
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
    {
        assert!(text("receipt").contains(name), "{name}: {seen}");
    }
    assert!(text("receipt").contains(seen["filingId"].as_str().unwrap()));
    for step in ["formPage", "receiptPhone", "formPhone"] {
        let view = &seen[step];
        assert!(
            view["scrollWidth"].as_u64() <= view["clientWidth"].as_u64(),
            "{step} scrolls sideways: {seen}"
        );
    }
    assert!(text("live").contains("已接收"), "{seen}");
    assert_eq!(seen["live"]["loads"], 0, "the page was reloaded: {seen}");
    assert!(
        seen["live"]["note"]
            .as_str()
            .unwrap()
            .contains("法院刚刚处理"),
        "{seen}"
    );
    assert_quiet(seen);
}

/// Only the refusals and console errors the steps bring about: a stale offset, the forgotten
/// upload, the cut network, and the changed file's own upload.
fn assert_quiet(seen: &serde_json::Value) {
    let failed = seen["failed"].as_array().unwrap();
    assert!(
        failed
            .iter()
            .all(|f| f["status"] == 409 || (f["status"] == 404 && f["url"] == seen["forgotten"])),
        "only a stale offset, and the forgotten upload, may be refused: {seen}"
    );
    // The file changed under its upload fails with whichever net error Chromium met first; that
    // is excused for its own upload only. Every problem is such a console error (no exception).
    let located = seen["located"].as_array().unwrap();
    let allowed = |e: &serde_json::Value| {
        let t = e["text"].as_str().unwrap();
        let file_read = [
            "ERR_UPLOAD_FILE_CHANGED",
            "ERR_FAILED",
            "ERR_FILE_NOT_FOUND",
        ];
        t.contains("ERR_INTERNET_DISCONNECTED")
            || t.contains("status of 404")
            || t.contains("status of 409")
            || (e["url"] == seen["changedUrl"] && file_read.iter().any(|f| t.contains(f)))
    };
    assert!(located.iter().all(allowed), "console errors: {seen}");
    let consoled: Vec<_> = located.iter().map(|e| &e["text"]).collect();
    assert!(
        seen["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| consoled.contains(&p)),
        "uncaught exceptions: {seen}"
    );
}
