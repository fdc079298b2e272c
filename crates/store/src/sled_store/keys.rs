//! How the read models lay out their keys in sled (queues by prefix, dues by time, gateway ids by
//! channel) and how stored values decode, each decoding failure naming what it was.

use super::*;
use ecenter_domain::service::sms_part_key;

pub(super) fn decode_seal(bytes: &[u8]) -> Result<SealRecord, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Database(format!("stored seal does not decode: {e}")))
}

pub(super) fn decode_filing(bytes: &[u8]) -> Result<Filing, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Database(format!("stored filing does not decode: {e}")))
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Database(format!("stored {what} does not decode: {e}")))
}

/// Prefixes of the `service_queues` tree.
pub(super) const DEAD_LETTER: u8 = b'D';
pub(super) const IN_FLIGHT: u8 = b'I';
pub(super) const PROOF_DUE: u8 = b'P';
/// Recipients with a report set aside that no clerk has judged yet.
pub(super) const REVIEW: u8 = b'V';
/// Handsets' messages no single open service could claim, by log position.
pub(super) const UNMATCHED_REPLY: u8 = b'M';
/// Provider message ids (SMS parts) → the service they belong to.
pub(super) const GATEWAY_ID: u8 = b'G';
/// SMS part ids a receipt named before any recorded submit did → that receipt
/// ([`crate::AwaitedReceiptEntry`]), until a submit naming the part is recorded.
pub(super) const AWAITED_RECEIPT: u8 = b'W';

/// SMSC receipts no SMS claims, by log position ([`crate::UnmatchedReceiptEntry`]).
pub(super) const UNMATCHED_RECEIPT: u8 = b'U';

/// The `UNMATCHED_RECEIPT` key of the receipt recorded as entry `seq`.
pub(super) fn unmatched_receipt_key(seq: u64) -> Vec<u8> {
    let mut k = vec![UNMATCHED_RECEIPT];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The `AWAITED_RECEIPT` key of SMS part `part`.
pub(super) fn awaited_receipt_key(part: &str) -> Vec<u8> {
    let mut k = vec![AWAITED_RECEIPT];
    k.extend_from_slice(sms_part_key(part).as_bytes());
    k
}

/// Normalised phone number, order id, recipient id → nothing: services whose SMS notice the SMSC
/// accepted for that number (what a handset's reply is matched by).
pub(super) const SMS_SENT_TO: u8 = b'N';

/// The `SMS_SENT_TO` key of `number` (normalised) and recipient `recipient_id` of `order_id`;
/// without them (`None`), the prefix of every service of `number`.
pub(super) fn sms_sent_key(number: &str, service: Option<(&str, &str)>) -> Vec<u8> {
    let mut k = vec![SMS_SENT_TO];
    k.extend_from_slice(number.as_bytes());
    k.push(0);
    if let Some((order_id, recipient_id)) = service {
        k.extend_from_slice(&key2(order_id, recipient_id));
    }
    k
}

/// The `GATEWAY_ID` key of a provider's message id: an SMS part's as
/// [`sms_part_key`] compares it, a relay's queue id as given.
pub(super) fn gateway_key(channel: Channel, gateway_id: &str) -> Vec<u8> {
    let mut k = vec![GATEWAY_ID];
    let id = match channel {
        Channel::Sms => sms_part_key(gateway_id),
        Channel::Email => gateway_id.to_string(),
    };
    k.extend_from_slice(&key2(channel_name(channel), &id));
    k
}

pub(super) fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Sms => "sms",
    }
}

pub(super) fn channel_of(name: &[u8]) -> Result<Channel, StoreError> {
    match name {
        b"email" => Ok(Channel::Email),
        b"sms" => Ok(Channel::Sms),
        other => Err(StoreError::Database(format!(
            "unknown channel {} in the outbox",
            String::from_utf8_lossy(other)
        ))),
    }
}

pub(super) fn queue_key(
    prefix: u8,
    order_id: &str,
    recipient_id: &str,
    channel: Option<Channel>,
) -> Vec<u8> {
    let mut k = vec![prefix];
    k.extend_from_slice(&key2(order_id, recipient_id));
    if let Some(c) = channel {
        k.push(0);
        k.extend_from_slice(channel_name(c).as_bytes());
    }
    k
}

/// `due` keys sort by time: big-endian milliseconds, then who and what.
pub(super) fn due_key(order_id: &str, recipient_id: &str, due: &Due) -> Vec<u8> {
    let ms = due.at.timestamp_millis().max(0) as u64;
    let mut k = ms.to_be_bytes().to_vec();
    k.extend_from_slice(&key2(order_id, recipient_id));
    k.push(0);
    k.extend_from_slice(channel_name(due.channel).as_bytes());
    k.push(0);
    k.push(match due.action {
        DueAction::Send => b's',
        DueAction::Deadline => b'd',
        DueAction::ReceiptTimeout => b'r',
    });
    k
}

pub(super) fn decode_due_key(k: &[u8]) -> Result<DueWork, StoreError> {
    let bad = || StoreError::Database("malformed outbox key".into());
    if k.len() < 8 {
        return Err(bad());
    }
    let ms = u64::from_be_bytes(k[..8].try_into().map_err(|_| bad())?);
    let parts: Vec<&[u8]> = k[8..].split(|b| *b == 0).collect();
    let [order, recipient, channel, action] = parts.as_slice() else {
        return Err(bad());
    };
    Ok(DueWork {
        order_id: String::from_utf8_lossy(order).into_owned(),
        recipient_id: String::from_utf8_lossy(recipient).into_owned(),
        due: Due {
            at: chrono::DateTime::from_timestamp_millis(ms as i64).ok_or_else(bad)?,
            channel: channel_of(channel)?,
            action: match *action {
                b"s" => DueAction::Send,
                b"d" => DueAction::Deadline,
                b"r" => DueAction::ReceiptTimeout,
                _ => return Err(bad()),
            },
        },
    })
}

/// Recipients are stored by order, then by number (`R2` before `R10`).
pub(super) fn service_key(order_id: &str, recipient_id: &str) -> Vec<u8> {
    match recipient_id
        .strip_prefix('R')
        .and_then(|n| n.parse::<u64>().ok())
    {
        Some(n) => key2(order_id, &format!("R{n:010}")),
        None => key2(order_id, recipient_id),
    }
}

pub(super) fn read_recipient(
    tree: &sled::Tree,
    order_id: &str,
    recipient_id: &str,
) -> Result<Option<RecipientService>, StoreError> {
    tree.get(service_key(order_id, recipient_id))?
        .map(|v| decode(&v, "recipient service"))
        .transpose()
}

/// Head, hashes of wanted entries, and accepted losses of a log.
pub(crate) type LogAuditParts = (
    ChainHead,
    std::collections::BTreeMap<u64, [u8; 32]>,
    Vec<(u64, u64)>,
);
