//! Mutual TLS on rustls with ring: client certificates are required and must chain to the client CA,
//! be valid now, carry the clientAuth purpose and not be revoked by the CRL, which is re-read whenever
//! its file changes. The caller's identity is read from the certificate's SAN URI at the handshake
//! ([`ecenter_api::peer`], which also re-checks the certificate at every request).

use ecenter_api::peer::ClientTls;
use ecenter_api::revocation;
use rustls::RootCertStore;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio_rustls::TlsAcceptor;

/// Where the hub finds its TLS material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The hub's certificate chain (PEM, leaf first).
    pub cert: PathBuf,
    /// The hub's private key (PEM, PKCS#8).
    pub key: PathBuf,
    /// The CA that issues client certificates: the only trust anchor for clients.
    pub client_ca: PathBuf,
    /// CRL of the client CA (PEM); re-read when the file changes.
    #[serde(default)]
    pub client_crl: Option<PathBuf>,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file is missing or malformed.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration refused: {0}")]
    Rustls(String),
}

fn file_err(path: &Path, message: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Why rustls refused the certificate `cert` with the key `key` (the `section`'s settings): a key
/// that is not the certificate's is named with both files and where they are set, not as
/// rustls's `KeyMismatch` (outside tests, round 20, m11).
fn single_cert_refused(e: rustls::Error, section: &str, cert: &Path, key: &Path) -> TlsError {
    match e {
        rustls::Error::InconsistentKeys(_) => TlsError::Rustls(format!(
            "{section} key {} is not the private key of {section} cert {} (their public keys \
             differ): set key to the file issued with this certificate",
            key.display(),
            cert.display()
        )),
        e => TlsError::Rustls(format!("{section} cert and key: {e}")),
    }
}

/// A file's error, naming the setting that gives the file (round 20, m11).
fn set_as(setting: &'static str) -> impl Fn(TlsError) -> TlsError {
    move |e| match e {
        TlsError::File { path, message } => TlsError::File {
            path,
            message: format!("{message} (the file {setting} names)"),
        },
        e @ TlsError::Rustls(_) => e,
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_err(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_err(path, e))?;
    if certs.is_empty() {
        return Err(file_err(path, "holds no certificate"));
    }
    Ok(certs)
}

/// The CRLs of a file, and the newest thisUpdate among them. A file without a CRL, or with one
/// that does not parse, is an error: a CRL that cannot be read must never read as "nothing revoked".
fn load_crls(path: &Path) -> Result<(Vec<CertificateRevocationListDer<'static>>, i64), TlsError> {
    let crls = CertificateRevocationListDer::pem_file_iter(path)
        .map_err(|e| file_err(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_err(path, e))?;
    let issued = revocation::newest_issue(&crls).map_err(|e| file_err(path, e))?;
    Ok((crls, issued))
}

/// Client verifier that rebuilds itself from the CRL file whenever the file's modification time changes.
#[derive(Debug)]
struct ReloadingVerifier {
    roots: Arc<RootCertStore>,
    crl_path: Option<PathBuf>,
    hints: Vec<DistinguishedName>,
    state: Mutex<VerifierState>,
}

/// The CRL file's modification time and thisUpdate, and the verifier built from it.
type VerifierState = (Option<SystemTime>, i64, Arc<dyn ClientCertVerifier>);

impl ReloadingVerifier {
    fn new(roots: Arc<RootCertStore>, crl_path: Option<PathBuf>) -> Result<Self, TlsError> {
        let state = Self::build(&roots, crl_path.as_deref())?;
        let hints = state.2.root_hint_subjects().to_vec();
        Ok(ReloadingVerifier {
            roots,
            crl_path,
            hints,
            state: Mutex::new(state),
        })
    }

    fn build(roots: &Arc<RootCertStore>, crl: Option<&Path>) -> Result<VerifierState, TlsError> {
        let mut builder = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider());
        let (mut mtime, mut issued) = (None, i64::MIN);
        if let Some(path) = crl {
            mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            let (crls, this_update) = load_crls(path)?;
            issued = this_update;
            builder = builder.with_crls(crls);
        }
        let verifier = builder
            .build()
            .map_err(|e| TlsError::Rustls(e.to_string()))?;
        Ok((mtime, issued, verifier))
    }

    /// The current verifier, rebuilt first if the CRL file changed. A CRL that fails to load keeps
    /// the previous one in force (and says so in the log) rather than opening the door.
    fn current(&self) -> Arc<dyn ClientCertVerifier> {
        let mut state = self.state.lock().expect("verifier lock");
        if let Some(path) = &self.crl_path {
            let now = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            if now != state.0 {
                match Self::build(&self.roots, Some(path)) {
                    // An older CRL put back would undo revocations since: refused.
                    Ok(fresh) if fresh.1 < state.1 => {
                        tracing::error!(crl = %path.display(), "the client CRL file holds an older CRL than the one in force; keeping the one in force");
                        state.0 = now;
                    }
                    Ok(fresh) => {
                        tracing::info!(crl = %path.display(), "client CRL reloaded");
                        *state = fresh;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "client CRL could not be reloaded; keeping the previous one");
                    }
                }
            }
        }
        state.2.clone()
    }
}

impl ClientCertVerifier for ReloadingVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.current()
            .verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.current().supported_verify_schemes()
    }
}

/// Builds the acceptor: server identity, client CA as the only anchor, CRLs.
pub fn acceptor(config: &TlsConfig) -> Result<ClientTls, TlsError> {
    let chain = load_certs(&config.cert).map_err(set_as("[tls] cert"))?;
    let key = PrivateKeyDer::from_pem_file(&config.key)
        .map_err(|e| file_err(&config.key, e))
        .map_err(set_as("[tls] key"))?;
    let mut roots = RootCertStore::empty();
    for ca in load_certs(&config.client_ca).map_err(set_as("[tls] client_ca"))? {
        roots.add(ca).map_err(|e| file_err(&config.client_ca, e))?;
    }
    let verifier = ReloadingVerifier::new(Arc::new(roots), config.client_crl.clone())?;
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(chain, key)
        .map_err(|e| single_cert_refused(e, "[tls]", &config.cert, &config.key))?;
    let mut server = server;
    server.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ClientTls {
        acceptor: TlsAcceptor::from(Arc::new(server)),
        revocation: Arc::new(revocation::Revocation::new(config.client_crl.clone())),
    })
}

/// An acceptor for the recipients' page: server certificate only (recipients have none), HTTP/1.1.
pub fn page_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let chain = load_certs(cert)?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| file_err(key, e))?;
    let mut server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| single_cert_refused(e, "[service.page_tls]", cert, key))?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(server)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The development certificates in `certs/`.
    fn dev(file: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../certs")
            .join(file)
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_named_with_both_settings() {
        let config = TlsConfig {
            cert: dev("server.pem"),
            key: dev("tsa.key"),
            client_ca: dev("client-ca.pem"),
            client_crl: None,
        };
        let Err(e) = acceptor(&config) else {
            panic!("a certificate with another's key was taken");
        };
        let said = e.to_string();
        assert!(
            said.contains("[tls] key") && said.contains("tsa.key") && said.contains("server.pem"),
            "{said}"
        );
        let Err(e) = page_acceptor(&dev("server.pem"), &dev("tsa.key")) else {
            panic!("a certificate with another's key was taken");
        };
        assert!(e.to_string().contains("[service.page_tls] key"), "{e}");
        let missing = TlsConfig {
            cert: dev("no-such.pem"),
            ..config
        };
        let Err(e) = acceptor(&missing) else {
            panic!("a missing certificate was taken");
        };
        assert!(e.to_string().contains("the file [tls] cert names"), "{e}");
    }
}
