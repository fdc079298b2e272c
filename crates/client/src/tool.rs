//! The frame a hub client's command line runs in (`efile`, `court`): a runtime, the exit code its
//! failure deserves, an unreachable hub told apart from a certificate problem, and the connection
//! its commands share.

use crate::exit::{Exit, explain, refused, unreachable};
use crate::hub::{HubChannel, HubConfig};
use crate::profile;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use std::future::Future;
use std::path::PathBuf;

/// Which profile explains a failure: a login explains its own with the settings it tried, every
/// other command with the saved ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explain {
    /// With the saved profile (a command that uses it).
    WithSavedProfile,
    /// With what the command tried (a login: the saved profile may be stale or absent).
    ByItself,
}

/// Runs a tool's command line on a single-threaded runtime: `command` gets the path of the
/// profile (`config`, else `<tool>.toml` where [`profile::config_path`] keeps it). A failure that
/// looks like an unreachable hub is explained with the saved profile ([`explain`]) unless
/// `explaining` says the command does so itself. The failure
/// is said as [`crate::exit::fail`] says it and ends the process with its exit code.
pub fn main<C, F>(tool: &str, config: Option<PathBuf>, explaining: Explain, command: C)
where
    C: FnOnce(PathBuf) -> F,
    F: Future<Output = Result<(), Exit>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    if let Err(Exit(code, e)) = runtime.block_on(explained(tool, config, explaining, command)) {
        crate::exit::fail(tool, &format!("{e:#}"), code);
    }
}

/// Runs `command` with the path of the profile and explains its failure: "the hub cannot be
/// reached" may be the hub refusing a certificate, found out with the saved profile.
async fn explained<C, F>(
    tool: &str,
    config: Option<PathBuf>,
    explaining: Explain,
    command: C,
) -> Result<(), Exit>
where
    C: FnOnce(PathBuf) -> F,
    F: Future<Output = Result<(), Exit>>,
{
    let path = profile::config_path(config, &format!("{tool}.toml"))?;
    let saved = match explaining {
        Explain::ByItself => None,
        Explain::WithSavedProfile => profile::load(&path, tool).ok(),
    };
    match command(path).await {
        Ok(()) => Ok(()),
        Err(failure) => Err(explain(failure, saved.as_ref()).await),
    }
}

/// A connection to the hub as `hub`'s caller ([`crate::hub::connect`]); one that cannot be opened
/// fails with the exit code it deserves ([`unreachable`]).
pub async fn channel(hub: &HubConfig) -> Result<HubChannel, Exit> {
    crate::hub::connect(hub).await.map_err(unreachable)
}

/// The hub's filing service as `hub`'s caller, taking answers of up to 16 MiB.
pub async fn filing_client(hub: &HubConfig) -> Result<FilingServiceClient<HubChannel>, Exit> {
    Ok(FilingServiceClient::new(channel(hub).await?).max_decoding_message_size(16 * 1024 * 1024))
}

/// One filing as the hub shows it to `hub`'s caller (GetFiling).
pub async fn get_filing(hub: &HubConfig, filing_id: String) -> Result<pb::Filing, Exit> {
    let answer = filing_client(hub)
        .await?
        .get_filing(pb::GetFilingRequest { filing_id })
        .await
        .map_err(refused)?;
    Ok(answer.into_inner())
}
