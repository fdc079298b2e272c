//! What the SMSC sends on its own: a deliver_sm or data_sm read the same way, as a delivery
//! receipt, an SMSC notification the hub cannot read, or a handset's message (a reply).

use super::*;

/// What a deliver_sm or a data_sm from the SMSC carries, read the same way.
pub(super) struct Message<'a> {
    source_addr: String,
    destination_addr: String,
    esm_class: u8,
    data_coding: u8,
    short_message: &'a [u8],
    tlvs: &'a [rusmpp::tlvs::Tlv],
}

impl<'a> Message<'a> {
    pub(super) fn deliver_sm(sm: &'a DeliverSm) -> Self {
        Message {
            source_addr: sm.source_addr.to_string(),
            destination_addr: sm.destination_addr.to_string(),
            esm_class: u8::from(sm.esm_class),
            data_coding: u8::from(sm.data_coding),
            short_message: sm.short_message().as_ref(),
            tlvs: sm.tlvs(),
        }
    }

    /// A data_sm has no short_message: its text is in message_payload (§4.7.1).
    pub(super) fn data_sm(sm: &'a DataSm) -> Self {
        Message {
            source_addr: sm.source_addr.to_string(),
            destination_addr: sm.destination_addr.to_string(),
            esm_class: u8::from(sm.esm_class),
            data_coding: u8::from(sm.data_coding),
            short_message: &[],
            tlvs: sm.tlvs(),
        }
    }

    /// `source_addr` and `destination_addr`, as an [`IncomingReceipt`] carries them.
    fn addresses(&self) -> [String; 2] {
        [self.source_addr.clone(), self.destination_addr.clone()]
    }

    /// The user data: short_message, or the message_payload TLV when short_message is empty.
    fn user_data(&self) -> Vec<u8> {
        let payload = self.tlvs.iter().find_map(|t| match t.value() {
            Some(TlvValue::MessagePayload(p)) => Some(p.value.as_ref().to_vec()),
            _ => None,
        });
        match (self.short_message, payload) {
            ([], Some(p)) => p,
            (b, _) => b.to_vec(),
        }
    }
}

/// Handles a message from the SMSC: a delivery receipt goes to the receipt recorder (acknowledged
/// once recorded), and so does an SMSC notification the hub cannot read (kept for the clerks);
/// a handset's own message is taken as a reply.
pub(super) async fn handle_message(
    inner: &Inner,
    receipts: &mpsc::Sender<IncomingReceipt>,
    message: Message<'_>,
    ack: Ack,
) {
    let fields = ReceiptFields::read(
        message.esm_class,
        message.data_coding,
        message.short_message,
        message.tlvs,
    );
    match fields.receipt() {
        Some(receipt) => {
            inner.stats.receipts.fetch_add(1, Ordering::Relaxed);
            let incoming = IncomingReceipt {
                receipt,
                readable: true,
                addresses: message.addresses(),
                ack: Some(ack),
            };
            if receipts.send(incoming).await.is_err() {
                tracing::warn!("nobody records receipts; leaving it unacknowledged");
            }
        }
        None if fields.from_the_smsc() => {
            // The SMSC's, but unreadable: never a reply; kept in the log for the clerks, and
            // acknowledged once kept so it stops.
            tracing::warn!(esm_class = fields.esm_class, text = %fields.text.chars().take(160).collect::<String>(), "an SMSC notification the hub cannot read; kept in the log");
            let incoming = IncomingReceipt {
                receipt: Receipt {
                    smsc_id: fields.tlv_id.clone().unwrap_or_default(),
                    status: ReceiptStatus::Unknown,
                    done_at: None,
                    err: String::new(),
                    text: fields.text.clone(),
                },
                readable: false,
                addresses: message.addresses(),
                ack: Some(ack),
            };
            if receipts.send(incoming).await.is_err() {
                tracing::warn!("nobody records receipts; leaving it unacknowledged");
            }
        }
        None => take_reply(inner, &message, ack).await,
    }
}

/// A handset's own message, perhaps the recipient's reply (art. 31 para. 2): decoded and handed to
/// whoever records replies, or acknowledged at once when nobody does.
async fn take_reply(inner: &Inner, message: &Message<'_>, ack: Ack) {
    let reply = IncomingReply {
        from: message.source_addr.clone(),
        text: crate::sms_reply::decode(
            message.esm_class,
            message.data_coding,
            &message.user_data(),
        ),
        ack: Some(ack),
    };
    let untaken = inner.replies_rx.lock().expect("replies lock").is_some();
    let sent = if untaken {
        Err(mpsc::error::TrySendError::Closed(reply))
    } else {
        inner.replies.try_send(reply)
    };
    match sent {
        Ok(()) => {}
        // Never acknowledged unrecorded: the SMSC keeps it and sends it again.
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!(
                "handsets' messages arrive faster than they are recorded; this one is left unacknowledged for the SMSC to send again"
            );
        }
        Err(mpsc::error::TrySendError::Closed(reply)) => {
            tracing::info!("a handset's message arrived and nobody records replies; acknowledged");
            reply.ack().await;
        }
    }
}
