//! Outcomes of criminal judgments as data: who was sentenced to what, for which charge, and which
//! words of the judgment say so.
//!
//! A judgment names many sentences that are not its outcome: a defendant's earlier conviction
//! (曾因犯盗窃罪被判处有期徒刑六个月), the procuratorate's proposal (建议判处有期徒刑一年以下), and in an
//! appeal the first instance's decision (原审判决：被告人……判处……). Each sentence found is given its
//! [`Role`] from its own words, so that a deviation check compares like with like: the outcome of a
//! case is its own decision ([`Role::Judgment`]) and, where the text holds only the decision under
//! appeal, that one ([`Role::Original`]).
//!
//! A civil judgment's outcome is money, not a sentence: [`civil`] reads what was claimed and awarded.

pub mod civil;
pub mod deviation;
mod punishment;

pub(crate) use punishment::count;
pub use punishment::{
    Confiscation, Deprivation, Principal, Punishment, parse, states_a_range, term_text,
};

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// Whose decision a sentence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// This court's own decision (判决如下).
    Judgment,
    /// The decision under appeal or retrial, as the judgment quotes it (原审判决……).
    Original,
    /// A defendant's earlier conviction (前科), or an earlier sentence the judgment revokes.
    Prior,
    /// A proposal: the procuratorate's 量刑建议 or a defender's request.
    Recommended,
}

/// One sentence: a defendant, a charge (`None` for the sentence to be served after 数罪并罚,
/// 决定执行), the punishment, and the words that gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    /// Whose decision it is.
    pub role: Role,
    /// The defendant as the judgment names them, if it does.
    pub defendant: Option<String>,
    /// The charge (…罪), or `None` for the combined sentence.
    pub charge: Option<String>,
    /// What was imposed.
    #[serde(flatten)]
    pub punishment: Punishment,
    /// The sentence of the judgment text that says so (from the defendant's name to the clause's
    /// end), for a person to check.
    pub source: String,
}

impl std::fmt::Display for Sentence {
    /// `赵甲 盗窃罪 有期徒刑2年6个月，罚金人民币10000元`; the sentence to be served reads 决定执行.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(d) = &self.defendant {
            write!(f, "{d} ")?;
        }
        write!(
            f,
            "{} {}",
            self.charge.as_deref().unwrap_or("决定执行"),
            self.punishment
        )
    }
}

/// Where a sentence is pronounced: 判处…, 单处罚金…, …罪，处拘役… (处 without 判, as many
/// judgments write it), 决定执行…, 合并执行…, 免予刑事处罚. A `，处` opening no punishment
/// (，处理…, ，处于…) reads as none and is passed over.
static TRIGGER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"判处|单处|[，,]处|决定执行|合并执行|免[予于]刑事处罚").expect("trigger pattern")
});

/// Where a punishment clause ends: a full stop, a semicolon, the next charge or defendant.
static CLAUSE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[。；;]|判处|决定执行|合并执行|数罪并罚|予以并罚|[，、]犯|[，、]以|[，、]与|被告人|上诉人|宣判后|（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、")
        .expect("clause end pattern")
});

/// A defendant named before a sentence: 被告人张三, 原审被告人李某甲, 上诉人王某.
static DEFENDANT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:被告人|上诉人|被告单位|罪犯)(?:[（(][^）)]{0,8}[）)])?([^\s犯，,因曾的（()）系对在以、均已被有拘管死无免其及等人][\p{Han}*×＊Ｘ]{0,3}?)(?:[犯，,因曾的（(系于对在以、均已被有拘管死无免]|$)")
        .expect("defendant pattern")
});

/// A decision's opening words.
static DECISION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"判决如下|判决：|判决:|据此判决|依法判决|刑事判决[，,]|判决[，,]|认定被告人|以被告人",
    )
    .expect("decision pattern")
});

/// Every sentence the text pronounces or quotes, in order, each with its role.
pub fn sentences(text: &str) -> Vec<Sentence> {
    let appeal = is_appeal(text);
    let mut out = Vec::new();
    let mut previous_end = 0;
    for m in TRIGGER.find_iter(text) {
        if m.start() < previous_end {
            continue;
        }
        // A clause may open with the defendant's name (判处被告人张三有期徒刑…): that is no end.
        let end = m.end()
            + CLAUSE_END
                .find_iter(&text[m.end()..])
                .find(|e| e.start() > 0)
                .map_or(text.len() - m.end(), |e| e.start());
        let clause = &text[m.end()..end];
        let mut punishment = parse(if m.as_str().starts_with('免') {
            m.as_str()
        } else {
            clause
        });
        let local = &text[previous_end.max(sentence_start(text, m.start()))..m.start()];
        let scope = after_last_boundary(local);
        previous_end = end;
        if punishment.is_empty() {
            continue;
        }
        // A company's sentence (被告单位, 刑法第三十一条: a fine) is not a person's: left out, so
        // that it is never compared with or credited to one.
        if scope.contains("被告单位") || scope.contains("单位犯") {
            continue;
        }
        let Some(role) = role(text, m.start(), end, scope, appeal) else {
            continue;
        };
        if role != Role::Recommended {
            // A range outside a proposal is the statute's (依法应判处三年以下有期徒刑), not a sentence.
            if punishment.months.is_none() && punishment.range.is_some() {
                continue;
            }
            punishment.range = None;
        }
        let combined = m.as_str().ends_with("执行");
        out.push(Sentence {
            role,
            defendant: defendant(text, m.start(), clause),
            charge: if combined {
                None
            } else {
                charge(scope).or_else(|| charge(local)).or_else(|| {
                    (role == Role::Recommended)
                        .then(|| named_charge(&text[sentence_start(text, m.start())..m.start()]))
                        .flatten()
                })
            },
            punishment,
            source: text[source_start(text, m.start())..end].to_string(),
        });
    }
    out
}

/// The outcome of the case: its own decision, or where the text holds none, the decision under
/// appeal it quotes.
pub fn outcome(text: &str) -> Vec<Sentence> {
    let all = sentences(text);
    let own: Vec<Sentence> = all
        .iter()
        .filter(|s| s.role == Role::Judgment)
        .cloned()
        .collect();
    if !own.is_empty() {
        return own;
    }
    all.into_iter()
        .filter(|s| s.role == Role::Original)
        .collect()
}

/// A second-instance or retrial judgment: 刑终 / 刑再 in its number (刑一终字 before 2016: the
/// tribunal's number between), 二审 in its title, or appellants in its text.
fn is_appeal(text: &str) -> bool {
    static NUMBER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"刑[一二三四五六七八九十]?[终再监]").expect("appeal number"));
    let head: String = text.chars().take(200).collect();
    NUMBER.is_match(&head)
        || ["二审", "上诉人", "抗诉机关", "原公诉机关"]
            .iter()
            .any(|w| head.contains(w))
}

/// The byte where the sentence holding `at` begins (after the previous 。).
fn sentence_start(text: &str, at: usize) -> usize {
    text[..at].rfind('。').map_or(0, |i| i + '。'.len_utf8())
}

/// The words after the last ；or ： of `words`.
fn after_last_boundary(words: &str) -> &str {
    words
        .char_indices()
        .rfind(|&(_, c)| matches!(c, '；' | '：' | ':' | ';'))
        .map_or(words, |(i, c)| &words[i + c.len_utf8()..])
}

/// Where the words to show begin: the last clause boundary before the defendant or charge.
fn source_start(text: &str, at: usize) -> usize {
    let start = sentence_start(text, at);
    let cut = at - after_last_boundary(&text[start..at]).len();
    cut.max(text.floor_char_boundary(at.saturating_sub(150)))
}

/// The role of the sentence pronounced at `at..end`, or `None` when it is not a decision at all
/// (a first-instance text's reasoning that mentions a punishment). `scope` is the run of words
/// since the previous clause boundary or punishment: an earlier conviction says so there.
fn role(text: &str, at: usize, end: usize, scope: &str, appeal: bool) -> Option<Role> {
    let start = sentence_start(text, at);
    let sentence = &text[start..];
    let upto = &text[start..at];
    let whole = &sentence[..sentence.find('。').map_or(sentence.len(), |i| i)];
    // A proposal: 建议 or 请求 with no decision after it (本院认为，量刑建议适当，……判决如下：… is a
    // decision), or a sentence that ends as one (提出对其判处……的量刑建议).
    let last_of = |words: &[&str]| words.iter().filter_map(|w| upto.rfind(w)).max();
    let decided_after = |i: usize| DECISION.is_match(&upto[i..]);
    if last_of(&["建议", "请求"]).is_some_and(|i| !decided_after(i))
        || (whole.contains("量刑建议") && !DECISION.is_match(upto))
    {
        return Some(Role::Recommended);
    }
    if is_prior(scope, &text[at..end]) {
        return Some(Role::Prior);
    }
    // A party's argument quoting a punishment (辩护人提出……应判处……, 抗诉机关认为……) decides nothing.
    if last_of(&["提出", "抗诉", "辩称", "上诉称", "认为", "意见"])
        .is_some_and(|i| !decided_after(i))
    {
        return None;
    }
    let decision = DECISION.find_iter(&text[..at]).last().filter(|d| {
        let between = &text[d.end()..at];
        !["本院认为", "经审理", "查明", "宣判后", "辩护人", "指控"]
            .iter()
            .any(|w| between.contains(w))
    });
    // 原审被告人 names a defendant, 撤销原判 ends a decision: neither quotes one.
    let plain = upto.replace("原审被告人", "").replace("撤销原判", "");
    let quoted_original = ["原审", "一审", "原判"].iter().any(|w| plain.contains(w));
    if appeal {
        let own = decision.is_some_and(|d| {
            text.rfind("本院认为").is_some_and(|r| r < d.start()) && !quoted_original
        });
        return Some(if own { Role::Judgment } else { Role::Original });
    }
    decision.map(|_| Role::Judgment)
}

/// An earlier conviction: 曾因…被…判处, 于2009年…被…法院判处, a judgment cited as evidence, or an
/// earlier sentence revoked or merged (撤销……缓刑部分, 与原犯……判处……合并).
fn is_prior(scope: &str, clause: &str) -> bool {
    static PASSIVE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"被[^，。；犯]{0,30}$|被[^，。；]{0,12}法院[^，。；]{0,12}$")
            .expect("passive pattern")
    });
    let cues = [
        "曾因",
        "曾经因",
        "前科",
        "载明",
        "证实",
        "证明",
        "原犯",
        "刑满释放",
    ];
    PASSIVE.is_match(scope)
        || cues.iter().any(|c| scope.contains(c))
        || clause.contains("缓刑部分")
        || (scope.contains("另查明") && scope.contains("法院"))
        // 与前罪判处的……并罚 names the earlier sentence; the 决定执行 after it is this court's.
        || (scope.contains("前罪") && clause.starts_with("判处"))
}

/// The defendant: named after 判处 (判处被告人张三…), else the last one named before it.
fn defendant(text: &str, at: usize, clause: &str) -> Option<String> {
    let after = DEFENDANT
        .captures(clause)
        .filter(|c| c.get(0).is_some_and(|m| m.start() == 0));
    if let Some(c) = after {
        return Some(c[1].to_string());
    }
    let before = &text[text.floor_char_boundary(at.saturating_sub(3000))..at];
    DEFENDANT
        .captures_iter(before)
        .last()
        .map(|c| c[1].to_string())
        .filter(|name| !name.is_empty())
}

/// The charge of the words before a 判处: from the last 犯 that opens a name (or 以) to the last 罪.
fn charge(local: &str) -> Option<String> {
    // The last 犯 that opens a name: not 犯罪, not 初犯， or 累犯。, not the 犯 of 侵犯….
    let start = local
        .char_indices()
        .rfind(|&(i, c)| {
            c == '犯'
                && !local[..i].ends_with('侵')
                && local[i + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_some_and(|n| n != '罪' && ('\u{4E00}'..='\u{9FFF}').contains(&n))
        })
        .map(|(i, c)| i + c.len_utf8())
        .or_else(|| local.rfind('以').map(|i| i + '以'.len_utf8()))?;
    let rest = &local[start..];
    let end = rest.rfind('罪')? + '罪'.len_utf8();
    let name = rest[..end].trim_start_matches("被告人");
    let name = name.rsplit(['，', ',']).next().unwrap_or(name);
    let n = name.chars().count();
    ((2..=20).contains(&n) && !name.contains("判处")).then(|| name.to_string())
}

/// The last charge a sentence names before a proposal that names none (…的行为构成盗窃罪，建议判处…):
/// the run of words before its last 罪, back to 构成, 涉嫌, 以, 犯 or a punctuation mark.
fn named_charge(before: &str) -> Option<String> {
    let end = before.rfind('罪')?;
    let head = &before[..end];
    let mut start = end;
    for (i, c) in head.char_indices().rev() {
        let word = ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '、';
        if !word || matches!(c, '以' | '犯' | '为') {
            break;
        }
        start = i;
        if ["构成", "涉嫌", "认定"]
            .iter()
            .any(|w| head[..i].ends_with(w))
        {
            break;
        }
    }
    let name = &before[start..end + '罪'.len_utf8()];
    (3..=15)
        .contains(&name.chars().count())
        .then(|| name.to_string())
}

#[cfg(test)]
mod tests;
