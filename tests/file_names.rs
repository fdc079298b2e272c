//! What a lawyer names a file and what the court records of it (outside tests, round 11b):
//! a name that says another format than the content is refused, by the hub and by `efile` before
//! anything is sent; a name the court records otherwise, two documents under one name and one
//! file twice are said before sending; the receipt's time is labelled Beijing time, and its JSON
//! carries RFC 3339; a case number that is not one is a command-line error naming `--case` and
//! any character a reader cannot see.

mod common;

use std::os::unix::ffi::OsStrExt;

use common::efile::{Lawyer, text, write};
use common::*;
use tonic_types::StatusExt;

const LAWYER: &str = "lawyer-14201202010000001";
const CASE: &str = "（2026）鄂06民初123号";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_whose_name_says_another_format_is_refused_by_the_hub_and_by_efile() {
    let (pki, _data, hub) = tls_world().await;
    // A peer that checks nothing itself: the hub refuses, naming the field; nothing is recorded.
    let mut client = tls_client(hub.addr, pki.path(), LAWYER).await;
    let status = submit(
        &mut client,
        "names-0001",
        CASE,
        "证据材料",
        &[("证据.pdf", &png())],
    )
    .await
    .expect_err("a PNG named .pdf is refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(
        status
            .message()
            .contains("named as a PDF file but its content is PNG"),
        "{}",
        status.message()
    );
    let fields: Vec<String> = status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["header.documents[0].name"]);
    // The same content under its own name is filed.
    submit(
        &mut client,
        "names-0002",
        CASE,
        "证据材料",
        &[("证据.png", &png())],
    )
    .await
    .expect("a PNG named .png is filed");

    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let lying = write(files.path(), "扫描件.pdf", &png());
    let out = lawyer.run(&[
        "submit",
        "--case",
        CASE,
        "--kind",
        "证据材料",
        lying.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("nothing was sent") && said.contains("rename it to end in .png"),
        "{said}"
    );
    // The name the court would record is judged, as the hub judges it: a trailing dot or space
    // is taken off, and what is left still says PDF (round 12, left alone then).
    for name in ["扫描件.pdf.", "扫描件.pdf "] {
        let lying = write(files.path(), name, &png());
        let path = lying.to_str().unwrap();
        let out = lawyer.run(&["submit", "--case", CASE, "--kind", "证据材料", path]);
        assert_eq!(out.status.code(), Some(1), "{name:?}: {}", text(&out));
        assert!(
            text(&out).contains("rename it to end in .png"),
            "{}",
            text(&out)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_recorded_otherwise_or_twice_are_said_before_sending_and_the_receipt_shows_them() {
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let slashed = write(files.path(), "back\\slash.pdf", &pdf("slashed"));
    let reversed = write(files.path(), "\u{202e}evil.pdf", &pdf("reversed"));
    let other = tempfile::tempdir().unwrap();
    let same_name = write(other.path(), "slash.pdf", &pdf("another"));
    let args = [
        "submit",
        "--case",
        CASE,
        "--kind",
        "证据材料",
        slashed.to_str().unwrap(),
        reversed.to_str().unwrap(),
        same_name.to_str().unwrap(),
        slashed.to_str().unwrap(),
    ];
    // A name that is not UTF-8 (bytes 0xFF 0xFE): said before sending too (round 20, m6).
    let bytes = std::ffi::OsStr::from_bytes(b"bad\xff\xfename.pdf");
    let not_text = files.path().join(bytes);
    std::fs::write(&not_text, pdf("not text")).unwrap();
    let out = lawyer.command(&args).arg(&not_text).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let warned = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "D1 「back\\slash.pdf」 is recorded as 「slash.pdf」",
        "D2 「[U+202E]evil.pdf」 is recorded as 「_evil.pdf」",
        "D1 and D3 are both named 「slash.pdf」",
        "D1 and D4 are the same file",
        "D5 「bad\u{fffd}\u{fffd}name.pdf」: its name is not UTF-8 text",
    ] {
        assert!(warned.contains(expected), "{expected}: {warned}");
    }
    // What the hub recorded is what the lawyer was told; the time is labelled.
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("_evil.pdf"), "{printed}");
    let received = printed
        .lines()
        .find(|l| l.contains("received 收到"))
        .unwrap_or_else(|| panic!("{printed}"));
    assert!(received.ends_with(" (Beijing time)"), "{received}");

    let filed = lawyer.submit_json(&[
        "--case",
        CASE,
        "--kind",
        "证据材料",
        "--title",
        "再次",
        reversed.to_str().unwrap(),
    ]);
    assert_eq!(filed["documents"][0]["name"], "_evil.pdf", "{filed}");
    let at = filed["received_at"].as_str().unwrap();
    assert!(at.ends_with("+08:00"), "{filed}");
    chrono::DateTime::parse_from_rfc3339(at).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_number_that_is_not_one_is_a_command_line_error_naming_its_flag() {
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let doc = write(files.path(), "起诉状.pdf", &pdf("case"));
    // Before anything is sent: the command line is wrong (exit 2), and the invisible character
    // that makes a right-looking number wrong is named.
    let typed = "（2026）鄂06民初2号\u{200b}";
    let out = lawyer.run(&[
        "submit",
        "--case",
        typed,
        "--kind",
        "证据材料",
        doc.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("--case") && said.contains("U+200B"), "{said}");
}
