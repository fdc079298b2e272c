//! What civil cases are compared on, as charges are for criminal ones: the cause of action (案由)
//! and the elements of the claim a judge looks at first in a loan or contract dispute — guarantee,
//! the parties' kind, how the money was handed over, interest and its legal band, repayment, the
//! principal.
//!
//! Elements are cues in the facts text (`CUES`), not a parse of the judgment: 担保 or 保证人
//! anywhere means the case involves a guarantee. Two cases agree on an element when both show it
//! or both lack it; [`element_score`] adds each agreement with a weight learned by logistic
//! regression on CAIL2019-SCM's development split (`eval --scm --folds`, docs/SIMILAR.md), relative
//! to the text score's weight of 1.

use regex::{Regex, RegexSet};
use std::sync::LazyLock;

/// The elements, in the order of their bits and weights: (name, what it means, cue pattern).
pub const CUES: [(&str, &str, &str); 15] = [
    ("guarantee", "担保", r"担保|保证人|连带(?:清偿|保证|责任)"),
    ("company", "公司当事人", r"有限公司|有限责任公司|股份公司"),
    ("spouse", "夫妻共同债务", r"夫妻共同|夫妻关系|配偶"),
    ("absent", "缺席审理", r"未到庭|缺席|拒不到庭"),
    (
        "repaid",
        "部分还款",
        r"已(?:归还|偿还|还款|支付)|归还了|偿还了|还款\d|支付利息",
    ),
    ("iou", "借条欠条", r"借条|欠条"),
    ("contract", "书面借款合同", r"借款合同|借款协议"),
    ("transfer", "转账交付", r"转账|银行(?:转|汇)|汇款"),
    ("cash", "现金交付", r"现金"),
    ("interest", "约定利息", r"利息|利率|月息"),
    (
        "no_interest",
        "未约定利息",
        r"未约定(?:借款)?利息|没有约定利息",
    ),
    ("penalty", "违约金或逾期利息", r"违约金|逾期利息"),
    ("lawyer_fee", "律师费", r"律师费"),
    ("security", "抵押质押", r"抵押|质押"),
    (
        "joint",
        "共同被告连带",
        r"被告[^。]{1,8}、[^。]{1,8}(?:共同|连带)",
    ),
];

// Cues are bits of a u16 (`CivilFacts::cues`).
const _: () = assert!(CUES.len() <= 16);

/// Features per pair: one agreement per cue, the rate band's agreement, the principal's closeness.
pub const FEATURES: usize = CUES.len() + 2;

/// Learned weights of [`pair_features`], relative to the text score (weight 1): L2 logistic
/// regression on the 334 development triplets of CAIL2019-SCM with the default text weights,
/// α = 1 (tied best of `cv::ALPHAS` over 10 folds), fitted on the whole split by
/// `ecenter-similar eval --scm … --folds 10`, which prints this array; docs/SIMILAR.md has the
/// folds. In `CUES` order, then the rate band and the principal.
pub const WEIGHTS: [f32; FEATURES] = [
    1.272_984_5,
    0.786_220_13,
    0.220_466_97,
    -0.130_862_19,
    0.123_607_36,
    0.181_188_97,
    0.437_943_07,
    0.364_055_25,
    0.644_735_75,
    0.447_631_63,
    -0.414_855_87,
    0.139_060_14,
    0.048_352_685,
    0.623_808_1,
    0.669_919_85,
    0.790_812_97,
    0.113_075_88,
];

static CUE_SET: LazyLock<RegexSet> =
    LazyLock::new(|| RegexSet::new(CUES.iter().map(|c| c.2)).expect("cue patterns compile"));

/// A number as judgments write it: 5, 10500, 10,500, 2.5 (after full-width digits became ASCII).
const NUMBER: &str = r"((?:\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.\d+)?)";

static PRINCIPAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"借(?:款|给|到|了)?[^。，,；]{{0,12}}?{NUMBER}\s*(万元|万|元)"
    ))
    .expect("principal pattern compiles")
});

static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"{NUMBER}\s*(万元|万|元)")).expect("amount pattern compiles")
});

/// 月息2分, 月利率2%, 月息2分5厘 (2.5 % a month).
static MONTHLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"月(?:息|利率|利息)[^0-9]{0,4}(\d+(?:\.\d+)?)\s*(%|分)(?:(\d)厘)?")
        .expect("monthly rate pattern compiles")
});

/// 年利率24%, 年息24%, 年化利率24%.
static YEARLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"年化?(?:息|利率|利息)[^0-9]{0,4}(\d+(?:\.\d+)?)\s*%")
        .expect("yearly rate pattern compiles")
});

/// A guarantee denied is no guarantee: these phrases are blanked before the cues are read.
static NO_GUARANTEE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"无担保|没有担保|未提供担保|未设定?担保|无保证人|没有保证人")
        .expect("negation pattern compiles")
});

/// Words of lending: a query without a cause of action is compared on elements only if it has one.
static LENDING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"借款|借贷|借条|欠条|借给|出借").expect("lending pattern compiles")
});

/// Full-width digits, percent sign and point as ASCII, so 借款５万元 and 24％ read alike.
pub(crate) fn ascii_numbers(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '％' => '%',
            '．' => '.',
            _ => c,
        })
        .collect()
}

/// The elements one text shows, packed so the index keeps them in one fast field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CivilFacts {
    /// Bit i: cue i of [`CUES`] is present.
    pub cues: u16,
    /// The agreed interest's legal band: 0 none stated, 1 at most 24 % a year (protected under the
    /// 2015 民间借贷 interpretation), 2 up to 36 %, 3 above.
    pub rate_band: u8,
    /// The principal in yuan (the amount lent, else the largest amount of at least 100 yuan), 0 if
    /// none is stated; saturates at u32::MAX.
    pub principal: u32,
    /// The case is labelled with a criminal charge (…罪): civil elements never score it.
    pub criminal: bool,
}

impl CivilFacts {
    /// Reads the elements of `text` (a facts section or a whole judgment).
    pub fn of(text: &str) -> CivilFacts {
        let text = ascii_numbers(text);
        let mut cues = 0u16;
        for i in &CUE_SET.matches(&NO_GUARANTEE.replace_all(&text, "")) {
            cues |= 1 << i;
        }
        CivilFacts {
            cues,
            rate_band: rate_band(&text),
            principal: principal(&text).map_or(0, |p| p.min(f64::from(u32::MAX)) as u32),
            criminal: false,
        }
    }

    /// As one u64: cues in bits 0–15, the rate band in 16–17, criminal in 18, the principal in
    /// 32–63.
    pub fn pack(self) -> u64 {
        u64::from(self.cues)
            | (u64::from(self.rate_band & 3) << 16)
            | (u64::from(self.criminal) << 18)
            | (u64::from(self.principal) << 32)
    }

    /// The inverse of [`CivilFacts::pack`].
    pub fn unpack(v: u64) -> CivilFacts {
        CivilFacts {
            cues: (v & 0xFFFF) as u16,
            rate_band: ((v >> 16) & 3) as u8,
            criminal: (v >> 18) & 1 == 1,
            principal: (v >> 32) as u32,
        }
    }
}

fn yuan(number: &str, unit: &str) -> Option<f64> {
    crate::money::digits_yuan(number, Some(unit))
}

fn principal(text: &str) -> Option<f64> {
    if let Some(p) = PRINCIPAL.captures(text).and_then(|c| yuan(&c[1], &c[2])) {
        return Some(p);
    }
    AMOUNT
        .captures_iter(text)
        .filter_map(|c| yuan(&c[1], &c[2]))
        .filter(|v| *v >= 100.0)
        .reduce(f64::max)
}

fn rate_band(text: &str) -> u8 {
    // 月息2分 and 月利率2% are both 2 % a month.
    let monthly = |c: regex::Captures<'_>| {
        let whole: f64 = c[1].parse().ok()?;
        let li = c.get(3).and_then(|l| l.as_str().parse::<f64>().ok());
        Some(whole + li.unwrap_or(0.0) / 10.0)
    };
    let yearly = MONTHLY
        .captures(text)
        .and_then(monthly)
        .map(|m| m * 12.0)
        .or_else(|| YEARLY.captures(text).and_then(|c| c[1].parse().ok()));
    match yearly {
        None => 0,
        Some(r) if r <= 24.0 => 1,
        Some(r) if r <= 36.0 => 2,
        Some(_) => 3,
    }
}

/// How a case `x` agrees with the query `q`, element by element: 1 when both show a cue or both
/// lack it; the rate band's agreement; the principal's closeness, −|log10 ratio| capped at 3
/// (0 when either states none).
pub fn pair_features(q: CivilFacts, x: CivilFacts) -> [f32; FEATURES] {
    let mut f = [0.0; FEATURES];
    for (i, slot) in f.iter_mut().take(CUES.len()).enumerate() {
        *slot = f32::from(u8::from((q.cues >> i) & 1 == (x.cues >> i) & 1));
    }
    f[CUES.len()] = f32::from(u8::from(q.rate_band == x.rate_band));
    f[CUES.len() + 1] = if q.principal > 0 && x.principal > 0 {
        -(f64::from(q.principal).log10() - f64::from(x.principal).log10())
            .abs()
            .min(3.0) as f32
    } else {
        0.0
    };
    f
}

/// What `x` shares with `q`, as a judge reads it: the cues both show (担保, 现金交付, …) and the
/// rate band when both state the same one. The explanation of the element part of a score.
pub fn shared_elements(q: CivilFacts, x: CivilFacts) -> Vec<String> {
    let mut shared: Vec<String> = CUES
        .iter()
        .enumerate()
        .filter(|(i, _)| (q.cues & x.cues) >> i & 1 == 1)
        .map(|(_, c)| c.1.to_string())
        .collect();
    if q.rate_band != 0 && q.rate_band == x.rate_band {
        shared.push("利率区间".to_string());
    }
    shared
}

/// The weighted agreement of `x` with `q`, added to the fused score of a civil query; 0 for a
/// criminal case.
pub fn element_score(q: CivilFacts, x: CivilFacts, weights: &[f32; FEATURES]) -> f32 {
    if x.criminal {
        return 0.0;
    }
    pair_features(q, x)
        .iter()
        .zip(weights)
        .map(|(f, w)| f * w)
        .sum()
}

/// 案由 of the SPC's 《民事案件案由规定》 that ecenter knows (`data/causes_of_action.txt`).
pub const CAUSES_OF_ACTION: &str = include_str!("../data/causes_of_action.txt");

/// The listed causes of action in `CAUSES_OF_ACTION`, one per line, comments left out.
pub fn causes_of_action() -> impl Iterator<Item = &'static str> {
    CAUSES_OF_ACTION
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Party names of a criminal trial or of enforcement, not of a civil suit (被告人 is criminal; a
/// civil defendant is 被告).
const OTHER_PROCEEDINGS: [&str; 5] = ["被告人", "自诉人", "被执行人", "申请执行", "公诉机关"];

/// `text` without what stands in brackets: a party's aside (被告甲（原申请执行人）) says what the
/// party was elsewhere, not what this suit is.
fn without_asides(text: &str) -> String {
    let mut depth = 0usize;
    text.chars()
        .filter(|&c| {
            match c {
                '（' | '(' => depth += 1,
                '）' | ')' => depth = depth.saturating_sub(1),
                _ => return depth == 0,
            }
            false
        })
        .collect()
}

/// The causes of action a judgment states as its own: a listed cause written just before 一案
/// (原告甲与被告乙民间借贷纠纷一案), longest first so 金融借款合同纠纷 is not also 借款合同纠纷.
///
/// A cause in a clause that names the parties of a criminal trial or of enforcement (自诉人张某与
/// 被告人李某民间借贷纠纷一案, 申请执行人…物权保护纠纷一案) is another case's, recounted: a 拒不执行
/// 判决、裁定罪 judgment is no loan case.
pub fn causes_in(text: &str) -> Vec<String> {
    let own = |c: &str| {
        let needle = format!("{c}一案");
        text.match_indices(&needle).any(|(at, _)| {
            let sentence = text[..at]
                .rsplit(['。', '；', '\n'])
                .next()
                .unwrap_or_default();
            let parties = without_asides(sentence);
            !OTHER_PROCEEDINGS.iter().any(|w| parties.contains(w))
        })
    };
    let mut found: Vec<&str> = causes_of_action().filter(|c| own(c)).collect();
    found.sort_by_key(|c| std::cmp::Reverse(c.chars().count()));
    let mut kept: Vec<String> = Vec::new();
    for c in found {
        if !kept.iter().any(|k| k.ends_with(c)) {
            kept.push(c.to_string());
        }
    }
    kept
}

/// Whether a query is compared on civil elements: it names a listed cause of action, or it names
/// no criminal charge (…罪) and speaks of lending. Facts of a crime that name no charge are not:
/// 现金 or 有限公司 in a theft must not pull loan cases up.
pub fn is_civil(charges: &[String], text: &str) -> bool {
    if charges.iter().any(|c| causes_of_action().any(|k| k == c)) {
        return true;
    }
    !charges.iter().any(|c| c.ends_with('罪')) && LENDING.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_amounts_and_rate_bands_are_read_from_the_facts() {
        let text = "原告张某诉称，2019年3月被告李某向其借款5万元，约定月息2分，由被告王某作连带责任\
                    保证，原告以银行转账方式交付。被告经传票传唤未到庭。";
        let facts = CivilFacts::of(text);
        let has = |name: &str| {
            let i = CUES.iter().position(|c| c.0 == name).unwrap();
            facts.cues >> i & 1 == 1
        };
        assert!(has("guarantee") && has("transfer") && has("absent") && has("interest"));
        assert!(!has("cash") && !has("company") && !has("security"));
        assert_eq!(facts.principal, 50_000);
        assert_eq!(facts.rate_band, 1, "2 % a month is 24 % a year");
        assert_eq!(CivilFacts::unpack(facts.pack()), facts);
        assert_eq!(CivilFacts::of("约定年利率36%").rate_band, 2);
        assert_eq!(
            CivilFacts::of("月利率3%").rate_band,
            2,
            "36 % a year is the upper edge"
        );
        assert_eq!(CivilFacts::of("月利率3.5%").rate_band, 3);
        assert_eq!(CivilFacts::of("借款120000元").principal, 120_000);
    }

    #[test]
    fn agreement_counts_shared_presence_and_shared_absence() {
        let q = CivilFacts::of("借款10000元，现金交付，有担保");
        let same = CivilFacts::of("借款12000元，以现金交付，保证人李某");
        let other = CivilFacts::of("借款1000000元，银行转账");
        let f = pair_features(q, same);
        assert!(f[..CUES.len()].iter().all(|v| *v == 1.0), "{f:?}");
        assert!(f[FEATURES - 1] > -0.1);
        let g = pair_features(q, other);
        assert!(g[..CUES.len()].iter().filter(|v| **v == 0.0).count() >= 3);
        assert!(
            (g[FEATURES - 1] + 2.0).abs() < 1e-6,
            "two orders of magnitude apart"
        );
    }

    #[test]
    fn a_judgment_states_its_cause_of_action_before_yi_an() {
        let text = "原告某银行与被告张某金融借款合同纠纷一案，本院于2020年立案。另查明，张某曾涉民间借贷纠纷。";
        assert_eq!(causes_in(text), vec!["金融借款合同纠纷"]);
        assert_eq!(
            causes_in("原告甲与被告乙民间借贷纠纷一案"),
            vec!["民间借贷纠纷"]
        );
        assert!(causes_in("被告人犯盗窃罪一案").is_empty());
        assert!(causes_of_action().count() > 250);
        // Outsider, round 18: another case's cause, recounted by a criminal judgment.
        for recounted in [
            "经审理查明，自诉人张某与被告人李某民间借贷纠纷一案，经本院主持调解达成协议。",
            "关于申请人查某申请执行被执行人张某物权保护纠纷一案执行情况的报告。",
        ] {
            assert!(causes_in(recounted).is_empty(), "{recounted}");
        }
        // Outsider, round 18b: what a party was elsewhere, said in brackets, is no other suit.
        assert_eq!(
            causes_in(
                "原告乙与被告甲（原申请执行人）、第三人丙（被执行人）民间借贷纠纷一案，本院受理。"
            ),
            vec!["民间借贷纠纷"]
        );
    }

    /// The 160 criminal judgments of LeCaRDv2 (read from ../shared/data) state no cause of action
    /// as their own, though some recount a civil case.
    #[test]
    fn real_criminal_judgments_have_no_cause_of_action() {
        let path = crate::shared_data().join("lecardv2/judgments.jsonl");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (../shared/data)", path.display()));
        let mut read = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let judgment = v["query"].as_str().unwrap();
            assert_eq!(causes_in(judgment), Vec::<String>::new(), "{}", v["id"]);
            read += 1;
        }
        assert_eq!(read, 160);
    }

    #[test]
    fn shared_elements_name_what_both_show() {
        let q = CivilFacts::of("借款2万元，现金交付，李某提供担保，约定月息2分");
        let x = CivilFacts::of("借款3万元，以现金给付，保证人王某，月利率2%，已归还部分");
        assert_eq!(
            shared_elements(q, x),
            ["担保", "现金交付", "约定利息", "利率区间"]
        );
        assert!(shared_elements(q, CivilFacts::of("银行转账")).is_empty());
    }

    #[test]
    fn criminal_queries_are_not_compared_on_civil_elements() {
        let theft = "被告人趁被害人不备，窃取其放在抽屉内的现金5000元及某有限公司的财物。";
        assert!(!is_civil(&["盗窃罪".to_string()], "借款"));
        assert!(!is_civil(&[], theft), "facts of a crime naming no charge");
        assert!(is_civil(&["民间借贷纠纷".to_string()], theft));
        assert!(is_civil(&[], "被告向原告借款5万元"));
        let criminal = CivilFacts {
            criminal: true,
            ..CivilFacts::of(theft)
        };
        assert_eq!(CivilFacts::unpack(criminal.pack()), criminal);
        assert_eq!(
            element_score(CivilFacts::of(theft), criminal, &WEIGHTS),
            0.0
        );
    }

    #[test]
    fn numbers_are_read_as_judgments_write_them() {
        assert_eq!(CivilFacts::of("借款５万元").principal, 50_000);
        assert_eq!(CivilFacts::of("借款10,500元").principal, 10_500);
        assert_eq!(
            CivilFacts::of("借款人民币壹万元，合计10，000元").principal,
            10_000
        );
        assert_eq!(
            CivilFacts::of("约定月息2分5厘").rate_band,
            2,
            "2.5 % a month is 30 %"
        );
        assert_eq!(CivilFacts::of("年化利率18％").rate_band, 1);
        let guarantee = CUES.iter().position(|c| c.0 == "guarantee").unwrap();
        assert_eq!(CivilFacts::of("该借款无担保").cues >> guarantee & 1, 0);
        assert_eq!(CivilFacts::of("由李某提供担保").cues >> guarantee & 1, 1);
    }
}
