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
    let (international, digits) = dialled(n)?;
    if international {
        return digits
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

/// `n` as dialled: whether it is in international form (`+` or `00` before the country code,
/// both taken off) and its digits. `None` unless `n` is digits and the separators people write
/// between them (space, `-`, `.`, parentheses).
fn dialled(n: &str) -> Option<(bool, String)> {
    let n = n.trim();
    let (plus, rest) = match n.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, n),
    };
    if rest.is_empty()
        || !rest
            .chars()
            .all(|c| c.is_ascii_digit() || " -.()".contains(c))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("00") {
        Some(intl) if !plus => Some((true, intl.to_string())),
        _ => Some((plus, digits)),
    }
}

/// Whether a delivery receipt whose deliver_sm carried `addresses` (its `source_addr` and
/// `destination_addr`) is about another handset than `sent_to`, the number its id's SMS went to:
/// one of them names a subscriber's number ([`subscriber`]) other than `sent_to` and `own` (the
/// hub's `source_addr`, which an SMSC puts in the field the receipt goes to). SMPP 3.4 §4.6.1 has
/// the receipt come from the handset the message went to, and some SMSCs swap the two fields; an
/// SMSC that reuses or wraps message ids then names the other handset — a foreign one too, in
/// international traffic — and such a receipt must not count, even when the other field names
/// the number served. Fields that name no subscriber — empty, the court's short code, a service
/// number, an alphanumeric sender, a CMPP gateway's pseudo-code — are no evidence either way, and
/// the id decides (Kannel matches SMPP receipts by id alone).
pub fn receipt_about_another_handset(sent_to: &str, addresses: &[String], own: &str) -> bool {
    let sent_to = subscriber(sent_to).or_else(|| normalize_number(sent_to));
    let own = subscriber(own);
    addresses
        .iter()
        .filter_map(|a| subscriber(a))
        .any(|n| Some(&n) != sent_to.as_ref() && Some(&n) != own.as_ref())
}

/// Whether any of a receipt's addresses names a subscriber's number: only then can it be about
/// another handset ([`receipt_about_another_handset`]), so only then need the SMS it reports on
/// be read to tell.
pub fn names_a_subscriber(addresses: &[String]) -> bool {
    addresses.iter().any(|a| subscriber(a).is_some())
}

/// `n` as a subscriber's number, if it is one: a mainland mobile in national form
/// (`13800138000`), a mainland fixed line with its trunk 0 and area code (`02788886666`), or a
/// number of another country in international form (`+85291234567`) — written with `+` or `00`,
/// or as SMSCs write it without either: ten or more digits beginning with a country code 2–9.
/// Short codes (`12368`), service numbers (`95…`, `106…`) and alphanumeric senders are none.
fn subscriber(n: &str) -> Option<String> {
    if let Some(m) = mobile(n) {
        return Some(m);
    }
    let (international, digits) = dialled(n)?;
    let fixed_line = |d: &str| {
        (d.starts_with('0') && (10..=12).contains(&d.len()) && !d.starts_with("00"))
            .then(|| d.to_string())
    };
    if international {
        return match digits.strip_prefix("86") {
            Some(national) => fixed_line(&format!("0{national}")),
            None => (digits.len() >= 7).then(|| format!("+{digits}")),
        };
    }
    if digits.starts_with('0') {
        fixed_line(&digits)
    } else {
        (digits.len() >= 10 && !digits.starts_with('1')).then(|| format!("+{digits}"))
    }
}

/// `n` as an 11-digit mainland mobile number (`1…`), if it is one: in national form, a national
/// trunk `0` before it dropped (`013800138000`).
fn mobile(n: &str) -> Option<String> {
    let n = normalize_number(n)?;
    let n = match n.strip_prefix('0') {
        Some(rest) if rest.len() == 11 => rest.to_string(),
        _ => n,
    };
    (n.len() == 11 && n.starts_with('1') && (b'3'..=b'9').contains(&n.as_bytes()[1])).then_some(n)
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
    use super::{names_a_subscriber, normalize_number, receipt_about_another_handset};

    #[test]
    fn a_receipt_is_about_another_handset_when_it_names_another_subscriber() {
        let from = |s: &str, d: &str| [s.to_string(), d.to_string()];
        let other =
            |s: &str, d: &str| receipt_about_another_handset("13800138000", &from(s, d), "12368");
        // Naming the number, in any form, in either field (some SMSCs swap them).
        assert!(!other("13800138000", "12368"));
        assert!(!other("8613800138000", "12368"));
        assert!(!other("12368", "+8613800138000"));
        assert!(!other("0086 138 0013 8000", ""));
        assert!(!other("013800138000", "12368"));
        // No evidence either way: the id decides.
        assert!(!other("", ""));
        assert!(!other("", "12368"));
        assert!(!other("COURT", "1065712368"));
        assert!(!other("10657123680", "12368"), "an SP code is no handset");
        assert!(
            !other("95588", "106900001234567"),
            "service numbers are none"
        );
        // Another handset: mainland, foreign (with or without +/00), a fixed line.
        assert!(other("13900139000", "12368"));
        assert!(other("12368", "8613900139000"));
        assert!(other("13900139000", ""));
        assert!(
            other("85291234567", "12368"),
            "Hong Kong, as SMSCs write it"
        );
        assert!(other("+1 415 555 0100", "12368"));
        assert!(other("0085291234567", ""));
        assert!(other("02788886666", "12368"));
        // The served number in one field does not excuse another handset in the other.
        assert!(other("8613800138000", "13912345678"));
        // The hub's own sender is no evidence, even when it is a mobile number.
        let own = |s: &str, d: &str| {
            receipt_about_another_handset("13800138000", &from(s, d), "+8613700137000")
        };
        assert!(!own("13800138000", "13700137000"));
        assert!(own("13900139000", "13700137000"));
    }

    #[test]
    fn only_a_receipt_naming_a_subscriber_needs_its_sms_read() {
        let from = |s: &str, d: &str| [s.to_string(), d.to_string()];
        for (s, d) in [
            ("", ""),
            ("12368", ""),
            ("COURT", "1065712368"),
            ("10657123680", ""),
        ] {
            assert!(!names_a_subscriber(&from(s, d)), "{s}/{d}");
            // With no subscriber named, no SMS's number can make it another handset's.
            for sent_to in ["13800138000", "13900139000", "+8613700137000"] {
                assert!(!receipt_about_another_handset(
                    sent_to,
                    &from(s, d),
                    "12368"
                ));
            }
        }
        for (s, d) in [
            ("13800138000", ""),
            ("12368", "+86 139 0013 9000"),
            ("013800138000", ""),
            ("85291234567", ""),
        ] {
            assert!(names_a_subscriber(&from(s, d)), "{s}/{d}");
        }
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
