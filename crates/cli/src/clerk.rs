//! `clerk`: the clerks' audit tool. For now it verifies sealed PDFs offline — with no hub, against
//! the trust anchors the clerk names — so a served judgment can be checked wherever it turns up.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use ecenter_seal::{CheckStatus, Indication, TrustStores};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
use std::path::{Path, PathBuf};

/// Audit tools for court clerks.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verifies every signature of a PDF offline; exits 0 only when all of them pass.
    VerifyPdf {
        /// The PDF file.
        file: PathBuf,
        /// Trust anchor(s) for signers (PEM); nothing is trusted unless named here.
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
        /// Trust anchor(s) for timestamp authorities (PEM); defaults to the signers' anchors.
        #[arg(long)]
        tsa_trust: Vec<PathBuf>,
        /// Intermediate CA certificates (PEM) that may complete chains.
        #[arg(long)]
        intermediate: Vec<PathBuf>,
        /// CRLs (PEM) to check revocation against.
        #[arg(long)]
        crl: Vec<PathBuf>,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command line; exits 1 on failure or when a PDF does not verify.
pub fn main() {
    match run(Args::parse()) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("clerk: {e:#}");
            std::process::exit(2);
        }
    }
}

fn certificates(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for p in paths {
        for c in CertificateDer::pem_file_iter(p).with_context(|| p.display().to_string())? {
            out.push(
                c.with_context(|| p.display().to_string())?
                    .as_ref()
                    .to_vec(),
            );
        }
    }
    Ok(out)
}

fn crls(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for p in paths {
        for c in CertificateRevocationListDer::pem_file_iter(p)
            .with_context(|| p.display().to_string())?
        {
            out.push(
                c.with_context(|| p.display().to_string())?
                    .as_ref()
                    .to_vec(),
            );
        }
    }
    Ok(out)
}

fn status_name(s: &CheckStatus) -> String {
    match s {
        CheckStatus::Passed => "PASSED".into(),
        CheckStatus::Failed(sub) => format!("FAILED ({sub})"),
        CheckStatus::NotApplicable => "n/a".into(),
    }
}

fn indication_name(i: Indication) -> &'static str {
    match i {
        Indication::Passed => "PASSED",
        Indication::Failed => "FAILED",
        Indication::Indeterminate => "INDETERMINATE",
    }
}

/// Pads `s` to `width` terminal columns (a Chinese character takes two).
fn pad(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

fn verify_pdf(file: &Path, trust: TrustStores, json: bool) -> Result<bool> {
    let pdf = std::fs::read(file).with_context(|| file.display().to_string())?;
    let report = ecenter_pdfseal::verify_pdf(&pdf, &trust, std::time::SystemTime::now())
        .with_context(|| file.display().to_string())?;
    let passed = report.indication == Indication::Passed;
    if json {
        let signatures: Vec<serde_json::Value> = report
            .signatures
            .iter()
            .map(|s| {
                serde_json::json!({
                    "field": s.field,
                    "byte_range": s.byte_range,
                    "signer": s.report.signer,
                    "indication": indication_name(s.report.indication),
                    "sub_indication": s.report.sub_indication.map(|x| x.as_str()),
                    "checks": s.report.checks.iter().map(|c| serde_json::json!({
                        "name": c.name, "status": status_name(&c.status), "detail": c.detail,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "file": file.display().to_string(),
                "indication": indication_name(report.indication),
                "signatures": signatures,
            })
        );
        return Ok(passed);
    }
    println!(
        "{}: {} ({} signature{})",
        file.display(),
        indication_name(report.indication),
        report.signatures.len(),
        if report.signatures.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    if report.signatures.is_empty() {
        println!("  the PDF carries no signature");
    }
    for (i, s) in report.signatures.iter().enumerate() {
        println!(
            "\n#{} {} — {} — signer: {}",
            i + 1,
            if s.field.is_empty() {
                "(no field)"
            } else {
                &s.field
            },
            indication_name(s.report.indication),
            s.report.signer.as_deref().unwrap_or("unknown")
        );
        for c in &s.report.checks {
            println!(
                "  {}{}{}",
                pad(c.name, 22),
                pad(&status_name(&c.status), 42),
                c.detail
            );
        }
    }
    Ok(passed)
}

fn run(args: Args) -> Result<bool> {
    match args.command {
        Command::VerifyPdf {
            file,
            trust,
            tsa_trust,
            intermediate,
            crl,
            json,
        } => {
            let signers = certificates(&trust)?;
            let tsas = if tsa_trust.is_empty() {
                signers.clone()
            } else {
                certificates(&tsa_trust)?
            };
            let stores = TrustStores {
                seal_makers: signers.clone(),
                signers,
                intermediates: certificates(&intermediate)?,
                crls: crls(&crl)?,
                tsas,
            };
            verify_pdf(&file, stores, json)
        }
    }
}
