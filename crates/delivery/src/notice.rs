//! The texts recipients receive: an e-mail and an SMS notice in Chinese telling who serves what in
//! which case, with the recipient's link and until when it works (in Asia/Shanghai time). No
//! attachments: the documents are behind the link, where opening and confirming are recorded.

use chrono::{DateTime, FixedOffset, Utc};

/// Characters in one SMS in UCS-2 (data_coding 8).
pub const SMS_SINGLE_CHARS: usize = 70;
/// Characters per part of a concatenated UCS-2 SMS (the UDH takes six bytes of each part).
pub const SMS_PART_CHARS: usize = 67;

/// What a notice says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeContext {
    /// The serving court, e.g. 湖北省襄阳市中级人民法院.
    pub court: String,
    /// 案号.
    pub case_number: String,
    /// The recipient's name.
    pub recipient: String,
    /// The documents served, by title (民事判决书, 传票, ...).
    pub documents: Vec<String>,
    /// The recipient's link.
    pub link: String,
    /// Until when the link works.
    pub expires_at: DateTime<Utc>,
    /// Whom to call with questions.
    pub contact: String,
}

fn shanghai(t: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    t.with_timezone(&cst)
        .format("%Y年%m月%d日%H:%M")
        .to_string()
}

/// The court's wording of notices, with placeholders filled per recipient: `{court}`, `{case}`,
/// `{recipient}`, `{documents}` (a numbered list), `{count}`, `{link}`, `{expires}` (Beijing time),
/// `{contact}`. Courts adapt the wording; the link must stay in every text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Templates {
    /// Subject of the e-mail.
    pub email_subject: String,
    /// Body of the e-mail (plain text).
    pub email_body: String,
    /// The SMS.
    pub sms: String,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            email_subject: "【{court}】{case}电子送达通知".into(),
            email_body: "{recipient}：\n\n\
                {court}依法向您电子送达{case}案件的下列文书：\n{documents}\n\
                请点击以下链接查看并下载文书，阅读后请在页面上点击“确认已阅读”：\n{link}\n\n\
                链接有效期至{expires}（北京时间），仅供您本人使用，请勿转发。\n\
                根据《中华人民共和国民事诉讼法》第九十条和《人民法院在线诉讼规则》第三十一条，\
                电子送达与纸质送达具有同等效力。\n\n\
                如有疑问，请联系：{contact}\n\n\
                {court}\n"
                .into(),
            sms: "【{court}】{recipient}：本院向您电子送达{case}案{count}份文书，请于{expires}前查看并确认：{link}"
                .into(),
        }
    }
}

const PLACEHOLDERS: [&str; 8] = [
    "court",
    "case",
    "recipient",
    "documents",
    "count",
    "link",
    "expires",
    "contact",
];

/// Why a notice template is refused at start-up, before it reaches any recipient.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A text the recipient acts on lacks the link to the documents.
    #[error("template {0} must contain {{link}}")]
    NoLink(&'static str),
    /// A `{` without its `}`.
    #[error("template {0}: a '{{' is never closed")]
    Unclosed(&'static str),
    /// A placeholder that does not exist (a typo would reach every recipient).
    #[error("template {template}: unknown placeholder {{{placeholder}}} (known: {known})", known = PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" "))]
    UnknownPlaceholder {
        /// The template's name.
        template: &'static str,
        /// The unknown name between the braces.
        placeholder: String,
    },
}

impl Templates {
    /// Refuses a template without `{link}` in a text the recipient acts on, or with a placeholder
    /// that does not exist (a typo would otherwise reach every recipient).
    pub fn check(&self) -> Result<(), TemplateError> {
        for (name, text, needs_link) in [
            ("email_subject", &self.email_subject, false),
            ("email_body", &self.email_body, true),
            ("sms", &self.sms, true),
        ] {
            if needs_link && !text.contains("{link}") {
                return Err(TemplateError::NoLink(name));
            }
            let mut rest = text.as_str();
            while let Some(open) = rest.find('{') {
                let after = &rest[open + 1..];
                let Some(close) = after.find('}') else {
                    return Err(TemplateError::Unclosed(name));
                };
                let key = &after[..close];
                if !PLACEHOLDERS.contains(&key) {
                    return Err(TemplateError::UnknownPlaceholder {
                        template: name,
                        placeholder: key.into(),
                    });
                }
                rest = &after[close + 1..];
            }
        }
        Ok(())
    }

    fn render(text: &str, ctx: &NoticeContext) -> String {
        let documents: String = ctx
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| format!("  {}. {d}\n", i + 1))
            .collect();
        let mut out = String::with_capacity(text.len() + 256);
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            match &after[..close] {
                "court" => out.push_str(&ctx.court),
                "case" => out.push_str(&ctx.case_number),
                "recipient" => out.push_str(&ctx.recipient),
                "documents" => out.push_str(&documents),
                "count" => out.push_str(&ctx.documents.len().to_string()),
                "link" => out.push_str(&ctx.link),
                "expires" => out.push_str(&shanghai(ctx.expires_at)),
                "contact" => out.push_str(&ctx.contact),
                other => {
                    out.push('{');
                    out.push_str(other);
                    out.push('}');
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The e-mail notice: subject and plain-text body.
    pub fn email(&self, ctx: &NoticeContext) -> (String, String) {
        (
            Self::render(&self.email_subject, ctx),
            Self::render(&self.email_body, ctx),
        )
    }

    /// The SMS notice.
    pub fn sms(&self, ctx: &NoticeContext) -> String {
        Self::render(&self.sms, ctx)
    }
}

/// The e-mail notice in the default wording: subject and plain-text body.
pub fn email(ctx: &NoticeContext) -> (String, String) {
    Templates::default().email(ctx)
}

/// The SMS notice in the default wording: short, with the link.
pub fn sms(ctx: &NoticeContext) -> String {
    Templates::default().sms(ctx)
}

/// How many SMS parts `text` takes in UCS-2 (a character outside the BMP counts twice).
pub fn sms_parts(text: &str) -> usize {
    let units = text.encode_utf16().count();
    if units <= SMS_SINGLE_CHARS {
        1
    } else {
        units.div_ceil(SMS_PART_CHARS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> NoticeContext {
        NoticeContext {
            court: "湖北省襄阳市中级人民法院".into(),
            case_number: "（2026）鄂06民初123号".into(),
            recipient: "张三".into(),
            documents: vec!["民事判决书".into(), "上诉状副本".into()],
            link: "https://ecenter.example/s/abc.def".into(),
            expires_at: DateTime::parse_from_rfc3339("2026-12-05T16:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
            contact: "书记员 李四 0710-1234567".into(),
        }
    }

    #[test]
    fn the_email_names_court_case_documents_link_and_beijing_expiry() {
        let (subject, body) = email(&ctx());
        assert_eq!(
            subject,
            "【湖北省襄阳市中级人民法院】（2026）鄂06民初123号电子送达通知"
        );
        assert!(body.starts_with("张三：\n"));
        assert!(body.contains("  1. 民事判决书\n  2. 上诉状副本\n"));
        assert!(body.contains("https://ecenter.example/s/abc.def"));
        // 16:30 UTC is 00:30 the next day in Beijing.
        assert!(
            body.contains("链接有效期至2026年12月06日00:30（北京时间）"),
            "{body}"
        );
        assert!(body.contains("确认已阅读"));
    }

    #[test]
    fn a_courts_own_wording_is_used_and_checked() {
        let mine = Templates {
            sms: "{court}送达{case}：{link}（{expires}前有效）".into(),
            ..Templates::default()
        };
        mine.check().unwrap();
        assert_eq!(
            mine.sms(&ctx()),
            "湖北省襄阳市中级人民法院送达（2026）鄂06民初123号：https://ecenter.example/s/abc.def（2026年12月06日00:30前有效）"
        );
        let no_link = Templates {
            email_body: "请登录法院网站查看".into(),
            ..Templates::default()
        };
        assert_eq!(no_link.check(), Err(TemplateError::NoLink("email_body")));
        assert!(no_link.check().unwrap_err().to_string().contains("{link}"));
        let typo = Templates {
            sms: "{cuort} {link}".into(),
            ..Templates::default()
        };
        assert!(typo.check().unwrap_err().to_string().contains("{cuort}"));
        Templates::default().check().unwrap();
    }

    #[test]
    fn the_sms_fits_in_few_parts_and_counts_chinese_as_ucs2() {
        let text = sms(&ctx());
        assert!(text.contains("2份文书") && text.ends_with("https://ecenter.example/s/abc.def"));
        assert_eq!(sms_parts(&text), text.encode_utf16().count().div_ceil(67));
        assert!(sms_parts(&text) <= 2, "{} parts: {text}", sms_parts(&text));
        assert_eq!(sms_parts(&"送".repeat(70)), 1);
        assert_eq!(sms_parts(&"送".repeat(71)), 2);
        assert_eq!(sms_parts(&"送".repeat(134)), 2);
        assert_eq!(sms_parts(&"送".repeat(135)), 3);
        assert_eq!(
            sms_parts(&"𠀀".repeat(35)),
            1,
            "outside the BMP: two units each"
        );
        assert_eq!(sms_parts(&"𠀀".repeat(36)), 2);
    }
}
