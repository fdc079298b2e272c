//! A hub's seal configuration from a PKI made by `ecenter-pki init`, and a seal picture: shared by
//! the tests and the benchmarks (which include this file by path).

use std::path::Path;

/// Seal keys and trust stores from a PKI made by `ecenter-pki init`.
pub fn seal_config(pki: &Path) -> ecenter_api::seal::SealConfig {
    ecenter_api::seal::SealConfig {
        maker_cert: pki.join("seal-maker.pem"),
        maker_key: pki.join("seal-maker.key"),
        signer_cert: pki.join("seal.pem"),
        signer_key: pki.join("seal.key"),
        tsa_cert: Some(pki.join("tsa.pem")),
        tsa_key: Some(pki.join("tsa.key")),
        trust_seal_makers: vec![pki.join("root-ca.pem")],
        trust_signers: vec![pki.join("root-ca.pem")],
        trust_tsas: vec![pki.join("root-ca.pem")],
        intermediates: vec![pki.join("seal-ca.pem"), pki.join("tsa-ca.pem")],
        crls: Vec::new(),
        maker_role: None,
        pades_level: None,
        archive_lead_days: None,
        archive_check_seconds: None,
        archive_algorithm_sunset: Default::default(),
        sm2: None,
    }
}

/// A small red-seal PNG: a red ring on a transparent 64×64 square.
pub fn seal_png() -> Vec<u8> {
    let mut pixels = Vec::with_capacity(64 * 64 * 4);
    for y in 0..64i32 {
        for x in 0..64i32 {
            let d2 = (x - 32).pow(2) + (y - 32).pow(2);
            let on_ring = (26 * 26..=30 * 30).contains(&d2);
            pixels.extend_from_slice(if on_ring {
                &[0xD9, 0x1A, 0x1A, 0xFF]
            } else {
                &[0, 0, 0, 0]
            });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, 64, 64);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}
