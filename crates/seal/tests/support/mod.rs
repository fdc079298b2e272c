//! Files of a development PKI (`ecenter-pki init`) as the seal crate's tests and the seal
//! benchmark read them (benches/seal.rs includes this file by path).

use ecenter_seal::KeyHolder;
use rustls_pki_types::pem::PemObject;
use std::path::Path;

/// The DER of the first certificate in a PEM file.
pub fn pem_der(path: &Path) -> Vec<u8> {
    rustls_pki_types::CertificateDer::from_pem_file(path)
        .unwrap()
        .as_ref()
        .to_vec()
}

/// The key holder of `<stem>.pem` and `<stem>.key` in `dir`.
pub fn holder(dir: &Path, stem: &str) -> KeyHolder {
    KeyHolder::from_pem(
        &std::fs::read(dir.join(format!("{stem}.pem"))).unwrap(),
        &std::fs::read(dir.join(format!("{stem}.key"))).unwrap(),
    )
    .unwrap()
}
