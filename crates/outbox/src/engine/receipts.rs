//! SMS delivery receipts as they come: recorded many per append, each acknowledged to the SMSC
//! once its event is durable; a receipt for an id the hub never sent is kept as
//! `sms_receipt_unmatched`.

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
            let batch = take_batch(&mut waiting, first, &mut receipts);
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
                    self.keep_unmatched(incoming).await;
                }
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

    /// Keeps a deliver_sm receipt for a message this hub never sent as `sms_receipt_unmatched`
    /// and acknowledges it once kept (the SMSC sends it again if the log refuses).
    async fn keep_unmatched(&self, incoming: IncomingReceipt) {
        tracing::warn!(
            smsc_id = %incoming.receipt.smsc_id,
            status = incoming.receipt.status.word(),
            "a delivery receipt for a message this hub never sent; kept in the log and acknowledged"
        );
        self.stats
            .receipts_unmatched
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let event = Event::SmsReceiptUnmatched {
            smsc_id: incoming.receipt.smsc_id.clone(),
            status: incoming.receipt.status.word().to_string(),
            text: incoming.receipt.text.clone(),
        };
        // Acknowledged only once kept: if the log refuses, the SMSC sends it again.
        match self
            .store
            .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
            .await
        {
            Ok(_) => incoming.ack().await,
            Err(e) => {
                tracing::error!(error = %e, "keeping an unmatched receipt failed; left unacknowledged");
            }
        }
    }
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
