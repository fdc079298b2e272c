//! 国密 judged by JavaScript: the npm package sm-crypto (tests/smcrypto/judge.js) verifies SM2
//! signatures, seals and sealed OFDs made by the hub, and signs messages the hub must verify.
//! sm-crypto shares no code with RustCrypto, OpenSSL or the Python judges; where it parses
//! nothing itself, asn1crypto (tests/python/guomi.py `parts`) lays the signed messages out.

mod common;

use common::pdf::{court_seal_spec, holder, path, python_tool};
use ecenter_ofdseal::package::{Limits, Package};
use ecenter_ofdseal::{Stamp, seal_ofd};
use ecenter_seal::{Sealer, make_seal, seal_document, sm};
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

const DOC: &[u8] = "（2026）鄂06民终88号 送达回证".as_bytes();

/// `node tests/smcrypto/judge.js args…`, its JSON answer.
fn judge(args: &[&str]) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smcrypto/judge.js");
    let out = Command::new("node")
        .arg(script)
        .args(args)
        .output()
        .expect("node is installed (scripts/test)");
    assert!(
        out.status.success(),
        "judge.js {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ecenter_pki::init(dir.path(), false).unwrap();
    dir
}

fn key(sm2: &Path) -> sm::Sm2Key {
    use rustls_pki_types::PrivatePkcs8KeyDer;
    use rustls_pki_types::pem::PemObject;
    let der = PrivatePkcs8KeyDer::from_pem_file(sm2.join("seal.key")).unwrap();
    sm::Sm2Key::from_pkcs8(der.secret_pkcs8_der()).unwrap()
}

#[test]
fn sm_crypto_accepts_the_hubs_signatures_of_every_length_and_refuses_them_on_other_data() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let key = key(&sm2);
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("o");
    std::fs::write(&other, b"another document").unwrap();
    let cert = sm2.join("seal.pem");
    let mut lengths = std::collections::BTreeSet::new();
    // The hub signs deterministically (RFC 6979 nonces): one message per signature, for lengths.
    for i in 0..48 {
        let message = [DOC, format!(" 第{i}份").as_bytes()].concat();
        let (data, sig) = (
            dir.path().join(format!("m{i}")),
            dir.path().join(format!("s{i}")),
        );
        std::fs::write(&data, &message).unwrap();
        let signature = key.sign(&message);
        lengths.insert(signature.len());
        std::fs::write(&sig, &signature).unwrap();
        let verdict = judge(&["verify", path(&cert), path(&data), path(&sig)]);
        assert_eq!(
            verdict["valid"],
            true,
            "signature {i} ({} bytes)",
            signature.len()
        );
        if i < 4 {
            let verdict = judge(&["verify", path(&cert), path(&other), path(&sig)]);
            assert_eq!(verdict["valid"], false, "signature {i} on other data");
        }
    }
    // 48 signatures are 70, 71 and 72 bytes long all but surely (a 72 or 70 has odds ¼ each).
    assert!(lengths.len() >= 2, "{lengths:?}");
}

#[test]
fn the_hub_verifies_what_sm_crypto_signs_and_only_over_the_data_signed() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let public = key(&sm2).public_point();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("m");
    std::fs::write(&data, DOC).unwrap();
    let out = dir.path().join("js.sig");
    let (key_pem, cert) = (sm2.join("seal.key"), sm2.join("seal.pem"));
    judge(&[
        "sign",
        path(&key_pem),
        path(&cert),
        path(&data),
        path(&out),
        "24",
    ]);
    for i in 0..24 {
        let file = if i == 0 {
            out.clone()
        } else {
            dir.path().join(format!("js.sig.{i}"))
        };
        let signature = std::fs::read(&file).unwrap();
        sm::verify(&public, DOC, &signature)
            .unwrap_or_else(|e| panic!("sm-crypto signature {i} refused: {e}"));
        assert!(sm::verify(&public, b"another document", &signature).is_err());
    }
}

fn seal_for(sm2: &Path) -> (Vec<u8>, ecenter_seal::KeyHolder) {
    let signer = holder(sm2, "seal");
    let spec = court_seal_spec("4206-GM-JS", &signer);
    (
        make_seal(&spec, &holder(sm2, "seal-maker")).unwrap(),
        signer,
    )
}

/// sm-crypto's verdicts on the signer's and the maker's signatures inside an SES_Signature,
/// and on the same messages with one byte changed.
fn judge_ses(dir: &Path, ses: &[u8]) -> (serde_json::Value, serde_json::Value) {
    let (file, parts) = (dir.join("ses.der"), dir.join("parts.json"));
    std::fs::write(&file, ses).unwrap();
    python_tool("guomi.py", &["parts", path(&file), path(&parts)]);
    let verdicts = judge(&["verify-parts", path(&parts)]);
    let mut list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&parts).unwrap()).unwrap();
    for part in list.as_array_mut().unwrap() {
        let message = part["message_hex"].as_str().unwrap();
        let flipped = if message.ends_with('0') { "1" } else { "0" };
        part["message_hex"] = format!("{}{flipped}", &message[..message.len() - 1]).into();
    }
    std::fs::write(&parts, list.to_string()).unwrap();
    (verdicts, judge(&["verify-parts", path(&parts)]))
}

#[test]
fn sm_crypto_accepts_the_signer_and_maker_signatures_of_a_hub_made_sm2_seal() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let (seal, signer) = seal_for(&sm2);
    let ses = seal_document(&seal, DOC, &signer, SystemTime::now(), "4206-2026-0002").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (good, tampered) = judge_ses(dir.path(), &ses);
    assert_eq!(good, serde_json::json!({"signature": true, "seal": true}));
    assert_eq!(
        tampered,
        serde_json::json!({"signature": false, "seal": false})
    );
}

#[test]
fn sm_crypto_accepts_the_signed_value_of_a_hub_sealed_ofd() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let (seal, signer) = seal_for(&sm2);
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.ofd");
    python_tool("ofd_tools.py", &["plain", path(&plain), "2"]);
    let sealer = Sealer::new(&seal, &signer).unwrap();
    let ofd = std::fs::read(&plain).unwrap();
    let sealed = seal_ofd(
        &ofd,
        &seal,
        &sealer,
        None,
        Stamp::default(),
        SystemTime::now(),
    )
    .unwrap();
    let package = Package::read(&sealed, Limits::default()).unwrap();
    let value = &package.files["/Doc_0/Signs/Sign_0/SignedValue.dat"];
    let (good, tampered) = judge_ses(dir.path(), value);
    assert_eq!(good, serde_json::json!({"signature": true, "seal": true}));
    assert_eq!(
        tampered,
        serde_json::json!({"signature": false, "seal": false})
    );
}
