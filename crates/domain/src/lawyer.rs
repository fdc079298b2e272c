//! The court's directory of lawyers (律师名录): who may sign in to the lawyers' portal and where
//! their one-time sign-in codes go. The court keeps it; each change is one event
//! ([`crate::Event::LawyerRecorded`], [`crate::Event::LawyerRemoved`]), so the log shows who
//! listed whom, when, with which phone and e-mail — the addresses a code was later sent to.
//!
//! A lawyer's hub identity (`urn:ecenter:lawyer:<id>`) is the same one their client certificate
//! carries: a portal session acts with exactly the rights of that identity. The identity's form is
//! checked where identities are parsed (crates/identity); this module checks the rest.

use crate::error::{DomainError, FieldViolation};

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 50;
/// Longest law firm name, in characters.
pub const MAX_FIRM_CHARS: usize = 100;
/// Digits of a practising certificate number (律师执业证号, issued by the Ministry of Justice's
/// system since 2008: category, region, year, kind and serial, all digits).
pub const LICENCE_DIGITS: usize = 17;

/// One lawyer as the court lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lawyer {
    /// Hub identity, `urn:ecenter:lawyer:<id>`.
    pub identity: String,
    /// Full name as on the practising certificate (姓名).
    pub name: String,
    /// Practising certificate number (执业证号), 17 digits.
    pub licence_number: String,
    /// The law firm they practise at (执业机构).
    pub law_firm: String,
    /// 11-digit mainland mobile number: sign-in codes by SMS; empty when the court lists none
    /// (then `email` is not empty).
    pub phone: String,
    /// E-mail address: sign-in codes by e-mail; empty when the court lists none (then `phone` is
    /// not empty).
    pub email: String,
}

impl Lawyer {
    /// The record with surrounding spaces trimmed from every field (as the court's system sent
    /// it otherwise): what is checked and recorded.
    /// Full-width digits (０-９, as Chinese input methods type them) in the certificate number and
    /// the phone become ASCII.
    pub fn trimmed(self) -> Lawyer {
        Lawyer {
            identity: self.identity.trim().to_string(),
            name: self.name.trim().to_string(),
            licence_number: crate::text::ascii_digits(self.licence_number.trim()),
            law_firm: self.law_firm.trim().to_string(),
            phone: crate::text::ascii_digits(self.phone.trim()),
            email: self.email.trim().to_string(),
        }
    }

    /// Checks every field but the identity, naming each bad one (`lawyer.<field>`).
    pub fn check(&self) -> Result<(), DomainError> {
        let mut bad = Vec::new();
        let mut field = |name: &str, why: String| {
            bad.push(FieldViolation::new(format!("lawyer.{name}"), why));
        };
        if let Err(why) = crate::text::check_field(&self.name, MAX_NAME_CHARS, "姓名") {
            field("name", why);
        }
        if let Err(why) = crate::text::check_field(&self.law_firm, MAX_FIRM_CHARS, "执业机构") {
            field("law_firm", why);
        }
        if self.licence_number.len() != LICENCE_DIGITS
            || !self.licence_number.bytes().all(|b| b.is_ascii_digit())
        {
            field(
                "licence_number",
                format!(
                    "「{}」 is not a practising certificate number of {LICENCE_DIGITS} digits / 执业证号应为{LICENCE_DIGITS}位数字",
                    crate::text::quoted(&self.licence_number, 40)
                ),
            );
        }
        if self.phone.is_empty() && self.email.is_empty() {
            field(
                "phone",
                "neither a mobile number nor an e-mail address: sign-in codes need one / \
                 手机号码和电子邮箱至少登记一项，否则无法接收验证码"
                    .to_string(),
            );
        }
        if !self.phone.is_empty() && !crate::serve_order::valid_phone(&self.phone) {
            field(
                "phone",
                format!(
                    "「{}」 is not an 11-digit mainland mobile number / 不是有效的11位手机号码",
                    crate::text::quoted(&self.phone, 40)
                ),
            );
        }
        if !self.email.is_empty() && !crate::serve_order::valid_email(&self.email) {
            field(
                "email",
                format!(
                    "「{}」 is not an e-mail address / 不是有效的电子邮箱",
                    crate::text::quoted(&self.email, 40)
                ),
            );
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(DomainError::InvalidInput(bad))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lawyer() -> Lawyer {
        Lawyer {
            identity: "urn:ecenter:lawyer:zhang".into(),
            name: "张明".into(),
            licence_number: "14201201010123456".into(),
            law_firm: "湖北楚天律师事务所".into(),
            phone: "13800138000".into(),
            email: "zhang@chutian-law.cn".into(),
        }
    }

    fn fields(e: DomainError) -> Vec<String> {
        match e {
            DomainError::InvalidInput(v) => v.into_iter().map(|v| v.field).collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_complete_record_passes_and_spaces_are_trimmed() {
        assert_eq!(lawyer().check(), Ok(()));
        let mut spaced = lawyer();
        spaced.name = " 张明\u{3000}".into();
        spaced.phone = "13800138000 ".into();
        spaced.licence_number = "１４２０１２０１０１０１２３４５６".into();
        let trimmed = spaced.trimmed();
        assert_eq!(trimmed, lawyer());
    }

    #[test]
    fn invisible_characters_and_numbers_that_are_no_mobile_are_refused() {
        for name in ["张\u{200B}明", "\u{FEFF}张明", "张明\u{202E}", "张\u{7}明"] {
            let mut l = lawyer();
            l.name = name.into();
            let why = l.check().unwrap_err().to_string();
            assert!(
                why.contains("lawyer.name") && why.contains("不可见字符"),
                "{why}"
            );
        }
        let mut dotted = lawyer();
        dotted.name = "阿依古丽·买买提".into();
        assert_eq!(
            dotted.check(),
            Ok(()),
            "the middle dot of minority names is a name"
        );
        let mut landline = lawyer();
        landline.phone = "12345678901".into();
        assert_eq!(fields(landline.check().unwrap_err()), ["lawyer.phone"]);
    }

    #[test]
    fn one_address_for_codes_is_enough_and_none_is_refused() {
        let mut phone_only = lawyer();
        phone_only.email = String::new();
        assert_eq!(phone_only.check(), Ok(()));
        let mut email_only = lawyer();
        email_only.phone = " ".into();
        assert_eq!(email_only.trimmed().check(), Ok(()));
        let mut neither = lawyer();
        neither.phone = String::new();
        neither.email = String::new();
        let why = neither.check().unwrap_err();
        assert!(why.to_string().contains("至少登记一项"), "{why}");
        assert_eq!(fields(why), ["lawyer.phone"]);
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut l = lawyer();
        l.name = String::new();
        l.licence_number = "1420120101012345X".into();
        l.law_firm = "所".repeat(MAX_FIRM_CHARS + 1);
        l.phone = "0710-3456789".into();
        l.email = "zhang at chutian".into();
        assert_eq!(
            fields(l.check().unwrap_err()),
            [
                "lawyer.name",
                "lawyer.law_firm",
                "lawyer.licence_number",
                "lawyer.phone",
                "lawyer.email"
            ]
        );
        let mut short = lawyer();
        short.licence_number = "1420120101012345".into();
        short.name = "张\u{0}明".into();
        assert_eq!(
            fields(short.check().unwrap_err()),
            ["lawyer.name", "lawyer.licence_number"]
        );
        let message = short.check().unwrap_err().to_string();
        assert!(message.contains("执业证号应为17位数字"), "{message}");
    }
}
