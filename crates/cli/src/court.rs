//! `court`: the review tool of a court without a connected case-management system (法院审查工具).
//! It does over the same gRPC API what a court system does: list a department's queue, take a
//! filing into review, decide on each document (accept, reject, return for correction, with a
//! reason), docket it with the case number, seal a filed PDF and order the sealed copy served. It
//! speaks mutual TLS with the court's own certificate, saved once by `court login`.
//!
//! The order is the filing's lifecycle: `queue` → `show` → `start` → `decide` → `docket`, then
//! `seal` → `serve`. `lawyer` keeps the court's directory of lawyers.

use anyhow::Result;
use clap::{Parser, Subcommand};
use ecenter_client::exit::{Exit, refused};
use ecenter_client::hub::HubConfig;
use ecenter_client::login::{self, LoginArgs};
use ecenter_client::table::{Table, printable};
use ecenter_client::tool::{self, filing_client};
use ecenter_client::words::Wording::Terse;
use ecenter_client::words::{
    case_or_new, document_status, document_status_code, filing_state, filing_state_code,
};
use ecenter_client::{beijing, beijing_rfc3339, profile};
use ecenter_proto::v1 as pb;
use std::path::PathBuf;

mod decide;
mod lawyer;
mod outcome;
mod seal;
mod seals;
mod serve;
use decide::{DecideArgs, decide};

/// Review filings as a court (法院立案审查工具): queue, review, docket, seal.
#[derive(Debug, Parser)]
#[command(
    name = "court",
    version,
    after_help = "Exit codes: 0 done, 1 refused by the hub, 2 usage, configuration or a local file, 3 hub unreachable (retry), 4 certificate problem, 5 output could not be written.\n\
                  Order: court queue DEPT → court show F… → court start F… → court decide F… → court docket F… → court seal F… D1 → court serve F…/S1"
)]
struct Args {
    /// The configuration file (default: $XDG_CONFIG_HOME/ecenter/court.toml).
    #[arg(long, env = "COURT_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Saves the hub's address and the court's certificate, after checking the hub accepts them.
    Login(LoginArgs),
    /// The filings waiting in a department's queue (received or under review), oldest first.
    Queue {
        /// The department, e.g. 立案庭 or 民事审判庭 (a wrong one is answered with the list).
        department: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// One filing: who filed what, in which case, each document with its status.
    Show {
        /// The filing id (F…).
        #[arg(value_parser = ecenter_client::filing_id_arg)]
        filing: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Takes a received filing into review (审查中).
    Start {
        /// The filing id (F…).
        #[arg(value_parser = ecenter_client::filing_id_arg)]
        filing: String,
    },
    /// Decides on every document of a filing under review: accept, reject or return for
    /// correction, each refusal with its reason.
    Decide(DecideArgs),
    /// Dockets (立案) an accepted filing; a new case needs its case number.
    Docket {
        /// The filing id (F…).
        #[arg(value_parser = ecenter_client::filing_id_arg)]
        filing: String,
        /// The case number the court gives, e.g. （2026）鄂06民初777号; leave out for a filing
        /// in a case that already has one.
        #[arg(long)]
        case: Option<String>,
    },
    /// Seals a filed PDF with one of the court's seals (SealPdf) and saves the sealed copy.
    Seal(seal::SealArgs),
    /// The court's seals (印章管理): make one (CreateSeal), list them, revoke one.
    #[command(subcommand)]
    Seals(seals::SealsCommand),
    /// Orders sealed copies served electronically (电子送达) on recipients, along a plan of
    /// channels with deadlines (ServeOrder); `clerk service O…` follows it.
    Serve(serve::ServeArgs),
    /// The court's directory of lawyers (律师名录): who may sign in to the lawyers' portal.
    #[command(subcommand)]
    Lawyer(lawyer::LawyerCommand),
    /// Where a draft sentence lies among the similar cases' sentences (偏离度预警, CheckOutcome):
    /// the cases compared, the median, range and percentile, and a warning outside the band.
    CheckOutcome(outcome::CheckArgs),
    /// The similar cases the hub pushed per case as its filings were docketed (类案推送,
    /// ListPushedCases); with --case, each pushed judgment and why.
    Pushed(crate::pushes::PushedArgs),
    /// Stops (--off) or resumes (--on) the push of similar cases for a case, with the reason
    /// the log keeps (SetCasePush).
    Push(outcome::PushArgs),
}

/// Runs the command line and exits with its code.
pub fn main() {
    let args = ecenter_client::exit::parse_args::<Args>("court");
    let explaining = match args.command {
        Command::Login(_) => tool::Explain::ByItself,
        _ => tool::Explain::WithSavedProfile,
    };
    tool::main("court", args.config, explaining, |path| {
        dispatch(args.command, path)
    });
}

/// Runs one command with the profile at `path`.
async fn dispatch(command: Command, path: PathBuf) -> Result<(), Exit> {
    let saved = || profile::load(&path, "court");
    match command {
        Command::Login(login_args) => login(login_args, &path).await,
        Command::Queue { department, json } => queue(&saved()?, department, json).await,
        Command::Show { filing, json } => show(&saved()?, filing, json).await,
        Command::Start { filing } => {
            let f = filing_client(&saved()?)
                .await?
                .start_review(pb::StartReviewRequest { filing_id: filing })
                .await
                .map_err(refused)?
                .into_inner();
            print_filing(&f);
            Ok(())
        }
        Command::Decide(decide_args) => decide(&saved()?, decide_args).await,
        Command::Docket { filing, case } => docket(&saved()?, filing, case).await,
        Command::Seal(seal_args) => seal::seal(&saved()?, seal_args).await,
        Command::Seals(command) => seals::seals(&saved()?, command).await,
        Command::Serve(serve_args) => serve::serve(&saved()?, serve_args).await,
        Command::Lawyer(command) => lawyer::lawyer(&saved()?, command).await,
        Command::CheckOutcome(args) => outcome::check_outcome(&saved()?, args).await,
        Command::Pushed(args) => {
            let channel = tool::channel(&saved()?).await?;
            let cases = crate::pushes::fetch(channel, args.case.as_deref())
                .await
                .map_err(refused)?;
            crate::pushes::show(&cases, &args);
            Ok(())
        }
        Command::Push(args) => outcome::set_push(&saved()?, args).await,
    }
}

/// Saves the profile once the hub has accepted the court's certificate.
async fn login(args: LoginArgs, path: &std::path::Path) -> Result<(), Exit> {
    let (profile, identity) = args.profile(COURT)?;
    // Reading the policy needs an identity the hub accepts: nothing is saved before that.
    let accepted = async {
        filing_client(&profile)
            .await?
            .get_policy(pb::GetPolicyRequest {})
            .await
            .map(drop)
            .map_err(refused)
    };
    login::save_once_accepted(&profile, &identity, path, accepted).await
}

/// The role the court tool acts for.
const COURT: login::Role = login::Role {
    kind: "court",
    whose: "court system",
    zh: "法院",
};

async fn queue(p: &HubConfig, department: String, json: bool) -> Result<(), Exit> {
    let mut c = filing_client(p).await?;
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_department_queue(pb::ListDepartmentQueueRequest {
                department: department.clone(),
                page_size: 100,
                page_token: token,
            })
            .await
            .map_err(refused)?
            .into_inner();
        all.extend(page.filings);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    if json {
        let rows: Vec<_> = all.iter().map(filing_json).collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    if all.is_empty() {
        println!("{department}: nothing waiting / 暂无待审查材料");
        return Ok(());
    }
    let mut table = Table::new([
        "FILING",
        "CASE 案号",
        "KIND 类型",
        "STATE 状态",
        "DOCS",
        "RECEIVED (Beijing time)",
    ]);
    for f in &all {
        table.row([
            f.filing_id.clone(),
            case_or_new(f),
            f.filing_kind.clone(),
            filing_state(f.state, Terse).to_string(),
            f.documents.len().to_string(),
            beijing(f.received_at.as_ref()),
        ]);
    }
    table.print();
    Ok(())
}

async fn show(p: &HubConfig, filing: String, json: bool) -> Result<(), Exit> {
    let f = tool::get_filing(p, filing).await?;
    if json {
        println!("{}", filing_json(&f));
    } else {
        print_filing(&f);
    }
    Ok(())
}

async fn docket(p: &HubConfig, filing: String, case: Option<String>) -> Result<(), Exit> {
    let f = filing_client(p)
        .await?
        .docket_filing(pb::DocketFilingRequest {
            filing_id: filing,
            case_number: case.unwrap_or_default(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    print_filing(&f);
    Ok(())
}

/// A filing for people: header lines, flags to check, then one line per document.
pub(crate) fn print_filing(f: &pb::Filing) {
    println!(
        "{}  {}  {}",
        f.filing_id,
        filing_state(f.state, Terse),
        case_or_new(f)
    );
    println!(
        "  {} · {} · {} · received {} (Beijing time)",
        f.filing_kind,
        f.department,
        f.submitter,
        beijing(f.received_at.as_ref())
    );
    if !f.submitter_listed.is_empty() {
        println!("  by 提交人 {}", f.submitter_listed);
    }
    if !f.title.is_empty() {
        println!("  title 标题 {}", printable(&f.title));
    }
    if !f.cancel_reason.is_empty() {
        println!(
            "  withdrawn because 撤回理由: {}",
            printable(&f.cancel_reason)
        );
    }
    if !f.corrects_filing_id.is_empty() {
        println!("  corrects 补正 {}", f.corrects_filing_id);
    }
    for flag in &f.review_flags {
        println!("  to be checked 待核对: {flag}");
    }
    let mut table = Table::headless().indented("  ");
    for d in &f.documents {
        table.row([
            &d.document_id,
            &d.name,
            &d.media_type,
            document_status(d.status, f.state, Terse),
            &d.reason,
        ]);
    }
    table.print();
    print_seals(f);
}

/// The seals applied to the filing's documents (电子签章): the signature (S1, downloadable), the
/// document it seals, the seal, who applied it and when (Beijing time), and whether a timestamp
/// vouches for that time.
fn print_seals(f: &pb::Filing) {
    if f.seals.is_empty() {
        return;
    }
    println!("  seals 电子签章:");
    let mut table = Table::headless().indented("    ");
    for s in &f.seals {
        let signature = s.signature.as_ref().map_or("", |d| d.document_id.as_str());
        table.row([
            signature.to_string(),
            format!("seals {}", s.of_document_id),
            s.seal_id.clone(),
            s.applied_by.clone(),
            format!("{} (Beijing time)", beijing(s.applied_at.as_ref())),
            if s.timestamped {
                "timestamped 有时间戳"
            } else {
                "no timestamp 无时间戳"
            }
            .to_string(),
        ]);
    }
    table.print();
}

/// A filing for scripts as the court's and the clerks' lists begin it: who filed what in which
/// case, where it is and its state as a stable code, received at (RFC 3339 with the +08:00 offset).
pub(crate) fn filing_head_json(f: &pb::Filing) -> serde_json::Value {
    serde_json::json!({
        "filing_id": f.filing_id,
        "case_number": f.case_number.as_ref().map(|c| c.normalized.clone()),
        "filing_kind": f.filing_kind,
        "submitter": f.submitter,
        "submitter_listed": f.submitter_listed,
        "title": f.title,
        "department": f.department,
        "state": filing_state_code(f.state),
        "received_at": beijing_rfc3339(f.received_at.as_ref()),
    })
}

/// A filing for scripts: stable codes for states, RFC 3339 times with the +08:00 offset.
fn filing_json(f: &pb::Filing) -> serde_json::Value {
    let mut json = filing_head_json(f);
    json["corrects_filing_id"] = serde_json::json!(f.corrects_filing_id);
    json["review_flags"] = serde_json::json!(f.review_flags);
    json["documents"] = f
        .documents
        .iter()
        .map(|d| document_json(d, f.state))
        .collect();
    json["withdrawal_reason"] = serde_json::json!(f.cancel_reason);
    json["seals"] = f
        .seals
        .iter()
        .map(|s| {
            serde_json::json!({
                "signature_document_id": s.signature.as_ref().map(|d| d.document_id.clone()),
                "of_document_id": s.of_document_id, "seal_id": s.seal_id,
                "applied_by": s.applied_by, "applied_at": beijing_rfc3339(s.applied_at.as_ref()),
                "timestamped": s.timestamped,
            })
        })
        .collect();
    json
}

/// A document of a filing in state `filing` for scripts: its review status as a stable code
/// beside its label.
fn document_json(d: &pb::Document, filing: i32) -> serde_json::Value {
    serde_json::json!({
        "document_id": d.document_id, "name": d.name, "media_type": d.media_type,
        "size": d.size, "sha256": d.sha256,
        "status": document_status_code(d.status, filing),
        "status_label": document_status(d.status, filing, Terse),
        "reason": d.reason,
    })
}

/// clap's own checks (unique argument and group names, valid `requires`), which otherwise panic
/// only when the command is run.
#[test]
fn the_command_line_is_consistent() {
    <Args as clap::CommandFactory>::command().debug_assert();
}
