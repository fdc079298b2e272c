//! GB/T 38540 DER: a seal (SES_Seal) and a seal signature (SES_Signature), read for display and
//! verified over a fixed document without trust anchors.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecenter_seal::layout::parse_seal(data);
    let _ = ecenter_seal::layout::parse_signature(data);
    let _ = ecenter_seal::seal_of_signature(data);
    let trust = ecenter_seal::TrustStores::default();
    let _ = ecenter_seal::verify(data, b"document", &trust, std::time::SystemTime::now());
});
