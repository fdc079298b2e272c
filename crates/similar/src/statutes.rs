//! Statute references in Chinese judgments: `依照《中华人民共和国刑法》第二百六十四条、第五十二条第一款之规定`
//! becomes 刑法第264条, 刑法第52条第1款. Later articles without a law name belong to the last law named.
//! An article added between two others by an amendment (第一百三十三条之一, 危险驾驶罪, added by
//! 刑法修正案（八）after 第一百三十三条, 交通肇事罪) is a provision of its own: 刑法第133条之1.

use std::fmt;

/// One cited provision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Statute {
    /// The law, short form: `中华人民共和国` and brackets removed, e.g. `刑法`, `刑事诉讼法`.
    pub law: String,
    /// 条.
    pub article: u32,
    /// 之N of an article inserted by amendment (第133条之一 → 1), if it is one.
    pub inserted: Option<u32>,
    /// 款, if cited.
    pub paragraph: Option<u32>,
}

impl Statute {
    /// The article-level key used for matching (paragraphs are too fine to compare cases by).
    pub fn article_key(&self) -> String {
        match self.inserted {
            Some(n) => format!("{}第{}条之{n}", self.law, self.article),
            None => format!("{}第{}条", self.law, self.article),
        }
    }
}

impl fmt::Display for Statute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.article_key())?;
        if let Some(p) = self.paragraph {
            write!(f, "第{p}款")?;
        }
        Ok(())
    }
}

/// Parses a number written in Chinese numerals (二百六十四, 十一, 一百零五) or ASCII/full-width digits.
pub fn parse_number(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    if s.chars()
        .all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
    {
        let ascii: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    c
                } else {
                    char::from(b'0' + (c as u32 - '０' as u32) as u8)
                }
            })
            .collect();
        return ascii.parse().ok();
    }
    let (mut total, mut digit) = (0u32, None::<u32>);
    for c in s.chars() {
        let d = match c {
            '零' | '〇' => Some(0),
            '一' => Some(1),
            '二' | '两' => Some(2),
            '三' => Some(3),
            '四' => Some(4),
            '五' => Some(5),
            '六' => Some(6),
            '七' => Some(7),
            '八' => Some(8),
            '九' => Some(9),
            _ => None,
        };
        if let Some(d) = d {
            digit = Some(d);
            continue;
        }
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => return None,
        };
        total += digit.unwrap_or(1) * unit;
        digit = None;
    }
    Some(total + digit.unwrap_or(0))
}

fn is_numeral(c: char) -> bool {
    "零〇一二两三四五六七八九十百千".contains(c) || c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn short_law(name: &str) -> String {
    let name = name.trim();
    let name = name.strip_prefix("中华人民共和国").unwrap_or(name);
    // 《最高人民法院关于…的解释》 keeps its full name; ordinary laws are known by their short name.
    name.to_string()
}

/// The N of `之N` at `at` (之一, 之二, 之十), and where reading goes on; `(None, at)` when what
/// follows is not such a number (第十条之规定 is article 10 itself).
fn inserted_number(chars: &[char], at: usize) -> (Option<u32>, usize) {
    if chars.get(at) != Some(&'之') {
        return (None, at);
    }
    let mut end = at + 1;
    while end < chars.len() && is_numeral(chars[end]) {
        end += 1;
    }
    // 之一般规定 is "the general rule of", not article N之一: a word that goes on after the
    // numeral is no insertion number.
    // (之一定罪 is article N之一 all the same: only words that start with 一 are stopped.)
    if end == at + 2
        && chars[at + 1] == '一'
        && chars
            .get(end)
            .is_some_and(|c| "般些致样切旦并同共直".contains(*c))
    {
        return (None, at);
    }
    match parse_number(&chars[at + 1..end].iter().collect::<String>()) {
        Some(n) if n > 0 => (Some(n), end),
        _ => (None, at),
    }
}

/// Laws a judge or a query names without book-title marks (依照刑法第二百六十四条, 刑法第264条):
/// the codes a court cites most. Longer names first, so 刑事诉讼法 is not read as 诉讼法.
const BARE_LAWS: [&str; 10] = [
    "治安管理处罚法",
    "道路交通安全法",
    "劳动合同法",
    "刑事诉讼法",
    "民事诉讼法",
    "行政诉讼法",
    "刑法",
    "民法典",
    "公司法",
    "合同法",
];

/// The law named without 《》 right before a 第 (the text `before` it ends there), if any.
fn bare_law_before(before: &[char]) -> Option<String> {
    let tail: String = before[before.len().saturating_sub(8)..].iter().collect();
    BARE_LAWS
        .iter()
        .find(|law| tail.ends_with(*law))
        .map(ToString::to_string)
}

/// Finds every provision cited in `text`, in order, without duplicates.
pub fn extract(text: &str) -> Vec<Statute> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Statute> = Vec::new();
    let mut law: Option<String> = None;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '《' => {
                if let Some(end) = chars[i + 1..].iter().position(|&c| c == '》') {
                    let name: String = chars[i + 1..i + 1 + end].iter().collect();
                    law = Some(short_law(&name));
                    i += end + 2;
                    continue;
                }
            }
            // A sentence end forgets the law: a bare 第X条 later in another sentence is not a citation.
            '。' | '；' | '\n' => law = None,
            '第' => {
                if law.is_none() {
                    law = bare_law_before(&chars[..i]);
                }
                if let (Some(law_name), Some((article, after))) = (&law, numbered(&chars, i, '条'))
                {
                    let (inserted, at) = inserted_number(&chars, after);
                    let (paragraph, k) =
                        numbered(&chars, at, '款').map_or((None, at), |(n, end)| (Some(n), end));
                    let statute = Statute {
                        law: law_name.clone(),
                        article,
                        inserted,
                        paragraph,
                    };
                    if !out.contains(&statute) {
                        out.push(statute);
                    }
                    i = k;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The most articles a law has: 民法典 (the Civil Code) has 1,260, the most of any Chinese law.
const MAX_ARTICLE: u32 = 1260;

/// The article key (刑法第264条) of a statute a caller names (IndexCase's `statutes`): the key
/// itself, the citation as judgments write it (《中华人民共和国刑法》第二百六十四条第一款), or an
/// inserted article (刑法第一百三十三条之一 → 刑法第133条之1). `None` for anything else — a law
/// without an article, an article without a law, an article no law has, other words around it —
/// which as a label would never meet the keys read from judgments (docs/SIMILAR.md).
pub fn key_of(given: &str) -> Option<String> {
    let compact: String = given.chars().filter(|c| !c.is_whitespace()).collect();
    let (law, citation) = compact.split_once('第')?;
    let law = law
        .strip_prefix('《')
        .and_then(|l| l.strip_suffix('》'))
        .unwrap_or(law);
    if law.is_empty() || law.contains(['《', '》']) || law.chars().any(|c| c.is_ascii()) {
        return None;
    }
    let chars: Vec<char> = format!("第{citation}").chars().collect();
    let (article, at) = numbered(&chars, 0, '条')?;
    let (inserted, at) = inserted_number(&chars, at);
    let at = numbered(&chars, at, '款').map_or(at, |(_, end)| end);
    if at != chars.len() || !(1..=MAX_ARTICLE).contains(&article) {
        return None;
    }
    let statute = Statute {
        law: short_law(law),
        article,
        inserted,
        paragraph: None,
    };
    Some(statute.article_key())
}

/// The article keys of the statutes a caller names, in order, each once (刑法第264条 and
/// 刑法第二百六十四条 are one); `Err` holds the first that names no article ([`key_of`]).
pub fn keys_of(given: &[String]) -> Result<Vec<String>, String> {
    let mut keys: Vec<String> = Vec::with_capacity(given.len());
    for statute in given {
        let key = key_of(statute).ok_or_else(|| statute.clone())?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// `第N<unit>` at `at` (第二百六十四条, 第1款): N, and where reading goes on.
fn numbered(chars: &[char], at: usize, unit: char) -> Option<(u32, usize)> {
    if chars.get(at) != Some(&'第') {
        return None;
    }
    let mut end = at + 1;
    while end < chars.len() && is_numeral(chars[end]) {
        end += 1;
    }
    if chars.get(end) != Some(&unit) {
        return None;
    }
    let n = parse_number(&chars[at + 1..end].iter().collect::<String>())?;
    Some((n, end + 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_code_named_without_book_title_marks_is_cited_all_the_same() {
        let keys = |t: &str| {
            extract(t)
                .iter()
                .map(Statute::article_key)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys("依照刑法第二百六十四条、第五十二条之规定"),
            ["刑法第264条", "刑法第52条"]
        );
        assert_eq!(keys("刑法第264条"), ["刑法第264条"]);
        assert_eq!(keys("根据刑事诉讼法第十五条"), ["刑事诉讼法第15条"]);
        // A bare 第X条 with no law before it is still no citation.
        assert!(keys("合同第五条约定").is_empty());
        assert!(keys("本院认为。第三条").is_empty());
    }

    #[test]
    fn a_statute_as_a_caller_names_it_becomes_its_article_key() {
        for (given, key) in [
            ("刑法第264条", "刑法第264条"),
            ("刑法第二百六十四条", "刑法第264条"),
            ("《中华人民共和国刑法》第二百六十四条第一款", "刑法第264条"),
            (" 刑法 第 264 条 ", "刑法第264条"),
            ("刑法第一百三十三条之一", "刑法第133条之1"),
            ("刑法第133条之1第2款", "刑法第133条之1"),
            ("民法典第1260条", "民法典第1260条"),
        ] {
            assert_eq!(key_of(given).as_deref(), Some(key), "{given}");
        }
        for bad in [
            "",
            "foo",
            "刑法",
            "第264条",
            "foo第1条",
            "刑法第999999条",
            "刑法第0条",
            "刑法第264条规定",
            "刑法第264款",
            "《刑法》》第1条",
        ] {
            assert_eq!(key_of(bad), None, "{bad}");
        }
        let given = ["刑法第264条", "刑法第二百六十四条", "刑法第67条第3款"].map(String::from);
        assert_eq!(keys_of(&given).unwrap(), ["刑法第264条", "刑法第67条"]);
        let odd = ["刑法第264条", "foo"].map(String::from);
        assert_eq!(keys_of(&odd), Err("foo".to_string()));
    }

    use super::*;

    #[test]
    fn chinese_numerals_parse() {
        for (s, n) in [
            ("一", 1),
            ("十", 10),
            ("十一", 11),
            ("二十", 20),
            ("六十七", 67),
            ("一百零五", 105),
            ("二百六十四", 264),
            ("一千零一", 1001),
            ("133", 133),
            ("１３３", 133),
            ("两百", 200),
        ] {
            assert_eq!(parse_number(s), Some(n), "{s}");
        }
        assert_eq!(parse_number("条"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn statutes_are_extracted_with_their_law_and_paragraphs() {
        let text = "本院认为……依照《中华人民共和国刑法》第二百六十四条、第六十七条第三款、第五十二条之规定，判决如下。\
                    另据《最高人民法院关于审理盗窃刑事案件适用法律若干问题的解释》第一条。又查明第九条所述情节。";
        let found: Vec<String> = extract(text).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            vec![
                "刑法第264条",
                "刑法第67条第3款",
                "刑法第52条",
                "最高人民法院关于审理盗窃刑事案件适用法律若干问题的解释第1条"
            ]
        );
    }

    #[test]
    fn ascii_digits_and_repeated_citations() {
        let s =
            extract("根据《刑法》第133条之一、《刑法》第133条和《中华人民共和国刑事诉讼法》第15条");
        assert_eq!(
            s.iter().map(Statute::article_key).collect::<Vec<_>>(),
            vec!["刑法第133条之1", "刑法第133条", "刑事诉讼法第15条"]
        );
    }

    #[test]
    fn articles_inserted_by_amendment_stay_distinct() {
        let s = extract(
            "依照《中华人民共和国刑法》第一百三十三条之一第一款第（二）项、第二百八十七条之二、\
             第一百三十三条之规定",
        );
        let found: Vec<String> = s.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            vec!["刑法第133条之1第1款", "刑法第287条之2", "刑法第133条"]
        );
        assert_ne!(s[0].article_key(), s[2].article_key());
        let general = extract("依照《中华人民共和国民法典》第五百七十七条之一般规定");
        assert_eq!(general[0].to_string(), "民法典第577条");
        let charged = extract("依照《刑法》第一百三十三条之一定罪处罚，第二百八十七条之二定罪");
        let keys: Vec<String> = charged.iter().map(Statute::article_key).collect();
        assert_eq!(keys, vec!["刑法第133条之1", "刑法第287条之2"]);
    }
}
