//! `clerk login` as a process against a real hub over mutual TLS: a clerk's certificate is saved
//! once the hub accepts it, and then the commands that talk to the hub need no TLS flags
//! (`clerk verify-log` walks the running hub's log, `clerk scrub` re-hashes its documents,
//! `clerk filings` lists what is on record, in Chinese). A
//! lawyer's certificate is refused, and half the TLS flags are named as such.

mod common;

use common::efile::text;
use common::*;
use std::path::Path;
use std::process::{Command, Output};

fn clerk(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(args)
        .env_remove("CLERK_CONFIG")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .unwrap()
}

fn login(home: &Path, hub: std::net::SocketAddr, pki: &Path, stem: &str) -> Output {
    let args = common::efile::login_args(hub, pki, stem);
    clerk(home, &args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_clerk_login_no_command_repeats_the_tls_flags() {
    let (pki, _data, hub) = tls_world().await;
    let mut lawyer = tls_client(hub.addr, pki.path(), "lawyer-14201202010000001").await;
    file_documents(
        &mut lawyer,
        "req-clerk-login",
        "证据材料",
        &[("a.pdf", &pdf("a"))],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    // Before a login: what to do is said.
    let out = clerk(home.path(), &["scrub"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("clerk login"), "{}", text(&out));
    let out = login(
        home.path(),
        hub.addr,
        pki.path(),
        "lawyer-14201202010000001",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a clerk's"), "{}", text(&out));
    let out = login(home.path(), hub.addr, pki.path(), "clerk-c0001");
    assert!(out.status.success(), "{}", text(&out));

    let out = clerk(home.path(), &["verify-log"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("the event log verifies"),
        "{}",
        text(&out)
    );
    let out = clerk(home.path(), &["scrub", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["documents_checked"], 1, "{report}");
    let out = clerk(home.path(), &["filings", "--state", "received", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let filings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(filings[0]["filing_kind"], "证据材料", "{filings}");
    assert_eq!(filings[0]["state"], "RECEIVED", "{filings}");
    let out = clerk(home.path(), &["filings", "--state", "docketed"]);
    assert!(text(&out).contains("无符合条件"), "{}", text(&out));
    let out = clerk(home.path(), &["filings"]);
    assert!(
        text(&out).contains("已收到") && text(&out).contains("共 1 件"),
        "{}",
        text(&out)
    );
    // Half the flags: named, not guessed.
    let out = clerk(home.path(), &["scrub", "--hub", &hub.addr.to_string()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--ca, --cert and --key together"),
        "{}",
        text(&out)
    );
    hub.stop().await;
}
