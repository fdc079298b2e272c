//! Names of the things service is done to, typed so that an order id is never passed where a
//! recipient id belongs: one recipient of one serve order ([`RecipientKey`]), and that
//! recipient's delivery on one channel ([`DeliveryKey`]).

use crate::effective_service::Channel;
use std::fmt;

/// One recipient (`R1`, `R2`…) of one serve order (`O…`): the key of every per-recipient record.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct RecipientKey {
    /// The serve order.
    pub order_id: String,
    /// The recipient within it.
    pub recipient_id: String,
}

impl RecipientKey {
    /// The key of `recipient_id` in `order_id`.
    pub fn new(order_id: impl Into<String>, recipient_id: impl Into<String>) -> RecipientKey {
        RecipientKey {
            order_id: order_id.into(),
            recipient_id: recipient_id.into(),
        }
    }

    /// This recipient's delivery on `channel`.
    pub fn on(self, channel: Channel) -> DeliveryKey {
        DeliveryKey {
            recipient: self,
            channel,
        }
    }
}

impl fmt::Display for RecipientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.order_id, self.recipient_id)
    }
}

/// A recipient's delivery on one channel: what the outbox leases, sends and times out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryKey {
    /// Whose delivery.
    pub recipient: RecipientKey,
    /// On which channel.
    pub channel: Channel,
}

impl fmt::Display for DeliveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?})", self.recipient, self.channel)
    }
}

/// Whether `id` has the form of a filing id the hub issues: `F` and twelve digits
/// (`F000000000012`), so that a caller's text never reaches the log as one.
pub fn is_filing_id(id: &str) -> bool {
    id.len() == 13 && id.starts_with('F') && id[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_f_and_twelve_digits_is_a_filing_id() {
        assert!(super::is_filing_id("F000000000012"));
        for not in [
            "F12",
            "f000000000012",
            "F00000000001X",
            "F0000000000123",
            "F００００００００００１２",
        ] {
            assert!(!super::is_filing_id(not), "{not}");
        }
    }

    #[test]
    fn keys_show_order_then_recipient_then_channel() {
        let key = RecipientKey::new("O000000000001", "R2");
        assert_eq!(key.to_string(), "O000000000001/R2");
        assert_eq!(key.on(Channel::Sms).to_string(), "O000000000001/R2 (Sms)");
    }
}
