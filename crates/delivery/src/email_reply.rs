//! A recipient's e-mail answer to a notice, as it lands in the hub's bounce maildir (the notice
//! carries `Reply-To:` that address). It names the notice it answers in `In-Reply-To` or
//! `References` (RFC 5322 §3.6.4). Anyone can write a `From:` header, so such a reply is kept for
//! the clerks with its text and the one service it names, never counted by itself.

use mail_parser::MessageParser;

/// The longest reply text kept (characters).
pub const MAX_TEXT_CHARS: usize = 2000;

/// What an e-mail reply says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailReply {
    /// The `From:` address, as written (unverified).
    pub from: String,
    /// The first text part, at most [`MAX_TEXT_CHARS`] characters.
    pub text: String,
    /// The message ids it answers (`In-Reply-To`, then `References`), without angle brackets.
    pub answers: Vec<String>,
    /// What says a machine answered, not the recipient (an out-of-office:
    /// [`crate::free_bounce::auto_reply`]), when one did.
    pub automatic: Option<String>,
}

/// Reads a reply; `None` for a message that answers nothing (no `In-Reply-To` or `References`).
pub fn parse(raw: &[u8]) -> Option<EmailReply> {
    let message = MessageParser::default().parse(raw)?;
    let mut answers = Vec::new();
    for header in [message.in_reply_to(), message.references()] {
        let ids: Vec<String> = match (header.as_text_list(), header.as_text()) {
            (Some(many), _) => many.iter().map(std::string::ToString::to_string).collect(),
            (None, Some(one)) => vec![one.to_string()],
            _ => Vec::new(),
        };
        for id in ids {
            let id = id
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string();
            if !id.is_empty() && !answers.contains(&id) {
                answers.push(id);
            }
        }
    }
    if answers.is_empty() {
        return None;
    }
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_string();
    // A reply often quotes the notice: its live link is a credential clerks must not read.
    let text = message
        .body_text(0)
        .map(|t| {
            crate::link::redact_quoted_links(&t)
                .chars()
                .take(MAX_TEXT_CHARS)
                .collect()
        })
        .unwrap_or_default();
    Some(EmailReply {
        from,
        text,
        answers,
        automatic: crate::free_bounce::auto_reply(&message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_quoting_the_notice_keeps_its_words_but_not_the_live_link() {
        let token = "O000000000003.R1.1796601600.k3JfY9xQ2mZpA7bC4dE5";
        let raw = format!(
            "From: wangwu@lawfirm.test\r\nIn-Reply-To: <O000000000003.R1.email.ab12@hub.test>\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("已收到。\r\n> 请点击链接查看：https://songda.hub.test/s/{token}\r\n")
            )
        );
        let r = parse(raw.as_bytes()).unwrap();
        assert!(r.text.starts_with("已收到。"), "{}", r.text);
        assert!(!r.text.contains(token), "{}", r.text);
        assert!(r.text.contains(crate::link::REDACTED), "{}", r.text);
    }

    #[test]
    fn a_reply_names_the_notice_it_answers_and_keeps_its_text() {
        let raw = "From: =?UTF-8?B?546L5LqU?= <wangwu@lawfirm.test>\r\nTo: songda@court.test\r\n\
                   Subject: =?UTF-8?B?5Zue5aSN?=\r\nIn-Reply-To: <O000000000003.R1.email.ab12@hub.test>\r\n\
                   References: <x@y> <O000000000003.R1.email.ab12@hub.test>\r\n\
                   Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n已收到，谢谢。\r\n";
        let r = parse(raw.as_bytes()).unwrap();
        assert_eq!(r.from, "wangwu@lawfirm.test");
        assert_eq!(
            r.answers,
            vec![
                "O000000000003.R1.email.ab12@hub.test".to_string(),
                "x@y".to_string()
            ]
        );
        assert!(r.text.starts_with("已收到，谢谢。"));
        assert_eq!(r.automatic, None, "a person's reply");
        let away = raw.replace(
            "Subject: =?UTF-8?B?5Zue5aSN?=",
            "Subject: =?UTF-8?B?6Ieq5Yqo5Zue5aSNOiDmiJHmraPlnKjkvJHlgYc=?=\r\nX-QQ-AutoReply: 1",
        );
        let auto = parse(away.as_bytes()).unwrap();
        assert_eq!(auto.automatic.as_deref(), Some("X-QQ-AutoReply: 1"));
        let by_subject = raw.replace(
            "=?UTF-8?B?5Zue5aSN?=",
            "=?UTF-8?B?6Ieq5Yqo5Zue5aSNOiDmiJHmraPlnKjkvJHlgYc=?=",
        );
        let subject = parse(by_subject.as_bytes()).unwrap().automatic.unwrap();
        assert!(subject.starts_with("Subject: 自动回复"), "{subject}");
        // Sieve's vacation, with its comment; and any other `auto-` value (RFC 3834 §5).
        for value in ["Auto-Replied (vacation)", "auto-generated"] {
            let sieve = raw.replace(
                "To: songda",
                &format!("AUTO-SUBMITTED: {value}\r\nTo: songda"),
            );
            assert!(
                parse(sieve.as_bytes()).unwrap().automatic.is_some(),
                "{value}"
            );
        }
        let person = raw.replace("To: songda", "Auto-Submitted: no\r\nTo: songda");
        assert_eq!(parse(person.as_bytes()).unwrap().automatic, None);
        let unrelated = "From: a@b\r\nSubject: hi\r\n\r\nhello\r\n";
        assert_eq!(parse(unrelated.as_bytes()), None);
    }
}
