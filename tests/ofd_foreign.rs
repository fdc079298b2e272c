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

/// Runs OpenSSL in `dir`, asserting it succeeds.
fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
}

/// A seal-making platform of another vendor, made by OpenSSL: its own root, and under it a maker
/// whose certificate carries no ecenter role — only the certificate policy `policy` — beside the
/// court's signer (`court`'s seal.key/.pem) in the layout ofd_sealer.py reads.
fn another_platform(dir: &Path, court: &Path, policy: &str) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut root = vec!["req", "-x509", "-utf8", "-days", "3650"];
    root.extend(ec);
    root.extend(["-keyout", "platform-root.key", "-out", "platform-root.pem"]);
    root.extend(["-subj", "/CN=某电子印章平台根CA", "-addext"]);
    root.extend(["basicConstraints=critical,CA:TRUE", "-addext"]);
    root.push("keyUsage=critical,keyCertSign,cRLSign");
    openssl(dir, &root);
    let mut csr = vec!["req", "-utf8", "-subj", "/CN=某电子印章平台制章者"];
    csr.extend(ec);
    csr.extend(["-keyout", "seal-maker.key", "-out", "maker.csr"]);
    openssl(dir, &csr);
    let ext = format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\ncertificatePolicies={policy}\n"
    );
    std::fs::write(dir.join("maker.ext"), ext).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "maker.csr",
            "-CA",
            "platform-root.pem",
            "-CAkey",
            "platform-root.key",
            "-CAcreateserial",
            "-days",
            "365",
            "-extfile",
            "maker.ext",
            "-out",
            "seal-maker.pem",
        ],
    );
    for f in ["seal.key", "seal.pem"] {
        std::fs::copy(court.join(f), dir.join(f)).unwrap();
    }
}

/// `clerk verify-ofd` on `file` trusting the court's root for signers, with `extra` flags: the
/// exit code, and the JSON (or the error text when there is none).
fn clerk_ofd(pki: &Path, file: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["verify-ofd", path(file), "--json"])
        .args(["--trust", path(&pki.join("root-ca.pem"))])
        .args(["--intermediate", path(&pki.join("seal-ca.pem"))])
        .args(extra)
        .output()
        .unwrap();
    let said = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| String::from_utf8_lossy(&out.stderr).into_owned().into());
    (out.status.code(), said)
}

/// The named check of the first seal in `clerk verify-ofd --json` output: (status, detail).
fn seal_check(json: &serde_json::Value, name: &str) -> (String, String) {
    let checks = json["seals"][0]["checks"].as_array().expect("checks");
    let c = checks.iter().find(|c| c["name"] == name).expect(name);
    (c["status"].to_string(), c["detail"].to_string())
}

#[test]
fn a_seal_another_platform_made_passes_with_that_platforms_maker_anchor() {
    let court = tempfile::tempdir().unwrap();
    ecenter_pki::init(court.path(), false).unwrap();
    let platform = tempfile::tempdir().unwrap();
    let policy = "1.2.156.112562.9.9";
    another_platform(platform.path(), court.path(), policy);
    let dir = tempfile::tempdir().unwrap();
    let ofd = sealed_elsewhere(platform.path(), dir.path(), "platform", &[]);
    let file = dir.path().join("platform.ofd");
    assert_eq!(python_verdict(dir.path(), "platform", &ofd)["valid"], true);
    let maker_root = platform.path().join("platform-root.pem");
    let maker_trust = ["--maker-trust", path(&maker_root)];
    let (court_pki, run) = (court.path(), |extra: &[&str]| {
        clerk_ofd(court.path(), &file, extra)
    });
    // The court's anchors and ecenter's role: the platform's maker is neither.
    let (code, json) = run(&[]);
    assert_eq!(code, Some(1), "{json}");
    assert!(
        seal_check(&json, "seal_maker_role").0.contains("FAIL"),
        "{json}"
    );
    // Its anchor, with the role it writes as a policy, or no role at all: passes.
    for role in [policy, "none"] {
        let (code, json) = run(&[&maker_trust[..], &["--maker-role", role]].concat());
        assert_eq!(
            (code, &json["passed"]),
            (Some(0), &true.into()),
            "{role}: {json}"
        );
    }
    let (_, json) = run(&[&maker_trust[..], &["--maker-role", "none"]].concat());
    let (_, detail) = seal_check(&json, "seal_maker_role");
    assert!(detail.contains("no seal-maker role required"), "{detail}");
    // Its anchor but ecenter's role, or another policy: the role fails.
    for extra in [
        &maker_trust[..],
        &[&maker_trust[..], &["--maker-role", "1.2.156.1.1"]].concat(),
    ] {
        let (code, json) = run(extra);
        assert_eq!(code, Some(1), "{extra:?}: {json}");
        let (status, detail) = seal_check(&json, "seal_maker_role");
        assert!(
            status.contains("FAIL") && detail.contains("seal-maker role"),
            "{detail}"
        );
    }
    // No role and no anchor of the makers' own, or a role that is no OID: usage errors naming
    // the flag.
    for (extra, names) in [
        (&["--maker-role", "none"][..], "--maker-trust"),
        (&["--maker-role", "制章者"][..], "--maker-role"),
    ] {
        let (code, said) = run(extra);
        assert_eq!(code, Some(2), "{extra:?}: {said}");
        assert!(said.to_string().contains(names), "{extra:?}: {said}");
    }
    // A signer minting its own seal, with no role asked and the court's root named for makers
    // too: the maker chains to the signers' anchors, so the role check fails.
    let minted = tempfile::tempdir().unwrap();
    for (from, to) in [("seal", "seal"), ("seal", "seal-maker")] {
        for ext in ["key", "pem"] {
            let target = minted.path().join(format!("{to}.{ext}"));
            std::fs::copy(court_pki.join(format!("{from}.{ext}")), target).unwrap();
        }
    }
    let ofd = sealed_elsewhere(minted.path(), dir.path(), "minted", &[]);
    let own = dir.path().join("minted.ofd");
    std::fs::write(&own, ofd).unwrap();
    let court_root = court_pki.join("root-ca.pem");
    let flags = ["--maker-trust", path(&court_root), "--maker-role", "none"];
    let (code, json) = clerk_ofd(court_pki, &own, &flags);
    assert_eq!(code, Some(1), "{json}");
    let (status, detail) = seal_check(&json, "seal_maker_role");
    assert!(
        status.contains("FAIL") && detail.contains("signers' anchors"),
        "{detail}"
    );
}
