//! The gRPC connection as the services see it: who is at the other end (the identity in the client
//! certificate, read at the handshake) and whether that certificate is still good at each request.
//! The TLS configuration itself (keys, client CA, the reloading CRL verifier) is the server crate's.

use crate::identity::{Identity, IdentityError};
use crate::revocation::Unauthenticated;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The gRPC port's TLS: the acceptor for handshakes and the CRL every request is checked against.
#[derive(Clone)]
pub struct ClientTls {
    /// Handshakes.
    pub acceptor: TlsAcceptor,
    /// Revocation checked per request (see [`crate::revocation`]).
    pub revocation: Arc<crate::revocation::Revocation>,
}

/// What tonic knows about a connection: where it comes from and who holds its certificate.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    /// Remote address.
    pub remote: SocketAddr,
    /// The identity in the client certificate, or why there is none usable.
    pub identity: Result<Identity, Unauthenticated>,
    /// The certificate's issuer, serial and expiry, checked again at every request.
    pub credential: Option<Arc<crate::revocation::ClientCredential>>,
    /// The CRL in force.
    pub revocation: Option<Arc<crate::revocation::Revocation>>,
}

impl PeerInfo {
    /// The identity, if its certificate is still good now (not revoked since the handshake, not
    /// expired).
    pub fn current_identity(&self) -> Result<Identity, Unauthenticated> {
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
                            .ok_or(Unauthenticated::NoCertificate)
                            .and_then(|c| Ok(identity_from_certificate(c)?));
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
