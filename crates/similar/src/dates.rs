//! The date of a judgment (裁判日期) as its closing writes it, above the clerk's name:
//! 二〇一九年五月二十日 — always in Chinese numerals, while dates in the facts are mostly in digits
//! (2019年5月20日). A date is the closing's only where the closing stands: after the judges' names
//! (审判长, 审判员, 人民陪审员), before 书记员, or at the very end; a quoted judgment's date (于二〇一七年
//! 二月二十七日作出……判决) is not. A text cut before its closing has none.

use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;

/// A date in Chinese numerals: four digit characters for the year, then month and day as counted
/// (十二月, 二十一日).
static CHINESE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([〇○零Ｏ０0OoΟО一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,4})\s*日")
        .expect("date pattern")
});

/// The judgment's date: the last date of its closing, in Chinese numerals, that is a day of the
/// calendar.
pub fn judgment_date(text: &str) -> Option<NaiveDate> {
    CHINESE_DATE
        .captures_iter(text)
        .filter(|c| {
            let m = c.get(0).expect("whole match");
            in_closing(&text[..m.start()], &text[m.end()..])
        })
        .filter_map(|c| {
            let year: String = c[1].chars().map(digit).collect::<Option<_>>()?;
            let month = crate::outcome::count(&c[2])?;
            let day = crate::outcome::count(&c[3])?;
            NaiveDate::from_ymd_opt(
                year.parse().ok()?,
                u32::try_from(month).ok()?,
                u32::try_from(day).ok()?,
            )
        })
        .last()
}

/// True when the words around a date are a closing's: judges before it, the clerk after it, or
/// nothing after it.
/// Titles are often spaced (审　判　员, 书　记　员): spaces are not counted.
fn in_closing(before: &str, after: &str) -> bool {
    let after: String = after
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(24)
        .collect();
    if after.is_empty() || after.contains("书记员") {
        return true;
    }
    let tail: Vec<char> = before
        .chars()
        .rev()
        .filter(|c| !c.is_whitespace())
        .take(24)
        .collect();
    let tail: String = tail.into_iter().rev().collect();
    // 于二〇一九年十月八日公开开庭: a day of the proceedings, told in a sentence, is no closing.
    if tail.ends_with('于') {
        return false;
    }
    ["审判长", "审判员", "陪审员"]
        .iter()
        .any(|w| tail.contains(w))
}

fn digit(c: char) -> Option<char> {
    Some(match c {
        '〇' | '○' | '零' | 'Ｏ' | '０' | '0' | 'O' | 'o' | 'Ο' | 'О' => '0',
        '一' => '1',
        '二' => '2',
        '三' => '3',
        '四' => '4',
        '五' => '5',
        '六' => '6',
        '七' => '7',
        '八' => '8',
        '九' => '9',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closing_date_is_the_judgments() {
        let text = "被告人于2018年3月5日被抓获。……判决如下：被告人张三犯盗窃罪，判处有期徒刑一年。\
                    审判长　李四\n二〇一九年十二月二十一日\n书记员　王五";
        assert_eq!(judgment_date(text), NaiveDate::from_ymd_opt(2019, 12, 21));
        assert_eq!(
            judgment_date("二○二○年一月十日\n书记员 ……二〇二一年二月三日"),
            NaiveDate::from_ymd_opt(2021, 2, 3),
            "the last one, written with either zero"
        );
    }

    #[test]
    fn a_quoted_judgments_date_is_not_the_closing() {
        let text = "原审法院于二〇一七年二月二十七日作出（2016）闽0302刑初679号刑事判决。原审被告人不服，提出上诉。";
        assert_eq!(judgment_date(text), None);
        let closed = format!(
            "{text}……本判决为终审判决。审判长龚某审判员曾某二〇二〇年七月三十一日书记员陈某"
        );
        assert_eq!(judgment_date(&closed), NaiveDate::from_ymd_opt(2020, 7, 31));
    }

    #[test]
    fn spaced_titles_and_other_zeros_are_a_closing_too() {
        let text = "由审判员张三独任审判，于二〇一九年十月八日公开开庭。……审　判　员　李　四\n\
                    二Ο一九年十二月二十一日\n本件与原本核对无异\n书　记　员　赵　六";
        assert_eq!(judgment_date(text), NaiveDate::from_ymd_opt(2019, 12, 21));
        assert_eq!(
            judgment_date("由审判员张三独任审判，于二〇一九年十月八日公开开庭。"),
            None
        );
    }

    #[test]
    fn digits_and_impossible_days_are_not_a_closing() {
        assert_eq!(judgment_date("2019年5月20日，被告人……"), None);
        assert_eq!(judgment_date("二〇一九年二月三十日"), None);
        assert_eq!(judgment_date("二〇一九年十三月一日"), None);
    }
}
