//! `court check-outcome`: where a draft sentence lies among the sentences of the most similar cases
//! (偏离度预警, SimilarCaseService.CheckOutcome). The hub records every check; the judge sees the
//! cases compared, each with the words of its judgment, and a warning outside the court's band.

use ecenter_client::exit::{Exit, refused};
use ecenter_client::hub::HubConfig;
use ecenter_client::table::Table;
use ecenter_client::tool;
use ecenter_proto::v1 as pb;
use pb::check_outcome_request::Query;
use std::path::PathBuf;

/// The case, the draft sentence and what to compare on.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The proposed sentence as the judgment would write it, e.g. 有期徒刑三年，罚金人民币二万元.
    #[arg(long)]
    proposed: String,
    /// A stored filing whose documents hold the case's facts (F…).
    #[arg(long)]
    filing: Option<String>,
    /// An indexed case (its facts; it is left out of the comparison).
    #[arg(long = "case")]
    case_id: Option<String>,
    /// A UTF-8 text file with the facts.
    #[arg(long)]
    facts: Option<PathBuf>,
    /// The charge compared on (…罪); default: the first the case names.
    #[arg(long, default_value = "")]
    charge: String,
    /// How many similar cases to look among (1–100; default 30).
    #[arg(long, default_value_t = 0)]
    top: u32,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

/// A term on the scale of months as people write it.
fn months_text(months: f64) -> String {
    match months {
        m if m >= 1001.0 => "死刑".into(),
        m if m >= 1000.0 => "死缓".into(),
        m if m >= 999.0 => "无期徒刑".into(),
        0.0 => "免刑/单处罚金".into(),
        m => term_text(m as u32),
    }
}

/// A compared sentence's term as the judgment gave it; 管制 also as counted on the custody scale
/// (管制6个月（折3个月）, 刑法第四十一条), so the column never shows a term no court imposed.
fn term_shown(s: &pb::SentenceOutcome, scale_months: u32) -> String {
    if s.principal == "管制" {
        format!(
            "管制{}（折{}）",
            term_text(s.months),
            months_text(f64::from(scale_months))
        )
    } else {
        months_text(f64::from(scale_months))
    }
}

/// 30 → 2年6个月 (the client links none of the server's crates).
fn term_text(months: u32) -> String {
    match (months / 12, months % 12) {
        (0, m) => format!("{m}个月"),
        (y, 0) => format!("{y}年"),
        (y, m) => format!("{y}年{m}个月"),
    }
}

/// Asks the hub and prints the comparison.
pub(crate) async fn check_outcome(p: &HubConfig, args: CheckArgs) -> Result<(), Exit> {
    let query = match (args.filing, args.case_id, args.facts) {
        (Some(f), None, None) => Query::FilingId(f),
        (None, Some(c), None) => Query::CaseId(c),
        (None, None, Some(path)) => Query::Text(
            std::fs::read_to_string(&path)
                .map_err(|e| Exit(2, anyhow::anyhow!("--facts {}: {e}", path.display())))?,
        ),
        _ => {
            return Err(Exit(
                2,
                anyhow::anyhow!("name the case once: --filing F…, --case ID or --facts FILE"),
            ));
        }
    };
    let r = pb::similar_case_service_client::SimilarCaseServiceClient::new(tool::channel(p).await?)
        .check_outcome(pb::CheckOutcomeRequest {
            query: Some(query),
            proposed: args.proposed.clone(),
            charge: args.charge,
            top_k: args.top,
            filter: None,
        })
        .await
        .map_err(refused)?
        .into_inner();
    if args.json {
        println!("{}", json(&r));
        return Ok(());
    }
    print_table(&args.proposed, &r);
    Ok(())
}

fn json(r: &pb::CheckOutcomeResponse) -> serde_json::Value {
    let compared: Vec<serde_json::Value> = r
        .compared
        .iter()
        .map(|c| {
            let s = c.sentence.clone().unwrap_or_default();
            serde_json::json!({
                "case_id": c.case_id, "case_number": c.case_number, "court": c.court,
                "year": c.year, "score": c.score, "months": c.months, "term_months": s.months,
                "defendant": s.defendant, "principal": s.principal, "source": s.source,
            })
        })
        .collect();
    serde_json::json!({
        "charge": r.charge, "proposed_months": r.proposed_months, "median_months": r.median_months,
        "min_months": r.min_months, "max_months": r.max_months, "percentile": r.percentile,
        "share": r.share,
        "median_fine_yuan": r.median_fine_yuan, "suspended": r.suspended,
        "band": [r.band_low, r.band_high], "warning": r.warning, "warning_text": r.warning_text,
        "log_seq": r.log_seq, "compared": compared,
    })
}

fn print_table(proposed: &str, r: &pb::CheckOutcomeResponse) {
    let mut table = Table::new(["#", "CASE 案号", "COURT", "TERM 刑期", "SENTENCE 判决"]);
    for (i, c) in r.compared.iter().enumerate() {
        let s = c.sentence.clone().unwrap_or_default();
        let shown = if c.case_number.is_empty() {
            &c.case_id
        } else {
            &c.case_number
        };
        table.row([
            (i + 1).to_string(),
            shown.clone(),
            c.court.clone(),
            term_shown(&s, c.months),
            tail(&s.source, 60).clone(),
        ]);
    }
    table.print();
    println!(
        "\n{} {proposed} ({}): percentile {:.1} of {} cases / 第{:.1}百分位; median 中位数 {}, range 范围 {}–{}; suspended 缓刑 {}/{}; band 区间 {}–{}",
        if r.charge.is_empty() {
            "决定执行"
        } else {
            &r.charge
        },
        months_text(f64::from(r.proposed_months)),
        r.share,
        r.compared.len(),
        r.share,
        months_text(r.median_months),
        months_text(f64::from(r.min_months)),
        months_text(f64::from(r.max_months)),
        r.suspended,
        r.compared.len(),
        r.band_low,
        r.band_high
    );
    if r.warning {
        println!("⚠ {}", r.warning_text);
    } else if !r.warning_text.is_empty() {
        // Outside the band among too few cases: a caveat, not a warning.
        println!("ⓘ {} (log entry {})", r.warning_text, r.log_seq);
    } else {
        println!(
            "within the court's band / 在本院设定区间内 (log entry {})",
            r.log_seq
        );
    }
}

/// The last `n` characters of the judgment's words: where the punishment is.
fn tail(source: &str, n: usize) -> String {
    let count = source.chars().count();
    let shown: String = source.chars().skip(count.saturating_sub(n)).collect();
    if count > n {
        format!("…{shown}")
    } else {
        shown
    }
}

/// Which case, on or off, and why.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("switch").required(true).args(["on", "off"]))]
pub(crate) struct PushArgs {
    /// The case (案号).
    #[arg(long)]
    case: String,
    /// Resume the pushes.
    #[arg(long)]
    on: bool,
    /// Stop the pushes.
    #[arg(long)]
    off: bool,
    /// Why (recorded in the log).
    #[arg(long)]
    reason: String,
}

/// Stops or resumes the pushes for a case.
pub(crate) async fn set_push(p: &HubConfig, args: PushArgs) -> Result<(), Exit> {
    let r = pb::similar_case_service_client::SimilarCaseServiceClient::new(tool::channel(p).await?)
        .set_case_push(pb::SetCasePushRequest {
            case_number: args.case.clone(),
            enabled: args.on,
            reason: args.reason,
        })
        .await
        .map_err(refused)?
        .into_inner();
    let now = if args.on {
        "resumed 已恢复"
    } else {
        "stopped 已停止"
    };
    if r.log_seq == 0 {
        println!("{}: pushes already {now}; nothing recorded", r.case_number);
    } else {
        println!("{}: pushes {now} (log entry {})", r.case_number, r.log_seq);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outsider, round 18: 判处管制六个月 was shown as a term of 3个月, its place on the scale.
    #[test]
    fn a_term_is_shown_as_imposed() {
        let sentence = |principal: &str, months| pb::SentenceOutcome {
            principal: principal.to_string(),
            months,
            ..Default::default()
        };
        assert_eq!(term_shown(&sentence("管制", 6), 3), "管制6个月（折3个月）");
        assert_eq!(term_shown(&sentence("有期徒刑", 30), 30), "2年6个月");
        assert_eq!(term_shown(&sentence("无期徒刑", 0), 999), "无期徒刑");
    }
}
