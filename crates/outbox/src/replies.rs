//! Handsets' messages from the SMSC (mobile-originated SMS): a reply from the number a notice went
//! to completes service (art. 31 para. 2 (1)) when it names exactly one open service; any other
//! message — from an unknown number, or one with several services open — is kept for the clerks
//! with its text (`reply_unmatched`, listed by `ListDeadLetters`). Each message is acknowledged to
//! the SMSC only once its event is durable; if the log refuses, the SMSC sends it again.

use chrono::Utc;
use ecenter_delivery::sms_reply::IncomingReply;
use ecenter_domain::Event;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::reply::{ReceivedReply, UnmatchedReply, normalize_number};
use ecenter_domain::service::RecipientEvent;
use ecenter_store::{EventStore, ReadView, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Records replies as they come until `stop` turns true.
pub async fn record<S: EventStore>(
    store: Arc<S>,
    mut replies: mpsc::Receiver<IncomingReply>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let reply = tokio::select! {
            r = replies.recv() => match r { Some(r) => r, None => return },
            _ = stop.wait_for(|s| *s) => return,
        };
        match record_one(&*store, &reply).await {
            Ok(()) => reply.ack().await,
            Err(e) => {
                tracing::error!(error = %e, "recording a handset's message failed; left unacknowledged");
            }
        }
    }
}

/// The open services a message from `number` may answer (`O…/R…`): the SMSC accepted an SMS
/// notice to that number, the order's links have not expired, no clerk resolved the matter by
/// hand, and no clerk found an earlier reply from that number was not the recipient's (a wrong
/// number's later messages go to the clerks, not into the service). Only the services sent to
/// that number are read (the read model's index by number), however many orders the hub holds.
fn open_services<S: EventStore>(store: &S, number: &str) -> Result<Vec<String>, StoreError> {
    let now = Utc::now();
    let mut open = Vec::new();
    let mut sent = store.sms_sent_to(number)?;
    // Newest order first, its recipients by number (R2 before R10): as clerks list them.
    sent.sort_by_key(|k| {
        let n = k
            .recipient_id
            .strip_prefix('R')
            .and_then(|n| n.parse::<u64>().ok());
        (
            std::cmp::Reverse(k.order_id.clone()),
            n,
            k.recipient_id.clone(),
        )
    });
    for key in sent {
        let (id, rid) = (&key.order_id, &key.recipient_id);
        let Some(order) = store.service_order(id)? else {
            continue;
        };
        let Some(service) = store.recipient_service(id, rid)? else {
            continue;
        };
        if order.ordered.links_expire_at <= now {
            continue;
        }
        let sent_here = service.trace(Channel::Sms).is_some_and(|t| {
            t.sent_at.is_some() && normalize_number(&t.address).as_deref() == Some(number)
        });
        let disowned = service.replies.iter().any(|r| {
            r.disallowed.is_some()
                && r.attributed.is_none()
                && r.channel == Some(Channel::Sms)
                && normalize_number(&r.from).as_deref() == Some(number)
        });
        if sent_here && !disowned && service.resolution.is_none() {
            open.push(format!("{id}/{rid}"));
        }
    }
    Ok(open)
}

async fn record_one<S: EventStore>(store: &S, reply: &IncomingReply) -> Result<(), StoreError> {
    // A sender that is no Chinese number (another country's, alphanumeric) answers no service.
    // An empty message (a data_sm without payload, a binary one decoded to nothing) answers
    // nothing by itself: the clerks see it.
    let candidates = match normalize_number(&reply.from) {
        Some(number) if !reply.text.trim().is_empty() => open_services(store, &number)?,
        _ => Vec::new(),
    };
    // A text that reads as a delivery receipt (`id:… stat:…`, SMPP 3.4 appendix B) is what an
    // SMSC that leaves the receipt type out of esm_class sends, from the recipient's number: it
    // proves no reply by itself, whatever its state says, so the clerks judge it.
    let reads_as_receipt = ecenter_delivery::sms::parse_receipt(&reply.text, None, None).is_some();
    let (from, text) = (reply.from.clone(), reply.text.clone());
    tracing::info!(
        matches = candidates.len(),
        reads_as_receipt,
        "a handset's message arrived"
    );
    store
        .append(Box::new(move |view: &dyn ReadView| {
            let event = match candidates.as_slice() {
                [one] if !reads_as_receipt => {
                    let (o, r) = one.split_once('/').expect("made above");
                    // Still there (the log is the authority; the scan ran outside the append).
                    if view.recipient_service(o, r)?.is_none() {
                        return Ok((Vec::new(), ()));
                    }
                    Event::Service {
                        order_id: o.to_string(),
                        recipient_id: r.to_string(),
                        event: RecipientEvent::ReplyReceived(ReceivedReply {
                            at: Utc::now(),
                            channel: Some(Channel::Sms),
                            from,
                            text,
                            form: String::new(),
                            disallowed: None,
                            attributed: None,
                        }),
                    }
                }
                _ => Event::ReplyUnmatched(UnmatchedReply {
                    channel: Channel::Sms,
                    from,
                    text,
                    candidates,
                }),
            };
            Ok((vec![event], ()))
        }))
        .await?;
    Ok(())
}
