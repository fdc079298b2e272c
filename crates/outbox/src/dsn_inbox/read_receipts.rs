//! Read receipts in the bounce maildir (RFC 8098 message disposition notifications: the notice
//! asks for none, but mail programs send them on the reader's initiative or by their settings).
//! One saying the notice was `displayed` is the fact of art. 31 para. 2 (2) — the recipient's
//! system reported it read — but it comes from the recipient's side, where no relay of the court
//! can vouch for it, and anyone who saw the notice's Message-ID could write one. So it is kept
//! (its copy in the blob store) and set aside for the clerks as a claim of reading
//! (`UnverifiedReport::read`); a clerk who accepts it records `read_reported`, and the art. 31
//! table decides, the effect presumed. One such claim waits per notice at a time.

use super::{KeptCopy, SentNotice, for_clerk, outside_witnessed};
use chrono::{Timelike, Utc};
use ecenter_delivery::dsn;
use ecenter_delivery::mdn::ReadReceipt;
use ecenter_domain::Event;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::service::{ChannelTrace, RecipientEvent, RecipientService, UnverifiedReport};
use ecenter_store::{EventStore, ReadView, StoreError};
use std::path::Path;

/// Keeps `receipt` (the message `raw`, read from `file`) for the clerks when it names an e-mail
/// notice this hub sent, speaks for the mailbox that notice went to and says it was displayed;
/// anything else is only traced.
pub(super) async fn keep<S: EventStore>(
    store: &S,
    receipt: ReadReceipt,
    raw: &[u8],
    file: &Path,
) -> Result<(), StoreError> {
    let file = file.display();
    let notice = receipt.original_message_id.clone();
    let Some(sent) = SentNotice::find(&notice, |o, r| store.recipient_service(o, r))? else {
        tracing::warn!(%file, "a read receipt naming no notice this hub sent; ignored");
        return Ok(());
    };
    if !dsn::same_mailbox(receipt.mailbox(), &sent.trace.address) {
        tracing::warn!(%file, named = receipt.mailbox(), "a read receipt from another mailbox than the notice went to; ignored");
        return Ok(());
    }
    if !receipt.displayed {
        tracing::info!(%file, disposition = %receipt.disposition, "a disposition notification that claims no reading (deleted, processed, dispatched); traced");
        return Ok(());
    }
    let report = dsn::report_id(raw);
    let copy = KeptCopy::write(store, raw, Utc::now()).await?;
    store
        .append(Box::new(move |view: &dyn ReadView| {
            let Some(sent) = SentNotice::read(view, &notice)? else {
                return Ok((Vec::new(), ()));
            };
            if let Some(why) = nothing_new(&sent.service, &report) {
                tracing::info!(notice = %notice, "a read receipt, but {why}: nothing new to record");
                return Ok((Vec::new(), ()));
            }
            let event = set_aside(&receipt, &sent.trace, &copy, report.clone());
            let event = Event::Service {
                order_id: sent.order_id,
                recipient_id: sent.recipient_id,
                event,
            };
            Ok((vec![event], ()))
        }))
        .await?;
    Ok(())
}

/// Why a read receipt adds nothing to `service`, when it does not: this very receipt (`report`)
/// is recorded, or a claim of reading its e-mail notice already waits for a clerk.
fn nothing_new(service: &RecipientService, report: &str) -> Option<&'static str> {
    if service.reports.iter().any(|r| r == report) {
        Some("this receipt is already recorded")
    } else if (service.unverified.iter())
        .any(|u| u.read && u.channel == Channel::Email && u.judgment.is_none())
    {
        Some("a claim of reading already waits for a clerk")
    } else {
        None
    }
}

/// The receipt set aside as a claim of reading. Its time is the one it states (its `Date:`)
/// when that lies between the relay taking the notice and the hub reading the receipt, else the
/// hub's receive time, the detail saying why — as for any report.
fn set_aside(
    receipt: &ReadReceipt,
    trace: &ChannelTrace,
    copy: &KeptCopy,
    report: String,
) -> RecipientEvent {
    let received = copy.received_at;
    let handed = (trace.handed_at.or(trace.sent_at).unwrap_or(received))
        .with_nanosecond(0)
        .unwrap_or(received);
    let (at, why) = match receipt.date {
        Some(t) if t >= handed && t <= received => (t, String::new()),
        Some(t) => (received, outside_witnessed(t, handed, received)),
        None => (received, "；回执未载明时间，以平台收到回执的时间为准 / the receipt states no time: the hub's receive time is used".into()),
    };
    RecipientEvent::ReportSetAside(UnverifiedReport {
        channel: Channel::Email,
        at,
        detail: format!("{}{why}", receipt.summary()),
        reason: reason(receipt, &trace.address),
        reached: true,
        suppress: false,
        read: true,
        judgment: None,
        report,
        source: Some(copy.source("", receipt.date)),
    })
}

/// Why a read receipt goes to a clerk, in Chinese for the record, then in English.
fn reason(receipt: &ReadReceipt, address: &str) -> String {
    for_clerk(
        "受送达人邮箱一方发回的已读回执（RFC 8098），称通知已向该邮箱的读者显示；此类回执无法认证，任何见过通知编号者均可发送",
        format_args!(
            "a read receipt (RFC 8098 message disposition notification, Disposition: {}): it claims the notice was displayed to whoever reads {address}; no relay of the court can vouch for it",
            receipt.disposition
        ),
    )
}
