//! Delivery status notifications (RFC 3464) as they arrive in the hub's maildir.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecenter_delivery::dsn::parse(data);
});
