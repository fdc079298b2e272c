//! `efile`: the lawyers' thin client. It only speaks gRPC over mutual TLS with the lawyer's own
//! certificate: log in once, then file documents in one command — checked locally first, streamed
//! with progress bars, retried after a dropped connection under the same request id (so a retry can
//! never file twice) — and follow what the court does with them.
//!
//! Exit codes: 0 done; 1 the hub refused (the message says why) or a file is unusable; 2 the command
//! line or the configuration is wrong; 3 the hub could not be reached.

use crate::pad;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use ecenter_domain::media::{MediaType, Sniffed, classify_zip, sniff};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::Channel;

/// Largest document the hub accepts by default (100 MiB); the hub has the last word.
const MAX_DOCUMENT_BYTES: u64 = 100 * 1024 * 1024;
/// Bytes per streamed chunk.
const CHUNK: usize = 256 * 1024;

/// File documents with a court and follow them (律师电子立案客户端).
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = "Exit codes: 0 done, 1 refused or unusable file, 2 usage or configuration, 3 hub unreachable."
)]
struct Args {
    /// The configuration file (default: $XDG_CONFIG_HOME/ecenter/efile.toml).
    #[arg(long, env = "EFILE_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Saves the hub's address and your certificate's paths, after checking the hub accepts them.
    Login {
        /// The hub, e.g. ecenter.court.example:50051.
        #[arg(long)]
        hub: String,
        /// The CA (PEM) the hub's certificate chains to.
        #[arg(long)]
        ca: PathBuf,
        /// Your certificate (PEM), as the court issued it.
        #[arg(long)]
        cert: PathBuf,
        /// Your private key (PEM).
        #[arg(long)]
        key: PathBuf,
        /// The name the hub's certificate is issued for (default: the hub's host).
        #[arg(long)]
        server_name: Option<String>,
    },
    /// Shows who the hub sees you as.
    Whoami {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Files documents: checks them here, uploads them with progress, prints and saves the receipt.
    Submit {
        /// The case number, e.g. （2026）鄂06民初123号 (ASCII brackets work too).
        #[arg(long)]
        case: String,
        /// What you file: 起诉状, 答辩状, 证据材料, ...
        #[arg(long)]
        kind: String,
        /// A short title (default: the kind).
        #[arg(long)]
        title: Option<String>,
        /// The idempotency key (default: derived from the case, kind and the files' contents, so
        /// running the same command again never files twice).
        #[arg(long)]
        request_id: Option<String>,
        /// Where to save the receipt (default: $XDG_DATA_HOME/ecenter/receipts/<filing>.json).
        #[arg(long)]
        save_receipt: Option<PathBuf>,
        /// Attempts after a dropped connection or an unreachable hub.
        #[arg(long, default_value_t = 5)]
        retries: u32,
        /// Print the receipt as JSON.
        #[arg(long)]
        json: bool,
        /// The documents (PDF, OFD, DOCX, PNG, JPEG).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// One filing: state, department, each document's review status.
    Status {
        /// The filing id.
        filing: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Your filings, oldest first.
    List {
        /// Only this case.
        #[arg(long)]
        case: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// The receipt (签收单) of a filing, as issued.
    Receipt {
        /// The filing id.
        filing: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Documents the court served on you (电子送达), newest first.
    Inbox {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Downloads the documents of a service on you, checking each digest and each PDF's seal here.
    Fetch {
        /// The service (order id, O…).
        order: String,
        /// Where to save them.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Trust anchor(s) for the seals (PEM); default: the CA saved at login.
        #[arg(long)]
        trust: Vec<PathBuf>,
        /// Intermediate CA certificates (PEM) that may complete the seals' chains.
        #[arg(long)]
        intermediate: Vec<PathBuf>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Follows a filing's events live (Ctrl-C to stop).
    Watch {
        /// The filing id.
        filing: String,
        /// Print JSON lines for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// What `efile login` saves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    hub: String,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    server_name: String,
}

/// A failure with the exit code it deserves.
#[derive(Debug)]
struct Exit(i32, anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Exit {
    fn from(e: E) -> Self {
        Exit(2, e.into())
    }
}

fn refused(s: tonic::Status) -> Exit {
    // The hub itself never answers UNKNOWN or CANCELLED: those are a connection cut under way.
    let code = match s.code() {
        tonic::Code::Unavailable
        | tonic::Code::DeadlineExceeded
        | tonic::Code::Unknown
        | tonic::Code::Cancelled => 3,
        _ => 1,
    };
    Exit(code, anyhow::anyhow!("{}（{:?}）", s.message(), s.code()))
}

/// Runs the command line and exits with its code.
pub fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => {}
        Err(Exit(code, e)) => {
            eprintln!("efile: {e:#}");
            std::process::exit(code);
        }
    }
}

fn config_path(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".config"),
    };
    Ok(base.join("ecenter").join("efile.toml"))
}

fn receipts_dir() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".local/share")
        }
    };
    Ok(base.join("ecenter").join("receipts"))
}

fn load_profile(path: &Path) -> Result<Profile, Exit> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Exit(
            2,
            anyhow::anyhow!(
                "{}: {e} — run `efile login` first / 请先运行 efile login",
                path.display()
            ),
        )
    })?;
    toml::from_str(&text).map_err(|e| Exit(2, anyhow::anyhow!("{}: {e}", path.display())))
}

async fn connect(p: &Profile) -> Result<FilingServiceClient<Channel>, Exit> {
    Ok(FilingServiceClient::new(channel(p).await?).max_decoding_message_size(16 * 1024 * 1024))
}

async fn channel(p: &Profile) -> Result<Channel, Exit> {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let read = |f: &Path| std::fs::read(f).with_context(|| f.display().to_string());
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read(&p.ca)?))
        .identity(Identity::from_pem(read(&p.cert)?, read(&p.key)?))
        .domain_name(p.server_name.clone());
    let channel = Channel::from_shared(format!("https://{}", p.hub))
        .context("the hub's address")?
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(10))
        .connect()
        .await
        .map_err(|e| {
            Exit(
                3,
                anyhow::anyhow!("cannot reach the hub at {} / 无法连接服务器: {e}", p.hub),
            )
        })?;
    Ok(channel)
}

/// The identity a certificate carries (its SAN URI), as the hub reads it.
fn identity_of(cert: &Path) -> Result<String> {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_file(cert)
        .with_context(|| cert.display().to_string())?;
    let identity = ecenter_server::tls::identity_from_certificate(der.as_ref())
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    Ok(identity.to_string())
}

fn beijing(t: Option<&prost_types::Timestamp>) -> String {
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| {
            t.with_timezone(&shanghai)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn state_name(s: i32) -> &'static str {
    match pb::FilingState::try_from(s) {
        Ok(pb::FilingState::Received) => "received 已收到",
        Ok(pb::FilingState::UnderReview) => "under review 审查中",
        Ok(pb::FilingState::Accepted) => "accepted 已接收",
        Ok(pb::FilingState::PartiallyAccepted) => "partially accepted 部分接收",
        Ok(pb::FilingState::ReturnedForCorrection) => "returned for correction 退回补正",
        Ok(pb::FilingState::Rejected) => "rejected 不予接收",
        Ok(pb::FilingState::Docketed) => "docketed 已立案",
        Ok(pb::FilingState::Cancelled) => "cancelled 已撤回",
        _ => "unknown",
    }
}

/// A file checked for upload.
struct Checked {
    path: PathBuf,
    name: String,
    size: u64,
    sha256: String,
}

/// Checks every file before anything is sent: readable, not empty, within the size limit, a type the
/// court accepts; reports every problem at once.
fn check_files(files: &[PathBuf]) -> Result<Vec<Checked>, Exit> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for path in files {
        let shown = path.display();
        let meta = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => {
                problems.push(format!("{shown}: not a file / 不是文件"));
                continue;
            }
            Err(e) => {
                problems.push(format!("{shown}: {e}"));
                continue;
            }
        };
        if meta.len() == 0 {
            problems.push(format!("{shown}: empty / 文件为空"));
            continue;
        }
        if meta.len() > MAX_DOCUMENT_BYTES {
            problems.push(format!(
                "{shown}: {} MiB, more than the {} MiB allowed / 超过大小限制",
                meta.len() / (1024 * 1024),
                MAX_DOCUMENT_BYTES / (1024 * 1024)
            ));
            continue;
        }
        let mut file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let mut head = [0u8; 8];
        let n = file.read(&mut head).unwrap_or(0);
        let kind = match sniff(&head[..n]) {
            Sniffed::Known(t) => Some(t),
            Sniffed::Zip => zip_kind(path),
            Sniffed::Unknown => None,
        };
        if kind.is_none() {
            problems.push(format!(
                "{shown}: not a document the court accepts ({}) / 文件类型不受支持",
                MediaType::accepted_list()
            ));
            continue;
        }
        let sha256 = match hash_file(path) {
            Ok(h) => h,
            Err(e) => {
                problems.push(format!("{shown}: {e}"));
                continue;
            }
        };
        out.push(Checked {
            path: path.clone(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size: meta.len(),
            sha256,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Exit(
            1,
            anyhow::anyhow!("nothing was sent / 未提交:\n  {}", problems.join("\n  ")),
        ))
    }
}

fn zip_kind(path: &Path) -> Option<MediaType> {
    let file = std::fs::File::open(path).ok()?;
    let archive = zip::ZipArchive::new(file).ok()?;
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    classify_zip(names.iter().map(String::as_str))
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(hex::encode(ctx.finish()))
}

/// The request messages: the header, then each file in chunks, advancing the progress bars.
struct Upload {
    files: Vec<(std::fs::File, indicatif::ProgressBar)>,
    overall: indicatif::ProgressBar,
    header: Option<pb::SubmissionHeader>,
    current: usize,
}

impl Iterator for Upload {
    type Item = pb::SubmitFilingRequest;

    fn next(&mut self) -> Option<pb::SubmitFilingRequest> {
        use pb::submit_filing_request::Part;
        if let Some(h) = self.header.take() {
            return Some(pb::SubmitFilingRequest {
                part: Some(Part::Header(h)),
            });
        }
        while self.current < self.files.len() {
            let (file, bar) = &mut self.files[self.current];
            let mut buf = vec![0u8; CHUNK];
            let n = file.read(&mut buf).unwrap_or(0);
            if n == 0 {
                bar.finish();
                self.current += 1;
                continue;
            }
            buf.truncate(n);
            bar.inc(n as u64);
            self.overall.inc(n as u64);
            return Some(pb::SubmitFilingRequest {
                part: Some(Part::Chunk(pb::DocumentChunk {
                    document_index: self.current as u32,
                    data: buf,
                })),
            });
        }
        self.overall.finish();
        None
    }
}

fn bar_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(
        "{msg:24} [{bar:30}] {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12}",
    )
    .expect("a valid template")
    .progress_chars("=> ")
}

#[allow(clippy::too_many_arguments)]
async fn submit(
    profile: &Profile,
    case: String,
    kind: String,
    title: Option<String>,
    request_id: Option<String>,
    save_receipt: Option<PathBuf>,
    retries: u32,
    json: bool,
    files: Vec<PathBuf>,
) -> Result<(), Exit> {
    if ecenter_domain::CaseNumber::parse(&case).is_err() {
        return Err(Exit(
            1,
            anyhow::anyhow!(
                "「{case}」 is not a case number like （2026）鄂06民初123号 / 案号格式不正确"
            ),
        ));
    }
    let checked = check_files(&files)?;
    let title = title.unwrap_or_else(|| kind.clone());
    // The same case, kind, title and files give the same request id: running the command again
    // after a failure can only ever produce the one filing.
    let request_id = request_id.unwrap_or_else(|| {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for part in [case.as_str(), kind.as_str(), title.as_str()] {
            ctx.update(part.as_bytes());
            ctx.update(&[0]);
        }
        for c in &checked {
            ctx.update(c.name.as_bytes());
            ctx.update(&[0]);
            ctx.update(c.sha256.as_bytes());
        }
        format!("efile-{}", &hex::encode(ctx.finish())[..32])
    });
    let header = pb::SubmissionHeader {
        request_id: request_id.clone(),
        case_number: case.clone(),
        filing_kind: kind.clone(),
        title: title.clone(),
        documents: checked
            .iter()
            .map(|c| pb::DocumentHeader {
                name: c.name.clone(),
                size: c.size,
                sha256: c.sha256.clone(),
                media_type: String::new(),
            })
            .collect(),
        corrects_filing_id: String::new(),
    };
    let total: u64 = checked.iter().map(|c| c.size).sum();
    let mut attempt = 0;
    let response = loop {
        attempt += 1;
        let bars = indicatif::MultiProgress::new();
        let overall = bars.add(indicatif::ProgressBar::new(total));
        overall.set_style(bar_style());
        overall.set_message("total 合计");
        let mut streams = Vec::new();
        for c in &checked {
            let bar = bars.add(indicatif::ProgressBar::new(c.size));
            bar.set_style(bar_style());
            bar.set_message(c.name.chars().take(24).collect::<String>());
            streams.push((
                std::fs::File::open(&c.path).with_context(|| c.path.display().to_string())?,
                bar,
            ));
        }
        let upload = Upload {
            files: streams,
            overall,
            header: Some(header.clone()),
            current: 0,
        };
        let outcome = match connect(profile).await {
            Ok(mut client) => client
                .submit_filing(tokio_stream::iter(upload))
                .await
                .map(|r| r.into_inner())
                .map_err(refused),
            Err(e) => Err(e),
        };
        match outcome {
            // The finished bars stay on the screen above the receipt.
            Ok(r) => break r,
            Err(Exit(3, e)) if attempt <= retries => {
                let _ = bars.clear();
                let wait = Duration::from_secs(1 << (attempt - 1).min(4));
                eprintln!(
                    "efile: {e:#}; retrying in {} s with the same request id {request_id} / {} 秒后重试",
                    wait.as_secs(),
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
            }
            Err(e) => {
                let _ = bars.clear();
                return Err(e);
            }
        }
    };
    let receipt = response
        .receipt
        .ok_or_else(|| Exit(1, anyhow::anyhow!("the hub answered without a receipt")))?;
    let json_receipt = receipt_json(&receipt);
    let path = match save_receipt {
        Some(p) => p,
        None => receipts_dir()?.join(format!("{}.json", receipt.filing_id)),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&json_receipt).expect("JSON"),
    )
    .with_context(|| path.display().to_string())?;
    if json {
        println!("{json_receipt}");
    } else {
        if response.replayed {
            println!("already filed earlier with this request id / 此前已提交，以下为原签收单");
        }
        print_receipt(&receipt);
        println!("receipt saved / 签收单已保存: {}", path.display());
    }
    Ok(())
}

fn receipt_json(r: &pb::Receipt) -> serde_json::Value {
    serde_json::json!({
        "filing_id": r.filing_id,
        "request_id": r.request_id,
        "submitter": r.submitter,
        "case_number": r.case_number.as_ref().map(|c| c.normalized.clone()),
        "filing_kind": r.filing_kind,
        "received_at": r.received_at_local,
        "department": r.department,
        "log_seq": r.log_seq,
        "log_hash": r.log_hash,
        "documents": r.documents.iter().map(|d| serde_json::json!({
            "document_id": d.document_id, "name": d.name, "size": d.size,
            "media_type": d.media_type, "sha256": d.sha256,
        })).collect::<Vec<_>>(),
    })
}

fn print_receipt(r: &pb::Receipt) {
    println!("签收单 receipt  {}", r.filing_id);
    println!(
        "  case 案号      {}",
        r.case_number
            .as_ref()
            .map_or(String::new(), |c| c.normalized.clone())
    );
    println!("  kind 类型      {}", r.filing_kind);
    println!("  received 收到  {}", r.received_at_local);
    println!("  department     {}", r.department);
    println!("  log entry      {} {}", r.log_seq, r.log_hash);
    println!(
        "  {}{}{}SHA-256",
        pad("ID", 5),
        pad("NAME", 28),
        pad("BYTES", 12)
    );
    for d in &r.documents {
        println!(
            "  {}{}{}{}",
            pad(&d.document_id, 5),
            pad(&d.name, 28),
            pad(&d.size.to_string(), 12),
            d.sha256
        );
    }
}

fn filing_json(f: &pb::Filing) -> serde_json::Value {
    serde_json::json!({
        "filing_id": f.filing_id,
        "case_number": f.case_number.as_ref().map(|c| c.normalized.clone()),
        "filing_kind": f.filing_kind,
        "title": f.title,
        "state": state_name(f.state),
        "department": f.department,
        "received_at": f.received_at_local,
        "updated_at": beijing(f.updated_at.as_ref()),
        "review_comment": f.review_comment,
        "documents": f.documents.iter().map(|d| serde_json::json!({
            "document_id": d.document_id, "name": d.name, "size": d.size, "sha256": d.sha256,
            "status": d.status, "reason": d.reason,
        })).collect::<Vec<_>>(),
    })
}

fn pem_certificates(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, Exit> {
    use rustls_pki_types::pem::PemObject;
    let mut out = Vec::new();
    for p in paths {
        for c in rustls_pki_types::CertificateDer::pem_file_iter(p)
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

async fn service_client(
    p: &Profile,
) -> Result<pb::service_of_process_client::ServiceOfProcessClient<Channel>, Exit> {
    Ok(
        pb::service_of_process_client::ServiceOfProcessClient::new(channel(p).await?)
            .max_decoding_message_size(16 * 1024 * 1024),
    )
}

async fn inbox(profile: &Profile, json: bool) -> Result<(), Exit> {
    let services = service_client(profile)
        .await?
        .list_my_services(pb::ListMyServicesRequest {})
        .await
        .map_err(refused)?
        .into_inner()
        .services;
    if json {
        let rows: Vec<serde_json::Value> = services
            .iter()
            .map(|s| {
                serde_json::json!({
                    "order_id": s.order_id, "recipient_id": s.recipient_id,
                    "case_number": s.case_number, "ordered_at": beijing(s.ordered_at.as_ref()),
                    "effective_at": beijing(s.effective.as_ref().and_then(|e| e.at.as_ref())),
                    "documents": s.documents.iter().map(|d| serde_json::json!({
                        "name": d.name, "sha256": d.sha256, "size": d.size, "seal": d.seal,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    if services.is_empty() {
        println!("nothing served on you / 暂无送达文书");
        return Ok(());
    }
    println!(
        "{}{}{}{}EFFECTIVE (Asia/Shanghai)",
        pad("SERVICE", 15),
        pad("CASE", 24),
        pad("DOCUMENTS", 10),
        pad("ORDERED (Asia/Shanghai)", 25),
    );
    for s in &services {
        println!(
            "{}{}{}{}{}",
            pad(&s.order_id, 15),
            pad(&s.case_number, 24),
            pad(&s.documents.len().to_string(), 10),
            pad(&beijing(s.ordered_at.as_ref()), 25),
            beijing(s.effective.as_ref().and_then(|e| e.at.as_ref()))
        );
    }
    Ok(())
}

async fn fetch(
    profile: &Profile,
    order: &str,
    out: &Path,
    trust: &[PathBuf],
    intermediate: &[PathBuf],
    json: bool,
) -> Result<(), Exit> {
    let mut client = service_client(profile).await?;
    let services = client
        .list_my_services(pb::ListMyServicesRequest {})
        .await
        .map_err(refused)?
        .into_inner()
        .services;
    let Some(service) = services.into_iter().find(|s| s.order_id == order) else {
        return Err(Exit(
            1,
            anyhow::anyhow!("nothing of service {order} was served on you / 该送达不属于您"),
        ));
    };
    let anchors = if trust.is_empty() {
        pem_certificates(std::slice::from_ref(&profile.ca))?
    } else {
        pem_certificates(trust)?
    };
    let stores = ecenter_seal::TrustStores {
        seal_makers: anchors.clone(),
        signers: anchors.clone(),
        intermediates: pem_certificates(intermediate)?,
        crls: Vec::new(),
        tsas: anchors,
        maker_role: None,
    };
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    let mut rows = Vec::new();
    let mut all_good = true;
    for (i, d) in service.documents.iter().enumerate() {
        let mut stream = client
            .fetch_served_document(pb::FetchServedDocumentRequest {
                order_id: service.order_id.clone(),
                recipient_id: service.recipient_id.clone(),
                index: i as u32 + 1,
            })
            .await
            .map_err(refused)?
            .into_inner();
        let mut bytes = Vec::with_capacity(d.size as usize);
        while let Some(chunk) = stream.message().await.map_err(refused)? {
            bytes.extend_from_slice(&chunk.data);
        }
        let digest = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
        let digest_ok = digest == d.sha256;
        let seal = if d.media_type == "application/pdf" {
            match ecenter_pdfseal::verify_pdf(&bytes, &stores, std::time::SystemTime::now()) {
                Ok(r) if r.indication == ecenter_seal::Indication::Passed => "PASSED",
                _ => "FAILED",
            }
        } else {
            "—"
        };
        all_good &= digest_ok && seal != "FAILED";
        let name = ecenter_domain::media::sanitize_file_name(&d.name)
            .unwrap_or_else(|| format!("document-{}", i + 1));
        let path = out.join(&name);
        std::fs::write(&path, &bytes).with_context(|| path.display().to_string())?;
        rows.push((name, bytes.len(), digest_ok, seal, path));
    }
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, size, ok, seal, path)| {
                serde_json::json!({"name": name, "size": size, "sha256_ok": ok, "seal": seal, "path": path.display().to_string()})
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"order_id": service.order_id, "documents": list, "ok": all_good})
        );
    } else {
        println!(
            "{} · {} · {} document(s)",
            service.order_id,
            service.case_number,
            rows.len()
        );
        println!(
            "{}{}{}SEAL",
            pad("NAME", 30),
            pad("BYTES", 12),
            pad("SHA-256", 10)
        );
        for (name, size, ok, seal, _) in &rows {
            println!(
                "{}{}{}{}",
                pad(name, 30),
                pad(&size.to_string(), 12),
                pad(if *ok { "ok" } else { "MISMATCH" }, 10),
                seal
            );
        }
    }
    if all_good {
        Ok(())
    } else {
        Err(Exit(
            1,
            anyhow::anyhow!("a document does not match its digest or its seal / 文书校验未通过"),
        ))
    }
}

async fn run(args: Args) -> Result<(), Exit> {
    let path = config_path(args.config)?;
    match args.command {
        Command::Login {
            hub,
            ca,
            cert,
            key,
            server_name,
        } => {
            let server_name = server_name.unwrap_or_else(|| {
                hub.rsplit_once(':')
                    .map_or(hub.as_str(), |(h, _)| h)
                    .trim_matches(['[', ']'])
                    .to_string()
            });
            let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
            let profile = Profile {
                hub,
                ca: absolute(ca),
                cert: absolute(cert),
                key: absolute(key),
                server_name,
            };
            let identity = identity_of(&profile.cert)?;
            // The hub must accept the certificate before anything is saved.
            let mut client = connect(&profile).await?;
            client
                .list_filings(pb::ListFilingsRequest {
                    submitter: identity.clone(),
                    page_size: 1,
                    ..Default::default()
                })
                .await
                .map_err(refused)?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
            }
            std::fs::write(&path, toml::to_string(&profile)?)
                .with_context(|| path.display().to_string())?;
            println!("logged in as {identity} / 已登录; saved {}", path.display());
            Ok(())
        }
        Command::Whoami { json } => {
            let profile = load_profile(&path)?;
            let identity = identity_of(&profile.cert)?;
            let mut client = connect(&profile).await?;
            let filings = client
                .list_filings(pb::ListFilingsRequest {
                    submitter: identity.clone(),
                    page_size: 1,
                    ..Default::default()
                })
                .await
                .map_err(refused)?;
            let _ = filings;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"identity": identity, "hub": profile.hub, "accepted": true})
                );
            } else {
                println!(
                    "{identity} @ {} (accepted by the hub / 服务器已接受)",
                    profile.hub
                );
            }
            Ok(())
        }
        Command::Submit {
            case,
            kind,
            title,
            request_id,
            save_receipt,
            retries,
            json,
            files,
        } => {
            let profile = load_profile(&path)?;
            submit(
                &profile,
                case,
                kind,
                title,
                request_id,
                save_receipt,
                retries,
                json,
                files,
            )
            .await
        }
        Command::Status { filing, json } => {
            let profile = load_profile(&path)?;
            let f = connect(&profile)
                .await?
                .get_filing(pb::GetFilingRequest { filing_id: filing })
                .await
                .map_err(refused)?
                .into_inner();
            if json {
                println!("{}", filing_json(&f));
                return Ok(());
            }
            println!(
                "{}  {}  {}",
                f.filing_id,
                state_name(f.state),
                f.case_number
                    .as_ref()
                    .map_or(String::new(), |c| c.normalized.clone())
            );
            println!(
                "  {} · {} · received {} · updated {} (Asia/Shanghai)",
                f.filing_kind,
                f.department,
                f.received_at_local,
                beijing(f.updated_at.as_ref())
            );
            if !f.review_comment.is_empty() {
                println!("  court's comment 法院意见: {}", f.review_comment);
            }
            for d in &f.documents {
                println!(
                    "  {}{}{}",
                    pad(&d.document_id, 5),
                    pad(&d.name, 28),
                    d.reason
                );
            }
            Ok(())
        }
        Command::List { case, json } => {
            let profile = load_profile(&path)?;
            let identity = identity_of(&profile.cert)?;
            let mut client = connect(&profile).await?;
            let all = crate::all_filings(
                &mut client,
                pb::ListFilingsRequest {
                    submitter: identity.clone(),
                    case_number: case.clone().unwrap_or_default(),
                    ..Default::default()
                },
            )
            .await
            .map_err(refused)?;
            if json {
                println!(
                    "{}",
                    serde_json::Value::Array(all.iter().map(filing_json).collect())
                );
                return Ok(());
            }
            if all.is_empty() {
                println!("no filings / 暂无提交记录");
                return Ok(());
            }
            println!(
                "{}{}{}{}RECEIVED (Asia/Shanghai)",
                pad("FILING", 15),
                pad("CASE", 24),
                pad("KIND", 12),
                pad("STATE", 24)
            );
            for f in &all {
                println!(
                    "{}{}{}{}{}",
                    pad(&f.filing_id, 15),
                    pad(
                        &f.case_number
                            .as_ref()
                            .map_or(String::new(), |c| c.normalized.clone()),
                        24
                    ),
                    pad(&f.filing_kind, 12),
                    pad(state_name(f.state), 24),
                    f.received_at_local
                );
            }
            Ok(())
        }
        Command::Receipt { filing, json } => {
            let profile = load_profile(&path)?;
            let r = connect(&profile)
                .await?
                .get_receipt(pb::GetReceiptRequest { filing_id: filing })
                .await
                .map_err(refused)?
                .into_inner();
            if json {
                println!("{}", receipt_json(&r));
            } else {
                print_receipt(&r);
            }
            Ok(())
        }
        Command::Inbox { json } => inbox(&load_profile(&path)?, json).await,
        Command::Fetch {
            order,
            out,
            trust,
            intermediate,
            json,
        } => {
            fetch(
                &load_profile(&path)?,
                &order,
                &out,
                &trust,
                &intermediate,
                json,
            )
            .await
        }
        Command::Watch { filing, json } => {
            let profile = load_profile(&path)?;
            let mut stream = connect(&profile)
                .await?
                .watch_events(pb::WatchEventsRequest {
                    scope: Some(pb::watch_events_request::Scope::FilingId(filing)),
                    after_seq: 0,
                })
                .await
                .map_err(refused)?
                .into_inner();
            while let Some(e) = stream.message().await.map_err(refused)? {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"seq": e.seq, "at": beijing(e.recorded_at.as_ref()), "kind": e.kind, "actor": e.actor, "state_after": state_name(e.state_after)})
                    );
                } else {
                    println!(
                        "{}  {}  {}  {}",
                        beijing(e.recorded_at.as_ref()),
                        pad(&e.kind, 16),
                        pad(state_name(e.state_after), 22),
                        e.actor
                    );
                }
            }
            Ok(())
        }
    }
}
