//! The first ten minutes, as README.md prints them: the shell block under "The first ten
//! minutes" is read from the README and every line run in order with the real binaries — the
//! development hub, `efile`, `court`, `clerk` — in one directory holding a PDF named 起诉状.pdf.
//! When the README and the tools drift apart (a flag renamed, an id that is not the one printed,
//! a step that no longer works), this test fails.
//!
//! Two things are adapted, and only these: `cargo run --release --bin NAME --` is the binary the
//! test suite built, and the hub listens on a free port instead of 50051 (the README's address is
//! replaced by it), so that the test never collides with a hub already running.

mod common;

use common::efile::text;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// The lines of the README's first-ten-minutes block.
fn walkthrough() -> Vec<String> {
    let readme = include_str!("../README.md");
    let section = readme
        .split("## The first ten minutes")
        .nth(1)
        .expect("README.md has a section \"The first ten minutes\"");
    let start = section
        .find("```sh")
        .expect("a ```sh block in that section")
        + 5;
    let end = start + section[start..].find("```").expect("the block ends");
    section[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The binary a `cargo run --release --bin NAME --` line names, and its arguments.
fn command_of(line: &str) -> (&'static str, Vec<&str>) {
    let rest = line
        .strip_prefix("cargo run --release --bin ")
        .unwrap_or_else(|| panic!("not a cargo run line: {line}"));
    let (name, args) = rest.split_once(" -- ").unwrap_or((rest, ""));
    let binary = match name {
        "ecenterd" => env!("CARGO_BIN_EXE_ecenterd"),
        "efile" => env!("CARGO_BIN_EXE_efile"),
        "court" => env!("CARGO_BIN_EXE_court"),
        "clerk" => env!("CARGO_BIN_EXE_clerk"),
        other => panic!("the README runs a program this test does not know: {other}"),
    };
    (binary, args.split_whitespace().collect())
}

/// Starts the hub as the README does, on a free port; returns it and the address it printed.
fn start_hub(args: &[&str], dir: &Path) -> (Child, String) {
    let mut hub = Command::new(env!("CARGO_BIN_EXE_ecenterd"))
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("ECENTER_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = common::listening_on(&mut hub);
    (hub, addr)
}

/// Stops the hub as Ctrl-C does, and waits for it to flush its log and exit.
fn stop_hub(hub: &mut Child) {
    let pid = hub.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    let status = hub.wait().unwrap();
    assert!(status.success(), "the hub stopped with {status}");
}

fn run(line: &str, dir: &Path, home: &Path, addr: &str) -> Output {
    let line = line.replace("127.0.0.1:50051", addr);
    let (binary, args) = command_of(&line);
    Command::new(binary)
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("EFILE_CONFIG")
        .env_remove("COURT_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn the_readme_walkthrough_runs_as_printed() {
    let lines = walkthrough();
    assert!(lines.len() >= 8, "{lines:?}");
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("起诉状.pdf"), common::pdf("起诉状")).unwrap();
    let (_, hub_args) = command_of(&lines[0]);
    assert!(
        hub_args.contains(&"--dev"),
        "the walkthrough starts a development hub"
    );
    let (mut hub, addr) = start_hub(&hub_args, dir.path());
    let mut said = Vec::new();
    for line in &lines[1..] {
        if line.starts_with("# stop the hub") {
            stop_hub(&mut hub);
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let out = run(line, dir.path(), home.path(), &addr);
        assert!(out.status.success(), "`{line}` failed: {}", text(&out));
        said.push((line.clone(), text(&out)));
    }
    let _ = hub.kill();
    // What the README says the lines show.
    let shown = |prefix: &str| {
        let (_, out) = said
            .iter()
            .find(|(l, _)| l.contains(prefix))
            .unwrap_or_else(|| panic!("no line runs {prefix}"));
        out.clone()
    };
    let receipt = shown("efile -- submit");
    assert!(
        receipt.contains("F000000000001"),
        "the README's filing id: {receipt}"
    );
    let status = shown("efile -- status");
    assert!(
        status.contains("已立案") && status.contains("（2026）鄂06民初1号"),
        "{status}"
    );
    let audit = shown("clerk -- verify-log");
    assert!(audit.contains("the event log verifies"), "{audit}");
}
