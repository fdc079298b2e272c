//! `clerk login`: saves where the hub is and which certificate is the clerk's, once the hub has
//! accepted it, so that the commands that talk to the hub need no TLS flags again (they still
//! take them, all four together, to reach another hub).

use anyhow::Result;
use ecenter_client::profile;
use ecenter_proto::v1 as pb;
use std::path::PathBuf;

/// Where the hub is and which certificate is the clerk's (or `--dev --as` for a development hub).
#[derive(Debug, clap::Args)]
pub(super) struct LoginArgs {
    /// The hub, e.g. ecenter.court.example:50051.
    #[arg(long)]
    hub: String,
    /// The CA (PEM) the hub's certificate chains to.
    #[arg(long, required_unless_present = "dev")]
    ca: Option<PathBuf>,
    /// The clerk's certificate (PEM), urn:ecenter:clerk:….
    #[arg(long, required_unless_present = "dev")]
    cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, required_unless_present = "dev")]
    key: Option<PathBuf>,
    /// The name the hub's certificate is issued for (default: the hub's host).
    #[arg(long)]
    server_name: Option<String>,
    /// A development hub (`ecenterd --dev`: loopback, no TLS): act as the identity --as names.
    #[arg(long, requires = "dev_as", conflicts_with_all = ["ca", "cert", "key", "server_name"])]
    dev: bool,
    /// With --dev: the clerk to act as, e.g. urn:ecenter:clerk:c0001.
    #[arg(long = "as", value_name = "URN", requires = "dev")]
    dev_as: Option<String>,
    /// Where to save the login (default: $XDG_CONFIG_HOME/ecenter/clerk.toml).
    #[arg(long, env = "CLERK_CONFIG")]
    config: Option<PathBuf>,
}

/// Checks the certificate is a clerk's and that the hub accepts it (GetChainHead), then saves.
pub(super) async fn login(args: LoginArgs) -> Result<bool> {
    let LoginArgs {
        hub,
        ca,
        cert,
        key,
        server_name,
        dev_as,
        config,
        ..
    } = args;
    let saved = match (dev_as, ca, cert, key) {
        (Some(urn), ..) => profile::dev_login(hub, &urn, "clerk").map_err(|e| e.1)?,
        (None, Some(ca), Some(cert), Some(key)) => {
            profile::from_login(hub, ca, cert, key, server_name)
        }
        _ => anyhow::bail!("give --ca, --cert and --key, or --dev --as URN for a development hub"),
    };
    let identity = profile::identity(&saved)?;
    if !identity.starts_with("urn:ecenter:clerk:") {
        anyhow::bail!(
            "{}: this certificate is {identity}, not a clerk's (urn:ecenter:clerk:…) / 此证书不是书记员证书",
            saved.cert.display()
        );
    }
    let channel = ecenter_client::hub::connect(&saved).await?;
    pb::event_log_service_client::EventLogServiceClient::new(channel)
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .map_err(|s| anyhow::Error::new(ecenter_client::exit::Refused(s)))?;
    let path = profile::config_path(config, "clerk.toml")?;
    profile::save(&path, &saved)?;
    println!("logged in as {identity} / 已登录; saved {}", path.display());
    Ok(true)
}
