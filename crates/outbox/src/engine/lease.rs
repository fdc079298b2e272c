//! Leasing a notice: the `notice_sending` event that is written before any provider sees the
//! notice, with the text that goes out — a fresh link the first time on a channel, the very same
//! text (and link) on every later attempt on it.

use super::Sending;
use crate::config::ServiceContext;
use chrono::Utc;
use ecenter_delivery::link::{REDACTED, redact_tokens, restore_token};
use ecenter_delivery::notice::NoticeContext;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::service::{
    AttemptResult, DueAction, OrderSummary, RecipientEvent, RecipientService, message_id,
};
use ecenter_domain::{DeliveryKey, Event, RecipientKey};
use ecenter_store::{ReadView, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What a leased notice is for: a recipient's service, or a notice of filing.
pub(super) enum Target {
    Service {
        order_id: String,
        recipient_id: String,
    },
    FilingNotice(String),
}

/// A notice leased for sending: what the worker needs.
pub(super) struct Lease {
    pub(super) target: Target,
    pub(super) channel: Channel,
    pub(super) attempt: u32,
    pub(super) address: String,
    pub(super) subject: String,
    pub(super) body: String,
    pub(super) message_id: String,
    pub(super) in_doubt: bool,
}

/// What one append of leases gathers: the events to record, the leases to hand to workers, and
/// the orders read so far (each read once per batch); and who leases: this instance's id, and,
/// when leasing again in doubt, the stopped holders whose leases may be taken over.
pub(super) struct LeaseBatch {
    pub(super) events: Vec<Event>,
    pub(super) leases: Vec<Lease>,
    orders: std::collections::HashMap<String, ecenter_domain::service::OrderSummary>,
    pub(super) holder: String,
    pub(super) stopped: Arc<HashSet<String>>,
}

impl LeaseBatch {
    /// An empty batch leased by `holder`.
    pub(super) fn new(holder: String, stopped: Arc<HashSet<String>>) -> LeaseBatch {
        LeaseBatch {
            events: Vec::new(),
            leases: Vec::new(),
            orders: HashMap::new(),
            holder,
            stopped,
        }
    }
}

/// The lease of one notice, if it is still due: its `notice_sending` event (or, for a suppressed
/// address, a final `notice_result` without sending), added to `batch`.
pub(super) fn lease_one(
    view: &dyn ReadView,
    ctx: &ServiceContext,
    batch: &mut LeaseBatch,
    key: DeliveryKey,
    sending: Sending,
) -> Result<(), StoreError> {
    let LeaseBatch {
        events,
        leases,
        orders,
        holder,
        stopped,
    } = batch;
    let channel = key.channel;
    let RecipientKey {
        order_id: o,
        recipient_id: r,
    } = key.recipient;
    let in_doubt = sending == Sending::InDoubt;
    let Some(service) = view.recipient_service(&o, &r)? else {
        return Ok(());
    };
    let trace = service.trace(channel);
    let resend_in_doubt = in_doubt || trace.is_some_and(|t| t.maybe_sent);
    if !still_due(&service, channel, sending, stopped) {
        return Ok(());
    }
    let Some((address, _)) = service.address(channel) else {
        return Ok(());
    };
    let address = address.to_string();
    let attempt = trace.map_or(0, |t| t.attempts) + 1;
    let event = |e| Event::Service {
        order_id: o.clone(),
        recipient_id: r.clone(),
        event: e,
    };
    if let Some(why) = view.suppressed(&address)? {
        events.push(event(RecipientEvent::NoticeResult {
            channel,
            attempt,
            result: AttemptResult::Permanent {
                detail: format!("{address} 已退信，不再发送（{why}）"),
                suppress: false,
            },
        }));
        return Ok(());
    }
    let order = order_of(view, orders, &o)?;
    let (subject, body, nonce) = notice_text(ctx, order, &service, channel)?;
    let message_id = trace.map_or_else(
        || {
            let tag = notice_tag(&order.ordered.notice_tag, &r, channel);
            message_id(&o, &r, channel, &tag, &ctx.message_host)
        },
        |t| t.message_id.clone(),
    );
    let lease = Lease {
        target: Target::Service {
            order_id: o.clone(),
            recipient_id: r.clone(),
        },
        channel,
        attempt,
        address,
        subject,
        body,
        message_id,
        in_doubt: resend_in_doubt,
    };
    push_lease(events, leases, lease, nonce, holder);
    Ok(())
}

/// The tag in one recipient's notice on one channel: ten hex digits of SHA-256 over the order's
/// random tag, the recipient and the channel. A recipient sees their own notice's Message-ID; were
/// the order's tag in every notice, one recipient could write another's — the id a forged bounce
/// or reply about that notice needs — while a derived tag tells them nothing of the others'.
fn notice_tag(order_tag: &str, recipient_id: &str, channel: Channel) -> String {
    let channel = match channel {
        Channel::Email => "email",
        Channel::Sms => "sms",
    };
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in ["ecenter notice tag", order_tag, recipient_id, channel] {
        ctx.update(part.as_bytes());
        ctx.update(&[0]);
    }
    hex::encode(&ctx.finish().as_ref()[..5])
}

/// Adds the lease's `notice_sending` event (written before any provider sees the notice, with
/// the exact text but for its link's token, and the link nonce) to `events`, and the lease itself
/// to `leases`.
fn push_lease(
    events: &mut Vec<Event>,
    leases: &mut Vec<Lease>,
    lease: Lease,
    nonce: String,
    holder: &str,
) {
    let Target::Service {
        order_id,
        recipient_id,
    } = &lease.target
    else {
        return;
    };
    events.push(Event::Service {
        order_id: order_id.clone(),
        recipient_id: recipient_id.clone(),
        event: RecipientEvent::NoticeSending {
            channel: lease.channel,
            attempt: lease.attempt,
            address: lease.address.clone(),
            message_id: lease.message_id.clone(),
            // Without the link's token: whoever reads the log must not be able to act as the
            // recipient (the nonce and the order's expiry make it again for a resend).
            subject: redact_tokens(&lease.subject),
            body: redact_tokens(&lease.body),
            link_nonce: nonce,
            in_doubt: lease.in_doubt,
            holder: holder.to_string(),
        },
    });
    leases.push(lease);
}

/// Whether the notice on `channel` is still to be leased: due and not in flight, or, when
/// re-sending in doubt, still in flight (its `notice_result` never recorded) under one of the
/// `stopped` holders — not taken over meanwhile by another instance.
fn still_due(
    service: &RecipientService,
    channel: Channel,
    sending: Sending,
    stopped: &HashSet<String>,
) -> bool {
    let in_doubt = sending == Sending::InDoubt;
    let now = Utc::now();
    let trace = service.trace(channel);
    if in_doubt {
        trace.is_some_and(|t| t.in_flight && stopped.contains(&t.holder))
    } else {
        service
            .dues
            .iter()
            .any(|d| d.channel == channel && d.action == DueAction::Send && d.at <= now)
            && !trace.is_some_and(|t| t.in_flight)
    }
}

/// The service order `o`, read once per lease batch and kept in `orders` for the next leases.
fn order_of<'a>(
    view: &dyn ReadView,
    orders: &'a mut HashMap<String, OrderSummary>,
    o: &str,
) -> Result<&'a OrderSummary, StoreError> {
    if !orders.contains_key(o) {
        let summary = view
            .service_order(o)?
            .ok_or_else(|| StoreError::Database(format!("order {o} is missing")))?;
        orders.insert(o.to_string(), summary);
    }
    Ok(&orders[o])
}

/// The subject, body and link nonce of the notice on `channel`: the text sent before on it, or a
/// fresh notice with a new link.
fn notice_text(
    ctx: &ServiceContext,
    order: &OrderSummary,
    service: &RecipientService,
    channel: Channel,
) -> Result<(String, String, String), StoreError> {
    let trace = service.trace(channel);
    // A notice sent before on this channel goes again word for word — the same link, the same
    // nonce: a copy the relay may hold and the resend carry one link, never two (issue #17).
    let earlier = trace.filter(|t| !t.body.is_empty()).and_then(|t| {
        service
            .link_channels
            .iter()
            .rev()
            .find(|(_, c)| *c == channel)
            .map(|(nonce, _)| (t.subject.clone(), t.body.clone(), nonce.clone()))
    });
    Ok(match earlier {
        // Logged with its token (before tokens were kept out of the log): sent as it is.
        Some((subject, body, nonce)) if !subject.contains(REDACTED) && !body.contains(REDACTED) => {
            (subject, body, nonce)
        }
        Some((subject, body, nonce)) => {
            let (o, r) = (&order.ordered.order_id, &service.recipient.recipient_id);
            let expires = order.ordered.links_expire_at.timestamp().max(0) as u64;
            let token = ctx.links.token(o, r, expires, &nonce).ok_or_else(|| {
                StoreError::Database(format!("the logged link nonce of {o}/{r} is damaged"))
            })?;
            (
                with_token(subject, &token)?,
                with_token(body, &token)?,
                nonce,
            )
        }
        None => fresh_notice(ctx, order, service, channel)?,
    })
}

/// A logged text with its link's `token` put back; a text logged with its token (before tokens
/// were kept out of the log) or without a link stays as it is. A text whose mark names another
/// token is refused: sent as it is, it would carry a link nobody can open.
pub(super) fn with_token(logged: String, token: &str) -> Result<String, StoreError> {
    match restore_token(&logged, token) {
        Some(sent) => Ok(sent),
        None if logged.contains(REDACTED) => Err(StoreError::Database(
            "a logged notice names another link than its nonce makes".into(),
        )),
        None => Ok(logged),
    }
}

/// A new notice for `channel`: a fresh link (with its nonce) in the court's template.
fn fresh_notice(
    ctx: &ServiceContext,
    order: &ecenter_domain::service::OrderSummary,
    service: &ecenter_domain::service::RecipientService,
    channel: Channel,
) -> Result<(String, String, String), StoreError> {
    let (o, r) = (&order.ordered.order_id, &service.recipient.recipient_id);
    let expires = order.ordered.links_expire_at;
    let token = ctx.links.issue(o, r, expires.timestamp().max(0) as u64);
    let nonce = ctx
        .links
        .verify(&token, 0)
        .map(|c| c.nonce)
        .map_err(|e| StoreError::Database(format!("a fresh link does not verify: {e}")))?;
    let notice = NoticeContext {
        court: ctx.config.court.clone(),
        case_number: order.ordered.order.case_number.normalized(),
        recipient: service.recipient.name.clone(),
        documents: order
            .ordered
            .documents
            .iter()
            .map(|d| d.name.clone())
            .collect(),
        link: format!("{}/s/{token}", ctx.public_url),
        expires_at: expires,
        contact: ctx.config.contact.clone(),
    };
    let (subject, body) = match channel {
        Channel::Email => ctx.config.templates.email(&notice),
        Channel::Sms => (String::new(), ctx.config.templates.sms(&notice)),
    };
    Ok((subject, body, nonce))
}

impl Lease {
    /// The event that records this attempt's `result`.
    pub(super) fn outcome(self, result: AttemptResult) -> Event {
        match self.target {
            Target::Service {
                order_id,
                recipient_id,
            } => Event::Service {
                order_id,
                recipient_id,
                event: RecipientEvent::NoticeResult {
                    channel: self.channel,
                    attempt: self.attempt,
                    result,
                },
            },
            Target::FilingNotice(notice_id) => Event::FilingNotice {
                notice_id,
                event: ecenter_domain::filing_notice::FilingNoticeEvent::Result {
                    attempt: self.attempt,
                    result,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_notice_has_its_own_tag_which_does_not_give_away_the_orders() {
        let order = "3f9a0c2b71";
        let r1 = notice_tag(order, "R1", Channel::Email);
        let tags = [
            r1.clone(),
            notice_tag(order, "R2", Channel::Email),
            notice_tag(order, "R1", Channel::Sms),
            notice_tag("3f9a0c2b72", "R1", Channel::Email),
        ];
        for (i, t) in tags.iter().enumerate() {
            assert_eq!(t.len(), 10, "{t}");
            assert!(t.bytes().all(|b| b.is_ascii_hexdigit()), "{t}");
            assert_ne!(t, order, "the order's tag is not in a notice");
            assert!(!tags[i + 1..].contains(t), "two notices share {t}");
        }
        // The same notice keeps its tag, so its Message-ID is the same on every attempt.
        assert_eq!(notice_tag(order, "R1", Channel::Email), r1);
        // Fields are delimited: "R1" + "2…" is not "R12" + "…".
        assert_ne!(
            notice_tag("a", "R12", Channel::Sms),
            notice_tag("aR1", "2", Channel::Sms)
        );
    }
}
