//! 国密: SM2/SM3 signatures, seals, timestamps and certificates, each judged by an implementation
//! that is not ecenter's — OpenSSL 3 (SM2/SM3 built in) and Python gmssl (tests/python/guomi.py) —
//! and each verifier fed artefacts those tools made.

mod common;

use common::pdf::{der_of, holder, path, python_tool, trust};
use ecenter_seal::tsa::{TimestampAuthority, verify_timestamp};
use ecenter_seal::{
    CheckStatus, Indication, SealSpec, SubIndication, add_timestamp, make_seal, seal_document, sm,
    verify,
};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

const DOC: &[u8] = "（2026）鄂06民终88号 民事判决书".as_bytes();

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn spec(signer_cert: &[u8]) -> SealSpec {
    SealSpec {
        seal_id: "4206000000001".into(),
        name: "襄阳市中级人民法院诉讼服务专用章".into(),
        seal_type: 1,
        signers: vec![signer_cert.to_vec()],
        valid_from: SystemTime::now() - Duration::from_secs(60),
        valid_to: SystemTime::now() + Duration::from_secs(86_400),
        picture_type: "PNG".into(),
        picture: common::seal_setup::seal_png(),
        size_mm: (40, 40),
    }
}

/// A PKI (ECDSA and SM2) in a temporary directory; the SM2 half is `<dir>/sm2`.
fn pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ecenter_pki::init(dir.path(), false).unwrap();
    dir
}

fn pkcs8_der(key_pem: &Path) -> Vec<u8> {
    use rustls_pki_types::PrivatePkcs8KeyDer;
    use rustls_pki_types::pem::PemObject;
    PrivatePkcs8KeyDer::from_pem_file(key_pem)
        .unwrap()
        .secret_pkcs8_der()
        .to_vec()
}

/// Checks OpenSSL verifies `hub.sig` in `d` under the GM/T 0009 ID with the seal's public key, and not under another ID.
fn openssl_checks_the_hub_signature(d: &Path, sm2: &Path) {
    let (_, _) = openssl(
        d,
        &[
            "x509",
            "-in",
            path(&sm2.join("seal.pem")),
            "-pubkey",
            "-noout",
            "-out",
            "seal.pub",
        ],
    );
    let check = |sig: &str, id: &str| {
        openssl(
            d,
            &[
                "pkeyutl",
                "-verify",
                "-in",
                "m",
                "-sigfile",
                sig,
                "-pubin",
                "-inkey",
                "seal.pub",
                "-rawin",
                "-digest",
                "sm3",
                "-pkeyopt",
                &format!("distid:{id}"),
            ],
        )
    };
    let (ok, text) = check("hub.sig", "1234567812345678");
    assert!(ok && text.contains("Verified Successfully"), "{text}");
    assert!(!check("hub.sig", "ALICE123@YAHOO.COM").0);
}

/// Checks the hub verifies OpenSSL's SM2 signature under the GM/T 0009 ID, and refuses its default ID or another document.
fn openssl_signatures_verify_in_the_hub(d: &Path, sm2: &Path, public: &[u8]) {
    let seal_key = sm2.join("seal.key");
    let sign = |id: Option<&str>, out: &str| {
        let mut args = vec![
            "pkeyutl",
            "-sign",
            "-in",
            "m",
            "-inkey",
            path(&seal_key),
            "-rawin",
            "-digest",
            "sm3",
            "-out",
            out,
        ];
        let opt = id.map(|i| format!("distid:{i}"));
        if let Some(opt) = &opt {
            args.extend(["-pkeyopt", opt.as_str()]);
        }
        assert!(openssl(d, &args).0);
        std::fs::read(d.join(out)).unwrap()
    };
    sm::verify(public, DOC, &sign(Some("1234567812345678"), "o.sig")).unwrap();
    assert!(sm::verify(public, DOC, &sign(None, "default.sig")).is_err());
    assert!(
        sm::verify(
            public,
            b"another document",
            &sign(Some("1234567812345678"), "o2.sig")
        )
        .is_err()
    );
}

#[test]
fn sm3_and_sm2_signatures_agree_with_openssl_and_gmssl_both_ways() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("m"), DOC).unwrap();
    // SM3: OpenSSL's digest is ours.
    let (_, text) = openssl(d, &["dgst", "-sm3", "-r", "m"]);
    assert_eq!(text.split(' ').next().unwrap(), hex(&sm::sm3_of(&[DOC])));

    // The hub signs; OpenSSL verifies under the GM/T 0009 ID, and not under another.
    let key = sm::Sm2Key::from_pkcs8(&pkcs8_der(&sm2.join("seal.key"))).unwrap();
    std::fs::write(d.join("hub.sig"), key.sign(DOC)).unwrap();
    openssl_checks_the_hub_signature(d, &sm2);

    // OpenSSL signs under the GM/T 0009 ID: the hub verifies; under OpenSSL's own default: refused.
    let public = key.public_point();
    openssl_signatures_verify_in_the_hub(d, &sm2, &public);

    // gmalg (Python) signs: the hub verifies.
    python_tool(
        "guomi.py",
        &[
            "sign",
            path(&sm2.join("seal.key")),
            path(&d.join("m")),
            path(&d.join("g.sig")),
        ],
    );
    sm::verify(&public, DOC, &std::fs::read(d.join("g.sig")).unwrap()).unwrap();
}

#[test]
fn an_sm2_seal_made_and_applied_by_the_hub_is_valid_to_gmssl_and_to_the_hub() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let signer = holder(&sm2, "seal");
    let seal = make_seal(&spec(signer.cert()), &holder(&sm2, "seal-maker")).unwrap();
    let signature =
        seal_document(&seal, DOC, &signer, SystemTime::now(), "4206-2026-0001").unwrap();

    let report = verify(&signature, DOC, &trust(&sm2), SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert!(
        report
            .check("algorithm")
            .unwrap()
            .detail
            .contains("SM2 with SM3")
    );
    assert!(
        report
            .check("document_hash")
            .unwrap()
            .detail
            .contains("SM3")
    );

    let dir = tempfile::tempdir().unwrap();
    let (sig, doc, other) = (
        dir.path().join("s.der"),
        dir.path().join("d"),
        dir.path().join("o"),
    );
    std::fs::write(&sig, &signature).unwrap();
    std::fs::write(&doc, DOC).unwrap();
    std::fs::write(&other, b"another document").unwrap();
    let judged = json(&python_tool("guomi.py", &["ses", path(&sig), path(&doc)]));
    assert_eq!(
        judged["algorithm"],
        serde_json::json!(["1.2.156.10197.1.501", "1.2.156.10197.1.501"])
    );
    for check in ["signature", "data_hash", "seal"] {
        assert_eq!(judged[check], true, "gmssl on {check}: {judged}");
    }
    // Another document: both judges say the hash differs, and only the hash.
    let judged = json(&python_tool("guomi.py", &["ses", path(&sig), path(&other)]));
    assert_eq!(
        (judged["data_hash"].clone(), judged["signature"].clone()),
        (false.into(), true.into())
    );
    let report = verify(
        &signature,
        b"another document",
        &trust(&sm2),
        SystemTime::now(),
    );
    assert_eq!(
        report.sub_indication,
        Some(SubIndication::HashFailure),
        "{report:#?}"
    );

    // An ECDSA court does not trust the SM2 hierarchy: no chain, named.
    let report = verify(&signature, DOC, &trust(pki.path()), SystemTime::now());
    assert_eq!(report.indication, Indication::Indeterminate, "{report:#?}");
    assert!(matches!(
        report.check("signer_chain").unwrap().status,
        CheckStatus::Failed(SubIndication::NoCertificateChainFound)
    ));
}

/// An SM2 CA, seal maker and signer made by OpenSSL alone, certificates signed under the GM/T
/// 0009 ID as GM/T 0015 wants.
fn openssl_hierarchy(d: &Path) {
    std::fs::write(d.join("maker.ext"), "keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=1.3.6.1.4.1.59648.1.2\n").unwrap();
    std::fs::write(
        d.join("signer.ext"),
        "keyUsage=critical,digitalSignature,nonRepudiation\n",
    )
    .unwrap();
    std::fs::write(d.join("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n").unwrap();
    let id = "distid:1234567812345678";
    for step in [
        vec!["genpkey", "-algorithm", "SM2", "-out", "ca.key"],
        vec![
            "req",
            "-new",
            "-key",
            "ca.key",
            "-sm3",
            "-sigopt",
            id,
            "-subj",
            "/C=CN/O=外院/CN=外院国密根",
            "-out",
            "ca.csr",
        ],
        vec![
            "x509", "-req", "-in", "ca.csr", "-key", "ca.key", "-sm3", "-sigopt", id, "-vfyopt",
            id, "-days", "30", "-extfile", "ca.ext", "-out", "ca.pem",
        ],
        vec!["genpkey", "-algorithm", "SM2", "-out", "maker.key"],
        vec!["genpkey", "-algorithm", "SM2", "-out", "signer.key"],
    ] {
        let (ok, text) = openssl(d, &step);
        assert!(ok, "{step:?}: {text}");
    }
    for who in ["maker", "signer"] {
        for step in [
            vec![
                "req".to_string(),
                "-new".into(),
                "-key".into(),
                format!("{who}.key"),
                "-sm3".into(),
                "-sigopt".into(),
                id.into(),
                "-subj".into(),
                format!("/C=CN/O=外院/CN={who}"),
                "-out".into(),
                format!("{who}.csr"),
            ],
            vec![
                "x509".into(),
                "-req".into(),
                "-in".into(),
                format!("{who}.csr"),
                "-CA".into(),
                "ca.pem".into(),
                "-CAkey".into(),
                "ca.key".into(),
                "-sm3".into(),
                "-sigopt".into(),
                id.into(),
                "-vfyopt".into(),
                id.into(),
                "-days".into(),
                "30".into(),
                "-extfile".into(),
                format!("{who}.ext"),
                "-out".into(),
                format!("{who}.pem"),
            ],
        ] {
            let args: Vec<&str> = step.iter().map(String::as_str).collect();
            let (ok, text) = openssl(d, &args);
            assert!(ok, "{args:?}: {text}");
        }
    }
}

#[test]
fn a_seal_on_certificates_openssl_made_verifies_against_the_openssl_root() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl_hierarchy(d);
    let signer = holder(d, "signer");
    let seal = make_seal(&spec(signer.cert()), &holder(d, "maker")).unwrap();
    let signature = seal_document(&seal, DOC, &signer, SystemTime::now(), "foreign").unwrap();
    let root = der_of(&d.join("ca.pem"));
    let trust = ecenter_seal::TrustStores {
        seal_makers: vec![root.clone()],
        signers: vec![root],
        ..Default::default()
    };
    let report = verify(&signature, DOC, &trust, SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
}

#[test]
fn an_sm2_timestamp_is_judged_by_gmssl_and_the_hub_alike() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let signer = holder(&sm2, "seal");
    let seal = make_seal(&spec(signer.cert()), &holder(&sm2, "seal-maker")).unwrap();
    let signature = seal_document(&seal, DOC, &signer, SystemTime::now(), "ts").unwrap();
    let tsa = TimestampAuthority::new(holder(&sm2, "tsa"));
    let stamped = add_timestamp(&signature, &tsa, SystemTime::now()).unwrap();
    let report = verify(&stamped, DOC, &trust(&sm2), SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert!(
        report
            .check("timestamp")
            .unwrap()
            .detail
            .contains("ecenter"),
        "{report:#?}"
    );

    let token = tsa.timestamp(DOC, SystemTime::now()).unwrap();
    let anchors = [der_of(&sm2.join("root-ca.pem"))];
    let inter = [der_of(&sm2.join("tsa-ca.pem"))];
    verify_timestamp(&token, DOC, &anchors, &inter).unwrap();
    assert!(verify_timestamp(&token, b"other", &anchors, &inter).is_err());
    let ecdsa_root = [der_of(&pki.path().join("root-ca.pem"))];
    assert!(verify_timestamp(&token, DOC, &ecdsa_root, &inter).is_err());

    let dir = tempfile::tempdir().unwrap();
    let (t, doc, other) = (
        dir.path().join("t.der"),
        dir.path().join("d"),
        dir.path().join("o"),
    );
    std::fs::write(&t, &token).unwrap();
    std::fs::write(&doc, DOC).unwrap();
    std::fs::write(&other, b"other").unwrap();
    let judged = json(&python_tool("guomi.py", &["tst", path(&t), path(&doc)]));
    assert_eq!(
        judged["algorithm"],
        serde_json::json!(["1.2.156.10197.1.401", "1.2.156.10197.1.501"])
    );
    for check in ["imprint", "message_digest", "signature"] {
        assert_eq!(judged[check], true, "gmssl on {check}: {judged}");
    }
    let judged = json(&python_tool("guomi.py", &["tst", path(&t), path(&other)]));
    assert_eq!(judged["imprint"], false, "{judged}");
}

#[test]
fn a_revoked_sm2_signer_is_reported_revoked_through_an_sm2_crl() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let signer = holder(&sm2, "seal");
    let seal = make_seal(&spec(signer.cert()), &holder(&sm2, "seal-maker")).unwrap();
    let signature = seal_document(&seal, DOC, &signer, SystemTime::now(), "r").unwrap();
    ecenter_pki::sm2::revoke(pki.path(), &sm2.join("seal.pem")).unwrap();
    let crl = sm2.join("seal-ca.crl.pem");
    let judged = json(&python_tool(
        "guomi.py",
        &["crl", path(&crl), path(&sm2.join("seal-ca.pem"))],
    ));
    assert_eq!(judged["signature"], true, "gmssl on the CRL: {judged}");
    let (_, serial) = openssl(&sm2, &["x509", "-noout", "-serial", "-in", "seal.pem"]);
    let serial = serial
        .trim()
        .trim_start_matches("serial=")
        .trim_start_matches('0')
        .to_lowercase();
    assert_eq!(judged["revoked"], serde_json::json!([serial]));

    use rustls_pki_types::CertificateRevocationListDer;
    use rustls_pki_types::pem::PemObject;
    let mut t = trust(&sm2);
    t.crls = vec![
        CertificateRevocationListDer::from_pem_file(&crl)
            .unwrap()
            .as_ref()
            .to_vec(),
    ];
    let report = verify(&signature, DOC, &t, SystemTime::now());
    assert_eq!(
        report.sub_indication,
        Some(SubIndication::Revoked),
        "{report:#?}"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_timestamp_is_bound_to_its_tsa_certificate_its_content_type_and_the_past() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    std::fs::write(&data, DOC).unwrap();
    let anchors = [der_of(&sm2.join("root-ca.pem"))];
    let inter = [der_of(&sm2.join("tsa-ca.pem"))];
    let token = |variant: &str| {
        let out = dir.path().join(format!("{variant}.tst"));
        python_tool(
            "guomi.py",
            &[
                "make-tst",
                path(&sm2.join("tsa.key")),
                path(&sm2.join("tsa.pem")),
                path(&data),
                path(&out),
                variant,
                path(&sm2.join("seal.pem")),
            ],
        );
        verify_timestamp(&std::fs::read(out).unwrap(), DOC, &anchors, &inter)
    };
    token("good").unwrap();
    // Without the attribute the SignerIdentifier and the signature bind the TSA (pyHanko's
    // TSA writes none); naming another certificate is refused.
    token("no-signing-cert").unwrap();
    for (variant, named) in [
        ("other-cert", "signing-certificate-v2"),
        ("content-type-data", "contentType"),
        ("future", "genTime"),
    ] {
        let refused = token(variant).unwrap_err();
        assert!(refused.reason().contains(named), "{variant}: {refused}");
    }
}

#[test]
fn a_foreign_sm2_seal_naming_its_signer_by_an_sm3_digest_verifies() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let dir = tempfile::tempdir().unwrap();
    let (doc, out) = (dir.path().join("d"), dir.path().join("s.der"));
    std::fs::write(&doc, DOC).unwrap();
    let keys = ["seal-maker.key", "seal-maker.pem", "seal.key", "seal.pem"].map(|f| sm2.join(f));
    let mut args = vec!["make-ses"];
    args.extend(keys.iter().map(|k| path(k)));
    args.extend([path(&doc), path(&out)]);
    python_tool("guomi.py", &args);
    let signature = std::fs::read(&out).unwrap();
    let report = verify(&signature, DOC, &trust(&sm2), SystemTime::now());
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    // A signer that hashed with SHA-256 under SM2: refused, and told why.
    let sha = dir.path().join("sha.der");
    let mut args = vec!["make-ses"];
    args.extend(keys.iter().map(|k| path(k)));
    args.extend([path(&doc), path(&sha), "sha256"]);
    python_tool("guomi.py", &args);
    let report = verify(
        &std::fs::read(&sha).unwrap(),
        DOC,
        &trust(&sm2),
        SystemTime::now(),
    );
    let hash = &report.check("document_hash").unwrap().detail;
    assert!(
        hash.contains("SHA-256") && hash.contains("wrong digest"),
        "{hash}"
    );
    // The same seal used by another signer: the SM3 digest names only the listed one.
    let other = holder(pki.path(), "seal");
    let seal = ecenter_seal::seal_of_signature(&signature).unwrap();
    assert!(ecenter_seal::Sealer::new(&seal, &other).is_err());
}

#[test]
fn an_out_of_date_crl_leaves_revocation_unknown_and_says_so() {
    let pki = pki();
    let sm2 = pki.path().join("sm2");
    let signer = holder(&sm2, "seal");
    let seal = make_seal(&spec(signer.cert()), &holder(&sm2, "seal-maker")).unwrap();
    let signature = seal_document(&seal, DOC, &signer, SystemTime::now(), "stale").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let judged_with = |days: &str| {
        let out = dir.path().join(format!("crl{days}.pem"));
        python_tool(
            "guomi.py",
            &[
                "make-crl",
                path(&sm2.join("seal-ca.key")),
                path(&sm2.join("seal-ca.pem")),
                path(&out),
                days,
            ],
        );
        use rustls_pki_types::CertificateRevocationListDer;
        use rustls_pki_types::pem::PemObject;
        let mut t = trust(&sm2);
        t.crls = vec![
            CertificateRevocationListDer::from_pem_file(&out)
                .unwrap()
                .as_ref()
                .to_vec(),
        ];
        verify(&signature, DOC, &t, SystemTime::now())
    };
    let fresh = judged_with("30");
    assert_eq!(fresh.indication, Indication::Passed, "{fresh:#?}");
    let stale = judged_with("-1");
    assert_eq!(
        stale.sub_indication,
        Some(SubIndication::TryLater),
        "{stale:#?}"
    );
    let detail = &stale.check("signer_chain").unwrap().detail;
    assert!(
        detail.contains("fresh CRL") && detail.contains("Beijing time"),
        "{detail}"
    );
}
