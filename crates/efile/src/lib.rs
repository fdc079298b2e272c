//! `efile`: the lawyers' thin client. It only speaks gRPC over mutual TLS with the lawyer's own
//! certificate: log in once, then file documents in one command — checked locally first, streamed
//! with progress bars, retried after a dropped connection under the same request id (so a retry can
//! never file twice) — and follow what the court does with them.
//!
//! Exit codes (shared with `court` and `clerk`, [`ecenter_client::exit`]): 0 done; 1 the hub refused
//! (the message says why) or a file is unusable; 2 the command line or the configuration is wrong;
//! 3 the hub could not be reached; 4 a certificate problem, named.

#![forbid(unsafe_code)]
use anyhow::{Context, Result};
use ecenter_client::exit::{Exit, refused};
use ecenter_client::hub::HubConfig;
use ecenter_client::login::{self, LoginArgs};
use ecenter_client::table::{Table, pad, printable};
use ecenter_client::words::Wording::Full;
use ecenter_client::words::{
    case_or_new, document_status, document_status_code, filing_state, filing_state_code,
};
use ecenter_client::{beijing, beijing_rfc3339, profile, tool};
use submit::{print_receipt, receipt_json, submit};

mod notices;
mod policy;
mod submit;
use clap::{Parser, Subcommand};

use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;

use ecenter_client::hub::HubChannel;
use std::path::{Path, PathBuf};

/// File documents with a court and follow them (律师电子立案客户端).
#[derive(Debug, Parser)]
#[command(
    name = "efile",
    version,
    after_help = "Exit codes: 0 done, 1 refused or unusable file, 2 usage or configuration, 3 hub unreachable (retry), 4 certificate problem, 5 output could not be written."
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
    Login(LoginArgs),
    /// Shows who the hub sees you as.
    Whoami {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Files documents: checks them here, uploads them with progress, prints and saves the receipt.
    /// In a case (--case), as a new case (--new-case) or as a correction (--corrects).
    Submit(submit::SubmitArgs),
    /// What the court takes: kinds of filing (and which open a new case), document types, limits
    /// and fees.
    Policy {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Notices of filing by e-mail or SMS (opt-in): show, set, off, co-counsel.
    #[command(subcommand)]
    Notices(notices::NoticesCommand),
    /// One filing: state, department, each document's review status.
    Status {
        /// The filing id.
        #[arg(value_parser = ecenter_client::filing_id_arg)]
        filing: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Withdraws (撤回) a filing the court has not decided on yet, with your reason, recorded in
    /// the court's log; the same withdrawal again changes nothing. Its documents are then neither
    /// reviewed, sealed nor served.
    Withdraw {
        /// The filing id.
        #[arg(value_parser = ecenter_client::filing_id_arg)]
        filing: String,
        /// Why you withdraw it (撤回理由), at most 500 characters.
        #[arg(long)]
        reason: String,
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
    /// The receipt (签收单) of a filing, as issued; with --pdf also as a PDF sealed by the court.
    Receipt {
        /// The filing id.
        #[arg(value_parser = ecenter_client::filing_id_arg)]
        filing: String,
        /// Save the receipt as a PDF laid out in Chinese and sealed by the court (PAdES) here.
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
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
    Fetch(FetchArgs),
    /// Follows a filing's events live (Ctrl-C to stop).
    Watch {
        /// The filing id.
        #[arg(value_parser = ecenter_client::filing_id_arg)]
        filing: String,
        /// Print JSON lines for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// `efile fetch`: which service to download, where to, and what to trust its seals to.
#[derive(Debug, clap::Args)]
struct FetchArgs {
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
}

/// What `efile login` saves: where the hub is and who the lawyer is.
type Profile = HubConfig;

/// Runs the command line and exits with its code.
pub fn main() {
    let args = ecenter_client::exit::parse_args::<Args>("efile");
    let explaining = match args.command {
        Command::Login(_) => tool::Explain::ByItself,
        _ => tool::Explain::WithSavedProfile,
    };
    tool::main("efile", args.config, explaining, |path| {
        dispatch(args.command, path)
    });
}

/// Where receipts from `hub` are kept: one directory per hub, since filing ids are each hub's
/// own — a second court's F000000000006 must not replace the first's receipt (outside tests,
/// round 11, F7).
fn receipts_dir(hub: &str) -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".local/share")
        }
    };
    let hub: String = hub
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(base.join("ecenter").join("receipts").join(hub))
}

/// The hub's filing service, as this lawyer.
type Hub = FilingServiceClient<HubChannel>;

async fn connect(p: &Profile) -> Result<Hub, Exit> {
    tool::filing_client(p).await
}

/// A filing for scripts: states and statuses as stable codes beside their labels, times in RFC
/// 3339 with the +08:00 offset.
fn filing_json(f: &pb::Filing) -> serde_json::Value {
    serde_json::json!({
        "filing_id": f.filing_id,
        "case_number": f.case_number.as_ref().map(|c| c.normalized.clone()),
        // The court code and what the court-code table says it stands for (the division a court
        // serves, 湖北省襄阳市), not the court's name (outside tests, round 11b, F7).
        "court_code": f.case_number.as_ref().map(|c| c.court_code.clone()),
        "court_code_stands_for": f.case_number.as_ref().map(|c| c.court.clone()),
        "review_flags": f.review_flags,
        "filing_kind": f.filing_kind,
        "title": f.title,
        "state": filing_state_code(f.state),
        "state_label": filing_state(f.state, Full),
        "department": f.department,
        "received_at": beijing_rfc3339(f.received_at.as_ref()),
        "updated_at": beijing_rfc3339(f.updated_at.as_ref()),
        "reviewer": f.reviewer,
        "withdrawal_reason": f.cancel_reason,
        "review_comment": f.review_comment,
        "documents": f.documents.iter().map(|d| serde_json::json!({
            "document_id": d.document_id, "name": d.name, "size": d.size, "sha256": d.sha256,
            "status": document_status_code(d.status, f.state),
            "status_label": document_status(d.status, f.state, Full),
            "reason": d.reason,
        })).collect::<Vec<_>>(),
    })
}

fn pem_certificates(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, Exit> {
    Ok(ecenter_seal::trust_files::certificates(paths)?)
}

async fn service_client(
    p: &Profile,
) -> Result<pb::service_of_process_client::ServiceOfProcessClient<HubChannel>, Exit> {
    Ok(
        pb::service_of_process_client::ServiceOfProcessClient::new(tool::channel(p).await?)
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
                    "case_number": s.case_number, "ordered_at": beijing_rfc3339(s.ordered_at.as_ref()),
                    "effective_at": beijing_rfc3339(s.effective.as_ref().and_then(|e| e.at.as_ref())),
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
    let mut table = Table::new([
        "SERVICE",
        "CASE",
        "DOCUMENTS",
        "ORDERED (Beijing time)",
        "EFFECTIVE (Beijing time)",
    ]);
    for s in &services {
        table.row([
            s.order_id.clone(),
            s.case_number.clone(),
            s.documents.len().to_string(),
            beijing(s.ordered_at.as_ref()),
            beijing(s.effective.as_ref().and_then(|e| e.at.as_ref())),
        ]);
    }
    table.print();
    Ok(())
}

/// One document `efile fetch` saved: its file name, size, whether its SHA-256 matched, the seal's
/// verdict (PASSED, FAILED or — when not a PDF) and where it was written.
/// One fetched document: its saved name, size, whether its SHA-256 is the one served, its seal
/// (PASSED, FAILED or — for no PDF), why the seal failed (the first check that did: chain, hash,
/// timestamp …; round 20, m16) and where it was saved.
type Fetched = (String, usize, bool, &'static str, Option<String>, PathBuf);

async fn fetch(profile: &Profile, args: &FetchArgs) -> Result<(), Exit> {
    let FetchArgs {
        order,
        out,
        trust,
        intermediate,
        json,
    } = args;
    let json = *json;
    let mut client = service_client(profile).await?;
    let services = client
        .list_my_services(pb::ListMyServicesRequest {})
        .await
        .map_err(refused)?
        .into_inner()
        .services;
    let Some(service) = services.into_iter().find(|s| &s.order_id == order) else {
        return Err(Exit(
            1,
            anyhow::anyhow!("nothing of service {order} was served on you / 该送达不属于您"),
        ));
    };
    let stores = seal_trust(profile, trust, intermediate)?;
    ecenter_client::out_dir(out)?;
    let mut rows: Vec<Fetched> = Vec::new();
    let mut all_good = true;
    for (i, d) in service.documents.iter().enumerate() {
        let bytes = download_served(&mut client, &service, i, d.size).await?;
        let row = check_and_save(&bytes, d, i, &stores, out)?;
        all_good &= row.2 && row.3 != "FAILED";
        if let Some(why) = row.4.as_ref().filter(|_| !json) {
            eprintln!("efile: D{} 「{}」: seal FAILED — {why}", i + 1, row.0);
        }
        rows.push(row);
    }
    if json {
        print_fetched_json(&service, &rows);
    } else {
        print_fetched_table(&service, &rows);
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

/// The trust anchors the served documents' seals (PAdES) are checked against: those given with
/// `--trust`, or else the CA saved at login.
fn seal_trust(
    profile: &Profile,
    trust: &[PathBuf],
    intermediate: &[PathBuf],
) -> Result<ecenter_seal::TrustStores, Exit> {
    let anchors = if trust.is_empty() {
        if profile.dev_as.is_some() {
            return Err(Exit(
                2,
                anyhow::anyhow!(
                    "a development login has no CA to check seals against: give --trust root-ca.pem"
                ),
            ));
        }
        pem_certificates(std::slice::from_ref(&profile.ca))?
    } else {
        pem_certificates(trust)?
    };
    Ok(ecenter_seal::TrustStores {
        seal_makers: anchors.clone(),
        signers: anchors.clone(),
        intermediates: pem_certificates(intermediate)?,
        crls: Vec::new(),
        tsas: anchors,
        maker_role: None,
        maker_role_waived: false,
    })
}

/// Downloads document `i` (0-based) of a service served on the lawyer, whole, from its stream
/// of chunks.
async fn download_served(
    client: &mut pb::service_of_process_client::ServiceOfProcessClient<HubChannel>,
    service: &pb::MyService,
    i: usize,
    size: u64,
) -> Result<Vec<u8>, Exit> {
    let mut stream = client
        .fetch_served_document(pb::FetchServedDocumentRequest {
            order_id: service.order_id.clone(),
            recipient_id: service.recipient_id.clone(),
            index: i as u32 + 1,
        })
        .await
        .map_err(refused)?
        .into_inner();
    let mut bytes = Vec::with_capacity(size as usize);
    while let Some(chunk) = stream.message().await.map_err(refused)? {
        bytes.extend_from_slice(&chunk.data);
    }
    Ok(bytes)
}

/// Checks a served document's SHA-256 against the one served and, for a PDF, its court seal
/// (PAdES); saves it under `out` with a safe file name.
fn check_and_save(
    bytes: &[u8],
    d: &pb::ServedDocument,
    i: usize,
    stores: &ecenter_seal::TrustStores,
    out: &Path,
) -> Result<Fetched, Exit> {
    let digest = hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes));
    let digest_ok = digest == d.sha256;
    let (seal, why) = if d.media_type == "application/pdf" {
        match ecenter_pdfseal::verify_pdf(bytes, stores, std::time::SystemTime::now()) {
            Ok(r) if r.indication == ecenter_seal::Indication::Passed => ("PASSED", None),
            Ok(r) => ("FAILED", Some(first_failed(&r))),
            Err(e) => ("FAILED", Some(e.to_string())),
        }
    } else {
        ("—", None)
    };
    let name = ecenter_domain::media::sanitize_file_name(&d.name)
        .unwrap_or_else(|| format!("document-{}", i + 1));
    let path = out.join(&name);
    std::fs::write(&path, bytes).with_context(|| path.display().to_string())?;
    Ok((name, bytes.len(), digest_ok, seal, why, path))
}

/// Prints the fetched documents of a service as JSON for scripts; `ok` only when every digest
/// matched and no seal failed.
fn print_fetched_json(service: &pb::MyService, rows: &[Fetched]) {
    let all_good = rows
        .iter()
        .all(|(_, _, ok, seal, _, _)| *ok && *seal != "FAILED");
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|(name, size, ok, seal, why, path)| {
            serde_json::json!({"name": name, "size": size, "sha256_ok": ok, "seal": seal, "seal_failure": why, "path": path.display().to_string()})
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({"order_id": service.order_id, "documents": list, "ok": all_good})
    );
}

/// The first check of a PDF's seals that failed, as `name: detail`.
fn first_failed(r: &ecenter_pdfseal::PdfReport) -> String {
    let failed = (r.signatures.iter())
        .flat_map(|s| &s.report.checks)
        .find(|c| matches!(c.status, ecenter_seal::CheckStatus::Failed(_)));
    match failed {
        Some(c) => format!("{}: {}", c.name, c.detail),
        None if r.signatures.is_empty() => "the PDF carries no seal".into(),
        None => format!("{:?}", r.indication),
    }
}

/// Prints the fetched documents of a service as a table: name, size, SHA-256 check and seal.
fn print_fetched_table(service: &pb::MyService, rows: &[Fetched]) {
    println!(
        "{} · {} · {} document(s)",
        service.order_id,
        service.case_number,
        rows.len()
    );
    let mut table = Table::new(["NAME", "BYTES", "SHA-256", "SEAL"]);
    for (name, size, ok, seal, _, _) in rows {
        let sha256 = if *ok { "ok" } else { "MISMATCH" };
        table.row([name, &size.to_string(), sha256, seal]);
    }
    table.print();
}

/// Runs one command with the profile at `path`.
async fn dispatch(command: Command, path: PathBuf) -> Result<(), Exit> {
    let profile = || profile::load(&path, "efile");
    match command {
        Command::Login(login_args) => login(login_args, &path).await,
        Command::Whoami { json } => whoami(&profile()?, json).await,
        Command::Submit(submit_args) => submit(&profile()?, submit_args).await,
        Command::Policy { json } => policy::policy(&profile()?, json).await,
        Command::Notices(command) => notices::notices(&profile()?, command).await,
        Command::Status { filing, json } => status(&profile()?, filing, json).await,
        Command::Withdraw {
            filing,
            reason,
            json,
        } => withdraw(&profile()?, filing, reason, json).await,
        Command::List { case, json } => list(&profile()?, case, json).await,
        Command::Receipt { filing, pdf, json } => {
            receipt(&profile()?, filing, pdf.as_deref(), json).await
        }
        Command::Inbox { json } => inbox(&profile()?, json).await,
        Command::Fetch(fetch_args) => fetch(&profile()?, &fetch_args).await,
        Command::Watch { filing, json } => watch(&profile()?, filing, json).await,
    }
}

/// Saves the profile once the hub has accepted the lawyer's certificate.
async fn login(args: LoginArgs, path: &Path) -> Result<(), Exit> {
    // efile files as a lawyer: a court's or a clerk's certificate belongs to their tools.
    let (profile, identity) = args.profile(LAWYER)?;
    login::save_once_accepted(
        &profile,
        &identity,
        path,
        accepted_by_hub(&profile, &identity),
    )
    .await
}

/// The role efile acts for.
const LAWYER: login::Role = login::Role {
    kind: "lawyer",
    whose: "lawyer",
    zh: "律师",
};

/// Asks the hub for one of the lawyer's filings: an answer at all means it accepts the certificate.
async fn accepted_by_hub(profile: &Profile, identity: &str) -> Result<(), Exit> {
    connect(profile)
        .await?
        .list_filings(pb::ListFilingsRequest {
            submitter: identity.to_string(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .map_err(refused)?;
    Ok(())
}

async fn whoami(profile: &Profile, json: bool) -> Result<(), Exit> {
    let identity = profile::identity(profile)?;
    accepted_by_hub(profile, &identity).await?;
    let listed = directory_entry(profile, &identity).await?;
    if json {
        let directory = listed.as_ref().map(|l| {
            serde_json::json!({"name": l.name, "licence_number": l.licence_number,
                "law_firm": l.law_firm, "phone": l.phone, "email": l.email})
        });
        println!(
            "{}",
            serde_json::json!({"identity": identity, "hub": profile.hub, "accepted": true,
                "directory": directory})
        );
        return Ok(());
    }
    println!(
        "{identity} @ {} (accepted by the hub / 服务器已接受)",
        profile.hub
    );
    match listed {
        Some(l) => {
            println!(
                "  {} · 执业证号 {} · {}",
                l.name, l.licence_number, l.law_firm
            );
            println!(
                "  portal sign-in codes go to 门户验证码发送至: {}",
                ecenter_client::words::code_addresses(&l)
            );
        }
        None => println!(
            "  not in the court's directory of lawyers: ask the court to list you before using the portal / 尚未登记在法院律师名录"
        ),
    }
    Ok(())
}

/// The caller's entry in the court's directory of lawyers; `None` when not listed, or when the
/// hub predates the directory (UNIMPLEMENTED).
async fn directory_entry(profile: &Profile, identity: &str) -> Result<Option<pb::Lawyer>, Exit> {
    let mut c =
        pb::lawyer_directory_client::LawyerDirectoryClient::new(tool::channel(profile).await?);
    let request = pb::GetLawyerRequest {
        identity: identity.to_string(),
    };
    match c.get_lawyer(request).await {
        Ok(answer) => Ok(Some(answer.into_inner())),
        Err(s) if matches!(s.code(), tonic::Code::NotFound | tonic::Code::Unimplemented) => {
            Ok(None)
        }
        Err(s) => Err(refused(s)),
    }
}

async fn status(profile: &Profile, filing: String, json: bool) -> Result<(), Exit> {
    let f = tool::get_filing(profile, filing).await?;
    print_status(&f, json);
    Ok(())
}

/// `efile withdraw`: the filing as the withdrawal left it (or as it stood, for a retry).
async fn withdraw(
    profile: &Profile,
    filing: String,
    reason: String,
    json: bool,
) -> Result<(), Exit> {
    let f = connect(profile)
        .await?
        .cancel_filing(pb::CancelFilingRequest {
            filing_id: filing,
            reason,
        })
        .await
        .map_err(refused)?
        .into_inner();
    print_status(&f, json);
    Ok(())
}

/// One filing for people (state, department, times, the court's review, each document) or as
/// JSON for scripts.
fn print_status(f: &pb::Filing, json: bool) {
    if json {
        println!("{}", filing_json(f));
        return;
    }
    println!(
        "{}  {}  {}",
        f.filing_id,
        filing_state(f.state, Full),
        case_or_new(f)
    );
    println!(
        "  {} · {} · received {} · updated {} (Beijing time)",
        f.filing_kind,
        f.department,
        beijing(f.received_at.as_ref()),
        beijing(f.updated_at.as_ref())
    );
    if !f.reviewer.is_empty() {
        println!("  reviewer 审查人: {}", f.reviewer);
    }
    if !f.review_comment.is_empty() {
        println!(
            "  court's comment 法院意见: {}",
            printable(&f.review_comment)
        );
    }
    if !f.cancel_reason.is_empty() {
        println!(
            "  withdrawn because 撤回理由: {}",
            printable(&f.cancel_reason)
        );
    }
    for flag in &f.review_flags {
        println!("  to be checked 待核对: {flag}");
    }
    let mut table = Table::headless().indented("  ");
    for d in &f.documents {
        table.row([
            &d.document_id,
            &d.name,
            document_status(d.status, f.state, Full),
            &d.reason,
        ]);
    }
    table.print();
}

async fn list(profile: &Profile, case: Option<String>, json: bool) -> Result<(), Exit> {
    let identity = profile::identity(profile)?;
    let mut client = connect(profile).await?;
    let all = ecenter_client::paging::all_filings(
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
    let mut table = Table::new(["FILING", "CASE", "KIND", "STATE", "RECEIVED (Beijing time)"]);
    for f in &all {
        table.row([
            f.filing_id.clone(),
            case_or_new(f),
            f.filing_kind.clone(),
            filing_state(f.state, Full).to_string(),
            beijing(f.received_at.as_ref()),
        ]);
    }
    table.print();
    Ok(())
}

async fn receipt(
    profile: &Profile,
    filing: String,
    pdf: Option<&Path>,
    json: bool,
) -> Result<(), Exit> {
    let r = connect(profile)
        .await?
        .get_receipt(pb::GetReceiptRequest {
            filing_id: filing,
            pdf: pdf.is_some(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    if json {
        println!("{}", receipt_json(&r));
    } else {
        print_receipt(&r);
    }
    if let Some(path) = pdf {
        check_sealed_receipt(&r.pdf)?;
        std::fs::write(path, &r.pdf).with_context(|| path.display().to_string())?;
        if !json {
            println!(
                "sealed receipt saved / 已保存加盖法院电子签章的签收单: {} ({} bytes)",
                path.display(),
                r.pdf.len()
            );
        }
    }
    Ok(())
}

/// A sealed receipt is kept only when the hub sent one: an older hub that does not seal receipts
/// answers without it. (Its seal is judged by any PDF validator; checking it here would need the
/// court's intermediate CAs, which a login does not hold.)
fn check_sealed_receipt(pdf: &[u8]) -> Result<(), Exit> {
    if pdf.is_empty() {
        return Err(Exit(
            1,
            anyhow::anyhow!(
                "the hub sent no sealed receipt (a hub before sealed receipts): nothing saved / 服务器未返回签章签收单"
            ),
        ));
    }
    Ok(())
}

async fn watch(profile: &Profile, filing: String, json: bool) -> Result<(), Exit> {
    let mut stream = connect(profile)
        .await?
        .watch_events(pb::WatchEventsRequest {
            scope: Some(pb::watch_events_request::Scope::FilingId(filing)),
            after_seq: 0,
        })
        .await
        .map_err(refused)?
        .into_inner();
    // An event that leaves the state as it was (a seal applied) carries none: the filing is in
    // the state the events before it left.
    let mut state = pb::FilingState::Unspecified as i32;
    while let Some(e) = stream.message().await.map_err(refused)? {
        if e.state_after != pb::FilingState::Unspecified as i32 {
            state = e.state_after;
        }
        if json {
            println!(
                "{}",
                serde_json::json!({"seq": e.seq, "at": beijing_rfc3339(e.recorded_at.as_ref()), "kind": e.kind, "actor": e.actor, "state_after": filing_state_code(state), "state_after_label": filing_state(state, Full)})
            );
        } else {
            println!(
                "{}  {}  {}  {}",
                beijing(e.recorded_at.as_ref()),
                pad(&e.kind, 16),
                pad(filing_state(state, Full), 22),
                e.actor
            );
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
