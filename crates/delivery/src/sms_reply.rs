//! A handset's own message (mobile-originated, MO) arriving on the session: the recipient's reply
//! to a notice (SPC Online Litigation Rules art. 31 para. 2: a reply completes service). The SMSC
//! vouches for the sending number — it is the network's, not the sender's, to write — so a reply
//! from the number the notice went to is the recipient's act. The text is kept as sent.

/// The longest reply text kept (characters); SMS parts are short, a payload TLV need not be.
pub const MAX_REPLY_CHARS: usize = 2000;

/// A handset's message, to record; acknowledge it once recorded.
pub struct IncomingReply {
    /// The sending number (`source_addr`), as the SMSC gave it.
    pub from: String,
    /// The text, decoded (UCS-2, GSM/ASCII or Latin-1), without a user data header.
    pub text: String,
    pub(crate) ack: Option<crate::sms::Ack>,
}

impl IncomingReply {
    /// Sends `deliver_sm_resp` (or `data_sm_resp`): the SMSC may forget the message now.
    pub async fn ack(mut self) {
        if let Some(ack) = self.ack.take() {
            ack.send("a handset's message").await;
        }
    }
}

/// Decodes a message's user data: `esm_class` bit 6 (UDHI, SMPP 3.4 §5.2.12) says a user data
/// header comes first (its length in the first octet) and is skipped; `data_coding` (§5.2.19) 8 is
/// UCS-2 (UTF-16BE here, as handsets send surrogate pairs), 3 Latin-1, anything else read as the
/// ASCII subset of the GSM default alphabet. Undecodable units become U+FFFD; at most
/// [`MAX_REPLY_CHARS`] characters.
pub fn decode(esm_class: u8, data_coding: u8, user_data: &[u8]) -> String {
    let body = if esm_class & 0x40 != 0 {
        let header = usize::from(*user_data.first().unwrap_or(&0)) + 1;
        user_data.get(header..).unwrap_or_default()
    } else {
        user_data
    };
    let text: String = match data_coding {
        8 => {
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .collect();
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
        3 => body.iter().map(|&b| char::from(b)).collect(),
        _ => body
            .iter()
            .map(|&b| {
                if b.is_ascii() && (b >= 0x20 || b == b'\n' || b == b'\r') {
                    char::from(b)
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            })
            .collect(),
    };
    text.chars().take(MAX_REPLY_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucs2_with_a_header_and_ascii_replies_decode() {
        let ucs2: Vec<u8> = "已收到𠀋"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(decode(0, 8, &ucs2), "已收到𠀋");
        let mut with_udh = vec![5, 0, 3, 7, 2, 1];
        with_udh.extend_from_slice(&ucs2);
        assert_eq!(decode(0x40, 8, &with_udh), "已收到𠀋");
        assert_eq!(decode(0, 0, b"OK received"), "OK received");
        assert_eq!(decode(0, 3, &[0x63, 0x61, 0x66, 0xE9]), "café");
        // A broken pair or a header longer than the message never panics.
        assert_eq!(decode(0, 8, &[0xD8, 0x00]), "\u{FFFD}");
        assert_eq!(decode(0x40, 0, &[200, 1]), "");
        assert_eq!(decode(0, 0, &vec![b'a'; 10_000]).len(), MAX_REPLY_CHARS);
    }
}
