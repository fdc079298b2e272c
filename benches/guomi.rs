//! SM2/SM3 figures (#16), each against an anchor measured in the same run:
//! - SM2 sign and verify per second (RustCrypto `sm2`, as the hub uses it) against
//!   `openssl speed -seconds 3 sm2` (OpenSSL 3, C and assembly);
//! - applying an SM2 seal (SES_Signature v4: SM3 of the document, TBS_Sign encoded, SM2 sign) to a
//!   4 KiB and a 1 MiB document, as a ratio to the bare work: a raw SM2 sign of a TBS_Sign-sized
//!   message plus SM3 of the document (target ≥ 0.9);
//! - sealing a 10-page OFD (tests/python/ofd_tools.py writes it, not ecenter) as a ratio to SM3
//!   over every file of the package plus one SM2 sign.
//!
//! Run: `cargo bench --bench guomi` (prints Markdown for docs/PERFORMANCE.md). Without `--bench`
//! (as `cargo test` runs benches) it does nothing.

#[path = "../tests/common/seal_setup.rs"]
#[allow(dead_code)] // the bench uses only the seal picture
mod seal_setup;
mod support;

use ecenter_seal::{SealSpec, Sealer, make_seal, sm};
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

/// Operations per second of `f`, run for about `seconds`.
fn per_second(seconds: f64, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..16 {
            f();
        }
        n += 16;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// (sign/s, verify/s) from `openssl speed sm2`.
fn openssl_speed() -> (f64, f64) {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "3", "sm2"])
        .output()
        .expect("openssl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("SM2 (CurveSM2)"))
        .unwrap_or_else(|| panic!("no SM2 line in: {text}"));
    let fields: Vec<f64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let n = fields.len();
    (fields[n - 2], fields[n - 1])
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let sm2 = pki.path().join("sm2");
    let maker = support::holder(&sm2, "seal-maker");
    let signer = support::holder(&sm2, "seal");
    let key_pem = std::fs::read_to_string(sm2.join("seal.key")).unwrap();
    let key_der = pem_body(&key_pem);
    let key = sm::Sm2Key::from_pkcs8(&key_der).unwrap();
    let public = key.public_point();
    let spec = SealSpec {
        seal_id: "4206-GM-BENCH".into(),
        name: "襄阳市中级人民法院诉讼服务专用章".into(),
        seal_type: 1,
        signers: vec![signer.cert().to_vec()],
        valid_from: SystemTime::now(),
        valid_to: SystemTime::now() + Duration::from_secs(86_400),
        picture_type: "PNG".into(),
        picture: seal_setup::seal_png(),
        size_mm: (42, 42),
    };
    let seal = make_seal(&spec, &maker).unwrap();
    let sealer = Sealer::new(&seal, &signer).unwrap();
    let tbs_len = seal.len() + 80; // version, time, dataHash, propertyInfo around the seal

    let message = vec![0x5au8; 32];
    let signature = key.sign(&message);
    let (openssl_sign, openssl_verify) = openssl_speed();
    let sign = per_second(3.0, || {
        black_box(key.sign(black_box(&message)));
    });
    let verify = per_second(3.0, || {
        sm::verify(&public, &message, &signature).unwrap();
    });
    println!("\n| SM2 (one core) | ecenter (RustCrypto sm2) | OpenSSL 3 `speed sm2` | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| sign/s | {sign:.0} | {openssl_sign:.0} | {:.2} |",
        sign / openssl_sign
    );
    println!(
        "| verify/s | {verify:.0} | {openssl_verify:.0} | {:.2} |",
        verify / openssl_verify
    );

    println!(
        "\n| applying an SM2 seal | apply/s | raw SM2 sign of {tbs_len} B + SM3 of the document /s | ratio (target ≥ 0.9) |"
    );
    println!("|---|---|---|---|");
    for (label, len) in [("4 KiB", 4096usize), ("1 MiB", 1 << 20)] {
        let document = support::document(len, 7);
        let tbs = vec![0x30u8; tbs_len];
        let anchor = per_second(3.0, || {
            black_box(sm::sm3_of(&[black_box(&document)]));
            black_box(key.sign(black_box(&tbs)));
        });
        let apply = per_second(3.0, || {
            black_box(
                sealer
                    .seal(black_box(&document), SystemTime::now(), "bench")
                    .unwrap(),
            );
        });
        println!(
            "| {label} | {apply:.0} | {anchor:.0} | {:.2} |",
            apply / anchor
        );
    }
    ofd_figure(&seal, &sealer, &key);
}

/// Sealing a 10-page OFD against SM3 of its files plus one SM2 sign.
fn ofd_figure(seal: &[u8], sealer: &Sealer<'_>, key: &sm::Sm2Key) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ten.ofd");
    let made = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/ofd_tools.py"
        ))
        .args(["plain", out.to_str().unwrap(), "10"])
        .status()
        .unwrap();
    assert!(made.success());
    let ofd = std::fs::read(&out).unwrap();
    let package = ecenter_ofdseal::package::Package::read(&ofd, Default::default()).unwrap();
    let files: Vec<&[u8]> = package.files.values().map(Vec::as_slice).collect();
    let inflated: usize = files.iter().map(|f| f.len()).sum();
    let anchor = per_second(3.0, || {
        for f in &files {
            black_box(sm::sm3_of(&[f]));
        }
        black_box(key.sign(black_box(b"Signature.xml")));
    });
    let sealing = per_second(3.0, || {
        let now = SystemTime::now();
        black_box(
            ecenter_ofdseal::seal_ofd(&ofd, seal, sealer, None, Default::default(), now).unwrap(),
        );
    });
    println!(
        "\n| sealing an OFD | seals/s | anchor: SM3 of the package's files + one SM2 sign, /s | ratio |"
    );
    println!("|---|---|---|---|");
    println!(
        "| 10 pages, {} files, {inflated} B inflated ({} B zipped) | {sealing:.0} | {anchor:.0} | {:.2} |",
        files.len(),
        ofd.len(),
        sealing / anchor
    );
}

fn pem_body(pem: &str) -> Vec<u8> {
    use rustls_pki_types::PrivatePkcs8KeyDer;
    use rustls_pki_types::pem::PemObject;
    PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .secret_pkcs8_der()
        .to_vec()
}
