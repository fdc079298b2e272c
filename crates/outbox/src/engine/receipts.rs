//! SMS delivery receipts as they come: recorded many per append, each acknowledged to the SMSC
//! once its event is durable; a receipt for an id the hub has not recorded is kept as
//! `sms_receipt_unmatched`, and counts for the notice if a submit naming that id is recorded
//! later (the SMSC reported on one part while the hub was still submitting the others).

use super::Outbox;
use chrono::Utc;
use ecenter_delivery::sms::IncomingReceipt;
use ecenter_domain::Event;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::service::RecipientEvent;
use ecenter_store::{EventStore, ReadView, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long a receipt whose message id is not (yet) known waits for the submit's outcome to be
/// recorded: an SMSC may send the receipt before the hub has written down the id.
const RECEIPT_MATCH_GRACE: Duration = Duration::from_secs(10);
/// Receipts recorded by one log append.
const RECEIPT_BATCH: usize = 512;

impl<S: EventStore> Outbox<S> {
    /// Records SMS delivery receipts as they come, many per append, and acknowledges each to the
    /// SMSC once its event is durable. A receipt for an id not (yet) known waits a little — the SMSC
    /// can be faster than the record of the submit — and is then logged and acknowledged.
    pub(super) async fn record_receipts(
        self: Arc<Self>,
        mut receipts: tokio::sync::mpsc::Receiver<ecenter_delivery::sms::IncomingReceipt>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut waiting: Vec<(Instant, ecenter_delivery::sms::IncomingReceipt)> = Vec::new();
        loop {
            let first = tokio::select! {
                r = receipts.recv() => match r { Some(r) => Some(r), None => return },
                () = tokio::time::sleep(Duration::from_millis(200)), if !waiting.is_empty() => None,
                _ = stop.wait_for(|s| *s) => return,
            };
            let (batch, unreadable): (Vec<_>, Vec<_>) =
                (take_batch(&mut waiting, first, &mut receipts).into_iter())
                    .partition(|(_, r)| r.readable);
            let mut to_keep: Vec<IncomingReceipt> =
                unreadable.into_iter().map(|(_, r)| r).collect();
            if !batch.is_empty() {
                let wanted = self.wanted_receipts(&batch);
                let matched = match self.match_receipts(wanted).await {
                    Ok(m) => m,
                    Err(e) => {
                        // Not recorded and not acknowledged: the SMSC sends them again.
                        tracing::error!(error = %e, lost = batch.len(), "recording SMS receipts failed");
                        continue;
                    }
                };
                for ((since, incoming), known) in batch.into_iter().zip(matched) {
                    if known {
                        self.stats
                            .receipts_recorded
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        incoming.ack().await;
                    } else if since.elapsed() < RECEIPT_MATCH_GRACE {
                        waiting.push((since, incoming));
                    } else {
                        to_keep.push(incoming);
                    }
                }
            }
            if !to_keep.is_empty() {
                self.keep_unmatched(to_keep).await;
            }
        }
    }

    /// The canonical SMSC message id, domain receipt state and text of each receipt of `batch`,
    /// the id in the form the gateway's submit_sm_resp ids were recorded in.
    fn wanted_receipts(
        &self,
        batch: &[(Instant, IncomingReceipt)],
    ) -> Vec<(String, ecenter_domain::service::ReceiptState, String)> {
        let form = self.receipt_id_form();
        batch
            .iter()
            .map(|(_, r)| {
                (
                    form.canonical(&r.receipt.smsc_id),
                    receipt_state(r.receipt.status),
                    r.receipt.text.clone(),
                )
            })
            .collect()
    }

    /// Records a `receipt_reported` for each receipt whose id names a notice sent, all in one
    /// append; returns, receipt by receipt, whether it matched.
    async fn match_receipts(
        &self,
        wanted: Vec<(String, ecenter_domain::service::ReceiptState, String)>,
    ) -> Result<Vec<bool>, StoreError> {
        self.store
            .append(Box::new(move |view: &dyn ReadView| {
                let now = Utc::now();
                let mut events = Vec::new();
                let mut matched = Vec::new();
                for (id, state, text) in wanted {
                    match view.service_by_gateway_id(Channel::Sms, &id)? {
                        Some(key) => {
                            matched.push(true);
                            events.push(Event::Service {
                                order_id: key.order_id,
                                recipient_id: key.recipient_id,
                                event: RecipientEvent::ReceiptReported {
                                    channel: Channel::Sms,
                                    part: id,
                                    state,
                                    at: now,
                                    text,
                                    per_attempt: true,
                                },
                            });
                        }
                        None => matched.push(false),
                    }
                }
                Ok((events, matched))
            }))
            .await
            .map(|(_, m)| m)
    }

    /// Keeps deliver_sm receipts for messages this hub has not recorded (and SMSC notifications
    /// it cannot read, with the state `UNREADABLE`) as `sms_receipt_unmatched`, all in one append,
    /// and acknowledges them once kept (the SMSC sends them again if the log refuses). A readable
    /// one is kept for matching ([`with_awaited_receipts`]) — or, if its SMS was recorded since
    /// the grace ran out, counted for it there and then.
    async fn keep_unmatched(&self, incoming: Vec<IncomingReceipt>) {
        let form = self.receipt_id_form();
        let kept: Vec<(Event, Option<String>)> = incoming
            .iter()
            .map(|i| {
                let r = &i.receipt;
                let status = if i.readable { r.status.word() } else { "UNREADABLE" };
                tracing::warn!(smsc_id = %r.smsc_id, status, "an SMSC notification about no message this hub recorded; kept in the log");
                let part = i.readable.then(|| form.canonical(&r.smsc_id));
                let event = Event::SmsReceiptUnmatched {
                    smsc_id: r.smsc_id.clone(),
                    status: status.to_string(),
                    text: r.text.clone(),
                    awaiting: part.clone().map(|part| ecenter_domain::service::AwaitedReceipt {
                        part,
                        state: receipt_state(r.status),
                    }),
                };
                (event, part)
            })
            .collect();
        let appended = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                let mut events = Vec::with_capacity(kept.len());
                let mut unmatched = 0u64;
                for (event, part) in kept {
                    match (part.as_deref())
                        .map(|p| matched_now(view, p, &event))
                        .transpose()?
                    {
                        Some(Some(reported)) => events.push(reported),
                        _ => {
                            unmatched += 1;
                            events.push(event);
                        }
                    }
                }
                Ok((events, unmatched))
            }))
            .await;
        match appended {
            Ok((_, unmatched)) => {
                self.stats
                    .receipts_unmatched
                    .fetch_add(unmatched, std::sync::atomic::Ordering::Relaxed);
                for i in incoming {
                    i.ack().await;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "keeping unmatched receipts failed; left unacknowledged");
            }
        }
    }
}

/// The `receipt_reported` for `unmatched` (an `sms_receipt_unmatched` about `part`), if an SMS
/// naming `part` has been recorded by now: the race between a receipt's grace running out and
/// its SMS being recorded.
fn matched_now(
    view: &dyn ReadView,
    part: &str,
    unmatched: &Event,
) -> Result<Option<Event>, StoreError> {
    let Event::SmsReceiptUnmatched {
        text,
        awaiting: Some(awaiting),
        ..
    } = unmatched
    else {
        return Ok(None);
    };
    Ok(view
        .service_by_gateway_id(Channel::Sms, part)?
        .map(|key| Event::Service {
            order_id: key.order_id,
            recipient_id: key.recipient_id,
            event: RecipientEvent::ReceiptReported {
                channel: Channel::Sms,
                part: part.to_string(),
                state: awaiting.state,
                at: Utc::now(),
                text: text.clone(),
                per_attempt: true,
            },
        }))
}

/// `events` (send outcomes about to be appended) with, after each accepted SMS, the
/// `receipt_reported` of every receipt about one of its parts that came before it and was kept
/// ([`ReadView::awaited_receipt`]): an SMSC may report on the first part while the hub is still
/// submitting the last. Such a receipt counts from when the SMS is recorded — the hub's record
/// never has the SMS reach the handset before it was sent; its text keeps what the SMSC said.
/// A look-up that fails is logged and passed over: the outcomes are recorded all the same.
pub(super) fn with_awaited_receipts(view: &dyn ReadView, events: Vec<Event>) -> Vec<Event> {
    use ecenter_domain::service::AttemptResult;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let awaited = match &event {
            Event::Service {
                order_id,
                recipient_id,
                event:
                    RecipientEvent::NoticeResult {
                        channel: Channel::Sms,
                        result:
                            AttemptResult::Accepted {
                                gateway_id,
                                receipt_ids,
                                ..
                            },
                        ..
                    },
            } => {
                let parts: Vec<&str> = if receipt_ids.is_empty() {
                    gateway_id.split_whitespace().collect()
                } else {
                    receipt_ids.iter().map(String::as_str).collect()
                };
                awaited_for(view, (order_id, recipient_id), &parts).unwrap_or_else(|e| {
                    tracing::error!(error = %e, order_id, recipient_id, "looking for receipts that came before this SMS failed; passed over");
                    Vec::new()
                })
            }
            _ => Vec::new(),
        };
        out.push(event);
        out.extend(awaited);
    }
    out
}

/// The `receipt_reported` events of the kept receipts about `parts` of the latest SMS attempt of
/// `service` (order, recipient) — only receipts kept after that attempt's lease: an older one
/// names an id the SMSC gave another message (ids wrap, or an earlier attempt's answer was lost).
fn awaited_for(
    view: &dyn ReadView,
    (order_id, recipient_id): (&str, &str),
    parts: &[&str],
) -> Result<Vec<Event>, StoreError> {
    let leased = view
        .recipient_service(order_id, recipient_id)?
        .and_then(|s| {
            s.trace(Channel::Sms)
                .and_then(|t| t.leased_at.or(t.handed_at))
        });
    let Some(leased) = leased else {
        return Ok(Vec::new());
    };
    let now = Utc::now();
    let mut found = Vec::new();
    for part in parts {
        let Some(kept) = view.awaited_receipt(part)?.filter(|k| k.at >= leased) else {
            continue;
        };
        found.push(Event::Service {
            order_id: order_id.to_string(),
            recipient_id: recipient_id.to_string(),
            event: RecipientEvent::ReceiptReported {
                channel: Channel::Sms,
                part: (*part).to_string(),
                state: kept.state,
                at: kept.at.max(now),
                text: kept.text,
                per_attempt: true,
            },
        });
    }
    Ok(found)
}

/// Takes the receipts waiting for their submit to be recorded, `first`, and whatever else has
/// arrived (up to a batch), each with the time it was first seen.
fn take_batch(
    waiting: &mut Vec<(Instant, IncomingReceipt)>,
    first: Option<IncomingReceipt>,
    receipts: &mut tokio::sync::mpsc::Receiver<IncomingReceipt>,
) -> Vec<(Instant, IncomingReceipt)> {
    let mut batch: Vec<(Instant, IncomingReceipt)> = std::mem::take(waiting);
    if let Some(r) = first {
        batch.push((Instant::now(), r));
    }
    while batch.len() < RECEIPT_BATCH {
        match receipts.try_recv() {
            Ok(r) => batch.push((Instant::now(), r)),
            Err(_) => break,
        }
    }
    batch
}

/// The domain's reading of an SMSC's receipt status.
fn receipt_state(
    status: ecenter_delivery::sms::ReceiptStatus,
) -> ecenter_domain::service::ReceiptState {
    use ecenter_delivery::sms::ReceiptStatus as S;
    use ecenter_domain::service::ReceiptState as D;
    match status {
        S::Delivered => D::Delivered,
        S::Undeliverable => D::Undeliverable,
        S::Expired => D::Expired,
        S::Rejected => D::Rejected,
        S::Deleted => D::Deleted,
        S::Accepted | S::Enroute => D::Pending,
        S::Unknown => D::Unknown,
    }
}
