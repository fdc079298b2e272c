//! Seal figures (criterion), each as a ratio to ring's raw operation measured in the same run:
//! applying a seal to 4 KiB vs a raw P-256 sign; full verification with cached chains vs a raw P-256
//! verify; sealing 50 MiB vs SHA-256 of it.
//!
//! Run: `cargo bench --bench seal`. After criterion's own output it prints a Markdown table of ratios
//! for docs/PERFORMANCE.md.

use criterion::Criterion;
use ecenter_seal::{KeyHolder, SealSpec, TrustStores, Verifier, make_seal, seal_document};
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, SystemTime};

#[path = "../crates/seal/tests/support/mod.rs"]
mod support;
use support::{holder, pem_der as der};

fn mean_ns(target: &Path, id: &str) -> f64 {
    let path = target
        .join("criterion")
        .join(id)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["mean"]["point_estimate"].as_f64().unwrap()
}

/// The GB/T 38540 seal the bench applies (an 8 KiB picture, made by the test PKI's seal maker),
/// its spec, and the signer key that applies it.
fn bench_seal(dir: &Path) -> (SealSpec, Vec<u8>, KeyHolder) {
    let maker = holder(dir, "seal-maker");
    let signer = holder(dir, "seal");
    let spec = SealSpec {
        seal_id: "4206000000001".into(),
        name: "襄阳市中级人民法院诉讼服务专用章".into(),
        seal_type: 1,
        signers: vec![signer.cert().to_vec()],
        valid_from: SystemTime::now() - Duration::from_secs(86_400),
        valid_to: SystemTime::now() + Duration::from_secs(365 * 86_400),
        picture_type: "PNG".into(),
        picture: vec![0x89; 8 * 1024],
        size_mm: (42, 42),
    };
    let seal = make_seal(&spec, &maker).unwrap();
    (spec, seal, signer)
}

/// A verifier trusting the test PKI's root for seal makers, signers and TSAs, with its seal and
/// TSA intermediates: chains are built once and cached, as in the hub.
fn bench_verifier(dir: &Path) -> Verifier {
    let trust = TrustStores {
        seal_makers: vec![der(&dir.join("root-ca.pem"))],
        signers: vec![der(&dir.join("root-ca.pem"))],
        intermediates: vec![der(&dir.join("seal-ca.pem")), der(&dir.join("tsa-ca.pem"))],
        crls: Vec::new(),
        tsas: vec![der(&dir.join("root-ca.pem"))],
        maker_role: None,
        maker_role_waived: false,
    };
    Verifier::new(trust)
}

/// The seal signer's P-256 key as ring's raw key pair: the yardstick for sign and verify.
fn raw_key(dir: &Path, rng: &ring::rand::SystemRandom) -> EcdsaKeyPair {
    let key_pem = std::fs::read(dir.join("seal.key")).unwrap();
    let pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(&key_pem).unwrap();
    EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        pkcs8.secret_pkcs8_der(),
        rng,
    )
    .unwrap()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    ecenter_pki::init(dir, false).unwrap();
    let (spec, seal, signer) = bench_seal(dir);
    let small = vec![0x25u8; 4096];
    let big = vec![0x25u8; 50 * 1024 * 1024];
    let verifier = bench_verifier(dir);
    let sealed = seal_document(&seal, &small, &signer, SystemTime::now(), "bench").unwrap();
    assert_eq!(
        verifier
            .verify(&sealed, &small, SystemTime::now())
            .indication,
        ecenter_seal::Indication::Passed
    );

    let rng = ring::rand::SystemRandom::new();
    let raw = raw_key(dir, &rng);
    let raw_sig = raw.sign(&rng, &small).unwrap();
    let public =
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, raw.public_key().as_ref().to_vec());

    c.bench_function("raw_p256_sign_4k", |b| {
        b.iter(|| raw.sign(&rng, black_box(&small)).unwrap());
    });
    // What GB/T 38540 itself costs: ring signs whole messages, so the signature hashes TBS_Sign, which
    // embeds the whole seal (plus about 128 bytes of version, time, document hash and property).
    let tbs_sized = vec![0x25u8; seal.len() + 128];
    c.bench_function("raw_p256_sign_tbs_sized", |b| {
        b.iter(|| raw.sign(&rng, black_box(&tbs_sized)).unwrap());
    });
    c.bench_function("sha256_4k", |b| {
        b.iter(|| ring::digest::digest(&ring::digest::SHA256, black_box(&small)));
    });
    // A hub keeps one Sealer per registered seal.
    let sealer = ecenter_seal::Sealer::new(&seal, &signer).unwrap();
    c.bench_function("seal_apply_4k", |b| {
        b.iter(|| {
            sealer
                .seal(black_box(&small), SystemTime::now(), "bench")
                .unwrap()
        });
    });
    c.bench_function("raw_p256_verify_4k", |b| {
        b.iter(|| public.verify(black_box(&small), raw_sig.as_ref()).unwrap());
    });
    c.bench_function("seal_verify_cached_4k", |b| {
        b.iter(|| verifier.verify(black_box(&sealed), &small, SystemTime::now()));
    });
    let mut group = c.benchmark_group("large");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("sha256_50m", |b| {
        b.iter(|| ring::digest::digest(&ring::digest::SHA256, black_box(&big)));
    });
    group.bench_function("seal_apply_50m", |b| {
        b.iter(|| {
            sealer
                .seal(black_box(&big), SystemTime::now(), "bench")
                .unwrap()
        });
    });
    group.finish();
    c.final_summary();

    if !std::env::args().any(|a| a == "--bench") {
        return; // run as a test: no estimates to compare
    }
    print_ratios(seal.len(), spec.picture.len());
}

/// Reads criterion's estimates of this run and prints the Markdown table of ratios to ring's raw
/// operations for docs/PERFORMANCE.md, after the seal's DER and picture sizes.
fn print_ratios(seal_len: usize, picture_len: usize) {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map_or_else(|_| "target".into(), std::path::PathBuf::from);
    let sign = mean_ns(&target, "raw_p256_sign_4k");
    let apply = mean_ns(&target, "seal_apply_4k");
    let sign_tbs = mean_ns(&target, "raw_p256_sign_tbs_sized");
    let sha4k = mean_ns(&target, "sha256_4k");
    let verify_raw = mean_ns(&target, "raw_p256_verify_4k");
    let verify = mean_ns(&target, "seal_verify_cached_4k");
    let sha = mean_ns(&target, "large/sha256_50m");
    let seal50 = mean_ns(&target, "large/seal_apply_50m");
    println!(
        "\nseal DER: {} bytes (picture {} bytes); TBS_Sign embeds all of it",
        seal_len, picture_len
    );
    println!("\n| figure | ours | ring's raw operation | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| seal apply, 4 KiB (ops/s) | {:.0} | {:.0} (P-256 sign) | {:.2} | ≥ 0.8 |",
        1e9 / apply,
        1e9 / sign,
        sign / apply
    );
    println!(
        "| seal apply, 4 KiB (ops/s), against the standard's own cost | {:.0} | {:.0} (P-256 sign of a TBS_Sign-sized message + SHA-256 of the document) | {:.2} | |",
        1e9 / apply,
        1e9 / (sign_tbs + sha4k),
        (sign_tbs + sha4k) / apply
    );
    println!(
        "| full verify, chains cached (ops/s) | {:.0} | {:.0} (P-256 verify) | {:.2} | ≥ 0.3 |",
        1e9 / verify,
        1e9 / verify_raw,
        verify_raw / verify
    );
    println!(
        "| seal 50 MiB (ms) | {:.1} | {:.1} (SHA-256) | {:.2} | ≤ 1.1 |",
        seal50 / 1e6,
        sha / 1e6,
        seal50 / sha
    );
}
