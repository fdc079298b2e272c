//! Verifying a sealed court document as a validator does: a 10-page PDF (about 1 MiB) with three
//! seals (each PAdES-B-T with the hub's TSA), a document security store and a document timestamp
//! (B-LTA). The figure is a ratio to the raw work measured in the same run: SHA-256 over every
//! signature's byte ranges plus the ECDSA verifications a validator cannot avoid (per seal: the
//! signer's signature, its two-certificate chain, the timestamp's signature and its TSA chain; per
//! document timestamp: its signature and chain) — 21 P-256 verifications here. Target: ≤ 2.
//!
//! Run: `cargo bench --bench verify_pdf` (prints a Markdown table for docs/PERFORMANCE.md).
//! Without `--bench` (as `cargo test` runs benches) it verifies once.

mod support;

use ecenter_pdfseal::{Placement, SignatureInfo, ValidationData, sample_pdf, seal_pdf, verify_pdf};
use ecenter_seal::tsa::TimestampAuthority;
use ecenter_seal::{Indication, TrustStores};
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::hint::black_box;
use std::path::Path;
use std::time::SystemTime;
use support::{holder, median_us};

fn der(path: &Path) -> Vec<u8> {
    CertificateDer::from_pem_file(path)
        .unwrap()
        .as_ref()
        .to_vec()
}

/// The two signed parts of every signature's byte range.
fn ranges(pdf: &[u8]) -> Vec<[(usize, usize); 2]> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = pdf[at..].windows(11).position(|w| w == b"/ByteRange[") {
        let start = at + i + 11;
        let end = start + pdf[start..].iter().position(|b| *b == b']').unwrap();
        let n: Vec<usize> = std::str::from_utf8(&pdf[start..end])
            .unwrap()
            .split_ascii_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        out.push([(n[0], n[0] + n[1]), (n[2], n[2] + n[3])]);
        at = end;
    }
    out
}

/// A 10-page court document (about 1 MiB) sealed three times (PAdES-B-T with the test TSA,
/// validation data in its DSS) and given a document timestamp (B-LTA), built before anything is
/// measured.
fn sealed_court_pdf(pki: &Path) -> Vec<u8> {
    let signer = holder(pki, "seal");
    let tsa = TimestampAuthority::new(holder(pki, "tsa"));
    let chain = vec![der(&pki.join("seal-ca.pem"))];
    let validation = ValidationData {
        certificates: vec![
            signer.cert().to_vec(),
            der(&pki.join("seal-ca.pem")),
            der(&pki.join("root-ca.pem")),
            tsa.cert().to_vec(),
            der(&pki.join("tsa-ca.pem")),
        ],
        crls: Vec::new(),
    };
    let mut pdf = sample_pdf(10, 104_000);
    for page in [1, 5, 10] {
        pdf = seal_pdf(
            &pdf,
            &ecenter_pdfseal::Sealer {
                signer: &signer,
                chain: &chain,
                tsa: Some(&tsa),
            },
            SystemTime::now(),
            &Placement {
                page: Some(page),
                ..Placement::default()
            },
            &SignatureInfo {
                name: "湖北省襄阳市中级人民法院".into(),
                reason: "电子送达".into(),
                validation: validation.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    }
    ecenter_pdfseal::archive_timestamp(&pdf, &tsa, SystemTime::now(), &validation).unwrap()
}

/// What a validator trusts: the test PKI's root for seal makers, signers and TSAs, with the seal
/// and TSA intermediates.
fn court_trust(pki: &Path) -> TrustStores {
    let root = der(&pki.join("root-ca.pem"));
    TrustStores {
        seal_makers: vec![root.clone()],
        signers: vec![root.clone()],
        intermediates: vec![der(&pki.join("seal-ca.pem")), der(&pki.join("tsa-ca.pem"))],
        crls: Vec::new(),
        tsas: vec![root],
        maker_role: None,
        maker_role_waived: false,
    }
}

/// Median µs of the raw work a validator cannot avoid on `pdf`: SHA-256 of its 4 signatures'
/// byte ranges and 21 P-256 verifications, with a fresh key.
fn raw_work_us(pdf: &[u8], runs: usize) -> f64 {
    // The raw work: the byte ranges hashed, and 21 P-256 verifications.
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let message = [7u8; 300];
    let sig = key.sign(&rng, &message).unwrap();
    let public = ring::signature::UnparsedPublicKey::new(
        &ECDSA_P256_SHA256_ASN1,
        key.public_key().as_ref().to_vec(),
    );
    let parts = ranges(pdf);
    assert_eq!(parts.len(), 4);
    median_us(runs, || {
        for [a, b] in &parts {
            let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
            ctx.update(&pdf[a.0..a.1]);
            ctx.update(&pdf[b.0..b.1]);
            black_box(ctx.finish());
        }
        for _ in 0..21 {
            public.verify(&message, sig.as_ref()).unwrap();
        }
    })
}

/// Prints the Markdown table for docs/PERFORMANCE.md: verify_pdf's median against the raw work.
fn print_report(pdf_len: usize, runs: usize, full: f64, raw: f64) {
    println!(
        "## Verifying a sealed PDF: 10 pages, {:.2} MiB, three seals (B-T), a DSS and a document timestamp; median of {runs} runs, one core\n",
        pdf_len as f64 / (1024.0 * 1024.0)
    );
    println!("| measure | value | raw work (same run) | ratio (target ≤ 2) |");
    println!("|---|---|---|---|");
    println!(
        "| verify_pdf: 4 signatures, revision analysis, chains | {:.2} ms | {:.2} ms (SHA-256 of 4 byte ranges + 21 P-256 verifications) | {:.2} |",
        full / 1000.0,
        raw / 1000.0,
        full / raw
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let runs = if args.iter().any(|a| a == "--bench") {
        51
    } else {
        1
    };
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs");
    let pdf = sealed_court_pdf(&pki);
    let trust = court_trust(&pki);
    let report = verify_pdf(&pdf, &trust, SystemTime::now()).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:#?}");
    assert_eq!(report.signatures.len(), 4);

    let raw = raw_work_us(&pdf, runs);
    let full = median_us(runs, || {
        black_box(verify_pdf(black_box(&pdf), &trust, SystemTime::now()).unwrap());
    });
    print_report(pdf.len(), runs, full, raw);
}
