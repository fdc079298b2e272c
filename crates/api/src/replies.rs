//! A clerk's judgments of handsets' replies (`DisallowReply`, `SettleReply`; `clerk reply`).
//!
//! The hub never reads a reply's words to decide whether it counts (art. 31 para. 2 asks for a
//! reply; a machine guessing that "你们发错号码了" means a wrong number would decide for the court).
//! So two things are for a clerk, each an event with the clerk's name and a note:
//! - a counted reply found not to be the recipient's is *disallowed*: it stays on record, marked,
//!   and no longer counts (the service projection closes the channel it came by and moves the plan
//!   on if service then no longer stands; a proof already issued gets a version that says so);
//! - a reply no single open service could claim is *settled*: attributed to one service, where it
//!   is recorded as the recipient's reply at the time it arrived, or dismissed. It leaves the
//!   clerks' queue either way; the log keeps both the message and the settlement.

use crate::error::{ApiError, invalid};
use crate::review::clerk_note;
use ecenter_domain::Event;
use ecenter_domain::RecipientKey;
use ecenter_domain::reply::{ReceivedReply, ReplyAttribution, ReplySettlement};
use ecenter_domain::service::RecipientEvent;
use ecenter_proto::v1 as pb;
use ecenter_store::{EventStore, ReadView};
use tonic::Status;

/// Why a judgment was refused inside the append (where the log is the authority).
enum Refusal {
    NoService,
    NoReply,
    AlreadyDisallowed(String),
    NotQueued,
    /// The reply cannot answer that service (it came before any notice, after the links
    /// expired, or the matter was closed by hand): why.
    CannotAnswer(&'static str),
}

/// Records that `request.index` of the recipient's replies was not the recipient's.
///
/// Errors: INVALID_ARGUMENT for a note that is empty or over 500 characters, or an index with no
/// reply; NOT_FOUND for an unknown service; FAILED_PRECONDITION for a reply already disallowed.
pub async fn disallow<S: EventStore>(
    store: &S,
    request: pb::DisallowReplyRequest,
    by: String,
) -> Result<(), Status> {
    let note = clerk_note(&request.note, "回复称发错号码，经电话核实非受送达人")?;
    let key = RecipientKey::new(request.order_id.clone(), request.recipient_id.clone());
    let index = request.index;
    let (_, refused) = store
        .append(Box::new(move |view: &dyn ReadView| {
            let Some(service) = view.recipient_service(&key.order_id, &key.recipient_id)? else {
                return Ok((Vec::new(), Some(Refusal::NoService)));
            };
            let Some(reply) = service.replies.get(index as usize) else {
                return Ok((Vec::new(), Some(Refusal::NoReply)));
            };
            if let Some(d) = &reply.disallowed {
                return Ok((Vec::new(), Some(Refusal::AlreadyDisallowed(d.by.clone()))));
            }
            let event = RecipientEvent::ReplyDisallowed { index, by, note };
            Ok((vec![service_event(&key, event)], None))
        }))
        .await
        .map_err(crate::error::store_status)?;
    let whose = format!("{}/{}", request.order_id, request.recipient_id);
    match refused {
        None => Ok(()),
        Some(Refusal::NoReply) => Err(invalid(
            "index",
            format!("{whose} has no reply at index {index}: see RecipientStatus.replies"),
        )),
        Some(Refusal::AlreadyDisallowed(by)) => Err(ApiError::failed_precondition(format!(
            "reply {index} of {whose} was already disallowed by {by}; that finding is on record"
        ))
        .into()),
        Some(_) => Err(ApiError::not_found(format!("no service {whose}")).into()),
    }
}

/// Attributes the unmatched reply kept as log entry `request.seq` to one service, or dismisses
/// it when no service is named. Returns the service it was attributed to.
///
/// Errors: INVALID_ARGUMENT for a bad note or only one of order and recipient; NOT_FOUND for a
/// position holding no unsettled reply, or an unknown service; FAILED_PRECONDITION for a service
/// the reply cannot answer (it came before any notice went out, after the links expired, or the
/// matter was closed by hand).
pub async fn settle<S: EventStore>(
    store: &S,
    request: pb::SettleReplyRequest,
    by: String,
) -> Result<Option<RecipientKey>, Status> {
    let note = clerk_note(
        &request.note,
        "经电话核实为赵六对（2026）鄂06民初123号的回复",
    )?;
    let to = match (request.order_id.trim(), request.recipient_id.trim()) {
        ("", "") => None,
        ("", _) | (_, "") => {
            return Err(invalid(
                "order_id",
                "name both the order and the recipient to attribute the reply, or neither to dismiss it",
            ));
        }
        (o, r) => Some(RecipientKey::new(o, r)),
    };
    let seq = request.seq;
    let attributed = to.clone();
    let (_, refused) = store
        .append(Box::new(move |view: &dyn ReadView| {
            let Some(entry) = view.unmatched_reply(seq)? else {
                return Ok((Vec::new(), Some(Refusal::NotQueued)));
            };
            let mut events = Vec::new();
            if let Some(key) = &to {
                if let Err(refusal) = can_answer(view, key, entry.at)? {
                    return Ok((Vec::new(), Some(refusal)));
                }
                let reply = ReceivedReply {
                    at: entry.at,
                    channel: Some(entry.reply.channel),
                    from: entry.reply.from.clone(),
                    text: entry.reply.text.clone(),
                    form: String::new(),
                    disallowed: None,
                    attributed: Some(ReplyAttribution {
                        seq,
                        by: by.clone(),
                        note: note.clone(),
                        at: chrono::Utc::now(),
                    }),
                };
                events.push(service_event(key, RecipientEvent::ReplyReceived(reply)));
            }
            let settled = ReplySettlement {
                seq,
                attributed_to: to,
                by,
                note,
            };
            events.insert(0, Event::ReplySettled(settled));
            Ok((events, None))
        }))
        .await
        .map_err(crate::error::store_status)?;
    match refused {
        None => Ok(attributed),
        Some(Refusal::CannotAnswer(why)) => Err(ApiError::failed_precondition(format!(
            "the reply at log position {seq} cannot answer {}/{}: {why}",
            request.order_id, request.recipient_id
        ))
        .into()),
        Some(Refusal::NotQueued) => Err(ApiError::not_found(format!(
            "no unsettled reply at log position {seq}: it was settled already, or is no reply; see ListDeadLetters"
        ))
        .into()),
        Some(_) => Err(ApiError::not_found(format!(
            "no service {}/{}",
            request.order_id, request.recipient_id
        ))
        .into()),
    }
}

/// Whether a reply that arrived at `at` can answer `key`'s service: a notice of it had gone out
/// (the earliest a recipient can answer), its order's links had not expired, and no clerk had
/// closed the matter by hand. Attributing it then counts it at `at`, like any reply.
fn can_answer(
    view: &dyn ReadView,
    key: &RecipientKey,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Result<(), Refusal>, ecenter_store::StoreError> {
    let Some(service) = view.recipient_service(&key.order_id, &key.recipient_id)? else {
        return Ok(Err(Refusal::NoService));
    };
    let first_notice = service.channels.iter().filter_map(|c| c.sent_at).min();
    if first_notice.is_none_or(|sent| at < sent) {
        return Ok(Err(Refusal::CannotAnswer(
            "it arrived before any notice of that service went out",
        )));
    }
    if let Some(order) = view.service_order(&key.order_id)?
        && at > order.ordered.links_expire_at
    {
        return Ok(Err(Refusal::CannotAnswer(
            "it arrived after that order's links expired",
        )));
    }
    if service.resolution.is_some() {
        return Ok(Err(Refusal::CannotAnswer(
            "a clerk closed that service by hand",
        )));
    }
    Ok(Ok(()))
}

fn service_event(key: &RecipientKey, event: RecipientEvent) -> Event {
    Event::Service {
        order_id: key.order_id.clone(),
        recipient_id: key.recipient_id.clone(),
        event,
    }
}
