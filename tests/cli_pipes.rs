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
