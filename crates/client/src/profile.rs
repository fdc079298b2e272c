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

/// Reads the saved profile; a missing file tells the user to run `<tool> login` (exit 2).
pub fn load(path: &Path, tool: &str) -> Result<HubConfig, Exit> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Exit(
            USAGE,
            anyhow::anyhow!(
                "{}: {e} — run `{tool} login` first / 请先运行 {tool} login",
                path.display()
            ),
        )
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
    let server_name = server_name.unwrap_or_else(|| {
        hub.rsplit_once(':')
            .map_or(hub.as_str(), |(h, _)| h)
            .trim_matches(['[', ']'])
            .to_string()
    });
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

#[cfg(test)]
mod tests {
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
    }
}
