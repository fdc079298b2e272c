//! `clerk filings`: the filings on record, filtered by case, submitter, department or state —
//! what a clerk checks before exporting a case or answering a lawyer's call. Oldest first; a
//! table in Chinese and English for people, `--json` for scripts.

use crate::pad;
use anyhow::Result;
use ecenter_client::profile::HubArgs;
use ecenter_client::{beijing, beijing_rfc3339};
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
    println!(
        "{}{}{}{}{}RECEIVED 收到 (Asia/Shanghai)",
        pad("FILING 编号", 15),
        pad("CASE 案号", 26),
        pad("KIND 类型", 14),
        pad("STATE 状态", 22),
        pad("DEPARTMENT 部门", 18)
    );
    for f in &all {
        println!(
            "{}{}{}{}{}{}",
            pad(&f.filing_id, 15),
            pad(&case_text(f), 26),
            pad(&f.filing_kind, 14),
            pad(crate::court::state_text(f.state), 22),
            pad(&f.department, 18),
            beijing(f.received_at.as_ref())
        );
    }
    println!("{} filing(s) / 共 {} 件", all.len(), all.len());
    Ok(true)
}

fn case_text(f: &pb::Filing) -> String {
    f.case_number
        .as_ref()
        .map_or_else(|| "新案 new case".to_string(), |c| c.normalized.clone())
}

fn row_json(f: &pb::Filing) -> serde_json::Value {
    let state = pb::FilingState::try_from(f.state).unwrap_or_default();
    serde_json::json!({
        "filing_id": f.filing_id,
        "case_number": f.case_number.as_ref().map(|c| c.normalized.clone()),
        "filing_kind": f.filing_kind,
        "submitter": f.submitter,
        "department": f.department,
        "state": state.as_str_name().strip_prefix("FILING_STATE_").unwrap_or_default(),
        "received_at": beijing_rfc3339(f.received_at.as_ref()),
        "documents": f.documents.len(),
    })
}
