//! Certificate problems named for people. A TLS failure is not "the hub is down": the hub's
//! certificate may not chain to the CA the tool was given, may be issued for another name, or may
//! have expired; or the hub may refuse the caller's own certificate (revoked, expired, not issued
//! by the court, or none sent). Each has its own sentence saying what to do, and all of them exit
//! with [`crate::exit::CERTIFICATE`], so a script can tell them from an unreachable hub.

use rustls::{AlertDescription, CertificateError};

/// Whose certificate failed, and why, as found in a connection error's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// The hub's certificate, as this tool checked it (rustls `InvalidCertificate`).
    HubCertificate(String),
    /// The caller's certificate, as the hub refused it (the TLS alert it sent).
    OwnCertificate(String),
}

impl std::fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsProblem::HubCertificate(why) | TlsProblem::OwnCertificate(why) => f.write_str(why),
        }
    }
}

/// The sentence for a hub certificate this tool does not accept.
fn hub_certificate(e: &CertificateError) -> String {
    match e {
        CertificateError::UnknownIssuer | CertificateError::BadSignature => {
            "the hub's certificate is not issued by the CA given (--ca): ask the court for its CA \
             certificate / 服务器证书不是由所给CA签发"
                .into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "the hub's certificate is issued for another name: give --server-name as the \
             certificate names it / 服务器证书名称不符"
                .into()
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the hub's certificate has expired: the court's operator must renew it / 服务器证书已过期"
                .into()
        }
        CertificateError::Revoked => {
            "the hub's certificate is revoked: do not use this hub; tell the court / 服务器证书已吊销"
                .into()
        }
        other => format!("the hub's certificate is not accepted ({other:?}) / 服务器证书无效"),
    }
}

/// The sentence for the alert a hub sends when it refuses the caller's certificate; `None` for
/// alerts that say nothing about certificates.
fn own_certificate(alert: AlertDescription) -> Option<String> {
    Some(match alert {
        AlertDescription::CertificateRevoked => {
            "the court has revoked your certificate: ask the court for a new one / 您的证书已被吊销"
                .into()
        }
        AlertDescription::CertificateExpired => {
            "your certificate has expired: ask the court to renew it / 您的证书已过期".into()
        }
        AlertDescription::CertificateRequired => {
            "the hub requires your certificate: give --cert and --key / 服务器要求客户端证书".into()
        }
        // DecryptError: a certificate whose issuer has our CA's name but not its key (a signature
        // that does not check), as a look-alike CA gives.
        AlertDescription::UnknownCA
        | AlertDescription::DecryptError
        | AlertDescription::BadCertificate
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::CertificateUnknown
        | AlertDescription::AccessDenied => {
            format!(
                "the hub does not accept your certificate ({alert:?}): it must be one the court \
                 issued, with its key / 服务器不接受您的证书"
            )
        }
        _ => return None,
    })
}

/// The certificate problem behind a connection error, if that is what it is: found in the
/// error's chain, where tokio-rustls and hyper wrap it in I/O errors.
pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<TlsProblem> {
    rustls_errors(error).find_map(|e| match e {
        rustls::Error::InvalidCertificate(why) => {
            Some(TlsProblem::HubCertificate(hub_certificate(why)))
        }
        rustls::Error::AlertReceived(alert) => {
            own_certificate(*alert).map(TlsProblem::OwnCertificate)
        }
        _ => None,
    })
}

/// Whether `error` says the hub answered the TLS handshake with something that is no TLS record
/// (rustls `InvalidContentType`): a hub in development mode, serving plaintext HTTP/2.
pub fn not_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    rustls_errors(error).any(|e| {
        matches!(
            e,
            rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)
        )
    })
}

/// The rustls errors in `error`'s chain of causes, looking inside I/O errors too.
fn rustls_errors<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a rustls::Error> {
    std::iter::successors(Some(error), |e| e.source()).flat_map(|e| {
        let inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        [Some(e), inner]
            .into_iter()
            .flatten()
            .filter_map(|c| c.downcast_ref::<rustls::Error>())
    })
}

/// How long [`diagnose`] waits, at each step, for the hub's verdict on the caller's certificate:
/// long enough for a busy hub to answer, short enough for a call that has already failed.
const VERDICT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Finds out why a call to the hub failed when the connection itself gave no reason (the hub
/// refuses a client certificate only after the handshake in TLS 1.3, and the HTTP/2 layer
/// reports that as "connection closed"): a fresh TLS handshake with the profile's settings,
/// then a short wait for the hub's alert. `None` when the certificates are not the problem (or
/// for a development login, which has none).
pub async fn diagnose(hub: &crate::hub::HubConfig) -> Option<TlsProblem> {
    use tokio::io::AsyncReadExt;
    if hub.dev_as.is_some() {
        return None;
    }
    let config = client_config(hub).ok()?;
    let name = rustls::pki_types::ServerName::try_from(hub.server_name.clone()).ok()?;
    let address = hub
        .hub
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/');
    let tcp = tokio::time::timeout(VERDICT_WAIT, tokio::net::TcpStream::connect(address))
        .await
        .ok()?
        .ok()?;
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let mut tls = match tokio::time::timeout(VERDICT_WAIT, connector.connect(name, tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return find(&e),
        Err(_) => return None,
    };
    let mut byte = [0u8; 1];
    match tokio::time::timeout(VERDICT_WAIT, tls.read(&mut byte)).await {
        Ok(Err(e)) => find(&e),
        _ => None,
    }
}

/// Whether the hub at `address` (`HOST:PORT`) answers a TLS handshake in TLS: offered no CA to
/// trust, a TLS server fails the handshake on its certificate, where a plaintext (development
/// mode) server's answer is no TLS record. How a development login that failed learns that the
/// hub wants certificates instead (outside tests, round 20, m3).
pub async fn serves_tls(address: &str) -> bool {
    let address = address
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/');
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let Ok(builder) =
        rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions()
    else {
        return false;
    };
    let config = builder
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let Ok(Ok(tcp)) =
        tokio::time::timeout(VERDICT_WAIT, tokio::net::TcpStream::connect(address)).await
    else {
        return false;
    };
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("a DNS name");
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    match tokio::time::timeout(VERDICT_WAIT, connector.connect(name, tcp)).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => rustls_errors(&e).any(|e| matches!(e, rustls::Error::InvalidCertificate(_))),
        Err(_) => false,
    }
}

/// The rustls client configuration of a profile: its CA as the only root, its certificate and
/// key for client authentication, HTTP/2 offered.
fn client_config(
    hub: &crate::hub::HubConfig,
) -> Result<rustls::ClientConfig, Box<dyn std::error::Error>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(&hub.ca)? {
        roots.add(ca?)?;
    }
    let chain = CertificateDer::pem_file_iter(&hub.cert)?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&hub.key)?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_certificate_problem_has_its_own_sentence() {
        let wrapped = |e: rustls::Error| std::io::Error::other(e);
        let found = |e: rustls::Error| find(&wrapped(e)).unwrap();
        let revoked = found(rustls::Error::AlertReceived(
            AlertDescription::CertificateRevoked,
        ));
        assert!(matches!(&revoked, TlsProblem::OwnCertificate(w) if w.contains("revoked")));
        let name = found(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName,
        ));
        assert!(name.to_string().contains("--server-name"), "{name}");
        let issuer = found(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        assert!(issuer.to_string().contains("--ca"), "{issuer}");
        let none = found(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired,
        ));
        assert!(none.to_string().contains("--cert"), "{none}");
        // An alert about something else is not a certificate problem.
        assert_eq!(
            find(&wrapped(rustls::Error::AlertReceived(
                AlertDescription::DecodeError
            ))),
            None
        );
    }
}
