//! A message to the court's bounce address that is no RFC 3464 report — a free-text bounce as
//! qmail, older Exchange or a webmail provider writes it ("I'm afraid I wasn't able to deliver
//! your message…", with the original headers quoted below), or a report too broken to read. It
//! proves nothing by itself, but when the text it quotes names one of the hub's notices, a clerk
//! must see it: it may be the only word that the notice never arrived.

use mail_parser::MessageParser;

/// How many bytes of a message are searched for quoted notice ids.
const MOST_SEARCHED: usize = 1 << 20;
/// How many characters of what it says are kept for the clerks.
const MOST_SAID: usize = 600;

/// What a free-text report quotes and says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeTextReport {
    /// Message ids its text quotes, without angle brackets, in order, each once: from
    /// `Message-ID:`, `In-Reply-To:`, `References:` and `Original-Envelope-Id:` lines below its
    /// own header (the quoted original's header, lines quoted with `>`).
    pub quoted_ids: Vec<String>,
    /// `From`, `Subject` and the start of its text, white space folded, for the clerks.
    pub summary: String,
}

/// Reads `raw` as a free-text report.
pub fn read(raw: &[u8]) -> FreeTextReport {
    let searched = String::from_utf8_lossy(&raw[..raw.len().min(MOST_SEARCHED)]);
    let mut quoted_ids = Vec::new();
    for line in body(&searched).lines() {
        for id in ids_on(line) {
            if !quoted_ids.contains(&id) {
                quoted_ids.push(id);
            }
        }
    }
    FreeTextReport {
        quoted_ids,
        summary: summary(raw, &searched),
    }
}

/// What follows the message's own header (the first empty line): a message that merely carries a
/// notice's id as its own `Message-ID` quotes nothing — anyone can write that header.
fn body(message: &str) -> &str {
    let lf = message.find("\n\n").map(|at| at + 2);
    let crlf = message.find("\r\n\r\n").map(|at| at + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => &message[a.min(b)..],
        (Some(at), None) | (None, Some(at)) => &message[at..],
        (None, None) => "",
    }
}

/// The message ids a header line (perhaps quoted with `>`) names.
fn ids_on(line: &str) -> Vec<String> {
    const NAMING: [&str; 4] = [
        "message-id:",
        "in-reply-to:",
        "references:",
        "original-envelope-id:",
    ];
    let line = line.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
    let Some(value) = NAMING.iter().find_map(|name| {
        line.get(..name.len())
            .filter(|head| head.eq_ignore_ascii_case(name))
            .map(|_| &line[name.len()..])
    }) else {
        return Vec::new();
    };
    value
        .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ','))
        .filter(|id| id.contains('@'))
        .map(str::to_string)
        .collect()
}

/// `From: …; Subject: …; text…` as the message says; its raw characters as the text when no
/// text part can be read.
fn summary(raw: &[u8], searched: &str) -> String {
    let said = match MessageParser::default().parse(raw) {
        Some(m) => {
            let from = (m.from().and_then(|a| a.first()))
                .and_then(|a| a.address())
                .unwrap_or_default();
            let subject = m.subject().unwrap_or_default();
            let text = (m.body_text(0)).map_or_else(|| searched.to_string(), |t| t.to_string());
            format!("From: {from}; Subject: {subject}; {text}")
        }
        None => searched.to_string(),
    };
    let folded = said.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.chars().take(MOST_SAID).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qmail_style_bounce_quotes_the_notice_and_says_why() {
        let raw = "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.parties.test\r\n\
                   To: bounces@hub.test\r\nSubject: failure notice\r\nMessage-ID: <b1@mx.parties.test>\r\n\r\n\
                   Hi. This is the qmail-send program at mx.parties.test.\r\n\
                   I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n\
                   <lisi@parties.test>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n\
                   --- Below this line is a copy of the message.\r\n\r\n\
                   Return-Path: <bounces@hub.test>\r\n\
                   message-id:   <O000000000007.R2.email.k9@hub.test>\r\n\
                   > References: <x@y.test>, <O000000000007.R2.email.k9@hub.test>\r\n\
                   Subject: =?UTF-8?B?6YCB6L6+6YCa55+l?=\r\n";
        let r = read(raw.as_bytes());
        assert_eq!(
            r.quoted_ids,
            ["O000000000007.R2.email.k9@hub.test", "x@y.test"],
            "its own Message-ID is not quoted"
        );
        assert!(
            r.summary
                .starts_with("From: MAILER-DAEMON@mx.parties.test; Subject: failure notice; Hi."),
            "{}",
            r.summary
        );
        assert!(
            r.summary.contains("no mailbox here by that name"),
            "{}",
            r.summary
        );
        assert!(!r.summary.contains("\r\n"));
    }

    #[test]
    fn a_message_carrying_a_notice_id_as_its_own_quotes_nothing() {
        let raw = "From: someone@else.test\r\nMessage-ID: <O000000000007.R2.email.k9@hub.test>\r\n\r\nx\r\n";
        assert!(read(raw.as_bytes()).quoted_ids.is_empty());
    }

    #[test]
    fn no_message_at_all_keeps_its_first_characters_and_names_nothing() {
        let raw = "\u{feff}垃圾".repeat(1000);
        let r = read(raw.as_bytes());
        assert!(r.quoted_ids.is_empty());
        assert_eq!(r.summary.chars().count(), MOST_SAID);
        assert!(r.summary.contains("垃圾"), "{}", r.summary);
    }
}
