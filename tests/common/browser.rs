//! Driving Debian's Chromium from the tests: tests/browser's scripts through playwright-core,
//! with a HOME whose NSS database trusts the test PKI's root only, and screenshots kept under
//! `<target>/test-artefacts/browser/`.

#![allow(dead_code)]

use super::pdf::nss_trusting;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Where the browser tests leave their screenshots.
pub fn artefacts() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let dir = target.join("test-artefacts/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts tests/browser/`script` with `args`, a HOME whose NSS database trusts `pki`'s root and
/// the screenshot directory.
pub fn start_browser(script: &str, args: &[&str], pki: &Path) -> (std::process::Child, TempDir) {
    let home = tempfile::tempdir().unwrap();
    let nssdb = home.path().join(".pki/nssdb");
    std::fs::create_dir_all(&nssdb).unwrap();
    nss_trusting(pki, &nssdb);
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(script);
    let child = std::process::Command::new("node")
        .arg(script)
        .args(args)
        // What a script sends from Node's side (a route's `fetch`) trusts the test's root too.
        .env("NODE_EXTRA_CA_CERTS", pki.join("root-ca.pem"))
        .arg("--home")
        .arg(home.path())
        .arg("--shots")
        .arg(artefacts())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node runs (scripts/test installs it)");
    (child, home)
}

/// What the browser script saw (its one JSON line), once it has finished.
pub fn seen(child: std::process::Child) -> serde_json::Value {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser run failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

/// What the script writes to `ready` once it gets there (a filing's id, say), waiting up to
/// `secs`. A script that ends first, or is still running at the deadline (then killed), fails
/// the test with everything it printed, rather than a bare time-out.
pub async fn until_ready(child: &mut std::process::Child, ready: &Path, secs: u64) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let written = std::fs::read_to_string(ready).ok();
        if let Some(text) = written.filter(|t| !t.trim().is_empty()) {
            return text;
        }
        let ended = child.try_wait().unwrap();
        if ended.is_none() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        }
        let _ = child.kill();
        let (mut out, mut err) = (String::new(), String::new());
        use std::io::Read;
        if let Some(mut o) = child.stdout.take() {
            let _ = o.read_to_string(&mut out);
        }
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let how = ended.map_or("still running after".into(), |s| {
            format!("ended ({s}) before")
        });
        panic!(
            "the browser script {how} writing {}:\n{out}\n{err}",
            ready.display()
        );
    }
}
