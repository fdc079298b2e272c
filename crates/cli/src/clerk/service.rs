//! `clerk service`, `deliveries`, `dead-letters`, `retry`, `resolve` and `proof --save`: serve
//! orders and their deliveries as the hub reports them, over mutual TLS.

use super::*;

pub(super) type ServiceClient =
    ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient<
        ecenter_client::hub::HubChannel,
    >;

pub(super) async fn service_client(hub: &HubConfig) -> Result<ServiceClient> {
    Ok(ServiceClient::new(connect(hub).await?).max_decoding_message_size(64 * 1024 * 1024))
}

pub(super) fn refused(s: tonic::Status) -> anyhow::Error {
    anyhow::Error::new(ecenter_client::exit::Refused(s))
}

pub(super) fn channel_text(c: i32) -> &'static str {
    use ecenter_proto::v1::ServiceChannel;
    match ServiceChannel::try_from(c) {
        Ok(ServiceChannel::Email) => "email",
        Ok(ServiceChannel::Sms) => "sms",
        _ => "",
    }
}

pub(super) fn state_text(s: i32) -> &'static str {
    use ecenter_proto::v1::RecipientState;
    match RecipientState::try_from(s) {
        Ok(RecipientState::Sending) => "sending",
        Ok(RecipientState::Awaiting) => "awaiting",
        Ok(RecipientState::Effective) => "effective",
        Ok(RecipientState::Unserved) => "UNSERVED",
        _ => "",
    }
}

/// A recipient's state for people: the token and its Chinese name.
fn state_label(s: i32) -> String {
    use ecenter_proto::v1::RecipientState;
    let chinese = match RecipientState::try_from(s) {
        Ok(RecipientState::Sending) => "发送中",
        Ok(RecipientState::Awaiting) => "待生效",
        Ok(RecipientState::Effective) => "已生效",
        Ok(RecipientState::Unserved) => "未送达",
        _ => "",
    };
    format!("{} {chinese}", state_text(s))
}

/// The state, and how many reports wait for a clerk's judgment (which may still undo it).
fn state_with_reviews(r: &ecenter_proto::v1::RecipientStatus) -> String {
    match r.unverified.iter().filter(|u| !u.judged).count() {
        0 => state_label(r.state),
        n => format!(
            "{} · {n} report(s) awaiting a clerk {n} 份报告待书记员审核",
            state_label(r.state)
        ),
    }
}

/// The rule a service took effect by, as a clerk reads it: the clause and what it says
/// (第31条第1款：送达信息到达…), the rules' title left to the column's heading. The rule's id is in
/// `--json`.
fn rule_words(rule_text: &str) -> String {
    rule_text.trim_start_matches("《在线诉讼规则》").to_string()
}

pub(super) fn recipient_json(r: &ecenter_proto::v1::RecipientStatus) -> serde_json::Value {
    serde_json::json!({
        "order_id": r.order_id,
        "recipient_id": r.recipient_id,
        "name": r.name,
        "role": r.role,
        "state": state_text(r.state),
        "attempts": r.attempts.iter().map(|a| serde_json::json!({
            "channel": channel_text(a.channel), "address": a.address, "attempts": a.attempts,
            "resends_in_doubt": a.resends_in_doubt, "sent_at": beijing_rfc3339(a.sent_at.as_ref()),
            "gateway_id": a.gateway_id, "last_error": a.last_error, "closed": a.closed,
            "accepted": a.accepted.iter().map(|x| serde_json::json!({
                "attempt": x.attempt, "at": beijing_rfc3339(x.at.as_ref()), "gateway_id": x.gateway_id,
            })).collect::<Vec<_>>(),
            "receipts": a.receipts.iter().map(|x| serde_json::json!({
                "part": x.part, "state": x.state, "at": beijing_rfc3339(x.at.as_ref()),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "effective": r.effective.as_ref().map(|e| serde_json::json!({
            "at": beijing_rfc3339(e.at.as_ref()), "rule": e.rule, "rule_text": e.rule_text, "presumed": e.presumed,
        })),
        "dead_letters": r.dead_letters.iter().map(|d| serde_json::json!({
            "channel": channel_text(d.channel), "reason": d.reason, "at": beijing_rfc3339(d.at.as_ref()),
        })).collect::<Vec<_>>(),
        "proofs": r.proofs,
        "resolution": r.resolution,
        "clerk_actions": r.clerk_actions.iter().map(|a| serde_json::json!({
            "channel": channel_text(a.channel), "at": beijing_rfc3339(a.at.as_ref()), "by": a.by,
            "action": if a.resolved { "resolved" } else { "retried" }, "note": a.note,
        })).collect::<Vec<_>>(),
        "unverified": review::json(r),
        "replies": super::reply::replies_json(r),
        // Each report's copy is `reports/<order>-<recipient>/<kept_sha256>.eml` in an export.
        "reports": r.reports.iter().map(|k| serde_json::json!({
            "report_id": k.report_id, "kept_sha256": k.kept_sha256,
            "received_sha256": (!k.received_sha256.is_empty()).then_some(&k.received_sha256),
            "relay": k.relay, "received_at": beijing_rfc3339(k.received_at.as_ref()), "counted": k.counted,
        })).collect::<Vec<_>>(),
    })
}

pub(super) async fn show_service(hub: &HubConfig, order_id: &str, json: bool) -> Result<bool> {
    use ecenter_proto::v1 as pb;
    let mut client = service_client(hub).await?;
    let mut recipients = Vec::new();
    let mut after = String::new();
    let first = loop {
        let page = client
            .get_order(pb::GetOrderRequest {
                order_id: order_id.into(),
                after_recipient_id: after.clone(),
                page_size: 1000,
            })
            .await
            .map_err(refused)?
            .into_inner();
        recipients.extend(page.recipients.iter().cloned());
        if page.next_after_recipient_id.is_empty() {
            break page;
        }
        after = page.next_after_recipient_id.clone();
    };
    if json {
        println!(
            "{}",
            serde_json::json!({
                "order_id": first.order_id,
                "case_number": first.case_number,
                "ordered_at": beijing_rfc3339(first.ordered_at.as_ref()),
                "documents": first.documents.iter().map(|d| serde_json::json!({"reference": d.reference, "name": d.name, "sha256": d.sha256})).collect::<Vec<_>>(),
                "recipients": recipients.iter().map(recipient_json).collect::<Vec<_>>(),
            })
        );
        return Ok(true);
    }
    println!(
        "{} · {} · {} recipient(s) · ordered {} (Beijing time)",
        first.order_id,
        first.case_number,
        first.recipient_count,
        beijing(first.ordered_at.as_ref())
    );
    let mut table = Table::new([
        "ID 编号",
        "NAME 姓名",
        "STATE 状态",
        "CHANNEL 方式",
        "ATTEMPTS 次数",
        "EFFECTIVE 生效时间 (Beijing time)",
        "RULE 依据（《在线诉讼规则》）",
    ]);
    for r in &recipients {
        table.row([
            r.recipient_id.clone(),
            r.name.clone(),
            state_with_reviews(r),
            served_by(r).to_string(),
            attempts_text(&r.attempts),
            beijing(r.effective.as_ref().and_then(|e| e.at.as_ref())),
            r.effective
                .as_ref()
                .map_or(String::new(), |e| rule_words(&e.rule_text)),
        ]);
    }
    table.print();
    print_clerk_actions(&recipients);
    super::reply::print_replies(&recipients);
    Ok(true)
}

/// Under the table: each clerk's act on a dead letter, per recipient, in Beijing time.
fn print_clerk_actions(recipients: &[ecenter_proto::v1::RecipientStatus]) {
    for r in recipients.iter().filter(|r| !r.clerk_actions.is_empty()) {
        println!(
            "\n{} {}: clerk actions 书记员处理",
            r.recipient_id,
            crate::printable(&r.name)
        );
        for a in &r.clerk_actions {
            let what = if a.resolved {
                "resolved 人工处理"
            } else {
                "retried 重新发送"
            };
            println!(
                "  {} (Beijing time)  {}  {}  {}  {}",
                beijing(a.at.as_ref()),
                channel_text(a.channel),
                what,
                crate::printable(&a.by),
                crate::printable(&a.note)
            );
        }
    }
}

// What `clerk deliveries` asks for (a plain comment: a doc comment here would become the help of
// the commands that flatten it whenever theirs is missing).
#[derive(Debug, clap::Args)]
pub(super) struct DeliveryFilter {
    /// Only this case (any spelling that parses).
    #[arg(long)]
    case: Option<String>,
    /// Part of the recipient's name.
    #[arg(long)]
    recipient: Option<String>,
    /// Only recipients with an address on this channel.
    #[arg(long, value_enum)]
    channel: Option<ChannelName>,
    /// sending, awaiting, effective or unserved.
    #[arg(long, value_parser = ["sending", "awaiting", "effective", "unserved"])]
    status: Option<String>,
    /// Orders from this day on (YYYY-MM-DD, Beijing time).
    #[arg(long)]
    from: Option<chrono::NaiveDate>,
    /// Orders up to and including this day (YYYY-MM-DD, Beijing time).
    #[arg(long)]
    to: Option<chrono::NaiveDate>,
    /// At most this many rows (a page; at most 2000).
    #[arg(long, default_value_t = 200)]
    limit: u32,
    /// Every matching delivery, read page by page (`--limit` rows a page).
    #[arg(long)]
    all: bool,
}

// A dead letter (`clerk retry`, `clerk resolve`): a recipient's service notice on a channel that
// failed for good. (A plain comment, as for `DeliveryFilter`.)
#[derive(Debug, clap::Args)]
pub(super) struct DeadLetter {
    /// The order (O…).
    order_id: String,
    /// The recipient (R1, ...).
    recipient_id: String,
    /// The channel that failed.
    #[arg(long, value_enum)]
    channel: ChannelName,
}

/// Midnight of `day` in Beijing time.
pub(super) fn shanghai_midnight(day: chrono::NaiveDate) -> prost_types::Timestamp {
    let shanghai = ecenter_domain::time::shanghai_offset();
    let t = day
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_local_timezone(shanghai)
        .single()
        .expect("a fixed offset is unambiguous");
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// What `clerk deliveries` asks the hub for; days out of order are refused naming the flags.
fn delivery_request(f: DeliveryFilter) -> Result<ecenter_proto::v1::ListDeliveriesRequest> {
    use ecenter_proto::v1 as pb;
    if let (Some(from), Some(to)) = (f.from, f.to)
        && to < from
    {
        anyhow::bail!(
            "--to {to} is before --from {from}: give the days in order / 结束日期早于开始日期"
        );
    }
    let asked = pb::ListDeliveriesRequest {
        case_number: f.case.unwrap_or_default(),
        recipient_name: f.recipient.unwrap_or_default(),
        channel: match f.channel {
            None => 0,
            Some(ChannelName::Email) => pb::ServiceChannel::Email as i32,
            Some(ChannelName::Sms) => pb::ServiceChannel::Sms as i32,
        },
        state: match f.status.as_deref() {
            Some("sending") => pb::RecipientState::Sending as i32,
            Some("awaiting") => pb::RecipientState::Awaiting as i32,
            Some("effective") => pb::RecipientState::Effective as i32,
            Some("unserved") => pb::RecipientState::Unserved as i32,
            _ => 0,
        },
        ordered_from: f.from.map(shanghai_midnight),
        ordered_before: f.to.and_then(|d| d.succ_opt()).map(shanghai_midnight),
        limit: f.limit,
        ..Default::default()
    };
    Ok(asked)
}

pub(super) async fn list_deliveries(
    hub: &HubConfig,
    f: DeliveryFilter,
    json: bool,
) -> Result<bool> {
    let all = f.all;
    let asked = delivery_request(f)?;
    let mut client = service_client(hub).await?;
    let answer = if all {
        every_delivery(&mut client, asked).await?
    } else {
        (client.list_deliveries(asked).await)
            .map_err(refused)?
            .into_inner()
    };
    if json {
        println!(
            "{}",
            serde_json::json!({
                "truncated": answer.truncated,
                "deliveries": answer.deliveries.iter().map(|d| {
                    let mut r = d.recipient.as_ref().map(recipient_json).unwrap_or_default();
                    r["case_number"] = serde_json::json!(d.case_number);
                    r["ordered_at"] = serde_json::json!(beijing_rfc3339(d.ordered_at.as_ref()));
                    r
                }).collect::<Vec<_>>(),
            })
        );
        return Ok(true);
    }
    if answer.deliveries.is_empty() {
        println!("no deliveries match / 没有符合条件的送达记录");
        return Ok(true);
    }
    let mut table = Table::new([
        "ORDER 送达单",
        "CASE 案号",
        "ID 编号",
        "NAME 姓名",
        "CHANNEL 方式",
        "STATE 状态",
        "EFFECTIVE 生效时间 (Beijing time)",
    ]);
    for d in &answer.deliveries {
        let Some(r) = &d.recipient else { continue };
        table.row([
            d.order_id.clone(),
            d.case_number.clone(),
            r.recipient_id.clone(),
            r.name.clone(),
            served_by(r).to_string(),
            state_label(r.state),
            beijing(r.effective.as_ref().and_then(|e| e.at.as_ref())),
        ]);
    }
    table.print();
    if answer.truncated {
        println!("(more match: narrow the filters, raise --limit or give --all)");
    }
    Ok(true)
}

/// Every delivery `asked` matches, following the hub's pages (`asked.limit` rows each) to the end:
/// one answer, never truncated.
pub(super) async fn every_delivery(
    client: &mut ServiceClient,
    mut asked: ecenter_proto::v1::ListDeliveriesRequest,
) -> Result<ecenter_proto::v1::ListDeliveriesResponse> {
    let mut all = ecenter_proto::v1::ListDeliveriesResponse::default();
    loop {
        let page = (client.list_deliveries(asked.clone()).await)
            .map_err(refused)?
            .into_inner();
        all.deliveries.extend(page.deliveries);
        if page.next_after_order_id.is_empty() {
            return Ok(all);
        }
        asked.after_order_id = page.next_after_order_id;
        asked.after_recipient_id = page.next_after_recipient_id;
    }
}

/// How service was made, for the deliveries table: the lawyers' portal when the recipient
/// confirmed reading there and that made service effective, else the channel of the last notice.
fn served_by(r: &ecenter_proto::v1::RecipientStatus) -> &'static str {
    let confirmed_in_portal = (r.effective.as_ref())
        .is_some_and(|e| e.rule == "recipient_confirmed_reading")
        && (r.facts.iter()).any(|f| f.kind == "confirmed_reading" && f.portal);
    if confirmed_in_portal {
        "portal 平台"
    } else if let Some(e) = r.effective.as_ref().filter(|e| e.channel != 0) {
        channel_text(e.channel)
    } else {
        r.attempts.last().map_or("", |a| channel_text(a.channel))
    }
}

/// Attempts per channel tried, e.g. "2+1" for two e-mail attempts then one SMS, each with the
/// sends that may have gone twice (the hub stopped between a send and its record), e.g.
/// "2（1次可能重复）+1": what the proof states, so the clerk's table does not hide it.
fn attempts_text(attempts: &[ecenter_proto::v1::Attempt]) -> String {
    (attempts.iter())
        .map(|a| match a.resends_in_doubt {
            0 => a.attempts.to_string(),
            n => format!("{}（{n}次可能重复）", a.attempts),
        })
        .collect::<Vec<_>>()
        .join("+")
}

pub(super) async fn list_dead_letters(hub: &HubConfig, json: bool) -> Result<bool> {
    use ecenter_proto::v1 as pb;
    let mut client = service_client(hub).await?;
    let list = client
        .list_dead_letters(pb::ListDeadLettersRequest { limit: 1000 })
        .await
        .map_err(refused)?
        .into_inner();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "recipients": list.recipients.iter().map(recipient_json).collect::<Vec<_>>(),
                "replies": review::replies_json(&list.replies),
                "receipts": review::receipts_json(&list.receipts),
            })
        );
        return Ok(true);
    }
    review::print_replies(&list.replies);
    review::print_receipts(&list.receipts);
    if list.recipients.is_empty() {
        println!("no dead letters and no reports to judge / 没有待处理的送达失败或回执");
        return Ok(true);
    }
    let mut table = Table::new([
        "ORDER",
        "ID",
        "NAME",
        "CHANNEL",
        "AT (Beijing time)",
        "REASON",
    ]);
    for r in &list.recipients {
        for d in &r.dead_letters {
            table.row([
                r.order_id.clone(),
                r.recipient_id.clone(),
                r.name.clone(),
                channel_text(d.channel).to_string(),
                beijing(d.at.as_ref()),
                d.reason.clone(),
            ]);
        }
    }
    table.print();
    review::print_pending(&list.recipients);
    Ok(true)
}

/// What a clerk does with a dead letter, with the note that goes on the proof.
pub(super) enum Act {
    /// Send it again; why (may be empty).
    Retry(String),
    /// Close it by hand; what was done instead.
    Resolve(String),
}

pub(super) async fn dead_letter_action(
    hub: &HubConfig,
    letter: DeadLetter,
    act: Act,
) -> Result<bool> {
    use ecenter_proto::v1 as pb;
    let DeadLetter {
        order_id,
        recipient_id,
        channel,
    } = letter;
    let mut client = service_client(hub).await?;
    let action = pb::DeadLetterAction {
        order_id,
        recipient_id,
        channel: match channel {
            ChannelName::Email => pb::ServiceChannel::Email as i32,
            ChannelName::Sms => pb::ServiceChannel::Sms as i32,
        },
        note: match &act {
            Act::Retry(note) | Act::Resolve(note) => note.clone(),
        },
    };
    let status = match act {
        Act::Resolve(_) => client.resolve_dead_letter(action).await,
        Act::Retry(_) => client.retry_dead_letter(action).await,
    }
    .map_err(refused)?
    .into_inner();
    println!(
        "{} {} {}: {}",
        status.order_id,
        status.recipient_id,
        status.name,
        state_text(status.state)
    );
    Ok(true)
}

/// Saves the proof `which` asks for (its version; 0 for the newest) into `out`, with the sealed
/// PDF when `pdf`; returns the paths of the document and its signature.
pub(super) async fn save_proof(
    hub: &HubConfig,
    which: ecenter_proto::v1::ProofRequest,
    out: &Path,
    pdf: bool,
) -> Result<(PathBuf, PathBuf)> {
    let mut client = service_client(hub).await?;
    let proof = client
        .get_proof(which.clone())
        .await
        .map_err(refused)?
        .into_inner();
    // Made as `clerk export --out` makes its directory.
    ecenter_client::out_dir(out)?;
    // An earlier version asked for by number is saved beside the newest, not over it.
    let version = match which.version {
        0 => String::new(),
        n => format!(".v{n}"),
    };
    let stem = format!("{}-{}{version}", proof.order_id, proof.recipient_id);
    let [document, signature, printed] =
        ["json", "p7s", "pdf"].map(|e| out.join(format!("{stem}.{e}")));
    std::fs::write(&document, &proof.document).with_context(|| document.display().to_string())?;
    std::fs::write(&signature, &proof.signature)
        .with_context(|| signature.display().to_string())?;
    println!("{}", document.display());
    println!("{}", signature.display());
    if pdf {
        let printable = client
            .get_proof_pdf(which)
            .await
            .map_err(refused)?
            .into_inner();
        std::fs::write(&printed, &printable.pdf).with_context(|| printed.display().to_string())?;
        println!("{}", printed.display());
    }
    Ok((document, signature))
}
