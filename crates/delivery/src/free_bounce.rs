//! A message to the court's bounce address that is no RFC 3464 report — a free-text bounce as
//! qmail, older Exchange or a webmail provider writes it ("I'm afraid I wasn't able to deliver
//! your message…", with the original headers quoted below), or a report too broken to read. It
//! proves nothing by itself, but when the text it quotes names one of the hub's notices, a clerk
//! must see it: it may be the only word that the notice never arrived.

use mail_parser::{Message, MessageParser, PartType};

/// How many bytes of a message are searched for quoted notice ids.
const MOST_SEARCHED: usize = 1 << 20;
/// How many characters of what it says are kept for the clerks.
const MOST_SAID: usize = 600;

/// What a free-text report quotes and says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeTextReport {
    /// Message ids its text quotes, without angle brackets, in order, each once: from
    /// `Message-ID:`, `In-Reply-To:`, `References:` and `Original-Envelope-Id:` lines below its
    /// own header (the quoted original's header, lines quoted with `>`, folded lines joined),
    /// in its decoded text parts (base64, quoted-printable, HTML) and in an attached original.
    pub quoted_ids: Vec<String>,
    /// `From`, `Subject` and the start of its text, white space folded, for the clerks.
    pub summary: String,
    /// Whether it says it was written by a machine, as a bounce is: a null `Return-Path` (the
    /// MTA's record of the empty envelope sender, RFC 3464 §2 / RFC 5321 §4.5.5),
    /// `Auto-Submitted: auto-…` (RFC 3834), `X-Failed-Recipients`, or a `From` of
    /// MAILER-DAEMON or postmaster. A person's message (a forward of the notice) is none.
    pub automatic: bool,
    /// What says it is an automatic answer from the recipient's mailbox — an out-of-office, not
    /// a bounce ([`auto_reply`]) — when it is one.
    pub auto_reply: Option<String>,
    /// Its searched text, lower-cased: what [`FreeTextReport::mentions`] looks in.
    text: String,
}

impl FreeTextReport {
    /// Whether its text names `address` (compared without case; an internationalised domain
    /// also as its A-labels, as the hub sent it).
    pub fn mentions(&self, address: &str) -> bool {
        let address = address.to_lowercase();
        let ascii = address.rsplit_once('@').and_then(|(user, domain)| {
            idna::domain_to_ascii(domain)
                .ok()
                .map(|d| format!("{user}@{d}"))
        });
        self.text.contains(&address) || ascii.is_some_and(|a| self.text.contains(&a))
    }
}

/// Reads `raw` as a free-text report.
pub fn read(raw: &[u8]) -> FreeTextReport {
    let searched = String::from_utf8_lossy(&raw[..raw.len().min(MOST_SEARCHED)]);
    let message = MessageParser::default().parse(raw);
    let mut texts = vec![body(&searched).to_string()];
    if let Some(m) = &message {
        texts.extend(decoded_texts(m));
    }
    let mut quoted_ids = Vec::new();
    for line in texts.iter().flat_map(|t| logical_lines(t)) {
        for id in ids_on(&line) {
            if !quoted_ids.contains(&id) {
                quoted_ids.push(id);
            }
        }
    }
    FreeTextReport {
        quoted_ids,
        summary: summary(message.as_ref(), &searched),
        automatic: message
            .as_ref()
            .is_some_and(|m| automatic(m) || auto_reply(m).is_some()),
        auto_reply: message.as_ref().and_then(auto_reply),
        text: texts.concat().to_lowercase(),
    }
}

/// The text of each part as decoded (an HTML part's `&lt;`/`&gt;` read as `<`/`>`), and the
/// `Message-ID` of an attached original.
fn decoded_texts(m: &Message<'_>) -> Vec<String> {
    (m.parts.iter())
        .filter_map(|part| match &part.body {
            PartType::Text(t) => Some(t.to_string()),
            PartType::Html(h) => Some(detagged(h)),
            PartType::Message(inner) => inner.message_id().map(|id| format!("Message-ID: <{id}>")),
            _ => None,
        })
        .collect()
}

/// An HTML part as lines of text, as Exchange, Coremail and webmail write their bounces
/// (`<pre>Message-ID: &lt;O…@hub&gt;</pre>`, a header table, styled spans): a block tag (`<p>`,
/// `<br>`, `<tr>`, `<pre>`) becomes a line break, a cell (`<td>`) a space — a label and its value
/// in two cells of a row stay on one line — and an inline tag (`<span>`, `<wbr>`, `<a …>`) nothing,
/// for it may sit inside an id. An id in angle brackets (an `@`, no space) is no tag. Then entities
/// are read (`&lt;`, `&#64;`, `&nbsp;`), so an id written either way is found.
fn detagged(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let after = &rest[open..];
        match after.find('>') {
            Some(close)
                if !after[..close].contains('@')
                    || after[..close].contains(char::is_whitespace) =>
            {
                text.push_str(tag_text(&after[1..close]));
                rest = &after[close + 1..];
            }
            _ => {
                text.push('<');
                rest = &after[1..];
            }
        }
    }
    text.push_str(rest);
    htmlescape::decode_html(&text).unwrap_or_else(|_| {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    })
}

/// What a tag (its text between `<` and `>`) stands for in the text: a line break for a block, a
/// space for a table cell, nothing for an inline tag.
fn tag_text(tag: &str) -> &'static str {
    let name: String = (tag.trim_start_matches(['/', '!']).chars())
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    const BLOCKS: [&str; 20] = [
        "p",
        "br",
        "div",
        "tr",
        "pre",
        "li",
        "ul",
        "ol",
        "table",
        "tbody",
        "thead",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "blockquote",
        "body",
    ];
    if name == "td" || name == "th" {
        " "
    } else if BLOCKS.contains(&name.as_str()) {
        "\n"
    } else {
        ""
    }
}

/// `text`'s lines, a `>` quote taken off, a folded header line joined with what continues it.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        // `> Message-ID: …`: the quote mark and the one space after it are no folding.
        let unquoted = if line.starts_with('>') {
            let rest = line.trim_start_matches('>');
            rest.strip_prefix(' ').unwrap_or(rest)
        } else {
            line
        };
        let continues = unquoted.starts_with([' ', '\t']) && !unquoted.trim().is_empty();
        match lines.last_mut() {
            Some(last) if continues => {
                last.push(' ');
                last.push_str(unquoted.trim());
            }
            _ => lines.push(unquoted.to_string()),
        }
    }
    lines
}

/// What says `m` is a machine's answer from the recipient's mailbox — an out-of-office or
/// vacation notice (RFC 3834), a challenge to verify the sender — rather than a mail server's
/// bounce: `Auto-Submitted: auto-replied`, a responder's own header (`X-Autoreply`,
/// `X-Autorespond`, QQ Mail's `X-QQ-AutoReply`, `Precedence: auto_reply`) or the subject an
/// auto-responder writes (自动回复, `Auto:`, `Automatic reply`, `Out of Office`); and none of a
/// bounce's marks (MAILER-DAEMON or postmaster, `X-Failed-Recipients`). Returns the mark, for the
/// clerks. Such a message is no act of the recipient, so never a reply; what it says of the
/// notice (it reached the mailbox, or was held there) a clerk reads.
pub fn auto_reply(m: &Message<'_>) -> Option<String> {
    let header = |name: &'static str| m.header_raw(name).map(str::trim);
    if bounce_sender(m) || header("X-Failed-Recipients").is_some() {
        return None;
    }
    // RFC 3834 §5: every value but `no` (with or without a comment, in any case) is automatic.
    if let Some(a) = header("Auto-Submitted").filter(|a| auto_submitted(a)) {
        return Some(format!("Auto-Submitted: {a}"));
    }
    for name in [
        "X-Autoreply",
        "X-Autorespond",
        "X-QQ-AutoReply",
        "X-Auto-Reply",
    ] {
        if let Some(v) = header(name) {
            return Some(format!("{name}: {v}"));
        }
    }
    if let Some(p) = header("Precedence").filter(|p| p.eq_ignore_ascii_case("auto_reply")) {
        return Some(format!("Precedence: {p}"));
    }
    let subject = m.subject().unwrap_or_default().trim();
    let lower = subject.to_lowercase();
    const SUBJECTS: [&str; 10] = [
        "自动回复",
        "auto:",
        "automatic reply",
        "autoreply",
        "auto-reply",
        "out of office",
        "réponse automatique",
        "automatische antwort",
        "respuesta automática",
        "risposta automatica",
    ];
    (SUBJECTS.iter())
        .any(|s| lower.starts_with(s))
        .then(|| format!("Subject: {subject}"))
}

/// Whether an `Auto-Submitted` value says a machine sent the message (RFC 3834 §5: `auto-replied`,
/// `auto-generated`, `auto-notified`, any `auto-` value, with or without a comment; not `no`).
fn auto_submitted(value: &str) -> bool {
    value.trim().to_ascii_lowercase().starts_with("auto-")
}

/// Whether `m` comes from a mail server's bounce sender (MAILER-DAEMON, postmaster).
fn bounce_sender(m: &Message<'_>) -> bool {
    (m.from().and_then(|a| a.first()))
        .and_then(|a| a.address())
        .and_then(|a| a.split('@').next())
        .is_some_and(|user| {
            user.eq_ignore_ascii_case("mailer-daemon") || user.eq_ignore_ascii_case("postmaster")
        })
}

/// Whether `m` says a machine wrote it (see [`FreeTextReport::automatic`]).
fn automatic(m: &Message<'_>) -> bool {
    let header = |name: &'static str| m.header_raw(name).map(str::trim);
    let null_sender = header("Return-Path").is_some_and(|p| p.trim_matches(['<', '>']).is_empty());
    let auto = header("Auto-Submitted").is_some_and(auto_submitted);
    null_sender || auto || bounce_sender(m) || header("X-Failed-Recipients").is_some()
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

/// The message ids a header line names.
fn ids_on(line: &str) -> Vec<String> {
    const NAMING: [&str; 4] = [
        "message-id:",
        "in-reply-to:",
        "references:",
        "original-envelope-id:",
    ];
    let line = line.trim_start();
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
fn summary(message: Option<&Message<'_>>, searched: &str) -> String {
    let said = match message {
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
    // The quoted notice's live link is a credential clerks must not read, in whatever form the
    // bounce quotes it (lines still unfolded, so a link broken across them is found whole).
    let said = crate::link::redact_quoted_links(&said);
    let folded = said.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.chars().take(MOST_SAID).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_bounce_says_is_kept_without_the_live_link_it_quotes() {
        let token = "O000000000007.R2.1796601600.k3JfY9xQ2mZpA7bC4dE5";
        let raw = format!(
            "From: MAILER-DAEMON@mx.parties.test\r\nSubject: failure notice\r\n\r\n\
             <lisi@parties.test>: no such user\r\n> https://songda.hub.test/s/{token}\r\n\
             > Message-ID: <O000000000007.R2.email.k9@hub.test>\r\n"
        );
        let r = read(raw.as_bytes());
        assert!(r.summary.contains("no such user"), "{}", r.summary);
        assert!(!r.summary.contains(token), "{}", r.summary);
        assert!(r.summary.contains(crate::link::REDACTED), "{}", r.summary);
    }

    #[test]
    fn what_a_bounce_says_holds_no_notice_copied_raw_in_base64() {
        use base64::Engine;
        let notice = "请点击链接查看：https://songda.hub.test/s/AgAAAAAAAAAMAAAAAmsf3PHBhDw1lgSxFfa60UJCZJamn2p0UkmWiofU\r\n";
        let body = base64::engine::general_purpose::STANDARD.encode(notice);
        let raw = format!(
            "From: MAILER-DAEMON@mx.parties.test\r\nX-Failed-Recipients: lisi@parties.test\r\n\r\n\
             lisi@parties.test: 550 5.1.1 user unknown\r\n{}\r\n{}\r\n\
             Message-ID: <O000000000007.R2.email.k9@hub.test>\r\n",
            &body[..76],
            &body[76..]
        );
        let r = read(raw.as_bytes());
        assert!(
            r.summary.contains("550 5.1.1 user unknown"),
            "{}",
            r.summary
        );
        assert!(!r.summary.contains(&body[..40]), "{}", r.summary);
        assert!(r.summary.contains(crate::link::BASE64_CUT), "{}", r.summary);
    }

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
    fn a_folded_or_base64_quoted_id_is_found_and_a_bounce_says_it_is_one() {
        // As Amazon WorkMail folds it, and as an m-FILTER bounce encodes its text.
        let quoted = "Message-Id:\r\n <O000000000007.R2.email.k9@hub.test>\r\n";
        let b64 = base64_lines(&format!("<lisi@parties.test>: unknown user\r\n{quoted}"));
        let raw = format!(
            "Return-Path: <>\r\nFrom: postmaster@mx.parties.test\r\nSubject: Undeliverable\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}"
        );
        let r = read(raw.as_bytes());
        assert_eq!(r.quoted_ids, ["O000000000007.R2.email.k9@hub.test"]);
        assert!(r.automatic && r.mentions("LiSi@parties.test"));
        assert!(!r.mentions("wangwu@parties.test"));
        let folded = format!("From: a@b.test\r\n\r\n> {quoted}");
        let r = read(folded.as_bytes());
        assert_eq!(r.quoted_ids, ["O000000000007.R2.email.k9@hub.test"]);
        assert!(!r.automatic, "a person's forward is no bounce");
    }

    fn base64_lines(text: &str) -> String {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
        (encoded.as_bytes().chunks(76))
            .map(|c| format!("{}\r\n", String::from_utf8_lossy(c)))
            .collect()
    }

    #[test]
    fn an_html_bounce_quotes_the_notice_in_tags_or_entities() {
        for (html, encoding) in [
            (
                "<p>Your message to lisi@parties.test couldn't be delivered.</p><pre>Message-ID: <O000000000007.R2.email.k9@hub.test></pre>",
                "7bit",
            ),
            (
                "<p>Your message to lisi@parties.test couldn't be delivered.</p><pre>Message-ID: &lt;O000000000007.R2.email.k9&#64;hub.test&gt;</pre>",
                "7bit",
            ),
            (
                "<html><body><p>Delivery has failed to lisi@parties.test</p>=0D=0A<pre>Message-ID: &lt;O000000000007.R2.e=\r\nmail.k9@hub.test&gt;</pre></body></html>",
                "quoted-printable",
            ),
            // Coremail's and Exchange's layouts: the id in a span, split by spans or <wbr>, and
            // the label and the id in two cells of a header table with a mailto link beside.
            (
                "<p>To lisi@parties.test</p><div>Message-ID: &lt;<span>O000000000007.R2.email.k9@hub.test</span>&gt;</div>",
                "7bit",
            ),
            (
                "<p>To lisi@parties.test</p><div>Message-ID: &lt;<span style=\"x\">O000000000007.R2.</span><span>email.k9</span><wbr>@hub.test&gt;</div>",
                "7bit",
            ),
            (
                "<table><tr><td><a href=\"mailto:lisi@parties.test\">lisi@parties.test</a></td></tr><tr><td>Message-ID:</td><td>&lt;O000000000007.R2.email.k9@hub.test&gt;</td></tr></table>",
                "7bit",
            ),
        ] {
            let raw = format!(
                "Return-Path: <>\r\nFrom: postmaster@mx.parties.test\r\nAuto-Submitted: auto-replied\r\n\
                 Subject: Undeliverable\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Transfer-Encoding: {encoding}\r\n\r\n{html}\r\n"
            );
            let r = read(raw.as_bytes());
            assert_eq!(
                r.quoted_ids,
                ["O000000000007.R2.email.k9@hub.test"],
                "{html}"
            );
            assert!(r.automatic && r.mentions("lisi@parties.test"), "{html}");
        }
    }

    #[test]
    fn an_auto_reply_quoting_the_notice_is_one_whatever_marks_it() {
        let raw = "From: lisi@qq.test\r\nSubject: =?UTF-8?B?6Ieq5Yqo5Zue5aSN?=\r\nX-QQ-AutoReply: 1\r\n\r\n\
                   我正在休假。\r\n> Message-ID: <O000000000007.R2.email.k9@hub.test>\r\n";
        let r = read(raw.as_bytes());
        assert_eq!(r.auto_reply.as_deref(), Some("X-QQ-AutoReply: 1"));
        assert!(r.automatic, "an auto-reply is a machine's");
        assert_eq!(r.quoted_ids, ["O000000000007.R2.email.k9@hub.test"]);
        // A bounce from the mail server is none, whatever else it says.
        let bounce = raw.replace("From: lisi@qq.test", "From: MAILER-DAEMON@qq.test");
        assert_eq!(read(bounce.as_bytes()).auto_reply, None);
    }

    #[test]
    fn a_bounce_in_gb2312_is_read_in_chinese() {
        let said = "您好！很抱歉，您发送的邮件被退回。收件人不存在。";
        let (gb, _, _) = encoding_rs::GBK.encode(said);
        let b64 = base64_lines_of(&gb);
        let raw = format!(
            "Return-Path: <>\r\nFrom: postmaster@163.com\r\nSubject: =?GB2312?B?z7XNs83L0MU=?=\r\n\
             Content-Type: text/plain; charset=\"GB2312\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}"
        );
        let r = read(raw.as_bytes());
        assert!(r.summary.contains("Subject: 系统退信"), "{}", r.summary);
        assert!(r.summary.contains(said), "{}", r.summary);
    }

    fn base64_lines_of(bytes: &[u8]) -> String {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        (encoded.as_bytes().chunks(76))
            .map(|c| format!("{}\r\n", String::from_utf8_lossy(c)))
            .collect()
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
        let said = r.summary.trim_start_matches("From: ; Subject: ; ");
        assert!(
            said.starts_with("\u{feff}垃圾\u{feff}垃圾"),
            "{}",
            r.summary
        );
    }
}
