//! `efile` run as a process by a lawyer with XDG directories of their own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A lawyer's environment: XDG directories of their own.
pub struct Lawyer {
    pub home: tempfile::TempDir,
}

impl Lawyer {
    pub fn new() -> Lawyer {
        Lawyer {
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_efile"));
        c.args(args)
            .env_remove("EFILE_CONFIG")
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_DATA_HOME", self.home.path().join("data"));
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// `efile submit ARGS --json`, which must succeed: the receipt as JSON.
    pub fn submit_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["submit", "--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn login(&self, hub: std::net::SocketAddr, pki: &Path) -> Output {
        self.login_as(hub, pki, "lawyer-14201202010000001")
    }

    pub fn login_as(&self, hub: std::net::SocketAddr, pki: &Path, stem: &str) -> Output {
        let args = login_args(hub, pki, stem);
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

/// `login` with the hub's address and the certificate `clients/<stem>` of the PKI at `pki`, as
/// efile, court and clerk all take it.
pub fn login_args(hub: std::net::SocketAddr, pki: &Path, stem: &str) -> Vec<String> {
    let file = |f: String| pki.join(f).to_str().unwrap().to_string();
    [
        "login".to_string(),
        "--hub".into(),
        hub.to_string(),
        "--ca".into(),
        file("root-ca.pem".into()),
        "--cert".into(),
        file(format!("clients/{stem}.pem")),
        "--key".into(),
        file(format!("clients/{stem}.key")),
        "--server-name".into(),
        "localhost".into(),
    ]
    .into()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}
