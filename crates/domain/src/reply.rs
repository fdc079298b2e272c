//! Replies from the recipient (SPC Online Litigation Rules art. 31 para. 2 (1): a reply or an act
//! on what was served completes service at a discovered address too). A reply counts only when
//! the hub can tell whose it is: an SMS from the number the notice went to, which the SMSC vouches
//! for and which matches exactly one open service; or a reply typed on the recipient's own link
//! page. Anything else goes to the clerks with its text ([`UnmatchedReply`]), who attribute it to
//! one service or dismiss it ([`ReplySettlement`]).
//!
//! What a reply says is not read: the law asks for a reply, not for its words, and a machine that
//! guessed at "你们发错号码了" would decide for the court. A clerk who finds a counted reply was
//! not the recipient's (a wrong number, a stranger's phone) disallows it with a note
//! ([`ReplyDisallowance`]): it stays on record, marked, and no longer counts.

use crate::effective_service::Channel;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A number as the hub compares it, in national form: `+86 138-0013-8000`, `0086…`,
/// `8613800138000` and `13800138000` are one number. A number of another country (`+1 390…`,
/// `00852…`), an alphanumeric sender or anything else that is no phone number gives `None` and
/// matches no service: only digits, spaces, dashes, dots, brackets and one leading `+` are read.
/// The service read model indexes SMS notices by it, so a reply finds its services by number.
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

/// Whether `a` and `b` are one number: equal in national form ([`normalize_number`]), or, for
/// numbers that both have none (another country's), the same digits once `+` or `00` is
/// dropped. Empty or digit-less strings are no number and equal nothing.
pub fn same_number(a: &str, b: &str) -> bool {
    match (normalize_number(a), normalize_number(b)) {
        (Some(a), Some(b)) => return a == b,
        (None, None) => {}
        _ => return false,
    }
    let digits = |n: &str| -> String {
        let d: String = n.chars().filter(char::is_ascii_digit).collect();
        match d.strip_prefix("00") {
            Some(rest) if n.trim_start().starts_with("00") => rest.to_string(),
            _ => d,
        }
    };
    let (a, b) = (digits(a), digits(b));
    !a.is_empty() && a == b
}

/// Whether a delivery receipt whose deliver_sm carried `addresses` (its `source_addr` and
/// `destination_addr`) can be about an SMS sent to `sent_to`. SMPP 3.4 §4.6.1 has the receipt
/// come from the handset the message went to; some SMSCs swap the two fields, so either may name
/// it. A receipt naming neither is about another handset — an SMSC that reuses or wraps message
/// ids reporting on someone else's message — and must not count. With both fields empty there is
/// nothing to check against, and the id alone decides.
pub fn receipt_names_number(sent_to: &str, addresses: &[String]) -> bool {
    addresses.iter().all(|a| a.trim().is_empty())
        || addresses.iter().any(|a| same_number(sent_to, a))
}

/// A reply recorded for a recipient, kept with its text for the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedReply {
    /// When the hub received it.
    pub at: DateTime<Utc>,
    /// The channel it came by: SMS (a handset's message), or the channel whose link the page was
    /// opened through; `None` when neither is known.
    pub channel: Option<Channel>,
    /// Who: the sending number, or the page's client address and user agent.
    pub from: String,
    /// The text as received.
    pub text: String,
    /// The one-time form of the page it was typed on (empty for an SMS).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub form: String,
    /// A clerk's finding that it was not the recipient's: then it no longer counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disallowed: Option<ReplyDisallowance>,
    /// Set when no single open service could claim it and a clerk attributed it to this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed: Option<ReplyAttribution>,
}

/// A clerk's attribution of an unmatched reply to one service: the finding the effective time
/// then rests on, printed with the reply in every proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyAttribution {
    /// The log position of the `reply_unmatched` entry it came from.
    pub seq: u64,
    /// Who attributed it.
    pub by: String,
    /// Why.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A clerk's finding that a counted reply was not the recipient's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyDisallowance {
    /// The clerk.
    pub by: String,
    /// Why (required: the record a court reads), e.g. 回复称"发错号码了"，经电话核实非受送达人.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A clerk's settlement of an [`UnmatchedReply`]: attributed to one service (then recorded there
/// as the recipient's reply, at the time it arrived) or dismissed. Either way it leaves the queue
/// and stays in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplySettlement {
    /// The log position of the `reply_unmatched` entry.
    pub seq: u64,
    /// The service it answers, or `None` when dismissed.
    pub attributed_to: Option<crate::ids::RecipientKey>,
    /// The clerk.
    pub by: String,
    /// Why.
    pub note: String,
}

/// A handset's message the hub could not attribute to exactly one open service: for the clerks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmatchedReply {
    /// The channel (SMS).
    pub channel: Channel,
    /// The sending number.
    pub from: String,
    /// The text as received.
    pub text: String,
    /// The open services it might belong to (`O…/R…`): none, or more than one.
    pub candidates: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::{normalize_number, receipt_names_number, same_number};

    #[test]
    fn a_receipt_names_the_number_in_either_field_or_in_none() {
        let from = |s: &str, d: &str| [s.to_string(), d.to_string()];
        let sent_to = "13800138000";
        assert!(receipt_names_number(
            sent_to,
            &from("8613800138000", "12368")
        ));
        // Swapped by the SMSC.
        assert!(receipt_names_number(
            sent_to,
            &from("12368", "+86 138 0013 8000")
        ));
        assert!(receipt_names_number(sent_to, &from("", "")));
        assert!(!receipt_names_number(
            sent_to,
            &from("13900139000", "12368")
        ));
        assert!(!receipt_names_number(sent_to, &from("", "12368")));
        assert!(!receipt_names_number(sent_to, &from("1380013800", "")));
    }

    #[test]
    fn numbers_without_a_national_form_compare_by_their_digits() {
        assert!(same_number("+1 390-000-0004", "0013900000004"));
        assert!(!same_number("+1 390-000-0004", "13900000004"));
        assert!(same_number("+44 20 7946 0000", "00442079460000"));
        assert!(!same_number("ICBC", "ICBC"));
        assert!(!same_number("", ""));
        assert!(same_number("+8613800138000", "13800138000"));
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
