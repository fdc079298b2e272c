//! Sealed OFD (GB/T 33190 §18) judged by others: easyofd (PyPI) renders the stamp where the seal
//! says, and a verifier written in Python (asn1crypto + gmssl, tests/python/ofd_tools.py) agrees
//! with `verify_ofd` on the good package and on every kind of tampering. The OFDs sealed come
//! from easyofd and from a hand-written generator, not from ecenter; ZIP layouts from the JDK's
//! jar and a streaming zipfile (tests/python/zip_layouts.py) seal and verify, and a file holding a
//! second archive is refused.

mod common;

use common::pdf::{court_seal_spec, holder, path, python_tool, trust};
use ecenter_ofdseal::package::{Limits, Package};
use ecenter_ofdseal::{Stamp, seal_ofd, verify_ofd};
use ecenter_seal::{CheckStatus, Indication, Sealer, Verifier, make_seal};
use std::path::Path;
use std::time::SystemTime;

struct Court {
    _pki: tempfile::TempDir,
    seal: Vec<u8>,
    signer: ecenter_seal::KeyHolder,
    verifier: Verifier,
}

fn court() -> Court {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let sm2 = pki.path().join("sm2");
    let signer = holder(&sm2, "seal");
    let spec = court_seal_spec("4206-GM-OFD", &signer);
    let seal = make_seal(&spec, &holder(&sm2, "seal-maker")).unwrap();
    Court {
        verifier: Verifier::new(trust(&sm2)),
        _pki: pki,
        seal,
        signer,
    }
}

impl Court {
    fn seal(&self, ofd: &[u8], stamp: Stamp) -> Vec<u8> {
        let sealer = Sealer::new(&self.seal, &self.signer).unwrap();
        seal_ofd(ofd, &self.seal, &sealer, None, stamp, SystemTime::now()).unwrap()
    }
}

fn foreign(dir: &Path, kind: &str, pages: u32) -> Vec<u8> {
    let out = dir.join(format!("{kind}-{pages}.ofd"));
    python_tool("ofd_tools.py", &[kind, path(&out), &pages.to_string()]);
    std::fs::read(out).unwrap()
}

fn judged(dir: &Path, name: &str, ofd: &[u8], command: &str) -> serde_json::Value {
    let file = dir.join(name);
    std::fs::write(&file, ofd).unwrap();
    serde_json::from_str(&python_tool("ofd_tools.py", &[command, path(&file)])).unwrap()
}

fn edit(ofd: &[u8], f: impl FnOnce(&mut Package)) -> Vec<u8> {
    let mut p = Package::read(ofd, Limits::default()).unwrap();
    f(&mut p);
    p.write().unwrap()
}

fn failed(report: &ecenter_seal::ValidationReport, check: &str) -> bool {
    matches!(
        report.check(check).map(|c| &c.status),
        Some(CheckStatus::Failed(_))
    )
}

/// `pages` pages made by `ofd_tools.py KIND`, sealed by the court: its one seal passes here and
/// in Python. Gives the sealed bytes and the seal as verified here.
fn sealed_and_judged_by_both(
    court: &Court,
    dir: &Path,
    kind: &str,
    pages: u32,
) -> (Vec<u8>, ecenter_ofdseal::OfdSeal) {
    let sealed = court.seal(&foreign(dir, kind, pages), Stamp::default());
    let mut seals = verify_ofd(&sealed, &court.verifier, SystemTime::now()).unwrap();
    assert_eq!(seals.len(), 1, "{kind}");
    let seal = seals.remove(0);
    let indication = seal.report.indication;
    assert_eq!(indication, Indication::Passed, "{kind}: {:#?}", seal.report);
    let python = judged(dir, &format!("{kind}-sealed.ofd"), &sealed, "verify");
    assert_eq!(python[0]["valid"], true, "{kind}: {python}");
    (sealed, seal)
}

#[test]
fn a_sealed_ofd_from_easyofd_verifies_here_and_in_python_and_renders_its_stamp_lower_right() {
    let court = court();
    let dir = tempfile::tempdir().unwrap();
    let (sealed, seal) = sealed_and_judged_by_both(&court, dir.path(), "easyofd", 3);
    assert_eq!(seal.page, Some(3), "the last page by default");

    // easyofd shows the seal's picture inside the Boundary, on the last page only.
    let [x, y, w, h] = seal.boundary.unwrap();
    let rendered = judged(dir.path(), "sealed.ofd", &sealed, "render");
    assert_eq!(
        (rendered[0].clone(), rendered[1].clone()),
        (serde_json::Value::Null, serde_json::Value::Null),
        "{rendered}"
    );
    let red: Vec<f64> = serde_json::from_value(rendered[2].clone()).expect("a stamp on page 3");
    let page = ecenter_ofdseal::pages(&Package::read(&sealed, Limits::default()).unwrap()).unwrap();
    let [_, _, pw, ph] = page[2].area;
    assert!(
        red[0] >= x - 1.0 && red[1] >= y - 1.0 && red[2] <= x + w + 1.0 && red[3] <= y + h + 1.0,
        "{red:?} outside {x} {y} {w} {h}"
    );
    assert!(
        red[0] > pw / 3.0 && red[1] > ph / 3.0,
        "lower right: {red:?} on a {pw}×{ph} mm page"
    );
}

#[test]
fn a_second_seal_keeps_the_first_valid_for_both_verifiers() {
    let court = court();
    let dir = tempfile::tempdir().unwrap();
    let ofd = foreign(dir.path(), "plain", 10);
    let once = court.seal(&ofd, Stamp::default());
    let twice = court.seal(
        &once,
        Stamp {
            page: Some(1),
            origin: Some((20.0, 30.0)),
            size_mm: None,
        },
    );
    let seals = verify_ofd(&twice, &court.verifier, SystemTime::now()).unwrap();
    assert_eq!(seals.len(), 2);
    for s in &seals {
        assert_eq!(
            s.report.indication,
            Indication::Passed,
            "{}: {:#?}",
            s.id,
            s.report
        );
    }
    assert_eq!((seals[0].page, seals[1].page), (Some(10), Some(1)));
    let python = judged(dir.path(), "twice.ofd", &twice, "verify");
    assert_eq!(
        (python[0]["valid"].clone(), python[1]["valid"].clone()),
        (true.into(), true.into()),
        "{python}"
    );
}

/// A tampering: what was done, the package, the check that must fail, the Python flag to show it.
type Tampering = (&'static str, Vec<u8>, &'static str, &'static str);

/// Prepares copies of `sealed` with a page changed, a file added and a file removed.
fn files_tampered(sealed: &[u8]) -> Vec<Tampering> {
    let replace_in = |file: &str, from: &str, to: &str| {
        let (file, from, to) = (file.to_string(), from.to_string(), to.to_string());
        move |p: &mut Package| {
            let text = String::from_utf8(p.files[&file].clone()).unwrap();
            assert!(text.contains(&from), "{from} not in {file}");
            p.files
                .insert(file, text.replacen(&from, &to, 1).into_bytes());
        }
    };
    vec![
        (
            "a page changed",
            edit(
                sealed,
                replace_in("/Doc_0/Pages/Page_0/Content.xml", "第1页", "第9页"),
            ),
            "ofd_references",
            "references",
        ),
        (
            "a file added",
            edit(sealed, |p| {
                p.files.insert("/Doc_0/Res/extra.png".into(), vec![1, 2, 3]);
            }),
            "ofd_coverage",
            "added",
        ),
        (
            "a file removed",
            edit(sealed, |p| {
                p.files.remove("/Doc_0/PublicRes.xml");
            }),
            "ofd_references",
            "references",
        ),
    ]
}

/// Prepares copies of `sealed` with a reference dropped, a foreign SignedValue, a moved stamp.
fn signature_tampered(sealed: &[u8], sign: &str, other_value: &[u8]) -> Vec<Tampering> {
    vec![
        (
            "a reference dropped",
            edit(sealed, |p| {
                let file = format!("{sign}/Signature.xml");
                let text = String::from_utf8(p.files[&file].clone()).unwrap();
                let start = text
                    .find("<ofd:Reference FileRef=\"/Doc_0/PublicRes.xml\"")
                    .unwrap();
                let end = start
                    + text[start..].find("</ofd:Reference>").unwrap()
                    + "</ofd:Reference>".len();
                p.files.insert(
                    file,
                    format!("{}{}", &text[..start], &text[end..]).into_bytes(),
                );
            }),
            "document_hash",
            "data_hash",
        ),
        (
            "a SignedValue from another document",
            edit(sealed, |p| {
                p.files
                    .insert(format!("{sign}/SignedValue.dat"), other_value.to_vec());
            }),
            "document_hash",
            "data_hash",
        ),
        (
            "the stamp moved",
            edit(sealed, |p| {
                let file = format!("{sign}/Signature.xml");
                let text = String::from_utf8(p.files[&file].clone()).unwrap();
                let at = text.find("Boundary=\"").unwrap() + "Boundary=\"".len();
                p.files.insert(
                    file,
                    format!("{}1{}", &text[..at], &text[at..]).into_bytes(),
                );
            }),
            "document_hash",
            "data_hash",
        ),
    ]
}

#[test]
fn every_kind_of_tampering_fails_here_and_in_python() {
    let court = court();
    let dir = tempfile::tempdir().unwrap();
    let sealed = court.seal(&foreign(dir.path(), "plain", 3), Stamp::default());
    let sign = "/Doc_0/Signs/Sign_0";
    let other = court.seal(&foreign(dir.path(), "easyofd", 2), Stamp::default());
    let other_value = Package::read(&other, Limits::default()).unwrap().files
        [&format!("{sign}/SignedValue.dat")]
        .clone();
    let mut cases = files_tampered(&sealed);
    cases.extend(signature_tampered(&sealed, sign, &other_value));
    for (what, ofd, check, python_flag) in cases {
        let seals = verify_ofd(&ofd, &court.verifier, SystemTime::now()).unwrap();
        let report = &seals[0].report;
        assert_ne!(report.indication, Indication::Passed, "{what}: {report:#?}");
        assert!(
            failed(report, check),
            "{what}: {check} should fail: {report:#?}"
        );
        let python = judged(dir.path(), "t.ofd", &ofd, "verify");
        assert_eq!(python[0]["valid"], false, "{what}: {python}");
        let flag = &python[0][python_flag];
        assert!(
            flag == &serde_json::Value::Bool(false)
                || flag.as_array().is_some_and(|a| !a.is_empty()),
            "{what}: python {python_flag}: {python}"
        );
    }
}

#[test]
fn what_is_not_a_sealable_ofd_is_refused_by_name() {
    let court = court();
    let sealer = Sealer::new(&court.seal, &court.signer).unwrap();
    let refused = |bytes: &[u8], stamp: Stamp| {
        seal_ofd(bytes, &court.seal, &sealer, None, stamp, SystemTime::now())
            .unwrap_err()
            .to_string()
    };
    assert!(refused(b"%PDF-1.7", Stamp::default()).contains("ZIP"));
    let dir = tempfile::tempdir().unwrap();
    let ofd = foreign(dir.path(), "plain", 2);
    assert!(
        refused(
            &ofd,
            Stamp {
                page: Some(3),
                ..Default::default()
            }
        )
        .contains("2 page")
    );
    let off_page = Stamp {
        page: Some(1),
        origin: Some((190.0, 10.0)),
        size_mm: None,
    };
    assert!(refused(&ofd, off_page).contains("does not fit"));
    let invisible = Stamp {
        page: Some(1),
        origin: None,
        size_mm: Some((40.0, 2.0)),
    };
    assert!(refused(&ofd, invisible).contains("too small to be seen"));
    let no_ofd_xml = edit(&ofd, |p| {
        p.files.remove("/OFD.xml");
    });
    assert!(refused(&no_ofd_xml, Stamp::default()).contains("/OFD.xml"));
    let climbing = common::zip_with(&[("../OFD.xml", b"<ofd:OFD/>")]);
    assert!(refused(&climbing, Stamp::default()).contains("not a plain relative path"));
    // An unsealed OFD verifies to no seal at all, not to an error.
    assert!(
        verify_ofd(&ofd, &court.verifier, SystemTime::now())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn clerk_verify_ofd_judges_offline_with_the_anchors_it_is_given() {
    let court = court();
    let sm2 = court._pki.path().join("sm2");
    let dir = tempfile::tempdir().unwrap();
    let sealed = court.seal(&foreign(dir.path(), "plain", 2), Stamp::default());
    let good = dir.path().join("判决书（已签章）.ofd");
    std::fs::write(&good, &sealed).unwrap();
    let bad = dir.path().join("changed.ofd");
    std::fs::write(
        &bad,
        edit(&sealed, |p| {
            p.files
                .insert("/Doc_0/Res/added.xml".into(), b"<x/>".to_vec());
        }),
    )
    .unwrap();
    let clerk = |file: &Path, root: &Path, extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
            .arg("verify-ofd")
            .arg(file)
            .arg("--trust")
            .arg(root)
            .arg("--intermediate")
            .arg(sm2.join("seal-ca.pem"))
            .args(extra)
            .output()
            .unwrap()
    };
    let root = sm2.join("root-ca.pem");
    let out = clerk(&good, &root, &["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["passed"].clone(), json["seals"][0]["page"].clone()),
        (true.into(), 2.into()),
        "{json}"
    );
    let table = clerk(&good, &root, &[]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("PASSED")
            && text.contains("诉讼服务专用章")
            && text.contains("ofd_references"),
        "{text}"
    );

    let out = clerk(&bad, &root, &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let coverage = json["seals"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ofd_coverage")
        .unwrap()
        .clone();
    assert!(
        coverage["detail"]
            .as_str()
            .unwrap()
            .contains("/Doc_0/Res/added.xml"),
        "{coverage}"
    );
    // Another court's root: not trusted.
    let out = clerk(&good, &court._pki.path().join("root-ca.pem"), &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    revoked_signers_fail_and_unusable_trust_files_are_named(&court, &good, clerk);
}

/// The signer revoked: a CRL as CAs publish it, DER (made by OpenSSL from the PEM), fails the
/// seal as the PEM does. A `--crl` or `--trust` file holding none is a usage error naming it,
/// never a list left empty (outside tests, round 17, F1: a revoked signer PASSED with a DER CRL).
fn revoked_signers_fail_and_unusable_trust_files_are_named(
    court: &Court,
    good: &Path,
    clerk: impl Fn(&Path, &Path, &[&str]) -> std::process::Output,
) {
    let sm2 = court._pki.path().join("sm2");
    let before = sm2.join("seal-ca.before.crl.pem");
    std::fs::copy(sm2.join("seal-ca.crl.pem"), &before).unwrap();
    ecenter_pki::sm2::revoke(court._pki.path(), &sm2.join("seal.pem")).unwrap();
    let (crl_pem, crl_der) = (sm2.join("seal-ca.crl.pem"), sm2.join("seal-ca.crl.der"));
    let converted = std::process::Command::new("openssl")
        .args(["crl", "-outform", "DER", "-in"])
        .arg(&crl_pem)
        .arg("-out")
        .arg(&crl_der)
        .status()
        .unwrap();
    assert!(converted.success());
    let root = sm2.join("root-ca.pem");
    let arg = |p: &Path| p.to_str().unwrap().to_string();
    // Alone, or with the CA's earlier CRL (which does not list it) before or after: the newest of
    // the CA's CRLs counts (round 17b, F1: the first one given did).
    for crls in [
        vec![arg(&crl_pem)],
        vec![arg(&crl_der)],
        vec![arg(&before), arg(&crl_der)],
        vec![arg(&crl_pem), arg(&before)],
    ] {
        let mut args = vec!["--json"];
        for c in &crls {
            args.extend(["--crl", c.as_str()]);
        }
        let out = clerk(good, &root, &args);
        assert_eq!(out.status.code(), Some(1), "{crls:?}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            json["seals"][0].to_string().contains("REVOKED"),
            "{crls:?}: {json}"
        );
    }
    // Another CA's CRL says nothing of this signer, and the report says so.
    let foreign = court._pki.path().join("client-ca.crl.pem");
    let out = clerk(good, &root, &["--json", "--crl", foreign.to_str().unwrap()]);
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(
        json.contains("revocation not checked: none of the 1 CRL(s) given is its issuer's"),
        "{json}"
    );
    let junk = sm2.join("junk.crl");
    std::fs::write(&junk, b"not a CRL").unwrap();
    for (flag, file) in [
        ("--crl", &junk),
        ("--crl", &root),
        ("--trust", &sm2.join("seal.key")),
    ] {
        let out = if flag == "--trust" {
            clerk(good, file, &[])
        } else {
            clerk(good, &root, &[flag, file.to_str().unwrap()])
        };
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag} {}: {said}",
            file.display()
        );
        assert!(said.contains(&file.display().to_string()), "{said}");
    }
}

fn text_of(p: &Package, file: &str) -> String {
    String::from_utf8(p.files[file].clone()).unwrap()
}

/// The seal list of the first document in a package.
const SIGNATURE_LIST: &str = "/Doc_0/Signs/Signatures.xml";

/// Verifies `bytes` and gives each seal's indication with its checks' details joined.
fn verdicts(court: &Court, bytes: &[u8]) -> Vec<(Indication, String)> {
    verify_ofd(bytes, &court.verifier, SystemTime::now())
        .unwrap()
        .into_iter()
        .map(|s| {
            (
                s.report.indication,
                s.report
                    .checks
                    .iter()
                    .map(|c| c.detail.clone())
                    .collect::<Vec<_>>()
                    .join(" | "),
            )
        })
        .collect::<Vec<_>>()
}

/// Whether there is at least one seal and every seal passed.
fn passes(v: &[(Indication, String)]) -> bool {
    !v.is_empty() && v.iter().all(|(i, _)| *i == Indication::Passed)
}

/// Checks that a seal list nested in another root, or listing one seal twice, does not pass.
fn nested_and_doubled_lists_fail(court: &Court, once: &[u8]) {
    let list = SIGNATURE_LIST;
    // The seal list nested in another root (an annotation list) is not a seal list.
    let nested = edit(once, |p| {
        let inner = text_of(p, list);
        p.files.insert(
            list.into(),
            format!(
                "<ofd:Annotations xmlns:ofd=\"http://www.ofdspec.org/2016\">{}</ofd:Annotations>",
                inner.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            )
            .into_bytes(),
        );
    });
    let v = verdicts(court, &nested);
    assert!(
        !passes(&v) && v.iter().any(|(_, d)| d.contains("does not list")),
        "{v:?}"
    );
    // One seal listed twice counts once, and the second listing fails.
    let doubled = edit(once, |p| {
        let t = text_of(p, list);
        let entry = t
            .lines()
            .find(|l| l.contains("<ofd:Signature "))
            .unwrap()
            .to_string();
        p.files.insert(
            list.into(),
            t.replacen(
                &entry,
                &format!("{entry}\n{}", entry.replace("ID=\"1\"", "ID=\"9\"")),
                1,
            )
            .into_bytes(),
        );
    });
    let v = verdicts(court, &doubled);
    assert!(
        !passes(&v) && v.iter().any(|(_, d)| d.contains("listed twice")),
        "{v:?}"
    );
}

/// Checks that hiding the earlier of two seals fails while swapping the list's order passes.
fn hidden_seal_fails_and_swapped_list_passes(court: &Court, twice: &[u8]) {
    let list = SIGNATURE_LIST;
    // The earlier of two seals hidden from the list.
    let hidden = edit(twice, |p| {
        let t = text_of(p, list);
        let first = t
            .lines()
            .find(|l| l.contains("Sign_0/Signature.xml"))
            .unwrap()
            .to_string();
        p.files.insert(
            list.into(),
            t.replace(&format!("{first}\n"), "").into_bytes(),
        );
    });
    let v = verdicts(court, &hidden);
    assert!(
        !passes(&v)
            && v.iter()
                .any(|(_, d)| d.contains("Sign_0/Signature.xml is a seal")),
        "{v:?}"
    );
    // The list's order swapped: nothing changed that either seal protects.
    let swapped = edit(twice, |p| {
        let t = text_of(p, list);
        let lines: Vec<&str> = t.lines().collect();
        let (a, b) = (
            lines.iter().position(|l| l.contains("Sign_0/")).unwrap(),
            lines.iter().position(|l| l.contains("Sign_1/")).unwrap(),
        );
        let mut swapped = lines.clone();
        swapped.swap(a, b);
        p.files
            .insert(list.into(), (swapped.join("\n") + "\n").into_bytes());
    });
    let v = verdicts(court, &swapped);
    assert!(passes(&v) && v.len() == 2, "{v:?}");
}

/// Checks that a package with two ZIP entries of one name is refused.
fn duplicate_zip_entries_are_refused(court: &Court, dir: &Path, once: &[u8]) {
    let sealed_file = dir.join("once.ofd");
    std::fs::write(&sealed_file, once).unwrap();
    let dup = dir.join("dup.ofd");
    python_tool(
        "ofd_tools.py",
        &[
            "duplicate",
            path(&sealed_file),
            path(&dup),
            "Doc_0/Pages/Page_0/Content.xml",
            "<changed/>",
        ],
    );
    let refused = verify_ofd(
        &std::fs::read(&dup).unwrap(),
        &court.verifier,
        SystemTime::now(),
    )
    .unwrap_err();
    assert!(refused.to_string().contains("share a name"), "{refused}");
}

/// Checks that a placement that is no number, and a package closed to seals, refuse sealing.
fn unplaceable_stamps_and_closed_packages_refuse_sealing(court: &Court, ofd: &[u8], once: &[u8]) {
    let list = SIGNATURE_LIST;
    let sealer = Sealer::new(&court.seal, &court.signer).unwrap();
    let nan = Stamp {
        page: Some(1),
        origin: Some((f64::NAN, f64::NAN)),
        size_mm: None,
    };
    let refused = seal_ofd(ofd, &court.seal, &sealer, None, nan, SystemTime::now()).unwrap_err();
    assert!(refused.to_string().contains("does not fit"), "{refused}");
    let closed = edit(once, |p| {
        let file = "/Doc_0/Signs/Sign_0/Signature.xml";
        let t = text_of(p, file);
        p.files.insert(file.into(), t.replace("</ofd:References>", &format!("<ofd:Reference FileRef=\"{list}\"><ofd:CheckValue>AA==</ofd:CheckValue></ofd:Reference></ofd:References>")).into_bytes());
    });
    let refused = seal_ofd(
        &closed,
        &court.seal,
        &sealer,
        None,
        Stamp::default(),
        SystemTime::now(),
    )
    .unwrap_err();
    assert!(
        refused.to_string().contains("forbids any later seal"),
        "{refused}"
    );
}

/// What an outside tester built against the first version (each once passed or broke sealing).
#[test]
fn lists_and_packages_built_to_mislead_are_caught() {
    let court = court();
    let dir = tempfile::tempdir().unwrap();
    let ofd = foreign(dir.path(), "plain", 2);
    let once = court.seal(&ofd, Stamp::default());
    let twice = court.seal(
        &once,
        Stamp {
            page: Some(1),
            ..Default::default()
        },
    );

    nested_and_doubled_lists_fail(&court, &once);
    hidden_seal_fails_and_swapped_list_passes(&court, &twice);

    // Two ZIP entries of one name: readers disagree on which counts.
    duplicate_zip_entries_are_refused(&court, dir.path(), &once);

    // Placement that is no number, and a package closed to further seals.
    unplaceable_stamps_and_closed_packages_refuse_sealing(&court, &ofd, &once);

    // OFD.xml with an empty Signatures placeholder and a comment that looks like the end tag.
    let shaped = edit(&ofd, |p| {
        let t = text_of(p, "/OFD.xml");
        let t = t.replace(
            "</ofd:DocBody>",
            "<!-- </ofd:DocBody> --><ofd:Signatures/></ofd:DocBody>",
        );
        p.files.insert("/OFD.xml".into(), t.into_bytes());
    });
    let sealed = court.seal(&shaped, Stamp::default());
    let v = verdicts(&court, &sealed);
    assert!(passes(&v) && v.len() == 1, "{v:?}");
    reports_say_plainly_what_misleads(&court, &once);
    // Two seals under one ID: readers show one of them (outside tests, round 17, F5).
    let one_id = edit(&twice, |p| {
        let list = "/Doc_0/Signs/Signatures.xml";
        let text = text_of(p, list).replace("ID=\"3\"", "ID=\"1\"");
        assert_eq!(text.matches("ID=\"1\"").count(), 2, "{text}");
        p.files.insert(list.into(), text.into_bytes());
    });
    let v = verdicts(&court, &one_id);
    assert!(!passes(&v) && v[1].1.contains("under ID 1"), "{v:?}");
}

/// A name that mimics a sealed one is shown as it is; a References without CheckMethod says so; a
/// SignedValue that does not parse is not also called another seal (outside tests, round 17, F4).
fn reports_say_plainly_what_misleads(court: &Court, once: &[u8]) {
    let sign = "/Doc_0/Signs/Sign_0";
    let mimic = edit(once, |p| {
        let page = p.files["/Doc_0/Pages/Page_0/Content.xml"].clone();
        p.files
            .insert("/Doc_0/Pages/Page_0/Content.xml ".into(), page);
    });
    let v = verdicts(court, &mimic);
    assert!(
        v[0].1.contains("「/Doc_0/Pages/Page_0/Content.xml 」"),
        "{v:?}"
    );
    let unnamed = edit(once, |p| {
        let file = format!("{sign}/Signature.xml");
        let text = text_of(p, &file).replace(" CheckMethod=\"1.2.156.10197.1.401\"", "");
        p.files.insert(file, text.into_bytes());
    });
    let v = verdicts(court, &unnamed);
    assert!(v[0].1.contains("References names no CheckMethod"), "{v:?}");
    let garbled = edit(once, |p| {
        p.files
            .insert(format!("{sign}/SignedValue.dat"), vec![0x30, 0x03, 1, 2]);
    });
    let v = verdicts(court, &garbled);
    assert_eq!(v[0].0, Indication::Failed, "{v:?}");
    assert!(!v[0].1.contains("is not the seal inside"), "{v:?}");
}

/// `IN` laid out by `zip_layouts.py KIND` (the JDK's jar, a streaming zipfile, or a second
/// archive in the file).
fn laid_out(dir: &Path, kind: &str, ofd: &[u8]) -> std::path::PathBuf {
    let (src, out) = (
        dir.join(format!("{kind}-in.ofd")),
        dir.join(format!("{kind}.ofd")),
    );
    std::fs::write(&src, ofd).unwrap();
    python_tool("zip_layouts.py", &[kind, path(&src), path(&out)]);
    out
}

#[test]
fn an_ofd_carrying_a_font_and_a_picture_of_hundreds_of_kilobytes_seals_and_verifies() {
    // Deflated by Python's zipfile; each inflates past one 64 KiB buffer (outside tests, round
    // 17, F2: such packages were refused as "no deflate stream").
    let court = court();
    let dir = tempfile::tempdir().unwrap();
    let (sealed, _) = sealed_and_judged_by_both(&court, dir.path(), "fonted", 1);
    // The font is kept as Python wrote it, and a changed byte in it breaks the seal.
    let p = Package::read(&sealed, Limits::default()).unwrap();
    assert_eq!(p.get("/Doc_0/Res/font_2.ttf").unwrap().len(), 300_000);
    let changed = edit(&sealed, |p| {
        let font = p.files.get_mut("/Doc_0/Res/font_2.ttf").unwrap();
        font[150_000] ^= 1;
    });
    let seals = verify_ofd(&changed, &court.verifier, SystemTime::now()).unwrap();
    assert_eq!(seals[0].report.indication, Indication::Failed);
}

#[test]
fn ofds_zipped_by_java_by_a_streaming_writer_and_with_zip64_headers_seal_and_verify() {
    // Both write a data descriptor after every entry (APPNOTE §4.3.9), as ofdrw's ZIP does; the
    // third writes ZIP64 local headers, the sizes in their extra field.
    let court = court();
    let dir = tempfile::tempdir().unwrap();
    for kind in ["jar", "stream", "zip64"] {
        let ofd =
            std::fs::read(laid_out(dir.path(), kind, &foreign(dir.path(), "plain", 2))).unwrap();
        let sealed = court.seal(&ofd, Stamp::default());
        let seals = verify_ofd(&sealed, &court.verifier, SystemTime::now()).unwrap();
        assert_eq!(seals.len(), 1, "{kind}");
        assert_eq!(seals[0].report.indication, Indication::Passed, "{kind}");
        let python = judged(dir.path(), &format!("{kind}-sealed.ofd"), &sealed, "verify");
        assert_eq!(python[0]["valid"], true, "{kind}: {python}");
        // A sealed package laid out by them again is still one archive, and its seal holds.
        let again = std::fs::read(laid_out(dir.path(), kind, &sealed)).unwrap();
        let seals = verify_ofd(&again, &court.verifier, SystemTime::now()).unwrap();
        assert_eq!(
            seals[0].report.indication,
            Indication::Passed,
            "{kind} again"
        );
    }
}

#[test]
fn a_sealed_ofd_sharing_its_file_with_another_archive_is_refused_by_clerk() {
    // Readers find an archive differently (from the end record, from the first byte, from the
    // first record that parses): with two in one file, the verifier and a viewer can read two
    // documents. The second archive's first page says it was altered.
    let court = court();
    let dir = tempfile::tempdir().unwrap();
    let sealed = court.seal(&foreign(dir.path(), "plain", 2), Stamp::default());
    let sm2 = court._pki.path().join("sm2");
    let clerk = |file: &Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
            .arg("verify-ofd")
            .arg(file)
            .args(["--trust", path(&sm2.join("root-ca.pem")), "--json"])
            .args(["--intermediate", path(&sm2.join("seal-ca.pem"))])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), json)
    };
    let good = dir.path().join("sealed.ofd");
    std::fs::write(&good, &sealed).unwrap();
    assert_eq!(clerk(&good).0, Some(0));
    let kinds = [
        "appended",
        "hidden",
        "comment",
        "comment-archive",
        "unicode",
        "nul",
        "descriptor",
    ];
    for kind in kinds {
        let file = laid_out(dir.path(), kind, &sealed);
        let bytes = std::fs::read(&file).unwrap();
        let refused = verify_ofd(&bytes, &court.verifier, SystemTime::now()).unwrap_err();
        assert!(
            refused.to_string().contains("not one ZIP archive alone"),
            "{kind}: {refused}"
        );
        let (code, json) = clerk(&file);
        assert_eq!(code, Some(1), "{kind}: {json}");
        assert_eq!(json["passed"], false, "{kind}: {json}");
        assert!(
            json["refused"]
                .as_str()
                .is_some_and(|r| r.contains("archive")),
            "{json}"
        );
    }
    // What the verifier would otherwise have missed: Python's zipfile reads the altered page.
    for kind in ["appended", "comment-archive", "nul"] {
        let file = dir.path().join(format!("{kind}.ofd"));
        let page = "Doc_0/Pages/Page_0/Content.xml";
        let read = python_tool("zip_layouts.py", &["read", path(&file), page]);
        assert!(read.contains("已篡改"), "{kind}: {read}");
    }
}
