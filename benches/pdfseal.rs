//! Sealed-PDF figures: sealing a 10-page, 1 MiB PDF end to end, as a ratio to SHA-256 of the file plus
//! one raw P-256 sign measured in the same run; and pages/s over a batch of 1,000 such PDFs.
//!
//! Run: `cargo bench --bench pdfseal` (prints a Markdown table for docs/PERFORMANCE.md). Without
//! `--bench` (as `cargo test` runs benches) it seals a few PDFs only.

mod support;

use ecenter_pdfseal::{Placement, SignatureInfo, sample_pdf, seal_pdf};
use ecenter_seal::tsa::TimestampAuthority;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use std::hint::black_box;
use std::path::Path;
use std::time::{Instant, SystemTime};
use support::{holder, median_us};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let (runs, batch) = if full { (101, 1_000) } else { (3, 5) };
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs");
    let signer = holder(&pki, "seal");
    let tsa = TimestampAuthority::new(holder(&pki, "tsa"));
    let pdf = sample_pdf(10, 104_000);
    let rng = ring::rand::SystemRandom::new();
    let key_pem = std::fs::read(pki.join("seal.key")).unwrap();
    let pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(&key_pem).unwrap();
    let raw = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        pkcs8.secret_pkcs8_der(),
        &rng,
    )
    .unwrap();
    let seal = |tsa: Option<&TimestampAuthority>| {
        seal_pdf(
            black_box(&pdf),
            &ecenter_pdfseal::Sealer {
                signer: &signer,
                chain: &[],
                tsa,
            },
            SystemTime::now(),
            &Placement::default(),
            &SignatureInfo {
                name: "湖北省襄阳市中级人民法院".into(),
                reason: "电子送达".into(),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let baseline = median_us(runs, || {
        let digest = ring::digest::digest(&ring::digest::SHA256, black_box(&pdf));
        black_box(raw.sign(&rng, digest.as_ref()).unwrap());
    });
    let plain = median_us(runs, || {
        black_box(seal(None));
    });
    let stamped = median_us(runs, || {
        black_box(seal(Some(&tsa)));
    });
    let t = Instant::now();
    for _ in 0..batch {
        black_box(seal(None));
    }
    let batch_secs = t.elapsed().as_secs_f64();
    println!(
        "## Sealed PDFs: a 10-page PDF of {:.2} MiB, median of {runs} runs, one core\n",
        pdf.len() as f64 / (1024.0 * 1024.0)
    );
    println!("| measure | value | baseline (same run) | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| seal (PAdES-B-B) | {:.2} ms | {:.2} ms (SHA-256 of the file + one P-256 sign) | {:.2} |",
        plain / 1000.0,
        baseline / 1000.0,
        plain / baseline
    );
    println!(
        "| seal with the hub's timestamp (PAdES-B-T) | {:.2} ms | {:.2} ms | {:.2} |",
        stamped / 1000.0,
        baseline / 1000.0,
        stamped / baseline
    );
    println!(
        "| batch of {batch} PDFs (B-B), sequential | {:.0} pages/s ({:.1} s) | | |",
        (batch * 10) as f64 / batch_secs,
        batch_secs
    );
}
