//! Chinese court case numbers (案号), as laid down by the SPC's 《关于人民法院案件案号的若干规定》:
//! `（年份）法院代字 类型代字 案件编号 号`, e.g. `（2026）鄂06民初123号`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a text is not a case number, in words a lawyer can act on: in English for the API's
/// callers, in Chinese ([`CaseNumberError::in_chinese`]) for the people the portal and the
/// clients show it to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("「{input}」 is not a valid case number: {reason} (expected e.g. （2026）鄂06民初123号)")]
pub struct CaseNumberError {
    /// The text as given: its first 40 characters, with … when cut (a refusal quotes an
    /// excerpt; a whole paragraph pasted in would crowd out the field's details).
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
    /// The same, in Chinese.
    pub reason_zh: String,
}

impl CaseNumberError {
    /// The whole refusal in Chinese: the text, what is wrong with it, an example.
    pub fn in_chinese(&self) -> String {
        format!(
            "案号「{}」格式有误，{}；正确格式如「（2026）鄂06民初123号」",
            self.input, self.reason_zh
        )
    }
}

/// What is wrong with a case number, in English and in Chinese.
struct Why(&'static str, &'static str);

/// A parsed case number; its parts drive routing and search, so they are kept, not re-parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CaseNumber {
    /// 收案年度.
    pub year: u16,
    /// 法院代字, e.g. `鄂06`, `京73`, `最高法`.
    pub court_code: String,
    /// 类型代字, e.g. `民初`, `刑终`, `执`.
    pub case_type: String,
    /// 案件编号.
    pub sequence: u32,
}

/// Broad kind of case, derived from the case type, so routing rules need not list every type code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseCategory {
    /// 刑事.
    Criminal,
    /// 民事.
    Civil,
    /// 行政.
    Administrative,
    /// 执行.
    Enforcement,
    /// 国家赔偿.
    StateCompensation,
    /// 知识产权.
    IntellectualProperty,
    /// 强制清算与破产.
    Bankruptcy,
    /// 非诉保全审查 (财保, 行保, 行保复, 证保): preservation before or outside a lawsuit.
    Preservation,
    /// 司法救助 (司救刑, 司救民, ...).
    JudicialAid,
    /// 区际 and 国际司法协助 (认港, 请外送, ...).
    JudicialAssistance,
    /// 司法制裁 (司惩, 司惩复).
    JudicialSanction,
    /// Anything else.
    Other,
}

impl CaseCategory {
    /// Stable lowercase name used in the API and in routing rules.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseCategory::Criminal => "criminal",
            CaseCategory::Civil => "civil",
            CaseCategory::Administrative => "administrative",
            CaseCategory::Enforcement => "enforcement",
            CaseCategory::StateCompensation => "state_compensation",
            CaseCategory::IntellectualProperty => "intellectual_property",
            CaseCategory::Bankruptcy => "bankruptcy",
            CaseCategory::Preservation => "preservation",
            CaseCategory::JudicialAid => "judicial_aid",
            CaseCategory::JudicialAssistance => "judicial_assistance",
            CaseCategory::JudicialSanction => "judicial_sanction",
            CaseCategory::Other => "other",
        }
    }

    /// Every category, for listing valid values.
    pub const ALL: [CaseCategory; 12] = [
        CaseCategory::Criminal,
        CaseCategory::Civil,
        CaseCategory::Administrative,
        CaseCategory::Enforcement,
        CaseCategory::StateCompensation,
        CaseCategory::IntellectualProperty,
        CaseCategory::Bankruptcy,
        CaseCategory::Preservation,
        CaseCategory::JudicialAid,
        CaseCategory::JudicialAssistance,
        CaseCategory::JudicialSanction,
        CaseCategory::Other,
    ];

    /// The category `name` (as [`CaseCategory::as_str`] spells it).
    pub fn from_name(name: &str) -> Option<CaseCategory> {
        CaseCategory::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// The SPC's case-type codes and their categories (`data/case_types.tsv`, with its provenance).
fn case_types() -> &'static std::collections::HashMap<&'static str, CaseCategory> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<&'static str, CaseCategory>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../data/case_types.tsv")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| {
                let mut columns = line.split('\t');
                let code = columns.next()?;
                Some((code, CaseCategory::from_name(columns.next()?)?))
            })
            .collect()
    })
}

/// The category of case-type code `code`: from the standard's table, or 知 + a civil or
/// administrative code for the SPC's IP tribunal (知民终, 知行终); `None` for an unknown code.
pub fn case_type_category(code: &str) -> Option<CaseCategory> {
    if let Some(category) = case_types().get(code) {
        return Some(*category);
    }
    let inner = code.strip_prefix('知')?;
    matches!(
        case_types().get(inner),
        Some(CaseCategory::Civil | CaseCategory::Administrative)
    )
    .then_some(CaseCategory::IntellectualProperty)
}

/// Characters that may open a court code: the SPC's 省级行政区 abbreviations (内 for 内蒙古, 黔 for
/// 贵州), 兵 (兵团) and 军 (军事法院), and the everyday 蒙 and 贵 that lawyers type — the parser
/// reads them all; the court-code table (`court_code`) says which codes are real.
const PROVINCES: &str = "京津冀晋内蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川黔贵云藏陕甘青宁新兵军";

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// Full-width digits (０-９) become ASCII so both spellings parse.
fn ascii_digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// The closing bracket an opening one needs, in its full-width form: ( and （ close with ）,
/// 〔 with 〕 (the standard's own, 六角括号), [ with ], and what input methods offer for 〔〕:
/// 【 with 】, ﹝ with ﹞.
fn closing(open: char) -> Option<char> {
    match open {
        '(' | '（' => Some('）'),
        '〔' => Some('〕'),
        '[' => Some(']'),
        '【' => Some('】'),
        '﹝' => Some('﹞'),
        _ => None,
    }
}

/// A half-width closing parenthesis as its full-width twin (they pair alike).
fn wide(c: char) -> char {
    if c == ')' { '）' } else { c }
}

/// Reads the 收案年度 at `i` (just after the opening bracket): four digits within 1949–2100 and
/// the closing bracket; returns the year and the position after the bracket, or why not.
fn parse_year(text: &[char], mut i: usize) -> Result<(u32, usize), Why> {
    let mut year: u32 = 0;
    let start = i;
    while i < text.len() {
        match ascii_digit(text[i]) {
            // Saturating: a run of twenty digits is "not four digits", not an overflow.
            Some(d) => year = year.saturating_mul(10).saturating_add(d),
            None => break,
        }
        i += 1;
    }
    if i - start != 4 {
        return Err(Why(
            "the year must have four digits",
            "收案年度应为四位数字",
        ));
    }
    if !(1949..=2100).contains(&year) {
        return Err(Why(
            "the year is out of range",
            "收案年度应在 1949 至 2100 之间",
        ));
    }
    if i >= text.len() || !matches!(text[i], ')' | '）' | '〕' | ']' | '】' | '﹞') {
        return Err(Why(
            "the year must be followed by a closing bracket",
            "收案年度后应有右括号",
        ));
    }
    if closing(text[start - 1]) != Some(wide(text[i])) {
        return Err(Why(
            "the brackets around the year do not match (e.g. （2026） or 〔2026〕)",
            "收案年度两侧的括号应成对，如（2026）或〔2026〕",
        ));
    }
    i += 1;
    Ok((year, i))
}

/// Reads the 法院代字 at `i`: 最高法, or a province abbreviation followed by 0, 2 or 4 digits
/// (full-width digits become ASCII); returns it and the position after it, or why not.
fn parse_court_code(text: &[char], mut i: usize) -> Result<(String, usize), Why> {
    let rest: String = text[i..].iter().collect();
    let mut court_code = String::new();
    if rest.starts_with("最高法") {
        court_code.push_str("最高法");
        i += 3;
    } else if i < text.len() && PROVINCES.contains(text[i]) {
        court_code.push(text[i]);
        i += 1;
        let digits_start = i;
        while i < text.len() && ascii_digit(text[i]).is_some() {
            court_code.push(char::from_digit(ascii_digit(text[i]).unwrap_or(0), 10).unwrap_or('0'));
            i += 1;
        }
        if i - digits_start > 4 {
            return Err(Why(
                "the case type (e.g. 民初, 刑终, 执) is missing after the court code",
                "法院代字后缺少类型代字（如民初、刑终、执）",
            ));
        }
        if !matches!(i - digits_start, 0 | 2 | 4) {
            return Err(Why(
                "the court code must be a province abbreviation followed by 0, 2 or 4 digits",
                "法院代字应为省级简称加 0、2 或 4 位数字",
            ));
        }
    } else {
        return Err(Why(
            "the court code must start with a province abbreviation such as 鄂 or with 最高法",
            "法院代字应以省级简称（如鄂）或「最高法」开头",
        ));
    }
    Ok((court_code, i))
}

/// `text` read as a whole 法院代字 (鄂06, 京0105, 最高法; full-width digits as ASCII), or `None`
/// for anything else — a court's name, for one.
pub fn court_code_of(text: &str) -> Option<String> {
    let chars: Vec<char> = text.trim().chars().collect();
    match parse_court_code(&chars, 0) {
        Ok((code, end)) if end == chars.len() => Some(code),
        _ => None,
    }
}

/// Reads the 类型代字 at `i` (民初, 刑终, 执, …): one to six CJK characters before the number;
/// returns it and the position after it, or why not.
fn parse_case_type(text: &[char], mut i: usize) -> Result<(String, usize), Why> {
    let type_start = i;
    while i < text.len() && is_cjk(text[i]) && text[i] != '号' {
        i += 1;
    }
    let case_type = simplified_case_type(&text[type_start..i]);
    if case_type.is_empty() {
        return Err(Why(
            "the case type (e.g. 民初, 刑终, 执) is missing",
            "缺少类型代字（如民初、刑终、执）",
        ));
    }
    if case_type.chars().count() > 6 {
        return Err(Why(
            "the case type is longer than six characters",
            "类型代字超过六个字",
        ));
    }
    // A code the table lacks (courts add codes: 民诉前调 came years after the standard) is kept
    // and classed as other, not refused: a lawyer must be able to file on any real case.
    Ok((case_type, i))
}

/// The 类型代字 as the standard writes it, from how people type it: the 第 (or the 字第 of numbers
/// before 2016, 民初字第803号) that some write before the number is not part of the code — so
/// each spelling names the one case, not a second one.
fn simplified_case_type(typed: &[char]) -> String {
    let mut code: Vec<char> = typed.to_vec();
    if code.last() == Some(&'第') {
        code.pop();
        if code.last() == Some(&'字') {
            code.pop();
        }
    }
    code.into_iter().collect()
}

/// The simplified form of a character a case number may hold — of the case-type table
/// (`data/case_types.tsv`), of the province abbreviations ([`PROVINCES`]) and 號 — typed in its
/// traditional form (執, 民終, 粵, 號: the same number); any other character as it is.
fn simplified(c: char) -> char {
    const TRADITIONAL: &str =
        "協復審異強懲執沒監確終認訪證訴請調財贓賠轄醫備臺粵遼滬蘇閩贛魯瓊貴雲陝寧軍晉內號";
    const SIMPLIFIED: &str =
        "协复审异强惩执没监确终认访证诉请调财赃赔辖医备台粤辽沪苏闽赣鲁琼贵云陕宁军晋内号";
    TRADITIONAL
        .chars()
        .zip(SIMPLIFIED.chars())
        .find(|(traditional, _)| *traditional == c)
        .map_or(c, |(_, simple)| simple)
}

/// Reads the 案件编号 at `i`: one to nine digits, not zero; returns it and the position after it,
/// or why not.
fn parse_sequence(text: &[char], mut i: usize) -> Result<(u64, usize), Why> {
    let seq_start = i;
    let mut sequence: u64 = 0;
    while i < text.len() {
        match ascii_digit(text[i]) {
            Some(d) => sequence = sequence * 10 + u64::from(d),
            None => break,
        }
        if i - seq_start >= 9 {
            return Err(Why(
                "the case sequence number is too long",
                "案件编号过长（至多九位）",
            ));
        }
        i += 1;
    }
    if i == seq_start {
        return Err(Why("the case sequence number is missing", "缺少案件编号"));
    }
    if sequence == 0 {
        return Err(Why(
            "the case sequence number must not be zero",
            "案件编号不能为零",
        ));
    }
    Ok((sequence, i))
}

impl CaseNumber {
    /// Parses ASCII `()`, full-width `（）`, `〔〕`, `[]`, `【】` or `﹝﹞` brackets, full-width
    /// digits, a 第 or 字第 before the number and a case type in traditional characters; spaces
    /// are ignored.
    ///
    /// ```
    /// use ecenter_domain::{CaseCategory, CaseNumber};
    /// let case = CaseNumber::parse("(2026)鄂06民初123号").unwrap();
    /// assert_eq!(case.court_code, "鄂06");
    /// assert_eq!(case.category(), CaseCategory::Civil);
    /// assert_eq!(case.normalized(), "（2026）鄂06民初123号");
    /// assert!(CaseNumber::parse("鄂06民初123号").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<CaseNumber, CaseNumberError> {
        let fail = |Why(reason, reason_zh): Why| CaseNumberError {
            input: crate::text::quoted(input, 40),
            reason: reason.to_string(),
            reason_zh: reason_zh.to_string(),
        };
        // Named first: a number that looks right and is not would otherwise be refused for a
        // part the reader can see is there.
        if let Some(c) = input.chars().find(|c| crate::text::hidden(*c)) {
            return Err(CaseNumberError {
                input: crate::text::quoted(input, 40),
                reason: format!(
                    "it holds the invisible character U+{:04X}; retype it",
                    u32::from(c)
                ),
                reason_zh: "含有不可见字符，请重新输入".to_string(),
            });
        }
        let text: Vec<char> = input
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(simplified)
            .collect();
        if text.is_empty() {
            return Err(fail(Why("it is empty", "案号为空")));
        }
        let mut i = 0;
        if closing(text[0]).is_none() {
            return Err(fail(Why(
                "it must start with the year in brackets",
                "应以括号中的收案年度开头",
            )));
        }
        i += 1;
        let (year, i) = parse_year(&text, i).map_err(fail)?;
        let (court_code, i) = parse_court_code(&text, i).map_err(fail)?;
        let (case_type, i) = parse_case_type(&text, i).map_err(fail)?;
        let (sequence, i) = parse_sequence(&text, i).map_err(fail)?;
        if i >= text.len() || text[i] != '号' {
            return Err(fail(Why("it must end with 号", "应以「号」字结尾")));
        }
        if i + 1 != text.len() {
            return Err(fail(Why(
                "there is text after 号",
                "「号」字后还有其他文字",
            )));
        }
        Ok(CaseNumber {
            year: year as u16,
            court_code,
            case_type,
            sequence: sequence as u32,
        })
    }

    /// The spelling the hub stores, indexes and shows: full-width brackets, ASCII digits, the
    /// parts as [`CaseNumber::canonical`] reads them — so a number an earlier build kept as typed
    /// (民初第1号, 執) is looked up, and listed, under the one spelling of its case.
    pub fn normalized(&self) -> String {
        self.canonical().spelled()
    }

    /// The parts as this build reads them. A number recorded by an earlier build keeps the parts
    /// that build parsed (民初第 for 民初第1号, 執 for 执); the log holds them as recorded, and
    /// read models built from it take them through here, so the one case has one set of parts.
    /// Parts that no longer read as a number are kept as they are: nothing recorded is lost.
    pub fn canonical(&self) -> CaseNumber {
        CaseNumber::parse(&self.spelled()).unwrap_or_else(|_| self.clone())
    }

    /// A case number kept as text (a co-counsel registration, a push) in the spelling
    /// [`CaseNumber::normalized`] gives it; text that is not a case number, as it is.
    pub fn canonical_text(text: &str) -> String {
        CaseNumber::parse(text).map_or_else(|_| text.to_string(), |c| c.spelled())
    }

    /// The parts as they are, written out.
    fn spelled(&self) -> String {
        format!(
            "（{}）{}{}{}号",
            self.year, self.court_code, self.case_type, self.sequence
        )
    }

    /// Category of the case type, as the SPC's standard groups it (行赔初 is state compensation,
    /// 行保 preservation, 清申 liquidation).
    pub fn category(&self) -> CaseCategory {
        case_type_category(&self.case_type).unwrap_or(CaseCategory::Other)
    }
}

/// Stage of proceedings (审级 / 程序), from the case type; similar-case search filters on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// 一审 (…初).
    FirstInstance,
    /// 二审 (…终).
    SecondInstance,
    /// 审判监督: 再审, 申请再审, 抗诉 (…再, …申, …监, …抗).
    Retrial,
    /// 执行 (执…).
    Enforcement,
    /// Anything else (特别程序, 司法救助, ...).
    Other,
}

impl Procedure {
    /// Every procedure, for listing valid filter values.
    pub const ALL: [Procedure; 5] = [
        Procedure::FirstInstance,
        Procedure::SecondInstance,
        Procedure::Retrial,
        Procedure::Enforcement,
        Procedure::Other,
    ];

    /// Stable lowercase name used in the API and the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::FirstInstance => "first_instance",
            Procedure::SecondInstance => "second_instance",
            Procedure::Retrial => "retrial",
            Procedure::Enforcement => "enforcement",
            Procedure::Other => "other",
        }
    }

    /// The procedure named `name` (as [`Procedure::as_str`] spells it).
    pub fn from_name(name: &str) -> Option<Procedure> {
        Procedure::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl CaseNumber {
    /// Stage of proceedings, by the case type's characters (执 first: 执恢 and 执监 are enforcement).
    pub fn procedure(&self) -> Procedure {
        let t = self.case_type.as_str();
        if t.starts_with('执') {
            Procedure::Enforcement
        } else if t.ends_with('初') {
            Procedure::FirstInstance
        } else if t.ends_with('终') {
            Procedure::SecondInstance
        } else if t.ends_with('申') && self.category() == CaseCategory::Bankruptcy {
            // 清申, 破申: an application to open liquidation or bankruptcy, not a retrial.
            Procedure::Other
        } else if ['再', '申', '监', '抗'].iter().any(|c| t.ends_with(*c)) {
            Procedure::Retrial
        } else {
            Procedure::Other
        }
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized())
    }
}

pub mod before_2016;
pub use before_2016::Before2016;

#[cfg(test)]
mod tests;
