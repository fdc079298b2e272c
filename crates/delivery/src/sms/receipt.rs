//! Delivery receipts (SMPP 3.4 appendix B): the `stat:` a receipt reports, the receipt's text
//! parsed, and a receipt as it arrives from the SMSC.

use super::*;

/// The final or intermediate state a delivery receipt reports (SMPP 3.4 appendix B `stat:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptStatus {
    /// DELIVRD: reached the handset.
    Delivered,
    /// UNDELIV: could not be delivered.
    Undeliverable,
    /// EXPIRED: validity ran out before delivery.
    Expired,
    /// REJECTD: the network refused it.
    Rejected,
    /// DELETED: deleted before delivery.
    Deleted,
    /// ACCEPTD: accepted by the network, not (yet) known to be delivered. Not final.
    Accepted,
    /// ENROUTE: still on its way. Not final.
    Enroute,
    /// UNKNOWN: the network does not know.
    Unknown,
}

impl ReceiptStatus {
    /// The `stat:` word for it.
    pub fn word(self) -> &'static str {
        match self {
            ReceiptStatus::Delivered => "DELIVRD",
            ReceiptStatus::Undeliverable => "UNDELIV",
            ReceiptStatus::Expired => "EXPIRED",
            ReceiptStatus::Rejected => "REJECTD",
            ReceiptStatus::Deleted => "DELETED",
            ReceiptStatus::Accepted => "ACCEPTD",
            ReceiptStatus::Enroute => "ENROUTE",
            ReceiptStatus::Unknown => "UNKNOWN",
        }
    }

    pub(super) fn from_word(word: &str) -> Option<ReceiptStatus> {
        Some(match word.to_ascii_uppercase().as_str() {
            "DELIVRD" | "DELIVERED" => ReceiptStatus::Delivered,
            "UNDELIV" | "UNDELIVERABLE" => ReceiptStatus::Undeliverable,
            "EXPIRED" => ReceiptStatus::Expired,
            "REJECTD" | "REJECTED" => ReceiptStatus::Rejected,
            "DELETED" => ReceiptStatus::Deleted,
            "ACCEPTD" | "ACCEPTED" => ReceiptStatus::Accepted,
            "ENROUTE" => ReceiptStatus::Enroute,
            "UNKNOWN" => ReceiptStatus::Unknown,
            _ => return None,
        })
    }

    /// From the `message_state` TLV (SMPP 3.4 §5.2.28).
    pub(super) fn from_state(state: u8) -> Option<ReceiptStatus> {
        Some(match state {
            1 => ReceiptStatus::Enroute,
            2 => ReceiptStatus::Delivered,
            3 => ReceiptStatus::Expired,
            4 => ReceiptStatus::Deleted,
            5 => ReceiptStatus::Undeliverable,
            6 => ReceiptStatus::Accepted,
            7 => ReceiptStatus::Unknown,
            8 => ReceiptStatus::Rejected,
            _ => return None,
        })
    }
}

/// A delivery receipt as the SMSC sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The SMSC's id of the part it is about (as in `submit_sm_resp`).
    pub smsc_id: String,
    /// What it says.
    pub status: ReceiptStatus,
    /// `done date:` when given (the SMSC's clock, read as UTC).
    pub done_at: Option<DateTime<Utc>>,
    /// `err:` (network error code), empty when absent.
    pub err: String,
    /// The receipt's whole text, for the trace.
    pub text: String,
}

/// Reads a delivery receipt: the `id:… stat:…` text of SMPP 3.4 appendix B, with the
/// `receipted_message_id` and `message_state` TLVs taking precedence when present (SMSCs differ).
/// `None` for a message that is not a receipt (a reply from the handset).
pub fn parse_receipt(text: &str, tlv_id: Option<&str>, tlv_state: Option<u8>) -> Option<Receipt> {
    let lower = text.to_ascii_lowercase();
    let field = |name: &str| -> Option<String> {
        let start = lower.find(&format!("{name}:"))? + name.len() + 1;
        // `id: 1A2B3C5E`: some SMSCs put a space after the colon.
        let rest = text[start..].trim_start_matches(' ');
        let end = if name == "submit date" || name == "done date" {
            rest.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len())
        } else {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        };
        Some(rest[..end].to_string())
    };
    let smsc_id = tlv_id
        .map(str::to_string)
        .filter(|s| !s.is_empty())
        .or_else(|| field("id"))?;
    // A receipt whose state word is not appendix B's (Chinese gateways send CMPP codes such as
    // `MK:0012`) is a receipt of unknown outcome, never "no receipt".
    let status = tlv_state.and_then(ReceiptStatus::from_state).or_else(|| {
        field("stat").map(|w| ReceiptStatus::from_word(&w).unwrap_or(ReceiptStatus::Unknown))
    })?;
    let done_at = field("done date").and_then(|d| {
        let fmt = if d.len() == 12 {
            "%y%m%d%H%M%S"
        } else {
            "%y%m%d%H%M"
        };
        NaiveDateTime::parse_from_str(&d, fmt)
            .ok()
            .map(|n| n.and_utc())
    });
    Some(Receipt {
        smsc_id,
        status,
        done_at,
        err: field("err").unwrap_or_default(),
        text: text.to_string(),
    })
}

/// A receipt to record; acknowledge it once recorded (else the SMSC sends it again later).
pub struct IncomingReceipt {
    /// The receipt.
    pub receipt: Receipt,
    /// Whether the SMSC's notification could be read as a receipt at all. An unreadable one (no
    /// `id:` or `stat:`, an intermediate notification) carries only its text (and the TLV id, if
    /// any) with [`ReceiptStatus::Unknown`]: it is kept in the log for the clerks, never matched.
    pub readable: bool,
    /// The deliver_sm's `source_addr` and `destination_addr` as received. SMPP 3.4 §4.6.1 has a
    /// receipt come *from* the handset the message went to (and some SMSCs swap the two): the hub
    /// counts a receipt only when one of them names the number its SMS went to, or both are empty.
    pub addresses: [String; 2],
    pub(super) ack: Option<super::Ack>,
}

impl IncomingReceipt {
    /// Sends `deliver_sm_resp` (or `data_sm_resp`): the SMSC may forget the receipt now.
    pub async fn ack(mut self) {
        if let Some(ack) = self.ack.take() {
            ack.send("a delivery receipt").await;
        }
    }
}
