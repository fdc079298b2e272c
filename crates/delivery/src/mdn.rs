//! Read receipts: message disposition notifications (MDN, RFC 8098) that a recipient's mail
//! program sends back when the notice is shown (Thunderbird, Outlook, Foxmail, the webmail of QQ
//! and 163 when the sender asked with `Disposition-Notification-To`, or on the reader's own
//! initiative). One says the notice was *displayed* to whoever reads that mailbox — the fact of
//! art. 31 para. 2 (2) of the Online Litigation Rules (系统反馈受送达人已阅知), presumed and
//! rebuttable. It comes from the recipient's side, never from the court's relay, so nothing can
//! authenticate it: the hub sets it aside for a clerk, who accepts or rejects it.

use crate::dsn::{date, eight_bit_text, field, field_blocks, strip_brackets, typed};
use chrono::{DateTime, Utc};
use mail_parser::{MessageParser, MimeHeaders};

/// What a disposition notification says about the message it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadReceipt {
    /// The `Original-Message-ID` (RFC 8098 §3.2.5) without angle brackets: the notice.
    pub original_message_id: String,
    /// `Final-Recipient` (§3.2.4): the mailbox that displayed it.
    pub final_recipient: String,
    /// `Original-Recipient` (§3.2.3), when given.
    pub original_recipient: Option<String>,
    /// The whole `Disposition` field (§3.2.6), e.g.
    /// `manual-action/MDN-sent-manually; displayed`.
    pub disposition: String,
    /// Whether the disposition type is `displayed`: shown to the reader. `deleted`, `dispatched`
    /// (printed, faxed, forwarded without display) and `processed` say nothing of reading.
    pub displayed: bool,
    /// `Reporting-UA` (§3.2.1), the program that wrote it, when given.
    pub reporting_ua: String,
    /// The notification's own `Date:`.
    pub date: Option<DateTime<Utc>>,
}

impl ReadReceipt {
    /// The mailbox it speaks for: `Original-Recipient` when given, else `Final-Recipient`.
    pub fn mailbox(&self) -> &str {
        self.original_recipient
            .as_deref()
            .unwrap_or(&self.final_recipient)
    }

    /// Its fields as a clerk reads them, in one line.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "Disposition: {}; Final-Recipient: {}",
            self.disposition, self.final_recipient
        );
        if !self.reporting_ua.is_empty() {
            out.push_str(&format!("; Reporting-UA: {}", self.reporting_ua));
        }
        out
    }
}

/// Reads `raw` as a disposition notification: a `multipart/report` whose part
/// `message/disposition-notification` (or RFC 6533's `message/global-disposition-notification`)
/// names the original message and its disposition. `None` for anything else, or one that names no
/// original message, no recipient or no disposition.
pub fn parse(raw: &[u8]) -> Option<ReadReceipt> {
    let message = MessageParser::default().parse(raw)?;
    let part = message.parts.iter().find(|p| {
        p.content_type().is_some_and(|c| {
            c.ctype().eq_ignore_ascii_case("message")
                && c.subtype().is_some_and(|s| {
                    s.eq_ignore_ascii_case("disposition-notification")
                        || s.eq_ignore_ascii_case("global-disposition-notification")
                })
        })
    })?;
    let text = eight_bit_text(part.contents());
    let fields: Vec<(String, String)> = field_blocks(&text).into_iter().flatten().collect();
    let original_message_id = strip_brackets(field(&fields, "original-message-id")?);
    let final_recipient = strip_brackets(typed(field(&fields, "final-recipient")?));
    let disposition = field(&fields, "disposition")?.trim().to_string();
    if original_message_id.is_empty() || final_recipient.is_empty() {
        return None;
    }
    Some(ReadReceipt {
        displayed: disposition_type(&disposition).eq_ignore_ascii_case("displayed"),
        original_recipient: field(&fields, "original-recipient")
            .map(|v| strip_brackets(typed(v)))
            .filter(|v| !v.is_empty()),
        // The whole field: ua-name, then `;` and the product (RFC 8098 §3.2.1) — no address
        // type to strip, and the product is what tells Outlook from a script.
        reporting_ua: field(&fields, "reporting-ua")
            .map_or("", str::trim)
            .to_string(),
        date: message.header_raw("Date").and_then(date),
        original_message_id,
        final_recipient,
        disposition,
    })
}

/// The disposition type of a `Disposition` field (RFC 8098 §3.2.6): after the `;` that follows
/// the action and sending modes, before any `/` modifier — `displayed` in
/// `automatic-action/MDN-sent-automatically; displayed/error`.
fn disposition_type(disposition: &str) -> &str {
    let after = disposition.split_once(';').map_or(disposition, |(_, t)| t);
    after.split(['/', '(']).next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests;
