//! `efile policy`: what the court takes (GetPolicy) — the kinds of filing by name and code, which
//! of them open a new case, the document types and limits, and fees — so a lawyer picks `--kind`
//! from the court's own list.

use super::{Profile, connect};
use ecenter_client::exit::{Exit, refused};
use ecenter_client::table::Table;
use ecenter_proto::v1 as pb;

/// Prints the court's policy: a table for people, or JSON for scripts.
pub(crate) async fn policy(profile: &Profile, json: bool) -> Result<(), Exit> {
    let p = connect(profile)
        .await?
        .get_policy(pb::GetPolicyRequest {})
        .await
        .map_err(refused)?
        .into_inner();
    if json {
        println!("{}", policy_json(&p));
        return Ok(());
    }
    if !p.court.is_empty() {
        println!("{}", p.court);
    }
    let mut table = Table::new(["KIND 文书类型", "CODE", "NEW CASE 可立案"]);
    for k in &p.filing_kinds {
        table.row([
            k.name.as_str(),
            &k.code,
            if k.starts_case { "yes 是" } else { "—" },
        ]);
    }
    table.print();
    println!(
        "documents 文件: {} · at most {} per filing, {} MiB each / 每次至多 {} 份，每份不超过 {} MiB",
        p.media_types.join(", "),
        p.max_documents,
        p.max_document_bytes / (1024 * 1024),
        p.max_documents,
        p.max_document_bytes / (1024 * 1024)
    );
    for fee in &p.fees {
        let amount = if fee.amount_fen == 0 {
            "computed from the claim 按标的计算".to_string()
        } else {
            format!("¥{}.{:02}", fee.amount_fen / 100, fee.amount_fen % 100)
        };
        println!(
            "fee 费用 {}: {} — {amount}",
            fee.filing_kind, fee.description
        );
    }
    Ok(())
}

/// The policy for scripts: kinds with their stable codes, limits in bytes, fees in fen.
fn policy_json(p: &pb::CourtPolicy) -> serde_json::Value {
    serde_json::json!({
        "court": p.court,
        "filing_kinds": p.filing_kinds.iter().map(|k| serde_json::json!({
            "code": k.code, "name": k.name, "starts_case": k.starts_case,
        })).collect::<Vec<_>>(),
        "media_types": p.media_types,
        "max_document_bytes": p.max_document_bytes,
        "max_documents": p.max_documents,
        "fees": p.fees.iter().map(|f| serde_json::json!({
            "filing_kind": f.filing_kind, "description": f.description, "amount_fen": f.amount_fen,
        })).collect::<Vec<_>>(),
    })
}
