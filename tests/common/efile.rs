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

    pub fn login(&self, hub: std::net::SocketAddr, pki: &Path) -> Output {
        self.login_as(hub, pki, "lawyer-14201202010000001")
    }

    pub fn login_as(&self, hub: std::net::SocketAddr, pki: &Path, stem: &str) -> Output {
        self.run(&[
            "login",
            "--hub",
            &hub.to_string(),
            "--ca",
            pki.join("root-ca.pem").to_str().unwrap(),
            "--cert",
            pki.join(format!("clients/{stem}.pem")).to_str().unwrap(),
            "--key",
            pki.join(format!("clients/{stem}.key")).to_str().unwrap(),
            "--server-name",
            "localhost",
        ])
    }
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
