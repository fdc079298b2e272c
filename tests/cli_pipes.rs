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

/// Standard output on a full disk (`/dev/full`): not a Rust panic (exit 101, a backtrace with the
/// build's paths), but exit 5 and a line saying the output is lost (round 20, M1).
#[test]
fn output_that_cannot_be_written_is_said_and_exits_5() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ecenter-pki"))
        .arg("--dir")
        .arg(dir.path().join("pki"))
        .arg("init")
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{said}");
    assert!(
        said.starts_with("ecenter-pki: ") && said.contains("cannot write to standard output"),
        "{said}"
    );
    assert!(
        !said.contains("panicked") && !said.contains(".rs:"),
        "{said}"
    );
}

/// `--help` shows the defaults the options really have: not `[default: 0]` beside "default: the
/// last page" or "default: the hub's, 168" (round 20, m17).
#[test]
fn help_shows_no_default_the_option_does_not_have() {
    for command in ["seal", "serve"] {
        let out = Command::new(env!("CARGO_BIN_EXE_court"))
            .args([command, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{help}");
        assert!(
            !help.contains("[default: 0]"),
            "court {command} --help:\n{help}"
        );
    }
}

/// A mistyped filing id is a command-line mistake (exit 2, naming the form), found before
/// anything is sent: not a refusal by the hub (exit 1) (round 20, m13).
#[test]
fn a_mistyped_filing_id_is_a_usage_error_found_before_sending() {
    let home = tempfile::tempdir().unwrap();
    for (tool, args) in [
        (env!("CARGO_BIN_EXE_efile"), ["status", "bogus"]),
        (env!("CARGO_BIN_EXE_court"), ["show", "F12"]),
    ] {
        let out = Command::new(tool)
            .args(args)
            .env("XDG_CONFIG_HOME", home.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(said.contains("is not a filing id"), "{said}");
    }
}

/// With `--json`, a command-line mistake is said as every other failure is: one JSON object on
/// standard error, exit 2, standard output empty (round 20, m14).
#[test]
fn a_usage_error_with_json_is_said_as_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_efile"))
        .args(["list", "--bogus-flag", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let said: serde_json::Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(said["tool"], "efile");
    assert_eq!(said["exit_code"], 2);
    assert!(
        said["error"].as_str().unwrap().contains("--bogus-flag"),
        "{said}"
    );
}
