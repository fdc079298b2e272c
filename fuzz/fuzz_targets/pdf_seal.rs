//! SealPdf's parse and update: any bytes sealed with the development seal key in certs/.
#![no_main]

mod budget;

use std::sync::OnceLock;

fn signer() -> &'static ecenter_seal::KeyHolder {
    static SIGNER: OnceLock<ecenter_seal::KeyHolder> = OnceLock::new();
    SIGNER.get_or_init(|| {
        ecenter_seal::KeyHolder::from_pem(
            include_bytes!("../../certs/seal.pem"),
            include_bytes!("../../certs/seal.key"),
        )
        .expect("the development seal key in certs/")
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = budget::within(|| {
        ecenter_pdfseal::seal_pdf(
            data,
            &ecenter_pdfseal::Sealer {
                signer: signer(),
                chain: &[],
                tsa: None,
            },
            std::time::SystemTime::now(),
            &ecenter_pdfseal::Placement::default(),
            &ecenter_pdfseal::SignatureInfo::default(),
        )
    });
});
