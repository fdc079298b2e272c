//! Filing through the lawyers' portal against efile (issue #21): the time from choosing three
//! documents (one of 50 MiB) to the receipt, in Debian's Chromium through the portal's resumable
//! uploads, as a ratio to `efile submit` of the same files to the same hub in the same run (target
//! ≤ 1.3). Both are timed as a lawyer lives them: the browser from choosing the files (local checks,
//! announcements, the pieces, the filing) to the receipt page; efile from starting the
//! process (reading and hashing the files, the mTLS handshake, the stream) to its JSON receipt.
//! Rounds alternate efile, portal, efile so that the disk's state favours neither. After each
//! portal round the same files go to Chromium's floor (tests/browser/upload_floor.mjs): chosen in a
//! bare page and POSTed to a Node.js sink that discards them, over HTTP/1.1 and over HTTP/2 — what
//! moving the bytes alone by XHR costs in Chromium here, with a receiver that does nothing else.
//!
//! Run: `cargo bench --bench portal` (ECENTER_BENCH_ROUNDS sets the rounds, default 5). Needs
//! aiosmtpd, node with tests/browser's `npm ci`, and /usr/bin/chromium, as scripts/test installs them.

#[path = "../tests/common/mod.rs"]
mod common;

use common::browser::start_browser;
use common::efile::{Lawyer, text};
use common::portal::signed_in;
use common::service::world_configured;
use common::smtp::start_aiosmtpd;
use std::path::PathBuf;
use std::time::Instant;

const ZHANG: (&str, &str, &str) = (
    "urn:ecenter:lawyer:14201202010000001",
    "14201202010000001",
    "zhang@chutian-law.cn",
);
const MIB: usize = 1024 * 1024;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Three documents in `dir`, unique to `round` (so nothing deduplicates between rounds).
fn documents(dir: &std::path::Path, round: usize) -> Vec<PathBuf> {
    let mut big = common::pdf(&format!("起诉状及证据 {round}"));
    big.resize(50 * MIB, b'%');
    let docs = [
        ("民事起诉状及证据.pdf", big),
        (
            "授权委托书.pdf",
            common::pdf(&format!("授权委托书 {round}")),
        ),
        ("律师事务所函.pdf", common::pdf(&format!("所函 {round}"))),
    ];
    let sub = dir.join(round.to_string());
    std::fs::create_dir_all(&sub).unwrap();
    docs.into_iter()
        .map(|(name, bytes)| common::efile::write(&sub, name, &bytes))
        .collect()
}

/// One `efile submit` of `files`: milliseconds from starting the process to its receipt.
fn efile_once(lawyer: &Lawyer, files: &[PathBuf]) -> f64 {
    let mut args = vec!["submit", "--json", "--new-case", "--kind", "起诉状"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let started = Instant::now();
    let out = lawyer.run(&args);
    let ms = started.elapsed().as_secs_f64() * 1e3;
    assert!(out.status.success(), "{}", text(&out));
    ms
}

/// The portal's rounds in one browser: milliseconds each.
fn portal_rounds(
    base: &str,
    cookie: &str,
    files: &[Vec<PathBuf>],
    pki: &std::path::Path,
) -> Vec<f64> {
    let mut ms = Vec::new();
    for round in files {
        let joined: Vec<&str> = round.iter().map(|p| p.to_str().unwrap()).collect();
        let joined = joined.join(",");
        let args = [
            "--base", base, "--cookie", cookie, "--files", &joined, "--rounds", "1",
        ];
        let (child, _home) = start_browser("portal_timing.mjs", &args, pki);
        let seen = common::browser::seen(child);
        eprintln!("portal round: {}", seen["trace"]);
        ms.push(seen["ms"][0].as_f64().unwrap());
    }
    ms
}

/// Chromium's floor (tests/browser/upload_floor.mjs): milliseconds from choosing `files` to the
/// last byte acknowledged by a Node.js sink speaking `protocol` (`http1` or `h2`), which counts the
/// bytes and discards them; the counts are checked against the files.
fn floor_once(files: &[PathBuf], pki: &std::path::Path, protocol: &str) -> f64 {
    let joined: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let (cert, key) = (pki.join("server.pem"), pki.join("server.key"));
    let args = [
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--files",
        &joined.join(","),
        "--protocol",
        protocol,
    ];
    let (child, _home) = start_browser("upload_floor.mjs", &args, pki);
    let seen = common::browser::seen(child);
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .collect();
    let counted: Vec<u64> = serde_json::from_value(seen["bytes"].clone()).unwrap();
    assert_eq!(counted, sizes, "the sink counted every byte of every file");
    let spoken = if protocol == "h2" { "h2" } else { "http/1.1" };
    assert_eq!(
        seen["protocol"], spoken,
        "Chromium spoke the protocol asked for"
    );
    eprintln!(
        "floor round over {}: {:.0} ms",
        seen["protocol"], seen["ms"]
    );
    seen["ms"].as_f64().unwrap()
}

fn main() {
    let rounds = match common_mode() {
        None => return,
        Some(full) => std::env::var("ECENTER_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if full { 5 } else { 1 }),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let maildir = tempfile::tempdir().unwrap();
        let smtp = start_aiosmtpd(maildir.path());
        let w = world_configured(smtp.addr.port(), 10, |c| {
            c.request_limits.requests_per_second = 0;
            c.request_limits.burst = 0;
        })
        .await;
        let jars = tempfile::tempdir().unwrap();
        let curl = signed_in(&w, jars.path(), maildir.path(), ZHANG, 0).await;
        let cookie = curl.cookie("__Host-ecenter-portal").unwrap();
        let lawyer = Lawyer::new();
        assert!(lawyer.login(w.hub.addr, w.pki.path()).status.success());
        let base = format!("https://localhost:{}", w.hub.page_addr.unwrap().port());
        let dir = tempfile::tempdir_in(".").unwrap();
        let (mut efile, mut portal, mut floor) = (Vec::new(), Vec::new(), [Vec::new(), Vec::new()]);
        for round in 0..=rounds {
            let first = documents(dir.path(), 3 * round);
            let second = documents(dir.path(), 3 * round + 1);
            let third = documents(dir.path(), 3 * round + 2);
            let e1 = efile_once(&lawyer, &first);
            let p = portal_rounds(&base, &cookie, std::slice::from_ref(&second), w.pki.path());
            // The two floors in turn first, so that neither always follows the portal.
            let (f1, f2) = if round % 2 == 0 {
                let f1 = floor_once(&second, w.pki.path(), "http1");
                (f1, floor_once(&second, w.pki.path(), "h2"))
            } else {
                let f2 = floor_once(&second, w.pki.path(), "h2");
                (floor_once(&second, w.pki.path(), "http1"), f2)
            };
            let e2 = efile_once(&lawyer, &third);
            // Round 0 warms the hub and the page cache (each Chromium starts with a fresh HOME).
            if round > 0 {
                efile.extend([e1, e2]);
                portal.extend(p);
                floor[0].push(f1);
                floor[1].push(f2);
            }
        }
        report(&efile, &portal, &floor);
        w.hub.stop().await;
    });
}

/// `None` when a test lister asks (nothing to do), else whether this is `cargo bench`.
fn common_mode() -> Option<bool> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        None
    } else {
        Some(args.iter().any(|a| a == "--bench"))
    }
}

fn report(efile: &[f64], portal: &[f64], floor: &[Vec<f64>; 2]) {
    let (e, p) = (median(efile.to_vec()), median(portal.to_vec()));
    println!("## Filing 50 MiB + two small documents: portal against efile\n");
    println!("| path | runs | median, ms | all, ms |");
    println!("|---|---:|---:|---|");
    let all = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "| efile submit (process start → receipt) | {} | {e:.0} | {} |",
        efile.len(),
        all(efile)
    );
    println!(
        "| portal in Chromium (choosing files → receipt page) | {} | {p:.0} | {} |",
        portal.len(),
        all(portal)
    );
    for (v, over) in floor.iter().zip(["HTTP/1.1", "HTTP/2"]) {
        println!(
            "| Chromium's floor: the same files POSTed to a discarding sink over {over} | {} | {:.0} | {} |",
            v.len(),
            median(v.clone()),
            all(v)
        );
    }
    println!("\nportal / efile = **{:.2}** (target ≤ 1.3)", p / e);
    let (f1, f2) = (median(floor[0].clone()), median(floor[1].clone()));
    println!(
        "floor / efile = {:.2} over HTTP/1.1, {:.2} over HTTP/2; portal / floor (HTTP/1.1) = {:.2}",
        f1 / e,
        f2 / e,
        p / f1
    );
}
