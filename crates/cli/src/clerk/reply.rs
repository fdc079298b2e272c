//! `clerk reply`: a clerk's judgments of handsets' replies. The hub never reads a reply's words to
//! decide whether it counts, so a wrong number's "你们发错号码了" counts until a clerk disallows it,
//! and a reply no single open service could claim waits until a clerk attributes or dismisses it.
//! `clerk service ORDER` lists each recipient's replies with their INDEX; `clerk dead-letters`
//! lists the unclaimed ones with their SEQ.

use super::review::RecipientItem;
use super::{beijing, beijing_rfc3339, channel_text, refused, service_client, state_text};
use crate::printable;
use anyhow::Result;
use ecenter_client::table::Table;
use ecenter_proto::v1 as pb;

// `clerk reply`: what to do with one reply.
#[derive(Debug, clap::Args)]
pub(super) struct ReplyArgs {
    #[command(subcommand)]
    action: ReplyAction,
}

// The hub, and how to answer: the same for every `clerk reply` action.
#[derive(Debug, clap::Args)]
struct Common {
    #[command(flatten)]
    hub: ecenter_client::profile::HubArgs,
    /// Print JSON for scripts instead of words.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum ReplyAction {
    /// Disallows a counted reply found not to be the recipient's (a wrong number, a stranger's
    /// phone): it stays on record, marked, and no longer counts. If service then no longer stands,
    /// the channel it came by is closed and the plan moves on; a proof already issued gets a new
    /// version that says so. Once per reply.
    Disallow {
        #[command(flatten)]
        reply: RecipientItem,
        /// Why, e.g. 回复称发错号码，经电话核实非受送达人.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        common: Common,
    },
    /// Attributes a reply no single open service could claim (SEQ, as `clerk dead-letters` lists
    /// it) to one service: it is recorded there as the recipient's reply, at the time it arrived.
    Attribute {
        /// The reply's SEQ.
        seq: u64,
        /// The order (O…).
        order_id: String,
        /// The recipient (R1, ...).
        recipient_id: String,
        /// Why, e.g. 经电话核实为赵六对（2026）鄂06民初123号的回复.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        common: Common,
    },
    /// Dismisses a reply no single open service could claim: it leaves the queue, stays in the log.
    Dismiss {
        /// The reply's SEQ.
        seq: u64,
        /// Why, e.g. 与本院送达无关的短信.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        common: Common,
    },
}

/// Runs `clerk reply …` and shows where the service stands afterwards.
pub(super) async fn run(a: ReplyArgs) -> Result<bool> {
    let common = match &a.action {
        ReplyAction::Disallow { common, .. }
        | ReplyAction::Attribute { common, .. }
        | ReplyAction::Dismiss { common, .. } => common,
    };
    let mut client = service_client(&common.hub.resolve("clerk")?).await?;
    let json = common.json;
    let status = match a.action {
        ReplyAction::Disallow { reply, note, .. } => {
            let request = pb::DisallowReplyRequest {
                order_id: reply.order_id,
                recipient_id: reply.recipient_id,
                index: reply.index,
                note,
            };
            Some(client.disallow_reply(request).await.map_err(refused)?)
        }
        ReplyAction::Attribute {
            seq,
            order_id,
            recipient_id,
            note,
            ..
        } => {
            let request = pb::SettleReplyRequest {
                seq,
                order_id,
                recipient_id,
                note,
            };
            let settled = client.settle_reply(request).await.map_err(refused)?;
            settled.into_inner().recipient.map(tonic::Response::new)
        }
        ReplyAction::Dismiss { seq, note, .. } => {
            let request = pb::SettleReplyRequest {
                seq,
                note,
                ..Default::default()
            };
            client.settle_reply(request).await.map_err(refused)?;
            None
        }
    };
    let status = status.map(tonic::Response::into_inner);
    if json {
        let recipient = status.as_ref().map(|s| {
            serde_json::json!({
                "order_id": s.order_id, "recipient_id": s.recipient_id,
                "state": state_text(s.state), "proofs": s.proofs, "replies": replies_json(s),
            })
        });
        println!("{}", serde_json::json!({ "recipient": recipient }));
        return Ok(true);
    }
    match status {
        Some(s) => println!(
            "{} {} {}: {}; proofs issued: {} (a change after a proof issues a new version)",
            s.order_id,
            s.recipient_id,
            s.name,
            state_text(s.state),
            s.proofs
        ),
        None => println!("dismissed: it left the clerks' queue and stays in the log"),
    }
    Ok(true)
}

/// Each recipient's replies with their INDEX, for `clerk reply disallow`.
pub(super) fn print_replies(recipients: &[pb::RecipientStatus]) {
    let rows: Vec<(&pb::RecipientStatus, &pb::Reply)> = recipients
        .iter()
        .flat_map(|r| r.replies.iter().map(move |x| (r, x)))
        .collect();
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "受送达人的回复（第三十一条第二款）/ Replies (art. 31 para. 2), to disallow with `clerk reply disallow ORDER ID INDEX --note …`:"
    );
    let mut table = Table::new(["ID", "INDEX", "AT (Beijing time)", "VIA", "FROM", "TEXT"]);
    for (r, x) in rows {
        let mut mark = String::new();
        if x.attributed {
            let note = printable(&x.attributed_note);
            mark += &format!("  [归属认定: {} {note}]", x.attributed_by);
        }
        if x.disallowed {
            let note = printable(&x.disallowed_note);
            mark += &format!("  [不予采纳: {} {note}]", x.disallowed_by);
        }
        table.row([
            r.recipient_id.clone(),
            x.index.to_string(),
            beijing(x.at.as_ref()),
            channel_text(x.channel).to_string(),
            x.from.clone(),
            format!("{}{mark}", printable(&x.text)),
        ]);
    }
    table.print();
}

/// A recipient's replies, for `--json`.
pub(super) fn replies_json(r: &pb::RecipientStatus) -> serde_json::Value {
    r.replies
        .iter()
        .map(|x| {
            serde_json::json!({
                "index": x.index, "at": beijing_rfc3339(x.at.as_ref()), "channel": channel_text(x.channel),
                "from": x.from, "text": x.text, "disallowed": x.disallowed,
                "disallowed_by": x.disallowed_by, "disallowed_note": x.disallowed_note,
                "disallowed_at": beijing_rfc3339(x.disallowed_at.as_ref()),
                "attributed": x.attributed, "attributed_by": x.attributed_by,
                "attributed_note": x.attributed_note,
            })
        })
        .collect()
}
