//! The checkpoint module's tests (`head` is shared with the store's other tests).

use super::*;

/// A head at `seq` whose hash is `fill` repeated (shared by the store's tests).
pub(crate) fn head(seq: u64, fill: u8) -> ChainHead {
    ChainHead {
        seq,
        hash: [fill; 32],
        recorded_at: None,
    }
}

#[test]
fn a_chain_or_a_certificate_given_for_a_public_key_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let one = signer(dir.path()).public_key_pem();
    let two = format!("{one}{one}");
    let said = CheckpointKey::from_pem(&two).unwrap_err();
    assert!(said.starts_with("holds 2 PEM blocks"), "{said}");
    let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let said = CheckpointKey::from_pem(cert).unwrap_err();
    assert!(
        said.starts_with("a CERTIFICATE, not a PUBLIC KEY"),
        "{said}"
    );
    assert!(CheckpointKey::from_pem(&one).is_ok());
    let said = CheckpointKey::from_pem("").unwrap_err();
    assert!(said.starts_with("holds no PEM block"), "{said}");
    let private = std::fs::read_to_string(dir.path().join("hub.key")).unwrap();
    let said = CheckpointKey::from_pem(&private).unwrap_err();
    assert!(
        said.starts_with("a PRIVATE KEY, not a PUBLIC KEY"),
        "{said}"
    );
    // OpenSSL's compressed form of the same key.
    let key = dir.path().join("hub.key");
    let out = std::process::Command::new("openssl")
        .args(["ec", "-in", key.to_str().unwrap(), "-pubout"])
        .args(["-conv_form", "compressed"])
        .output()
        .unwrap();
    let said = CheckpointKey::from_pem(&String::from_utf8_lossy(&out.stdout)).unwrap_err();
    assert!(said.contains("point compressed"), "{said}");
}

/// A key given as DER, compressed as some tools write it: the advice, run as given by OpenSSL,
/// gives a key that loads, in one step (outside tests, round 10, F5).
#[test]
fn the_advice_for_a_der_key_gives_a_key_that_loads_in_one_step() {
    let dir = tempfile::tempdir().unwrap();
    let pem = signer(dir.path()).public_key_pem();
    let key = dir.path().join("hub.key");
    let der = dir.path().join("compressed.der");
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "ec",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-outform",
        "DER",
        "-conv_form",
        "compressed",
        "-out",
        der.to_str().unwrap(),
    ]);
    let said = CheckpointKey::load(&der).unwrap_err().to_string();
    let advice = said.split('`').nth(1).unwrap_or_else(|| panic!("{said}"));
    let fixed = dir.path().join("fixed.pem");
    let args: Vec<String> = advice
        .split_whitespace()
        .skip(1)
        .map(|a| match a {
            "FILE" => der.to_str().unwrap().to_string(),
            other => other.to_string(),
        })
        .chain(["-out".to_string(), fixed.to_str().unwrap().to_string()])
        .collect();
    openssl(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let loaded = CheckpointKey::load(&fixed).expect("the advice's key loads");
    assert_eq!(loaded, CheckpointKey::from_pem(&pem).unwrap());
}

pub(crate) fn signer(dir: &Path) -> CheckpointSigner {
    CheckpointSigner::load(&dir.join("hub.key"), true).unwrap()
}

#[test]
fn the_newer_checkpoint_names_the_later_entry_then_the_later_time() {
    let dir = tempfile::tempdir().unwrap();
    let s = signer(dir.path());
    let t0 = Utc::now();
    let later = t0 + chrono::Duration::seconds(1);
    let own = s.sign(1, &head(10, 1), later);
    let published = s.sign(7, &head(12, 2), t0);
    let pick = |a: &Checkpoint, b: &Checkpoint| newer(Some(a.clone()), Some(b.clone()));
    assert_eq!(pick(&own, &published), Some(published.clone()));
    assert_eq!(pick(&published, &own), Some(published.clone()));
    let same_entry_later = s.sign(8, &head(12, 2), later);
    assert_eq!(pick(&published, &same_entry_later), Some(same_entry_later));
    assert_eq!(newer(None, Some(own.clone())), Some(own.clone()));
    assert_eq!(newer(Some(own.clone()), None), Some(own));
    assert_eq!(newer(None, None), None);
}

#[test]
fn checkpoints_round_trip_and_any_edit_is_named_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let s = signer(dir.path());
    let mut f = CheckpointFile::open(&dir.path().join("cp"), &s).unwrap();
    for n in 1..=3 {
        f.append(&s.sign(n, &head(n * 10, n as u8), Utc::now()))
            .unwrap();
    }
    let key = CheckpointKey::load(&dir.path().join("cp").join(KEY_NAME)).unwrap();
    let all = read_file(f.path(), &key).unwrap().unwrap();
    assert_eq!(all.iter().map(|c| c.seq).collect::<Vec<_>>(), [10, 20, 30]);

    // Entry 20 rewritten as 25 in line 2: the signature no longer holds.
    let text = std::fs::read_to_string(f.path()).unwrap();
    std::fs::write(f.path(), text.replacen("\"seq\":20", "\"seq\":25", 1)).unwrap();
    match read_file(f.path(), &key).unwrap_err() {
        CheckpointError::BadLine { line, reason, .. } => {
            assert_eq!(line, 2);
            assert!(reason.contains("does not verify"), "{reason}");
        }
        other => panic!("{other}"),
    }
    // A line removed from the middle: the numbering names it.
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(f.path(), format!("{}\n{}\n", lines[0], lines[2])).unwrap();
    let err = read_file(f.path(), &key).unwrap_err().to_string();
    assert!(
        err.contains("line 2") && err.contains("checkpoint 3 where 2 was due"),
        "{err}"
    );
    // Signed by another key (a forger's file): refused.
    let other = CheckpointSigner::load(&dir.path().join("other.key"), true).unwrap();
    let forged = serde_json::to_string(&other.sign(1, &head(5, 5), Utc::now())).unwrap();
    std::fs::write(f.path(), forged + "\n").unwrap();
    let err = read_file(f.path(), &key).unwrap_err().to_string();
    assert!(err.contains("not by the hub's key"), "{err}");
    assert!(
        read_file(&dir.path().join("none.jsonl"), &key)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_shorter_or_different_log_is_named_against_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let s = signer(dir.path());
    let cp = s.sign(31, &head(12, 7), Utc::now());
    let err = check_log(&head(4, 1), &cp, |_| None, &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("the log ends at entry 4, but checkpoint 31 signed "),
        "{err}"
    );
    assert!(
        err.contains("names entry 12 with hash 0707") && err.contains("entries 5–12"),
        "{err}"
    );
    let err = check_log(&head(20, 1), &cp, |seq| (seq == 12).then_some([8; 32]), &[])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("entry 12 has hash 0808"), "{err}");
    check_log(&head(20, 1), &cp, |_| Some([7; 32]), &[]).unwrap();
    check_log(&head(13, 1), &cp, |_| None, &[(5, 12)]).unwrap();
}

#[test]
fn a_line_signed_by_another_key_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let cp = signer(other.path()).sign(1, &head(3, 3), Utc::now());
    let file = dir.path().join(FILE_NAME);
    std::fs::write(&file, format!("{}\n", serde_json::to_string(&cp).unwrap())).unwrap();
    let key = CheckpointKey::from(&signer(dir.path()));
    let err = read_file(&file, &key).unwrap_err();
    assert!(
        matches!(
            err,
            CheckpointError::OtherKey {
                line: 1,
                number: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_key_is_made_once_private_and_read_back() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k").join("hub.key");
    let a = CheckpointSigner::load(&path, true).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let b = CheckpointSigner::load(&path, false).unwrap();
    assert_eq!(a.key_id(), b.key_id());
    assert!(CheckpointSigner::load(&dir.path().join("missing.key"), false).is_err());
}

#[test]
fn a_key_file_of_the_wrong_kind_is_named_as_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.key");
    let one = signer(dir.path()).public_key_pem();
    for (content, says) in [
        (Vec::new(), "holds 0 PEM blocks"),
        (format!("{one}{one}").into_bytes(), "holds 2 PEM blocks"),
        (
            one.clone().into_bytes(),
            "holds \"PUBLIC KEY\", not a PKCS#8",
        ),
        (vec![0x30, 0x82, 0xff, 0xfe], "not text (DER?)"),
    ] {
        std::fs::write(&path, content).unwrap();
        let said = CheckpointSigner::load(&path, false)
            .unwrap_err()
            .to_string();
        assert!(said.contains(says), "{said}");
    }
}
