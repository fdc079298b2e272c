//! Where a tool keeps its login: the hub's address, the CA and the caller's certificate and key
//! ([`HubConfig`]), saved as TOML by `efile login` or `court login` under
//! `$XDG_CONFIG_HOME/ecenter/<tool>.toml` (`~/.config/ecenter/…` when unset), so no command needs
//! the TLS flags again.

use crate::exit::{Exit, USAGE};
use crate::hub::HubConfig;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The profile file: `given` (a `--config` flag or its environment variable), else
/// `$XDG_CONFIG_HOME/ecenter/<file>`, else `$HOME/.config/ecenter/<file>`.
pub fn config_path(given: Option<PathBuf>, file: &str) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".config"),
    };
    Ok(base.join("ecenter").join(file))
}

/// Reads the saved profile; a missing file tells the user to run `<tool> login`, a directory or
/// an unreadable file names the file (exit 2).
pub fn load(path: &Path, tool: &str) -> Result<HubConfig, Exit> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        // Only a missing login is mended by logging in; a directory or an unreadable file given
        // with --config is that setting's fault (outside tests, round 20, m10).
        let what = match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("{e} — run `{tool} login` first / 请先运行 {tool} login")
            }
            _ if path.is_dir() => format!(
                "a directory, not the login file `{tool} login` saves: give --config (or \
                 {}_CONFIG) the file, or leave it out for the saved login",
                tool.to_uppercase()
            ),
            _ => format!("{e}: the login file cannot be read"),
        };
        Exit(USAGE, anyhow::anyhow!("{}: {what}", path.display()))
    })?;
    toml::from_str(&text).map_err(|e| Exit(USAGE, anyhow::anyhow!("{}: {e}", path.display())))
}

/// Writes the profile, creating its directory.
pub fn save(path: &Path, profile: &HubConfig) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    std::fs::write(path, toml::to_string(profile)?).with_context(|| path.display().to_string())
}

/// A profile from `login` flags: paths made absolute (the profile is read from anywhere later),
/// the server name defaulting to the hub's host.
pub fn from_login(
    hub: String,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    server_name: Option<String>,
) -> HubConfig {
    let server_name = server_name
        .or_else(|| crate::hub::host_of(&hub))
        .unwrap_or_else(|| hub.clone());
    let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
    HubConfig {
        hub,
        ca: absolute(ca),
        cert: absolute(cert),
        key: absolute(key),
        server_name,
        dev_as: None,
    }
}

/// The hub as flags on a command line. Give all four of `--hub`, `--ca`, `--cert` and `--key`,
/// or none of them: then the login saved by `<tool> login` is used, so no flags repeat.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HubArgs {
    /// The hub, e.g. 127.0.0.1:50051 (default: the saved login's).
    #[arg(long)]
    pub hub: Option<String>,
    /// The CA (PEM) the hub's certificate chains to.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Your certificate (PEM), as the court issued it.
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// Your private key (PEM).
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// The name the hub's certificate is issued for (default: localhost).
    #[arg(long)]
    pub server_name: Option<String>,
}

impl HubArgs {
    /// The hub these flags name, or — with none of them — `tool`'s saved login (its file from
    /// `<TOOL>_CONFIG`, else `$XDG_CONFIG_HOME/ecenter/<tool>.toml`).
    pub fn resolve(&self, tool: &str) -> anyhow::Result<HubConfig> {
        match (&self.hub, &self.ca, &self.cert, &self.key) {
            (None, None, None, None) => {
                let given = std::env::var_os(format!("{}_CONFIG", tool.to_uppercase()))
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from);
                let path = config_path(given, &format!("{tool}.toml"))?;
                load(&path, tool).map_err(|Exit(_, e)| e)
            }
            (Some(hub), Some(ca), Some(cert), Some(key)) => Ok(HubConfig {
                hub: hub.clone(),
                ca: ca.clone(),
                cert: cert.clone(),
                key: key.clone(),
                server_name: self
                    .server_name
                    .clone()
                    .unwrap_or_else(|| "localhost".into()),
                dev_as: None,
            }),
            _ => anyhow::bail!(
                "give --hub, --ca, --cert and --key together, or none of them after `{tool} login` / 连接参数不完整"
            ),
        }
    }
}

/// Who the profile acts as: the development identity of a development login, else the identity
/// its certificate carries.
pub fn identity(p: &HubConfig) -> anyhow::Result<String> {
    match &p.dev_as {
        Some(urn) => Ok(urn.clone()),
        None => identity_of(&p.cert),
    }
}

/// A development login (`--dev --as URN`): the hub on loopback without TLS, acting as `urn`,
/// which must be of `role` (e.g. `lawyer`); USAGE naming the flag otherwise.
pub fn dev_login(hub: String, urn: &str, role: &str) -> Result<HubConfig, Exit> {
    let host = hub
        .trim()
        .rsplit_once(':')
        .map_or(hub.as_str(), |(h, _)| h)
        .trim_matches(['[', ']']);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        // A development hub serves only on loopback; anywhere else an identity in a header
        // would travel in the clear to a hub that never accepts it.
        return Err(Exit(
            USAGE,
            anyhow::anyhow!(
                "--dev is for a development hub on this machine (127.0.0.1, ::1 or localhost), not {hub}: log in with --ca, --cert and --key / 开发模式仅限本机"
            ),
        ));
    }
    let prefix = format!("urn:ecenter:{role}:");
    if !urn.starts_with(&prefix) || urn.len() == prefix.len() {
        return Err(Exit(
            USAGE,
            anyhow::anyhow!("--as {urn}: give a {role}'s identity, {prefix}… / 身份格式不正确"),
        ));
    }
    Ok(HubConfig {
        hub,
        ca: PathBuf::new(),
        cert: PathBuf::new(),
        key: PathBuf::new(),
        server_name: String::new(),
        dev_as: Some(urn.to_string()),
    })
}

/// The identity a certificate carries (its SAN URI, e.g. `urn:ecenter:court:xiangyang-cms`), as
/// the hub reads it.
pub fn identity_of(cert: &Path) -> anyhow::Result<String> {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_file(cert)
        .with_context(|| cert.display().to_string())?;
    let identity = ecenter_identity::from_certificate(der.as_ref())
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    Ok(identity.to_string())
}

/// Checks that `key` is the private key of the certificate `cert`, before any connection: the
/// hub's TLS handshake refuses a mismatched pair with a bare "transport error" that names the
/// address (outside tests, round 20, M2), and a lawyer given two files is likeliest to mix them.
pub fn key_of_certificate(cert: &Path, key: &Path) -> anyhow::Result<()> {
    use rustls::InconsistentKeys;
    use rustls::sign::CertifiedKey;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain = (CertificateDer::pem_file_iter(cert))
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| anyhow::anyhow!("{}: not a PEM certificate ({e})", cert.display()))?;
    let der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("{}: not a PEM private key ({e})", key.display()))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = (provider.key_provider.load_private_key(der)).map_err(|e| {
        anyhow::anyhow!(
            "{}: a private key this tool cannot use ({e})",
            key.display()
        )
    })?;
    match CertifiedKey::new(chain, signing).keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => Ok(()),
        Err(_) => anyhow::bail!(
            "{} is not the private key of the certificate {} (their public keys differ): give the \
             key file issued with this certificate / 私钥与证书不匹配",
            key.display(),
            cert.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_directory_given_as_the_login_file_is_named_not_a_missing_login() {
        let dir = tempfile::tempdir().unwrap();
        let Err(super::Exit(code, e)) = super::load(dir.path(), "efile") else {
            panic!("a directory read as a login");
        };
        let said = e.to_string();
        assert_eq!(code, 2);
        assert!(
            said.contains("a directory") && !said.contains("login` first"),
            "{said}"
        );
        let Err(super::Exit(_, e)) = super::load(&dir.path().join("efile.toml"), "efile") else {
            panic!("a missing file read as a login");
        };
        assert!(e.to_string().contains("run `efile login` first"), "{e}");
    }

    #[test]
    fn the_server_name_defaults_to_the_hubs_host_and_paths_become_absolute() {
        let p = super::from_login(
            "[::1]:50051".into(),
            "ca.pem".into(),
            "me.pem".into(),
            "me.key".into(),
            None,
        );
        assert_eq!(p.server_name, "::1");
        assert!(p.ca.is_absolute() && p.key.is_absolute());
        let named = super::from_login(
            "hub.court.example:50051".into(),
            "/ca.pem".into(),
            "/me.pem".into(),
            "/me.key".into(),
            Some("localhost".into()),
        );
        assert_eq!(named.server_name, "localhost");
        let with_scheme = super::from_login(
            "https://hub.court.example:50051/".into(),
            "/ca.pem".into(),
            "/me.pem".into(),
            "/me.key".into(),
            None,
        );
        assert_eq!(with_scheme.server_name, "hub.court.example");
    }

    #[test]
    fn a_development_login_is_for_this_machine_and_the_role_only() {
        let lawyer = "urn:ecenter:lawyer:14201202010000001";
        for here in ["127.0.0.1:50051", "[::1]:50051", "localhost:50051"] {
            assert!(
                super::dev_login(here.into(), lawyer, "lawyer").is_ok(),
                "{here}"
            );
        }
        let far = super::dev_login("hub.court.example:50051".into(), lawyer, "lawyer");
        assert!(far.unwrap_err().1.to_string().contains("on this machine"));
        let court = super::dev_login("127.0.0.1:1".into(), "urn:ecenter:court:x", "lawyer");
        assert!(court.is_err());
    }
}
