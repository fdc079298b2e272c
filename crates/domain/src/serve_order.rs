//! A court's order to serve documents electronically (送达), checked before anything is recorded: who
//! is served, at which addresses and on what basis, with which consent, and the plan of channels.

use crate::case_number::CaseNumber;
use crate::effective_service::{AddressBasis, Channel};
use crate::error::{DomainError, FieldViolation};
use serde::{Deserialize, Serialize};

/// Most recipients one order may name (a class action's parties are served in batches).
pub const MAX_RECIPIENTS: usize = 10_000;
/// Longest a recipient's name (姓名 / 名称) may be, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest a recipient's role (诉讼地位: 原告, 被告, 第三人, 诉讼代理人, ...) may be, in characters.
pub const MAX_ROLE_CHARS: usize = 32;
/// Longest the basis of a recipient's consent may be, in characters.
pub const MAX_CONSENT_CHARS: usize = 500;
/// Longest a channel may be waited on before falling back to the next one.
pub const MAX_DEADLINE_HOURS: u32 = 30 * 24;

/// One step of the channel plan: try `channel`, and fall back after `deadline_hours` without
/// effective service (or on a final failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    /// The channel.
    pub channel: Channel,
    /// Hours to wait for effective service before the next step.
    pub deadline_hours: u32,
}

/// A recipient as the court system names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientRequest {
    /// 姓名 / 名称.
    pub name: String,
    /// 原告, 被告, 第三人, 诉讼代理人, ...
    pub role: String,
    /// Mobile number (11 digits, mainland China), if any.
    pub phone: String,
    /// E-mail address, if any.
    pub email: String,
    /// How the court came by the phone number.
    pub phone_basis: Option<AddressBasis>,
    /// How the court came by the e-mail address.
    pub email_basis: Option<AddressBasis>,
    /// What the consent to electronic service rests on (e.g. 送达地址确认书 of 2026-11-02).
    pub consent_basis: String,
    /// The recipient's identity at the hub (`urn:ecenter:lawyer:…`), when they have one: they then
    /// also find the service in their own client.
    pub identity: String,
}

/// A recipient after the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Hub-assigned id, `R1`, `R2`, ... within the order.
    pub recipient_id: String,
    /// Name.
    pub name: String,
    /// Role in the case.
    pub role: String,
    /// Addresses by channel with their basis.
    pub addresses: Vec<(Channel, String, AddressBasis)>,
    /// What the consent rests on.
    pub consent_basis: String,
    /// The recipient's identity at the hub, if any.
    #[serde(default)]
    pub identity: Option<String>,
}

/// An order as the court system sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeOrderRequest {
    /// The case.
    pub case_number: String,
    /// The documents to serve: ids of sealed documents of the case's filings (`F…/S1`).
    pub documents: Vec<String>,
    /// Who is served.
    pub recipients: Vec<RecipientRequest>,
    /// Channels in order, each with its deadline.
    pub plan: Vec<PlanStep>,
}

/// An order after the checks: what the `service_ordered` event records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServeOrder {
    /// The case.
    pub case_number: CaseNumber,
    /// The documents.
    pub documents: Vec<String>,
    /// Who is served.
    pub recipients: Vec<Recipient>,
    /// The channel plan.
    pub plan: Vec<PlanStep>,
}

/// An 11-digit mainland mobile number: 13 to 19 begin the mobile ranges of the MIIT numbering plan
/// (10, 11 and 12 are service and special numbers that take no SMS).
pub(crate) fn valid_phone(p: &str) -> bool {
    p.len() == 11
        && p.starts_with('1')
        && (b'3'..=b'9').contains(&p.as_bytes()[1])
        && p.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        // An address literal (`a@[127.0.0.1]`) names a host, not a recipient's provider.
        && !domain.starts_with('[')
        // `<a@b.cn>` or `王五 <a@b.cn>`: a display form, not the address.
        && !e.contains(['<', '>'])
        && e.len() <= 254
        && !e
            .chars()
            .any(|c| c.is_whitespace() || crate::text::hidden(c))
}

impl ServeOrderRequest {
    /// Checks every field, reporting every problem at once; recipients get ids `R1`, `R2`, ...
    pub fn validate(self) -> Result<ServeOrder, DomainError> {
        let mut bad = Vec::new();
        let case_number = match CaseNumber::parse(&self.case_number) {
            Ok(n) => Some(n),
            Err(e) => {
                bad.push(FieldViolation::new("case_number", e.to_string()));
                None
            }
        };
        if self.documents.is_empty() {
            bad.push(FieldViolation::new(
                "documents",
                "name at least one sealed document to serve",
            ));
        }
        if self.recipients.is_empty() || self.recipients.len() > MAX_RECIPIENTS {
            bad.push(FieldViolation::new(
                "recipients",
                format!("name 1 to {MAX_RECIPIENTS} recipients"),
            ));
        }
        check_plan(&self.plan, &mut bad);
        let mut recipients = Vec::with_capacity(self.recipients.len());
        for (i, r) in self.recipients.into_iter().enumerate() {
            recipients.push(check_recipient(i, r, &self.plan, &mut bad));
        }
        check_repeats(&recipients, &mut bad);
        match case_number {
            Some(case_number) if bad.is_empty() => Ok(ServeOrder {
                case_number,
                documents: self.documents,
                recipients,
                plan: self.plan,
            }),
            _ => Err(DomainError::InvalidInput(bad)),
        }
    }
}

/// Whether two addresses of one channel reach the same place: an e-mail address whatever its
/// letters' case (domains are case-insensitive, RFC 5321 §2.4, and so are the mailboxes of the
/// providers people use) and whichever form its domain is written in (例子.中国 and its A-label
/// xn--fsqu00a.xn--fiqs8s are one domain, RFC 5890 §2.3.2.1), a phone number as written.
fn same_address(channel: Channel, a: &str, b: &str) -> bool {
    match channel {
        Channel::Email => mailbox(a) == mailbox(b),
        Channel::Sms => a == b,
    }
}

/// An e-mail address as compared ([`same_address`]): [`compared`], lower-cased, its domain as
/// IDNA's ASCII form (UTS #46) when it has one.
fn mailbox(address: &str) -> String {
    let address = compared(address).to_lowercase();
    match address.rsplit_once('@') {
        Some((local, domain)) => match idna::domain_to_ascii(domain) {
            Ok(ascii) => format!("{local}@{ascii}"),
            Err(_) => address,
        },
        None => address,
    }
}

/// Text as it is compared for sameness: in Unicode's compatibility composition (NFKC, UAX #15),
/// so that José typed with a combining accent, 金 typed as the compatibility ideograph U+F90A
/// and a full-width Ｊ are the one name they read as.
fn compared(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().collect()
}

/// A name as compared: [`compared`], lower-cased, without spaces — 张 三 typed with a space (as
/// forms pad two-character names) is 张三, ZHANG San is Zhang San.
fn name_key(name: &str) -> String {
    (compared(name).to_lowercase().chars())
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Refuses a recipient named twice — the same name at one of the same addresses, however either
/// is written ([`name_key`], [`same_address`]), or the same hub identity under any name — which
/// would send the same person two notices and make two proofs of one service.
fn check_repeats(recipients: &[Recipient], bad: &mut Vec<FieldViolation>) {
    for (i, r) in recipients.iter().enumerate() {
        let same_person = |e: &Recipient| {
            name_key(&e.name) == name_key(&r.name)
                && e.addresses.iter().any(|(c, a, _)| {
                    r.addresses
                        .iter()
                        .any(|(d, b, _)| c == d && same_address(*c, a, b))
                })
        };
        let same_identity = |e: &Recipient| r.identity.is_some() && e.identity == r.identity;
        if let Some(j) = recipients[..i].iter().position(same_person) {
            bad.push(FieldViolation::new(
                format!("recipients[{i}]"),
                format!(
                    "repeats recipients[{j}] (the same name at the same address): name each \
                     recipient once / 同一受送达人不得重复列出"
                ),
            ));
        } else if let Some(j) = recipients[..i].iter().position(same_identity) {
            bad.push(FieldViolation::new(
                format!("recipients[{i}].identity"),
                format!(
                    "repeats recipients[{j}]'s hub identity: one lawyer is one recipient, under \
                     one name / 同一平台身份不得列为两名受送达人"
                ),
            ));
        }
    }
}

/// Checks the channel plan: at least one step, each deadline within bounds, each channel once
/// (retrying a channel is the outbox's job).
fn check_plan(plan: &[PlanStep], bad: &mut Vec<FieldViolation>) {
    if plan.is_empty() {
        bad.push(FieldViolation::new(
            "plan",
            "give at least one channel (e-mail or SMS) with its deadline",
        ));
    }
    for (i, step) in plan.iter().enumerate() {
        if step.deadline_hours == 0 || step.deadline_hours > MAX_DEADLINE_HOURS {
            bad.push(FieldViolation::new(
                format!("plan[{i}].deadline_hours"),
                format!("1 to {MAX_DEADLINE_HOURS} hours"),
            ));
        }
        if plan[..i].iter().any(|s| s.channel == step.channel) {
            bad.push(FieldViolation::new(
                format!("plan[{i}].channel"),
                "each channel once: a retry is the outbox's job, not the plan's",
            ));
        }
    }
}

/// Checks recipient `i` (受送达人): name, role, hub identity, consent to electronic service and
/// addresses (the texts a court reads in the proof: one line each, nothing hidden such as a
/// U+202E that would show 张三 reversed), one of which must be on a channel of `plan`; gives them the id `R{i+1}`.
fn check_recipient(
    i: usize,
    r: RecipientRequest,
    plan: &[PlanStep],
    bad: &mut Vec<FieldViolation>,
) -> Recipient {
    let field = |name: &str| format!("recipients[{i}].{name}");
    let name = r.name.trim().to_string();
    if let Err(why) = crate::text::check_field(&name, MAX_NAME_CHARS, "受送达人姓名或名称")
    {
        bad.push(FieldViolation::new(field("name"), why));
    }
    let role = r.role.trim().to_string();
    if !role.is_empty()
        && let Err(why) = crate::text::check_field(&role, MAX_ROLE_CHARS, "诉讼地位")
    {
        bad.push(FieldViolation::new(field("role"), why));
    }
    check_identity(i, r.identity.trim(), bad);
    let consent_basis = r.consent_basis.trim().to_string();
    if consent_basis.is_empty() {
        bad.push(FieldViolation::new(
            field("consent_basis"),
            "electronic service needs the recipient's consent (民事诉讼法第九十条): say what it rests on",
        ));
    } else if let Err(why) =
        crate::text::check_field(&consent_basis, MAX_CONSENT_CHARS, "同意电子送达的依据")
    {
        bad.push(FieldViolation::new(field("consent_basis"), why));
    }
    let addresses = recipient_addresses(i, &r, bad);
    if !plan
        .iter()
        .any(|s| addresses.iter().any(|(c, _, _)| *c == s.channel))
        && !addresses.is_empty()
    {
        bad.push(FieldViolation::new(
            field("email"),
            "none of this recipient's addresses is on a channel of the plan",
        ));
    }
    Recipient {
        recipient_id: format!("R{}", i + 1),
        name,
        role,
        addresses,
        consent_basis,
        identity: (!r.identity.trim().is_empty()).then(|| r.identity.trim().to_string()),
    }
}

/// Checks recipient `i`'s hub identity, when given: `urn:ecenter:<kind>:<id>`.
fn check_identity(i: usize, identity: &str, bad: &mut Vec<FieldViolation>) {
    let parts: Vec<&str> = identity.splitn(4, ':').collect();
    if !identity.is_empty()
        && (identity.len() > 200
            || parts.len() != 4
            || parts[0] != "urn"
            || parts[1] != "ecenter"
            || parts[2].is_empty()
            || parts[3].is_empty()
            || crate::text::has_hidden(identity))
    {
        bad.push(FieldViolation::new(
            format!("recipients[{i}].identity"),
            format!("「{identity}」 is not an identity like urn:ecenter:lawyer:14201202010000001"),
        ));
    }
}

/// Checks recipient `i`'s mobile number and e-mail address, each with the basis the court has for
/// it (送达地址确认书 or otherwise); returns the addresses by channel.
fn recipient_addresses(
    i: usize,
    r: &RecipientRequest,
    bad: &mut Vec<FieldViolation>,
) -> Vec<(Channel, String, AddressBasis)> {
    let field = |name: &str| format!("recipients[{i}].{name}");
    let mut addresses = Vec::new();
    let phone = r.phone.trim();
    if !phone.is_empty() {
        if !valid_phone(phone) {
            bad.push(FieldViolation::new(
                field("phone"),
                format!("「{phone}」 is not an 11-digit mainland mobile number"),
            ));
        }
        match r.phone_basis {
            Some(b) => addresses.push((Channel::Sms, phone.to_string(), b)),
            None => bad.push(FieldViolation::new(
                field("phone_basis"),
                "say whether the number was confirmed, provided or discovered",
            )),
        }
    }
    let email = r.email.trim();
    if !email.is_empty() {
        if !valid_email(email) {
            bad.push(FieldViolation::new(
                field("email"),
                format!("「{email}」 is not an e-mail address"),
            ));
        }
        match r.email_basis {
            Some(b) => addresses.push((Channel::Email, email.to_string(), b)),
            None => bad.push(FieldViolation::new(
                field("email_basis"),
                "say whether the address was confirmed, provided or discovered",
            )),
        }
    }
    if phone.is_empty() && email.is_empty() {
        bad.push(FieldViolation::new(
            field("email"),
            "give an e-mail address or a mobile number",
        ));
    }
    // A basis for an address that is not there says the court has something it does not.
    for (basis, address, name) in [
        (r.phone_basis, phone, "phone_basis"),
        (r.email_basis, email, "email_basis"),
    ] {
        if basis.is_some() && address.is_empty() {
            bad.push(FieldViolation::new(
                field(name),
                "a basis for an address not given: give the address, or leave its basis unset",
            ));
        }
    }
    addresses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> ServeOrderRequest {
        ServeOrderRequest {
            case_number: "（2026）鄂06民初123号".into(),
            documents: vec!["F000000000001/S1".into()],
            recipients: vec![RecipientRequest {
                name: "张三".into(),
                role: "被告".into(),
                phone: "13800138000".into(),
                email: "zhangsan@example.cn".into(),
                phone_basis: Some(AddressBasis::Confirmed),
                email_basis: Some(AddressBasis::Discovered),
                consent_basis: "送达地址确认书（2026年11月2日）".into(),
                identity: String::new(),
            }],
            plan: vec![
                PlanStep {
                    channel: Channel::Email,
                    deadline_hours: 24,
                },
                PlanStep {
                    channel: Channel::Sms,
                    deadline_hours: 48,
                },
            ],
        }
    }

    #[test]
    fn a_complete_order_numbers_its_recipients_and_keeps_each_address_basis() {
        let o = order().validate().unwrap();
        assert_eq!(o.recipients[0].recipient_id, "R1");
        assert_eq!(
            o.recipients[0].addresses,
            vec![
                (Channel::Sms, "13800138000".into(), AddressBasis::Confirmed),
                (
                    Channel::Email,
                    "zhangsan@example.cn".into(),
                    AddressBasis::Discovered
                ),
            ]
        );
        assert_eq!(o.case_number.normalized(), "（2026）鄂06民初123号");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_field() {
        let mut o = order();
        o.case_number = "鄂06民初".into();
        o.plan.push(PlanStep {
            channel: Channel::Email,
            deadline_hours: 0,
        });
        let r = &mut o.recipients[0];
        r.phone = "138-0013".into();
        r.email = "not an address".into();
        r.consent_basis = " ".into();
        r.identity = "lawyer:1".into();
        r.email_basis = None;
        let Err(DomainError::InvalidInput(v)) = o.validate() else {
            panic!("accepted");
        };
        let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        for f in [
            "case_number",
            "plan[2].deadline_hours",
            "plan[2].channel",
            "recipients[0].consent_basis",
            "recipients[0].identity",
            "recipients[0].phone",
            "recipients[0].email",
            "recipients[0].email_basis",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(v.iter().any(|v| v.description.contains("第九十条")));
    }

    #[test]
    fn a_text_a_court_reads_with_a_hidden_character_is_refused_naming_its_field() {
        // U+202E shows 张三 reversed; U+200B makes two equal-looking names differ; a line break
        // forges a second line in a table or a proof.
        for (field, text) in [
            ("name", "张三\u{202E}"),
            ("name", "张\u{200B}三"),
            ("role", "被告\u{2066}"),
            (
                "role",
                "被告、第三人、诉讼代理人、法定代表人、原审原告、原审被告、上诉人、被上诉人",
            ),
            ("consent_basis", "送达地址确认书\n（伪造的第二行）"),
        ] {
            let mut o = order();
            let r = &mut o.recipients[0];
            match field {
                "name" => r.name = text.into(),
                "role" => r.role = text.into(),
                _ => r.consent_basis = text.into(),
            }
            let Err(DomainError::InvalidInput(v)) = o.validate() else {
                panic!("{text:?} accepted");
            };
            assert_eq!(v.len(), 1, "{v:?}");
            assert_eq!(v[0].field, format!("recipients[0].{field}"));
        }
        let mut o = order();
        o.recipients[0].role.clear();
        o.recipients[0].name = "阿依古丽·买买提".into();
        let o = o.validate().expect("no role, a name with a middle dot");
        assert_eq!(o.recipients[0].role, "");
    }

    #[test]
    fn a_recipient_without_an_address_on_the_plan_is_refused() {
        let mut o = order();
        o.recipients[0].email.clear();
        o.recipients[0].email_basis = None;
        o.plan.retain(|s| s.channel == Channel::Email);
        let Err(DomainError::InvalidInput(v)) = o.validate() else {
            panic!("accepted");
        };
        assert!(
            v[0].description
                .contains("none of this recipient's addresses")
        );
    }

    /// Outsider, session 46: the same recipient listed twice got two notices and two proofs;
    /// a basis for a number not given was accepted.
    fn violations(r: Result<ServeOrder, DomainError>) -> Vec<FieldViolation> {
        match r {
            Err(DomainError::InvalidInput(v)) => v,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn a_recipient_named_twice_or_a_basis_without_its_address_is_refused() {
        let mut twice = order();
        let again = twice.recipients[0].clone();
        twice.recipients.push(again);
        let bad = violations(twice.validate());
        assert!(
            bad.iter()
                .any(|v| v.field == "recipients[1]" && v.description.contains("recipients[0]")),
            "{bad:?}"
        );
        // One mailbox whatever the letters' case (outside tests, round 13, F5).
        let mut shouted = order();
        let mut again = shouted.recipients[0].clone();
        again.email = again.email.to_uppercase();
        again.phone = "13900139000".into();
        shouted.recipients.push(again);
        let bad = violations(shouted.validate());
        assert!(bad.iter().any(|v| v.field == "recipients[1]"), "{bad:?}");
        // The same name however it is encoded: a combining accent, a compatibility ideograph
        // (U+F90A for 金), full-width letters (outside tests, round 15, F2); a space inside the
        // name, another case (round 13b, F2).
        for (first, second) in [
            ("José", "Jose\u{301}"),
            ("金三", "\u{F90A}三"),
            ("Zhang San", "Ｚｈａｎｇ Ｓａｎ"),
            ("张三", "张 三"),
            ("Zhang San", "ZHANG san"),
        ] {
            let mut encoded = order();
            encoded.recipients[0].name = first.into();
            let mut again = encoded.recipients[0].clone();
            again.name = second.into();
            encoded.recipients.push(again);
            let bad = violations(encoded.validate());
            assert!(
                bad.iter().any(|v| v.field == "recipients[1]"),
                "{first} / {second}: {bad:?}"
            );
        }
        // The domain as Unicode and as its A-label: one mailbox.
        let mut idn = order();
        idn.recipients[0].email = "zhangsan@例子.中国".into();
        idn.recipients[0].phone = String::new();
        idn.recipients[0].phone_basis = None;
        let mut again = idn.recipients[0].clone();
        again.email = "ZhangSan@xn--fsqu00a.xn--fiqs8s".into();
        idn.recipients.push(again);
        let bad = violations(idn.validate());
        assert!(bad.iter().any(|v| v.field == "recipients[1]"), "{bad:?}");
        // One lawyer's hub identity under two names: one recipient listed twice.
        let mut lawyer = order();
        lawyer.recipients[0].identity = "urn:ecenter:lawyer:14201202010000001".into();
        let mut again = lawyer.recipients[0].clone();
        (again.name, again.email, again.phone) = (
            "张律师".into(),
            "zhang@law.test".into(),
            "13900139000".into(),
        );
        lawyer.recipients.push(again);
        let bad = violations(lawyer.validate());
        assert!(
            bad.iter().any(|v| v.field == "recipients[1].identity"),
            "{bad:?}"
        );
        // Namesakes at other addresses are two people.
        let mut namesakes = order();
        let mut other = namesakes.recipients[0].clone();
        other.email = "zhangsan2@example.cn".into();
        other.phone = "13900139000".into();
        namesakes.recipients.push(other);
        assert!(namesakes.validate().is_ok());
        let mut no_phone = order();
        no_phone.recipients[0].phone = String::new();
        let bad = violations(no_phone.validate());
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(bad[0].field, "recipients[0].phone_basis");
    }

    #[test]
    fn only_mobile_ranges_and_one_at_sign_are_addresses() {
        for good in ["13800138000", "19912345678", "16612345678"] {
            assert!(valid_phone(good), "{good}");
        }
        for bad in [
            "12345678901",
            "10086100861",
            "11012345678",
            "1380013800",
            "1380013800x",
        ] {
            assert!(!valid_phone(bad), "{bad}");
        }
        assert!(valid_email("zhang@chutian-law.cn"));
        assert!(!valid_email("zhang@chutian@law.cn"));
        // A host's literal address and a display form are no recipient's mailbox.
        for bad in [
            "a@[127.0.0.1]",
            "<wangwu@example.cn>",
            "王五<wangwu@example.cn>",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
