//! Case numbers from before 2016, when the SPC's 《关于人民法院案件案号的若干规定》 took effect:
//! `（2014）沂南刑初字第348号`, `（2013）唐刑终字第168号`, `（2015）烟刑一终字第111号`. The court was
//! named by a short form of its name (沂南, 唐, 珠香法), not by a province abbreviation and a code;
//! the type could carry the tribunal's number (刑一终: the first criminal tribunal, second
//! instance); 字第 stood before the number. Judgments of those years are still cited and indexed for
//! similar cases, so they are read here — and only there: a new filing gets a number of today's
//! form ([`CaseNumber::parse`]).

use super::{CaseNumber, ascii_digit, case_type_category, closing, is_cjk, parse_year, simplified};

/// A case number of the pre-2016 form, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Before2016 {
    /// The parts, for what they imply: `court_code` is the court's short name (沂南), `case_type`
    /// the type without the tribunal's number (刑终 for 刑一终), for the procedure and category.
    pub parts: CaseNumber,
    /// The type as the number writes it (刑一终).
    pub written_type: String,
}

impl Before2016 {
    /// Reads `input` as a pre-2016 number: brackets and a year before 2016, the court's short name
    /// and a type the SPC's table knows (with or without a tribunal's number), 字第, the number
    /// (leading zeros dropped) and 号. Spaces are ignored, full-width digits and traditional
    /// characters read as [`CaseNumber::parse`] reads them. `None` for anything else.
    ///
    /// ```
    /// use ecenter_domain::case_number::Before2016;
    /// let old = Before2016::parse("(2015)烟刑一终字第00111号").unwrap();
    /// assert_eq!(old.normalized(), "（2015）烟刑一终字第111号");
    /// assert_eq!(old.parts.court_code, "烟");
    /// assert_eq!(old.parts.case_type, "刑终");
    /// assert!(Before2016::parse("（2016）鄂06刑初字第1号").is_none());
    /// ```
    pub fn parse(input: &str) -> Option<Before2016> {
        let text: Vec<char> = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(simplified)
            .collect();
        closing(*text.first()?)?;
        let (year, i) = parse_year(&text, 1).ok()?;
        if year >= 2016 {
            return None;
        }
        let rest: String = text[i..].iter().collect();
        let (named, number) = rest.split_once("字第")?;
        let digits = number.strip_suffix('号')?;
        if digits.is_empty() || digits.chars().count() > 9 {
            return None;
        }
        let sequence = digits
            .chars()
            .try_fold(0u32, |n, c| Some(n * 10 + ascii_digit(c)?))
            .filter(|&n| n > 0)?;
        let (court, written_type) = split_court_and_type(named)?;
        Some(Before2016 {
            parts: CaseNumber {
                year: year as u16,
                court_code: court.to_string(),
                case_type: without_tribunal(written_type),
                sequence,
            },
            written_type: written_type.to_string(),
        })
    }

    /// The number as the hub keeps it: full-width brackets, ASCII digits, 字第 kept.
    pub fn normalized(&self) -> String {
        format!(
            "（{}）{}{}字第{}号",
            self.parts.year, self.parts.court_code, self.written_type, self.parts.sequence
        )
    }
}

/// Where the court's short name ends and the type begins: the first place after at least one
/// character from which the rest is a type the table knows, once a tribunal's number is taken out
/// (民勤民初: 民勤 and 民初, not the empty court and 勤民初). At most ten characters of name.
fn split_court_and_type(named: &str) -> Option<(&str, &str)> {
    if !named.chars().all(is_cjk) {
        return None;
    }
    named
        .char_indices()
        .skip(1)
        .take(10)
        .map(|(at, _)| named.split_at(at))
        .find(|(_, kind)| case_type_category(&without_tribunal(kind)).is_some())
}

/// A type without the tribunal's number (刑一终 → 刑终, 民四初 → 民初).
fn without_tribunal(kind: &str) -> String {
    kind.chars()
        .filter(|c| !"一二三四五六七八九十".contains(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case_number::{CaseCategory, Procedure};

    /// Outsider, round 18: a third of 160 real judgments could not be indexed by their numbers.
    #[test]
    fn numbers_of_real_judgments_before_2016_are_read() {
        for (typed, court, kind, procedure) in [
            (
                "（2014）沂南刑初字第348号",
                "沂南",
                "刑初",
                Procedure::FirstInstance,
            ),
            (
                "（2013）唐刑终字第168号",
                "唐",
                "刑终",
                Procedure::SecondInstance,
            ),
            (
                "（2014）珠香法刑初字第2800号",
                "珠香法",
                "刑初",
                Procedure::FirstInstance,
            ),
            (
                "（2015）烟刑一终字第111号",
                "烟",
                "刑终",
                Procedure::SecondInstance,
            ),
            (
                "（2012）民勤民初字第12号",
                "民勤",
                "民初",
                Procedure::FirstInstance,
            ),
            (
                "(2010) 莱州 刑初 字第 071 号",
                "莱州",
                "刑初",
                Procedure::FirstInstance,
            ),
        ] {
            let old = Before2016::parse(typed).unwrap_or_else(|| panic!("{typed}"));
            assert_eq!(
                (old.parts.court_code.as_str(), old.parts.case_type.as_str()),
                (court, kind),
                "{typed}"
            );
            assert_eq!(old.parts.procedure(), procedure, "{typed}");
            assert_eq!(Before2016::parse(&old.normalized()), Some(old.clone()));
        }
        let civil = Before2016::parse("（2012）民勤民初字第12号").unwrap();
        assert_eq!(civil.parts.category(), CaseCategory::Civil);
        for not_old in [
            "（2016）鄂06刑初字第1号",
            "（2014）沂南刑初348号",
            "（2014）沂南刑初字第0号",
            "（2014）沂南字第3号",
            "（2014）沂南刑初字第3号之一",
            "（2014）Xx刑初字第3号",
            "（2014沂南刑初字第3号",
        ] {
            assert!(Before2016::parse(not_old).is_none(), "{not_old}");
        }
    }
}
