//! SMPP delivery receipt text (SMPP 3.4 appendix B) with and without the receipt TLVs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = ecenter_delivery::sms::parse_receipt(&text, None, None);
    let _ = ecenter_delivery::sms::parse_receipt(&text, Some("0A1B2C"), Some(2));
});
