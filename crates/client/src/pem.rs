//! Certificates and CRLs from PEM files, every block of every file, each error naming its file.

use anyhow::{Context, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
use std::path::PathBuf;

/// The DER of every `CERTIFICATE` block in `paths`, in order.
pub fn certificates(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for p in paths {
        for c in CertificateDer::pem_file_iter(p).with_context(|| p.display().to_string())? {
            out.push(c.with_context(|| p.display().to_string())?.to_vec());
        }
    }
    Ok(out)
}

/// The DER of every `X509 CRL` block in `paths`, in order.
pub fn crls(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for p in paths {
        for c in CertificateRevocationListDer::pem_file_iter(p)
            .with_context(|| p.display().to_string())?
        {
            out.push(c.with_context(|| p.display().to_string())?.to_vec());
        }
    }
    Ok(out)
}
