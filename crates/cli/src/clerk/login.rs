//! `clerk login`: saves where the hub is and which certificate is the clerk's, once the hub has
//! accepted it, so that the commands that talk to the hub need no TLS flags again (they still
//! take them, all four together, to reach another hub).

use anyhow::Result;
use ecenter_client::exit::Exit;
use ecenter_client::login;
use ecenter_client::profile;
use ecenter_proto::v1 as pb;
use std::path::PathBuf;

/// Where the hub is and which certificate is the clerk's (or `--dev --as` for a development hub).
#[derive(Debug, clap::Args)]
pub(super) struct ClerkLogin {
    #[command(flatten)]
    hub: login::LoginArgs,
    /// Where to save the login (default: $XDG_CONFIG_HOME/ecenter/clerk.toml).
    #[arg(long, env = "CLERK_CONFIG")]
    config: Option<PathBuf>,
}

/// The role clerk acts for.
const CLERK: login::Role = login::Role {
    kind: "clerk",
    whose: "clerk",
    zh: "书记员",
};

/// Checks the certificate is a clerk's and that the hub accepts it (GetChainHead), then saves.
pub(super) async fn login(args: ClerkLogin) -> Result<bool> {
    let (saved, identity) = args.hub.profile(CLERK).map_err(Exit::into_error)?;
    let path = profile::config_path(args.config, "clerk.toml")?;
    let accepted = async {
        let channel = ecenter_client::hub::connect(&saved)
            .await
            .map_err(ecenter_client::exit::unreachable)?;
        pb::event_log_service_client::EventLogServiceClient::new(channel)
            .get_chain_head(pb::GetChainHeadRequest {})
            .await
            .map(drop)
            .map_err(ecenter_client::exit::refused)
    };
    login::save_once_accepted(&saved, &identity, &path, accepted)
        .await
        .map_err(Exit::into_error)?;
    Ok(true)
}
