//! The recipients' page in a real browser: Debian's Chromium, driven by playwright-core from
//! tests/browser, opens the link of a real service notice (sent to aiosmtpd) over HTTPS — the
//! page's certificate checked against the development root in an NSS database, no errors ignored —
//! at desktop and at phone width (390 px), and the recipient confirms reading with the keyboard
//! alone. The hub then shows service effective under art. 31. Screenshots are kept under
//! `<target>/test-artefacts/browser/`. Needs `npm ci` in tests/browser and /usr/bin/chromium
//! (scripts/test installs both).

mod common;

use common::pdf::nss_trusting;
use common::service::*;
use common::smtp::{received, start_aiosmtpd};
use ecenter_proto::v1 as pb;
use std::path::{Path, PathBuf};

/// Where the browser tests leave their screenshots.
fn artefacts() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let dir = target.join("test-artefacts/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs tests/browser/recipient_page.mjs on `link` with a HOME whose NSS database trusts `pki`'s
/// root; returns what it saw.
fn browse(link: &str, pki: &Path) -> serde_json::Value {
    let home = tempfile::tempdir().unwrap();
    let nssdb = home.path().join(".pki/nssdb");
    std::fs::create_dir_all(&nssdb).unwrap();
    nss_trusting(pki, &nssdb);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/recipient_page.mjs");
    let out = std::process::Command::new("node")
        .arg(script)
        .args(["--link", link, "--home"])
        .arg(home.path())
        .arg("--shots")
        .arg(artefacts())
        .output()
        .expect("node runs (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser run failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
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
        phone["scrollWidth"].as_u64() <= phone["clientWidth"].as_u64(),
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
