//! Sums of money as judgments write them in digits: `5000元`, `10,500元`, `1.5万元`, `2千元`
//! (full-width digits made ASCII first, [`crate::civil::ascii_numbers`]). One reader for the
//! facts' amounts ([`crate::civil`]), fines and confiscations ([`crate::outcome::punishment`]) and
//! claims and awards ([`crate::outcome::civil`]), so that a form one of them learns to read, the
//! others read too. Sums in Chinese numerals (`十一万元`) go through
//! [`crate::outcome::punishment::count`].

/// Yuan of `digits` (thousands separated by `,` or `，`, perhaps a decimal part) written before
/// `unit` (`万`, `千`, or nothing for plain 元; a trailing 元 is ignored, so `万元` is `万`).
/// `None` when `digits` is not a number or the unit is not one of those.
pub(crate) fn digits_yuan(digits: &str, unit: Option<&str>) -> Option<f64> {
    let v: f64 = digits.replace([',', '，'], "").parse().ok()?;
    let factor = match unit.map(|u| u.strip_suffix('元').unwrap_or(u)) {
        None | Some("") => 1.0,
        Some("万") => 10_000.0,
        Some("千") => 1_000.0,
        Some(_) => return None,
    };
    Some(v * factor).filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::digits_yuan;

    #[test]
    fn digits_are_read_with_separators_decimals_and_units() {
        assert_eq!(digits_yuan("5000", None), Some(5000.0));
        assert_eq!(digits_yuan("10,500", Some("元")), Some(10_500.0));
        assert_eq!(digits_yuan("1，200，000", None), Some(1_200_000.0));
        assert_eq!(digits_yuan("1.5", Some("万")), Some(15_000.0));
        assert_eq!(digits_yuan("20", Some("万元")), Some(200_000.0));
        assert_eq!(digits_yuan("2", Some("千")), Some(2_000.0));
        assert_eq!(digits_yuan("0", None), Some(0.0));
    }

    #[test]
    fn what_is_not_a_sum_is_none() {
        assert_eq!(digits_yuan("", None), None);
        assert_eq!(digits_yuan("五千", None), None);
        assert_eq!(digits_yuan("12", Some("亿")), None);
        assert_eq!(digits_yuan("1e400", None), None);
    }
}
