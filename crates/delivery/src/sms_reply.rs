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

/// A number as the hub compares it, in national form: `+86 138-0013-8000`, `0086…`,
/// `8613800138000` and `13800138000` are one number. A number of another country (`+1 390…`,
/// `00852…`), an alphanumeric sender or anything else that is no phone number gives `None` and
/// matches no service: only digits, spaces, dashes, dots, brackets and one leading `+` are read.
pub fn normalize_number(n: &str) -> Option<String> {
    let n = n.trim();
    let allowed = |c: char| c.is_ascii_digit() || " -.()".contains(c);
    let (international, rest) = match n.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, n),
    };
    if rest.is_empty() || !rest.chars().all(allowed) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if international {
        return digits
            .strip_prefix("86")
            .filter(|d| d.len() >= 5)
            .map(str::to_string);
    }
    if let Some(intl) = digits.strip_prefix("00") {
        return intl
            .strip_prefix("86")
            .filter(|d| d.len() >= 5)
            .map(str::to_string);
    }
    match digits.strip_prefix("86") {
        // 86 before a complete mobile number: the country code without its +.
        Some(national) if national.len() == 11 && national.starts_with('1') => {
            Some(national.to_string())
        }
        _ => Some(digits),
    }
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

    #[test]
    fn numbers_compare_without_the_country_code_or_punctuation() {
        for n in [
            "+86 138-0013-8000",
            "8613800138000",
            "008613800138000",
            "13800138000",
        ] {
            assert_eq!(normalize_number(n).as_deref(), Some("13800138000"), "{n}");
        }
        assert_eq!(normalize_number("10086").as_deref(), Some("10086"));
        // Another country's number that reads like a Chinese mobile once its prefix is dropped.
        for foreign in [
            "+1 390-000-0004",
            "0013900000004",
            "+852 1390 0000",
            "BANK-13900000004",
            "",
            "+",
        ] {
            assert_ne!(
                normalize_number(foreign).as_deref(),
                Some("13900000004"),
                "{foreign}"
            );
        }
        assert_eq!(normalize_number("+1 390-000-0004"), None);
        assert_eq!(normalize_number("ICBC"), None);
    }
}
