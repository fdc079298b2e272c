//! `court decide`: one decision for every document of a filing under review — accept, reject
//! (不予接收) or return for correction (退回补正) — each refusal with the reason the lawyer will
//! read. `--all` decides the documents not named one by one.

use super::print_filing;
use ecenter_client::exit::{Exit, USAGE, refused};
use ecenter_client::hub::HubConfig;
use ecenter_client::tool::filing_client;
use ecenter_proto::v1 as pb;

/// What the court decides on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Verdict {
    /// 接收.
    Accept,
    /// 不予接收: needs a reason.
    Reject,
    /// 退回补正: needs a reason; the lawyer may file a correction.
    Return,
}

impl Verdict {
    fn parse(text: &str) -> Option<Verdict> {
        match text.trim() {
            "accept" | "接收" => Some(Verdict::Accept),
            "reject" | "不予接收" => Some(Verdict::Reject),
            "return" | "退回补正" | "补正" => Some(Verdict::Return),
            _ => None,
        }
    }

    fn proto(self) -> pb::ReviewDecision {
        match self {
            Verdict::Accept => pb::ReviewDecision::Accept,
            Verdict::Reject => pb::ReviewDecision::Reject,
            Verdict::Return => pb::ReviewDecision::ReturnForCorrection,
        }
    }
}

/// `court decide F… [--all VERDICT --reason TEXT] [D1=accept] [D2=return:理由] …`
#[derive(Debug, clap::Args)]
pub(crate) struct DecideArgs {
    /// The filing id (F…), under review (`court start` first).
    #[arg(value_parser = ecenter_client::filing_id_arg)]
    filing: String,
    /// Decisions one by one: DOCUMENT=accept, DOCUMENT=reject:REASON or DOCUMENT=return:REASON
    /// (e.g. D2=return:缺少签名页).
    decisions: Vec<String>,
    /// The decision for every document not named one by one.
    #[arg(long, value_enum)]
    all: Option<Verdict>,
    /// The reason for the documents `--all` rejects or returns.
    #[arg(long)]
    reason: Option<String>,
    /// A comment on the whole filing, shown to the lawyer.
    #[arg(long, default_value = "")]
    comment: String,
}

/// One document's decision from `D2=return:理由`.
fn one(text: &str) -> Result<(String, Verdict, String), String> {
    let (document, rest) = text.split_once('=').ok_or_else(|| {
        format!(
            "「{text}」: write DOCUMENT=accept, DOCUMENT=reject:REASON or DOCUMENT=return:REASON"
        )
    })?;
    let (verdict, reason) = rest.split_once([':', '：']).unwrap_or((rest, ""));
    let verdict = Verdict::parse(verdict)
        .ok_or_else(|| format!("「{text}」: the decision is accept, reject or return"))?;
    Ok((
        document.trim().to_string(),
        verdict,
        reason.trim().to_string(),
    ))
}

/// Every document's decision: those named, then `--all` for the rest; refusals need reasons.
fn decisions(
    args: &DecideArgs,
    documents: &[pb::Document],
) -> Result<Vec<pb::DocumentDecision>, String> {
    let mut named: Vec<(String, Verdict, String)> = Vec::new();
    for text in &args.decisions {
        let (document, verdict, reason) = one(text)?;
        if named.iter().any(|(id, ..)| *id == document) {
            return Err(format!(
                "{document} is decided twice: give one decision per document"
            ));
        }
        if !documents.iter().any(|d| d.document_id == document) {
            let ids: Vec<&str> = documents.iter().map(|d| d.document_id.as_str()).collect();
            return Err(format!(
                "{document} is not a document of {}: it has {}",
                args.filing,
                ids.join(", ")
            ));
        }
        named.push((document, verdict, reason));
    }
    if args.reason.is_some() && !matches!(args.all, Some(Verdict::Reject | Verdict::Return)) {
        return Err(
            "--reason goes with --all reject or --all return; give a named document's reason as D1=return:理由"
                .into(),
        );
    }
    let mut out = Vec::new();
    for d in documents {
        let (verdict, reason) = match named.iter().find(|(id, ..)| *id == d.document_id) {
            Some((_, v, r)) => (*v, r.clone()),
            None => match args.all {
                Some(v) => (v, args.reason.clone().unwrap_or_default()),
                None => {
                    return Err(format!(
                        "{} has no decision: name it (e.g. {}=accept) or give --all",
                        d.document_id, d.document_id
                    ));
                }
            },
        };
        if verdict != Verdict::Accept && reason.trim().is_empty() {
            return Err(format!(
                "{}: a refusal needs the reason the lawyer will read ({}=return:理由, or --reason with --all)",
                d.document_id, d.document_id
            ));
        }
        out.push(pb::DocumentDecision {
            document_id: d.document_id.clone(),
            decision: verdict.proto() as i32,
            reason,
        });
    }
    Ok(out)
}

/// Reads the filing, builds one decision per document, and records them (ReviewFiling).
pub(crate) async fn decide(p: &HubConfig, args: DecideArgs) -> Result<(), Exit> {
    let mut c = filing_client(p).await?;
    let filing = c
        .get_filing(pb::GetFilingRequest {
            filing_id: args.filing.clone(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    let decisions =
        decisions(&args, &filing.documents).map_err(|e| Exit(USAGE, anyhow::anyhow!(e)))?;
    let f = c
        .review_filing(pb::ReviewFilingRequest {
            filing_id: args.filing,
            decisions,
            comment: args.comment,
        })
        .await
        .map_err(refused)?
        .into_inner();
    print_filing(&f);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str) -> pb::Document {
        pb::Document {
            document_id: id.into(),
            ..Default::default()
        }
    }

    fn args(decisions: &[&str], all: Option<Verdict>, reason: Option<&str>) -> DecideArgs {
        DecideArgs {
            filing: "F000000000001".into(),
            decisions: decisions.iter().map(ToString::to_string).collect(),
            all,
            reason: reason.map(str::to_string),
            comment: String::new(),
        }
    }

    #[test]
    fn named_decisions_win_and_all_covers_the_rest() {
        let docs = [doc("D1"), doc("D2"), doc("D3")];
        let out = decisions(
            &args(&["D2=return：缺少签名页"], Some(Verdict::Accept), None),
            &docs,
        )
        .unwrap();
        assert_eq!(out[0].decision, pb::ReviewDecision::Accept as i32);
        assert_eq!(
            out[1].decision,
            pb::ReviewDecision::ReturnForCorrection as i32
        );
        assert_eq!(out[1].reason, "缺少签名页");
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn a_refusal_without_a_reason_or_a_document_left_undecided_is_named() {
        let docs = [doc("D1"), doc("D2")];
        let e = decisions(&args(&["D1=reject"], Some(Verdict::Accept), None), &docs).unwrap_err();
        assert!(e.contains("D1") && e.contains("reason"), "{e}");
        let e = decisions(&args(&["D1=accept"], None, None), &docs).unwrap_err();
        assert!(e.contains("D2 has no decision"), "{e}");
        let e = decisions(&args(&["D9=accept"], Some(Verdict::Accept), None), &docs).unwrap_err();
        assert!(e.contains("D1, D2"), "{e}");
        let e = decisions(&args(&["D1=maybe"], None, None), &docs).unwrap_err();
        assert!(e.contains("accept, reject or return"), "{e}");
        let e = decisions(&args(&[], Some(Verdict::Return), None), &docs).unwrap_err();
        assert!(e.contains("--reason"), "{e}");
        let twice = args(
            &["D1=accept", "D1=reject:重复"],
            Some(Verdict::Accept),
            None,
        );
        assert!(
            decisions(&twice, &docs)
                .unwrap_err()
                .contains("decided twice")
        );
        let unused = args(&["D1=accept"], Some(Verdict::Accept), Some("没有用处"));
        assert!(
            decisions(&unused, &docs)
                .unwrap_err()
                .contains("--reason goes with")
        );
    }
}
