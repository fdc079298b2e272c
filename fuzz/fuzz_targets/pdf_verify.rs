//! VerifyPdf's parse: any bytes, no trust anchors (every path through the PDF reader and the
//! CMS parser of each signature found).
#![no_main]

mod budget;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let trust = ecenter_seal::TrustStores::default();
    let _ = budget::within(|| ecenter_pdfseal::verify_pdf(data, &trust, std::time::SystemTime::now()));
});
