//! `efile` for a lawyer's everyday work, as a process against a real hub over mutual TLS: the
//! court's policy (`efile policy`), a new case (网上立案) without a case number that gets one when
//! the court dockets it, a correction (补正) of a filing the court returned, and kinds outside the
//! court's list refused before anything is sent.

mod common;

use common::efile::{Lawyer, text, write};
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::event_log_service_client::EventLogServiceClient;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use tonic::transport::Channel;

/// The filing id a receipt printed (the first word like F000000000001).
fn filing_id_in(printed: &str) -> String {
    printed
        .split_whitespace()
        .find(|w| w.starts_with('F') && w.len() == 13)
        .unwrap_or_else(|| panic!("no filing id in {printed}"))
        .to_string()
}

/// The court decides every document of `id` at once (after taking it into review).
async fn decide(c: &mut FilingServiceClient<Channel>, id: &str, decision: pb::ReviewDecision) {
    c.start_review(pb::StartReviewRequest {
        filing_id: id.into(),
    })
    .await
    .unwrap();
    let filing = c
        .get_filing(pb::GetFilingRequest {
            filing_id: id.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let reason = match decision {
        pb::ReviewDecision::Accept => String::new(),
        _ => "起诉状缺少被告身份信息，请补正".to_string(),
    };
    let decisions = filing
        .documents
        .iter()
        .map(|d| pb::DocumentDecision {
            document_id: d.document_id.clone(),
            decision: decision as i32,
            reason: reason.clone(),
        })
        .collect();
    c.review_filing(pb::ReviewFilingRequest {
        filing_id: id.into(),
        decisions,
        comment: String::new(),
    })
    .await
    .unwrap();
}

fn policy_is_shown(lawyer: &Lawyer) {
    let out = lawyer.run(&["policy"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("起诉状") && shown.contains("COMPLAINT"),
        "{shown}"
    );
    let out = lawyer.run(&["policy", "--json"]);
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["filing_kinds"][0]["code"], "COMPLAINT", "{p}");
    assert_eq!(p["filing_kinds"][0]["starts_case"], true, "{p}");
    assert_eq!(p["max_documents"], 50, "{p}");
}

fn kinds_outside_the_policy_are_refused_here(lawyer: &Lawyer, doc: &std::path::Path) {
    let doc = doc.to_str().unwrap();
    let out = lawyer.run(&["submit", "--case", CASE, "--kind", "complaint letter", doc]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("起诉状 (COMPLAINT)"), "{}", text(&out));
    let out = lawyer.run(&["submit", "--new-case", "--kind", "答辩状", doc]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--case"), "{}", text(&out));
    // Neither a case, a new case nor a correction: clap says what is missing.
    let out = lawyer.run(&["submit", "--kind", "起诉状", doc]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--new-case"), "{}", text(&out));
    let out = lawyer.run(&["list", "--json"]);
    assert_eq!(out.stdout, b"[]\n", "nothing was filed: {}", text(&out));
}

/// A second correction of the same returned filing is refused while the first stands, and so is
/// withdrawing the returned filing: the court has the correction in its place (outside tests,
/// round 14b, F1: one complaint became two new cases).
fn one_correction_stands_for_a_returned_filing(
    lawyer: &Lawyer,
    files: &std::path::Path,
    returned: &str,
    correction: &str,
) {
    let again = write(files, "起诉状（再次补正）.pdf", &pdf("corrected again"));
    let again = again.to_str().unwrap();
    let out = lawyer.run(&["submit", "--corrects", returned, "--kind", "起诉状", again]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = format!("corrected already by {correction}");
    assert!(text(&out).contains(&said), "{}", text(&out));
    let out = lawyer.run(&["withdraw", returned, "--reason", "撤回原起诉状"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = format!("withdraw {correction} instead");
    assert!(text(&out).contains(&said), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_case_is_filed_returned_corrected_and_docketed_with_its_number_shown() {
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let complaint = write(files.path(), "起诉状.pdf", &pdf("new case"));
    policy_is_shown(&lawyer);
    kinds_outside_the_policy_are_refused_here(&lawyer, &complaint);

    // A new case, the kind given by its code.
    let out = lawyer.run(&[
        "submit",
        "--new-case",
        "--kind",
        "complaint",
        complaint.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(
        printed.contains("新案") && printed.contains("起诉状"),
        "{printed}"
    );
    let first = filing_id_in(&printed);
    let mut court = tls_client(hub.addr, pki.path(), "court-xiangyang-cms").await;
    decide(&mut court, &first, pb::ReviewDecision::ReturnForCorrection).await;
    let out = lawyer.run(&["status", &first]);
    assert!(text(&out).contains("请补正"), "{}", text(&out));
    // A new case reads as one, as court show and clerk filings print it (round 14b, F10).
    assert!(text(&out).contains("新案 new case"), "{}", text(&out));
    let out = lawyer.run(&["list"]);
    assert!(text(&out).contains("新案 new case"), "{}", text(&out));

    // The correction: no case number yet, the filing it corrects named.
    let corrected = write(files.path(), "起诉状（补正）.pdf", &pdf("corrected"));
    let receipt = lawyer.submit_json(&[
        "--corrects",
        &first,
        "--kind",
        "起诉状",
        corrected.to_str().unwrap(),
    ]);
    assert_eq!(receipt["new_case"], true, "{receipt}");
    let second = receipt["filing_id"].as_str().unwrap().to_string();
    let filing = court
        .get_filing(pb::GetFilingRequest {
            filing_id: second.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filing.corrects_filing_id, first);
    one_correction_stands_for_a_returned_filing(&lawyer, files.path(), &first, &second);

    // Accepted and docketed: status shows the number the court gave.
    decide(&mut court, &second, pb::ReviewDecision::Accept).await;
    court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: second.clone(),
            case_number: "（2026）鄂06民初777号".into(),
        })
        .await
        .unwrap();
    let out = lawyer.run(&["status", &second]);
    assert!(
        text(&out).contains("（2026）鄂06民初777号"),
        "{}",
        text(&out)
    );
    // The receipt asked for again is the receipt as issued: a new case, no number yet — the
    // number docketing gave is the status's (outside tests, round 14b, F3).
    let out = lawyer.run(&["receipt", &second, "--json"]);
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["case_number"], serde_json::Value::Null, "{receipt}");
    assert_eq!(receipt["new_case"], true, "{receipt}");

    // Evidence in the docketed case, by the kind's code.
    let evidence = write(files.path(), "证据.pdf", &pdf("evidence"));
    let receipt = lawyer.submit_json(&[
        "--case",
        "（2026）鄂06民初777号",
        "--kind",
        "EVIDENCE",
        evidence.to_str().unwrap(),
    ]);
    assert_eq!(receipt["filing_kind"], "证据材料", "{receipt}");
    assert_eq!(receipt["case_number"], "（2026）鄂06民初777号", "{receipt}");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_development_hub_efile_and_court_log_in_as_an_identity_and_work() {
    let data = tempfile::tempdir().unwrap();
    let hub = TestHub::start(data.path()).await;
    let addr = hub.addr.to_string();
    let lawyer = Lawyer::new();
    // Only a lawyer's identity, and only with --dev.
    let out = lawyer.run(&["login", "--hub", &addr, "--dev", "--as", COURT]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("urn:ecenter:lawyer:"), "{}", text(&out));
    let out = lawyer.run(&["login", "--hub", &addr, "--as", LAWYER_A]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = lawyer.run(&["login", "--hub", &addr, "--dev", "--as", LAWYER_A]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("development hub"), "{}", text(&out));
    let out = lawyer.run(&["whoami", "--json"]);
    let who: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(who["identity"], LAWYER_A, "{who}");

    let files = tempfile::tempdir().unwrap();
    let complaint = write(files.path(), "起诉状.pdf", &pdf("dev hub"));
    let receipt = lawyer.submit_json(&[
        "--new-case",
        "--kind",
        "起诉状",
        complaint.to_str().unwrap(),
    ]);
    assert_eq!(receipt["submitter"], LAWYER_A, "{receipt}");

    // The court's tool on the same development hub sees it waiting.
    let court_home = tempfile::tempdir().unwrap();
    let court = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_court"))
            .args(args)
            .env_remove("COURT_CONFIG")
            .env("HOME", court_home.path())
            .env("XDG_CONFIG_HOME", court_home.path().join("config"))
            .output()
            .unwrap()
    };
    let out = court(&["login", "--hub", &addr, "--dev", "--as", COURT]);
    assert!(out.status.success(), "{}", text(&out));
    let out = court(&["queue", "立案庭"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(receipt["filing_id"].as_str().unwrap()),
        "{}",
        text(&out)
    );
    a_clerk_exports_from_a_development_hub_signing_with_a_key_given(&lawyer, &addr, files.path());
    hub.stop().await;
}

/// Outside tests, round 22, F7: `clerk export` against a development hub had no way to name a
/// signing key — each of three refusals pointed elsewhere. A development login names the one way
/// (--sign-cert/--sign-key); with it the manifest is signed and openssl verifies it.
fn a_clerk_exports_from_a_development_hub_signing_with_a_key_given(
    lawyer: &Lawyer,
    addr: &str,
    files: &std::path::Path,
) {
    let case = "（2026）鄂06民初778号";
    let evidence = write(files, "证据.pdf", &pdf("dev evidence"));
    let args = [
        "--case",
        case,
        "--kind",
        "证据材料",
        evidence.to_str().unwrap(),
    ];
    lawyer.submit_json(&args);
    let home = tempfile::tempdir().unwrap();
    let clerk = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
            .args(args)
            .env_remove("CLERK_CONFIG")
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .output()
            .unwrap()
    };
    let login = [
        "login",
        "--hub",
        addr,
        "--dev",
        "--as",
        "urn:ecenter:clerk:c0001",
    ];
    assert!(clerk(&login).status.success());
    let out_dir = home.path().join("export");
    let out = clerk(&["export", "--case", case, "--out", out_dir.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("give --sign-cert and --sign-key"),
        "{}",
        text(&out)
    );
    assert!(!out_dir.exists(), "nothing written");
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let (cert, key) = (
        pki.path().join("clients/clerk-c0001.pem"),
        pki.path().join("clients/clerk-c0001.key"),
    );
    let out = clerk(&[
        "export",
        "--case",
        case,
        "--out",
        out_dir.to_str().unwrap(),
        "--sign-cert",
        cert.to_str().unwrap(),
        "--sign-key",
        key.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let manifest = std::fs::read(out_dir.join("manifest.json")).unwrap();
    let signature = std::fs::read(out_dir.join("manifest.p7s")).unwrap();
    assert!(common::service::openssl_verifies(
        pki.path(),
        &manifest,
        &signature
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_the_court_did_not_issue_is_named_with_its_own_exit_code() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    ecenter_pki::init(elsewhere.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls(data.path(), pki.path()).await;
    let lawyer = Lawyer::new();
    let stem = "lawyer-14201202010000001";
    let out = lawyer.run(&[
        "login",
        "--hub",
        &hub.addr.to_string(),
        "--ca",
        pki.path().join("root-ca.pem").to_str().unwrap(),
        "--cert",
        elsewhere
            .path()
            .join(format!("clients/{stem}.pem"))
            .to_str()
            .unwrap(),
        "--key",
        elsewhere
            .path()
            .join(format!("clients/{stem}.key"))
            .to_str()
            .unwrap(),
        "--server-name",
        "localhost",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("does not accept your certificate"),
        "{}",
        text(&out)
    );
    assert_eq!(
        lawyer.run(&["list"]).status.code(),
        Some(2),
        "nothing was saved"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_takes_the_case_of_the_filing_it_corrects_and_no_other() {
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let evidence = write(files.path(), "证据.pdf", &pdf("evidence, unreadable"));
    let receipt = lawyer.submit_json(&[
        "--case",
        CASE,
        "--kind",
        "证据材料",
        evidence.to_str().unwrap(),
    ]);
    let first = receipt["filing_id"].as_str().unwrap().to_string();
    let mut court = tls_client(hub.addr, pki.path(), "court-xiangyang-cms").await;
    decide(&mut court, &first, pb::ReviewDecision::ReturnForCorrection).await;

    let better = write(files.path(), "证据（清晰）.pdf", &pdf("evidence, readable"));
    let better = better.to_str().unwrap();
    // Not a new case, and not another case.
    let out = lawyer.run(&[
        "submit",
        "--corrects",
        &first,
        "--new-case",
        "--kind",
        "证据材料",
        better,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let other = "（2026）鄂06民初999号";
    let out = lawyer.run(&[
        "submit",
        "--corrects",
        &first,
        "--case",
        other,
        "--kind",
        "证据材料",
        better,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("a correction carries that case number"),
        "{}",
        text(&out)
    );
    // Without --case: the case of the filing corrected.
    let receipt = lawyer.submit_json(&["--corrects", &first, "--kind", "证据材料", better]);
    assert_eq!(receipt["case_number"], CASE, "{receipt}");
    let out = lawyer.run(&["list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "the refused attempt filed nothing: {listed}"
    );
    hub.stop().await;
}

/// The log's last entry as a clerk's client reads it over mTLS.
async fn log_head(hub: std::net::SocketAddr, pki: &std::path::Path) -> u64 {
    let mut log = EventLogServiceClient::new(channel_as(hub, pki, "clerk-c0001").await);
    let head = log.get_chain_head(pb::GetChainHeadRequest {}).await;
    head.unwrap().into_inner().seq
}

/// `efile withdraw`: a lawyer withdraws (撤回) a filing the court has not decided on, with a
/// reason the court's log keeps; its documents then read as never reviewed, not 待审查; the
/// same withdrawal again records nothing; no reason, or a filing already decided, is refused
/// with exit code 1 and the hub's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_withdraws_a_filing_the_court_has_not_decided() {
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let evidence = write(files.path(), "证据一.pdf", &pdf("evidence to withdraw"));
    let evidence = evidence.to_str().unwrap();
    let receipt = lawyer.submit_json(&["--case", CASE, "--kind", "证据材料", evidence]);
    let first = receipt["filing_id"].as_str().unwrap().to_string();
    let out = lawyer.run(&["withdraw", &first, "--reason", " "]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("reason"), "{}", text(&out));
    let out = lawyer.run(&["withdraw", &first, "--reason", "证据提交有误，撤回"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    for said in ["已撤回", "撤回理由: 证据提交有误，撤回", "未审查（已撤回）"]
    {
        assert!(shown.contains(said), "{said} in {shown}");
    }
    assert!(!shown.contains("待审查"), "{shown}");
    let before = log_head(hub.addr, pki.path()).await;
    let out = lawyer.run(&[
        "withdraw",
        &first,
        "--reason",
        "证据提交有误，撤回",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let f: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(f["state"], "CANCELLED", "{f}");
    assert_eq!(f["withdrawal_reason"], "证据提交有误，撤回", "{f}");
    // For scripts too a withdrawn filing's documents are not pending (round 14b, F4).
    assert_eq!(f["documents"][0]["status"], "WITHDRAWN", "{f}");
    assert_eq!(
        f["documents"][0]["status_label"],
        "not reviewed, withdrawn 未审查（已撤回）"
    );
    assert_eq!(
        log_head(hub.addr, pki.path()).await,
        before,
        "a retry records nothing"
    );
    // A filing the court has decided on is the court's: withdrawing it is refused.
    let other = write(files.path(), "证据二.pdf", &pdf("evidence the court took"));
    let other = other.to_str().unwrap();
    let receipt = lawyer.submit_json(&["--case", CASE, "--kind", "证据材料", other]);
    let second = receipt["filing_id"].as_str().unwrap().to_string();
    let mut court = tls_client(hub.addr, pki.path(), "court-xiangyang-cms").await;
    decide(&mut court, &second, pb::ReviewDecision::Accept).await;
    let out = lawyer.run(&["withdraw", &second, "--reason", "撤回"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("accepted"), "{}", text(&out));
    hub.stop().await;
}
