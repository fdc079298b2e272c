//! One punishment as a judgment writes it (刑法 第三章 刑罚): `有期徒刑三年六个月，缓刑五年，并处罚金人民币
//! 二万元`, `死刑，缓期二年执行，剥夺政治权利终身，并处没收个人全部财产`, `拘役三个月至四个月`.
//! Numbers come in Chinese numerals (十一万, 一年零二个月, 两个月) or Arabic digits (20万元, 5000元).

use chinese_number::{ChineseCountMethod, ChineseToNumber};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// 主刑 (刑法第三十三条) and the two outcomes without one (单处罚金, 免予刑事处罚 第三十七条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Principal {
    /// 有期徒刑, a fixed term (6 months to 15 years, 25 for 数罪并罚).
    #[serde(rename = "有期徒刑")]
    FixedTerm,
    /// 拘役, criminal detention (1 to 6 months).
    #[serde(rename = "拘役")]
    CriminalDetention,
    /// 管制, public surveillance (3 months to 2 years).
    #[serde(rename = "管制")]
    PublicSurveillance,
    /// 无期徒刑.
    #[serde(rename = "无期徒刑")]
    Life,
    /// 死刑，缓期二年执行.
    #[serde(rename = "死刑缓期二年执行")]
    DeathSuspended,
    /// 死刑 (立即执行).
    #[serde(rename = "死刑")]
    Death,
    /// 单处罚金: a fine as the only punishment.
    #[serde(rename = "单处罚金")]
    FineOnly,
    /// 免予刑事处罚.
    #[serde(rename = "免予刑事处罚")]
    Exempt,
}

impl Principal {
    /// The name a judgment uses.
    pub fn name(self) -> &'static str {
        match self {
            Principal::FixedTerm => "有期徒刑",
            Principal::CriminalDetention => "拘役",
            Principal::PublicSurveillance => "管制",
            Principal::Life => "无期徒刑",
            Principal::DeathSuspended => "死刑缓期二年执行",
            Principal::Death => "死刑",
            Principal::FineOnly => "单处罚金",
            Principal::Exempt => "免予刑事处罚",
        }
    }
}

/// 没收财产 (第五十九条): a sum, or all of the offender's own property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confiscation {
    /// 没收个人全部财产.
    All,
    /// 没收个人财产人民币 N 元.
    Yuan(u64),
}

/// 剥夺政治权利 (第五十四—五十八条): a term or for life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deprivation {
    /// 剥夺政治权利终身.
    Life,
    /// 剥夺政治权利 N 个月.
    Months(u32),
}

/// What one punishment clause imposes. A field the clause does not mention is `None`; a 缓刑 or
/// 罚金 mentioned without its term or sum (并处罚金, 适用缓刑) is `Some(0)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Punishment {
    /// The principal punishment, if the clause names one.
    pub principal: Option<Principal>,
    /// Its term in months (有期徒刑, 拘役, 管制).
    pub months: Option<u32>,
    /// A term given as a range, in months (a proposal: 有期徒刑六个月至九个月, 一年以下): low, high.
    pub range: Option<(Option<u32>, Option<u32>)>,
    /// 缓刑考验期 in months.
    pub suspension_months: Option<u32>,
    /// 罚金 in yuan.
    pub fine_yuan: Option<u64>,
    /// 没收个人财产.
    pub confiscation: Option<Confiscation>,
    /// 剥夺政治权利.
    pub deprivation: Option<Deprivation>,
}

impl Punishment {
    /// Nothing concrete: no principal, no fine, no suspension.
    pub fn is_empty(&self) -> bool {
        self.principal.is_none()
            && self.fine_yuan.is_none()
            && self.suspension_months.is_none()
            && self.confiscation.is_none()
    }
}

/// A term as people write it: 2年6个月, 8个月, 3年.
pub fn term_text(months: u32) -> String {
    match (months / 12, months % 12) {
        (0, m) => format!("{m}个月"),
        (y, 0) => format!("{y}年"),
        (y, m) => format!("{y}年{m}个月"),
    }
}

impl std::fmt::Display for Punishment {
    /// `有期徒刑2年6个月，缓刑3年，罚金人民币10000元，没收个人全部财产，剥夺政治权利终身`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(p) = self.principal {
            let term = match (self.months, self.range) {
                (Some(m), _) => term_text(m),
                (None, Some((low, high))) => format!(
                    "{}至{}",
                    low.map_or_else(String::new, term_text),
                    high.map_or_else(|| "以上".to_string(), term_text)
                ),
                _ => String::new(),
            };
            if p != Principal::FineOnly {
                parts.push(format!("{}{term}", p.name()));
            }
        }
        match self.suspension_months {
            Some(0) => parts.push("缓刑".to_string()),
            Some(m) => parts.push(format!("缓刑{}", term_text(m))),
            None => {}
        }
        match self.fine_yuan {
            Some(0) => parts.push("罚金".to_string()),
            Some(y) => parts.push(format!("罚金人民币{y}元")),
            None => {}
        }
        match self.confiscation {
            Some(Confiscation::All) => parts.push("没收个人全部财产".to_string()),
            Some(Confiscation::Yuan(y)) => parts.push(format!("没收个人财产人民币{y}元")),
            None => {}
        }
        match self.deprivation {
            Some(Deprivation::Life) => parts.push("剥夺政治权利终身".to_string()),
            Some(Deprivation::Months(m)) => parts.push(format!("剥夺政治权利{}", term_text(m))),
            None => {}
        }
        f.write_str(&parts.join("，"))
    }
}

/// A Chinese or Arabic count: 十一, 二十, 两, 〇, 12.
const NUM: &str = r"[0-9零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟]+";

/// A term: 三年, 一年零二个月, 三年又六个月, 十个月, 6个月.
static TERM: LazyLock<String> =
    LazyLock::new(|| format!(r"(?:({NUM})年(?:[零又]?({NUM})个?月|(半))?|({NUM})个?月)"));

static TERM_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(&TERM).expect("term pattern"));

/// A kind followed by its term (有期徒刑三年) or a term followed by its kind (一年有期徒刑).
static KIND_TERM: LazyLock<Regex> = LazyLock::new(|| {
    let t = TERM.as_str();
    Regex::new(&format!(
        r"(有期徒刑|拘役|管制)({t})(至{t}|以下|以上)?|({t})(以上{t})?(以下)?(有期徒刑|拘役|管制)"
    ))
    .expect("kind and term pattern")
});

/// A band of terms, not one: 六个月至九个月, 一至二年, 一年到二年, 三年以下, 一年以上三年以下.
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    let t = TERM.as_str();
    Regex::new(&format!(
        r"{NUM}(?:年|个?月)?(?:至|到|～|~|－|-|—){NUM}(?:年|个?月)|{t}(?:以上|以下)"
    ))
    .expect("range pattern")
});

/// Whether `text` states a band of terms (量刑幅度: 有期徒刑六个月至九个月, 三年以下有期徒刑) rather
/// than one term: a proposal must name the term it would impose.
pub fn states_a_range(text: &str) -> bool {
    RANGE.is_match(text)
}

/// 缓刑二年, 缓刑考验期限为二年六个月.
static SUSPENSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"缓刑(?:考验)?(?:期限?)?(?:为)?{}", TERM.as_str()))
        .expect("suspension pattern")
});

/// 缓刑 named without its term: 宣告缓刑, 适用缓刑, 并处缓刑.
static SUSPENSION_NAMED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:宣告|适用|并处|判处|处以)缓刑").expect("suspension pattern"));

/// 罚金人民币二万元, 罚金20万元, 罚金五千元; 并处罚金 alone.
static FINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"罚金(?:人民币)?(?:([0-9][0-9.,，]*)\s*(万)?元|([零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬]+)元)?")
        .expect("fine pattern")
});

static CONFISCATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"没收(?:其)?个人(全部)?(?:部分)?财产(?:(?:人民币)?(?:([0-9][0-9.,，]*)\s*(万)?元|([零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬]+)元))?")
        .expect("confiscation pattern")
});

static DEPRIVATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"剥夺政治权利(?:(终身)|{})", TERM.as_str())).expect("deprivation pattern")
});

/// A count written either way; 两 and 〇 as the crate expects them.
pub(crate) fn count(text: &str) -> Option<u64> {
    if let Ok(n) = text.parse::<u64>() {
        return Some(n);
    }
    let text = text.replace('两', "二").replace('〇', "零");
    let n: u64 = text.to_number(ChineseCountMethod::TenThousand).ok()?;
    Some(n)
}

/// Months of a [`TERM`] match starting at capture group `first` (years, months, or months alone).
fn months_of(c: &regex::Captures<'_>, first: usize) -> Option<u32> {
    let get = |i: usize| c.get(first + i).map(|m| count(m.as_str()));
    let half = c.get(first + 2).is_some();
    let months = match (get(0), get(1), get(3)) {
        (Some(years), months, _) => years?
            .checked_mul(12)?
            .checked_add(months.flatten().unwrap_or(if half { 6 } else { 0 }))?,
        (None, _, Some(months)) => months?,
        _ => return None,
    };
    u32::try_from(months).ok()
}

/// Months of the first term in `text`.
fn first_term(text: &str) -> Option<u32> {
    TERM_RE.captures(text).and_then(|c| months_of(&c, 1))
}

/// Yuan of `digits` (with 万) or of a Chinese numeral.
fn yuan(digits: Option<&str>, wan: bool, chinese: Option<&str>) -> Option<u64> {
    if let Some(d) = digits {
        let v = crate::money::digits_yuan(d, wan.then_some("万"))?;
        return (v >= 0.0).then(|| v.round() as u64);
    }
    chinese.and_then(count)
}

/// Reads one punishment clause (the words after 判处 or 决定执行, up to the clause's end).
pub fn parse(clause: &str) -> Punishment {
    let clause = crate::civil::ascii_numbers(clause);
    let mut p = Punishment::default();
    principal(&clause, &mut p);
    if let Some(c) = SUSPENSION.captures(&clause) {
        p.suspension_months = months_of(&c, 1);
    } else if SUSPENSION_NAMED.is_match(&clause) {
        p.suspension_months = Some(0);
    }
    if let Some(c) = FINE.captures(&clause) {
        let sum = yuan(
            c.get(1).map(|m| m.as_str()),
            c.get(2).is_some(),
            c.get(3).map(|m| m.as_str()),
        );
        p.fine_yuan = Some(sum.unwrap_or(0));
        let fine_first = c.get(0).is_some_and(|m| {
            let before = &clause[..m.start()];
            before.is_empty() || before.ends_with("单处")
        });
        if p.principal.is_none() && fine_first {
            p.principal = Some(Principal::FineOnly);
        }
    }
    if let Some(c) = CONFISCATION.captures(&clause) {
        p.confiscation = if c.get(1).is_some() {
            Some(Confiscation::All)
        } else {
            yuan(
                c.get(2).map(|m| m.as_str()),
                c.get(3).is_some(),
                c.get(4).map(|m| m.as_str()),
            )
            .map(Confiscation::Yuan)
        };
    }
    if let Some(c) = DEPRIVATION.captures(&clause) {
        p.deprivation = if c.get(1).is_some() {
            Some(Deprivation::Life)
        } else {
            months_of(&c, 2).map(Deprivation::Months)
        };
    }
    p
}

fn kind(name: &str) -> Principal {
    match name {
        "拘役" => Principal::CriminalDetention,
        "管制" => Principal::PublicSurveillance,
        _ => Principal::FixedTerm,
    }
}

/// The principal punishment and its term or range.
fn principal(clause: &str, p: &mut Punishment) {
    if clause.contains("免予刑事处罚") || clause.contains("免于刑事处罚") {
        p.principal = Some(Principal::Exempt);
        return;
    }
    if let Some(at) = clause.find("死刑") {
        let after = &clause[at + "死刑".len()..];
        let suspended = after.trim_start_matches(['，', ',']).starts_with("缓期");
        p.principal = Some(if suspended {
            Principal::DeathSuspended
        } else {
            Principal::Death
        });
        return;
    }
    if clause.contains("无期徒刑") {
        p.principal = Some(Principal::Life);
        return;
    }
    // A kind without its term (应当判处有期徒刑以上刑罚) imposes nothing.
    let Some(c) = KIND_TERM.captures(clause) else {
        return;
    };
    // Groups (a term is four: years, months, 半, months alone): 1 kind, 2–6 term, 7–11 至 term, 以下
    // or 以上; then 12–16 term, 17–21 以上 term, 22 以下, 23 kind.
    if let Some(k) = c.get(1) {
        p.principal = Some(kind(k.as_str()));
        let term = months_of(&c, 3);
        match c.get(7).map(|m| m.as_str()) {
            Some("以下") => p.range = Some((None, term)),
            Some("以上") => p.range = Some((term, None)),
            Some(to) => p.range = Some((term, first_term(to))),
            None => p.months = term,
        }
    } else if let Some(k) = c.get(23) {
        p.principal = Some(kind(k.as_str()));
        let term = months_of(&c, 13);
        match (c.get(17), c.get(22)) {
            (Some(high), _) => p.range = Some((term, first_term(high.as_str()))),
            (None, Some(_)) => p.range = Some((None, term)),
            (None, None) => p.months = term,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_read_in_months_whichever_way_they_are_written() {
        for (clause, months) in [
            ("有期徒刑三年", 36),
            ("有期徒刑一年零二个月", 14),
            ("有期徒刑三年又六个月", 42),
            ("有期徒刑五年六个月", 66),
            ("有期徒刑十个月", 10),
            ("有期徒刑二十年", 240),
            ("有期徒刑一年又两个月", 14),
            ("拘役三个月", 3),
            ("管制一年", 12),
            ("有期徒刑2年6个月", 30),
            ("有期徒刑１年", 12),
            ("有期徒刑一年半", 18),
            ("有期徒刑叁年", 36),
        ] {
            let p = parse(clause);
            assert_eq!(p.months, Some(months), "{clause}");
            assert!(p.principal.is_some(), "{clause}");
        }
        assert_eq!(
            parse("拘役三个月").principal,
            Some(Principal::CriminalDetention)
        );
        assert_eq!(
            parse("管制一年").principal,
            Some(Principal::PublicSurveillance)
        );
    }

    #[test]
    fn suspension_fine_confiscation_and_deprivation() {
        let p = parse("有期徒刑三年，缓刑五年，并处罚金人民币十一万元");
        assert_eq!(
            (p.months, p.suspension_months, p.fine_yuan),
            (Some(36), Some(60), Some(110_000))
        );
        let p = parse("有期徒刑一年，宣告缓刑，缓刑考验期限二年六个月，罚金20万元");
        assert_eq!(
            (p.suspension_months, p.fine_yuan),
            (Some(30), Some(200_000))
        );
        assert_eq!(parse("有期徒刑四年，并处罚金六千元").fine_yuan, Some(6_000));
        assert_eq!(
            parse("有期徒刑四年，并处罚金人民币5000元").fine_yuan,
            Some(5_000)
        );
        assert_eq!(
            parse("有期徒刑四年，并处罚金人民币1.5万元").fine_yuan,
            Some(15_000)
        );
        assert_eq!(parse("有期徒刑一年，并处罚金").fine_yuan, Some(0));
        assert_eq!(
            parse("有期徒刑一年，罚金人民币壹万元").fine_yuan,
            Some(10_000)
        );
        assert_eq!(
            parse("有期徒刑一年，缓刑期限二年").suspension_months,
            Some(24)
        );
        assert_eq!(
            parse("有期徒刑十年，并处没收个人部分财产人民币二万元").confiscation,
            Some(Confiscation::Yuan(20_000))
        );
        // A term no person serves is no term: refused, not wrapped.
        assert_eq!(parse("有期徒刑1537228672809129302年").months, None);
        assert_eq!(parse("有期徒刑三年，并处缓刑").suspension_months, Some(0));
        let p = parse("死刑，缓期二年执行，剥夺政治权利终身，并处没收个人全部财产");
        assert_eq!(p.principal, Some(Principal::DeathSuspended));
        assert_eq!(p.deprivation, Some(Deprivation::Life));
        assert_eq!(p.confiscation, Some(Confiscation::All));
        let p = parse("有期徒刑十年，剥夺政治权利二年，并处没收个人财产人民币五万元");
        assert_eq!(p.deprivation, Some(Deprivation::Months(24)));
        assert_eq!(p.confiscation, Some(Confiscation::Yuan(50_000)));
        assert_eq!(
            parse("死刑，剥夺政治权利终身").principal,
            Some(Principal::Death)
        );
        assert_eq!(parse("无期徒刑").principal, Some(Principal::Life));
    }

    #[test]
    fn a_fine_alone_and_an_exemption_are_outcomes_too() {
        let p = parse("罚金人民币三千元");
        assert_eq!(
            (p.principal, p.fine_yuan),
            (Some(Principal::FineOnly), Some(3_000))
        );
        assert_eq!(
            parse("单处罚金人民币二万元").principal,
            Some(Principal::FineOnly)
        );
        assert_eq!(parse("免予刑事处罚").principal, Some(Principal::Exempt));
        // A fine beside a prison term does not make it a fine alone.
        assert_eq!(
            parse("有期徒刑一年，并处罚金人民币二万元").principal,
            Some(Principal::FixedTerm)
        );
    }

    #[test]
    fn proposals_give_ranges_not_terms() {
        let p = parse("有期徒刑六个月至九个月，并处罚金");
        assert_eq!((p.months, p.range), (None, Some((Some(6), Some(9)))));
        let p = parse("一年零六个月以下有期徒刑，且适用缓刑");
        assert_eq!((p.months, p.range), (None, Some((None, Some(18)))));
        assert_eq!(p.suspension_months, Some(0));
        let p = parse("二年以上三年以下有期徒刑");
        assert_eq!(p.range, Some((Some(24), Some(36))));
        assert_eq!(parse("有期徒刑一年以下").range, Some((None, Some(12))));
        assert_eq!(parse("有期徒刑三年以上").range, Some((Some(36), None)));
    }

    #[test]
    fn punishments_are_shown_as_people_write_them() {
        let p = parse("有期徒刑二年六个月，缓刑三年，并处罚金人民币一万元");
        assert_eq!(
            p.to_string(),
            "有期徒刑2年6个月，缓刑3年，罚金人民币10000元"
        );
        assert_eq!(parse("罚金人民币三千元").to_string(), "罚金人民币3000元");
        assert_eq!(parse("拘役五个月").to_string(), "拘役5个月");
        assert_eq!(
            parse("无期徒刑，剥夺政治权利终身，并处没收个人全部财产").to_string(),
            "无期徒刑，没收个人全部财产，剥夺政治权利终身"
        );
    }

    #[test]
    fn words_without_a_punishment_give_nothing() {
        assert!(parse("依法判处").is_empty());
        assert!(parse("（刑期从判决执行之日起计算）").is_empty());
    }
}
