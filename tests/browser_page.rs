//! The recipients' page in a real browser: Debian's Chromium, driven by playwright-core from
//! tests/browser, opens the link of a real service notice (sent to aiosmtpd) over HTTPS — the
//! page's certificate checked against the development root in an NSS database, no errors ignored —
//! at desktop and at phone width (390 px), and the recipient confirms reading with the keyboard
//! alone. The hub then shows service effective under art. 31. Screenshots are kept under
//! `<target>/test-artefacts/browser/`. Needs `npm ci` in tests/browser and /usr/bin/chromium
//! (scripts/test installs both).

mod common;

use common::browser::{artefacts, seen, start_browser};
use common::service::*;
use common::smtp::{received, start_aiosmtpd};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use std::path::Path;

/// Runs tests/browser/recipient_page.mjs on `link`; returns what it saw.
fn browse(link: &str, pki: &Path) -> serde_json::Value {
    let (child, _home) = start_browser("recipient_page.mjs", &["--link", link], pki);
    seen(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_reads_and_confirms_on_a_phone_in_chromium_with_the_keyboard_alone() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let basis = pb::AddressBasis::Discovered;
    let ordered = serve_one(
        &court,
        "browser-1",
        &document,
        "张三",
        "zhangsan@example.cn",
        basis,
    );
    let order_id = ordered.await.order_id;
    let mail = until(30, "the notice e-mail", || async {
        received(maildir.path()).into_iter().next()
    })
    .await;
    let link = link_in(mail["body"].as_str().unwrap());

    let seen = tokio::task::block_in_place(|| browse(&link, w.pki.path()));
    assert_eq!(seen["status"], 200, "{seen}");
    assert_eq!(
        seen["problems"],
        serde_json::json!([]),
        "console errors: {seen}"
    );
    let csp = seen["csp"].as_str().unwrap_or_default();
    assert!(csp.contains("default-src 'none'"), "{seen}");
    for width in ["desktop", "phone"] {
        let view = &seen[width];
        assert_eq!(view["lang"], "zh-CN", "{seen}");
        assert!(view["title"].as_str().unwrap().contains("送达"), "{seen}");
        assert_eq!(view["confirmButton"], true, "{seen}");
        assert_eq!(view["documents"].as_array().unwrap().len(), 1, "{seen}");
    }
    // Readable at 390 px: nothing wider than the screen, so no sideways scrolling.
    let phone = &seen["phone"];
    assert!(
        phone["scrollWidth"].as_u64().unwrap() <= phone["clientWidth"].as_u64().unwrap(),
        "the page scrolls sideways at 390 px: {phone}"
    );
    assert!(
        seen["tabPresses"].as_i64().unwrap() > 0,
        "no keyboard path to the button: {seen}"
    );
    assert_eq!(seen["confirmed"]["title"], "已确认阅读", "{seen}");

    let mut court = court;
    let s = status(&mut court, &order_id, "R1").await;
    let effective = s
        .effective
        .expect("effective after the browser's confirmation");
    assert_eq!(effective.rule, "recipient_confirmed_reading");
    for shot in ["recipient-page-desktop.png", "recipient-page-phone.png"] {
        let png = std::fs::read(artefacts().join(shot)).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{shot} is not a PNG");
    }
    drop(smtp);
    w.hub.stop().await;
}

/// The code in the first sign-in mail at `maildir`, if one arrives within 120 s (Chromium starts,
/// loads and tabs through the page first, sharing two cores with another test).
async fn sign_in_code(maildir: &Path) -> Option<String> {
    for _ in 0..1200 {
        let mail = received(maildir).into_iter().find(|m| {
            m["subject"]
                .as_str()
                .unwrap_or_default()
                .contains("登录验证码")
        });
        if let Some(mail) = mail {
            let body = mail["body"].as_str().unwrap().to_string();
            let code = body
                .lines()
                .map(str::trim)
                .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()));
            return Some(
                code.unwrap_or_else(|| panic!("no code in {body}"))
                    .to_string(),
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}

/// The session cookie is out of scripts' reach, HTTPS only, and not sent with other sites' POSTs.
fn assert_session_cookie(seen: &serde_json::Value) {
    assert_eq!(seen["homePage"]["scriptCookies"], "", "{seen}");
    let cookies = seen["cookies"].as_array().unwrap();
    let session = cookies
        .iter()
        .find(|c| c["name"] == "__Host-ecenter-portal")
        .unwrap_or_else(|| panic!("no session cookie: {seen}"));
    assert_eq!(session["httpOnly"], true, "{seen}");
    assert_eq!(session["secure"], true, "{seen}");
    assert_eq!(session["sameSite"], "Lax", "{seen}");
}

/// What Chromium saw on the portal: the headers, every page in Chinese and within 390 px, a
/// keyboard path through each step, the session cookie's attributes, the forged form refused.
fn assert_portal_seen(seen: &serde_json::Value) {
    assert_eq!(seen["status"], 200, "{seen}");
    // The only failed load is the forged form's refusal; no other console error (a CSP violation
    // would be one).
    let failed = seen["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{seen}");
    assert!(
        failed[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/portal/sign-out"),
        "{seen}"
    );
    let problems: Vec<&serde_json::Value> = seen["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p.as_str().unwrap().contains("status of 403"))
        .collect();
    assert!(problems.is_empty(), "console errors: {seen}");
    let csp = seen["csp"].as_str().unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{seen}"
    );
    assert!(
        seen["hsts"]
            .as_str()
            .unwrap_or_default()
            .contains("max-age="),
        "{seen}"
    );
    for step in [
        "signInPage",
        "codePage",
        "homePage",
        "filingsPage",
        "signedOut",
    ] {
        let view = &seen[step];
        assert_eq!(view["lang"], "zh-CN", "{step}: {seen}");
        assert!(
            view["scrollWidth"].as_u64().unwrap() <= view["clientWidth"].as_u64().unwrap(),
            "{step} scrolls sideways at 390 px: {view}"
        );
    }
    for (step, presses) in seen["presses"].as_object().unwrap() {
        assert!(
            presses.as_i64().unwrap() > 0,
            "no keyboard path in {step}: {seen}"
        );
    }
    assert!(
        seen["codePage"]["text"]
            .as_str()
            .unwrap()
            .contains("z***@chutian-law.cn"),
        "{seen}"
    );
    assert_eq!(seen["homePage"]["title"], "我的诉讼服务", "{seen}");
    assert!(
        seen["homePage"]["text"]
            .as_str()
            .unwrap()
            .contains("张明律师，您好"),
        "{seen}"
    );
    assert_session_cookie(seen);
    assert_eq!(seen["forged"]["title"], "表单已失效", "{seen}");
    assert!(
        seen["stillIn"]["text"]
            .as_str()
            .unwrap()
            .contains("您已登录"),
        "{seen}"
    );
    assert!(
        seen["signedOut"]["alert"]
            .as_str()
            .unwrap()
            .contains("您已退出登录"),
        "{seen}"
    );
}

/// A filing of the lawyer's, already under review, and the court's client: its page will show
/// the decision live.
async fn filing_under_review(
    w: &World,
) -> (String, FilingServiceClient<tonic::transport::Channel>) {
    let mut lawyer = common::tls_client(w.hub.addr, w.pki.path(), "lawyer-14201202010000001").await;
    let docs: &[(&str, &[u8])] = &[("答辩状.pdf", &common::pdf("defence"))];
    let filing = common::file_documents(&mut lawyer, "browser-live-1", "答辩状", docs).await;
    let mut court = FilingServiceClient::new(
        common::channel_as(w.hub.addr, w.pki.path(), "court-xiangyang-cms").await,
    );
    let under_review = pb::StartReviewRequest {
        filing_id: filing.clone(),
    };
    court.start_review(under_review).await.unwrap();
    (filing, court)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_signs_in_to_the_portal_on_a_phone_with_the_keyboard_and_a_mailed_code() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let zhang = (
        "urn:ecenter:lawyer:14201202010000001",
        "14201202010000001",
        "zhang@chutian-law.cn",
    );
    common::portal::list(&w, zhang.0, zhang.1, zhang.2).await;
    let (filing, mut court) = filing_under_review(&w).await;
    let base = format!("https://localhost:{}", w.hub.page_addr.unwrap().port());
    let handover = tempfile::tempdir().unwrap();
    let (code_file, ready_file) = (handover.path().join("code"), handover.path().join("ready"));
    let args = [
        "--base",
        &base,
        "--licence",
        zhang.1,
        "--code-file",
        code_file.to_str().unwrap(),
        "--filing",
        &filing,
        "--ready-file",
        ready_file.to_str().unwrap(),
    ];
    let (child, _home) = start_browser("portal_sign_in.mjs", &args, w.pki.path());
    let Some(code) = sign_in_code(maildir.path()).await else {
        let mut child = child;
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        panic!(
            "no code was mailed; the browser printed {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(handover.path().join("code.tmp"), &code).unwrap();
    std::fs::rename(handover.path().join("code.tmp"), &code_file).unwrap();
    let mut child = child;
    common::browser::until_ready(&mut child, &ready_file, 120).await;
    let accept = pb::ReviewFilingRequest {
        filing_id: filing.clone(),
        decisions: vec![pb::DocumentDecision {
            document_id: "D1".into(),
            decision: pb::ReviewDecision::Accept as i32,
            reason: String::new(),
        }],
        comment: "材料齐全，予以接收".into(),
    };
    court.review_filing(accept).await.unwrap();
    let seen = tokio::task::block_in_place(|| seen(child));
    assert_portal_seen(&seen);
    // The decision arrived on the open page without a reload, announced in the live region.
    let live = &seen["live"];
    assert!(
        live["before"]["text"].as_str().unwrap().contains("审查中"),
        "{live}"
    );
    let after = live["after"]["text"].as_str().unwrap();
    assert!(
        after.contains("已接收") && after.contains("材料齐全，予以接收"),
        "{live}"
    );
    assert!(after.contains("以上状态已更新"), "{live}");
    assert_eq!(live["loads"], 0, "the page reloaded: {live}");
    for shot in [
        "portal-sign-in-phone.png",
        "portal-home-phone.png",
        "portal-home-desktop.png",
    ] {
        let png = std::fs::read(artefacts().join(shot)).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{shot} is not a PNG");
    }
    drop(smtp);
    w.hub.stop().await;
}
