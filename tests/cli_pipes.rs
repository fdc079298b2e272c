//! A command-line tool whose reader has gone (`clerk … | head`) stops as Unix tools do, ended by
//! SIGPIPE, never with a Rust panic (exit code 101).

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

#[test]
fn a_tool_writing_into_a_closed_pipe_ends_by_sigpipe_not_by_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    // A pipe whose reading end is closed before the tool starts: its first line meets EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = Command::new(env!("CARGO_BIN_EXE_ecenter-pki"))
        .arg("--dir")
        .arg(dir.path().join("pki"))
        .arg("init")
        .stdout(writer)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_ne!(status.code(), Some(101), "the tool panicked: {status:?}");
    const SIGPIPE: i32 = 13; // Linux
    assert_eq!(status.signal(), Some(SIGPIPE), "{status:?}");
}

/// `ecenter-pki issue-client --days 0` would issue a certificate no one can use (notBefore equal
/// to notAfter): a usage error, exit 2, naming the option, and nothing written.
#[test]
fn a_client_certificate_of_no_days_is_refused_as_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let issue = |days: &str| {
        Command::new(env!("CARGO_BIN_EXE_ecenter-pki"))
            .arg("--dir")
            .arg(&pki)
            .args([
                "issue-client",
                "--role",
                "lawyer",
                "--id",
                "14201202010000077",
            ])
            .args(["--name", "律师 赵六", "--days", days])
            .output()
            .unwrap()
    };
    let refused = issue("0");
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--days"));
    assert!(!pki.exists(), "nothing is written");
}
