//! `clerk filings`: the filings on record, filtered by case, submitter, department or state —
//! what a clerk checks before exporting a case or answering a lawyer's call. Oldest first; a
//! table in Chinese and English for people, `--json` for scripts.

use anyhow::Result;
use ecenter_client::beijing;
use ecenter_client::profile::HubArgs;
use ecenter_client::table::Table;
use ecenter_client::words::Wording::Terse;
use ecenter_client::words::{case_or_new, filing_state};
use ecenter_proto::v1 as pb;

/// A filing's state as clerks filter it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(super) enum StateName {
    /// 已收到.
    Received,
    /// 审查中.
    UnderReview,
    /// 已接收.
    Accepted,
    /// 部分接收.
    PartiallyAccepted,
    /// 退回补正.
    Returned,
    /// 不予接收.
    Rejected,
    /// 已立案.
    Docketed,
    /// 已撤回.
    Cancelled,
}

impl StateName {
    fn proto(self) -> pb::FilingState {
        match self {
            StateName::Received => pb::FilingState::Received,
            StateName::UnderReview => pb::FilingState::UnderReview,
            StateName::Accepted => pb::FilingState::Accepted,
            StateName::PartiallyAccepted => pb::FilingState::PartiallyAccepted,
            StateName::Returned => pb::FilingState::ReturnedForCorrection,
            StateName::Rejected => pb::FilingState::Rejected,
            StateName::Docketed => pb::FilingState::Docketed,
            StateName::Cancelled => pb::FilingState::Cancelled,
        }
    }
}

/// Which filings to list.
#[derive(Debug, clap::Args)]
pub(super) struct FilingsArgs {
    /// Only this case (any spelling that parses).
    #[arg(long)]
    case: Option<String>,
    /// Only this submitter, e.g. urn:ecenter:lawyer:14201202010000001.
    #[arg(long)]
    submitter: Option<String>,
    /// Only this department's, e.g. 立案庭.
    #[arg(long)]
    department: Option<String>,
    /// Only filings in this state.
    #[arg(long, value_enum)]
    state: Option<StateName>,
    #[command(flatten)]
    hub: HubArgs,
    /// Print JSON for scripts instead of a table.
    #[arg(long)]
    json: bool,
}

/// Lists the filings the filter selects, every page.
pub(super) async fn list_filings(a: FilingsArgs) -> Result<bool> {
    let hub = a.hub.resolve("clerk")?;
    let channel = ecenter_client::hub::connect(&hub).await?;
    let mut client = pb::filing_service_client::FilingServiceClient::new(channel)
        .max_decoding_message_size(64 * 1024 * 1024);
    let request = pb::ListFilingsRequest {
        case_number: a.case.unwrap_or_default(),
        state: a.state.map_or(0, |s| s.proto() as i32),
        submitter: a.submitter.unwrap_or_default(),
        department: a.department.unwrap_or_default(),
        ..Default::default()
    };
    let all = ecenter_client::paging::all_filings(&mut client, request)
        .await
        .map_err(|s| anyhow::Error::new(ecenter_client::exit::Refused(s)))?;
    if a.json {
        let rows: Vec<serde_json::Value> = all.iter().map(row_json).collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(true);
    }
    if all.is_empty() {
        println!("no filings match / 无符合条件的提交记录");
        return Ok(true);
    }
    let mut table = Table::new([
        "FILING 编号",
        "CASE 案号",
        "KIND 类型",
        "STATE 状态",
        "DEPARTMENT 部门",
        "RECEIVED 收到 (Beijing time)",
    ]);
    for f in &all {
        table.row([
            f.filing_id.clone(),
            case_or_new(f),
            f.filing_kind.clone(),
            filing_state(f.state, Terse).to_string(),
            f.department.clone(),
            beijing(f.received_at.as_ref()),
        ]);
    }
    table.print();
    println!("{} filing(s) / 共 {} 件", all.len(), all.len());
    Ok(true)
}

/// A filing for scripts: the court's list's head, and how many documents it has.
fn row_json(f: &pb::Filing) -> serde_json::Value {
    let mut row = crate::court::filing_head_json(f);
    row["documents"] = serde_json::json!(f.documents.len());
    row
}
