//! The similar cases the hub pushed per case (类案推送, ListPushedCases), as `court pushed` and
//! `clerk pushed` show them: a table of cases for people — or, for one case, each pushed judgment
//! with why — and JSON for scripts.

use ecenter_client::beijing;
use ecenter_client::hub::HubChannel;
use ecenter_client::table::Table;
use ecenter_proto::v1 as pb;
use pb::similar_case_service_client::SimilarCaseServiceClient;

/// Which cases to show and how.
#[derive(Debug, Clone, clap::Args)]
pub struct PushedArgs {
    /// One case (案号, any spelling that parses): its latest push, each judgment with why.
    #[arg(long)]
    pub case: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

/// One case, or every case with a push or an opt-out (all pages).
pub async fn fetch(
    channel: HubChannel,
    case: Option<&str>,
) -> Result<Vec<pb::CasePushes>, tonic::Status> {
    let mut client = SimilarCaseServiceClient::new(channel);
    let mut cases = Vec::new();
    let mut after = String::new();
    loop {
        let page = client
            .list_pushed_cases(pb::ListPushedCasesRequest {
                case_number: case.unwrap_or_default().to_string(),
                after: after.clone(),
                limit: 500,
            })
            .await?
            .into_inner();
        cases.extend(page.cases);
        if page.next_after.is_empty() {
            return Ok(cases);
        }
        after = page.next_after;
    }
}

/// Prints `cases` as `args` asks.
pub fn show(cases: &[pb::CasePushes], args: &PushedArgs) {
    if args.json {
        println!(
            "{}",
            serde_json::Value::Array(cases.iter().map(json).collect())
        );
    } else if args.case.is_some() {
        cases.iter().for_each(print_case);
    } else {
        print_table(cases);
    }
}

fn json(c: &pb::CasePushes) -> serde_json::Value {
    let latest = c.latest.as_ref().map(|l| {
        let hits: Vec<serde_json::Value> = l
            .hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "case_id": h.case_id, "case_number": h.case_number, "court": h.court,
                    "year": h.year, "judgment_date": h.judgment_date, "score": h.score, "reasons": h.reasons,
                    "shared_charges": h.shared_charges, "shared_statutes": h.shared_statutes,
                    "shared_elements": h.shared_elements, "shared_terms": h.shared_terms,
                    "case_amount_yuan": h.case_amount_yuan,
                    "judgment_amount_yuan": h.judgment_amount_yuan,
                    "withdrawn": h.withdrawn,
                })
            })
            .collect();
        serde_json::json!({
            "log_seq": l.log_seq, "pushed_at": ecenter_client::beijing_rfc3339(l.pushed_at.as_ref()),
            "filing_id": l.filing_id, "department": l.department, "docketed_seq": l.docketed_seq,
            "filings": l.filings, "query_charges": l.query_charges,
            "query_statutes": l.query_statutes, "index_seq": l.index_seq,
            "after_docketing_ms": l.after_docketing_ms, "hits": hits,
        })
    });
    serde_json::json!({
        "case_number": c.case_number, "pushes": c.pushes, "latest": latest,
        "opted_out": c.opted_out, "opted_out_by": c.opted_out_by,
        "opted_out_reason": c.opted_out_reason,
    })
}

fn print_table(cases: &[pb::CasePushes]) {
    let mut table = Table::new([
        "CASE 案号",
        "PUSHES",
        "LATEST 最近推送 (Beijing time)",
        "FILING",
        "PUSH 推送",
        "MOST SIMILAR 最相似",
    ]);
    for c in cases {
        let (at, filing, top) = c.latest.as_ref().map_or_else(
            || ("—".to_string(), String::new(), String::new()),
            |l| {
                let top: Vec<&str> = l.hits.iter().take(3).map(shown).collect();
                (
                    beijing(l.pushed_at.as_ref()),
                    l.filing_id.clone(),
                    top.join("，"),
                )
            },
        );
        let push = if c.opted_out {
            "已停止"
        } else {
            "推送中"
        };
        table.row([
            c.case_number.as_str(),
            &c.pushes.to_string(),
            &at,
            &filing,
            push,
            &top,
        ]);
    }
    table.print();
    if cases.is_empty() {
        println!("(no case has a push yet: pushes begin when a filing of a case is docketed)");
    }
}

fn shown(h: &pb::PushedCase) -> &str {
    if h.case_number.is_empty() {
        &h.case_id
    } else {
        &h.case_number
    }
}

fn print_case(c: &pb::CasePushes) {
    println!("案号 {}: {} push(es)", c.case_number, c.pushes);
    if c.opted_out {
        println!(
            "推送已停止 / pushes stopped by {}: {}",
            c.opted_out_by, c.opted_out_reason
        );
    }
    let Some(l) = &c.latest else { return };
    println!(
        "latest 最近推送: {} (log entry {}), after filing {} ({}) was docketed (entry {}, {} ms before)",
        beijing(l.pushed_at.as_ref()),
        l.log_seq,
        l.filing_id,
        l.department,
        l.docketed_seq,
        l.after_docketing_ms
    );
    println!(
        "read from 依据: {}; charges 罪名 {}; statutes 法条 {}",
        l.filings.join(", "),
        or_none(&l.query_charges),
        or_none(&l.query_statutes)
    );
    for (i, h) in l.hits.iter().enumerate() {
        let year = if !h.judgment_date.is_empty() {
            format!(" {}", h.judgment_date)
        } else if h.year == 0 {
            String::new()
        } else {
            format!(" {}年", h.year)
        };
        let withdrawn = if h.withdrawn {
            "  已撤回（已从类案库撤下，勿作参考）"
        } else {
            ""
        };
        println!(
            "{:>2}. {} {}{year}  score {:.3}{withdrawn}",
            i + 1,
            shown(h),
            h.court,
            h.score
        );
        for reason in &h.reasons {
            println!("      {reason}");
        }
    }
}

fn or_none(v: &[String]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.join("、")
    }
}
