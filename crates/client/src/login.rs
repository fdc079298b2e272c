//! `<tool> login`, shared by `efile`, `court` and `clerk`: the flags, the profile they make, the
//! check that the certificate is of the tool's role, and saving only once the hub has accepted it.
//!
//! Each tool differs only in its [`Role`] and in the call that proves the hub accepts the caller
//! (any answer at all does: a refused handshake never gets one).

use crate::exit::{Exit, USAGE};
use crate::hub::HubConfig;
use crate::profile;
use std::future::Future;
use std::path::{Path, PathBuf};

/// Where the hub is and which certificate is the caller's, or `--dev --as` for a development hub.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The hub, e.g. ecenter.court.example:50051.
    #[arg(long)]
    pub hub: String,
    /// The CA (PEM) the hub's certificate chains to.
    #[arg(long, required_unless_present = "dev")]
    pub ca: Option<PathBuf>,
    /// Your certificate (PEM), as the court issued it (urn:ecenter:<role>:…).
    #[arg(long, required_unless_present = "dev")]
    pub cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, required_unless_present = "dev")]
    pub key: Option<PathBuf>,
    /// The name the hub's certificate is issued for (default: the hub's host).
    #[arg(long)]
    pub server_name: Option<String>,
    /// A development hub (`ecenterd --dev`: loopback, no TLS): act as the identity --as names.
    #[arg(long, requires = "dev_as", conflicts_with_all = ["ca", "cert", "key", "server_name"])]
    pub dev: bool,
    /// With --dev: the identity to act as, e.g. urn:ecenter:lawyer:14201202010000001.
    #[arg(long = "as", value_name = "URN", requires = "dev")]
    pub dev_as: Option<String>,
}

/// Whom a tool acts for: the identity kind its certificate must carry.
#[derive(Debug, Clone, Copy)]
pub struct Role {
    /// The kind in the identity, `urn:ecenter:<kind>:…` (`lawyer`, `court`, `clerk`).
    pub kind: &'static str,
    /// The owner in English, for "not a …'s" ("lawyer", "court system").
    pub whose: &'static str,
    /// The owner in Chinese, for 此证书不是…证书 (律师, 法院, 书记员).
    pub zh: &'static str,
}

impl LoginArgs {
    /// The profile these flags make and the identity it acts as, once that identity is of
    /// `role`. USAGE (exit 2) naming the flags or the certificate otherwise.
    pub fn profile(self, role: Role) -> Result<(HubConfig, String), Exit> {
        let saved = match (self.dev_as, self.ca, self.cert, self.key) {
            (Some(urn), ..) => profile::dev_login(self.hub, &urn, role.kind)?,
            (None, Some(ca), Some(cert), Some(key)) => {
                profile::from_login(self.hub, ca, cert, key, self.server_name)
            }
            _ => {
                return Err(Exit(
                    USAGE,
                    anyhow::anyhow!(
                        "give --ca, --cert and --key, or --dev --as URN for a development hub"
                    ),
                ));
            }
        };
        let identity = profile::identity(&saved).map_err(|e| Exit(USAGE, e))?;
        if saved.dev_as.is_none() {
            profile::key_of_certificate(&saved.cert, &saved.key).map_err(|e| Exit(USAGE, e))?;
        }
        if !identity.starts_with(&format!("urn:ecenter:{}:", role.kind)) {
            return Err(Exit(
                USAGE,
                anyhow::anyhow!(
                    "{}: this certificate is {identity}, not a {}'s (urn:ecenter:{}:…) / 此证书不是{}证书",
                    saved.cert.display(),
                    role.whose,
                    role.kind,
                    role.zh
                ),
            ));
        }
        Ok((saved, identity))
    }
}

/// Saves `saved` to `path` once `accepted` (a call to the hub as that identity) has an answer;
/// a failure is explained ([`crate::exit::explain`]: a certificate problem, not "unreachable")
/// and nothing is saved.
pub async fn save_once_accepted<F>(
    saved: &HubConfig,
    identity: &str,
    path: &Path,
    accepted: F,
) -> Result<(), Exit>
where
    F: Future<Output = Result<(), Exit>>,
{
    if let Err(failure) = accepted.await {
        return Err(crate::exit::explain(failure, Some(saved)).await);
    }
    profile::save(path, saved).map_err(|e| Exit(USAGE, e))?;
    let dev = if saved.dev_as.is_some() {
        " to a development hub (no TLS)"
    } else {
        ""
    };
    println!(
        "logged in as {identity}{dev} / 已登录; saved {}",
        path.display()
    );
    Ok(())
}
