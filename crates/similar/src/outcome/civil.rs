//! Outcomes of civil judgments as data: what the plaintiff claimed (诉讼请求, 民事诉讼法第一百二十四条
//! 第三项) and what the court awarded (the 判项 after 判决如下), each as the principal, a stated
//! interest figure, a merged total, other money (违约金, 律师费, 逾期付款损失) and the interest rate,
//! with the words of the judgment that gave them.
//!
//! A claim and an award are read the same way: the passage is cut into its items (1、…；2、…), the
//! items about costs (诉讼费, 受理费, 保全费) and a guarantor's joint liability (连带清偿责任: the same
//! debt again) are left out, and every sum of money is given a kind by the words just before it
//! (本金 / 借款 → principal, 利息 → interest, 共计 / 本息 → a merged total, 违约金 → other money).
//! A sum that is only the base of a calculation (以100000元为基数), one already repaid (已还2万元) or
//! a breakdown in brackets of a sum already stated (本金7.7万元（其中5万元…）) is not counted again.

mod rate;

pub use rate::{Period, Rate};

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The money of a claim or an award, in yuan; a sum the passage does not state is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Amounts {
    /// The principal (本金, 借款, 欠款, 货款), summed over the items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_yuan: Option<f64>,
    /// Interest stated as a sum (利息5000元, 暂计至起诉之日为24000元).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interest_yuan: Option<f64>,
    /// One sum merging principal and interest (本息共计…), only when neither is stated apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_yuan: Option<f64>,
    /// 违约金, 律师费, 逾期付款损失 and like sums, summed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty_yuan: Option<f64>,
    /// The rate interest is asked or awarded at, the first the passage states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// The passage read (at most 300 characters), for a person to check.
    pub source: String,
}

impl Amounts {
    /// True when the passage stated no sum and no rate.
    pub fn is_empty(&self) -> bool {
        self.principal_yuan.is_none()
            && self.interest_yuan.is_none()
            && self.total_yuan.is_none()
            && self.penalty_yuan.is_none()
            && self.rate.is_none()
    }
}

impl std::fmt::Display for Amounts {
    /// `本金77000元，利息5000元，月利率2%`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        let sums = [
            ("本金", self.principal_yuan),
            ("利息", self.interest_yuan),
            ("本息合计", self.total_yuan),
            ("违约金等", self.penalty_yuan),
        ];
        for (name, v) in sums {
            if let Some(v) = v {
                parts.push(format!("{name}{}元", yuan_text(v)));
            }
        }
        if let Some(r) = &self.rate {
            parts.push(r.to_string());
        }
        f.write_str(&parts.join("，"))
    }
}

/// 77000 or 10500.5: whole yuan without a point.
pub fn yuan_text(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// What a civil judgment says about money: the claim and the award, each `None` when the text
/// holds no such passage or it states no sum and no rate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CivilOutcome {
    /// The plaintiff's claims (诉讼请求).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed: Option<Amounts>,
    /// The court's award (判决如下).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awarded: Option<Amounts>,
}

impl CivilOutcome {
    /// True when neither a claim nor an award was read.
    pub fn is_empty(&self) -> bool {
        self.claimed.is_none() && self.awarded.is_none()
    }
}

/// Where the claims begin: 提出诉讼请求：, 诉请, 请求法院依法判令, 起诉要求.
static CLAIM_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"诉讼请求(?:为|是|如下)?[:：]|诉讼请求[，,]?(?:要求|请求)|诉请|请求(?:法院|本院|人民法院|贵院)?(?:依法)?(?:判令|判决|判如所请)|请(?:法院|本院|人民法院)?依法判(?:决|令)|请求[:：]|(?:诉至|起诉至?|诉诸|诉来)[^。；]{0,10}?(?:要求|请求)|起诉要求|要求(?:法院|本院)?判令",
    )
    .expect("claim pattern")
});

/// A claim told without its own heading: 要求被告偿还借款…, 现原告要求二被告共同偿还….
static CLAIM_LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:要求|请求)[^。；，,]{0,20}?(?:偿还|归还|返还|支付|给付|还款|清偿)")
        .expect("loose claim pattern")
});

/// Where the plaintiff's statement ends: the defence, the court's findings.
static STATEMENT_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"辩称|答辩|经审理|查明|本院认为|本院认定").expect("statement end pattern")
});

/// The end of the claims: the reasons, the defence or the evidence that follow them.
static CLAIM_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"事实(?:和|与|及)理由|辩称|经审理|本院认为|(?:提交|提供)了?(?:如下)?证据")
        .expect("claim end pattern")
});

/// An item's number inside a sentence: the claims go on after a 。 (1、…。利息按…；2、…).
static LATER_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[；;，,]\s*(?:\d+\s*[、.．]|[一二三四五六七八九十]+、)\D")
        .expect("later item pattern")
});

/// An item's number at the head of a sentence: 1、 2． (3) （四） 五、 第六，.
static ITEM_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:\d+\s*[、.．]|[（(]\d+[)）]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|第[一二三四五六七八九十]+[，,、])")
        .expect("item head pattern")
});

/// Item boundaries inside a passage.
static ITEM_SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[；;]|。|(?:^|[，,：:\s])(?:\d+\s*[、.．]|[（(]\d+[)）]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])")
        .expect("item split pattern")
});

/// Where the court's decision begins.
static AWARD_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"判决如下[:：]?").expect("award pattern"));

/// Where the decision's items end: costs, the notice of appeal, the signatures.
static AWARD_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"案件受理费|本案受理费|受理费|诉讼费用?|如不服本判决|如果未按|如未按|审\s*判\s*长|审\s*判\s*员")
        .expect("award end pattern")
});

/// Reads the claim and the award of `text` (a civil judgment or its facts).
pub fn civil_outcome(text: &str) -> CivilOutcome {
    let text = crate::civil::ascii_numbers(text);
    CivilOutcome {
        claimed: claim(&text),
        awarded: award(&text),
    }
}

/// A claim changed in the course of the trial (民事诉讼法第五十四条): 变更诉讼请求为…, 变更为….
static AMENDMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"变更(?:其|了)?[^。，,；]{0,6}?(?:诉讼请求|诉请|请求)(?:为|：|:)?|(?:诉讼请求|诉请)变更(?:为|：|:)?|(?:后|现|又|并)变更为",
    )
    .expect("amendment pattern")
});

/// The claim as finally made: the first claims, with what the last amendment before the decision
/// states in their place (an amendment of the interest alone keeps the principal claimed).
fn claim(text: &str) -> Option<Amounts> {
    let mut claimed = claim_passage(text).map(amounts);
    let before_decision = AWARD_START.find(text).map_or(text.len(), |m| m.start());
    if let Some(m) = AMENDMENT.find_iter(&text[..before_decision]).last() {
        let rest = &text[m.start()..before_decision];
        let changed = amounts(&rest[..sentence_end(rest, 0)]);
        let base = claimed.get_or_insert_with(Amounts::default);
        base.principal_yuan = changed.principal_yuan.or(base.principal_yuan);
        base.interest_yuan = changed.interest_yuan.or(base.interest_yuan);
        base.total_yuan = changed.total_yuan.or(base.total_yuan);
        base.penalty_yuan = changed.penalty_yuan.or(base.penalty_yuan);
        base.rate = changed.rate.or(base.rate);
        if !changed.is_empty() {
            base.source = format!("{}……{}", base.source, changed.source)
                .chars()
                .take(300)
                .collect();
        }
    }
    claimed.filter(|a| !a.is_empty())
}

/// The plaintiff's claims, from their heading to the end of the last numbered item (at most 800
/// bytes), stopping at 事实和理由. Claims told after the decision are the court's quotation, not
/// read.
fn claim_passage(text: &str) -> Option<&str> {
    let before_decision = AWARD_START.find(text).map_or(text.len(), |m| m.start());
    let head = &text[..before_decision];
    // The plaintiff's statement, before the defence and the findings, holds the claims; a heading
    // there, else its last demand, else a heading later on.
    let statement = &head[..STATEMENT_END.find(head).map_or(head.len(), |m| m.start())];
    let start = heading(statement)
        .or_else(|| CLAIM_LOOSE.find_iter(statement).last())
        .or_else(|| heading(head))?
        .start();
    let rest = &text[start..];
    let mut end = sentence_end(rest, 0);
    while end < rest.len() && end < 800 {
        let next = sentence_end(rest, end);
        if !ITEM_HEAD.is_match(&rest[end..]) && !LATER_ITEM.is_match(&rest[end..next]) {
            break;
        }
        end = next;
    }
    if let Some(m) = CLAIM_END.find(&rest[..end]) {
        end = m.start();
    }
    Some(&rest[..end])
}

/// The first claims heading of `within` that is not an appellant's or applicant's request (上诉请求,
/// 再审请求: not the plaintiff's claim).
fn heading(within: &str) -> Option<regex::Match<'_>> {
    CLAIM_START.find_iter(within).find(|m| {
        // 上诉请求 holds 诉请 too: look at the words around the heading's start.
        let from = within.floor_char_boundary(m.start().saturating_sub(6));
        let around = &within[from..m.end()];
        !["上诉", "再审", "申诉"]
            .iter()
            .any(|w| around.contains(&format!("{w}请")) || within[..m.start()].ends_with(w))
    })
}

/// The byte after the 。 that ends the sentence running from `from` (or the text's end).
fn sentence_end(text: &str, from: usize) -> usize {
    text[from..]
        .find('。')
        .map_or(text.len(), |i| from + i + '。'.len_utf8())
}

/// The award: the court's own decision, the last 判决如下. One that upholds (维持原判, 维持…第…项)
/// and states no money leaves the award it upholds, quoted before it; one that reverses or
/// dismisses (撤销…，驳回…全部诉讼请求) and states none awards nothing.
fn award(text: &str) -> Option<Amounts> {
    let starts: Vec<usize> = AWARD_START.find_iter(text).map(|m| m.end()).collect();
    for (i, &start) in starts.iter().enumerate().rev() {
        let passage = decision(text, start);
        let read = amounts(passage);
        if !read.is_empty() || !passage.contains("维持") || i == 0 {
            return Some(read).filter(|a| !a.is_empty());
        }
    }
    None
}

/// Where a decision's items end: costs, the notice of appeal, the signatures, the court's own
/// reasoning or the next decision (a quoted decision is followed by the appeal's), at most 1500
/// bytes.
fn decision(text: &str, start: usize) -> &str {
    let rest = &text[start..];
    let end = AWARD_END
        .find(rest)
        .map_or(rest.len(), |m| m.start())
        .min(NEXT_PART.find(rest).map_or(rest.len(), |m| m.start()))
        .min(rest.floor_char_boundary(1500));
    &rest[..end]
}

/// What follows a quoted decision: the court's reasoning, the appeal, or another decision.
static NEXT_PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"本院认为|本院二审|二审期间|上诉人[^。；，,]{0,12}不服|判决如下|宣判后")
        .expect("next part pattern")
});

/// What kind of money a sum is, from the words before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Principal,
    Interest,
    Total,
    Penalty,
    /// 诉讼费, 保全费: the court's costs, not money between the parties.
    Cost,
}

/// Words that give a sum its kind; the last before the sum decides. Longer phrases first, so that
/// 本金及利息 is a total and not interest.
static KIND_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"本金及利息|本息|本利|借款及利息|共计|合计|总计|计款|(利息|罚息|复利|资金占用)|(违约金|律师费|律师代理费|代理费|逾期付款损失|损失|滞纳金|实现债权的?费用|保险费|公证费|评估费|差旅费)|(诉讼费|受理费|保全费|公告费|鉴定费|保全担保费)|(本金|借款|欠款|借支|货款|价款|工程款|租金|款项|尚欠|欠)",
    )
    .expect("kind pattern")
});

/// A sum of money: digits (10,500 / 7.7 with 万) or Chinese numerals (柒万), then 元.
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.\d+)?)\s*(万|千)?\s*元|([零〇一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾][零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬]*)元")
        .expect("money pattern")
});

/// Words that make a sum not a claim or an award: repaid, deducted.
static NOT_OWED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"已(?:经)?(?:偿还|归还|还款|还|支付|付|给付)[^，,]{0,6}$|(?:扣除|减去|抵扣)[^，,]{0,6}$",
    )
    .expect("not owed pattern")
});

/// Words after a sum that make it a base of calculation: 为基数, 作为计息基数, 为本金.
static BASE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:(?:作)?为(?:计算|计息)?(?:基数|本金)|的基数|、[^。；;]{0,24}?为(?:计算|计息)?基数)")
        .expect("base pattern")
});

/// Words before a sum that make it a base: 以本金50000元按年利率6%…, 分别以30000元、….
static BASE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"以(?:借款|欠款)?(?:本金)?(?:人民币)?$").expect("base before pattern")
});

/// True when `before` leaves open a bracket that breaks down or spells out a sum already stated:
/// （其中5万元…）, （分别以…）, （大写：壹万元整）.
fn breakdown(before: &str) -> bool {
    in_brackets(before)
        && before.rfind(['（', '(']).is_some_and(|i| {
            ["其中", "分别", "大写", "含"]
                .iter()
                .any(|w| before[i..].contains(w))
        })
}

/// A clause that makes a guarantor answer for the same debt, or dismisses the rest (连带偿还 by
/// two borrowers is the debt itself, and stays).
static SKIPPED_CLAUSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:连带|共同|补充)[^，,；;。]{0,4}?责任|保证责任|担保责任|优先受偿|驳回")
        .expect("skipped clause pattern")
});

/// The part of an item before a clause of [`SKIPPED_CLAUSE`] (from the comma before it).
fn owed_part(item: &str) -> &str {
    match SKIPPED_CLAUSE.find(item) {
        Some(m) => &item[..item[..m.start()].rfind(['，', ',']).unwrap_or(0)],
        None => item,
    }
}

/// Reads the sums and the rate of a claim or award passage.
fn amounts(passage: &str) -> Amounts {
    let owed: Vec<&str> = items(passage).into_iter().map(owed_part).collect();
    let sums: Vec<(Kind, f64, bool)> = owed.iter().flat_map(|item| item_sums(item)).collect();
    let total_of = |kind: Kind| {
        let outside: Vec<f64> = sums
            .iter()
            .filter(|s| s.0 == kind && !s.2)
            .map(|s| s.1)
            .collect();
        let chosen: Vec<f64> = if outside.is_empty() {
            sums.iter().filter(|s| s.0 == kind).map(|s| s.1).collect()
        } else {
            outside
        };
        (!chosen.is_empty()).then(|| round_fen(chosen.iter().sum()))
    };
    let principal_yuan = total_of(Kind::Principal);
    let interest_yuan = total_of(Kind::Interest);
    let total_yuan =
        total_of(Kind::Total).filter(|_| principal_yuan.is_none() && interest_yuan.is_none());
    Amounts {
        principal_yuan,
        interest_yuan,
        total_yuan,
        penalty_yuan: total_of(Kind::Penalty),
        rate: owed.iter().find_map(|item| rate::first(item)),
        source: passage.chars().take(300).collect(),
    }
}

fn round_fen(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The items of a passage, split at their numbers and at ；.
fn items(passage: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut last = 0;
    for m in ITEM_SPLIT.find_iter(passage) {
        // 13,900.00元: a decimal point, not an item's number.
        let decimal = m.as_str().ends_with('.')
            && passage[m.end()..].starts_with(|c: char| c.is_ascii_digit());
        if decimal || in_brackets(&passage[last..m.start()]) {
            continue;
        }
        out.push(&passage[last..m.start()]);
        last = m.end();
    }
    out.push(&passage[last..]);
    out.into_iter().filter(|i| !i.trim().is_empty()).collect()
}

/// Each sum of one item: its kind, yuan, and whether it stands in brackets.
fn item_sums(item: &str) -> Vec<(Kind, f64, bool)> {
    let mut out = Vec::new();
    let mut from = 0;
    for c in MONEY.captures_iter(item) {
        let m = c.get(0).expect("whole match");
        let before = &item[from..m.start()];
        from = m.end();
        if NOT_OWED.is_match(before)
            || BASE_AFTER.is_match(&item[m.end()..])
            || BASE_BEFORE.is_match(before)
            || breakdown(&item[..m.start()])
        {
            continue;
        }
        let Some(value) = money(&c) else { continue };
        let kind = kind_of(before).unwrap_or(Kind::Principal);
        if kind != Kind::Cost {
            out.push((kind, value, in_brackets(&item[..m.start()])));
        }
    }
    out
}

/// The kind the last kind word of `before` gives, if any; a bare 共计 or 合计 after a kind word
/// (借款共计…, 货款合计…) keeps that kind.
fn kind_of(before: &str) -> Option<Kind> {
    let words: Vec<regex::Captures<'_>> = KIND_WORD.captures_iter(before).collect();
    let last = words.last()?;
    if matches!(&last[0], "共计" | "合计" | "总计" | "计款") && words.len() > 1 {
        let earlier = word_kind(&words[words.len() - 2]);
        if earlier != Kind::Total {
            return Some(earlier);
        }
    }
    Some(word_kind(last))
}

fn word_kind(c: &regex::Captures<'_>) -> Kind {
    if c.get(1).is_some() {
        Kind::Interest
    } else if c.get(2).is_some() {
        Kind::Penalty
    } else if c.get(3).is_some() {
        Kind::Cost
    } else if c.get(4).is_some() {
        Kind::Principal
    } else {
        Kind::Total
    }
}

/// Yuan of a [`MONEY`] match.
fn money(c: &regex::Captures<'_>) -> Option<f64> {
    if let Some(d) = c.get(1) {
        let unit = c.get(2).map(|m| m.as_str());
        return crate::money::digits_yuan(d.as_str(), unit).filter(|v| *v > 0.0);
    }
    let n = super::punishment::count(c.get(3)?.as_str())?;
    Some(n as f64).filter(|v| *v > 0.0)
}

/// True when `before` leaves a bracket open.
fn in_brackets(before: &str) -> bool {
    let open = before.matches(['（', '(']).count();
    let close = before.matches(['）', ')']).count();
    open > close
}

#[cfg(test)]
mod tests;
