//! `ecenter-pki`: makes the court's development PKI (its `main` is in `src/bin/ecenter-pki.rs`).

use anyhow::Result;
use clap::{Parser, Subcommand};
use ecenter_pki::ClientSpec;
use std::path::PathBuf;

/// Development PKI of ecenter: CAs, the hub's server certificate, client, seal and TSA certificates.
/// Everything it makes is for development and tests only.
#[derive(Debug, Parser)]
#[command(name = "ecenter-pki", version)]
struct Args {
    /// The PKI directory.
    #[arg(long, global = true, default_value = "certs", env = "ECENTER_PKI_DIR")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the whole development PKI.
    Init {
        /// Replace an existing PKI in the directory.
        #[arg(long)]
        force: bool,
    },
    /// Issue one more client certificate under the client CA.
    IssueClient {
        /// court, clerk or lawyer.
        #[arg(long)]
        role: String,
        /// System code, staff number or bar licence number.
        #[arg(long)]
        id: String,
        /// Name shown to people, e.g. "律师 赵六".
        #[arg(long)]
        name: String,
        /// Validity in days, 1 to 3650 (0 would make a certificate no one can use).
        #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(i64).range(1..=3650))]
        days: i64,
    },
    /// Revoke a client certificate and rewrite the client CA's CRL.
    Revoke {
        /// The certificate (PEM) to revoke.
        cert: PathBuf,
    },
    /// Re-issue the client CA's CRL, and the SM2 seal CA's when there is one, with a fresh
    /// validity.
    Crl,
    /// Create only the SM2 (国密) half in <dir>/sm2/: root, seal CA, seal maker, seal signer,
    /// timestamp CA and TSA in SM2-with-SM3, and the seal CA's CRL (`init` makes it too).
    InitSm2 {
        /// Replace an existing sm2/ directory.
        #[arg(long)]
        force: bool,
    },
    /// Revoke a certificate of the SM2 seal CA and re-sign sm2/seal-ca.crl.pem.
    RevokeSm2 {
        /// The certificate (PEM) to revoke.
        cert: PathBuf,
    },
}

/// Runs the command line; on failure prints why and exits 1.
pub fn main() {
    if let Err(e) = run(Args::parse()) {
        ecenter_client::exit::fail("ecenter-pki", &format!("{e:#}"), 1);
    }
}

fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Init { force } => {
            ecenter_pki::init(&args.dir, force)?;
            println!(
                "development PKI written to {} (NOT FOR PRODUCTION)",
                args.dir.display()
            );
        }
        Command::IssueClient {
            role,
            id,
            name,
            days,
        } => {
            let mut spec = ClientSpec::new(&role, &id, &name);
            spec.not_after = spec.not_before + time::Duration::days(days);
            let (cert, key) = ecenter_pki::issue_client(&args.dir, &spec)?;
            println!(
                "{} issued: {} and {}",
                spec.urn(),
                cert.display(),
                key.display()
            );
        }
        Command::Revoke { cert } => {
            ecenter_pki::revoke(&args.dir, &cert)?;
            println!(
                "revoked {}; CRL rewritten: {}",
                cert.display(),
                args.dir.join("client-ca.crl.pem").display()
            );
        }
        Command::InitSm2 { force } => {
            let dir = args.dir.join("sm2");
            if dir.join("root-ca.pem").exists() && !force {
                anyhow::bail!(
                    "{} already holds an SM2 PKI; pass --force to replace it",
                    dir.display()
                );
            }
            ecenter_pki::sm2::init(&args.dir)?;
            println!(
                "SM2 development PKI written to {} (NOT FOR PRODUCTION)",
                dir.display()
            );
        }
        Command::RevokeSm2 { cert } => {
            ecenter_pki::sm2::revoke(&args.dir, &cert)?;
            println!(
                "revoked {}; CRL re-signed: {}",
                cert.display(),
                args.dir.join("sm2/seal-ca.crl.pem").display()
            );
        }
        Command::Crl => {
            ecenter_pki::refresh_crl(&args.dir)?;
            println!(
                "CRL re-issued: {}",
                args.dir.join("client-ca.crl.pem").display()
            );
            if args.dir.join("sm2/seal-ca.pem").exists() {
                ecenter_pki::sm2::refresh_crl(&args.dir)?;
                let sm2 = args.dir.join("sm2/seal-ca.crl.pem");
                println!("CRL re-issued: {}", sm2.display());
            }
        }
    }
    Ok(())
}

/// clap's own checks (unique argument and group names, valid `requires`), which otherwise panic
/// only when the command is run.
#[test]
fn the_command_line_is_consistent() {
    <Args as clap::CommandFactory>::command().debug_assert();
}
