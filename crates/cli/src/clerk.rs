//! `clerk`: the clerks' audit tool. It verifies sealed PDFs offline — with no hub, against the trust
//! anchors the clerk names — and walks the hash-chained event log, on a running hub over mutual TLS
//! or offline on a copy of a data directory, so the record can be shown unaltered.

use crate::pad;
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
    /// Walks the event log from its first entry: names the first entry that does not verify, or
    /// prints the chain head to compare with one recorded elsewhere. Exit 1 when the log is broken.
    VerifyLog {
        /// A data directory no hub is serving (a copy, or a stopped hub's): checked offline.
        #[arg(long, conflicts_with = "hub")]
        data_dir: Option<PathBuf>,
        /// A running hub, e.g. 127.0.0.1:50051: its entries are read over mutual TLS.
        #[arg(long, requires_all = ["ca", "cert", "key"])]
        hub: Option<String>,
        /// The CA (PEM) the hub's certificate chains to.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// The clerk's certificate (PEM).
        #[arg(long)]
        cert: Option<PathBuf>,
        /// The clerk's key (PEM).
        #[arg(long)]
        key: Option<PathBuf>,
        /// The name the hub's certificate is issued for.
        #[arg(long, default_value = "localhost")]
        server_name: String,
        /// Print JSON for scripts instead of words.
        #[arg(long)]
        json: bool,
    },
}

/// Where the walk ended: the head, or the first bad entry.
struct LogWalk {
    entries: u64,
    head_seq: u64,
    head_hash: String,
    head_time: Option<chrono::DateTime<chrono::Utc>>,
    broken: Option<(u64, String)>,
}

fn walk_offline(data_dir: &Path) -> Result<LogWalk> {
    match ecenter_store::verify_log(data_dir) {
        Ok(head) => Ok(LogWalk {
            entries: head.seq,
            head_seq: head.seq,
            head_hash: hex::encode(head.hash),
            head_time: head.recorded_at,
            broken: None,
        }),
        Err(ecenter_store::StoreError::Chain(e)) => Ok(LogWalk {
            entries: e.seq.saturating_sub(1),
            head_seq: e.seq.saturating_sub(1),
            head_hash: String::new(),
            head_time: None,
            broken: Some((e.seq, e.reason)),
        }),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", data_dir.display())),
    }
}

async fn walk_hub(
    hub: &str,
    ca: &Path,
    cert: &Path,
    key: &Path,
    server_name: &str,
) -> Result<LogWalk> {
    use ecenter_proto::v1 as pb;
    use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
    let read = |p: &Path| std::fs::read(p).with_context(|| p.display().to_string());
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read(ca)?))
        .identity(Identity::from_pem(read(cert)?, read(key)?))
        .domain_name(server_name);
    let channel = Channel::from_shared(format!("https://{hub}"))
        .context("the hub's address")?
        .tls_config(tls)?
        .connect()
        .await
        .with_context(|| format!("cannot reach the hub at {hub}"))?;
    let mut log = pb::event_log_service_client::EventLogServiceClient::new(channel)
        .max_decoding_message_size(64 * 1024 * 1024);
    let mut walk = LogWalk {
        entries: 0,
        head_seq: 0,
        head_hash: "0".repeat(64),
        head_time: None,
        broken: None,
    };
    let mut after = 0;
    loop {
        let page = log
            .list_entries(pb::ListEntriesRequest {
                after_seq: after,
                page_size: 1000,
            })
            .await
            .map_err(|s| anyhow::anyhow!("the hub refused ListEntries: {}", s.message()))?
            .into_inner();
        for e in &page.entries {
            let computed = hex::encode(ecenter_store::chain::sha256(e.detail_json.as_bytes()));
            let problem = if e.seq != walk.head_seq + 1 {
                Some(format!(
                    "expected entry {} next: entries are missing",
                    walk.head_seq + 1
                ))
            } else if computed != e.hash {
                Some(format!(
                    "content hash is {computed} but the entry records {}: the entry was altered",
                    e.hash
                ))
            } else if e.prev_hash != walk.head_hash {
                Some(format!(
                    "it links to previous hash {} but entry {} has hash {}",
                    e.prev_hash, walk.head_seq, walk.head_hash
                ))
            } else {
                None
            };
            if let Some(reason) = problem {
                walk.broken = Some((e.seq, reason));
                return Ok(walk);
            }
            walk.entries += 1;
            walk.head_seq = e.seq;
            walk.head_hash = e.hash.clone();
            walk.head_time = e
                .recorded_at
                .as_ref()
                .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
        }
        if page.next_after_seq == 0 {
            return Ok(walk);
        }
        after = page.next_after_seq;
    }
}

fn report_walk(walk: &LogWalk, json: bool) -> bool {
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let time = walk.head_time.map(|t| {
        t.with_timezone(&shanghai)
            .format("%Y-%m-%d %H:%M:%S (Asia/Shanghai)")
            .to_string()
    });
    if json {
        println!(
            "{}",
            serde_json::json!({
                "ok": walk.broken.is_none(),
                "entries_verified": walk.entries,
                "head": {"seq": walk.head_seq, "hash": walk.head_hash, "recorded_at": walk.head_time.map(|t| t.to_rfc3339())},
                "first_bad_entry": walk.broken.as_ref().map(|(seq, reason)| serde_json::json!({"seq": seq, "reason": reason})),
            })
        );
    } else if let Some((seq, reason)) = &walk.broken {
        println!("the event log is BROKEN at entry {seq}: {reason}");
        println!("entries 1 to {} verify", walk.entries);
    } else {
        println!("the event log verifies: {} entries", walk.entries);
        println!("head: entry {} {}", walk.head_seq, walk.head_hash);
        if let Some(t) = time {
            println!("recorded {t}");
        }
    }
    walk.broken.is_none()
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
        Command::VerifyLog {
            data_dir,
            hub,
            ca,
            cert,
            key,
            server_name,
            json,
        } => {
            let walk = match (data_dir, hub) {
                (Some(dir), None) => walk_offline(&dir)?,
                (None, Some(hub)) => {
                    let (ca, cert, key) = (
                        ca.unwrap_or_default(),
                        cert.unwrap_or_default(),
                        key.unwrap_or_default(),
                    );
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?
                        .block_on(walk_hub(&hub, &ca, &cert, &key, &server_name))?
                }
                _ => anyhow::bail!(
                    "give --data-dir DIR (offline) or --hub ADDR with --ca, --cert and --key"
                ),
            };
            Ok(report_walk(&walk, json))
        }
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
