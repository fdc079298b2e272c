//! OFDs sealed by another writer (tests/python/ofd_sealer.py: Signature.xml by hand, the
//! SignedValue by asn1crypto and cryptography), judged by ecenter and by the Python verifier
//! (ofd_tools.py): what other writers do within GB/T 33190 §18 passes — References digested in
//! SHA-256, a CheckValue wrapped over lines — and a stamp no reader can see does not.

mod common;

use common::pdf::{path, python_tool, trust};
use ecenter_ofdseal::verify_ofd;
use ecenter_seal::{CheckStatus, Indication, Verifier};
use std::path::Path;
use std::time::SystemTime;

/// A two-page OFD from ofd_tools.py sealed by ofd_sealer.py with the ECDSA keys of `pki`.
fn sealed_elsewhere(pki: &Path, dir: &Path, name: &str, options: &[&str]) -> Vec<u8> {
    let plain = dir.join("plain.ofd");
    python_tool("ofd_tools.py", &["plain", path(&plain), "2"]);
    let out = dir.join(format!("{name}.ofd"));
    let mut args = vec![path(&plain), path(&out), path(pki)];
    args.extend_from_slice(options);
    python_tool("ofd_sealer.py", &args);
    std::fs::read(out).unwrap()
}

/// ofd_tools.py's verdict on the first signature of `ofd`.
fn python_verdict(dir: &Path, name: &str, ofd: &[u8]) -> serde_json::Value {
    let file = dir.join(format!("{name}-judged.ofd"));
    std::fs::write(&file, ofd).unwrap();
    let said: serde_json::Value =
        serde_json::from_str(&python_tool("ofd_tools.py", &["verify", path(&file)])).unwrap();
    said[0].clone()
}

#[test]
fn what_other_writers_do_within_the_standard_verifies_here_and_in_python() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let verifier = Verifier::new(trust(pki.path()));
    let dir = tempfile::tempdir().unwrap();
    for (name, options) in [
        ("sm3", &[][..]),
        ("sha256", &["--sha256"][..]),
        ("wrapped", &["--wrap"][..]),
        ("sha256-wrapped", &["--sha256", "--wrap"][..]),
    ] {
        let ofd = sealed_elsewhere(pki.path(), dir.path(), name, options);
        let seals = verify_ofd(&ofd, &verifier, SystemTime::now()).unwrap();
        assert_eq!(seals.len(), 1, "{name}");
        assert_eq!(
            seals[0].report.indication,
            Indication::Passed,
            "{name}: {:#?}",
            seals[0].report
        );
        let python = python_verdict(dir.path(), name, &ofd);
        assert_eq!(python["valid"], true, "{name}: {python}");
    }
}

#[test]
fn a_stamp_too_small_or_clipped_away_shows_no_seal() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let verifier = Verifier::new(trust(pki.path()));
    let dir = tempfile::tempdir().unwrap();
    for (name, options, says) in [
        (
            "tiny",
            &["--boundary", "150 247 0.01 0.01"][..],
            "too small",
        ),
        ("clipped", &["--clip", "0 0 0 0"][..], "Clip"),
        ("clipped-out", &["--clip", "45 45 10 10"][..], "Clip"),
        ("sliver", &["--boundary", "150 247 40 2"][..], "too small"),
    ] {
        let ofd = sealed_elsewhere(pki.path(), dir.path(), name, options);
        let seals = verify_ofd(&ofd, &verifier, SystemTime::now()).unwrap();
        let report = &seals[0].report;
        assert_eq!(report.indication, Indication::Failed, "{name}: {report:#?}");
        let stamp = report.check("ofd_stamp").unwrap();
        assert!(
            matches!(stamp.status, CheckStatus::Failed(_)) && stamp.detail.contains(says),
            "{name}: {stamp:?}"
        );
        // The signature itself is sound: only the stamp fails.
        assert_eq!(python_verdict(dir.path(), name, &ofd)["signature"], true);
    }
    // A clip that leaves the stamp to be seen passes.
    let ofd = sealed_elsewhere(pki.path(), dir.path(), "clip-ok", &["--clip", "5 5 30 30"]);
    let seals = verify_ofd(&ofd, &verifier, SystemTime::now()).unwrap();
    assert_eq!(seals[0].report.indication, Indication::Passed);
}
