//! The proof of service (电子送达凭证) of one recipient: everything a paper 送达回证 attests and more —
//! case, documents with their digests, recipient and consent basis, each channel's address, send
//! time, gateway id and the text actually sent, what came back and what the recipient did, the
//! effective time and the rule that decided it — as UTF-8 JSON, sealed with a detached CAdES
//! signature of the hub's signer carrying a trusted timestamp. Anyone can verify it offline
//! (`clerk verify-proof`, or `openssl cms -verify`).

use chrono::{DateTime, Utc};
use ecenter_domain::effective_service::{Channel, DeliveryFact};
use ecenter_domain::service::{
    CountedReport, OrderSummary, PROOF_TITLE, RecipientService, ReportSource, acted_in_portal,
};
use serde_json::{Value, json};

use ecenter_domain::time::beijing_seconds as beijing;

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Email => "电子邮件",
        Channel::Sms => "短信",
    }
}

fn time(t: DateTime<Utc>) -> Value {
    json!({ "utc": t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "beijing": beijing(t) })
}

/// The proof document (the signed bytes) of `service`, version `version`, issued at `issued_at`.
pub fn document(
    court: &str,
    order: &OrderSummary,
    service: &RecipientService,
    version: u32,
    issued_at: DateTime<Utc>,
    checkpoint: Option<&ecenter_store::checkpoint::Checkpoint>,
) -> Option<Vec<u8>> {
    if !service.proof_due() {
        return None;
    }
    let doc = json!({
        "title": PROOF_TITLE,
        "version": version,
        "court": court,
        "case_number": order.ordered.order.case_number.normalized(),
        "order_id": order.ordered.order_id,
        "ordered_by": order.ordered.ordered_by,
        "ordered_at": time(order.ordered_at),
        "documents": documents_json(order),
        "recipient": recipient_json(service),
        "channels": channels_json(service),
        "events": facts_json(service),
        // Every delivery report counted, with the relay that wrote it, the time it stated and
        // the time recorded, and the copy of it the hub keeps (`clerk export` writes it).
        "delivery_reports": service.counted_reports.iter().map(counted_json).collect::<Vec<_>>(),
        // Art. 31 para. 2: how each confirmation came — the link of which channel's notice, from
        // which client — so a court can weigh it.
        "confirmations": service.confirmations.iter().map(|c| json!({
            "at": time(c.at),
            "link_from": c.channel.map(channel_name),
            // The lawyers' portal records its acts as `portal <client>`: signed in with a code
            // sent to the directory's address (see the log's `signed_in`), not through a link.
            "via": if acted_in_portal(&c.client) { "诉讼服务平台（律师登录后确认）" } else { "送达链接页面" },
            "client": c.client,
        })).collect::<Vec<_>>(),
        // Art. 31 para. 2 (1): each reply with its text and where it came from.
        "replies": service.replies.iter().map(|x| json!({
            "at": time(x.at),
            "channel": x.channel.map(channel_name),
            "from": x.from,
            "text": x.text,
            // A clerk's finding that it was not the recipient's: then it did not count.
            "disallowed": x.disallowed.as_ref().map(|d| json!({
                "by": d.by, "note": d.note, "at": time(d.at),
            })),
            // No single open service could claim it: whose finding it counts on.
            "attributed": x.attributed.as_ref().map(|a| json!({
                "by": a.by, "note": a.note, "at": time(a.at), "seq": a.seq,
            })),
        })).collect::<Vec<_>>(),
        // Each download with the client that made it (`null` if recorded before clients were).
        "downloads": service.downloads.iter().enumerate().map(|(i, (d, at))| json!({
            "reference": d,
            "at": time(*at),
            "client": service.clients.downloaded.get(i),
        })).collect::<Vec<_>>(),
        // Reports the hub did not take on trust, and how the clerks judged them.
        "reviewed_reports": reviewed_reports_json(service),
        // Each clerk's act on a final failure: a notice sent again, or the matter closed by hand.
        "clerk_actions": service.clerk_acts.iter().map(|a| json!({
            "at": time(a.at),
            "by": a.by,
            "channel": channel_name(a.channel),
            "action": if a.resolved { "人工处理" } else { "重新发送" },
            "note": a.note,
        })).collect::<Vec<_>>(),
        "effective": service.effective.map(|e| json!({
            "at": time(e.at),
            "rule": e.rule.name(),
            "rule_text": e.rule.describe(),
            "channel": e.channel.map(channel_name),
            "presumed": e.rule.presumed(),
        })),
        // A version issued because service no longer stands says so and names what it withdraws.
        "withdraws": service.effective.is_none().then(|| json!({
            "versions": service.proofs.iter().filter(|p| p.effective.is_some()).map(|p| p.version).collect::<Vec<_>>(),
            "statement": "其后记录的事实（见 events 与 reviewed_reports）使送达不再成立：此前版本所载的送达生效不再有效",
        })),
        "log_seq": service.last_event_seq,
        // The newest signed checkpoint of the log when the proof was made: the history it is
        // part of, signed outside the log (ARCHITECTURE.md, "Signed checkpoints").
        "checkpoint": checkpoint.map(|c| json!({
            "number": c.number,
            "seq": c.seq,
            "hash": c.hash,
            "signed_at": time(c.at),
            "key_id": c.key_id,
        })),
        "issued_at": time(issued_at),
    });
    Some(serde_json::to_vec_pretty(&doc).expect("JSON values always serialise"))
}

/// The delivery facts of the 送达回证 in order (reached, bounced, link fetched, read reported,
/// reading confirmed, replied), each with its channel and time.
fn facts_json(service: &RecipientService) -> Vec<Value> {
    let mut behind = ReportsBehind::new(&service.counted_reports);
    let mut opened_by = service.clients.opened.iter();
    service
        .facts
        .iter()
        .map(|f| match *f {
            DeliveryFact::Reached { channel, at } => {
                let report = behind.fact(channel, true, at);
                json!({"event": "到达受送达人系统", "channel": channel_name(channel), "at": time(at), "report": report})
            }
            DeliveryFact::Bounced { channel, at } => {
                let report = behind.fact(channel, false, at);
                json!({"event": "退回（未送达）", "channel": channel_name(channel), "at": time(at), "report": report})
            }
            DeliveryFact::Fetched { at, channel, portal } => {
                let event = if portal { "在诉讼服务平台打开送达文书（不视为阅读）" } else { "打开送达链接（不视为阅读）" };
                // Who opened it: a mail scanner's GET is told from the recipient's by its client.
                let client = opened_by.next();
                json!({"event": event, "channel": channel.map(channel_name), "at": time(at), "client": client})
            }
            DeliveryFact::ReadReported { channel, at } => {
                json!({"event": "系统反馈已阅知", "channel": channel_name(channel), "at": time(at)})
            }
            DeliveryFact::ConfirmedReading { at, channel, portal } => {
                let event = if portal { "受送达人在诉讼服务平台确认已阅读" } else { "受送达人确认已阅读" };
                json!({"event": event, "channel": channel.map(channel_name), "at": time(at)})
            }
            DeliveryFact::Replied { at } => json!({"event": "受送达人回复", "at": time(at)}),
        })
        .collect()
}

/// Which counted report made each reach or bounce: the first not yet named with the fact's
/// channel, outcome and time (a report makes its fact when it is recorded, so they pair in order).
struct ReportsBehind<'a> {
    reports: &'a [CountedReport],
    named: Vec<bool>,
}

impl<'a> ReportsBehind<'a> {
    fn new(reports: &'a [CountedReport]) -> Self {
        ReportsBehind {
            reports,
            named: vec![false; reports.len()],
        }
    }

    /// The report behind a fact (`null` for one made by an SMS receipt, or recorded before
    /// reports were kept): its id, relay and how its time was taken.
    fn fact(&mut self, channel: Channel, reached: bool, at: DateTime<Utc>) -> Value {
        let found = self.reports.iter().enumerate().position(|(i, r)| {
            !self.named[i] && r.channel == channel && r.reached == reached && r.at == at
        });
        let Some(i) = found else {
            return Value::Null;
        };
        self.named[i] = true;
        let r = &self.reports[i];
        json!({
            "report_id": r.report,
            "relay": r.source.as_ref().map(|s| s.relay.as_str()),
            "time_basis": r.source.as_ref().map(|s| time_basis(s, r.at)),
        })
    }
}

/// How the time of a report's fact was taken, in words a court reads.
fn time_basis(source: &ReportSource, at: DateTime<Utc>) -> String {
    match source.replaced(at) {
        None => "采用报告所载时间".into(),
        Some(Some(stated)) => format!(
            "报告所载时间 {} 不在本中心所见范围内（通知交付中继之后、读取报告之前），改用本中心读取报告的时间",
            beijing(stated)
        ),
        Some(None) => "报告未载明时间，采用本中心读取报告的时间".into(),
    }
}

/// What a report rests on, for the proof: who wrote it, when it said and when it came, and the
/// copy the hub keeps (`null` fields for a report recorded before they were kept).
fn source_json(source: Option<&ReportSource>, at: DateTime<Utc>) -> Value {
    let Some(s) = source else {
        return json!({"relay": null, "kept_sha256": null});
    };
    json!({
        "relay": s.relay,
        "stated_at": s.stated_at.map(time),
        "received_at": time(s.received_at),
        "time_basis": time_basis(s, at),
        "kept_sha256": s.kept_sha256,
        // The report as it arrived differed from the copy kept: a part quoting the notice with
        // the recipient's live link was cut.
        "received_sha256": s.received_sha256,
    })
}

/// One counted report as the proof lists it.
fn counted_json(r: &CountedReport) -> Value {
    let claim = (r.channel, r.reached, r.at);
    report_json(claim, (&r.report, &r.detail), r.source.as_ref())
}

/// A report as proofs list it: what it claims (channel, reached or not, the time recorded), its id
/// and words, and where it came from.
fn report_json(
    (channel, reached, at): (Channel, bool, DateTime<Utc>),
    (report, detail): (&str, &str),
    source: Option<&ReportSource>,
) -> Value {
    let mut v = json!({
        "channel": channel_name(channel),
        "claims": if reached { "到达受送达人系统" } else { "退回（未送达）" },
        "at": time(at),
        "report_id": report,
        "detail": detail,
    });
    merge(&mut v, source_json(source, at));
    v
}

/// `extra`'s fields added to the object `v`.
fn merge(v: &mut Value, extra: Value) {
    if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
        v.extend(extra);
    }
}

/// The documents served, each with its reference, SHA-256 digest, size and seal.
fn documents_json(order: &OrderSummary) -> Vec<Value> {
    order
        .ordered
        .documents
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "reference": d.reference,
                "sha256": d.sha256,
                "size": d.size,
                "seal": d.seal,
            })
        })
        .collect::<Vec<_>>()
}

/// The recipient: identity, role, consent basis, and each address with the basis it rests on
/// (confirmed, provided by the recipient, or discovered by the court).
fn recipient_json(service: &RecipientService) -> Value {
    let r = &service.recipient;
    json!({
        "recipient_id": r.recipient_id,
        "name": r.name,
        "role": r.role,
        "consent_basis": r.consent_basis,
        "addresses": r.addresses.iter().map(|(c, a, b)| json!({
            "channel": channel_name(*c),
            "address": a,
            "basis": match b {
                ecenter_domain::effective_service::AddressBasis::Confirmed => "受送达人确认的地址",
                ecenter_domain::effective_service::AddressBasis::Provided => "受送达人主动提供的地址",
                ecenter_domain::effective_service::AddressBasis::Discovered => "法院查明的地址",
            },
        })).collect::<Vec<_>>(),
    })
}

/// What each channel sent and where: address, message and gateway ids, send time, attempts, the
/// text actually sent, the outcome and the DSN / SMPP delivery receipts that came back.
fn channels_json(service: &RecipientService) -> Vec<Value> {
    service
        .channels
        .iter()
        .map(|c| {
            json!({
                "channel": channel_name(c.channel),
                "address": c.address,
                "message_id": c.message_id,
                "sent_at": c.sent_at.map(time),
                // Not confirmed sent, but a relay or SMSC may hold it: never reported as not sent.
                "maybe_sent": c.maybe_sent || c.resends_in_doubt > 0,
                "gateway_id": c.gateway_id,
                // Each acceptance with its own id: `sent_at` is the first, `gateway_id` the
                // latest's.
                "accepted": c.accepted.iter().map(|a| json!({
                    "attempt": a.attempt,
                    "at": time(a.at),
                    "gateway_id": a.gateway_id,
                })).collect::<Vec<_>>(),
                "attempts": c.attempts,
                "resends_in_doubt": c.resends_in_doubt,
                "subject": c.subject,
                "text": ecenter_delivery::link::redact_tokens(&c.body),
                "outcome": outcome_of(service, c),
                "receipts": c.receipts.iter().map(|r| json!({
                    "part": r.part,
                    "state": r.state.describe(),
                    "at": time(r.at),
                })).collect::<Vec<_>>(),
            })
        })
        .collect::<Vec<_>>()
}

/// A closed channel's outcome as the proof states it: its failure — unless a report proved the
/// notice reached the recipient after all (a receipt after the receipt timeout, a DELIVRD after
/// UNKNOWN), when the proof says so first and the failure after it. A paper proof must not call
/// "status unknown" the channel that made service effective.
fn outcome_of(service: &RecipientService, c: &ecenter_domain::service::ChannelTrace) -> String {
    if !c.closed {
        return String::new();
    }
    let reached = service.facts.iter().find_map(|f| match f {
        DeliveryFact::Reached { channel, at } if *channel == c.channel => Some(*at),
        _ => None,
    });
    match reached {
        Some(at) => format!(
            "已到达受送达人（{} 的报告证实）；本渠道另记有：{}",
            beijing(at),
            c.last_error
        ),
        None => c.last_error.clone(),
    }
}

/// Reports the hub did not take on trust (unverified DSNs or receipts), why they were set aside,
/// and how the clerks judged them.
fn reviewed_reports_json(service: &RecipientService) -> Vec<Value> {
    service
        .unverified
        .iter()
        .map(|u| {
            let claim = (u.channel, u.reached, u.at);
            let mut v = report_json(claim, (&u.report, &u.detail), u.source.as_ref());
            if u.read {
                merge(
                    &mut v,
                    json!({"claims": "受送达人系统反馈已阅读（已读回执）"}),
                );
            }
            merge(
                &mut v,
                json!({
                    "set_aside_because": u.reason,
                    "judgment": u.judgment.as_ref().map(|j| json!({
                        "accepted": j.accepted,
                        "by": j.by,
                        "note": j.note,
                        "at": time(j.at),
                    })),
                }),
            );
            v
        })
        .collect::<Vec<_>>()
}

#[cfg(test)]
mod tests;
