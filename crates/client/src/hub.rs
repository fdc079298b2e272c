//! Reaching a hub over mutual TLS: the hub's address, the CA its certificate chains to, the
//! caller's certificate and key (PEM), and the name the hub's certificate is issued for.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// A connection to the hub: mutual TLS, or — for a development hub only — plain HTTP/2 with the
/// caller's identity in the `x-ecenter-identity` header ([`DevIdentity`]).
pub type HubChannel = InterceptedService<Channel, DevIdentity>;

/// Names the caller to a development hub (`ecenterd --dev`), which has no TLS to read a
/// certificate from; adds nothing on a mutual-TLS connection.
#[derive(Debug, Clone, Default)]
pub struct DevIdentity(Option<tonic::metadata::AsciiMetadataValue>);

impl tonic::service::Interceptor for DevIdentity {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(identity) = &self.0 {
            request
                .metadata_mut()
                .insert("x-ecenter-identity", identity.clone());
        }
        Ok(request)
    }
}

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
    #[serde(default)]
    pub ca: PathBuf,
    /// Your certificate (PEM), as the court issued it.
    #[arg(long)]
    #[serde(default)]
    pub cert: PathBuf,
    /// Your private key (PEM).
    #[arg(long)]
    #[serde(default)]
    pub key: PathBuf,
    /// The name the hub's certificate is issued for.
    #[arg(long, default_value = "localhost")]
    #[serde(default)]
    pub server_name: String,
    /// Development hubs only (`ecenterd --dev`, loopback, no TLS): the identity to act as, e.g.
    /// urn:ecenter:lawyer:14201202010000001. Set by `efile login --dev --as URN`; the CA,
    /// certificate and key are then unused.
    #[arg(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_as: Option<String>,
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
    /// A certificate stopped the handshake: the hub's, which this configuration does not trust
    /// (wrong CA file, wrong server name, expired), or the caller's, which the hub refused
    /// (revoked, expired, not the court's, none sent).
    #[error("{problem} ({settings}) / 证书问题")]
    Certificate {
        /// Whose certificate, and the sentence saying what to do.
        problem: crate::tls_problem::TlsProblem,
        /// The settings involved: the hub, --ca, --server-name and --cert as given.
        settings: String,
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
    /// 3 when the hub could not be reached (worth retrying), 4 for a certificate problem, 2 when
    /// the settings are wrong.
    pub fn exit_code(&self) -> i32 {
        match self {
            ConnectError::Unreachable { .. } => crate::exit::UNREACHABLE,
            ConnectError::Certificate { .. } => crate::exit::CERTIFICATE,
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

/// Opens a channel to the hub, waiting at most [`CONNECT_TIMEOUT`]: mutual TLS, or plain with
/// the development identity when the profile is a development login.
pub async fn connect(hub: &HubConfig) -> Result<HubChannel, ConnectError> {
    let settings = |reason: String| ConnectError::Settings {
        hub: hub.hub.clone(),
        reason,
    };
    if let Some(urn) = &hub.dev_as {
        let identity = urn
            .parse()
            .map_err(|_| settings(format!("「{urn}」 cannot travel in a header")))?;
        let plain = endpoint(&hub.hub)
            .map_err(|e| settings(e.to_string()))?
            .replacen("https://", "http://", 1);
        let channel = Channel::from_shared(plain)
            .map_err(|e| settings(e.to_string()))?
            .connect_timeout(CONNECT_TIMEOUT)
            .connect()
            .await
            .map_err(|source| ConnectError::Unreachable {
                hub: hub.hub.clone(),
                source,
            })?;
        return Ok(InterceptedService::new(
            channel,
            DevIdentity(Some(identity)),
        ));
    }
    Ok(InterceptedService::new(
        connect_tls(hub).await?,
        DevIdentity::default(),
    ))
}

/// Opens a mutual-TLS channel to the hub, waiting at most [`CONNECT_TIMEOUT`].
async fn connect_tls(hub: &HubConfig) -> Result<Channel, ConnectError> {
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
        .map_err(|source| match crate::tls_problem::find(&source) {
            // A login with certificates to a hub in development mode (round 20, m3): a setting
            // to change, not a hub to retry.
            None if crate::tls_problem::not_tls(&source) => settings(
                "the hub answers without TLS: it runs in development mode (ecenterd --dev); log \
                 in with --dev --as URN, or give the address of a hub serving TLS / 该服务器未启用 TLS"
                    .into(),
            ),
            Some(problem) => ConnectError::Certificate {
                problem,
                settings: format!(
                    "hub {}, --ca {}, --server-name {}, --cert {}",
                    hub.hub,
                    hub.ca.display(),
                    hub.server_name,
                    hub.cert.display()
                ),
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

/// The host the `hub` setting names, as a TLS server name: `hub.court.example` for
/// `https://hub.court.example:7000/`, `::1` for `[::1]:50051`; `None` when the setting is no
/// address (then connecting says why).
pub fn host_of(hub: &str) -> Option<String> {
    let uri: tonic::codegen::http::Uri = endpoint(hub).ok()?.parse().ok()?;
    Some(uri.host()?.trim_matches(['[', ']']).to_string())
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

#[cfg(test)]
mod tests {
    use super::{BadAddress, endpoint, host_of};

    #[test]
    fn the_host_is_read_past_a_scheme_a_slash_and_ipv6_brackets() {
        let host = |h: &str| host_of(h).unwrap();
        assert_eq!(host("https://hub.court.example:7000/"), "hub.court.example");
        assert_eq!(host("127.0.0.1:50051"), "127.0.0.1");
        assert_eq!(host("[::1]:50051"), "::1");
        assert_eq!(host_of("hub.court.example"), None);
    }

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
