//! The SMPP session's transport security: which hosts may be reached without TLS (loopback
//! only), and the rustls client configuration (on ring) trusting the configured CA or, without
//! one, the public web roots.

use super::SmsError;
use std::sync::Arc;

/// True for `localhost` and loopback addresses: the only hosts plain SMPP may reach.
pub(super) fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A client configuration trusting `ca_pem` (PEM certificates), or the web roots without it.
pub(super) fn tls_config(ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, SmsError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            let mut reader = pem;
            let mut any = false;
            for cert in rustls_pemfile_certs(&mut reader)? {
                roots
                    .add(cert)
                    .map_err(|e| SmsError::Ca(format!("a certificate is not usable: {e}")))?;
                any = true;
            }
            if !any {
                return Err(SmsError::Ca("no certificate in the file".into()));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SmsError::Ca(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn rustls_pemfile_certs(
    reader: &mut &[u8],
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, SmsError> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(reader)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SmsError::Ca(e.to_string()))
}
