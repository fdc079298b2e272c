//! Protobuf messages from the domain's service values and back (channels, address bases, facts,
//! recipients, orders), and the fingerprint that makes a repeated request id safe.

use super::*;
use ecenter_domain::service::{ChannelTrace, ClerkAct, UnverifiedReport};

pub(super) fn channel_of(c: i32, field: &str) -> Result<Channel, Status> {
    match pb::ServiceChannel::try_from(c) {
        Ok(pb::ServiceChannel::Email) => Ok(Channel::Email),
        Ok(pb::ServiceChannel::Sms) => Ok(Channel::Sms),
        _ => Err(invalid(
            field,
            "choose SERVICE_CHANNEL_EMAIL or SERVICE_CHANNEL_SMS",
        )),
    }
}

pub(super) fn channel_message(c: Channel) -> i32 {
    match c {
        Channel::Email => pb::ServiceChannel::Email as i32,
        Channel::Sms => pb::ServiceChannel::Sms as i32,
    }
}

/// A time a caller sent, if any, within google.protobuf.Timestamp's own range (years 0001 to
/// 9999, nanos 0 to 999,999,999). Out of range is refused: read as "none", a filter would
/// silently stop filtering.
///
/// Errors: INVALID_ARGUMENT naming `field`.
pub(super) fn instant(
    field: &str,
    t: Option<&prost_types::Timestamp>,
) -> Result<Option<DateTime<Utc>>, Status> {
    const FIRST: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z
    const LAST: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let Some(t) = t else {
        return Ok(None);
    };
    let nanos = u32::try_from(t.nanos).ok().filter(|n| *n < 1_000_000_000);
    match nanos {
        Some(n) if (FIRST..=LAST).contains(&t.seconds) => {
            Ok(DateTime::<Utc>::from_timestamp(t.seconds, n))
        }
        _ => Err(invalid(
            field,
            "is outside a timestamp's range (years 0001 to 9999, nanos 0 to 999999999) / 时间超出有效范围",
        )),
    }
}

pub(super) fn basis_of(b: i32) -> Option<AddressBasis> {
    match pb::AddressBasis::try_from(b) {
        Ok(pb::AddressBasis::Confirmed) => Some(AddressBasis::Confirmed),
        Ok(pb::AddressBasis::Provided) => Some(AddressBasis::Provided),
        Ok(pb::AddressBasis::Discovered) => Some(AddressBasis::Discovered),
        _ => None,
    }
}

pub(super) fn basis_message(b: AddressBasis) -> i32 {
    match b {
        AddressBasis::Confirmed => pb::AddressBasis::Confirmed as i32,
        AddressBasis::Provided => pb::AddressBasis::Provided as i32,
        AddressBasis::Discovered => pb::AddressBasis::Discovered as i32,
    }
}

/// A time for an optional protobuf field (proto3 message fields are optional).
#[expect(
    clippy::unnecessary_wraps,
    reason = "fills the Option fields prost generates for google.protobuf.Timestamp"
)]
pub(super) fn ts(t: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(timestamp(t))
}

pub(super) fn fact_message(f: &DeliveryFact) -> pb::Fact {
    let (kind, channel, at) = match *f {
        DeliveryFact::Reached { channel, at } => ("reached", Some(channel), at),
        DeliveryFact::Bounced { channel, at } => ("bounced", Some(channel), at),
        DeliveryFact::Fetched { at, channel, .. } => ("fetched", channel, at),
        DeliveryFact::ReadReported { channel, at } => ("read_reported", Some(channel), at),
        DeliveryFact::ConfirmedReading { at, channel, .. } => ("confirmed_reading", channel, at),
        DeliveryFact::Replied { at } => ("replied", None, at),
    };
    let portal = matches!(
        f,
        DeliveryFact::Fetched { portal: true, .. }
            | DeliveryFact::ConfirmedReading { portal: true, .. }
    );
    pb::Fact {
        kind: kind.into(),
        channel: channel.map_or(0, channel_message),
        at: ts(at),
        portal,
    }
}

/// A clerk's act on a dead letter, as `RecipientStatus.clerk_actions` lists it.
fn clerk_action_message(a: &ClerkAct) -> pb::ClerkAction {
    pb::ClerkAction {
        channel: channel_message(a.channel),
        at: ts(a.at),
        by: a.by.clone(),
        resolved: a.resolved,
        note: a.note.clone().unwrap_or_default(),
    }
}

/// A recipient's service as the API shows it.
pub fn recipient_message(r: &RecipientService) -> pb::RecipientStatus {
    pb::RecipientStatus {
        order_id: r.order_id.clone(),
        recipient_id: r.recipient.recipient_id.clone(),
        name: r.recipient.name.clone(),
        role: r.recipient.role.clone(),
        state: match r.status() {
            ServiceStatus::Sending => pb::RecipientState::Sending,
            ServiceStatus::Awaiting => pb::RecipientState::Awaiting,
            ServiceStatus::Effective => pb::RecipientState::Effective,
            ServiceStatus::Unserved => pb::RecipientState::Unserved,
        } as i32,
        attempts: r.channels.iter().map(attempt_message).collect(),
        facts: r.facts.iter().map(fact_message).collect(),
        effective: r.effective.map(|e| pb::EffectiveService {
            at: ts(e.at),
            rule: e.rule.name().into(),
            rule_text: e.rule.describe().into(),
            channel: e.channel.map_or(0, channel_message),
            presumed: e.rule.presumed(),
        }),
        dead_letters: r
            .dead_letters
            .iter()
            .map(|d| pb::DeadLetter {
                channel: channel_message(d.channel),
                reason: d.reason.clone(),
                at: ts(d.at),
            })
            .collect(),
        proofs: r.proofs.len() as u32,
        consent_basis: r.recipient.consent_basis.clone(),
        resolution: r.resolution.clone().unwrap_or_default(),
        unverified: r
            .unverified
            .iter()
            .enumerate()
            .map(|(index, u)| unverified_message(index, u))
            .collect(),
        clerk_actions: r.clerk_acts.iter().map(clerk_action_message).collect(),
        reports: r.kept_reports().into_iter().map(kept_report).collect(),
        replies: r
            .replies
            .iter()
            .enumerate()
            .map(|(i, x)| pb::Reply {
                at: ts(x.at),
                channel: x.channel.map_or(0, channel_message),
                from: x.from.clone(),
                text: x.text.clone(),
                index: u32::try_from(i).unwrap_or(u32::MAX),
                disallowed: x.disallowed.is_some(),
                disallowed_by: x
                    .disallowed
                    .as_ref()
                    .map(|d| d.by.clone())
                    .unwrap_or_default(),
                disallowed_note: x
                    .disallowed
                    .as_ref()
                    .map(|d| d.note.clone())
                    .unwrap_or_default(),
                disallowed_at: x.disallowed.as_ref().map(|d| ts(d.at)).unwrap_or_default(),
                attributed: x.attributed.is_some(),
                attributed_by: x
                    .attributed
                    .as_ref()
                    .map(|a| a.by.clone())
                    .unwrap_or_default(),
                attributed_note: x
                    .attributed
                    .as_ref()
                    .map(|a| a.note.clone())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

/// One channel's delivery attempt (address, message id, the text sent, SMS receipts) as the
/// API shows it on a recipient's service.
fn attempt_message(c: &ChannelTrace) -> pb::Attempt {
    pb::Attempt {
        channel: channel_message(c.channel),
        address: c.address.clone(),
        basis: basis_message(c.basis),
        message_id: c.message_id.clone(),
        attempts: c.attempts,
        resends_in_doubt: c.resends_in_doubt,
        sent_at: c.sent_at.and_then(ts),
        gateway_id: c.gateway_id.clone(),
        subject: c.subject.clone(),
        body: ecenter_delivery::link::redact_tokens(&c.body),
        last_error: c.last_error.clone(),
        closed: c.closed,
        maybe_sent: c.maybe_sent || c.resends_in_doubt > 0,
        receipts: c
            .receipts
            .iter()
            .map(|r| pb::SmsReceipt {
                part: r.part.clone(),
                state: serde_json::to_value(r.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                at: ts(r.at),
            })
            .collect(),
        accepted: (c.accepted.iter())
            .map(|a| pb::Acceptance {
                attempt: a.attempt,
                at: ts(a.at),
                gateway_id: a.gateway_id.clone(),
            })
            .collect(),
    }
}

/// The recipient's `index`-th unverified report (a receipt or bounce a clerk must judge) with
/// the clerk's judgment, if any, as the API shows it.
/// A report the hub keeps a copy of, as `RecipientStatus.reports` lists it.
fn kept_report(k: ecenter_domain::review::KeptReport<'_>) -> pb::KeptReport {
    pb::KeptReport {
        report_id: k.report.to_string(),
        kept_sha256: k.source.kept_sha256.clone(),
        received_sha256: k.source.received_sha256.clone().unwrap_or_default(),
        relay: k.source.relay.clone(),
        received_at: ts(k.source.received_at),
        counted: k.counted,
    }
}

fn unverified_message(index: usize, u: &UnverifiedReport) -> pb::UnverifiedReport {
    pb::UnverifiedReport {
        channel: channel_message(u.channel),
        at: ts(u.at),
        detail: u.detail.clone(),
        reason: u.reason.clone(),
        reached: u.reached,
        read: u.read,
        index: index as u32,
        judged: u.judgment.is_some(),
        accepted: u.judgment.as_ref().is_some_and(|j| j.accepted),
        judged_by: u
            .judgment
            .as_ref()
            .map(|j| j.by.clone())
            .unwrap_or_default(),
        judgment_note: u
            .judgment
            .as_ref()
            .map(|j| j.note.clone())
            .unwrap_or_default(),
        judged_at: u.judgment.as_ref().and_then(|j| ts(j.at)),
    }
}

pub(super) fn order_message(o: &OrderSummary) -> pb::OrderStatus {
    pb::OrderStatus {
        order_id: o.ordered.order_id.clone(),
        case_number: o.ordered.order.case_number.normalized(),
        ordered_by: o.ordered.ordered_by.clone(),
        ordered_at: ts(o.ordered_at),
        documents: o
            .ordered
            .documents
            .iter()
            .map(|d| pb::ServedDocument {
                reference: d.reference.clone(),
                name: d.name.clone(),
                sha256: d.sha256.clone(),
                size: d.size,
                media_type: d.media_type.clone(),
                seal: d.seal.clone(),
            })
            .collect(),
        recipient_count: o.recipients as u32,
        recipients: Vec::new(),
        next_after_recipient_id: String::new(),
        links_expire_at: ts(o.ordered.links_expire_at),
    }
}

/// Hex SHA-256 of what identifies a request's content, to tell a retry from a reuse of its id.
pub(super) fn fingerprint(r: &pb::ServeOrderRequest) -> String {
    use prost::Message;
    let mut r = r.clone();
    r.request_id.clear();
    hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        &r.encode_to_vec(),
    ))
}
