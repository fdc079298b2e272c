//! Delivery status notifications (RFC 3464) and bounces as they come back to the hub's bounce
//! address: the MIME structure is read by mail-parser, the `message/delivery-status` fields (simple
//! header blocks) here. Which notice a report is about comes from the envelope id we sent (ENVID),
//! or else from the Message-ID in the returned headers; what happened from each recipient's
//! `Action` (delivered / failed / delayed / relayed / expanded) — not from the status digit.

use chrono::{DateTime, Utc};
use mail_parser::{MessageParser, MimeHeaders};

/// What a report says happened to one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Delivered to the recipient's mailbox.
    Delivered,
    /// Failed for good (a bounce).
    Failed,
    /// Still being tried.
    Delayed,
    /// Passed on to a system that does not report delivery.
    Relayed,
    /// Delivered to a list and passed on.
    Expanded,
}

/// One recipient's block of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientReport {
    /// `Final-Recipient` without its address type.
    pub final_recipient: String,
    /// `Original-Recipient` (the ORCPT the sender gave) without its address type, if present.
    pub original_recipient: Option<String>,
    /// `Action`.
    pub action: Action,
    /// `Status`, e.g. `5.1.1`.
    pub status: String,
    /// `Diagnostic-Code`, if any.
    pub diagnostic: String,
    /// `Last-Attempt-Date`, if given.
    pub last_attempt: Option<DateTime<Utc>>,
}

impl RecipientReport {
    /// Whether the address itself is bad ([`BAD_RECIPIENT_ADDRESS`]): no notice should go to it
    /// again.
    pub fn bad_address(&self) -> bool {
        self.action == Action::Failed && BAD_RECIPIENT_ADDRESS.contains(&self.status.as_str())
    }
}

/// Whether the address a report names (`named`) is the mailbox the hub sent to (`sent_to`, as
/// the order gave it): mailbox names alike but for ASCII case, and domains alike once both are
/// A-labels (UTS #46, as the hub sends an internationalised domain: `lisi@法院.中国` goes out,
/// and is reported on, as `lisi@xn--nww899f.xn--fiqs8s`; a full-width `。` maps to `.`).
pub fn same_mailbox(named: &str, sent_to: &str) -> bool {
    if named.eq_ignore_ascii_case(sent_to) {
        return true;
    }
    let split = |address: &str| {
        let (user, domain) = address.trim().rsplit_once('@')?;
        Some((user.to_string(), idna::domain_to_ascii(domain).ok()?))
    };
    match (split(named), split(sent_to)) {
        (Some((user, domain)), Some((sent_user, sent_domain))) => {
            user.eq_ignore_ascii_case(&sent_user) && domain == sent_domain
        }
        _ => false,
    }
}

/// The permanent RFC 3463 statuses that say the recipient's address itself is bad, so that no
/// notice should go to it again: X.1.1 bad destination mailbox, X.1.2 bad destination system,
/// X.1.3 bad destination mailbox syntax, X.1.6 mailbox moved without forwarding address, and
/// X.1.10 null MX (RFC 7505 §4.2). Not X.1.7 and X.1.8 (the *sender's* address: the court's own
/// envelope), nor X.1.0 and X.1.4 (other or ambiguous: nothing proven about the address).
pub const BAD_RECIPIENT_ADDRESS: [&str; 5] = ["5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10"];

/// Whether an SMTP reply or diagnostic (`550 5.1.1 <a@b>: user unknown`, `550-5.1.1 …`) carries
/// one of the [`BAD_RECIPIENT_ADDRESS`] statuses as a word of its own — not inside a host or
/// mailbox name (`mx5.1.10.example`).
pub fn says_bad_recipient_address(reply: &str) -> bool {
    reply
        .split(|c: char| c.is_whitespace() || "-<>()[]:;,".contains(c))
        .map(|word| word.trim_end_matches('.'))
        .any(|word| BAD_RECIPIENT_ADDRESS.contains(&word))
}

/// A parsed delivery status notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The report's own id ([`report_id`]).
    pub report_id: String,
    /// `Original-Envelope-Id`: the ENVID the hub sent (its Message-ID without brackets).
    pub envelope_id: Option<String>,
    /// The Message-ID of the message reported on, from the returned headers.
    pub message_id: Option<String>,
    /// `Reporting-MTA`.
    pub reporting_mta: String,
    /// `Arrival-Date`, if given: when the *reporting MTA received* the message reported on
    /// (RFC 3464 §2.2.5), not when it was delivered or bounced — never the time of an outcome.
    pub arrival: Option<DateTime<Utc>>,
    /// The report's own `Date:` (RFC 5322 §3.6.1): when the reporting MTA wrote it, that is, once
    /// the outcome it reports was known. Postfix states no `Last-Attempt-Date`, so for its reports
    /// this is the outcome's time.
    pub date: Option<DateTime<Utc>>,
    /// One per recipient reported on.
    pub recipients: Vec<RecipientReport>,
    /// The topmost `Received` header, unfolded: the one the last MTA on the path added, which a
    /// sender cannot forge (anything a sender writes lies below it).
    pub top_received: Option<String>,
    /// The reporting MTA's queue id of the message reported on: Postfix's `X-Postfix-Queue-ID`,
    /// else the `id` of the topmost `Received` in the returned headers (the relay's own).
    pub queue_id: Option<String>,
}

impl DeliveryReport {
    /// Whether one of the court's own relays (`relays`: their host names, Postfix's `myhostname`)
    /// generated this report itself, which is what makes it evidence without a clerk.
    ///
    /// Two facts must agree: the report's `Reporting-MTA` (RFC 3464 §2.2.2) names the relay, and
    /// the topmost `Received` header — added by the relay when it delivered the report into the
    /// bounce maildir — has a `by` clause naming the same relay and *no* `from` clause: the relay
    /// made the message itself (Postfix's bounce and DSN daemon write `Received: by host (Postfix)
    /// id …`), it did not receive it over SMTP from anyone (RFC 5321 §4.4 requires the `from`
    /// clause then) nor from a local user (`(Postfix, from userid N)`). Anyone can mail a report
    /// that merely *says* `Reporting-MTA: dns; <relay>`; nobody outside the relay can make its top
    /// header lack a `from` clause.
    ///
    /// Errors: why the report is not authenticated, in words for the clerk.
    pub fn generated_by(&self, relays: &[String]) -> Result<(), Unproven> {
        // A host name is the same without case and without its root dot (`MTA.Court.Example.`).
        let host = |h: &str| h.trim().trim_end_matches('.').to_ascii_lowercase();
        let mta = self.reporting_mta.trim();
        let Some(relay) = relays.iter().find(|r| host(r) == host(mta)) else {
            return Err(Unproven::UnknownRelay(excerpt(mta)));
        };
        let Some(top) = self.top_received.as_deref() else {
            return Err(Unproven::NoReceived);
        };
        let words: Vec<&str> = top.split_whitespace().collect();
        let by_relay = words.first().is_some_and(|w| w.eq_ignore_ascii_case("by"))
            && words.get(1).is_some_and(|h| host(h) == host(relay));
        let local_user = top.to_ascii_lowercase().contains("from userid");
        if !by_relay || local_user {
            return Err(Unproven::ArrivedAsMail {
                relay: relay.clone(),
                received: excerpt(top),
            });
        }
        Ok(())
    }

    /// Whether the report is about the very message the relay accepted from the hub as
    /// `gateway_id` (its final reply, `250 2.0.0 Ok: queued as B734AC40A4`).
    ///
    /// The relay writes a report for any sender who asks (`RET`, `ENVID`, `ORCPT`, RFC 3461), with
    /// the envelope id and original recipient that sender chose — so naming the notice proves
    /// nothing. The queue id does: the relay gives each message its own, and reports it in
    /// `X-Postfix-Queue-ID`; a forger's message has another.
    ///
    /// Errors: why the report is not bound to the notice, in words for the clerk.
    pub fn about_message(&self, gateway_id: &str) -> Result<(), Unproven> {
        let Some(q) = self.queue_id.as_deref() else {
            return Err(Unproven::NoQueueId);
        };
        let accepted_as = gateway_id
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| !w.is_empty() && w == q);
        if accepted_as {
            Ok(())
        } else {
            Err(Unproven::OtherMessage {
                queue_id: excerpt(q),
                accepted_as: excerpt(gateway_id),
            })
        }
    }

    /// The id of the notice reported on: the envelope id, else the returned Message-ID.
    pub fn notice_id(&self) -> Option<&str> {
        self.envelope_id
            .as_deref()
            .or(self.message_id.as_deref())
            .filter(|s| !s.is_empty())
    }
}

/// Why a message is not a usable report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    /// Not a MIME message at all.
    #[error("not an e-mail message")]
    NotMail,
    /// A message, but without a `message/delivery-status` part (e.g. a human reply).
    #[error("not a delivery status notification (no message/delivery-status part)")]
    NotReport,
    /// The delivery-status part has no recipient block with an Action.
    #[error("the delivery status names no recipient with an action")]
    NoRecipients,
}

/// Decodes RFC 3461 xtext (`+HH` escapes), as ENVID and ORCPT values are written.
pub fn xtext_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'+'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes RFC 3461 xtext: printable ASCII except `+` and `=` as is, everything else `+HH`.
pub fn xtext_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
                (b as char).to_string()
            } else {
                format!("+{b:02X}")
            }
        })
        .collect()
}

/// Header-style blocks separated by blank lines, folded lines joined, as (name, value) lists.
pub(crate) fn field_blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = current.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            current.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

pub(crate) fn field<'a>(block: &'a [(String, String)], name: &str) -> Option<&'a str> {
    block
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `type; value` → `value` (e.g. `rfc822; a@b` → `a@b`).
pub(crate) fn typed(v: &str) -> &str {
    v.split_once(';').map_or(v, |(_, rest)| rest).trim()
}

pub(crate) fn date(v: &str) -> Option<DateTime<Utc>> {
    // Postfix appends a comment: "Sat, 28 Nov 2026 07:16:43 +0000 (UTC)".
    let v = v.split(" (").next().unwrap_or(v).trim();
    DateTime::parse_from_rfc2822(v)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

pub(crate) fn strip_brackets(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// Whether `part` returns the message reported on, or its header: `text/rfc822-headers` (RFC
/// 6522), `message/rfc822`, and the internationalised `message/global` and
/// `message/global-headers` (RFC 6533) — with `message/rfc822-headers`, which Exchange writes.
fn returned(part: &mail_parser::MessagePart<'_>) -> bool {
    part.content_type().is_some_and(|c| {
        let sub = c.subtype().unwrap_or_default().to_ascii_lowercase();
        match c.ctype().to_ascii_lowercase().as_str() {
            "text" => sub == "rfc822-headers",
            "message" => {
                ["rfc822", "global", "global-headers", "rfc822-headers"].contains(&sub.as_str())
            }
            _ => false,
        }
    })
}

/// A delivery-status part's text: UTF-8 (RFC 6533), else GB18030 — a Chinese server writes its
/// `Diagnostic-Code` (收件人不存在) in GBK, and read as UTF-8 it would be lost to U+FFFD.
pub(crate) fn eight_bit_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// A report's own id: `sha256:` and the hex SHA-256 of its `Message-ID` and its body (what follows
/// its header), its lines ended by LF. One report delivered twice is one id even when the MTA
/// added a `Received` or `Delivered-To` line the second time, or one mail store kept it with the
/// CRLF of the wire (RFC 5322 §2.1) and another with the LF of a Unix maildir (Postfix's, whose
/// ids it keeps); two reports under one reused `Message-ID` are two.
pub fn report_id(raw: &[u8]) -> String {
    let message_id = MessageParser::default()
        .parse_headers(raw)
        .and_then(|m| m.message_id().map(str::to_string))
        .unwrap_or_default();
    let mut lf = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().peekable();
    while let Some(&b) = bytes.next() {
        if !(b == b'\r' && bytes.peek() == Some(&&b'\n')) {
            lf.push(b);
        }
    }
    let body = (lf.windows(2).position(|w| w == b"\n\n")).map_or(&lf[..], |at| &lf[at + 2..]);
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(message_id.as_bytes());
    ctx.update(b"\n");
    ctx.update(body);
    format!("sha256:{}", hex::encode(ctx.finish()))
}

/// Parses a delivery status notification.
pub fn parse(raw: &[u8]) -> Result<DeliveryReport, DsnError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(DsnError::NotMail)?;
    let is = |part: &mail_parser::MessagePart<'_>, ctype: &str, subtype: &[&str]| {
        part.content_type().is_some_and(|c| {
            c.ctype().eq_ignore_ascii_case(ctype)
                && c.subtype()
                    .is_some_and(|s| subtype.iter().any(|t| s.eq_ignore_ascii_case(t)))
        })
    };
    let report_id = report_id(raw);
    let status = message
        .parts
        .iter()
        .find(|p| is(p, "message", &["delivery-status", "global-delivery-status"]))
        .ok_or(DsnError::NotReport)?;
    let text = eight_bit_text(status.contents());
    let blocks = field_blocks(&text);
    let (per_message, per_recipient) = blocks.split_first().ok_or(DsnError::NoRecipients)?;
    let recipients: Vec<RecipientReport> = per_recipient
        .iter()
        .filter_map(|b| recipient_report(b))
        .collect();
    if recipients.is_empty() {
        return Err(DsnError::NoRecipients);
    }
    // The returned message or its headers, for the Message-ID.
    let message_id = message.parts.iter().filter(|p| returned(p)).find_map(|p| {
        MessageParser::default()
            .parse_headers(p.contents())
            .and_then(|m| m.message_id().map(strip_brackets))
    });
    Ok(DeliveryReport {
        report_id,
        envelope_id: field(per_message, "original-envelope-id").map(|v| xtext_decode(v.trim())),
        message_id,
        reporting_mta: field(per_message, "reporting-mta")
            .map_or("", typed)
            .to_string(),
        arrival: field(per_message, "arrival-date").and_then(date),
        date: message.header_raw("Date").and_then(date),
        recipients,
        top_received: top_received(raw),
        queue_id: field(per_message, "x-postfix-queue-id")
            .map(|q| q.trim().to_string())
            .or_else(|| returned_queue_id(&message)),
    })
}

/// One recipient's block of the `message/delivery-status` part (RFC 3464 §2.3) as a report;
/// `None` for a block without a known `Action`.
fn recipient_report(b: &[(String, String)]) -> Option<RecipientReport> {
    // RFC 3464 §2.3.3 allows a comment after the action: "failed (bad destination mailbox)".
    let action = field(b, "action")?;
    let action = action
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()?;
    let action = match action.to_ascii_lowercase().as_str() {
        "delivered" => Action::Delivered,
        "failed" => Action::Failed,
        "delayed" => Action::Delayed,
        "relayed" => Action::Relayed,
        "expanded" => Action::Expanded,
        _ => return None,
    };
    Some(RecipientReport {
        // Coremail and others write the address in angle brackets (`rfc822; <a@b>`).
        final_recipient: strip_brackets(field(b, "final-recipient").map_or("", typed)),
        action,
        original_recipient: field(b, "original-recipient")
            .map(|v| strip_brackets(&xtext_decode(typed(v).trim()))),
        // RFC 3464 §2.3.4: the status code, then possibly a comment.
        status: field(b, "status")
            .and_then(|s| s.split(|c: char| c.is_whitespace() || c == '(').next())
            .unwrap_or("")
            .to_string(),
        diagnostic: field(b, "diagnostic-code").map_or("", typed).to_string(),
        last_attempt: field(b, "last-attempt-date").and_then(date),
    })
}

/// The `id` of the topmost `Received` in the returned message or headers: the queue id the
/// reporting MTA gave the message when it received it.
fn returned_queue_id(message: &mail_parser::Message<'_>) -> Option<String> {
    let returned = message.parts.iter().find(|p| returned(p))?;
    let received = top_received(returned.contents())?;
    let words: Vec<&str> = received.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[0].eq_ignore_ascii_case("id"))
        .map(|w| w[1].trim_end_matches(';').to_string())
}

/// The first `Received` field of the message's own header section, unfolded.
fn top_received(raw: &[u8]) -> Option<String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]);
    field_blocks(&head)
        .into_iter()
        .next()
        .and_then(|b| field(&b, "received").map(str::to_string))
}

/// At most 80 characters of `s`, for messages a person reads.
fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if s.chars().nth(80).is_some() {
        out.push('…');
    }
    out
}

/// Why a delivery status notification does not count as the relay's word about the notice: the
/// reasons a clerk reads when the report is set aside. Quoted values are cut to an excerpt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unproven {
    /// `Reporting-MTA` names no relay of the court.
    #[error("its Reporting-MTA '{0}' is not one of the court's relays")]
    UnknownRelay(String),
    /// No `Received` header: written straight into the mailbox, or by a foreign MTA.
    #[error("it carries no Received header")]
    NoReceived,
    /// The relay received it as mail (a `from` clause, or from a local user) instead of writing it.
    #[error(
        "the court's relay {relay} did not generate it: it reached the relay as mail ('Received: {received}')"
    )]
    ArrivedAsMail {
        /// The relay the report names.
        relay: String,
        /// The top `Received` header.
        received: String,
    },
    /// No `X-Postfix-Queue-ID` to tie it to the message the hub handed over.
    #[error(
        "it names no queue id of the relay (X-Postfix-Queue-ID) to tie it to the message the hub handed over"
    )]
    NoQueueId,
    /// About another message than the one the relay accepted from the hub.
    #[error(
        "it is about the relay's message {queue_id}, but the relay accepted the notice as '{accepted_as}'"
    )]
    OtherMessage {
        /// The queue id the report names.
        queue_id: String,
        /// The relay's reply when it accepted the notice.
        accepted_as: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A success report as Postfix 3.7 writes it (trimmed), and the same with a failure.
    fn report(action: &str, status: &str, envid: bool) -> String {
        format!(
            "From: Mail Delivery System <MAILER-DAEMON@hub.test>\r\n\
             Date: Mon, 30 Nov 2026 09:00:12 +0000 (UTC)\r\n\
             Subject: Delivery Status Notification\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"B\"\r\n\r\n\
             --B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n<zhangsan@parties.test>: done\r\n\r\n\
             --B\r\nContent-Type: message/delivery-status\r\n\r\n\
             Reporting-MTA: dns; mta.hub.test\r\n\
             {}X-Postfix-Queue-ID: B734AC40A4\r\n\
             Arrival-Date: Sat, 28 Nov 2026 07:16:43 +0000 (UTC)\r\n\r\n\
             Final-Recipient: rfc822; zhangsan@parties.test\r\n\
             Original-Recipient: rfc822;zhangsan@parties.test\r\n\
             Action: {action}\r\n\
             Status: {status}\r\n\
             Diagnostic-Code: X-Postfix; delivery via virtual:\r\n  delivered to maildir\r\n\r\n\
             --B\r\nContent-Type: text/rfc822-headers\r\n\r\n\
             Subject: t\r\nMessage-ID: <O000000000007.R1.email@localhost>\r\n\r\n\
             --B--\r\n",
            if envid {
                "Original-Envelope-Id: O000000000007.R1.email+40localhost\r\n"
            } else {
                ""
            }
        )
    }

    #[test]
    fn a_success_report_names_the_notice_and_the_time() {
        let r = parse(report("delivered", "2.0.0", true).as_bytes()).unwrap();
        assert_eq!(
            r.envelope_id.as_deref(),
            Some("O000000000007.R1.email@localhost")
        );
        assert_eq!(r.notice_id(), Some("O000000000007.R1.email@localhost"));
        assert_eq!(r.recipients[0].action, Action::Delivered);
        assert_eq!(r.recipients[0].final_recipient, "zhangsan@parties.test");
        assert_eq!(
            r.recipients[0].diagnostic,
            "delivery via virtual: delivered to maildir"
        );
        assert_eq!(r.arrival.unwrap().to_rfc3339(), "2026-11-28T07:16:43+00:00");
        assert_eq!(r.date.unwrap().to_rfc3339(), "2026-11-30T09:00:12+00:00");
        assert_eq!(r.reporting_mta, "mta.hub.test");
    }

    #[test]
    fn a_bounce_is_failed_by_its_action_and_a_bad_mailbox_is_a_bad_address() {
        let r = parse(report("failed", "5.1.1", true).as_bytes()).unwrap();
        assert_eq!(r.recipients[0].action, Action::Failed);
        assert!(r.recipients[0].bad_address());
        let policy = parse(report("failed", "5.7.1", true).as_bytes()).unwrap();
        assert!(!policy.recipients[0].bad_address());
        // The sender's address (the court's envelope), other or ambiguous: nothing proven about
        // the recipient's address.
        for status in ["5.1.7", "5.1.8", "5.1.0", "5.1.4"] {
            let r = parse(report("failed", status, true).as_bytes()).unwrap();
            assert!(!r.recipients[0].bad_address(), "{status}");
        }
        let null_mx = parse(report("failed", "5.1.10", true).as_bytes()).unwrap();
        assert!(null_mx.recipients[0].bad_address());
        // "delayed" with a 4.x.x status is not a failure.
        let delayed = parse(report("delayed", "4.4.1", true).as_bytes()).unwrap();
        assert_eq!(delayed.recipients[0].action, Action::Delayed);
    }

    /// Reports real Postfix wrote (kept as fuzzing seeds): no Last-Attempt-Date, so the time of
    /// the outcome is the report's `Date:`.
    #[test]
    fn postfix_states_no_last_attempt_date_and_dates_its_report() {
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/seeds/dsn/");
        for (name, written) in [
            ("postfix-delivered.eml", "2026-11-30T16:28:21+00:00"),
            ("postfix-failed.eml", "2026-11-30T16:28:35+00:00"),
        ] {
            let raw = std::fs::read(format!("{seeds}{name}")).unwrap();
            let r = parse(&raw).unwrap();
            assert_eq!(r.recipients[0].last_attempt, None, "{name}");
            assert_eq!(r.date.map(|d| d.to_rfc3339()).as_deref(), Some(written));
        }
    }

    #[test]
    fn a_report_names_an_internationalised_domain_as_the_a_labels_it_was_sent_as() {
        // The A-labels from Python's IDNA codec ('法院.中国'.encode('idna')).
        let sent = "lisi@xn--nww899f.xn--fiqs8s";
        assert!(same_mailbox(sent, "lisi@法院.中国"));
        assert!(same_mailbox(
            "LiSi@XN--NWW899F.xn--fiqs8s",
            "lisi@法院。中国"
        ));
        assert!(same_mailbox(
            "张三@xn--nww899f.xn--fiqs8s",
            "张三@法院.中国"
        ));
        assert!(!same_mailbox(
            "wangwu@xn--nww899f.xn--fiqs8s",
            "lisi@法院.中国"
        ));
        assert!(!same_mailbox("lisi@xn--nww899f.com", "lisi@法院.中国"));
        assert!(!same_mailbox("not an address", "lisi@法院.中国"));
    }

    #[test]
    fn an_smtp_reply_names_a_bad_recipient_address_only_by_the_recipients_codes() {
        for bad in [
            "550 5.1.1 <zhang@parties.test>: Recipient address rejected: User unknown",
            "550-5.1.1 The email account that you tried to reach does not exist.",
            "556 5.1.10 Recipient address has null MX",
            "status 5.1.2.",
        ] {
            assert!(says_bad_recipient_address(bad), "{bad}");
        }
        for not in [
            "550 5.1.8 <court@hub.test>: Sender address rejected: Domain not found",
            "553 5.1.7 The sender address is invalid",
            "550 5.7.1 Message rejected as spam",
            "451 4.1.1 try again later",
            "550 15.1.1 no such status",
            "550 5.7.1 rejected by mx5.1.10.example",
            "550 5.7.1 <user5.1.1@parties.test> refused",
        ] {
            assert!(!says_bad_recipient_address(not), "{not}");
        }
    }

    #[test]
    fn reports_as_other_servers_write_them_are_read_alike() {
        let relays = vec!["mta.hub.test".to_string()];
        // Coremail's bracketed addresses, a host name in capitals with its root dot, returned
        // headers as RFC 6533's message/global-headers (or Exchange's message/rfc822-headers),
        // no envelope id, and a Chinese server's diagnostic in GBK.
        let gbk = encoding_rs::GBK
            .encode("550 5.1.1 收件人不存在")
            .0
            .into_owned();
        for returned in ["message/global-headers", "message/rfc822-headers"] {
            let text = report("failed", "5.1.1", false)
                .replace("rfc822; zhangsan@", "rfc822; <ZhangSan@")
                .replace(
                    "rfc822;zhangsan@parties.test",
                    "rfc822;<zhangsan@parties.test>",
                )
                .replace("parties.test\r\nOriginal", "parties.test>\r\nOriginal")
                .replace(
                    "Reporting-MTA: dns; mta.hub.test",
                    "Reporting-MTA: dns; MTA.Hub.Test.",
                )
                .replace("text/rfc822-headers", returned);
            let (head, tail) = text
                .split_once(
                    "Diagnostic-Code: X-Postfix; delivery via virtual:\r\n  delivered to maildir",
                )
                .unwrap();
            let raw = [
                b"Received: by MTA.hub.test. (Postfix)\r\n\tid EF7B; Mon, 30 Nov 2026 13:54:08 +0000\r\n".as_slice(),
                head.as_bytes(),
                b"Diagnostic-Code: smtp; ",
                &gbk,
                tail.as_bytes(),
            ]
            .concat();
            let r = parse(&raw).unwrap();
            let block = &r.recipients[0];
            assert_eq!(block.final_recipient, "ZhangSan@parties.test", "{returned}");
            assert_eq!(
                block.original_recipient.as_deref(),
                Some("zhangsan@parties.test")
            );
            assert!(same_mailbox(
                &block.final_recipient,
                "zhangsan@parties.test"
            ));
            assert_eq!(block.diagnostic, "550 5.1.1 收件人不存在");
            assert_eq!(
                r.notice_id(),
                Some("O000000000007.R1.email@localhost"),
                "{returned}"
            );
            assert_eq!(r.generated_by(&relays), Ok(()));
        }
    }

    #[test]
    fn a_report_is_the_same_when_redelivered_and_another_under_a_reused_message_id() {
        let first = report("delivered", "2.0.0", true);
        let again = format!(
            "Received: by mta.hub.test (Postfix) id 9\r\nDelivered-To: dsn@hub.test\r\n{first}"
        );
        assert_eq!(report_id(first.as_bytes()), report_id(again.as_bytes()));
        // Kept by a maildir with LF line ends, then delivered again with the wire's CRLF.
        let maildir = first.replace("\r\n", "\n");
        assert!(!maildir.contains('\r') && first.contains("\r\n"));
        let wire = format!("Received: by mx2.hub.test id 10\r\n{first}");
        assert_eq!(report_id(maildir.as_bytes()), report_id(wire.as_bytes()));
        // Postfix's maildir copies (LF only) keep the ids they were given before.
        let legacy = |raw: &str| {
            let (_, body) = raw.split_once("\n\n").unwrap();
            let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
            ctx.update(b"\n");
            ctx.update(body.as_bytes());
            format!("sha256:{}", hex::encode(ctx.finish()))
        };
        assert_eq!(report_id(maildir.as_bytes()), legacy(&maildir));
        let with_id = |text: &str| format!("Message-ID: <r1@mta.hub.test>\r\n{text}");
        let bounce = report("failed", "5.2.2", true);
        assert_ne!(
            report_id(with_id(&first).as_bytes()),
            report_id(with_id(&bounce).as_bytes()),
            "two reports under one Message-ID"
        );
        assert_eq!(
            parse(first.as_bytes()).unwrap().report_id,
            report_id(first.as_bytes())
        );
    }

    #[test]
    fn without_an_envelope_id_the_returned_message_id_names_the_notice() {
        let r = parse(report("delivered", "2.0.0", false).as_bytes()).unwrap();
        assert_eq!(r.envelope_id, None);
        assert_eq!(r.notice_id(), Some("O000000000007.R1.email@localhost"));
    }

    #[test]
    fn only_a_report_the_relay_made_itself_is_authenticated() {
        let relays = vec!["mta.hub.test".to_string()];
        let with_received = |received: &str| {
            let raw = format!(
                "Return-Path: <>\r\n{received}{}",
                report("failed", "5.1.1", true)
            );
            parse(raw.as_bytes()).unwrap()
        };
        // Postfix's own bounce, as delivered into the maildir (folded as Postfix folds it).
        let own = with_received(
            "Received: by mta.hub.test (Postfix)\r\n\tid EF7B6B402D; Mon, 30 Nov 2026 13:54:08 +0000 (UTC)\r\n",
        );
        assert_eq!(own.generated_by(&relays), Ok(()));
        assert!(own.generated_by(&["other.relay".into()]).is_err());
        // The same text mailed to the bounce address over SMTP: the relay adds a `from` clause on
        // top of whatever the sender wrote below it.
        let forged = with_received(
            "Received: from evil.test (evil.test [192.0.2.9])\r\n\tby mta.hub.test (Postfix) with ESMTP id 1A2B\r\n\
             Received: by mta.hub.test (Postfix)\r\n\tid 9; Mon, 30 Nov 2026 13:54:08 +0000\r\n",
        );
        let why = forged.generated_by(&relays).unwrap_err();
        assert!(matches!(why, Unproven::ArrivedAsMail { .. }), "{why}");
        // Submitted by a user on the relay host with sendmail(1).
        let local =
            with_received("Received: by mta.hub.test (Postfix, from userid 1000)\r\n\tid 77\r\n");
        assert!(matches!(
            local.generated_by(&relays),
            Err(Unproven::ArrivedAsMail { .. })
        ));
        // No Received header at all (written straight into the maildir, or by a foreign MTA).
        let bare = parse(report("failed", "5.1.1", true).as_bytes()).unwrap();
        assert_eq!(bare.generated_by(&relays), Err(Unproven::NoReceived));
        // A long forged Reporting-MTA is quoted only in part.
        let mut long = own.clone();
        long.reporting_mta = "x".repeat(100_000);
        assert!(long.generated_by(&relays).unwrap_err().to_string().len() < 200);
    }

    #[test]
    fn a_report_binds_to_the_notice_only_by_the_relays_queue_id() {
        let r = parse(report("delivered", "2.0.0", true).as_bytes()).unwrap();
        assert_eq!(r.queue_id.as_deref(), Some("B734AC40A4"));
        assert_eq!(r.about_message("2.0.0 Ok: queued as B734AC40A4"), Ok(()));
        // The forger's own message, reported by the same relay under the notice's envelope id.
        let why = r
            .about_message("2.0.0 Ok: queued as 7F00C40B11")
            .unwrap_err();
        assert!(matches!(why, Unproven::OtherMessage { .. }), "{why}");
        assert!(why.to_string().contains("accepted the notice as"), "{why}");
        // Part of an id is not the id.
        assert!(r.about_message("queued as B734AC40A45").is_err());
        // No queue id at all: nothing ties it to the notice.
        let bare = parse(
            report("delivered", "2.0.0", true)
                .replace("X-Postfix-Queue-ID: B734AC40A4\r\n", "")
                .as_bytes(),
        )
        .unwrap();
        assert!(bare.queue_id.is_none());
        assert_eq!(
            bare.about_message("queued as B734AC40A4"),
            Err(Unproven::NoQueueId)
        );
    }

    #[test]
    fn a_human_reply_is_not_a_report() {
        let reply = "From: a@b\r\nSubject: Re: 通知\r\nContent-Type: text/plain\r\n\r\n收到\r\n";
        assert_eq!(parse(reply.as_bytes()), Err(DsnError::NotReport));
    }

    #[test]
    fn xtext_round_trips() {
        let id = "O1.R1.email@法院.example+x=y";
        assert_eq!(xtext_decode(&xtext_encode(id)), id);
        assert_eq!(xtext_encode("a+b=c"), "a+2Bb+3Dc");
    }
}
