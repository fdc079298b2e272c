//! Passkeys in a real browser: Debian's Chromium, with its virtual WebAuthn authenticator (CTAP2,
//! resident keys, user verification), adds a passkey for a lawyer signed in with a mailed code and
//! signs in with it over HTTPS (the certificate checked against the development root); then what
//! must fail does — a signature altered on the way, the same assertion sent again, a copied
//! authenticator whose counter is behind, a passkey the lawyer removed — each with its message in
//! Chinese on the page and its event in the log. The hub's verifier thus meets CBOR, COSE_Key and
//! ECDSA signatures made by Chromium, not by the hub. Needs `npm ci` in tests/browser and
//! /usr/bin/chromium (scripts/test installs both).

mod common;

use base64::Engine;
use common::browser::{artefacts, seen, start_browser};
use common::portal::COURT_STEM;
use common::service::*;
use common::smtp::start_aiosmtpd;
use common::*;

const ZHANG: (&str, &str, &str) = (
    "urn:ecenter:lawyer:14201202010000001",
    "14201202010000001",
    "zhang@chutian-law.cn",
);

/// The passkey events of the log: (kind, detail JSON).
async fn passkey_events(w: &World) -> Vec<(String, String)> {
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await,
    );
    all_entries(&mut log)
        .await
        .into_iter()
        .filter(|e| e.kind.starts_with("passkey") || e.detail_json.contains("\"passkey\""))
        .map(|e| (e.kind, e.detail_json))
        .collect()
}

/// Runs the browser script while handing it the code caught at aiosmtpd.
async fn run_browser(w: &World, maildir: &std::path::Path) -> serde_json::Value {
    let base = format!("https://localhost:{}", w.hub.page_addr.unwrap().port());
    let handover = tempfile::tempdir().unwrap();
    let code_file = handover.path().join("code");
    let args = [
        "--base",
        &base,
        "--licence",
        ZHANG.1,
        "--code-file",
        code_file.to_str().unwrap(),
    ];
    let (child, _home) = start_browser("portal_passkey.mjs", &args, w.pki.path());
    let code = common::portal::code_for(maildir, ZHANG.2, 0).await;
    std::fs::write(handover.path().join("code.tmp"), &code).unwrap();
    std::fs::rename(handover.path().join("code.tmp"), &code_file).unwrap();
    tokio::task::block_in_place(|| seen(child))
}

fn text(seen: &serde_json::Value, step: &str) -> String {
    let s = &seen[step];
    format!("{} {}", s["text"].as_str().unwrap_or_default(), s["status"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_adds_a_passkey_in_chromium_and_signs_in_with_it_and_forgeries_fail() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    common::portal::list(&w, ZHANG.0, ZHANG.1, ZHANG.2).await;
    let seen = run_browser(&w, maildir.path()).await;

    assert!(text(&seen, "signedIn").contains("您已登录"), "{seen}");
    let added = &seen["added"];
    assert!(
        added["before"]["text"]
            .as_str()
            .unwrap()
            .contains("您还没有添加通行密钥"),
        "{seen}"
    );
    let after = added["after"]["text"].as_str().unwrap();
    assert!(
        after.contains("办公室电脑") && after.contains("最近使用：尚未使用"),
        "{seen}"
    );
    assert!(
        seen["phone"]["scrollWidth"].as_u64() <= seen["phone"]["clientWidth"].as_u64(),
        "{seen}"
    );
    let registered = &seen["registered"];
    assert_eq!(registered["rpId"], "localhost", "{seen}");
    assert_eq!(registered["isResidentKey"], true, "{seen}");

    assert!(
        text(&seen, "tampered").contains("通行密钥验证失败"),
        "{seen}"
    );
    assert!(text(&seen, "first").contains("您已登录"), "{seen}");
    assert_eq!(seen["replay"]["status"], 401, "{seen}");
    let replayed = seen["replay"]["body"]["error"].as_str().unwrap();
    assert!(replayed.contains("已使用过"), "{seen}");
    assert!(text(&seen, "cloned").contains("签名计数异常"), "{seen}");
    assert!(text(&seen, "again").contains("您已登录"), "{seen}");
    assert!(
        text(&seen, "removedPage").contains("您还没有添加通行密钥"),
        "{seen}"
    );
    assert!(
        text(&seen, "afterRemoval").contains("此通行密钥已被删除"),
        "{seen}"
    );
    assert_eq!(seen["problems"], serde_json::json!([]), "{seen}");

    // The log: the key Chromium made, two sign-ins with it, four refusals, the removal.
    let standard = base64::engine::general_purpose::STANDARD;
    let raw = standard
        .decode(registered["credentialId"].as_str().unwrap())
        .unwrap();
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let events = passkey_events(&w).await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "passkey_registered",
            "sign_in_refused",
            "signed_in",
            "sign_in_refused",
            "sign_in_refused",
            "signed_in",
            "passkey_removed",
            "sign_in_refused"
        ],
        "{events:?}"
    );
    assert!(events.iter().all(|(_, d)| d.contains(&id)), "{events:?}");
    assert!(events[0].1.contains("\"algorithm\":-7"), "{events:?}");
    for shot in ["portal-passkeys-desktop.png", "portal-passkeys-phone.png"] {
        let png = std::fs::read(artefacts().join(shot)).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{shot}");
    }
    drop(smtp);
    w.hub.stop().await;
}
