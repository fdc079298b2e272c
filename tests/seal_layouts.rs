//! GB/T 38540 seal signatures made by another implementation (asn1crypto and cryptography, in
//! tests/python/ses_tools.py): the 2020 layout as ofdrw writes it (with extension data, and with
//! the signer named by a certificate digest) and the GM/T 0031-2014 layout. ecenter verifies
//! both; what ecenter writes is read by the same independent 2020 definitions. A time claimed
//! without a timestamp must be one the signature could have been made at.

mod common;

use common::pdf::path;

fn ses_tools(args: &[&str]) -> String {
    common::pdf::python_tool("ses_tools.py", args)
}

use common::pdf::{court_seal_spec, der_of, holder, trust};
use ecenter_seal::{CheckStatus, Indication, SealSpec, make_seal, seal_document, verify};
use std::path::Path;
use std::time::SystemTime;

const DOC: &[u8] = "（2026）鄂06民终88号 民事判决书".as_bytes();

/// A signature over DOC made by the Python tools in `layout`.
fn foreign(pki: &Path, dir: &Path, layout: &str, flags: &[&str]) -> Vec<u8> {
    let doc = dir.join("doc.bin");
    std::fs::write(&doc, DOC).unwrap();
    let out = dir.join(format!("{layout}{}.der", flags.join("").replace(' ', "")));
    let files = ["seal-maker.key", "seal-maker.pem", "seal.key", "seal.pem"].map(|f| pki.join(f));
    let mut args = vec!["make", layout];
    args.extend(files.iter().map(|f| path(f)));
    args.extend([path(&doc), path(&out)]);
    args.extend_from_slice(flags);
    ses_tools(&args);
    std::fs::read(out).unwrap()
}

#[test]
fn seals_in_the_2020_and_2014_layouts_made_elsewhere_verify() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (layout, flags, standard) in [
        ("v4", &[][..], "GB/T 38540-2020"),
        ("v4", &["--digest-list"][..], "GB/T 38540-2020"),
        ("v1", &[][..], "GM/T 0031-2014"),
    ] {
        let der = foreign(pki.path(), dir.path(), layout, flags);
        let report = verify(&der, DOC, &trust(pki.path()), SystemTime::now());
        assert_eq!(
            report.indication,
            Indication::Passed,
            "{layout} {flags:?}: {report:#?}"
        );
        let format = report.check("strict_der").unwrap();
        assert!(format.detail.contains(standard), "{}", format.detail);
        // The same signature over another document fails on the hash, whatever the layout.
        let other = verify(
            &der,
            b"another document",
            &trust(pki.path()),
            SystemTime::now(),
        );
        assert_eq!(other.indication, Indication::Failed);
        assert!(matches!(
            other.check("document_hash").unwrap().status,
            CheckStatus::Failed(_)
        ));
    }
}

#[test]
fn a_2014_signature_by_a_signer_outside_the_trusted_anchors_fails() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let der = foreign(pki.path(), dir.path(), "v1", &[]);
    // Trust only another court's signers: the 2014 signer chain fails like any other.
    let other = tempfile::tempdir().unwrap();
    ecenter_pki::init(other.path(), false).unwrap();
    let mut t = trust(pki.path());
    t.signers = vec![der_of(&other.path().join("root-ca.pem"))];
    let report = verify(&der, DOC, &t, SystemTime::now());
    assert_ne!(report.indication, Indication::Passed);
    assert!(matches!(
        report.check("signer_chain").unwrap().status,
        CheckStatus::Failed(_)
    ));
}

#[test]
fn what_ecenter_writes_is_read_by_independent_2020_definitions() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let maker = holder(pki.path(), "seal-maker");
    let signer = holder(pki.path(), "seal");
    let spec = SealSpec {
        picture: b"\x89PNG\r\n\x1a\n red".to_vec(),
        size_mm: (42, 42),
        ..court_seal_spec("4206000000001", &signer)
    };
    let seal = make_seal(&spec, &maker).unwrap();
    let der = seal_document(&seal, DOC, &signer, SystemTime::now(), "F1/D1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ours.der");
    std::fs::write(&file, &der).unwrap();
    let read: serde_json::Value = serde_json::from_str(&ses_tools(&["read", path(&file)])).unwrap();
    assert_eq!(read["version"], 4);
    assert_eq!(read["header_version"], 4);
    assert_eq!(read["es_id"], "4206000000001");
    assert_eq!(read["name"], "襄阳市中级人民法院诉讼服务专用章");
    assert_eq!(read["cert_list_type"], 1);
    assert_eq!(read["signature_alg"], "1.2.840.10045.4.3.2");
    assert_eq!(read["maker_alg"], "1.2.840.10045.4.3.2");
}

/// What other writers do, right or wrong: fractions of a second (X.690 §11.7 allows them), a
/// digest list with an entry in an algorithm not allowed here, unknown critical extensions
/// (refused, as RFC 5280 §4.2 rules for certificates), a wrong version or header id, a 2014
/// timeInfo that holds no time.
#[test]
fn other_writers_quirks_are_judged_by_the_standards() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // (layout, options, None when it must pass or the failing check and what it must say)
    type Case<'a> = (&'a str, &'a [&'a str], Option<(&'a str, &'a str)>);
    let cases: [Case; 11] = [
        ("v4", &["--fraction"], None),
        ("v4", &["--unknown-digest-first"], None),
        (
            "v4",
            &["--critical-seal-ext"],
            Some(("extensions", "1.2.3.4.5")),
        ),
        (
            "v4",
            &["--critical-tbs-ext"],
            Some(("extensions", "1.2.3.4.6")),
        ),
        (
            "v4",
            &["--tbs-version", "1"],
            Some(("strict_der", "version is 1")),
        ),
        ("v4", &["--header-id", "XX"], Some(("strict_der", "\"ES\""))),
        ("v1", &["--header-id", "XX"], Some(("strict_der", "\"ES\""))),
        (
            "v1",
            &["--v1-time-garbage"],
            Some(("strict_der", "timeInfo")),
        ),
        // Without a timestamp the claimed time proves nothing, but viewers show it: it must be
        // a time the signature could have been made.
        (
            "v4",
            &["--claimed-days", "100"],
            Some(("claimed_time", "after the validation time")),
        ),
        (
            "v1",
            &["--claimed-days", "100"],
            Some(("claimed_time", "after the validation time")),
        ),
        (
            "v4",
            &["--claimed-days", "-3"],
            Some(("claimed_time", "claims it was made at")),
        ),
    ];
    for (layout, flags, refused) in cases {
        let der = foreign(pki.path(), dir.path(), layout, flags);
        let report = verify(&der, DOC, &trust(pki.path()), SystemTime::now());
        match refused {
            None => assert_eq!(
                report.indication,
                Indication::Passed,
                "{flags:?}: {report:#?}"
            ),
            Some((check, says)) => {
                assert_ne!(report.indication, Indication::Passed, "{flags:?}");
                let c = report
                    .check(check)
                    .unwrap_or_else(|| panic!("{flags:?}: {report:#?}"));
                assert!(
                    matches!(c.status, CheckStatus::Failed(_)) && c.detail.contains(says),
                    "{flags:?}: {c:?}"
                );
            }
        }
    }
}
