//! `court`, the review tool of a court without a case-management system, as a process against a
//! real hub over mutual TLS: log in with the court's certificate (a lawyer's is refused), see a
//! new case in 立案庭's queue, take it into review, return one document for correction with a
//! reason the lawyer reads in `efile status`, accept the correction, docket it with the case
//! number, and seal the filed PDF — the sealed copy checked by poppler's pdfsig.

mod common;

use common::court::Court;
use common::efile::{Lawyer, text, write};
use common::pdf::{nss_trusting, path, pdfsig, python_tool};
use common::*;
use std::path::Path;

fn queue_of(court: &Court, department: &str) -> Vec<serde_json::Value> {
    let out = court.run(&["queue", department, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn lawyer_files_a_new_case(lawyer: &Lawyer, dir: &Path) -> String {
    let complaint = write(dir, "起诉状.pdf", &pdf("complaint"));
    let id_card = write(dir, "身份证明.pdf", &pdf("identity"));
    let receipt = lawyer.submit_json(&[
        "--new-case",
        "--kind",
        "起诉状",
        complaint.to_str().unwrap(),
        id_card.to_str().unwrap(),
    ]);
    receipt["filing_id"].as_str().unwrap().to_string()
}

/// Refusals the tool explains: a wrong department (the hub lists the right ones), a refusal
/// without its reason, a document left undecided.
fn mistakes_are_named(court: &Court, filing: &str) {
    let out = court.run(&["queue", "信访办"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("立案庭"), "{}", text(&out));
    let out = court.run(&["decide", filing, "D1=reject"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("reason"), "{}", text(&out));
    let out = court.run(&["decide", filing, "D1=accept"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("D2 has no decision"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_court_reviews_returns_accepts_dockets_and_seals_with_the_court_tool() {
    let (pki, _data, hub) = tls_world().await;
    let court = Court {
        home: tempfile::tempdir().unwrap(),
    };
    let out = court.login(hub.addr, pki.path(), "lawyer-14201202010000001");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("not a court system's"),
        "{}",
        text(&out)
    );
    let out = court.login(hub.addr, pki.path(), "court-xiangyang-cms");
    assert!(out.status.success(), "{}", text(&out));

    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let first = lawyer_files_a_new_case(&lawyer, files.path());
    let waiting = queue_of(&court, "立案庭");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["filing_id"], first.as_str());
    assert!(waiting[0]["case_number"].is_null(), "{waiting:?}");
    let out = court.run(&["queue", "立案庭"]);
    assert!(
        text(&out).contains("新案") && text(&out).contains(&first),
        "{}",
        text(&out)
    );

    assert!(court.run(&["start", &first]).status.success());
    mistakes_are_named(&court, &first);
    let out = court.run(&[
        "decide",
        &first,
        "D2=return:身份证明不清晰，请重新扫描",
        "--all",
        "accept",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = lawyer.run(&["status", &first]);
    assert!(text(&out).contains("身份证明不清晰"), "{}", text(&out));

    let second = the_correction_is_accepted_and_docketed(&court, &lawyer, files.path(), &first);
    the_filed_pdf_is_sealed_and_pdfsig_trusts_it(&court, pki.path(), &second).await;
    the_filed_ofd_is_sealed_and_an_ofd_reader_checks_it(&court, &lawyer, files.path());
    hub.stop().await;
}

/// The lawyer corrects `first`; the court accepts the correction and dockets it with the number
/// it gives. Returns the correction's filing id.
fn the_correction_is_accepted_and_docketed(
    court: &Court,
    lawyer: &Lawyer,
    files: &Path,
    first: &str,
) -> String {
    // The correction, accepted and docketed with the number the court gives.
    let better = write(files, "身份证明（重扫）.pdf", &pdf("identity, rescanned"));
    let receipt = lawyer.submit_json(&[
        "--corrects",
        first,
        "--kind",
        "身份证明材料",
        better.to_str().unwrap(),
    ]);
    let second = receipt["filing_id"].as_str().unwrap().to_string();
    assert!(court.run(&["start", &second]).status.success());
    assert!(
        court
            .run(&["decide", &second, "--all", "accept"])
            .status
            .success()
    );
    let out = court.run(&["docket", &second, "--case", "（2026）鄂06民初901号"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("已立案"), "{}", text(&out));
    let out = court.run(&["show", &second, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["case_number"], "（2026）鄂06民初901号", "{shown}");
    assert_eq!(shown["state"], "DOCKETED", "{shown}");
    assert_eq!(shown["corrects_filing_id"], first, "{shown}");
    assert!(
        queue_of(court, "立案庭")
            .iter()
            .all(|f| f["filing_id"] != second.as_str())
    );
    second
}

async fn the_filed_pdf_is_sealed_and_pdfsig_trusts_it(court: &Court, pki: &Path, filing: &str) {
    // The seal made with the court tool itself (round 20, M3): a picture that is no PNG is a
    // mistake named; listed in the registry once made.
    let picture = court.home.path().join("seal.png");
    std::fs::write(&picture, seal_png()).unwrap();
    let not_png = court.home.path().join("seal.jpg");
    std::fs::write(&not_png, b"\xFF\xD8\xFF\xE0").unwrap();
    let create = |picture: &Path| {
        court.run(&[
            "seals",
            "create",
            "4206-LAT-01",
            "--name",
            "襄阳市中级人民法院立案专用章",
            "--picture",
            picture.to_str().unwrap(),
            "--json",
        ])
    };
    let out = create(&not_png);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a PNG"), "{}", text(&out));
    let out = create(&picture);
    assert!(out.status.success(), "{}", text(&out));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(made[0]["seal_id"], "4206-LAT-01", "{made}");
    assert!(
        made[0]["valid_to"].as_str().unwrap().ends_with("+08:00"),
        "{made}"
    );
    let out = court.run(&["seals", "list"]);
    assert!(
        text(&out).contains("4206-LAT-01") && text(&out).contains("襄阳市中级人民法院立案专用章"),
        "{}",
        text(&out)
    );
    let out = court.run(&[
        "seal",
        filing,
        "D1",
        "--seal",
        "4206-LAT-01",
        "--out",
        "sealed.pdf",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("S1"), "{}", text(&out));
    let sealed = court.home.path().join("sealed.pdf");
    let nss = tempfile::tempdir().unwrap();
    let report = pdfsig(&nss_trusting(pki, nss.path()), &sealed);
    assert!(
        report.contains("Signature is Valid") && report.contains("Certificate is Trusted"),
        "{report}"
    );
    // A seal the registry does not hold is refused by the hub, exit 1.
    let out = court.run(&["seal", filing, "D1", "--seal", "NO-SUCH-SEAL"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_court_keeps_its_directory_of_lawyers_with_the_court_tool() {
    let (pki, _data, hub) = tls_world().await;
    let court = Court::new();
    let out = court.login(hub.addr, pki.path(), "court-xiangyang-cms");
    assert!(out.status.success(), "{}", text(&out));
    let zhang = "urn:ecenter:lawyer:14201202010000001";
    let entry = |phone: &str| {
        let mut args = lawyer_set(zhang);
        args.extend(["--phone", phone, "--email", "zhang@chutian-law.cn"]);
        court.run(&args)
    };
    let bad = entry("0710-3456789");
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(text(&bad).contains("lawyer.phone"), "{}", text(&bad));
    let listed = entry("13800138000");
    assert!(listed.status.success(), "{}", text(&listed));
    assert!(text(&listed).contains("已登记"), "{}", text(&listed));
    assert!(text(&entry("13800138000")).contains("未变更"));
    let out = court.run(&["lawyer", "list", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["licence_number"], "14201202010000001");
    assert_eq!(rows[0]["law_firm"], "湖北楚天律师事务所");
    let table = text(&court.run(&["lawyer", "list"]));
    assert!(
        table.contains("张明")
            && table.contains("13800138000")
            && table.contains("zhang@chutian-law.cn"),
        "{table}"
    );
    // The lawyer sees where the court sends their portal codes.
    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let who: serde_json::Value =
        serde_json::from_slice(&lawyer.run(&["whoami", "--json"]).stdout).unwrap();
    assert_eq!(who["directory"]["law_firm"], "湖北楚天律师事务所");
    assert!(text(&lawyer.run(&["whoami"])).contains("13800138000"));
    // Where the lawyer's portal codes stand, and a lift with nothing counted records nothing.
    let shown = court.run(&["lawyer", "show", zhang, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["sign_in"]["stopped"], false, "{shown}");
    assert_eq!(shown["sign_in"]["wrong_codes_today"], 0, "{shown}");
    let out = court.run(&["lawyer", "lift-stop", zhang]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--reason is required: {}",
        text(&out)
    );
    let out = court.run(&["lawyer", "lift-stop", zhang, "--reason", "律师来电"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("无需解除"), "{}", text(&out));
    an_email_only_entry_is_enough(&court, zhang);
    let out = court.run(&["lawyer", "remove", zhang, "--reason", "注销执业证"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = court.run(&["lawyer", "show", zhang]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("律师名录中没有该律师"),
        "{}",
        text(&out)
    );
    let who = lawyer.run(&["whoami"]);
    assert!(who.status.success(), "{}", text(&who));
    assert!(
        text(&who).contains("尚未登记在法院律师名录"),
        "{}",
        text(&who)
    );
    hub.stop().await;
}

/// `court lawyer set` for 张明 as `zhang`, before the addresses.
fn lawyer_set(zhang: &str) -> Vec<&str> {
    vec![
        "lawyer",
        "set",
        zhang,
        "--name",
        "张明",
        "--licence",
        "14201202010000001",
        "--firm",
        "湖北楚天律师事务所",
    ]
}

/// A court without SMS lists an e-mail only; a lawyer with neither cannot receive a code (exit 2,
/// naming the flags).
fn an_email_only_entry_is_enough(court: &Court, zhang: &str) {
    let mut email_only = lawyer_set(zhang);
    email_only.extend(["--email", "zhang@chutian-law.cn"]);
    let out = court.run(&email_only);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("验证码发送至: zhang@chutian-law.cn\n"),
        "{}",
        text(&out)
    );
    let shown = court.run(&["lawyer", "show", zhang, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["phone"], "", "{shown}");
    let out = court.run(&email_only[..email_only.len() - 2]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--phone"), "{}", text(&out));
}

/// Outside tests, round 21, F6: `court seal` sent every document to SealPdf, whose refusal of an
/// OFD pointed at ApplySeal. An OFD made by Python's zipfile, filed by the lawyer, is sealed with
/// SealOfd and saved as .ofd; the OFD reader of tests/python (zipfile, ElementTree, asn1crypto,
/// cryptography) finds every reference, the seal and the signature valid.
fn the_filed_ofd_is_sealed_and_an_ofd_reader_checks_it(court: &Court, lawyer: &Lawyer, dir: &Path) {
    let made = dir.join("判决书.ofd");
    python_tool("ofd_tools.py", &["plain", path(&made), "2"]);
    let receipt = lawyer.submit_json(&[
        "--case",
        "（2026）鄂06民初901号",
        "--kind",
        "证据材料",
        path(&made),
    ]);
    let filing = receipt["filing_id"].as_str().unwrap();
    let out = court.run(&["seal", filing, "D1", "--seal", "4206-LAT-01"]);
    assert!(out.status.success(), "{}", text(&out));
    let sealed = court.home.path().join(format!("{filing}-S1.ofd"));
    let judged: serde_json::Value =
        serde_json::from_str(&python_tool("ofd_tools.py", &["verify", path(&sealed)])).unwrap();
    assert_eq!(judged[0]["valid"], true, "{judged}");
}
