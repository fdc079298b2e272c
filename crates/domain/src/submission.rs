//! Validation of a submission's header before any byte is stored: every problem is reported at once.

use crate::case_number::CaseNumber;
use crate::error::{DomainError, FieldViolation};
use crate::media::{FileNameError, MAX_NAME_BYTES, MediaType, recorded_file_name};
use crate::policy::CourtPolicy;

/// Limits a court sets on one filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest document, in bytes.
    pub max_document_bytes: u64,
    /// Most documents in one filing.
    pub max_documents: usize,
}

impl Default for Limits {
    /// 100 MiB and 50 documents.
    fn default() -> Self {
        Limits {
            max_document_bytes: 100 * 1024 * 1024,
            max_documents: 50,
        }
    }
}

/// A document as announced by the client.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentAnnouncement {
    /// File name as given.
    pub name: String,
    /// Announced byte count.
    pub size: u64,
    /// Optional hex SHA-256.
    pub sha256: String,
    /// Optional claimed media type.
    pub media_type: String,
}

/// A submission header as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmissionHeader {
    /// Idempotency key.
    pub request_id: String,
    /// Case number text, empty for a new case.
    pub case_number: String,
    /// 起诉状, ...
    pub filing_kind: String,
    /// Short title.
    pub title: String,
    /// Documents in upload order.
    pub documents: Vec<DocumentAnnouncement>,
    /// Filing corrected by this one, or empty.
    pub corrects_filing_id: String,
}

/// A document the hub agreed to receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedDocument {
    /// Sanitised name.
    pub name: String,
    /// Exact byte count to receive.
    pub size: u64,
    /// Lowercase hex SHA-256 the bytes must have, if announced.
    pub sha256: Option<String>,
    /// Media type the content must be, if announced.
    pub media_type: Option<MediaType>,
}

/// A header that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidHeader {
    /// Idempotency key.
    pub request_id: String,
    /// Parsed case number.
    pub case_number: Option<CaseNumber>,
    /// Trimmed filing kind.
    pub filing_kind: String,
    /// Trimmed title.
    pub title: String,
    /// Documents to receive.
    pub documents: Vec<ExpectedDocument>,
    /// Filing corrected by this one.
    pub corrects_filing_id: Option<String>,
}

/// Why a request id (the idempotency key of a submission) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestIdError {
    /// Its length in bytes is outside 8..=128.
    #[error("must be 8 to 128 characters long, not {0}; a UUID is a good choice")]
    Length(usize),
    /// A character outside `A-Z a-z 0-9 . _ : -`.
    #[error("may contain only A-Z, a-z, 0-9 and . _ : - (found 「{0}」)")]
    Character(char),
}

impl RequestIdError {
    /// The refusal in Chinese.
    pub fn in_chinese(&self) -> String {
        match self {
            RequestIdError::Length(n) => {
                format!("请求编号应为 8 至 128 个字符，现为 {n} 个；刷新页面可得到新的编号")
            }
            RequestIdError::Character(c) => {
                format!("请求编号只能包含 A-Z、a-z、0-9 和 . _ : -（含有不允许的字符「{c}」）")
            }
        }
    }
}

/// Checks a request id: 8 to 128 characters of `A-Z a-z 0-9 . _ : -`.
pub fn check_request_id(id: &str) -> Result<(), RequestIdError> {
    if !(8..=128).contains(&id.len()) {
        return Err(RequestIdError::Length(id.len()));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".:_-".contains(*c)))
    {
        return Err(RequestIdError::Character(c));
    }
    Ok(())
}

fn is_hex_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A case number this court can have: 收案年度 not after this year in Beijing (a case is numbered
/// the year it is received), and a court code the court takes ([`CourtPolicy::takes_court`]) —
/// a filing in another court's or a future year's case would be evidence filed in a case this
/// court cannot hold. `field` names the case number in the refusal (`header.case_number` at
/// intake, `case_number` at docketing).
pub fn check_case_is_ours(
    c: &CaseNumber,
    policy: &CourtPolicy,
    field: &str,
    v: &mut Vec<FieldViolation>,
) {
    use chrono::Datelike;
    let this_year = chrono::Utc::now()
        .with_timezone(&crate::time::shanghai_offset())
        .year();
    if i64::from(c.year) > i64::from(this_year) {
        v.push(
            FieldViolation::new(
                field,
                format!(
                    "{}: the year {} is later than this year ({this_year})",
                    c.normalized(),
                    c.year
                ),
            )
            .zh(format!(
                "案号「{}」的收案年度 {} 晚于今年（{this_year}），请核对案号",
                c.normalized(),
                c.year
            )),
        );
    }
    if !policy.takes_court(&c.court_code) {
        let ours = policy.court_codes.join("、");
        v.push(
            FieldViolation::new(
                field,
                format!(
                    "{}: court code {} is not one of this court's ({ours}): file with the court whose case it is",
                    c.normalized(),
                    c.court_code
                ),
            )
            .zh(format!(
                "案号「{}」的法院代字「{}」不属于本院（本院受理 {ours} 的案件），请核对案号，或向该案所在法院提交",
                c.normalized(),
                c.court_code
            )),
        );
    }
}

impl SubmissionHeader {
    /// Validates against the court's limits, collecting every violation. The filing kind is only
    /// checked for form here; [`ValidHeader::under_policy`] checks it against the court's kinds,
    /// after a retry of an earlier filing has been recognised (a retry is answered with the
    /// original receipt even when the court's kinds changed since).
    pub fn validate(&self, policy: &CourtPolicy) -> Result<ValidHeader, DomainError> {
        let limits = &policy.limits;
        let mut v = Vec::new();
        if let Err(e) = check_request_id(&self.request_id) {
            v.push(FieldViolation::new("header.request_id", e.to_string()).zh(e.in_chinese()));
        }
        let case_number = match self.case_number.trim() {
            "" => None,
            text => match CaseNumber::parse(text) {
                Ok(c) => Some(c),
                Err(e) => {
                    v.push(
                        FieldViolation::new("header.case_number", e.to_string()).zh(e.in_chinese()),
                    );
                    None
                }
            },
        };
        let filing_kind = check_filing_kind(&self.filing_kind, &mut v);
        let corrects = self.corrects_filing_id.trim();
        if !corrects.is_empty() && !crate::ids::is_filing_id(corrects) {
            v.push(
                FieldViolation::new(
                    "header.corrects_filing_id",
                    "must be a filing id like F000000000012, or empty",
                )
                .zh(format!(
                    "补正的收件号「{corrects}」格式有误：应如 F000000000012，或留空"
                )),
            );
        }
        let title = check_title(&self.title, &mut v);
        self.check_document_count(limits, &mut v);
        let mut documents = Vec::new();
        for (i, d) in self.documents.iter().enumerate() {
            documents.push(check_document(i, d, limits, &mut v));
        }
        if !v.is_empty() {
            return Err(DomainError::InvalidInput(v));
        }
        Ok(ValidHeader {
            request_id: self.request_id.clone(),
            case_number,
            filing_kind,
            title,
            documents,
            corrects_filing_id: (!corrects.is_empty()).then(|| corrects.to_string()),
        })
    }

    /// Checks that the filing has at least one document and no more than the court allows.
    fn check_document_count(&self, limits: &Limits, v: &mut Vec<FieldViolation>) {
        if self.documents.is_empty() {
            v.push(
                FieldViolation::new("header.documents", "a filing needs at least one document")
                    .zh("请至少提交一份文件"),
            );
        }
        if self.documents.len() > limits.max_documents {
            v.push(
                FieldViolation::new(
                    "header.documents",
                    format!(
                        "{} documents is more than the {} allowed in one filing; split it",
                        self.documents.len(),
                        limits.max_documents
                    ),
                )
                .zh(format!(
                    "本次提交 {} 份文件，超过本院每次最多 {} 份的限制；请分次提交",
                    self.documents.len(),
                    limits.max_documents
                )),
            );
        }
    }
}

/// The filing kind as given, trimmed: present, at most 32 printable characters.
fn check_filing_kind(kind: &str, v: &mut Vec<FieldViolation>) -> String {
    let filing_kind = kind.trim().to_string();
    if filing_kind.is_empty() {
        v.push(
            FieldViolation::new(
                "header.filing_kind",
                "say what is filed, e.g. 起诉状, 答辩状 or 证据材料 (GetPolicy lists the court's kinds)",
            )
            .zh("请选择材料类型，如起诉状、答辩状或证据材料"),
        );
    } else if filing_kind.chars().count() > 32 || crate::text::has_hidden(&filing_kind) {
        v.push(
            FieldViolation::new(
                "header.filing_kind",
                "must be at most 32 printable characters (GetPolicy lists the court's kinds)",
            )
            .zh("材料类型不得超过 32 个字符，且不得含有不可见字符"),
        );
    }
    filing_kind
}

impl ValidHeader {
    /// The header as the court's policy reads it: the kind by its name (a code such as
    /// `COMPLAINT` becomes 起诉状), a filing without a case number that corrects nothing —
    /// a new case — only of a kind that [starts a case](crate::policy::FilingKind::starts_case),
    /// and a case number of this court's codes and not of a later year than this one (a
    /// correction keeps the number of the filing it corrects). A retry of an earlier filing is
    /// recognised before this is asked, so that a policy changed since refuses no retry.
    pub fn under_policy(&self, policy: &CourtPolicy) -> Result<ValidHeader, DomainError> {
        let new_case = self.case_number.is_none() && self.corrects_filing_id.is_none();
        let mut v = Vec::new();
        // A correction carries the case number of the filing it corrects (checked against the
        // log when it is recorded): a filing the court returned is corrected under its number.
        if let Some(c) = &self.case_number
            && self.corrects_filing_id.is_none()
        {
            check_case_is_ours(c, policy, "header.case_number", &mut v);
        }
        let kind = policy.check_kind(&self.filing_kind, new_case);
        let kind = match kind {
            Ok(kind) if v.is_empty() => kind,
            Ok(_) => return Err(DomainError::InvalidInput(v)),
            Err(violation) => {
                v.push(violation);
                return Err(DomainError::InvalidInput(v));
            }
        };
        // A filing needs a title the court can read in its lists; without one (or one of spaces)
        // the kind's name stands in, as efile does, rather than an empty 标题 on the receipt.
        let title = if self.title.is_empty() {
            kind.name.clone()
        } else {
            self.title.clone()
        };
        Ok(ValidHeader {
            filing_kind: kind.name.clone(),
            title,
            ..self.clone()
        })
    }
}

/// The filing's title, trimmed: at most 200 printable characters.
fn check_title(title: &str, v: &mut Vec<FieldViolation>) -> String {
    let title = title.trim().to_string();
    if title.chars().count() > 200 || crate::text::has_hidden(&title) {
        v.push(
            FieldViolation::new("header.title", "must be at most 200 printable characters")
                .zh("标题不得超过 200 个字符，且不得含有不可见的控制字符（如零宽空格）"),
        );
    }
    title
}

/// Document `i` as a form's list shows it: 第 N 份文件「name」.
pub fn document_zh(i: usize, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("第 {} 份文件「{n}」", i + 1),
        None => format!("第 {} 份文件", i + 1),
    }
}

/// Why announced document `i`'s name cannot be recorded, for the lawyer.
fn file_name_violation(i: usize, field: String, why: FileNameError) -> FieldViolation {
    match why {
        FileNameError::Empty => FieldViolation::new(
            field,
            "the file name is empty once paths and control characters are removed",
        )
        .zh(format!(
            "{}的文件名去掉路径和控制字符后为空",
            document_zh(i, None)
        )),
        FileNameError::TooLong(bytes) => FieldViolation::new(
            field,
            format!("the file name is {bytes} bytes in UTF-8, more than {MAX_NAME_BYTES}; shorten it"),
        )
        .zh(format!(
            "{}的文件名过长（{bytes} 字节，上限 {MAX_NAME_BYTES} 字节，约 85 个汉字），请改短后重新提交",
            document_zh(i, None)
        )),
    }
}

/// Checks announced document `i`: a usable file name, a size within the court's limit, the
/// SHA-256 and media type if given; returns what the hub will then expect to receive.
fn check_document(
    i: usize,
    d: &DocumentAnnouncement,
    limits: &Limits,
    v: &mut Vec<FieldViolation>,
) -> ExpectedDocument {
    let field = |f: &str| format!("header.documents[{i}].{f}");
    let name = match recorded_file_name(&d.name) {
        Ok(name) => Some(name),
        Err(why) => {
            v.push(file_name_violation(i, field("name"), why));
            None
        }
    };
    if d.size == 0 {
        v.push(
            FieldViolation::new(field("size"), "the document is empty")
                .zh(format!("{}是空文件", document_zh(i, name.as_deref()))),
        );
    } else if d.size > limits.max_document_bytes {
        v.push(
            FieldViolation::new(
                field("size"),
                format!(
                    "{} bytes is more than the limit of {} bytes ({} MiB)",
                    d.size,
                    limits.max_document_bytes,
                    limits.max_document_bytes / (1024 * 1024)
                ),
            )
            .zh(format!(
                "{}有 {} 字节，超过每份文件 {} MB 的上限",
                document_zh(i, name.as_deref()),
                d.size,
                limits.max_document_bytes / (1024 * 1024)
            )),
        );
    }
    let sha256 = d.sha256.trim().to_ascii_lowercase();
    if !sha256.is_empty() && !is_hex_sha256(&sha256) {
        v.push(
            FieldViolation::new(field("sha256"), "must be 64 hex digits, or empty").zh(format!(
                "{}的 SHA-256 摘要应为 64 位十六进制数字，或留空",
                document_zh(i, name.as_deref())
            )),
        );
    }
    let media_type = match d.media_type.trim() {
        "" => None,
        m => {
            let parsed = MediaType::from_name(m);
            if parsed.is_none() {
                v.push(
                    FieldViolation::new(
                        field("media_type"),
                        format!(
                            "「{m}」 is not accepted; send {}",
                            MediaType::accepted_list()
                        ),
                    )
                    .zh(format!(
                        "{}的类型「{m}」不被接收；请提交 {} 格式的文件",
                        document_zh(i, name.as_deref()),
                        MediaType::accepted_list_zh()
                    )),
                );
            }
            parsed
        }
    };
    ExpectedDocument {
        name: name.unwrap_or_default(),
        size: d.size,
        sha256: (!sha256.is_empty()).then_some(sha256),
        media_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> SubmissionHeader {
        SubmissionHeader {
            request_id: "req-0001-abcd".into(),
            case_number: "(2026)鄂06民初123号".into(),
            filing_kind: "答辩状".into(),
            title: "被告答辩状".into(),
            documents: vec![DocumentAnnouncement {
                name: "答辩状.pdf".into(),
                size: 10,
                ..Default::default()
            }],
            corrects_filing_id: String::new(),
        }
    }

    fn fields(err: DomainError) -> Vec<String> {
        match err {
            DomainError::InvalidInput(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn a_title_or_kind_with_an_invisible_character_is_refused() {
        let mut h = header();
        h.title = "答辩\u{200B}状".into();
        h.filing_kind = "答辩状\u{202E}".into();
        let bad = fields(h.validate(&CourtPolicy::default()).unwrap_err());
        assert_eq!(bad, ["header.filing_kind", "header.title"]);
    }

    #[test]
    fn a_good_header_passes_with_parsed_case_number() {
        let ok = header().validate(&CourtPolicy::default()).unwrap();
        assert_eq!(
            ok.case_number.unwrap().normalized(),
            "（2026）鄂06民初123号"
        );
        assert_eq!(ok.documents[0].name, "答辩状.pdf");
    }

    #[test]
    fn every_violation_is_reported_with_its_field() {
        let mut h = header();
        h.request_id = "short".into();
        h.case_number = "123".into();
        h.filing_kind = " ".into();
        h.documents = vec![
            DocumentAnnouncement {
                name: "/".into(),
                size: 0,
                sha256: "xyz".into(),
                media_type: "text/html".into(),
            },
            DocumentAnnouncement {
                name: "big.pdf".into(),
                size: 200 * 1024 * 1024,
                ..Default::default()
            },
        ];
        let f = fields(h.validate(&CourtPolicy::default()).unwrap_err());
        for expected in [
            "header.request_id",
            "header.case_number",
            "header.filing_kind",
            "header.documents[0].name",
            "header.documents[0].size",
            "header.documents[0].sha256",
            "header.documents[0].media_type",
            "header.documents[1].size",
        ] {
            assert!(
                f.contains(&expected.to_string()),
                "missing {expected} in {f:?}"
            );
        }
    }

    /// Words for a person: Chinese, with no English word (a run of three lowercase Latin
    /// letters) outside what the caller gave (quoted 「…」); digests, file types and units
    /// (SHA-256, PDF, MiB) may stand.
    fn for_a_person(text: &str) -> bool {
        let ours: String = text
            .split('「')
            .map(|part| part.split_once('」').map_or(part, |(_, after)| after))
            .collect();
        let english = ours
            .split(|c: char| !c.is_ascii_lowercase())
            .any(|run| run.len() >= 3);
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) && !english
    }

    fn in_chinese(err: &DomainError) -> Vec<String> {
        let DomainError::InvalidInput(v) = err else {
            panic!("unexpected {err}")
        };
        v.iter()
            .map(|f| {
                f.zh.clone()
                    .unwrap_or_else(|| panic!("{}: no Chinese", f.field))
            })
            .collect()
    }

    #[test]
    fn every_refusal_of_a_header_has_chinese_words_for_the_lawyer() {
        let small = CourtPolicy {
            limits: Limits {
                max_documents: 2,
                max_document_bytes: 1024 * 1024,
            },
            ..CourtPolicy::default()
        };
        let document = |name: &str, size, sha256: &str, media_type: &str| DocumentAnnouncement {
            name: name.into(),
            size,
            sha256: sha256.into(),
            media_type: media_type.into(),
        };
        let mut everything = header();
        everything.request_id = "bad id!".into();
        everything.case_number = "(26)鄂06民初1号".into();
        everything.filing_kind = String::new();
        everything.title = "答辩\u{200B}状".into();
        everything.corrects_filing_id = "上次那份".into();
        everything.documents = vec![
            document("/tmp/", 0, "xyz", "text/plain"),
            document("证据.pdf", 2 * 1024 * 1024, "", ""),
            document("证据二.pdf", 1, "", ""),
        ];
        let mut too_long = header();
        too_long.request_id = "short".into();
        too_long.filing_kind = "很长".repeat(20);
        too_long.documents.clear();
        for h in [everything, too_long] {
            let err = h.validate(&small).unwrap_err();
            let zh = in_chinese(&err);
            for text in &zh {
                assert!(for_a_person(text), "{text}");
            }
            assert_eq!(err.in_chinese(), Some(zh.join("；")));
        }
        assert!(header().validate(&small).is_ok());
    }

    #[test]
    fn a_case_number_of_another_court_or_a_later_year_is_refused() {
        use chrono::Datelike;
        let xiangyang = CourtPolicy {
            court_codes: vec!["鄂06".into()],
            ..CourtPolicy::default()
        };
        let this_year = chrono::Utc::now()
            .with_timezone(&crate::time::shanghai_offset())
            .year();
        let with = |number: &str| {
            let mut h = header();
            h.case_number = number.into();
            h
        };
        // Asked under the policy, after the form: a retry is recognised in between.
        let checked = |h: SubmissionHeader, policy: &CourtPolicy| {
            h.validate(policy).and_then(|v| v.under_policy(policy))
        };
        let ours = format!("（{this_year}）鄂06民初1号");
        for ok in [ours.as_str(), "（2019）鄂0602民初1号"] {
            assert!(checked(with(ok), &xiangyang).is_ok(), "{ok}");
        }
        let later = format!("（{}）鄂06民初1号", this_year + 1);
        for (number, words) in [
            ("（2026）京01民初1号", "法院代字「京01」不属于本院"),
            ("（2026）鄂07民初1号", "法院代字「鄂07」不属于本院"),
            (later.as_str(), "晚于今年"),
        ] {
            assert!(
                with(number).validate(&xiangyang).is_ok(),
                "the form is right"
            );
            let zh = in_chinese(&checked(with(number), &xiangyang).unwrap_err());
            assert!(zh.iter().any(|t| t.contains(words)), "{number}: {zh:?}");
        }
        // A correction of a filing the court returned keeps that filing's number.
        let mut correction = with("（2026）京01民初1号");
        correction.corrects_filing_id = "F000000000012".into();
        assert!(checked(correction, &xiangyang).is_ok());
        // Without court codes configured any court's number is taken; a later year never is.
        let any = CourtPolicy::default();
        assert!(checked(with("（2026）京01民初1号"), &any).is_ok());
        let later = format!("（{}）京01民初1号", this_year + 1);
        assert!(checked(with(&later), &any).is_err());
    }

    #[test]
    fn document_count_is_limited() {
        let mut h = header();
        h.documents = vec![h.documents[0].clone(); 3];
        let policy = CourtPolicy {
            limits: Limits {
                max_documents: 2,
                ..Limits::default()
            },
            ..CourtPolicy::default()
        };
        assert_eq!(
            fields(h.validate(&policy).unwrap_err()),
            vec!["header.documents".to_string()]
        );
        h.documents.clear();
        assert_eq!(
            fields(h.validate(&policy).unwrap_err()),
            vec!["header.documents".to_string()]
        );
    }

    #[test]
    fn the_kind_is_recorded_by_its_name_and_a_new_case_needs_a_kind_that_opens_one() {
        let policy = CourtPolicy::default();
        let checked =
            |h: &SubmissionHeader| h.validate(&policy).and_then(|v| v.under_policy(&policy));
        let mut h = header();
        h.filing_kind = "answer".into();
        let as_given = h.validate(&policy).unwrap();
        assert_eq!(as_given.filing_kind, "answer", "as given, until the policy");
        assert_eq!(checked(&h).unwrap().filing_kind, "答辩状");
        // No case number: a new case, which an answer cannot open.
        h.case_number = String::new();
        assert_eq!(
            fields(checked(&h).unwrap_err()),
            vec!["header.filing_kind".to_string()]
        );
        // A correction of a returned new-case filing has no number yet either.
        h.corrects_filing_id = "F000000000007".into();
        assert!(checked(&h).is_ok());
        h.corrects_filing_id = "7; drop".into();
        assert_eq!(
            fields(h.validate(&policy).unwrap_err()),
            vec!["header.corrects_filing_id".to_string()]
        );
        h.corrects_filing_id.clear();
        h.filing_kind = "起诉状".into();
        assert!(checked(&h).unwrap().case_number.is_none());
        h.filing_kind = "complaint letter".into();
        assert!(h.validate(&policy).is_ok() && checked(&h).is_err());
    }

    #[test]
    fn request_ids_are_restricted() {
        assert!(check_request_id("0b7f6c1e-2f1d-4c55-9d0e-3c1f0a3b9e21").is_ok());
        assert_eq!(
            check_request_id("請求請求請求請求"),
            Err(RequestIdError::Character('請'))
        );
        assert_eq!(
            check_request_id(&"a".repeat(129)),
            Err(RequestIdError::Length(129))
        );
    }
}
