//! Reaching a hub over mutual TLS: the hub's address, the CA its certificate chains to, the
//! caller's certificate and key (PEM), and the name the hub's certificate is issued for.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// How long to wait for the hub to answer a connection before saying it cannot be reached.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the hub is and who the caller is: saved by `efile login`, given as flags to `clerk`.
#[derive(Debug, Clone, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// The hub, e.g. 127.0.0.1:50051.
    #[arg(long)]
    pub hub: String,
    /// The CA (PEM) the hub's certificate chains to.
    #[arg(long)]
    pub ca: PathBuf,
    /// Your certificate (PEM), as the court issued it.
    #[arg(long)]
    pub cert: PathBuf,
    /// Your private key (PEM).
    #[arg(long)]
    pub key: PathBuf,
    /// The name the hub's certificate is issued for.
    #[arg(long, default_value = "localhost")]
    pub server_name: String,
}

/// Why no channel to the hub could be opened. [`ConnectError::exit_code`] tells a script whether
/// to fix something here (2) or try again later (3).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A PEM file named in the configuration cannot be read.
    #[error("{path}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The address or the TLS settings are unusable.
    #[error("the hub's address or TLS settings ({hub}): {reason}")]
    Settings {
        /// The `hub` setting.
        hub: String,
        /// What is wrong.
        reason: String,
    },
    /// The hub answered with a certificate this configuration does not trust: the CA file or
    /// the server name is wrong (or the hub is not the one meant).
    #[error(
        "the hub at {hub} showed a certificate that is not trusted ({reason}): check --ca {ca} and --server-name {server_name} / 服务器证书不受信任"
    )]
    Untrusted {
        /// The `hub` setting.
        hub: String,
        /// The `ca` setting.
        ca: String,
        /// The `server_name` setting.
        server_name: String,
        /// What TLS found wrong with the certificate.
        reason: String,
    },
    /// The hub did not answer, or the TLS handshake failed.
    #[error("cannot reach the hub at {hub} / 无法连接服务器")]
    Unreachable {
        /// The `hub` setting.
        hub: String,
        /// The transport's own words.
        source: tonic::transport::Error,
    },
}

impl ConnectError {
    /// 3 when the hub could not be reached (worth retrying), 2 when the settings are wrong.
    pub fn exit_code(&self) -> i32 {
        match self {
            ConnectError::Unreachable { .. } => crate::exit::UNREACHABLE,
            _ => crate::exit::USAGE,
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ConnectError> {
    std::fs::read(path).map_err(|source| ConnectError::File {
        path: path.to_path_buf(),
        source,
    })
}

/// Opens a mutual-TLS channel to the hub, waiting at most [`CONNECT_TIMEOUT`].
pub async fn connect(hub: &HubConfig) -> Result<Channel, ConnectError> {
    let settings = |reason: String| ConnectError::Settings {
        hub: hub.hub.clone(),
        reason,
    };
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read(&hub.ca)?))
        .identity(Identity::from_pem(read(&hub.cert)?, read(&hub.key)?))
        .domain_name(hub.server_name.clone());
    Channel::from_shared(endpoint(&hub.hub).map_err(|e| settings(e.to_string()))?)
        .map_err(|e| settings(e.to_string()))?
        .tls_config(tls)
        .map_err(|e| settings(e.to_string()))?
        .connect_timeout(CONNECT_TIMEOUT)
        .connect()
        .await
        .map_err(|source| match certificate_problem(&source) {
            Some(reason) => ConnectError::Untrusted {
                hub: hub.hub.clone(),
                ca: hub.ca.display().to_string(),
                server_name: hub.server_name.clone(),
                reason,
            },
            None => ConnectError::Unreachable {
                hub: hub.hub.clone(),
                source,
            },
        })
}

/// The URI of the hub's gRPC port from the `hub` setting, `HOST:PORT` (an `https://` in front is
/// taken too). The port must be named: without it the channel would try 443, where no hub listens,
/// and the user would read "cannot reach the hub" about a typo.
fn endpoint(hub: &str) -> Result<String, BadAddress> {
    let bare = hub
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/');
    let uri: tonic::codegen::http::Uri = format!("https://{bare}")
        .parse()
        .map_err(|_| BadAddress::NotHostPort)?;
    match (uri.host(), uri.port_u16(), uri.path()) {
        (Some(h), Some(_), "/") if !h.is_empty() => Ok(format!("https://{bare}")),
        (_, None, _) => Err(BadAddress::NoPort(uri.host().unwrap_or(bare).to_string())),
        _ => Err(BadAddress::NotHostPort),
    }
}

/// Why the `hub` setting is no address of a gRPC port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum BadAddress {
    /// A host without its port; holds the host.
    #[error("no port: write HOST:PORT, e.g. {0}:50051 (the hub's [listen] port)")]
    NoPort(String),
    /// Not `HOST:PORT` at all (a path, an empty host, characters a URI cannot hold).
    #[error("not HOST:PORT, e.g. 127.0.0.1:50051")]
    NotHostPort,
}

/// What rustls found wrong with the hub's certificate, if that is why the connection failed:
/// the cause is found in the error's chain, where tokio-rustls wraps it in an I/O error.
fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        let inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        for candidate in [Some(e), inner].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(why)) =
                candidate.downcast_ref::<rustls::Error>()
            {
                return Some(format!("{why:?}"));
            }
        }
        cause = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{BadAddress, endpoint};

    #[test]
    fn the_hub_setting_must_name_its_port() {
        assert_eq!(
            endpoint("127.0.0.1:50051").unwrap(),
            "https://127.0.0.1:50051"
        );
        assert_eq!(
            endpoint("https://hub.court.example:7000/").unwrap(),
            "https://hub.court.example:7000"
        );
        assert_eq!(endpoint("[::1]:50051").unwrap(), "https://[::1]:50051");
        let no_port = endpoint("hub.court.example").unwrap_err();
        assert_eq!(no_port, BadAddress::NoPort("hub.court.example".into()));
        assert!(
            no_port.to_string().contains("hub.court.example:50051"),
            "{no_port}"
        );
        assert_eq!(
            endpoint("hub.court.example:50051/v1"),
            Err(BadAddress::NotHostPort)
        );
        assert!(endpoint("").is_err());
    }
}
