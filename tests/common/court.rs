//! `court`, the review tool, run as a process by a court clerk with XDG directories of their own.

use std::path::Path;
use std::process::{Command, Output};

/// The court's clerk at a terminal: `court` with its own XDG directories.
pub struct Court {
    pub home: tempfile::TempDir,
}

impl Court {
    pub fn new() -> Court {
        Court {
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_court"))
            .args(args)
            .env_remove("COURT_CONFIG")
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .current_dir(self.home.path())
            .output()
            .unwrap()
    }

    pub fn login(&self, hub: std::net::SocketAddr, pki: &Path, stem: &str) -> Output {
        let args = super::efile::login_args(hub, pki, stem);
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }
}
