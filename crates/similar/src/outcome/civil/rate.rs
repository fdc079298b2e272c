//! Interest rates as claims and awards write them: 月利率2%, 月息2分, 年利率6%, 日利率万分之五, 按中国人民银行
//! 同期同类贷款利率的四倍, 按全国银行间同业拆借中心公布的一年期贷款市场报价利率(LPR)的四倍.
//!
//! A rate is kept as written — per year, month or day, or a multiple of a reference rate — because a
//! reference rate's value depends on the date (the PBoC benchmark until 2019-08-20, LPR since, 最高人民
//! 法院关于审理民间借贷案件适用法律若干问题的规定 第二十五条 as amended in 2020). [`Rate::yearly_percent`]
//! puts a stated rate on one scale with the PBoC's convention (人民币利率管理规定 第二十一条: a year is 12
//! months or 360 days).

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The period a stated rate is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// 年利率, 年息.
    Year,
    /// 月利率, 月息.
    Month,
    /// 日利率, 日息.
    Day,
}

/// An interest rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rate {
    /// A stated rate: `percent` per `per`.
    Fixed {
        /// The period.
        per: Period,
        /// Percent per period (月息2分 is 2.0).
        percent: f64,
    },
    /// A multiple of the loan prime rate (一年期贷款市场报价利率, LPR).
    Lpr {
        /// The multiple (四倍 is 4.0).
        times: f64,
    },
    /// A multiple of the PBoC's benchmark rate for loans of the period (同期同类贷款基准利率).
    Benchmark {
        /// The multiple.
        times: f64,
    },
}

impl Rate {
    /// A stated rate as percent a year (a month ×12, a day ×360); `None` for a reference rate.
    pub fn yearly_percent(&self) -> Option<f64> {
        match *self {
            Rate::Fixed { per, percent } => Some(match per {
                Period::Year => percent,
                Period::Month => percent * 12.0,
                Period::Day => percent * 360.0,
            }),
            Rate::Lpr { .. } | Rate::Benchmark { .. } => None,
        }
    }
}

impl std::fmt::Display for Rate {
    /// `月利率2%`, `LPR的4倍`, `同期贷款基准利率的4倍`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let times = |t: f64| {
            if t == 1.0 {
                String::new()
            } else {
                format!("的{t}倍")
            }
        };
        match *self {
            Rate::Fixed { per, percent } => {
                let name = match per {
                    Period::Year => "年利率",
                    Period::Month => "月利率",
                    Period::Day => "日利率",
                };
                write!(f, "{name}{}%", round4(percent))
            }
            Rate::Lpr { times: t } => write!(f, "LPR{}", times(t)),
            Rate::Benchmark { times: t } => write!(f, "同期贷款基准利率{}", times(t)),
        }
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// A number in a rate: digits (1.5) or Chinese (二, 一点五).
const NUM: &str = r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十]+(?:点[零〇一二三四五六七八九]+)?)";

/// A stated rate: the period's word, then the number as percent, per mille, 万分之, or 分 and 厘.
static FIXED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(年化?|月|日|每月|每日|每年)(?:利率|利息|息|率|利)?(?:为|按|是|按照)?\s*(?:百分之{NUM}|千分之{NUM}|万分之{NUM}|{NUM}\s*(%|‰)|{NUM}\s*分(?:{NUM}\s*厘|([一二三四五六七八九]))?|{NUM}\s*厘)"
    ))
    .expect("fixed rate pattern")
});

/// `2%的月利率`, `年6%`: the number before the period's word.
static FIXED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+(?:\.\d+)?)\s*%\s*的?(年|月|日)(?:利率|息|利息)").expect("rate pattern")
});

/// A reference rate: LPR, or the PBoC benchmark (同期同类贷款利率, 基准利率).
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(贷款市场报价利率|LPR)|(同期同类[^。；，,]{0,10}?利率|同期[^。；，,]{0,10}?贷款[^。；，,]{0,6}?利率|基准利率)")
        .expect("reference rate pattern")
});

/// The multiple after a reference rate: 的四倍, 4倍.
static TIMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^[^。；，,]{{0,12}}?的?{NUM}倍")).expect("times pattern")
});

/// A rise over a reference rate: 上浮50% is 1.5 times it.
static RAISED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^。；，,]{0,6}?上浮\s*(\d+(?:\.\d+)?)\s*%").expect("raise pattern")
});

/// The first rate `passage` states, by position.
pub(crate) fn first(passage: &str) -> Option<Rate> {
    // A date's 日 or 月 (2019年1月1日按24%…) is no period: the period's word never follows a numeral.
    let fixed = FIXED.captures_iter(passage).find_map(|c| {
        let at = c.get(0)?.start();
        let after_numeral = passage[..at]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_ascii_digit() || "〇零一二三四五六七八九十".contains(p));
        if after_numeral && !c[1].starts_with('每') {
            return None;
        }
        Some((at, fixed(&c)?))
    });
    let after = FIXED_AFTER.captures(passage).and_then(|c| {
        let percent: f64 = c[1].parse().ok()?;
        Some((
            c.get(0)?.start(),
            Rate::Fixed {
                per: period(&c[2]),
                percent,
            },
        ))
    });
    let reference = REFERENCE.captures(passage).map(|c| {
        let m = c.get(0).expect("whole match");
        let after = &passage[m.end()..];
        let times = TIMES
            .captures(after)
            .and_then(|t| number(&t[1]))
            .or_else(|| {
                let raise: f64 = RAISED.captures(after)?[1].parse().ok()?;
                Some(1.0 + raise / 100.0)
            })
            .unwrap_or(1.0);
        // 同期贷款市场报价利率 is the LPR, though it reads like the benchmark's words.
        let rate = if c.get(1).is_some() || m.as_str().contains("市场报价") {
            Rate::Lpr { times }
        } else {
            Rate::Benchmark { times }
        };
        (m.start(), rate)
    });
    [fixed, after, reference]
        .into_iter()
        .flatten()
        .min_by_key(|(at, _)| *at)
        .map(|(_, r)| r)
}

fn period(word: &str) -> Period {
    if word.contains('年') {
        Period::Year
    } else if word.contains('日') {
        Period::Day
    } else {
        Period::Month
    }
}

/// The rate of a [`FIXED`] match: groups 2–4 百分之/千分之/万分之, 5–6 a number with % or ‰, 7–9 分
/// with its 厘 (一分五厘, or 一分五 without the word), 10 厘 alone. 分 is a tenth of the period's
/// customary unit: 年息1分 is 10 % a year, 月息2分 2 % a month, 日息1分 0.1 % a day; 厘 a tenth of
/// that.
fn fixed(c: &regex::Captures<'_>) -> Option<Rate> {
    let per = period(&c[1]);
    let get = |i: usize| c.get(i).and_then(|m| number(m.as_str()));
    let fen = match per {
        Period::Year => 10.0,
        Period::Month => 1.0,
        Period::Day => 0.1,
    };
    let percent = if let Some(v) = get(2) {
        v
    } else if let Some(v) = get(3) {
        v / 10.0
    } else if let Some(v) = get(4) {
        v / 100.0
    } else if let Some(v) = get(5) {
        if &c[6] == "‰" { v / 10.0 } else { v }
    } else if let Some(v) = get(7) {
        (v + get(8).or_else(|| get(9)).unwrap_or(0.0) / 10.0) * fen
    } else {
        get(10)? * fen / 10.0
    };
    (percent > 0.0 && percent < 1_000.0).then_some(Rate::Fixed { per, percent })
}

/// A number written in digits or Chinese (一点五 is 1.5).
fn number(text: &str) -> Option<f64> {
    if let Ok(v) = text.parse::<f64>() {
        return Some(v);
    }
    let (whole, fraction) = text.split_once('点').unwrap_or((text, ""));
    let mut v = super::super::punishment::count(whole)? as f64;
    let mut scale = 0.1;
    for ch in fraction.chars() {
        v += f64::from(digit(ch)?) * scale;
        scale /= 10.0;
    }
    Some(v)
}

fn digit(ch: char) -> Option<u8> {
    "零一二三四五六七八九"
        .chars()
        .position(|d| d == ch || (ch == '〇' && d == '零'))
        .map(|i| i as u8)
}
