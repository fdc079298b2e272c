//! Mutual TLS on rustls with ring: client certificates are required and must chain to the client CA,
//! be valid now, carry the clientAuth purpose and not be revoked by the CRL, which is re-read whenever
//! its file changes. The caller's identity is read from the certificate's SAN URI at the handshake.

use crate::identity::{Identity, IdentityError};
use rustls::RootCertStore;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

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
    let issued = crate::revocation::newest_issue(&crls).map_err(|e| file_err(path, e))?;
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
                        tracing::error!(error = %e, "client CRL could not be reloaded; keeping the previous one")
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

/// The gRPC port's TLS: the acceptor for handshakes and the CRL every request is checked against.
#[derive(Clone)]
pub struct ClientTls {
    /// Handshakes.
    pub acceptor: TlsAcceptor,
    /// Revocation checked per request (see [`crate::revocation`]).
    pub revocation: Arc<crate::revocation::Revocation>,
}

/// Builds the acceptor: server identity, client CA as the only anchor, CRLs.
pub fn acceptor(config: &TlsConfig) -> Result<ClientTls, TlsError> {
    let chain = load_certs(&config.cert)?;
    let key = PrivateKeyDer::from_pem_file(&config.key).map_err(|e| file_err(&config.key, e))?;
    let mut roots = RootCertStore::empty();
    for ca in load_certs(&config.client_ca)? {
        roots.add(ca).map_err(|e| file_err(&config.client_ca, e))?;
    }
    let verifier = ReloadingVerifier::new(Arc::new(roots), config.client_crl.clone())?;
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    let mut server = server;
    server.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ClientTls {
        acceptor: TlsAcceptor::from(Arc::new(server)),
        revocation: Arc::new(crate::revocation::Revocation::new(
            config.client_crl.clone(),
        )),
    })
}

/// An acceptor for the recipients' page: server certificate only (recipients have none), HTTP/1.1.
pub fn page_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let chain = load_certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| file_err(key, e))?;
    let mut server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(server)))
}

/// What tonic knows about a connection: where it comes from and who holds its certificate.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    /// Remote address.
    pub remote: SocketAddr,
    /// The identity in the client certificate, or why there is none usable.
    pub identity: Result<Identity, String>,
    /// The certificate's issuer, serial and expiry, checked again at every request.
    pub credential: Option<Arc<crate::revocation::ClientCredential>>,
    /// The CRL in force.
    pub revocation: Option<Arc<crate::revocation::Revocation>>,
}

impl PeerInfo {
    /// The identity, if its certificate is still good now (not revoked since the handshake, not
    /// expired).
    pub fn current_identity(&self) -> Result<Identity, String> {
        let identity = self.identity.clone()?;
        if let (Some(c), Some(r)) = (&self.credential, &self.revocation)
            && let Some(reason) = r.refusal(c)
        {
            return Err(reason);
        }
        Ok(identity)
    }
}

/// A TLS connection handed to tonic.
pub struct TlsConnection {
    stream: TlsStream<TcpStream>,
    info: PeerInfo,
}

impl tonic::transport::server::Connected for TlsConnection {
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> PeerInfo {
        self.info.clone()
    }
}

impl AsyncRead for TlsConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Reads `urn:ecenter:<role>:<id>` from the certificate's SAN URIs (exactly one must be there).
pub fn identity_from_certificate(der: &[u8]) -> Result<Identity, IdentityError> {
    ecenter_identity::from_certificate(der)
}

/// Accepts TCP connections, runs each handshake on its own task (a slow client delays nobody), and
/// yields the established connections. Failed handshakes are logged and dropped.
pub fn incoming(
    listener: TcpListener,
    tls: ClientTls,
) -> impl tokio_stream::Stream<Item = Result<TlsConnection, std::io::Error>> {
    let (tx, rx) = mpsc::channel(128);
    tokio::spawn(async move {
        loop {
            let (tcp, remote) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if tx.is_closed() {
                return;
            }
            let _ = tcp.set_nodelay(true);
            let acceptor = tls.acceptor.clone();
            let revocation = tls.revocation.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let leaf = stream
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|c| c.first());
                        let identity = leaf
                            .ok_or_else(|| "no client certificate".to_string())
                            .and_then(|c| identity_from_certificate(c).map_err(|e| e.to_string()));
                        let credential = leaf
                            .and_then(|c| crate::revocation::ClientCredential::of(c))
                            .map(Arc::new);
                        let info = PeerInfo {
                            remote,
                            identity,
                            credential,
                            revocation: Some(revocation),
                        };
                        let _ = tx.send(Ok(TlsConnection { stream, info })).await;
                    }
                    Ok(Err(e)) => tracing::warn!(%remote, error = %e, "TLS handshake refused"),
                    Err(_) => tracing::warn!(%remote, "TLS handshake timed out"),
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}
