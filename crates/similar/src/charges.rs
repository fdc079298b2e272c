//! Charges (罪名) named in a judgment: `被告人张三犯盗窃罪，判处……`. Known charge names (learned from the
//! indexed cases, never from a copied list) are matched longest-first after each 犯; otherwise a
//! filtered pattern accepts a short name ending in 罪, refusing phrases that merely end in 罪
//! (应当判处有期徒刑以上刑罚之罪, 数罪, 新罪 ...) and the word 犯罪 itself.

use std::collections::HashSet;

/// Words ending in 罪 that are not charges (nor is a phrase ending in one: 交代余罪, 多项罪).
const NOT_CHARGES: [&str; 14] = [
    "数罪",
    "新罪",
    "余罪",
    "全部罪",
    "此罪",
    "该罪",
    "本罪",
    "重罪",
    "轻罪",
    "一罪",
    "两罪",
    "前罪",
    "项罪",
    "的罪",
];

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// Whether a name found by the pattern reads as a charge. 犯 inside one stands only in 侵犯 or 犯罪
/// (侵犯著作权罪, 掩饰、隐瞒犯罪所得、犯罪所得收益罪, 帮助犯罪分子逃避处罚罪).
fn plausible(name: &str) -> bool {
    let n = name.chars().count();
    (3..=20).contains(&n)
        && name.ends_with('罪')
        && !name.ends_with("之罪")
        && !name.replace("侵犯", "").replace("犯罪", "").contains('犯')
        && !NOT_CHARGES.iter().any(|w| name.ends_with(w))
        && !["应当", "判处", "刑罚", "事实", "的"]
            .iter()
            .any(|w| name.contains(w))
        && name.chars().all(|c| is_cjk(c) || c == '、')
}

/// Whether a label may be learned as a name to find in other texts: a charge (…罪) or a cause of
/// action (…纠纷, 劳动争议), of CJK characters. Anything else a caller sent (`有期徒刑`,
/// `foo`) stays the case's own label but is never looked for in queries, where it would count as a
/// charge every text names.
pub fn learnable(name: &str) -> bool {
    let n = name.chars().count();
    (3..=20).contains(&n)
        && (name.ends_with('罪') || name.ends_with("纠纷") || name.ends_with("争议"))
        && !NOT_CHARGES.iter().any(|w| name.ends_with(w))
        // 有盗窃罪 (from 犯有盗窃罪, as an earlier build read it) is no name to look for.
        && (!name.starts_with(VERB_TAIL) || name.starts_with("有价证券"))
        && !["判处", "刑罚", "徒刑", "拘役"]
            .iter()
            .any(|w| name.contains(w))
        && name.chars().all(|c| is_cjk(c) || c == '、')
}

/// Characters before 犯 that make it no verb naming a charge: a noun (罪犯, 主犯, 同案犯 …: an
/// offender), or part of 侵犯 (侵犯著作权罪 is one name). Not 嫌: 涉嫌犯诈骗罪 is the verb.
const OFFENDER: &str = "罪案主从疑惯逃要首共正偶初累侵";

/// Characters after 犯 that belong to the verb, not to the charge: 犯有盗窃罪, 犯了, 犯下了, 犯下的
/// — save in 犯有价证券诈骗罪 (刑法第一百九十七条), the one charge that starts with one of them.
const VERB_TAIL: [char; 4] = ['有', '了', '下', '的'];

/// Where the name after the 犯 at `chars[i]` starts, or `None` when this 犯 names no charge:
/// 犯罪 (the word), 罪犯 and its kin (a noun), 侵犯.
fn charge_start(chars: &[char], i: usize) -> Option<usize> {
    let next = chars.get(i + 1)?;
    if *next == '罪'
        || i.checked_sub(1)
            .is_some_and(|p| OFFENDER.contains(chars[p]))
    {
        return None;
    }
    if chars[i + 1..].starts_with(&['有', '价', '证', '券']) {
        return Some(i + 1);
    }
    let tail = chars[i + 1..]
        .iter()
        .take_while(|c| VERB_TAIL.contains(c))
        .count();
    Some(i + 1 + tail)
}

/// Characters that join charges named after one 犯 (犯贪污罪、受贿罪; 犯盗窃罪和诈骗罪).
const JOINED: [char; 3] = ['、', '和', '及'];

/// The charges named at `start` and where they end: the longest known name there (掩饰、隐瞒犯罪所得罪
/// contains 犯罪: only a dictionary knows), else a plausible name up to the first 罪 that is not the
/// 罪 of 犯罪, within 20 characters of the clause — or the names it shortens, when each is known and
/// it is not (犯诈骗、挪用资金罪: 诈骗罪 and 挪用资金罪, one 罪 for both).
fn name_at(chars: &[char], start: usize, known: &HashSet<String>) -> Option<(Vec<String>, usize)> {
    let longest_known = known.iter().map(|k| k.chars().count()).max().unwrap_or(0);
    for len in (2..=longest_known.min(chars.len().saturating_sub(start))).rev() {
        let candidate: String = chars[start..start + len].iter().collect();
        if known.contains(&candidate) {
            return Some((vec![candidate], start + len));
        }
    }
    let end = (start..chars.len().min(start + 20))
        .take_while(|&p| !"，。；：,;:".contains(chars[p]))
        .find(|&p| chars[p] == '罪' && (p == start || chars[p - 1] != '犯'))?
        + 1;
    let candidate: String = chars[start..end].iter().collect();
    if !plausible(&candidate) {
        return None;
    }
    let shortened: Vec<String> = candidate
        .trim_end_matches('罪')
        .split('、')
        .map(|part| format!("{part}罪"))
        .collect();
    if shortened.len() > 1 && shortened.iter().all(|n| known.contains(n)) {
        return Some((shortened, end));
    }
    Some((vec![candidate], end))
}

/// Where a clause ends: a mention's context is its clause (a sentence or a part after ；).
const CLAUSE_END: [char; 6] = ['。', '；', ';', '！', '？', '\n'];

/// Words that make a mention the prosecution's accusation, which an acquittal or a lesser
/// conviction does not bear out (公诉机关指控被告人犯故意杀人罪 … 判决如下：被告人犯故意伤害罪).
const ACCUSED: [&str; 5] = ["指控", "起诉", "控告", "诉称", "公诉机关"];

/// Words that make a mention an earlier conviction the facts recount (曾因犯抢劫罪被判处…).
const EARLIER: [&str; 5] = ["曾因", "曾犯", "前科", "刑满释放", "释放后"];

/// What a mention of a charge says about the case it is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mention {
    /// The court's finding or the case's own charge (犯盗窃罪，判处…; 构成盗窃罪).
    Live,
    /// The prosecution's accusation: a judgment may acquit of it or convict of another.
    Accused,
    /// An earlier conviction of the defendant (曾因犯抢劫罪被判处…, 前科, 刑满释放).
    Earlier,
    /// Denied (不构成抢劫罪, 罪名不成立).
    Negated,
}

/// What the mention of a charge whose first character is at `chars[at]` (its 犯, or the name
/// itself) says, from its clause (a sentence, or a part after ；). A defendant's record and a
/// charge the court rejected must not label a case or pick the sentences a proposal is
/// compared with.
pub fn mention(chars: &[char], at: usize) -> Mention {
    let start = chars[..at]
        .iter()
        .rposition(|c| CLAUSE_END.contains(c))
        .map_or(0, |p| p + 1);
    let end = chars[at..]
        .iter()
        .position(|c| CLAUSE_END.contains(c))
        .map_or(chars.len(), |p| at + p);
    let before: String = chars[start..at].iter().collect();
    let after: String = chars[at..end].iter().collect();
    let clause = format!("{before}{after}");
    if ["不构成", "不成立", "不能认定"]
        .iter()
        .any(|w| before.ends_with(w))
    {
        Mention::Negated
    } else if before.ends_with('又') || before.ends_with('再') {
        // 刑满释放后又犯盗窃罪: the new crime of a recidivist, whatever the clause recounts.
        Mention::Live
    } else if EARLIER.iter().any(|w| clause.contains(w))
        || (before.contains('因') && judged_after(&after) && !under_appeal(&clause))
    {
        Mention::Earlier
    } else if ACCUSED.iter().any(|w| before.contains(w)) {
        Mention::Accused
    } else {
        Mention::Live
    }
}

/// Whether what follows a charge says it was judged already: 被判处, 被本院判处, 被某县人民法院
/// 判决 — a 被 and, after it, 判 (因犯抢劫罪被本院判处…: an earlier sentence, whoever gave it).
fn judged_after(after: &str) -> bool {
    after.find('被').is_some_and(|p| after[p..].contains('判'))
}

/// Whether a clause recounts the judgment appealed or protested in this case (上诉人甲因犯盗窃罪被
/// …法院判处有期徒刑一年，不服，提出上诉): its charge is the case's, not a record.
fn under_appeal(clause: &str) -> bool {
    ["不服", "上诉", "抗诉", "原审"]
        .iter()
        .any(|w| clause.contains(w))
}

/// Whether a judgment acquits: a clause that declares a defendant 无罪 (判决如下：被告人丙无罪,
/// 宣告被告人丙无罪, 改判…无罪).
pub fn acquits(text: &str) -> bool {
    text.split(CLAUSE_END).any(|clause| {
        clause.contains("无罪")
            && ["判决如下", "宣告", "改判"]
                .iter()
                .any(|w| clause.contains(w))
    })
}

/// The charges a judgment is about: those it convicts of; for a judgment cut before its verdict
/// (as public sets hold them), those it was accused of — unless it acquits.
pub fn of_judgment(text: &str, known: &HashSet<String>) -> Vec<String> {
    let convicted = extract(text, known);
    if convicted.is_empty() && !acquits(text) {
        return extract_where(text, known, |m| m == Mention::Accused);
    }
    convicted
}

/// Finds the charges a judgment convicts of, in order of first mention, without duplicates:
/// only [`Mention::Live`] mentions, so neither an accusation nor a defendant's record labels a
/// case.
pub fn extract(text: &str, known: &HashSet<String>) -> Vec<String> {
    extract_where(text, known, |m| m == Mention::Live)
}

/// The charges a text names after 犯 in mentions `counts` accepts, in order of first mention.
pub fn extract_where(
    text: &str,
    known: &HashSet<String>,
    counts: impl Fn(Mention) -> bool,
) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if c != '犯' {
            continue;
        }
        let Some(mut start) = charge_start(&chars, i) else {
            continue;
        };
        if !counts(mention(&chars, i)) {
            continue;
        }
        // 犯贪污罪、受贿罪: each name of the list.
        while let Some((names, end)) = name_at(&chars, start, known) {
            for name in names {
                if !out.contains(&name) {
                    out.push(name);
                }
            }
            match chars.get(end) {
                Some(j) if JOINED.contains(j) => start = end + 1,
                _ => break,
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(names: &[&str]) -> HashSet<String> {
        names.iter().map(std::string::ToString::to_string).collect()
    }

    #[test]
    fn finds_convictions_and_skips_words_that_merely_end_in_zui() {
        let text = "被告人张某犯盗窃罪，判处有期徒刑一年；犯诈骗罪，判处有期徒刑六个月，决定执行有期徒刑一年三个月。\
                    被告人在缓刑考验期限内犯新罪，且系累犯，再犯应当判处有期徒刑以上刑罚之罪，犯罪事实清楚。";
        assert_eq!(extract(text, &HashSet::new()), vec!["盗窃罪", "诈骗罪"]);
    }

    /// Outsider, session 46: an acquittal was labelled with the accused charge, a lesser
    /// conviction with both, a drunk-driving case with the defendant's earlier robbery.
    #[test]
    fn accusations_records_and_negations_are_no_charges_of_the_case() {
        let none = HashSet::new();
        let changed = "公诉机关指控被告人甲犯故意杀人罪。本院认为，被告人甲的行为构成故意伤害罪。\
                       判决如下：被告人甲犯故意伤害罪，判处有期徒刑十年。";
        assert_eq!(of_judgment(changed, &none), vec!["故意伤害罪"]);
        let acquitted = "公诉机关指控被告人丙犯受贿罪。本院认为，指控的受贿罪不能成立。判决如下：被告人丙无罪。";
        assert!(of_judgment(acquitted, &none).is_empty());
        let record = "被告人乙曾因犯抢劫罪于2015年被判处有期徒刑五年。被告人乙因犯盗窃罪被判处拘役三个月，\
                      2020年刑满释放。判决如下：被告人乙犯危险驾驶罪，判处拘役三个月。";
        assert_eq!(of_judgment(record, &none), vec!["危险驾驶罪"]);
        // A recidivist's new crime is the case's, in the clause that recounts the old one.
        let again = "被告人己曾因犯盗窃罪被判处有期徒刑一年，2021年刑满释放后又犯诈骗罪。";
        assert_eq!(of_judgment(again, &none), vec!["诈骗罪"]);
        // Cut before its verdict, a judgment is about what it was accused of.
        let cut = "公诉机关指控被告人戊犯诈骗罪，于2024年5月向本院提起公诉。经审理查明……";
        assert_eq!(of_judgment(cut, &none), vec!["诈骗罪"]);
        let text: Vec<char> = "被告人的行为不构成抢劫罪，构成盗窃罪。".chars().collect();
        let at = |name: &str| {
            let s: String = text.iter().collect();
            s[..s.find(name).unwrap()].chars().count()
        };
        assert_eq!(mention(&text, at("抢劫罪")), Mention::Negated);
        assert_eq!(mention(&text, at("盗窃罪")), Mention::Live);
        // An indictment's words are the charge of a case not yet judged: a query may fall back on them.
        let indicted = "公诉机关指控被告人丁犯盗窃罪，建议判处有期徒刑一年。";
        assert!(extract(indicted, &none).is_empty());
        assert_eq!(
            extract_where(indicted, &none, |m| m == Mention::Accused),
            vec!["盗窃罪"]
        );
    }

    /// Outsider, round 18: 犯有盗窃罪 was learned as 有盗窃罪, 罪犯田林交代余罪 as a charge, and an
    /// earlier sentence 因犯…被本院判处 labelled the case.
    #[test]
    fn the_verb_fan_is_told_from_the_noun_and_from_a_record() {
        let none = HashSet::new();
        for (text, want) in [
            ("辩护人对被告人犯有盗窃罪没有异议。", vec!["盗窃罪"]),
            ("被告人犯了诈骗罪。", vec!["诈骗罪"]),
            (
                "被告人犯有价证券诈骗罪，判处有期徒刑五年。",
                vec!["有价证券诈骗罪"],
            ),
            ("《关于罪犯田林交代余罪的情况说明》。", vec![]),
            ("同案犯刘某某已另案处理；主犯张某犯抢劫罪。", vec!["抢劫罪"]),
            ("被告人又犯新罪。", vec![]),
            (
                "被告人因涉嫌犯诈骗罪被逮捕。判决如下：被告人犯诈骗罪。",
                vec!["诈骗罪"],
            ),
        ] {
            assert_eq!(extract(text, &none), want, "{text}");
        }
        let record = "2015年9月29日，被告人陈某某因犯容留他人吸毒罪被本院判处有期徒刑十个月。\
                      判决如下：被告人陈某某犯掩饰、隐瞒犯罪所得罪，判处有期徒刑一年。";
        let known = known(&["掩饰、隐瞒犯罪所得罪"]);
        assert_eq!(of_judgment(record, &known), vec!["掩饰、隐瞒犯罪所得罪"]);
        let elsewhere = "被告人因犯盗窃罪被某县人民法院判决有期徒刑一年。被告人犯诈骗罪。";
        assert_eq!(extract(elsewhere, &none), vec!["诈骗罪"]);
    }

    /// Outsider, round 18b: names holding 犯 (侵犯…, …犯罪…) were cut or lost, a list after one 犯
    /// gave its first name only, 犯下的/犯有严重的罪 gave junk, and the judgment under appeal was
    /// taken for a record.
    #[test]
    fn whole_names_every_name_of_a_list_and_the_judgment_appealed() {
        let none = HashSet::new();
        for (text, want) in [
            (
                "被告人甲犯侵犯著作权罪，判处有期徒刑一年。",
                vec!["侵犯著作权罪"],
            ),
            ("被告人犯侵犯公民个人信息罪。", vec!["侵犯公民个人信息罪"]),
            (
                "被告人犯掩饰、隐瞒犯罪所得、犯罪所得收益罪，判处拘役六个月。",
                vec!["掩饰、隐瞒犯罪所得、犯罪所得收益罪"],
            ),
            ("被告人犯包庇毒品犯罪分子罪。", vec!["包庇毒品犯罪分子罪"]),
            (
                "被告人犯贪污罪、受贿罪，数罪并罚。",
                vec!["贪污罪", "受贿罪"],
            ),
            ("被告人犯盗窃罪和诈骗罪。", vec!["盗窃罪", "诈骗罪"]),
            ("被告人犯下的故意伤害罪，后果严重。", vec!["故意伤害罪"]),
            ("被告人犯下了抢劫罪。", vec!["抢劫罪"]),
            ("被告人犯有严重的罪行。", vec![]),
            ("被告人犯有多项罪行。", vec![]),
            (
                "上诉人（原审被告人）甲因犯盗窃罪被襄阳市樊城区人民法院判处有期徒刑一年，不服，提出上诉。",
                vec!["盗窃罪"],
            ),
        ] {
            assert_eq!(extract(text, &none), want, "{text}");
        }
    }

    #[test]
    fn only_charges_and_causes_are_learned_as_names() {
        for good in [
            "盗窃罪",
            "掩饰、隐瞒犯罪所得罪",
            "有价证券诈骗罪",
            "买卖合同纠纷",
            "劳动争议",
        ] {
            assert!(learnable(good), "{good}");
        }
        for bad in [
            "有期徒刑",
            "有盗窃罪",
            "田林交代余罪",
            "自首",
            "累犯",
            "foo",
            "数罪",
            "罪",
            "判处有期徒刑之罪",
        ] {
            assert!(!learnable(bad), "{bad}");
        }
    }

    #[test]
    fn the_dictionary_wins_for_names_that_contain_fanzui() {
        let text = "被告人李某犯掩饰、隐瞒犯罪所得罪，判处有期徒刑一年。";
        assert_eq!(
            extract(text, &known(&["掩饰、隐瞒犯罪所得罪"])),
            vec!["掩饰、隐瞒犯罪所得罪"]
        );
        // Without it, the pattern reads past the 罪 of 犯罪 to the name's own (round 18b).
        assert_eq!(extract(text, &HashSet::new()), vec!["掩饰、隐瞒犯罪所得罪"]);
        // One 罪 for two known charges (LeCaRDv2 95: 犯诈骗、挪用资金罪, round 18b); a name whose 、
        // joins its own verbs stays whole.
        let two = known(&["诈骗罪", "挪用资金罪"]);
        assert_eq!(
            extract("被告人犯诈骗、挪用资金罪，判处有期徒刑五年。", &two),
            vec!["诈骗罪", "挪用资金罪"]
        );
        assert_eq!(
            extract("被告人犯非法制造、买卖枪支罪。", &known(&["买卖枪支罪"])),
            vec!["非法制造、买卖枪支罪"]
        );
        // A fragment ending in 犯罪 is no name.
        assert!(extract("被告人犯掩饰、隐瞒犯罪。", &HashSet::new()).is_empty());
    }

    /// On 160 real judgments (LeCaRDv2 test queries, read from ../shared/data), almost every one yields
    /// a charge, and none of the known false friends comes out.
    #[test]
    fn real_judgments_yield_charges_without_false_friends() {
        let path = crate::shared_data().join("lecardv2/judgments.jsonl");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (../shared/data beside the project, or set ECENTER_SHARED_DATA)",
                path.display()
            )
        });
        let mut with_charge = 0;
        let mut total = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let found = of_judgment(v["query"].as_str().unwrap(), &HashSet::new());
            total += 1;
            with_charge += usize::from(!found.is_empty());
            for name in &found {
                assert!(plausible(name) && learnable(name), "{name}");
            }
        }
        assert_eq!(total, 160);
        assert!(
            with_charge >= 150,
            "only {with_charge} of {total} judgments yielded a charge"
        );
    }
}
